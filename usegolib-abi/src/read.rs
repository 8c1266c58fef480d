//! The bounded MessagePack reader: [`validate`] checks a whole message without allocating, then a
//! [`Reader`] walks it as [`Token`]s that borrow from the input.

use crate::{DecodeError, LimitKind, Value};

/// Hard limits for one message (docs/abi.md section 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest message, in bytes.
    pub max_bytes: usize,
    /// Deepest container nesting; the outermost container is depth 1. At most
    /// [`Limits::DEPTH_CAP`] (a larger value counts as that).
    pub max_depth: usize,
    /// Most container elements in one message (an array element or a map entry counts one).
    pub max_elements: u64,
}

impl Limits {
    /// The deepest nesting any `Limits` may allow, and the bound [`Reader::read_value`] keeps on
    /// bytes that were not validated: the validator's and the reader's recursion never go deeper.
    pub const DEPTH_CAP: usize = 128;

    /// The limits of docs/abi.md section 6.
    pub const ABI: Limits = Limits {
        max_bytes: 1 << 30,
        max_depth: 64,
        max_elements: 1 << 26,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::ABI
    }
}

/// One MessagePack item. Containers give their length; their elements follow as further tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Token<'a> {
    /// nil
    Nil,
    /// bool
    Bool(bool),
    /// any integer that fits `i64`
    Int(i64),
    /// an integer above `i64::MAX`
    Uint(u64),
    /// float32
    F32(f32),
    /// float64
    F64(f64),
    /// str payload (not checked for UTF-8)
    Str(&'a [u8]),
    /// bin payload
    Bin(&'a [u8]),
    /// array header with its element count
    Array(u32),
    /// map header with its entry count
    Map(u32),
    /// ext payload with its type
    Ext(i8, &'a [u8]),
}

/// What a header byte announces: a container of `n` items, or a scalar with `skip` payload bytes
/// after a `head`-byte header.
enum Shape {
    Container {
        head: usize,
        items: u64,
        entries: u64,
    },
    Scalar {
        head: usize,
        skip: usize,
    },
}

fn be(buf: &[u8], at: usize, n: usize) -> Option<u64> {
    let bytes = buf.get(at..at.checked_add(n)?)?;
    Some(bytes.iter().fold(0u64, |acc, b| (acc << 8) | *b as u64))
}

#[inline]
fn shape(buf: &[u8], pos: usize) -> Result<Shape, DecodeError> {
    let truncated = || DecodeError::malformed(pos, "message ends inside a value header");
    let m = *buf.get(pos).ok_or_else(truncated)?;
    let len_at = |n: usize| {
        be(buf, pos + 1, n)
            .map(|v| v as usize)
            .ok_or_else(truncated)
    };
    let cont = |head: usize, entries: u64, per: u64| Shape::Container {
        head,
        items: entries * per,
        entries,
    };
    Ok(match m {
        0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => Shape::Scalar { head: 1, skip: 0 },
        0x80..=0x8f => cont(1, (m & 0x0f) as u64, 2),
        0x90..=0x9f => cont(1, (m & 0x0f) as u64, 1),
        0xa0..=0xbf => Shape::Scalar {
            head: 1,
            skip: (m & 0x1f) as usize,
        },
        0xc1 => {
            return Err(DecodeError::malformed(
                pos,
                "byte 0xc1 is never used in MessagePack",
            ))
        }
        0xc4 | 0xd9 => Shape::Scalar {
            head: 2,
            skip: len_at(1)?,
        },
        0xc5 | 0xda => Shape::Scalar {
            head: 3,
            skip: len_at(2)?,
        },
        0xc6 | 0xdb => Shape::Scalar {
            head: 5,
            skip: len_at(4)?,
        },
        0xc7 => Shape::Scalar {
            head: 3,
            skip: len_at(1)?,
        },
        0xc8 => Shape::Scalar {
            head: 4,
            skip: len_at(2)?,
        },
        0xc9 => Shape::Scalar {
            head: 6,
            skip: len_at(4)?,
        },
        0xca => Shape::Scalar { head: 1, skip: 4 },
        0xcb => Shape::Scalar { head: 1, skip: 8 },
        0xcc | 0xd0 => Shape::Scalar { head: 1, skip: 1 },
        0xcd | 0xd1 => Shape::Scalar { head: 1, skip: 2 },
        0xce | 0xd2 => Shape::Scalar { head: 1, skip: 4 },
        0xcf | 0xd3 => Shape::Scalar { head: 1, skip: 8 },
        0xd4 => Shape::Scalar { head: 2, skip: 1 },
        0xd5 => Shape::Scalar { head: 2, skip: 2 },
        0xd6 => Shape::Scalar { head: 2, skip: 4 },
        0xd7 => Shape::Scalar { head: 2, skip: 8 },
        0xd8 => Shape::Scalar { head: 2, skip: 16 },
        0xdc => cont(3, len_at(2)? as u64, 1),
        0xdd => cont(5, len_at(4)? as u64, 1),
        0xde => cont(3, len_at(2)? as u64, 2),
        0xdf => cont(5, len_at(4)? as u64, 2),
    })
}

/// Checks that `buf` holds exactly one well-formed MessagePack value within `limits`, with no
/// trailing bytes. It allocates nothing, and rejects a declared length larger than the bytes that
/// remain before anything could be allocated for it.
///
/// # Errors
///
/// [`DecodeError::LimitExceeded`] or [`DecodeError::Malformed`].
pub fn validate(buf: &[u8], limits: &Limits) -> Result<(), DecodeError> {
    if buf.len() > limits.max_bytes {
        return Err(DecodeError::LimitExceeded {
            limit: LimitKind::Size,
            max: limits.max_bytes as u64,
        });
    }
    let mut v = Validator {
        buf,
        max_depth: limits.max_depth.min(Limits::DEPTH_CAP),
        max_elements: limits.max_elements,
        elements: 0,
    };
    let end = v.value(0, 0)?;
    if end != buf.len() {
        return Err(DecodeError::malformed(
            end,
            format!("{} trailing bytes after the message", buf.len() - end),
        ));
    }
    Ok(())
}

/// The state of one [`validate`] walk. It recurses once per container level, and the depth limit
/// (at most [`Limits::DEPTH_CAP`]) bounds the recursion before it goes deeper.
struct Validator<'a> {
    buf: &'a [u8],
    max_depth: usize,
    max_elements: u64,
    elements: u64,
}

impl Validator<'_> {
    /// Checks the value at `pos`, inside `depth` open containers; returns the offset after it.
    fn value(&mut self, pos: usize, depth: usize) -> Result<usize, DecodeError> {
        let buf = self.buf;
        match shape(buf, pos)? {
            Shape::Scalar { head, skip } => pos
                .checked_add(head)
                .and_then(|p| p.checked_add(skip))
                .filter(|&e| e <= buf.len())
                .ok_or_else(|| {
                    DecodeError::malformed(pos, "a length runs past the end of the message")
                }),
            Shape::Container {
                head,
                items,
                entries,
            } => {
                if depth + 1 > self.max_depth {
                    return Err(DecodeError::LimitExceeded {
                        limit: LimitKind::Depth,
                        max: self.max_depth as u64,
                    });
                }
                let mut at = pos + head;
                if at > buf.len() || items > (buf.len() - at) as u64 {
                    return Err(DecodeError::malformed(
                        at.min(buf.len()),
                        format!("a container declares {entries} entries but fewer bytes remain"),
                    ));
                }
                self.elements += entries;
                if self.elements > self.max_elements {
                    return Err(DecodeError::LimitExceeded {
                        limit: LimitKind::Elements,
                        max: self.max_elements,
                    });
                }
                for _ in 0..items {
                    at = self.value(at, depth + 1)?;
                }
                Ok(at)
            }
        }
    }
}

