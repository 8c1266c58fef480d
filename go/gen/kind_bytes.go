package gen

import "github.com/usegolib/usegolib/go/scan"

var _ = register(scan.Bytes, bytesUnit{})

// bytesUnit: []byte and the types defined on it, a bin on the wire.
type bytesUnit struct{ scalar }

func (bytesUnit) helperName(*goGen, *scan.Type) string { return "bytes" }

func (bytesUnit) decode(g *goGen, t *scan.Type, _ string) (string, func(string) string) {
	if t.Named {
		return "d.Bytes()", g.convertTo(t)
	}
	return "d.Bytes()", identity
}

func (bytesUnit) encode(_ *goGen, t *scan.Type, x, _, _ string) (string, bool) {
	if t.Named {
		x = "[]byte(" + x + ")"
	}
	return "e.Bytes(" + x + ")", false
}

func (bytesUnit) nonEmpty(_ *scan.Type, x string) string { return notEmpty(x) }
