package bridge

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
)

// The Level 2 and 3 wire types of docs/abi.md section 8.1 that need more than the Level-1
// methods: fixed-size byte arrays, map keys, time.Time, error values and `any` results.

// BytesN reads a bin of exactly len(dst) bytes into dst (a Go [N]byte). nil, a str and a bin
// of another length are errors.
func (d *Decoder) BytesN(dst []byte) error {
	if d.off < len(d.buf) && d.buf[d.off] == mNil {
		return fmt.Errorf("expected %d bytes, got nil", len(dst))
	}
	b, err := d.rawBin()
	if err != nil {
		return err
	}
	if len(b) != len(dst) {
		return fmt.Errorf("expected %d bytes, got %d", len(dst), len(b))
	}
	copy(dst, b)
	return nil
}

// rawBin reads a bin and returns its payload without copying.
func (d *Decoder) rawBin() ([]byte, error) {
	if d.off >= len(d.buf) {
		return nil, errEOF
	}
	size := 0
	switch d.buf[d.off] {
	case mBin8:
		size = 1
	case mBin16:
		size = 2
	case mBin32:
		size = 4
	default:
		return nil, d.mismatch("bytes")
	}
	hdr, n, err := d.length(-1, size)
	if err != nil {
		return nil, err
	}
	return d.take(hdr, n)
}

// Key reads a str (a map key or a record field key) and returns its bytes without copying:
// they are valid until the call returns, and must be copied (string(k)) to be kept.
func (d *Decoder) Key() ([]byte, error) { return d.rawStr() }

// ArrayLen reads an array header of exactly n elements (a Go [n]T); nil and any other length
// are errors.
func (d *Decoder) ArrayLen(n int) error {
	if d.off < len(d.buf) && d.buf[d.off] == mNil {
		return fmt.Errorf("expected %d elements, got nil", n)
	}
	got, _, err := d.ListLen()
	if err != nil {
		return err
	}
	if got != n {
		return fmt.Errorf("expected %d elements, got %d", n, got)
	}
	return nil
}

// Time reads a time.Time: [unix_seconds int, nanoseconds 0..999999999, utc_offset_seconds].
// The result is in a fixed zone with that offset (time.UTC for offset 0): zone names do not
// travel.
func (d *Decoder) Time() (time.Time, error) {
	n, isNil, err := d.ListLen()
	if err != nil {
		return time.Time{}, err
	}
	if isNil || n != 3 {
		what := "nil"
		if !isNil {
			what = fmt.Sprintf("%d elements", n)
		}
		return time.Time{}, fmt.Errorf("expected time [unix_seconds, nanoseconds, utc_offset_seconds], got %s", what)
	}
	sec, err := d.Int(64)
	if err != nil {
		return time.Time{}, fmt.Errorf("time seconds: %w", err)
	}
	nsec, err := d.Uint(64)
	if err != nil {
		return time.Time{}, fmt.Errorf("time nanoseconds: %w", err)
	}
	if nsec > 999_999_999 {
		return time.Time{}, fmt.Errorf("time nanoseconds: value %d is out of range [0, 999999999]", nsec)
	}
	off, err := d.Int(32)
	if err != nil {
		return time.Time{}, fmt.Errorf("time offset: %w", err)
	}
	t := time.Unix(sec, int64(nsec))
	if off == 0 {
		return t.In(time.UTC), nil
	}
	return t.In(time.FixedZone("", int(off))), nil
}

// Time writes t as [unix_seconds, nanoseconds, utc_offset_seconds]; the monotonic clock
// reading and the zone name are dropped.
func (e *Encoder) Time(t time.Time) {
	_, off := t.Zone()
	e.ListLen(3)
	e.Int(t.Unix())
	e.Uint(uint64(t.Nanosecond()))
	e.Int(int64(off))
}

// ErrorValue writes an error value that is not a function's trailing error: nil, or
// [err.Error(), the dynamic Go type (%T)].
func (e *Encoder) ErrorValue(err error) {
	if err == nil {
		e.Nil()
		return
	}
	e.ListLen(2)
	e.String(err.Error())
	e.String(fmt.Sprintf("%T", err))
}

