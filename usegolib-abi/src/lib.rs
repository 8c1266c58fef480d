//! The usegolib wire contract, as Rust types. The normative text is `docs/abi.md`.
//!
//! * [`Value`]: the value model (nil, bool, 64-bit ints, floats, strings, bytes, lists, maps,
//!   handles).
//! * [`WireType`]: the wire type of a Go parameter or result, as the schema spells it, and
//!   [`encode_typed`], which writes a [`Value`] as that type with exact range checks.
//! * [`Request`] and [`Reply`]: the versioned envelope, with [`encode_request`],
//!   [`decode_request`], [`encode_reply`] and [`decode_reply`].
//! * [`Reader`] and [`validate`]: a bounded, zero-copy MessagePack reader. Every decode first runs
//!   [`validate`], which enforces the hard [`Limits`] without allocating.
//!
//! The crate does no I/O, no FFI and has no `unsafe`.
#![forbid(unsafe_code)]

mod envelope;
mod error;
mod read;
mod types;
mod value;
mod write;

pub use envelope::{
    decode_reply, decode_request, encode_reply, encode_request, read_error_body, reply_body,
    reply_parts, write_request_header, ErrorKind, ErrorReply, Reply, Request, Target,
    ARG_MAX_DEPTH, DETAIL_MAX_DEPTH, OPS, OP_CALL, OP_CALL_PACKED, OP_CANCEL, OP_ERROR_IS,
    OP_ERROR_VALUE, OP_RELEASE, RESULT_MAX_DEPTH,
};
pub use error::{DecodeError, EncodeError, LimitKind};
pub use read::{decode_value, timestamp, validate, Limits, Reader, Token};
pub use types::{
    encode_typed, encode_typed_in, IntType, RecordField, RecordType, TypeError, TypeLookup,
    WireType,
};
pub use value::Value;
pub use write::{
    copy_piece, ext_header_len, extend_bytes, packed_pad, packed_payload, packed_size,
    write_array_len, write_bin, write_bin_header, write_bool, write_context, write_ext_header,
    write_ext_with, write_f32, write_f64, write_handle, write_int, write_map_len, write_nil,
    write_object, write_out_slot, write_packed_header, write_packed_header_aligned, write_str,
    write_tagged, write_timestamp, write_uint, write_value, EXT_OBJECT, EXT_OUT, EXT_PACKED,
    EXT_TAGGED, EXT_TIMESTAMP,
};

/// The ABI version this crate speaks (docs/abi.md section 1).
pub const ABI_VERSION: u32 = 1;
