//! From what a user names (a directory, a module or package path, `path@version`) to a loaded
//! module and package: the logic behind `usegolib.import_`, shared with Rust embedders.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::module::GoModule;
use crate::{artifact, builder, cache, registry, Builder, Error, Result};

/// When [`import`] may build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildPolicy {
    /// Never build: the artifact must exist.
    Never,
    /// Build when missing, or when a local module's sources changed (the default).
    Missing,
    /// Always rebuild (before anything of the module is loaded).
    Always,
}

/// Options of [`import`].
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The artifact root; `None` means [`artifact::default_artifact_root`].
    pub artifact_root: Option<PathBuf>,
    /// When to build.
    pub build: BuildPolicy,
    /// The builder (Go toolchain, progress).
    pub builder: Builder,
    /// More packages to bridge into the runtime of the target (docs/adr/0023): for a
    /// standard-library target, standard packages beyond the default set; for a module,
    /// standard-library and dependency packages whose types its API uses.
    pub also: Vec<String>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            artifact_root: None,
            build: BuildPolicy::Missing,
            builder: Builder::new(),
            also: Vec::new(),
        }
    }
}

/// What [`import`] found: the module's runtime and the package asked for.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The loaded module.
    pub module: Arc<GoModule>,
    /// The import path of the package asked for.
    pub package: String,
}

/// Splits `path@version`, checking it against an explicit `version`.
///
/// # Errors
///
/// [`Error::VersionsDisagree`] when both name a version and they differ.
///
/// An existing directory (such as `~/go/pkg/mod/example.com/m@v1.2.3`) is never split.
pub fn split_version(target: &str, version: Option<&str>) -> Result<(String, Option<String>)> {
    let is_dir = || expand_home(target).is_dir();
    let (path, inline) = match target.rsplit_once('@') {
        Some((p, v)) if !p.is_empty() && !v.is_empty() && !v.contains('/') && !is_dir() => {
            (p, Some(v))
        }
        _ => (target, None),
    };
    match (inline, version) {
        (Some(a), Some(b)) if a != b => Err(Error::VersionsDisagree {
            target: target.to_owned(),
            reason: format!("it names version {a} but version {b} was given: name one"),
        }),
        (Some(a), _) => Ok((path.to_owned(), Some(a.to_owned()))),
        (None, v) => Ok((path.to_owned(), v.map(str::to_owned))),
    }
}

fn looks_like_dir(target: &str) -> bool {
    target.starts_with('.')
        || target.starts_with('/')
        || target.starts_with('~')
        || (cfg!(windows) && target.contains('\\'))
        || Path::new(target).is_dir()
}

/// Where [`locate`] found (or built) a target's artifact.
#[derive(Debug, Clone)]
pub enum Located {
    /// The module is already loaded in this process.
    Loaded(Arc<GoModule>, String),
    /// The artifact directory, and the import path of the package asked for.
    Artifact(PathBuf, String),
}

/// Imports `target` (a local directory, a module path, a package path, or `path@version`).
///
/// With no version: the version already loaded in this process, else the single cached one, else
/// (for a module path, when building is allowed) `@latest` through the Go toolchain. A local
/// directory is built if missing or changed and reused otherwise without running `go`.
///
/// # Errors
///
/// [`Error::VersionConflict`], [`Error::Ambiguous`], [`Error::ArtifactNotFound`], the build and
/// load errors, and [`Error::UnknownSymbol`] when the module has no such package.
pub fn import(target: &str, version: Option<&str>, opts: &ImportOptions) -> Result<Imported> {
    match locate(target, version, opts)? {
        Located::Loaded(m, package) => package_of(m, &package),
        Located::Artifact(dir, package) => package_of(registry::load_artifact(&dir)?, &package),
    }
}

/// Finds the artifact of `target` as [`import`] does, building it when allowed, without
/// loading it (unless it is already loaded).
///
/// # Errors
///
/// As [`import`].
pub fn locate(target: &str, version: Option<&str>, opts: &ImportOptions) -> Result<Located> {
    let root = opts
        .artifact_root
        .clone()
        .unwrap_or_else(artifact::default_artifact_root);
    let located = locate_in(&root, target, version, opts)?;
    if let Located::Artifact(dir, _) = &located {
        // Nothing is loaded from a directory another user owns or can write.
        cache::trusted_dir(&root, dir)?;
    }
    Ok(located)
}

