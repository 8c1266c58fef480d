//! `any`: a dynamic value: None, bool, int, float, str, bytes-like, list/tuple, dict with str
//! keys, and (docs/abi.md section 8.9) an aware datetime, a timedelta, a Go object or a record
//! instance; read back without type guidance, the ext values of `any` included: a time as a
//! `GoTime`, a duration as a `GoDuration`, an error as a `GoError`, a record as its class, a Go
//! object as its class.

use std::cell::Cell;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyList, PyString, PyTuple, PyType};
use usegolib_abi::{
    timestamp, write_array_len, write_bin, write_bool, write_f64, write_handle, write_int,
    write_nil, write_tagged, write_timestamp, write_uint, Limits, Reader, Token, EXT_OBJECT,
    EXT_TAGGED, EXT_TIMESTAMP,
};
use usegolib_loader::GoModule;

use super::bytes::with_bytes;
use super::int::is_int;
use super::string::{decode_bytes, write_py_str};
use super::{bad_reply, duration, error, list, malformed, map, record, time, Converter, Encoder};
use crate::args::{mismatch, ArgError};
use crate::handle::PyGoObject;

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
    } else if exact(enc, out, obj)? {
    } else if super::outparam::is_ref(obj) {
        return Err(ArgError::Type(
            "a usegolib.Ref is an out-parameter: it can only be a whole argument for a Go `any` \
             parameter, not inside a list, dict or variadic argument, nor inside another Ref"
                .into(),
        ));
    } else {
        return Err(mismatch(
            "None, bool, int, float, str, bytes, list, tuple, dict, datetime, timedelta, a Go \
             object or a record",
            obj,
        ));
    }
    Ok(())
}

/// `datetime.datetime` and `datetime.timedelta`, looked up once.
fn datetime_classes(py: Python<'_>) -> PyResult<&(Py<PyAny>, Py<PyAny>)> {
    static CLASSES: PyOnceLock<(Py<PyAny>, Py<PyAny>)> = PyOnceLock::new();
    CLASSES.get_or_try_init(py, || {
        let m = py.import("datetime")?;
        Ok((
            m.getattr("datetime")?.unbind(),
            m.getattr("timedelta")?.unbind(),
        ))
    })
}

/// The values of `any` that need an ext value (docs/abi.md section 8.9): an aware datetime (a
/// timestamp at offset 0, else ext 6 "time"), a timedelta (ext 6 "duration"), a Go object (its
/// handle: Go receives the value it holds) and a record instance (ext 6 with its type key).
/// False, writing nothing, for any other value.
#[inline(never)]
fn exact(
    enc: &mut Encoder<'_>,
    out: &mut Vec<u8>,
    obj: &Bound<'_, PyAny>,
) -> Result<bool, ArgError> {
    let py = obj.py();
    let (dt, td) = datetime_classes(py)?;
    if obj.is_instance(dt.bind(py))? {
        let (sec, ns, off) = time::wire(obj)?;
        if off == 0 {
            // time_to_wire keeps ns in 0..10^9.
            write_timestamp(out, sec, ns as u32);
        } else {
            enc.open(obj)?;
            write_tagged(out, TAG_TIME, |p| {
                write_array_len(p, 3);
                write_int(p, sec);
                write_int(p, ns);
                write_int(p, off);
                Ok::<(), ArgError>(())
            })?;
            enc.close();
        }
        return Ok(true);
    }
    if obj.is_instance(td.bind(py))? {
        let ns = duration::nanoseconds(obj)?;
        write_tagged(out, TAG_DURATION, |p| {
            write_int(p, ns);
            Ok::<(), ArgError>(())
        })?;
        return Ok(true);
    }
    if let Ok(h) = obj.cast::<PyGoObject>() {
        write_handle(out, h.get().id_for(enc.module)?);
        return Ok(true);
    }
    if obj.is_instance_of::<PyType>() {
        return Ok(false);
    }
    let ctx;
    let types = match enc.types {
        Some(t) => t,
        None => {
            ctx = crate::ctx::ctx_for(enc.module.clone());
            &ctx.types
        }
    };
    let Some(rec) = types.record_of(obj).cloned() else {
        return Ok(false);
    };
    write_tagged(out, &rec.key, |p| record::encode(enc, p, &rec, obj))?;
    Ok(true)
}

/// The tags of ext 6 that are not record keys (docs/abi.md section 8.9).
const TAG_TIME: &str = "time";
const TAG_DURATION: &str = "duration";
const TAG_ERROR: &str = "error";

/// Reads one value from the reply into a Python object, without type guidance: the ext values
/// of `any` with the types of `module`.
#[inline]
pub(super) fn decode(
    py: Python<'_>,
    r: &mut Reader<'_>,
    module: &Arc<GoModule>,
) -> PyResult<Py<PyAny>> {
    decode_with(py, r, Some(module))
}

