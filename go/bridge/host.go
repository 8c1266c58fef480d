package bridge

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"weak"
)

// Host calls (docs/abi.md section 10, docs/adr/0010): a host object (a Python callable) passed
// for a func parameter travels as ext type 2 with its id in 8 big-endian bytes (d7 02 <id>).
// Go wraps the id in a HostObject and gives the library a func of the parameter's type that
// sends a host request [1, 0, id, 0, [args...]] through the C trampoline the generated main.go
// installs (SetHostCaller) and reads the host's reply [0, result] or [1, {kind, message,
// detail}]. When the wrapper becomes unreachable, a cleanup queues its id, and the queued ids
// go to the host in one release request [1, 2, 0, 0, [ids...]].

// extHost is the ext type of a host object; extHostAgain of one the host passed before (Go
// looks for the HostObject it may still have for the id).
const (
	extHost      = 2
	extHostAgain = 5
)

// Host request ops (docs/abi.md section 10).
const (
	hostOpCall    = 0
	hostOpRelease = 2
)

// HostCaller sends one host request req and returns the host's reply, written into buf when it
// fits, else in fresh memory; ok is false when the host produced no reply (no host installed,
// or it failed). The generated main.go supplies it (the C trampoline); tests may install their
// own.
type HostCaller func(req, buf []byte) (reply []byte, ok bool)

var hostCaller atomic.Pointer[HostCaller]

// SetHostCaller installs the function that sends host requests; the generated main.go calls it
// from init, before any request can arrive.
func SetHostCaller(f HostCaller) { hostCaller.Store(&f) }

// HostObject is the Go side of a host object: its id, released when the HostObject becomes
// unreachable. The host passes the same id again for the same callable while Go holds it
// (docs/abi.md section 10.4), and Go reuses the HostObject it has for the id: passes counts the
// times it was received, and the release says how many passes it ends. The pointer field keeps
// it out of the tiny allocator, for which cleanups may never run (runtime.AddCleanup). The
// padding puts few of them in one span: the runtime keeps a span's cleanups in a list sorted by
// offset and walks it to add one, so 16-byte objects (512 a span) made that walk the dearest
// step of a short-lived callback.
type HostObject struct {
	id     uint64
	passes *atomic.Uint64
	// noScalar: the host refused the scalar form for it (host_scalar.go); again: it is in the
	// weak map (the host passes its id again).
	noScalar, again atomic.Bool
	// lent: a callable the host lends for one call (its id is ScalarLent | n, and it is never
	// released: LentHostObject).
	lent bool
	// made is the func made from it, for the next pass (an id passed again).
	made atomic.Pointer[hostMade]
	_    [27]uint64 // 256 bytes in all (TestHostObjectSize)
}

// hostMade holds the func a generated maker made from a HostObject.
type hostMade struct{ f any }

// Made returns the func made from h before (by the maker of its func type), or nil: a host
// object passed again gets the same func, not a new closure per pass.
func (h *HostObject) Made() any {
	if m := h.made.Load(); m != nil {
		return m.f
	}
	return nil
}

// SetMade keeps f, the func made from h, when h may be passed again. f refers to h: the cycle
// is collected whole, and h's cleanup runs as before.
func (h *HostObject) SetMade(f any) {
	switch {
	case h.lent:
		// One object stands for every callable lent at its depth, for any func type: the
		// func of the type made last is kept (a loop calls with one type).
		h.made.Store(&hostMade{f})
	case h.again.Load():
		h.made.CompareAndSwap(nil, &hostMade{f})
	}
}

// Lent callables (docs/abi.md section 10.9, docs/adr/0036): for a func parameter the compiler
// proves the function does not keep (in_place in the schema), the host may lend its callable
// for the call instead of registering it: the scalar form's word is then ScalarLent | n, the
// n-th callable the calling thread lends (n < MaxLent). The function calls it only during the
// call and on its own goroutine, which runs locked to the calling thread while a call from C
// runs, so the host finds the callable on the thread the callback arrives on. Nothing is
// counted or released, and one HostObject per depth n stands for every callable lent there.

