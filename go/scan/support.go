package scan

import (
	"bytes"
	"errors"
	"fmt"
	"go/token"
	"go/types"
	"strconv"
	"strings"
)

// This file and record.go are the single source of truth for what the
// bridge supports. The generator only ever sees entries that passed these
// checks, and it spells types from Type.Canon, so an accepted entry always
// compiles.

// unsupported is the reason a type is not supported, without the
// "parameter x has type T: " prefix.
type unsupported struct{ reason string }

func (u *unsupported) Error() string { return u.reason }

func notSupported(reason string) error { return &unsupported{reason} }

var errorType = types.Universe.Lookup("error").Type()

// use says where a type appears: error values are supported in results only.
type use int

const (
	useParam use = iota
	useResult
	useField
	// useParamElem is a type inside a parameter's type (an element, a map value, a pointer's
	// target): io.Reader is its own kind there too, context.Context only as the parameter.
	useParamElem
)

// within is the use of the types inside a type used as u.
func within(u use) use {
	if u == useParam {
		return useParamElem
	}
	return u
}

// checker holds what the scan of one module learns about types: the record
// and handle types met so far, the structs whose fields are still to be
// looked at, and the doc comments of the module's declarations.
type checker struct {
	types   map[string]*TypeDef
	named   map[string]*types.Named // a representative of each TypeDef
	pending []string                // keys of structs whose fields are not analysed yet
	docs    map[string]string       // "path.Name", "path.Type.Field", "path.Type.Method"
	// expanding holds the named slice, array and map types whose underlying
	// type is being looked at: meeting one again means it contains itself.
	expanding map[types.Object]bool
	// Func types (funcs.go): the signature of each by key, the keys whose
	// __call__ entry is still to be made, the names given to unnamed ones
	// ("path.Func_int"), and home, the package whose declarations are being
	// looked at (where an unnamed func type met there lives).
	sigs  map[string]*types.Signature
	calls []string
	// ifaces: keys of interface types whose host implementation (funcs.go)
	// is still to be decided.
	ifaces []string
	// skippedCalls: "path.Func_x.__call__" -> the key of its unnamed func type.
	skippedCalls map[string]string
	funcNames    map[string]bool
	home         string
	// escape: the compiler's escape analysis of the module's packages (escape.go), nil when
	// the scan did not ask for it; fset locates parameters in it.
	escape escapeFacts
	fset   *token.FileSet
	// declared: the keys of the exported, non-generic record structs declared in the module's
	// packages (collectDeclared); reachable puts those whose fields all travel in the schema.
	declared []string
	// byValue: the keys of the records some schema entry or field uses by value (reachable),
	// whose methods the record form then has.
	byValue map[string]bool
}

func newChecker() *checker {
	return &checker{types: map[string]*TypeDef{}, named: map[string]*types.Named{}, docs: map[string]string{},
		expanding: map[types.Object]bool{}, sigs: map[string]*types.Signature{}, funcNames: map[string]bool{},
		skippedCalls: map[string]string{}, byValue: map[string]bool{}}
}

// wireType is wireTypeIn for a parameter.
func (c *checker) wireType(t types.Type) (Type, error) { return c.wireTypeIn(t, useParam) }

