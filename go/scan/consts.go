package scan

import (
	"encoding/hex"
	"fmt"
	"go/constant"
	"go/types"
	"math"
	"strconv"
	"unicode/utf8"
)

// Const is an exported package-level constant (docs/abi.md section 8.8): its value travels in
// the schema, so reading it needs no call into Go.
type Const struct {
	Name string
	Doc  string
	// Go is the constant's type as go/types writes it relative to the package: "int",
	// "Color", or "untyped int", "untyped float", "untyped rune"... for an untyped constant.
	Go string
	// Kind says how Value is written: "bool", "int", "float", "complex", "string", or
	// "string_hex" (a string that is not valid UTF-8, its bytes in hex).
	Kind string
	// Value is the exact value: "true"/"false"; an integer in decimal (any size); a float as
	// the shortest decimal that reads back as the same float64 (for a float32 type, the float64
	// its float32 value widens to); the string itself; a complex "re im" (each as a float).
	Value string
	// Type is the wire type of the constant's type, or of an untyped constant's default type
	// ("int64" for an untyped int that fits, "float64", "string", "bool"...); "" for an untyped
	// integer that fits neither int64 nor uint64 and for complex constants (no wire type).
	Type string
	// Class is the key of the constant's named type when that type has a Python class of its
	// own (a named type with methods, or an enum), "" otherwise. Set by the checker.
	Class string
}

// collectConst records the exported constant k of cp, or skips it with the reason.
func (c *checker) collectConst(cp *checkedPackage, k *types.Const) {
	qual := types.RelativeTo(cp.tpkg)
	goType := types.TypeString(k.Type(), qual)
	out, err := constValue(k)
	if err == nil {
		if b, ok := types.Unalias(k.Type()).Underlying().(*types.Basic); ok && b.Info()&types.IsUntyped == 0 {
			if t, werr := c.wireTypeIn(k.Type(), useResult); werr == nil {
				out.Type = t.Wire
			}
			if n, ok := types.Unalias(k.Type()).(*types.Named); ok {
				out.Class = c.valueClass(n)
			}
		}
	}
	if err != nil {
		cp.skipped = append(cp.skipped, &Skipped{Name: k.Name(), Signature: "const " + k.Name() + " " + goType,
			Reason: fmt.Sprintf("constant %s: %v", k.Name(), err)})
		return
	}
	out.Name, out.Go, out.Doc = k.Name(), goType, c.docs[cp.tpkg.Path()+"."+k.Name()]
	cp.consts = append(cp.consts, &out)
}

// constValue writes k's value exactly, with the wire type of an untyped constant's default type.
func constValue(k *types.Const) (Const, error) {
	v := k.Val()
	b, _ := types.Unalias(k.Type()).Underlying().(*types.Basic)
	if b == nil {
		return Const{}, notSupported("its type is not a basic type")
	}
	switch v.Kind() {
	case constant.Bool:
		return Const{Kind: "bool", Value: strconv.FormatBool(constant.BoolVal(v)), Type: "bool"}, nil
	case constant.String:
		s := constant.StringVal(v)
		if !utf8.ValidString(s) {
			// JSON text cannot hold the bytes that are not UTF-8: the string in hex.
			return Const{Kind: "string_hex", Value: hex.EncodeToString([]byte(s)), Type: "string"}, nil
		}
		return Const{Kind: "string", Value: s, Type: "string"}, nil
	case constant.Int:
		out := Const{Kind: "int", Value: v.ExactString()}
		switch b.Kind() {
		case types.UntypedRune:
			out.Type = "int32"
		case types.UntypedInt:
			if _, exact := constant.Int64Val(v); exact {
				out.Type = "int64"
			}
		case types.Float32, types.Float64, types.UntypedFloat:
			// An integer value of a float type: the float it is.
			f, _ := constant.Float64Val(v)
			return floatConst(f, b.Kind() == types.Float32)
		}
		return out, nil
	case constant.Float:
		f, _ := constant.Float64Val(v)
		return floatConst(f, b.Kind() == types.Float32)
	case constant.Complex:
		re, _ := constant.Float64Val(constant.Real(v))
		im, _ := constant.Float64Val(constant.Imag(v))
		if math.IsInf(re, 0) || math.IsInf(im, 0) {
			return Const{}, notSupported("its value overflows complex128")
		}
		if b.Kind() == types.Complex64 {
			re, im = float64(float32(re)), float64(float32(im))
		}
		return Const{Kind: "complex", Value: strconv.FormatFloat(re, 'g', -1, 64) + " " + strconv.FormatFloat(im, 'g', -1, 64)}, nil
	}
	return Const{}, notSupported("its value is unknown")
}

// floatConst writes a float constant as the shortest decimal that reads back as the same
// float64 (for f32, the float64 that the float32 value widens to).
func floatConst(f float64, f32 bool) (Const, error) {
	if math.IsInf(f, 0) {
		return Const{}, notSupported("its value overflows float64")
	}
	if f32 {
		// The float32 value, written exactly as the float64 it widens to.
		return Const{Kind: "float", Value: strconv.FormatFloat(float64(float32(f)), 'g', -1, 64), Type: "float32"}, nil
	}
	return Const{Kind: "float", Value: strconv.FormatFloat(f, 'g', -1, 64), Type: "float64"}, nil
}
