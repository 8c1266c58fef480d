//! A function's parameters and results with their converters, and its request header: built
//! once per function of a module.

use usegolib_abi::{write_request_header, Target};
use usegolib_loader::{FunctionKind, GoFunction};

use crate::convert::{Converter, Types};
use crate::naming::py_name;

/// A parameter or result, with its converter.
pub struct Param {
    /// The Python name ([`crate::naming::py_name`] of the Go name).
    pub py_name: String,
    /// The Go name (`argN` when blank).
    pub go_name: String,
    /// The Go type as written.
    pub go_type: String,
    /// The wire type as the schema spells it.
    pub wire: String,
    pub conv: Converter,
    /// Go reads it in place (docs/abi.md section 8.12): its packed array is sent aligned.
    pub in_place: bool,
}

impl AsRef<Converter> for Param {
    fn as_ref(&self) -> &Converter {
        &self.conv
    }
}

/// One function, prepared.
pub struct Signature {
    /// The function id (its index in the module's functions).
    pub id: usize,
    /// What the entry calls.
    pub kind: FunctionKind,
    /// The request header (ABI, op, id, argument count), encoded once.
    pub header: Vec<u8>,
    /// Every parameter, the receiver of a method first.
    pub params: Vec<Param>,
    /// The results, without a trailing error.
    pub results: Vec<Param>,
    /// Whether the last parameter is variadic.
    pub variadic: bool,
    /// The Python name of what the package shows: the function, the method (without its
    /// type), the variable, or the generic function.
    pub py_name: String,
    /// The import path of the package.
    pub package: String,
    /// The indices of the `context.Context` parameters (docs/abi.md section 8.7): each may be
    /// left out, and the call then takes the keyword [`Signature::timeout_kw`].
    pub contexts: Vec<usize>,
    /// The keyword of a call's timeout: `timeout`, or `call_timeout` when a Go parameter's
    /// Python name is `timeout` (that keyword stays the parameter's).
    pub timeout_kw: &'static str,
    /// Its scalar form (docs/abi.md section 8.11), when it has one the library can make.
    pub scalar: Option<crate::scalar::ScalarSig>,
}

impl Signature {
    pub fn new(types: &Types, f: &GoFunction) -> Signature {
        let mut header = Vec::with_capacity(16);
        write_request_header(&mut header, &Target::Id(f.id()), f.params.len());
        let prepare = |ps: &[usegolib_loader::Param], tys: &[usegolib_abi::WireType]| {
            ps.iter()
                .zip(tys)
                .map(|(p, ty)| Param {
                    py_name: py_name(&p.name),
                    go_name: p.name.clone(),
                    go_type: p.go.clone(),
                    wire: p.wire.clone(),
                    conv: types.build_param(ty, p.class.as_deref()),
                    in_place: p.in_place,
                })
                .collect()
        };
        let mut params: Vec<Param> = prepare(&f.schema.params, &f.params);
        let results = prepare(&f.schema.results, &f.results);
        let s = &f.schema;
        if s.kind == FunctionKind::Method {
            // Python binds the receiver as `self`: a Go parameter of that name (goldmark's
            // `AppendChild(self, v Node)`) is `self_`, as a keyword would be.
            for p in params.iter_mut().skip(1).filter(|p| p.py_name == "self") {
                p.py_name = "self_".into();
            }
        }
        let shown = match (s.kind, &s.var, &s.generic) {
            (FunctionKind::Var, Some(v), _) => v.as_str(),
            (FunctionKind::Generic, _, Some(g)) => g.name.as_str(),
            _ => s.name.rsplit('.').next().unwrap_or(&s.name),
        };
        let contexts = params
            .iter()
            .enumerate()
            .filter(|(_, p)| matches!(p.conv, Converter::Context))
            .map(|(i, _)| i)
            .collect();
        let timeout_kw = if params.iter().any(|p| p.py_name == "timeout") {
            "call_timeout"
        } else {
            "timeout"
        };
        Signature {
            id: f.id() as usize,
            kind: s.kind,
            header,
            params,
            results,
            variadic: s.variadic,
            py_name: py_name(shown),
            package: f.package.clone(),
            contexts,
            timeout_kw,
            scalar: None,
        }
    }

    /// The form its packed results take (`GoFunction.with_result`), None when it has none.
    pub fn result_form(&self) -> Option<crate::convert::numbuf::Form> {
        self.results.iter().find_map(|p| match p.conv {
            Converter::Packed(form, ..) => Some(form),
            _ => None,
        })
    }

    /// Makes this signature ask for packed results (op 6, docs/abi.md section 8.10): each
    /// result that is a slice of fixed-width numbers is made a `form` object. False, and nothing
    /// changed, when there is no such result.
    pub fn pack_results(&mut self, form: crate::convert::numbuf::Form) -> bool {
        let mut any = false;
        for p in &mut self.results {
            let kind = match &p.conv {
                Converter::List(e) => crate::convert::numbuf::kind_of(e),
                Converter::Value(_, inner) => match &**inner {
                    Converter::List(e) => crate::convert::numbuf::kind_of(e),
                    _ => None,
                },
                _ => None,
            };
            if let Some(kind) = kind {
                let plain = std::mem::replace(&mut p.conv, Converter::Any);
                p.conv = Converter::Packed(form, kind, Box::new(plain));
                any = true;
            }
        }
        if any {
            // 94 01 <op> ...: the op of write_request_header's header.
            self.header[2] = usegolib_abi::OP_CALL_PACKED as u8;
        }
        any
    }

    /// Whether the first parameter is a method's receiver.
    pub fn has_receiver(&self) -> bool {
        self.kind == FunctionKind::Method
    }

    /// Whether parameter `i` is a `context.Context`.
    pub fn is_context(&self, i: usize) -> bool {
        self.contexts.contains(&i)
    }

    /// The parameters a caller gives (without a method's receiver).
    pub fn user_params(&self) -> &[Param] {
        &self.params[usize::from(self.has_receiver())..]
    }
}
