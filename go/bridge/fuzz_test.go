package bridge

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"testing"
)

// fuzzAllocLimit bounds what one fuzz input may allocate: 1 MiB of slack (the pooled call,
// panic stacks, formatting) plus 64 bytes per input byte (a fixstr of one byte becomes a
// 16-byte Go string header, and a []any element 16 bytes, in up to a few copies).
func fuzzAllocLimit(n int) uint64 { return 1<<20 + 64*uint64(n) }

// allocated returns the bytes allocated while fn ran.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// handleSeeds are requests of several shapes for the FuzzHandle corpus, and the killer inputs.
// The two nesting killers are scaled down (100 x 91, 300 x dc 00 ff) to keep the corpus small;
// they take the same paths as the full-size ones, which TestKillerInputs runs.
func handleSeeds() map[string][]byte {
	s := map[string][]byte{
		"add_by_id":           callReq("AddInt", 1, 2),
		"add_by_name":         encodeRequest(1, 0, "example.com/calc.AddInt", -5, 7),
		"add_noncanonical":    hexBytes("94 cc 01 d0 00 cd 00 00 dc 00 02 d3 00 00 00 00 00 00 00 01 cc 02"),
		"add_int64_bounds":    callReq("AddInt", math.MinInt64, math.MaxInt64),
		"nothing":             callReq("Nothing"),
		"divmod":              callReq("DivMod", 7, 2),
		"divmod_by_zero":      callReq("DivMod", 7, 0),
		"div_error":           callReq("Div", 1, 0),
		"check_error":         callReq("Check", ""),
		"int8_out_of_range":   callReq("Int8", 128),
		"uint16_negative":     callReq("Uint16", -1),
		"echo_bytes":          callReq("Echo", []byte("hello\x00\xff")),
		"echo_nil":            callReq("Echo", nil),
		"join_strings":        callReq("Join", []string{"a", "\xff\xfe", "😀"}, ", "),
		"sum":                 callReq("Sum", []int64{1, -2, 300, 70000, math.MaxInt64}),
		"float32":             callReq("Float32", float32(1.5)),
		"float32_from_f64":    callReq("Float32", 1e39),
		"scale":               callReq("Scale", math.Inf(-1), float32(2)),
		"panic_string":        callReq("PanicString", "boom"),
		"panic_error":         callReq("PanicError"),
		"panic_nil_deref":     callReq("PanicNil"),
		"grid":                callReq("Grid", []any{[]any{1, 2}, nil, []any{}}),
		"not":                 callReq("Not", true),
		"bad_error":           callReq("BadError"),
		"arity":               callReq("AddInt", 1),
		"unknown_id":          encodeRequest(1, 0, 1000),
		"unknown_name":        encodeRequest(1, 0, "example.com/calc.Nope"),
		"skipped_name":        encodeRequest(1, 0, "example.com/calc.Send"),
		"abi_2":               encodeRequest(2, 0, 0),
		"op_1":                encodeRequest(1, 1, 0),
		"map_argument":        hexBytes("94 01 00 09 91 81 a1 61 01"),
		"ext_argument":        hexBytes("94 01 00 00 92 d4 01 02 01"),
		"nested_91_x100":      append(append(hexBytes("94 01 00 00"), bytes.Repeat([]byte{0x91}, 100)...), 0xc0),
		"nested_dc00ff_x300":  bytes.Repeat(hexBytes("dc 00 ff"), 300),
		"array32_ffffffff":    hexBytes("dd ff ff ff ff"),
		"map32_ffffffff":      hexBytes("df ff ff ff ff"),
		"str32_ffffffff":      hexBytes("db ff ff ff ff"),
		"bin32_ffffffff":      hexBytes("c6 ff ff ff ff"),
		"fixext1_truncated":   hexBytes("d4"),
		"valid_plus_garbage":  append(callReq("AddInt", 1, 2), 0xde, 0xad, 0xbe, 0xef),
		"args_array32_bomb":   hexBytes("94 01 00 00 dd ff ff ff ff"),
		"target_str32_bomb":   hexBytes("94 01 00 db ff ff ff ff 90"),
		"c1":                  hexBytes("c1"),
		"empty":               {},
		"deep_map":            append(bytes.Repeat([]byte{0x81, 0xa0}, 70), 0xc0),
		"request_abi2_shaped": hexBytes("92 02 c0"),
		"release_unknown":     encodeRequest(1, 2, 99999),
		"release_with_args":   encodeRequest(1, 2, 1, 1),
		"release_by_name":     encodeRequest(1, 2, "x"),
		"handle_argument":     hexBytes("94 01 00 00 92 d7 01 00 00 00 00 00 00 00 01 01"),
		// Container arguments the fast header path checks with scanShallow (a record, and
		// nestings at and past its 16 levels).
		"record_argument":    hexBytes("94 01 00 09 91 84 a1 78 01 a1 79 fe a4 74 61 67 73 90 a5 6c 61 62 65 6c a1 70"),
		"record_truncated":   hexBytes("94 01 00 09 91 84 a1 78 01 a1 79 fe a4 74 61 67 73 90 a5 6c 61 62 65 6c a1"),
		"nested_arg_91_x16":  append(append(hexBytes("94 01 00 09 91"), bytes.Repeat([]byte{0x91}, 16)...), 0xc0),
		"nested_arg_91_x17":  append(append(hexBytes("94 01 00 09 91"), bytes.Repeat([]byte{0x91}, 17)...), 0xc0),
		"list_arg_then_more": hexBytes("94 01 00 09 92 92 a1 61 a1 62 a1 2d"),
		// Packed arrays of numbers (ext type 8, docs/abi.md section 8.10), and op 6.
		"cumsum_packed":        append(hexBytes("94 01 00"), append([]byte{byte(testIDs["Cumsum"]), 0x91}, packedBytes('q', le64(1, -2, 3))...)...),
		"cumsum_packed_op6":    append(hexBytes("94 01 06"), append([]byte{byte(testIDs["Cumsum"]), 0x91}, packedBytes('q', le64(1, 2))...)...),
		"cumsum_array_op6":     append(hexBytes("94 01 06"), byte(testIDs["Cumsum"]), 0x91, 0x92, 0x01, 0x02),
		"cumsum_packed_float":  append(hexBytes("94 01 00"), append([]byte{byte(testIDs["Cumsum"]), 0x91}, packedBytes('d', le64(1))...)...),
		"cumsum_packed_ragged": append(hexBytes("94 01 00"), append([]byte{byte(testIDs["Cumsum"]), 0x91}, packedBytes('q', []byte{1, 2, 3})...)...),
		"cumsum_packed_empty":  append(hexBytes("94 01 00"), byte(testIDs["Cumsum"]), 0x91, 0xc7, 0x00, 0x08),
	}
	return s
}

