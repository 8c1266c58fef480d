package gen

import (
	"strings"
	"testing"
)

// An int or uint argument word is checked against int's width on the target (bridge.IntBits),
// as int8..int32 are against theirs: on a 32-bit GOARCH a word over 32 bits is refused, not
// truncated by the conversion.
func TestScalarArgChecksIntWidth(t *testing.T) {
	for canon, call := range map[string]string{
		"int":  "bridge.ArgInt(w[1], bridge.IntBits)",
		"uint": "bridge.ArgUint(w[1], bridge.IntBits)",
	} {
		got := scalarArg(canon, 1)
		if !strings.Contains(got, "v1, err := "+call) || !strings.Contains(got, "return bridge.ArgError(1, err)") ||
			!strings.HasSuffix(got, "a1 := "+canon+"(v1)") {
			t.Errorf("scalarArg(%q) = %q, want a checked %s", canon, got, call)
		}
	}
	// The 64-bit types need no check: every word is one of their values.
	for _, canon := range []string{"int64", "uint64"} {
		if got, want := scalarArg(canon, 0), "a0 := "+canon+"(w[0])"; got != want {
			t.Errorf("scalarArg(%q) = %q, want %q", canon, got, want)
		}
	}
}
