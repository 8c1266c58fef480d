//! `string`: Python str, with lone surrogates (`surrogateescape`) standing for bytes that are
//! not UTF-8, both ways.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use usegolib_abi::write_str;

use crate::args::{mismatch, ArgError};

pub(super) const STUB: &str = "str";

/// `str.encode`, looked up once on the type: a `str` subclass's own `encode` is not called.
fn str_encode(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static ENCODE: pyo3::sync::PyOnceLock<Py<PyAny>> = pyo3::sync::PyOnceLock::new();
    ENCODE
        .get_or_try_init(py, || {
            py.get_type::<PyString>()
                .getattr("encode")
                .map(Bound::unbind)
        })
        .map(|e| e.bind(py))
}

/// Writes a Python `str` as Go string bytes: UTF-8, with lone surrogates from
/// `surrogateescape` turned back into the bytes they stand for.
pub(super) fn write_py_str(out: &mut Vec<u8>, s: &Bound<'_, PyString>) -> Result<(), ArgError> {
    with_str_bytes(s, |b| write_str(out, b))
}

/// The Go string bytes of a Python `str` (as [`write_py_str`] writes them), handed to `f`.
pub(super) fn with_str_bytes<R>(
    s: &Bound<'_, PyString>,
    f: impl FnOnce(&[u8]) -> R,
) -> Result<R, ArgError> {
    match s.to_str() {
        Ok(text) => Ok(f(text.as_bytes())),
        Err(_) => {
            let b = str_encode(s.py())?.call1((s, "utf-8", "surrogateescape"))?;
            let b = b.cast::<PyBytes>().map_err(|e| ArgError::Py(e.into()))?;
            Ok(f(b.as_bytes()))
        }
    }
}

#[inline]
pub(super) fn encode(out: &mut Vec<u8>, obj: &Bound<'_, PyAny>) -> Result<(), ArgError> {
    match obj.cast::<PyString>() {
        Ok(s) => write_py_str(out, s),
        Err(_) => Err(mismatch("str", obj)),
    }
}

/// Go string bytes as a Python str (bytes that are not UTF-8 as lone surrogates).
pub fn decode_bytes(py: Python<'_>, b: &[u8]) -> PyResult<Py<PyAny>> {
    crate::fast::decode_utf8(py, b).map(Bound::unbind)
}

pub(super) fn annotation(py: Python<'_>) -> Bound<'_, PyAny> {
    py.get_type::<PyString>().into_any()
}

pub(super) fn zero(py: Python<'_>) -> Py<PyAny> {
    PyString::new(py, "").into_any().unbind()
}
