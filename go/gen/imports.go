package gen

import (
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/usegolib/usegolib/go/scan"
)

// imports collects the import block of main.go while the body is generated:
// every package gets an alias (p0, p1, ...) up front; the packages whose
// entries main.go calls are always imported, the other packages its types
// name only when spell has written one of their types.
type imports struct {
	aliases map[string]string // import path -> alias
	called  []string          // import paths with entries, in alias order
	named   []string          // the other import paths types name, sorted
	used    map[string]bool   // import paths spell has written
}

func newImports() *imports {
	return &imports{aliases: map[string]string{}, used: map[string]bool{}}
}

// alias gives path the next alias.
func (im *imports) alias(path string) string {
	a := "p" + strconv.Itoa(len(im.aliases))
	im.aliases[path] = a
	return a
}

// call adds a package whose entries main.go calls and returns its alias.
func (im *imports) call(path string) string {
	im.called = append(im.called, path)
	return im.alias(path)
}

// name adds the import paths that the types of res name, sorted, unless
// they are imported already.
func (im *imports) name(res *scan.Result) {
	for _, path := range referencedPaths(res) {
		if _, ok := im.aliases[path]; !ok {
			im.alias(path)
			im.named = append(im.named, path)
		}
	}
}

// specs returns the import specs of the block: alias "path" for every
// called package, then for every named one that was used.
func (im *imports) specs() []string {
	var out []string
	for _, path := range im.called {
		out = append(out, im.aliases[path]+" "+strconv.Quote(path))
	}
	for _, path := range im.named {
		if im.used[path] {
			out = append(out, im.aliases[path]+" "+strconv.Quote(path))
		}
	}
	return out
}

var quotedPath = regexp.MustCompile(`"(?:[^"\\]|\\.)*"\.`)

// importPaths returns the import paths named in a canonical spelling.
func importPaths(canon string) []string {
	var out []string
	for _, m := range quotedPath.FindAllString(canon, -1) {
		p, err := strconv.Unquote(strings.TrimSuffix(m, "."))
		if err != nil {
			panic("gen: bad canonical type " + canon)
		}
		out = append(out, p)
	}
	return out
}

// spell writes a canonical type with the import aliases, and records the
// packages it names as used.
func (im *imports) spell(canon string) string {
	return quotedPath.ReplaceAllStringFunc(canon, func(m string) string {
		p, err := strconv.Unquote(strings.TrimSuffix(m, "."))
		a, ok := im.aliases[p]
		if err != nil || !ok {
			panic("gen: no import alias for " + m + " in " + canon)
		}
		im.used[p] = true
		return a + "."
	})
}

// spell writes a canonical type as main.go spells it.
func (g *goGen) spell(canon string) string { return g.imports.spell(canon) }

// aliasName names a defined type in helper names: p0_Point.
func (g *goGen) aliasName(canon string) string {
	return strings.ReplaceAll(g.spell(strings.TrimPrefix(canon, "*")), ".", "_")
}

// referencedPaths returns, sorted, the import paths that the types of res
// name: those of its entries, and of the fields of its records.
func referencedPaths(res *scan.Result) []string {
	seen := map[string]bool{}
	add := func(canon string) {
		for _, p := range importPaths(canon) {
			seen[p] = true
		}
	}
	var visit func(t *scan.Type)
	visit = func(t *scan.Type) {
		for ; t != nil; t = t.Elem {
			add(t.Canon)
			if t.MapKey != nil {
				add(t.MapKey.Canon)
			}
		}
	}
	for _, p := range res.Packages {
		for _, f := range p.Funcs {
			for i := range f.Params {
				visit(&f.Params[i].Type)
			}
			for i := range f.Results {
				visit(&f.Results[i].Type)
			}
			if f.Generic != nil {
				for _, c := range f.Generic.Canon {
					add(c)
				}
			}
		}
	}
	for _, d := range res.Types {
		add(d.Canon)
		for i := range d.Fields {
			visit(&d.Fields[i].Type)
		}
		for _, cb := range d.Callbacks() {
			for _, vs := range [][]scan.Var{cb.Params, cb.Results} {
				for i := range vs {
					visit(&vs[i].Type)
				}
			}
		}
	}
	paths := make([]string, 0, len(seen))
	for p := range seen {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}
