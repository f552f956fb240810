//! The one way a txn log is opened for reading entries: memory-mapped
//! whole, or (`--no-mmap`) read a bounded window at a time.
//!
//! Every subcommand that walks a log's entries (dump, verify, …) opens it
//! here and reads it through [`OpenLog::run`], which hands its caller views
//! of the log ([`TxnLog`], file offsets) and returns how the entries end,
//! the same either way. See [`crate::files::window`] for why windows exist.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::Error;
use crate::files::source::{self, Bytes};
use crate::files::window::{self, WindowedLog};
use crate::format::DecodeError;
use crate::format::header::FileHeader;
use crate::format::jute::Limits;
use crate::format::salvage::{Run, SALVAGE_CHECKSUM_BUDGET, Salvage, find_entry, salvage_scan};
use crate::format::txnlog::{ENTRY_PREFIX_LEN, IterOptions, LogEnd, TxnLog, first_nonzero};
use crate::format::verdict::{self, LogVerdict};
use crate::zxid::Zxid;

/// How a log's bytes are held.
#[derive(Debug)]
enum Holder {
    Mapped(Arc<Bytes>),
    Windowed(WindowedLog),
}

/// A txn log whose header has been read.
#[derive(Debug)]
pub struct OpenLog {
    path: PathBuf,
    header: FileHeader,
    len: u64,
    holder: Holder,
}

/// A file that does not start with a readable log header.
#[derive(Debug)]
pub struct BadHeader {
    /// Why: too short, or a wrong magic.
    pub error: DecodeError,
    /// The file's size.
    pub size: u64,
}

impl OpenLog {
    /// Opens `path` mapped, or through a window with `no_mmap`, and reads
    /// its header. `Ok(Err(_))` when the header is short or not a log's.
    pub fn open(path: &Path, no_mmap: bool) -> Result<Result<OpenLog, BadHeader>, Error> {
        if no_mmap {
            return Self::open_windowed(path, window::window_size());
        }
        let bytes = source::open(path, false).map_err(|e| Error::io(path, e))?;
        let header = match TxnLog::parse(&bytes) {
            Ok(log) => *log.header(),
            Err(error) => {
                return Ok(Err(BadHeader {
                    error,
                    size: bytes.len() as u64,
                }));
            }
        };
        Ok(Ok(OpenLog {
            path: path.to_path_buf(),
            header,
            len: bytes.len() as u64,
            holder: Holder::Mapped(Arc::new(bytes)),
        }))
    }

    /// Opens `path` to be read `window` bytes at a time.
    pub fn open_windowed(path: &Path, window: usize) -> Result<Result<OpenLog, BadHeader>, Error> {
        let size = || std::fs::metadata(path).map_or(0, |m| m.len());
        Ok(match WindowedLog::open(path, window)? {
            Ok(w) => Ok(OpenLog {
                path: path.to_path_buf(),
                header: *w.header(),
                len: w.len(),
                holder: Holder::Windowed(w),
            }),
            Err(error) => Err(BadHeader {
                error,
                size: size(),
            }),
        })
    }

