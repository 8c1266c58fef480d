package bridge

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func TestHandleSuccess(t *testing.T) {
	b := newTestBridge()
	cases := []struct {
		name string
		req  []byte
		want any
	}{
		{"one result", callReq("AddInt", 1, 2), int64(3)},
		{"the example of docs/abi.md section 3", hexBytes("94 01 00 00 92 01 02"), int64(3)},
		{"by name", encodeRequest(1, 0, "example.com/calc.AddInt", -5, 2), int64(-3)},
		{"non-canonical args and header", hexBytes("94 cc 01 d0 00 cd 00 00 dc 00 02 d3 00 00 00 00 00 00 00 01 cc 02"), int64(3)},
		{"no results", callReq("Nothing"), nil},
		{"two results", callReq("DivMod", 7, 2), []any{int64(3), int64(1)}},
		{"(T, error) with nil error", callReq("Div", 7, 2), int64(3)},
		{"error only, nil", callReq("Check", "x"), nil},
		{"int8 max", callReq("Int8", 127), int64(127)},
		{"int8 min", callReq("Int8", -128), int64(-128)},
		{"uint16 max", callReq("Uint16", 65535), int64(65535)},
		{"bytes", callReq("Echo", []byte{0, 0xff}), []byte{0, 0xff}},
		{"nil bytes gives empty bin", callReq("Echo", nil), []byte{}},
		{"list of strings", callReq("Join", []string{"a", "\xff", "c"}, "-"), "a-\xff-c"},
		{"nil list", callReq("Join", nil, "-"), ""},
		{"sum", callReq("Sum", []int64{1, 2, 3}), int64(6)},
		{"float32 from int", callReq("Float32", 3), float32(3)},
		{"float32 from float64", callReq("Float32", 0.5), float32(0.5)},
		{"float64 from float32", callReq("Scale", float32(1.5), 2), 3.0},
		{"nested lists", callReq("Grid", []any{[]any{1, 2}, nil, []any{}}), []any{[]any{int64(1), int64(2)}, []any{}, []any{}}},
		{"bool", callReq("Not", false), true},
	}
	for _, c := range cases {
		r := handle(t, b, c.req)
		if r.status != 0 || !reflect.DeepEqual(r.ok, c.want) {
			t.Errorf("%s: %v, want ok %#v", c.name, r, c.want)
		}
	}
	// The exact reply bytes of the section 3 example.
	out, release := b.Handle(hexBytes("94 01 00 00 92 01 02"))
	if want := hexBytes("92 00 03"); !bytes.Equal(out, want) {
		t.Errorf("AddInt(1, 2) reply % x, want % x", out, want)
	}
	release()
}

