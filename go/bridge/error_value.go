package bridge

import "fmt"

// Error values that are not a function's trailing error (docs/abi.md section 8.1): nil, or
// [message, Go type], and [message, Go type, chain] once error values are on (the chain as
// error_chain.go writes it).

// ErrorValue writes an error value that is not a function's trailing error: nil, or
// [err.Error(), the dynamic Go type (%T)], followed by its chain once error values are on.
func (e *Encoder) ErrorValue(err error) {
	if err == nil {
		e.Nil()
		return
	}
	chain, _ := chainValue(err)
	if chain == nil {
		e.ListLen(2)
	} else {
		e.ListLen(3)
	}
	e.String(err.Error())
	e.String(fmt.Sprintf("%T", err))
	if chain != nil && e.Value(chain) != nil {
		panic("bridge: an error chain is Level-1 data") // unreachable: the chain nests 2 levels
	}
}

// ErrorValueAt is ErrorValue for a value at depth depth of the reply: a non-nil error is an
// array holding its chain (two levels more), which must not open deeper than MaxDepth.
func (e *Encoder) ErrorValueAt(err error, depth int) error {
	if err != nil && depth+2 > MaxDepth {
		return TooDeep()
	}
	e.ErrorValue(err)
	return nil
}
