package bridge

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
)

// packedBytes builds a packed array (ext type 8, docs/abi.md section 8.10) of kind over the
// little-endian element bytes data, with the header a writer would choose.
func packedBytes(kind byte, data []byte) []byte {
	e := Encoder{}
	e.extHeader(extPacked, 1+len(data))
	return append(append(e.Buf, kind), data...)
}

func le64(xs ...int64) []byte {
	var b []byte
	for _, x := range xs {
		b = binary.LittleEndian.AppendUint64(b, uint64(x))
	}
	return b
}

func roundTrip[T Number](t *testing.T, kind byte, in []T) {
	t.Helper()
	var e Encoder
	EncodePacked(&e, kind, in)
	d := Decoder{buf: e.Buf}
	out, ok, err := DecodePacked[T](&d, kind)
	if err != nil || !ok || d.Remaining() != 0 {
		t.Fatalf("%c: ok %v, err %v, %d bytes left", kind, ok, err, d.Remaining())
	}
	if len(in) == 0 {
		if out == nil || len(out) != 0 {
			t.Fatalf("%c: an empty packed array gives %#v, want an empty slice", kind, out)
		}
		return
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("%c: %v came back as %v", kind, in, out)
	}
}

func TestPackedRoundTripEveryKind(t *testing.T) {
	roundTrip(t, 'b', []int8{math.MinInt8, -1, 0, 1, math.MaxInt8})
	roundTrip(t, 'h', []int16{math.MinInt16, -1, 0, 300, math.MaxInt16})
	roundTrip(t, 'i', []int32{math.MinInt32, -1, 0, 70000, math.MaxInt32})
	roundTrip(t, 'q', []int64{math.MinInt64, -1, 0, 1 << 40, math.MaxInt64})
	roundTrip(t, 'q', []int{math.MinInt64, 5, math.MaxInt64})
	roundTrip(t, 'B', []uint8{0, 1, 255})
	roundTrip(t, 'H', []uint16{0, 1, math.MaxUint16})
	roundTrip(t, 'I', []uint32{0, 1, math.MaxUint32})
	roundTrip(t, 'Q', []uint64{0, 1, math.MaxUint64})
	roundTrip(t, 'Q', []uint{0, math.MaxUint64})
	roundTrip(t, 'f', []float32{0, -1.5, float32(math.Inf(1)), math.MaxFloat32, math.SmallestNonzeroFloat32})
	roundTrip(t, 'd', []float64{0, math.Copysign(0, -1), math.Pi, math.Inf(-1), math.SmallestNonzeroFloat64})
	roundTrip(t, 'd', []float64{})
	type celsius float64 // a named element type travels as its underlying one
	roundTrip(t, 'd', []celsius{-40, 36.6})
}

func TestPackedNaNKeepsItsBits(t *testing.T) {
	nan := math.Float64frombits(0x7ff8000000000123)
	var e Encoder
	EncodePacked(&e, 'd', []float64{nan})
	d := Decoder{buf: e.Buf}
	out, _, err := DecodePacked[float64](&d, 'd')
	if err != nil || math.Float64bits(out[0]) != 0x7ff8000000000123 {
		t.Fatalf("NaN payload lost: %x, %v", math.Float64bits(out[0]), err)
	}
}

// The bytes on the wire are the canonical ones of docs/abi.md section 8.10: the shortest ext
// header, the kind byte, little-endian elements.
func TestPackedWireBytes(t *testing.T) {
	cases := []struct {
		kind byte
		enc  func(e *Encoder)
		want string
	}{
		{'q', func(e *Encoder) { EncodePacked(e, 'q', []int64{1, -2}) },
			"c7 11 08 71 01 00 00 00 00 00 00 00 fe ff ff ff ff ff ff ff"},
		{'q', func(e *Encoder) { EncodePacked(e, 'q', []int64(nil)) }, "d4 08 71"},
		{'B', func(e *Encoder) { EncodePacked(e, 'B', []uint8{7}) }, "d5 08 42 07"},
		{'i', func(e *Encoder) { EncodePacked(e, 'i', []int32{-1}) }, "c7 05 08 69 ff ff ff ff"},
		{'b', func(e *Encoder) { EncodePacked(e, 'b', []int8{1, 2, 3}) }, "d6 08 62 01 02 03"},
		{'d', func(e *Encoder) { EncodePacked(e, 'd', []float64{1.5}) },
			"c7 09 08 64 00 00 00 00 00 00 f8 3f"},
	}
	for _, c := range cases {
		var e Encoder
		c.enc(&e)
		if got := fmt.Sprintf("% x", e.Buf); got != c.want {
			t.Errorf("%c: got %s, want %s", c.kind, got, c.want)
		}
	}
	// 255 payload bytes still take ext 8, 256 ext 16.
	var e Encoder
	EncodePacked(&e, 'b', make([]int8, 255))
	if e.Buf[0] != mExt16 || binary.BigEndian.Uint16(e.Buf[1:]) != 256 {
		t.Fatalf("header % x", e.Buf[:4])
	}
}

