//! The Go standard library by name: `import("strings")` builds (once per Go version) and loads
//! the process's one standard-library runtime (docs/adr/0023, docs/abi.md section 9.1).

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::artifact::{artifact_dir, host_platform};
use crate::module::GoModule;
use crate::resolve::{ImportOptions, Located};
use crate::{registry, BuildPolicy, Error, Result};

/// The module path of standard-library artifacts (the Go builder's `scan.StdModule`).
pub const STD_MODULE: &str = "std";

/// The standard-library packages every standard-library artifact holds (docs/adr/0023): the 40
/// packages most imported by the non-test Go files of the 26 modules of this project's module
/// cache (`MOST_IMPORTED_40` in go/builder/std_test.go), less the seven with nothing to call
/// from another language or too heavy for their use there (`flag`, `embed`, `runtime`,
/// `syscall`, `sync/atomic`, `log`, `go/types`), plus seventeen that users reach for from Python
/// (`net/url`, the hashes and encodings, `math/big`, `html`, `mime`, `text/template`, ...), and
/// `io/fs`, whose types (`FileInfo`, `DirEntry`, `FileMode`) `os` and `path/filepath` use.
pub const DEFAULT_STD_PACKAGES: &[&str] = &[
    "bufio",
    "bytes",
    "cmp",
    "context",
    "crypto/hmac",
    "crypto/md5",
    "crypto/rand",
    "crypto/sha1",
    "crypto/sha256",
    "crypto/sha512",
    "encoding/base32",
    "encoding/base64",
    "encoding/binary",
    "encoding/csv",
    "encoding/hex",
    "encoding/json",
    "errors",
    "fmt",
    "go/ast",
    "go/format",
    "go/parser",
    "go/token",
    "hash",
    "hash/crc32",
    "hash/fnv",
    "html",
    "io",
    "io/fs",
    "math",
    "math/big",
    "math/bits",
    "mime",
    "net",
    "net/http",
    "net/url",
    "os",
    "os/exec",
    "path",
    "path/filepath",
    "reflect",
    "regexp",
    "slices",
    "sort",
    "strconv",
    "strings",
    "sync",
    "text/template",
    "time",
    "unicode",
    "unicode/utf16",
    "unicode/utf8",
];

/// Whether `path` names a package of the Go standard library: its first element has no dot.
/// The go command reserves such paths for the standard library (a module path needs a dot in
/// its first element to be downloaded).
pub fn is_std_path(path: &str) -> bool {
    let first = path.split('/').next().unwrap_or("");
    !first.is_empty() && !first.contains('.')
}

/// The packages of the standard-library artifact that `wanted` (the package asked for and the
/// ones named with `also`) needs: the default set and those, sorted, without repeats.
pub fn std_set(wanted: &[&str]) -> Vec<String> {
    let mut set: Vec<String> = DEFAULT_STD_PACKAGES
        .iter()
        .map(|p| (*p).to_owned())
        .collect();
    set.extend(wanted.iter().map(|p| (*p).to_owned()));
    set.sort();
    set.dedup();
    set
}

