// Package records exercises the scanner's Level 3 decisions: record keys,
// embedding, unsupported fields, handles, methods, variables and generics.
package records

import (
	"cmp"
	"net/url"
)

// Tagged exercises tags.
type Tagged struct {
	A int    `msgpack:"a" json:"x"`          // the msgpack name wins
	B int    `json:"b,omitempty"`            // optional
	C int    `json:"-"`                      // dropped
	D int    `json:"-,"`                     // the key "-"
	E int    `msgpack:",omitempty" json:"e"` // json name, msgpack options
	F string `json:",string"`                // the field name
}

// L1a and L1b both have X.
type L1a struct{ X int }

// L1b has X too.
type L1b struct{ X int }

// T1b has a tagged X.
type T1b struct {
	X int `json:"X"`
}

// Conflict: the two X cancel out.
type Conflict struct {
	L1a
	L1b
	Y int
}

// TagWins: the tagged X wins.
type TagWins struct {
	L1a
	T1b
}

// Deep is embedded one level down.
type Deep struct {
	X int
	Z int
}

// Shallow: its own X hides Deep.X.
type Shallow struct {
	X int
	Deep
}

// Inner is embedded with a tag: a nested record.
type Inner struct{ V int }

// Nested embeds Inner with a tag name.
type Nested struct {
	Inner `json:"inner"`
}

type inner struct{ P int }

// HasHidden promotes P from an unexported embedded struct.
type HasHidden struct {
	inner
	Q int
}

// HidPtr embeds a pointer to an unexported struct.
type HidPtr struct {
	*inner
	Q int
}

// BadField has a channel.
type BadField struct{ C chan int }

// UsesBad contains BadField.
type UsesBad struct{ B BadField }

// CycA and CycB form a cycle; CycA has a channel.
type CycA struct {
	B  *CycB
	Ch chan int
}

// CycB points back to CycA.
type CycB struct{ A *CycA }

// Tree is recursive through a slice.
type Tree struct {
	Kids []Tree
	Val  int
}

// Opaque has no exported field and no method.
type Opaque struct{ x int }

// SelfList and SelfMap contain themselves without a struct between: the
// scanner must refuse them, not recurse forever.
type (
	SelfList []SelfList
	SelfMap  map[string][]SelfMap
)

// WithErr has an error field.
type WithErr struct{ Err error }

func UseTagged(t Tagged) Tagged       { return t }
func UseConflict(c Conflict) Conflict { return c }
func UseTagWins(t TagWins) TagWins    { return t }
func UseShallow(s Shallow) Shallow    { return s }
func UseNested(n Nested) Nested       { return n }
func UseHidden(h HasHidden) HasHidden { return h }
func UseHidPtr(h HidPtr)              {}
func UseBad(b BadField)               {}
func UseUsesBad(u []UsesBad)          {}
func UseCycB(b *CycB)                 {}
func UseTree(t Tree) Tree             { return t }
func TakeOpaque(o Opaque)             {}
func OpaquePtr() *Opaque              { return nil }
func UseWithErr() WithErr             { return WithErr{} }
func UseURL(u url.URL) string         { return u.String() }
func UseSelfList() SelfList           { return nil }
func UseSelfMap(m SelfMap)            {}

// List is generic: its methods are not bridged.
type List[T any] struct{ items []T }

// Push appends.
func (l *List[T]) Push(v T) { l.items = append(l.items, v) }

// Svc has one supported and one unsupported method.
type Svc struct{ N int }

// Ok is supported.
func (s *Svc) Ok() int { return s.N }

// Run is not.
func (s *Svc) Run(ch chan int) {}

// Sealed has only unexported methods: a handle without methods.
type Sealed interface{ sealed() }

type sealedImpl struct{}

func (sealedImpl) sealed() {}

// MakeSealed returns a Sealed.
func MakeSealed() Sealed { return sealedImpl{} }

// Variables.
var (
	Count    = 3
	Ch       = make(chan int)
	Svc1     Svc
	PSvc     = &Svc{}
	SealedV  Sealed
	internal = 1
)

// Max is generic.
func Max[T cmp.Ordered](a, b T) T { return max(a, b) }

// Keys is generic.
func Keys[K comparable, V any](m map[K]V) []K { return nil }
