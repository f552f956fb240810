//! The 16-byte `FileHeader` both file kinds start with (zookeeper-jute
//! `FileHeader`): int magic, int version, long dbid.
//!
//! ZooKeeper checks only the magic; version and dbid are carried for display.

use super::cursor::Cursor;
use super::error::{DecodeError, DecodeErrorKind};

/// Magic of txn-log files: "ZKLG".
pub const TXNLOG_MAGIC: [u8; 4] = *b"ZKLG";
/// Magic of snapshot files: "ZKSN".
pub const SNAP_MAGIC: [u8; 4] = *b"ZKSN";
/// Size of a file header.
pub const FILE_HEADER_LEN: usize = 16;

/// A decoded file header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileHeader {
    /// The magic bytes.
    pub magic: [u8; 4],
    /// Format version (2 for every release since 3.0).
    pub version: i32,
    /// Database id (0 in logs, -1 in snapshots; never checked).
    pub dbid: i64,
}

impl FileHeader {
    /// Reads a header and checks its magic against `expected`.
    pub fn read(cursor: &mut Cursor<'_>, expected: [u8; 4]) -> Result<FileHeader, DecodeError> {
        let at = *cursor;
        let magic = cursor.read_magic()?;
        if magic != expected {
            return Err(at.error(DecodeErrorKind::BadMagic {
                expected,
                found: magic,
            }));
        }
        let version = cursor.read_i32()?;
        let dbid = cursor.read_i64()?;
        Ok(FileHeader {
            magic,
            version,
            dbid,
        })
    }
}
