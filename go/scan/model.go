// Package scan lists the exported API of a Go module with go list and
// go/types, and decides, in one place (support.go and record.go), which
// functions, methods and variables the generated bridge can call. Unsupported
// ones and packages are kept with a reason, never dropped silently.
package scan

import "fmt"

// Result is the exported API of one module.
type Result struct {
	Module string // module path
	// GoVersion is the go directive of the module's go.mod ("1.22"), "" if unknown.
	GoVersion       string
	Packages        []*Package       // sorted by import path
	SkippedPackages []SkippedPackage // sorted by import path
	// Types holds the record and handle types (docs/abi.md section 8.2) by key
	// ("<import path>.<Name>"): every one a supported entry uses, and every
	// handle type declared in the module's packages.
	Types map[string]*TypeDef
}

// Package is one importable package of the module.
type Package struct {
	Path    string  // import path
	Name    string  // package name
	Doc     string  // package doc comment, "" if none
	Funcs   []*Func // supported entries, sorted by name
	Skipped []*Skipped
	Consts  []*Const // exported constants, sorted by name (consts.go)
}

// FuncKind says what a Func entry calls.
type FuncKind int

const (
	// KindFunc is a top-level function, or an instantiation of a generic one.
	KindFunc FuncKind = iota
	// KindMethod is a method of a handle type: Params[0] is the receiver.
	KindMethod
	// KindConstructor makes a new value of a struct handle type from nil or
	// a record of its fields.
	KindConstructor
	// KindVar reads a package variable.
	KindVar
	// KindCall calls a func value: Params[0] is the func (a handle of the
	// func type Receiver), the others its arguments ("Option.__call__").
	KindCall
)

// Func is one supported entry of the schema: a function, a method, a
// constructor or a package variable.
type Func struct {
	// Name is the schema name: "AddInt", "Counter.Add" (a method),
	// "Counter.__new__" (a constructor), "Default" (a variable),
	// "Keys[string,int64]" (a generic instantiation).
	Name      string
	Doc       string
	Signature string // "func AddInt(a int, b int) int"
	Params    []Var
	Results   []Var // without a trailing error
	Error     bool  // the last result is error

	Kind FuncKind
	// GoName is the Go identifier called or read: the function, method or
	// variable name.
	GoName string
	// Receiver is the key of a method's receiver type; "@" + key for a method of a record
	// (its receiver, Params[0], is the record by value: docs/abi.md section 8.3).
	Receiver string
	// Constructs is the key of the type a constructor makes.
	Constructs string
	// Variadic: the last parameter is ...T, carried as one []T list.
	Variadic bool
	// Generic describes an instantiation of a generic function.
	Generic *Generic
	// FieldSel selects the exported field a field accessor of a struct handle type reads or
	// writes ("X.F.__get__", "X.F.__set__": method entries, docs/abi.md section 8.3); SetField
	// says it writes it (Params[1] is the value).
	FieldSel string
	SetField bool
	// VarAddr: the variable is a value of a handle type X and the entry
	// returns a handle to the variable itself (&Name), so that methods act on
	// it.
	VarAddr bool
	// PtrRecv: a method of a value type (values.go) declared with a pointer receiver; it is
	// called on a copy of the value.
	PtrRecv bool
}

// Generic is the instantiation of a generic function.
type Generic struct {
	Name     string   // the generic function's name: "Keys"
	TypeArgs []string // as the schema spells them: "string", "example.com/m.Point"
	Canon    []string // as generated code spells them (see Type.Canon)
}

// Var is a parameter or result of a supported entry.
type Var struct {
	// Name is the declared name. A blank or missing parameter name is
	// written argN; a blank or missing result name is "".
	Name string
	// Go is the type as go/types writes it relative to the package ("int",
	// "[]byte", "MyInt" for an alias, "...int" for a variadic parameter).
	Go string
	// Type is the supported type: its wire type and its canonical spelling.
	Type Type
	// InPlace: the bridge may hand this parameter to the function as a view of the request
	// instead of a copy, because the Go compiler proves the function does not keep it
	// (escape.go, docs/abi.md section 8.12). Only strings, []byte and slices of fixed-width
	// numbers (inPlaceKind), records of numbers, bools and strings (the string fields of a
	// flat record in the scalar form, docs/abi.md section 8.13), and func values that do not
	// escape at all (a host may lend a callable for the call, docs/abi.md section 10.9).
	InPlace bool
	// toResult: the compiler's proof for InPlace has the parameter flow to a result (settled
	// once the records' fields are known, settleInPlace).
	toResult bool
}

