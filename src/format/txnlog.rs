//! Transaction log files (`log.<hex>`), as written by `FileTxnLog`.
//!
//! ```text
//! offset 0   FileHeader   int magic "ZKLG"; int version 2; long dbid 0
//! offset 16  entry*       long  checksum   Adler-32 of txn[], zero-extended
//!                         int   len        length of txn[]
//!                         byte  txn[len]   TxnHeader + body + optional TxnDigest
//!                         byte  0x42       end of record ('B')
//! then       zeros        preallocation (FilePadding) up to the end of file
//! ```
//!
//! See: `FileTxnLog.FileTxnIterator.next` and `Util.readTxnBytes`. The Java
//! reader folds every way a log can end into an `EOFException`; [`TxnIter`]
//! instead stops at the first problem and says exactly how the log ended
//! ([`LogEnd`]), because that is what an operator needs after a crash.
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

use super::checksum::adler32;
use super::cursor::Cursor;
use super::error::{DecodeError, DecodeErrorKind};
use super::header::{FILE_HEADER_LEN, FileHeader, TXNLOG_MAGIC};
use super::jute::Limits;
use super::txn::Txn;

/// The byte that ends every entry.
pub const END_OF_RECORD: u8 = 0x42;
/// Size of an entry's framing before the txn bytes: checksum (8) + length (4).
pub const ENTRY_PREFIX_LEN: usize = 12;

/// A txn log over its bytes.
#[derive(Clone, Copy, Debug)]
pub struct TxnLog<'a> {
    data: &'a [u8],
    header: FileHeader,
}

/// Options for iterating a log.
#[derive(Clone, Copy, Debug)]
pub struct IterOptions {
    /// Length limit for the entry buffer and every field inside it.
    pub limits: Limits,
    /// Verify each entry's Adler-32 (ZooKeeper always does).
    pub verify_checksums: bool,
}

impl Default for IterOptions {
    fn default() -> Self {
        IterOptions {
            limits: Limits::default(),
            verify_checksums: true,
        }
    }
}

impl<'a> TxnLog<'a> {
    /// Reads the file header; fails on a short file or a wrong magic.
    pub fn parse(data: &'a [u8]) -> Result<TxnLog<'a>, DecodeError> {
        let mut c = Cursor::new(data, 0);
        let header = FileHeader::read(&mut c, TXNLOG_MAGIC)?;
        Ok(TxnLog { data, header })
    }

    /// The file header.
    pub fn header(&self) -> &FileHeader {
        &self.header
    }

    /// The whole file.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// Iterates the entries from the first one after the header.
    pub fn entries(&self, options: IterOptions) -> TxnIter<'a> {
        TxnIter {
            data: self.data,
            pos: FILE_HEADER_LEN,
            options,
            end: None,
        }
    }
}

impl<'a> TxnLog<'a> {
    /// Iterates the entries from an absolute `offset` (an entry start), e.g.
    /// to see what follows a damaged entry that ZooKeeper would stop at.
    pub fn entries_at(&self, offset: u64, options: IterOptions) -> TxnIter<'a> {
        TxnIter {
            data: self.data,
            pos: usize::try_from(offset)
                .unwrap_or(usize::MAX)
                .max(FILE_HEADER_LEN),
            options,
            end: None,
        }
    }
}

/// A run of whole entries, for working on a log in parallel: start at
/// `start` and stop before `end` (or, for the last chunk, where the log ends).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogChunk {
    /// Offset of the chunk's first entry.
    pub start: u64,
    /// Offset just past its last entry; `None` for the chunk that runs to
    /// the end of the entries, wherever and however the log ends.
    pub end: Option<u64>,
}

