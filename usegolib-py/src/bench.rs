//! For benchmarks only: the floor, a direct call of a `usegolib_floor_*` export of an artifact
//! (no envelope), to compare a full call with (`benches/python/bench_call.py`).

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use crate::module::PyGoModule;

/// A direct call of a `usegolib_floor_*` export.
#[pyclass(module = "usegolib._native", name = "FloorFunction", frozen)]
pub struct PyFloor {
    f: usegolib_loader::FloorI64,
    detach: bool,
}

#[pymethods]
impl PyFloor {
    fn __call__(&self, py: Python<'_>, a: i64, b: i64) -> i64 {
        if self.detach {
            py.detach(|| self.f.call(a, b))
        } else {
            self.f.call(a, b)
        }
    }
}

/// The benchmark floor of `module`: a callable for `usegolib_floor_<name>(a, b)`, a direct call
/// without the envelope, with the GIL held (or released when `detach` is true).
#[pyfunction]
#[pyo3(signature = (module, name, detach=false))]
pub fn _bench_floor(module: &PyGoModule, name: &str, detach: bool) -> PyResult<PyFloor> {
    match module
        .ctx
        .module
        .floor_i64_binop(&format!("usegolib_floor_{name}"))
    {
        Some(f) => Ok(PyFloor { f, detach }),
        None => Err(PyTypeError::new_err(format!(
            "no usegolib_floor_{name} in this library"
        ))),
    }
}

/// The address of `usegolib_floor_<name>` in `module`'s library: the benchmark's C-extension and
/// ctypes floors call the same export through it.
#[pyfunction]
pub fn _bench_floor_address(module: &PyGoModule, name: &str) -> PyResult<usize> {
    Ok(_bench_floor(module, name, false)?.f.address())
}

/// Releases and re-takes the GIL `n` times (`py.detach(|| ())`): a part of the callback row's
/// floor, what re-attaching the calling thread to run a callback costs at least.
#[pyfunction]
pub fn _bench_detach(py: Python<'_>, n: u64) {
    for _ in 0..n {
        py.detach(|| ());
    }
}
