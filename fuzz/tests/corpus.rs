//! Replays every committed input of every Rust fuzz target through its check: the seed corpus
//! (`fuzz/corpus/<target>/`) and every input that ever failed (`fuzz/regressions/<target>/`).
//! This is how `cargo test` keeps the fuzzers' findings fixed without a fuzzing toolchain.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use usegolib_fuzz::TARGETS;

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn replay(kind: &str, min_files: usize) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(kind);
    let mut failures = Vec::new();
    for t in TARGETS {
        let files = inputs(&root.join(t.name));
        assert!(
            files.len() >= min_files,
            "{kind}/{} holds {} inputs, expected at least {min_files}",
            t.name,
            files.len()
        );
        for f in files {
            let data = std::fs::read(&f).unwrap();
            if let Err(p) = catch_unwind(AssertUnwindSafe(|| (t.check)(&data))) {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!("{}: {msg}", f.display()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "failing inputs:\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_seed_corpus_input_passes_its_check() {
    replay("corpus", 5);
}

#[test]
fn every_input_that_ever_failed_passes_its_check() {
    replay("regressions", 0);
}
