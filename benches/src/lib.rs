//! Helpers shared by the benchmarks in `benches/benches/`.

use std::path::{Path, PathBuf};
use std::time::Instant;

/// Builds (or reuses) the `bench` fixture module and returns its artifact directory.
///
/// # Panics
///
/// When the fixture cannot be built.
pub fn bench_artifact() -> PathBuf {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let root = repo.join("target/usegolib-bench-artifacts");
    usegolib_loader::Builder::new()
        .ensure_local(&repo.join("tests/fixtures/go/bench"), &root)
        .expect("build the bench fixture")
}

/// Median nanoseconds per call of `f` over 5 rounds of `n` calls, after a warm-up.
pub fn median_ns(n: u32, mut f: impl FnMut()) -> f64 {
    for _ in 0..n / 10 + 1 {
        f();
    }
    let mut rounds: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..n {
                f();
            }
            t.elapsed().as_nanos() as f64 / n as f64
        })
        .collect();
    rounds.sort_by(|a, b| a.total_cmp(b));
    rounds[2]
}

/// Prints a table: one row per case, our figure, the floor and their ratio.
pub fn print_table(title: &str, rows: &[(String, f64, Option<f64>)]) {
    println!("\n{title}");
    println!(
        "{:<44} {:>12} {:>12} {:>8}",
        "case", "ours ns", "floor ns", "ratio"
    );
    for (name, ours, floor) in rows {
        match floor {
            Some(f) => println!("{name:<44} {ours:>12.1} {f:>12.1} {:>7.2}x", ours / f),
            None => println!("{name:<44} {ours:>12.1} {:>12} {:>8}", "-", "-"),
        }
    }
}
