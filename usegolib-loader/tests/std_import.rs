//! The standard library by name through the Rust API (docs/adr/0023): `import("strings")`
//! builds (once per Go version, in the default artifact root that `make test` shares with the
//! Python tests) and loads the one standard-library runtime; bad names are refused before any
//! build.

use usegolib_loader::{import, BuildPolicy, Error, ImportOptions, Value};

#[test]
fn strings_by_name_through_the_rust_api() {
    let opts = ImportOptions::default();
    let imported = import("strings", None, &opts).unwrap();
    assert_eq!(imported.module.module(), "std");
    assert_eq!(
        imported.module.version(),
        usegolib_loader::Builder::new().go_version().unwrap()
    );
    let up = imported
        .module
        .call("strings", "ToUpper", &[Value::Str("go".into())])
        .unwrap();
    assert_eq!(up, Value::Str("GO".into()));
    // Another standard package is the same runtime.
    let url = import("net/url", None, &opts).unwrap();
    assert!(std::sync::Arc::ptr_eq(&url.module, &imported.module));
    for p in usegolib_loader::DEFAULT_STD_PACKAGES {
        assert!(imported.module.package(p).is_some(), "{p}");
    }
}

#[test]
fn names_that_are_not_standard_packages_are_refused_before_any_build() {
    let root = std::env::temp_dir().join(format!("usegolib-std-names-{}", std::process::id()));
    let opts = ImportOptions {
        artifact_root: Some(root.clone()),
        build: BuildPolicy::Never,
        ..Default::default()
    };
    for (name, why) in [
        ("strngs", "not a package of the Go standard library"),
        ("internal/abi", "internal to the standard library"),
        ("unsafe", "built into the compiler"),
    ] {
        match import(name, None, &opts) {
            Err(Error::UnknownSymbol { what, .. }) => assert!(what.contains(why), "{what}"),
            other => panic!("{name}: {other:?}"),
        }
    }
    // A standard package outside the default set, with building off: the artifact of this Go
    // version holding the default set and it is looked for, not found.
    match import("go/doc", None, &opts) {
        Err(Error::ArtifactNotFound {
            module, version, ..
        }) => {
            let n = usegolib_loader::DEFAULT_STD_PACKAGES.len() + 1;
            assert_eq!(module, format!("std ({n} packages)"));
            assert!(version.unwrap().starts_with("go1."));
        }
        other => panic!("go/doc: {other:?}"),
    }
    assert!(!root.exists());
}
