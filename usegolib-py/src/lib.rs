//! The Python binding of usegolib (`usegolib._native`). It stays thin: finding, building and
//! loading artifacts, and calling, live in `usegolib-loader`; this crate converts between Python
//! objects and the wire, maps errors, and releases the GIL around Go calls.
// Raw CPython FFI lives in `fast` only (the call entry: ADR 0025), allowed there alone.
#![deny(unsafe_code)]

mod args;
#[cfg(feature = "bench")]
mod bench;
mod convert;
mod ctx;
mod error_values;
mod errors;
mod fast;
mod func;
mod handle;
mod host;
mod memory;
mod module;
mod naming;
mod scalar;
mod signature;
mod views;
mod watch;

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use usegolib_loader::{BuildPolicy, Builder, ImportOptions, Located};

#[cfg(feature = "bench")]
use crate::bench::PyFloor;
use crate::errors::to_py;
use crate::func::{PyBoundMethod, PyGoFunction};
use crate::handle::{HandleToken, PyGoObject};
use crate::module::PyGoModule;
use crate::views::{GoConst, GoField, GoParam, GoSkipped, GoType};

/// Where the cancellation check keeps the exception a signal handler raised (KeyboardInterrupt
/// for Ctrl-C), to raise it once the loader has stopped.
type Interrupt = Arc<parking_lot::Mutex<Option<PyErr>>>;

fn options(
    py: Python<'_>,
    artifact_dir: Option<PathBuf>,
    build: &str,
    progress: Option<Py<PyAny>>,
    verbose: bool,
    generics: Vec<String>,
    also: Vec<String>,
) -> PyResult<(ImportOptions, Interrupt)> {
    let build = match build {
        "never" => BuildPolicy::Never,
        "missing" => BuildPolicy::Missing,
        "always" => BuildPolicy::Always,
        other => {
            return Err(PyValueError::new_err(format!(
                "build must be 'never', 'missing' or 'always', not {other:?}"
            )))
        }
    };
    // Ctrl-C while waiting for a build lock or during a build: the loader asks every 50 ms;
    // Python's signal handlers run here (on the main thread), and what they raise stops it. A
    // handler may also run inside the progress callback: what it raises there (anything that is
    // not an ordinary Exception, such as KeyboardInterrupt) is kept to stop the build too.
    let interrupt: Interrupt = Arc::default();
    let mut builder = Builder::new()
        .with_verbose(verbose)
        .with_generics(generics)
        .with_also(also.clone());
    if let Some(dir) = bundled_tool_dir(py) {
        builder = builder.with_bundled_tool(dir);
    }
    if let Some(cb) = progress {
        let cb = Arc::new(cb);
        let slot = interrupt.clone();
        builder = builder.with_progress(Arc::new(move |line: &str| {
            Python::attach(|py| {
                if let Err(e) = cb.call1(py, (line,)) {
                    if e.is_instance_of::<pyo3::exceptions::PyException>(py) {
                        e.write_unraisable(py, None);
                    } else {
                        *slot.lock() = Some(e);
                    }
                }
            })
        }));
    }
    let slot = interrupt.clone();
    builder = builder.with_cancel(Arc::new(move || {
        if slot.lock().is_some() {
            return true;
        }
        Python::attach(|py| match py.check_signals() {
            Ok(()) => false,
            Err(e) => {
                *slot.lock() = Some(e);
                true
            }
        })
    }));
    Ok((
        ImportOptions {
            artifact_root: artifact_dir,
            build,
            builder,
            also,
        },
        interrupt,
    ))
}

/// Where a platform wheel ships the prebuilt `usegolib-build` tool: `_bin/` of the installed
/// `usegolib` package (docs/adr/0028); none when `USEGOLIB_NO_BUNDLED_TOOL` is set and not empty
/// (the tool is then compiled, as when the bundled one does not match the user's Go).
fn bundled_tool_dir(py: Python<'_>) -> Option<PathBuf> {
    if std::env::var_os("USEGOLIB_NO_BUNDLED_TOOL").is_some_and(|v| !v.is_empty()) {
        return None;
    }
    let path = py.import("usegolib").ok()?.getattr("__path__").ok()?;
    let first = path.try_iter().ok()?.next()?.ok()?;
    Some(first.extract::<PathBuf>().ok()?.join("_bin"))
}

