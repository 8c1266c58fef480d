package gen

import (
	"strings"

	"github.com/usegolib/usegolib/go/scan"
)

var _ = register(scan.Slice, sliceUnit{})

// sliceUnit: []T, nil or an array on the wire. An unnamed slice of plain
// values (plainType) has the decSlice_/encSlice_ helpers, named after its
// spelling (decSlice_int64s reads a [][]int64); any other slice has dec_/enc_
// helpers like every container.
type sliceUnit struct{}

func (sliceUnit) helperName(g *goGen, t *scan.Type) string { return "slice_" + g.helperName(t.Elem) }

func (sliceUnit) decode(g *goGen, t *scan.Type, d string) (string, func(string) string) {
	if plainType(t) {
		return "decSlice_" + g.plainSliceDec(t) + "(" + d + ")", identity
	}
	return g.decHelper(t, d), identity
}

func (sliceUnit) encode(g *goGen, t *scan.Type, x, e, depth string) (string, bool) {
	if depth == "" && plainType(t) {
		return "encSlice_" + g.plainSliceEnc(t) + "(" + e + ", " + x + ")", false
	}
	return g.encHelper(t, x, e, depth)
}

func (sliceUnit) nonEmpty(_ *scan.Type, x string) string { return notEmpty(x) }

func (sliceUnit) nesting(g *goGen, t *scan.Type) int { return add1(g.nesting(t.Elem)) }

func (sliceUnit) inner(_ *goGen, t *scan.Type) []*scan.Type { return []*scan.Type{t.Elem} }

func (sliceUnit) decHelper(g *goGen, t *scan.Type, h *helperWriter) {
	sliceDecoder(g, t, h, "dec_"+h.name, h.goType)
}

func (sliceUnit) encHelper(g *goGen, t *scan.Type, h *helperWriter) {
	listEncoder(t, h, "nil is written as an empty array", "bridge.AtElem(s, i, err)")
}

// sliceDecoder writes the decoder fn of a slice t spelled goType.
func sliceDecoder(g *goGen, t *scan.Type, h *helperWriter, fn, goType string) {
	call, conv := g.decode(t.Elem, "d")
	h.w("// %s reads a %s; nil gives a nil slice.", fn, goType)
	h.w("func %s(d *bridge.Decoder) (%s, error) {", fn, goType)
	if k := packedKind(t); k != 0 {
		h.w("if s, ok, err := bridge.DecodePacked[%s](d, '%c'); ok || err != nil {", g.spell(t.Elem.Canon), k)
		h.w("return s, err")
		h.w("}")
	}
	h.w("n, isNil, err := d.ListLen()")
	h.w("if err != nil || isNil {")
	h.w("return nil, err")
	h.w("}")
	h.w("s := make(%s, n)", goType)
	h.w("for i := range s {")
	h.w("v, err := %s", call)
	h.w("if err != nil {")
	h.w("return nil, bridge.ElemError(i, err)")
	h.w("}")
	h.w("s[i] = %s", conv("v"))
	h.w("}")
	h.w("return s, nil")
	h.w("}")
}

// packedKind is the kind byte of a packed array (docs/abi.md section 8.10) of the slice t:
// the letter of Python's struct module for its element's fixed width, 0 when t is not a slice
// of fixed-width numbers (int and uint are 64-bit here; uintptr never reaches a slice).
func packedKind(t *scan.Type) byte {
	if t.Kind != scan.Slice || t.Elem.Kind != scan.Basic {
		return 0
	}
	switch t.Elem.Under {
	case "int8":
		return 'b'
	case "int16":
		return 'h'
	case "int32":
		return 'i'
	case "int64", "int":
		return 'q'
	case "uint8":
		return 'B'
	case "uint16":
		return 'H'
	case "uint32":
		return 'I'
	case "uint64", "uint":
		return 'Q'
	case "float32":
		return 'f'
	case "float64":
		return 'd'
	}
	return 0
}

// listEncoder writes the enc_ helper of a slice or an array.
func listEncoder(t *scan.Type, h *helperWriter, what, wrap string) {
	h.w("// enc_%s writes a %s%s: %s.", h.name, h.goType, h.at(), what)
	h.sig("s", true)
	h.w("e.ListLen(len(s))")
	h.w("for i := range s {")
	h.elem(t.Elem, "s[i]", "depth+1", wrap)
	h.w("}")
	h.end()
}

// plainType reports whether t is a plain value: an unnamed bool, number,
// string or []byte, or an unnamed slice of plain values.
func plainType(t *scan.Type) bool {
	switch t.Kind {
	case scan.Basic, scan.Bytes:
		return !t.Named
	case scan.Slice:
		return !t.Named && plainType(t.Elem)
	}
	return false
}

// plainName names a plain type in helper names: int8, bytes ([]byte),
// int64s ([]int64), bytess ([][]byte).
func plainName(canon string) string {
	if canon == "[]byte" {
		return "bytes"
	}
	if elem, ok := strings.CutPrefix(canon, "[]"); ok {
		return plainName(elem) + "s"
	}
	return canon
}

// plainSliceDec writes the decSlice_ helper of the plain slice t once and
// returns its name.
func (g *goGen) plainSliceDec(t *scan.Type) string {
	name := plainName(t.Elem.Canon)
	if _, ok := g.decSlices[name]; ok {
		return name
	}
	g.decSlices[name] = "" // claimed
	h := &helperWriter{g: g, name: name}
	h.w("")
	sliceDecoder(g, t, h, "decSlice_"+name, t.Canon)
	g.decSlices[name] = h.b.String()
	return name
}

// plainSliceEnc writes the encSlice_ helper of the plain slice t once and
// returns its name.
func (g *goGen) plainSliceEnc(t *scan.Type) string {
	name := plainName(t.Elem.Canon)
	if _, ok := g.encSlices[name]; ok {
		return name
	}
	g.encSlices[name] = ""    // claimed
	if g.takesDepth(t.Elem) { // it would take the depth itself
		panic("gen: a plain slice holds a type that takes the depth: " + t.Canon)
	}
	stmt, _ := g.encode(t.Elem, "v", "e", "")
	h := &helperWriter{g: g, name: name}
	h.w("")
	h.w("// encSlice_%s writes a %s; nil is written as an empty array.", name, t.Canon)
	h.w("func encSlice_%s(e *bridge.Encoder, s %s) {", name, t.Canon)
	h.w("e.ListLen(len(s))")
	h.w("for _, v := range s {")
	h.w("%s", stmt)
	h.w("}")
	h.w("}")
	g.encSlices[name] = h.b.String()
	return name
}
