//! Reading a txn log through a bounded window, for `--no-mmap`.
//!
//! Mapping a log is fast but unsafe on a live server (a follower may
//! truncate it, see [`crate::files::source`]); reading it whole instead would take
//! a GB of memory for a GB log on the very host that runs ZooKeeper. A
//! [`WindowedLog`] reads a few MiB at a time into one buffer and hands each
//! window to the caller as a [`TxnLog`] view with file offsets, so the same
//! readers work on it.
//!
//! A window cuts the log at an arbitrary byte, so some of the ends an
//! iterator reports inside a window are the window's, not the log's: an
//! entry cut off (torn), a partial length field (too short to be read),
//! zeros up to the window's end (a partial record, or padding whose rest
//! is unread). [`WindowedLog::run`] reads on from the right offset in those
//! cases, checks the rest of the file for non-zero bytes after padding or
//! a partial record, and so reports exactly the end a reading of the whole
//! file would.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::format::header::{FILE_HEADER_LEN, FileHeader};
use crate::format::jute::Limits;
use crate::format::txnlog::{ENTRY_PREFIX_LEN, LogEnd, TxnLog, first_nonzero};
use crate::format::{DecodeError, DecodeErrorKind};

/// Default window: large enough that threads get many spans of a window,
/// small enough to keep memory flat.
pub const DEFAULT_WINDOW: usize = 16 << 20;

