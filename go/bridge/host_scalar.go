package bridge

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
)

// The scalar form of host calls (docs/abi.md section 10.8, docs/adr/0024): a func type whose
// parameters and results are all unnamed bools, ints, uints and floats (at most
// MaxScalarWords of each, not variadic) calls its host object without MessagePack: the
// arguments go as 64-bit words through a second C entry point, which writes the results back
// into the same words. Only a failure comes back as a reply ([1, {kind, message, detail}]), read
// as the general form's. A host that has no scalar entry, or that refuses it for a host object
// (its converters are not plain scalars), gets the general form (section 10.3).

// MaxScalarWords is the most words each way of a scalar call, into Go (docs/abi.md section
// 8.11: a string takes 2, a flat record its fields' words) or to the host (section 10.8: one per
// parameter and per result of a func type).
const MaxScalarWords = 8

// Outcomes of a scalar host call, as the Go caller sees them (the C entry point returns -2,
// not ScalarNoEntry, when the host registered none; the generated caller maps it).
const (
	ScalarOK      = 0 // the results are in the words
	ScalarFailed  = 1 // the reply, a failure, is returned
	ScalarNoEntry = 2 // the host registered no scalar entry point: never ask again
	ScalarRefused = 3 // the host takes this host object only in the general form
)

// ScalarFrame is the memory a scalar host call lends the host: the words, and where the host
// writes the address and length of a failure reply (Out and OutLen, as the C trampoline's out
// and out_len). It holds no Go pointers and is allocated on its own, so its address may go to
// C (and the call allocates nothing for out and out_len).
type ScalarFrame struct {
	W      [MaxScalarWords]uint64
	Out    uintptr
	OutLen uintptr
}

// HostScalarCaller sends one scalar host call: the host object id, its method, nargs argument
// words in f.W (the results are written over them, nres words), and buf lent for a failure
// reply (Send lends none: the reply comes back in the host's memory, copied by the caller). It returns the outcome (ScalarOK, ScalarFailed with the reply, ScalarRefused,
// ScalarNoEntry), or ok false when the host gave no answer. The generated main.go supplies it
// (the C trampoline).
type HostScalarCaller func(id, method uint64, f *ScalarFrame, nargs, nres int, buf []byte) (outcome int, reply []byte, ok bool)

var hostScalarCaller atomic.Pointer[HostScalarCaller]

// SetHostScalarCaller installs the function that sends scalar host calls (nil: none).
func SetHostScalarCaller(f HostScalarCaller) { storeFunc(&hostScalarCaller, f, f != nil) }

// storeFunc stores f in p, or nil when set is false.
func storeFunc[F any](p *atomic.Pointer[F], f F, set bool) {
	if !set {
		p.Store(nil)
		return
	}
	p.Store(&f)
}

// HostScalarSmall sends a scalar host call of at most two argument words and one result, by
// value (w0, w1 in, r0 out): no frame is lent to C, so such a call (func(int) int, a
// comparator) takes nothing from a pool. Its outcomes are HostScalarCaller's; a failure reply
// is returned as it is. The generated main.go supplies it.
type HostScalarSmall func(id, method uint64, nargs, nres int, w0, w1 uint64) (outcome int, r0 uint64, reply []byte, ok bool)

var hostScalarSmall atomic.Pointer[HostScalarSmall]

// SetHostScalarSmall installs the by-value sender of small scalar host calls (nil: none; the
// calls then take HostScalarCaller).
func SetHostScalarSmall(f HostScalarSmall) { storeFunc(&hostScalarSmall, f, f != nil) }

// ErrScalarRefused is what HostScalar.Send returns when the host takes the host object only in
// the general form: the caller then sends the call as a HostCall, as if the scalar form did not
// exist (the host ran nothing).
var ErrScalarRefused = errors.New("the host refused the scalar form")

// HostScalar is one scalar host call being made by a generated func wrapper: the caller writes
// the arguments into W, and after Send reads the results from it. It is a value of the
// wrapper's frame (Scalar is inlined and nothing keeps the pointer): a call of at most two
// argument words and one result goes by value (HostScalarSmall) and allocates nothing; a larger
// one copies the words into a pooled frame lent to C.
type HostScalar struct {
	W      ScalarWords
	h      *HostObject
	method uint64
}

// scalarFrames pools the frames a larger scalar host call lends C (each its own allocation,
// no Go pointers in it). No reply buffer is lent: a failure reply comes back malloc'd, copied
// into Go memory by the caller.
var scalarFrames = sync.Pool{New: func() any { return new(ScalarFrame) }}

