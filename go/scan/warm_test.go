package scan

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// The builder's scan lists with the final build's flags and also compiles
// the bridge runtime's packages (docs/adr/0028): the result is exactly the
// plain scan's, and the warmed packages are not scanned.
func TestScanWarmSameResult(t *testing.T) {
	cfg := level3Config(t)
	plain, err := Scan(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.BuildFlags = []string{"-buildmode=c-shared", "-trimpath"}
	cfg.Warm = []string{"encoding/binary", "runtime/cgo", "example.com/level3"}
	warm, err := Scan(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(plain)
	b, _ := json.Marshal(warm)
	if string(a) != string(b) {
		t.Errorf("a warmed scan differs from the plain one:\n%s\n%s", a, b)
	}
	for _, p := range warm.Packages {
		if !strings.HasPrefix(p.Path, "example.com/level3") {
			t.Errorf("warmed package %s was scanned", p.Path)
		}
	}

	cfg.Warm = []string{"-toolexec=x"}
	if _, err := Scan(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "Warm takes exact import paths") {
		t.Errorf("a flag as a Warm path: err = %v", err)
	}
}