// TimeAt is Time for a value at depth depth of the reply (the reply array being depth 1): it
// returns TooDeep instead of writing the time's array deeper than MaxDepth.
func (e *Encoder) TimeAt(t time.Time, depth int) error {
	if depth > MaxDepth {
		return TooDeep()
	}
	e.Time(t)
	return nil
}

// ErrorValueAt is ErrorValue for a value at depth depth of the reply: a non-nil error is an
// array, which must not open deeper than MaxDepth.
func (e *Encoder) ErrorValueAt(err error, depth int) error {
	if err != nil && depth > MaxDepth {
		return TooDeep()
	}
	e.ErrorValue(err)
	return nil
}

// ResultError reports that result index (0-based) could not be encoded: an `any` result holding
// a value the wire cannot carry (a channel, a function, ...), or a value nested deeper than
// MaxDepth (a cycle). The generated Call adapters return it; Serve turns it into a bad_result
// reply.
func ResultError(index int, err error) error { return &resultError{index: index, err: err} }

type resultError struct {
	index int
	err   error
}

func (e *resultError) Error() string { return fmt.Sprintf("result %d: %v", e.index, e.err) }
func (e *resultError) Unwrap() error { return e.err }

// resultFailure is the bad_result reply for a ResultError of fn.
func resultFailure(fn *Func, x *resultError) *failure {
	reason := fmt.Sprint(x.err)
	return &failure{
		kind:    "bad_result",
		message: fmt.Sprintf("%s: result %d cannot be encoded: %s", fn.Name, x.index, reason),
		detail:  []field{{"index", x.index}, {"reason", reason}},
	}
}

// Any writes v, the value of an `any` result or field at depth depth of the reply (the reply
// array is depth 1, a single result depth 2), generically: nil, bool, every integer, float,
// string and []byte type (named ones too), time.Time, slices and arrays (of bytes: bin), maps
// with string keys (keys in byte-wise order), pointers and interfaces (as the value they point
// to; nil as nil) and structs (as records, keyed as docs/abi.md section 8.2 says). A channel,
// function, complex number, unsafe.Pointer, uintptr or a map with other keys is an error, and
// so is a container that would open deeper than MaxDepth (a cyclic value is one), and a chain
// of more than MaxDepth pointers or interfaces with no container between them. The error says
// where in v (see AtField); Buf then holds partial output, which the caller discards.
func (e *Encoder) Any(v any, depth int) error {
	switch x := v.(type) { // the values Decoder.Any produces, without reflection
	case nil:
		e.Nil()
		return nil
	case bool:
		e.Bool(x)
		return nil
	case int64:
		e.Int(x)
		return nil
	case int:
		e.Int(int64(x))
		return nil
	case uint64:
		e.Uint(x)
		return nil
	case float64:
		e.Float64(x)
		return nil
	case float32:
		e.Float32(x)
		return nil
	case string:
		e.String(x)
		return nil
	case []byte:
		e.Bytes(x)
		return nil
	case HandleID:
		return fmt.Errorf("a handle cannot travel inside any")
	}
	return e.anyValue(reflect.ValueOf(v), depth, 0)
}

var timeType = reflect.TypeFor[time.Time]()

