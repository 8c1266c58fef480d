//! The crate as `cargo package` would publish it (and as `maturin sdist` carries it) holds the
//! Go sources its build script embeds: without them it cannot build (docs/adr/0007).

use std::process::Command;

#[test]
fn the_published_crate_carries_the_go_sources_it_embeds() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "package",
            "--list",
            "--allow-dirty",
            "--offline",
            "-p",
            "usegolib-loader",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo package --list");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = String::from_utf8(out.stdout).unwrap();
    let files: Vec<&str> = list.lines().collect();
    for want in [
        "build.rs",
        "go/go.mod",
        "go/embed.go",
        "go/cmd/usegolib-build/main.go",
        "go/bridge/dispatch.go",
        "go/gen/templates/main.go.tmpl",
    ] {
        assert!(
            files.contains(&want),
            "{want} is not in the package:\n{list}"
        );
    }
    let tests: Vec<_> = files
        .iter()
        .filter(|f| f.starts_with("go/") && (f.ends_with("_test.go") || f.contains("/testdata/")))
        .collect();
    assert!(tests.is_empty(), "Go tests in the package: {tests:?}");
}
