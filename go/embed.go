// Package usegolib holds, as data, the files of this Go module that the
// generator copies into every bridge module: the runtime package bridge/ and
// the go directive it needs. (//go:embed cannot reach parent directories,
// so this lives at the module root.)
package usegolib

import (
	"embed"
	"go/parser"
	"go/token"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed bridge/*.go
var bridgeFS embed.FS

//go:embed go.mod
var goMod string

// File is a file to write into a generated module.
type File struct {
	Name string // slash-separated, relative to the module root
	Data []byte
}

// BridgeFiles returns the non-test Go files of the runtime package bridge,
// named bridge/<file>, sorted by name.
func BridgeFiles() []File {
	var files []File
	err := fs.WalkDir(bridgeFS, "bridge", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") || path.Dir(p) != "bridge" {
			return nil
		}
		data, err := bridgeFS.ReadFile(p)
		files = append(files, File{Name: p, Data: data})
		return err
	})
	if err != nil {
		panic("usegolib: reading embedded bridge files: " + err.Error()) // cannot happen: embedded at build time
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	return files
}

// BridgeImports returns the packages every bridge library links beyond the
// module's own: the imports of the runtime package bridge (the standard
// library only) and runtime/cgo, sorted. The builder has go list compile them
// while it scans, with the final build's flags, so that the compile step
// finds them in the build cache (docs/adr/0028).
func BridgeImports() []string {
	seen := map[string]bool{"runtime/cgo": true}
	fset := token.NewFileSet()
	for _, f := range BridgeFiles() {
		file, err := parser.ParseFile(fset, f.Name, f.Data, parser.ImportsOnly)
		if err != nil {
			panic("usegolib: parsing embedded bridge file " + f.Name + ": " + err.Error()) // cannot happen: it compiles
		}
		for _, imp := range file.Imports {
			if p, err := strconv.Unquote(imp.Path.Value); err == nil && p != "C" && p != "unsafe" {
				seen[p] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// RuntimeGoVersion is the go directive of this module ("1.24"): the Go
// language version the bridge runtime is written in, and so the least go
// directive of a generated bridge module.
func RuntimeGoVersion() string {
	for _, line := range strings.Split(goMod, "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "go" {
			return f[1]
		}
	}
	panic("usegolib: go.mod has no go directive")
}
