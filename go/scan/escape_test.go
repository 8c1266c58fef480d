package scan

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usegolib/usegolib/go/internal/gotool"
)

// inplaceConfig is the scan of tests/fixtures/go/inplace as the builder makes it: with the
// final build's flags and the escape analysis of the module's packages (docs/adr/0034).
func inplaceConfig(t *testing.T) (Config, string) {
	cfg, dir := fixtureConfig(t, "inplace")
	cfg.BuildFlags = []string{"-buildmode=c-shared", "-trimpath", EscapeFlag(cfg.Module)}
	cfg.Escape = true
	return cfg, dir
}

// The parameters marked in place are exactly those the compiler itself, run by go build
// -gcflags=-m on the fixture, says do not escape (or leak only to a result the bridge copies).
func TestEscapeFactsAreTheCompilers(t *testing.T) {
	cfg, dir := inplaceConfig(t)
	// What the compiler says, from a plain go build in the fixture's own directory.
	cmd := exec.Command(gotool.Binary(cfg.Env), "build", "-gcflags=-m", "-o", os.DevNull, ".")
	cmd.Dir, cmd.Env = dir, cfg.Env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-m: %v\n%s", err, out)
	}
	compiler := parseEscape(out)
	says := func(name, file string, line, col int) string {
		return strings.Join(compiler[escapeKey{pkg: "example.com/inplace", file: file, line: line, col: col}], "; ")
	}
	// Spot checks of the parser on the real output.
	src, err := os.ReadFile(filepath.Join(dir, "inplace.go"))
	if err != nil {
		t.Fatal(err)
	}
	pos := func(decl, param string) (int, int) { // line and column of param in the line holding decl
		for i, l := range strings.Split(string(src), "\n") {
			if strings.HasPrefix(l, decl) {
				return i + 1, strings.Index(l, param+" ") + 1
			}
		}
		t.Fatalf("no line %q in the fixture", decl)
		return 0, 0
	}
	for _, c := range []struct{ decl, param, want string }{
		{"func Sum(", "xs", "xs does not escape"},
		{"func Echo(", "b", "leaking param: b to result ~r0 level=0"},
		{"func Keep(", "b", "leaking param: b"},
		{"func Send(", "xs", "leaking param: xs"},
		{"func KeepString(", "s", "leaking param: s"},
		{"func ApplyF(", "f", "f does not escape"},
		{"func ReturnF(", "f", "leaking param: f to result ~r0 level=0"},
		{"func GoF(", "f", "leaking param: f"},
	} {
		line, col := pos(c.decl, c.param)
		if got := says(c.param, "inplace.go", line, col); got != c.want {
			t.Errorf("%s %s at %d:%d: the compiler says %q, want %q", c.decl, c.param, line, col, got, c.want)
		}
	}

	res, err := Scan(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{ // entry.param -> in place
		"Sum.xs": true, "SumF.xs": true, "SumI32.xs": true, "Echo.b": true, "Upper.b": true,
		"Double.xs": true, "Append.xs": true, "Box.Len.b": true, "Later.xs": true, "LaterBytes.b": true,
		"Keep.b": false, "KeepNums.xs": false, "Wrap.b": false, "Send.xs": false, "Fail.b": false,
		"Count.s": true, "Count.sub": true, "Trim.s": true, "KeepString.s": false,
		// Records of numbers and strings (docs/abi.md section 8.13), and a string flowing to one.
		"EchoTagged.t": true, "TagLen.t": true, "KeepTagged.t": false, "LabelCount.l": false,
		"ToTagged.s": true,
		// Func parameters (docs/abi.md section 10.9): lent only when they do not escape at
		// all; one flowing to a result is kept as a Go object.
		"ApplyF.f": true, "SortBy.less": true, "SortBy.xs": true, "KeepF.f": false, "ReturnF.f": false,
		"GoF.f": false, "Later.f": true, "LaterBytes.f": true, "Compose.f": true, "Compose.g": true,
		"Sign.f": true, "ApplyLevel.f": true, "Box.Times.f": true,
	}
	seen := 0
	for _, p := range res.Packages {
		for _, f := range p.Funcs {
			for _, v := range f.Params {
				key := f.Name + "." + v.Name
				w, ok := want[key]
				if !ok {
					if v.InPlace {
						t.Errorf("%s is in place, not expected", key)
					}
					continue
				}
				seen++
				if v.InPlace != w {
					t.Errorf("%s: InPlace = %v, want %v", key, v.InPlace, w)
				}
			}
		}
	}
	if seen != len(want) {
		t.Errorf("saw %d of the %d parameters expected", seen, len(want))
	}

	// Without the escape analysis nothing is in place: no facts means a copy.
	cfg.BuildFlags, cfg.Escape = []string{"-buildmode=c-shared", "-trimpath"}, false
	plain, err := Scan(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plain.Packages {
		for _, f := range p.Funcs {
			for _, v := range f.Params {
				if v.InPlace {
					t.Errorf("%s.%s is in place without escape facts", f.Name, v.Name)
				}
			}
		}
	}
}

// A message the parser does not know, or none, is never a proof.
func TestParamNotKept(t *testing.T) {
	for _, c := range []struct {
		msgs         []string
		ok, toResult bool
	}{
		{[]string{"b does not escape"}, true, false},
		{[]string{"leaking param: b to result ~r0 level=0"}, true, true},
		{[]string{"leaking param: b to result ~r0 level=1"}, false, false},
		{[]string{"leaking param: b"}, false, false},
		{[]string{"leaking param content: b"}, false, false},
		{[]string{"b does not escape", "leaking param: b"}, false, false},
		{[]string{"bb does not escape"}, false, false},
		{[]string{"moved to heap: b"}, false, false},
		{nil, false, false},
	} {
		ok, toResult := paramNotKept(c.msgs, "b")
		if ok != c.ok || toResult != c.toResult {
			t.Errorf("%q: (%v, %v), want (%v, %v)", c.msgs, ok, toResult, c.ok, c.toResult)
		}
	}
	facts := parseEscape([]byte("# example.com/m\n./m.go:3:8: b does not escape\n# example.com/m/sub\nsub/s.go:4:9: leaking param: x\nnot a diagnostic\n"))
	if got := facts[escapeKey{"example.com/m", "m.go", 3, 8}]; len(got) != 1 || got[0] != "b does not escape" {
		t.Errorf("m.go:3:8: %q", got)
	}
	if got := facts[escapeKey{"example.com/m/sub", "s.go", 4, 9}]; len(got) != 1 || got[0] != "leaking param: x" {
		t.Errorf("sub/s.go:4:9: %q", got)
	}
}
