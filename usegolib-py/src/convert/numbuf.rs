//! Slices of fixed-width numbers as packed arrays (docs/abi.md section 8.10, docs/adr/0026):
//! an object with the buffer protocol (`array.array`, a numpy array, a `memoryview`) whose
//! items are exactly the Go element type travels as ext type 8, its bytes copied once with no
//! Python object per element; a packed reply becomes an `array.array` or a `memoryview`
//! (`GoFunction.with_result`), a list, or is written back into an in/out buffer.

use pyo3::buffer::{Element, PyBuffer, PyUntypedBuffer};
use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyMemoryView};
use usegolib_abi::{packed_payload, write_bin_header, write_packed_header};
use zerocopy::{FromBytes, Immutable, IntoBytes};

use super::{bad_reply, Converter};
use crate::args::{type_name, ArgError};

/// `$f::<T>(args)` with T the Rust type of the kind byte `$kind` (f64 for `d` and any other).
macro_rules! by_kind {
    ($kind:expr, $f:ident($($a:expr),*)) => {
        match $kind {
            b'b' => $f::<i8>($($a),*),
            b'h' => $f::<i16>($($a),*),
            b'i' => $f::<i32>($($a),*),
            b'q' => $f::<i64>($($a),*),
            b'B' => $f::<u8>($($a),*),
            b'H' => $f::<u16>($($a),*),
            b'I' => $f::<u32>($($a),*),
            b'Q' => $f::<u64>($($a),*),
            b'f' => $f::<f32>($($a),*),
            _ => $f::<f64>($($a),*),
        }
    };
}