/// [`decode`] for a place that never holds an ext value (an error's message and Go type).
pub(super) fn decode_plain(py: Python<'_>, r: &mut Reader<'_>) -> PyResult<Py<PyAny>> {
    decode_with(py, r, None)
}

#[inline]
fn decode_with(
    py: Python<'_>,
    r: &mut Reader<'_>,
    module: Option<&Arc<GoModule>>,
) -> PyResult<Py<PyAny>> {
    Ok(match r.next_token().map_err(malformed)? {
        Token::Nil => py.None(),
        Token::Bool(b) => PyBool::new(py, b).to_owned().into_any().unbind(),
        Token::Int(i) => i.into_pyobject(py)?.into_any().unbind(),
        Token::Uint(u) => u.into_pyobject(py)?.into_any().unbind(),
        Token::F32(f) => PyFloat::new(py, f as f64).into_any().unbind(),
        Token::F64(f) => PyFloat::new(py, f).into_any().unbind(),
        Token::Str(b) => decode_bytes(py, b)?,
        Token::Bin(b) => crate::fast::new_bytes(py, b)?.into_any().unbind(),
        Token::Array(n) => {
            let list = PyList::empty(py);
            for _ in 0..n {
                list.append(decode_with(py, r, module)?)?;
            }
            list.into_any().unbind()
        }
        Token::Map(n) => {
            let dict = PyDict::new(py);
            for _ in 0..n {
                let k = decode_with(py, r, module)?;
                let v = decode_with(py, r, module)?;
                dict.set_item(k, v)?;
            }
            dict.into_any().unbind()
        }
        Token::Ext(t, data) => match module {
            Some(m) => ext(py, t, data, m)?,
            None => return Err(bad_reply("an ext value where none was expected".into())),
        },
    })
}

thread_local! {
    /// How many tagged values (ext 6) the decoding on this thread is inside: their payloads are
    /// not covered by the reply's validation, so their nesting is bounded here.
    static NEST: Cell<usize> = const { Cell::new(0) };
}

/// An ext value inside `any` (docs/abi.md section 8.9).
#[inline(never)]
fn ext(py: Python<'_>, t: i8, data: &[u8], module: &Arc<GoModule>) -> PyResult<Py<PyAny>> {
    match t {
        EXT_TIMESTAMP => match timestamp(data) {
            Some((sec, ns)) => time::from_wire(py, sec, i64::from(ns), 0),
            None => Err(bad_reply("a malformed timestamp (ext type -1)".into())),
        },
        EXT_OBJECT if data.len() >= 8 => {
            let (id, key) = data.split_at(8);
            let id = u64::from_be_bytes(id.try_into().unwrap_or_default());
            let key = std::str::from_utf8(key)
                .map_err(|_| bad_reply("a Go object's type key is not UTF-8".into()))?;
            let ctx = crate::ctx::ctx_for(module.clone());
            match ctx.types.object(key) {
                Some(info) => super::object::new(py, module, info, id),
                None => crate::handle::new_object(py, module, &Arc::from(key), None, id),
            }
        }
        EXT_TAGGED => {
            let depth = NEST.get();
            if depth >= Limits::ABI.max_depth {
                return Err(bad_reply(
                    "tagged values (ext type 6) nested too deep".into(),
                ));
            }
            NEST.set(depth + 1);
            let v = tagged(py, data, module);
            NEST.set(depth);
            v
        }
        t => Err(bad_reply(format!(
            "an ext value of type {t} ({} bytes) inside any",
            data.len()
        ))),
    }
}

/// The payload of a tagged value: its tag, then exactly one value of the tag's type.
fn tagged(py: Python<'_>, data: &[u8], module: &Arc<GoModule>) -> PyResult<Py<PyAny>> {
    let mut r = Reader::new(data);
    let tag = match r.next_token().map_err(malformed)? {
        Token::Str(s) => std::str::from_utf8(s)
            .map_err(|_| bad_reply("a tagged value's tag is not UTF-8".into()))?,
        t => return Err(bad_reply(format!("expected a tag, got {t:?}"))),
    };
    let rest = &data[r.position()..];
    usegolib_abi::validate(rest, &Limits::ABI).map_err(malformed)?;
    let mut r = Reader::new(rest);
    let v = match tag {
        TAG_TIME => time::decode(py, &mut r)?,
        TAG_DURATION => duration::decode(py, &mut r)?,
        TAG_ERROR => error::decode(py, &mut r, module)?,
        key => {
            let ctx = crate::ctx::ctx_for(module.clone());
            let Some(rec) = ctx.types.record(key) else {
                return Err(bad_reply(format!("unknown record type {key:?} inside any")));
            };
            record::decode(py, &mut r, rec, module)?
        }
    };
    if !r.is_at_end() {
        return Err(bad_reply(format!("bytes after the value of tag {tag:?}")));
    }
    Ok(v)
}

/// `typing.Any`.
pub(super) fn annotation(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    py.import("typing")?.getattr("Any")
}
