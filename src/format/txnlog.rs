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

/// A txn log over its bytes: the whole file, or a window of it (for
/// reading a log in bounded memory, see [`TxnLog::window`]). Every offset
/// taken or given is a file offset either way.
#[derive(Clone, Copy, Debug)]
pub struct TxnLog<'a> {
    data: &'a [u8],
    header: FileHeader,
    /// File offset of `data[0]`.
    base: u64,
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
        Ok(TxnLog {
            data,
            header,
            base: 0,
        })
    }

    /// A window of a log: `data` holds the file's bytes from offset `base`
    /// (at or after the header, read before with its own `parse`). Entries
    /// that run past the window's end look torn, zero padding looks like
    /// padding to the window's end: [`WindowedLog`](crate::files::window) sorts
    /// out which ends are real.
    pub fn window(header: FileHeader, data: &'a [u8], base: u64) -> TxnLog<'a> {
        TxnLog {
            data,
            header,
            base: base.max(FILE_HEADER_LEN as u64),
        }
    }

    /// The file header.
    pub fn header(&self) -> &FileHeader {
        &self.header
    }

    /// The bytes held: the whole file, or the window from [`TxnLog::base`].
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// File offset of the first byte held (0 for a whole file).
    pub fn base(&self) -> u64 {
        self.base
    }

    /// File offset just past the bytes held.
    pub fn end_offset(&self) -> u64 {
        self.base + self.data.len() as u64
    }

    /// `len` bytes at file offset `offset`, if held.
    pub fn bytes_at(&self, offset: u64, len: usize) -> Option<&'a [u8]> {
        let at = usize::try_from(offset.checked_sub(self.base)?).ok()?;
        self.data.get(at..at.checked_add(len)?)
    }

    /// Offset of the first entry held: after the header, or the window's start.
    pub fn first_entry(&self) -> u64 {
        self.base.max(FILE_HEADER_LEN as u64)
    }

    /// Iterates the entries from the first one after the header (or from
    /// the start of a window).
    pub fn entries(&self, options: IterOptions) -> TxnIter<'a> {
        self.entries_at(self.first_entry(), options)
    }
}

impl<'a> TxnLog<'a> {
    /// Iterates the entries from an absolute `offset` (an entry start), e.g.
    /// to see what follows a damaged entry that ZooKeeper would stop at.
    pub fn entries_at(&self, offset: u64, options: IterOptions) -> TxnIter<'a> {
        let offset = offset.max(self.first_entry());
        TxnIter {
            data: self.data,
            pos: usize::try_from(offset - self.base).unwrap_or(usize::MAX),
            base: self.base,
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
    /// Entries starting at or after this offset belong to the next chunk;
    /// `None` for the chunk that runs to the end of the entries, wherever
    /// and however the log ends.
    pub end: Option<u64>,
}

/// A fixed byte range of a log, `[from, to)`, whose entries one worker
/// handles; see [`TxnLog::spans`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogSpan {
    /// First byte of the range.
    pub from: u64,
    /// End of the range; `None` for the last one, which runs to the end.
    pub to: Option<u64>,
}

