//! The rules that keep the cache from being turned against its user (docs/adr/0002):
//!
//! * module paths and versions are checked as Go checks them before they name a directory;
//! * every path written or removed is joined under its root and checked to stay there;
//! * directories are created `0700` and files `0600` (executables `0700`) whatever the umask;
//! * a root, or a directory below it, that another user owns or can write is refused;
//! * one OS lock per artifact, named after the artifact directory;
//! * build work directories live in `<cache>/work/`, each guarded by a lock its process holds,
//!   so that those of killed builds are found and removed.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{ffi, Error, Result};

// ---------------------------------------------------------------------------------------------
// Module paths and versions, as golang.org/x/mod/module checks them.

fn invalid(what: &str, value: &str, reason: impl Into<String>) -> Error {
    Error::InvalidModulePath {
        what: what.to_owned(),
        value: value.to_owned(),
        reason: reason.into(),
    }
}

/// The path rules shared by import and module paths (`module.checkPath`): ASCII letters, digits
/// and `+ - . _ ~`, elements separated by single slashes, no element that starts or ends with a
/// dot, no `..`, no reserved Windows names. An error names the broken rule.
fn check_path_rules(path: &str) -> std::result::Result<(), String> {
    if path.is_empty() {
        return Err("empty string".into());
    }
    if path.contains("..") {
        return Err("double dot".into());
    }
    if path.contains("//") {
        return Err("double slash".into());
    }
    if path.starts_with('/') {
        return Err("leading slash".into());
    }
    if path.ends_with('/') {
        return Err("trailing slash".into());
    }
    for elem in path.split('/') {
        check_elem(elem)?;
    }
    Ok(())
}

const BAD_WINDOWS_NAMES: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

fn check_elem(elem: &str) -> std::result::Result<(), String> {
    if elem.is_empty() {
        return Err("empty path element".into());
    }
    if elem.chars().all(|c| c == '.') {
        return Err(format!("invalid path element {elem:?}"));
    }
    if elem.starts_with('.') {
        return Err("leading dot in path element".into());
    }
    if elem.ends_with('.') {
        return Err("trailing dot in path element".into());
    }
    if let Some(c) = elem
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || "+-._~".contains(c)))
    {
        return Err(format!("invalid char {c:?}"));
    }
    let short = elem.split('.').next().unwrap_or(elem);
    if BAD_WINDOWS_NAMES
        .iter()
        .any(|b| b.eq_ignore_ascii_case(short))
    {
        return Err(format!(
            "{short:?} disallowed as path element component on Windows"
        ));
    }
    Ok(())
}

/// Checks the path of a local (main) module as the go command does (`module.CheckImportPath`):
/// `example.com/m` and `m` are fine, `/abs/dir`, `../x` or `a//b` are not.
///
/// # Errors
///
/// [`Error::InvalidModulePath`] naming the path and the rule it breaks.
pub fn check_import_path(path: &str) -> Result<()> {
    check_path_rules(path).map_err(|r| invalid("module path", path, r))
}

