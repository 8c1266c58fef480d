package bridge

import (
	"bytes"
	"fmt"
	"math"
	"sync"
	"testing"
)

// The handle table (docs/abi.md section 8.3): ids, Decoder.Handle, DecodeHandle, and op 2
// (release) through Serve.

func TestHandleTable(t *testing.T) {
	var tab HandleTable
	a, b := tab.Put("a"), tab.Put("b")
	if a != 1 || b != 2 {
		t.Fatalf("ids %d %d, want 1 2", a, b)
	}
	if v, ok := tab.Get(a); !ok || v != "a" {
		t.Errorf("Get(%d) = %v, %v", a, v, ok)
	}
	if !tab.Release(a) || tab.Release(a) {
		t.Error("Release: want true, then false")
	}
	if _, ok := tab.Get(a); ok {
		t.Error("a released id still resolves")
	}
	if c := tab.Put("a"); c != 3 {
		t.Errorf("id after a release = %d, want 3: ids are never reused", c)
	}
	if tab.Release(99) {
		t.Error("Release of an unknown id")
	}
	if tab.Len() != 2 {
		t.Errorf("Len = %d", tab.Len())
	}
}

// TestHandleTableConcurrent is meant for -race: concurrent Put, Get and Release give unique ids
// and never a wrong value.
func TestHandleTableConcurrent(t *testing.T) {
	var tab HandleTable
	const workers, each = 8, 2000
	ids := make([][]uint64, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				v := fmt.Sprint(w, ".", i)
				id := tab.Put(v)
				if got, ok := tab.Get(id); !ok || got != v {
					t.Errorf("Get(%d) = %v, %v; want %s", id, got, ok, v)
					return
				}
				if i%2 == 0 && !tab.Release(id) {
					t.Errorf("Release(%d) failed", id)
				}
				ids[w] = append(ids[w], id)
			}
		}(w)
	}
	wg.Wait()
	seen := map[uint64]bool{}
	for _, l := range ids {
		for _, id := range l {
			if seen[id] || id == 0 {
				t.Fatalf("id %d handed out twice (or 0)", id)
			}
			seen[id] = true
		}
	}
	if tab.Len() != workers*each/2 {
		t.Errorf("Len = %d, want %d", tab.Len(), workers*each/2)
	}
}

func TestDecoderHandle(t *testing.T) {
	for _, tc := range []struct {
		in    string
		id    uint64
		isNil bool
		err   string
	}{
		{in: "d7 01 00 00 00 00 00 00 00 07", id: 7},
		{in: "d7 01 ff ff ff ff ff ff ff ff", id: math.MaxUint64},
		{in: "c0", isNil: true},
		{in: "d7 02 00 00 00 00 00 00 00 07", err: "expected handle, got ext type 2"},
		{in: "d4 01 07", err: "expected handle, got ext"},
		{in: "07", err: "expected handle, got int"},
		{in: "d7 01 00 00", err: "unexpected end of input"},
		{in: "", err: "unexpected end of input"},
	} {
		d := NewDecoder(hexBytes(tc.in))
		id, isNil, err := d.Handle()
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("Handle(%s) = %d, %v, %v; want %q", tc.in, id, isNil, err, tc.err)
			}
			continue
		}
		if err != nil || id != tc.id || isNil != tc.isNil || d.Remaining() != 0 {
			t.Errorf("Handle(%s) = %d, %v, %v", tc.in, id, isNil, err)
		}
	}
	var e Encoder
	e.Handle(7)
	if want := hexBytes("d7 01 00 00 00 00 00 00 00 07"); !bytes.Equal(e.Buf, want) {
		t.Errorf("Encoder.Handle(7) = % x", e.Buf)
	}
}

type testCounter struct{ n int }

func (c *testCounter) Inc() int { c.n++; return c.n }

type testIncer interface{ Inc() int }