// wireTypeIn decides whether t is supported where it is used and returns its
// wire type and canonical spelling. int and uint are 64-bit: Scan refuses
// targets where they are not. Records and handle types it meets are
// registered; whether a record's fields are all supported is only known once
// every struct has been analysed (checkRecords).
func (c *checker) wireTypeIn(t types.Type, u use) (Type, error) {
	t = types.Unalias(t)
	switch t := t.(type) {
	case *types.Basic:
		return basicType(t)
	case *types.Slice:
		elem := types.Unalias(t.Elem())
		if isByte(elem) {
			return Type{Wire: "bytes", Canon: "[]byte", Kind: Bytes, Under: "[]byte"}, nil
		}
		et, err := c.wireTypeIn(elem, within(u))
		if err != nil {
			return Type{}, err
		}
		return Type{Wire: "[]" + et.Wire, Canon: "[]" + et.Canon, Kind: Slice, Elem: &et}, nil
	case *types.Array:
		elem := types.Unalias(t.Elem())
		if isByte(elem) {
			return Type{Wire: fmt.Sprintf("bytes[%d]", t.Len()), Canon: fmt.Sprintf("[%d]byte", t.Len()), Kind: BytesN, Len: t.Len()}, nil
		}
		et, err := c.wireTypeIn(elem, within(u))
		if err != nil {
			return Type{}, err
		}
		return Type{Wire: fmt.Sprintf("[%d]%s", t.Len(), et.Wire), Canon: fmt.Sprintf("[%d]%s", t.Len(), et.Canon), Kind: Array, Len: t.Len(), Elem: &et}, nil
	case *types.Map:
		kt, err := c.mapKey(t.Key())
		if err != nil {
			return Type{}, err
		}
		et, err := c.wireTypeIn(t.Elem(), within(u))
		if err != nil {
			return Type{}, err
		}
		return Type{Wire: "map[string]" + et.Wire, Canon: "map[" + kt.Canon + "]" + et.Canon, Kind: Map, Elem: &et, MapKey: &kt}, nil
	case *types.Pointer:
		return c.pointerType(t, u)
	case *types.Named:
		return c.namedType(t, u)
	case *types.Interface:
		if t.Empty() {
			return Type{Wire: "any", Canon: "any", Kind: Any}, nil
		}
		return Type{}, notSupported("interfaces with methods are supported only as named types (handles)")
	case *types.TypeParam:
		return Type{}, notSupported("type parameters are not supported")
	case *types.Chan:
		return Type{}, notSupported("channels are not supported")
	case *types.Signature:
		return c.funcType(t)
	case *types.Struct:
		return Type{}, notSupported("anonymous structs are not supported: declare a named struct type")
	case *types.Tuple:
		return Type{}, notSupported("tuples are not types")
	}
	return Type{}, notSupported(fmt.Sprintf("%T is not supported", t))
}

func isByte(t types.Type) bool {
	b, ok := t.(*types.Basic)
	return ok && b.Kind() == types.Uint8
}

func basicType(b *types.Basic) (Type, error) {
	basic := func(wire, canon string) (Type, error) {
		return Type{Wire: wire, Canon: canon, Kind: Basic, Under: canon}, nil
	}
	switch b.Kind() {
	case types.Bool:
		return basic("bool", "bool")
	case types.Int:
		return basic("int64", "int")
	case types.Int8:
		return basic("int8", "int8")
	case types.Int16:
		return basic("int16", "int16")
	case types.Int32:
		return basic("int32", "int32")
	case types.Int64:
		return basic("int64", "int64")
	case types.Uint:
		return basic("uint64", "uint")
	case types.Uint8:
		return basic("uint8", "uint8")
	case types.Uint16:
		return basic("uint16", "uint16")
	case types.Uint32:
		return basic("uint32", "uint32")
	case types.Uint64:
		return basic("uint64", "uint64")
	case types.Float32:
		return basic("float32", "float32")
	case types.Float64:
		return basic("float64", "float64")
	case types.String:
		return basic("string", "string")
	case types.Uintptr:
		return Type{}, notSupported("uintptr is not supported")
	case types.Complex64, types.Complex128:
		return Type{}, notSupported("complex numbers are not supported")
	case types.UnsafePointer:
		return Type{}, notSupported("unsafe.Pointer is not supported")
	}
	return Type{}, notSupported(fmt.Sprintf("type %s is not supported", b))
}

// mapKey checks the key type of a map: string or a defined type over string.
func (c *checker) mapKey(t types.Type) (Type, error) {
	t = types.Unalias(t)
	if b, ok := t.Underlying().(*types.Basic); !ok || b.Kind() != types.String {
		return Type{}, notSupported(fmt.Sprintf("map keys must be strings, not %s", typeString(t)))
	}
	return c.wireTypeIn(t, useParam)
}

// typeString spells t with full import paths, as messages do.
func typeString(t types.Type) string { return types.TypeString(t, nil) }

