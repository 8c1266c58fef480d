//! Frozen views of the schema for the Python package: parameters, results, record fields, types
//! and skipped functions, with their Python names, annotations and stub text computed here (the
//! Python side only assembles them).

use std::sync::Arc;

use pyo3::prelude::*;

use crate::convert::{variadic_elem, Converter, RecordInfo};
use crate::signature::{Param, Signature};

/// A parameter or result of a Go function.
#[pyclass(module = "usegolib._native", name = "GoParam", frozen)]
pub struct GoParam {
    sig: Arc<Signature>,
    index: usize,
    result: bool,
    variadic: bool,
}

impl GoParam {
    /// Parameter `index` (the last one `variadic` or not).
    pub fn param(sig: &Arc<Signature>, index: usize, variadic: bool) -> Self {
        GoParam {
            sig: sig.clone(),
            index,
            result: false,
            variadic,
        }
    }

    /// Result `index`.
    pub fn result(sig: &Arc<Signature>, index: usize) -> Self {
        GoParam {
            sig: sig.clone(),
            index,
            result: true,
            variadic: false,
        }
    }

    fn p(&self) -> &Param {
        let all = if self.result {
            &self.sig.results
        } else {
            &self.sig.params
        };
        &all[self.index]
    }

    /// Whether this is a variadic `...byte` parameter: one int per argument, one bytes value
    /// on the wire.
    fn variadic_bytes(&self) -> bool {
        self.variadic && matches!(self.p().conv, Converter::Bytes)
    }

    /// The converter of one value: the element's, for a variadic parameter.
    fn value_conv(&self) -> &Converter {
        match &self.p().conv {
            Converter::List(elem) if self.variadic => elem,
            c => c,
        }
    }
}

#[pymethods]
impl GoParam {
    /// The Python name (a Go name that is a Python keyword gets a trailing underscore).
    #[getter]
    fn name(&self) -> &str {
        &self.p().py_name
    }

    /// The Go name (`argN` when blank).
    #[getter]
    fn go_name(&self) -> &str {
        &self.p().go_name
    }

    /// The Go type as written.
    #[getter]
    fn go_type(&self) -> &str {
        &self.p().go_type
    }

    /// The wire type (docs/abi.md section 5).
    #[getter]
    fn wire(&self) -> &str {
        &self.p().wire
    }

    /// Whether this is the variadic parameter (its annotation and stub are an element's).
    #[getter]
    fn variadic(&self) -> bool {
        self.variadic
    }

    /// Whether the caller may leave the parameter out: a `context.Context` (docs/abi.md
    /// section 8.7), None by default.
    #[getter]
    fn optional(&self) -> bool {
        !self.result && matches!(self.p().conv, Converter::Context)
    }

    /// The Python type, as in `__signature__`.
    #[getter]
    fn annotation<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        if self.variadic_bytes() {
            return variadic_elem().annotation(py);
        }
        self.value_conv().annotation(py)
    }

    /// The annotation as .pyi text: what an argument accepts (`Sequence[int]`), or what a
    /// result is (`list[int]`).
    #[getter]
    fn stub(&self) -> String {
        if self.variadic_bytes() {
            return variadic_elem().stub(&self.sig.package, !self.result);
        }
        self.value_conv().stub(&self.sig.package, !self.result)
    }

    fn __repr__(&self) -> String {
        let p = self.p();
        format!("<GoParam {} (Go {} {})>", p.py_name, p.go_name, p.go_type)
    }
}

/// A field of a record type.
#[pyclass(module = "usegolib._native", name = "GoField", frozen)]
pub struct GoField {
    rec: Arc<RecordInfo>,
    index: usize,
}

impl GoField {
    pub fn new(rec: &Arc<RecordInfo>, index: usize) -> Self {
        GoField {
            rec: rec.clone(),
            index,
        }
    }

    fn f(&self) -> &crate::convert::Field {
        &self.rec.fields()[self.index]
    }
}

#[pymethods]
impl GoField {
    /// The Python attribute name: the wire key when it is an identifier, else the Go name; a
    /// Python keyword gets a trailing underscore.
    #[getter]
    fn name(&self) -> &str {
        &self.f().py_name
    }

    /// The key on the wire.
    #[getter]
    fn key(&self) -> &str {
        &self.f().key
    }