/// The window to use: [`DEFAULT_WINDOW`], or `ZKDD_WINDOW_BYTES` from the
/// environment (the tests use tiny windows on small real logs).
pub fn window_size() -> usize {
    std::env::var("ZKDD_WINDOW_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_WINDOW)
}

/// A log file read window by window; see the module docs.
#[derive(Debug)]
pub struct WindowedLog {
    path: PathBuf,
    file: File,
    header: FileHeader,
    /// The file's length when opened; reads never go past it.
    len: u64,
    window: usize,
    buf: Vec<u8>,
    /// Where a read came up short of the length the file had when opened:
    /// the file shrank under the reader.
    short_read: Option<u64>,
}

impl WindowedLog {
    /// Opens `path` and reads its header: `Ok(Err(_))` when the file is too
    /// short for one or has the wrong magic.
    pub fn open(path: &Path, window: usize) -> Result<Result<WindowedLog, DecodeError>, Error> {
        let io = |e| Error::io(path, e);
        let mut file = crate::files::source::open_file(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        let mut head = Vec::with_capacity(FILE_HEADER_LEN);
        (&mut file)
            .take(FILE_HEADER_LEN as u64)
            .read_to_end(&mut head)
            .map_err(io)?;
        let header = match TxnLog::parse(&head) {
            Ok(log) => *log.header(),
            Err(e) => return Ok(Err(e)),
        };
        Ok(Ok(WindowedLog {
            path: path.to_path_buf(),
            file,
            header,
            len,
            window: window.max(ENTRY_PREFIX_LEN + 1),
            buf: Vec::new(),
            short_read: None,
        }))
    }

    /// The file header.
    pub fn header(&self) -> &FileHeader {
        &self.header
    }

    /// The file's length when it was opened.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True for a file holding no more than its header.
    pub fn is_empty(&self) -> bool {
        self.len <= FILE_HEADER_LEN as u64
    }

    /// Reads up to `want` bytes at `offset` into the buffer; true when they
    /// reach the end of the file (or the file got shorter).
    fn fill(&mut self, offset: u64, want: usize) -> Result<bool, Error> {
        let io = |e| Error::io(&self.path, e);
        let want = (want as u64).min(self.len.saturating_sub(offset));
        self.buf.clear();
        self.file.seek(SeekFrom::Start(offset)).map_err(io)?;
        // `want` is bounded by the window (or one entry within the length
        // limit) and by the file's size, never by a length field alone.
        (&mut self.file)
            .take(want)
            .read_to_end(&mut self.buf)
            .map_err(io)?;
        let short = (self.buf.len() as u64) < want;
        if short {
            self.short_read
                .get_or_insert(offset + self.buf.len() as u64);
        }
        Ok(offset + self.buf.len() as u64 >= self.len || short)
    }

    /// Where a read found the file shorter than when it was opened, if one
    /// did: what was read past there is not what the file holds.
    pub fn short_read(&self) -> Option<u64> {
        self.short_read
    }

    /// The `len` bytes at file offset `offset` (fewer at the end of the file).
    pub fn bytes_at(&mut self, offset: u64, len: usize) -> Result<&[u8], Error> {
        self.fill(offset, len)?;
        Ok(&self.buf)
    }

    /// The first non-zero byte at or after `offset`, reading to the end.
    fn first_nonzero_from(&mut self, mut offset: u64) -> Result<Option<u64>, Error> {
        loop {
            let last = self.fill(offset, self.window)?;
            if let Some(i) = first_nonzero(&self.buf) {
                return Ok(Some(offset + i as u64));
            }
            offset += self.buf.len() as u64;
            if last || self.buf.is_empty() {
                return Ok(None);
            }
        }
    }

    /// Calls `work` with views of the log from the entry at `start` on, one
    /// window at a time, each starting at an entry. `work` reads the entries
    /// of its view from the first one and returns how they ended (its
    /// iterator's [`TxnIter::end`](crate::format::txnlog::TxnIter::end)),
    /// or `None` when it stopped early and wants no more.
    ///
    /// Returns how the log's entries end, as for the whole file: `None` when
    /// `work` stopped early. `limits` must be those `work` iterates with
    /// (they bound how far a window grows to hold one entry).
    pub fn run(
        &mut self,
        start: u64,
        limits: &Limits,
        mut work: impl FnMut(&TxnLog<'_>) -> Result<Option<LogEnd>, Error>,
    ) -> Result<Option<LogEnd>, Error> {
        let mut base = start.max(FILE_HEADER_LEN as u64);
        let mut want = self.window;
        // Whole entries up to the length limit fit in a grown window.
        let most = (ENTRY_PREFIX_LEN as u64 + limits.max_length + 1) as usize;
        loop {
            let last = self.fill(base, want)?;
            let view = TxnLog::window(self.header, &self.buf, base);
            let view_end = view.end_offset();
            let Some(end) = work(&view)? else {
                return Ok(None);
            };
            if last {
                return Ok(Some(end));
            }
            let (next, grow) = match &end {
                // Cut by the window: read on from that entry.
                LogEnd::Eof { offset } => (*offset, 0),
                LogEnd::TornTail { offset, needed, .. } => {
                    (*offset, usize::try_from(*needed).unwrap_or(most).min(most))
                }
                // Zeros shorter than a length field at the window's end.
                LogEnd::Padding { offset, .. } if offset + ENTRY_PREFIX_LEN as u64 > view_end => {
                    (*offset, 0)
                }
                LogEnd::Padding {
                    offset,
                    nonzero_at: None,
                } => {
                    let offset = *offset;
                    return Ok(Some(LogEnd::Padding {
                        offset,
                        nonzero_at: self.first_nonzero_from(view_end)?,
                    }));
                }
                // Only zeros after it in the window: and in the rest?
                LogEnd::PartialRecord { offset, len } => {
                    let (offset, len) = (*offset, *len);
                    return Ok(Some(match self.first_nonzero_from(view_end)? {
                        None => LogEnd::PartialRecord { offset, len },
                        Some(_) => LogEnd::Corrupt {
                            offset,
                            error: DecodeError::new(
                                DecodeErrorKind::MissingEndOfRecord { found: 0 },
                                offset + ENTRY_PREFIX_LEN as u64 + u64::from(len),
                            ),
                        },
                    }));
                }
                _ => return Ok(Some(end)),
            };
            want = self.window.max(grow);
            if next == view.base() && want <= self.buf.len() {
                // The same window again would end the same way (an entry
                // over `limits`, which `work` should have reported): stop.
                return Ok(Some(end));
            }
            base = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::txnlog::IterOptions;
    use crate::format::write::{JuteBuf, TxnLogWriter};

    /// Entries and end, read whole and read through windows of every size.
    fn compare(bytes: &[u8]) {
        let opts = IterOptions::default();
        let log = TxnLog::parse(bytes).unwrap();
        let mut it = log.entries(opts);
        let whole: Vec<u64> = it.by_ref().map(|e| e.offset).collect();
        let whole_end = it.end().cloned();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.1");
        std::fs::write(&path, bytes).unwrap();
        for window in [13, 20, 33, 64, 100, 1000, 1 << 20] {
            let mut w = WindowedLog::open(&path, window).unwrap().unwrap();
            let mut seen = Vec::new();
            let end = w
                .run(0, &opts.limits, |view| {
                    let mut it = view.entries(opts);
                    seen.extend(it.by_ref().map(|e| e.offset));
                    Ok(it.end().cloned())
                })
                .unwrap();
            assert_eq!(seen, whole, "window {window}");
            assert_eq!(end, whole_end, "window {window}");
        }
    }

    fn log(entries: usize, body: usize, prealloc: Option<u64>) -> Vec<u8> {
        let mut log = TxnLogWriter::new();
        for i in 1..=entries as i64 {
            let mut b = JuteBuf::new();
            b.i64(0x100).i32(i as i32).i64(i).i64(1000).i32(2);
            b.string(&vec![b'p'; body]);
            log.append_bytes(&b.0);
        }
        log.finish(prealloc)
    }

    #[test]
    fn windows_see_what_a_whole_reading_sees() {
        // Clean end of file, padding, garbage in the padding far away.
        compare(&log(20, 30, None));
        let padded = log(20, 30, Some(4096));
        compare(&padded);
        let mut garbage = padded.clone();
        let n = garbage.len();
        garbage[n - 3] = 7;
        compare(&garbage);
        // A torn tail, a partial record (zeros instead of the last entry's
        // end, zeros after), and the same with a stray byte far after it.
        let clean = log(20, 30, None);
        compare(&clean[..clean.len() - 9]);
        let mut partial = clean.clone();
        let last = partial.len() - 20;
        partial[last..].fill(0);
        partial.resize(partial.len() + 3000, 0);
        compare(&partial);
        let n = partial.len();
        partial[n - 1] = 1;
        compare(&partial);
        // A flipped byte in the middle, and a header-only log.
        let mut flipped = clean.clone();
        flipped[300] ^= 0x40;
        compare(&flipped);
        compare(&log(0, 0, None));
        // Entries bigger than the window.
        compare(&log(5, 500, Some(1024)));
    }
}
