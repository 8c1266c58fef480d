//! Wire types as the schema spells them (docs/abi.md section 5), and typed encoding with exact
//! range checks.

use std::fmt;

use crate::write::{
    write_array_len, write_bin, write_bool, write_f32, write_f64, write_int, write_nil, write_str,
    write_uint,
};
use crate::write::{write_value_within, Refused};
use crate::{Value, ARG_MAX_DEPTH};

/// An integer wire type: its width and signedness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IntType {
    /// 8, 16, 32 or 64.
    pub bits: u8,
    /// True for `intN`, false for `uintN`.
    pub signed: bool,
}

impl IntType {
    /// The smallest value of the type.
    pub fn min(self) -> i128 {
        if self.signed {
            -(1i128 << (self.bits - 1))
        } else {
            0
        }
    }

    /// The largest value of the type.
    pub fn max(self) -> i128 {
        if self.signed {
            (1i128 << (self.bits - 1)) - 1
        } else {
            (1i128 << self.bits) - 1
        }
    }

    /// Checks that `v` is in range; the error says which range.
    ///
    /// # Errors
    ///
    /// A [`TypeError`] naming the value and the range.
    pub fn check(self, v: i128) -> Result<(), TypeError> {
        if v < self.min() || v > self.max() {
            return Err(TypeError::new(format!(
                "value {v} is out of range for {self} [{}, {}]",
                self.min(),
                self.max()
            )));
        }
        Ok(())
    }
}

impl fmt::Display for IntType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}int{}", if self.signed { "" } else { "u" }, self.bits)
    }
}

/// The wire type of a parameter or result.
///
/// Exhaustive on purpose: every `match` over it in this workspace lists the variants, so a new
/// kind is a compile error wherever it must be handled. What a kind *is* (may it be nil, is it a
/// scalar, what does it contain) is answered by the methods below, not by `matches!` at the
/// places that need to know.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum WireType {
    /// `bool`
    Bool,
    /// `int8` .. `int64`, `uint8` .. `uint64`
    Int(IntType),
    /// `float32`
    F32,
    /// `float64`
    F64,
    /// `string`
    Str,
    /// `bytes` (Go `[]byte`)
    Bytes,
    /// `[]T`
    List(Box<WireType>),
    /// `[N]T`: a list of exactly N elements.
    Array(usize, Box<WireType>),
    /// `bytes[N]` (Go `[N]byte`): exactly N bytes.
    BytesN(usize),
    /// `map[string]T`
    Map(Box<WireType>),
    /// `*T`: nil or T.
    Ptr(Box<WireType>),
    /// `@K`: a record struct, described by the schema's `types[K]`.
    Record(String),
    /// `&K`: a handle to a Go value of type K.
    Handle(String),
    /// `any`: a dynamic value.
    Any,
    /// `time`: `[unix_seconds, nanoseconds, utc_offset_seconds]`.
    Time,
    /// `duration`: nanoseconds.
    Duration,
    /// `reader` (Go `io.Reader`, parameters only): the bytes to read, a handle to a Go value
    /// that implements `io.Reader`, or nil.
    Reader,
    /// `context` (Go `context.Context`, a parameter itself only): nil (Go gets
    /// `context.Background()`), a handle to a Go value that implements `context.Context`, or a
    /// context the bridge makes for the call (ext type 4, [`crate::write_context`]).
    Context,
    /// `writer` (Go `io.Writer`, parameters only): a host object whose `write` Go calls
    /// (ext type 2, docs/abi.md section 10), a handle to a Go value that implements `io.Writer`,
    /// or nil.
    Writer,
    /// `error` (results only): nil or `[message, go_type]`.
    Error,
}

impl WireType {
    /// The most type constructors (`[]`, `[N]`, `map[string]`, `*`) [`WireType::parse`] accepts
    /// around one another: the parser, and every recursive function over a parsed type, is
    /// bounded by it.
    pub const MAX_NESTING: usize = 64;