// quoted is the qualifier of Type.Canon: "import/path".
func quoted(p *types.Package) string { return strconv.Quote(p.Path()) }

// byName is the qualifier of TypeDef.Go: the package name.
func byName(p *types.Package) string { return p.Name() }

func (c *checker) pointerType(t *types.Pointer, u use) (Type, error) {
	elem := types.Unalias(t.Elem())
	if n, ok := elem.(*types.Named); ok && isHandleType(n) && !isFuncType(n) {
		if _, isIface := n.Underlying().(*types.Interface); !isIface {
			def, err := c.def(n)
			if err != nil {
				return Type{}, err
			}
			return Type{Wire: "&" + def.Key, Canon: "*" + def.Canon, Kind: Handle, Key: def.Key}, nil
		}
	}
	switch elem.Underlying().(type) {
	case *types.Pointer:
		return Type{}, notSupported("pointers to pointers are not supported")
	case *types.Interface:
		return Type{}, notSupported("pointers to interfaces are not supported")
	case *types.Signature:
		return Type{}, notSupported("pointers to func values are not supported")
	}
	et, err := c.wireTypeIn(elem, within(u))
	if err != nil {
		return Type{}, err
	}
	return Type{Wire: "*" + et.Wire, Canon: "*" + et.Canon, Kind: Pointer, Elem: &et}, nil
}

// ownWireType returns the wire type of n if it is in ownKind, used as a result or a field.
func ownWireType(n *types.Named) (Type, bool) { return ownWireTypeIn(n, useResult) }

// ownWireTypeIn returns the wire type of n, used as u, if it is in ownKind: io.Reader only
// as a parameter (or inside one), context.Context only as a parameter itself; a handle
// elsewhere.
func ownWireTypeIn(n *types.Named, u use) (Type, bool) {
	obj := n.Obj()
	if obj.Pkg() == nil {
		return Type{}, false
	}
	t, ok := ownKind[obj.Pkg().Path()+"."+obj.Name()]
	if ok && t.Kind == Reader && u != useParam && u != useParamElem {
		return Type{}, false
	}
	if ok && (t.Kind == Context || t.Kind == Writer) && u != useParam {
		return Type{}, false
	}
	return t, ok
}

// isHandleType reports whether values of n stay in Go behind a handle
// (docs/abi.md section 8.3): n is an interface with methods, an opaque struct
// (fields, none exported), or its pointer method set has an exported method.
// The types of ownKind (time.Time, time.Duration) are wire types of their
// own, never handles; io.Reader is one only as a parameter, a handle elsewhere.
func isHandleType(n *types.Named) bool {
	if _, own := ownWireType(n); own || n.Obj().Pkg() == nil {
		return false
	}
	if it, ok := n.Underlying().(*types.Interface); ok {
		return it.NumMethods() > 0
	}
	if isFuncType(n) {
		return true // a func value stays in Go (funcs.go)
	}
	if isValueType(n) {
		return false // its values travel, with their methods (values.go)
	}
	if st, ok := n.Underlying().(*types.Struct); ok && hiddenState(st, map[*types.Struct]bool{}) {
		// A struct with hidden state: it cannot travel as a record without losing it, so it
		// stays in Go, by value (T) and by pointer (*T) alike (docs/adr/0019).
		return true
	}
	return len(exportedMethods(types.NewPointer(n))) > 0
}

// exportedMethods returns the exported methods of the method set of t, in its order.
func exportedMethods(t types.Type) []*types.Selection {
	var out []*types.Selection
	ms := types.NewMethodSet(t)
	for i := 0; i < ms.Len(); i++ {
		if ms.At(i).Obj().Exported() {
			out = append(out, ms.At(i))
		}
	}
	return out
}

