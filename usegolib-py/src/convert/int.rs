//! `int8` .. `int64`, `uint8` .. `uint64`: Python ints, range-checked exactly.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt};
use usegolib_abi::{write_int, write_uint, IntType};

use crate::args::{mismatch, ArgError};

pub(super) const STUB: &str = "int";

/// An int, not a bool.
#[inline]
pub(super) fn is_int(obj: &Bound<'_, PyAny>) -> bool {
    obj.is_exact_instance_of::<PyInt>()
        || (obj.is_instance_of::<PyInt>() && !obj.is_instance_of::<PyBool>())
}

pub(super) fn out_of_range(obj: &Bound<'_, PyAny>, t: IntType) -> ArgError {
    let shown = obj.str().map(|s| s.to_string()).unwrap_or_default();
    ArgError::Overflow(format!(
        "value {shown} is out of range for {t} [{}, {}]",
        t.min(),
        t.max()
    ))
}

/// Writes an int (known to be one) of type `t`.
pub(super) fn write_checked(
    out: &mut Vec<u8>,
    obj: &Bound<'_, PyAny>,
    t: IntType,
) -> Result<(), ArgError> {
    if let Ok(v) = obj.extract::<i64>() {
        let n = v as i128;
        if n < t.min() || n > t.max() {
            return Err(out_of_range(obj, t));
        }
        write_int(out, v);
        return Ok(());
    }
    match obj.extract::<u64>() {
        Ok(v) if (v as i128) <= t.max() => {
            write_uint(out, v);
            Ok(())
        }
        _ => Err(out_of_range(obj, t)),
    }
}

#[inline]
pub(super) fn encode(
    out: &mut Vec<u8>,
    obj: &Bound<'_, PyAny>,
    t: IntType,
) -> Result<(), ArgError> {
    if !is_int(obj) {
        return Err(mismatch("int", obj));
    }
    write_checked(out, obj, t)
}

pub(super) fn annotation(py: Python<'_>) -> Bound<'_, PyAny> {
    py.get_type::<PyInt>().into_any()
}

pub(super) fn zero(py: Python<'_>) -> PyResult<Py<PyAny>> {
    Ok(0i64.into_pyobject(py)?.into_any().unbind())
}
