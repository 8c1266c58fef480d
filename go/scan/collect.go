package scan

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// checkedPackage is a package of the module after type-checking, and the
// entries collected from it.
type checkedPackage struct {
	tpkg  *types.Package
	files []*ast.File
	doc   string

	entries []*Func // candidates: their records are checked in finish
	skipped []*Skipped
	consts  []*Const
}

// checkPackage type-checks p from its compiled Go files (so cgo packages
// work).
func checkPackage(fset *token.FileSet, imp types.Importer, sizes types.Sizes, p *listPackage) (*checkedPackage, error) {
	if len(p.CompiledGoFiles) == 0 {
		return nil, errors.New("package has no compiled Go files")
	}
	var files []*ast.File
	for _, name := range p.CompiledGoFiles {
		if !filepath.IsAbs(name) {
			name = filepath.Join(p.Dir, name)
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("parsing failed: %s", firstLine(err.Error()))
		}
		files = append(files, f)
	}
	var typeErrs []error
	conf := types.Config{
		Importer: mappedImporter{imp, p.ImportMap},
		Sizes:    sizes,
		Error:    func(err error) { typeErrs = append(typeErrs, err) },
	}
	if p.Module != nil && p.Module.GoVersion != "" {
		conf.GoVersion = "go" + p.Module.GoVersion
	}
	tpkg, _ := conf.Check(p.ImportPath, fset, files, nil)
	if len(typeErrs) > 0 {
		return nil, fmt.Errorf("type-checking failed (%d errors): %s", len(typeErrs), firstLine(typeErrs[0].Error()))
	}
	var pkgDoc []string
	for _, f := range files {
		if f.Doc != nil {
			pkgDoc = append(pkgDoc, docText(f.Doc))
		}
	}
	return &checkedPackage{tpkg: tpkg, files: files, doc: strings.Join(pkgDoc, "\n")}, nil
}

func docText(g *ast.CommentGroup) string {
	return strings.TrimRight(g.Text(), "\n")
}

// collectDocs records the doc comments of a package's declarations under
// the keys "path.Name" (functions, types, variables), "path.Type.Method"
// (methods, and the methods of interfaces) and "path.Type.Field" (struct
// fields; a field without a doc comment takes its line comment).
func (c *checker) collectDocs(path string, files []*ast.File) {
	put := func(key string, groups ...*ast.CommentGroup) {
		for _, g := range groups {
			if g != nil {
				c.docs[key] = docText(g)
				return
			}
		}
	}
	for _, f := range files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					put(path+"."+d.Name.Name, d.Doc)
				} else if len(d.Recv.List) == 1 {
					if recv := baseTypeName(d.Recv.List[0].Type); recv != "" {
						put(path+"."+recv+"."+d.Name.Name, d.Doc)
					}
				}
			case *ast.GenDecl:
				var single *ast.CommentGroup
				if d.Lparen == token.NoPos {
					single = d.Doc
				}
				for _, spec := range d.Specs {
					switch spec := spec.(type) {
					case *ast.TypeSpec:
						key := path + "." + spec.Name.Name
						put(key, spec.Doc, single)
						switch t := spec.Type.(type) {
						case *ast.StructType:
							for _, fl := range t.Fields.List {
								names := fl.Names
								if len(names) == 0 { // embedded
									if n := baseTypeName(fl.Type); n != "" {
										names = []*ast.Ident{ast.NewIdent(n)}
									}
								}
								for _, n := range names {
									put(key+"."+n.Name, fl.Doc, fl.Comment)
								}
							}
						case *ast.InterfaceType:
							for _, fl := range t.Methods.List {
								for _, n := range fl.Names {
									put(key+"."+n.Name, fl.Doc, fl.Comment)
								}
							}
						}
					case *ast.ValueSpec:
						for _, n := range spec.Names {
							put(path+"."+n.Name, spec.Doc, single)
						}
					}
				}
			}
		}
	}
}

// baseTypeName is the type name in a receiver or embedded field type:
// T, *T, T[P], pkg.T.
func baseTypeName(e ast.Expr) string {
	for {
		switch x := e.(type) {
		case *ast.StarExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.IndexListExpr:
			e = x.X
		case *ast.ParenExpr:
			e = x.X
		case *ast.SelectorExpr:
			return x.Sel.Name
		case *ast.Ident:
			return x.Name
		default:
			return ""
		}
	}
}