// Scalar starts a scalar call of h's method, or returns nil when the host has no scalar entry
// point or refused it for h before (the caller then uses Call).
func (h *HostObject) Scalar(method int) *HostScalar {
	if hostScalarCaller.Load() == nil || h.noScalar.Load() {
		return nil
	}
	return &HostScalar{h: h, method: uint64(method)}
}

// Send sends the call with nargs argument words and nres result words. nil: the results are in
// W; ErrScalarRefused: nothing ran, send the call in the general form; else the *HostError of
// the failure, to end the call with Err or Fail.
func (s *HostScalar) Send(nargs, nres int) error {
	var (
		outcome int
		reply   []byte
		ok      bool
	)
	if small := hostScalarSmall.Load(); small != nil && nargs <= 2 && nres <= 1 {
		var r0 uint64
		outcome, r0, reply, ok = (*small)(s.h.id, s.method, nargs, nres, s.W[0], s.W[1])
		if outcome == ScalarOK {
			s.W[0] = r0
		}
	} else {
		f := hostScalarCaller.Load()
		if f == nil {
			return ErrScalarRefused // no scalar entry any more: nothing ran
		}
		fr := scalarFrames.Get().(*ScalarFrame)
		fr.W = s.W
		outcome, reply, ok = (*f)(s.h.id, s.method, fr, nargs, nres, nil)
		s.W = fr.W
		scalarFrames.Put(fr)
	}
	if !ok {
		return &HostError{Kind: "host_unavailable", Message: "the host did not answer (it is shutting down, or has no handler)"}
	}
	switch outcome {
	case ScalarOK:
		return nil
	case ScalarRefused, ScalarNoEntry:
		if outcome == ScalarNoEntry {
			hostScalarCaller.Store(nil)
			hostScalarSmall.Store(nil)
		}
		if !s.h.lent { // a lent depth's object stands for other callables too
			s.h.noScalar.Store(true)
		}
		return ErrScalarRefused
	case ScalarFailed:
		return scalarFailure(reply)
	}
	return &HostError{Kind: "malformed", Message: "bad reply from the host: unknown scalar outcome"}
}

// scalarFailure reads the failure reply of a scalar host call.
func scalarFailure(reply []byte) error {
	var d Decoder
	status, herr := readHostReply(&d, reply)
	switch {
	case herr != nil:
		return herr
	case status != 1:
		return &HostError{Kind: "malformed", Message: "bad reply from the host: a scalar failure without status 1"}
	}
	return hostFailure(&d)
}

// Ok ends a successful call.
func (s *HostScalar) Ok() {}

// ResultError ends a call whose result i did not fit its Go type: the error to end it with.
func (s *HostScalar) ResultError(i int) error {
	return &HostError{Kind: "bad_result", Message: fmt.Sprintf("result %d of the host callable: the value does not fit its Go type", i)}
}

// Err ends a failed call of a func type with an error result: the error to return.
func (s *HostScalar) Err(err error) error { return err }

// Fail ends a failed call of a func type without an error result, as HostCall.Fail does.
func (s *HostScalar) Fail(err error) { unwindIfAsked(err) }

// Words of the scalar form: a signed int is its int64's bits, an unsigned one its uint64, a
// float its float64's bits, a bool 0 or 1.

// IntWord is the word of a signed int.
func IntWord[T ~int | ~int8 | ~int16 | ~int32 | ~int64](v T) uint64 { return uint64(int64(v)) }

// UintWord is the word of an unsigned int.
func UintWord[T ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uintptr](v T) uint64 {
	return uint64(v)
}

// FloatWord is the word of a float.
func FloatWord[T ~float32 | ~float64](v T) uint64 { return math.Float64bits(float64(v)) }

// BoolWord is the word of a bool.
func BoolWord(v bool) uint64 {
	if v {
		return 1
	}
	return 0
}

// WordInt reads a signed int result; false when it does not fit T.
func WordInt[T ~int | ~int8 | ~int16 | ~int32 | ~int64](w uint64) (T, bool) {
	v := T(int64(w))
	return v, int64(v) == int64(w)
}

// WordUint reads an unsigned int result; false when it does not fit T.
func WordUint[T ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uintptr](w uint64) (T, bool) {
	v := T(w)
	return v, uint64(v) == w
}

// WordFloat64 reads a float64 result.
func WordFloat64(w uint64) (float64, bool) { return math.Float64frombits(w), true }

// WordFloat32 reads a float32 result; false when the float64 it carries is not a float32 (the
// host converts as for a float32 argument).
func WordFloat32(w uint64) (float32, bool) {
	f := math.Float64frombits(w)
	v := float32(f)
	return v, float64(v) == f || f != f
}

// WordBool reads a bool result; false for a word other than 0 and 1.
func WordBool(w uint64) (bool, bool) { return w == 1, w <= 1 }
