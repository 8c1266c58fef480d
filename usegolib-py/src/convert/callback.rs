//! A func type as Go calls a Python callable (docs/abi.md section 10): the converters of its
//! parameters (Go -> Python, read as results are) and results (Python -> Go, written as
//! arguments are), built once per module.

use usegolib_loader::CallbackInfo;

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
                Ok(CallbackSig {
                    params,
                    results: conv(&info.results)?,
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
