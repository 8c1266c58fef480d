package gen

import (
	"fmt"
	"strconv"

	"github.com/usegolib/usegolib/go/scan"
)

var _ = register(scan.Handle, handleUnit{})

// handleUnit: *X for a handle type X, or an interface with methods; the
// value stays in Go and an id travels (bridge/handle_table.go).
type handleUnit struct{ scalar }

func (handleUnit) helperName(g *goGen, t *scan.Type) string {
	if t.ByValue {
		return "v_" + g.aliasName(t.Canon) // T, beside *T's h_
	}
	return "h_" + g.aliasName(t.Canon)
}

func (handleUnit) decode(g *goGen, t *scan.Type, d string) (string, func(string) string) {
	if def := g.types[t.Key]; def != nil && def.Implement != nil {
		// An interface a host object may implement (docs/abi.md section 10.7).
		mk := g.hostImpl(t, def.Implement)
		return fmt.Sprintf("bridge.DecodeFunc[%s](%s, %s, %s)", g.spell(t.Canon), d, strconv.Quote(g.handleGo(t)), mk), identity
	}
	if t.ByValue {
		return fmt.Sprintf("bridge.DecodeValue[%s](%s, %s)", g.spell(t.Canon), d, strconv.Quote(g.handleGo(t))), identity
	}
	return fmt.Sprintf("bridge.DecodeHandle[%s](%s, %s)", g.spell(t.Canon), d, strconv.Quote(g.handleGo(t))), identity
}

func (handleUnit) encode(_ *goGen, t *scan.Type, x, e, _ string) (string, bool) {
	if t.ByValue {
		return "bridge.EncodeValue(" + e + ", " + x + ")", false
	}
	return "bridge.EncodeHandle(" + e + ", " + x + ")", false
}

// nonEmpty: a struct held by value is never empty, as encoding/json decides.
func (handleUnit) nonEmpty(t *scan.Type, x string) string {
	if t.ByValue {
		return ""
	}
	return notNil(x)
}

// handleGo spells a handle type for messages: "*level3.Counter".
func (g *goGen) handleGo(t *scan.Type) string {
	if d := g.types[t.Key]; d != nil {
		return d.Go
	}
	return t.Wire
}
