package gen

import "github.com/usegolib/usegolib/go/scan"

var _ = register(scan.Any, anyUnit{})

// anyUnit: any, interface{} and named empty interfaces, written by
// reflection at run time (bridge/any.go); its values nest without bound.
type anyUnit struct{}

func (anyUnit) helperName(*goGen, *scan.Type) string { return "any" }

func (anyUnit) decode(*goGen, *scan.Type, string) (string, func(string) string) {
	return "d.Any()", identity
}

func (anyUnit) encode(_ *goGen, _ *scan.Type, x, _, depth string) (string, bool) {
	if depth == "" {
		panic("gen: any is always deep")
	}
	return "e.Any(" + x + ", " + depth + ")", true
}

func (anyUnit) nonEmpty(_ *scan.Type, x string) string { return notNil(x) }

func (anyUnit) nesting(*goGen, *scan.Type) int        { return unbounded }
func (anyUnit) inner(*goGen, *scan.Type) []*scan.Type { return nil }
