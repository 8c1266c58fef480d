//! A Rust embedder's host handler with the scalar form (docs/abi.md section 10.8), over the real
//! built callbacks fixture: `func(int) int` arrives as words (host object 7: x -> 10x), a
//! failure is a reply, a refused host object falls back to the general form, and a func type
//! with a string parameter always uses the general form.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use usegolib_abi::{
    decode_reply, decode_value, encode_reply, write_request_header, ErrorKind, ErrorReply, Limits,
    Reply, Target, Value,
};
use usegolib_loader::{
    host_error, load_artifact, set_host_handler, HostHandler, ScalarCall, ScalarOutcome,
};

static SCALAR: AtomicUsize = AtomicUsize::new(0);
static GENERAL: AtomicUsize = AtomicUsize::new(0);

/// Host object 7 multiplies by 10 in the scalar form; 8 fails there; 9 is refused there and
/// multiplies by 100 in the general form.
struct Words;

fn failure(out: &mut Vec<u8>) {
    *out = encode_reply(&Reply::Err(ErrorReply {
        kind: ErrorKind::parse("python_exception"),
        message: "ValueError: refused".into(),
        detail: vec![("unwind".into(), Value::Bool(false))],
    }))
    .unwrap();
}

impl HostHandler for Words {
    fn call(&self, _module: &str, req: &[u8], out: &mut Vec<u8>) {
        GENERAL.fetch_add(1, Ordering::SeqCst);
        let Ok(Value::List(ref r)) = decode_value(req, &Limits::ABI) else {
            return host_error(out, "malformed", "not a list", vec![]);
        };
        match (r[1].as_u64(), r[2].as_u64(), &r[4]) {
            (Some(2), _, _) => *out = encode_reply(&Reply::Ok(Value::Nil)).unwrap(),
            (Some(0), Some(9), Value::List(args)) => match args.as_slice() {
                [Value::Int(x)] => *out = encode_reply(&Reply::Ok(Value::Int(x * 100))).unwrap(),
                _ => failure(out),
            },
            (Some(0), _, _) => failure(out),
            _ => host_error(out, "unknown_host_object", "no such id", vec![]),
        }
    }

    fn call_scalar(&self, module: &str, call: ScalarCall<'_>, out: &mut Vec<u8>) -> ScalarOutcome {
        assert_eq!(module, "example.com/callbacks");
        SCALAR.fetch_add(1, Ordering::SeqCst);
        match (call.id, call.nargs, call.nresults) {
            (7, 1, 1) => {
                call.words[0] = (call.words[0] as i64 * 10) as u64;
                ScalarOutcome::Done
            }
            (8, _, _) => {
                failure(out);
                ScalarOutcome::Failed
            }
            _ => ScalarOutcome::Refused,
        }
    }
}

/// A request calling `f(host object id, rest...)`.
fn request(f: u32, id: u8, rest: &[u8], argc: usize) -> Vec<u8> {
    let mut req = Vec::new();
    write_request_header(&mut req, &Target::Id(f), argc);
    req.extend_from_slice(&[0xd7, 0x02, 0, 0, 0, 0, 0, 0, 0, id]);
    req.extend_from_slice(rest);
    req
}

#[test]
fn a_rust_host_handler_answers_in_the_scalar_form() {
    assert!(set_host_handler(Box::new(Words)));
    let m = load_artifact(&common::built("callbacks")).unwrap();
    let apply = m.function("example.com/callbacks", "Apply").unwrap();
    let ok = |bytes: &[u8]| decode_value(bytes, &Limits::ABI).unwrap();

    let reply = m
        .send(apply, &mut request(apply.id(), 7, &[0x04], 2))
        .unwrap();
    assert_eq!(
        ok(reply.bytes()),
        Value::List(vec![Value::Int(0), Value::Int(40)])
    );
    assert_eq!(
        (
            SCALAR.load(Ordering::SeqCst),
            GENERAL.load(Ordering::SeqCst)
        ),
        (1, 0)
    );

    // A failure in the scalar form: func(float64) (float64, error) returns it as its error.
    let checked = m.function("example.com/callbacks", "Checked").unwrap();
    let reply = m
        .send(
            checked,
            &mut request(checked.id(), 8, &[0xcb, 0x40, 0, 0, 0, 0, 0, 0, 0], 2),
        )
        .unwrap();
    let Reply::Err(e) = decode_reply(reply.bytes(), &Limits::ABI).unwrap() else {
        panic!("Checked should fail")
    };
    assert_eq!(e.kind, ErrorKind::GoError);
    assert_eq!(e.message, "checked: ValueError: refused");

    // Refused: the same call again in the general form, and only that form afterwards.
    let before = SCALAR.load(Ordering::SeqCst);
    for x in [1u8, 2] {
        let reply = m.send(apply, &mut request(apply.id(), 9, &[x], 2)).unwrap();
        let want = Value::Int(i64::from(x) * 100);
        assert_eq!(ok(reply.bytes()), Value::List(vec![Value::Int(0), want]));
    }
    // One refusal per host object: each request passes id 9 anew (ext 2), so Go makes a new
    // host object for it each time, and asks each once.
    assert_eq!(SCALAR.load(Ordering::SeqCst), before + 2);
    assert_eq!(GENERAL.load(Ordering::SeqCst), 2);

    // A string parameter: never the scalar form (the general call fails: zero values).
    let lookup = m.function("example.com/callbacks", "Lookup").unwrap();
    let before = SCALAR.load(Ordering::SeqCst);
    let reply = m
        .send(lookup, &mut request(lookup.id(), 9, &[0xa1, b'k'], 2))
        .unwrap();
    let zero = Value::List(vec![Value::Int(0), Value::Bool(false)]);
    assert_eq!(ok(reply.bytes()), Value::List(vec![Value::Int(0), zero]));
    assert_eq!(SCALAR.load(Ordering::SeqCst), before);
    assert_eq!(GENERAL.load(Ordering::SeqCst), 3);
}
