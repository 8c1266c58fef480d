//! `context` (Go `context.Context`, a parameter itself only, docs/abi.md section 8.7): None
//! (or the parameter left out) gives a context the bridge makes for the call, cancelled on
//! Ctrl-C and ended at the call's `timeout=` (see `crate::watch`); a Go object passes as
//! itself (Go checks that it implements `context.Context`).

use std::sync::atomic::{AtomicU64, Ordering};

use pyo3::prelude::*;
use usegolib_abi::{write_context, write_handle};

use super::Encoder;
use crate::args::{type_name, ArgError};
use crate::handle::PyGoObject;

/// What a `context` argument accepts, as the stub writes it.
pub(super) const STUB: &str = "GoObject | None";

/// The token of the next bridge-made context: unique in the process, never reused.
static NEXT_TOKEN: AtomicU64 = AtomicU64::new(1);

pub(super) fn encode(
    enc: &mut Encoder<'_>,
    out: &mut Vec<u8>,
    obj: &Bound<'_, PyAny>,
) -> Result<(), ArgError> {
    if obj.is_none() {
        let token = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed);
        write_context(out, token, enc.timeout_ns);
        enc.contexts.push(token);
        return Ok(());
    }
    if let Ok(h) = obj.cast::<PyGoObject>() {
        write_handle(out, h.get().id_for(enc.module)?);
        return Ok(());
    }
    Err(ArgError::Type(format!(
        "expected None (a context the bridge makes for the call) or a Go object implementing \
         context.Context, got {}",
        type_name(obj)
    )))
}

/// `GoObject | None`.
pub(super) fn annotation(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    py.get_type::<PyGoObject>().into_any().bitor(py.None())
}
