//! The scalar form of calls (docs/abi.md section 8.11): the level1 fixture's all-scalar
//! functions called through `GoModule::call_scalar` give what the general form gives for the
//! same values: the same results, and the same errors, panics included.

mod common;

use std::sync::Arc;

use usegolib_loader::{
    load_artifact, Error, GoModule, ScalarArgs, ScalarPart, ScalarReply, Value, WireType,
};

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
    // (EchoString and ParseInt have one since strings travel in it, docs/abi.md section 8.13.)
    for name in ["EchoInts", "Sum", "Triple", "Variadic"] {
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

// Strings and flat records in the scalar form (docs/abi.md section 8.13), on the scalars
// fixture: each call made both ways with the same values gives the same result or error.

const SCALARS: &str = "example.com/scalars";

fn scalars() -> Arc<GoModule> {
    load_artifact(&common::built("scalars")).expect("load scalars")
}

/// Pushes `v`, a value of type `ty` laid out as `part`, as a host does (a record as a map
/// giving every field, in any order).
fn push<'a>(
    m: &GoModule,
    args: &mut ScalarArgs<'a>,
    part: &ScalarPart,
    ty: &WireType,
    v: &'a Value,
) {
    match (part, ty, v) {
        (ScalarPart::Str, _, Value::Str(s)) => assert!(args.push_str(s.as_bytes())),
        (ScalarPart::Str, _, Value::RawStr(b)) => assert!(args.push_str(b)),
        (ScalarPart::Record(parts), WireType::Record(key), Value::Map(fields)) => {
            let rec = &m.records()[key];
            for (p, f) in parts.iter().zip(&rec.fields) {
                let (_, fv) = fields
                    .iter()
                    .find(|(k, _)| *k == f.key)
                    .expect("every field");
                push(m, args, p, &f.ty, fv);
            }
        }
        (ScalarPart::Word, _, v) => assert!(args.push(word(v))),
        (p, t, v) => panic!("{v:?} is no {t} ({p:?})"),
    }
}

/// The value of type `ty` laid out as `part` at `words` (advanced past it), its strings in
/// `area`.
fn read(m: &GoModule, part: &ScalarPart, ty: &WireType, words: &mut &[u64], area: &[u8]) -> Value {
    let w = words[0];
    match (part, ty) {
        (ScalarPart::Str, _) => {
            let b = usegolib_loader::scalar_result_str(area, w, words[1]).expect("inside the area");
            *words = &words[2..];
            match std::str::from_utf8(b) {
                Ok(s) => Value::Str(s.to_owned()),
                Err(_) => Value::RawStr(b.to_vec()),
            }
        }
        (ScalarPart::Record(parts), WireType::Record(key)) => {
            let rec = &m.records()[key];
            let fields = parts.iter().zip(&rec.fields);
            Value::Map(
                fields
                    .map(|(p, f)| (f.key.clone(), read(m, p, &f.ty, words, area)))
                    .collect(),
            )
        }
        (ScalarPart::Word, t) => {
            *words = &words[1..];
            match t {
                WireType::Bool => boolean(w),
                WireType::F32 => float32(w),
                WireType::F64 => float(w),
                WireType::Int(i) if i.signed => int(w),
                _ => uint(w),
            }
        }
        (p, t) => panic!("no {t} as {p:?}"),
    }
}

/// `name(args)` in the scalar form: its results as the general form gives them (one value,
/// a list of several, nil for none), or its error.
fn scalar_values(m: &GoModule, name: &str, args: &[Value]) -> Result<Value, Error> {
    let f = m.function(SCALARS, name).expect(name);
    let layout = m
        .scalar_layout(f)
        .unwrap_or_else(|| panic!("{name} has no scalar form"));
    let mut sa = ScalarArgs::new();
    for ((p, t), v) in layout.params.iter().zip(&f.params).zip(args) {
        push(m, &mut sa, p, t, v);
    }
    let area = match m.call_scalar(f, &mut sa)? {
        ScalarReply::Done(area) => area,
        ScalarReply::Failed(reply) => {
            let (ok, mut r, _) = m.reply_parts(f, &reply)?;
            assert!(!ok, "{name}: a failure reply that is a success");
            return Err(m.error_from_reader(f, &mut r));
        }
    };
    if !layout.has_str_results() {
        assert!(
            area.bytes().is_empty(),
            "{name}: a result area without string results"
        );
    }
    let mut words = &sa.words()[..];
    let mut out: Vec<Value> = layout
        .results
        .iter()
        .zip(&f.results)
        .map(|(p, t)| read(m, p, t, &mut words, area.bytes()))
        .collect();
    Ok(match out.len() {
        0 => Value::Nil,
        1 => out.remove(0),
        _ => Value::List(out),
    })
}

