package gen

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"

	"github.com/usegolib/usegolib/go/scan"
)

// The schema JSON of docs/abi.md section 5. Field order is the order of the
// document; empty lists are written [] (never null).

type schemaDoc struct {
	SchemaVersion   int                    `json:"schema_version"`
	ABIVersion      int                    `json:"abi_version"`
	Module          string                 `json:"module"`
	Version         string                 `json:"version"`
	Packages        []schemaPackage        `json:"packages"`
	SkippedPackages []schemaSkippedPackage `json:"skipped_packages"` // beyond docs/abi.md
	Types           map[string]schemaType  `json:"types"`            // section 8.2; keys sorted
}

type schemaType struct {
	Kind        string         `json:"kind"`
	Name        string         `json:"name"`
	Package     string         `json:"package"`
	Doc         string         `json:"doc"`
	Go          string         `json:"go,omitempty"`
	Fields      *[]schemaField `json:"fields,omitempty"`      // structs: their record form
	Constructor *int           `json:"constructor,omitempty"` // handles
	Methods     *[]int         `json:"methods,omitempty"`     // handles
	// Callback: func types, as a host callable implements them (section 10).
	Callback *schemaCallback `json:"callback,omitempty"`
	// Implement: interfaces, as a host object implements them (section 10.7).
	Implement *schemaImplement `json:"implement,omitempty"`
	// Value types (section 8.8): the wire type of their values, and whether they are an enum.
	Type string `json:"type,omitempty"`
	Enum bool   `json:"enum,omitempty"`
}

// schemaImplement is an interface's method set as a host object implements
// it (methods sorted by name, each a callback), or why it cannot (Reason).
type schemaImplement struct {
	Methods []schemaMethod `json:"methods"`
	Reason  string         `json:"reason,omitempty"`
}

type schemaMethod struct {
	Name string `json:"name"`
	schemaCallback
}

// schemaCallback is a func type's signature as Go calls a host callable,
// or why a host callable cannot be one (Reason, the rest empty).
type schemaCallback struct {
	Params   []schemaVar `json:"params"`
	Results  []schemaVar `json:"results"`
	Error    bool        `json:"error"`
	Variadic bool        `json:"variadic,omitempty"`
	Reason   string      `json:"reason,omitempty"`
}

type schemaField struct {
	Name      string `json:"name"`
	Key       string `json:"key"`
	Go        string `json:"go"`
	Type      string `json:"type"`
	Required  bool   `json:"required"`
	OmitEmpty bool   `json:"omitempty"`
	Doc       string `json:"doc,omitempty"`
}

type schemaPackage struct {
	Path      string          `json:"path"`
	Name      string          `json:"name"`
	Doc       string          `json:"doc"`
	Functions []schemaFunc    `json:"functions"`
	Skipped   []schemaSkipped `json:"skipped"`
	Consts    []schemaConst   `json:"consts"` // section 8.8
}

// schemaConst is an exported constant (docs/abi.md section 8.8).
type schemaConst struct {
	Name  string `json:"name"`
	Go    string `json:"go"`
	Kind  string `json:"kind"`
	Value string `json:"value"`
	Type  string `json:"type,omitempty"`
	Class string `json:"class,omitempty"`
	Doc   string `json:"doc,omitempty"`
}

type schemaFunc struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	// Kind is what the entry calls: function, method, constructor, var or
	// generic (docs/abi.md section 5).
	Kind      string      `json:"kind"`
	Doc       string      `json:"doc"`
	Signature string      `json:"signature"`
	Params    []schemaVar `json:"params"`
	Results   []schemaVar `json:"results"`
	Error     bool        `json:"error"`
	// Section 8: present only when they say something.
	Receiver string         `json:"receiver,omitempty"`
	Var      string         `json:"var,omitempty"`
	Variadic bool           `json:"variadic,omitempty"`
	Generic  *schemaGeneric `json:"generic,omitempty"`
	// Scalar: the scalar index of an entry with a scalar form (section 8.11, scalar_call.go).
	Scalar *int `json:"scalar,omitempty"`
}

type schemaGeneric struct {
	Name     string   `json:"name"`
	TypeArgs []string `json:"type_args"`
}

type schemaVar struct {
	Name string `json:"name"`
	Go   string `json:"go"`
	Type string `json:"type"`
	// Class: the key of the value type (section 8.8) the value is an instance of.
	Class string `json:"class,omitempty"`
	// InPlace: Go reads this parameter in place (section 8.12), so a host aligns a packed
	// array sent for it.
	InPlace bool `json:"in_place,omitempty"`
}

type schemaSkipped struct {
	Name      string `json:"name"`
	Signature string `json:"signature"`
	Reason    string `json:"reason"`
}

