// Package builder turns a Go module into a usegolib artifact: a directory
// holding the c-shared bridge library and its manifest.json (docs/abi.md
// section 9). It runs the phases resolve, scan, generate, compile and write.
package builder

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	usegolib "github.com/usegolib/usegolib/go"
	"github.com/usegolib/usegolib/go/gen"
	"github.com/usegolib/usegolib/go/internal/gotool"
	"github.com/usegolib/usegolib/go/scan"
)

// ManifestVersion is the version of the manifest.json layout.
const ManifestVersion = 1

// Options configures Build.
type Options struct {
	// ModuleDir is the root of the module (it has a go.mod). For a local
	// module it is the working copy; for a released one, its source as
	// `go mod download -json` reports it (Dir).
	ModuleDir string
	// OutDir is the artifact directory. It is replaced as a whole.
	OutDir string
	// Version is gen.LocalVersion ("local", the default when empty) or the
	// version the bridge requires the module at (vX.Y.Z).
	Version string
	// WorkDir is where the bridge module is generated and built. Empty means
	// a temporary directory, removed afterwards; a given one is kept.
	WorkDir string
	// Log receives one line per phase ("usegolib-build: phase scan"); nil
	// means quiet.
	Log io.Writer
	// Verbose runs go build with -v and copies its output to Log as it
	// comes, each line prefixed "usegolib-build: go: " (nothing without a
	// Log).
	Verbose bool
	// Env is the base environment of the go commands; nil means
	// os.Environ(). The settings of gotool.Env are added to it; its
	// USEGOLIB_GO and USEGOLIB_GOTOOLCHAIN choose the go binary and the
	// GOTOOLCHAIN (package gotool).
	Env []string
	// Generics are the instantiations of generic functions to bridge
	// (docs/abi.md section 8.4), as scan.ParseGeneric reads them:
	// "Keys[string,int64]" or "example.com/m.Keys[string,int64]".
	Generics []string
	// Std, when set, builds a bridge over standard-library packages instead
	// of a module: go list patterns ("std", "fmt", "encoding/..."); only
	// the standard-library packages they match are bridged. ModuleDir and
	// Version are then empty: the module is scan.StdModule ("std") and the
	// version the toolchain's (go env GOVERSION, "go1.26.8").
	Std []string
	// Also are import paths of packages outside the module to bridge into
	// its artifact as well (standard-library packages, packages of its
	// dependencies), so that their functions share the module's runtime
	// with its own Go objects (docs/adr/0023). The packages that declare
	// the Go object types of the module's API are added to them.
	Also []string
}

// Result is a finished build.
type Result struct {
	Dir      string    // the artifact directory (Options.OutDir)
	Manifest *Manifest // as written to Dir/manifest.json
}

// Manifest is manifest.json (docs/abi.md section 9), fields in the
// document's order.
type Manifest struct {
	ManifestVersion int     `json:"manifest_version"`
	ABIVersion      int     `json:"abi_version"`
	Module          string  `json:"module"`
	Version         string  `json:"version"`
	Local           bool    `json:"local"`
	GoVersion       string  `json:"go_version"`
	GOOS            string  `json:"goos"`
	GOARCH          string  `json:"goarch"`
	Library         Library `json:"library"`
	Fingerprint     *string `json:"fingerprint"` // null for a non-local module
	// SourceDir is a local module's directory (symbolic links resolved);
	// null for a non-local module.
	SourceDir *string `json:"source_dir"`
	// InputDirs are the directories the fingerprint covers beyond its walk
	// (embedded files, sources the walk does not select); empty for a
	// non-local module.
	InputDirs []InputDir      `json:"input_dirs"`
	Schema    json.RawMessage `json:"schema"` // the bytes of usegolib_schema
}

// Library names the library file of an artifact and its SHA-256.
type Library struct {
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
}

// CompileError is a failed `go build` of the generated bridge.
type CompileError struct {
	Output []byte // everything the go command printed
	Err    error
}

func (e *CompileError) Error() string { return "go build failed: " + e.Err.Error() }

func (e *CompileError) Unwrap() error { return e.Err }

// LibraryName is the file name of the bridge library on goos.
func LibraryName(goos string) string {
	switch goos {
	case "darwin", "ios":
		return "libusegolib.dylib"
	case "windows":
		return "libusegolib.dll"
	}
	return "libusegolib.so"
}

