package gen

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/usegolib/usegolib/go/bridge"
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
// expression of a *bridge.Encoder and depth the expression of the depth at
// which x sits in the reply (docs/abi.md section 6: the reply array is depth
// 1). When fails is true the statement is an expression of type error
// instead: only the encoders of deep types (takesDepth) fail, when a value
// nests deeper than bridge.MaxDepth or an `any` holds what the wire cannot
// carry.
func (g *goGen) encode(t *scan.Type, x, e, depth string) (stmt string, fails bool) {
	if g.takesDepth(t) {
		switch t.Kind {
		case scan.Any:
			return "e.Any(" + x + ", " + depth + ")", true
		case scan.Time:
			return "e.TimeAt(" + x + ", " + depth + ")", true
		case scan.Error:
			return "e.ErrorValueAt(" + x + ", " + depth + ")", true
		}
		return "enc_" + g.needEncHelper(t) + "(" + e + ", " + x + ", " + depth + ")", true
	}
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
	case scan.Handle:
		return "bridge.EncodeHandle(" + e + ", " + x + ")", false
	case scan.Any:
		panic("gen: any is always deep")
	}
	return "enc_" + g.needEncHelper(t) + "(" + e + ", " + x + ")", false
}

// Depth (docs/abi.md section 6). A reply nests at most bridge.MaxDepth
// containers. The values of most types nest a fixed, small number of levels,
// so their encoders need no check; but a recursive record (type Node struct
// { Next *Node }) can nest without bound, and a cyclic value (a ring of
// pointers) forever, and so can an `any`. Such a type is deep, and so is
// every type inside a deep one: their enc_ helpers take the depth at which
// the value sits and return bridge.TooDeep before opening a container deeper
// than bridge.MaxDepth. The check costs a compare per container and an int
// argument; the error path (the path to the value, cycle detection) is in
// bridge/encerr.go.

// unbounded is the nesting of a type whose values can nest without bound.
const unbounded = math.MaxInt

// maxStaticNesting is the deepest nesting a result's encoder can write without
// checking: a single result sits at depth 2, each of several at depth 3.
const maxStaticNesting = bridge.MaxDepth - 2

// typeKey identifies a type in the maps of goGen.
func typeKey(t *scan.Type) string { return t.Canon + "|" + t.Wire }

// nesting is the deepest nesting of containers a value of t can have: 0 for
// a scalar, 1 for []int, unbounded for any and recursive records.
func (g *goGen) nesting(t *scan.Type) int {
	add1 := func(n int) int {
		if n == unbounded {
			return n
		}
		return n + 1
	}
	switch t.Kind {
	case scan.Any:
		return unbounded
	case scan.Time, scan.Error:
		return 1
	case scan.Slice, scan.Array, scan.Map:
		return add1(g.nesting(t.Elem))
	case scan.Pointer:
		return g.nesting(t.Elem)
	case scan.Record:
		if n, ok := g.nest[t.Key]; ok {
			if n < 0 { // met again while its fields are looked at: recursive
				return unbounded
			}
			return n
		}
		g.nest[t.Key] = -1
		n := 0
		for i := range g.types[t.Key].Fields {
			n = max(n, g.nesting(&g.types[t.Key].Fields[i].Type))
		}
		g.nest[t.Key] = add1(n)
		return g.nest[t.Key]
	}
	return 0
}

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
	switch t.Kind {
	case scan.Slice, scan.Array, scan.Map, scan.Pointer:
		g.markDeep(t.Elem, inDeep)
	case scan.Record:
		for i := range g.types[t.Key].Fields {
			g.markDeep(&g.types[t.Key].Fields[i].Type, inDeep)
		}
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
		switch t.Kind {
		case scan.Slice, scan.Array, scan.Map, scan.Pointer:
			v = g.takesDepth(t.Elem)
		case scan.Record:
			for i := range g.types[t.Key].Fields {
				v = v || g.takesDepth(&g.types[t.Key].Fields[i].Type)
			}
		}
		g.takes[k] = v
	}
	return v
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
	deep := g.takesDepth(t)
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	// sig writes the signature and, for a deep container, the depth check;
	// v names the value.
	sig := func(v string, container bool) {
		if !deep {
			w("func enc_%s(e *bridge.Encoder, %s %s) {", name, v, goType)
			return
		}
		w("func enc_%s(e *bridge.Encoder, %s %s, depth int) error {", name, v, goType)
		if container {
			w("if depth > bridge.MaxDepth {")
			w("return bridge.TooDeep()")
			w("}")
		}
	}
	// elem writes the statement for one element at depth inner; wrap makes
	// the error of a failing one.
	elem := func(t *scan.Type, x, inner, wrap string) {
		stmt, f := g.encode(t, x, "e", inner)
		if !f {
			w("%s", stmt)
			return
		}
		w("if err := %s; err != nil {", stmt)
		w("return %s", wrap)
		w("}")
	}
	end := func() {
		if deep {
			w("return nil")
		}
		w("}")
	}
	at := ""
	if deep {
		at = " at depth depth"
	}
	w("")
	switch t.Kind {
	case scan.Slice, scan.Array:
		what, wrap := "nil is written as an empty array", "bridge.AtElem(s, i, err)"
		if t.Kind == scan.Array {
			what, wrap = fmt.Sprintf("an array of %d elements", t.Len), "bridge.AtIndex(i, err)"
		}
		w("// enc_%s writes a %s%s: %s.", name, goType, at, what)
		sig("s", true)
		w("e.ListLen(len(s))")
		w("for i := range s {")
		elem(t.Elem, "s[i]", "depth+1", wrap)
		w("}")
		end()
	case scan.BytesN:
		w("// enc_%s writes a %s as a bin.", name, goType)
		sig("a", false)
		w("e.Bytes(a[:])")
		end()
	case scan.Map:
		key := "k"
		if t.MapKey.Named {
			key = "string(k)"
		}
		w("// enc_%s writes a %s%s, keys in byte-wise order; nil is written as an empty map.", name, goType, at)
		sig("m", true)
		w("e.MapLen(len(m))")
		w("for _, k := range bridge.SortedKeys(m) {")
		w("e.String(%s)", key)
		w("v := m[k]")
		elem(t.Elem, "v", "depth+1", "bridge.AtKey(m, k, err)")
		w("}")
		end()
	case scan.Pointer:
		w("// enc_%s writes a %s%s: nil, or the value it points to.", name, goType, at)
		sig("p", false)
		w("if p == nil {")
		w("e.Nil()")
		if deep {
			w("return nil")
		} else {
			w("return")
		}
		w("}")
		elem(t.Elem, "*p", "depth", "bridge.AtPointer(p, err)")
		end()
	case scan.Record:
		w("// enc_%s writes the record %s%s.", name, g.types[t.Key].Key, at)
		sig("v", true)
		g.recordEncoder(&b, g.types[t.Key])
		end()
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

// recordEncoder writes the body of the encoder of a record: the fields in
// order, less the empty omitempty ones and those behind a nil embedded
// pointer. In a deep encoder the fields sit at depth+1.
func (g *goGen) recordEncoder(b *strings.Builder, d *scan.TypeDef) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	q := strconv.Quote
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
