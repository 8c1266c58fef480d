package gen

import (
	"bytes"
	"fmt"
	"go/token"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/usegolib/usegolib/go/scan"
)

// mainSource returns the unformatted main.go of the bridge. Its shape:
//
//	package main
//	import "C"; import (p0 "<pkg>"; ...; "usegolib_bridge/bridge")
//	var _ func(int, int) int = p0.AddInt          // compile-time signature guards
//	var usegolibBridge = bridge.New([]bridge.Func{...}, map[string]string{...})
//	func fn0_AddInt(d bridge.Decoder, e bridge.Encoder) (bridge.Encoder, error) { ... }  // one per function
//	func decSlice_int8(d *bridge.Decoder) ([]int8, error) { ... }          // helpers (helpers.go)
//	func enc_p0_Point(e *bridge.Encoder, v p0.Point) { ... }
//	//export usegolib_call
//	func usegolib_call(...) C.int32_t { ... }
//	func main() {}
//
// The body (from the guards to the helpers) is generated first; then
// templates/main.go.tmpl puts it between the import block the body asked
// for and the cgo export. Every function of res is supported (scan decided
// that); types are spelled from scan.Type.Canon, with predeclared names
// only.
func mainSource(t Target, res *scan.Result) []byte {
	g := newGoGen(res)
	type fn struct {
		id      int
		alias   string
		pkgPath string
		f       *scan.Func
	}
	var funcs []fn
	var skipped []string
	for _, p := range res.Packages {
		for _, s := range p.Skipped {
			skipped = append(skipped, fmt.Sprintf("%s: %s,", strconv.Quote(p.Path+"."+s.Name), strconv.Quote(s.Reason)))
		}
		if len(p.Funcs) == 0 {
			continue // importing it would be an unused import
		}
		a := g.imports.call(p.Path)
		for _, f := range p.Funcs {
			funcs = append(funcs, fn{id: len(funcs), alias: a, pkgPath: p.Path, f: f})
		}
	}
	// The other packages whose types the adapters name (dependencies,
	// packages of the module with types but no entries) are imported only
	// if the generated code names them in the end.
	g.imports.name(res)

	g.p("")
	if len(funcs) > 0 {
		g.p("// Compile-time signature guards: a type error here means the module's API")
		g.p("// changed after the scan; rebuild the artifact.")
		for _, f := range funcs {
			if guard := g.guard(f.alias, f.f); guard != "" {
				g.p("%s", guard)
			}
		}
		g.p("")
	}

	g.p("// usegolibBridge dispatches requests to the functions below, by id (the")
	g.p("// index in this table, as in the schema) or by qualified name.")
	g.p("var usegolibBridge = bridge.New([]bridge.Func{")
	for _, f := range funcs {
		var params []string
		for _, v := range f.f.Params {
			params = append(params, fmt.Sprintf("{Name: %s, GoType: %s}", strconv.Quote(v.Name), strconv.Quote(v.Go)))
		}
		g.p("{ // %d", f.id)
		g.p("Name: %s,", strconv.Quote(f.pkgPath+"."+f.f.Name))
		g.p("Params: []bridge.Param{%s},", strings.Join(params, ", "))
		g.p("Call: %s,", adapterName(f.id, f.f))
		g.p("},")
	}
	g.p("}, map[string]string{")
	for _, s := range skipped {
		g.p("%s", s)
	}
	g.p("})")

	for _, f := range funcs {
		for i := range f.f.Results {
			g.markDeep(&f.f.Results[i].Type, false)
		}
		for i := range f.f.Params {
			if outSlotKind(f.f, i) == "Pointer" {
				g.markDeep(f.f.Params[i].Type.Elem, false) // written back as a result is
			}
		}
	}
	// A host callable's arguments are written as results are.
	for _, key := range slices.Sorted(maps.Keys(res.Types)) {
		for _, cb := range res.Types[key].Callbacks() {
			for i := range cb.Params {
				g.markDeep(&cb.Params[i].Type, false)
			}
		}
	}
	refs := g.refRecords()
	// The entries with a scalar form, at their scalar index (the schema's, scalarIndices).
	scalarIdx := scalarIndices(res)
	scalars := make([]scalarEntry, len(scalarIdx))
	for _, f := range funcs {
		g.adapter(f.id, f.alias, f.pkgPath, f.f)
		if i, ok := scalarIdx[f.f]; ok {
			scalars[i] = scalarEntry{id: f.id, alias: f.alias, f: f.f}
		}
	}
	g.scalarCalls(scalars) // scalar_call.go
	g.refTypes(refs)
	g.anyHandles()
	g.writeHelpers()
	return execute("main.go.tmpl", map[string]any{
		"Header":  header(t),
		"Imports": g.imports.specs(),
		"Body":    g.buf.String(),
	})
}

