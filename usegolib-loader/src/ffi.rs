//! Every `unsafe` of the workspace lives in this module.
//!
//! The contract with a bridge library (docs/abi.md section 1):
//!
//! * The library is opened once per process and **never unloaded**: Go cannot be unloaded
//!   (golang/go#11100), and c-shared libraries are `NODELETE` anyway. [`GoLibrary`] therefore
//!   leaks its `Library` handle on purpose.
//! * `usegolib_abi_version` and `usegolib_schema` are plain C functions with static results; they
//!   do not enter Go.
//! * `usegolib_call` borrows the request only for the duration of the call. The reply is written
//!   into the caller's buffer when it fits (`*out == buf`), otherwise into memory from C `malloc`
//!   that the caller releases with libc `free`, without entering Go again.
//! * Any thread may call, concurrently; each thread here uses its own reply buffer.

use std::cell::Cell;
use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use libloading::os::unix::{Library, RTLD_LOCAL, RTLD_NOW};

type AbiVersionFn = unsafe extern "C" fn() -> u32;
type SchemaFn = unsafe extern "C" fn(len: *mut usize) -> *const u8;
type CallFn = unsafe extern "C" fn(
    req: *mut u8,
    req_len: usize,
    buf: *mut u8,
    buf_cap: usize,
    out: *mut *mut u8,
    out_len: *mut usize,
) -> i32;
/// `usegolib_call_scalar` (docs/abi.md section 8.11, optional).
type CallScalarFn = unsafe extern "C" fn(
    fn_index: u64,
    words: *mut u64,
    nargs: usize,
    buf: *mut u8,
    buf_cap: usize,
    out: *mut *mut u8,
    out_len: *mut usize,
) -> i32;
/// `usegolib_host_fn` (docs/abi.md section 10).
type HostFn = extern "C" fn(
    ctx: *mut libc::c_void,
    req: *const u8,
    req_len: usize,
    buf: *mut u8,
    buf_cap: usize,
    out: *mut *mut u8,
    out_len: *mut usize,
) -> i32;
type SetHostFn = unsafe extern "C" fn(f: HostFn, ctx: *mut libc::c_void);
/// `usegolib_host_scalar_fn` (docs/abi.md section 10.8).
type HostScalarFn = extern "C" fn(
    ctx: *mut libc::c_void,
    id: u64,
    method: u64,
    words: *mut u64,
    nargs: usize,
    nresults: usize,
    buf: *mut u8,
    buf_cap: usize,
    out: *mut *mut u8,
    out_len: *mut usize,
) -> i32;
type SetHostScalarFn = unsafe extern "C" fn(f: HostScalarFn);
#[cfg(feature = "bench")]
type FloorFn = unsafe extern "C" fn(a: i64, b: i64) -> i64;

/// How many times this process's ancestry forked since the first Go library was loaded: the
/// `pthread_atfork` child handler adds one in every child. A Go runtime does not survive a fork
/// (its threads are gone, and the first call would hang), but a library loaded in the child
/// starts its own runtime there and works; so each [`GoLibrary`] remembers the generation it was
/// loaded in, and only libraries of an earlier generation refuse calls.
static FORK_GENERATION: AtomicU64 = AtomicU64::new(0);

extern "C" fn note_fork_in_child() {
    FORK_GENERATION.fetch_add(1, Ordering::SeqCst);
}

/// Registers the fork handler, once per process.
fn watch_forks() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: `note_fork_in_child` only adds to an atomic, which is async-signal-safe and
        // allowed in a child right after fork; the handler pointers live for the whole process.
        unsafe {
            libc::pthread_atfork(None, None, Some(note_fork_in_child));
        }
    });
}

/// The signals whose handlers a Go runtime installs to turn faults in Go code into panics.
const GO_SIGNALS: [libc::c_int; 4] = [libc::SIGSEGV, libc::SIGBUS, libc::SIGFPE, libc::SIGILL];

/// The handlers the most recently loaded Go runtime installed for [`GO_SIGNALS`].
static GO_HANDLERS: parking_lot::Mutex<Option<Vec<(libc::c_int, usize, libc::c_int)>>> =
    parking_lot::Mutex::new(None);

fn capture_go_signal_handlers() {
    let mut saved = Vec::new();
    for sig in GO_SIGNALS {
        // SAFETY: sigaction with a null new action only reads the current one into `old`.
        let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: as above; `old` is a valid, writable sigaction.
        if unsafe { libc::sigaction(sig, std::ptr::null(), &mut old) } == 0 {
            saved.push((sig, old.sa_sigaction, old.sa_flags));
        }
    }
    *GO_HANDLERS.lock() = Some(saved);
}

/// Puts the Go runtime's fault handlers back on top if something (typically Python's
/// `faulthandler.enable()`) replaced them after the library was loaded: without them, a nil
/// dereference in Go code, which Go turns into a recoverable panic, kills the process. Faults
/// outside Go code still reach the handler that was installed when the runtime started.
/// Returns how many handlers were restored.
pub fn restore_go_signal_handlers() -> usize {
    let saved = GO_HANDLERS.lock();
    let Some(saved) = saved.as_ref() else {
        return 0;
    };
    let mut restored = 0;
    for &(sig, handler, flags) in saved {
        // SAFETY: reading the current action into a zeroed, writable sigaction.
        let mut cur: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        if unsafe { libc::sigaction(sig, std::ptr::null(), &mut cur) } != 0
            || cur.sa_sigaction == handler
        {
            continue;
        }
        // SAFETY: `handler` and `flags` were read from the kernel for this signal when the Go
        // runtime had installed them; the Go library is never unloaded, so the handler stays
        // valid. The mask lets other signals through, as Go's own installation does.
        unsafe {
            let mut act: libc::sigaction = std::mem::zeroed();
            act.sa_sigaction = handler;
            act.sa_flags = flags;
            libc::sigfillset(&mut act.sa_mask);
            if libc::sigaction(sig, &act, std::ptr::null_mut()) == 0 {
                restored += 1;
            }
        }
    }
    restored
}

