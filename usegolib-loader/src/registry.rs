//! The process-wide registry: one Go runtime per Go module, never unloaded.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use once_cell::sync::Lazy;
use parking_lot::Mutex;

use crate::module::GoModule;
use crate::{artifact, Error, Result};

/// Loaded modules by module path. Entries are never removed: a Go library cannot be unloaded.
static LOADED: Lazy<Mutex<HashMap<String, Arc<GoModule>>>> = Lazy::new(Default::default);

/// Refuses a local build of the module from another directory than the loaded one: the same
/// module path from two directories is two different modules for this process.
fn check_source(loaded: &GoModule, version: &str, source_dir: Option<&str>) -> Result<()> {
    let had = loaded.manifest().source_dir.as_deref();
    match (had, source_dir) {
        (Some(a), Some(b)) if loaded.version() == "local" && version == "local" && a != b => {
            Err(Error::VersionConflict {
                module: loaded.module().to_owned(),
                loaded: format!("local from {a}"),
                requested: format!("local from {b}"),
            })
        }
        _ => Ok(()),
    }
}

/// Refuses to import the local module in `dir` (its module path `module`) when the module is
/// loaded from another directory (see [`check_source`]).
pub(crate) fn check_local_dir(module: &str, dir: &Path) -> Result<()> {
    match loaded(module) {
        Some(m) => check_source(&m, "local", dir.to_str()),
        None => Ok(()),
    }
}

fn check_same(loaded: &GoModule, version: &str, sha256: Option<&str>) -> Result<()> {
    if loaded.version() != version {
        return Err(Error::VersionConflict {
            module: loaded.module().to_owned(),
            loaded: loaded.version().to_owned(),
            requested: version.to_owned(),
        });
    }
    if let Some(sha) = sha256 {
        if loaded.manifest().library.sha256 != sha {
            return Err(Error::RebuiltWhileLoaded {
                module: loaded.module().to_owned(),
                version: version.to_owned(),
                loaded_sha256: loaded.manifest().library.sha256.clone(),
            });
        }
    }
    Ok(())
}

/// Loads the artifact in `dir` (or returns the runtime already loaded for it).
///
/// # Errors
///
/// Every check of the artifact ([`Error::Tampered`], [`Error::AbiMismatch`], ...), and
/// [`Error::VersionConflict`] when another version of the module is loaded, or a local build of
/// it from another directory.
pub fn load_artifact(dir: &Path) -> Result<Arc<GoModule>> {
    let manifest = artifact::read_manifest(dir)?;
    let mut loaded = LOADED.lock();
    if let Some(m) = loaded.get(&manifest.module) {
        check_source(m, &manifest.version, manifest.source_dir.as_deref())?;
        check_same(m, &manifest.version, Some(&manifest.library.sha256))?;
        return Ok(m.clone());
    }
    let module = Arc::new(GoModule::open(dir)?);
    loaded.insert(module.module().to_owned(), module.clone());
    Ok(module)
}

/// Loads `module` from the artifact root `root`: the given version, else the version already
/// loaded in this process, else the only cached one.
///
/// # Errors
///
/// [`Error::VersionConflict`], [`Error::ArtifactNotFound`], [`Error::Ambiguous`], and the
/// errors of [`load_artifact`].
pub fn load(root: &Path, module: &str, version: Option<&str>) -> Result<Arc<GoModule>> {
    if let Some(m) = loaded(module) {
        match version {
            None => return Ok(m),
            Some(v) => {
                check_same(&m, v, None)?;
                return Ok(m);
            }
        }
    }
    load_artifact(&artifact::find_artifact(root, module, version)?)
}

/// The runtime loaded for `module`, if any.
pub fn loaded(module: &str) -> Option<Arc<GoModule>> {
    LOADED.lock().get(module).cloned()
}

/// Every module loaded in this process.
pub fn loaded_modules() -> Vec<Arc<GoModule>> {
    let mut v: Vec<_> = LOADED.lock().values().cloned().collect();
    v.sort_by(|a, b| a.module().cmp(b.module()));
    v
}
