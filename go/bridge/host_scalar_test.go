package bridge

import (
	"errors"
	"math"
	"runtime"
	"testing"
)

// The scalar form of host calls (docs/abi.md section 10.8) against a scalar host written in Go:
// results in the words, a failure reply, a refusal (then the general form for that host object
// only), no scalar entry (then the general form for every host object). The real host is tested
// through the generated code in tests/python/test_callbacks.py.

func TestHostScalarOutcomes(t *testing.T) {
	defer SetHostScalarCaller(nil)
	var outcome int
	var reply []byte
	calls := 0
	SetHostScalarCaller(func(id, method uint64, f *ScalarFrame, nargs, nres int, buf []byte) (int, []byte, bool) {
		w := &f.W
		calls++
		if id != 7 || method != 0 || nargs != 2 || nres != 1 {
			t.Errorf("call %d %d %d %d", id, method, nargs, nres)
		}
		if outcome == ScalarOK {
			w[0] = IntWord(int64(w[0]) + int64(w[1]))
		}
		return outcome, append(buf[:0], reply...), true
	})
	h := NewHostObject(7)
	call := func() (int64, error) {
		s := h.Scalar(0)
		if s == nil {
			return 0, ErrScalarRefused
		}
		s.W[0], s.W[1] = IntWord(-40), IntWord(int8(-2))
		if err := s.Send(2, 1); err != nil {
			if err != ErrScalarRefused {
				return 0, s.Err(err)
			}
			return 0, err
		}
		v, ok := WordInt[int64](s.W[0])
		if !ok {
			t.Fatal("an int64 word did not fit an int64")
		}
		s.Ok()
		return v, nil
	}
	if v, err := call(); err != nil || v != -42 {
		t.Fatalf("Send: %d, %v", v, err)
	}

	outcome = ScalarFailed
	var e Encoder
	e.ListLen(2)
	e.Uint(1)
	if err := e.Value(map[string]any{"kind": "python_exception", "message": "ValueError: no",
		"detail": map[string]any{"type": "ValueError", "unwind": true}}); err != nil {
		t.Fatal(err)
	}
	reply = e.Buf
	_, err := call()
	var he *HostError
	if !errors.As(err, &he) || he.Kind != "python_exception" || he.Message != "ValueError: no" || !he.Unwind {
		t.Fatalf("a failure: %#v", err)
	}
	reply = []byte{0x92, 0, 0xc0} // a success is never a reply
	if _, err := call(); !errors.As(err, &he) || he.Kind != "malformed" {
		t.Fatalf("a success reply: %v", err)
	}

	outcome = ScalarRefused
	if _, err := call(); err != ErrScalarRefused {
		t.Fatalf("a refusal: %v", err)
	}
	n := calls
	if _, err := call(); err != ErrScalarRefused || calls != n {
		t.Fatalf("asked again after a refusal: %v, %d calls", err, calls-n)
	}
	h2 := NewHostObject(7)
	if h2.Scalar(0) == nil {
		t.Fatal("a refusal for one host object stopped the scalar form for another")
	}

	outcome = ScalarNoEntry
	if s := h2.Scalar(0); s == nil || s.Send(2, 1) != ErrScalarRefused {
		t.Fatal("no scalar entry: not refused")
	}
	if hostScalarCaller.Load() != nil || NewHostObject(8).Scalar(0) != nil {
		t.Fatal("no scalar entry: still asked")
	}
	runtime.KeepAlive(h)
	runtime.KeepAlive(h2)
}

func TestScalarWords(t *testing.T) {
	if v, ok := WordInt[int8](IntWord(int64(-128))); !ok || v != -128 {
		t.Errorf("int8 -128: %d %v", v, ok)
	}
	if _, ok := WordInt[int8](IntWord(int64(128))); ok {
		t.Error("128 fit an int8")
	}
	if _, ok := WordUint[uint16](UintWord(uint64(1 << 16))); ok {
		t.Error("65536 fit a uint16")
	}
	if v, ok := WordUint[uint64](UintWord(uint64(math.MaxUint64))); !ok || v != math.MaxUint64 {
		t.Errorf("max uint64: %d %v", v, ok)
	}
	if v, ok := WordFloat32(FloatWord(float32(1.5))); !ok || v != 1.5 {
		t.Errorf("float32 1.5: %v %v", v, ok)
	}
	if _, ok := WordFloat32(FloatWord(0.1)); ok {
		t.Error("float64 0.1 read as a float32")
	}
	if v, ok := WordFloat32(FloatWord(math.NaN())); !ok || v == v {
		t.Errorf("NaN: %v %v", v, ok)
	}
	if v, ok := WordFloat64(FloatWord(-2.25)); !ok || v != -2.25 {
		t.Errorf("float64: %v %v", v, ok)
	}
	if v, ok := WordBool(BoolWord(true)); !ok || !v {
		t.Error("true")
	}
	if _, ok := WordBool(2); ok {
		t.Error("2 read as a bool")
	}
}

