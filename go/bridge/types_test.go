package bridge

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The codec paths of the wire types of docs/abi.md section 8.1 that generated code calls
// (fixed-size arrays, time, error values, any) and the record rules (FieldTag, record errors).

func TestTypeDecoders(t *testing.T) {
	var a [4]byte
	if err := NewDecoder(hexBytes("c4 04 01 02 03 04")).BytesN(a[:]); err != nil || a != [4]byte{1, 2, 3, 4} {
		t.Errorf("BytesN = %v, %v", a, err)
	}
	for in, want := range map[string]string{
		"c4 03 01 02 03": "expected 4 bytes, got 3",
		"c0":             "expected 4 bytes, got nil",
		"a4 61 62 63 64": "expected bytes, got string",
	} {
		if err := NewDecoder(hexBytes(in)).BytesN(a[:]); err == nil || err.Error() != want {
			t.Errorf("BytesN(%s): %v, want %q", in, err, want)
		}
	}
	if err := NewDecoder(hexBytes("93 01 02 03")).ArrayLen(3); err != nil {
		t.Error(err)
	}
	for in, want := range map[string]string{"92 01 02": "expected 3 elements, got 2", "c0": "expected 3 elements, got nil"} {
		if err := NewDecoder(hexBytes(in)).ArrayLen(3); err == nil || err.Error() != want {
			t.Errorf("ArrayLen(%s): %v, want %q", in, err, want)
		}
	}
	if k, err := NewDecoder(hexBytes("a1 78")).Key(); err != nil || string(k) != "x" {
		t.Errorf("Key = %q, %v", k, err)
	}

	// time: [unix_seconds, nanoseconds, utc_offset_seconds].
	tm, err := NewDecoder(hexBytes("93 ce 6b 06 52 87 7b cd 0e 10")).Time()
	if err != nil {
		t.Fatal(err)
	}
	if _, off := tm.Zone(); tm.Unix() != 1795576455 || tm.Nanosecond() != 123 || off != 3600 || tm.Format(time.RFC3339Nano) != "2026-11-25T04:14:15.000000123+01:00" {
		t.Errorf("Time = %v (offset %d)", tm, off)
	}
	if tm, err := NewDecoder(hexBytes("93 00 00 00")).Time(); err != nil || tm.Location() != time.UTC {
		t.Errorf("offset 0 gives %v, %v; want UTC", tm, err)
	}
	for in, want := range map[string]string{
		"92 00 00":                            "expected time [unix_seconds, nanoseconds, utc_offset_seconds], got 2 elements",
		"c0":                                  "expected time [unix_seconds, nanoseconds, utc_offset_seconds], got nil",
		"93 00 ce 3b 9a ca 00 00":             "time nanoseconds: value 1000000000 is out of range [0, 999999999]",
		"93 00 ff 00":                         "time nanoseconds: value -1 is out of range for uint64 [0, 18446744073709551615]",
		"93 00 00 cf 00 00 00 01 00 00 00 00": "time offset: value 4294967296 is out of range for int32 [-2147483648, 2147483647]",
		"93 a1 78 00 00":                      "time seconds: expected int64, got string",
	} {
		if _, err := NewDecoder(hexBytes(in)).Time(); err == nil || err.Error() != want {
			t.Errorf("Time(%s): %v, want %q", in, err, want)
		}
	}
	if _, err := NewDecoder(hexBytes("d7 01 7f ff ff ff ff ff ff ff")).Any(); err == nil ||
		err.Error() != "unknown or released handle 9223372036854775807" {
		t.Errorf("Any of an unknown handle: %v", err)
	}
	if v, err := NewDecoder(hexBytes("d7 01 00 00 00 00 00 00 00 01")).Value(); err != nil || v != HandleID(1) {
		t.Errorf("Value of a handle = %v, %v", v, err)
	}
}