impl<'a> TxnLog<'a> {
    /// Splits the entries into chunks of about `target` bytes by following
    /// the length fields only. Nothing is checked here: the boundaries are
    /// where entries start if the lengths are right, and whoever iterates a
    /// chunk with [`TxnLog::entries_at`] finds any problem exactly as a
    /// single pass would. The last chunk has no end, so the end of the log
    /// (padding, torn tail, corruption in the framing) is found by the
    /// ordinary iterator.
    pub fn chunks(&self, target: u64) -> LogChunks<'a> {
        LogChunks {
            data: self.data,
            pos: FILE_HEADER_LEN as u64,
            target: target.max(1),
            done: false,
            warmed: 0,
        }
    }
}

/// Iterator over [`LogChunk`]s; see [`TxnLog::chunks`].
#[derive(Clone, Debug)]
pub struct LogChunks<'a> {
    data: &'a [u8],
    pos: u64,
    target: u64,
    done: bool,
    /// Bytes before this offset have been touched by [`LogChunks::warm`].
    warmed: usize,
}

/// Bytes [`LogChunks`] pulls into the cache at a time.
const WARM_STEP: usize = 1 << 20;

impl LogChunks<'_> {
    /// Following the length fields is a chain of dependent loads ~500 bytes
    /// apart, each a cache miss that no prefetcher predicts: ~150 ns an
    /// entry, 0.3 s for a 1 GB log, all of it on the one thread that finds
    /// the chunks. Reading one byte per cache line ahead of the chain is a
    /// sequential stream the hardware prefetches at full bandwidth, and the
    /// chain then hits the cache (and so do the workers, soon after).
    #[inline]
    fn warm(&mut self, pos: usize) {
        if pos + 8192 <= self.warmed {
            return;
        }
        let start = self.warmed.max(pos);
        let end = (start + WARM_STEP).min(self.data.len());
        let touched = self
            .data
            .get(start..end)
            .unwrap_or(&[])
            .iter()
            .step_by(64)
            .fold(0u8, |acc, &b| acc ^ b);
        std::hint::black_box(touched);
        self.warmed = end;
    }
}

impl Iterator for LogChunks<'_> {
    type Item = LogChunk;

    fn next(&mut self) -> Option<LogChunk> {
        if self.done {
            return None;
        }
        let start = self.pos;
        loop {
            if self.pos - start >= self.target {
                return Some(LogChunk {
                    start,
                    end: Some(self.pos),
                });
            }
            if let Ok(pos) = usize::try_from(self.pos) {
                self.warm(pos);
            }
            let len = usize::try_from(self.pos + 8)
                .ok()
                .and_then(|at| self.data.get(at..at.checked_add(4)?))
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map_or(0, i32::from_be_bytes);
            let next = self.pos + ENTRY_PREFIX_LEN as u64 + u64::from(len.unsigned_abs()) + 1;
            if len <= 0 || next > self.data.len() as u64 {
                self.done = true;
                return Some(LogChunk { start, end: None });
            }
            self.pos = next;
        }
    }
}

impl std::iter::FusedIterator for LogChunks<'_> {}

/// One framed entry and its decoded txn.
#[derive(Clone, Debug)]
pub struct TxnEntry<'a> {
    /// Absolute offset of the entry (its checksum field).
    pub offset: u64,
    /// The stored checksum (a long; the high 32 bits are zero when written by ZooKeeper).
    pub stored_checksum: u64,
    /// The txn bytes the checksum covers (`len` of them).
    pub bytes: &'a [u8],
    /// The decoded txn.
    pub txn: Txn<'a>,
}

impl TxnEntry<'_> {
    /// Absolute offset of the txn bytes.
    pub fn bytes_offset(&self) -> u64 {
        self.offset + ENTRY_PREFIX_LEN as u64
    }
    /// Total framed size: prefix, txn bytes and end-of-record byte.
    pub fn framed_len(&self) -> u64 {
        (ENTRY_PREFIX_LEN + self.bytes.len() + 1) as u64
    }
}

