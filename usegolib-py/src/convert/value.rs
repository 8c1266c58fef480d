//! A value type's class (docs/abi.md section 8.8): a Go named type over a basic, slice, array
//! or map type with methods, or an integer enum. Its values travel as the underlying type's
//! wire type; a result (or a parameter's value shown back) of that type itself is an instance
//! of the class the package registered (an `int` subclass, a `list` subclass, an `IntEnum`),
//! made from the plain decoded value. Arguments are written as the underlying value, so a plain
//! `int` or `list` is accepted as before.

use std::sync::{Arc, OnceLock};

use pyo3::prelude::*;
use usegolib_abi::Reader;
use usegolib_loader::GoModule;

use super::Converter;

/// A value type, prepared once per module.
pub struct ValueInfo {
    /// `<import path>.<Name>`.
    pub key: Arc<str>,
    /// The Go type name.
    pub name: String,
    /// The package's import path.
    pub package: String,
    /// The class the Python package made for it.
    class: OnceLock<Py<PyAny>>,
}

impl ValueInfo {
    pub fn new(key: &str, name: &str, package: &str) -> ValueInfo {
        ValueInfo {
            key: key.into(),
            name: name.to_owned(),
            package: package.to_owned(),
            class: OnceLock::new(),
        }
    }

    /// Registers the Python class made for this type (the first registration stays).
    pub fn set_class(&self, cls: Py<PyAny>) {
        let _ = self.class.set(cls);
    }
}

/// Reads the underlying value and makes it an instance of the class (the plain value while no
/// class is registered).
pub fn decode(
    py: Python<'_>,
    r: &mut Reader<'_>,
    info: &ValueInfo,
    inner: &Converter,
    module: &Arc<GoModule>,
) -> PyResult<Py<PyAny>> {
    let v = inner.decode(py, r, module)?;
    match info.class.get() {
        Some(cls) => Ok(cls.bind(py).call1((v,))?.unbind()),
        None => Ok(v),
    }
}

/// The class, or the underlying type's annotation before the class is registered.
pub fn annotation<'py>(
    py: Python<'py>,
    info: &ValueInfo,
    inner: &Converter,
) -> PyResult<Bound<'py, PyAny>> {
    match info.class.get() {
        Some(cls) => Ok(cls.bind(py).clone()),
        None => inner.annotation(py),
    }
}

/// A result is the class (in its own package's stub); an argument accepts the underlying form.
/// A named bool has no class (Python cannot subclass `bool`).
pub fn stub(info: &ValueInfo, inner: &Converter, pkg: &str, arg: bool) -> String {
    if !arg && info.package == pkg && !matches!(inner, Converter::Bool) {
        return info.name.clone();
    }
    inner.stub(pkg, arg)
}