// valueSeeds are values of every Level-1 kind and the killer inputs, for FuzzDecodeValue.
func valueSeeds() map[string][]byte {
	s := map[string][]byte{
		"nil":                hexBytes("c0"),
		"bools":              hexBytes("92 c2 c3"),
		"ints":               enc([]any{0, 127, 128, -1, -32, -33, math.MinInt64, uint64(math.MaxUint64)}),
		"ints_noncanonical":  hexBytes("93 d0 05 cf 00 00 00 00 00 00 00 01 cd 00 7f"),
		"floats":             enc([]any{float32(1.5), math.Pi, math.Inf(1), math.NaN(), math.Copysign(0, -1)}),
		"strings":            enc([]any{"", "abc", "\xff\xfe", "a\x00b", "😀"}),
		"str8_noncanonical":  hexBytes("d9 03 61 62 63"),
		"bins":               enc([]any{[]byte{}, []byte{0, 1, 0xff}}),
		"nested":             enc([]any{[]any{[]any{1, 2}, []any{}}, []any{"x"}}),
		"map":                hexBytes("82 a1 61 01 a1 62 92 c0 c3"),
		"map_int_key":        hexBytes("81 01 02"),
		"map_dup_key":        hexBytes("82 a1 61 01 a1 61 02"),
		"ext":                hexBytes("d4 01 02"),
		"handle":             hexBytes("d7 01 00 00 00 00 00 00 00 07"),
		"handle_ext2":        hexBytes("d7 02 00 00 00 00 00 00 00 07"),
		"time":               hexBytes("93 ce 6b 06 52 87 7b cd 0e 10"),
		"record":             hexBytes("84 a1 78 01 a1 79 02 a4 74 61 67 73 91 a1 61 a5 6c 61 62 65 6c a1 70"),
		"bin16":              hexBytes("c4 10 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f"),
		"array32_ffffffff":   hexBytes("dd ff ff ff ff"),
		"map32_ffffffff":     hexBytes("df ff ff ff ff"),
		"str32_ffffffff":     hexBytes("db ff ff ff ff"),
		"bin32_ffffffff":     hexBytes("c6 ff ff ff ff"),
		"nested_91_x100":     append(bytes.Repeat([]byte{0x91}, 100), 0xc0),
		"nested_dc00ff_x300": bytes.Repeat(hexBytes("dc 00 ff"), 300),
		"fixext1_truncated":  hexBytes("d4"),
		"valid_plus_garbage": hexBytes("92 01 02 ff"),
		"c1":                 hexBytes("c1"),
	}
	return s
}