/// `array.array` (here and for the in/out buffers of outparam.rs).
static ARRAY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The Python class of a packed result, chosen per function (`GoFunction.with_result`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Form {
    /// An `array.array` of the kind's typecode.
    Array,
    /// A read-only `memoryview` over a `bytes` object, cast to the kind's format.
    MemoryView,
}

impl Form {
    /// The form named `name` (`"array"`, `"memoryview"`), None for `"list"`.
    pub fn parse(name: &str) -> PyResult<Option<Form>> {
        match name {
            "array" => Ok(Some(Form::Array)),
            "memoryview" => Ok(Some(Form::MemoryView)),
            "list" => Ok(None),
            other => Err(PyTypeError::new_err(format!(
                "with_result() takes \"array\", \"memoryview\" or \"list\", got {other:?}"
            ))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Form::Array => "array",
            Form::MemoryView => "memoryview",
        }
    }
}

/// The kind byte of a packed array of the numbers `elem` converts (the letter of Python's
/// `struct` module with standard sizes, also the `array` typecode), None for other elements.
pub fn kind_of(elem: &Converter) -> Option<u8> {
    Some(match elem {
        Converter::Int(t) => match (t.signed, t.bits) {
            (true, 8) => b'b',
            (true, 16) => b'h',
            (true, 32) => b'i',
            (true, _) => b'q',
            (false, 8) => b'B',
            (false, 16) => b'H',
            (false, 32) => b'I',
            (false, _) => b'Q',
        },
        Converter::F32 => b'f',
        Converter::F64 => b'd',
        Converter::Value(_, inner) => return kind_of(inner),
        _ => return None,
    })
}

/// The Go name of a kind byte, for messages (numpy names its dtypes the same).
fn go_name(kind: u8) -> &'static str {
    match kind {
        b'b' => "int8",
        b'h' => "int16",
        b'i' => "int32",
        b'q' => "int64",
        b'B' => "uint8",
        b'H' => "uint16",
        b'I' => "uint32",
        b'Q' => "uint64",
        b'f' => "float32",
        _ => "float64",
    }
}

/// What a buffer of format `fmt` with items of `size` bytes holds, as a kind byte: None when it
/// is not exactly one fixed-width number per item in this machine's byte order (big-endian
/// formats, booleans, half floats, structs, pointers).
fn format_kind(fmt: &[u8], size: usize) -> Option<u8> {
    let (native, letter) = match fmt {
        [c] | [b'@', c] => (true, *c),
        [b'=' | b'<', c] if cfg!(target_endian = "little") => (false, *c),
        [b'=' | b'>' | b'!', c] if cfg!(target_endian = "big") => (false, *c),
        _ => return None,
    };
    let (signed, float) = match letter {
        b'b' | b'h' | b'i' | b'l' | b'q' | b'n' => (true, false),
        b'B' | b'H' | b'I' | b'L' | b'Q' | b'N' => (false, false),
        b'f' | b'd' => (true, true),
        _ => return None,
    };
    if !native && matches!(letter, b'n' | b'N') {
        return None;
    }
    Some(match (float, signed, size) {
        (true, _, 4) => b'f',
        (true, _, 8) => b'd',
        (false, true, 1) => b'b',
        (false, true, 2) => b'h',
        (false, true, 4) => b'i',
        (false, true, 8) => b'q',
        (false, false, 1) => b'B',
        (false, false, 2) => b'H',
        (false, false, 4) => b'I',
        (false, false, 8) => b'Q',
        _ => return None,
    })
}

/// Writes `obj`, an object with the buffer protocol, as a packed array of `kind`. Ok(false),
/// nothing written, when `obj` has no buffer protocol. A buffer of other items (a float64
/// buffer for `[]int64`, `'<i4'` for `[]int64`, a big-endian format) is a TypeError naming its
/// format and what is expected: its bytes are never reinterpreted. A strided buffer (a numpy
/// slice `a[::2]`) is gathered in C order.
pub fn encode_buffer(
    out: &mut Vec<u8>,
    kind: u8,
    obj: &Bound<'_, PyAny>,
    align: bool,
) -> Result<bool, ArgError> {
    with_buffer(out, kind, obj, |out, n| {
        if align {
            usegolib_abi::write_packed_header_aligned(out, kind, n);
        } else {
            write_packed_header(out, kind, n);
        }
    })
}

/// Writes the items of `obj` (exactly of `kind`) as little-endian bytes after the header that
/// `header` writes for their byte length; Ok(false) when `obj` has no buffer protocol.
fn with_buffer(
    out: &mut Vec<u8>,
    kind: u8,
    obj: &Bound<'_, PyAny>,
    header: impl FnOnce(&mut Vec<u8>, usize),
) -> Result<bool, ArgError> {
    let Ok(buf) = PyUntypedBuffer::get(obj) else {
        return Ok(false);
    };
    write_items(out, kind, obj, &buf, None, header)?;
    Ok(true)
}

/// Whether `buf` holds exactly one-dimensional items of `kind` (in this machine's byte order).
pub fn holds(buf: &PyUntypedBuffer, kind: u8) -> bool {
    format_kind(buf.format().to_bytes(), buf.item_size()) == Some(kind) && buf.dimensions() == 1
}

/// Writes the items of `buf`, the buffer of `obj` (of `kind` items, else a TypeError), with no
/// header: the caller wrote it (an in/out buffer's padded out slot, docs/abi.md section 8.12).
pub fn copy_items(
    out: &mut Vec<u8>,
    kind: u8,
    obj: &Bound<'_, PyAny>,
    buf: &PyUntypedBuffer,
    bytes: Option<&PyBuffer<u8>>,
) -> Result<(), ArgError> {
    write_items(out, kind, obj, buf, bytes, |_, _| {})
}

/// Copies the items of `buf` (C-contiguous, of `kind` items) into `dst` through a typed view of
/// `dst` and of `buf`, with no Python object made (docs/adr/0034): Ok(false), nothing copied,
/// when `dst` is not aligned for the items, the buffer is not typed by pyo3, or the machine is
/// big-endian (the caller then copies through a [`byte_view`]).
pub fn copy_in_typed(
    py: Python<'_>,
    kind: u8,
    buf: &PyUntypedBuffer,
    dst: &mut [u8],
) -> PyResult<bool> {
    if !cfg!(target_endian = "little") || !buf.is_c_contiguous() {
        return Ok(false);
    }
    by_kind!(kind, typed_in(py, buf, dst))
}

fn typed_in<T: Element + FromBytes + IntoBytes>(
    py: Python<'_>,
    buf: &PyUntypedBuffer,
    dst: &mut [u8],
) -> PyResult<bool> {
    let (Ok(items), Ok(typed)) = (<[T]>::mut_from_bytes(dst), buf.as_typed::<T>()) else {
        return Ok(false);
    };
    if typed.item_count() != items.len() {
        return Ok(false);
    }
    typed.copy_to_slice(py, items)?;
    Ok(true)
}

/// Copies `src`, the little-endian bytes of `kind` items, into `buf` (C-contiguous, of as many
/// `kind` items) through typed views: Ok(false), nothing copied, when `src` is not aligned for
/// the items or the buffer is not typed by pyo3 (the caller then writes through a byte view).
pub fn copy_back_typed(
    py: Python<'_>,
    kind: u8,
    buf: &PyUntypedBuffer,
    src: &[u8],
) -> PyResult<bool> {
    if !cfg!(target_endian = "little") || !buf.is_c_contiguous() {
        return Ok(false);
    }
    by_kind!(kind, typed_back(py, buf, src))
}

fn typed_back<T: Element + FromBytes + Immutable>(
    py: Python<'_>,
    buf: &PyUntypedBuffer,
    src: &[u8],
) -> PyResult<bool> {
    let (Ok(items), Ok(typed)) = (<[T]>::ref_from_bytes(src), buf.as_typed::<T>()) else {
        return Ok(false);
    };
    if typed.item_count() != items.len() {
        return Ok(false);
    }
    typed.copy_from_slice(py, items)?;
    Ok(true)
}

/// The bytes of `obj`'s C-contiguous buffer as a buffer of bytes (`memoryview(obj).cast('B')`,
/// held while the view lives): copied into a request or back from a reply with one memcpy,
/// whatever the alignment of its items.
pub fn byte_view(obj: &Bound<'_, PyAny>) -> PyResult<PyBuffer<u8>> {
    let py = obj.py();
    let mv = PyMemoryView::from(obj)?.call_method1(intern!(py, "cast"), (intern!(py, "B"),))?;
    PyBuffer::get(&mv)
}

fn write_items(
    out: &mut Vec<u8>,
    kind: u8,
    obj: &Bound<'_, PyAny>,
    buf: &PyUntypedBuffer,
    bytes: Option<&PyBuffer<u8>>,
    header: impl FnOnce(&mut Vec<u8>, usize),
) -> Result<(), ArgError> {
    let py = obj.py();
    let fmt = buf.format().to_bytes();
    if format_kind(fmt, buf.item_size()) != Some(kind) {
        return Err(ArgError::Type(format!(
            "a buffer ({}) of format '{}' (item size {}) cannot be a []{}: its items must be \
             exactly {} (array typecode '{}', numpy {}); it is never reinterpreted",
            type_name(obj),
            String::from_utf8_lossy(fmt),
            buf.item_size(),
            go_name(kind),
            go_name(kind),
            char::from(kind),
            go_name(kind)
        )));
    }
    if buf.dimensions() != 1 {
        return Err(ArgError::Type(format!(
            "a {}-dimensional buffer ({}) cannot be a []{}: a Go slice takes a 1-dimensional \
             one (flatten it first, e.g. with .ravel())",
            buf.dimensions(),
            type_name(obj),
            go_name(kind)
        )));
    }
    let len = buf.item_count() * buf.item_size();
    header(out, len);
    let start = out.len();
    if cfg!(target_endian = "little") && buf.is_c_contiguous() {
        // Its memory is the packed bytes: one copy straight into the request, through typed
        // views when the request is aligned for the items there (no byte view to make: an
        // argument read in place is, docs/adr/0034).
        if bytes.is_none() {
            out.resize(start + len, 0);
            if copy_in_typed(py, kind, buf, &mut out[start..])? {
                return Ok(());
            }
            out.truncate(start);
        }
        let view;
        let bytes = match bytes {
            Some(b) => b,
            None => {
                view = byte_view(obj)?;
                &view
            }
        };
        if bytes.item_count() != len {
            return Err(ArgError::Type(
                "the buffer changed size during the call".into(),
            ));
        }
        out.resize(start + len, 0);
        bytes.copy_to_slice(py, &mut out[start..])?;
        return Ok(());
    }
    let copied = by_kind!(kind, copy_le(py, buf, out));
    if copied.is_err() {
        // A buffer pyo3 does not type (items not aligned in memory): its bytes, as
        // memoryview.tobytes() gathers them in C order.
        out.truncate(start);
        let bytes = py
            .get_type::<PyMemoryView>()
            .call1((obj,))?
            .call_method0("tobytes")?;
        let bytes = bytes
            .cast::<PyBytes>()
            .map_err(|e| ArgError::Py(e.into()))?;
        let b = bytes.as_bytes();
        if b.len() != len {
            return Err(ArgError::Type(
                "the buffer changed size during the call".into(),
            ));
        }
        let size = buf.item_size();
        for item in b.chunks_exact(size) {
            if cfg!(target_endian = "little") {
                out.extend_from_slice(item);
            } else {
                out.extend(item.iter().rev());
            }
        }
    }
    Ok(())
}

/// Writes `obj`, an object with the buffer protocol and 1-dimensional uint8 items, as a bin
/// (a `[]byte`). Ok(false), nothing written, when `obj` has no buffer protocol; a buffer of
/// other items is a TypeError, as in [`encode_buffer`].
pub fn encode_bin(out: &mut Vec<u8>, obj: &Bound<'_, PyAny>) -> Result<bool, ArgError> {
    with_buffer(out, b'B', obj, write_bin_header)
}

/// A number with a little-endian byte form.
trait Le: Element + Default {
    const SIZE: usize;
    fn put(self, out: &mut [u8]);
}

macro_rules! le {
    ($($t:ty),*) => {$(
        impl Le for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            #[inline]
            fn put(self, out: &mut [u8]) {
                out.copy_from_slice(&self.to_le_bytes());
            }
        }
    )*};
}
le!(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64);