/// How the entry stream of a log ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogEnd {
    /// The file ended exactly after an entry (e.g. a log cut by `truncate`).
    Eof {
        /// File length.
        offset: u64,
    },
    /// A zero length field: the logical end, followed by preallocated zeros.
    Padding {
        /// Where the zero-length entry would start.
        offset: u64,
        /// First non-zero byte at or after `offset`, if any (stale data).
        nonzero_at: Option<u64>,
    },
    /// The file ends inside the entry at `offset`: its length field
    /// promises more bytes than exist.
    TornTail {
        /// Entry start.
        offset: u64,
        /// Bytes the entry needs from `offset`.
        needed: u64,
        /// Bytes the file holds from `offset`.
        available: u64,
    },
    /// The entry at `offset` lacks its end-of-record byte and only zeros
    /// follow: a write cut short by a crash inside preallocated space.
    /// ZooKeeper logs "Last transaction was partial." and stops there.
    PartialRecord {
        /// Entry start.
        offset: u64,
        /// Its length field.
        len: u32,
    },
    /// The entry at `offset` is corrupt; `error` says how and where.
    Corrupt {
        /// Entry start.
        offset: u64,
        /// What is wrong, with its own exact offset.
        error: DecodeError,
    },
}

impl LogEnd {
    /// Offset of the end or of the entry at fault.
    pub fn offset(&self) -> u64 {
        match self {
            LogEnd::Eof { offset }
            | LogEnd::Padding { offset, .. }
            | LogEnd::TornTail { offset, .. }
            | LogEnd::PartialRecord { offset, .. }
            | LogEnd::Corrupt { offset, .. } => *offset,
        }
    }

    /// True for a normal end: end of file or zero padding with only zeros.
    pub fn is_clean(&self) -> bool {
        matches!(
            self,
            LogEnd::Eof { .. }
                | LogEnd::Padding {
                    nonzero_at: None,
                    ..
                }
        )
    }

    /// True when the log ends in a write a crash cut short (torn or partial).
    pub fn is_torn(&self) -> bool {
        matches!(self, LogEnd::TornTail { .. } | LogEnd::PartialRecord { .. })
    }

    /// A stable snake_case name, used in JSON.
    pub fn kind_name(&self) -> &'static str {
        match self {
            LogEnd::Eof { .. } => "eof",
            LogEnd::Padding {
                nonzero_at: None, ..
            } => "padding",
            LogEnd::Padding { .. } => "padding_with_garbage",
            LogEnd::TornTail { .. } => "torn_tail",
            LogEnd::PartialRecord { .. } => "partial_record",
            LogEnd::Corrupt { error, .. } => match error.kind() {
                DecodeErrorKind::ChecksumMismatch { .. } => "checksum_mismatch",
                DecodeErrorKind::MissingEndOfRecord { .. } => "missing_end_of_record",
                DecodeErrorKind::NegativeLength(_) | DecodeErrorKind::LengthOverLimit { .. } => {
                    "bad_length"
                }
                _ => "undecodable_txn",
            },
        }
    }

    /// One sentence for people.
    pub fn describe(&self) -> String {
        match self {
            LogEnd::Eof { offset } => format!("clean end of file at offset {offset:#x}"),
            LogEnd::Padding {
                offset,
                nonzero_at: None,
            } => format!("end of entries at offset {offset:#x}, zero padding to end of file"),
            LogEnd::Padding {
                offset,
                nonzero_at: Some(nz),
            } => format!(
                "end of entries at offset {offset:#x}, but non-zero bytes follow at offset {nz:#x}"
            ),
            LogEnd::TornTail {
                offset,
                needed,
                available,
            } => format!(
                "torn tail: entry at offset {offset:#x} needs {needed} bytes, file has {available}"
            ),
            LogEnd::PartialRecord { offset, len } => format!(
                "partial record: entry at offset {offset:#x} (length {len}) has no end-of-record byte and only zeros follow"
            ),
            LogEnd::Corrupt { offset, error } => {
                format!("corrupt entry at offset {offset:#x}: {error}")
            }
        }
    }
}

