package bridge

import (
	"bytes"
	"io"
)

// DecodeReader reads an argument of wire type reader (docs/abi.md section 8.1): nil gives a
// nil io.Reader; a bin gives a *bytes.Reader over its bytes, copied once out of the request
// (the Go function may keep the reader after it returns); a handle gives the Go value it
// names, which must implement io.Reader.
func DecodeReader(d *Decoder) (io.Reader, error) {
	if d.Nil() {
		return nil, nil
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
