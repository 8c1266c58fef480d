package builder

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestModulePathRules(t *testing.T) {
	for _, ok := range []string{"m", "example.com/m", "example.com/M/v2", "a.b/c~d/e+f_g-h"} {
		if err := checkModulePath(ok, true); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, tc := range []struct{ path, rule string }{
		{"/abs/dir", "leading slash"},
		{"../../x", "double dot"},
		{"a//b", "double slash"},
		{"a/", "trailing slash"},
		{"a/.git", "leading dot"},
		{"a/b c", "invalid char ' '"},
		{"a/nul.txt", "disallowed"},
	} {
		err := checkModulePath(tc.path, true)
		if err == nil || !strings.Contains(err.Error(), tc.rule) || !strings.Contains(err.Error(), tc.path) {
			t.Errorf("%q: got %v, want an error naming the path and %q", tc.path, err, tc.rule)
		}
	}
	for _, tc := range []struct{ path, rule string }{
		{"m", "missing dot"},
		{"Example.com/m", "invalid char 'E' in first path element"},
		{"example.com/m/v1", "invalid version"},
		{"gopkg.in/yaml", "invalid version"},
	} {
		if err := checkModulePath(tc.path, false); err == nil || !strings.Contains(err.Error(), tc.rule) {
			t.Errorf("%q: got %v, want %q", tc.path, err, tc.rule)
		}
	}
	for _, tc := range []struct{ path, version, rule string }{
		{"example.com/m", "v1.2.3", ""},
		{"example.com/m", "v0.0.0-20240101000000-abcdefabcdef", ""},
		{"example.com/m/v2", "v2.0.0-rc.1", ""},
		{"gopkg.in/yaml.v3", "v3.0.1", ""},
		{"example.com/m", "v2.0.0", "want v0 or v1"},
		{"example.com/m/v3", "v2.0.0", "want v3"},
	} {
		err := checkModuleVersion(tc.path, tc.version)
		if (tc.rule == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.rule) {
			t.Errorf("%s@%s: got %v, want %q", tc.path, tc.version, err, tc.rule)
		}
	}
	for _, v := range []string{"1.2.3", "v1.2", "v01.2.3", "v1.2.3/../x", "v1.2.3-", "v1.2.3-01", "v1.2.3+meta"} {
		if checkVersion(v) == nil {
			t.Errorf("version %q accepted", v)
		}
	}
}

// A go.mod whose module path would leave the artifact root is refused before
// anything is written.
func TestBuildRefusesAModulePathThatLeavesTheCache(t *testing.T) {
	for _, path := range []string{"../../escape", "/abs/dir"} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module "+path+"\n\ngo 1.22\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "x.go"), []byte("package x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		work := filepath.Join(t.TempDir(), "work")
		_, err := Build(t.Context(), Options{ModuleDir: dir, OutDir: filepath.Join(t.TempDir(), "out"), WorkDir: work})
		if err == nil || !strings.Contains(err.Error(), "malformed module path") {
			t.Fatalf("%s: got %v", path, err)
		}
		if _, err := os.Stat(work); !os.IsNotExist(err) {
			t.Errorf("%s: the work directory was created before the check", path)
		}
	}
}

// Artifacts are private whatever the umask: directories 0o700, files 0o600.
// The test is not parallel, so the process-wide umask of 0 stays within it.
func TestWriteDirAtomicIsPrivate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "a", "b", "art")
	if err := writeDirAtomic(dir, map[string][]byte{"lib.so": []byte("x"), "manifest.json": []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Dir(filepath.Dir(dir)), filepath.Dir(dir), dir} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v %v, want 0700", p, fi.Mode(), err)
		}
	}
	for _, f := range []string{"lib.so", "manifest.json"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want 0600", f, fi.Mode(), err)
		}
	}
}
