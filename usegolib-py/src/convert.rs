//! Python objects to wire bytes and back, in one pass each: the only place where Python types
//! meet ABI types. Arguments are written straight into the request buffer (no intermediate
//! value tree); replies are read straight from the reply bytes into Python objects, guided by
//! the wire types of the schema.

use std::sync::Arc;

use pyo3::exceptions::{PyOverflowError, PyRuntimeError, PyTypeError, PyValueError};
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

/// The deepest container nesting a message may have (docs/abi.md section 6).
pub const MAX_DEPTH: usize = usegolib_abi::Limits::ABI.max_depth;

/// Containers around every argument: the request array and its argument array.
pub const ARGS_DEPTH: usize = 2;

/// Why an argument could not be converted.
pub enum ArgError {
    /// A type mismatch: `TypeError`.
    Type(String),
    /// A value out of range: `OverflowError`.
    Overflow(String),
    /// A list or dict changed size while it was being converted: `RuntimeError`.
    Changed(String),
    /// A container nested deeper than the wire allows, or a cycle: `ValueError`.
    Nested(Box<Nesting>),
    /// A Python exception raised while looking at the value (e.g. UnicodeEncodeError).
    Py(PyErr),
}

/// Where a too-deep container is. Each container on the path adds its step and its identity
/// while the error unwinds, so a path costs nothing until a value is too deep; a cycle always is
/// (it never ends), and shows as a container met twice on the path.
pub struct Nesting {
    /// The steps from the argument down, innermost first.
    steps: Vec<Step>,
    /// The identity of each container on the path (one more than the steps), innermost first.
    ids: Vec<usize>,
}

enum Step {
    Index(usize),
    Key(String),
    Attr(String),
}

impl Nesting {
    /// The message, with `root` naming the argument.
    fn message(mut self, root: &str) -> String {
        self.steps.reverse();
        self.ids.reverse();
        for j in 1..self.ids.len() {
            if let Some(i) = self.ids[..j].iter().position(|&id| id == self.ids[j]) {
                return format!(
                    "the value refers to itself: {} is the same object as {} (a cycle); Go \
                     values cannot contain cycles: pass a copy without one",
                    path(root, &self.steps[..j]),
                    path(root, &self.steps[..i])
                );
            }
        }
        format!(
            "nested too deeply: {} would be a container at depth {} of the request, deeper than \
             the limit of {MAX_DEPTH} levels (docs/abi.md section 6; the request and its argument \
             list count as levels 1 and 2): pass a less deeply nested value",
            path(root, &self.steps),
            MAX_DEPTH + 1
        )
    }
}

/// `root` followed by `steps`, shortened in the middle when long.
fn path(root: &str, steps: &[Step]) -> String {
    let show = |s: &Step| match s {
        Step::Index(i) => format!("[{i}]"),
        Step::Key(k) => format!("[{k:?}]"),
        Step::Attr(a) => format!(".{a}"),
    };
    let mut p = root.to_owned();
    if steps.len() <= 12 {
        steps.iter().for_each(|s| p.push_str(&show(s)));
    } else {
        steps[..6].iter().for_each(|s| p.push_str(&show(s)));
        p.push('…');
        steps[steps.len() - 3..]
            .iter()
            .for_each(|s| p.push_str(&show(s)));
        p.push_str(&format!(" ({} levels down)", steps.len()));
    }
    p
}

/// The identity of a Python object (its address), for finding cycles.
fn identity(obj: &Bound<'_, PyAny>) -> usize {
    obj.as_ptr() as usize
}

impl ArgError {
    /// This error, for the element at `index` of the container `within`.
    fn at(self, index: usize, within: &Bound<'_, PyAny>) -> Self {
        self.located(|| format!("element {index}"), Step::Index(index), within)
    }

    /// This error, for the value of `within` at `step`; `what` prefixes the other messages.
    fn located(self, what: impl FnOnce() -> String, step: Step, within: &Bound<'_, PyAny>) -> Self {
        match self {
            ArgError::Nested(mut n) => {
                n.steps.push(step);
                n.ids.push(identity(within));
                ArgError::Nested(n)
            }
            e => e.prefixed(&what()),
        }
    }

