//! Python objects to wire bytes and back, in one pass each: the only place where Python types
//! meet ABI types.
//!
//! A [`Converter`] is built once per parameter, result and record field, from the wire type of
//! the schema, by [`Types::build`]: the one `match` over `WireType`. Each kind's encoding,
//! decoding and Python annotation live together in its own module (`int.rs`, `record.rs`, ...);
//! the call path runs prepared converters, with no dispatch on wire-type strings and no lookups
//! by name. Arguments are written straight into the request buffer; replies are read straight
//! from the reply bytes into Python objects.

mod any;
mod bool;
mod bytes;
mod callback;
mod context;
mod duration;
mod error;
mod float;
mod int;
mod list;
mod map;
pub mod numbuf;
mod object;
mod outparam;
mod pointer;
mod reader;
mod record;
mod stream;
mod string;
mod time;
mod value;

use std::collections::HashMap;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyTuple;
use usegolib_abi::{IntType, Reader, Token, WireType};
use usegolib_loader::GoModule;

use crate::args::{ArgError, MAX_DEPTH};
use crate::handle::PyGoObject;

pub use bytes::{variadic_byte, variadic_elem};
pub use callback::{Callback, CallbackSig, Implement};
pub use object::ObjectInfo;
pub use outparam::{apply as apply_outs, Out};
pub use record::{construct as construct_record, Construction, Decoded, Field, RecordInfo};
pub use string::decode_bytes;
pub use value::ValueInfo;

/// How one wire type is converted, built once; containers hold their element's converter,
/// records and Go objects their type's prepared info. (`repr(u8)`: a plain tag for the
/// per-value dispatch, rather than one folded into a field's spare bits.)
#[repr(u8)]
pub enum Converter {
    Bool,
    Int(IntType),
    F32,
    F64,
    Str,
    Bytes,
    BytesN(usize),
    /// `[]T`
    List(Box<Converter>),
    /// `[N]T`
    Array(usize, Box<Converter>),
    /// `map[string]T`
    Map(Box<Converter>),
    /// `*T`
    Ptr(Box<Converter>),
    /// `@K`
    Record(Arc<RecordInfo>),
    /// `&K`
    Object(Arc<ObjectInfo>),
    Any,
    Time,
    Duration,
    /// `reader` (Go `io.Reader`, parameters only).
    Reader,
    /// `context` (Go `context.Context`, a parameter itself only).
    Context,
    /// `writer` (Go `io.Writer`, parameters only).
    Writer,
    /// `error` (results only).
    Error,
    /// A parameter or result of a value type (docs/abi.md section 8.8): the underlying
    /// type's converter, its results made instances of the type's class.
    Value(Arc<ValueInfo>, Box<Converter>),
    /// A result that is a slice of fixed-width numbers (the converter, a list's or a value
    /// type's, and the kind byte of its elements), asked for packed (op 6) and made an
    /// `array.array` or `memoryview` (docs/abi.md section 8.10, `GoFunction.with_result`).
    Packed(numbuf::Form, u8, Box<Converter>),
}

/// The prepared info of a module's record and Go object types, by key: looked up only while
/// converters are built.
pub struct Types {
    records: HashMap<String, Arc<RecordInfo>>,
    objects: HashMap<String, Arc<ObjectInfo>>,
    values: HashMap<String, Arc<ValueInfo>>,
}

