// Package cgopkg uses cgo.
package cgopkg

// #include <stdint.h>
// static int64_t twice(int64_t x) { return 2 * x; }
import "C"

// Twice doubles x in C.
func Twice(x int64) int64 { return int64(C.twice(C.int64_t(x))) }

//export cgopkg_export
func cgopkg_export(a C.int64_t) C.int64_t { return a }
