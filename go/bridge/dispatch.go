package bridge

import (
	"fmt"
	"runtime/debug"
	"sync"
)

// The dispatcher (docs/abi.md sections 3 and 4): Bridge.Serve reads a request's header, finds
// the Func by id or name (or releases a handle, op 2, or cancels a call's context, op 3), runs
// its Call adapter under recover and writes the reply. The handle table itself is handle_table.go.

// Param describes one parameter of a bridged function, for arity checks and bad_argument details.
type Param struct {
	Name   string // the Go parameter name; argN when blank or missing
	GoType string // the Go type as written in the signature, e.g. "int8" or "[]string"
}

// Func is one bridged function. Its index in the table given to New is its function id.
type Func struct {
	Name   string  // "<import path>.<Name>"
	Params []Param // in order
	// Call reads the arguments from d (positioned at the first one; their number has been checked
	// against Params), calls the Go function, writes exactly one result value to e and returns e:
	// nil for no results, the value for one, ListLen(n) and the values for n >= 2. It returns
	// ArgError(i, err) when argument i does not convert and GoError(err) when the function
	// returned a non-nil trailing error; the Encoder it returns with an error is not used.
	//
	// d and e are passed by value: a pointer passed through a func value always escapes to the
	// heap, so passing values is what keeps the per-call state of Serve on its stack and a small
	// call free of allocations without a pool. Call must not keep d, e or their buffers.
	Call func(d Decoder, e Encoder) (Encoder, error)
}

// Bridge dispatches requests to a fixed table of functions. It is safe for concurrent use.
type Bridge struct {
	funcs   []Func
	byName  map[string]int
	skipped map[string]string
	pool    sync.Pool // of *pooledReply, for Handle only
	// The scalar form (scalar_call.go): the function id of each scalar index, and the
	// generated dispatcher; none until SetScalar.
	scalarIDs  []int
	scalarArgs []int // the number of argument words of each scalar index
	scalar     ScalarCall
}

// pooledReply is the reply buffer Handle lends until release.
type pooledReply struct {
	buf     []byte
	inUse   bool
	release func() // returns this buffer to the pool; made once
}

// maxPooledBuffer is the largest reply buffer kept for reuse; larger ones are left to the GC.
const maxPooledBuffer = 1 << 20

// New returns a Bridge for funcs, indexed by function id (dense from 0). skipped maps the
// qualified name of each exported function the bridge does not support to the recorded reason.
// New copies both.
func New(funcs []Func, skipped map[string]string) *Bridge {
	b := &Bridge{
		funcs:   append([]Func(nil), funcs...),
		byName:  make(map[string]int, len(funcs)),
		skipped: make(map[string]string, len(skipped)),
	}
	for i, f := range b.funcs {
		if _, dup := b.byName[f.Name]; !dup {
			b.byName[f.Name] = i
		}
	}
	for name, reason := range skipped {
		b.skipped[name] = reason
	}
	b.pool.New = func() any {
		p := &pooledReply{}
		p.release = func() { b.put(p) }
		return p
	}
	return b
}

func (b *Bridge) put(p *pooledReply) {
	if !p.inUse { // a second release must not put p in the pool twice
		return
	}
	p.inUse = false
	if cap(p.buf) > maxPooledBuffer {
		p.buf = nil
	}
	b.pool.Put(p)
}

// Serve processes one request (docs/abi.md section 3) and returns the reply (section 4), appended
// to buf[:0]: the reply is in buf's array when it fits in cap(buf), else in memory Serve
// allocated. Serve never panics and never returns an empty reply: malformed requests, unknown
// functions, bad arguments, Go errors and panics all become error replies. req and buf are only
// used during the call; nothing keeps them, so both may be C memory.
//
// A small call whose reply fits in buf allocates nothing: the per-call state lives in registers
// and on the stack, and is passed to Func.Call by value.
func (b *Bridge) Serve(req, buf []byte) (reply []byte) {
	var fn *Func // the function being called, for panic messages
	defer func() {
		// Formatting an error runs user code too, so a panic anywhere in here becomes go_panic.
		if r := recover(); r != nil {
			reply = panicReply(buf, fn, r, debug.Stack()) // the panicking frames are still on the stack
		}
	}()
	var h header
	if !fastHeader(req, &h) {
		if f := validate(req); f != nil {
			return errorReply(buf, f)
		}
		if f := parseHeader(req, &h); f != nil {
			return errorReply(buf, f)
		}
		if h.release {
			return release(buf, &h)
		}
		if h.cancel {
			return cancelOp(buf, &h)
		}
		switch h.errOp {
		case opErrorIs:
			return errorIsOp(req, buf, &h)
		case opErrorValue:
			return errorValueOp(buf, &h)
		}
	}
	var f *Func
	if !h.byName && h.id < uint64(len(b.funcs)) {
		f = &b.funcs[h.id]
	} else {
		var fail *failure
		if f, fail = b.lookup(&h); fail != nil {
			return errorReply(buf, fail)
		}
	}
	if h.nargs != len(f.Params) {
		return errorReply(buf, arityFailure(f, h.nargs))
	}
	fn = f
	// The reply prefix [0, is written here; Call writes the result.
	e, err := f.Call(Decoder{buf: req, off: h.args, pack: h.pack}, Encoder{append(buf[:0], mFixArray|2, 0), 2})
	if err != nil {
		return failedCall(buf, f, err)
	}
	if e.elems > MaxElements || e.elems < 0 || len(e.Buf) > MaxMessageBytes {
		writeLimit(&e)
	}
	return e.Buf
}

