//! Canonical MessagePack writers (docs/abi.md section 2): every writer picks the shortest form.

use crate::{EncodeError, Value};

/// Writes nil.
#[inline]
pub fn write_nil(out: &mut Vec<u8>) {
    out.push(0xc0);
}

/// Writes a bool.
#[inline]
pub fn write_bool(out: &mut Vec<u8>, v: bool) {
    out.push(if v { 0xc3 } else { 0xc2 });
}

/// Writes a non-negative integer in its shortest form.
#[inline]
pub fn write_uint(out: &mut Vec<u8>, v: u64) {
    if v < 0x80 {
        out.push(v as u8);
    } else if v <= u8::MAX as u64 {
        out.extend_from_slice(&[0xcc, v as u8]);
    } else if v <= u16::MAX as u64 {
        out.push(0xcd);
        out.extend_from_slice(&(v as u16).to_be_bytes());
    } else if v <= u32::MAX as u64 {
        out.push(0xce);
        out.extend_from_slice(&(v as u32).to_be_bytes());
    } else {
        out.push(0xcf);
        out.extend_from_slice(&v.to_be_bytes());
    }
}

/// Writes a signed integer in its shortest form (non-negative values use the unsigned formats).
#[inline]
pub fn write_int(out: &mut Vec<u8>, v: i64) {
    if v >= 0 {
        write_uint(out, v as u64);
    } else if v >= -32 {
        out.push(v as i8 as u8);
    } else if v >= i8::MIN as i64 {
        out.extend_from_slice(&[0xd0, v as i8 as u8]);
    } else if v >= i16::MIN as i64 {
        out.push(0xd1);
        out.extend_from_slice(&(v as i16).to_be_bytes());
    } else if v >= i32::MIN as i64 {
        out.push(0xd2);
        out.extend_from_slice(&(v as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&v.to_be_bytes());
    }
}

/// Writes a float32.
#[inline]
pub fn write_f32(out: &mut Vec<u8>, v: f32) {
    out.push(0xca);
    out.extend_from_slice(&v.to_bits().to_be_bytes());
}

/// Writes a float64.
#[inline]
pub fn write_f64(out: &mut Vec<u8>, v: f64) {
    out.push(0xcb);
    out.extend_from_slice(&v.to_bits().to_be_bytes());
}

fn write_len(
    out: &mut Vec<u8>,
    len: usize,
    fix: Option<(u8, usize)>,
    m8: Option<u8>,
    m16: u8,
    m32: u8,
) {
    match fix {
        Some((base, max)) if len <= max => out.push(base | len as u8),
        _ => match m8 {
            Some(m) if len <= u8::MAX as usize => out.extend_from_slice(&[m, len as u8]),
            _ if len <= u16::MAX as usize => {
                out.push(m16);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            }
            _ => {
                out.push(m32);
                out.extend_from_slice(&(len as u32).to_be_bytes());
            }
        },
    }
}

/// Writes a str header and payload. The payload is written unchanged, valid UTF-8 or not.
///
/// Lengths above `u32::MAX` cannot be represented; callers stay far below them because the
/// message limit (docs/abi.md section 6) is 1 GiB.
#[inline]
pub fn write_str(out: &mut Vec<u8>, s: &[u8]) {
    write_len(out, s.len(), Some((0xa0, 31)), Some(0xd9), 0xda, 0xdb);
    out.extend_from_slice(s);
}

/// Writes a bin header and payload.
#[inline]
pub fn write_bin(out: &mut Vec<u8>, b: &[u8]) {
    write_bin_header(out, b.len());
    extend_bytes(out, b);
}

/// Appends `b` to `out`, copied in pieces of [`copy_piece`]'s length.
#[inline]
pub fn extend_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.reserve(b.len());
    let dst = out.as_ptr() as usize + out.len();
    match copy_piece(dst, b.as_ptr() as usize, b.len()) {
        n if n >= b.len() => out.extend_from_slice(b),
        n => b.chunks(n).for_each(|c| out.extend_from_slice(c)),
    }
}