impl Types {
    /// The types of `module`, with every record's field converters.
    pub fn new(module: &GoModule) -> Types {
        let schema = module.schema();
        let package = |key: &str| schema.types.get(key).map(|t| t.package.clone());
        let records = module
            .records()
            .iter()
            .map(|(k, r)| {
                let info = RecordInfo::new(k, &r.name, package(k).unwrap_or_default());
                (k.clone(), Arc::new(info))
            })
            .collect();
        let of_kind = |kind: &'static str| schema.types.iter().filter(move |(_, t)| t.kind == kind);
        let objects = of_kind("handle")
            .map(|(k, t)| (k.clone(), Arc::new(ObjectInfo::new(k, &t.name, &t.package))))
            .collect();
        let values = of_kind("value")
            .map(|(k, t)| (k.clone(), Arc::new(ValueInfo::new(k, &t.name, &t.package))))
            .collect();
        let types = Types {
            records,
            objects,
            values,
        };
        for (key, rec) in module.records() {
            let Some(info) = types.records.get(key) else {
                continue;
            };
            let docs = schema.types.get(key).map(|t| &t.fields);
            let fields = rec
                .fields
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let info = docs.and_then(|d| d.get(i));
                    let doc = info.map(|d| d.doc.clone()).unwrap_or_default();
                    let mut field = Field::new(f, doc, types.build(&f.ty));
                    field.omitempty = info.is_some_and(|d| d.omitempty);
                    field
                })
                .collect();
            info.set_fields(fields);
        }
        for (key, t) in &schema.types {
            if let (Some(cb), Some(info)) = (&t.callback, types.objects.get(key)) {
                info.set_callback(Callback::new(&types, cb, &t.go));
            }
            if let (Some(im), Some(info)) = (&t.implement, types.objects.get(key)) {
                info.set_implement(Implement::new(&types, im, &t.go));
            }
        }
        types
    }

    /// The record type with this key.
    pub fn record(&self, key: &str) -> Option<&Arc<RecordInfo>> {
        self.records.get(key)
    }

    /// The record type whose registered class is `v`, or the class of `v` (for a Ref).
    fn record_of(&self, v: &Bound<'_, PyAny>) -> Option<&Arc<RecordInfo>> {
        self.records.values().find(|r| r.is_class_or_instance(v))
    }

    /// The Go object type with this key.
    pub fn object(&self, key: &str) -> Option<&Arc<ObjectInfo>> {
        self.objects.get(key)
    }

    /// The value type with this key.
    pub fn value(&self, key: &str) -> Option<&Arc<ValueInfo>> {
        self.values.get(key)
    }

    /// The converter of a parameter or result: its wire type's, wrapped in its value type's
    /// class when `class` names one (docs/abi.md section 8.8).
    pub fn build_param(&self, ty: &WireType, class: Option<&str>) -> Converter {
        let conv = self.build(ty);
        match class.and_then(|k| self.values.get(k)) {
            Some(v) => Converter::Value(v.clone(), Box::new(conv)),
            None => conv,
        }
    }

    /// The converter of a wire type: the one place that looks at a `WireType`.
    pub fn build(&self, ty: &WireType) -> Converter {
        let sub = |t: &WireType| Box::new(self.build(t));
        match ty {
            WireType::Bool => Converter::Bool,
            WireType::Int(t) => Converter::Int(*t),
            WireType::F32 => Converter::F32,
            WireType::F64 => Converter::F64,
            WireType::Str => Converter::Str,
            WireType::Bytes => Converter::Bytes,
            WireType::BytesN(n) => Converter::BytesN(*n),
            WireType::List(t) => Converter::List(sub(t)),
            WireType::Array(n, t) => Converter::Array(*n, sub(t)),
            WireType::Map(t) => Converter::Map(sub(t)),
            WireType::Ptr(t) => Converter::Ptr(sub(t)),
            WireType::Record(k) => Converter::Record(match self.records.get(k) {
                Some(r) => r.clone(),
                // A key the schema does not describe: every use of it is an error.
                None => Arc::new(RecordInfo::new(k, k, String::new())),
            }),
            WireType::Handle(k) => Converter::Object(match self.objects.get(k) {
                Some(o) => o.clone(),
                None => Arc::new(ObjectInfo::new(k, k, "")),
            }),
            WireType::Any => Converter::Any,
            WireType::Time => Converter::Time,
            WireType::Duration => Converter::Duration,
            WireType::Reader => Converter::Reader,
            WireType::Context => Converter::Context,
            WireType::Writer => Converter::Writer,
            WireType::Error => Converter::Error,
        }
    }
}