func TestPackedRefusals(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		want string
	}{
		{"kind mismatch", packedBytes('d', le64(1)), "a packed array of float64 where []int64 is expected"},
		{"int32 for int64", packedBytes('i', []byte{1, 0, 0, 0}), "a packed array of int32 where []int64 is expected"},
		{"unsigned for signed", packedBytes('Q', le64(1)), "a packed array of uint64 where []int64 is expected"},
		{"no kind byte", hexBytes("c7 00 08"), "malformed packed array (ext type 8): no kind byte"},
		{"unknown kind", packedBytes('x', le64(1)), "malformed packed array (ext type 8): unknown kind byte 0x78"},
		{"ragged", packedBytes('q', []byte{1, 2, 3}), "malformed packed array (ext type 8): 3 bytes of int64 is not a whole number of 8-byte elements"},
		{"truncated", hexBytes("c7 09 08 71 01"), "unexpected end of input"},
	}
	for _, c := range cases {
		d := Decoder{buf: c.in}
		_, _, err := DecodePacked[int64](&d, 'q')
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
	// Anything that is not ext 8 is left for the array decoder, untouched.
	for _, in := range [][]byte{hexBytes("92 01 02"), hexBytes("c0"), hexBytes("d4 01 02"), {}} {
		d := Decoder{buf: in}
		if _, ok, err := DecodePacked[int64](&d, 'q'); ok || err != nil || d.Offset() != 0 {
			t.Errorf("% x: ok %v, err %v, offset %d", in, ok, err, d.Offset())
		}
	}
}

func TestServePackedArgumentAndOp6(t *testing.T) {
	b := newTestBridge()
	id := testIDs["Cumsum"]
	withArg := func(op byte, arg []byte) []byte {
		req := append(hexBytes("94 01"), op, byte(id), 0x91)
		return append(req, arg...)
	}
	// A packed argument, an array reply (op 0): the array form is unchanged.
	r := handle(t, b, withArg(0, packedBytes('q', le64(1, 2, 3))))
	if r.status != 0 || !reflect.DeepEqual(r.ok, []any{int64(1), int64(3), int64(6)}) {
		t.Fatalf("op 0: %v", r)
	}
	// Op 6: the same call, its []int64 result packed; an array argument still decodes.
	for _, arg := range [][]byte{packedBytes('q', le64(1, 2, 3)), hexBytes("93 01 02 03")} {
		out, release := b.Handle(withArg(opCallPacked, arg))
		want := append(hexBytes("92 00"), packedBytes('q', le64(1, 3, 6))...)
		if !bytes.Equal(out, want) {
			t.Fatalf("op 6: % x, want % x", out, want)
		}
		release()
	}
	// A kind mismatch is bad_argument naming both.
	r = handle(t, b, withArg(0, packedBytes('d', le64(1))))
	if r.kind != "bad_argument" || !strings.Contains(r.message, "a packed array of float64 where []int64 is expected") {
		t.Fatalf("mismatch: %v", r)
	}
	// Op 6 with another op's meaning is not mixed up: releasing still needs op 2.
	if r := handle(t, b, encodeRequest(1, opCallPacked, 9999)); r.kind != "unknown_symbol" {
		t.Fatalf("op 6 of an unknown id: %v", r)
	}
}

func TestOutSlotPackedStaysPacked(t *testing.T) {
	var outs Outs
	slot := func(init []byte) []byte {
		var p Encoder
		p.ListLen(2)
		p.String("[]int64")
		p.Buf = append(p.Buf, init...)
		var e Encoder
		e.extHeader(extOut, len(p.Buf))
		return append(e.Buf, p.Buf...)
	}
	dec := func(d *Decoder) ([]int64, error) {
		s, ok, err := DecodePacked[int64](d, 'q')
		if ok || err != nil {
			return s, err
		}
		n, _, err := d.ListLen()
		if err != nil {
			return nil, err
		}
		s = make([]int64, n)
		for i := range s {
			if s[i], err = d.Int(64); err != nil {
				return nil, err
			}
		}
		return s, nil
	}
	enc := func(e *Encoder, s []int64, _ int) error {
		e.ListLen(len(s))
		for _, x := range s {
			e.Int(x)
		}
		return nil
	}
	for _, c := range []struct {
		init, final []byte
	}{
		{packedBytes('q', le64(5, 6)), packedBytes('q', le64(50, 6))},
		{packedBytes('q', le64(50, 6)), hexBytes("c0")}, // unchanged: nil
		{hexBytes("92 05 06"), hexBytes("92 32 06")},
	} {
		outs = Outs{}
		d := Decoder{buf: slot(c.init)}
		s, err := DecodeSliceArg(&d, &outs, 0, "[]int64", 'q', dec, enc)
		if err != nil {
			t.Fatal(err)
		}
		s[0] = 50
		var e Encoder
		if err := outs.list[0].enc(&e, 3); err != nil || !bytes.Equal(e.Buf, c.final) {
			t.Fatalf("final value % x (%v), want % x", e.Buf, err, c.final)
		}
	}
}
