package builder

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/usegolib/usegolib/go/internal/gotool"
)

var monoDir = filepath.Join("..", "..", "tests", "fixtures", "go", "mono")

// copyTree copies the regular files under src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(dst, filepath.Dir(rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestMonorepo builds tests/fixtures/go/mono/a, whose go.mod replaces
// example.com/mono/b with ../b (go build in a works; the bridge must carry
// the replace over), from two copies in different directories: the
// libraries are byte-identical and name no directory, and the manifest
// records what the fingerprint covers beyond its walk (the embedded data
// directory).
func TestMonorepo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds c-shared libraries; skipped in -short mode")
	}
	ctx := context.Background()
	var sums []string
	var dirs []string
	for _, name := range []string{"one", "two/deeper"} {
		src := filepath.Join(t.TempDir(), name)
		copyTree(t, monoDir, src)
		dirs = append(dirs, src)
		opts := Options{ModuleDir: filepath.Join(src, "a"), OutDir: filepath.Join(t.TempDir(), "out")}
		if name == "two/deeper" {
			// A work directory reached through a symbolic link (as macOS's /var is):
			// the embedded directory must still be found.
			link := filepath.Join(t.TempDir(), "link")
			if err := os.Symlink(t.TempDir(), link); err != nil {
				t.Fatal(err)
			}
			opts.WorkDir = filepath.Join(link, "work")
		}
		res, err := Build(ctx, opts)
		if err != nil {
			if ce, ok := err.(*CompileError); ok {
				t.Fatalf("%v\n%s", err, ce.Output)
			}
			t.Fatal(err)
		}
		m := res.Manifest
		sums = append(sums, m.Library.SHA256)

		var s struct {
			Packages []struct {
				Path      string
				Functions []struct{ Name string }
			}
		}
		if err := json.Unmarshal(m.Schema, &s); err != nil {
			t.Fatal(err)
		}
		var funcs []string
		for _, p := range s.Packages {
			for _, f := range p.Functions {
				funcs = append(funcs, p.Path+"."+f.Name)
			}
		}
		if want := []string{"example.com/mono/a.Greeting", "example.com/mono/a/cpart.Value"}; !reflect.DeepEqual(funcs, want) {
			t.Errorf("functions %v, want %v", funcs, want)
		}
		if want := []InputDir{{Root: "", Dir: "data", Recursive: true}}; !reflect.DeepEqual(m.InputDirs, want) {
			t.Errorf("input_dirs = %+v, want %+v", m.InputDirs, want)
		}
		real, _ := filepath.EvalSymlinks(filepath.Join(src, "a"))
		if m.SourceDir == nil || *m.SourceDir != real {
			t.Errorf("source_dir = %v, want %s", m.SourceDir, real)
		}
		fp, err := Fingerprint(filepath.Join(src, "a"), m.InputDirs)
		if err != nil || m.Fingerprint == nil || *m.Fingerprint != fp {
			t.Errorf("manifest fingerprint %v, recomputed %s (%v)", m.Fingerprint, fp, err)
		}

		lib := filepath.Join(res.Dir, m.Library.File)
		raw, err := os.ReadFile(lib)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(raw), src) || strings.Contains(string(raw), os.TempDir()) {
			t.Errorf("the library holds a directory name (%s or %s)", src, os.TempDir())
		}
		out, err := gotool.Output(ctx, ".", gotool.UserEnv(os.Environ()), "version", "-m", lib)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(out), "=>\t./usegolib_target") || !strings.Contains(string(out), "=>\t./usegolib_replace_1") {
			t.Errorf("build info does not name the modules by their links:\n%s", out)
		}
	}
	if sums[0] != sums[1] {
		t.Errorf("the same sources in %s and %s built different libraries: %s, %s", dirs[0], dirs[1], sums[0], sums[1])
	}
}
