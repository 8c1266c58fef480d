//! The checks behind the Rust fuzz targets: each takes arbitrary bytes, runs one family of
//! decoders on them and asserts their invariants (a failed assertion is a finding).
//!
//! Not just "no panic": the validator agrees with an independent walk over the reader's tokens
//! (limits included, to the exact limit value), validation succeeding means decoding succeeds
//! unless the independent walk saw a value ABI 1 cannot represent, every decoded value encodes
//! and decodes back to itself (canonically, never longer than the input), and every error is
//! well formed (offsets inside the input, the limit that was broken).
//!
//! The libFuzzer driver (`fuzz/libfuzzer/`, run by `scripts/fuzz.sh`) calls these; the test
//! `tests/corpus.rs` replays every committed corpus and regression input through them in
//! `cargo test`, without any fuzzing toolchain.
#![forbid(unsafe_code)]

use std::path::Path;

use usegolib_abi::{
    decode_reply, decode_request, decode_value, encode_reply, encode_request, encode_typed,
    reply_body, validate, write_value, DecodeError, LimitKind, Limits, Reader, Reply, Token, Value,
    WireType,
};

/// A fuzz target: its name (the corpus directory and the libFuzzer binary are named so) and
/// its check.
pub struct Target {
    /// `value`, `request`, ...
    pub name: &'static str,
    /// Runs the decoders on the input and asserts their invariants.
    pub check: fn(&[u8]),
}

/// Every Rust fuzz target.
pub const TARGETS: &[Target] = &[
    Target {
        name: "value",
        check: check_value,
    },
    Target {
        name: "request",
        check: check_request,
    },
    Target {
        name: "reply",
        check: check_reply,
    },
    Target {
        name: "wire_type",
        check: check_wire_type,
    },
    Target {
        name: "manifest",
        check: check_manifest,
    },
];

/// What an independent walk over the reader's tokens found in a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// The deepest container nesting (the outermost container is depth 1; 0 for a scalar).
    pub depth: usize,
    /// Container elements summed over every container (an array element or a map entry each
    /// count one).
    pub elements: u64,
    /// Whether the value model can represent every value: map keys are UTF-8 strs, exts are
    /// handles, timestamps (-1), Go objects (7, an id and a UTF-8 key) or tagged values (6, a
    /// UTF-8 str tag and one such value).
    pub decodable: bool,
    /// The deepest nesting of containers and tagged values together (the decoder's depth).
    pub tagged_depth: usize,
}

/// Walks `data` token by token with an explicit stack (no recursion, no limits): `Some` when it
/// is exactly one well-formed MessagePack value. An oracle for [`validate`], written without it.
pub fn walk(data: &[u8]) -> Option<Shape> {
    struct Open {
        left: u64,
        map: bool,
        taken: u64,
    }
    let mut r = Reader::new(data);
    let mut open: Vec<Open> = Vec::new();
    let mut shape = Shape {
        depth: 0,
        elements: 0,
        decodable: true,
        tagged_depth: 0,
    };
    loop {
        let before = r.position();
        let is_key = open.last().is_some_and(|o| o.map && o.taken % 2 == 0);
        let token = r.next_token().ok()?;
        assert!(
            r.position() > before && r.position() <= data.len(),
            "the reader moved from {before} to {} in {} bytes",
            r.position(),
            data.len()
        );
        if let Some(top) = open.last_mut() {
            top.left -= 1;
            top.taken += 1;
        }
        if is_key && !matches!(token, Token::Str(s) if std::str::from_utf8(s).is_ok()) {
            shape.decodable = false;
        }
        match token {
            Token::Array(n) | Token::Map(n) => {
                let map = matches!(token, Token::Map(_));
                shape.elements += n as u64;
                open.push(Open {
                    left: if map { 2 * n as u64 } else { n as u64 },
                    map,
                    taken: 0,
                });
                shape.depth = shape.depth.max(open.len());
                shape.tagged_depth = shape.tagged_depth.max(open.len());
            }
            Token::Ext(1, d) if d.len() == 8 => {}
            Token::Ext(-1, d) if usegolib_abi::timestamp(d).is_some() => {}
            Token::Ext(7, d) if d.len() >= 8 && std::str::from_utf8(&d[8..]).is_ok() => {}
            Token::Ext(6, d) => match tagged_shape(d) {
                Some(inner) => {
                    shape.decodable &= inner.decodable;
                    shape.tagged_depth =
                        shape.tagged_depth.max(open.len() + 1 + inner.tagged_depth);
                }
                None => shape.decodable = false,
            },
            Token::Ext(..) => shape.decodable = false,
            _ => {}
        }
        while open.last().is_some_and(|o| o.left == 0) {
            open.pop();
        }
        if open.is_empty() {
            break;
        }
    }
    r.is_at_end().then_some(shape)
}