/// Checks a module path as `module.CheckPath` does: an import path whose first element is a
/// lower-case domain name with a dot, and whose major-version suffix (`/vN`, gopkg.in's `.vN`)
/// is well formed.
///
/// # Errors
///
/// [`Error::InvalidModulePath`] naming the path and the rule it breaks.
pub fn check_module_path(path: &str) -> Result<()> {
    let err = |r: String| invalid("module path", path, r);
    check_path_rules(path).map_err(err)?;
    let first = path.split('/').next().unwrap_or("");
    if !first.contains('.') {
        return Err(err("missing dot in first path element".into()));
    }
    if first.starts_with('-') {
        return Err(err("leading dash in first path element".into()));
    }
    if let Some(c) = first
        .chars()
        .find(|&c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'))
    {
        return Err(err(format!("invalid char {c:?} in first path element")));
    }
    if split_path_major(path).is_none() {
        return Err(err("invalid version".into()));
    }
    Ok(())
}

/// The major-version suffix of a module path (`""`, `/v2`, `.v1` for gopkg.in), or `None` when
/// it is malformed (`/v1`, `/v02`, `/v2.0`), as `module.SplitPathVersion`.
fn split_path_major(path: &str) -> Option<&str> {
    let b = path.as_bytes();
    if path.starts_with("gopkg.in/") {
        let mut i = path.strip_suffix("-unstable").unwrap_or(path).len();
        while i > 0 && b[i - 1].is_ascii_digit() {
            i -= 1;
        }
        if i <= 1 || b[i - 1] != b'v' || b[i - 2] != b'.' {
            return None;
        }
        let major = &path[i - 2..];
        if major.len() <= 2 || (major.as_bytes()[2] == b'0' && major != ".v0") {
            return None;
        }
        return Some(major);
    }
    let mut i = b.len();
    let mut dot = false;
    while i > 0 && (b[i - 1].is_ascii_digit() || b[i - 1] == b'.') {
        dot |= b[i - 1] == b'.';
        i -= 1;
    }
    if i <= 1 || i == b.len() || b[i - 1] != b'v' || b[i - 2] != b'/' {
        return Some("");
    }
    let major = &path[i - 2..];
    if dot || major.len() <= 2 || major.as_bytes()[2] == b'0' || major == "/v1" {
        return None;
    }
    Some(major)
}

/// Whether `v` is a canonical module version: `vMAJOR.MINOR.PATCH`, an optional pre-release
/// (`-rc.1`, pseudo-versions) and no build metadata other than `+incompatible`.
fn canonical_semver(v: &str) -> std::result::Result<(), String> {
    let Some(rest) = v.strip_prefix('v') else {
        return Err("does not start with v".into());
    };
    let (rest, build) = match rest.split_once('+') {
        Some((r, b)) => (r, Some(b)),
        None => (rest, None),
    };
    if build.is_some_and(|b| b != "incompatible") {
        return Err("build metadata other than +incompatible".into());
    }
    let (core, pre) = match rest.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (rest, None),
    };
    let nums: Vec<&str> = core.split('.').collect();
    let numeric = |n: &str| {
        !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()) && (n == "0" || !n.starts_with('0'))
    };
    if nums.len() != 3 || !nums.iter().all(|n| numeric(n)) {
        return Err("not of the form vMAJOR.MINOR.PATCH".into());
    }
    if let Some(pre) = pre {
        for id in pre.split('.') {
            let ok = !id.is_empty()
                && id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
                && (!id.bytes().all(|c| c.is_ascii_digit()) || numeric(id));
            if !ok {
                return Err(format!("malformed pre-release {pre:?}"));
            }
        }
    }
    Ok(())
}

/// Whether `v` is a canonical module version (see [`check_module_version`]).
pub(crate) fn is_canonical_version(v: &str) -> bool {
    canonical_semver(v).is_ok()
}

