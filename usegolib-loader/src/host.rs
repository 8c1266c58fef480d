//! Go -> host calls (docs/abi.md section 10, docs/adr/0010): a library calls back into the
//! process that loaded it through one C entry point per library, which the loader registers
//! when it opens the library (`ffi.rs`). Each host request goes to the process's one
//! [`HostHandler`]; without one, every request answers `host_unavailable`.

use std::sync::OnceLock;

use usegolib_abi::{encode_reply, ErrorKind, ErrorReply, Reply, Value};

/// What answers a library's host requests. The Python binding implements it (its host-object
/// table); a Rust embedder may implement its own.
pub trait HostHandler: Send + Sync + 'static {
    /// Answers the host request `req` (`[abi, op, id, method, args]`, docs/abi.md section 10)
    /// sent by the library of Go module `module`, writing the whole reply (`[0, result]` or
    /// `[1, {kind, message, detail}]`) into `out`, which is empty on entry. It may run on any
    /// thread, Go's included, concurrently and re-entrantly (a host callable that calls Go).
    /// Leaving `out` empty, or panicking, answers `host_unavailable` saying which of the two.
    fn call(&self, module: &str, req: &[u8], out: &mut Vec<u8>);

    /// Answers a scalar host call (docs/abi.md section 10.8): method `call.method` of host
    /// object `call.id` with `call.nargs` argument words, whose results it writes over
    /// `call.words` (`call.nresults` of them): [`ScalarOutcome::Done`]. A failure is the
    /// general form's failure reply (`[1, {kind, message, detail}]`) in `out`:
    /// [`ScalarOutcome::Failed`]. [`ScalarOutcome::Refused`] (the default) runs nothing and
    /// makes Go send this host object's calls in the general form ([`HostHandler::call`]).
    fn call_scalar(&self, module: &str, call: ScalarCall<'_>, out: &mut Vec<u8>) -> ScalarOutcome {
        let _ = (module, call, out);
        ScalarOutcome::Refused
    }
}

/// The most argument words, and result words, of a scalar host call.
pub const MAX_SCALAR_WORDS: usize = 8;

/// A scalar host call (docs/abi.md section 10.8): a signed int travels as its `i64`'s bits, an
/// unsigned one as its `u64`, a float as its `f64`'s bits, a bool as 0 or 1.
#[derive(Debug)]
pub struct ScalarCall<'a> {
    pub id: u64,
    pub method: u64,
    /// The arguments on entry (the first `nargs`), the results on a successful return (the
    /// first `nresults`); `max(nargs, nresults)` words.
    pub words: &'a mut [u64],
    pub nargs: usize,
    pub nresults: usize,
}

/// What a scalar host call came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarOutcome {
    /// The results are in the words.
    Done,
    /// The failure reply is in `out`.
    Failed,
    /// Nothing ran: Go uses the general form for this host object.
    Refused,
}

static HANDLER: OnceLock<Box<dyn HostHandler>> = OnceLock::new();

/// Sets the process's host handler, once: false when one is already set (it stays).
pub fn set_host_handler(handler: Box<dyn HostHandler>) -> bool {
    HANDLER.set(handler).is_ok()
}

/// Answers one host request with the handler, else `host_unavailable`.
pub(crate) fn answer(module: &str, req: &[u8], out: &mut Vec<u8>) {
    match HANDLER.get() {
        Some(h) => h.call(module, req, out),
        None => host_error(out, "host_unavailable", "no host handler is set", vec![]),
    }
}

/// Answers one scalar host call with the handler, else `host_unavailable` (in `out`).
pub(crate) fn answer_scalar(
    module: &str,
    call: ScalarCall<'_>,
    out: &mut Vec<u8>,
) -> ScalarOutcome {
    match HANDLER.get() {
        Some(h) => h.call_scalar(module, call, out),
        None => {
            host_error(out, "host_unavailable", "no host handler is set", vec![]);
            ScalarOutcome::Failed
        }
    }
}

/// Writes the host error reply `[1, {kind, message, detail}]` into `out` (replacing what it
/// holds); detail keys are sorted.
pub fn host_error(out: &mut Vec<u8>, kind: &str, message: &str, detail: Vec<(String, Value)>) {
    out.clear();
    let reply = Reply::Err(ErrorReply {
        kind: ErrorKind::parse(kind),
        message: message.to_owned(),
        detail,
    });
    // A detail of Level-1 values is never too deep.
    out.extend_from_slice(&encode_reply(&reply).unwrap_or_default());
}
