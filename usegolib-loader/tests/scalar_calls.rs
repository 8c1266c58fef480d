//! The scalar form of calls (docs/abi.md section 8.11): the level1 fixture's all-scalar
//! functions called through `GoModule::call_scalar` give what the general form gives for the
//! same values: the same results, and the same errors, panics included.

mod common;

use std::sync::Arc;

use usegolib_loader::{load_artifact, Error, GoModule, ScalarArgs, ScalarReply, Value};

const PKG: &str = "example.com/level1";

fn m() -> Arc<GoModule> {
    load_artifact(&common::built("level1")).expect("load level1")
}

/// The scalar call of `name` with `words`: its result words, or its error.
fn scalar(m: &GoModule, name: &str, words: &[u64]) -> Result<Vec<u64>, Error> {
    let f = m.function(PKG, name).expect(name);
    assert!(m.scalar_index(f).is_some(), "{name} has no scalar form");
    let mut args = ScalarArgs::new();
    for &w in words {
        assert!(args.push(w));
    }
    match m.call_scalar(f, &mut args)? {
        ScalarReply::Done(area) => {
            assert!(area.bytes().is_empty(), "{name}: a result area");
            Ok(args.words()[..f.results.len()].to_vec())
        }
        ScalarReply::Failed(reply) => {
            let (ok, mut r, _) = m.reply_parts(f, &reply)?;
            assert!(!ok, "{name}: a failure reply that is a success");
            Err(m.error_from_reader(f, &mut r))
        }
    }
}

/// The word of a Level-1 value, and back.
fn word(v: &Value) -> u64 {
    match v {
        Value::Int(i) => *i as u64,
        Value::Uint(u) => *u,
        Value::F64(f) => f.to_bits(),
        Value::F32(f) => f64::from(*f).to_bits(),
        Value::Bool(b) => u64::from(*b),
        v => panic!("not a scalar: {v:?}"),
    }
}

/// Asserts that `name(args)` gives the same in both forms; `back` reads a result word as the
/// general form's value.
fn same(m: &GoModule, name: &str, args: &[Value], back: fn(u64) -> Value) {
    let general = m.call(PKG, name, args);
    let words: Vec<u64> = args.iter().map(word).collect();
    let got = scalar(m, name, &words);
    match (general, got) {
        (Ok(want), Ok(ws)) => {
            let got = match ws.len() {
                0 => Value::Nil,
                1 => back(ws[0]),
                _ => Value::List(ws.into_iter().map(back).collect()),
            };
            assert_eq!(got, want, "{name}{args:?}");
        }
        (Err(want), Err(got)) => assert_eq!(got.to_string(), want.to_string(), "{name}{args:?}"),
        (want, got) => panic!("{name}{args:?}: general {want:?}, scalar {got:?}"),
    }
}

fn int(w: u64) -> Value {
    Value::Int(w as i64)
}

fn uint(w: u64) -> Value {
    match i64::try_from(w) {
        Ok(i) => Value::Int(i),
        Err(_) => Value::Uint(w),
    }
}

fn float(w: u64) -> Value {
    Value::F64(f64::from_bits(w))
}

fn float32(w: u64) -> Value {
    Value::F32(f64::from_bits(w) as f32)
}

fn boolean(w: u64) -> Value {
    Value::Bool(w == 1)
}