    fn prefixed(self, what: &str) -> Self {
        match self {
            ArgError::Type(m) => ArgError::Type(format!("{what}: {m}")),
            ArgError::Overflow(m) => ArgError::Overflow(format!("{what}: {m}")),
            ArgError::Changed(m) => ArgError::Changed(format!("{what}: {m}")),
            e => e,
        }
    }

    /// The Python exception, prefixed with where the argument is; `root` names the argument
    /// in a path (`n`, `xs[2]`).
    pub fn into_pyerr(self, prefix: &str, root: &str) -> PyErr {
        match self {
            ArgError::Type(m) => PyTypeError::new_err(format!("{prefix}: {m}")),
            ArgError::Overflow(m) => PyOverflowError::new_err(format!("{prefix}: {m}")),
            ArgError::Changed(m) => PyRuntimeError::new_err(format!("{prefix}: {m}")),
            ArgError::Nested(n) => PyValueError::new_err(format!("{prefix}: {}", n.message(root))),
            ArgError::Py(e) => e,
        }
    }
}

impl From<PyErr> for ArgError {
    fn from(e: PyErr) -> Self {
        ArgError::Py(e)
    }
}

/// The error for a list or dict whose size changed while it was converted.
pub fn changed(what: &str) -> ArgError {
    ArgError::Changed(format!(
        "{what} changed size during conversion (Python code that the conversion ran, such as a \
         __float__ method, a property or a time zone, modified it)"
    ))
}

/// Calls `f` with every item of `d`. pyo3's dict iterator panics when the dict changes size
/// under it, and `f` may run Python code that changes it: this never steps more than the
/// starting size, nor after a change, and reports a change as `changed()`.
pub fn for_each_item<'py, E>(
    d: &Bound<'py, PyDict>,
    changed: impl Fn() -> E,
    mut f: impl FnMut(Bound<'py, PyAny>, Bound<'py, PyAny>) -> Result<(), E>,
) -> Result<(), E> {
    let n = d.len();
    let mut items = d.iter();
    for _ in 0..n {
        let item = if d.len() == n { items.next() } else { None };
        let Some((k, v)) = item else {
            return Err(changed());
        };
        f(k, v)?;
    }
    if d.len() != n {
        return Err(changed());
    }
    Ok(())
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

/// The error for a dict key that is not a str; `within` names the dict ("map", "struct T:").
fn not_str_key(within: &str, k: &Bound<'_, PyAny>) -> ArgError {
    ArgError::Type(format!("{within} keys must be str, got {}", type_name(k)))
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
        // An int subclass may have its own __float__: its exceptions pass through.
        return obj.extract::<f64>().map_err(|e| {
            if e.is_instance_of::<PyOverflowError>(obj.py()) {
                ArgError::Overflow("int too large to convert to float".into())
            } else {
                ArgError::Py(e)
            }
        });
    }
    Err(mismatch("float", obj))
}

/// `str.encode`, looked up once on the type: a `str` subclass's own `encode` is not called.
fn str_encode(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static ENCODE: pyo3::sync::PyOnceLock<Py<PyAny>> = pyo3::sync::PyOnceLock::new();
    ENCODE
        .get_or_try_init(py, || {
            py.get_type::<PyString>()
                .getattr("encode")
                .map(Bound::unbind)
        })
        .map(|e| e.bind(py))
}

