// Package other has a generic function named like one of records.
package other

// Max is generic.
func Max[T any](a T) T { return a }
