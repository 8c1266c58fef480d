package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/importer"
	"go/token"
	"go/types"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/usegolib/usegolib/go/internal/gotool"
)

// Config says what to scan and how.
type Config struct {
	// Dir is the bridge work directory: its go.mod requires Module (with a
	// replace for a local module). go list runs there.
	Dir string
	// Module is the import path of the target module, or StdModule with
	// Packages.
	Module string
	// Packages, for Module == StdModule only, are the go list patterns of
	// the standard-library packages to scan ("std", "fmt", "encoding/...").
	// Only standard-library packages they match are scanned.
	Packages []string
	// Env is the complete environment of the go command, normally
	// gotool.Env(os.Environ(), goflags): exactly the env of the final build,
	// since build tags, GOOS and GOARCH change the API.
	Env []string
	// GOARCH is the target architecture ("" asks go env).
	GOARCH string
	// Generics are the instantiations of generic functions to bridge
	// (ParseGeneric: "Keys[string,int64]", "example.com/m.Keys[string,int64]").
	Generics []string
	// Also are import paths of packages outside Module to scan as well:
	// standard-library packages and packages of the module's dependencies
	// whose types its API uses, so that their functions run in the module's
	// runtime (docs/adr/0023). Each must be an exact import path.
	Also []string
	// BuildFlags are go build flags given to go list as well, normally the
	// final build's own (-buildmode=c-shared -trimpath): the packages go
	// list compiles for their export data are then the very build-cache
	// entries the final build reuses, instead of a second compilation of
	// every dependency (docs/adr/0028).
	BuildFlags []string
	// Warm are import paths that go list compiles too (with BuildFlags)
	// without scanning them: the standard-library packages the bridge
	// runtime needs, so that the final build finds them in the build cache.
	// A standard-library scan (Module == StdModule) ignores them.
	Warm []string
	// Escape: BuildFlags hold EscapeFlag(Module), so go list prints the compiler's escape
	// analysis of the module's packages, from which the scan marks the parameters the bridge
	// may read in place (Var.InPlace, escape.go). Ignored for the standard library.
	Escape bool
}

// listPackage is the part of `go list -json` output the scanner reads.
type listPackage struct {
	ImportPath      string
	Name            string
	Dir             string
	CompiledGoFiles []string
	Export          string
	DepOnly         bool
	Standard        bool
	ImportMap       map[string]string
	Module          *struct {
		Path      string
		Dir       string
		GoVersion string
	}
	Error      *struct{ Err string }
	DepsErrors []*struct{ Err string }
}

