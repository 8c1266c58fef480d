package bridge

import (
	"fmt"
	"testing"
)

// BenchmarkHandleAddInt is the hot path of a small call: AddInt(1, 2) by id, two int64 arguments
// and one int64 result. It must not allocate.
func BenchmarkHandleAddInt(b *testing.B) {
	benchmarkHandle(b, callReq("AddInt", 1, 2))
}

// BenchmarkHandleAddIntByName is the same call addressed by its qualified name.
func BenchmarkHandleAddIntByName(b *testing.B) {
	benchmarkHandle(b, encodeRequest(1, 0, "example.com/calc.AddInt", 1, 2))
}

// BenchmarkHandleBadArgument is the error path: an out-of-range argument.
func BenchmarkHandleBadArgument(b *testing.B) {
	benchmarkHandle(b, callReq("Int8", 128))
}

// BenchmarkServeAddInt is the path of the generated entry point: Serve into the caller's buffer.
func BenchmarkServeAddInt(b *testing.B) {
	benchmarkServe(b, callReq("AddInt", 1, 2))
}

// BenchmarkServeAddIntLarge is AddInt with arguments that take the longest int encodings.
func BenchmarkServeAddIntLarge(b *testing.B) {
	benchmarkServe(b, callReq("AddInt", -1<<62, 1<<62))
}

// BenchmarkServeJoin passes a list argument, which takes the general validator.
func BenchmarkServeJoin(b *testing.B) {
	benchmarkServe(b, callReq("Join", []string{"a", "b"}, "-"))
}

func benchmarkHandle(b *testing.B, req []byte) {
	br := newTestBridge()
	b.ReportAllocs()
	b.SetBytes(int64(len(req)))
	for b.Loop() {
		_, release := br.Handle(req)
		release()
	}
}

func benchmarkServe(b *testing.B, req []byte) {
	br := newTestBridge()
	buf := make([]byte, 0, 64<<10)
	b.ReportAllocs()
	b.SetBytes(int64(len(req)))
	for b.Loop() {
		buf = br.Serve(req, buf)
	}
}

// BenchmarkServeScalarAddInt is AddInt(1, 2) in the scalar form (docs/abi.md section 8.11):
// the words in place, no envelope. Beside BenchmarkServeAddInt, it shows what the envelope costs.
func BenchmarkServeScalarAddInt(b *testing.B) {
	br := newScalarBridge()
	var w ScalarWords
	b.ReportAllocs()
	for b.Loop() {
		w[0], w[1] = 1, 2
		br.ServeScalar(0, &w, 2, nil)
	}
}

// benchPoint is the record of the EchoPoint benchmark (tests/fixtures/go/bench Point).
type benchPoint struct {
	X, Y  int64
	Tags  []string
	Label string
}

// decBenchPoint and encBenchPoint are written as the generator writes a record's helpers
// (go/gen kind_record.go) for benchPoint: keys x, y, tags and label (omitempty).
func decBenchPoint(d *Decoder) (v benchPoint, err error) {
	n, isNil, err := d.MapLen()
	if err != nil {
		return v, RecordError("Point", err)
	}
	if isNil {
		return v, RecordNil("Point")
	}
	var seen [1]uint64
	for i := 0; i < n; i++ {
		k, err := d.Key()
		if err != nil {
			return v, RecordError("Point", KeyError(i, err))
		}
		switch string(k) {
		case "x", "y":
			bit := uint64(1)
			if k[0] == 'y' {
				bit = 2
			}
			if seen[0]&bit != 0 {
				return v, DuplicateField("Point", string(k), "X", "int64")
			}
			seen[0] |= bit
			x, err := d.Int(64)
			if err != nil {
				return v, FieldError("Point", string(k), "X", "int64", err)
			}
			if bit == 1 {
				v.X = x
			} else {
				v.Y = x
			}
		case "tags":
			if seen[0]&4 != 0 {
				return v, DuplicateField("Point", "tags", "Tags", "[]string")
			}
			seen[0] |= 4
			l, isNil, err := d.ListLen()
			if err != nil {
				return v, FieldError("Point", "tags", "Tags", "[]string", err)
			}
			if !isNil {
				v.Tags = make([]string, l)
				for j := range v.Tags {
					if v.Tags[j], err = d.String(); err != nil {
						return v, FieldError("Point", "tags", "Tags", "[]string", ElemError(j, err))
					}
				}
			}
		case "label":
			if seen[0]&8 != 0 {
				return v, DuplicateField("Point", "label", "Label", "string")
			}
			seen[0] |= 8
			if v.Label, err = d.String(); err != nil {
				return v, FieldError("Point", "label", "Label", "string", err)
			}
		default:
			return v, UnknownField("Point", k, "x, y, tags, label")
		}
	}
	return v, nil
}

