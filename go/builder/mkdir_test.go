package builder

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMkdirPrivate checks the mode of the directories mkdirPrivate makes, and that a file in
// the way is an error rather than a directory that silently is not one.
func TestMkdirPrivate(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "a", "b")
	if err := mkdirPrivate(dir); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{filepath.Join(root, "a"), dir} {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if !fi.IsDir() || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: mode %v, want a 0700 directory", d, fi.Mode())
		}
	}
	if err := mkdirPrivate(dir); err != nil {
		t.Errorf("existing directory: %v", err)
	}
	file := filepath.Join(root, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := mkdirPrivate(file); err == nil {
		t.Errorf("mkdirPrivate(%s), a regular file: no error", file)
	}
}
