//! Is a data dir healthy, and what would ZooKeeper do with it?
//!
//! [`verify_dir`] checks every file of a data dir (every log entry's
//! framing and Adler-32, every snapshot seal and the shape of its tree),
//! then the files against each other (zxid order, gaps, overlaps, names,
//! leftovers, epoch files), and finally predicts ZooKeeper 3.x's own
//! restore (`FileTxnSnapLog.restore`): which snapshot it loads, which logs
//! it replays, where it silently stops reading a file, and whether it
//! starts at all. The result is a list of [`Finding`]s plus a [`Recovery`].
//!
//! The prediction follows what ZooKeeper 3.8.0 really does (FORMAT.md
//! §2.4, §2.5, §4.7, §6.1, §6.2), which is checked against the real server
//! by the test suite. Nothing here writes to the data dir.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::files::datadir::{DataDir, FileKind, classify, zookeeper_name_zxid};
use crate::files::source;
use crate::files::window::{self, WindowedLog};
use crate::format::DecodeErrorKind;
use crate::format::checksum::adler32;
use crate::format::compress::{Compression, GZIP_MAGIC, SNAPPY_MAGIC};
use crate::format::header::{FILE_HEADER_LEN, SNAP_MAGIC, TXNLOG_MAGIC};
use crate::format::jute::{JUTE_MAX_BUFFER, Limits};
use crate::format::snapshot::{
    SLASH_USTRING, STAT_PERSISTED_LEN, Snapshot, SnapshotEnd, ZxidDigest,
};
use crate::format::txnlog::{IterOptions, LogEnd, TxnEntry, TxnIter, TxnLog};
use crate::zxid::Zxid;

/// How bad a finding is. Errors make `verify` exit 1; warnings only with `--strict`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth knowing; nothing is wrong.
    Note,
    /// Unusual but harmless for recovery (e.g. the torn last record of a crash).
    Warning,
    /// Corruption, lost or skipped txns, or a dir ZooKeeper cannot start from.
    Error,
}

impl Severity {
    /// `error`, `warning` or `note`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// Every finding code, with what it means. Stable: codes are only added.
pub const CODES: &[(&str, &str)] = &[
    ("io_error", "a file or directory could not be read"),
    (
        "log_bad_header",
        "a log does not start with the ZKLG header (ZooKeeper fails on it)",
    ),
    (
        "log_empty",
        "a zero-byte log (ZooKeeper fails reading its header)",
    ),
    (
        "log_header_only",
        "a log with a header and no txns (harmless)",
    ),
    (
        "log_checksum_mismatch",
        "an entry's Adler-32 does not match (ZooKeeper fails: CRC check failed)",
    ),
    (
        "log_bad_length",
        "an entry length below 0 or above the limit (ZooKeeper fails; -1 crashes it)",
    ),
    (
        "log_missing_eor",
        "an entry without its 0x42 end byte, with data after it (ZooKeeper silently skips the rest of the file)",
    ),
    (
        "log_undecodable_txn",
        "an entry whose txn cannot be decoded",
    ),
    (
        "log_torn_tail",
        "the file ends inside an entry: a write cut short by a crash",
    ),
    (
        "log_partial_record",
        "an entry with only zeros where its body and end byte should be: a write cut short by a crash",
    ),
    (
        "log_garbage_after_end",
        "non-zero bytes after the zero padding that ends a log (ZooKeeper never reads them)",
    ),
    ("log_zxid_order", "zxids that do not increase inside a log"),
    (
        "log_zxid_gap",
        "zxids missing inside an epoch, within a log or between logs",
    ),
    (
        "log_overlap",
        "a log starts at or below the last zxid of the previous log",
    ),
    (
        "log_name_mismatch",
        "a log's name differs from its first txn's zxid",
    ),
    (
        "log_entry_over_maxbuffer",
        "an entry larger than jute.maxbuffer (followers and clients may refuse it)",
    ),
    (
        "txns_skipped",
        "valid txns that ZooKeeper's restore would silently never read",
    ),
    (
        "txns_lost",
        "txns missing from the history ZooKeeper would replay",
    ),
    (
        "snapshot_bad_header",
        "a snapshot does not start with the ZKSN header",
    ),
    ("snapshot_truncated", "a snapshot stream ends early"),
    ("snapshot_corrupt", "a snapshot record cannot be decoded"),
    (
        "snapshot_compressed_stream",
        "the gzip/snappy container of a snapshot is damaged",
    ),
    (
        "snapshot_seal_mismatch",
        "a snapshot seal (running Adler-32) does not match",
    ),
    (
        "snapshot_bad_marker",
        "the \"/\" string after a seal is damaged (ZooKeeper rejects the snapshot)",
    ),
    (
        "snapshot_parent_missing",
        "a node comes before its parent (ZooKeeper rejects the snapshot)",
    ),
    (
        "snapshot_duplicate_node",
        "a path appears twice in a snapshot",
    ),
    (
        "snapshot_acl_missing",
        "a node refers to an ACL id missing from the ACL cache",
    ),
    (
        "snapshot_acl_null",
        "an ACL cache entry with a null list (ZooKeeper's loader throws)",
    ),
    (
        "snapshot_not_candidate",
        "a snapshot ZooKeeper ignores because it fails the cheap validity check",
    ),
    (
        "snapshot_no_digest",
        "a snapshot without the 3.6+ digest section",
    ),
    (
        "snapshot_skipped",
        "a snapshot ZooKeeper would try and reject, falling back to an older one",
    ),
    (
        "leftover_file",
        "a file left by a crash or a tool that ZooKeeper may misread",
    ),
    ("unknown_file", "a file zkdd does not know"),
    (
        "misplaced_file",
        "a snapshot in dataLogDir or a log in dataDir (3.6+ refuses to start)",
    ),
    (
        "epoch_mismatch",
        "acceptedEpoch/currentEpoch inconsistent with each other or the last zxid (a quorum peer refuses to start)",
    ),
    (
        "epoch_unreadable",
        "an epoch file that is not a decimal number",
    ),
    ("epoch_missing", "one epoch file without the other"),
    (
        "no_snapshot",
        "logs but no usable snapshot: ZooKeeper refuses to start",
    ),
    (
        "digest_mismatch",
        "the replayed tree's digest differs from a recorded digest (the first mismatching zxid)",
    ),
    (
        "digest_unverified",
        "the logs end before a fuzzy snapshot's digest zxid, so nothing could be compared",
    ),
    (
        "zookeeper_would_fail",
        "ZooKeeper's restore would fail on this dir",
    ),
];

/// One thing found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// How bad.
    pub severity: Severity,
    /// Stable code (see [`CODES`]).
    pub code: &'static str,
    /// The file (or directory) concerned.
    pub file: PathBuf,
    /// Byte offset in the file (in the uncompressed stream for compressed snapshots,
    /// except `snapshot_compressed_stream`, whose offset is in the file).
    pub offset: Option<u64>,
    /// The txn concerned, when there is one.
    pub zxid: Option<Zxid>,
    /// What is wrong.
    pub message: String,
    /// What it means for recovery.
    pub meaning: Option<String>,
}

