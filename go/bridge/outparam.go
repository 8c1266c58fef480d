package bridge

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Out-parameters (docs/abi.md section 8.6, docs/adr/0016): an argument of ext type 3 is an out
// slot. For an `any` parameter its payload [wire type, initial value] asks for a pointer to a
// fresh value of that type (a Ref); for a []byte parameter, ["bytes", bin] marks a buffer whose
// final content the caller wants back. After the call, the reply carries the final value of
// every slot, in argument order, as a third element: [0, result, outs] or [1, error, outs].

// extOut is the ext type of an out slot in a request.
const extOut = 3

// Outs collects the out slots of one call. A generated adapter keeps one on its stack and
// passes it to DecodeAnyArg and DecodeBytesArg; it stays empty (and allocates nothing) unless
// the request holds an out slot.
type Outs struct{ list []outSlot }

type outSlot struct {
	arg int                               // the argument's index, for errors
	enc func(e *Encoder, depth int) error // writes the slot's value after the call
}

func (o *Outs) add(arg int, enc func(e *Encoder, depth int) error) {
	o.list = append(o.list, outSlot{arg, enc})
}

// RefType makes the value a Ref of a record type points to: it reads the initial value (nil
// for the zero value, else the record's map) from d and returns the pointer Go receives and
// the writer of its final value. The generated code registers one per record type of the
// schema (RegisterRefType).
type RefType func(d *Decoder) (ptr any, enc func(e *Encoder, depth int) error, err error)

var refTypes = map[string]RefType{}

// RegisterRefType makes Ref values of the record type key ("<import path>.<Name>") possible.
// It is called from the generated code's package initialisation only.
func RegisterRefType(key string, t RefType) struct{} {
	refTypes[key] = t
	return struct{}{}
}

// outPayload returns the payload of the next value when it is an ext of type 3 (consumed), and
// ok false, consuming nothing, for any other value.
func (d *Decoder) outPayload() (payload []byte, ok bool, err error) {
	typ, hdr, n, ok, err := d.extHeader()
	if !ok || typ != extOut {
		return nil, false, err
	}
	b, err := d.take(hdr+1, n)
	return b, err == nil, err
}

// outSlot reads the next value when it is an out slot: its wire type and a Decoder positioned
// at its initial value. ok is false, and nothing consumed, for any other value.
func (d *Decoder) outSlot() (what string, init Decoder, ok bool, err error) {
	payload, ok, err := d.outPayload()
	if err != nil || !ok {
		return "", init, false, err
	}
	what, init, err = outSlotOf(payload)
	return what, init, err == nil, err
}

// outSlotOf reads the payload of an out slot: [wire type str, initial value]. It returns the
// wire type and a Decoder positioned at the initial value.
func outSlotOf(payload []byte) (string, Decoder, error) {
	d := Decoder{buf: payload}
	if end, f := scanValue(payload, 0); f != nil || end != len(payload) {
		return "", d, fmt.Errorf("malformed out-parameter (ext type 3): its payload is not one value")
	}
	n, isNil, err := d.ListLen()
	if err != nil || isNil || n != 2 {
		return "", d, fmt.Errorf("malformed out-parameter (ext type 3): expected [wire type, initial value]")
	}
	what, err := d.String()
	if err != nil {
		return "", d, fmt.Errorf("malformed out-parameter (ext type 3): the wire type: %w", err)
	}
	return what, d, nil
}

