//! `GoModule`: a loaded Go module as Python sees it: its packages, functions, types and the
//! registration of the Python classes made for its types.

use std::sync::Arc;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use crate::ctx::{ctx_for, ModuleCtx};
use crate::errors::to_py;
use crate::func::PyGoFunction;
use crate::naming::py_name;
use crate::views::{GoConst, GoField, GoSkipped, GoType};

/// A Go module loaded in this process (one Go runtime).
#[pyclass(module = "usegolib._native", name = "GoModule", frozen)]
pub struct PyGoModule {
    pub ctx: Arc<ModuleCtx>,
}

impl PyGoModule {
    pub fn new(module: Arc<usegolib_loader::GoModule>) -> Self {
        PyGoModule {
            ctx: ctx_for(module),
        }
    }

    /// Function `id` as Python sees it: a `GoCallable` standing for its `GoFunction` (fast.rs).
    fn callable(&self, py: Python<'_>, id: usize) -> PyResult<Py<PyAny>> {
        crate::fast::wrap(py, Py::new(py, PyGoFunction::new(self.ctx.clone(), id))?)
    }
}

#[pymethods]
impl PyGoModule {
    /// The module path.
    #[getter]
    fn path(&self) -> String {
        self.ctx.module.module().to_owned()
    }

    /// The version (`local` for a local directory).
    #[getter]
    fn version(&self) -> String {
        self.ctx.module.version().to_owned()
    }

    /// The artifact directory.
    #[getter]
    fn artifact_dir(&self) -> String {
        self.ctx.module.artifact_dir().display().to_string()
    }

    /// The manifest, as JSON text.
    fn manifest_json(&self) -> PyResult<String> {
        serde_json::to_string(self.ctx.module.manifest())
            .map_err(|e| crate::errors::UsegolibError::new_err(e.to_string()))
    }

    /// Import paths of the packages.
    fn packages(&self) -> Vec<String> {
        self.ctx
            .module
            .packages()
            .iter()
            .map(|p| p.path.clone())
            .collect()
    }

    /// The functions of a package (plain functions, methods, variable getters, instantiations),
    /// as `GoFunction` objects.
    fn functions(&self, py: Python<'_>, package: &str) -> PyResult<Vec<Py<PyAny>>> {
        self.ctx
            .module
            .functions()
            .iter()
            .filter(|f| f.package == package)
            .map(|f| self.callable(py, f.id() as usize))
            .collect()
    }

    /// The function with this id.
    fn function_by_id(&self, py: Python<'_>, id: usize) -> PyResult<Py<PyAny>> {
        match self.ctx.module.functions().get(id) {
            Some(_) => self.callable(py, id),
            None => Err(PyTypeError::new_err(format!("no function #{id}"))),
        }
    }

    /// The skipped functions of a package (`GoSkipped`).
    fn skipped(&self, package: &str) -> Vec<GoSkipped> {
        self.ctx
            .module
            .package(package)
            .map(|p| {
                p.skipped
                    .iter()
                    .map(|s| GoSkipped {
                        go_name: s.name.clone(),
                        name: py_name(&s.name),
                        signature: s.signature.clone(),
                        reason: s.reason.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The package's documentation.
    fn package_doc(&self, package: &str) -> String {
        self.ctx
            .module
            .package(package)
            .map(|p| p.doc.clone())
            .unwrap_or_default()
    }

    /// The record and Go object types of a package (`GoType`).
    fn types(&self, package: &str) -> Vec<GoType> {
        self.ctx
            .module
            .schema()
            .types
            .iter()
            .filter(|(_, t)| t.package == package)
            .map(|(k, t)| GoType {
                key: k.clone(),
                kind: t.kind.clone(),
                go_name: t.name.clone(),
                name: py_name(&t.name),
                doc: t.doc.clone(),
                constructor: t.constructor,
                wire: t.wire.clone().unwrap_or_default(),
                is_enum: t.enum_,
            })
            .collect()
    }

    /// The exported constants of a package (`GoConst`), sorted by name.
    fn consts(&self, package: &str) -> Vec<GoConst> {
        self.ctx
            .module
            .package(package)
            .map(|p| {
                p.consts
                    .iter()
                    .map(|k| GoConst {
                        go_name: k.name.clone(),
                        name: py_name(&k.name),
                        go_type: k.go.clone(),
                        kind: k.kind.clone(),
                        value: k.value.clone(),
                        wire: k.wire.clone(),
                        class_key: k.class.clone(),
                        doc: k.doc.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The fields of a record type, or of a Go object type's value form (`GoField`).
    fn fields(&self, key: &str) -> Vec<GoField> {
        match self.ctx.types.record(key) {
            Some(rec) => (0..rec.fields().len())
                .map(|i| GoField::new(rec, i))
                .collect(),
            None => Vec::new(),
        }
    }

    /// Releases a handle id directly (op 2), for tests and tools: raises when Go does not know
    /// the id (already released, or never handed out).
    fn _release(&self, py: Python<'_>, id: u64) -> PyResult<()> {
        let module = &self.ctx.module;
        py.detach(|| module.release(id)).map_err(|e| to_py(py, e))
    }

    /// Registers the Python class made for a record or handle type.
    #[pyo3(signature = (key, cls, record=false))]
    fn register_class(
        &self,
        py: Python<'_>,
        key: &str,
        cls: Py<PyAny>,
        record: bool,
    ) -> PyResult<()> {
        self.ctx.register(py, key, cls, record)
    }

    /// Looks a function up: raises UnsupportedSignatureError (skipped) or SymbolNotFoundError.
    fn function(&self, py: Python<'_>, package: &str, name: &str) -> PyResult<Py<PyAny>> {
        let f = self
            .ctx
            .module
            .function(package, name)
            .map_err(|e| to_py(py, e))?;
        self.callable(py, f.id() as usize)
    }

    /// Close names among a package's functions, as Python names.
    fn suggest(&self, package: &str, name: &str) -> Vec<String> {
        match self.ctx.module.package(package) {
            Some(p) => usegolib_loader::suggest(
                name,
                p.functions
                    .iter()
                    .map(|f| f.name.as_str())
                    .chain(p.skipped.iter().map(|s| s.name.as_str())),
            )
            .iter()
            .map(|s| py_name(s))
            .collect(),
            None => Vec::new(),
        }
    }

    fn __repr__(&self) -> String {
        let m = self.ctx.module.manifest();
        format!(
            "<usegolib module '{}' {} ({}/{}, {})>",
            m.module, m.version, m.goos, m.goarch, m.go_version
        )
    }
}
