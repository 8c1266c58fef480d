// Package onlyskipped has no supported function: the bridge must not import it.
package onlyskipped

// Ptr is not supported.
func Ptr(p *int) int { return *p }
