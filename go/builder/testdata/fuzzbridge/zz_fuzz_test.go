package main

// This file is copied into the generated bridge module of tests/fixtures/go/level3 by
// go/builder's TestGeneratedCodecsFuzz; it is not compiled in place (testdata).

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"usegolib_bridge/bridge"
)

// FuzzGeneratedBridge feeds request bytes to the generated bridge, the way usegolib_call does
// (usegolibBridge.Serve: validation, dispatch, the generated argument decoders, the call, the
// generated result encoders, error replies), and checks that every reply is exactly one
// well-formed reply of docs/abi.md section 4, within the limits of section 6, and that no panic
// comes from the bridge's own code. The seeds are a valid request for every entry of the
// schema, so the fuzzer starts inside every generated decoder and encoder.
func FuzzGeneratedBridge(f *testing.F) {
	s, err := loadSchema("schema.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range s.seeds() {
		f.Add(seed)
	}
	f.Add(request(2, uint64(1))) // release a handle
	f.Add([]byte{0x94, 0x01, 0x00, 0x00})
	buf := make([]byte, 0, 64) // small: replies that do not fit take the other path
	f.Fuzz(func(t *testing.T, req []byte) {
		if s.tooCostly(req) {
			return
		}
		reply := usegolibBridge.Serve(req, buf)
		v := checkReply(t, req, reply)
		releaseHandles(t, v)
	})
}

// schema is what the harness reads of schema.json.
type schema struct {
	Packages []struct {
		Path      string
		Functions []struct {
			ID     int
			Name   string
			Params []struct{ Name, Type string }
		}
	}
	Types map[string]struct {
		Kind   string
		Fields []struct{ Key, Type string }
	}

	names map[string]string // id ("7") or qualified name -> entry name
}

func loadSchema(path string) (*schema, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s schema
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, err
	}
	s.names = map[string]string{}
	for _, p := range s.Packages {
		for _, fn := range p.Functions {
			s.names[fmt.Sprint(fn.ID)] = fn.Name
			s.names[p.Path+"."+fn.Name] = fn.Name
		}
	}
	return &s, nil
}

// seeds returns one valid request per entry, and one with nil (or empty) arguments.
func (s *schema) seeds() [][]byte {
	var out [][]byte
	for _, p := range s.Packages {
		for _, fn := range p.Functions {
			var args, nils []any
			for _, a := range fn.Params {
				args = append(args, s.sample(a.Type, 0))
				nils = append(nils, nil)
			}
			out = append(out, request(0, uint64(fn.ID), args...), request(0, uint64(fn.ID), nils...))
		}
	}
	return out
}

// sample is a valid value of wire type wt (docs/abi.md sections 2 and 8.1).
func (s *schema) sample(wt string, depth int) any {
	if depth > 8 {
		return nil
	}
	switch {
	case wt == "bool":
		return true
	case strings.HasPrefix(wt, "int"), strings.HasPrefix(wt, "uint"), wt == "duration":
		return int64(3)
	case strings.HasPrefix(wt, "float"):
		return 1.5
	case wt == "string":
		return "s"
	case wt == "bytes":
		return []byte("b")
	case wt == "any":
		return map[string]any{"a": []any{int64(1), "x", nil}}
	case wt == "time":
		return []any{int64(1), int64(2), int64(3600)}
	case strings.HasPrefix(wt, "bytes["):
		var n int
		fmt.Sscanf(wt, "bytes[%d]", &n)
		return make([]byte, n)
	case strings.HasPrefix(wt, "[]"):
		return []any{s.sample(wt[2:], depth+1)}
	case strings.HasPrefix(wt, "["):
		var n int
		fmt.Sscanf(wt, "[%d]", &n)
		elem := wt[strings.IndexByte(wt, ']')+1:]
		out := make([]any, n)
		for i := range out {
			out[i] = s.sample(elem, depth+1)
		}
		return out
	case strings.HasPrefix(wt, "map[string]"):
		return map[string]any{"k": s.sample(wt[len("map[string]"):], depth+1)}
	case strings.HasPrefix(wt, "*"):
		return s.sample(wt[1:], depth+1)
	case strings.HasPrefix(wt, "@"):
		rec := map[string]any{}
		for _, f := range s.Types[wt[1:]].Fields {
			rec[f.Key] = s.sample(f.Type, depth+1)
		}
		return rec
	case strings.HasPrefix(wt, "&"):
		return bridge.HandleID(1)
	}
	return nil
}

// sizeFuncs take a size: their cost grows with it, so the harness keeps it small.
var sizeFuncs = map[string]bool{"Points": true, "MakeList": true, "MakeIDs": true, "MakeRing": true, "RingAndLen": true,
	"DeepList": true, "DeepChain": true, "NestAny": true, "NestMaps": true, "NestBox": true}

