//! Checking one txn log: every entry's framing, checksum and zxid order, how
//! the entries end, and what ZooKeeper's restore would do at that end.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::{Finding, Options, Progress, Severity, finding, io_error, name_of};
use crate::error::Error;
use crate::files::log::{BadHeader, OpenLog};
use crate::files::par::{self, Flow};
use crate::format::DecodeErrorKind;
use crate::format::header::FILE_HEADER_LEN;
use crate::format::jute::JUTE_MAX_BUFFER;
use crate::format::txnlog::{IterOptions, LogChunk, LogEnd, TxnLog};
use crate::format::verdict::{self, EndClass, ZkAction};
use crate::zxid::Zxid;

/// What ZooKeeper's iterator does at the end of a log's readable entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum ZkEnd {
    /// Moves on to the next file (clean end, torn tail, partial record).
    Next,
    /// Moves on, silently skipping what follows (missing end byte, short body).
    Skip,
    /// Throws: restore fails.
    Fatal(String),
}

/// How a log's entries end, as the verdict judged it.
#[derive(Clone, Copy, Debug)]
pub(super) struct EndSeen {
    pub(super) class: EndClass,
    /// A clean end that is zero padding (not the end of the file).
    pub(super) padding: bool,
    /// The finding code and offset of a crash tail or damage.
    pub(super) coded: Option<(&'static str, u64)>,
}

/// One log, read once.
#[derive(Clone, Debug)]
pub(super) struct LogScan {
    pub(super) path: PathBuf,
    pub(super) count: u64,
    pub(super) first: Option<Zxid>,
    pub(super) last: Option<Zxid>,
    pub(super) max: Option<Zxid>,
    /// Offset of the entry ZooKeeper stops at (for skip/fatal).
    pub(super) stop_offset: Option<u64>,
    pub(super) zk_end: ZkEnd,
    /// Valid entries after the stop point: count, first, last.
    pub(super) after: Option<(u64, Zxid, Zxid)>,
    /// Txns ZooKeeper never reads from this file (the damaged ones and the
    /// valid ones after them): count, first, last.
    pub(super) lost: Option<(u64, Zxid, Zxid)>,
    /// The header is bad or the file empty.
    pub(super) unreadable: bool,
    /// Zxids missing inside this file (same-epoch jumps).
    pub(super) gap_missing: u64,
    /// Last zxid before the first in-file gap.
    pub(super) before_gap: Option<Zxid>,
    /// How the entries end, by [`verdict`] (`None`: not judged, the file
    /// could not be read).
    pub(super) end: Option<EndSeen>,
    /// What only some ZooKeeper versions write (see `writers`).
    pub(super) features: Vec<super::writers::Feature>,
    pub(super) findings: Vec<Finding>,
}

pub(super) fn scan_log(
    path: &Path,
    name_zxid: Zxid,
    opts: &Options,
    progress: Progress<'_>,
) -> LogScan {
    let mut s = LogScan {
        path: path.to_path_buf(),
        count: 0,
        first: None,
        last: None,
        max: None,
        stop_offset: None,
        zk_end: ZkEnd::Next,
        after: None,
        lost: None,
        unreadable: false,
        gap_missing: 0,
        features: Vec::new(),
        before_gap: None,
        end: None,
        findings: Vec::new(),
    };
    let io_failed = |s: &mut LogScan, e: &dyn std::fmt::Display| {
        s.unreadable = true;
        s.zk_end = ZkEnd::Fatal(format!(
            "cannot read {}: {}",
            name_of(path),
            crate::error::os_text(e)
        ));
        s.findings.push(io_error(path, e));
    };
    // Mapped, or read a window at a time with --no-mmap (bounded memory).
    let mut log = match OpenLog::open(path, opts.no_mmap) {
        Ok(Ok(log)) => log,
        Err(e) => {
            // A mapped open reports the OS error alone.
            match (&e, opts.no_mmap) {
                (Error::Io { source, .. }, false) => io_failed(&mut s, source),
                _ => io_failed(&mut s, &e),
            }
            return s;
        }
        Ok(Err(BadHeader { size: 0, .. })) => {
            s.unreadable = true;
            s.zk_end = ZkEnd::Fatal(format!(
                "EOFException reading the header of {}",
                name_of(path)
            ));
            s.findings.push(finding(
                Severity::Error,
                "log_empty",
                path,
                Some(0),
                None,
                "empty file (0 bytes, not even a header)".into(),
                Some("ZooKeeper fails with an EOFException when it opens this log during restore"),
            ));
            return s;
        }
        Ok(Err(BadHeader { error: e, .. })) => {
            s.unreadable = true;
            let why = if matches!(e.kind(), DecodeErrorKind::BadMagic { .. }) {
                format!("invalid magic number in {}", name_of(path))
            } else {
                format!("EOFException reading the header of {}", name_of(path))
            };
            s.zk_end = ZkEnd::Fatal(why);
            s.findings.push(finding(
                Severity::Error,
                "log_bad_header",
                path,
                Some(e.offset()),
                None,
                format!("bad file header: {e}"),
                Some("ZooKeeper fails when it opens this log during restore"),
            ));
            return s;
        }
    };
    let size = log.len();
    let iter_opts = IterOptions {
        limits: opts.limits,
        verify_checksums: true,
    };
    let mut checks = EntryChecks::default();
    let mut released = 0u64;
    let releaser = log.releaser();
    // Chunks are read on `opts.threads` threads (framing, checksums and
    // decoding are most of the time) and checked here in file order.
    let check_entries = |view: &TxnLog<'_>| {
        let mut end = None;
        par::log_chunks(
            opts.threads,
            view,
            par::LOG_CHUNK_BYTES,
            &iter_opts.limits,
            |chunk| {
                let read = read_chunk(view, chunk, iter_opts);
                let next = read.next;
                (read, next)
            },
            |read: ChunkRead| -> Result<Flow, Error> {
                for e in &read.entries {
                    checks.entry(&mut s, e);
                }
                for f in read.features {
                    super::writers::note(&mut s.features, f);
                }
                if read.next.saturating_sub(released) > 16 << 20 {
                    releaser.release_before(read.next);
                    progress(read.next - released);
                    released = read.next;
                }
                Ok(match read.end {
                    None => Flow::Continue,
                    Some(e) => {
                        end = Some(e);
                        Flow::Stop
                    }
                })
            },
        )?;
        Ok(end)
    };
    let end = match log.run(0, &iter_opts.limits, check_entries) {
        Ok(end) => end,
        Err(e) => {
            io_failed(&mut s, &e);
            return s;
        }
    };
    checks.finish(&mut s);
    let end = end.unwrap_or(LogEnd::Eof { offset: size });
    if s.count == 0
        && matches!(
            end,
            LogEnd::Eof { .. }
                | LogEnd::Padding {
                    nonzero_at: None,
                    ..
                }
        )
    {
        s.findings.push(finding(
            Severity::Warning,
            "log_header_only",
            path,
            Some(FILE_HEADER_LEN as u64),
            None,
            "the log has a header but no txns".into(),
            Some("harmless: ZooKeeper created the file and stopped before the first write"),
        ));
    }
    if let Some(first) = s.first
        && first != name_zxid
    {
        s.findings.push(finding(
            Severity::Error,
            "log_name_mismatch",
            path,
            Some(FILE_HEADER_LEN as u64),
            Some(first),
            format!("named for zxid {name_zxid} but its first txn is {first}"),
            Some("ZooKeeper picks log files by name, so it may skip this file or read it out of order"),
        ));
    }
    classify_end(&mut s, &mut log, &end, iter_opts);
    if let Some(now) = log.shrunk() {
        s.findings.push(finding(
            Severity::Error,
            "log_changed_while_read",
            path,
            Some(now),
            None,
            format!("the file shrank from {size} to {now} bytes while it was being read"),
            Some(CHANGED_MEANING),
        ));
    }
    progress(size.saturating_sub(released));
    s
}

