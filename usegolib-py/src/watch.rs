//! Calls with a context the bridge made (docs/abi.md section 8.7): how Ctrl-C reaches them.
//!
//! Python runs signal handlers only on the main thread, between bytecodes, so a main thread
//! blocked in a Go call would see Ctrl-C only when the call returns. A call from the main
//! thread that carries a bridge-made context therefore runs on a worker thread, while the
//! calling thread waits with the GIL released, waking every [`POLL`] to run the signal
//! handlers. When one raises (KeyboardInterrupt on Ctrl-C), the call's contexts are cancelled
//! (op 3) and the call is waited for to its end, its reply decoded as usual; the exception is
//! raised then. Further exceptions from signal handlers while the call ends are dropped: one
//! call, one KeyboardInterrupt. A call from another thread (which never receives
//! KeyboardInterrupt) runs on its own thread, as every other call does.

use std::sync::mpsc::{
    channel, sync_channel, Receiver, RecvTimeoutError, SendError, Sender, SyncSender,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyBool;
use usegolib_loader::{GoModule, RawReply};

use crate::convert::Out;

/// How often the waiting thread runs Python's signal handlers.
pub const POLL: Duration = Duration::from_millis(5);

/// Sends the request in `req` for function `fid` of `module`, whose request carries the
/// bridge-made contexts `tokens`; returns the reply and the exception a signal handler raised
/// meanwhile, if any. The GIL is released while Go runs; `req` is the same buffer afterwards.
///
/// This is the one place that runs a call on another thread ([`Job`], [`dispatch`]). Whatever
/// of the calling thread's state Go code may reach through a callback must travel in the
/// [`Job`] and be installed by [`worker`] around `module.send`.
pub fn send(
    py: Python<'_>,
    module: &Arc<GoModule>,
    fid: usize,
    req: &mut Vec<u8>,
    tokens: &[u64],
) -> (usegolib_loader::Result<RawReply>, Option<PyErr>) {
    let f = &module.functions()[fid];
    if !on_main_thread(py) {
        return (py.detach(|| module.send(f, req)), None);
    }
    let (done, replies) = sync_channel(1);
    let job = Job {
        module: module.clone(),
        fid,
        req: std::mem::take(req),
        done,
        call: crate::host::current_call(),
    };
    let (reply, buf, raised) = py.detach(move || {
        dispatch(job);
        let mut raised: Option<PyErr> = None;
        loop {
            match replies.recv_timeout(POLL) {
                Ok((r, buf)) => return (r, buf, raised),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    let e = usegolib_loader::Error::NoReply {
                        function: f.qualified.clone(),
                    };
                    return (Err(e), Vec::new(), raised);
                }
            }
            let signal = Python::attach(|py| py.check_signals().err());
            if raised.is_none() {
                raised = signal;
            }
            if raised.is_some() {
                // Until the call returns: a call that had not yet read its context when the
                // first cancel came is cancelled by a later one.
                for &t in tokens {
                    let _ = module.cancel(t);
                }
            }
        }
    });
    *req = buf;
    (reply, raised)
}

/// A call for a worker thread: the request, and where its reply (with the request buffer,
/// for reuse) goes.
struct Job {
    module: Arc<GoModule>,
    fid: usize,
    req: Vec<u8>,
    done: SyncSender<(usegolib_loader::Result<RawReply>, Vec<u8>)>,
    /// The caller's call record: callbacks on the worker belong to the caller's call.
    call: Option<Arc<crate::host::CallRecord>>,
}

/// Idle worker threads, each waiting for its next job, and the process they belong to (after
/// a fork the child has none of them).
static IDLE: Mutex<(u32, Vec<Sender<Job>>)> = Mutex::new((0, Vec::new()));