/// Why a library could not be opened.
#[derive(Debug)]
pub(crate) enum OpenError {
    Io(std::io::Error),
    Tampered {
        actual: String,
    },
    /// The system's dynamic loader refused the file; `reason` is its own message (dlerror).
    Dlopen {
        reason: String,
    },
    MissingSymbol {
        symbol: String,
    },
    Abi {
        found: u32,
    },
}

/// An opened bridge library with its entry points resolved.
pub(crate) struct GoLibrary {
    call: CallFn,
    /// `usegolib_call_scalar`, when the library exports it.
    call_scalar: Option<CallScalarFn>,
    schema: Vec<u8>,
    /// The [`FORK_GENERATION`] this library was loaded in.
    generation: u64,
    // The `Library` is deliberately never dropped (see the module docs): `open` forgets it after
    // resolving the symbols, so the function pointers above stay valid for the whole process.
    // Kept to resolve more symbols later (the bench-only floor call).
    #[cfg_attr(not(feature = "bench"), allow(dead_code))]
    handle: usize,
}

/// Initial size of each thread's reusable reply buffer. A reply that does not fit comes back in
/// malloc'd memory; the thread's buffer then grows to fit such replies (up to
/// [`crate::buffers::KEEP`]), so that repeated large replies are written straight into it without
/// a malloc, a free and fresh page faults per call. What a thread keeps afterwards is the rule of
/// [`crate::buffers`]: a grown buffer goes back to this size after 64 calls that did not need it.
const REPLY_BUF: usize = crate::buffers::BASE;

thread_local! {
    /// This thread's reusable reply buffer; taken out while a reply lives in it.
    static REPLY: Cell<Option<Vec<u8>>> = const { Cell::new(None) };
    /// Whether this thread's reply buffer is still needed at its size.
    static REPLY_KEEPER: crate::buffers::Keeper = const { crate::buffers::Keeper::new() };
}

/// The size of the calling thread's reusable reply buffer (0 when it has none yet), for tests
/// and diagnostics of the memory a thread keeps (docs/adr/0027-large-bytes-and-memory.md).
pub fn reply_buffer_size() -> usize {
    REPLY.with(|cell| {
        let buf = cell.take();
        let n = buf.as_ref().map_or(0, Vec::len);
        cell.set(buf);
        n
    })
}

/// The argument and result words of a scalar call (docs/abi.md section 8.11): the array of
/// [`crate::MAX_SCALAR_WORDS`] words a caller lends.
pub type ScalarWords = [u64; crate::host::MAX_SCALAR_WORDS];

/// The reply of one call. It lives either in the calling thread's reusable buffer (given back
/// when this is dropped) or in memory from C `malloc` (freed with libc `free` when dropped).
pub struct RawReply {
    buf: Vec<u8>,
    malloced: *mut u8,
    len: usize,
    /// The buffer is not kept for the next call (see [`crate::buffers`]).
    shrink: bool,
}

// SAFETY: a `RawReply` owns its memory exclusively (the Vec, or a malloc'd block nobody else
// refers to), so moving it to another thread is sound; libc `free` may be called from any thread.
unsafe impl Send for RawReply {}

impl RawReply {
    /// No bytes (the result area of a scalar call without string results).
    pub(crate) const EMPTY: RawReply = RawReply {
        buf: Vec::new(),
        malloced: std::ptr::null_mut(),
        len: 0,
        shrink: false,
    };

    /// The reply bytes.
    #[inline]
    pub fn bytes(&self) -> &[u8] {
        if self.malloced.is_null() {
            &self.buf[..self.len]
        } else {
            // SAFETY: the bridge wrote `len` bytes at `malloced`, a block this value owns until
            // it is dropped.
            unsafe { std::slice::from_raw_parts(self.malloced, self.len) }
        }
    }
}

impl Drop for RawReply {
    #[inline]
    fn drop(&mut self) {
        if !self.malloced.is_null() {
            // SAFETY: the block came from C `malloc` in the bridge, is owned by this value, and
            // is freed exactly once, here.
            unsafe { libc::free(self.malloced.cast()) }
        }
        let buf = std::mem::take(&mut self.buf);
        if buf.len() >= REPLY_BUF && !self.shrink {
            REPLY.with(|cell| cell.set(Some(buf)));
        }
    }
}

/// A global allocator that counts the allocations (and reallocations) each thread makes through
/// it, then hands them to the system allocator. Tests install it with `#[global_allocator]` to
/// prove that calls allocate nothing in steady state ([`thread_allocations`]); the library never
/// installs it.
#[derive(Debug, Default, Clone, Copy)]
pub struct CountingAllocator;

