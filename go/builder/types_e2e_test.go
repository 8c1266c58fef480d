package builder

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/usegolib/usegolib/go/bridge"
)

var level3Dir = filepath.Join("..", "..", "tests", "fixtures", "go", "level3")

// level3Generics are the instantiations the level3 fixture is built with.
var level3Generics = []string{"Keys[string,int64]", "Identity[int64]", "example.com/level3.Identity[example.com/level3.Point]"}

// TestTypesEndToEnd builds tests/fixtures/go/level3 (the wire types, records,
// handles, methods and generics of docs/abi.md section 8), checks its schema,
// and calls the library through the C loader.
func TestTypesEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a c-shared library with go build and gcc; skipped in -short mode")
	}
	start := time.Now()
	res, err := Build(context.Background(), Options{ModuleDir: level3Dir, OutDir: filepath.Join(t.TempDir(), "level3"), Generics: level3Generics})
	if err != nil {
		var ce *CompileError
		if asCompileError(err, &ce) {
			t.Fatalf("%v\n%s", err, ce.Output)
		}
		t.Fatal(err)
	}
	t.Logf("level3 built in %v", time.Since(start).Round(time.Millisecond))
	s := checkLevel3Schema(t, res.Manifest.Schema)
	if runtime.GOOS != "linux" {
		t.Log("the C loader uses dlopen from glibc: call checks skipped")
		return
	}
	l := startLoader(t, filepath.Join(res.Dir, "libusegolib.so"), s)
	level3Calls(t, l)
	hostileCalls(t, l)
}

// l3schema is the part of the schema the checks read.
type l3schema struct {
	Packages []struct {
		Path      string
		Functions []struct {
			ID        int
			Name      string
			Signature string
			Params    []struct{ Name, Go, Type string }
			Results   []struct{ Name, Go, Type string }
			Error     bool
			Receiver  *string
			Var       *string
			Variadic  bool
			Generic   *struct {
				Name     string
				TypeArgs []string `json:"type_args"`
			}
		}
		Skipped []struct{ Name, Signature, Reason string }
	}
	Types map[string]struct {
		Kind, Name, Package, Doc, Go string
		Fields                       *[]struct {
			Name, Key, Go, Type string
			Required, Omitempty bool
			Doc                 string
		}
		Constructor *int
		Methods     *[]int
	}
}

