//! `duration` (Go `time.Duration`): a timedelta in, a `GoDuration` out, as int64 nanoseconds;
//! the Python side is `usegolib/_types.py`.

use pyo3::prelude::*;
use usegolib_abi::{write_int, Reader, Token};

use super::{bad_reply, malformed};
use crate::args::ArgError;
use crate::helpers::helpers;

pub(super) const STUB: &str = "GoDuration";

pub(super) fn encode(out: &mut Vec<u8>, obj: &Bound<'_, PyAny>) -> Result<(), ArgError> {
    let ns = helpers()?.duration_to_wire.bind(obj.py()).call1((obj,))?;
    match ns.extract::<i64>() {
        Ok(n) => {
            write_int(out, n);
            Ok(())
        }
        Err(_) => Err(ArgError::Overflow(
            "duration out of range for time.Duration (int64 nanoseconds)".into(),
        )),
    }
}

pub(super) fn decode(py: Python<'_>, r: &mut Reader<'_>) -> PyResult<Py<PyAny>> {
    match r.next_token().map_err(malformed)? {
        Token::Int(ns) => helpers()?.duration_from_wire.call1(py, (ns,)),
        t => Err(bad_reply(format!("expected a duration, got {t:?}"))),
    }
}

pub(super) fn annotation(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    py.import("usegolib._types")?.getattr("GoDuration")
}