impl Converter {
    /// The converter under a value type's (`Converter::Value`), else this one.
    pub fn plain(&self) -> &Converter {
        match self {
            Converter::Value(_, inner) => inner.plain(),
            c => c,
        }
    }

    /// The default of an optional record field: Go's zero value for a number, bool or string,
    /// else None.
    pub fn zero(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(match self {
            Converter::Bool => bool::zero(py),
            Converter::Int(_) => int::zero(py)?,
            Converter::F32 | Converter::F64 => float::zero(py),
            Converter::Str => string::zero(py),
            Converter::Bytes
            | Converter::BytesN(_)
            | Converter::List(_)
            | Converter::Array(..)
            | Converter::Map(_)
            | Converter::Ptr(_)
            | Converter::Record(_)
            | Converter::Object(_)
            | Converter::Any
            | Converter::Time
            | Converter::Duration
            | Converter::Reader
            | Converter::Context
            | Converter::Writer
            | Converter::Error => py.None(),
            Converter::Value(_, inner) | Converter::Packed(_, _, inner) => inner.zero(py)?,
        })
    }

    /// What makes this type's Go zero value when it is a new mutable Python value: `list`
    /// for a slice, `dict` for a map, the record's class (once registered) for a struct; None
    /// when [`Converter::zero`] is it (docs/abi.md section 8.2).
    pub fn zero_factory(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        match self {
            Converter::List(_) => Some(py.get_type::<pyo3::types::PyList>().into_any().unbind()),
            Converter::Map(_) => Some(py.get_type::<pyo3::types::PyDict>().into_any().unbind()),
            Converter::Record(info) => info.class(py),
            _ => None,
        }
    }

    /// Reads one value of this type from the reply into a Python object.
    pub fn decode(
        &self,
        py: Python<'_>,
        r: &mut Reader<'_>,
        module: &Arc<GoModule>,
    ) -> PyResult<Py<PyAny>> {
        match self {
            Converter::Bool
            | Converter::Int(_)
            | Converter::F32
            | Converter::F64
            | Converter::Str
            | Converter::Bytes
            | Converter::BytesN(_)
            | Converter::Any => any::decode(py, r, module),
            Converter::List(e) | Converter::Array(_, e) => list::decode(py, r, e, module),
            Converter::Map(e) => map::decode(py, r, e, module),
            Converter::Ptr(e) => pointer::decode(py, r, e, module),
            Converter::Record(rec) => record::decode(py, r, rec, module),
            Converter::Object(o) => object::decode(py, r, o, module),
            Converter::Time => time::decode(py, r),
            Converter::Duration => duration::decode(py, r),
            // Never a result (scan.ownWireTypeIn): read as the bytes or handle it would be.
            Converter::Reader | Converter::Context | Converter::Writer => {
                any::decode(py, r, module)
            }
            Converter::Error => error::decode(py, r, module),
            Converter::Value(v, inner) => value::decode(py, r, v, inner, module),
            Converter::Packed(form, kind, inner) => {
                let mut peek = r.clone();
                if let Ok(Token::Ext(usegolib_abi::EXT_PACKED, p)) = peek.next_token() {
                    *r = peek;
                    return numbuf::decode(py, p, *kind, Some(*form));
                }
                let list = match &**inner {
                    Converter::Value(_, plain) => plain.decode(py, r, module)?,
                    plain => plain.decode(py, r, module)?,
                };
                numbuf::from_list(py, list, *kind, *form)
            }
        }
    }