// ScalarLent marks a lent callable's word (ids count from 1 and never reach it).
const ScalarLent = 1 << 62

// MaxLent is the number of callables a thread may lend at once (its calls nested included).
const MaxLent = 64

// lentHosts holds the HostObject of each lent depth, made on first use and kept.
var lentHosts [MaxLent]atomic.Pointer[HostObject]

// LentHostObject returns the HostObject of the callable lent at depth n (n < MaxLent).
func LentHostObject(n uint64) *HostObject {
	p := &lentHosts[n%MaxLent]
	if h := p.Load(); h != nil {
		return h
	}
	h := &HostObject{id: ScalarLent | n%MaxLent, lent: true}
	if !p.CompareAndSwap(nil, h) {
		return p.Load()
	}
	return h
}

// hostRef is what the cleanup of a HostObject knows of it.
type hostRef struct {
	id     uint64
	passes *atomic.Uint64
	wp     weak.Pointer[HostObject]
}

// hostObjects maps each id to the HostObject Go has for it, while that one is reachable.
var hostObjects = struct {
	sync.Mutex
	m map[uint64]weak.Pointer[HostObject]
}{m: map[uint64]weak.Pointer[HostObject]{}}

// hostLive counts the HostObjects whose cleanup has not run; hostAfterGC is the count after the
// last collection the pacing asked for.
var (
	hostLive    atomic.Int64
	hostAfterGC atomic.Int64
	hostGCBusy  atomic.Bool
)

// hostPaceMin is the live count under which the pacing never asks for a collection.
const hostPaceMin = 1024

// HostLive returns the number of host objects Go still holds (for tests and statistics).
func HostLive() int64 { return hostLive.Load() }

// hostHot holds, strongly, the HostObjects of the ids passed again most recently (by id modulo
// its size), so that a loop passing the same callable again (Apply(f, x) in a loop) finds its
// object with one atomic load: no lock, no map, no weak pointer made strong, which cost more
// than the rest of a pass. It is emptied after every collection (armHostHot), so an object that
// only it holds is collected, and its id released, one collection later than without it.
var hostHot [64]atomic.Pointer[HostObject]

// hostHotSentinel is an object whose only use is its finalizer: it runs after each collection
// that found it unreachable, empties hostHot and makes the next sentinel.
type hostHotSentinel struct{ _ *byte } // a pointer keeps it out of the tiny allocator

func init() { armHostHot() }

func armHostHot() {
	runtime.SetFinalizer(&hostHotSentinel{}, func(*hostHotSentinel) {
		for i := range hostHot {
			hostHot[i].Store(nil)
		}
		armHostHot()
	})
}

// HostObjectAgain returns the HostObject of the host object id passed again: the one Go still
// has for id (one more pass on it), else a new one, kept in the weak map for the next pass.
func HostObjectAgain(id uint64) *HostObject {
	hot := &hostHot[id%uint64(len(hostHot))]
	if h := hot.Load(); h != nil && h.id == id {
		h.passes.Add(1) // h is reachable (hostHot holds it), so its cleanup has not run
		return h
	}
	h := hostObjectAgain(id)
	hot.Store(h)
	return h
}

// hostObjectAgain is HostObjectAgain through the weak map.
func hostObjectAgain(id uint64) *HostObject {
	hostObjects.Lock()
	defer hostObjects.Unlock()
	if h := hostObjects.m[id].Value(); h != nil {
		h.passes.Add(1) // h is reachable here, so its cleanup has not read passes yet
		return h
	}
	h := &HostObject{id: id, passes: new(atomic.Uint64)}
	h.again.Store(true)
	wp := weak.Make(h)
	hostObjects.m[id] = wp
	return newHostObject(h, wp)
}

