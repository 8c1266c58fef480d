package bridge

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"time"
)

// Context parameters (docs/abi.md section 8.7): a context.Context parameter receives, on the
// wire, nil (context.Background()), a handle (a Go value that implements context.Context), or
// ext type 4 with 16 bytes, [token uint64, timeout in nanoseconds uint64 (0: none)], both
// big-endian. For the ext form the bridge makes a context that op 3 (cancel, target the token)
// cancels and that ends at the timeout; it is registered under its token while the call runs,
// and EndContext, deferred by the generated adapter, cancels and forgets it when the call
// returns.

// extContext is the ext type of a bridge-made context.
const extContext = 4

// opCancel is the op that cancels the bridge-made context of a running call: [1, 3, token, []].
const opCancel = 3

// running maps the token of each call's bridge-made context to its cancel function.
var running = struct {
	sync.Mutex
	m map[uint64]context.CancelFunc
}{m: map[uint64]context.CancelFunc{}}

// callContext is a bridge-made context: the derived context and its token.
type callContext struct {
	context.Context
	token uint64
}

// DecodeContext reads an argument of wire type context: nil gives context.Background(), a
// handle the Go value it names (which must implement context.Context), and ext type 4 a new
// context registered under its token until EndContext.
func DecodeContext(d *Decoder) (context.Context, error) {
	if d.Nil() {
		return context.Background(), nil
	}
	if d.off < len(d.buf) && d.buf[d.off] == mFixExt8 {
		c, err := DecodeHandle[context.Context](d, "context.Context")
		if err != nil {
			return nil, err
		}
		if c == nil { // a handle never holds nil; keep the function from seeing a nil context
			return context.Background(), nil
		}
		return c, nil
	}
	if d.off >= len(d.buf) || d.buf[d.off] != mFixExt16 {
		return nil, d.mismatch("nil, a handle or a context (ext type 4)")
	}
	b, err := d.take(1, 17)
	if err != nil {
		return nil, err
	}
	if b[0] != extContext {
		return nil, fmt.Errorf("expected a context (ext type 4), got ext type %d", int8(b[0]))
	}
	token, timeout := binary.BigEndian.Uint64(b[1:9]), binary.BigEndian.Uint64(b[9:17])
	var ctx context.Context
	var cancel context.CancelFunc
	switch {
	case timeout == 0:
		ctx, cancel = context.WithCancel(context.Background())
	case timeout > uint64(1<<63-1):
		return nil, fmt.Errorf("timeout %d ns is out of range", timeout)
	default:
		ctx, cancel = context.WithTimeout(context.Background(), time.Duration(timeout))
	}
	running.Lock()
	if _, dup := running.m[token]; dup {
		running.Unlock()
		cancel()
		return nil, fmt.Errorf("context token %d is in use by a running call", token)
	}
	running.m[token] = cancel
	running.Unlock()
	return &callContext{ctx, token}, nil
}

// EndContext ends a context DecodeContext made (when the call it was made for returns):
// it is cancelled and its token forgotten. Other contexts are left alone.
func EndContext(ctx context.Context) {
	c, ok := ctx.(*callContext)
	if !ok {
		return
	}
	running.Lock()
	cancel := running.m[c.token]
	delete(running.m, c.token)
	running.Unlock()
	if cancel != nil {
		cancel()
	}
}

// cancelCall cancels the bridge-made context registered under token, if a call is still
// running with it; it reports whether one was.
func cancelCall(token uint64) bool {
	running.Lock()
	cancel := running.m[token]
	running.Unlock()
	if cancel == nil {
		return false
	}
	cancel()
	return true
}

// cancelOp answers op 3 for the request header h: [0, true] when a running call's context was
// cancelled, [0, false] when none runs with that token (it returned already, or has not
// decoded its context yet).
func cancelOp(buf []byte, h *header) []byte {
	if f := idOpHeader(h, "op 3 (cancel)", "a context token"); f != nil {
		return errorReply(buf, f)
	}
	if cancelCall(h.id) {
		return append(buf[:0], mFixArray|2, 0, mTrue)
	}
	return append(buf[:0], mFixArray|2, 0, mFalse)
}
