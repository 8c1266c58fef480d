//! Go values beyond scalars through the Rust API, over the real built level3 fixture: maps,
//! records, objects (handles) with methods and release, variadics, generics, time.

mod common;

use std::sync::Arc;

use usegolib_loader::{load_artifact, Builder, Error, GoModule, Value};

const PKG: &str = "example.com/level3";

fn m() -> Arc<GoModule> {
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    let dir = DIR.get_or_init(|| {
        Builder::new()
            .with_generics(["Keys[string,int64]".to_owned()])
            .ensure_local(&common::fixture("level3"), &common::root())
            .expect("build level3")
    });
    load_artifact(dir).expect("load level3")
}

fn map(entries: &[(&str, Value)]) -> Value {
    Value::Map(
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

fn point(x: i64, y: i64, tags: &[&str]) -> Value {
    map(&[
        ("x", Value::Int(x)),
        ("y", Value::Int(y)),
        (
            "tags",
            Value::List(tags.iter().map(|t| Value::from(*t)).collect()),
        ),
    ])
}

#[test]
fn maps_and_records() {
    let m = m();
    let words = Value::List(vec!["a".into(), "b".into(), "a".into()]);
    assert_eq!(
        m.call(PKG, "CountWords", &[words]).unwrap(),
        map(&[("a", Value::Int(2)), ("b", Value::Int(1))])
    );
    assert_eq!(m.call(PKG, "NilMap", &[]).unwrap(), Value::Map(vec![]));
    let p = point(1, 2, &["t"]);
    assert_eq!(
        m.call(PKG, "EchoPoint", std::slice::from_ref(&p)).unwrap(),
        p,
        "label omitted when empty"
    );
    // A field left out is its Go zero value, as in Go's Point{X: 1}.
    assert_eq!(
        m.call(PKG, "EchoPoint", &[map(&[("x", Value::Int(1))])])
            .unwrap(),
        point(1, 0, &[]),
    );
    match m.call(
        PKG,
        "EchoPoint",
        &[map(&[
            ("x", Value::Int(1)),
            ("y", Value::Int(1)),
            ("tags", Value::Nil),
            ("zz", Value::Int(0)),
        ])],
    ) {
        Err(Error::BadArgument { reason, .. }) => {
            assert!(reason.contains("unknown field \"zz\""), "{reason}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn handles_methods_and_release() {
    let m = m();
    let Value::Handle(id) = m.call(PKG, "NewCounter", &["c".into()]).unwrap() else {
        panic!("NewCounter returns a handle")
    };
    let add = |n: i64| m.call(PKG, "Counter.Add", &[Value::Handle(id), Value::Int(n)]);
    assert_eq!(add(2).unwrap(), Value::Int(2));
    assert_eq!(add(3).unwrap(), Value::Int(5));
    assert_eq!(
        m.call(PKG, "TakeCounter", &[Value::Handle(id)]).unwrap(),
        Value::Int(5)
    );
    m.release(id).unwrap();
    match m.release(id) {
        Err(e @ Error::UnknownHandle { id: got, .. }) => {
            assert_eq!(got, id);
            assert!(e.to_string().contains("(unknown_handle)"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    match add(1) {
        Err(Error::BadArgument { reason, .. }) => assert!(reason.contains("handle"), "{reason}"),
        other => panic!("a released handle must be refused, got {other:?}"),
    }
}

#[test]
fn variadic_generic_and_time() {
    let m = m();
    let sum = m.function(PKG, "Sum").unwrap();
    assert!(sum.schema.variadic);
    let xs = Value::List(vec![1.into(), 2.into(), 3.into()]);
    assert_eq!(m.call_function(sum, &[xs]).unwrap(), Value::Int(6));
    let keys = m.function(PKG, "Keys[string,int64]").unwrap();
    assert_eq!(keys.schema.generic.as_ref().unwrap().name, "Keys");
    let arg = map(&[("b", Value::Int(1)), ("a", Value::Int(2))]);
    assert_eq!(
        m.call_function(keys, &[arg]).unwrap(),
        Value::List(vec!["a".into(), "b".into()])
    );
    // time.Time as [unix_seconds, nanoseconds, utc_offset_seconds].
    let t = Value::List(vec![
        Value::Int(1_700_000_000),
        Value::Int(5),
        Value::Int(3600),
    ]);
    assert_eq!(
        m.call(PKG, "AddHour", &[t]).unwrap(),
        Value::List(vec![
            Value::Int(1_700_003_600),
            Value::Int(5),
            Value::Int(3600)
        ])
    );
    assert_eq!(
        m.call(PKG, "Double", &[Value::Int(21)]).unwrap(),
        Value::Int(42)
    );
}

/// `[[...[1]...]]`, `depth` levels deep, built without recursion.
fn nested(depth: usize) -> Value {
    let mut v = Value::Int(1);
    for _ in 0..depth {
        v = Value::List(vec![v]);
    }
    v
}

#[test]
fn an_argument_nested_deeper_than_the_abi_allows_is_a_typed_error_not_a_stack_overflow() {
    let m = m();
    // A thread with an ordinary stack: recursion over 10^5 levels could not survive in it.
    // docs/abi.md section 6: 64 levels for the whole request, whose array and args array take
    // two of them: 62 for an argument.
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            // The deepest argument the ABI allows reaches Go, which decodes it.
            let deepest = 62;
            assert_eq!(
                m.call(PKG, "Describe", &[nested(deepest)]).unwrap(),
                Value::from("[]interface {}")
            );
            let back = m.call(PKG, "EchoAny", &[nested(20)]).unwrap();
            assert_eq!(back, nested(20));
            for depth in [deepest + 1, 100_000] {
                match m.call(PKG, "EchoAny", &[nested(depth)]) {
                    Err(e @ Error::BadArgument { index: 0, .. }) => {
                        let text = e.to_string();
                        assert!(text.contains("more than 62 deep"), "{text}");
                        assert!(text.contains("flatten it"), "{text}");
                    }
                    other => panic!("depth {depth}: {other:?}"),
                }
            }
            // Nothing stuck: the module still answers.
            assert_eq!(
                m.call(PKG, "EchoAny", &[Value::Int(7)]).unwrap(),
                Value::Int(7)
            );
        })
        .unwrap()
        .join()
        .unwrap();
}