thread_local! {
    /// The allocations this thread made through [`CountingAllocator`]. A `const`-initialised
    /// `Cell` without a destructor: reading it never allocates and never fails.
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

#[inline]
fn count_allocation() {
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

/// How many allocations the calling thread has made through [`CountingAllocator`] (0 when it is
/// not the global allocator).
pub fn thread_allocations() -> u64 {
    ALLOCATIONS.try_with(Cell::get).unwrap_or(0)
}

// SAFETY: every method forwards its arguments unchanged to `std::alloc::System`, which upholds
// the `GlobalAlloc` contract; counting touches only a thread-local `Cell` and never allocates.
unsafe impl std::alloc::GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        count_allocation();
        // SAFETY: the caller's guarantees for `layout` are passed on unchanged.
        unsafe { std::alloc::System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        count_allocation();
        // SAFETY: as in `alloc`.
        unsafe { std::alloc::System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        count_allocation();
        // SAFETY: `ptr` was allocated by this allocator, hence by `System`, with `layout`.
        unsafe { std::alloc::System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: `ptr` was allocated by this allocator, hence by `System`, with `layout`.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
}

impl GoLibrary {
    /// Hashes the file at `path` and, if the hash is `want_sha256`, loads that same file.
    ///
    /// On Linux the file is opened once; the hash is computed from that open file and the library
    /// is then loaded through `/proc/self/fd/N`, so a file swapped between the check and the load
    /// cannot be loaded. Before anything of the library runs, its ABI version is checked.
    pub(crate) fn open(
        path: &Path,
        want_sha256: &str,
        abi: u32,
        module: &str,
    ) -> Result<GoLibrary, OpenError> {
        watch_forks();
        // Read after the handler is registered: a fork from now on is seen by this library.
        let generation = FORK_GENERATION.load(Ordering::SeqCst);
        let mut file = File::open(path).map_err(OpenError::Io)?;
        let actual = crate::artifact::sha256_hex(&mut file).map_err(OpenError::Io)?;
        if actual != want_sha256 {
            return Err(OpenError::Tampered { actual });
        }
        check_elf_segments(&file).map_err(|reason| OpenError::Dlopen { reason })?;
        let load_path = fd_path(&file).unwrap_or_else(|| path.to_path_buf());
        // SAFETY: loading a library runs its initialisers. This file is a usegolib bridge whose
        // hash matches its manifest; its only initialiser is the Go runtime's start-up, which is
        // designed to run inside a foreign process (c-shared build mode). RTLD_NOW resolves every
        // symbol now so that a broken library fails here, not in the middle of a call.
        let lib = unsafe { Library::open(Some(load_path.as_path()), RTLD_NOW | RTLD_LOCAL) }
            .map_err(|e| OpenError::Dlopen {
                reason: dlopen_reason(&e, &load_path, path),
            })?;
        // Never dlclose a Go library, not even on the error paths below.
        let lib = std::mem::ManuallyDrop::new(lib);
        // Keep the descriptor open for the life of the process: the dynamic loader knows this
        // library by the name `/proc/self/fd/N`, and would hand it out again for a later dlopen
        // of the same name if N were reused for another file.
        std::mem::forget(file);
        // SAFETY: `usegolib_abi_version` is declared `uint32_t(void)` by docs/abi.md section 1.
        let version: AbiVersionFn = unsafe { symbol(&lib, "usegolib_abi_version")? };
        // SAFETY: a plain C function that returns a constant; it does not enter Go.
        let found = unsafe { version() };
        if found != abi {
            return Err(OpenError::Abi { found });
        }
        // SAFETY: signatures as declared in docs/abi.md section 1 for ABI 1, checked just above.
        let schema_fn: SchemaFn = unsafe { symbol(&lib, "usegolib_schema")? };
        // SAFETY: as above.
        let call: CallFn = unsafe { symbol(&lib, "usegolib_call")? };
        // SAFETY: as above (docs/abi.md section 8.11); optional: a library without it is
        // called in the general form only.
        let call_scalar: Option<CallScalarFn> =
            unsafe { symbol(&lib, "usegolib_call_scalar") }.ok();
        // SAFETY: as above; resolved only to prove it exists, callers free with libc directly.
        let _free: unsafe extern "C" fn(*mut u8) = unsafe { symbol(&lib, "usegolib_free")? };
        // SAFETY: `usegolib_set_host` is declared `void(usegolib_host_fn, void *)` (docs/abi.md
        // section 10); a plain C function that stores both in atomics. The context is a leaked
        // string (the module path), alive for the process, as the library is.
        unsafe {
            let set_host: SetHostFn = symbol(&lib, "usegolib_set_host")?;
            let ctx: &'static mut HostCtx = Box::leak(Box::new(HostCtx {
                module: module.to_owned(),
            }));
            // `usegolib_set_host_scalar` (docs/abi.md section 10.8) is optional: registered
            // first, so that the library never sees the general entry without it.
            if let Ok(set_scalar) = symbol::<SetHostScalarFn>(&lib, "usegolib_set_host_scalar") {
                set_scalar(host_scalar_trampoline);
            }
            set_host(host_trampoline, (ctx as *mut HostCtx).cast());
        }
        let mut len = 0usize;
        // SAFETY: `usegolib_schema` writes the length and returns a pointer to static storage of
        // that many bytes, valid for the life of the library (which is never unloaded).
        let schema = unsafe {
            let ptr = schema_fn(&mut len);
            if ptr.is_null() {
                Vec::new()
            } else {
                std::slice::from_raw_parts(ptr, len).to_vec()
            }
        };
        // Wait for the Go runtime to finish starting (its first call waits for it), so that its
        // signal handlers are installed; then remember them (see `restore_go_signal_handlers`).
        let mut out: *mut u8 = std::ptr::null_mut();
        let mut out_len = 0usize;
        let mut scratch = [0u8; 256];
        // SAFETY: an empty request is answered with a `malformed` reply written into `scratch`
        // (or malloc'd memory, freed below); all pointers are valid for the call.
        unsafe {
            if call(
                std::ptr::null_mut(),
                0,
                scratch.as_mut_ptr(),
                scratch.len(),
                &mut out,
                &mut out_len,
            ) == 0
                && !out.is_null()
                && out != scratch.as_mut_ptr()
            {
                libc::free(out.cast());
            }
        }
        capture_go_signal_handlers();
        let handle = std::mem::ManuallyDrop::into_inner(lib).into_raw() as usize; // never closed
        Ok(GoLibrary {
            call,
            call_scalar,
            schema,
            generation,
            handle,
        })
    }

    /// Whether this process is a `fork()` of the one that loaded this library (whose Go runtime
    /// therefore cannot run here). Libraries loaded after the fork, in this process, are fine.
    #[inline]
    pub(crate) fn forked_since_load(&self) -> bool {
        FORK_GENERATION.load(Ordering::Relaxed) != self.generation
    }

    /// The schema JSON embedded in the library.
    pub(crate) fn schema(&self) -> &[u8] {
        &self.schema
    }

    /// Sends one request. Returns `None` when the bridge could not produce a reply at all (its
    /// `malloc` failed).
    #[inline]
    pub(crate) fn call(&self, req: &mut [u8]) -> Option<RawReply> {
        let mut buf = REPLY
            .with(|cell| cell.take())
            .unwrap_or_else(|| vec![0u8; REPLY_BUF]);
        let mut out: *mut u8 = std::ptr::null_mut();
        let mut out_len = 0usize;
        // SAFETY: `req` is valid for reads and writes of `req.len()` bytes for the whole call
        // (borrowed mutably: Go may write into the bytes of a parameter it reads in place,
        // docs/abi.md sections 1 and 8.12, and nothing else reads or moves it meanwhile), `buf`
        // for writes of `buf.len()` bytes, and `out`/`out_len` are valid for writes. The bridge
        // never retains `req` or `buf` after returning (docs/abi.md section 1).
        let rc = unsafe {
            (self.call)(
                req.as_mut_ptr(),
                req.len(),
                buf.as_mut_ptr(),
                buf.len(),
                &mut out,
                &mut out_len,
            )
        };
        if rc != 0 || out.is_null() {
            REPLY.with(|cell| cell.set(Some(buf)));
            return None;
        }
        Some(self.take_reply(buf, out, out_len))
    }

    /// The reply the bridge wrote at `out`: in this thread's buffer `buf` (lent for it), or
    /// in malloc'd memory, when the buffer goes back to the thread, grown for the next reply
    /// of this size.
    #[inline]
    fn take_reply(&self, mut buf: Vec<u8>, out: *mut u8, out_len: usize) -> RawReply {
        let keep = REPLY_KEEPER.with(|k| k.keep(buf.len(), out_len));
        if out == buf.as_mut_ptr() {
            let len = out_len.min(buf.len());
            return RawReply {
                buf,
                malloced: std::ptr::null_mut(),
                len,
                shrink: !keep,
            };
        }
        // The reply did not fit: grow this thread's buffer for the next one of this size.
        let grown = out_len
            .checked_next_power_of_two()
            .filter(|&n| n <= crate::buffers::KEEP);
        REPLY.with(|cell| cell.set(Some(grown.map_or(buf, |n| vec![0u8; n]))));
        RawReply {
            buf: Vec::new(),
            malloced: out,
            len: out_len,
            shrink: false,
        }
    }

    /// Whether the library exports `usegolib_call_scalar`.
    pub(crate) fn has_scalar(&self) -> bool {
        self.call_scalar.is_some()
    }

    /// Makes a scalar call (docs/abi.md sections 8.11 and 8.13) of the entry `layout` describes
    /// with the words of `args` as its arguments; its results are written over the words. For
    /// an entry with string results the thread's reply buffer is lent for the result area (and
    /// a failure reply); any other entry lends none, so that an all-number call touches no
    /// thread-local (a failure reply then comes back malloc'd). `Some(Ok(area))`:
    /// the results are in the words, the string results' bytes in `area` (empty for an entry
    /// without one); `Some(Err(reply))`: the call failed, with the failure reply `usegolib_call`
    /// would give; `None`: no reply (the bridge's `malloc` failed), the library has no scalar
    /// form, or `args` has string pairs where `layout` has none (the caller checks that first,
    /// with [`crate::ScalarLayout::fits`], for its own error).
    #[inline]
    pub(crate) fn call_scalar(
        &self,
        layout: &crate::ScalarLayout,
        args: &mut crate::ScalarArgs<'_>,
    ) -> Option<Result<RawReply, RawReply>> {
        let f = self.call_scalar?;
        if !layout.fits(args) {
            return None;
        }
        let index = layout.index;
        let (words, nargs) = args.lend();
        // Only an entry with string results takes the thread's buffer (for its result area);
        // any other lends none, as before: its failure reply comes back malloc'd.
        let mut buf = if layout.has_str_results() {
            REPLY
                .with(|cell| cell.take())
                .unwrap_or_else(|| vec![0u8; REPLY_BUF])
        } else {
            Vec::new()
        };
        let mut out: *mut u8 = std::ptr::null_mut();
        let mut out_len = 0usize;
        // SAFETY: `words` is valid for reads and writes of the MAX_SCALAR_WORDS words the ABI
        // lends (section 8.11). Go reads memory through the words the entry's layout has as a
        // string's address (section 8.13): `args` holds a string pair at exactly those places
        // (`fits`, checked above), each made by `ScalarArgs::push_str` from a `&[u8]` borrowed
        // for the life of `args` (so readable and unchanged during the call), and no other
        // word can be changed into one (`ScalarArgs::set` refuses). Go reads no more argument
        // words than the entry takes, and refuses any other count before reading one. `buf`
        // is valid for writes of `buf.len()` bytes (null and 0 when empty: Go then uses no
        // buffer), `out`/`out_len` for writes. The bridge keeps none of these pointers after
        // returning.
        let rc = unsafe {
            f(
                index,
                words.as_mut_ptr(),
                nargs,
                if buf.is_empty() {
                    std::ptr::null_mut()
                } else {
                    buf.as_mut_ptr()
                },
                buf.len(),
                &mut out,
                &mut out_len,
            )
        };
        match rc {
            // An entry without string results leaves `out` unwritten on success.
            0 if out.is_null() && buf.is_empty() => Some(Ok(RawReply::EMPTY)),
            0 | 1 if !out.is_null() => {
                let reply = if buf.is_empty() {
                    RawReply {
                        buf,
                        malloced: out,
                        len: out_len,
                        shrink: false,
                    }
                } else {
                    self.take_reply(buf, out, out_len)
                };
                Some(if rc == 0 { Ok(reply) } else { Err(reply) })
            }
            _ => {
                if !buf.is_empty() {
                    REPLY.with(|cell| cell.set(Some(buf)));
                }
                None
            }
        }
    }

    /// Resolves `usegolib_floor_*`: a plain cgo export `int64_t f(int64_t, int64_t)` that a
    /// benchmark fixture defines to measure a call without the envelope. Only symbols with that
    /// prefix are resolved, and by convention they all have that signature.
    #[cfg(feature = "bench")]
    pub(crate) fn floor_i64_binop(&self, name: &str) -> Option<FloorI64> {
        if !name.starts_with("usegolib_floor_") {
            return None;
        }
        // SAFETY: `handle` is the never-closed handle from `open`; rebuilding a `Library` from it
        // and forgetting it again does not close it.
        let lib = unsafe { Library::from_raw(self.handle as *mut core::ffi::c_void) };
        // SAFETY: by the `usegolib_floor_` convention documented above.
        let f: Option<FloorFn> = unsafe { symbol(&lib, name) }.ok();
        std::mem::forget(lib);
        f.map(|f| FloorI64 { f })
    }
}

/// A direct `int64_t f(int64_t, int64_t)` Go export, for the benchmark floor (feature `bench`).
#[cfg(feature = "bench")]
#[derive(Clone, Copy)]
pub struct FloorI64 {
    f: FloorFn,
}

#[cfg(feature = "bench")]
impl FloorI64 {
    /// Its address, for a floor written in C that calls the same export
    /// (`benches/python/bench_call.py`).
    pub fn address(&self) -> usize {
        self.f as usize
    }

    /// Calls it.
    #[inline]
    pub fn call(&self, a: i64, b: i64) -> i64 {
        // SAFETY: resolved by `floor_i64_binop` from a library that is never unloaded, with the
        // signature that the `usegolib_floor_` convention fixes.
        unsafe { (self.f)(a, b) }
    }
}

#[cfg(feature = "bench")]
impl std::fmt::Debug for FloorI64 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FloorI64")
    }
}

