package scan

import (
	"bufio"
	"bytes"
	"go/types"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Escape facts (docs/abi.md section 8.12, docs/adr/0034): which string, []byte and numeric
// slice parameters the Go compiler proves an exported function does not keep, so that the
// bridge may hand them to it as a view of the request instead of a copy; and which func
// parameters it does not keep, so that a host may lend a callable for the call only (docs/abi.md
// section 10.9, docs/adr/0036).
//
// They come from the compiler itself: the scan's go list -export runs with EscapeFlag among its
// build flags (and the final build with the same flags, so each package still compiles once,
// docs/adr/0028); the compiler then prints its escape analysis of the module's packages
// ("./f.go:14:11: leaking param: b to result ~r0 level=0", "./f.go:17:10: xs does not escape"),
// and the go command replays that output from the build cache when the package is not compiled
// again. Anything else (no line for a parameter, another message, a message we do not know,
// GOFLAGS with its own -gcflags) leaves the parameter copied: never in place on doubt.

// EscapeFlag is the go build flag that makes the compiler print its escape analysis (-m) for
// the packages of module, and for no other package (never the standard library's).
func EscapeFlag(module string) string { return "-gcflags=" + module + "/...=-m" }

// escapeKey is where a diagnostic points: the import path of the package being compiled, and
// the file's base name, line and column (the compiler's paths are relative or trimmed; a
// package's files share one directory).
type escapeKey struct {
	pkg, file string
	line, col int
}

// escapeFacts are the compiler's diagnostics by position.
type escapeFacts map[escapeKey][]string

// diagLine is one diagnostic of the compiler: file:line:col: message.
var diagLine = regexp.MustCompile(`^(.+\.go):(\d+):(\d+): (.+)$`)

// parseEscape reads the compiler output the go command prints: blocks headed "# import/path",
// each followed by the package's diagnostics.
func parseEscape(out []byte) escapeFacts {
	facts := escapeFacts{}
	pkg := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if h, ok := strings.CutPrefix(line, "# "); ok {
			pkg = strings.TrimSpace(h)
			continue
		}
		m := diagLine.FindStringSubmatch(line)
		if m == nil || pkg == "" {
			continue
		}
		ln, err1 := strconv.Atoi(m[2])
		col, err2 := strconv.Atoi(m[3])
		if err1 != nil || err2 != nil {
			continue
		}
		k := escapeKey{pkg: pkg, file: filepath.Base(m[1]), line: ln, col: col}
		facts[k] = append(facts[k], m[4])
	}
	return facts
}

// paramNotKept reports whether the diagnostics at parameter name's position prove that the
// function does not keep it: each is "name does not escape" or "leaking param: name to result
// R level=0" (the slice itself flows to a result, nothing else: toResult is then true), and there
// is at least one.
func paramNotKept(msgs []string, name string) (ok, toResult bool) {
	if len(msgs) == 0 {
		return false, false
	}
	for _, m := range msgs {
		switch {
		case m == name+" does not escape":
		case strings.HasPrefix(m, "leaking param: "+name+" to result ") && strings.HasSuffix(m, " level=0") &&
			len(strings.Fields(m)) == 7:
			toResult = true
		default:
			return false, false
		}
	}
	return true, toResult
}

// inPlaceKind reports whether t is a parameter type the bridge can read in place: []byte, a
// string, or a slice of fixed-width numbers (not a []uint8 named otherwise: the bytes kind
// covers those); or a func value, which a host may then lend (docs/abi.md section 10.9).
func inPlaceKind(t *Type) bool {
	switch t.Kind {
	case Bytes:
		return true
	case Basic:
		return t.Under == "string"
	case Record:
		return true // if its fields are numbers, bools and strings only: settleInPlace
	case FuncValue:
		return true // if it does not escape at all (not even to a result): markInPlace
	case Slice:
		if t.Elem.Kind != Basic {
			return false
		}
		switch t.Elem.Wire {
		case "int8", "int16", "int32", "int64", "uint16", "uint32", "uint64", "float32", "float64":
			return true
		}
	}
	return false
}

// copiedResult reports whether a result of type t is written into the reply by copy and kept by
// nothing on the Go side (no handle, Go object, func value, interface or record holding it), so
// that a parameter leaking to it is still not kept once the reply is written.
func copiedResult(t *Type) bool {
	switch t.Kind {
	case Basic, Bytes:
		return true
	case Record:
		return true // if its fields are numbers, bools and strings only: settleInPlace
	case Slice:
		return t.Elem.Kind == Basic
	}
	return false
}

// markInPlace sets InPlace on the parameters of f (an entry of declared function or method,
// signature sig; its Params hold first skip entries of its own, the receiver) that the
// compiler proves f does not keep.
func (c *checker) markInPlace(f *Func, sig *types.Signature, skip int) {
	if c.escape == nil || f.Generic != nil || f.FieldSel != "" {
		return
	}
	ps := sig.Params()
	if ps.Len()+skip != len(f.Params) {
		return
	}
	for i := 0; i < ps.Len(); i++ {
		if f.Variadic && i == ps.Len()-1 {
			continue
		}
		p, v := ps.At(i), &f.Params[i+skip]
		if !inPlaceKind(&v.Type) || p.Name() == "" || p.Name() == "_" || p.Pkg() == nil || !p.Pos().IsValid() {
			continue
		}
		pos := c.fset.Position(p.Pos())
		k := escapeKey{pkg: p.Pkg().Path(), file: filepath.Base(pos.Filename), line: pos.Line, col: pos.Column}
		ok, toResult := paramNotKept(c.escape[k], p.Name())
		if !ok {
			continue
		}
		if toResult && v.Type.Kind == FuncValue {
			continue // a func flowing to a result is kept: it becomes a Go object of the host's
		}
		if toResult {
			if f.Error {
				continue // an error value may be kept as a Go object (docs/abi.md section 4.1)
			}
			copied := true
			for j := range f.Results {
				copied = copied && copiedResult(&f.Results[j].Type)
			}
			if !copied {
				continue
			}
		}
		v.InPlace, v.toResult = true, toResult
	}
}

// settleInPlace finishes markInPlace once the records' fields are known: a record parameter,
// and a parameter that flows to a record result, stay in place only when the record holds
// numbers, bools and strings only (none behind an embedded pointer: every one of them is
// copied out of it, into a Go value or the reply), the bridge then reading its strings in place
// in the scalar form (docs/abi.md section 8.13).
func (c *checker) settleInPlace(f *Func) {
	plain := func(t *Type) bool {
		if t.Kind != Record {
			return true
		}
		d := c.types[t.Key]
		if d == nil || !d.Struct || d.FieldsErr != "" {
			return false
		}
		for _, fd := range d.Fields {
			if fd.Type.Kind != Basic || len(fd.Ptrs) > 0 {
				return false
			}
		}
		return true
	}
	results := true
	for i := range f.Results {
		results = results && plain(&f.Results[i].Type)
	}
	for i := range f.Params {
		v := &f.Params[i]
		if v.InPlace && (!plain(&v.Type) || v.toResult && !results) {
			v.InPlace = false
		}
	}
}
