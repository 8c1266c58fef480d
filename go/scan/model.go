// Package scan lists the exported API of a Go module with go list and
// go/types, and decides, in one place (support.go), which functions the
// generated bridge can call. Unsupported functions and packages are kept with
// a reason, never dropped silently.
package scan

// Result is the exported API of one module.
type Result struct {
	Module string // module path
	// GoVersion is the go directive of the module's go.mod ("1.22"), "" if unknown.
	GoVersion       string
	Packages        []*Package       // sorted by import path
	SkippedPackages []SkippedPackage // sorted by import path
}

// Package is one importable package of the module.
type Package struct {
	Path    string  // import path
	Name    string  // package name
	Doc     string  // package doc comment, "" if none
	Funcs   []*Func // supported functions, sorted by name
	Skipped []*Skipped
}

// Func is a supported exported top-level function.
type Func struct {
	Name      string
	Doc       string
	Signature string // "func AddInt(a int, b int) int"
	Params    []Var
	Results   []Var // without a trailing error
	Error     bool  // the last result is error
}

// Var is a parameter or result of a supported function.
type Var struct {
	// Name is the declared name. A blank or missing parameter name is
	// written argN; a blank or missing result name is "".
	Name string
	// Go is the type as go/types writes it relative to the package ("int",
	// "[]byte", "MyInt" for an alias).
	Go string
	// Type is the Level-1 type: its wire type and its canonical spelling.
	Type Type
}

// Type is a supported Level-1 type.
type Type struct {
	// Wire is the wire type of docs/abi.md section 5: bool, int8 .. int64,
	// uint8 .. uint64, float32, float64, string, bytes, or []T.
	Wire string
	// Canon spells the type with predeclared names only, aliases removed
	// ("int", "[]byte", "[][]int64"); generated code uses it.
	Canon string
}

// Skipped is an exported function the bridge does not support.
type Skipped struct {
	Name      string
	Signature string
	Reason    string // e.g. "parameter ch has type chan int: channels are not supported"
}

// SkippedPackage is a package of the module the bridge cannot import.
type SkippedPackage struct {
	Path   string
	Reason string
	// Broken is true when the package (or a dependency) failed to load or
	// type-check, as opposed to being a main or internal package.
	Broken bool
}
