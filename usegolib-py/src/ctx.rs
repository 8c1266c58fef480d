//! Per-module state the conversions need beyond the schema: the Python classes made for the
//! module's record and handle types, and the Python helpers for time values.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use parking_lot::{Mutex, RwLock};
use pyo3::prelude::*;
use usegolib_loader::GoModule;

/// One Go module as the binding sees it: shared by every `GoModule`/`GoFunction` object of it.
pub struct ModuleCtx {
    pub module: Arc<GoModule>,
    /// Python classes by type key (records and handles), registered by the Python layer.
    pub classes: RwLock<HashMap<String, Py<PyAny>>>,
    /// Python attribute names of record fields, by type key (in field order).
    pub pynames: HashMap<String, Vec<String>>,
    /// Record classes with their attribute names as Python strings, by type key.
    pub records: RwLock<HashMap<String, Arc<RecordCache>>>,
}

/// What decoding and encoding a record needs from Python, made once per type.
pub struct RecordCache {
    /// The class.
    pub cls: Py<PyAny>,
    /// The attribute name of each field, in field order.
    pub names: Vec<Py<pyo3::types::PyString>>,
}

impl ModuleCtx {
    /// The record class of a type key, if one was registered.
    pub fn record_cache(&self, key: &str) -> Option<Arc<RecordCache>> {
        self.records.read().get(key).cloned()
    }

    /// Registers a Python class: a Go object class under `key`, or a record class (under `key`,
    /// or `@key` for the record form of a Go object type).
    pub fn register(&self, py: Python<'_>, key: String, cls: Py<PyAny>, record: bool) {
        if record {
            let plain = key.strip_prefix('@').unwrap_or(&key).to_owned();
            let names = self
                .pynames
                .get(&plain)
                .map(|ns| {
                    ns.iter()
                        .map(|n| pyo3::types::PyString::intern(py, n).unbind())
                        .collect()
                })
                .unwrap_or_default();
            let cache = Arc::new(RecordCache {
                cls: cls.clone_ref(py),
                names,
            });
            let mut records = self.records.write();
            // The record form of a Go object type wins over anything else under the plain key.
            if key.starts_with('@') || !records.contains_key(&plain) {
                records.insert(plain, cache);
            }
        }
        self.classes.write().insert(key, cls);
    }
}

static CTXS: OnceLock<Mutex<HashMap<String, Arc<ModuleCtx>>>> = OnceLock::new();

/// The context of a loaded module (one per module per process, like the runtime).
pub fn ctx_for(module: Arc<GoModule>) -> Arc<ModuleCtx> {
    let mut map = CTXS.get_or_init(Default::default).lock();
    map.entry(module.module().to_owned())
        .or_insert_with(|| {
            let pynames = module
                .records()
                .iter()
                .map(|(k, r)| {
                    (
                        k.clone(),
                        r.fields
                            .iter()
                            .map(|f| py_field_name(&f.key, &f.name))
                            .collect(),
                    )
                })
                .collect();
            Arc::new(ModuleCtx {
                module: module.clone(),
                classes: RwLock::new(HashMap::new()),
                pynames,
                records: RwLock::new(HashMap::new()),
            })
        })
        .clone()
}

/// The Python attribute name of a record field: its wire key when that is a usable identifier,
/// else its Go name.
pub fn py_field_name(key: &str, go_name: &str) -> String {
    const KEYWORDS: &[&str] = &[
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
        "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
        "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return",
        "try", "while", "with", "yield",
    ];
    let ident = !key.is_empty()
        && key
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !key.starts_with("__");
    if ident && !KEYWORDS.contains(&key) {
        key.to_owned()
    } else {
        go_name.to_owned()
    }
}

/// Python callables that convert time values (set once by `usegolib/_types.py`).
pub struct Helpers {
    /// datetime -> (unix_seconds, nanoseconds, utc_offset_seconds)
    pub time_to_wire: Py<PyAny>,
    /// (unix_seconds, nanoseconds, utc_offset_seconds) -> GoTime
    pub time_from_wire: Py<PyAny>,
    /// timedelta -> nanoseconds
    pub duration_to_wire: Py<PyAny>,
    /// nanoseconds -> GoDuration
    pub duration_from_wire: Py<PyAny>,
}

pub static HELPERS: OnceLock<Helpers> = OnceLock::new();

/// Registers the time helpers (called once by the Python package).
#[pyfunction]
pub fn _set_helpers(
    time_to_wire: Py<PyAny>,
    time_from_wire: Py<PyAny>,
    duration_to_wire: Py<PyAny>,
    duration_from_wire: Py<PyAny>,
) {
    let _ = HELPERS.set(Helpers {
        time_to_wire,
        time_from_wire,
        duration_to_wire,
        duration_from_wire,
    });
}

pub fn helpers() -> PyResult<&'static Helpers> {
    HELPERS.get().ok_or_else(|| {
        pyo3::exceptions::PyRuntimeError::new_err(
            "usegolib time helpers are not registered (import usegolib)",
        )
    })
}