/// Writes a Python `str` as Go string bytes: UTF-8, with lone surrogates from
/// `surrogateescape` turned back into the bytes they stand for.
fn write_py_str(out: &mut Vec<u8>, s: &Bound<'_, PyString>) -> Result<(), ArgError> {
    match s.to_str() {
        Ok(text) => write_str(out, text.as_bytes()),
        Err(_) => {
            let b = str_encode(s.py())?.call1((s, "utf-8", "surrogateescape"))?;
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

fn short_key(key: &str) -> &str {
    key.rsplit('/').next().unwrap_or(key)
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

/// The Python attribute name of field `i` of a record.
fn attr_name<'a>(rec: &'a RecordType, names: Option<&'a Vec<String>>, i: usize) -> &'a str {
    names
        .and_then(|n| n.get(i))
        .map_or(rec.fields[i].name.as_str(), String::as_str)
}

/// The field of a record that a dict key names: its wire key, Go name or Python name.
fn field_index(rec: &RecordType, names: Option<&Vec<String>>, k: &str) -> Option<usize> {
    rec.fields.iter().enumerate().position(|(i, f)| {
        f.key == k || f.name == k || names.and_then(|n| n.get(i)).is_some_and(|n| n == k)
    })
}

/// A closed Go object in `obj`, an argument of wire type `ty`: looked for only after Go refused
/// the argument (`bad_argument`), so that a close during the call (by another thread, or by
/// Python code the conversion ran) is an ObjectClosedError. Reads the value again as the
/// encoder did, within the depth limit.
pub fn closed_object<'py>(
    ctx: &ModuleCtx,
    ty: &WireType,
    obj: &Bound<'py, PyAny>,
    depth: usize,
) -> Option<Bound<'py, PyGoObject>> {
    if depth > MAX_DEPTH {
        return None;
    }
    let inner = |ty: &WireType, v: &Bound<'py, PyAny>| closed_object(ctx, ty, v, depth + 1);
    match ty {
        WireType::Handle(_) => obj
            .cast::<PyGoObject>()
            .ok()
            .filter(|h| h.get().is_closed())
            .cloned(),
        WireType::Ptr(t) => closed_object(ctx, t, obj, depth),
        WireType::List(t) | WireType::Array(_, t) => {
            if let Ok(l) = obj.cast::<PyList>() {
                l.iter().find_map(|v| inner(t, &v))
            } else if let Ok(tu) = obj.cast::<PyTuple>() {
                tu.iter().find_map(|v| inner(t, &v))
            } else {
                None
            }
        }
        WireType::Map(t) => {
            let d = obj.cast::<PyDict>().ok()?;
            d.values().iter().find_map(|v| inner(t, &v))
        }
        WireType::Record(key) => {
            let rec = ctx.module.records().get(key)?;
            if let Ok(d) = obj.cast::<PyDict>() {
                let names = ctx.pynames.get(key);
                d.items().iter().find_map(|kv| {
                    let (k, v): (String, Bound<'py, PyAny>) = kv.extract().ok()?;
                    inner(&rec.fields[field_index(rec, names, &k)?].ty, &v)
                })
            } else {
                let cache = ctx.record_cache(key)?;
                let py = obj.py();
                rec.fields
                    .iter()
                    .zip(&cache.names)
                    .find_map(|(f, name)| inner(&f.ty, &obj.getattr(name.bind(py)).ok()?))
            }
        }
        _ => None,
    }
}

/// Converts the arguments of one request straight to the wire, checking each exactly: types,
/// ranges, the nesting depth (docs/abi.md section 6) and cycles.
pub struct Encoder<'a> {
    ctx: &'a ModuleCtx,
    /// Containers open around the value being written, the request's own included.
    depth: usize,
}

impl<'a> Encoder<'a> {
    pub fn new(ctx: &'a ModuleCtx) -> Self {
        Encoder {
            ctx,
            depth: ARGS_DEPTH,
        }
    }

    /// Writes `obj` as wire type `ty`, inside `depth` containers (the request and its argument
    /// list: [`ARGS_DEPTH`]).
    pub fn arg<'py>(
        &mut self,
        out: &mut Vec<u8>,
        depth: usize,
        ty: &WireType,
        obj: &Bound<'py, PyAny>,
    ) -> Result<(), ArgError> {
        self.depth = depth;
        self.value(out, ty, obj)
    }

    /// Enters the container `obj`: an error when it would be deeper than the limit.
    #[inline]
    fn open(&mut self, obj: &Bound<'_, PyAny>) -> Result<(), ArgError> {
        if self.depth >= MAX_DEPTH {
            return Err(ArgError::Nested(Box::new(Nesting {
                steps: Vec::new(),
                ids: vec![identity(obj)],
            })));
        }
        self.depth += 1;
        Ok(())
    }

    #[inline]
    fn close(&mut self) {
        self.depth -= 1;
    }

    fn value<'py>(
        &mut self,
        out: &mut Vec<u8>,
        ty: &WireType,
        obj: &Bound<'py, PyAny>,
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
            WireType::List(elem) => self.sequence(out, elem, obj, None),
            WireType::Array(n, elem) => self.sequence(out, elem, obj, Some(*n)),
            WireType::Map(elem) => self.map(out, elem, obj),
            WireType::Ptr(inner) => {
                if obj.is_none() {
                    write_nil(out);
                    Ok(())
                } else {
                    self.value(out, inner, obj)
                }
            }
            WireType::Record(key) => self.record(out, key, obj),
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
                let id = h.get().id_for(&self.ctx.module)?;
                write_handle(out, id);
                Ok(())
            }
            WireType::Any => self.any(out, obj),
            WireType::Time => {
                let t: (i64, i64, i64) = helpers()?
                    .time_to_wire
                    .bind(obj.py())
                    .call1((obj,))?
                    .extract()?;
                self.open(obj)?;
                write_array_len(out, 3);
                write_int(out, t.0);
                write_int(out, t.1);
                write_int(out, t.2);
                self.close();
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

    /// Writes a dict with str keys (or None, a nil map) as a map of `elem` values.
    fn map<'py>(
        &mut self,
        out: &mut Vec<u8>,
        elem: &WireType,
        obj: &Bound<'py, PyAny>,
    ) -> Result<(), ArgError> {
        if obj.is_none() {
            write_nil(out);
            return Ok(());
        }
        let d = obj.cast::<PyDict>().map_err(|_| mismatch("dict", obj))?;
        self.open(obj)?;
        write_map_len(out, d.len());
        for_each_item(
            d,
            || changed("dict"),
            |k, v| {
                let Ok(ks) = k.cast::<PyString>() else {
                    return Err(not_str_key("map", &k));
                };
                write_py_str(out, ks)?;
                self.value(out, elem, &v).map_err(|e| {
                    let key = ks.to_string_lossy().into_owned();
                    e.located(|| format!("key {key}"), Step::Key(key.clone()), obj)
                })
            },
        )?;
        self.close();
        Ok(())
    }

    /// Writes a list or tuple (or None for a slice) as an array; `len` is an array type's
    /// length. A list that changes size meanwhile (Python code run by the conversion of an
    /// element) is an error, never a short or long array.
    fn sequence<'py>(
        &mut self,
        out: &mut Vec<u8>,
        elem: &WireType,
        obj: &Bound<'py, PyAny>,
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
            self.open(obj)?;
            write_array_len(out, n);
            let mut written = 0;
            if let WireType::Int(t) = elem {
                // The common []int64 case, without the per-element dispatch: room for the
                // largest encoding of every element at once, and no range check where int64 is
                // the range.
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
                    write_py_int(out, &item, *t).map_err(|e| e.at(i, obj))?;
                }
            } else {
                for (i, item) in l.iter().enumerate() {
                    written += 1;
                    self.value(out, elem, &item).map_err(|e| e.at(i, obj))?;
                }
            }
            if written != n || l.len() != n {
                return Err(changed("list"));
            }
            self.close();
            Ok(())
        } else if let Ok(t) = obj.cast::<PyTuple>() {
            check(t.len())?;
            self.open(obj)?;
            write_array_len(out, t.len());
            for (i, item) in t.iter().enumerate() {
                self.value(out, elem, &item).map_err(|e| e.at(i, obj))?;
            }
            self.close();
            Ok(())
        } else if obj.is_none() && len.is_none() {
            write_nil(out);
            Ok(())
        } else {
            Err(mismatch("list or tuple", obj))
        }
    }

    /// Writes a record from a dict (keys: wire keys or Go field names) or an object with the
    /// fields as attributes (the generated classes).
    fn record<'py>(
        &mut self,
        out: &mut Vec<u8>,
        key: &str,
        obj: &Bound<'py, PyAny>,
    ) -> Result<(), ArgError> {
        let ctx = self.ctx;
        let Some(rec) = ctx.module.records().get(key) else {
            return Err(ArgError::Type(format!("unknown record type {key}")));
        };
        let names = ctx.pynames.get(key);
        if let Ok(d) = obj.cast::<PyDict>() {
            return self.record_dict(out, rec, names, d);
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
        let mut given: Vec<(usize, Bound<'py, PyAny>, Option<String>)> =
            Vec::with_capacity(rec.fields.len());
        for (i, f) in rec.fields.iter().enumerate() {
            let Some(name) = cache.names.get(i) else {
                return Err(ArgError::Type(format!(
                    "the class registered for {} has no attribute for field {}",
                    rec.name, f.name
                )));
            };
            let v = obj.getattr(name.bind(py))?;
            if v.is_none() && !accepts_nil(&f.ty) {
                if f.required {
                    return Err(ArgError::Type(format!(
                        "struct {}: field {} ({} {}) is None",
                        rec.name,
                        attr_name(rec, names, i),
                        f.name,
                        f.go
                    )));
                }
                continue;
            }
            given.push((i, v, None));
        }
        self.fields(out, rec, names, given, obj)
    }

    fn record_dict<'py>(
        &mut self,
        out: &mut Vec<u8>,
        rec: &RecordType,
        names: Option<&Vec<String>>,
        d: &Bound<'py, PyDict>,
    ) -> Result<(), ArgError> {
        let mut given: Vec<(usize, Bound<'py, PyAny>, Option<String>)> =
            Vec::with_capacity(d.len());
        for_each_item(
            d,
            || changed("dict"),
            |k, v| {
                let Ok(k) = k.extract::<String>() else {
                    return Err(not_str_key(&format!("struct {}:", rec.name), &k));
                };
                let Some(i) = field_index(rec, names, &k) else {
                    let known: Vec<&str> = rec.fields.iter().map(|f| f.key.as_str()).collect();
                    return Err(ArgError::Type(format!(
                        "struct {}: unknown field {k:?} (fields: {})",
                        rec.name,
                        known.join(", ")
                    )));
                };
                if given.iter().any(|(j, _, _)| *j == i) {
                    return Err(ArgError::Type(format!(
                        "struct {}: field {k:?} given twice",
                        rec.name
                    )));
                }
                given.push((i, v, Some(k)));
                Ok(())
            },
        )?;
        for (i, f) in rec.fields.iter().enumerate() {
            if f.required && !given.iter().any(|(j, _, _)| *j == i) {
                return Err(ArgError::Type(format!(
                    "struct {}: missing required field {} ({} {})",
                    rec.name, f.key, f.name, f.go
                )));
            }
        }
        given.sort_by_key(|(i, _, _)| *i);
        self.fields(out, rec, names, given, d.as_any())
    }

    /// Writes the given fields of a record, read from `obj`: each with its index, value and,
    /// from a dict, the key it was given under.
    fn fields<'py>(
        &mut self,
        out: &mut Vec<u8>,
        rec: &RecordType,
        names: Option<&Vec<String>>,
        given: Vec<(usize, Bound<'py, PyAny>, Option<String>)>,
        obj: &Bound<'py, PyAny>,
    ) -> Result<(), ArgError> {
        self.open(obj)?;
        write_map_len(out, given.len());
        for (i, v, key) in given {
            let f = &rec.fields[i];
            write_str(out, f.key.as_bytes());
            self.value(out, &f.ty, &v).map_err(|e| {
                let attr = attr_name(rec, names, i);
                let step = match key {
                    Some(k) => Step::Key(k),
                    None => Step::Attr(attr.to_owned()),
                };
                let what = || format!("struct {}: field {} ({} {})", rec.name, attr, f.name, f.go);
                e.located(what, step, obj)
            })?;
        }
        self.close();
        Ok(())
    }

    /// Writes a dynamic value for `any`: None, bool, int, float, str, bytes-like, list/tuple,
    /// dict with str keys.
    fn any<'py>(&mut self, out: &mut Vec<u8>, obj: &Bound<'py, PyAny>) -> Result<(), ArgError> {
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
            return self.sequence(out, &WireType::Any, obj, None);
        } else if obj.is_instance_of::<PyDict>() {
            return self.map(out, &WireType::Any, obj);
        } else {
            return Err(mismatch(
                "None, bool, int, float, str, bytes, list, tuple or dict",
                obj,
            ));
        }
        Ok(())
    }
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
            (Some(o), Some(c)) => match c.names.get(i) {
                Some(name) => o.setattr(name.bind(py), v)?,
                None => return Err(bad_reply(format!("no attribute for field {i}"))),
            },
            _ => dict.set_item(attr_name(rec, ctx.pynames.get(key), i), v)?,
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
