//! `*T`: None for nil, else a T.

use std::sync::Arc;

use pyo3::prelude::*;
use usegolib_abi::{write_nil, Reader, Token};
use usegolib_loader::GoModule;

use super::{malformed, Converter, Encoder};
use crate::args::ArgError;

pub(super) fn encode(
    enc: &mut Encoder<'_>,
    out: &mut Vec<u8>,
    inner: &Converter,
    obj: &Bound<'_, PyAny>,
) -> Result<(), ArgError> {
    if obj.is_none() {
        write_nil(out);
        Ok(())
    } else {
        enc.value(out, inner, obj)
    }
}

pub(super) fn decode(
    py: Python<'_>,
    r: &mut Reader<'_>,
    inner: &Converter,
    module: &Arc<GoModule>,
) -> PyResult<Py<PyAny>> {
    let mut peek = r.clone();
    if let Token::Nil = peek.next_token().map_err(malformed)? {
        *r = peek;
        return Ok(py.None());
    }
    inner.decode(py, r, module)
}

pub(super) fn annotation<'py>(py: Python<'py>, inner: &Converter) -> PyResult<Bound<'py, PyAny>> {
    inner.annotation(py)?.bitor(py.None())
}

pub(super) fn stub(inner: &Converter, pkg: &str, arg: bool) -> String {
    format!("{} | None", inner.stub(pkg, arg))
}
