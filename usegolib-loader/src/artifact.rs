//! Artifact roots, their layout, manifest checks and the source fingerprint
//! (docs/abi.md section 9).

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use usegolib_abi::ABI_VERSION;

use crate::manifest::{Manifest, MANIFEST_VERSION};
use crate::{Error, Result};

/// The usegolib cache directory: `$USEGOLIB_CACHE_DIR`, else the platform's cache directory
/// (`$XDG_CACHE_HOME/usegolib` or `~/.cache/usegolib` on Linux, `~/Library/Caches/usegolib` on
/// macOS, `%LOCALAPPDATA%\usegolib` on Windows). Without `HOME`, `~` is the user's home from the
/// password database, else the cache is `<temp dir>/usegolib-<uid>`.
pub fn cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("USEGOLIB_CACHE_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    if cfg!(windows) {
        if let Some(d) = std::env::var_os("LOCALAPPDATA") {
            return PathBuf::from(d).join("usegolib");
        }
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("usegolib");
    }
    // Without HOME: the user's home from the password database, else a per-user directory
    // under the temporary directory (never the shared `/tmp/.cache`); the permission checks
    // refuse the latter if another user created it first.
    let Some(home) = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(crate::ffi::home_of_euid)
    else {
        return std::env::temp_dir().join(format!("usegolib-{}", crate::ffi::euid()));
    };
    if cfg!(target_os = "macos") {
        return home.join("Library/Caches/usegolib");
    }
    home.join(".cache/usegolib")
}

/// The default artifact root: `$USEGOLIB_ARTIFACT_DIR` (the name the peer package uses), else
/// `<cache dir>/artifacts`.
pub fn default_artifact_root() -> PathBuf {
    match std::env::var_os("USEGOLIB_ARTIFACT_DIR").filter(|d| !d.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => cache_dir().join("artifacts"),
    }
}

/// This process's platform as Go names it (`GOOS`, `GOARCH`).
pub fn host_platform() -> (&'static str, &'static str) {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    };
    (os, arch)
}

