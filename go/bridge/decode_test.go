package bridge

import (
	"bytes"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// enc encodes one value with the Encoder, for test inputs.
func enc(v any) []byte {
	var e Encoder
	if err := e.Value(v); err != nil {
		panic(err)
	}
	return e.Buf
}

// decodeAll runs fn on a Decoder over b and checks that it consumed exactly b on success.
func decodeAll[T any](t *testing.T, b []byte, fn func(*Decoder) (T, error)) (T, error) {
	t.Helper()
	d := NewDecoder(b)
	v, err := fn(d)
	if err == nil && d.Remaining() != 0 {
		t.Errorf("% x: %d bytes left after decoding %v", b, d.Remaining(), v)
	}
	return v, err
}

func TestIntWidths(t *testing.T) {
	for _, bits := range []int{8, 16, 32, 64} {
		name, lo, hi := intRange(bits)
		d := func(b []byte) (int64, error) {
			return decodeAll(t, b, func(d *Decoder) (int64, error) { return d.Int(bits) })
		}
		for _, v := range []int64{lo, lo + 1, -1, 0, 1, hi - 1, hi} {
			if got, err := d(enc(v)); err != nil || got != v {
				t.Errorf("%s: Int(%d) = %d, %v", name, v, got, err)
			}
		}
		var under, over []byte
		var underText, overText string
		if bits < 64 {
			under, over = enc(lo-1), enc(hi+1)
			underText = big.NewInt(lo - 1).String()
			overText = big.NewInt(hi + 1).String()
		} else {
			// No MessagePack int is below -2^63; 2^63 is the first value above int64.
			over, overText = enc(uint64(math.MaxInt64)+1), "9223372036854775808"
		}
		rng := " [" + big.NewInt(lo).String() + ", " + big.NewInt(hi).String() + "]"
		if under != nil {
			_, err := d(under)
			if want := "value " + underText + " is out of range for " + name + rng; err == nil || err.Error() != want {
				t.Errorf("%s: min-1 error %v, want %q", name, err, want)
			}
		}
		_, err := d(over)
		if want := "value " + overText + " is out of range for " + name + rng; err == nil || err.Error() != want {
			t.Errorf("%s: max+1 error %v, want %q", name, err, want)
		}
		if _, err := d(enc(uint64(math.MaxUint64))); err == nil {
			t.Errorf("%s: accepted 2^64-1", name)
		}
	}
	// The brief's example text, exactly.
	_, err := NewDecoder(enc(128)).Int(8)
	if err == nil || err.Error() != "value 128 is out of range for int8 [-128, 127]" {
		t.Errorf("Int(8) of 128: %v", err)
	}
}

func TestUintWidths(t *testing.T) {
	for _, bits := range []int{8, 16, 32, 64} {
		name, hi := uintRange(bits)
		d := func(b []byte) (uint64, error) {
			return decodeAll(t, b, func(d *Decoder) (uint64, error) { return d.Uint(bits) })
		}
		for _, v := range []uint64{0, 1, hi - 1, hi} {
			if got, err := d(enc(v)); err != nil || got != v {
				t.Errorf("%s: Uint(%d) = %d, %v", name, v, got, err)
			}
		}
		rng := " [0, " + new(big.Int).SetUint64(hi).String() + "]"
		_, err := d(enc(-1))
		if want := "value -1 is out of range for " + name + rng; err == nil || err.Error() != want {
			t.Errorf("%s: -1 error %v, want %q", name, err, want)
		}
		if _, err := d(enc(int64(math.MinInt64))); err == nil {
			t.Errorf("%s: accepted -2^63", name)
		}
		if bits < 64 {
			_, err := d(enc(hi + 1))
			want := "value " + new(big.Int).SetUint64(hi+1).String() + " is out of range for " + name + rng
			if err == nil || err.Error() != want {
				t.Errorf("%s: max+1 error %v, want %q", name, err, want)
			}
		}
	}
	_, err := NewDecoder(enc(-1)).Uint(16)
	if err == nil || err.Error() != "value -1 is out of range for uint16 [0, 65535]" {
		t.Errorf("Uint(16) of -1: %v", err)
	}
}

func TestIntNonCanonical(t *testing.T) {
	cases := []struct {
		in   string
		want int64
	}{
		{"cc 01", 1}, {"cd 00 01", 1}, {"ce 00 00 00 01", 1}, {"cf 00 00 00 00 00 00 00 01", 1},
		{"d0 01", 1}, {"d1 00 01", 1}, {"d2 00 00 00 01", 1}, {"d3 00 00 00 00 00 00 00 01", 1},
		{"d0 ff", -1}, {"d1 ff ff", -1}, {"d2 ff ff ff ff", -1}, {"d3 ff ff ff ff ff ff ff ff", -1},
		{"d0 7f", 127}, {"d1 ff 80", -128}, {"cc 00", 0}, {"d3 80 00 00 00 00 00 00 00", math.MinInt64},
		{"cf 7f ff ff ff ff ff ff ff", math.MaxInt64}, {"e0", -32}, {"7f", 127},
	}
	for _, c := range cases {
		got, err := decodeAll(t, hexBytes(c.in), func(d *Decoder) (int64, error) { return d.Int(64) })
		if err != nil || got != c.want {
			t.Errorf("Int(64) of %s = %d, %v; want %d", c.in, got, err, c.want)
		}
		if c.want >= 0 {
			got, err := decodeAll(t, hexBytes(c.in), func(d *Decoder) (uint64, error) { return d.Uint(64) })
			if err != nil || got != uint64(c.want) {
				t.Errorf("Uint(64) of %s = %d, %v; want %d", c.in, got, err, c.want)
			}
		}
		if c.want >= -128 && c.want <= 127 {
			got, err := decodeAll(t, hexBytes(c.in), func(d *Decoder) (int64, error) { return d.Int(8) })
			if err != nil || got != c.want {
				t.Errorf("Int(8) of %s = %d, %v; want %d", c.in, got, err, c.want)
			}
		}
	}
}

func TestTypeMismatch(t *testing.T) {
	cases := []struct {
		in   string
		fn   func(*Decoder) error
		want string
	}{
		{"a1 61", func(d *Decoder) error { _, err := d.Int(8); return err }, "expected int8, got string"},
		{"c3", func(d *Decoder) error { _, err := d.Int(64); return err }, "expected int64, got bool"},
		{"cb 3f f0 00 00 00 00 00 00", func(d *Decoder) error { _, err := d.Int(32); return err }, "expected int32, got float64"},
		{"ca 3f 80 00 00", func(d *Decoder) error { _, err := d.Uint(8); return err }, "expected uint8, got float32"},
		{"c0", func(d *Decoder) error { _, err := d.Uint(16); return err }, "expected uint16, got nil"},
		{"01", func(d *Decoder) error { _, err := d.Bool(); return err }, "expected bool, got int"},
		{"00", func(d *Decoder) error { _, err := d.Bool(); return err }, "expected bool, got int"},
		{"c2", func(d *Decoder) error { _, err := d.Float64(); return err }, "expected float64, got bool"},
		{"a0", func(d *Decoder) error { _, err := d.Float32(); return err }, "expected float32, got string"},
		{"c4 00", func(d *Decoder) error { _, err := d.String(); return err }, "expected string, got bytes"},
		{"c0", func(d *Decoder) error { _, err := d.String(); return err }, "expected string, got nil"},
		{"a0", func(d *Decoder) error { _, err := d.Bytes(); return err }, "expected bytes, got string"},
		{"90", func(d *Decoder) error { _, err := d.Bytes(); return err }, "expected bytes, got array"},
		{"c4 00", func(d *Decoder) error { _, _, err := d.ListLen(); return err }, "expected array, got bytes"},
		{"80", func(d *Decoder) error { _, _, err := d.ListLen(); return err }, "expected array, got map"},
		{"d4 01 02", func(d *Decoder) error { _, err := d.Int(64); return err }, "expected int64, got ext"},
		{"90", func(d *Decoder) error { _, _, err := d.MapLen(); return err }, "expected map, got array"},
		{"", func(d *Decoder) error { _, err := d.Int(64); return err }, "unexpected end of input"},
		{"", func(d *Decoder) error { _, err := d.Bool(); return err }, "unexpected end of input"},
		{"", func(d *Decoder) error { _, err := d.String(); return err }, "unexpected end of input"},
		{"", func(d *Decoder) error { _, err := d.Bytes(); return err }, "unexpected end of input"},
		{"", func(d *Decoder) error { _, err := d.Float32(); return err }, "unexpected end of input"},
		{"", func(d *Decoder) error { _, err := d.Float64(); return err }, "unexpected end of input"},
		{"", func(d *Decoder) error { _, _, err := d.ListLen(); return err }, "unexpected end of input"},
		{"", func(d *Decoder) error { _, err := d.Value(); return err }, "unexpected end of input"},
		{"cd 01", func(d *Decoder) error { _, err := d.Int(64); return err }, "unexpected end of input"},
		{"a2 61", func(d *Decoder) error { _, err := d.String(); return err }, "unexpected end of input"},
		{"c4 05 00", func(d *Decoder) error { _, err := d.Bytes(); return err }, "unexpected end of input"},
		{"dd ff ff ff ff", func(d *Decoder) error { _, _, err := d.ListLen(); return err },
			"array of 4294967295 elements is longer than the 0 bytes that remain"},
		{"92 01", func(d *Decoder) error { _, _, err := d.ListLen(); return err },
			"array of 2 elements is longer than the 1 bytes that remain"},
		{"81 a0", func(d *Decoder) error { _, _, err := d.MapLen(); return err },
			"map of 1 entries is longer than the 1 bytes that remain"},
	}
	for _, c := range cases {
		err := c.fn(NewDecoder(hexBytes(c.in)))
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: error %v, want %q", c.in, err, c.want)
		}
	}
}