/// Checks a module version for `module` as `module.Check` does: a canonical semantic version
/// whose major version matches the path's suffix (`/v2` wants `v2.x.y`; no suffix wants v0, v1
/// or `+incompatible`).
///
/// # Errors
///
/// [`Error::InvalidModulePath`] naming the version and the rule it breaks.
pub fn check_module_version(module: &str, version: &str) -> Result<()> {
    check_module_path(module)?;
    canonical_semver(version).map_err(|r| invalid("version", version, r))?;
    let major_of_path = split_path_major(module).unwrap_or("");
    let major = version[1..].split('.').next().unwrap_or("");
    let ok = if major_of_path.is_empty() {
        major == "0" || major == "1" || version.ends_with("+incompatible")
    } else if version.starts_with("v0.0.0-") && major_of_path == ".v1" {
        true
    } else {
        major_of_path
            .trim_end_matches("-unstable")
            .get(2..)
            .is_some_and(|m| m == major)
    };
    if !ok {
        let want = if major_of_path.is_empty() {
            "v0 or v1".to_owned()
        } else {
            major_of_path[1..].trim_end_matches("-unstable").to_owned()
        };
        return Err(invalid(
            "version",
            version,
            format!("it does not match the module path {module} (want {want})"),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Paths kept inside their root; directories only this user can write.

/// `root/rel`, refusing a `rel` that could leave `root` (absolute, `..`, `.`, a prefix).
///
/// # Errors
///
/// [`Error::InsecureCache`] when `rel` is not a plain relative path.
pub(crate) fn inside(root: &Path, rel: impl AsRef<Path>) -> Result<PathBuf> {
    let rel = rel.as_ref();
    let plain =
        rel.components().count() > 0 && rel.components().all(|c| matches!(c, Component::Normal(_)));
    let joined = root.join(rel);
    if !plain || !joined.starts_with(root) {
        return Err(Error::InsecureCache {
            path: joined,
            reason: format!("it is not inside the cache root {}", root.display()),
            fix: "this is a bug or a crafted name: report it".into(),
        });
    }
    Ok(joined)
}

/// `path` relative to `root`, when it is `root` itself or plainly inside it.
fn relative_to<'a>(root: &Path, path: &'a Path) -> Result<&'a Path> {
    match path.strip_prefix(root) {
        Ok(rel) if rel.components().all(|c| matches!(c, Component::Normal(_))) => Ok(rel),
        _ => Err(Error::InsecureCache {
            path: path.to_path_buf(),
            reason: format!("it is not inside the cache root {}", root.display()),
            fix: "use a path below the root".into(),
        }),
    }
}

/// What a directory of the cache is used for: reading artifacts tolerates a directory that
/// root owns (a system-wide read-only cache); writing needs one this user owns.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Use {
    Read,
    Write,
}

/// Refuses a directory that another user owns or that group or others can write (the sticky bit
/// does not help: anyone who can write a directory of the cache can plant code that this process
/// would run), as ssh refuses a key file others can write.
pub(crate) fn check_dir(path: &Path, is_root: bool, usage: Use) -> Result<()> {
    let io_err = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    // The root may be a symbolic link (~/.cache pointing elsewhere); below it, none is followed.
    let md = if is_root {
        fs::metadata(path)
    } else {
        fs::symlink_metadata(path)
    }
    .map_err(io_err)?;
    let refuse = |reason: String, fix: String| Error::InsecureCache {
        path: path.to_path_buf(),
        reason,
        fix,
    };
    if md.file_type().is_symlink() {
        return Err(refuse(
            "it is a symbolic link inside the cache, which could lead writes outside it".into(),
            format!("remove it (rm {})", path.display()),
        ));
    }
    if !md.is_dir() {
        return Err(refuse(
            "it is not a directory".into(),
            format!("remove it (rm {})", path.display()),
        ));
    }
    let me = ffi::euid();
    let owner_ok = md.uid() == me || (usage == Use::Read && md.uid() == 0);
    if !owner_ok {
        return Err(refuse(
            format!(
                "it belongs to another user (uid {}, this process runs as uid {me})",
                md.uid()
            ),
            "choose a cache directory of your own (USEGOLIB_CACHE_DIR, or artifact_dir= / USEGOLIB_ARTIFACT_DIR for artifacts)".into(),
        ));
    }
    let mode = md.mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(refuse(
            format!("other users can write it (mode {mode:o})"),
            format!(
                "run `chmod go-w {}`, or choose another USEGOLIB_CACHE_DIR",
                path.display()
            ),
        ));
    }
    Ok(())
}

/// Creates `dir` `0700` (whatever the umask), or accepts it if another process just did.
fn make_private_dir(dir: &Path) -> Result<()> {
    let io_err = |source| Error::Io {
        path: dir.to_path_buf(),
        source,
    };
    match fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(io_err),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(io_err(e)),
    }
}

/// Makes sure `dir` (the root itself or a directory below it) exists and can be trusted: the
/// missing directories from the root down are created `0700`, and the root and every directory
/// on the way are checked with [`check_dir`].
///
/// # Errors
///
/// [`Error::InsecureCache`] naming the directory and how to fix it, or [`Error::Io`].
pub(crate) fn private_dir(root: &Path, dir: &Path) -> Result<()> {
    let rel = relative_to(root, dir)?;
    if !root.exists() {
        let mut missing = Vec::new();
        let mut cur = Some(root);
        while let Some(p) = cur.filter(|p| !p.as_os_str().is_empty() && !p.exists()) {
            missing.push(p);
            cur = p.parent();
        }
        for p in missing.into_iter().rev() {
            make_private_dir(p)?;
        }
    }
    check_dir(root, true, Use::Write)?;
    let mut cur = root.to_path_buf();
    for c in rel.components() {
        cur.push(c);
        if !cur.exists() && fs::symlink_metadata(&cur).is_err() {
            make_private_dir(&cur)?;
        }
        check_dir(&cur, false, Use::Write)?;
    }
    Ok(())
}

