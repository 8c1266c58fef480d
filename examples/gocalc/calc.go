// Package gocalc is the example Go module of the usegolib demo: plain Go, nothing usegolib-specific.
package gocalc

import (
	"crypto/sha256"
	"errors"
	"math"
	"strconv"
)

// AddInt returns a+b.
func AddInt(a, b int) int { return a + b }

// Stats returns the minimum, maximum and mean of xs.
func Stats(xs []float64) (min, max, mean float64, err error) {
	if len(xs) == 0 {
		return 0, 0, 0, errors.New("stats of an empty list")
	}
	min, max = math.Inf(1), math.Inf(-1)
	var sum float64
	for _, x := range xs {
		min = math.Min(min, x)
		max = math.Max(max, x)
		sum += x
	}
	return min, max, sum / float64(len(xs)), nil
}

// ParseInt parses a base-10 int64.
func ParseInt(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) }

// Digest returns the SHA-256 of data.
func Digest(data []byte) []byte {
	sum := sha256.Sum256(data)
	return sum[:]
}

// Primes returns the primes below n.
func Primes(n int) []int {
	var out []int
	sieve := make([]bool, n)
	for i := 2; i < n; i++ {
		if !sieve[i] {
			out = append(out, i)
			for j := i * i; j < n; j += i {
				sieve[j] = true
			}
		}
	}
	return out
}

// Subscribe is here to show a function usegolib skips, with the reason.
func Subscribe(events chan string) {}
