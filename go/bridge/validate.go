package bridge

import (
	"encoding/binary"
	"fmt"
)

// validate checks that msg is exactly one well-formed MessagePack value within the hard limits
// of docs/abi.md section 6, in one iterative pass that allocates nothing on success:
//
//   - the size is at most MaxMessageBytes (limit_exceeded/size);
//   - every declared length fits in the bytes that remain: a str, bin or ext payload byte for
//     byte, an array at least one byte per element, a map at least two per entry (malformed),
//     checked at the header, before anything reads or allocates the payload;
//   - no container opens deeper than MaxDepth, the outermost being depth 1, empty containers
//     included (limit_exceeded/depth);
//   - the declared element counts (array elements, map entries) add up to at most MaxElements
//     (limit_exceeded/elements);
//   - the marker c1 never appears and nothing follows the value (malformed).
//
// Maps (with keys of any type) and ext values are accepted structurally, so that a request of a
// later level or ABI still gets a precise reply (abi_version, bad_argument) rather than malformed.
// Failures report the byte offset of the value whose header is at fault.
func validate(msg []byte) *failure {
	if len(msg) > MaxMessageBytes {
		return limitFailure("size", MaxMessageBytes)
	}
	if len(msg) == 0 {
		return malformed(0, "empty message")
	}
	end, f := scanValue(msg, 0)
	if f != nil {
		return f
	}
	if end != len(msg) {
		return malformed(end, fmt.Sprintf("%d bytes after the end of the message", len(msg)-end))
	}
	return nil
}

// Marker classes for scanValue.
const (
	classInvalid = iota // c1
	classScalar         // nil, bool, int, float: hdr bytes in all
	classPayload        // str, bin, ext: hdr bytes, then a payload of the declared length
	classArray
	classMap
)

// markerInfo describes how a marker starts a value: its class, its header size (marker, length
// field and, for ext, the type byte), the size of its length field (0 when the marker carries
// the length or the size is fixed) and the length a fix marker carries.
type markerInfo struct {
	class, hdr, lenSize, fixLen uint8
}

// declaredLen is the length the header at the start of b declares: the marker's fixed length,
// or the big-endian length after the marker. The caller has checked that the header fits in b.
func (info *markerInfo) declaredLen(b []byte) int {
	switch info.lenSize {
	case 1:
		return int(b[1])
	case 2:
		return int(binary.BigEndian.Uint16(b[1:]))
	case 4:
		return int(binary.BigEndian.Uint32(b[1:]))
	}
	return int(info.fixLen)
}

var markers = func() (t [256]markerInfo) {
	for m := 0; m < 256; m++ {
		b := byte(m)
		switch {
		case isFixInt(b):
			t[m] = markerInfo{classScalar, 1, 0, 0}
		case b >= mFixMap && b <= 0x8f:
			t[m] = markerInfo{classMap, 1, 0, b & 0x0f}
		case b >= mFixArray && b <= 0x9f:
			t[m] = markerInfo{classArray, 1, 0, b & 0x0f}
		case b >= mFixStr && b <= 0xbf:
			t[m] = markerInfo{classPayload, 1, 0, b & 0x1f}
		case b >= mFixExt1 && b <= mFixExt16: // type byte, then 1, 2, 4, 8 or 16 bytes
			t[m] = markerInfo{classPayload, 2, 0, 1 << (b - mFixExt1)}
		}
	}
	for _, m := range []byte{mNil, mFalse, mTrue} {
		t[m] = markerInfo{classScalar, 1, 0, 0}
	}
	for m, size := range map[byte]uint8{mFloat32: 5, mFloat64: 9, mUint8: 2, mUint16: 3, mUint32: 5,
		mUint64: 9, mInt8: 2, mInt16: 3, mInt32: 5, mInt64: 9} {
		t[m] = markerInfo{classScalar, size, 0, 0}
	}
	for m, size := range map[byte]uint8{mBin8: 1, mBin16: 2, mBin32: 4, mStr8: 1, mStr16: 2, mStr32: 4} {
		t[m] = markerInfo{classPayload, 1 + size, size, 0}
	}
	for m, size := range map[byte]uint8{mExt8: 1, mExt16: 2, mExt32: 4} {
		t[m] = markerInfo{classPayload, 2 + size, size, 0}
	}
	for m, size := range map[byte]uint8{mArray16: 2, mArray32: 4} {
		t[m] = markerInfo{classArray, 1 + size, size, 0}
	}
	for m, size := range map[byte]uint8{mMap16: 2, mMap32: 4} {
		t[m] = markerInfo{classMap, 1 + size, size, 0}
	}
	t[mNever] = markerInfo{classInvalid, 1, 0, 0}
	return t
}()

