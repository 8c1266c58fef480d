//! The versioned envelope (docs/abi.md sections 3 and 4).

use std::fmt;

use crate::read::{validate, Limits, Reader, Token};
use crate::write::{write_array_len, write_map_len, write_str, write_uint, write_value_max};
use crate::{DecodeError, EncodeError, Value, ABI_VERSION};

/// How deep an argument may nest containers: the request array and its args array take two of
/// the 64 levels of docs/abi.md section 6.
pub const ARG_MAX_DEPTH: usize = Limits::ABI.max_depth - 2;

/// How deep a result may nest containers: the reply array takes one of the 64 levels.
pub const RESULT_MAX_DEPTH: usize = Limits::ABI.max_depth - 1;

/// How deep a value of an error's detail may nest: the reply array, the error map and the
/// detail map take three of the 64 levels.
pub const DETAIL_MAX_DEPTH: usize = Limits::ABI.max_depth - 3;

/// Op 0: call a function (docs/abi.md section 3).
pub const OP_CALL: u32 = 0;

/// Op 2: release a handle (docs/abi.md section 8.3); the target is the handle id, args `[]`.
pub const OP_RELEASE: u32 = 2;

/// Op 3: cancel the context the bridge made for a running call (docs/abi.md section 8.7); the
/// target is the context's token, args `[]`; the reply is `[0, true]` when a call was running
/// with it, `[0, false]` when none was.
pub const OP_CANCEL: u32 = 3;

/// Op 4: `errors.Is` (docs/abi.md section 4.1); the target is an error's handle, args
/// `[target handle]`; the reply is `[0, bool]`.
pub const OP_ERROR_IS: u32 = 4;

/// Op 5: error values (docs/abi.md section 4.1); target 0 turns them on (reply `[0, nil]`),
/// an error's handle asks for its concrete value (reply `[0, handle]`); args `[]`.
pub const OP_ERROR_VALUE: u32 = 5;

/// Op 6: call a function as op 0 does, its results that are slices of fixed-width numbers
/// written as packed arrays (ext type 8, docs/abi.md section 8.10).
pub const OP_CALL_PACKED: u32 = 6;

/// Every op of ABI 1, as `(op, name)`.
pub const OPS: [(u32, &str); 6] = [
    (OP_CALL, "call"),
    (OP_RELEASE, "release"),
    (OP_CANCEL, "cancel"),
    (OP_ERROR_IS, "error_is"),
    (OP_ERROR_VALUE, "error_value"),
    (OP_CALL_PACKED, "call_packed"),
];

/// Which function a request calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A function id from the schema.
    Id(u32),
    /// `"<import path>.<Name>"`.
    Name(String),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Id(id) => write!(f, "function #{id}"),
            Target::Name(n) => f.write_str(n),
        }
    }
}

/// A request: `[abi, op, target, args]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The ABI version the caller speaks.
    pub abi: u32,
    /// The op ([`OP_CALL`]).
    pub op: u32,
    /// The function.
    pub target: Target,
    /// The arguments in parameter order.
    pub args: Vec<Value>,
}

impl Request {
    /// A call request of this crate's ABI version.
    pub fn call(target: Target, args: Vec<Value>) -> Self {
        Request {
            abi: ABI_VERSION,
            op: OP_CALL,
            target,
            args,
        }
    }
}

impl Request {
    /// A request releasing handle `id` (ids are 64-bit on the wire; [`Target::Id`] holds the
    /// ones up to `u32::MAX`, the loader writes larger ones itself).
    pub fn release(id: u32) -> Self {
        Request {
            abi: ABI_VERSION,
            op: OP_RELEASE,
            target: Target::Id(id),
            args: Vec::new(),
        }
    }
}

impl Request {
    /// A request cancelling the bridge-made context with this token (op 3).
    pub fn cancel(token: u32) -> Self {
        Request {
            abi: ABI_VERSION,
            op: OP_CANCEL,
            target: Target::Id(token),
            args: Vec::new(),
        }
    }
}

/// Writes `[abi, op, target, ` and the array header of `argc` arguments: what precedes the
/// arguments of a call request. The caller then writes exactly `argc` values.
pub fn write_request_header(out: &mut Vec<u8>, target: &Target, argc: usize) {
    out.push(0x94);
    write_uint(out, ABI_VERSION as u64);
    write_uint(out, OP_CALL as u64);
    match target {
        Target::Id(id) => write_uint(out, *id as u64),
        Target::Name(n) => write_str(out, n.as_bytes()),
    }
    write_array_len(out, argc);
}

