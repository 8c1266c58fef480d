package scan

import (
	"fmt"
	"go/types"
	"strconv"
	"strings"
)

// Generic functions (docs/abi.md section 8.4) are bridged only for the
// instantiations the builder is asked for: -generic 'Keys[string,int64]'
// or -generic 'example.com/m/sub.Keys[string,int64]'.
//
// An unqualified name means the one package of the module that has a generic
// function of that name (it is an error when there are several: qualify it
// then). A type argument is a predeclared type (int64, string, any, error,
// ...), a composite of type arguments ([]T, [N]T, map[K]V, *T), or a defined
// type, written with its import path (example.com/m.Point, time.Duration) or,
// for a type of the generic function's own package, by its name alone.

// GenericSpec is one requested instantiation.
type GenericSpec struct {
	Raw      string   // as given
	Path     string   // the package's import path; "" when unqualified
	Name     string   // the generic function
	TypeArgs []string // as written
}

// ParseGeneric parses an instantiation request such as "Keys[string,int64]"
// or "example.com/m.Identity[example.com/m.Point]". It checks the syntax
// only; Scan resolves the names.
func ParseGeneric(s string) (GenericSpec, error) {
	spec := GenericSpec{Raw: s}
	s = strings.TrimSpace(s)
	open := strings.IndexByte(s, '[')
	if open <= 0 || !strings.HasSuffix(s, "]") {
		return spec, fmt.Errorf("generic instantiation %q: want Name[T1,T2] or import/path.Name[T1,T2]", spec.Raw)
	}
	head, inner := s[:open], s[open+1:len(s)-1]
	if dot := strings.LastIndexByte(head, '.'); dot >= 0 {
		spec.Path, spec.Name = head[:dot], head[dot+1:]
		if spec.Path == "" {
			return spec, fmt.Errorf("generic instantiation %q: empty import path", spec.Raw)
		}
	} else {
		spec.Name = head
	}
	if !isIdent(spec.Name) {
		return spec, fmt.Errorf("generic instantiation %q: %q is not a function name", spec.Raw, spec.Name)
	}
	args, err := splitTopLevel(inner)
	if err != nil {
		return spec, fmt.Errorf("generic instantiation %q: %v", spec.Raw, err)
	}
	for _, a := range args {
		a = strings.TrimSpace(a)
		if a == "" {
			return spec, fmt.Errorf("generic instantiation %q: empty type argument", spec.Raw)
		}
		spec.TypeArgs = append(spec.TypeArgs, a)
	}
	return spec, nil
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r != '_' && !('a' <= r && r <= 'z') && !('A' <= r && r <= 'Z') && (i == 0 || !('0' <= r && r <= '9')) && r < 0x80 {
			return false
		}
	}
	return true
}

// splitTopLevel splits s at the commas outside brackets and braces.
func splitTopLevel(s string) ([]string, error) {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[', '{', '(':
			depth++
		case ']', '}', ')':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("unbalanced %q", s[i])
			}
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("unbalanced brackets")
	}
	return append(out, s[start:]), nil
}

// typeArgParser reads one type argument.
type typeArgParser struct {
	s    string
	pos  int
	pkg  *types.Package                            // the generic function's package
	imp  func(path string) (*types.Package, error) // other packages
	spec string
}

func (p *typeArgParser) errorf(format string, args ...any) error {
	return fmt.Errorf("generic instantiation %q: type argument %q: %s", p.spec, p.s, fmt.Sprintf(format, args...))
}

func (p *typeArgParser) parse() (types.Type, error) {
	t, err := p.typ()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.s) {
		return nil, p.errorf("unexpected %q", p.s[p.pos:])
	}
	return t, nil
}

func (p *typeArgParser) eat(prefix string) bool {
	if strings.HasPrefix(p.s[p.pos:], prefix) {
		p.pos += len(prefix)
		return true
	}
	return false
}