    /// A closed Go object in `obj`, an argument of this type: looked for only after Go refused
    /// the argument (`bad_argument`), so that a close during the call (by another thread, or by
    /// Python code the conversion ran) is an ObjectClosedError. Reads the value again as the
    /// encoder did, within the depth limit.
    pub fn closed_object<'py>(
        &self,
        obj: &Bound<'py, PyAny>,
        depth: usize,
    ) -> Option<Bound<'py, PyGoObject>> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self {
            Converter::Object(_) | Converter::Reader | Converter::Context | Converter::Writer => {
                object::closed(obj)
            }
            Converter::Ptr(e) => e.closed_object(obj, depth),
            Converter::List(e) | Converter::Array(_, e) => list::closed(e, obj, depth),
            Converter::Map(e) => map::closed(e, obj, depth),
            Converter::Record(rec) => record::closed(rec, obj, depth),
            Converter::Value(_, inner) | Converter::Packed(_, _, inner) => {
                inner.closed_object(obj, depth)
            }
            Converter::Bool
            | Converter::Int(_)
            | Converter::F32
            | Converter::F64
            | Converter::Str
            | Converter::Bytes
            | Converter::BytesN(_)
            | Converter::Any
            | Converter::Time
            | Converter::Duration
            | Converter::Error => None,
        }
    }

    /// The Python type of a value of this type (for `__signature__` and record annotations):
    /// `int`, `list[str]`, `Point | None`, `GoError | None`...
    pub fn annotation<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self {
            Converter::Bool => Ok(bool::annotation(py)),
            Converter::Int(_) => Ok(int::annotation(py)),
            Converter::F32 | Converter::F64 => Ok(float::annotation(py)),
            Converter::Str => Ok(string::annotation(py)),
            Converter::Bytes | Converter::BytesN(_) => Ok(bytes::annotation(py)),
            Converter::List(e) | Converter::Array(_, e) => list::annotation(py, e),
            Converter::Map(e) => map::annotation(py, e),
            Converter::Ptr(e) => pointer::annotation(py, e),
            Converter::Record(rec) => record::annotation(py, rec),
            Converter::Object(o) => object::annotation(py, o),
            Converter::Any => any::annotation(py),
            Converter::Time => time::annotation(py),
            Converter::Duration => duration::annotation(py),
            Converter::Reader => reader::annotation(py),
            Converter::Context => context::annotation(py),
            Converter::Writer => any::annotation(py),
            Converter::Error => error::annotation(py),
            Converter::Value(v, inner) => value::annotation(py, v, inner),
            Converter::Packed(form, ..) => numbuf::annotation(py, *form),
        }
    }

    /// The annotation as .pyi text, in a stub of package `pkg` (types of other packages are
    /// `Any`). `arg`: the form an argument accepts (`Sequence[int]`, `Point | Mapping[str,
    /// Any]`), else the form a result has (`list[int]`, `Point`).
    pub fn stub(&self, pkg: &str, arg: bool) -> String {
        match self {
            Converter::Bool => bool::STUB.into(),
            Converter::Int(_) => int::STUB.into(),
            Converter::F32 | Converter::F64 => float::STUB.into(),
            Converter::Str => string::STUB.into(),
            Converter::Bytes => bytes::stub(arg).into(),
            Converter::BytesN(_) => bytes::stub(false).into(),
            Converter::List(e) => list::stub(e, pkg, arg, false),
            Converter::Array(_, e) => list::stub(e, pkg, arg, true),
            Converter::Map(e) => map::stub(e, pkg, arg),
            Converter::Ptr(e) => pointer::stub(e, pkg, arg),
            Converter::Record(rec) => record::stub(rec, pkg, arg),
            Converter::Object(o) => object::stub(o, pkg, arg),
            Converter::Any => any::STUB.into(),
            Converter::Time => time::STUB.into(),
            Converter::Duration => duration::STUB.into(),
            Converter::Reader => reader::STUB.into(),
            Converter::Context => context::STUB.into(),
            Converter::Writer => stream::WRITER_STUB.into(),
            Converter::Error => error::STUB.into(),
            Converter::Value(v, inner) => value::stub(v, inner, pkg, arg),
            Converter::Packed(form, kind, _) => numbuf::stub(*form, *kind).into(),
        }
    }
}

