package builder

import (
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/usegolib/usegolib/go/bridge"
	"github.com/usegolib/usegolib/go/internal/gotool"
)

var level1Dir = filepath.Join("..", "..", "tests", "fixtures", "go", "level1")

// TestEndToEnd builds tests/fixtures/go/level1 with the builder, checks the
// artifact (manifest, sha256, schema, exported symbols), calls the library
// through a small C loader, and checks that a second build is byte-identical.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a c-shared library with go build and gcc; skipped in -short mode")
	}
	ctx := context.Background()
	tmp := t.TempDir()
	out := filepath.Join(tmp, "artifacts", "level1")
	var log bytes.Buffer
	res, err := Build(ctx, Options{ModuleDir: level1Dir, OutDir: out, Log: &log})
	if err != nil {
		var ce *CompileError
		if asCompileError(err, &ce) {
			t.Fatalf("%v\n%s", err, ce.Output)
		}
		t.Fatal(err)
	}
	if got, want := log.String(), "usegolib-build: phase resolve\nusegolib-build: phase scan\nusegolib-build: phase generate\nusegolib-build: phase compile\nusegolib-build: phase write\n"; got != want {
		t.Errorf("log:\n%s\nwant:\n%s", got, want)
	}

	// manifest.json
	raw, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	goVersion, err := gotool.Output(ctx, ".", gotool.UserEnv(os.Environ()), "env", "GOVERSION")
	if err != nil {
		t.Fatal(err)
	}
	fp, err := Fingerprint(level1Dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]any{
		"manifest_version": 1.0,
		"abi_version":      1.0,
		"module":           "example.com/level1",
		"version":          "local",
		"local":            true,
		"go_version":       strings.TrimSpace(string(goVersion)),
		"goos":             runtime.GOOS,
		"goarch":           runtime.GOARCH,
		"fingerprint":      fp,
	} {
		if !reflect.DeepEqual(m[key], want) {
			t.Errorf("manifest %s = %#v, want %#v", key, m[key], want)
		}
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	if len(keys) != 13 {
		t.Errorf("manifest keys: %v", keys)
	}
	libInfo := m["library"].(map[string]any)
	if libInfo["file"] != "libusegolib.so" {
		t.Errorf("library.file = %v", libInfo["file"])
	}
	libPath := filepath.Join(out, "libusegolib.so")
	lib, err := os.ReadFile(libPath)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(lib)
	if libInfo["sha256"] != hex.EncodeToString(sum[:]) || res.Manifest.Library.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("library.sha256 = %v, file hashes to %x", libInfo["sha256"], sum)
	}
	if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 1 {
		t.Errorf("the artifact root holds %d entries, want only the artifact (no temporary dirs)", len(entries))
	}

	// The schema: in the manifest, and byte for byte in the library.
	if !bytes.Contains(lib, res.Manifest.Schema) {
		t.Error("the library does not hold the manifest's schema bytes")
	}
	checkLevel1Schema(t, m["schema"].(map[string]any))

	// Exported symbols.
	checkSymbols(t, libPath)

	// Calls through a C loader.
	callLevel1(t, libPath, res.Manifest.Schema)

	// Reproducible: a second build (new work dir, same output name) gives
	// the same bytes; building into an existing artifact replaces it.
	res2, err := Build(ctx, Options{ModuleDir: level1Dir, OutDir: filepath.Join(tmp, "again", "level1")})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Manifest.Library.SHA256 != res.Manifest.Library.SHA256 {
		t.Errorf("rebuild gave sha256 %s, first build %s", res2.Manifest.Library.SHA256, res.Manifest.Library.SHA256)
	}
	if _, err := Build(ctx, Options{ModuleDir: level1Dir, OutDir: out}); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 1 {
		t.Errorf("after replacing, the artifact root holds %d entries, want 1", len(entries))
	}
}

func asCompileError(err error, ce **CompileError) bool {
	c, ok := err.(*CompileError)
	*ce = c
	return ok
}

