package gen

import (
	"strings"

	"github.com/usegolib/usegolib/go/scan"
)

var _ = register(scan.Basic, basicUnit{})

// basicUnit: bool, the integers, the floats and string, and the types
// defined on them (t.Under names the predeclared type).
type basicUnit struct{ scalar }

func (basicUnit) helperName(_ *goGen, t *scan.Type) string { return t.Canon }

func (basicUnit) decode(g *goGen, t *scan.Type, _ string) (string, func(string) string) {
	if t.Named {
		return basicDecode(t.Under), g.convertTo(t)
	}
	switch t.Canon {
	case "int", "int8", "int16", "int32", "uint", "uint8", "uint16", "uint32":
		return basicDecode(t.Canon), func(x string) string { return t.Canon + "(" + x + ")" }
	}
	return basicDecode(t.Canon), identity
}

func (basicUnit) encode(_ *goGen, t *scan.Type, x, _, _ string) (string, bool) {
	return basicEncode(t.Under, x, t.Named), false
}

func (basicUnit) nonEmpty(t *scan.Type, x string) string {
	switch t.Under {
	case "bool":
		return "bool(" + x + ")"
	case "string":
		return x + ` != ""`
	}
	return x + " != 0"
}

// basicDecode is the Decoder call that reads the predeclared type u; its
// result is a bool, int64, uint64, float32, float64 or string.
func basicDecode(u string) string {
	switch u {
	case "bool":
		return "d.Bool()"
	case "int", "int64":
		return "d.Int(64)"
	case "int8", "int16", "int32":
		return "d.Int(" + strings.TrimPrefix(u, "int") + ")"
	case "uint", "uint64":
		return "d.Uint(64)"
	case "uint8", "uint16", "uint32":
		return "d.Uint(" + strings.TrimPrefix(u, "uint") + ")"
	case "float32":
		return "d.Float32()"
	case "float64":
		return "d.Float64()"
	case "string":
		return "d.String()"
	}
	panic("gen: bad basic type " + u) // scan never lets one through
}

// basicEncode is the Encoder call that writes x, of the predeclared type u
// or (named) of a type defined on it.
func basicEncode(u, x string, named bool) string {
	method, arg := "", u
	switch u {
	case "bool", "string", "float32", "float64":
		method = strings.ToUpper(u[:1]) + u[1:]
	case "int", "int8", "int16", "int32", "int64":
		method, arg = "Int", "int64"
	case "uint", "uint8", "uint16", "uint32", "uint64":
		method, arg = "Uint", "uint64"
	default:
		panic("gen: bad basic type " + u)
	}
	if named || u != arg {
		x = arg + "(" + x + ")"
	}
	return "e." + method + "(" + x + ")"
}