/// Iterator over a log's entries. Stops for good at the first problem;
/// [`TxnIter::end`] then says how the log ended.
#[derive(Clone, Debug)]
pub struct TxnIter<'a> {
    data: &'a [u8],
    pos: usize,
    options: IterOptions,
    end: Option<LogEnd>,
}

impl<'a> TxnIter<'a> {
    /// How the log ended, once the iterator has returned `None`.
    pub fn end(&self) -> Option<&LogEnd> {
        self.end.as_ref()
    }

    /// Absolute offset of the next entry.
    pub fn offset(&self) -> u64 {
        self.pos as u64
    }

    fn finish(&mut self, end: LogEnd) -> Option<TxnEntry<'a>> {
        self.end = Some(end);
        None
    }

    fn step(&mut self) -> Result<TxnEntry<'a>, LogEnd> {
        let offset = self.pos as u64;
        let rest = self.data.get(self.pos..).unwrap_or(&[]);
        if rest.is_empty() {
            return Err(LogEnd::Eof { offset });
        }
        let mut c = Cursor::new(rest, offset);
        let (Ok(stored), Ok(len)) = (c.read_i64(), c.read_i32()) else {
            return Err(match first_nonzero(rest) {
                // A few trailing zeros shorter than a prefix: still padding.
                None => LogEnd::Padding {
                    offset,
                    nonzero_at: None,
                },
                Some(_) => LogEnd::TornTail {
                    offset,
                    needed: ENTRY_PREFIX_LEN as u64,
                    available: rest.len() as u64,
                },
            });
        };
        if len == 0 {
            return Err(LogEnd::Padding {
                offset,
                nonzero_at: first_nonzero(rest).map(|i| offset + i as u64),
            });
        }
        let len_offset = offset + 8;
        if len < 0 {
            return Err(LogEnd::Corrupt {
                offset,
                error: DecodeError::new(DecodeErrorKind::NegativeLength(len), len_offset),
            });
        }
        if len as u64 > self.options.limits.max_length {
            return Err(LogEnd::Corrupt {
                offset,
                error: DecodeError::new(
                    DecodeErrorKind::LengthOverLimit {
                        len: len as u64,
                        limit: self.options.limits.max_length,
                    },
                    len_offset,
                ),
            });
        }
        let len_usize = len as usize;
        let needed = ENTRY_PREFIX_LEN + len_usize + 1;
        if rest.len() < needed {
            return Err(LogEnd::TornTail {
                offset,
                needed: needed as u64,
                available: rest.len() as u64,
            });
        }
        let bytes = c
            .read_bytes(len_usize)
            .map_err(|error| LogEnd::Corrupt { offset, error })?;
        let eor_offset = c.offset();
        let eor = c
            .read_u8()
            .map_err(|error| LogEnd::Corrupt { offset, error })?;
        if eor != END_OF_RECORD {
            let after = rest.get(needed..).unwrap_or(&[]);
            // Zeros where the record's end should be and after it: the write
            // never finished. Anything else is corruption ZooKeeper would
            // silently stop at.
            if eor == 0 && first_nonzero(after).is_none() {
                return Err(LogEnd::PartialRecord {
                    offset,
                    len: len as u32,
                });
            }
            return Err(LogEnd::Corrupt {
                offset,
                error: DecodeError::new(
                    DecodeErrorKind::MissingEndOfRecord { found: eor },
                    eor_offset,
                ),
            });
        }
        let stored_checksum = stored as u64;
        if self.options.verify_checksums {
            let computed = u64::from(adler32(bytes));
            if computed != stored_checksum {
                return Err(LogEnd::Corrupt {
                    offset,
                    error: DecodeError::new(
                        DecodeErrorKind::ChecksumMismatch {
                            stored: stored_checksum,
                            computed,
                        },
                        offset,
                    ),
                });
            }
        }
        let bytes_offset = offset + ENTRY_PREFIX_LEN as u64;
        let txn = Txn::decode(bytes, bytes_offset, &self.options.limits)
            .map_err(|error| LogEnd::Corrupt { offset, error })?;
        self.pos += needed;
        Ok(TxnEntry {
            offset,
            stored_checksum,
            bytes,
            txn,
        })
    }
}

