//! Building artifacts: runs the Go builder (`go/cmd/usegolib-build`, embedded in this crate as
//! source and compiled once per Go version into the cache) with the user's Go toolchain.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::{artifact, Error, Result};

include!(concat!(env!("OUT_DIR"), "/go_sources.rs"));

/// Receives progress lines (`scan`, `generate`, `compile`, ...) while a build runs.
pub type Progress = Arc<dyn Fn(&str) + Send + Sync>;

/// Builds artifacts with the Go toolchain.
#[derive(Clone)]
pub struct Builder {
    go: PathBuf,
    progress: Option<Progress>,
    generics: Vec<String>,
}

impl std::fmt::Debug for Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Builder({})", self.go.display())
    }
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

/// The file in an artifact directory that names the builder (generator and bridge runtime) that
/// made it.
pub const BUILDER_ID_FILE: &str = "usegolib-builder.id";

/// This usegolib's builder id: a hash of the embedded Go sources (scanner, generator, runtime).
pub fn builder_id() -> &'static str {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        let mut h = Sha256::new();
        for (path, bytes) in GO_SOURCES {
            h.update(path.as_bytes());
            h.update([0]);
            h.update((bytes.len() as u64).to_be_bytes());
            h.update(bytes);
        }
        hex::encode(h.finalize())[..16].to_owned()
    })
}

/// How long a build waits for another process building the same thing
/// (`USEGOLIB_LOCK_TIMEOUT` seconds, default 600).
fn lock_timeout() -> std::time::Duration {
    let secs = std::env::var("USEGOLIB_LOCK_TIMEOUT")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(600);
    std::time::Duration::from_secs(secs)
}

/// Takes the OS lock on `file`, waiting while another process holds it, up to
/// [`lock_timeout`]: a build that hangs elsewhere gives an error here instead of a hang.
fn wait_for_lock(file: &File, path: &Path, what: &str) -> Result<()> {
    let deadline = std::time::Instant::now() + lock_timeout();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(()),
            Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::Build {
                    module: what.to_owned(),
                    phase: "lock".into(),
                    output: format!(
                        "another process has been building {what} for {} s (lock {}): wait for it, or stop it and retry; USEGOLIB_LOCK_TIMEOUT sets the wait in seconds",
                        lock_timeout().as_secs(),
                        path.display()
                    ),
                });
            }
            Err(std::fs::TryLockError::Error(source)) => {
                return Err(Error::Io {
                    path: path.to_path_buf(),
                    source,
                })
            }
        }
    }
}

/// The module path declared by `dir/go.mod`.
///
/// # Errors
///
/// [`Error::Io`] when there is no readable go.mod, [`Error::Build`] when it declares no module.
pub fn module_path_of(dir: &Path) -> Result<String> {
    let path = dir.join("go.mod");
    let text = fs::read_to_string(&path).map_err(|source| Error::Io {
        path: path.clone(),
        source,
    })?;
    for line in text.lines() {
        let line = line.split("//").next().unwrap_or("").trim();
        if let Some(rest) = line.strip_prefix("module") {
            let m = rest.trim().trim_matches('"').trim_matches('`');
            if !m.is_empty() && rest.starts_with(char::is_whitespace) {
                return Ok(m.to_owned());
            }
        }
    }
    Err(Error::Build {
        module: dir.display().to_string(),
        phase: "resolve".into(),
        output: format!("{} has no module line", path.display()),
    })
}

/// Walks up from `dir` to the directory holding go.mod. Returns that root and the slash-separated
/// path of `dir` below it ("" for the root itself).
///
/// # Errors
///
/// [`Error::Io`] when `dir` does not exist, [`Error::Build`] when no go.mod is found.
pub fn find_module_root(dir: &Path) -> Result<(PathBuf, String)> {
    let dir = dir.canonicalize().map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut cur = dir.as_path();
    loop {
        if cur.join("go.mod").is_file() {
            let rel = dir.strip_prefix(cur).unwrap_or(Path::new(""));
            let rel: Vec<&str> = rel.iter().filter_map(|c| c.to_str()).collect();
            return Ok((cur.to_path_buf(), rel.join("/")));
        }
        cur = match cur.parent() {
            Some(p) => p,
            None => {
                return Err(Error::Build {
                    module: dir.display().to_string(),
                    phase: "resolve".into(),
                    output: format!(
                        "no go.mod in {} or any parent: not a Go module",
                        dir.display()
                    ),
                })
            }
        };
    }
}

