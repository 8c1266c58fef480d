package bridge

import (
	"fmt"
	"math"
	"runtime/debug"
	"strconv"
)

// The scalar form of calls (docs/abi.md section 8.11, docs/adr/0032): a function or method whose
// parameters and results are all unnamed bools, ints, uints and floats (a method's receiver a Go
// object) is called without MessagePack. The host lends an array of MaxScalarWords 64-bit
// words holding the arguments (a method's receiver handle id first); the generated ScalarCall
// calls the function directly on them and writes its results over them. Only a failure (a
// refused argument, the function's error, a panic) becomes a reply, the very reply Serve gives
// for the same call, so the host reads it with its ordinary error path.

// ScalarWords is the argument and result words of a scalar call.
type ScalarWords [MaxScalarWords]uint64

// ScalarCall is the generated dispatcher of the scalar form: it calls the function with scalar
// index fn on the argument words of w and writes its results over them. An entry with string
// results (docs/abi.md section 8.13) appends their bytes to area (given with length 0) and
// returns it, never nil (ResultArea); any other entry returns nil. On failure it returns what
// a Call adapter returns (ArgError, GoError), or ErrNoScalar for an index it does not have. It
// never keeps w or area.
type ScalarCall func(fn uint64, w *ScalarWords, area []byte) ([]byte, error)

// errNoScalar is the ScalarCall result for an index that has no scalar form.
type errNoScalar struct{}

func (errNoScalar) Error() string { return "no scalar form" }

// ErrNoScalar is what a ScalarCall returns for an index it does not have.
var ErrNoScalar error = errNoScalar{}

// Outcomes of ServeScalar (and of usegolib_call_scalar).
const (
	ScalarCallOK     = 0 // the results are in the words
	ScalarCallFailed = 1 // the reply, a failure, is returned
)

// SetScalar installs the scalar form: ids[i] is the function id (index in the table given to
// New) of scalar index i, nargs[i] the number of its argument words, and call the generated
// dispatcher. It is called once, before any call.
func (b *Bridge) SetScalar(ids, nargs []int, call ScalarCall) {
	b.scalarIDs = append([]int(nil), ids...)
	b.scalarArgs = append([]int(nil), nargs...)
	b.scalar = call
}

// ServeScalar makes the scalar call of index fn with nargs argument words in w (docs/abi.md
// sections 8.11 and 8.13). ScalarCallOK: the results are in w, and reply is the result area
// (the bytes of the string results, appended to buf[:0]; never nil for an entry with string
// results, nil for any other). ScalarCallFailed: the failure reply (section 4) is returned,
// appended to buf[:0] as Serve's replies are: for an unknown index, a wrong number of words,
// an argument word that does not fit its Go type, the function's error or a panic, the same
// reply Serve gives. It never panics. w and buf are used only during the call; both may be C
// memory.
func (b *Bridge) ServeScalar(fn uint64, w *ScalarWords, nargs int, buf []byte) (status int, reply []byte) {
	var f *Func // the function being called, for panic messages
	defer func() {
		if r := recover(); r != nil {
			status, reply = ScalarCallFailed, panicReply(buf, f, r, debug.Stack())
		}
	}()
	if fn >= uint64(len(b.scalarIDs)) || b.scalar == nil {
		return ScalarCallFailed, errorReply(buf, &failure{
			kind:    "unknown_symbol",
			message: fmt.Sprintf("no scalar form with index %d (this bridge has %d)", fn, len(b.scalarIDs)),
			detail:  []field{{"target", fn}},
		})
	}
	f = &b.funcs[b.scalarIDs[fn]]
	if want := b.scalarArgs[fn]; nargs != want {
		return ScalarCallFailed, errorReply(buf, scalarArityFailure(f, want, nargs))
	}
	area, err := b.scalar(fn, w, buf[:0])
	if err != nil {
		return ScalarCallFailed, failedCall(buf, f, err)
	}
	if len(area) > MaxMessageBytes {
		return ScalarCallFailed, errorReply(buf, limitFailure("size", MaxMessageBytes))
	}
	return ScalarCallOK, area
}

// scalarArityFailure is the arity failure of a scalar call of f with got argument words, want
// expected: the general form's when they are its parameters (one word each), else one that
// counts words.
func scalarArityFailure(f *Func, want, got int) *failure {
	if want == len(f.Params) {
		return arityFailure(f, got)
	}
	return &failure{
		kind:    "arity",
		message: fmt.Sprintf("%s takes %d argument words in the scalar form, got %d", f.Name, want, got),
		detail:  []field{{"expected", uint64(want)}, {"got", uint64(got)}},
	}
}

// The conversions of the generated scalar code between words and Go values. An argument word
// that does not fit its Go type (a host that sent 128 for an int8) is refused with the error
// the general form's decoder gives for the same value.

// IntBits is the width of int and uint on the target GOARCH (32 or 64): the generated scalar
// code checks an int or uint argument word against it (ArgInt, ArgUint).
const IntBits = strconv.IntSize

