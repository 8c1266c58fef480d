package bridge

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// outFuncs are entries shaped as the generated adapters of functions with an `any` and a
// []byte parameter (docs/abi.md section 8.6).
var outFuncs = []Func{
	{Name: "t.SetAny", Params: []Param{{"v", "any"}}, Call: func(d Decoder, e Encoder) (Encoder, error) {
		var outs Outs
		v, err := DecodeAnyArg(&d, &outs, 0)
		if err != nil {
			return e, ArgError(0, err)
		}
		if p, ok := v.(*any); ok {
			*p = "hi"
		}
		e.Nil()
		return WithOuts(e, &outs)
	}},
	{Name: "t.Fail", Params: []Param{{"v", "any"}}, Call: func(d Decoder, e Encoder) (Encoder, error) {
		var outs Outs
		v, err := DecodeAnyArg(&d, &outs, 0)
		if err != nil {
			return e, ArgError(0, err)
		}
		if p, ok := v.(*int); ok {
			*p = 5
		}
		return e, GoErrorOuts(errors.New("x"), &outs)
	}},
	{Name: "t.Fill", Params: []Param{{"b", "[]byte"}}, Call: func(d Decoder, e Encoder) (Encoder, error) {
		var outs Outs
		b, err := DecodeBytesArg(&d, &outs, 0)
		if err != nil {
			return e, ArgError(0, err)
		}
		if len(b) > 0 {
			b[0] = 7
		}
		e.Nil()
		return WithOuts(e, &outs)
	}},
	{Name: "t.FailBadOut", Params: []Param{{"v", "any"}}, Call: func(d Decoder, e Encoder) (Encoder, error) {
		var outs Outs
		v, err := DecodeAnyArg(&d, &outs, 0)
		if err != nil {
			return e, ArgError(0, err)
		}
		if p, ok := v.(*any); ok {
			*p = make(chan int) // no wire form
		}
		return e, GoErrorOuts(errors.New("boom"), &outs)
	}},
	{Name: "t.Bump", Params: []Param{{"n", "*int64"}}, Call: func(d Decoder, e Encoder) (Encoder, error) {
		var outs Outs
		dec := func(d *Decoder) (*int64, error) {
			if d.Nil() {
				return nil, nil
			}
			v, err := d.Int(64)
			return &v, err
		}
		p, err := DecodePointerArg(&d, &outs, 0, "int64", dec, func(e *Encoder, v int64, _ int) error { e.Int(v); return nil })
		if err != nil {
			return e, ArgError(0, err)
		}
		if p != nil {
			*p++
		}
		e.Nil()
		return WithOuts(e, &outs)
	}},
}

func serveOut(t *testing.T, id byte, arg []byte) []byte {
	t.Helper()
	req := append([]byte{0x94, 1, 0, id, 0x91}, arg...)
	return New(outFuncs, nil).Serve(req, nil)
}

func TestOutParameters(t *testing.T) {
	// ["any", nil] in ext 8, type 3.
	refAny := []byte{0xc7, 0x06, 0x03, 0x92, 0xa3, 'a', 'n', 'y', 0xc0}
	if got, want := serveOut(t, 0, refAny), []byte{0x93, 0x00, 0xc0, 0x91, 0xa2, 'h', 'i'}; !bytes.Equal(got, want) {
		t.Errorf("Ref(): reply % x, want % x", got, want)
	}
	// Without an out slot the reply keeps its two elements.
	if got, want := serveOut(t, 0, []byte{0x01}), []byte{0x92, 0x00, 0xc0}; !bytes.Equal(got, want) {
		t.Errorf("plain any: reply % x, want % x", got, want)
	}
	// ["int64", 1]: Go's error, then the value it left.
	refInt := []byte{0xc7, 0x08, 0x03, 0x92, 0xa5, 'i', 'n', 't', '6', '4', 0x01}
	got := serveOut(t, 1, refInt)
	if got[0] != 0x93 || got[1] != 0x01 || !bytes.HasSuffix(got, []byte{0x91, 0x05}) {
		t.Errorf("go_error with an out slot: reply % x", got)
	}
	// ["bytes", bin 00 00] for a []byte parameter: Go's write is seen.
	buf := []byte{0xc7, 0x0b, 0x03, 0x92, 0xa5, 'b', 'y', 't', 'e', 's', 0xc4, 0x02, 0x00, 0x00}
	if got, want := serveOut(t, 2, buf), []byte{0x93, 0x00, 0xc0, 0x91, 0xc4, 0x02, 0x07, 0x00}; !bytes.Equal(got, want) {
		t.Errorf("in/out buffer: reply % x, want % x", got, want)
	}
	// ["int64", 41] for a *int64 parameter: Go's pointer, and its final value.
	refPtr := []byte{0xc7, 0x08, 0x03, 0x92, 0xa5, 'i', 'n', 't', '6', '4', 41}
	if got, want := serveOut(t, 4, refPtr), []byte{0x93, 0x00, 0xc0, 0x91, 42}; !bytes.Equal(got, want) {
		t.Errorf("Ref(41) for *int64: reply % x, want % x", got, want)
	}
	// ["int64", nil]: a pointer to a fresh zero.
	refZero := []byte{0xc7, 0x08, 0x03, 0x92, 0xa5, 'i', 'n', 't', '6', '4', 0xc0}
	if got, want := serveOut(t, 4, refZero), []byte{0x93, 0x00, 0xc0, 0x91, 1}; !bytes.Equal(got, want) {
		t.Errorf("Ref() for *int64: reply % x, want % x", got, want)
	}
	// A plain value is a copy: two elements.
	if got, want := serveOut(t, 4, []byte{0x05}), []byte{0x92, 0x00, 0xc0}; !bytes.Equal(got, want) {
		t.Errorf("plain *int64: reply % x, want % x", got, want)
	}
}

