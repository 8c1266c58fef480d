//! Out-parameters (docs/abi.md section 8.6, docs/adr/0016): a `usegolib.Ref` passed for an `any`
//! parameter, and a mutable buffer (bytearray, writable memoryview, array.array) passed for a
//! `[]byte` parameter. Each travels as an out slot (ext type 3, `[wire type, initial value]`);
//! after the call the reply's outs array holds their final values, in argument order, which
//! [`apply`] puts back: into `ref.value`, or into the buffer.

use std::sync::Arc;

use pyo3::buffer::{PyBuffer, PyUntypedBuffer};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyList, PyMemoryView, PySlice, PyString,
    PyTuple, PyType,
};
use usegolib_abi::{write_array_len, write_nil, write_out_slot, write_str, Reader, Token};
use usegolib_loader::GoModule;

use super::int::is_int;
use super::{
    any, bad_reply, malformed, numbuf, record, types_attr, Converter, Encoder, RecordInfo,
};
use crate::args::{type_name, ArgError};

/// `usegolib._types.Ref`.
static REF: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// One out slot of a call, in argument order: where its final value goes.
pub enum Out {
    /// A Ref: `value` is set to the final value, read as a record of this type, or as `any`.
    Ref {
        obj: Py<PyAny>,
        record: Option<Arc<RecordInfo>>,
    },
    /// A byte buffer: a memoryview of it, held during the call (a bytearray cannot change
    /// size meanwhile), written with the final bytes.
    Buffer { view: Py<PyAny> },
    /// A buffer of numbers of the packed kind `kind` (docs/abi.md section 8.10), held during
    /// the call through its byte view `bytes` (its object cannot be resized meanwhile), and
    /// written with the final values through it.
    Numbers {
        buf: PyUntypedBuffer,
        /// Its byte view; None when it was copied through typed views (an in-place argument,
        /// docs/adr/0034), which write it back too when they can.
        bytes: Option<PyBuffer<u8>>,
        kind: u8,
        /// Sent aligned and padded for a parameter Go reads in place (docs/abi.md section
        /// 8.12): the offset of its elements in the request, where Go may leave its final
        /// value (answering `true`).
        at: Option<usize>,
    },
}

/// Whether `obj` is a `usegolib.Ref`.
pub(super) fn is_ref(obj: &Bound<'_, PyAny>) -> bool {
    types_attr(obj.py(), &REF, "Ref").is_ok_and(|cls| obj.is_instance(cls).unwrap_or(false))
}

/// Writes `obj`, a Ref passed for an `any` parameter, as an out slot, and records it.
pub(super) fn encode_ref(
    enc: &mut Encoder<'_>,
    out: &mut Vec<u8>,
    obj: &Bound<'_, PyAny>,
) -> Result<(), ArgError> {
    let v = obj.getattr("value")?;
    let mut payload = Vec::with_capacity(16);
    write_array_len(&mut payload, 2);
    let mut record = None;
    let wire: &str = if v.is_none() {
        "any"
    } else if v.is_instance_of::<PyBool>() {
        "bool"
    } else if is_int(&v) {
        "int64"
    } else if v.is_instance_of::<PyFloat>() {
        "float64"
    } else if v.is_instance_of::<PyString>() {
        "string"
    } else if v.is_instance_of::<PyBytes>() || v.is_instance_of::<PyByteArray>() {
        "bytes"
    } else if v.is_instance_of::<PyDict>() {
        "map[string]any"
    } else if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        "[]any"
    } else if let Some(rec) = enc.types.and_then(|t| t.record_of(&v)) {
        record = Some(rec.clone());
        ""
    } else {
        return Err(ArgError::Type(format!(
            "a usegolib.Ref holding {} cannot be an out-parameter: a Ref holds None (Go *any), \
             a bool, int, float, str or bytes (*bool, *int, *float64, *string, *[]byte), a \
             dict (*map[string]any), a list (*[]any), or a record class of this module or an \
             instance of one (*T)",
            describe(&v)
        )));
    };
    match &record {
        Some(rec) => {
            write_str(&mut payload, format!("@{}", rec.key).as_bytes());
            if v.is_instance_of::<PyType>() {
                write_nil(&mut payload);
            } else {
                record::encode(enc, &mut payload, rec, &v)?;
            }
        }
        None => {
            write_str(&mut payload, wire.as_bytes());
            any::encode(enc, &mut payload, &v)?;
        }
    }
    write_out_slot(out, &payload);
    enc.outs.push(Out::Ref {
        obj: obj.clone().unbind(),
        record,
    });
    Ok(())
}

