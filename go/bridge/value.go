package bridge

import (
	"fmt"
	"math"
	"slices"
)

// Value reads any value generically: nil, bool, int64 (uint64 for values above
// math.MaxInt64), float32 (ca), float64 (cb), string (str), []byte (bin), []any (array),
// map[string]any (map with str keys), HandleID (ext type 1 with 8 bytes), and the ext values
// of `any` as the wire says them: Timestamp (ext -1), Tagged (ext 6) and Object (ext 7), and
// Packed (ext 8, docs/abi.md section 8.10). Other ext types,
// non-str map keys, duplicate keys and nesting deeper than MaxDepth are errors. Generated code
// reads `any` arguments with Any instead; Value serves error details, tools and tests.
func (d *Decoder) Value() (any, error) { return d.value(1, true) }

// Any reads an argument of Go type any (docs/abi.md sections 8.1 and 8.9): as Value, but an
// integer is an int (uint64 above math.MaxInt64), as any(1) holds in Go, and the ext values of
// `any` give their Go values: a timestamp (ext -1) or tagged time a time.Time, a tagged
// duration a time.Duration, a tagged record the struct value, and a handle (ext 1 or 7) the
// value it holds.
func (d *Decoder) Any() (any, error) { return d.value(1, false) }

// anyInt is the Go value of an integer inside `any`: an int, as `any(1)` holds in Go, or a
// uint64 above math.MaxInt64 (docs/abi.md section 8.9). (Value keeps int64.)
func anyInt(u uint64, neg bool) any {
	if !neg && u > math.MaxInt64 {
		return u
	}
	if i := int64(u); int64(int(i)) == i {
		return int(i)
	}
	return int64(u)
}

// maxPrealloc caps the capacity Value gives a []any before it has seen the elements, so nested
// arrays that declare many elements cost memory only for the elements that are really there.
const maxPrealloc = 256

func (d *Decoder) value(depth int, handles bool) (any, error) {
	if d.off >= len(d.buf) {
		return nil, errEOF
	}
	switch m := d.buf[d.off]; {
	case m == mNil:
		d.off++
		return nil, nil
	case m == mFalse || m == mTrue:
		return d.Bool()
	case isInt(m):
		u, neg, err := d.integer("int")
		if err != nil {
			return nil, err
		}
		if !handles {
			return anyInt(u, neg), nil
		}
		if !neg && u > math.MaxInt64 {
			return u, nil
		}
		return int64(u), nil
	case m == mFloat32:
		return d.Float32()
	case m == mFloat64:
		return d.Float64()
	case isStr(m):
		return d.String()
	case isBin(m):
		return d.Bytes()
	case isArray(m):
		if depth > MaxDepth {
			return nil, errDepth
		}
		n, _, err := d.ListLen()
		if err != nil {
			return nil, err
		}
		out := make([]any, 0, min(n, maxPrealloc))
		for i := 0; i < n; i++ {
			v, err := d.value(depth+1, handles)
			if err != nil {
				return nil, ElemError(i, err)
			}
			out = append(out, v)
		}
		return out, nil
	case isMap(m):
		if depth > MaxDepth {
			return nil, errDepth
		}
		n, _, err := d.MapLen()
		if err != nil {
			return nil, err
		}
		out := make(map[string]any, min(n, maxPrealloc))
		for i := 0; i < n; i++ {
			k, err := d.String()
			if err != nil {
				return nil, fmt.Errorf("map key %d: %w", i, err)
			}
			if _, dup := out[k]; dup {
				return nil, fmt.Errorf("duplicate map key %q", k)
			}
			v, err := d.value(depth+1, handles)
			if err != nil {
				return nil, fmt.Errorf("map value %q: %w", k, err)
			}
			out[k] = v
		}
		return out, nil
	case m == mExt8 || m == mExt16 || m == mExt32 || (m >= mFixExt1 && m <= mFixExt16):
		if handles {
			return d.extValue(depth)
		}
		return d.anyExt(depth)
	}
	return nil, fmt.Errorf("unsupported type %s", wireName(d.buf[d.off]))
}

var errDepth = fmt.Errorf("nesting deeper than %d", MaxDepth)

// Value writes v, the generic counterpart of Decoder.Value. It accepts nil, bool, every Go
// integer type except uintptr, float32, float64, string, []byte, []string, []int64, []any,
// map[string]any (keys written in byte-wise sorted order) and HandleID. Any other type, or nesting deeper
// than MaxDepth, is an error, after which Buf holds partial output.
func (e *Encoder) Value(v any) error { return e.value(v, 1) }

func (e *Encoder) value(v any, depth int) error {
	switch x := v.(type) {
	case nil:
		e.Nil()
	case bool:
		e.Bool(x)
	case int:
		e.Int(int64(x))
	case int8:
		e.Int(int64(x))
	case int16:
		e.Int(int64(x))
	case int32:
		e.Int(int64(x))
	case int64:
		e.Int(x)
	case uint:
		e.Uint(uint64(x))
	case uint8:
		e.Uint(uint64(x))
	case uint16:
		e.Uint(uint64(x))
	case uint32:
		e.Uint(uint64(x))
	case uint64:
		e.Uint(x)
	case float32:
		e.Float32(x)
	case float64:
		e.Float64(x)
	case string:
		e.String(x)
	case []byte:
		e.Bytes(x)
	case HandleID:
		e.Handle(uint64(x))
	case []string:
		e.ListLen(len(x))
		for _, s := range x {
			e.String(s)
		}
	case []int64:
		e.ListLen(len(x))
		for _, i := range x {
			e.Int(i)
		}
	case []any:
		if depth > MaxDepth {
			return errDepth
		}
		e.ListLen(len(x))
		for i, elem := range x {
			if err := e.value(elem, depth+1); err != nil {
				return ElemError(i, err)
			}
		}
	case map[string]any:
		if depth > MaxDepth {
			return errDepth
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys) // Go compares strings byte-wise
		e.MapLen(len(keys))
		for _, k := range keys {
			e.String(k)
			if err := e.value(x[k], depth+1); err != nil {
				return fmt.Errorf("map value %q: %w", k, err)
			}
		}
	default:
		if ok, err := e.extValue(v, depth); ok {
			return err
		}
		return fmt.Errorf("unsupported type %T", v)
	}
	return nil
}

// EncodeRequest builds the request [abi, op, target, args] of docs/abi.md section 3, target and
// args being values Encoder.Value takes. The bridge never sends requests: this is for tools,
// tests and fuzz harnesses.
func EncodeRequest(abi, op uint64, target any, args ...any) ([]byte, error) {
	var e Encoder
	e.ListLen(4)
	e.Uint(abi)
	e.Uint(op)
	if err := e.Value(target); err != nil {
		return nil, err
	}
	e.ListLen(len(args))
	for _, a := range args {
		if err := e.Value(a); err != nil {
			return nil, err
		}
	}
	return e.Buf, nil
}