func checkLevel1Schema(t *testing.T, s map[string]any) {
	t.Helper()
	if s["schema_version"] != 2.0 || s["abi_version"] != 1.0 || s["module"] != "example.com/level1" || s["version"] != "local" {
		t.Errorf("schema header: %v %v %v %v", s["schema_version"], s["abi_version"], s["module"], s["version"])
	}
	pkgs := s["packages"].([]any)
	if len(pkgs) != 2 {
		t.Fatalf("schema has %d packages, want level1 and level1/sub", len(pkgs))
	}
	type fn struct {
		id   int
		sig  string
		doc  string
		errr bool
	}
	funcs := map[string]fn{}
	skipped := map[string]string{}
	wantID := 0
	for i, want := range []string{"example.com/level1", "example.com/level1/sub"} {
		p := pkgs[i].(map[string]any)
		if p["path"] != want {
			t.Errorf("package %d is %v, want %s", i, p["path"], want)
		}
		prev := ""
		for _, f := range p["functions"].([]any) {
			f := f.(map[string]any)
			name := f["name"].(string)
			if name <= prev {
				t.Errorf("functions not sorted: %s after %s", name, prev)
			}
			prev = name
			if int(f["id"].(float64)) != wantID {
				t.Errorf("%s has id %v, want %d (dense, in order)", name, f["id"], wantID)
			}
			funcs[p["path"].(string)+"."+name] = fn{wantID, f["signature"].(string), f["doc"].(string), f["error"].(bool)}
			wantID++
		}
		for _, sk := range p["skipped"].([]any) {
			sk := sk.(map[string]any)
			skipped[sk["name"].(string)] = sk["reason"].(string)
		}
	}
	var echoes []string
	for _, n := range []string{"Bool", "Int", "Int8", "Int16", "Int32", "Int64", "Uint", "Uint8", "Uint16", "Uint32", "Uint64", "Float32", "Float64", "String", "Bytes"} {
		echoes = append(echoes, "Echo"+n)
		if n == "Bytes" {
			echoes = append(echoes, "EchoBytesList")
		} else {
			echoes = append(echoes, "Echo"+n+"s")
		}
	}
	for _, name := range append(echoes, "AddInt", "EchoInt64Matrix", "Sum", "DivMod", "Triple", "ParseInt", "Check", "Nothing",
		"NilInts", "EmptyInts", "NilBytes", "EmptyBytes", "NilStrings", "PanicString", "PanicError", "PanicNilDeref",
		"BadUTF8", "StringBytes", "Spin", "Meet", "Echo") {
		if _, ok := funcs["example.com/level1."+name]; !ok {
			t.Errorf("level1.%s is missing from the schema", name)
		}
	}
	// 53 Level-1 functions, 4 that Level 2 supports (Ptr, Variadic, Warm,
	// MapLen), and the method, constructor and field accessors of the handle type CheckError.
	for _, name := range []string{"Ptr", "Variadic", "Warm", "MapLen", "CheckError.Error", "CheckError.__new__",
		"CheckError.Reason.__get__", "CheckError.Reason.__set__"} {
		if _, ok := funcs["example.com/level1."+name]; !ok {
			t.Errorf("level1.%s is missing from the schema", name)
		}
	}
	if len(funcs) != 61 {
		t.Errorf("schema has %d functions, want 61", len(funcs))
	}
	if f := funcs["example.com/level1.AddInt"]; f.sig != "func AddInt(a int, b int) int" || f.doc != "AddInt returns a+b." || f.errr {
		t.Errorf("AddInt: %+v", f)
	}
	if f := funcs["example.com/level1.ParseInt"]; f.sig != "func ParseInt(s string) (int64, error)" || !f.errr {
		t.Errorf("ParseInt: %+v", f)
	}
	if f := funcs["example.com/level1/sub.Hello"]; f.sig != "func Hello(name string) string" {
		t.Errorf("sub.Hello: %+v", f)
	}
	wantSkipped := map[string]string{
		"Send":    "parameter ch has type chan int: channels are not supported",
		"Conj":    "parameter c has type complex128: complex numbers are not supported",
		"Generic": "generic function: no instantiation requested (ask for one with generics=[\"Generic[T]\"], its type parameters replaced by Go types, e.g. generics=[\"Generic[int64]\"]; --generic on the command line)",
	}
	if !reflect.DeepEqual(skipped, wantSkipped) {
		t.Errorf("skipped = %v\nwant %v", skipped, wantSkipped)
	}
	sp, _ := json.Marshal(s["skipped_packages"])
	if want := `[{"path":"example.com/level1/cmd/tool","reason":"main package: cannot be imported"},{"path":"example.com/level1/internal/hidden","reason":"internal package: cannot be imported from the bridge module"}]`; string(sp) != want {
		t.Errorf("skipped_packages = %s\nwant %s", sp, want)
	}
}

