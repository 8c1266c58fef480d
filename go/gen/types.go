package gen

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/usegolib/usegolib/go/scan"
)

// The code of the Level 2 and 3 types (docs/abi.md section 8): named types,
// maps, arrays, pointers, records, handles, any, time and error values.
// Level-1 types keep the code of gomain.go (decodeExpr, encodeStmt and the
// decSlice_/encSlice_ helpers). Every other type that needs more than one
// Decoder or Encoder call gets a dec_<name> and an enc_<name> helper, written
// once and sorted by name; records get reflection-free helpers that follow
// the field list the scanner computed.

// isLevel1 reports whether t is a Level-1 type, handled by the code of
// gomain.go.
func isLevel1(t *scan.Type) bool {
	switch t.Kind {
	case scan.Basic, scan.Bytes:
		return !t.Named
	case scan.Slice:
		return !t.Named && isLevel1(t.Elem)
	}
	return false
}

var quotedPath = regexp.MustCompile(`"(?:[^"\\]|\\.)*"\.`)

// importPaths returns the import paths named in a canonical spelling.
func importPaths(canon string) []string {
	var out []string
	for _, m := range quotedPath.FindAllString(canon, -1) {
		p, err := strconv.Unquote(strings.TrimSuffix(m, "."))
		if err != nil {
			panic("gen: bad canonical type " + canon)
		}
		out = append(out, p)
	}
	return out
}

// spell writes a canonical type with the import aliases of main.go.
func (g *goGen) spell(canon string) string {
	return quotedPath.ReplaceAllStringFunc(canon, func(m string) string {
		p, err := strconv.Unquote(strings.TrimSuffix(m, "."))
		a, ok := g.aliases[p]
		if err != nil || !ok {
			panic("gen: no import alias for " + m + " in " + canon)
		}
		g.used[p] = true
		return a + "."
	})
}

// aliasName names a defined type in helper names: p0_Point.
func (g *goGen) aliasName(canon string) string {
	return strings.ReplaceAll(g.spell(strings.TrimPrefix(canon, "*")), ".", "_")
}

// helperName names the dec_/enc_ helpers of t.
func (g *goGen) helperName(t *scan.Type) string {
	if t.Named || t.Kind == scan.Record {
		return g.aliasName(t.Canon)
	}
	switch t.Kind {
	case scan.Basic:
		return t.Canon
	case scan.Bytes:
		return "bytes"
	case scan.Slice:
		return "slice_" + g.helperName(t.Elem)
	case scan.Array:
		return fmt.Sprintf("arr%d_%s", t.Len, g.helperName(t.Elem))
	case scan.BytesN:
		return fmt.Sprintf("bytes%d", t.Len)
	case scan.Map:
		return "map_" + g.helperName(t.MapKey) + "_" + g.helperName(t.Elem)
	case scan.Pointer:
		return "ptr_" + g.helperName(t.Elem)
	case scan.Handle:
		return "h_" + g.aliasName(t.Canon)
	case scan.Any:
		return "any"
	case scan.Time:
		return "time"
	case scan.Duration:
		return "duration"
	case scan.Error:
		return "error"
	}
	panic(fmt.Sprintf("gen: no helper name for %+v", t))
}

// handleGo spells a handle type for messages: "*level3.Counter".
func (g *goGen) handleGo(t *scan.Type) string {
	if d := g.types[t.Key]; d != nil {
		return d.Go
	}
	return t.Wire
}

// decode returns the call that reads a value of t, d being the expression
// of a *bridge.Decoder (a method call on d needs no &), and the conversion
// of its first result to t's Go type.
func (g *goGen) decode(t *scan.Type, d string) (call string, conv func(string) string) {
	same := func(x string) string { return x }
	if isLevel1(t) {
		return g.decodeExpr(t.Canon, d), func(x string) string { return convertExpr(t.Canon, x) }
	}
	to := func(x string) string { return g.spell(t.Canon) + "(" + x + ")" }
	switch t.Kind {
	case scan.Basic:
		return g.decodeExpr(t.Under, d), to
	case scan.Bytes:
		return "d.Bytes()", to
	case scan.Duration:
		return "d.Int(64)", to
	case scan.Time:
		return "d.Time()", same
	case scan.Any:
		return "d.Any()", same
	case scan.Handle:
		return fmt.Sprintf("bridge.DecodeHandle[%s](%s, %s)", g.spell(t.Canon), d, strconv.Quote(g.handleGo(t))), same
	case scan.Error:
		panic("gen: error values are results only")
	}
	return "dec_" + g.needDecHelper(t) + "(" + d + ")", same
}