func TestDecoderAnyExact(t *testing.T) {
	for in, want := range map[string]any{
		"01":                            1,
		"d3 80 00 00 00 00 00 00 00":    math.MinInt64,
		"cf ff ff ff ff ff ff ff ff":    uint64(math.MaxUint64),
		"91 05":                         []any{5},
		"d6 ff 00 00 00 01":             time.Unix(1, 0).UTC(),
		"d7 ff 00 00 00 14 00 00 00 00": time.Unix(0, 5).UTC(),
		"c7 0c ff 00 00 00 00 ff ff ff ff ff ff ff ff":       time.Unix(-1, 0).UTC(),
		"c7 0b 06 a4 74 69 6d 65 93 3c 00 cd 0e 10":          time.Unix(60, 0).In(time.FixedZone("", 3600)),
		"c7 0a 06 a8 64 75 72 61 74 69 6f 6e 03":             time.Duration(3),
		"81 a1 64 c7 0b 06 a8 64 75 72 61 74 69 6f 6e d0 85": map[string]any{"d": time.Duration(-123)},
	} {
		got, err := NewDecoder(hexBytes(in)).Any()
		if err != nil || fmt.Sprintf("%T %v", got, got) != fmt.Sprintf("%T %v", want, want) {
			t.Errorf("Any(%s) = %T %v, %v; want %T %v", in, got, got, err, want, want)
		}
	}
	for in, want := range map[string]string{
		"d5 ff 00 00":                            "malformed timestamp (ext type -1): expected 4, 8 or 12 bytes with nanoseconds at most 999999999",
		"d7 ff ff ff ff ff 00 00 00 00":          "malformed timestamp (ext type -1): expected 4, 8 or 12 bytes with nanoseconds at most 999999999",
		"d4 06 c0":                               "malformed tagged value (ext type 6): expected a tag and a value",
		"d5 06 a1 78":                            "malformed tagged value (ext type 6): expected a tag and a value",
		"d6 06 a1 78 01 02":                      "malformed tagged value (ext type 6 \"x\"): expected one value after the tag",
		"c7 03 06 a1 78 01":                      "unknown record type \"x\" inside any",
		"c7 07 06 a5 65 72 72 6f 72 c0":          "an error value cannot be an argument inside any",
		"c7 0a 06 a8 64 75 72 61 74 69 6f 6e a0": "duration inside any: expected int64, got string",
		"d4 09 00":                               "unsupported ext type 9 inside any",
		"d6 07 00 00 00 01":                      "malformed Go object (ext type 7): expected an 8-byte id",
		// A Go object's key must be UTF-8 (docs/abi.md 8.9).
		"c7 0a 07 00 00 00 00 00 00 00 01 ff fe": "malformed Go object (ext type 7): its type key is not UTF-8",
		// A timestamp beyond 2^62 seconds would wrap around in Go's calendar arithmetic.
		"c7 0c ff 00 00 00 00 80 00 00 00 00 00 00 00": "time seconds: value -9223372036854775808 is out of range [-2^62, 2^62]",
	} {
		if _, err := NewDecoder(hexBytes(in)).Any(); err == nil || err.Error() != want {
			t.Errorf("Any(%s): %v, want %q", in, err, want)
		}
	}
	id := Handles().Put(&strings.Builder{})
	defer Handles().Release(id)
	var e Encoder
	e.Buf = append(e.Buf, mFixArray|1)
	e.Handle(id)
	if got, err := NewDecoder(e.Buf).Any(); err != nil || fmt.Sprintf("%T", got) != "[]interface {}" || fmt.Sprintf("%T", got.([]any)[0]) != "*strings.Builder" {
		t.Errorf("Any of a handle = %#v, %v", got, err)
	}
}

func TestTypeEncoders(t *testing.T) {
	var e Encoder
	e.Time(time.Unix(1795576455, 123).In(time.FixedZone("CET", 3600)))
	if want := hexBytes("93 ce 6b 06 52 87 7b cd 0e 10"); !bytes.Equal(e.Buf, want) {
		t.Errorf("Time = % x, want % x", e.Buf, want)
	}
	e = Encoder{}
	e.Time(time.Date(1969, 12, 31, 23, 59, 59, 5, time.UTC))
	if want := hexBytes("93 ff 05 00"); !bytes.Equal(e.Buf, want) {
		t.Errorf("Time before 1970 = % x, want % x", e.Buf, want)
	}
	e = Encoder{}
	e.ErrorValue(nil)
	e.ErrorValue(errors.New("boom"))
	if want := hexBytes("c0 92 a4 62 6f 6f 6d b3 2a 65 72 72 6f 72 73 2e 65 72 72 6f 72 53 74 72 69 6e 67"); !bytes.Equal(e.Buf, want) {
		t.Errorf("ErrorValue = % x, want % x", e.Buf, want)
	}
	if got := SortedKeys(map[string]int{"b": 1, "a": 2, "": 3}); !reflect.DeepEqual(got, []string{"", "a", "b"}) {
		t.Errorf("SortedKeys = %q", got)
	}
	type inner struct{ N int }
	var p *inner
	Alloc(&p)
	q := p
	Alloc(&p)
	if p == nil || p != q {
		t.Error("Alloc")
	}
}

