//! `GoFunction`: one callable Go function (or method), and `GoMethod`: one bound to a Go
//! object.

use std::cell::Cell;
use std::sync::Arc;

use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};
use usegolib_abi::{write_array_len, write_bin};
use usegolib_loader::GoFunction;

use crate::args::{for_each_item, ARGS_DEPTH};
use crate::convert::{decode_result, variadic_byte, Converter, Encoder};
use crate::ctx::ModuleCtx;
use crate::errors::{to_py, ObjectClosedError};
use crate::handle::PyGoObject;
use crate::signature::Signature;
use crate::views::GoParam;

/// Positional argument `i` of a call: `recv` (a bound method's receiver) first, then `args`;
/// borrowed, without touching its reference count.
fn positional<'a, 'py>(
    recv: Option<&'a Bound<'py, PyAny>>,
    args: &'a Bound<'py, PyTuple>,
    i: usize,
) -> PyResult<Borrowed<'a, 'py, PyAny>> {
    match recv {
        Some(r) if i == 0 => Ok(r.as_borrowed()),
        Some(_) => args.get_borrowed_item(i - 1),
        None => args.get_borrowed_item(i),
    }
}

thread_local! {
    /// This thread's reusable request buffer.
    static REQUEST: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// A Go function. Calling it converts the arguments in Rust straight to the wire, releases the
/// GIL for the Go call, and converts the reply straight back. As a class attribute of a Go
/// object's class it is a method: the object is its receiver.
#[pyclass(module = "usegolib._native", name = "GoFunction", frozen, dict)]
pub struct PyGoFunction {
    ctx: Arc<ModuleCtx>,
    /// Its converters and request header, made once per function of the module.
    sig: Arc<Signature>,
}

impl PyGoFunction {
    /// The function with this id (a valid one).
    pub fn new(ctx: Arc<ModuleCtx>, id: usize) -> Self {
        let sig = ctx.functions[id].clone();
        PyGoFunction { ctx, sig }
    }

    fn f(&self) -> &GoFunction {
        &self.ctx.module.functions()[self.sig.id]
    }

    fn short_name(&self) -> String {
        let f = self.f();
        let pkg = f.package.rsplit('/').next().unwrap_or(&f.package);
        format!("{pkg}.{}", f.schema.name)
    }

    fn arity_error(&self, got: usize) -> PyErr {
        let skip = usize::from(self.sig.has_receiver());
        let params: Vec<String> = self
            .sig
            .user_params()
            .iter()
            .map(|p| format!("{} {}", p.py_name, p.go_type))
            .collect();
        let n = params.len();
        let takes = if self.sig.variadic {
            format!(
                "at least {} argument{}",
                n - 1,
                if n == 2 { "" } else { "s" }
            )
        } else {
            format!("{n} argument{}", if n == 1 { "" } else { "s" })
        };
        PyTypeError::new_err(format!(
            "{}() takes {takes} ({}), got {}",
            self.short_name(),
            params.join(", "),
            got.saturating_sub(skip)
        ))
    }

    /// Encodes the request: `recv` (for a bound method) first, then `args` and `kwargs`.
    fn encode<'py>(
        &self,
        buf: &mut Vec<u8>,
        recv: Option<&Bound<'py, PyAny>>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<()> {
        let sig = &*self.sig;
        let mut enc = Encoder::new(&self.ctx.module);
        let n = sig.params.len();
        buf.clear();
        buf.extend_from_slice(&sig.header);
        let nkw = kwargs.map_or(0, |k| k.len());
        let npos = args.len() + usize::from(recv.is_some());
        let get = |i: usize| positional(recv, args, i);
        let prefix = |i: usize| {
            let p = &sig.params[i];
            format!(
                "{}() argument '{}' (Go {})",
                self.short_name(),
                p.py_name,
                p.go_type
            )
        };
        let mut put = |enc: &mut Encoder<'_>, i: usize, arg: &Bound<'py, PyAny>| {
            enc.arg(buf, ARGS_DEPTH, &sig.params[i].conv, arg)
                .map_err(|e| e.into_pyerr(&prefix(i), &sig.params[i].py_name))
        };
        if sig.variadic {
            // Fixed parameters, then every remaining positional argument into the last one.
            if nkw > 0 {
                return Err(PyTypeError::new_err(format!(
                    "{}() takes no keyword arguments (it is variadic)",
                    self.short_name()
                )));
            }
            if npos < n - 1 {
                return Err(self.arity_error(npos));
            }
            for i in 0..n - 1 {
                put(&mut enc, i, &*get(i)?)?;
            }
            let err_at = |j: usize| {
                format!(
                    "{}() variadic argument {j} (Go {})",
                    self.short_name(),
                    sig.params[n - 1].go_type
                )
            };
            let name = &sig.params[n - 1].py_name;
            if let Converter::Bytes = &sig.params[n - 1].conv {
                // `...byte`: each argument one byte, all of them one bytes value.
                let mut bytes = Vec::with_capacity(npos - (n - 1));
                for (j, i) in (n - 1..npos).enumerate() {
                    let b = variadic_byte(&*get(i)?)
                        .map_err(|e| e.into_pyerr(&err_at(j), &format!("{name}[{j}]")))?;
                    bytes.push(b);
                }
                write_bin(buf, &bytes);
                return Ok(());
            }
            let Converter::List(elem) = &sig.params[n - 1].conv else {
                return Err(PyTypeError::new_err(
                    "a variadic parameter that is not a list",
                ));
            };
            write_array_len(buf, npos - (n - 1));
            for (j, i) in (n - 1..npos).enumerate() {
                // The elements are inside the variadic list, one level below the arguments.
                enc.arg(buf, ARGS_DEPTH + 1, elem, &*get(i)?)
                    .map_err(|e| e.into_pyerr(&err_at(j), &format!("{name}[{j}]")))?;
            }
            return Ok(());
        }
        if npos + nkw != n || npos > n {
            return Err(self.arity_error(npos + nkw));
        }
        for i in 0..npos {
            put(&mut enc, i, &*get(i)?)?;
        }
        if let Some(kw) = kwargs.filter(|_| nkw > 0) {
            let changed = || PyRuntimeError::new_err("keyword arguments changed during the call");
            // One pass over the keywords, each borrowed as str and put in its parameter's slot
            // (no String, no second lookup of the dict by name).
            let mut slots: Vec<Option<Bound<'py, PyAny>>> = vec![None; n - npos];
            for_each_item(kw, changed, |k, v| {
                let k = k.cast::<PyString>()?.to_str()?;
                match sig.params.iter().position(|p| p.py_name == k) {
                    Some(p) if p >= npos => {
                        slots[p - npos] = Some(v);
                        Ok(())
                    }
                    Some(_) => Err(PyTypeError::new_err(format!(
                        "{}() got multiple values for argument '{k}'",
                        self.short_name()
                    ))),
                    None => Err(PyTypeError::new_err(format!(
                        "{}() got an unexpected keyword argument '{k}'",
                        self.short_name()
                    ))),
                }
            })?;
            for (i, slot) in (npos..n).zip(&slots) {
                let p = &sig.params[i];
                let Some(arg) = slot else {
                    return Err(PyTypeError::new_err(format!(
                        "{}() missing argument '{}' (Go {})",
                        self.short_name(),
                        p.py_name,
                        p.go_type
                    )));
                };
                put(&mut enc, i, arg)?;
            }
        }
        Ok(())
    }

    /// A closed Go object in the argument(s) of parameter `index` (as encoded from `recv`,
    /// `args` and `kwargs`): every element, for the variadic parameter.
    fn closed_argument<'py>(
        &self,
        index: usize,
        recv: Option<&Bound<'py, PyAny>>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> Option<Bound<'py, PyGoObject>> {
        let sig = &*self.sig;
        let p = sig.params.get(index)?;
        let npos = args.len() + usize::from(recv.is_some());
        if sig.variadic && index + 1 == sig.params.len() {
            let Converter::List(elem) = &p.conv else {
                return None;
            };
            return (index..npos).find_map(|i| {
                elem.closed_object(&positional(recv, args, i).ok()?.to_owned(), ARGS_DEPTH + 1)
            });
        }
        let arg = if index < npos {
            positional(recv, args, index).ok()?.to_owned()
        } else {
            kwargs?.get_item(&p.py_name).ok()??
        };
        p.conv.closed_object(&arg, ARGS_DEPTH)
    }

    /// The error of a failed call. A bad handle argument whose Go object was closed while the
    /// call was on its way (by another thread, or by Python code the conversion ran) is an
    /// ObjectClosedError, as it is when the object was closed before the call. The arguments
    /// are looked at again only then, so that a call pays nothing for this.
    fn call_error<'py>(
        &self,
        py: Python<'py>,
        e: usegolib_loader::Error,
        recv: Option<&Bound<'py, PyAny>>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyErr {
        if let usegolib_loader::Error::BadArgument { index, .. } = &e {
            if let Some(h) = self.closed_argument(*index, recv, args, kwargs) {
                return ObjectClosedError::new_err(format!(
                    "{} was closed during the call to {}(): it cannot be used any more",
                    h.get().describe(),
                    self.short_name()
                ));
            }
        }
        to_py(py, e)
    }

    pub fn invoke<'py>(
        &self,
        py: Python<'py>,
        recv: Option<&Bound<'py, PyAny>>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        // Python callables passed in this call, and their exceptions (host.rs).
        let scope = crate::host::CallScope::enter();
        let mut buf = REQUEST.with(|c| c.take());
        let encoded = self.encode(&mut buf, recv, args, kwargs);
        let mut ran = encoded.is_ok();
        let result = encoded.and_then(|()| {
            let module_arc = &self.ctx.module;
            let module = &**module_arc;
            let f = self.f();
            let req = &buf;
            let reply = py.detach(|| module.send(f, req));
            let reply = reply.map_err(|e| to_py(py, e))?;
            let (ok, mut r) = module.reply_body(f, &reply).map_err(|e| to_py(py, e))?;
            let value = if ok {
                // The reply was validated within the limits of docs/abi.md section 6 (depth 64
                // among them), which bounds the recursion of the typed decoding.
                decode_result(py, &mut r, &self.sig.results, module_arc)
            } else {
                let e = module.error_from_reader(f, &mut r);
                if matches!(
                    e,
                    usegolib_loader::Error::BadArgument { .. }
                        | usegolib_loader::Error::Arity { .. }
                ) {
                    ran = false; // Go refused the arguments: it holds none of their callables
                }
                Err(self.call_error(py, e, recv, args, kwargs))
            };
            // A Ctrl-C that arrived during the call takes effect now that it returned: after
            // the reply is decoded, so that Go objects it returned are released when the
            // decoded value is dropped, not left in Go's handle table.
            py.check_signals()?;
            value
        });
        // Keep this thread's request buffer for the next call, unless it grew huge.
        if buf.capacity() <= 16 << 20 {
            REQUEST.with(|c| c.set(buf));
        }
        scope.finish(py, result, ran)
    }
}

