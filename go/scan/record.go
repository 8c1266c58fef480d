package scan

import (
	"cmp"
	"fmt"
	"go/types"
	"slices"

	"github.com/usegolib/usegolib/go/bridge"
)

// Records (docs/abi.md section 8.2): a struct travels as a map of its
// exported fields, flattened and keyed as encoding/json does it, with the
// msgpack tag before the json tag (bridge.FieldTag reads both, for the
// generator here and for `any` values at run time).

// checkRecords analyses the fields of every struct registered so far (and
// of those the analysis registers in turn), then marks every struct that
// contains an unsupported struct as unsupported too.
func (c *checker) checkRecords() {
	for len(c.pending) > 0 {
		key := c.pending[0]
		c.pending = c.pending[1:]
		d := c.types[key]
		c.home = d.Package
		fields, err := c.recordFields(c.named[key], d.Kind == "handle")
		if d.Kind == "handle" {
			d.Accessors = fields // those that travel, even when another does not
		}
		if err != nil {
			d.FieldsErr = err.Error()
			continue
		}
		d.Fields = fields
	}
	// A struct containing an unsupported struct is unsupported: repeat until
	// nothing changes, so that the failure travels along any chain or cycle.
	for changed := true; changed; {
		changed = false
		for _, key := range sortedKeys(c.types) {
			d := c.types[key]
			if !d.Struct || d.FieldsErr != "" {
				continue
			}
			for _, f := range d.Fields {
				if why := c.refFailure(&f.Type); why != "" {
					d.FieldsErr = fmt.Sprintf("field %s has type %s: %s", f.Name, f.Go, why)
					d.Fields = nil
					changed = true
					break
				}
			}
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// candidate is a field found while flattening, before conflicts are resolved.
type candidate struct {
	key    string
	tagged bool
	index  []int
	omit   bool
	v      *types.Var
	chain  []*types.Var // the embedded fields crossed, outermost first
	owner  types.Type   // the struct type that declares v
}

// recordFields flattens the struct n as encoding/json does (typeFields in
// encoding/json/encode.go): exported fields, and those of embedded structs
// without a tag name, promoted; the shallowest wins; two at the same depth
// cancel each other out unless exactly one is tagged. optional (a handle type,
// whose constructor reads them) lets a struct with no exported field have its
// (empty) record form. No field is required on input (see field).
func (c *checker) recordFields(n *types.Named, optional bool) ([]Field, error) {
	type level struct {
		typ   types.Type
		index []int
		chain []*types.Var
	}
	var fields []candidate
	var current []level
	next := []level{{typ: n}}
	count, nextCount := map[types.Type]int{}, map[types.Type]int{}
	visited := map[types.Type]bool{}
	hidden := false // the struct has fields, and none is exported or embedded
	for len(next) > 0 {
		current, next = next, nil
		count, nextCount = nextCount, map[types.Type]int{}
		for _, f := range current {
			if visited[f.typ] {
				continue
			}
			visited[f.typ] = true
			st := f.typ.Underlying().(*types.Struct)
			if f.typ == types.Type(n) && st.NumFields() > 0 {
				hidden = true
				for i := 0; i < st.NumFields(); i++ {
					if st.Field(i).Exported() || st.Field(i).Embedded() {
						hidden = false
					}
				}
			}
			for i := 0; i < st.NumFields(); i++ {
				sf := st.Field(i)
				if sf.Embedded() {
					ft := types.Unalias(sf.Type())
					if p, ok := ft.(*types.Pointer); ok {
						ft = types.Unalias(p.Elem())
					}
					if !sf.Exported() && !isStruct(ft) {
						continue // an unexported non-struct type promotes nothing
					}
				} else if !sf.Exported() {
					continue
				}
				name, omit, drop := bridge.FieldTag(st.Tag(i))
				if drop {
					continue
				}
				index := append(slices.Clone(f.index), i)
				ft := types.Unalias(sf.Type())
				if p, ok := ft.(*types.Pointer); ok {
					ft = types.Unalias(p.Elem())
				}
				if name != "" || !sf.Embedded() || !isStruct(ft) {
					tagged := name != ""
					if name == "" {
						name = sf.Name()
					}
					cd := candidate{key: name, tagged: tagged, index: index, omit: omit, v: sf, chain: f.chain, owner: f.typ}
					fields = append(fields, cd)
					if count[f.typ] > 1 {
						fields = append(fields, cd) // a duplicate, so that both copies cancel
					}
					continue
				}
				nextCount[ft]++
				if nextCount[ft] == 1 {
					next = append(next, level{typ: ft, index: index, chain: append(slices.Clone(f.chain), sf)})
				}
			}
		}
	}
	kept := bridge.DominantFields(fields, func(c candidate) (string, []int, bool) { return c.key, c.index, c.tagged })
	if hidden && !optional {
		// A handle type's constructor can still make its zero value.
		return nil, fmt.Errorf("it has no exported fields")
	}

	out := make([]Field, 0, len(kept))
	var first error
	for _, cd := range kept {
		f, err := c.field(n, cd)
		if err != nil {
			first = cmp.Or(first, err)
			continue
		}
		out = append(out, f)
	}
	// On failure, out holds the fields that are supported: a handle type's field accessors.
	return out, first
}

// accessors returns the fields of the struct handle type d that have field accessors: those
// that travel (its record form's, or when one does not, each of the others), less those behind
// an embedded pointer, which may be nil.
func (c *checker) accessors(d *TypeDef) []Field {
	var out []Field
	for _, f := range d.Accessors {
		if len(f.Ptrs) == 0 && c.refFailure(&f.Type) == "" {
			out = append(out, f)
		}
	}
	return out
}

func isStruct(t types.Type) bool {
	_, ok := t.Underlying().(*types.Struct)
	return ok
}

// field turns a kept candidate into a Field: its wire type and the selectors generated code uses to reach it.
func (c *checker) field(n *types.Named, cd candidate) (Field, error) {
	sf := cd.v
	qual := types.RelativeTo(sf.Pkg())
	goType := types.TypeString(sf.Type(), qual)
	t, err := c.wireTypeIn(sf.Type(), useField)
	if err != nil {
		return Field{}, fmt.Errorf("field %s has type %s: %w", sf.Name(), goType, err)
	}
	path := append(slices.Clone(cd.chain), sf)
	f := Field{Name: sf.Name(), Key: cd.key, Go: goType, Type: t, OmitEmpty: cd.omit}
	for i, e := range cd.chain {
		if _, ok := types.Unalias(e.Type()).(*types.Pointer); !ok {
			continue
		}
		if !e.Exported() {
			return Field{}, fmt.Errorf("field %s is promoted through the unexported embedded pointer %s, which the bridge cannot allocate", sf.Name(), e.Name())
		}
		sel, ok := selector(n, path, cd.index, i)
		if !ok {
			return Field{}, fmt.Errorf("the embedded field %s cannot be selected from outside its package", e.Name())
		}
		f.Ptrs = append(f.Ptrs, EmbeddedPtr{Sel: sel})
	}
	sel, ok := selector(n, path, cd.index, len(path)-1)
	if !ok {
		return Field{}, fmt.Errorf("field %s is reachable only through an unexported embedded field", sf.Name())
	}
	f.Sel = sel
	// No field is required: a record follows Go's T{...} literal, every field left out takes its
	// zero value (docs/abi.md section 8.2, docs/adr/0019).
	f.Required = false
	if on, ok := cd.owner.(*types.Named); ok && on.Obj().Pkg() != nil {
		f.Doc = c.docs[on.Obj().Pkg().Path()+"."+on.Obj().Name()+"."+sf.Name()]
	}
	return f, nil
}

// selector spells path[p] (path being the embedded fields crossed and then
// the field, index their indexes) as a selector from a value of n. Crossing
// exported embedded fields is spelled out ("Inner.X"); past an unexported
// one, Go's promotion must reach the same field ("X"), which
// LookupFieldOrMethod checks.
func selector(n *types.Named, path []*types.Var, index []int, p int) (string, bool) {
	names := make([]string, 0, p+1)
	j := -1 // the first unexported embedded field before p
	for i := 0; i < p; i++ {
		if !path[i].Exported() {
			j = i
			break
		}
	}
	if j < 0 {
		for i := 0; i <= p; i++ {
			names = append(names, path[i].Name())
		}
		return joinSel(names), true
	}
	var from types.Type = n
	if j > 0 {
		from = path[j-1].Type()
	}
	obj, idx, _ := types.LookupFieldOrMethod(from, true, path[p].Pkg(), path[p].Name())
	if obj != path[p] || !slices.Equal(idx, index[j:p+1]) {
		return "", false
	}
	for i := 0; i < j; i++ {
		names = append(names, path[i].Name())
	}
	return joinSel(append(names, path[p].Name())), true
}