func TestDecodeHandle(t *testing.T) {
	c := &testCounter{}
	id := handles.Put(c)
	other := handles.Put("not a counter")
	gone := handles.Put(c)
	handles.Release(gone)
	enc := func(id uint64) *Decoder {
		var e Encoder
		e.Handle(id)
		return NewDecoder(e.Buf)
	}
	if got, err := DecodeHandle[*testCounter](enc(id), "*bridge.testCounter"); err != nil || got != c {
		t.Errorf("DecodeHandle = %p, %v; want %p", got, err, c)
	}
	if got, err := DecodeHandle[testIncer](enc(id), "bridge.testIncer"); err != nil || got != testIncer(c) {
		t.Errorf("DecodeHandle as an interface = %v, %v", got, err)
	}
	if got, err := DecodeHandle[*testCounter](NewDecoder([]byte{mNil}), "*bridge.testCounter"); err != nil || got != nil {
		t.Errorf("DecodeHandle(nil) = %v, %v", got, err)
	}
	for _, tc := range []struct {
		d   *Decoder
		err string
	}{
		{enc(other), fmt.Sprintf("handle %d holds a string, not a *bridge.testCounter", other)},
		{enc(gone), fmt.Sprintf("unknown or released handle %d", gone)},
		{enc(1 << 60), "unknown or released handle 1152921504606846976"},
	} {
		if _, err := DecodeHandle[*testCounter](tc.d, "*bridge.testCounter"); err == nil || err.Error() != tc.err {
			t.Errorf("DecodeHandle: %v, want %q", err, tc.err)
		}
	}
	if _, err := DecodeReceiver[*testCounter](NewDecoder([]byte{mNil}), "*bridge.testCounter"); err == nil ||
		err.Error() != "the receiver must be a handle to a *bridge.testCounter, got nil" {
		t.Errorf("DecodeReceiver(nil): %v", err)
	}
	if got, err := DecodeReceiver[*testCounter](enc(id), "*bridge.testCounter"); err != nil || got != c {
		t.Errorf("DecodeReceiver = %v, %v", got, err)
	}

	var e Encoder
	EncodeHandle[*testCounter](&e, nil)
	EncodeHandle[testIncer](&e, nil)
	if !bytes.Equal(e.Buf, []byte{mNil, mNil}) {
		t.Errorf("EncodeHandle(nil) = % x", e.Buf)
	}
	e.Buf = nil
	EncodeHandle(&e, c)
	h, _, err := NewDecoder(e.Buf).Handle()
	if v, ok := handles.Get(h); err != nil || !ok || v != c || h <= gone {
		t.Errorf("EncodeHandle stored %v as %d (%v)", v, h, err)
	}
	for _, x := range []uint64{id, other, h} {
		handles.Release(x)
	}
}

// handleBridge is a bridge with adapters as the generator writes them for handles.
func handleBridge() *Bridge {
	return New([]Func{
		{Name: "m.NewCounter", Call: func(d Decoder, e Encoder) (Encoder, error) {
			EncodeHandle(&e, &testCounter{})
			return e, nil
		}},
		{Name: "m.Counter.Inc", Params: []Param{{"recv", "*m.Counter"}}, Call: func(d Decoder, e Encoder) (Encoder, error) {
			a0, err := DecodeReceiver[*testCounter](&d, "*m.Counter")
			if err != nil {
				return e, ArgError(0, err)
			}
			e.Int(int64(a0.Inc()))
			return e, nil
		}},
		{Name: "m.Chan", Call: func(d Decoder, e Encoder) (Encoder, error) {
			if err := e.Any(make(chan int), 2); err != nil {
				return e, ResultError(0, err)
			}
			return e, nil
		}},
	}, nil)
}

func TestServeHandles(t *testing.T) {
	b := handleBridge()
	r := handle(t, b, encodeRequest(1, 0, 0))
	id, ok := r.ok.(HandleID)
	if !ok {
		t.Fatalf("NewCounter: %v", r)
	}
	for want := int64(1); want <= 2; want++ {
		if r := handle(t, b, encodeRequest(1, 0, 1, id)); r.ok != want {
			t.Errorf("Counter.Inc: %v, want %d", r, want)
		}
	}
	// Op 2 releases, once.
	if r := handle(t, b, encodeRequest(1, 2, uint64(id))); r.status != 0 || r.ok != nil {
		t.Errorf("release: %v", r)
	}
	r = handle(t, b, encodeRequest(1, 2, uint64(id)))
	if r.kind != "unknown_handle" || r.get("id") != int64(id) || r.message != fmt.Sprintf("no handle with id %d (unknown or released)", id) {
		t.Errorf("second release: %v", r)
	}
	r = handle(t, b, encodeRequest(1, 0, 1, id))
	if r.kind != "bad_argument" || r.get("reason") != fmt.Sprintf("unknown or released handle %d", id) || r.get("go_type") != "*m.Counter" || r.get("param") != "recv" {
		t.Errorf("call with a released handle: %v", r)
	}
	if r := handle(t, b, encodeRequest(1, 2, "m.NewCounter")); r.kind != "malformed" {
		t.Errorf("release by name: %v", r)
	}
	if r := handle(t, b, encodeRequest(1, 2, 5, 1)); r.kind != "arity" || r.get("expected") != int64(0) || r.get("got") != int64(1) {
		t.Errorf("release with an argument: %v", r)
	}
	if r := handle(t, b, encodeRequest(1, 1, 0)); r.kind != "unsupported_op" {
		t.Errorf("op 1: %v", r)
	}
	// An `any` result the wire cannot carry.
	r = handle(t, b, encodeRequest(1, 0, 2))
	if r.kind != "bad_result" || r.get("index") != int64(0) || r.get("reason") != "cannot encode chan int inside any" ||
		r.message != "m.Chan: result 0 cannot be encoded: cannot encode chan int inside any" {
		t.Errorf("bad result: %v", r)
	}
}
