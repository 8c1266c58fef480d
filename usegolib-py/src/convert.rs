//! Python objects to wire bytes and back, in one pass each: the only place where Python types
//! meet ABI types. Arguments are written straight into the request buffer (no intermediate
//! value tree); replies are read straight from the reply bytes into Python objects.

use pyo3::exceptions::{PyOverflowError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMemoryView, PyString, PyTuple,
};
use usegolib_abi::{
    write_array_len, write_bin, write_bool, write_f32, write_f64, write_int, write_nil, write_str,
    write_uint, IntType, Reader, Token, WireType,
};

/// Why an argument could not be converted: a type mismatch, a value out of range, or a Python
/// exception raised while looking at it (e.g. UnicodeEncodeError).
pub enum ArgError {
    Type(String),
    Overflow(String),
    Py(PyErr),
}

impl ArgError {
    fn at(self, index: usize) -> Self {
        match self {
            ArgError::Type(m) => ArgError::Type(format!("element {index}: {m}")),
            ArgError::Overflow(m) => ArgError::Overflow(format!("element {index}: {m}")),
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
            let b = s
                .call_method1("encode", ("utf-8", "surrogateescape"))
                .map_err(ArgError::Py)?;
            let b = b.cast::<PyBytes>().map_err(|e| ArgError::Py(e.into()))?;
            write_str(out, b.as_bytes());
        }
    }
    Ok(())
}

fn write_py_bytes(out: &mut Vec<u8>, obj: &Bound<'_, PyAny>) -> Result<(), ArgError> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        write_bin(out, b.as_bytes());
    } else if let Ok(b) = obj.cast::<PyByteArray>() {
        write_bin(out, &b.to_vec());
    } else if obj.is_instance_of::<PyMemoryView>() {
        let b = obj.call_method0("tobytes").map_err(ArgError::Py)?;
        let b = b.cast::<PyBytes>().map_err(|e| ArgError::Py(e.into()))?;
        write_bin(out, b.as_bytes());
    } else if obj.is_none() {
        write_nil(out);
    } else {
        return Err(mismatch("bytes, bytearray or memoryview", obj));
    }
    Ok(())
}

/// Writes `obj` as wire type `ty`, checking it exactly.
pub fn encode_arg(
    out: &mut Vec<u8>,
    ty: &WireType,
    obj: &Bound<'_, PyAny>,
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
        WireType::Bytes => write_py_bytes(out, obj),
        WireType::List(elem) => {
            if let (Ok(l), WireType::Int(t)) = (obj.cast::<PyList>(), &**elem) {
                // The common []int64 case, without the per-element dispatch.
                write_array_len(out, l.len());
                for (i, item) in l.iter().enumerate() {
                    if !is_int(&item) {
                        return Err(mismatch("int", &item).at(i));
                    }
                    write_py_int(out, &item, *t).map_err(|e| e.at(i))?;
                }
                return Ok(());
            }
            if let Ok(l) = obj.cast::<PyList>() {
                write_array_len(out, l.len());
                for (i, item) in l.iter().enumerate() {
                    encode_arg(out, elem, &item).map_err(|e| e.at(i))?;
                }
                Ok(())
            } else if let Ok(t) = obj.cast::<PyTuple>() {
                write_array_len(out, t.len());
                for (i, item) in t.iter().enumerate() {
                    encode_arg(out, elem, &item).map_err(|e| e.at(i))?;
                }
                Ok(())
            } else if obj.is_none() {
                write_nil(out);
                Ok(())
            } else {
                Err(mismatch("list or tuple", obj))
            }
        }
        _ => Err(ArgError::Type(format!(
            "wire type {ty} is not supported by this usegolib"
        ))),
    }
}

fn malformed(e: usegolib_abi::DecodeError) -> PyErr {
    crate::errors::UsegolibError::new_err(format!("bad reply from the Go bridge: {e}"))
}

/// Reads one value from the reply into a Python object.
pub fn decode_value(py: Python<'_>, r: &mut Reader<'_>) -> PyResult<Py<PyAny>> {
    Ok(match r.next_token().map_err(malformed)? {
        Token::Nil => py.None(),
        Token::Bool(b) => PyBool::new(py, b).to_owned().into_any().unbind(),
        Token::Int(i) => i.into_pyobject(py)?.into_any().unbind(),
        Token::Uint(u) => u.into_pyobject(py)?.into_any().unbind(),
        Token::F32(f) => PyFloat::new(py, f as f64).into_any().unbind(),
        Token::F64(f) => PyFloat::new(py, f).into_any().unbind(),
        Token::Str(b) => match std::str::from_utf8(b) {
            Ok(s) => PyString::new(py, s).into_any().unbind(),
            Err(_) => PyBytes::new(py, b)
                .call_method1("decode", ("utf-8", "surrogateescape"))?
                .unbind(),
        },
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
        Token::Ext(..) => {
            return Err(crate::errors::UsegolibError::new_err(
                "bad reply from the Go bridge: ext value",
            ))
        }
    })
}

/// Reads the result of a successful call: the value, or a tuple for several results.
pub fn decode_result(py: Python<'_>, r: &mut Reader<'_>, results: usize) -> PyResult<Py<PyAny>> {
    if results < 2 {
        return decode_value(py, r);
    }
    match r.next_token().map_err(malformed)? {
        Token::Array(n) if n as usize == results => {
            let mut items = Vec::with_capacity(results);
            for _ in 0..n {
                items.push(decode_value(py, r)?);
            }
            Ok(PyTuple::new(py, items)?.into_any().unbind())
        }
        _ => Err(crate::errors::UsegolibError::new_err(format!(
            "bad reply from the Go bridge: expected {results} results"
        ))),
    }
}
