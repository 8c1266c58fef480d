package gen

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/usegolib/usegolib/go/bridge"
	"github.com/usegolib/usegolib/go/scan"
)

// The scalar form of calls (docs/abi.md section 8.11, docs/adr/0032): for every function and
// method whose parameters and results are all unnamed bools, ints, uints and floats (a method's
// receiver a Go object), main.go gets one case of a switch that calls it directly on 64-bit
// words, without reflection, MessagePack or allocation. The scalar index of such an entry is
// its position among them, in function id order; the schema gives it as "scalar".

// scalarCall reports whether entry f has a scalar form; types are the scan's type definitions
// (a func parameter that a host callable may be travels as its host-object id).
func scalarCall(f *scan.Func, types map[string]*scan.TypeDef) bool {
	const maxWords = bridge.MaxScalarWords
	if f.Variadic || f.Generic != nil || len(f.Params) > maxWords || len(f.Results) > maxWords {
		return false
	}
	params := f.Params
	switch f.Kind {
	case scan.KindFunc:
	case scan.KindMethod:
		if len(params) == 0 || params[0].Type.Kind != scan.Handle {
			return false // a record's or a value type's method: its receiver is a value
		}
		params = params[1:]
	default:
		return false
	}
	for _, v := range params {
		if !scalarType(&v.Type) && scalarFunc(&v.Type, types) == nil {
			return false
		}
	}
	for _, v := range f.Results {
		if !scalarType(&v.Type) {
			return false
		}
	}
	return true
}

// scalarFunc is the callback signature of t when t is a func type a host callable may be (its
// word is the host object's id, docs/abi.md section 8.11), else nil.
func scalarFunc(t *scan.Type, types map[string]*scan.TypeDef) *scan.Callback {
	if t.Kind != scan.FuncValue {
		return nil
	}
	if def := types[t.Key]; def != nil {
		return def.Callback
	}
	return nil
}

// scalarType reports whether t is an unnamed bool, int, uint or float (not uintptr).
func scalarType(t *scan.Type) bool {
	_, ok := scalarWords[t.Canon]
	return ok && t.Kind == scan.Basic && !t.Named && t.Canon != "uintptr"
}

// scalarIndices gives each entry of res that has a scalar form its scalar index, in function id
// order (the order of mainSource and Schema); the others are absent.
func scalarIndices(res *scan.Result) map[*scan.Func]int {
	out := map[*scan.Func]int{}
	for _, p := range res.Packages {
		for _, f := range p.Funcs {
			if scalarCall(f, res.Types) {
				out[f] = len(out)
			}
		}
	}
	return out
}

// scalarArg is the statement(s) that read argument word i of Go type canon into a<i>.
func scalarArg(canon string, i int) string {
	a, w := "a"+strconv.Itoa(i), fmt.Sprintf("w[%d]", i)
	checked := func(call, conv string) string {
		return fmt.Sprintf("v%d, err := bridge.%s\nif err != nil {\nreturn bridge.ArgError(%d, err)\n}\n%s := %s(v%d)", i, call, i, a, conv, i)
	}
	switch canon {
	case "int":
		// Checked against int's width on the target (bridge.IntBits): a word over 32 bits is
		// refused on a 32-bit GOARCH, never truncated; on a 64-bit one the check folds away.
		return checked(fmt.Sprintf("ArgInt(%s, bridge.IntBits)", w), canon)
	case "uint":
		return checked(fmt.Sprintf("ArgUint(%s, bridge.IntBits)", w), canon)
	case "int64", "uint64":
		return fmt.Sprintf("%s := %s(%s)", a, canon, w)
	case "int8", "int16", "int32":
		return checked(fmt.Sprintf("ArgInt(%s, %s)", w, strings.TrimPrefix(canon, "int")), canon)
	case "uint8", "uint16", "uint32":
		return checked(fmt.Sprintf("ArgUint(%s, %s)", w, strings.TrimPrefix(canon, "uint")), canon)
	case "bool":
		return checked(fmt.Sprintf("ArgBool(%s)", w), "")
	case "float32":
		return checked(fmt.Sprintf("ArgFloat32(%s)", w), "")
	case "float64":
		return fmt.Sprintf("%s := bridge.ArgFloat64(%s)", a, w)
	}
	panic("gen: no scalar form for " + canon)
}

type scalarEntry struct {
	id    int
	alias string
	f     *scan.Func
}

// scalarCalls writes usegolibScalar, the dispatcher of the scalar form, and its registration
// with the bridge; nothing when no entry has a scalar form.
func (g *goGen) scalarCalls(entries []scalarEntry) {
	if len(entries) == 0 {
		return
	}
	var ids []string
	g.p("")
	g.p("// usegolibScalar calls the entry of scalar index fn on the argument words of w and writes")
	g.p("// its results over them (docs/abi.md section 8.11).")
	g.p("func usegolibScalar(fn uint64, w *bridge.ScalarWords) error {")
	g.p("switch fn {")
	for i, e := range entries {
		ids = append(ids, strconv.Itoa(e.id))
		f := e.f
		g.p("case %d: // %s", i, f.Name)
		var args []string
		for j, v := range f.Params {
			if j == 0 && f.Kind == scan.KindMethod {
				_, conv := g.decode(&v.Type, "&d")
				g.p("recv, err := bridge.ScalarReceiver[%s](w[0], %s)", g.spell(v.Type.Canon), strconv.Quote(v.Go))
				g.p("if err != nil {")
				g.p("return bridge.ArgError(0, err)")
				g.p("}")
				args = append(args, conv("recv"))
				continue
			}
			if cb := scalarFunc(&v.Type, g.types); cb != nil && !scalarType(&v.Type) {
				g.p("a%d := bridge.ScalarFunc(w[%d], %s)", j, j, g.hostMaker(&v.Type, cb))
			} else {
				g.p("%s", scalarArg(v.Type.Canon, j))
			}
			args = append(args, "a"+strconv.Itoa(j))
		}
		var call string
		switch {
		case f.Kind == scan.KindFunc:
			call = fmt.Sprintf("%s.%s(%s)", e.alias, f.GoName, strings.Join(args, ", "))
		case f.SetField:
			call = fmt.Sprintf("%s.%s = %s", args[0], f.FieldSel, args[1])
		case f.FieldSel != "":
			call = args[0] + "." + f.FieldSel
		default:
			call = fmt.Sprintf("%s.%s(%s)", args[0], f.GoName, strings.Join(args[1:], ", "))
		}
		g.callResults(f, call, "return bridge.GoError(err)")
		for j, r := range f.Results {
			g.p("w[%d] = bridge.%s(r%d)", j, scalarWords[r.Type.Canon][0], j)
		}
		g.p("return nil")
	}
	g.p("}")
	g.p("return bridge.ErrNoScalar")
	g.p("}")
	g.p("")
	g.p("func init() {")
	g.p("usegolibBridge.SetScalar([]int{%s}, usegolibScalar)", strings.Join(ids, ", "))
	g.p("}")
}
