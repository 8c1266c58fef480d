package gen

import (
	"fmt"

	"github.com/usegolib/usegolib/go/scan"
)

// A kind unit is the code generation of one scan.Kind: how generated code
// reads and writes a value of the kind, the dec_/enc_ helpers it needs, when
// an omitempty field of the kind is empty, and how deep its values nest.
// Each kind has its unit in kind_<name>.go, registered there in units; goGen
// dispatches on the kind only through unitOf.
type kindUnit interface {
	// helperName names the dec_/enc_ helpers of t, an unnamed type (a
	// defined type is named after its spelling, see goGen.helperName).
	helperName(g *goGen, t *scan.Type) string
	// decode returns the call that reads a value of t, d being the
	// expression of a *bridge.Decoder, and the conversion of its first
	// result to t's Go type.
	decode(g *goGen, t *scan.Type, d string) (call string, conv func(string) string)
	// encode returns the statement that writes x, a value of t, e being the
	// expression of a *bridge.Encoder. depth is "" when the encoder of t
	// does not take the depth (goGen.takesDepth); otherwise it is the
	// expression of the depth at which x sits, and the statement is an
	// expression of type error (fails is true).
	encode(g *goGen, t *scan.Type, x, e, depth string) (stmt string, fails bool)
	// nonEmpty is the condition under which an omitempty field x of type t
	// is written, as encoding/json decides emptiness; "" when never empty.
	nonEmpty(t *scan.Type, x string) string
	// nesting is the deepest nesting of containers a value of t can have
	// (see depth.go).
	nesting(g *goGen, t *scan.Type) int
	// inner returns the types whose values a value of t holds, for the
	// depth facts of depth.go: nil for a scalar.
	inner(g *goGen, t *scan.Type) []*scan.Type
}

// helperUnit is a kind unit whose values are read and written by dec_ and
// enc_ helpers (helpers.go), with the body the unit writes.
type helperUnit interface {
	kindUnit
	decHelper(g *goGen, t *scan.Type, h *helperWriter)
	encHelper(g *goGen, t *scan.Type, h *helperWriter)
}

// units is the one table of kind units, keyed by scan.Kind: each kind_<name>.go
// file registers its unit with one line, var _ = register(scan.K, kUnit{}). A
// kind without a unit is a generator bug, reported by unitOf and by
// TestEveryKindHasAUnit.
var units = map[scan.Kind]kindUnit{}

// register adds the unit of kind k to units; a second unit for k is a bug.
func register(k scan.Kind, u kindUnit) struct{} {
	if _, dup := units[k]; dup {
		panic(fmt.Sprintf("gen: two kind units for scan.%s", k))
	}
	units[k] = u
	return struct{}{}
}

// unitOf returns the unit of kind k; it panics when k has none.
func unitOf(k scan.Kind) kindUnit {
	u, ok := units[k]
	if !ok {
		panic(fmt.Sprintf("gen: no kind unit for scan.%s (register one in its kind_<name>.go)", k))
	}
	return u
}

// scalar gives the depth facts of a kind whose values hold no container.
type scalar struct{}

func (scalar) nesting(*goGen, *scan.Type) int        { return 0 }
func (scalar) inner(*goGen, *scan.Type) []*scan.Type { return nil }

// paramOnly is a scalar kind that only parameters have (scan.ownWireTypeIn: results and
// fields of its Go type are handles), so nothing encodes one.
type paramOnly struct{ scalar }

func (paramOnly) encode(_ *goGen, t *scan.Type, _, _, _ string) (string, bool) {
	panic("gen: " + t.Kind.String() + " values are parameters only")
}

func (paramOnly) nonEmpty(t *scan.Type, _ string) string {
	panic("gen: " + t.Kind.String() + " values are parameters only")
}

// viaHelpers reads and writes the values of a helperUnit's kind with its
// dec_ and enc_ helpers.
type viaHelpers struct{}

func (viaHelpers) decode(g *goGen, t *scan.Type, d string) (string, func(string) string) {
	return g.decHelper(t, d), identity
}

func (viaHelpers) encode(g *goGen, t *scan.Type, x, e, depth string) (string, bool) {
	return g.encHelper(t, x, e, depth)
}

// identity is the conversion of a decoded value that already has its type.
func identity(x string) string { return x }

// convertTo is the conversion of a decoded value to the defined type t.
func (g *goGen) convertTo(t *scan.Type) func(string) string {
	return func(x string) string { return g.spell(t.Canon) + "(" + x + ")" }
}

// notNil and notEmpty are the omitempty tests of nilable and of sized kinds.
func notNil(x string) string   { return x + " != nil" }
func notEmpty(x string) string { return "len(" + x + ") != 0" }

// decode returns the call that reads a value of t, d being the expression
// of a *bridge.Decoder (a method call on d needs no &), and the conversion
// of its first result to t's Go type.
func (g *goGen) decode(t *scan.Type, d string) (call string, conv func(string) string) {
	return unitOf(t.Kind).decode(g, t, d)
}

// encode returns the statement that writes x, a value of t, e being the
// expression of a *bridge.Encoder and depth the expression of the depth at
// which x sits in the reply (docs/abi.md section 6: the reply array is depth
// 1). When fails is true the statement is an expression of type error
// instead: only the encoders of deep types (takesDepth) fail, when a value
// nests deeper than bridge.MaxDepth or an `any` holds what the wire cannot
// carry.
func (g *goGen) encode(t *scan.Type, x, e, depth string) (stmt string, fails bool) {
	if !g.takesDepth(t) {
		depth = ""
	}
	return unitOf(t.Kind).encode(g, t, x, e, depth)
}

// nonEmpty is the condition under which an omitempty field x of type t is
// written, as encoding/json decides emptiness; "" when it is never empty.
func (g *goGen) nonEmpty(t *scan.Type, x string) string { return unitOf(t.Kind).nonEmpty(t, x) }
