//! `reader` (Go `io.Reader`, parameters only): bytes, bytearray, memoryview or str (as UTF-8)
//! travel as their bytes, and Go reads them from a `*bytes.Reader`; a Go object passes as
//! itself (Go checks that it implements `io.Reader`); None is a nil reader; an object with
//! `readinto` or `read` is a host object Go reads through (stream.rs).

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyMemoryView, PyString};
use usegolib_abi::{write_bin, write_handle, write_nil};
use usegolib_loader::GoModule;

use crate::args::{type_name, ArgError};
use crate::handle::PyGoObject;

/// What a `reader` argument accepts, as the stub writes it.
pub(super) const STUB: &str =
    "bytes | bytearray | memoryview | str | SupportsRead[bytes] | GoObject | None";

pub(super) fn encode(
    module: &Arc<GoModule>,
    out: &mut Vec<u8>,
    obj: &Bound<'_, PyAny>,
) -> Result<(), ArgError> {
    if let Some(()) = super::bytes::with_bytes(obj, |b| write_bin(out, b))? {
        return Ok(());
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return super::string::with_str_bytes(s, |b| write_bin(out, b));
    }
    if let Ok(h) = obj.cast::<PyGoObject>() {
        write_handle(out, h.get().id_for(module)?);
        return Ok(());
    }
    if obj.is_none() {
        write_nil(out);
        return Ok(());
    }
    // An object with readinto() or read(): Go calls it for each chunk (docs/abi.md section 10).
    if let Some(id) = super::stream::reader(module, obj)? {
        super::object::write_host_object(out, id);
        return Ok(());
    }
    Err(ArgError::Type(format!(
        "expected bytes, bytearray, memoryview, str, an object with a read() or readinto() \
         method (io.Reader: missing method read), a Go object implementing io.Reader, or None, \
         got {}",
        type_name(obj)
    )))
}

/// `bytes | bytearray | memoryview | str | GoObject | None`.
pub(super) fn annotation(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    let mut ann = py.get_type::<PyBytes>().into_any();
    for t in [
        py.get_type::<PyByteArray>(),
        py.get_type::<PyMemoryView>(),
        py.get_type::<PyString>(),
        py.get_type::<PyGoObject>(),
    ] {
        ann = ann.bitor(t)?;
    }
    ann.bitor(py.None())
}
