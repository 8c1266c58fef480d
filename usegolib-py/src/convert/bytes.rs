//! `bytes` (Go `[]byte`) and `bytes[N]` (Go `[N]byte`): bytes, bytearray or memoryview in,
//! bytes out.

use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyMemoryView};
use usegolib_abi::{write_bin, write_nil, IntType};

use crate::args::{mismatch, ArgError};

/// The byte type: one argument of a variadic `...byte` parameter.
const BYTE: IntType = IntType {
    bits: 8,
    signed: false,
};

/// The bytes of a bytes-like argument (bytes, bytearray, memoryview), handed to `f`.
pub(super) fn with_bytes<R>(
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

#[inline]
pub(super) fn encode(out: &mut Vec<u8>, obj: &Bound<'_, PyAny>) -> Result<(), ArgError> {
    match with_bytes(obj, |b| write_bin(out, b))? {
        Some(()) => Ok(()),
        None if obj.is_none() => {
            write_nil(out);
            Ok(())
        }
        // Any other buffer of uint8 items (a numpy uint8 array): docs/abi.md section 8.10.
        None if super::numbuf::encode_bin(out, obj)? => Ok(()),
        None => Err(mismatch("bytes, bytearray or memoryview", obj)),
    }
}

/// Exactly `n` bytes.
#[inline(never)]
pub(super) fn encode_n(
    out: &mut Vec<u8>,
    obj: &Bound<'_, PyAny>,
    n: usize,
) -> Result<(), ArgError> {
    let mut wrong = None;
    let done = with_bytes(obj, |b| {
        if b.len() == n {
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

/// One argument of a variadic `...byte` parameter (docs/abi.md 8.4): an int in [0, 255]. The
/// arguments travel together as one bytes value, as Go's `[]byte` does.
pub fn variadic_byte(obj: &Bound<'_, PyAny>) -> Result<u8, ArgError> {
    if !super::int::is_int(obj) {
        return Err(mismatch("int", obj));
    }
    obj.extract::<u8>()
        .map_err(|_| super::int::out_of_range(obj, BYTE))
}

/// The converter of one argument of a variadic `...byte` parameter.
pub fn variadic_elem() -> super::Converter {
    super::Converter::Int(BYTE)
}

pub(super) fn annotation(py: Python<'_>) -> Bound<'_, PyAny> {
    py.get_type::<PyBytes>().into_any()
}

/// `arg`: what an argument of Go `[]byte` accepts.
pub(super) fn stub(arg: bool) -> &'static str {
    if arg {
        "bytes | bytearray | memoryview"
    } else {
        "bytes"
    }
}
