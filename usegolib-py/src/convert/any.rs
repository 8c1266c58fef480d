//! `any`: a dynamic value: None, bool, int, float, str, bytes-like, list/tuple, dict with str
//! keys; read back without type guidance.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyList, PyString, PyTuple};
use usegolib_abi::{
    write_bin, write_bool, write_f64, write_int, write_nil, write_uint, Reader, Token,
};

use super::bytes::with_bytes;
use super::int::is_int;
use super::string::{decode_bytes, write_py_str};
use super::{bad_reply, list, malformed, map, Converter, Encoder};
use crate::args::{mismatch, ArgError};

pub(super) const STUB: &str = "Any";

#[inline(never)]
pub(super) fn encode(
    enc: &mut Encoder<'_>,
    out: &mut Vec<u8>,
    obj: &Bound<'_, PyAny>,
) -> Result<(), ArgError> {
    if obj.is_none() {
        write_nil(out);
    } else if let Ok(b) = obj.cast::<PyBool>() {
        write_bool(out, b.is_true());
    } else if is_int(obj) {
        if let Ok(v) = obj.extract::<i64>() {
            write_int(out, v);
        } else if let Ok(v) = obj.extract::<u64>() {
            write_uint(out, v);
        } else {
            return Err(ArgError::Overflow(
                "int out of range for a Go integer (int64 or uint64)".into(),
            ));
        }
    } else if let Ok(f) = obj.cast::<PyFloat>() {
        write_f64(out, f.value());
    } else if let Ok(s) = obj.cast::<PyString>() {
        write_py_str(out, s)?;
    } else if let Some(()) = with_bytes(obj, |b| write_bin(out, b))? {
    } else if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        return list::encode(enc, out, &Converter::Any, obj, None);
    } else if obj.is_instance_of::<PyDict>() {
        return map::encode(enc, out, &Converter::Any, obj);
    } else if super::outparam::is_ref(obj) {
        return Err(ArgError::Type(
            "a usegolib.Ref is an out-parameter: it can only be a whole argument for a Go `any` \
             parameter, not inside a list, dict or variadic argument, nor inside another Ref"
                .into(),
        ));
    } else {
        return Err(mismatch(
            "None, bool, int, float, str, bytes, list, tuple or dict",
            obj,
        ));
    }
    Ok(())
}

/// Reads one value from the reply into a Python object, without type guidance.
#[inline]
pub(super) fn decode(py: Python<'_>, r: &mut Reader<'_>) -> PyResult<Py<PyAny>> {
    Ok(match r.next_token().map_err(malformed)? {
        Token::Nil => py.None(),
        Token::Bool(b) => PyBool::new(py, b).to_owned().into_any().unbind(),
        Token::Int(i) => i.into_pyobject(py)?.into_any().unbind(),
        Token::Uint(u) => u.into_pyobject(py)?.into_any().unbind(),
        Token::F32(f) => PyFloat::new(py, f as f64).into_any().unbind(),
        Token::F64(f) => PyFloat::new(py, f).into_any().unbind(),
        Token::Str(b) => decode_bytes(py, b)?,
        Token::Bin(b) => PyBytes::new(py, b).into_any().unbind(),
        Token::Array(n) => {
            let list = PyList::empty(py);
            for _ in 0..n {
                list.append(decode(py, r)?)?;
            }
            list.into_any().unbind()
        }
        Token::Map(n) => {
            let dict = PyDict::new(py);
            for _ in 0..n {
                let k = decode(py, r)?;
                let v = decode(py, r)?;
                dict.set_item(k, v)?;
            }
            dict.into_any().unbind()
        }
        Token::Ext(..) => return Err(bad_reply("an ext value where none was expected".into())),
    })
}

/// `typing.Any`.
pub(super) fn annotation(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    py.import("typing")?.getattr("Any")
}
