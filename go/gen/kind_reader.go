package gen

import "github.com/usegolib/usegolib/go/scan"

var _ = register(scan.Reader, readerUnit{})

// readerUnit: an io.Reader parameter, on the wire the bytes to read (Go gets a *bytes.Reader),
// a handle to a Go value that implements io.Reader, or nil (bridge/reader.go). Only parameters
// have this kind (scan.ownWireTypeIn), so nothing encodes one.
type readerUnit struct{ paramOnly }

func (readerUnit) helperName(*goGen, *scan.Type) string { return "reader" }

func (readerUnit) decode(_ *goGen, _ *scan.Type, d string) (string, func(string) string) {
	return "bridge.DecodeReader(" + d + ")", identity
}
