package bridge

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Decoder reads MessagePack values from a byte slice it borrows.
//
// Bridge.Serve gives the generated Call adapters a Decoder positioned at the first argument of a
// request it has already validated structurally (lengths, depth, element count, no trailing
// bytes). The Decoder never panics and never allocates more than the bytes that remain, even on
// input that was not validated: every declared length is checked against the remaining bytes.
// String and Bytes copy, because the request memory is only borrowed for the call and Go code
// may keep its arguments past it (docs/adr/0027-large-bytes-and-memory.md).
//
// After a method returns an error the position of the Decoder is unspecified.
type Decoder struct {
	buf []byte
	off int
	// nest counts the ext 6 payloads (tagged values inside `any`) this Decoder reads inside:
	// each is validated on its own, so their nesting is bounded here (MaxDepth).
	nest int
}

// NewDecoder returns a Decoder reading buf from its start. Serve does not need it; it is for
// tests and tools.
func NewDecoder(buf []byte) *Decoder { return &Decoder{buf: buf} }

// Reset makes d read buf from its start.
func (d *Decoder) Reset(buf []byte) { d.buf, d.off = buf, 0 }

// Offset returns the byte offset of the next value.
func (d *Decoder) Offset() int { return d.off }

// Remaining returns the number of bytes that remain after the current position.
func (d *Decoder) Remaining() int { return len(d.buf) - d.off }

var errEOF = errors.New("unexpected end of input")

// typeError is a wire type that does not fit the Go type asked for.
type typeError struct{ want, got string }

func (e *typeError) Error() string { return "expected " + e.want + ", got " + e.got }

// mismatch reports that the next value is not of the wanted type.
func (d *Decoder) mismatch(want string) error {
	if d.off >= len(d.buf) {
		return errEOF
	}
	return &typeError{want: want, got: wireName(d.buf[d.off])}
}

// take consumes n bytes after skipping skip bytes (the marker and its length field) and returns
// them, or fails without consuming anything if fewer remain.
func (d *Decoder) take(skip int, n uint64) ([]byte, error) {
	start := d.off + skip
	if start > len(d.buf) || n > uint64(len(d.buf)-start) {
		return nil, errEOF
	}
	end := start + int(n)
	d.off = end
	return d.buf[start:end], nil
}

// Nil consumes the next value and returns true if it is nil; otherwise it consumes nothing.
func (d *Decoder) Nil() bool {
	if d.off < len(d.buf) && d.buf[d.off] == mNil {
		d.off++
		return true
	}
	return false
}

// Bool reads a bool (c2 or c3). Integers are not booleans.
func (d *Decoder) Bool() (bool, error) {
	if d.off < len(d.buf) {
		switch d.buf[d.off] {
		case mFalse:
			d.off++
			return false, nil
		case mTrue:
			d.off++
			return true, nil
		}
	}
	return false, d.mismatch("bool")
}

// integer reads any MessagePack int encoding. For a value >= 0, u is the value and neg is false;
// for a value < 0, u holds the bits of the int64 value and neg is true.
func (d *Decoder) integer(want string) (u uint64, neg bool, err error) {
	if d.off >= len(d.buf) {
		return 0, false, errEOF
	}
	m := d.buf[d.off]
	if isFixInt(m) {
		d.off++
		v := int64(int8(m))
		return uint64(v), v < 0, nil
	}
	rest := d.buf[d.off+1:]
	switch m {
	case mUint8:
		if len(rest) >= 1 {
			d.off += 2
			return uint64(rest[0]), false, nil
		}
	case mUint16:
		if len(rest) >= 2 {
			d.off += 3
			return uint64(binary.BigEndian.Uint16(rest)), false, nil
		}
	case mUint32:
		if len(rest) >= 4 {
			d.off += 5
			return uint64(binary.BigEndian.Uint32(rest)), false, nil
		}
	case mUint64:
		if len(rest) >= 8 {
			d.off += 9
			return binary.BigEndian.Uint64(rest), false, nil
		}
	case mInt8:
		if len(rest) >= 1 {
			d.off += 2
			v := int64(int8(rest[0]))
			return uint64(v), v < 0, nil
		}
	case mInt16:
		if len(rest) >= 2 {
			d.off += 3
			v := int64(int16(binary.BigEndian.Uint16(rest)))
			return uint64(v), v < 0, nil
		}
	case mInt32:
		if len(rest) >= 4 {
			d.off += 5
			v := int64(int32(binary.BigEndian.Uint32(rest)))
			return uint64(v), v < 0, nil
		}
	case mInt64:
		if len(rest) >= 8 {
			d.off += 9
			v := int64(binary.BigEndian.Uint64(rest))
			return uint64(v), v < 0, nil
		}
	default:
		return 0, false, d.mismatch(want)
	}
	return 0, false, errEOF
}

