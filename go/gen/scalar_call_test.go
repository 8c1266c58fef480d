package gen

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/usegolib/usegolib/go/internal/gotool"
	"github.com/usegolib/usegolib/go/scan"
)

// An int or uint argument word is checked against int's width on the target (bridge.IntBits),
// as int8..int32 are against theirs: on a 32-bit GOARCH a word over 32 bits is refused, not
// truncated by the conversion.
func TestScalarArgChecksIntWidth(t *testing.T) {
	for canon, call := range map[string]string{
		"int":  "bridge.ArgInt(w[1], bridge.IntBits)",
		"uint": "bridge.ArgUint(w[1], bridge.IntBits)",
	} {
		got := scalarArg(canon, 1, "a1", false, argErr1)
		if !strings.Contains(got, "v1, err := "+call) || !strings.Contains(got, "return nil, bridge.ArgError(1, err)") ||
			!strings.HasSuffix(got, "a1 := "+canon+"(v1)") {
			t.Errorf("scalarArg(%q) = %q, want a checked %s", canon, got, call)
		}
	}
	// The 64-bit types need no check: every word is one of their values.
	for _, canon := range []string{"int64", "uint64"} {
		if got, want := scalarArg(canon, 0, "a0", false, argErr1), "a0 := "+canon+"(w[0])"; got != want {
			t.Errorf("scalarArg(%q) = %q, want %q", canon, got, want)
		}
	}
}

func argErr1(err string) string { return "bridge.ArgError(1, " + err + ")" }

// Which entries of testdata/flat have a scalar form (docs/abi.md section 8.13): flat records by
// value and strings, at most 8 words each way; and the words a record takes, in the schema's
// field order.
func TestScalarRecordsAndStrings(t *testing.T) {
	_, res := scanTestdata(t, "flat")
	var got []string
	for f := range scalarIndices(res) {
		got = append(got, f.Name)
	}
	slices.Sort(got)
	// Point has methods, so it is a handle type whose record form travels by value: its
	// methods on the record form (Point.Fields.M) and on the Go object have a scalar form.
	for _, name := range []string{"Concat", "EchoEdges", "EchoEmpty", "EchoPoint", "Eight", "Point.Fields.Retag", "Point.Fields.Sum", "Point.Sum", "Point.Tag.__get__"} {
		if !slices.Contains(got, name) {
			t.Errorf("%s has no scalar form (those with one: %v)", name, got)
		}
	}
	for _, name := range []string{"EchoNamed", "EchoEmbeds", "EchoNested", "EchoList", "EchoPtr", "ByPointer", "EchoWide", "Nine", "Embeds.Fields.Sum"} {
		if slices.Contains(got, name) {
			t.Errorf("%s has a scalar form", name)
		}
	}
	for _, p := range res.Packages {
		for _, f := range p.Funcs {
			if f.Name != "EchoEdges" && f.Name != "EchoPoint" {
				continue
			}
			slots, ok := scalarSlots(&f.Params[0].Type, res.Types)
			var canons, keys []string
			for _, s := range slots {
				canons = append(canons, s.canon)
				keys = append(keys, s.field.Key)
			}
			var schemaKeys []string
			for _, fd := range res.Types[f.Params[0].Type.Key].Fields {
				schemaKeys = append(schemaKeys, fd.Key)
			}
			if !ok || !slices.Equal(keys, schemaKeys) {
				t.Errorf("%s: slots %v, want the schema's fields %v", f.Name, keys, schemaKeys)
			}
			if f.Name == "EchoPoint" && (scalarWordCount(slots) != 4 || !slices.Equal(canons, []string{"float64", "float64", "string"})) {
				t.Errorf("EchoPoint: %v, %d words", canons, scalarWordCount(slots))
			}
		}
	}
}

// A flat record parameter the compiler proves is not kept has its string fields read in place
// (bridge.ArgStringView), one it keeps copies them (tests/fixtures/go/inplace, scanned with the
// escape analysis as the builder scans it; docs/abi.md sections 8.12 and 8.13).
func TestScalarRecordStringsInPlace(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("..", "..", "tests", "fixtures", "go", "inplace"))
	if err != nil {
		t.Fatal(err)
	}
	tg := Target{Path: "example.com/inplace", Version: LocalVersion, Dir: dir, GoVersion: "1.22"}
	work := t.TempDir()
	if err := WriteModule(work, tg); err != nil {
		t.Fatal(err)
	}
	res, err := scan.Scan(context.Background(), scan.Config{
		Dir: work, Module: tg.Path, Env: gotool.Env(os.Environ(), os.Getenv("GOFLAGS")),
		BuildFlags: []string{"-buildmode=c-shared", "-trimpath", scan.EscapeFlag(tg.Path)}, Escape: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	files, err := Files(tg, res)
	if err != nil {
		t.Fatal(err)
	}
	var main string
	for _, f := range files {
		if f.Name == "main.go" {
			main = string(f.Data)
		}
	}
	caseOf := func(name string) string {
		_, after, ok := strings.Cut(main, ": // "+name+"\n")
		if !ok {
			t.Fatalf("no scalar case for %s", name)
		}
		body, _, _ := strings.Cut(after, "\n\tcase ")
		return body
	}
	for name, view := range map[string]bool{"EchoTagged": true, "TagLen": true, "KeepTagged": false} {
		if got := strings.Contains(caseOf(name), "bridge.ArgStringView(w[1], w[2])"); got != view {
			t.Errorf("%s: the Tag read in place %v, want %v:\n%s", name, got, view, caseOf(name))
		}
	}
}