/// The shape of a tagged value's payload (ext type 6): a UTF-8 str tag, then exactly one value.
fn tagged_shape(payload: &[u8]) -> Option<Shape> {
    let mut r = Reader::new(payload);
    match r.next_token().ok()? {
        Token::Str(s) if std::str::from_utf8(s).is_ok() => {}
        _ => return None,
    }
    walk(&payload[r.position()..])
}

/// Asserts that a decode error is well formed for an input of `len` bytes under `limits`.
pub fn check_error(e: &DecodeError, len: usize, limits: &Limits) {
    match e {
        DecodeError::Malformed { offset, reason } => {
            assert!(
                *offset <= len,
                "offset {offset} past the input ({len}): {e}"
            );
            assert!(!reason.is_empty(), "a malformed error without a reason");
        }
        DecodeError::LimitExceeded { limit, max } => {
            let want = match limit {
                LimitKind::Size => limits.max_bytes as u64,
                LimitKind::Depth => limits.max_depth.min(Limits::DEPTH_CAP) as u64,
                LimitKind::Elements => limits.max_elements,
            };
            // The reader's own recursion bound may also be reported for depth.
            let reader_cap = *limit == LimitKind::Depth && *max == Limits::DEPTH_CAP as u64;
            assert!(*max == want || reader_cap, "{e}: the limit is {want}");
        }
    }
    assert!(!e.to_string().is_empty());
}

fn encode(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write_value(&mut out, v).unwrap_or_else(|e| panic!("a decoded value cannot be encoded: {e}"));
    out
}

/// Validation against the independent walk, limits to the exact value, decoding, round trips.
pub fn check_value(data: &[u8]) {
    let abi = Limits::ABI;
    let shape = walk(data);
    let valid = validate(data, &abi);
    if let Err(e) = &valid {
        check_error(e, data.len(), &abi);
    }
    let expect_valid = shape.is_some_and(|s| {
        s.depth <= abi.max_depth && s.elements <= abi.max_elements && data.len() <= abi.max_bytes
    });
    assert_eq!(
        valid.is_ok(),
        expect_valid,
        "validate says {valid:?}, the token walk says {shape:?}"
    );
    // Without validation the reader must still stop cleanly, whatever the bytes.
    let mut raw = Reader::new(data);
    match raw.read_value() {
        Ok(_) => assert!(raw.position() <= data.len()),
        Err(e) => check_error(&e, data.len(), &abi),
    }
    let decoded = decode_value(data, &abi);
    let Some(shape) = shape.filter(|_| valid.is_ok()) else {
        assert!(decoded.is_err(), "decoded what does not validate");
        return;
    };
    let representable = shape.decodable && shape.tagged_depth <= abi.max_depth;
    // Each limit holds at exactly the message's own figure and breaks one below it.
    let at = |max_bytes, max_depth, max_elements| Limits {
        max_bytes,
        max_depth,
        max_elements,
    };
    let tight = at(data.len(), shape.depth, shape.elements);
    assert_eq!(validate(data, &tight), Ok(()), "{shape:?}");
    for (limits, kind) in [
        (
            data.len().checked_sub(1).map(|b| Limits {
                max_bytes: b,
                ..tight
            }),
            LimitKind::Size,
        ),
        (
            shape.depth.checked_sub(1).map(|d| Limits {
                max_depth: d,
                ..tight
            }),
            LimitKind::Depth,
        ),
        (
            shape.elements.checked_sub(1).map(|n| Limits {
                max_elements: n,
                ..tight
            }),
            LimitKind::Elements,
        ),
    ] {
        let Some(limits) = limits else { continue };
        match validate(data, &limits) {
            Err(e @ DecodeError::LimitExceeded { limit, .. }) if limit == kind => {
                check_error(&e, data.len(), &limits)
            }
            other => panic!("{kind} limit {limits:?} on {shape:?}: {other:?}"),
        }
    }
    match decoded {
        Ok(v) => {
            assert!(representable, "decoded a value ABI 1 cannot represent");
            let bytes = encode(&v);
            assert!(
                bytes.len() <= data.len(),
                "the canonical form is longer than the input"
            );
            let back = decode_value(&bytes, &abi).expect("our own encoding does not decode");
            assert_eq!(back, v);
            assert_eq!(encode(&back), bytes, "the canonical encoding is not stable");
            assert!(!format!("{v:?}").is_empty());
        }
        Err(e) => {
            assert!(!representable, "valid and representable, but {e}");
            check_error(&e, data.len(), &abi);
        }
    }
}

