//! Property tests: canonical encode/decode round trips, typed encoding, and a differential check
//! against rmpv (an independent MessagePack implementation).

use proptest::prelude::*;
use usegolib_abi::{
    decode_reply, decode_request, decode_value, encode_reply, encode_request, encode_typed,
    write_value, IntType, Limits, Reply, Request, Target, Value, WireType,
};

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Nil),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        any::<u64>().prop_map(Value::from),
        any::<u32>().prop_map(|b| Value::F32(f32::from_bits(b))),
        any::<u64>().prop_map(|b| Value::F64(f64::from_bits(b))),
        ".{0,40}".prop_map(Value::Str),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(Value::from_go_string),
        proptest::collection::vec(any::<u8>(), 0..300).prop_map(Value::Bytes),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 64, 20, |inner| {
        proptest::collection::vec(inner, 0..20).prop_map(Value::List)
    })
}

fn encode(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write_value(&mut out, v).unwrap();
    out
}

fn has_raw_str(v: &Value) -> bool {
    match v {
        Value::RawStr(_) => true,
        Value::List(items) => items.iter().any(has_raw_str),
        _ => false,
    }
}

proptest! {
    #[test]
    fn values_round_trip(v in value()) {
        let bytes = encode(&v);
        prop_assert_eq!(decode_value(&bytes, &Limits::ABI).unwrap(), v);
    }

    #[test]
    fn rmpv_reads_what_we_write_and_we_read_what_it_writes(v in value()) {
        // rmpv re-encodes a str holding invalid UTF-8 as bin, so leave those to the other tests.
        prop_assume!(!has_raw_str(&v));
        let bytes = encode(&v);
        let theirs = rmpv::decode::read_value(&mut &bytes[..]).unwrap();
        let mut back = Vec::new();
        rmpv::encode::write_value(&mut back, &theirs).unwrap();
        // rmpv also writes the shortest forms, so both encoders agree byte for byte.
        prop_assert_eq!(&back, &bytes);
        prop_assert_eq!(decode_value(&back, &Limits::ABI).unwrap(), v);
    }

    #[test]
    fn requests_and_replies_round_trip(id in any::<u32>(), args in proptest::collection::vec(value(), 0..5), r in value()) {
        let req = Request::call(Target::Id(id), args);
        prop_assert_eq!(decode_request(&encode_request(&req).unwrap(), &Limits::ABI).unwrap(), req);
        let reply = Reply::Ok(r);
        prop_assert_eq!(decode_reply(&encode_reply(&reply).unwrap(), &Limits::ABI).unwrap(), reply);
    }

    #[test]
    fn the_scalar_reply_fast_path_agrees_with_full_validation(tail in proptest::collection::vec(any::<u8>(), 0..12), status in 0u8..3) {
        let mut bytes = vec![0x92, status];
        bytes.extend_from_slice(&tail);
        let fast = usegolib_abi::reply_body(&bytes, &Limits::ABI).is_ok();
        let full = usegolib_abi::validate(&bytes, &Limits::ABI).is_ok() && status <= 1;
        prop_assert_eq!(fast, full, "{:x?}", bytes);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = decode_value(&bytes, &Limits::ABI);
        let _ = decode_request(&bytes, &Limits::ABI);
        let _ = decode_reply(&bytes, &Limits::ABI);
    }

    #[test]
    fn typed_ints_are_exact(bits in prop_oneof![Just(8u8), Just(16), Just(32), Just(64)], signed in any::<bool>(), v in any::<i64>(), u in any::<u64>()) {
        let t = IntType { bits, signed };
        for candidate in [Value::Int(v), Value::from(u)] {
            let n = candidate.as_i128().unwrap();
            let mut out = Vec::new();
            let r = encode_typed(&mut out, &WireType::Int(t), &candidate);
            prop_assert_eq!(r.is_ok(), n >= t.min() && n <= t.max());
            if r.is_ok() {
                prop_assert_eq!(decode_value(&out, &Limits::ABI).unwrap().as_i128(), Some(n));
            }
        }
    }
}
