package builder

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/usegolib/usegolib/go/internal/gotool"
)

// realModules are large real modules, pinned, that TestRealModules scans and
// builds whole: the invariant "an unsupported symbol is skipped with a
// reason and never breaks the build" over code nobody wrote for this
// project. The first one runs in `make test`; all of them in `make
// real-modules` (USEGOLIB_REAL_MODULES=all).
var realModules = []struct{ path, version string }{
	{"github.com/yuin/goldmark", "v1.8.7"},
	{"golang.org/x/text", "v0.44.0"},
	{"golang.org/x/net", "v0.62.0"},
	{"github.com/BurntSushi/toml", "v1.6.0"},
	{"gopkg.in/yaml.v3", "v3.0.1"},
}

// TestRealModules fetches each module through the module proxy into the
// module cache (offline once cached), builds its artifact (every package)
// and fails on any generator or compile error. It logs, per module, the
// packages, bridged and skipped symbols and the most frequent skip reasons
// (go test -v, or make real-modules). A module that is neither cached nor
// reachable is skipped with the go command's reason.
func TestRealModules(t *testing.T) {
	if testing.Short() {
		t.Skip("builds real modules; skipped in -short mode")
	}
	mods := realModules[:1]
	if os.Getenv("USEGOLIB_REAL_MODULES") == "all" {
		mods = realModules
	}
	for _, m := range mods {
		t.Run(m.path+"@"+m.version, func(t *testing.T) { testRealModule(t, m.path, m.version) })
	}
}

func testRealModule(t *testing.T, path, version string) {
	ctx := context.Background()
	env := gotool.Env(os.Environ(), "-mod=mod")
	dir := downloadOrSkip(t, ctx, env, path, version)
	start := time.Now()
	res, err := Build(ctx, Options{ModuleDir: dir, Version: version, OutDir: filepath.Join(t.TempDir(), "art")})
	if err != nil {
		if ce, ok := err.(*CompileError); ok {
			t.Fatalf("%s@%s: %v\n%s", path, version, err, ce.Output)
		}
		t.Fatalf("%s@%s: %v", path, version, err)
	}
	var s struct {
		Packages []struct {
			Functions []struct{ Name string }
			Skipped   []struct{ Name, Reason string }
		}
	}
	if err := json.Unmarshal(res.Manifest.Schema, &s); err != nil {
		t.Fatal(err)
	}
	bridged, skipped := 0, 0
	reasons := map[string]int{}
	for _, p := range s.Packages {
		bridged += len(p.Functions)
		skipped += len(p.Skipped)
		for _, k := range p.Skipped {
			if k.Reason == "" {
				t.Errorf("%s is skipped without a reason", k.Name)
			}
			reasons[reasonKind(k.Reason)]++
		}
	}
	if bridged == 0 {
		t.Errorf("%s@%s: nothing bridged", path, version)
	}
	t.Logf("%s@%s: %d packages, %d bridged, %d skipped, built in %s", path, version, len(s.Packages), bridged, skipped, time.Since(start).Round(time.Second))
	for _, r := range topReasons(reasons, 5) {
		t.Logf("  %5d  %s", reasons[r], r)
	}
}

// downloadOrSkip returns the module's source directory, fetching it into
// the module cache when it is not there; when the go command cannot get it
// (offline, no proxy), the test is skipped with the go command's reason.
func downloadOrSkip(t *testing.T, ctx context.Context, env []string, path, version string) string {
	t.Helper()
	out, err := gotool.Output(ctx, t.TempDir(), env, "mod", "download", "-json", path+"@"+version)
	var dl struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &dl); jerr != nil && err == nil {
		t.Fatalf("go mod download: %v\n%s", jerr, out)
	}
	if err != nil || dl.Error != "" || dl.Dir == "" {
		why := fmt.Sprintf("%s@%s is not in the module cache and cannot be fetched (GOPROXY=%s): %v %s", path, version, envValue(env, "GOPROXY"), err, dl.Error)
		if !unreachable(dl.Error + " " + fmt.Sprint(err)) {
			t.Fatal(why) // reachable, but no such module or version: a wrong pin
		}
		t.Skip(why)
	}
	return dl.Dir
}

// unreachable reports whether a go command error says that the module
// proxy (or the origin behind it) could not be reached, rather than that it
// answered.
func unreachable(msg string) bool {
	for _, sign := range []string{"GOPROXY=off", "GOFLAGS=-mod=vendor", "dial tcp", "lookup ", "no such host", "connection refused", "network is unreachable", "i/o timeout", "TLS handshake", "proxyconnect", "module lookup disabled"} {
		if strings.Contains(msg, sign) {
			return true
		}
	}
	return false
}

// envValue is the last value of key in env, "" when unset.
func envValue(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if strings.HasPrefix(kv, key+"=") {
			v = kv[len(key)+1:]
		}
	}
	return v
}

// reasonKind is a skip reason without the names that lead to it: its last
// clause ("function values are not supported"), with the names it still
// holds replaced by T or dropped, so that a kind of reason is counted once.
func reasonKind(reason string) string {
	if i := strings.LastIndex(reason, ": "); i >= 0 {
		reason = reason[i+2:]
	}
	for _, r := range reasonNames {
		reason = r.re.ReplaceAllString(reason, r.with)
	}
	return reason
}

// reasonNames are the names in the last clause of a skip reason.
var reasonNames = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(` \(ask for one with generics=.*\)$`), ""},
	{regexp.MustCompile(`^generic type .+ is not supported$`), "generic type T is not supported"},
	{regexp.MustCompile(`^type \S+ is `), "type T is "},
	{regexp.MustCompile(`^(map keys must be strings), not .+$`), "$1"},
}

// topReasons are the n most frequent keys of counts, most frequent first.
func topReasons(counts map[string]int, n int) []string {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if counts[keys[i]] != counts[keys[j]] {
			return counts[keys[i]] > counts[keys[j]]
		}
		return keys[i] < keys[j]
	})
	if len(keys) > n {
		keys = keys[:n]
	}
	return keys
}
