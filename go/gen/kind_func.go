package gen

import (
	"fmt"
	"strings"

	"github.com/usegolib/usegolib/go/scan"
)

var _ = register(scan.FuncValue, funcUnit{})

// funcUnit: a func value (scan/funcs.go), read as a handle; a func is not
// comparable, so the generated code tests nil when it writes one.
type funcUnit struct{ handleUnit }

// helperName: a named func type as a handle's (h_p0_Option); an unnamed one
// by its spelling, every other byte than a letter or digit written _XX in hex
// (func(int) int is f_func_28int_29_20int), so that two types never share it.
func (funcUnit) helperName(g *goGen, t *scan.Type) string {
	if !strings.HasPrefix(t.Canon, "func(") {
		return handleUnit{}.helperName(g, t)
	}
	var b strings.Builder
	b.WriteString("f_")
	for _, c := range []byte(g.spell(t.Canon)) {
		if ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "_%02x", c)
		}
	}
	return b.String()
}

func (funcUnit) encode(_ *goGen, _ *scan.Type, x, e, _ string) (string, bool) {
	return fmt.Sprintf("bridge.EncodeFunc(%s, %s, %s == nil)", e, x, x), false
}
