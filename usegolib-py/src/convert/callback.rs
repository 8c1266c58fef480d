//! A func type as Go calls a Python callable (docs/abi.md section 10): the converters of its
//! parameters (Go -> Python, read as results are) and results (Python -> Go, written as
//! arguments are), built once per module.

use usegolib_loader::{CallbackInfo, ImplementInfo};

use super::{Converter, Types};

/// The prepared signature of a func type called from Go, or why a Python callable cannot be one.
pub struct Callback {
    pub sig: Result<CallbackSig, String>,
    /// The Go type, for messages (`func(int) int`, `callbacks.Handler`).
    pub go: String,
}

/// Converters of a func type called from Go.
pub struct CallbackSig {
    pub params: Vec<Converter>,
    pub results: Vec<Converter>,
    /// The Go func returns a trailing error: a Python exception is that error.
    pub error: bool,
    /// The last parameter is variadic: its list is spread into the Python call.
    pub variadic: bool,
    /// Every parameter and result is a bool, an int or a float (at most
    /// [`usegolib_loader::MAX_SCALAR_WORDS`] of each), not variadic: Go may call it in the
    /// scalar form (docs/abi.md section 10.8).
    pub scalar: bool,
}

impl CallbackSig {
    fn scalar_form(params: &[Converter], results: &[Converter], variadic: bool) -> bool {
        let word = |c: &Converter| {
            matches!(
                c,
                Converter::Bool | Converter::Int(_) | Converter::F32 | Converter::F64
            )
        };
        !variadic
            && params.len() <= usegolib_loader::MAX_SCALAR_WORDS
            && results.len() <= usegolib_loader::MAX_SCALAR_WORDS
            && params.iter().chain(results).all(word)
    }
}

impl Callback {
    pub fn new(types: &Types, info: &CallbackInfo, go: &str) -> Callback {
        let sig = if info.reason.is_empty() {
            let conv = |ps: &[usegolib_loader::Param]| {
                ps.iter()
                    .map(|p| {
                        p.wire_type()
                            .map(|t| types.build(&t))
                            .map_err(|e| e.to_string())
                    })
                    .collect::<Result<Vec<_>, String>>()
            };
            conv(&info.params).and_then(|params| {
                let results = conv(&info.results)?;
                Ok(CallbackSig {
                    scalar: CallbackSig::scalar_form(&params, &results, info.variadic),
                    params,
                    results,
                    error: info.error,
                    variadic: info.variadic,
                })
            })
        } else {
            Err(info.reason.clone())
        };
        Callback {
            sig,
            go: go.to_owned(),
        }
    }
}

/// An interface as a Python object implements it: each method's Go name, the Python names
/// looked for (the Go name, then its snake_case), and its callback; or why it cannot be.
pub struct Implement {
    pub methods: Result<Vec<(String, String, std::sync::Arc<Callback>)>, String>,
}

impl Implement {
    /// `go` spells the interface (`pkg.Shape`): a method's callback is `pkg.Shape.Area` in
    /// messages.
    pub fn new(types: &Types, info: &ImplementInfo, go: &str) -> Implement {
        if !info.reason.is_empty() {
            return Implement {
                methods: Err(info.reason.clone()),
            };
        }
        let methods = info
            .methods
            .iter()
            .map(|m| {
                let cb = Callback::new(types, &m.callback, &format!("{go}.{}", m.name));
                (m.name.clone(), snake_case(&m.name), std::sync::Arc::new(cb))
            })
            .collect();
        Implement {
            methods: Ok(methods),
        }
    }
}

/// `WriteString` -> `write_string`, `ServeHTTP` -> `serve_http`.
pub fn snake_case(go: &str) -> String {
    let cs: Vec<char> = go.chars().collect();
    let mut out = String::new();
    for (i, &c) in cs.iter().enumerate() {
        if c.is_uppercase() {
            let prev_lower = i > 0 && !cs[i - 1].is_uppercase();
            let next_lower = cs.get(i + 1).is_some_and(|n| n.is_lowercase());
            if i > 0 && (prev_lower || (next_lower && cs[i - 1].is_uppercase())) {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn snake_case() {
        for (go, py) in [
            ("Write", "write"),
            ("WriteString", "write_string"),
            ("ServeHTTP", "serve_http"),
            ("HTTPServer", "http_server"),
            ("Area", "area"),
        ] {
            assert_eq!(super::snake_case(go), py);
        }
    }
}
