//! Out-parameters (docs/abi.md section 8.6, docs/adr/0016): a `usegolib.Ref` passed for an `any`
//! parameter, and a mutable buffer (bytearray, writable memoryview, array.array) passed for a
//! `[]byte` parameter. Each travels as an out slot (ext type 3, `[wire type, initial value]`);
//! after the call the reply's outs array holds their final values, in argument order, which
//! [`apply`] puts back: into `ref.value`, or into the buffer.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyList, PyMemoryView, PySlice, PyString,
    PyTuple, PyType,
};
use usegolib_abi::{write_array_len, write_nil, write_out_slot, write_str, Reader, Token};
use usegolib_loader::GoModule;

use super::int::is_int;
use super::{any, bad_reply, malformed, record, types_attr, Converter, Encoder, RecordInfo};
use crate::args::{type_name, ArgError};

/// `usegolib._types.Ref`.
static REF: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
/// `array.array`.
static ARRAY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// One out slot of a call, in argument order: where its final value goes.
pub enum Out {
    /// A Ref: `value` is set to the final value, read as a record of this type, or as `any`.
    Ref {
        obj: Py<PyAny>,
        record: Option<Arc<RecordInfo>>,
    },
    /// A buffer: a memoryview of it, held during the call (a bytearray cannot change size
    /// meanwhile), written with the final values: bytes for a byte view (`typecode` None),
    /// else a list of numbers, written as an `array.array` of that typecode.
    Buffer {
        view: Py<PyAny>,
        typecode: Option<char>,
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
        || array_type(py).is_ok_and(|a| obj.is_instance(a).unwrap_or(false));
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

fn array_type(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    ARRAY
        .get_or_try_init(py, || {
            py.import("array")?.getattr("array").map(Bound::unbind)
        })
        .map(|a| a.bind(py))
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
    enc.outs.push(Out::Buffer {
        view: mv.unbind(),
        typecode: None,
    });
    Ok(())
}

/// The array typecode of a writable, C-contiguous buffer `obj` (an array.array or a
/// memoryview) whose items are exactly the Go numbers of `elem`, for a slice parameter of
/// fixed-width numbers; None when `obj` is no such buffer (it is then converted as usual).
pub(super) fn numeric_buffer<'py>(
    obj: &Bound<'py, PyAny>,
    elem: &Converter,
) -> Result<Option<(Bound<'py, PyAny>, char)>, ArgError> {
    let py = obj.py();
    if !(obj.is_instance_of::<PyMemoryView>()
        || array_type(py).is_ok_and(|a| obj.is_instance(a).unwrap_or(false)))
    {
        return Ok(None);
    }
    let mv = py.get_type::<PyMemoryView>().call1((obj,))?;
    if mv.getattr("readonly")?.is_truthy()? || !mv.getattr("c_contiguous")?.is_truthy()? {
        return Ok(None);
    }
    let fmt: String = mv.getattr("format")?.extract()?;
    let size: usize = mv.getattr("itemsize")?.extract()?;
    let code = match fmt.strip_prefix('@').unwrap_or(&fmt).as_bytes() {
        [c] => char::from(*c),
        _ => return Ok(None),
    };
    let fits = match elem {
        Converter::Int(t) => {
            let codes = if t.signed { "bhilq" } else { "BHILQ" };
            codes.contains(code) && size * 8 == usize::from(t.bits)
        }
        Converter::F32 => code == 'f',
        Converter::F64 => code == 'd',
        _ => false,
    };
    if !fits {
        return Ok(None);
    }
    if fmt.len() == 1 {
        return Ok(Some((mv, code)));
    }
    // "@i": the same items, spelled as array.array spells them (through bytes: memoryview
    // casts only between a byte format and another).
    let view = mv
        .call_method1("cast", ("B",))?
        .call_method1("cast", (code.to_string(),))?;
    Ok(Some((view, code)))
}

/// Writes `mv`, the view of an in/out buffer of numbers passed for a slice parameter of wire
/// type `[]elem`, as an out slot `[wire, its numbers]`, and records it.
pub(super) fn encode_numbers(
    enc: &mut Encoder<'_>,
    out: &mut Vec<u8>,
    mv: Bound<'_, PyAny>,
    code: char,
    elem: &Converter,
) -> Result<(), ArgError> {
    let wire = format!("[]{}", scalar_wire(elem).unwrap_or_default());
    let items = mv.call_method0("tolist")?;
    let mut payload = Vec::with_capacity(16);
    write_array_len(&mut payload, 2);
    write_str(&mut payload, wire.as_bytes());
    super::list::encode(enc, &mut payload, elem, &items, None)?;
    write_out_slot(out, &payload);
    enc.outs.push(Out::Buffer {
        view: mv.unbind(),
        typecode: Some(code),
    });
    Ok(())
}

/// Reads the outs array of a reply (after its body) and puts each final value where it goes.
pub fn apply(
    py: Python<'_>,
    r: &mut Reader<'_>,
    outs: &[Out],
    module: &Arc<GoModule>,
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
            } => record::decode(py, r, rec, module)?,
            Out::Ref { record: None, .. } | Out::Buffer { .. } => any::decode(py, r, module)?,
        };
        if let Out::Buffer { view, typecode } = o {
            let n = view.bind(py).len()?;
            let got = v
                .bind(py)
                .len()
                .map_err(|_| bad_reply("an in/out buffer came back as no bytes or array".into()))?;
            if got != n {
                return Err(bad_reply(format!(
                    "an in/out buffer of {n} items came back with {got}"
                )));
            }
            values.push(match typecode {
                None => v,
                Some(c) => array_type(py)?.call1((c.to_string(), v))?.unbind(),
            });
        } else {
            values.push(v);
        }
    }
    for (o, v) in outs.iter().zip(values) {
        match o {
            Out::Ref { obj, .. } => obj.bind(py).setattr("value", v)?,
            Out::Buffer { view, .. } => view.bind(py).set_item(PySlice::full(py), v)?,
        }
    }
    Ok(())
}

/// Whether converter `conv` of a top-level argument takes out slots (docs/abi.md 8.6).
pub(super) fn takes_outs(conv: &Converter) -> bool {
    match conv {
        Converter::Any | Converter::Bytes | Converter::Ptr(_) => true,
        Converter::List(e) => match &**e {
            Converter::Int(t) => t.bits != 8 || t.signed,
            Converter::F32 | Converter::F64 => true,
            _ => false,
        },
        _ => false,
    }
}