/// Writes `obj`, a Ref passed for a `*T` parameter (`elem` converts T), as an out slot
/// `[T's wire type, initial value]`, and records it: Go gets a pointer to a fresh T made from
/// the Ref's content (None: T's zero value; a record class of T: likewise), and `value` gets
/// what Go left there. T is a record or a scalar (bool, integer, float, string, []byte).
pub(super) fn encode_pointer_ref(
    enc: &mut Encoder<'_>,
    out: &mut Vec<u8>,
    elem: &Converter,
    obj: &Bound<'_, PyAny>,
) -> Result<(), ArgError> {
    let v = obj.getattr("value")?;
    let record = match elem {
        Converter::Record(rec) => Some(rec.clone()),
        _ => None,
    };
    let wire = match &record {
        Some(rec) => format!("@{}", rec.key),
        None => scalar_wire(elem).ok_or_else(|| {
            ArgError::Type(
                "a usegolib.Ref is accepted for a pointer parameter only when it points to a \
                 record, a bool, an integer, a float, a string or []byte: pass the value itself \
                 (Go gets a copy)"
                    .into(),
            )
        })?,
    };
    let mut payload = Vec::with_capacity(16);
    write_array_len(&mut payload, 2);
    write_str(&mut payload, wire.as_bytes());
    match &record {
        _ if v.is_none() => write_nil(&mut payload),
        Some(rec) if v.is_instance_of::<PyType>() => {
            if !rec.is_class_or_instance(&v) {
                return Err(ArgError::Type(format!(
                    "a usegolib.Ref holding {} cannot be a *{}: pass Ref({}), Ref({}(...)) or Ref()",
                    describe(&v),
                    rec.name,
                    rec.name,
                    rec.name
                )));
            }
            write_nil(&mut payload);
        }
        _ => enc.value(&mut payload, elem, &v).map_err(|e| match e {
            ArgError::Type(m) => ArgError::Type(format!("the value of its usegolib.Ref: {m}")),
            e => e,
        })?,
    }
    write_out_slot(out, &payload);
    enc.outs.push(Out::Ref {
        obj: obj.clone().unbind(),
        record,
    });
    Ok(())
}

/// The wire type of a scalar converter (`int32`, `float64`, `string`, `bytes`), None for the
/// others.
fn scalar_wire(conv: &Converter) -> Option<String> {
    Some(match conv {
        Converter::Bool => "bool".into(),
        Converter::Int(t) => format!("{}int{}", if t.signed { "" } else { "u" }, t.bits),
        Converter::F32 => "float32".into(),
        Converter::F64 => "float64".into(),
        Converter::Str => "string".into(),
        Converter::Bytes => "bytes".into(),
        _ => return None,
    })
}

/// The wire type of a slice of the fixed-width numbers of packed kind `kind` (docs/abi.md
/// section 8.10): an in/out buffer's out slot names it.
fn slice_wire(kind: u8) -> &'static str {
    match kind {
        b'b' => "[]int8",
        b'h' => "[]int16",
        b'i' => "[]int32",
        b'q' => "[]int64",
        b'B' => "[]uint8",
        b'H' => "[]uint16",
        b'I' => "[]uint32",
        b'Q' => "[]uint64",
        b'f' => "[]float32",
        _ => "[]float64",
    }
}

/// `Ref holding X` text: a class by its name, else the value's type.
fn describe(v: &Bound<'_, PyAny>) -> String {
    if let Ok(t) = v.cast::<PyType>() {
        let name = t.name().map(|n| n.to_string()).unwrap_or_default();
        return format!("the class {name}");
    }
    format!("a {}", type_name(v))
}

/// A byte-format view of `obj` when it is a mutable buffer (bytearray, a writable memoryview,
/// array.array) whose writes the caller sees; None for anything else (bytes, a read-only
/// memoryview: they travel as before).
pub(super) fn mutable_buffer<'py>(
    obj: &Bound<'py, PyAny>,
) -> Result<Option<Bound<'py, PyAny>>, ArgError> {
    let py = obj.py();
    let candidate = obj.is_instance_of::<PyByteArray>()
        || obj.is_instance_of::<PyMemoryView>()
        || numbuf::array_type(py).is_ok_and(|a| obj.is_instance(a).unwrap_or(false));
    if !candidate {
        return Ok(None);
    }
    let mv = py.get_type::<PyMemoryView>().call1((obj,))?;
    if mv.getattr("readonly")?.is_truthy()? {
        return Ok(None);
    }
    if !mv.getattr("c_contiguous")?.is_truthy()? {
        return Err(ArgError::Type(
            "a writable buffer for Go []byte must be C-contiguous".into(),
        ));
    }
    let fmt = mv.getattr("format")?;
    if fmt.extract::<&str>().ok() != Some("B") {
        return Ok(Some(mv.call_method1("cast", ("B",))?));
    }
    Ok(Some(mv))
}