/// `decode_request` agrees with validation and round-trips through `encode_request`.
pub fn check_request(data: &[u8]) {
    let abi = Limits::ABI;
    match decode_request(data, &abi) {
        Ok(req) => {
            assert_eq!(validate(data, &abi), Ok(()));
            assert!(walk(data).is_some_and(|s| s.decodable));
            let bytes = encode_request(&req).expect("a decoded request cannot be encoded");
            assert!(
                bytes.len() <= data.len(),
                "canonical form longer than input"
            );
            assert_eq!(decode_request(&bytes, &abi).as_ref(), Ok(&req));
        }
        Err(e) => check_error(&e, data.len(), &abi),
    }
}

/// Whether `data` starts with the tokens of a reply: an array of 2, then status 0 or 1.
fn reply_head(data: &[u8]) -> Option<bool> {
    let mut r = Reader::new(data);
    match (r.next_token().ok()?, r.next_token().ok()?) {
        (Token::Array(2), Token::Int(0)) => Some(true),
        (Token::Array(2), Token::Int(1)) => Some(false),
        _ => None,
    }
}

/// Puts a reply's detail in the order `encode_reply` writes it.
fn sorted(reply: Reply) -> Reply {
    match reply {
        Reply::Err(mut e) => {
            e.detail.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            Reply::Err(e)
        }
        ok => ok,
    }
}

/// `reply_body` (fast path included) agrees with full validation; `decode_reply` and the
/// error-body reader round-trip through `encode_reply`.
pub fn check_reply(data: &[u8]) {
    let abi = Limits::ABI;
    let expect = validate(data, &abi).ok().and_then(|()| reply_head(data));
    match reply_body(data, &abi) {
        Ok((ok, mut r)) => {
            assert_eq!(
                Some(ok),
                expect,
                "reply_body accepted what validation refuses"
            );
            match r.read_value() {
                Ok(_) => assert!(r.is_at_end(), "a reply body does not end the message"),
                Err(e) => check_error(&e, data.len(), &abi),
            }
        }
        Err(e) => {
            assert_eq!(expect, None, "reply_body refused a valid reply: {e}");
            check_error(&e, data.len(), &abi);
        }
    }
    match decode_reply(data, &abi) {
        Ok(reply) => {
            assert!(expect.is_some());
            let bytes = encode_reply(&reply).expect("a decoded reply cannot be encoded");
            let back = decode_reply(&bytes, &abi).expect("our own reply does not decode");
            assert_eq!(back, sorted(reply));
        }
        Err(e) => check_error(&e, data.len(), &abi),
    }
}

