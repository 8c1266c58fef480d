package gen

import (
	"strconv"
	"strings"

	"github.com/usegolib/usegolib/go/scan"
)

var _ = register(scan.Record, recordUnit{})

// recordUnit: a struct that travels as a record, a map of field keys on the
// wire (docs/abi.md section 8.2). Its helpers follow the field list the
// scanner computed, without reflection; a recursive record nests without
// bound.
type recordUnit struct{ viaHelpers }

func (recordUnit) helperName(g *goGen, t *scan.Type) string { return g.aliasName(t.Canon) }

// nonEmpty: encoding/json never finds a struct empty.
func (recordUnit) nonEmpty(*scan.Type, string) string { return "" }

func (u recordUnit) nesting(g *goGen, t *scan.Type) int {
	if n, ok := g.nest[t.Key]; ok {
		if n < 0 { // met again while its fields are looked at: recursive
			return unbounded
		}
		return n
	}
	g.nest[t.Key] = -1
	n := 0
	for _, f := range u.inner(g, t) {
		n = max(n, g.nesting(f))
	}
	g.nest[t.Key] = add1(n)
	return g.nest[t.Key]
}

// inner returns the types of the record's fields.
func (recordUnit) inner(g *goGen, t *scan.Type) []*scan.Type {
	fields := g.types[t.Key].Fields
	out := make([]*scan.Type, len(fields))
	for i := range fields {
		out[i] = &fields[i].Type
	}
	return out
}

func (recordUnit) decHelper(g *goGen, t *scan.Type, h *helperWriter) {
	g.recordDecoder(h, g.types[t.Key])
}

func (recordUnit) encHelper(g *goGen, t *scan.Type, h *helperWriter) {
	h.w("// enc_%s writes the record %s%s.", h.name, g.types[t.Key].Key, h.at())
	h.sig("v", true)
	g.recordEncoder(h, g.types[t.Key])
	h.end()
}

// recordDecoder writes the decoder of a record: a map of field keys, in any
// order, each at most once; unknown keys are errors, and so are missing
// required fields.
func (g *goGen) recordDecoder(h *helperWriter, d *scan.TypeDef) {
	w, name, goType := h.w, h.name, h.goType
	q := strconv.Quote
	var keys []string
	for _, f := range d.Fields {
		keys = append(keys, f.Key)
	}
	w("// dec_%s reads the record %s (fields: %s).", name, d.Key, strings.Join(keys, ", "))
	w("func dec_%s(d *bridge.Decoder) (v %s, err error) {", name, goType)
	w("n, isNil, err := d.MapLen()")
	w("if err != nil {")
	w("return v, bridge.RecordError(%s, err)", q(d.Name))
	w("}")
	w("if isNil {")
	w("return v, bridge.RecordNil(%s)", q(d.Name))
	w("}")
	if len(d.Fields) > 0 {
		w("var seen [%d]uint64", (len(d.Fields)+63)/64)
	}
	w("for i := 0; i < n; i++ {")
	w("k, err := d.Key()")
	w("if err != nil {")
	w("return v, bridge.RecordError(%s, bridge.KeyError(i, err))", q(d.Name))
	w("}")
	if len(d.Fields) == 0 {
		w("return v, bridge.UnknownField(%s, k, %s)", q(d.Name), q("none"))
		w("}")
		w("return v, nil")
		w("}")
		return
	}
	w("switch string(k) {")
	for i, f := range d.Fields {
		word, bit := i/64, uint(i%64)
		w("case %s:", q(f.Key))
		w("if seen[%d]&(1<<%d) != 0 {", word, bit)
		w("return v, bridge.DuplicateField(%s, %s, %s, %s)", q(d.Name), q(f.Key), q(f.Name), q(f.Go))
		w("}")
		w("seen[%d] |= 1 << %d", word, bit)
		for _, p := range f.Ptrs {
			w("bridge.Alloc(&v.%s)", p.Sel)
		}
		call, conv := g.decode(&f.Type, "d")
		w("x, err := %s", call)
		w("if err != nil {")
		w("return v, bridge.FieldError(%s, %s, %s, %s, err)", q(d.Name), q(f.Key), q(f.Name), q(f.Go))
		w("}")
		w("v.%s = %s", f.Sel, conv("x"))
	}
	w("default:")
	w("return v, bridge.UnknownField(%s, k, %s)", q(d.Name), q(strings.Join(keys, ", ")))
	w("}")
	w("}")
	for i, f := range d.Fields {
		if f.Required {
			w("if seen[%d]&(1<<%d) == 0 {", i/64, uint(i%64))
			w("return v, bridge.MissingField(%s, %s, %s, %s)", q(d.Name), q(f.Key), q(f.Name), q(f.Go))
			w("}")
		}
	}
	w("return v, nil")
	w("}")
}

// recordEncoder writes the body of the encoder of a record: the fields in
// order, less the empty omitempty ones and those behind a nil embedded
// pointer. In a deep encoder the fields sit at depth+1.
func (g *goGen) recordEncoder(h *helperWriter, d *scan.TypeDef) {
	w := h.w
	q := strconv.Quote
	conds := make([]string, len(d.Fields))
	always := 0
	for i, f := range d.Fields {
		var parts []string
		for _, p := range f.Ptrs {
			parts = append(parts, "v."+p.Sel+" != nil")
		}
		if f.OmitEmpty {
			if c := g.nonEmpty(&f.Type, "v."+f.Sel); c != "" {
				parts = append(parts, c)
			}
		}
		conds[i] = strings.Join(parts, " && ")
		if conds[i] == "" {
			always++
		}
	}
	if always == len(d.Fields) {
		w("e.MapLen(%d)", always)
	} else {
		w("n := %d", always)
		for _, c := range conds {
			if c != "" {
				w("if %s {", c)
				w("n++")
				w("}")
			}
		}
		w("e.MapLen(n)")
	}
	for i, f := range d.Fields {
		if conds[i] != "" {
			w("if %s {", conds[i])
		}
		w("e.String(%s)", q(f.Key))
		stmt, fail := g.encode(&f.Type, "v."+f.Sel, "e", "depth+1")
		if fail {
			w("if err := %s; err != nil {", stmt)
			w("return bridge.AtField(%s, err)", q(f.Name))
			w("}")
		} else {
			w("%s", stmt)
		}
		if conds[i] != "" {
			w("}")
		}
	}
}