// assignGenerics finds the package of each requested instantiation.
func assignGenerics(specs []GenericSpec, checked []*checkedPackage) (map[*checkedPackage][]GenericSpec, error) {
	out := map[*checkedPackage][]GenericSpec{}
	isGeneric := func(cp *checkedPackage, name string) bool {
		fn, ok := cp.tpkg.Scope().Lookup(name).(*types.Func)
		return ok && fn.Type().(*types.Signature).TypeParams().Len() > 0
	}
	for _, spec := range specs {
		var found []*checkedPackage
		for _, cp := range checked {
			if (spec.Path == "" || spec.Path == cp.tpkg.Path()) && isGeneric(cp, spec.Name) {
				found = append(found, cp)
			}
		}
		switch {
		case len(found) == 1:
			out[found[0]] = append(out[found[0]], spec)
		case len(found) == 0 && spec.Path != "":
			return nil, fmt.Errorf("generic instantiation %q: package %s of the module has no generic function %s", spec.Raw, spec.Path, spec.Name)
		case len(found) == 0:
			return nil, fmt.Errorf("generic instantiation %q: no package of the module has a generic function %s", spec.Raw, spec.Name)
		default:
			var paths []string
			for _, cp := range found {
				paths = append(paths, cp.tpkg.Path())
			}
			return nil, fmt.Errorf("generic instantiation %q: several packages have a generic function %s (%s): qualify it, as in %s.%s[...]",
				spec.Raw, spec.Name, strings.Join(paths, ", "), paths[0], spec.Name)
		}
	}
	return out, nil
}

// collect finds the entries of one package: exported functions (and the
// requested instantiations of generic ones), exported variables, and the
// methods and constructors of its exported handle types. Entries whose
// signature is not supported are skipped with the reason; the others are
// candidates until finish has seen the records they use.
func (c *checker) collect(cp *checkedPackage, gens []GenericSpec, imp func(string) (*types.Package, error)) error {
	pkg := cp.tpkg
	c.home = pkg.Path()
	qual := types.RelativeTo(pkg)
	skip := func(name, sig string, err error) {
		cp.skipped = append(cp.skipped, &Skipped{Name: name, Signature: sig, Reason: err.Error()})
	}
	scope := pkg.Scope()
	for _, name := range scope.Names() { // sorted
		obj := scope.Lookup(name)
		if !obj.Exported() {
			continue
		}
		switch obj := obj.(type) {
		case *types.Func:
			sig := obj.Type().(*types.Signature)
			if sig.TypeParams().Len() > 0 {
				if err := c.collectGeneric(cp, obj, gens, imp); err != nil {
					return err
				}
				continue
			}
			params, results, hasErr, err := c.checkSignature(sig, qual)
			if err != nil {
				skip(name, signature(obj), err)
				continue
			}
			f := &Func{
				Name: name, Doc: c.docs[pkg.Path()+"."+name], Signature: signature(obj),
				Params: params, Results: results, Error: hasErr,
				Kind: KindFunc, GoName: name, Variadic: sig.Variadic(),
			}
			c.markInPlace(f, sig, 0)
			cp.entries = append(cp.entries, f)
		case *types.Var:
			c.collectVar(cp, obj)
		case *types.Const:
			c.collectConst(cp, obj)
		case *types.TypeName:
			if obj.IsAlias() {
				continue // the aliased type is bridged where it is declared
			}
			n, ok := obj.Type().(*types.Named)
			if !ok {
				continue
			}
			c.collectMethods(cp, n)
			c.collectDeclared(n)
		}
	}
	return nil
}

// collectDeclared registers n, an exported type of a scanned package, when it is a struct that
// travels as a record (not generic, not a handle type): it is in the schema even when no
// bridged entry uses it, if its fields all travel (reachable), so that Python can name it in
// Ref(pkg.T) (docs/abi.md section 8.6).
func (c *checker) collectDeclared(n *types.Named) {
	if n.TypeParams().Len() > 0 || !isStruct(n) || isHandleType(n) {
		return
	}
	if _, own := ownWireType(n); own {
		return
	}
	if d, err := c.def(n); err == nil {
		c.declared = append(c.declared, d.Key)
	}
}

