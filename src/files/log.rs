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
use crate::format::txnlog::{LogEnd, TxnLog};

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
            let size = || std::fs::metadata(path).map_or(0, |m| m.len());
            return Ok(match WindowedLog::open(path, window::window_size())? {
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
            });
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

    /// A handle that releases the mapped pages already read while
    /// [`OpenLog::run`] is under way.
    pub fn releaser(&self) -> Releaser {
        Releaser(match &self.holder {
            Holder::Mapped(bytes) => Some(Arc::clone(bytes)),
            Holder::Windowed(_) => None,
        })
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
