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
	i64 := types.Typ[types.Int64]
	str := types.Typ[types.String]
	myInt := types.NewAlias(types.NewTypeName(0, nil, "MyInt", nil), types.Typ[types.Int])
	byteAlias := types.Universe.Lookup("byte").Type()
	pkg := types.NewPackage("example.com/m", "m")
	named := func(name string, under types.Type) *types.Named {
		return types.NewNamed(types.NewTypeName(0, pkg, name, nil), under, nil)
	}
	celsius := named("Celsius", types.Typ[types.Float64])
	ids := named("IDs", types.NewSlice(str))
	blob := named("Blob", types.NewSlice(u8))
	color := named("Color", str)
	point := named("Point", types.NewStruct([]*types.Var{types.NewField(0, pkg, "X", types.Typ[types.Int], false)}, nil))
	anyType := types.Universe.Lookup("any").Type()
	value := named("Value", types.NewInterfaceType(nil, nil))
	shape := named("Shape", types.NewInterfaceType([]*types.Func{types.NewFunc(0, pkg, "Area",
		types.NewSignatureType(nil, nil, nil, nil, types.NewTuple(types.NewVar(0, nil, "", types.Typ[types.Float64])), false))}, nil).Complete())
	counter := named("Counter", types.NewStruct(nil, nil))
	counter.AddMethod(types.NewFunc(0, pkg, "Inc", types.NewSignatureType(types.NewVar(0, pkg, "c", types.NewPointer(counter)), nil, nil, nil, nil, false)))
	hidden := types.NewNamed(types.NewTypeName(0, pkg, "hidden", nil), types.Typ[types.Int], nil)
	internalPkg := types.NewPackage("example.com/m/internal/x", "x")
	internal := types.NewNamed(types.NewTypeName(0, internalPkg, "T", nil), types.Typ[types.Int], nil)
	timePkg := types.NewPackage("time", "time")
	timeT := types.NewNamed(types.NewTypeName(0, timePkg, "Time", nil), types.NewStruct(nil, nil), nil)
	duration := types.NewNamed(types.NewTypeName(0, timePkg, "Duration", nil), i64, nil)
	readFn := types.NewFunc(0, pkg, "Read", types.NewSignatureType(nil, nil, nil,
		types.NewTuple(types.NewParam(0, pkg, "p", types.NewSlice(types.Typ[types.Byte]))),
		types.NewTuple(types.NewParam(0, pkg, "n", types.Typ[types.Int]), types.NewParam(0, pkg, "err", errorType)), false))
	reader := types.NewNamed(types.NewTypeName(0, types.NewPackage("io", "io"), "Reader", nil),
		types.NewInterfaceType([]*types.Func{readFn}, nil).Complete(), nil)
	doneFn := types.NewFunc(0, pkg, "Done", types.NewSignatureType(nil, nil, nil, nil,
		types.NewTuple(types.NewParam(0, pkg, "", types.NewChan(types.RecvOnly, types.NewStruct(nil, nil)))), false))
	ctxType := types.NewNamed(types.NewTypeName(0, types.NewPackage("context", "context"), "Context", nil),
		types.NewInterfaceType([]*types.Func{doneFn}, nil).Complete(), nil)
	namedPtr := named("IntPtr", types.NewPointer(types.Typ[types.Int]))
	fn := named("Fn", types.NewSignatureType(nil, nil, nil, nil, nil, false))
	tparam := types.NewTypeParam(types.NewTypeName(0, pkg, "T", nil), anyType)
	generic := types.NewNamed(types.NewTypeName(0, pkg, "List", nil), nil, nil)
	generic.SetTypeParams([]*types.TypeParam{types.NewTypeParam(types.NewTypeName(0, pkg, "E", nil), anyType)})
	generic.SetUnderlying(types.NewStruct(nil, nil))
	listOfInt, err := types.Instantiate(nil, generic, []types.Type{i64}, false)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		t           types.Type
		u           use
		wire, canon string
		reason      string
	}{
		// Level 1.
		{t: types.Typ[types.Bool], wire: "bool", canon: "bool"},
		{t: types.Typ[types.Int], wire: "int64", canon: "int"},
		{t: types.Typ[types.Int8], wire: "int8", canon: "int8"},
		{t: types.Typ[types.Int16], wire: "int16", canon: "int16"},
		{t: types.Typ[types.Int32], wire: "int32", canon: "int32"},
		{t: i64, wire: "int64", canon: "int64"},
		{t: types.Typ[types.Uint], wire: "uint64", canon: "uint"},
		{t: u8, wire: "uint8", canon: "uint8"},
		{t: byteAlias, wire: "uint8", canon: "uint8"},
		{t: types.Typ[types.Uint16], wire: "uint16", canon: "uint16"},
		{t: types.Typ[types.Uint32], wire: "uint32", canon: "uint32"},
		{t: types.Typ[types.Uint64], wire: "uint64", canon: "uint64"},
		{t: types.Typ[types.Float32], wire: "float32", canon: "float32"},
		{t: types.Typ[types.Float64], wire: "float64", canon: "float64"},
		{t: str, wire: "string", canon: "string"},
		{t: types.NewSlice(u8), wire: "bytes", canon: "[]byte"},
		{t: types.NewSlice(byteAlias), wire: "bytes", canon: "[]byte"},
		{t: types.NewSlice(types.NewSlice(u8)), wire: "[]bytes", canon: "[][]byte"},
		{t: types.NewSlice(types.NewSlice(types.Typ[types.Int])), wire: "[][]int64", canon: "[][]int"},
		{t: types.NewSlice(types.Typ[types.Uint16]), wire: "[]uint16", canon: "[]uint16"},
		{t: myInt, wire: "int64", canon: "int"},
		{t: types.NewSlice(myInt), wire: "[]int64", canon: "[]int"},
		// Level 2: maps, arrays, pointers, named types, any, time, error values.
		{t: types.NewMap(str, i64), wire: "map[string]int64", canon: "map[string]int64"},
		{t: types.NewMap(str, types.NewSlice(i64)), wire: "map[string][]int64", canon: "map[string][]int64"},
		{t: types.NewMap(color, point), wire: "map[string]@example.com/m.Point", canon: `map["example.com/m".Color]"example.com/m".Point`},
		{t: types.NewMap(i64, str), reason: "map keys must be strings, not int64"},
		{t: types.NewArray(types.Typ[types.Int32], 4), wire: "[4]int32", canon: "[4]int32"},
		{t: types.NewArray(u8, 16), wire: "bytes[16]", canon: "[16]byte"},
		{t: types.NewArray(types.NewArray(u8, 2), 3), wire: "[3]bytes[2]", canon: "[3][2]byte"},
		{t: types.NewPointer(i64), wire: "*int64", canon: "*int64"},
		{t: types.NewPointer(str), wire: "*string", canon: "*string"},
		{t: types.NewPointer(point), wire: "*@example.com/m.Point", canon: `*"example.com/m".Point`},
		{t: types.NewPointer(types.NewPointer(i64)), reason: "pointers to pointers are not supported"},
		{t: types.NewPointer(anyType), reason: "pointers to interfaces are not supported"},
		{t: types.NewPointer(shape), reason: "pointers to interfaces are not supported"},
		{t: celsius, wire: "float64", canon: `"example.com/m".Celsius`},
		{t: ids, wire: "[]string", canon: `"example.com/m".IDs`},
		{t: blob, wire: "bytes", canon: `"example.com/m".Blob`},
		{t: types.NewSlice(celsius), wire: "[]float64", canon: `[]"example.com/m".Celsius`},
		{t: anyType, wire: "any", canon: "any"},
		{t: types.NewInterfaceType(nil, nil), wire: "any", canon: "any"},
		{t: value, wire: "any", canon: `"example.com/m".Value`},
		{t: types.NewSlice(anyType), wire: "[]any", canon: "[]any"},
		{t: timeT, wire: "time", canon: `"time".Time`},
		{t: types.NewPointer(timeT), wire: "*time", canon: `*"time".Time`},
		{t: duration, wire: "duration", canon: `"time".Duration`},
		// io.Reader: its own kind as a parameter, a handle of the interface elsewhere.
		{t: reader, wire: "reader", canon: `"io".Reader`},
		{t: types.NewSlice(reader), wire: "[]reader", canon: `[]"io".Reader`},
		{t: reader, u: useResult, wire: "&io.Reader", canon: `"io".Reader`},
		{t: reader, u: useField, wire: "&io.Reader", canon: `"io".Reader`},
		// context.Context: its own kind as a parameter itself, a handle of the interface
		// elsewhere (inside a parameter too).
		{t: ctxType, wire: "context", canon: `"context".Context`},
		{t: types.NewSlice(ctxType), wire: "[]&context.Context", canon: `[]"context".Context`},
		{t: types.NewMap(types.Typ[types.String], ctxType), wire: "map[string]&context.Context", canon: `map[string]"context".Context`},
		{t: ctxType, u: useResult, wire: "&context.Context", canon: `"context".Context`},
		{t: ctxType, u: useField, wire: "&context.Context", canon: `"context".Context`},
		{t: errorType, reason: "error values are supported only as results"},
		{t: errorType, u: useResult, wire: "error", canon: "error"},
		{t: types.NewSlice(errorType), u: useResult, wire: "[]error", canon: "[]error"},
		{t: errorType, u: useField, reason: "error values are supported only as results"},
		// Level 3: records and handles.
		{t: point, wire: "@example.com/m.Point", canon: `"example.com/m".Point`},
		{t: types.NewSlice(point), wire: "[]@example.com/m.Point", canon: `[]"example.com/m".Point`},
		{t: types.NewPointer(counter), wire: "&example.com/m.Counter", canon: `*"example.com/m".Counter`},
		{t: counter, wire: "@example.com/m.Counter", canon: `"example.com/m".Counter`},
		{t: shape, wire: "&example.com/m.Shape", canon: `"example.com/m".Shape`},
		{t: types.NewSlice(shape), wire: "[]&example.com/m.Shape", canon: `[]"example.com/m".Shape`},
		// Unsupported.
		{t: types.Typ[types.Uintptr], reason: "uintptr is not supported"},
		{t: types.Typ[types.Complex64], reason: "complex numbers are not supported"},
		{t: types.Typ[types.UnsafePointer], reason: "unsafe.Pointer is not supported"},
		{t: types.NewChan(types.SendRecv, types.Typ[types.Int]), reason: "channels are not supported"},
		{t: types.NewStruct(nil, nil), reason: "anonymous structs are not supported: declare a named struct type"},
		{t: types.NewInterfaceType([]*types.Func{types.NewFunc(0, pkg, "M", types.NewSignatureType(nil, nil, nil, nil, nil, false))}, nil).Complete(),
			reason: "interfaces with methods are supported only as named types (handles)"},
		// Func values: handles (scan/funcs.go).
		{t: types.NewSignatureType(nil, nil, nil, nil, nil, false), wire: "&func()", canon: "func()"},
		{t: types.NewSignatureType(nil, nil, nil, types.NewTuple(types.NewParam(0, pkg, "p", types.NewPointer(point))), nil, false),
			wire: "&func(*example.com/m.Point)", canon: `func(*"example.com/m".Point)`},
		{t: fn, wire: "&example.com/m.Fn", canon: `"example.com/m".Fn`},
		{t: types.NewPointer(fn), reason: "pointers to func values are not supported"},
		{t: namedPtr, reason: "named pointer type example.com/m.IntPtr is not supported"},
		{t: hidden, reason: "type example.com/m.hidden is not exported: the bridge cannot name it"},
		{t: internal, reason: "type example.com/m/internal/x.T is declared in an internal package: the bridge cannot import it"},
		{t: listOfInt, reason: "generic type example.com/m.List[int64] is not supported"},
		{t: tparam, reason: "type parameters are not supported"},
	} {
		c := newChecker()
		got, err := c.wireTypeIn(tc.t, tc.u)
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
func scanFixture(t *testing.T, name, modPath string, generics ...string) *Result {
	t.Helper()
	res, err := scanFixtureErr(t, name, modPath, generics...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func scanFixtureErr(t *testing.T, name, modPath string, generics ...string) (*Result, error) {
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
	return Scan(context.Background(), Config{
		Dir:      work,
		Module:   modPath,
		Env:      gotool.Env(os.Environ(), os.Getenv("GOFLAGS")),
		Generics: generics,
	})
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
		// Level 2 and 3.
		"Map":          "func Map() map[string]int |  |  map[string]int map[string]int64 map[string]int | false",
		"Ptr":          "func Ptr(p *int) | p *int *int64 *int |  | false",
		"Var":          "func Var(xs ...int) int | xs ...int []int64 []int |  int int64 int | false",
		"Named":        `func Named(c Celsius) | c Celsius float64 "example.com/support".Celsius |  | false`,
		"Struct":       `func Struct(p Point) | p Point @example.com/support.Point "example.com/support".Point |  | false`,
		"Iface":        `func Iface(s Shape) | s Shape &example.com/support.Shape "example.com/support".Shape |  | false`,
		"Any":          "func Any(v any) | v any any any |  | false",
		"Array":        "func Array(a [4]int) | a [4]int [4]int64 [4]int |  | false",
		"ErrFirst":     "func ErrFirst() (error, int) |  |  error error error,  int int64 int | false",
		"SliceOfMap":   "func SliceOfMap(m []map[string]int) | m []map[string]int []map[string]int64 []map[string]int |  | false",
		"Duration":     `func Duration(d time.Duration) | d time.Duration duration "time".Duration |  | false`,
		"SliceOfNamed": `func SliceOfNamed(c []Celsius) | c []Celsius []float64 []"example.com/support".Celsius |  | false`,
		"TwoErrs":      "func TwoErrs() (error, error) |  |  error error error | true",
		"ResultPtr":    "func ResultPtr(a int) (r int, p *string) | a int int64 int | r int int64 int, p *string *string *string | false",
		// Methods (value receivers too) are called through a handle.
		"Point.Method":  `func (*Point) Method() int | recv *support.Point &example.com/support.Point *"example.com/support".Point |  int int64 int | false`,
		"Point.__new__": `func Point.__new__(fields *Point) *Point | fields *Point *@example.com/support.Point *"example.com/support".Point |  *Point &example.com/support.Point *"example.com/support".Point | false`,
		// Func values are handles; each func type has its __call__ entry.
		"Func":                      "func Func(f func()) | f func() &func() func() |  | false",
		"FuncVar":                   "var FuncVar func(a int) int |  |  func(a int) int &func(int) int func(int) int | false",
		"Func_.__call__":            "func (func()) __call__() | recv func() &func() func() |  | false",
		"Maker":                     "func Maker() func() func(int8) |  |  func() func(int8) &func() func(int8) func() func(int8) | false",
		"Func___func_int8.__call__": "func (func() func(int8)) __call__() func(int8) | recv func() func(int8) &func() func(int8) func() func(int8) |  func(int8) &func(int8) func(int8) | false",
		"Func_int8.__call__":        "func (func(int8)) __call__(int8) | recv func(int8) &func(int8) func(int8), arg0 int8 int8 int8 |  | false",
		"Func_int__int.__call__":    "func (func(int) int) __call__(int) int | recv func(int) int &func(int) int func(int) int, arg0 int int64 int |  int int64 int | false",
		"Shape.Area":                `func (Shape) Area() float64 | recv support.Shape &example.com/support.Shape "example.com/support".Shape |  float64 float64 float64 | false`,
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
		"Chan":        "parameter ch has type chan int: channels are not supported",
		"FuncAndChan": "parameter ch has type chan int: channels are not supported",
		"RecvChan":    "parameter ch has type <-chan int: channels are not supported",
		"Gen":         "generic function: no instantiation requested (ask for one with generics=[\"Gen[T]\"], its type parameters replaced by Go types, e.g. generics=[\"Gen[int64]\"]; --generic on the command line)",
		"AnonStruct":  "parameter p has type struct{}: anonymous structs are not supported: declare a named struct type",
		"Uintptr":     "parameter u has type uintptr: uintptr is not supported",
		"Complex":     "parameter c has type complex128: complex numbers are not supported",
		"UnsafePtr":   "parameter p has type unsafe.Pointer: unsafe.Pointer is not supported",
		"ErrParam":    "parameter err has type error: error values are supported only as results",
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
	// 33 functions, 9 skipped, and Point.Fields.Method: Point's method on its record form
	// (Struct takes a Point by value).
	// Point's field accessors, X and Y, are 4 more.
	if got, want := len(funcs)+len(skipped), 33+9+1+4; got != want {
		t.Errorf("%d entries seen, want %d (unexported funcs and test files must not count)", got, want)
	}
	for _, name := range []string{"Method", "unexported", "OnlyInTests"} {
		if funcs[name] != nil || skipped[name] != nil {
			t.Errorf("%s must not be collected", name)
		}
	}

	// cgo package: type-checked from CompiledGoFiles; the //export function
	// is unexported in Go and does not appear.
	if d := res.Types["func(string) bool"]; d != nil || funcs["Func_string__bool.__call__"] != nil {
		t.Errorf("a func type met only in a skipped signature is in the schema: %+v", d)
	}
	if d := res.Types["func(int8)"]; d == nil || d.Name != "Func_int8" || d.Package != "example.com/support" || d.Go != "func(int8)" ||
		strings.Join(d.Methods, " ") != "Func_int8.__call__" {
		t.Errorf("func(int8), reached through calling func() func(int8): %+v", d)
	}
	if p := res.Types["example.com/support.Point"]; p == nil || p.Kind != "handle" || p.Constructor != "Point.__new__" || strings.Join(p.Methods, " ") != "Point.Method Point.X.__get__ Point.X.__set__ Point.Y.__get__ Point.Y.__set__" {
		t.Errorf("Point: %+v", p)
	}

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

// recordsGenerics are the instantiations testdata/records is scanned with.
var recordsGenerics = []string{
	"example.com/records.Max[int64]",
	"example.com/records.Max[example.com/records.Tagged]", // does not satisfy cmp.Ordered
	"example.com/records.Max[int64,string]",               // one type argument too many
	"Keys[int64,string]",                                  // a map key that is not a string
	"Keys[string,[]example.com/records.Tree]",
	"Keys[string,[]Tree]", // the same, spelled relative to the package: one entry
}

func TestScanRecords(t *testing.T) {
	res := scanFixture(t, "records", "example.com/records", recordsGenerics...)
	pkg := res.Packages[0]
	funcs := map[string]*Func{}
	for _, f := range pkg.Funcs {
		funcs[f.Name] = f
	}
	skipped := map[string]string{}
	for _, s := range pkg.Skipped {
		skipped[s.Name] = s.Reason
	}
	var names []string
	for _, f := range pkg.Funcs {
		names = append(names, f.Name)
	}
	if got, want := strings.Join(names, " "), "Count Keys[string,[]example.com/records.Tree] MakeSealed Max[int64] Opaque.__new__ OpaquePtr PSvc SealedV Svc.N.__get__ Svc.N.__set__ Svc.Ok Svc.__new__ Svc1 TakeOpaque "+
		"UseConflict UseHidden UseNested UseShallow UseTagWins UseTagged UseTree UseURL"; got != want {
		t.Errorf("supported:\n got %s\nwant %s", got, want)
	}
	for name, reason := range map[string]string{
		"Ch":                              "variable Ch has type chan int: channels are not supported",
		"Keys[int64,string]":              "parameter m has type map[int64]string: map keys must be strings, not int64",
		"List.Push":                       "methods of generic types are not supported",
		"Max[example.com/records.Tagged]": "cannot instantiate Max[example.com/records.Tagged]: example.com/records.Tagged does not satisfy cmp.Ordered",
		"Max[int64,string]":               "Max has 1 type parameters, got 2 type arguments",
		"Svc.Run":                         "parameter ch has type chan int: channels are not supported",
		"UseBad":                          "parameter b has type BadField: struct BadField: field C has type chan int: channels are not supported",
		// The failure travels along the cycle CycB -> CycA.
		"UseCycB":    "parameter b has type *CycB: struct CycB: field A has type *CycA: struct CycA: field Ch has type chan int: channels are not supported",
		"UseHidPtr":  "parameter h has type HidPtr: struct HidPtr: field P is promoted through the unexported embedded pointer inner, which the bridge cannot allocate",
		"UseUsesBad": "parameter u has type []UsesBad: struct UsesBad: field B has type BadField: struct BadField: field C has type chan int: channels are not supported",
		"UseWithErr": "result 0 has type WithErr: struct WithErr: field Err has type error: error values are supported only as results",
		"UseSelfList": "result 0 has type SelfList: type example.com/records.SelfList contains itself: " +
			"a recursive type is supported only through a struct (type T struct { Kids []T })",
		"UseSelfMap": "parameter m has type SelfMap: type example.com/records.SelfMap contains itself",
	} {
		if got, ok := skipped[name]; !ok || !strings.HasPrefix(got, reason) {
			t.Errorf("%s: skipped with %q, want %q", name, got, reason)
		}
	}
	if len(skipped) != 13 {
		t.Errorf("skipped: %v", skipped)
	}
	if res.Packages[1].Skipped[0].Reason != "generic function: no instantiation requested (ask for one with generics=[\"Max[T]\"], its type parameters replaced by Go types, e.g. generics=[\"Max[int64]\"]; --generic on the command line)" {
		t.Errorf("other.Max: %+v", res.Packages[1].Skipped[0])
	}

	fields := func(key string) string {
		d := res.Types[key]
		if d == nil {
			return "<no type>"
		}
		var out []string
		for _, f := range d.Fields {
			s := f.Key + ":" + f.Sel
			if f.Required {
				s += "!"
			}
			if f.OmitEmpty {
				s += "?"
			}
			for _, p := range f.Ptrs {
				s += "^" + p.Sel
			}
			out = append(out, s)
		}
		return d.Kind + " " + strings.Join(out, " ")
	}
	for key, want := range map[string]string{
		"Tagged":    "record a:A b:B? -:D e:E? F:F", // C is dropped; no field is required (Go's zero values)
		"Conflict":  "record Y:Y",                   // the two X cancel out
		"TagWins":   "record X:T1b.X",
		"Shallow":   "record X:X Z:Deep.Z",
		"Nested":    "record inner:Inner",
		"Inner":     "record V:V",
		"HasHidden": "record P:P Q:Q", // promoted through an unexported embedded struct
		"Tree":      "record Kids:Kids Val:Val",
		"Svc":       "handle N:N", // a handle's fields are optional: they are the constructor's input
		"Sealed":    "handle ",
		"L1a":       "record X:X",     // no entry uses it: declared in the module, it is in the schema
		"Deep":      "record X:X Z:Z", // only embedded, likewise
	} {
		if got := fields("example.com/records." + key); got != want {
			t.Errorf("%s: %s, want %s", key, got, want)
		}
	}
	if d := res.Types["example.com/records.Tagged"].Fields[0].Doc; d != "the msgpack name wins" {
		t.Errorf("Tagged.A doc %q", d)
	}
	for _, key := range []string{"BadField", "UsesBad", "CycA", "CycB", "WithErr", "HidPtr"} {
		if res.Types["example.com/records."+key] != nil {
			t.Errorf("%s is in Types, but its fields do not all travel", key)
		}
	}
	// A struct of a dependency: url.URL has pointer methods, so it is a
	// handle type (without bridged methods: only the module's are), and its
	// *Userinfo field is a handle too.
	if got := fields("net/url.URL"); !strings.HasPrefix(got, "handle Scheme:Scheme Opaque:Opaque User:User ") {
		t.Errorf("url.URL: %s", got)
	}
	if u := res.Types["net/url.Userinfo"]; u == nil || u.Kind != "handle" || u.Go != "*url.Userinfo" || len(u.Methods) != 0 {
		t.Errorf("url.Userinfo: %+v", u)
	}
	// A struct with hidden state by value is a Go object holding a copy (docs/adr/0019).
	if f := funcs["TakeOpaque"]; f == nil || f.Params[0].Type.Wire != "&example.com/records.Opaque" || !f.Params[0].Type.ByValue ||
		f.Params[0].Type.Canon != `"example.com/records".Opaque` {
		t.Errorf("TakeOpaque: %+v", f)
	}
	if f := funcs["Svc1"]; f == nil || !f.VarAddr || f.Results[0].Type.Wire != "&example.com/records.Svc" || f.Results[0].Go != "*Svc" {
		t.Errorf("Svc1: %+v", f)
	}
	if f := funcs["PSvc"]; f == nil || f.VarAddr || f.Results[0].Type.Wire != "&example.com/records.Svc" {
		t.Errorf("PSvc: %+v", f)
	}
	if f := funcs["Max[int64]"]; f == nil || f.Generic == nil || f.Generic.Name != "Max" || strings.Join(f.Generic.TypeArgs, ",") != "int64" || f.GoName != "Max" {
		t.Errorf("Max[int64]: %+v", f)
	}
	if f := funcs["Keys[string,[]example.com/records.Tree]"]; f == nil || strings.Join(f.Generic.Canon, ",") != `string,[]"example.com/records".Tree` {
		t.Errorf("Keys: %+v", f)
	}
}

func TestScanGenericErrors(t *testing.T) {
	for _, tc := range []struct{ spec, err string }{
		{"Max[int64]", `generic instantiation "Max[int64]": several packages have a generic function Max (example.com/records, example.com/records/other): qualify it`},
		{"Nope[int64]", `generic instantiation "Nope[int64]": no package of the module has a generic function Nope`},
		{"example.com/records/other.Keys[int64]", `generic instantiation "example.com/records/other.Keys[int64]": package example.com/records/other of the module has no generic function Keys`},
		{"UseTree[int64]", `no package of the module has a generic function UseTree`},
		{"Keys[string,Nope]", `type argument "Nope": no type Nope in example.com/records or among the predeclared types`},
		{"Keys[string,example.com/nowhere.T]", `type argument "example.com/nowhere.T": package example.com/nowhere is not available`},
		{"Keys[string", `want Name[T1,T2] or import/path.Name[T1,T2]`},
	} {
		_, err := scanFixtureErr(t, "records", "example.com/records", tc.spec)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: err = %v, want %q", tc.spec, err, tc.err)
		}
	}
}

func TestParseGeneric(t *testing.T) {
	for _, tc := range []struct {
		in, path, name, args, err string
	}{
		{in: "Map[int64,string]", name: "Map", args: "int64|string"},
		{in: " Map[ int64 , string ] ", name: "Map", args: "int64|string"},
		{in: "example.com/m/sub.Map[map[string][]int64,example.com/m.Point]", path: "example.com/m/sub", name: "Map", args: "map[string][]int64|example.com/m.Point"},
		{in: "F[[4]int32,*int64,interface{}]", name: "F", args: "[4]int32|*int64|interface{}"},
		{in: "Map", err: "want Name[T1,T2]"},
		{in: "[int]", err: "want Name[T1,T2]"},
		{in: "Map[]", err: "empty type argument"},
		{in: "Map[int,]", err: "empty type argument"},
		{in: "9x[int]", err: "is not a function name"},
		{in: ".Map[int]", err: "empty import path"},
		{in: "Map[map[string]int", err: "want Name[T1,T2]"},
		{in: "Map[a]]", err: "unbalanced"},
	} {
		spec, err := ParseGeneric(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseGeneric(%q) = %+v, %v; want error %q", tc.in, spec, err, tc.err)
			}
			continue
		}
		if err != nil || spec.Path != tc.path || spec.Name != tc.name || strings.Join(spec.TypeArgs, "|") != tc.args {
			t.Errorf("ParseGeneric(%q) = %+v, %v", tc.in, spec, err)
		}
	}
}

// level3Config is the scan of tests/fixtures/go/level3 through a throwaway
// bridge work dir, as the builder makes it.
func level3Config(t *testing.T) Config {
	cfg, _ := fixtureConfig(t, "level3")
	return cfg
}

// fixtureConfig is the scan of tests/fixtures/go/<name> (module example.com/<name>) from a
// bridge module that requires it, and the fixture's directory.
func fixtureConfig(t *testing.T, name string) (Config, string) {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "tests", "fixtures", "go", name))
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	mod := "example.com/" + name
	gomod := "module usegolib_bridge\n\ngo 1.22\n\nrequire " + mod + " v0.0.0-00010101000000-000000000000\n\nreplace " + mod + " => " + dir + "\n"
	if err := os.WriteFile(filepath.Join(work, "go.mod"), []byte(gomod), 0o644); err != nil {
		t.Fatal(err)
	}
	return Config{Dir: work, Module: mod, Env: gotool.Env(os.Environ(), os.Getenv("GOFLAGS"))}, dir
}

