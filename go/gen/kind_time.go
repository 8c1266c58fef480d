package gen

import "github.com/usegolib/usegolib/go/scan"

var _ = register(scan.Time, timeUnit{})

// timeUnit: time.Time, the array [unix_seconds, nanoseconds,
// utc_offset_seconds] on the wire (bridge/time.go).
type timeUnit struct{}

func (timeUnit) helperName(*goGen, *scan.Type) string { return "time" }

func (timeUnit) decode(*goGen, *scan.Type, string) (string, func(string) string) {
	return "d.Time()", identity
}

func (timeUnit) encode(_ *goGen, _ *scan.Type, x, _, depth string) (string, bool) {
	if depth != "" {
		return "e.TimeAt(" + x + ", " + depth + ")", true
	}
	return "e.Time(" + x + ")", false
}

// nonEmpty: encoding/json never finds a struct empty.
func (timeUnit) nonEmpty(*scan.Type, string) string { return "" }

func (timeUnit) nesting(*goGen, *scan.Type) int        { return 1 }
func (timeUnit) inner(*goGen, *scan.Type) []*scan.Type { return nil }
