package scan

import (
	"fmt"
	"go/types"
	"regexp"
	"strings"
)

// Func values (docs/abi.md section 8.5): a value of a func type stays in Go
// behind a handle, like the values of handle types, and goes back to Go
// wherever that func type is expected. A named func type (type Option
// func(*Config)) is the handle type "<import path>.Option"; an unnamed one
// (func(int) int) is a handle type whose key is its spelling with full
// import paths and no parameter names ("func(int) int"), named Func_int__int
// in the package whose declarations meet it first. Each func type of the
// module's packages gets a method entry "<Name>.__call__" that calls the
// value, when its signature is supported, else that entry is skipped with
// the reason.

// funcType returns the wire type of the unnamed func type sig, registering
// its TypeDef on first sight.
func (c *checker) funcType(sig *types.Signature) (Type, error) {
	sig = unnamedSignature(sig)
	if err := funcSpellable(sig); err != nil {
		return Type{}, err
	}
	key := types.TypeString(sig, nil)
	d, ok := c.types[key]
	if !ok {
		d = &TypeDef{
			Key:     key,
			Kind:    "handle",
			Name:    c.funcName(sig),
			Package: c.home,
			Go:      types.TypeString(sig, byName),
			Canon:   types.TypeString(sig, quoted),
			Func:    true,
		}
		c.types[key] = d
		c.sigs[key] = sig
		c.calls = append(c.calls, key)
	}
	return Type{Wire: "&" + key, Canon: d.Canon, Kind: FuncValue, Key: key}, nil
}

// unnamedInterface returns the wire type of the unnamed interface type it with methods, as a
// result Go writes (goldmark's html.WithUnsafe returns interface{renderer.Option; Option}):
// a handle type whose key is its spelling with full import paths, named Interface_ and the
// words of that spelling in the package whose declarations meet it first. Its value passes
// back wherever Go takes an interface it implements; it has no methods in Python.
func (c *checker) unnamedInterface(it *types.Interface) (Type, error) {
	for i := 0; i < it.NumExplicitMethods(); i++ {
		m := it.ExplicitMethod(i)
		if !m.Exported() {
			return Type{}, notSupported(fmt.Sprintf("interface %s: method %s is not exported", typeString(it), m.Name()))
		}
		if err := funcSpellable(m.Type().(*types.Signature)); err != nil {
			return Type{}, err
		}
	}
	for i := 0; i < it.NumEmbeddeds(); i++ {
		n, ok := types.Unalias(it.EmbeddedType(i)).(*types.Named)
		if !ok {
			return Type{}, notSupported(fmt.Sprintf("interface %s: a type set is not supported", typeString(it)))
		}
		if err := nameable(n); err != nil {
			return Type{}, err
		}
	}
	key := types.TypeString(it, nil)
	d, ok := c.types[key]
	if !ok {
		bare := func(*types.Package) string { return "" }
		name := "Interface_" + strings.Join(identWord.FindAllString(strings.TrimPrefix(types.TypeString(it, bare), "interface"), -1), "_")
		base := name
		for i := 2; c.funcNames[c.home+"."+name]; i++ {
			name = fmt.Sprintf("%s_%d", base, i)
		}
		c.funcNames[c.home+"."+name] = true
		d = &TypeDef{Key: key, Kind: "handle", Name: name, Package: c.home, Go: types.TypeString(it, byName), Canon: types.TypeString(it, quoted)}
		c.types[key] = d
	}
	return Type{Wire: "&" + key, Canon: d.Canon, Kind: Handle, Key: key}, nil
}

// unnamedSignature is sig without parameter and result names, nor receiver:
// the spelling of a func type.
func unnamedSignature(sig *types.Signature) *types.Signature {
	strip := func(t *types.Tuple) *types.Tuple {
		vs := make([]*types.Var, t.Len())
		for i := range vs {
			vs[i] = types.NewParam(t.At(i).Pos(), t.At(i).Pkg(), "", t.At(i).Type())
		}
		return types.NewTuple(vs...)
	}
	return types.NewSignatureType(nil, nil, nil, strip(sig.Params()), strip(sig.Results()), sig.Variadic())
}

var identWord = regexp.MustCompile(`[A-Za-z0-9_]+`)

// funcName names the unnamed func type sig for Python: Func_ and the words
// of its parameter types, then __ and those of its results (func(int) int is
// Func_int__int, func(*Config) is Func_Config), made unique in c.home.
func (c *checker) funcName(sig *types.Signature) string {
	bare := func(*types.Package) string { return "" }
	words := func(t *types.Tuple) string {
		var ws []string
		for i := 0; i < t.Len(); i++ {
			ws = append(ws, identWord.FindAllString(types.TypeString(t.At(i).Type(), bare), -1)...)
		}
		return strings.Join(ws, "_")
	}
	name := "Func_" + words(sig.Params())
	if sig.Results().Len() > 0 {
		name += "__" + words(sig.Results())
	}
	base := name
	for i := 2; c.funcNames[c.home+"."+name]; i++ {
		name = fmt.Sprintf("%s_%d", base, i)
	}
	c.funcNames[c.home+"."+name] = true
	return name
}