// encode returns the statement that writes x, a value of t, e being the
// expression of a *bridge.Encoder. When fails is true the statement is an
// expression of type error instead.
func (g *goGen) encode(t *scan.Type, x, e string) (stmt string, fails bool) {
	if isLevel1(t) {
		return g.encodeStmt(t.Canon, x, e), false
	}
	switch t.Kind {
	case scan.Basic:
		switch u := t.Under; u {
		case "bool":
			return "e.Bool(bool(" + x + "))", false
		case "int", "int8", "int16", "int32", "int64":
			return "e.Int(int64(" + x + "))", false
		case "uint", "uint8", "uint16", "uint32", "uint64":
			return "e.Uint(uint64(" + x + "))", false
		case "float32", "float64", "string":
			return "e." + strings.ToUpper(u[:1]) + u[1:] + "(" + u + "(" + x + "))", false
		}
		panic("gen: bad basic type " + t.Under)
	case scan.Bytes:
		return "e.Bytes([]byte(" + x + "))", false
	case scan.Duration:
		return "e.Int(int64(" + x + "))", false
	case scan.Time:
		return "e.Time(" + x + ")", false
	case scan.Error:
		return "e.ErrorValue(" + x + ")", false
	case scan.Any:
		return "e.Any(" + x + ")", true
	case scan.Handle:
		return "bridge.EncodeHandle(" + e + ", " + x + ")", false
	}
	return "enc_" + g.needEncHelper(t) + "(" + e + ", " + x + ")", g.mayFail(t)
}

// mayFail reports whether writing a value of t can fail: only an `any`
// value can hold something the wire cannot carry.
func (g *goGen) mayFail(t *scan.Type) bool {
	switch t.Kind {
	case scan.Any:
		return true
	case scan.Slice, scan.Array, scan.Map, scan.Pointer:
		return g.mayFail(t.Elem)
	case scan.Record:
		if v, ok := g.fails[t.Key]; ok {
			return v
		}
		g.fails[t.Key] = false // a cycle adds nothing
		for i := range g.types[t.Key].Fields {
			if g.mayFail(&g.types[t.Key].Fields[i].Type) {
				g.fails[t.Key] = true
				return true
			}
		}
	}
	return false
}

// claim reserves a helper name in m for t and reports whether the caller must
// write the helper; two types that would share a name are a generator bug.
func (g *goGen) claim(m map[string]string, name string, t *scan.Type) bool {
	if _, ok := m[name]; ok {
		if g.helperTypes[name] != t.Canon+"|"+t.Wire {
			panic("gen: helper name " + name + " used for two types")
		}
		return false
	}
	g.helperTypes[name] = t.Canon + "|" + t.Wire
	m[name] = "" // claimed: a recursive type finds it here
	return true
}

