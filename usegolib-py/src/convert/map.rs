//! `map[string]T`: a dict with str keys (None for nil) in, a dict out.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use usegolib_abi::{write_map_len, write_nil, Reader, Token};
use usegolib_loader::GoModule;

use super::string::{decode_bytes, write_py_str};
use super::{bad_reply, malformed, Converter, Encoder};
use crate::args::{changed, for_each_item, mismatch, not_str_key, ArgError, Step};
use crate::handle::PyGoObject;

/// Writes a dict with str keys (or None, a nil map) as a map of `elem` values.
#[inline(never)]
pub(super) fn encode(
    enc: &mut Encoder<'_>,
    out: &mut Vec<u8>,
    elem: &Converter,
    obj: &Bound<'_, PyAny>,
) -> Result<(), ArgError> {
    if obj.is_none() {
        write_nil(out);
        return Ok(());
    }
    let d = obj.cast::<PyDict>().map_err(|_| mismatch("dict", obj))?;
    enc.open(obj)?;
    write_map_len(out, d.len());
    for_each_item(
        d,
        || changed("dict"),
        |k, v| {
            let Ok(ks) = k.cast::<PyString>() else {
                return Err(not_str_key("map", &k));
            };
            write_py_str(out, ks)?;
            enc.value(out, elem, &v).map_err(|e| {
                let key = ks.to_string_lossy().into_owned();
                e.located(|| format!("key {key}"), Step::Key(key.clone()), obj)
            })
        },
    )?;
    enc.close();
    Ok(())
}

/// A dict (an empty one for nil).
#[inline(never)]
pub(super) fn decode(
    py: Python<'_>,
    r: &mut Reader<'_>,
    elem: &Converter,
    module: &Arc<GoModule>,
) -> PyResult<Py<PyAny>> {
    match r.next_token().map_err(malformed)? {
        Token::Map(n) => {
            let dict = PyDict::new(py);
            for _ in 0..n {
                let k = match r.next_token().map_err(malformed)? {
                    Token::Str(b) => decode_bytes(py, b)?,
                    t => return Err(bad_reply(format!("expected a str key, got {t:?}"))),
                };
                dict.set_item(k, elem.decode(py, r, module)?)?;
            }
            Ok(dict.into_any().unbind())
        }
        Token::Nil => Ok(PyDict::new(py).into_any().unbind()),
        t => Err(bad_reply(format!("expected a map, got {t:?}"))),
    }
}

pub(super) fn closed<'py>(
    elem: &Converter,
    obj: &Bound<'py, PyAny>,
    depth: usize,
) -> Option<Bound<'py, PyGoObject>> {
    let d = obj.cast::<PyDict>().ok()?;
    d.values()
        .iter()
        .find_map(|v| elem.closed_object(&v, depth + 1))
}

pub(super) fn annotation<'py>(py: Python<'py>, elem: &Converter) -> PyResult<Bound<'py, PyAny>> {
    let key = py.get_type::<PyString>().into_any();
    py.get_type::<PyDict>()
        .get_item((key, elem.annotation(py)?))
}

/// `Mapping[str, T]` for an argument, else `dict[str, T]`.
pub(super) fn stub(elem: &Converter, pkg: &str, arg: bool) -> String {
    let inner = elem.stub(pkg, arg);
    if arg {
        format!("Mapping[str, {inner}]")
    } else {
        format!("dict[str, {inner}]")
    }
}
