package bridge

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// The functions of the test bridge, written as the generator writes its Call adapters.

func addInt(a, b int) int { return a + b }

func divMod(a, b int) (int, int) { return a / b, a % b }

func div(a, b int) (int, error) {
	if b == 0 {
		return 0, errors.New("division by zero")
	}
	return a / b, nil
}

func check(s string) error {
	if s == "" {
		return &checkError{"empty input"}
	}
	return nil
}

type checkError struct{ why string }

func (e *checkError) Error() string { return "check failed: " + e.why }

// badError panics in its Error method when its receiver is nil.
type badError struct{ msg string }

func (e *badError) Error() string { return e.msg }

func returnsNilBadError() error {
	var e *badError
	return e
}

//go:noinline
func panicString(s string) { panic(s) }

//go:noinline
func panicError() { panic(errors.New("boom")) }

type point struct{ x int }

//go:noinline
func panicNilDeref() int {
	var p *point
	return p.x
}

// repeat returns s n times (nothing for n < 1) and its length.
func repeat(s string, n int) (string, int) {
	if n < 1 {
		return "", 0
	}
	r := strings.Repeat(s, n)
	return r, len(r)
}

// testFuncs is a bridge table shaped like generated code; ids are the indexes.
var testFuncs = []Func{
	{Name: "example.com/calc.AddInt", Params: []Param{{"a", "int"}, {"b", "int"}},
		Call: func(d Decoder, e Encoder) (Encoder, error) {
			a, err := d.Int(64)
			if err != nil {
				return e, ArgError(0, err)
			}
			b, err := d.Int(64)
			if err != nil {
				return e, ArgError(1, err)
			}
			e.Int(int64(addInt(int(a), int(b))))
			return e, nil
		}},
	{Name: "example.com/calc.Nothing", Params: nil,
		Call: func(d Decoder, e Encoder) (Encoder, error) {
			e.Nil()
			return e, nil
		}},
	{Name: "example.com/calc.DivMod", Params: []Param{{"a", "int"}, {"b", "int"}},
		Call: func(d Decoder, e Encoder) (Encoder, error) {
			a, err := d.Int(64)
			if err != nil {
				return e, ArgError(0, err)
			}
			b, err := d.Int(64)
			if err != nil {
				return e, ArgError(1, err)
			}
			q, r := divMod(int(a), int(b))
			e.ListLen(2)
			e.Int(int64(q))
			e.Int(int64(r))
			return e, nil
		}},
	{Name: "example.com/calc.Div", Params: []Param{{"a", "int"}, {"b", "int"}},
		Call: func(d Decoder, e Encoder) (Encoder, error) {
			a, err := d.Int(64)
			if err != nil {
				return e, ArgError(0, err)
			}
			b, err := d.Int(64)
			if err != nil {
				return e, ArgError(1, err)
			}
			q, err := div(int(a), int(b))
			if err != nil {
				return e, GoError(err)
			}
			e.Int(int64(q))
			return e, nil
		}},
	{Name: "example.com/calc.Check", Params: []Param{{"s", "string"}},
		Call: func(d Decoder, e Encoder) (Encoder, error) {
			s, err := d.String()
			if err != nil {
				return e, ArgError(0, err)
			}
			if err := check(s); err != nil {
				return e, GoError(err)
			}
			e.Nil()
			return e, nil
		}},
	{Name: "example.com/calc.Int8", Params: []Param{{"a", "int8"}},
		Call: func(d Decoder, e Encoder) (Encoder, error) {
			a, err := d.Int(8)
			if err != nil {
				return e, ArgError(0, err)
			}
			e.Int(int64(int8(a)))
			return e, nil
		}},
	{Name: "example.com/calc.Uint16", Params: []Param{{"a", "uint16"}},
		Call: func(d Decoder, e Encoder) (Encoder, error) {
			a, err := d.Uint(16)
			if err != nil {
				return e, ArgError(0, err)
			}
			e.Uint(uint64(uint16(a)))
			return e, nil
		}},
	{Name: "example.com/calc.Echo", Params: []Param{{"b", "[]byte"}},
		Call: func(d Decoder, e Encoder) (Encoder, error) {
			b, err := d.Bytes()
			if err != nil {
				return e, ArgError(0, err)
			}
			e.Bytes(bytes.Clone(b))
			return e, nil
		}},
	{Name: "example.com/calc.Join", Params: []Param{{"xs", "[]string"}, {"sep", "string"}},
		Call: func(d Decoder, e Encoder) (Encoder, error) {
			n, isNil, err := d.ListLen()
			if err != nil {
				return e, ArgError(0, err)
			}
			var xs []string
			if !isNil {
				xs = make([]string, n)
				for i := range xs {
					if xs[i], err = d.String(); err != nil {
						return e, ArgError(0, ElemError(i, err))
					}
				}
			}
			sep, err := d.String()
			if err != nil {
				return e, ArgError(1, err)
			}
			e.String(strings.Join(xs, sep))
			return e, nil
		}},
	{Name: "example.com/calc.Sum", Params: []Param{{"xs", "[]int64"}},
		Call: func(d Decoder, e Encoder) (Encoder, error) {
			n, _, err := d.ListLen()
			if err != nil {
				return e, ArgError(0, err)
			}
			var sum int64
			for i := 0; i < n; i++ {
				x, err := d.Int(64)
				if err != nil {
					return e, ArgError(0, ElemError(i, err))
				}
				sum += x
			}
			e.Int(sum)
			return e, nil
		}},
	{Name: "example.com/calc.Float32", Params: []Param{{"f", "float32"}},
		Call: func(d Decoder, e Encoder) (Encoder, error) {
			f, err := d.Float32()
			if err != nil {
				return e, ArgError(0, err)
			}
			e.Float32(f)
			return e, nil
		}},
	{Name: "example.com/calc.Scale", Params: []Param{{"f", "float64"}, {"by", "float64"}},
		Call: func(d Decoder, e Encoder) (Encoder, error) {
			f, err := d.Float64()
			if err != nil {
				return e, ArgError(0, err)
			}
			by, err := d.Float64()
			if err != nil {
				return e, ArgError(1, err)
			}
			e.Float64(f * by)
			return e, nil
		}},
	{Name: "example.com/calc.PanicString", Params: []Param{{"s", "string"}},
		Call: func(d Decoder, e Encoder) (Encoder, error) {
			s, err := d.String()
			if err != nil {
				return e, ArgError(0, err)
			}
			panicString(s)
			e.Nil()
			return e, nil
		}},
	{Name: "example.com/calc.PanicError", Params: nil,
		Call: func(d Decoder, e Encoder) (Encoder, error) {
			panicError()
			e.Nil()
			return e, nil
		}},
	{Name: "example.com/calc.PanicNil", Params: nil,
		Call: func(d Decoder, e Encoder) (Encoder, error) {
			e.Int(int64(panicNilDeref()))
			return e, nil
		}},
	{Name: "example.com/calc.Grid", Params: []Param{{"g", "[][]int64"}},
		Call: func(d Decoder, e Encoder) (Encoder, error) {
			n, isNil, err := d.ListLen()
			if err != nil {
				return e, ArgError(0, err)
			}
			var g [][]int64
			if !isNil {
				g = make([][]int64, n)
				for i := range g {
					m, isNil, err := d.ListLen()
					if err != nil {
						return e, ArgError(0, ElemError(i, err))
					}
					if !isNil {
						g[i] = make([]int64, m)
						for j := range g[i] {
							if g[i][j], err = d.Int(64); err != nil {
								return e, ArgError(0, ElemError(i, ElemError(j, err)))
							}
						}
					}
				}
			}
			e.ListLen(len(g))
			for _, row := range g {
				e.ListLen(len(row))
				for _, x := range row {
					e.Int(x)
				}
			}
			return e, nil
		}},
	{Name: "example.com/calc.Not", Params: []Param{{"b", "bool"}},
		Call: func(d Decoder, e Encoder) (Encoder, error) {
			b, err := d.Bool()
			if err != nil {
				return e, ArgError(0, err)
			}
			e.Bool(!b)
			return e, nil
		}},
	{Name: "example.com/calc.BadError", Params: nil,
		Call: func(d Decoder, e Encoder) (Encoder, error) {
			if err := returnsNilBadError(); err != nil {
				return e, GoError(err)
			}
			e.Nil()
			return e, nil
		}},
	// Cumsum reads a []int64 as the generated decoders do (a packed array or an array) and
	// writes its running sums packed when the request asked (op 6), as generated adapters do.
	{Name: "example.com/calc.Cumsum", Params: []Param{{"xs", "[]int64"}},
		Call: func(d Decoder, e Encoder) (Encoder, error) {
			xs, ok, err := DecodePacked[int64](&d, 'q')
			if err != nil {
				return e, ArgError(0, err)
			}
			if !ok {
				n, _, err := d.ListLen()
				if err != nil {
					return e, ArgError(0, err)
				}
				xs = make([]int64, n)
				for i := range xs {
					if xs[i], err = d.Int(64); err != nil {
						return e, ArgError(0, ElemError(i, err))
					}
				}
			}
			for i := 1; i < len(xs); i++ {
				xs[i] += xs[i-1]
			}
			if d.PackResults() {
				EncodePacked(&e, 'q', xs)
			} else {
				e.ListLen(len(xs))
				for _, x := range xs {
					e.Int(x)
				}
			}
			return e, nil
		}},
	{Name: "example.com/calc.Repeat", Params: []Param{{"s", "string"}, {"n", "int"}},
		Call: func(d Decoder, e Encoder) (Encoder, error) {
			s, err := d.String()
			if err != nil {
				return e, ArgError(0, err)
			}
			n, err := d.Int(64)
			if err != nil {
				return e, ArgError(1, err)
			}
			r, k := repeat(s, int(n))
			e.ListLen(2)
			e.String(r)
			e.Int(int64(k))
			return e, nil
		}},
}