/// [`validate`], answered first by [`quick_valid`]: `validate` runs only for a message the
/// one-loop check does not accept, for its verdict and its error. Replies are checked so.
#[inline]
pub(crate) fn validate_quick(buf: &[u8], limits: &Limits) -> Result<(), DecodeError> {
    if quick_valid(buf, limits) {
        return Ok(());
    }
    validate(buf, limits)
}

/// Whether [`validate`] accepts `buf`, answered for a message at most 16 containers deep in one
/// loop that builds no error: true only when `validate` would return `Ok`; false for anything
/// else (a fault, or a deeper message), which the caller then gives to `validate` for the
/// verdict and its error. Replies are checked with it first (ADR 0033).
pub(crate) fn quick_valid(buf: &[u8], limits: &Limits) -> bool {
    const STACK: usize = 16;
    if buf.len() > limits.max_bytes {
        return false;
    }
    let max_depth = limits.max_depth.min(Limits::DEPTH_CAP).min(STACK);
    // open[i]: the values still to come in the container at depth i + 1.
    let mut open = [0u64; STACK];
    let mut depth = 0;
    let mut elements = 0u64;
    let mut pos = 0;
    loop {
        let Some(&m) = buf.get(pos) else {
            return false;
        };
        let found = match m {
            // The commonest values first: a small int, a short str (a key).
            0x00..=0x7f | 0xe0..=0xff => Ok(Shape::Scalar { head: 1, skip: 0 }),
            0xa0..=0xbf => Ok(Shape::Scalar {
                head: 1,
                skip: (m & 0x1f) as usize,
            }),
            _ => shape(buf, pos),
        };
        match found {
            Ok(Shape::Scalar { head, skip }) => {
                match pos.checked_add(head).and_then(|p| p.checked_add(skip)) {
                    Some(end) if end <= buf.len() => pos = end,
                    _ => return false,
                }
            }
            Ok(Shape::Container {
                head,
                items,
                entries,
            }) => {
                if depth + 1 > max_depth {
                    return false;
                }
                let at = pos + head;
                if at > buf.len() || items > (buf.len() - at) as u64 {
                    return false;
                }
                elements += entries;
                if elements > limits.max_elements {
                    return false;
                }
                pos = at;
                if items > 0 {
                    open[depth] = items;
                    depth += 1;
                    continue;
                }
            }
            Err(_) => return false,
        }
        // A value is complete: close every container it completes.
        while depth > 0 {
            open[depth - 1] -= 1;
            if open[depth - 1] > 0 {
                break;
            }
            depth -= 1;
        }
        if depth == 0 {
            return pos == buf.len();
        }
    }
}