    /// What each kind is, one row per variant: the one place a new variant states its facts.
    fn facts(&self) -> Facts<'_> {
        use Shape::{Leaf, Names, Wraps};
        let (nilable, scalar, shape) = match self {
            WireType::Bool | WireType::Int(_) | WireType::F32 | WireType::F64 | WireType::Str => {
                (false, true, Leaf)
            }
            WireType::Bytes => (true, true, Leaf),
            WireType::BytesN(_) => (false, true, Leaf),
            WireType::List(t) | WireType::Map(t) | WireType::Ptr(t) => (true, false, Wraps(t)),
            WireType::Array(_, t) => (false, false, Wraps(t)),
            WireType::Record(k) => (false, false, Names(k, false)),
            WireType::Handle(k) => (true, false, Names(k, true)),
            WireType::Time | WireType::Duration => (false, false, Leaf),
            WireType::Any
            | WireType::Reader
            | WireType::Context
            | WireType::Writer
            | WireType::Error => (true, false, Leaf),
        };
        Facts {
            nilable,
            scalar,
            shape,
        }
    }

    /// Whether nil is a value of this type on the wire (docs/abi.md sections 2 and 8.1): `*T`,
    /// `[]T`, `map[string]T`, `bytes`, `any`, `reader` (a nil `io.Reader`), a handle `&K` (a nil
    /// pointer or interface) and `error` (results only: nil is "no error"). An encoder accepts
    /// nil for exactly these; a fixed-size `[N]T` or `bytes[N]`, a record, `time` and `duration`
    /// are never nil.
    pub fn nilable(&self) -> bool {
        self.facts().nilable
    }

    /// Whether a value of this type is one MessagePack scalar that means itself: decoding it
    /// without the schema gives the value (`bool`, the integers, the floats, `string`, `bytes`,
    /// `bytes[N]`). `duration` is an integer on the wire but not a scalar here (it has its own
    /// type on each side), and neither is a handle (an ext value naming a Go object).
    pub fn is_scalar(&self) -> bool {
        self.facts().scalar
    }

    /// The type one constructor inside: `T` of `[]T`, `[N]T`, `map[string]T` and `*T`; `None`
    /// for every other type. Following it from any parsed type ends within
    /// [`WireType::MAX_NESTING`] steps.
    pub fn inner(&self) -> Option<&WireType> {
        match self.facts().shape {
            Shape::Wraps(t) => Some(t),
            Shape::Names(..) | Shape::Leaf => None,
        }
    }

    /// The schema type this type names at its core (under every `[]`, `[N]`, `map[string]` and
    /// `*`): the key `K` of a record `@K` or a handle `&K`, with `true` for a handle.
    pub fn named_type(&self) -> Option<(&str, bool)> {
        let mut t = self;
        loop {
            match t.facts().shape {
                Shape::Wraps(inner) => t = inner,
                Shape::Names(key, handle) => return Some((key, handle)),
                Shape::Leaf => return None,
            }
        }
    }

    /// Parses the schema's spelling (`int8`, `bytes`, `[][]int64`, ...).
    ///
    /// # Errors
    ///
    /// A [`TypeError`] for an unknown spelling, or one that nests more than
    /// [`WireType::MAX_NESTING`] type constructors.
    pub fn parse(s: &str) -> Result<WireType, TypeError> {
        WireType::parse_nested(s, WireType::MAX_NESTING).map_err(|e| match e {
            ParseError::Unknown(e) => e,
            ParseError::TooDeep => TypeError::new(format!(
                "wire type {:?} nests more than {} type constructors",
                Shortened(s),
                WireType::MAX_NESTING
            )),
        })
    }

    fn parse_nested(s: &str, budget: usize) -> Result<WireType, ParseError> {
        let int = |bits, signed| Ok(WireType::Int(IntType { bits, signed }));
        match s {
            "bool" => Ok(WireType::Bool),
            "int8" => int(8, true),
            "int16" => int(16, true),
            "int32" => int(32, true),
            "int64" => int(64, true),
            "uint8" => int(8, false),
            "uint16" => int(16, false),
            "uint32" => int(32, false),
            "uint64" => int(64, false),
            "float32" => Ok(WireType::F32),
            "float64" => Ok(WireType::F64),
            "string" => Ok(WireType::Str),
            "bytes" => Ok(WireType::Bytes),
            "any" => Ok(WireType::Any),
            "time" => Ok(WireType::Time),
            "duration" => Ok(WireType::Duration),
            "reader" => Ok(WireType::Reader),
            "context" => Ok(WireType::Context),
            "writer" => Ok(WireType::Writer),
            "error" => Ok(WireType::Error),
            _ => {
                let unknown =
                    || ParseError::Unknown(TypeError::new(format!("unknown wire type {s:?}")));
                let sub = |t: &str| match budget.checked_sub(1) {
                    Some(inner) => WireType::parse_nested(t, inner).map(Box::new),
                    None => Err(ParseError::TooDeep),
                };
                if let Some(elem) = s.strip_prefix("[]") {
                    Ok(WireType::List(sub(elem)?))
                } else if let Some(v) = s.strip_prefix("map[string]") {
                    Ok(WireType::Map(sub(v)?))
                } else if let Some(t) = s.strip_prefix('*') {
                    Ok(WireType::Ptr(sub(t)?))
                } else if let Some(k) = s.strip_prefix('@').filter(|k| !k.is_empty()) {
                    Ok(WireType::Record(k.to_owned()))
                } else if let Some(k) = s.strip_prefix('&').filter(|k| !k.is_empty()) {
                    Ok(WireType::Handle(k.to_owned()))
                } else if let Some(n) = s.strip_prefix("bytes[").and_then(|r| r.strip_suffix(']')) {
                    Ok(WireType::BytesN(n.parse().map_err(|_| unknown())?))
                } else if let Some((n, elem)) = s.strip_prefix('[').and_then(|r| r.split_once(']'))
                {
                    Ok(WireType::Array(
                        n.parse().map_err(|_| unknown())?,
                        sub(elem)?,
                    ))
                } else {
                    Err(unknown())
                }
            }
        }
    }
}

