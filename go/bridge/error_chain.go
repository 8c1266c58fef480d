package bridge

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
)

// errorValues is set by op 5 with target 0: replies carry error chains from then on.
var errorValues atomic.Bool

// Go error values as Go users use them (docs/abi.md section 4.1, docs/adr/0021): once a host
// turns error values on (op 5 with target 0), a go_error reply carries a handle to the error
// value itself and its type key, and an error value brings its chain (the errors its Unwrap
// methods reach, each with a handle), so that the host can ask Go errors.Is (op 4), for the
// chain of a go_error (op 4 with no argument: only when it is asked for, so that raising an
// error stays cheap) and for the concrete value behind an error (op 5) while it holds them.
// Until then replies are exactly as before: a host that never releases handles (a tool, a test)
// gets none.

// MaxChain is the most errors of one chain a reply carries (the error itself included); the
// walk stops there, which also ends a chain whose Unwrap comes back to an error already met.
const MaxChain = 64

const (
	// opErrorIs answers errors.Is(err, target): [1, 4, err, [target]] -> [0, bool]; with no
	// argument, the chain of err: [1, 4, err, []] -> [0, chain], its first node holding err's
	// own handle id.
	opErrorIs = 4
	// opErrorValue answers the concrete value of an error as a handle: [1, 5, err, []] ->
	// [0, handle]; with target 0 it turns error values on: [1, 5, 0, []] -> [0, nil].
	opErrorValue = 5
)

// chainNode is one error of a chain and the index of the error whose Unwrap gave it (-1 for
// the error itself).
type chainNode struct {
	err    error
	parent int
}

// errorChain walks err's tree as errors.Is does (depth first, the error before what it wraps;
// Unwrap() error and Unwrap() []error), at most MaxChain errors.
func errorChain(err error) []chainNode {
	var out []chainNode
	var walk func(err error, parent int)
	walk = func(err error, parent int) { // recursion ends at MaxChain nodes
		if len(out) >= MaxChain {
			return
		}
		i := len(out)
		out = append(out, chainNode{err, parent})
		for _, w := range unwrapped(err) {
			walk(w, i)
		}
	}
	walk(err, -1)
	return out
}

// unwrapped returns the non-nil errors err's Unwrap method gives; a panicking Unwrap gives none.
func unwrapped(err error) (ws []error) {
	defer func() {
		if recover() != nil {
			ws = nil
		}
	}()
	switch x := err.(type) {
	case interface{ Unwrap() error }:
		if w := x.Unwrap(); w != nil {
			return []error{w}
		}
	case interface{ Unwrap() []error }:
		for _, w := range x.Unwrap() {
			if w != nil {
				ws = append(ws, w)
			}
		}
	}
	return ws
}

// typeKeys caches typeKey per dynamic type (reflect.Type -> string): a go_error reply carries
// the key of its error, and a program raises errors of few types.
var typeKeys sync.Map

// typeKey is the schema key (<import path>.<Name>) of the named type of v, or of the type a
// pointer v points to; "" for an unnamed or predeclared type.
func typeKey(v any) string {
	t := reflect.TypeOf(v)
	if t == nil {
		return ""
	}
	if k, ok := typeKeys.Load(t); ok {
		return k.(string)
	}
	k := keyOf(t)
	typeKeys.Store(t, k)
	return k
}

func keyOf(t reflect.Type) string {
	if t.Kind() == reflect.Pointer && t.Name() == "" {
		t = t.Elem()
	}
	if t.Name() == "" || t.PkgPath() == "" {
		return ""
	}
	return t.PkgPath() + "." + t.Name()
}

// chainValue is the chain of err as the wire carries it: an array of nodes [message, Go type,
// type key, handle, parent], the first one err itself. Each node puts its error in the handle
// table; ids lists them, for a reply that is given up before it is sent. It is nil until error
// values are turned on.
func chainValue(err error) (v []any, ids []uint64) {
	if !errorValues.Load() {
		return nil, nil
	}
	return chainNodes(err, 0)
}

// chainNodes is chainValue with the handle id first as the first node's handle when it is not
// 0 (the host holds err already: op 4 with no argument), else a new one.
func chainNodes(err error, first uint64) (v []any, ids []uint64) {
	nodes := errorChain(err)
	v = make([]any, len(nodes))
	ids = make([]uint64, 0, len(nodes))
	for i, n := range nodes {
		id := first
		if i > 0 || first == 0 {
			id = handles.Put(n.err)
			ids = append(ids, id)
		}
		// fmt.Sprint catches a panicking Error method and prints it.
		v[i] = []any{fmt.Sprint(n.err), fmt.Sprintf("%T", n.err), typeKey(n.err), HandleID(id), n.parent}
	}
	return v, ids
}

