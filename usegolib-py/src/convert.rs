//! Python objects to wire bytes and back, in one pass each: the only place where Python types
//! meet ABI types. Arguments are written straight into the request buffer (no intermediate
//! value tree); replies are read straight from the reply bytes into Python objects, guided by
//! the wire types of the schema.

use std::sync::Arc;

use pyo3::exceptions::{PyOverflowError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMemoryView, PyString, PyTuple,
};
use usegolib_abi::{
    write_array_len, write_bin, write_bool, write_f32, write_f64, write_handle, write_int,
    write_map_len, write_nil, write_str, write_uint, IntType, Reader, RecordType, Token, WireType,
};

use crate::ctx::{helpers, ModuleCtx};
use crate::handle::PyGoObject;

/// Why an argument could not be converted: a type mismatch, a value out of range, or a Python
/// exception raised while looking at it (e.g. UnicodeEncodeError).
pub enum ArgError {
    Type(String),
    Overflow(String),
    Py(PyErr),
}

impl ArgError {
    fn at(self, index: usize) -> Self {
        self.prefixed(&format!("element {index}"))
    }

    fn prefixed(self, what: &str) -> Self {
        match self {
            ArgError::Type(m) => ArgError::Type(format!("{what}: {m}")),
            ArgError::Overflow(m) => ArgError::Overflow(format!("{what}: {m}")),
            e => e,
        }
    }

    /// The Python exception, prefixed with where the argument is.
    pub fn into_pyerr(self, prefix: &str) -> PyErr {
        match self {
            ArgError::Type(m) => PyTypeError::new_err(format!("{prefix}: {m}")),
            ArgError::Overflow(m) => PyOverflowError::new_err(format!("{prefix}: {m}")),
            ArgError::Py(e) => e,
        }
    }
}

impl From<PyErr> for ArgError {
    fn from(e: PyErr) -> Self {
        ArgError::Py(e)
    }
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".into())
}

fn mismatch(want: &str, obj: &Bound<'_, PyAny>) -> ArgError {
    ArgError::Type(format!("expected {want}, got {}", type_name(obj)))
}

fn is_int(obj: &Bound<'_, PyAny>) -> bool {
    obj.is_exact_instance_of::<PyInt>()
        || (obj.is_instance_of::<PyInt>() && !obj.is_instance_of::<PyBool>())
}

fn out_of_range(obj: &Bound<'_, PyAny>, t: IntType) -> ArgError {
    let shown = obj.str().map(|s| s.to_string()).unwrap_or_default();
    ArgError::Overflow(format!(
        "value {shown} is out of range for {t} [{}, {}]",
        t.min(),
        t.max()
    ))
}

fn write_py_int(out: &mut Vec<u8>, obj: &Bound<'_, PyAny>, t: IntType) -> Result<(), ArgError> {
    if let Ok(v) = obj.extract::<i64>() {
        let n = v as i128;
        if n < t.min() || n > t.max() {
            return Err(out_of_range(obj, t));
        }
        write_int(out, v);
        return Ok(());
    }
    match obj.extract::<u64>() {
        Ok(v) if (v as i128) <= t.max() => {
            write_uint(out, v);
            Ok(())
        }
        _ => Err(out_of_range(obj, t)),
    }
}

fn as_f64(obj: &Bound<'_, PyAny>) -> Result<f64, ArgError> {
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Ok(f.value());
    }
    if is_int(obj) {
        return obj
            .extract::<f64>()
            .map_err(|_| ArgError::Overflow("int too large to convert to float".into()));
    }
    Err(mismatch("float", obj))
}

/// Writes a Python `str` as Go string bytes: UTF-8, with lone surrogates from
/// `surrogateescape` turned back into the bytes they stand for.
fn write_py_str(out: &mut Vec<u8>, s: &Bound<'_, PyString>) -> Result<(), ArgError> {
    match s.to_str() {
        Ok(text) => write_str(out, text.as_bytes()),
        Err(_) => {
            let b = s.call_method1("encode", ("utf-8", "surrogateescape"))?;
            let b = b.cast::<PyBytes>().map_err(|e| ArgError::Py(e.into()))?;
            write_str(out, b.as_bytes());
        }
    }
    Ok(())
}