// DecodeAnyArg reads argument arg of an `any` parameter: an out slot (a Ref) gives a pointer to
// a fresh value made from its initial value, recorded in outs; any other value is read as
// Decoder.Any reads it.
func DecodeAnyArg(d *Decoder, outs *Outs, arg int) (any, error) {
	what, init, ok, err := d.outSlot()
	if err != nil {
		return nil, err
	}
	if !ok {
		return d.Any()
	}
	anyOut := func(e *Encoder, v any, depth int) error { return e.Any(v, depth) }
	switch what {
	case "any":
		v, err := init.Any()
		return outOf(outs, arg, v, err, anyOut)
	case "map[string]any":
		v, err := anyAs[map[string]any](&init, "map")
		return outOf(outs, arg, v, err, func(e *Encoder, v map[string]any, depth int) error { return e.Any(v, depth) })
	case "[]any":
		v, err := anyAs[[]any](&init, "list")
		return outOf(outs, arg, v, err, func(e *Encoder, v []any, depth int) error { return e.Any(v, depth) })
	case "bool":
		v, err := init.Bool()
		return outOf(outs, arg, v, err, func(e *Encoder, v bool, _ int) error { e.Bool(v); return nil })
	case "int64":
		v, err := init.Int(strconv.IntSize)
		return outOf(outs, arg, int(v), err, func(e *Encoder, v int, _ int) error { e.Int(int64(v)); return nil })
	case "float64":
		v, err := init.Float64()
		return outOf(outs, arg, v, err, func(e *Encoder, v float64, _ int) error { e.Float64(v); return nil })
	case "string":
		v, err := init.String()
		return outOf(outs, arg, v, err, func(e *Encoder, v string, _ int) error { e.String(v); return nil })
	case "bytes":
		v, err := init.Bytes()
		return outOf(outs, arg, v, err, func(e *Encoder, v []byte, _ int) error { e.Bytes(v); return nil })
	}
	if key, isRecord := strings.CutPrefix(what, "@"); isRecord {
		mk, ok := refTypes[key]
		if !ok {
			return nil, fmt.Errorf("an out-parameter of record type %s: this module has no such record type", key)
		}
		p, enc, err := mk(&init)
		if err != nil {
			return nil, fmt.Errorf("the initial value of an out-parameter of record type %s: %w", key, err)
		}
		outs.add(arg, enc)
		return p, nil
	}
	return nil, fmt.Errorf("an out-parameter of wire type %q is not supported", what)
}

// outOf records an out slot holding v (read with err) and returns the pointer Go receives.
func outOf[T any](outs *Outs, arg int, v T, err error, enc func(e *Encoder, v T, depth int) error) (any, error) {
	if err != nil {
		return nil, fmt.Errorf("the initial value of an out-parameter: %w", err)
	}
	p := &v
	outs.add(arg, func(e *Encoder, depth int) error { return enc(e, *p, depth) })
	return p, nil
}

// anyAs reads an `any` value that must be a T (nil gives the nil T).
func anyAs[T any](d *Decoder, what string) (T, error) {
	var zero T
	v, err := d.Any()
	if err != nil || v == nil {
		return zero, err
	}
	x, ok := v.(T)
	if !ok {
		return zero, fmt.Errorf("expected a %s or nil, got %T", what, v)
	}
	return x, nil
}

// DecodeBytesArg reads argument arg of a []byte parameter: an out slot ["bytes", bin] gives a
// copy of the bin whose content after the call is recorded in outs (Go's writes to the slice,
// within its length: the caller's buffer cannot grow); any other value is read as
// Decoder.Bytes reads it.
func DecodeBytesArg(d *Decoder, outs *Outs, arg int) ([]byte, error) {
	what, init, ok, err := d.outSlot()
	if err != nil {
		return nil, err
	}
	if !ok {
		return d.Bytes()
	}
	if what != "bytes" {
		return nil, fmt.Errorf("an in/out buffer for a []byte parameter must be [\"bytes\", bin], got wire type %q", what)
	}
	b, err := init.Bytes()
	if err != nil {
		return nil, fmt.Errorf("an in/out buffer: %w", err)
	}
	if b == nil {
		b = []byte{}
	}
	outs.add(arg, func(e *Encoder, _ int) error { e.Bytes(b); return nil })
	return b, nil
}

