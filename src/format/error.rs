//! The decode error every format reader returns: a matchable kind plus the
//! absolute byte offset where reading went wrong.

use std::fmt;

/// An error found while decoding ZooKeeper bytes.
///
/// One boxed word in a `Result`, like wasmparser's `Error`: errors are cold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(Box<Inner>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Inner {
    kind: DecodeErrorKind,
    offset: u64,
}

/// What went wrong. Offsets are carried by [`DecodeError`], not by the kind.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The data ended while `needed` more bytes were expected and only `available` remained.
    UnexpectedEof {
        /// Bytes the next field needs.
        needed: u64,
        /// Bytes that were left.
        available: u64,
    },
    /// The file header does not start with the expected magic.
    BadMagic {
        /// Magic this format requires.
        expected: [u8; 4],
        /// Magic found in the file.
        found: [u8; 4],
    },
    /// A length or count prefix below -1.
    NegativeLength(i32),
    /// A length prefix above the configured limit (jute.maxbuffer + extrasize).
    LengthOverLimit {
        /// The length read.
        len: u64,
        /// The limit in force.
        limit: u64,
    },
    /// A vector count that cannot fit in the bytes that remain.
    CountTooLarge {
        /// The count read.
        count: u64,
        /// Bytes that remain.
        available: u64,
    },
    /// A -1 (null) where ZooKeeper requires a value (a path, an ACL scheme, ...).
    UnexpectedNull(&'static str),
    /// A stored Adler-32 does not match the bytes it covers.
    ChecksumMismatch {
        /// Checksum stored in the file.
        stored: u64,
        /// Checksum computed over the bytes.
        computed: u64,
    },
    /// A txn-log entry is not followed by the end-of-record byte 0x42.
    MissingEndOfRecord {
        /// The byte found instead.
        found: u8,
    },
    /// A txn type that no ZooKeeper version writes to a log.
    UnknownOpCode(i32),
    /// A sub-txn type that cannot appear inside a multi.
    InvalidSubTxn(i32),
    /// Bytes left inside a record after all its fields (and an optional digest).
    TrailingBytes(u64),
    /// A snapshot seal is not followed by the "/" marker string.
    BadSealMarker,
    /// The compressed stream around a snapshot is damaged.
    Decompress(String),
}

impl DecodeError {
    /// Creates an error of `kind` at absolute `offset`.
    #[cold]
    pub fn new(kind: DecodeErrorKind, offset: u64) -> Self {
        DecodeError(Box::new(Inner { kind, offset }))
    }

    /// What went wrong.
    pub fn kind(&self) -> &DecodeErrorKind {
        &self.0.kind
    }

    /// Absolute byte offset (in the uncompressed stream for snapshots).
    pub fn offset(&self) -> u64 {
        self.0.offset
    }

    /// A short stable identifier for the kind, used as a JSON code.
    pub fn code(&self) -> &'static str {
        match self.kind() {
            DecodeErrorKind::UnexpectedEof { .. } => "unexpected_eof",
            DecodeErrorKind::BadMagic { .. } => "bad_magic",
            DecodeErrorKind::NegativeLength(_) => "negative_length",
            DecodeErrorKind::LengthOverLimit { .. } => "length_over_limit",
            DecodeErrorKind::CountTooLarge { .. } => "count_too_large",
            DecodeErrorKind::UnexpectedNull(_) => "unexpected_null",
            DecodeErrorKind::ChecksumMismatch { .. } => "checksum_mismatch",
            DecodeErrorKind::MissingEndOfRecord { .. } => "missing_end_of_record",
            DecodeErrorKind::UnknownOpCode(_) => "unknown_op_code",
            DecodeErrorKind::InvalidSubTxn(_) => "invalid_sub_txn",
            DecodeErrorKind::TrailingBytes(_) => "trailing_bytes",
            DecodeErrorKind::BadSealMarker => "bad_seal_marker",
            DecodeErrorKind::Decompress(_) => "decompress",
        }
    }
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeErrorKind::UnexpectedEof { needed, available } => write!(
                f,
                "unexpected end of data (needed {needed} bytes, {available} available)"
            ),
            DecodeErrorKind::BadMagic { expected, found } => write!(
                f,
                "bad magic (expected {:?}, found {})",
                String::from_utf8_lossy(expected),
                hex4(found)
            ),
            DecodeErrorKind::NegativeLength(n) => write!(f, "negative length {n}"),
            DecodeErrorKind::LengthOverLimit { len, limit } => {
                write!(f, "unreasonable length {len} (limit {limit})")
            }
            DecodeErrorKind::CountTooLarge { count, available } => write!(
                f,
                "vector count {count} cannot fit in the {available} bytes left"
            ),
            DecodeErrorKind::UnexpectedNull(what) => write!(f, "null {what}"),
            DecodeErrorKind::ChecksumMismatch { stored, computed } => write!(
                f,
                "checksum mismatch (stored {stored:#x}, computed {computed:#x})"
            ),
            DecodeErrorKind::MissingEndOfRecord { found } => {
                write!(f, "missing end-of-record byte 0x42 (found {found:#04x})")
            }
            DecodeErrorKind::UnknownOpCode(op) => write!(f, "unknown txn type {op}"),
            DecodeErrorKind::InvalidSubTxn(op) => {
                write!(f, "txn type {op} is not allowed inside a multi")
            }
            DecodeErrorKind::TrailingBytes(n) => {
                write!(f, "{n} unexpected bytes after the end of the record")
            }
            DecodeErrorKind::BadSealMarker => write!(f, "seal is not followed by the \"/\" marker"),
            DecodeErrorKind::Decompress(msg) => write!(f, "compressed stream damaged: {msg}"),
        }
    }
}

fn hex4(b: &[u8; 4]) -> String {
    format!("{:02x}{:02x}{:02x}{:02x}", b[0], b[1], b[2], b[3])
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at offset {:#x}", self.0.kind, self.0.offset)
    }
}

impl std::error::Error for DecodeError {}
