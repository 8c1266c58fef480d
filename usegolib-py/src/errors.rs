//! The Python exception hierarchy, and the one mapping from `usegolib_loader::Error`.
//!
//! The classes are made here; `usegolib.errors` re-exports them from `_native`, and so does
//! `usegolib`, their `__module__`: a traceback prints `usegolib.LoadError`, and `pickle` finds
//! each by that name.

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyTypeError};
use pyo3::prelude::*;
use usegolib_loader::Error;

create_exception!(
    usegolib,
    UsegolibError,
    PyException,
    "Base class of every usegolib error."
);
create_exception!(
    usegolib,
    GoError,
    UsegolibError,
    "A Go function returned a non-nil error. `.go_type` is its dynamic Go type."
);
create_exception!(
    usegolib,
    GoPanicError,
    UsegolibError,
    "A Go function panicked. `.value` is the panic value, `.stack` the Go stack."
);
create_exception!(
    usegolib,
    UnsupportedSignatureError,
    UsegolibError,
    "The Go function exists but its signature is not supported; `.reason` says why."
);
create_exception!(
    usegolib,
    ArtifactNotFoundError,
    UsegolibError,
    "No built artifact for the module (and version)."
);
create_exception!(
    usegolib,
    AmbiguousArtifactError,
    UsegolibError,
    "Several versions are cached and none was named."
);
create_exception!(
    usegolib,
    VersionConflictError,
    UsegolibError,
    "Two versions of one module at once: another version is already loaded in this process, or the target and `version` name different ones (a local directory's version is always \"local\")."
);
create_exception!(
    usegolib,
    LoadError,
    UsegolibError,
    "The artifact could not be loaded (tampered, other platform, bad manifest, ...)."
);
create_exception!(
    usegolib,
    AbiVersionError,
    LoadError,
    "The artifact speaks another ABI version: rebuild it."
);
create_exception!(
    usegolib,
    BuildError,
    UsegolibError,
    "Building the artifact failed; `.output` holds the Go toolchain's output."
);
create_exception!(
    usegolib,
    SymbolNotFoundError,
    UsegolibError,
    "No such Go package or function."
);
create_exception!(
    usegolib,
    ObjectClosedError,
    UsegolibError,
    "The Go object was closed: its handle cannot be used any more."
);

create_exception!(
    usegolib,
    BadResultError,
    UsegolibError,
    "A Go result the wire cannot carry (nested deeper than 64 levels, cyclic, or something inside `any` with no wire form); `.index` is the result, `.reason` says where and what."
);

create_exception!(
    usegolib,
    CacheError,
    UsegolibError,
    "The cache or artifact directory cannot be trusted (another user owns it or can write it, or a path would leave it); the message says how to fix it."
);

/// Registers the exception classes on the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("UsegolibError", py.get_type::<UsegolibError>())?;
    m.add("GoError", py.get_type::<GoError>())?;
    m.add("GoPanicError", py.get_type::<GoPanicError>())?;
    m.add(
        "UnsupportedSignatureError",
        py.get_type::<UnsupportedSignatureError>(),
    )?;
    m.add(
        "ArtifactNotFoundError",
        py.get_type::<ArtifactNotFoundError>(),
    )?;
    m.add(
        "AmbiguousArtifactError",
        py.get_type::<AmbiguousArtifactError>(),
    )?;
    m.add(
        "VersionConflictError",
        py.get_type::<VersionConflictError>(),
    )?;
    m.add("LoadError", py.get_type::<LoadError>())?;
    m.add("AbiVersionError", py.get_type::<AbiVersionError>())?;
    m.add("BuildError", py.get_type::<BuildError>())?;
    m.add("SymbolNotFoundError", py.get_type::<SymbolNotFoundError>())?;
    m.add("ObjectClosedError", py.get_type::<ObjectClosedError>())?;
    m.add("CacheError", py.get_type::<CacheError>())?;
    m.add("BadResultError", py.get_type::<BadResultError>())?;
    Ok(())
}

