package bridge

import (
	"bytes"
	"reflect"
	"testing"
	"unsafe"
)

// padded builds a packed array of kind over data with pad zero bytes before its kind byte
// (docs/abi.md section 8.12).
func padded(kind byte, pad int, data []byte) []byte {
	e := Encoder{}
	e.extHeader(extPacked, pad+1+len(data))
	return append(append(append(e.Buf, make([]byte, pad)...), kind), data...)
}

// at returns msg copied to an offset of an 8-aligned buffer where its packed elements (whose
// offset in msg is elems) start at an address that is 0 mod 8 when aligned, else 1 mod 8.
func at(msg []byte, elems int, aligned bool) []byte {
	back := make([]uint64, (len(msg)+32)/8)
	mem := unsafe.Slice((*byte)(unsafe.Pointer(&back[0])), len(back)*8)
	off := (8 - elems%8) % 8
	if !aligned {
		off++
	}
	buf := mem[off : off+len(msg)]
	copy(buf, msg)
	return buf
}

func decodeSum(d *Decoder, outs *Outs, arg int) ([]int64, error) {
	return BorrowSliceArg(d, outs, arg, "[]int64", 'q', func(d *Decoder) ([]int64, error) {
		s, _, err := DecodePacked[int64](d, 'q')
		return s, err
	}, func(e *Encoder, s []int64, _ int) error { EncodePacked(e, 'q', s); return nil })
}

func TestBorrowPackedAlignedIsTheRequest(t *testing.T) {
	msg := padded('q', 3, le64(1, -2, 3))
	elems := len(msg) - 24
	for _, aligned := range []bool{true, false} {
		req := at(msg, elems, aligned)
		d := Decoder{buf: req}
		var outs Outs
		s, err := decodeSum(&d, &outs, 0)
		if err != nil || d.Remaining() != 0 || !reflect.DeepEqual(s, []int64{1, -2, 3}) {
			t.Fatalf("aligned %v: %v %v, %d left", aligned, s, err, d.Remaining())
		}
		inReq := unsafe.Pointer(&s[0]) == unsafe.Pointer(&req[elems])
		if inReq != aligned {
			t.Errorf("aligned %v: read in place %v", aligned, inReq)
		}
		if cap(s) != len(s) {
			t.Errorf("aligned %v: capacity %d beyond the length %d (an append would write into the request)", aligned, cap(s), len(s))
		}
		if len(outs.list) != 0 {
			t.Errorf("a plain argument recorded an out slot")
		}
	}
}

func TestBorrowPackedOtherForms(t *testing.T) {
	// Another kind is the copy path's error, never a reinterpretation.
	d := Decoder{buf: padded('d', 0, le64(1))}
	var outs Outs
	if _, err := decodeSum(&d, &outs, 0); err == nil {
		t.Error("a float64 packed array for []int64 was accepted")
	}
	// More padding than allowed is malformed.
	d = Decoder{buf: padded('q', maxPackedPad+1, le64(1))}
	if _, err := decodeSum(&d, &outs, 0); err == nil {
		t.Error("9 bytes of padding were accepted")
	}
	// Empty.
	d = Decoder{buf: padded('q', 2, nil)}
	if s, err := decodeSum(&d, &outs, 0); err != nil || s == nil || len(s) != 0 {
		t.Errorf("empty: %#v %v", s, err)
	}
}

// outSlotMsg is an out slot ["[]int64", packed] (ext 3) with the packed array padded by pad.
func outSlotMsg(pad int, data []byte) (msg []byte, elems int) {
	var p Encoder
	p.ListLen(2)
	p.String("[]int64")
	inner := padded('q', pad, data)
	payload := append(p.Buf, inner...)
	var e Encoder
	e.extHeader(extOut, len(payload))
	msg = append(e.Buf, payload...)
	return msg, len(msg) - len(data)
}

func TestBorrowOutSlot(t *testing.T) {
	for _, c := range []struct {
		pad     int
		aligned bool
		inPlace bool
	}{
		{pad: 2, aligned: true, inPlace: true},
		{pad: 2, aligned: false},
		{pad: 0, aligned: true}, // no padding: a host that takes no final value from the request
	} {
		msg, elems := outSlotMsg(c.pad, le64(5, 6))
		req := at(msg, elems, c.aligned)
		d := Decoder{buf: req}
		var outs Outs
		s, err := decodeSum(&d, &outs, 0)
		if err != nil || d.Remaining() != 0 || !reflect.DeepEqual(s, []int64{5, 6}) {
			t.Fatalf("%+v: %v %v", c, s, err)
		}
		if got := unsafe.Pointer(&s[0]) == unsafe.Pointer(&req[elems]); got != c.inPlace {
			t.Fatalf("%+v: in place %v", c, got)
		}
		s[1] = 60 // Go writes into its in/out buffer
		var e Encoder
		if err := outs.list[0].enc(&e, 0); err != nil {
			t.Fatal(err)
		}
		if c.inPlace {
			// The final value is in the request; the out value says so.
			if !bytes.Equal(e.Buf, []byte{mTrue}) || !bytes.Equal(req[elems:], le64(5, 60)) {
				t.Errorf("%+v: out value % x, request % x", c, e.Buf, req[elems:])
			}
		} else {
			want := Encoder{}
			EncodePacked(&want, 'q', []int64{5, 60})
			if !bytes.Equal(e.Buf, want.Buf) || !bytes.Equal(req[elems:], le64(5, 6)) {
				t.Errorf("%+v: out value % x (want % x), request % x unchanged?", c, e.Buf, want.Buf, req[elems:])
			}
		}
	}
}

func TestBorrowBytes(t *testing.T) {
	req := []byte{mBin8, 3, 'a', 'b', 'c', 0xc0}
	d := Decoder{buf: req}
	var outs Outs
	b, err := BorrowBytesArg(&d, &outs, 0)
	if err != nil || string(b) != "abc" || &b[0] != &req[2] || cap(b) != 3 {
		t.Fatalf("%q %v: in place %v, cap %d", b, err, err == nil && &b[0] == &req[2], cap(b))
	}
	if b, err = BorrowBytesArg(&d, &outs, 1); err != nil || b != nil {
		t.Fatalf("nil: %v %v", b, err)
	}
	// An in/out buffer keeps its copy (Go's writes are compared after the call).
	var p Encoder
	p.ListLen(2)
	p.String("bytes")
	p.Bytes([]byte("xy"))
	var e Encoder
	e.extHeader(extOut, len(p.Buf))
	msg := append(e.Buf, p.Buf...)
	d = Decoder{buf: msg}
	b, err = BorrowBytesArg(&d, &outs, 2)
	if err != nil || string(b) != "xy" || &b[0] == &msg[len(msg)-2] || len(outs.list) != 1 {
		t.Fatalf("in/out: %q %v", b, err)
	}
}

func TestBorrowString(t *testing.T) {
	req := []byte{mFixStr + 3, 'a', 'b', 'c', mFixStr, 0xc0}
	d := Decoder{buf: req}
	s, err := BorrowString(&d)
	if err != nil || s != "abc" || unsafe.StringData(s) != &req[1] {
		t.Fatalf("%q %v: not read in place", s, err)
	}
	if s, err = BorrowString(&d); err != nil || s != "" {
		t.Fatalf("empty: %q %v", s, err)
	}
	if _, err = BorrowString(&d); err == nil {
		t.Fatal("nil was read as a string")
	}
}
