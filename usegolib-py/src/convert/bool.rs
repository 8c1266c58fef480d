//! `bool`.

use pyo3::prelude::*;
use pyo3::types::PyBool;
use usegolib_abi::write_bool;

use crate::args::{mismatch, ArgError};

pub(super) const STUB: &str = "bool";

#[inline]
pub(super) fn encode(out: &mut Vec<u8>, obj: &Bound<'_, PyAny>) -> Result<(), ArgError> {
    match obj.cast::<PyBool>() {
        Ok(b) => {
            write_bool(out, b.is_true());
            Ok(())
        }
        Err(_) => Err(mismatch("bool", obj)),
    }
}

pub(super) fn annotation(py: Python<'_>) -> Bound<'_, PyAny> {
    py.get_type::<PyBool>().into_any()
}

pub(super) fn zero(py: Python<'_>) -> Py<PyAny> {
    PyBool::new(py, false).to_owned().into_any().unbind()
}