type schemaSkippedPackage struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Schema returns the schema JSON: indented, ending in a newline. Function
// ids are dense from 0 in the order of res (packages by path, functions by
// name), the same order main.go gives them to bridge.New.
func Schema(t Target, res *scan.Result) ([]byte, error) {
	doc := schemaDoc{
		SchemaVersion:   SchemaVersion,
		ABIVersion:      ABIVersion,
		Module:          t.Path,
		Version:         t.Version,
		Packages:        []schemaPackage{},
		SkippedPackages: []schemaSkippedPackage{},
		Types:           map[string]schemaType{},
	}
	id := 0
	ids := map[string]int{} // "<import path>.<entry name>" -> id
	scalars := scalarIndices(res)
	for _, p := range res.Packages {
		sp := schemaPackage{Path: p.Path, Name: p.Name, Doc: p.Doc, Functions: []schemaFunc{}, Skipped: []schemaSkipped{}, Consts: []schemaConst{}}
		for _, k := range p.Consts {
			sp.Consts = append(sp.Consts, schemaConst{Name: k.Name, Go: k.Go, Kind: k.Kind, Value: k.Value, Type: k.Type, Class: k.Class, Doc: k.Doc})
		}
		for _, f := range p.Funcs {
			sf := schemaFunc{
				ID:        id,
				Name:      f.Name,
				Kind:      funcKind(f),
				Doc:       f.Doc,
				Signature: f.Signature,
				Params:    schemaVars(f.Params),
				Results:   schemaVars(f.Results),
				Error:     f.Error,
				Receiver:  f.Receiver,
				Variadic:  f.Variadic,
			}
			if f.Kind == scan.KindVar {
				sf.Var = f.GoName
			}
			if f.Generic != nil {
				sf.Generic = &schemaGeneric{Name: f.Generic.Name, TypeArgs: f.Generic.TypeArgs}
			}
			if i, ok := scalars[f]; ok {
				sf.Scalar = &i
			}
			sp.Functions = append(sp.Functions, sf)
			ids[p.Path+"."+f.Name] = id
			id++
		}
		for _, s := range p.Skipped {
			sp.Skipped = append(sp.Skipped, schemaSkipped{Name: s.Name, Signature: s.Signature, Reason: s.Reason})
		}
		doc.Packages = append(doc.Packages, sp)
	}
	for _, s := range res.SkippedPackages {
		doc.SkippedPackages = append(doc.SkippedPackages, schemaSkippedPackage{Path: s.Path, Reason: s.Reason})
	}
	for key, d := range res.Types {
		st := schemaType{Kind: d.Kind, Name: d.Name, Package: d.Package, Doc: d.Doc, Go: d.Go}
		if d.Struct && d.FieldsErr == "" {
			fields := []schemaField{}
			for _, f := range d.Fields {
				fields = append(fields, schemaField{Name: f.Name, Key: f.Key, Go: f.Go, Type: f.Type.Wire,
					Required: f.Required, OmitEmpty: f.OmitEmpty, Doc: f.Doc})
			}
			st.Fields = &fields
		}
		if d.Kind == "value" {
			st.Type, st.Enum = d.Value.Wire, d.Enum
		}
		if d.Kind == "handle" || d.Kind == "value" {
			if id, ok := ids[d.Package+"."+d.Constructor]; ok && d.Constructor != "" {
				st.Constructor = &id
			}
			methods := []int{}
			for _, m := range d.Methods {
				methods = append(methods, ids[d.Package+"."+m])
			}
			sort.Ints(methods)
			st.Methods = &methods
		}
		if d.Interface && d.Kind == "handle" {
			st.Implement = &schemaImplement{Methods: []schemaMethod{}, Reason: d.ImplementErr}
			for _, m := range d.Implement {
				st.Implement.Methods = append(st.Implement.Methods, schemaMethod{Name: m.Name, schemaCallback: schemaCallback{
					Params: schemaVars(m.Params), Results: schemaVars(m.Results), Error: m.Error, Variadic: m.Variadic}})
			}
		}
		if d.Func {
			st.Callback = &schemaCallback{Params: []schemaVar{}, Results: []schemaVar{}, Reason: d.CallbackErr}
			if cb := d.Callback; cb != nil {
				st.Callback = &schemaCallback{Params: schemaVars(cb.Params), Results: schemaVars(cb.Results),
					Error: cb.Error, Variadic: cb.Variadic}
			}
		}
		doc.Types[key] = st
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func schemaVars(vs []scan.Var) []schemaVar {
	out := []schemaVar{}
	for _, v := range vs {
		sv := schemaVar{Name: v.Name, Go: v.Go, Type: v.Type.Wire, InPlace: v.InPlace}
		if !strings.HasPrefix(v.Type.Wire, "&") && !strings.HasPrefix(v.Type.Wire, "@") {
			sv.Class = v.Type.Key // a value type's key; "" for the others
		}
		out = append(out, sv)
	}
	return out
}

// funcKind names an entry's kind in the schema.
func funcKind(f *scan.Func) string {
	switch f.Kind {
	case scan.KindMethod, scan.KindCall:
		return "method"
	case scan.KindConstructor:
		return "constructor"
	case scan.KindVar:
		return "var"
	}
	if f.Generic != nil {
		return "generic"
	}
	return "function"
}
