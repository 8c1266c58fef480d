// Package flat has strings and records for the scalar form (docs/abi.md section 8.13): the
// flat ones get a scalar index, the others none.
package flat

// Point is flat: two numbers and a string, 4 words.
type Point struct {
	X, Y float64
	Tag  string
}

func EchoPoint(p Point) Point { return p }

// Sum is a method of a flat record: its receiver is the record's words.
func (p Point) Sum() float64 { return p.X + p.Y }

// Retag has a pointer receiver: Go calls it on a copy of the record.
func (p *Point) Retag(tag string) Point {
	p.Tag = tag
	return *p
}

// Concat takes two strings and returns a string and an int.
func Concat(a, b string) (string, int) { return a + b, len(a) + len(b) }

// Edges holds a field of each narrow kind, and one tagged "-" (zero, never a word).
type Edges struct {
	I8   int8    `json:"i8"`
	U16  uint16  `json:"u16"`
	B    bool    `json:"b"`
	F32  float32 `json:"f32"`
	Skip int     `json:"-"`
}

func EchoEdges(e Edges) (Edges, error) { return e, nil }

// Empty has no field: no word.
type Empty struct{}

func EchoEmpty(e Empty) Empty { return e }

// Name is a named string: not a scalar field.
type Name string

// Named has a field of a named type: not flat.
type Named struct{ N Name }

func EchoNamed(n Named) Named { return n }

// Embeds promotes Point's fields: not flat.
type Embeds struct {
	Point
	Z int
}

func EchoEmbeds(e Embeds) Embeds { return e }

// Nested has a record field: not flat.
type Nested struct{ P Point }

func EchoNested(n Nested) Nested { return n }

// List has a []string field: not flat.
type List struct{ S []string }

func EchoList(l List) List { return l }

// Ptr has a pointer field: not flat.
type Ptr struct{ P *int }

func EchoPtr(p Ptr) Ptr { return p }

// ByPointer takes a flat record by pointer: not in the scalar form.
func ByPointer(p *Point) float64 { return p.X }

// Wide has five strings: 10 words, more than the form carries.
type Wide struct{ A, B, C, D, E string }

func EchoWide(w Wide) int { return len(w.A) }

// Nine takes 9 words (two points and a bool), one too many.
func Nine(a, b Point, c bool) bool { return c }

// Eight takes 8 words exactly.
func Eight(a, b Point) bool { return a == b }