/// How many bytes one `memcpy` should copy from address `src` to address `dst`, of a copy of
/// `len`: all of them, except when `dst` lies 1 to 63 bytes after `src` modulo 4096. glibc's
/// `memcpy` copies a few KiB or more with `rep movsb`, which on AMD Zen then runs about 15x
/// slower (measured on this project's EPYC machine: 19 us instead of 1.2 us for 64 KiB; an
/// `Echo` of 64 KiB went from 3 to 17 copies when its buffers fell so); pieces of 2 KiB are
/// copied with vector loops at full speed, whatever the distance.
#[inline]
pub fn copy_piece(dst: usize, src: usize, len: usize) -> usize {
    const PIECE: usize = 2048;
    if len > PIECE && (1..64).contains(&(dst.wrapping_sub(src) & 4095)) {
        PIECE
    } else {
        len
    }
}

/// Writes the header of a bin of `len` bytes, which the caller writes next (as
/// [`write_packed_header`] does for a packed array).
#[inline]
pub fn write_bin_header(out: &mut Vec<u8>, len: usize) {
    write_len(out, len, None, Some(0xc4), 0xc5, 0xc6);
}

/// Writes an array header.
#[inline]
pub fn write_array_len(out: &mut Vec<u8>, len: usize) {
    write_len(out, len, Some((0x90, 15)), None, 0xdc, 0xdd);
}

/// Writes a map header.
#[inline]
pub fn write_map_len(out: &mut Vec<u8>, len: usize) {
    write_len(out, len, Some((0x80, 15)), None, 0xde, 0xdf);
}

/// Writes a context the bridge makes for a call (docs/abi.md section 8.7): ext type 4 with 16
/// bytes, the token and the timeout in nanoseconds (0: none), both big-endian
/// (`d8 04 <token> <timeout>`). Op 3 with the token as its target cancels it.
pub fn write_context(out: &mut Vec<u8>, token: u64, timeout_ns: u64) {
    out.extend_from_slice(&[0xd8, 0x04]);
    out.extend_from_slice(&token.to_be_bytes());
    out.extend_from_slice(&timeout_ns.to_be_bytes());
}

/// Writes a handle: ext type 1 with the id as 8 big-endian bytes (`d7 01 ...`).
#[inline]
pub fn write_handle(out: &mut Vec<u8>, id: u64) {
    out.extend_from_slice(&[0xd7, 0x01]);
    out.extend_from_slice(&id.to_be_bytes());
}

/// The ext type of an out slot in a request (docs/abi.md section 8.6).
pub const EXT_OUT: u8 = 3;

/// Writes an out slot (docs/abi.md section 8.6): ext type 3 whose payload is `payload`, the
/// encoding of `[wire type, initial value]`, with the shortest ext header (fixext for 1, 2, 4,
/// 8 and 16 bytes).
pub fn write_out_slot(out: &mut Vec<u8>, payload: &[u8]) {
    write_ext(out, EXT_OUT as i8, payload);
}

/// The ext type of a tagged value inside `any` (docs/abi.md section 8.9): a str tag, then one
/// value.
pub const EXT_TAGGED: i8 = 6;
/// The ext type of a Go object inside `any` (docs/abi.md section 8.9): the handle id (8
/// big-endian bytes), then the type's key.
pub const EXT_OBJECT: i8 = 7;
/// MessagePack's timestamp extension type.
pub const EXT_TIMESTAMP: i8 = -1;

/// Writes an ext value of type `typ` with the shortest header.
pub fn write_ext(out: &mut Vec<u8>, typ: i8, payload: &[u8]) {
    write_ext_header(out, typ, payload.len());
    out.extend_from_slice(payload);
}

/// The longest ext header: `c9`, a 4-byte length, the type.
const EXT_HEADER_MAX: usize = 6;

/// Writes into `hdr` the shortest header of an ext value of type `typ` with `n` payload bytes
/// (fixext for 1, 2, 4, 8 and 16 bytes) and returns its length.
fn ext_header(hdr: &mut [u8; EXT_HEADER_MAX], typ: i8, n: usize) -> usize {
    let len = match n {
        1 | 2 | 4 | 8 | 16 => {
            hdr[0] = 0xd4 + n.trailing_zeros() as u8;
            1
        }
        _ => {
            if let Ok(b) = u8::try_from(n) {
                hdr[..2].copy_from_slice(&[0xc7, b]);
                2
            } else if let Ok(h) = u16::try_from(n) {
                hdr[0] = 0xc8;
                hdr[1..3].copy_from_slice(&h.to_be_bytes());
                3
            } else {
                hdr[0] = 0xc9;
                hdr[1..5].copy_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_be_bytes());
                5
            }
        }
    };
    hdr[len] = typ as u8;
    len + 1
}

