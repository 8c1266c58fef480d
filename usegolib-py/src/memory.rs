//! What the calling thread keeps for its calls (docs/adr/0027-large-bytes-and-memory.md): its
//! request buffer (func.rs) and its reply buffer (the loader's), for tests and diagnostics.

use pyo3::prelude::*;

/// `(request, reply)`: the bytes the calling thread keeps in its request buffer (capacity) and
/// its reply buffer, between calls. Each is at most 16 MiB after any call, and at most 64 KiB
/// once the thread's last 64 calls needed no more (`usegolib_loader::buffers`).
#[pyfunction]
pub fn _thread_buffers() -> (usize, usize) {
    (
        crate::func::request_buffer_capacity(),
        usegolib_loader::reply_buffer_size(),
    )
}