fn locate_in(
    root: &Path,
    target: &str,
    version: Option<&str>,
    opts: &ImportOptions,
) -> Result<Located> {
    let root = root.to_path_buf();
    let (path, version) = split_version(target, version)?;
    if looks_like_dir(&path) {
        return locate_local(&expand_home(&path), version.as_deref(), &root, opts);
    }
    let path = path.trim_end_matches('/').to_owned();
    cache::check_import_path(&path)?;
    // 1. A module already loaded in this process whose path is a prefix of the target.
    let loaded = registry::loaded_modules()
        .into_iter()
        .filter(|m| is_within(&path, m.module()))
        .max_by_key(|m| m.module().len());
    if let Some(m) = loaded {
        if let Some(v) = &version {
            if v != m.version() {
                return Err(Error::VersionConflict {
                    module: m.module().to_owned(),
                    loaded: m.version().to_owned(),
                    requested: v.clone(),
                });
            }
        }
        check_also(&m, opts)?;
        return Ok(Located::Loaded(m, path));
    }
    // A package of the standard library: its one runtime, no download (docs/adr/0023).
    if crate::stdlib::is_std_path(&path) {
        return crate::stdlib::locate_std(&root, &path, version.as_deref(), opts);
    }
    // 2. A cached artifact of the target or of a module containing it. Only a version that can
    // name a directory is looked up (a query such as `latest` or `master` goes to step 3).
    let exact = version
        .as_deref()
        .is_none_or(|v| v == "local" || cache::is_canonical_version(v));
    // The version of a cached artifact that must be rebuilt (built by another usegolib, or
    // damaged): the rebuild is of that version, not of whatever `@latest` is now.
    let mut rebuild: Option<String> = None;
    if opts.build != BuildPolicy::Always && exact {
        for module in prefixes(&path) {
            let found = match &version {
                Some(v) => artifact::find_artifact(&root, module, Some(v)).ok(),
                None => match artifact::find_artifact(&root, module, None) {
                    Ok(d) => Some(d),
                    Err(e @ Error::Ambiguous { .. }) => return Err(e),
                    Err(_) => None,
                },
            };
            let Some(dir) = found else { continue };
            if opts.build == BuildPolicy::Never {
                return Ok(Located::Artifact(dir, path.clone()));
            }
            let Ok(manifest) = artifact::read_manifest(&dir) else {
                // Unreadable: loading says what is wrong with it.
                return Ok(Located::Artifact(dir, path.clone()));
            };
            let why = if crate::builder::built_by_another_builder(&dir) {
                // Its generator, runtime or schema may differ from ours.
                "was built by another usegolib version"
            } else if !artifact::library_intact(&dir, &manifest) {
                "has a library that is missing or does not match its manifest"
            } else if !has_also(&dir, opts) {
                "lacks packages asked for with also"
            } else {
                return Ok(Located::Artifact(dir, path.clone()));
            };
            if manifest.local {
                // A local build reached by module path: rebuilt from its directory when that
                // is still there, else loaded as it is (loading checks it).
                match manifest.source_dir.as_deref().map(Path::new) {
                    Some(src) if src.join("go.mod").is_file() => {
                        opts.builder.say(&format!(
                            "the artifact in {} {why}; rebuilding it from {}",
                            dir.display(),
                            src.display()
                        ));
                        let out = opts.builder.ensure_local(src, &root)?;
                        return Ok(Located::Artifact(out, path.clone()));
                    }
                    _ => return Ok(Located::Artifact(dir, path.clone())),
                }
            }
            opts.builder.say(&format!(
                "the artifact in {} {why}; rebuilding {}@{}",
                dir.display(),
                manifest.module,
                manifest.version
            ));
            rebuild = Some(manifest.version);
            break;
        }
    }
    if opts.build == BuildPolicy::Never {
        return Err(Error::ArtifactNotFound {
            module: path,
            version,
            root,
        });
    }
    // 3. Download with the Go toolchain and build.
    let dl = download(
        &opts.builder,
        &path,
        rebuild.as_deref().or(version.as_deref()),
    )?;
    let out = artifact::artifact_dir(&root, &dl.path, &dl.version);
    opts.builder.ensure_built(
        &dl.dir,
        &dl.path,
        &dl.version,
        &root,
        &out,
        opts.build == BuildPolicy::Always,
    )?;
    Ok(Located::Artifact(out, path))
}

fn expand_home(p: &str) -> PathBuf {
    match p.strip_prefix("~/") {
        Some(rest) => std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default()
            .join(rest),
        None => PathBuf::from(p),
    }
}