type anyEmbedded struct {
	E int `json:"e"`
}

type anyOther struct {
	E int
}

type anyOther2 struct {
	E int
}

type anyRecord struct {
	A    int    `msgpack:"a"`
	B    string `json:"b,omitempty"`
	Skip int    `json:"-"`
	*anyEmbedded
	Ptr *int
}

type anyHidden struct {
	A      int
	hidden int
}

type anyConflict struct {
	anyOther
	anyOther2
	Z bool
}

func TestEncoderAny(t *testing.T) {
	seven := 7
	type named float64
	type cyclic struct{ Next *cyclic }
	loop := &cyclic{}
	loop.Next = loop
	for _, tc := range []struct {
		v    any
		want string // hex
		err  string
	}{
		{v: nil, want: "c0"},
		{v: int32(-3), want: "fd"},
		{v: uint8(200), want: "cc c8"},
		{v: named(1.5), want: "cb 3f f8 00 00 00 00 00 00"},
		{v: []int{1, 2}, want: "92 01 02"},
		{v: []int(nil), want: "90"},
		{v: [2]byte{1, 2}, want: "c4 02 01 02"},
		{v: [2]int8{1, -1}, want: "92 01 ff"},
		{v: map[string]bool{"t": true, "f": false}, want: "82 a1 66 c2 a1 74 c3"},
		{v: &seven, want: "07"},
		{v: (*int)(nil), want: "c0"},
		{v: time.Unix(0, 5).UTC(), want: "d7 ff 00 00 00 14 00 00 00 00"},
		{v: time.Unix(1, 0).UTC(), want: "d6 ff 00 00 00 01"},
		{v: time.Unix(-1, 0).UTC(), want: "c7 0c ff 00 00 00 00 ff ff ff ff ff ff ff ff"},
		{v: time.Unix(60, 0).In(time.FixedZone("X", 3600)), want: "c7 0b 06 a4 74 69 6d 65 93 3c 00 cd 0e 10"},
		{v: time.Duration(3), want: "c7 0a 06 a8 64 75 72 61 74 69 6f 6e 03"},
		{v: []any{errors.New("e")}, want: "91 c7 1d 06 a5 65 72 72 6f 72 92 a1 65 b3 2a 65 72 72 6f 72 73 2e 65 72 72 6f 72 53 74 72 69 6e 67"},
		{v: anyRecord{A: 1, Skip: 9}, want: "82 a1 61 01 a3 50 74 72 c0"},
		{v: anyRecord{A: 1, B: "x", anyEmbedded: &anyEmbedded{E: 2}, Ptr: &seven}, want: "84 a1 61 01 a1 62 a1 78 a1 65 02 a3 50 74 72 07"},
		{v: anyConflict{Z: true}, want: "81 a1 5a c3"}, // the two E fields cancel out
		{v: anyHidden{A: 1}, want: "object github.com/usegolib/usegolib/go/bridge.anyHidden"},
		{v: &anyHidden{A: 1}, want: "object github.com/usegolib/usegolib/go/bridge.anyHidden"},
		{v: &strings.Builder{}, want: "object strings.Builder"},
		{v: []any{map[string]any{"k": []any{nil}}}, want: "91 81 a1 6b 91 c0"},
		{v: make(chan int), err: "cannot encode chan int inside any"},
		{v: []any{1, func() {}}, err: "[1]: cannot encode func() inside any"},
		{v: map[int]int{1: 1}, err: "cannot encode map[int]int inside any: map keys must be strings"},
		{v: complex(1, 2), err: "cannot encode complex128 inside any"},
		{v: loop, err: ".Next: cycle: points back to the result itself (the wire cannot carry a cyclic value)"},
		{v: HandleID(1), err: "a handle cannot travel inside any"},
	} {
		var e Encoder
		err := e.Any(tc.v, 2)
		if strings.HasPrefix(tc.want, "object ") { // a Go object: ext 7, a fresh id, the key
			key := strings.TrimPrefix(tc.want, "object ")
			if err != nil || len(e.Buf) != 11+len(key) || e.Buf[0] != mExt8 || e.Buf[2] != extObject || string(e.Buf[11:]) != key {
				t.Errorf("Any(%#v) = % x, %v; want a Go object %s", tc.v, e.Buf, err, key)
			}
			continue
		}
		if tc.err != "" {
			if err == nil || !strings.HasSuffix(err.Error(), tc.err) {
				t.Errorf("Any(%#v): %v, want %q", tc.v, err, tc.err)
			}
			continue
		}
		if err != nil || !bytes.Equal(e.Buf, hexBytes(tc.want)) {
			t.Errorf("Any(%#v) = % x, %v; want %s", tc.v, e.Buf, err, tc.want)
		}
	}
}

