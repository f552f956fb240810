//! Checking one txn log: every entry's framing, checksum and zxid order, how
//! the entries end, and what ZooKeeper's restore would do at that end.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::{Finding, Options, Progress, Severity, finding, io_error, name_of};
use crate::error::Error;
use crate::files::log::{BadHeader, OpenLog};
use crate::format::DecodeErrorKind;
use crate::format::header::FILE_HEADER_LEN;
use crate::format::jute::JUTE_MAX_BUFFER;
use crate::format::txnlog::{IterOptions, LogEnd, TxnEntry, TxnLog};
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
    /// Torn or partial end (a crash).
    pub(super) torn: bool,
    /// The header is bad or the file empty.
    pub(super) unreadable: bool,
    /// Zxids missing inside this file (same-epoch jumps).
    pub(super) gap_missing: u64,
    /// Last zxid before the first in-file gap.
    pub(super) before_gap: Option<Zxid>,
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
        torn: false,
        unreadable: false,
        gap_missing: 0,
        before_gap: None,
        findings: Vec::new(),
    };
    let io_failed = |s: &mut LogScan, e: &dyn std::fmt::Display| {
        s.unreadable = true;
        s.zk_end = ZkEnd::Fatal(format!("cannot read {}: {e}", name_of(path)));
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
    let check_entries = |view: &TxnLog<'_>| {
        let mut it = view.entries(iter_opts);
        for e in &mut it {
            checks.entry(&mut s, &e);
            if e.offset.saturating_sub(released) > 64 << 20 {
                releaser.release_before(e.offset);
                progress(e.offset - released);
                released = e.offset;
            }
        }
        Ok(it.end().cloned())
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
    progress(size.saturating_sub(released));
    s
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
    fn entry(&mut self, s: &mut LogScan, e: &TxnEntry<'_>) {
        let path = s.path.clone();
        let path = path.as_path();
        let Self {
            prev,
            order_bad,
            gaps,
            big,
        } = self;
        let z = e.txn.header.zxid;
        if let Some(p) = *prev {
            if z <= p {
                if *order_bad == 0 {
                    s.findings.push(finding(
                        Severity::Error,
                        "log_zxid_order",
                        path,
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
                        path,
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
        if e.bytes.len() as u64 > JUTE_MAX_BUFFER {
            if *big == 0 {
                s.findings.push(finding(
                    Severity::Warning,
                    "log_entry_over_maxbuffer",
                    path,
                    Some(e.offset),
                    Some(z),
                    format!(
                        "entry of {} bytes is larger than the default jute.maxbuffer ({JUTE_MAX_BUFFER})",
                        e.bytes.len()
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

/// The length field of the entry at `offset`.
fn len_at(log: &mut OpenLog, offset: u64) -> Option<i32> {
    let b = log.bytes_at(offset + 8, 4).ok()?;
    Some(i32::from_be_bytes(b.as_ref().try_into().ok()?))
}

/// The valid entries from `offset` on: count, first and last zxid.
fn entries_from(log: &mut OpenLog, offset: u64, opts: IterOptions) -> Option<(u64, Zxid, Zxid)> {
    let mut count = 0u64;
    let (mut first, mut last) = (None, None);
    // An I/O error here only shortens the count.
    let _ = log.run(offset, &opts.limits, |view| {
        let mut it = view.entries(opts);
        for e in it.by_ref() {
            count += 1;
            first.get_or_insert(e.txn.header.zxid);
            last = Some(e.txn.header.zxid);
        }
        Ok(it.end().cloned())
    });
    Some((count, first?, last?))
}

fn classify_end(s: &mut LogScan, log: &mut OpenLog, end: &LogEnd, iter_opts: IterOptions) {
    let path = s.path.clone();
    let off = end.offset();
    match end {
        LogEnd::Eof { .. }
        | LogEnd::Padding {
            nonzero_at: None, ..
        } => {}
        LogEnd::Padding {
            nonzero_at: Some(nz),
            ..
        } => {
            s.stop_offset = Some(off);
            s.findings.push(finding(
                Severity::Error,
                "log_garbage_after_end",
                &path,
                Some(*nz),
                None,
                format!(
                    "non-zero bytes at {nz:#x} after the zero-length entry at {off:#x} that ends the log"
                ),
                Some("ZooKeeper stops reading at the zero length and never sees what follows; it may be stale or lost data"),
            ));
            // A zeroed run in the middle of real entries: look for them.
            s.after = entries_from(log, *nz, iter_opts);
        }
        LogEnd::TornTail {
            needed, available, ..
        } => {
            s.torn = true;
            s.stop_offset = Some(off);
            s.findings.push(finding(
                Severity::Warning,
                "log_torn_tail",
                &path,
                Some(off),
                None,
                format!(
                    "the file ends inside the entry at {off:#x} ({available} of {needed} bytes)"
                ),
                Some("a write cut short by a crash; that txn was never acknowledged, and ZooKeeper ignores it"),
            ));
        }
        LogEnd::PartialRecord { len, .. } => {
            s.torn = true;
            s.stop_offset = Some(off);
            s.findings.push(finding(
                Severity::Warning,
                "log_partial_record",
                &path,
                Some(off),
                None,
                format!(
                    "the entry at {off:#x} (length {len}) has zeros instead of its body and end byte, and only zeros follow"
                ),
                Some("a write cut short by a crash; that txn was never acknowledged, and ZooKeeper ignores it (\"Last transaction was partial\")"),
            ));
        }
        LogEnd::Corrupt { error, .. } => {
            s.stop_offset = Some(off);
            let (code, zk) = match error.kind() {
                DecodeErrorKind::ChecksumMismatch { .. } => (
                    "log_checksum_mismatch",
                    ZkEnd::Fatal(format!("CRC check failed in {}", name_of(&path))),
                ),
                DecodeErrorKind::NegativeLength(-1) => (
                    "log_bad_length",
                    ZkEnd::Fatal(format!(
                        "NullPointerException on the length -1 entry in {}",
                        name_of(&path)
                    )),
                ),
                DecodeErrorKind::NegativeLength(_) | DecodeErrorKind::LengthOverLimit { .. }
                    if error.offset() == off + 8 =>
                {
                    (
                        "log_bad_length",
                        ZkEnd::Fatal(format!("Unreasonable length in {}", name_of(&path))),
                    )
                }
                DecodeErrorKind::MissingEndOfRecord { .. } => ("log_missing_eor", ZkEnd::Skip),
                DecodeErrorKind::UnknownOpCode(_) => (
                    "log_undecodable_txn",
                    ZkEnd::Fatal(format!("Unsupported Txn type in {}", name_of(&path))),
                ),
                DecodeErrorKind::UnexpectedEof { .. } => ("log_undecodable_txn", ZkEnd::Skip),
                DecodeErrorKind::NegativeLength(_) | DecodeErrorKind::LengthOverLimit { .. } => (
                    "log_undecodable_txn",
                    ZkEnd::Fatal(format!("Unreasonable length in {}", name_of(&path))),
                ),
                _ => (
                    "log_undecodable_txn",
                    ZkEnd::Fatal(format!("undecodable txn in {}", name_of(&path))),
                ),
            };
            let meaning = match &zk {
                ZkEnd::Fatal(_) => "ZooKeeper's restore fails on this entry if it reads this file",
                _ => {
                    "ZooKeeper treats this as the end of the file and silently skips everything after it"
                }
            };
            s.zk_end = zk;
            s.findings.push(finding(
                Severity::Error,
                code,
                &path,
                Some(error.offset()),
                None,
                format!("entry at {off:#x}: {}", error.kind()),
                Some(meaning),
            ));
            // The framing is known when the length was sane: look past it.
            let bytes_off = off + 12;
            let len = len_at(log, off).unwrap_or(-1);
            if len > 0 && code != "log_bad_length" {
                s.after = entries_from(log, bytes_off + len as u64 + 1, iter_opts);
            }
        }
    }
    if let ZkEnd::Next = s.zk_end
        && matches!(
            end,
            LogEnd::Padding {
                nonzero_at: Some(_),
                ..
            }
        )
    {
        s.zk_end = ZkEnd::Skip;
    }
}
