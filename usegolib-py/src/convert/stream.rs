//! Python streams as Go `io.Writer` and `io.Reader` (docs/abi.md section 10): an object with
//! `write` (or `read`/`readinto`) becomes a host object whose one method Go calls with each
//! chunk, through the same host requests as a callback. A text stream (`io.TextIOBase`: a
//! `sys.stdout`, an `io.StringIO`) gets and gives UTF-8 text: Go's bytes are decoded
//! incrementally (a character split across two writes is decoded whole), with
//! `surrogateescape` for bytes that are not UTF-8, as for strings.

use std::sync::{Arc, LazyLock};

use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyBytes, PyInt, PyString, PyType};
use usegolib_abi::IntType;
use usegolib_loader::GoModule;

use super::{Callback, CallbackSig, Converter};
use crate::args::{type_name, ArgError};

/// `write(chunk) -> taken`, as Go calls a host writer.
static WRITE: LazyLock<Arc<Callback>> = LazyLock::new(|| {
    Arc::new(Callback {
        sig: Ok(CallbackSig {
            params: vec![Converter::Bytes],
            results: vec![Converter::Int(IntType {
                bits: 64,
                signed: true,
            })],
            error: true,
            variadic: false,
            scalar: false,
        }),
        go: "io.Writer".into(),
    })
});

/// `read(max) -> chunk` (empty at the end), as Go calls a host reader.
static READ: LazyLock<Arc<Callback>> = LazyLock::new(|| {
    Arc::new(Callback {
        sig: Ok(CallbackSig {
            params: vec![Converter::Int(IntType {
                bits: 64,
                signed: true,
            })],
            results: vec![Converter::Bytes],
            error: true,
            variadic: false,
            scalar: false,
        }),
        go: "io.Reader".into(),
    })
});

/// Whether `obj` is a text stream (`io.TextIOBase`, looked up once).
fn is_text(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    static TEXT: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    obj.is_instance(TEXT.import(obj.py(), "io", "TextIOBase")?)
}

fn utf8_coder(py: Python<'_>, which: &str) -> PyResult<Py<PyAny>> {
    let make = py.import("codecs")?.call_method1(which, ("utf-8",))?;
    Ok(make.call1(("surrogateescape",))?.unbind())
}

/// A Python object Go writes to.
#[pyclass(module = "usegolib._native", name = "_GoWriterTarget", frozen)]
pub struct HostWriter {
    /// The object's `write`.
    write: Py<PyAny>,
    /// For a text stream: the incremental UTF-8 decoder.
    decoder: Option<Py<PyAny>>,
}

#[pymethods]
impl HostWriter {
    /// Writes one chunk: all of it (a raw stream's partial writes are retried with the rest).
    fn __call__(&self, py: Python<'_>, chunk: Bound<'_, PyBytes>) -> PyResult<usize> {
        let write = self.write.bind(py);
        let len = chunk.as_bytes().len();
        if let Some(dec) = &self.decoder {
            let text = dec.bind(py).call_method1("decode", (chunk,))?;
            write.call1((text,))?;
            return Ok(len);
        }
        let mut rest = chunk.into_any();
        let mut done = 0;
        loop {
            let n = write.call1((&rest,))?;
            let left = len - done;
            let took =
                count(&n, "write", "io.Writer", "bytes taken")?.map_or(left, |n| n.min(left));
            done += took;
            if done >= len || took == 0 {
                return Ok(done);
            }
            rest = PyBytes::new(py, &rest.cast::<PyBytes>()?.as_bytes()[took..]).into_any();
        }
    }
}

/// The count a stream's `write` or `readinto` returned: None, or an int from 0; anything else is
/// an error naming the method, the interface and the value.
fn count(n: &Bound<'_, PyAny>, method: &str, iface: &str, what: &str) -> PyResult<Option<usize>> {
    if n.is_none() {
        return Ok(None);
    }
    let fail = |exc: fn(String) -> PyErr| {
        let shown = n
            .repr()
            .map(|r| r.to_string())
            .unwrap_or_else(|_| type_name(n));
        Err(exc(format!(
            "{method}() of {iface} returned {shown}: expected the number of {what} (an int \
             from 0) or None"
        )))
    };
    if !n.is_instance_of::<PyInt>() {
        return fail(pyo3::exceptions::PyTypeError::new_err);
    }
    match n.extract::<usize>() {
        Ok(n) => Ok(Some(n)),
        Err(_) => fail(pyo3::exceptions::PyValueError::new_err),
    }
}

