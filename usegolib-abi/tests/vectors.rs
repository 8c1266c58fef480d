//! The frozen conformance vectors in `tests/fixtures/abi/` (see its README.md): every pair must
//! decode to what its description says and, when canonical, encode back to the same bytes.
//!
//! `USEGOLIB_WRITE_VECTORS=1 cargo test -p usegolib-abi --test vectors` writes the vectors defined
//! in `definitions()` that do not exist yet (never overwriting one) and appends them to SHA256SUMS.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use serde_json::{json, Value as Json};
use sha2::{Digest, Sha256};
use usegolib_abi::{
    decode_reply, decode_request, decode_value, encode_reply, encode_request, read_error_body,
    reply_parts, write_array_len, write_out_slot, write_str, write_value, DecodeError, ErrorKind,
    ErrorReply, LimitKind, Limits, Reply, Request, Target, Token, Value,
};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/abi")
}

fn typed_to_value(j: &Json) -> Value {
    let obj = j.as_object().expect("typed value is an object");
    let (k, v) = obj.iter().next().expect("typed value has one key");
    match k.as_str() {
        "nil" => Value::Nil,
        "bool" => Value::Bool(v.as_bool().unwrap()),
        "int" => {
            let n: i128 = v.as_str().unwrap().parse().unwrap();
            match i64::try_from(n) {
                Ok(i) => Value::Int(i),
                Err(_) => Value::Uint(u64::try_from(n).unwrap()),
            }
        }
        "f32" => Value::F32(f32::from_bits(
            u32::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap(),
        )),
        "f64" => Value::F64(f64::from_bits(
            u64::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap(),
        )),
        "str" => Value::Str(v.as_str().unwrap().to_owned()),
        "str_hex" => Value::from_go_string(hex::decode(v.as_str().unwrap()).unwrap()),
        "bin" => Value::Bytes(hex::decode(v.as_str().unwrap()).unwrap()),
        "list" => Value::List(v.as_array().unwrap().iter().map(typed_to_value).collect()),
        "map" => Value::Map(json_to_detail(v)),
        "handle" => Value::Handle(v.as_str().unwrap().parse().unwrap()),
        "packed" => {
            let kind = v["kind"].as_str().unwrap().as_bytes()[0];
            Value::Packed(kind, hex::decode(v["hex"].as_str().unwrap()).unwrap())
        }
        other => panic!("unknown typed value key {other}"),
    }
}

fn value_to_typed(v: &Value) -> Json {
    match v {
        Value::Nil => json!({"nil": null}),
        Value::Bool(b) => json!({"bool": b}),
        Value::Int(i) => json!({"int": i.to_string()}),
        Value::Uint(u) => json!({"int": u.to_string()}),
        Value::F32(f) => json!({"f32": format!("0x{:08x}", f.to_bits())}),
        Value::F64(f) => json!({"f64": format!("0x{:016x}", f.to_bits())}),
        Value::Str(s) => json!({"str": s}),
        Value::RawStr(b) => json!({"str_hex": hex::encode(b)}),
        Value::Bytes(b) => json!({"bin": hex::encode(b)}),
        Value::List(items) => json!({"list": items.iter().map(value_to_typed).collect::<Vec<_>>()}),
        Value::Map(entries) => {
            json!({"map": entries.iter().map(|(k, v)| json!([k, value_to_typed(v)])).collect::<Vec<_>>()})
        }
        Value::Handle(id) => json!({"handle": id.to_string()}),
        // No frozen vector holds these (docs/abi.md section 8.9); tests/any_ext.rs pins them.
        Value::Timestamp { secs, nanos } => json!({"timestamp": [secs.to_string(), nanos]}),
        Value::Tagged(tag, v) => json!({"tagged": [tag, value_to_typed(v)]}),
        Value::Object(id, key) => json!({"object": [id.to_string(), key]}),
        Value::Packed(kind, data) => {
            json!({"packed": {"kind": char::from(*kind).to_string(), "hex": hex::encode(data)}})
        }
    }
}

fn detail_to_json(detail: &[(String, Value)]) -> Json {
    Json::Array(
        detail
            .iter()
            .map(|(k, v)| json!([k, value_to_typed(v)]))
            .collect(),
    )
}

fn json_to_detail(j: &Json) -> Vec<(String, Value)> {
    j.as_array()
        .unwrap()
        .iter()
        .map(|e| (e[0].as_str().unwrap().to_owned(), typed_to_value(&e[1])))
        .collect()
}

