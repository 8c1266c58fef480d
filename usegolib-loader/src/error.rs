use std::path::PathBuf;

/// How to name each of the cached candidates of [`Error::Ambiguous`] in Python: a version as
/// `usegolib.import_("module@version")`, a local build (`local from DIR`) by its directory.
fn name_one(module: &str, versions: &[String]) -> String {
    versions
        .iter()
        .map(|v| match v.strip_prefix("local from ") {
            Some(dir) => format!("usegolib.import_({dir:?})"),
            None => format!("usegolib.import_(\"{module}@{v}\")"),
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

/// Everything that can go wrong when finding, building, loading or calling a Go module.
///
/// Exhaustive within this workspace: the Python binding maps every variant by name, so a new
/// one is a compile error there until it has its exception.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No artifact for the module (and version) under the root.
    #[error("no artifact for {module}{} under {}: build it first (usegolib build)", version_suffix(.version), .root.display())]
    ArtifactNotFound {
        /// Module path.
        module: String,
        /// Requested version, if any.
        version: Option<String>,
        /// The artifact root searched.
        root: PathBuf,
    },
    /// Several versions are cached and none was asked for.
    #[error("several versions of {module} are cached ({}): name one, as {} (usegolib.import_(path, version=...) too; on the command line, the same TARGET)", .versions.join(", "), name_one(.module, .versions))]
    Ambiguous {
        /// Module path.
        module: String,
        /// The versions found.
        versions: Vec<String>,
    },
    /// Another version of the module is already loaded in this process.
    #[error("{module} {loaded} is already loaded in this process; cannot also load {requested} (one Go runtime per module per process: restart to switch versions)")]
    VersionConflict {
        /// Module path.
        module: String,
        /// The version already loaded.
        loaded: String,
        /// The version asked for.
        requested: String,
    },
    /// Standard-library packages asked for outside the standard-library runtime already loaded
    /// in this process (docs/adr/0023): that runtime cannot grow.
    #[error("standard-library package or instantiation {} is not in the standard-library runtime loaded in this process, which holds {holds}; all standard packages share one Go runtime, built with its set of packages before the first is loaded: in a new process, import it first, or name it with also=[...] at the first standard-library import", .packages.join(", "))]
    StdPackageNotLoaded {
        /// The packages (and generic instantiations) asked for that the loaded runtime lacks.
        packages: Vec<String>,
        /// What the loaded runtime holds, in words.
        holds: String,
    },
    /// A target names one version (`path@v1`) and the caller another (`version=v2`), or a local
    /// directory (always version `local`) was asked for with a version.
    #[error("{target}: {reason}")]
    VersionsDisagree {
        /// The target as given.
        target: String,
        /// Which two versions disagree, and how to fix it.
        reason: String,
    },
    /// A different build of the same module version is already loaded.
    #[error("a different build of {module} {version} is already loaded in this process (library sha256 {loaded_sha256}); restart the process to load the new one")]
    RebuiltWhileLoaded {
        /// Module path.
        module: String,
        /// Version.
        version: String,
        /// The hash of the loaded library.
        loaded_sha256: String,
    },
    /// The manifest is missing, unreadable or not a manifest this crate understands.
    #[error("bad manifest {}: {reason}", .path.display())]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The artifact speaks another ABI version.
    #[error("{} was built for ABI {found}, this usegolib speaks ABI {expected}: rebuild the artifact (usegolib build)", .path.display())]
    AbiMismatch {
        /// The manifest or library.
        path: PathBuf,
        /// Its ABI version.
        found: u32,
        /// Ours.
        expected: u32,
    },
    /// The artifact was built for another platform.
    #[error("{} was built for {found}, this process runs on {expected}: rebuild it on this platform", .path.display())]
    Platform {
        /// The manifest.
        path: PathBuf,
        /// Its GOOS/GOARCH.
        found: String,
        /// Ours.
        expected: String,
    },
    /// The library file's hash does not match its manifest: it was changed after the build.
    #[error("{} does not match its manifest (sha256 {actual}, manifest says {expected}): the file was changed after the build; rebuild the artifact", .path.display())]
    Tampered {
        /// The library file.
        path: PathBuf,
        /// The manifest's hash.
        expected: String,
        /// The file's hash.
        actual: String,
    },
    /// The library's own schema differs from its manifest's.
    #[error("{}: the manifest does not match the library's own schema: rebuild the artifact", .path.display())]
    SchemaMismatch {
        /// The library file.
        path: PathBuf,
    },
    /// The system's dynamic loader could not load the library (or it is a truncated ELF file,
    /// which the loader would crash on).
    #[error("cannot load {}: {reason}", .path.display())]
    Load {
        /// The library file.
        path: PathBuf,
        /// Why: the dynamic loader's own message (dlerror), naming the file.
        reason: String,
    },
    /// A required symbol is missing: not a usegolib bridge, or a broken one.
    #[error("{} has no symbol {symbol}: not a usegolib bridge library; rebuild it", .path.display())]
    MissingSymbol {
        /// The library file.
        path: PathBuf,
        /// The symbol.
        symbol: String,
    },
    /// File system trouble.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The Go toolchain is not installed or not runnable.
    #[error("the Go toolchain was not found ({detail}): install Go (https://go.dev/dl/) or set USEGOLIB_GO to the go binary; building artifacts needs it, loading built ones does not")]
    GoNotFound {
        /// What was tried.
        detail: String,
    },
    /// Building the artifact failed; `output` is what the Go toolchain printed.
    #[error("building {module} failed ({phase}):\n{output}")]
    Build {
        /// The module or directory.
        module: String,
        /// Which step failed.
        phase: String,
        /// The toolchain's output.
        output: String,
    },
    /// No such package or function.
    #[error("{what}{}", suggest(.suggestions))]
    UnknownSymbol {
        /// What was asked for.
        what: String,
        /// Close names.
        suggestions: Vec<String>,
    },
    /// The function exists but is not supported by the bridge.
    #[error("{function} is not supported: {reason}")]
    Skipped {
        /// Qualified function name.
        function: String,
        /// The recorded reason.
        reason: String,
    },
    /// Wrong number of arguments.
    #[error("{function} takes {expected} argument{}, got {got}", if *.expected == 1 { "" } else { "s" })]
    Arity {
        /// Qualified function name.
        function: String,
        /// How many it takes.
        expected: usize,
        /// How many were given.
        got: usize,
    },
    /// An argument does not fit its Go parameter.
    #[error("{function}: argument {index} ({param} {go_type}): {reason}")]
    BadArgument {
        /// Qualified function name.
        function: String,
        /// 0-based position.
        index: usize,
        /// The Go parameter name.
        param: String,
        /// The Go type.
        go_type: String,
        /// What was wrong.
        reason: String,
    },
    /// The Go function returned a non-nil error.
    #[error("{message}")]
    Go {
        /// Qualified function name.
        function: String,
        /// `err.Error()`.
        message: String,
        /// The error's dynamic Go type, e.g. `*fs.PathError`.
        go_type: String,
        /// Once error values are on ([`crate::GoModule::enable_error_values`]), the first
        /// node of the error's chain: the error itself with its handle and type key (docs/abi.md
        /// section 4.1; [`crate::GoModule::error_chain`] gives the whole chain on demand); else
        /// empty. [`crate::GoModule::call_function`] releases the handle before it returns; a
        /// caller of [`crate::GoModule::error_from_reader`] owns it.
        chain: Vec<ErrorNode>,
    },
    /// The Go function panicked.
    #[error("Go panic in {function}: {value}")]
    Panic {
        /// Qualified function name.
        function: String,
        /// The panic value, printed.
        value: String,
        /// The panic value's Go type.
        go_type: String,
        /// The Go stack at the panic.
        stack: String,
    },
    /// A result the wire cannot carry (docs/abi.md section 6.1): nested deeper than the depth
    /// limit (every cyclic value is), or something inside `any` with no wire form.
    #[error("{function}: the Go bridge cannot send result {index} back (bad_result): {message}")]
    BadResult {
        /// Qualified function name.
        function: String,
        /// The 0-based result.
        index: usize,
        /// Where in the value, and what is wrong with it.
        reason: String,
        /// The bridge's message.
        message: String,
    },
    /// A release (op 2) of a handle the bridge does not hold: unknown, or released already.
    #[error(
        "release of handle {id}: the Go bridge holds no such handle (unknown_handle): {message}"
    )]
    UnknownHandle {
        /// The handle id.
        id: u64,
        /// The bridge's message.
        message: String,
    },
    /// The bridge answered with another error (a protocol problem: malformed request, limit).
    #[error("{function}: the Go bridge refused the call ({kind}): {message}")]
    Bridge {
        /// Qualified function name.
        function: String,
        /// The error kind.
        kind: usegolib_abi::ErrorKind,
        /// The bridge's message.
        message: String,
    },
    /// A reply could not be decoded.
    #[error("{function}: bad reply from the Go bridge: {source}")]
    Reply {
        /// Qualified function name.
        function: String,
        /// The decode error.
        source: usegolib_abi::DecodeError,
    },
    /// This process was forked after this module's Go runtime was loaded: that runtime cannot run
    /// in the child (modules first loaded in the child itself work).
    #[error("{module}: this process is a fork() of the one that loaded this module's Go runtime, which does not survive a fork; start worker processes with multiprocessing's 'spawn' or 'forkserver' method, or import the module only in the child")]
    Forked {
        /// The module.
        module: String,
    },
    /// A module path or version that Go would not accept, found before it named a directory.
    #[error("malformed {what} {value:?}: {reason} (Go's rules: https://go.dev/ref/mod#go-mod-file-ident; usegolib checks them before the name becomes a directory in its cache)")]
    InvalidModulePath {
        /// "module path" or "version".
        what: String,
        /// The rejected text.
        value: String,
        /// The rule it breaks.
        reason: String,
    },
    /// A cache directory that could be used against this user: another user owns it or can write
    /// it, or a path would leave the cache root.
    #[error("refusing to use {}: {reason}; {fix}", .path.display())]
    InsecureCache {
        /// The directory or path.
        path: PathBuf,
        /// What is wrong.
        reason: String,
        /// How to fix it.
        fix: String,
    },
    /// The caller's cancellation check (Ctrl-C in Python) stopped a wait or a build; the build's
    /// processes were killed and nothing half-built was left.
    #[error("interrupted while {what}")]
    Cancelled {
        /// What was going on.
        what: String,
    },
    /// The artifact's library file is missing.
    #[error("the library {} of this artifact is missing: rebuild the artifact (import with build=\"missing\", or usegolib build --force)", .path.display())]
    LibraryMissing {
        /// The missing file.
        path: PathBuf,
    },
    /// The bridge produced no reply (its allocation failed).
    #[error("{function}: the Go bridge could not allocate its reply")]
    NoReply {
        /// Qualified function name.
        function: String,
    },
}

