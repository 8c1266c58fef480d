package scan

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"testing"
)

// TestConstValue checks the exact text of constants of every kind (docs/abi.md section 8.8).
func TestConstValue(t *testing.T) {
	const src = `package m
type Color int
const (
	Red Color = iota
	Blue
)
type Form int
func (Form) String() string { return "" }
const NFC Form = 2
const (
	Big = 1 << 100
	Neg = -5
	Pi = 3.14159265358979323846264338327950288419716939937510582097494459
	Whole = 1e3
	F32 float32 = 0.1
	Str = "héllo"
	Bad = "\xff"
	Yes = true
	R = 'x'
	C = 1 + 2i
	Huge = 1e400
	MaxU = 1<<64 - 1
)`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "m.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := (&types.Config{Importer: importer.Default()}).Check("example.com/m", fset, []*ast.File{f}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := newChecker()
	cp := &checkedPackage{tpkg: pkg}
	for _, name := range pkg.Scope().Names() {
		if k, ok := pkg.Scope().Lookup(name).(*types.Const); ok {
			c.collectConst(cp, k)
		}
	}
	got := map[string]Const{}
	for _, k := range cp.consts {
		got[k.Name] = *k
	}
	want := map[string]Const{
		"Red":   {Go: "Color", Kind: "int", Value: "0", Type: "int64", Class: "example.com/m.Color"},
		"NFC":   {Go: "Form", Kind: "int", Value: "2", Type: "int64", Class: "example.com/m.Form"},
		"Big":   {Go: "untyped int", Kind: "int", Value: "1267650600228229401496703205376"},
		"MaxU":  {Go: "untyped int", Kind: "int", Value: "18446744073709551615"},
		"Neg":   {Go: "untyped int", Kind: "int", Value: "-5", Type: "int64"},
		"Pi":    {Go: "untyped float", Kind: "float", Value: "3.141592653589793", Type: "float64"},
		"Whole": {Go: "untyped float", Kind: "float", Value: "1000", Type: "float64"},
		"F32":   {Go: "float32", Kind: "float", Value: "0.10000000149011612", Type: "float32"},
		"Str":   {Go: "untyped string", Kind: "string", Value: "héllo", Type: "string"},
		"Bad":   {Go: "untyped string", Kind: "string_hex", Value: "ff", Type: "string"},
		"Yes":   {Go: "untyped bool", Kind: "bool", Value: "true", Type: "bool"},
		"R":     {Go: "untyped rune", Kind: "int", Value: "120", Type: "int32"},
		"C":     {Go: "untyped complex", Kind: "complex", Value: "1 2"},
	}
	for name, w := range want {
		g := got[name]
		g.Name, g.Doc = "", ""
		if g != w {
			t.Errorf("%s: got %+v, want %+v", name, g, w)
		}
	}
	if _, ok := got["Huge"]; ok || len(cp.skipped) != 1 || cp.skipped[0].Reason != "constant Huge: its value overflows float64" {
		t.Errorf("Huge: want skipped with its reason, got %+v", cp.skipped)
	}
}
