package builder

import (
	"bytes"
	"testing"
)

// go build -v output arrives in chunks that split lines anywhere: each whole line is written
// once, after the prefix, and a last line without a newline on flush.
func TestPrefixLines(t *testing.T) {
	var out bytes.Buffer
	w := &prefixLines{w: &out, prefix: "usegolib-build: go: "}
	for _, chunk := range []string{"example.com/m\nusegolib_", "bridge\n", "", "tail"} {
		if n, err := w.Write([]byte(chunk)); n != len(chunk) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", chunk, n, err)
		}
	}
	w.flush()
	want := "usegolib-build: go: example.com/m\nusegolib-build: go: usegolib_bridge\nusegolib-build: go: tail\n"
	if out.String() != want {
		t.Fatalf("got %q, want %q", out.String(), want)
	}
}
