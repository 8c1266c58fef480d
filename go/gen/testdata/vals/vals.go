// Package vals has constants and value types (docs/abi.md section 8.8).
package vals

// Constants of every kind.
const (
	Big        = 1 << 70
	Pi         = 3.14159
	Name       = "vals"
	Bad        = "\xff"
	On         = true
	Z          = 1i
	Small int8 = -3
)

// Color is an enum.
type Color int

// The colors.
const (
	Red Color = iota
	Green
)

// String names the color.
func (c Color) String() string { return [...]string{"Red", "Green"}[c] }

// Stack is a named slice with methods.
type Stack []int

// Top returns the last element.
func (s Stack) Top() int { return s[len(s)-1] }

// Push appends (a pointer receiver: a copy from the host).
func (s *Stack) Push(x int) int {
	*s = append(*s, x)
	return len(*s)
}

// Mix returns a color.
func Mix(a, b Color) Color { return (a + b) % 2 }

// Make returns a stack.
func Make(xs ...int) Stack { return xs }