// A call of at most two argument words and one result goes by value (HostScalarSmall), with the
// same outcomes, and allocates nothing; a larger one still takes the frame lent to C.
func TestHostScalarSmall(t *testing.T) {
	defer SetHostScalarCaller(nil)
	defer SetHostScalarSmall(nil)
	var outcome int
	var reply []byte
	small, framed := 0, 0
	SetHostScalarCaller(func(id, method uint64, f *ScalarFrame, nargs, nres int, buf []byte) (int, []byte, bool) {
		framed++
		f.W[0] = f.W[0] + f.W[1] + f.W[2]
		return ScalarOK, nil, true
	})
	SetHostScalarSmall(func(id, method uint64, nargs, nres int, w0, w1 uint64) (int, uint64, []byte, bool) {
		small++
		if id != 11 || nargs != 2 || nres != 1 {
			t.Errorf("call %d %d %d", id, nargs, nres)
		}
		return outcome, w0 * w1, reply, true
	})
	h := NewHostObject(11)
	mul := func(a, b int64) (int64, error) {
		s := h.Scalar(0)
		if s == nil {
			return 0, ErrScalarRefused
		}
		s.W[0], s.W[1] = IntWord(a), IntWord(b)
		if err := s.Send(2, 1); err != nil {
			return 0, err
		}
		v, _ := WordInt[int64](s.W[0])
		s.Ok()
		return v, nil
	}
	if v, err := mul(6, -7); err != nil || v != -42 || small != 1 || framed != 0 {
		t.Fatalf("small: %d %v (%d small, %d framed)", v, err, small, framed)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = mul(2, 3) }); n != 0 {
		t.Fatalf("%v allocations per small scalar host call", n)
	}
	outcome = ScalarFailed
	var e Encoder
	e.ListLen(2)
	e.Uint(1)
	if err := e.Value(map[string]any{"kind": "python_exception", "message": "ValueError: no"}); err != nil {
		t.Fatal(err)
	}
	reply = e.Buf
	var he *HostError
	if _, err := mul(1, 1); !errors.As(err, &he) || he.Message != "ValueError: no" {
		t.Fatalf("a failure: %v", err)
	}
	s := NewHostObject(12).Scalar(0)
	s.W[0], s.W[1], s.W[2] = 1, 2, 3
	if err := s.Send(3, 1); err != nil || s.W[0] != 6 || framed != 1 {
		t.Fatalf("three words: %v, %d, %d framed", err, s.W[0], framed)
	}
	outcome = ScalarNoEntry
	if _, err := mul(1, 1); err != ErrScalarRefused || hostScalarSmall.Load() != nil || hostScalarCaller.Load() != nil {
		t.Fatalf("no scalar entry: %v", err)
	}
	runtime.KeepAlive(h)
}

// A refusal for a lent callable (docs/abi.md section 10.9) sends that call in the general form
// but leaves the scalar form on for its depth's object, which stands for other callables too.
func TestHostScalarRefusedLentStaysScalar(t *testing.T) {
	defer SetHostScalarCaller(nil)
	refuse := true
	SetHostScalarCaller(func(id, method uint64, f *ScalarFrame, nargs, nres int, buf []byte) (int, []byte, bool) {
		if id != ScalarLent|5 {
			t.Errorf("id %#x", id)
		}
		if refuse {
			return ScalarRefused, nil, true
		}
		f.W[0]++
		return ScalarOK, nil, true
	})
	h := LentHostObject(5)
	if h != LentHostObject(5) || h.id != ScalarLent|5 || !h.lent {
		t.Fatalf("lent object %+v", h)
	}
	for _, want := range []error{ErrScalarRefused, nil} {
		s := h.Scalar(0)
		if s == nil {
			t.Fatal("the scalar form is off for a lent depth after a refusal")
		}
		s.W[0] = 41
		if err := s.Send(1, 1); err != want {
			t.Fatalf("Send: %v, want %v", err, want)
		}
		refuse = false
	}
}