// goEnv is what the builder needs from `go env`.
type goEnv struct {
	GOFLAGS   string
	GOOS      string
	GOARCH    string
	GOVERSION string
}

// build is the state of one Build call.
type build struct {
	opts   Options
	env    []string // the env of every go command after resolve
	goenv  goEnv
	target gen.Target
	work   string
	fp     *string
	res    *scan.Result
	lib    string // path of the built library in work
	result *Result

	// Local modules only.
	sourceDir string     // the module directory, symbolic links resolved
	inputs    []InputDir // what the fingerprint covers beyond its walk
}

// Build builds the artifact for opts.ModuleDir into opts.OutDir.
func Build(ctx context.Context, opts Options) (*Result, error) {
	if opts.Env == nil {
		opts.Env = os.Environ()
	}
	if len(opts.Std) > 0 {
		return buildStd(ctx, opts)
	}
	if opts.Version == "" {
		opts.Version = gen.LocalVersion
	}
	if opts.ModuleDir == "" || opts.OutDir == "" {
		return nil, errors.New("the module directory and the output directory are required")
	}
	if opts.Version != gen.LocalVersion {
		if err := checkVersion(opts.Version); err != nil {
			return nil, fmt.Errorf("invalid version %q: %v: want %q or a module version such as v1.2.3", opts.Version, err, gen.LocalVersion)
		}
	}
	b := &build{opts: opts}
	return b.run(ctx, b.resolve)
}

// run runs the phases of a build, resolve being the given one.
func (b *build) run(ctx context.Context, resolve func(context.Context) error) (*Result, error) {
	opts := b.opts
	defer b.cleanup()
	for _, ph := range []struct {
		name string
		run  func(context.Context) error
	}{
		{"resolve", resolve},
		{"scan", b.scan},
		{"generate", b.generate},
		{"compile", b.compile},
		{"write", b.write},
	} {
		if opts.Log != nil {
			fmt.Fprintf(opts.Log, "usegolib-build: phase %s\n", ph.name)
		}
		if err := ph.run(ctx); err != nil {
			return nil, err
		}
	}
	return b.result, nil
}

func (b *build) cleanup() {
	if b.opts.WorkDir == "" && b.work != "" {
		os.RemoveAll(b.work)
	}
}

// resolve reads the go environment and the module's go.mod, computes the
// fingerprint of a local module and writes the bridge's go.mod.
func (b *build) resolve(ctx context.Context) error {
	dir, err := filepath.Abs(b.opts.ModuleDir)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil || fi.IsDir() {
		return fmt.Errorf("%s is not a Go module root: it has no go.mod file", dir)
	}
	local := b.opts.Version == gen.LocalVersion

	// go env with the user's own GOFLAGS (from the environment or go env -w).
	out, err := gotool.Output(ctx, dir, gotool.UserEnv(b.opts.Env), "env", "-json", "GOFLAGS", "GOOS", "GOARCH", "GOVERSION")
	if err != nil {
		return err
	}
	if err := json.Unmarshal(out, &b.goenv); err != nil {
		return fmt.Errorf("reading go env output: %w", err)
	}
	b.env = gotool.Env(b.opts.Env, b.goenv.GOFLAGS)

	out, err = gotool.Output(ctx, dir, b.env, "mod", "edit", "-json")
	if err != nil {
		return err
	}
	var mod goModJSON
	if err := json.Unmarshal(out, &mod); err != nil {
		return fmt.Errorf("reading %s/go.mod: %w", dir, err)
	}
	if mod.Module.Path == "" {
		return fmt.Errorf("%s/go.mod has no module path", dir)
	}
	// The module path names directories of the artifact cache: check it as
	// the loader does (defence in depth), before anything is written.
	if err := checkModulePath(mod.Module.Path, local); err != nil {
		return fmt.Errorf("%s/go.mod: %w", dir, err)
	}
	if !local {
		if err := checkModuleVersion(mod.Module.Path, b.opts.Version); err != nil {
			return err
		}
	}
	b.target = gen.Target{Path: mod.Module.Path, Version: b.opts.Version, Dir: dir, GoVersion: mod.Go}
	if local {
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			b.sourceDir = real
		} else {
			b.sourceDir = dir
		}
		b.carryOver(mod)
	}

	if err := b.makeWork(); err != nil {
		return err
	}
	b.target.AbsolutePaths = local && !gen.CanLink(b.work)
	if err := gen.WriteModule(b.work, b.target); err != nil {
		return err
	}
	if local {
		// Before scan reads the sources: an edit during the build leaves an
		// artifact that looks stale, never one that looks current.
		return b.fingerprint(ctx)
	}
	return nil
}