/// Writes `mv`, the byte view of a mutable buffer passed for a `[]byte` parameter, as an out
/// slot `["bytes", its bytes]`, and records it.
pub(super) fn encode_buffer(
    enc: &mut Encoder<'_>,
    out: &mut Vec<u8>,
    mv: Bound<'_, PyAny>,
) -> Result<(), ArgError> {
    let bytes = mv.call_method0("tobytes")?;
    let bytes = bytes
        .cast::<PyBytes>()
        .map_err(|e| ArgError::Py(e.into()))?;
    // Written straight into the request: no intermediate payload (docs/adr/0027).
    let _ = usegolib_abi::write_ext_with(out, usegolib_abi::EXT_OUT as i8, |out| {
        write_array_len(out, 2);
        write_str(out, b"bytes");
        usegolib_abi::write_bin(out, bytes.as_bytes());
        Ok::<(), std::convert::Infallible>(())
    });
    enc.outs.push(Out::Buffer { view: mv.unbind() });
    Ok(())
}

/// The buffer of `obj` when it is an in/out buffer for a slice parameter of fixed-width numbers
/// `elem` (docs/abi.md section 8.6): an array.array or a memoryview, writable, C-contiguous,
/// one-dimensional, whose items are exactly the Go element type; with the kind byte of its
/// packed form. None when `obj` is no such buffer (it is then converted as a plain argument:
/// a copy, or a TypeError for items of another type).
pub(super) fn numeric_buffer(
    obj: &Bound<'_, PyAny>,
    elem: &Converter,
) -> Result<Option<(PyUntypedBuffer, u8)>, ArgError> {
    let py = obj.py();
    if !(obj.is_instance_of::<PyMemoryView>()
        || numbuf::array_type(py).is_ok_and(|a| obj.is_instance(a).unwrap_or(false)))
    {
        return Ok(None);
    }
    let Some(kind) = numbuf::kind_of(elem) else {
        return Ok(None);
    };
    let Ok(buf) = PyUntypedBuffer::get(obj) else {
        return Ok(None);
    };
    if buf.readonly() || !buf.is_c_contiguous() || !numbuf::holds(&buf, kind) {
        return Ok(None);
    }
    Ok(Some((buf, kind)))
}

/// Writes `buf`, the buffer of an in/out argument `obj` for a slice parameter of wire type
/// `[]elem`, as an out slot `[wire, packed array]`, and records it: Go writes the final value
/// packed, and it is copied back into `buf`, held (its object cannot be resized) until then.
pub(super) fn encode_numbers(
    enc: &mut Encoder<'_>,
    out: &mut Vec<u8>,
    obj: &Bound<'_, PyAny>,
    buf: PyUntypedBuffer,
    kind: u8,
) -> Result<(), ArgError> {
    let wire = slice_wire(kind);
    // [wire, packed array], written in place with no allocation: its length is known before
    // its bytes.
    let head = 2 + wire.len(); // fixarray 2, fixstr, the wire type
    let len = buf.len_bytes();
    // For a parameter Go reads in place, the packed array is padded (at least one zero byte:
    // the sign that the final value may stay in the request) so that its elements are
    // aligned in the request (docs/abi.md section 8.12).
    let pad = if enc.align {
        let outer = |whole: usize| usegolib_abi::ext_header_len(head + whole) + head;
        usegolib_abi::packed_pad(out.len(), kind, len, 1, outer)
    } else {
        0
    };
    let packed = pad + 1 + len;
    let payload = head + usegolib_abi::ext_header_len(packed) + packed;
    usegolib_abi::write_ext_header(out, usegolib_abi::EXT_OUT as i8, payload);
    write_array_len(out, 2);
    write_str(out, wire.as_bytes());
    usegolib_abi::write_ext_header(out, usegolib_abi::EXT_PACKED, packed);
    out.resize(out.len() + pad, 0);
    out.push(kind);
    let at = out.len();
    if enc.align {
        // Aligned in the request: copied in (and back) through typed views, with no byte view
        // made (docs/adr/0034); the request does not move once it holds the elements.
        out.resize(at + len, 0);
        if numbuf::copy_in_typed(obj.py(), kind, &buf, &mut out[at..])? {
            enc.outs.push(Out::Numbers {
                buf,
                bytes: None,
                kind,
                at: Some(at),
            });
            return Ok(());
        }
        out.truncate(at);
    }
    // Sent and written back through a byte view, made now, whatever the alignment of its items
    // (a memoryview cast from an odd offset): nothing but a bad reply can fail after Go ran
    // (docs/adr/0026 item 7).
    let bytes = numbuf::byte_view(obj)?;
    numbuf::copy_items(out, kind, obj, &buf, Some(&bytes))?;
    if out.len() - at != len {
        return Err(ArgError::Type(
            "the buffer changed size during the call".into(),
        ));
    }
    let bytes = Some(bytes);
    let at = enc.align.then_some(at);
    enc.outs.push(Out::Numbers {
        buf,
        bytes,
        kind,
        at,
    });
    Ok(())
}

