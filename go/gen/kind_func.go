package gen

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/usegolib/usegolib/go/bridge"
	"github.com/usegolib/usegolib/go/scan"
)

var _ = register(scan.FuncValue, funcUnit{})

// funcUnit: a func value (scan/funcs.go), read as a handle; a func is not
// comparable, so the generated code tests nil when it writes one.
type funcUnit struct{ handleUnit }

// helperName: a named func type as a handle's (h_p0_Option); an unnamed one
// by its spelling, every other byte than a letter or digit written _XX in hex
// (func(int) int is f_func_28int_29_20int), so that two types never share it.
func (funcUnit) helperName(g *goGen, t *scan.Type) string {
	if !strings.HasPrefix(t.Canon, "func(") {
		return handleUnit{}.helperName(g, t)
	}
	var b strings.Builder
	b.WriteString("f_")
	for _, c := range []byte(g.spell(t.Canon)) {
		if ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "_%02x", c)
		}
	}
	return b.String()
}

func (funcUnit) encode(_ *goGen, _ *scan.Type, x, e, _ string) (string, bool) {
	return fmt.Sprintf("bridge.EncodeFunc(%s, %s, %s == nil)", e, x, x), false
}

// decode reads a func value: nil, a handle, or a host callable (ext 2),
// which the host_ maker of the type wraps (bridge/host.go); the maker is
// nil when the schema says a host callable cannot be one.
func (funcUnit) decode(g *goGen, t *scan.Type, d string) (string, func(string) string) {
	mk := "nil"
	if def := g.types[t.Key]; def != nil && def.Callback != nil {
		mk = g.hostMaker(t, def.Callback)
	}
	return fmt.Sprintf("bridge.DecodeFunc[%s](%s, %s, %s)", g.spell(t.Canon), d, strconv.Quote(g.handleGo(t)), mk), identity
}

// hostMaker writes, once, the host_ function that wraps a host object as a
// func of type t, and returns its name. The func sends its arguments in a
// host request and reads its results from the reply (docs/abi.md section
// 10); a failure is its error result, else a *bridge.HostPanic when the host
// asks for one, else zero values.
func (g *goGen) hostMaker(t *scan.Type, cb *scan.Callback) string {
	name := "host_" + g.helperName(t)
	if !g.claim(g.hostMakers, name, t) {
		return name
	}
	var b strings.Builder
	sig := g.hostSignature(cb)
	fmt.Fprintf(&b, "\n// %s wraps a host callable as a %s (docs/abi.md section 10).\n", name, g.handleGo(t))
	fmt.Fprintf(&b, "func %s(h *bridge.HostObject) %s {\n", name, g.spell(t.Canon))
	fmt.Fprintf(&b, "if f, ok := h.Made().(%s); ok {\nreturn f\n}\n", g.spell(t.Canon))
	fmt.Fprintf(&b, "f := func%s {\n", sig)
	hostScalar(&b, cb)
	g.hostBody(&b, cb, fmt.Sprintf("h.Call(%d)", len(cb.Params)))
	b.WriteString("}\nh.SetMade(f)\nreturn f\n}\n")
	g.hostMakers[name] = b.String()
	return name
}

// scalarWords maps the unnamed scalar types of the scalar form of host calls to the bridge's
// word helpers (docs/abi.md section 10.8): the one that makes a word, the one that reads it.
var scalarWords = map[string][2]string{
	"bool": {"BoolWord", "WordBool"},
	"int":  {"IntWord", "WordInt[int]"}, "int8": {"IntWord", "WordInt[int8]"},
	"int16": {"IntWord", "WordInt[int16]"}, "int32": {"IntWord", "WordInt[int32]"},
	"int64": {"IntWord", "WordInt[int64]"},
	"uint":  {"UintWord", "WordUint[uint]"}, "uint8": {"UintWord", "WordUint[uint8]"},
	"uint16": {"UintWord", "WordUint[uint16]"}, "uint32": {"UintWord", "WordUint[uint32]"},
	"uint64": {"UintWord", "WordUint[uint64]"}, "uintptr": {"UintWord", "WordUint[uintptr]"},
	"float32": {"FloatWord", "WordFloat32"}, "float64": {"FloatWord", "WordFloat64"},
}

// scalarForm reports whether a host callback of signature cb may use the scalar form: every
// parameter and result an unnamed scalar, at most bridge.MaxScalarWords of each, not variadic.
func scalarForm(cb *scan.Callback) bool {
	const maxWords = bridge.MaxScalarWords
	if cb.Variadic || len(cb.Params) > maxWords || len(cb.Results) > maxWords {
		return false
	}
	for _, vs := range [][]scan.Var{cb.Params, cb.Results} {
		for _, v := range vs {
			if _, ok := scalarWords[v.Type.Canon]; !ok || v.Type.Named || v.Type.Kind != scan.Basic {
				return false
			}
		}
	}
	return true
}

// hostScalar writes, for a callback that may use it, the scalar form of the call (docs/abi.md
// section 10.8), before the general form that follows it: the arguments as words, the results
// read back and checked; a refusal of the host falls through to the general form.
func hostScalar(b *strings.Builder, cb *scan.Callback) {
	if !scalarForm(cb) {
		return
	}
	w := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	w("if s := h.Scalar(0); s != nil {")
	for i, p := range cb.Params {
		w("s.W[%d] = bridge.%s(a%d)", i, scalarWords[p.Type.Canon][0], i)
	}
	w("ferr := s.Send(%d, %d)", len(cb.Params), len(cb.Results))
	w("if ferr == nil {")
	var vs, rs []string
	for i, r := range cb.Results {
		w("v%d, ok%d := bridge.%s(s.W[%d])", i, i, scalarWords[r.Type.Canon][1], i)
		vs = append(vs, fmt.Sprintf("v%d", i))
		rs = append(rs, fmt.Sprintf("r%d", i))
	}
	for i := range cb.Results {
		w("if !ok%d && ferr == nil {", i)
		w("ferr = s.ResultError(%d)", i)
		w("}")
	}
	w("if ferr == nil {")
	w("s.Ok()")
	if len(rs) > 0 {
		w("%s = %s", strings.Join(rs, ", "), strings.Join(vs, ", "))
	}
	w("return")
	w("}")
	w("}")
	w("if ferr != bridge.ErrScalarRefused {")
	hostEnd(w, cb, "s")
	w("}")
}