func TestHandleErrors(t *testing.T) {
	b := newTestBridge()
	type kv = map[string]any
	cases := []struct {
		name    string
		req     []byte
		kind    string
		detail  kv // every detail entry, exactly
		message string
	}{
		{"go_error from (T, error)", callReq("Div", 1, 0), "go_error",
			kv{"type": "*errors.errorString"}, "division by zero"},
		{"go_error from error only", callReq("Check", ""), "go_error",
			kv{"type": "*bridge.checkError"}, "check failed: empty input"},
		{"go_error whose Error method panics on its nil receiver", callReq("BadError"), "go_error",
			kv{"type": "*bridge.badError"}, "<nil>"},
		{"arity: too many", callReq("AddInt", 1, 2, 3), "arity",
			kv{"expected": int64(2), "got": int64(3)}, "example.com/calc.AddInt takes 2 arguments, got 3"},
		{"arity: too few", callReq("AddInt"), "arity", kv{"expected": int64(2), "got": int64(0)}, ""},
		{"arity: none expected", callReq("Nothing", 1), "arity", kv{"expected": int64(0), "got": int64(1)}, ""},
		{"bad argument: range", callReq("Int8", 128), "bad_argument",
			kv{"index": int64(0), "param": "a", "go_type": "int8", "reason": "value 128 is out of range for int8 [-128, 127]"},
			"argument 0 (a int8): value 128 is out of range for int8 [-128, 127]"},
		{"bad argument: negative uint", callReq("Uint16", -1), "bad_argument",
			kv{"index": int64(0), "param": "a", "go_type": "uint16", "reason": "value -1 is out of range for uint16 [0, 65535]"}, ""},
		{"bad argument: second", callReq("AddInt", 1, "2"), "bad_argument",
			kv{"index": int64(1), "param": "b", "go_type": "int", "reason": "expected int64, got string"},
			"argument 1 (b int): expected int64, got string"},
		{"bad argument: bool is not int", callReq("AddInt", true, 1), "bad_argument",
			kv{"index": int64(0), "param": "a", "go_type": "int", "reason": "expected int64, got bool"}, ""},
		{"bad argument: float is not int", callReq("AddInt", 1.0, 1), "bad_argument",
			kv{"index": int64(0), "param": "a", "go_type": "int", "reason": "expected int64, got float64"}, ""},
		{"bad argument: int is not bool", callReq("Not", 1), "bad_argument",
			kv{"index": int64(0), "param": "b", "go_type": "bool", "reason": "expected bool, got int"}, ""},
		{"bad argument: element", callReq("Join", []any{"a", 2}, "-"), "bad_argument",
			kv{"index": int64(0), "param": "xs", "go_type": "[]string", "reason": "element 1: expected string, got int"}, ""},
		{"bad argument: nested element", callReq("Grid", []any{[]any{}, []any{1, "x"}}), "bad_argument",
			kv{"index": int64(0), "param": "g", "go_type": "[][]int64", "reason": "element 1: element 1: expected int64, got string"}, ""},
		{"bad argument: float32 range", callReq("Float32", 1e39), "bad_argument",
			kv{"index": int64(0), "param": "f", "go_type": "float32", "reason": "value 1e+39 is out of range for float32"}, ""},
		{"bad argument: str for bytes", callReq("Echo", "x"), "bad_argument",
			kv{"index": int64(0), "param": "b", "go_type": "[]byte", "reason": "expected bytes, got string"}, ""},
		{"bad argument: map", callReq("Sum", map[string]any{}), "bad_argument",
			kv{"index": int64(0), "param": "xs", "go_type": "[]int64", "reason": "expected array, got map"}, ""},
		{"unknown id", encodeRequest(1, 0, 1000), "unknown_symbol", kv{"target": int64(1000)}, ""},
		{"unknown id 2^64-1", encodeRequest(1, 0, uint64(math.MaxUint64)), "unknown_symbol", kv{"target": uint64(math.MaxUint64)}, ""},
		{"unknown name", encodeRequest(1, 0, "example.com/calc.Nope"), "unknown_symbol",
			kv{"target": "example.com/calc.Nope"}, `no function named "example.com/calc.Nope"`},
		{"skipped name", encodeRequest(1, 0, "example.com/calc.Send", 1), "skipped_symbol",
			kv{"name": "example.com/calc.Send", "reason": "parameter ch has type chan int: channels are not supported"}, ""},
		{"abi 2", encodeRequest(2, 0, 0, 1, 2), "abi_version", kv{"got": int64(2), "want": int64(1)}, ""},
		{"abi 0", encodeRequest(0, 0, 0), "abi_version", kv{"got": int64(0), "want": int64(1)}, ""},
		{"abi 2 with another shape", hexBytes("92 02 c0"), "abi_version", kv{"got": int64(2), "want": int64(1)}, ""},
		{"unsupported op", encodeRequest(1, 1, 0, 1, 2), "unsupported_op", kv{"op": int64(1)}, ""},
		{"trailing bytes", append(callReq("AddInt", 1, 2), 0), "malformed", kv{"offset": int64(7)}, ""},
		{"truncated", callReq("AddInt", 1, 300)[:8], "malformed", kv{"offset": int64(6)}, ""},
		{"not an array", hexBytes("a1 78"), "malformed", kv{"offset": int64(0)}, ""},
		{"empty array", hexBytes("90"), "malformed", kv{"offset": int64(0)}, ""},
		{"three elements", hexBytes("93 01 00 00"), "malformed", kv{"offset": int64(0)}, ""},
		{"five elements", hexBytes("95 01 00 00 90 90"), "malformed", kv{"offset": int64(0)}, ""},
		{"abi is a string", hexBytes("94 a1 31 00 00 90"), "malformed", kv{"offset": int64(1)}, ""},
		{"abi is negative", hexBytes("94 ff 00 00 90"), "malformed", kv{"offset": int64(1)}, ""},
		{"op is nil", hexBytes("94 01 c0 00 90"), "malformed", kv{"offset": int64(2)}, ""},
		{"target is negative", hexBytes("94 01 00 ff 90"), "malformed", kv{"offset": int64(3)}, ""},
		{"target is bin", hexBytes("94 01 00 c4 00 90"), "malformed", kv{"offset": int64(3)}, ""},
		{"args is nil", hexBytes("94 01 00 00 c0"), "malformed", kv{"offset": int64(4)}, ""},
		{"args is a map", hexBytes("94 01 00 00 80"), "malformed", kv{"offset": int64(4)}, ""},
		{"depth", append(hexBytes("94 01 00 00"), append(bytes.Repeat([]byte{0x91}, 64), 0xc0)...), "limit_exceeded",
			kv{"limit": "depth", "max": int64(MaxDepth)}, ""},
	}
	for _, c := range cases {
		r := handle(t, b, c.req)
		got := map[string]any{}
		for _, f := range r.detail {
			got[f.key] = f.val
		}
		if r.status != 1 || r.kind != c.kind || !reflect.DeepEqual(got, c.detail) {
			t.Errorf("%s: %v, want %s %v", c.name, r, c.kind, c.detail)
		}
		if c.message != "" && r.message != c.message {
			t.Errorf("%s: message %q, want %q", c.name, r.message, c.message)
		}
		if strings.Contains(r.message, "\n") && c.kind != "go_error" {
			t.Errorf("%s: message is not one line: %q", c.name, r.message)
		}
	}
}

