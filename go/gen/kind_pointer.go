package gen

import "github.com/usegolib/usegolib/go/scan"

var _ = register(scan.Pointer, pointerUnit{})

// pointerUnit: *T for T not a handle type; nil or the value on the wire.
type pointerUnit struct{ viaHelpers }

func (pointerUnit) helperName(g *goGen, t *scan.Type) string { return "ptr_" + g.helperName(t.Elem) }

func (pointerUnit) nonEmpty(_ *scan.Type, x string) string { return notNil(x) }

// nesting: a pointer is no container on the wire.
func (pointerUnit) nesting(g *goGen, t *scan.Type) int { return g.nesting(t.Elem) }

func (pointerUnit) inner(_ *goGen, t *scan.Type) []*scan.Type { return []*scan.Type{t.Elem} }

func (pointerUnit) decHelper(g *goGen, t *scan.Type, h *helperWriter) {
	call, conv := g.decode(t.Elem, "d")
	h.w("// dec_%s reads a %s: nil, or the value it points to.", h.name, h.goType)
	h.w("func dec_%s(d *bridge.Decoder) (%s, error) {", h.name, h.goType)
	h.w("if d.Nil() {")
	h.w("return nil, nil")
	h.w("}")
	h.w("v, err := %s", call)
	h.w("if err != nil {")
	h.w("return nil, err")
	h.w("}")
	h.w("x := %s", conv("v"))
	h.w("return &x, nil")
	h.w("}")
}

func (pointerUnit) encHelper(_ *goGen, t *scan.Type, h *helperWriter) {
	h.w("// enc_%s writes a %s%s: nil, or the value it points to.", h.name, h.goType, h.at())
	h.sig("p", false)
	h.w("if p == nil {")
	h.w("e.Nil()")
	if h.deep {
		h.w("return nil")
	} else {
		h.w("return")
	}
	h.w("}")
	h.elem(t.Elem, "*p", "depth", "bridge.AtPointer(p, err)")
	h.end()
}
