package bridge

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sync"
	"time"
	"unicode/utf8"
)

// The ext types of `any` values (docs/abi.md section 8.9, docs/adr/0022): what a value inside
// `any` is, when its MessagePack form alone would not say it.
//
//   - ext -1, MessagePack's timestamp (4, 8 or 12 bytes): a time.Time at UTC offset 0;
//   - ext 6, a tagged value: a str tag then one value. The tag is "time" ([unix_seconds,
//     nanoseconds, utc_offset_seconds], a time at another offset), "duration" (int
//     nanoseconds), "error" ([message, Go type]) or a record type key of the schema (the
//     record's map, as its `@K` wire type writes it);
//   - ext 7, a Go object: the handle id (8 big-endian bytes) then the type's key (a handle type
//     key of the schema, else `<import path>.<Name>` of the type or the type it points to, else
//     Go's spelling of the type).
const (
	extTimestamp = -1
	extTagged    = 6
	extObject    = 7
)

// The tags of ext 6 that are not record keys (a record key always holds a dot).
const (
	tagTime     = "time"
	tagDuration = "duration"
	tagError    = "error"
)

var (
	durationType = reflect.TypeFor[time.Duration]()
	errorType    = reflect.TypeFor[error]()
)

// handleTypes maps the Go types of the schema's handle types (as the bridge holds them) to
// their keys; RegisterAnyHandle fills it at initialisation.
var handleTypes = map[reflect.Type]string{}

// RegisterAnyHandle makes a value of Go type T (a pointer to a handle type, or a named func type)
// inside `any` travel as a Go object of the handle type key. It is called from the generated
// code's package initialisation only.
func RegisterAnyHandle[T any](key string) struct{} {
	handleTypes[reflect.TypeFor[T]()] = key
	return struct{}{}
}

// recordTypes maps the Go types of the schema's record types to their keys, made once from the
// registered Ref makers (RegisterRefType) after initialisation.
var recordTypes = sync.OnceValue(func() map[reflect.Type]string {
	m := make(map[reflect.Type]string, len(refTypes))
	for key, mk := range refTypes {
		d := Decoder{buf: []byte{mNil}}
		if p, _, err := mk(&d); err == nil {
			m[reflect.TypeOf(p).Elem()] = key
		}
	}
	return m
})

// hiddenTypes caches hasHidden.
var hiddenTypes sync.Map // reflect.Type -> bool

// hasHidden reports whether struct type t holds state its record form would drop: an
// unexported field other than `_`, unless it is an embedded struct (or pointer to one) without
// such state, whose exported fields are promoted. Only final answers are cached, so another
// goroutine never reads a provisional one.
func hasHidden(t reflect.Type) bool {
	if h, ok := hiddenTypes.Load(t); ok {
		return h.(bool)
	}
	hidden := hiddenIn(t, map[reflect.Type]bool{})
	hiddenTypes.Store(t, hidden)
	return hidden
}

// hiddenIn is hasHidden for t, where seen holds the embedded structs being looked at (a
// recursive type adds nothing the first look does not find).
func hiddenIn(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.IsExported() || f.Name == "_" {
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if !f.Anonymous || ft.Kind() != reflect.Struct || hiddenIn(ft, seen) {
			return true
		}
	}
	return false
}

// objectKey names the type of a Go object that is not one of the schema's handle types.
func objectKey(t reflect.Type) string {
	n := t
	if n.Kind() == reflect.Pointer {
		n = n.Elem()
	}
	if n.Name() != "" && n.PkgPath() != "" {
		return n.PkgPath() + "." + n.Name()
	}
	return t.String()
}