/// What a log that shrank under the reader means.
pub(crate) const CHANGED_MEANING: &str = "what was checked is not what the file holds now (a follower told to TRUNC cuts its log in place); check a copy, or the data dir of a stopped server";

/// What the checks need of one entry.
#[derive(Clone, Copy, Debug)]
struct EntrySeen {
    zxid: Zxid,
    offset: u64,
    len: usize,
}

/// The entries of one chunk, read on a worker.
struct ChunkRead {
    entries: Vec<EntrySeen>,
    /// What only some versions write, in first-seen order.
    features: Vec<super::writers::Feature>,
    /// Offset after the last entry read.
    next: u64,
    /// How the entries end, when they end in this chunk.
    end: Option<LogEnd>,
}

/// Reads the entries of `chunk`: up to the first at or past its end, or to
/// the end of the entries.
fn read_chunk(log: &TxnLog<'_>, chunk: LogChunk, opts: IterOptions) -> ChunkRead {
    let (mut entries, mut found) = (Vec::new(), Vec::new());
    let mut end = None;
    let mut it = log.entries_at(chunk.start, opts);
    loop {
        if chunk.end.is_some_and(|e| it.offset() >= e) {
            break;
        }
        let Some(e) = it.next() else {
            end = it.end().cloned();
            break;
        };
        entries.push(EntrySeen {
            zxid: e.txn.header.zxid,
            offset: e.offset,
            len: e.bytes.len(),
        });
        features(&mut found, &e.txn);
    }
    ChunkRead {
        entries,
        features: found,
        next: it.offset(),
        end,
    }
}

