//! Building artifacts: runs the Go builder (`go/cmd/usegolib-build`, embedded in this crate as
//! source and compiled once per Go version into the cache) with the user's Go toolchain.

use std::cell::Cell;
use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::cache::{self, WorkDir};
use crate::{artifact, Error, Result};

include!(concat!(env!("OUT_DIR"), "/go_sources.rs"));

/// Receives progress lines while a build runs: each phase when it starts (`scan DIR`,
/// `compile DIR`, `download MODULE@VERSION`, ...) and when it ends (`compile done in 3.2 s`,
/// `compile failed after 1.0 s`), "waiting for another process building X", warnings, and
/// with [`Builder::with_verbose`] Go's own output (`go: ...` lines of `go build -v`).
pub type Progress = Arc<dyn Fn(&str) + Send + Sync>;

/// The phase a build is in and when it started (shared by the clones of a [`Builder`]).
type PhaseClock = Arc<std::sync::Mutex<Option<(String, Instant)>>>;

/// Asked about every [`POLL`] while a build waits for a lock or runs `go`: `true` stops the wait
/// or the build at once (its processes are killed) with [`Error::Cancelled`]. The Python binding
/// checks for Ctrl-C here.
pub type Cancel = Arc<dyn Fn() -> bool + Send + Sync>;

/// The prefix of an `also` package among the extras of a build (see [`Builder::with_also`]).
pub(crate) const ALSO: &str = "also:";

/// How often a waiting or building [`Builder`] asks its [`Cancel`] check.
const POLL: Duration = Duration::from_millis(50);

/// The file name of the build tool.
const TOOL_NAME: &str = if cfg!(windows) {
    "usegolib-build.exe"
} else {
    "usegolib-build"
};

/// Builds artifacts with the Go toolchain.
#[derive(Clone)]
pub struct Builder {
    go: PathBuf,
    progress: Option<Progress>,
    phase: PhaseClock,
    verbose: bool,
    generics: Vec<String>,
    also: Vec<String>,
    cancel: Option<Cancel>,
    bundled: Option<PathBuf>,
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

/// The `GOTOOLCHAIN` every `go` command of a build runs with: `$USEGOLIB_GOTOOLCHAIN` when it
/// is set and not empty, else `local` (never download a toolchain). The one owner of this rule:
/// the builder, the Go build tool it runs (given it as `GOTOOLCHAIN`) and `usegolib version`
/// all ask here.
pub fn go_toolchain() -> String {
    std::env::var("USEGOLIB_GOTOOLCHAIN")
        .ok()
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "local".into())
}

/// The `go` binary every build runs: `$USEGOLIB_GO` when it is set and not empty, else `go`
/// from `PATH`. The one owner of this rule: [`Builder::new`], the Go build tool (given it as
/// `USEGOLIB_GO`) and `usegolib version` all ask here.
pub fn go_binary() -> PathBuf {
    std::env::var_os("USEGOLIB_GO")
        .filter(|g| !g.is_empty())
        .map_or_else(|| PathBuf::from("go"), PathBuf::from)
}