/// Converts the arguments of one request straight to the wire, checking each exactly: types,
/// ranges, the nesting depth (docs/abi.md section 6) and cycles.
pub struct Encoder<'a> {
    module: &'a Arc<GoModule>,
    /// The module's types, for out slots; None when writing a callback's results (out slots
    /// are arguments of calls only).
    types: Option<&'a Types>,
    /// Containers open around the value being written, the request's own included.
    depth: usize,
    /// The out slots written so far (docs/abi.md section 8.6), in argument order.
    pub outs: Vec<Out>,
    /// The timeout of the contexts the bridge makes for this call, in nanoseconds (0: none).
    pub timeout_ns: u64,
    /// The tokens of the contexts the bridge makes for this call (`context::encode`).
    pub contexts: Vec<u64>,
    /// The argument being written is read in place by Go (docs/abi.md section 8.12): its
    /// packed array is padded so that its elements are aligned in the request.
    pub align: bool,
}

impl<'a> Encoder<'a> {
    pub fn new(module: &'a Arc<GoModule>, types: &'a Types) -> Self {
        Encoder::with_types(module, Some(types))
    }

    /// An encoder of a Python callable's results for Go (docs/abi.md section 10): a
    /// `usegolib.Ref` there is an ordinary value, never an out slot.
    pub fn for_results(module: &'a Arc<GoModule>) -> Self {
        Encoder::with_types(module, None)
    }

    fn with_types(module: &'a Arc<GoModule>, types: Option<&'a Types>) -> Self {
        Encoder {
            module,
            types,
            depth: crate::args::ARGS_DEPTH,
            outs: Vec::new(),
            timeout_ns: 0,
            contexts: Vec::new(),
            align: false,
        }
    }

    /// Writes the header of a packed array of `len` bytes of `kind`: aligned (padded) when
    /// the argument is read in place.
    pub fn packed_header(&self, out: &mut Vec<u8>, kind: u8, len: usize) {
        if self.align {
            usegolib_abi::write_packed_header_aligned(out, kind, len);
        } else {
            usegolib_abi::write_packed_header(out, kind, len);
        }
    }

    /// Writes `obj` with `conv`, inside `depth` containers (the request and its argument list:
    /// [`crate::args::ARGS_DEPTH`]).
    pub fn arg(
        &mut self,
        out: &mut Vec<u8>,
        depth: usize,
        conv: &Converter,
        obj: &Bound<'_, PyAny>,
    ) -> Result<(), ArgError> {
        self.depth = depth;
        if depth == crate::args::ARGS_DEPTH && self.types.is_some() && outparam::takes_outs(conv) {
            // A whole argument of an `any`, `*T`, `[]byte` or numbers slice parameter may be an
            // out slot.
            // A value type of a numbers slice (`type Temps []float64` with methods) is its
            // slice here.
            let plain = match conv {
                Converter::Value(_, inner) if matches!(**inner, Converter::List(_)) => inner,
                c => c,
            };
            match plain {
                Converter::Any if outparam::is_ref(obj) => {
                    return outparam::encode_ref(self, out, obj);
                }
                Converter::Ptr(e) if outparam::is_ref(obj) => {
                    return outparam::encode_pointer_ref(self, out, e, obj);
                }
                Converter::Bytes if !obj.is_instance_of::<pyo3::types::PyBytes>() => {
                    if let Some(mv) = outparam::mutable_buffer(obj)? {
                        return outparam::encode_buffer(self, out, mv);
                    }
                }
                Converter::List(e) if !obj.is_instance_of::<pyo3::types::PyList>() => {
                    if let Some((buf, kind)) = outparam::numeric_buffer(obj, e)? {
                        return outparam::encode_numbers(self, out, obj, buf, kind);
                    }
                }
                _ => {}
            }
        }
        self.value(out, conv, obj)
    }