// NewHostObject returns a new HostObject for the host object id, passed for the first time
// (not kept in the weak map: most ids are never passed again).
func NewHostObject(id uint64) *HostObject {
	return newHostObject(&HostObject{id: id, passes: new(atomic.Uint64)}, weak.Pointer[HostObject]{})
}

// newHostObject sets up h, with one pass, whose cleanup releases the id. Many short-lived host
// objects make little Go garbage, so the collector may not run for a long time while the host
// keeps their callables: past hostPaceMin live wrappers and twice the count after the last
// collection asked for here, a collection is started in a goroutine.
func newHostObject(h *HostObject, wp weak.Pointer[HostObject]) *HostObject {
	h.passes.Store(1)
	runtime.AddCleanup(h, releaseHostID, hostRef{id: h.id, passes: h.passes, wp: wp})
	n := hostLive.Add(1)
	if n > hostPaceMin && n > 2*hostAfterGC.Load() && hostGCBusy.CompareAndSwap(false, true) {
		go func() {
			runtime.GC()
			// Cleanups run after the collection, on the runtime's goroutine: wait until the
			// count stops falling, so that the next threshold is measured from what is left.
			for last := int64(-1); ; {
				time.Sleep(time.Millisecond)
				n := hostLive.Load()
				if n == last {
					break
				}
				last = n
			}
			hostAfterGC.Store(hostLive.Load())
			hostGCBusy.Store(false)
		}()
	}
	return h
}

// hostRelease is one queued release: id, for n passes.
type hostRelease struct{ id, n uint64 }

// The releases of collected HostObjects, sent to the host by one goroutine at a time.
var (
	releaseMu      sync.Mutex
	releasePending []hostRelease
	releasing      bool
)

// releaseHostID is the cleanup of a HostObject: it forgets the object (unless the id has a
// newer one), queues its release and starts the sender if it is not running. It never calls
// the host itself (cleanups must not block).
func releaseHostID(r hostRef) {
	hostLive.Add(-1)
	if r.wp != (weak.Pointer[HostObject]{}) {
		hostObjects.Lock()
		if hostObjects.m[r.id] == r.wp {
			delete(hostObjects.m, r.id)
		}
		hostObjects.Unlock()
	}
	releaseMu.Lock()
	releasePending = append(releasePending, hostRelease{r.id, r.passes.Load()})
	start := !releasing
	releasing = true
	releaseMu.Unlock()
	if start {
		go sendReleases()
	}
}

// sendReleases sends the queued releases in release requests until none is left: an id alone
// ends one pass, [id, n] n passes. The host removes them without taking the GIL, so this never
// waits for Python code.
func sendReleases() {
	for {
		releaseMu.Lock()
		rs := releasePending
		releasePending = nil
		if len(rs) == 0 {
			releasing = false
			releaseMu.Unlock()
			return
		}
		releaseMu.Unlock()
		for len(rs) > 0 {
			n := min(len(rs), 1<<16)
			c := newHostCall(0, hostOpRelease, 0, n)
			for _, r := range rs[:n] {
				if r.n == 1 {
					c.e.Uint(r.id)
				} else {
					c.e.ListLen(2)
					c.e.Uint(r.id)
					c.e.Uint(r.n)
				}
			}
			_, _ = c.send() // nothing to do when the host is gone
			c.free()
			rs = rs[n:]
		}
	}
}

// DecodeFunc reads an argument of a func type or interface T (docs/abi.md sections 8.5 and
// 10): nil, a handle to a Go value, or a host object, which mk wraps in a func of type T (or a
// value implementing the interface T); mk is nil when a host object cannot be a T (the schema
// says why). goType spells T for messages.
func DecodeFunc[T any](d *Decoder, goType string, mk func(*HostObject) T) (T, error) {
	var zero T
	h, ok, err := d.hostObject()
	switch {
	case !ok:
		return DecodeHandle[T](d, goType)
	case err != nil:
		return zero, err
	case mk == nil:
		return zero, fmt.Errorf("a host callable cannot be a %s", goType)
	}
	return mk(h), nil
}