type goGen struct {
	buf     bytes.Buffer // the body of main.go
	imports *imports
	types   map[string]*scan.TypeDef // scan.Result.Types

	decSlices   map[string]string // decSlice_<name> helpers (kind_slice.go) -> code
	encSlices   map[string]string // encSlice_<name> helpers -> code
	decHelpers  map[string]string // dec_<name> helpers (helpers.go) -> code
	encHelpers  map[string]string // enc_<name> helpers -> code
	hostMakers  map[string]string // host_<name> func wrappers of host callables (kind_func.go) -> code
	helperTypes map[string]string // helper name -> the type it is for
	nest        map[string]int    // record key -> nesting (-1 while computed)
	deep        map[string]bool   // typeKey -> the type is deep (takes a depth)
	shallow     map[string]bool   // typeKey -> markDeep met it outside a deep type
	takes       map[string]bool   // typeKey -> takesDepth
}

func newGoGen(res *scan.Result) *goGen {
	return &goGen{
		imports:     newImports(),
		types:       res.Types,
		decSlices:   map[string]string{},
		encSlices:   map[string]string{},
		decHelpers:  map[string]string{},
		encHelpers:  map[string]string{},
		hostMakers:  map[string]string{},
		helperTypes: map[string]string{},
		nest:        map[string]int{},
		deep:        map[string]bool{},
		shallow:     map[string]bool{},
		takes:       map[string]bool{},
	}
}

func (g *goGen) p(format string, args ...any) {
	fmt.Fprintf(&g.buf, format, args...)
	g.buf.WriteByte('\n')
}

// adapterName names the Call adapter of entry id: fn3_AddInt, fn7_Counter_Add.
func adapterName(id int, f *scan.Func) string {
	name := strings.Map(func(r rune) rune {
		if r == '_' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9') || r >= 0x80 {
			return r
		}
		return '_'
	}, f.Name)
	return fmt.Sprintf("fn%d_%s", id, name)
}

// paramTypes spells the types of params, the last one ...T when variadic.
func (g *goGen) paramTypes(params []scan.Var, variadic bool) []string {
	out := make([]string, len(params))
	for i, v := range params {
		out[i] = g.spell(v.Type.Canon)
		if variadic && i == len(params)-1 {
			// The last parameter is an unnamed []T; []byte has no Elem (it is the bytes kind).
			out[i] = "..." + strings.TrimPrefix(out[i], "[]")
		}
	}
	return out
}

// funcType spells f's type for the signature guard: func(int, int) int. A
// method's type has its receiver first, as a method expression has.
func (g *goGen) funcType(f *scan.Func) string {
	params := g.paramTypes(f.Params, f.Variadic)
	var results []string
	for _, v := range f.Results {
		results = append(results, g.spell(v.Type.Canon))
	}
	if f.Error {
		results = append(results, "error")
	}
	s := "func(" + strings.Join(params, ", ") + ")"
	switch len(results) {
	case 0:
	case 1:
		s += " " + results[0]
	default:
		s += " (" + strings.Join(results, ", ") + ")"
	}
	return s
}

// guard is the compile-time signature guard of an entry, "" for none.
func (g *goGen) guard(alias string, f *scan.Func) string {
	switch f.Kind {
	case scan.KindFunc:
		return fmt.Sprintf("var _ %s = %s.%s%s", g.funcType(f), alias, f.GoName, g.typeArgs(f))
	case scan.KindMethod:
		if f.FieldSel != "" {
			return "" // a field accessor: the assignment checks the field's type
		}
		recv := g.spell(f.Params[0].Type.Canon)
		ft := g.funcType(f)
		if f.PtrRecv || f.Params[0].Type.Kind == scan.Record {
			// (*T).M takes a *T: a value type's pointer method, or a record's method (called on
			// a local copy, through *T whatever its receiver).
			ft = strings.Replace(ft, "func(", "func(*", 1)
			recv = "*" + recv
		}
		if strings.HasPrefix(recv, "*") {
			recv = "(" + recv + ")"
		}
		return fmt.Sprintf("var _ %s = %s.%s", ft, recv, f.GoName)
	case scan.KindVar:
		if f.VarAddr {
			return fmt.Sprintf("var _ %s = &%s.%s", g.spell(f.Results[0].Type.Canon), alias, f.GoName)
		}
		return fmt.Sprintf("var _ %s = %s.%s", g.spell(f.Results[0].Type.Canon), alias, f.GoName)
	}
	return ""
}

