//! `float32` and `float64`: Python floats, or ints.

use pyo3::exceptions::PyOverflowError;
use pyo3::prelude::*;
use pyo3::types::PyFloat;
use usegolib_abi::{write_f32, write_f64};

use super::int::is_int;
use crate::args::{mismatch, ArgError};

pub(super) const STUB: &str = "float";

fn as_f64(obj: &Bound<'_, PyAny>) -> Result<f64, ArgError> {
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Ok(f.value());
    }
    if is_int(obj) {
        // An int subclass may have its own __float__: its exceptions pass through.
        return obj.extract::<f64>().map_err(|e| {
            if e.is_instance_of::<PyOverflowError>(obj.py()) {
                ArgError::Overflow("int too large to convert to float".into())
            } else {
                ArgError::Py(e)
            }
        });
    }
    Err(mismatch("float", obj))
}

#[inline]
pub(super) fn encode_f64(out: &mut Vec<u8>, obj: &Bound<'_, PyAny>) -> Result<(), ArgError> {
    write_f64(out, as_f64(obj)?);
    Ok(())
}

#[inline]
pub(super) fn encode_f32(out: &mut Vec<u8>, obj: &Bound<'_, PyAny>) -> Result<(), ArgError> {
    let f = as_f64(obj)?;
    let r = f as f32;
    if f.is_finite() && r.is_infinite() {
        return Err(ArgError::Overflow(format!(
            "value {f} is out of range for float32"
        )));
    }
    write_f32(out, r);
    Ok(())
}

pub(super) fn annotation(py: Python<'_>) -> Bound<'_, PyAny> {
    py.get_type::<PyFloat>().into_any()
}

pub(super) fn zero(py: Python<'_>) -> Py<PyAny> {
    PyFloat::new(py, 0.0).into_any().unbind()
}
