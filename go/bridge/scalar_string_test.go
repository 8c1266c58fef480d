package bridge

import (
	"bytes"
	"strings"
	"testing"
	"unsafe"
)

// wordOf is the word a host writes for the address of b's bytes (docs/abi.md section 8.13).
func wordOf(b []byte) uint64 {
	if len(b) == 0 {
		return 0
	}
	return uint64(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
}

// Check(s) and Repeat(s, n), their string in two words, against Serve with the same values:
// empty, NUL bytes, invalid UTF-8, and a result larger than the buffer the caller lends.
func TestServeScalarStringsMatchServe(t *testing.T) {
	b := newScalarBridge()
	for _, s := range []string{"", "p", "ok", "a\x00b", "\xff\xfe\xc3", "héllo ☃", strings.Repeat("x", 300)} {
		for _, n := range []int64{-1, 0, 1, 3} {
			src := []byte(s)
			var w ScalarWords
			w[0], w[1], w[2] = wordOf(src), uint64(len(src)), uint64(n)
			st, area := b.ServeScalar(10, &w, 3, make([]byte, 0, 256))
			g, err := parseReply(b.Serve(callReq("Repeat", s, n), nil))
			if err != nil || g.status != 0 || st != ScalarCallOK {
				t.Fatalf("Repeat(%q, %d): scalar %d, general %v %v", s, n, st, g, err)
			}
			want := g.ok.([]any)
			if area == nil || w[0]+w[1] > uint64(len(area)) {
				t.Fatalf("Repeat(%q, %d): words %v outside the area of %d bytes", s, n, w[:3], len(area))
			}
			got := string(area[w[0] : w[0]+w[1]])
			if got != want[0] || int64(w[2]) != normalise(want[1]) {
				t.Errorf("Repeat(%q, %d): scalar %q %d, general %q %v", s, n, got, int64(w[2]), want[0], want[1])
			}
		}
		// Check(s): the function's error for anything but "ok", byte for byte.
		src := []byte(s)
		var w ScalarWords
		w[0], w[1] = wordOf(src), uint64(len(src))
		st, rep := b.ServeScalar(9, &w, 2, nil)
		general := b.Serve(callReq("Check", s), nil)
		if g, _ := parseReply(general); (g.status == 0) != (st == ScalarCallOK) || g.status != 0 && !bytes.Equal(rep, general) {
			t.Errorf("Check(%q): scalar %d %x, general %s", s, st, rep, g)
		}
		if st == ScalarCallOK && rep != nil {
			t.Errorf("Check(%q): a result area %x for an entry without string results", s, rep)
		}
	}
}

// A string argument is copied (the host may reuse its bytes after the call), and a view only
// where the generator says the parameter is read in place.
func TestArgStringCopies(t *testing.T) {
	src := []byte("abc")
	s, err := ArgString(wordOf(src), 3)
	v, verr := ArgStringView(wordOf(src), 3)
	if err != nil || verr != nil || s != "abc" || v != "abc" {
		t.Fatalf("ArgString: %q %v, view %q %v", s, err, v, verr)
	}
	src[0] = 'X'
	if s != "abc" || v != "Xbc" {
		t.Errorf("after the host changed its bytes: copy %q, view %q", s, v)
	}
	for _, addr := range []uint64{0, 1, 1 << 63} { // any address with length 0
		if s, err := ArgString(addr, 0); s != "" || err != nil {
			t.Errorf("ArgString(%#x, 0) = %q, %v", addr, s, err)
		}
	}
	if _, err := ArgString(wordOf(src), MaxMessageBytes+1); err == nil || !strings.Contains(err.Error(), "longer than a message may be") {
		t.Errorf("a length over the limit: %v", err)
	}
}

// The result area: never nil for an entry with string results (even with no buffer lent and
// nothing in it), in the caller's buffer when it fits, and a failure of too many words counts
// words.
func TestServeScalarResultArea(t *testing.T) {
	b := newScalarBridge()
	var w ScalarWords
	st, area := b.ServeScalar(10, &w, 3, nil) // Repeat("", 0)
	if st != ScalarCallOK || area == nil || len(area) != 0 {
		t.Fatalf("an empty result area: %d %v", st, area)
	}
	buf := make([]byte, 0, 64)
	src := []byte("ab")
	w[0], w[1], w[2] = wordOf(src), 2, 4
	if st, area := b.ServeScalar(10, &w, 3, buf); st != ScalarCallOK || string(area) != "abababab" || &area[0] != &buf[:1][0] {
		t.Errorf("a result that fits is in the buffer: %d %q", st, area)
	}
	w[0], w[1], w[2] = wordOf(src), 2, 100 // 200 bytes: the area grows past the buffer
	if st, area := b.ServeScalar(10, &w, 3, buf); st != ScalarCallOK || len(area) != 200 || w[1] != 200 {
		t.Errorf("a result larger than the buffer: %d %d bytes, words %v", st, len(area), w[:3])
	}
	st, rep := b.ServeScalar(10, &w, 2, nil)
	r, err := parseReply(rep)
	if st != ScalarCallFailed || err != nil || r.kind != "arity" || r.message != "example.com/calc.Repeat takes 3 argument words in the scalar form, got 2" {
		t.Errorf("a word short: %d %v %v", st, r, err)
	}
}

// FuzzServeScalarString checks that any string argument gives the general form's answer: the
// same result strings (bytes and where they lie in the area), or the same failure reply.
func FuzzServeScalarString(f *testing.F) {
	f.Add([]byte("ok"), int8(2))
	f.Add([]byte("a\x00\xff"), int8(-1))
	f.Add([]byte{}, int8(0))
	b := newScalarBridge()
	f.Fuzz(func(t *testing.T, s []byte, n int8) {
		var w ScalarWords
		w[0], w[1], w[2] = wordOf(s), uint64(len(s)), uint64(int64(n))
		st, area := b.ServeScalar(10, &w, 3, make([]byte, 0, 64))
		g, err := parseReply(b.Serve(callReq("Repeat", string(s), int64(n)), nil))
		if err != nil || g.status != 0 || st != ScalarCallOK {
			t.Fatalf("Repeat(%q, %d): scalar %d, general %v %v", s, n, st, g, err)
		}
		want := g.ok.([]any)
		if w[0] != 0 || w[1] != uint64(len(area)) || string(area) != want[0] || int64(w[2]) != normalise(want[1]) {
			t.Fatalf("Repeat(%q, %d): scalar %q %v, general %q", s, n, area, w[:3], want)
		}
		w[0], w[1] = wordOf(s), uint64(len(s))
		st, rep := b.ServeScalar(9, &w, 2, nil)
		general := b.Serve(callReq("Check", string(s)), nil)
		if gc, _ := parseReply(general); (gc.status == 0) != (st == ScalarCallOK) || gc.status != 0 && !bytes.Equal(rep, general) {
			t.Fatalf("Check(%q): scalar %d %x, general %s", s, st, rep, gc)
		}
	})
}

// A string at address 0 with bytes is a bad argument, not a panic in unsafe.Slice.
func TestArgStringAtAddressZero(t *testing.T) {
	for _, f := range []func(uint64, uint64) (string, error){ArgString, ArgStringView} {
		if _, err := f(0, 3); err == nil || !strings.Contains(err.Error(), "at address 0") {
			t.Errorf("a string of 3 bytes at address 0: %v", err)
		}
	}
}
