// Package textutil is a second package of the example module.
package textutil

import "strings"

// Words splits s into words.
func Words(s string) []string { return strings.Fields(s) }

// Title upper-cases the first letter of each word.
func Title(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}