// typeArgs spells the type arguments of a generic instantiation: [int64, p0.Point].
func (g *goGen) typeArgs(f *scan.Func) string {
	if f.Generic == nil {
		return ""
	}
	var args []string
	for _, c := range f.Generic.Canon {
		args = append(args, g.spell(c))
	}
	return "[" + strings.Join(args, ", ") + "]"
}

// adapter writes the Call adapter of one entry: it reads the arguments,
// calls the function (method, variable, constructor) and writes the
// results.
func (g *goGen) adapter(id int, alias, pkgPath string, f *scan.Func) {
	g.p("")
	g.p("// %s calls %s.%s.", adapterName(id, f), pkgPath, f.Name)
	g.p("func %s(d bridge.Decoder, e bridge.Encoder) (bridge.Encoder, error) {", adapterName(id, f))
	var args []string
	outs := hasOutSlots(f)
	if outs {
		g.p("var outs bridge.Outs // out-parameters (docs/abi.md section 8.6)")
	}
	for i, v := range f.Params {
		a := "a" + strconv.Itoa(i)
		call, conv := g.decode(&v.Type, "&d")
		if (f.Kind == scan.KindMethod || f.Kind == scan.KindCall) && i == 0 && isHandleRecv(&v.Type) {
			call = fmt.Sprintf("bridge.DecodeReceiver[%s](&d, %s)", g.spell(v.Type.Canon), strconv.Quote(v.Go))
		} else if k := outSlotKind(f, i); k == "Slice" {
			call = g.sliceArg(&v.Type, i, v.InPlace)
		} else if k == "Pointer" {
			call = g.pointerArg(&v.Type, i)
		} else if v.InPlace && v.Type.Kind == scan.Basic && v.Type.Under == "string" {
			call = "bridge.BorrowString(&d) // read in place (docs/abi.md section 8.12)"
		} else if k == "Bytes" && v.InPlace {
			call = fmt.Sprintf("bridge.BorrowBytesArg(&d, &outs, %d) // read in place (docs/abi.md section 8.12)", i)
		} else if k != "" {
			call = fmt.Sprintf("bridge.Decode%sArg(&d, &outs, %d)", k, i)
		}
		g.p("%s, err := %s", a, call)
		g.p("if err != nil {")
		g.p("return e, bridge.ArgError(%d, err)", i)
		g.p("}")
		if u, ok := unitOf(v.Type.Kind).(endingUnit); ok {
			g.p("%s", u.end(a))
		}
		if f.Kind == scan.KindMethod && i == 0 && !isHandleRecv(&v.Type) {
			// A value type's receiver (docs/abi.md section 8.8): a variable, so that a pointer
			// method is called on its address (a copy of what the host sent).
			g.p("recv := %s", conv(a))
			args = append(args, "recv")
			continue
		}
		args = append(args, conv(a))
	}
	if f.Variadic {
		args[len(args)-1] += "..."
	}
	var call string
	switch f.Kind {
	case scan.KindMethod:
		call = callExpr(f, alias, "", args)
	case scan.KindCall:
		call = fmt.Sprintf("%s(%s)", args[0], strings.Join(args[1:], ", "))
	case scan.KindVar:
		call = alias + "." + f.GoName
		if f.VarAddr {
			call = "&" + call
		}
	case scan.KindConstructor:
		g.p("if a0 == nil {")
		g.p("a0 = new(%s)", g.spell(strings.TrimPrefix(f.Params[0].Type.Canon, "*")))
		g.p("}")
		call = "a0"
	default:
		call = callExpr(f, alias, g.typeArgs(f), args)
	}
	goErr := "bridge.GoError(err)"
	if outs {
		goErr = "bridge.GoErrorOuts(err, &outs)"
	}
	rs := g.callResults(f, call, "return e, "+goErr)
	depth := "2" // of a result in the reply [0, result]
	if len(rs) > 1 {
		depth = "3" // [0, [r0, r1, ...]]
	}
	result := func(i int) {
		stmt, fails := g.encode(&f.Results[i].Type, rs[i], "&e", depth)
		if k := packedKind(&f.Results[i].Type); k != 0 {
			// Packed when the host asked (op 6, docs/abi.md section 8.10).
			g.p("if d.PackResults() {")
			g.p("bridge.EncodePacked(&e, '%c', %s)", k, rs[i])
			g.p("} else {")
			defer g.p("}")
		}
		if !fails {
			g.p("%s", stmt)
			return
		}
		g.p("if err := %s; err != nil {", stmt)
		g.p("return e, bridge.ResultError(%d, err)", i)
		g.p("}")
	}
	switch len(rs) {
	case 0:
		g.p("e.Nil()")
	case 1:
		result(0)
	default:
		g.p("e.ListLen(%d)", len(rs))
		for i := range rs {
			result(i)
		}
	}
	if outs {
		g.p("return bridge.WithOuts(e, &outs)")
	} else {
		g.p("return e, nil")
	}
	g.p("}")
}

