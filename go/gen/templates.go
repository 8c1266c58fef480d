package gen

import (
	"bytes"
	"embed"
	"fmt"
	"text/template"
)

// The fixed text of the generated files lives in templates/, readable as the
// Go and C it becomes: main.go.tmpl (the import block and the cgo export
// usegolib_call around the generated body), usegolib_bridge.c.tmpl and
// usegolib_bridge.h.tmpl. The .tmpl suffix keeps them out of go build and
// go vet; usegolib-loader/build.rs embeds them with the other sources.
//
//go:embed templates/*.tmpl
var templateFS embed.FS

var templates = template.Must(template.New("").Option("missingkey=error").ParseFS(templateFS, "templates/*.tmpl"))

// execute fills the template name with data.
func execute(name string, data any) []byte {
	var b bytes.Buffer
	if err := templates.ExecuteTemplate(&b, name, data); err != nil {
		panic("gen: template " + name + ": " + err.Error()) // the templates are embedded: a generator bug
	}
	return b.Bytes()
}

// cHeader returns usegolib_bridge.h, which declares the plain C symbols of
// usegolib_bridge.c. usegolib_call is not declared there: cgo declares it,
// with its own spelling of the parameter types, in the header it generates.
func cHeader() []byte { return execute("usegolib_bridge.h.tmpl", nil) }

// cSource returns usegolib_bridge.c: the C symbols of docs/abi.md section 1
// that do not enter Go, with the schema as static bytes. It is a .c file of
// its own because a Go file with //export may only declare C functions.
func cSource(t Target, schema []byte) []byte {
	var lines bytes.Buffer
	for i := 0; i < len(schema); i += 16 {
		lines.WriteString("\t")
		for j := i; j < i+16 && j < len(schema); j++ {
			if j > i {
				lines.WriteString(" ")
			}
			fmt.Fprintf(&lines, "0x%02x,", schema[j])
		}
		lines.WriteString("\n")
	}
	return execute("usegolib_bridge.c.tmpl", map[string]any{
		"Header":      header(t),
		"SchemaLen":   len(schema),
		"SchemaBytes": lines.String(),
		"ABIVersion":  ABIVersion,
	})
}
