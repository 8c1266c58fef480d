package bridge

import (
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode"
)

// The record rules of docs/abi.md section 8.2 (those of encoding/json, msgpack tag first),
// shared by the scanner (at build time) and Any (at run time).

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
