// Package textutil is a second package of the example module.
package textutil

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

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

// MapWords applies f to each word of s and joins the results with spaces: f may be a Python
// callable.
func MapWords(s string, f func(string) string) string {
	words := strings.Fields(s)
	for i, w := range words {
		words[i] = f(w)
	}
	return strings.Join(words, " ")
}

// WriteNumbered writes the lines to w, numbered: w may be any Python object with write().
func WriteNumbered(w io.Writer, lines []string) error {
	for i, l := range lines {
		if _, err := fmt.Fprintf(w, "%d. %s\n", i+1, l); err != nil {
			return err
		}
	}
	return nil
}

// Decode decodes JSON into v, as json.Unmarshal does: v may be a usegolib.Ref.
func Decode(data []byte, v any) error { return json.Unmarshal(data, v) }