/// The facts of one kind (see [`WireType::facts`]).
struct Facts<'a> {
    nilable: bool,
    scalar: bool,
    shape: Shape<'a>,
}

/// How a type is built from others.
enum Shape<'a> {
    /// A constructor around one type: `[]T`, `[N]T`, `map[string]T`, `*T`.
    Wraps(&'a WireType),
    /// A type of the schema: a record `@K` (false) or a handle `&K` (true).
    Names(&'a str, bool),
    /// Anything else.
    Leaf,
}

/// Why [`WireType::parse_nested`] failed.
enum ParseError {
    Unknown(TypeError),
    TooDeep,
}

/// Debug-prints at most the first 80 characters of a string.
struct Shortened<'a>(&'a str);

impl fmt::Debug for Shortened<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.char_indices().nth(80) {
            Some((end, _)) => write!(f, "{:?}...", &self.0[..end]),
            None => write!(f, "{:?}", self.0),
        }
    }
}

impl fmt::Display for WireType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireType::Bool => f.write_str("bool"),
            WireType::Int(t) => write!(f, "{t}"),
            WireType::F32 => f.write_str("float32"),
            WireType::F64 => f.write_str("float64"),
            WireType::Str => f.write_str("string"),
            WireType::Bytes => f.write_str("bytes"),
            WireType::List(e) => write!(f, "[]{e}"),
            WireType::Array(n, e) => write!(f, "[{n}]{e}"),
            WireType::BytesN(n) => write!(f, "bytes[{n}]"),
            WireType::Map(v) => write!(f, "map[string]{v}"),
            WireType::Ptr(t) => write!(f, "*{t}"),
            WireType::Record(k) => write!(f, "@{k}"),
            WireType::Handle(k) => write!(f, "&{k}"),
            WireType::Any => f.write_str("any"),
            WireType::Time => f.write_str("time"),
            WireType::Duration => f.write_str("duration"),
            WireType::Reader => f.write_str("reader"),
            WireType::Context => f.write_str("context"),
            WireType::Writer => f.write_str("writer"),
            WireType::Error => f.write_str("error"),
        }
    }
}

/// A value that does not fit a wire type. `path` locates it inside lists (`element 3: ...`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{reason}", path_prefix(.path))]
pub struct TypeError {
    /// List indexes from the outside in.
    pub path: Vec<usize>,
    /// What was wrong.
    pub reason: String,
}