impl<'a> TxnLog<'a> {
    /// Cuts the bytes after the header into spans of `target` bytes (the
    /// last one open-ended), without reading them. Where the entries of a
    /// span start is found by [`TxnLog::resync`], so spans can be handed to
    /// threads without first following the chain of length fields, a chain
    /// of dependent cache misses that would run on one thread.
    pub fn spans(&self, target: u64) -> impl Iterator<Item = LogSpan> + Send + use<'a> {
        let target = target.max(1);
        let len = self.end_offset();
        let mut from = Some(self.first_entry());
        std::iter::from_fn(move || {
            let f = from?;
            let to = f.checked_add(target).filter(|&t| t < len);
            from = to;
            Some(LogSpan { from: f, to })
        })
    }

    /// The txn bytes of the entry whose framing starts at `offset`, with the
    /// stored checksum, if that framing looks right: a checksum that fits in
    /// 32 bits (ZooKeeper stores an Adler-32 in a long), a positive length
    /// within `limits`, and the end-of-record byte where the length puts it.
    /// The checksum itself is not compared.
    pub fn frame_at(&self, offset: u64, limits: &Limits) -> Option<(u64, &'a [u8])> {
        let at = usize::try_from(offset.checked_sub(self.base)?).ok()?;
        let prefix: &[u8; ENTRY_PREFIX_LEN] = self
            .data
            .get(at..at.checked_add(ENTRY_PREFIX_LEN)?)?
            .try_into()
            .ok()?;
        let (stored, len) = prefix.split_at(8);
        let stored = u64::from_be_bytes(stored.try_into().ok()?);
        let len = i32::from_be_bytes(len.try_into().ok()?);
        if stored >> 32 != 0 || len <= 0 || len as u64 > limits.max_length {
            return None;
        }
        let body_at = at + ENTRY_PREFIX_LEN;
        let body_end = body_at.checked_add(len as usize)?;
        if self.data.get(body_end) != Some(&END_OF_RECORD) {
            return None;
        }
        Some((stored, self.data.get(body_at..body_end)?))
    }

    /// The first offset in `[from, to)` (`to` = end of file when `None`)
    /// where an entry with a plausible framing and a matching Adler-32
    /// starts: where the entries of a [`LogSpan`] begin. Runs of zeros are
    /// skipped a word at a time.
    ///
    /// This is a guess, not a proof: random bytes pass all these checks
    /// with odds of about 2^-40 per offset, and a damaged entry may be
    /// skipped. A caller must confirm it with the chain of entries before
    /// (the previous span's iteration has to end exactly here). On crafted
    /// bytes where many offsets look like long entries, it gives up (`None`)
    /// after checksumming twice the range, so its work stays bounded.
    pub fn resync(&self, from: u64, to: Option<u64>, limits: &Limits) -> Option<u64> {
        let end = to.unwrap_or(self.end_offset());
        let mut p = from.max(self.first_entry());
        let mut budget = end.saturating_sub(p).saturating_mul(2).max(1 << 20);
        while p < end {
            if let Some((stored, body)) = self.frame_at(p, limits) {
                if u64::from(adler32(body)) == stored {
                    return Some(p);
                }
                budget = budget.checked_sub(body.len() as u64)?;
            }
            // An entry never starts with 12 zero bytes: jump over zero runs
            // (the preallocated tail of a log) instead of trying each offset.
            let rest = self.data.get(usize::try_from(p - self.base).ok()?..)?;
            if rest
                .get(..ENTRY_PREFIX_LEN)
                .is_some_and(|b| b.iter().all(|&x| x == 0))
            {
                // Only up to the end of the range: past it is another span's.
                let in_range =
                    usize::try_from(end - p).map_or(rest, |n| rest.get(..n).unwrap_or(rest));
                let zeros = first_nonzero(in_range)?;
                p += (zeros as u64)
                    .saturating_sub(ENTRY_PREFIX_LEN as u64 - 1)
                    .max(1);
            } else {
                p += 1;
            }
        }
        None
    }
}

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
            // Each offset said once: the error's own only when it differs.
            LogEnd::Corrupt { offset, error } if error.offset() == *offset => {
                format!("corrupt entry at offset {offset:#x}: {}", error.kind())
            }
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
    /// Position in `data`, whose first byte is at file offset `base`.
    pos: usize,
    base: u64,
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
        self.base + self.pos as u64
    }

    fn finish(&mut self, end: LogEnd) -> Option<TxnEntry<'a>> {
        self.end = Some(end);
        None
    }

    fn step(&mut self) -> Result<TxnEntry<'a>, LogEnd> {
        let offset = self.offset();
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

    /// A header and entries of the given body lengths (bodies of 7s, with
    /// their real Adler-32), then `pad` zeros; returns the entry offsets.
    fn log_of(lens: &[usize], pad: usize) -> (Vec<u8>, Vec<u64>) {
        let mut v = b"ZKLG".to_vec();
        v.extend_from_slice(&[0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0]);
        let mut offsets = Vec::new();
        for &len in lens {
            offsets.push(v.len() as u64);
            let body = vec![7u8; len];
            v.extend_from_slice(&u64::from(adler32(&body)).to_be_bytes());
            v.extend_from_slice(&(len as i32).to_be_bytes());
            v.extend_from_slice(&body);
            v.push(END_OF_RECORD);
        }
        v.resize(v.len() + pad, 0);
        (v, offsets)
    }

    #[test]
    fn spans_cover_the_file_and_resync_finds_each_entry_start() {
        let (v, offsets) = log_of(&[10, 20, 30, 40], 40);
        let log = TxnLog::parse(&v).unwrap();
        let spans: Vec<_> = log.spans(50).collect();
        assert_eq!(
            spans,
            vec![
                LogSpan {
                    from: 16,
                    to: Some(66)
                },
                LogSpan {
                    from: 66,
                    to: Some(116)
                },
                LogSpan {
                    from: 116,
                    to: Some(166)
                },
                LogSpan {
                    from: 166,
                    to: None
                },
            ]
        );
        let limits = Limits::default();
        // Entries at 16, 39, 72, 115; framed sizes 23, 33, 43, 53.
        assert_eq!(offsets, vec![16, 39, 72, 115]);
        let starts: Vec<_> = spans
            .iter()
            .map(|s| log.resync(s.from, s.to, &limits))
            .collect();
        // No entry starts in [116, 166), nor in the padding after 168.
        assert_eq!(starts, vec![Some(16), Some(72), None, None]);
        // Every offset inside an entry resyncs to the next entry start.
        for from in 16..v.len() as u64 {
            let want = offsets.iter().copied().find(|&o| o >= from);
            assert_eq!(log.resync(from, None, &limits), want, "from {from}");
        }
        // A damaged checksum is not a start.
        let mut bad = v.clone();
        bad[72 + 7] ^= 1;
        let log = TxnLog::parse(&bad).unwrap();
        assert_eq!(log.resync(40, None, &limits), Some(115));
        assert_eq!(log.frame_at(72, &limits).map(|f| f.1.len()), Some(30));
        assert_eq!(log.frame_at(73, &limits), None);
    }

    #[test]
    fn a_tiny_log_is_one_open_span() {
        let (v, _) = log_of(&[], 0);
        let log = TxnLog::parse(&v).unwrap();
        assert_eq!(
            log.spans(1 << 20).collect::<Vec<_>>(),
            vec![LogSpan { from: 16, to: None }]
        );
    }

    #[test]
    fn bad_magic_is_reported_at_zero() {
        let e = TxnLog::parse(b"ZKSN\0\0\0\x02\0\0\0\0\0\0\0\0").unwrap_err();
        assert!(matches!(e.kind(), DecodeErrorKind::BadMagic { .. }));
        assert_eq!(e.offset(), 0);
    }
}
