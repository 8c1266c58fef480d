//! `GoFunction`: one callable Go function, and `GoModule`: a loaded module as Python sees it.

use std::cell::Cell;
use std::sync::Arc;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use usegolib_abi::{write_request_header, Target};
use usegolib_loader::{GoFunction, GoModule};

use crate::convert::{decode_result, encode_arg};
use crate::errors::to_py;

thread_local! {
    /// This thread's reusable request buffer.
    static REQUEST: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// A Go function. Calling it converts the arguments in Rust straight to the wire, releases the
/// GIL for the Go call, and converts the reply straight back.
#[pyclass(module = "usegolib._native", name = "GoFunction", frozen, dict)]
pub struct PyGoFunction {
    module: Arc<GoModule>,
    index: usize,
    /// The request header for this function (ABI, op, id, argument count), encoded once.
    header: Vec<u8>,
}

impl PyGoFunction {
    pub fn new(module: Arc<GoModule>, f: &GoFunction) -> Self {
        let mut header = Vec::with_capacity(16);
        write_request_header(&mut header, &Target::Id(f.id()), f.params.len());
        PyGoFunction {
            index: f.id() as usize,
            module,
            header,
        }
    }

    fn f(&self) -> &GoFunction {
        &self.module.functions()[self.index]
    }

    fn short_name(&self) -> String {
        let f = self.f();
        let pkg = f.package.rsplit('/').next().unwrap_or(&f.package);
        format!("{pkg}.{}", f.schema.name)
    }

    fn encode(
        &self,
        buf: &mut Vec<u8>,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        let f = self.f();
        let n = f.params.len();
        buf.clear();
        buf.extend_from_slice(&self.header);
        let nkw = kwargs.map_or(0, |k| k.len());
        if args.len() + nkw != n || args.len() > n {
            return Err(PyTypeError::new_err(format!(
                "{}() takes {n} argument{} ({}), got {}",
                self.short_name(),
                if n == 1 { "" } else { "s" },
                f.schema
                    .params
                    .iter()
                    .map(|p| format!("{} {}", p.name, p.go))
                    .collect::<Vec<_>>()
                    .join(", "),
                args.len() + nkw
            )));
        }
        let prefix = |i: usize| {
            let p = &f.schema.params[i];
            format!(
                "{}() argument '{}' (Go {})",
                self.short_name(),
                p.name,
                p.go
            )
        };
        for (i, arg) in args.iter().enumerate() {
            encode_arg(buf, &f.params[i], &arg).map_err(|e| e.into_pyerr(&prefix(i)))?;
        }
        if let Some(kw) = kwargs.filter(|_| nkw > 0) {
            for (k, _) in kw.iter() {
                let k: String = k.extract()?;
                let pos = f.schema.params.iter().position(|p| p.name == k);
                match pos {
                    Some(p) if p >= args.len() => {}
                    Some(_) => {
                        return Err(PyTypeError::new_err(format!(
                            "{}() got multiple values for argument '{k}'",
                            self.short_name()
                        )))
                    }
                    None => {
                        return Err(PyTypeError::new_err(format!(
                            "{}() got an unexpected keyword argument '{k}'",
                            self.short_name()
                        )))
                    }
                }
            }
            for i in args.len()..n {
                let p = &f.schema.params[i];
                let Some(arg) = kw.get_item(&p.name)? else {
                    return Err(PyTypeError::new_err(format!(
                        "{}() missing argument '{}' (Go {})",
                        self.short_name(),
                        p.name,
                        p.go
                    )));
                };
                encode_arg(buf, &f.params[i], &arg).map_err(|e| e.into_pyerr(&prefix(i)))?;
            }
        }
        Ok(())
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
        let mut buf = REQUEST.with(|c| c.take());
        let encoded = self.encode(&mut buf, args, kwargs);
        let result = encoded.and_then(|()| {
            let module = &*self.module;
            let f = self.f();
            let req = &buf;
            let reply = py.detach(|| module.send(f, req));
            // A Ctrl-C that arrived during the call takes effect now that it returned.
            py.check_signals()?;
            let reply = reply.map_err(|e| to_py(py, e))?;
            let (ok, mut r) = module.reply_body(f, &reply).map_err(|e| to_py(py, e))?;
            if ok {
                decode_result(py, &mut r, f.results.len())
            } else {
                Err(to_py(py, module.error_from_reader(f, &mut r)))
            }
        });
        // Keep this thread's request buffer for the next call, unless it grew huge.
        if buf.capacity() <= 16 << 20 {
            REQUEST.with(|c| c.set(buf));
        }
        result
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
        self.f().schema.name.clone()
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

    /// Parameters as (name, Go type, wire type).
    #[getter]
    fn params(&self) -> Vec<(String, String, String)> {
        self.f()
            .schema
            .params
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
}

/// A Go module loaded in this process (one Go runtime).
#[pyclass(module = "usegolib._native", name = "GoModule", frozen)]
pub struct PyGoModule {
    pub inner: Arc<GoModule>,
}

#[pymethods]
impl PyGoModule {
    /// The module path.
    #[getter]
    fn path(&self) -> String {
        self.inner.module().to_owned()
    }

    /// The version (`local` for a local directory).
    #[getter]
    fn version(&self) -> String {
        self.inner.version().to_owned()
    }

    /// The artifact directory.
    #[getter]
    fn artifact_dir(&self) -> String {
        self.inner.artifact_dir().display().to_string()
    }

    /// The manifest, as JSON text.
    fn manifest_json(&self) -> PyResult<String> {
        serde_json::to_string(self.inner.manifest())
            .map_err(|e| PyTypeError::new_err(e.to_string()))
    }

    /// Import paths of the packages.
    fn packages(&self) -> Vec<String> {
        self.inner
            .packages()
            .iter()
            .map(|p| p.path.clone())
            .collect()
    }

    /// The functions of a package, as `GoFunction` objects.
    fn functions(&self, py: Python<'_>, package: &str) -> PyResult<Vec<Py<PyGoFunction>>> {
        self.inner
            .functions()
            .iter()
            .filter(|f| f.package == package)
            .map(|f| Py::new(py, PyGoFunction::new(self.inner.clone(), f)))
            .collect()
    }

    /// The skipped functions of a package: (name, signature, reason).
    fn skipped(&self, package: &str) -> Vec<(String, String, String)> {
        self.inner
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
        self.inner
            .package(package)
            .map(|p| p.doc.clone())
            .unwrap_or_default()
    }

    /// Looks a function up: raises UnsupportedSignatureError (skipped) or SymbolNotFoundError.
    fn function(&self, py: Python<'_>, package: &str, name: &str) -> PyResult<Py<PyGoFunction>> {
        let f = self
            .inner
            .function(package, name)
            .map_err(|e| to_py(py, e))?;
        Py::new(py, PyGoFunction::new(self.inner.clone(), f))
    }

    /// Close names among a package's functions.
    fn suggest(&self, package: &str, name: &str) -> Vec<String> {
        match self.inner.package(package) {
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
        let m = self.inner.manifest();
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
            .inner
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