func TestNilAndBool(t *testing.T) {
	d := NewDecoder(hexBytes("c0 c2 c3 90"))
	if !d.Nil() || d.Offset() != 1 {
		t.Fatal("Nil did not consume c0")
	}
	if d.Nil() || d.Offset() != 1 {
		t.Fatal("Nil consumed c2")
	}
	if b, err := d.Bool(); err != nil || b {
		t.Fatalf("Bool c2 = %v, %v", b, err)
	}
	if b, err := d.Bool(); err != nil || !b {
		t.Fatalf("Bool c3 = %v, %v", b, err)
	}
	if d.Nil() {
		t.Fatal("Nil consumed 90")
	}
	if NewDecoder(nil).Nil() {
		t.Fatal("Nil on empty input")
	}
}

// nearestFloat32 rounds an integer to the nearest float32 with math/big, as the oracle.
func nearestFloat32(u uint64, neg bool) float32 {
	x := new(big.Float).SetPrec(0)
	if neg {
		x.SetInt64(int64(u))
	} else {
		x.SetUint64(u)
	}
	f, _ := x.Float32()
	return f
}

func TestFloat32(t *testing.T) {
	f32 := func(b []byte) (float32, error) {
		return decodeAll(t, b, func(d *Decoder) (float32, error) { return d.Float32() })
	}
	ok := []struct {
		in   []byte
		want uint32 // bits
	}{
		{enc(float32(1.5)), 0x3fc00000},
		{enc(float32(math.Copysign(0, -1))), 0x80000000},
		{hexBytes("ca 7f c0 00 01"), 0x7fc00001}, // NaN payload kept
		{enc(1.5), 0x3fc00000},
		{enc(math.Copysign(0, -1)), 0x80000000},
		{enc(math.Inf(1)), 0x7f800000},
		{enc(math.Inf(-1)), 0xff800000},
		{enc(float64(math.MaxFloat32)), math.Float32bits(math.MaxFloat32)},
		{enc(-float64(math.MaxFloat32)), math.Float32bits(-math.MaxFloat32)},
		{enc(0.1), math.Float32bits(0.1)},                       // rounded to nearest
		{enc(math.SmallestNonzeroFloat64), 0},                   // underflows to +0
		{enc(float64(math.SmallestNonzeroFloat32)), 0x00000001}, // subnormal kept
		{enc(16777217), math.Float32bits(16777216)},             // ties to even
		{enc(-16777219), math.Float32bits(-16777220)},
		{enc(uint64(math.MaxUint64)), math.Float32bits(18446744073709551616)},
		{enc(int64(math.MinInt64)), math.Float32bits(-9223372036854775808)},
		{enc(0), 0},
	}
	for _, c := range ok {
		got, err := f32(c.in)
		if err != nil || math.Float32bits(got) != c.want {
			t.Errorf("Float32 of % x = %#x, %v; want %#x", c.in, math.Float32bits(got), err, c.want)
		}
	}
	if got, err := f32(enc(math.NaN())); err != nil || !math.IsNaN(float64(got)) {
		t.Errorf("Float32 of cb NaN = %v, %v", got, err)
	}
	for _, v := range []float64{1e39, -1e39, math.MaxFloat64, math.Nextafter(math.MaxFloat32, math.Inf(1))} {
		_, err := f32(enc(v))
		if err == nil {
			t.Errorf("Float32 accepted %g", v)
		}
	}
	_, err := f32(enc(1e39))
	if err == nil || err.Error() != "value 1e+39 is out of range for float32" {
		t.Errorf("Float32 of 1e39: %v", err)
	}
	// Integers round to the nearest float32, checked against math/big.
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		u := r.Uint64() >> r.UintN(64)
		neg := r.IntN(2) == 0 && u <= math.MaxInt64
		var in []byte
		if neg {
			u = uint64(-int64(u))
			in = enc(int64(u))
		} else {
			in = enc(u)
		}
		got, err := f32(in)
		if want := nearestFloat32(u, neg); err != nil || got != want {
			t.Fatalf("Float32 of % x = %v, %v; want %v", in, got, err, want)
		}
	}
}

