//! Go error values as Python sees them (docs/abi.md section 4.1, docs/adr/0021): a `GoError`
//! with its chain (`wrapped`, `__cause__`), each error holding a Go object for the error value
//! itself (`_go`), released when the `GoError` is dropped; and the three ops the Python methods
//! of `GoError` (python/usegolib/errors.py) call: the chain of a raised error (asked for when
//! it is first used, so that raising stays cheap), `errors.Is` and the concrete value.

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

/// The `GoError` of an error value: the first error of `chain` (or a plain one when there is
/// no chain), with the rest as its `wrapped` errors, each holding its Go value as a Go object
/// of `module`.
pub fn with_chain<'py>(
    py: Python<'py>,
    module: &Arc<GoModule>,
    message: Py<PyAny>,
    go_type: Py<PyAny>,
    function: &str,
    chain: Vec<ErrorNode>,
) -> PyResult<Bound<'py, PyAny>> {
    let Some(first) = chain.first() else {
        return plain(py, message, go_type, function);
    };
    let top = holding(py, module, message, go_type, function, first)?;
    attach(py, module, &top, function, chain)?;
    Ok(top)
}

/// A `GoError` holding the Go value of `node` (its handle, released when the error is
/// collected) and its type key, its chain not yet known (`wrapped` asks for it: [`attach`]).
fn holding<'py>(
    py: Python<'py>,
    module: &Arc<GoModule>,
    message: Py<PyAny>,
    go_type: Py<PyAny>,
    function: &str,
    node: &ErrorNode,
) -> PyResult<Bound<'py, PyAny>> {
    // The handle is owned by a Go object first, so that a failure below releases it.
    let obj = match crate::handle::new_object(py, module, &ERROR_KEY.into(), None, node.handle) {
        Ok(o) => o,
        Err(e) => {
            let _ = module.release(node.handle);
            return Err(e);
        }
    };
    let e = plain(py, message, go_type, function)?;
    e.setattr("_go", obj)?;
    e.setattr("_key", &node.key)?;
    Ok(e)
}

/// Gives `top`, the `GoError` of `chain[0]` (which holds its handle already), the rest of its
/// chain: a `GoError` per further node, holding its handle, and `wrapped` and `__cause__` for
/// every error (a cause `top` already has is kept).
fn attach(
    py: Python<'_>,
    module: &Arc<GoModule>,
    top: &Bound<'_, PyAny>,
    function: &str,
    chain: Vec<ErrorNode>,
) -> PyResult<()> {
    // Every handle is owned by a Go object first, so that a failure below releases them all.
    let key: Arc<str> = ERROR_KEY.into();
    let mut objects = Vec::with_capacity(chain.len());
    let mut failed = None;
    for n in chain.iter().skip(1) {
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
    let s = |v: &str| pyo3::types::PyString::new(py, v).into_any().unbind();
    let mut errs = Vec::with_capacity(chain.len());
    errs.push(top.clone());
    for (n, obj) in chain.iter().skip(1).zip(objects) {
        let e = plain(py, s(&n.message), s(&n.go_type), function)?;
        e.setattr("_go", obj)?;
        e.setattr("_key", &n.key)?;
        errs.push(e);
    }
    let had_cause = PyErr::from_value(top.clone()).cause(py).is_some();
    for (i, e) in errs.iter().enumerate() {
        let wrapped: Vec<&Bound<'_, PyAny>> = chain
            .iter()
            .zip(&errs)
            .filter(|(n, _)| n.parent == Some(i))
            .map(|(_, w)| w)
            .collect();
        // `wrapped` first: once it is set, reading `__cause__` asks Go for nothing.
        e.setattr("wrapped", PyTuple::new(py, &wrapped)?)?;
        if let Some(first) = wrapped.first() {
            if i > 0 || !had_cause {
                e.setattr("__cause__", *first)?;
            }
        }
    }
    Ok(())
}

/// The `PyErr` of a loader error: for [`Error::Go`] a `GoError` holding the error's Go value
/// (its chain is asked for when it is first used: `_error_chain`), else [`to_py`]'s exception.
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
    let err = match chain.first() {
        Some(first) => holding(py, module, s(&message), s(&go_type), &function, first),
        None => plain(py, s(&message), s(&go_type), &function),
    };
    match err {
        Ok(v) => PyErr::from_value(v),
        Err(e) => e,
    }
}

/// The rest of the chain of `err`, a `GoError` holding its Go value, asked of Go (op 4 with
/// no argument) and given to it: `wrapped` (also of the errors it wraps) and `__cause__`.
#[pyfunction]
pub fn _error_chain(py: Python<'_>, err: &Bound<'_, PyAny>) -> PyResult<()> {
    let go = err.getattr("_go")?;
    let go = go.cast::<PyGoObject>()?;
    let (module, id) = handle_of(go)?;
    let function: String = err.getattr("function")?.extract()?;
    let chain = py
        .detach(|| module.error_chain(id))
        .map_err(|e| op_error(py, e))?;
    attach(py, &module, err, &function, chain)
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
    m.add_function(wrap_pyfunction!(_error_chain, m)?)?;
    Ok(())
}
