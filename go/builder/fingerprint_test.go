package builder

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/usegolib/usegolib/go/internal/gotool"
)

func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// hashByHand hashes the named files as the fingerprint does, each name
// being also the file's path relative to base.
func hashByHand(t *testing.T, base string, names []string) string {
	t.Helper()
	h := sha256.New()
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(base, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		h.Write([]byte(name))
		h.Write([]byte{0})
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(data))))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestFingerprintKnownAnswer pins the algorithm with a fixed tree and its
// hash, so that the Rust implementation can be checked against the same
// vector. The expected stream is also rebuilt by hand below.
func TestFingerprintKnownAnswer(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"go.mod":                "module example.com/fp\n\ngo 1.22\n",
		"go.sum":                "",
		"fp.go":                 "package fp\n",
		"a/b.go":                "package b\n",
		"a/b_test.go":           "package b\n",
		"_x.go":                 "package fp\n", // file names starting with _ or . still count
		"README.md":             "not hashed\n",
		"fp.go.orig":            "not hashed\n",
		"vendor/v/v.go":         "package v\n",
		"testdata/t.go":         "package t\n",
		".hidden/h.go":          "package h\n",
		"_skip/s.go":            "package s\n",
		"a/testdata/x.go":       "package x\n",
		"nested/go.mod":         "module example.com/fp/nested\n",
		"nested/n.go":           "package n\n",
		"nested/deeper/d.go":    "package d\n",
		"sub/vendorish/v.go":    "package vendorish\n",
		"sub/go.sum":            "stray\n", // a go.sum anywhere (outside skipped dirs) counts
		"sub/.config/notes.txt": "x\n",
	})
	wantFiles := []string{"_x.go", "a/b.go", "a/b_test.go", "fp.go", "go.mod", "go.sum", "sub/go.sum", "sub/vendorish/v.go"}
	files, err := walkRoot(root, true)
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	if strings.Join(files, " ") != strings.Join(wantFiles, " ") {
		t.Fatalf("files = %q\nwant   %q", files, wantFiles)
	}

	want := hashByHand(t, root, wantFiles)

	got, err := Fingerprint(root, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("Fingerprint = %s, want %s", got, want)
	}
	// The cross-language vector: this exact tree hashes to this value.
	const vector = "3fa85b8b99e702236729f2a4a5d2d4b67b00e6dbea14f5bce846c31a4f54719d"
	if got != vector {
		t.Errorf("Fingerprint = %s, want the pinned vector %s", got, vector)
	}
}

func TestFingerprintChanges(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"go.mod": "module m\n", "m.go": "package m\n"})
	a, err := Fingerprint(root, nil)
	if err != nil {
		t.Fatal(err)
	}
	writeTree(t, root, map[string]string{"README.md": "docs do not count\n", "testdata/x.go": "package x\n"})
	if b, _ := Fingerprint(root, nil); b != a {
		t.Error("a file outside the fingerprint changed it")
	}
	writeTree(t, root, map[string]string{"m.go": "package m // edited\n"})
	if b, _ := Fingerprint(root, nil); b == a {
		t.Error("editing a .go file did not change the fingerprint")
	}
	// Moving bytes between a path and the contents must change the hash.
	r1, r2 := t.TempDir(), t.TempDir()
	writeTree(t, r1, map[string]string{"a.go": "bc"})
	writeTree(t, r2, map[string]string{"a.gob.go": "c"})
	f1, _ := Fingerprint(r1, nil)
	f2, _ := Fingerprint(r2, nil)
	if f1 == f2 {
		t.Error("framing is ambiguous")
	}
}

// knownAnswerTree2 is the second cross-language vector: a module whose
// go.mod replaces two modules with directories, cgo sources, and input
// directories (one recursive, one of another root, one of an unknown root
// and one escaping its root, both ignored). usegolib-loader's
// fingerprint_matches_the_go_builders_second_known_answer uses the same
// tree, inputs and hash.
var knownAnswerTree2 = map[string]string{
	"a/go.mod":               "module example.com/a\n\nrequire example.com/b v0.0.0\n\nreplace example.com/b => ../b // comment\n\nreplace (\n\texample.com/c v1.0.0 => \"../c\"\n\texample.com/d => example.com/d2 v1.0.0\n)\n",
	"a/a.go":                 "package a\n",
	"a/x.c":                  "int x;\n",
	"a/x.S":                  "\n",
	"a/y.s.orig":             "not hashed\n",
	"a/README":               "not hashed\n",
	"a/static/s.txt":         "s\n",
	"a/static/deep/t.bin":    "t\n",
	"a/static/.hidden":       "h\n",
	"b/go.mod":               "module example.com/b\n",
	"b/b.go":                 "package b\n",
	"b/b.h":                  "int b;\n",
	"b/data.txt":             "d\n",
	"b/sub/s.txt":            "not hashed: b's input dir is not recursive\n",
	"c/go.mod":               "module example.com/c\n",
	"c/c.cc":                 "int c;\n",
	"c/testdata/skip.c":      "not hashed\n",
	"escape/secret.txt":      "not hashed\n",
	"a/nested/go.mod":        "module example.com/a/nested\n",
	"a/static/mod/go.mod":    "module example.com/a/static/mod\n",
	"a/static/mod/m.txt":     "not hashed: a nested module\n",
	"a/vendor/v/v.c":         "not hashed\n",
	"a/_build/gen.h":         "not hashed\n",
	"a/.git/config":          "not hashed\n",
	"a/nested/n.go":          "not hashed\n",
	"a/cmd/tool/main.go":     "package main\n",
	"a/cmd/tool/asm_amd64.s": "\n",
}

