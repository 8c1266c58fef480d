//! Shared by the integration tests: builds fixture modules once per test binary with the real
//! Go toolchain, into an artifact root under the target directory.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use usegolib_loader::Builder;

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}

pub fn fixture(name: &str) -> PathBuf {
    repo().join("tests/fixtures/go").join(name)
}

/// A fresh artifact root per test binary and process.
pub fn root() -> PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let bin = std::env::current_exe().unwrap();
        let name = bin.file_stem().unwrap().to_string_lossy().into_owned();
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("artifacts-{name}"));
        root
    })
    .clone()
}

/// Builds (or reuses, by fingerprint) the artifact of a fixture module.
pub fn built(name: &str) -> PathBuf {
    static LOCK: Mutex<()> = Mutex::new(());
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    Builder::new()
        .ensure_local(&fixture(name), &root())
        .unwrap_or_else(|e| panic!("building fixture {name}: {e}"))
}

/// Copies an artifact directory to `dst`.
pub fn copy_dir(src: &Path, dst: &Path) {
    let _ = std::fs::remove_dir_all(dst);
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dst.join(e.file_name())).unwrap();
    }
}

/// Rewrites `dir/manifest.json` through `edit`.
pub fn edit_manifest(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let p = dir.join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
    edit(&mut m);
    std::fs::write(&p, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
}
