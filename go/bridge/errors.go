package bridge

import (
	"fmt"
	"slices"
	"strings"
)

// ArgError reports that argument index (0-based) could not be converted to its Go type. The
// generated Call adapters return it; Serve turns it into a bad_argument reply whose detail names
// the parameter and its Go type from Func.Params.
func ArgError(index int, err error) error { return &argError{index: index, err: err} }

type argError struct {
	index int
	err   error
}

func (e *argError) Error() string { return fmt.Sprintf("argument %d: %v", e.index, e.err) }
func (e *argError) Unwrap() error { return e.err }

// GoError reports that the Go function returned the non-nil error err as its last result. The
// generated Call adapters return it; Serve turns it into a go_error reply with message
// err.Error() and detail type fmt.Sprintf("%T", err).
func GoError(err error) error { return &goError{err: err} }

type goError struct {
	err  error
	outs []outSlot // the out-parameters of the call (GoErrorOuts), written after the error
}

func (e *goError) Error() string { return fmt.Sprint(e.err) }
func (e *goError) Unwrap() error { return e.err }

// ElemError wraps the conversion error of element i of a list:
// ElemError(3, err).Error() == "element 3: " + err.Error(). Nested lists nest the prefixes.
func ElemError(i int, err error) error { return &elemError{index: i, err: err} }

type elemError struct {
	index int
	err   error
}

func (e *elemError) Error() string { return fmt.Sprintf("element %d: %v", e.index, e.err) }
func (e *elemError) Unwrap() error { return e.err }

// failure is an error reply (docs/abi.md section 4) before it is encoded.
type failure struct {
	kind    string
	message string
	detail  []field
	// handles are the ids a go_error's chain put in the handle table (error_chain.go).
	handles []uint64
}

// field is one detail entry; val is a Level-1 value Encoder.Value accepts.
type field struct {
	key string
	val any
}

func (f *failure) Error() string { return f.kind + ": " + f.message }

// writeError replaces whatever e holds with the error reply [1, {kind, message, detail}]; the
// detail keys are written in byte-wise sorted order.
func writeError(e *Encoder, f *failure) {
	e.reset()
	e.ListLen(2)
	e.Uint(1)
	e.MapLen(3)
	e.String("kind")
	e.String(f.kind)
	e.String("message")
	e.String(f.message)
	e.String("detail")
	detail := f.detail
	if byKey := func(a, b field) int { return strings.Compare(a.key, b.key) }; !slices.IsSortedFunc(detail, byKey) {
		detail = slices.Clone(detail)
		slices.SortFunc(detail, byKey)
	}
	e.MapLen(len(detail))
	for _, kv := range detail {
		e.String(kv.key)
		if err := e.Value(kv.val); err != nil {
			e.String(fmt.Sprint(kv.val)) // unreachable: details are built from Level-1 values
		}
	}
}

func malformed(off int, what string) *failure {
	return &failure{
		kind:    "malformed",
		message: fmt.Sprintf("malformed message at byte %d: %s", off, what),
		detail:  []field{{"offset", uint64(off)}},
	}
}

func limitFailure(limit string, max uint64) *failure {
	return &failure{
		kind:    "limit_exceeded",
		message: fmt.Sprintf("message exceeds the %s limit of %d", limit, max),
		detail:  []field{{"limit", limit}, {"max", max}},
	}
}

func limitFailureAt(limit string, max uint64, off int) *failure {
	f := limitFailure(limit, max)
	f.message += fmt.Sprintf(" at byte %d", off)
	return f
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
