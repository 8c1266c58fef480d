package builder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/version"
	"strings"

	"github.com/usegolib/usegolib/go/gen"
	"github.com/usegolib/usegolib/go/internal/gotool"
	"github.com/usegolib/usegolib/go/scan"
)

// buildStd builds an artifact over the standard-library packages that
// opts.Std names (docs/abi.md section 9.1). There is no target go.mod: the
// bridge module requires nothing, and its module is scan.StdModule at the
// toolchain's version.
func buildStd(ctx context.Context, opts Options) (*Result, error) {
	if opts.ModuleDir != "" || opts.Version != "" {
		return nil, errors.New("a standard-library build takes no module directory and no version: the version is the Go toolchain's")
	}
	if opts.OutDir == "" {
		return nil, errors.New("the output directory is required")
	}
	for _, p := range opts.Std {
		if p == "" || strings.HasPrefix(p, "-") || strings.ContainsAny(p, " \t\n") {
			return nil, fmt.Errorf("%q is not a standard-library package pattern", p)
		}
	}
	b := &build{opts: opts}
	return b.run(ctx, b.resolveStd)
}

// resolveStd is resolve for the standard library: the work directory, the
// go environment (read there, outside any module), and the bridge's go.mod.
func (b *build) resolveStd(ctx context.Context) error {
	if err := b.makeWork(); err != nil {
		return err
	}
	out, err := gotool.Output(ctx, b.work, gotool.UserEnv(b.opts.Env), "env", "-json", "GOFLAGS", "GOOS", "GOARCH", "GOVERSION")
	if err != nil {
		return err
	}
	if err := json.Unmarshal(out, &b.goenv); err != nil {
		return fmt.Errorf("reading go env output: %w", err)
	}
	b.env = gotool.Env(b.opts.Env, b.goenv.GOFLAGS)
	lang := version.Lang(b.goenv.GOVERSION) // "go1.26" of "go1.26.8"; "" for a development toolchain
	if lang == "" {
		return fmt.Errorf("the Go toolchain reports version %q: a standard-library build needs a released toolchain (its version is the artifact's)", b.goenv.GOVERSION)
	}
	b.target = gen.Target{Path: scan.StdModule, Version: b.goenv.GOVERSION, GoVersion: strings.TrimPrefix(lang, "go")}
	return gen.WriteModule(b.work, b.target)
}
