//! Envelope encode and decode: criterion, plus a summary table.

use std::hint::black_box;

use criterion::{criterion_group, Criterion};
use usegolib_abi::{
    decode_reply, encode_reply, encode_typed, reply_body, write_request_header, Limits, Reply,
    Target, Token, Value, WireType,
};
use usegolib_benches::{median_ns, print_table};

fn encode_add(buf: &mut Vec<u8>, int: &WireType) {
    buf.clear();
    write_request_header(buf, &Target::Id(3), 2);
    encode_typed(buf, int, &Value::Int(1)).unwrap();
    encode_typed(buf, int, &Value::Int(2)).unwrap();
}

fn decode_int_reply(reply: &[u8]) -> i64 {
    let (ok, mut r) = reply_body(reply, &Limits::ABI).unwrap();
    assert!(ok);
    match r.next_token().unwrap() {
        Token::Int(i) => i,
        t => panic!("{t:?}"),
    }
}

fn benches(c: &mut Criterion) {
    let int = WireType::parse("int64").unwrap();
    let mut buf = Vec::with_capacity(64);
    c.bench_function("encode AddInt(1, 2) request", |b| {
        b.iter(|| encode_add(black_box(&mut buf), &int))
    });
    let reply = encode_reply(&Reply::Ok(Value::Int(3))).unwrap();
    c.bench_function("decode int reply (zero-copy)", |b| {
        b.iter(|| decode_int_reply(black_box(&reply)))
    });
    let list: Vec<Value> = (0..1000).map(Value::Int).collect();
    let big = encode_reply(&Reply::Ok(Value::List(list))).unwrap();
    c.bench_function("decode 1000-int reply to Value", |b| {
        b.iter(|| decode_reply(black_box(&big), &Limits::ABI).unwrap())
    });
}

criterion_group!(group, benches);

fn main() {
    group();
    Criterion::default().configure_from_args().final_summary();
    let int = WireType::parse("int64").unwrap();
    let mut buf = Vec::with_capacity(64);
    let reply = encode_reply(&Reply::Ok(Value::Int(3))).unwrap();
    let list: Vec<Value> = (0..1000).map(Value::Int).collect();
    let big = encode_reply(&Reply::Ok(Value::List(list))).unwrap();
    print_table(
        "usegolib-abi envelope (median of 5 rounds)",
        &[
            (
                "encode AddInt(1, 2) request".into(),
                median_ns(1_000_000, || encode_add(black_box(&mut buf), &int)),
                None,
            ),
            (
                "decode int reply (zero-copy)".into(),
                median_ns(1_000_000, || {
                    black_box(decode_int_reply(black_box(&reply)));
                }),
                None,
            ),
            (
                "decode 1000-int reply to Value".into(),
                median_ns(2_000, || {
                    black_box(decode_reply(black_box(&big), &Limits::ABI).unwrap());
                }),
                None,
            ),
        ],
    );
}