// TestScanMethodFiles scans the level3 fixture: Counter's methods are in
// a_methods.go, which sorts before z_types.go, the file declaring Counter
// (the peer drops such methods), and Reset is promoted from Stats.
func TestScanMethodFiles(t *testing.T) {
	res, err := Scan(context.Background(), level3Config(t))
	if err != nil {
		t.Fatal(err)
	}
	c := res.Types["example.com/level3.Counter"]
	if c == nil || strings.Join(c.Methods, " ") != "Counter.Add Counter.AddAll Counter.Both "+
		"Counter.Calls.__get__ Counter.Calls.__set__ Counter.Count.__get__ Counter.Count.__set__ Counter.Div Counter.Get Counter.Inc "+
		"Counter.Name.__get__ Counter.Name.__set__ Counter.Reset Counter.Snapshot" {
		t.Fatalf("Counter: %+v", c)
	}
	for _, f := range res.Packages[0].Funcs {
		if f.Name == "Counter.Add" && f.Doc != "Add adds n to the count and returns the new count." {
			t.Errorf("Counter.Add doc %q", f.Doc)
		}
		if f.Name == "Counter.Reset" && f.Doc != "Reset sets Calls to zero." {
			t.Errorf("Counter.Reset doc %q", f.Doc)
		}
	}
}
