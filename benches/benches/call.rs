//! A Rust -> Go enveloped call of `AddInt(1, 2)` beside the floor: a direct call of a plain cgo
//! export of the same library (`usegolib_floor_addint`), measured in the same run.

use std::hint::black_box;

use criterion::{criterion_group, Criterion};
use usegolib_abi::{encode_typed, write_request_header, Target, Token, Value, WireType};
use usegolib_benches::{bench_artifact, median_ns, print_table};
use usegolib_loader::{load_artifact, GoFunction, GoModule};

const PKG: &str = "example.com/bench";

/// The enveloped call as a binding does it: encode straight into a reused buffer, decode the
/// reply in place.
fn enveloped_add(
    m: &GoModule,
    f: &GoFunction,
    int: &WireType,
    buf: &mut Vec<u8>,
    a: i64,
    b: i64,
) -> i64 {
    buf.clear();
    write_request_header(buf, &Target::Id(f.id()), 2);
    encode_typed(buf, int, &Value::Int(a)).unwrap();
    encode_typed(buf, int, &Value::Int(b)).unwrap();
    m.call_raw(f, buf, |ok, r| match (ok, r.next_token()) {
        (true, Ok(Token::Int(i))) => i,
        other => panic!("{other:?}"),
    })
    .unwrap()
}

fn benches(c: &mut Criterion) {
    let m = load_artifact(&bench_artifact()).unwrap();
    let f = m.function(PKG, "AddInt").unwrap().clone();
    let floor = m
        .floor_i64_binop("usegolib_floor_addint")
        .expect("the bench fixture exports the floor");
    let int = WireType::parse("int64").unwrap();
    let mut buf = Vec::with_capacity(64);
    c.bench_function("floor: direct cgo AddInt", |b| {
        b.iter(|| floor.call(black_box(1), black_box(2)))
    });
    c.bench_function("enveloped AddInt (raw path)", |b| {
        b.iter(|| enveloped_add(&m, &f, &int, &mut buf, black_box(1), black_box(2)))
    });
    c.bench_function("enveloped AddInt (GoModule::call_function)", |b| {
        b.iter(|| {
            m.call_function(&f, black_box(&[Value::Int(1), Value::Int(2)]))
                .unwrap()
        })
    });
}

criterion_group!(group, benches);

fn main() {
    group();
    Criterion::default().configure_from_args().final_summary();
    let m = load_artifact(&bench_artifact()).unwrap();
    let f = m.function(PKG, "AddInt").unwrap().clone();
    let floor = m.floor_i64_binop("usegolib_floor_addint").unwrap();
    let int = WireType::parse("int64").unwrap();
    let mut buf = Vec::with_capacity(64);
    assert_eq!(enveloped_add(&m, &f, &int, &mut buf, 1, 2), 3);
    assert_eq!(floor.call(1, 2), 3);
    let n = 1_000_000;
    let floor_ns = median_ns(n, || {
        black_box(floor.call(black_box(1), black_box(2)));
    });
    let raw_ns = median_ns(n, || {
        black_box(enveloped_add(
            &m,
            &f,
            &int,
            &mut buf,
            black_box(1),
            black_box(2),
        ));
    });
    let args = [Value::Int(1), Value::Int(2)];
    let api_ns = median_ns(n, || {
        black_box(m.call_function(&f, black_box(&args)).unwrap());
    });
    let mut req = Vec::new();
    usegolib_abi::write_request_header(&mut req, &Target::Id(f.id()), 2);
    usegolib_abi::write_int(&mut req, 1);
    usegolib_abi::write_int(&mut req, 2);
    let send_ns = median_ns(n, || {
        black_box(m.send(&f, black_box(&mut req)).unwrap());
    });
    print_table(
        "Rust -> Go, AddInt(1, 2) (median of 5 rounds of 1M calls)",
        &[
            (
                "floor: direct cgo export, no envelope".into(),
                floor_ns,
                Some(floor_ns),
            ),
            (
                "send only: prebuilt request, reply not read".into(),
                send_ns,
                Some(floor_ns),
            ),
            (
                "enveloped, raw path (what bindings use)".into(),
                raw_ns,
                Some(floor_ns),
            ),
            (
                "enveloped, GoModule::call_function".into(),
                api_ns,
                Some(floor_ns),
            ),
        ],
    );
}