fn with_attrs(py: Python<'_>, err: PyErr, attrs: &[(&str, Py<PyAny>)]) -> PyErr {
    let value = err.value(py);
    for (k, v) in attrs {
        let _ = value.setattr(*k, v);
    }
    err
}

fn s(py: Python<'_>, v: &str) -> Py<PyAny> {
    pyo3::types::PyString::new(py, v).into_any().unbind()
}

/// Converts a loader error into the matching Python exception.
pub fn to_py(py: Python<'_>, e: Error) -> PyErr {
    let msg = e.to_string();
    match e {
        Error::ArtifactNotFound { .. } => ArtifactNotFoundError::new_err(msg),
        Error::Ambiguous { versions, .. } => {
            let v = pyo3::types::PyList::new(py, versions).map(|l| l.into_any().unbind());
            let err = AmbiguousArtifactError::new_err(msg);
            match v {
                Ok(v) => with_attrs(py, err, &[("versions", v)]),
                Err(_) => err,
            }
        }
        Error::VersionConflict { .. }
        | Error::RebuiltWhileLoaded { .. }
        | Error::VersionsDisagree { .. }
        | Error::StdPackageNotLoaded { .. } => VersionConflictError::new_err(msg),
        Error::AbiMismatch { .. } => AbiVersionError::new_err(msg),
        Error::Manifest { .. }
        | Error::Platform { .. }
        | Error::Tampered { .. }
        | Error::SchemaMismatch { .. }
        | Error::Load { .. }
        | Error::MissingSymbol { .. }
        | Error::LibraryMissing { .. }
        | Error::Io { .. } => LoadError::new_err(msg),
        Error::InsecureCache { .. } => CacheError::new_err(msg),
        Error::InvalidModulePath { .. } => with_attrs(
            py,
            BuildError::new_err(msg),
            &[("output", s(py, "")), ("phase", s(py, "resolve"))],
        ),
        Error::Cancelled { .. } => pyo3::exceptions::PyKeyboardInterrupt::new_err(msg),
        Error::GoNotFound { .. } => with_attrs(
            py,
            BuildError::new_err(msg),
            &[("output", s(py, "")), ("phase", s(py, "toolchain"))],
        ),
        Error::Build { output, phase, .. } => with_attrs(
            py,
            BuildError::new_err(msg),
            &[("output", s(py, &output)), ("phase", s(py, &phase))],
        ),
        Error::UnknownSymbol { .. } => SymbolNotFoundError::new_err(msg),
        Error::Skipped { reason, function } => with_attrs(
            py,
            UnsupportedSignatureError::new_err(msg),
            &[("reason", s(py, &reason)), ("function", s(py, &function))],
        ),
        Error::Arity { .. } | Error::BadArgument { .. } => PyTypeError::new_err(msg),
        Error::Go {
            message,
            go_type,
            function,
            ..
        } => with_attrs(
            py,
            GoError::new_err(message.clone()),
            &[
                ("message", s(py, &message)),
                ("go_type", s(py, &go_type)),
                ("function", s(py, &function)),
            ],
        ),
        Error::Panic {
            value,
            go_type,
            stack,
            function,
        } => with_attrs(
            py,
            GoPanicError::new_err(msg),
            &[
                ("value", s(py, &value)),
                ("go_type", s(py, &go_type)),
                ("stack", s(py, &stack)),
                ("function", s(py, &function)),
            ],
        ),
        Error::BadResult {
            function,
            index,
            reason,
            ..
        } => with_attrs(
            py,
            BadResultError::new_err(msg),
            &[
                ("function", s(py, &function)),
                (
                    "index",
                    index
                        .into_pyobject(py)
                        .map_or_else(|_| py.None(), |i| i.into_any().unbind()),
                ),
                ("reason", s(py, &reason)),
            ],
        ),
        Error::UnknownHandle { .. } => ObjectClosedError::new_err(msg),
        Error::Bridge { .. }
        | Error::Reply { .. }
        | Error::Forked { .. }
        | Error::NoReply { .. } => UsegolibError::new_err(msg),
    }
}
