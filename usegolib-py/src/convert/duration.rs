//! `duration` (Go `time.Duration`): a timedelta in, a `GoDuration` out, as int64 nanoseconds;
//! the Python side is `usegolib/_types.py`.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use usegolib_abi::{write_int, Reader, Token};

use super::{bad_reply, malformed, types_attr};
use crate::args::ArgError;

/// `timedelta -> nanoseconds`.
static TO_WIRE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
/// `nanoseconds -> GoDuration`.
static FROM_WIRE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static CLASS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

pub(super) const STUB: &str = "GoDuration";

pub(super) fn encode(out: &mut Vec<u8>, obj: &Bound<'_, PyAny>) -> Result<(), ArgError> {
    write_int(out, nanoseconds(obj)?);
    Ok(())
}

/// `obj`, a timedelta, in int64 nanoseconds.
pub(super) fn nanoseconds(obj: &Bound<'_, PyAny>) -> Result<i64, ArgError> {
    let ns = types_attr(obj.py(), &TO_WIRE, "duration_to_wire")?.call1((obj,))?;
    ns.extract::<i64>().map_err(|_| {
        ArgError::Overflow("duration out of range for time.Duration (int64 nanoseconds)".into())
    })
}

#[inline(never)]
pub(super) fn decode(py: Python<'_>, r: &mut Reader<'_>) -> PyResult<Py<PyAny>> {
    match r.next_token().map_err(malformed)? {
        Token::Int(ns) => types_attr(py, &FROM_WIRE, "duration_from_wire")?
            .call1((ns,))
            .map(Bound::unbind),
        t => Err(bad_reply(format!("expected a duration, got {t:?}"))),
    }
}

pub(super) fn annotation(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    types_attr(py, &CLASS, "GoDuration").cloned()
}
