package bridge

// Go objects held by value (docs/abi.md section 8.3, docs/adr/0019): a struct with hidden
// state used as T, not *T, stays in Go. The handle table holds a *T to a copy of the value;
// a parameter of type T receives a copy of what the handle holds, as Go copies a value passed
// to a function, so the function cannot change the caller's object.

// DecodeValue reads a handle to a *T and returns a copy of the T it points to; nil is T's zero
// value (a Go object field left out of a record, or None for a parameter).
func DecodeValue[T any](d *Decoder, goType string) (T, error) {
	var zero T
	p, err := DecodeHandle[*T](d, goType)
	if err != nil || p == nil {
		return zero, err
	}
	return *p, nil
}

// EncodeValue writes a handle to a fresh copy of v, never nil: each result is its own object.
func EncodeValue[T any](e *Encoder, v T) {
	p := new(T)
	*p = v
	e.Handle(handles.PutValue(p))
}
