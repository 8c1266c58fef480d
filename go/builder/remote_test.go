package builder

import (
	"archive/zip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usegolib/usegolib/go/internal/gotool"
)

// writeFileProxy writes a GOPROXY=file:// tree holding module mod at
// version ver with the given files.
func writeFileProxy(t *testing.T, root, mod, ver string, files map[string]string) {
	t.Helper()
	dir := filepath.Join(root, filepath.FromSlash(mod), "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("list", ver+"\n")
	write(ver+".info", `{"Version":"`+ver+`","Time":"2024-01-01T00:00:00Z"}`)
	write(ver+".mod", files["go.mod"])
	f, err := os.Create(filepath.Join(dir, ver+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, data := range files {
		w, err := zw.Create(mod + "@" + ver + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestBuildVersion builds a released (non-local) module from a hermetic
// file proxy: the bridge requires it at its version, with no replace, and
// the manifest says local false with a null fingerprint.
func TestBuildVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a c-shared library; skipped in -short mode")
	}
	ctx := context.Background()
	tmp := t.TempDir()
	proxy := filepath.Join(tmp, "proxy")
	writeFileProxy(t, proxy, "example.com/hello", "v1.2.3", map[string]string{
		"go.mod":   "module example.com/hello\n\ngo 1.22\n",
		"hello.go": "// Package hello greets.\npackage hello\n\n// Hello greets name.\nfunc Hello(name string) string { return \"hello, \" + name }\n",
	})
	env := append(os.Environ(),
		"GOPROXY=file://"+filepath.ToSlash(proxy),
		"GOSUMDB=off",
		"GOMODCACHE="+filepath.Join(tmp, "modcache"),
		"GOFLAGS=-modcacherw",
	)
	out, err := gotool.Output(ctx, tmp, gotool.Env(env, "-modcacherw"), "mod", "download", "-json", "example.com/hello@v1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	var dl struct{ Dir, Error string }
	if err := json.Unmarshal(out, &dl); err != nil || dl.Error != "" {
		t.Fatalf("go mod download: %v %s", err, dl.Error)
	}

	work := filepath.Join(tmp, "work")
	res, err := Build(ctx, Options{ModuleDir: dl.Dir, OutDir: filepath.Join(tmp, "art"), Version: "v1.2.3", WorkDir: work, Env: env})
	if err != nil {
		if ce, ok := err.(*CompileError); ok {
			t.Fatalf("%v\n%s", err, ce.Output)
		}
		t.Fatal(err)
	}
	m := res.Manifest
	if m.Version != "v1.2.3" || m.Local || m.Fingerprint != nil || m.Module != "example.com/hello" {
		t.Errorf("manifest: version %q local %v fingerprint %v module %q", m.Version, m.Local, m.Fingerprint, m.Module)
	}
	raw, err := os.ReadFile(filepath.Join(tmp, "art", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"fingerprint": null`) {
		t.Error(`manifest.json lacks "fingerprint": null`)
	}
	var schema struct {
		Version  string
		Packages []struct{ Functions []struct{ Name string } }
	}
	if err := json.Unmarshal(m.Schema, &schema); err != nil {
		t.Fatal(err)
	}
	if schema.Version != "v1.2.3" || len(schema.Packages) != 1 || len(schema.Packages[0].Functions) != 1 {
		t.Errorf("schema: %+v", schema)
	}
	gomod, err := os.ReadFile(filepath.Join(work, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(gomod), "require example.com/hello v1.2.3") || strings.Contains(string(gomod), "replace") {
		t.Errorf("bridge go.mod:\n%s", gomod)
	}
}

// TestBuildNothingUsable: when every package of the module is broken, the
// build fails and names the first broken package, rather than producing an
// empty bridge.
func TestBuildNothingUsable(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"go.mod": "module example.com/broken\n\ngo 1.22\n",
		"b.go":   "package broken\n\nfunc F() int { return \"x\" }\n",
	})
	var log strings.Builder
	_, err := Build(context.Background(), Options{ModuleDir: dir, OutDir: filepath.Join(t.TempDir(), "art"), Log: &log})
	if err == nil || !strings.Contains(err.Error(), "no package of example.com/broken can be used; example.com/broken: package has errors: b.go:3:") {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(log.String(), "usegolib-build: warning: skipping package example.com/broken: package has errors") {
		t.Errorf("log:\n%s", log.String())
	}
}