/// Checks, without creating anything, that the root and every directory from it down to `dir`
/// can be trusted for reading (see [`check_dir`]).
///
/// # Errors
///
/// As [`private_dir`].
pub(crate) fn trusted_dir(root: &Path, dir: &Path) -> Result<()> {
    let rel = relative_to(root, dir)?;
    check_dir(root, true, Use::Read)?;
    let mut cur = root.to_path_buf();
    for c in rel.components() {
        cur.push(c);
        check_dir(&cur, false, Use::Read)?;
    }
    Ok(())
}

/// Creates (or truncates) a file only this user can read and write (`mode`: `0o600`, or
/// `0o700` for an executable), whatever the umask.
pub(crate) fn write_private(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let io_err = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(path)
        .map_err(io_err)?;
    io::Write::write_all(&mut f, bytes).map_err(io_err)?;
    f.set_permissions(fs::Permissions::from_mode(mode))
        .map_err(io_err)
}

/// Opens (creating it `0600`) a lock file.
pub(crate) fn open_lock(path: &Path) -> Result<File> {
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
    let _ = f.set_permissions(fs::Permissions::from_mode(0o600));
    Ok(f)
}

// ---------------------------------------------------------------------------------------------
// One lock per artifact; leftovers.

/// The lock file of the artifact directory `out` under `root`:
/// `<root>/.locks/<path of out below root, '/' written '%'>.lock`. Every way to the same
/// artifact (build="always", build="missing", `usegolib rm`) takes this one lock.
///
/// # Errors
///
/// [`Error::InsecureCache`] when `out` is not inside `root`.
pub(crate) fn artifact_lock(root: &Path, out: &Path) -> Result<PathBuf> {
    let rel = relative_to(root, out)?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.is_empty() {
        return Err(Error::InsecureCache {
            path: out.to_path_buf(),
            reason: "it is the artifact root itself, not an artifact in it".into(),
            fix: "name an artifact directory".into(),
        });
    }
    inside(&root.join(".locks"), format!("{}.lock", parts.join("%")))
}

/// Opens (creating it and `<root>/.locks` if needed, both private) the lock file of the artifact
/// directory `out` under `root` (see [`artifact_lock`]), without taking the lock. Returns its path
/// and the open file.
///
/// # Errors
///
/// [`Error::InsecureCache`] when `out` is not inside `root` or `.locks` cannot be trusted,
/// [`Error::Io`].
pub(crate) fn open_artifact_lock(root: &Path, out: &Path) -> Result<(PathBuf, File)> {
    let lock_path = artifact_lock(root, out)?;
    private_dir(root, lock_path.parent().unwrap_or(root))?;
    let lock = open_lock(&lock_path)?;
    Ok((lock_path, lock))
}