// anyExt writes v as one of the ext values of `any`, when its type asks for one, and reports
// whether it did. v is valid, and not a nil pointer or interface.
func (e *Encoder) anyExt(v reflect.Value, depth int) (bool, error) {
	t := v.Type()
	if !v.CanInterface() {
		return false, nil
	}
	switch {
	case t == timeType:
		return true, e.anyTime(v.Interface().(time.Time), depth)
	case t == durationType:
		start := e.tag(tagDuration)
		e.Int(v.Int())
		e.extAround(extTagged, start)
		return true, nil
	case t.Implements(errorType) && v.Kind() != reflect.Interface:
		if depth > MaxDepth {
			return true, TooDeep()
		}
		start := e.tag(tagError)
		e.ErrorValue(v.Interface().(error))
		e.extAround(extTagged, start)
		return true, nil
	}
	if key, ok := handleTypes[t]; ok {
		e.object(v.Interface(), key, false)
		return true, nil
	}
	switch {
	case t.Kind() == reflect.Struct:
		if hasHidden(t) { // before its record form, which would drop the hidden state
			// A Go object holds a pointer to its own copy, as every by-value Go object does
			// (value_object.go), so that its methods, fields and T parameters find a *T.
			p := reflect.New(t)
			p.Elem().Set(v)
			e.object(p.Interface(), objectKey(t), true)
			return true, nil
		}
		if key, ok := recordTypes()[t]; ok {
			return true, e.anyRecord(v, key, depth)
		}
	case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct && t.Elem() != timeType:
		if hasHidden(t.Elem()) {
			e.object(v.Interface(), objectKey(t), false)
			return true, nil
		}
	}
	return false, nil
}

// object writes x as a new handle: ext 7 with its id and type key; byValue says x is a
// pointer to the copy of a value (HandleTable.PutValue).
func (e *Encoder) object(x any, key string, byValue bool) {
	start := len(e.Buf)
	var id uint64
	if byValue {
		id = handles.PutValue(x)
	} else {
		id = handles.Put(x)
	}
	e.Buf = binary.BigEndian.AppendUint64(e.Buf, id)
	e.Buf = append(e.Buf, key...)
	e.extAround(extObject, start)
}

// anyTime writes t: the standard timestamp at offset 0, else ext 6 "time" [s, ns, offset].
func (e *Encoder) anyTime(t time.Time, depth int) error {
	if _, off := t.Zone(); off != 0 {
		if depth > MaxDepth {
			return TooDeep()
		}
		start := e.tag(tagTime)
		e.Time(t)
		e.extAround(extTagged, start)
		return nil
	}
	sec, nsec := t.Unix(), uint64(t.Nanosecond())
	start := len(e.Buf)
	switch {
	case sec >= 0 && sec <= math.MaxUint32 && nsec == 0:
		e.Buf = binary.BigEndian.AppendUint32(e.Buf, uint32(sec))
	case sec >= 0 && sec < 1<<34:
		e.Buf = binary.BigEndian.AppendUint64(e.Buf, nsec<<34|uint64(sec))
	default:
		e.Buf = binary.BigEndian.AppendUint32(e.Buf, uint32(nsec))
		e.Buf = binary.BigEndian.AppendUint64(e.Buf, uint64(sec))
	}
	e.extAround(extTimestamp, start)
	return nil
}

// anyRecord writes v, a struct of the schema's record type key, as ext 6 with its key: the
// record's map as the record's own encoder writes it.
func (e *Encoder) anyRecord(v reflect.Value, key string, depth int) error {
	d := Decoder{buf: []byte{mNil}}
	p, enc, err := refTypes[key](&d)
	if err != nil {
		return err
	}
	reflect.ValueOf(p).Elem().Set(v)
	start := e.tag(key)
	if err := enc(e, depth); err != nil {
		return err
	}
	e.extAround(extTagged, start)
	return nil
}

// tag starts the payload of an ext 6 value: it writes the tag and returns where the payload
// starts.
func (e *Encoder) tag(tag string) int {
	start := len(e.Buf)
	e.String(tag)
	return start
}

// extAround puts the shortest ext header of type typ before the payload written since start.
func (e *Encoder) extAround(typ int8, start int) {
	n := len(e.Buf) - start
	var hdr []byte
	switch {
	case n == 1 || n == 2 || n == 4 || n == 8 || n == 16:
		hdr = []byte{mFixExt1 + byte(bitsLen(n)), byte(typ)}
	case n <= math.MaxUint8:
		hdr = []byte{mExt8, byte(n), byte(typ)}
	case n <= math.MaxUint16:
		hdr = append(binary.BigEndian.AppendUint16([]byte{mExt16}, uint16(n)), byte(typ))
	default:
		hdr = append(binary.BigEndian.AppendUint32([]byte{mExt32}, uint32(n)), byte(typ))
	}
	e.Buf = slices.Insert(e.Buf, start, hdr...)
}

// bitsLen is log2 of n, a power of two.
func bitsLen(n int) int {
	k := 0
	for n > 1 {
		n >>= 1
		k++
	}
	return k
}

