package gen

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/usegolib/usegolib/go/bridge"
	"github.com/usegolib/usegolib/go/scan"
)

// The scalar form of calls (docs/abi.md sections 8.11 and 8.13, docs/adr/0032 and 0035): for
// every function and method whose parameters and results are all unnamed bools, ints, uints,
// floats and strings, or flat records of them (a method's receiver a Go object or a flat
// record, the record's words first, as a parameter's: a local variable, so that a pointer
// method is called on its address as in the general form), main.go gets one case of a switch
// that calls it directly on 64-bit words, without reflection or MessagePack. The scalar index
// of such an entry is its position among them, in function id order; the schema gives it as
// "scalar". A value's words are its scalar slots' (scalarSlots): the one place that says which
// types have a scalar form and how they are laid out, used both to choose the entries and to
// write their code.

// scalarSlot is one value in the words of the scalar form: a parameter or result itself, or
// one field of a flat record.
type scalarSlot struct {
	canon string // the Go type: "int8", "float64", "string", ...
	field *scan.Field
}

// words is the number of words the slot takes: 2 for a string, else 1.
func (s scalarSlot) words() int {
	if s.canon == "string" {
		return 2
	}
	return 1
}

// scalarSlots gives the slots of a value of type t in the scalar form (docs/abi.md section
// 8.13), in word order; ok is false when t has none. A number or bool is one slot of one word,
// a string one of two, a flat record one per wire field in the schema's field order (an
// empty record none): a struct that travels as a record, by value, none of whose wire fields
// is promoted from an embedded struct and each an unnamed number, bool or string.
func scalarSlots(t *scan.Type, types map[string]*scan.TypeDef) (slots []scalarSlot, ok bool) {
	switch {
	case scalarType(t) || t.Kind == scan.Basic && !t.Named && t.Canon == "string":
		return []scalarSlot{{canon: t.Canon}}, true
	case t.Kind != scan.Record:
		return nil, false
	}
	def := types[t.Key] // a record type, or a struct handle type used by value (its record form)
	if def == nil || !def.Struct || def.FieldsErr != "" {
		return nil, false
	}
	slots = []scalarSlot{}
	for i := range def.Fields {
		f := &def.Fields[i]
		inner, ok := scalarSlots(&f.Type, nil) // a nested record has no type table: refused
		if !ok || len(f.Ptrs) > 0 || strings.Contains(f.Sel, ".") {
			return nil, false
		}
		slots = append(slots, scalarSlot{canon: inner[0].canon, field: f})
	}
	return slots, true
}

// scalarWordCount is the number of words of slots.
func scalarWordCount(slots []scalarSlot) int {
	n := 0
	for _, s := range slots {
		n += s.words()
	}
	return n
}

// scalarCall reports whether entry f has a scalar form; types are the scan's type definitions
// (a func parameter that a host callable may be travels as its host-object id).
func scalarCall(f *scan.Func, types map[string]*scan.TypeDef) bool {
	const maxWords = bridge.MaxScalarWords
	if f.Variadic || f.Generic != nil {
		return false
	}
	params := f.Params
	nargs := 0
	switch f.Kind {
	case scan.KindFunc:
	case scan.KindMethod:
		if len(params) > 0 && params[0].Type.Kind == scan.Record {
			break // a record's method: its receiver is the record's words, as a parameter's
		}
		if len(params) == 0 || params[0].Type.Kind != scan.Handle {
			return false // a value type's method: its receiver is a value of a named type
		}
		params = params[1:]
		nargs = 1
	default:
		return false
	}
	for _, v := range params {
		if scalarFunc(&v.Type, types) != nil && !scalarType(&v.Type) {
			nargs++
			continue
		}
		slots, ok := scalarSlots(&v.Type, types)
		if !ok {
			return false
		}
		nargs += scalarWordCount(slots)
	}
	nres := 0
	for _, v := range f.Results {
		slots, ok := scalarSlots(&v.Type, types)
		if !ok {
			return false
		}
		nres += scalarWordCount(slots)
	}
	return nargs <= maxWords && nres <= maxWords
}

// scalarFunc is the callback signature of t when t is a func type a host callable may be (its
// word is the host object's id, or a lent callable's, docs/abi.md sections 8.11 and 10.9), else
// nil.
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

// scalarArg is the statement(s) that read the argument word k (two from k for a string) of Go
// type canon into dst; fail wraps the error of a word that does not fit (a string read in
// place is a view of the host's bytes, docs/abi.md section 8.12).
func scalarArg(canon string, k int, dst string, inPlace bool, fail func(err string) string) string {
	w := fmt.Sprintf("w[%d]", k)
	v := "v" + strings.TrimPrefix(dst, "a")
	checked := func(call, conv string) string {
		if conv == "" { // the call gives the Go type itself
			return fmt.Sprintf("%s, err := bridge.%s\nif err != nil {\nreturn nil, %s\n}", dst, call, fail("err"))
		}
		return fmt.Sprintf("%s, err := bridge.%s\nif err != nil {\nreturn nil, %s\n}\n%s := %s(%s)", v, call, fail("err"), dst, conv, v)
	}
	switch canon {
	case "int":
		// Checked against int's width on the target (bridge.IntBits): a word over 32 bits is
		// refused on a 32-bit GOARCH, never truncated; on a 64-bit one the check folds away.
		return checked(fmt.Sprintf("ArgInt(%s, bridge.IntBits)", w), canon)
	case "uint":
		return checked(fmt.Sprintf("ArgUint(%s, bridge.IntBits)", w), canon)
	case "int64", "uint64":
		return fmt.Sprintf("%s := %s(%s)", dst, canon, w)
	case "int8", "int16", "int32":
		return checked(fmt.Sprintf("ArgInt(%s, %s)", w, strings.TrimPrefix(canon, "int")), canon)
	case "uint8", "uint16", "uint32":
		return checked(fmt.Sprintf("ArgUint(%s, %s)", w, strings.TrimPrefix(canon, "uint")), canon)
	case "bool":
		return checked(fmt.Sprintf("ArgBool(%s)", w), "")
	case "float32":
		return checked(fmt.Sprintf("ArgFloat32(%s)", w), "")
	case "float64":
		return fmt.Sprintf("%s := bridge.ArgFloat64(%s)", dst, w)
	case "string":
		call := "ArgString"
		if inPlace {
			call = "ArgStringView" // read in place (docs/abi.md section 8.12)
		}
		return checked(fmt.Sprintf("%s(%s, w[%d])", call, w, k+1), "")
	}
	panic("gen: no scalar form for " + canon)
}