/// Encodes a request (values are written canonically, untyped; see [`crate::encode_typed`] for
/// typed encoding).
///
/// # Errors
///
/// [`EncodeError::TooDeep`] when an argument nests deeper than [`ARG_MAX_DEPTH`].
pub fn encode_request(req: &Request) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    out.push(0x94);
    write_uint(&mut out, req.abi as u64);
    write_uint(&mut out, req.op as u64);
    match &req.target {
        Target::Id(id) => write_uint(&mut out, *id as u64),
        Target::Name(n) => write_str(&mut out, n.as_bytes()),
    }
    write_array_len(&mut out, req.args.len());
    for a in &req.args {
        write_value_max(&mut out, a, ARG_MAX_DEPTH)?;
    }
    Ok(out)
}

fn read_u32(r: &mut Reader<'_>, what: &str) -> Result<u32, DecodeError> {
    let at = r.position();
    match r.next_token()? {
        Token::Int(i) if i >= 0 => {
            u32::try_from(i).map_err(|_| DecodeError::malformed(at, format!("{what} is too large")))
        }
        _ => Err(DecodeError::malformed(
            at,
            format!("{what} is not a non-negative int"),
        )),
    }
}

fn expect_array(r: &mut Reader<'_>, n: u32, what: &str) -> Result<(), DecodeError> {
    let at = r.position();
    match r.next_token()? {
        Token::Array(m) if m == n => Ok(()),
        _ => Err(DecodeError::malformed(
            at,
            format!("{what} is not an array of {n} elements"),
        )),
    }
}

/// Decodes a request within `limits`.
///
/// # Errors
///
/// A [`DecodeError`] when the bytes break a limit or are not a request.
pub fn decode_request(buf: &[u8], limits: &Limits) -> Result<Request, DecodeError> {
    validate(buf, limits)?;
    let mut r = Reader::new(buf);
    expect_array(&mut r, 4, "the request")?;
    let abi = read_u32(&mut r, "abi")?;
    let op = read_u32(&mut r, "op")?;
    let at = r.position();
    let target = match r.next_token()? {
        Token::Int(i) if i >= 0 => Target::Id(
            u32::try_from(i)
                .map_err(|_| DecodeError::malformed(at, "the function id is too large"))?,
        ),
        Token::Str(s) => Target::Name(
            String::from_utf8(s.to_vec())
                .map_err(|_| DecodeError::malformed(at, "the function name is not UTF-8"))?,
        ),
        _ => {
            return Err(DecodeError::malformed(
                at,
                "the target is not an id or a name",
            ))
        }
    };
    let at = r.position();
    let n = match r.next_token()? {
        Token::Array(n) => n,
        _ => return Err(DecodeError::malformed(at, "args is not an array")),
    };
    let mut args = Vec::with_capacity((n as usize).min(buf.len()));
    for _ in 0..n {
        args.push(r.read_within(ARG_MAX_DEPTH)?);
    }
    Ok(Request {
        abi,
        op,
        target,
        args,
    })
}

/// The kind of an error reply (docs/abi.md section 4).
///
/// Exhaustive within this workspace: a kind from a newer bridge is [`ErrorKind::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The function returned a non-nil `error`.
    GoError,
    /// The function panicked.
    GoPanic,
    /// An argument could not be converted.
    BadArgument,
    /// Wrong number of arguments.
    Arity,
    /// No function with that id or name.
    UnknownSymbol,
    /// The function exists but the bridge does not support it.
    SkippedSymbol,
    /// The request's ABI version is not the bridge's.
    AbiVersion,
    /// The op is not known.
    UnsupportedOp,
    /// The request is not well formed.
    Malformed,
    /// A hard limit was hit.
    LimitExceeded,
    /// A result the wire cannot carry (too deep, cyclic, or no wire form inside `any`).
    BadResult,
    /// A release (op 2) of a handle id the bridge does not hold.
    UnknownHandle,
    /// A host callable raised (a host reply, docs/abi.md section 10).
    PythonException,
    /// A host request for a host object the host does not hold (section 10).
    UnknownHostObject,
    /// No host answers: none is set, or it is shutting down (section 10).
    HostUnavailable,
    /// A kind this crate does not know (from a newer bridge).
    Other(String),
}