var knownAnswerInputs2 = []InputDir{
	{Root: "", Dir: "static", Recursive: true},
	{Root: "../b", Dir: ""},
	{Root: "../zzz", Dir: "x"},
	{Root: "", Dir: "../escape"},
}

func TestFingerprintKnownAnswerWithRoots(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, knownAnswerTree2)
	if got := LocalReplacePaths([]byte(knownAnswerTree2["a/go.mod"])); strings.Join(got, " ") != "../b ../c" {
		t.Fatalf("LocalReplacePaths = %q", got)
	}
	want := []string{
		"a.go", "cmd/tool/asm_amd64.s", "cmd/tool/main.go", "go.mod", "static/.hidden", "static/deep/t.bin", "static/s.txt", "x.S", "x.c",
		"../b/b.go", "../b/b.h", "../b/data.txt", "../b/go.mod",
		"../c/c.cc", "../c/go.mod",
	}
	got, err := Fingerprint(filepath.Join(root, "a"), knownAnswerInputs2)
	if err != nil {
		t.Fatal(err)
	}
	if by := hashByHand(t, filepath.Join(root, "a"), want); got != by {
		t.Fatalf("Fingerprint = %s, by hand %s", got, by)
	}
	const vector = "de8ee91e5f9dd62a5d6add3a95712cd8b298f59befa3620bc56e40b17019613a"
	if got != vector {
		t.Errorf("Fingerprint = %s, want the pinned vector %s", got, vector)
	}
}

// TestLocalReplacePathsAgreesWithGo reads tricky go.mod files both with
// LocalReplacePaths and with `go mod edit -json`: the directory
// replacements must be the same.
func TestLocalReplacePathsAgreesWithGo(t *testing.T) {
	for i, gomod := range []string{
		"module m\n\nreplace x => ../x\n",
		"module m\nreplace (\n\tx v1.0.0 => ./x // why\n\ty => \"../with space\"\n\tz => z2 v1.2.3\n)\nrequire (\n\tq v1.0.0\n)\n",
		"module m\n// replace commented => ../out\nreplace a => /abs/a\nreplace b => ..\nreplace c => .\nreplace d => \"../q\\\"uote\"\nreplace e => ../e\nreplace e2 => ../e\n",
		"module m\r\nreplace(\r\n\tx => ../crlf\r\n)\r\n",
	} {
		dir := t.TempDir()
		writeTree(t, dir, map[string]string{"go.mod": gomod})
		out, err := gotool.Output(context.Background(), dir, gotool.Env(os.Environ(), ""), "mod", "edit", "-json")
		if err != nil {
			t.Fatalf("go.mod %d: %v", i, err)
		}
		var mod goModJSON
		if err := json.Unmarshal(out, &mod); err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, r := range mod.Replace {
			if r.New.Version == "" {
				want = append(want, r.New.Path)
			}
		}
		sort.Strings(want)
		want = slices.Compact(want)
		if got := LocalReplacePaths([]byte(gomod)); !slices.Equal(got, want) {
			t.Errorf("go.mod %d: LocalReplacePaths = %q, go mod edit says %q", i, got, want)
		}
	}
}

// TestInputDirs reads go list output as the builder gets it: embedded files
// and patterns, and sources the walk does not select, of the module and of
// a replaced module; packages of other modules are ignored.
func TestInputDirs(t *testing.T) {
	mod := t.TempDir()
	writeTree(t, mod, map[string]string{"web/static/x.css": "", "web/w.go": ""})
	list := `{"Dir": "` + mod + `/web", "Module": {"Dir": "` + mod + `"}, "EmbedPatterns": ["all:static", "tmpl/*.html", "version.txt"], "EmbedFiles": ["static/x.css", "tmpl/a.html", "version.txt"], "GoFiles": ["w.go"]}
{"Dir": "` + mod + `", "Module": {"Dir": "` + mod + `"}, "GoFiles": ["m.go"], "SysoFiles": ["_prebuilt.syso"], "CFiles": ["c.c"]}
{"Dir": "/repl/p", "Module": {"Dir": "/repl"}, "EmbedFiles": ["e/f.txt"], "GoFiles": ["p.go"]}
{"Dir": "/other/p", "Module": {"Dir": "/other"}, "EmbedFiles": ["x.txt"]}
{"Dir": "/goroot/src/fmt", "ImportPath": "fmt"}
`
	roots := []fpRoot{{"", mod}, {"../repl", "/repl"}}
	walked := []map[string]bool{{"web/w.go": true, "m.go": true, "c.c": true}, {"p/p.go": true}}
	got, err := inputDirs([]byte(list), map[string]int{mod: 0, "/repl": 1}, roots, walked)
	if err != nil {
		t.Fatal(err)
	}
	want := []InputDir{
		{Root: "", Dir: ""},                            // _prebuilt.syso: not walked (the test says so)
		{Root: "", Dir: "web"},                         // version.txt
		{Root: "", Dir: "web/static", Recursive: true}, // all:static, a directory
		{Root: "", Dir: "web/tmpl"},                    // tmpl/a.html
		{Root: "../repl", Dir: "p/e"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("inputDirs =\n%+v\nwant\n%+v", got, want)
	}
}