/// What one vector says.
enum Vector {
    Value(Value),
    Request(Request),
    Reply(Reply),
    /// One out slot argument (docs/abi.md section 8.6): ext type 3, `[wire type, initial]`.
    OutSlot(&'static str, Value),
    /// A reply with out-parameters: `[status, body, outs]`.
    ReplyOuts(Reply, Vec<Value>),
    Invalid {
        decode_as: &'static str,
        error: &'static str,
    },
}

struct Def {
    name: &'static str,
    description: &'static str,
    vector: Vector,
    /// Bytes for non-canonical or invalid vectors; None means "encode the value".
    bytes: Option<Vec<u8>>,
}

/// A failed reply `[1, {kind, message, detail}]`.
fn error_reply(kind: ErrorKind, message: &str, detail: Vec<(String, Value)>) -> Vector {
    Vector::Reply(Reply::Err(ErrorReply {
        kind,
        message: message.to_owned(),
        detail,
    }))
}

fn def(name: &'static str, description: &'static str, vector: Vector) -> Def {
    Def {
        name,
        description,
        vector,
        bytes: None,
    }
}

fn raw(name: &'static str, description: &'static str, vector: Vector, bytes: Vec<u8>) -> Def {
    Def {
        name,
        description,
        vector,
        bytes: Some(bytes),
    }
}

fn definitions() -> Vec<Def> {
    use Vector as V;
    let int = |i: i64| Value::Int(i);
    let mut d = vec![
        def("nil", "nil", V::Value(Value::Nil)),
        def("bool_false", "false", V::Value(Value::Bool(false))),
        def("bool_true", "true", V::Value(Value::Bool(true))),
        def("int_zero", "0 as positive fixint", V::Value(int(0))),
        def(
            "int_fixpos_max",
            "127, the largest positive fixint",
            V::Value(int(127)),
        ),
        def("int_u8", "128 needs uint8 (cc)", V::Value(int(128))),
        def("int_u8_max", "255 = uint8 max", V::Value(int(255))),
        def("int_u16", "256 needs uint16 (cd)", V::Value(int(256))),
        def("int_u16_max", "65535", V::Value(int(65535))),
        def("int_u32", "65536 needs uint32 (ce)", V::Value(int(65536))),
        def("int_u32_max", "4294967295", V::Value(int(4294967295))),
        def(
            "int_u64",
            "4294967296 needs uint64 (cf)",
            V::Value(int(4294967296)),
        ),
        def("int64_max", "int64 max", V::Value(int(i64::MAX))),
        def(
            "uint64_max",
            "uint64 max (above int64 max)",
            V::Value(Value::Uint(u64::MAX)),
        ),
        def(
            "uint64_2p63",
            "2^63, one above int64 max",
            V::Value(Value::Uint(1 << 63)),
        ),
        def("int_neg1", "-1 as negative fixint", V::Value(int(-1))),
        def(
            "int_negfix_min",
            "-32, the smallest negative fixint",
            V::Value(int(-32)),
        ),
        def("int_i8", "-33 needs int8 (d0)", V::Value(int(-33))),
        def("int8_min", "-128 = int8 min", V::Value(int(-128))),
        def("int_i16", "-129 needs int16 (d1)", V::Value(int(-129))),
        def("int16_min", "int16 min", V::Value(int(i16::MIN as i64))),
        def(
            "int_i32",
            "int16 min - 1 needs int32 (d2)",
            V::Value(int(i16::MIN as i64 - 1)),
        ),
        def("int32_min", "int32 min", V::Value(int(i32::MIN as i64))),
        def(
            "int_i64",
            "int32 min - 1 needs int64 (d3)",
            V::Value(int(i32::MIN as i64 - 1)),
        ),
        def("int64_min", "int64 min", V::Value(int(i64::MIN))),
        def("f32_1_5", "float32 1.5", V::Value(Value::F32(1.5))),
        def(
            "f32_neg_zero",
            "float32 -0.0 keeps its sign",
            V::Value(Value::F32(-0.0)),
        ),
        def(
            "f32_nan",
            "float32 quiet NaN",
            V::Value(Value::F32(f32::from_bits(0x7fc00000))),
        ),
        def(
            "f64_pi",
            "float64 pi",
            V::Value(Value::F64(std::f64::consts::PI)),
        ),
        def(
            "f64_inf",
            "float64 -inf",
            V::Value(Value::F64(f64::NEG_INFINITY)),
        ),
        def(
            "f64_min_subnormal",
            "smallest float64 subnormal",
            V::Value(Value::F64(f64::from_bits(1))),
        ),
        def(
            "str_empty",
            "empty string",
            V::Value(Value::Str(String::new())),
        ),
        def("str_ascii", "hello", V::Value("hello".into())),
        def("str_nul", "embedded NUL", V::Value("a\0b".into())),
        def(
            "str_non_bmp",
            "a non-BMP code point",
            V::Value("\u{1F600}".into()),
        ),
        def(
            "str_fix_max",
            "31 bytes: the largest fixstr",
            V::Value("x".repeat(31).into()),
        ),
        def(
            "str8",
            "32 bytes need str8 (d9)",
            V::Value("x".repeat(32).into()),
        ),
        def(
            "str16",
            "256 bytes need str16 (da)",
            V::Value("y".repeat(256).into()),
        ),
        def(
            "str32",
            "65536 bytes need str32 (db)",
            V::Value("z".repeat(65536).into()),
        ),
        def(
            "str_invalid_utf8",
            "a Go string that is not UTF-8 travels byte for byte",
            V::Value(Value::RawStr(vec![b'a', 0xff, b'b'])),
        ),
        def(
            "bin_empty",
            "empty []byte (also what a nil []byte from Go becomes)",
            V::Value(Value::Bytes(vec![])),
        ),
        def("bin8", "3 bytes", V::Value(Value::Bytes(vec![0, 1, 255]))),
        def(
            "bin16",
            "256 bytes need bin16 (c5)",
            V::Value(Value::Bytes(vec![7; 256])),
        ),
        def(
            "bin32",
            "65536 bytes need bin32 (c6)",
            V::Value(Value::Bytes(vec![9; 65536])),
        ),
        def(
            "list_empty",
            "empty list (also what a nil slice from Go becomes)",
            V::Value(Value::List(vec![])),
        ),
        def(
            "list_ints",
            "[1, -1, 300]",
            V::Value(Value::List(vec![int(1), int(-1), int(300)])),
        ),
        def(
            "list_fix_max",
            "15 elements: the largest fixarray",
            V::Value(Value::List(vec![int(0); 15])),
        ),
        def(
            "list16",
            "16 elements need array16 (dc)",
            V::Value(Value::List(vec![Value::Bool(true); 16])),
        ),
        def(
            "list_nested",
            "[[1,2],[],[3]] ([][]int64)",
            V::Value(Value::List(vec![
                Value::List(vec![int(1), int(2)]),
                Value::List(vec![]),
                Value::List(vec![int(3)]),
            ])),
        ),
        def(
            "list_bytes",
            "[][]byte",
            V::Value(Value::List(vec![
                Value::Bytes(b"ab".to_vec()),
                Value::Bytes(vec![]),
            ])),
        ),
        def(
            "list_strings",
            "[]string",
            V::Value(Value::List(vec!["a".into(), "".into(), "\u{e9}".into()])),
        ),
        raw(
            "int_noncanonical_u64_one",
            "1 written as uint64 (cf): accepted, decodes to 1",
            V::Value(int(1)),
            vec![0xcf, 0, 0, 0, 0, 0, 0, 0, 1],
        ),
        raw(
            "int_noncanonical_i8_five",
            "5 written as int8 (d0): accepted",
            V::Value(int(5)),
            vec![0xd0, 0x05],
        ),
        raw(
            "str_noncanonical_str8",
            "\"ab\" written as str8: accepted",
            V::Value("ab".into()),
            vec![0xd9, 0x02, b'a', b'b'],
        ),
        raw(
            "list_noncanonical_array32",
            "[true] written as array32: accepted",
            V::Value(Value::List(vec![Value::Bool(true)])),
            vec![0xdd, 0, 0, 0, 1, 0xc3],
        ),
        def(
            "request_addint_by_id",
            "AddInt(1, 2) by function id 3",
            V::Request(Request::call(Target::Id(3), vec![int(1), int(2)])),
        ),
        def(
            "request_by_name",
            "a call by qualified name",
            V::Request(Request::call(
                Target::Name("example.com/level1.AddInt".into()),
                vec![int(-5), int(7)],
            )),
        ),
        def(
            "request_no_args",
            "a call without arguments",
            V::Request(Request::call(Target::Id(0), vec![])),
        ),
        def(
            "request_mixed_args",
            "every Level-1 kind as arguments",
            V::Request(Request::call(
                Target::Id(200),
                vec![
                    Value::Nil,
                    Value::Bool(true),
                    Value::Uint(u64::MAX),
                    int(i64::MIN),
                    Value::F32(0.5),
                    Value::F64(-2.25),
                    "s".into(),
                    Value::Bytes(vec![1]),
                    Value::List(vec![Value::List(vec![int(1)])]),
                ],
            )),
        ),
        def(
            "request_abi_2",
            "a request of a future ABI 2: decodes, the bridge answers abi_version",
            V::Request(Request {
                abi: 2,
                op: 0,
                target: Target::Id(1),
                args: vec![],
            }),
        ),
        def(
            "reply_ok_int",
            "AddInt's reply: 3",
            V::Reply(Reply::Ok(int(3))),
        ),
        def(
            "reply_ok_nil",
            "a function without results",
            V::Reply(Reply::Ok(Value::Nil)),
        ),
        def(
            "reply_ok_multi",
            "several results travel as a list",
            V::Reply(Reply::Ok(Value::List(vec![int(3), int(1)]))),
        ),
        def(
            "reply_go_error",
            "a Go error",
            error_reply(
                ErrorKind::GoError,
                "strconv.ParseInt: parsing \"x\": invalid syntax",
                vec![("type".into(), "*strconv.NumError".into())],
            ),
        ),
        def(
            "reply_go_panic",
            "a Go panic",
            error_reply(
                ErrorKind::GoPanic,
                "Go panic: boom",
                vec![
                    ("stack".into(), "goroutine 1 [running]:\n...".into()),
                    ("type".into(), "string".into()),
                    ("value".into(), "boom".into()),
                ],
            ),
        ),
        def(
            "reply_bad_argument",
            "an argument out of range",
            error_reply(
                ErrorKind::BadArgument,
                "argument 0 (v int8): value 128 is out of range for int8 [-128, 127]",
                vec![
                    ("go_type".into(), "int8".into()),
                    ("index".into(), int(0)),
                    ("param".into(), "v".into()),
                    (
                        "reason".into(),
                        "value 128 is out of range for int8 [-128, 127]".into(),
                    ),
                ],
            ),
        ),
        def(
            "reply_arity",
            "wrong number of arguments",
            error_reply(
                ErrorKind::Arity,
                "example.com/level1.AddInt takes 2 arguments, got 1",
                vec![("expected".into(), int(2)), ("got".into(), int(1))],
            ),
        ),
        def(
            "reply_limit",
            "a limit was hit",
            error_reply(
                ErrorKind::LimitExceeded,
                "the request exceeds the depth limit of 64",
                vec![("limit".into(), "depth".into()), ("max".into(), int(64))],
            ),
        ),
        def(
            "request_release",
            "op 2: release handle 7 ([1, 2, 7, []]); a bridge that does not hold it answers reply_unknown_handle",
            V::Request(Request::release(7)),
        ),
        def(
            "request_cancel",
            "op 3: cancel the bridge-made context with token 7 ([1, 3, 7, []]); with no call running under it the bridge answers reply_cancel_no_call",
            V::Request(Request::cancel(7)),
        ),
        def(
            "request_error_is",
            "op 4: errors.Is(handle 7, handle 8) ([1, 4, 7, [handle 8]]); a bridge that does not hold handle 7 answers reply_unknown_handle",
            V::Request(Request {
                abi: 1,
                op: 4,
                target: Target::Id(7),
                args: vec![Value::Handle(8)],
            }),
        ),
        def(
            "request_error_values_on",
            "op 5 with target 0: turn error values on ([1, 5, 0, []]); the bridge answers reply_ok_nil",
            V::Request(Request {
                abi: 1,
                op: 5,
                target: Target::Id(0),
                args: vec![],
            }),
        ),
        def(
            "reply_go_error_handle",
            "a Go error, error values on: fmt.Errorf(\"read: %w\", io.EOF) with handle 9 to the error and its type key; its chain waits for op 4 with no argument (request_error_chain)",
            error_reply(
                ErrorKind::GoError,
                "read: EOF",
                vec![
                    ("handle".into(), Value::Handle(9)),
                    ("key".into(), "fmt.wrapError".into()),
                    ("type".into(), "*fmt.wrapError".into()),
                ],
            ),
        ),
        def(
            "request_error_chain",
            "op 4 with no argument: the chain of the error handle 7 holds ([1, 4, 7, []]); a bridge that does not hold handle 7 answers reply_unknown_handle",
            V::Request(Request {
                abi: 1,
                op: 4,
                target: Target::Id(7),
                args: vec![],
            }),
        ),
        def(
            "reply_error_chain",
            "op 4 with no argument for handle 7 holding fmt.Errorf(\"read: %w\", io.EOF): the chain, its first node with handle 7 itself, io.EOF with the new handle 10",
            V::Reply(Reply::Ok(Value::List(vec![
                Value::List(vec![
                    "read: EOF".into(),
                    "*fmt.wrapError".into(),
                    "fmt.wrapError".into(),
                    Value::Handle(7),
                    int(-1),
                ]),
                Value::List(vec![
                    "EOF".into(),
                    "*errors.errorString".into(),
                    "errors.errorString".into(),
                    Value::Handle(10),
                    int(0),
                ]),
            ]))),
        ),
        def(
            "l3_error_value_chain",
            "Level 3: an error value with its chain, error values on: [message, go_type, [[message, go_type, key, handle, parent]]]",
            V::Value(Value::List(vec![
                "boom".into(),
                "*errors.errorString".into(),
                Value::List(vec![Value::List(vec![
                    "boom".into(),
                    "*errors.errorString".into(),
                    "errors.errorString".into(),
                    Value::Handle(3),
                    int(-1),
                ])]),
            ])),
        ),
        def(
            "reply_cancel_no_call",
            "op 3 found no call running with that token (the answer to request_cancel): [0, false]",
            V::Reply(Reply::Ok(Value::Bool(false))),
        ),
        def(
            "request_op_1",
            "op 1, which ABI 1 does not define: decodes; the bridge answers reply_unsupported_op",
            V::Request(Request {
                abi: 1,
                op: 1,
                target: Target::Id(0),
                args: vec![],
            }),
        ),
        def(
            "request_unknown_name",
            "a call of a name the bridge does not have: it answers reply_unknown_symbol",
            V::Request(Request::call(
                Target::Name("example.com/calc.Nope".into()),
                vec![],
            )),
        ),
        def(
            "request_skipped_name",
            "a call of a function the bridge skipped: it answers reply_skipped_symbol",
            V::Request(Request::call(
                Target::Name("example.com/calc.Send".into()),
                vec![],
            )),
        ),
        def(
            "reply_unknown_symbol",
            "no function with that name (the answer to request_unknown_name)",
            error_reply(
                ErrorKind::UnknownSymbol,
                "no function named \"example.com/calc.Nope\"",
                vec![("target".into(), "example.com/calc.Nope".into())],
            ),
        ),
        def(
            "reply_skipped_symbol",
            "a function the bridge skipped, with the recorded reason (the answer to request_skipped_name)",
            error_reply(
                ErrorKind::SkippedSymbol,
                "example.com/calc.Send is not available in this bridge: parameter ch has type chan int: channels are not supported",
                vec![
                    ("name".into(), "example.com/calc.Send".into()),
                    ("reason".into(), "parameter ch has type chan int: channels are not supported".into()),
                ],
            ),
        ),
        def(
            "reply_abi_version",
            "a request of another ABI version (the answer to request_abi_2)",
            error_reply(
                ErrorKind::AbiVersion,
                "the request speaks ABI 2, this bridge speaks ABI 1",
                vec![("got".into(), int(2)), ("want".into(), int(1))],
            ),
        ),
        def(
            "reply_unsupported_op",
            "an op ABI 1 does not define (the answer to request_op_1)",
            error_reply(
                ErrorKind::UnsupportedOp,
                "op 1 is not supported: ABI 1 bridges know op 0 (call a function) and op 2 (release a handle)",
                vec![("op".into(), int(1))],
            ),
        ),
        def(
            "reply_malformed",
            "a request that is not [abi, op, target, args] (the answer to invalid_request_shape)",
            error_reply(
                ErrorKind::Malformed,
                "malformed message at byte 0: a request has 4 elements [abi, op, target, args], got 3",
                vec![("offset".into(), int(0))],
            ),
        ),
        def(
            "reply_bad_result",
            "a result the wire cannot carry: a channel inside any",
            error_reply(
                ErrorKind::BadResult,
                "example.com/level3.AnyChan: result 0 cannot be encoded: cannot encode chan int inside any",
                vec![
                    ("index".into(), int(0)),
                    ("reason".into(), "cannot encode chan int inside any".into()),
                ],
            ),
        ),
        def(
            "reply_unknown_handle",
            "a release of a handle the bridge does not hold (the answer to request_release)",
            error_reply(
                ErrorKind::UnknownHandle,
                "no handle with id 7 (unknown or released)",
                vec![("id".into(), int(7))],
            ),
        ),
        def(
            "reply_python_exception",
            "a host reply (docs/abi.md section 10): the Python callable raised, on the thread of its call",
            error_reply(
                ErrorKind::PythonException,
                "ValueError: no stop",
                vec![
                    ("type".into(), "ValueError".into()),
                    ("unwind".into(), Value::Bool(true)),
                ],
            ),
        ),
        def(
            "reply_unknown_host_object",
            "a host reply (section 10): a call of host object 9, which the host no longer holds",
            error_reply(
                ErrorKind::UnknownHostObject,
                "no Python callable with id 9: it was released",
                vec![("id".into(), int(9))],
            ),
        ),
        def(
            "reply_host_unavailable",
            "a host reply (section 10): the interpreter is shutting down",
            error_reply(
                ErrorKind::HostUnavailable,
                "the Python interpreter is shutting down",
                vec![],
            ),
        ),
        def("l2_map_empty", "Level 2: an empty map[string]T (also what a nil map from Go becomes)", V::Value(Value::Map(vec![]))),
        def("l2_map_str_int", "Level 2: map[string]int64 {\"a\": 1, \"b\": -2}", V::Value(Value::Map(vec![("a".into(), int(1)), ("b".into(), int(-2))]))),
        def("l2_map_nested", "Level 2: map[string][]map[string]string", V::Value(Value::Map(vec![("k".into(), Value::List(vec![Value::Map(vec![("x".into(), "y".into())])]))]))),
        def("l3_record_point", "Level 3: a record struct Point{X: 1, Y: 2, Tags: [\"a\"], Label: \"p\"} with keys x, y, tags, label", V::Value(Value::Map(vec![("x".into(), int(1)), ("y".into(), int(2)), ("tags".into(), Value::List(vec!["a".into()])), ("label".into(), "p".into())]))),
        def("l3_handle", "Level 3: handle id 7 (ext type 1, 8 bytes big-endian)", V::Value(Value::Handle(7))),
        def("l3_handle_max", "Level 3: the largest handle id", V::Value(Value::Handle(u64::MAX))),
        def("l3_time", "Level 3: time.Time 2026-11-25T03:14:15.000000123+01:00 as [unix_seconds, nanoseconds, utc_offset_seconds]", V::Value(Value::List(vec![int(1_795_576_455), int(123), int(3600)]))),
        def("l3_error_value", "Level 3: an error value [message, go_type]", V::Value(Value::List(vec!["boom".into(), "*errors.errorString".into()]))),
        raw("invalid_ext_other", "an ext value that is not a handle (type 2)", V::Invalid { decode_as: "value", error: "malformed" }, vec![0xd4, 0x02, 0x00]),
        raw(
            "invalid_array32_huge",
            "array32 declaring 2^32-1 elements with no body",
            V::Invalid {
                decode_as: "value",
                error: "malformed",
            },
            vec![0xdd, 0xff, 0xff, 0xff, 0xff],
        ),
        raw(
            "invalid_map32_huge",
            "map32 declaring 2^32-1 entries with no body",
            V::Invalid {
                decode_as: "value",
                error: "malformed",
            },
            vec![0xdf, 0xff, 0xff, 0xff, 0xff],
        ),
        raw(
            "invalid_str32_huge",
            "str32 declaring 4 GiB with no body",
            V::Invalid {
                decode_as: "value",
                error: "malformed",
            },
            vec![0xdb, 0xff, 0xff, 0xff, 0xff],
        ),
        raw(
            "invalid_bin32_huge",
            "bin32 declaring 4 GiB with no body",
            V::Invalid {
                decode_as: "value",
                error: "malformed",
            },
            vec![0xc6, 0xff, 0xff, 0xff, 0xff],
        ),
        raw(
            "invalid_truncated_fixext",
            "a lone fixext1 marker",
            V::Invalid {
                decode_as: "value",
                error: "malformed",
            },
            vec![0xd4],
        ),
        raw(
            "invalid_c1",
            "the never-used byte c1",
            V::Invalid {
                decode_as: "value",
                error: "malformed",
            },
            vec![0xc1],
        ),
        raw(
            "invalid_trailing",
            "a valid request followed by a byte",
            V::Invalid {
                decode_as: "request",
                error: "malformed",
            },
            vec![0x94, 0x01, 0x00, 0x03, 0x92, 0x01, 0x02, 0x00],
        ),
        raw(
            "invalid_deep",
            "100000 nested fixarrays around nil",
            V::Invalid {
                decode_as: "value",
                error: "limit_exceeded",
            },
            [vec![0x91; 100_000], vec![0xc0]].concat(),
        ),
        raw(
            "invalid_request_shape",
            "a request array of 3 elements",
            V::Invalid {
                decode_as: "request",
                error: "malformed",
            },
            vec![0x93, 0x01, 0x00, 0x03],
        ),
        raw(
            "invalid_reply_status",
            "a reply with status 2",
            V::Invalid {
                decode_as: "reply",
                error: "malformed",
            },
            vec![0x92, 0x02, 0xc0],
        ),
        def(
            "out_slot_any",
            "out slot (ext 3) of usegolib.Ref(): [\"any\", nil], Go gets a *any",
            V::OutSlot("any", Value::Nil),
        ),
        def(
            "out_slot_record",
            "out slot (ext 3) of a Ref of a record: [\"@example.com/m.Point\", {x: 1, y: 2}]",
            V::OutSlot(
                "@example.com/m.Point",
                Value::Map(vec![("x".into(), int(1)), ("y".into(), int(2))]),
            ),
        ),
        def(
            "out_slot_bytes",
            "out slot (ext 3) of an in/out buffer for a []byte parameter: [\"bytes\", bin 00 00]",
            V::OutSlot("bytes", Value::Bytes(vec![0, 0])),
        ),
        def(
            "reply_outs_ok",
            "success with one out value: [0, nil, [\"hi\"]] (the test bridge's answer to out_slot_any)",
            V::ReplyOuts(Reply::Ok(Value::Nil), vec![Value::Str("hi".into())]),
        ),
        def(
            "reply_outs_go_error",
            "a Go error and the out value Go left before it: [1, error, [5]]",
            V::ReplyOuts(
                Reply::Err(ErrorReply {
                    kind: ErrorKind::GoError,
                    message: "x".into(),
                    detail: vec![("type".into(), "*errors.errorString".into())],
                }),
                vec![int(5)],
            ),
        ),
    ];
    d.sort_by_key(|x| x.name);
    d
}

/// The bytes of an out slot.
fn out_slot(wire: &str, initial: &Value) -> Vec<u8> {
    let mut payload = Vec::new();
    write_array_len(&mut payload, 2);
    write_str(&mut payload, wire.as_bytes());
    write_value(&mut payload, initial).unwrap();
    let mut out = Vec::new();
    write_out_slot(&mut out, &payload);
    out
}

/// The bytes of a reply with out values: the reply's, as three elements, then the outs.
fn reply_outs(r: &Reply, outs: &[Value]) -> Vec<u8> {
    let mut out = encode_reply(r).unwrap();
    assert_eq!(out[0], 0x92);
    out[0] = 0x93;
    write_array_len(&mut out, outs.len());
    for v in outs {
        write_value(&mut out, v).unwrap();
    }
    out
}

fn json_to_reply(r: &Json) -> Reply {
    if let Some(ok) = r.get("ok") {
        Reply::Ok(typed_to_value(ok))
    } else {
        let e = &r["error"];
        Reply::Err(ErrorReply {
            kind: ErrorKind::parse(e["kind"].as_str().unwrap()),
            message: e["message"].as_str().unwrap().to_owned(),
            detail: json_to_detail(&e["detail"]),
        })
    }
}

fn reply_to_json(r: &Reply) -> Json {
    match r {
        Reply::Ok(v) => json!({"ok": value_to_typed(v)}),
        Reply::Err(e) => {
            json!({"error": {"kind": e.kind.as_str(), "message": e.message, "detail": detail_to_json(&e.detail)}})
        }
    }
}

fn encode(v: &Vector) -> Vec<u8> {
    match v {
        Vector::Value(v) => {
            let mut out = Vec::new();
            write_value(&mut out, v).unwrap();
            out
        }
        Vector::Request(r) => encode_request(r).unwrap(),
        Vector::Reply(r) => encode_reply(r).unwrap(),
        Vector::OutSlot(wire, initial) => out_slot(wire, initial),
        Vector::ReplyOuts(r, outs) => reply_outs(r, outs),
        Vector::Invalid { .. } => unreachable!("invalid vectors carry their bytes"),
    }
}

fn describe(def: &Def) -> Json {
    let mut j =
        json!({"name": def.name, "description": def.description, "canonical": def.bytes.is_none()});
    let o = j.as_object_mut().unwrap();
    match &def.vector {
        Vector::Value(v) => {
            o.insert("kind".into(), json!("value"));
            o.insert("value".into(), value_to_typed(v));
        }
        Vector::Request(r) => {
            o.insert("kind".into(), json!("request"));
            let target = match &r.target {
                Target::Id(id) => json!(id),
                Target::Name(n) => json!(n),
            };
            o.insert("request".into(), json!({"abi": r.abi, "op": r.op, "target": target, "args": r.args.iter().map(value_to_typed).collect::<Vec<_>>()}));
        }
        Vector::Reply(r) => {
            o.insert("kind".into(), json!("reply"));
            o.insert("reply".into(), reply_to_json(r));
        }
        Vector::OutSlot(wire, initial) => {
            o.insert("kind".into(), json!("out_slot"));
            o.insert(
                "out_slot".into(),
                json!({"wire": wire, "initial": value_to_typed(initial)}),
            );
        }
        Vector::ReplyOuts(r, outs) => {
            o.insert("kind".into(), json!("reply_outs"));
            o.insert("reply".into(), reply_to_json(r));
            o.insert(
                "outs".into(),
                json!(outs.iter().map(value_to_typed).collect::<Vec<_>>()),
            );
        }
        Vector::Invalid { decode_as, error } => {
            o.insert("kind".into(), json!("invalid"));
            o.insert("canonical".into(), json!(false));
            o.insert("decode_as".into(), json!(decode_as));
            o.insert("error".into(), json!(error));
        }
    }
    j
}

fn sha_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[test]
fn write_missing_vectors_when_asked() {
    if std::env::var_os("USEGOLIB_WRITE_VECTORS").is_none() {
        return;
    }
    let sums_path = dir().join("SHA256SUMS");
    let mut sums = fs::read_to_string(&sums_path).unwrap_or_default();
    for def in definitions() {
        let bin = dir().join(format!("{}.msgpack", def.name));
        if bin.exists() {
            continue;
        }
        let bytes = def.bytes.clone().unwrap_or_else(|| encode(&def.vector));
        let desc = serde_json::to_string_pretty(&describe(&def)).unwrap() + "\n";
        fs::write(&bin, &bytes).unwrap();
        fs::write(dir().join(format!("{}.json", def.name)), &desc).unwrap();
        sums.push_str(&format!(
            "{}  {}.msgpack\n{}  {}.json\n",
            sha_hex(&bytes),
            def.name,
            sha_hex(desc.as_bytes()),
            def.name
        ));
    }
    fs::write(sums_path, sums).unwrap();
}

/// The vectors are frozen: every file listed in SHA256SUMS still has its hash.
#[test]
fn vectors_are_frozen() {
    let sums = fs::read_to_string(dir().join("SHA256SUMS")).expect("SHA256SUMS exists");
    let mut n = 0;
    for line in sums.lines() {
        let (hash, file) = line.split_once("  ").unwrap();
        let bytes = fs::read(dir().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(
            sha_hex(&bytes),
            hash,
            "{file} changed: vectors are frozen (docs/abi.md section 7)"
        );
        n += 1;
    }
    assert!(n >= 2 * 70, "expected at least 70 vectors, found {}", n / 2);
}

/// Every error kind of docs/abi.md section 4 has a reply vector, and every op a request vector:
/// each decodes to its own [`ErrorKind`] (never `Other`), as the Go test decodes it too.
#[test]
fn every_error_kind_and_op_has_a_vector() {
    let mut kinds = BTreeMap::new();
    let mut ops = BTreeMap::new();
    for entry in fs::read_dir(dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("msgpack") {
            continue;
        }
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let bytes = fs::read(&path).unwrap();
        if let Ok(Reply::Err(e)) = decode_reply(&bytes, &Limits::ABI) {
            assert!(
                !matches!(e.kind, ErrorKind::Other(_)),
                "{name}: kind {} is not in ErrorKind",
                e.kind
            );
            kinds.entry(e.kind.as_str().to_owned()).or_insert(name);
        } else if let Ok(r) = decode_request(&bytes, &Limits::ABI) {
            if r.abi == usegolib_abi::ABI_VERSION {
                ops.entry(r.op).or_insert(name);
            }
        }
    }
    for k in ErrorKind::ALL {
        assert!(
            kinds.contains_key(k.as_str()),
            "no reply vector of kind {k}"
        );
    }
    for (op, what) in usegolib_abi::OPS {
        assert!(
            ops.contains_key(&op),
            "no request vector of op {op} ({what})"
        );
    }
    assert_eq!(kinds.len(), ErrorKind::ALL.len(), "{kinds:?}");
}

fn expect_error(kind: &str, r: Result<(), DecodeError>, name: &str) {
    match (kind, r) {
        ("malformed", Err(DecodeError::Malformed { .. })) => {}
        ("limit_exceeded", Err(DecodeError::LimitExceeded { .. })) => {}
        (k, other) => panic!("{name}: expected {k}, got {other:?}"),
    }
}

/// Every vector decodes to what it describes, and canonical ones encode to the same bytes.
#[test]
fn every_vector_decodes_and_encodes_as_described() {
    let mut seen = BTreeMap::new();
    for entry in fs::read_dir(dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let desc: Json = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        let name = desc["name"].as_str().unwrap().to_owned();
        let bytes = fs::read(path.with_extension("msgpack")).unwrap();
        let canonical = desc["canonical"].as_bool().unwrap();
        let lim = Limits::ABI;
        match desc["kind"].as_str().unwrap() {
            "value" => {
                let want = typed_to_value(&desc["value"]);
                assert_eq!(decode_value(&bytes, &lim).unwrap(), want, "{name}");
                if canonical {
                    let mut out = Vec::new();
                    write_value(&mut out, &want).unwrap();
                    assert_eq!(out, bytes, "{name}: canonical encoding differs");
                }
            }
            "request" => {
                let r = &desc["request"];
                let target = match &r["target"] {
                    Json::String(s) => Target::Name(s.clone()),
                    n => Target::Id(n.as_u64().unwrap() as u32),
                };
                let want = Request {
                    abi: r["abi"].as_u64().unwrap() as u32,
                    op: r["op"].as_u64().unwrap() as u32,
                    target,
                    args: r["args"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(typed_to_value)
                        .collect(),
                };
                assert_eq!(decode_request(&bytes, &lim).unwrap(), want, "{name}");
                if canonical {
                    assert_eq!(encode_request(&want).unwrap(), bytes, "{name}");
                }
            }
            "reply" => {
                let want = json_to_reply(&desc["reply"]);
                assert_eq!(decode_reply(&bytes, &lim).unwrap(), want, "{name}");
                if canonical {
                    assert_eq!(encode_reply(&want).unwrap(), bytes, "{name}");
                }
            }
            "out_slot" => {
                let o = &desc["out_slot"];
                let want = out_slot(o["wire"].as_str().unwrap(), &typed_to_value(&o["initial"]));
                if canonical {
                    assert_eq!(want, bytes, "{name}: the out slot's bytes differ");
                } else {
                    // An accepted non-canonical form (a padded packed array, docs/abi.md 8.12):
                    // the same length class, read by Go's vector test.
                    assert_eq!(want[0], bytes[0], "{name}: another ext header");
                }
            }
            "reply_outs" => {
                let want = json_to_reply(&desc["reply"]);
                let outs: Vec<Value> = desc["outs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(typed_to_value)
                    .collect();
                let (ok, mut r, has_outs) = reply_parts(&bytes, &lim).unwrap();
                assert!(has_outs, "{name}: reply_parts finds no outs");
                let got = if ok {
                    Reply::Ok(r.read_value().unwrap())
                } else {
                    Reply::Err(read_error_body(&mut r).unwrap())
                };
                assert_eq!(got, want, "{name}");
                assert_eq!(r.next_token().unwrap(), Token::Array(outs.len() as u32));
                for v in &outs {
                    assert_eq!(&r.read_value().unwrap(), v, "{name}");
                }
                if canonical {
                    assert_eq!(reply_outs(&want, &outs), bytes, "{name}");
                }
            }
            "invalid" => {
                let err = desc["error"].as_str().unwrap();
                let r = match desc["decode_as"].as_str().unwrap() {
                    "value" => decode_value(&bytes, &lim).map(drop),
                    "request" => decode_request(&bytes, &lim).map(drop),
                    "reply" => decode_reply(&bytes, &lim).map(drop),
                    other => panic!("{name}: decode_as {other}"),
                };
                expect_error(err, r, &name);
            }
            other => panic!("{name}: unknown kind {other}"),
        }
        seen.insert(name, ());
    }
    for def in definitions() {
        assert!(
            seen.contains_key(def.name),
            "vector {} is defined but not on disk",
            def.name
        );
    }
    let _ = LimitKind::Depth;
}