/// Reads the outs array of a reply (after its body) and puts each final value where it goes.
pub fn apply(
    py: Python<'_>,
    r: &mut Reader<'_>,
    outs: &[Out],
    module: &Arc<GoModule>,
    req: &[u8],
) -> PyResult<()> {
    match r.next_token().map_err(malformed)? {
        Token::Array(n) if n as usize == outs.len() => {}
        _ => {
            return Err(bad_reply(format!(
                "expected {} out-parameter values",
                outs.len()
            )))
        }
    }
    // Decode and check all first, then assign: a bad reply changes nothing.
    let mut values = Vec::with_capacity(outs.len());
    for o in outs {
        let v = match o {
            Out::Ref {
                record: Some(rec), ..
            } => Final::Value(record::decode(py, r, rec, module)?),
            Out::Ref { record: None, .. } => Final::Value(any::decode(py, r, module)?),
            Out::Buffer { view } => {
                let v = any::decode(py, r, module)?;
                let n = view.bind(py).len()?;
                let got = v.bind(py).len().map_err(|_| {
                    bad_reply("an in/out buffer came back as no bytes or array".into())
                })?;
                if got != n {
                    return Err(bad_reply(format!(
                        "an in/out buffer of {n} items came back with {got}"
                    )));
                }
                Final::Value(v)
            }
            // Sent packed, it comes back packed (docs/abi.md section 8.10).
            Out::Numbers { buf, kind, at, .. } => match r.next_token().map_err(malformed)? {
                Token::Ext(usegolib_abi::EXT_PACKED, p) => {
                    Final::Packed(numbuf::check_back(buf, *kind, p)?)
                }
                // Go left every element as it was.
                Token::Nil => Final::Unchanged,
                // Go read it in place: the final elements are in the request (section 8.12).
                Token::Bool(true) => match out_at(req, *at, buf.len_bytes()) {
                    Some(data) => Final::Packed(data),
                    None => {
                        return Err(bad_reply(
                            "an in/out buffer said to be in the request, which was not sent so"
                                .into(),
                        ))
                    }
                },
                _ => {
                    return Err(bad_reply(
                        "an in/out buffer of numbers came back unpacked".into(),
                    ))
                }
            },
        };
        values.push(v);
    }
    for (o, v) in outs.iter().zip(values) {
        match (o, v) {
            (Out::Ref { obj, .. }, Final::Value(v)) => obj.bind(py).setattr("value", v)?,
            (Out::Buffer { view }, Final::Value(v)) => {
                view.bind(py).set_item(PySlice::full(py), v)?
            }
            (
                Out::Numbers {
                    bytes, kind, buf, ..
                },
                Final::Packed(data),
            ) => match bytes {
                Some(bytes) => numbuf::write_back(py, bytes, *kind, data)?,
                None => {
                    if !numbuf::copy_back_typed(py, *kind, buf, data)? {
                        // Not aligned (a packed reply): through a byte view after all.
                        let obj = buf.obj(py).ok_or_else(|| {
                            bad_reply("an in/out buffer without its object".into())
                        })?;
                        numbuf::write_back(py, &numbuf::byte_view(obj)?, *kind, data)?
                    }
                }
            },
            (Out::Numbers { .. }, Final::Unchanged) => {}
            _ => return Err(bad_reply("an out-parameter value of another form".into())),
        }
    }
    Ok(())
}

/// The `len` bytes at `at` of the request, when the out slot was sent aligned there.
fn out_at(req: &[u8], at: Option<usize>, len: usize) -> Option<&[u8]> {
    req.get(at?..at?.checked_add(len)?)
}

/// The checked final value of an out slot.
enum Final<'a> {
    Value(Py<PyAny>),
    Packed(&'a [u8]),
    Unchanged,
}

/// Whether converter `conv` of a top-level argument takes out slots (docs/abi.md 8.6).
pub(super) fn takes_outs(conv: &Converter) -> bool {
    match conv {
        Converter::Any | Converter::Bytes | Converter::Ptr(_) => true,
        Converter::List(e) => match e.plain() {
            Converter::Int(t) => t.bits != 8 || t.signed,
            Converter::F32 | Converter::F64 => true,
            _ => false,
        },
        // A named slice type with methods (`type Temps []Celsius`): as its plain slice.
        Converter::Value(_, inner) => matches!(**inner, Converter::List(_)) && takes_outs(inner),
        _ => false,
    }
}
