//! The value model: every value the wire carries, untyped (docs/abi.md sections 2 and 8).

use std::fmt;

/// A value on the wire (docs/abi.md section 2).
///
/// Integers compare by numeric value whichever variant holds them, and floats by bit pattern (so
/// `NaN == NaN` and `-0.0 != 0.0`): equality means "encodes to the same wire value".
///
/// A value may be nested arbitrarily deep in memory; only values within the depth limit of
/// docs/abi.md section 6 can be encoded (the encoders refuse deeper ones with an error). Dropping,
/// comparing and `Debug`-printing never recurse without bound: drop and `==` walk the tree with
/// an explicit stack, and `Debug` prints `..` below 128 levels. `Clone` is recursive: do not
/// clone a value nested thousands of levels deep.
#[derive(Clone)]
pub enum Value {
    /// nil: no result, or a nil slice argument.
    Nil,
    /// A bool.
    Bool(bool),
    /// A signed integer. Decoders produce this for every integer that fits `i64`.
    Int(i64),
    /// An unsigned integer. Decoders produce this only for integers above `i64::MAX`.
    Uint(u64),
    /// A float32.
    F32(f32),
    /// A float64.
    F64(f64),
    /// A str payload that is valid UTF-8.
    Str(String),
    /// A str payload that is not valid UTF-8 (Go strings are byte strings): kept byte for byte.
    RawStr(Vec<u8>),
    /// A bin payload (`[]byte`).
    Bytes(Vec<u8>),
    /// An array (a Go slice other than `[]byte`, or several results).
    List(Vec<Value>),
    /// A map with str keys: `map[string]T`, records, error details.
    Map(Vec<(String, Value)>),
    /// A handle to a Go value (docs/abi.md section 8.3); inside `any` arguments, the value Go
    /// receives is the one the handle holds (docs/abi.md section 8.9).
    Handle(u64),
    /// Inside `any`: a time at UTC offset 0, MessagePack's timestamp (ext type -1): seconds since
    /// the Unix epoch and nanoseconds (below 10^9). Docs/abi.md section 8.9.
    Timestamp { secs: i64, nanos: u32 },
    /// Inside `any`: a tagged value (ext type 6): the tag (`"time"`, `"duration"`, `"error"` or a
    /// record type key of the schema) and the value as that type's wire type writes it.
    Tagged(String, Box<Value>),
    /// Inside `any` results: a Go object (ext type 7): a handle id and the key of its Go type.
    Object(u64, String),
    /// A packed array of numbers (ext type 8, docs/abi.md section 8.10): the kind byte (`b h i
    /// q B H I Q f d`) and the elements' little-endian bytes (a whole number of them).
    Packed(u8, Vec<u8>),
}

impl Value {
    /// The integer value, if this is an integer.
    pub fn as_i128(&self) -> Option<i128> {
        match self {
            Value::Int(i) => Some(*i as i128),
            Value::Uint(u) => Some(*u as i128),
            _ => None,
        }
    }

    /// The integer value as `i64`, if it is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        self.as_i128().and_then(|i| i64::try_from(i).ok())
    }

    /// The integer value as `u64`, if it is an integer in range.
    pub fn as_u64(&self) -> Option<u64> {
        self.as_i128().and_then(|i| u64::try_from(i).ok())
    }

    /// The string's bytes, for `Str` and `RawStr`.
    pub fn as_str_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Str(s) => Some(s.as_bytes()),
            Value::RawStr(b) => Some(b),
            _ => None,
        }
    }

    /// The string, if this is a `Str`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Makes a string value from Go string bytes: `Str` when valid UTF-8, else `RawStr`.
    pub fn from_go_string(bytes: Vec<u8>) -> Value {
        match String::from_utf8(bytes) {
            Ok(s) => Value::Str(s),
            Err(e) => Value::RawStr(e.into_bytes()),
        }
    }

    /// Looks a key up in a `Map`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// A short name of the variant, for error messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Bool(_) => "bool",
            Value::Int(_) | Value::Uint(_) => "int",
            Value::F32(_) => "float32",
            Value::F64(_) => "float64",
            Value::Str(_) | Value::RawStr(_) => "string",
            Value::Bytes(_) => "bytes",
            Value::List(_) => "list",
            Value::Map(_) => "map",
            Value::Handle(_) => "handle",
            Value::Timestamp { .. } => "timestamp",
            Value::Tagged(..) => "tagged value",
            Value::Object(..) => "Go object",
            Value::Packed(..) => "packed array",
        }
    }
}

fn is_container(v: &Value) -> bool {
    matches!(v, Value::List(_) | Value::Map(_) | Value::Tagged(..))
}

/// Compares two values that are not both containers of the same kind and length (those
/// [`Value::eq`] compares element by element): scalars by value, anything else as unequal.
fn scalar_eq(a: &Value, b: &Value) -> bool {
    use Value::*;
    match (a, b) {
        (Nil, Nil) => true,
        (Bool(a), Bool(b)) => a == b,
        (Int(_) | Uint(_), Int(_) | Uint(_)) => a.as_i128() == b.as_i128(),
        (F32(a), F32(b)) => a.to_bits() == b.to_bits(),
        (F64(a), F64(b)) => a.to_bits() == b.to_bits(),
        (Str(_) | RawStr(_), Str(_) | RawStr(_)) => a.as_str_bytes() == b.as_str_bytes(),
        (Bytes(a), Bytes(b)) => a == b,
        (Handle(a), Handle(b)) => a == b,
        (Timestamp { secs: a, nanos: x }, Timestamp { secs: b, nanos: y }) => a == b && x == y,
        (Object(a, x), Object(b, y)) => a == b && x == y,
        (Packed(a, x), Packed(b, y)) => a == b && x == y,
        _ => false,
    }
}