// failedCall writes the reply of a call whose adapter returned err: its error reply, followed
// by the out-parameters (section 8.6) when the Go function returned an error and the call has
// some.
func failedCall(buf []byte, f *Func, err error) []byte {
	first := callFailure(f, err)
	reply := errorReply(buf, first)
	if ge, ok := err.(*goError); ok && len(ge.outs) > 0 {
		e := Encoder{Buf: reply}
		if oerr := writeOuts(&e, ge.outs); oerr != nil {
			// The bad_result reply keeps the function's own error in its message: it is the
			// cause of the call's failure, and would otherwise be lost.
			releaseAll(first.handles) // the chain's handles go with the reply given up
			fl := callFailure(f, oerr)
			fl.message += "; the function had returned the error: " + ge.Error()
			return errorReply(buf, fl)
		}
		if e.elems > MaxElements || e.elems < 0 || len(e.Buf) > MaxMessageBytes {
			writeLimit(&e)
		}
		return e.Buf
	}
	return reply
}

// errorReply writes the error reply for f to buf[:0].
func errorReply(buf []byte, f *failure) []byte {
	e := Encoder{Buf: buf[:0]}
	writeError(&e, f)
	return e.Buf
}

// panicReply writes the go_panic reply for the panic value r to buf[:0].
func panicReply(buf []byte, fn *Func, r any, stack []byte) []byte {
	where := ""
	if fn != nil {
		where = fn.Name
	}
	e := Encoder{Buf: buf[:0]}
	writePanic(&e, where, r, stack)
	if e.elems > MaxElements || e.elems < 0 || len(e.Buf) > MaxMessageBytes {
		writeLimit(&e)
	}
	return e.Buf
}

// writeLimit replaces a reply over a hard limit of section 6 with a limit_exceeded reply.
func writeLimit(e *Encoder) {
	if e.over() || len(e.Buf) > MaxMessageBytes {
		writeError(e, limitFailure("size", MaxMessageBytes))
	} else {
		writeError(e, limitFailure("elements", MaxElements))
	}
}

// Handle is Serve with a pooled reply buffer, for tests and tools: the reply stays valid until
// release is called, which must happen exactly once. The generated entry point uses Serve, with
// the caller's buffer.
func (b *Bridge) Handle(req []byte) (reply []byte, release func()) {
	p := b.pool.Get().(*pooledReply)
	p.inUse = true
	p.buf = b.Serve(req, p.buf)
	return p.buf, p.release
}

func arityFailure(fn *Func, got int) *failure {
	return &failure{
		kind:    "arity",
		message: fmt.Sprintf("%s takes %d arguments, got %d", fn.Name, len(fn.Params), got),
		detail:  []field{{"expected", uint64(len(fn.Params))}, {"got", uint64(got)}},
	}
}

// writePanic writes the go_panic reply. Formatting a panic value runs user code (String and
// Error methods), so a second panic is caught here and gives a reply without the value.
func writePanic(e *Encoder, fn string, r any, stack []byte) {
	where := fn
	if where == "" {
		where = "the bridge"
	}
	typ := fmt.Sprintf("%T", r) // %T runs no user code
	defer func() {
		if recover() != nil {
			writeError(e, &failure{
				kind:    "go_panic",
				message: "panic in " + where + " (its value could not be formatted)",
				detail:  []field{{"stack", string(stack)}, {"type", typ}, {"value", ""}},
			})
		}
	}()
	value := fmt.Sprint(r)
	writeError(e, &failure{
		kind:    "go_panic",
		message: "panic in " + where + ": " + value,
		detail:  []field{{"stack", string(stack)}, {"type", typ}, {"value", value}},
	})
}

