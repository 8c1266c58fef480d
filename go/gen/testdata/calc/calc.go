// Package calc is the input of the generator's golden test: one function
// per shape of adapter.
package calc

import (
	"errors"
	"strconv"
)

// MyInt is an alias: it is spelled MyInt in the schema and int in the code.
type MyInt = int

// AddInt returns a+b.
func AddInt(a, b int) int { return a + b }

// Scalars takes one of each scalar type and returns them in order.
func Scalars(b bool, i8 int8, i16 int16, i32 int32, i64 int64, u uint, u8 uint8, u16 uint16, u32 uint32, u64 uint64, f32 float32, f64 float64, s string) (bool, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64, string) {
	return b, i8, i16, i32, i64, u, u8, u16, u32, u64, f32, f64, s
}

// Slices echoes slices.
func Slices(b []byte, ints []int, i8 []int8, m [][]int64, bb [][]byte, u []uint) ([]byte, []int, []int8, [][]int64, [][]byte, []uint) {
	return b, ints, i8, m, bb, u
}

// Strings returns its argument.
func Strings(ss []string) []string { return ss }

// Alias uses an alias type.
func Alias(x MyInt) MyInt { return x }

// Parse returns a value and an error.
func Parse(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) }

// Fail returns only an error.
func Fail(msg string) error { return errors.New(msg) }

// Pair returns two values and an error.
func Pair() (q, r int, err error) { return 1, 2, nil }

// Nothing does nothing.
func Nothing() {}

// Unnamed has unnamed and blank parameters.
func Unnamed(int, float64) {}

func Blank(_ string, x uint16) uint16 { return x }

// Quoted has a doc with "quotes", <html> & a backslash \.
func Quoted() string { return "\"\\" }

// Send is not supported.
func Send(ch chan int) { ch <- 1 }

// Generic is not supported.
func Generic[T any](v T) T { return v }

// Apply returns f(x): a scalar entry with a func parameter (its word an id, or a lent callable
// when the escape analysis allows it).
func Apply(f func(int64) int64, x int64) int64 { return f(x) }