// Kind is the shape of a supported type, which says how generated code
// converts it.
type Kind int

const (
	Basic     Kind = iota // bool, the integers, the floats, string (Under names which)
	Bytes                 // []byte
	Slice                 // []Elem
	Array                 // [Len]Elem
	BytesN                // [Len]byte
	Map                   // map[MapKey]Elem; MapKey's underlying type is string
	Pointer               // *Elem, Elem not a handle type
	Record                // a struct, Key names it in Result.Types
	Handle                // *X for a handle type X, or an interface with methods; Key names it
	Any                   // any, interface{}, or a named empty interface
	Time                  // time.Time
	Duration              // time.Duration
	Error                 // error (results only)
	FuncValue             // a func value (named func type or func(...)): a handle, Key names it
	Reader                // io.Reader as a parameter: bytes, or a handle to a Go io.Reader
	Context               // context.Context as a parameter: one the bridge makes, or a handle
	Writer                // io.Writer as a parameter: a host object with write, or a handle to a Go io.Writer

	numKinds // the number of kinds; not a kind
)

var kindNames = [...]string{"Basic", "Bytes", "Slice", "Array", "BytesN", "Map", "Pointer", "Record", "Handle", "Any", "Time",
	"Duration", "Error", "FuncValue", "Reader", "Context", "Writer"}

// A compile error here means a Kind was added without its name in kindNames.
var _ [numKinds]struct{} = [len(kindNames)]struct{}{}

// ownKind holds the defined types that travel as a wire type of their own
// (docs/abi.md section 8.1), keyed "<import path>.<Name>": one line each.
// Every place that recognises such a type asks ownWireType.
var ownKind = map[string]Type{
	"time.Time":     {Wire: "time", Canon: `"time".Time`, Kind: Time},
	"time.Duration": {Wire: "duration", Canon: `"time".Duration`, Kind: Duration, Under: "int64", Named: true},
	// io.Reader is a kind of its own only as a parameter (ownWireTypeIn); as a result or a
	// field it stays a handle of the interface.
	"io.Reader": {Wire: "reader", Canon: `"io".Reader`, Kind: Reader},
	// context.Context is a kind of its own only as a parameter itself (not inside one): the
	// bridge makes the context and ends it when the call returns (bridge/context.go).
	"context.Context": {Wire: "context", Canon: `"context".Context`, Kind: Context},
	// io.Writer likewise: a parameter takes a host object whose write Go calls (docs/abi.md
	// section 10).
	"io.Writer": {Wire: "writer", Canon: `"io".Writer`, Kind: Writer},
}

