package builder

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/usegolib/usegolib/go/internal/gotool"
)

// stdExcluded are the standard-library packages that importableStd leaves
// out beyond internal and vendored ones, each with its reason. The
// scanner skips them too, with the same reason, when asked for them.
var stdExcluded = map[string]string{
	"unsafe": "built into the compiler: no source, nothing to call",
}

// TestStdBuild scans every importable package of the standard library,
// builds them into one artifact (Options.Std) and fails on any generator or
// compile error, on a package that cannot be scanned, and on a symbol
// skipped without a reason. It logs (go test -v, make std-build) per package
// the bridged and skipped counts, then the totals, the build time and the
// ten most frequent skip reasons. It runs in `make test`: about 80 s with a
// warm build cache, 2.5 min of CPU with a cold one (docs/adr/0018).
func TestStdBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the standard library; skipped in -short mode")
	}
	ctx := context.Background()
	pkgs := importableStd(t, ctx)
	start := time.Now()
	res, err := Build(ctx, Options{Std: pkgs, OutDir: filepath.Join(t.TempDir(), "art")})
	if err != nil {
		if ce, ok := err.(*CompileError); ok {
			t.Fatalf("std: %v\n%s", err, ce.Output)
		}
		t.Fatalf("std: %v", err)
	}
	elapsed := time.Since(start)
	m := res.Manifest
	if m.Module != "std" || m.Version != m.GoVersion || m.Local || m.Fingerprint != nil {
		t.Errorf("manifest: module %q version %q (go %q) local %v fingerprint %v; want std at the toolchain's version, not local", m.Module, m.Version, m.GoVersion, m.Local, m.Fingerprint)
	}
	var s struct {
		Packages []struct {
			Path      string
			Functions []struct{ Name string }
			Skipped   []struct{ Name, Reason string }
		}
		SkippedPackages []struct{ Path, Reason string } `json:"skipped_packages"`
		Types           map[string]struct{ Kind string }
	}
	if err := json.Unmarshal(m.Schema, &s); err != nil {
		t.Fatal(err)
	}
	for _, p := range s.SkippedPackages {
		t.Errorf("package %s was not scanned: %s", p.Path, p.Reason)
	}
	if len(s.Packages)+len(s.SkippedPackages) != len(pkgs) {
		t.Errorf("%d packages asked for, %d in the schema", len(pkgs), len(s.Packages)+len(s.SkippedPackages))
	}
	bridged, skipped := 0, 0
	reasons := map[string]int{}
	for _, p := range s.Packages {
		bridged += len(p.Functions)
		skipped += len(p.Skipped)
		t.Logf("  %-28s %5d bridged %5d skipped", p.Path, len(p.Functions), len(p.Skipped))
		for _, k := range p.Skipped {
			if k.Reason == "" {
				t.Errorf("%s.%s is skipped without a reason", p.Path, k.Name)
			}
			reasons[reasonKind(k.Reason)]++
		}
	}
	if bridged == 0 {
		t.Error("std: nothing bridged")
	}
	t.Logf("std@%s: %d packages, %d bridged, %d skipped (%.1f%% bridged), built in %s", m.Version, len(s.Packages), bridged, skipped, 100*float64(bridged)/float64(max(bridged+skipped, 1)), elapsed.Round(time.Second))
	records := 0
	for _, d := range s.Types {
		if d.Kind == "record" {
			records++
		}
	}
	lib, _ := os.Stat(filepath.Join(res.Dir, m.Library.File))
	if lib != nil {
		t.Logf("  %d types in the schema (%d records), schema %d KiB, library %d MiB", len(s.Types), records, len(m.Schema)>>10, lib.Size()>>20)
	}
	for _, r := range topReasons(reasons, 10) {
		t.Logf("  %5d  %s", reasons[r], r)
	}
	logMostImported(t, s.Packages)
}

// mostImported40 are the 40 standard-library packages imported by the most
// package directories among the non-test Go files of the 26 modules in this
// project's Go module cache (go/parser, ImportsOnly; counted for issue 10,
// docs/adr/0023), most imported first. The loader's default
// standard-library set (usegolib-loader/src/stdlib.rs) starts from them.
var mostImported40 = []string{
	"fmt", "strings", "io", "bytes", "errors", "strconv", "os", "sync", "log", "reflect",
	"sort", "unicode/utf8", "flag", "time", "go/ast", "bufio", "math", "path/filepath", "go/token", "unicode",
	"go/types", "regexp", "encoding/binary", "slices", "runtime", "net/http", "context", "math/bits", "os/exec", "encoding/json",
	"go/format", "net", "path", "embed", "go/parser", "syscall", "crypto/rand", "encoding/base64", "hash", "sync/atomic",
}