// funcSpellable says why generated code cannot spell the func type sig, or
// nil: every type it names must be nameable from the bridge.
func funcSpellable(sig *types.Signature) error {
	for _, tu := range []*types.Tuple{sig.Params(), sig.Results()} {
		for i := 0; i < tu.Len(); i++ {
			if err := spellable(tu.At(i).Type()); err != nil {
				return notSupported(fmt.Sprintf("func type %s: %v", typeString(sig), err))
			}
		}
	}
	return nil
}

// isFuncType reports whether n is a named func type.
func isFuncType(n *types.Named) bool {
	_, ok := n.Underlying().(*types.Signature)
	return ok
}

// collectCalls adds the __call__ entries of the func types registered since
// the last time, each in its home package when that is one of the module's
// (pkgs, by import path). Checking an entry may register more func types
// and structs; it reports whether it added anything.
func (c *checker) collectCalls(pkgs map[string]*checkedPackage) bool {
	added := false
	for len(c.ifaces) > 0 {
		key := c.ifaces[0]
		c.ifaces = c.ifaces[1:]
		added = true
		c.implement(c.types[key], c.named[key].Underlying().(*types.Interface))
	}
	for len(c.calls) > 0 {
		key := c.calls[0]
		c.calls = c.calls[1:]
		d := c.types[key]
		added = true
		c.callback(d, c.sigs[key])
		cp := pkgs[d.Package]
		if cp == nil {
			continue
		}
		c.home = d.Package
		sig := c.sigs[key]
		qual := types.RelativeTo(cp.tpkg)
		recvType := types.Type(sig)
		if n, ok := c.named[key]; ok {
			recvType = n
		}
		name := d.Name + ".__call__"
		msig := methodSignature(recvType, "__call__", sig, qual)
		params, results, hasErr, err := c.checkSignature(sig, qual)
		if err != nil {
			cp.skipped = append(cp.skipped, &Skipped{Name: name, Signature: msig, Reason: "calling it: " + err.Error()})
			if c.named[key] == nil {
				c.skippedCalls[d.Package+"."+name] = key
			}
			continue
		}
		recv := Var{Name: "recv", Go: types.TypeString(recvType, qual), Type: Type{Wire: "&" + key, Canon: d.Canon, Kind: FuncValue, Key: key}}
		cp.entries = append(cp.entries, &Func{
			Name: name, Doc: fmt.Sprintf("Calls the Go func value (%s).", d.Go), Signature: msig,
			Params: append([]Var{recv}, params...), Results: results, Error: hasErr,
			Kind: KindCall, GoName: "__call__", Receiver: key, Variadic: sig.Variadic(),
		})
	}
	return added
}

// callback decides whether a host callable can be a value of the func type
// d (signature sig), as Go calls it: the parameters go to the host as
// results do, the results come back as parameters do.
func (c *checker) callback(d *TypeDef, sig *types.Signature) {
	params, results, hasErr, err := c.checkSignatureAs(sig, byName, useResult, useParam)
	if err != nil {
		d.Callback, d.CallbackErr = nil, err.Error()
		return
	}
	d.Callback = &Callback{Params: params, Results: results, Error: hasErr, Variadic: sig.Variadic()}
}

// implement decides whether a host object can implement the interface d:
// each method as a callback (Go names sorted, as the interface lists them).
func (c *checker) implement(d *TypeDef, it *types.Interface) {
	var ms []ImplMethod
	for i := 0; i < it.NumMethods(); i++ {
		m := it.Method(i)
		if !m.Exported() {
			d.ImplementErr = fmt.Sprintf("it has the unexported method %s", m.Name())
			return
		}
		sig := m.Type().(*types.Signature)
		params, results, hasErr, err := c.checkSignatureAs(sig, byName, useResult, useParam)
		if err != nil {
			d.ImplementErr = fmt.Sprintf("method %s: %v", m.Name(), err)
			return
		}
		ms = append(ms, ImplMethod{Name: m.Name(), Callback: Callback{Params: params, Results: results, Error: hasErr, Variadic: sig.Variadic()}})
	}
	d.Implement = ms
}

// callbackFailures drops the callbacks whose signature uses a record that
// is not supported, once every record is checked.
func (c *checker) callbackFailures() {
	for _, d := range c.types {
		if d.Callback == nil {
			continue
		}
		f := &Func{Params: d.Callback.Params, Results: d.Callback.Results}
		if err := c.entryFailure(f); err != nil {
			d.Callback, d.CallbackErr = nil, err.Error()
		}
	}
	for _, d := range c.types {
		for _, m := range d.Implement {
			f := &Func{Params: m.Params, Results: m.Results}
			if err := c.entryFailure(f); err != nil {
				d.Implement, d.ImplementErr = nil, fmt.Sprintf("method %s: %v", m.Name, err)
				break
			}
		}
	}
}