fn locate_local(
    dir: &Path,
    version: Option<&str>,
    root: &Path,
    opts: &ImportOptions,
) -> Result<Located> {
    if let Some(v) = version.filter(|v| *v != "local") {
        return Err(Error::VersionsDisagree {
            target: dir.display().to_string(),
            reason: format!("a local directory's version is \"local\", not {v}"),
        });
    }
    let (mod_root, rel) = builder::find_module_root(dir)?;
    let module = builder::module_path_of(&mod_root)?;
    // Before any build: the module may already be loaded from another directory, or without
    // the packages `also` names.
    registry::check_local_dir(&module, &mod_root)?;
    if let Some(m) = registry::loaded(&module) {
        check_also(&m, opts)?;
    }
    let package = if rel.is_empty() {
        module.clone()
    } else {
        format!("{module}/{rel}")
    };
    let out = match opts.build {
        BuildPolicy::Never => {
            let out = artifact::local_artifact_dir(root, &module, &mod_root);
            if !out.join("manifest.json").is_file() {
                return Err(Error::ArtifactNotFound {
                    module: format!("{module} (from {})", mod_root.display()),
                    version: Some("local".into()),
                    root: root.to_path_buf(),
                });
            }
            out
        }
        BuildPolicy::Missing => opts.builder.ensure_local(&mod_root, root)?,
        BuildPolicy::Always => {
            let out = artifact::local_artifact_dir(root, &module, &mod_root);
            opts.builder
                .ensure_built(&mod_root, &module, "local", root, &out, true)?;
            out
        }
    };
    Ok(Located::Artifact(out, package))
}

/// Whether the artifact in `dir` was built with every package `opts.also` names.
fn has_also(dir: &Path, opts: &ImportOptions) -> bool {
    let built = builder::built_generics(dir);
    opts.also.iter().all(|p| {
        built
            .iter()
            .any(|b| b.strip_prefix(builder::ALSO) == Some(p.as_str()))
    })
}

/// Refuses `also` packages that the loaded runtime `m` lacks: a loaded runtime cannot grow.
fn check_also(m: &GoModule, opts: &ImportOptions) -> Result<()> {
    match opts.also.iter().find(|p| m.package(p).is_none()) {
        Some(p) => Err(Error::UnknownSymbol {
            what: format!(
                "package {p} is not bridged into {} {}, which is loaded already: name it with also at the module's first import (in a new process)",
                m.module(),
                m.version()
            ),
            suggestions: vec![],
        }),
        None => Ok(()),
    }
}

fn is_within(path: &str, module: &str) -> bool {
    path == module
        || path
            .strip_prefix(module)
            .is_some_and(|r| r.starts_with('/'))
}

/// `a/b/c`, `a/b`, `a`: the candidate module paths of a package path, longest first.
fn prefixes(path: &str) -> impl Iterator<Item = &str> {
    let mut cur = Some(path);
    std::iter::from_fn(move || {
        let out = cur?;
        cur = out.rsplit_once('/').map(|(p, _)| p);
        Some(out)
    })
}

fn package_of(module: Arc<GoModule>, package: &str) -> Result<Imported> {
    if module.package(package).is_some() {
        return Ok(Imported {
            module,
            package: package.to_owned(),
        });
    }
    if let Some(s) = module
        .schema()
        .skipped_packages
        .iter()
        .find(|s| s.path == package)
    {
        return Err(Error::UnknownSymbol {
            what: format!("package {package} is not available: {}", s.reason),
            suggestions: vec![],
        });
    }
    let names = module.packages().iter().map(|p| p.path.as_str());
    Err(Error::UnknownSymbol {
        what: format!(
            "module {} {} has no package {package}",
            module.module(),
            module.version()
        ),
        suggestions: crate::suggest(package, names),
    })
}

/// A module downloaded by `go mod download`.
#[derive(Debug)]
struct Downloaded {
    path: String,
    version: String,
    dir: PathBuf,
}

/// Runs `go mod download -json <path>@<version|latest>`, trimming path segments from the right
/// until a module is found (a package path names a module that contains it). Every candidate
/// that can be a module path is tried, whatever the previous one answered: a proxy's "not found"
/// for a package path, followed by an unreachable `direct` fallback, says nothing about the
/// module that contains it. The error names what was asked for and each answer.
fn download(b: &Builder, path: &str, version: Option<&str>) -> Result<Downloaded> {
    let query = version.unwrap_or("latest");
    let mut tried = Vec::new();
    let tmp = std::env::temp_dir();
    for candidate in module_candidates(path) {
        b.phase(&format!("download {candidate}@{query}"));
        let mut cmd = b.go_command();
        cmd.current_dir(&tmp)
            .args(["mod", "download", "-json"])
            .arg(format!("{candidate}@{query}"));
        let out = b.output(cmd, &format!("downloading {candidate}@{query}"));
        b.end_phase(out.as_ref().is_ok_and(|o| o.status.success()));
        let out = out?;
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        if let (Some(dir), Some(v)) = (json["Dir"].as_str(), json["Version"].as_str()) {
            let path = json["Path"].as_str().unwrap_or(candidate).to_owned();
            // What the toolchain (or a proxy) answered names directories of the cache next.
            cache::check_module_version(&path, v)?;
            return Ok(Downloaded {
                path,
                version: v.to_owned(),
                dir: PathBuf::from(dir),
            });
        }
        let err = json["Error"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| String::from_utf8_lossy(&out.stderr).into_owned());
        tried.push((candidate, err));
    }
    Err(Error::Build {
        module: format!("{path}@{query}"),
        phase: "download".into(),
        output: not_found_report(path, query, &tried),
    })
}