/// Recognises a complete, valid reply of the form `[0 or 1, scalar]` (no containers inside) and
/// returns whether its status is 0; `None` means "not of that form: validate in full".
#[inline]
pub(crate) fn scalar_reply(buf: &[u8], limits: &Limits) -> Option<bool> {
    if buf.len() < 3 || buf[0] != 0x92 || buf[1] > 1 || buf.len() > limits.max_bytes {
        return None;
    }
    if limits.max_depth < 1 || limits.max_elements < 2 {
        return None;
    }
    match shape(buf, 2) {
        Ok(Shape::Scalar { head, skip })
            if 2usize.checked_add(head)?.checked_add(skip)? == buf.len() =>
        {
            // 0xc1 is rejected by `shape`; ext values are left to the full path.
            if matches!(buf[2], 0xc7..=0xc9 | 0xd4..=0xd8) {
                return None;
            }
            Some(buf[1] == 0)
        }
        _ => None,
    }
}

/// A cursor over a message, yielding [`Token`]s that borrow from it.
///
/// Run [`validate`] on the message first: the reader checks bounds (it never panics) but it does
/// not enforce limits on its own.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `buf`.
    #[inline]
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Moves past `n` header bytes already checked by the caller.
    pub(crate) fn skip_header(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.buf.len());
    }

    /// The current byte offset.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// True when every byte was read.
    pub fn is_at_end(&self) -> bool {
        self.pos == self.buf.len()
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        let end = end.ok_or_else(|| DecodeError::malformed(self.pos, "message ends early"))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn uint(&mut self, n: usize) -> Result<u64, DecodeError> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | *b as u64))
    }

    /// Reads the next token.
    ///
    /// # Errors
    ///
    /// [`DecodeError::Malformed`] on a truncated message or the unused byte `0xc1`.
    #[inline]
    pub fn next_token(&mut self) -> Result<Token<'a>, DecodeError> {
        let at = self.pos;
        let m = self.take(1)?[0];
        let int = |u: u64| match i64::try_from(u) {
            Ok(i) => Token::Int(i),
            Err(_) => Token::Uint(u),
        };
        Ok(match m {
            0x00..=0x7f => Token::Int(m as i64),
            0xe0..=0xff => Token::Int(m as i8 as i64),
            0x80..=0x8f => Token::Map((m & 0x0f) as u32),
            0x90..=0x9f => Token::Array((m & 0x0f) as u32),
            0xa0..=0xbf => Token::Str(self.take((m & 0x1f) as usize)?),
            0xc0 => Token::Nil,
            0xc1 => {
                return Err(DecodeError::malformed(
                    at,
                    "byte 0xc1 is never used in MessagePack",
                ))
            }
            0xc2 => Token::Bool(false),
            0xc3 => Token::Bool(true),
            0xc4 => {
                let n = self.uint(1)? as usize;
                Token::Bin(self.take(n)?)
            }
            0xc5 => {
                let n = self.uint(2)? as usize;
                Token::Bin(self.take(n)?)
            }
            0xc6 => {
                let n = self.uint(4)? as usize;
                Token::Bin(self.take(n)?)
            }
            0xc7..=0xc9 => {
                let n = self.uint(1 << (m - 0xc7))? as usize;
                let t = self.take(1)?[0] as i8;
                Token::Ext(t, self.take(n)?)
            }
            0xca => Token::F32(f32::from_bits(self.uint(4)? as u32)),
            0xcb => Token::F64(f64::from_bits(self.uint(8)?)),
            0xcc => int(self.uint(1)?),
            0xcd => int(self.uint(2)?),
            0xce => int(self.uint(4)?),
            0xcf => int(self.uint(8)?),
            0xd0 => Token::Int(self.uint(1)? as u8 as i8 as i64),
            0xd1 => Token::Int(self.uint(2)? as u16 as i16 as i64),
            0xd2 => Token::Int(self.uint(4)? as u32 as i32 as i64),
            0xd3 => Token::Int(self.uint(8)? as i64),
            0xd4..=0xd8 => {
                let t = self.take(1)?[0] as i8;
                Token::Ext(t, self.take(1 << (m - 0xd4))?)
            }
            0xd9 => {
                let n = self.uint(1)? as usize;
                Token::Str(self.take(n)?)
            }
            0xda => {
                let n = self.uint(2)? as usize;
                Token::Str(self.take(n)?)
            }
            0xdb => {
                let n = self.uint(4)? as usize;
                Token::Str(self.take(n)?)
            }
            0xdc => Token::Array(self.uint(2)? as u32),
            0xdd => Token::Array(self.uint(4)? as u32),
            0xde => Token::Map(self.uint(2)? as u32),
            0xdf => Token::Map(self.uint(4)? as u32),
        })
    }

    /// Reads one whole value. [`validate`] bounds the depth of a message; for a reader over bytes
    /// that were not validated, the reader itself refuses containers nested more than
    /// [`Limits::DEPTH_CAP`] (128) deep (its recursion is bounded by that, never by the input).
    ///
    /// # Errors
    ///
    /// [`DecodeError::Malformed`] on a truncated message, an ext value (unused by ABI 1) or a map
    /// key that is not a str; [`DecodeError::LimitExceeded`] past [`Limits::DEPTH_CAP`] levels of
    /// nesting.
    pub fn read_value(&mut self) -> Result<Value, DecodeError> {
        self.read_within(Limits::DEPTH_CAP)
    }

    /// [`Reader::read_value`] allowing `max` levels of containers and tagged values (ext type 6,
    /// whose payload [`validate`] does not look into).
    pub(crate) fn read_within(&mut self, max: usize) -> Result<Value, DecodeError> {
        self.read_nested(max, max)
    }

    /// [`Reader::read_value`] with `budget` levels of containers left, out of `max`.
    fn read_nested(&mut self, budget: usize, max: usize) -> Result<Value, DecodeError> {
        let at = self.pos;
        let token = self.next_token()?;
        // The budget left for the elements, if this is a container.
        let inner = match token {
            Token::Array(_) | Token::Map(_) | Token::Ext(crate::write::EXT_TAGGED, _) => {
                budget.checked_sub(1).ok_or(DecodeError::LimitExceeded {
                    limit: LimitKind::Depth,
                    max: max as u64,
                })?
            }
            _ => budget,
        };
        Ok(match token {
            Token::Nil => Value::Nil,
            Token::Bool(b) => Value::Bool(b),
            Token::Int(i) => Value::Int(i),
            Token::Uint(u) => Value::Uint(u),
            Token::F32(f) => Value::F32(f),
            Token::F64(f) => Value::F64(f),
            Token::Str(s) => Value::from_go_string(s.to_vec()),
            Token::Bin(b) => Value::Bytes(b.to_vec()),
            Token::Array(n) => {
                // Never trust `n` for allocation beyond what the remaining bytes can hold.
                let cap = (n as usize).min(self.buf.len() - self.pos);
                let mut items = Vec::with_capacity(cap);
                for _ in 0..n {
                    items.push(self.read_nested(inner, max)?);
                }
                Value::List(items)
            }
            Token::Map(n) => {
                let cap = (n as usize).min((self.buf.len() - self.pos) / 2);
                let mut entries = Vec::with_capacity(cap);
                for _ in 0..n {
                    let key_at = self.pos;
                    let key = match self.next_token()? {
                        Token::Str(s) => String::from_utf8(s.to_vec()).map_err(|_| {
                            DecodeError::malformed(key_at, "a map key is not valid UTF-8")
                        })?,
                        _ => return Err(DecodeError::malformed(key_at, "a map key is not a str")),
                    };
                    entries.push((key, self.read_nested(inner, max)?));
                }
                Value::Map(entries)
            }
            Token::Ext(1, data) if data.len() == 8 => {
                let mut id = [0u8; 8];
                id.copy_from_slice(data);
                Value::Handle(u64::from_be_bytes(id))
            }
            Token::Ext(crate::write::EXT_TIMESTAMP, data) => match timestamp(data) {
                Some((secs, nanos)) => Value::Timestamp { secs, nanos },
                None => {
                    return Err(DecodeError::malformed(
                        at,
                        "a malformed timestamp (ext type -1)",
                    ))
                }
            },
            Token::Ext(crate::write::EXT_TAGGED, data) => {
                let mut sub = Reader::new(data);
                let tag = match sub.next_token()? {
                    Token::Str(s) => String::from_utf8(s.to_vec()).ok(),
                    _ => None,
                };
                let Some(tag) = tag else {
                    return Err(DecodeError::malformed(
                        at,
                        "a tagged value (ext type 6) without a str tag",
                    ));
                };
                let v = sub.read_nested(inner, max)?;
                if sub.pos != data.len() {
                    return Err(DecodeError::malformed(
                        at,
                        "a tagged value (ext type 6) with bytes after its value",
                    ));
                }
                Value::Tagged(tag, Box::new(v))
            }
            Token::Ext(crate::write::EXT_OBJECT, data) if data.len() >= 8 => {
                let (id, key) = data.split_at(8);
                let Ok(key) = String::from_utf8(key.to_vec()) else {
                    return Err(DecodeError::malformed(
                        at,
                        "a Go object (ext type 7) whose type key is not UTF-8",
                    ));
                };
                Value::Object(u64::from_be_bytes(id.try_into().unwrap_or_default()), key)
            }
            Token::Ext(crate::write::EXT_PACKED, data) => {
                match crate::write::packed_payload(data) {
                    Ok((kind, elems)) => Value::Packed(kind, elems.to_vec()),
                    Err(reason) => return Err(DecodeError::malformed(at, reason)),
                }
            }
            Token::Ext(..) => return Err(DecodeError::malformed(
                at,
                "an ext value other than a handle (type 1, 8 bytes), a timestamp (-1), a tagged \
                     value (6), a Go object (7) or a packed array (8)",
            )),
        })
    }
}