// errorRef is what a go_error reply's detail carries for err once error values are on: a new
// handle to err (handle) and its type key (key); ok is false until error values are on. The
// chain waits for op 4 with no argument.
func errorRef(err error) (id uint64, key string, ok bool) {
	if !errorValues.Load() {
		return 0, "", false
	}
	return handles.Put(err), typeKey(err), true
}

// releaseAll forgets the handles of a chain whose reply was given up.
func releaseAll(ids []uint64) {
	for _, id := range ids {
		handles.Release(id)
	}
}

// errorHandle returns the error the handle id names, or the failure to answer; param names
// the id's place in the request for a bad_argument detail.
func errorHandle(id uint64, what, param string) (error, *failure) {
	v, ok := handles.Get(id)
	if !ok {
		return nil, &failure{
			kind:    "unknown_handle",
			message: fmt.Sprintf("no handle with id %d (unknown or released)", id),
			detail:  []field{{"id", id}},
		}
	}
	err, ok := v.(error)
	if !ok {
		reason := fmt.Sprintf("handle %d holds a %T, not an error", id, v)
		return nil, &failure{
			kind:    "bad_argument",
			message: what + ": " + param + ": " + reason,
			detail:  []field{{"go_type", "error"}, {"index", 0}, {"param", param}, {"reason", reason}},
		}
	}
	return err, nil
}

// errorIsOp answers op 4 for the request req with header h: [0, errors.Is(err, target)].
func errorIsOp(req, buf []byte, h *header) []byte {
	const op = "op 4 (errors.Is)"
	if h.byName {
		return errorReply(buf, malformed(0, op+" takes a handle id (uint) as its target"))
	}
	if h.nargs == 0 {
		return errorChainOp(buf, h)
	}
	if h.nargs != 1 {
		return errorReply(buf, &failure{
			kind:    "arity",
			message: fmt.Sprintf("%s takes 1 argument, got %d", op, h.nargs),
			detail:  []field{{"expected", uint64(1)}, {"got", uint64(h.nargs)}},
		})
	}
	err, f := errorHandle(h.id, op, "err")
	if f != nil {
		return errorReply(buf, f)
	}
	d := Decoder{buf: req, off: h.args}
	tid, isNil, derr := d.Handle()
	if derr != nil {
		return errorReply(buf, &failure{
			kind:    "bad_argument",
			message: fmt.Sprintf("%s: argument 0 (target error): %v", op, derr),
			detail:  []field{{"go_type", "error"}, {"index", 0}, {"param", "target"}, {"reason", derr.Error()}},
		})
	}
	var target error
	if !isNil {
		if target, f = errorHandle(tid, op, "target"); f != nil {
			return errorReply(buf, f)
		}
	}
	if errors.Is(err, target) {
		return append(buf[:0], mFixArray|2, 0, mTrue)
	}
	return append(buf[:0], mFixArray|2, 0, mFalse)
}

// errorChainOp answers op 4 with no argument: [0, chain], the chain of the error the handle
// h.id holds, its first node carrying h.id itself (no new handle).
func errorChainOp(buf []byte, h *header) []byte {
	err, f := errorHandle(h.id, "op 4 (error chain)", "err")
	if f != nil {
		return errorReply(buf, f)
	}
	chain, ids := chainNodes(err, h.id)
	e := Encoder{Buf: append(buf[:0], mFixArray|2, 0)}
	if e.Value(chain) != nil {
		releaseAll(ids)
		panic("bridge: an error chain is Level-1 data") // unreachable: the chain nests 2 levels
	}
	return e.Buf
}

// errorValueOp answers op 5 for the header h: [0, handle], a new handle to the concrete value
// of the error: the value itself when it is a pointer, else a pointer to a copy of it, as a
// handle type's methods take it.
func errorValueOp(buf []byte, h *header) []byte {
	const op = "op 5 (error value)"
	if f := idOpHeader(h, op, "a handle id"); f != nil {
		return errorReply(buf, f)
	}
	if h.id == 0 {
		errorValues.Store(true)
		return append(buf[:0], mFixArray|2, 0, mNil)
	}
	err, f := errorHandle(h.id, op, "err")
	if f != nil {
		return errorReply(buf, f)
	}
	e := Encoder{Buf: append(buf[:0], mFixArray|2, 0)}
	if rv := reflect.ValueOf(err); rv.Kind() != reflect.Pointer {
		// Held by value (docs/abi.md 8.3): a pointer to its own copy, given back inside any as
		// a copy of the value.
		p := reflect.New(rv.Type())
		p.Elem().Set(rv)
		e.Handle(handles.PutValue(p.Interface()))
	} else {
		e.Handle(handles.Put(err))
	}
	return e.Buf
}
