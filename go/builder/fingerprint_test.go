package builder

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	files, err := fingerprintFiles(root)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(files, " ") != strings.Join(wantFiles, " ") {
		t.Fatalf("files = %q\nwant   %q", files, wantFiles)
	}

	h := sha256.New()
	for _, rel := range wantFiles {
		data, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		h.Write([]byte(rel))
		h.Write([]byte{0})
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(data))))
		h.Write(data)
	}
	want := hex.EncodeToString(h.Sum(nil))

	got, err := Fingerprint(root)
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
	a, err := Fingerprint(root)
	if err != nil {
		t.Fatal(err)
	}
	writeTree(t, root, map[string]string{"README.md": "docs do not count\n", "testdata/x.go": "package x\n"})
	if b, _ := Fingerprint(root); b != a {
		t.Error("a file outside the fingerprint changed it")
	}
	writeTree(t, root, map[string]string{"m.go": "package m // edited\n"})
	if b, _ := Fingerprint(root); b == a {
		t.Error("editing a .go file did not change the fingerprint")
	}
	// Moving bytes between a path and the contents must change the hash.
	r1, r2 := t.TempDir(), t.TempDir()
	writeTree(t, r1, map[string]string{"a.go": "bc"})
	writeTree(t, r2, map[string]string{"a.gob.go": "c"})
	f1, _ := Fingerprint(r1)
	f2, _ := Fingerprint(r2)
	if f1 == f2 {
		t.Error("framing is ambiguous")
	}
}
