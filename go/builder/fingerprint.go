package builder

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"
)

// InputDir is a directory of a fingerprint root whose files the fingerprint
// covers whatever their names: a directory holding embedded files, or a
// source file the walk does not select. The build finds them with go list
// and records them in the manifest (input_dirs), so that the loader can
// recompute the fingerprint without running go.
type InputDir struct {
	// Root is the name of the root: "" for the module, else a directory
	// replacement as its go.mod writes it ("../b").
	Root string `json:"root"`
	// Dir is slash-separated and relative to the root; "" is the root.
	Dir string `json:"dir"`
	// Recursive also covers every directory below Dir (for a directory
	// named by a //go:embed pattern).
	Recursive bool `json:"recursive"`
}

// fpRoot is one root of the fingerprint: the module or a directory that
// one of its replace directives names.
type fpRoot struct {
	name string // "" or the replacement as written
	dir  string // the directory
}

// fingerprintRoots returns the module root, then one root per directory
// replacement of its go.mod (LocalReplacePaths order).
func fingerprintRoots(moduleDir string) ([]fpRoot, error) {
	roots := []fpRoot{{"", moduleDir}}
	data, err := os.ReadFile(filepath.Join(moduleDir, "go.mod"))
	if errors.Is(err, fs.ErrNotExist) {
		return roots, nil
	} else if err != nil {
		return nil, err
	}
	for _, p := range LocalReplacePaths(data) {
		roots = append(roots, fpRoot{p, replaceDir(moduleDir, p)})
	}
	return roots, nil
}

// replaceDir is the directory a replacement path names, as the go command
// resolves it: relative to the module root (joined lexically).
func replaceDir(moduleDir, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(moduleDir, p)
}

// fpFile is one file of the fingerprint.
type fpFile struct {
	root int    // index into the roots
	rel  string // slash-separated, relative to the root
}

// Fingerprint returns the fingerprint of the local module rooted at dir, as
// docs/abi.md section 9 defines it: SHA-256 over, for each file in order
// (root, then byte-wise by path), its name, a 0 byte, the file's length as 8
// big-endian bytes, and its contents. A file's name is its slash-separated
// path relative to its root, prefixed by the root's name and a slash for
// every root but the module's.
//
// The roots are the module directory and each directory its go.mod's
// replace directives name (LocalReplacePaths). In each root the walk selects
// go.mod, go.sum, *.go and the cgo source kinds (walkSelects); directories
// below the root are skipped when they are named vendor or testdata, when
// their name starts with . or _, and when they hold a go.mod of their own
// (another module). Symbolic links to directories are not followed; a
// symbolic link to a regular file counts as that file. A root that does not
// exist adds nothing. inputs adds every regular file of each InputDir
// (and, when Recursive, of the directories below it, but not of nested
// modules), whatever its name.
func Fingerprint(dir string, inputs []InputDir) (string, error) {
	roots, err := fingerprintRoots(dir)
	if err != nil {
		return "", err
	}
	walks, err := walkRoots(roots)
	if err != nil {
		return "", err
	}
	return fingerprintOf(roots, walks, inputs)
}

// walkRoots walks each root (walkRoot): walks[i] are the files of roots[i].
func walkRoots(roots []fpRoot) ([][]string, error) {
	walks := make([][]string, len(roots))
	for i, r := range roots {
		files, err := walkRoot(r.dir, i == 0)
		if err != nil {
			return nil, err
		}
		walks[i] = files
	}
	return walks, nil
}