// makeWork makes the work directory b.work: Options.WorkDir, or a new
// temporary directory.
func (b *build) makeWork() (err error) {
	if b.opts.WorkDir != "" {
		b.work, err = filepath.Abs(b.opts.WorkDir)
		if err == nil {
			err = mkdirPrivate(b.work)
		}
	} else {
		// MkdirTemp creates it 0o700.
		b.work, err = os.MkdirTemp("", "usegolib-build-")
	}
	if err == nil {
		// go list reports directories under the resolved path (the go command
		// gets no PWD from us), and the fingerprint matches its roots by path.
		b.work, err = filepath.EvalSymlinks(b.work)
	}
	return err
}

// goModJSON is what the builder reads from `go mod edit -json`.
type goModJSON struct {
	Module  struct{ Path string }
	Go      string
	Replace []struct{ Old, New gen.ModuleVersion }
	Exclude []gen.ModuleVersion
}

// carryOver copies a local module's replace and exclude directives into the
// bridge module (the go command applies them only in the main module, so a
// module that builds with `go build` in its own directory would not build
// as the bridge's dependency without them). A directory replacement is
// resolved against the module's directory; New.Path keeps it as written,
// the name of its fingerprint root.
func (b *build) carryOver(mod goModJSON) {
	for _, r := range mod.Replace {
		rep := gen.Replace{Old: r.Old, New: r.New}
		if r.New.Version == "" {
			rep.Dir = replaceDir(b.target.Dir, r.New.Path)
		}
		b.target.Replaces = append(b.target.Replaces, rep)
	}
	b.target.Excludes = mod.Exclude
}

// scan lists the module's API. A broken package is skipped with a warning;
// when no package is usable and one is broken, the build fails, since an
// empty bridge then most likely hides a broken checkout or a missing
// dependency.
func (b *build) scan(ctx context.Context) (err error) {
	cfg := scan.Config{Dir: b.work, Module: b.target.Path, Packages: b.opts.Std, Env: b.env, GOARCH: b.goenv.GOARCH, Generics: b.opts.Generics, Also: b.opts.Also,
		BuildFlags: b.compileFlags(), Warm: usegolib.BridgeImports(), Escape: b.escape()}
	b.res, err = scan.Scan(ctx, cfg)
	if err != nil {
		return err
	}
	if more := typePackages(b.res, cfg); len(more) > 0 {
		// The packages declaring the Go object types of the API join
		// (docs/adr/0023): one more scan, not repeated for their own.
		cfg.Also = append(slices.Clip(cfg.Also), more...)
		if b.res, err = scan.Scan(ctx, cfg); err != nil {
			return err
		}
	}
	var broken []scan.SkippedPackage
	for _, s := range b.res.SkippedPackages {
		if s.Broken {
			broken = append(broken, s)
			if b.opts.Log != nil {
				fmt.Fprintf(b.opts.Log, "usegolib-build: warning: skipping package %s: %s\n", s.Path, s.Reason)
			}
		}
	}
	if len(b.res.Packages) == 0 && len(broken) > 0 {
		return fmt.Errorf("no package of %s can be used; %s: %s", b.target.Path, broken[0].Path, broken[0].Reason)
	}
	return nil
}

