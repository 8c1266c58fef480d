//! The Python helpers that convert time values (`usegolib/_types.py` registers them once): used
//! by the `time` and `duration` converters.

use std::sync::OnceLock;

use pyo3::prelude::*;

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
