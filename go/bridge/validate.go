package bridge

import (
	"encoding/binary"
	"fmt"
)

// validate checks that msg is exactly one well-formed MessagePack value within the hard limits
// of docs/abi.md section 6, in one iterative pass that allocates nothing on success:
//
//   - the size is at most MaxMessageBytes (limit_exceeded/size);
//   - every declared length fits in the bytes that remain: a str or bin payload byte for byte,
//     an array at least one byte per element, a map at least two per entry (malformed), checked
//     at the header, before anything reads or allocates the payload;
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

// scanValue walks the value that starts at msg[off] and returns the offset just after it.
func scanValue(msg []byte, off int) (end int, f *failure) {
	// open[i] is the number of values still to come in the container at depth i+1 (a map of n
	// entries holds 2n values).
	var open [MaxDepth]uint64
	depth := 0
	elems := uint64(0)
	for {
		if off >= len(msg) {
			return 0, malformed(off, "unexpected end of input")
		}
		start := off
		m := msg[off]
		var (
			payload uint64 // str, bin and ext payload bytes after the header
			values  uint64 // values in a container opened by this header
			entries uint64 // elements it declares (values, or values/2 for a map)
			isCont  bool
			hdr     int // header bytes, including the length field
		)
		ok := true
		switch {
		case isFixInt(m), m == mNil, m == mFalse, m == mTrue:
			hdr = 1
		case m >= mFixMap && m <= 0x8f:
			hdr, isCont, entries = 1, true, uint64(m&0x0f)
			values = 2 * entries
		case m >= mFixArray && m <= 0x9f:
			hdr, isCont, entries = 1, true, uint64(m&0x0f)
			values = entries
		case m >= mFixStr && m <= 0xbf:
			hdr, payload = 1, uint64(m&0x1f)
		case m == mNever:
			return 0, malformed(off, "invalid marker 0xc1")
		case m == mBin8, m == mStr8:
			hdr = 2
			payload, ok = lenField(msg, off, 1)
		case m == mBin16, m == mStr16:
			hdr = 3
			payload, ok = lenField(msg, off, 2)
		case m == mBin32, m == mStr32:
			hdr = 5
			payload, ok = lenField(msg, off, 4)
		case m == mExt8:
			hdr = 3 // length, type
			payload, ok = lenField(msg, off, 1)
		case m == mExt16:
			hdr = 4
			payload, ok = lenField(msg, off, 2)
		case m == mExt32:
			hdr = 6
			payload, ok = lenField(msg, off, 4)
		case m == mFloat32:
			hdr = 5
		case m == mFloat64:
			hdr = 9
		case m == mUint8, m == mInt8:
			hdr = 2
		case m == mUint16, m == mInt16:
			hdr = 3
		case m == mUint32, m == mInt32:
			hdr = 5
		case m == mUint64, m == mInt64:
			hdr = 9
		case m >= mFixExt1 && m <= mFixExt16: // type byte, then 1, 2, 4, 8 or 16 bytes
			hdr, payload = 2, 1<<(m-mFixExt1)
		case m == mArray16:
			hdr, isCont = 3, true
			entries, ok = lenField(msg, off, 2)
			values = entries
		case m == mArray32:
			hdr, isCont = 5, true
			entries, ok = lenField(msg, off, 4)
			values = entries
		case m == mMap16:
			hdr, isCont = 3, true
			entries, ok = lenField(msg, off, 2)
			values = 2 * entries
		case m == mMap32:
			hdr, isCont = 5, true
			entries, ok = lenField(msg, off, 4)
			values = 2 * entries
		}
		if !ok || hdr > len(msg)-off {
			return 0, malformed(start, fmt.Sprintf("truncated %s", wireName(m)))
		}
		off += hdr
		rest := uint64(len(msg) - off)
		if isCont {
			if depth == MaxDepth {
				return 0, limitFailureAt("depth", MaxDepth, start)
			}
			if values > rest {
				return 0, malformed(start, fmt.Sprintf("%s of %d elements is longer than the %d bytes that remain",
					wireName(m), entries, rest))
			}
			elems += entries
			if elems > MaxElements {
				return 0, limitFailureAt("elements", MaxElements, start)
			}
			if values > 0 {
				open[depth] = values
				depth++
				continue
			}
		} else if payload > rest {
			return 0, malformed(start, fmt.Sprintf("%s of %d bytes is longer than the %d bytes that remain",
				wireName(m), payload, rest))
		} else {
			off += int(payload)
		}
		// A value is complete: close every container it completes.
		for depth > 0 {
			open[depth-1]--
			if open[depth-1] > 0 {
				break
			}
			depth--
		}
		if depth == 0 {
			return off, nil
		}
	}
}

// lenField reads the size-byte big-endian length field after the marker at msg[off].
func lenField(msg []byte, off, size int) (uint64, bool) {
	if size > len(msg)-off-1 {
		return 0, false
	}
	b := msg[off+1 : off+1+size]
	switch size {
	case 1:
		return uint64(b[0]), true
	case 2:
		return uint64(binary.BigEndian.Uint16(b)), true
	}
	return uint64(binary.BigEndian.Uint32(b)), true
}