func TestFieldTag(t *testing.T) {
	for _, tc := range []struct {
		tag        string
		name       string
		omit, drop bool
	}{
		{``, "", false, false},
		{`json:"x"`, "x", false, false},
		{`json:"x,omitempty"`, "x", true, false},
		{`json:",omitempty"`, "", true, false},
		{`json:"-"`, "", false, true},
		{`json:"-,"`, "-", false, false},
		{`msgpack:"m" json:"j"`, "m", false, false},
		{`msgpack:",omitempty" json:"j"`, "j", true, false},
		{`msgpack:"-" json:"j"`, "", false, true},
		{`msgpack:"" json:"-"`, "", false, false},
		{`json:"x,omitzero"`, "x", true, false},
		{`json:"x,string"`, "x", false, false},
		{`json:"a\"b"`, "", false, false}, // not a valid tag name: the field name is used
		{`json:"ünï"`, "ünï", false, false},
		{`xml:"x"`, "", false, false},
	} {
		name, omit, drop := FieldTag(tc.tag)
		if name != tc.name || omit != tc.omit || drop != tc.drop {
			t.Errorf("FieldTag(%s) = %q %v %v; want %q %v %v", tc.tag, name, omit, drop, tc.name, tc.omit, tc.drop)
		}
	}
}

func TestRecordErrors(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{RecordError("Point", errors.New("expected map, got int")), "struct Point: expected map, got int"},
		{RecordNil("Point"), "struct Point: expected map, got nil"},
		{UnknownField("Point", []byte("z"), "x, y"), `struct Point: unknown field "z" (fields: x, y)`},
		{DuplicateField("Point", "x", "X", "int"), `struct Point: field "x" (X int) given twice`},
		{MissingField("Point", "y", "Y", "int"), "struct Point: missing required field y (Y int)"},
		{FieldError("Point", "x", "X", "int", errors.New("expected int64, got string")), "struct Point: field x (X int): expected int64, got string"},
		{MapKeyError("k", errors.New("bad")), `key "k": bad`},
		{DuplicateKey("k"), `duplicate map key "k"`},
		{KeyError(2, errors.New("expected string, got int")), "key 2: expected string, got int"},
	} {
		if tc.err.Error() != tc.want {
			t.Errorf("%q, want %q", tc.err, tc.want)
		}
	}
}

// BenchmarkServeHandleMethod is a method call through a handle: the receiver is looked up in
// the handle table under its read lock.
func BenchmarkServeHandleMethod(b *testing.B) {
	br := handleBridge()
	id := handles.Put(&testCounter{})
	defer handles.Release(id)
	req := encodeRequest(1, 0, 1, HandleID(id))
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	b.SetBytes(int64(len(req)))
	for i := 0; i < b.N; i++ {
		buf = br.Serve(req, buf)
	}
}

// TestAnyDepth checks that Any counts depth as docs/abi.md section 6 does (a pointer or
// interface adds no level), stops at MaxDepth exactly, and names the path and the cycle.
func TestAnyDepth(t *testing.T) {
	nest := func(n int, wrap func(any) any) any {
		var v any
		for i := 0; i < n; i++ {
			v = wrap(v)
		}
		return v
	}
	lists := func(v any) any {
		if v == nil {
			return []any{}
		}
		return []any{v}
	}
	maps := func(v any) any {
		if v == nil {
			return map[string]any{}
		}
		return map[string]any{"k": &v} // through a pointer and an interface: no level
	}
	type box struct{ V any }
	boxes := func(v any) any { return box{v} }
	const tooDeep = "nested deeper than 64 levels (a cycle?)"
	for _, c := range []struct {
		name string
		v    any
		err  string
	}{
		{"63 lists", nest(63, lists), ""},
		{"64 lists", nest(64, lists), "[0][0][0]...[0][0] (63 steps): " + tooDeep},
		{"63 maps", nest(63, maps), ""},
		{"64 maps", nest(64, maps), `["k"]["k"]["k"]...["k"]["k"] (63 steps): ` + tooDeep},
		{"63 records", nest(63, boxes), ""},
		{"64 records", nest(64, boxes), ".V.V.V....V.V (63 steps): " + tooDeep},
		{"3 lists in a record", box{nest(3, lists)}, ""},
	} {
		var e Encoder
		err := e.Any(c.v, 2) // a single result
		if c.err == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			} else if _, verr := NewDecoder(append([]byte{0x92, 0}, e.Buf...)).Value(); verr != nil {
				t.Errorf("%s: the reply does not decode: %v", c.name, verr)
			}
			continue
		}
		if err == nil || err.Error() != c.err {
			t.Errorf("%s: %v, want %q", c.name, err, c.err)
		}
		if len(e.Buf) > 4*MaxDepth {
			t.Errorf("%s: %d bytes written before the error", c.name, len(e.Buf))
		}
	}

	back := " (the wire cannot carry a cyclic value)"
	self := map[string]any{}
	self["a"] = []any{1, self}
	p := new(any)
	*p = p
	type node struct {
		Next *node
		Kids map[string]*node
	}
	mid := &node{}
	mid.Kids = map[string]*node{"x": {Next: mid}}
	for _, c := range []struct {
		name string
		v    any
		err  string
	}{
		{"map in a list in itself", self, `["a"][1]: cycle: points back to the result itself` + back},
		{"pointer to itself", p, "cycle: points back to the result itself" + back},
		{"back to the middle", &node{Next: mid}, `.Next.Kids["x"].Next: cycle: points back to .Next` + back},
	} {
		var e Encoder
		if err := e.Any(c.v, 2); err == nil || err.Error() != c.err {
			t.Errorf("%s: %v, want %q", c.name, err, c.err)
		}
	}
}