// typePackages are the packages outside the module that declare the Go
// object (handle) types of its scanned API and that another package may
// import, less those scanned already: the packages whose functions make and
// use those objects, bridged into the module's artifact (docs/adr/0023).
// Func types are left out: a func value is made in Python. A
// standard-library build adds none.
func typePackages(res *scan.Result, cfg scan.Config) []string {
	if cfg.Module == scan.StdModule {
		return nil
	}
	scanned := map[string]bool{}
	for _, p := range res.Packages {
		scanned[p.Path] = true
	}
	for _, p := range res.SkippedPackages {
		scanned[p.Path] = true
	}
	seen := map[string]bool{}
	var out []string
	for _, t := range res.Types {
		p := t.Package
		if t.Kind != "handle" || t.Func || p == "" || scanned[p] || seen[p] || !importable(p) {
			continue
		}
		if p == cfg.Module || strings.HasPrefix(p, cfg.Module+"/") {
			continue
		}
		seen[p] = true
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// importable reports whether a package outside the module can be imported
// by the bridge: not internal, not vendored, not main.
func importable(path string) bool {
	for _, e := range strings.Split(path, "/") {
		if e == "internal" || e == "vendor" {
			return false
		}
	}
	return path != "main" && path != "unsafe" && path != "C"
}

// fingerprint computes a local module's fingerprint, after go list has told
// which files the build reads beyond those the fingerprint's walk selects:
// embedded files (and the directories //go:embed patterns name) and sources
// in directories the walk skips. Those directories become b.inputs. It runs
// before scan, generate and compile, so that a source edited during the build
// leaves an artifact that looks stale rather than one that looks current.
func (b *build) fingerprint(ctx context.Context) error {
	fields := "ImportPath,Dir,Module,EmbedPatterns,EmbedFiles," + strings.Join(sourceFields, ",")
	out, err := gotool.Output(ctx, b.work, b.env, "list", "-e", "-deps", "-json="+fields, b.target.Path+"/...")
	if err != nil {
		return fmt.Errorf("listing the files of %s: %w", b.target.Path, err)
	}
	roots, err := fingerprintRoots(b.target.Dir)
	if err != nil {
		return fmt.Errorf("fingerprint of %s: %w", b.target.Dir, err)
	}
	// Where each root appears to go list: through the links in the work
	// dir, or (AbsolutePaths) at its own path.
	rootOf := map[string]int{}
	bridgeDir := func(dir, link string) string {
		if b.target.AbsolutePaths {
			return filepath.Clean(dir)
		}
		return filepath.Join(b.work, link)
	}
	rootOf[bridgeDir(b.target.Dir, gen.TargetLink)] = 0
	for i, r := range b.target.Replaces {
		for j, root := range roots {
			if j > 0 && r.Dir != "" && root.name == r.New.Path {
				rootOf[bridgeDir(r.Dir, gen.ReplaceLink(i))] = j
			}
		}
	}
	walks, err := walkRoots(roots)
	if err != nil {
		return fmt.Errorf("fingerprint of %s: %w", b.target.Dir, err)
	}
	walked := make([]map[string]bool, len(roots))
	for i, files := range walks {
		walked[i] = map[string]bool{}
		for _, f := range files {
			walked[i][f] = true
		}
	}
	inputs, err := inputDirs(out, rootOf, roots, walked)
	if err != nil {
		return err
	}
	fp, err := fingerprintOf(roots, walks, inputs)
	if err != nil {
		return fmt.Errorf("fingerprint of %s: %w", b.target.Dir, err)
	}
	b.fp, b.inputs = &fp, inputs
	return nil
}

// sourceFields are the go list fields naming a package's source files.
var sourceFields = []string{"GoFiles", "CgoFiles", "CFiles", "CXXFiles", "MFiles", "HFiles", "FFiles", "SFiles", "SwigFiles", "SwigCXXFiles", "SysoFiles"}

// listedFiles is what inputDirs reads of one package of go list -json.
type listedFiles struct {
	Dir                                                         string
	Module                                                      *struct{ Dir string }
	EmbedPatterns, EmbedFiles                                   []string
	GoFiles, CgoFiles, CFiles, CXXFiles, MFiles, HFiles, FFiles []string
	SFiles, SwigFiles, SwigCXXFiles, SysoFiles                  []string
}

// sources are the package's source files (sourceFields), relative to Dir.
func (p *listedFiles) sources() []string {
	var out []string
	for _, l := range [][]string{p.GoFiles, p.CgoFiles, p.CFiles, p.CXXFiles, p.MFiles, p.HFiles, p.FFiles, p.SFiles, p.SwigFiles, p.SwigCXXFiles, p.SysoFiles} {
		out = append(out, l...)
	}
	return out
}

// inputDirs reads go list -json output and returns the InputDirs of the
// packages of the fingerprint's roots (rootOf: module directory as go list
// reports it -> root index): the directory of every embedded file, every
// directory a //go:embed pattern names (recursive), and the directory of
// every source file the walk did not select. Sorted, without repeats; a
// recursive entry replaces a plain one for the same directory.
func inputDirs(list []byte, rootOf map[string]int, roots []fpRoot, walked []map[string]bool) ([]InputDir, error) {
	found := map[InputDir]bool{}
	dec := json.NewDecoder(bytes.NewReader(list))
	for {
		var p listedFiles
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("reading go list output: %w", err)
		}
		if p.Module == nil {
			continue
		}
		root, ok := rootOf[filepath.Clean(p.Module.Dir)]
		if !ok {
			continue
		}
		pkgRel, err := filepath.Rel(p.Module.Dir, p.Dir)
		if err != nil || pkgRel == ".." || strings.HasPrefix(pkgRel, ".."+string(filepath.Separator)) {
			continue
		}
		rel := func(name string) string {
			r := filepath.ToSlash(filepath.Join(pkgRel, name))
			if r == "." {
				return ""
			}
			return r
		}
		dirOf := func(r string) string {
			if i := strings.LastIndex(r, "/"); i >= 0 {
				return r[:i]
			}
			return ""
		}
		name := roots[root].name
		for _, f := range p.EmbedFiles {
			found[InputDir{Root: name, Dir: dirOf(rel(f))}] = true
		}
		for _, pat := range p.EmbedPatterns {
			pat = strings.TrimPrefix(pat, "all:")
			if strings.ContainsAny(pat, "*?[\\") {
				continue // the matches' directories are covered above
			}
			if fi, err := os.Stat(filepath.Join(p.Dir, filepath.FromSlash(pat))); err == nil && fi.IsDir() {
				found[InputDir{Root: name, Dir: rel(pat), Recursive: true}] = true
			}
		}
		for _, f := range p.sources() {
			if r := rel(f); !walked[root][r] {
				found[InputDir{Root: name, Dir: dirOf(r)}] = true
			}
		}
	}
	var out []InputDir
	for d := range found {
		if !d.Recursive && found[InputDir{Root: d.Root, Dir: d.Dir, Recursive: true}] {
			continue
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Root != b.Root {
			return a.Root < b.Root
		}
		if a.Dir != b.Dir {
			return a.Dir < b.Dir
		}
		return !a.Recursive && b.Recursive
	})
	return out, nil
}

func (b *build) generate(context.Context) error {
	return gen.Generate(b.work, b.target, b.res)
}

// compileFlags are the go build flags of the bridge that decide how packages
// are compiled. The scan's go list runs with them too, so that the
// dependencies it compiles for their export data are the build-cache
// entries compile reuses: a cold build compiles each package once, not once
// for the scan and again, position-independent, for the c-shared library
// (docs/adr/0028).
var compileFlags = []string{"-buildmode=c-shared", "-trimpath"}

// escape reports whether the build asks the compiler for its escape analysis of the module's
// packages (scan.EscapeFlag, docs/adr/0034): not for the standard library (every package of it
// would compile again), and not when the user's GOFLAGS set -gcflags (ours would replace
// theirs for the module's packages); the bridge then copies every argument.
func (b *build) escape() bool {
	return b.target.Path != scan.StdModule && !strings.Contains(b.goenv.GOFLAGS, "-gcflags")
}

// compileFlags are compileFlags plus, when escape says so, scan.EscapeFlag: the same for the
// scan's go list and for go build, so that the module's packages compile once (the go command
// replays the compiler's output from the build cache for the scan of a later build).
func (b *build) compileFlags() []string {
	if !b.escape() {
		return compileFlags
	}
	return append(slices.Clip(compileFlags), scan.EscapeFlag(b.target.Path))
}

// compile runs go build. The output file name is fixed: the name is part of
// the library, and a fixed one keeps builds reproducible.
func (b *build) compile(ctx context.Context) error {
	name := LibraryName(b.goenv.GOOS)
	args := append(append([]string{"build"}, b.compileFlags()...), "-buildvcs=false", "-ldflags=-s -w", "-o", name, ".")
	run := gotool.Combined
	if b.opts.Verbose && b.opts.Log != nil {
		args = append([]string{"build", "-v"}, args[1:]...)
		run = func(ctx context.Context, dir string, env []string, args ...string) ([]byte, error) {
			w := &prefixLines{w: b.opts.Log, prefix: "usegolib-build: go: "}
			defer w.flush()
			return gotool.Streamed(ctx, dir, env, w, args...)
		}
	}
	out, err := run(ctx, b.work, b.env, args...)
	if err != nil && transientCacheError(out) {
		out, err = run(ctx, b.work, b.env, args...)
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &CompileError{Output: out, Err: err}
	}
	b.lib = filepath.Join(b.work, name)
	return nil
}

// prefixLines writes each whole line written to it to w, after prefix.
type prefixLines struct {
	w      io.Writer
	prefix string
	buf    []byte
}

func (p *prefixLines) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.buf[:i])
		p.buf = p.buf[i+1:]
	}
}