impl Builder {
    /// A builder using `$USEGOLIB_GO`, else `go` from `PATH`.
    pub fn new() -> Self {
        let go = std::env::var_os("USEGOLIB_GO")
            .filter(|g| !g.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("go"));
        Builder {
            go,
            progress: None,
            generics: Vec::new(),
        }
    }

    /// Uses this `go` binary.
    pub fn with_go(mut self, go: impl Into<PathBuf>) -> Self {
        self.go = go.into();
        self
    }

    /// Also bridges these instantiations of generic functions (docs/abi.md section 8.4), each
    /// written `Name[T1,T2]` or `import/path.Name[T1,T2]`. A local module's `usegolib.json`
    /// (`{"generics": [...]}`) adds its own.
    pub fn with_generics(mut self, generics: impl IntoIterator<Item = String>) -> Self {
        self.generics.extend(generics);
        self
    }

    /// The instantiations to build for the module in `dir`: the requested ones and those of its
    /// `usegolib.json`, sorted, without repeats.
    fn generics_for(&self, dir: &Path) -> Result<Vec<String>> {
        let mut all = self.generics.clone();
        let cfg = dir.join("usegolib.json");
        if cfg.is_file() {
            let text = fs::read(&cfg).map_err(|source| Error::Io {
                path: cfg.clone(),
                source,
            })?;
            let v: serde_json::Value = serde_json::from_slice(&text).map_err(|e| Error::Build {
                module: dir.display().to_string(),
                phase: "resolve".into(),
                output: format!("{}: not valid JSON: {e}", cfg.display()),
            })?;
            if let Some(list) = v.get("generics").and_then(|g| g.as_array()) {
                all.extend(list.iter().filter_map(|g| g.as_str().map(str::to_owned)));
            }
        }
        all.sort();
        all.dedup();
        Ok(all)
    }

