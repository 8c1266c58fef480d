//! `error` (results only, other than a trailing error, which raises): a Go error value as a
//! `GoError` instance (not raised), or None for nil. Annotated `GoError | None`.

use pyo3::prelude::*;
use usegolib_abi::{Reader, Token};

use super::{any, bad_reply, malformed};
use crate::errors::GoError;

pub(super) const STUB: &str = "GoError | None";

#[inline(never)]
pub(super) fn decode(py: Python<'_>, r: &mut Reader<'_>) -> PyResult<Py<PyAny>> {
    match r.next_token().map_err(malformed)? {
        Token::Nil => Ok(py.None()),
        Token::Array(2) => {
            let msg = any::decode_plain(py, r)?;
            let go_type = any::decode_plain(py, r)?;
            let err = GoError::new_err(msg.clone_ref(py));
            let value = err.value(py);
            value.setattr("message", msg)?;
            value.setattr("go_type", go_type)?;
            Ok(value.clone().into_any().unbind())
        }
        t => Err(bad_reply(format!("expected an error value, got {t:?}"))),
    }
}

pub(super) fn annotation(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    py.get_type::<GoError>().into_any().bitor(py.None())
}
