//! Go objects: Python objects holding a handle to a Go value (docs/abi.md section 8.3).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use usegolib_loader::GoModule;

use crate::args::ArgError;

/// The internal token that lets only the binding create Go objects.
#[pyclass(module = "usegolib._native", frozen)]
pub struct HandleToken {
    module: Arc<GoModule>,
    key: Arc<str>,
    id: u64,
}

/// A Go value living in the Go runtime, used through its methods. Each Go type gets a Python
/// subclass (made by the package at import) whose attributes are the methods.
///
/// `close()` (or leaving a `with` block, or garbage collection) releases the Go value; calling
/// a method afterwards raises `ObjectClosedError`.
#[pyclass(module = "usegolib._native", name = "GoObject", subclass, frozen)]
pub struct PyGoObject {
    module: Arc<GoModule>,
    key: Arc<str>,
    id: u64,
    closed: AtomicBool,
}

impl PyGoObject {
    /// The handle id, for an argument of a call into `module`.
    pub fn id_for(&self, module: &Arc<GoModule>) -> Result<u64, ArgError> {
        if !Arc::ptr_eq(&self.module, module) {
            return Err(ArgError::Type(format!(
                "this Go object belongs to module {}, not {}",
                self.module.module(),
                module.module()
            )));
        }
        if self.is_closed() {
            return Err(ArgError::Py(crate::errors::ObjectClosedError::new_err(
                format!("{} was closed: it cannot be used any more", self.describe()),
            )));
        }
        Ok(self.id)
    }

    /// The module whose runtime holds the value.
    pub fn module(&self) -> &Arc<GoModule> {
        &self.module
    }

    /// Whether `close()` was called (or the object was collected).
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// `Go object *pkg.Type (handle N)`, for messages.
    pub fn describe(&self) -> String {
        format!("Go object *{} (handle {})", short_key(&self.key), self.id)
    }
}

#[pymethods]
impl PyGoObject {
    #[new]
    fn new(token: PyRef<'_, HandleToken>) -> Self {
        PyGoObject {
            module: token.module.clone(),
            key: token.key.clone(),
            id: token.id,
            closed: AtomicBool::new(false),
        }
    }

    /// Releases the Go value. Closing twice does nothing.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        if self.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let module = &self.module;
        let id = self.id;
        py.detach(|| module.release(id))
            .map_err(|e| crate::errors::to_py(py, e))
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, PyTuple>) -> PyResult<bool> {
        self.close(py)?;
        Ok(false)
    }

    /// The handle id.
    #[getter]
    fn go_handle(&self) -> u64 {
        self.id
    }

    /// The Go type's key (`<import path>.<Name>`).
    #[getter]
    fn go_type(&self) -> &str {
        &self.key
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.is_closed()
    }

    fn __repr__(&self) -> String {
        let state = if self.closed.load(Ordering::Acquire) {
            "closed"
        } else {
            "alive"
        };
        format!("<go *{} handle={} {state}>", short_key(&self.key), self.id)
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(PyTypeError::new_err(
            "cannot pickle a Go object: handles are local to one process",
        ))
    }
}

impl Drop for PyGoObject {
    fn drop(&mut self) {
        if !self.closed.swap(true, Ordering::AcqRel) {
            // Garbage collected while open: release the Go value. Errors cannot be raised here.
            let _ = self.module.release(self.id);
        }
    }
}

/// A type key with package names for import paths, for messages: `example.com/m.Counter` is
/// `m.Counter`, and an unnamed func type's key `func(*example.com/m.Config) int` is
/// `func(*m.Config) int`.
pub fn short_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut word_start = 0; // in `out`: where the current word (a qualified name) starts
    for c in key.chars() {
        if c == '/' {
            out.truncate(word_start);
            continue;
        }
        out.push(c);
        if !(c.is_alphanumeric() || c == '_' || c == '.' || c == '-' || c == '~') {
            word_start = out.len();
        }
    }
    out
}

/// Creates the Python object for a handle of type `key` received from Go: an instance of
/// `cls` (the type's registered class) or, before one is registered, a plain `GoObject`.
pub fn new_object(
    py: Python<'_>,
    module: &Arc<GoModule>,
    key: &Arc<str>,
    cls: Option<&Bound<'_, PyAny>>,
    id: u64,
) -> PyResult<Py<PyAny>> {
    let Some(cls) = cls else {
        // A plain GoObject is made here directly: no token, no call through Python.
        let obj = PyGoObject {
            module: module.clone(),
            key: key.clone(),
            id,
            closed: AtomicBool::new(false),
        };
        return Ok(Py::new(py, obj)?.into_any());
    };
    let token = Py::new(
        py,
        HandleToken {
            module: module.clone(),
            key: key.clone(),
            id,
        },
    )?;
    // GoObject.__new__(cls, token), looked up once: it bypasses a __new__ that the subclass
    // defines for construction from Python.
    static NEW: pyo3::sync::PyOnceLock<Py<PyAny>> = pyo3::sync::PyOnceLock::new();
    let new = NEW.get_or_try_init(py, || {
        py.get_type::<PyGoObject>()
            .getattr("__new__")
            .map(Bound::unbind)
    })?;
    Ok(new.bind(py).call1((cls, token))?.unbind())
}

#[cfg(test)]
mod tests {
    use super::short_key;

    #[test]
    fn short_keys() {
        assert_eq!(short_key("example.com/m.Counter"), "m.Counter");
        assert_eq!(short_key("example.com/a/b.T"), "b.T");
        assert_eq!(short_key("func(int) int"), "func(int) int");
        assert_eq!(
            short_key("func(*example.com/m.Config, []example.com/x/y.T) map[string]int"),
            "func(*m.Config, []y.T) map[string]int"
        );
    }
}
