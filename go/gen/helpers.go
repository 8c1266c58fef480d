package gen

import (
	"fmt"
	"sort"
	"strings"

	"github.com/usegolib/usegolib/go/scan"
)

// The dec_/enc_ helpers. A type that needs more than one Decoder or Encoder
// call (a helperUnit's) gets a dec_<name> and an enc_<name> helper, written
// once, when first asked for, and sorted by name in the output; the unit
// writes the body. Unnamed slices of bool, numbers, strings, []byte and such
// slices (the first types the bridge carried) keep their own decSlice_ and
// encSlice_ helpers (kind_slice.go), written before the others.

// helperName names the dec_/enc_ helpers of t: a defined type after its
// spelling (p0_Point), any other by its kind unit.
func (g *goGen) helperName(t *scan.Type) string {
	if t.Named {
		return g.aliasName(t.Canon)
	}
	return unitOf(t.Kind).helperName(g, t)
}

// helperWriter collects the text of one helper.
type helperWriter struct {
	g      *goGen
	b      strings.Builder
	name   string // dec_<name>, enc_<name>
	goType string // the type spelled for the helper's signature
	deep   bool   // an enc_ helper that takes the depth
}

// w writes one line.
func (h *helperWriter) w(format string, args ...any) { fmt.Fprintf(&h.b, format+"\n", args...) }

// at is the phrase a deep encoder's comment adds.
func (h *helperWriter) at() string {
	if h.deep {
		return " at depth depth"
	}
	return ""
}

// sig writes the signature of an enc_ helper and, for a deep container, the
// depth check; v names the value.
func (h *helperWriter) sig(v string, container bool) {
	if !h.deep {
		h.w("func enc_%s(e *bridge.Encoder, %s %s) {", h.name, v, h.goType)
		return
	}
	h.w("func enc_%s(e *bridge.Encoder, %s %s, depth int) error {", h.name, v, h.goType)
	if container {
		h.w("if depth > bridge.MaxDepth {")
		h.w("return bridge.TooDeep()")
		h.w("}")
	}
}

// elem writes the statement that encodes x, of type t, at depth inner;
// wrap makes the error of a failing one.
func (h *helperWriter) elem(t *scan.Type, x, inner, wrap string) {
	stmt, fails := h.g.encode(t, x, "e", inner)
	if !fails {
		h.w("%s", stmt)
		return
	}
	h.w("if err := %s; err != nil {", stmt)
	h.w("return %s", wrap)
	h.w("}")
}

// end closes an enc_ helper.
func (h *helperWriter) end() {
	if h.deep {
		h.w("return nil")
	}
	h.w("}")
}

// claim reserves a helper name in m for t and reports whether the caller must
// write the helper; two types that would share a name are a generator bug.
func (g *goGen) claim(m map[string]string, name string, t *scan.Type) bool {
	if _, ok := m[name]; ok {
		if g.helperTypes[name] != typeKey(t) {
			panic("gen: helper name " + name + " used for two types")
		}
		return false
	}
	g.helperTypes[name] = typeKey(t)
	m[name] = "" // claimed: a recursive type finds it here
	return true
}

// helperUnitOf returns the unit of t, which must write helpers.
func helperUnitOf(t *scan.Type) helperUnit {
	u, ok := unitOf(t.Kind).(helperUnit)
	if !ok {
		panic(fmt.Sprintf("gen: no helpers for %+v", t))
	}
	return u
}

// decHelper writes the dec_ helper of t once and returns the call that
// reads a value of t with the decoder d.
func (g *goGen) decHelper(t *scan.Type, d string) string {
	name := g.helperName(t)
	if g.claim(g.decHelpers, name, t) {
		h := &helperWriter{g: g, name: name, goType: g.spell(t.Canon)}
		h.w("")
		helperUnitOf(t).decHelper(g, t, h)
		g.decHelpers[name] = h.b.String()
	}
	return "dec_" + name + "(" + d + ")"
}

// encHelper writes the enc_ helper of t once and returns the statement that
// writes x with the encoder e; depth is "" or the depth argument, as for
// kindUnit.encode.
func (g *goGen) encHelper(t *scan.Type, x, e, depth string) (string, bool) {
	name := g.helperName(t)
	if g.claim(g.encHelpers, name, t) {
		h := &helperWriter{g: g, name: name, goType: g.spell(t.Canon), deep: g.takesDepth(t)}
		h.w("")
		helperUnitOf(t).encHelper(g, t, h)
		g.encHelpers[name] = h.b.String()
	}
	if depth != "" {
		return "enc_" + name + "(" + e + ", " + x + ", " + depth + ")", true
	}
	return "enc_" + name + "(" + e + ", " + x + ")", false
}

// writeHelpers writes every helper: decSlice_, encSlice_, dec_, enc_ and
// host_, each group sorted by name. Writing one never asks for a new one:
// each helper's body is built when it is first asked for.
func (g *goGen) writeHelpers() {
	for _, m := range []map[string]string{g.decSlices, g.encSlices, g.decHelpers, g.encHelpers, g.hostMakers} {
		names := make([]string, 0, len(m))
		for n := range m {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			g.buf.WriteString(m[n])
		}
	}
}