// ArgInt reads a signed integer argument of the given width (8, 16, 32 or 64) from its int64
// bits.
func ArgInt(w uint64, bits int) (int64, error) {
	v := int64(w)
	if bits < 64 && (v < -int64(1)<<(bits-1) || v > int64(1)<<(bits-1)-1) {
		return 0, argIntError(w, bits)
	}
	return v, nil
}

// argIntError is ArgInt's error, out of line so that ArgInt is inlined (with bits 64, as an
// int's on a 64-bit target, its check then folds away).
func argIntError(w uint64, bits int) error {
	name, lo, hi := intRange(bits)
	return &rangeError{intValueString(w, int64(w) < 0), name, fmt.Sprint(lo), fmt.Sprint(hi)}
}

// ArgUint reads an unsigned integer argument of the given width (8, 16, 32 or 64).
func ArgUint(w uint64, bits int) (uint64, error) {
	if bits < 64 && w>>bits != 0 {
		return 0, argUintError(w, bits)
	}
	return w, nil
}

// argUintError is ArgUint's error, out of line so that ArgUint is inlined.
func argUintError(w uint64, bits int) error {
	name, hi := uintRange(bits)
	return &rangeError{fmt.Sprint(w), name, "0", fmt.Sprint(hi)}
}

// ArgBool reads a bool argument: 0 or 1.
func ArgBool(w uint64) (bool, error) {
	if w > 1 {
		return false, fmt.Errorf("expected bool, got the word %d", w)
	}
	return w == 1, nil
}

// ArgFloat64 reads a float64 argument from its bits.
func ArgFloat64(w uint64) float64 { return math.Float64frombits(w) }

// ArgFloat32 reads a float32 argument from a float64's bits, rounded to the nearest float32; a
// finite value beyond float32's range is refused, as the general form's decoder refuses it.
func ArgFloat32(w uint64) (float32, error) {
	f := math.Float64frombits(w)
	if math.Abs(f) > math.MaxFloat32 && !math.IsInf(f, 0) {
		return 0, &rangeError{value: fmt.Sprint(f), typ: "float32"}
	}
	return float32(f), nil
}

// ScalarAgain is set in the word of a func argument whose host object the host passed before
// (ext type 5 in the general form, docs/abi.md section 10.2).
const ScalarAgain = 1 << 63

// ScalarFunc reads a func argument of the scalar form (docs/abi.md sections 8.11 and 10.9): the
// word 0 is nil, ScalarLent | n a callable the host lends for the call (only when lend says
// the parameter may be lent: the function does not keep it), any other the id of a host object
// (with ScalarAgain when passed before); mk, the generated maker of the func type, wraps it as
// DecodeFunc does.
func ScalarFunc[T any](w uint64, mk func(*HostObject) T, lend bool) (T, error) {
	var zero T
	switch {
	case w == 0:
		return zero, nil
	case w&ScalarLent != 0:
		n := w &^ ScalarLent
		if !lend {
			return zero, fmt.Errorf("a lent callable (word %#x) for a parameter the function may keep: register the callable and pass its id (docs/abi.md section 10.9)", w)
		}
		if n >= MaxLent {
			return zero, fmt.Errorf("a lent callable at place %d (word %#x), past the %d a thread may lend: register it instead (docs/abi.md section 10.9)", n, w, MaxLent)
		}
		return mk(LentHostObject(n)), nil
	case w&ScalarAgain != 0:
		return mk(HostObjectAgain(w &^ ScalarAgain)), nil
	}
	return mk(NewHostObject(w)), nil
}

// Results are written with IntWord, UintWord, FloatWord and BoolWord (host_scalar.go), and
// ResultString.

// ArgString reads a string argument of the scalar form (docs/abi.md section 8.13): a copy of
// the n bytes at the address the word addr holds (host memory lent for the call).
func ArgString(addr, n uint64) (string, error) {
	b, err := argBytes(addr, n)
	return string(b), err
}

// ArgStringView reads a string argument of a parameter read in place (docs/abi.md sections
// 8.12 and 8.13): a string over the host's bytes, valid while the function runs, which the
// compiler proves it does not keep. The host does not change them during the call.
func ArgStringView(addr, n uint64) (string, error) {
	b, err := argBytes(addr, n)
	if err != nil || len(b) == 0 {
		return "", err
	}
	return unsafeString(b), nil
}

// ResultArea is the result area of an entry with string results, from the area ServeScalar
// lends: never nil, so that ServeScalar tells it from an entry without one.
func ResultArea(area []byte) []byte {
	if area == nil {
		return []byte{} // no allocation: Go's zero-size objects share one address
	}
	return area[:0]
}

// ResultString appends the string result s to the result area and returns the area with the
// two words of s: its offset in the area and its length (docs/abi.md section 8.13).
func ResultString(area []byte, s string) ([]byte, uint64, uint64) {
	off := len(area)
	return append(area, s...), uint64(off), uint64(len(s))
}

// ScalarReceiver is the Go object that the receiver word (a handle id) of a method's scalar
// call refers to, with the general form's errors for an unknown id or a value of another type.
func ScalarReceiver[T any](id uint64, goType string) (T, error) {
	return lookupHandle[T](id, goType)
}