// intRange returns the Go name and the bounds of a signed integer of the given width; any width
// other than 8, 16 or 32 is treated as 64.
func intRange(bits int) (name string, lo, hi int64) {
	switch bits {
	case 8:
		return "int8", math.MinInt8, math.MaxInt8
	case 16:
		return "int16", math.MinInt16, math.MaxInt16
	case 32:
		return "int32", math.MinInt32, math.MaxInt32
	}
	return "int64", math.MinInt64, math.MaxInt64
}

// uintRange is intRange for unsigned integers.
func uintRange(bits int) (name string, hi uint64) {
	switch bits {
	case 8:
		return "uint8", math.MaxUint8
	case 16:
		return "uint16", math.MaxUint16
	case 32:
		return "uint32", math.MaxUint32
	}
	return "uint64", math.MaxUint64
}

// rangeError is an integer or float that does not fit its Go type.
type rangeError struct {
	value string // decimal
	typ   string
	lo    string // empty for float32
	hi    string
}

func (e *rangeError) Error() string {
	if e.lo == "" {
		return fmt.Sprintf("value %s is out of range for %s", e.value, e.typ)
	}
	return fmt.Sprintf("value %s is out of range for %s [%s, %s]", e.value, e.typ, e.lo, e.hi)
}

func intValueString(u uint64, neg bool) string {
	if neg {
		return fmt.Sprint(int64(u))
	}
	return fmt.Sprint(u)
}

// Int reads a signed integer of the given width (8, 16, 32 or 64; Go's int is 64; any other
// width is taken as 64). It accepts every MessagePack int encoding and fails, without wrapping,
// when the value does not fit: "value 128 is out of range for int8 [-128, 127]". Floats and
// bools are type errors: "expected int8, got float64".
func (d *Decoder) Int(bits int) (int64, error) {
	// A fixint (-32..127) fits every width: this much is inlined into the Call adapters.
	if off := d.off; uint(off) < uint(len(d.buf)) {
		if v := int8(d.buf[off]); v >= -32 { // 00..7f and e0..ff
			d.off = off + 1
			return int64(v), nil
		}
	}
	return d.intSlow(bits)
}

func (d *Decoder) intSlow(bits int) (int64, error) {
	name, lo, hi := intRange(bits)
	u, neg, err := d.integer(name)
	if err != nil {
		return 0, err
	}
	if (!neg && u > uint64(hi)) || (neg && int64(u) < lo) {
		return 0, &rangeError{intValueString(u, neg), name, fmt.Sprint(lo), fmt.Sprint(hi)}
	}
	return int64(u), nil
}

// Uint reads an unsigned integer of the given width (8, 16, 32 or 64; Go's uint is 64; any other
// width is taken as 64). It accepts every MessagePack int encoding; negative and too large values
// fail: "value -1 is out of range for uint16 [0, 65535]".
func (d *Decoder) Uint(bits int) (uint64, error) {
	// A positive fixint (0..127) fits every width: this much is inlined into the Call adapters.
	if off := d.off; uint(off) < uint(len(d.buf)) {
		if m := d.buf[off]; m <= 0x7f {
			d.off = off + 1
			return uint64(m), nil
		}
	}
	return d.uintSlow(bits)
}

func (d *Decoder) uintSlow(bits int) (uint64, error) {
	name, hi := uintRange(bits)
	u, neg, err := d.integer(name)
	if err != nil {
		return 0, err
	}
	if neg || u > hi {
		return 0, &rangeError{intValueString(u, neg), name, "0", fmt.Sprint(hi)}
	}
	return u, nil
}

// Float32 reads a float32: ca as is; cb when the value is NaN, infinite, or finite with a
// magnitude of at most math.MaxFloat32 (then rounded to the nearest float32); any int, converted
// to the nearest float32.
func (d *Decoder) Float32() (float32, error) {
	if d.off >= len(d.buf) {
		return 0, errEOF
	}
	switch m := d.buf[d.off]; {
	case m == mFloat32:
		b, err := d.take(1, 4)
		if err != nil {
			return 0, err
		}
		return math.Float32frombits(binary.BigEndian.Uint32(b)), nil
	case m == mFloat64:
		b, err := d.take(1, 8)
		if err != nil {
			return 0, err
		}
		f := math.Float64frombits(binary.BigEndian.Uint64(b))
		if math.Abs(f) > math.MaxFloat32 && !math.IsInf(f, 0) {
			return 0, &rangeError{value: fmt.Sprint(f), typ: "float32"}
		}
		return float32(f), nil
	case isInt(m):
		u, neg, err := d.integer("float32")
		if err != nil {
			return 0, err
		}
		if neg {
			return float32(int64(u)), nil
		}
		return float32(u), nil
	}
	return 0, d.mismatch("float32")
}

