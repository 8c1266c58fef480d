package bridge

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeValue(t *testing.T) {
	cases := []struct {
		in   string
		want any
	}{
		{"c0", nil},
		{"c2", false},
		{"c3", true},
		{"05", int64(5)},
		{"ff", int64(-1)},
		{"cc 80", int64(128)},
		{"d0 01", int64(1)},
		{"cf 7f ff ff ff ff ff ff ff", int64(math.MaxInt64)},
		{"cf 80 00 00 00 00 00 00 00", uint64(math.MaxInt64) + 1},
		{"cf ff ff ff ff ff ff ff ff", uint64(math.MaxUint64)},
		{"d3 80 00 00 00 00 00 00 00", int64(math.MinInt64)},
		{"ca 3f c0 00 00", float32(1.5)},
		{"cb 3f f8 00 00 00 00 00 00", 1.5},
		{"a2 ff 61", "\xffa"},
		{"c4 01 ff", []byte{0xff}},
		{"c4 00", []byte{}},
		{"90", []any{}},
		{"92 01 a1 78", []any{int64(1), "x"}},
		{"91 91 c0", []any{[]any{nil}}},
		{"80", map[string]any{}},
		{"82 a1 62 02 a1 61 01", map[string]any{"a": int64(1), "b": int64(2)}},
	}
	for _, c := range cases {
		d := NewDecoder(hexBytes(c.in))
		got, err := d.Value()
		if err != nil || !reflect.DeepEqual(got, c.want) || d.Remaining() != 0 {
			t.Errorf("Value of %s = %#v, %v; want %#v", c.in, got, err, c.want)
		}
	}
	errs := []struct{ in, want string }{
		{"d4 01 02", "unsupported type ext"},
		{"c7 00 01", "unsupported type ext"},
		{"c1", "unsupported type invalid marker 0xc1"},
		{"91 d4 01 02", "element 0: unsupported type ext"},
		{"81 01 02", "map key 0: expected string, got int"},
		{"82 a1 61 01 a1 61 02", `duplicate map key "a"`},
		{"92 01", "array of 2 elements is longer than the 1 bytes that remain"},
		{"91", "array of 1 elements is longer than the 0 bytes that remain"},
	}
	for _, c := range errs {
		_, err := NewDecoder(hexBytes(c.in)).Value()
		if err == nil || err.Error() != c.want {
			t.Errorf("Value of %s: error %v, want %q", c.in, err, c.want)
		}
	}
}

func TestValueDepth(t *testing.T) {
	nested := func(n int) []byte { return append(bytes.Repeat([]byte{0x91}, n), 0xc0) }
	if _, err := NewDecoder(nested(MaxDepth)).Value(); err != nil {
		t.Errorf("depth %d: %v", MaxDepth, err)
	}
	_, err := NewDecoder(nested(MaxDepth + 1)).Value()
	if err == nil || !strings.Contains(err.Error(), "nesting deeper than 64") {
		t.Errorf("depth %d: %v", MaxDepth+1, err)
	}
	var v any
	for i := 0; i < MaxDepth+1; i++ {
		v = []any{v}
	}
	var e Encoder
	if err := e.Value(v); err == nil {
		t.Error("Encoder.Value accepted nesting deeper than MaxDepth")
	}
	cyclic := []any{nil}
	cyclic[0] = cyclic
	if err := e.Value(cyclic); err == nil {
		t.Error("Encoder.Value accepted a cycle")
	}
}

func TestEncodeValue(t *testing.T) {
	cases := []struct {
		v    any
		want string
	}{
		{nil, "c0"},
		{true, "c3"},
		{int8(-1), "ff"},
		{int16(-129), "d1 ff 7f"},
		{int32(70000), "ce 00 01 11 70"},
		{int(1), "01"},
		{uint(200), "cc c8"},
		{uint8(1), "01"},
		{uint16(256), "cd 01 00"},
		{uint32(1), "01"},
		{uint64(math.MaxUint64), "cf ff ff ff ff ff ff ff ff"},
		{float32(1.5), "ca 3f c0 00 00"},
		{1.5, "cb 3f f8 00 00 00 00 00 00"},
		{"ab", "a2 61 62"},
		{[]byte(nil), "c4 00"},
		{[]string{"a"}, "91 a1 61"},
		{[]int64{1, -1}, "92 01 ff"},
		{[]any{nil, "x"}, "92 c0 a1 78"},
		{map[string]any{"b": 2, "a": 1, "A": 0}, "83 a1 41 00 a1 61 01 a1 62 02"},
	}
	for _, c := range cases {
		var e Encoder
		if err := e.Value(c.v); err != nil || !bytes.Equal(e.Buf, hexBytes(c.want)) {
			t.Errorf("Value(%#v) = % x, %v; want %s", c.v, e.Buf, err, c.want)
		}
	}
	var e Encoder
	if err := e.Value(struct{}{}); err == nil || err.Error() != "unsupported type struct {}" {
		t.Errorf("Value(struct{}{}): %v", err)
	}
	if err := e.Value([]any{1, uintptr(1)}); err == nil || err.Error() != "element 1: unsupported type uintptr" {
		t.Errorf("Value([]any{1, uintptr(1)}): %v", err)
	}
}
