package gen

import "github.com/usegolib/usegolib/go/scan"

var _ = register(scan.Writer, writerUnit{})

// writerUnit: an io.Writer parameter, on the wire a host object whose write Go calls, a handle
// to a Go value that implements io.Writer, or nil (bridge/writer.go). Only parameters have this
// kind (scan.ownWireTypeIn), so nothing encodes one.
type writerUnit struct{ paramOnly }

func (writerUnit) helperName(*goGen, *scan.Type) string { return "writer" }

func (writerUnit) decode(_ *goGen, _ *scan.Type, d string) (string, func(string) string) {
	return "bridge.DecodeWriter(" + d + ")", identity
}