// logMostImported logs the bridged share of the exported functions and
// methods of mostImported40 and their top skip reasons.
func logMostImported(t *testing.T, pkgs []struct {
	Path      string
	Functions []struct{ Name string }
	Skipped   []struct{ Name, Reason string }
}) {
	top := map[string]bool{}
	for _, p := range mostImported40 {
		top[p] = true
	}
	bridged, skipped, seen := 0, 0, 0
	reasons := map[string]int{}
	for _, p := range pkgs {
		if !top[p.Path] {
			continue
		}
		seen++
		bridged += len(p.Functions)
		skipped += len(p.Skipped)
		for _, k := range p.Skipped {
			reasons[reasonKind(k.Reason)]++
		}
	}
	if seen != len(mostImported40) {
		t.Errorf("%d of the 40 most imported packages are in the schema, want 40", seen)
	}
	if bridged+skipped == 0 {
		return
	}
	t.Logf("the 40 most imported packages: %d bridged, %d skipped (%.1f%% bridged)", bridged, skipped, 100*float64(bridged)/float64(bridged+skipped))
	for _, r := range topReasons(reasons, 10) {
		t.Logf("  %5d  %s", reasons[r], r)
	}
}

// importableStd lists `go list std` less internal and vendored packages
// (no other module may import them) and stdExcluded. The go command leaves
// cmd/ out of std already. Every other package imports into a c-shared
// cgo program on linux/amd64: the build proves it.
func importableStd(t *testing.T, ctx context.Context) []string {
	t.Helper()
	out, err := gotool.Output(ctx, t.TempDir(), gotool.Env(os.Environ(), ""), "list", "-e", "-json=ImportPath,Standard", "std")
	if err != nil {
		t.Fatal(err)
	}
	var pkgs []string
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath string
			Standard   bool
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		path := p.ImportPath
		switch {
		case !p.Standard, strings.HasPrefix(path, "cmd/"), strings.HasPrefix(path, "vendor/"):
			continue
		case path == "internal" || strings.HasPrefix(path, "internal/") || strings.Contains(path, "/internal/") || strings.HasSuffix(path, "/internal"):
			continue
		}
		if _, ok := stdExcluded[path]; ok {
			continue
		}
		pkgs = append(pkgs, path)
	}
	sort.Strings(pkgs)
	t.Logf("go list std: %d importable packages", len(pkgs))
	return pkgs
}

func TestStdOptions(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{Std: []string{"fmt"}, ModuleDir: ".", OutDir: "x"}, "takes no module directory and no version"},
		{Options{Std: []string{"fmt"}, Version: "v1.0.0", OutDir: "x"}, "takes no module directory and no version"},
		{Options{Std: []string{"fmt"}}, "the output directory is required"},
		{Options{Std: []string{"fmt", "-toolexec=x"}, OutDir: "x"}, `"-toolexec=x" is not a standard-library package pattern`},
	} {
		if _, err := Build(ctx, tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want %q", tc.opts, err, tc.want)
		}
	}
}

func TestReasonKind(t *testing.T) {
	for _, tc := range [][2]string{
		{"parameter x has type complex128: complex numbers are not supported", "complex numbers are not supported"},
		{"generic function: no instantiation requested (ask for one with generics=[\"Pull2[K,V]\"], its type parameters replaced by Go types, e.g. generics=[\"Pull2[int64,int64]\"]; --generic on the command line)", "no instantiation requested"},
		{"result 0 has type iter.Seq2[K, V]: generic type iter.Seq2[K, reflect.Value] is not supported", "generic type T is not supported"},
		{"field Delta has type d: type unicode.d is not exported: the bridge cannot name it", "the bridge cannot name it"},
		{"result 0 has type CommentMap: map keys must be strings, not go/ast.Node", "map keys must be strings"},
		{"type runtime/cgo.Incomplete is not-in-heap", "type T is not-in-heap"},
		{"methods of generic types are not supported", "methods of generic types are not supported"},
	} {
		if got := reasonKind(tc[0]); got != tc[1] {
			t.Errorf("reasonKind(%q) = %q, want %q", tc[0], got, tc[1])
		}
	}
}