func encBenchPoint(e *Encoder, v benchPoint) {
	n := 3
	if v.Label != "" {
		n++
	}
	e.MapLen(n)
	e.String("x")
	e.Int(v.X)
	e.String("y")
	e.Int(v.Y)
	e.String("tags")
	e.ListLen(len(v.Tags))
	for _, s := range v.Tags {
		e.String(s)
	}
	if v.Label != "" {
		e.String("label")
		e.String(v.Label)
	}
}

// BenchmarkServeEchoPoint is the record round trip of the Python bench row
// `pkg.EchoPoint(pkg.Point(x=1, y=-2, label='p'))`: the request as the binding writes it (the
// fields in declaration order, tags an empty list), Go's decode, the call and the encode.
func BenchmarkServeEchoPoint(b *testing.B) {
	br := New([]Func{{Name: "example.com/bench.EchoPoint", Params: []Param{{"p", "Point"}},
		Call: func(d Decoder, e Encoder) (Encoder, error) {
			p, err := decBenchPoint(&d)
			if err != nil {
				return e, ArgError(0, err)
			}
			encBenchPoint(&e, p)
			return e, nil
		}}}, nil)
	var e Encoder
	e.ListLen(4)
	e.Uint(1)
	e.Uint(0)
	e.Uint(0)
	e.ListLen(1)
	e.MapLen(4)
	e.String("x")
	e.Int(1)
	e.String("y")
	e.Int(-2)
	e.String("tags")
	e.ListLen(0)
	e.String("label")
	e.String("p")
	req := e.Buf
	buf := make([]byte, 0, 64<<10)
	if got := br.Serve(req, buf); len(got) < 2 || got[1] != 0 {
		b.Fatalf("EchoPoint replied % x", got)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(req)))
	for b.Loop() {
		buf = br.Serve(req, buf)
	}
}

// geoPoint is the record of the row (the lead's tests/fixtures/go/bench geo.Point).
type geoPoint struct {
	X, Y float64
	Tag  string
}

// BenchmarkServeScalarEchoPoint is `EchoPoint(Point(X=1.5, Y=-2.0, Tag=...))` in the scalar
// form (docs/abi.md section 8.13): the words as a host writes them, the dispatcher case as the
// generator writes it for a flat record (go/gen scalar_call.go), the Tag copied into Go
// (ArgString) or, where the compiler proves the record is not kept, a view (ArgStringView),
// and written back into the result area (the caller's buffer). Tag "p" is the row (a
// one-byte string: Go's copy needs no allocation); a 16-byte tag shows the copy's cost.
func BenchmarkServeScalarEchoPoint(b *testing.B) {
	for _, view := range []bool{false, true} {
		arg := ArgString
		if view {
			arg = ArgStringView
		}
		br := New([]Func{{Name: "example.com/geo.EchoPoint", Params: []Param{{"p", "Point"}}}}, nil)
		br.SetScalar([]int{0}, []int{4}, func(fn uint64, w *ScalarWords, area []byte) ([]byte, error) {
			switch fn {
			case 0:
				a0_0 := ArgFloat64(w[0])
				a0_1 := ArgFloat64(w[1])
				a0_2, err := arg(w[2], w[3])
				if err != nil {
					return nil, ArgError(0, FieldError("Point", "Tag", "Tag", "string", err))
				}
				a0 := geoPoint{X: a0_0, Y: a0_1, Tag: a0_2}
				r0 := echoGeoPoint(a0)
				area = ResultArea(area)
				w[0] = FloatWord(r0.X)
				w[1] = FloatWord(r0.Y)
				area, w[2], w[3] = ResultString(area, r0.Tag)
				return area, nil
			}
			return nil, ErrNoScalar
		})
		for _, tag := range []string{"p", "sixteen-byte-tag"} {
			name := fmt.Sprintf("copy/%d", len(tag))
			if view {
				name = fmt.Sprintf("view/%d", len(tag))
			}
			b.Run(name, func(b *testing.B) {
				src := []byte(tag)
				var w ScalarWords
				buf := make([]byte, 0, 64<<10)
				b.ReportAllocs()
				for b.Loop() {
					w[0], w[1] = FloatWord(1.5), FloatWord(-2.0)
					w[2], w[3] = wordOf(src), uint64(len(src))
					if st, area := br.ServeScalar(0, &w, 4, buf); st != ScalarCallOK || len(area) != len(tag) {
						b.Fatalf("EchoPoint: %d % x", st, area)
					}
				}
			})
		}
	}
}

//go:noinline
func echoGeoPoint(p geoPoint) geoPoint { return p }
