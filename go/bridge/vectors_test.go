package bridge

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// vectorsDir holds the frozen conformance vectors shared with the Rust side
// (tests/fixtures/abi/README.md describes the format).
const vectorsDir = "../../tests/fixtures/abi"

// vector is one NAME.json file.
type vector struct {
	Name      string          `json:"name"`
	Kind      string          `json:"kind"`
	Canonical bool            `json:"canonical"`
	Value     json.RawMessage `json:"value"`
	Request   *struct {
		ABI    uint64            `json:"abi"`
		Op     uint64            `json:"op"`
		Target json.RawMessage   `json:"target"`
		Args   []json.RawMessage `json:"args"`
	} `json:"request"`
	Reply *struct {
		OK    json.RawMessage `json:"ok"`
		Error *struct {
			Kind    string              `json:"kind"`
			Message string              `json:"message"`
			Detail  [][]json.RawMessage `json:"detail"`
		} `json:"error"`
	} `json:"reply"`
	DecodeAs string `json:"decode_as"`
	Error    string `json:"error"`
	// OutSlot and Outs: kinds out_slot and reply_outs (docs/abi.md section 8.6).
	OutSlot *struct {
		Wire    string          `json:"wire"`
		Initial json.RawMessage `json:"initial"`
	} `json:"out_slot"`
	Outs []json.RawMessage `json:"outs"`
}

// typed is a typed value of the vector format: {"int": "-128"}, {"list": [...]}, ...
type typed struct {
	kind string   // nil, bool, int, f32, f64, str, bin, list, map, handle, packed
	b    bool     // bool
	i    *big.Int // int, handle
	bits uint64   // f32, f64; the kind byte of packed
	raw  []byte   // str (and str_hex), bin, packed (its elements)
	list []typed  // list; map values
	keys []string // map keys, in order
}

func parseTyped(raw json.RawMessage) (typed, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || len(m) != 1 {
		return typed{}, fmt.Errorf("typed value %s: want one key (%v)", raw, err)
	}
	for k, v := range m {
		var s string
		switch k {
		case "nil":
			return typed{kind: "nil"}, nil
		case "bool":
			var b bool
			err := json.Unmarshal(v, &b)
			return typed{kind: k, b: b}, err
		case "list":
			var elems []json.RawMessage
			if err := json.Unmarshal(v, &elems); err != nil {
				return typed{}, err
			}
			t := typed{kind: k, list: []typed{}}
			for _, e := range elems {
				et, err := parseTyped(e)
				if err != nil {
					return typed{}, err
				}
				t.list = append(t.list, et)
			}
			return t, nil
		case "packed": // docs/abi.md section 8.10: {"kind": "q", "hex": "..."}
			var p struct{ Kind, Hex string }
			if err := json.Unmarshal(v, &p); err != nil || len(p.Kind) != 1 {
				return typed{}, fmt.Errorf("packed %s: want {kind, hex} (%v)", v, err)
			}
			b, err := hex.DecodeString(p.Hex)
			return typed{kind: k, raw: b, bits: uint64(p.Kind[0])}, err // bits: the kind byte
		case "map":
			var entries [][]json.RawMessage
			if err := json.Unmarshal(v, &entries); err != nil {
				return typed{}, err
			}
			t := typed{kind: k, list: []typed{}, keys: []string{}}
			for _, kv := range entries {
				var key string
				if len(kv) != 2 || json.Unmarshal(kv[0], &key) != nil {
					return typed{}, fmt.Errorf("map entry %s: want [key, value]", kv)
				}
				vt, err := parseTyped(kv[1])
				if err != nil {
					return typed{}, err
				}
				t.keys = append(t.keys, key)
				t.list = append(t.list, vt)
			}
			return t, nil
		}
		if err := json.Unmarshal(v, &s); err != nil {
			return typed{}, fmt.Errorf("%s: %v", k, err)
		}
		switch k {
		case "int", "handle":
			i, ok := new(big.Int).SetString(s, 10)
			if !ok || (k == "handle" && (i.Sign() < 0 || !i.IsUint64())) {
				return typed{}, fmt.Errorf("%s %q", k, s)
			}
			return typed{kind: k, i: i}, nil
		case "f32", "f64":
			bits, err := strconv.ParseUint(strings.TrimPrefix(s, "0x"), 16, 64)
			return typed{kind: k, bits: bits}, err
		case "str":
			return typed{kind: "str", raw: []byte(s)}, nil
		case "str_hex", "bin":
			b, err := hex.DecodeString(s)
			if k == "str_hex" {
				k = "str"
			}
			return typed{kind: k, raw: b}, err
		}
		return typed{}, fmt.Errorf("unknown typed value kind %q", k)
	}
	panic("unreachable")
}

