package bridge

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
)

// `any` results and fields (docs/abi.md section 8.1), written by reflection.

// Any writes v, the value of an `any` result or field at depth depth of the reply (the reply
// array is depth 1, a single result depth 2), generically: nil, bool, every integer, float,
// string and []byte type (named ones too), slices and arrays (of bytes: bin), maps with string
// keys (keys in byte-wise order), pointers and interfaces (as the value they point to; nil as
// nil) and structs (as records, keyed as docs/abi.md section 8.2 says); and, as ext values
// (section 8.9, any_ext.go), time.Time, time.Duration, errors, the schema's records and handle
// types, and structs with hidden state (as Go objects). A channel,
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
		return nil
	}
	if (v.Kind() != reflect.Pointer && v.Kind() != reflect.Interface) || !v.IsNil() {
		if done, err := e.anyExt(v, depth); done || err != nil {
			return err
		}
	}
	switch v.Kind() {
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