// collectGeneric adds the requested instantiations of the generic fn, or
// skips fn when none was requested.
func (c *checker) collectGeneric(cp *checkedPackage, fn *types.Func, gens []GenericSpec, imp func(string) (*types.Package, error)) error {
	pkg := cp.tpkg
	sig := fn.Type().(*types.Signature)
	var mine []GenericSpec
	for _, g := range gens {
		if g.Name == fn.Name() {
			mine = append(mine, g)
		}
	}
	if len(mine) == 0 {
		var tps []string
		for i := 0; i < sig.TypeParams().Len(); i++ {
			tps = append(tps, sig.TypeParams().At(i).Obj().Name())
		}
		cp.skipped = append(cp.skipped, &Skipped{Name: fn.Name(), Signature: signature(fn),
			Reason: genericHint(fn.Name(), tps)})
		return nil
	}
	seen := map[string]bool{}
	for _, g := range mine {
		var targs []types.Type
		for _, a := range g.TypeArgs {
			p := &typeArgParser{s: a, pkg: pkg, imp: imp, spec: g.Raw}
			t, err := p.parse()
			if err != nil {
				return err
			}
			targs = append(targs, t)
		}
		name, args := instanceName(fn.Name(), targs)
		if seen[name] {
			continue
		}
		seen[name] = true
		instSig := signature(fn)
		if len(targs) != sig.TypeParams().Len() {
			cp.skipped = append(cp.skipped, &Skipped{Name: name, Signature: instSig,
				Reason: fmt.Sprintf("%s has %d type parameters, got %d type arguments", fn.Name(), sig.TypeParams().Len(), len(targs))})
			continue
		}
		var canon []string
		var bad error
		for _, t := range targs {
			if err := spellable(t); err != nil && bad == nil {
				bad = fmt.Errorf("type argument %s: %w", typeString(t), err)
			}
			canon = append(canon, types.TypeString(t, quoted))
		}
		if bad != nil {
			cp.skipped = append(cp.skipped, &Skipped{Name: name, Signature: instSig, Reason: bad.Error()})
			continue
		}
		inst, err := types.Instantiate(types.NewContext(), sig, targs, true)
		if err != nil {
			cp.skipped = append(cp.skipped, &Skipped{Name: name, Signature: instSig,
				Reason: fmt.Sprintf("cannot instantiate %s: %v", name, err)})
			continue
		}
		isig := inst.(*types.Signature)
		qual := types.RelativeTo(pkg)
		var b bytes.Buffer
		b.WriteString("func " + name)
		types.WriteSignature(&b, isig, qual)
		params, results, hasErr, err := c.checkSignature(isig, qual)
		if err != nil {
			cp.skipped = append(cp.skipped, &Skipped{Name: name, Signature: b.String(), Reason: err.Error()})
			continue
		}
		cp.entries = append(cp.entries, &Func{
			Name: name, Doc: c.docs[pkg.Path()+"."+fn.Name()], Signature: b.String(),
			Params: params, Results: results, Error: hasErr,
			Kind: KindFunc, GoName: fn.Name(), Variadic: isig.Variadic(),
			Generic: &Generic{Name: fn.Name(), TypeArgs: args, Canon: canon},
		})
	}
	return nil
}

// collectVar adds the entry that reads the package variable v. A variable
// of a handle type X (not a pointer) gives a handle to the variable itself.
func (c *checker) collectVar(cp *checkedPackage, v *types.Var) {
	pkg := cp.tpkg
	qual := types.RelativeTo(pkg)
	sig := "var " + v.Name() + " " + types.TypeString(v.Type(), qual)
	f := &Func{Name: v.Name(), Doc: c.docs[pkg.Path()+"."+v.Name()], Signature: sig, Kind: KindVar, GoName: v.Name()}
	if def := c.unexportedDef(v.Type()); def != nil {
		// Held as a pointer, to the variable itself when it is not one (methods of *T too).
		_, isPtr := types.Unalias(v.Type()).(*types.Pointer)
		f.VarAddr = !isPtr
		f.Results = []Var{{Go: def.Go, Type: Type{Wire: "&" + def.Key, Canon: "any", Kind: Handle, Key: def.Key}}}
		cp.entries = append(cp.entries, f)
		return
	}
	if n, ok := types.Unalias(v.Type()).(*types.Named); ok && isHandleType(n) && !isFuncType(n) {
		if _, isIface := n.Underlying().(*types.Interface); !isIface {
			def, err := c.def(n)
			if err != nil {
				cp.skipped = append(cp.skipped, &Skipped{Name: v.Name(), Signature: sig, Reason: fmt.Sprintf("variable %s has type %s: %v", v.Name(), types.TypeString(v.Type(), qual), err)})
				return
			}
			f.VarAddr = true
			f.Results = []Var{{Go: "*" + types.TypeString(v.Type(), qual), Type: Type{Wire: "&" + def.Key, Canon: "*" + def.Canon, Kind: Handle, Key: def.Key}}}
			cp.entries = append(cp.entries, f)
			return
		}
	}
	t, err := c.wireTypeIn(v.Type(), useResult)
	if err != nil {
		cp.skipped = append(cp.skipped, &Skipped{Name: v.Name(), Signature: sig, Reason: fmt.Sprintf("variable %s has type %s: %v", v.Name(), types.TypeString(v.Type(), qual), err)})
		return
	}
	f.Results = []Var{{Go: types.TypeString(v.Type(), qual), Type: t}}
	cp.entries = append(cp.entries, f)
}

