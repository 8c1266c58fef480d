package gen

import "github.com/usegolib/usegolib/go/scan"

var _ = register(scan.Context, contextUnit{})

// contextUnit: a context.Context parameter (only the parameter itself has this kind,
// scan.ownWireTypeIn), on the wire nil, a handle, or a context the bridge makes for the call
// (bridge/context.go). The adapter ends a bridge-made context when the call returns.
type contextUnit struct{ paramOnly }

// endingUnit is a kind unit whose decoded argument must be ended when the call returns: end
// gives the statement, run right after a is decoded.
type endingUnit interface {
	end(a string) string
}

func (contextUnit) helperName(*goGen, *scan.Type) string { return "context" }

func (contextUnit) decode(_ *goGen, _ *scan.Type, d string) (string, func(string) string) {
	return "bridge.DecodeContext(" + d + ")", identity
}

func (contextUnit) end(a string) string { return "defer bridge.EndContext(" + a + ")" }
