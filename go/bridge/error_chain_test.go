package bridge

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
)

var errSentinel = errors.New("sentinel")

// codeError is a typed error held by value.
type codeError struct{ Code int }

func (e codeError) Error() string { return fmt.Sprintf("code %d", e.Code) }

// withErrorValues runs f with error values turned on by op 5, as a host does, and off again.
func withErrorValues(t *testing.T, b *Bridge, f func()) {
	t.Helper()
	if r := handle(t, b, encodeRequest(1, opErrorValue, 0)); r.status != 0 || r.ok != nil {
		t.Fatalf("op 5 with target 0: %v", r)
	}
	handles.mu.RLock()
	first := handles.last + 1
	handles.mu.RUnlock()
	defer func() { // the handles made here go, so that no other test meets them
		errorValues.Store(false)
		handles.mu.RLock()
		last := handles.last
		handles.mu.RUnlock()
		for id := first; id <= last; id++ {
			handles.Release(id)
		}
	}()
	f()
}

func failing(err error) *Bridge {
	return New([]Func{{Name: "m.Fail", Call: func(_ Decoder, e Encoder) (Encoder, error) {
		return e, GoError(err)
	}}}, nil)
}

// TestErrorChain: a go_error reply carries a handle to the error and its type key; op 4 with no
// argument gives the chain as errors.Is walks it (Join and %w), each node with its own handle
// (the first the error's own); op 4 answers errors.Is and op 5 the concrete value.
func TestErrorChain(t *testing.T) {
	inner := fmt.Errorf("inner: %w", errSentinel)
	err := fmt.Errorf("outer: %w", errors.Join(codeError{7}, inner))
	b := failing(err)
	if r := handle(t, b, encodeRequest(1, 0, 0)); len(r.detail) != 1 {
		t.Fatalf("a chain before error values are on: %v", r)
	}
	withErrorValues(t, b, func() {
		r := handle(t, b, encodeRequest(1, 0, 0))
		if len(r.detail) != 3 || r.get("key") != "fmt.wrapError" {
			t.Fatalf("go_error detail with error values on: %v", r)
		}
		top := r.get("handle").(HandleID)
		if v, _ := handles.Get(uint64(top)); v != err {
			t.Fatalf("the handle of a go_error holds %v", v)
		}
		r = handle(t, b, encodeRequest(1, opErrorIs, uint64(top)))
		chain, _ := r.ok.([]any)
		type node struct {
			msg, typ, key string
			parent        int64
		}
		var got []node
		var ids []uint64
		for _, n := range chain {
			x := n.([]any)
			got = append(got, node{x[0].(string), x[1].(string), x[2].(string), x[4].(int64)})
			ids = append(ids, uint64(x[3].(HandleID)))
		}
		want := []node{
			{err.Error(), "*fmt.wrapError", "fmt.wrapError", -1},
			{"code 7\ninner: sentinel", "*errors.joinError", "errors.joinError", 0},
			{"code 7", "bridge.codeError", "github.com/usegolib/usegolib/go/bridge.codeError", 1},
			{"inner: sentinel", "*fmt.wrapError", "fmt.wrapError", 1},
			{"sentinel", "*errors.errorString", "errors.errorString", 3},
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("chain %v, want %v", got, want)
		}
		if ids[0] != uint64(top) {
			t.Fatalf("the chain's first handle is %d, not the error's own %d", ids[0], top)
		}
		sid := handles.Put(errSentinel)
		other := handles.Put(errors.New("sentinel"))
		notErr := handles.Put(42)
		for _, c := range []struct {
			err, target uint64
			want        bool
		}{{ids[0], sid, true}, {ids[0], other, false}, {ids[2], sid, false}, {ids[4], sid, true}} {
			r := handle(t, b, encodeRequest(1, opErrorIs, c.err, HandleID(c.target)))
			if r.status != 0 || r.ok != c.want {
				t.Errorf("errors.Is(%d, %d): %v, want %v", c.err, c.target, r, c.want)
			}
		}
		for _, c := range []struct {
			req  []byte
			kind string
		}{
			{encodeRequest(1, opErrorIs, ids[0], HandleID(notErr)), "bad_argument"},
			{encodeRequest(1, opErrorIs, notErr, HandleID(sid)), "bad_argument"},
			{encodeRequest(1, opErrorIs, uint64(1<<40), HandleID(sid)), "unknown_handle"},
			{encodeRequest(1, opErrorIs, ids[0], HandleID(sid), 1), "arity"},
			{encodeRequest(1, opErrorIs, notErr), "bad_argument"},
			{encodeRequest(1, opErrorIs, uint64(1<<40)), "unknown_handle"},
			{encodeRequest(1, opErrorIs, ids[0], "x"), "bad_argument"},
			{encodeRequest(1, opErrorIs, "m.Fail", HandleID(sid)), "malformed"},
			{encodeRequest(1, opErrorValue, uint64(1<<40)), "unknown_handle"},
			{encodeRequest(1, opErrorValue, ids[0], 1), "arity"},
		} {
			if r := handle(t, b, c.req); r.status != 1 || r.kind != c.kind {
				t.Errorf("% x: %v, want %s", c.req, r, c.kind)
			}
		}
		// The value of a codeError is a *codeError holding a copy; a pointer stays itself.
		r = handle(t, b, encodeRequest(1, opErrorValue, ids[2]))
		v, _ := handles.Get(uint64(r.ok.(HandleID)))
		if p, ok := v.(*codeError); !ok || p.Code != 7 {
			t.Fatalf("op 5 of a codeError: %v (%T)", r, v)
		}
		r = handle(t, b, encodeRequest(1, opErrorValue, ids[4]))
		if v, _ := handles.Get(uint64(r.ok.(HandleID))); v != errSentinel {
			t.Fatalf("op 5 of a pointer: %v", v)
		}
	})
}

// TestErrorChainBounds: a chain is cut at MaxChain errors (an Unwrap that comes back to itself
// ends), and a panicking Unwrap ends its branch.
func TestErrorChainBounds(t *testing.T) {
	if n := len(errorChain(loopError{})); n != MaxChain {
		t.Errorf("a looping chain has %d nodes, want %d", n, MaxChain)
	}
	if n := len(errorChain(panicUnwrap{})); n != 1 {
		t.Errorf("a panicking Unwrap gives %d nodes, want 1", n)
	}
}

type loopError struct{}

func (loopError) Error() string   { return "loop" }
func (e loopError) Unwrap() error { return e }

type panicUnwrap struct{}

func (panicUnwrap) Error() string { return "p" }
func (panicUnwrap) Unwrap() error { panic("no") }