// unexportedDef returns the handle TypeDef of t when t is T or *T for an unexported,
// non-generic type T declared at the top level of a package, with an exported method in the
// method set of *T; else nil. Such a variable (goldmark's extension.GFM is a *gfm) is read as
// an opaque Go object holding a *T: generated code cannot spell T, so the handle holds it as
// any, it has no methods in Python, and it passes back wherever Go takes an interface *T
// implements (bridge.DecodeHandle asserts the interface; docs/abi.md section 8.3).
func (c *checker) unexportedDef(t types.Type) *TypeDef {
	t = types.Unalias(t)
	if p, ok := t.(*types.Pointer); ok {
		t = types.Unalias(p.Elem())
	}
	n, ok := t.(*types.Named)
	if !ok || n.Obj().Pkg() == nil || n.Obj().Exported() || n.TypeParams().Len() > 0 || n.TypeArgs().Len() > 0 ||
		n.Obj().Parent() != n.Obj().Pkg().Scope() {
		return nil
	}
	if _, iface := n.Underlying().(*types.Interface); iface {
		return nil
	}
	if _, fn := n.Underlying().(*types.Signature); fn {
		return nil
	}
	exported := false
	ms := types.NewMethodSet(types.NewPointer(n))
	for i := 0; i < ms.Len(); i++ {
		exported = exported || ms.At(i).Obj().Exported()
	}
	if !exported {
		return nil
	}
	key := n.Obj().Pkg().Path() + "." + n.Obj().Name()
	if d, ok := c.types[key]; ok {
		return d
	}
	d := &TypeDef{Key: key, Kind: "handle", Name: n.Obj().Name(), Package: n.Obj().Pkg().Path(), Go: types.TypeString(types.NewPointer(n), byName), Canon: "any"}
	c.types[key] = d
	return d
}