// tooCostly reports whether req calls a function of sizeFuncs with a size above 200.
func (s *schema) tooCostly(req []byte) bool {
	d := bridge.NewDecoder(req)
	if n, _, err := d.ListLen(); err != nil || n != 4 {
		return false
	}
	if _, err := d.Value(); err != nil { // abi
		return false
	}
	if _, err := d.Value(); err != nil { // op
		return false
	}
	target, err := d.Value()
	if err != nil || !sizeFuncs[s.names[fmt.Sprint(target)]] {
		return false
	}
	args, err := d.Value()
	if err != nil {
		return true
	}
	list, _ := args.([]any)
	for _, a := range list {
		switch x := a.(type) {
		case int64:
			if x > 200 {
				return true
			}
		case uint64:
			return true
		}
	}
	return false
}

func request(op uint64, target any, args ...any) []byte {
	req, err := bridge.EncodeRequest(1, op, target, args...)
	if err != nil {
		panic(err)
	}
	return req
}

// details are the detail keys of each error kind (docs/abi.md section 4); go_error's type and
// go_panic's are checked apart.
var details = map[string]string{
	"go_error":       "type",
	"go_panic":       "stack type value",
	"bad_argument":   "go_type index param reason",
	"arity":          "expected got",
	"unknown_symbol": "target",
	"skipped_symbol": "name reason",
	"abi_version":    "got want",
	"unsupported_op": "op",
	"malformed":      "offset",
	"limit_exceeded": "limit max",
	"bad_result":     "index reason",
	"unknown_handle": "id",
}

// checkReply checks that reply is one reply [0, result] or [1, {kind, message, detail}] with
// nothing after it, within the limits, and returns its value.
func checkReply(t *testing.T, req, reply []byte) any {
	t.Helper()
	if len(reply) == 0 || len(reply) > bridge.MaxMessageBytes {
		t.Fatalf("request % x: reply of %d bytes", req, len(reply))
	}
	d := bridge.NewDecoder(reply) // checks the depth limit, lengths, keys
	v, err := d.Value()
	if err != nil {
		t.Fatalf("request % x: reply % x does not decode: %v", req, reply, err)
	}
	if d.Remaining() != 0 {
		t.Fatalf("request % x: %d bytes after the reply % x", req, d.Remaining(), reply)
	}
	r, ok := v.([]any)
	if !ok || len(r) != 2 {
		t.Fatalf("request % x: reply %#v is not [status, body]", req, v)
	}
	switch r[0] {
	case int64(0):
		return r[1]
	case int64(1):
	default:
		t.Fatalf("request % x: status %#v", req, r[0])
	}
	// The error map: exactly kind, message, detail, in that order.
	const head = "\x92\x01\x83\xa4kind"
	if !strings.HasPrefix(string(reply), head) {
		t.Fatalf("request % x: error reply % x does not start with [1, {kind", req, reply)
	}
	body, _ := r[1].(map[string]any)
	kind, _ := body["kind"].(string)
	msg, _ := body["message"].(string)
	detail, ok := body["detail"].(map[string]any)
	if len(body) != 3 || !ok || msg == "" {
		t.Fatalf("request % x: error body %#v", req, body)
	}
	want, known := details[kind]
	var keys []string
	for k := range detail {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if got := strings.Join(keys, " "); !known || got != want {
		t.Fatalf("request % x: error kind %q with detail keys %q (want %q): %s", req, kind, got, want, msg)
	}
	if kind == "go_panic" {
		if fn := panicking(detail["stack"].(string)); strings.HasPrefix(fn, "main.") || strings.HasPrefix(fn, "usegolib_bridge/") {
			t.Fatalf("request % x: panic in the bridge's own code (%s): %s\n%s", req, fn, msg, detail["stack"])
		}
	}
	return nil
}

// panicking returns the first function below panic( in a Go stack that is not in the runtime:
// the one that panicked.
func panicking(stack string) string {
	lines := strings.Split(stack, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, "panic(") {
			continue
		}
		for _, fn := range lines[i+1:] {
			if fn == "" || strings.HasPrefix(fn, "\t") || strings.HasPrefix(fn, "runtime.") {
				continue
			}
			return fn
		}
	}
	return ""
}

// releaseHandles releases every handle in v, so that long runs do not fill the handle table.
func releaseHandles(t *testing.T, v any) {
	switch x := v.(type) {
	case bridge.HandleID:
		reply := usegolibBridge.Serve(request(2, uint64(x)), nil)
		checkReply(t, nil, reply)
	case bridge.Object: // a Go object inside any (docs/abi.md section 8.9)
		reply := usegolibBridge.Serve(request(2, x.ID), nil)
		checkReply(t, nil, reply)
	case bridge.Tagged:
		releaseHandles(t, x.Value)
	case []any:
		for _, e := range x {
			releaseHandles(t, e)
		}
	case map[string]any:
		for _, e := range x {
			releaseHandles(t, e)
		}
	}
}
