package bridge

import (
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"
)

// Context parameters (docs/abi.md section 8.7): the wire forms, the cancel op and the end of a
// bridge-made context when its call returns.

// contextArg appends a bridge-made context argument: ext type 4, [token, timeout ns].
func contextArg(buf []byte, token uint64, timeout time.Duration) []byte {
	buf = append(buf, mFixExt16, extContext)
	buf = binary.BigEndian.AppendUint64(buf, token)
	return binary.BigEndian.AppendUint64(buf, uint64(timeout))
}

// waitBridge has one function, as the generator writes its adapter: Wait(ctx) blocks until
// its context is done and returns ctx.Err() as its error.
func waitBridge() *Bridge {
	return New([]Func{{
		Name:   "example.com/ctx.Wait",
		Params: []Param{{Name: "ctx", GoType: "context.Context"}},
		Call: func(d Decoder, e Encoder) (Encoder, error) {
			a0, err := DecodeContext(&d)
			if err != nil {
				return e, ArgError(0, err)
			}
			defer EndContext(a0)
			<-a0.Done()
			return e, GoError(a0.Err())
		},
	}}, nil)
}

// waitReq is the request [1, 0, 0, [ctx]] calling Wait with a bridge-made context.
func waitReq(token uint64, timeout time.Duration) []byte {
	return contextArg([]byte{mFixArray | 4, 1, 0, 0, mFixArray | 1}, token, timeout)
}

func cancelReq(token uint64) []byte { return encodeRequest(1, opCancel, token) }

func TestCancelOpEndsTheCall(t *testing.T) {
	b := waitBridge()
	done := make(chan *reply)
	go func() { done <- handle(t, b, waitReq(42, 0)) }()
	// Until the call has decoded its context, cancel answers false; then true.
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := handle(t, b, cancelReq(42))
		if r.status != 0 {
			t.Fatalf("cancel: %v", r)
		}
		if r.ok == true {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the call never registered its context")
		}
		time.Sleep(time.Millisecond)
	}
	r := <-done
	if r.kind != "go_error" || r.message != context.Canceled.Error() {
		t.Errorf("cancelled call: %v", r)
	}
	// The call returned: its token is forgotten, a late cancel is answered false.
	if r := handle(t, b, cancelReq(42)); r.status != 0 || r.ok != false {
		t.Errorf("cancel after the call: %v", r)
	}
	if n := runningCalls(); n != 0 {
		t.Errorf("%d contexts still registered", n)
	}
}

func TestContextTimeout(t *testing.T) {
	b := waitBridge()
	start := time.Now()
	r := handle(t, b, waitReq(43, 50*time.Millisecond))
	if took := time.Since(start); took < 50*time.Millisecond || took > 5*time.Second {
		t.Errorf("the call took %v with a 50ms timeout", took)
	}
	if r.kind != "go_error" || r.message != context.DeadlineExceeded.Error() {
		t.Errorf("timed out call: %v", r)
	}
	if n := runningCalls(); n != 0 {
		t.Errorf("%d contexts still registered", n)
	}
}

func TestCancelOpErrors(t *testing.T) {
	b := waitBridge()
	if r := handle(t, b, encodeRequest(1, opCancel, 7, 1)); r.kind != "arity" || r.message != "op 3 (cancel) takes 0 arguments, got 1" {
		t.Errorf("cancel with an argument: %v", r)
	}
	if r := handle(t, b, encodeRequest(1, opCancel, "example.com/ctx.Wait")); r.kind != "malformed" || r.message != "malformed message at byte 0: op 3 (cancel) takes a context token (uint) as its target" {
		t.Errorf("cancel by name: %v", r)
	}
	// The exact reply of a cancel that found no call: [0, false].
	out, release := b.Handle(cancelReq(9))
	if string(out) != string([]byte{mFixArray | 2, 0, mFalse}) {
		t.Errorf("cancel of no call: % x", out)
	}
	release()
}

func TestDecodeContext(t *testing.T) {
	held, cancel := context.WithCancel(context.Background())
	defer cancel()
	id := handles.Put(held)
	other := handles.Put(&testCounter{})
	defer handles.Release(id)
	defer handles.Release(other)
	var e Encoder
	e.Nil()
	e.Handle(id)
	e.Handle(other)
	e.Int(1)
	e.Buf = append(e.Buf, mFixExt16, 5)
	e.Buf = append(e.Buf, make([]byte, 16)...)
	e.Buf = contextArg(e.Buf, 1<<63, 0)
	e.Buf = contextArg(e.Buf, 7, time.Duration(0)) // registered twice: the second is refused
	e.Buf = contextArg(e.Buf, 7, time.Duration(0))
	e.Buf = append(e.Buf, contextArg(nil, 8, time.Hour)[:10]...) // truncated
	d := NewDecoder(e.Buf)
	if c, err := DecodeContext(d); err != nil || c != context.Background() {
		t.Errorf("nil: %v, %v", c, err)
	}
	if c, err := DecodeContext(d); err != nil || c != held {
		t.Errorf("handle: %v, %v", c, err)
	}
	if _, err := DecodeContext(d); err == nil || !strings.Contains(err.Error(), "not a context.Context") {
		t.Errorf("handle of another type: %v", err)
	}
	if _, err := DecodeContext(d); err == nil {
		t.Error("int: no error")
	}
	d.off++ // the int was not consumed
	if _, err := DecodeContext(d); err == nil || !strings.Contains(err.Error(), "ext type 5") {
		t.Errorf("ext type 5: %v", err)
	}
	c, err := DecodeContext(d)
	if err != nil {
		t.Fatalf("token 2^63: %v", err)
	}
	if _, has := c.Deadline(); has {
		t.Error("a context without a timeout has a deadline")
	}
	EndContext(c)
	if !errors.Is(c.Err(), context.Canceled) {
		t.Errorf("EndContext did not cancel: %v", c.Err())
	}
	first, err := DecodeContext(d)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeContext(d); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("a token in use: %v", err)
	}
	EndContext(first)
	EndContext(held) // not bridge-made: left alone
	if held.Err() != nil {
		t.Error("EndContext cancelled a context the bridge did not make")
	}
	if _, err := DecodeContext(d); err == nil {
		t.Error("truncated: no error")
	}
	if n := runningCalls(); n != 0 {
		t.Errorf("%d contexts still registered", n)
	}
}

func runningCalls() int {
	running.Lock()
	defer running.Unlock()
	return len(running.m)
}