// FuzzHandle feeds arbitrary bytes to Handle. Oracle: no panic; a non-empty reply that parses
// as [status, body] with a well-formed error map; bounded allocation.
func FuzzHandle(f *testing.F) {
	for _, seed := range sortedSeeds(handleSeeds()) {
		f.Add(seed)
	}
	b := newTestBridge()
	f.Fuzz(func(t *testing.T, req []byte) {
		var out []byte
		var release func()
		alloc := allocated(func() { out, release = b.Handle(req) })
		defer release()
		// The fast header path accepts only what validate accepts, and parses it the same way.
		var fast, slow header
		if fastHeader(req, &fast) {
			if f := validate(req); f != nil {
				t.Fatalf("fastHeader accepts % x, validate rejects it: %v", truncate(req), f)
			}
			if f := parseHeader(req, &slow); f != nil || !reflect.DeepEqual(fast, slow) {
				t.Fatalf("fastHeader gives %+v, parseHeader %+v, %v", fast, slow, f)
			}
		}

		if len(out) == 0 {
			t.Fatal("empty reply")
		}
		r, err := parseReply(out)
		if err != nil {
			t.Fatalf("reply % x does not parse: %v", truncate(out), err)
		}
		if r.status == 1 && (r.kind == "" || r.detail == nil) {
			t.Fatalf("error reply without kind or detail: %v", r)
		}
		// Serve into a small caller buffer gives the same reply as Handle (but for the stack of a
		// panic).
		if r.kind != "go_panic" {
			if got := b.Serve(req, make([]byte, 0, 16)); !bytes.Equal(got, out) {
				t.Fatalf("Serve gives % x, Handle % x", truncate(got), truncate(out))
			}
		}
		if alloc > fuzzAllocLimit(len(req)) {
			t.Fatalf("allocated %d bytes for %d input bytes", alloc, len(req))
		}
	})
}

// FuzzDecodeValue feeds arbitrary bytes to Decoder.Value (with and without validation) and to
// every typed Decoder method. Oracle: no panic; bounded allocation; what decodes re-encodes
// canonically and idempotently; typed methods agree with Value.
func FuzzDecodeValue(f *testing.F) {
	for _, seed := range sortedSeeds(valueSeeds()) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var v any
		var verr error
		var vf *failure
		alloc := allocated(func() {
			vf = validate(in)
			d := NewDecoder(in)
			v, verr = d.Value()
			if verr == nil && vf == nil && d.Remaining() != 0 {
				t.Fatalf("validated, but Value left %d bytes", d.Remaining())
			}
		})
		if alloc > fuzzAllocLimit(len(in)) {
			t.Fatalf("allocated %d bytes for %d input bytes", alloc, len(in))
		}
		if vf != nil && vf.kind == "limit_exceeded" && verr == nil && vf.detail[0].val == "depth" {
			t.Fatalf("validate rejects the depth, Value accepts: %v", vf)
		}
		checkTyped(t, in, v, verr)
		if verr != nil {
			return
		}
		var e1, e2 Encoder
		if err := e1.Value(v); err != nil {
			t.Fatalf("decoded %#v does not encode: %v", v, err)
		}
		if f := validate(e1.Buf); f != nil {
			t.Fatalf("re-encoding % x is invalid: %v", truncate(e1.Buf), f)
		}
		v2, err := NewDecoder(e1.Buf).Value()
		if err != nil {
			t.Fatalf("re-encoding % x does not decode: %v", truncate(e1.Buf), err)
		}
		if err := e2.Value(v2); err != nil || !bytes.Equal(e1.Buf, e2.Buf) {
			t.Fatalf("encoding is not idempotent: % x then % x", truncate(e1.Buf), truncate(e2.Buf))
		}
	})
}

