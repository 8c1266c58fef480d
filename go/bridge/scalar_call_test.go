package bridge

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"
)

// scalarTestIDs are the test functions with a scalar form, by scalar index (the order
// testScalar's cases have, as the generator writes them).
var scalarTestIDs = []string{"AddInt", "DivMod", "Div", "Int8", "Uint16", "Float32", "Not", "PanicError", "Nothing", "Check", "Repeat"}

// scalarTestArgs are the argument words of each scalar index (a string takes two).
var scalarTestArgs = []int{2, 2, 2, 1, 1, 1, 1, 0, 0, 2, 3}

// testScalar is the ScalarCall the generator would write for scalarTestIDs.
func testScalar(fn uint64, w *ScalarWords, area []byte) ([]byte, error) {
	switch fn {
	case 0:
		a0 := int(int64(w[0]))
		a1 := int(int64(w[1]))
		w[0] = IntWord(a0 + a1)
		return nil, nil
	case 1:
		a0 := int(int64(w[0]))
		a1 := int(int64(w[1]))
		r0, r1 := divMod(a0, a1)
		w[0] = IntWord(r0)
		w[1] = IntWord(r1)
		return nil, nil
	case 2:
		a0 := int(int64(w[0]))
		a1 := int(int64(w[1]))
		r0, err := div(a0, a1)
		if err != nil {
			return nil, GoError(err)
		}
		w[0] = IntWord(r0)
		return nil, nil
	case 3:
		v0, err := ArgInt(w[0], 8)
		if err != nil {
			return nil, ArgError(0, err)
		}
		w[0] = IntWord(int8(v0))
		return nil, nil
	case 4:
		v0, err := ArgUint(w[0], 16)
		if err != nil {
			return nil, ArgError(0, err)
		}
		w[0] = UintWord(uint16(v0))
		return nil, nil
	case 5:
		a0, err := ArgFloat32(w[0])
		if err != nil {
			return nil, ArgError(0, err)
		}
		w[0] = FloatWord(a0)
		return nil, nil
	case 6:
		a0, err := ArgBool(w[0])
		if err != nil {
			return nil, ArgError(0, err)
		}
		w[0] = BoolWord(!a0)
		return nil, nil
	case 7:
		panicError()
		return nil, nil
	case 8:
		return nil, nil
	case 9:
		a0, err := ArgString(w[0], w[1])
		if err != nil {
			return nil, ArgError(0, err)
		}
		if err := check(a0); err != nil {
			return nil, GoError(err)
		}
		return nil, nil
	case 10:
		a0, err := ArgStringView(w[0], w[1])
		if err != nil {
			return nil, ArgError(0, err)
		}
		a1 := int(int64(w[2]))
		r0, r1 := repeat(a0, a1)
		area = ResultArea(area)
		area, w[0], w[1] = ResultString(area, r0)
		w[2] = IntWord(r1)
		return area, nil
	}
	return nil, ErrNoScalar
}

func newScalarBridge() *Bridge {
	b := newTestBridge()
	var ids []int
	for _, name := range scalarTestIDs {
		ids = append(ids, int(testIDs[name]))
	}
	b.SetScalar(ids, scalarTestArgs, testScalar)
	return b
}

// serveBoth makes the call of test function name with args both ways: the scalar form with the
// words, and Serve with the request of the same values. It returns the scalar status, the
// words after the call, the scalar reply and the general reply.
func serveBoth(t testing.TB, b *Bridge, idx uint64, words []uint64, args ...any) (int, ScalarWords, []byte, []byte) {
	t.Helper()
	var w ScalarWords
	copy(w[:], words)
	st, rep := b.ServeScalar(idx, &w, len(words), make([]byte, 0, 256))
	general := b.Serve(callReq(scalarTestIDs[idx], args...), make([]byte, 0, 256))
	return st, w, append([]byte(nil), rep...), general
}