// toAny gives the Go value Decoder.Value produces for t (and Encoder.Value encodes canonically).
func (t typed) toAny() any {
	switch t.kind {
	case "bool":
		return t.b
	case "int":
		if t.i.IsInt64() {
			return t.i.Int64()
		}
		return t.i.Uint64()
	case "f32":
		return math.Float32frombits(uint32(t.bits))
	case "f64":
		return math.Float64frombits(t.bits)
	case "str":
		return string(t.raw)
	case "bin":
		return append([]byte{}, t.raw...)
	case "list":
		out := []any{}
		for _, e := range t.list {
			out = append(out, e.toAny())
		}
		return out
	case "map":
		out := map[string]any{}
		for i, k := range t.keys {
			out[k] = t.list[i].toAny()
		}
		return out
	case "handle":
		return HandleID(t.i.Uint64())
	case "packed":
		return Packed{Kind: byte(t.bits), Data: append([]byte{}, t.raw...)}
	}
	return nil
}

// sortedMaps reports whether the keys of every map in t are in byte-wise order, as
// Encoder.Value writes a map[string]any.
func (t typed) sortedMaps() bool {
	if t.kind == "map" && !sort.StringsAreSorted(t.keys) {
		return false
	}
	for _, e := range t.list {
		if !e.sortedMaps() {
			return false
		}
	}
	return true
}

// match compares a decoded value with t: ints by value, floats by bits, str and bin kept apart.
func (t typed) match(got any) error {
	mismatch := fmt.Errorf("got %#v, want %s %v", got, t.kind, t.toAny())
	switch t.kind {
	case "nil":
		if got != nil {
			return mismatch
		}
	case "bool":
		if b, ok := got.(bool); !ok || b != t.b {
			return mismatch
		}
	case "int":
		var v *big.Int
		switch x := got.(type) {
		case int64:
			v = big.NewInt(x)
		case uint64:
			v = new(big.Int).SetUint64(x)
		default:
			return mismatch
		}
		if v.Cmp(t.i) != 0 {
			return mismatch
		}
	case "f32":
		if f, ok := got.(float32); !ok || uint64(math.Float32bits(f)) != t.bits {
			return mismatch
		}
	case "f64":
		if f, ok := got.(float64); !ok || math.Float64bits(f) != t.bits {
			return mismatch
		}
	case "str":
		if s, ok := got.(string); !ok || s != string(t.raw) {
			return mismatch
		}
	case "bin":
		if b, ok := got.([]byte); !ok || b == nil || !bytes.Equal(b, t.raw) {
			return mismatch
		}
	case "list":
		l, ok := got.([]any)
		if !ok || len(l) != len(t.list) {
			return mismatch
		}
		for i, e := range t.list {
			if err := e.match(l[i]); err != nil {
				return ElemError(i, err)
			}
		}
	case "map":
		m, ok := got.(map[string]any)
		if !ok || len(m) != len(t.keys) {
			return mismatch
		}
		for i, k := range t.keys {
			v, ok := m[k]
			if !ok {
				return fmt.Errorf("map key %q missing", k)
			}
			if err := t.list[i].match(v); err != nil {
				return fmt.Errorf("map value %q: %v", k, err)
			}
		}
	case "handle":
		if h, ok := got.(HandleID); !ok || uint64(h) != t.i.Uint64() {
			return mismatch
		}
	case "packed":
		if p, ok := got.(Packed); !ok || uint64(p.Kind) != t.bits || !bytes.Equal(p.Data, t.raw) {
			return mismatch
		}
	}
	return nil
}