/// Whether a general-form value and a scalar-form value are the same: a record field the
/// general reply leaves out (omitempty) is the zero value in the scalar one.
fn same_value(general: &Value, scalar: &Value) -> bool {
    let zero = |v: &Value| match v {
        Value::Int(0) | Value::Bool(false) => true,
        Value::F64(f) => *f == 0.0,
        Value::F32(f) => *f == 0.0,
        Value::Str(s) => s.is_empty(),
        _ => false,
    };
    match (general, scalar) {
        (Value::Map(g), Value::Map(s)) => {
            g.iter().all(|(k, _)| s.iter().any(|(sk, _)| sk == k))
                && s.iter()
                    .all(|(k, sv)| match g.iter().find(|(gk, _)| gk == k) {
                        Some((_, gv)) => same_value(gv, sv),
                        None => zero(sv),
                    })
        }
        (Value::List(g), Value::List(s)) => {
            g.len() == s.len() && g.iter().zip(s).all(|(g, s)| same_value(g, s))
        }
        (g, s) => g == s,
    }
}

/// Asserts that `name(args)` gives the same in both forms.
fn same_both(m: &GoModule, name: &str, args: &[Value]) {
    let general = m.call(SCALARS, name, args);
    match (general, scalar_values(m, name, args)) {
        (Ok(want), Ok(got)) => assert!(
            same_value(&want, &got),
            "{name}{args:?}: general {want:?}, scalar {got:?}"
        ),
        (Err(want), Err(got)) => assert_eq!(got.to_string(), want.to_string(), "{name}{args:?}"),
        (want, got) => panic!("{name}{args:?}: general {want:?}, scalar {got:?}"),
    }
}

fn s(v: &str) -> Value {
    Value::Str(v.into())
}

fn point(x: f64, y: f64, tag: &str) -> Value {
    Value::Map(vec![
        ("X".into(), Value::F64(x)),
        ("Y".into(), Value::F64(y)),
        ("Tag".into(), s(tag)),
    ])
}

#[test]
fn strings_match_the_general_form() {
    let m = scalars();
    let big = "ü".repeat(50_000); // 100 kB: more than the lent reply buffer
    for v in [
        s(""),
        s("p"),
        s("a\0b"),
        s("héllo ☃"),
        Value::RawStr(b"\xff\xfe\xc3".to_vec()),
        s(&big),
    ] {
        same_both(&m, "Echo", std::slice::from_ref(&v));
        same_both(&m, "Invalid", std::slice::from_ref(&v));
        same_both(&m, "Concat", &[v.clone(), s("-x")]);
    }
    // A result larger than the buffer (malloc'd area), twice: the thread's buffer grows.
    for _ in 0..2 {
        same_both(&m, "Repeat", &[s("ab"), Value::Int(70_000)]);
    }
    same_both(&m, "Repeat", &[s("ab"), Value::Int(0)]);
}

#[test]
fn flat_records_match_the_general_form() {
    let m = scalars();
    same_both(&m, "EchoPoint", &[point(1.5, -2.0, "p")]);
    same_both(&m, "EchoPoint", &[point(f64::MAX, -0.0, "")]);
    same_both(&m, "Norm", &[point(3.0, 4.0, "xyz")]);
    same_both(
        &m,
        "MakePoint",
        &[Value::F64(1.0), Value::F64(2.0), s("t\0")],
    );
    same_both(&m, "PanicPoint", &[point(1.0, 2.0, "ok")]);
    let e = scalar_values(&m, "PanicPoint", &[point(1.0, 2.0, "panic")]).expect_err("panic");
    assert!(
        matches!(e, Error::Panic { .. }) && e.to_string().contains("panic at 1,2"),
        "{e}"
    );
    // Edges and Narrow: each field at its range's ends, then each narrow field one past them.
    for (ty, echo) in [("Edges", "EchoEdges"), ("Narrow", "EchoNarrow")] {
        range_edges(&m, ty, echo);
    }
    // A field tagged "-" (Go sets it; it never travels), omitempty fields, a record of no word.
    same_both(
        &m,
        "EchoSkip",
        &[Value::Map(vec![
            ("a".into(), Value::Int(1)),
            ("b".into(), s("x")),
        ])],
    );
    let sparse = |n: i64, st: &str| {
        Value::Map(vec![
            ("n".into(), Value::Int(n)),
            ("f".into(), Value::F64(0.0)),
            ("s".into(), s(st)),
            ("b".into(), Value::Bool(false)),
        ])
    };
    same_both(&m, "EchoSparse", &[sparse(0, "")]);
    same_both(&m, "EchoSparse", &[sparse(7, "q")]);
    same_both(&m, "EchoEmpty", &[Value::Map(vec![]), Value::Int(3)]);
}