// hostObject reads a host object (d7 02 or d7 05, and 8 bytes) when one is next: ok says whether
// it was.
func (d *Decoder) hostObject() (h *HostObject, ok bool, err error) {
	if d.off+2 >= len(d.buf) || d.buf[d.off] != mFixExt8 || (d.buf[d.off+1] != extHost && d.buf[d.off+1] != extHostAgain) {
		return nil, false, nil
	}
	b, err := d.take(1, 9)
	if err != nil {
		return nil, true, err
	}
	id := binary.BigEndian.Uint64(b[1:])
	if id&ScalarLent != 0 {
		// Only the scalar form lends (ScalarFunc): an id with the bit here is a host's error.
		return nil, true, fmt.Errorf("host object id %#x is a lent callable's, which only the scalar form passes (docs/abi.md section 10.9)", id)
	}
	if b[0] == extHostAgain {
		return HostObjectAgain(id), true, nil
	}
	return NewHostObject(id), true, nil
}

// HostError is the error a func returns when the host callable it calls failed: a Python
// exception (Message starts with its type name), an unknown host object, no host.
type HostError struct {
	Kind    string // python_exception, unknown_host_object, host_unavailable, bad_argument...
	Message string
	// Unwind: the host asked for a panic where the func type has no error result, because the
	// request ran on the thread of the host call it belongs to (docs/abi.md section 10).
	Unwind bool
}

func (e *HostError) Error() string { return e.Message }

// HostPanic is the panic value of a func without an error result whose host callable failed
// during a call from the host: it unwinds through the library to the bridge's recover, which
// replies go_panic.
type HostPanic struct{ Err *HostError }

func (p *HostPanic) Error() string  { return "host callback failed: " + p.Err.Message }
func (p *HostPanic) String() string { return p.Error() }

// HostCall is one host request being made by a generated func wrapper.
type HostCall struct {
	e     Encoder
	reply []byte
	d     Decoder
}

var hostCalls = sync.Pool{New: func() any { return &HostCall{reply: make([]byte, 0, 512)} }}

func newHostCall(id uint64, op, method uint64, nargs int) *HostCall {
	c := hostCalls.Get().(*HostCall)
	c.e.Buf = c.e.Buf[:0]
	c.e.elems = 0
	c.e.ListLen(5)
	c.e.Uint(1)
	c.e.Uint(op)
	c.e.Uint(id)
	c.e.Uint(method)
	c.e.ListLen(nargs)
	return c
}

// Call starts a call of h with nargs arguments, which the caller writes to Enc() (each at depth
// 3: the request and its argument list are two levels).
func (h *HostObject) Call(nargs int) *HostCall { return newHostCall(h.id, hostOpCall, 0, nargs) }

// CallMethod is Call for method i of an interface the host object implements (docs/abi.md
// section 10.7).
func (h *HostObject) CallMethod(i, nargs int) *HostCall {
	return newHostCall(h.id, hostOpCall, uint64(i), nargs)
}

// Enc is the encoder of the arguments.
func (c *HostCall) Enc() *Encoder { return &c.e }

// Send sends the request and returns a decoder positioned at the result: nil for no results,
// the value for one, an array of n for n >= 2. A failure of the host is a *HostError.
func (c *HostCall) Send() (*Decoder, error) {
	if c.e.elems > MaxElements || c.e.over() || len(c.e.Buf) > MaxMessageBytes {
		return nil, &HostError{Kind: "limit_exceeded", Message: "the arguments exceed the limits of docs/abi.md section 6"}
	}
	reply, err := c.send()
	if err != nil {
		return nil, err
	}
	d := &c.d
	status, herr := readHostReply(d, reply)
	if herr != nil {
		return nil, herr
	}
	if status == 1 {
		return nil, hostFailure(d)
	}
	return d, nil
}