// encode writes t with the typed Encoder methods, as generated code does.
func (t typed) encode(e *Encoder) {
	switch t.kind {
	case "nil":
		e.Nil()
	case "bool":
		e.Bool(t.b)
	case "int":
		if t.i.Sign() < 0 {
			e.Int(t.i.Int64())
		} else {
			e.Uint(t.i.Uint64())
		}
	case "f32":
		e.Float32(math.Float32frombits(uint32(t.bits)))
	case "f64":
		e.Float64(math.Float64frombits(t.bits))
	case "str":
		e.String(string(t.raw))
	case "bin":
		e.Bytes(t.raw)
	case "list":
		e.ListLen(len(t.list))
		for _, x := range t.list {
			x.encode(e)
		}
	case "map":
		e.MapLen(len(t.keys))
		for i, k := range t.keys {
			e.String(k)
			t.list[i].encode(e)
		}
	case "handle":
		e.Handle(t.i.Uint64())
	case "packed":
		e.extHeader(extPacked, 1+len(t.raw))
		e.Buf = append(append(e.Buf, byte(t.bits)), t.raw...)
	}
}

// loadVectors reads every NAME.json and its NAME.msgpack. It skips the test, saying so, only
// when the directory holds no vectors at all.
func loadVectors(t *testing.T) (names []string, vecs map[string]*vector, msgs map[string][]byte) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(vectorsDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skipf("no conformance vectors in %s yet (no *.json files): nothing to check", vectorsDir)
	}
	vecs, msgs = map[string]*vector{}, map[string][]byte{}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		js, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		v := &vector{}
		if err := json.Unmarshal(js, v); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if v.Name != name {
			t.Errorf("%s: name %q does not match the file name", f, v.Name)
		}
		msg, err := os.ReadFile(filepath.Join(vectorsDir, name+".msgpack"))
		if err != nil {
			t.Fatalf("%s: the pair has no .msgpack: %v", name, err)
		}
		names = append(names, name)
		vecs[name], msgs[name] = v, msg
	}
	return names, vecs, msgs
}

func TestVectors(t *testing.T) {
	names, vecs, msgs := loadVectors(t)
	counts := map[string]int{}
	for _, name := range names {
		v, msg := vecs[name], msgs[name]
		counts[v.Kind]++
		t.Run(name, func(t *testing.T) {
			var err error
			switch v.Kind {
			case "value":
				err = checkValueVector(v, msg)
			case "request":
				err = checkRequestVector(v, msg)
			case "reply":
				err = checkReplyVector(v, msg)
			case "invalid":
				err = checkInvalidVector(v, msg)
			case "out_slot":
				err = checkOutSlotVector(v, msg)
			case "reply_outs":
				err = checkReplyOutsVector(v, msg)
			default:
				err = fmt.Errorf("unknown kind %q", v.Kind)
			}
			if err != nil {
				t.Errorf("% x: %v", truncate(msg), err)
			}
		})
	}
	t.Logf("checked %d vectors: %v", len(names), counts)
}