func TestFloat64(t *testing.T) {
	f64 := func(b []byte) (float64, error) {
		return decodeAll(t, b, func(d *Decoder) (float64, error) { return d.Float64() })
	}
	ok := []struct {
		in   []byte
		want uint64
	}{
		{enc(1.5), 0x3ff8000000000000},
		{enc(math.Copysign(0, -1)), 0x8000000000000000},
		{hexBytes("cb 7f f0 00 00 00 00 00 01"), 0x7ff0000000000001}, // NaN payload kept
		{enc(float32(1.5)), 0x3ff8000000000000},
		{enc(float32(0.1)), math.Float64bits(float64(float32(0.1)))}, // widened exactly
		{enc(float32(math.Inf(-1))), math.Float64bits(math.Inf(-1))},
		{enc(1 << 53), math.Float64bits(1 << 53)},
		{enc(1<<53 + 1), math.Float64bits(1 << 53)}, // ties to even
		{enc(uint64(math.MaxUint64)), math.Float64bits(18446744073709551616)},
		{enc(-7), math.Float64bits(-7)},
	}
	for _, c := range ok {
		got, err := f64(c.in)
		if err != nil || math.Float64bits(got) != c.want {
			t.Errorf("Float64 of % x = %#x, %v; want %#x", c.in, math.Float64bits(got), err, c.want)
		}
	}
}

