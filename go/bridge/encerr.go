package bridge

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// Errors of the result encoders (docs/abi.md section 4, bad_result). A Go result can hold what
// the wire cannot carry: a channel or a function inside `any`, or a value nested deeper than
// MaxDepth, which is what a cyclic value (a ring of pointers, a map that holds itself) is. The
// encoders stop at the first such place and return an error; while they unwind, each level adds
// its step to the error's path (a field, an index, a map key) and, for a pointer, a map or a
// slice, the address it went through. Only this error path allocates: the encoders themselves
// pass a depth counter and nothing else.
//
// The reason then reads "<path>: <what>", the path written as a Go selector expression from the
// result (".Next.Next", "[3]", `["key"]`). When an address repeats along the path, the value is
// a cycle and the reason says where it points back to.

// TooDeep is the error of a container that would open deeper than MaxDepth (the reply array
// being depth 1). The generated encoders return it before writing the container.
func TooDeep() error { return &encodeError{tooDeep: true} }

// encodeError is a result value the wire cannot carry, and where in the value.
type encodeError struct {
	steps   []pathStep // innermost first: appended while the encoders unwind
	tooDeep bool       // nested deeper than MaxDepth; else err says what
	err     error
}

// pathStep is one step from a value into a part of it.
type pathStep struct {
	kind  byte   // stepField, stepIndex, stepKey or stepVia (no segment)
	name  string // the field or the map key
	index int
	// id identifies the pointer, map or slice the step went through (0: none): its address,
	// its length for a slice (a slice holding itself has the same address and length), and its
	// type (a struct and its first field share an address).
	id struct {
		addr uintptr
		n    int
		typ  reflect.Type
	}
}

const (
	stepVia byte = iota
	stepField
	stepIndex
	stepKey
)

// asEncodeError returns err as an *encodeError, wrapping another error in a new one.
func asEncodeError(err error) *encodeError {
	if x, ok := err.(*encodeError); ok {
		return x
	}
	return &encodeError{err: err}
}

func (e *encodeError) push(s pathStep) error {
	e.steps = append(e.steps, s)
	return e
}

// at records the address of v, a pointer, map or slice, on the last step.
func (e *encodeError) at(v reflect.Value) error {
	if v.IsValid() && !v.IsNil() {
		s := &e.steps[len(e.steps)-1]
		s.id.addr, s.id.typ = v.Pointer(), v.Type()
		if v.Kind() == reflect.Slice {
			s.id.n = v.Len()
		}
	}
	return e
}

// AtField adds the step into field name of a struct to err, an error encoding the field.
func AtField(name string, err error) error {
	return asEncodeError(err).push(pathStep{kind: stepField, name: name})
}

// AtIndex adds the step into element i of an array to err.
func AtIndex(i int, err error) error {
	return asEncodeError(err).push(pathStep{kind: stepIndex, index: i})
}

// AtElem adds the step into element i of slice s to err.
func AtElem[S ~[]E, E any](s S, i int, err error) error {
	return atValue(reflect.ValueOf(s), pathStep{kind: stepIndex, index: i}, err)
}

// AtKey adds the step into the value of key k of map m to err.
func AtKey[M ~map[K]V, K ~string, V any](m M, k K, err error) error {
	return atValue(reflect.ValueOf(m), pathStep{kind: stepKey, name: string(k)}, err)
}

// AtPointer records that the value of err was reached through pointer p.
func AtPointer[T any](p *T, err error) error {
	return atValue(reflect.ValueOf(p), pathStep{kind: stepVia}, err)
}

// atValue adds step s, into v (a pointer, map or slice, whose address it records), to err: the
// At helpers for the generated encoders and Encoder.Any's reflection alike.
func atValue(v reflect.Value, s pathStep, err error) error {
	e := asEncodeError(err)
	e.push(s)
	return e.at(v)
}

func (e *encodeError) Unwrap() error { return e.err }

// maxPathSteps is the longest path written in full; a longer one is cut in the middle.
const maxPathSteps = 8

func (e *encodeError) Error() string {
	// Walk the path from the result inward; segs is the path so far. A container met twice
	// (by address, length and type) is a cycle.
	where := map[any]string{} // the path at which each container was first met
	var segs []string
	for i := len(e.steps) - 1; i >= 0; i-- {
		s := &e.steps[i]
		if s.id.addr != 0 {
			if first, ok := where[s.id]; ok {
				return cycleReason(segs, first)
			}
			where[s.id] = strings.Join(segs, "")
		}
		switch s.kind {
		case stepField:
			segs = append(segs, "."+s.name)
		case stepIndex:
			segs = append(segs, "["+strconv.Itoa(s.index)+"]")
		case stepKey:
			segs = append(segs, "["+strconv.Quote(s.name)+"]")
		}
	}
	var b strings.Builder
	b.WriteString(pathString(segs))
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.tooDeep {
		fmt.Fprintf(&b, "nested deeper than %d levels (a cycle?)", MaxDepth)
	} else {
		b.WriteString(fmt.Sprint(e.err))
	}
	return b.String()
}

// cycleReason says that the value at path segs is one already met at path first ("" for the
// result itself).
func cycleReason(segs []string, first string) string {
	to := first
	if to == "" {
		to = "the result itself"
	}
	what := "cycle: points back to " + to + " (the wire cannot carry a cyclic value)"
	if len(segs) == 0 {
		return what
	}
	return pathString(segs) + ": " + what
}

// pathString joins path segments, cutting a long path in the middle.
func pathString(segs []string) string {
	if len(segs) <= maxPathSteps {
		return strings.Join(segs, "")
	}
	return strings.Join(segs[:3], "") + "..." + strings.Join(segs[len(segs)-2:], "") +
		" (" + strconv.Itoa(len(segs)) + " steps)"
}
