// Package bridge is the runtime of every generated usegolib bridge.
//
// A bridge is a Go c-shared library that lets Rust and Python call the functions of a Go module
// in-process. The generator (go/gen) copies the non-test files of this package into each generated
// bridge module and writes a small `package main` that exports `usegolib_call` and describes every
// supported function as a [Func]: its qualified name, its parameters and a typed Call adapter that
// reads the arguments with a [Decoder] and writes the result with an [Encoder].
//
// The wire contract is docs/abi.md (ABI version 1) at the root of the usegolib repository, and the
// frozen conformance vectors in tests/fixtures/abi/. In short:
//
//   - a request is the MessagePack array [abi, op, target, args];
//   - a reply is [0, result] on success or [1, {kind, message, detail}] on failure;
//   - [Bridge.Serve] validates the whole request structurally (sizes, nesting depth, element
//     count, trailing bytes) in one iterative pass before anything is allocated or dispatched,
//     then runs the function under recover, so malformed input and panics become typed error
//     replies and never crash the host process.
//
// The package is pure Go: no cgo, and unsafe only in inplace.go, which hands user code an
// argument where it lies in the request when the compiler proves it is not kept (docs/adr/0034).
// Copying the reply into C memory is the job of the
// generated main package.
package bridge
