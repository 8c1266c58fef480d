package bridge

import (
	"encoding/binary"
	"fmt"
	"reflect"
	"sync"
)

// Handles (docs/abi.md section 8.3): a value of a handle type stays in Go, in a table, and the
// wire carries its id as ext type 1 with 8 big-endian data bytes (d7 01 <id>). Ids start at 1,
// increase and are never reused, so a released id can never name another value later.

// HandleID is a handle as Decoder.Value returns it and Encoder.Value writes it (d7 01 <id>). It
// serves tools and tests: generated code reads handles with DecodeHandle and writes them with
// EncodeHandle, and an `any` value never carries one.
type HandleID uint64

// extHandle is the ext type of a handle.
const extHandle = 1

// HandleTable maps handle ids to the Go values they stand for. It is safe for concurrent use.
// The zero value is an empty table whose first id is 1.
type HandleTable struct {
	mu   sync.RWMutex
	m    map[uint64]any
	last uint64 // the last id handed out
	// byValue holds the ids of Go objects held by value (PutValue): a pointer to the object's
	// own copy, which Go code receiving the object inside `any` gets as the value, as a Go
	// caller would pass it (docs/abi.md 8.9).
	byValue map[uint64]struct{}
}

// Put stores v and returns its new id. Every call gives a new id, even for a value already in
// the table: each id is released on its own.
func (t *HandleTable) Put(v any) uint64 {
	t.mu.Lock()
	if t.m == nil {
		t.m = make(map[uint64]any)
	}
	t.last++
	id := t.last
	t.m[id] = v
	t.mu.Unlock()
	return id
}

// PutValue stores p, a pointer to a Go object held by value (docs/abi.md 8.3), and returns its
// new id, marked so that GetAny gives a copy of the value rather than the pointer.
func (t *HandleTable) PutValue(p any) uint64 {
	id := t.Put(p)
	t.mu.Lock()
	if t.byValue == nil {
		t.byValue = make(map[uint64]struct{})
	}
	t.byValue[id] = struct{}{}
	t.mu.Unlock()
	return id
}

// GetAny returns the value of id as Go code receives it inside `any`: the value itself, or for
// a Go object held by value (PutValue) a copy of the value its pointer points to, so the
// callee cannot change the caller's object; false when id is unknown or released.
func (t *HandleTable) GetAny(id uint64) (any, bool) {
	t.mu.RLock()
	v, ok := t.m[id]
	_, byValue := t.byValue[id]
	t.mu.RUnlock()
	if ok && byValue {
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && !rv.IsNil() {
			return rv.Elem().Interface(), true
		}
	}
	return v, ok
}

// Get returns the value of id, and false when id is unknown or released.
func (t *HandleTable) Get(id uint64) (any, bool) {
	t.mu.RLock()
	v, ok := t.m[id]
	t.mu.RUnlock()
	return v, ok
}

// Release forgets id, so that its value can be collected; it reports false when id is unknown
// or already released.
func (t *HandleTable) Release(id uint64) bool {
	t.mu.Lock()
	_, ok := t.m[id]
	delete(t.m, id)
	if t.byValue != nil {
		delete(t.byValue, id)
	}
	t.mu.Unlock()
	return ok
}

// Len returns the number of live handles.
func (t *HandleTable) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.m)
}

// handles is the table of the library: generated code and op 2 use it.
var handles HandleTable

// Handles returns the handle table of the library, for tests and tools.
func Handles() *HandleTable { return &handles }

// Handle reads a handle: nil gives (0, true, nil); d7 01 and 8 bytes give the id. Any other
// value, including an ext of another type, is a type error.
func (d *Decoder) Handle() (id uint64, isNil bool, err error) {
	if d.Nil() {
		return 0, true, nil
	}
	if d.off >= len(d.buf) {
		return 0, false, errEOF
	}
	if d.buf[d.off] != mFixExt8 {
		return 0, false, d.mismatch("handle")
	}
	b, err := d.take(1, 9)
	if err != nil {
		return 0, false, err
	}
	if b[0] != extHandle {
		return 0, false, fmt.Errorf("expected handle, got ext type %d", int8(b[0]))
	}
	return binary.BigEndian.Uint64(b[1:]), false, nil
}

// Handle writes the handle id: d7 01 and the id as 8 big-endian bytes.
func (e *Encoder) Handle(id uint64) {
	e.Buf = binary.BigEndian.AppendUint64(append(e.Buf, mFixExt8, extHandle), id)
}

// DecodeHandle reads a handle argument of the Go type T (a pointer to a handle type, or an
// interface type with methods); goType spells T for messages. nil gives the zero T (a nil
// pointer or interface). An unknown or released id, or a handle whose value is not a T, is an
// error.
func DecodeHandle[T any](d *Decoder, goType string) (T, error) {
	var zero T
	id, isNil, err := d.Handle()
	if err != nil || isNil {
		return zero, err
	}
	return lookupHandle[T](id, goType)
}

// DecodeReceiver is DecodeHandle for the receiver of a method: nil is an error.
func DecodeReceiver[T any](d *Decoder, goType string) (T, error) {
	var zero T
	id, isNil, err := d.Handle()
	if err != nil {
		return zero, err
	}
	if isNil {
		return zero, fmt.Errorf("the receiver must be a handle to a %s, got nil", goType)
	}
	return lookupHandle[T](id, goType)
}

func lookupHandle[T any](id uint64, goType string) (T, error) {
	var zero T
	v, ok := handles.Get(id)
	if !ok {
		return zero, fmt.Errorf("unknown or released handle %d", id)
	}
	x, ok := v.(T)
	if !ok {
		return zero, fmt.Errorf("handle %d holds a %T, not a %s", id, v, goType)
	}
	return x, nil
}

// EncodeHandle writes v, a pointer to a handle type or an interface value, as a new handle;
// a nil pointer or interface is written as nil.
func EncodeHandle[T comparable](e *Encoder, v T) {
	var zero T
	if v == zero {
		e.Nil()
		return
	}
	e.Handle(handles.Put(v))
}

// opRelease is the op that releases a handle: [1, 2, id, []].
const opRelease = 2

// idOpHeader checks the header h of an op that takes an id (target, "a handle id") as its
// target and no arguments: a malformed or arity failure, or nil.
func idOpHeader(h *header, op, target string) *failure {
	if h.byName {
		return malformed(0, op+" takes "+target+" (uint) as its target")
	}
	if h.nargs != 0 {
		return &failure{
			kind:    "arity",
			message: fmt.Sprintf("%s takes 0 arguments, got %d", op, h.nargs),
			detail:  []field{{"expected", uint64(0)}, {"got", uint64(h.nargs)}},
		}
	}
	return nil
}

// release answers op 2 for the request header h: [0, nil], or an unknown_handle error.
func release(buf []byte, h *header) []byte {
	if f := idOpHeader(h, "op 2 (release)", "a handle id"); f != nil {
		return errorReply(buf, f)
	}
	if !handles.Release(h.id) {
		return errorReply(buf, &failure{
			kind:    "unknown_handle",
			message: fmt.Sprintf("no handle with id %d (unknown or released)", h.id),
			detail:  []field{{"id", h.id}},
		})
	}
	return append(buf[:0], mFixArray|2, 0, mNil)
}