/// Appends the items of `buf` (of T's format) to `out` as little-endian bytes, gathered in C
/// order (a strided buffer, or a big-endian host). An error when pyo3 cannot type it (items
/// not aligned in memory).
fn copy_le<T: Le>(py: Python<'_>, buf: &PyUntypedBuffer, out: &mut Vec<u8>) -> PyResult<()> {
    let items = buf.as_typed::<T>()?.to_vec(py)?;
    let start = out.len();
    out.resize(start + items.len() * T::SIZE, 0);
    for (b, x) in out[start..].chunks_exact_mut(T::SIZE).zip(items) {
        x.put(b);
    }
    Ok(())
}

/// Reads a packed array's payload whose kind must be `kind`.
fn checked(payload: &[u8], kind: u8) -> PyResult<&[u8]> {
    let (got, data) = packed_payload(payload).map_err(bad_reply)?;
    if got != kind {
        return Err(bad_reply(format!(
            "a packed array of {} where []{} was expected",
            go_name(got),
            go_name(kind)
        )));
    }
    Ok(data)
}

/// `array.array`.
pub(super) fn array_type(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    ARRAY
        .get_or_try_init(py, || {
            py.import("array")?.getattr("array").map(Bound::unbind)
        })
        .map(|a| a.bind(py))
}