// extHeader looks at the next value, consuming nothing: when it is an ext, its type, the size of
// its header (the type byte excluded) and of its payload; ok is false for any other value.
func (d *Decoder) extHeader() (typ int8, hdr int, n uint64, ok bool, err error) {
	if d.off >= len(d.buf) {
		return 0, 0, 0, false, nil
	}
	fix, size := -1, 0
	switch m := d.buf[d.off]; {
	case m >= mFixExt1 && m <= mFixExt16:
		fix = 1 << (m - mFixExt1)
	case m == mExt8:
		size = 1
	case m == mExt16:
		size = 2
	case m == mExt32:
		size = 4
	default:
		return 0, 0, 0, false, nil
	}
	hdr, n, err = d.length(fix, size)
	if err != nil {
		return 0, 0, 0, false, err
	}
	if hdr >= len(d.buf)-d.off {
		return 0, 0, 0, false, errEOF
	}
	return int8(d.buf[d.off+hdr]), hdr, n, true, nil
}

// extPayload reads the next value when it is an ext: its type and payload. ok is false, and
// nothing consumed, for any other value.
func (d *Decoder) extPayload() (typ int8, payload []byte, ok bool, err error) {
	typ, hdr, n, ok, err := d.extHeader()
	if !ok {
		return 0, nil, false, err
	}
	b, err := d.take(hdr+1, n)
	return typ, b, err == nil, err
}

var errTimestamp = errors.New("malformed timestamp (ext type -1): expected 4, 8 or 12 bytes with nanoseconds at most 999999999")

// anyExt reads an ext value inside `any` at depth depth: a timestamp, a tagged value (ext 6) or
// a Go object (ext 1 or 7, giving the value its handle holds).
func (d *Decoder) anyExt(depth int) (any, error) {
	typ, p, _, err := d.extPayload()
	if err != nil {
		return nil, err
	}
	switch typ {
	case extTimestamp:
		return timestamp(p)
	case extHandle, extObject:
		if len(p) < 8 || (typ == extHandle && len(p) != 8) {
			return nil, fmt.Errorf("malformed Go object (ext type %d): expected an 8-byte id", typ)
		}
		if !utf8.Valid(p[8:]) {
			return nil, fmt.Errorf("malformed Go object (ext type %d): its type key is not UTF-8", typ)
		}
		id := binary.BigEndian.Uint64(p)
		v, ok := handles.GetAny(id)
		if !ok {
			return nil, fmt.Errorf("unknown or released handle %d", id)
		}
		return v, nil
	case extTagged:
		if d.nest >= MaxDepth {
			return nil, errDepth
		}
		return tagged(p, depth, d.nest+1)
	}
	return nil, fmt.Errorf("unsupported ext type %d inside any", typ)
}

// timestamp reads the payload of MessagePack's timestamp extension.
func timestamp(p []byte) (time.Time, error) {
	var sec int64
	var nsec uint64
	switch len(p) {
	case 4:
		sec = int64(binary.BigEndian.Uint32(p))
	case 8:
		u := binary.BigEndian.Uint64(p)
		nsec, sec = u>>34, int64(u&(1<<34-1))
	case 12:
		nsec, sec = uint64(binary.BigEndian.Uint32(p)), int64(binary.BigEndian.Uint64(p[4:]))
	default:
		return time.Time{}, errTimestamp
	}
	if nsec > 999_999_999 {
		return time.Time{}, errTimestamp
	}
	if err := unixInRange(sec); err != nil {
		return time.Time{}, err
	}
	return time.Unix(sec, int64(nsec)).In(time.UTC), nil
}

