package bridge

import (
	"fmt"
	"io"
	"strings"
	"testing"
)

// DecodeReader (docs/abi.md section 8.1, wire type reader): bytes, a handle, nil.

func TestDecodeReader(t *testing.T) {
	src := strings.NewReader("from a handle")
	id := handles.Put(src)
	other := handles.Put(&testCounter{})
	defer handles.Release(id)
	defer handles.Release(other)
	var e Encoder
	e.Bytes([]byte("from bytes"))
	e.Handle(id)
	e.Nil()
	e.Handle(other)
	e.Int(1)
	d := NewDecoder(e.Buf)
	if r, err := DecodeReader(d); err != nil || fmt.Sprintf("%T", r) != "*bytes.Reader" || readAll(t, r) != "from bytes" {
		t.Errorf("DecodeReader(bin) = %T, %v", r, err)
	}
	if r, err := DecodeReader(d); err != nil || r != io.Reader(src) {
		t.Errorf("DecodeReader(handle) = %v, %v", r, err)
	}
	if r, err := DecodeReader(d); err != nil || r != nil {
		t.Errorf("DecodeReader(nil) = %v, %v", r, err)
	}
	want := fmt.Sprintf("handle %d holds a *bridge.testCounter, not a io.Reader", other)
	if _, err := DecodeReader(d); err == nil || err.Error() != want {
		t.Errorf("DecodeReader(not a reader): %v, want %q", err, want)
	}
	if _, err := DecodeReader(d); err == nil {
		t.Error("DecodeReader(int): no error")
	}
}

func readAll(t *testing.T, r io.Reader) string {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
