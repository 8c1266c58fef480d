//! `GoFunction`: one callable Go function (or method), and `GoModule`: a loaded module as Python
//! sees it.

use std::cell::Cell;
use std::sync::Arc;

use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use usegolib_abi::{write_array_len, write_request_header, Target, WireType};
use usegolib_loader::GoFunction;

use crate::convert::{closed_object, decode_result, for_each_item, Encoder, ARGS_DEPTH};
use crate::ctx::{ctx_for, ModuleCtx};
use crate::errors::{to_py, ObjectClosedError};
use crate::handle::PyGoObject;

/// Positional argument `i` of a call: `recv` (a bound method's receiver) first, then `args`.
fn positional<'py>(
    recv: Option<&Bound<'py, PyAny>>,
    args: &Bound<'py, PyTuple>,
    i: usize,
) -> PyResult<Bound<'py, PyAny>> {
    match recv {
        Some(r) if i == 0 => Ok(r.clone()),
        Some(_) => args.get_item(i - 1),
        None => args.get_item(i),
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
    index: usize,
    /// The request header for this function (ABI, op, id, argument count), encoded once.
    header: Vec<u8>,
}

impl PyGoFunction {
    pub fn new(ctx: Arc<ModuleCtx>, f: &GoFunction) -> Self {
        let mut header = Vec::with_capacity(16);
        write_request_header(&mut header, &Target::Id(f.id()), f.params.len());
        PyGoFunction {
            index: f.id() as usize,
            ctx,
            header,
        }
    }

    fn f(&self) -> &GoFunction {
        &self.ctx.module.functions()[self.index]
    }

    fn short_name(&self) -> String {
        let f = self.f();
        let pkg = f.package.rsplit('/').next().unwrap_or(&f.package);
        format!("{pkg}.{}", f.schema.name)
    }

