// Package support exercises every support decision of the scanner.
package support

import (
	"time"
	"unsafe"
)

type (
	Celsius float64
	Point   struct{ X, Y int }
	Shape   interface{ Area() float64 }
	MyInt   = int
	Bytes   = []byte
	Ints    = []MyInt
)

// Method is a method: methods are not collected yet.
func (p Point) Method() int { return p.X }

// Ints2 uses every integer kind.
func Ints2(a int, b int8, c int16, d int32, e int64, f uint, g uint8, h uint16, i uint32, j uint64) {}

// Floats returns its arguments.
func Floats(a float32, b float64) (float32, float64) { return a, b }

func Strs(s string, b []byte, u []uint8, ss []string) string { return s }

func Nested(m [][]int64, bb [][]byte, s3 [][][]string) [][]byte { return bb }

func Aliases(a MyInt, b Bytes, c Ints, r rune) MyInt { return a }

func Unnamed(int, string) bool { return true }

func Blank(_ int, b int) (_ int, named string) { return 0, "" }

func WithErr(s string) (int, bool, error) { return 0, false, nil }

func OnlyErr() error { return nil }

func Chan(ch chan int)                             {}
func RecvChan(ch <-chan int)                       {}
func Map() map[string]int                          { return nil }
func Ptr(p *int)                                   {}
func Gen[T any](v T) T                             { return v }
func Var(xs ...int) int                            { return 0 }
func Named(c Celsius)                              {}
func Struct(p Point)                               {}
func AnonStruct(p struct{})                        {}
func Iface(s Shape)                                {}
func Any(v any)                                    {}
func Func(f func())                                {}
func FuncAndChan(f func(string) bool, ch chan int) {}
func Maker() func() func(int8)                     { return nil }
func Uintptr(u uintptr)                            {}
func Complex(c complex128)                         {}
func Array(a [4]int)                               {}
func UnsafePtr(p unsafe.Pointer)                   {}
func ErrParam(err error)                           {}
func ErrFirst() (error, int)                       { return nil, 0 }
func SliceOfMap(m []map[string]int)                {}
func Duration(d time.Duration)                     {}
func SliceOfNamed(c []Celsius)                     {}
func TwoErrs() (error, error)                      { return nil, nil }
func ResultPtr(a int) (r int, p *string)           { return 0, nil }

func unexported(a int) int { return a }

var FuncVar = func(a int) int { return a }