/// Writes an ext value of type `typ` whose payload `body` writes straight into `out`, with the
/// shortest header, as [`write_ext`] does: no intermediate buffer (a call that passes times,
/// Go objects or buffers inside its arguments allocates nothing for them). The payload is moved
/// back over the unused part of the header reserved before it, which is nothing for payloads
/// of 64 KiB or more.
///
/// # Errors
///
/// What `body` returns; `out` then holds a partial encoding, which callers discard.
pub fn write_ext_with<E>(
    out: &mut Vec<u8>,
    typ: i8,
    body: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
) -> Result<(), E> {
    let start = out.len();
    out.extend_from_slice(&[0; EXT_HEADER_MAX]);
    body(out)?;
    let n = out.len() - start - EXT_HEADER_MAX;
    let mut hdr = [0u8; EXT_HEADER_MAX];
    let h = ext_header(&mut hdr, typ, n);
    if h < EXT_HEADER_MAX {
        out.copy_within(start + EXT_HEADER_MAX.., start + h);
        out.truncate(start + h + n);
    }
    out[start..start + h].copy_from_slice(&hdr[..h]);
    Ok(())
}

/// Writes the shortest header of an ext value of type `typ` whose payload, `n` bytes, the
/// caller writes next (fixext for 1, 2, 4, 8 and 16 bytes).
pub fn write_ext_header(out: &mut Vec<u8>, typ: i8, n: usize) {
    let mut hdr = [0u8; EXT_HEADER_MAX];
    let h = ext_header(&mut hdr, typ, n);
    out.extend_from_slice(&hdr[..h]);
}

/// The ext type of a packed array of numbers (docs/abi.md section 8.10): a kind byte, then the
/// elements as little-endian fixed-width values.
pub const EXT_PACKED: i8 = 8;

/// The element size of a packed array's kind byte (the letters of Python's `struct` module
/// with standard sizes: `b h i q` signed, `B H I Q` unsigned, `f d` floats), None for any
/// other byte.
pub fn packed_size(kind: u8) -> Option<usize> {
    Some(match kind {
        b'b' | b'B' => 1,
        b'h' | b'H' => 2,
        b'i' | b'I' | b'f' => 4,
        b'q' | b'Q' | b'd' => 8,
        _ => return None,
    })
}

/// Writes the header of a packed array of kind `kind` holding `len` bytes of elements, and its
/// kind byte: the caller then writes the `len` bytes (docs/abi.md section 8.10).
pub fn write_packed_header(out: &mut Vec<u8>, kind: u8, len: usize) {
    write_ext_header(out, EXT_PACKED, len + 1);
    out.push(kind);
}

/// The most zero bytes a packed array's payload may hold before its kind byte (docs/abi.md
/// section 8.12): padding that puts the elements at an aligned offset of the request.
pub const MAX_PACKED_PAD: usize = 8;

/// The length of the ext header of a payload of `n` bytes as [`write_ext_header`] writes it.
pub fn ext_header_len(n: usize) -> usize {
    let mut hdr = [0u8; EXT_HEADER_MAX];
    ext_header(&mut hdr, EXT_PACKED, n)
}

/// The zero bytes to put before the kind byte of a packed array of `len` bytes of `kind`
/// to be written from offset `at` of a message, so that its elements start at an offset that is
/// a multiple of their size (docs/abi.md section 8.12). `outer(whole)` is the number of bytes
/// written between `at` and the packed array's own ext header when the packed array takes
/// `whole` bytes in all (an enclosing out slot's headers; 0 for none).
///
/// `min` is the least padding (1 for an in/out buffer's initial value: the host's sign that it
/// takes the final value from the request; 0 otherwise).
pub fn packed_pad(
    at: usize,
    kind: u8,
    len: usize,
    min: usize,
    outer: impl Fn(usize) -> usize,
) -> usize {
    let size = packed_size(kind).unwrap_or(1);
    (min..min + size)
        .find(|&pad| {
            let payload = pad + 1 + len;
            let whole = ext_header_len(payload) + payload;
            (at + outer(whole) + ext_header_len(payload) + pad + 1).is_multiple_of(size)
        })
        .unwrap_or(min)
}