/// How many type constructors nest in `t`, counted without recursion.
fn nesting(t: &WireType) -> usize {
    std::iter::successors(t.inner(), |t| t.inner()).count()
}

/// `WireType::parse` on the input (and on its first line), Display round trips, and typed
/// encoding of the value after the first line as that type.
pub fn check_wire_type(data: &[u8]) {
    let parse = |bytes: &[u8]| {
        let s = std::str::from_utf8(bytes).ok()?;
        match WireType::parse(s) {
            Ok(t) => {
                assert!(nesting(&t) <= WireType::MAX_NESTING, "{s:?} nests too deep");
                let text = t.to_string();
                assert_eq!(WireType::parse(&text).as_ref(), Ok(&t), "{s:?} -> {text:?}");
                Some(t)
            }
            Err(e) => {
                assert!(!e.reason.is_empty());
                None
            }
        }
    };
    parse(data);
    let Some(nl) = data.iter().position(|&b| b == b'\n') else {
        return;
    };
    let (Some(ty), Ok(v)) = (
        parse(&data[..nl]),
        decode_value(&data[nl + 1..], &Limits::ABI),
    ) else {
        return;
    };
    let mut out = Vec::new();
    match encode_typed(&mut out, &ty, &v) {
        Ok(()) => {
            let back = decode_value(&out, &Limits::ABI)
                .unwrap_or_else(|e| panic!("typed encoding as {ty} is not a valid value: {e}"));
            let mut again = Vec::new();
            encode_typed(&mut again, &ty, &back)
                .unwrap_or_else(|e| panic!("re-encoding as {ty} failed: {e}"));
            assert_eq!(again, out, "typed encoding as {ty} is not stable");
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

/// `v` with every number that is not an integer replaced by null. serde_json (without its
/// `float_roundtrip` feature) parses floats, and integers beyond 64 bits, to the nearest f64
/// only on a best-effort basis, so printing and parsing such a number again may move it by
/// one ulp (a finding of this target: an `"id"` of 128 digits). No manifest field is a float:
/// a schema holding one is refused when its integer is read, so the comparison leaves them out.
fn floats_erased(mut v: serde_json::Value) -> serde_json::Value {
    let mut stack = vec![&mut v];
    while let Some(node) = stack.pop() {
        match node {
            serde_json::Value::Number(n) if n.is_f64() => *node = serde_json::Value::Null,
            serde_json::Value::Array(items) => stack.extend(items.iter_mut()),
            serde_json::Value::Object(map) => stack.extend(map.values_mut()),
            _ => {}
        }
    }
    v
}

/// `parse_manifest` and the schema checks of loading, on arbitrary bytes; what parses
/// round-trips through serde.
pub fn check_manifest(data: &[u8]) {
    let path = Path::new("fuzz/manifest.json");
    let m = match usegolib_loader::parse_manifest(data, path) {
        Ok(m) => m,
        Err(e) => {
            assert!(e.to_string().contains("fuzz/manifest.json"), "{e}");
            return;
        }
    };
    let json = serde_json::to_vec(&m).expect("a parsed manifest serializes");
    let again = usegolib_loader::parse_manifest(&json, path).expect("it parses again");
    assert_eq!(
        serde_json::to_value(&again).ok().map(floats_erased),
        serde_json::to_value(&m).ok().map(floats_erased)
    );
    match usegolib_loader::check_schema(&m, path) {
        Ok(schema) => {
            for f in schema.packages.iter().flat_map(|p| &p.functions) {
                for p in f.params.iter().chain(&f.results) {
                    assert!(p.wire_type().is_ok(), "{} passed the check", p.wire);
                }
            }
            let v = serde_json::to_value(&schema).expect("a schema serializes");
            let back: usegolib_loader::Schema =
                serde_json::from_value(v.clone()).expect("it deserializes again");
            assert_eq!(serde_json::to_value(&back).ok(), Some(v));
        }
        Err(e) => assert!(e.to_string().contains("fuzz/manifest.json"), "{e}"),
    }
}