// fingerprintOf is Fingerprint for roots already walked (walkRoots), so that
// the builder, which needs the walk's files itself, walks only once.
func fingerprintOf(roots []fpRoot, walks [][]string, inputs []InputDir) (string, error) {
	files, err := fingerprintFiles(roots, walks, inputs)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	var size [8]byte
	for _, f := range files {
		r := roots[f.root]
		f2, err := os.Open(filepath.Join(r.dir, filepath.FromSlash(f.rel)))
		if err != nil {
			return "", err
		}
		fi, err := f2.Stat()
		if err != nil {
			f2.Close()
			return "", err
		}
		io.WriteString(h, fileName(r.name, f.rel))
		h.Write([]byte{0})
		binary.BigEndian.PutUint64(size[:], uint64(fi.Size()))
		h.Write(size[:])
		n, err := io.Copy(h, f2)
		f2.Close()
		if err != nil {
			return "", err
		}
		if n != fi.Size() {
			return "", errors.New("fingerprint: " + filepath.Join(r.dir, filepath.FromSlash(f.rel)) + " changed while it was read: build again")
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// fileName is the name a file is hashed under.
func fileName(root, rel string) string {
	if root == "" {
		return rel
	}
	return root + "/" + rel
}

// fingerprintFiles lists the files of the fingerprint in hashing order,
// without repeats: those of the walks, then those of the inputs.
func fingerprintFiles(roots []fpRoot, walks [][]string, inputs []InputDir) ([]fpFile, error) {
	seen := map[fpFile]bool{}
	var files []fpFile
	add := func(root int, rels []string) {
		for _, rel := range rels {
			f := fpFile{root, rel}
			if !seen[f] {
				seen[f] = true
				files = append(files, f)
			}
		}
	}
	for i, rels := range walks {
		add(i, rels)
	}
	for _, in := range inputs {
		for i, r := range roots {
			if r.name != in.Root || !validInputDir(in.Dir) {
				continue
			}
			rels, err := inputFiles(r.dir, in.Dir, in.Recursive)
			if err != nil {
				return nil, err
			}
			add(i, rels)
		}
	}
	sort.Slice(files, func(a, b int) bool {
		if files[a].root != files[b].root {
			return files[a].root < files[b].root
		}
		return files[a].rel < files[b].rel
	})
	return files, nil
}

// validInputDir reports whether an InputDir's Dir stays inside its root:
// relative, slash-separated, without . or .. elements.
func validInputDir(dir string) bool {
	if dir == "" {
		return true
	}
	if strings.Contains(dir, `\`) {
		return false
	}
	for _, e := range strings.Split(dir, "/") {
		if e == "" || e == "." || e == ".." || strings.Contains(e, ":") {
			return false
		}
	}
	return true
}

// cgoExts are the file kinds of a package's non-Go sources that go build
// compiles or links: C, C++, headers, assembly, Objective-C, Fortran, SWIG
// and .syso objects.
var cgoExts = []string{".c", ".h", ".cc", ".cpp", ".cxx", ".hh", ".hpp", ".hxx", ".s", ".S", ".sx", ".m", ".f", ".F", ".for", ".f90", ".syso", ".swig", ".swigcxx"}

// walkSelects reports whether the walk hashes a file of this name.
func walkSelects(name string) bool {
	if name == "go.mod" || name == "go.sum" || strings.HasSuffix(name, ".go") {
		return true
	}
	for _, ext := range cgoExts {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// walkRoot lists the files the walk selects under root, slash-separated and
// relative to it. A missing root other than the module's has none.
func walkRoot(root string, module bool) ([]string, error) {
	if _, err := os.Stat(root); !module && errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	var files []string
	descend := func(name, p string) bool {
		return name != "vendor" && name != "testdata" && !strings.HasPrefix(name, ".") && !strings.HasPrefix(name, "_") && !isModuleDir(p)
	}
	err := walkFiles(root, "", descend, walkSelects, &files)
	return files, err
}

// inputFiles lists every regular file in root/dir (and below it, when
// recursive, except nested modules), relative to root. A missing dir has
// none.
func inputFiles(root, dir string, recursive bool) ([]string, error) {
	base := filepath.Join(root, filepath.FromSlash(dir))
	if fi, err := os.Stat(base); errors.Is(err, fs.ErrNotExist) || (err == nil && !fi.IsDir()) {
		return nil, nil
	}
	var files []string
	descend := func(_, p string) bool { return recursive && !isModuleDir(p) }
	err := walkFiles(root, dir, descend, func(string) bool { return true }, &files)
	return files, err
}

// walkFiles appends to out the files of root/rel (slash-separated, relative
// to root) that are regular files, or symbolic links to regular files, and
// whose names keep accepts; it goes into the subdirectories that descend
// accepts (given the name and the path). Symbolic links to directories are
// not followed; root/rel itself is read through a link. Names that are not
// UTF-8 are skipped.
func walkFiles(root, rel string, descend func(name, path string) bool, keep func(string) bool, out *[]string) error {
	dir := filepath.Join(root, filepath.FromSlash(rel))
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if !utf8.ValidString(name) {
			continue // as the Rust loader does: its walk sees only UTF-8 names
		}
		p := filepath.Join(dir, name)
		sub := name
		if rel != "" {
			sub = rel + "/" + name
		}
		switch {
		case e.IsDir():
			if descend(name, p) {
				if err := walkFiles(root, sub, descend, keep, out); err != nil {
					return err
				}
			}
		case keep(name) && regularFile(p, e):
			*out = append(*out, sub)
		}
	}
	return nil
}

// isModuleDir reports whether dir holds a go.mod file.
func isModuleDir(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, "go.mod"))
	return err == nil && !fi.IsDir()
}

// regularFile reports whether the walked entry is a regular file, or a
// symbolic link to one.
func regularFile(p string, d fs.DirEntry) bool {
	if d.Type().IsRegular() {
		return true
	}
	if d.Type()&fs.ModeSymlink == 0 {
		return false
	}
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}