/// What only some ZooKeeper versions write, in one txn.
fn features(list: &mut Vec<super::writers::Feature>, txn: &crate::format::txn::Txn<'_>) {
    use super::writers::note;
    use crate::format::txn::{OpCode, TxnBody};
    use crate::format::version::ZkVersion;
    if list.len() >= 3 {
        return; // every kind a log can show is known already
    }
    if txn.digest.is_some() {
        note(list, (ZkVersion::V3_6, "txn digests"));
    }
    let ext = |op: OpCode| match op {
        OpCode::CREATE2
        | OpCode::CREATE_CONTAINER
        | OpCode::DELETE_CONTAINER
        | OpCode::CREATE_TTL => Some((ZkVersion::V3_5, "create2, container or TTL txns")),
        _ => None,
    };
    if let Some(f) = ext(txn.header.op) {
        note(list, f);
    }
    match &txn.body {
        TxnBody::CloseSession { paths: Some(_) } => note(
            list,
            (
                ZkVersion::V3_6,
                "closeSession with the paths of its ephemerals",
            ),
        ),
        TxnBody::Multi { ops } => {
            if let Some(f) = ops.iter().find_map(|o| ext(o.op)) {
                note(list, f);
            }
        }
        _ => {}
    }
}

/// The per-entry checks of a log scan, with their counters.
#[derive(Default)]
struct EntryChecks {
    prev: Option<Zxid>,
    order_bad: u64,
    gaps: u64,
    big: u64,
}