func TestHandleErrorReplyBytes(t *testing.T) {
	// The layout of docs/abi.md section 4, byte for byte: [1, {kind, message, detail}].
	out, release := newTestBridge().Handle(encodeRequest(1, 7, 0))
	defer release()
	var e Encoder
	e.ListLen(2)
	e.Uint(1)
	e.MapLen(3)
	e.String("kind")
	e.String("unsupported_op")
	e.String("message")
	e.String("op 7 is not supported: ABI 1 bridges know op 0 (call a function) and op 2 (release a handle)")
	e.String("detail")
	e.MapLen(1)
	e.String("op")
	e.Uint(7)
	if !bytes.Equal(out, e.Buf) {
		t.Errorf("reply\n% x\nwant\n% x", out, e.Buf)
	}
}

func TestHandlePanics(t *testing.T) {
	b := newTestBridge()
	cases := []struct {
		name, req, value, typ, frame string
	}{
		{"string", string(callReq("PanicString", "oh no")), "oh no", "string", "bridge.panicString"},
		{"error value", string(callReq("PanicError")), "boom", "*errors.errorString", "bridge.panicError"},
		{"nil dereference", string(callReq("PanicNil")), "runtime error: invalid memory address or nil pointer dereference",
			"runtime.errorString", "bridge.panicNilDeref"},
		{"integer division by zero", string(callReq("DivMod", 1, 0)), "runtime error: integer divide by zero",
			"runtime.errorString", "bridge.divMod"},
	}
	for _, c := range cases {
		r := handle(t, b, []byte(c.req))
		if r.kind != "go_panic" || r.get("value") != c.value || r.get("type") != c.typ {
			t.Errorf("%s: %v, want value %q type %q", c.name, r, c.value, c.typ)
			continue
		}
		stack, _ := r.get("stack").(string)
		if !strings.Contains(stack, c.frame) || !strings.Contains(stack, "goroutine ") {
			t.Errorf("%s: stack does not mention %s:\n%s", c.name, c.frame, stack)
		}
		if len(r.detail) != 3 || !strings.Contains(r.message, c.value) {
			t.Errorf("%s: %v", c.name, r)
		}
	}
	// The bridge keeps working after panics.
	if r := handle(t, b, callReq("AddInt", 2, 2)); r.ok != int64(4) {
		t.Errorf("after panics: %v", r)
	}
}

// panicky is a panic value whose String method panics too.
type panicky struct{}

func (panicky) String() string { panic("again") }