#[test]
fn records_that_are_not_flat_keep_the_general_form() {
    let m = scalars();
    for name in ["EchoText", "EchoNested", "EchoEmbeds", "EchoWide"] {
        let f = m.function(SCALARS, name).expect(name);
        assert_eq!(m.scalar_index(f), None, "{name}");
        assert!(f.schema.scalar.is_none(), "{name}");
    }
    for name in ["Echo", "EchoPoint", "EchoEmpty"] {
        let f = m.function(SCALARS, name).expect(name);
        assert_eq!(
            m.scalar_layout(f).map(|l| l.index),
            f.schema.scalar,
            "{name}"
        );
    }
    let f = m.function(SCALARS, "EchoPoint").unwrap();
    let l = m.scalar_layout(f).unwrap();
    let point = ScalarPart::Record(vec![ScalarPart::Word, ScalarPart::Word, ScalarPart::Str]);
    assert_eq!(
        (l.nargs(), &l.params[..], &l.results[..]),
        (4, &[point.clone()][..], &[point][..])
    );
}

/// Words that are not where the layout has its strings never reach Go (it would read memory
/// at them): the loader refuses them.
#[test]
fn string_words_must_be_strings() {
    let m = scalars();
    let f = m.function(SCALARS, "Echo").unwrap();
    let mut args = ScalarArgs::new();
    assert!(args.push(0x1000) && args.push(5));
    let e = match m.call_scalar(f, &mut args) {
        Err(e) => e,
        Ok(_) => panic!("words as a string were sent"),
    };
    assert!(
        e.to_string()
            .contains("push a string with ScalarArgs::push_str exactly where"),
        "{e}"
    );
    // No string where Tag is: refused too.
    let f = m.function(SCALARS, "EchoPoint").unwrap();
    let mut args = ScalarArgs::new();
    assert!(args.push(1) && args.push(2));
    let e = m.call_scalar(f, &mut args);
    assert!(
        matches!(e, Err(Error::Bridge { .. })),
        "no string where Tag is"
    );
    // The strings in place and a word too many: Go's arity error, counting words.
    let mut args = ScalarArgs::new();
    assert!(args.push(1) && args.push(2) && args.push_str(b"t") && args.push(9));
    let Ok(ScalarReply::Failed(reply)) = m.call_scalar(f, &mut args) else {
        panic!("a word too many was taken");
    };
    let (_, mut r, _) = m.reply_parts(f, &reply).unwrap();
    let e = m.error_from_reader(f, &mut r);
    // (The loader's Arity error shows the counts of the reply's detail: words here.)
    assert!(
        matches!(
            e,
            Error::Arity {
                expected: 4,
                got: 5,
                ..
            }
        ),
        "{e}"
    );
}

/// A method of a flat record's record form (`X.Fields.M`, docs/abi.md sections 8.3 and 8.13):
/// its receiver is the record's words, first; a result record of it too (the bench fixture's
/// `Result`, gjson's shape: its methods make it a handle type whose record form travels).
#[test]
fn record_methods_take_the_receiver_as_words() {
    let m = load_artifact(&common::built("bench")).expect("load bench");
    let pkg = "example.com/bench";
    let get = m.function(pkg, "GetNum").unwrap();
    let to_int = m.function(pkg, "Result.Fields.Int").unwrap();
    let rec = |n: f64, raw: &str| {
        Value::Map(vec![
            ("type".into(), Value::Int(2)),
            ("raw".into(), s(raw)),
            ("Num".into(), Value::F64(n)),
        ])
    };
    for r in [rec(42.9, "42.9"), rec(-1e18, ""), rec(0.0, "a\0")] {
        let general = m.call_function(to_int, std::slice::from_ref(&r)).unwrap();
        let l = m
            .scalar_layout(to_int)
            .expect("Result.Fields.Int has a scalar form");
        let mut args = ScalarArgs::new();
        push(&m, &mut args, &l.params[0], &to_int.params[0], &r);
        let Ok(ScalarReply::Done(_)) = m.call_scalar(to_int, &mut args) else {
            panic!("Result.Fields.Int failed");
        };
        assert_eq!(int(args.words()[0]), general, "{r:?}");
    }
    let general = m.call_function(get, &[]).unwrap();
    let l = m.scalar_layout(get).expect("GetNum has a scalar form");
    let mut args = ScalarArgs::new();
    let Ok(ScalarReply::Done(area)) = m.call_scalar(get, &mut args) else {
        panic!("GetNum failed");
    };
    let mut words = &args.words()[..];
    let got = read(&m, &l.results[0], &get.results[0], &mut words, area.bytes());
    assert!(
        same_value(&general, &got),
        "general {general:?}, scalar {got:?}"
    );
}

