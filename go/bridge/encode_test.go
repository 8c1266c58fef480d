package bridge

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

func TestEncodeInt(t *testing.T) {
	cases := []struct {
		v    int64
		want string
	}{
		{0, "00"}, {1, "01"}, {127, "7f"}, {128, "cc 80"}, {255, "cc ff"}, {256, "cd 01 00"},
		{65535, "cd ff ff"}, {65536, "ce 00 01 00 00"}, {math.MaxUint32, "ce ff ff ff ff"},
		{math.MaxUint32 + 1, "cf 00 00 00 01 00 00 00 00"}, {math.MaxInt64, "cf 7f ff ff ff ff ff ff ff"},
		{-1, "ff"}, {-32, "e0"}, {-33, "d0 df"}, {-128, "d0 80"}, {-129, "d1 ff 7f"},
		{-32768, "d1 80 00"}, {-32769, "d2 ff ff 7f ff"}, {math.MinInt32, "d2 80 00 00 00"},
		{math.MinInt32 - 1, "d3 ff ff ff ff 7f ff ff ff"}, {math.MinInt64, "d3 80 00 00 00 00 00 00 00"},
	}
	for _, c := range cases {
		var e Encoder
		e.Int(c.v)
		if want := hexBytes(c.want); !bytes.Equal(e.Buf, want) {
			t.Errorf("Int(%d) = % x, want % x", c.v, e.Buf, want)
		}
		if c.v >= 0 {
			var u Encoder
			u.Uint(uint64(c.v))
			if !bytes.Equal(u.Buf, e.Buf) {
				t.Errorf("Uint(%d) = % x, Int gives % x", c.v, u.Buf, e.Buf)
			}
		}
		if got, err := NewDecoder(e.Buf).Int(64); err != nil || got != c.v {
			t.Errorf("round trip %d: %d, %v", c.v, got, err)
		}
	}
	var e Encoder
	e.Uint(math.MaxUint64)
	if want := hexBytes("cf ff ff ff ff ff ff ff ff"); !bytes.Equal(e.Buf, want) {
		t.Errorf("Uint(2^64-1) = % x", e.Buf)
	}
}

func TestEncodeScalars(t *testing.T) {
	cases := []struct {
		write func(*Encoder)
		want  string
	}{
		{func(e *Encoder) { e.Nil() }, "c0"},
		{func(e *Encoder) { e.Bool(false) }, "c2"},
		{func(e *Encoder) { e.Bool(true) }, "c3"},
		{func(e *Encoder) { e.Float32(1.5) }, "ca 3f c0 00 00"},
		{func(e *Encoder) { e.Float32(float32(math.Copysign(0, -1))) }, "ca 80 00 00 00"},
		{func(e *Encoder) { e.Float32(math.Float32frombits(0x7fc00001)) }, "ca 7f c0 00 01"},
		{func(e *Encoder) { e.Float64(1.5) }, "cb 3f f8 00 00 00 00 00 00"},
		{func(e *Encoder) { e.Float64(math.Copysign(0, -1)) }, "cb 80 00 00 00 00 00 00 00"},
		{func(e *Encoder) { e.Float64(math.Inf(-1)) }, "cb ff f0 00 00 00 00 00 00"},
		{func(e *Encoder) { e.String("") }, "a0"},
		{func(e *Encoder) { e.String("\xff\xfe") }, "a2 ff fe"}, // invalid UTF-8 unchanged
		{func(e *Encoder) { e.Bytes(nil) }, "c4 00"},
		{func(e *Encoder) { e.Bytes([]byte{}) }, "c4 00"},
		{func(e *Encoder) { e.Bytes([]byte{0, 0xff}) }, "c4 02 00 ff"},
		{func(e *Encoder) { e.ListLen(0) }, "90"},
		{func(e *Encoder) { e.ListLen(15) }, "9f"},
		{func(e *Encoder) { e.ListLen(16) }, "dc 00 10"},
		{func(e *Encoder) { e.ListLen(65535) }, "dc ff ff"},
		{func(e *Encoder) { e.ListLen(65536) }, "dd 00 01 00 00"},
		{func(e *Encoder) { e.MapLen(0) }, "80"},
		{func(e *Encoder) { e.MapLen(15) }, "8f"},
		{func(e *Encoder) { e.MapLen(16) }, "de 00 10"},
		{func(e *Encoder) { e.MapLen(65536) }, "df 00 01 00 00"},
	}
	for i, c := range cases {
		var e Encoder
		c.write(&e)
		if want := hexBytes(c.want); !bytes.Equal(e.Buf, want) {
			t.Errorf("case %d: % x, want % x", i, e.Buf, want)
		}
	}
}

func TestEncodeHeaders(t *testing.T) {
	cases := []struct {
		n       int
		str     string // header of a str of length n
		bin     string
		strBody bool
	}{
		{0, "a0", "c4 00", true},
		{31, "bf", "c4 1f", true},
		{32, "d9 20", "c4 20", true},
		{255, "d9 ff", "c4 ff", true},
		{256, "da 01 00", "c5 01 00", true},
		{65535, "da ff ff", "c5 ff ff", true},
		{65536, "db 00 01 00 00", "c6 00 01 00 00", true},
	}
	for _, c := range cases {
		payload := strings.Repeat("\x80", c.n) // not UTF-8, to check bytes are unchanged
		var s, b Encoder
		s.String(payload)
		b.Bytes([]byte(payload))
		if want := append(hexBytes(c.str), payload...); !bytes.Equal(s.Buf, want) {
			t.Errorf("String of length %d: header % x", c.n, truncate(s.Buf))
		}
		if want := append(hexBytes(c.bin), payload...); !bytes.Equal(b.Buf, want) {
			t.Errorf("Bytes of length %d: header % x", c.n, truncate(b.Buf))
		}
		if got, err := NewDecoder(s.Buf).String(); err != nil || got != payload {
			t.Errorf("String round trip of length %d: %v", c.n, err)
		}
	}
}

func TestEncodeOverLimit(t *testing.T) {
	huge := hugeBuffer()[:MaxMessageBytes]
	var e Encoder
	e.ListLen(2)
	e.Bytes(huge)
	if !e.over() || len(e.Buf) != 1 {
		t.Fatalf("Bytes over the limit: over=%v len=%d", e.over(), len(e.Buf))
	}
	e.reset()
	e.String(string(huge[:10]))
	e.ListLen(MaxMessageBytes + 1)
	if !e.over() || len(e.Buf) != 11 {
		t.Fatalf("ListLen over the limit: over=%v len=%d", e.over(), len(e.Buf))
	}
	e.reset()
	if e.over() || e.elems != 0 || len(e.Buf) != 0 {
		t.Fatal("reset did not clear the encoder")
	}
}
