//! What a thread keeps of its reusable call buffers (docs/adr/0027-large-bytes-and-memory.md).
//!
//! Each thread that calls Go keeps a reply buffer (here, `ffi.rs`) and, in a binding, a request
//! buffer, so that a steady stream of calls allocates nothing. A large call grows them; this is
//! the one rule for how much of that growth stays:
//!
//! * a buffer of at most [`BASE`] (64 KiB) is always kept;
//! * a buffer above [`KEEP`] (16 MiB) is never kept: it is given back right after its call;
//! * a buffer between the two is kept while calls need it, and given back (the thread returns to
//!   at most [`BASE`]) after [`SHRINK_AFTER`] consecutive calls of this thread that needed no
//!   more than [`BASE`].
//!
//! So a thread holds at most [`KEEP`] per buffer right after any call, whatever its size (a
//! thread that echoed 1 GiB keeps at most 16 MiB), and at most [`BASE`] per buffer once its last
//! [`SHRINK_AFTER`] calls were small, while repeated large calls (echoing 1 MiB in a loop) keep
//! reusing the grown buffer without a fresh allocation and page faults per call.

use std::cell::Cell;

/// The size every thread may keep for good, and the reply buffer's initial size.
pub const BASE: usize = 64 << 10;

/// The largest buffer a thread keeps after a call.
pub const KEEP: usize = 16 << 20;

/// How many consecutive calls needing at most [`BASE`] give back a buffer grown above it.
pub const SHRINK_AFTER: u32 = 64;

/// The small calls a thread made since it last needed more than [`BASE`]: one per kind of buffer
/// and thread (a `const`-initialised thread-local, no allocation).
#[derive(Debug, Default)]
pub struct Keeper {
    small_calls: Cell<u32>,
}

impl Keeper {
    /// A keeper that has seen no call.
    pub const fn new() -> Self {
        Keeper {
            small_calls: Cell::new(0),
        }
    }

    /// Whether a buffer of `capacity` bytes, of which the call just made needed `used`, is kept
    /// as it is; `false`: give it back and start again from at most [`BASE`].
    #[inline]
    pub fn keep(&self, capacity: usize, used: usize) -> bool {
        if capacity > KEEP {
            self.small_calls.set(0);
            return false;
        }
        if used > BASE {
            self.small_calls.set(0);
            return true;
        }
        if capacity <= BASE {
            return true;
        }
        let n = self.small_calls.get() + 1;
        if n >= SHRINK_AFTER {
            self.small_calls.set(0);
            return false;
        }
        self.small_calls.set(n);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_buffers_stay_and_huge_ones_go() {
        let k = Keeper::new();
        for _ in 0..1000 {
            assert!(k.keep(BASE, 10));
        }
        assert!(!k.keep(KEEP + 1, KEEP + 1));
        assert!(k.keep(KEEP, KEEP));
    }

    #[test]
    fn a_grown_buffer_goes_after_enough_small_calls() {
        let k = Keeper::new();
        assert!(k.keep(2 << 20, 1 << 20));
        for _ in 1..SHRINK_AFTER {
            assert!(k.keep(2 << 20, 100));
        }
        assert!(!k.keep(2 << 20, 100));
        // A large call in between starts the count again.
        assert!(k.keep(2 << 20, 1 << 20));
        for _ in 1..SHRINK_AFTER {
            assert!(k.keep(2 << 20, 100));
        }
        assert!(k.keep(2 << 20, BASE + 1));
        assert!(k.keep(2 << 20, 100));
    }
}