/// What a library's host entry point knows of it: the `ctx` given to `usegolib_set_host`.
struct HostCtx {
    module: String,
}

thread_local! {
    /// This thread's reusable host reply buffer; taken out while a request is answered, so that
    /// a nested request (a host callable calling Go, which calls the host) gets its own.
    static HOST_REPLY: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// The host entry point every library calls (through its C trampoline `usegolib_host_call`):
/// the mirror image of `usegolib_call`. The handler's reply goes into Go's buffer when it fits,
/// else into memory from `malloc` that Go copies and frees. A panic of the handler never
/// unwinds into C or Go: it becomes a `host_unavailable` reply.
extern "C" fn host_trampoline(
    ctx: *mut libc::c_void,
    req: *const u8,
    req_len: usize,
    buf: *mut u8,
    buf_cap: usize,
    out: *mut *mut u8,
    out_len: *mut usize,
) -> i32 {
    if ctx.is_null() || out.is_null() || out_len.is_null() || (req.is_null() && req_len > 0) {
        return -1;
    }
    // SAFETY: `ctx` is the leaked `HostCtx` given to `usegolib_set_host`, never freed.
    let module: &str = unsafe { &(*ctx.cast::<HostCtx>()).module };
    let req: &[u8] = if req_len == 0 {
        &[]
    } else {
        // SAFETY: Go lends `req_len` bytes at `req` (not null) for the duration of this call.
        unsafe { std::slice::from_raw_parts(req, req_len) }
    };
    let mut reply = HOST_REPLY.with(|c| c.take());
    reply.clear();
    let answered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        crate::host::answer(module, req, &mut reply)
    }));
    let failed = if answered.is_err() {
        Some("the host handler failed (a Rust panic)")
    } else if reply.is_empty() {
        Some("the host handler wrote no reply")
    } else {
        None
    };
    if let Some(message) = failed {
        crate::host::host_error(&mut reply, "host_unavailable", message, vec![]);
    }
    // SAFETY: Go lends `buf_cap` writable bytes at `buf` (or none), and `out`, `out_len` (not
    // null, checked above) for the duration of this call.
    let rc = unsafe { deliver(&reply, buf, buf_cap, out, out_len) };
    if reply.capacity() <= 1 << 20 {
        HOST_REPLY.with(|c| c.set(reply));
    }
    rc
}