/// Maps a loader error; a cancelled build raises what the signal handler raised (else
/// `to_py`'s KeyboardInterrupt).
fn raise(py: Python<'_>, e: usegolib_loader::Error, interrupt: &Interrupt) -> PyErr {
    if let usegolib_loader::Error::Cancelled { .. } = e {
        if let Some(err) = interrupt.lock().take() {
            return err;
        }
    }
    to_py(py, e)
}

/// Imports a Go module or package: returns (GoModule, package import path).
#[pyfunction]
#[pyo3(signature = (target, version=None, artifact_dir=None, build="missing", progress=None, generics=Vec::new(), also=Vec::new(), verbose=false))]
#[allow(clippy::too_many_arguments)]
fn import_module(
    py: Python<'_>,
    target: &str,
    version: Option<&str>,
    artifact_dir: Option<PathBuf>,
    build: &str,
    progress: Option<Py<PyAny>>,
    generics: Vec<String>,
    also: Vec<String>,
    verbose: bool,
) -> PyResult<(PyGoModule, String)> {
    let (opts, interrupt) = options(py, artifact_dir, build, progress, verbose, generics, also)?;
    let imported = py
        .detach(|| usegolib_loader::import(target, version, &opts))
        .map_err(|e| raise(py, e, &interrupt))?;
    Ok((PyGoModule::new(imported.module), imported.package))
}

/// Builds (or finds up to date) the artifact of a target without loading it: returns
/// (artifact directory, package import path).
#[pyfunction]
#[pyo3(signature = (target, version=None, artifact_dir=None, force=false, progress=None, generics=Vec::new(), also=Vec::new(), verbose=false))]
#[allow(clippy::too_many_arguments)]
fn build_target(
    py: Python<'_>,
    target: &str,
    version: Option<&str>,
    artifact_dir: Option<PathBuf>,
    force: bool,
    progress: Option<Py<PyAny>>,
    generics: Vec<String>,
    also: Vec<String>,
    verbose: bool,
) -> PyResult<(String, String)> {
    let (opts, interrupt) = options(
        py,
        artifact_dir,
        if force { "always" } else { "missing" },
        progress,
        verbose,
        generics,
        also,
    )?;
    match py
        .detach(|| usegolib_loader::locate(target, version, &opts))
        .map_err(|e| raise(py, e, &interrupt))?
    {
        Located::Artifact(dir, package) => Ok((dir.display().to_string(), package)),
        Located::Loaded(m, package) => Ok((m.artifact_dir().display().to_string(), package)),
    }
}

/// Loads the artifact in a directory.
#[pyfunction]
fn load_artifact(py: Python<'_>, path: PathBuf) -> PyResult<PyGoModule> {
    let dir = if path.is_file() {
        path.parent().map(PathBuf::from).unwrap_or_default()
    } else {
        path
    };
    let m = py
        .detach(|| usegolib_loader::load_artifact(&dir))
        .map_err(|e| to_py(py, e))?;
    Ok(PyGoModule::new(m))
}

/// The default artifact root (`$USEGOLIB_CACHE_DIR/artifacts` or the platform cache).
#[pyfunction]
fn default_artifact_root() -> String {
    usegolib_loader::default_artifact_root()
        .display()
        .to_string()
}

/// Every artifact under a root: list of (directory, manifest JSON text or None).
#[pyfunction]
fn list_artifacts(root: PathBuf) -> Vec<(String, Option<String>)> {
    usegolib_loader::list_artifacts(&root)
        .into_iter()
        .map(|(d, m)| {
            (
                d.display().to_string(),
                (!m.is_null()).then(|| m.to_string()),
            )
        })
        .collect()
}