    /// Reports build phases to `progress`.
    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.progress = Some(progress);
        self
    }

    pub(crate) fn say(&self, line: &str) {
        if let Some(p) = &self.progress {
            p(line);
        }
    }

    /// A `go` command with the environment every build uses: the user's environment, plus
    /// `GOTOOLCHAIN=local` (never download a toolchain; the user may opt out by setting
    /// `USEGOLIB_GOTOOLCHAIN`), `GOWORK=off` and `CGO_ENABLED=1`.
    pub(crate) fn go_command(&self) -> Command {
        let mut c = Command::new(&self.go);
        let toolchain = std::env::var("USEGOLIB_GOTOOLCHAIN").unwrap_or_else(|_| "local".into());
        c.env("GOTOOLCHAIN", toolchain)
            .env("GOWORK", "off")
            .env("CGO_ENABLED", "1");
        c
    }

    pub(crate) fn spawn_error(&self, e: std::io::Error) -> Error {
        Error::GoNotFound {
            detail: format!("running {}: {e}", self.go.display()),
        }
    }

    /// `go env GOVERSION`, e.g. `go1.26.8`.
    ///
    /// # Errors
    ///
    /// [`Error::GoNotFound`] when `go` cannot be run.
    pub fn go_version(&self) -> Result<String> {
        let out = self
            .go_command()
            .args(["env", "GOVERSION"])
            .output()
            .map_err(|e| self.spawn_error(e))?;
        if !out.status.success() {
            return Err(Error::GoNotFound {
                detail: format!(
                    "{} env GOVERSION failed: {}",
                    self.go.display(),
                    String::from_utf8_lossy(&out.stderr).trim()
                ),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// The `usegolib-build` binary for this Go version, built into the cache on first use.
    fn tool(&self) -> Result<PathBuf> {
        let go_version = self.go_version()?;
        let key = format!("{}-{go_version}", builder_id());
        let tools = artifact::cache_dir().join("tools");
        let dir = tools.join(&key);
        let exe = dir.join(if cfg!(windows) {
            "usegolib-build.exe"
        } else {
            "usegolib-build"
        });
        if exe.is_file() {
            return Ok(exe);
        }
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::Io { path, source }
        };
        fs::create_dir_all(&tools).map_err(io(&tools))?;
        let lock_path = tools.join(format!("{key}.lock"));
        let lock = File::create(&lock_path).map_err(io(&lock_path))?;
        wait_for_lock(&lock, &lock_path, "the usegolib-build tool")?;
        if exe.is_file() {
            return Ok(exe);
        }
        self.say("building the usegolib-build tool");
        let tmp = tools.join(format!("{key}.tmp-{}", std::process::id()));
        let _ = fs::remove_dir_all(&tmp);
        let src = tmp.join("src");
        for (rel, bytes) in GO_SOURCES {
            let p = src.join(rel);
            if let Some(parent) = p.parent() {
                fs::create_dir_all(parent).map_err(io(parent))?;
            }
            fs::write(&p, bytes).map_err(io(&p))?;
        }
        let out = self
            .go_command()
            .current_dir(&src)
            .env("CGO_ENABLED", "0")
            .env("GOFLAGS", "-mod=mod")
            .args(["build", "-trimpath", "-o"])
            .arg(tmp.join(exe.file_name().unwrap_or_default()))
            .arg("./cmd/usegolib-build")
            .output()
            .map_err(|e| self.spawn_error(e))?;
        if !out.status.success() {
            return Err(Error::Build {
                module: "usegolib-build".into(),
                phase: "tool".into(),
                output: String::from_utf8_lossy(&out.stderr).into_owned(),
            });
        }
        let _ = fs::remove_dir_all(&src);
        let _ = fs::remove_dir_all(&dir);
        fs::rename(&tmp, &dir).map_err(io(&dir))?;
        Ok(exe)
    }

    /// Builds the module whose source is in `src_dir` into the artifact directory `out_dir`.
    /// `version` is `local` for a local module, else the module version being built.
    ///
    /// The instantiations of generic functions built are those wanted now (see
    /// [`Builder::with_generics`]) plus those the artifact in `out_dir` already holds, so that two
    /// callers asking for different ones never undo each other; when that union does not build
    /// (an old instantiation no longer compiles), the build is retried with the wanted ones only.
    ///
    /// # Errors
    ///
    /// [`Error::GoNotFound`], or [`Error::Build`] carrying the Go toolchain's output.
    pub fn build(&self, src_dir: &Path, version: &str, out_dir: &Path) -> Result<()> {
        let tool = self.tool()?;
        let wanted = self.generics_for(src_dir)?;
        let mut union = wanted.clone();
        union.extend(read_builder_id(out_dir).map(|(_, g)| g).unwrap_or_default());
        union.sort();
        union.dedup();
        let mut result = self.run_tool(&tool, src_dir, version, out_dir, &union);
        let mut built = union;
        if matches!(result, Err(Error::Build { .. })) && built != wanted {
            self.say("retrying with only the requested generic instantiations");
            result = self.run_tool(&tool, src_dir, version, out_dir, &wanted);
            built = wanted;
        }
        if result.is_ok() {
            // Record which generator and runtime built it (a newer usegolib rebuilds it), and
            // which instantiations it holds.
            let mut id = format!("{}\n", builder_id());
            for g in &built {
                id.push_str(g);
                id.push('\n');
            }
            let _ = fs::write(out_dir.join(BUILDER_ID_FILE), id);
        }
        result
    }

    /// Whether the artifact in `dir` was built by this usegolib's builder with every
    /// instantiation this builder wants for the module at `src_dir`.
    fn up_to_date(&self, dir: &Path, src_dir: &Path) -> bool {
        let Some((id, built)) = read_builder_id(dir) else {
            return false;
        };
        if id != builder_id() {
            return false;
        }
        match self.generics_for(src_dir) {
            Ok(want) => want.iter().all(|g| built.contains(g)),
            Err(_) => false,
        }
    }

    fn run_tool(
        &self,
        tool: &Path,
        src_dir: &Path,
        version: &str,
        out_dir: &Path,
        generics: &[String],
    ) -> Result<()> {
        let tool = tool.to_path_buf();
        let mut child = Command::new(&tool)
            .env(
                "GOTOOLCHAIN",
                std::env::var("USEGOLIB_GOTOOLCHAIN").unwrap_or_else(|_| "local".into()),
            )
            .env("USEGOLIB_GO", &self.go)
            .arg("-module")
            .arg(src_dir)
            .arg("-out")
            .arg(out_dir)
            .arg("-version")
            .arg(version)
            .args(generics.iter().flat_map(|g| ["-generic", g.as_str()]))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| Error::Io {
                path: tool.clone(),
                source,
            })?;
        let mut stdout = child.stdout.take();
        let out_thread = std::thread::spawn(move || {
            let mut s = String::new();
            if let Some(o) = stdout.as_mut() {
                let _ = o.read_to_string(&mut s);
            }
            s
        });
        let mut output = String::new();
        let mut phase = String::from("start");
        if let Some(err) = child.stderr.take() {
            for line in BufReader::new(err).lines().map_while(|l| l.ok()) {
                if let Some(p) = line.strip_prefix("usegolib-build: phase ") {
                    phase = p.split_whitespace().next().unwrap_or(p).to_owned();
                    self.say(p);
                } else {
                    output.push_str(&line);
                    output.push('\n');
                }
            }
        }
        let status = child.wait().map_err(|source| Error::Io {
            path: tool.clone(),
            source,
        })?;
        output.push_str(&out_thread.join().unwrap_or_default());
        if !status.success() {
            return Err(Error::Build {
                module: src_dir.display().to_string(),
                phase,
                output,
            });
        }
        Ok(())
    }

    /// Returns the artifact of the local module at `module_dir` under `root`, building it if it
    /// is missing or if the sources changed since (by fingerprint; an unchanged module is reused
    /// without running `go`). The artifact is keyed by the module's directory
    /// ([`artifact::local_artifact_dir`]), so two directories with the same module path keep
    /// their own. Concurrent callers, in this or other processes, build it once: the build runs
    /// under an OS file lock and the artifact appears by an atomic rename.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when `module_dir` does not exist, and see [`Builder::build`].
    pub fn ensure_local(&self, module_dir: &Path, root: &Path) -> Result<PathBuf> {
        let module_dir = &module_dir.canonicalize().map_err(|source| Error::Io {
            path: module_dir.to_path_buf(),
            source,
        })?;
        let module = module_path_of(module_dir)?;
        let out = artifact::local_artifact_dir(root, &module, module_dir);
        // The manifest says which directories beyond the walk the fingerprint covers; an
        // unreadable one, or sources that cannot be read, mean a rebuild (whose errors say why).
        let fresh = |out: &Path| {
            self.up_to_date(out, module_dir)
                && artifact::read_manifest(out).is_ok_and(|m| {
                    m.fingerprint.is_some()
                        && artifact::fingerprint_with(module_dir, &m.input_dirs).ok()
                            == m.fingerprint
                })
        };
        if fresh(&out) {
            return Ok(out);
        }
        self.locked(root, &out, &module, "local", || {
            if !fresh(&out) {
                self.build(module_dir, "local", &out)?;
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Builds `module@version` from `src_dir` into `out` unless a valid artifact is already
    /// there (or always, with `force`), under the same lock as [`Builder::ensure_local`].
    ///
    /// # Errors
    ///
    /// See [`Builder::build`].
    pub fn ensure_built(
        &self,
        src_dir: &Path,
        module: &str,
        version: &str,
        out: &Path,
        force: bool,
    ) -> Result<()> {
        // The artifact root, as the layout puts `out` below it.
        let depth = module.split('/').count() + if version == "local" { 2 } else { 1 };
        let root = out
            .ancestors()
            .nth(depth)
            .or_else(|| out.parent())
            .unwrap_or(out);
        let present =
            || !force && self.up_to_date(out, src_dir) && artifact::read_manifest(out).is_ok();
        if present() {
            return Ok(());
        }
        self.locked(root, out, module, version, || {
            if !present() {
                self.build(src_dir, version, out)?;
            }
            Ok(())
        })
    }

    /// Runs `f` holding the OS file lock of the artifact directory `out` (of `module@version`)
    /// under `root` (released by the kernel if this process dies).
    fn locked<T>(
        &self,
        root: &Path,
        out: &Path,
        module: &str,
        version: &str,
        f: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        let locks = root.join(".locks");
        fs::create_dir_all(&locks).map_err(|source| Error::Io {
            path: locks.clone(),
            source,
        })?;
        let key: Vec<&str> = match out.strip_prefix(root) {
            Ok(rel) => rel.iter().filter_map(|c| c.to_str()).collect(),
            Err(_) => vec![module, version],
        };
        let lock_path = locks.join(format!("{}.lock", key.join("%")));
        let lock = File::create(&lock_path).map_err(|source| Error::Io {
            path: lock_path.clone(),
            source,
        })?;
        wait_for_lock(&lock, &lock_path, &format!("{module}@{version}"))?;
        let r = f();
        drop(lock);
        r
    }
}

/// The builder id of the artifact in `dir` and the generic instantiations it holds, as its
/// [`BUILDER_ID_FILE`] lists them; `None` when there is no such file.
fn read_builder_id(dir: &Path) -> Option<(String, Vec<String>)> {
    let text = fs::read_to_string(dir.join(BUILDER_ID_FILE)).ok()?;
    let mut lines = text.lines().map(str::trim);
    let id = lines.next()?.to_owned();
    Some((
        id,
        lines.filter(|l| !l.is_empty()).map(str::to_owned).collect(),
    ))
}
