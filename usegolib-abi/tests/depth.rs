//! Deep values: every encoder refuses a value nested deeper than docs/abi.md section 6 allows
//! with a typed error, exactly where the decoders would refuse it, and nothing over `Value`
//! (encode, drop, `==`, `Debug`) or over wire-type spellings overflows the stack.
//!
//! Each test runs in a thread with an ordinary 2 MiB stack, on values 10^5 or 10^6 levels deep,
//! which recursion of even a few dozen bytes per level could not survive.

use usegolib_abi::{
    decode_reply, decode_request, decode_value, encode_reply, encode_request, encode_typed,
    write_value, DecodeError, EncodeError, ErrorKind, ErrorReply, LimitKind, Limits, Reader, Reply,
    Request, Target, Value, WireType, ARG_MAX_DEPTH, DETAIL_MAX_DEPTH, RESULT_MAX_DEPTH,
};

/// Runs `f` in a thread with a normal stack and propagates its panics.
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

/// A list nested `depth` levels deep (`[[[...[1]...]]]`), built without recursion.
fn nested_list(depth: usize) -> Value {
    let mut v = Value::Int(1);
    for _ in 0..depth {
        v = Value::List(vec![v]);
    }
    v
}

/// A map nested `depth` levels deep (`{"k": {"k": ... 1}}`).
fn nested_map(depth: usize) -> Value {
    let mut v = Value::Int(1);
    for _ in 0..depth {
        v = Value::Map(vec![("k".into(), v)]);
    }
    v
}

fn encode(v: &Value) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    write_value(&mut out, v).map(|()| out)
}

#[test]
fn a_value_nested_100000_deep_is_refused_by_every_encoder() {
    on_small_stack(|| {
        for make in [nested_list as fn(usize) -> Value, nested_map] {
            let deep = || make(100_000);
            assert_eq!(encode(&deep()), Err(EncodeError::TooDeep { max: 64 }));
            let req = Request::call(Target::Id(0), vec![deep()]);
            assert_eq!(
                encode_request(&req),
                Err(EncodeError::TooDeep { max: ARG_MAX_DEPTH })
            );
            assert_eq!(
                encode_reply(&Reply::Ok(deep())),
                Err(EncodeError::TooDeep {
                    max: RESULT_MAX_DEPTH
                })
            );
            let err = Reply::Err(ErrorReply {
                kind: ErrorKind::GoError,
                message: "m".into(),
                detail: vec![("d".into(), deep())],
            });
            assert_eq!(
                encode_reply(&err),
                Err(EncodeError::TooDeep {
                    max: DETAIL_MAX_DEPTH
                })
            );
            let mut out = Vec::new();
            let e = encode_typed(&mut out, &WireType::Any, &deep()).unwrap_err();
            assert!(e.reason.contains("more than 62 deep"), "{e}");
            assert!(
                e.reason.contains("depth limit is 64 for a whole request"),
                "{e}"
            );
        }
        // The message says what to do, and the limit of a whole message.
        let text = EncodeError::TooDeep { max: 64 }.to_string();
        assert!(text.contains("flatten it"), "{text}");
        assert!(
            text.contains("depth limit is 64 for a whole message"),
            "{text}"
        );
    });
}

#[test]
fn typed_encoding_refuses_deep_lists_of_a_deep_wire_type() {
    on_small_stack(|| {
        // A wire type spelled 70 levels deep is refused when parsed; built by hand, the value
        // is what is refused.
        let mut ty = WireType::Int(usegolib_abi::IntType {
            bits: 64,
            signed: true,
        });
        for _ in 0..70 {
            ty = WireType::List(Box::new(WireType::Ptr(Box::new(ty))));
        }
        let mut out = Vec::new();
        let e = encode_typed(&mut out, &ty, &nested_list(70)).unwrap_err();
        assert!(e.reason.contains("more than 62 deep"), "{e}");
        assert_eq!(e.path.len(), ARG_MAX_DEPTH, "{e}");
        out.clear();
        let mut ty62 = WireType::Int(usegolib_abi::IntType {
            bits: 64,
            signed: true,
        });
        for _ in 0..62 {
            ty62 = WireType::List(Box::new(ty62));
        }
        encode_typed(&mut out, &ty62, &nested_list(62)).unwrap();
    });
}

