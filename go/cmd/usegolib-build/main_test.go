package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUsage(t *testing.T) {
	var stderr bytes.Buffer
	if code := run([]string{"-out", "x"}, &stderr); code != 1 {
		t.Errorf("missing -module: exit %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), "usage: usegolib-build -module DIR -out OUTDIR") {
		t.Errorf("no usage line:\n%s", stderr.String())
	}
	stderr.Reset()
	if code := run([]string{"-module", t.TempDir(), "-out", filepath.Join(t.TempDir(), "a"), "-quiet"}, &stderr); code != 1 {
		t.Errorf("not a module: exit %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), "usegolib-build: error: ") || !strings.Contains(stderr.String(), "has no go.mod file") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
	stderr.Reset()
	if code := run([]string{"-module", ".", "-out", "x", "-version", "1.2.3"}, &stderr); code != 1 || !strings.Contains(stderr.String(), `invalid version "1.2.3"`) {
		t.Errorf("bad version: exit %d\n%s", code, stderr.String())
	}
	stderr.Reset()
	if code := run([]string{"-module", ".", "-out", "x", "-generic", "Keys[string,int64]", "-generic", "Keys"}, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), `usegolib-build: error: -generic: generic instantiation "Keys": want Name[T1,T2]`) {
		t.Errorf("bad -generic: exit %d\n%s", code, stderr.String())
	}
}

// TestStdFlag builds a bridge over two standard-library packages; -std
// takes neither -module nor -version.
func TestStdFlag(t *testing.T) {
	var stderr bytes.Buffer
	for _, args := range [][]string{
		{"-std", "fmt", "-module", ".", "-out", "x"},
		{"-std", "fmt", "-version", "v1.0.0", "-out", "x"},
		{"-std", "fmt"},
	} {
		stderr.Reset()
		if code := run(args, &stderr); code != 1 || !strings.Contains(stderr.String(), "usegolib-build -std PKG [-std PKG ...] -out OUTDIR") {
			t.Errorf("%v: exit %d\n%s", args, code, stderr.String())
		}
	}
	if testing.Short() {
		t.Skip("runs go build; skipped in -short mode")
	}
	out := filepath.Join(t.TempDir(), "art")
	stderr.Reset()
	if code := run([]string{"-std", "strings", "-std", "unicode/utf8", "-out", out, "-quiet"}, &stderr); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	m, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"module": "std"`, `"version": "go1.`, `"local": false`, `"path": "strings"`, `"path": "unicode/utf8"`, `"name": "ToUpper"`} {
		if !bytes.Contains(m, []byte(want)) {
			t.Errorf("manifest lacks %s", want)
		}
	}
}

// TestGenericFlag builds a module with two -generic flags.
func TestGenericFlag(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build; skipped in -short mode")
	}
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/gen\n\ngo 1.22\n",
		"gen.go": "package gen\n\n// Id returns v.\nfunc Id[T any](v T) T { return v }\n",
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "art")
	var stderr bytes.Buffer
	if code := run([]string{"-module", dir, "-out", out, "-quiet", "-generic", "Id[int64]", "-generic", "example.com/gen.Id[[]string]"}, &stderr); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	m, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"name": "Id[[]string]"`, `"name": "Id[int64]"`, `"type_args": [`} {
		if !bytes.Contains(m, []byte(want)) {
			t.Errorf("manifest lacks %s", want)
		}
	}
	stderr.Reset()
	if code := run([]string{"-module", dir, "-out", out, "-quiet", "-generic", "Nope[int64]"}, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "no package of the module has a generic function Nope") {
		t.Errorf("unknown generic: exit %d\n%s", code, stderr.String())
	}
}

// TestCompileFailure builds a module that the scanner accepts but whose
// bridge cannot link (it exports usegolib_call itself): exit status 2 and the
// compiler's output after the error line.
func TestCompileFailure(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build; skipped in -short mode")
	}
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/clash\n\ngo 1.22\n",
		"clash.go": `package clash

import "C"

// F is fine on its own.
func F() int { return 1 }

//export usegolib_call
func usegolib_call() {}
`,
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "art")
	var stderr bytes.Buffer
	code := run([]string{"-module", dir, "-out", out}, &stderr)
	if code != 2 {
		t.Fatalf("exit %d, want 2\n%s", code, stderr.String())
	}
	s := stderr.String()
	head := "usegolib-build: phase resolve\nusegolib-build: phase scan\nusegolib-build: phase generate\nusegolib-build: phase compile\nusegolib-build: error: go build failed\n"
	if !strings.HasPrefix(s, head) || !strings.Contains(s, "usegolib_call") || len(s) == len(head) {
		t.Errorf("stderr:\n%s", s)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed build left %s behind (err %v)", out, err)
	}
}