func TestHandlePanicValues(t *testing.T) {
	b := New([]Func{
		{Name: "m.PanicNil", Call: func(d Decoder, e Encoder) (Encoder, error) { panic(nil) }},
		{Name: "m.PanicStringer", Call: func(d Decoder, e Encoder) (Encoder, error) { panic(panicky{}) }},
		{Name: "m.PanicInt", Call: func(d Decoder, e Encoder) (Encoder, error) { panic(42) }},
		{Name: "m.NilCall"},
		{Name: "m.PartialThenPanic", Call: func(d Decoder, e Encoder) (Encoder, error) { e.ListLen(3); e.Int(1); panic("late") }},
		{Name: "m.PartialThenError", Call: func(d Decoder, e Encoder) (Encoder, error) {
			e.ListLen(3)
			return e, GoError(fmt.Errorf("wrapped: %w", errNotFound))
		}},
		{Name: "m.BareError", Call: func(d Decoder, e Encoder) (Encoder, error) { return e, errNotFound }},
		{Name: "m.BadIndex", Call: func(d Decoder, e Encoder) (Encoder, error) { return e, ArgError(5, errNotFound) }},
	}, nil)
	cases := []struct{ id, kind, value, typ string }{
		{"0", "go_panic", "panic called with nil argument", "*runtime.PanicNilError"},
		{"1", "go_panic", "%!v(PANIC=String method: again)", "bridge.panicky"},
		{"2", "go_panic", "42", "int"},
		{"3", "go_panic", "runtime error: invalid memory address or nil pointer dereference", "runtime.errorString"},
		{"4", "go_panic", "late", "string"},
		{"5", "go_error", "", "*fmt.wrapError"},
		{"6", "go_error", "", "*errors.errorString"},
		{"7", "bad_argument", "", ""},
	}
	for _, c := range cases {
		var id uint64
		fmt.Sscan(c.id, &id)
		r := handle(t, b, encodeRequest(1, 0, id))
		if r.kind != c.kind {
			t.Errorf("%s: %v, want %s", c.id, r, c.kind)
			continue
		}
		switch c.kind {
		case "go_panic":
			if r.get("value") != c.value || r.get("type") != c.typ {
				t.Errorf("%s: %v, want value %q type %q", c.id, r, c.value, c.typ)
			}
		case "go_error":
			if r.get("type") != c.typ || !strings.Contains(r.message, "not found") {
				t.Errorf("%s: %v, want type %q", c.id, r, c.typ)
			}
		case "bad_argument":
			if r.get("param") != "arg5" || r.get("index") != int64(5) {
				t.Errorf("%s: %v", c.id, r)
			}
		}
	}
}

var errNotFound = fmt.Errorf("not found")

func TestHandleReplyLimits(t *testing.T) {
	b := New([]Func{
		{Name: "m.Huge", Call: func(d Decoder, e Encoder) (Encoder, error) {
			e.Bytes(hugeBuffer()[:MaxMessageBytes])
			return e, nil
		}},
		{Name: "m.ManyElements", Call: func(d Decoder, e Encoder) (Encoder, error) {
			// With the reply's own 2 elements, two too many. The elements themselves are not
			// needed to trip the limit: Handle counts the declared ones.
			e.ListLen(MaxElements)
			return e, nil
		}},
	}, nil)
	for id, limit := range []string{"size", "elements"} {
		r := handle(t, b, encodeRequest(1, 0, id))
		if r.kind != "limit_exceeded" || r.get("limit") != limit {
			t.Errorf("function %d: %v, want limit_exceeded %s", id, r, limit)
		}
	}
}

func TestHandleNoAllocs(t *testing.T) {
	b := newTestBridge()
	for _, req := range [][]byte{
		callReq("AddInt", 1, 2),
		callReq("AddInt", math.MinInt64, math.MaxInt64),
		encodeRequest(1, 0, "example.com/calc.AddInt", 1, 2),
		callReq("Int8", 7),
		callReq("Nothing"),
	} {
		allocs := testing.AllocsPerRun(1000, func() {
			_, release := b.Handle(req)
			release()
		})
		if allocs != 0 {
			t.Errorf("% x: %v allocations per call", req, allocs)
		}
	}
}