// callResults writes the call of f, its results assigned to r0, r1..., and on a non-nil
// trailing error the statement fail; it returns the results' names.
func (g *goGen) callResults(f *scan.Func, call, fail string) []string {
	var rs []string
	for i := range f.Results {
		rs = append(rs, "r"+strconv.Itoa(i))
	}
	switch {
	case len(rs) == 0 && !f.Error:
		g.p("%s", call)
	case len(rs) == 0:
		g.p("if err := %s; err != nil {", call)
		g.p("%s", fail)
		g.p("}")
	case !f.Error:
		g.p("%s := %s", strings.Join(rs, ", "), call)
	default:
		g.p("%s, err := %s", strings.Join(rs, ", "), call)
		g.p("if err != nil {")
		g.p("%s", fail)
		g.p("}")
	}
	return rs
}

// outSlotKind says whether parameter i of f may receive an out slot (docs/abi.md section 8.6)
// and how it is read: "Any" for an `any` parameter (a Ref), "Bytes" for a []byte one (an in/out
// buffer), "Pointer" for a *T one (a Ref of T), "" for the others (a receiver, a variadic
// parameter and a constructor's fields never do).
func outSlotKind(f *scan.Func, i int) string {
	if (f.Kind == scan.KindMethod || f.Kind == scan.KindCall) && i == 0 || f.Variadic && i == len(f.Params)-1 {
		return ""
	}
	switch t := &f.Params[i].Type; t.Kind {
	case scan.Any:
		return "Any"
	case scan.Pointer:
		if f.Kind != scan.KindConstructor {
			return "Pointer"
		}
	case scan.Bytes:
		return "Bytes"
	case scan.Slice:
		if t.Elem.Kind == scan.Basic && fixedWidthNumbers[t.Elem.Wire] {
			return "Slice"
		}
	}
	return ""
}

// fixedWidthNumbers are the element wire types of the slices that take in/out buffers
// (array.array, memoryview): []byte is the bytes kind.
var fixedWidthNumbers = map[string]bool{
	"int8": true, "int16": true, "int32": true, "int64": true,
	"uint16": true, "uint32": true, "uint64": true, "float32": true, "float64": true,
}

// encodeReturn is the body of a func(e *bridge.Encoder, ..., depth int) error that encodes x,
// of type t, and returns its error (nil when encoding t cannot fail).
func (g *goGen) encodeReturn(t *scan.Type, x string) string {
	stmt, fails := g.encode(t, x, "e", "depth")
	if fails {
		return "return " + stmt
	}
	return stmt + "\nreturn nil"
}

// sliceArg is the call that reads argument i, a slice of fixed-width numbers t, as plain
// value or in/out buffer (bridge.DecodeSliceArg), with its decoder and encoder; in place
// (bridge.BorrowSliceArg, docs/abi.md section 8.12) when the compiler proves the function does
// not keep it.
func (g *goGen) sliceArg(t *scan.Type, i int, inPlace bool) string {
	goType := g.spell(t.Canon)
	call, conv := g.decode(t, "d")
	enc := g.encodeReturn(t, "v")
	fn := "DecodeSliceArg"
	if inPlace {
		fn = "BorrowSliceArg"
	}
	return fmt.Sprintf("bridge.%s(&d, &outs, %d, %s, '%c', func(d *bridge.Decoder) (%s, error) {\nv, err := %s\nreturn %s, err\n}, func(e *bridge.Encoder, v %s, depth int) error {\n%s\n})",
		fn, i, strconv.Quote(t.Wire), packedKind(t), goType, call, conv("v"), goType, enc)
}

// pointerArg is the call that reads argument i, a *T, as plain value or Ref of T
// (bridge.DecodePointerArg), with the pointer's decoder and T's encoder.
func (g *goGen) pointerArg(t *scan.Type, i int) string {
	call, conv := g.decode(t, "d")
	enc := g.encodeReturn(t.Elem, "v")
	return fmt.Sprintf("bridge.DecodePointerArg(&d, &outs, %d, %s, func(d *bridge.Decoder) (%s, error) {\nv, err := %s\nreturn %s, err\n}, func(e *bridge.Encoder, v %s, depth int) error {\n%s\n})",
		i, strconv.Quote(t.Elem.Wire), g.spell(t.Canon), call, conv("v"), g.spell(t.Elem.Canon), enc)
}

