package gen

import (
	"fmt"

	"github.com/usegolib/usegolib/go/scan"
)

var _ = register(scan.Array, arrayUnit{})

// arrayUnit: [N]T, an array of exactly N elements on the wire (bridge/array.go).
type arrayUnit struct{ viaHelpers }

func (arrayUnit) helperName(g *goGen, t *scan.Type) string {
	return fmt.Sprintf("arr%d_%s", t.Len, g.helperName(t.Elem))
}

func (arrayUnit) nonEmpty(_ *scan.Type, x string) string { return notEmpty(x) }

func (arrayUnit) nesting(g *goGen, t *scan.Type) int { return add1(g.nesting(t.Elem)) }

func (arrayUnit) inner(_ *goGen, t *scan.Type) []*scan.Type { return []*scan.Type{t.Elem} }

func (arrayUnit) decHelper(g *goGen, t *scan.Type, h *helperWriter) {
	call, conv := g.decode(t.Elem, "d")
	h.w("// dec_%s reads a %s: an array of exactly %d elements.", h.name, h.goType, t.Len)
	h.w("func dec_%s(d *bridge.Decoder) (a %s, err error) {", h.name, h.goType)
	h.w("if err := d.ArrayLen(%d); err != nil {", t.Len)
	h.w("return a, err")
	h.w("}")
	h.w("for i := range a {")
	h.w("v, err := %s", call)
	h.w("if err != nil {")
	h.w("return a, bridge.ElemError(i, err)")
	h.w("}")
	h.w("a[i] = %s", conv("v"))
	h.w("}")
	h.w("return a, nil")
	h.w("}")
}

func (arrayUnit) encHelper(_ *goGen, t *scan.Type, h *helperWriter) {
	listEncoder(t, h, fmt.Sprintf("an array of %d elements", t.Len), "bridge.AtIndex(i, err)")
}

var _ = register(scan.BytesN, bytesNUnit{})

// bytesNUnit: [N]byte, a bin of exactly N bytes on the wire (bridge/array.go).
type bytesNUnit struct {
	scalar
	viaHelpers
}

func (bytesNUnit) helperName(_ *goGen, t *scan.Type) string { return fmt.Sprintf("bytes%d", t.Len) }

func (bytesNUnit) nonEmpty(_ *scan.Type, x string) string { return notEmpty(x) }

func (bytesNUnit) decHelper(_ *goGen, t *scan.Type, h *helperWriter) {
	h.w("// dec_%s reads a %s: a bin of exactly %d bytes.", h.name, h.goType, t.Len)
	h.w("func dec_%s(d *bridge.Decoder) (a %s, err error) {", h.name, h.goType)
	h.w("err = d.BytesN(a[:])")
	h.w("return a, err")
	h.w("}")
}

func (bytesNUnit) encHelper(_ *goGen, _ *scan.Type, h *helperWriter) {
	h.w("// enc_%s writes a %s as a bin.", h.name, h.goType)
	h.sig("a", false)
	h.w("e.Bytes(a[:])")
	h.end()
}