func checkLevel3Schema(t *testing.T, raw []byte) *l3schema {
	t.Helper()
	var s l3schema
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	type fn = struct {
		pkg, sig          string
		params, results   string
		err, variadic     bool
		receiver, varName string
		generic           string
	}
	funcs := map[string]fn{}
	ids := map[string]int{}
	skipped := map[string]string{}
	for _, p := range s.Packages {
		for _, f := range p.Functions {
			var ps, rs []string
			for _, v := range f.Params {
				ps = append(ps, v.Name+" "+v.Go+" "+v.Type)
			}
			for _, v := range f.Results {
				rs = append(rs, v.Go+" "+v.Type)
			}
			x := fn{pkg: p.Path, sig: f.Signature, params: strings.Join(ps, ", "), results: strings.Join(rs, ", "), err: f.Error, variadic: f.Variadic}
			if f.Receiver != nil {
				x.receiver = *f.Receiver
			}
			if f.Var != nil {
				x.varName = *f.Var
			}
			if f.Generic != nil {
				x.generic = f.Generic.Name + " " + strings.Join(f.Generic.TypeArgs, " ")
			}
			funcs[f.Name] = x
			ids[f.Name] = f.ID
		}
		for _, sk := range p.Skipped {
			skipped[sk.Name] = sk.Reason
		}
	}
	for name, want := range map[string]fn{
		"EchoPoint":   {pkg: "example.com/level3", sig: "func EchoPoint(p Point) Point", params: "p Point @example.com/level3.Point", results: "Point @example.com/level3.Point"},
		"Counter.Add": {pkg: "example.com/level3", sig: "func (*Counter) Add(n int64) int64", params: "recv *level3.Counter &example.com/level3.Counter, n int64 int64", results: "int64 int64", receiver: "example.com/level3.Counter"},
		"Counter.Div": {pkg: "example.com/level3", sig: "func (*Counter) Div(by int64) (int64, error)", params: "recv *level3.Counter &example.com/level3.Counter, by int64 int64", results: "int64 int64", err: true, receiver: "example.com/level3.Counter"},
		"Counter.Get": {pkg: "example.com/level3", sig: "func (*Counter) Get() int64", params: "recv *level3.Counter &example.com/level3.Counter", results: "int64 int64", receiver: "example.com/level3.Counter"},
		// Promoted from the embedded Stats.
		"Counter.Reset":   {pkg: "example.com/level3", sig: "func (*Counter) Reset()", params: "recv *level3.Counter &example.com/level3.Counter", receiver: "example.com/level3.Counter"},
		"Counter.__new__": {pkg: "example.com/level3", sig: "func Counter.__new__(fields *Counter) *Counter", params: "fields *Counter *@example.com/level3.Counter", results: "*Counter &example.com/level3.Counter"},
		"Shape.Area":      {pkg: "example.com/level3", sig: "func (Shape) Area() float64", params: "recv level3.Shape &example.com/level3.Shape", results: "float64 float64", receiver: "example.com/level3.Shape"},
		"Default":         {pkg: "example.com/level3", sig: "var Default *Acc", results: "*Acc &example.com/level3.Acc", varName: "Default"},
		"Limits":          {pkg: "example.com/level3", sig: "var Limits Config", results: "*Config &example.com/level3.Config", varName: "Limits"},
		"Origin":          {pkg: "example.com/level3", sig: "var Origin Point", results: "Point @example.com/level3.Point", varName: "Origin"},
		"ErrNotFound":     {pkg: "example.com/level3", sig: "var ErrNotFound error", results: "error error", varName: "ErrNotFound"},
		"Sum":             {pkg: "example.com/level3", sig: "func Sum(xs ...int64) int64", params: "xs ...int64 []int64", results: "int64 int64", variadic: true},
		"Join":            {pkg: "example.com/level3", sig: "func Join(sep string, parts ...string) string", params: "sep string string, parts ...string []string", results: "string string", variadic: true},
		"TotalArea":       {pkg: "example.com/level3", sig: "func TotalArea(shapes ...Shape) float64", params: "shapes ...Shape []&example.com/level3.Shape", results: "float64 float64", variadic: true},
		"Keys[string,int64]": {pkg: "example.com/level3", sig: "func Keys[string,int64](m map[string]int64) []string",
			params: "m map[string]int64 map[string]int64", results: "[]string []string", generic: "Keys string int64"},
		"Identity[example.com/level3.Point]": {pkg: "example.com/level3", sig: "func Identity[example.com/level3.Point](v Point) Point",
			params: "v Point @example.com/level3.Point", results: "Point @example.com/level3.Point", generic: "Identity example.com/level3.Point"},
		"Hash":        {pkg: "example.com/level3", sig: "func Hash(b [16]byte) [16]byte", params: "b [16]byte bytes[16]", results: "[16]byte bytes[16]"},
		"SumTriple":   {pkg: "example.com/level3", sig: "func SumTriple(a [3]int32) int32", params: "a [3]int32 [3]int32", results: "int32 int32"},
		"Deref":       {pkg: "example.com/level3", sig: "func Deref(p *int64) int64", params: "p *int64 *int64", results: "int64 int64"},
		"MapLen":      {pkg: "example.com/level3", sig: "func MapLen(m map[string][]int64) (int, bool)", params: "m map[string][]int64 map[string][]int64", results: "int int64, bool bool"},
		"ByColor":     {pkg: "example.com/level3", sig: "func ByColor(m map[Color]Point) []Color", params: "m map[Color]Point map[string]@example.com/level3.Point", results: "[]Color []string"},
		"Warm":        {pkg: "example.com/level3", sig: "func Warm(c Celsius) Celsius", params: "c Celsius float64", results: "Celsius float64"},
		"MakeIDs":     {pkg: "example.com/level3", sig: "func MakeIDs(n int) IDs", params: "n int int64", results: "IDs []string"},
		"EchoIface":   {pkg: "example.com/level3", sig: "func EchoIface(v interface{}) interface{}", params: "v interface{} any", results: "interface{} any"},
		"AddHour":     {pkg: "example.com/level3", sig: "func AddHour(t time.Time) time.Time", params: "t time.Time time", results: "time.Time time"},
		"Double":      {pkg: "example.com/level3", sig: "func Double(d time.Duration) time.Duration", params: "d time.Duration duration", results: "time.Duration duration"},
		"Errors":      {pkg: "example.com/level3", sig: "func Errors() []error", results: "[]error []error"},
		"ErrAndInt":   {pkg: "example.com/level3", sig: "func ErrAndInt(fail bool) (error, int)", params: "fail bool bool", results: "error error, int int64"},
		"MaybePoint":  {pkg: "example.com/level3", sig: "func MaybePoint(ok bool) *Point", params: "ok bool bool", results: "*Point *@example.com/level3.Point"},
		"TakeCounter": {pkg: "example.com/level3", sig: "func TakeCounter(c *Counter) int64", params: "c *Counter &example.com/level3.Counter", results: "int64 int64"},
		"Locate": {pkg: "example.com/level3", sig: "func Locate(c example.com/level3/geo.Coord) example.com/level3/geo.Coord",
			params: "c example.com/level3/geo.Coord @example.com/level3/geo.Coord", results: "example.com/level3/geo.Coord @example.com/level3/geo.Coord"},
		"Distance": {pkg: "example.com/level3/geo", sig: "func Distance(a Coord, b Coord) float64", params: "a Coord @example.com/level3/geo.Coord, b Coord @example.com/level3/geo.Coord", results: "float64 float64"},
	} {
		got, ok := funcs[name]
		if !ok {
			t.Errorf("%s is not in the schema (skipped: %q)", name, skipped[name])
			continue
		}
		if got != want {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, want)
		}
	}
	// Everything of the fixture is supported but the generic function no
	// instantiation was asked for.
	if want := map[string]string{"Swap": "generic function: no instantiation requested (ask for one with generics=[\"Swap[A,B]\"], its type parameters replaced by Go types, e.g. generics=[\"Swap[int64,int64]\"]; --generic on the command line)"}; !reflect.DeepEqual(skipped, want) {
		t.Errorf("skipped = %v, want %v", skipped, want)
	}
	// 85, the 23 of fuzz_echo.go, those of hostile.go, and 24 of docs/adr/0019: the field
	// accessors of Acc.Total, Config.Max, Config.Name, Counter.Calls, Counter.Count,
	// Counter.Name, Square.Side and Stats.Calls (16), and the 8 methods of Counter's record form
	// (Counter.Snapshot returns a Counter by value).
	if want := 85 + 23 + len(hostileFuncs) + 24; len(funcs) != want {
		t.Errorf("%d entries, want %d", len(funcs), want)
	}
	for _, name := range hostileFuncs {
		if _, ok := funcs[name]; !ok {
			t.Errorf("%s (hostile.go) is not in the schema (skipped: %q)", name, skipped[name])
		}
	}

	// Types.
	var keys []string
	for k := range s.Types {
		keys = append(keys, k)
	}
	// Base, Extra, Meta, Plain and Tagged are only embedded in Item: records the package
	// declares are in the schema all the same (docs/abi.md section 8.6).
	if got, want := strings.Join(sorted(keys), " "), "example.com/level3.Acc example.com/level3.Base example.com/level3.Box example.com/level3.Chain example.com/level3.Config "+
		"example.com/level3.Counter example.com/level3.Extra example.com/level3.Graph example.com/level3.Item "+
		"example.com/level3.Line example.com/level3.Meta example.com/level3.Node example.com/level3.Opaque example.com/level3.Plain example.com/level3.Point example.com/level3.Polygon "+
		"example.com/level3.Shape example.com/level3.Square example.com/level3.Stats example.com/level3.Tagged example.com/level3.Token example.com/level3.Tree "+
		"example.com/level3/geo.Coord example.com/level3/geo.Grid"; got != want {
		t.Errorf("types:\n got %s\nwant %s", got, want)
	}
	fields := func(key string) string {
		f := s.Types[key].Fields
		if f == nil {
			return "<none>"
		}
		var out []string
		for _, f := range *f {
			out = append(out, fmt.Sprintf("%s/%s/%s/%s/%v/%v", f.Name, f.Key, f.Go, f.Type, f.Required, f.Omitempty))
		}
		return strings.Join(out, " ")
	}
	for key, want := range map[string]string{
		// No field is required: a field left out is its zero value (docs/abi.md section 8.2).
		"example.com/level3.Point": "X/x/int/int64/false/false Y/y/int/int64/false/false Tags/tags/[]string/[]string/false/false Label/label/string/string/false/true",
		// Base.Name and Meta.Name cancel out; Tagged.Kind beats Plain.Kind; Extra is an embedded pointer.
		"example.com/level3.Item":    "ID/id/int64/int64/false/false Version/version/int/int64/false/false Note/note/string/string/false/false Kind/Kind/string/string/false/false Price/price/float64/float64/false/false Owner/owner/string/string/false/true",
		"example.com/level3.Node":    "Value/value/int/int64/false/false Next/next/*Node/*@example.com/level3.Node/false/false",
		"example.com/level3.Polygon": "Points/points/[]Point/[]@example.com/level3.Point/false/false ByName/by_name/map[string]Point/map[string]@example.com/level3.Point/false/false Center/center/*Point/*@example.com/level3.Point/false/false Extras/extras/map[string]string/map[string]string/false/true",
		// A handle type's fields are the constructor's input: all optional.
		"example.com/level3.Counter": "Name/name/string/string/false/false Count/count/int64/int64/false/false Calls/calls/int64/int64/false/false",
		"example.com/level3.Opaque":  "",
		"example.com/level3.Shape":   "<none>",
	} {
		if got := fields(key); got != want {
			t.Errorf("%s fields:\n got %s\nwant %s", key, got, want)
		}
	}
	if d := (*s.Types["example.com/level3.Point"].Fields)[0].Doc; d != "the x coordinate" {
		t.Errorf("Point.X doc %q", d)
	}
	counter := s.Types["example.com/level3.Counter"]
	if counter.Kind != "handle" || counter.Go != "*level3.Counter" || counter.Constructor == nil || *counter.Constructor != ids["Counter.__new__"] {
		t.Errorf("Counter: %+v", counter)
	}
	var wantMethods []int
	for _, m := range []string{"Add", "AddAll", "Both", "Calls.__get__", "Calls.__set__", "Count.__get__", "Count.__set__", "Div", "Get", "Inc",
		"Name.__get__", "Name.__set__", "Reset", "Snapshot"} {
		wantMethods = append(wantMethods, ids["Counter."+m])
	}
	if counter.Methods == nil || !reflect.DeepEqual(*counter.Methods, wantMethods) {
		t.Errorf("Counter methods %v, want %v", counter.Methods, wantMethods)
	}
	shape := s.Types["example.com/level3.Shape"]
	if shape.Kind != "handle" || shape.Go != "level3.Shape" || shape.Constructor != nil || shape.Methods == nil || len(*shape.Methods) != 2 {
		t.Errorf("Shape: %+v", shape)
	}
	if p := s.Types["example.com/level3.Point"]; p.Kind != "record" || p.Methods != nil || p.Constructor != nil || p.Doc == "" {
		t.Errorf("Point: %+v", p)
	}
	return &s
}