// hasOutSlots says whether a parameter of f may receive an out slot.
func hasOutSlots(f *scan.Func) bool {
	for i := range f.Params {
		if outSlotKind(f, i) != "" {
			return true
		}
	}
	return false
}

// refRecords returns the record types of the schema, sorted by key, each as the type a Ref of
// it points to (docs/abi.md section 8.6), marked for the depth facts as results are.
func (g *goGen) refRecords() []*scan.Type {
	var out []*scan.Type
	for _, key := range slices.Sorted(maps.Keys(g.types)) {
		td := g.types[key]
		if td.Kind != "record" {
			continue
		}
		t := &scan.Type{Wire: "@" + key, Canon: td.Canon, Kind: scan.Record, Key: key}
		g.markDeep(t, false)
		out = append(out, t)
	}
	return out
}

// refTypes writes, for each record type, the maker of its Ref values and its registration
// with the bridge: a pointer to a fresh value, from nil (the zero value) or the record's map,
// and the writer of its final value.
func (g *goGen) refTypes(refs []*scan.Type) {
	for _, t := range refs {
		name := "ref_" + g.aliasName(t.Canon)
		call, conv := g.decode(t, "d")
		g.p("")
		g.p("// %s makes the value of a Ref of the record type %s (docs/abi.md section 8.6).", name, t.Key)
		g.p("func %s(d *bridge.Decoder) (any, func(*bridge.Encoder, int) error, error) {", name)
		g.p("p := new(%s)", g.spell(t.Canon))
		g.p("if !d.Nil() {")
		g.p("v, err := %s", call)
		g.p("if err != nil {")
		g.p("return nil, nil, err")
		g.p("}")
		g.p("*p = %s", conv("v"))
		g.p("}")
		g.p("return p, func(e *bridge.Encoder, depth int) error {")
		g.p("%s", g.encodeReturn(t, "*p"))
		g.p("}, nil")
		g.p("}")
		g.p("")
		g.p("var _ = bridge.RegisterRefType(%s, %s)", strconv.Quote(t.Key), name)
	}
}

// isHandleRecv reports whether a method's receiver t is a handle (read with DecodeReceiver),
// rather than a value type's value (docs/abi.md section 8.8).
func isHandleRecv(t *scan.Type) bool { return t.Kind == scan.Handle || t.Kind == scan.FuncValue }

// anyHandles registers with the bridge each handle type that a value inside `any` can have as
// its dynamic type (a pointer to a named type, or a named func type), so that such a value
// travels as a Go object of its type (docs/abi.md section 8.9). Interfaces are never dynamic
// types; unexported types and types of internal packages cannot be spelled here.
func (g *goGen) anyHandles() {
	for _, key := range slices.Sorted(maps.Keys(g.types)) {
		td := g.types[key]
		if td.Kind != "handle" || td.Interface || !token.IsExported(td.Name) || internalPath(td.Package) {
			continue
		}
		spelled := g.spell(td.Canon)
		if strings.HasPrefix(td.Go, "*") {
			spelled = "*" + spelled
		}
		g.p("")
		g.p("var _ = bridge.RegisterAnyHandle[%s](%s)", spelled, strconv.Quote(key))
	}
}

// internalPath reports whether an import path has an internal element.
func internalPath(path string) bool {
	return slices.Contains(strings.Split(path, "/"), "internal")
}

// callExpr is the Go that calls entry f, a function of the package imported as alias (with
// typeArgs, "[...]" or "") or a method of args[0], on args: a method call, a field read
// (FieldSel), or for a field setter the assignment, a statement without results. The general
// form's adapters and the scalar form's dispatcher (scalar_call.go) both call entries with it.
func callExpr(f *scan.Func, alias, typeArgs string, args []string) string {
	switch {
	case f.Kind != scan.KindMethod:
		return fmt.Sprintf("%s.%s%s(%s)", alias, f.GoName, typeArgs, strings.Join(args, ", "))
	case f.SetField:
		return fmt.Sprintf("%s.%s = %s", args[0], f.FieldSel, args[1])
	case f.FieldSel != "":
		return args[0] + "." + f.FieldSel
	}
	return fmt.Sprintf("%s.%s(%s)", args[0], f.GoName, strings.Join(args[1:], ", "))
}