/// The module path declared by `dir/go.mod`, read as Go reads it: `module path`, `module
/// "path"` or the block form `module (` path `)`, with `//` comments.
///
/// # Errors
///
/// [`Error::Io`] when there is no readable go.mod, [`Error::Build`] when it declares no module,
/// [`Error::InvalidModulePath`] when the path is not one Go accepts.
pub fn module_path_of(dir: &Path) -> Result<String> {
    let path = dir.join("go.mod");
    let text = fs::read_to_string(&path).map_err(|source| Error::Io {
        path: path.clone(),
        source,
    })?;
    let mut lines = text
        .lines()
        .map(|line| line.split("//").next().unwrap_or("").trim());
    while let Some(line) = lines.next() {
        let Some(rest) = line.strip_prefix("module") else {
            continue;
        };
        let mut m = rest.trim();
        if !rest.starts_with(char::is_whitespace) && !rest.starts_with('(') {
            continue; // `modulefoo`
        }
        if m == "(" {
            // The block form: the first line inside it.
            m = lines.by_ref().find(|l| !l.is_empty()).unwrap_or(")");
        }
        let m = m.trim_matches('"').trim_matches('`');
        if !m.is_empty() && m != ")" {
            // Checked before it names anything on disk: `module /abs/dir` or `module ../x`
            // would otherwise make a build write and delete outside the cache.
            cache::check_import_path(m)?;
            return Ok(m.to_owned());
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
    /// A builder using [`go_binary`]: `$USEGOLIB_GO`, else `go` from `PATH`.
    pub fn new() -> Self {
        Builder {
            go: go_binary(),
            progress: None,
            phase: PhaseClock::default(),
            verbose: false,
            generics: Vec::new(),
            also: Vec::new(),
            cancel: None,
            bundled: None,
        }
    }

    /// Takes the prebuilt `usegolib-build` tool in `dir` (the Python package's `_bin/`, written
    /// by [`Builder::bundle_tool`] when the package was built) instead of compiling one, when
    /// the cache has no tool for this Go yet: it is copied into the cache (and run from there,
    /// verified, as a compiled one) when its recorded key (builder id and Go version) is this
    /// builder's with the user's Go and its SHA-256 is the recorded one. A tool inside the
    /// installed package is as trusted as the package's own code; the checks catch a stale or
    /// damaged copy, which is passed over with a warning (docs/adr/0028).
    pub fn with_bundled_tool(mut self, dir: impl Into<PathBuf>) -> Self {
        self.bundled = Some(dir.into());
        self
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

    /// Also bridges these packages (standard-library or dependency import paths) into a
    /// module's artifact, so that their functions share its runtime (docs/adr/0023). A local
    /// module's `usegolib.json` (`{"also": [...]}`) adds its own.
    pub fn with_also(mut self, packages: impl IntoIterator<Item = String>) -> Self {
        self.also.extend(packages);
        self
    }

    /// What to build into the module in `dir` beyond its own packages: the instantiations
    /// requested and those of its `usegolib.json`, and the `also` packages (requested and
    /// listed there) written `also:<path>`; sorted, without repeats.
    fn generics_for(&self, dir: &Path) -> Result<Vec<String>> {
        let mut all = self.generics.clone();
        all.extend(self.also.iter().map(|p| format!("{ALSO}{p}")));
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
            if let Some(list) = v.get("also").and_then(|g| g.as_array()) {
                all.extend(
                    list.iter()
                        .filter_map(|p| p.as_str().map(|p| format!("{ALSO}{p}"))),
                );
            }
        }
        all.sort();
        all.dedup();
        Ok(all)
    }

    /// The generic instantiations requested with [`Builder::with_generics`].
    pub(crate) fn generics(&self) -> &[String] {
        &self.generics
    }

    /// Reports build phases to `progress` (see [`Progress`]).
    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Also reports Go's own output while the bridge compiles (`go build -v`: each package as
    /// it is compiled), each line as `go: ...`.
    pub fn with_verbose(mut self, verbose: bool) -> Self {
        self.verbose = verbose;
        self
    }

    /// Stops waits for a build lock and running builds as soon as `cancel` returns true (it is
    /// asked every 50 ms): the build's process group is killed, its work directory removed, the
    /// lock released, and the call returns [`Error::Cancelled`].
    pub fn with_cancel(mut self, cancel: Cancel) -> Self {
        self.cancel = Some(cancel);
        self
    }

    fn cancelled(&self) -> bool {
        self.cancel.as_ref().is_some_and(|c| c())
    }

    /// Takes the OS lock on `file`, waiting while another process holds it, up to
    /// [`lock_timeout`] (a build that hangs elsewhere gives an error here instead of a hang), or
    /// until the [`Cancel`] check says stop.
    fn wait_for_lock(&self, file: &File, path: &Path, what: &str) -> Result<()> {
        let deadline = Instant::now() + lock_timeout();
        let mut said = false;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(()),
                Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    if !said {
                        said = true;
                        self.say(&format!(
                            "waiting for another process building {what} (lock {})",
                            path.display()
                        ));
                    }
                    if self.cancelled() {
                        return Err(Error::Cancelled {
                            what: format!("waiting for another process building {what}"),
                        });
                    }
                    std::thread::sleep(POLL);
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

    /// Removes the artifact directory `dir` under `root` (what `usegolib rm` does): only a
    /// directory inside the root, under the artifact's build lock, waited for as a build waits
    /// (at most `USEGOLIB_LOCK_TIMEOUT` seconds, and ended by the [`Cancel`] check).
    ///
    /// # Errors
    ///
    /// As [`crate::remove_artifact`], and [`Error::Cancelled`] or a `lock` [`Error::Build`]
    /// when the wait ends.
    pub fn remove_artifact(&self, root: &Path, dir: &Path) -> Result<()> {
        cache::remove_artifact_with(root, dir, |lock, path, what| {
            self.wait_for_lock(lock, path, what)
        })
    }

    /// Runs `cmd` as the leader of a new process group (a Ctrl-C at the terminal reaches only
    /// this process, which decides), handing each line of its standard error to `on_line` and
    /// returning its exit status and standard output. When the [`Cancel`] check says stop, the
    /// whole group (the command and every `go` process it started) is killed.
    fn run_group(
        &self,
        cmd: &mut Command,
        on_line: &mut dyn FnMut(&str),
    ) -> std::result::Result<(ExitStatus, Vec<u8>), RunError> {
        cmd.process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(RunError::Spawn)?;
        let stdout = child.stdout.take();
        let out_thread = std::thread::spawn(move || {
            let mut v = Vec::new();
            if let Some(mut o) = stdout {
                let _ = o.read_to_end(&mut v);
            }
            v
        });
        let (tx, rx) = mpsc::channel::<String>();
        let stderr = child.stderr.take();
        let err_thread = std::thread::spawn(move || {
            let Some(e) = stderr else { return };
            let mut r = BufReader::new(e);
            let mut line = Vec::new();
            while matches!(r.read_until(b'\n', &mut line), Ok(n) if n > 0) {
                let text = String::from_utf8_lossy(&line);
                if tx
                    .send(text.trim_end_matches(['\n', '\r']).to_owned())
                    .is_err()
                {
                    break;
                }
                line.clear();
            }
        });
        let mut asked = Instant::now();
        let status = loop {
            match rx.recv_timeout(POLL) {
                Ok(line) => on_line(&line),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => match child.try_wait() {
                    Ok(Some(status)) => break status,
                    Ok(None) => std::thread::sleep(POLL),
                    Err(e) => return Err(RunError::Wait(e)),
                },
            }
            if asked.elapsed() >= POLL {
                asked = Instant::now();
                if self.cancelled() {
                    // The child is not reaped yet, so its group id is still its own.
                    let _ = crate::ffi::kill_process_group(child.id());
                    let _ = child.wait();
                    drop(rx);
                    let _ = err_thread.join();
                    let _ = out_thread.join();
                    return Err(RunError::Cancelled);
                }
            }
        };
        let _ = err_thread.join();
        Ok((status, out_thread.join().unwrap_or_default()))
    }

    /// Runs a `go` command like `Command::output`, but cancellable (see [`Builder::run_group`]).
    pub(crate) fn output(&self, mut cmd: Command, what: &str) -> Result<std::process::Output> {
        let mut stderr = Vec::new();
        let r = self.run_group(&mut cmd, &mut |line| {
            stderr.extend_from_slice(line.as_bytes());
            stderr.push(b'\n');
        });
        match r {
            Ok((status, stdout)) => Ok(std::process::Output {
                status,
                stdout,
                stderr,
            }),
            Err(RunError::Spawn(e)) => Err(self.spawn_error(e)),
            Err(RunError::Wait(source)) => Err(Error::Io {
                path: self.go.clone(),
                source,
            }),
            Err(RunError::Cancelled) => Err(Error::Cancelled { what: what.into() }),
        }
    }

    pub(crate) fn say(&self, line: &str) {
        if let Some(p) = &self.progress {
            p(line);
        }
    }

    /// Says that the phase `line` starts (its first word names it), ending the phase before it.
    pub(crate) fn phase(&self, line: &str) {
        self.end_phase(true);
        let name = line.split_whitespace().next().unwrap_or(line).to_owned();
        if let Ok(mut p) = self.phase.lock() {
            *p = Some((name, Instant::now()));
        }
        self.say(line);
    }

    /// Says that the current phase (if any) ended, with its elapsed time.
    pub(crate) fn end_phase(&self, ok: bool) {
        let ended = self.phase.lock().ok().and_then(|mut p| p.take());
        if let Some((name, started)) = ended {
            let secs = started.elapsed().as_secs_f64();
            self.say(&if ok {
                format!("{name} done in {secs:.1} s")
            } else {
                format!("{name} failed after {secs:.1} s")
            });
        }
    }

    /// A `go` command with the environment every build uses: the user's environment, plus
    /// `GOTOOLCHAIN=local` (never download a toolchain; the user may opt out by setting
    /// `USEGOLIB_GOTOOLCHAIN`), `GOWORK=off` and `CGO_ENABLED=1`.
    pub(crate) fn go_command(&self) -> Command {
        let mut c = Command::new(&self.go);
        c.env("GOTOOLCHAIN", go_toolchain())
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
        self.go_says(&["env", "GOVERSION"])
    }

    /// What `go version` prints, e.g. `go version go1.26.8 linux/amd64`, run as builds run it.
    ///
    /// # Errors
    ///
    /// [`Error::GoNotFound`] when `go` cannot be run or fails.
    pub fn go_version_line(&self) -> Result<String> {
        self.go_says(&["version"])
    }

    /// The trimmed output of `go <args>`, run as builds run it.
    fn go_says(&self, args: &[&str]) -> Result<String> {
        let mut cmd = self.go_command();
        cmd.args(args);
        let out = self.output(cmd, "asking go for its version")?;
        if !out.status.success() {
            return Err(Error::GoNotFound {
                detail: format!(
                    "{} {} failed: {}",
                    self.go.display(),
                    args.join(" "),
                    String::from_utf8_lossy(&out.stderr).trim()
                ),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// The key of the build tool this builder runs: its builder id and the user's Go version
    /// (`<id>-go1.26.8`), as one file-name component.
    fn tool_key(&self) -> Result<String> {
        let go_version = self.go_version()?;
        Ok(format!("{}-{go_version}", builder_id())
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._+-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect())
    }

    /// The bytes of the prebuilt tool of [`Builder::with_bundled_tool`] when it is there, made
    /// for `key` and intact; `None`, with a warning when a tool is there but not usable.
    fn bundled_tool(&self, key: &str) -> Option<Vec<u8>> {
        let dir = self.bundled.as_ref()?;
        let (prefix, why) = match read_bundle(dir, key)? {
            Ok(bytes) => return Some(bytes),
            // Another Go version (or usegolib) than the wheel was built with: an ordinary
            // situation for a published wheel, told as information.
            Err(PassedOver::OtherKey(why)) => ("", why),
            Err(PassedOver::Damaged(why)) => ("warning: ", why),
        };
        self.say(&format!(
            "{prefix}not using the bundled usegolib-build tool {}: {why}; building one for this Go instead",
            dir.join(TOOL_NAME).display()
        ));
        None
    }

    /// Builds the `usegolib-build` tool for the user's Go into `dir` (created if needed), as
    /// the cache holds it (the binary and its `.sha256`) plus `usegolib-build.key`: the prebuilt
    /// tool a platform wheel ships (see [`Builder::with_bundled_tool`]). The same sources and
    /// flags as the per-Go-version tool of the cache, so the same bytes.
    ///
    /// # Errors
    ///
    /// [`Error::GoNotFound`], [`Error::Io`], or a `tool` [`Error::Build`] with Go's output.
    pub fn bundle_tool(&self, dir: &Path) -> Result<()> {
        let key = self.tool_key()?;
        if let Some(Ok(_)) = read_bundle(dir, &key) {
            return Ok(()); // already there, for this builder and this Go
        }
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::Io { path, source }
        };
        fs::create_dir_all(dir).map_err(io(dir))?;
        let work = WorkDir::create(&artifact::cache_dir())?;
        let built = work.path().join("tool");
        let hash = self.compile_tool(work.path(), &built)?;
        let exe = dir.join(TOOL_NAME);
        let _ = fs::remove_file(&exe);
        fs::copy(built.join(TOOL_NAME), &exe).map_err(io(&exe))?;
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&exe, fs::Permissions::from_mode(0o755)).map_err(io(&exe))?;
        }
        for (name, text) in [("sha256", &hash), ("key", &key)] {
            let p = dir.join(format!("{TOOL_NAME}.{name}"));
            fs::write(&p, format!("{text}\n")).map_err(io(&p))?;
        }
        Ok(())
    }

    /// Compiles the tool from the embedded sources (written under `work/src`) into
    /// `built/usegolib-build` (`built` is created private), makes it executable by its owner and
    /// writes `built/usegolib-build.sha256`. Returns the hash.
    fn compile_tool(&self, work: &Path, built: &Path) -> Result<String> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::Io { path, source }
        };
        let src = work.join("src");
        for (rel, bytes) in GO_SOURCES {
            let p = cache::inside(&src, rel)?;
            if let Some(parent) = p.parent() {
                cache::private_dir(work, parent)?;
            }
            cache::write_private(&p, bytes, 0o600)?;
        }
        cache::private_dir(work, built)?;
        let mut cmd = self.go_command();
        cmd.current_dir(&src)
            .env("CGO_ENABLED", "0")
            .env("GOFLAGS", "-mod=mod")
            .args(["build", "-trimpath", "-o"])
            .arg(built.join(TOOL_NAME))
            .arg("./cmd/usegolib-build");
        let out = self.output(cmd, "building the usegolib-build tool")?;
        if !out.status.success() {
            return Err(Error::Build {
                module: "usegolib-build".into(),
                phase: "tool".into(),
                output: String::from_utf8_lossy(&out.stderr).into_owned(),
            });
        }
        let built_exe = built.join(TOOL_NAME);
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&built_exe, fs::Permissions::from_mode(0o700))
                .map_err(io(&built_exe))?;
        }
        let hash = artifact::sha256_file(&built_exe).map_err(io(&built_exe))?;
        write_tool_hash(built, &hash)?;
        Ok(hash)
    }

    /// The `usegolib-build` binary for this Go version, built into `<cache>/tools/<key>/` on
    /// first use, opened and verified against the SHA-256 recorded when it was built. A tool that
    /// does not match is rebuilt, with a warning, instead of run (docs/adr/0002).
    fn tool(&self) -> Result<Tool> {
        let key = self.tool_key()?;
        let cache_root = artifact::cache_dir();
        let tools = cache::inside(&cache_root, "tools")?;
        cache::private_dir(&cache_root, &tools)?;
        cache::sweep_tool_leftovers(&tools);
        let dir = cache::inside(&tools, &key)?;
        let exe = dir.join(TOOL_NAME);
        let sum = dir.join(format!("{TOOL_NAME}.sha256"));
        match Tool::open_verified(&exe, &sum) {
            Ok(t) => return Ok(t),
            Err(reason) if exe.exists() => self.say(&format!(
                "warning: not running the cached usegolib-build tool {}: {reason}; rebuilding it",
                exe.display()
            )),
            Err(_) => {}
        }
        let lock_path = cache::inside(&tools, format!("{key}.lock"))?;
        let lock = cache::open_lock(&lock_path)?;
        self.wait_for_lock(&lock, &lock_path, "the usegolib-build tool")?;
        if let Ok(t) = Tool::open_verified(&exe, &sum) {
            return Ok(t);
        }
        let work = WorkDir::create(&cache_root)?;
        let built = work.path().join("tool");
        if let Some(bytes) = self.bundled_tool(&key) {
            // The installed package's prebuilt tool, checked above: copied, not compiled.
            self.say("using the usegolib-build tool bundled with usegolib");
            cache::private_dir(work.path(), &built)?;
            cache::write_private(&built.join(TOOL_NAME), &bytes, 0o700)?;
            write_tool_hash(&built, &hex::encode(Sha256::digest(&bytes)))?;
        } else {
            self.phase("tool (building the usegolib-build tool, once per Go version)");
            // Ended here, failed or done: its time is the compilation's, not the next phase's.
            let compiled = self.compile_tool(work.path(), &built);
            self.end_phase(compiled.is_ok());
            compiled?;
        }
        let _ = fs::remove_dir_all(&dir);
        fs::rename(&built, &dir).map_err(|source| Error::Io {
            path: dir.clone(),
            source,
        })?;
        Tool::open_verified(&exe, &sum).map_err(|reason| Error::Build {
            module: "usegolib-build".into(),
            phase: "tool".into(),
            output: format!("the tool just built does not verify: {reason}"),
        })
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
            let _ = cache::write_private(&out_dir.join(BUILDER_ID_FILE), id.as_bytes(), 0o600);
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

    /// Whether the library of the artifact in `out` matches `manifest`; says so (once per
    /// `warned`) when it does not, since the artifact is then rebuilt.
    fn library_ok(&self, out: &Path, manifest: &crate::Manifest, warned: &Cell<bool>) -> bool {
        let ok = artifact::library_intact(out, manifest);
        if !ok && !warned.replace(true) {
            self.say(&format!(
                "warning: the library {} is missing or does not match its manifest; rebuilding it",
                out.join(&manifest.library.file).display()
            ));
        }
        ok
    }

    /// Runs the verified tool on the module at `src_dir` (see [`Builder::run_tool_with`]).
    fn run_tool(
        &self,
        tool: &Tool,
        src_dir: &Path,
        version: &str,
        out_dir: &Path,
        generics: &[String],
    ) -> Result<()> {
        let mut args: Vec<std::ffi::OsString> = vec!["-module".into(), src_dir.into()];
        args.extend(["-version".into(), version.into()]);
        for g in generics {
            match g.strip_prefix(ALSO) {
                Some(p) => args.extend(["-also".into(), p.into()]),
                None => args.extend(["-generic".into(), g.into()]),
            }
        }
        self.run_tool_with(tool, &args, out_dir, &src_dir.display().to_string())
    }

    /// Runs the verified tool with `args` and `-out out_dir` in its own process group, with a
    /// private work directory under `<cache>/work/` that is removed afterwards whatever
    /// happens. `what` names the build in errors.
    fn run_tool_with(
        &self,
        tool: &Tool,
        args: &[std::ffi::OsString],
        out_dir: &Path,
        what: &str,
    ) -> Result<()> {
        let work = WorkDir::create(&artifact::cache_dir())?;
        let mut cmd = tool.command();
        cmd.env("GOTOOLCHAIN", go_toolchain())
            .env("USEGOLIB_GO", &self.go)
            // The tool dies with this process (PR_SET_PDEATHSIG, checked against this pid).
            .env("USEGOLIB_PARENT_PID", std::process::id().to_string())
            .args(args)
            .arg("-out")
            .arg(out_dir)
            .arg("-work")
            .arg(work.path().join("bridge"));
        if self.verbose {
            cmd.arg("-v");
        }
        let mut output = String::new();
        let mut phase = String::from("start");
        let r = self.run_group(&mut cmd, &mut |line| {
            if let Some(p) = line.strip_prefix("usegolib-build: phase ") {
                phase = p.split_whitespace().next().unwrap_or(p).to_owned();
                self.phase(&format!("{p} {what}"));
            } else if let Some(go) = line.strip_prefix("usegolib-build: go: ") {
                self.say(&format!("go: {go}"));
            } else {
                output.push_str(line);
                output.push('\n');
            }
        });
        self.end_phase(matches!(&r, Ok((status, _)) if status.success()));
        let status = match r {
            Ok((status, stdout)) => {
                output.push_str(&String::from_utf8_lossy(&stdout));
                status
            }
            Err(RunError::Spawn(source) | RunError::Wait(source)) => {
                return Err(Error::Io {
                    path: tool.path.clone(),
                    source,
                })
            }
            Err(RunError::Cancelled) => {
                return Err(Error::Cancelled {
                    what: format!("building {what}"),
                })
            }
        };
        drop(work);
        if !status.success() {
            return Err(Error::Build {
                module: what.to_owned(),
                phase,
                output,
            });
        }
        Ok(())
    }

    /// Builds the standard-library artifact of Go version `go_version` holding the packages
    /// `set` into `out` (an artifact directory under `root`) unless a valid one built by this
    /// usegolib is there (or always, with `force`), under the artifact's lock (docs/adr/0023).
    ///
    /// # Errors
    ///
    /// See [`Builder::build`]; a `version` [`Error::Build`] when the toolchain's version is not
    /// `go_version` (it changed while the build waited).
    pub fn ensure_std(
        &self,
        set: &[String],
        generics: &[String],
        go_version: &str,
        root: &Path,
        out: &Path,
        force: bool,
    ) -> Result<()> {
        let warned = Cell::new(false);
        let present = || {
            !force
                && read_builder_id(out).is_some_and(|(id, _)| id == builder_id())
                && artifact::read_manifest(out)
                    .is_ok_and(|m| m.version == go_version && self.library_ok(out, &m, &warned))
        };
        if present() {
            return Ok(());
        }
        self.locked(root, out, || {
            if present() {
                return Ok(());
            }
            let tool = self.tool()?;
            self.say(&format!(
                "building the standard library for {go_version} ({} packages, once per Go version and set of packages)",
                set.len()
            ));
            let mut args: Vec<std::ffi::OsString> = Vec::new();
            for p in set {
                args.extend(["-std".into(), p.into()]);
            }
            for g in generics {
                args.extend(["-generic".into(), g.into()]);
            }
            let what = format!("{}@{go_version}", crate::stdlib::STD_MODULE);
            self.run_tool_with(&tool, &args, out, &what)?;
            let built = artifact::read_manifest(out)?;
            if built.version != go_version {
                return Err(Error::Build {
                    module: what,
                    phase: "version".into(),
                    output: format!(
                        "the Go toolchain changed while building: it built {}",
                        built.version
                    ),
                });
            }
            let mut id = format!("{}\n", builder_id());
            for g in generics {
                id.push_str(g);
                id.push('\n');
            }
            let _ = cache::write_private(&out.join(BUILDER_ID_FILE), id.as_bytes(), 0o600);
            Ok(())
        })
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
        let warned = Cell::new(false);
        let fresh = |out: &Path| {
            self.up_to_date(out, module_dir)
                && artifact::read_manifest(out).is_ok_and(|m| {
                    m.fingerprint.is_some()
                        && artifact::fingerprint_with(module_dir, &m.input_dirs).ok()
                            == m.fingerprint
                        && self.library_ok(out, &m, &warned)
                })
        };
        if fresh(&out) {
            return Ok(out);
        }
        self.locked(root, &out, || {
            if !fresh(&out) {
                self.build(module_dir, "local", &out)?;
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Builds `module@version` from `src_dir` into `out` (an artifact directory under the
    /// artifact root `root`) unless a valid artifact with an intact library is already there (or
    /// always, with `force`), under the same lock as [`Builder::ensure_local`]: one lock per
    /// artifact directory.
    ///
    /// # Errors
    ///
    /// See [`Builder::build`]; [`Error::InvalidModulePath`] for a module path or version that Go
    /// would refuse, [`Error::InsecureCache`] when `out` is not inside `root`.
    pub fn ensure_built(
        &self,
        src_dir: &Path,
        module: &str,
        version: &str,
        root: &Path,
        out: &Path,
        force: bool,
    ) -> Result<()> {
        if version == "local" {
            cache::check_import_path(module)?;
        } else {
            cache::check_module_version(module, version)?;
        }
        let warned = Cell::new(false);
        let present = || {
            !force
                && self.up_to_date(out, src_dir)
                && artifact::read_manifest(out)
                    .map(|m| self.library_ok(out, &m, &warned))
                    .unwrap_or(false)
        };
        if present() {
            return Ok(());
        }
        self.locked(root, out, || {
            if !present() {
                self.build(src_dir, version, out)?;
            }
            Ok(())
        })
    }

    /// Runs `f` holding the OS file lock of the artifact directory `out` under `root` (released
    /// by the kernel if this process dies): `<root>/.locks/<path of out, '/' as '%'>.lock`. The
    /// root and the directories down to `out`'s parent are created `0700` and checked first, and
    /// what an interrupted earlier write of `out` left is removed.
    fn locked<T>(&self, root: &Path, out: &Path, f: impl FnOnce() -> Result<T>) -> Result<T> {
        cache::private_dir(root, out.parent().unwrap_or(root))?;
        let (lock_path, lock) = cache::open_artifact_lock(root, out)?;
        let what = out.strip_prefix(root).unwrap_or(out).display().to_string();
        self.wait_for_lock(&lock, &lock_path, &what)?;
        cache::clean_artifact_leftovers(out);
        let r = f();
        if r.is_err() {
            cache::clean_artifact_leftovers(out);
        }
        drop(lock);
        r
    }
}

/// Whether the artifact in `dir` records a builder other than this usegolib's (an artifact that
/// records none, such as one copied from elsewhere, is not said to be stale).
pub(crate) fn built_by_another_builder(dir: &Path) -> bool {
    read_builder_id(dir).is_some_and(|(id, _)| id != builder_id())
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

/// The generic instantiations (and `also:` packages) that the artifact in `dir` was built with,
/// as its [`BUILDER_ID_FILE`] lists them.
pub(crate) fn built_generics(dir: &Path) -> Vec<String> {
    read_builder_id(dir).map(|(_, g)| g).unwrap_or_default()
}

/// Writes `built/usegolib-build.sha256`, the hash a tool is verified against before it runs
/// (docs/adr/0002).
fn write_tool_hash(built: &Path, hash: &str) -> Result<()> {
    cache::write_private(
        &built.join(format!("{TOOL_NAME}.sha256")),
        format!("{hash}\n").as_bytes(),
        0o600,
    )
}

/// The prebuilt tool in `dir` (see [`Builder::with_bundled_tool`]): `None` when there is none,
/// its bytes when its recorded key is `key` and its SHA-256 the recorded one, else why not.
fn read_bundle(dir: &Path, key: &str) -> Option<std::result::Result<Vec<u8>, PassedOver>> {
    let exe = dir.join(TOOL_NAME);
    if !exe.exists() {
        return None;
    }
    let file = |ext: &str| fs::read_to_string(dir.join(format!("{TOOL_NAME}.{ext}")));
    Some(match (file("key"), file("sha256")) {
        (Ok(k), Ok(want)) if k.trim() == key => match fs::read(&exe) {
            Ok(bytes) => {
                let actual = hex::encode(Sha256::digest(&bytes));
                if actual == want.trim() {
                    Ok(bytes)
                } else {
                    Err(PassedOver::Damaged(format!(
                        "its sha256 is {actual}, but {} was recorded when it was built",
                        want.trim()
                    )))
                }
            }
            Err(e) => Err(PassedOver::Damaged(format!("it is not readable ({e})"))),
        },
        (Ok(k), Ok(_)) => Err(PassedOver::OtherKey(format!(
            "it was built for {}, and this usegolib with this Go needs {key}",
            k.trim()
        ))),
        (Err(e), _) | (_, Err(e)) => Err(PassedOver::Damaged(format!(
            "its key or hash file is not readable ({e})"
        ))),
    })
}

/// Why a bundled tool is not used, in words.
enum PassedOver {
    /// Built for another usegolib or Go version: the ordinary case of a published wheel.
    OtherKey(String),
    /// Its bytes do not match their recorded hash, or a file of it cannot be read.
    Damaged(String),
}

/// Why [`Builder::run_group`] gave up.
enum RunError {
    Spawn(std::io::Error),
    Wait(std::io::Error),
    Cancelled,
}

/// The build tool, open: the very file whose hash was checked is the one that runs.
struct Tool {
    file: File,
    path: PathBuf,
}

impl Tool {
    /// Opens `exe` and hashes it from that open file; the hash must be the one in `sum`,
    /// written by the loader when it built the tool.
    fn open_verified(exe: &Path, sum: &Path) -> std::result::Result<Tool, String> {
        let want = fs::read_to_string(sum).map_err(|e| format!("no recorded hash ({e})"))?;
        let mut file = File::open(exe).map_err(|e| e.to_string())?;
        let actual = artifact::sha256_hex(&mut file).map_err(|e| e.to_string())?;
        if actual != want.trim() {
            return Err(format!(
                "its sha256 is {actual}, but {} was recorded when it was built",
                want.trim()
            ));
        }
        Ok(Tool {
            file,
            path: exe.to_path_buf(),
        })
    }

    /// A command that runs exactly the hashed content: on Linux through `/proc/self/fd/N` of
    /// the descriptor that was hashed, so replacing the file after the check changes nothing.
    fn command(&self) -> Command {
        let program = fd_path(&self.file).unwrap_or_else(|| self.path.clone());
        let mut c = Command::new(program);
        c.arg0(TOOL_NAME);
        c
    }
}

#[cfg(target_os = "linux")]
fn fd_path(file: &File) -> Option<PathBuf> {
    use std::os::fd::AsRawFd;
    Some(PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd())))
}

#[cfg(not(target_os = "linux"))]
fn fd_path(_file: &File) -> Option<PathBuf> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `module_path_of` over a go.mod with this text.
    fn module_of(gomod: &str) -> Result<String> {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("usegolib-gomod-{}-{n}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("go.mod"), gomod).unwrap();
        let got = module_path_of(&dir);
        fs::remove_dir_all(&dir).unwrap();
        got
    }

    #[test]
    fn go_mod_module_lines_as_go_reads_them() {
        for text in [
            "module example.com/m\n",
            "// module example.com/fake\nmodule example.com/m // the module\n",
            "module \"example.com/m\"\n\ngo 1.21\n",
            "module\t(\n\t// the path\n\texample.com/m\n)\n",
            "modulex example.com/fake\nmodule example.com/m\n",
        ] {
            assert_eq!(module_of(text).unwrap(), "example.com/m", "{text:?}");
        }
        assert!(matches!(module_of("go 1.21\n"), Err(Error::Build { .. })));
        assert!(matches!(
            module_of("module (\n)\n"),
            Err(Error::Build { .. })
        ));
        assert!(matches!(
            module_of("module ../escape\n"),
            Err(Error::InvalidModulePath { .. })
        ));
    }
}
