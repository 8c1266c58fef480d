//! `time` (Go `time.Time`): an aware datetime in, a `GoTime` out, as
//! `[unix_seconds, nanoseconds, utc_offset_seconds]`; the Python side is `usegolib/_types.py`.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use usegolib_abi::{write_array_len, write_int, Reader, Token};

use super::{bad_reply, malformed, types_attr, Encoder};
use crate::args::ArgError;

/// `datetime -> (unix_seconds, nanoseconds, utc_offset_seconds)`.
static TO_WIRE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
/// `(unix_seconds, nanoseconds, utc_offset_seconds) -> GoTime`.
static FROM_WIRE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static CLASS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

pub(super) const STUB: &str = "GoTime";

#[inline(never)]
pub(super) fn encode(
    enc: &mut Encoder<'_>,
    out: &mut Vec<u8>,
    obj: &Bound<'_, PyAny>,
) -> Result<(), ArgError> {
    let t = wire(obj)?;
    enc.open(obj)?;
    write_array_len(out, 3);
    write_int(out, t.0);
    write_int(out, t.1);
    write_int(out, t.2);
    enc.close();
    Ok(())
}

/// `obj`, an aware datetime, as `(unix_seconds, nanoseconds, utc_offset_seconds)`.
pub(super) fn wire(obj: &Bound<'_, PyAny>) -> PyResult<(i64, i64, i64)> {
    types_attr(obj.py(), &TO_WIRE, "time_to_wire")?
        .call1((obj,))?
        .extract()
}

/// The `GoTime` of a wire time.
pub(super) fn from_wire(py: Python<'_>, sec: i64, ns: i64, offset: i64) -> PyResult<Py<PyAny>> {
    types_attr(py, &FROM_WIRE, "time_from_wire")?
        .call1((sec, ns, offset))
        .map(Bound::unbind)
}

#[inline(never)]
pub(super) fn decode(py: Python<'_>, r: &mut Reader<'_>) -> PyResult<Py<PyAny>> {
    let mut parts = [0i64; 3];
    match r.next_token().map_err(malformed)? {
        Token::Array(3) => {}
        t => return Err(bad_reply(format!("expected a time, got {t:?}"))),
    }
    for p in &mut parts {
        *p = match r.next_token().map_err(malformed)? {
            Token::Int(i) => i,
            t => return Err(bad_reply(format!("expected an int in a time, got {t:?}"))),
        };
    }
    from_wire(py, parts[0], parts[1], parts[2])
}

pub(super) fn annotation(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    types_attr(py, &CLASS, "GoTime").cloned()
}