fn version_suffix(v: &Option<String>) -> String {
    v.as_ref().map(|v| format!("@{v}")).unwrap_or_default()
}

fn suggest(s: &[String]) -> String {
    if s.is_empty() {
        String::new()
    } else {
        format!(" (did you mean {}?)", s.join(", "))
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One error of a Go error's chain (docs/abi.md section 4.1): the errors its `Unwrap` methods
/// reach, depth first as `errors.Is` walks them, the error itself first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorNode {
    /// `err.Error()`.
    pub message: String,
    /// The dynamic Go type (`%T`).
    pub go_type: String,
    /// The schema key of its named type (`<import path>.<Name>`, a pointer's element type), or
    /// "" for an unnamed or predeclared type.
    pub key: String,
    /// A handle to the error value (op 4 and op 5 take it).
    pub handle: u64,
    /// The index of the error whose `Unwrap` gave this one; `None` for the first.
    pub parent: Option<usize>,
}

impl ErrorNode {
    /// Reads a chain (a list of `[message, type, key, handle, parent]`); anything else, or a
    /// parent that does not come before its node, gives `None`.
    pub fn parse_chain(v: &usegolib_abi::Value) -> Option<Vec<ErrorNode>> {
        use usegolib_abi::Value;
        let Value::List(nodes) = v else { return None };
        let text = |v: &Value| {
            v.as_str_bytes()
                .map(|b| String::from_utf8_lossy(b).into_owned())
        };
        let mut out = Vec::with_capacity(nodes.len());
        for (i, n) in nodes.iter().enumerate() {
            let Value::List(f) = n else { return None };
            let [message, go_type, key, Value::Handle(handle), parent] = f.as_slice() else {
                return None;
            };
            let parent = match parent.as_i64()? {
                -1 if i == 0 => None,
                p if p >= 0 && (p as usize) < i => Some(p as usize),
                _ => return None,
            };
            out.push(ErrorNode {
                message: text(message)?,
                go_type: text(go_type)?,
                key: text(key)?,
                handle: *handle,
                parent,
            });
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::Error;

    #[test]
    fn ambiguous_names_each_candidate_as_python_imports_it() {
        let e = Error::Ambiguous {
            module: "example.com/m".into(),
            versions: vec!["local from /src/a".into(), "v1.0.0".into()],
        };
        let msg = e.to_string();
        assert!(msg.contains(r#"usegolib.import_("/src/a")"#), "{msg}");
        assert!(
            msg.contains(r#"usegolib.import_("example.com/m@v1.0.0")"#),
            "{msg}"
        );
    }
}
