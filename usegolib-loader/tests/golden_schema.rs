//! The Go generator's golden schemas (`go/gen/testdata/*.golden/schema.json.golden`) read by the
//! loader's schema model: the two sides of the schema cannot drift apart without this failing.
//! Every wire type parses and prints back as written, every entry's kind agrees with its
//! fields, and every type a wire type names is in the schema.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use usegolib_loader::{
    check_schema, host_platform, parse_manifest, FunctionKind, Schema, WireType, SCHEMA_VERSION,
};

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../go/gen/testdata")
        .join(format!("{name}.golden"))
        .join("schema.json.golden")
}

/// Reads a golden schema and checks it as loading a library would, inside a manifest made for
/// this platform.
fn load(name: &str) -> (serde_json::Value, Schema) {
    let path = golden(name);
    let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let raw: serde_json::Value = serde_json::from_slice(&text).expect("the golden is JSON");
    let (goos, goarch) = host_platform();
    let manifest = serde_json::json!({
        "manifest_version": 1,
        "abi_version": raw["abi_version"],
        "module": raw["module"],
        "version": raw["version"],
        "local": true,
        "go_version": "go1.0",
        "goos": goos,
        "goarch": goarch,
        "library": {"file": "libusegolib.so", "sha256": "0".repeat(64)},
        "fingerprint": null,
        "schema": raw,
    });
    let bytes = serde_json::to_vec(&manifest).unwrap();
    let m = parse_manifest(&bytes, &path).unwrap_or_else(|e| panic!("{name}: {e}"));
    let schema = check_schema(&m, &path).unwrap_or_else(|e| panic!("{name}: {e}"));
    (raw, schema)
}

/// Every wire type of `schema` as written, with where it is.
fn wire_types(schema: &Schema) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for pkg in &schema.packages {
        for f in &pkg.functions {
            for p in f.params.iter().chain(&f.results) {
                out.push((
                    format!("{}.{} {}", pkg.path, f.name, p.name),
                    p.wire.clone(),
                ));
            }
        }
    }
    for (key, t) in &schema.types {
        for f in &t.fields {
            out.push((format!("{key}.{}", f.name), f.wire.clone()));
        }
    }
    out
}

fn check(name: &str) -> BTreeMap<&'static str, usize> {
    let (raw, schema) = load(name);
    assert_eq!(raw["schema_version"], SCHEMA_VERSION, "{name}");

    // Every wire type parses, and prints back exactly as the generator wrote it.
    for (at, wire) in wire_types(&schema) {
        let t = WireType::parse(&wire).unwrap_or_else(|e| panic!("{name}: {at}: {e}"));
        assert_eq!(t.to_string(), wire, "{name}: {at}");
    }

    // Every entry's kind is consistent with its fields, its name and the types table.
    let mut kinds = BTreeMap::new();
    let mut ids = Vec::new();
    for pkg in &schema.packages {
        for f in &pkg.functions {
            *kinds.entry(f.kind.as_str()).or_insert(0) += 1;
            ids.push(f.id);
            let what = format!("{name}: {}.{}", pkg.path, f.name);
            // The JSON spelling is the one the loader's model prints.
            let entry = raw["packages"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["path"] == pkg.path.as_str())
                .and_then(|p| {
                    p["functions"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|e| e["id"] == f.id)
                })
                .unwrap();
            assert_eq!(entry["kind"], f.kind.as_str(), "{what}");
            match f.kind {
                FunctionKind::Function => {
                    assert!(!f.name.contains('.') && !f.name.contains('['), "{what}")
                }
                FunctionKind::Method if f.receiver.as_deref().unwrap().starts_with('@') => {
                    // A method of a record form: "X.Fields.M", the record by value first.
                    let recv = f.receiver.as_deref().unwrap();
                    let t = &schema.types[&recv[1..]];
                    assert_eq!(f.params[0].wire, recv, "{what}: receiver");
                    assert!(f.name.starts_with(&format!("{}.Fields.", t.name)), "{what}");
                }
                FunctionKind::Method => {
                    let recv = f.receiver.as_deref().unwrap();
                    let t = &schema.types[recv];
                    assert!(
                        t.methods.contains(&f.id),
                        "{what}: not in its type's methods"
                    );
                    if t.kind == "value" {
                        // A value type's method takes the value itself (docs/abi.md 8.8).
                        assert_eq!(Some(&f.params[0].wire), t.wire.as_ref(), "{what}");
                        assert_eq!(f.params[0].class.as_deref(), Some(recv), "{what}");
                    } else {
                        assert_eq!(t.kind, "handle", "{what}");
                        assert_eq!(f.params[0].wire, format!("&{recv}"), "{what}: receiver");
                    }
                    assert!(f.name.starts_with(&format!("{}.", t.name)), "{what}");
                }
                FunctionKind::Constructor => {
                    assert!(f.name.ends_with(".__new__"), "{what}");
                    let owner: Vec<_> = schema
                        .types
                        .iter()
                        .filter(|(_, t)| t.constructor == Some(f.id))
                        .collect();
                    assert_eq!(owner.len(), 1, "{what}: one type names it");
                    let (key, _) = owner[0];
                    assert_eq!(f.results.len(), 1, "{what}");
                    assert_eq!(f.results[0].wire, format!("&{key}"), "{what}: result");
                }
                FunctionKind::Var => {
                    assert!(f.params.is_empty(), "{what}");
                    assert_eq!(f.results.len(), 1, "{what}");
                    assert_eq!(f.var.as_deref(), Some(f.name.as_str()), "{what}");
                }
                FunctionKind::Generic => {
                    let g = f.generic.as_ref().unwrap();
                    assert!(f.name.starts_with(&format!("{}[", g.name)), "{what}");
                    assert!(!g.type_args.is_empty(), "{what}");
                }
            }
        }
    }
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        (0..ids.len() as u32).collect::<Vec<_>>(),
        "{name}: dense ids"
    );

    // Every method a type lists is a method entry of that type.
    for (key, t) in &schema.types {
        let entries = schema.packages.iter().flat_map(|p| &p.functions);
        for id in &t.methods {
            let f = entries.clone().find(|f| f.id == *id).unwrap();
            assert_eq!(f.kind, FunctionKind::Method, "{name}: {key} method {id}");
            assert_eq!(f.receiver.as_deref(), Some(key.as_str()), "{name}: {key}");
        }
    }
    kinds
}