// TestVectorChecksums checks the vectors against SHA256SUMS: they are frozen.
func TestVectorChecksums(t *testing.T) {
	loadVectors(t) // skips when there are none
	f, err := os.Open(filepath.Join(vectorsDir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	listed := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("SHA256SUMS line %q", sc.Text())
		}
		listed[name] = true
		b, err := os.ReadFile(filepath.Join(vectorsDir, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := sha256.Sum256(b); hex.EncodeToString(got[:]) != sum {
			t.Errorf("%s changed: vectors are frozen (docs/abi.md section 7)", name)
		}
	}
	files, _ := filepath.Glob(filepath.Join(vectorsDir, "*.msgpack"))
	for _, f := range files {
		if !listed[filepath.Base(f)] {
			t.Errorf("%s is not listed in SHA256SUMS", filepath.Base(f))
		}
	}
}

func checkValueVector(v *vector, msg []byte) error {
	want, err := parseTyped(v.Value)
	if err != nil {
		return err
	}
	if f := validate(msg); f != nil {
		return f
	}
	d := NewDecoder(msg)
	got, err := d.Value()
	if err != nil {
		return err
	}
	if d.Remaining() != 0 {
		return fmt.Errorf("%d bytes left", d.Remaining())
	}
	if err := want.match(got); err != nil {
		return err
	}
	if v.Canonical {
		var typedEnc, genericEnc Encoder
		want.encode(&typedEnc)
		if !bytes.Equal(typedEnc.Buf, msg) {
			return fmt.Errorf("encodes to % x", truncate(typedEnc.Buf))
		}
		// Encoder.Value writes the keys of a map[string]any sorted: only such vectors match.
		if want.sortedMaps() {
			if err := genericEnc.Value(want.toAny()); err != nil || !bytes.Equal(genericEnc.Buf, msg) {
				return fmt.Errorf("Encoder.Value gives % x, %v", truncate(genericEnc.Buf), err)
			}
		}
	}
	return nil
}

func checkRequestVector(v *vector, msg []byte) error {
	rq := v.Request
	if rq == nil {
		return fmt.Errorf("no request")
	}
	var target any
	var name string
	if err := json.Unmarshal(rq.Target, &name); err == nil {
		target = name
	} else {
		var id uint64
		if err := json.Unmarshal(rq.Target, &id); err != nil {
			return fmt.Errorf("target %s: %v", rq.Target, err)
		}
		target = id
	}
	args := make([]typed, len(rq.Args))
	for i, a := range rq.Args {
		var err error
		if args[i], err = parseTyped(a); err != nil {
			return err
		}
	}
	if f := validate(msg); f != nil {
		return f
	}
	// The bridge's own header parse; a request of another ABI stops at abi_version.
	var h, fh header
	f := parseHeader(msg, &h)
	if fastHeader(msg, &fh) && (f != nil || !reflect.DeepEqual(fh, h)) {
		return fmt.Errorf("fastHeader gives %+v, parseHeader %+v, %v", fh, h, f)
	}
	d := NewDecoder(msg)
	d.off = h.args
	abi, op := uint64(ABIVersion), uint64(0) // what a successful parseHeader has read
	if h.release {
		op = opRelease
	}
	if h.cancel {
		op = opCancel
	}
	if h.errOp != 0 {
		op = h.errOp
	}
	if h.pack {
		op = opCallPacked
	}
	knownOp := rq.Op == 0 || rq.Op == opRelease || rq.Op == opCancel || rq.Op == opErrorIs || rq.Op == opErrorValue || rq.Op == opCallPacked
	if rq.ABI != ABIVersion || !knownOp {
		// parseHeader stops at abi_version, or at unsupported_op for an op ABI 1 lacks.
		want, got := "abi_version", rq.ABI
		if rq.ABI == ABIVersion {
			want, got = "unsupported_op", rq.Op
		}
		if f == nil || f.kind != want || f.detail[0].val != got {
			return fmt.Errorf("abi %d op %d: parseHeader gives %v, want %s", rq.ABI, rq.Op, f, want)
		}
		d = NewDecoder(msg) // read the rest generically below
		d.ListLen()
		d.Uint(64)
		op, _ = d.Uint(64)
		var err error
		if h.byName = isStr(d.buf[d.off]); h.byName {
			h.name, _ = d.rawStr()
		} else if h.id, err = d.Uint(64); err != nil {
			return err
		}
		if h.nargs, _, err = d.ListLen(); err != nil {
			return err
		}
		abi = rq.ABI
	} else if f != nil {
		return f
	}
	switch x := target.(type) {
	case string:
		if !h.byName || string(h.name) != x {
			return fmt.Errorf("target: got %q (by name %v), want %q", h.name, h.byName, x)
		}
	case uint64:
		if h.byName || h.id != x {
			return fmt.Errorf("target: got id %d (by name %v), want %d", h.id, h.byName, x)
		}
	}
	if abi != rq.ABI || op != rq.Op || h.nargs != len(args) {
		return fmt.Errorf("header abi %d op %d nargs %d, want %d %d %d", abi, op, h.nargs, rq.ABI, rq.Op, len(args))
	}
	for i, a := range args {
		got, err := d.Value()
		if err != nil {
			return fmt.Errorf("arg %d: %v", i, err)
		}
		if err := a.match(got); err != nil {
			return fmt.Errorf("arg %d: %v", i, err)
		}
	}
	if d.Remaining() != 0 {
		return fmt.Errorf("%d bytes left", d.Remaining())
	}
	if v.Canonical {
		var e Encoder
		e.ListLen(4)
		e.Uint(rq.ABI)
		e.Uint(rq.Op)
		if err := e.Value(target); err != nil {
			return err
		}
		e.ListLen(len(args))
		for _, a := range args {
			a.encode(&e)
		}
		if !bytes.Equal(e.Buf, msg) {
			return fmt.Errorf("encodes to % x", truncate(e.Buf))
		}
	}
	// A request of another ABI gets an abi_version reply from Handle.
	if rq.ABI != ABIVersion {
		r, err := parseReply(func() []byte { out, release := newTestBridge().Handle(msg); defer release(); return bytes.Clone(out) }())
		if err != nil || r.kind != "abi_version" {
			return fmt.Errorf("Handle: %v, %v; want abi_version", r, err)
		}
	}
	return nil
}

func checkReplyVector(v *vector, msg []byte) error {
	rp := v.Reply
	if rp == nil || (rp.OK == nil) == (rp.Error == nil) {
		return fmt.Errorf("reply needs exactly one of ok and error")
	}
	got, err := parseReply(msg)
	if err != nil {
		return err
	}
	var e Encoder
	if rp.OK != nil {
		want, err := parseTyped(rp.OK)
		if err != nil {
			return err
		}
		if got.status != 0 {
			return fmt.Errorf("got %v, want ok", got)
		}
		if err := want.match(got.ok); err != nil {
			return err
		}
		e.ListLen(2)
		e.Uint(0)
		want.encode(&e)
	} else {
		we := rp.Error
		if got.status != 1 || got.kind != we.Kind || got.message != we.Message || len(got.detail) != len(we.Detail) {
			return fmt.Errorf("got %v, want %s %q with %d details", got, we.Kind, we.Message, len(we.Detail))
		}
		f := &failure{kind: we.Kind, message: we.Message}
		for i, kv := range we.Detail {
			var key string
			if len(kv) != 2 || json.Unmarshal(kv[0], &key) != nil {
				return fmt.Errorf("detail %d: want [key, value]", i)
			}
			val, err := parseTyped(kv[1])
			if err != nil {
				return err
			}
			if got.detail[i].key != key {
				return fmt.Errorf("detail %d: key %q, want %q", i, got.detail[i].key, key)
			}
			if err := val.match(got.detail[i].val); err != nil {
				return fmt.Errorf("detail %q: %v", key, err)
			}
			f.detail = append(f.detail, field{key, val.toAny()})
		}
		writeError(&e, f) // the bridge's own error reply writer
	}
	if v.Canonical && !bytes.Equal(e.Buf, msg) {
		return fmt.Errorf("encodes to % x", truncate(e.Buf))
	}
	return nil
}

func checkInvalidVector(v *vector, msg []byte) error {
	var kind string
	switch v.DecodeAs {
	case "value":
		if f := validate(msg); f != nil {
			kind = f.kind
		} else if _, err := NewDecoder(msg).Value(); err != nil {
			kind = "malformed"
		}
	case "request":
		out, release := newTestBridge().Handle(msg)
		r, err := parseReply(out)
		release()
		if err != nil {
			return err
		}
		kind = r.kind
	case "reply":
		if f := validate(msg); f != nil {
			kind = f.kind
		} else if _, err := parseReply(msg); err != nil {
			kind = "malformed"
		}
	default:
		return fmt.Errorf("unknown decode_as %q", v.DecodeAs)
	}
	if kind != v.Error {
		return fmt.Errorf("rejected as %q, want %q", kind, v.Error)
	}
	return nil
}

// errorKinds is every error kind a bridge sends (docs/abi.md section 4); ops every op of ABI 1.
var (
	errorKinds = []string{
		"go_error", "go_panic", "bad_argument", "arity", "unknown_symbol", "skipped_symbol",
		"abi_version", "unsupported_op", "malformed", "limit_exceeded", "bad_result", "unknown_handle",
		// Host replies (docs/abi.md section 10).
		"python_exception", "unknown_host_object", "host_unavailable",
	}
	ops = []uint64{0, opRelease, opCancel, opErrorIs, opErrorValue}
)

// TestEveryErrorKindAndOpHasAVector checks that the vectors cover every error kind and op, as
// the Rust test of the same name does.
func TestEveryErrorKindAndOpHasAVector(t *testing.T) {
	names, vecs, _ := loadVectors(t)
	kinds, seenOps := map[string]bool{}, map[uint64]bool{}
	for _, name := range names {
		v := vecs[name]
		if v.Kind == "reply" && v.Reply != nil && v.Reply.Error != nil {
			kinds[v.Reply.Error.Kind] = true
		}
		if v.Kind == "request" && v.Request.ABI == ABIVersion {
			seenOps[v.Request.Op] = true
		}
	}
	for _, k := range errorKinds {
		if !kinds[k] {
			t.Errorf("no reply vector of kind %s", k)
		}
	}
	for _, op := range ops {
		if !seenOps[op] {
			t.Errorf("no request vector of op %d", op)
		}
	}
}

// TestVectorRepliesAreTheBridgeAnswers sends each request vector to the test bridge and checks
// that it answers with exactly the bytes of the reply vector that describes that answer.
func TestVectorRepliesAreTheBridgeAnswers(t *testing.T) {
	_, _, msgs := loadVectors(t)
	for req, rep := range map[string]string{
		"request_release":         "reply_unknown_handle",
		"request_cancel":          "reply_cancel_no_call",
		"request_error_is":        "reply_unknown_handle",
		"request_error_values_on": "reply_ok_nil", // turns error values on: off again below
		"request_op_1":            "reply_unsupported_op",
		"request_abi_2":           "reply_abi_version",
		"request_unknown_name":    "reply_unknown_symbol",
		"request_skipped_name":    "reply_skipped_symbol",
		"invalid_request_shape":   "reply_malformed",
	} {
		out, release := newTestBridge().Handle(msgs[req])
		got := bytes.Clone(out)
		release()
		errorValues.Store(false)
		if !bytes.Equal(got, msgs[rep]) {
			t.Errorf("%s: the bridge answers % x, %s is % x", req, truncate(got), rep, truncate(msgs[rep]))
		}
	}
}

// checkOutSlotVector reads an out slot as DecodeAnyArg and DecodeBytesArg do.
func checkOutSlotVector(v *vector, msg []byte) error {
	if v.OutSlot == nil {
		return fmt.Errorf("no out_slot")
	}
	want, err := parseTyped(v.OutSlot.Initial)
	if err != nil {
		return err
	}
	d := NewDecoder(msg)
	what, init, ok, err := d.outSlot()
	if err != nil || !ok {
		return fmt.Errorf("not an out slot: %v", err)
	}
	if d.Remaining() != 0 {
		return fmt.Errorf("%d bytes left", d.Remaining())
	}
	if what != v.OutSlot.Wire {
		return fmt.Errorf("wire type %q, want %q", what, v.OutSlot.Wire)
	}
	got, err := init.Value()
	if err != nil {
		return err
	}
	return want.match(got)
}

// checkReplyOutsVector checks [status, body, outs]: the first two as the two-element reply
// they extend (checkReplyVector), then the outs.
func checkReplyOutsVector(v *vector, msg []byte) error {
	if f := validate(msg); f != nil {
		return f
	}
	d := NewDecoder(msg)
	if n, _, err := d.ListLen(); err != nil || n != 3 {
		return fmt.Errorf("not a 3-element reply: %d, %v", n, err)
	}
	if _, err := d.Uint(64); err != nil {
		return err
	}
	if _, err := d.Value(); err != nil {
		return err
	}
	body := d.Offset()
	if err := checkReplyVector(v, append([]byte{mFixArray | 2}, msg[1:body]...)); err != nil {
		return err
	}
	outs, err := d.Value()
	if err != nil {
		return err
	}
	want := typed{kind: "list"}
	for _, o := range v.Outs {
		t, err := parseTyped(o)
		if err != nil {
			return err
		}
		want.list = append(want.list, t)
	}
	if err := want.match(outs); err != nil {
		return err
	}
	if d.Remaining() != 0 {
		return fmt.Errorf("%d bytes left", d.Remaining())
	}
	return nil
}