// Scan lists the packages of cfg.Module with go list and type-checks each
// importable one from source. A package that cannot be used is recorded in
// SkippedPackages; an exported function that cannot be called is recorded in
// its package's Skipped list. Only a failure of go list itself, or a target
// whose int is not 64-bit, is an error.
func Scan(ctx context.Context, cfg Config) (*Result, error) {
	goarch := cfg.GOARCH
	if goarch == "" {
		out, err := gotool.Output(ctx, cfg.Dir, cfg.Env, "env", "GOARCH")
		if err != nil {
			return nil, err
		}
		goarch = strings.TrimSpace(string(out))
	}
	sizes := types.SizesFor("gc", goarch)
	if sizes == nil {
		return nil, fmt.Errorf("scan: unknown GOARCH %q", goarch)
	}
	if s := sizes.Sizeof(types.Typ[types.Int]); s != 8 {
		return nil, fmt.Errorf("scan: GOARCH=%s has %d-bit int; usegolib needs a 64-bit target (int and uint are 64-bit on the wire)", goarch, 8*s)
	}

	patterns, err := listPatterns(cfg)
	if err != nil {
		return nil, err
	}
	args := append([]string{"list", "-e", "-json", "-export", "-deps", "-compiled"}, cfg.BuildFlags...)
	out, diags, err := gotool.OutputStderr(ctx, cfg.Dir, cfg.Env, append(args, patterns...)...)
	if err != nil {
		return nil, fmt.Errorf("scan: %w", err)
	}
	pkgs, err := decodeList(out)
	if err != nil {
		return nil, fmt.Errorf("scan: reading go list output: %w", err)
	}

	exports := map[string]string{}
	for _, p := range pkgs {
		if p.Export != "" {
			exports[p.ImportPath] = p.Export
		}
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		f, ok := exports[path]
		if !ok {
			return nil, fmt.Errorf("no export data for %q (go list reported none)", path)
		}
		return os.Open(f)
	})

	var specs []GenericSpec
	for _, g := range cfg.Generics {
		spec, err := ParseGeneric(g)
		if err != nil {
			return nil, err
		}
		specs = append(specs, spec)
	}

	// Phase 1: type-check every package of the module that the bridge can
	// import, and read the doc comments of all of them: a method promoted
	// from another package of the module takes its doc from there.
	res := &Result{Module: cfg.Module, Types: map[string]*TypeDef{}}
	c := newChecker()
	c.fset = fset
	if cfg.Escape && cfg.Module != StdModule {
		c.escape = parseEscape(diags)
	}
	var checked []*checkedPackage
	for _, p := range pkgs {
		if !cfg.targets(p) {
			continue
		}
		if res.GoVersion == "" && p.Module != nil && p.Module.Path == cfg.Module {
			res.GoVersion = p.Module.GoVersion
		}
		reason, broken := skipReason(p)
		var cp *checkedPackage
		if reason == "" {
			cp, err = checkPackage(fset, imp, sizes, p)
			if err != nil {
				reason, broken = err.Error(), true
			}
		}
		if reason != "" {
			if p.Module != nil {
				reason = trimModuleDir(reason, p.Module.Dir, cfg.Dir)
			}
			res.SkippedPackages = append(res.SkippedPackages, SkippedPackage{Path: p.ImportPath, Reason: reason, Broken: broken})
			continue
		}
		c.collectDocs(cp.tpkg.Path(), cp.files)
		checked = append(checked, cp)
	}
	sort.Slice(checked, func(i, j int) bool { return checked[i].tpkg.Path() < checked[j].tpkg.Path() })
	sort.Slice(res.SkippedPackages, func(i, j int) bool { return res.SkippedPackages[i].Path < res.SkippedPackages[j].Path })

	// Phase 2: the entries of every package, then the records they use.
	gens, err := assignGenerics(specs, checked)
	if err != nil {
		return nil, err
	}
	importPkg := func(path string) (*types.Package, error) { return imp.Import(path) }
	for _, cp := range checked {
		if err := c.collect(cp, gens[cp], importPkg); err != nil {
			return nil, err
		}
	}
	c.checkRecords()
	byPath := map[string]*checkedPackage{}
	for _, cp := range checked {
		byPath[cp.tpkg.Path()] = cp
	}
	for c.collectCalls(byPath) {
		c.checkRecords()
	}
	c.callbackFailures()
	for _, cp := range checked {
		res.Packages = append(res.Packages, c.finish(cp))
	}
	res.Types = c.reachable(res.Packages)
	return res, nil
}

// StdModule is the module path of the Go standard library: a Config with
// this Module scans the standard-library packages its Packages name.
const StdModule = "std"

// listPatterns are the go list patterns of the packages cfg scans.
func listPatterns(cfg Config) ([]string, error) {
	for _, p := range cfg.Also {
		if p == "" || strings.HasPrefix(p, "-") || strings.Contains(p, "...") || strings.ContainsAny(p, " \t\n") {
			return nil, fmt.Errorf("scan: %q is not an import path (Also takes exact import paths)", p)
		}
	}
	if cfg.Module != StdModule {
		if len(cfg.Packages) > 0 {
			return nil, fmt.Errorf("scan: package patterns are for the standard library (module %q) only", StdModule)
		}
		patterns := append([]string{cfg.Module + "/..."}, cfg.Also...)
		for _, p := range cfg.Warm {
			if p == "" || strings.HasPrefix(p, "-") || strings.Contains(p, "...") || strings.ContainsAny(p, " \t\n") {
				return nil, fmt.Errorf("scan: %q is not an import path (Warm takes exact import paths)", p)
			}
			if !slices.Contains(patterns, p) {
				patterns = append(patterns, p)
			}
		}
		return patterns, nil
	}
	if len(cfg.Packages) == 0 {
		return nil, errors.New("scan: the standard library needs a list of packages (or \"std\")")
	}
	for _, p := range cfg.Packages {
		if p == "" || strings.HasPrefix(p, "-") {
			return nil, fmt.Errorf("scan: %q is not a standard-library package pattern", p)
		}
	}
	return append(append([]string(nil), cfg.Packages...), cfg.Also...), nil
}