// loader drives testdata/callso.c line by line.
type loader struct {
	t   *testing.T
	in  io.Writer
	out *bufio.Reader
	ids map[string]int

	started bool
}

func startLoader(t *testing.T, lib string, s *l3schema) *loader {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "callso")
	if out, err := exec.Command("gcc", "-O1", "-o", bin, filepath.Join("testdata", "callso.c"), "-ldl").CombinedOutput(); err != nil {
		t.Fatalf("compiling the C loader: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, lib)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		in.Close()
		cmd.Wait()
	})
	l := &loader{t: t, in: in, out: bufio.NewReaderSize(out, 1<<20), ids: map[string]int{}}
	for _, p := range s.Packages {
		for _, f := range p.Functions {
			l.ids[strings.TrimPrefix(p.Path, "example.com/level3")+f.Name] = f.ID
		}
	}
	return l
}

// raw sends a request and returns the reply bytes.
func (l *loader) raw(req []byte) []byte {
	l.t.Helper()
	fmt.Fprintf(l.in, "256 %x\n", req)
	if !l.started { // callso flushes its abi and schema lines with the first reply
		for i := 0; i < 2; i++ {
			if _, err := l.out.ReadString('\n'); err != nil {
				l.t.Fatal(err)
			}
		}
		l.started = true
	}
	line, err := l.out.ReadString('\n')
	if err != nil {
		l.t.Fatal(err)
	}
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != "0" {
		l.t.Fatalf("loader line %q", line)
	}
	b, err := hex.DecodeString(f[2])
	if err != nil {
		l.t.Fatal(err)
	}
	return b
}