fn path_prefix(path: &[usize]) -> String {
    path.iter().map(|i| format!("element {i}: ")).collect()
}

impl TypeError {
    /// An error at the top of the value.
    pub fn new(reason: impl Into<String>) -> Self {
        TypeError {
            path: Vec::new(),
            reason: reason.into(),
        }
    }

    /// The same error, one list level further out.
    pub fn at(mut self, index: usize) -> Self {
        self.path.insert(0, index);
        self
    }
}

/// A field of a record struct (docs/abi.md section 8.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordField {
    /// The Go field name.
    pub name: String,
    /// The key on the wire.
    pub key: String,
    /// The Go type as written.
    pub go: String,
    /// The wire type.
    pub ty: WireType,
    /// Whether input must give it.
    pub required: bool,
}

/// A record struct type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordType {
    /// The Go type name (without the package).
    pub name: String,
    /// The fields, in output order.
    pub fields: Vec<RecordField>,
}

/// Where [`encode_typed_in`] finds record types (the schema's `types`).
pub trait TypeLookup {
    /// The record type with this key, if it is one.
    fn record(&self, key: &str) -> Option<&RecordType>;
}

impl TypeLookup for std::collections::HashMap<String, RecordType> {
    fn record(&self, key: &str) -> Option<&RecordType> {
        self.get(key)
    }
}

struct NoTypes;

impl TypeLookup for NoTypes {
    fn record(&self, _: &str) -> Option<&RecordType> {
        None
    }
}

fn mismatch(ty: &WireType, v: &Value) -> TypeError {
    TypeError::new(format!("expected {ty}, got {}", v.kind_name()))
}

/// Writes `v` as wire type `ty`, checking it exactly: integers in range (never wrapped), an
/// integer accepted for a float, `nil` accepted for a list or bytes, a float32 overflow refused.
/// `v` is an argument, so it may nest containers at most [`ARG_MAX_DEPTH`] (62) deep.
///
/// On error, `out` may hold a partial encoding; callers discard it.
///
/// # Errors
///
/// A [`TypeError`] saying what did not fit and where.
pub fn encode_typed(out: &mut Vec<u8>, ty: &WireType, v: &Value) -> Result<(), TypeError> {
    encode_typed_in(out, ty, v, &NoTypes)
}

/// [`encode_typed`] for wire types that name records: `types` describes them.
///
/// The encoder stops at [`ARG_MAX_DEPTH`] levels of nesting instead of recursing further, so a
/// value nested a million levels deep is refused with a [`TypeError`], not a stack overflow.
///
/// # Errors
///
/// A [`TypeError`] saying what did not fit and where (for records: the struct, the field and
/// its Go type).
pub fn encode_typed_in(
    out: &mut Vec<u8>,
    ty: &WireType,
    v: &Value,
    types: &dyn TypeLookup,
) -> Result<(), TypeError> {
    encode_within(out, ty, v, types, ARG_MAX_DEPTH)
}

fn too_deep() -> TypeError {
    TypeError::new(format!(
        "the value nests lists or maps more than {ARG_MAX_DEPTH} deep, the most an argument may \
         (the ABI's depth limit is {} for a whole request): flatten it",
        crate::Limits::ABI.max_depth
    ))
}