// hiddenState reports whether a value of st holds state a record of its exported fields
// would lose: an unexported field (an unexported embedded struct's own fields are looked at,
// since encoding/json promotes them), or an embedded struct, by value or by pointer, with
// hidden state. A field tagged `json:"-"` is its author's explicit choice and is not hidden
// state (docs/adr/0019).
func hiddenState(st *types.Struct, seen map[*types.Struct]bool) bool {
	if seen[st] {
		return false
	}
	seen[st] = true
	for i := 0; i < st.NumFields(); i++ {
		f := st.Field(i)
		if !f.Embedded() {
			if !f.Exported() {
				return true
			}
			continue
		}
		ft := types.Unalias(f.Type())
		if p, ok := ft.(*types.Pointer); ok {
			ft = types.Unalias(p.Elem())
		}
		inner, ok := ft.Underlying().(*types.Struct)
		if !ok {
			if !f.Exported() {
				return true // an unexported embedded non-struct promotes nothing
			}
			continue
		}
		if hiddenState(inner, seen) {
			return true
		}
	}
	return false
}

// isValueObject reports whether n is a struct with hidden state: by value, a Go object
// holding a copy (docs/abi.md section 8.3).
func isValueObject(n *types.Named) bool {
	st, ok := n.Underlying().(*types.Struct)
	return ok && isHandleType(n) && hiddenState(st, map[*types.Struct]bool{})
}

// nameable says why generated code cannot spell the defined type n, or nil.
func nameable(n *types.Named) error {
	obj := n.Obj()
	if n.TypeParams().Len() > 0 || n.TypeArgs().Len() > 0 {
		return notSupported(fmt.Sprintf("generic type %s is not supported", typeString(n)))
	}
	if !obj.Exported() {
		return notSupported(fmt.Sprintf("type %s is not exported: the bridge cannot name it", typeString(n)))
	}
	if isVendored(obj.Pkg().Path()) {
		return notSupported(fmt.Sprintf("type %s is declared in a vendored package: the bridge cannot import it", typeString(n)))
	}
	if isInternal(obj.Pkg().Path()) {
		return notSupported(fmt.Sprintf("type %s is declared in an internal package: the bridge cannot import it", typeString(n)))
	}
	if obj.Parent() != nil && obj.Parent() != obj.Pkg().Scope() {
		return notSupported(fmt.Sprintf("type %s is declared inside a function", obj.Name()))
	}
	if notInHeap(n.Underlying(), map[types.Type]bool{}) {
		return notSupported(fmt.Sprintf("type %s is not-in-heap (the runtime's NotInHeap marker): Go code cannot allocate it", typeString(n)))
	}
	return nil
}