// Float64 reads a float64: cb as is, ca widened exactly, any int converted to the nearest float64.
func (d *Decoder) Float64() (float64, error) {
	if d.off >= len(d.buf) {
		return 0, errEOF
	}
	switch m := d.buf[d.off]; {
	case m == mFloat64:
		b, err := d.take(1, 8)
		if err != nil {
			return 0, err
		}
		return math.Float64frombits(binary.BigEndian.Uint64(b)), nil
	case m == mFloat32:
		b, err := d.take(1, 4)
		if err != nil {
			return 0, err
		}
		return float64(math.Float32frombits(binary.BigEndian.Uint32(b))), nil
	case isInt(m):
		u, neg, err := d.integer("float64")
		if err != nil {
			return 0, err
		}
		if neg {
			return float64(int64(u)), nil
		}
		return float64(u), nil
	}
	return 0, d.mismatch("float64")
}

// length reads the length field of a str, bin, array or map header whose marker is at d.off:
// fix is the length carried by a fix marker (-1 if m is not one), and size the width in bytes of
// the length field otherwise. It returns the header size and the length without consuming.
func (d *Decoder) length(fix int, size int) (hdr int, n uint64, err error) {
	if fix >= 0 {
		return 1, uint64(fix), nil
	}
	if size > len(d.buf)-d.off-1 {
		return 0, 0, errEOF
	}
	b := d.buf[d.off+1 : d.off+1+size]
	for _, c := range b {
		n = n<<8 | uint64(c)
	}
	return 1 + size, n, nil
}

// rawStr reads a str and returns its payload without copying.
func (d *Decoder) rawStr() ([]byte, error) {
	if d.off >= len(d.buf) {
		return nil, errEOF
	}
	m := d.buf[d.off]
	fix, size := -1, 0
	switch {
	case m >= mFixStr && m <= 0xbf:
		fix = int(m - mFixStr)
	case m == mStr8:
		size = 1
	case m == mStr16:
		size = 2
	case m == mStr32:
		size = 4
	default:
		return nil, d.mismatch("string")
	}
	hdr, n, err := d.length(fix, size)
	if err != nil {
		return nil, err
	}
	return d.take(hdr, n)
}

// String reads a str and returns a copy of its bytes. Invalid UTF-8 is kept byte for byte; nil
// and bin are not strings.
func (d *Decoder) String() (string, error) {
	b, err := d.rawStr()
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// Bytes reads a bin and returns a copy (a non-nil slice, empty for c4 00); nil gives a nil slice.
// A str is not accepted.
func (d *Decoder) Bytes() ([]byte, error) {
	if d.Nil() {
		return nil, nil
	}
	b, err := d.rawBin()
	if err != nil {
		return nil, err
	}
	return append([]byte{}, b...), nil
}

// ListLen reads an array header and returns its number of elements, which the caller then reads
// one by one. nil gives (0, true, nil). A length larger than the bytes that remain (each element
// takes at least one) is an error, so n is always safe to preallocate.
func (d *Decoder) ListLen() (n int, isNil bool, err error) {
	return d.containerLen(mFixArray, mArray16, mArray32, 1, "array", "elements")
}

// MapLen reads a map header and returns its number of entries (key, value pairs). nil gives
// (0, true, nil). An entry takes at least two bytes, so n is always safe to preallocate.
func (d *Decoder) MapLen() (n int, isNil bool, err error) {
	return d.containerLen(mFixMap, mMap16, mMap32, 2, "map", "entries")
}

// containerLen reads the header of an array or a map (fixBase..fixBase+15, m16, m32), checking
// that its per-item minimum of bytes fits in what remains.
func (d *Decoder) containerLen(fixBase, m16, m32 byte, per uint64, what, items string) (int, bool, error) {
	if d.Nil() {
		return 0, true, nil
	}
	if d.off >= len(d.buf) {
		return 0, false, errEOF
	}
	m := d.buf[d.off]
	fix, size := -1, 0
	switch {
	case m >= fixBase && m <= fixBase+0x0f:
		fix = int(m - fixBase)
	case m == m16:
		size = 2
	case m == m32:
		size = 4
	default:
		return 0, false, d.mismatch(what)
	}
	hdr, u, err := d.length(fix, size)
	if err != nil {
		return 0, false, err
	}
	if rest := uint64(len(d.buf) - d.off - hdr); per*u > rest {
		return 0, false, fmt.Errorf("%s of %d %s is longer than the %d bytes that remain", what, u, items, rest)
	}
	d.off += hdr
	return int(u), false, nil
}
