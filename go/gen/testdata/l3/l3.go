// Package l3 is the input of the generator's Level 2 and 3 golden test: one
// entry per shape of adapter and helper.
package l3

import (
	"errors"
	"time"
)

// Point is a record.
type Point struct {
	X    int      `msgpack:"x"`
	Y    int      `json:"y,omitempty"`
	Tags []string `json:"tags"`
	*Meta
}

// Meta is embedded by pointer.
type Meta struct {
	Note string `json:"note"`
}

// Counter is a handle type.
type Counter struct {
	N int64 `json:"n"`
}

// Add adds d.
func (c *Counter) Add(d int64) int64 {
	c.N += d
	return c.N
}

// Get is a value method.
func (c Counter) Get() int64 { return c.N }

// Shape is an interface handle type.
type Shape interface{ Area() float64 }

// Celsius is a named float64.
type Celsius float64

// Default is a package variable.
var Default = &Counter{}

// Origin is a record variable.
var Origin = Point{}

// Move moves p.
func Move(p Point, by *Point) Point { return p }

// Index indexes points.
func Index(ps []Point) map[string]Point { return nil }

// Take takes handles.
func Take(c *Counter, s Shape) (*Counter, Shape) { return c, s }

// Misc covers the other wire types.
func Misc(a [4]int32, b [16]byte, p *int64, c Celsius, v any, t time.Time, d time.Duration) (any, error, []error) {
	return v, errors.New("x"), nil
}

// Sum is variadic.
func Sum(xs ...int64) int64 { return 0 }

// Identity is generic.
func Identity[T any](v T) T { return v }

// Flag, Name and Level are named basic types.
type (
	Flag  bool
	Name  string
	Level uint16
	Blob  []byte
	IDs   []Name
)

// Bag holds the field types that need their own code.
type Bag struct {
	Any      any               `json:"any,omitempty"`
	When     time.Time         `json:"when"`
	Wait     time.Duration     `json:"wait,omitempty"`
	Flag     Flag              `json:"flag,omitempty"`
	Name     Name              `json:"name,omitempty"`
	Level    Level             `json:"level,omitempty"`
	Blob     Blob              `json:"blob,omitempty"`
	IDs      IDs               `json:"ids"`
	Pair     [2]Point          `json:"pair"`
	ByLevel  map[Name][]*Point `json:"by_level"`
	Counters []*Counter        `json:"counters"`
	Shapes   map[string]Shape  `json:"shapes"`
	Ints     *[]int            `json:"ints"`
	Anys     []any             `json:"anys"`
}

// Fill round-trips a Bag.
func Fill(b Bag, bs []Bag) (Bag, map[string][]Bag) { return b, nil }

// Node is recursive: its encoders take the depth and check it.
type Node struct {
	Next *Node           `json:"next"`
	Kids map[string]Node `json:"kids"`
}

// Walk returns a Node.
func Walk(n *Node) *Node { return n }
