//! The ext values of `any` (docs/abi.md section 8.9): the same bytes as the Go bridge's
//! `TestEncoderAny` and `TestDecoderAnyExact` (go/bridge/types_test.go), decoded and encoded.

use usegolib_abi::{
    decode_reply, decode_value, encode_typed, write_value, DecodeError, LimitKind, Limits, Reply,
    Value, WireType,
};

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

fn encode(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write_value(&mut out, v).unwrap();
    out
}

#[test]
fn ext_values_round_trip_canonically() {
    let tagged = |t: &str, v: Value| Value::Tagged(t.into(), Box::new(v));
    for (bytes, v) in [
        ("d6 ff 00 00 00 01", Value::Timestamp { secs: 1, nanos: 0 }),
        ("d7 ff 00 00 00 14 00 00 00 00", Value::Timestamp { secs: 0, nanos: 5 }),
        (
            "c7 0c ff 00 00 00 00 ff ff ff ff ff ff ff ff",
            Value::Timestamp { secs: -1, nanos: 0 },
        ),
        (
            "c7 0b 06 a4 74 69 6d 65 93 3c 00 cd 0e 10",
            tagged("time", Value::List(vec![60.into(), 0.into(), 3600.into()])),
        ),
        ("c7 0a 06 a8 64 75 72 61 74 69 6f 6e 03", tagged("duration", 3.into())),
        (
            "c7 1d 06 a5 65 72 72 6f 72 92 a1 65 b3 2a 65 72 72 6f 72 73 2e 65 72 72 6f 72 53 74 72 69 6e 67",
            tagged("error", Value::List(vec!["e".into(), "*errors.errorString".into()])),
        ),
        (
            "c7 0b 07 00 00 00 00 00 00 00 09 6d 2e 54",
            Value::Object(9, "m.T".into()),
        ),
    ] {
        let b = hex(bytes);
        assert_eq!(decode_value(&b, &Limits::ABI).unwrap(), v, "{bytes}");
        assert_eq!(encode(&v), b, "{v:?}");
    }
    // The 12-byte timestamp of a small time decodes, and encodes in the 8-byte form.
    let long = hex("c7 0c ff 00 00 00 05 00 00 00 00 00 00 00 07");
    let v = decode_value(&long, &Limits::ABI).unwrap();
    assert_eq!(v, Value::Timestamp { secs: 7, nanos: 5 });
    assert_eq!(encode(&v), hex("d7 ff 00 00 00 14 00 00 00 07"));
}

#[test]
fn malformed_ext_values_are_refused() {
    for bytes in [
        "d5 ff 00 00",                         // a timestamp of 2 bytes
        "d7 ff ff ff ff ff 00 00 00 00",       // nanoseconds above 999999999
        "d4 06 c0",                            // a tag that is not a str
        "d5 06 a1 78",                         // a tag and no value
        "d6 06 a1 78 01 02",                   // a tag and two values
        "d6 07 00 00 00 01",                   // a Go object of 4 bytes
        "c7 09 07 00 00 00 00 00 00 00 01 ff", // a type key that is not UTF-8
        "d4 02 00",                            // ext type 2 is no value
    ] {
        match decode_value(&hex(bytes), &Limits::ABI) {
            Err(DecodeError::Malformed { .. }) => {}
            other => panic!("{bytes}: {other:?}"),
        }
    }
}

/// Tagged values nest inside one another without a container: each counts as a level, so their
/// nesting is bounded as containers are, and a decoded value always encodes again.
#[test]
fn tagged_values_count_as_levels() {
    let mut v = Value::Nil;
    for _ in 0..70 {
        v = Value::Tagged("x".into(), Box::new(v));
    }
    let mut out = Vec::new();
    assert!(write_value(&mut out, &v).is_err());
    // Built by hand: 70 nested tags around nil, as a reply's result.
    let mut payload = vec![0xc0];
    for _ in 0..70 {
        let mut p = vec![0xa1, b'x'];
        p.extend_from_slice(&payload);
        let mut ext = vec![0xc8];
        ext.extend_from_slice(&(p.len() as u16).to_be_bytes());
        ext.push(0x06);
        ext.extend_from_slice(&p);
        payload = ext;
    }
    let mut reply = vec![0x92, 0x00];
    reply.extend_from_slice(&payload);
    match decode_reply(&reply, &Limits::ABI) {
        Err(DecodeError::LimitExceeded {
            limit: LimitKind::Depth,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    // 10 deep is fine.
    let mut small = Value::Nil;
    for _ in 0..10 {
        small = Value::Tagged("x".into(), Box::new(small));
    }
    let mut reply = vec![0x92, 0x00];
    reply.extend_from_slice(&encode(&small));
    assert_eq!(
        decode_reply(&reply, &Limits::ABI).unwrap(),
        Reply::Ok(small)
    );
}

/// A handle inside an `any` argument gives Go the value it holds: the Rust API writes it.
#[test]
fn any_arguments_carry_handles_and_ext_values() {
    let mut out = Vec::new();
    let v = Value::List(vec![
        Value::Handle(3),
        Value::Timestamp { secs: 1, nanos: 0 },
    ]);
    encode_typed(&mut out, &WireType::Any, &v).unwrap();
    assert_eq!(
        out,
        hex("92 d7 01 00 00 00 00 00 00 00 03 d6 ff 00 00 00 01")
    );
}