/// [`write_packed_header`] with the padding of [`packed_pad`]: the elements the caller writes
/// next start at an offset of `out` that is a multiple of their size, so that a bridge may read
/// them in place (docs/abi.md section 8.12). Only for a bridge that accepts padding (one whose
/// schema marks the parameter `in_place`).
pub fn write_packed_header_aligned(out: &mut Vec<u8>, kind: u8, len: usize) {
    let pad = packed_pad(out.len(), kind, len, 0, |_| 0);
    write_ext_header(out, EXT_PACKED, pad + len + 1);
    out.resize(out.len() + pad, 0);
    out.push(kind);
}

/// Reads the payload of a packed array (ext type 8): its kind byte and element bytes, checked
/// (a known kind, a whole number of elements). Up to [`MAX_PACKED_PAD`] zero bytes before the
/// kind byte are padding (docs/abi.md section 8.12).
///
/// # Errors
///
/// A message naming what is wrong.
pub fn packed_payload(payload: &[u8]) -> Result<(u8, &[u8]), String> {
    let pad = payload
        .iter()
        .take(MAX_PACKED_PAD)
        .take_while(|&&b| b == 0)
        .count();
    let payload = &payload[pad..];
    let Some((&kind, data)) = payload.split_first() else {
        return Err("malformed packed array (ext type 8): no kind byte".into());
    };
    let Some(size) = packed_size(kind) else {
        return Err(format!(
            "malformed packed array (ext type 8): unknown kind byte 0x{kind:02x}"
        ));
    };
    if data.len() % size != 0 {
        return Err(format!(
            "malformed packed array (ext type 8): {} bytes is not a whole number of {size}-byte elements",
            data.len()
        ));
    }
    Ok((kind, data))
}

/// Writes a time at UTC offset 0 as MessagePack's timestamp (ext type -1), in its shortest
/// form: 4 bytes (seconds in `u32`, no nanoseconds), 8 bytes (30-bit nanoseconds, 34-bit
/// seconds) or 12 bytes (`u32` nanoseconds, `i64` seconds). `nanos` must be below 10^9.
pub fn write_timestamp(out: &mut Vec<u8>, secs: i64, nanos: u32) {
    let mut p = [0u8; 12];
    let n = match u64::try_from(secs) {
        Ok(s) if s >> 32 == 0 && nanos == 0 => {
            p[..4].copy_from_slice(&(s as u32).to_be_bytes());
            4
        }
        Ok(s) if s >> 34 == 0 => {
            p[..8].copy_from_slice(&((u64::from(nanos) << 34) | s).to_be_bytes());
            8
        }
        _ => {
            p[..4].copy_from_slice(&nanos.to_be_bytes());
            p[4..].copy_from_slice(&secs.to_be_bytes());
            12
        }
    };
    write_ext(out, EXT_TIMESTAMP, &p[..n]);
}

/// Writes a Go object inside `any`: ext type 7, the id, then the type key.
pub fn write_object(out: &mut Vec<u8>, id: u64, key: &str) {
    let _ = write_ext_with(out, EXT_OBJECT, |p| {
        p.extend_from_slice(&id.to_be_bytes());
        p.extend_from_slice(key.as_bytes());
        Ok::<(), std::convert::Infallible>(())
    });
}

/// Writes a tagged value inside `any` (ext type 6) whose payload, the tag and its value, `body`
/// writes.
pub fn write_tagged<E>(
    out: &mut Vec<u8>,
    tag: &str,
    body: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
) -> Result<(), E> {
    write_ext_with(out, EXT_TAGGED, |p| {
        write_str(p, tag.as_bytes());
        body(p)
    })
}

/// Writes a [`Value`] in canonical form, as a whole message: it may nest containers at most
/// [`Limits::ABI`](crate::Limits::ABI)`.max_depth` (64) deep.
///
/// On error, `out` may hold a partial encoding; callers discard it.
///
/// # Errors
///
/// [`EncodeError::TooDeep`] for a value nested deeper than that; the writer never recurses
/// past the limit.
pub fn write_value(out: &mut Vec<u8>, v: &Value) -> Result<(), EncodeError> {
    write_value_max(out, v, crate::Limits::ABI.max_depth)
}

/// Writes `v` canonically, allowing `max` levels of nesting, handles included: a whole message
/// ([`write_value`]) or one place of an envelope (an argument, a result, a detail value).
pub(crate) fn write_value_max(out: &mut Vec<u8>, v: &Value, max: usize) -> Result<(), EncodeError> {
    write_value_within(out, v, max).map_err(|_| EncodeError::TooDeep { max })
}

/// Why [`write_value_within`] refused a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// It nests deeper than the budget.
    TooDeep,
}