// Function ids of testFuncs, by name without the package path.
var testIDs = func() map[string]uint64 {
	m := map[string]uint64{}
	for i, f := range testFuncs {
		m[f.Name[strings.LastIndex(f.Name, ".")+1:]] = uint64(i)
	}
	return m
}()

var testSkipped = map[string]string{
	"example.com/calc.Send": "parameter ch has type chan int: channels are not supported",
}

func newTestBridge() *Bridge { return New(testFuncs, testSkipped) }

// encodeRequest builds [abi, op, target, args] with the Encoder; target and args are Level-1
// values as Encoder.Value takes them.
func encodeRequest(abi, op uint64, target any, args ...any) []byte {
	req, err := EncodeRequest(abi, op, target, args...)
	if err != nil {
		panic(err)
	}
	return req
}

// callReq builds an ABI 1 call of the named test function by id.
func callReq(fn string, args ...any) []byte {
	id, ok := testIDs[fn]
	if !ok {
		panic("no test function " + fn)
	}
	return encodeRequest(1, 0, id, args...)
}

// reply is a decoded reply: status 0 with ok, or status 1 with the error map.
type reply struct {
	status  uint64
	ok      any
	kind    string
	message string
	detail  []field // in wire order
}

func (r *reply) get(key string) any {
	for _, f := range r.detail {
		if f.key == key {
			return f.val
		}
	}
	return fmt.Sprintf("<no detail %q>", key)
}

