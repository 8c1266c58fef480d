package gen

import (
	"bytes"
	"encoding/json"

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
}

type schemaPackage struct {
	Path      string          `json:"path"`
	Name      string          `json:"name"`
	Doc       string          `json:"doc"`
	Functions []schemaFunc    `json:"functions"`
	Skipped   []schemaSkipped `json:"skipped"`
}

type schemaFunc struct {
	ID        int         `json:"id"`
	Name      string      `json:"name"`
	Doc       string      `json:"doc"`
	Signature string      `json:"signature"`
	Params    []schemaVar `json:"params"`
	Results   []schemaVar `json:"results"`
	Error     bool        `json:"error"`
}

type schemaVar struct {
	Name string `json:"name"`
	Go   string `json:"go"`
	Type string `json:"type"`
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
	}
	id := 0
	for _, p := range res.Packages {
		sp := schemaPackage{Path: p.Path, Name: p.Name, Doc: p.Doc, Functions: []schemaFunc{}, Skipped: []schemaSkipped{}}
		for _, f := range p.Funcs {
			sp.Functions = append(sp.Functions, schemaFunc{
				ID:        id,
				Name:      f.Name,
				Doc:       f.Doc,
				Signature: f.Signature,
				Params:    schemaVars(f.Params),
				Results:   schemaVars(f.Results),
				Error:     f.Error,
			})
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
		out = append(out, schemaVar{Name: v.Name, Go: v.Go, Type: v.Type.Wire})
	}
	return out
}