/// The packed array `payload` (of `kind`) as a Python object of `form` (None: a list).
pub fn decode(py: Python<'_>, payload: &[u8], kind: u8, form: Option<Form>) -> PyResult<Py<PyAny>> {
    let data = checked(payload, kind)?;
    let code = char::from(kind).to_string();
    let bytes = crate::fast::new_bytes(py, data)?;
    let native_order = |arr: Bound<'_, PyAny>| -> PyResult<Py<PyAny>> {
        if cfg!(target_endian = "big") {
            arr.call_method0("byteswap")?;
        }
        Ok(arr.unbind())
    };
    match form {
        Some(Form::Array) => native_order(array_type(py)?.call1((code, bytes))?),
        Some(Form::MemoryView) if cfg!(target_endian = "little") => Ok(PyMemoryView::from(&bytes)?
            .call_method1("cast", (code,))?
            .unbind()),
        // A big-endian host: the bytes in its order first.
        Some(Form::MemoryView) => {
            let arr = native_order(array_type(py)?.call1((code, bytes))?)?;
            let b = arr.bind(py).call_method0("tobytes")?;
            Ok(py
                .get_type::<PyMemoryView>()
                .call1((b,))?
                .call_method1("cast", (char::from(kind).to_string(),))?
                .unbind())
        }
        None => {
            let arr = native_order(array_type(py)?.call1((code, bytes))?)?;
            Ok(arr.bind(py).call_method0("tolist")?.unbind())
        }
    }
}

/// A list (a plain result read as a list) as an object of `form`: what a reply that came as an
/// array becomes when the host asked for packed results.
pub fn from_list(py: Python<'_>, list: Py<PyAny>, kind: u8, form: Form) -> PyResult<Py<PyAny>> {
    let arr = array_type(py)?.call1((char::from(kind).to_string(), list))?;
    Ok(match form {
        Form::Array => arr.unbind(),
        Form::MemoryView => py
            .get_type::<PyMemoryView>()
            .call1((arr.call_method0("tobytes")?,))?
            .call_method1("cast", (char::from(kind).to_string(),))?
            .unbind(),
    })
}