// collectMethods adds the methods (and, for a struct, the constructor) of
// the exported defined type n when it is a handle type. Every method of the
// method set of *X (of X for an interface) is one, wherever it is declared:
// value and pointer receivers, and methods promoted from embedded types.
func (c *checker) collectMethods(cp *checkedPackage, n *types.Named) {
	pkg := cp.tpkg
	qual := types.RelativeTo(pkg)
	name := n.Obj().Name()
	if n.TypeParams().Len() > 0 {
		ms := types.NewMethodSet(types.NewPointer(n))
		for i := 0; i < ms.Len(); i++ {
			if m := ms.At(i).Obj(); m.Exported() {
				cp.skipped = append(cp.skipped, &Skipped{Name: name + "." + m.Name(),
					Signature: methodSignature(types.NewPointer(n), m.Name(), ms.At(i).Type().(*types.Signature), qual),
					Reason:    "methods of generic types are not supported"})
			}
		}
		return
	}
	if isValueType(n) {
		c.collectValueMethods(cp, n)
		return
	}
	if !isHandleType(n) {
		return
	}
	def, err := c.def(n)
	if err != nil {
		return // cannot happen: an exported package-level type of an importable package
	}
	var recvType types.Type = types.NewPointer(n)
	recv := Type{Wire: "&" + def.Key, Canon: "*" + def.Canon, Kind: Handle, Key: def.Key}
	if def.Interface || def.Func {
		recvType = n
		recv.Canon = def.Canon
	}
	if def.Func {
		recv.Kind = FuncValue
	}
	for _, sel := range exportedMethods(recvType) {
		m, sig := sel.Obj().(*types.Func), sel.Type().(*types.Signature)
		entry := name + "." + m.Name()
		msig := methodSignature(recvType, m.Name(), sig, qual)
		params, results, hasErr, err := c.checkSignature(sig, qual)
		if err != nil {
			cp.skipped = append(cp.skipped, &Skipped{Name: entry, Signature: msig, Reason: err.Error()})
			continue
		}
		f := &Func{
			Name: entry, Doc: c.methodDoc(m), Signature: msig,
			Params:  append([]Var{{Name: "recv", Go: def.Go, Type: recv}}, params...),
			Results: results, Error: hasErr,
			Kind: KindMethod, GoName: m.Name(), Receiver: def.Key, Variadic: sig.Variadic(),
		}
		c.markInPlace(f, sig, 1)
		cp.entries = append(cp.entries, f)
	}
	if def.Struct && !isValueObject(n) {
		c.recordMethods(cp, n, def)
	}
	if def.Struct {
		goType := types.TypeString(types.NewPointer(n), qual)
		cp.entries = append(cp.entries, &Func{
			Name:      name + ".__new__",
			Doc:       fmt.Sprintf("Constructs a new %s from nil (its zero value) or its exported fields, all optional.", name),
			Signature: fmt.Sprintf("func %s.__new__(fields %s) %s", name, goType, goType),
			Params: []Var{{Name: "fields", Go: goType, Type: Type{Wire: "*@" + def.Key, Canon: "*" + def.Canon, Kind: Pointer,
				Elem: &Type{Wire: "@" + def.Key, Canon: def.Canon, Kind: Record, Key: def.Key}}}},
			Results:    []Var{{Go: goType, Type: Type{Wire: "&" + def.Key, Canon: "*" + def.Canon, Kind: Handle, Key: def.Key}}},
			Kind:       KindConstructor,
			GoName:     name,
			Constructs: def.Key,
		})
	}
}

// recordMethods adds the methods of n's record form (n a struct whose fields are all exported,
// with methods): entries named "X.Fields.M" with receiver "@" + key, whose first parameter is
// the record by value. Go calls the method on a copy of it (a local variable), so a method with
// a pointer receiver changes only that copy, as its doc says. reachable keeps them only for
// records some entry or field uses by value.
func (c *checker) recordMethods(cp *checkedPackage, n *types.Named, def *TypeDef) {
	qual := types.RelativeTo(cp.tpkg)
	recv := Var{Name: "recv", Go: types.TypeString(n, qual), Type: Type{Wire: "@" + def.Key, Canon: def.Canon, Kind: Record, Key: def.Key}}
	for _, sel := range exportedMethods(types.NewPointer(n)) {
		m, sig := sel.Obj().(*types.Func), sel.Type().(*types.Signature)
		params, results, hasErr, err := c.checkSignature(sig, qual)
		if err != nil {
			continue // skipped already as the method of *X
		}
		doc := c.methodDoc(m)
		recvType := types.Type(n)
		if _, ptr := types.Unalias(m.Type().(*types.Signature).Recv().Type()).(*types.Pointer); ptr {
			recvType = types.NewPointer(n)
			note := "Pointer receiver: Go calls it on a copy of this record; changes it makes to the copy are not seen."
			doc = strings.TrimSpace(doc + "\n\n" + note)
		}
		cp.entries = append(cp.entries, &Func{
			Name: def.Name + ".Fields." + m.Name(), Doc: doc, Signature: methodSignature(recvType, m.Name(), sig, qual),
			Params:  append([]Var{recv}, params...),
			Results: results, Error: hasErr,
			Kind: KindMethod, GoName: m.Name(), Receiver: "@" + def.Key, Variadic: sig.Variadic(),
		})
	}
}

