// Package geo is a second package.
package geo

// Area returns w*h.
func Area(w, h float64) float64 { return w * h }