    /// A log over bytes already read or mapped (shared with their other
    /// users); `Err` when the header is short or not a log's.
    pub fn from_bytes(path: &Path, bytes: Arc<Bytes>) -> Result<OpenLog, BadHeader> {
        let header = match TxnLog::parse(&bytes) {
            Ok(log) => *log.header(),
            Err(error) => {
                return Err(BadHeader {
                    error,
                    size: bytes.len() as u64,
                });
            }
        };
        Ok(OpenLog {
            path: path.to_path_buf(),
            header,
            len: bytes.len() as u64,
            holder: Holder::Mapped(bytes),
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file header.
    pub fn header(&self) -> &FileHeader {
        &self.header
    }

    /// The file's size when opened.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True for a file holding nothing but its header.
    pub fn is_empty(&self) -> bool {
        self.len <= crate::format::header::FILE_HEADER_LEN as u64
    }

    /// The whole log, when it is mapped.
    pub fn mapped(&self) -> Option<TxnLog<'_>> {
        match &self.holder {
            Holder::Mapped(b) => TxnLog::parse(b).ok(),
            Holder::Windowed(_) => None,
        }
    }

    /// Calls `work` with views of the log from the entry at `start` on: the
    /// whole mapped log, or one window after another, each starting at an
    /// entry. `work` reads the entries of its view from the first one and
    /// returns how they ended (its iterator's `end()`), or `None` when it
    /// stopped early and wants no more. Returns how the log's entries end,
    /// as for the whole file (`None` when `work` stopped early); `limits`
    /// must be those `work` iterates with.
    pub fn run(
        &mut self,
        start: u64,
        limits: &Limits,
        mut work: impl FnMut(&TxnLog<'_>) -> Result<Option<LogEnd>, Error>,
    ) -> Result<Option<LogEnd>, Error> {
        match &mut self.holder {
            Holder::Mapped(bytes) => {
                let Ok(whole) = TxnLog::parse(bytes) else {
                    return Ok(None);
                };
                if start <= whole.first_entry() {
                    return work(&whole);
                }
                let at = usize::try_from(start).unwrap_or(usize::MAX);
                let rest = bytes.get(at..).unwrap_or_default();
                work(&TxnLog::window(self.header, rest, start))
            }
            Holder::Windowed(w) => w.run(start, limits, work),
        }
    }

    /// `len` bytes at file offset `offset` (fewer at the end of the file).
    pub fn bytes_at(&mut self, offset: u64, len: usize) -> Result<Cow<'_, [u8]>, Error> {
        match &mut self.holder {
            Holder::Mapped(bytes) => {
                let at = usize::try_from(offset).unwrap_or(usize::MAX);
                let end = at.saturating_add(len).min(bytes.len());
                Ok(Cow::Borrowed(bytes.get(at..end).unwrap_or_default()))
            }
            Holder::Windowed(w) => Ok(Cow::Owned(w.bytes_at(offset, len)?.to_vec())),
        }
    }

    /// The file's length now, when it is shorter than when it was opened
    /// (or a read found it so): it shrank under the reader, and what was
    /// read may not be what it holds. A log that only grew is fine: the
    /// bytes read were there when it was opened.
    pub fn shrunk(&self) -> Option<u64> {
        let now = std::fs::metadata(&self.path).map_or(0, |m| m.len());
        let short = match &self.holder {
            Holder::Windowed(w) => w.short_read(),
            Holder::Mapped(_) => None,
        };
        (now < self.len || short.is_some()).then(|| now.min(short.unwrap_or(now)))
    }

    /// A handle that releases the mapped pages already read while
    /// [`OpenLog::run`] is under way.
    pub fn releaser(&self) -> Releaser {
        Releaser(match &self.holder {
            Holder::Mapped(bytes) => Some(Arc::clone(bytes)),
            Holder::Windowed(_) => None,
        })
    }
}

impl OpenLog {
    /// Judges how the log's entries end (see [`crate::format::verdict`]):
    /// reads what the judgement needs, the body of a partial record and the
    /// salvage scan past the damage. `last` is the zxid of the last entry
    /// read before `end`: entries found after the damage must follow it.
    pub fn judge(
        &mut self,
        end: LogEnd,
        last: Option<Zxid>,
        opts: IterOptions,
    ) -> Result<LogVerdict, Error> {
        let file = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // Damage at the first entry: the name says which zxid it held.
        let last = last.or_else(|| {
            crate::files::names::zookeeper_name_zxid(&file)
                .filter(|z| z.0 > 0)
                .map(|z| Zxid(z.0 - 1))
        });
        let Some(from) = verdict::scan_start(&end) else {
            return Ok(verdict::classify(end, None, false, last, &file));
        };
        let zero_body = match end {
            LogEnd::PartialRecord { offset, len } => {
                let body = self.bytes_at(offset + ENTRY_PREFIX_LEN as u64, len as usize)?;
                first_nonzero(&body).is_none()
            }
            _ => false,
        };
        let after = self.salvage(from, last, opts)?;
        Ok(verdict::classify(end, after, zero_body, last, &file))
    }

    /// The salvage scan from `from`, on the mapped log or window by window.
    pub fn salvage(
        &mut self,
        from: u64,
        after: Option<Zxid>,
        opts: IterOptions,
    ) -> Result<Option<Salvage>, Error> {
        if let Some(whole) = self.mapped() {
            return Ok(salvage_scan(&whole, from, after, opts));
        }
        // Windows overlap by one whole entry, so every entry that starts in a
        // window's first `step` bytes is seen whole (entries past the
        // overlap's cap, 64 MiB, are beyond what a windowed read vouches for).
        let step = window::window_size() as u64;
        let overlap = (ENTRY_PREFIX_LEN as u64 + opts.limits.max_length + 1).min(64 << 20);
        let header = self.header;
        let mut budget = SALVAGE_CHECKSUM_BUDGET;
        let mut at = from;
        while at < self.len && budget > 0 {
            let found = {
                let want = usize::try_from(step + overlap).unwrap_or(usize::MAX);
                let bytes = self.bytes_at(at, want)?;
                let view = TxnLog::window(header, &bytes, at);
                find_entry(&view, at, Some(at + step), after, &opts.limits, &mut budget)
            };
            if let Some(p) = found {
                let mut run = Run::default();
                let mut last = after;
                let end = self.run(p, &opts.limits, |view| {
                    let mut it = view.entries(opts);
                    for e in it.by_ref() {
                        let z = e.txn.header.zxid;
                        if last.is_some_and(|l| z <= l) {
                            return Ok(None);
                        }
                        last = Some(z);
                        run.push(z, e.offset, e.framed_len());
                    }
                    Ok(it.end().cloned())
                })?;
                return Ok((run.entries > 0).then(|| Salvage {
                    run,
                    end,
                    skipped: p - from,
                }));
            }
            at += step;
        }
        Ok(None)
    }
}

/// Releases the pages of a mapped log that a pass is done with.
#[derive(Clone, Debug)]
pub struct Releaser(Option<Arc<Bytes>>);

impl Releaser {
    /// Tells the kernel the mapped bytes before `offset` are done with, so a
    /// pass over a huge log keeps resident memory flat (nothing to do for
    /// windows, whose memory is bounded anyway).
    pub fn release_before(&self, offset: u64) {
        if let Some(bytes) = &self.0 {
            bytes.release_before(usize::try_from(offset).unwrap_or(usize::MAX));
        }
    }
}