// anyValue writes v, which sits at depth depth of the reply; hops counts the pointers and
// interfaces followed since the last container.
func (e *Encoder) anyValue(v reflect.Value, depth, hops int) error {
	switch v.Kind() {
	case reflect.Invalid:
		e.Nil()
	case reflect.Bool:
		e.Bool(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.Int(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		e.Uint(v.Uint())
	case reflect.Float32:
		e.Float32(float32(v.Float()))
	case reflect.Float64:
		e.Float64(v.Float())
	case reflect.String:
		e.String(v.String())
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			e.Bytes(v.Bytes())
			return nil
		}
		return e.anyList(v, depth)
	case reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			b := make([]byte, v.Len())
			reflect.Copy(reflect.ValueOf(b), v)
			e.Bytes(b)
			return nil
		}
		return e.anyList(v, depth)
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return fmt.Errorf("cannot encode %s inside any: map keys must be strings", v.Type())
		}
		if depth > MaxDepth {
			return TooDeep()
		}
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		e.MapLen(len(keys))
		for _, k := range keys {
			e.String(k.String())
			if err := e.anyValue(v.MapIndex(k), depth+1, 0); err != nil {
				return atValue(v, pathStep{kind: stepKey, name: k.String()}, err)
			}
		}
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			e.Nil()
			return nil
		}
		if hops >= MaxDepth {
			return fmt.Errorf("more than %d pointers or interfaces in a row (a cycle?)", MaxDepth)
		}
		err := e.anyValue(v.Elem(), depth, hops+1)
		if err != nil && v.Kind() == reflect.Pointer {
			return atValue(v, pathStep{kind: stepVia}, err)
		}
		return err
	case reflect.Struct:
		if v.Type() == timeType {
			return e.TimeAt(v.Interface().(time.Time), depth)
		}
		return e.anyStruct(v, depth)
	default:
		return fmt.Errorf("cannot encode %s inside any", v.Type())
	}
	return nil
}

func (e *Encoder) anyList(v reflect.Value, depth int) error {
	if depth > MaxDepth {
		return TooDeep()
	}
	n := v.Len()
	e.ListLen(n)
	for i := 0; i < n; i++ {
		if err := e.anyValue(v.Index(i), depth+1, 0); err != nil {
			if v.Kind() == reflect.Slice {
				return atValue(v, pathStep{kind: stepIndex, index: i}, err)
			}
			return AtIndex(i, err) // an array: no address to record
		}
	}
	return nil
}

func (e *Encoder) anyStruct(v reflect.Value, depth int) error {
	if depth > MaxDepth {
		return TooDeep()
	}
	fields := recordFields(v.Type())
	type kv struct {
		f *recField
		v reflect.Value
	}
	out := make([]kv, 0, len(fields))
	for i := range fields {
		f := &fields[i]
		fv, ok := fieldByIndex(v, f.index)
		if !ok || (f.omitEmpty && isEmptyValue(fv)) {
			continue
		}
		out = append(out, kv{f, fv})
	}
	e.MapLen(len(out))
	for _, x := range out {
		e.String(x.f.key)
		if err := e.anyValue(x.v, depth+1, 0); err != nil {
			return AtField(x.f.goName, err)
		}
	}
	return nil
}

// fieldByIndex is v.FieldByIndex that reports false, instead of panicking, when the path
// crosses a nil embedded pointer.
func fieldByIndex(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}

func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}

// recField is one field of a struct written as a record by Any.
type recField struct {
	key       string
	goName    string // the Go field name, for error paths
	index     []int
	omitEmpty bool
}

var recordCache sync.Map // reflect.Type -> []recField