/// The key of a set of standard packages and generic instantiations in the artifact layout:
/// `default` for the default set without instantiations, else the first 16 hex digits of the
/// SHA-256 of the sorted paths, each followed by a newline, and then of the sorted
/// instantiations, each written `generic:<instantiation>` and a newline (docs/abi.md 9.2).
pub fn std_set_key(set: &[String], generics: &[String]) -> String {
    if generics.is_empty()
        && set.len() == DEFAULT_STD_PACKAGES.len()
        && set.iter().zip(DEFAULT_STD_PACKAGES).all(|(a, b)| a == b)
    {
        return "default".into();
    }
    let mut h = Sha256::new();
    for p in set {
        h.update(p.as_bytes());
        h.update(b"\n");
    }
    for g in generics {
        h.update(b"generic:");
        h.update(g.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())[..16].to_owned()
}

/// Where the standard-library artifact of Go version `go_version` holding `set` and the
/// instantiations `generics` lives: `<root>/std@<go version>/<set key>/<goos>-<goarch>/`.
pub fn std_artifact_dir(
    root: &Path,
    go_version: &str,
    set: &[String],
    generics: &[String],
) -> PathBuf {
    let (os, arch) = host_platform();
    artifact_dir(root, STD_MODULE, go_version)
        .parent()
        .unwrap_or(root)
        .join(std_set_key(set, generics))
        .join(format!("{os}-{arch}"))
}

/// Why `path` cannot be a standard package another package imports, judged by its name alone:
/// internal and vendored packages, `unsafe` and the commands.
fn refused_by_name(path: &str) -> Option<&'static str> {
    let internal = path == "internal"
        || path.starts_with("internal/")
        || path.contains("/internal/")
        || path.ends_with("/internal");
    if internal {
        Some("it is internal to the standard library: no other package may import it")
    } else if path == "vendor" || path.starts_with("vendor/") {
        Some("it is a vendored copy inside the standard library: no other package may import it")
    } else if path == "unsafe" {
        Some("it is built into the compiler: there is nothing to call")
    } else if path == "cmd" || path.starts_with("cmd/") {
        Some("it is part of the Go command, not of the standard library")
    } else if path == "C" {
        Some("it is cgo's pseudo-package")
    } else {
        None
    }
}

/// Checks that each of `paths` is an importable standard package: the default ones are known;
/// the others are asked of `go list` (no network: standard packages are in GOROOT).
fn check_std_packages(opts: &ImportOptions, paths: &[&str]) -> Result<()> {
    let not_std = |path: &str, why: String| Error::UnknownSymbol {
        what: format!(
            "{path} is not a package of the Go standard library that can be imported: {why}"
        ),
        suggestions: crate::suggest(path, DEFAULT_STD_PACKAGES.iter().copied()),
    };
    let mut ask = Vec::new();
    for &p in paths {
        if let Some(why) = refused_by_name(p) {
            return Err(not_std(p, why.into()));
        }
        crate::cache::check_import_path(p)?;
        if !DEFAULT_STD_PACKAGES.contains(&p) {
            ask.push(p);
        }
    }
    if ask.is_empty() {
        return Ok(());
    }
    let mut cmd = opts.builder.go_command();
    cmd.current_dir(std::env::temp_dir())
        .env("GOFLAGS", "")
        .args(["list", "-e", "-json=ImportPath,Standard,Name,Error"])
        .args(&ask);
    let out = opts
        .builder
        .output(cmd, "listing standard-library packages")?;
    let mut found = std::collections::HashMap::new();
    for v in serde_json::Deserializer::from_slice(&out.stdout).into_iter::<serde_json::Value>() {
        let Ok(v) = v else { break };
        if let Some(path) = v["ImportPath"].as_str() {
            found.insert(path.to_owned(), v);
        }
    }
    for p in ask {
        let why = match found.get(p) {
            None => format!(
                "go list said nothing about it ({})",
                String::from_utf8_lossy(&out.stderr).trim()
            ),
            Some(v) if v["Error"].is_object() => v["Error"]["Err"]
                .as_str()
                .unwrap_or("go list reports an error")
                .to_owned(),
            Some(v) if v["Standard"] != serde_json::Value::Bool(true) => {
                "go list does not count it as standard (a module path needs a dot in its first element)".into()
            }
            Some(v) if v["Name"] == "main" => "it is a command, not a library".into(),
            Some(_) => continue,
        };
        return Err(not_std(p, why));
    }
    Ok(())
}

