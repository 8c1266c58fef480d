package bridge

import (
	"fmt"
	"unsafe"
)

// Arguments read in place (docs/abi.md section 8.12, docs/adr/0034). The request is the host's
// memory, lent to Go for the duration of one call, unchanged by the host until the call
// returns, and writable by Go during it (section 1). A parameter the Go compiler proves the
// called function does not keep (escape analysis, read by go/scan at build time: "b does not
// escape", or "leaking param: b to result" where every result is copied into the reply) may
// therefore be handed to user code as a slice of the request itself instead of a copy. The
// generator calls these functions only for such parameters; every other parameter keeps its
// copy. An out slot of an in-place parameter (an in/out buffer the host padded) is read in place
// too, and Go then answers true: the host copies the final elements back from the request.
//
// This file is the bridge's one use of package unsafe (docs/adr/0034 says why): reading a
// packed array's little-endian elements as a []T needs a pointer conversion. It is sound
// because (1) the memory lives as long as the call and user code does not keep the slice (the
// compiler's proof); (2) the slices' capacity is cut to their length, so an append reallocates
// instead of writing past the argument into the rest of the request; (3) the element data is
// aligned for T (checked here; a misaligned array takes the copy) and this machine is
// little-endian (checked once; a big-endian one always copies); (4) every bit pattern is a valid
// value of a fixed-width number, so no byte the host sent can make an invalid T.

// The scalar form's strings (docs/abi.md section 8.13, docs/adr/0035) are the second use: a
// string argument is a pair of words, the address and length of bytes the host lends for the
// call, and reading them needs the address as a pointer. The word is reinterpreted in memory
// as a pointer (no integer-to-pointer conversion, which vet and checkptr refuse): the host
// lends the memory for the call and keeps it unchanged, as it does a request, and Go either
// copies it (ArgString) or hands it over under the same proof as a string read in place
// (ArgStringView). It is host memory, never Go's: the garbage collector ignores the pointer.

// argBytes is the n bytes at the address the word addr holds; nil for n 0, whatever addr is.
func argBytes(addr, n uint64) ([]byte, error) {
	if n == 0 {
		return nil, nil
	}
	if n > MaxMessageBytes {
		return nil, fmt.Errorf("a string of %d bytes is longer than a message may be (%d bytes)", n, MaxMessageBytes)
	}
	if addr == 0 {
		return nil, fmt.Errorf("a string of %d bytes at address 0: a host lends a string's bytes at their address (docs/abi.md section 8.13)", n)
	}
	if uint64(uintptr(addr)) != addr {
		return nil, fmt.Errorf("the address %#x does not fit a pointer here", addr)
	}
	p := uintptr(addr)
	ptr := *(*unsafe.Pointer)(unsafe.Pointer(&p))
	return unsafe.Slice((*byte)(ptr), int(n)), nil
}

// unsafeString is a string over the bytes of b, which nothing changes while it is used.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// littleEndian is true on a little-endian machine, where a packed array's bytes are the
// memory of a []T.
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// BorrowBytesArg reads argument arg of a []byte parameter that is read in place: a bin gives
// a slice of the request (capacity cut to its length); anything else (nil, an out slot, a
// wrong type) is read as DecodeBytesArg reads it.
func BorrowBytesArg(d *Decoder, outs *Outs, arg int) ([]byte, error) {
	if d.off < len(d.buf) && isBin(d.buf[d.off]) {
		b, err := d.rawBin()
		return b[:len(b):len(b)], err
	}
	return DecodeBytesArg(d, outs, arg)
}

// BorrowString reads a str argument of a string parameter that is read in place: a string over
// the request's bytes (unsafe.String), valid while the function runs, which the compiler proves
// it does not keep. Nothing writes those bytes during the call (Go writes only into []byte and
// numeric slices read in place, each over its own bytes of the request).
func BorrowString(d *Decoder) (string, error) {
	b, err := d.rawStr()
	if err != nil || len(b) == 0 {
		return "", err
	}
	return unsafeString(b), nil
}

// BorrowSliceArg reads argument arg of a slice parameter of fixed-width numbers that is read
// in place: a packed array of kind, aligned for T, gives a slice of the request (capacity cut
// to its length). So does an out slot [wire, packed array] whose packed array is aligned and
// padded (the host's sign that it takes the buffer's final value from the request, docs/abi.md
// section 8.12): Go's writes then land in the request itself, and its out value is true.
// Anything else (a misaligned or unpadded packed array in an out slot, an array, nil, another
// kind) is read as DecodeSliceArg reads it, with one copy.
func BorrowSliceArg[S ~[]T, T Number](d *Decoder, outs *Outs, arg int, wire string, kind byte, dec func(*Decoder) (S, error), enc func(*Encoder, S, int) error) (S, error) {
	if s, ok := borrowPacked[T](d, kind, false); ok {
		return S(s), nil
	}
	sub := *d
	if what, init, ok, err := sub.outSlot(); err == nil && ok && what == wire {
		if s, ok := borrowPacked[T](&init, kind, true); ok && init.off == len(init.buf) {
			*d = sub
			outs.add(arg, func(e *Encoder, _ int) error { e.Bool(true); return nil })
			return S(s), nil
		}
	}
	return DecodeSliceArg(d, outs, arg, wire, kind, dec, enc)
}

// borrowPacked reads the next value when it is a packed array of kind whose elements can be
// read in place as []T (and, when padded is set, whose payload is padded): ok is false, and
// nothing consumed, for any other value.
func borrowPacked[T Number](d *Decoder, kind byte, padded bool) (s []T, ok bool) {
	if !littleEndian {
		return nil, false
	}
	sub := *d
	k, data, pad, ok, err := sub.packedPad()
	if err != nil || !ok || k != kind || padded && !pad {
		return nil, false
	}
	var zero T
	if unsafe.Sizeof(zero) != uintptr(packedSize(kind)) {
		return nil, false // cannot happen: the kind is T's (the generator's packedKind)
	}
	n := len(data) / packedSize(kind)
	if n == 0 {
		*d = sub
		return []T{}, true
	}
	p := unsafe.Pointer(unsafe.SliceData(data))
	if uintptr(p)%unsafe.Alignof(zero) != 0 {
		return nil, false
	}
	*d = sub
	s = unsafe.Slice((*T)(p), n)
	return s[:n:n], true
}