impl EntryChecks {
    fn entry(&mut self, s: &mut LogScan, e: &EntrySeen) {
        let Self {
            prev,
            order_bad,
            gaps,
            big,
        } = self;
        let z = e.zxid;
        if let Some(p) = *prev {
            if z <= p {
                if *order_bad == 0 {
                    s.findings.push(finding(
                        Severity::Error,
                        "log_zxid_order",
                        &s.path,
                        Some(e.offset),
                        Some(z),
                        format!("zxid {z} follows {p}: zxids must increase"),
                        Some("ZooKeeper logs an error and applies the txn anyway, out of order"),
                    ));
                }
                *order_bad += 1;
            } else if z.epoch() == p.epoch() && z.0 > p.0 + 1 {
                if *gaps == 0 {
                    s.findings.push(finding(
                        Severity::Error,
                        "log_zxid_gap",
                        &s.path,
                        Some(e.offset),
                        Some(z),
                        format!(
                            "zxids {}..{} are missing before this entry ({} txns)",
                            Zxid(p.0 + 1),
                            Zxid(z.0 - 1),
                            z.0 - p.0 - 1
                        ),
                        Some("those txns are lost; ZooKeeper replays across the gap without noticing"),
                    ));
                }
                *gaps += 1;
                s.gap_missing += (z.0 - p.0 - 1) as u64;
                s.before_gap.get_or_insert(p);
            }
        }
        if e.len as u64 > JUTE_MAX_BUFFER {
            if *big == 0 {
                s.findings.push(finding(
                    Severity::Warning,
                    "log_entry_over_maxbuffer",
                    &s.path,
                    Some(e.offset),
                    Some(z),
                    format!(
                        "entry of {} bytes is larger than the default jute.maxbuffer ({JUTE_MAX_BUFFER})",
                        e.len
                    ),
                    Some("restore reads it (limit is maxbuffer + extrasize), but syncing it to a follower or a client with the default jute.maxbuffer may fail"),
                ));
            }
            *big += 1;
        }
        *prev = Some(z);
        s.count += 1;
        s.first.get_or_insert(z);
        s.last = Some(z);
        s.max = Some(s.max.map_or(z, |m| m.max(z)));
    }

    /// Notes how many more places had the same problems.
    fn finish(&self, s: &mut LogScan) {
        let Self {
            order_bad,
            gaps,
            big,
            ..
        } = *self;
        if order_bad > 1 || gaps > 1 {
            let last = s.findings.last_mut();
            if let Some(f) = last {
                let _ = write!(
                    f.message,
                    " (and {} more places in this file)",
                    (order_bad + gaps).saturating_sub(1)
                );
            }
        }
        if big > 1
            && let Some(f) = s
                .findings
                .iter_mut()
                .find(|f| f.code == "log_entry_over_maxbuffer")
        {
            let _ = write!(f.message, " ({big} such entries in this file)");
        }
    }
}

/// Judges how the log ends (the one verdict every subcommand reports) and
/// turns it into findings.
fn classify_end(s: &mut LogScan, log: &mut OpenLog, end: &LogEnd, iter_opts: IterOptions) {
    let path = s.path.clone();
    let v = match log.judge(end.clone(), s.last, iter_opts) {
        Ok(v) => v,
        Err(e) => {
            s.findings.push(io_error(&path, &e));
            return;
        }
    };
    let off = end.offset();
    s.after = v.valid_after();
    s.lost = v.dropped();
    s.zk_end = match (&v.zookeeper, v.class) {
        (ZkAction::Fatal(why), _) => ZkEnd::Fatal(why.clone()),
        (ZkAction::NextLog, EndClass::Damage) => ZkEnd::Skip,
        (ZkAction::NextLog, _) => ZkEnd::Next,
    };
    if v.class != EndClass::Clean {
        s.stop_offset = Some(off);
    }
    let meaning = v.meaning();
    let coded = verdict::log_end_code(end, v.class);
    s.end = Some(EndSeen {
        class: v.class,
        padding: matches!(end, LogEnd::Padding { .. }),
        coded,
    });
    let Some((code, offset)) = coded else {
        return;
    };
    let severity = if v.class == EndClass::CrashTail {
        Severity::Warning
    } else {
        Severity::Error
    };
    let message = match end {
        LogEnd::Padding { .. } => format!(
            "non-zero bytes at {offset:#x} after the zero-length entry at {off:#x} that ends the log"
        ),
        LogEnd::Corrupt { error, .. } => format!("entry at {off:#x}: {}", error.kind()),
        _ => v.message(),
    };
    s.findings.push(finding(
        severity,
        code,
        &path,
        Some(offset),
        None,
        message,
        Some(&meaning),
    ));
}