/// Options.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Length limit (jute.maxbuffer + extrasize).
    pub limits: Limits,
    /// Read files instead of mapping them.
    pub no_mmap: bool,
    /// Replay the tree and compare digests (3.6+ files).
    pub digests: bool,
    /// Files checked at the same time.
    pub threads: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            limits: Limits::default(),
            no_mmap: false,
            digests: true,
            threads: crate::files::par::default_threads(),
        }
    }
}

/// Progress callback: bytes done. Called from the threads checking files.
pub type Progress<'p> = &'p (dyn Fn(u64) + Sync);

/// A file to check.
enum ScanJob<'p> {
    Log(&'p Path, Zxid),
    Snapshot(&'p Path),
}

/// What checking one file found.
enum Scan {
    Log(LogScan),
    Snapshot(SnapScan),
}

/// Checks files on `opts.threads` threads, biggest first so the threads
/// finish together; results come back in the order of `jobs`.
fn scan_files(jobs: Vec<ScanJob<'_>>, opts: &Options, progress: Progress<'_>) -> Vec<Scan> {
    let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
    let mut order: Vec<(u64, usize, ScanJob<'_>)> = jobs
        .into_iter()
        .enumerate()
        .map(|(i, j)| {
            let p = match j {
                ScanJob::Log(p, _) | ScanJob::Snapshot(p) => p,
            };
            (size(p), i, j)
        })
        .collect();
    order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut scans: Vec<Option<Scan>> = std::iter::repeat_with(|| None).take(order.len()).collect();
    let done = crate::files::par::ordered(
        opts.threads,
        order.into_iter(),
        |(_, i, job)| {
            let scan = match job {
                ScanJob::Log(p, z) => Scan::Log(scan_log(p, z, opts, progress)),
                ScanJob::Snapshot(p) => Scan::Snapshot(scan_snapshot(p, opts, progress)),
            };
            (i, scan)
        },
        |(i, scan)| {
            if let Some(slot) = scans.get_mut(i) {
                *slot = Some(scan);
            }
            Ok::<_, std::convert::Infallible>(crate::files::par::Flow::Continue)
        },
    );
    match done {
        Ok(()) => {}
        Err(never) => match never {},
    }
    scans.into_iter().flatten().collect()
}

/// What ZooKeeper's startup restore would do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Start, with this last processed zxid.
    Start(Zxid),
    /// Refuse to start or crash, for this reason.
    Fail(String),
}

/// The recoverability analysis of a data dir.
#[derive(Clone, Debug)]
pub struct Recovery {
    /// The snapshot ZooKeeper would load.
    pub snapshot: Option<PathBuf>,
    /// Its name zxid.
    pub snapshot_zxid: Option<Zxid>,
    /// Newer snapshots ZooKeeper would try and reject, with why.
    pub rejected_snapshots: Vec<(PathBuf, String)>,
    /// The log files ZooKeeper would open, in order.
    pub logs: Vec<PathBuf>,
    /// What ZooKeeper would do.
    pub outcome: Outcome,
    /// Newest zxid up to which the history is complete (snapshot plus gap-free logs).
    pub recoverable_zxid: Option<Zxid>,
    /// Txns ZooKeeper's restore would silently drop (skipped or missing).
    pub dropped_txns: u64,
    /// The first place where txns are dropped, for the sentence.
    pub first_drop: Option<String>,
    /// One plain sentence.
    pub sentence: String,
}

/// Everything verify found.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Findings, grouped by file in the order checked.
    pub findings: Vec<Finding>,
    /// For a data dir: the recovery analysis.
    pub recovery: Option<Recovery>,
    /// Files checked.
    pub files: usize,
    /// Bytes read.
    pub bytes: u64,
    /// Txn digests that matched the replayed tree (`None`: not compared).
    pub digests: Option<u64>,
}

impl Report {
    /// The worst severity found, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
    /// Number of findings of a severity.
    pub fn count(&self, s: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == s).count()
    }
}

// ---------------------------------------------------------------- logs

/// What ZooKeeper's iterator does at the end of a log's readable entries.
#[derive(Clone, Debug, PartialEq, Eq)]
enum ZkEnd {
    /// Moves on to the next file (clean end, torn tail, partial record).
    Next,
    /// Moves on, silently skipping what follows (missing end byte, short body).
    Skip,
    /// Throws: restore fails.
    Fatal(String),
}

/// One log, read once.
#[derive(Clone, Debug)]
struct LogScan {
    path: PathBuf,
    count: u64,
    first: Option<Zxid>,
    last: Option<Zxid>,
    max: Option<Zxid>,
    /// Offset of the entry ZooKeeper stops at (for skip/fatal).
    stop_offset: Option<u64>,
    zk_end: ZkEnd,
    /// Valid entries after the stop point: count, first, last.
    after: Option<(u64, Zxid, Zxid)>,
    /// Torn or partial end (a crash).
    torn: bool,
    /// The header is bad or the file empty.
    unreadable: bool,
    /// Zxids missing inside this file (same-epoch jumps).
    gap_missing: u64,
    /// Last zxid before the first in-file gap.
    before_gap: Option<Zxid>,
    findings: Vec<Finding>,
}

/// The finding for a file that could not be read.
fn io_error(path: &Path, e: &dyn std::fmt::Display) -> Finding {
    finding(
        Severity::Error,
        "io_error",
        path,
        None,
        None,
        format!("cannot read: {e}"),
        None,
    )
}

fn finding(
    severity: Severity,
    code: &'static str,
    file: &Path,
    offset: Option<u64>,
    zxid: Option<Zxid>,
    message: String,
    meaning: Option<&str>,
) -> Finding {
    Finding {
        severity,
        code,
        file: file.to_path_buf(),
        offset,
        zxid,
        message,
        meaning: meaning.map(str::to_string),
    }
}

