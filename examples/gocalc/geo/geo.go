// Package geo shows structs and Go objects through usegolib.
package geo

// Point is a point in the plane.
type Point struct {
	X int64 `json:"x"`
	Y int64 `json:"y"`
}

// Scale returns p scaled by k.
func Scale(p Point, k int64) Point { return Point{X: p.X * k, Y: p.Y * k} }

// Counter counts.
type Counter struct{ n int64 }

// NewCounter returns a Counter at zero.
func NewCounter() *Counter { return &Counter{} }

// Inc adds d and returns the total.
func (c *Counter) Inc(d int64) int64 {
	c.n += d
	return c.n
}