// fieldAccessors adds the field accessors of the struct handle types of the schema declared in
// pkgs: for each exported field of the type's record form (not behind an embedded pointer,
// which may be nil), a getter "X.F.__get__" and a setter "X.F.__set__", method entries on the
// Go object (docs/abi.md section 8.3). Their types are the fields', already in the schema.
func (c *checker) fieldAccessors(pkgs []*Package, types map[string]*TypeDef) {
	byPath := map[string]*Package{}
	for _, p := range pkgs {
		byPath[p.Path] = p
	}
	for _, key := range sortedKeys(types) {
		d := types[key]
		p := byPath[d.Package]
		if p == nil || d.Kind != "handle" || !d.Struct || c.named[key] == nil {
			continue
		}
		recv := Var{Name: "recv", Go: d.Go, Type: Type{Wire: "&" + key, Canon: "*" + d.Canon, Kind: Handle, Key: key}}
		for _, f := range c.accessors(d) {
			value := Var{Name: "value", Go: f.Go, Type: f.Type}
			p.Funcs = append(p.Funcs,
				&Func{Name: d.Name + "." + f.Name + ".__get__", Doc: f.Doc, Kind: KindMethod, Receiver: key, GoName: f.Name,
					Signature: fmt.Sprintf("func (%s) %s.__get__() %s", d.Go, f.Name, f.Go),
					Params:    []Var{recv}, Results: []Var{{Go: f.Go, Type: f.Type}}, FieldSel: f.Sel},
				&Func{Name: d.Name + "." + f.Name + ".__set__", Doc: f.Doc, Kind: KindMethod, Receiver: key, GoName: f.Name,
					Signature: fmt.Sprintf("func (%s) %s.__set__(value %s)", d.Go, f.Name, f.Go),
					Params:    []Var{recv, value}, FieldSel: f.Sel, SetField: true})
		}
		sort.Slice(p.Funcs, func(i, j int) bool { return p.Funcs[i].Name < p.Funcs[j].Name })
	}
}

// methodDoc is the doc comment of method m where it is declared.
func (c *checker) methodDoc(m *types.Func) string {
	recv := m.Type().(*types.Signature).Recv()
	if recv == nil || m.Pkg() == nil {
		return ""
	}
	t := types.Unalias(recv.Type())
	if p, ok := t.(*types.Pointer); ok {
		t = types.Unalias(p.Elem())
	}
	if n, ok := t.(*types.Named); ok {
		return c.docs[m.Pkg().Path()+"."+n.Obj().Name()+"."+m.Name()]
	}
	return ""
}

// finish checks the records of a package's candidates, now that every
// struct has been analysed, and returns the package with its entries.
func (c *checker) finish(cp *checkedPackage) *Package {
	p := &Package{Path: cp.tpkg.Path(), Name: cp.tpkg.Name(), Doc: cp.doc, Skipped: cp.skipped, Consts: cp.consts}
	for _, f := range cp.entries {
		c.settleInPlace(f) // escape.go
		if err := c.entryFailure(f); err != nil {
			p.Skipped = append(p.Skipped, &Skipped{Name: f.Name, Signature: f.Signature, Reason: err.Error()})
			continue
		}
		p.Funcs = append(p.Funcs, f)
	}
	sort.Slice(p.Funcs, func(i, j int) bool { return p.Funcs[i].Name < p.Funcs[j].Name })
	sort.Slice(p.Skipped, func(i, j int) bool { return p.Skipped[i].Name < p.Skipped[j].Name })
	return p
}