/// The bytes of a bytes-like argument (bytes, bytearray, memoryview), handed to `f`.
fn with_bytes<R>(
    obj: &Bound<'_, PyAny>,
    f: impl FnOnce(&[u8]) -> R,
) -> Result<Option<R>, ArgError> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        Ok(Some(f(b.as_bytes())))
    } else if let Ok(b) = obj.cast::<PyByteArray>() {
        Ok(Some(f(&b.to_vec())))
    } else if obj.is_instance_of::<PyMemoryView>() {
        let b = obj.call_method0("tobytes")?;
        let b = b.cast::<PyBytes>().map_err(|e| ArgError::Py(e.into()))?;
        Ok(Some(f(b.as_bytes())))
    } else {
        Ok(None)
    }
}

fn write_sequence(
    out: &mut Vec<u8>,
    elem: &WireType,
    obj: &Bound<'_, PyAny>,
    len: Option<usize>,
    ctx: &ModuleCtx,
) -> Result<(), ArgError> {
    let check = |n: usize| match len {
        Some(want) if want != n => {
            Err(ArgError::Type(format!("expected {want} elements, got {n}")))
        }
        _ => Ok(()),
    };
    if let Ok(l) = obj.cast::<PyList>() {
        check(l.len())?;
        write_array_len(out, l.len());
        if let WireType::Int(t) = elem {
            // The common []int64 case, without the per-element dispatch: room for the largest
            // encoding of every element at once, and no range check where int64 is the range.
            out.reserve(l.len() * 9);
            let whole_i64 = t.bits == 64 && t.signed;
            for (i, item) in l.iter().enumerate() {
                if !is_int(&item) {
                    return Err(mismatch("int", &item).at(i));
                }
                if whole_i64 {
                    if let Ok(v) = item.extract::<i64>() {
                        write_int(out, v);
                        continue;
                    }
                }
                write_py_int(out, &item, *t).map_err(|e| e.at(i))?;
            }
        } else {
            for (i, item) in l.iter().enumerate() {
                encode_arg(out, elem, &item, ctx).map_err(|e| e.at(i))?;
            }
        }
        Ok(())
    } else if let Ok(t) = obj.cast::<PyTuple>() {
        check(t.len())?;
        write_array_len(out, t.len());
        for (i, item) in t.iter().enumerate() {
            encode_arg(out, elem, &item, ctx).map_err(|e| e.at(i))?;
        }
        Ok(())
    } else if obj.is_none() && len.is_none() {
        write_nil(out);
        Ok(())
    } else {
        Err(mismatch("list or tuple", obj))
    }
}