func checkSymbols(t *testing.T, lib string) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Log("not an ELF platform: symbol check skipped")
		return
	}
	f, err := elf.Open(lib)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.DynamicSymbols()
	if err != nil {
		t.Fatal(err)
	}
	var exported []string
	for _, s := range syms {
		if strings.HasPrefix(s.Name, "usegolib_") && s.Section != elf.SHN_UNDEF && elf.ST_TYPE(s.Info) == elf.STT_FUNC {
			exported = append(exported, s.Name)
		}
	}
	if got, want := strings.Join(sorted(exported), " "), "usegolib_abi_version usegolib_call usegolib_call_scalar usegolib_free usegolib_schema usegolib_set_host usegolib_set_host_scalar"; got != want {
		t.Errorf("exported usegolib_ functions: %s\nwant exactly: %s", got, want)
	}
}

func sorted(s []string) []string {
	s = append([]string(nil), s...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s
}

// req encodes the request [1, 0, target, [args...]].
func req(target any, args ...func(e *bridge.Encoder)) []byte {
	var e bridge.Encoder
	e.ListLen(4)
	e.Uint(1)
	e.Uint(0)
	switch t := target.(type) {
	case int:
		e.Uint(uint64(t))
	case string:
		e.String(t)
	}
	e.ListLen(len(args))
	for _, a := range args {
		a(&e)
	}
	return e.Buf
}

func i64(v int64) func(*bridge.Encoder)  { return func(e *bridge.Encoder) { e.Int(v) } }
func str(v string) func(*bridge.Encoder) { return func(e *bridge.Encoder) { e.String(v) } }
func boolean(v bool) func(*bridge.Encoder) {
	return func(e *bridge.Encoder) { e.Bool(v) }
}

// callLevel1 compiles testdata/callso.c and drives the level1 library with it.
func callLevel1(t *testing.T, lib string, schema []byte) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Log("the C loader uses dlopen from glibc: call checks skipped")
		return
	}
	loader := filepath.Join(t.TempDir(), "callso")
	if out, err := exec.Command("gcc", "-O1", "-o", loader, filepath.Join("testdata", "callso.c"), "-ldl").CombinedOutput(); err != nil {
		t.Fatalf("compiling the C loader: %v\n%s", err, out)
	}
	ids := map[string]int{}
	var s struct {
		Packages []struct {
			Path      string
			Functions []struct {
				ID   int
				Name string
			}
		}
	}
	if err := json.Unmarshal(schema, &s); err != nil {
		t.Fatal(err)
	}
	for _, p := range s.Packages {
		for _, f := range p.Functions {
			ids[strings.TrimPrefix(p.Path, "example.com/level1")+f.Name] = f.ID
		}
	}

	type call struct {
		cap   int
		req   []byte
		owned bool // the reply must be malloc'd (it does not fit in cap)
		want  string
	}
	matrix := func(e *bridge.Encoder) {
		e.ListLen(2)
		e.ListLen(2)
		e.Int(1)
		e.Int(-2)
		e.Nil()
	}
	calls := []call{
		{64, req(ids["AddInt"], i64(1), i64(2)), false, "[0 3]"},
		{0, req("example.com/level1.AddInt", i64(40), i64(2)), true, "[0 42]"},
		{4, req(ids["DivMod"], i64(7), i64(2)), true, "[0 [3 1]]"},
		{64, req(ids["Triple"]), false, "[0 [three 3 [1 2 3]]]"},
		{64, req(ids["EchoInt64Matrix"], matrix), false, "[0 [[1 -2] []]]"},
		{64, req(ids["NilInts"]), false, "[0 []]"},
		{64, req(ids["NilBytes"]), false, "[0 []]"},
		{64, req(ids["BadUTF8"]), false, "[0 a\xffb]"},
		{64, req(ids["Check"], boolean(true)), false, "[0 <nil>]"},
		{64, req(ids["Nothing"]), false, "[0 <nil>]"},
		{64, req("example.com/level1/sub.Hello", str("gopher")), false, "[0 hello, gopher]"},
		{64, req(ids["/subTwice"], i64(21)), false, "[0 42]"},
	}
	var in bytes.Buffer
	for _, c := range calls {
		fmt.Fprintf(&in, "%d %x\n", c.cap, c.req)
	}
	errCalls := []struct {
		req         []byte
		kind, check string // check: "key=value" in detail
	}{
		{req(ids["ParseInt"], str("x")), "go_error", "type=*strconv.NumError"},
		{req(ids["Check"], boolean(false)), "go_error", "type=*level1.CheckError"},
		{req(ids["PanicString"]), "go_panic", "value=boom"},
		{req(ids["PanicError"]), "go_panic", "value=bad thing"},
		{req(ids["PanicNilDeref"]), "go_panic", "value=runtime error: invalid memory address or nil pointer dereference"},
		{req("example.com/level1.Send"), "skipped_symbol", "reason=parameter ch has type chan int: channels are not supported"},
		{req(ids["EchoInt8"], i64(200)), "bad_argument", "param=v"},
		{req(ids["AddInt"], i64(1)), "arity", "expected=2"},
	}
	for _, c := range errCalls {
		fmt.Fprintf(&in, "0 %x\n", c.req)
	}
	cmd := exec.Command(loader, lib)
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	outb, err := cmd.Output()
	if err != nil {
		t.Fatalf("C loader: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSuffix(string(outb), "\n"), "\n")
	if len(lines) != 2+len(calls)+len(errCalls) {
		t.Fatalf("C loader printed %d lines:\n%s", len(lines), outb)
	}
	if lines[0] != "abi 1" {
		t.Errorf("usegolib_abi_version: %s", lines[0])
	}
	if got, _ := hex.DecodeString(strings.TrimPrefix(lines[1], "schema ")); !bytes.Equal(got, schema) {
		t.Error("usegolib_schema differs from the manifest's schema bytes")
	}
	reply := func(line string) (rc, owned string, v any) {
		f := strings.Fields(line)
		if len(f) != 3 {
			t.Fatalf("bad loader line %q", line)
		}
		b, err := hex.DecodeString(f[2])
		if err != nil {
			t.Fatal(err)
		}
		v, err = bridge.NewDecoder(b).Value()
		if err != nil {
			t.Fatalf("reply %x: %v", b, err)
		}
		return f[0], f[1], v
	}
	for i, c := range calls {
		rc, owned, v := reply(lines[2+i])
		if rc != "0" || owned != map[bool]string{false: "0", true: "1"}[c.owned] || fmt.Sprint(v) != c.want {
			t.Errorf("call %d (%x): rc %s owned %s reply %v; want rc 0 owned %v reply %s", i, c.req, rc, owned, v, c.owned, c.want)
		}
	}
	for i, c := range errCalls {
		rc, _, v := reply(lines[2+len(calls)+i])
		r, ok := v.([]any)
		if rc != "0" || !ok || len(r) != 2 || fmt.Sprint(r[0]) != "1" {
			t.Errorf("error call %d: rc %s reply %v", i, rc, v)
			continue
		}
		e := r[1].(map[string]any)
		detail := e["detail"].(map[string]any)
		k, want, _ := strings.Cut(c.check, "=")
		if e["kind"] != c.kind || fmt.Sprint(detail[k]) != want {
			t.Errorf("error call %d: kind %v, detail[%s] = %v; want %s, %s", i, e["kind"], k, detail[k], c.kind, want)
		}
	}
}

// TestEndToEndOtherFixtures builds the other fixture modules: bench (a cgo
// package whose //export floor function ends up in the library but not in
// the schema), other and variadic.
func TestEndToEndOtherFixtures(t *testing.T) {
	if testing.Short() {
		t.Skip("builds c-shared libraries; skipped in -short mode")
	}
	for _, tc := range []struct {
		fixture, module string
		funcs           []string
		extraSymbols    []string
	}{
		// The last EchoPoint is package geo's (the record of issue 11's row), after the root package's.
		{"bench", "example.com/bench", []string{"AddInt", "Apply", "ApplyKeeping", "ApplyNamed", "ApplyOnGoThread", "Counter.Inc", "Counter.__new__", "Echo", "EchoPoint", "Func_Num__Num.__call__", "Func_int64__int64.__call__",
			"GetNum", "NewCounter", "ParseInt", "Result.Fields.Int", "Result.Int", "Result.Num.__get__", "Result.Num.__set__", "Result.Raw.__get__", "Result.Raw.__set__",
			"Result.Type.__get__", "Result.Type.__set__", "Result.__new__", "Spin", "Sum", "WriteN",
			"EchoPoint"}, []string{"usegolib_floor_addint"}},
		{"other", "example.com/other", []string{"AddInt", "Name"}, nil},
		// variadic: ...byte (the bytes kind, once a generator crash), ...Octet, ...[]byte, ...rune.
		{"variadic", "example.com/variadic", []string{"Chunks", "Count", "Join", "Octets", "Runes", "Uint8s"}, nil},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			res, err := Build(context.Background(), Options{
				ModuleDir: filepath.Join("..", "..", "tests", "fixtures", "go", tc.fixture),
				OutDir:    filepath.Join(t.TempDir(), tc.fixture),
			})
			if err != nil {
				t.Fatal(err)
			}
			var s struct {
				Module   string
				Packages []struct {
					Functions []struct{ Name string }
					Skipped   []struct{ Name string }
				}
			}
			if err := json.Unmarshal(res.Manifest.Schema, &s); err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, p := range s.Packages {
				for _, f := range p.Functions {
					names = append(names, f.Name)
				}
				for _, f := range p.Skipped {
					names = append(names, "skipped:"+f.Name)
				}
			}
			if s.Module != tc.module || strings.Join(names, " ") != strings.Join(tc.funcs, " ") {
				t.Errorf("schema of %s: module %s, functions %v; want %v", tc.fixture, s.Module, names, tc.funcs)
			}
			if runtime.GOOS != "linux" {
				return
			}
			f, err := elf.Open(filepath.Join(res.Dir, "libusegolib.so"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			syms, err := f.DynamicSymbols()
			if err != nil {
				t.Fatal(err)
			}
			have := map[string]bool{}
			for _, s := range syms {
				if s.Section != elf.SHN_UNDEF {
					have[s.Name] = true
				}
			}
			for _, want := range append([]string{"usegolib_abi_version", "usegolib_call", "usegolib_call_scalar", "usegolib_free", "usegolib_schema", "usegolib_set_host", "usegolib_set_host_scalar"}, tc.extraSymbols...) {
				if !have[want] {
					t.Errorf("%s is not exported", want)
				}
			}
		})
	}
}
