package gen

import (
	"bytes"
	"fmt"
	"sort"
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
//	func fn0_AddInt(d *bridge.Decoder, e *bridge.Encoder) error { ... }   // one per function
//	func decSlice_int8(d *bridge.Decoder) ([]int8, error) { ... }          // per slice type
//	func encSlice_int8(e *bridge.Encoder, s []int8) { ... }
//	//export usegolib_call
//	func usegolib_call(...) C.int32_t { ... }
//	func main() {}
//
// Every function of res is supported (scan decided that); types are spelled
// from scan.Type.Canon, with predeclared names only.
func mainSource(t Target, res *scan.Result) []byte {
	g := newGoGen(res)
	g.p("%s", header(t))
	g.p("")
	g.p("package main")
	g.p("")
	g.p("// #include <stddef.h>")
	g.p("// #include <stdint.h>")
	g.p(`// #include "usegolib_bridge.h"`)
	g.p(`import "C"`)
	g.p("")
	g.p("import (")
	g.p(`"unsafe"`)
	g.p("")

	type fn struct {
		id      int
		alias   string
		pkgPath string
		f       *scan.Func
	}
	var funcs []fn
	var skipped []string
	alias := 0
	for _, p := range res.Packages {
		for _, s := range p.Skipped {
			skipped = append(skipped, fmt.Sprintf("%s: %s,", strconv.Quote(p.Path+"."+s.Name), strconv.Quote(s.Reason)))
		}
		if len(p.Funcs) == 0 {
			continue // importing it would be an unused import
		}
		a := "p" + strconv.Itoa(alias)
		alias++
		g.p("%s %s", a, strconv.Quote(p.Path))
		g.aliases[p.Path] = a
		for _, f := range p.Funcs {
			funcs = append(funcs, fn{id: len(funcs), alias: a, pkgPath: p.Path, f: f})
		}
	}
	// The other packages whose types the adapters name (dependencies,
	// packages of the module with types but no entries), sorted by path.
	// They are imported only if the generated code names them in the end.
	var extra []string
	for _, path := range referencedPaths(res) {
		if _, ok := g.aliases[path]; !ok {
			g.aliases[path] = "p" + strconv.Itoa(alias)
			alias++
			extra = append(extra, path)
		}
	}
	g.p("%s", extraImports)
	g.p("")
	g.p(`"usegolib_bridge/bridge"`)
	g.p(")")
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
	}
	for _, f := range funcs {
		g.adapter(f.id, f.alias, f.pkgPath, f.f)
	}
	g.sliceHelpers()
	g.typeHelpers()
	g.p("%s", exportSource)
	var imports []string
	for _, path := range extra {
		if g.used[path] {
			imports = append(imports, g.aliases[path]+" "+strconv.Quote(path))
		}
	}
	return bytes.Replace(g.buf.Bytes(), []byte(extraImports), []byte(strings.Join(imports, "\n")), 1)
}

type goGen struct {
	buf       bytes.Buffer
	decSlices map[string]bool // canonical slice types that need a decSlice_ helper
	encSlices map[string]bool // ... an encSlice_ helper

	aliases     map[string]string        // import path -> alias
	types       map[string]*scan.TypeDef // scan.Result.Types
	decHelpers  map[string]string        // dec_<name> helpers (types.go) -> code
	encHelpers  map[string]string        // enc_<name> helpers -> code
	helperTypes map[string]string        // helper name -> the type it is for
	nest        map[string]int           // record key -> nesting (-1 while computed)
	deep        map[string]bool          // typeKey -> the type is deep (takes a depth)
	shallow     map[string]bool          // typeKey -> markDeep met it outside a deep type
	takes       map[string]bool          // typeKey -> takesDepth
	used        map[string]bool          // import paths spell has named
}

// extraImports marks where the imports of packages that only types name go.
const extraImports = "// usegolib: extra imports"

