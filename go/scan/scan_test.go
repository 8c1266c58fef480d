package scan

import (
	"context"
	"go/types"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usegolib/usegolib/go/internal/gotool"
)

func TestWireType(t *testing.T) {
	u8 := types.Typ[types.Uint8]
	myInt := types.NewAlias(types.NewTypeName(0, nil, "MyInt", nil), types.Typ[types.Int])
	byteAlias := types.Universe.Lookup("byte").Type()
	named := types.NewNamed(types.NewTypeName(0, nil, "Celsius", nil), types.Typ[types.Float64], nil)
	for _, tc := range []struct {
		t           types.Type
		wire, canon string
		reason      string
	}{
		{t: types.Typ[types.Bool], wire: "bool", canon: "bool"},
		{t: types.Typ[types.Int], wire: "int64", canon: "int"},
		{t: types.Typ[types.Int8], wire: "int8", canon: "int8"},
		{t: types.Typ[types.Int16], wire: "int16", canon: "int16"},
		{t: types.Typ[types.Int32], wire: "int32", canon: "int32"},
		{t: types.Typ[types.Int64], wire: "int64", canon: "int64"},
		{t: types.Typ[types.Uint], wire: "uint64", canon: "uint"},
		{t: u8, wire: "uint8", canon: "uint8"},
		{t: byteAlias, wire: "uint8", canon: "uint8"},
		{t: types.Typ[types.Uint16], wire: "uint16", canon: "uint16"},
		{t: types.Typ[types.Uint32], wire: "uint32", canon: "uint32"},
		{t: types.Typ[types.Uint64], wire: "uint64", canon: "uint64"},
		{t: types.Typ[types.Float32], wire: "float32", canon: "float32"},
		{t: types.Typ[types.Float64], wire: "float64", canon: "float64"},
		{t: types.Typ[types.String], wire: "string", canon: "string"},
		{t: types.NewSlice(u8), wire: "bytes", canon: "[]byte"},
		{t: types.NewSlice(byteAlias), wire: "bytes", canon: "[]byte"},
		{t: types.NewSlice(types.NewSlice(u8)), wire: "[]bytes", canon: "[][]byte"},
		{t: types.NewSlice(types.NewSlice(types.Typ[types.Int])), wire: "[][]int64", canon: "[][]int"},
		{t: types.NewSlice(types.Typ[types.Uint16]), wire: "[]uint16", canon: "[]uint16"},
		{t: myInt, wire: "int64", canon: "int"},
		{t: types.NewSlice(myInt), wire: "[]int64", canon: "[]int"},
		{t: types.Typ[types.Uintptr], reason: "uintptr is not supported"},
		{t: types.Typ[types.Complex64], reason: "complex numbers are not supported yet"},
		{t: types.Typ[types.UnsafePointer], reason: "unsafe.Pointer is not supported"},
		{t: types.NewPointer(types.Typ[types.Int]), reason: "pointers are not supported yet"},
		{t: types.NewMap(types.Typ[types.String], types.Typ[types.Int]), reason: "maps are not supported yet"},
		{t: types.NewChan(types.SendRecv, types.Typ[types.Int]), reason: "channels are not supported"},
		{t: types.NewArray(types.Typ[types.Int], 3), reason: "arrays are not supported yet"},
		{t: types.NewStruct(nil, nil), reason: "structs are not supported yet"},
		{t: types.NewInterfaceType(nil, nil), reason: "interfaces are not supported yet"},
		{t: types.NewSignatureType(nil, nil, nil, nil, nil, false), reason: "function values are not supported"},
		{t: named, reason: "named types are not supported yet"},
		{t: types.NewSlice(named), reason: "named types are not supported yet"},
		{t: errorType, reason: "error is only supported as the last result"},
	} {
		got, err := wireType(tc.t)
		if tc.reason != "" {
			if err == nil || err.Error() != tc.reason {
				t.Errorf("wireType(%s) = %v, %v; want reason %q", tc.t, got, err, tc.reason)
			}
			continue
		}
		if err != nil || got.Wire != tc.wire || got.Canon != tc.canon {
			t.Errorf("wireType(%s) = %+v, %v; want %s %s", tc.t, got, err, tc.wire, tc.canon)
		}
	}
}

