package scan

import (
	"bytes"
	"errors"
	"fmt"
	"go/types"
)

// This file is the single source of truth for what the bridge supports. The
// generator only ever sees functions that passed checkFunc, and it spells
// types from Type.Canon, so a function accepted here always compiles.

// unsupported is the reason a type is not supported, without the
// "parameter x has type T: " prefix.
type unsupported struct{ reason string }

func (u *unsupported) Error() string { return u.reason }

func notSupported(reason string) error { return &unsupported{reason} }

var errorType = types.Universe.Lookup("error").Type()

// wireType decides whether t is a Level-1 type and returns its wire type and
// canonical spelling. int and uint are 64-bit: Scan refuses targets where
// they are not.
func wireType(t types.Type) (Type, error) {
	t = types.Unalias(t)
	switch t := t.(type) {
	case *types.Basic:
		return basicType(t)
	case *types.Slice:
		elem := types.Unalias(t.Elem())
		if b, ok := elem.(*types.Basic); ok && b.Kind() == types.Uint8 {
			return Type{Wire: "bytes", Canon: "[]byte"}, nil
		}
		et, err := wireType(elem)
		if err != nil {
			return Type{}, err
		}
		return Type{Wire: "[]" + et.Wire, Canon: "[]" + et.Canon}, nil
	case *types.Named:
		if types.Identical(t, errorType) {
			return Type{}, notSupported("error is only supported as the last result")
		}
		switch t.Underlying().(type) {
		case *types.Struct:
			return Type{}, notSupported("structs are not supported yet")
		case *types.Interface:
			return Type{}, notSupported("interfaces are not supported yet")
		}
		return Type{}, notSupported("named types are not supported yet")
	case *types.TypeParam:
		return Type{}, notSupported("type parameters are not supported yet")
	case *types.Pointer:
		return Type{}, notSupported("pointers are not supported yet")
	case *types.Map:
		return Type{}, notSupported("maps are not supported yet")
	case *types.Chan:
		return Type{}, notSupported("channels are not supported")
	case *types.Signature:
		return Type{}, notSupported("function values are not supported")
	case *types.Interface:
		return Type{}, notSupported("interfaces are not supported yet")
	case *types.Struct:
		return Type{}, notSupported("structs are not supported yet")
	case *types.Array:
		return Type{}, notSupported("arrays are not supported yet")
	case *types.Tuple:
		return Type{}, notSupported("tuples are not types")
	}
	return Type{}, notSupported(fmt.Sprintf("%T is not supported", t))
}

func basicType(b *types.Basic) (Type, error) {
	switch b.Kind() {
	case types.Bool:
		return Type{"bool", "bool"}, nil
	case types.Int:
		return Type{"int64", "int"}, nil
	case types.Int8:
		return Type{"int8", "int8"}, nil
	case types.Int16:
		return Type{"int16", "int16"}, nil
	case types.Int32:
		return Type{"int32", "int32"}, nil
	case types.Int64:
		return Type{"int64", "int64"}, nil
	case types.Uint:
		return Type{"uint64", "uint"}, nil
	case types.Uint8:
		return Type{"uint8", "uint8"}, nil
	case types.Uint16:
		return Type{"uint16", "uint16"}, nil
	case types.Uint32:
		return Type{"uint32", "uint32"}, nil
	case types.Uint64:
		return Type{"uint64", "uint64"}, nil
	case types.Float32:
		return Type{"float32", "float32"}, nil
	case types.Float64:
		return Type{"float64", "float64"}, nil
	case types.String:
		return Type{"string", "string"}, nil
	case types.Uintptr:
		return Type{}, notSupported("uintptr is not supported")
	case types.Complex64, types.Complex128:
		return Type{}, notSupported("complex numbers are not supported yet")
	case types.UnsafePointer:
		return Type{}, notSupported("unsafe.Pointer is not supported")
	}
	return Type{}, notSupported(fmt.Sprintf("type %s is not supported", b))
}

// checkFunc decides whether fn is supported. On success it returns the
// parameters, the results without a trailing error, and whether there is
// one; otherwise the reason it is not.
func checkFunc(fn *types.Func) (params, results []Var, hasErr bool, err error) {
	sig := fn.Type().(*types.Signature)
	qual := types.RelativeTo(fn.Pkg())
	if sig.TypeParams().Len() > 0 {
		return nil, nil, false, errors.New("type parameters: generic functions are not supported yet")
	}
	if sig.Recv() != nil {
		return nil, nil, false, errors.New("methods are not supported yet")
	}
	for i := 0; i < sig.Params().Len(); i++ {
		p := sig.Params().At(i)
		name := paramName(p.Name(), i)
		goType := types.TypeString(p.Type(), qual)
		if sig.Variadic() && i == sig.Params().Len()-1 {
			return nil, nil, false, fmt.Errorf("parameter %s has type ...%s: variadic functions are not supported yet",
				name, types.TypeString(p.Type().(*types.Slice).Elem(), qual))
		}
		t, err := wireType(p.Type())
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
		t, err := wireType(r.Type())
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