// header is the decoded [abi, op, target, args] prefix of a request.
type header struct {
	id     uint64 // target when byName is false
	name   []byte // target when byName is true; borrowed from the request
	byName bool
	// release is true for op 2: release the handle id (docs/abi.md section 8.3). fastHeader
	// only accepts op 0 and leaves it false.
	release bool
	// cancel is true for op 3: cancel the bridge-made context whose token is the target
	// (context.go). fastHeader leaves it false too.
	cancel bool
	// errOp is opErrorIs or opErrorValue for ops 4 and 5 (error_chain.go), else 0.
	errOp uint64
	// pack is true for op 6: a call whose results that are slices of numbers are written
	// packed (packed.go).
	pack  bool
	nargs int
	args  int // offset of the first argument
}

// fastHeader recognises the common request [1, 0 or 6, target, [args...]] whose target is a uint id
// of at most 2 bytes or a str name shorter than 256 bytes, and whose arguments are scalars, str,
// bin and ext (which validate accepts as such) or containers at most 16 deep (scanShallow), and
// parses its header. It returns ok only when the whole
// request is well formed by the rules of validate (a 4-element array, declared lengths within
// the remaining bytes, no c1 marker, nothing after the args, at most MaxMessageBytes; the depth
// is at most 2+16, within MaxDepth, and every element takes a byte, so a request of at most
// MaxElements bytes is within that limit), and h is then what parseHeader
// returns for it. Anything else is left to validate and parseHeader, which give the precise
// reply; the fast path never decides a failure.
func fastHeader(req []byte, h *header) bool {
	// 94 01 00, the target and the args header take at least 5 bytes.
	if len(req) < 5 || len(req) > MaxMessageBytes || req[0] != mFixArray|4 || req[1] != ABIVersion || (req[2] != 0 && req[2] != opCallPacked) {
		return false
	}
	h.pack = req[2] == opCallPacked
	off := 4
	switch m := req[3]; {
	case m <= 0x7f:
		h.id = uint64(m)
	case m == mUint8:
		h.id, off = uint64(req[4]), 5
	case m == mUint16:
		if len(req) < 6 {
			return false
		}
		h.id, off = uint64(req[4])<<8|uint64(req[5]), 6
	case m >= mFixStr && m <= 0xbf:
		h.byName = true
		if n := int(m - mFixStr); n <= len(req)-off {
			h.name, off = req[off:off+n], off+n
		} else {
			return false
		}
	case m == mStr8:
		h.byName = true
		if n := int(req[4]); n <= len(req)-5 {
			h.name, off = req[5:5+n], 5+n
		} else {
			return false
		}
	default:
		return false
	}
	if off >= len(req) || req[off]&0xf0 != mFixArray {
		return false
	}
	h.nargs = int(req[off] & 0x0f)
	off++
	h.args = off
	for i := 0; i < h.nargs; i++ {
		if off >= len(req) {
			return false
		}
		m := req[off]
		if isFixInt(m) { // the common case: one byte
			off++
			continue
		}
		info := &markers[m]
		hdr := int(info.hdr)
		if hdr > len(req)-off {
			return false
		}
		n := info.declaredLen(req[off:])
		off += hdr
		switch info.class {
		case classScalar:
		case classPayload:
			if n > len(req)-off {
				return false
			}
			off += n
		case classArray, classMap:
			// A record, list or map argument: checked by the shallow scanner (the request
			// validate would give it, within depth 2+16; the element count is at most the
			// bytes, so within MaxElements for a request that size).
			end, ok := scanShallow(req, off-hdr)
			if !ok || len(req) > MaxElements {
				return false
			}
			off = end
		default: // c1
			return false
		}
	}
	return off == len(req)
}