// needDec writes the dec_ helper of t once and returns its name.
func (g *goGen) needDecHelper(t *scan.Type) string {
	name := g.helperName(t)
	if !g.claim(g.decHelpers, name, t) {
		return name
	}
	goType := g.spell(t.Canon)
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("")
	switch t.Kind {
	case scan.Slice:
		call, conv := g.decode(t.Elem, "d")
		w("// dec_%s reads a %s; nil gives a nil slice.", name, goType)
		w("func dec_%s(d *bridge.Decoder) (%s, error) {", name, goType)
		w("n, isNil, err := d.ListLen()")
		w("if err != nil || isNil {")
		w("return nil, err")
		w("}")
		w("s := make(%s, n)", goType)
		w("for i := range s {")
		w("v, err := %s", call)
		w("if err != nil {")
		w("return nil, bridge.ElemError(i, err)")
		w("}")
		w("s[i] = %s", conv("v"))
		w("}")
		w("return s, nil")
		w("}")
	case scan.Array:
		call, conv := g.decode(t.Elem, "d")
		w("// dec_%s reads a %s: an array of exactly %d elements.", name, goType, t.Len)
		w("func dec_%s(d *bridge.Decoder) (a %s, err error) {", name, goType)
		w("if err := d.ArrayLen(%d); err != nil {", t.Len)
		w("return a, err")
		w("}")
		w("for i := range a {")
		w("v, err := %s", call)
		w("if err != nil {")
		w("return a, bridge.ElemError(i, err)")
		w("}")
		w("a[i] = %s", conv("v"))
		w("}")
		w("return a, nil")
		w("}")
	case scan.BytesN:
		w("// dec_%s reads a %s: a bin of exactly %d bytes.", name, goType, t.Len)
		w("func dec_%s(d *bridge.Decoder) (a %s, err error) {", name, goType)
		w("err = d.BytesN(a[:])")
		w("return a, err")
		w("}")
	case scan.Map:
		call, conv := g.decode(t.Elem, "d")
		key := "k"
		if t.MapKey.Named {
			key = g.spell(t.MapKey.Canon) + "(k)"
		}
		w("// dec_%s reads a %s; nil gives a nil map.", name, goType)
		w("func dec_%s(d *bridge.Decoder) (%s, error) {", name, goType)
		w("n, isNil, err := d.MapLen()")
		w("if err != nil || isNil {")
		w("return nil, err")
		w("}")
		w("m := make(%s, n)", goType)
		w("for i := 0; i < n; i++ {")
		w("k, err := d.String()")
		w("if err != nil {")
		w("return nil, bridge.KeyError(i, err)")
		w("}")
		w("if _, dup := m[%s]; dup {", key)
		w("return nil, bridge.DuplicateKey(k)")
		w("}")
		w("v, err := %s", call)
		w("if err != nil {")
		w("return nil, bridge.MapKeyError(k, err)")
		w("}")
		w("m[%s] = %s", key, conv("v"))
		w("}")
		w("return m, nil")
		w("}")
	case scan.Pointer:
		call, conv := g.decode(t.Elem, "d")
		w("// dec_%s reads a %s: nil, or the value it points to.", name, goType)
		w("func dec_%s(d *bridge.Decoder) (%s, error) {", name, goType)
		w("if d.Nil() {")
		w("return nil, nil")
		w("}")
		w("v, err := %s", call)
		w("if err != nil {")
		w("return nil, err")
		w("}")
		w("x := %s", conv("v"))
		w("return &x, nil")
		w("}")
	case scan.Record:
		g.recordDecoder(&b, name, goType, g.types[t.Key])
	default:
		panic(fmt.Sprintf("gen: no decoder helper for %+v", t))
	}
	g.decHelpers[name] = b.String()
	return name
}