/// [`encode_typed_in`] with `budget` levels of containers left for `v`.
fn encode_within(
    out: &mut Vec<u8>,
    ty: &WireType,
    v: &Value,
    types: &dyn TypeLookup,
    budget: usize,
) -> Result<(), TypeError> {
    // `*T` adds no level on the wire: peel every pointer here, without recursing.
    let mut ty = ty;
    while let WireType::Ptr(inner) = ty {
        if matches!(v, Value::Nil) {
            write_nil(out);
            return Ok(());
        }
        ty = inner;
    }
    if matches!(v, Value::Nil) && ty.nilable() {
        write_nil(out);
        return Ok(());
    }
    let inner = || budget.checked_sub(1).ok_or_else(too_deep);
    let wrong = || Err(mismatch(ty, v));
    match ty {
        WireType::Bool => match v {
            Value::Bool(b) => write_bool(out, *b),
            _ => return wrong(),
        },
        WireType::Int(t) => match v {
            Value::Int(_) | Value::Uint(_) => {
                let i = v.as_i128().unwrap_or_default();
                t.check(i)?;
                if i < 0 {
                    write_int(out, i as i64);
                } else {
                    write_uint(out, i as u64);
                }
            }
            _ => return wrong(),
        },
        WireType::F64 => match v {
            Value::F64(f) => write_f64(out, *f),
            Value::F32(f) => write_f64(out, *f as f64),
            Value::Int(_) | Value::Uint(_) => {
                write_f64(out, v.as_i128().unwrap_or_default() as f64)
            }
            _ => return wrong(),
        },
        WireType::F32 => match v {
            Value::F32(f) => write_f32(out, *f),
            Value::F64(f) => write_f32(out, f64_to_f32(*f)?),
            Value::Int(_) | Value::Uint(_) => {
                write_f32(out, v.as_i128().unwrap_or_default() as f32)
            }
            _ => return wrong(),
        },
        WireType::Str => match v {
            Value::Str(s) => write_str(out, s.as_bytes()),
            Value::RawStr(b) => write_str(out, b),
            _ => return wrong(),
        },
        WireType::Bytes => match v {
            Value::Bytes(b) => write_bin(out, b),
            _ => return wrong(),
        },
        WireType::List(elem) => match v {
            Value::List(items) => {
                let inner = inner()?;
                write_array_len(out, items.len());
                for (i, item) in items.iter().enumerate() {
                    encode_within(out, elem, item, types, inner).map_err(|e| e.at(i))?;
                }
            }
            _ => return wrong(),
        },
        WireType::Array(n, elem) => match v {
            Value::List(items) => {
                let inner = inner()?;
                if items.len() != *n {
                    return Err(TypeError::new(format!(
                        "expected {n} elements, got {}",
                        items.len()
                    )));
                }
                write_array_len(out, items.len());
                for (i, item) in items.iter().enumerate() {
                    encode_within(out, elem, item, types, inner).map_err(|e| e.at(i))?;
                }
            }
            _ => return wrong(),
        },
        WireType::BytesN(n) => match v {
            Value::Bytes(b) => {
                if b.len() != *n {
                    return Err(TypeError::new(format!(
                        "expected {n} bytes, got {}",
                        b.len()
                    )));
                }
                write_bin(out, b);
            }
            _ => return wrong(),
        },
        WireType::Map(elem) => match v {
            Value::Map(entries) => {
                let inner = inner()?;
                crate::write::write_map_len(out, entries.len());
                for (k, item) in entries {
                    write_str(out, k.as_bytes());
                    encode_within(out, elem, item, types, inner)
                        .map_err(|e| TypeError::new(format!("key {k:?}: {e}")))?;
                }
            }
            _ => return wrong(),
        },
        WireType::Record(key) => match v {
            Value::Map(entries) => encode_record(out, key, entries, types, inner()?)?,
            _ => return wrong(),
        },
        WireType::Handle(_) => match v {
            Value::Handle(id) => crate::write::write_handle(out, *id),
            _ => return wrong(),
        },
        // A handle inside `any` gives Go the value it holds (docs/abi.md section 8.9).
        WireType::Any => match write_value_within(out, v, budget) {
            Ok(()) => {}
            Err(Refused::TooDeep) => return Err(too_deep()),
        },
        WireType::Time => match v {
            Value::List(items) => {
                inner()?;
                let ok = items.len() == 3
                    && items[0].as_i64().is_some()
                    && items[1]
                        .as_i64()
                        .is_some_and(|n| (0..1_000_000_000).contains(&n))
                    && items[2].as_i64().is_some_and(|o| i32::try_from(o).is_ok());
                if !ok {
                    return Err(TypeError::new(
                        "expected [unix_seconds, nanoseconds 0..999999999, utc_offset_seconds]",
                    ));
                }
                write_array_len(out, 3);
                for item in items {
                    write_int(out, item.as_i64().unwrap_or_default());
                }
            }
            _ => return wrong(),
        },
        WireType::Duration => match v {
            Value::Int(i) => write_int(out, *i),
            _ => return wrong(),
        },
        WireType::Reader => match v {
            Value::Bytes(b) => write_bin(out, b),
            Value::Handle(id) => crate::write::write_handle(out, *id),
            _ => return wrong(),
        },
        // A `Value` is nil (peeled above) or a handle; a bridge-made context is written by
        // `write_context`, a host object by the host's own converters (docs/abi.md section 10):
        // neither is a `Value`.
        WireType::Context | WireType::Writer => match v {
            Value::Handle(id) => crate::write::write_handle(out, *id),
            _ => return wrong(),
        },
        // `*T` was peeled above; an `error` is a result, never encoded as an argument.
        WireType::Ptr(_) | WireType::Error => return wrong(),
    }
    Ok(())
}

