//! A Rust embedder's host handler (docs/abi.md section 10): Go calls back into the process
//! through the loader's trampoline, over the real built callbacks fixture. The handler answers
//! calls of host object 7 (x -> 10x, or an error for a func with an error result) and records
//! the ids Go releases.

mod common;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use usegolib_abi::{
    decode_value, encode_reply, write_request_header, ErrorKind, ErrorReply, Limits, Reply, Target,
    Value,
};
use usegolib_loader::{host_error, load_artifact, set_host_handler, HostHandler};

static RELEASED: Mutex<Vec<u64>> = Mutex::new(Vec::new());

struct Times10;

impl HostHandler for Times10 {
    fn call(&self, module: &str, req: &[u8], out: &mut Vec<u8>) {
        assert_eq!(module, "example.com/callbacks");
        let Ok(Value::List(ref r)) = decode_value(req, &Limits::ABI) else {
            return host_error(out, "malformed", "not a list", vec![]);
        };
        let (op, id, args) = (r[1].as_u64(), r[2].as_u64(), &r[4]);
        let Value::List(args) = args else {
            return host_error(out, "malformed", "no args", vec![]);
        };
        match (op, id) {
            (Some(2), _) => {
                // Each release an id (one pass) or [id, passes] (docs/abi.md section 10.4):
                // id 7 was passed twice, so Go may release both passes at once.
                RELEASED
                    .lock()
                    .unwrap()
                    .extend(args.iter().filter_map(|v| match v {
                        Value::List(pair) if pair.len() == 2 => pair[0].as_u64(),
                        v => v.as_u64(),
                    }));
                *out = encode_reply(&Reply::Ok(Value::Nil)).unwrap();
            }
            (Some(0), Some(7)) => match args.as_slice() {
                [Value::Int(x)] => *out = encode_reply(&Reply::Ok(Value::Int(x * 10))).unwrap(),
                _ => {
                    *out = encode_reply(&Reply::Err(ErrorReply {
                        kind: ErrorKind::parse("python_exception"),
                        message: "ValueError: refused".into(),
                        detail: vec![("unwind".into(), Value::Bool(false))],
                    }))
                    .unwrap()
                }
            },
            _ => host_error(out, "unknown_host_object", "no such id", vec![]),
        }
    }
}

/// A request calling `f` with a host object (ext 2, id 7) first, then `rest` (encoded).
fn request(id: u32, rest: &[u8], argc: usize) -> Vec<u8> {
    let mut req = Vec::new();
    write_request_header(&mut req, &Target::Id(id), argc);
    req.extend_from_slice(&[0xd7, 0x02, 0, 0, 0, 0, 0, 0, 0, 7]);
    req.extend_from_slice(rest);
    req
}

#[test]
fn a_rust_host_handler_answers_go() {
    assert!(set_host_handler(Box::new(Times10)));
    assert!(!set_host_handler(Box::new(Times10)), "set once per process");
    let m = load_artifact(&common::built("callbacks")).unwrap();
    let apply = m.function("example.com/callbacks", "Apply").unwrap();
    let reply = m.send(apply, &mut request(apply.id(), &[0x04], 2)).unwrap();
    assert_eq!(
        decode_value(reply.bytes(), &Limits::ABI).unwrap(),
        Value::List(vec![Value::Int(0), Value::Int(40)])
    );

    // func(int, string) error: the host's failure is the func's error, which Visit returns.
    let visit = m.function("example.com/callbacks", "Visit").unwrap();
    let mut words = vec![0x91, 0xa1, b'a']; // ["a"], before the host object
    let mut req = Vec::new();
    write_request_header(&mut req, &Target::Id(visit.id()), 2);
    req.append(&mut words);
    req.extend_from_slice(&[0xd7, 0x02, 0, 0, 0, 0, 0, 0, 0, 7]);
    let reply = m.send(visit, &mut req).unwrap();
    let Reply::Err(e) = usegolib_abi::decode_reply(reply.bytes(), &Limits::ABI).unwrap() else {
        panic!("Visit should fail")
    };
    assert_eq!(e.kind, ErrorKind::GoError);
    assert_eq!(e.message, "visit stopped: ValueError: refused");

    // Go releases id 7 once its wrappers are collected.
    let gc = m.function("example.com/callbacks", "GC").unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !RELEASED.lock().unwrap().contains(&7) {
        assert!(Instant::now() < deadline, "Go never released host object 7");
        m.call_function(gc, &[]).unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
}
