// Command usegolib-build builds a usegolib artifact for a Go module: a
// directory with the c-shared bridge library and manifest.json.
//
// Usage:
//
//	usegolib-build -module DIR -out OUTDIR [-version local|vX.Y.Z] [-work DIR] [-quiet] [-generic 'Name[T1,T2]' ...] [-also PKG ...]
//
// With -version local (the default), DIR is a local module root. Otherwise
// DIR is the module's source (the Dir of `go mod download -json`) and the
// bridge requires the module at that version.
//
// -also PKG, repeatable, bridges a standard-library package or a package of
// the module's dependencies into the artifact as well, so that its functions
// share the module's runtime (the packages declaring the Go object types of
// the module's API are added without asking; docs/adr/0023).
//
// -generic, repeatable, bridges one instantiation of a generic function
// (docs/abi.md section 8.4): -generic 'Keys[string,int64]' names the one
// package of the module with a generic function Keys, and
// -generic 'example.com/m/sub.Keys[string,int64]' a package explicitly. Type
// arguments are predeclared types, composites ([]T, [N]T, map[K]V, *T) and
// defined types written with their import path (example.com/m.Point,
// time.Duration) or, for the function's own package, by name alone.
//
// Each phase is announced on stderr ("usegolib-build: phase compile") unless
// -quiet; -v also shows go build -v's output as it comes, each line after
// "usegolib-build: go: ". Exit status: 0 on success, 2 when go build of the bridge failed
// (its full output follows "usegolib-build: error: go build failed" on
// stderr), 1 on any other error, including usage errors.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/usegolib/usegolib/go/builder"
	"github.com/usegolib/usegolib/go/scan"
)

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, " ") }

func (l *stringList) Set(s string) error {
	*l = append(*l, s)
	return nil
}

func main() {
	dieWithParent()
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("usegolib-build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	module := fs.String("module", "", "module root directory (required)")
	out := fs.String("out", "", "artifact directory to write, replaced as a whole (required)")
	version := fs.String("version", "local", `"local" for a local module, or the version (vX.Y.Z) to require`)
	work := fs.String("work", "", "build in this directory and keep it (default: a temporary directory)")
	quiet := fs.Bool("quiet", false, "do not announce the phases")
	verbose := fs.Bool("v", false, "also show go build's own output (go build -v), each line after \"usegolib-build: go: \"")
	var generics stringList
	fs.Var(&generics, "generic", "an instantiation of a generic function to bridge, as 'Name[T1,T2]' or 'import/path.Name[T1,T2]' (repeatable)")
	var also stringList
	fs.Var(&also, "also", "with -module: the import path of a standard-library or dependency package to bridge into the artifact as well (repeatable)")
	var std stringList
	fs.Var(&std, "std", "instead of -module: a standard-library package or pattern to bridge ('fmt', 'encoding/...', 'std'; repeatable); the version is the Go toolchain's")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: usegolib-build -module DIR -out OUTDIR [-version local|vX.Y.Z] [-work DIR] [-quiet] [-generic 'Name[T1,T2]' ...] [-also PKG ...]")
		fmt.Fprintln(stderr, "       usegolib-build -std PKG [-std PKG ...] -out OUTDIR [-work DIR] [-quiet]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 1
	}
	versionSet := false
	fs.Visit(func(f *flag.Flag) { versionSet = versionSet || f.Name == "version" })
	if (*module == "") == (len(std) == 0) || *out == "" || fs.NArg() > 0 || (len(std) > 0 && versionSet) {
		fs.Usage()
		return 1
	}
	if len(std) > 0 {
		*version = "" // the toolchain's
	}
	for _, g := range generics {
		if _, err := scan.ParseGeneric(g); err != nil {
			fmt.Fprintf(stderr, "usegolib-build: error: -generic: %v\n", err)
			return 1
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	opts := builder.Options{ModuleDir: *module, OutDir: *out, Version: *version, WorkDir: *work, Generics: generics, Std: std, Also: also, Verbose: *verbose}
	if !*quiet {
		opts.Log = stderr
	}
	_, err := builder.Build(ctx, opts)
	var ce *builder.CompileError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ce):
		fmt.Fprintln(stderr, "usegolib-build: error: go build failed")
		stderr.Write(ce.Output)
		return 2
	default:
		fmt.Fprintf(stderr, "usegolib-build: error: %v\n", err)
		return 1
	}
}
