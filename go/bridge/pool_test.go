package bridge

import "testing"

// The buffers the bridge pools keep at most 1 MiB each (docs/adr/0027-large-bytes-and-memory.md):
// a buffer grown past that by a large reply or host call is left to the garbage collector when
// it goes back to its pool, so a huge call leaves nothing large behind. (sync.Pool also empties
// itself over two collections.)
func TestPooledBuffersKeepAtMost1MiB(t *testing.T) {
	b := newTestBridge()
	for _, size := range []int{4 << 10, maxPooledBuffer, maxPooledBuffer + 1, 64 << 20} {
		p := &pooledReply{buf: make([]byte, 0, size), inUse: true}
		b.put(p)
		if kept := cap(p.buf); size <= maxPooledBuffer && kept != size || size > maxPooledBuffer && kept != 0 {
			t.Errorf("pooled reply buffer of %d bytes: %d kept", size, kept)
		}
	}
	for _, size := range []int{512, 1 << 20, 1<<20 + 1, 64 << 20} {
		c := newHostCall(1, hostOpCall, 0, 0)
		c.e.Buf = make([]byte, 0, size)
		c.free()
		if kept := cap(c.e.Buf); size <= 1<<20 && kept != size || size > 1<<20 && kept != 0 {
			t.Errorf("host call request buffer of %d bytes: %d kept", size, kept)
		}
	}
}

// A host reply larger than 1 MiB is not kept as the next call's reply buffer.
func TestHostCallReplyBufferKeepsAtMost1MiB(t *testing.T) {
	for _, size := range []int{512, 1 << 20, 1<<20 + 1, 16 << 20} {
		big := make([]byte, 3, size)
		big[0], big[1], big[2] = mFixArray|2, 0, mNil
		f := HostCaller(func(req, buf []byte) ([]byte, bool) { return big, true })
		old := hostCaller.Swap(&f)
		c := newHostCall(1, hostOpCall, 0, 0)
		c.reply = make([]byte, 0, 512)
		if _, err := c.send(); err != nil {
			t.Fatal(err)
		}
		hostCaller.Store(old)
		if kept := cap(c.reply); size <= 1<<20 && kept != size || size > 1<<20 && kept != 512 {
			t.Errorf("host reply of capacity %d: the call keeps %d", size, kept)
		}
		c.free()
	}
}
