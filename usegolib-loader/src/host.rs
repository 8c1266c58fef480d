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
