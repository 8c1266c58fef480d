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
)

// Fingerprint returns the fingerprint of the local module rooted at dir, as
// docs/abi.md section 9 defines it: SHA-256 over, for each file in byte-wise
// sorted order of its slash-separated path relative to the root, the path,
// a 0 byte, the file's length as 8 big-endian bytes, and its contents.
//
// The files are those named go.mod or go.sum and every file whose name ends
// in .go. Directories below the root are skipped when they are named vendor
// or testdata, when their name starts with . or _, and when they hold a
// go.mod of their own (another module). Symbolic links to directories are
// not followed; a symbolic link to a regular file counts as that file.
func Fingerprint(dir string) (string, error) {
	files, err := fingerprintFiles(dir)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	var size [8]byte
	for _, rel := range files {
		f, err := os.Open(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			return "", err
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return "", err
		}
		io.WriteString(h, rel)
		h.Write([]byte{0})
		binary.BigEndian.PutUint64(size[:], uint64(fi.Size()))
		h.Write(size[:])
		n, err := io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", err
		}
		if n != fi.Size() {
			return "", errors.New("fingerprint: " + rel + " changed while it was read")
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// fingerprintFiles lists the files of the fingerprint, slash-separated and
// relative to root, sorted byte-wise.
func fingerprintFiles(root string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		name := d.Name()
		if d.IsDir() {
			if name == "vendor" || name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
				return filepath.SkipDir
			}
			if fi, err := os.Stat(filepath.Join(p, "go.mod")); err == nil && !fi.IsDir() {
				return filepath.SkipDir // a nested module
			}
			return nil
		}
		if name != "go.mod" && name != "go.sum" && !strings.HasSuffix(name, ".go") {
			return nil
		}
		if !d.Type().IsRegular() {
			fi, err := os.Stat(p) // follows a symbolic link
			if err != nil || !fi.Mode().IsRegular() {
				return nil
			}
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	sort.Strings(files)
	return files, err
}