    fn arity_error(&self, got: usize) -> PyErr {
        let f = self.f();
        let skip = usize::from(f.schema.receiver.is_some());
        let params: Vec<String> = f.schema.params[skip..]
            .iter()
            .map(|p| format!("{} {}", p.name, p.go))
            .collect();
        let n = params.len();
        let takes = if f.schema.variadic {
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
        let f = self.f();
        let mut enc = Encoder::new(&self.ctx);
        let n = f.params.len();
        buf.clear();
        buf.extend_from_slice(&self.header);
        let nkw = kwargs.map_or(0, |k| k.len());
        let npos = args.len() + usize::from(recv.is_some());
        let get = |i: usize| positional(recv, args, i);
        let prefix = |i: usize| {
            let p = &f.schema.params[i];
            format!(
                "{}() argument '{}' (Go {})",
                self.short_name(),
                p.name,
                p.go
            )
        };
        let mut put = |enc: &mut Encoder<'_>, i: usize, arg: &Bound<'py, PyAny>| {
            enc.arg(buf, ARGS_DEPTH, &f.params[i], arg)
                .map_err(|e| e.into_pyerr(&prefix(i), &f.schema.params[i].name))
        };
        if f.schema.variadic {
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
                put(&mut enc, i, &get(i)?)?;
            }
            let WireType::List(elem) = &f.params[n - 1] else {
                return Err(PyTypeError::new_err(
                    "a variadic parameter that is not a list",
                ));
            };
            write_array_len(buf, npos - (n - 1));
            let name = &f.schema.params[n - 1].name;
            for (j, i) in (n - 1..npos).enumerate() {
                // The elements are inside the variadic list, one level below the arguments.
                enc.arg(buf, ARGS_DEPTH + 1, elem, &get(i)?).map_err(|e| {
                    e.into_pyerr(
                        &format!(
                            "{}() variadic argument {j} (Go {})",
                            self.short_name(),
                            f.schema.params[n - 1].go
                        ),
                        &format!("{name}[{j}]"),
                    )
                })?;
            }
            return Ok(());
        }
        if npos + nkw != n || npos > n {
            return Err(self.arity_error(npos + nkw));
        }
        for i in 0..npos {
            put(&mut enc, i, &get(i)?)?;
        }
        if let Some(kw) = kwargs.filter(|_| nkw > 0) {
            let changed = || PyRuntimeError::new_err("keyword arguments changed during the call");
            for_each_item(kw, changed, |k, _| {
                let k: String = k.extract()?;
                match f.schema.params.iter().position(|p| p.name == k) {
                    Some(p) if p >= npos => Ok(()),
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
            for i in npos..n {
                let p = &f.schema.params[i];
                let Some(arg) = kw.get_item(&p.name)? else {
                    return Err(PyTypeError::new_err(format!(
                        "{}() missing argument '{}' (Go {})",
                        self.short_name(),
                        p.name,
                        p.go
                    )));
                };
                put(&mut enc, i, &arg)?;
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
        let f = self.f();
        let ty = f.params.get(index)?;
        let npos = args.len() + usize::from(recv.is_some());
        if f.schema.variadic && index + 1 == f.params.len() {
            let WireType::List(elem) = ty else {
                return None;
            };
            return (index..npos).find_map(|i| {
                closed_object(
                    &self.ctx,
                    elem,
                    &positional(recv, args, i).ok()?,
                    ARGS_DEPTH + 1,
                )
            });
        }
        let arg = if index < npos {
            positional(recv, args, index).ok()?
        } else {
            kwargs?.get_item(&f.schema.params[index].name).ok()??
        };
        closed_object(&self.ctx, ty, &arg, ARGS_DEPTH)
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
        let mut buf = REQUEST.with(|c| c.take());
        let encoded = self.encode(&mut buf, recv, args, kwargs);
        let result = encoded.and_then(|()| {
            let module = &*self.ctx.module;
            let f = self.f();
            let req = &buf;
            let reply = py.detach(|| module.send(f, req));
            // A Ctrl-C that arrived during the call takes effect now that it returned.
            py.check_signals()?;
            let reply = reply.map_err(|e| to_py(py, e))?;
            let (ok, mut r) = module.reply_body(f, &reply).map_err(|e| to_py(py, e))?;
            if ok {
                // The reply was validated within the limits of docs/abi.md section 6 (depth 64
                // among them), which bounds the recursion of the typed decoding.
                decode_result(py, &mut r, &f.results, &self.ctx)
            } else {
                let e = module.error_from_reader(f, &mut r);
                Err(self.call_error(py, e, recv, args, kwargs))
            }
        });
        // Keep this thread's request buffer for the next call, unless it grew huge.
        if buf.capacity() <= 16 << 20 {
            REQUEST.with(|c| c.set(buf));
        }
        result
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
    ) -> Py<PyAny> {
        match obj {
            Some(o) if !o.is_none(py) => match Py::new(py, PyBoundMethod { func: slf, recv: o }) {
                Ok(m) => m.into_any(),
                Err(_) => py.None(),
            },
            _ => slf.into_any(),
        }
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

    /// Parameters as (name, Go type, wire type); for a method, without the receiver.
    #[getter]
    fn params(&self) -> Vec<(String, String, String)> {
        let f = self.f();
        let skip = usize::from(f.schema.receiver.is_some());
        f.schema.params[skip..]
            .iter()
            .map(|p| (p.name.clone(), p.go.clone(), p.wire.clone()))
            .collect()
    }

    /// Results as (name, Go type, wire type), without a trailing error.
    #[getter]
    fn results(&self) -> Vec<(String, String, String)> {
        self.f()
            .schema
            .results
            .iter()
            .map(|p| (p.name.clone(), p.go.clone(), p.wire.clone()))
            .collect()
    }

    /// Whether the Go function returns a trailing error.
    #[getter]
    fn returns_error(&self) -> bool {
        self.f().schema.error
    }

    /// Whether the last parameter is variadic.
    #[getter]
    fn variadic(&self) -> bool {
        self.f().schema.variadic
    }

    /// The receiver type key, for a method.
    #[getter]
    fn receiver(&self) -> Option<String> {
        self.f().schema.receiver.clone()
    }

    /// The variable name, for a package variable's getter.
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

/// A Go module loaded in this process (one Go runtime).
#[pyclass(module = "usegolib._native", name = "GoModule", frozen)]
pub struct PyGoModule {
    pub ctx: Arc<ModuleCtx>,
}

impl PyGoModule {
    pub fn new(module: Arc<usegolib_loader::GoModule>) -> Self {
        PyGoModule {
            ctx: ctx_for(module),
        }
    }
}

#[pymethods]
impl PyGoModule {
    /// The module path.
    #[getter]
    fn path(&self) -> String {
        self.ctx.module.module().to_owned()
    }

    /// The version (`local` for a local directory).
    #[getter]
    fn version(&self) -> String {
        self.ctx.module.version().to_owned()
    }

    /// The artifact directory.
    #[getter]
    fn artifact_dir(&self) -> String {
        self.ctx.module.artifact_dir().display().to_string()
    }

    /// The manifest, as JSON text.
    fn manifest_json(&self) -> PyResult<String> {
        serde_json::to_string(self.ctx.module.manifest())
            .map_err(|e| PyTypeError::new_err(e.to_string()))
    }

    /// Import paths of the packages.
    fn packages(&self) -> Vec<String> {
        self.ctx
            .module
            .packages()
            .iter()
            .map(|p| p.path.clone())
            .collect()
    }

    /// The functions of a package (plain functions, methods, variable getters, instantiations),
    /// as `GoFunction` objects.
    fn functions(&self, py: Python<'_>, package: &str) -> PyResult<Vec<Py<PyGoFunction>>> {
        self.ctx
            .module
            .functions()
            .iter()
            .filter(|f| f.package == package)
            .map(|f| Py::new(py, PyGoFunction::new(self.ctx.clone(), f)))
            .collect()
    }

    /// The function with this id.
    fn function_by_id(&self, py: Python<'_>, id: usize) -> PyResult<Py<PyGoFunction>> {
        match self.ctx.module.functions().get(id) {
            Some(f) => Py::new(py, PyGoFunction::new(self.ctx.clone(), f)),
            None => Err(PyTypeError::new_err(format!("no function #{id}"))),
        }
    }

    /// The skipped functions of a package: (name, signature, reason).
    fn skipped(&self, package: &str) -> Vec<(String, String, String)> {
        self.ctx
            .module
            .package(package)
            .map(|p| {
                p.skipped
                    .iter()
                    .map(|s| (s.name.clone(), s.signature.clone(), s.reason.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The package's documentation.
    fn package_doc(&self, package: &str) -> String {
        self.ctx
            .module
            .package(package)
            .map(|p| p.doc.clone())
            .unwrap_or_default()
    }

    /// The record and handle types of a package: (key, kind, name, doc, constructor id).
    fn types(&self, package: &str) -> Vec<(String, String, String, String, Option<u32>)> {
        self.ctx
            .module
            .schema()
            .types
            .iter()
            .filter(|(_, t)| t.package == package)
            .map(|(k, t)| {
                (
                    k.clone(),
                    t.kind.clone(),
                    t.name.clone(),
                    t.doc.clone(),
                    t.constructor,
                )
            })
            .collect()
    }

    /// The fields of a type: (python name, key, Go name, Go type, wire type, required).
    fn fields(&self, key: &str) -> Vec<(String, String, String, String, String, bool)> {
        let Some(t) = self.ctx.module.schema().types.get(key) else {
            return Vec::new();
        };
        t.fields
            .iter()
            .map(|f| {
                let py = crate::ctx::py_field_name(&f.key, &f.name);
                (
                    py,
                    f.key.clone(),
                    f.name.clone(),
                    f.go.clone(),
                    f.wire.clone(),
                    f.required,
                )
            })
            .collect()
    }

    /// Releases a handle id directly (op 2), for tests and tools: raises when Go does not know
    /// the id (already released, or never handed out).
    fn _release(&self, py: Python<'_>, id: u64) -> PyResult<()> {
        let module = &self.ctx.module;
        py.detach(|| module.release(id)).map_err(|e| to_py(py, e))
    }

    /// Registers the Python class made for a record or handle type.
    #[pyo3(signature = (key, cls, record=false))]
    fn register_class(&self, py: Python<'_>, key: String, cls: Py<PyAny>, record: bool) {
        self.ctx.register(py, key, cls, record);
    }

    /// Looks a function up: raises UnsupportedSignatureError (skipped) or SymbolNotFoundError.
    fn function(&self, py: Python<'_>, package: &str, name: &str) -> PyResult<Py<PyGoFunction>> {
        let f = self
            .ctx
            .module
            .function(package, name)
            .map_err(|e| to_py(py, e))?;
        Py::new(py, PyGoFunction::new(self.ctx.clone(), f))
    }

    /// Close names among a package's functions.
    fn suggest(&self, package: &str, name: &str) -> Vec<String> {
        match self.ctx.module.package(package) {
            Some(p) => usegolib_loader::suggest(
                name,
                p.functions
                    .iter()
                    .map(|f| f.name.as_str())
                    .chain(p.skipped.iter().map(|s| s.name.as_str())),
            ),
            None => Vec::new(),
        }
    }

    fn __repr__(&self) -> String {
        let m = self.ctx.module.manifest();
        format!(
            "<usegolib module '{}' {} ({}/{}, {})>",
            m.module, m.version, m.goos, m.goarch, m.go_version
        )
    }

    /// The benchmark floor: a callable for `usegolib_floor_<name>(a, b)`, a direct call without
    /// the envelope, with the GIL held (or released when `detach` is true). Only for benchmarks.
    #[pyo3(signature = (name, detach=false))]
    fn _floor(&self, name: &str, detach: bool) -> PyResult<PyFloor> {
        match self
            .ctx
            .module
            .floor_i64_binop(&format!("usegolib_floor_{name}"))
        {
            Some(f) => Ok(PyFloor { f, detach }),
            None => Err(PyTypeError::new_err(format!(
                "no usegolib_floor_{name} in this library"
            ))),
        }
    }
}

/// A direct call of a `usegolib_floor_*` export, for benchmarks only.
#[pyclass(module = "usegolib._native", name = "FloorFunction", frozen)]
pub struct PyFloor {
    f: usegolib_loader::FloorI64,
    detach: bool,
}

#[pymethods]
impl PyFloor {
    fn __call__(&self, py: Python<'_>, a: i64, b: i64) -> i64 {
        if self.detach {
            py.detach(|| self.f.call(a, b))
        } else {
            self.f.call(a, b)
        }
    }
}