func TestString(t *testing.T) {
	str := func(b []byte) (string, error) {
		return decodeAll(t, b, func(d *Decoder) (string, error) { return d.String() })
	}
	for _, n := range []int{0, 1, 31, 32, 255, 256, 65535, 65536} {
		want := string(bytes.Repeat([]byte{'x'}, n))
		if got, err := str(enc(want)); err != nil || got != want {
			t.Errorf("String of length %d: %v", n, err)
		}
	}
	// Non-canonical headers are accepted.
	for _, in := range []string{"a3 61 62 63", "d9 03 61 62 63", "da 00 03 61 62 63", "db 00 00 00 03 61 62 63"} {
		if got, err := str(hexBytes(in)); err != nil || got != "abc" {
			t.Errorf("String of %s = %q, %v", in, got, err)
		}
	}
	// Invalid UTF-8 is kept byte for byte, and so are NUL and non-BMP characters.
	for _, want := range []string{"\xff", "a\xffb\xfe", "\xed\xa0\x80", "a\x00b", "😀"} {
		if got, err := str(enc(want)); err != nil || got != want {
			t.Errorf("String of %q = %q, %v", want, got, err)
		}
	}
	// The result is a copy: changing the request afterwards does not change it.
	in := enc("abc")
	got, _ := NewDecoder(in).String()
	in[1] = 'z'
	if got != "abc" {
		t.Errorf("String aliases its input: %q", got)
	}
}

