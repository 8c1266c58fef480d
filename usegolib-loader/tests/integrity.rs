//! Artifact integrity: tampered libraries, other ABI versions, manifest/library drift, build
//! failures. Each load here is meant to fail, so this binary never loads `other` successfully.

mod common;

use std::path::Path;
use std::process::Command;

use usegolib_loader::{load_artifact, Builder, Error};

fn copy_of_other(name: &str) -> std::path::PathBuf {
    let dir = common::root().join("copies").join(name);
    common::copy_dir(&common::built("other"), &dir);
    dir
}

#[test]
fn a_changed_library_fails_before_dlopen_naming_the_file() {
    let dir = copy_of_other("tampered");
    let lib = dir.join("libusegolib.so");
    let mut bytes = std::fs::read(&lib).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    std::fs::write(&lib, bytes).unwrap();
    match load_artifact(&dir) {
        Err(e @ Error::Tampered { .. }) => {
            let text = e.to_string();
            assert!(text.contains(&lib.display().to_string()), "{text}");
            assert!(text.contains("rebuild"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    // A truncated file too.
    std::fs::write(&lib, b"").unwrap();
    assert!(matches!(load_artifact(&dir), Err(Error::Tampered { .. })));
}

#[test]
fn a_manifest_of_another_abi_version_says_rebuild() {
    let dir = copy_of_other("abi2");
    common::edit_manifest(&dir, |m| m["abi_version"] = 2.into());
    match load_artifact(&dir) {
        Err(
            e @ Error::AbiMismatch {
                found: 2,
                expected: 1,
                ..
            },
        ) => assert!(e.to_string().contains("rebuild"), "{e}"),
        other => panic!("{other:?}"),
    }
}

/// Builds a stand-in library whose `usegolib_abi_version` returns `abi`, with a manifest that
/// claims ABI 1, in its own directory.
fn fake_library(name: &str, abi: u32) -> std::path::PathBuf {
    let dir = common::root().join("copies").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let c = dir.join("fake.c");
    std::fs::write(
        &c,
        format!("#include <stdint.h>\nuint32_t usegolib_abi_version(void) {{ return {abi}; }}\n"),
    )
    .unwrap();
    let lib = dir.join("libusegolib.so");
    let st = Command::new("cc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(&lib)
        .arg(&c)
        .status()
        .unwrap();
    assert!(st.success());
    let (os, arch) = usegolib_loader::host_platform();
    let manifest = serde_json::json!({
        "manifest_version": 1, "abi_version": 1, "module": format!("example.com/{name}"), "version": "local",
        "local": true, "go_version": "go0", "goos": os, "goarch": arch,
        "library": {"file": "libusegolib.so", "sha256": usegolib_sha(&lib)}, "fingerprint": null, "schema": {}
    });
    std::fs::write(dir.join("manifest.json"), manifest.to_string()).unwrap();
    dir
}

/// Regression: libraries are loaded through `/proc/self/fd/N`; the loader must never hand out an
/// earlier library because a later file got the same descriptor number.
#[test]
fn each_load_gets_its_own_library_even_when_descriptors_are_reused() {
    for abi in [3u32, 4, 5, 6] {
        let dir = fake_library(&format!("fake-seq-{abi}"), abi);
        match load_artifact(&dir) {
            Err(Error::AbiMismatch { found, .. }) => assert_eq!(found, abi),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_library_of_another_abi_version_is_refused_before_any_call() {
    // A stand-in library whose usegolib_abi_version says 2, with a manifest that claims ABI 1.
    let dir = fake_library("fake-abi2", 2);
    match load_artifact(&dir) {
        Err(e @ Error::AbiMismatch { found: 2, .. }) => {
            assert!(e.to_string().contains("rebuild"), "{e}")
        }
        other => panic!("{other:?}"),
    }
}

fn usegolib_sha(p: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(p).unwrap()))
}

#[test]
fn a_manifest_that_drifted_from_the_library_is_refused() {
    let dir = copy_of_other("drift");
    common::edit_manifest(&dir, |m| {
        m["schema"]["packages"][0]["functions"][0]["doc"] = "edited".into()
    });
    assert!(matches!(
        load_artifact(&dir),
        Err(Error::SchemaMismatch { .. })
    ));
}

#[test]
fn another_platform_and_a_bad_manifest() {
    let dir = copy_of_other("platform");
    common::edit_manifest(&dir, |m| m["goos"] = "plan9".into());
    assert!(matches!(load_artifact(&dir), Err(Error::Platform { .. })));
    let dir = copy_of_other("garbage");
    std::fs::write(dir.join("manifest.json"), b"{not json").unwrap();
    assert!(matches!(load_artifact(&dir), Err(Error::Manifest { .. })));
}

#[test]
fn a_go_compile_error_is_a_typed_error_with_the_compiler_output() {
    let dir = common::root().join("copies/broken-src");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("go.mod"), "module example.com/broken\n\ngo 1.22\n").unwrap();
    std::fs::write(
        dir.join("broken.go"),
        "package broken\n\nfunc F() int { return \"not an int\" }\n",
    )
    .unwrap();
    match Builder::new().ensure_local(&dir, &common::root()) {
        Err(Error::Build { output, .. }) => {
            assert!(output.contains("broken.go:3"), "{output}");
            assert!(output.contains("cannot use"), "{output}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_missing_go_toolchain_gives_a_hint() {
    let b = Builder::new().with_go("/nonexistent/go");
    match b.ensure_local(&common::fixture("other"), &common::root().join("nogo")) {
        Err(e @ Error::GoNotFound { .. }) => assert!(e.to_string().contains("install Go"), "{e}"),
        other => panic!("{other:?}"),
    }
}

/// Replaces the library of the artifact in `dir` with `bytes` and updates the manifest's hash
/// to match, so that every check before dlopen passes.
fn replace_library(dir: &Path, bytes: &[u8]) -> std::path::PathBuf {
    let lib = dir.join("libusegolib.so");
    std::fs::write(&lib, bytes).unwrap();
    let sha = usegolib_sha(&lib);
    common::edit_manifest(dir, |m| m["library"]["sha256"] = sha.into());
    lib
}

#[test]
fn a_library_the_system_cannot_load_gives_the_system_s_reason() {
    let dir = copy_of_other("not-elf");
    let garbage = "not an ELF file, but its hash matches the manifest\n".repeat(100);
    let lib = replace_library(&dir, garbage.as_bytes());
    match load_artifact(&dir) {
        Err(e @ Error::Load { .. }) => {
            let text = e.to_string();
            // dlerror's own words, naming the real file rather than a /proc/self/fd alias.
            assert!(text.contains("invalid ELF header"), "{text}");
            assert!(
                text.contains(&format!("{}: invalid ELF header", lib.display())),
                "{text}"
            );
            assert!(!text.contains("/proc/self/fd"), "{text}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_schema_whose_entry_kinds_disagree_with_their_fields_is_refused() {
    let dir = copy_of_other("kinds");
    let path = dir.join("manifest.json");
    let manifest = usegolib_loader::read_manifest(&dir).unwrap();
    usegolib_loader::check_schema(&manifest, &path).expect("the built schema is consistent");
    let refused = |edit: &dyn Fn(&mut serde_json::Value), want: &str| {
        let mut m = manifest.clone();
        edit(&mut m.schema);
        match usegolib_loader::check_schema(&m, &path) {
            Err(e @ Error::Manifest { .. }) => assert!(e.to_string().contains(want), "{e}"),
            other => panic!("{other:?}"),
        }
    };
    refused(
        &|s| s["packages"][0]["functions"][0]["kind"] = "method".into(),
        "a method entry needs \"receiver\"",
    );
    refused(
        &|s| s["packages"][0]["functions"][0]["kind"] = "teleport".into(),
        "unknown variant",
    );
    refused(
        &|s| {
            s["packages"][0]["functions"][0]
                .as_object_mut()
                .unwrap()
                .remove("kind");
        },
        "missing field `kind`",
    );
    refused(&|s| s["schema_version"] = 1.into(), "schema_version is 1");
    refused(
        &|s| {
            s["packages"][0]["consts"] = serde_json::json!([
                {"name": "X", "go": "T", "kind": "int", "value": "1", "class": "example.com/nope.T"}
            ])
        },
        "X: its class example.com/nope.T is not a value type of the schema",
    );
}
