package bridge

import "fmt"

// Fixed-size arrays (docs/abi.md section 8.1): [N]T is an array of exactly N elements, [N]byte
// a bin of exactly N bytes.

// BytesN reads a bin of exactly len(dst) bytes into dst (a Go [N]byte). nil, a str and a bin
// of another length are errors.
func (d *Decoder) BytesN(dst []byte) error {
	if d.off < len(d.buf) && d.buf[d.off] == mNil {
		return fmt.Errorf("expected %d bytes, got nil", len(dst))
	}
	b, err := d.rawBin()
	if err != nil {
		return err
	}
	if len(b) != len(dst) {
		return fmt.Errorf("expected %d bytes, got %d", len(dst), len(b))
	}
	copy(dst, b)
	return nil
}

// rawBin reads a bin and returns its payload without copying.
func (d *Decoder) rawBin() ([]byte, error) {
	if d.off >= len(d.buf) {
		return nil, errEOF
	}
	size := 0
	switch d.buf[d.off] {
	case mBin8:
		size = 1
	case mBin16:
		size = 2
	case mBin32:
		size = 4
	default:
		return nil, d.mismatch("bytes")
	}
	hdr, n, err := d.length(-1, size)
	if err != nil {
		return nil, err
	}
	return d.take(hdr, n)
}

// ArrayLen reads an array header of exactly n elements (a Go [n]T); nil and any other length
// are errors.
func (d *Decoder) ArrayLen(n int) error {
	if d.off < len(d.buf) && d.buf[d.off] == mNil {
		return fmt.Errorf("expected %d elements, got nil", n)
	}
	got, _, err := d.ListLen()
	if err != nil {
		return err
	}
	if got != n {
		return fmt.Errorf("expected %d elements, got %d", n, got)
	}
	return nil
}