#[test]
fn encoders_and_decoders_agree_on_the_boundary() {
    on_small_stack(|| {
        // A whole message: 64 levels pass both ways, 65 fail both ways.
        let at = encode(&nested_list(64)).unwrap();
        assert_eq!(decode_value(&at, &Limits::ABI).unwrap(), nested_list(64));
        assert_eq!(
            encode(&nested_list(65)),
            Err(EncodeError::TooDeep { max: 64 })
        );
        let mut over = vec![0x91u8; 65];
        over.push(0x01);
        assert!(matches!(
            decode_value(&over, &Limits::ABI),
            Err(DecodeError::LimitExceeded {
                limit: LimitKind::Depth,
                ..
            })
        ));
        // A request argument: 62 levels are the most that decode.
        for depth in [ARG_MAX_DEPTH, ARG_MAX_DEPTH + 1] {
            let req = Request::call(Target::Id(1), vec![nested_map(depth)]);
            match encode_request(&req) {
                Ok(bytes) => {
                    assert_eq!(depth, ARG_MAX_DEPTH);
                    assert_eq!(decode_request(&bytes, &Limits::ABI).unwrap(), req);
                }
                Err(e) => {
                    assert_eq!(depth, ARG_MAX_DEPTH + 1);
                    assert_eq!(e, EncodeError::TooDeep { max: ARG_MAX_DEPTH });
                }
            }
            let mut typed = Vec::new();
            let fits = encode_typed(&mut typed, &WireType::Any, &nested_map(depth)).is_ok();
            assert_eq!(fits, depth == ARG_MAX_DEPTH);
        }
        // A reply result: 63.
        let ok = Reply::Ok(nested_list(RESULT_MAX_DEPTH));
        let bytes = encode_reply(&ok).unwrap();
        assert_eq!(decode_reply(&bytes, &Limits::ABI).unwrap(), ok);
        assert!(encode_reply(&Reply::Ok(nested_list(RESULT_MAX_DEPTH + 1))).is_err());
    });
}

#[test]
fn dropping_comparing_and_printing_a_million_levels_do_not_overflow() {
    on_small_stack(|| {
        let a = nested_list(1_000_000);
        let b = nested_list(1_000_000);
        assert_eq!(a, b);
        assert_ne!(a, nested_list(999_999));
        assert_ne!(nested_map(1_000_000), nested_list(1_000_000));
        let text = format!("{:?}", nested_list(200));
        assert!(text.starts_with("List([List([List(["), "{text}");
        assert!(text.contains(".."), "{text}");
        // Shallow values print as before.
        assert_eq!(
            format!("{:?}", Value::Map(vec![("k".into(), Value::Int(1))])),
            r#"Map([("k", Int(1))])"#
        );
        drop(a);
        drop(b);
        drop(nested_map(1_000_000));
    });
}

#[test]
fn the_reader_bounds_its_recursion_without_validate() {
    on_small_stack(|| {
        let mut deep = vec![0x91u8; 100_000];
        deep.push(0x01);
        assert_eq!(
            Reader::new(&deep).read_value(),
            Err(DecodeError::LimitExceeded {
                limit: LimitKind::Depth,
                max: 128
            })
        );
        let mut ok = vec![0x81u8, 0xa1, b'k'];
        ok.extend([0x91; 100]);
        ok.push(0x01);
        assert!(Reader::new(&ok).read_value().is_ok());
    });
}

#[test]
fn wire_type_spellings_nest_at_most_64_levels() {
    on_small_stack(|| {
        let spelled = |n: usize, ctor: &str| format!("{}int64", ctor.repeat(n));
        for ctor in ["[]", "*", "map[string]", "[3]"] {
            let t = WireType::parse(&spelled(64, ctor)).unwrap();
            assert_eq!(WireType::parse(&t.to_string()).unwrap(), t);
            let e = WireType::parse(&spelled(65, ctor)).unwrap_err();
            assert!(e.reason.contains("nests more than 64"), "{e}");
            let e = WireType::parse(&spelled(500_000, ctor)).unwrap_err();
            assert!(e.reason.contains("nests more than 64"), "{e}");
            assert!(
                e.reason.len() < 300,
                "the message quotes a short prefix: {e}"
            );
        }
    });
}