/// Gives Go the host reply `reply`: in `buf` when it fits (`*out = buf`), else in memory from
/// `malloc` that Go copies and frees. 0, or -1 when that memory could not be had.
///
/// # Safety
///
/// `buf` is null or `buf_cap` writable bytes; `out` and `out_len` are valid for writes.
unsafe fn deliver(
    reply: &[u8],
    buf: *mut u8,
    buf_cap: usize,
    out: *mut *mut u8,
    out_len: *mut usize,
) -> i32 {
    let n = reply.len();
    if !buf.is_null() && n <= buf_cap {
        // SAFETY: the caller lends `buf_cap` writable bytes at `buf`; `n` fits.
        unsafe {
            std::ptr::copy_nonoverlapping(reply.as_ptr(), buf, n);
            *out = buf;
            *out_len = n;
        }
        0
    } else {
        // SAFETY: a fresh block of `n` bytes (at least 1) that Go copies and frees with free.
        unsafe {
            let p = libc::malloc(n.max(1)).cast::<u8>();
            if p.is_null() {
                *out = std::ptr::null_mut();
                *out_len = 0;
                -1
            } else {
                std::ptr::copy_nonoverlapping(reply.as_ptr(), p, n);
                *out = p;
                *out_len = n;
                0
            }
        }
    }
}