func TestServeScalarMatchesServe(t *testing.T) {
	b := newScalarBridge()
	i64 := func(v int64) uint64 { return uint64(v) }
	cases := []struct {
		idx   uint64
		words []uint64
		args  []any
	}{
		{0, []uint64{i64(1), i64(2)}, []any{int64(1), int64(2)}},
		{0, []uint64{i64(math.MinInt64), i64(-1)}, []any{int64(math.MinInt64), int64(-1)}},
		{1, []uint64{i64(17), i64(5)}, []any{int64(17), int64(5)}},
		{2, []uint64{i64(7), i64(2)}, []any{int64(7), int64(2)}},
		{2, []uint64{i64(7), 0}, []any{int64(7), int64(0)}},   // the function's error
		{3, []uint64{i64(-128)}, []any{int64(-128)}},          // fits
		{3, []uint64{i64(128)}, []any{int64(128)}},            // out of range
		{3, []uint64{i64(-129)}, []any{int64(-129)}},          // out of range
		{4, []uint64{65535}, []any{uint64(65535)}},            // fits
		{4, []uint64{65536}, []any{uint64(65536)}},            // out of range
		{4, []uint64{i64(-1)}, []any{uint64(math.MaxUint64)}}, // a negative word is a huge uint
		{5, []uint64{math.Float64bits(1.5)}, []any{1.5}},      // exact
		{5, []uint64{math.Float64bits(0.1)}, []any{0.1}},      // rounded to float32
		{5, []uint64{math.Float64bits(1e300)}, []any{1e300}},  // out of range
		{5, []uint64{math.Float64bits(math.Inf(-1))}, []any{math.Inf(-1)}},
		{6, []uint64{1}, []any{true}},
		{6, []uint64{0}, []any{false}},
		{8, nil, nil},
	}
	for _, c := range cases {
		st, w, rep, general := serveBoth(t, b, c.idx, c.words, c.args...)
		g, err := parseReply(general)
		if err != nil {
			t.Fatalf("%s%v: general reply: %v", scalarTestIDs[c.idx], c.args, err)
		}
		if g.status != 0 {
			if st != ScalarCallFailed || !bytes.Equal(rep, general) {
				t.Errorf("%s%v: scalar %d %x, general %s", scalarTestIDs[c.idx], c.args, st, rep, g)
			}
			continue
		}
		if st != ScalarCallOK {
			r, _ := parseReply(rep)
			t.Errorf("%s%v: scalar failed (%v), general %s", scalarTestIDs[c.idx], c.args, r, g)
			continue
		}
		var got any
		switch c.idx {
		case 0, 2, 3:
			got = int64(w[0])
		case 1:
			got = []any{int64(w[0]), int64(w[1])}
		case 4:
			got = w[0]
		case 5:
			got = math.Float64frombits(w[0])
		case 6:
			got = w[0] == 1
		case 8:
			got = nil
		}
		if want := normalise(g.ok); !equalValue(normalise(got), want) {
			t.Errorf("%s%v: scalar %#v, general %#v", scalarTestIDs[c.idx], c.args, got, want)
		}
	}
}

// normalise makes the decoded Level-1 values comparable: ints as int64 when they fit, float32
// results widened.
func normalise(v any) any {
	switch x := v.(type) {
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x)
		}
	case float32:
		return float64(x)
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = normalise(x[i])
		}
		return out
	}
	return v
}