#[test]
fn the_calc_golden_schema_reads_as_the_loader_models_it() {
    let kinds = check("calc");
    assert!(kinds["function"] > 0, "{kinds:?}");
}

#[test]
fn the_l3_golden_schema_reads_as_the_loader_models_it() {
    let kinds = check("l3");
    // The l3 golden has an entry of every kind: the test covers each rule above.
    for k in ["function", "method", "constructor", "var", "generic"] {
        assert!(
            kinds.get(k).is_some_and(|n| *n > 0),
            "no {k} entry: {kinds:?}"
        );
    }
}

#[test]
fn the_vals_golden_schema_has_constants_and_value_types() {
    let kinds = check("vals");
    assert!(kinds["method"] > 0, "{kinds:?}");
    let (_, schema) = load("vals");
    let consts = &schema.packages[0].consts;
    let by_name = |n: &str| consts.iter().find(|k| k.name == n).unwrap();
    let big = by_name("Big");
    assert_eq!(
        (big.kind.as_str(), big.value.as_str()),
        ("int", "1180591620717411303424")
    );
    assert!(
        big.wire.is_empty(),
        "an integer outside int64 has no wire type"
    );
    assert_eq!(by_name("Bad").kind, "string_hex");
    let red = by_name("Red");
    let class = red.class.as_deref().unwrap();
    assert_eq!(schema.types[class].kind, "value");
    assert!(schema.types[class].enum_);
    assert_eq!(
        schema.types["example.com/vals.Stack"].wire.as_deref(),
        Some("[]int64")
    );
}

#[test]
fn a_schema_naming_a_missing_type_is_refused() {
    let (mut raw, _) = load("l3");
    raw["types"]
        .as_object_mut()
        .unwrap()
        .remove("example.com/l3.Point");
    let (goos, goarch) = host_platform();
    let manifest = serde_json::json!({
        "manifest_version": 1, "abi_version": 1, "module": "example.com/l3",
        "version": "local", "local": true, "go_version": "go1.0",
        "goos": goos, "goarch": goarch,
        "library": {"file": "libusegolib.so", "sha256": "0".repeat(64)},
        "fingerprint": null, "schema": raw,
    });
    let path = Path::new("manifest.json");
    let m = parse_manifest(&serde_json::to_vec(&manifest).unwrap(), path).unwrap();
    let err = check_schema(&m, path).unwrap_err().to_string();
    assert!(
        err.contains("example.com/l3.Point names no type of the schema"),
        "{err}"
    );
}