/// The scalar host entry point (docs/abi.md section 10.8, through the library's C trampoline
/// `usegolib_host_scalar_call`): the words are Go's, lent for the call; the results are written
/// over them, a failure reply delivered as [`host_trampoline`] delivers replies. Returns 0
/// (results), 1 (a failure reply at `*out`), 3 (refused: Go uses the general form) or -1. A
/// panic of the handler never unwinds into C or Go: it becomes a `host_unavailable` reply.
#[allow(clippy::too_many_arguments)] // the C signature of `usegolib_host_scalar_fn`
extern "C" fn host_scalar_trampoline(
    ctx: *mut libc::c_void,
    id: u64,
    method: u64,
    words: *mut u64,
    nargs: usize,
    nresults: usize,
    buf: *mut u8,
    buf_cap: usize,
    out: *mut *mut u8,
    out_len: *mut usize,
) -> i32 {
    let n = nargs.max(nresults);
    if ctx.is_null()
        || out.is_null()
        || out_len.is_null()
        || n > crate::host::MAX_SCALAR_WORDS
        || (words.is_null() && n > 0)
    {
        return -1;
    }
    // SAFETY: `ctx` is the leaked `HostCtx` given to `usegolib_set_host`, never freed.
    let module: &str = unsafe { &(*ctx.cast::<HostCtx>()).module };
    let words: &mut [u64] = if n == 0 {
        &mut []
    } else {
        // SAFETY: Go lends its array of `MAX_SCALAR_WORDS` words at `words` (not null), which
        // nothing else touches during this call; `n` is at most that.
        unsafe { std::slice::from_raw_parts_mut(words, n) }
    };
    let call = crate::host::ScalarCall {
        id,
        method,
        words,
        nargs,
        nresults,
    };
    // No reply buffer of its own: a success (the common case) writes only the words, and a
    // failure reply is made in a new vector (its encoding allocates anyway).
    let mut reply = Vec::new();
    let answered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        crate::host::answer_scalar(module, call, &mut reply)
    }));
    match answered {
        Ok(crate::host::ScalarOutcome::Done) => 0,
        Ok(crate::host::ScalarOutcome::Refused) => 3,
        Ok(crate::host::ScalarOutcome::Failed) | Err(_) => {
            if answered.is_err() || reply.is_empty() {
                let message = if answered.is_err() {
                    "the host handler failed (a Rust panic)"
                } else {
                    "the host handler wrote no reply"
                };
                crate::host::host_error(&mut reply, "host_unavailable", message, vec![]);
            }
            // SAFETY: Go lends `buf_cap` writable bytes at `buf` (or none), and `out`,
            // `out_len` (not null, checked above) for the duration of this call.
            match unsafe { deliver(&reply, buf, buf_cap, out, out_len) } {
                0 => 1,
                rc => rc,
            }
        }
    }
}

/// Resolves a symbol as a function pointer of type `T`.
///
/// # Safety
///
/// `T` must be the symbol's real type.
unsafe fn symbol<T: Copy>(lib: &Library, name: &str) -> Result<T, OpenError> {
    // SAFETY: the caller guarantees `T` matches the symbol.
    unsafe { lib.get::<T>(name) }
        .map(|s| *s)
        .map_err(|_| OpenError::MissingSymbol {
            symbol: name.to_owned(),
        })
}