/// A Python object Go reads from.
#[pyclass(module = "usegolib._native", name = "_GoReaderSource", frozen)]
pub struct HostReader {
    /// The object's `readinto` (when `readinto`) or `read`.
    read: Py<PyAny>,
    /// For a text stream: the incremental UTF-8 encoder.
    encoder: Option<Py<PyAny>>,
    /// Bytes read but not yet given to Go (a text chunk that encoded to more than asked).
    pending: Mutex<Vec<u8>>,
    readinto: bool,
}

#[pymethods]
impl HostReader {
    /// Reads at most `max` bytes; empty at the end of the stream.
    fn __call__<'py>(&self, py: Python<'py>, max: usize) -> PyResult<Bound<'py, PyBytes>> {
        let max = max.max(1);
        {
            let mut pending = self.pending.lock();
            if !pending.is_empty() {
                let n = pending.len().min(max);
                let out = PyBytes::new(py, &pending[..n]);
                pending.drain(..n);
                return Ok(out);
            }
        }
        let read = self.read.bind(py);
        if self.readinto {
            let buf = PyByteArray::new(py, &vec![0u8; max]);
            let n = read.call1((&buf,))?;
            let n = count(&n, "readinto", "io.Reader", "bytes read")?.map_or(0, |n| n.min(max));
            let bytes = buf.to_vec();
            return Ok(PyBytes::new(py, &bytes[..n]));
        }
        let got = read.call1((max,))?;
        let data: Vec<u8> = if let Some(enc) = &self.encoder {
            let text = got.cast::<PyString>().map_err(|_| {
                pyo3::exceptions::PyTypeError::new_err(format!(
                    "read() of a text stream returned {}, not str",
                    type_name(&got)
                ))
            })?;
            enc.bind(py).call_method1("encode", (text,))?.extract()?
        } else if got.is_none() {
            Vec::new()
        } else {
            match super::bytes::with_bytes(&got, |b| b.to_vec()) {
                Ok(Some(b)) => b,
                _ => {
                    return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                        "read() returned {}, not bytes",
                        type_name(&got)
                    )))
                }
            }
        };
        if data.len() <= max {
            return Ok(PyBytes::new(py, &data));
        }
        let out = PyBytes::new(py, &data[..max]);
        self.pending.lock().extend_from_slice(&data[max..]);
        Ok(out)
    }
}

/// The host writer over `obj`'s method `write` (`None` when `obj` has no such method).
pub(super) fn writer_target<'py>(
    obj: &Bound<'py, PyAny>,
    name: &str,
) -> PyResult<Option<Bound<'py, HostWriter>>> {
    let Ok(write) = obj.getattr(name) else {
        return Ok(None);
    };
    let decoder = if is_text(obj)? {
        Some(utf8_coder(obj.py(), "getincrementaldecoder")?)
    } else {
        None
    };
    let target = HostWriter {
        write: write.unbind(),
        decoder,
    };
    Bound::new(obj.py(), target).map(Some)
}

/// The host reader over `obj`'s `readinto` (binary streams) or `read` method `name`.
pub(super) fn reader_source<'py>(
    obj: &Bound<'py, PyAny>,
    name: &str,
) -> PyResult<Option<Bound<'py, HostReader>>> {
    let text = is_text(obj)?;
    let (read, readinto) = match obj.getattr("readinto") {
        Ok(m) if !text && name == "read" => (m, true),
        _ => match obj.getattr(name) {
            Ok(m) => (m, false),
            Err(_) => return Ok(None),
        },
    };
    let encoder = if text {
        Some(utf8_coder(obj.py(), "getincrementalencoder")?)
    } else {
        None
    };
    let source = HostReader {
        read: read.unbind(),
        encoder,
        pending: Mutex::new(Vec::new()),
        readinto,
    };
    Bound::new(obj.py(), source).map(Some)
}

/// The host-object method of a stream method: Go's `Read`/`Write` move bytes as the reader
/// and writer kinds do, whatever the interface (docs/abi.md section 10.7).
pub(super) fn stream_method(
    obj: &Bound<'_, PyAny>,
    go_name: &str,
    py_name: &str,
    cb: &Callback,
) -> PyResult<Option<(Py<PyAny>, Arc<Callback>)>> {
    // The generator's isStreamMethod: name([]byte) (int, error).
    let stream = matches!(&cb.sig, Ok(s) if s.error
        && matches!(s.params.as_slice(), [Converter::Bytes])
        && matches!(s.results.as_slice(), [Converter::Int(t)] if t.bits == 64 && t.signed));
    if !stream {
        return Ok(None);
    }
    Ok(match go_name {
        "Write" => writer_target(obj, py_name)?.map(|w| (w.into_any().unbind(), WRITE.clone())),
        "Read" => reader_source(obj, py_name)?.map(|r| (r.into_any().unbind(), READ.clone())),
        _ => None,
    })
}

