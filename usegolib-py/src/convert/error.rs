//! `error` (results only, other than a trailing error, which raises): a Go error value as a
//! `GoError` instance (not raised), or None for nil. Annotated `GoError | None`. With error
//! values on, the value carries its chain (docs/abi.md section 4.1), and the instance holds
//! its Go value (crate::error_values).

use std::sync::Arc;

use pyo3::prelude::*;
use usegolib_abi::{Reader, Token};
use usegolib_loader::{ErrorNode, GoModule};

use super::{any, bad_reply, malformed};
use crate::errors::GoError;

pub(super) const STUB: &str = "GoError | None";

#[inline(never)]
pub(super) fn decode(
    py: Python<'_>,
    r: &mut Reader<'_>,
    module: &Arc<GoModule>,
) -> PyResult<Py<PyAny>> {
    match r.next_token().map_err(malformed)? {
        Token::Nil => Ok(py.None()),
        Token::Array(n @ (2 | 3)) => {
            let msg = any::decode(py, r)?;
            let go_type = any::decode(py, r)?;
            let chain = if n == 3 {
                let v = r.read_value().map_err(malformed)?;
                ErrorNode::parse_chain(&v)
                    .ok_or_else(|| bad_reply(format!("expected an error chain, got {v:?}")))?
            } else {
                Vec::new()
            };
            let e = crate::error_values::with_chain(py, module, msg, go_type, "", chain)?;
            Ok(e.unbind())
        }
        t => Err(bad_reply(format!("expected an error value, got {t:?}"))),
    }
}
pub(super) fn annotation(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    py.get_type::<GoError>().into_any().bitor(py.None())
}