// reachable returns the types of the schema: the handle types and the
// record structs (those whose fields all travel) declared in the module's
// packages, and every record and handle type a supported entry uses,
// directly or through the fields of records. It fills in the methods
// and constructors of handle types.
func (c *checker) reachable(pkgs []*Package) map[string]*TypeDef {
	out := map[string]*TypeDef{}
	// ctorFields is the record a constructor entry being visited takes: the type's own fields,
	// not a use of its record form by value.
	var ctorFields *Type
	modulePkgs := map[string]bool{}
	for _, p := range pkgs {
		modulePkgs[p.Path] = true
	}
	var visit func(t *Type)
	visit = func(t *Type) {
		if t == nil {
			return
		}
		if t.Kind == Record && t != ctorFields {
			c.byValue[t.Key] = true
		}
		// Record, Handle, FuncValue, and the value types (values.go) have a Key.
		if t.Key != "" {
			if d := c.types[t.Key]; d != nil && out[t.Key] == nil {
				out[t.Key] = d
				visit(d.Value)
				for i := range d.Fields {
					visit(&d.Fields[i].Type)
				}
				if d.FieldsErr != "" && c.named[t.Key] != nil && modulePkgs[d.Package] {
					for _, f := range c.accessors(d) { // the field accessors' types
						visit(&f.Type)
					}
				}
				for _, cb := range d.Callbacks() {
					for i := range cb.Params {
						visit(&cb.Params[i].Type)
					}
					for i := range cb.Results {
						visit(&cb.Results[i].Type)
					}
				}
			}
		}
		visit(t.Elem)
	}
	// An unnamed func type is declared nowhere: it is in the schema when an
	// entry (other than its own __call__) or a field uses it, since a skipped
	// signature may have met it too.
	unnamed := func(key string) bool { return c.types[key].Func && c.named[key] == nil }
	for _, key := range sortedKeys(c.types) {
		if d := c.types[key]; (d.Kind == "handle" || d.Kind == "value") && modulePkgs[d.Package] && !unnamed(key) {
			visit(&Type{Kind: Handle, Key: key})
		}
	}
	// The classes of constants (a constant of another package's enum type).
	for _, p := range pkgs {
		for _, k := range p.Consts {
			if k.Class != "" {
				visit(&Type{Key: k.Class})
			}
		}
	}
	visitEntry := func(f *Func) {
		ctorFields = nil
		if f.Kind == KindConstructor {
			ctorFields = f.Params[0].Type.Elem
		}
		for i := range f.Params {
			visit(&f.Params[i].Type)
		}
		for i := range f.Results {
			visit(&f.Results[i].Type)
		}
	}
	recordMethod := func(f *Func) bool { return strings.HasPrefix(f.Receiver, "@") }
	for _, p := range pkgs {
		for _, f := range p.Funcs {
			if (f.Kind != KindCall || !unnamed(f.Receiver)) && !recordMethod(f) {
				visitEntry(f)
			}
		}
	}
	// The module's own record structs, used or not; one whose fields do not all travel is left
	// out silently, as it is today when no entry uses it.
	for _, key := range c.declared {
		if d := c.types[key]; d.FieldsErr == "" {
			visit(&Type{Kind: Record, Key: key})
		}
	}
	// Calling a used unnamed func type may use more of them, and a record used by value
	// brings its methods, which may use more records.
	kept := map[*Func]bool{}
	for grew := true; grew; {
		n, nv := len(out), len(c.byValue)
		for _, p := range pkgs {
			for _, f := range p.Funcs {
				if f.Kind == KindCall && unnamed(f.Receiver) && out[f.Receiver] != nil {
					visitEntry(f)
				}
				if recordMethod(f) && !kept[f] && c.byValue[f.Receiver[1:]] {
					kept[f] = true
					visitEntry(f)
				}
			}
		}
		grew = len(out) > n || len(c.byValue) > nv
	}
	c.fieldAccessors(pkgs, out)
	for _, p := range pkgs {
		p.Funcs = slices.DeleteFunc(p.Funcs, func(f *Func) bool {
			return f.Kind == KindCall && unnamed(f.Receiver) && out[f.Receiver] == nil || recordMethod(f) && !kept[f]
		})
		p.Skipped = slices.DeleteFunc(p.Skipped, func(s *Skipped) bool {
			key, ok := c.skippedCalls[p.Path+"."+s.Name]
			return ok && out[key] == nil
		})
		for _, f := range p.Funcs {
			switch f.Kind {
			case KindMethod, KindCall:
				if recordMethod(f) {
					continue // found by its receiver "@key", not listed in the type's methods
				}
				d := c.types[f.Receiver]
				d.Methods = append(d.Methods, f.Name)
			case KindConstructor:
				c.types[f.Constructs].Constructor = f.Name
			}
		}
	}
	return out
}

// genericHint is the reason of a generic function without an instantiation: how to ask for one,
// in the spelling of Python's import_ (the --generic option of the command line takes the
// same text), with an example that puts int64 for every type parameter.
func genericHint(name string, tps []string) string {
	example := make([]string, len(tps))
	for i := range example {
		example[i] = "int64"
	}
	return fmt.Sprintf("generic function: no instantiation requested (ask for one with generics=[\"%s[%s]\"], its type parameters replaced by Go types, e.g. generics=[\"%s[%s]\"]; --generic on the command line)",
		name, strings.Join(tps, ","), name, strings.Join(example, ","))
}
