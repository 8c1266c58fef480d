package scan

import (
	"fmt"
	"go/types"
)

// Value types (docs/abi.md section 8.8): a named type over a basic, slice, array or map type
// that has exported methods, or an integer type whose package declares constants of it (an
// enum). Its values travel as the underlying type's wire type, exactly as before, and the
// schema lists it under "types" with kind "value" so that the host gives such values a class
// of their own (an int subclass with .String(), a list subclass with .Check(v), an IntEnum).
// Its methods are called with the value as the receiver: a value receiver gets it, a pointer
// receiver gets a copy (its changes are not seen by the caller).

// isValueType reports whether n is a named basic, slice, array or map type with an exported
// method in the method set of *n. The types of ownKind (time.Duration) are not.
func isValueType(n *types.Named) bool {
	if _, own := ownWireType(n); own || n.Obj().Pkg() == nil || n.TypeParams().Len() > 0 {
		return false
	}
	switch u := n.Underlying().(type) {
	case *types.Basic:
		if u.Info()&(types.IsBoolean|types.IsInteger|types.IsFloat|types.IsString) == 0 || u.Kind() == types.Uintptr {
			return false
		}
	case *types.Slice, *types.Array, *types.Map:
	default:
		return false
	}
	return len(exportedMethods(types.NewPointer(n))) > 0
}

// isEnumType reports whether n is an exported named integer type whose package declares an
// exported constant of type n.
func isEnumType(n *types.Named) bool {
	obj := n.Obj()
	if obj.Pkg() == nil || !obj.Exported() || n.TypeParams().Len() > 0 {
		return false
	}
	if _, own := ownWireType(n); own {
		return false
	}
	if b, ok := n.Underlying().(*types.Basic); !ok || b.Info()&types.IsInteger == 0 || b.Kind() == types.Uintptr {
		return false
	}
	scope := obj.Pkg().Scope()
	for _, name := range scope.Names() {
		if k, ok := scope.Lookup(name).(*types.Const); ok && k.Exported() && types.Identical(k.Type(), n) {
			return true
		}
	}
	return false
}

// valueDef registers the value type n (if it is one) with its supported type t, and returns t
// with its Key set.
func (c *checker) valueDef(n *types.Named, t Type) (Type, error) {
	if !isValueType(n) && !isEnumType(n) {
		return t, nil
	}
	d, err := c.def(n)
	if err != nil {
		return Type{}, err
	}
	t.Key = d.Key
	if d.Value == nil {
		v := t
		d.Value = &v
	}
	return t, nil
}

// valueClass is the key of n when it is a value type already registered, else "".
func (c *checker) valueClass(n *types.Named) string {
	obj := n.Obj()
	if obj.Pkg() == nil {
		return ""
	}
	if d := c.types[obj.Pkg().Path()+"."+obj.Name()]; d != nil && d.Kind == "value" {
		return d.Key
	}
	return ""
}

// collectValueMethods adds the methods of the value type n, declared in cp: every exported
// method of the method set of *n, called on a copy of the value the host passes.
func (c *checker) collectValueMethods(cp *checkedPackage, n *types.Named) {
	qual := types.RelativeTo(cp.tpkg)
	name := n.Obj().Name()
	recv, recvErr := c.wireTypeIn(n, useParam)
	for _, sel := range exportedMethods(types.NewPointer(n)) {
		m := sel.Obj().(*types.Func)
		sig := sel.Type().(*types.Signature)
		_, ptr := types.Unalias(m.Type().(*types.Signature).Recv().Type()).(*types.Pointer)
		var recvType types.Type = n
		if ptr {
			recvType = types.NewPointer(n)
		}
		entry := name + "." + m.Name()
		msig := methodSignature(recvType, m.Name(), sig, qual)
		if recvErr != nil {
			cp.skipped = append(cp.skipped, &Skipped{Name: entry, Signature: msig,
				Reason: fmt.Sprintf("receiver has type %s: %v", name, recvErr)})
			continue
		}
		params, results, hasErr, err := c.checkSignature(sig, qual)
		if err != nil {
			cp.skipped = append(cp.skipped, &Skipped{Name: entry, Signature: msig, Reason: err.Error()})
			continue
		}
		doc := c.methodDoc(m)
		note := ""
		switch {
		case ptr:
			note = "(Pointer receiver: the method works on a copy of the value; changes it makes are not seen.)"
		case sharesElements(n):
			// A Go slice or map receiver shares its elements with the caller's value; the host's
			// list or dict travels as a copy, so what the method changes in them is not seen.
			note = "(The method works on a copy of the elements: changes it makes to them, as a sort does, are not seen.)"
		}
		if note != "" {
			if doc != "" {
				doc += "\n\n"
			}
			doc += note
		}
		cp.entries = append(cp.entries, &Func{
			Name: entry, Doc: doc, Signature: msig,
			Params:  append([]Var{{Name: "recv", Go: types.TypeString(n, qual), Type: recv}}, params...),
			Results: results, Error: hasErr,
			Kind: KindMethod, GoName: m.Name(), Receiver: recv.Key, Variadic: sig.Variadic(), PtrRecv: ptr,
		})
	}
}

// sharesElements reports whether values of n share their elements with their copies in Go (a
// slice or a map): a method with a value receiver can change them for its caller.
func sharesElements(n *types.Named) bool {
	switch n.Underlying().(type) {
	case *types.Slice, *types.Map:
		return true
	}
	return false
}
