//! Memory of calls (docs/adr/0027-large-bytes-and-memory.md): in steady state a call with
//! Level-1 arguments allocates nothing on the Rust side (counted by a global allocator that
//! counts each thread's allocations), and the per-thread reply buffer grown by a large reply goes
//! back to its base size after small calls, never keeping more than `buffers::KEEP`.
//! Real Go toolchain, real c-shared library (the level1 fixture).

mod common;

use std::sync::Arc;

use usegolib_abi::{
    write_array_len, write_bin, write_f64, write_int, write_request_header, write_str, Target,
    Token,
};
use usegolib_loader::{
    buffers, load_artifact, reply_buffer_size, thread_allocations, CountingAllocator, GoModule,
    Value,
};

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

const PKG: &str = "example.com/level1";

fn m() -> Arc<GoModule> {
    load_artifact(&common::built("level1")).expect("load level1")
}

/// The id of `name` (the functions are few: a linear search, no allocation).
fn id(m: &GoModule, name: &str) -> usize {
    m.functions()
        .iter()
        .position(|f| f.package == PKG && f.schema.name == name)
        .unwrap()
}

/// Calls `name` with the request whose arguments `args` writes into `req` (reused), and hands
/// the first token of the result to `check`.
fn raw_call(
    m: &GoModule,
    name: &str,
    req: &mut Vec<u8>,
    nargs: usize,
    args: impl FnOnce(&mut Vec<u8>),
    check: impl FnOnce(Token<'_>),
) {
    // Looked up by id, as a binding does once per function (a lookup by name formats the
    // qualified name).
    let f = &m.functions()[id(m, name)];
    req.clear();
    write_request_header(req, &Target::Id(f.id()), nargs);
    args(req);
    m.call_raw(f, req, |ok, r| {
        assert!(ok, "{name} failed");
        check(r.next_token().unwrap());
    })
    .unwrap();
}

/// One round of Level-1 calls as a binding makes them: a request encoded into a reused buffer,
/// the reply read in place.
fn level1_round(m: &GoModule, req: &mut Vec<u8>, payload: &[u8], ints: &[i64]) {
    raw_call(
        m,
        "AddInt",
        req,
        2,
        |r| {
            write_int(r, 40);
            write_int(r, 2);
        },
        |t| assert!(matches!(t, Token::Int(42))),
    );
    raw_call(
        m,
        "EchoFloat64",
        req,
        1,
        |r| write_f64(r, 1.5),
        |t| assert!(matches!(t, Token::F64(x) if x == 1.5)),
    );
    raw_call(
        m,
        "EchoString",
        req,
        1,
        |r| write_str(r, b"hello, Go"),
        |t| assert!(matches!(t, Token::Str(b"hello, Go"))),
    );
    raw_call(
        m,
        "EchoBytes",
        req,
        1,
        |r| write_bin(r, payload),
        |t| assert!(matches!(t, Token::Bin(b) if b == payload)),
    );
    raw_call(
        m,
        "Sum",
        req,
        1,
        |r| {
            write_array_len(r, ints.len());
            for &x in ints {
                write_int(r, x);
            }
        },
        |t| assert!(matches!(t, Token::Int(s) if s == ints.iter().sum::<i64>())),
    );
}

#[test]
fn level1_calls_allocate_nothing_in_steady_state() {
    let m = m();
    let mut req = Vec::with_capacity(64 << 10);
    let payload = vec![7u8; 4096];
    let ints: Vec<i64> = (0..100).collect();
    for _ in 0..200 {
        level1_round(&m, &mut req, &payload, &ints);
    }
    let before = thread_allocations();
    for _ in 0..20_000 {
        level1_round(&m, &mut req, &payload, &ints);
    }
    let made = thread_allocations() - before;
    assert_eq!(made, 0, "100,000 raw calls made {made} Rust allocations");

    // The Value API too, for calls whose results are scalars (a str, bytes or list result is a
    // new String or Vec by nature): the request buffer is this thread's, reused.
    let list = Value::List(ints.iter().map(|&x| Value::Int(x)).collect());
    let args = [Value::Int(40), Value::Int(2)];
    let sum_args = [list];
    let bytes_args = [Value::Bytes(payload.clone())];
    let f_add = m.function(PKG, "AddInt").unwrap();
    let f_sum = m.function(PKG, "Sum").unwrap();
    let f_echo = m.function(PKG, "Echo").unwrap();
    let value_round = || {
        assert_eq!(m.call_function(f_add, &args).unwrap(), Value::Int(42));
        assert_eq!(m.call_function(f_sum, &sum_args).unwrap(), Value::Int(4950));
        drop(m.call_function(f_echo, &bytes_args).unwrap());
    };
    for _ in 0..200 {
        value_round();
    }
    let before = thread_allocations();
    for _ in 0..10_000 {
        // `matches!`, not `assert_eq!`: comparing two Values walks them with a work list.
        assert!(matches!(m.call_function(f_add, &args), Ok(Value::Int(42))));
        assert!(matches!(
            m.call_function(f_sum, &sum_args),
            Ok(Value::Int(4950))
        ));
    }
    let made = thread_allocations() - before;
    assert_eq!(made, 0, "20,000 Value calls made {made} Rust allocations");
}

#[test]
fn the_allocator_counts() {
    // The check above would pass vacuously if nothing were counted.
    let before = thread_allocations();
    let v: Vec<u8> = std::hint::black_box(Vec::with_capacity(100));
    drop(v);
    assert_eq!(thread_allocations() - before, 1);
}

fn echo_size(m: &GoModule, req: &mut Vec<u8>, payload: &[u8]) {
    raw_call(
        m,
        "Echo",
        req,
        1,
        |r| write_bin(r, payload),
        |t| assert!(matches!(t, Token::Bin(b) if b.len() == payload.len())),
    );
}

#[test]
fn reply_buffers_shrink_back_after_large_calls() {
    // A thread of its own, so that its buffer is what this test made it.
    std::thread::spawn(|| {
        let m = m();
        let mut req = Vec::new();
        let small = [1u8; 100];
        echo_size(&m, &mut req, &small);
        assert_eq!(reply_buffer_size(), buffers::BASE);

        // Repeated 1 MiB replies: the buffer grows once, then is reused at its size.
        let mib = vec![3u8; 1 << 20];
        for _ in 0..3 {
            echo_size(&m, &mut req, &mib);
        }
        let grown = reply_buffer_size();
        assert!(grown > 1 << 20 && grown <= buffers::KEEP, "{grown}");
        // A few small calls keep it (a loop mixing sizes does not reallocate every time)...
        for _ in 0..buffers::SHRINK_AFTER - 1 {
            echo_size(&m, &mut req, &small);
        }
        assert_eq!(reply_buffer_size(), grown);
        // ...and the next one gives it back.
        echo_size(&m, &mut req, &small);
        echo_size(&m, &mut req, &small);
        assert_eq!(reply_buffer_size(), buffers::BASE);

        // A reply above KEEP never grows the buffer beyond KEEP.
        let huge = vec![5u8; buffers::KEEP + (1 << 20)];
        echo_size(&m, &mut req, &huge);
        echo_size(&m, &mut req, &huge);
        assert!(reply_buffer_size() <= buffers::KEEP);
        for _ in 0..=buffers::SHRINK_AFTER {
            echo_size(&m, &mut req, &small);
        }
        assert_eq!(reply_buffer_size(), buffers::BASE);
    })
    .join()
    .unwrap();
}

/// The scalar form (docs/abi.md sections 8.11 and 8.13) allocates nothing in steady state: an
/// all-number call (the thread's reply buffer lent and given back), and a string in and out
/// (its result area in that buffer).
#[test]
fn scalar_calls_allocate_nothing_in_steady_state() {
    let m = m();
    let add = m.function(PKG, "AddInt").unwrap();
    let echo = m.function(PKG, "EchoString").unwrap();
    let round = || {
        let mut a = usegolib_loader::ScalarArgs::new();
        assert!(a.push(40) && a.push(2));
        let Ok(usegolib_loader::ScalarReply::Done(area)) = m.call_scalar(add, &mut a) else {
            panic!("AddInt failed");
        };
        assert!(area.bytes().is_empty() && a.words()[0] == 42);
        drop(area);
        let s = b"hello, scalar";
        let mut a = usegolib_loader::ScalarArgs::new();
        assert!(a.push_str(s));
        let Ok(usegolib_loader::ScalarReply::Done(area)) = m.call_scalar(echo, &mut a) else {
            panic!("EchoString failed");
        };
        let w = a.words();
        assert_eq!(
            usegolib_loader::scalar_result_str(area.bytes(), w[0], w[1]),
            Some(&s[..])
        );
    };
    for _ in 0..200 {
        round();
    }
    let before = thread_allocations();
    for _ in 0..10_000 {
        round();
    }
    let made = thread_allocations() - before;
    assert_eq!(made, 0, "20,000 scalar calls made {made} Rust allocations");
}