// tagged reads the payload of ext 6: a tag, then exactly one value; nest counts the payloads
// it is inside, its own included.
func tagged(p []byte, depth, nest int) (any, error) {
	if end, f := scanValue(p, 0); f != nil || end >= len(p) {
		return nil, fmt.Errorf("malformed tagged value (ext type 6): expected a tag and a value")
	}
	d := Decoder{buf: p, nest: nest}
	tag, err := d.String()
	if err != nil {
		return nil, fmt.Errorf("malformed tagged value (ext type 6): the tag: %w", err)
	}
	if end, f := scanValue(p, d.off); f != nil || end != len(p) {
		return nil, fmt.Errorf("malformed tagged value (ext type 6 %q): expected one value after the tag", tag)
	}
	var v any
	switch tag {
	case tagTime:
		v, err = d.Time()
	case tagDuration:
		var ns int64
		ns, err = d.Int(64)
		v = time.Duration(ns)
	case tagError:
		return nil, fmt.Errorf("an error value cannot be an argument inside any")
	default:
		mk, ok := refTypes[tag]
		if !ok {
			return nil, fmt.Errorf("unknown record type %q inside any", tag)
		}
		if depth > MaxDepth {
			return nil, errDepth
		}
		var ptr any
		ptr, _, err = mk(&d)
		if err == nil {
			v = reflect.ValueOf(ptr).Elem().Interface()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s inside any: %w", tag, err)
	}
	return v, nil
}

// Timestamp, Tagged and Object are the ext values of `any` as Decoder.Value reads them and
// Encoder.Value writes them, for tools and tests: what the wire says, not the Go values that
// Decoder.Any makes of them.

// Timestamp is MessagePack's timestamp (ext -1).
type Timestamp struct {
	Sec  int64
	Nsec uint32
}

// Tagged is a tagged value (ext 6): its tag and its value, read as Decoder.Value reads values.
type Tagged struct {
	Tag   string
	Value any
}

// Object is a Go object (ext 7): its handle id and type key.
type Object struct {
	ID  uint64
	Key string
}

// extValue reads an ext value for Decoder.Value: a handle, a timestamp, a tagged value or a Go
// object.
func (d *Decoder) extValue(depth int) (any, error) {
	start := d.off
	typ, p, _, err := d.extPayload()
	if err != nil {
		return nil, err
	}
	switch {
	case typ == extHandle && len(p) == 8:
		return HandleID(binary.BigEndian.Uint64(p)), nil
	case typ == extTimestamp:
		t, err := timestamp(p)
		return Timestamp{t.Unix(), uint32(t.Nanosecond())}, err
	case typ == extObject:
		if len(p) < 8 {
			return nil, fmt.Errorf("malformed Go object (ext type 7): expected an 8-byte id")
		}
		return Object{binary.BigEndian.Uint64(p), string(p[8:])}, nil
	case typ == extPacked:
		sub := Decoder{buf: d.buf, off: start}
		kind, data, _, err := sub.packed()
		return Packed{Kind: kind, Data: append([]byte{}, data...)}, err
	case typ == extTagged:
		if d.nest >= MaxDepth {
			return nil, errDepth
		}
		if end, f := scanValue(p, 0); f != nil || end >= len(p) {
			return nil, fmt.Errorf("malformed tagged value (ext type 6): expected a tag and a value")
		}
		sub := Decoder{buf: p, nest: d.nest + 1}
		tag, err := sub.String()
		if err != nil {
			return nil, fmt.Errorf("malformed tagged value (ext type 6): the tag: %w", err)
		}
		if end, f := scanValue(p, sub.off); f != nil || end != len(p) {
			return nil, fmt.Errorf("malformed tagged value (ext type 6 %q): expected one value after the tag", tag)
		}
		v, err := sub.value(depth, true)
		return Tagged{tag, v}, err
	}
	d.off = start
	return nil, fmt.Errorf("unsupported type %s", wireName(d.buf[d.off]))
}

// extValue writes the ext values of Decoder.Value; ok is false for any other value.
func (e *Encoder) extValue(v any, depth int) (ok bool, err error) {
	switch x := v.(type) {
	case Timestamp:
		if x.Nsec > 999_999_999 {
			return true, errTimestamp
		}
		return true, e.anyTime(time.Unix(x.Sec, int64(x.Nsec)).In(time.UTC), depth)
	case Object:
		start := len(e.Buf)
		e.Buf = binary.BigEndian.AppendUint64(e.Buf, x.ID)
		e.Buf = append(e.Buf, x.Key...)
		e.extAround(extObject, start)
		return true, nil
	case Packed:
		e.extHeader(extPacked, 1+len(x.Data))
		e.Buf = append(append(e.Buf, x.Kind), x.Data...)
		return true, nil
	case Tagged:
		start := e.tag(x.Tag)
		if err := e.value(x.Value, depth); err != nil {
			return true, err
		}
		e.extAround(extTagged, start)
		return true, nil
	}
	return false, nil
}