fn name_of(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

fn scan_log(path: &Path, name_zxid: Zxid, opts: &Options, progress: Progress<'_>) -> LogScan {
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
    let mapped = if opts.no_mmap {
        None
    } else {
        match source::open(path, false) {
            Ok(bytes) => Some(bytes),
            Err(e) => {
                io_failed(&mut s, &e);
                return s;
            }
        }
    };
    let mut mapped_log = None;
    let mut windowed = None;
    let header = match &mapped {
        Some(bytes) => TxnLog::parse(bytes)
            .map(|log| mapped_log.insert(log).data().len() as u64)
            .map_err(|e| (e, bytes.len() as u64)),
        None => match WindowedLog::open(path, window::window_size()) {
            Err(e) => {
                io_failed(&mut s, &e);
                return s;
            }
            Ok(Ok(w)) => Ok(windowed.insert(w).len()),
            Ok(Err(e)) => Err((e, std::fs::metadata(path).map_or(0, |m| m.len()))),
        },
    };
    let size = match header {
        Ok(size) => size,
        Err((_, 0)) => {
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
        Err((e, _)) => {
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
    let iter_opts = IterOptions {
        limits: opts.limits,
        verify_checksums: true,
    };
    let mut checks = EntryChecks::default();
    let mut released = 0u64;
    let mut check_entries = |log: &TxnLog<'_>| {
        let mut it = log.entries(iter_opts);
        for e in &mut it {
            checks.entry(&mut s, &e);
            if e.offset.saturating_sub(released) > 64 << 20 {
                if let Some(bytes) = &mapped {
                    bytes.release_before(e.offset as usize);
                }
                progress(e.offset - released);
                released = e.offset;
            }
        }
        it.end().cloned()
    };
    let (mut source, end) = match (mapped_log, &mut windowed) {
        (Some(log), _) => {
            let end = check_entries(&log);
            (LogSource::Mapped(log), end)
        }
        (None, Some(w)) => match w.run(0, &iter_opts.limits, |view| Ok(check_entries(view))) {
            Ok(end) => (LogSource::Windowed(w), end),
            Err(e) => {
                io_failed(&mut s, &e);
                return s;
            }
        },
        (None, None) => return s,
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
    classify_end(&mut s, &mut source, &end, iter_opts);
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

/// A log's bytes for the checks after its end: mapped whole, or read
/// through a window.
enum LogSource<'a> {
    Mapped(TxnLog<'a>),
    Windowed(&'a mut WindowedLog),
}

impl LogSource<'_> {
    /// The length field of the entry at `offset`.
    fn len_at(&mut self, offset: u64) -> Option<i32> {
        let b = match self {
            LogSource::Mapped(log) => log.bytes_at(offset + 8, 4)?.try_into().ok()?,
            LogSource::Windowed(w) => w.bytes_at(offset + 8, 4).ok()?.try_into().ok()?,
        };
        Some(i32::from_be_bytes(b))
    }

    /// The valid entries from `offset` on: count, first and last zxid.
    fn entries_from(&mut self, offset: u64, opts: IterOptions) -> Option<(u64, Zxid, Zxid)> {
        let mut count = 0u64;
        let (mut first, mut last) = (None, None);
        let mut add = |it: &mut TxnIter<'_>| {
            for e in it.by_ref() {
                count += 1;
                first.get_or_insert(e.txn.header.zxid);
                last = Some(e.txn.header.zxid);
            }
        };
        match self {
            LogSource::Mapped(log) => add(&mut log.entries_at(offset, opts)),
            LogSource::Windowed(w) => {
                // An I/O error here only shortens the count.
                let _ = w.run(offset, &opts.limits, |view| {
                    let mut it = view.entries(opts);
                    add(&mut it);
                    Ok(it.end().cloned())
                });
            }
        }
        Some((count, first?, last?))
    }
}

fn classify_end(s: &mut LogScan, log: &mut LogSource<'_>, end: &LogEnd, iter_opts: IterOptions) {
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
            s.after = log.entries_from(*nz, iter_opts);
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
            let len = log.len_at(off).unwrap_or(-1);
            if len > 0 && code != "log_bad_length" {
                s.after = log.entries_from(bytes_off + len as u64 + 1, iter_opts);
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

// ------------------------------------------------------------ snapshots

/// One snapshot, read once.
#[derive(Clone, Debug)]
struct SnapScan {
    /// ZooKeeper would load it (`Err` = why it would reject it).
    zk_loads: Result<(), String>,
    /// Passes ZooKeeper's cheap validity filter.
    candidate: bool,
    /// The digest section, if read.
    digest: Option<ZxidDigest>,
    findings: Vec<Finding>,
}

/// ZooKeeper's `isValidSnapshot` by the name's last suffix (FORMAT.md §4.7).
fn zk_candidate(name: &str, file: &[u8]) -> bool {
    match name.rsplit('.').next() {
        Some("gz") => file.starts_with(&GZIP_MAGIC),
        Some("snappy") => file.starts_with(&SNAPPY_MAGIC),
        _ => file.len() >= 10 && file.ends_with(&SLASH_USTRING),
    }
}

fn zk_compression(name: &str) -> Compression {
    match name.rsplit('.').next() {
        Some("gz") => Compression::Gzip,
        Some("snappy") => Compression::Snappy,
        _ => Compression::None,
    }
}

/// A snapshot path with its hash computed once: when the set grows it
/// rehashes from the stored hash and never reads the path bytes again, which
/// may sit in mapped pages already dropped behind the scan.
#[derive(Clone, Copy, Debug)]
struct HashedPath<'a> {
    hash: u64,
    path: &'a [u8],
}

impl<'a> HashedPath<'a> {
    fn new(path: &'a [u8]) -> Self {
        use std::hash::BuildHasher as _;
        let hash =
            std::hash::BuildHasherDefault::<crate::tree::FastHasher>::default().hash_one(path);
        HashedPath { hash, path }
    }
}

impl std::hash::Hash for HashedPath<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

impl PartialEq for HashedPath<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.path == other.path
    }
}

impl Eq for HashedPath<'_> {}

fn scan_snapshot(path: &Path, opts: &Options, progress: Progress<'_>) -> SnapScan {
    let name = name_of(path);
    let mut s = SnapScan {
        zk_loads: Ok(()),
        candidate: false,
        digest: None,
        findings: Vec::new(),
    };
    let compression = zk_compression(&name);
    let raw = match source::open(path, opts.no_mmap) {
        Ok(b) => b,
        Err(e) => {
            s.zk_loads = Err(format!("cannot read: {e}"));
            s.findings.push(io_error(path, &e));
            return s;
        }
    };
    progress(raw.len() as u64);
    s.candidate = zk_candidate(&name, &raw);
    if !s.candidate {
        s.zk_loads = Err("fails ZooKeeper's validity check".into());
        s.findings.push(finding(
            Severity::Error,
            "snapshot_not_candidate",
            path,
            Some(raw.len().saturating_sub(5) as u64),
            None,
            match compression {
                Compression::None => {
                    "the file does not end with the \"/\" marker of a complete snapshot".into()
                }
                _ => "the file does not start with the magic of its compression".into(),
            },
            Some("ZooKeeper ignores this snapshot entirely"),
        ));
    }
    let decompressed;
    let stream: &[u8] = if compression == Compression::None {
        &raw
    } else {
        decompressed = crate::format::compress::decompress(&raw, compression);
        if let Some(e) = &decompressed.error {
            reject(&mut s, "damaged compressed stream");
            s.findings.push(finding(
                Severity::Error,
                "snapshot_compressed_stream",
                path,
                Some(e.offset()),
                None,
                format!("{e}"),
                Some("ZooKeeper cannot read this snapshot and falls back to an older one"),
            ));
        }
        &decompressed.data
    };
    let snap = match Snapshot::parse(stream, opts.limits) {
        Ok(sn) => sn,
        Err(e) => {
            let code = if matches!(e.kind(), DecodeErrorKind::BadMagic { .. }) {
                "snapshot_bad_header"
            } else {
                snapshot_error_code(e.kind())
            };
            reject(&mut s, &e.to_string());
            s.findings.push(finding(
                Severity::Error,
                code,
                path,
                Some(e.offset()),
                None,
                format!("{e}"),
                Some("ZooKeeper cannot load this snapshot and falls back to an older one"),
            ));
            return s;
        }
    };
    let cache: HashSet<i64> = snap.acl_cache().iter().map(|e| e.id).collect();
    for e in snap.acl_cache().iter().filter(|e| e.acl.is_none()) {
        s.zk_loads = Err("null ACL list in the ACL cache".into());
        s.findings.push(finding(
            Severity::Error,
            "snapshot_acl_null",
            path,
            Some(e.offset),
            None,
            format!("ACL cache entry {} has a null list", e.id),
            Some("ZooKeeper's loader throws a RuntimeException on it and does not start"),
        ));
    }
    // FastSet: SipHash over a million paths dominated the whole verify.
    let mut seen: crate::tree::FastSet<HashedPath<'_>> = crate::tree::FastSet::default();
    let mut iter = snap.nodes();
    let mut next_offset = snap.nodes_offset();
    let (mut dup, mut acl_missing) = (0u64, 0u64);
    let mut released = 0u64;
    for node in &mut iter {
        if node.offset - released >= 64 << 20 {
            // Keep resident memory flat on huge mapped snapshots (only the
            // path set stays, and its keys fault back in when compared).
            raw.release_before(node.offset as usize);
            released = node.offset;
        }
        next_offset = node.offset
            + 4
            + node.path.len() as u64
            + 4
            + node.data.map_or(0, |d| d.len() as u64)
            + 8
            + STAT_PERSISTED_LEN as u64;
        if !node.path.is_empty() {
            let parent = match node.path.iter().rposition(|&b| b == b'/') {
                Some(i) => node.path.get(..i).unwrap_or(b""),
                None => b"",
            };
            if !seen.contains(&HashedPath::new(parent)) {
                reject(&mut s, "Invalid Datatree, unable to find parent");
                s.findings.push(finding(
                    Severity::Error,
                    "snapshot_parent_missing",
                    path,
                    Some(node.offset),
                    None,
                    format!(
                        "node {} comes before its parent {}",
                        String::from_utf8_lossy(node.path),
                        String::from_utf8_lossy(if parent.is_empty() { b"/" } else { parent })
                    ),
                    Some("ZooKeeper rejects this snapshot (\"Invalid Datatree\") and falls back to an older one"),
                ));
            }
        }
        if !seen.insert(HashedPath::new(node.path)) {
            if dup == 0 {
                s.findings.push(finding(
                    Severity::Error,
                    "snapshot_duplicate_node",
                    path,
                    Some(node.offset),
                    None,
                    format!("node {} appears twice", String::from_utf8_lossy(node.display_path())),
                    Some("ZooKeeper loads it, keeping the last copy: the tree is not what was written"),
                ));
            }
            dup += 1;
        }
        if node.acl_id != -1 && !cache.contains(&node.acl_id) {
            if acl_missing == 0 {
                s.findings.push(finding(
                    Severity::Error,
                    "snapshot_acl_missing",
                    path,
                    Some(node.offset),
                    None,
                    format!(
                        "node {} refers to ACL id {} which is not in the ACL cache",
                        String::from_utf8_lossy(node.display_path()),
                        node.acl_id
                    ),
                    Some("ZooKeeper loads it with a warning, and then fails every access to that node"),
                ));
            }
            acl_missing += 1;
        }
    }
    match iter.into_end() {
        Some(SnapshotEnd::Complete(trailer)) => {
            for (i, seal) in trailer.seals.iter().enumerate() {
                if !seal.marker_ok {
                    reject(&mut s, "damaged \"/\" marker after a seal");
                    s.findings.push(finding(
                        Severity::Error,
                        "snapshot_bad_marker",
                        path,
                        Some(seal.offset + 8),
                        None,
                        format!("the \"/\" string after seal #{} is damaged", i + 1),
                        Some("ZooKeeper reads it as a string length and fails, falling back to an older snapshot"),
                    ));
                }
                if !seal.ok() {
                    reject(&mut s, "CRC corruption in snapshot");
                    s.findings.push(finding(
                        Severity::Error,
                        "snapshot_seal_mismatch",
                        path,
                        Some(seal.offset),
                        None,
                        format!(
                            "seal #{} stored {:#x}, computed {:#x}",
                            i + 1,
                            seal.stored,
                            seal.computed
                        ),
                        Some("ZooKeeper rejects this snapshot (\"CRC corruption\") and falls back to an older one"),
                    ));
                }
            }
            if trailer.digest.is_none() {
                s.findings.push(finding(
                    Severity::Note,
                    "snapshot_no_digest",
                    path,
                    Some(trailer.end_offset),
                    None,
                    "no digest section (written with digests off, or before 3.6)".into(),
                    None,
                ));
            }
            s.digest = trailer.digest;
        }
        Some(SnapshotEnd::Corrupt(e)) => {
            let code = snapshot_error_code(e.kind());
            // ZooKeeper reads the digest section leniently: an EOF inside it
            // means "older snapshot" and the file is accepted (FORMAT.md §4.6).
            let zk = zk_trailer(stream, next_offset as usize);
            match &zk {
                Ok(()) => {}
                Err(why) => reject(&mut s, why),
            }
            s.findings.push(finding(
                Severity::Error,
                code,
                path,
                Some(e.offset()),
                None,
                format!("{e}"),
                Some(if zk.is_ok() {
                    "ZooKeeper still loads this snapshot (it reads a cut digest section as an older format)"
                } else {
                    "ZooKeeper cannot load this snapshot and falls back to an older one"
                }),
            ));
        }
        None => {}
    }
    s
}

fn reject(s: &mut SnapScan, why: &str) {
    if s.zk_loads.is_ok() {
        s.zk_loads = Err(why.to_string());
    }
}

fn snapshot_error_code(kind: &DecodeErrorKind) -> &'static str {
    match kind {
        DecodeErrorKind::UnexpectedEof { .. } => "snapshot_truncated",
        DecodeErrorKind::ChecksumMismatch { .. } => "snapshot_seal_mismatch",
        DecodeErrorKind::BadMagic { .. } => "snapshot_bad_header",
        DecodeErrorKind::Decompress(_) => "snapshot_compressed_stream",
        _ => "snapshot_corrupt",
    }
}

/// What ZooKeeper 3.8 does with the bytes from `at` when the node stream
/// ended there: terminator, seal #1, then a digest section read with EOF
/// meaning "none", then seal #2.
fn zk_trailer(stream: &[u8], at: usize) -> Result<(), String> {
    let eof = || Err("EOF in snapshot".to_string());
    let read_i64 = |o: usize| -> Option<i64> {
        stream
            .get(o..o + 8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(i64::from_be_bytes)
    };
    let read_i32 = |o: usize| -> Option<i32> {
        stream
            .get(o..o + 4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(i32::from_be_bytes)
    };
    if stream.get(at..at + 5) != Some(&SLASH_USTRING[..]) {
        return Err("undecodable node record".into());
    }
    let seal_ok = |o: usize| -> Result<usize, String> {
        let stored = read_i64(o).ok_or("EOF in snapshot")?;
        let len = read_i32(o + 8).ok_or("EOF in snapshot")?;
        if len < -1 || len as usize > 1 << 20 {
            return Err("Unreasonable length in snapshot".into());
        }
        let end = o + 12 + len.max(0) as usize;
        if stream.len() < end {
            return Err("EOF in snapshot".into());
        }
        let computed = u64::from(adler32(stream.get(..o).unwrap_or(&[])));
        if stored as u64 != computed {
            return Err("CRC corruption in snapshot".into());
        }
        Ok(end)
    };
    let after1 = seal_ok(at + 5)?;
    // ZxidDigest: long zxid, int version, long digest (or hex string).
    let Some(_zxid) = read_i64(after1) else {
        return Ok(());
    };
    let Some(version) = read_i32(after1 + 8) else {
        return Ok(());
    };
    let digest_end = if version >= 2 {
        if read_i64(after1 + 12).is_none() {
            return Ok(());
        }
        after1 + 20
    } else {
        let Some(n) = read_i32(after1 + 12) else {
            return Ok(());
        };
        let end = after1 + 16 + n.max(0) as usize;
        if stream.len() < end {
            return Ok(());
        }
        end
    };
    if stream.len() < digest_end + 8 {
        return eof();
    }
    seal_ok(digest_end).map(|_| ())
}

// ------------------------------------------------------------- the dir

/// A file as ZooKeeper's name parser sees it.
#[derive(Clone, Debug)]
struct ZkFile {
    path: PathBuf,
    zxid: Zxid,
}

fn zk_files(dir: &Path, prefix: &str) -> Vec<ZkFile> {
    let mut v: Vec<ZkFile> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let z = zookeeper_name_zxid(&name)?;
            (name.split('.').next() == Some(prefix) && z.0 >= 0).then(|| ZkFile {
                path: e.path(),
                zxid: z,
            })
        })
        .collect();
    v.sort_by(|a, b| (a.zxid, &a.path).cmp(&(b.zxid, &b.path)));
    v
}

/// Total bytes verify will read in a data dir (for a progress bar).
pub fn dir_size(dir: &DataDir) -> u64 {
    dir.logs.iter().map(|l| l.len).sum::<u64>() + dir.snapshots.iter().map(|s| s.len).sum::<u64>()
}

/// Verifies a whole data dir and predicts ZooKeeper's restore.
pub fn verify_dir(dir: &DataDir, opts: &Options, progress: Progress<'_>) -> Report {
    if !opts.digests || dir.snapshots.is_empty() {
        return verify_dir_with(dir, opts, progress, None);
    }
    std::thread::scope(|scope| {
        // The digest check replays from the snapshot ZooKeeper would load.
        // Start that replay now, beside the file checks, from the snapshot the
        // replay engine picks itself: the checks nearly always confirm it, and
        // when they do not, the replay is redone from theirs.
        let early = scope.spawn(|| {
            crate::tree::replay::replay(
                dir,
                &digest_replay_options(opts, crate::tree::replay::Start::Auto),
                &mut |_, _| {},
            )
            .ok()
        });
        verify_dir_with(
            dir,
            opts,
            progress,
            Some(Box::new(move || early.join().ok().flatten())),
        )
    })
}

/// A replay started early; calling it waits for the result.
type EarlyReplay<'s> = Box<dyn FnOnce() -> Option<crate::tree::replay::Replay> + 's>;

fn digest_replay_options(
    opts: &Options,
    start: crate::tree::replay::Start,
) -> crate::tree::replay::Options {
    crate::tree::replay::Options {
        start,
        target: crate::tree::replay::Target::End,
        strictness: crate::tree::replay::Strictness::TolerateTail,
        no_mmap: opts.no_mmap,
        limits: opts.limits,
    }
}

fn verify_dir_with(
    dir: &DataDir,
    opts: &Options,
    progress: Progress<'_>,
    early: Option<EarlyReplay<'_>>,
) -> Report {
    let mut report = Report::default();
    let zk_logs = zk_files(&dir.log_dir, "log");
    let zk_snaps = zk_files(&dir.snap_dir, "snapshot");

    // Every log ZooKeeper could read, plus the strictly named ones; every
    // snapshot likewise. All checked at once on the available cores.
    let mut jobs = Vec::new();
    let mut seen = HashSet::new();
    for f in &zk_logs {
        seen.insert(f.path.clone());
        jobs.push(ScanJob::Log(&f.path, f.zxid));
    }
    for l in &dir.logs {
        if seen.insert(l.path.clone()) {
            jobs.push(ScanJob::Log(&l.path, l.zxid));
        }
    }
    let mut snap_paths = Vec::new();
    let mut seen = HashSet::new();
    for p in zk_snaps
        .iter()
        .map(|f| &f.path)
        .chain(dir.snapshots.iter().map(|s| &s.path))
    {
        if seen.insert(p.clone()) {
            jobs.push(ScanJob::Snapshot(p));
            snap_paths.push(p.clone());
        }
    }
    let mut log_scans: Vec<LogScan> = Vec::new();
    let mut snap_scans: HashMap<PathBuf, SnapScan> = HashMap::new();
    let mut snap_paths = snap_paths.into_iter();
    for scan in scan_files(jobs, opts, progress) {
        match scan {
            Scan::Log(l) => log_scans.push(l),
            Scan::Snapshot(sn) => {
                if let Some(p) = snap_paths.next() {
                    snap_scans.insert(p, sn);
                }
            }
        }
    }
    report.files = log_scans.len() + snap_scans.len();
    report.bytes = dir_size(dir);

    // The strictly named logs, in zxid order: the real history.
    let strict: HashSet<PathBuf> = dir.logs.iter().map(|l| l.path.clone()).collect();
    let newest_log = dir.logs.last().map(|l| l.path.clone());
    let snapshot_zxids: Vec<Zxid> = dir
        .snapshots
        .iter()
        .filter(|s| snap_scans.get(&s.path).is_some_and(|x| x.zk_loads.is_ok()))
        .map(|s| s.zxid)
        .collect();

    let recovery = predict(dir, &zk_logs, &zk_snaps, &log_scans, &snap_scans);

    // Between consecutive strict logs: continuity and overlap.
    let mut cross = Vec::new();
    let history: Vec<&LogScan> = log_scans
        .iter()
        .filter(|s| strict.contains(&s.path) && s.first.is_some())
        .collect();
    let chain: HashSet<&PathBuf> = recovery.logs.iter().collect();
    for w in history.windows(2) {
        let [a, b] = w else { continue };
        let (Some(a_last), Some(b_first)) = (a.max, b.first) else {
            continue;
        };
        if b_first <= a_last {
            cross.push(finding(
                Severity::Error,
                "log_overlap",
                &b.path,
                Some(FILE_HEADER_LEN as u64),
                Some(b_first),
                format!(
                    "starts at {b_first}, but {} already goes up to {a_last}",
                    name_of(&a.path)
                ),
                Some("ZooKeeper would apply the overlapping txns twice, out of order"),
            ));
        } else if b_first.epoch() == a_last.epoch() && b_first.0 > a_last.0 + 1 {
            let missing = b_first.0 - a_last.0 - 1;
            let in_chain = chain.contains(&b.path) && chain.contains(&a.path);
            let gap_end = Zxid(b_first.0 - 1);
            let covered = snapshot_zxids.iter().any(|&z| z >= gap_end);
            let (sev, meaning) = if in_chain && recovery_needs(&recovery, gap_end) {
                (
                    Severity::Error,
                    "ZooKeeper would replay across the gap without noticing: these txns are lost and the tree is inconsistent",
                )
            } else if covered {
                (
                    Severity::Warning,
                    "a newer snapshot covers the gap, so startup is not affected; replaying to a point inside or before it is impossible",
                )
            } else {
                (
                    Severity::Error,
                    "these txns are lost; no snapshot covers them",
                )
            };
            cross.push(finding(
                sev,
                "log_zxid_gap",
                &b.path,
                Some(FILE_HEADER_LEN as u64),
                Some(b_first),
                format!(
                    "{missing} txns ({}..{}) are missing between {} and {}",
                    Zxid(a_last.0 + 1),
                    Zxid(b_first.0 - 1),
                    name_of(&a.path),
                    name_of(&b.path)
                ),
                Some(meaning),
            ));
        }
    }

    // Per-file findings, with severities adjusted to where the file sits.
    for s in &mut log_scans {
        let is_newest = newest_log.as_ref() == Some(&s.path);
        for f in &mut s.findings {
            if (f.code == "log_torn_tail" || f.code == "log_partial_record") && !is_newest {
                let _ = write!(
                    f.message,
                    "; this is not the newest log, so the server was restarted after the crash"
                );
            }
        }
        if let Some((n, first, last)) = s.after {
            let stop = s.stop_offset.unwrap_or(0);
            s.findings.push(finding(
                Severity::Error,
                "txns_skipped",
                &s.path,
                Some(stop),
                Some(first),
                format!("{n} valid txns ({first}..{last}) follow the damaged entry at {stop:#x}"),
                Some(match s.zk_end {
                    ZkEnd::Fatal(_) => {
                        "ZooKeeper fails before reaching them; a tolerant replay can still use them"
                    }
                    _ => "ZooKeeper's restore silently skips them",
                }),
            ));
        }
    }
    for s in &log_scans {
        report.findings.extend(s.findings.iter().cloned());
    }
    report.findings.extend(cross);

    let mut snaps_sorted: Vec<(&PathBuf, &SnapScan)> = snap_scans.iter().collect();
    snaps_sorted.sort_by(|a, b| a.0.cmp(b.0));
    for (path, s) in snaps_sorted {
        for f in &s.findings {
            // One note for the snapshot that matters, not one per file.
            if f.code == "snapshot_no_digest" && recovery.snapshot.as_ref() != Some(path) {
                continue;
            }
            let mut f = f.clone();
            if f.code == "snapshot_not_candidate" && s.findings.len() > 1 {
                f.severity = Severity::Note;
            }
            report.findings.push(f);
        }
        if let Err(why) = &s.zk_loads
            && recovery.rejected_snapshots.iter().any(|(p, _)| p == path)
            && s.candidate
        {
            report.findings.push(finding(
                Severity::Note,
                "snapshot_skipped",
                path,
                None,
                None,
                format!("ZooKeeper would try this snapshot and reject it: {why}"),
                None,
            ));
        }
    }

    other_files(dir, &mut report, &recovery, &zk_logs, &zk_snaps);
    epochs(dir, &mut report, &recovery);
    if opts.digests && recovery.snapshot.is_some() {
        digest_check(dir, opts, &recovery, &mut report, early);
    }

    // Dropped txns and failure, as findings.
    match &recovery.outcome {
        Outcome::Fail(why) => report.findings.push(finding(
            Severity::Error,
            "zookeeper_would_fail",
            &dir.snap_dir,
            None,
            None,
            format!("ZooKeeper's restore would fail: {why}"),
            None,
        )),
        Outcome::Start(_) if recovery.dropped_txns > 0 => report.findings.push(finding(
            Severity::Error,
            "txns_lost",
            &dir.snap_dir,
            None,
            recovery.recoverable_zxid.map(|z| Zxid(z.0 + 1)),
            format!(
                "ZooKeeper would start but silently lose {} txns ({})",
                recovery.dropped_txns,
                recovery.first_drop.as_deref().unwrap_or("see above")
            ),
            Some("the restored tree would not match what clients were told"),
        )),
        Outcome::Start(_) => {}
    }
    report.recovery = Some(recovery);
    report
}

/// Replays the snapshot ZooKeeper would load plus its logs with the tree
/// engine and compares the tree digest with every recorded one, by
/// ZooKeeper's rules (FORMAT.md §5.4): per-txn checks wait until a fuzzy
/// snapshot's digest zxid is reached.
fn digest_check(
    dir: &DataDir,
    opts: &Options,
    recovery: &Recovery,
    report: &mut Report,
    early: Option<EarlyReplay<'_>>,
) {
    let early = early
        .and_then(|wait| wait())
        .filter(|r| r.snapshot.as_ref().map(|s| &s.path) == recovery.snapshot.as_ref());
    let r = match early {
        Some(r) => r,
        None => {
            let start = recovery.snapshot.clone().map_or(
                crate::tree::replay::Start::Auto,
                crate::tree::replay::Start::Snapshot,
            );
            let Ok(r) = crate::tree::replay::replay(
                dir,
                &digest_replay_options(opts, start),
                &mut |_, _| {},
            ) else {
                return; // The file-level findings already say why.
            };
            r
        }
    };
    let d = &r.digests;
    let file_of = |z: Zxid| {
        r.logs
            .iter()
            .find(|l| l.zxids.is_some_and(|(a, b)| a <= z && z <= b))
            .map(|l| l.path.clone())
            .unwrap_or_else(|| dir.log_dir.clone())
    };
    if let Some((z, stored, computed)) = d.snapshot
        && stored != computed
    {
        let snap = recovery.snapshot.clone().unwrap_or_default();
        // A known race stamps some fuzzy snapshots with a digest zxid whose
        // tree already holds later txns; the later per-txn checks decide.
        let fuzzy_race = d.failed == 0 && d.passed > 0;
        report.findings.push(finding(
            if fuzzy_race { Severity::Warning } else { Severity::Error },
            "digest_mismatch",
            &snap,
            None,
            Some(z),
            format!("snapshot digest at zxid {z} is {stored}, the tree loaded from it gives {computed}"),
            Some(if fuzzy_race {
                "every later txn digest matches, so this is ZooKeeper's fuzzy-snapshot race, not corruption (ZooKeeper logs \"Digests are not matching\" once and runs on)"
            } else {
                "the snapshot's tree is not the one ZooKeeper recorded"
            }),
        ));
    }
    if let Some(z) = d.first_mismatch {
        report.findings.push(finding(
            Severity::Error,
            "digest_mismatch",
            &file_of(z),
            None,
            Some(z),
            format!(
                "tree digest after txn {z} differs from the recorded TxnDigest ({} of {} compared txns differ)",
                d.failed,
                d.failed + d.passed
            ),
            Some("the replayed tree diverges from what the server had: a lost, extra or altered txn before this point (ZooKeeper only logs \"Digests are not matching\" and runs on)"),
        ));
    }
    if let Some(z) = d.snapshot_pending {
        report.findings.push(finding(
            Severity::Warning,
            "digest_unverified",
            &recovery.snapshot.clone().unwrap_or_default(),
            None,
            Some(z),
            format!(
                "the logs end before the snapshot's digest zxid {z}, so no digest could be compared"
            ),
            Some("ZooKeeper warns \"Highest txn zxid is not covering the snapshot digest zxid\""),
        ));
    }
    report.digests = Some(d.passed);
}

/// True when ZooKeeper's replay needs the zxid (its snapshot is older).
fn recovery_needs(r: &Recovery, z: Zxid) -> bool {
    r.snapshot_zxid.is_none_or(|s| z > s)
}

fn other_files(
    dir: &DataDir,
    report: &mut Report,
    r: &Recovery,
    zk_logs: &[ZkFile],
    zk_snaps: &[ZkFile],
) {
    for p in &dir.misplaced {
        report.findings.push(finding(
            Severity::Error,
            "misplaced_file",
            p,
            None,
            None,
            if dir.snap_dir.as_path() == p.parent().unwrap_or(Path::new("")) {
                "a txn log in dataDir, which is separate from dataLogDir".into()
            } else {
                "a snapshot in dataLogDir, which is separate from dataDir".into()
            },
            Some("ZooKeeper 3.6+ refuses to start when dataDir and dataLogDir are mixed up"),
        ));
    }
    for o in &dir.others {
        let name = name_of(&o.path);
        match &o.kind {
            FileKind::Leftover { what } => {
                let as_log = zk_logs.iter().find(|f| f.path == o.path);
                let as_snap = zk_snaps.iter().find(|f| f.path == o.path);
                let (sev, meaning) = if let Some(f) = as_log {
                    if r.logs.contains(&o.path) {
                        (
                            Severity::Error,
                            format!(
                                "ZooKeeper reads it as log {} and would replay it with the real logs",
                                f.zxid
                            ),
                        )
                    } else {
                        (
                            Severity::Warning,
                            format!(
                                "ZooKeeper reads it as log {} (not replayed now, but it would be after a purge or with another snapshot); move it out of version-2",
                                f.zxid
                            ),
                        )
                    }
                } else if let Some(f) = as_snap {
                    if r.snapshot.as_ref() == Some(&o.path) {
                        (
                            Severity::Error,
                            format!(
                                "ZooKeeper takes it for snapshot {} and would load it",
                                f.zxid
                            ),
                        )
                    } else {
                        (
                            Severity::Warning,
                            format!(
                                "ZooKeeper takes it for snapshot {}; move it out of version-2",
                                f.zxid
                            ),
                        )
                    }
                } else {
                    (
                        Severity::Note,
                        "ZooKeeper ignores it; safe to remove once the server runs".to_string(),
                    )
                };
                report.findings.push(Finding {
                    severity: sev,
                    code: "leftover_file",
                    file: o.path.clone(),
                    offset: None,
                    zxid: None,
                    message: format!("{name}: {what}"),
                    meaning: Some(meaning),
                });
            }
            FileKind::Unknown => report.findings.push(finding(
                Severity::Note,
                "unknown_file",
                &o.path,
                None,
                None,
                format!("{name}: not a ZooKeeper data file"),
                None,
            )),
            _ => {}
        }
    }
}

fn epochs(dir: &DataDir, report: &mut Report, r: &Recovery) {
    let accepted = dir.read_epoch("acceptedEpoch");
    let current = dir.read_epoch("currentEpoch");
    let a_path = dir.snap_dir.join("acceptedEpoch");
    let c_path = dir.snap_dir.join("currentEpoch");
    let mut get = |v: Option<Result<i64, String>>, p: &Path| -> Option<i64> {
        match v? {
            Ok(n) => Some(n),
            Err(msg) => {
                report.findings.push(finding(
                    Severity::Error,
                    "epoch_unreadable",
                    p,
                    Some(0),
                    None,
                    msg,
                    Some("a quorum peer fails to start"),
                ));
                None
            }
        }
    };
    let present = (a_path.is_file(), c_path.is_file());
    let a = get(accepted, &a_path);
    let c = get(current, &c_path);
    if present.0 != present.1 {
        let missing = if present.0 { &c_path } else { &a_path };
        report.findings.push(finding(
            Severity::Warning,
            "epoch_missing",
            missing,
            None,
            None,
            "one epoch file is missing".into(),
            Some("a quorum peer recreates it from the last zxid's epoch"),
        ));
    }
    if let (Some(a), Some(c)) = (a, c)
        && a < c
    {
        report.findings.push(finding(
            Severity::Error,
            "epoch_mismatch",
            &a_path,
            Some(0),
            None,
            format!("acceptedEpoch {a} is less than currentEpoch {c}"),
            Some("a quorum peer refuses to start (\"The accepted epoch is less than the current epoch\")"),
        ));
    }
    if let (Some(c), Outcome::Start(z)) = (c, &r.outcome)
        && i64::from(z.epoch()) > c
        && !dir.snap_dir.join("currentEpoch.tmp").is_file()
    {
        report.findings.push(finding(
            Severity::Error,
            "epoch_mismatch",
            &c_path,
            Some(0),
            Some(*z),
            format!(
                "currentEpoch {c} is older than the epoch {} of the last zxid {z}",
                z.epoch()
            ),
            Some("a quorum peer refuses to start (\"The current epoch is older than the last zxid\")"),
        ));
    }
}

/// Predicts `FileTxnSnapLog.restore` on this dir.
fn predict(
    dir: &DataDir,
    zk_logs: &[ZkFile],
    zk_snaps: &[ZkFile],
    scans: &[LogScan],
    snaps: &HashMap<PathBuf, SnapScan>,
) -> Recovery {
    let mut r = Recovery {
        snapshot: None,
        snapshot_zxid: None,
        rejected_snapshots: Vec::new(),
        logs: Vec::new(),
        outcome: Outcome::Start(Zxid(0)),
        recoverable_zxid: None,
        dropped_txns: 0,
        first_drop: None,
        sentence: String::new(),
    };
    let scan_of = |p: &Path| scans.iter().find(|s| s.path == p);
    if !dir.misplaced.is_empty() {
        r.outcome = Outcome::Fail(format!(
            "{} is in the wrong directory (dataDir/dataLogDir mix-up)",
            name_of(&dir.misplaced[0])
        ));
    }
    // §6.1: newest first, up to 100 passing the cheap filter, first that loads.
    let candidates: Vec<&ZkFile> = zk_snaps
        .iter()
        .rev()
        .filter(|f| snaps.get(&f.path).is_some_and(|s| s.candidate))
        .take(100)
        .collect();
    for f in &candidates {
        match snaps.get(&f.path).map(|s| &s.zk_loads) {
            Some(Ok(())) => {
                r.snapshot = Some(f.path.clone());
                r.snapshot_zxid = Some(f.zxid);
                break;
            }
            Some(Err(why)) => r.rejected_snapshots.push((f.path.clone(), why.clone())),
            None => {}
        }
    }
    let Some(snap_zxid) = r.snapshot_zxid else {
        // §6.2: no snapshot. Any log file at all is fatal; none means an empty db.
        if !candidates.is_empty() {
            r.outcome =
                Outcome::Fail("no valid snapshot (\"Not able to find valid snapshots\")".into());
        } else if !zk_logs.is_empty() {
            r.outcome = Outcome::Fail(
                "no snapshot, but there are log files (\"No snapshot found, but there are log entries\")".into(),
            );
        } else if matches!(r.outcome, Outcome::Start(_)) {
            r.outcome = Outcome::Start(Zxid(0));
            r.recoverable_zxid = Some(Zxid(0));
        }
        r.sentence = sentence(&r);
        return r;
    };
    // §2.5: files with name ≥ start, plus the newest one below it.
    let start = Zxid(snap_zxid.0 + 1);
    let mut chain: Vec<&ZkFile> = Vec::new();
    for f in zk_logs.iter().rev() {
        chain.push(f);
        if f.zxid < start {
            break;
        }
    }
    chain.reverse();
    r.logs = chain.iter().map(|f| f.path.clone()).collect();

    let mut highest = snap_zxid;
    let mut recoverable = snap_zxid;
    let mut frozen = false; // history broken: recoverable stops advancing
    let mut prev: Option<Zxid> = None; // last replayed zxid
    let mut fail: Option<String> = None;
    for f in &chain {
        let Some(s) = scan_of(&f.path) else { continue };
        // Entries below `start` are skipped by fast-forward; the rest apply.
        if let (Some(first), Some(max)) = (s.first, s.max)
            && max >= start
        {
            let first_applied = first.max(start);
            let expected = Zxid(prev.unwrap_or(snap_zxid).0 + 1).max(start);
            let missing = if first_applied.epoch() == expected.epoch() {
                first_applied.0.saturating_sub(expected.0).max(0) as u64
            } else if first_applied.epoch() > expected.epoch() {
                // A new epoch starts at counter 1.
                u64::from(first_applied.counter().saturating_sub(1))
            } else {
                0
            };
            if missing > 0 {
                r.dropped_txns += missing;
                r.first_drop.get_or_insert_with(|| {
                    format!(
                        "{missing} txns before {} in {} are missing",
                        first_applied,
                        name_of(&f.path)
                    )
                });
                frozen = true;
            }
            if !frozen && let Some(z) = s.before_gap {
                recoverable = recoverable.max(z);
            }
            if s.gap_missing > 0 {
                r.dropped_txns += s.gap_missing;
                r.first_drop.get_or_insert_with(|| {
                    format!("{} txns missing inside {}", s.gap_missing, name_of(&f.path))
                });
                frozen = true;
            }
            highest = highest.max(max);
            prev = Some(max);
            if !frozen {
                recoverable = recoverable.max(max);
            }
        }
        if let ZkEnd::Fatal(why) = &s.zk_end {
            fail = Some(why.clone());
            break;
        }
        if let (ZkEnd::Skip, Some((n, first, last))) = (&s.zk_end, s.after)
            && last >= start
        {
            // Only txns after the snapshot are lost; it covers the others.
            let n = if first >= start {
                n
            } else {
                ((last.0 - start.0 + 1) as u64).min(n)
            };
            r.dropped_txns += n;
            // Counted here, so the gap check after this file skips them.
            prev = Some(prev.map_or(last, |p| p.max(last)));
            let first = first.max(start);
            r.first_drop.get_or_insert_with(|| {
                format!(
                    "{n} txns from {first} after {} offset {:#x}",
                    name_of(&f.path),
                    s.stop_offset.unwrap_or(0)
                )
            });
            frozen = true;
        }
    }
    r.recoverable_zxid = Some(recoverable);
    if !matches!(r.outcome, Outcome::Fail(_)) {
        r.outcome = match fail {
            Some(why) => Outcome::Fail(why),
            None => Outcome::Start(highest),
        };
    }
    r.sentence = sentence(&r);
    r
}

fn sentence(r: &Recovery) -> String {
    match &r.outcome {
        Outcome::Fail(why) => format!("ZooKeeper 3.x would fail to start: {why}"),
        Outcome::Start(z) => {
            let from = match &r.snapshot {
                Some(p) => format!(
                    "{} and {} log file{}",
                    name_of(p),
                    r.logs.len(),
                    if r.logs.len() == 1 { "" } else { "s" }
                ),
                None => "an empty database".into(),
            };
            if r.dropped_txns > 0 {
                format!(
                    "ZooKeeper 3.x would start at zxid {z} from {from}, silently losing {} txns ({}); history is complete only up to {}",
                    r.dropped_txns,
                    r.first_drop.as_deref().unwrap_or("?"),
                    r.recoverable_zxid.map_or("?".into(), |z| z.to_string())
                )
            } else {
                format!("ZooKeeper 3.x would start at zxid {z} from {from}, losing nothing")
            }
        }
    }
}

/// Verifies single files (no cross-file or recovery analysis).
pub fn verify_files(paths: &[PathBuf], opts: &Options, progress: Progress<'_>) -> Report {
    let mut report = Report::default();
    let mut jobs = Vec::new();
    for p in paths {
        let name = name_of(p);
        report.files += 1;
        report.bytes += std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        let is_log = match classify(&name) {
            FileKind::Log(_) => true,
            FileKind::Snapshot(..) => false,
            _ => sniff_is_log(p),
        };
        jobs.push(if is_log {
            ScanJob::Log(p, zookeeper_name_zxid(&name).unwrap_or(Zxid(-1)))
        } else {
            ScanJob::Snapshot(p)
        });
    }
    let name_zxids: Vec<Zxid> = jobs
        .iter()
        .filter_map(|j| match j {
            ScanJob::Log(_, z) => Some(*z),
            ScanJob::Snapshot(_) => None,
        })
        .collect();
    let mut name_zxids = name_zxids.into_iter();
    for scan in scan_files(jobs, opts, progress) {
        match scan {
            Scan::Log(mut s) => {
                // A log without a zxid in its name has no name to mismatch.
                if name_zxids.next().is_none_or(|z| z.0 < 0) {
                    s.findings.retain(|f| f.code != "log_name_mismatch");
                }
                report.findings.extend(s.findings);
            }
            Scan::Snapshot(s) => report.findings.extend(s.findings),
        }
    }
    report
}

fn sniff_is_log(p: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 4];
    std::fs::File::open(p)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|_| head == TXNLOG_MAGIC && head != SNAP_MAGIC)
}
