// Command usegolib-build builds a usegolib artifact for a Go module: a
// directory with the c-shared bridge library and manifest.json.
//
// Usage:
//
//	usegolib-build -module DIR -out OUTDIR [-version local|vX.Y.Z] [-work DIR] [-quiet]
//
// With -version local (the default), DIR is a local module root. Otherwise
// DIR is the module's source (the Dir of `go mod download -json`) and the
// bridge requires the module at that version.
//
// Each phase is announced on stderr ("usegolib-build: phase compile") unless
// -quiet. Exit status: 0 on success, 2 when go build of the bridge failed
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

	"github.com/usegolib/usegolib/go/builder"
)

func main() {
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
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: usegolib-build -module DIR -out OUTDIR [-version local|vX.Y.Z] [-work DIR] [-quiet]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 1
	}
	if *module == "" || *out == "" || fs.NArg() > 0 {
		fs.Usage()
		return 1
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	opts := builder.Options{ModuleDir: *module, OutDir: *out, Version: *version, WorkDir: *work}
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