// scanFixture scans the module in testdata/<name> through a throwaway
// bridge work dir, as the builder does.
func scanFixture(t *testing.T, name, modPath string) *Result {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	gomod := "module usegolib_bridge\n\ngo 1.22\n\nrequire " + modPath + " v0.0.0-00010101000000-000000000000\n\nreplace " + modPath + " => " + dir + "\n"
	if err := os.WriteFile(filepath.Join(work, "go.mod"), []byte(gomod), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Scan(context.Background(), Config{
		Dir:    work,
		Module: modPath,
		Env:    gotool.Env(os.Environ(), os.Getenv("GOFLAGS")),
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestScanSupport(t *testing.T) {
	res := scanFixture(t, "support", "example.com/support")
	if res.Module != "example.com/support" || res.GoVersion != "1.22" {
		t.Errorf("module %q go %q", res.Module, res.GoVersion)
	}

	var paths []string
	for _, p := range res.Packages {
		paths = append(paths, p.Path)
	}
	if got, want := strings.Join(paths, " "), "example.com/support example.com/support/cgopkg example.com/support/inner"; got != want {
		t.Errorf("packages = %s, want %s", got, want)
	}
	skippedPkgs := map[string]string{}
	for _, s := range res.SkippedPackages {
		skippedPkgs[s.Path] = s.Reason
		if s.Broken != strings.HasSuffix(s.Path, "/broken") {
			t.Errorf("skipped package %s: Broken = %v", s.Path, s.Broken)
		}
	}
	for path, prefix := range map[string]string{
		"example.com/support/broken":        "package has errors: ",
		"example.com/support/cmd/app":       "main package: cannot be imported",
		"example.com/support/internal/priv": "internal package: cannot be imported from the bridge module",
	} {
		if !strings.HasPrefix(skippedPkgs[path], prefix) {
			t.Errorf("skipped package %s: reason %q, want prefix %q", path, skippedPkgs[path], prefix)
		}
	}
	if len(skippedPkgs) != 3 {
		t.Errorf("skipped packages: %v", res.SkippedPackages)
	}

	pkg := res.Packages[0]
	if pkg.Name != "support" || pkg.Doc != "Package support exercises every support decision of the scanner." {
		t.Errorf("package name %q doc %q", pkg.Name, pkg.Doc)
	}
	funcs := map[string]*Func{}
	for _, f := range pkg.Funcs {
		funcs[f.Name] = f
	}
	skipped := map[string]*Skipped{}
	for _, s := range pkg.Skipped {
		skipped[s.Name] = s
	}

	// Supported: name -> "signature | params | results | error".
	for name, want := range map[string]string{
		"Ints2": "func Ints2(a int, b int8, c int16, d int32, e int64, f uint, g uint8, h uint16, i uint32, j uint64)" +
			" | a int int64 int, b int8 int8 int8, c int16 int16 int16, d int32 int32 int32, e int64 int64 int64, f uint uint64 uint," +
			" g uint8 uint8 uint8, h uint16 uint16 uint16, i uint32 uint32 uint32, j uint64 uint64 uint64 |  | false",
		"Floats":  "func Floats(a float32, b float64) (float32, float64) | a float32 float32 float32, b float64 float64 float64 |  float32 float32 float32,  float64 float64 float64 | false",
		"Strs":    "func Strs(s string, b []byte, u []uint8, ss []string) string | s string string string, b []byte bytes []byte, u []uint8 bytes []byte, ss []string []string []string |  string string string | false",
		"Nested":  "func Nested(m [][]int64, bb [][]byte, s3 [][][]string) [][]byte | m [][]int64 [][]int64 [][]int64, bb [][]byte []bytes [][]byte, s3 [][][]string [][][]string [][][]string |  [][]byte []bytes [][]byte | false",
		"Aliases": "func Aliases(a MyInt, b Bytes, c Ints, r rune) MyInt | a MyInt int64 int, b Bytes bytes []byte, c Ints []int64 []int, r rune int32 int32 |  MyInt int64 int | false",
		"Unnamed": "func Unnamed(int, string) bool | arg0 int int64 int, arg1 string string string |  bool bool bool | false",
		"Blank":   "func Blank(_ int, b int) (_ int, named string) | arg0 int int64 int, b int int64 int |  int int64 int, named string string string | false",
		"WithErr": "func WithErr(s string) (int, bool, error) | s string string string |  int int64 int,  bool bool bool | true",
		"OnlyErr": "func OnlyErr() error |  |  | true",
	} {
		f := funcs[name]
		if f == nil {
			t.Errorf("%s: not supported (%+v)", name, skipped[name])
			continue
		}
		if got := describe(f); got != want {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
	if f := funcs["Ints2"]; f == nil || f.Doc != "Ints2 uses every integer kind." {
		t.Errorf("Ints2 doc: %+v", f)
	}

	for name, reason := range map[string]string{
		"Chan":         "parameter ch has type chan int: channels are not supported",
		"RecvChan":     "parameter ch has type <-chan int: channels are not supported",
		"Map":          "result 0 has type map[string]int: maps are not supported yet",
		"Ptr":          "parameter p has type *int: pointers are not supported yet",
		"Gen":          "type parameters: generic functions are not supported yet",
		"Var":          "parameter xs has type ...int: variadic functions are not supported yet",
		"Named":        "parameter c has type Celsius: named types are not supported yet",
		"Struct":       "parameter p has type Point: structs are not supported yet",
		"AnonStruct":   "parameter p has type struct{}: structs are not supported yet",
		"Iface":        "parameter s has type Shape: interfaces are not supported yet",
		"Any":          "parameter v has type any: interfaces are not supported yet",
		"Func":         "parameter f has type func(): function values are not supported",
		"Uintptr":      "parameter u has type uintptr: uintptr is not supported",
		"Complex":      "parameter c has type complex128: complex numbers are not supported yet",
		"Array":        "parameter a has type [4]int: arrays are not supported yet",
		"UnsafePtr":    "parameter p has type unsafe.Pointer: unsafe.Pointer is not supported",
		"ErrParam":     "parameter err has type error: error is only supported as the last result",
		"ErrFirst":     "result 0 has type error: error is only supported as the last result",
		"TwoErrs":      "result 0 has type error: error is only supported as the last result",
		"SliceOfMap":   "parameter m has type []map[string]int: maps are not supported yet",
		"Duration":     "parameter d has type time.Duration: named types are not supported yet",
		"SliceOfNamed": "parameter c has type []Celsius: named types are not supported yet",
		"ResultPtr":    "result 1 has type *string: pointers are not supported yet",
	} {
		s := skipped[name]
		if s == nil {
			t.Errorf("%s: not skipped", name)
			continue
		}
		if s.Reason != reason {
			t.Errorf("%s: reason\n got %q\nwant %q", name, s.Reason, reason)
		}
	}
	if s := skipped["Gen"]; s != nil && s.Signature != "func Gen[T any](v T) T" {
		t.Errorf("Gen signature %q", s.Signature)
	}
	if got, want := len(funcs)+len(skipped), 9+23; got != want {
		t.Errorf("%d functions seen, want %d (methods, unexported funcs, vars and test files must not count)", got, want)
	}
	for _, name := range []string{"Method", "unexported", "FuncVar", "OnlyInTests"} {
		if funcs[name] != nil || skipped[name] != nil {
			t.Errorf("%s must not be collected", name)
		}
	}

	// cgo package: type-checked from CompiledGoFiles; the //export function
	// is unexported in Go and does not appear.
	cg := res.Packages[1]
	if len(cg.Funcs) != 1 || cg.Funcs[0].Name != "Twice" || cg.Funcs[0].Doc != "Twice doubles x in C." || len(cg.Skipped) != 0 {
		t.Errorf("cgopkg: %+v %+v", cg.Funcs, cg.Skipped)
	}
	if cg.Doc != "Package cgopkg uses cgo." {
		t.Errorf("cgopkg doc %q", cg.Doc)
	}
}

func describe(f *Func) string {
	vars := func(vs []Var) string {
		var s []string
		for _, v := range vs {
			s = append(s, v.Name+" "+v.Go+" "+v.Type.Wire+" "+v.Type.Canon)
		}
		return strings.Join(s, ", ")
	}
	e := "false"
	if f.Error {
		e = "true"
	}
	return f.Signature + " | " + vars(f.Params) + " | " + vars(f.Results) + " | " + e
}

func TestScanRefuses32Bit(t *testing.T) {
	_, err := Scan(context.Background(), Config{Dir: t.TempDir(), Module: "example.com/x", GOARCH: "386"})
	if err == nil || !strings.Contains(err.Error(), "GOARCH=386 has 32-bit int; usegolib needs a 64-bit target") {
		t.Fatalf("err = %v", err)
	}
}
