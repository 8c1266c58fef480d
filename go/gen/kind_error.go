package gen

import "github.com/usegolib/usegolib/go/scan"

var _ = register(scan.Error, errorUnit{})

// errorUnit: an error value that is not a function's trailing error
// (results only): nil, or [message, Go type] and, once error values are on, its chain
// (bridge/error_value.go): three levels.
type errorUnit struct{}

func (errorUnit) helperName(*goGen, *scan.Type) string { return "error" }

func (errorUnit) decode(*goGen, *scan.Type, string) (string, func(string) string) {
	panic("gen: error values are results only")
}

func (errorUnit) encode(_ *goGen, _ *scan.Type, x, _, depth string) (string, bool) {
	if depth != "" {
		return "e.ErrorValueAt(" + x + ", " + depth + ")", true
	}
	return "e.ErrorValue(" + x + ")", false
}

func (errorUnit) nonEmpty(_ *scan.Type, x string) string { return notNil(x) }

func (errorUnit) nesting(*goGen, *scan.Type) int        { return 3 }
func (errorUnit) inner(*goGen, *scan.Type) []*scan.Type { return nil }