/// Removes one artifact directory under an artifact root (`usegolib rm`): only a directory
/// inside the root, under the artifact's build lock, waited for as a build waits (bounded, and
/// ended by Ctrl-C).
#[pyfunction]
fn remove_artifact(py: Python<'_>, root: PathBuf, dir: PathBuf) -> PyResult<()> {
    let (opts, interrupt) = options(
        py,
        Some(root.clone()),
        "never",
        None,
        false,
        Vec::new(),
        Vec::new(),
    )?;
    py.detach(|| opts.builder.remove_artifact(&root, &dir))
        .map_err(|e| raise(py, e, &interrupt))
}

/// The fingerprint of a local module's sources.
#[pyfunction]
fn fingerprint(py: Python<'_>, dir: PathBuf) -> PyResult<String> {
    usegolib_loader::fingerprint(&dir).map_err(|e| to_py(py, e))
}

/// This process's platform as Go names it: (GOOS, GOARCH).
#[pyfunction]
fn host_platform() -> (&'static str, &'static str) {
    usegolib_loader::host_platform()
}

/// Puts the Go runtimes' fault handlers back on top (after `faulthandler.enable()`, say);
/// returns how many were restored.
#[pyfunction]
fn restore_go_signal_handlers() -> usize {
    usegolib_loader::restore_go_signal_handlers()
}

/// Splits `path@version` by the loader's rule, checking it against an explicit version:
/// (path, version or None).
#[pyfunction]
#[pyo3(signature = (target, version=None))]
fn split_version(
    py: Python<'_>,
    target: &str,
    version: Option<&str>,
) -> PyResult<(String, Option<String>)> {
    usegolib_loader::split_version(target, version).map_err(|e| to_py(py, e))
}

/// The Go module a local directory belongs to: (module path as its go.mod declares it, module
/// root with symbolic links resolved, as manifests record it).
#[pyfunction]
fn local_module(py: Python<'_>, dir: PathBuf) -> PyResult<(String, String)> {
    let (root, _) = usegolib_loader::find_module_root(&dir).map_err(|e| to_py(py, e))?;
    let module = usegolib_loader::module_path_of(&root).map_err(|e| to_py(py, e))?;
    Ok((module, root.display().to_string()))
}

/// The cached artifacts of a module under a root (any platform), as (label, directory): see
/// `usegolib_loader::artifacts_of`.
#[pyfunction]
#[pyo3(signature = (root, module, version=None, source_dir=None))]
fn artifacts_of(
    root: PathBuf,
    module: &str,
    version: Option<&str>,
    source_dir: Option<PathBuf>,
) -> Vec<(String, String)> {
    usegolib_loader::artifacts_of(&root, module, version, source_dir.as_deref())
        .into_iter()
        .map(|(label, d)| (label, d.display().to_string()))
        .collect()
}

/// The Go toolchain builds use: (go binary, GOTOOLCHAIN, `go version` output). Raises
/// BuildError (phase "toolchain") when the binary cannot be run.
#[pyfunction]
fn go_toolchain(py: Python<'_>) -> PyResult<(String, String, String)> {
    let go = usegolib_loader::go_binary();
    let version = py
        .detach(|| Builder::new().go_version_line())
        .map_err(|e| to_py(py, e))?;
    Ok((
        go.display().to_string(),
        usegolib_loader::go_toolchain(),
        version,
    ))
}

/// This usegolib's builder id and the file of an artifact directory that records the builder
/// that made it: (id, file name). `usegolib prune` removes artifacts of other builders.
#[pyfunction]
fn builder_id() -> (&'static str, &'static str) {
    (
        usegolib_loader::builder_id(),
        usegolib_loader::BUILDER_ID_FILE,
    )
}

/// Builds the `usegolib-build` tool for the Go on PATH (or `$USEGOLIB_GO`) into `dir`, with its
/// `.sha256` and `.key` files: the prebuilt tool a platform wheel ships in `usegolib/_bin/`
/// (scripts/setup-venv.sh bundles it so; docs/adr/0028). Raises BuildError when Go cannot build it.
#[pyfunction]
fn bundle_tool(py: Python<'_>, dir: PathBuf) -> PyResult<()> {
    py.detach(|| Builder::new().bundle_tool(&dir))
        .map_err(|e| to_py(py, e))
}