impl ErrorKind {
    /// Every kind ABI 1 defines (not [`ErrorKind::Other`]), in the order of docs/abi.md.
    pub const ALL: [ErrorKind; 15] = [
        ErrorKind::GoError,
        ErrorKind::GoPanic,
        ErrorKind::BadArgument,
        ErrorKind::Arity,
        ErrorKind::UnknownSymbol,
        ErrorKind::SkippedSymbol,
        ErrorKind::AbiVersion,
        ErrorKind::UnsupportedOp,
        ErrorKind::Malformed,
        ErrorKind::LimitExceeded,
        ErrorKind::BadResult,
        ErrorKind::UnknownHandle,
        ErrorKind::PythonException,
        ErrorKind::UnknownHostObject,
        ErrorKind::HostUnavailable,
    ];

    /// The wire spelling.
    pub fn as_str(&self) -> &str {
        match self {
            ErrorKind::GoError => "go_error",
            ErrorKind::GoPanic => "go_panic",
            ErrorKind::BadArgument => "bad_argument",
            ErrorKind::Arity => "arity",
            ErrorKind::UnknownSymbol => "unknown_symbol",
            ErrorKind::SkippedSymbol => "skipped_symbol",
            ErrorKind::AbiVersion => "abi_version",
            ErrorKind::UnsupportedOp => "unsupported_op",
            ErrorKind::Malformed => "malformed",
            ErrorKind::LimitExceeded => "limit_exceeded",
            ErrorKind::BadResult => "bad_result",
            ErrorKind::UnknownHandle => "unknown_handle",
            ErrorKind::PythonException => "python_exception",
            ErrorKind::UnknownHostObject => "unknown_host_object",
            ErrorKind::HostUnavailable => "host_unavailable",
            ErrorKind::Other(s) => s,
        }
    }

    /// Parses the wire spelling.
    pub fn parse(s: &str) -> ErrorKind {
        ErrorKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .unwrap_or_else(|| ErrorKind::Other(s.to_owned()))
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The body of an error reply.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorReply {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// One line for people.
    pub message: String,
    /// Structured detail, keys sorted.
    pub detail: Vec<(String, Value)>,
}

impl ErrorReply {
    /// A detail entry by key.
    pub fn detail(&self, key: &str) -> Option<&Value> {
        self.detail.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// A detail entry as an unsigned integer, or 0.
    pub fn detail_u64(&self, key: &str) -> u64 {
        self.detail(key).and_then(Value::as_u64).unwrap_or_default()
    }

    /// A detail entry as text (lossy for invalid UTF-8), or "".
    pub fn detail_str(&self, key: &str) -> String {
        match self.detail(key).and_then(Value::as_str_bytes) {
            Some(b) => String::from_utf8_lossy(b).into_owned(),
            None => String::new(),
        }
    }
}

/// A reply: `[0, result]` or `[1, error]`.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// The call succeeded.
    Ok(Value),
    /// The call failed.
    Err(ErrorReply),
}

/// Encodes a reply canonically (detail keys are sorted here).
///
/// # Errors
///
/// [`EncodeError::TooDeep`] when the result nests deeper than [`RESULT_MAX_DEPTH`], or a detail
/// value deeper than [`DETAIL_MAX_DEPTH`].
pub fn encode_reply(reply: &Reply) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    write_array_len(&mut out, 2);
    match reply {
        Reply::Ok(v) => {
            out.push(0x00);
            write_value_max(&mut out, v, RESULT_MAX_DEPTH)?;
        }
        Reply::Err(e) => {
            out.push(0x01);
            write_map_len(&mut out, 3);
            write_str(&mut out, b"kind");
            write_str(&mut out, e.kind.as_str().as_bytes());
            write_str(&mut out, b"message");
            write_str(&mut out, e.message.as_bytes());
            write_str(&mut out, b"detail");
            let mut detail: Vec<&(String, Value)> = e.detail.iter().collect();
            detail.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            write_map_len(&mut out, detail.len());
            for (k, v) in detail {
                write_str(&mut out, k.as_bytes());
                write_value_max(&mut out, v, DETAIL_MAX_DEPTH)?;
            }
        }
    }
    Ok(out)
}

/// Validates a reply within `limits` and returns whether it is a success, with a reader
/// positioned at its body (the result, or the error map). This is the zero-copy path: callers
/// convert the body straight into their own objects.
///
/// # Errors
///
/// A [`DecodeError`] when the bytes break a limit or are not a reply.
#[inline]
pub fn reply_body<'a>(buf: &'a [u8], limits: &Limits) -> Result<(bool, Reader<'a>), DecodeError> {
    // Fast path for the commonest reply, `[status, scalar]`: when the scalar ends exactly at the
    // end of the message, the general validation below cannot find anything else to check.
    if let Some(ok) = crate::read::scalar_reply(buf, limits) {
        let mut r = Reader::new(buf);
        r.skip_header(2);
        return Ok((ok, r));
    }
    crate::read::validate_quick(buf, limits)?;
    let mut r = Reader::new(buf);
    expect_array(&mut r, 2, "the reply")?;
    let at = r.position();
    match r.next_token()? {
        Token::Int(0) => Ok((true, r)),
        Token::Int(1) => Ok((false, r)),
        _ => Err(DecodeError::malformed(at, "the reply status is not 0 or 1")),
    }
}