// notInHeap reports whether values of t hold the runtime's not-in-heap
// marker (internal/runtime/sys.nih, which runtime/cgo.Incomplete embeds):
// the compiler refuses to allocate such a type, on the heap or the stack.
func notInHeap(t types.Type, seen map[types.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t := t.(type) {
	case *types.Named:
		if obj := t.Obj(); obj.Pkg() != nil && obj.Name() == "nih" && (obj.Pkg().Path() == "internal/runtime/sys" || obj.Pkg().Path() == "runtime/internal/sys") {
			return true
		}
		return notInHeap(t.Underlying(), seen)
	case *types.Struct:
		for i := 0; i < t.NumFields(); i++ {
			if notInHeap(t.Field(i).Type(), seen) {
				return true
			}
		}
	case *types.Array:
		return notInHeap(t.Elem(), seen)
	}
	return false
}

func (c *checker) namedType(n *types.Named, u use) (Type, error) {
	obj := n.Obj()
	if obj.Pkg() == nil { // error or comparable
		if types.Identical(n, errorType) {
			if u != useResult {
				return Type{}, notSupported("error values are supported only as results")
			}
			return Type{Wire: "error", Canon: "error", Kind: Error}, nil
		}
		return Type{}, notSupported(fmt.Sprintf("%s is not supported", n))
	}
	if t, own := ownWireTypeIn(n, u); own {
		return t, nil
	}
	if err := nameable(n); err != nil {
		return Type{}, err
	}
	canon := quoted(obj.Pkg()) + "." + obj.Name()
	switch under := n.Underlying().(type) {
	case *types.Basic:
		bt, err := basicType(under)
		if err != nil {
			return Type{}, err
		}
		bt.Canon, bt.Named = canon, true
		return c.valueDef(n, bt)
	case *types.Slice, *types.Array, *types.Map:
		if c.expanding[obj] {
			return Type{}, notSupported(fmt.Sprintf("type %s contains itself: a recursive type is supported only through a struct "+
				"(type T struct { Kids []T })", typeString(n)))
		}
		c.expanding[obj] = true
		st, err := c.wireTypeIn(under, u)
		delete(c.expanding, obj)
		if err != nil {
			return Type{}, err
		}
		st.Canon, st.Named = canon, true
		return c.valueDef(n, st)
	case *types.Pointer:
		return Type{}, notSupported(fmt.Sprintf("named pointer type %s is not supported", typeString(n)))
	case *types.Struct:
		def, err := c.def(n)
		if err != nil {
			return Type{}, err
		}
		if isValueObject(n) {
			// Hidden state never travels: the value stays in Go, a copy per handle.
			return Type{Wire: "&" + def.Key, Canon: def.Canon, Kind: Handle, Key: def.Key, ByValue: true}, nil
		}
		return Type{Wire: "@" + def.Key, Canon: def.Canon, Kind: Record, Key: def.Key}, nil
	case *types.Interface:
		if under.NumMethods() == 0 {
			return Type{Wire: "any", Canon: canon, Kind: Any, Named: true}, nil
		}
		def, err := c.def(n)
		if err != nil {
			return Type{}, err
		}
		return Type{Wire: "&" + def.Key, Canon: def.Canon, Kind: Handle, Key: def.Key}, nil
	case *types.Chan:
		return Type{}, notSupported("channels are not supported")
	case *types.Signature:
		def, err := c.def(n)
		if err != nil {
			return Type{}, err
		}
		return Type{Wire: "&" + def.Key, Canon: def.Canon, Kind: FuncValue, Key: def.Key}, nil
	}
	return Type{}, notSupported(fmt.Sprintf("type %s is not supported", typeString(n)))
}

// def returns the TypeDef of the struct or handle type n, registering it on
// first sight; a struct is queued for checkRecords.
func (c *checker) def(n *types.Named) (*TypeDef, error) {
	if err := nameable(n); err != nil {
		return nil, err
	}
	obj := n.Obj()
	key := obj.Pkg().Path() + "." + obj.Name()
	if d, ok := c.types[key]; ok {
		return d, nil
	}
	d := &TypeDef{
		Key:     key,
		Kind:    "record",
		Name:    obj.Name(),
		Package: obj.Pkg().Path(),
		Doc:     c.docs[key],
		Canon:   quoted(obj.Pkg()) + "." + obj.Name(),
	}
	_, d.Struct = n.Underlying().(*types.Struct)
	_, d.Interface = n.Underlying().(*types.Interface)
	if d.Interface {
		c.ifaces = append(c.ifaces, key)
	}
	if sig, ok := n.Underlying().(*types.Signature); ok {
		d.Func = true
		c.sigs[key] = sig
		c.calls = append(c.calls, key)
	}
	if isValueType(n) || isEnumType(n) {
		d.Kind = "value"
		d.Go = types.TypeString(n, byName)
		d.Enum = isEnumType(n)
	} else if isHandleType(n) {
		d.Kind = "handle"
		d.Go = types.TypeString(types.NewPointer(n), byName)
		if d.Interface || d.Func {
			d.Go = types.TypeString(n, byName)
		}
	}
	c.types[key] = d
	c.named[key] = n
	if d.Struct {
		c.pending = append(c.pending, key)
	}
	return d, nil
}

// refFailure says why t cannot be used because a record it contains is not
// supported, or "".
func (c *checker) refFailure(t *Type) string {
	switch t.Kind {
	case Record:
		if d := c.types[t.Key]; d != nil && d.FieldsErr != "" {
			return "struct " + d.Name + ": " + d.FieldsErr
		}
	case Slice, Array, Pointer:
		return c.refFailure(t.Elem)
	case Map:
		return c.refFailure(t.Elem)
	}
	return ""
}

// checkSignature decides whether a function or method signature is
// supported. On success it returns the parameters, the results without a
// trailing error, and whether there is one; otherwise the reason it is not.
// qual spells the Go types of the schema.
func (c *checker) checkSignature(sig *types.Signature, qual types.Qualifier) (params, results []Var, hasErr bool, err error) {
	return c.checkSignatureAs(sig, qual, useParam, useResult)
}

// checkSignatureAs is checkSignature with the parameters used as pu and the
// results as ru: a callback (funcs.go) swaps them, since Go passes its
// parameters to the host and reads its results from it.
func (c *checker) checkSignatureAs(sig *types.Signature, qual types.Qualifier, pu, ru use) (params, results []Var, hasErr bool, err error) {
	for i := 0; i < sig.Params().Len(); i++ {
		p := sig.Params().At(i)
		name := paramName(p.Name(), i)
		goType := types.TypeString(p.Type(), qual)
		if sig.Variadic() && i == sig.Params().Len()-1 {
			goType = "..." + types.TypeString(p.Type().(*types.Slice).Elem(), qual)
		}
		t, err := c.wireTypeIn(p.Type(), pu)
		if err != nil {
			return nil, nil, false, fmt.Errorf("parameter %s has type %s: %w", name, goType, err)
		}
		params = append(params, Var{Name: name, Go: goType, Type: t})
	}
	n := sig.Results().Len()
	if n > 0 && types.Identical(sig.Results().At(n-1).Type(), errorType) {
		hasErr = true
		n--
	}
	for i := 0; i < n; i++ {
		r := sig.Results().At(i)
		goType := types.TypeString(r.Type(), qual)
		t, err := c.wireTypeIn(r.Type(), ru)
		if it, ok := types.Unalias(r.Type()).(*types.Interface); ok && !it.Empty() && ru == useResult {
			t, err = c.unnamedInterface(it)
		}
		if err != nil {
			return nil, nil, false, fmt.Errorf("result %d has type %s: %w", i, goType, err)
		}
		name := r.Name()
		if name == "_" {
			name = ""
		}
		results = append(results, Var{Name: name, Go: goType, Type: t})
	}
	return params, results, hasErr, nil
}

// entryFailure says why a checked entry cannot be used after all, because
// a record in its signature is not supported, or nil.
func (c *checker) entryFailure(f *Func) error {
	for i, p := range f.Params {
		if r := c.refFailure(&p.Type); r != "" {
			if f.Kind == KindConstructor {
				return errors.New(r)
			}
			return fmt.Errorf("parameter %s has type %s: %s", p.Name, f.Params[i].Go, r)
		}
	}
	for i, r := range f.Results {
		if why := c.refFailure(&r.Type); why != "" {
			return fmt.Errorf("result %d has type %s: %s", i, r.Go, why)
		}
	}
	return nil
}

// paramName is the schema name of parameter i: its declared name, or argN
// when it is blank or missing.
func paramName(name string, i int) string {
	if name == "" || name == "_" {
		return fmt.Sprintf("arg%d", i)
	}
	return name
}

// signature spells fn as "func Name(a int, b int) int", with types relative
// to its package, as go/types writes them.
func signature(fn *types.Func) string {
	var buf bytes.Buffer
	buf.WriteString("func ")
	buf.WriteString(fn.Name())
	types.WriteSignature(&buf, fn.Type().(*types.Signature), types.RelativeTo(fn.Pkg()))
	return buf.String()
}

// methodSignature spells a method as called through a handle:
// "func (*Counter) Add(n int) int".
func methodSignature(recv types.Type, name string, sig *types.Signature, qual types.Qualifier) string {
	var buf bytes.Buffer
	buf.WriteString("func (")
	buf.WriteString(types.TypeString(recv, qual))
	buf.WriteString(") ")
	buf.WriteString(name)
	types.WriteSignature(&buf, sig, qual)
	return buf.String()
}

// joinSel joins selector parts.
func joinSel(parts []string) string { return strings.Join(parts, ".") }
