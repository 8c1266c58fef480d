package builder

import (
	"sort"
	"strings"
	"unicode"
)

// LocalReplacePaths returns the directory paths named by the replace
// directives of a go.mod file, as written (unquoted), sorted byte-wise and
// without repeats. They are the extra roots of the fingerprint; the Rust
// loader reads go.mod the same way (docs/abi.md section 9).
//
// The reading follows the go command's lexer as far as it matters here:
// tokens are separated by spaces, tabs and carriage returns; // starts a
// comment; ( ) [ ] { } and , are tokens of their own; a token starting with
// " runs to the next unescaped ". A line "verb (" opens a block, a line
// starting with ")" closes it. A replace directive is "old [version] => new
// [version]"; new counts when it is the last token and a directory path (it
// starts with ./ ../ / .\ ..\ \ or a drive letter, or is . or ..). In a
// quoted new path only \" and \\ are decoded; one with any other escape, or
// an unquoted one holding a quote character, does not count.
func LocalReplacePaths(gomod []byte) []string {
	var out []string
	block := ""
	for _, line := range strings.Split(string(gomod), "\n") {
		toks := modTokens(line)
		if len(toks) == 0 {
			continue
		}
		var args []string
		switch {
		case block != "":
			if toks[0] == ")" {
				block = ""
				continue
			}
			if block != "replace" {
				continue
			}
			args = toks
		case len(toks) == 2 && toks[1] == "(":
			block = toks[0]
			continue
		case toks[0] == "replace":
			args = toks[1:]
		default:
			continue
		}
		arrow := 2
		if len(args) >= 2 && args[1] == "=>" {
			arrow = 1
		}
		if len(args) != arrow+2 || args[arrow] != "=>" {
			continue
		}
		if p, ok := modUnquote(args[arrow+1]); ok && isDirectoryPath(p) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	uniq := out[:0]
	for i, p := range out {
		if i == 0 || p != out[i-1] {
			uniq = append(uniq, p)
		}
	}
	return uniq
}

// modTokens splits one go.mod line into tokens (see LocalReplacePaths).
func modTokens(line string) []string {
	var toks []string
	rs := []rune(line)
	for i := 0; i < len(rs); {
		c := rs[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '/' && i+1 < len(rs) && rs[i+1] == '/':
			return toks
		case strings.ContainsRune("()[]{},", c):
			toks = append(toks, string(c))
			i++
		case c == '"':
			j := i + 1
			for j < len(rs) && rs[j] != '"' {
				if rs[j] == '\\' {
					j++
				}
				j++
			}
			if j < len(rs) {
				j++ // the closing quote
			} else {
				j = len(rs)
			}
			toks = append(toks, string(rs[i:j]))
			i = j
		default:
			j := i
			for j < len(rs) && modIdent(rs[j]) && !(rs[j] == '/' && j+1 < len(rs) && rs[j+1] == '/') {
				j++
			}
			if j == i {
				j++ // a character that starts no token: a token of its own
			}
			toks = append(toks, string(rs[i:j]))
			i = j
		}
	}
	return toks
}

func modIdent(c rune) bool {
	return !strings.ContainsRune(" ()[]{},", c) && !unicode.IsSpace(c)
}

// modUnquote returns the path a token names: a "-quoted token decoded (only
// \" and \\), any other token as it is. ok is false for a token the go
// command would not read as a plain path.
func modUnquote(tok string) (string, bool) {
	if !strings.HasPrefix(tok, `"`) {
		return tok, !strings.ContainsAny(tok, "\"'`")
	}
	if len(tok) < 2 || !strings.HasSuffix(tok, `"`) {
		return "", false
	}
	var b strings.Builder
	body := []rune(tok[1 : len(tok)-1])
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c == '\\' {
			if i+1 >= len(body) || (body[i+1] != '"' && body[i+1] != '\\') {
				return "", false
			}
			i++
			c = body[i]
		} else if c == '"' {
			return "", false
		}
		b.WriteRune(c)
	}
	return b.String(), true
}

// isDirectoryPath is the go command's test for a replacement that is a
// directory rather than a module path (golang.org/x/mod/modfile
// IsDirectoryPath).
func isDirectoryPath(p string) bool {
	return p == "." || strings.HasPrefix(p, "./") || strings.HasPrefix(p, `.\`) ||
		p == ".." || strings.HasPrefix(p, "../") || strings.HasPrefix(p, `..\`) ||
		strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`) ||
		len(p) >= 2 && ('A' <= p[0] && p[0] <= 'Z' || 'a' <= p[0] && p[0] <= 'z') && p[1] == ':'
}