/// The system's reason for a failed dlopen (dlerror's text, which libloading keeps as the
/// error's source), naming `path` where the loader named the `/proc/self/fd` alias it was given.
fn dlopen_reason(e: &libloading::Error, loaded_as: &Path, path: &Path) -> String {
    let text = match std::error::Error::source(e) {
        Some(system) => system.to_string(),
        None => e.to_string(),
    };
    match loaded_as.to_str() {
        Some(alias) if loaded_as != path => text.replace(alias, &path.display().to_string()),
        _ => text,
    }
}

/// Refuses a 64-bit ELF file whose loadable segments reach past its end. The dynamic loader
/// maps such a file without complaint and then dies of SIGBUS when it touches the missing pages
/// (a truncated library whose manifest hash was updated to match). Anything that is not a
/// 64-bit little-endian ELF file is left to the dynamic loader, which reports it (dlerror).
fn check_elf_segments(file: &File) -> Result<(), String> {
    use std::os::unix::fs::FileExt;
    let len = file.metadata().map_err(|e| e.to_string())?.len();
    let mut header = [0u8; 64];
    if file.read_exact_at(&mut header, 0).is_err() || header[..6] != *b"\x7fELF\x02\x01" {
        return Ok(());
    }
    let mut table = Vec::new();
    let (phoff, entsize, count) = elf_program_table(&header);
    let size = entsize.checked_mul(count).filter(|&n| n <= 1 << 20);
    let fits = size.zip(phoff.checked_add(size.unwrap_or(0) as u64));
    match fits {
        Some((size, end)) if end <= len => {
            table.resize(size, 0);
            file.read_exact_at(&mut table, phoff)
                .map_err(|e| format!("cannot read the ELF program headers: {e}"))?;
        }
        _ => {
            return Err(format!(
                "the ELF file is truncated or corrupt: its program headers ({count} of {entsize} \
                 bytes at offset {phoff}) do not fit its {len} bytes; rebuild the artifact"
            ))
        }
    }
    elf_segments_fit(&table, entsize, len)
}

/// `e_phoff`, `e_phentsize` and `e_phnum` of a 64-bit little-endian ELF header.
fn elf_program_table(h: &[u8; 64]) -> (u64, usize, usize) {
    let u16_at = |at: usize| u16::from_le_bytes([h[at], h[at + 1]]) as usize;
    let mut off = [0u8; 8];
    off.copy_from_slice(&h[0x20..0x28]);
    (u64::from_le_bytes(off), u16_at(0x36), u16_at(0x38))
}

/// Checks that every `PT_LOAD` entry of a program header table lies within `len` bytes.
fn elf_segments_fit(table: &[u8], entsize: usize, len: u64) -> Result<(), String> {
    if entsize < 56 {
        return Err(format!(
            "the ELF file is corrupt: program header entries of {entsize} bytes; rebuild the artifact"
        ));
    }
    for (i, ph) in table.chunks_exact(entsize).enumerate() {
        let u64_at = |at: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&ph[at..at + 8]);
            u64::from_le_bytes(b)
        };
        const PT_LOAD: u32 = 1;
        if u32::from_le_bytes([ph[0], ph[1], ph[2], ph[3]]) != PT_LOAD {
            continue;
        }
        let (offset, filesz) = (u64_at(8), u64_at(32));
        match offset.checked_add(filesz) {
            Some(end) if end <= len => {}
            _ => {
                return Err(format!(
                    "the ELF file is truncated: loadable segment {i} needs bytes {offset}..{} \
                     but the file has {len}; rebuild the artifact",
                    offset as u128 + filesz as u128
                ))
            }
        }
    }
    Ok(())
}

#[cfg(target_os = "linux")]
fn fd_path(file: &File) -> Option<std::path::PathBuf> {
    use std::os::fd::AsRawFd;
    Some(std::path::PathBuf::from(format!(
        "/proc/self/fd/{}",
        file.as_raw_fd()
    )))
}

#[cfg(not(target_os = "linux"))]
fn fd_path(_file: &File) -> Option<std::path::PathBuf> {
    None
}

/// The effective user id of this process.
pub(crate) fn euid() -> u32 {
    // SAFETY: geteuid takes no arguments, touches no memory of ours and cannot fail.
    unsafe { libc::geteuid() }
}

/// The home directory of the effective user from the password database (`getpwuid_r`), for
/// when `HOME` is not set.
pub(crate) fn home_of_euid() -> Option<std::path::PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    let uid = euid();
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    loop {
        // SAFETY: an all-zero `passwd` is a valid value of this plain C struct (null pointers,
        // zero ids); getpwuid_r only writes into it.
        let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: `pw`, `buf` (with its true length) and `result` are valid for writes for the
        // whole call; getpwuid_r is the thread-safe variant and keeps no pointer to them.
        let rc =
            unsafe { libc::getpwuid_r(uid, &mut pw, buf.as_mut_ptr(), buf.len(), &mut result) };
        if rc == libc::ERANGE && buf.len() < (1 << 20) {
            buf.resize(buf.len() * 2, 0);
            continue;
        }
        if rc != 0 || result.is_null() || pw.pw_dir.is_null() {
            return None;
        }
        // SAFETY: on success `pw.pw_dir` points to a NUL-terminated string inside `buf`, which
        // is alive and unchanged here.
        let dir = unsafe { std::ffi::CStr::from_ptr(pw.pw_dir) };
        let dir = std::path::PathBuf::from(std::ffi::OsStr::from_bytes(dir.to_bytes()));
        return dir.is_absolute().then_some(dir);
    }
}

