package bridge

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"
)

// Host calls (docs/abi.md section 10) against a host written in Go: what a func wrapper sees of
// each kind of reply, and the release of collected host objects. The real host (the Python
// binding, through the C trampoline) is tested in tests/python/test_callbacks.py.

// testHost answers host requests with reply and records the passes released per id.
type testHost struct {
	mu       sync.Mutex
	reply    func(req []any) []byte
	released map[uint64]uint64
}

func (h *testHost) call(req, buf []byte) ([]byte, bool) {
	v, err := NewDecoder(req).Value()
	if err != nil {
		panic(err)
	}
	r := v.([]any)
	if r[1] == uint64(hostOpRelease) || r[1] == int64(hostOpRelease) {
		h.mu.Lock()
		for _, x := range r[4].([]any) {
			if pair, ok := x.([]any); ok { // [id, passes]
				h.released[toU64(pair[0])] += toU64(pair[1])
			} else {
				h.released[toU64(x)]++
			}
		}
		h.mu.Unlock()
		return append(buf[:0], 0x92, 0, 0xc0), true
	}
	return append(buf[:0], h.reply(r)...), true
}

func toU64(v any) uint64 {
	switch x := v.(type) {
	case int64:
		return uint64(x)
	case uint64:
		return x
	}
	panic(v)
}

func encodeReply(t *testing.T, status uint64, body any) []byte {
	t.Helper()
	var e Encoder
	e.ListLen(2)
	e.Uint(status)
	if err := e.Value(body); err != nil {
		t.Fatal(err)
	}
	return e.Buf
}

func TestHostCallRepliesAndFailures(t *testing.T) {
	host := &testHost{released: map[uint64]uint64{}}
	SetHostCaller(host.call)
	defer hostCaller.Store(nil)
	h := NewHostObject(7)
	call := func() (*Decoder, error) {
		c := h.Call(1)
		c.Enc().Int(41)
		d, err := c.Send()
		if err != nil {
			c.Err(err)
			return nil, err
		}
		return d, nil
	}

	host.reply = func(req []any) []byte {
		if toU64(req[2]) != 7 || toU64(req[3]) != 0 || toU64(req[4].([]any)[0]) != 41 {
			t.Errorf("request %v, want [1 0 7 0 [41]]", req)
		}
		return encodeReply(t, 0, int64(42))
	}
	d, err := call()
	if err != nil {
		t.Fatal(err)
	}
	if n, err := d.Int(64); err != nil || n != 42 {
		t.Fatalf("result %d, %v", n, err)
	}

	fail := func(unwind bool) []byte {
		return encodeReply(t, 1, map[string]any{"kind": "python_exception", "message": "ValueError: no",
			"detail": map[string]any{"type": "ValueError", "unwind": unwind}})
	}
	host.reply = func([]any) []byte { return fail(false) }
	_, err = call()
	var he *HostError
	if !errors.As(err, &he) || he.Kind != "python_exception" || he.Message != "ValueError: no" || he.Unwind {
		t.Fatalf("error %#v", err)
	}

	// Fail: zero values without unwind, a *HostPanic with it.
	c := h.Call(0)
	c.Fail(he)
	host.reply = func([]any) []byte { return fail(true) }
	_, err = call()
	func() {
		defer func() {
			p, ok := recover().(*HostPanic)
			if !ok || p.Error() != "host callback failed: ValueError: no" {
				t.Errorf("recovered %v, want a *HostPanic", p)
			}
		}()
		c := h.Call(0)
		c.Fail(err)
		t.Error("Fail with unwind returned")
	}()

	host.reply = func([]any) []byte { return []byte{0x93, 0, 0, 0} }
	if _, err := call(); !errors.As(err, &he) || he.Kind != "malformed" {
		t.Errorf("a bad reply: %v", err)
	}
	hostCaller.Store(nil)
	if _, err := call(); !errors.As(err, &he) || he.Kind != "host_unavailable" {
		t.Errorf("no host: %v", err)
	}
	runtime.KeepAlive(h)
}

func TestHostStreams(t *testing.T) {
	var got []byte
	host := &testHost{released: map[uint64]uint64{}}
	host.reply = func(req []any) []byte {
		switch a := req[4].([]any)[0].(type) {
		case []byte: // a write
			got = append(got, a...)
			return encodeReply(t, 0, int64(len(a)))
		default: // a read of at most a bytes: two, then the end
			if len(got) >= 4 {
				return encodeReply(t, 0, []byte{})
			}
			got = append(got, 'r', 'r')
			return encodeReply(t, 0, []byte("ab"))
		}
	}
	SetHostCaller(host.call)
	defer hostCaller.Store(nil)
	w := &hostWriter{h: NewHostObject(1)}
	if n, err := w.Write([]byte("hello")); n != 5 || err != nil || string(got) != "hello" {
		t.Fatalf("Write: %d, %v, host got %q", n, err, got)
	}
	got = nil
	b, err := io.ReadAll(&hostReader{h: NewHostObject(2)})
	if err != nil || string(b) != "abab" {
		t.Fatalf("ReadAll: %q, %v", b, err)
	}
}