/// A flat record's string field is a view of the host's bytes where the compiler proves the
/// record is not kept (docs/abi.md sections 8.12 and 8.13), and a copy where it is kept: a kept
/// record's Tag survives the host reusing its bytes.
#[test]
fn record_strings_in_place_and_kept() {
    let m = load_artifact(&common::built("inplace")).expect("load inplace");
    let pkg = "example.com/inplace";
    let f = |name: &str| m.function(pkg, name).unwrap();
    for (name, in_place) in [
        ("EchoTagged", true),
        ("TagLen", true),
        ("KeepTagged", false),
    ] {
        assert_eq!(f(name).schema.params[0].in_place, in_place, "{name}");
    }
    // Calls `name(Tagged{N: n, Tag: <buf>})` in the scalar form; the result words and area.
    let call = |name: &str, n: i64, buf: &[u8]| -> (Vec<u64>, Vec<u8>) {
        let fun = f(name);
        let mut args = ScalarArgs::new();
        assert!(args.push(n as u64) && args.push_str(buf));
        let Ok(ScalarReply::Done(area)) = m.call_scalar(fun, &mut args) else {
            panic!("{name} failed");
        };
        (args.words()[..4].to_vec(), area.bytes().to_vec())
    };
    let mut buf = b"kept tag".to_vec();
    call("KeepTagged", 7, &buf);
    for fill in [b'X', b'Y'] {
        buf.iter_mut().for_each(|b| *b = fill);
        let (w, area) = call("EchoTagged", 1, &buf);
        assert_eq!(
            (w[0], &area[w[1] as usize..][..w[2] as usize]),
            (1, &buf[..])
        );
        assert_eq!(call("TagLen", 2, &buf).0[0], 10);
    }
    let kept = m.call(pkg, "KeptTagged", &[]).unwrap();
    let want = Value::Map(vec![
        ("N".into(), Value::Int(7)),
        ("Tag".into(), s("kept tag")),
    ]);
    assert_eq!(kept, want);
    // A string flowing to a flat record result.
    let to = f("ToTagged");
    let mut args = ScalarArgs::new();
    assert!(args.push_str(b"to\0tag"));
    let Ok(ScalarReply::Done(area)) = m.call_scalar(to, &mut args) else {
        panic!("ToTagged failed");
    };
    let w = args.words();
    assert_eq!(
        usegolib_loader::scalar_result_str(area.bytes(), w[1], w[2]),
        Some(&b"to\0tag"[..])
    );
}

/// Calls `echo(v)` both ways with `v` a record of type `ty` whose fields are each at its
/// range's low end, then its high end, then each narrow field one past them (the general
/// form's error, naming the parameter and the field).
fn range_edges(m: &GoModule, ty: &str, echo: &str) {
    let rec = &m.records()[&format!("{SCALARS}.{ty}")];
    let edges = |hi: bool, over: Option<&str>| {
        let fields = rec.fields.iter().map(|f| {
            let v = match &f.ty {
                WireType::Int(t) if over == Some(f.key.as_str()) && t.signed => {
                    Value::Int(if hi { t.max() + 1 } else { t.min() - 1 } as i64)
                }
                WireType::Int(t) if over == Some(f.key.as_str()) => {
                    Value::Uint((t.max() + 1) as u64)
                }
                WireType::F32 if over == Some(f.key.as_str()) => Value::F64(1e300),
                WireType::Int(t) if t.signed => {
                    Value::Int(if hi { t.max() } else { t.min() } as i64)
                }
                WireType::Int(t) => Value::Uint(if hi { t.max() as u64 } else { 0 }),
                WireType::F32 => Value::F64(if hi { 0.1 } else { -3.4e38 }),
                WireType::Bool => Value::Bool(hi),
                WireType::Str => s(if hi { "s\0" } else { "" }),
                t => panic!("{ty} has a field of type {t}"),
            };
            (f.key.clone(), v)
        });
        Value::Map(fields.collect())
    };
    same_both(m, echo, &[edges(false, None)]);
    same_both(m, echo, &[edges(true, None)]);
    // Out of a field's range: the general form's error, naming the parameter and the field.
    for f in &rec.fields {
        let narrow = match &f.ty {
            WireType::Int(t) => t.bits < 64,
            WireType::F32 => true,
            _ => false,
        };
        for hi in [false, true] {
            if !narrow || !hi && matches!(&f.ty, WireType::Int(t) if !t.signed) {
                continue;
            }
            let bad = edges(hi, Some(&f.key));
            if f.ty != WireType::F32 {
                // (The Rust encoder refuses a float32 first, writing the value as Rust does.)
                same_both(m, echo, std::slice::from_ref(&bad));
            }
            let e = scalar_values(m, echo, &[bad]).expect_err("out of range");
            let want = format!("struct {ty}: field {}", f.key);
            assert!(
                matches!(e, Error::BadArgument { .. }) && e.to_string().contains(&want),
                "{e}"
            );
        }
    }
}
