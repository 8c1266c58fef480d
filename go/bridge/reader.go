package bridge

import (
	"bytes"
	"fmt"
	"io"
)

// DecodeReader reads an argument of wire type reader (docs/abi.md section 8.1): nil gives a
// nil io.Reader; a bin gives a *bytes.Reader over its bytes, copied once out of the request
// (the Go function may keep the reader after it returns); a handle gives the Go value it
// names, which must implement io.Reader; a host object (section 10) gives a reader whose Read
// asks the host for at most len(p) bytes (host method 0: one int, the reply a bin, empty at
// the end).
func DecodeReader(d *Decoder) (io.Reader, error) {
	if d.Nil() {
		return nil, nil
	}
	if h, ok, err := d.hostObject(); ok {
		if err != nil {
			return nil, err
		}
		return &hostReader{h: h}, nil
	}
	if d.off < len(d.buf) && d.buf[d.off] == mFixExt8 {
		return DecodeHandle[io.Reader](d, "io.Reader")
	}
	b, err := d.Bytes()
	if err != nil {
		return nil, err
	}
	return bytes.NewReader(b), nil
}

// hostReader is an io.Reader implemented by the host: method 0 of its host object, or method
// of an interface the host object implements.
type hostReader struct {
	h      *HostObject
	method int
	eof    bool
}

// HostRead is the Read method of an interface a host object implements (method i). Unlike a
// reader argument it keeps no end-of-stream state: each call asks the host.
func HostRead(h *HostObject, i int, p []byte) (int, error) {
	return (&hostReader{h: h, method: i}).Read(p)
}

func (r *hostReader) Read(p []byte) (int, error) {
	if r.eof {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	asked := min(len(p), maxWriteChunk)
	c := r.h.CallMethod(r.method, 1)
	c.Enc().Int(int64(asked))
	d, err := c.Send()
	if err != nil {
		return 0, c.Err(err)
	}
	b, err := d.Bytes()
	if err == nil {
		err = c.End()
	}
	if err != nil {
		return 0, c.Err(c.ResultError(0, err))
	}
	c.Ok()
	if len(b) > asked {
		return 0, &HostError{Kind: "bad_result", Message: fmt.Sprintf("the host's read returned %d bytes, more than the %d asked for; read(n) must return at most n bytes", len(b), asked)}
	}
	if len(b) == 0 {
		r.eof = true
		return 0, io.EOF
	}
	return copy(p, b), nil
}
