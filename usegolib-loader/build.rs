//! Embeds the Go sources of `go/` (the scanner, generator, bridge runtime and builder) so that
//! the loader can build the `usegolib-build` tool on any machine that has Go, with no checkout:
//! the non-test `.go` files, the generator's `.tmpl` templates (embedded by `go/gen`) and `go.mod`.

use std::fs;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir).expect("read go/").flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if p.is_dir() {
            if name != "testdata" && !name.starts_with('.') {
                collect(&p, out);
            }
        } else if (name.ends_with(".go") && !name.ends_with("_test.go"))
            || name.ends_with(".tmpl")
            || name == "go.mod"
        {
            out.push(p);
        }
    }
}

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let go_dir = manifest_dir
        .join("go")
        .canonicalize()
        .expect("the go/ directory of the crate (a symbolic link to the repository's go/)");
    println!("cargo:rerun-if-changed={}", go_dir.display());
    let mut files = Vec::new();
    collect(&go_dir, &mut files);
    let mut src = String::from("/// The Go sources of `go/`: (path relative to `go/`, contents).\npub(crate) static GO_SOURCES: &[(&str, &[u8])] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let rel = f
            .strip_prefix(&go_dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        src.push_str(&format!(
            "    ({rel:?}, include_bytes!({:?})),\n",
            f.display().to_string()
        ));
    }
    src.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("go_sources.rs");
    fs::write(out, src).unwrap();
}