// request encodes [1, op, target, args] with Encoder.Value.
func request(op uint64, target any, args ...any) []byte {
	req, err := bridge.EncodeRequest(1, op, target, args...)
	if err != nil {
		panic(err)
	}
	return req
}

// reply is a decoded reply.
type reply struct {
	ok     any
	kind   string
	detail map[string]any
	msg    string
	raw    []byte
}

func (r reply) String() string {
	if r.kind != "" {
		return fmt.Sprintf("error %s: %s %v", r.kind, r.msg, r.detail)
	}
	return fmt.Sprintf("ok %#v", r.ok)
}

func (l *loader) decode(b []byte) reply {
	l.t.Helper()
	v, err := bridge.NewDecoder(b).Value()
	if err != nil {
		l.t.Fatalf("reply % x: %v", b, err)
	}
	r := v.([]any)
	if r[0] == int64(0) {
		return reply{ok: r[1], raw: b}
	}
	m := r[1].(map[string]any)
	return reply{kind: m["kind"].(string), msg: m["message"].(string), detail: m["detail"].(map[string]any), raw: b}
}

// call calls the entry name (relative to example.com/level3) by id.
func (l *loader) call(name string, args ...any) reply {
	l.t.Helper()
	id, ok := l.ids[name]
	if !ok {
		l.t.Fatalf("no entry %s", name)
	}
	return l.decode(l.raw(request(0, uint64(id), args...)))
}

