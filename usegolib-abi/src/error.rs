use std::fmt;

/// Which hard limit a message exceeded (docs/abi.md section 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    /// The total size of the message.
    Size,
    /// The nesting depth of containers.
    Depth,
    /// The total number of container elements.
    Elements,
}

impl LimitKind {
    /// The name used on the wire (`limit` in an error detail).
    pub fn as_str(self) -> &'static str {
        match self {
            LimitKind::Size => "size",
            LimitKind::Depth => "depth",
            LimitKind::Elements => "elements",
        }
    }
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A message that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The bytes are not a well-formed message of the expected shape.
    #[error("malformed MessagePack at byte {offset}: {reason}")]
    Malformed {
        /// Byte offset of the problem.
        offset: usize,
        /// What was wrong.
        reason: String,
    },
    /// A hard limit was exceeded.
    #[error("message exceeds the {limit} limit of {max}")]
    LimitExceeded {
        /// Which limit.
        limit: LimitKind,
        /// The limit's value.
        max: u64,
    },
}

impl DecodeError {
    pub(crate) fn malformed(offset: usize, reason: impl Into<String>) -> Self {
        DecodeError::Malformed {
            offset,
            reason: reason.into(),
        }
    }
}

/// A value that cannot be written as a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The value nests containers deeper than a message may (docs/abi.md section 6). The
    /// encoders stop at the limit instead of recursing further, so even a value nested a million
    /// levels deep is refused without exhausting the stack.
    #[error(
        "the value nests lists or maps more than {max} deep, the most that fits here (the ABI's depth limit is {} for a whole message): flatten it",
        crate::Limits::ABI.max_depth
    )]
    TooDeep {
        /// How deep the value itself may nest at this place of the message.
        max: usize,
    },
}