/// The seconds and nanoseconds of a MessagePack timestamp's payload (4, 8 or 12 bytes), None
/// when it has another length or nanoseconds of 10^9 or more.
pub fn timestamp(p: &[u8]) -> Option<(i64, u32)> {
    let (secs, nanos) = match p.len() {
        4 => (i64::from(u32::from_be_bytes(p.try_into().ok()?)), 0),
        8 => {
            let u = u64::from_be_bytes(p.try_into().ok()?);
            ((u & ((1 << 34) - 1)) as i64, (u >> 34) as u32)
        }
        12 => (
            i64::from_be_bytes(p[4..].try_into().ok()?),
            u32::from_be_bytes(p[..4].try_into().ok()?),
        ),
        _ => return None,
    };
    (nanos < 1_000_000_000).then_some((secs, nanos))
}

/// Decodes exactly one value from `buf` within `limits`.
///
/// # Errors
///
/// See [`validate`] and [`Reader::read_value`].
pub fn decode_value(buf: &[u8], limits: &Limits) -> Result<Value, DecodeError> {
    validate(buf, limits)?;
    Reader::new(buf).read_within(limits.max_depth.min(Limits::DEPTH_CAP))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(buf: &[u8]) -> Result<(), DecodeError> {
        validate(buf, &Limits::ABI)
    }

    /// `quick_valid` never accepts what `validate` refuses, and accepts every valid message up
    /// to 16 deep: over every short byte string of a few shapes, nested containers at each
    /// depth, and tight limits.
    #[test]
    fn quick_valid_agrees_with_validate() {
        let tight = Limits {
            max_bytes: 6,
            max_depth: 2,
            max_elements: 3,
        };
        let mut inputs: Vec<Vec<u8>> = Vec::new();
        let alphabet = [
            0x00, 0x01, 0x7f, 0x80, 0x81, 0x82, 0x90, 0x91, 0x92, 0xa0, 0xa1, 0xc0, 0xc1, 0xc4,
            0xcc, 0xd4, 0xd9, 0xdc, 0xde, 0xe0, 0xff,
        ];
        for a in alphabet {
            for b in alphabet {
                for c in alphabet {
                    inputs.push(vec![a, b, c]);
                    inputs.push(vec![0x92, 0x00, a, b, c]);
                    inputs.push(vec![0x93, 0x00, a, b, c, 0x90]);
                }
            }
        }
        for depth in 0..40 {
            let mut deep = vec![0x91u8; depth];
            deep.push(0x2a);
            inputs.push(deep.clone());
            deep.push(0x00);
            inputs.push(deep);
        }
        for limits in [&Limits::ABI, &tight] {
            for buf in &inputs {
                let full = validate(buf, limits).is_ok();
                let quick = quick_valid(buf, limits);
                assert!(!quick || full, "quick accepted {buf:x?}");
                let nesting = buf.iter().take_while(|&&b| b == 0x91).count();
                if full && nesting < 16 && buf.first() == Some(&0x91) {
                    assert!(quick, "quick refused {buf:x?}");
                }
            }
        }
        // A record reply as Go writes it: [0, {"x": 1, "y": -2, "tags": [], "label": "p"}].
        let reply = [
            0x92, 0x00, 0x84, 0xa1, b'x', 0x01, 0xa1, b'y', 0xfe, 0xa4, b't', b'a', b'g', b's',
            0x90, 0xa5, b'l', b'a', b'b', b'e', b'l', 0xa1, b'p',
        ];
        assert!(quick_valid(&reply, &Limits::ABI));
        for cut in 0..reply.len() {
            assert!(!quick_valid(&reply[..cut], &Limits::ABI), "cut at {cut}");
        }
    }

    #[test]
    fn killer_inputs_fail_fast_without_allocating() {
        for input in [
            &[0xdd, 0xff, 0xff, 0xff, 0xff][..],
            &[0xdf, 0xff, 0xff, 0xff, 0xff],
            &[0xdb, 0xff, 0xff, 0xff, 0xff],
            &[0xc6, 0xff, 0xff, 0xff, 0xff],
            &[0xd4],
        ] {
            assert!(
                matches!(check(input), Err(DecodeError::Malformed { .. })),
                "{input:x?}"
            );
        }
        let mut deep = vec![0x91u8; 100_000];
        deep.push(0xc0);
        assert_eq!(
            check(&deep),
            Err(DecodeError::LimitExceeded {
                limit: LimitKind::Depth,
                max: 64
            })
        );
        let many: Vec<u8> = std::iter::repeat_n([0xdc, 0xff, 0xff], 24_000)
            .flatten()
            .collect();
        assert!(check(&many).is_err());
    }

    #[test]
    fn every_single_byte_is_handled() {
        for b in 0u8..=255 {
            let r = check(&[b]);
            let complete =
                matches!(b, 0x00..=0x7f | 0x80 | 0x90 | 0xa0 | 0xc0 | 0xc2 | 0xc3 | 0xe0..=0xff);
            assert_eq!(r.is_ok(), complete, "byte {b:#x}: {r:?}");
        }
    }

    #[test]
    fn trailing_bytes_are_rejected() {
        assert_eq!(
            check(&[0x01, 0x02]),
            Err(DecodeError::malformed(
                1,
                "1 trailing bytes after the message"
            ))
        );
    }

    #[test]
    fn element_limit_counts_all_containers() {
        let limits = Limits {
            max_elements: 3,
            ..Limits::ABI
        };
        assert!(validate(&[0x92, 0x91, 0x01, 0x02], &limits).is_ok());
        assert_eq!(
            validate(&[0x92, 0x92, 0x01, 0x02, 0x03], &limits),
            Err(DecodeError::LimitExceeded {
                limit: LimitKind::Elements,
                max: 3
            })
        );
    }

    #[test]
    fn size_limit() {
        let limits = Limits {
            max_bytes: 2,
            ..Limits::ABI
        };
        assert!(matches!(
            validate(&[0xa2, b'a', b'b'], &limits),
            Err(DecodeError::LimitExceeded {
                limit: LimitKind::Size,
                ..
            })
        ));
    }
}