/// `WriteString(s string) (int, error)` or `WriteByte(c byte) error` of an object that has only
/// `write` (a stream): the string or byte goes to `write` as a writer's chunk does, and
/// `WriteString` reports the UTF-8 bytes written, as Go counts them.
pub(super) fn write_alias(
    obj: &Bound<'_, PyAny>,
    go_name: &str,
    cb: &Arc<Callback>,
) -> PyResult<Option<(Py<PyAny>, Arc<Callback>)>> {
    let Ok(sig) = &cb.sig else {
        return Ok(None);
    };
    let string = go_name == "WriteString"
        && sig.error
        && matches!(sig.params.as_slice(), [Converter::Str])
        && matches!(sig.results.as_slice(), [Converter::Int(_)]);
    let byte = go_name == "WriteByte"
        && sig.error
        && matches!(sig.params.as_slice(), [Converter::Int(t)] if t.bits == 8 && !t.signed)
        && sig.results.is_empty();
    if !(string || byte) {
        return Ok(None);
    }
    let Some(target) = writer_target(obj, "write")? else {
        return Ok(None);
    };
    let adapter = Bound::new(
        obj.py(),
        HostWriteVia {
            target: target.unbind(),
            byte,
        },
    )?;
    Ok(Some((adapter.into_any().unbind(), cb.clone())))
}

/// `WriteString`/`WriteByte` through a stream's `write` (see [`write_alias`]).
#[pyclass(module = "usegolib._native", name = "_GoWriteVia", frozen)]
pub struct HostWriteVia {
    target: Py<HostWriter>,
    /// `WriteByte` (an int), else `WriteString` (a str).
    byte: bool,
}

#[pymethods]
impl HostWriteVia {
    fn __call__(&self, py: Python<'_>, arg: Bound<'_, PyAny>) -> PyResult<Option<usize>> {
        let bytes = if self.byte {
            PyBytes::new(py, &[arg.extract::<u8>()?])
        } else {
            let s = arg.cast::<PyString>()?;
            let encoded = s.call_method1("encode", ("utf-8", "surrogateescape"))?;
            encoded.cast_into::<PyBytes>()?
        };
        let n = self.target.get().__call__(py, bytes)?;
        Ok((!self.byte).then_some(n))
    }
}

/// Registers `obj` as a host writer, or says it has no `write`.
pub(super) fn writer(
    module: &Arc<GoModule>,
    obj: &Bound<'_, PyAny>,
) -> Result<Option<u64>, ArgError> {
    Ok(writer_target(obj, "write")?.map(|w| crate::host::register(&w, &WRITE, module)))
}

/// Registers `obj` as a host reader when it has `readinto` or `read`.
pub(super) fn reader(
    module: &Arc<GoModule>,
    obj: &Bound<'_, PyAny>,
) -> Result<Option<u64>, ArgError> {
    Ok(reader_source(obj, "read")?.map(|r| crate::host::register(&r, &READ, module)))
}

/// What a `writer` argument accepts, as the stub writes it.
pub(super) const WRITER_STUB: &str = "SupportsWrite[bytes] | SupportsWrite[str] | GoObject | None";

/// `writer` (Go `io.Writer`, parameters only): an object with `write` (a host object), a Go
/// object (Go checks that it implements `io.Writer`), or None.
pub(super) fn encode_writer(
    module: &Arc<GoModule>,
    out: &mut Vec<u8>,
    obj: &Bound<'_, PyAny>,
) -> Result<(), ArgError> {
    if obj.is_none() {
        usegolib_abi::write_nil(out);
        return Ok(());
    }
    if let Ok(h) = obj.cast::<crate::handle::PyGoObject>() {
        usegolib_abi::write_handle(out, h.get().id_for(module)?);
        return Ok(());
    }
    match writer(module, obj)? {
        Some(id) => {
            super::object::write_host_object(out, id);
            Ok(())
        }
        None => Err(ArgError::Type(format!(
            "expected an object with a write() method (io.Writer: missing method write), a Go \
             object implementing io.Writer, or None, got {}",
            type_name(obj)
        ))),
    }
}
