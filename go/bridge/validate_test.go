package bridge

import (
	"bytes"
	"runtime"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	nested := func(n int) []byte { return append(bytes.Repeat([]byte{0x91}, n), 0xc0) }
	cases := []struct {
		name   string
		in     []byte
		kind   string // "" for valid
		offset uint64
		limit  string
	}{
		{"int", hexBytes("01"), "", 0, ""},
		{"request", hexBytes("94 01 00 03 92 01 02"), "", 0, ""},
		{"maps and ext are structurally fine", hexBytes("92 82 a1 61 01 02 c0 d4 01 02"), "", 0, ""},
		{"empty containers", hexBytes("93 90 80 dc 00 00"), "", 0, ""},
		{"depth 64", nested(MaxDepth), "", 0, ""},
		{"empty array at depth 64", append(bytes.Repeat([]byte{0x91}, MaxDepth-1), 0x90), "", 0, ""},
		{"empty", nil, "malformed", 0, ""},
		{"c1", hexBytes("c1"), "malformed", 0, ""},
		{"c1 inside", hexBytes("92 01 c1"), "malformed", 2, ""},
		{"trailing", hexBytes("94 01 00 03 92 01 02 00"), "malformed", 7, ""},
		{"trailing after empty array", hexBytes("90 90"), "malformed", 1, ""},
		{"missing element", hexBytes("92 01"), "malformed", 0, ""},
		{"missing nested element", hexBytes("92 91 01"), "malformed", 3, ""},
		{"short uint16", hexBytes("cd 01"), "malformed", 0, ""},
		{"short float64", hexBytes("91 cb 00 00"), "malformed", 1, ""},
		{"short str8 header", hexBytes("d9"), "malformed", 0, ""},
		{"short array32 header", hexBytes("dd 00 00"), "malformed", 0, ""},
		{"str longer than input", hexBytes("a3 61"), "malformed", 0, ""},
		{"fixext1 truncated", hexBytes("d4"), "malformed", 0, ""},
		{"fixext16 truncated", hexBytes("d8 01 00"), "malformed", 0, ""},
		{"ext8 truncated", hexBytes("c7 05 01 00"), "malformed", 0, ""},
		{"map pair needs 2 bytes", hexBytes("81 01"), "malformed", 0, ""},
		{"array32 bomb", hexBytes("dd ff ff ff ff"), "malformed", 0, ""},
		{"map32 bomb", hexBytes("df ff ff ff ff"), "malformed", 0, ""},
		{"str32 bomb", hexBytes("db ff ff ff ff"), "malformed", 0, ""},
		{"bin32 bomb", hexBytes("c6 ff ff ff ff"), "malformed", 0, ""},
		{"depth 65", nested(MaxDepth + 1), "limit_exceeded", 0, "depth"},
		{"empty array at depth 65", append(bytes.Repeat([]byte{0x91}, MaxDepth), 0x90), "limit_exceeded", 0, "depth"},
		{"deep map", append(bytes.Repeat([]byte{0x81, 0xa0}, MaxDepth+1), 0xc0), "limit_exceeded", 0, "depth"},
		{"nested 91 x 100000", nested(100000), "limit_exceeded", 0, "depth"},
		{"nested dc ff ff x 24000", bytes.Repeat(hexBytes("dc ff ff"), 24000), "limit_exceeded", 0, "depth"},
	}
	for _, c := range cases {
		f := validate(c.in)
		switch {
		case c.kind == "" && f != nil:
			t.Errorf("%s: %v", c.name, f)
		case c.kind == "":
		case f == nil:
			t.Errorf("%s: accepted, want %s", c.name, c.kind)
		case f.kind != c.kind:
			t.Errorf("%s: %v, want %s", c.name, f, c.kind)
		case c.kind == "malformed" && f.detail[0].val != c.offset:
			t.Errorf("%s: %v, want offset %d", c.name, f, c.offset)
		case c.kind == "limit_exceeded" && f.detail[0].val != c.limit:
			t.Errorf("%s: %v, want limit %s", c.name, f, c.limit)
		}
	}
}

func TestValidateElementLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 64 MiB")
	}
	// One array of MaxElements+1 nils: its header passes the remaining-bytes check, so the element
	// limit is what stops it.
	msg := make([]byte, 5+MaxElements+1)
	copy(msg, hexBytes("dd 04 00 00 01"))
	for i := 5; i < len(msg); i++ {
		msg[i] = 0xc0
	}
	if f := validate(msg); f == nil || f.kind != "limit_exceeded" || f.detail[0].val != "elements" {
		t.Errorf("MaxElements+1 elements: %v", f)
	}
	// Exactly MaxElements, spread over two arrays, is fine.
	msg = msg[:5+MaxElements]
	copy(msg, hexBytes("92 dd 03 ff ff fe"))
	msg[len(msg)-1] = 0x90
	if f := validate(msg); f != nil {
		t.Errorf("MaxElements elements: %v", f)
	}
	msg[len(msg)-1] = 0x91 // one more element, and it needs a byte
	msg = append(msg, 0xc0)
	if f := validate(msg); f == nil || f.kind != "limit_exceeded" {
		t.Errorf("MaxElements+1 elements over two arrays: %v", f)
	}
}

func TestSizeLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("reserves 1 GiB of address space")
	}
	req := hugeBuffer()
	r := handle(t, newTestBridge(), req)
	if r.kind != "limit_exceeded" || r.get("limit") != "size" || r.get("max") != int64(MaxMessageBytes) {
		t.Errorf("request over the size limit: %v", r)
	}
}

// killerInputs are the decoder DoS inputs of the test plan (go-in-process.md section 13).
func killerInputs() map[string][]byte {
	k := map[string][]byte{
		"array32_ffffffff":   hexBytes("dd ff ff ff ff"),
		"map32_ffffffff":     hexBytes("df ff ff ff ff"),
		"str32_ffffffff":     hexBytes("db ff ff ff ff"),
		"bin32_ffffffff":     hexBytes("c6 ff ff ff ff"),
		"nested_91_x100000":  append(bytes.Repeat([]byte{0x91}, 100000), 0xc0),
		"nested_dcffff_x24k": bytes.Repeat(hexBytes("dc ff ff"), 24000),
		"fixext1_truncated":  hexBytes("d4"),
		"valid_plus_garbage": append(callReq("AddInt", 1, 2), 0xde, 0xad, 0xbe, 0xef),
		"args_array32_bomb":  hexBytes("94 01 00 00 dd ff ff ff ff"),
		"args_str32_bomb":    hexBytes("94 01 00 00 91 db 7f ff ff ff"),
		"target_str32_bomb":  hexBytes("94 01 00 db ff ff ff ff 90"),
	}
	for b := 0; b <= 0xff; b++ {
		k["byte_"+hexByte(byte(b))] = []byte{byte(b)}
	}
	return k
}

func hexByte(b byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[b>>4], digits[b&0xf]})
}

// TestKillerInputs: each killer input gives a typed error reply quickly, and total allocation
// stays under 1 MiB + 8x the input.
func TestKillerInputs(t *testing.T) {
	b := newTestBridge()
	for name, in := range killerInputs() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		out, release := b.Handle(in)
		elapsed := time.Since(start)
		runtime.ReadMemStats(&after)
		r, err := parseReply(out)
		release()
		if err != nil {
			t.Errorf("%s: reply does not parse: %v", name, err)
			continue
		}
		if r.status != 1 || (r.kind != "malformed" && r.kind != "limit_exceeded") {
			t.Errorf("%s: %v, want malformed or limit_exceeded", name, r)
		}
		if alloc, limit := after.TotalAlloc-before.TotalAlloc, uint64(1<<20+8*len(in)); alloc > limit {
			t.Errorf("%s: allocated %d bytes, limit %d", name, alloc, limit)
		}
		t.Logf("%s: %v", name, elapsed) // shown, not asserted: machines are shared and noisy
	}
}

// scanShallow accepts only what scanValue accepts, ending at the same offset, and accepts every
// valid value up to 16 containers deep: over the value seeds, each of their prefixes and each
// one-byte change of them, and nestings around 16.
func TestScanShallowAgreesWithScanValue(t *testing.T) {
	var inputs [][]byte
	for _, seed := range sortedSeeds(valueSeeds()) {
		for cut := 0; cut <= len(seed); cut++ {
			inputs = append(inputs, seed[:cut])
		}
		for i := range seed {
			for _, b := range []byte{0x00, 0x7f, 0x80, 0x81, 0x90, 0x91, 0xa0, 0xa3, 0xc1, 0xd9, 0xdc, 0xde, 0xff} {
				m := bytes.Clone(seed)
				m[i] = b
				inputs = append(inputs, m)
			}
		}
	}
	for depth := 0; depth < 20; depth++ {
		inputs = append(inputs, append(bytes.Repeat([]byte{0x91}, depth), 0xc0))
		inputs = append(inputs, append(bytes.Repeat([]byte{0x81, 0xa0}, depth), 0x01))
	}
	for _, in := range inputs {
		end, ok := scanShallow(in, 0)
		want, f := scanValue(in, 0)
		if ok && (f != nil || end != want) {
			t.Fatalf("scanShallow accepts % x up to %d; scanValue: %d, %v", in, end, want, f)
		}
		if !ok && f == nil && depthOf(in) <= 16 {
			t.Fatalf("scanShallow refuses % x (%d deep), which scanValue accepts", in, depthOf(in))
		}
	}
}

// depthOf is the container nesting of a well-formed value, by scanValue's rules.
func depthOf(msg []byte) int {
	d := &Decoder{buf: msg}
	var walk func() int
	walk = func() int {
		m := msg[d.off]
		info := &markers[m]
		switch info.class {
		case classArray, classMap:
			n := info.declaredLen(msg[d.off:])
			d.off += int(info.hdr)
			if info.class == classMap {
				n *= 2
			}
			deepest := 0
			for i := 0; i < n; i++ {
				deepest = max(deepest, walk())
			}
			return deepest + 1
		}
		end, _ := scanValue(msg, d.off)
		d.off = end
		return 0
	}
	return walk()
}