/// The module paths that may contain package `path`, longest first: a module path has at least
/// two elements (three on the hosts whose paths are `host/owner/repo`).
fn module_candidates(path: &str) -> impl Iterator<Item = &str> {
    let min = match path.split('/').next() {
        Some("github.com" | "gitlab.com" | "bitbucket.org") => 3,
        _ => 2,
    };
    prefixes(path).filter(move |p| p.split('/').count() >= min)
}

/// Why no module of `path@query` was found: each candidate tried and what the go command
/// answered for it, and a hint about GOPROXY only when an answer says the network failed.
fn not_found_report(path: &str, query: &str, tried: &[(&str, String)]) -> String {
    let mut out = format!("no module found for {path}@{query}; tried:");
    for (candidate, err) in tried {
        let first = err.lines().next().unwrap_or("").trim();
        let first = first
            .strip_prefix(&format!("{candidate}@{query}: "))
            .unwrap_or(first);
        out.push_str(&format!("\n  {candidate}@{query}: {first}"));
    }
    if tried.is_empty() {
        out.push_str(" nothing: it cannot be a module path or name a package of one");
    }
    let network = [
        "dial tcp",
        "i/o timeout",
        "no such host",
        "connection refused",
        "TLS handshake",
    ];
    if tried
        .iter()
        .any(|(_, e)| network.iter().any(|n| e.contains(n)))
    {
        out.push_str(&format!(
            "\n(a network error: go mod download uses GOPROXY={}; set GOPROXY, GOPRIVATE, GONOSUMDB or GOFLAGS as your network needs)",
            std::env::var("GOPROXY").unwrap_or_else(|_| "the default".into())
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_split_and_must_agree() {
        assert_eq!(
            split_version("a.com/m@v1.2.3", None).unwrap(),
            ("a.com/m".into(), Some("v1.2.3".into()))
        );
        assert_eq!(
            split_version("a.com/m", Some("v1")).unwrap(),
            ("a.com/m".into(), Some("v1".into()))
        );
        assert!(split_version("a.com/m@v1", Some("v2")).is_err());
        // A directory whose name has an `@` (a module cache copy) is a directory, not a version.
        let dir =
            std::env::temp_dir().join(format!("usegolib-split-{}/m@v1.2.3", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.to_str().unwrap();
        assert_eq!(
            split_version(target, None).unwrap(),
            (target.to_owned(), None)
        );
        std::fs::remove_dir_all(dir.parent().unwrap()).unwrap();
        assert_eq!(
            prefixes("a.com/m/sub").collect::<Vec<_>>(),
            ["a.com/m/sub", "a.com/m", "a.com"]
        );
        assert!(is_within("a.com/m/sub", "a.com/m") && !is_within("a.com/mx", "a.com/m"));
    }

    #[test]
    fn module_candidates_are_plausible_module_paths() {
        let c = |p| module_candidates(p).collect::<Vec<_>>();
        assert_eq!(
            c("golang.org/x/crypto/bcrypt"),
            [
                "golang.org/x/crypto/bcrypt",
                "golang.org/x/crypto",
                "golang.org/x"
            ]
        );
        assert_eq!(
            c("github.com/o/r/p"),
            ["github.com/o/r/p", "github.com/o/r"]
        );
        assert!(c("github.com/o").is_empty());
        assert_eq!(c("example.com/m"), ["example.com/m"]);
    }

    #[test]
    fn the_not_found_report_names_the_request_and_each_answer() {
        let tried = [
            (
                "a.com/m/p",
                "a.com/m/p@v1.0.0: reading file:///x/a.com/m/p/@v/v1.0.0.info: no such file".into(),
            ),
            (
                "a.com/m",
                "a.com/m@v1.0.0: unrecognized import path: dial tcp: no such host\nmore".into(),
            ),
        ];
        let r = not_found_report("a.com/m/p", "v1.0.0", &tried);
        assert!(r.starts_with("no module found for a.com/m/p@v1.0.0; tried:\n  a.com/m/p@v1.0.0: reading file:///x/a.com/m/p/@v/v1.0.0.info: no such file\n  a.com/m@v1.0.0: unrecognized import path: dial tcp: no such host\n(a network error"), "{r}");
        assert!(!not_found_report("a.com/m", "v1", &tried[..1]).contains("network"));
    }
}