/// Writes `v` canonically, allowing containers to nest at most `budget` deep (the outermost
/// container of `v` is depth 1; a tagged value counts as a level). The recursion stops at
/// the budget, so its depth is bounded by the budget, never by the value.
pub(crate) fn write_value_within(
    out: &mut Vec<u8>,
    v: &Value,
    budget: usize,
) -> Result<(), Refused> {
    match v {
        Value::Nil => write_nil(out),
        Value::Bool(b) => write_bool(out, *b),
        Value::Int(i) => write_int(out, *i),
        Value::Uint(u) => write_uint(out, *u),
        Value::F32(f) => write_f32(out, *f),
        Value::F64(f) => write_f64(out, *f),
        Value::Str(s) => write_str(out, s.as_bytes()),
        Value::RawStr(b) => write_str(out, b),
        Value::Bytes(b) => write_bin(out, b),
        Value::List(items) => {
            let inner = budget.checked_sub(1).ok_or(Refused::TooDeep)?;
            write_array_len(out, items.len());
            for item in items {
                write_value_within(out, item, inner)?;
            }
        }
        Value::Map(entries) => {
            let inner = budget.checked_sub(1).ok_or(Refused::TooDeep)?;
            write_map_len(out, entries.len());
            for (k, v) in entries {
                write_str(out, k.as_bytes());
                write_value_within(out, v, inner)?;
            }
        }
        Value::Handle(id) => write_handle(out, *id),
        Value::Timestamp { secs, nanos } => write_timestamp(out, *secs, *nanos),
        Value::Tagged(tag, v) => {
            // The tagged value counts as a level, so that tags nested in tags stay bounded.
            let inner = budget.checked_sub(1).ok_or(Refused::TooDeep)?;
            write_tagged(out, tag, |p| write_value_within(p, v, inner))?;
        }
        Value::Object(id, key) => write_object(out, *id, key),
        Value::Packed(kind, data) => {
            write_packed_header(out, *kind, data.len());
            out.extend_from_slice(data);
        }
    }
    Ok(())
}

#[cfg(test)]
mod ext_tests {
    use super::*;

    #[test]
    fn an_ext_written_in_place_is_the_ext_written_from_a_payload() {
        for n in (0..=300).chain([1023, 65_535, 65_536, 70_000]) {
            let payload: Vec<u8> = (0..n).map(|i| (i * 7) as u8).collect();
            let mut want = vec![0xaa];
            write_ext(&mut want, 3, &payload);
            let mut got = vec![0xaa];
            write_ext_with(&mut got, 3, |out| {
                out.extend_from_slice(&payload);
                Ok::<(), ()>(())
            })
            .unwrap();
            assert_eq!(got, want, "{n} bytes");
        }
    }

    #[test]
    fn fixext_headers() {
        for (n, marker) in [(1, 0xd4), (2, 0xd5), (4, 0xd6), (8, 0xd7), (16, 0xd8)] {
            let mut out = Vec::new();
            write_ext(&mut out, -1, &vec![0; n]);
            assert_eq!(&out[..2], &[marker, 0xff]);
            assert_eq!(out.len(), n + 2);
        }
    }

    #[test]
    fn copy_pieces_only_where_the_destination_lies_just_after_the_source() {
        assert_eq!(copy_piece(4096 + 5, 4096, 65536), 2048);
        assert_eq!(copy_piece(8192 + 63, 4096, 65536), 2048);
        for d in [0usize, 64, 100, 2048, 4095] {
            assert_eq!(copy_piece(4096 + d, 4096, 65536), 65536, "distance {d}");
        }
        assert_eq!(
            copy_piece(4096 + 5, 4096, 2048),
            2048,
            "a short copy is one piece"
        );
        // Appending in pieces gives the same bytes: the destination placed 7 bytes after the
        // source modulo 4096.
        let src: Vec<u8> = (0..70_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
        let mut out = Vec::with_capacity(src.len() + 8192);
        let want = (src.as_ptr() as usize + 7).wrapping_sub(out.as_ptr() as usize) & 4095;
        out.resize(want, 0xaa);
        let dst = out.as_ptr() as usize + out.len();
        assert_eq!(copy_piece(dst, src.as_ptr() as usize, src.len()), 2048);
        extend_bytes(&mut out, &src);
        assert_eq!(&out[want..], &src[..]);
        assert!(out[..want].iter().all(|&b| b == 0xaa));
    }
}