/// Sends SIGKILL to the process group `pgid`: a child started with `process_group(0)` and all
/// the processes it started (the `go` commands of a build).
pub(crate) fn kill_process_group(pgid: u32) -> std::io::Result<()> {
    let Ok(pgid) = libc::pid_t::try_from(pgid) else {
        return Err(std::io::Error::from(std::io::ErrorKind::InvalidInput));
    };
    if pgid <= 1 {
        return Err(std::io::Error::from(std::io::ErrorKind::InvalidInput));
    }
    // SAFETY: kill has no memory-safety preconditions. The caller passes the pid of a child it
    // started as the leader of its own process group and has not reaped yet, so the group id
    // cannot have been reused by unrelated processes; `-pgid` (pgid > 1) names that group only.
    if unsafe { libc::kill(-pgid, libc::SIGKILL) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A handler that writes nothing for module "silent" and panics for any other.
    struct Faulty;

    impl crate::host::HostHandler for Faulty {
        fn call(&self, module: &str, _req: &[u8], _out: &mut Vec<u8>) {
            assert_eq!(module, "silent", "a panicking host handler");
        }
    }

    /// Calls the trampoline as a library would, for `module`, and returns the reply's message.
    fn trampoline_message(module: &str) -> String {
        let ctx = Box::into_raw(Box::new(HostCtx {
            module: module.to_owned(),
        }));
        let mut buf = [0u8; 256];
        let (mut out, mut out_len) = (std::ptr::null_mut(), 0usize);
        let rc = host_trampoline(
            ctx.cast(),
            std::ptr::null(),
            0,
            buf.as_mut_ptr(),
            buf.len(),
            &mut out,
            &mut out_len,
        );
        // SAFETY: made by Box::into_raw above, no longer used by the trampoline.
        drop(unsafe { Box::from_raw(ctx) });
        assert_eq!(rc, 0);
        // SAFETY: the reply fits the 256 bytes lent, so `out` is `buf` and `out_len` is in it.
        let bytes = unsafe { std::slice::from_raw_parts(out, out_len) };
        match usegolib_abi::decode_reply(bytes, &usegolib_abi::Limits::default()).unwrap() {
            usegolib_abi::Reply::Err(e) => {
                assert_eq!(e.kind, usegolib_abi::ErrorKind::HostUnavailable);
                e.message
            }
            r => panic!("not an error reply: {r:?}"),
        }
    }

    #[test]
    fn a_host_handler_that_writes_no_reply_is_not_called_a_panic() {
        assert!(crate::host::set_host_handler(Box::new(Faulty)));
        assert_eq!(
            trampoline_message("silent"),
            "the host handler wrote no reply"
        );
        assert_eq!(
            trampoline_message("loud"),
            "the host handler failed (a Rust panic)"
        );
    }

    /// A minimal 64-bit little-endian ELF image: the header and one `PT_LOAD` segment covering
    /// `segment_len` bytes from offset 0.
    fn elf(segment_len: u64) -> Vec<u8> {
        let mut b = vec![0u8; 64 + 56];
        b[..6].copy_from_slice(b"\x7fELF\x02\x01");
        b[0x20..0x28].copy_from_slice(&64u64.to_le_bytes());
        b[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
        b[0x38..0x3a].copy_from_slice(&1u16.to_le_bytes());
        b[64..68].copy_from_slice(&1u32.to_le_bytes());
        b[64 + 32..64 + 40].copy_from_slice(&segment_len.to_le_bytes());
        b
    }

    fn check_bytes(name: &str, bytes: &[u8]) -> Result<(), String> {
        let path = std::env::temp_dir().join(format!("usegolib-elf-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        let r = check_elf_segments(&File::open(&path).unwrap());
        std::fs::remove_file(&path).unwrap();
        r
    }

    #[test]
    fn a_truncated_elf_file_is_refused_before_dlopen() {
        let mut whole = elf(300);
        whole.resize(300, 0);
        assert_eq!(check_bytes("whole", &whole), Ok(()));
        let e = check_bytes("cut", &whole[..299]).unwrap_err();
        assert!(e.contains("truncated") && e.contains("299"), "{e}");
        assert!(e.contains("rebuild"), "{e}");
        // Program headers past the end, and a segment end that overflows u64.
        let e = check_bytes("headers", &whole[..100]).unwrap_err();
        assert!(e.contains("program headers"), "{e}");
        let mut huge = elf(u64::MAX);
        huge[64 + 8..64 + 16].copy_from_slice(&2u64.to_le_bytes());
        assert!(check_bytes("overflow", &huge)
            .unwrap_err()
            .contains("truncated"));
    }

    #[test]
    fn what_is_not_a_64_bit_elf_file_is_left_to_the_dynamic_loader() {
        assert_eq!(check_bytes("text", b"not an ELF file"), Ok(()));
        assert_eq!(check_bytes("empty", b""), Ok(()));
        let mut elf32 = elf(1 << 20);
        elf32[4] = 1;
        assert_eq!(check_bytes("elf32", &elf32), Ok(()));
    }
}
