// Package onlyskipped has no supported function: the bridge must not import it.
package onlyskipped

// Send is not supported.
func Send(ch chan int) { ch <- 1 }
