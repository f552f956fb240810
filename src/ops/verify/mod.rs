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

mod codes;
mod dir;
mod inventory;
mod log;
mod predict;
mod snapshot;
mod writers;

use std::path::{Path, PathBuf};

use log::{LogScan, scan_log};
use snapshot::{SnapScan, scan_snapshot};

use crate::format::jute::Limits;
use crate::zxid::Zxid;

pub use codes::CODES;
pub use dir::{dir_size, verify_dir, verify_files};
pub use inventory::{Files, Inventory};
pub use writers::{VersionOutcome, Writers};

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
    /// Why a quorum peer (which also reads the epoch files) would refuse
    /// to start where a standalone server would not.
    pub quorum_failure: Option<String>,
    /// The data dir belongs to a quorum peer (epoch files or a myid).
    pub quorum_peer: bool,
    /// Txns after the snapshot were logged, but no log is here.
    pub logs_missing: bool,
    /// One plain sentence.
    pub sentence: String,
    /// Where versions the files admit would start differently (the
    /// prediction follows 3.8).
    pub by_version: Vec<VersionOutcome>,
}

/// How a file's data ends, as [`crate::format::verdict`] judges it (the
/// verdict every subcommand reports).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileEnd {
    /// Logs: the entries run to the end of the file; snapshots: complete,
    /// every seal matching.
    Clean,
    /// Logs: zero padding (ZooKeeper's preallocation) with only zeros after.
    Padding,
    /// Logs: a write a crash cut short, with nothing readable after it (a
    /// warning).
    CrashTail {
        /// The finding code (`log_torn_tail`, `log_partial_record`).
        code: &'static str,
        /// Where.
        offset: u64,
    },
    /// Damage: the first error found in the file, as verify reports it.
    Damaged {
        /// The finding code.
        code: &'static str,
        /// Where (`None`: the file as a whole, e.g. unreadable).
        offset: Option<u64>,
    },
}

/// What verify read in one log or snapshot of a data dir (`zkdd ls`).
#[derive(Clone, Debug)]
pub struct FileFacts {
    /// The file.
    pub path: PathBuf,
    /// A log (else a snapshot).
    pub log: bool,
    /// Txns read (logs) or nodes read (snapshots), up to the end or the
    /// damage.
    pub count: u64,
    /// Logs: the first and last zxid read.
    pub zxids: Option<(Zxid, Zxid)>,
    /// How it ends.
    pub end: FileEnd,
}

/// Everything verify found.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Findings, grouped by file in the order checked.
    pub findings: Vec<Finding>,
    /// For a data dir: what was read in each log and snapshot, logs first
    /// (in the order checked), then snapshots by path.
    pub facts: Vec<FileFacts>,
    /// For a data dir: the recovery analysis.
    pub recovery: Option<Recovery>,
    /// Files checked.
    pub files: usize,
    /// Bytes read.
    pub bytes: u64,
    /// Txn digests that matched the replayed tree (`None`: not compared).
    pub digests: Option<u64>,
    /// For a data dir: which ZooKeeper versions could have written it.
    pub writers: Option<Writers>,
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

/// The finding for a file that could not be read.
fn io_error(path: &Path, e: &dyn std::fmt::Display) -> Finding {
    finding(
        Severity::Error,
        "io_error",
        path,
        None,
        None,
        format!("cannot read: {}", crate::error::os_text(e)),
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
    // The offset is its own column: a decoder's "… at offset 0x…" naming
    // the same place is not repeated.
    let message = match offset.map(|o| format!(" at offset {o:#x}")) {
        Some(tail) if message.ends_with(&tail) => message[..message.len() - tail.len()].to_string(),
        _ => message,
    };
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