/// [`crate::locate`] for a standard-library package: the standard-library runtime already
/// loaded in this process, else the artifact of this Go version holding the default set (plus
/// `path` and the `also` packages when they are outside it), built when missing.
pub(crate) fn locate_std(
    root: &Path,
    path: &str,
    version: Option<&str>,
    opts: &ImportOptions,
) -> Result<Located> {
    let mut wanted: Vec<&str> = vec![path];
    wanted.extend(opts.also.iter().map(String::as_str));
    let mut generics = opts.builder.generics().to_vec();
    generics.sort();
    generics.dedup();
    if let Some(m) = registry::loaded(STD_MODULE) {
        if let Some(v) = version.filter(|v| *v != m.version()) {
            return Err(Error::VersionConflict {
                module: STD_MODULE.into(),
                loaded: m.version().to_owned(),
                requested: v.to_owned(),
            });
        }
        let mut missing: Vec<&str> = wanted
            .iter()
            .copied()
            .filter(|p| m.package(p).is_none())
            .collect();
        check_std_packages(opts, &missing)?;
        let built = crate::builder::built_generics(m.artifact_dir());
        missing.extend(
            generics
                .iter()
                .map(String::as_str)
                .filter(|g| !built.iter().any(|b| b == g)),
        );
        if missing.is_empty() {
            return Ok(Located::Loaded(m, path.to_owned()));
        }
        return Err(not_in_loaded(&m, &missing));
    }
    check_std_packages(opts, &wanted)?;
    let go_version = opts.builder.go_version()?;
    if let Some(v) = version.filter(|v| *v != go_version) {
        return Err(Error::VersionsDisagree {
            target: path.to_owned(),
            reason: format!(
                "a standard-library package has the Go toolchain's version, {go_version}, not {v}"
            ),
        });
    }
    let set = std_set(&wanted);
    let out = std_artifact_dir(root, &go_version, &set, &generics);
    match opts.build {
        BuildPolicy::Never => {
            if !out.join("manifest.json").is_file() {
                return Err(Error::ArtifactNotFound {
                    module: format!("{STD_MODULE} ({} packages)", set.len()),
                    version: Some(go_version),
                    root: root.to_path_buf(),
                });
            }
        }
        BuildPolicy::Missing | BuildPolicy::Always => {
            opts.builder.ensure_std(
                &set,
                &generics,
                &go_version,
                root,
                &out,
                opts.build == BuildPolicy::Always,
            )?;
        }
    }
    Ok(Located::Artifact(out, path.to_owned()))
}

/// The error for standard packages outside the standard-library runtime already loaded.
fn not_in_loaded(m: &GoModule, missing: &[&str]) -> Error {
    let extra: Vec<&str> = m
        .packages()
        .iter()
        .map(|p| p.path.as_str())
        .filter(|p| !DEFAULT_STD_PACKAGES.contains(p))
        .collect();
    let holds = if extra.is_empty() {
        "the default set".to_owned()
    } else {
        format!("the default set and {}", extra.join(", "))
    };
    Error::StdPackageNotLoaded {
        packages: missing.iter().map(|p| (*p).to_owned()).collect(),
        holds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn std_paths_have_no_dot_in_their_first_element() {
        for p in ["strings", "net/url", "crypto/sha256", "go/ast"] {
            assert!(is_std_path(p), "{p}");
        }
        for p in ["example.com/m", "golang.org/x/net/html", "", "/abs"] {
            assert!(!is_std_path(p), "{p}");
        }
    }

    #[test]
    fn the_default_set_is_sorted_and_keyed_default() {
        let mut sorted = DEFAULT_STD_PACKAGES.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, DEFAULT_STD_PACKAGES);
        assert_eq!(std_set_key(&std_set(&["strings"]), &[]), "default");
        let more = std_set(&["go/doc", "strings"]);
        assert_eq!(more.len(), DEFAULT_STD_PACKAGES.len() + 1);
        let key = std_set_key(&more, &[]);
        assert_eq!(key.len(), 16);
        assert_ne!(key, std_set_key(&std_set(&["go/printer"]), &[]));
        let sort = ["slices.Sort[[]int,int]".to_owned()];
        let with_generic = std_set_key(&std_set(&["strings"]), &sort);
        assert!(with_generic != "default" && with_generic != key);
        let dir = std_artifact_dir(Path::new("/r"), "go1.26.8", &more, &[]);
        assert!(
            dir.starts_with(format!("/r/std@go1.26.8/{key}/")),
            "{dir:?}"
        );
    }

    #[test]
    fn internal_and_vendored_packages_are_refused_by_name() {
        for p in [
            "internal/abi",
            "crypto/internal/fips140",
            "vendor/x",
            "unsafe",
            "cmd/go",
        ] {
            assert!(refused_by_name(p).is_some(), "{p}");
        }
        assert!(refused_by_name("net/http").is_none());
    }
}