#[test]
fn results_match_the_general_form() {
    let m = m();
    same(&m, "AddInt", &[1.into(), 2.into()], int);
    same(&m, "AddInt", &[Value::Int(i64::MAX), Value::Int(1)], int);
    same(&m, "DivMod", &[Value::Int(17), Value::Int(5)], int);
    same(&m, "EchoInt", &[Value::Int(i64::MIN)], int);
    same(&m, "EchoInt64", &[Value::Int(-7)], int);
    same(&m, "EchoUint64", &[Value::Uint(u64::MAX)], uint);
    same(&m, "EchoUint", &[Value::Uint(1 << 63)], uint);
    same(&m, "EchoFloat64", &[Value::F64(0.1)], float);
    same(&m, "EchoFloat32", &[Value::F32(1.5)], float32);
    same(&m, "EchoFloat32", &[Value::F32(0.1)], float32);
    same(&m, "EchoBool", &[Value::Bool(true)], boolean);
    same(&m, "EchoBool", &[Value::Bool(false)], boolean);
    same(&m, "Nothing", &[], int);
    for (name, lo, hi) in [
        ("EchoInt8", -128i64, 127i64),
        ("EchoInt16", -32768, 32767),
        ("EchoInt32", i32::MIN as i64, i32::MAX as i64),
    ] {
        for v in [lo, hi] {
            same(&m, name, &[Value::Int(v)], int);
        }
    }
    for (name, hi) in [
        ("EchoUint8", 255u64),
        ("EchoUint16", 65535),
        ("EchoUint32", u32::MAX as u64),
    ] {
        same(&m, name, &[Value::Uint(0)], uint);
        same(&m, name, &[Value::Uint(hi)], uint);
    }
}

#[test]
fn failures_match_the_general_form() {
    let m = m();
    // The function's error, and its success.
    same(&m, "Check", &[Value::Bool(false)], int);
    same(&m, "Check", &[Value::Bool(true)], int);
    // Panics: a go_panic error, the stack aside.
    for name in ["PanicString", "PanicError"] {
        let e = scalar(&m, name, &[]).expect_err(name);
        assert!(matches!(e, Error::Panic { .. }), "{name}: {e:?}");
        let general = m.call(PKG, name, &[]).expect_err(name);
        assert_eq!(e.to_string(), general.to_string());
    }
    let e = scalar(&m, "PanicNilDeref", &[]).expect_err("nil deref");
    assert!(matches!(e, Error::Panic { .. }), "{e:?}");
    // Words out of their Go type's range are refused by Go with the decoder's errors.
    for (name, w) in [
        ("EchoInt8", 128u64),
        ("EchoInt8", (-129i64) as u64),
        ("EchoInt16", 1 << 15),
        ("EchoInt32", (i32::MIN as i64 - 1) as u64),
        ("EchoUint8", 256),
        ("EchoUint16", u64::MAX),
        ("EchoUint32", 1 << 32),
    ] {
        let e = scalar(&m, name, &[w]).expect_err(name);
        let Error::BadArgument { reason, .. } = &e else {
            panic!("{name}({w}): {e:?}");
        };
        assert!(reason.contains("is out of range for"), "{name}: {reason}");
    }
    let e = scalar(&m, "EchoFloat32", &[1e300f64.to_bits()]).expect_err("float32");
    assert!(
        e.to_string()
            .contains("value 1e+300 is out of range for float32"),
        "{e}"
    );
    let e = scalar(&m, "EchoBool", &[2]).expect_err("bool word");
    assert!(e.to_string().contains("expected bool"), "{e}");
    // A wrong number of words is an arity error.
    let e = scalar(&m, "AddInt", &[0, 0, 0]).expect_err("arity");
    assert!(e.to_string().contains("takes 2 arguments, got 3"), "{e}");
}

#[test]
fn only_all_scalar_functions_have_a_scalar_form() {
    let m = m();
    for name in [
        "EchoString",
        "EchoInts",
        "Sum",
        "ParseInt",
        "Triple",
        "Variadic",
    ] {
        if let Ok(f) = m.function(PKG, name) {
            assert_eq!(m.scalar_index(f), None, "{name}");
        }
    }
    let f = m.function(PKG, "Warm").expect("Warm"); // a named float type: general form only
    assert_eq!(m.scalar_index(f), None);
}

#[test]
fn scalar_calls_from_many_threads() {
    let m = m();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let m = m.clone();
            std::thread::spawn(move || {
                for i in 0..2000i64 {
                    let r = scalar(&m, "AddInt", &[(t * i) as u64, i as u64]).unwrap();
                    assert_eq!(r, vec![(t * i + i) as u64]);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}