// A host whose read returns more bytes than asked, or whose write reports a count outside the
// chunk, gets a bad_result error that says both numbers.
func TestHostStreamsBadCounts(t *testing.T) {
	host := &testHost{released: map[uint64]uint64{}}
	var count int64
	host.reply = func(req []any) []byte {
		if _, ok := req[4].([]any)[0].([]byte); ok {
			return encodeReply(t, 0, count)
		}
		return encodeReply(t, 0, []byte("abc"))
	}
	SetHostCaller(host.call)
	defer hostCaller.Store(nil)
	var he *HostError
	_, err := (&hostReader{h: NewHostObject(1)}).Read(make([]byte, 2))
	if !errors.As(err, &he) || he.Kind != "bad_result" || he.Message != "the host's read returned 3 bytes, more than the 2 asked for; read(n) must return at most n bytes" {
		t.Errorf("read of 3 bytes for 2: %v", err)
	}
	for _, count = range []int64{-1, 6} {
		_, err := (&hostWriter{h: NewHostObject(2)}).Write([]byte("hello"))
		want := fmt.Sprintf("the host's write of 5 bytes reported %d written; write(b) must return a count from 0 to len(b)", count)
		if !errors.As(err, &he) || he.Kind != "bad_result" || he.Message != want {
			t.Errorf("write reporting %d: %v", count, err)
		}
	}
}

func TestCollectedHostObjectsAreReleased(t *testing.T) {
	host := &testHost{released: map[uint64]uint64{}}
	SetHostCaller(host.call)
	defer hostCaller.Store(nil)
	for id := uint64(1000); id < 1100; id++ {
		NewHostObject(id)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		host.mu.Lock()
		n := 0
		for id := uint64(1000); id < 1100; id++ {
			if host.released[id] == 1 {
				n++
			}
		}
		host.mu.Unlock()
		if n == 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 100 collected host objects released", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for id := uint64(1000); id < 1100; id++ {
		if host.released[id] != 1 {
			t.Errorf("id %d: %d passes released, want 1", id, host.released[id])
		}
	}
}

func TestAHostObjectPassedAgainIsOneObjectReleasedWithItsPasses(t *testing.T) {
	host := &testHost{released: map[uint64]uint64{}}
	SetHostCaller(host.call)
	defer hostCaller.Store(nil)
	id := freshHostID() // Go may still hold the id of an earlier run (-count)
	h := HostObjectAgain(id)
	for range 4 {
		if again := HostObjectAgain(id); again != h {
			t.Fatal("the id passed again while Go holds it gave a second HostObject")
		}
	}
	runtime.KeepAlive(h)
	h = nil
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		host.mu.Lock()
		n := host.released[id]
		host.mu.Unlock()
		if n != 0 {
			if n != 5 {
				t.Fatalf("released %d passes of %d, want 5", n, id)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the collected host object was not released")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Passed again after the release was queued: a new HostObject, released on its own.
	h2 := HostObjectAgain(id)
	if n := h2.passes.Load(); n != 1 {
		t.Fatalf("a new HostObject for a released id has %d passes, want 1", n)
	}
}

func TestAHostObjectPassedAgainConcurrentlyIsOneObject(t *testing.T) {
	host := &testHost{released: map[uint64]uint64{}}
	SetHostCaller(host.call)
	defer hostCaller.Store(nil)
	const goroutines, passes = 8, 1000
	id := freshHostID()
	got := make(chan *HostObject, goroutines)
	var wg sync.WaitGroup
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var h *HostObject
			for range passes {
				h = HostObjectAgain(id)
			}
			got <- h
		}()
	}
	wg.Wait()
	close(got)
	first := <-got
	for h := range got {
		if h != first {
			t.Fatal("an id passed again from several goroutines at once gave two HostObjects")
		}
	}
	if n := first.passes.Load(); n != goroutines*passes {
		t.Fatalf("%d passes counted, want %d", n, goroutines*passes)
	}
}

// BenchmarkHostObjectAgain is the Go side of a callable passed again (the loop Apply(f, x)):
// the lookup of its HostObject and one more pass.
func BenchmarkHostObjectAgain(b *testing.B) {
	h := HostObjectAgain(5000)
	b.ReportAllocs()
	for b.Loop() {
		HostObjectAgain(5000)
	}
	runtime.KeepAlive(h)
}

// hostTestIDs gives the tests of ids passed again ids no earlier run used.
var hostTestIDs atomic.Uint64

func freshHostID() uint64 { return 1<<40 + hostTestIDs.Add(1) }

// The padding of HostObject keeps it at 256 bytes, the size class its doc reasons about (16 a
// span); a field added must take a word of the padding.
func TestHostObjectSize(t *testing.T) {
	if n := unsafe.Sizeof(HostObject{}); n != 256 {
		t.Fatalf("HostObject is %d bytes, want 256: shrink its padding", n)
	}
}
