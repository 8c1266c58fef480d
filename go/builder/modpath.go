package builder

import (
	"errors"
	"fmt"
	"strings"
)

// The rules of golang.org/x/mod/module (CheckImportPath, CheckPath, Check),
// written again here because the builder uses only the standard library. The
// Rust loader checks the same rules (usegolib-loader/src/cache.rs) before a
// module path names a directory of the cache; this is defence in depth.

var badWindowsNames = []string{
	"CON", "PRN", "AUX", "NUL",
	"COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
	"LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
}

// checkModulePath checks the path of the module being built: a local (main)
// module's path follows the import path rules ("m" is fine), a released
// module's the stricter module path rules (a lower-case domain with a dot
// first, a well-formed /vN suffix).
func checkModulePath(path string, local bool) error {
	if err := checkImportPath(path); err != nil {
		return fmt.Errorf("malformed module path %q: %v", path, err)
	}
	if local {
		return nil
	}
	first, _, _ := strings.Cut(path, "/")
	if !strings.Contains(first, ".") {
		return fmt.Errorf("malformed module path %q: missing dot in first path element", path)
	}
	if strings.HasPrefix(first, "-") {
		return fmt.Errorf("malformed module path %q: leading dash in first path element", path)
	}
	for _, r := range first {
		if !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-' || r == '.') {
			return fmt.Errorf("malformed module path %q: invalid char %q in first path element", path, r)
		}
	}
	if _, ok := pathMajor(path); !ok {
		return fmt.Errorf("malformed module path %q: invalid version", path)
	}
	return nil
}

func checkImportPath(path string) error {
	switch {
	case path == "":
		return errors.New("empty string")
	case strings.Contains(path, ".."):
		return errors.New("double dot")
	case strings.Contains(path, "//"):
		return errors.New("double slash")
	case strings.HasPrefix(path, "/"):
		return errors.New("leading slash")
	case strings.HasSuffix(path, "/"):
		return errors.New("trailing slash")
	}
	for _, elem := range strings.Split(path, "/") {
		if err := checkElem(elem); err != nil {
			return err
		}
	}
	return nil
}

func checkElem(elem string) error {
	if elem == "" {
		return errors.New("empty path element")
	}
	if strings.Count(elem, ".") == len(elem) {
		return fmt.Errorf("invalid path element %q", elem)
	}
	if elem[0] == '.' {
		return errors.New("leading dot in path element")
	}
	if elem[len(elem)-1] == '.' {
		return errors.New("trailing dot in path element")
	}
	for _, r := range elem {
		ok := 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("+-._~", r)
		if !ok {
			return fmt.Errorf("invalid char %q", r)
		}
	}
	short, _, _ := strings.Cut(elem, ".")
	for _, bad := range badWindowsNames {
		if strings.EqualFold(bad, short) {
			return fmt.Errorf("%q disallowed as path element component on Windows", short)
		}
	}
	return nil
}

// pathMajor returns the major-version suffix of a module path ("", "/v2",
// or gopkg.in's ".v1"), and false when it is malformed ("/v1", "/v02").
func pathMajor(path string) (string, bool) {
	if strings.HasPrefix(path, "gopkg.in/") {
		i := len(strings.TrimSuffix(path, "-unstable"))
		for i > 0 && '0' <= path[i-1] && path[i-1] <= '9' {
			i--
		}
		if i <= 1 || path[i-1] != 'v' || path[i-2] != '.' {
			return "", false
		}
		major := path[i-2:]
		if len(major) <= 2 || major[2] == '0' && major != ".v0" {
			return "", false
		}
		return major, true
	}
	i, dot := len(path), false
	for i > 0 && ('0' <= path[i-1] && path[i-1] <= '9' || path[i-1] == '.') {
		dot = dot || path[i-1] == '.'
		i--
	}
	if i <= 1 || i == len(path) || path[i-1] != 'v' || path[i-2] != '/' {
		return "", true
	}
	major := path[i-2:]
	if dot || len(major) <= 2 || major[2] == '0' || major == "/v1" {
		return "", false
	}
	return major, true
}

// checkVersion checks that v is a canonical module version: vMAJOR.MINOR.PATCH,
// an optional pre-release, and no build metadata but +incompatible.
func checkVersion(v string) error {
	rest, ok := strings.CutPrefix(v, "v")
	if !ok {
		return errors.New("does not start with v")
	}
	rest, build, hasBuild := strings.Cut(rest, "+")
	if hasBuild && build != "incompatible" {
		return errors.New("build metadata other than +incompatible")
	}
	core, pre, hasPre := strings.Cut(rest, "-")
	nums := strings.Split(core, ".")
	if len(nums) != 3 {
		return errors.New("not of the form vMAJOR.MINOR.PATCH")
	}
	for _, n := range nums {
		if !isNumber(n) {
			return errors.New("not of the form vMAJOR.MINOR.PATCH")
		}
	}
	if hasPre {
		for _, id := range strings.Split(pre, ".") {
			if id == "" || strings.Trim(id, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-") != "" ||
				strings.Trim(id, "0123456789") == "" && !isNumber(id) {
				return fmt.Errorf("malformed pre-release %q", pre)
			}
		}
	}
	return nil
}

func isNumber(n string) bool {
	return n != "" && strings.Trim(n, "0123456789") == "" && (n == "0" || n[0] != '0')
}

// checkModuleVersion checks that version fits the module path's major
// version suffix, as module.Check does.
func checkModuleVersion(path, version string) error {
	major, _ := pathMajor(path)
	m, _, _ := strings.Cut(strings.TrimPrefix(version, "v"), ".")
	var ok bool
	switch {
	case major == "":
		ok = m == "0" || m == "1" || strings.HasSuffix(version, "+incompatible")
	case strings.HasPrefix(version, "v0.0.0-") && major == ".v1":
		ok = true
	default:
		ok = strings.TrimSuffix(major, "-unstable")[2:] == m
	}
	if !ok {
		want := "v0 or v1"
		if major != "" {
			want = strings.TrimSuffix(major, "-unstable")[1:]
		}
		return fmt.Errorf("version %s does not match the module path %s (want %s)", version, path, want)
	}
	return nil
}