// ok calls name and checks that it succeeds with a value that prints as want.
func (l *loader) ok(want string, name string, args ...any) any {
	l.t.Helper()
	r := l.call(name, args...)
	if r.kind != "" || fmt.Sprint(r.ok) != want {
		l.t.Errorf("%s%v = %v, want ok %s", name, args, r, want)
	}
	return r.ok
}

// fails calls name and checks the error kind and that the message holds each of contains.
func (l *loader) fails(kind string, contains []string, name string, args ...any) {
	l.t.Helper()
	r := l.call(name, args...)
	if r.kind != kind {
		l.t.Errorf("%s%v = %v, want %s", name, args, r, kind)
		return
	}
	for _, c := range contains {
		if !strings.Contains(r.msg, c) {
			l.t.Errorf("%s%v: message %q does not contain %q", name, args, r.msg, c)
		}
	}
}

func (l *loader) handle(name string, args ...any) bridge.HandleID {
	l.t.Helper()
	r := l.call(name, args...)
	h, ok := r.ok.(bridge.HandleID)
	if !ok {
		l.t.Fatalf("%s%v = %v, want a handle", name, args, r)
	}
	return h
}

func level3Calls(t *testing.T, l *loader) {
	type m = map[string]any
	type list = []any
	point := m{"x": int64(1), "y": int64(2), "tags": list{"a"}, "label": "p"}

	// Records. EchoPoint's reply is the frozen vector l3_record_point.
	r := l.call("EchoPoint", point)
	vec, err := os.ReadFile(filepath.Join("..", "..", "tests", "fixtures", "abi", "l3_record_point.msgpack"))
	if err != nil {
		t.Fatal(err)
	}
	if want := append([]byte{0x92, 0x00}, vec...); !bytes.Equal(r.raw, want) {
		t.Errorf("EchoPoint reply % x, want % x", r.raw, want)
	}
	l.ok("map[tags:[] x:1 y:2]", "MakePoint", 1, 2, nil, "")
	l.ok("map[tags:[] x:1 y:0]", "EchoPoint", m{"x": 1}) // Point{X: 1}: the others are zero
	l.fails("bad_argument", []string{`struct Point: unknown field "Skip"`}, "EchoPoint", m{"x": 1, "y": 2, "Skip": "s"})
	l.fails("bad_argument", []string{"struct Point: field x (X int): expected int64, got string"}, "EchoPoint", m{"x": "1", "y": 2})
	l.fails("bad_argument", []string{"struct Point: expected map, got nil"}, "EchoPoint", nil)
	dup := []byte{0x94, 1, 0, byte(l.ids["EchoPoint"]), 0x91, 0x83, 0xa1, 'x', 1, 0xa1, 'y', 2, 0xa1, 'x', 3}
	if r := l.decode(l.raw(dup)); r.kind != "bad_argument" || !strings.Contains(r.msg, `struct Point: field "x" (X int) given twice`) {
		t.Errorf("duplicate field: %v", r)
	}
	item := m{"id": 1, "version": 2, "note": "n", "Kind": "k", "price": 1.5}
	l.ok("map[Kind:k id:1 note:n price:1.5 version:2]", "EchoItem", item)
	l.ok("n", "ItemNote", item)
	delete(item, "note")
	l.ok("map[Kind:k id:1 price:1.5 version:2]", "EchoItem", item)
	l.ok("<nil>", "ItemNote", item)
	l.fails("bad_argument", []string{`unknown field "Name"`}, "EchoItem", m{"id": 1, "version": 2, "Kind": "k", "price": 1, "Name": "cancelled"})
	l.ok("map[a:map[tags:[] x:1 y:0] b:map[tags:[] x:2 y:0] color:<nil>]", "MakeLine", m{"x": 1, "y": 0}, m{"x": 2, "y": 0})
	poly := m{"points": list{point}, "by_name": m{"p": point}, "center": point, "extras": m{"k": "v"}}
	l.ok(fmt.Sprint(poly), "EchoPolygon", poly)
	l.ok("map[by_name:map[] center:<nil> points:[]]", "EchoPolygon", m{})
	l.ok("[map[tags:[] x:0 y:0] map[tags:[] x:1 y:-1]]", "Points", 2)
	l.ok("map[p:map[label:p tags:[a] x:1 y:2]]", "PointsByName", list{point})
	l.ok("<nil>", "MaybePoint", false)
	l.ok("map[tags:[p] x:1 y:2]", "MaybePoint", true)
	l.ok("-1", "PointX", nil)
	l.ok("1", "PointX", point)
	list3 := l.ok("map[next:map[next:map[next:<nil> value:1] value:2] value:3]", "MakeList", 3)
	l.ok("6", "ListSum", list3)
	l.ok("map[lat:2 lon:3]", "Locate", m{"lat": 1, "lon": 2})
	l.ok("5", "/geoDistance", m{"lat": 0, "lon": 0}, m{"lat": 3, "lon": 4})

	// Handles and methods.
	c := l.handle("NewCounter", "c")
	l.ok("5", "Counter.Add", c, 5)
	l.ok("5", "Counter.Get", c) // a value receiver
	inc := l.handle("Counter.Inc", c)
	if inc == c {
		t.Errorf("Counter.Inc returned the same handle id %d: ids are never reused", c)
	}
	l.ok("6", "TakeCounter", inc)
	l.ok("-1", "TakeCounter", nil)
	l.ok("[c 6]", "Counter.Both", c)
	l.fails("go_error", []string{"division by zero"}, "Counter.Div", c, 0)
	l.ok("3", "Counter.Div", c, 2)
	l.ok("9", "Counter.AddAll", c, list{1, 2})
	l.ok("map[calls:1 count:9 name:c]", "Counter.Snapshot", c)
	l.ok("<nil>", "Counter.Reset", c) // promoted from Stats
	l.ok("map[calls:0 count:9 name:c]", "Counter.Snapshot", c)
	l.fails("bad_argument", []string{"the receiver must be a handle to a *level3.Counter, got nil"}, "Counter.Get", nil)
	l.ok("0", "Counter.Get", l.handle("Counter.__new__", nil))
	l.ok("3", "Counter.Get", l.handle("Counter.__new__", m{"count": 3}))
	l.ok("map[calls:0 count:0 name:x]", "Counter.Snapshot", l.handle("Counter.__new__", m{"name": "x"}))
	l.fails("bad_argument", []string{`struct Counter: unknown field "nope"`}, "Counter.__new__", m{"nope": 1})

	// Release: op 2.
	if r := l.decode(l.raw(request(2, uint64(c)))); r.kind != "" || r.ok != nil {
		t.Errorf("release: %v", r)
	}
	if r := l.decode(l.raw(request(2, uint64(c)))); r.kind != "unknown_handle" || fmt.Sprint(r.detail["id"]) != fmt.Sprint(uint64(c)) {
		t.Errorf("second release: %v", r)
	}
	l.fails("bad_argument", []string{fmt.Sprintf("unknown or released handle %d", c)}, "Counter.Get", c)
	l.fails("bad_argument", []string{"unknown or released handle"}, "TakeCounter", bridge.HandleID(1<<40))
	l.ok("9", "Counter.Get", inc) // the same Go value (Inc returns its receiver), still held by another handle

	o := l.handle("NewOpaque", 7)
	l.ok("7", "Opaque.Secret", o)
	l.fails("bad_argument", []string{fmt.Sprintf("handle %d holds a *level3.Opaque, not a *level3.Counter", o)}, "TakeCounter", o)
	l.fails("bad_argument", []string{"expected handle, got int"}, "TakeCounter", 3)

	sq := l.handle("NewSquare", 2)
	ci := l.handle("NewCircle", 1)
	l.ok("4", "Shape.Area", sq)
	l.ok("square", "Shape.Kind", sq)
	l.ok("circle", "Shape.Kind", ci)
	l.ok("7", "TotalArea", list{sq, ci})
	l.ok("0", "TotalArea", list{})
	l.ok("<nil>", "NoShape")
	l.fails("bad_argument", []string{fmt.Sprintf("handle %d holds a *level3.Opaque, not a level3.Shape", o)}, "Shape.Area", o)

	// Package variables.
	l.ok("5", "Acc.Add", l.handle("Default"), 5)
	l.ok("12", "Acc.Add", l.handle("Default"), 7) // the same variable
	l.ok("<nil>", "Config.SetMax", l.handle("Limits"), 99)
	l.ok("99", "Config.GetMax", l.handle("Limits")) // methods act on the variable itself
	l.ok("map[tags:[] x:0 y:0]", "Origin")
	l.ok("3.0", "Version")
	l.ok("[not found *errors.errorString]", "ErrNotFound")
	l.ok("1", "Shape.Area", l.handle("UnitSquare"))

	// Named types, arrays, pointers, maps.
	l.ok("30", "Warm", 20.0)
	l.ok("[id0 id1]", "MakeIDs", 2)
	l.ok("b", "FirstID", list{"b", "c"})
	h := make([]byte, 16)
	h[15] = 9
	want := make([]byte, 16)
	for i := range want {
		want[i] = 1
	}
	want[15] = 10
	if r := l.call("Hash", h); !bytes.Equal(r.ok.([]byte), want) {
		t.Errorf("Hash: %v", r)
	}
	l.fails("bad_argument", []string{"expected 16 bytes, got 15"}, "Hash", make([]byte, 15))
	l.ok("6", "SumTriple", list{1, 2, 3})
	l.fails("bad_argument", []string{"expected 3 elements, got 2"}, "SumTriple", list{1, 2})
	l.fails("bad_argument", []string{"element 1: value 4294967296 is out of range for int32"}, "SumTriple", list{1, int64(1) << 32, 3})
	l.ok("[2 4 6]", "Triple", 2)
	l.ok("-1", "Deref", nil)
	l.ok("5", "Deref", 5)
	l.ok("<nil>", "Ptr", 0)
	l.ok("3", "Ptr", 3)
	r = l.call("CountWords", list{"b", "a", "b"})
	if want := []byte{0x92, 0, 0x82, 0xa1, 'a', 1, 0xa1, 'b', 2}; !bytes.Equal(r.raw, want) {
		t.Errorf("CountWords reply % x, want % x (keys in byte-wise order)", r.raw, want)
	}
	if r := l.call("NilMap"); !bytes.Equal(r.raw, []byte{0x92, 0, 0x80}) {
		t.Errorf("NilMap reply % x, want 92 00 80", r.raw)
	}
	l.ok("[0 true]", "MapLen", nil)
	l.ok("[0 false]", "MapLen", m{})
	l.ok("[1 false]", "MapLen", m{"k": list{1}})
	dupMap := []byte{0x94, 1, 0, byte(l.ids["MapLen"]), 0x91, 0x82, 0xa1, 'k', 0x90, 0xa1, 'k', 0x90}
	if r := l.decode(l.raw(dupMap)); r.kind != "bad_argument" || !strings.Contains(r.msg, `duplicate map key "k"`) {
		t.Errorf("duplicate map key: %v", r)
	}
	l.ok("[blue red]", "ByColor", m{"red": point, "blue": point})

	// any.
	for _, c := range []struct {
		v    any
		want string
	}{
		{1, "int"}, {int64(-1), "int"}, {uint64(1) << 63, "uint64"}, {1.5, "float64"}, {float32(1.5), "float32"},
		{"s", "string"}, {[]byte("b"), "[]uint8"}, {list{1}, "[]interface {}"}, {m{"a": 1}, "map[string]interface {}"},
		{nil, "<nil>"}, {true, "bool"},
	} {
		l.ok(c.want, "Describe", c.v)
	}
	// A handle inside any gives Go the value it holds (docs/abi.md section 8.9).
	l.fails("bad_argument", []string{"unknown or released handle 1"}, "Describe", bridge.HandleID(1))
	l.ok("map[k:[1 x <nil>]]", "EchoAny", m{"k": list{1, "x", nil}})
	l.ok("[a]", "EchoIface", list{"a"})
	// Token has a hidden field: inside any, it and a pointer to it are Go objects (ext 7 with the
	// type key and a fresh id), never maps without that field (docs/abi.md section 8.9).
	raw := l.raw(request(0, uint64(l.ids["AnyValues"])))
	object := []byte("\x07\x00\x00\x00\x00\x00\x00\x00")
	prefix := []byte{0x92, 0, 0x97, 0xfd, 0xcc, 0xc8, 0x92, 1, 2, 0x81, 0xa1, 't', 0xc3}
	key := "example.com/level3.Token"
	if !bytes.HasPrefix(raw, prefix) || !bytes.HasSuffix(raw, []byte{0xc0}) ||
		bytes.Count(raw, []byte(key)) != 2 || bytes.Count(raw, object) != 2 || len(raw) != len(prefix)+2*(3+8+len(key))+1 {
		t.Errorf("AnyValues reply % x, want two Go objects of %s", raw, key)
	}
	l.fails("bad_result", []string{"example.com/level3.AnyChan: result 0 cannot be encoded: cannot encode chan int inside any"}, "AnyChan")

	// time.
	vecTime, err := os.ReadFile(filepath.Join("..", "..", "tests", "fixtures", "abi", "l3_time.msgpack"))
	if err != nil {
		t.Fatal(err)
	}
	r = l.call("AddHour", list{int64(1795576455 - 3600), 123, 3600})
	if want := append([]byte{0x92, 0}, vecTime...); !bytes.Equal(r.raw, want) {
		t.Errorf("AddHour reply % x, want % x", r.raw, want)
	}
	l.ok("-18000", "Zone", list{0, 0, -18000})
	l.ok("0", "Zone", list{0, 0, 0})
	l.ok("[5 0 0]", "Unix", 5)
	l.fails("bad_argument", []string{"time nanoseconds: value 1000000000 is out of range"}, "Zone", list{0, 1000000000, 0})
	l.fails("bad_argument", []string{"expected time [unix_seconds, nanoseconds, utc_offset_seconds], got 2 elements"}, "Zone", list{0, 0})
	l.ok("3000", "Double", 1500)

	// Error values.
	l.ok("[<nil> [boom *errors.errorString]]", "Errors")
	l.ok("[[not found *errors.errorString] 1]", "ErrAndInt", true)
	l.ok("[<nil> 0]", "ErrAndInt", false)

	// Variadic and generic functions.
	l.ok("6", "Sum", list{1, 2, 3})
	l.ok("0", "Sum", list{})
	l.ok("0", "Sum", nil)
	l.ok("a-b", "Join", "-", list{"a", "b"})
	l.ok("[a b]", "Keys[string,int64]", m{"b": 1, "a": 2})
	l.ok("5", "Identity[int64]", 5)
	l.ok(fmt.Sprint(point), "Identity[example.com/level3.Point]", point)
	if r := l.decode(l.raw(request(0, "example.com/level3.Identity[int64]", 8))); fmt.Sprint(r.ok) != "8" {
		t.Errorf("Identity[int64] by name: %v", r)
	}
	if r := l.decode(l.raw(request(0, "example.com/level3.Swap", 1, 2))); r.kind != "skipped_symbol" {
		t.Errorf("Swap: %v", r)
	}
	if r := l.decode(l.raw(request(0, "example.com/level3.Counter.Get", inc))); fmt.Sprint(r.ok) != "9" {
		t.Errorf("Counter.Get by name: %v", r)
	}
}