func TestBytes(t *testing.T) {
	bin := func(b []byte) ([]byte, error) {
		return decodeAll(t, b, func(d *Decoder) ([]byte, error) { return d.Bytes() })
	}
	if got, err := bin(hexBytes("c0")); err != nil || got != nil {
		t.Errorf("Bytes of nil = %v, %v; want a nil slice", got, err)
	}
	if got, err := bin(hexBytes("c4 00")); err != nil || got == nil || len(got) != 0 {
		t.Errorf("Bytes of c4 00 = %#v, %v; want an empty non-nil slice", got, err)
	}
	for _, n := range []int{1, 255, 256, 65535, 65536} {
		want := bytes.Repeat([]byte{0xff}, n)
		if got, err := bin(enc(want)); err != nil || !bytes.Equal(got, want) {
			t.Errorf("Bytes of length %d: %v", n, err)
		}
	}
	for _, in := range []string{"c4 02 00 ff", "c5 00 02 00 ff", "c6 00 00 00 02 00 ff"} {
		if got, err := bin(hexBytes(in)); err != nil || !bytes.Equal(got, []byte{0, 0xff}) {
			t.Errorf("Bytes of %s = % x, %v", in, got, err)
		}
	}
	in := hexBytes("c4 02 01 02")
	got, _ := NewDecoder(in).Bytes()
	in[2] = 9
	if got[0] != 1 {
		t.Error("Bytes aliases its input")
	}
}

func TestListLen(t *testing.T) {
	cases := []struct {
		in    []byte
		n     int
		isNil bool
	}{
		{hexBytes("c0"), 0, true},
		{hexBytes("90"), 0, false},
		{hexBytes("93 01 02 03"), 3, false},
		{hexBytes("dc 00 02 01 02"), 2, false},       // non-canonical
		{hexBytes("dd 00 00 00 02 01 02"), 2, false}, // non-canonical
		{append(hexBytes("dc 00 10"), make([]byte, 16)...), 16, false},
	}
	for _, c := range cases {
		d := NewDecoder(c.in)
		n, isNil, err := d.ListLen()
		if err != nil || n != c.n || isNil != c.isNil {
			t.Errorf("ListLen of % x = %d, %v, %v", c.in, n, isNil, err)
		}
		for i := 0; i < n; i++ {
			if _, err := d.Int(64); err != nil {
				t.Errorf("element %d: %v", i, err)
			}
		}
		if d.Remaining() != 0 {
			t.Errorf("% x: %d bytes left", c.in, d.Remaining())
		}
	}
}

func TestElemError(t *testing.T) {
	_, err := NewDecoder(enc("x")).Int(8)
	if got := ElemError(3, err).Error(); got != "element 3: "+err.Error() {
		t.Errorf("ElemError = %q", got)
	}
	if got := ElemError(1, ElemError(2, err)).Error(); got != "element 1: element 2: expected int8, got string" {
		t.Errorf("nested ElemError = %q", got)
	}
}