/// Writes a record's map; its values get `budget` levels of containers.
fn encode_record(
    out: &mut Vec<u8>,
    key: &str,
    entries: &[(String, Value)],
    types: &dyn TypeLookup,
    budget: usize,
) -> Result<(), TypeError> {
    let Some(rec) = types.record(key) else {
        return Err(TypeError::new(format!("unknown record type {key}")));
    };
    for (i, (k, _)) in entries.iter().enumerate() {
        if !rec.fields.iter().any(|f| &f.key == k) {
            let known: Vec<&str> = rec.fields.iter().map(|f| f.key.as_str()).collect();
            return Err(TypeError::new(format!(
                "struct {}: unknown field {k:?} (fields: {})",
                rec.name,
                known.join(", ")
            )));
        }
        if entries[..i].iter().any(|(k2, _)| k2 == k) {
            return Err(TypeError::new(format!(
                "struct {}: field {k:?} given twice",
                rec.name
            )));
        }
    }
    let given: Vec<(&RecordField, &Value)> = rec
        .fields
        .iter()
        .filter_map(|f| match entries.iter().find(|(k, _)| *k == f.key) {
            Some((_, v)) => Some(Ok((f, v))),
            None if f.required => Some(Err(TypeError::new(format!(
                "struct {}: missing required field {} ({} {})",
                rec.name, f.key, f.name, f.go
            )))),
            None => None,
        })
        .collect::<Result<_, _>>()?;
    crate::write::write_map_len(out, given.len());
    for (f, v) in given {
        write_str(out, f.key.as_bytes());
        encode_within(out, &f.ty, v, types, budget).map_err(|e| {
            TypeError::new(format!(
                "struct {}: field {} ({} {}): {e}",
                rec.name, f.key, f.name, f.go
            ))
        })?;
    }
    Ok(())
}

