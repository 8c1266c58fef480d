//! Artifact roots, their layout, manifest checks and the source fingerprint
//! (docs/abi.md section 9).

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::manifest::{InputDir, Manifest};
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

/// Where the artifact of `module@version` for this platform lives under `root`. A local module's
/// artifact is keyed by its directory as well: see [`local_artifact_dir`].
pub fn artifact_dir(root: &Path, module: &str, version: &str) -> PathBuf {
    let (os, arch) = host_platform();
    root.join(format!("{}@{version}", escape_module_path(module)))
        .join(format!("{os}-{arch}"))
}

/// The key of a local module's directory in the artifact layout: the first 16 hex digits of the
/// SHA-256 of its path (which should be canonical: [`local_artifact_dir`] canonicalizes it).
pub fn local_dir_key(dir: &Path) -> String {
    let mut h = Sha256::new();
    h.update(dir.as_os_str().as_encoded_bytes());
    hex::encode(h.finalize())[..16].to_owned()
}

/// Where the artifact of the local module in `module_dir` for this platform lives under `root`:
/// `<root>/<module>@local/<key of the directory>/<goos>-<goarch>/`, so that two directories
/// declaring the same module path keep their own artifacts. The directory is canonicalized
/// (symbolic links resolved) when it exists.
pub fn local_artifact_dir(root: &Path, module: &str, module_dir: &Path) -> PathBuf {
    let dir = module_dir
        .canonicalize()
        .unwrap_or_else(|_| module_dir.to_path_buf());
    let (os, arch) = host_platform();
    root.join(format!("{}@local", escape_module_path(module)))
        .join(local_dir_key(&dir))
        .join(format!("{os}-{arch}"))
}

/// The artifacts of `module` for this platform under `root`, as (version, directory), sorted by
/// version then directory: one per version, and one per directory for `local`.
pub fn cached_artifacts(root: &Path, module: &str) -> Vec<(String, PathBuf)> {
    let escaped = escape_module_path(module);
    let (parent, last) = match escaped.rsplit_once('/') {
        Some((p, l)) => (root.join(p), l.to_owned()),
        None => (root.to_path_buf(), escaped.clone()),
    };
    let (os, arch) = host_platform();
    let platform = format!("{os}-{arch}");
    let prefix = format!("{last}@");
    let names: Vec<String> = fs::read_dir(&parent)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .collect();
    let mut out = Vec::new();
    for name in names {
        let Some(version) = name.strip_prefix(&prefix) else {
            continue;
        };
        if version == "local" {
            for e in fs::read_dir(parent.join(&name))
                .into_iter()
                .flatten()
                .flatten()
            {
                let dir = e.path().join(&platform);
                if dir.join("manifest.json").is_file() {
                    out.push((version.to_owned(), dir));
                }
            }
        } else {
            let dir = artifact_dir(root, module, version);
            if dir.join("manifest.json").is_file() {
                out.push((version.to_owned(), dir));
            }
        }
    }
    out.sort();
    out
}

/// The versions of `module` that have an artifact for this platform under `root`, sorted, each
/// once (`local` stands for every local directory of the module).
pub fn cached_versions(root: &Path, module: &str) -> Vec<String> {
    let mut versions: Vec<String> = cached_artifacts(root, module)
        .into_iter()
        .map(|(v, _)| v)
        .collect();
    versions.dedup();
    versions
}