// scanValue walks the value that starts at msg[off] and returns the offset just after it.
func scanValue(msg []byte, off int) (end int, f *failure) {
	// open[i] is the number of values still to come in the container at depth i+1 (a map of n
	// entries holds 2n values). It is never more than the bytes that remain, so it fits 32 bits.
	var open [MaxDepth]uint32
	depth := 0
	elems := uint64(0)
	for {
		if off >= len(msg) {
			return 0, malformed(off, "unexpected end of input")
		}
		start, m := off, msg[off]
		info := &markers[m]
		hdr := int(info.hdr)
		if hdr > len(msg)-off {
			return 0, malformed(start, "truncated "+wireName(m))
		}
		n := uint64(info.declaredLen(msg[off:]))
		off += hdr
		rest := uint64(len(msg) - off)
		switch info.class {
		case classInvalid:
			return 0, malformed(start, "invalid marker 0xc1")
		case classPayload:
			if n > rest {
				return 0, malformed(start, fmt.Sprintf("%s of %d bytes is longer than the %d bytes that remain",
					wireName(m), n, rest))
			}
			off += int(n)
		case classArray, classMap:
			if depth == MaxDepth {
				return 0, limitFailureAt("depth", MaxDepth, start)
			}
			values := n
			if info.class == classMap {
				values = 2 * n
			}
			if values > rest {
				return 0, malformed(start, fmt.Sprintf("%s of %d elements is longer than the %d bytes that remain",
					wireName(m), n, rest))
			}
			if elems += n; elems > MaxElements {
				return 0, limitFailureAt("elements", MaxElements, start)
			}
			if values > 0 {
				open[depth] = uint32(values)
				depth++
				continue
			}
		}
		// A value is complete: close every container it completes.
		for depth > 0 {
			if open[depth-1]--; open[depth-1] > 0 {
				break
			}
			depth--
		}
		if depth == 0 {
			return off, nil
		}
	}
}

// scanShallow walks the value at msg[off] as scanValue does, for a value at most 16 containers
// deep, and returns the offset just after it with ok; ok is false for anything scanValue would
// refuse and for a deeper value (the caller then leaves the message to validate). It does not
// count elements: its caller bounds them. The fast request path checks container arguments
// (records, lists, maps) with it (docs/adr/0033).
func scanShallow(msg []byte, off int) (end int, ok bool) {
	var open [16]uint32
	depth := 0
	for {
		if off >= len(msg) {
			return 0, false
		}
		m := msg[off]
		switch {
		case isFixInt(m): // the commonest values first: a small int, a short str (a key)
			off++
		case m&0xe0 == mFixStr:
			n := int(m & 0x1f)
			if n >= len(msg)-off {
				return 0, false
			}
			off += 1 + n
		default:
			info := &markers[m]
			hdr := int(info.hdr)
			if hdr > len(msg)-off {
				return 0, false
			}
			n := uint64(info.declaredLen(msg[off:]))
			off += hdr
			rest := uint64(len(msg) - off)
			switch info.class {
			case classInvalid:
				return 0, false
			case classPayload:
				if n > rest {
					return 0, false
				}
				off += int(n)
			case classArray, classMap:
				if depth == len(open) {
					return 0, false
				}
				values := n
				if info.class == classMap {
					values = 2 * n
				}
				if values > rest {
					return 0, false
				}
				if values > 0 {
					open[depth] = uint32(values)
					depth++
					continue
				}
			}
		}
		for depth > 0 {
			if open[depth-1]--; open[depth-1] > 0 {
				break
			}
			depth--
		}
		if depth == 0 {
			return off, true
		}
	}
}