/// Modules loaded in this process.
#[pyfunction]
fn loaded_modules() -> Vec<PyGoModule> {
    usegolib_loader::loaded_modules()
        .into_iter()
        .map(PyGoModule::new)
        .collect()
}

/// The native module (public for tests that embed CPython: `usegolib-py/tests/`).
#[pymodule]
pub fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("ABI_VERSION", usegolib_abi::ABI_VERSION)?;
    m.add(
        "DEFAULT_STD_PACKAGES",
        pyo3::types::PyTuple::new(m.py(), usegolib_loader::DEFAULT_STD_PACKAGES)?,
    )?;
    m.add_class::<PyGoModule>()?;
    m.add_class::<PyGoFunction>()?;
    #[cfg(feature = "bench")]
    m.add_class::<PyFloor>()?;
    m.add_class::<PyBoundMethod>()?;
    fast::register(m)?;
    fast::register_record_base(m)?;
    m.add_class::<PyGoObject>()?;
    m.add_class::<HandleToken>()?;
    m.add_class::<GoParam>()?;
    m.add_class::<GoField>()?;
    m.add_class::<GoType>()?;
    m.add_class::<GoConst>()?;
    m.add_class::<GoSkipped>()?;
    #[cfg(feature = "bench")]
    m.add_function(wrap_pyfunction!(bench::_bench_floor, m)?)?;
    #[cfg(feature = "bench")]
    m.add_function(wrap_pyfunction!(bench::_bench_detach, m)?)?;
    #[cfg(feature = "bench")]
    m.add_function(wrap_pyfunction!(bench::_bench_floor_address, m)?)?;
    crate::scalar::init();
    m.add_function(wrap_pyfunction!(scalar::_scalar_calls, m)?)?;
    m.add_function(wrap_pyfunction!(fast::record_meta, m)?)?;
    m.add_function(wrap_pyfunction!(fast::_record_vectorcall, m)?)?;
    m.add_function(wrap_pyfunction!(fast::_record_vector_made, m)?)?;
    m.add_function(wrap_pyfunction!(import_module, m)?)?;
    m.add_function(wrap_pyfunction!(build_target, m)?)?;
    m.add_function(wrap_pyfunction!(bundle_tool, m)?)?;
    m.add_function(wrap_pyfunction!(load_artifact, m)?)?;
    m.add_function(wrap_pyfunction!(default_artifact_root, m)?)?;
    m.add_function(wrap_pyfunction!(list_artifacts, m)?)?;
    m.add_function(wrap_pyfunction!(remove_artifact, m)?)?;
    m.add_function(wrap_pyfunction!(fingerprint, m)?)?;
    m.add_function(wrap_pyfunction!(host_platform, m)?)?;
    m.add_function(wrap_pyfunction!(loaded_modules, m)?)?;
    m.add_function(wrap_pyfunction!(restore_go_signal_handlers, m)?)?;
    m.add_function(wrap_pyfunction!(split_version, m)?)?;
    m.add_function(wrap_pyfunction!(local_module, m)?)?;
    m.add_function(wrap_pyfunction!(artifacts_of, m)?)?;
    m.add_function(wrap_pyfunction!(go_toolchain, m)?)?;
    m.add_function(wrap_pyfunction!(builder_id, m)?)?;
    m.add_function(wrap_pyfunction!(host::host_objects_live, m)?)?;
    m.add_function(wrap_pyfunction!(host::host_close, m)?)?;
    m.add_function(wrap_pyfunction!(memory::_thread_buffers, m)?)?;
    // Python callables for Go func parameters: this process's host handler (host.rs).
    usegolib_loader::set_host_handler(Box::new(host::PyHost));
    errors::register(m)?;
    error_values::register(m)?;
    Ok(())
}
