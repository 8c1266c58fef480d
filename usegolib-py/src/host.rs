//! Python callables called from Go (docs/abi.md section 10, docs/adr/0010): the host-object
//! table, the call records that carry a callback's exception back to the caller of the outer Go
//! function, and the process's host handler.
//!
//! * **Table.** A callable passed for a func parameter gets an id (from 1, never reused) and an
//!   entry holding it and its converters, in a slot with the last call it was passed in; the table's
//!   reference keeps it alive until Go releases the id (op 2). Releases take no GIL: the
//!   entries' Python references are dropped through pyo3's pending-decref pool. The same
//!   callable passed again for the same func type while Go holds it keeps its id (one more
//!   pass; Go's release says how many passes it ends, docs/abi.md section 10.4). A callable
//!   lent to a call (docs/abi.md section 10.9) gets none of this: `fast::detach_for_go` lends
//!   it, and its callbacks find it on their thread (`call_lent`, `fast::attach_lent`).
//! * **Call records.** Each Go call pushes a slot on its thread's stack; a callback's exception
//!   goes to the record of the call it belongs to (the innermost one of the thread it runs on,
//!   else the one its callable was registered in, while that call runs), and the call raises
//!   it when Go returns. Outside any call it goes to `sys.unraisablehook`.
//! * **Shutdown.** `host_close` (an atexit hook) refuses new host requests and waits, at most
//!   1 s, for those inside Python.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::types::{PyList, PySequence, PyTuple};
use usegolib_abi::{validate, write_array_len, write_nil, Limits, Reader, Token, Value};
use usegolib_loader::{host_error, GoModule, HostHandler, ScalarCall, ScalarOutcome};

use crate::convert::{Callback, CallbackSig, Converter, Encoder};
use crate::fast::{call_vector, LENT};

/// One host object: a Python callable Go holds, or the methods of an object implementing a Go
/// interface (by method index, docs/abi.md section 10.7).
struct Entry {
    id: u64,
    methods: Vec<(Py<PyAny>, Arc<Callback>)>,
    module: Arc<GoModule>,
    /// Its key in [`Tables::reuse`] (a callable for a func type), else none.
    key: Option<ReuseKey>,
}

/// What the table holds for an id: its entry and what changes with each pass, under the
/// table's lock only (a callable passed again takes that one lock, no lock or atomic count of
/// its own).
struct Slot {
    entry: Arc<Entry>,
    /// The last call it was passed in (for a callback from another thread during that call).
    call: Option<Arc<CallRecord>>,
    /// The times its id was sent to Go and not yet released.
    passes: u64,
}

/// A callable, the func type it is passed for and the module: passed again while Go holds it,
/// it keeps its id (docs/abi.md section 10.4).
type ReuseKey = (usize, usize, usize);

