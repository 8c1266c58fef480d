package gen

import "github.com/usegolib/usegolib/go/scan"

var _ = register(scan.Map, mapUnit{})

// mapUnit: map[K]T, K a string type; a map on the wire, keys sorted.
type mapUnit struct{ viaHelpers }

func (mapUnit) helperName(g *goGen, t *scan.Type) string {
	return "map_" + g.helperName(t.MapKey) + "_" + g.helperName(t.Elem)
}

func (mapUnit) nonEmpty(_ *scan.Type, x string) string { return notEmpty(x) }

func (mapUnit) nesting(g *goGen, t *scan.Type) int { return add1(g.nesting(t.Elem)) }

func (mapUnit) inner(_ *goGen, t *scan.Type) []*scan.Type { return []*scan.Type{t.Elem} }

func (mapUnit) decHelper(g *goGen, t *scan.Type, h *helperWriter) {
	call, conv := g.decode(t.Elem, "d")
	key := "k"
	if t.MapKey.Named {
		key = g.spell(t.MapKey.Canon) + "(k)"
	}
	h.w("// dec_%s reads a %s; nil gives a nil map.", h.name, h.goType)
	h.w("func dec_%s(d *bridge.Decoder) (%s, error) {", h.name, h.goType)
	h.w("n, isNil, err := d.MapLen()")
	h.w("if err != nil || isNil {")
	h.w("return nil, err")
	h.w("}")
	h.w("m := make(%s, n)", h.goType)
	h.w("for i := 0; i < n; i++ {")
	h.w("k, err := d.String()")
	h.w("if err != nil {")
	h.w("return nil, bridge.KeyError(i, err)")
	h.w("}")
	h.w("if _, dup := m[%s]; dup {", key)
	h.w("return nil, bridge.DuplicateKey(k)")
	h.w("}")
	h.w("v, err := %s", call)
	h.w("if err != nil {")
	h.w("return nil, bridge.MapKeyError(k, err)")
	h.w("}")
	h.w("m[%s] = %s", key, conv("v"))
	h.w("}")
	h.w("return m, nil")
	h.w("}")
}

func (mapUnit) encHelper(_ *goGen, t *scan.Type, h *helperWriter) {
	key := "k"
	if t.MapKey.Named {
		key = "string(k)"
	}
	h.w("// enc_%s writes a %s%s, keys in byte-wise order; nil is written as an empty map.", h.name, h.goType, h.at())
	h.sig("m", true)
	h.w("e.MapLen(len(m))")
	h.w("for _, k := range bridge.SortedKeys(m) {")
	h.w("e.String(%s)", key)
	h.w("v := m[k]")
	h.elem(t.Elem, "v", "depth+1", "bridge.AtKey(m, k, err)")
	h.w("}")
	h.end()
}
