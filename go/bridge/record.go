package bridge

import (
	"fmt"
	"slices"
	"strconv"
)

// Errors of the generated record (struct) decoders of docs/abi.md section 8.2. Each names the
// struct; those about one field name its key, its Go name and its Go type, so that a
// bad_argument reply says exactly what to fix.

// RecordError wraps an error reading the map of struct name itself (not a map, a bad key).
func RecordError(name string, err error) error {
	return fmt.Errorf("struct %s: %w", name, err)
}

// RecordNil is the error for nil where a struct name is required.
func RecordNil(name string) error {
	return fmt.Errorf("struct %s: expected map, got nil", name)
}

// UnknownField is the error for a key that names no field of struct name; fields lists the
// keys it has.
func UnknownField(name string, key []byte, fields string) error {
	return fmt.Errorf("struct %s: unknown field %s (fields: %s)", name, strconv.Quote(string(key)), fields)
}

// DuplicateField is the error for a key given twice.
func DuplicateField(name, key, goName, goType string) error {
	return fmt.Errorf("struct %s: field %s (%s %s) given twice", name, strconv.Quote(key), goName, goType)
}

// MissingField is the error for a required field that is not given.
func MissingField(name, key, goName, goType string) error {
	return fmt.Errorf("struct %s: missing required field %s (%s %s)", name, key, goName, goType)
}

// FieldError wraps the error converting the value of one field.
func FieldError(name, key, goName, goType string, err error) error {
	return &fieldError{name: name, key: key, goName: goName, goType: goType, err: err}
}

type fieldError struct {
	name, key, goName, goType string
	err                       error
}

func (e *fieldError) Error() string {
	return fmt.Sprintf("struct %s: field %s (%s %s): %v", e.name, e.key, e.goName, e.goType, e.err)
}

func (e *fieldError) Unwrap() error { return e.err }

// MapKeyError wraps the error converting the value of map key k.
func MapKeyError(k string, err error) error {
	return fmt.Errorf("key %s: %w", strconv.Quote(k), err)
}

// DuplicateKey is the error for a map key given twice.
func DuplicateKey(k string) error {
	return fmt.Errorf("duplicate map key %s", strconv.Quote(k))
}

// KeyError wraps the error reading map key i (not a str).
func KeyError(i int, err error) error {
	return fmt.Errorf("key %d: %w", i, err)
}

// Alloc makes *p point to a new T if it is nil: the generated record decoders allocate an
// embedded pointer when one of its fields is given.
func Alloc[T any](p **T) {
	if *p == nil {
		*p = new(T)
	}
}

// SortedKeys returns the keys of m in byte-wise order: the generated encoders write maps in
// that order, so that a reply does not depend on Go's map iteration order.
func SortedKeys[M ~map[K]V, K ~string, V any](m M) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Key reads a str (a map key or a record field key) and returns its bytes without copying:
// they are valid until the call returns, and must be copied (string(k)) to be kept.
func (d *Decoder) Key() ([]byte, error) { return d.rawStr() }