func (r *reply) String() string {
	if r.status == 0 {
		return fmt.Sprintf("ok %#v", r.ok)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %q {", r.kind, r.message)
	for _, f := range r.detail {
		v := fmt.Sprintf("%v", f.val)
		if len(v) > 60 {
			v = v[:60] + "..."
		}
		fmt.Fprintf(&b, " %s=%s", f.key, v)
	}
	return b.String() + " }"
}

// parseReply decodes a reply strictly: the framing and error map layout of docs/abi.md
// section 4, detail keys in strictly increasing byte order, no trailing bytes.
func parseReply(b []byte) (*reply, error) {
	if f := validate(b); f != nil {
		return nil, f
	}
	d := NewDecoder(b)
	n, isNil, err := d.ListLen()
	if err != nil || isNil || n != 2 {
		return nil, fmt.Errorf("reply is not a 2-element array (n=%d, nil=%v, err=%v)", n, isNil, err)
	}
	r := &reply{}
	if r.status, err = d.Uint(64); err != nil {
		return nil, fmt.Errorf("status: %v", err)
	}
	switch r.status {
	case 0:
		if r.ok, err = d.Value(); err != nil {
			return nil, fmt.Errorf("result: %v", err)
		}
	case 1:
		if err := parseErrorMap(d, r); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("status %d", r.status)
	}
	if d.Remaining() != 0 {
		return nil, fmt.Errorf("%d trailing bytes", d.Remaining())
	}
	return r, nil
}

func parseErrorMap(d *Decoder, r *reply) error {
	n, isNil, err := d.MapLen()
	if err != nil || isNil || n != 3 {
		return fmt.Errorf("error is not a 3-entry map (n=%d, nil=%v, err=%v)", n, isNil, err)
	}
	for _, want := range []string{"kind", "message", "detail"} {
		k, err := d.String()
		if err != nil || k != want {
			return fmt.Errorf("error map key %q, want %q (%v)", k, want, err)
		}
		if want == "detail" {
			break
		}
		v, err := d.String()
		if err != nil {
			return fmt.Errorf("error %s: %v", want, err)
		}
		if want == "kind" {
			r.kind = v
		} else {
			r.message = v
		}
	}
	m, isNil, err := d.MapLen()
	if err != nil || isNil {
		return fmt.Errorf("detail is not a map: %v", err)
	}
	for i := 0; i < m; i++ {
		k, err := d.String()
		if err != nil {
			return fmt.Errorf("detail key: %v", err)
		}
		if i > 0 && k <= r.detail[i-1].key {
			return fmt.Errorf("detail keys not sorted: %q after %q", k, r.detail[i-1].key)
		}
		v, err := d.Value()
		if err != nil {
			return fmt.Errorf("detail %q: %v", k, err)
		}
		r.detail = append(r.detail, field{k, v})
	}
	return nil
}

// handle runs req through b and returns the parsed reply, failing the test on a reply that does
// not parse.
func handle(t testing.TB, b *Bridge, req []byte) *reply {
	t.Helper()
	out, release := b.Handle(req)
	defer release()
	r, err := parseReply(out)
	if err != nil {
		t.Fatalf("reply % x does not parse: %v", truncate(out), err)
	}
	return r
}

func truncate(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}

// hexBytes parses "94 01 00" style hex, for readable test inputs.
func hexBytes(s string) []byte {
	var out []byte
	for _, f := range strings.Fields(s) {
		var c byte
		if _, err := fmt.Sscanf(f, "%02x", &c); err != nil || len(f) != 2 {
			panic("bad hex " + f)
		}
		out = append(out, c)
	}
	return out
}

// hugeBuffer returns one shared buffer of MaxMessageBytes+1 bytes for the limit tests. The code
// under test checks lengths before it reads or copies, so its pages are never touched: it costs
// address space, not memory. It is allocated once and kept, so the runtime never has to zero
// reused memory for it.
var hugeBuffer = sync.OnceValue(func() []byte { return make([]byte, MaxMessageBytes+1) })