func TestValueOfAnyExtValues(t *testing.T) {
	for in, want := range map[string]any{
		"d6 ff 00 00 00 01":                            Timestamp{1, 0},
		"c7 0b 07 00 00 00 00 00 00 00 09 6d 2e 54":    Object{9, "m.T"},
		"c7 0a 06 a8 64 75 72 61 74 69 6f 6e 03":       Tagged{"duration", int64(3)},
		"c7 0b 06 a4 74 69 6d 65 93 3c 00 cd 0e 10":    Tagged{"time", []any{int64(60), int64(0), int64(3600)}},
		"91 c7 06 06 a1 78 d5 06 a0 c0":                []any{Tagged{"x", Tagged{"", nil}}},
		"c7 0c ff 00 00 00 00 ff ff ff ff ff ff ff ff": Timestamp{-1, 0},
	} {
		got, err := NewDecoder(hexBytes(in)).Value()
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Value(%s) = %#v, %v; want %#v", in, got, err, want)
			continue
		}
		var e Encoder
		if err := e.Value(got); err != nil || !bytes.Equal(e.Buf, hexBytes(in)) {
			t.Errorf("Value(%#v) = % x, %v; want %s", got, e.Buf, err, in)
		}
	}
}

// hiddenBox has hidden state: inside any it is a Go object.
type hiddenBox struct {
	Name string
	n    int
}

// TestEncoderAnyHiddenByValue: a struct with hidden state inside any, by value, travels as a Go
// object holding a pointer to its own copy (as every by-value Go object does), so the host's
// methods, fields and parameters find the *T they expect.
func TestEncoderAnyHiddenByValue(t *testing.T) {
	var e Encoder
	if err := e.Any(hiddenBox{Name: "a", n: 1}, 0); err != nil {
		t.Fatal(err)
	}
	id := binary.BigEndian.Uint64(e.Buf[3:11])
	defer Handles().Release(id)
	held, _ := Handles().Get(id)
	p, ok := held.(*hiddenBox)
	if !ok || p.Name != "a" || p.n != 1 {
		t.Fatalf("the handle of a hiddenBox inside any holds %#v, want a *hiddenBox holding {a 1}", held)
	}
	// Sent back inside any, Go gets the value (a copy, never the pointer the handle holds), as a
	// Go caller passing it would.
	got, err := NewDecoder(e.Buf).Any()
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := got.(hiddenBox); !ok || v != *p {
		t.Fatalf("Any of the Go object = %#v, want the hiddenBox value", got)
	}
}

// Embedded structs, one of them recursive through a pointer: hasHidden looks through them.
type (
	openPart struct {
		Next *openPart
		Name string
	}
	openWhole struct {
		*openPart
		N int
	}
	hiddenWhole struct {
		openPart
		n int
	}
)

func TestHasHiddenThroughEmbeddedStructs(t *testing.T) {
	for v, want := range map[any]bool{openWhole{}: false, openPart{}: false, hiddenWhole{}: true, hiddenBox{}: true} {
		if got := hasHidden(reflect.TypeOf(v)); got != want {
			t.Errorf("hasHidden(%T) = %v, want %v", v, got, want)
		}
	}
}