/// Gives `job` to an idle worker thread, or to a new one when none is idle (the first call,
/// or a call made while another one runs, from a callback). Workers stay for the next call:
/// a Go call from a thread that Go has seen before costs less than from a new one.
fn dispatch(job: Job) {
    let pid = std::process::id();
    let idle = {
        let mut idle = IDLE.lock().unwrap_or_else(|e| e.into_inner());
        if idle.0 != pid {
            *idle = (pid, Vec::new());
        }
        idle.1.pop()
    };
    let job = match idle {
        Some(w) => match w.send(job) {
            Ok(()) => return,
            Err(SendError(job)) => job,
        },
        None => job,
    };
    let (tx, rx) = channel();
    let _ = tx.send(job);
    std::thread::Builder::new()
        .name("usegolib-call".into())
        .spawn(move || worker(&rx, &tx))
        .map(drop)
        .unwrap_or_else(|e| {
            // No thread: the job (and its reply channel) is dropped, and the caller sees a
            // call without a reply.
            eprintln!("usegolib: cannot start a call thread: {e}");
        });
}

/// A worker thread: runs the jobs it is given, one at a time, and waits in [`IDLE`] between.
fn worker(jobs: &Receiver<Job>, me: &Sender<Job>) {
    while let Ok(mut job) = jobs.recv() {
        let f = &job.module.functions()[job.fid];
        let reply = crate::host::within_call(job.call.take(), || job.module.send(f, &mut job.req));
        // Idle again before the reply goes: the caller's next call finds this thread (its
        // job waits in the channel until the loop comes back to it).
        {
            let mut idle = IDLE.lock().unwrap_or_else(|e| e.into_inner());
            if idle.0 == std::process::id() {
                idle.1.push(me.clone());
            }
        }
        let _ = job.done.send((reply, job.req));
    }
}

/// Whether this is Python's main thread (the one signal handlers run on). When that cannot
/// be told, it is taken to be (the call then runs on a worker, which is always correct).
fn on_main_thread(py: Python<'_>) -> bool {
    static MAIN: PyOnceLock<u64> = PyOnceLock::new();
    static GET_IDENT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let main = MAIN.get_or_try_init(py, || {
        py.import("threading")?
            .call_method0("main_thread")?
            .getattr("ident")?
            .extract::<u64>()
    });
    let get_ident = GET_IDENT.get_or_try_init(py, || {
        py.import("_thread")?
            .getattr("get_ident")
            .map(Bound::unbind)
    });
    match (main, get_ident) {
        (Ok(main), Ok(get)) => get
            .bind(py)
            .call0()
            .and_then(|id| id.extract::<u64>())
            .map_or(true, |id| id == *main),
        _ => true,
    }
}

/// The contexts the bridge makes for one call (their tokens), the call's timeout and its out
/// slots (docs/abi.md section 8.7).
#[derive(Default)]
pub struct Made {
    pub contexts: Vec<u64>,
    pub timeout: Option<Duration>,
    pub outs: Vec<Out>,
}

impl Made {
    /// A call without bridge-made contexts.
    pub fn from_outs(outs: Vec<Out>) -> Made {
        Made {
            outs,
            ..Made::default()
        }
    }
}

/// The timeout given as keyword `kw`, in nanoseconds: a positive, finite number of seconds
/// (int or float, not bool), or None for no timeout (0).
pub fn timeout_ns(kw: &str, t: &Bound<'_, PyAny>) -> PyResult<u64> {
    if t.is_none() {
        return Ok(0);
    }
    let secs = if t.is_instance_of::<PyBool>() {
        None
    } else {
        t.extract::<f64>().ok()
    };
    let Some(secs) = secs else {
        return Err(PyTypeError::new_err(format!(
            "{kw} must be a number of seconds (int or float) or None, got {}",
            crate::args::type_name(t)
        )));
    };
    let ns = secs * 1e9;
    // Below 2^63 ns (292 years): Go's time.Duration.
    if !(1.0..9.2e18).contains(&ns) {
        return Err(PyValueError::new_err(format!(
            "{kw} must be a positive, finite number of seconds (at least 1 ns, under 292 \
             years), got {}",
            t.repr()
                .map_or_else(|_| secs.to_string(), |r| r.to_string())
        )));
    }
    Ok(ns as u64)
}