// hostEnd writes the end of a failed host call c (ferr): the func's error result, else a
// Fail (a panic when the host asks for one, else zero values).
func hostEnd(w func(string, ...any), cb *scan.Callback, c string) {
	if cb.Error {
		w("err = %s.Err(ferr)", c)
	} else {
		w("%s.Fail(ferr)", c)
	}
	w("return")
	w("}")
}

// hostImpl writes, once, the host_ function that wraps a host object as a
// value of the interface t, and returns its name: a struct whose methods
// send host requests with their index (docs/abi.md section 10.7).
func (g *goGen) hostImpl(t *scan.Type, ms []scan.ImplMethod) string {
	name := "host_" + g.helperName(t)
	if !g.claim(g.hostMakers, name, t) {
		return name
	}
	impl := "hostImpl_" + g.helperName(t)
	var b strings.Builder
	fmt.Fprintf(&b, "\n// %s is a %s implemented by a host object (docs/abi.md section 10.7).\n", impl, g.handleGo(t))
	fmt.Fprintf(&b, "type %s struct{ h *bridge.HostObject }\n", impl)
	fmt.Fprintf(&b, "\nfunc %s(h *bridge.HostObject) %s { return &%s{h} }\n", name, g.spell(t.Canon), impl)
	for i, m := range ms {
		fmt.Fprintf(&b, "\nfunc (o *%s) %s%s {\n", impl, m.Name, g.hostSignature(&m.Callback))
		switch {
		case isStreamMethod(m, "Read"):
			fmt.Fprintf(&b, "return bridge.HostRead(o.h, %d, a0)\n", i)
		case isStreamMethod(m, "Write"):
			fmt.Fprintf(&b, "return bridge.HostWrite(o.h, %d, a0)\n", i)
		default:
			g.hostBody(&b, &m.Callback, fmt.Sprintf("o.h.CallMethod(%d, %d)", i, len(m.Params)))
		}
		b.WriteString("}\n")
	}
	g.hostMakers[name] = b.String()
	return name
}

// isStreamMethod reports whether m is io.Reader's Read or io.Writer's Write
// (name([]byte) (int, error)): they move bytes as the reader and writer kinds do.
func isStreamMethod(m scan.ImplMethod, name string) bool {
	return m.Name == name && len(m.Params) == 1 && m.Params[0].Type.Kind == scan.Bytes &&
		len(m.Results) == 1 && m.Results[0].Type.Canon == "int" && m.Error
}

// hostSignature spells the parameters and named results of a host callback:
// (a0 int, a1 string) (r0 int, err error).
func (g *goGen) hostSignature(cb *scan.Callback) string {
	var params, rdecl []string
	for i, ty := range g.paramTypes(cb.Params, cb.Variadic) {
		params = append(params, fmt.Sprintf("a%d %s", i, ty))
	}
	for i, r := range cb.Results {
		rdecl = append(rdecl, fmt.Sprintf("r%d %s", i, g.spell(r.Type.Canon)))
	}
	if cb.Error {
		rdecl = append(rdecl, "err error")
	}
	results := ""
	if len(rdecl) > 0 {
		results = " (" + strings.Join(rdecl, ", ") + ")"
	}
	return "(" + strings.Join(params, ", ") + ")" + results
}

// hostBody writes the body of a host callback whose signature hostSignature
// spelled; call starts the request (a *bridge.HostCall).
func (g *goGen) hostBody(b *strings.Builder, cb *scan.Callback, call string) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	var rnames []string
	for i := range cb.Results {
		rnames = append(rnames, fmt.Sprintf("r%d", i))
	}
	w("c := %s", call)
	w("if ferr := func() error {")
	if len(cb.Params) > 0 {
		w("e := c.Enc()")
	}
	for i, p := range cb.Params {
		stmt, fails := g.encode(&p.Type, fmt.Sprintf("a%d", i), "e", "3")
		if !fails {
			w("%s", stmt)
			continue
		}
		w("if err := %s; err != nil {", stmt)
		w("return err")
		w("}")
	}
	w("d, err := c.Send()")
	w("if err != nil {")
	w("return err")
	w("}")
	switch len(cb.Results) {
	case 0:
		w("if err := c.NoResult(d); err != nil {")
		w("return err")
		w("}")
	case 1:
	default:
		w("if err := c.Results(d, %d); err != nil {", len(cb.Results))
		w("return err")
		w("}")
	}
	var vs []string
	for i, r := range cb.Results {
		call, conv := g.decode(&r.Type, "d")
		w("v%d, err := %s", i, call)
		w("if err != nil {")
		w("return c.ResultError(%d, err)", i)
		w("}")
		vs = append(vs, conv(fmt.Sprintf("v%d", i)))
	}
	w("if err := c.End(); err != nil {")
	w("return err")
	w("}")
	if len(rnames) > 0 {
		w("%s = %s", strings.Join(rnames, ", "), strings.Join(vs, ", "))
	}
	w("return nil")
	w("}(); ferr != nil {")
	hostEnd(w, cb, "c")
	w("c.Ok()")
	if len(cb.Results) > 0 || cb.Error {
		w("return")
	}
}