// flush writes a last line without its newline.
func (p *prefixLines) flush() {
	if len(p.buf) > 0 {
		fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.buf)
		p.buf = nil
	}
}

// transientCacheError reports whether go build failed with the build-cache
// race seen once in the wild: could not import runtime (open
// .../go-build/...-d: no such file or directory). A rerun fixes it.
func transientCacheError(out []byte) bool {
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "could not import runtime") && strings.Contains(line, "no such file or directory") {
			return true
		}
	}
	return false
}

// write computes the manifest and puts the artifact in place.
func (b *build) write(context.Context) error {
	lib, err := os.ReadFile(b.lib)
	if err != nil {
		return err
	}
	schema, err := os.ReadFile(filepath.Join(b.work, "schema.json"))
	if err != nil {
		return err
	}
	sum := sha256.Sum256(lib)
	var sourceDir *string
	if b.target.Local() {
		sourceDir = &b.sourceDir
	}
	inputs := b.inputs
	if inputs == nil {
		inputs = []InputDir{}
	}
	m := &Manifest{
		ManifestVersion: ManifestVersion,
		ABIVersion:      gen.ABIVersion,
		Module:          b.target.Path,
		Version:         b.target.Version,
		Local:           b.target.Local(),
		GoVersion:       b.goenv.GOVERSION,
		GOOS:            b.goenv.GOOS,
		GOARCH:          b.goenv.GOARCH,
		Library:         Library{File: filepath.Base(b.lib), SHA256: hex.EncodeToString(sum[:])},
		Fingerprint:     b.fp,
		SourceDir:       sourceDir,
		InputDirs:       inputs,
		Schema:          json.RawMessage(schema),
	}
	var mj bytes.Buffer
	enc := json.NewEncoder(&mj)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return err
	}
	out, err := filepath.Abs(b.opts.OutDir)
	if err != nil {
		return err
	}
	if err := writeDirAtomic(out, map[string][]byte{m.Library.File: lib, "manifest.json": mj.Bytes()}); err != nil {
		return err
	}
	b.result = &Result{Dir: out, Manifest: m}
	return nil
}