// needEnc writes the enc_ helper of t once and returns its name.
func (g *goGen) needEncHelper(t *scan.Type) string {
	name := g.helperName(t)
	if !g.claim(g.encHelpers, name, t) {
		return name
	}
	goType := g.spell(t.Canon)
	fails := g.mayFail(t)
	ret := ""
	if fails {
		ret = " error"
	}
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	// elem writes the statement for one element; wrap makes the error of a
	// failing one.
	elem := func(t *scan.Type, x, wrap string) {
		stmt, f := g.encode(t, x, "e")
		if !f {
			w("%s", stmt)
			return
		}
		w("if err := %s; err != nil {", stmt)
		w("return %s", wrap)
		w("}")
	}
	end := func() {
		if fails {
			w("return nil")
		}
		w("}")
	}
	w("")
	switch t.Kind {
	case scan.Slice, scan.Array:
		what := "nil is written as an empty array"
		if t.Kind == scan.Array {
			what = fmt.Sprintf("an array of %d elements", t.Len)
		}
		w("// enc_%s writes a %s: %s.", name, goType, what)
		w("func enc_%s(e *bridge.Encoder, s %s)%s {", name, goType, ret)
		w("e.ListLen(len(s))")
		w("for i := range s {")
		elem(t.Elem, "s[i]", "bridge.ElemError(i, err)")
		w("}")
		end()
	case scan.BytesN:
		w("// enc_%s writes a %s as a bin.", name, goType)
		w("func enc_%s(e *bridge.Encoder, a %s) {", name, goType)
		w("e.Bytes(a[:])")
		w("}")
	case scan.Map:
		key := "k"
		if t.MapKey.Named {
			key = "string(k)"
		}
		w("// enc_%s writes a %s, keys in byte-wise order; nil is written as an empty map.", name, goType)
		w("func enc_%s(e *bridge.Encoder, m %s)%s {", name, goType, ret)
		w("e.MapLen(len(m))")
		w("for _, k := range bridge.SortedKeys(m) {")
		w("e.String(%s)", key)
		w("v := m[k]")
		elem(t.Elem, "v", "bridge.MapKeyError("+key+", err)")
		w("}")
		end()
	case scan.Pointer:
		w("// enc_%s writes a %s: nil, or the value it points to.", name, goType)
		w("func enc_%s(e *bridge.Encoder, p %s)%s {", name, goType, ret)
		w("if p == nil {")
		w("e.Nil()")
		if fails {
			w("return nil")
		} else {
			w("return")
		}
		w("}")
		stmt, f := g.encode(t.Elem, "*p", "e")
		if f {
			w("return %s", stmt)
			w("}")
		} else {
			w("%s", stmt)
			end()
		}
	case scan.Record:
		g.recordEncoder(&b, name, goType, g.types[t.Key], fails)
	default:
		panic(fmt.Sprintf("gen: no encoder helper for %+v", t))
	}
	g.encHelpers[name] = b.String()
	return name
}

// recordDecoder writes the decoder of a record: a map of field keys, in any
// order, each at most once; unknown keys are errors, and so are missing
// required fields.
func (g *goGen) recordDecoder(b *strings.Builder, name, goType string, d *scan.TypeDef) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
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

// recordEncoder writes the encoder of a record: the fields in order, less
// the empty omitempty ones and those behind a nil embedded pointer.
func (g *goGen) recordEncoder(b *strings.Builder, name, goType string, d *scan.TypeDef, fails bool) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	q := strconv.Quote
	ret := ""
	if fails {
		ret = " error"
	}
	w("// enc_%s writes the record %s.", name, d.Key)
	w("func enc_%s(e *bridge.Encoder, v %s)%s {", name, goType, ret)
	conds := make([]string, len(d.Fields))
	always := 0
	for i, f := range d.Fields {
		var parts []string
		for _, p := range f.Ptrs {
			parts = append(parts, "v."+p.Sel+" != nil")
		}
		if f.OmitEmpty {
			if c := nonEmpty(&f.Type, "v."+f.Sel); c != "" {
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
		stmt, fail := g.encode(&f.Type, "v."+f.Sel, "e")
		if fail {
			w("if err := %s; err != nil {", stmt)
			w("return bridge.FieldError(%s, %s, %s, %s, err)", q(d.Name), q(f.Key), q(f.Name), q(f.Go))
			w("}")
		} else {
			w("%s", stmt)
		}
		if conds[i] != "" {
			w("}")
		}
	}
	if fails {
		w("return nil")
	}
	w("}")
}

// nonEmpty is the condition under which an omitempty field is written,
// as encoding/json decides emptiness; "" when the value is never empty.
func nonEmpty(t *scan.Type, x string) string {
	switch t.Kind {
	case scan.Basic:
		switch t.Under {
		case "bool":
			return "bool(" + x + ")"
		case "string":
			return x + ` != ""`
		}
		return x + " != 0"
	case scan.Duration:
		return x + " != 0"
	case scan.Bytes, scan.Slice, scan.Map, scan.Array, scan.BytesN:
		return "len(" + x + ") != 0"
	case scan.Pointer, scan.Handle, scan.Any, scan.Error:
		return x + " != nil"
	}
	return ""
}

// typeHelpers writes the dec_ and enc_ helpers, sorted by name. Writing
// one never asks for a new one: each helper's body is built when it is
// first asked for.
func (g *goGen) typeHelpers() {
	for _, m := range []map[string]string{g.decHelpers, g.encHelpers} {
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
