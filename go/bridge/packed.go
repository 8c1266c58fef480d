package bridge

import (
	"fmt"
	"math"
	"slices"
)

// Packed arrays of numbers (docs/abi.md section 8.10, docs/adr/0026): ext type 8 whose payload
// is one kind byte, then the elements as little-endian fixed-width values, back to back. A host
// may send one wherever a slice of fixed-width numbers is expected (a buffer passes without a
// Python object per element); Go writes one only when the host asked: the results of an op 6
// call, and the final value of an out slot whose initial value was packed.

// extPacked is the ext type of a packed array of numbers.
const extPacked = 8

// opCallPacked is op 6: call a function, writing each result that is a slice of fixed-width
// numbers as a packed array (docs/abi.md section 8.10).
const opCallPacked = 6

// Number is the element type of a slice that travels packed: the fixed-width numbers, Go's int
// and uint (64-bit here), and the types defined on them.
type Number interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~int | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uint | ~float32 | ~float64
}

// Packed is a packed array as Decoder.Value reads it and Encoder.Value writes it (tools and
// tests; generated code reads packed arrays into typed slices with DecodePacked): its kind byte
// and its elements' little-endian bytes.
type Packed struct {
	Kind byte
	Data []byte
}

// packedSize returns the element size of a kind byte (the letters of Python's struct module,
// standard sizes: b h i q signed, B H I Q unsigned, f d float), 0 for any other byte.
func packedSize(kind byte) int {
	switch kind {
	case 'b', 'B':
		return 1
	case 'h', 'H':
		return 2
	case 'i', 'I', 'f':
		return 4
	case 'q', 'Q', 'd':
		return 8
	}
	return 0
}

// packedName names a kind byte's Go type in messages.
func packedName(kind byte) string {
	switch kind {
	case 'b':
		return "int8"
	case 'h':
		return "int16"
	case 'i':
		return "int32"
	case 'q':
		return "int64"
	case 'B':
		return "uint8"
	case 'H':
		return "uint16"
	case 'I':
		return "uint32"
	case 'Q':
		return "uint64"
	case 'f':
		return "float32"
	case 'd':
		return "float64"
	}
	return fmt.Sprintf("unknown kind 0x%02x", kind)
}

// maxPackedPad is the most zero bytes a packed array's payload may hold before its kind byte
// (docs/abi.md section 8.12): a writer pads so that the elements start at an offset of the
// request aligned for their size, where Go may read them in place.
const maxPackedPad = 8

// skipPackedPad returns p after its leading zero bytes (at most maxPackedPad of them; 0 is no
// kind byte, so more than that is left for the caller to refuse as an unknown kind).
func skipPackedPad(p []byte) []byte {
	for i := 0; i < maxPackedPad && len(p) > 0 && p[0] == 0; i++ {
		p = p[1:]
	}
	return p
}

// packed reads the next value when it is a packed array: its kind byte and element bytes
// (borrowed from the request). ok is false, and nothing consumed, for any other value.
func (d *Decoder) packed() (kind byte, data []byte, ok bool, err error) {
	kind, data, _, ok, err = d.packedPad()
	return kind, data, ok, err
}

// packedPad is packed that also reports whether the payload was padded (docs/abi.md section
// 8.12: for an in/out buffer, the host's sign that it takes the final value from the request).
func (d *Decoder) packedPad() (kind byte, data []byte, padded, ok bool, err error) {
	typ, hdr, n, ok, err := d.extHeader()
	if err != nil || !ok || typ != extPacked {
		return 0, nil, false, false, err
	}
	p, err := d.take(hdr+1, n)
	if err != nil {
		return 0, nil, false, false, err
	}
	all := len(p)
	p = skipPackedPad(p)
	padded = len(p) < all
	if len(p) == 0 {
		return 0, nil, false, false, fmt.Errorf("malformed packed array (ext type 8): no kind byte")
	}
	kind, data = p[0], p[1:]
	size := packedSize(kind)
	if size == 0 {
		return 0, nil, false, false, fmt.Errorf("malformed packed array (ext type 8): unknown kind byte 0x%02x", kind)
	}
	if len(data)%size != 0 {
		return 0, nil, false, false, fmt.Errorf("malformed packed array (ext type 8): %d bytes of %s is not a whole number of %d-byte elements",
			len(data), packedName(kind), size)
	}
	return kind, data, padded, true, nil
}

