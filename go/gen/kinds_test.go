package gen

import (
	"testing"

	"github.com/usegolib/usegolib/go/scan"
)

// TestEveryKindHasAUnit: a scan.Kind without a registered unit would reach
// generated code only as a panic in the middle of a build.
func TestEveryKindHasAUnit(t *testing.T) {
	for _, k := range scan.Kinds() {
		if _, ok := units[k]; !ok {
			t.Errorf("scan.%s has no kind unit: register one in its kind_<name>.go", k)
		}
	}
	if len(units) != len(scan.Kinds()) {
		t.Errorf("units has %d entries for %d kinds", len(units), len(scan.Kinds()))
	}
	defer func() {
		if recover() == nil {
			t.Error("unitOf of an unknown kind did not panic")
		}
	}()
	unitOf(scan.Kind(len(scan.Kinds())))
}
