package gen

import (
	"math"

	"github.com/usegolib/usegolib/go/bridge"
	"github.com/usegolib/usegolib/go/scan"
)

// Depth (docs/abi.md section 6). A reply nests at most bridge.MaxDepth
// containers. The values of most types nest a fixed, small number of levels,
// so their encoders need no check; but a recursive record (type Node struct
// { Next *Node }) can nest without bound, and a cyclic value (a ring of
// pointers) forever, and so can an `any`. Such a type is deep, and so is
// every type inside a deep one: their enc_ helpers take the depth at which
// the value sits and return bridge.TooDeep before opening a container deeper
// than bridge.MaxDepth. The check costs a compare per container and an int
// argument; the error path (the path to the value, cycle detection) is in
// bridge/encerr.go. Each kind unit gives its nesting and its inner types.

// unbounded is the nesting of a type whose values can nest without bound.
const unbounded = math.MaxInt

// maxStaticNesting is the deepest nesting a result's encoder can write without
// checking: a single result sits at depth 2, each of several at depth 3.
const maxStaticNesting = bridge.MaxDepth - 2

// typeKey identifies a type in the maps of goGen.
func typeKey(t *scan.Type) string { return t.Canon + "|" + t.Wire }

// add1 is one more level of nesting than n.
func add1(n int) int {
	if n == unbounded {
		return n
	}
	return n + 1
}

// nesting is the deepest nesting of containers a value of t can have: 0 for
// a scalar, 1 for []int, unbounded for any and recursive records.
func (g *goGen) nesting(t *scan.Type) int { return unitOf(t.Kind).nesting(g, t) }

// markDeep records, for t (a result type, or a part of one) and the types
// inside it, whether it is deep: inside a deep type, or one itself.
func (g *goGen) markDeep(t *scan.Type, inDeep bool) {
	inDeep = inDeep || g.nesting(t) > maxStaticNesting
	seen := g.shallow
	if inDeep {
		seen = g.deep
	}
	if seen[typeKey(t)] {
		return
	}
	seen[typeKey(t)] = true
	for _, in := range unitOf(t.Kind).inner(g, t) {
		g.markDeep(in, inDeep)
	}
}

// takesDepth reports whether the encoder of t takes the depth and checks it:
// its values can hold a container, and t is deep or holds a type that takes
// the depth (a record returned as a result that also sits inside a deep one).
func (g *goGen) takesDepth(t *scan.Type) bool {
	if g.nesting(t) == 0 {
		return false
	}
	k := typeKey(t)
	if v, ok := g.takes[k]; ok {
		return v
	}
	v := g.deep[k]
	g.takes[k] = v // a deep type is done; the others are not recursive
	if !v {
		for _, in := range unitOf(t.Kind).inner(g, t) {
			if g.takesDepth(in) {
				v = true
				break
			}
		}
		g.takes[k] = v
	}
	return v
}
