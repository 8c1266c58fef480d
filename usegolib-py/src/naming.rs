//! Go names as Python names: the one rule, used for parameters, record fields, functions,
//! methods, package variables and types.
//!
//! A Go name that is a Python keyword (`from`, `lambda`, and the exported `True`, `False`,
//! `None`) gets a trailing underscore (PEP 8): `from_`, `None_`. Soft keywords (`match`, `case`,
//! `type`, `_`) are ordinary identifiers in Python and stay as they are. The Go name is kept
//! beside the Python one (`go_name` on the views, and in the docstrings).

/// Python's keywords (`keyword.kwlist`), which cannot be identifiers.
const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// The Python name of a Go identifier.
pub fn py_name(go: &str) -> String {
    if KEYWORDS.contains(&go) {
        format!("{go}_")
    } else {
        go.to_owned()
    }
}

/// The Python attribute name of a record field: its wire key when that is an identifier (and
/// not a dunder name), else its Go name; then [`py_name`].
pub fn field_name(key: &str, go_name: &str) -> String {
    let ident = key
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !key.starts_with("__");
    py_name(if ident { key } else { go_name })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_get_an_underscore() {
        assert_eq!(py_name("from"), "from_");
        assert_eq!(py_name("None"), "None_");
        assert_eq!(py_name("match"), "match", "a soft keyword is an identifier");
        assert_eq!(py_name("X"), "X");
    }

    #[test]
    fn fields_use_their_key_when_it_is_an_identifier() {
        assert_eq!(field_name("x", "X"), "x");
        assert_eq!(field_name("a-b", "AB"), "AB");
        assert_eq!(field_name("__x", "X"), "X");
        assert_eq!(field_name("True", "True"), "True_");
        assert_eq!(field_name("from", "From"), "from_");
    }
}
