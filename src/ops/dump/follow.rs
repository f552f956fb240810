//! `dump --follow`: like `tail -f` on the newest log of a live server. Each
//! poll reads what was appended ([`crate::files::follow`]) as a window of the
//! log at its file offset; the end of the data (zero length, preallocated
//! zeros, a partly written entry) means "wait", and the next log is taken
//! once the server has rolled over.
//!
//! Where it starts ([`Start`]): by default at the end of the newest log, as
//! `tail -f` does. A txn log has no index, so that end is found by reading
//! the log once through its length fields and checksums (64 KiB at a time,
//! nothing rendered, memory flat); entries written while that read goes on
//! count as already there. `--tail N` keeps the last N matching entries of
//! that read (as raw bytes, decoded again when printed) and goes back
//! through older logs while it has fewer; `--from-start` prints the newest
//! log from its first entry.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{Filter, TxnFormat};
use crate::error::Error;
use crate::files::datadir::{FileKind, classify};
use crate::files::follow::{TailRead, next_log, previous_log, read_tail};
use crate::format::header::FILE_HEADER_LEN;
use crate::format::txn::Txn;
use crate::format::txnlog::{ENTRY_PREFIX_LEN, IterOptions, LogEnd, TxnEntry, TxnLog};
use crate::zxid::Zxid;