    /// Enters the container `obj`: an error when it would be deeper than the limit.
    #[inline]
    fn open(&mut self, obj: &Bound<'_, PyAny>) -> Result<(), ArgError> {
        if self.depth >= MAX_DEPTH {
            return Err(crate::args::Nesting::at(obj));
        }
        self.depth += 1;
        Ok(())
    }

    #[inline]
    fn close(&mut self) {
        self.depth -= 1;
    }

    fn value(
        &mut self,
        out: &mut Vec<u8>,
        conv: &Converter,
        obj: &Bound<'_, PyAny>,
    ) -> Result<(), ArgError> {
        match conv {
            Converter::Bool => bool::encode(out, obj),
            Converter::Int(t) => int::encode(out, obj, *t),
            Converter::F32 => float::encode_f32(out, obj),
            Converter::F64 => float::encode_f64(out, obj),
            Converter::Str => string::encode(out, obj),
            Converter::Bytes => bytes::encode(out, obj),
            Converter::BytesN(n) => bytes::encode_n(out, obj, *n),
            Converter::List(e) => list::encode(self, out, e, obj, None),
            Converter::Array(n, e) => list::encode(self, out, e, obj, Some(*n)),
            Converter::Map(e) => map::encode(self, out, e, obj),
            Converter::Ptr(e) => pointer::encode(self, out, e, obj),
            Converter::Record(rec) => record::encode(self, out, rec, obj),
            Converter::Object(o) => object::encode(self.module, out, o, obj),
            Converter::Any => any::encode(self, out, obj),
            Converter::Time => time::encode(self, out, obj),
            Converter::Duration => duration::encode(out, obj),
            Converter::Reader => reader::encode(self.module, out, obj),
            Converter::Context => context::encode(self, out, obj),
            Converter::Writer => stream::encode_writer(self.module, out, obj),
            Converter::Error => Err(ArgError::Type(
                "wire type error cannot be an argument".into(),
            )),
            Converter::Value(_, inner) | Converter::Packed(_, _, inner) => {
                self.value(out, inner, obj)
            }
        }
    }
}

/// A function or class of `usegolib._types` (the Python side of the time kinds), looked up once.
fn types_attr<'py>(
    py: Python<'py>,
    cell: &'static pyo3::sync::PyOnceLock<Py<PyAny>>,
    name: &str,
) -> PyResult<&'py Bound<'py, PyAny>> {
    cell.get_or_try_init(py, || {
        py.import("usegolib._types")?
            .getattr(name)
            .map(Bound::unbind)
    })
    .map(|h| h.bind(py))
}

pub(crate) fn malformed(e: usegolib_abi::DecodeError) -> PyErr {
    crate::errors::UsegolibError::new_err(format!("bad reply from the Go bridge: {e}"))
}

pub(crate) fn bad_reply(what: String) -> PyErr {
    crate::errors::UsegolibError::new_err(format!("bad reply from the Go bridge: {what}"))
}

/// Reads the result of a successful call: the value, or a tuple for several results.
pub fn decode_result(
    py: Python<'_>,
    r: &mut Reader<'_>,
    results: &[impl AsRef<Converter>],
    module: &Arc<GoModule>,
) -> PyResult<Py<PyAny>> {
    match results {
        [] => any::decode(py, r, module),
        [one] => one.as_ref().decode(py, r, module),
        many => match r.next_token().map_err(malformed)? {
            Token::Array(n) if n as usize == many.len() => {
                let mut items = Vec::with_capacity(many.len());
                for conv in many {
                    items.push(conv.as_ref().decode(py, r, module)?);
                }
                Ok(PyTuple::new(py, items)?.into_any().unbind())
            }
            _ => Err(bad_reply(format!("expected {} results", many.len()))),
        },
    }
}
