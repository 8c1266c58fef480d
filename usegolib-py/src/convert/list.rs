//! `[]T` (a slice: list or tuple in, None for nil; list out) and `[N]T` (an array: exactly N
//! elements).

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};
use usegolib_abi::{write_array_len, write_int, write_nil, Reader, Token};
use usegolib_loader::GoModule;

use super::int::{is_int, write_checked};
use super::{bad_reply, malformed, numbuf, Converter, Encoder};
use crate::args::{changed, mismatch, ArgError};
use crate::handle::PyGoObject;

/// Writes a list or tuple (or None for a slice) as an array; `len` is an array type's length. A
/// list that changes size meanwhile (Python code run by the conversion of an element) is an
/// error, never a short or long array.
#[inline(never)]
pub(super) fn encode(
    enc: &mut Encoder<'_>,
    out: &mut Vec<u8>,
    elem: &Converter,
    obj: &Bound<'_, PyAny>,
    len: Option<usize>,
) -> Result<(), ArgError> {
    let check = |n: usize| match len {
        Some(want) if want != n => {
            Err(ArgError::Type(format!("expected {want} elements, got {n}")))
        }
        _ => Ok(()),
    };
    if let Ok(l) = obj.cast::<PyList>() {
        let n = l.len();
        check(n)?;
        enc.open(obj)?;
        let mut written = 0;
        if let (Converter::Int(t), None) = (elem, len) {
            if t.bits == 64 && t.signed {
                // A list for []int64 (or []int) travels packed (docs/abi.md section 8.10): 8
                // bytes per element, which Go copies without decoding a MessagePack int each.
                enc.packed_header(out, b'q', n * 8);
                out.reserve(n * 8);
                for (i, item) in l.iter().enumerate() {
                    if !is_int(&item) {
                        return Err(mismatch("int", &item).at(i, obj));
                    }
                    written += 1;
                    match item.extract::<i64>() {
                        Ok(v) => out.extend_from_slice(&v.to_le_bytes()),
                        // Out of range: the error the array form gives.
                        Err(_) => {
                            write_checked(&mut Vec::new(), &item, *t).map_err(|e| e.at(i, obj))?;
                            return Err(super::int::out_of_range(&item, *t).at(i, obj));
                        }
                    }
                }
                if written != n || l.len() != n {
                    return Err(changed("list"));
                }
                enc.close();
                return Ok(());
            }
        }
        write_array_len(out, n);
        if let Converter::Int(t) = elem {
            // The common []int64 case, without the per-element dispatch: room for the largest
            // encoding of every element at once, and no range check where int64 is the range.
            out.reserve(n * 9);
            let whole_i64 = t.bits == 64 && t.signed;
            for (i, item) in l.iter().enumerate() {
                if !is_int(&item) {
                    return Err(mismatch("int", &item).at(i, obj));
                }
                written += 1;
                if whole_i64 {
                    if let Ok(v) = item.extract::<i64>() {
                        write_int(out, v);
                        continue;
                    }
                }
                write_checked(out, &item, *t).map_err(|e| e.at(i, obj))?;
            }
        } else {
            for (i, item) in l.iter().enumerate() {
                written += 1;
                enc.value(out, elem, &item).map_err(|e| e.at(i, obj))?;
            }
        }
        if written != n || l.len() != n {
            return Err(changed("list"));
        }
        enc.close();
        Ok(())
    } else if let Ok(t) = obj.cast::<PyTuple>() {
        check(t.len())?;
        enc.open(obj)?;
        write_array_len(out, t.len());
        for (i, item) in t.iter().enumerate() {
            enc.value(out, elem, &item).map_err(|e| e.at(i, obj))?;
        }
        enc.close();
        Ok(())
    } else if obj.is_none() && len.is_none() {
        write_nil(out);
        Ok(())
    } else if let Some(kind) = numbuf::kind_of(elem).filter(|_| len.is_none()) {
        // A slice of numbers also takes a buffer of exactly its items (docs/abi.md 8.10).
        if numbuf::encode_buffer(out, kind, obj, enc.align)? {
            return Ok(());
        }
        Err(mismatch("list, tuple or buffer of numbers", obj))
    } else {
        Err(mismatch("list or tuple", obj))
    }
}

/// A list (an empty one for nil).
#[inline(never)]
pub(super) fn decode(
    py: Python<'_>,
    r: &mut Reader<'_>,
    elem: &Converter,
    module: &Arc<GoModule>,
) -> PyResult<Py<PyAny>> {
    match r.next_token().map_err(malformed)? {
        Token::Array(n) => {
            let list = PyList::empty(py);
            for _ in 0..n {
                list.append(elem.decode(py, r, module)?)?;
            }
            Ok(list.into_any().unbind())
        }
        Token::Nil => Ok(PyList::empty(py).into_any().unbind()),
        Token::Ext(usegolib_abi::EXT_PACKED, p) if numbuf::kind_of(elem).is_some() => {
            numbuf::decode(py, p, numbuf::kind_of(elem).unwrap_or(b'q'), None)
        }
        t => Err(bad_reply(format!("expected a list, got {t:?}"))),
    }
}

pub(super) fn closed<'py>(
    elem: &Converter,
    obj: &Bound<'py, PyAny>,
    depth: usize,
) -> Option<Bound<'py, PyGoObject>> {
    if let Ok(l) = obj.cast::<PyList>() {
        l.iter().find_map(|v| elem.closed_object(&v, depth + 1))
    } else if let Ok(tu) = obj.cast::<PyTuple>() {
        tu.iter().find_map(|v| elem.closed_object(&v, depth + 1))
    } else {
        None
    }
}

pub(super) fn annotation<'py>(py: Python<'py>, elem: &Converter) -> PyResult<Bound<'py, PyAny>> {
    py.get_type::<PyList>().get_item(elem.annotation(py)?)
}

/// `Sequence[T]` for a slice argument, else `list[T]`.
pub(super) fn stub(elem: &Converter, pkg: &str, arg: bool, array: bool) -> String {
    let inner = elem.stub(pkg, arg);
    if arg && !array {
        format!("Sequence[{inner}]")
    } else {
        format!("list[{inner}]")
    }
}