    /// The Go field name.
    #[getter]
    fn go_name(&self) -> &str {
        &self.f().go_name
    }

    /// The Go type as written.
    #[getter]
    fn go_type(&self) -> &str {
        &self.f().go_type
    }

    /// The wire type.
    #[getter]
    fn wire(&self) -> &str {
        &self.f().wire
    }

    /// Whether input must give it.
    #[getter]
    fn required(&self) -> bool {
        self.f().required
    }

    /// GoDoc text.
    #[getter]
    fn doc(&self) -> &str {
        &self.f().doc
    }

    /// Whether the field has a default (it is optional).
    #[getter]
    fn has_default(&self) -> bool {
        !self.f().required
    }

    /// The default of an optional field: None for what may be nil, else Go's zero value for a
    /// number, bool or string, else None.
    #[getter]
    fn default(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.f().conv.zero(py)
    }

    /// What makes the Go zero value of a field whose zero is a new mutable Python value (an
    /// omitted field of a record class, docs/abi.md section 8.2): `list` for a slice, `dict`
    /// for a map, the record's class for a struct (once registered); None when `default` is it.
    #[getter]
    fn default_factory(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.f().conv.zero_factory(py)
    }

    /// The Python type of the attribute.
    #[getter]
    fn annotation<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.f().conv.annotation(py)
    }

    /// The attribute's type as .pyi text.
    #[getter]
    fn stub(&self) -> String {
        self.f().conv.stub(&self.rec.package, false)
    }

    /// What the constructor's keyword argument accepts, as .pyi text.
    #[getter]
    fn stub_arg(&self) -> String {
        self.f().conv.stub(&self.rec.package, true)
    }

    fn __repr__(&self) -> String {
        let f = self.f();
        format!("<GoField {} (Go {} {})>", f.py_name, f.go_name, f.go_type)
    }
}

/// A record or Go object type of a package.
#[pyclass(module = "usegolib._native", name = "GoType", frozen, get_all)]
pub struct GoType {
    /// `<import path>.<Name>`.
    pub key: String,
    /// `record` or `handle`.
    pub kind: String,
    /// The Go type name.
    pub go_name: String,
    /// The Python name of the class.
    pub name: String,
    /// GoDoc text.
    pub doc: String,
    /// The function id of a Go object type's constructor.
    pub constructor: Option<u32>,
    /// A value type's wire type (docs/abi.md section 8.8), "" for the others.
    pub wire: String,
    /// A value type that is an enum (an integer type with constants).
    pub is_enum: bool,
}

#[pymethods]
impl GoType {
    fn __repr__(&self) -> String {
        format!("<GoType {} {}>", self.kind, self.key)
    }
}

/// An exported constant (docs/abi.md section 8.8): its value as the schema writes it, made a
/// Python value by the package (`_package.py`).
#[pyclass(module = "usegolib._native", name = "GoConst", frozen, get_all)]
pub struct GoConst {
    /// The Go name.
    pub go_name: String,
    /// The Python name.
    pub name: String,
    /// The Go type as written (`untyped int` for an untyped constant).
    pub go_type: String,
    /// `bool`, `int`, `float`, `complex` or `string`.
    pub kind: String,
    /// The exact value, as text.
    pub value: String,
    /// The wire type of its (default) type, "" when none.
    pub wire: String,
    /// The key of the value type whose class the constant is an instance of, if any.
    pub class_key: Option<String>,
    /// GoDoc text.
    pub doc: String,
}

#[pymethods]
impl GoConst {
    fn __repr__(&self) -> String {
        format!(
            "<GoConst {} {} = {}>",
            self.go_name, self.go_type, self.value
        )
    }
}

/// An exported function the bridge does not support.
#[pyclass(module = "usegolib._native", name = "GoSkipped", frozen, get_all)]
pub struct GoSkipped {
    /// The Go name.
    pub go_name: String,
    /// The Python name.
    pub name: String,
    /// The Go signature.
    pub signature: String,
    /// Why it is not supported.
    pub reason: String,
}

#[pymethods]
impl GoSkipped {
    fn __repr__(&self) -> String {
        format!("<GoSkipped {}: {}>", self.go_name, self.reason)
    }
}