// writeDirAtomic makes dir hold exactly files. Everything is written and
// synced in a temporary directory next to dir first, which is then renamed
// into place; an older dir is first renamed aside and removed afterwards.
// A reader sees the old artifact, no artifact for a moment, or the new
// one: never a mix of the two. Directories are 0o700 and files 0o600 (only
// this user can read or change them; dlopen needs no more), whatever the
// umask. What a killed write leaves (.NAME.tmp-*, .NAME.old-*) is removed
// by the loader under the artifact's lock.
func writeDirAtomic(dir string, files map[string][]byte) error {
	parent, base := filepath.Dir(dir), filepath.Base(dir)
	if err := mkdirPrivate(parent); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+base+".tmp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) // after a successful rename there is nothing left here
	for name, data := range files {
		if err := writeFileSync(filepath.Join(tmp, name), data); err != nil {
			return err
		}
	}
	if err := os.Chmod(tmp, 0o700); err != nil {
		return err
	}
	if err := syncDir(tmp); err != nil {
		return err
	}

	var old string
	if _, err := os.Lstat(dir); err == nil {
		old, err = os.MkdirTemp(parent, "."+base+".old-")
		if err != nil {
			return err
		}
		if err := os.Remove(old); err != nil {
			return err
		}
		if err := os.Rename(dir, old); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			os.Rename(old, dir) // put the old artifact back
		}
		return err
	}
	if old != "" {
		os.RemoveAll(old)
	}
	return syncDir(parent)
}

// mkdirPrivate is os.MkdirAll with mode 0o700 for the directories it
// creates, set explicitly so that the umask cannot widen or narrow it.
func mkdirPrivate(dir string) error {
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return nil
	}
	if parent := filepath.Dir(dir); parent != dir {
		if err := mkdirPrivate(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		if fi, serr := os.Stat(dir); errors.Is(err, os.ErrExist) && serr == nil && fi.IsDir() {
			return nil // made by another process meanwhile
		}
		return err // a file in the way says so here, not at a later write
	}
	return os.Chmod(dir, 0o700)
}

func writeFileSync(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir flushes a directory's entries, as far as the platform allows; it
// is best effort (Windows cannot sync directories).
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	_ = f.Sync()
	return f.Close()
}