// readHostReply checks a host reply, [status, body], and reads its status (0 or 1) with d,
// left at the body.
func readHostReply(d *Decoder, reply []byte) (uint64, *HostError) {
	if f := validate(reply); f != nil {
		return 0, &HostError{Kind: "malformed", Message: "bad reply from the host: " + f.message}
	}
	d.Reset(reply)
	n, _, err := d.ListLen()
	if err != nil || n != 2 {
		return 0, &HostError{Kind: "malformed", Message: "bad reply from the host: not [status, body]"}
	}
	status, err := d.Uint(8)
	if err != nil || status > 1 {
		return 0, &HostError{Kind: "malformed", Message: "bad reply from the host: bad status"}
	}
	return status, nil
}

// send sends the request as it is and returns the raw reply.
func (c *HostCall) send() ([]byte, error) {
	f := hostCaller.Load()
	if f == nil {
		return nil, &HostError{Kind: "host_unavailable", Message: "no host to call (the library was not loaded by usegolib)"}
	}
	reply, ok := (*f)(c.e.Buf, c.reply[:0])
	if !ok {
		return nil, &HostError{Kind: "host_unavailable", Message: "the host did not answer (it is shutting down, or has no handler)"}
	}
	if cap(reply) <= 1<<20 {
		c.reply = reply[:0]
	}
	return reply, nil
}

// hostFailure reads the error map of a host reply.
func hostFailure(d *Decoder) *HostError {
	v, err := d.Value()
	m, ok := v.(map[string]any)
	if err != nil || !ok {
		return &HostError{Kind: "malformed", Message: "bad reply from the host: the error is not a map"}
	}
	e := &HostError{}
	e.Kind, _ = m["kind"].(string)
	e.Message, _ = m["message"].(string)
	if detail, ok := m["detail"].(map[string]any); ok {
		e.Unwind, _ = detail["unwind"].(bool)
	}
	if e.Kind == "" {
		e.Kind = "malformed"
	}
	return e
}

// NoResult reads the result of a func type without results: nil.
func (c *HostCall) NoResult(d *Decoder) error {
	if !d.Nil() {
		return &HostError{Kind: "bad_result", Message: "bad reply from the host: a result for a func without results"}
	}
	return nil
}

// Results reads the array of n results.
func (c *HostCall) Results(d *Decoder, n int) error {
	got, _, err := d.ListLen()
	if err != nil || got != n {
		return &HostError{Kind: "bad_result", Message: fmt.Sprintf("bad reply from the host: expected %d results", n)}
	}
	return nil
}

// End checks that the reply holds nothing after the result.
func (c *HostCall) End() error {
	if c.d.Remaining() != 0 {
		return &HostError{Kind: "malformed", Message: "bad reply from the host: bytes after the result"}
	}
	return nil
}

// Ok ends a successful call.
func (c *HostCall) Ok() { c.free() }

// ResultError is the error of result i of a host reply that Go could not convert.
func (c *HostCall) ResultError(i int, err error) error {
	return &HostError{Kind: "bad_result", Message: fmt.Sprintf("result %d of the host callable: %v", i, err)}
}

// Err ends a failed call of a func type with an error result: the error to return.
func (c *HostCall) Err(err error) error {
	c.free()
	return err
}

// Fail ends a failed call of a func type without an error result: it panics with a *HostPanic
// when the host asked for it (the call runs under the bridge's recover, docs/abi.md section
// 10), else it returns and the func returns zero values.
func (c *HostCall) Fail(err error) {
	c.free()
	unwindIfAsked(err)
}

// unwindIfAsked panics with a *HostPanic when err is a *HostError whose host asked for it.
func unwindIfAsked(err error) {
	var he *HostError
	if errors.As(err, &he) && he.Unwind {
		panic(&HostPanic{Err: he})
	}
}

func (c *HostCall) free() {
	if cap(c.e.Buf) > 1<<20 {
		c.e.Buf = nil
	}
	c.d.Reset(nil)
	hostCalls.Put(c)
}