// targets reports whether go list's package p is one of the packages cfg
// scans (not a dependency listed only for its export data).
func (cfg Config) targets(p *listPackage) bool {
	if p.DepOnly {
		return false
	}
	if slices.Contains(cfg.Also, p.ImportPath) {
		return true
	}
	if cfg.Module == StdModule {
		// A pattern naming no standard package (a typo) lists with an error
		// and without Standard: it is reported as a skipped package.
		return p.Standard || p.Error != nil
	}
	return p.Module != nil && p.Module.Path == cfg.Module
}

// trimModuleDir makes the file names in an error message relative to the
// module root: reasons end up in the library, which must not depend on where
// the module or the work dir are. The go command writes file names either
// absolute or relative to its working directory (workDir), whichever is
// shorter.
func trimModuleDir(msg, modDir, workDir string) string {
	if modDir == "" {
		return msg
	}
	sep := string(filepath.Separator)
	msg = strings.ReplaceAll(msg, modDir+sep, "")
	if rel, err := filepath.Rel(workDir, modDir); err == nil && rel != "." {
		msg = strings.ReplaceAll(msg, rel+sep, "")
	}
	return msg
}

func decodeList(out []byte) ([]*listPackage, error) {
	dec := json.NewDecoder(bytes.NewReader(out))
	var pkgs []*listPackage
	for {
		p := new(listPackage)
		if err := dec.Decode(p); err == io.EOF {
			return pkgs, nil
		} else if err != nil {
			return nil, err
		}
		pkgs = append(pkgs, p)
	}
}

// skipReason says why a package of the module cannot be imported by the
// bridge, or "" if it can, and whether that is because something is broken.
func skipReason(p *listPackage) (reason string, broken bool) {
	switch {
	case p.Error != nil:
		return "package has errors: " + firstLine(p.Error.Err), true
	case p.Name == "main":
		return "main package: cannot be imported", false
	case p.Standard && p.ImportPath == "unsafe":
		return "package unsafe is built into the compiler: it has nothing to call", false
	case isInternal(p.ImportPath):
		return "internal package: cannot be imported from the bridge module", false
	case isVendored(p.ImportPath):
		return "vendored package: cannot be imported from the bridge module", false
	case len(p.DepsErrors) > 0:
		return "a dependency has errors: " + firstLine(p.DepsErrors[0].Err), true
	}
	return "", false
}

// isVendored reports whether path is a vendored copy of a package
// (vendor/golang.org/x/net/...): only its own module can import it.
func isVendored(path string) bool {
	return strings.HasPrefix(path, "vendor/") || strings.Contains(path, "/vendor/")
}

func isInternal(path string) bool {
	for _, elem := range strings.Split(path, "/") {
		if elem == "internal" {
			return true
		}
	}
	return false
}

// firstLine is the first line of a go command or go/types error message
// that says something (not a "# package" header), marked with " ..." when
// more lines follow.
func firstLine(s string) string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "# ") {
			lines = append(lines, l)
		}
	}
	switch len(lines) {
	case 0:
		return strings.TrimSpace(s)
	case 1:
		return lines[0]
	}
	return lines[0] + " ..."
}

// mappedImporter resolves the import paths written in one package's source
// through its ImportMap (vendoring) before asking the export-data importer.
type mappedImporter struct {
	imp types.Importer
	m   map[string]string
}

func (m mappedImporter) Import(path string) (*types.Package, error) {
	if p, ok := m.m[path]; ok {
		path = p
	}
	return m.imp.Import(path)
}