/// Writes `obj` as wire type `ty`, checking it exactly.
pub fn encode_arg(
    out: &mut Vec<u8>,
    ty: &WireType,
    obj: &Bound<'_, PyAny>,
    ctx: &ModuleCtx,
) -> Result<(), ArgError> {
    match ty {
        WireType::Int(t) => {
            if !is_int(obj) {
                return Err(mismatch("int", obj));
            }
            write_py_int(out, obj, *t)
        }
        WireType::F64 => {
            write_f64(out, as_f64(obj)?);
            Ok(())
        }
        WireType::F32 => {
            let f = as_f64(obj)?;
            let r = f as f32;
            if f.is_finite() && r.is_infinite() {
                return Err(ArgError::Overflow(format!(
                    "value {f} is out of range for float32"
                )));
            }
            write_f32(out, r);
            Ok(())
        }
        WireType::Bool => match obj.cast::<PyBool>() {
            Ok(b) => {
                write_bool(out, b.is_true());
                Ok(())
            }
            Err(_) => Err(mismatch("bool", obj)),
        },
        WireType::Str => match obj.cast::<PyString>() {
            Ok(s) => write_py_str(out, s),
            Err(_) => Err(mismatch("str", obj)),
        },
        WireType::Bytes => match with_bytes(obj, |b| write_bin(out, b))? {
            Some(()) => Ok(()),
            None if obj.is_none() => {
                write_nil(out);
                Ok(())
            }
            None => Err(mismatch("bytes, bytearray or memoryview", obj)),
        },
        WireType::BytesN(n) => {
            let mut wrong = None;
            let done = with_bytes(obj, |b| {
                if b.len() == *n {
                    write_bin(out, b)
                } else {
                    wrong = Some(b.len())
                }
            })?;
            match (done, wrong) {
                (Some(()), None) => Ok(()),
                (Some(()), Some(got)) => Err(ArgError::Type(format!(
                    "expected exactly {n} bytes, got {got}"
                ))),
                (None, _) => Err(mismatch("bytes, bytearray or memoryview", obj)),
            }
        }
        WireType::List(elem) => write_sequence(out, elem, obj, None, ctx),
        WireType::Array(n, elem) => write_sequence(out, elem, obj, Some(*n), ctx),
        WireType::Map(elem) => {
            if obj.is_none() {
                write_nil(out);
                return Ok(());
            }
            let d = obj.cast::<PyDict>().map_err(|_| mismatch("dict", obj))?;
            write_map_len(out, d.len());
            for (k, v) in d.iter() {
                let Ok(ks) = k.cast::<PyString>() else {
                    return Err(ArgError::Type(format!(
                        "map keys must be str, got {}",
                        type_name(&k)
                    )));
                };
                write_py_str(out, ks)?;
                encode_arg(out, elem, &v, ctx)
                    .map_err(|e| e.prefixed(&format!("key {}", ks.to_string_lossy())))?;
            }
            Ok(())
        }
        WireType::Ptr(inner) => {
            if obj.is_none() {
                write_nil(out);
                Ok(())
            } else {
                encode_arg(out, inner, obj, ctx)
            }
        }
        WireType::Record(key) => encode_record(out, key, obj, ctx),
        WireType::Handle(key) => {
            if obj.is_none() {
                write_nil(out);
                return Ok(());
            }
            let Ok(h) = obj.cast::<PyGoObject>() else {
                return Err(ArgError::Type(format!(
                    "expected a Go object ({}), got {}",
                    short_key(key),
                    type_name(obj)
                )));
            };
            let id = h.get().id_for(&ctx.module)?;
            write_handle(out, id);
            Ok(())
        }
        WireType::Any => encode_any(out, obj, 0),
        WireType::Time => {
            let t: (i64, i64, i64) = helpers()?
                .time_to_wire
                .bind(obj.py())
                .call1((obj,))?
                .extract()?;
            write_array_len(out, 3);
            write_int(out, t.0);
            write_int(out, t.1);
            write_int(out, t.2);
            Ok(())
        }
        WireType::Duration => {
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
        _ => Err(ArgError::Type(format!(
            "wire type {ty} cannot be an argument"
        ))),
    }
}

fn short_key(key: &str) -> &str {
    key.rsplit('/').next().unwrap_or(key)
}

/// Writes a record from a dict (keys: wire keys or Go field names) or an object with the
/// fields as attributes (the generated classes).
fn encode_record(
    out: &mut Vec<u8>,
    key: &str,
    obj: &Bound<'_, PyAny>,
    ctx: &ModuleCtx,
) -> Result<(), ArgError> {
    let Some(rec) = ctx.module.records().get(key) else {
        return Err(ArgError::Type(format!("unknown record type {key}")));
    };
    let names = ctx.pynames.get(key);
    if let Ok(d) = obj.cast::<PyDict>() {
        return encode_record_dict(out, rec, names, d, ctx);
    }
    let py = obj.py();
    let cache = ctx.record_cache(key);
    let cls_ok = cache
        .as_ref()
        .is_some_and(|c| obj.is_instance(c.cls.bind(py)).unwrap_or(false));
    let Some(cache) = cache.filter(|_| cls_ok) else {
        return Err(ArgError::Type(format!(
            "expected {} or dict, got {}",
            rec.name,
            type_name(obj)
        )));
    };
    let mut given: Vec<(usize, Bound<'_, PyAny>)> = Vec::with_capacity(rec.fields.len());
    for (i, f) in rec.fields.iter().enumerate() {
        let attr = names.map_or(f.name.as_str(), |n| n[i].as_str());
        let v = obj.getattr(cache.names[i].bind(py))?;
        if v.is_none() && !accepts_nil(&f.ty) {
            if f.required {
                return Err(ArgError::Type(format!(
                    "struct {}: field {} ({} {}) is None",
                    rec.name, attr, f.name, f.go
                )));
            }
            continue;
        }
        given.push((i, v));
    }
    write_fields(out, rec, names, given, ctx)
}

/// `object.__new__`, looked up once.
fn object_new(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static NEW: pyo3::sync::PyOnceLock<Py<PyAny>> = pyo3::sync::PyOnceLock::new();
    NEW.get_or_try_init(py, || {
        py.get_type::<PyAny>().getattr("__new__").map(Bound::unbind)
    })
    .map(|n| n.bind(py))
}

fn accepts_nil(ty: &WireType) -> bool {
    matches!(
        ty,
        WireType::Ptr(_)
            | WireType::List(_)
            | WireType::Map(_)
            | WireType::Bytes
            | WireType::Any
            | WireType::Handle(_)
    )
}

fn encode_record_dict(
    out: &mut Vec<u8>,
    rec: &RecordType,
    names: Option<&Vec<String>>,
    d: &Bound<'_, PyDict>,
    ctx: &ModuleCtx,
) -> Result<(), ArgError> {
    let mut given: Vec<(usize, Bound<'_, PyAny>)> = Vec::with_capacity(d.len());
    for (k, v) in d.iter() {
        let Ok(k) = k.extract::<String>() else {
            return Err(ArgError::Type(format!(
                "struct {}: keys must be str, got {}",
                rec.name,
                type_name(&k)
            )));
        };
        let pos = rec
            .fields
            .iter()
            .enumerate()
            .position(|(i, f)| f.key == k || f.name == k || names.is_some_and(|n| n[i] == k));
        let Some(i) = pos else {
            let known: Vec<&str> = rec.fields.iter().map(|f| f.key.as_str()).collect();
            return Err(ArgError::Type(format!(
                "struct {}: unknown field {k:?} (fields: {})",
                rec.name,
                known.join(", ")
            )));
        };
        if given.iter().any(|(j, _)| *j == i) {
            return Err(ArgError::Type(format!(
                "struct {}: field {k:?} given twice",
                rec.name
            )));
        }
        given.push((i, v));
    }
    for (i, f) in rec.fields.iter().enumerate() {
        if f.required && !given.iter().any(|(j, _)| *j == i) {
            return Err(ArgError::Type(format!(
                "struct {}: missing required field {} ({} {})",
                rec.name, f.key, f.name, f.go
            )));
        }
    }
    given.sort_by_key(|(i, _)| *i);
    write_fields(out, rec, names, given, ctx)
}

fn write_fields(
    out: &mut Vec<u8>,
    rec: &RecordType,
    names: Option<&Vec<String>>,
    given: Vec<(usize, Bound<'_, PyAny>)>,
    ctx: &ModuleCtx,
) -> Result<(), ArgError> {
    write_map_len(out, given.len());
    for (i, v) in given {
        let f = &rec.fields[i];
        write_str(out, f.key.as_bytes());
        let attr = names.map_or(f.name.as_str(), |n| n[i].as_str());
        encode_arg(out, &f.ty, &v, ctx).map_err(|e| {
            e.prefixed(&format!(
                "struct {}: field {} ({} {})",
                rec.name, attr, f.name, f.go
            ))
        })?;
    }
    Ok(())
}

/// Writes a dynamic value for `any`: None, bool, int, float, str, bytes-like, list/tuple, dict
/// with str keys.
fn encode_any(out: &mut Vec<u8>, obj: &Bound<'_, PyAny>, depth: usize) -> Result<(), ArgError> {
    if depth > 60 {
        return Err(ArgError::Type("value nested too deeply".into()));
    }
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
    } else if let Ok(l) = obj.cast::<PyList>() {
        write_array_len(out, l.len());
        for (i, item) in l.iter().enumerate() {
            encode_any(out, &item, depth + 1).map_err(|e| e.at(i))?;
        }
    } else if let Ok(t) = obj.cast::<PyTuple>() {
        write_array_len(out, t.len());
        for (i, item) in t.iter().enumerate() {
            encode_any(out, &item, depth + 1).map_err(|e| e.at(i))?;
        }
    } else if let Ok(d) = obj.cast::<PyDict>() {
        write_map_len(out, d.len());
        for (k, v) in d.iter() {
            let Ok(ks) = k.cast::<PyString>() else {
                return Err(ArgError::Type(format!(
                    "map keys must be str, got {}",
                    type_name(&k)
                )));
            };
            write_py_str(out, ks)?;
            encode_any(out, &v, depth + 1)?;
        }
    } else {
        return Err(mismatch(
            "None, bool, int, float, str, bytes, list, tuple or dict",
            obj,
        ));
    }
    Ok(())
}

fn malformed(e: usegolib_abi::DecodeError) -> PyErr {
    crate::errors::UsegolibError::new_err(format!("bad reply from the Go bridge: {e}"))
}

fn bad_reply(what: String) -> PyErr {
    crate::errors::UsegolibError::new_err(format!("bad reply from the Go bridge: {what}"))
}

fn py_str(py: Python<'_>, b: &[u8]) -> PyResult<Py<PyAny>> {
    Ok(match std::str::from_utf8(b) {
        Ok(s) => PyString::new(py, s).into_any().unbind(),
        Err(_) => PyBytes::new(py, b)
            .call_method1("decode", ("utf-8", "surrogateescape"))?
            .unbind(),
    })
}

/// Reads one value from the reply into a Python object, without type guidance (`any`).
pub fn decode_value(py: Python<'_>, r: &mut Reader<'_>) -> PyResult<Py<PyAny>> {
    Ok(match r.next_token().map_err(malformed)? {
        Token::Nil => py.None(),
        Token::Bool(b) => PyBool::new(py, b).to_owned().into_any().unbind(),
        Token::Int(i) => i.into_pyobject(py)?.into_any().unbind(),
        Token::Uint(u) => u.into_pyobject(py)?.into_any().unbind(),
        Token::F32(f) => PyFloat::new(py, f as f64).into_any().unbind(),
        Token::F64(f) => PyFloat::new(py, f).into_any().unbind(),
        Token::Str(b) => py_str(py, b)?,
        Token::Bin(b) => PyBytes::new(py, b).into_any().unbind(),
        Token::Array(n) => {
            let list = PyList::empty(py);
            for _ in 0..n {
                list.append(decode_value(py, r)?)?;
            }
            list.into_any().unbind()
        }
        Token::Map(n) => {
            let dict = PyDict::new(py);
            for _ in 0..n {
                let k = decode_value(py, r)?;
                let v = decode_value(py, r)?;
                dict.set_item(k, v)?;
            }
            dict.into_any().unbind()
        }
        Token::Ext(..) => return Err(bad_reply("an ext value where none was expected".into())),
    })
}

/// Reads one value of wire type `ty` into a Python object.
pub fn decode_typed(
    py: Python<'_>,
    r: &mut Reader<'_>,
    ty: &WireType,
    ctx: &Arc<ModuleCtx>,
) -> PyResult<Py<PyAny>> {
    match ty {
        WireType::Bool
        | WireType::Int(_)
        | WireType::F32
        | WireType::F64
        | WireType::Str
        | WireType::Bytes
        | WireType::BytesN(_)
        | WireType::Any => decode_value(py, r),
        WireType::List(elem) | WireType::Array(_, elem) => {
            match r.next_token().map_err(malformed)? {
                Token::Array(n) => {
                    let list = PyList::empty(py);
                    for _ in 0..n {
                        list.append(decode_typed(py, r, elem, ctx)?)?;
                    }
                    Ok(list.into_any().unbind())
                }
                Token::Nil => Ok(PyList::empty(py).into_any().unbind()),
                t => Err(bad_reply(format!("expected a list, got {t:?}"))),
            }
        }
        WireType::Map(elem) => match r.next_token().map_err(malformed)? {
            Token::Map(n) => {
                let dict = PyDict::new(py);
                for _ in 0..n {
                    let k = match r.next_token().map_err(malformed)? {
                        Token::Str(b) => py_str(py, b)?,
                        t => return Err(bad_reply(format!("expected a str key, got {t:?}"))),
                    };
                    dict.set_item(k, decode_typed(py, r, elem, ctx)?)?;
                }
                Ok(dict.into_any().unbind())
            }
            Token::Nil => Ok(PyDict::new(py).into_any().unbind()),
            t => Err(bad_reply(format!("expected a map, got {t:?}"))),
        },
        WireType::Ptr(inner) => {
            let mut peek = r.clone();
            if let Token::Nil = peek.next_token().map_err(malformed)? {
                *r = peek;
                return Ok(py.None());
            }
            decode_typed(py, r, inner, ctx)
        }
        WireType::Record(key) => decode_record(py, r, key, ctx),
        WireType::Handle(key) => match r.next_token().map_err(malformed)? {
            Token::Nil => Ok(py.None()),
            Token::Ext(1, data) if data.len() == 8 => {
                let mut id = [0u8; 8];
                id.copy_from_slice(data);
                crate::handle::new_object(py, ctx, key, u64::from_be_bytes(id))
            }
            t => Err(bad_reply(format!("expected a handle, got {t:?}"))),
        },
        WireType::Time => {
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
            helpers()?
                .time_from_wire
                .call1(py, (parts[0], parts[1], parts[2]))
        }
        WireType::Duration => match r.next_token().map_err(malformed)? {
            Token::Int(ns) => helpers()?.duration_from_wire.call1(py, (ns,)),
            t => Err(bad_reply(format!("expected a duration, got {t:?}"))),
        },
        WireType::Error => match r.next_token().map_err(malformed)? {
            Token::Nil => Ok(py.None()),
            Token::Array(2) => {
                let msg = decode_value(py, r)?;
                let go_type = decode_value(py, r)?;
                let err = crate::errors::GoError::new_err(msg.clone_ref(py));
                let value = err.value(py);
                value.setattr("message", msg)?;
                value.setattr("go_type", go_type)?;
                Ok(value.clone().into_any().unbind())
            }
            t => Err(bad_reply(format!("expected an error value, got {t:?}"))),
        },
        _ => decode_value(py, r),
    }
}

fn decode_record(
    py: Python<'_>,
    r: &mut Reader<'_>,
    key: &str,
    ctx: &Arc<ModuleCtx>,
) -> PyResult<Py<PyAny>> {
    let n = match r.next_token().map_err(malformed)? {
        Token::Map(n) => n,
        Token::Nil => return Ok(py.None()),
        t => return Err(bad_reply(format!("expected a record, got {t:?}"))),
    };
    let Some(rec) = ctx.module.records().get(key) else {
        return Err(bad_reply(format!("unknown record type {key}")));
    };
    let cache = ctx.record_cache(key);
    let obj = match &cache {
        // object.__new__(cls): the generated classes keep their defaults as class attributes.
        Some(c) => Some(object_new(py)?.call1((c.cls.bind(py),))?),
        None => None,
    };
    let dict = PyDict::new(py);
    for _ in 0..n {
        let k = match r.next_token().map_err(malformed)? {
            Token::Str(b) => b,
            t => return Err(bad_reply(format!("expected a field key, got {t:?}"))),
        };
        let Some(i) = rec.fields.iter().position(|f| f.key.as_bytes() == k) else {
            return Err(bad_reply(format!(
                "record {} has no field {:?}",
                rec.name,
                String::from_utf8_lossy(k)
            )));
        };
        let v = decode_typed(py, r, &rec.fields[i].ty, ctx)?;
        match (&obj, &cache) {
            (Some(o), Some(c)) => o.setattr(c.names[i].bind(py), v)?,
            _ => {
                let names = ctx.pynames.get(key);
                let name = names.map_or(rec.fields[i].name.as_str(), |n| n[i].as_str());
                dict.set_item(name, v)?
            }
        }
    }
    Ok(match obj {
        Some(o) => o.unbind(),
        None => dict.into_any().unbind(),
    })
}

/// Reads the result of a successful call: the value, or a tuple for several results.
pub fn decode_result(
    py: Python<'_>,
    r: &mut Reader<'_>,
    results: &[WireType],
    ctx: &Arc<ModuleCtx>,
) -> PyResult<Py<PyAny>> {
    match results {
        [] => decode_value(py, r),
        [one] => decode_typed(py, r, one, ctx),
        many => match r.next_token().map_err(malformed)? {
            Token::Array(n) if n as usize == many.len() => {
                let mut items = Vec::with_capacity(many.len());
                for ty in many {
                    items.push(decode_typed(py, r, ty, ctx)?);
                }
                Ok(PyTuple::new(py, items)?.into_any().unbind())
            }
            _ => Err(bad_reply(format!("expected {} results", many.len()))),
        },
    }
}
