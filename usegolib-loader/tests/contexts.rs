//! Context parameters through the Rust API, over the real built contexts fixture
//! (docs/abi.md section 8.7): nil and handle contexts through `call`, a bridge-made context
//! (ext type 4) in a request written by hand, cancelled from another thread with op 3, or ended
//! at its timeout.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use usegolib_abi::{write_context, write_int, write_request_header, Target};
use usegolib_loader::{load_artifact, Error, GoModule, Value};

const PKG: &str = "example.com/contexts";

fn m() -> Arc<GoModule> {
    load_artifact(&common::built("contexts")).expect("load contexts")
}

/// Calls Sleep(ctx, d) with a bridge-made context; returns the Go error, if any.
fn sleep(m: &GoModule, token: u64, timeout: Duration, d: Duration) -> Option<String> {
    let f = m.function(PKG, "Sleep").unwrap();
    let mut req = Vec::new();
    write_request_header(&mut req, &Target::Id(f.id()), 2);
    write_context(&mut req, token, timeout.as_nanos() as u64);
    write_int(&mut req, d.as_nanos() as i64);
    let reply = m.send(f, &mut req).unwrap();
    let (ok, mut r) = m.reply_body(f, &reply).unwrap();
    if ok {
        return None;
    }
    match m.error_from_reader(f, &mut r) {
        Error::Go { message, .. } => Some(message),
        e => panic!("Sleep: {e}"),
    }
}

#[test]
fn nil_and_handle_contexts() {
    let m = m();
    assert_eq!(
        m.call(PKG, "Kind", &[Value::Nil]).unwrap(),
        Value::from("context.backgroundCtx")
    );
    let v = m.call(PKG, "WithValue", &["k".into(), "v".into()]).unwrap();
    assert!(matches!(v, Value::Handle(_)), "{v:?}");
    assert_eq!(
        m.call(PKG, "Value", &[v, "k".into()]).unwrap(),
        Value::from("v")
    );
}

#[test]
fn op_3_cancels_a_running_call() {
    let m = m();
    let token = 1 << 40;
    assert!(!m.cancel(token).unwrap(), "no call runs with it yet");
    let start = Instant::now();
    let err = std::thread::scope(|s| {
        let call = s.spawn(|| sleep(&m, token, Duration::ZERO, Duration::from_secs(30)));
        while !m.cancel(token).unwrap() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "never registered"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        call.join().unwrap()
    });
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(err.as_deref(), Some("sleep interrupted: context canceled"));
    assert!(
        !m.cancel(token).unwrap(),
        "forgotten once the call returned"
    );
}

#[test]
fn a_timeout_ends_the_call() {
    let m = m();
    let start = Instant::now();
    let err = sleep(
        &m,
        (1 << 40) + 1,
        Duration::from_millis(50),
        Duration::from_secs(30),
    );
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(
        err.as_deref(),
        Some("sleep interrupted: context deadline exceeded")
    );
    assert_eq!(
        sleep(
            &m,
            (1 << 40) + 2,
            Duration::from_secs(30),
            Duration::from_millis(1)
        ),
        None
    );
}
