//! Reading a txn log that a live server is still writing, for
//! `dump --follow`: the newest log of a directory (or the next one after a
//! roll), and the bytes after an offset, read with plain reads each time
//! (a growing file is never mapped).

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::files::datadir::{FileKind, classify};
use crate::format::header::FILE_HEADER_LEN;
use crate::zxid::Zxid;

/// With `after`, the next `log.*` in `dir` after it (never skip a log
/// however fast the server rolls); without, the newest one.
pub fn next_log(dir: &Path, after: Option<Zxid>) -> Result<Option<(PathBuf, Zxid)>, Error> {
    let mut best: Option<(PathBuf, Zxid)> = None;
    for e in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let e = e.map_err(|e| Error::io(dir, e))?;
        if let FileKind::Log(z) = classify(&e.file_name().to_string_lossy())
            && after.is_none_or(|a| z > a)
            && best
                .as_ref()
                .is_none_or(|(_, b)| if after.is_some() { z < *b } else { z > *b })
        {
            best = Some((e.path(), z));
        }
    }
    Ok(best)
}

/// The newest `log.*` in `dir` older than `before` (`dump --follow --tail`
/// going back).
pub fn previous_log(dir: &Path, before: Zxid) -> Result<Option<(PathBuf, Zxid)>, Error> {
    let mut best: Option<(PathBuf, Zxid)> = None;
    for e in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let e = e.map_err(|e| Error::io(dir, e))?;
        if let FileKind::Log(z) = classify(&e.file_name().to_string_lossy())
            && z < before
            && best.as_ref().is_none_or(|(_, b)| z > *b)
        {
            best = Some((e.path(), z));
        }
    }
    Ok(best)
}

/// What one read of a growing log found.
#[derive(Debug)]
pub enum TailRead {
    /// Nothing after the offset yet.
    Nothing,
    /// The file is now shorter than the offset (but holds a header).
    Shrank,
    /// New bytes: the file's first [`FILE_HEADER_LEN`] bytes (fewer when the
    /// header is not written yet) and the bytes from the offset on.
    Bytes {
        /// The file's first bytes.
        head: Vec<u8>,
        /// The bytes from the offset.
        bytes: Vec<u8>,
        /// The file's length at the time of the read.
        file_len: u64,
    },
}

/// Reads the header and up to max(64 KiB, `want`) bytes from `offset` of a
/// growing file.
pub fn read_tail(path: &Path, offset: u64, want: u64) -> Result<TailRead, Error> {
    let io = |e| Error::io(path, e);
    let mut f = crate::files::source::open_file(path).map_err(io)?;
    let file_len = f.metadata().map_err(io)?.len();
    if file_len < offset {
        return Ok(if file_len >= FILE_HEADER_LEN as u64 {
            TailRead::Shrank
        } else {
            TailRead::Nothing
        });
    }
    let n = (file_len - offset).min(want.max(64 << 10));
    if n == 0 {
        return Ok(TailRead::Nothing);
    }
    let mut head = Vec::with_capacity(FILE_HEADER_LEN);
    (&mut f)
        .take(FILE_HEADER_LEN as u64)
        .read_to_end(&mut head)
        .map_err(io)?;
    f.seek(SeekFrom::Start(offset)).map_err(io)?;
    // `n` is bounded by the file's real size, not by a length field.
    let mut bytes = Vec::new();
    (&mut f).take(n).read_to_end(&mut bytes).map_err(io)?;
    Ok(TailRead::Bytes {
        head,
        bytes,
        file_len,
    })
}