/// Removes what an interrupted atomic write of `out` left next to it (`.<name>.tmp-*`,
/// `.<name>.old-*`, see go/builder's writeDirAtomic). Call it holding the artifact's lock.
pub(crate) fn clean_artifact_leftovers(out: &Path) {
    let (Some(parent), Some(name)) = (out.parent(), out.file_name().and_then(|n| n.to_str()))
    else {
        return;
    };
    let prefixes = [format!(".{name}.tmp-"), format!(".{name}.old-")];
    for e in fs::read_dir(parent).into_iter().flatten().flatten() {
        let n = e.file_name();
        let Some(n) = n.to_str() else { continue };
        if prefixes.iter().any(|p| n.starts_with(p.as_str())) {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

/// A private work directory of one build, `<cache>/work/<pid>-<ns>-<seq>`, guarded by the lock
/// file `<cache>/work/<pid>-<ns>-<seq>.lock` that this process holds while it exists. Dropping
/// it removes both; [`sweep_work_dirs`] removes those whose process is gone.
pub(crate) struct WorkDir {
    dir: PathBuf,
    lock_path: PathBuf,
    _lock: File,
}

impl WorkDir {
    /// Creates a fresh work directory under `<cache>/work`, first removing the stale ones.
    pub(crate) fn create(cache: &Path) -> Result<WorkDir> {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let work = inside(cache, "work")?;
        private_dir(cache, &work)?;
        sweep_work_dirs(&work);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!(
            "{}-{nanos}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let lock_path = inside(&work, format!("{name}.lock"))?;
        let io_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::Io { path, source }
        };
        let lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&lock_path)
            .map_err(io_err(&lock_path))?;
        lock.try_lock().map_err(|e| Error::Io {
            path: lock_path.clone(),
            source: e.into(),
        })?;
        let dir = inside(&work, &name)?;
        make_private_dir(&dir)?;
        Ok(WorkDir {
            dir,
            lock_path,
            _lock: lock,
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.dir
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
        let _ = fs::remove_file(&self.lock_path);
    }
}

/// Removes the work directories under `work` whose process is gone: their lock file is missing
/// or can be locked (the kernel releases the lock of a killed process). A lock file without its
/// directory is removed once it is an hour old (its process died between the two steps).
pub(crate) fn sweep_work_dirs(work: &Path) {
    for e in fs::read_dir(work).into_iter().flatten().flatten() {
        let path = e.path();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            let lock_path = path.with_extension("lock");
            let stale = match File::open(&lock_path) {
                Err(e) => e.kind() == io::ErrorKind::NotFound,
                Ok(f) => f.try_lock().is_ok(),
            };
            if stale {
                let _ = fs::remove_dir_all(&path);
                let _ = fs::remove_file(&lock_path);
            }
        } else if path.extension().is_some_and(|x| x == "lock") && !path.with_extension("").exists()
        {
            let old = e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() > 3600);
            if old && File::open(&path).is_ok_and(|f| f.try_lock().is_ok()) {
                let _ = fs::remove_file(&path);
            }
        }
    }
}

/// Removes `tools/<key>.tmp-*` directories that an older usegolib's failed or killed tool build
/// left, unless a process still builds that key (holds `tools/<key>.lock`).
pub(crate) fn sweep_tool_leftovers(tools: &Path) {
    for e in fs::read_dir(tools).into_iter().flatten().flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some((key, _)) = name.split_once(".tmp-") else {
            continue;
        };
        let idle = File::open(tools.join(format!("{key}.lock")))
            .map(|f| f.try_lock().is_ok())
            .unwrap_or(true);
        if idle {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

/// Removes the artifact directory `dir` under `root` (what `usegolib rm` does), holding its
/// lock, after checking that it is an artifact inside the root and that the directories on the
/// way can be trusted; then removes the parents it leaves empty, up to the root.
///
/// # Errors
///
/// [`Error::InsecureCache`] when `dir` is not inside `root` (after resolving symbolic links) or
/// a directory on the way is not this user's, [`Error::ArtifactNotFound`]-like
/// [`Error::Manifest`] when `dir` holds no manifest, [`Error::Io`].
pub fn remove_artifact(root: &Path, dir: &Path) -> Result<()> {
    crate::Builder::new().remove_artifact(root, dir)
}

/// [`remove_artifact`], taking the artifact's lock with `wait` (given the lock file, its path
/// and the artifact's path below the root): a bounded, cancellable wait in
/// [`crate::Builder::remove_artifact`].
pub(crate) fn remove_artifact_with(
    root: &Path,
    dir: &Path,
    wait: impl FnOnce(&File, &Path, &str) -> Result<()>,
) -> Result<()> {
    let canon = |p: &Path| {
        p.canonicalize().map_err(|source| Error::Io {
            path: p.to_path_buf(),
            source,
        })
    };
    let root = canon(root)?;
    let dir = canon(dir)?;
    if dir == root {
        return Err(Error::InsecureCache {
            path: dir,
            reason: "it is the artifact root itself".into(),
            fix: "name one artifact directory".into(),
        });
    }
    private_dir(&root, &dir)?;
    if !dir.join("manifest.json").is_file() {
        return Err(Error::Manifest {
            path: dir.join("manifest.json"),
            reason: "missing: not an artifact directory, nothing removed".into(),
        });
    }
    let (lock_path, lock) = open_artifact_lock(&root, &dir)?;
    let what = dir
        .strip_prefix(&root)
        .unwrap_or(&dir)
        .display()
        .to_string();
    wait(&lock, &lock_path, &what)?;
    let r = fs::remove_dir_all(&dir).map_err(|source| Error::Io {
        path: dir.clone(),
        source,
    });
    clean_artifact_leftovers(&dir);
    drop(lock);
    r?;
    let mut cur = dir.parent();
    while let Some(p) = cur.filter(|p| *p != root && p.starts_with(&root)) {
        if fs::remove_dir(p).is_err() {
            break;
        }
        cur = p.parent();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_paths_follow_gos_rules() {
        for ok in ["m", "example.com/m", "example.com/M/v2", "a.b/c~d/e+f_g-h"] {
            check_import_path(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for (bad, rule) in [
            ("/abs/dir", "leading slash"),
            ("../../x", "double dot"),
            ("a/../b", "double dot"),
            ("a//b", "double slash"),
            ("a/", "trailing slash"),
            ("", "empty string"),
            ("a/.hidden", "leading dot"),
            ("a/b.", "trailing dot"),
            ("a/b c", "invalid char ' '"),
            ("a\\b", "invalid char '\\\\'"),
            (
                "a/com1.txt",
                "disallowed as path element component on Windows",
            ),
            ("é.com/x", "invalid char"),
        ] {
            let e = check_import_path(bad).unwrap_err().to_string();
            assert!(e.contains(rule), "{bad}: {e}");
            assert!(e.contains(&format!("{bad:?}")), "names the path: {e}");
        }
    }

    #[test]
    fn module_paths_and_versions_follow_gos_rules() {
        for ok in [
            "example.com/m",
            "example.com/m/v2",
            "gopkg.in/yaml.v3",
            "gopkg.in/check.v1",
        ] {
            check_module_path(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for (bad, rule) in [
            ("m", "missing dot in first path element"),
            ("-x.com/m", "leading dash"),
            ("Example.com/m", "invalid char 'E' in first path element"),
            ("example.com/m/v1", "invalid version"),
            ("example.com/m/v02", "invalid version"),
            ("example.com/m/v2.1", "invalid version"),
            ("gopkg.in/yaml", "invalid version"),
        ] {
            let e = check_module_path(bad).unwrap_err().to_string();
            assert!(e.contains(rule), "{bad}: {e}");
        }
        for (m, v) in [
            ("example.com/m", "v1.2.3"),
            ("example.com/m", "v0.0.0-20240101000000-abcdefabcdef"),
            ("example.com/m", "v2.0.0+incompatible"),
            ("example.com/m/v2", "v2.3.4-rc.1"),
            ("gopkg.in/yaml.v3", "v3.0.1"),
            ("gopkg.in/check.v1", "v0.0.0-20161208181325-20d25e280405"),
        ] {
            check_module_version(m, v).unwrap_or_else(|e| panic!("{m}@{v}: {e}"));
        }
        for (m, v, rule) in [
            ("example.com/m", "1.2.3", "does not start with v"),
            ("example.com/m", "v1.2", "vMAJOR.MINOR.PATCH"),
            ("example.com/m", "v01.2.3", "vMAJOR.MINOR.PATCH"),
            ("example.com/m", "v1.2.3/../../x", "vMAJOR.MINOR.PATCH"),
            ("example.com/m", "v1.2.3-", "pre-release"),
            ("example.com/m", "v1.2.3-01", "pre-release"),
            ("example.com/m", "v1.2.3+meta", "build metadata"),
            ("example.com/m", "v2.0.0", "want v0 or v1"),
            ("example.com/m/v2", "v1.0.0", "want v2"),
            ("gopkg.in/yaml.v3", "v2.0.0", "want v3"),
        ] {
            let e = check_module_version(m, v).unwrap_err().to_string();
            assert!(e.contains(rule), "{m}@{v}: {e}");
        }
    }

    #[test]
    fn joined_paths_stay_inside_the_root() {
        let root = Path::new("/cache");
        assert_eq!(inside(root, "a/b").unwrap(), Path::new("/cache/a/b"));
        for bad in ["../x", "/etc", "a/../../x", "", "."] {
            assert!(
                matches!(inside(root, bad), Err(Error::InsecureCache { .. })),
                "{bad}"
            );
        }
        assert_eq!(
            artifact_lock(root, Path::new("/cache/example.com/m@v1.0.0/linux-amd64")).unwrap(),
            Path::new("/cache/.locks/example.com%m@v1.0.0%linux-amd64.lock")
        );
        assert!(artifact_lock(root, Path::new("/elsewhere/m@local/x")).is_err());
        assert!(artifact_lock(root, Path::new("/cache/a/../../etc")).is_err());
    }

    #[test]
    fn directories_of_others_or_writable_by_others_are_refused() {
        let base = std::env::temp_dir().join(format!("usegolib-cache-perm-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        let root = base.join("root");
        private_dir(&root, &root.join("a/b")).unwrap();
        for d in [&base, &root, &root.join("a"), &root.join("a/b")] {
            let mode = fs::metadata(d).unwrap().mode() & 0o777;
            assert_eq!(mode, 0o700, "{}", d.display());
        }
        fs::set_permissions(&root, fs::Permissions::from_mode(0o777)).unwrap();
        let e = private_dir(&root, &root.join("a")).unwrap_err().to_string();
        assert!(e.contains("chmod go-w") && e.contains("mode 777"), "{e}");
        fs::set_permissions(&root, fs::Permissions::from_mode(0o700)).unwrap();
        fs::set_permissions(root.join("a"), fs::Permissions::from_mode(0o1777)).unwrap();
        let e = trusted_dir(&root, &root.join("a/b"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("other users can write"), "{e}");
        fs::set_permissions(root.join("a"), fs::Permissions::from_mode(0o700)).unwrap();
        std::os::unix::fs::symlink("/", root.join("a/link")).unwrap();
        let e = private_dir(&root, &root.join("a/link/tmp"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("symbolic link"), "{e}");
        if ffi::euid() == 0 {
            std::os::unix::fs::chown(root.join("a/b"), Some(12345), None).unwrap();
            let e = private_dir(&root, &root.join("a/b"))
                .unwrap_err()
                .to_string();
            assert!(e.contains("belongs to another user (uid 12345"), "{e}");
        } else {
            let e = private_dir(Path::new("/"), Path::new("/"))
                .unwrap_err()
                .to_string();
            assert!(e.contains("belongs to another user (uid 0"), "{e}");
        }
        fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn remove_artifact_takes_the_artifacts_lock_and_leaves_no_empty_parents() {
        let base = std::env::temp_dir().join(format!("usegolib-cache-rm-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        let root = base.join("root");
        let art = root.join("example.com/m@v1.0.0/linux-amd64");
        private_dir(&root, &art).unwrap();
        fs::write(art.join("manifest.json"), b"{}").unwrap();
        fs::create_dir(root.join("example.com/m@v1.0.0/.linux-amd64.tmp-1")).unwrap();
        // Held elsewhere, the artifact's lock keeps the artifact: rm waits for it.
        let (lock_path, held) = open_artifact_lock(&root, &art).unwrap();
        assert_eq!(
            lock_path,
            root.join(".locks/example.com%m@v1.0.0%linux-amd64.lock")
        );
        held.lock().unwrap();
        let (art2, root2) = (art.clone(), root.clone());
        let rm = std::thread::spawn(move || remove_artifact(&root2, &art2));
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert!(
            art.join("manifest.json").is_file(),
            "removed under a held lock"
        );
        drop(held);
        rm.join().unwrap().unwrap();
        assert!(
            !root.join("example.com").exists(),
            "empty parents are removed"
        );
        assert!(root.is_dir(), "the root stays");
        let e = remove_artifact(&root, &root).unwrap_err().to_string();
        assert!(e.contains("artifact root itself"), "{e}");
        fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn work_dirs_of_dead_processes_are_swept() {
        let cache =
            std::env::temp_dir().join(format!("usegolib-cache-work-{}", std::process::id()));
        let _ = fs::remove_dir_all(&cache);
        let live = WorkDir::create(&cache).unwrap();
        let work = cache.join("work");
        // A killed build: its directory and its (no longer locked) lock file remain.
        fs::create_dir_all(work.join("1-2-3/bridge")).unwrap();
        fs::write(work.join("1-2-3.lock"), b"").unwrap();
        // A directory whose lock file is gone.
        fs::create_dir_all(work.join("4-5-6")).unwrap();
        let second = WorkDir::create(&cache).unwrap();
        assert!(!work.join("1-2-3").exists() && !work.join("1-2-3.lock").exists());
        assert!(!work.join("4-5-6").exists());
        assert!(live.path().is_dir(), "a live build's directory is kept");
        let (a, b) = (live.path().to_path_buf(), second.path().to_path_buf());
        drop(live);
        drop(second);
        assert!(!a.exists() && !b.exists());
        assert_eq!(fs::read_dir(&work).unwrap().count(), 0);
        fs::remove_dir_all(&cache).unwrap();
    }
}