#[pymethods]
impl PyGoFunction {
    #[pyo3(signature = (*args, **kwargs))]
    fn __call__(
        &self,
        py: Python<'_>,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        self.invoke(py, None, args, kwargs)
    }

    /// As a class attribute: a method bound to the instance.
    fn __get__(
        slf: Py<Self>,
        py: Python<'_>,
        obj: Option<Py<PyAny>>,
        _owner: Option<Py<PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        Ok(match obj {
            Some(o) if !o.is_none(py) => {
                Py::new(py, PyBoundMethod { func: slf, recv: o })?.into_any()
            }
            _ => slf.into_any(),
        })
    }

    fn __repr__(&self) -> String {
        let f = self.f();
        let sig = f
            .schema
            .signature
            .strip_prefix("func ")
            .unwrap_or(&f.schema.signature);
        let pkg = f.package.rsplit('/').next().unwrap_or(&f.package);
        format!("<go func {pkg}.{sig}>")
    }

    /// The Go name.
    #[getter]
    fn __name__(&self) -> String {
        let f = self.f();
        f.schema
            .name
            .rsplit('.')
            .next()
            .unwrap_or(&f.schema.name)
            .to_owned()
    }

    /// `package.Name`.
    #[getter]
    fn __qualname__(&self) -> String {
        self.short_name()
    }