/// Checks that `payload`, the final value of the in/out buffer `buf` of `kind`, is a packed
/// array of as many bytes, and returns its element bytes.
pub fn check_back<'a>(buf: &PyUntypedBuffer, kind: u8, payload: &'a [u8]) -> PyResult<&'a [u8]> {
    let data = checked(payload, kind)?;
    if buf.len_bytes() != data.len() {
        return Err(bad_reply(format!(
            "an in/out buffer of {} bytes came back with {}",
            buf.len_bytes(),
            data.len()
        )));
    }
    Ok(data)
}

/// Writes `data`, the checked final value of an in/out buffer (little-endian items of `kind`),
/// into `bytes`, the [`byte_view`] of its buffer, held since the call began (its object could
/// not be resized meanwhile): one memcpy on a little-endian host. Through a byte view, not a
/// typed one, so that a buffer whose items are not aligned in memory takes it as well.
pub fn write_back(py: Python<'_>, bytes: &PyBuffer<u8>, kind: u8, data: &[u8]) -> PyResult<()> {
    if cfg!(target_endian = "little") {
        return bytes.copy_from_slice(py, data);
    }
    let size = usegolib_abi::packed_size(kind).unwrap_or(1);
    let native: Vec<u8> = data
        .chunks_exact(size)
        .flat_map(|item| item.iter().rev().copied())
        .collect();
    bytes.copy_from_slice(py, &native)
}

/// The annotation of a packed result: `array.array` or `memoryview`.
pub fn annotation(py: Python<'_>, form: Form) -> PyResult<Bound<'_, PyAny>> {
    match form {
        Form::Array => Ok(array_type(py)?.clone()),
        Form::MemoryView => Ok(py.get_type::<PyMemoryView>().into_any()),
    }
}

/// The .pyi text of a packed result.
pub fn stub(form: Form, kind: u8) -> &'static str {
    match (form, kind) {
        (Form::MemoryView, _) => "memoryview",
        (Form::Array, b'f' | b'd') => "array.array[float]",
        (Form::Array, _) => "array.array[int]",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_map_to_exact_kinds() {
        assert_eq!(format_kind(b"q", 8), Some(b'q'));
        assert_eq!(format_kind(b"l", 8), Some(b'q'));
        assert_eq!(format_kind(b"@l", 8), Some(b'q'));
        assert_eq!(format_kind(b"<q", 8), Some(b'q'));
        assert_eq!(format_kind(b"=d", 8), Some(b'd'));
        assert_eq!(format_kind(b"<i", 4), Some(b'i'));
        assert_eq!(format_kind(b"B", 1), Some(b'B'));
        assert_eq!(format_kind(b"f", 4), Some(b'f'));
        // Big-endian, booleans, half floats, chars, structs and pointers are no numbers here.
        assert_eq!(format_kind(b">q", 8), None);
        assert_eq!(format_kind(b"!i", 4), None);
        assert_eq!(format_kind(b"?", 1), None);
        assert_eq!(format_kind(b"e", 2), None);
        assert_eq!(format_kind(b"c", 1), None);
        assert_eq!(format_kind(b"T{q:x:}", 8), None);
        assert_eq!(format_kind(b"P", 8), None);
        assert_eq!(format_kind(b"<n", 8), None);
    }

    #[test]
    fn packed_bytes_are_little_endian() {
        let mut out = Vec::new();
        write_packed_header(&mut out, b'q', 16);
        out.resize(20, 0);
        (1i64).put(&mut out[4..12]);
        (-2i64).put(&mut out[12..20]);
        assert_eq!(&out[..3], &[0xc7, 17, 8]);
        assert_eq!(out[3], b'q');
        assert_eq!(&out[4..12], &[1, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            &out[12..],
            &[0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
        );
        // One byte element: fixext 2 (kind + 1 byte).
        let mut one = Vec::new();
        write_packed_header(&mut one, b'B', 1);
        assert_eq!(one, [0xd5, 8, b'B']);
    }

    #[test]
    fn kinds_follow_the_converters() {
        use usegolib_abi::IntType;
        let int = |signed, bits| Converter::Int(IntType { signed, bits });
        assert_eq!(kind_of(&int(true, 64)), Some(b'q'));
        assert_eq!(kind_of(&int(false, 8)), Some(b'B'));
        assert_eq!(kind_of(&int(true, 32)), Some(b'i'));
        assert_eq!(kind_of(&Converter::F32), Some(b'f'));
        assert_eq!(kind_of(&Converter::Str), None);
    }
}
