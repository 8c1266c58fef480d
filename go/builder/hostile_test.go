package builder

import (
	"fmt"
	"testing"

	"github.com/usegolib/usegolib/go/bridge"
)

// hostileFuncs are the entries of tests/fixtures/go/level3/hostile.go: results that are
// cyclic or nested deeper than the wire's 64 levels.
var hostileFuncs = []string{"DeepChain", "DeepList", "FamilyTree", "MakeRing", "NestAny", "NestBox", "NestMaps",
	"Nesting", "RingAndLen", "SelfGraph", "SelfMap", "SelfPointer", "SelfSlice"}

// badResult calls name and checks that the reply is exactly the bad_result error for result
// index with reason.
func (l *loader) badResult(index int, reason string, name string, args ...any) {
	l.t.Helper()
	r := l.call(name, args...)
	msg := fmt.Sprintf("example.com/level3.%s: result %d cannot be encoded: %s", name, index, reason)
	if r.kind != "bad_result" || r.msg != msg || r.detail["index"] != int64(index) || r.detail["reason"] != reason {
		l.t.Errorf("%s%v = %v\nwant bad_result %q", name, args, r, msg)
	}
}

// nested returns n nested lists, the innermost empty: NestAny(n) of the fixture.
func nested(n int) any {
	var v any
	for i := 0; i < n; i++ {
		if v == nil {
			v = []any{}
		} else {
			v = []any{v}
		}
	}
	return v
}

// hostileCalls runs in the C loader's process: a Go stack overflow there (fatal, no recover)
// ends that process and fails the test at the next read, instead of killing go test.
func hostileCalls(t *testing.T, l *loader) {
	const tooDeep = "nested deeper than 64 levels (a cycle?)"
	back := func(path string) string {
		if path != "" {
			path += ": "
		}
		return path + "cycle: points back to the result itself (the wire cannot carry a cyclic value)"
	}

	// Cycles: found where the path comes back to an address it went through.
	l.badResult(0, back(".Next.Next.Next"), "MakeRing", 3)
	l.badResult(0, back(".Next"), "MakeRing", 1)
	l.badResult(0, back(".Next.Next.Next"), "RingAndLen", 3) // the first of two results: depth 3
	l.badResult(0, back(".Kids[0].Parent"), "FamilyTree")
	l.badResult(0, back(`.Edges["self"]`), "SelfGraph")
	l.badResult(0, back(`["self"]`), "SelfMap")
	l.badResult(0, back("[1]"), "SelfSlice")
	l.badResult(0, back(""), "SelfPointer")
	// A ring longer than the limit: only the depth is seen.
	l.badResult(0, ".Next.Next.Next....Next.Next (63 steps): "+tooDeep, "MakeRing", 1000)

	// Depth. A single result sits at depth 2 of the reply [0, result], so a value nesting
	// 63 levels is the deepest that fits (its deepest container at depth 64).
	list := func(n int) string { // the reply DeepList(n) prints as
		s := "<nil>"
		for i := n; i >= 1; i-- {
			s = fmt.Sprintf("map[next:%s value:%d]", s, i)
		}
		return s
	}
	l.ok(list(63), "DeepList", 63)
	l.badResult(0, ".Next.Next.Next....Next.Next (63 steps): "+tooDeep, "DeepList", 64)
	// Ten million nodes: refused at the limit, without encoding (or recursing into) the rest.
	l.badResult(0, ".Next.Next.Next....Next.Next (63 steps): "+tooDeep, "DeepList", 10_000_000)
	l.ok(fmt.Sprint(nested(63)), "NestAny", 63)
	l.badResult(0, "[0][0][0]...[0][0] (63 steps): "+tooDeep, "NestAny", 64)
	l.badResult(0, "[0][0][0]...[0][0] (63 steps): "+tooDeep, "NestAny", 65)
	if r := l.call("NestMaps", 63); r.kind != "" {
		t.Errorf("NestMaps(63) = %v", r)
	}
	l.badResult(0, `["k"]["k"]["k"]...["k"]["k"] (63 steps): `+tooDeep, "NestMaps", 64)
	if r := l.call("NestBox", 63); r.kind != "" {
		t.Errorf("NestBox(63) = %v", r)
	}
	l.badResult(0, ".V[0][0]...[0][0] (63 steps): "+tooDeep, "NestBox", 64)
	// A Chain level is a map and a list: 31 levels nest 62 containers, 32 levels 64 (65 with
	// the reply).
	if r := l.call("DeepChain", 31); r.kind != "" {
		t.Errorf("DeepChain(31) = %v", r)
	}
	l.badResult(0, ".Links[0].Links...[0].Links (63 steps): "+tooDeep, "DeepChain", 32)

	// The other way: an argument sits at depth 3 of the request [1, 0, id, [arg]], so 62
	// levels is the deepest that fits; 63 is refused before any Go code runs. What goes in
	// comes back out.
	l.ok("62", "Nesting", nested(62))
	l.ok(fmt.Sprint(nested(62)), "EchoAny", nested(62))
	r := l.call("EchoAny", nested(63))
	if r.kind != "limit_exceeded" || r.detail["limit"] != "depth" || r.detail["max"] != int64(bridge.MaxDepth) {
		t.Errorf("EchoAny(63 levels) = %v, want limit_exceeded depth", r)
	}

	// The library is still there.
	l.ok("3", "Nesting", nested(3))
}