// DecodePacked reads the next value when it is a packed array (ext type 8) of kind want into a
// new slice: one copy, no per-element MessagePack. ok is false, and nothing consumed, for any
// other value. A packed array of another kind is an error naming both ("a packed array of
// float64 where []int64 is expected"): its bytes are never reinterpreted.
func DecodePacked[T Number](d *Decoder, want byte) (s []T, ok bool, err error) {
	kind, data, ok, err := d.packed()
	if err != nil || !ok {
		return nil, false, err
	}
	if kind != want {
		return nil, false, fmt.Errorf("a packed array of %s where []%s is expected", packedName(kind), packedName(want))
	}
	return unpack[T](kind, data), true, nil
}

// unpack converts the little-endian elements of kind in data (a whole number of them) to a new
// []T. The kind is T's, so each conversion is exact. The loops spell the little-endian reads
// out (get16, get32, get64): a call to encoding/binary inside a generic function was not
// inlined, and cost 4x the copy.
func unpack[T Number](kind byte, data []byte) []T {
	s := make([]T, len(data)/packedSize(kind))
	switch kind {
	case 'b':
		for i := range s {
			s[i] = T(int8(data[i]))
		}
	case 'B':
		for i := range s {
			s[i] = T(data[i])
		}
	case 'h':
		for i := range s {
			s[i] = T(int16(get16(data[2*i : 2*i+2])))
		}
	case 'H':
		for i := range s {
			s[i] = T(get16(data[2*i : 2*i+2]))
		}
	case 'i':
		for i := range s {
			s[i] = T(int32(get32(data[4*i : 4*i+4])))
		}
	case 'I':
		for i := range s {
			s[i] = T(get32(data[4*i : 4*i+4]))
		}
	case 'q':
		for i := range s {
			s[i] = T(int64(get64(data[8*i : 8*i+8])))
		}
	case 'Q':
		for i := range s {
			s[i] = T(get64(data[8*i : 8*i+8]))
		}
	case 'f':
		for i := range s {
			s[i] = T(math.Float32frombits(get32(data[4*i : 4*i+4])))
		}
	case 'd':
		for i := range s {
			s[i] = T(math.Float64frombits(get64(data[8*i : 8*i+8])))
		}
	}
	return s
}

func get16(b []byte) uint16 { return uint16(b[0]) | uint16(b[1])<<8 }

func get32(b []byte) uint32 {
	_ = b[3]
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func get64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

func put16(b []byte, v uint16) { _ = b[1]; b[0], b[1] = byte(v), byte(v>>8) }

func put32(b []byte, v uint32) {
	_ = b[3]
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

func put64(b []byte, v uint64) {
	_ = b[7]
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
	b[4], b[5], b[6], b[7] = byte(v>>32), byte(v>>40), byte(v>>48), byte(v>>56)
}

// EncodePacked writes s as a packed array of kind (T's kind byte) with the shortest ext header;
// nil and empty both give the kind byte alone.
func EncodePacked[S ~[]T, T Number](e *Encoder, kind byte, s S) {
	size := packedSize(kind)
	n := 1 + size*len(s)
	if !e.room(n + 6) {
		return
	}
	e.extHeader(extPacked, n)
	start := len(e.Buf)
	e.Buf = slices.Grow(e.Buf, n)[:start+n]
	b := e.Buf[start:]
	b[0] = kind
	b = b[1:]
	switch kind {
	case 'b', 'B':
		for i, v := range s {
			b[i] = byte(v)
		}
	case 'h', 'H':
		for i, v := range s {
			put16(b[2*i:2*i+2], uint16(v))
		}
	case 'i', 'I':
		for i, v := range s {
			put32(b[4*i:4*i+4], uint32(v))
		}
	case 'q', 'Q':
		for i, v := range s {
			put64(b[8*i:8*i+8], uint64(v))
		}
	case 'f':
		for i, v := range s {
			put32(b[4*i:4*i+4], math.Float32bits(float32(v)))
		}
	case 'd':
		for i, v := range s {
			put64(b[8*i:8*i+8], math.Float64bits(float64(v)))
		}
	}
}

// extHeader writes the shortest ext header of type typ for a payload of n bytes.
func (e *Encoder) extHeader(typ int8, n int) {
	switch n {
	case 1, 2, 4, 8, 16:
		e.Buf = append(e.Buf, mFixExt1+byte(bitsLen(n)))
	default:
		e.header(n, 0, -1, mExt8, mExt16, mExt32)
	}
	e.Buf = append(e.Buf, byte(typ))
}

// PackResults reports whether the request asked for packed results (op 6): the generated
// adapters then write each result that is a slice of fixed-width numbers with EncodePacked.
func (d *Decoder) PackResults() bool { return d.pack }