/// How [`find_artifact`] names a candidate in [`Error::Ambiguous`]: the version, and for a local
/// artifact the directory it was built from.
fn candidate_label(version: &str, dir: &Path) -> String {
    let manifest = fs::read(dir.join("manifest.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .unwrap_or_default();
    label(version, dir, &manifest)
}

/// An artifact's version as people see it: a local one also names the directory it was built
/// from (its manifest's `source_dir`, else the artifact directory).
fn label(version: &str, dir: &Path, manifest: &serde_json::Value) -> String {
    if version != "local" {
        return version.to_owned();
    }
    let source = manifest["source_dir"]
        .as_str()
        .map_or_else(|| dir.display().to_string(), str::to_owned);
    format!("local from {source}")
}

/// The artifacts of `module` under `root` for any platform (what `usegolib rm` removes), as
/// (label, directory) sorted by directory: only `version` when given, and of the local builds
/// only the one from `source_dir` when given. The label is the version, `local from <dir>` for
/// a local build.
pub fn artifacts_of(
    root: &Path,
    module: &str,
    version: Option<&str>,
    source_dir: Option<&Path>,
) -> Vec<(String, PathBuf)> {
    let source_dir = source_dir.map(|d| d.display().to_string());
    list_artifacts(root)
        .into_iter()
        .filter_map(|(dir, m)| {
            let v = m["version"].as_str().unwrap_or("?");
            let from = m["source_dir"].as_str();
            let wanted = m["module"].as_str() == Some(module)
                && version.is_none_or(|want| want == v)
                && (source_dir.is_none() || from.is_none() || from == source_dir.as_deref());
            wanted.then(|| (label(v, &dir, &m), dir))
        })
        .collect()
}

/// Finds the artifact directory of `module` under `root`: the given version, or the only one.
/// `local` names the only local build of the module; with several (from different
/// directories), import the directory instead.
///
/// # Errors
///
/// [`Error::ArtifactNotFound`], or [`Error::Ambiguous`] when several candidates are cached.
pub fn find_artifact(root: &Path, module: &str, version: Option<&str>) -> Result<PathBuf> {
    let not_found = || Error::ArtifactNotFound {
        module: module.to_owned(),
        version: version.map(str::to_owned),
        root: root.to_path_buf(),
    };
    if let Some(v) = version.filter(|v| *v != "local") {
        let dir = artifact_dir(root, module, v);
        return if dir.join("manifest.json").is_file() {
            Ok(dir)
        } else {
            Err(not_found())
        };
    }
    let mut found: Vec<(String, PathBuf)> = cached_artifacts(root, module)
        .into_iter()
        .filter(|(v, _)| version.is_none_or(|want| want == v))
        .collect();
    match found.len() {
        0 => Err(not_found()),
        1 => Ok(found.remove(0).1),
        _ => Err(Error::Ambiguous {
            module: module.to_owned(),
            versions: found.iter().map(|(v, d)| candidate_label(v, d)).collect(),
        }),
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
    crate::manifest::parse_manifest(&bytes, &path)
}

/// Whether the library file of the artifact in `dir` is present and its SHA-256 is the one
/// `manifest` records: an artifact whose library is missing, truncated or changed is not fresh.
pub fn library_intact(dir: &Path, manifest: &Manifest) -> bool {
    sha256_file(&dir.join(&manifest.library.file)).is_ok_and(|sum| sum == manifest.library.sha256)
}

/// The SHA-256 of the file at `path`, in lowercase hex.
pub(crate) fn sha256_file(path: &Path) -> std::io::Result<String> {
    sha256_hex(&mut fs::File::open(path)?)
}

/// The SHA-256 of everything `r` reads, in lowercase hex.
pub(crate) fn sha256_hex(r: &mut impl Read) -> std::io::Result<String> {
    let mut h = Sha256::new();
    let mut chunk = vec![0u8; 1 << 20];
    loop {
        let n = r.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        h.update(&chunk[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// The fingerprint of a local module's sources with no input directories: see
/// [`fingerprint_with`].
///
/// # Errors
///
/// [`Error::Io`] when a directory or file cannot be read.
pub fn fingerprint(module_dir: &Path) -> Result<String> {
    fingerprint_with(module_dir, &[])
}

/// The fingerprint of a local module's sources (docs/abi.md section 9): SHA-256 over the files
/// of each root (the module directory, then every directory its go.mod's replace directives
/// name), as the walk selects them (`go.mod`, `go.sum`, `*.go` and the cgo source kinds), plus
/// every file of the `inputs` (the manifest's `input_dirs`), in order of root then path.
///
/// # Errors
///
/// [`Error::Io`] when a directory or file cannot be read.
pub fn fingerprint_with(module_dir: &Path, inputs: &[InputDir]) -> Result<String> {
    let roots = fingerprint_roots(module_dir)?;
    let mut files: Vec<(usize, String)> = Vec::new();
    for (i, (_, dir)) in roots.iter().enumerate() {
        if i > 0 && !dir.exists() {
            continue;
        }
        walk_files(
            dir,
            "",
            &mut files,
            i,
            &|name, path| {
                !(name == "vendor"
                    || name == "testdata"
                    || name.starts_with('.')
                    || name.starts_with('_')
                    || path.join("go.mod").is_file())
            },
            &walk_selects,
        )?;
    }
    for input in inputs {
        if !valid_input_dir(&input.dir) {
            continue;
        }
        for (i, (name, dir)) in roots.iter().enumerate() {
            if *name != input.root {
                continue;
            }
            let base = dir.join(&input.dir);
            match fs::metadata(&base) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Ok(m) if !m.is_dir() => continue,
                _ => {}
            }
            let recursive = input.recursive;
            walk_files(
                dir,
                &input.dir,
                &mut files,
                i,
                &|_, path| recursive && !path.join("go.mod").is_file(),
                &|_| true,
            )?;
        }
    }
    files.sort();
    files.dedup();
    let mut h = Sha256::new();
    let mut buf = Vec::new();
    for (root, rel) in files {
        let (name, dir) = &roots[root];
        let path = dir.join(&rel);
        buf.clear();
        fs::File::open(&path)
            .and_then(|mut f| f.read_to_end(&mut buf))
            .map_err(|source| Error::Io { path, source })?;
        if !name.is_empty() {
            h.update(name.as_bytes());
            h.update(b"/");
        }
        h.update(rel.as_bytes());
        h.update([0u8]);
        h.update((buf.len() as u64).to_be_bytes());
        h.update(&buf);
    }
    Ok(hex::encode(h.finalize()))
}

/// The roots of the fingerprint: `("", module_dir)`, then each directory replacement of its
/// go.mod as written, with the directory it names.
fn fingerprint_roots(module_dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut roots = vec![(String::new(), module_dir.to_path_buf())];
    let gomod = module_dir.join("go.mod");
    let text = match fs::read(&gomod) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(roots),
        Err(source) => {
            return Err(Error::Io {
                path: gomod,
                source,
            })
        }
    };
    for p in local_replace_paths(&String::from_utf8_lossy(&text)) {
        let dir = lexical_join(module_dir, &p);
        roots.push((p, dir));
    }
    Ok(roots)
}

/// `base` joined with `p` and cleaned lexically, as Go's `filepath.Join` does (the go command
/// resolves a replacement directory that way).
fn lexical_join(base: &Path, p: &str) -> PathBuf {
    use std::path::Component;
    let joined = base.join(p);
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir) | Some(Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            _ => out.push(c),
        }
    }
    out.iter().collect()
}

/// The file kinds of a package's non-Go sources that go build compiles or links.
const CGO_EXTS: [&str; 19] = [
    ".c", ".h", ".cc", ".cpp", ".cxx", ".hh", ".hpp", ".hxx", ".s", ".S", ".sx", ".m", ".f", ".F",
    ".for", ".f90", ".syso", ".swig", ".swigcxx",
];

fn walk_selects(name: &str) -> bool {
    name == "go.mod"
        || name == "go.sum"
        || name.ends_with(".go")
        || CGO_EXTS.iter().any(|e| name.ends_with(e))
}

/// Whether an input directory stays inside its root: relative, slash-separated, without `.`,
/// `..` or empty elements, no backslash and no `:`.
fn valid_input_dir(dir: &str) -> bool {
    dir.is_empty()
        || (!dir.contains('\\')
            && dir
                .split('/')
                .all(|e| !e.is_empty() && e != "." && e != ".." && !e.contains(':')))
}

/// Appends `(root index, path)` for the regular files (or links to regular files) under
/// `root/rel` whose names `keep` accepts, going into the subdirectories `descend` accepts.
/// Symbolic links to directories are not followed; `root/rel` itself is read through a link.
fn walk_files(
    root: &Path,
    rel: &str,
    out: &mut Vec<(usize, String)>,
    index: usize,
    descend: &dyn Fn(&str, &Path) -> bool,
    keep: &dyn Fn(&str) -> bool,
) -> Result<()> {
    let dir = if rel.is_empty() {
        root.to_path_buf()
    } else {
        root.join(rel)
    };
    let io = |source| Error::Io {
        path: dir.clone(),
        source,
    };
    for entry in fs::read_dir(&dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let path = entry.path();
        let sub = if rel.is_empty() {
            name.to_owned()
        } else {
            format!("{rel}/{name}")
        };
        let ft = entry.file_type().map_err(io)?;
        if ft.is_dir() {
            if descend(name, &path) {
                walk_files(root, &sub, out, index, descend, keep)?;
            }
        } else if keep(name) && (ft.is_file() || (ft.is_symlink() && path.is_file())) {
            out.push((index, sub));
        }
    }
    Ok(())
}

/// The directory paths named by the replace directives of a go.mod file, as written, sorted
/// byte-wise and without repeats: the extra roots of the fingerprint. Read exactly as the Go
/// builder's `LocalReplacePaths` reads them (docs/abi.md section 9).
pub fn local_replace_paths(gomod: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut block: Option<String> = None;
    for line in gomod.split('\n') {
        let toks = mod_tokens(line);
        let Some(first) = toks.first() else { continue };
        let args: &[String] = match &block {
            Some(verb) => {
                if first == ")" {
                    block = None;
                    continue;
                }
                if verb != "replace" {
                    continue;
                }
                &toks
            }
            None if toks.len() == 2 && toks[1] == "(" => {
                block = Some(first.clone());
                continue;
            }
            None if first == "replace" => &toks[1..],
            None => continue,
        };
        let arrow = if args.len() >= 2 && args[1] == "=>" {
            1
        } else {
            2
        };
        if args.len() != arrow + 2 || args[arrow] != "=>" {
            continue;
        }
        if let Some(p) = mod_unquote(&args[arrow + 1]).filter(|p| is_directory_path(p)) {
            out.push(p);
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Splits one go.mod line into tokens (see [`local_replace_paths`]).
fn mod_tokens(line: &str) -> Vec<String> {
    let rs: Vec<char> = line.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    let comment = |j: usize| rs[j] == '/' && rs.get(j + 1) == Some(&'/');
    while i < rs.len() {
        let c = rs[i];
        if c == ' ' || c == '\t' || c == '\r' {
            i += 1;
        } else if comment(i) {
            break;
        } else if "()[]{},".contains(c) {
            toks.push(c.to_string());
            i += 1;
        } else if c == '"' {
            let mut j = i + 1;
            while j < rs.len() && rs[j] != '"' {
                if rs[j] == '\\' {
                    j += 1;
                }
                j += 1;
            }
            let end = (j + 1).min(rs.len());
            toks.push(rs[i..end].iter().collect());
            i = end;
        } else {
            let mut j = i;
            while j < rs.len()
                && !" ()[]{},".contains(rs[j])
                && !rs[j].is_whitespace()
                && !comment(j)
            {
                j += 1;
            }
            if j == i {
                j += 1;
            }
            toks.push(rs[i..j].iter().collect());
            i = j;
        }
    }
    toks
}

/// The path a go.mod token names: a `"`-quoted token decoded (only `\"` and `\\`), any other
/// as it is; `None` for a token the go command would not read as a plain path.
fn mod_unquote(tok: &str) -> Option<String> {
    let Some(body) = tok.strip_prefix('"') else {
        return (!tok.contains(['"', '\'', '`'])).then(|| tok.to_owned());
    };
    let body = body.strip_suffix('"')?;
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e @ ('"' | '\\')) => out.push(e),
                _ => return None,
            },
            '"' => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

/// The go command's test for a replacement that is a directory rather than a module path.
fn is_directory_path(p: &str) -> bool {
    let b = p.as_bytes();
    p == "."
        || p.starts_with("./")
        || p.starts_with(".\\")
        || p == ".."
        || p.starts_with("../")
        || p.starts_with("..\\")
        || p.starts_with('/')
        || p.starts_with('\\')
        || (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':')
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

    /// Makes `dir` hold exactly `files` (path, contents).
    fn write_tree(dir: &Path, files: &[(&str, &str)]) {
        let _ = fs::remove_dir_all(dir);
        for (p, c) in files {
            let p = dir.join(p);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, c).unwrap();
        }
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
        write_tree(&dir, &files);
        assert_eq!(
            fingerprint(&dir).unwrap(),
            "3fa85b8b99e702236729f2a4a5d2d4b67b00e6dbea14f5bce846c31a4f54719d"
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    /// The same tree, inputs and hash as go/builder's TestFingerprintKnownAnswerWithRoots:
    /// replace roots, cgo sources and input directories.
    #[test]
    fn fingerprint_matches_the_go_builders_second_known_answer() {
        let dir = std::env::temp_dir().join(format!("usegolib-fp-ka2-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let files = [
            ("a/go.mod", "module example.com/a\n\nrequire example.com/b v0.0.0\n\nreplace example.com/b => ../b // comment\n\nreplace (\n\texample.com/c v1.0.0 => \"../c\"\n\texample.com/d => example.com/d2 v1.0.0\n)\n"),
            ("a/a.go", "package a\n"),
            ("a/x.c", "int x;\n"),
            ("a/x.S", "\n"),
            ("a/y.s.orig", "not hashed\n"),
            ("a/README", "not hashed\n"),
            ("a/static/s.txt", "s\n"),
            ("a/static/deep/t.bin", "t\n"),
            ("a/static/.hidden", "h\n"),
            ("b/go.mod", "module example.com/b\n"),
            ("b/b.go", "package b\n"),
            ("b/b.h", "int b;\n"),
            ("b/data.txt", "d\n"),
            ("b/sub/s.txt", "not hashed: b's input dir is not recursive\n"),
            ("c/go.mod", "module example.com/c\n"),
            ("c/c.cc", "int c;\n"),
            ("c/testdata/skip.c", "not hashed\n"),
            ("escape/secret.txt", "not hashed\n"),
            ("a/nested/go.mod", "module example.com/a/nested\n"),
            ("a/static/mod/go.mod", "module example.com/a/static/mod\n"),
            ("a/static/mod/m.txt", "not hashed: a nested module\n"),
            ("a/vendor/v/v.c", "not hashed\n"),
            ("a/_build/gen.h", "not hashed\n"),
            ("a/.git/config", "not hashed\n"),
            ("a/nested/n.go", "not hashed\n"),
            ("a/cmd/tool/main.go", "package main\n"),
            ("a/cmd/tool/asm_amd64.s", "\n"),
        ];
        write_tree(&dir, &files);
        let input = |root: &str, d: &str, recursive| InputDir {
            root: root.into(),
            dir: d.into(),
            recursive,
        };
        let inputs = [
            input("", "static", true),
            input("../b", "", false),
            input("../zzz", "x", false),
            input("", "../escape", false),
        ];
        assert_eq!(
            local_replace_paths(&fs::read_to_string(dir.join("a/go.mod")).unwrap()),
            ["../b", "../c"]
        );
        assert_eq!(
            fingerprint_with(&dir.join("a"), &inputs).unwrap(),
            "de8ee91e5f9dd62a5d6add3a95712cd8b298f59befa3620bc56e40b17019613a"
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    /// The go.mod files of go/builder's TestLocalReplacePathsAgreesWithGo, which checks them
    /// against `go mod edit -json`.
    #[test]
    fn replace_paths_are_read_like_the_go_command() {
        let cases: [(&str, &[&str]); 4] = [
            ("module m\n\nreplace x => ../x\n", &["../x"]),
            (
                "module m\nreplace (\n\tx v1.0.0 => ./x // why\n\ty => \"../with space\"\n\tz => z2 v1.2.3\n)\nrequire (\n\tq v1.0.0\n)\n",
                &["../with space", "./x"],
            ),
            (
                "module m\n// replace commented => ../out\nreplace a => /abs/a\nreplace b => ..\nreplace c => .\nreplace d => \"../q\\\"uote\"\nreplace e => ../e\nreplace e2 => ../e\n",
                &[".", "..", "../e", "../q\"uote", "/abs/a"],
            ),
            ("module m\r\nreplace(\r\n\tx => ../crlf\r\n)\r\n", &["../crlf"]),
        ];
        for (gomod, want) in cases {
            assert_eq!(local_replace_paths(gomod), want, "{gomod:?}");
        }
        assert!(local_replace_paths("replace x => \"../bad\\x41\"\n").is_empty());
        assert_eq!(
            lexical_join(Path::new("/src/a"), "../b/./c/.."),
            PathBuf::from("/src/b")
        );
        assert_eq!(
            lexical_join(Path::new("/src/a"), "/x/../y"),
            PathBuf::from("/y")
        );
    }

    /// Local artifacts are keyed by directory: two directories of one module path are two
    /// candidates, named by their source directories when neither is chosen.
    #[test]
    fn local_artifacts_are_keyed_by_directory() {
        let root = std::env::temp_dir().join(format!("usegolib-keys-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let a = local_artifact_dir(&root, "example.com/M", Path::new("/src/a"));
        let b = local_artifact_dir(&root, "example.com/M", Path::new("/src/b"));
        assert_ne!(a, b);
        assert!(a.starts_with(root.join("example.com/!m@local")));
        assert_eq!(a.parent().unwrap().file_name().unwrap().len(), 16);
        assert_eq!(
            local_artifact_dir(&root, "example.com/M", Path::new("/src/a")),
            a,
            "the key is stable"
        );
        for (dir, src) in [(&a, "/src/a"), (&b, "/src/b")] {
            fs::create_dir_all(dir).unwrap();
            let m = serde_json::json!({"module": "example.com/M", "version": "local", "source_dir": src});
            fs::write(dir.join("manifest.json"), m.to_string()).unwrap();
        }
        let v1 = artifact_dir(&root, "example.com/M", "v1.0.0");
        fs::create_dir_all(&v1).unwrap();
        fs::write(v1.join("manifest.json"), "{}").unwrap();
        assert_eq!(cached_versions(&root, "example.com/M"), ["local", "v1.0.0"]);
        assert_eq!(cached_artifacts(&root, "example.com/M").len(), 3);
        assert_eq!(
            find_artifact(&root, "example.com/M", Some("v1.0.0")).unwrap(),
            v1
        );
        match find_artifact(&root, "example.com/M", Some("local")) {
            Err(Error::Ambiguous { versions, .. }) => {
                assert_eq!(versions, ["local from /src/a", "local from /src/b"]);
            }
            other => panic!("two local builds: {other:?}"),
        }
        match find_artifact(&root, "example.com/M", None) {
            Err(e @ Error::Ambiguous { .. }) => {
                let msg = e.to_string();
                assert!(
                    msg.contains("local from /src/a") && msg.contains("v1.0.0"),
                    "{msg}"
                );
            }
            other => panic!("three candidates: {other:?}"),
        }
        fs::remove_dir_all(b.parent().unwrap()).unwrap();
        assert_eq!(
            find_artifact(&root, "example.com/M", Some("local")).unwrap(),
            a
        );
        fs::remove_dir_all(&root).unwrap();
    }
}