func (k Kind) String() string {
	if k < 0 || k >= numKinds {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindNames[k]
}

// Kinds returns every Kind, in order (the generator checks it has a unit for each).
func Kinds() []Kind {
	ks := make([]Kind, numKinds)
	for i := range ks {
		ks[i] = Kind(i)
	}
	return ks
}

// Type is a supported type.
type Type struct {
	// Wire is the wire type of docs/abi.md sections 5 and 8.1: bool, int8 ..
	// int64, uint8 .. uint64, float32, float64, string, bytes, []T, [N]T,
	// bytes[N], map[string]T, *T, @K, &K, any, time, duration, reader, context or
	// error.
	Wire string
	// Canon spells the Go type for generated code: predeclared names,
	// aliases removed, and defined types written "import/path".Name, for
	// example "[]int", "map[string]\"example.com/m\".Point".
	Canon string
	Kind  Kind
	// Under is the predeclared type a Basic or Bytes value is read and
	// written as ("float64" for a Celsius, "[]byte"); Named says Canon is a
	// defined type, so generated code converts between the two.
	Under string
	Named bool
	Elem  *Type  // Slice, Array, Map, Pointer
	Len   int64  // Array, BytesN
	Key   string // Record, Handle: the key in Result.Types
	// ByValue marks a Handle of a struct with hidden state used by value (T, not *T): the
	// handle holds a *T to a copy, and Go receives a copy of it (docs/abi.md section 8.3).
	ByValue bool
	// MapKey is the key type of a Map: string, or a defined string type.
	MapKey *Type
}

// TypeDef is a record, handle or value type of the schema (docs/abi.md sections 8.2 and 8.8).
type TypeDef struct {
	Key     string // "<import path>.<Name>"
	Kind    string // "record", "handle" or "value"
	Name    string
	Package string // import path
	Doc     string
	// Go spells a handle as the bridge holds it: "*level3.Counter", or
	// "level3.Shape" for an interface.
	Go string
	// Canon spells the named type for generated code: "\"example.com/m\".Point".
	Canon     string
	Interface bool // a handle type that is an interface
	Func      bool // a handle type that is a func type (named, or unnamed: see funcType in funcs.go)
	Struct    bool // the type is a struct: Fields is its record form
	// Fields is the record form of a struct, in output order. For a handle
	// type every field is optional (it is the input of the constructor).
	Fields []Field
	// FieldsErr says why the struct cannot travel as a record ("" if it can).
	FieldsErr string
	// Accessors are a struct handle type's fields that travel, whether or not all do: its
	// field accessors read and write them (checker.accessors filters them).
	Accessors []Field
	// Constructor is the name of the constructor entry ("Counter.__new__")
	// in the type's package, "" if there is none.
	Constructor string
	// Methods are the names of the method entries in the type's package.
	Methods []string
	// Callback is a func type's signature as a host callable implements it
	// (docs/abi.md section 10): nil when a host callable cannot be one,
	// CallbackErr saying why.
	Callback    *Callback
	CallbackErr string
	// Implement is an interface's method set as a host object implements it
	// (docs/abi.md section 10.7), sorted by name: nil when a host object
	// cannot be one, ImplementErr saying why.
	Implement    []ImplMethod
	ImplementErr string
	// Value is a value type's supported type (its Wire is the underlying type's wire type).
	Value *Type
	// Enum: a value type over an integer type whose package declares constants of it.
	Enum bool
}

// Callbacks returns the signatures Go calls a host object with, for d: its
// Callback (a func type) and its Implement methods (an interface).
func (d *TypeDef) Callbacks() []*Callback {
	var cbs []*Callback
	if d.Callback != nil {
		cbs = append(cbs, d.Callback)
	}
	for i := range d.Implement {
		cbs = append(cbs, &d.Implement[i].Callback)
	}
	return cbs
}

// ImplMethod is one method of an interface a host object implements.
type ImplMethod struct {
	Name string
	Callback
}

// Callback is the signature of a func type called from Go into the host:
// Params travel Go -> host (checked as results are), Results host -> Go
// (checked as parameters are), without a trailing error.
type Callback struct {
	Params   []Var
	Results  []Var
	Error    bool
	Variadic bool
}

// Field is one field of a record, after embedded structs are flattened.
type Field struct {
	Name      string // the Go field name
	Key       string // the key on the wire
	Go        string // the Go type relative to the struct's package
	Type      Type
	Required  bool
	OmitEmpty bool
	Doc       string
	// Sel selects the field from a value of the struct: "X", "Inner.X".
	Sel string
	// Ptrs are the embedded pointers on the way to the field, outermost
	// first: a nil one means the field is absent on output, and is
	// allocated on input when the field is given.
	Ptrs []EmbeddedPtr
}

// EmbeddedPtr is an embedded pointer to a struct crossed to reach a field.
type EmbeddedPtr struct {
	Sel string // selects the pointer from the outer struct value: "Inner"
}

// Skipped is an exported function, method or variable the bridge does not
// support.
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