func TestHandleReleaseTwice(t *testing.T) {
	b := newTestBridge()
	out1, release1 := b.Handle(callReq("AddInt", 1, 2))
	release1()
	release1() // must not put the buffer in the pool twice
	out2, release2 := b.Handle(callReq("AddInt", 100, 100))
	out3, release3 := b.Handle(callReq("AddInt", 1000, 1000))
	if bytes.Equal(out2, out3) {
		t.Errorf("two live replies share a buffer: % x, % x", out2, out3)
	}
	_ = out1
	release2()
	release3()
}

// TestHandleConcurrent runs many goroutines on one Bridge; run it with -race.
func TestHandleConcurrent(t *testing.T) {
	b := newTestBridge()
	const workers, calls = 16, 300
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < calls; i++ {
				var req []byte
				var want any
				switch i % 4 {
				case 0:
					req, want = callReq("AddInt", w, i), int64(w+i)
				case 1:
					s := strings.Repeat("x", i)
					req, want = callReq("Join", []string{s, s}, "-"), s+"-"+s
				case 2:
					req, want = callReq("PanicString", "p"), "p"
				case 3:
					req, want = encodeRequest(1, 0, "example.com/calc.Echo", []byte{byte(w), byte(i)}), []byte{byte(w), byte(i)}
				}
				out, release := b.Handle(req)
				r, err := parseReply(out)
				release()
				if err != nil {
					errs <- err
					return
				}
				got := r.ok
				if r.kind == "go_panic" {
					got = r.get("value")
				}
				if !reflect.DeepEqual(got, want) {
					errs <- fmt.Errorf("worker %d call %d: %v, want %#v", w, i, r, want)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestServeCallerBuffer(t *testing.T) {
	b := newTestBridge()
	req := callReq("AddInt", 1, 2)
	want := hexBytes("92 00 03")

	// The reply goes straight into the caller's buffer, without allocating.
	buf := make([]byte, 5, 64)
	var out []byte
	if allocs := testing.AllocsPerRun(100, func() { out = b.Serve(req, buf) }); allocs != 0 {
		t.Errorf("Serve into a caller buffer: %v allocations", allocs)
	}
	if !bytes.Equal(out, want) || &out[0] != &buf[:1][0] {
		t.Errorf("Serve = % x (in buf: %v), want % x in buf", out, &out[0] == &buf[:1][0], want)
	}

	// A reply that does not fit comes back in other memory, whole.
	long := strings.Repeat("x", 100)
	small := make([]byte, 0, 8)
	out = b.Serve(callReq("Join", []string{long, long}, "-"), small)
	r, err := parseReply(out)
	if err != nil || r.ok != long+"-"+long {
		t.Fatalf("long reply: %v, %v", r, err)
	}
	if &out[0] == &small[:1][0] {
		t.Error("a reply longer than the buffer's capacity is in the buffer")
	}

	// No buffer at all, and every kind of failure, behave as Handle.
	for _, req := range [][]byte{req, nil, hexBytes("c1"), callReq("Int8", 128), encodeRequest(2, 0, 0), callReq("DivMod", 7, 2)} {
		h, release := b.Handle(req)
		if got := b.Serve(req, nil); !bytes.Equal(got, h) {
			t.Errorf("% x: Serve(nil buf) = % x, Handle = % x", req, got, h)
		}
		if got := b.Serve(req, make([]byte, 0, 3)); !bytes.Equal(got, h) {
			t.Errorf("% x: Serve(3-byte buf) = % x, Handle = % x", req, got, h)
		}
		release()
	}
}

// TestServeConcurrent runs Serve from many goroutines, each with its own reused buffer; run it
// with -race.
func TestServeConcurrent(t *testing.T) {
	b := newTestBridge()
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			buf := make([]byte, 0, 32)
			for i := 0; i < 500; i++ {
				var req []byte
				var want any
				switch i % 3 {
				case 0:
					req, want = callReq("AddInt", w, i), int64(w+i)
				case 1:
					s := strings.Repeat("y", i%40)
					req, want = callReq("Join", []string{s, s}, "+"), s+"+"+s
				case 2:
					req, want = callReq("PanicString", "q"), "q"
				}
				out := b.Serve(req, buf)
				r, err := parseReply(out)
				if err != nil {
					t.Error(err)
					return
				}
				got := r.ok
				if r.kind == "go_panic" {
					got = r.get("value")
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("worker %d call %d: %v, want %#v", w, i, r, want)
					return
				}
			}
		}(w)
	}
	wg.Wait()
}
