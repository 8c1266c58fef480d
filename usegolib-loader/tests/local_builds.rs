//! Local builds with the real Go toolchain: artifacts keyed by directory, the same sources
//! giving the same library wherever they are, one directory per module path per process, and
//! generic instantiations that add up instead of replacing each other.

mod common;

use std::path::{Path, PathBuf};

use usegolib_loader::{load_artifact, read_manifest, Builder, Error, Value};

/// A fresh artifact root for one test (the target directory outlives test runs).
fn fresh_root(name: &str) -> PathBuf {
    let root = common::root().join(name);
    let _ = std::fs::remove_dir_all(&root);
    root
}

/// A copy of a fixture module under a fresh directory of this test.
fn copy_module(fixture: &str, to: &str) -> PathBuf {
    let dst = common::root().join("src").join(to);
    let _ = std::fs::remove_dir_all(&dst);
    copy_tree(&common::fixture(fixture), &dst);
    dst
}

fn copy_tree(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dst.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), dst.join(e.file_name())).unwrap();
        }
    }
}

/// Function names of an artifact's schema, as `package.Name`.
fn functions(dir: &Path) -> Vec<String> {
    let m = read_manifest(dir).unwrap();
    let mut out = Vec::new();
    for p in m.schema["packages"].as_array().unwrap() {
        for f in p["functions"].as_array().unwrap() {
            out.push(f["name"].as_str().unwrap().to_owned());
        }
    }
    out
}

/// A builder that cannot run go: using it proves an artifact is reused without a build.
fn no_go() -> Builder {
    Builder::new().with_go("/nonexistent/go")
}

#[test]
fn two_directories_of_one_module_path_keep_their_own_artifacts() {
    let root = fresh_root("keyed");
    let a = copy_module("other", "keyed/a");
    let b = copy_module("other", "keyed/b");
    let src = std::fs::read_to_string(b.join("other.go")).unwrap();
    std::fs::write(
        b.join("other.go"),
        src.replace("a + b + 1000", "a + b + 2000"),
    )
    .unwrap();

    let art_a = Builder::new().ensure_local(&a, &root).unwrap();
    let art_b = Builder::new().ensure_local(&b, &root).unwrap();
    assert_ne!(art_a, art_b, "two directories, two artifacts");
    // Switching between them builds nothing: each is still current.
    assert_eq!(no_go().ensure_local(&a, &root).unwrap(), art_a);
    assert_eq!(no_go().ensure_local(&b, &root).unwrap(), art_b);
    let ma = read_manifest(&art_a).unwrap();
    assert_eq!(
        ma.source_dir.as_deref(),
        Some(a.canonicalize().unwrap().to_str().unwrap())
    );

    // One process: the module from a, then the same module path from b is refused, naming
    // both directories, instead of silently answering with a's code.
    let loaded = load_artifact(&art_a).unwrap();
    assert_eq!(
        loaded
            .call("example.com/other", "AddInt", &[1.into(), 2.into()])
            .unwrap(),
        Value::Int(1003)
    );
    match load_artifact(&art_b) {
        Err(e @ Error::VersionConflict { .. }) => {
            let text = e.to_string();
            assert!(
                text.contains(a.canonicalize().unwrap().to_str().unwrap()),
                "{text}"
            );
            assert!(
                text.contains(b.canonicalize().unwrap().to_str().unwrap()),
                "{text}"
            );
        }
        other => panic!("loading b while a is loaded: {other:?}"),
    }
    let opts = usegolib_loader::ImportOptions {
        artifact_root: Some(root.clone()),
        ..Default::default()
    };
    match usegolib_loader::import(b.to_str().unwrap(), None, &opts) {
        Err(Error::VersionConflict { .. }) => {}
        other => panic!("importing b while a is loaded: {other:?}"),
    }
    // a again is the loaded runtime.
    let again = usegolib_loader::import(a.to_str().unwrap(), None, &opts).unwrap();
    assert!(std::sync::Arc::ptr_eq(&again.module, &loaded));
}

#[test]
fn the_same_sources_in_two_directories_build_the_same_library() {
    let root = fresh_root("reproducible");
    let one = copy_module("mono", "reproducible/one");
    let two = copy_module("mono", "reproducible/elsewhere/two");
    let art1 = Builder::new().ensure_local(&one.join("a"), &root).unwrap();
    let art2 = Builder::new().ensure_local(&two.join("a"), &root).unwrap();
    assert_ne!(art1, art2);
    let (m1, m2) = (read_manifest(&art1).unwrap(), read_manifest(&art2).unwrap());
    assert_eq!(m1.library.sha256, m2.library.sha256);
    assert_eq!(
        m1.fingerprint, m2.fingerprint,
        "the fingerprint is path-independent"
    );
}

#[test]
fn generic_instantiations_add_up() {
    let root = fresh_root("generics");
    let dir = common::root().join("src/generics/g");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("go.mod"), "module example.com/g\n\ngo 1.22\n").unwrap();
    let src = "package g\n\n// Id returns v.\nfunc Id[T any](v T) T { return v }\n\n// Pair returns v twice.\nfunc Pair[T any](v T) []T { return []T{v, v} }\n";
    std::fs::write(dir.join("g.go"), src).unwrap();
    let with = |g: &[&str]| Builder::new().with_generics(g.iter().map(|s| s.to_string()));

    let art = with(&["Id[int64]"]).ensure_local(&dir, &root).unwrap();
    assert_eq!(functions(&art), ["Id[int64]"]);
    // Another call site wants another instantiation: the artifact gets both.
    with(&["Id[string]"]).ensure_local(&dir, &root).unwrap();
    assert_eq!(functions(&art), ["Id[int64]", "Id[string]"]);
    // The first call site again: reused, no build, nothing undone.
    no_go()
        .with_generics(["Id[int64]".to_owned()])
        .ensure_local(&dir, &root)
        .unwrap();
    with(&["Pair[int64]"]).ensure_local(&dir, &root).unwrap();
    assert_eq!(functions(&art), ["Id[int64]", "Id[string]", "Pair[int64]"]);

    // Pair disappears from the source: the union no longer builds, so the build is retried
    // with what this call site asks for.
    std::fs::write(dir.join("g.go"), &src[..src.find("// Pair").unwrap()]).unwrap();
    with(&["Id[bool]"]).ensure_local(&dir, &root).unwrap();
    assert_eq!(functions(&art), ["Id[bool]"]);
}
