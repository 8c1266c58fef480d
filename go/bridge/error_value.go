package bridge

import "fmt"

// Error values that are not a function's trailing error (docs/abi.md section 8.1): nil, or
// [message, Go type].

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

// ErrorValueAt is ErrorValue for a value at depth depth of the reply: a non-nil error is an
// array, which must not open deeper than MaxDepth.
func (e *Encoder) ErrorValueAt(err error, depth int) error {
	if err != nil && depth > MaxDepth {
		return TooDeep()
	}
	e.ErrorValue(err)
	return nil
}
