package gotool

import (
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
