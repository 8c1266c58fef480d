package gotool

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestEnv(t *testing.T) {
	base := []string{"PATH=/bin", "CGO_ENABLED=0", "GOWORK=/x/go.work", "GOTOOLCHAIN=auto", "GOFLAGS=-mod=vendor", "CC=clang", "GOOS=linux"}
	env := Env(base, "-buildvcs=false -mod=vendor -tags=foo")
	for key, want := range map[string]string{
		"PATH":        "/bin",
		"CC":          "clang", // untouched
		"GOOS":        "linux",
		"CGO_ENABLED": "1",
		"GOTOOLCHAIN": "local",
		"GOWORK":      "off",
		"GOFLAGS":     "-buildvcs=false -tags=foo -mod=mod",
	} {
		if got := Lookup(env, key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	for _, key := range []string{"CGO_ENABLED", "GOWORK", "GOTOOLCHAIN", "GOFLAGS"} {
		n := 0
		for _, kv := range env {
			if strings.HasPrefix(kv, key+"=") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s appears %d times", key, n)
		}
	}
	if got := Lookup(Env(nil, ""), "GOFLAGS"); got != "-mod=mod" {
		t.Errorf("GOFLAGS = %q", got)
	}
}

// TestToolchain: GOTOOLCHAIN is $USEGOLIB_GOTOOLCHAIN, else local, whatever
// GOTOOLCHAIN the environment had, and it reaches the go command run.
func TestToolchain(t *testing.T) {
	for _, tc := range []struct {
		base []string
		want string
	}{
		{nil, "local"},
		{[]string{"GOTOOLCHAIN=auto"}, "local"},
		{[]string{"GOTOOLCHAIN=auto", "USEGOLIB_GOTOOLCHAIN=local+path"}, "local+path"},
		{[]string{"USEGOLIB_GOTOOLCHAIN="}, "local"},
	} {
		if got := Toolchain(tc.base); got != tc.want {
			t.Errorf("Toolchain(%q) = %q, want %q", tc.base, got, tc.want)
		}
		for name, env := range map[string][]string{"Env": Env(tc.base, ""), "UserEnv": UserEnv(tc.base)} {
			if got := Lookup(env, "GOTOOLCHAIN"); got != tc.want {
				t.Errorf("%s(%q): GOTOOLCHAIN = %q, want %q", name, tc.base, got, tc.want)
			}
		}
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go on PATH")
	}
	// local+path never downloads: with no go.mod around, the local go runs.
	for user, want := range map[string]string{"": "local", "local+path": "local+path"} {
		base := append(os.Environ(), "GOTOOLCHAIN=auto", "USEGOLIB_GOTOOLCHAIN="+user)
		for name, env := range map[string][]string{"Env": Env(base, ""), "UserEnv": UserEnv(base)} {
			out, err := Output(context.Background(), t.TempDir(), env, "env", "GOTOOLCHAIN")
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(string(out)); got != want {
				t.Errorf("USEGOLIB_GOTOOLCHAIN=%q, %s: go env GOTOOLCHAIN = %q, want %q", user, name, got, want)
			}
		}
	}
}

// TestBinaryFromUsegolibGo runs go env with a PATH that has no go at all:
// only $USEGOLIB_GO names the toolchain, and every command must use it.
func TestBinaryFromUsegolibGo(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go on PATH")
	}
	goBin, err = filepath.Abs(goBin)
	if err != nil {
		t.Fatal(err)
	}
	var path []string
	for _, d := range filepath.SplitList(os.Getenv("PATH")) {
		if _, err := os.Stat(filepath.Join(d, "go")); err != nil {
			path = append(path, d)
		}
	}
	t.Setenv("PATH", strings.Join(path, string(os.PathListSeparator)))
	env := Env(os.Environ(), "")
	if _, err := Output(context.Background(), t.TempDir(), env, "env", "GOVERSION"); err == nil {
		t.Fatal("go ran without go on PATH and without USEGOLIB_GO: the test cannot tell which go runs")
	} else if !strings.Contains(err.Error(), "set USEGOLIB_GO") {
		t.Errorf("missing go: %v", err)
	}
	bad := append(env[:len(env):len(env)], "USEGOLIB_GO="+filepath.Join(t.TempDir(), "go"))
	if _, err := Output(context.Background(), t.TempDir(), bad, "version"); err == nil {
		t.Error("USEGOLIB_GO names a missing file, yet go ran")
	}
	env = append(env, "USEGOLIB_GO="+goBin)
	if got := Binary(env); got != goBin {
		t.Errorf("Binary = %q, want %q", got, goBin)
	}
	out, err := Output(context.Background(), t.TempDir(), env, "env", "GOROOT")
	if err != nil {
		t.Fatal(err)
	}
	if root := strings.TrimSpace(string(out)); !strings.HasPrefix(goBin, root+string(filepath.Separator)) {
		t.Errorf("go env GOROOT = %s: not the toolchain of %s", root, goBin)
	}
	if out, err := Combined(context.Background(), t.TempDir(), env, "version"); err != nil || !strings.HasPrefix(string(out), "go version go") {
		t.Errorf("Combined: %v %s", err, out)
	}
}