/// Converts a float64 to float32 as docs/abi.md section 2 says: NaN and infinities pass, finite
/// values within range round to nearest, finite values beyond float32's range are refused.
fn f64_to_f32(f: f64) -> Result<f32, TypeError> {
    let r = f as f32;
    if f.is_finite() && r.is_infinite() {
        return Err(TypeError::new(format!(
            "value {f} is out of range for float32"
        )));
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(ty: &str, v: Value) -> Result<Vec<u8>, TypeError> {
        let mut out = Vec::new();
        encode_typed(&mut out, &WireType::parse(ty).unwrap(), &v)?;
        Ok(out)
    }

    #[test]
    fn int_ranges_are_exact() {
        assert_eq!(enc("int8", Value::Int(-128)).unwrap(), vec![0xd0, 0x80]);
        assert_eq!(enc("int8", Value::Int(127)).unwrap(), vec![0x7f]);
        assert_eq!(
            enc("int8", Value::Int(128)).unwrap_err().reason,
            "value 128 is out of range for int8 [-128, 127]"
        );
        assert!(enc("uint16", Value::Int(-1)).is_err());
        assert!(enc("uint64", Value::Uint(u64::MAX)).is_ok());
        assert!(enc("int64", Value::Uint(1 << 63)).is_err());
    }

    #[test]
    fn list_errors_name_the_element() {
        let err = enc(
            "[][]uint8",
            Value::List(vec![Value::List(vec![1.into(), 300.into()])]),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "element 0: element 1: value 300 is out of range for uint8 [0, 255]"
        );
    }

    #[test]
    fn floats_accept_ints_and_refuse_float32_overflow() {
        assert_eq!(
            enc("float64", Value::Int(2)).unwrap(),
            [vec![0xcb], 2f64.to_bits().to_be_bytes().to_vec()].concat()
        );
        assert!(enc("float32", Value::F64(1e39)).is_err());
        assert!(enc("float32", Value::F64(f64::INFINITY)).is_ok());
        assert!(enc("float32", Value::Bool(true)).is_err());
    }

    #[test]
    fn facts_of_each_kind() {
        let every = [
            "bool",
            "int8",
            "uint64",
            "float32",
            "float64",
            "string",
            "bytes",
            "[]int8",
            "[2]bool",
            "bytes[4]",
            "map[string]bool",
            "*int64",
            "@m.P",
            "&m.C",
            "any",
            "time",
            "duration",
            "reader",
            "context",
            "error",
        ];
        let nilable = [
            "bytes",
            "[]int8",
            "map[string]bool",
            "*int64",
            "&m.C",
            "any",
            "reader",
            "context",
            "error",
        ];
        let scalar = [
            "bool", "int8", "uint64", "float32", "float64", "string", "bytes", "bytes[4]",
        ];
        for s in every {
            let t = WireType::parse(s).unwrap();
            assert_eq!(t.nilable(), nilable.contains(&s), "{s} nilable");
            assert_eq!(t.is_scalar(), scalar.contains(&s), "{s} scalar");
            // An encoder takes nil for exactly the nilable types (an error is never an argument).
            if s != "error" {
                assert_eq!(enc(s, Value::Nil).is_ok(), t.nilable(), "{s} takes nil");
            }
        }
        let t = WireType::parse("map[string][]*[3]@m.P").unwrap();
        assert_eq!(
            t.inner().map(ToString::to_string).as_deref(),
            Some("[]*[3]@m.P")
        );
        assert_eq!(t.named_type(), Some(("m.P", false)));
        assert_eq!(
            WireType::parse("[]&m.C").unwrap().named_type(),
            Some(("m.C", true))
        );
        assert_eq!(WireType::parse("[]int8").unwrap().named_type(), None);
        assert!(WireType::Bool.inner().is_none());
    }

    #[test]
    fn reader_takes_bytes_a_handle_or_nil() {
        assert_eq!(
            enc("reader", Value::Bytes(b"hi".to_vec())).unwrap(),
            [0xc4, 2, b'h', b'i']
        );
        assert_eq!(
            enc("reader", Value::Handle(7)).unwrap(),
            [0xd7, 1, 0, 0, 0, 0, 0, 0, 0, 7]
        );
        assert_eq!(enc("reader", Value::Nil).unwrap(), [0xc0]);
        assert!(enc("reader", Value::Int(1)).is_err());
        assert_eq!(WireType::parse("[]reader").unwrap().to_string(), "[]reader");
    }

    #[test]
    fn context_takes_nil_a_handle_or_a_bridge_made_context() {
        assert_eq!(enc("context", Value::Nil).unwrap(), [0xc0]);
        assert_eq!(
            enc("context", Value::Handle(7)).unwrap(),
            [0xd7, 1, 0, 0, 0, 0, 0, 0, 0, 7]
        );
        assert!(enc("context", Value::Int(1)).is_err());
        let mut out = Vec::new();
        crate::write_context(&mut out, 42, 200_000_000);
        let mut want = vec![0xd8, 4];
        want.extend_from_slice(&42u64.to_be_bytes());
        want.extend_from_slice(&200_000_000u64.to_be_bytes());
        assert_eq!(out, want);
        assert_eq!(WireType::parse("context").unwrap(), WireType::Context);
    }

    #[test]
    fn wire_types_round_trip_through_text() {
        for s in [
            "bool",
            "int8",
            "uint64",
            "float32",
            "string",
            "bytes",
            "[]bytes",
            "[][]int16",
        ] {
            assert_eq!(WireType::parse(s).unwrap().to_string(), s);
        }
        assert!(WireType::parse("map[string]int").is_err());
    }
}