/// Ids are sequential and addresses aligned, so a multiplicative hash spreads them (no SipHash
/// per lookup).
#[derive(Default)]
struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8 | u64::from(*b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u64(&mut self, id: u64) {
        self.0 = id.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    /// The addresses of a [`ReuseKey`], mixed in turn.
    fn write_usize(&mut self, a: usize) {
        self.0 = (self.0.rotate_left(26) ^ a as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

type Table = HashMap<u64, Slot, std::hash::BuildHasherDefault<IdHasher>>;

#[derive(Default)]
struct Tables {
    entries: Table,
    /// The id of each callable Go holds for a func type, to pass again.
    reuse: HashMap<ReuseKey, u64, std::hash::BuildHasherDefault<IdHasher>>,
}

impl Tables {
    /// Ends `n` passes of `id`; the entry goes when none is left, and is returned to be
    /// dropped after the lock.
    fn release(&mut self, id: u64, n: u64) -> Option<Slot> {
        let slot = self.entries.get_mut(&id)?;
        slot.passes = slot.passes.saturating_sub(n);
        if slot.passes > 0 {
            return None;
        }
        let slot = self.entries.remove(&id)?;
        RELEASES.fetch_add(1, Ordering::Release);
        if let Some(key) = slot.entry.key {
            if self.reuse.get(&key) == Some(&id) {
                self.reuse.remove(&key);
            }
        }
        Some(slot)
    }

    /// The entry of `id`, if the host still holds it.
    fn entry(&self, id: u64) -> Option<Arc<Entry>> {
        self.entries.get(&id).map(|s| s.entry.clone())
    }
}

static TABLE: LazyLock<Mutex<Tables>> = LazyLock::new(Default::default);
static NEXT_ID: AtomicU64 = AtomicU64::new(1);
/// The number of entries released so far: a thread's [`Thread::hot`] entry is used only while
/// this has not changed since it was looked up.
static RELEASES: AtomicU64 = AtomicU64::new(0);
static CLOSED: AtomicBool = AtomicBool::new(false);
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// The state of one Go call, as its callbacks see it.
pub struct CallRecord {
    /// The first exception a callback of this call raised.
    exc: Mutex<Option<PyErr>>,
    /// An exception was stored in `exc` (read by `end` without the lock).
    has_exc: AtomicBool,
    /// The call has returned: later callbacks are outside any call.
    returned: AtomicBool,
}

impl CallRecord {
    fn new() -> CallRecord {
        CallRecord {
            exc: Mutex::new(None),
            has_exc: AtomicBool::new(false),
            returned: AtomicBool::new(false),
        }
    }

    /// Marks the call returned and takes the exception a callback stored in it. With `store`,
    /// a Dekker pair (each side sets its flag, then reads the other's, all `SeqCst`): either
    /// this sees `has_exc` and takes the exception under the lock, or `store` sees `returned`
    /// and takes its exception back (to report it as unraisable), or both, when only one of
    /// them finds it (the lock orders them); never neither. So an exception from another thread
    /// is never stored into a call that has returned and lost, and a call no callback failed
    /// in ends with one atomic store, no lock.
    fn end(&self) -> Option<PyErr> {
        self.returned.store(true, Ordering::SeqCst);
        if !self.has_exc.load(Ordering::SeqCst) {
            return None;
        }
        self.exc.lock().take()
    }

    /// Stores `e`, a callback's exception, for the call to raise; gives it back when the call
    /// has returned (see `end`) or already has one.
    fn store(&self, e: PyErr) -> Result<(), PyErr> {
        let mut slot = self.exc.lock();
        if slot.is_some() || self.returned.load(Ordering::SeqCst) {
            return Err(e);
        }
        *slot = Some(e);
        self.has_exc.store(true, Ordering::SeqCst);
        if self.returned.load(Ordering::SeqCst) {
            // The call returned meanwhile, and `end` may have missed the flag.
            return Err(slot.take().expect("stored above"));
        }
        Ok(())
    }
}

/// A Go call of this thread: its record (made when first needed) and where its registered ids
/// start in [`Thread::registered`].
type CallSlot = (Option<Arc<CallRecord>>, usize);

/// This thread's callback bookkeeping, in one thread-local so that a call reaches all of it
/// with one lookup (in a shared library each thread-local access is a call to
/// `__tls_get_addr`).
struct Thread {
    /// The Go calls this thread is in, innermost last.
    calls: RefCell<Vec<CallSlot>>,
    /// A record no one holds any more, for this thread's next call (no allocation per call).
    spare: Cell<Option<Arc<CallRecord>>>,
    /// The host objects passed while this thread's calls converted their arguments, the
    /// innermost call's last (no allocation per call), and whether each was new.
    registered: RefCell<Vec<(u64, bool)>>,
    /// The last return value of a callable run on this thread whose reply may name Go objects
    /// (handles): kept until Go has read that reply, since dropping a `GoObject` releases its
    /// handle. Go reads a reply before its goroutine sends another request, so the value is
    /// dropped when the next request on this thread has its own, or when this thread's Go call
    /// returns.
    kept: RefCell<Option<Py<PyAny>>>,
    /// The entry of the last scalar callback that ran on this thread, with [`RELEASES`] when
    /// it was looked up: the next callback of the same host object in the same Go call finds
    /// it with no lock and no reference count. Moved out while its callback runs. Dropped when
    /// an entry has been released since (by the next callback, or a nested call's end), when
    /// this thread's outermost Go call ends ([`CallScope::finish`]), and when a worker thread
    /// ends the call it ran for its caller ([`within_call`]).
    hot: Cell<Option<(Arc<Entry>, u64)>>,
}

thread_local! {
    static THREAD: Thread = const {
        Thread {
            calls: RefCell::new(Vec::new()),
            spare: Cell::new(None),
            registered: RefCell::new(Vec::new()),
            kept: RefCell::new(None),
            hot: Cell::new(None),
        }
    };
}

fn calls<R>(f: impl FnOnce(&RefCell<Vec<CallSlot>>) -> R) -> R {
    THREAD.with(|t| f(&t.calls))
}

fn registered<R>(f: impl FnOnce(&RefCell<Vec<(u64, bool)>>) -> R) -> R {
    THREAD.with(|t| f(&t.registered))
}

/// How many threads keep a value in [`Thread::kept`]: while none does, a callback whose result
/// cannot name a Go object (the scalar form's) has nothing to drop and skips the thread-local.
static KEPT: AtomicUsize = AtomicUsize::new(0);

/// Replaces this thread's kept value (see [`Thread::kept`]) and returns the one before.
fn swap_kept(t: &Thread, v: Option<Py<PyAny>>) -> Option<Py<PyAny>> {
    let now = v.is_some();
    let before = t.kept.replace(v);
    match (before.is_some(), now) {
        (false, true) => {
            KEPT.fetch_add(1, Ordering::Relaxed);
        }
        (true, false) => {
            KEPT.fetch_sub(1, Ordering::Relaxed);
        }
        _ => {}
    }
    before
}

/// Takes this thread's kept value (its Go call returned: Go has read every reply).
#[inline]
fn take_kept(t: &Thread) -> Option<Py<PyAny>> {
    let v = t.kept.take();
    if v.is_some() {
        KEPT.fetch_sub(1, Ordering::Relaxed);
    }
    v
}

/// Drops the value kept by an earlier callback of this thread, if any: a callback whose result
/// holds no Go object (a scalar result) needs none kept. Without the thread-local when no thread
/// keeps one.
fn clear_kept() {
    if KEPT.load(Ordering::Relaxed) != 0 {
        drop(THREAD.with(take_kept));
    }
}

/// Keeps `v`, the return value whose conversion is `reply`, while Go reads the reply (see
/// [`Thread::kept`]), and drops the one kept before. Values that cannot hold a Go object are not kept;
/// others are when the reply has the bytes of a handle (`d7 01`, maybe by chance).
fn keep_result(v: Bound<'_, PyAny>, reply: &[u8]) {
    use pyo3::types::{PyBool, PyBytes, PyFloat, PyInt, PyString};
    let scalar = v.is_none()
        || v.is_instance_of::<PyBool>()
        || v.is_instance_of::<PyInt>()
        || v.is_instance_of::<PyFloat>()
        || v.is_instance_of::<PyString>()
        || v.is_instance_of::<PyBytes>();
    let keep = !scalar && reply.windows(2).any(|w| w == [0xd7, 0x01]);
    let before = THREAD.with(|t| swap_kept(t, keep.then(|| v.unbind())));
    drop(before);
}

/// The innermost call of this thread, made on first need.
fn current() -> Option<Arc<CallRecord>> {
    THREAD.with(current_in)
}

/// [`current`] with this thread's bookkeeping at hand.
fn current_in(t: &Thread) -> Option<Arc<CallRecord>> {
    t.calls.borrow_mut().last_mut().map(|(slot, _)| {
        slot.get_or_insert_with(|| {
            t.spare
                .take()
                .unwrap_or_else(|| Arc::new(CallRecord::new()))
        })
        .clone()
    })
}

/// The record of this thread's innermost call, made now if need be: for the worker thread that
/// runs a call on its caller's behalf (`watch.rs`, a call with a bridge-made context).
pub fn current_call() -> Option<Arc<CallRecord>> {
    current()
}

/// Runs `f` (a worker thread sending its caller's request) as part of call `rec`: a callback
/// that arrives on this thread meanwhile belongs to that call, and may unwind to its recover,
/// as on the caller's own thread.
pub fn within_call<R>(rec: Option<Arc<CallRecord>>, f: impl FnOnce() -> R) -> R {
    struct Pop(usize);
    impl Drop for Pop {
        fn drop(&mut self) {
            calls(|c| c.borrow_mut().pop());
            registered(|r| r.borrow_mut().truncate(self.0));
            // Go has read the replies of this worker's callbacks, and the entry of its last
            // scalar callback must not keep a callable Go may release while the worker idles in
            // its pool (both dropped without the GIL: pyo3 queues the decrefs; the caller's
            // thread may be waiting for this one with the GIL held).
            drop(THREAD.with(|t| (take_kept(t), t.hot.take())));
        }
    }
    let Some(rec) = rec else {
        return f();
    };
    let start = registered(|r| r.borrow().len());
    calls(|c| c.borrow_mut().push((Some(rec), start)));
    let _pop = Pop(start);
    f()
}

/// Set in an id [`register`] returns when the id is passed again (written as ext type 5).
pub const AGAIN: u64 = 1 << 63;

/// Registers `obj` (a callable) for the func type `cb` and returns its id: the id it already
/// has for that type when Go still holds it and no other running call passed it (one more pass
/// of the id, docs/abi.md section 10.4; returned with [`AGAIN`]), else a new one.
pub fn register(obj: &Bound<'_, PyAny>, cb: &Arc<Callback>, module: &Arc<GoModule>) -> u64 {
    let key = (
        obj.as_ptr() as usize,
        Arc::as_ptr(cb) as usize,
        Arc::as_ptr(module) as usize,
    );
    // One thread-local lookup for this thread's call, its spare record and its registered ids.
    let again = THREAD.with(|t| {
        let call = current_in(t);
        let mut table = TABLE.lock();
        let tables = &mut *table;
        if let Some((id, slot)) = tables
            .reuse
            .get(&key)
            .and_then(|&id| Some((id, tables.entries.get_mut(&id)?)))
        {
            let free = match (&slot.call, &call) {
                (None, _) => true,
                (Some(l), Some(c)) if Arc::ptr_eq(l, c) => true,
                (Some(l), _) => l.returned.load(Ordering::SeqCst),
            };
            if free {
                let in_call = call.is_some();
                let old = std::mem::replace(&mut slot.call, call);
                slot.passes += 1;
                drop(table);
                spare_in(t, old);
                if in_call {
                    t.registered.borrow_mut().push((id, false));
                }
                return Ok(id | AGAIN);
            }
        }
        Err(call)
    });
    let call = match again {
        Ok(id) => return id,
        Err(call) => call,
    };
    // Only a new id holds the func type (a pass again costs no reference count).
    insert(
        vec![(obj.clone().unbind(), cb.clone())],
        module,
        call,
        Some(key),
    )
}

/// Keeps `rec`, a record of a call that returned, for this thread's next call when no one else
/// holds it (its exception was taken when the call returned).
fn spare_in(t: &Thread, rec: Option<Arc<CallRecord>>) {
    let Some(rec) = rec else { return };
    // The only reference (no `Weak` is ever made of a record, so no other can appear): the
    // count is read without `Arc::get_mut`'s compare-and-swap, and the fence pairs with the
    // release of the reference dropped last, so what its holder did is seen here. A record
    // that ever held an exception is not reused.
    if Arc::strong_count(&rec) == 1 {
        std::sync::atomic::fence(Ordering::Acquire);
        if rec.returned.load(Ordering::Relaxed) && !rec.has_exc.load(Ordering::Relaxed) {
            rec.returned.store(false, Ordering::Relaxed);
            t.spare.set(Some(rec));
        }
    }
}

/// Registers callables for the methods of an interface, by method index, and returns the id.
pub fn register_methods(methods: Vec<(Py<PyAny>, Arc<Callback>)>, module: &Arc<GoModule>) -> u64 {
    insert(methods, module, current(), None)
}

fn insert(
    methods: Vec<(Py<PyAny>, Arc<Callback>)>,
    module: &Arc<GoModule>,
    call: Option<Arc<CallRecord>>,
    key: Option<ReuseKey>,
) -> u64 {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    if call.is_some() {
        registered(|r| r.borrow_mut().push((id, true)));
    }
    let entry = Arc::new(Entry {
        id,
        methods,
        module: module.clone(),
        key,
    });
    let slot = Slot {
        entry,
        call,
        passes: 1,
    };
    let mut table = TABLE.lock();
    table.entries.insert(id, slot);
    if let Some(key) = key {
        table.reuse.insert(key, id);
    }
    id
}

/// The number of host objects Go holds (or may still hold).
pub fn live() -> usize {
    TABLE.lock().entries.len()
}

/// One Go call of this thread, from before its arguments are converted until its reply is read.
pub struct CallScope(());

impl CallScope {
    #[inline]
    pub fn enter() -> CallScope {
        THREAD.with(|t| {
            let start = t.registered.borrow().len();
            t.calls.borrow_mut().push((None, start));
        });
        CallScope(())
    }

    /// Ends the call: `ran` is false when Go never ran the function (its arguments were refused
    /// by Go, or were never sent when `sent` is false), so the callables registered for it are
    /// dropped at once. A callable passed again (an id Go already held) loses this pass only
    /// when it was never sent: when Go refused the arguments, it may have read it (and counts
    /// the pass in its release). A callback's exception replaces the call's own result, with
    /// what Go made of it in its notes.
    pub fn finish<T>(
        self,
        _py: Python<'_>,
        result: PyResult<T>,
        ran: bool,
        sent: bool,
    ) -> PyResult<T> {
        let ((rec, start), kept, stale) = THREAD.with(|t| {
            let call = t.calls.borrow_mut().pop().unwrap_or((None, 0));
            if ran && call.0.is_some() {
                // Go ran the call: it keeps (and will release) every callable passed in it.
                t.registered.borrow_mut().truncate(call.1);
            }
            // The last callback's entry: dropped when this thread's outermost Go call ends (a
            // callable Go released must not stay alive in it: the thread may make no callback
            // again), and when an entry has been released since, past a nested call that passed
            // a callable or ran a callback.
            let stale = if t.calls.borrow().is_empty() {
                t.hot.take()
            } else if call.0.is_some() {
                match t.hot.take() {
                    Some(hot) if hot.1 != RELEASES.load(Ordering::Relaxed) => Some(hot),
                    hot => {
                        t.hot.set(hot);
                        None
                    }
                }
            } else {
                None
            };
            (call, take_kept(t), stale)
        });
        if let Some((entry, _)) = stale {
            // The last reference (Go released the callable): its `Py` is dropped now, under
            // pyo3's attach, not queued in pyo3's pool until some later attach.
            if Arc::strong_count(&entry) == 1 {
                Python::attach(|_| drop(entry));
            }
        }
        std::mem::forget(self);
        if kept.is_none() && (ran || rec.is_none()) {
            // Nothing to release and no Python reference to drop: only the record (when a
            // callable was passed or a callback ran) is marked returned, without pyo3's attach
            // unless a callback's exception must be raised.
            let Some(exc) = rec.and_then(|rec| rec.end()) else {
                return result;
            };
            return Python::attach(|py| Self::raise(py, exc, result));
        }
        // The scalar form's fast entry (fast.rs) runs without pyo3's attach count: what is
        // dropped from here on is released now, not queued in pyo3's pool.
        Python::attach(|py| Self::finish_slow(py, result, ran, sent, rec, start, kept))
    }

    /// [`CallScope::finish`] when a callback ran or a value was kept.
    fn finish_slow<T>(
        py: Python<'_>,
        result: PyResult<T>,
        ran: bool,
        sent: bool,
        rec: Option<Arc<CallRecord>>,
        start: usize,
        kept: Option<Py<PyAny>>,
    ) -> PyResult<T> {
        // Go has read every reply of this call's callbacks on this thread.
        drop(kept);
        let Some(rec) = rec else {
            return result;
        };
        // When Go ran the call, `finish` has dropped its ids already (Go keeps them all).
        let ids: Vec<(u64, bool)> = if ran {
            Vec::new()
        } else {
            registered(|r| {
                let mut r = r.borrow_mut();
                let start = start.min(r.len());
                r.drain(start..).collect()
            })
        };
        if !ids.is_empty() {
            let mut table = TABLE.lock();
            let dropped: Vec<_> = ids
                .iter()
                .filter_map(|&(id, new)| match (new, sent) {
                    (true, _) => table.release(id, u64::MAX),
                    (false, false) => table.release(id, 1),
                    (false, true) => None,
                })
                .collect();
            drop(table);
            drop(dropped);
        }
        // Marked returned after the refused ids are gone: until now no other call may pass them
        // again.
        match rec.end() {
            Some(exc) => Self::raise(py, exc, result),
            None => result,
        }
    }

    /// The call's result replaced by `exc`, a callback's exception, with what Go made of the
    /// call in its notes.
    fn raise<T>(py: Python<'_>, exc: PyErr, result: PyResult<T>) -> PyResult<T> {
        let note = match &result {
            Ok(_) => "the Go function returned normally after this callback raised".to_owned(),
            Err(e) => format!("the Go function then failed: {e}"),
        };
        let _ = exc.value(py).call_method1("add_note", (note,));
        Err(exc)
    }
}

impl Drop for CallScope {
    fn drop(&mut self) {
        calls(|c| {
            if let Some((rec, start)) = c.borrow_mut().pop() {
                registered(|r| r.borrow_mut().truncate(start));
                if let Some(rec) = rec {
                    rec.returned.store(true, Ordering::SeqCst);
                }
            }
        });
    }
}

/// Marks the host closed (at interpreter exit) and waits, with the GIL released, at most 1 s
/// for the host requests already inside Python.
#[pyfunction]
pub fn host_close(py: Python<'_>) {
    CLOSED.store(true, Ordering::SeqCst);
    py.detach(|| {
        let until = Instant::now() + Duration::from_secs(1);
        while IN_FLIGHT.load(Ordering::SeqCst) > 0 && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
}

/// The number of Python callables Go holds (host objects not yet released).
#[pyfunction]
pub fn host_objects_live() -> usize {
    live()
}

/// The binding's host handler.
pub struct PyHost;

/// Decrements [`IN_FLIGHT`] when a request leaves.
struct InFlight;

/// Counts a host request in flight ([`host_close`] waits for those inside Python) and returns
/// its guard; None, with `host_unavailable` in `out`, once the host closed.
fn enter_host(out: &mut Vec<u8>) -> Option<InFlight> {
    IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
    let leave = InFlight;
    if CLOSED.load(Ordering::SeqCst) {
        unavailable(out);
        return None;
    }
    Some(leave)
}

/// The result of a lent callable's callback (`fast::attach_lent`), or None with its failure in
/// `out`: no callable lent at its place on this thread, or no interpreter to attach to.
fn lent_done<R>(done: Option<Option<R>>, id: u64, out: &mut Vec<u8>) -> Option<R> {
    match done {
        Some(Some(r)) => Some(r),
        None => {
            unknown(out, id);
            None
        }
        Some(None) => {
            unavailable(out);
            None
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
    }
}

fn uint(r: &mut Reader<'_>) -> Option<u64> {
    match r.next_token().ok()? {
        Token::Int(i) => u64::try_from(i).ok(),
        Token::Uint(u) => Some(u),
        _ => None,
    }
}

fn array(r: &mut Reader<'_>) -> Option<u32> {
    match r.next_token().ok()? {
        Token::Array(n) => Some(n),
        _ => None,
    }
}

impl HostHandler for PyHost {
    fn call(&self, _module: &str, req: &[u8], out: &mut Vec<u8>) {
        if let Err(e) = validate(req, &Limits::ABI) {
            return host_error(out, "malformed", &format!("bad host request: {e}"), vec![]);
        }
        let mut r = Reader::new(req);
        let header = (|| {
            if array(&mut r)? != 5 || uint(&mut r)? != 1 {
                return None;
            }
            Some((uint(&mut r)?, uint(&mut r)?, uint(&mut r)?, array(&mut r)?))
        })();
        let Some((op, id, method, nargs)) = header else {
            return host_error(
                out,
                "malformed",
                "bad host request: not [1, op, id, method, args]",
                vec![],
            );
        };
        match op {
            2 => {
                // Each an id (one pass) or [id, n] (n passes).
                let mut ids = Vec::with_capacity(nargs as usize);
                for _ in 0..nargs {
                    let one = match r.next_token() {
                        Ok(Token::Uint(id)) => Some((id, 1)),
                        Ok(Token::Int(id)) => u64::try_from(id).ok().map(|id| (id, 1)),
                        Ok(Token::Array(2)) => uint(&mut r).zip(uint(&mut r)),
                        _ => None,
                    };
                    match one {
                        Some(one) => ids.push(one),
                        None => return host_error(out, "malformed", "bad release", vec![]),
                    }
                }
                // Dropped after the lock, without the GIL: pyo3 queues the decrefs.
                let mut table = TABLE.lock();
                let dropped: Vec<_> = ids
                    .iter()
                    .filter_map(|&(id, n)| table.release(id, n))
                    .collect();
                drop(table);
                drop(dropped);
                out.clear();
                write_array_len(out, 2);
                out.push(0);
                write_nil(out);
            }
            0 if id & LENT != 0 => {
                // A callable lent to a call of this thread (docs/abi.md section 10.9).
                let Some(_leave) = enter_host(out) else {
                    return;
                };
                let done = crate::fast::attach_lent(id & !LENT, |py, f, cb, module| {
                    if method != 0 {
                        return host_error(
                            out,
                            "bad_argument",
                            &format!("no method {method}"),
                            vec![],
                        );
                    }
                    run_one(py, f, cb, module, id, &mut r, nargs, out)
                });
                lent_done(done, id, out);
            }
            0 => {
                let entry = TABLE.lock().entry(id);
                let Some(entry) = entry else {
                    return unknown(out, id);
                };
                let Some(_leave) = enter_host(out) else {
                    return;
                };
                let done = Python::try_attach(|py| run(py, &entry, method, &mut r, nargs, out));
                if done.is_none() {
                    unavailable(out);
                }
            }
            _ => host_error(
                out,
                "unsupported_op",
                &format!("host op {op} is not supported"),
                vec![("op".into(), Value::Int(op as i64))],
            ),
        }
    }

    /// A callable whose func type has only bools, ints and floats, called without MessagePack
    /// (docs/abi.md section 10.8); anything else is refused (Go then sends the general form).
    /// The steps and the failures are the general form's.
    fn call_scalar(&self, _module: &str, call: ScalarCall<'_>, out: &mut Vec<u8>) -> ScalarOutcome {
        if call.id & LENT != 0 {
            return call_lent(call, out);
        }
        // This thread's last callback's entry when it is the same host object and nothing was
        // released since; else the table's.
        let releases = RELEASES.load(Ordering::Acquire);
        let entry = match THREAD.with(|t| t.hot.take()) {
            Some((e, r)) if e.id == call.id && r == releases => Some(e),
            _ => TABLE.lock().entry(call.id),
        };
        let Some(entry) = entry else {
            unknown(out, call.id);
            return ScalarOutcome::Failed;
        };
        let hot = HotEntry(Some((entry, releases)));
        let entry = hot.get();
        let method = usize::try_from(call.method)
            .ok()
            .and_then(|m| entry.methods.get(m));
        let Some((obj, cb)) = method else {
            return ScalarOutcome::Refused;
        };
        let Some(sig) = scalar_sig(cb, &call) else {
            return ScalarOutcome::Refused;
        };
        let Some(_leave) = enter_host(out) else {
            return ScalarOutcome::Failed;
        };
        let (id, words) = (call.id, call.words);
        let done = crate::fast::attach_callback(|py| {
            serve_scalar(py, sig, cb, &entry.module, id, obj.bind(py), words, out)
        });
        done.unwrap_or_else(|| {
            unavailable(out);
            ScalarOutcome::Failed
        })
    }
}

/// The signature of `cb` when Go may call it in the scalar form as `call` does.
fn scalar_sig<'c>(cb: &'c Callback, call: &ScalarCall<'_>) -> Option<&'c CallbackSig> {
    match &cb.sig {
        Ok(sig)
            if sig.scalar
                && sig.params.len() == call.nargs
                && sig.results.len() == call.nresults =>
        {
            Some(sig)
        }
        _ => None,
    }
}

/// A scalar callback of a callable lent to a call of this thread (docs/abi.md section 10.9):
/// found on this thread with no table, no lock and no reference count.
fn call_lent(call: ScalarCall<'_>, out: &mut Vec<u8>) -> ScalarOutcome {
    let Some(_leave) = enter_host(out) else {
        return ScalarOutcome::Failed;
    };
    let id = call.id;
    let done = crate::fast::attach_lent(id & !LENT, |py, f, cb, module| {
        match scalar_sig(cb, &call).filter(|_| call.method == 0) {
            Some(sig) => serve_scalar(py, sig, cb, module, id, f, call.words, out),
            None => ScalarOutcome::Refused,
        }
    });
    lent_done(done, id, out).unwrap_or(ScalarOutcome::Failed)
}

/// Runs a scalar callback with the GIL held: the callable `f` of host object `id`, func type
/// `cb`, on the words.
#[allow(clippy::too_many_arguments)]
fn serve_scalar(
    py: Python<'_>,
    sig: &CallbackSig,
    cb: &Callback,
    module: &Arc<GoModule>,
    id: u64,
    f: &Bound<'_, PyAny>,
    words: &mut [u64],
    out: &mut Vec<u8>,
) -> ScalarOutcome {
    match run_scalar(py, sig, cb, module, f, words, out) {
        Ok(()) => ScalarOutcome::Done,
        Err(e) => {
            failed(py, id, f, e, out);
            ScalarOutcome::Failed
        }
    }
}

/// The entry a scalar callback runs, put back as this thread's [`Thread::hot`] when the
/// callback ends (a nested callback's, put there meanwhile, is dropped), only on a thread inside
/// a Go call (whose end drops it: [`CallScope::finish`], or [`within_call`] on a worker): a Go
/// thread's callbacks keep none, so that nothing keeps a callable there after Go released it.
struct HotEntry(Option<(Arc<Entry>, u64)>);

impl HotEntry {
    fn get(&self) -> &Entry {
        &self.0.as_ref().expect("taken only on drop").0
    }
}

impl Drop for HotEntry {
    fn drop(&mut self) {
        let hot = self.0.take();
        drop(THREAD.with(|t| {
            if t.calls.borrow().is_empty() {
                hot
            } else {
                t.hot.replace(hot)
            }
        }));
    }
}

/// The `unknown_host_object` reply for `id`.
fn unknown(out: &mut Vec<u8>, id: u64) {
    let message = if id & LENT != 0 {
        format!(
            "no Python callable lent at place {} on this thread: a callable lent to a Go call \
             is called only during that call, on its thread (docs/abi.md section 10.9)",
            id & !LENT
        )
    } else {
        format!("no Python callable with id {id}: it was released")
    };
    host_error(
        out,
        "unknown_host_object",
        &message,
        vec![("id".into(), Value::Int(id as i64))],
    );
}

/// The Python value of an argument word of a scalar call (docs/abi.md section 10.8).
fn word_arg<'py>(py: Python<'py>, conv: &Converter, w: u64) -> PyResult<Bound<'py, PyAny>> {
    Ok(match conv {
        Converter::Bool => pyo3::types::PyBool::new(py, w != 0).to_owned().into_any(),
        Converter::Int(t) if t.signed => (w as i64).into_pyobject(py)?.into_any(),
        Converter::Int(_) => w.into_pyobject(py)?.into_any(),
        _ => f64::from_bits(w).into_pyobject(py)?.into_any(),
    })
}

/// The word of `v`, a result of type `conv`, when it is exactly a bool, an int or a float64 that
/// the general conversion takes as it is; else none (the general conversion decides).
fn plain_word(conv: &Converter, v: &Bound<'_, PyAny>) -> Option<u64> {
    use pyo3::types::{PyBool, PyFloat, PyInt};
    match conv {
        Converter::Int(t) if v.is_exact_instance_of::<PyInt>() => {
            let i = v.extract::<i64>().ok()?;
            (i128::from(i) >= t.min() && i128::from(i) <= t.max()).then_some(i as u64)
        }
        Converter::F64 => Some(v.cast_exact::<PyFloat>().ok()?.value().to_bits()),
        Converter::Bool => Some(u64::from(v.cast_exact::<PyBool>().ok()?.is_true())),
        _ => None,
    }
}

/// Reads the `n` results the general conversion wrote in `out` (an array of them when n >= 2)
/// into `words`.
fn read_words(out: &[u8], n: usize, words: &mut [u64]) -> Option<()> {
    let mut r = Reader::new(out);
    if n >= 2 {
        r.next_token().ok()?;
    }
    for w in words.iter_mut().take(n) {
        *w = match r.next_token().ok()? {
            Token::Bool(b) => u64::from(b),
            Token::Int(i) => i as u64,
            Token::Uint(u) => u,
            Token::F32(x) => f64::from(x).to_bits(),
            Token::F64(x) => x.to_bits(),
            _ => return None,
        };
    }
    Some(())
}

/// Calls the callable of a scalar call with its argument words, and writes its results over
/// them: converted as the general form converts them (the same checks and messages), then read
/// back as words. `out` is scratch, left empty.
fn run_scalar(
    py: Python<'_>,
    sig: &CallbackSig,
    cb: &Callback,
    module: &Arc<GoModule>,
    f: &Bound<'_, PyAny>,
    words: &mut [u64],
    out: &mut Vec<u8>,
) -> PyResult<()> {
    let v = match sig.params.as_slice() {
        [] => f.call0()?,
        [p] => call_vector(f, &[word_arg(py, p, words[0])?])?,
        [p, q] => call_vector(f, &[word_arg(py, p, words[0])?, word_arg(py, q, words[1])?])?,
        ps => {
            let args = ps
                .iter()
                .zip(words.iter())
                .map(|(p, &w)| word_arg(py, p, w))
                .collect::<PyResult<Vec<_>>>()?;
            call_vector(f, &args)?
        }
    };
    // Exact bools, ints and floats that fit: their words at once; anything else converted
    // as the general form converts it, with its checks and messages.
    let plain = match sig.results.as_slice() {
        [] => true,
        [one] => plain_word(one, &v).map(|w| words[0] = w).is_some(),
        many => v.cast::<PyTuple>().ok().is_some_and(|t| {
            t.len() == many.len()
                && many
                    .iter()
                    .zip(t.iter())
                    .zip(words.iter_mut())
                    .all(|((conv, item), w)| plain_word(conv, &item).map(|x| *w = x).is_some())
        }),
    };
    if !plain {
        out.clear();
        results(sig, cb, module, &v, out)?;
        read_words(out, sig.results.len(), words).ok_or_else(|| {
            pyo3::exceptions::PyTypeError::new_err(format!(
                "the Python callable for {} returned a value that is not a scalar",
                cb.go
            ))
        })?;
    }
    out.clear();
    // A scalar result names no Go object: nothing to keep, only an earlier kept value to drop.
    drop(v);
    clear_kept();
    Ok(())
}

fn unavailable(out: &mut Vec<u8>) {
    host_error(
        out,
        "host_unavailable",
        "the Python interpreter is shutting down",
        vec![],
    );
}

/// Calls the entry's callable with the request's arguments and writes the reply.
fn run(
    py: Python<'_>,
    entry: &Entry,
    method: u64,
    r: &mut Reader<'_>,
    nargs: u32,
    out: &mut Vec<u8>,
) {
    let Some((obj, cb)) = usize::try_from(method)
        .ok()
        .and_then(|m| entry.methods.get(m))
    else {
        return host_error(out, "bad_argument", &format!("no method {method}"), vec![]);
    };
    run_one(py, obj.bind(py), cb, &entry.module, entry.id, r, nargs, out)
}

/// Calls `f`, the callable of host object `id` for func type `cb`, with the request's
/// arguments and writes the reply.
#[allow(clippy::too_many_arguments)]
fn run_one(
    py: Python<'_>,
    f: &Bound<'_, PyAny>,
    cb: &Callback,
    module: &Arc<GoModule>,
    id: u64,
    r: &mut Reader<'_>,
    nargs: u32,
    out: &mut Vec<u8>,
) {
    let Ok(sig) = &cb.sig else {
        return host_error(out, "bad_argument", "not a callable func type", vec![]);
    };
    if nargs as usize != sig.params.len() {
        return host_error(
            out,
            "arity",
            &format!("{} takes {} arguments", cb.go, sig.params.len()),
            vec![],
        );
    }
    if let ([conv], false) = (sig.params.as_slice(), sig.variadic) {
        // One argument (the common case): no argument vector.
        let result = conv.decode(py, r, module).and_then(|a| {
            let v = call_vector(f, &[a.into_bound(py)])?;
            out.clear();
            write_array_len(out, 2);
            out.push(0);
            results(sig, cb, module, &v, out)?;
            keep_result(v, out);
            Ok(())
        });
        if let Err(e) = result {
            failed(py, id, f, e, out);
        }
        return;
    }
    let result = args(py, sig, module, r).and_then(|args| {
        // One or two arguments: a vectorcall, no argument tuple.
        let v = match args.as_slice() {
            [] => f.call0()?,
            args => call_vector(f, args)?,
        };
        out.clear();
        write_array_len(out, 2);
        out.push(0);
        results(sig, cb, module, &v, out)?;
        keep_result(v, out);
        Ok(())
    });
    if let Err(e) = result {
        failed(py, id, f, e, out);
    }
}

/// The Python arguments: each converted as a result is; a variadic list spread.
fn args<'py>(
    py: Python<'py>,
    sig: &CallbackSig,
    module: &Arc<GoModule>,
    r: &mut Reader<'_>,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let mut args = Vec::with_capacity(sig.params.len());
    for conv in &sig.params {
        args.push(conv.decode(py, r, module)?.into_bound(py));
    }
    if sig.variadic {
        if let Some(last) = args.pop() {
            if let Ok(list) = last.cast::<PyList>() {
                args.extend(list.iter());
            } else if !last.is_none() {
                args.push(last);
            }
        }
    }
    Ok(args)
}

/// Writes the callable's return value `v` as the func's results.
fn results(
    sig: &CallbackSig,
    cb: &Callback,
    module: &Arc<GoModule>,
    v: &Bound<'_, PyAny>,
    out: &mut Vec<u8>,
) -> PyResult<()> {
    let mut enc = Encoder::for_results(module);
    let what = |i: usize| format!("result {i} of the Python callable for {}", cb.go);
    match sig.results.as_slice() {
        [] => {
            write_nil(out);
            Ok(())
        }
        [one] => enc
            .arg(out, 2, one, v)
            .map_err(|e| e.into_pyerr(&what(0), "result")),
        many => {
            let seq = v.cast::<PySequence>().ok().filter(|s| {
                !v.is_instance_of::<pyo3::types::PyString>() && s.len().ok() == Some(many.len())
            });
            let Some(seq) = seq else {
                return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                    "the Python callable for {} must return a tuple of {} values, got {}",
                    cb.go,
                    many.len(),
                    crate::args::type_name(v)
                )));
            };
            write_array_len(out, many.len());
            for (i, conv) in many.iter().enumerate() {
                let item = seq.get_item(i)?;
                enc.arg(out, 3, conv, &item)
                    .map_err(|e| e.into_pyerr(&what(i), "result"))?;
            }
            Ok(())
        }
    }
}

/// A callback raised `e` (or its results did not convert): the exception goes to its call, or
/// to `sys.unraisablehook`; Go gets `python_exception`.
fn failed(py: Python<'_>, id: u64, obj: &Bound<'_, PyAny>, e: PyErr, out: &mut Vec<u8>) {
    let ty = e.get_type(py);
    let type_name = ty
        .qualname()
        .map(|q| q.to_string())
        .unwrap_or_else(|_| "Exception".into());
    let text = e.value(py).str().map(|s| s.to_string()).unwrap_or_default();
    let message = if text.is_empty() {
        type_name.clone()
    } else {
        format!("{type_name}: {text}")
    };
    // The innermost call of this thread: the request runs on the caller's thread, so a panic
    // unwinds to that call's recover. Else the call the callable was registered in.
    let (rec, unwind) = match current() {
        Some(rec) => (Some(rec), true),
        None => (
            TABLE
                .lock()
                .entries
                .get(&id)
                .and_then(|s| s.call.clone())
                .filter(|c| !c.returned.load(Ordering::SeqCst)),
            false,
        ),
    };
    match rec {
        Some(rec) => {
            // The call may have returned since it was looked up (a callable called from
            // another thread): then, or when it already has one, the exception is unraisable.
            if let Err(e) = rec.store(e) {
                e.write_unraisable(py, Some(obj));
            }
        }
        None => e.write_unraisable(py, Some(obj)),
    }
    host_error(
        out,
        "python_exception",
        &message,
        vec![
            ("type".into(), Value::Str(type_name)),
            ("unwind".into(), Value::Bool(unwind)),
        ],
    );
}