/// [`reply_body`] for a call that may have out-parameters (docs/abi.md section 8.6): a reply of
/// three elements `[status, body, outs]` is accepted too, and the third result says whether
/// the outs array follows the body (the reader reaches it once the body is read).
///
/// # Errors
///
/// A [`DecodeError`] when the bytes break a limit or are not a reply.
pub fn reply_parts<'a>(
    buf: &'a [u8],
    limits: &Limits,
) -> Result<(bool, Reader<'a>, bool), DecodeError> {
    if buf.first() != Some(&0x93) {
        return reply_body(buf, limits).map(|(ok, r)| (ok, r, false));
    }
    crate::read::validate_quick(buf, limits)?;
    let mut r = Reader::new(buf);
    expect_array(&mut r, 3, "the reply")?;
    let at = r.position();
    match r.next_token()? {
        Token::Int(0) => Ok((true, r, true)),
        Token::Int(1) => Ok((false, r, true)),
        _ => Err(DecodeError::malformed(at, "the reply status is not 0 or 1")),
    }
}

/// Reads an error map (the body of a failed reply).
///
/// # Errors
///
/// A [`DecodeError`] when the body is not an error map.
pub fn read_error_body(r: &mut Reader<'_>) -> Result<ErrorReply, DecodeError> {
    let at = r.position();
    let body = r.read_within(RESULT_MAX_DEPTH)?;
    let text = |key: &str| -> Result<String, DecodeError> {
        match body.get(key) {
            Some(v @ (Value::Str(_) | Value::RawStr(_))) => {
                Ok(String::from_utf8_lossy(v.as_str_bytes().unwrap_or_default()).into_owned())
            }
            _ => Err(DecodeError::malformed(
                at,
                format!("the error has no str {key:?}"),
            )),
        }
    };
    let kind = ErrorKind::parse(&text("kind")?);
    let message = text("message")?;
    let detail = match body.get("detail") {
        Some(Value::Map(entries)) => entries.clone(),
        None => Vec::new(),
        Some(_) => return Err(DecodeError::malformed(at, "the error detail is not a map")),
    };
    Ok(ErrorReply {
        kind,
        message,
        detail,
    })
}

/// Decodes a whole reply into a [`Reply`].
///
/// # Errors
///
/// A [`DecodeError`] when the bytes break a limit or are not a reply.
pub fn decode_reply(buf: &[u8], limits: &Limits) -> Result<Reply, DecodeError> {
    let (ok, mut r) = reply_body(buf, limits)?;
    if ok {
        Ok(Reply::Ok(r.read_within(RESULT_MAX_DEPTH)?))
    } else {
        Ok(Reply::Err(read_error_body(&mut r)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_int_request_bytes() {
        let req = Request::call(Target::Id(3), vec![1.into(), 2.into()]);
        let bytes = encode_request(&req).unwrap();
        assert_eq!(bytes, [0x94, 0x01, 0x00, 0x03, 0x92, 0x01, 0x02]);
        let mut head = Vec::new();
        write_request_header(&mut head, &Target::Id(3), 2);
        assert_eq!(head, bytes[..5]);
        assert_eq!(decode_request(&bytes, &Limits::ABI).unwrap(), req);
    }

    #[test]
    fn error_reply_round_trips() {
        let reply = Reply::Err(ErrorReply {
            kind: ErrorKind::GoError,
            message: "boom".into(),
            detail: vec![("type".into(), "*errors.errorString".into())],
        });
        assert_eq!(
            decode_reply(&encode_reply(&reply).unwrap(), &Limits::ABI).unwrap(),
            reply
        );
    }

    #[test]
    fn error_kinds_parse_their_spelling() {
        for k in ErrorKind::ALL {
            assert_eq!(ErrorKind::parse(k.as_str()), k);
        }
        assert_eq!(
            ErrorKind::parse("from_the_future"),
            ErrorKind::Other("from_the_future".into())
        );
    }

    #[test]
    fn bad_status_is_malformed() {
        assert!(decode_reply(&[0x92, 0x02, 0xc0], &Limits::ABI).is_err());
        assert!(decode_reply(&[0x92, 0x00], &Limits::ABI).is_err());
    }
}
