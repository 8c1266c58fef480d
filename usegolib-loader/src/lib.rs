//! Loads usegolib artifacts (Go libraries built with `-buildmode=c-shared` around a generated
//! bridge) into this process and calls their functions: the Rust API for embedders, and the core
//! under the Python binding.
//!
//! ```no_run
//! use usegolib_loader::{Builder, load_artifact, Value};
//! let root = usegolib_loader::default_artifact_root();
//! let dir = Builder::new().ensure_local("path/to/module".as_ref(), &root)?;
//! let m = load_artifact(&dir)?;
//! let sum = m.call("example.com/calc", "AddInt", &[Value::Int(1), Value::Int(2)])?;
//! assert_eq!(sum, Value::Int(3));
//! # Ok::<(), usegolib_loader::Error>(())
//! ```
//!
//! One Go runtime per Go module per process: [`load`] and [`load_artifact`] return the runtime
//! already loaded for a module, and refuse another version of it ([`Error::VersionConflict`]).
//! Libraries are never unloaded.

mod artifact;
pub mod buffers;
mod builder;
mod cache;
mod error;
mod ffi;
mod host;
mod manifest;
mod module;
mod registry;
mod resolve;
mod scalar;
mod stdlib;

pub use artifact::{
    artifact_dir, artifacts_of, cache_dir, cached_artifacts, cached_versions,
    default_artifact_root, escape_module_path, find_artifact, fingerprint, fingerprint_with,
    host_platform, library_intact, list_artifacts, local_artifact_dir, local_dir_key,
    local_replace_paths, read_manifest,
};
pub use builder::{
    builder_id, find_module_root, go_binary, go_toolchain, module_path_of, Builder, Cancel,
    Progress, BUILDER_ID_FILE,
};
pub use cache::{check_import_path, check_module_path, check_module_version, remove_artifact};
pub use error::{Error, ErrorNode, Result};
#[cfg(feature = "bench")]
pub use ffi::FloorI64;
pub use ffi::{
    reply_buffer_size, restore_go_signal_handlers, thread_allocations, CountingAllocator, RawReply,
    ScalarWords,
};
pub use host::{
    host_error, set_host_handler, HostHandler, ScalarCall, ScalarOutcome, MAX_SCALAR_WORDS,
};
pub use manifest::{
    check_schema, parse_manifest, CallbackInfo, FieldInfo, Function, FunctionKind, GenericInfo,
    ImplementInfo, InputDir, LibraryInfo, Manifest, MethodInfo, Package, Param, Schema, Skipped,
    SkippedPackage, TypeInfo, MANIFEST_VERSION, SCHEMA_VERSION,
};
pub use module::{error_from_reply, GoFunction, GoModule};
pub use registry::{load, load_artifact, loaded, loaded_modules};
pub use resolve::{import, locate, split_version, BuildPolicy, ImportOptions, Imported, Located};
pub use scalar::{
    result_str as scalar_result_str, ScalarArgs, ScalarLayout, ScalarPart, ScalarReply,
};
pub use stdlib::{
    is_std_path, std_artifact_dir, std_set, std_set_key, DEFAULT_STD_PACKAGES, STD_MODULE,
};
pub use usegolib_abi::{Value, WireType, OP_CANCEL, OP_RELEASE};

/// Up to three names from `candidates` close to `name` (same letters ignoring case, a prefix, or
/// a small edit distance), best first: for "did you mean" hints.
pub fn suggest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Vec<String> {
    let lower = name.to_lowercase();
    let mut scored: Vec<(usize, &str)> = candidates
        .filter_map(|c| {
            let cl = c.to_lowercase();
            let d = if cl == lower {
                0
            } else if cl.starts_with(&lower) || lower.starts_with(&cl) {
                1
            } else {
                1 + edit_distance(&lower, &cl)
            };
            (d <= 1 + name.len() / 3).then_some((d, c))
        })
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored
        .into_iter()
        .take(3)
        .map(|(_, c)| c.to_owned())
        .collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    #[test]
    fn suggestions() {
        let names = ["AddInt", "AddUint", "Echo", "EchoBytes"];
        assert_eq!(super::suggest("addint", names.iter().copied())[0], "AddInt");
        assert_eq!(
            super::suggest("Ech", names.iter().copied()),
            vec!["Echo", "EchoBytes"]
        );
        assert!(super::suggest("Zzzzzz", names.iter().copied()).is_empty());
    }
}
