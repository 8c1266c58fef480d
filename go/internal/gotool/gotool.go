// Package gotool runs the go command the way every usegolib step needs it:
// with the user's environment plus the few settings that make bridge builds
// work offline and repeatably. Every go command of the Go side runs through
// Output or Combined, so two settings have one owner each:
//
//   - the go binary: $USEGOLIB_GO when set, else "go" from PATH (Binary);
//   - GOTOOLCHAIN: $USEGOLIB_GOTOOLCHAIN when set, else "local", never
//     downloading a toolchain (Toolchain). A GOTOOLCHAIN of the user's own
//     environment is replaced, as README.md says.
//
// The Rust loader resolves both by the same rule and passes them on (it
// sets USEGOLIB_GO, and the tool inherits USEGOLIB_GOTOOLCHAIN), so the
// usegolib-build tool run by hand or by the loader builds alike.
package gotool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os/exec"
	"sort"
	"strings"
)

// Toolchain is the GOTOOLCHAIN every go command of a build runs with:
// $USEGOLIB_GOTOOLCHAIN from env when it is set, else "local".
func Toolchain(env []string) string {
	if tc := Lookup(env, "USEGOLIB_GOTOOLCHAIN"); tc != "" {
		return tc
	}
	return "local"
}

// UserEnv returns base with only GOTOOLCHAIN set (Toolchain): the
// environment in which go env reports the user's own settings (GOFLAGS)
// that Env then changes.
func UserEnv(base []string) []string {
	return override(base, map[string]string{"GOTOOLCHAIN": Toolchain(base)})
}

// Env returns base (typically os.Environ()) with the settings every usegolib
// go command runs with: CGO_ENABLED=1 (c-shared needs cgo), GOTOOLCHAIN as
// Toolchain says, GOWORK=off (a go.work around the work dir must not change
// the build) and GOFLAGS = goflags plus -mod=mod (the bridge module may add
// go.sum lines). Any -mod flag in goflags is dropped, since the bridge
// module has no vendor directory. CC is left untouched.
func Env(base []string, goflags string) []string {
	return override(base, map[string]string{
		"CGO_ENABLED": "1",
		"GOTOOLCHAIN": Toolchain(base),
		"GOWORK":      "off",
		"GOFLAGS":     withModMod(goflags),
	})
}

// override returns base with the variables of set replaced (or added),
// once each, in the order of their names.
func override(base []string, set map[string]string) []string {
	env := make([]string, 0, len(base)+len(set))
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := set[k]; ok {
			continue
		}
		env = append(env, kv)
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+set[k])
	}
	return env
}

// Lookup returns the value of key in env ("" if absent; the last one wins).
func Lookup(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val
		}
	}
	return v
}

func withModMod(goflags string) string {
	var out []string
	for _, f := range strings.Fields(goflags) {
		if f == "-mod" || strings.HasPrefix(f, "-mod=") || strings.HasPrefix(f, "--mod=") {
			continue
		}
		out = append(out, f)
	}
	return strings.Join(append(out, "-mod=mod"), " ")
}

// Binary is the go command to run with env: $USEGOLIB_GO from env when it is
// set (the toolchain the user chose, which the loader also builds this tool
// with), else "go" from PATH. Every go command usegolib runs uses it, so go
// env, go list and go build all come from one toolchain (its GOROOT, its
// compiler).
func Binary(env []string) string {
	if g := Lookup(env, "USEGOLIB_GO"); g != "" {
		return g
	}
	return "go"
}

// Error is a failed go command, with everything it wrote to stderr.
type Error struct {
	Args   []string
	Stderr string
	Err    error
}

func (e *Error) Error() string {
	msg := strings.TrimSpace(e.Stderr)
	if msg == "" {
		msg = e.Err.Error()
	}
	if errors.Is(e.Err, exec.ErrNotFound) || errors.Is(e.Err, fs.ErrNotExist) {
		msg += " (install Go, put it on PATH, or set USEGOLIB_GO to the go binary)"
	}
	return fmt.Sprintf("go %s: %s", strings.Join(e.Args, " "), msg)
}

func (e *Error) Unwrap() error { return e.Err }

// Output runs `go args...` (Binary(env)) in dir with env and returns its standard output.
// On failure the error is an *Error holding the standard error.
func Output(ctx context.Context, dir string, env []string, args ...string) ([]byte, error) {
	out, _, err := OutputStderr(ctx, dir, env, args...)
	return out, err
}

// OutputStderr is Output that also returns the standard error of a successful run (the
// compiler's diagnostics that go list -export prints, or replays from the build cache).
func OutputStderr(ctx context.Context, dir string, env []string, args ...string) (stdout, stderr []byte, err error) {
	cmd := exec.CommandContext(ctx, Binary(env), args...)
	cmd.Dir = dir
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errb
	if err := cmd.Run(); err != nil {
		return out.Bytes(), errb.Bytes(), &Error{Args: args, Stderr: errb.String(), Err: err}
	}
	return out.Bytes(), errb.Bytes(), nil
}

// Combined runs `go args...` (Binary(env)) in dir with env and returns its standard output
// and standard error interleaved, as a user would see them.
func Combined(ctx context.Context, dir string, env []string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, Binary(env), args...)
	cmd.Dir = dir
	cmd.Env = env
	return cmd.CombinedOutput()
}

// Streamed is Combined that also writes the output to w as it comes (for `go build -v` shown
// while it runs); the returned bytes are the whole output.
func Streamed(ctx context.Context, dir string, env []string, w io.Writer, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, Binary(env), args...)
	cmd.Dir = dir
	cmd.Env = env
	var all bytes.Buffer
	tee := io.MultiWriter(&all, w)
	cmd.Stdout = tee
	cmd.Stderr = tee
	err := cmd.Run()
	return all.Bytes(), err
}
