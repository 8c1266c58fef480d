//! The Python binding of usegolib (`usegolib._native`). It stays thin: what Rust embedders also
//! need lives in `usegolib-loader`.
#![forbid(unsafe_code)]

use pyo3::prelude::*;

/// The native module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("ABI_VERSION", usegolib_abi::ABI_VERSION)?;
    Ok(())
}