// recordFields lists the record fields of struct type t with the rules of docs/abi.md section
// 8.2 (those of encoding/json, with the msgpack tag first). The generator applies the same
// rules at build time for declared record types; this is for values inside `any`.
func recordFields(t reflect.Type) []recField {
	if f, ok := recordCache.Load(t); ok {
		return f.([]recField)
	}
	type cand struct {
		recField
		name   string // the key
		tagged bool
	}
	type level struct {
		typ   reflect.Type
		index []int
	}
	var fields []cand
	current, next := []level{}, []level{{typ: t}}
	count, nextCount := map[reflect.Type]int{}, map[reflect.Type]int{}
	visited := map[reflect.Type]bool{}
	for len(next) > 0 {
		current, next = next, current[:0]
		count, nextCount = nextCount, map[reflect.Type]int{}
		for _, f := range current {
			if visited[f.typ] {
				continue
			}
			visited[f.typ] = true
			for i := 0; i < f.typ.NumField(); i++ {
				sf := f.typ.Field(i)
				if sf.Anonymous {
					ft := sf.Type
					if ft.Kind() == reflect.Pointer {
						ft = ft.Elem()
					}
					if !sf.IsExported() && ft.Kind() != reflect.Struct {
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				name, omit, drop := FieldTag(string(sf.Tag))
				if drop {
					continue
				}
				index := append(append([]int(nil), f.index...), i)
				ft := sf.Type
				if ft.Name() == "" && ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if name != "" || !sf.Anonymous || ft.Kind() != reflect.Struct {
					tagged := name != ""
					if name == "" {
						name = sf.Name
					}
					c := cand{recField{name, sf.Name, index, omit}, name, tagged}
					fields = append(fields, c)
					if count[f.typ] > 1 {
						fields = append(fields, c) // a duplicate, so that both copies cancel
					}
					continue
				}
				nextCount[ft]++
				if nextCount[ft] == 1 {
					next = append(next, level{ft, index})
				}
			}
		}
	}
	kept := DominantFields(fields, func(c cand) (string, []int, bool) { return c.name, c.index, c.tagged })
	out := make([]recField, len(kept))
	for i, c := range kept {
		out[i] = c.recField
	}
	recordCache.Store(t, out)
	return out
}

// DominantFields keeps, among candidate record fields, the ones encoding/json keeps
// (docs/abi.md section 8.2): for each key the shallowest field wins, and two at the same depth
// cancel each other out unless exactly one is tagged (a candidate listed twice cancels itself).
// The result is in field order (by index path). info gives a candidate's key, index path and
// whether a tag named it. The scanner and the runtime's reflection share it.
func DominantFields[T any](fields []T, info func(T) (key string, index []int, tagged bool)) []T {
	slices.SortStableFunc(fields, func(a, b T) int {
		ak, ai, at := info(a)
		bk, bi, bt := info(b)
		if c := strings.Compare(ak, bk); c != 0 {
			return c
		}
		if c := len(ai) - len(bi); c != 0 {
			return c
		}
		if at != bt {
			if at {
				return -1
			}
			return 1
		}
		return slices.Compare(ai, bi)
	})
	var kept []T
	for i := 0; i < len(fields); {
		key, index, tagged := info(fields[i])
		j := i + 1
		for j < len(fields) {
			if k, _, _ := info(fields[j]); k != key {
				break
			}
			j++
		}
		if j-i == 1 {
			kept = append(kept, fields[i])
		} else if _, index2, tagged2 := info(fields[i+1]); len(index) != len(index2) || tagged != tagged2 {
			kept = append(kept, fields[i])
		}
		i = j
	}
	slices.SortFunc(kept, func(a, b T) int {
		_, ai, _ := info(a)
		_, bi, _ := info(b)
		return slices.Compare(ai, bi)
	})
	return kept
}

// FieldTag reads the record key options of a struct field's tag (docs/abi.md section 8.2): the
// msgpack tag if there is one, else the json tag. name is the tag's name ("" when it gives
// none: the field name is used, or for msgpack without a name, the json tag's name), omitEmpty
// its omitempty (or omitzero) option, drop whether the tag name is "-". Other options are
// ignored. The generator and Any share this function.
func FieldTag(tag string) (name string, omitEmpty, drop bool) {
	st := reflect.StructTag(tag)
	mp, hasMP := st.Lookup("msgpack")
	js, hasJS := st.Lookup("json")
	var opts string
	switch {
	case hasMP && mp == "-", !hasMP && hasJS && js == "-":
		return "", false, true // "-," is the key "-"
	case hasMP:
		name, opts, _ = strings.Cut(mp, ",")
		if name == "" && hasJS {
			if jn, _, _ := strings.Cut(js, ","); jn != "-" {
				name = jn
			}
		}
	case hasJS:
		name, opts, _ = strings.Cut(js, ",")
	default:
		return "", false, false
	}
	if !validTagName(name) {
		name = ""
	}
	for _, o := range strings.Split(opts, ",") {
		if o == "omitempty" || o == "omitzero" {
			omitEmpty = true
		}
	}
	return name, omitEmpty, false
}

// validTagName is encoding/json's rule for a usable tag name.
func validTagName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}