// parseHeader reads the request header from a structurally valid request. The abi element is
// checked first, so that a request of another ABI version gets abi_version whatever its shape.
func parseHeader(req []byte, h *header) *failure {
	d := &Decoder{buf: req}
	n, isNil, err := d.ListLen()
	if err != nil || isNil || n == 0 {
		return malformed(0, "a request is an array [abi, op, target, args]")
	}
	at := d.Offset()
	abi, err := d.Uint(64)
	if err != nil {
		return malformed(at, "abi must be a uint: "+err.Error())
	}
	if abi != ABIVersion {
		return &failure{
			kind:    "abi_version",
			message: fmt.Sprintf("the request speaks ABI %d, this bridge speaks ABI %d", abi, ABIVersion),
			detail:  []field{{"got", abi}, {"want", uint64(ABIVersion)}},
		}
	}
	if n != 4 {
		return malformed(0, fmt.Sprintf("a request has 4 elements [abi, op, target, args], got %d", n))
	}
	at = d.Offset()
	op, err := d.Uint(64)
	if err != nil {
		return malformed(at, "op must be a uint: "+err.Error())
	}
	if op != 0 && op != opRelease && op != opCancel && op != opErrorIs && op != opErrorValue && op != opCallPacked {
		return &failure{
			kind:    "unsupported_op",
			message: fmt.Sprintf("op %d is not supported: ABI %d bridges know op 0 (call a function) and op 2 (release a handle)", op, ABIVersion),
			detail:  []field{{"op", op}},
		}
	}
	h.release = op == opRelease
	h.cancel = op == opCancel
	h.pack = op == opCallPacked
	if op == opErrorIs || op == opErrorValue {
		h.errOp = op
	}
	at = d.Offset()
	if d.Remaining() > 0 && isStr(d.buf[d.off]) {
		h.byName = true
		h.name, err = d.rawStr()
	} else {
		h.id, err = d.Uint(64)
	}
	if err != nil {
		return malformed(at, "target must be a uint id or a str name: "+err.Error())
	}
	at = d.Offset()
	n, isNil, err = d.ListLen()
	if err != nil || isNil {
		return malformed(at, "args must be an array")
	}
	h.nargs = n
	h.args = d.Offset()
	return nil
}

// lookup finds the function a header targets.
func (b *Bridge) lookup(h *header) (*Func, *failure) {
	if !h.byName {
		if h.id < uint64(len(b.funcs)) {
			return &b.funcs[h.id], nil
		}
		return nil, &failure{
			kind:    "unknown_symbol",
			message: fmt.Sprintf("no function with id %d (this bridge has %d)", h.id, len(b.funcs)),
			detail:  []field{{"target", h.id}},
		}
	}
	if i, ok := b.byName[string(h.name)]; ok { // no allocation: the compiler converts in place
		return &b.funcs[i], nil
	}
	name := string(h.name)
	if reason, ok := b.skipped[name]; ok {
		return nil, &failure{
			kind:    "skipped_symbol",
			message: fmt.Sprintf("%s is not available in this bridge: %s", name, reason),
			detail:  []field{{"name", name}, {"reason", reason}},
		}
	}
	return nil, &failure{
		kind:    "unknown_symbol",
		message: fmt.Sprintf("no function named %q", name),
		detail:  []field{{"target", name}},
	}
}

// callFailure turns the error a Call adapter returned into its reply.
func callFailure(fn *Func, err error) *failure {
	switch x := err.(type) {
	case *argError:
		param, goType := fmt.Sprintf("arg%d", x.index), "?"
		if x.index >= 0 && x.index < len(fn.Params) {
			param, goType = fn.Params[x.index].Name, fn.Params[x.index].GoType
		}
		reason := fmt.Sprint(x.err)
		return &failure{
			kind:    "bad_argument",
			message: fmt.Sprintf("argument %d (%s %s): %s", x.index, param, goType, reason),
			detail:  []field{{"go_type", goType}, {"index", x.index}, {"param", param}, {"reason", reason}},
		}
	case *resultError:
		return resultFailure(fn, x)
	case *outError:
		reason := fmt.Sprint(x.err)
		return &failure{
			kind:    "bad_result",
			message: fmt.Sprintf("%s: the out-parameter of argument %d cannot be encoded: %s", fn.Name, x.arg, reason),
			detail:  []field{{"index", x.arg}, {"reason", reason}},
		}
	case *goError:
		err = x.err
	}
	// A bare error is treated as the function's own error.
	fl := &failure{kind: "go_error", message: fmt.Sprint(err)}
	typ := field{"type", fmt.Sprintf("%T", err)}
	if id, key, ok := errorRef(err); ok {
		fl.detail = []field{{"handle", HandleID(id)}, {"key", key}, typ} // sorted
		fl.handles = []uint64{id}
	} else {
		fl.detail = []field{typ}
	}
	return fl
}
