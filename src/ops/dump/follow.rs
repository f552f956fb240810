//! `dump --follow`: like `tail -f` on the newest log of a live server. Each
//! poll reads what was appended ([`crate::files::follow`]) as a window of the
//! log at its file offset; the end of the data (zero length, preallocated
//! zeros, a partly written entry) means "wait", and the next log is taken
//! once the server has rolled over.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{Filter, TxnFormat};
use crate::error::Error;
use crate::files::datadir::{FileKind, classify};
use crate::files::follow::{TailRead, next_log, read_tail};
use crate::format::header::FILE_HEADER_LEN;
use crate::format::txnlog::{IterOptions, LogEnd, TxnLog};
use crate::zxid::Zxid;

/// How often a quiet log is polled.
const POLL: Duration = Duration::from_millis(200);

/// What following reports to its caller.
#[derive(Debug)]
pub enum FollowEvent<'a> {
    /// Now following this log.
    Following(&'a Path),
    /// Rendered lines of new entries (write them out at once: someone is
    /// watching).
    Lines(&'a [u8]),
    /// A log is damaged: `message` says how.
    Problem {
        /// The log.
        file: &'a Path,
        /// What is wrong.
        message: String,
    },
    /// The log got shorter than what was read of it; it is read again.
    Shrank {
        /// The log.
        file: &'a Path,
        /// The offset read up to.
        offset: u64,
    },
}

/// Where following is in one log.
struct Position {
    path: PathBuf,
    zxid: Zxid,
    /// Next entry offset.
    offset: u64,
    /// Bytes the entry at `offset` needs (0: unknown).
    want: u64,
    /// How the last read ended.
    end: Option<LogEnd>,
}

impl Position {
    fn new(path: PathBuf, zxid: Zxid) -> Self {
        Position {
            path,
            zxid,
            offset: FILE_HEADER_LEN as u64,
            want: 0,
            end: None,
        }
    }

    /// True when the last read ended in real damage, not in "more to come".
    fn damaged(&self) -> bool {
        matches!(
            self.end,
            Some(
                LogEnd::Corrupt { .. }
                    | LogEnd::Padding {
                        nonzero_at: Some(_),
                        ..
                    }
            )
        )
    }
}

/// Follows `target` (a log, or a directory whose newest log is followed),
/// rendering new entries that `filter` passes with the format `format_for`
/// gives for their log, until
/// `timeout` passes without a new entry (forever without one), a log's
/// header turns out bad, or `on` fails (a closed pipe).
pub fn follow<F: TxnFormat>(
    target: &Path,
    filter: &Filter,
    format_for: impl Fn(&Path) -> F,
    options: IterOptions,
    timeout: Option<Duration>,
    mut on: impl FnMut(FollowEvent<'_>) -> Result<(), Error>,
) -> Result<(), Error> {
    let (dir, mut current) = if target.is_dir() {
        (target.to_path_buf(), None)
    } else {
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let zxid = match classify(&name) {
            FileKind::Log(z) => z,
            _ => Zxid(0),
        };
        let dir = target
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        (dir, Some(Position::new(target.to_path_buf(), zxid)))
    };
    let mut last_new = Instant::now();
    let mut last_zxid: Option<Zxid> = None;
    let mut text = Vec::with_capacity(4096);
    let mut state = F::State::default();
    loop {
        if current.is_none() {
            current = next_log(&dir, None)?.map(|(p, z)| Position::new(p, z));
            if let Some(c) = &current {
                on(FollowEvent::Following(&c.path))?;
            }
        }
        let mut new = 0u64;
        if let Some(pos) = &mut current {
            match read_tail(&pos.path, pos.offset, pos.want)? {
                TailRead::Nothing => {}
                TailRead::Shrank => {
                    on(FollowEvent::Shrank {
                        file: &pos.path,
                        offset: pos.offset,
                    })?;
                    pos.offset = FILE_HEADER_LEN as u64;
                    pos.want = 0;
                    continue;
                }
                TailRead::Bytes {
                    head,
                    bytes,
                    file_len,
                } => {
                    let header = match TxnLog::parse(&head) {
                        Ok(l) => *l.header(),
                        Err(e) => {
                            // A log whose header is not written yet: wait.
                            if file_len >= FILE_HEADER_LEN as u64 {
                                on(FollowEvent::Problem {
                                    file: &pos.path,
                                    message: e.to_string(),
                                })?;
                                return Ok(());
                            }
                            std::thread::sleep(POLL);
                            continue;
                        }
                    };
                    let log = TxnLog::window(header, &bytes, pos.offset);
                    let format = format_for(&pos.path);
                    let mut iter = log.entries(options);
                    for entry in &mut iter {
                        let z = entry.txn.header.zxid;
                        if last_zxid.is_some_and(|l| z <= l) {
                            continue;
                        }
                        last_zxid = Some(z);
                        new += 1;
                        if filter.matches(&entry.txn) {
                            format.txn(&entry, &mut text, &mut state);
                        }
                    }
                    if !text.is_empty() {
                        on(FollowEvent::Lines(&text))?;
                        text.clear();
                    }
                    let end = iter.end().cloned();
                    pos.offset = end.as_ref().map_or(iter.offset(), LogEnd::offset);
                    // An entry longer than the window: read all of it next time.
                    pos.want = match &end {
                        Some(LogEnd::TornTail { needed, .. }) => *needed,
                        _ => 0,
                    };
                    pos.end = end;
                }
            }
            if new > 0 {
                last_new = Instant::now();
                continue;
            }
            // Nothing new here: move on once the server has rolled.
            if let Some((p, z)) = next_log(&dir, Some(pos.zxid))? {
                if pos.damaged()
                    && let Some(end) = &pos.end
                {
                    on(FollowEvent::Problem {
                        file: &pos.path,
                        message: end.describe(),
                    })?;
                }
                *pos = Position::new(p, z);
                on(FollowEvent::Following(&pos.path))?;
                continue;
            }
        }
        if timeout.is_some_and(|t| last_new.elapsed() >= t) {
            if let Some(pos) = &current
                && pos.damaged()
                && let Some(end) = &pos.end
            {
                on(FollowEvent::Problem {
                    file: &pos.path,
                    message: end.describe(),
                })?;
            }
            return Ok(());
        }
        std::thread::sleep(POLL);
    }
}