func equalValue(a, b any) bool {
	as, aok := a.([]any)
	bs, bok := b.([]any)
	if aok || bok {
		if !aok || !bok || len(as) != len(bs) {
			return false
		}
		for i := range as {
			if !equalValue(as[i], bs[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}

func TestServeScalarFailures(t *testing.T) {
	b := newScalarBridge()
	var w ScalarWords
	check := func(name string, st int, rep []byte, kind, message string) {
		t.Helper()
		if st != ScalarCallFailed {
			t.Fatalf("%s: status %d", name, st)
		}
		r, err := parseReply(rep)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r.kind != kind || (message != "" && r.message != message) {
			t.Errorf("%s: got %s, want %s %q", name, r, kind, message)
		}
	}
	st, rep := b.ServeScalar(99, &w, 0, nil)
	check("unknown index", st, rep, "unknown_symbol", "no scalar form with index 99 (this bridge has 11)")
	st, rep = b.ServeScalar(0, &w, 3, nil)
	check("arity", st, rep, "arity", "example.com/calc.AddInt takes 2 arguments, got 3")
	w[0] = 2
	st, rep = b.ServeScalar(6, &w, 1, nil)
	check("bool word", st, rep, "bad_argument", "argument 0 (b bool): expected bool, got the word 2")
	st, rep = b.ServeScalar(7, &w, 0, nil)
	check("panic", st, rep, "go_panic", "")
	if st, rep := New(testFuncs, nil).ServeScalar(0, &w, 2, nil); st != ScalarCallFailed || len(rep) == 0 {
		t.Errorf("a bridge without a scalar form: %d %x", st, rep)
	}
}

func TestServeScalarAllocatesNothing(t *testing.T) {
	b := newScalarBridge()
	var w ScalarWords
	if n := testing.AllocsPerRun(1000, func() {
		w[0], w[1] = 1, 2
		if st, _ := b.ServeScalar(0, &w, 2, nil); st != ScalarCallOK || w[0] != 3 {
			t.Fatal("AddInt(1, 2) failed")
		}
	}); n != 0 {
		t.Errorf("%v allocations per scalar call", n)
	}
}

// FuzzServeScalar checks that any words give the general form's answer for the same values:
// the same results, or byte for byte the same failure reply.
func FuzzServeScalar(f *testing.F) {
	f.Add(uint8(0), uint64(1), uint64(2))
	f.Add(uint8(3), uint64(128), uint64(0))
	f.Add(uint8(4), uint64(1<<16), uint64(0))
	f.Add(uint8(5), math.Float64bits(3.5e38), uint64(0))
	f.Add(uint8(2), uint64(5), uint64(0))
	b := newScalarBridge()
	f.Fuzz(func(t *testing.T, which uint8, a, c uint64) {
		var args []any
		var words []uint64
		idx := uint64(which % 6)
		switch idx {
		case 0, 1, 2:
			words, args = []uint64{a, c}, []any{int64(a), int64(c)}
		case 3:
			words, args = []uint64{a}, []any{int64(a)}
		case 4:
			words, args = []uint64{a}, []any{a}
		case 5:
			f := math.Float64frombits(a)
			if f != f {
				return // NaN: equal neither way
			}
			words, args = []uint64{a}, []any{f}
		}
		if idx == 1 && int64(c) == 0 || idx <= 2 && int64(a) == math.MinInt64 && int64(c) == -1 {
			return // DivMod panics on zero; MinInt64 / -1 overflows in both
		}
		st, w, rep, general := serveBoth(t, b, idx, words, args...)
		g, err := parseReply(general)
		if err != nil {
			t.Fatal(err)
		}
		if g.status != 0 {
			if st != ScalarCallFailed || !bytes.Equal(rep, general) {
				t.Fatalf("%d %v: scalar %d %x, general %s", idx, args, st, rep, g)
			}
			return
		}
		if st != ScalarCallOK {
			t.Fatalf("%d %v: scalar failed, general %s", idx, args, g)
		}
		var got any = int64(w[0])
		switch idx {
		case 1:
			got = []any{int64(w[0]), int64(w[1])}
		case 4:
			got = normalise(w[0])
		case 5:
			got = math.Float64frombits(w[0])
		}
		if want := normalise(g.ok); !equalValue(got, want) {
			t.Fatalf("%d %v: scalar %#v, general %#v", idx, args, got, want)
		}
	})
}

// The width checks the generated code uses for int and uint (IntBits): a 32-bit target refuses
// a word beyond 32 bits with the decoder's range error, a 64-bit one takes every word.
func TestArgIntWidth(t *testing.T) {
	big, neg := uint64(1)<<40, uint64(0xFFFFFFFF7FFFFFFF) // 2^40 and -2^31-1
	for _, c := range []struct {
		w    uint64
		bits int
		ok   bool
	}{{big, 64, true}, {big, 32, false}, {neg, 32, false}, {neg, 64, true}, {1<<31 - 1, 32, true}, {uint64(0xFFFFFFFF80000000), 32, true}} {
		if _, err := ArgInt(c.w, c.bits); (err == nil) != c.ok {
			t.Errorf("ArgInt(%#x, %d): err %v, want ok %v", c.w, c.bits, err, c.ok)
		} else if err != nil && !strings.Contains(err.Error(), "int32") {
			t.Errorf("ArgInt(%#x, %d): %v, want the int32 range", c.w, c.bits, err)
		}
	}
	for _, c := range []struct {
		w    uint64
		bits int
		ok   bool
	}{{big, 64, true}, {big, 32, false}, {1<<32 - 1, 32, true}} {
		if _, err := ArgUint(c.w, c.bits); (err == nil) != c.ok {
			t.Errorf("ArgUint(%#x, %d): err %v, want ok %v", c.w, c.bits, err, c.ok)
		}
	}
	if _, err := ArgInt(big, IntBits); (err == nil) != (IntBits == 64) {
		t.Errorf("ArgInt(2^40, IntBits=%d): %v", IntBits, err)
	}
}

// A func argument's word (docs/abi.md sections 8.11.1 and 10.9): 0 is nil, an id a new host
// object, an id with ScalarAgain the one Go still has for it (one more pass), as ext 2 and ext 5
// are; ScalarLent | n the object of lent depth n, only for a parameter that may be lent.
func TestScalarFunc(t *testing.T) {
	var made []*HostObject
	mk := func(h *HostObject) func() uint64 {
		made = append(made, h)
		return func() uint64 { return h.id }
	}
	must := func(f func() uint64, err error) func() uint64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	if f := must(ScalarFunc(0, mk, false)); f != nil || len(made) != 0 {
		t.Fatalf("word 0: nil %v, %d made", f == nil, len(made))
	}
	const id = 1<<40 + 7
	if f := must(ScalarFunc(id, mk, false)); f == nil || f() != id || made[0].again.Load() {
		t.Fatalf("new id: %v", made)
	}
	a := must(ScalarFunc(id+1|ScalarAgain, mk, true))
	b := must(ScalarFunc(id+1|ScalarAgain, mk, false))
	if a() != id+1 || b() != id+1 || made[1] != made[2] || !made[1].again.Load() || made[1].passes.Load() != 2 {
		t.Fatalf("passed again: %v", made)
	}

	// Lent: one object per depth, never counted or released, and only where lending is allowed.
	live := HostLive()
	l0 := must(ScalarFunc(ScalarLent|3, mk, true))
	l1 := must(ScalarFunc(ScalarLent|3, mk, true))
	if l0() != ScalarLent|3 || l1() != ScalarLent|3 || made[3] != made[4] || !made[3].lent || made[3].passes != nil {
		t.Fatalf("lent: %v", made[3:])
	}
	if HostLive() != live {
		t.Errorf("a lent callable was counted as held: %d live, want %d", HostLive(), live)
	}
	for _, w := range []uint64{ScalarLent | MaxLent, ScalarLent | ScalarAgain | 1, ScalarLent} {
		lend := w != ScalarLent
		if f, err := ScalarFunc(w, mk, lend); err == nil || f != nil {
			t.Errorf("word %#x (lend %v): no error", w, lend)
		}
	}
	if len(made) != 5 {
		t.Errorf("a refused word made a func: %d made", len(made))
	}
}

// A lent id in the general form is refused: only the scalar form lends.
func TestHostObjectLentIDRefused(t *testing.T) {
	var d Decoder
	d.Reset(binary.BigEndian.AppendUint64([]byte{mFixExt8, extHost}, ScalarLent|1))
	if _, err := DecodeFunc[func()](&d, "func()", func(h *HostObject) func() { return func() {} }); err == nil {
		t.Fatal("a lent id decoded in the general form")
	}
}

// One lent object per depth stands for every callable lent there, whatever its func type: the
// func made last is kept, and threads racing to make the object get one.
func TestLentHostObjectShared(t *testing.T) {
	const n = 9
	objs := make(chan *HostObject, 8)
	for range 8 {
		go func() { objs <- LentHostObject(n) }()
	}
	first := <-objs
	for range 7 {
		if h := <-objs; h != first {
			t.Fatal("two objects for one lent depth")
		}
	}
	h := first
	h.SetMade(func(int64) int64 { return 1 })
	if _, ok := h.Made().(func(int64) int64); !ok {
		t.Fatal("a lent object did not keep its func")
	}
	h.SetMade(func(float64) bool { return true })
	if _, ok := h.Made().(func(float64) bool); !ok {
		t.Fatal("a lent object kept the func of the type made before")
	}
}
