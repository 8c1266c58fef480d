//! Go error values as Python sees them (docs/abi.md section 4.1, docs/adr/0021): a `GoError`
//! with its chain (`wrapped`, `__cause__`), each error holding a Go object for the error value
//! itself (`_go`), released when the `GoError` is dropped; and the two ops the Python methods
//! of `GoError` (python/usegolib/errors.py) call: `errors.Is` and the concrete value.

use std::sync::Arc;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use usegolib_loader::{Error, ErrorNode, GoModule};

use crate::errors::{to_py, GoError, ObjectClosedError};
use crate::handle::PyGoObject;

/// The key of the Go objects that hold error values.
const ERROR_KEY: &str = "error";

/// A `GoError` instance (not raised) with `message`, `go_type` and `function`, and nothing
/// else: what another converter (an error inside `any`) makes.
pub fn plain<'py>(
    py: Python<'py>,
    message: Py<PyAny>,
    go_type: Py<PyAny>,
    function: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let err = GoError::new_err((message.clone_ref(py),));
    let value = err.value(py).clone().into_any();
    value.setattr("message", message)?;
    value.setattr("go_type", go_type)?;
    value.setattr("function", function)?;
    Ok(value)
}

/// The `GoError` of a go_error reply (or an error value): the first error of `chain` (or a
/// plain one when there is no chain), with the rest as its `wrapped` errors, each holding its
/// Go value as a Go object of `module`.
pub fn with_chain<'py>(
    py: Python<'py>,
    module: &Arc<GoModule>,
    message: Py<PyAny>,
    go_type: Py<PyAny>,
    function: &str,
    chain: Vec<ErrorNode>,
) -> PyResult<Bound<'py, PyAny>> {
    // Every handle is owned by a Go object first, so that a failure below releases them all.
    let key: Arc<str> = ERROR_KEY.into();
    let mut objects = Vec::with_capacity(chain.len());
    let mut failed = None;
    for n in &chain {
        if failed.is_some() {
            let _ = module.release(n.handle);
            continue;
        }
        match crate::handle::new_object(py, module, &key, None, n.handle) {
            Ok(o) => objects.push(o),
            Err(e) => {
                let _ = module.release(n.handle);
                failed = Some(e);
            }
        }
    }
    if let Some(e) = failed {
        return Err(e);
    }
    let mut errs = Vec::with_capacity(chain.len());
    for (i, (n, obj)) in chain.iter().zip(objects).enumerate() {
        let e = if i == 0 {
            plain(py, message.clone_ref(py), go_type.clone_ref(py), function)?
        } else {
            let msg = pyo3::types::PyString::new(py, &n.message)
                .into_any()
                .unbind();
            let typ = pyo3::types::PyString::new(py, &n.go_type)
                .into_any()
                .unbind();
            plain(py, msg, typ, function)?
        };
        e.setattr("_go", obj)?;
        e.setattr("_key", &n.key)?;
        errs.push(e);
    }
    for (i, e) in errs.iter().enumerate() {
        let wrapped: Vec<&Bound<'_, PyAny>> = chain
            .iter()
            .zip(&errs)
            .filter(|(n, _)| n.parent == Some(i))
            .map(|(_, w)| w)
            .collect();
        if let Some(first) = wrapped.first() {
            e.setattr("__cause__", *first)?;
        }
        e.setattr("wrapped", PyTuple::new(py, wrapped)?)?;
    }
    match errs.into_iter().next() {
        Some(e) => Ok(e),
        None => plain(py, message, go_type, function),
    }
}

/// The `PyErr` of a loader error: a `GoError` with its chain for [`Error::Go`], else
/// [`to_py`]'s exception.
pub fn to_py_err(py: Python<'_>, module: &Arc<GoModule>, e: Error) -> PyErr {
    let Error::Go {
        function,
        message,
        go_type,
        chain,
    } = e
    else {
        return to_py(py, e);
    };
    let s = |v: &str| pyo3::types::PyString::new(py, v).into_any().unbind();
    match with_chain(py, module, s(&message), s(&go_type), &function, chain) {
        Ok(v) => PyErr::from_value(v),
        Err(e) => e,
    }
}

/// The module and handle of the Go object holding an error value.
fn handle_of(obj: &Bound<'_, PyGoObject>) -> PyResult<(Arc<GoModule>, u64)> {
    let h = obj.get();
    let module = h.module().clone();
    let id = h
        .id_for(&module)
        .map_err(|e| e.into_pyerr("a Go error", "its Go value"))?;
    Ok((module, id))
}

/// The error of an op on error handles: a released handle is an `ObjectClosedError`, a
/// handle that is not an error a `TypeError`.
fn op_error(py: Python<'_>, e: Error) -> PyErr {
    match e {
        Error::UnknownHandle { message, .. } => {
            ObjectClosedError::new_err(format!("the Go error value was released: {message}"))
        }
        Error::Bridge { message, .. } => PyTypeError::new_err(message),
        e => to_py(py, e),
    }
}

/// `errors.Is(err, target)` in Go, for the Go values two `GoError`s hold.
#[pyfunction]
pub fn _error_is(
    py: Python<'_>,
    err: &Bound<'_, PyGoObject>,
    target: &Bound<'_, PyGoObject>,
) -> PyResult<bool> {
    let (module, a) = handle_of(err)?;
    let (other, b) = handle_of(target)?;
    if !Arc::ptr_eq(&module, &other) {
        return Err(PyTypeError::new_err(format!(
            "the target error belongs to Go module {}, this error to {}: a Go value never \
             crosses runtimes, so errors.Is cannot compare them",
            other.module(),
            module.module()
        )));
    }
    py.detach(|| module.error_is(a, b))
        .map_err(|e| op_error(py, e))
}

/// The concrete value of the Go error `err` holds, as a Go object of the class registered for
/// `key`; None when `key` is not a Go object type of the module.
#[pyfunction]
pub fn _error_value(
    py: Python<'_>,
    err: &Bound<'_, PyGoObject>,
    key: &str,
) -> PyResult<Option<Py<PyAny>>> {
    let (module, a) = handle_of(err)?;
    let ctx = crate::ctx::ctx_for(module.clone());
    let Some(info) = ctx.types.object(key) else {
        return Ok(None);
    };
    let id = py
        .detach(|| module.error_value(a))
        .map_err(|e| op_error(py, e))?;
    let cls = info.class().map(|c| c.bind(py));
    crate::handle::new_object(py, &module, &info.key, cls, id).map(Some)
}

/// Registers the functions.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_error_is, m)?)?;
    m.add_function(wrap_pyfunction!(_error_value, m)?)?;
    Ok(())
}
