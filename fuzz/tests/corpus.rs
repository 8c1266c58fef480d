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

#[test]
fn the_token_walk_oracle_measures_depth_elements_and_representability() {
    use usegolib_fuzz::{walk, Shape};
    // [[1], {"k": 2}]: two levels, 2 + 1 + 1 elements.
    assert_eq!(
        walk(&[0x92, 0x91, 0x01, 0x81, 0xa1, b'k', 0x02]),
        Some(Shape {
            depth: 2,
            elements: 4,
            decodable: true,
            tagged_depth: 2,
        })
    );
    // The ext values of `any`: a timestamp, a tagged value around a list, a Go object.
    let tagged = [0xc7, 0x05, 0x06, 0xa1, b't', 0x91, 0x91, 0x01];
    // A Go object of one byte: too short for its id.
    let short: Vec<u8> = [0x93, 0xd6, 0xff, 0, 0, 0, 1, 0xd4, 0x07, 0x00]
        .iter()
        .chain(&tagged)
        .copied()
        .collect();
    assert_eq!(walk(&short).map(|s| s.decodable), Some(false));
    let obj = [0xd7, 0x07, 0, 0, 0, 0, 0, 0, 0, 9];
    let msg: Vec<u8> = [0x93, 0xd6, 0xff, 0, 0, 0, 1]
        .iter()
        .chain(&obj)
        .chain(&tagged)
        .copied()
        .collect();
    assert_eq!(
        walk(&msg),
        Some(Shape {
            depth: 1,
            elements: 3,
            decodable: true,
            tagged_depth: 4,
        })
    );
    assert_eq!(walk(&[0xd4, 0xff, 0x00]).map(|s| s.decodable), Some(false));
    // Well formed, but not a value of ABI 1: an ext other than a handle, a non-str key.
    assert_eq!(walk(&[0xd4, 0x02, 0x00]).map(|s| s.decodable), Some(false));
    assert_eq!(walk(&[0x81, 0x01, 0x02]).map(|s| s.decodable), Some(false));
    assert_eq!(
        walk(&[0x81, 0xa1, 0xff, 0x02]).map(|s| s.decodable),
        Some(false)
    );
    // Not exactly one value: trailing bytes, truncated containers.
    assert_eq!(walk(&[0x01, 0x02]), None);
    assert_eq!(walk(&[0x92, 0x01]), None);
}

#[test]
fn a_check_fails_when_an_invariant_breaks() {
    use usegolib_abi::{DecodeError, LimitKind, Limits};
    use usegolib_fuzz::check_error;
    let past_end = DecodeError::Malformed {
        offset: 10,
        reason: "x".into(),
    };
    assert!(catch_unwind(|| check_error(&past_end, 5, &Limits::ABI)).is_err());
    let wrong_limit = DecodeError::LimitExceeded {
        limit: LimitKind::Elements,
        max: 7,
    };
    assert!(catch_unwind(|| check_error(&wrong_limit, 5, &Limits::ABI)).is_err());
    check_error(&past_end, 10, &Limits::ABI);
}
