package bridge

import (
	"fmt"
	"io"
)

// DecodeWriter reads an argument of wire type writer (docs/abi.md section 10): nil gives a nil
// io.Writer; a host object gives a writer whose Write sends each chunk to the host's write
// (host method 0: one bin, the reply the number of bytes taken); a handle gives the Go value it
// names, which must implement io.Writer.
func DecodeWriter(d *Decoder) (io.Writer, error) {
	if d.Nil() {
		return nil, nil
	}
	if h, ok, err := d.hostObject(); ok {
		if err != nil {
			return nil, err
		}
		return &hostWriter{h: h}, nil
	}
	return DecodeHandle[io.Writer](d, "io.Writer")
}

// hostWriter is an io.Writer implemented by the host: method 0 of its host object, or method
// of an interface the host object implements.
type hostWriter struct {
	h      *HostObject
	method int
}

// HostWrite is the Write method of an interface a host object implements (method i).
func HostWrite(h *HostObject, i int, p []byte) (int, error) {
	return (&hostWriter{h: h, method: i}).Write(p)
}

// maxWriteChunk bounds one host request: a larger Write is sent in pieces, so that no request
// nears the message size limit and the host never holds a whole stream at once.
const maxWriteChunk = 4 << 20

func (w *hostWriter) Write(p []byte) (int, error) {
	done := 0
	for done < len(p) || len(p) == 0 {
		chunk := p[done:min(len(p), done+maxWriteChunk)]
		n, err := w.write(chunk)
		done += n
		if err != nil {
			return done, err
		}
		if n < len(chunk) {
			return done, io.ErrShortWrite
		}
		if len(p) == 0 {
			break
		}
	}
	return done, nil
}

func (w *hostWriter) write(p []byte) (int, error) {
	c := w.h.CallMethod(w.method, 1)
	c.Enc().Bytes(p)
	d, err := c.Send()
	if err != nil {
		return 0, c.Err(err)
	}
	n, err := d.Int(64)
	if err == nil {
		err = c.End()
	}
	if err != nil {
		return 0, c.Err(c.ResultError(0, err))
	}
	c.Ok()
	if n < 0 || n > int64(len(p)) {
		return 0, &HostError{Kind: "bad_result", Message: fmt.Sprintf("the host's write of %d bytes reported %d written; write(b) must return a count from 0 to len(b)", len(p), n)}
	}
	return int(n), nil
}
