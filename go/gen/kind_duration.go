package gen

import "github.com/usegolib/usegolib/go/scan"

var _ = register(scan.Duration, durationUnit{})

// durationUnit: time.Duration, on the wire an int64 of nanoseconds.
type durationUnit struct{ scalar }

func (durationUnit) helperName(*goGen, *scan.Type) string { return "duration" }

func (durationUnit) decode(g *goGen, t *scan.Type, _ string) (string, func(string) string) {
	return basicDecode("int64"), g.convertTo(t)
}

func (durationUnit) encode(_ *goGen, _ *scan.Type, x, _, _ string) (string, bool) {
	return basicEncode("int64", x, true), false
}

func (durationUnit) nonEmpty(_ *scan.Type, x string) string { return x + " != 0" }
