//! The Level-1 value model.

/// A value on the wire (docs/abi.md section 2).
///
/// Integers compare by numeric value whichever variant holds them, and floats by bit pattern (so
/// `NaN == NaN` and `-0.0 != 0.0`): equality means "encodes to the same wire value".
#[derive(Debug, Clone)]
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
    /// A handle to a Go value (docs/abi.md section 8.3).
    Handle(u64),
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
        }
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        use Value::*;
        match (self, other) {
            (Nil, Nil) => true,
            (Bool(a), Bool(b)) => a == b,
            (Int(_) | Uint(_), Int(_) | Uint(_)) => self.as_i128() == other.as_i128(),
            (F32(a), F32(b)) => a.to_bits() == b.to_bits(),
            (F64(a), F64(b)) => a.to_bits() == b.to_bits(),
            (Str(_) | RawStr(_), Str(_) | RawStr(_)) => self.as_str_bytes() == other.as_str_bytes(),
            (Bytes(a), Bytes(b)) => a == b,
            (List(a), List(b)) => a == b,
            (Map(a), Map(b)) => a == b,
            (Handle(a), Handle(b)) => a == b,
            _ => false,
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
