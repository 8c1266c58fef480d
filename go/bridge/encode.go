package bridge

import (
	"encoding/binary"
	"math"
)

// Encoder appends MessagePack values in the canonical forms of docs/abi.md section 2 to Buf.
//
// Bridge.Serve hands the generated Call adapters an Encoder whose Buf (the caller's reply buffer)
// already holds the reply prefix; an adapter writes exactly one result value. If the output would
// exceed MaxMessageBytes, the Encoder stops copying payloads and Serve replies limit_exceeded
// instead: a huge result is never copied in full.
type Encoder struct {
	Buf []byte

	// elems counts the container elements written, for the MaxElements limit. It is negative
	// once the message is over MaxMessageBytes (a payload was dropped); it then stays so, and
	// nothing more is counted. The Encoder is kept at 4 words, the largest struct the compiler
	// keeps in registers: Func.Call takes and returns one by value on every call.
	elems int
}

// overSize is the value of elems once the message is over MaxMessageBytes.
const overSize = math.MinInt

// reset empties the encoder, keeping the capacity of Buf.
func (e *Encoder) reset() {
	e.Buf = e.Buf[:0]
	e.elems = 0
}

// over reports whether a payload was dropped because the message would exceed MaxMessageBytes.
func (e *Encoder) over() bool { return e.elems < 0 }

// room reports whether n more payload bytes keep the message within MaxMessageBytes; if not,
// or if the message is already over, it marks the encoder as over the limit.
func (e *Encoder) room(n int) bool {
	if e.elems < 0 || n > MaxMessageBytes-len(e.Buf) {
		e.elems = overSize
		return false
	}
	return true
}

// Nil writes nil (c0).
func (e *Encoder) Nil() { e.Buf = append(e.Buf, mNil) }

// Bool writes c3 for true and c2 for false.
func (e *Encoder) Bool(v bool) {
	if v {
		e.Buf = append(e.Buf, mTrue)
	} else {
		e.Buf = append(e.Buf, mFalse)
	}
}

// Int writes v in the shortest MessagePack int form: a fixint, cc..cf for v >= 0, d0..d3 for v < 0.
func (e *Encoder) Int(v int64) {
	if v >= 0 && v <= 0x7f { // this much is inlined into the Call adapters
		e.Buf = append(e.Buf, byte(v))
		return
	}
	e.intSlow(v)
}

func (e *Encoder) intSlow(v int64) {
	if v >= 0 {
		e.Uint(uint64(v))
		return
	}
	switch {
	case v >= -32:
		e.Buf = append(e.Buf, byte(v))
	case v >= math.MinInt8:
		e.Buf = append(e.Buf, mInt8, byte(v))
	case v >= math.MinInt16:
		e.Buf = binary.BigEndian.AppendUint16(append(e.Buf, mInt16), uint16(v))
	case v >= math.MinInt32:
		e.Buf = binary.BigEndian.AppendUint32(append(e.Buf, mInt32), uint32(v))
	default:
		e.Buf = binary.BigEndian.AppendUint64(append(e.Buf, mInt64), uint64(v))
	}
}

// Uint writes v in the shortest MessagePack int form: a positive fixint or cc, cd, ce, cf.
func (e *Encoder) Uint(v uint64) {
	switch {
	case v <= 0x7f:
		e.Buf = append(e.Buf, byte(v))
	case v <= math.MaxUint8:
		e.Buf = append(e.Buf, mUint8, byte(v))
	case v <= math.MaxUint16:
		e.Buf = binary.BigEndian.AppendUint16(append(e.Buf, mUint16), uint16(v))
	case v <= math.MaxUint32:
		e.Buf = binary.BigEndian.AppendUint32(append(e.Buf, mUint32), uint32(v))
	default:
		e.Buf = binary.BigEndian.AppendUint64(append(e.Buf, mUint64), v)
	}
}

// Float32 writes ca and the IEEE-754 binary32 bits of v (NaN payloads and -0 kept).
func (e *Encoder) Float32(v float32) {
	e.Buf = binary.BigEndian.AppendUint32(append(e.Buf, mFloat32), math.Float32bits(v))
}

// Float64 writes cb and the IEEE-754 binary64 bits of v (NaN payloads and -0 kept).
func (e *Encoder) Float64(v float64) {
	e.Buf = binary.BigEndian.AppendUint64(append(e.Buf, mFloat64), math.Float64bits(v))
}

// header appends the shortest header for a str, bin, array or map of length n. fixMax is the
// largest length a fix marker carries (-1 if the type has none); m8, m16 and m32 are the markers
// with 1, 2 and 4 length bytes (m8 0 if the type has no 1-byte form).
func (e *Encoder) header(n int, fix byte, fixMax int, m8, m16, m32 byte) {
	switch {
	case n <= fixMax:
		e.Buf = append(e.Buf, fix|byte(n))
	case n <= math.MaxUint8 && m8 != 0:
		e.Buf = append(e.Buf, m8, byte(n))
	case n <= math.MaxUint16:
		e.Buf = binary.BigEndian.AppendUint16(append(e.Buf, m16), uint16(n))
	default:
		e.Buf = binary.BigEndian.AppendUint32(append(e.Buf, m32), uint32(n))
	}
}

// String writes a str with the shortest header and v's bytes unchanged, valid UTF-8 or not.
func (e *Encoder) String(v string) {
	if !e.room(len(v)) {
		return
	}
	e.header(len(v), mFixStr, 31, mStr8, mStr16, mStr32)
	e.Buf = append(e.Buf, v...)
}

// Bytes writes a bin with the shortest header; nil and empty both give an empty bin (c4 00).
func (e *Encoder) Bytes(v []byte) {
	if !e.room(len(v)) {
		return
	}
	e.header(len(v), 0, -1, mBin8, mBin16, mBin32)
	e.Buf = append(e.Buf, v...)
}

// ListLen writes the shortest array header for n elements; the caller then writes the elements.
func (e *Encoder) ListLen(n int) {
	if !e.room(n) { // each element takes at least one byte
		return
	}
	e.elems += n
	e.header(n, mFixArray, 15, 0, mArray16, mArray32)
}

// MapLen writes the shortest map header for n entries; the caller then writes n keys and values.
func (e *Encoder) MapLen(n int) {
	if !e.room(2 * n) {
		return
	}
	e.elems += n
	e.header(n, mFixMap, 15, 0, mMap16, mMap32)
}
