package usegolib

import (
	"slices"
	"strings"
	"testing"
)

// The packages the builder warms are the bridge runtime's own imports and
// runtime/cgo: standard-library paths only, sorted, without C or unsafe.
func TestBridgeImports(t *testing.T) {
	got := BridgeImports()
	if !slices.IsSorted(got) {
		t.Fatalf("not sorted: %v", got)
	}
	for _, want := range []string{"runtime/cgo", "encoding/binary", "reflect"} {
		if !slices.Contains(got, want) {
			t.Errorf("missing %s in %v", want, got)
		}
	}
	for _, p := range got {
		if p == "C" || p == "unsafe" || p == "testing" || strings.Contains(strings.SplitN(p, "/", 2)[0], ".") {
			t.Errorf("%s should not be warmed (%v)", p, got)
		}
	}
}