    /// The package import path.
    #[getter]
    fn go_package(&self) -> String {
        self.f().package.clone()
    }

    /// The schema name (`Name`, `Type.Method`, `Name[T1,T2]`).
    #[getter]
    fn go_name(&self) -> String {
        self.f().schema.name.clone()
    }

    /// The Go signature, e.g. `func AddInt(a int, b int) int`.
    #[getter]
    fn go_signature(&self) -> String {
        self.f().schema.signature.clone()
    }

    /// The GoDoc text.
    #[getter]
    fn go_doc(&self) -> String {
        self.f().schema.doc.clone()
    }

    /// What the entry calls: "function", "method", "constructor", "var" or "generic".
    #[getter]
    fn kind(&self) -> &'static str {
        self.sig.kind.as_str()
    }

    /// The name the package shows it under: the Python name ([`crate::naming`]) of the
    /// function, the method, the variable or the generic function.
    #[getter]
    fn py_name(&self) -> &str {
        &self.sig.py_name
    }

    /// The parameters (`GoParam`); for a method, without the receiver.
    #[getter]
    fn params(&self) -> Vec<GoParam> {
        let skip = usize::from(self.sig.has_receiver());
        let n = self.sig.params.len();
        (skip..n)
            .map(|i| GoParam::param(&self.sig, i, self.sig.variadic && i + 1 == n))
            .collect()
    }

    /// The results (`GoParam`), without a trailing error.
    #[getter]
    fn results(&self) -> Vec<GoParam> {
        (0..self.sig.results.len())
            .map(|i| GoParam::result(&self.sig, i))
            .collect()
    }

    /// The return annotation: None, the one result's annotation, or a tuple of them.
    #[getter]
    fn return_annotation<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let anns = self
            .sig
            .results
            .iter()
            .map(|p| p.conv.annotation(py))
            .collect::<PyResult<Vec<_>>>()?;
        match anns.as_slice() {
            [] => Ok(py.None().into_bound(py)),
            [one] => Ok(one.clone()),
            many => py.get_type::<PyTuple>().get_item(PyTuple::new(py, many)?),
        }
    }

    /// The return annotation as .pyi text.
    #[getter]
    fn return_stub(&self) -> String {
        let sig = &self.sig;
        let stubs: Vec<String> = sig
            .results
            .iter()
            .map(|p| p.conv.stub(&sig.package, false))
            .collect();
        match stubs.as_slice() {
            [] => "None".into(),
            [one] => one.clone(),
            many => format!("tuple[{}]", many.join(", ")),
        }
    }

    /// Whether the Go function returns a trailing error.
    #[getter]
    fn returns_error(&self) -> bool {
        self.f().schema.error
    }

    /// Whether the last parameter is variadic.
    #[getter]
    fn variadic(&self) -> bool {
        self.sig.variadic
    }

    /// The receiver type key, for a method.
    #[getter]
    fn receiver(&self) -> Option<String> {
        self.f().schema.receiver.clone()
    }

    /// The Go variable name, for a package variable's getter.
    #[getter]
    fn var(&self) -> Option<String> {
        self.f().schema.var.clone()
    }

    /// (name, type args), for an instantiation of a generic function.
    #[getter]
    fn generic(&self) -> Option<(String, Vec<String>)> {
        self.f()
            .schema
            .generic
            .as_ref()
            .map(|g| (g.name.clone(), g.type_args.clone()))
    }
}

// A Go method bound to a Go object. (No doc comment: its `__doc__` is the method's own.)
#[pyclass(module = "usegolib._native", name = "GoMethod", frozen)]
pub struct PyBoundMethod {
    func: Py<PyGoFunction>,
    recv: Py<PyAny>,
}

#[pymethods]
impl PyBoundMethod {
    #[pyo3(signature = (*args, **kwargs))]
    fn __call__(
        &self,
        py: Python<'_>,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        self.func
            .get()
            .invoke(py, Some(self.recv.bind(py)), args, kwargs)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let f = self.func.get();
        let r = self
            .recv
            .bind(py)
            .repr()
            .map(|r| r.to_string())
            .unwrap_or_default();
        format!("<go method {} of {r}>", f.f().schema.name)
    }

    #[getter]
    fn __doc__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.func.bind(py).getattr("__doc__").map(Bound::unbind)
    }

    #[getter]
    fn __func__(&self, py: Python<'_>) -> Py<PyGoFunction> {
        self.func.clone_ref(py)
    }

    #[getter]
    fn __self__(&self, py: Python<'_>) -> Py<PyAny> {
        self.recv.clone_ref(py)
    }
}
