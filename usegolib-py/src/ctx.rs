//! Per-module state of the binding: each function's prepared converters and each record and Go
//! object type's prepared info (with the Python class the package registers for it), made once
//! per module.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;
use pyo3::prelude::*;
use usegolib_loader::GoModule;

use crate::convert::Types;
use crate::signature::Signature;

/// One Go module as the binding sees it: shared by every `GoModule`/`GoFunction` object of it.
pub struct ModuleCtx {
    pub module: Arc<GoModule>,
    /// Record and Go object types, prepared.
    pub types: Types,
    /// Every function's signature with its converters, by function id.
    pub functions: Vec<Arc<Signature>>,
}

impl ModuleCtx {
    fn new(module: Arc<GoModule>) -> ModuleCtx {
        // Go error values with their chains (docs/abi.md section 4.1): every GoError holds its
        // Go value and releases it when dropped. A library that cannot turn them on (a fork)
        // fails its calls anyway.
        let _ = module.enable_error_values();
        let types = Types::new(&module);
        let functions = module
            .functions()
            .iter()
            .map(|f| {
                let mut sig = Signature::new(&types, f);
                let method = sig.has_receiver();
                sig.scalar = crate::scalar::ScalarSig::new(
                    module.scalar_layout(f),
                    method,
                    &sig.params,
                    &sig.results,
                );
                Arc::new(sig)
            })
            .collect();
        ModuleCtx {
            module,
            types,
            functions,
        }
    }

    /// Registers a Python class: a Go object class under `key`, or a record class (under `key`,
    /// or `@key` for the record form of a Go object type).
    pub fn register(
        &self,
        py: Python<'_>,
        key: &str,
        cls: Py<PyAny>,
        record: bool,
    ) -> PyResult<()> {
        if record {
            let plain = key.strip_prefix('@').unwrap_or(key);
            if let Some(rec) = self.types.record(plain) {
                rec.set_class(py, cls)?;
            }
        } else if let Some(obj) = self.types.object(key) {
            obj.set_class(cls);
        } else if let Some(v) = self.types.value(key) {
            v.set_class(cls);
        }
        Ok(())
    }
}

static CTXS: OnceLock<Mutex<HashMap<String, Arc<ModuleCtx>>>> = OnceLock::new();

/// The context of a loaded module (one per module per process, like the runtime).
pub fn ctx_for(module: Arc<GoModule>) -> Arc<ModuleCtx> {
    let mut map = CTXS.get_or_init(Default::default).lock();
    map.entry(module.module().to_owned())
        .or_insert_with(|| Arc::new(ModuleCtx::new(module.clone())))
        .clone()
}