/// Where following starts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Start {
    /// After the last entry of the newest log (or the given log), as it is
    /// when zkdd has read up to it: only new txns are shown.
    #[default]
    End,
    /// At the first entry of the newest log (or the given log).
    FromStart,
    /// The last N txns that pass the filter first (from older logs too,
    /// when the newest holds fewer), then the new ones.
    Tail(usize),
}

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
    /// The end of the log to start from was found ([`Start::End`],
    /// [`Start::Tail`]): txns are shown from `offset` on.
    CaughtUp {
        /// The log.
        file: &'a Path,
        /// Where new entries begin.
        offset: u64,
        /// Txns in the log before it.
        before: u64,
        /// Txns shown from before it (`--tail`).
        tail: usize,
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
/// from where `start` says, rendering new entries that `filter` passes with
/// the format `format_for` gives for their log, until
/// `timeout` passes without a new entry (forever without one), a log's
/// header turns out bad, or `on` fails (a closed pipe).
pub fn follow<F: TxnFormat>(
    target: &Path,
    start: Start,
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
    if start != Start::FromStart {
        let initial = match current.take() {
            Some(c) => Some(c),
            None => next_log(&dir, None)?.map(|(p, z)| Position::new(p, z)),
        };
        if let Some(mut pos) = initial {
            let keep = match start {
                Start::Tail(n) => n,
                _ => 0,
            };
            let mut scan = Scan {
                filter,
                options,
                keep,
                below: None,
                kept: VecDeque::new(),
                seen: 0,
            };
            scan.skip_to_end(&mut pos, &mut last_zxid)?;
            let skipped_newest = scan.seen;
            // --tail N: older logs while the newest holds fewer than N.
            let mut kept = std::mem::take(&mut scan.kept);
            let mut older = pos.zxid;
            while target.is_dir() && kept.len() < keep {
                let Some((p, z)) = previous_log(&dir, older)? else {
                    break;
                };
                let mut back = Scan {
                    filter,
                    options,
                    keep: keep - kept.len(),
                    below: Some(older),
                    kept: VecDeque::new(),
                    seen: 0,
                };
                let mut prev = Position::new(p, z);
                back.skip_to_end(&mut prev, &mut None)?;
                if prev.damaged()
                    && let Some(end) = &prev.end
                {
                    on(FollowEvent::Problem {
                        file: &prev.path,
                        message: end.describe(),
                    })?;
                }
                back.kept.extend(kept);
                kept = back.kept;
                older = z;
            }
            if target.is_dir() {
                on(FollowEvent::Following(&pos.path))?;
            }
            let tail = kept.len();
            for k in &kept {
                let Ok(txn) = Txn::decode(
                    &k.bytes,
                    k.offset + ENTRY_PREFIX_LEN as u64,
                    &options.limits,
                ) else {
                    continue;
                };
                let entry = TxnEntry {
                    offset: k.offset,
                    stored_checksum: k.stored_checksum,
                    bytes: &k.bytes,
                    txn,
                };
                format_for(&k.path).txn(&entry, &mut text, &mut state);
            }
            on(FollowEvent::CaughtUp {
                file: &pos.path,
                offset: pos.offset,
                before: skipped_newest,
                tail,
            })?;
            if !text.is_empty() {
                on(FollowEvent::Lines(&text))?;
                text.clear();
            }
            current = Some(pos);
        }
    }
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

/// An entry kept for `--tail`: its framing and txn bytes, decoded again
/// when printed (a borrowed entry cannot outlive its read window).
struct Kept {
    path: PathBuf,
    offset: u64,
    stored_checksum: u64,
    bytes: Vec<u8>,
}

/// Reading a log up to the end of its data without showing anything,
/// keeping the last `keep` entries that pass the filter.
struct Scan<'f> {
    filter: &'f Filter,
    options: IterOptions,
    keep: usize,
    /// Only entries with a lower zxid are kept (the first zxid of the newer
    /// log: an older log's entries past it are not shown twice).
    below: Option<Zxid>,
    kept: VecDeque<Kept>,
    /// Entries read.
    seen: u64,
}

impl Scan<'_> {
    /// Reads `pos`'s log from `pos.offset` to the end of what is there now
    /// (the end of the file, zero padding, a torn or damaged entry), moving
    /// `pos` past the entries read and `last_zxid` to the last of them.
    fn skip_to_end(
        &mut self,
        pos: &mut Position,
        last_zxid: &mut Option<Zxid>,
    ) -> Result<(), Error> {
        loop {
            let (head, bytes, file_len) = match read_tail(&pos.path, pos.offset, pos.want)? {
                TailRead::Nothing => return Ok(()),
                TailRead::Shrank => {
                    // Cut while read (a follower's TRUNC): read it again.
                    pos.offset = FILE_HEADER_LEN as u64;
                    pos.want = 0;
                    self.kept.clear();
                    self.seen = 0;
                    *last_zxid = None;
                    continue;
                }
                TailRead::Bytes {
                    head,
                    bytes,
                    file_len,
                } => (head, bytes, file_len),
            };
            // A header not written yet, or a bad one: the follow loop waits
            // for it or reports it.
            let Ok(log) = TxnLog::parse(&head) else {
                return Ok(());
            };
            let from = pos.offset;
            let log = TxnLog::window(*log.header(), &bytes, from);
            let mut iter = log.entries(self.options);
            for entry in &mut iter {
                let z = entry.txn.header.zxid;
                if last_zxid.is_some_and(|l| z <= l) {
                    continue;
                }
                *last_zxid = Some(z);
                self.seen += 1;
                if self.keep > 0
                    && self.below.is_none_or(|b| z < b)
                    && self.filter.matches(&entry.txn)
                {
                    if self.kept.len() == self.keep {
                        self.kept.pop_front();
                    }
                    self.kept.push_back(Kept {
                        path: pos.path.clone(),
                        offset: entry.offset,
                        stored_checksum: entry.stored_checksum,
                        bytes: entry.bytes.to_vec(),
                    });
                }
            }
            let end = iter.end().cloned();
            pos.offset = end.as_ref().map_or(iter.offset(), LogEnd::offset);
            pos.want = match &end {
                Some(LogEnd::TornTail { needed, .. }) => *needed,
                _ => 0,
            };
            let read_all = from + bytes.len() as u64 >= file_len;
            let more = matches!(
                end,
                Some(LogEnd::TornTail { .. }) | Some(LogEnd::Eof { .. }) | None
            );
            pos.end = end;
            // More to read only when the window stopped short of the file's
            // end in the middle of the entries.
            if read_all || !more {
                return Ok(());
            }
        }
    }
}
