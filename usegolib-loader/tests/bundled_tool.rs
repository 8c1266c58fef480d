//! The prebuilt `usegolib-build` tool a platform wheel ships (docs/adr/0028): one made by
//! `Builder::bundle_tool` is copied into an empty cache instead of compiled; one whose key (builder
//! id and Go version) does not match is passed over with an information line, one whose hash does
//! not match with a warning, and the tool compiled; concurrent builds in one empty cache take it
//! once, under the tool's lock. Each case runs in a child process of this test binary with its
//! own `USEGOLIB_CACHE_DIR` (the cache root is read from the environment), with the real Go
//! toolchain.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use usegolib_loader::{builder_id, Builder};

const CHILD: &str = "USEGOLIB_BUNDLED_TOOL_CASE";

/// A bundled tool made once per test process, under the target directory.
fn bundle() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("bundled-tool-{}", std::process::id()));
        Builder::new()
            .bundle_tool(&dir)
            .unwrap_or_else(|e| panic!("bundling the tool: {e}"));
        dir
    })
    .clone()
}

/// A copy of the bundle in `dir`, changed by `edit`.
fn bundle_copy(dir: &Path, edit: impl FnOnce(&Path)) -> PathBuf {
    common::copy_dir(&bundle(), dir);
    edit(dir);
    dir.to_path_buf()
}

/// Runs `case` in a child process with an empty cache of its own and the bundle `dir`;
/// returns its progress lines.
fn run_case(case: &str, dir: &Path) -> Vec<String> {
    let base = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("bundled-case-{case}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env(CHILD, case)
        .env("USEGOLIB_CACHE_DIR", base.join("cache"))
        .env("USEGOLIB_TEST_BUNDLE", dir)
        .env("USEGOLIB_TEST_ROOT", base.join("root"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "case {case} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<String> = stdout
        .lines()
        // The first may follow libtest's "test child ... " on the same line.
        .filter_map(|l| l.find("progress: ").map(|i| l[i + 10..].to_owned()))
        .collect();
    assert!(
        stdout.contains("case done"),
        "case {case} did not run:\n{stdout}"
    );
    // The cache holds exactly one tool, verified as any cached tool is.
    let tools: Vec<_> = std::fs::read_dir(base.join("cache/tools"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("usegolib-build").is_file())
        .collect();
    assert_eq!(tools.len(), 1, "{case}: tools in the cache: {tools:?}");
    lines
}

/// The child side: builds the `other` fixture (and `errs` on a second thread for `concurrent`)
/// with the bundle of `USEGOLIB_TEST_BUNDLE`, printing each progress line.
#[test]
fn child() {
    let Ok(case) = std::env::var(CHILD) else {
        return; // only in a child process of the tests below
    };
    let dir = PathBuf::from(std::env::var("USEGOLIB_TEST_BUNDLE").unwrap());
    let root = PathBuf::from(std::env::var("USEGOLIB_TEST_ROOT").unwrap());
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    // Two modules at once: two builds asking for the tool together.
    let modules: &[&str] = if case == "concurrent" {
        &["other", "errs"]
    } else {
        &["other"]
    };
    let handles: Vec<_> = modules
        .iter()
        .map(|&module| {
            let (dir, root, lines) = (dir.clone(), root.clone(), lines.clone());
            std::thread::spawn(move || {
                let builder = Builder::new()
                    .with_bundled_tool(dir)
                    .with_progress(Arc::new(move |l: &str| {
                        lines.lock().unwrap().push(l.to_owned())
                    }));
                builder
                    .ensure_local(&common::fixture(module), &root)
                    .unwrap_or_else(|e| panic!("building {module}: {e}"))
            })
        })
        .collect();
    let outs: Vec<PathBuf> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(outs.iter().all(|o| o.join("manifest.json").is_file()));
    for l in lines.lock().unwrap().iter() {
        println!("progress: {l}");
    }
    println!("case done");
}

fn count(lines: &[String], needle: &str) -> usize {
    lines.iter().filter(|l| l.contains(needle)).count()
}

/// How many times the tool was compiled (the start of its build phase).
fn compiled(lines: &[String]) -> usize {
    lines
        .iter()
        .filter(|l| l.starts_with("tool (building the usegolib-build tool"))
        .count()
}

#[test]
fn the_bundled_tool_records_this_builder_and_this_go() {
    let dir = bundle();
    let key = std::fs::read_to_string(dir.join("usegolib-build.key")).unwrap();
    let go = Builder::new().go_version().unwrap();
    assert_eq!(key.trim(), format!("{}-{go}", builder_id()));
    let sum = std::fs::read_to_string(dir.join("usegolib-build.sha256")).unwrap();
    assert_eq!(sum.trim().len(), 64);
    let exe = std::fs::read(dir.join("usegolib-build")).unwrap();
    assert_eq!(&exe[..4], b"\x7fELF");
}

#[test]
fn a_matching_bundled_tool_is_copied_not_compiled() {
    let lines = run_case("match", &bundle());
    assert_eq!(
        count(&lines, "using the usegolib-build tool bundled"),
        1,
        "{lines:?}"
    );
    assert_eq!(compiled(&lines), 0, "{lines:?}");
    assert_eq!(count(&lines, "warning"), 0, "{lines:?}");
}

#[test]
fn a_bundled_tool_for_another_go_is_passed_over_with_an_information_line() {
    let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bundle-other-go");
    let dir = bundle_copy(&base, |d| {
        let key = format!("{}-go1.0.1\n", builder_id());
        std::fs::write(d.join("usegolib-build.key"), key).unwrap();
    });
    let lines = run_case("other-go", &dir);
    // An ordinary situation for a published wheel: told, not warned about.
    assert_eq!(
        count(&lines, "not using the bundled usegolib-build tool"),
        1,
        "{lines:?}"
    );
    assert_eq!(count(&lines, "warning"), 0, "{lines:?}");
    assert_eq!(count(&lines, "it was built for "), 1, "{lines:?}");
    assert_eq!(count(&lines, "go1.0.1"), 1, "{lines:?}");
    assert_eq!(compiled(&lines), 1, "{lines:?}");
}

#[test]
fn a_damaged_bundled_tool_is_passed_over_with_a_warning() {
    let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bundle-damaged");
    let dir = bundle_copy(&base, |d| {
        let exe = d.join("usegolib-build");
        let mut bytes = std::fs::read(&exe).unwrap();
        let n = bytes.len() / 2;
        bytes[n] ^= 0xff;
        std::fs::write(&exe, bytes).unwrap();
    });
    let lines = run_case("damaged", &dir);
    assert_eq!(
        count(&lines, "warning: not using the bundled usegolib-build tool"),
        1,
        "{lines:?}"
    );
    assert_eq!(
        count(&lines, "was recorded when it was built"),
        1,
        "{lines:?}"
    );
    assert_eq!(compiled(&lines), 1, "{lines:?}");
}

#[test]
fn concurrent_builds_take_the_bundled_tool_once() {
    let lines = run_case("concurrent", &bundle());
    assert_eq!(
        count(&lines, "using the usegolib-build tool bundled"),
        1,
        "{lines:?}"
    );
    assert_eq!(compiled(&lines), 0, "{lines:?}");
}