/// Escapes a module path the way Go's module cache does: `A` becomes `!a`.
pub fn escape_module_path(module: &str) -> String {
    let mut out = String::with_capacity(module.len());
    for c in module.chars() {
        if c.is_ascii_uppercase() {
            out.push('!');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Where the artifact of `module@version` for this platform lives under `root`.
pub fn artifact_dir(root: &Path, module: &str, version: &str) -> PathBuf {
    let (os, arch) = host_platform();
    root.join(format!("{}@{version}", escape_module_path(module)))
        .join(format!("{os}-{arch}"))
}

/// The versions of `module` that have an artifact for this platform under `root`, sorted.
pub fn cached_versions(root: &Path, module: &str) -> Vec<String> {
    let escaped = escape_module_path(module);
    let (parent, last) = match escaped.rsplit_once('/') {
        Some((p, l)) => (root.join(p), l.to_owned()),
        None => (root.to_path_buf(), escaped.clone()),
    };
    let prefix = format!("{last}@");
    let mut versions: Vec<String> = fs::read_dir(&parent)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter_map(|name| name.strip_prefix(&prefix).map(str::to_owned))
        .filter(|v| {
            artifact_dir(root, module, v)
                .join("manifest.json")
                .is_file()
        })
        .collect();
    versions.sort();
    versions
}

/// Finds the artifact directory of `module` under `root`: the given version, or the only one.
///
/// # Errors
///
/// [`Error::ArtifactNotFound`], or [`Error::Ambiguous`] when no version is given and several
/// are cached.
pub fn find_artifact(root: &Path, module: &str, version: Option<&str>) -> Result<PathBuf> {
    let not_found = || Error::ArtifactNotFound {
        module: module.to_owned(),
        version: version.map(str::to_owned),
        root: root.to_path_buf(),
    };
    match version {
        Some(v) => {
            let dir = artifact_dir(root, module, v);
            if dir.join("manifest.json").is_file() {
                Ok(dir)
            } else {
                Err(not_found())
            }
        }
        None => {
            let mut versions = cached_versions(root, module);
            match versions.len() {
                0 => Err(not_found()),
                1 => Ok(artifact_dir(root, module, &versions.remove(0))),
                _ => Err(Error::Ambiguous {
                    module: module.to_owned(),
                    versions,
                }),
            }
        }
    }
}

/// Every artifact under `root` (any platform), as (directory, manifest JSON), sorted by
/// directory. Unreadable manifests are listed with `Value::Null`.
pub fn list_artifacts(root: &Path) -> Vec<(PathBuf, serde_json::Value)> {
    fn walk(dir: &Path, depth: usize, out: &mut Vec<(PathBuf, serde_json::Value)>) {
        let m = dir.join("manifest.json");
        if m.is_file() {
            let v = fs::read(&m)
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok())
                .unwrap_or(serde_json::Value::Null);
            out.push((dir.to_path_buf(), v));
            return;
        }
        if depth == 0 {
            return;
        }
        for e in fs::read_dir(dir).into_iter().flatten().flatten() {
            let name = e.file_name();
            let hidden = name.to_str().is_none_or(|n| n.starts_with('.'));
            if !hidden && e.file_type().is_ok_and(|t| t.is_dir()) {
                walk(&e.path(), depth - 1, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, 12, &mut out);
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Reads `dir/manifest.json` and checks everything that can be checked without the library:
/// manifest version, ABI version and platform.
///
/// # Errors
///
/// [`Error::Manifest`], [`Error::AbiMismatch`] or [`Error::Platform`].
pub fn read_manifest(dir: &Path) -> Result<Manifest> {
    let path = dir.join("manifest.json");
    let bytes = fs::read(&path).map_err(|e| Error::Manifest {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    let raw: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| Error::Manifest {
        path: path.clone(),
        reason: format!("not JSON: {e}"),
    })?;
    let mv = raw.get("manifest_version").and_then(|v| v.as_u64());
    if mv != Some(MANIFEST_VERSION as u64) {
        return Err(Error::Manifest {
            path,
            reason: format!(
                "manifest_version is {}, this usegolib reads {MANIFEST_VERSION}: rebuild the artifact",
                mv.map(|v| v.to_string()).unwrap_or_else(|| "missing".into())
            ),
        });
    }
    if let Some(abi) = raw.get("abi_version").and_then(|v| v.as_u64()) {
        if abi != ABI_VERSION as u64 {
            return Err(Error::AbiMismatch {
                path,
                found: abi as u32,
                expected: ABI_VERSION,
            });
        }
    }
    let m: Manifest = serde_json::from_value(raw).map_err(|e| Error::Manifest {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    let (os, arch) = host_platform();
    if m.goos != os || m.goarch != arch {
        return Err(Error::Platform {
            path,
            found: format!("{}/{}", m.goos, m.goarch),
            expected: format!("{os}/{arch}"),
        });
    }
    Ok(m)
}

/// Whether the library file of the artifact in `dir` is present and its SHA-256 is the one
/// `manifest` records: an artifact whose library is missing, truncated or changed is not fresh.
pub fn library_intact(dir: &Path, manifest: &Manifest) -> bool {
    let Ok(mut f) = fs::File::open(dir.join(&manifest.library.file)) else {
        return false;
    };
    let mut h = Sha256::new();
    let mut chunk = vec![0u8; 1 << 20];
    loop {
        match f.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => h.update(&chunk[..n]),
            Err(_) => return false,
        }
    }
    hex::encode(h.finalize()) == manifest.library.sha256
}

/// The fingerprint of a local module's sources (docs/abi.md section 9): SHA-256 over `go.mod`,
/// `go.sum` and every `.go` file, in sorted order of their relative paths.
///
/// # Errors
///
/// [`Error::Io`] when the directory cannot be read.
pub fn fingerprint(module_dir: &Path) -> Result<String> {
    let mut files = Vec::new();
    collect(module_dir, module_dir, &mut files)?;
    files.sort();
    let mut h = Sha256::new();
    let mut buf = Vec::new();
    for rel in files {
        let path = module_dir.join(&rel);
        buf.clear();
        fs::File::open(&path)
            .and_then(|mut f| f.read_to_end(&mut buf))
            .map_err(|source| Error::Io { path, source })?;
        h.update(rel.as_bytes());
        h.update([0u8]);
        h.update((buf.len() as u64).to_be_bytes());
        h.update(&buf);
    }
    Ok(hex::encode(h.finalize()))
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<()> {
    let io = |source| Error::Io {
        path: dir.to_path_buf(),
        source,
    };
    for entry in fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let path = entry.path();
        let ft = entry.file_type().map_err(io)?;
        if ft.is_dir() {
            let skip = name == "vendor"
                || name == "testdata"
                || name.starts_with('.')
                || name.starts_with('_')
                || path.join("go.mod").exists();
            if !skip {
                collect(root, &path, out)?;
            }
        } else if (ft.is_file() || (ft.is_symlink() && path.is_file()))
            && (name.ends_with(".go") || name == "go.mod" || name == "go.sum")
        {
            let rel = path.strip_prefix(root).unwrap_or(&path);
            let rel: Vec<&str> = rel.iter().filter_map(|c| c.to_str()).collect();
            out.push(rel.join("/"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_the_go_module_cache() {
        assert_eq!(
            escape_module_path("github.com/BurntSushi/toml"),
            "github.com/!burnt!sushi/toml"
        );
    }

    #[test]
    fn fingerprint_follows_the_documented_algorithm() {
        let dir = std::env::temp_dir().join(format!("usegolib-fp-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("sub")).unwrap();
        fs::create_dir_all(dir.join("testdata")).unwrap();
        fs::write(dir.join("go.mod"), "module m\n").unwrap();
        fs::write(dir.join("sub/a.go"), "package sub\n").unwrap();
        fs::write(dir.join("testdata/x.go"), "ignored").unwrap();
        fs::write(dir.join("README"), "ignored").unwrap();
        let mut h = Sha256::new();
        for (p, c) in [("go.mod", "module m\n"), ("sub/a.go", "package sub\n")] {
            h.update(p.as_bytes());
            h.update([0]);
            h.update((c.len() as u64).to_be_bytes());
            h.update(c.as_bytes());
        }
        assert_eq!(fingerprint(&dir).unwrap(), hex::encode(h.finalize()));
        fs::remove_dir_all(&dir).unwrap();
    }

    /// The same tree and hash as go/builder's TestFingerprintKnownAnswer: the Go builder and the
    /// Rust loader must agree byte for byte.
    #[test]
    fn fingerprint_matches_the_go_builders_known_answer() {
        let dir = std::env::temp_dir().join(format!("usegolib-fp-ka-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let files = [
            ("go.mod", "module example.com/fp\n\ngo 1.22\n"),
            ("go.sum", ""),
            ("fp.go", "package fp\n"),
            ("a/b.go", "package b\n"),
            ("a/b_test.go", "package b\n"),
            ("_x.go", "package fp\n"),
            ("README.md", "not hashed\n"),
            ("fp.go.orig", "not hashed\n"),
            ("vendor/v/v.go", "package v\n"),
            ("testdata/t.go", "package t\n"),
            (".hidden/h.go", "package h\n"),
            ("_skip/s.go", "package s\n"),
            ("a/testdata/x.go", "package x\n"),
            ("nested/go.mod", "module example.com/fp/nested\n"),
            ("nested/n.go", "package n\n"),
            ("nested/deeper/d.go", "package d\n"),
            ("sub/vendorish/v.go", "package vendorish\n"),
            ("sub/go.sum", "stray\n"),
            ("sub/.config/notes.txt", "x\n"),
        ];
        for (p, c) in files {
            let p = dir.join(p);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, c).unwrap();
        }
        assert_eq!(
            fingerprint(&dir).unwrap(),
            "3fa85b8b99e702236729f2a4a5d2d4b67b00e6dbea14f5bce846c31a4f54719d"
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
