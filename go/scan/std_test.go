package scan

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usegolib/usegolib/go/internal/gotool"
)

// scanStd scans standard-library patterns from a bridge module that
// requires nothing, as the builder's standard-library build does.
func scanStd(t *testing.T, patterns ...string) *Result {
	t.Helper()
	work := t.TempDir()
	if err := os.WriteFile(filepath.Join(work, "go.mod"), []byte("module usegolib_bridge\n\ngo 1.22\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Scan(context.Background(), Config{Dir: work, Module: StdModule, Packages: patterns, Env: gotool.Env(os.Environ(), os.Getenv("GOFLAGS"))})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestScanStd(t *testing.T) {
	res := scanStd(t, "strings", "runtime/cgo", "unsafe", "internal/bytealg", "vendor/golang.org/x/net/idna", "example.com/notstd")
	if res.Module != StdModule {
		t.Errorf("module %q", res.Module)
	}
	pkgs := map[string]*Package{}
	for _, p := range res.Packages {
		pkgs[p.Path] = p
	}
	if len(pkgs) != 2 || pkgs["strings"] == nil || pkgs["runtime/cgo"] == nil {
		t.Fatalf("packages: %v", res.Packages)
	}
	found := false
	for _, f := range pkgs["strings"].Funcs {
		found = found || f.Name == "ToUpper"
	}
	if !found {
		t.Error("strings.ToUpper is not bridged")
	}
	// runtime/cgo.Incomplete embeds the runtime's not-in-heap marker: Go
	// code cannot allocate it, so it has no constructor (go build refused
	// the bridge of the whole standard library before).
	for _, f := range pkgs["runtime/cgo"].Funcs {
		if strings.Contains(f.Name, "Incomplete") || strings.Contains(f.Receiver, "Incomplete") {
			t.Errorf("runtime/cgo entry %s uses the not-in-heap type Incomplete", f.Name)
		}
	}
	if d := res.Types[`runtime/cgo.Incomplete`]; d != nil {
		t.Errorf("runtime/cgo.Incomplete is in the schema as %s", d.Kind)
	}
	skipped := map[string]SkippedPackage{}
	for _, s := range res.SkippedPackages {
		skipped[s.Path] = s
	}
	for path, want := range map[string]struct {
		prefix string
		broken bool
	}{
		"unsafe":                       {"package unsafe is built into the compiler: it has nothing to call", false},
		"internal/bytealg":             {"internal package: cannot be imported from the bridge module", false},
		"vendor/golang.org/x/net/idna": {"vendored package: cannot be imported from the bridge module", false},
		"example.com/notstd":           {"package has errors: ", true},
	} {
		s, ok := skipped[path]
		if !ok || !strings.HasPrefix(s.Reason, want.prefix) || s.Broken != want.broken {
			t.Errorf("skipped package %s: %+v (present %v), want reason prefix %q broken %v", path, s, ok, want.prefix, want.broken)
		}
	}
	if len(skipped) != 4 {
		t.Errorf("skipped packages: %v", res.SkippedPackages)
	}
}

func TestScanStdConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Module: StdModule}, "the standard library needs a list of packages"},
		{Config{Module: StdModule, Packages: []string{"-toolexec=x"}}, "is not a standard-library package pattern"},
		{Config{Module: "example.com/m", Packages: []string{"fmt"}}, "package patterns are for the standard library"},
	} {
		tc.cfg.Dir, tc.cfg.GOARCH = t.TempDir(), "amd64"
		if _, err := Scan(context.Background(), tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want %q", tc.cfg, err, tc.want)
		}
	}
}