impl<'a> Iterator for TxnIter<'a> {
    type Item = TxnEntry<'a>;

    fn next(&mut self) -> Option<TxnEntry<'a>> {
        if self.end.is_some() {
            return None;
        }
        match self.step() {
            Ok(entry) => Some(entry),
            Err(end) => self.finish(end),
        }
    }
}

impl std::iter::FusedIterator for TxnIter<'_> {}

/// Index of the first non-zero byte. Checks every byte (a forensic tool must
/// not trust first/last-byte shortcuts), a word at a time.
pub fn first_nonzero(bytes: &[u8]) -> Option<usize> {
    let mut chunks = bytes.chunks_exact(64);
    let mut base = 0;
    for chunk in &mut chunks {
        if chunk.iter().fold(0u8, |acc, &b| acc | b) != 0 {
            return chunk.iter().position(|&b| b != 0).map(|i| base + i);
        }
        base += 64;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b != 0)
        .map(|i| base + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_nonzero_scans_every_byte() {
        let mut v = vec![0u8; 1000];
        assert_eq!(first_nonzero(&v), None);
        v[777] = 1;
        assert_eq!(first_nonzero(&v), Some(777));
        v[999] = 1;
        assert_eq!(first_nonzero(&v[778..]), Some(221));
    }

    #[test]
    fn header_only_log_ends_at_eof() {
        let mut v = b"ZKLG".to_vec();
        v.extend_from_slice(&[0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0]);
        let log = TxnLog::parse(&v).unwrap();
        let mut it = log.entries(IterOptions::default());
        assert!(it.next().is_none());
        assert_eq!(it.end(), Some(&LogEnd::Eof { offset: 16 }));
    }

    #[test]
    fn chunks_cover_the_entries_and_leave_the_end_to_the_iterator() {
        let mut v = b"ZKLG".to_vec();
        v.extend_from_slice(&[0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0]);
        let entry = |v: &mut Vec<u8>, len: usize| {
            v.extend_from_slice(&[0; 8]);
            v.extend_from_slice(&(len as i32).to_be_bytes());
            v.extend(std::iter::repeat_n(7u8, len));
            v.push(END_OF_RECORD);
        };
        for len in [10, 20, 30, 40] {
            entry(&mut v, len);
        }
        v.extend_from_slice(&[0; 40]);
        let log = TxnLog::parse(&v).unwrap();
        let chunks: Vec<_> = log.chunks(40).collect();
        // Framed sizes 23, 33, 43, 53: a chunk closes once it holds >= 40 bytes;
        // the zero length at 168 is left to the last chunk's iterator.
        assert_eq!(
            chunks,
            vec![
                LogChunk {
                    start: 16,
                    end: Some(72)
                },
                LogChunk {
                    start: 72,
                    end: Some(115)
                },
                LogChunk {
                    start: 115,
                    end: Some(168)
                },
                LogChunk {
                    start: 168,
                    end: None
                },
            ]
        );
        // A torn last entry: the framing scan stops before it.
        v.truncate(168);
        entry(&mut v, 100);
        v.truncate(v.len() - 5);
        let log = TxnLog::parse(&v).unwrap();
        let last = log.chunks(1 << 20).last().unwrap();
        assert_eq!(
            last,
            LogChunk {
                start: 16,
                end: None
            }
        );
    }

    #[test]
    fn bad_magic_is_reported_at_zero() {
        let e = TxnLog::parse(b"ZKSN\0\0\0\x02\0\0\0\0\0\0\0\0").unwrap_err();
        assert!(matches!(e.kind(), DecodeErrorKind::BadMagic { .. }));
        assert_eq!(e.offset(), 0);
    }
}