func (p *typeArgParser) typ() (types.Type, error) {
	switch {
	case p.eat("[]"):
		elem, err := p.typ()
		if err != nil {
			return nil, err
		}
		return types.NewSlice(elem), nil
	case p.eat("["):
		end := strings.IndexByte(p.s[p.pos:], ']')
		if end < 0 {
			return nil, p.errorf("missing ]")
		}
		n, err := strconv.ParseInt(p.s[p.pos:p.pos+end], 10, 64)
		if err != nil || n < 0 {
			return nil, p.errorf("bad array length %q", p.s[p.pos:p.pos+end])
		}
		p.pos += end + 1
		elem, err := p.typ()
		if err != nil {
			return nil, err
		}
		return types.NewArray(elem, n), nil
	case p.eat("map["):
		key, err := p.typ()
		if err != nil {
			return nil, err
		}
		if !p.eat("]") {
			return nil, p.errorf("missing ] after the map key")
		}
		elem, err := p.typ()
		if err != nil {
			return nil, err
		}
		return types.NewMap(key, elem), nil
	case p.eat("*"):
		elem, err := p.typ()
		if err != nil {
			return nil, err
		}
		return types.NewPointer(elem), nil
	case p.eat("interface{}"):
		return types.NewInterfaceType(nil, nil), nil
	}
	start := p.pos
	for p.pos < len(p.s) && strings.IndexByte(",[]{}()* ", p.s[p.pos]) < 0 {
		p.pos++
	}
	word := p.s[start:p.pos]
	if word == "" {
		return nil, p.errorf("expected a type at %q", p.s[start:])
	}
	dot := strings.LastIndexByte(word, '.')
	if dot < 0 {
		if obj := types.Universe.Lookup(word); obj != nil {
			if tn, ok := obj.(*types.TypeName); ok {
				return tn.Type(), nil
			}
		}
		if obj := p.pkg.Scope().Lookup(word); obj != nil {
			if tn, ok := obj.(*types.TypeName); ok {
				return types.Unalias(tn.Type()), nil
			}
		}
		return nil, p.errorf("no type %s in %s or among the predeclared types", word, p.pkg.Path())
	}
	path, name := word[:dot], word[dot+1:]
	pkg := p.pkg
	if path != p.pkg.Path() {
		var err error
		if pkg, err = p.imp(path); err != nil {
			return nil, p.errorf("package %s is not available: %v", path, err)
		}
	}
	tn, ok := pkg.Scope().Lookup(name).(*types.TypeName)
	if !ok {
		return nil, p.errorf("no type %s in %s", name, path)
	}
	return types.Unalias(tn.Type()), nil
}

// instanceName spells an instantiation as the schema names it:
// "Keys[string,int64]", type arguments with full import paths.
func instanceName(name string, targs []types.Type) (string, []string) {
	var args []string
	for _, t := range targs {
		args = append(args, typeString(t))
	}
	return name + "[" + strings.Join(args, ",") + "]", args
}

// spellable says why generated code cannot spell t (a type argument, or a
// type in a func type), or nil.
func spellable(t types.Type) error {
	switch t := types.Unalias(t).(type) {
	case *types.Chan:
		return spellable(t.Elem())
	case *types.Signature:
		return funcSpellable(t)
	case *types.Basic:
		if t.Kind() == types.UnsafePointer {
			return notSupported("unsafe.Pointer is not supported")
		}
		return nil
	case *types.Slice:
		return spellable(t.Elem())
	case *types.Array:
		return spellable(t.Elem())
	case *types.Pointer:
		return spellable(t.Elem())
	case *types.Map:
		if err := spellable(t.Key()); err != nil {
			return err
		}
		return spellable(t.Elem())
	case *types.Interface:
		if t.Empty() {
			return nil
		}
	case *types.Named:
		if t.Obj().Pkg() == nil {
			return nil // error
		}
		return nameable(t)
	}
	return notSupported(fmt.Sprintf("type %s cannot be a type argument here", typeString(t)))
}
