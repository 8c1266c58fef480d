package bridge

import (
	"fmt"
	"runtime/debug"
	"sync"
)

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
	// against Params), calls the Go function and writes exactly one result value to e: nil for
	// no results, the value for one, ListLen(n) and the values for n >= 2. It returns
	// ArgError(i, err) when argument i does not convert and GoError(err) when the function
	// returned a non-nil trailing error.
	Call func(d *Decoder, e *Encoder) error
}

// Bridge dispatches requests to a fixed table of functions. It is safe for concurrent use.
type Bridge struct {
	funcs   []Func
	byName  map[string]int
	skipped map[string]string
	pool    sync.Pool // of *call
}

// call is the pooled per-call state: reusing it keeps a small call free of allocations.
type call struct {
	d       Decoder
	e       Encoder
	fn      string // the function being called, for panic messages
	inUse   bool
	release func() // returns this call to the pool; made once
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
		c := &call{}
		c.release = func() { b.put(c) }
		return c
	}
	return b
}

func (b *Bridge) put(c *call) {
	if !c.inUse { // a second release must not put c in the pool twice
		return
	}
	c.inUse = false
	c.d = Decoder{}
	c.fn = ""
	if cap(c.e.Buf) > maxPooledBuffer {
		c.e.Buf = nil
	}
	b.pool.Put(c)
}

// Handle processes one request (docs/abi.md section 3) and returns the reply (section 4). The
// reply stays valid until release is called, which must happen exactly once. Handle never panics
// and never returns an empty reply: malformed requests, unknown functions, bad arguments, Go
// errors and panics all become error replies. req is only read during the call.
func (b *Bridge) Handle(req []byte) (reply []byte, release func()) {
	c := b.pool.Get().(*call)
	c.inUse = true
	c.e.reset()
	b.serve(c, req)
	switch {
	case c.e.over || len(c.e.Buf) > MaxMessageBytes:
		writeError(&c.e, limitFailure("size", MaxMessageBytes))
	case c.e.elems > MaxElements:
		writeError(&c.e, limitFailure("elements", MaxElements))
	}
	return c.e.Buf, c.release
}

// serve writes the reply to req into c.e, turning a panic anywhere (in the function, or in
// formatting its error) into a go_panic reply.
func (b *Bridge) serve(c *call, req []byte) {
	defer func() {
		if r := recover(); r != nil {
			stack := debug.Stack() // here, the panicking frames are still on the stack
			writePanic(&c.e, c.fn, r, stack)
		}
	}()
	if f := b.dispatch(c, req); f != nil {
		writeError(&c.e, f)
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

// dispatch validates and decodes req, calls the function and leaves its reply in c.e, or returns
// the failure to reply with.
func (b *Bridge) dispatch(c *call, req []byte) *failure {
	if f := validate(req); f != nil {
		return f
	}
	d := &c.d
	d.Reset(req)
	h, f := parseHeader(d)
	if f != nil {
		return f
	}
	fn, f := b.lookup(&h)
	if f != nil {
		return f
	}
	if h.nargs != len(fn.Params) {
		return &failure{
			kind:    "arity",
			message: fmt.Sprintf("%s takes %d arguments, got %d", fn.Name, len(fn.Params), h.nargs),
			detail:  []field{{"expected", uint64(len(fn.Params))}, {"got", uint64(h.nargs)}},
		}
	}
	c.fn = fn.Name
	c.e.ListLen(2)
	c.e.Uint(0)
	if err := fn.Call(d, &c.e); err != nil {
		return callFailure(fn, err)
	}
	return nil
}

// header is the decoded [abi, op, target, args] prefix of a request; args are left in the decoder.
type header struct {
	abi, op uint64
	id      uint64 // target when byName is false
	name    []byte // target when byName is true; borrowed from the request
	byName  bool
	nargs   int
}

// parseHeader reads the request header from a structurally valid request. The abi element is
// checked first, so that a request of another ABI version gets abi_version whatever its shape.
func parseHeader(d *Decoder) (h header, f *failure) {
	n, isNil, err := d.ListLen()
	if err != nil || isNil || n == 0 {
		return h, malformed(0, "a request is an array [abi, op, target, args]")
	}
	at := d.Offset()
	if h.abi, err = d.Uint(64); err != nil {
		return h, malformed(at, "abi must be a uint: "+err.Error())
	}
	if h.abi != ABIVersion {
		return h, &failure{
			kind:    "abi_version",
			message: fmt.Sprintf("the request speaks ABI %d, this bridge speaks ABI %d", h.abi, ABIVersion),
			detail:  []field{{"got", h.abi}, {"want", uint64(ABIVersion)}},
		}
	}
	if n != 4 {
		return h, malformed(0, fmt.Sprintf("a request has 4 elements [abi, op, target, args], got %d", n))
	}
	at = d.Offset()
	if h.op, err = d.Uint(64); err != nil {
		return h, malformed(at, "op must be a uint: "+err.Error())
	}
	if h.op != 0 {
		return h, &failure{
			kind:    "unsupported_op",
			message: fmt.Sprintf("op %d is not supported: ABI %d bridges know op 0 (call a function)", h.op, ABIVersion),
			detail:  []field{{"op", h.op}},
		}
	}
	at = d.Offset()
	if d.Remaining() > 0 && isStr(d.buf[d.off]) {
		h.byName = true
		h.name, err = d.rawStr()
	} else {
		h.id, err = d.Uint(64)
	}
	if err != nil {
		return h, malformed(at, "target must be a uint id or a str name: "+err.Error())
	}
	at = d.Offset()
	n, isNil, err = d.ListLen()
	if err != nil || isNil {
		return h, malformed(at, "args must be an array")
	}
	h.nargs = n
	return h, nil
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
	case *goError:
		err = x.err
	}
	// A bare error is treated as the function's own error.
	return &failure{
		kind:    "go_error",
		message: fmt.Sprint(err),
		detail:  []field{{"type", fmt.Sprintf("%T", err)}},
	}
}