func newGoGen(res *scan.Result) *goGen {
	return &goGen{
		decSlices:   map[string]bool{},
		encSlices:   map[string]bool{},
		aliases:     map[string]string{},
		types:       res.Types,
		decHelpers:  map[string]string{},
		encHelpers:  map[string]string{},
		helperTypes: map[string]string{},
		nest:        map[string]int{},
		deep:        map[string]bool{},
		shallow:     map[string]bool{},
		takes:       map[string]bool{},
		used:        map[string]bool{},
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

// funcType spells f's type for the signature guard: func(int, int) int. A
// method's type has its receiver first, as a method expression has.
func (g *goGen) funcType(f *scan.Func) string {
	var params, results []string
	for i, v := range f.Params {
		t := g.spell(v.Type.Canon)
		if f.Variadic && i == len(f.Params)-1 {
			t = "..." + g.spell(v.Type.Elem.Canon)
		}
		params = append(params, t)
	}
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
		recv := g.spell(f.Params[0].Type.Canon)
		if strings.HasPrefix(recv, "*") {
			recv = "(" + recv + ")"
		}
		return fmt.Sprintf("var _ %s = %s.%s", g.funcType(f), recv, f.GoName)
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
	for i, v := range f.Params {
		a := "a" + strconv.Itoa(i)
		call, conv := g.decode(&v.Type, "&d")
		if f.Kind == scan.KindMethod && i == 0 {
			call = fmt.Sprintf("bridge.DecodeReceiver[%s](&d, %s)", g.spell(v.Type.Canon), strconv.Quote(v.Go))
		}
		g.p("%s, err := %s", a, call)
		g.p("if err != nil {")
		g.p("return e, bridge.ArgError(%d, err)", i)
		g.p("}")
		args = append(args, conv(a))
	}
	if f.Variadic {
		args[len(args)-1] += "..."
	}
	var call string
	switch f.Kind {
	case scan.KindMethod:
		call = fmt.Sprintf("%s.%s(%s)", args[0], f.GoName, strings.Join(args[1:], ", "))
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
		call = fmt.Sprintf("%s.%s%s(%s)", alias, f.GoName, g.typeArgs(f), strings.Join(args, ", "))
	}
	var rs []string
	for i := range f.Results {
		rs = append(rs, "r"+strconv.Itoa(i))
	}
	switch {
	case len(rs) == 0 && !f.Error:
		g.p("%s", call)
	case len(rs) == 0:
		g.p("if err := %s; err != nil {", call)
		g.p("return e, bridge.GoError(err)")
		g.p("}")
	case !f.Error:
		g.p("%s := %s", strings.Join(rs, ", "), call)
	default:
		g.p("%s, err := %s", strings.Join(rs, ", "), call)
		g.p("if err != nil {")
		g.p("return e, bridge.GoError(err)")
		g.p("}")
	}
	depth := "2" // of a result in the reply [0, result]
	if len(rs) > 1 {
		depth = "3" // [0, [r0, r1, ...]]
	}
	result := func(i int) {
		stmt, fails := g.encode(&f.Results[i].Type, rs[i], "&e", depth)
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
	g.p("return e, nil")
	g.p("}")
}

// referencedPaths returns, sorted, the import paths that the types of res
// name: those of its entries, and of the fields of its records.
func referencedPaths(res *scan.Result) []string {
	seen := map[string]bool{}
	add := func(canon string) {
		for _, p := range importPaths(canon) {
			seen[p] = true
		}
	}
	var visit func(t *scan.Type)
	visit = func(t *scan.Type) {
		for ; t != nil; t = t.Elem {
			add(t.Canon)
			if t.MapKey != nil {
				add(t.MapKey.Canon)
			}
		}
	}
	for _, p := range res.Packages {
		for _, f := range p.Funcs {
			for i := range f.Params {
				visit(&f.Params[i].Type)
			}
			for i := range f.Results {
				visit(&f.Results[i].Type)
			}
			if f.Generic != nil {
				for _, c := range f.Generic.Canon {
					add(c)
				}
			}
		}
	}
	for _, d := range res.Types {
		add(d.Canon)
		for i := range d.Fields {
			visit(&d.Fields[i].Type)
		}
	}
	paths := make([]string, 0, len(seen))
	for p := range seen {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}

// decodeExpr is the Decoder call that reads a value of canonical type canon;
// d is the expression for a *bridge.Decoder. Its first result is converted to
// canon by convertExpr.
func (g *goGen) decodeExpr(canon, d string) string {
	switch canon {
	case "bool":
		return "d.Bool()"
	case "int", "int64":
		return "d.Int(64)"
	case "int8", "int16", "int32":
		return "d.Int(" + strings.TrimPrefix(canon, "int") + ")"
	case "uint", "uint64":
		return "d.Uint(64)"
	case "uint8", "uint16", "uint32":
		return "d.Uint(" + strings.TrimPrefix(canon, "uint") + ")"
	case "float32":
		return "d.Float32()"
	case "float64":
		return "d.Float64()"
	case "string":
		return "d.String()"
	case "[]byte":
		return "d.Bytes()"
	}
	elem, ok := strings.CutPrefix(canon, "[]")
	if !ok {
		panic("gen: unsupported type " + canon) // scan never lets one through
	}
	g.needDec(canon)
	return "decSlice_" + typeName(elem) + "(" + d + ")"
}

// convertExpr converts x, the first result of decodeExpr(canon), to canon.
func convertExpr(canon, x string) string {
	switch canon {
	case "int", "int8", "int16", "int32", "uint", "uint8", "uint16", "uint32":
		return canon + "(" + x + ")"
	}
	return x
}

// encodeStmt writes x, of canonical type canon, to the Encoder e; ep is the
// expression for a *bridge.Encoder.
func (g *goGen) encodeStmt(canon, x, ep string) string {
	switch canon {
	case "bool":
		return "e.Bool(" + x + ")"
	case "int64":
		return "e.Int(" + x + ")"
	case "int", "int8", "int16", "int32":
		return "e.Int(int64(" + x + "))"
	case "uint64":
		return "e.Uint(" + x + ")"
	case "uint", "uint8", "uint16", "uint32":
		return "e.Uint(uint64(" + x + "))"
	case "float32":
		return "e.Float32(" + x + ")"
	case "float64":
		return "e.Float64(" + x + ")"
	case "string":
		return "e.String(" + x + ")"
	case "[]byte":
		return "e.Bytes(" + x + ")"
	}
	elem, ok := strings.CutPrefix(canon, "[]")
	if !ok {
		panic("gen: unsupported type " + canon)
	}
	g.needEnc(canon)
	return "encSlice_" + typeName(elem) + "(" + ep + ", " + x + ")"
}

// typeName names a canonical type in helper names: int8, bytes ([]byte),
// int64s ([]int64), bytess ([][]byte).
func typeName(canon string) string {
	if canon == "[]byte" {
		return "bytes"
	}
	if elem, ok := strings.CutPrefix(canon, "[]"); ok {
		return typeName(elem) + "s"
	}
	return canon
}

func (g *goGen) needDec(canon string) {
	if g.decSlices[canon] {
		return
	}
	g.decSlices[canon] = true
	g.decodeExpr(strings.TrimPrefix(canon, "[]"), "d") // the element's helper, if it is a slice
}

func (g *goGen) needEnc(canon string) {
	if g.encSlices[canon] {
		return
	}
	g.encSlices[canon] = true
	g.encodeStmt(strings.TrimPrefix(canon, "[]"), "v", "e")
}

// sliceHelpers writes the decSlice_ and encSlice_ helpers, sorted by name.
func (g *goGen) sliceHelpers() {
	for _, canon := range sortedKeys(g.decSlices) {
		elem := strings.TrimPrefix(canon, "[]")
		g.p("")
		g.p("// decSlice_%s reads a %s; nil gives a nil slice.", typeName(elem), canon)
		g.p("func decSlice_%s(d *bridge.Decoder) (%s, error) {", typeName(elem), canon)
		g.p("n, isNil, err := d.ListLen()")
		g.p("if err != nil || isNil {")
		g.p("return nil, err")
		g.p("}")
		g.p("s := make(%s, n)", canon)
		g.p("for i := range s {")
		g.p("v, err := %s", g.decodeExpr(elem, "d"))
		g.p("if err != nil {")
		g.p("return nil, bridge.ElemError(i, err)")
		g.p("}")
		g.p("s[i] = %s", convertExpr(elem, "v"))
		g.p("}")
		g.p("return s, nil")
		g.p("}")
	}
	for _, canon := range sortedKeys(g.encSlices) {
		elem := strings.TrimPrefix(canon, "[]")
		g.p("")
		g.p("// encSlice_%s writes a %s; nil is written as an empty array.", typeName(elem), canon)
		g.p("func encSlice_%s(e *bridge.Encoder, s %s) {", typeName(elem), canon)
		g.p("e.ListLen(len(s))")
		g.p("for _, v := range s {")
		g.p("%s", g.encodeStmt(elem, "v", "e"))
		g.p("}")
		g.p("}")
	}
}

// sortedKeys returns the slice types of m sorted by helper name.
func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	name := func(canon string) string { return typeName(strings.TrimPrefix(canon, "[]")) }
	sort.Slice(keys, func(i, j int) bool { return name(keys[i]) < name(keys[j]) })
	return keys
}

// exportSource is the C entry point. It is the only place generated code
// touches C memory.
const exportSource = `
// usegolib_call is the only Go entry point of the library (docs/abi.md
// section 1). req is borrowed for the call: bridge.Serve copies every string
// and byte slice it hands to user code. Serve encodes the reply straight into
// buf and, when it does not fit, into Go memory that is copied to malloc'd
// memory the caller frees with free or usegolib_free. Nothing keeps req or buf
// after the call. It returns 0 with a reply at *out/*outLen, or -1 with
// *out == NULL when no reply could be produced. No panic crosses the C
// boundary: Serve recovers every panic into a go_panic reply.
//
//export usegolib_call
func usegolib_call(req *C.uint8_t, reqLen C.size_t, buf *C.uint8_t, bufCap C.size_t, out **C.uint8_t, outLen *C.size_t) (status C.int32_t) {
	defer func() {
		if recover() != nil { // bridge.Serve never panics; this is the last line of defence
			if out != nil {
				*out = nil
			}
			if outLen != nil {
				*outLen = 0
			}
			status = -1
		}
	}()
	var in, dst []byte
	if req != nil && reqLen > 0 {
		in = unsafe.Slice((*byte)(unsafe.Pointer(req)), usegolibLen(reqLen))
	}
	if buf != nil && bufCap > 0 {
		dst = unsafe.Slice((*byte)(unsafe.Pointer(buf)), usegolibLen(bufCap))
	}
	reply := usegolibBridge.Serve(in, dst)
	n := len(reply)
	if n <= len(dst) && unsafe.SliceData(reply) == unsafe.SliceData(dst) {
		*out = buf // already there
	} else {
		// Not C.malloc: cgo's C.malloc aborts the process when malloc fails.
		p := C.usegolib_bridge_malloc(C.size_t(n))
		if p == nil {
			*out = nil
			*outLen = 0
			return -1
		}
		copy(unsafe.Slice((*byte)(p), n), reply)
		*out = (*C.uint8_t)(p)
	}
	*outLen = C.size_t(n)
	return 0
}

// usegolibLen is the length of a C buffer as a slice length. A request or
// reply is at most bridge.MaxMessageBytes, so longer buffers are cut to one
// byte more: a request still fails the size limit, a reply buffer still holds
// any reply, and unsafe.Slice never sees a length no slice can have.
func usegolibLen(n C.size_t) int {
	if n > bridge.MaxMessageBytes+1 {
		return bridge.MaxMessageBytes + 1
	}
	return int(n)
}

// main is required by -buildmode=c-shared and never runs.
func main() {}
`