// scalarResult is the statement that writes the result value v of Go type canon into word k
// (two from k for a string, its bytes appended to the result area).
func scalarResult(canon string, k int, v string) string {
	if canon == "string" {
		return fmt.Sprintf("area, w[%d], w[%d] = bridge.ResultString(area, %s)", k, k+1, v)
	}
	return fmt.Sprintf("w[%d] = bridge.%s(%s)", k, scalarWords[canon][0], v)
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
	var ids, nargs []string
	g.p("")
	g.p("// usegolibScalar calls the entry of scalar index fn on the argument words of w and writes")
	g.p("// its results over them, the bytes of its string results appended to area (docs/abi.md")
	g.p("// sections 8.11 and 8.13).")
	g.p("func usegolibScalar(fn uint64, w *bridge.ScalarWords, area []byte) ([]byte, error) {")
	g.p("switch fn {")
	for i, e := range entries {
		f := e.f
		g.p("case %d: // %s", i, f.Name)
		var args []string
		k := 0 // the next argument word
		for j, v := range f.Params {
			a := "a" + strconv.Itoa(j)
			argErr := func(err string) string { return fmt.Sprintf("bridge.ArgError(%d, %s)", j, err) }
			switch slots, _ := scalarSlots(&v.Type, g.types); {
			case j == 0 && f.Kind == scan.KindMethod && v.Type.Kind == scan.Handle:
				_, conv := g.decode(&v.Type, "&d")
				g.p("recv, err := bridge.ScalarReceiver[%s](w[0], %s)", g.spell(v.Type.Canon), strconv.Quote(v.Go))
				g.p("if err != nil {")
				g.p("return nil, %s", argErr("err"))
				g.p("}")
				args = append(args, conv("recv"))
				k++
				continue
			case scalarFunc(&v.Type, g.types) != nil && !scalarType(&v.Type):
				// A func the function does not keep may be a callable the host lends for the
				// call (docs/abi.md section 10.9).
				g.p("%s, err := bridge.ScalarFunc(w[%d], %s, %t)", a, k, g.hostMaker(&v.Type, scalarFunc(&v.Type, g.types)), v.InPlace)
				g.p("if err != nil {")
				g.p("return nil, %s", argErr("err"))
				g.p("}")
				k++
			case v.Type.Kind == scan.Record:
				def := g.types[v.Type.Key]
				var keyed []string
				for n, s := range slots {
					fd := s.field
					x := fmt.Sprintf("%s_%d", a, n)
					q := strconv.Quote
					g.p("%s", scalarArg(s.canon, k, x, v.InPlace, func(err string) string {
						return argErr(fmt.Sprintf("bridge.FieldError(%s, %s, %s, %s, %s)", q(def.Name), q(fd.Key), q(fd.Name), q(fd.Go), err))
					}))
					keyed = append(keyed, fmt.Sprintf("%s: %s", fd.Sel, x))
					k += s.words()
				}
				g.p("%s := %s{%s}", a, g.spell(v.Type.Canon), strings.Join(keyed, ", "))
			default:
				g.p("%s", scalarArg(v.Type.Canon, k, a, v.InPlace, argErr))
				k += slots[0].words()
			}
			args = append(args, a)
		}
		ids = append(ids, strconv.Itoa(e.id))
		nargs = append(nargs, strconv.Itoa(k))
		g.callResults(f, callExpr(f, e.alias, "", args), "return nil, bridge.GoError(err)")
		k = 0
		strs := false
		var writes []string
		for j, r := range f.Results {
			slots, _ := scalarSlots(&r.Type, g.types)
			if len(slots) == 0 {
				writes = append(writes, fmt.Sprintf("_ = r%d // a record without fields: no word", j))
			}
			for _, s := range slots {
				v := "r" + strconv.Itoa(j)
				if s.field != nil {
					v += "." + s.field.Sel
				}
				writes = append(writes, scalarResult(s.canon, k, v))
				strs = strs || s.canon == "string"
				k += s.words()
			}
		}
		if !strs {
			g.p("%s", strings.Join(append(writes, "return nil, nil"), "\n"))
			continue
		}
		// An entry with string results answers with its result area, empty or not.
		g.p("area = bridge.ResultArea(area)")
		g.p("%s", strings.Join(append(writes, "return area, nil"), "\n"))
	}
	g.p("}")
	g.p("return nil, bridge.ErrNoScalar")
	g.p("}")
	g.p("")
	g.p("func init() {")
	g.p("usegolibBridge.SetScalar([]int{%s}, []int{%s}, usegolibScalar)", strings.Join(ids, ", "), strings.Join(nargs, ", "))
	g.p("}")
}
