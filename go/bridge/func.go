package bridge

// EncodeFunc writes the func value v (isNil: v == nil, which only the
// generated code can test) as a new handle, or nil (docs/abi.md section 8.5).
func EncodeFunc(e *Encoder, v any, isNil bool) {
	if isNil {
		e.Nil()
		return
	}
	e.Handle(handles.Put(v))
}