// checkTyped runs every typed Decoder method on in; none may panic, and each that succeeds on a
// valid single value must agree with what Value decoded.
func checkTyped(t *testing.T, in []byte, v any, verr error) {
	d := func() *Decoder { return NewDecoder(in) }
	for _, bits := range []int{8, 16, 32, 64} {
		if i, err := d().Int(bits); err == nil && verr == nil && !sameInt(v, i) {
			t.Fatalf("Int(%d) = %d, Value = %#v", bits, i, v)
		}
		if u, err := d().Uint(bits); err == nil && verr == nil && !sameInt(v, u) {
			t.Fatalf("Uint(%d) = %d, Value = %#v", bits, u, v)
		}
	}
	if b, err := d().Bool(); err == nil && verr == nil && v != b {
		t.Fatalf("Bool = %v, Value = %#v", b, v)
	}
	if s, err := d().String(); err == nil && verr == nil && v != s {
		t.Fatalf("String = %q, Value = %#v", s, v)
	}
	if b, err := d().Bytes(); err == nil && verr == nil {
		if vb, ok := v.([]byte); (ok && !bytes.Equal(vb, b)) || (!ok && v != nil) {
			t.Fatalf("Bytes = % x, Value = %#v", b, v)
		}
	}
	if n, isNil, err := d().ListLen(); err == nil && verr == nil {
		if l, ok := v.([]any); (ok && len(l) != n) || (!ok && !isNil) {
			t.Fatalf("ListLen = %d, %v, Value = %#v", n, isNil, v)
		}
	}
	if id, isNil, err := d().Handle(); err == nil && verr == nil {
		if h, ok := v.(HandleID); (ok && uint64(h) != id) || (!ok && !isNil) {
			t.Fatalf("Handle = %d, %v, Value = %#v", id, isNil, v)
		}
	}
	if a, err := d().Any(); err == nil && verr == nil {
		var ea, ev Encoder // compared encoded: NaN is not equal to itself
		// Any makes Go values of ext values (a time.Time, a record...), which Value does not
		// write: those are compared by the tests of any_ext.go.
		if ea.Value(a) == nil && (ev.Value(v) != nil || !bytes.Equal(ea.Buf, ev.Buf)) {
			t.Fatalf("Any = %#v, Value = %#v", a, v)
		}
	}
	if tm, err := d().Time(); err == nil && (tm.Nanosecond() < 0 || tm.Nanosecond() > 999999999) {
		t.Fatalf("Time = %v", tm)
	}
	var b16 [16]byte
	d().BytesN(b16[:])
	d().ArrayLen(3)
	d().Key()
	d().Float32()
	d().Float64()
	d().MapLen()
	d().Nil()
}

func sameInt(v any, x any) bool {
	return fmt.Sprint(v) == fmt.Sprint(x)
}

func sortedSeeds(m map[string][]byte) [][]byte {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([][]byte, len(names))
	for i, n := range names {
		out[i] = m[n]
	}
	return out
}

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the seed files of testdata/fuzz/")

// TestFuzzSeedCorpus checks that testdata/fuzz/ holds every seed of handleSeeds and valueSeeds
// in Go's corpus file format; -update-corpus writes them. Crashers added to the corpus by hand
// stay untouched.
func TestFuzzSeedCorpus(t *testing.T) {
	for target, seeds := range map[string]map[string][]byte{
		"FuzzHandle":      handleSeeds(),
		"FuzzDecodeValue": valueSeeds(),
	} {
		dir := filepath.Join("testdata", "fuzz", target)
		for name, seed := range seeds {
			want := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", seed)
			path := filepath.Join(dir, "seed_"+name)
			if *updateCorpus {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(path)
			if err != nil || string(got) != want {
				t.Errorf("%s is missing or stale (%v): run go test ./bridge/ -run TestFuzzSeedCorpus -update-corpus", path, err)
			}
		}
	}
}
