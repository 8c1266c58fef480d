//! Calls of plain functions: builds the level1 fixture module with the real Go toolchain, loads
//! the c-shared library and calls every scalar and list function shape, with exact results,
//! errors and panics included.

mod common;

use std::sync::Arc;

use usegolib_loader::{load, load_artifact, Error, GoModule, Value};

const PKG: &str = "example.com/level1";

fn m() -> Arc<GoModule> {
    load_artifact(&common::built("level1")).expect("load level1")
}

fn call(name: &str, args: &[Value]) -> Result<Value, Error> {
    m().call(PKG, name, args)
}

fn ok(name: &str, args: &[Value]) -> Value {
    call(name, args).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn list(items: Vec<Value>) -> Value {
    Value::List(items)
}

#[test]
fn add_int() {
    assert_eq!(ok("AddInt", &[1.into(), 2.into()]), Value::Int(3));
    assert_eq!(
        ok("AddInt", &[Value::Int(-5), Value::Int(i64::MAX - 1)]),
        Value::Int(i64::MAX - 6)
    );
}

/// (name, signed, bits) for every integer width, tested at min-1, min, max and max+1.
const INTS: &[(&str, bool, u32)] = &[
    ("Int8", true, 8),
    ("Int16", true, 16),
    ("Int32", true, 32),
    ("Int64", true, 64),
    ("Int", true, 64),
    ("Uint8", false, 8),
    ("Uint16", false, 16),
    ("Uint32", false, 32),
    ("Uint64", false, 64),
    ("Uint", false, 64),
];

fn int_value(v: i128) -> Value {
    match i64::try_from(v) {
        Ok(i) => Value::Int(i),
        Err(_) => Value::Uint(v as u64),
    }
}

#[test]
fn every_integer_width_at_its_bounds() {
    for &(name, signed, bits) in INTS {
        let (min, max) = if signed {
            (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
        } else {
            (0, (1i128 << bits) - 1)
        };
        let f = format!("Echo{name}");
        for v in [min, max, 0, 1] {
            assert_eq!(ok(&f, &[int_value(v)]), int_value(v), "{f}({v})");
        }
        for v in [min - 1, max + 1] {
            if !(i64::MIN as i128..=u64::MAX as i128).contains(&v) {
                continue; // not representable as a Value at all
            }
            match call(&f, &[int_value(v)]) {
                Err(Error::BadArgument {
                    param,
                    go_type,
                    reason,
                    index: 0,
                    ..
                }) => {
                    assert_eq!(param, "v");
                    assert_eq!(go_type, name.to_lowercase());
                    assert!(
                        reason.contains(&format!("value {v} is out of range")),
                        "{reason}"
                    );
                    assert!(reason.contains(&format!("[{min}, {max}]")), "{reason}");
                }
                other => panic!("{f}({v}) should be refused, got {other:?}"),
            }
        }
        // The slice echo of the same type, at both bounds ([]uint8 is []byte: bytes).
        let fs = format!("Echo{name}s");
        let both = if name == "Uint8" {
            Value::Bytes(vec![0, 255])
        } else {
            list(vec![int_value(min), int_value(max)])
        };
        assert_eq!(ok(&fs, std::slice::from_ref(&both)), both, "{fs}");
    }
}

#[test]
fn the_go_side_range_checks_too() {
    // Bypass the Rust-side check by sending a raw request: Go must refuse 300 for int8.
    let module = m();
    let f = module.function(PKG, "EchoInt8").unwrap();
    let mut req = Vec::new();
    usegolib_abi::write_request_header(&mut req, &usegolib_abi::Target::Id(f.id()), 1);
    usegolib_abi::write_int(&mut req, 300);
    let err = module
        .call_raw(f, &mut req, |okay, r| {
            assert!(!okay);
            module.error_from_reader(f, r)
        })
        .unwrap();
    match err {
        Error::BadArgument {
            param,
            go_type,
            reason,
            ..
        } => {
            assert_eq!((param.as_str(), go_type.as_str()), ("v", "int8"));
            assert_eq!(reason, "value 300 is out of range for int8 [-128, 127]");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn floats_bools_strings_bytes() {
    assert_eq!(ok("EchoFloat64", &[Value::F64(-0.0)]), Value::F64(-0.0));
    assert_eq!(
        ok("EchoFloat64", &[Value::Int(7)]),
        Value::F64(7.0),
        "an int for a float"
    );
    assert_eq!(ok("EchoFloat32", &[Value::F64(1.5)]), Value::F32(1.5));
    assert_eq!(ok("EchoFloat32", &[Value::Int(3)]), Value::F32(3.0));
    let nan = ok("EchoFloat64", &[Value::F64(f64::NAN)]);
    assert!(matches!(nan, Value::F64(f) if f.is_nan()));
    assert!(matches!(
        call("EchoFloat32", &[Value::F64(1e39)]),
        Err(Error::BadArgument { .. })
    ));
    assert_eq!(ok("EchoBool", &[true.into()]), Value::Bool(true));
    assert!(
        matches!(
            call("EchoBool", &[1.into()]),
            Err(Error::BadArgument { .. })
        ),
        "an int is not a bool"
    );
    assert!(
        matches!(
            call("EchoInt", &[true.into()]),
            Err(Error::BadArgument { .. })
        ),
        "a bool is not an int"
    );
    assert!(
        matches!(
            call("EchoInt", &[Value::F64(1.0)]),
            Err(Error::BadArgument { .. })
        ),
        "a float is not an int"
    );
    for s in ["", "hello", "a\0b", "\u{1F600}", &"x".repeat(70_000)] {
        assert_eq!(ok("EchoString", &[s.into()]), Value::Str(s.to_owned()));
    }
    for b in [vec![], vec![0u8, 255], vec![7u8; 200_000]] {
        assert_eq!(ok("EchoBytes", &[Value::Bytes(b.clone())]), Value::Bytes(b));
    }
    assert_eq!(
        ok("EchoStrings", &[list(vec!["a".into(), "".into()])]),
        list(vec!["a".into(), "".into()])
    );
    let bl = list(vec![Value::Bytes(b"x".to_vec()), Value::Bytes(vec![])]);
    assert_eq!(ok("EchoBytesList", std::slice::from_ref(&bl)), bl);
    let fl = list(vec![Value::F64(1.25), Value::F64(-2.0)]);
    assert_eq!(ok("EchoFloat64s", std::slice::from_ref(&fl)), fl);
    assert_eq!(
        ok("EchoFloat32s", &[list(vec![Value::F64(0.5)])]),
        list(vec![Value::F32(0.5)])
    );
    assert_eq!(
        ok("EchoBools", &[list(vec![true.into(), false.into()])]),
        list(vec![true.into(), false.into()])
    );
    let matrix = list(vec![
        list(vec![1.into(), 2.into()]),
        list(vec![]),
        list(vec![Value::Int(-3)]),
    ]);
    assert_eq!(ok("EchoInt64Matrix", std::slice::from_ref(&matrix)), matrix);
    assert_eq!(
        ok("Sum", &[list((1..=100).map(Value::from).collect())]),
        Value::Int(5050)
    );
}

#[test]
fn list_element_errors_name_the_element() {
    match call("EchoInt8s", &[list(vec![1.into(), 2.into(), 200.into()])]) {
        Err(Error::BadArgument {
            reason, go_type, ..
        }) => {
            assert_eq!(go_type, "[]int8");
            assert_eq!(
                reason,
                "element 2: value 200 is out of range for int8 [-128, 127]"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn invalid_utf8_survives_both_ways() {
    let s = ok("BadUTF8", &[]);
    assert_eq!(s, Value::RawStr(b"a\xffb".to_vec()));
    assert_eq!(ok("StringBytes", &[s]), Value::Bytes(b"a\xffb".to_vec()));
}

#[test]
fn results_errors_nil_and_empty() {
    assert_eq!(
        ok("DivMod", &[Value::Int(17), Value::Int(5)]),
        list(vec![3.into(), 2.into()])
    );
    assert_eq!(
        ok("Triple", &[]),
        list(vec!["three".into(), 3.into(), Value::Bytes(vec![1, 2, 3])])
    );
    assert_eq!(ok("ParseInt", &["-42".into()]), Value::Int(-42));
    match call("ParseInt", &["x".into()]) {
        Err(Error::Go {
            message, go_type, ..
        }) => {
            assert_eq!(message, "strconv.ParseInt: parsing \"x\": invalid syntax");
            assert_eq!(go_type, "*strconv.NumError");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(ok("Check", &[true.into()]), Value::Nil);
    match call("Check", &[false.into()]) {
        Err(Error::Go {
            message, go_type, ..
        }) => {
            assert_eq!(message, "check failed: not ok");
            assert_eq!(go_type, "*level1.CheckError");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(ok("Nothing", &[]), Value::Nil);
    assert_eq!(ok("NilInts", &[]), list(vec![]));
    assert_eq!(ok("EmptyInts", &[]), list(vec![]));
    assert_eq!(ok("NilStrings", &[]), list(vec![]));
    assert_eq!(ok("NilBytes", &[]), Value::Bytes(vec![]));
    assert_eq!(ok("EmptyBytes", &[]), Value::Bytes(vec![]));
    assert_eq!(
        ok("EchoInt64s", &[Value::Nil]),
        list(vec![]),
        "nil is accepted for a slice"
    );
}

#[test]
fn panics_become_errors_with_value_and_stack() {
    for (name, value, ty) in [
        ("PanicString", "boom", "string"),
        ("PanicError", "bad thing", "*errors.errorString"),
        (
            "PanicNilDeref",
            "runtime error: invalid memory address or nil pointer dereference",
            "runtime.boundsError",
        ),
    ] {
        match call(name, &[]) {
            Err(Error::Panic {
                value: v,
                go_type,
                stack,
                ..
            }) => {
                assert_eq!(v, value, "{name}");
                if name != "PanicNilDeref" {
                    assert_eq!(go_type, ty, "{name}");
                } else {
                    assert!(go_type.starts_with("runtime."), "{go_type}");
                }
                assert!(
                    stack.contains(&format!("level1.{name}")),
                    "{name} stack: {stack}"
                );
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    assert_eq!(
        ok("AddInt", &[1.into(), 1.into()]),
        Value::Int(2),
        "still works after panics"
    );
}

#[test]
fn arity_skipped_and_unknown() {
    match call("AddInt", &[1.into()]) {
        Err(Error::Arity {
            expected: 2,
            got: 1,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    match call("Send", &[]) {
        Err(Error::Skipped { reason, .. }) => assert!(
            reason.contains("parameter ch has type chan int"),
            "{reason}"
        ),
        other => panic!("{other:?}"),
    }
    for (name, word) in [("Generic", "instantiation"), ("Conj", "complex")] {
        match call(name, &[]) {
            Err(Error::Skipped { reason, .. }) => {
                assert!(reason.to_lowercase().contains(word), "{name}: {reason}")
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    match call("Addint", &[]) {
        Err(Error::UnknownSymbol { suggestions, .. }) => assert_eq!(suggestions[0], "AddInt"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_schema_lists_packages_functions_and_skips() {
    let module = m();
    let paths: Vec<&str> = module.packages().iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, ["example.com/level1", "example.com/level1/sub"]);
    let skipped: Vec<&str> = module
        .schema()
        .skipped_packages
        .iter()
        .map(|p| p.path.as_str())
        .collect();
    assert!(
        skipped.contains(&"example.com/level1/internal/hidden"),
        "{skipped:?}"
    );
    assert!(
        skipped.contains(&"example.com/level1/cmd/tool"),
        "{skipped:?}"
    );
    let add = module.function(PKG, "AddInt").unwrap();
    assert_eq!(add.schema.signature, "func AddInt(a int, b int) int");
    assert_eq!(add.schema.doc.trim(), "AddInt returns a+b.");
    assert_eq!(module.manifest().version, "local");
    assert!(module.manifest().local);
    assert_eq!(
        module.manifest().fingerprint.as_deref(),
        Some(
            usegolib_loader::fingerprint(&common::fixture("level1"))
                .unwrap()
                .as_str()
        ),
        "the Go builder and the Rust loader compute the same fingerprint"
    );
}

#[test]
fn second_package_and_second_module_in_one_process() {
    assert_eq!(
        m().call("example.com/level1/sub", "Hello", &["go".into()])
            .unwrap(),
        Value::Str("hello, go".into())
    );
    assert_eq!(
        m().call("example.com/level1/sub", "Twice", &[Value::Int(21)])
            .unwrap(),
        Value::Int(42)
    );
    let other = load_artifact(&common::built("other")).unwrap();
    assert_eq!(
        other
            .call("example.com/other", "AddInt", &[1.into(), 2.into()])
            .unwrap(),
        Value::Int(1003)
    );
    assert_eq!(
        other.call("example.com/other", "Name", &[]).unwrap(),
        Value::Str("other".into())
    );
    assert_eq!(ok("AddInt", &[1.into(), 2.into()]), Value::Int(3));
}

#[test]
fn one_runtime_per_module_and_version_conflicts() {
    let a = m();
    let b = load(&common::root(), "example.com/level1", None).unwrap();
    assert!(
        Arc::ptr_eq(&a, &b),
        "the same module loads as the same runtime"
    );
    // Another version of the loaded module: a copy of the artifact that claims v1.0.0.
    let dir = common::root().join("conflict/example.com/level1@v1.0.0/x");
    common::copy_dir(a.artifact_dir(), &dir);
    common::edit_manifest(&dir, |m| m["version"] = "v1.0.0".into());
    match load_artifact(&dir) {
        Err(e @ Error::VersionConflict { .. }) => {
            let text = e.to_string();
            assert!(text.contains("local") && text.contains("v1.0.0"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    match load(&common::root(), "example.com/level1", Some("v2.0.0")) {
        Err(Error::VersionConflict {
            loaded, requested, ..
        }) => assert_eq!((loaded.as_str(), requested.as_str()), ("local", "v2.0.0")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn threads_call_concurrently_with_exact_results() {
    let module = m();
    let f = module.function(PKG, "AddInt").unwrap().clone();
    let handles: Vec<_> = (0..8i64)
        .map(|t| {
            let module = module.clone();
            let f = f.clone();
            std::thread::spawn(move || {
                for i in 0..2_000i64 {
                    let r = module
                        .call_function(&f, &[Value::Int(t), Value::Int(i)])
                        .unwrap();
                    assert_eq!(r, Value::Int(t + i));
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn large_replies_use_malloced_memory() {
    // 1 MiB does not fit the 64 KiB per-thread reply buffer: exercises the malloc + free path.
    let big: Vec<u8> = (0..(1 << 20)).map(|i| (i * 7 % 251) as u8).collect();
    for _ in 0..20 {
        assert_eq!(
            ok("Echo", &[Value::Bytes(big.clone())]),
            Value::Bytes(big.clone())
        );
    }
}
