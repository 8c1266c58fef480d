//! `any` values with their exact meaning through the Rust API (docs/abi.md section 8.9), over
//! the real built anys fixture: the ext values of `any` results as `Value` variants, and what Go
//! receives for them as arguments.

mod common;

use std::sync::Arc;

use usegolib_loader::{load_artifact, Builder, Error, GoModule, Value};

const PKG: &str = "example.com/anys";

fn m() -> Arc<GoModule> {
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    let dir = DIR.get_or_init(|| {
        Builder::new()
            .ensure_local(&common::fixture("anys"), &common::root())
            .expect("build anys")
    });
    load_artifact(dir).expect("load anys")
}

fn tagged(tag: &str, v: Value) -> Value {
    Value::Tagged(tag.into(), Box::new(v))
}

fn types(m: &GoModule, v: Value) -> String {
    match &m.call(PKG, "Types", &[v]).unwrap() {
        Value::Str(s) => s.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn results_say_which_go_value_they_are() {
    let m = m();
    // 2024-01-02T03:04:05.000006007+01:00
    assert_eq!(
        m.call(PKG, "Local", &[]).unwrap(),
        tagged(
            "time",
            Value::List(vec![1_704_161_045.into(), 6007.into(), 3600.into()])
        )
    );
    assert_eq!(
        m.call(PKG, "UTC", &[]).unwrap(),
        Value::Timestamp {
            secs: 1_704_164_645,
            nanos: 999_999_999
        }
    );
    assert_eq!(
        m.call(PKG, "Wait", &[]).unwrap(),
        tagged("duration", 1_500_000_007i64.into())
    );
    assert_eq!(
        m.call(PKG, "Err", &[]).unwrap(),
        tagged(
            "error",
            Value::List(vec![
                "open x: file does not exist".into(),
                "*fmt.wrapError".into()
            ])
        )
    );
    assert_eq!(
        m.call(PKG, "Record", &[]).unwrap(),
        tagged(
            "example.com/anys.Point",
            Value::Map(vec![("X".into(), 1.into()), ("Y".into(), 2.into())])
        )
    );
    let Value::Object(id, key) = &m.call(PKG, "Object", &[]).unwrap() else {
        panic!("not a Go object")
    };
    assert_eq!(key, "example.com/anys.Counter");
    // Passed back inside `any`, Go receives the *Counter the handle holds.
    assert_eq!(types(&m, Value::Handle(*id)), "*anys.Counter(n=41)");
    assert!(matches!(
        &m.call(PKG, "Hidden", &[]).unwrap(),
        Value::Object(_, k) if k == "example.com/anys.Box"
    ));
    match m.call(PKG, "Chan", &[]) {
        Err(Error::BadResult { message, .. }) => {
            assert!(
                message.contains("cannot encode chan int inside any"),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn arguments_arrive_as_a_go_caller_passes_them() {
    let m = m();
    assert_eq!(types(&m, 1.into()), "int(1)");
    assert_eq!(
        types(&m, Value::Uint(1 << 63)),
        "uint64(9223372036854775808)"
    );
    assert_eq!(
        types(&m, Value::Timestamp { secs: 1, nanos: 5 }),
        "time.Time(1970-01-01 00:00:01.000000005 +0000 UTC)"
    );
    assert_eq!(
        types(
            &m,
            tagged(
                "time",
                Value::List(vec![60.into(), 0.into(), (-3600).into()])
            )
        ),
        "time.Time(1969-12-31 23:01:00 -0100 -0100)"
    );
    assert_eq!(
        types(&m, tagged("duration", 1500.into())),
        "time.Duration(1.5µs)"
    );
    assert_eq!(
        types(
            &m,
            tagged(
                "example.com/anys.Point",
                Value::Map(vec![("X".into(), 3.into()), ("Y".into(), 4.into())])
            )
        ),
        "anys.Point({3 4})"
    );
    match m.call(PKG, "Types", &[tagged("example.com/anys.Nope", Value::Nil)]) {
        Err(Error::BadArgument { reason, .. }) => {
            assert!(reason.contains("unknown record type"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
}