func TestOutParameterErrors(t *testing.T) {
	for name, c := range map[string]struct {
		id   byte
		arg  []byte
		want string
	}{
		"unknown wire type":       {0, []byte{0xc7, 0x06, 0x03, 0x92, 0xa3, 'x', 'y', 'z', 0xc0}, `wire type "xyz" is not supported`},
		"unknown record":          {0, []byte{0xc7, 0x06, 0x03, 0x92, 0xa3, '@', 'n', 'o', 0xc0}, "no such record type"},
		"not a pair":              {0, []byte{0xd4, 0x03, 0xc0}, "expected [wire type, initial value]"},
		"truncated payload":       {0, []byte{0xc7, 0x06, 0x03, 0x92, 0xa3, 'a', 'n', 'y'}, "malformed"},
		"wrong initial":           {0, []byte{0xc7, 0x11, 0x03, 0x92, 0xae, 'm', 'a', 'p', '[', 's', 't', 'r', 'i', 'n', 'g', ']', 'a', 'n', 'y', 0x01}, "expected a map"},
		"buffer not bytes":        {2, []byte{0xc7, 0x06, 0x03, 0x92, 0xa3, 'a', 'n', 'y', 0xc0}, "must be [\"bytes\", bin]"},
		"other ext type":          {0, []byte{0xd4, 0x05, 0x00}, "ext"},
		"pointer of another type": {4, []byte{0xc7, 0x08, 0x03, 0x92, 0xa5, 'i', 'n', 't', '3', '2', 0x01}, `must be ["int64", initial value], got wire type "int32"`},
	} {
		r, err := parseReply(New(outFuncs, nil).Serve(append([]byte{0x94, 1, 0, c.id, 0x91}, c.arg...), nil))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r.status != 1 || !strings.Contains(r.message, c.want) {
			t.Errorf("%s: got %s, want an error with %q", name, r, c.want)
		}
	}
}

// TestOutParameterUnencodableAfterGoError: an out value that cannot be encoded after the
// function returned an error gives bad_result, whose message keeps the function's error.
func TestOutParameterUnencodableAfterGoError(t *testing.T) {
	refAny := []byte{0xc7, 0x06, 0x03, 0x92, 0xa3, 'a', 'n', 'y', 0xc0}
	r, err := parseReply(serveOut(t, 3, refAny))
	if err != nil {
		t.Fatal(err)
	}
	if r.status != 1 || r.kind != "bad_result" {
		t.Fatalf("got %s, want a bad_result error", r)
	}
	for _, want := range []string{"argument 0 cannot be encoded", "the function had returned the error: boom"} {
		if !strings.Contains(r.message, want) {
			t.Errorf("message %q lacks %q", r.message, want)
		}
	}
}

// TestOutParameterVectors: the test bridge's answers to the out slot vectors are the reply
// vectors, byte for byte.
func TestOutParameterVectors(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(vectorsDir, name+".msgpack"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if got, want := serveOut(t, 0, read("out_slot_any")), read("reply_outs_ok"); !bytes.Equal(got, want) {
		t.Errorf("answer to out_slot_any: % x, want reply_outs_ok % x", got, want)
	}
	refInt := []byte{0xc7, 0x08, 0x03, 0x92, 0xa5, 'i', 'n', 't', '6', '4', 0x01}
	if got, want := serveOut(t, 1, refInt), read("reply_outs_go_error"); !bytes.Equal(got, want) {
		t.Errorf("Fail(Ref(1)): % x, want reply_outs_go_error % x", got, want)
	}
}