impl PartialEq for Value {
    /// Compares with an explicit stack of pairs, so equally deep values of any depth compare
    /// without recursion.
    fn eq(&self, other: &Value) -> bool {
        let mut pending: Vec<(&Value, &Value)> = vec![(self, other)];
        while let Some((a, b)) = pending.pop() {
            match (a, b) {
                (Value::List(x), Value::List(y)) if x.len() == y.len() => {
                    pending.extend(x.iter().zip(y));
                }
                (Value::Map(x), Value::Map(y)) if x.len() == y.len() => {
                    for ((ka, va), (kb, vb)) in x.iter().zip(y) {
                        if ka != kb {
                            return false;
                        }
                        pending.push((va, vb));
                    }
                }
                (Value::Tagged(ta, x), Value::Tagged(tb, y)) => {
                    if ta != tb {
                        return false;
                    }
                    pending.push((x, y));
                }
                _ => {
                    if !scalar_eq(a, b) {
                        return false;
                    }
                }
            }
        }
        true
    }
}

impl Drop for Value {
    /// Dropping a deeply nested value would recurse once per level: take nested containers out
    /// onto an explicit stack instead, so each one is dropped after its children were moved out.
    fn drop(&mut self) {
        let nested = match self {
            Value::List(items) => items.iter().any(is_container),
            Value::Map(entries) => entries.iter().any(|(_, v)| is_container(v)),
            Value::Tagged(_, v) => is_container(v),
            _ => false,
        };
        if !nested {
            return;
        }
        let mut stack = Vec::new();
        take_children(self, &mut stack);
        while let Some(mut v) = stack.pop() {
            take_children(&mut v, &mut stack);
            // `v` has no children left: dropping it here does not recurse.
        }
    }
}

/// Moves the containers among `v`'s elements onto `stack`.
fn take_children(v: &mut Value, stack: &mut Vec<Value>) {
    match v {
        Value::List(items) => {
            for item in items.iter_mut().filter(|i| is_container(i)) {
                stack.push(std::mem::replace(item, Value::Nil));
            }
        }
        Value::Map(entries) => {
            for (_, item) in entries.iter_mut().filter(|(_, i)| is_container(i)) {
                stack.push(std::mem::replace(item, Value::Nil));
            }
        }
        Value::Tagged(_, item) if is_container(item) => {
            stack.push(std::mem::replace(&mut **item, Value::Nil));
        }
        _ => {}
    }
}

/// How deep `Debug` prints before writing `..`.
const DEBUG_DEPTH: usize = 128;

/// `Debug` of a value `depth` levels down.
struct DebugAt<'a>(&'a Value, usize);

/// `Debug` of a container's elements `depth` levels down.
struct ItemsAt<'a>(&'a Value, usize);

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        DebugAt(self, 0).fmt(f)
    }
}

impl fmt::Debug for DebugAt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let DebugAt(v, depth) = *self;
        match v {
            Value::Nil => f.write_str("Nil"),
            Value::Bool(b) => f.debug_tuple("Bool").field(b).finish(),
            Value::Int(i) => f.debug_tuple("Int").field(i).finish(),
            Value::Uint(u) => f.debug_tuple("Uint").field(u).finish(),
            Value::F32(x) => f.debug_tuple("F32").field(x).finish(),
            Value::F64(x) => f.debug_tuple("F64").field(x).finish(),
            Value::Str(s) => f.debug_tuple("Str").field(s).finish(),
            Value::RawStr(b) => f.debug_tuple("RawStr").field(b).finish(),
            Value::Bytes(b) => f.debug_tuple("Bytes").field(b).finish(),
            Value::List(_) | Value::Map(_) | Value::Tagged(..) if depth >= DEBUG_DEPTH => {
                f.write_str("..")
            }
            Value::List(_) => f.debug_tuple("List").field(&ItemsAt(v, depth)).finish(),
            Value::Map(_) => f.debug_tuple("Map").field(&ItemsAt(v, depth)).finish(),
            Value::Handle(id) => f.debug_tuple("Handle").field(id).finish(),
            Value::Timestamp { secs, nanos } => f
                .debug_struct("Timestamp")
                .field("secs", secs)
                .field("nanos", nanos)
                .finish(),
            Value::Tagged(tag, x) => f
                .debug_tuple("Tagged")
                .field(tag)
                .field(&DebugAt(x, depth + 1))
                .finish(),
            Value::Object(id, key) => f.debug_tuple("Object").field(id).field(key).finish(),
            Value::Packed(kind, data) => f
                .debug_tuple("Packed")
                .field(&char::from(*kind))
                .field(data)
                .finish(),
        }
    }
}

impl fmt::Debug for ItemsAt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ItemsAt(v, depth) = *self;
        match v {
            Value::List(items) => f
                .debug_list()
                .entries(items.iter().map(|i| DebugAt(i, depth + 1)))
                .finish(),
            Value::Map(entries) => f
                .debug_list()
                .entries(entries.iter().map(|(k, i)| (k, DebugAt(i, depth + 1))))
                .finish(),
            _ => Ok(()),
        }
    }
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Value { Value::Int(v as i64) }
        }
    )*};
}
from_int!(i8, i16, i32, i64, u8, u16, u32);

impl From<u64> for Value {
    fn from(v: u64) -> Value {
        match i64::try_from(v) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::Uint(v),
        }
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Bool(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::F64(v)
    }
}

impl From<f32> for Value {
    fn from(v: f32) -> Value {
        Value::F32(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Str(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Str(v)
    }
}

impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Value {
        Value::List(v)
    }
}