// DecodeSliceArg reads argument arg of a slice parameter of fixed-width numbers, of wire type
// wire ("[]int32") and packed kind byte kind ('i', docs/abi.md section 8.10): an out slot
// [wire, array] gives the slice dec reads from the array (or packed array), whose elements after
// the call (within its length) enc writes into outs, packed when the initial value was; any
// other value is read by dec.
func DecodeSliceArg[S ~[]T, T Number](d *Decoder, outs *Outs, arg int, wire string, kind byte, dec func(*Decoder) (S, error), enc func(*Encoder, S, int) error) (S, error) {
	what, init, ok, err := d.outSlot()
	if err != nil {
		return nil, err
	}
	if !ok {
		return dec(d)
	}
	if what != wire {
		return nil, fmt.Errorf("an in/out buffer for a %s parameter must be [%q, array], got wire type %q", wire, wire, what)
	}
	peek := init
	_, sent, packed, _ := peek.packed() // the initial elements, in the request
	s, err := dec(&init)
	if err != nil {
		return nil, fmt.Errorf("an in/out buffer: %w", err)
	}
	if packed {
		// Packed back; nil when Go left every element as it was (docs/abi.md section 8.10).
		outs.add(arg, func(e *Encoder, _ int) error { encodeChanged(e, kind, s, sent); return nil })
	} else {
		outs.add(arg, func(e *Encoder, depth int) error { return enc(e, s, depth) })
	}
	return s, nil
}

// encodeChanged writes s, the final value of a packed in/out buffer whose initial elements
// were sent: packed, or nil when its bytes are the ones sent.
func encodeChanged[S ~[]T, T Number](e *Encoder, kind byte, s S, sent []byte) {
	start := len(e.Buf)
	EncodePacked(e, kind, s)
	if end := len(e.Buf); end-len(sent) > start && bytes.Equal(e.Buf[end-len(sent):], sent) {
		e.Buf = e.Buf[:start]
		e.Nil()
	}
}

// DecodePointerArg reads argument arg of a *T parameter (T not a handle type), whose pointee
// has wire type wire ("@<key>", "int64"): an out slot [wire, initial value] (a Ref) gives a
// pointer to a fresh T made from the initial value (nil: the zero value), whose value after
// the call enc writes into outs; any other value is read by dec (nil, or a copy Go's writes
// do not reach).
func DecodePointerArg[T any](d *Decoder, outs *Outs, arg int, wire string, dec func(*Decoder) (*T, error), enc func(*Encoder, T, int) error) (*T, error) {
	what, init, ok, err := d.outSlot()
	if err != nil {
		return nil, err
	}
	if !ok {
		return dec(d)
	}
	if what != wire {
		return nil, fmt.Errorf("an out-parameter for a pointer to %s must be [%q, initial value], got wire type %q", wire, wire, what)
	}
	p, err := dec(&init)
	if err != nil {
		return nil, fmt.Errorf("the initial value of an out-parameter: %w", err)
	}
	if p == nil {
		p = new(T)
	}
	outs.add(arg, func(e *Encoder, depth int) error { return enc(e, *p, depth) })
	return p, nil
}

// WithOuts ends a successful call whose adapter holds outs: with no out slot, e is returned as
// it is; otherwise the reply [0, result] becomes [0, result, outs].
func WithOuts(e Encoder, outs *Outs) (Encoder, error) {
	if len(outs.list) == 0 {
		return e, nil
	}
	if err := writeOuts(&e, outs.list); err != nil {
		return e, err
	}
	return e, nil
}

// GoErrorOuts is GoError for an adapter that holds outs: the error reply carries the out
// values too, what Go left in them before it returned the error.
func GoErrorOuts(err error, outs *Outs) error {
	return &goError{err: err, outs: outs.list}
}

// writeOuts turns the two-element reply in e.Buf into [status, body, outs].
func writeOuts(e *Encoder, list []outSlot) error {
	e.Buf[0] = mFixArray | 3
	e.ListLen(len(list))
	for _, o := range list {
		// The reply array is depth 1, the outs list depth 2, each value depth 3.
		if err := o.enc(e, 3); err != nil {
			return &outError{arg: o.arg, err: err}
		}
	}
	return nil
}

// outError reports that the final value of the out-parameter of argument arg could not be
// encoded; Serve turns it into a bad_result reply.
type outError struct {
	arg int
	err error
}

func (e *outError) Error() string {
	return fmt.Sprintf("the out-parameter of argument %d: %v", e.arg, e.err)
}
func (e *outError) Unwrap() error { return e.err }
