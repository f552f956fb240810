//! Retention for `zkdd purge`: which snapshots and logs a data directory can
//! lose without losing anything recovery needs, and the deletions themselves.
//!
//! Planning ([`plan()`]) is pure: it takes an [`Inventory`] (names, sizes,
//! mtimes and a verdict per snapshot) and a clock reading, so every rule can
//! be tested without a file system. [`scan()`] builds an inventory from disk
//! (full snapshot verification, never mmap), [`execute()`] carries a plan out
//! and [`PurgeLock`] keeps two purges of one data dir apart.
//!
//! The rules follow ZooKeeper's `PurgeTxnLog.purge` (FORMAT.md §7.1) with the
//! safety fixes of §7.4:
//! * only snapshots that pass full verification (every seal) count toward
//!   `retain`; corrupt ones are reported and kept unless asked otherwise;
//! * the oldest kept snapshot needs the newest log whose name-zxid is at or
//!   before its own (it may hold txn name+1) and every later log; this is
//!   `FileTxnLog.getLogFiles`, the file choice restore itself makes;
//! * decisions use the zxid in the name (numeric order, so epochs sort
//!   correctly), never the mtime; the mtime only protects young files;
//! * names are matched strictly: `log.<hex>` and
//!   `snapshot.<hex>[.gz|.snappy]`. Everything else is listed and left alone
//!   (tool leftovers can be removed with a flag);
//! * the newest log and the newest valid snapshot are never deleted.
//!
//! The code is in four files: `plan.rs` (the rules), `scan.rs` (building
//! an inventory from disk), `execute.rs` (deleting, and the lock) and
//! `archive.rs` (moving into an archive instead of deleting); this
//! file holds the types they share, `tests.rs` the unit tests of the rules.
//!
//! Everything here returns values: reasons, refusals and warnings are enums
//! that `render::purge` words for the command line, so no message here
//! names a flag.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use crate::zxid::Zxid;

mod archive;
mod execute;
mod plan;
mod scan;

pub use archive::archive_path;
pub use execute::{LockError, PurgeLock, execute};
pub use plan::plan;
pub use scan::{is_server_log, scan, verify_snapshot};

/// Name of the lock file purge holds in the snapshot directory.
pub const LOCK_FILE: &str = ".zkdd-purge.lock";

/// The fewest snapshots `--retain` accepts; below [`RECOMMENDED_RETAIN`] purge warns.
pub const MIN_RETAIN: usize = 1;
/// ZooKeeper's own minimum for `autopurge.snapRetainCount` and `PurgeTxnLog -n`.
pub const RECOMMENDED_RETAIN: usize = 3;

/// Which directory a file was found in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location {
    /// `dataDir/version-2` when logs live elsewhere.
    SnapDir,
    /// `dataLogDir/version-2` when it is not the snapshot dir.
    LogDir,
    /// The one `version-2/` holding both.
    Both,
    /// The `--server-logs` directory.
    ServerLogs,
}

/// What full verification of a snapshot found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every node parsed and every seal matched.
    Valid,
    /// Damaged or unreadable; the message says where.
    Corrupt(String),
}

/// One file of the data dir as the planner sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InventoryFile {
    /// Full path.
    pub path: PathBuf,
    /// File name.
    pub name: String,
    /// Where it was found.
    pub location: Location,
    /// Size in bytes.
    pub len: u64,
    /// Last modification time, when known.
    pub mtime: Option<SystemTime>,
    /// For snapshots: the result of full verification (`None` = not checked,
    /// which counts as not valid).
    pub verdict: Option<Verdict>,
}

/// Everything in the directories a purge looks at.
#[derive(Clone, Debug, Default)]
pub struct Inventory {
    /// `dataDir/version-2`.
    pub snap_dir: PathBuf,
    /// `dataLogDir/version-2` (may equal `snap_dir`).
    pub log_dir: PathBuf,
    /// Every regular file found (the lock file excluded).
    pub files: Vec<InventoryFile>,
}

/// The knobs of a purge.
#[derive(Clone, Debug)]
pub struct PurgeOptions {
    /// How many valid snapshots to keep (at least 1).
    pub retain: usize,
    /// Files modified less than this long ago are never deleted.
    pub min_age: Duration,
    /// Delete snapshots that fail verification.
    pub remove_corrupt: bool,
    /// Delete leftovers of ZooKeeper's tools (`log.*.fixed`, `log.*.chopped*`, `snapshot.*.tmp`).
    pub remove_leftovers: bool,
    /// With `--server-logs`: how many rotated server logs to keep.
    pub keep_server_logs: usize,
}

impl Default for PurgeOptions {
    fn default() -> Self {
        PurgeOptions {
            retain: RECOMMENDED_RETAIN,
            min_age: Duration::from_secs(600),
            remove_corrupt: false,
            remove_leftovers: false,
            keep_server_logs: 10,
        }
    }
}

/// What a file is, for the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanKind {
    /// `snapshot.<hex>[.gz|.snappy]`.
    Snapshot,
    /// `log.<hex>`.
    Log,
    /// `acceptedEpoch`, `currentEpoch` (and their `.tmp`).
    Epoch,
    /// Left by ZooKeeper's tools or a crash.
    Leftover,
    /// Anything else.
    Unknown,
    /// A rotated or current `zookeeper*.log*` server log.
    ServerLog,
}

impl PlanKind {
    /// Lowercase name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            PlanKind::Snapshot => "snapshot",
            PlanKind::Log => "log",
            PlanKind::Epoch => "epoch",
            PlanKind::Leftover => "leftover",
            PlanKind::Unknown => "unknown",
            PlanKind::ServerLog => "server-log",
        }
    }
}

/// Keep or delete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Left in place.
    Keep,
    /// Removed (or would be, in a dry run).
    Delete,
}

impl Action {
    /// Lowercase name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Keep => "keep",
            Action::Delete => "delete",
        }
    }
}

/// Why a file is kept or deleted. A value only: `render::purge` words it
/// for the command line (and names the flags involved).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// One of the `retain` newest valid snapshots.
    SnapshotKept {
        /// 1 = newest.
        rank: usize,
        /// `retain`.
        of: usize,
    },
    /// A log restore reads when starting from the oldest kept snapshot.
    NeededForReplay {
        /// The oldest kept snapshot's name.
        snapshot: String,
    },
    /// A valid snapshot older than the oldest kept one.
    OlderThanOldestKept {
        /// The oldest kept snapshot's name.
        snapshot: String,
    },
    /// A log that ends before the oldest kept snapshot begins.
    LogBeforeNeeded {
        /// The oldest kept snapshot's name.
        snapshot: String,
        /// The oldest log still needed, if any.
        first_needed: Option<String>,
    },
    /// A snapshot that failed verification, kept (without `--remove-corrupt`) or deleted.
    Corrupt {
        /// What verification found.
        problem: String,
        /// Whether the flag was given.
        removing: bool,
    },
    /// A snapshot newer than the oldest kept one (e.g. one that failed
    /// verification because it is still being written).
    NewerThanOldestKept {
        /// The oldest kept snapshot's name.
        snapshot: String,
    },
    /// The newest log: the server may be appending to it.
    NewestLog,
    /// Modified less than `--min-age` ago.
    TooYoung {
        /// Age in seconds (negative: mtime in the future).
        age_secs: i64,
        /// The `--min-age` setting in seconds.
        min_age_secs: u64,
    },
    /// acceptedEpoch / currentEpoch (and their `.tmp`, which ZooKeeper reads on start).
    EpochFile,
    /// Left by ZooKeeper's tools or a crash.
    Leftover {
        /// What made it.
        what: &'static str,
        /// Whether `--remove-leftovers` removes it.
        removable: bool,
        /// Whether it is being removed.
        removing: bool,
    },
    /// Not a ZooKeeper file name.
    Unknown,
    /// The purge was refused; nothing is deleted.
    Refused,
    /// Fewer valid snapshots than `retain` (a young server): nothing to
    /// purge yet, nothing is deleted.
    NothingToPurge {
        /// How many passed verification.
        valid: usize,
        /// The `retain` setting.
        retain: usize,
    },
    /// A current (not rotated) server log.
    ServerLogCurrent,
    /// One of the `--keep-server-logs` newest rotated server logs.
    ServerLogKept {
        /// 1 = newest.
        rank: usize,
        /// `--keep-server-logs`.
        of: usize,
    },
    /// A rotated server log beyond `--keep-server-logs`.
    ServerLogOld {
        /// `--keep-server-logs`.
        of: usize,
    },
}

/// `90` → `1m30s`, `7200` → `2h`.
pub fn format_duration(secs: u64) -> String {
    if secs == 0 {
        return "0s".into();
    }
    let (d, h, m, s) = (secs / 86400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    let mut out = String::new();
    for (v, unit) in [(d, "d"), (h, "h"), (m, "m"), (s, "s")] {
        if v > 0 {
            out.push_str(&format!("{v}{unit}"));
        }
    }
    out
}

/// Parses `--min-age`: seconds, or a duration with units (`90s`, `10m`,
/// `2h`, `1d`, `1h30m`).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    // A bare number is seconds (0 turns the rule off).
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    humantime::parse_duration(s)
        .map_err(|e| format!("{s:?}: {e}; expected a duration such as 0, 90s, 10m, 2h or 1d"))
}

/// One file's fate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedFile {
    /// Full path.
    pub path: PathBuf,
    /// File name.
    pub name: String,
    /// What it is.
    pub kind: PlanKind,
    /// Zxid from a strict snapshot or log name.
    pub zxid: Option<Zxid>,
    /// Size in bytes.
    pub bytes: u64,
    /// mtime at planning time (checked again before deleting).
    pub mtime: Option<SystemTime>,
    /// Keep or delete.
    pub action: Action,
    /// Why.
    pub reason: Reason,
    /// When a safety rule (min-age, newest log) overrode a deletion: the rule
    /// that would have deleted the file.
    pub overridden: Option<Reason>,
}

/// The whole plan.
#[derive(Clone, Debug, Default)]
pub struct PurgePlan {
    /// `dataDir/version-2`.
    pub snap_dir: PathBuf,
    /// `dataLogDir/version-2`.
    pub log_dir: PathBuf,
    /// The `retain` setting.
    pub retain: usize,
    /// Every file: snapshots (newest first), logs (newest first), then the rest by name.
    pub files: Vec<PlannedFile>,
    /// Name of the oldest kept snapshot.
    pub oldest_kept: Option<String>,
    /// Snapshots that failed verification, with the problem.
    pub corrupt: Vec<(String, String)>,
    /// Why nothing may be deleted (exit 2), if so.
    pub refusal: Option<Refusal>,
    /// Things worth telling the operator that do not stop the purge.
    pub warnings: Vec<PlanWarning>,
}

/// Why a purge deletes nothing at all. The first that applies, in this
/// order. All are trouble (exit status 2) except [`Refusal::TooFewValid`]:
/// a young server with fewer valid snapshots than `retain` has nothing to
/// purge yet, which is success ([`Refusal::is_trouble`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Txn logs in the snapshot dir and snapshots in the log dir: dataDir
    /// and dataLogDir look swapped.
    Swapped {
        /// `dataDir/version-2`.
        snap_dir: PathBuf,
        /// `dataLogDir/version-2`.
        log_dir: PathBuf,
        /// The misplaced files' names.
        files: Vec<String>,
    },
    /// Txn logs in the snapshot dir while the log dir is elsewhere.
    LogsInSnapDir {
        /// `dataDir/version-2`.
        snap_dir: PathBuf,
        /// `dataLogDir/version-2`.
        log_dir: PathBuf,
        /// The misplaced logs' names.
        files: Vec<String>,
    },
    /// Snapshots in the log dir while the snapshot dir is elsewhere.
    SnapshotsInLogDir {
        /// `dataDir/version-2`.
        snap_dir: PathBuf,
        /// `dataLogDir/version-2`.
        log_dir: PathBuf,
        /// The misplaced snapshots' names.
        files: Vec<String>,
    },
    /// No `snapshot.*` or `log.*` files: not a ZooKeeper data dir, or an empty one.
    NoZooKeeperFiles {
        /// `dataDir/version-2`.
        snap_dir: PathBuf,
    },
    /// Fewer valid snapshots than `retain`: nothing to purge yet (not
    /// trouble; a finding only when corrupt snapshots are among them).
    TooFewValid {
        /// How many passed verification.
        valid: usize,
        /// The `retain` setting.
        retain: usize,
        /// `dataDir/version-2`.
        snap_dir: PathBuf,
        /// The snapshots that failed verification, newest first.
        corrupt: Vec<String>,
    },
}

impl Refusal {
    /// True when the purge could not run as asked (exit status 2); false
    /// for [`Refusal::TooFewValid`], the normal state of a young server.
    pub fn is_trouble(&self) -> bool {
        !matches!(self, Refusal::TooFewValid { .. })
    }
}

/// Something worth telling the operator about a plan that goes ahead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanWarning {
    /// No txn logs in the log dir (perhaps dataLogDir is elsewhere); no log
    /// is deleted either way.
    NoLogs {
        /// `dataLogDir/version-2`.
        log_dir: PathBuf,
    },
    /// A snapshot failed verification and does not count toward `retain`.
    CorruptSnapshot {
        /// Its name.
        name: String,
        /// What verification found.
        problem: String,
    },
}

impl PurgePlan {
    /// Files to delete.
    pub fn deletions(&self) -> impl Iterator<Item = &PlannedFile> {
        self.files.iter().filter(|f| f.action == Action::Delete)
    }
    /// Bytes the deletions free.
    pub fn bytes_to_free(&self) -> u64 {
        self.deletions().map(|f| f.bytes).sum()
    }
}

/// What happened to one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Kept, as planned.
    Kept,
    /// Dry run: would be deleted.
    WouldDelete,
    /// Deleted.
    Deleted,
    /// Already gone when its turn came (not an error: the goal is reached).
    Vanished,
    /// Could not be deleted (or archived); the message says why.
    Failed(String),
    /// Dry run with an archive: would be moved to this path.
    WouldArchive(PathBuf),
    /// Moved into the archive (the source is gone).
    Archived {
        /// The archived file.
        to: PathBuf,
        /// How it got there.
        method: ArchiveMethod,
    },
}

/// How a file reached the archive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArchiveMethod {
    /// A hard link, then the source unlinked: a rename on one file system.
    Link,
    /// Copied across file systems, synced, compared, then the source unlinked.
    Copy,
    /// The archive already held the same bytes (a previous run stopped
    /// before unlinking): the source unlinked.
    Existing,
}

impl ArchiveMethod {
    /// Lowercase name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ArchiveMethod::Link => "rename",
            ArchiveMethod::Copy => "copy",
            ArchiveMethod::Existing => "existing",
        }
    }
}

impl Outcome {
    /// Lowercase name used in JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Kept => "kept",
            Outcome::WouldDelete => "planned",
            Outcome::Deleted => "deleted",
            Outcome::Vanished => "vanished",
            Outcome::Failed(_) => "failed",
            Outcome::WouldArchive(_) => "planned",
            Outcome::Archived { .. } => "archived",
        }
    }
}

/// The result of [`execute()`].
#[derive(Clone, Debug, Default)]
pub struct PurgeReport {
    /// Nothing was deleted on purpose: a dry run, or a refused plan.
    pub dry_run: bool,
    /// Files deleted (or that would be, in a dry run).
    pub deleted: usize,
    /// Files moved into the archive (or that would be, in a dry run).
    pub archived: usize,
    /// Bytes of the deleted and archived files: what leaves the data dir.
    pub bytes_freed: u64,
    /// Deletions that failed.
    pub failed: usize,
    /// Files already gone.
    pub vanished: usize,
    /// Files kept.
    pub kept: usize,
    /// Errors syncing a directory after deleting from it.
    pub sync_errors: Vec<SyncError>,
}

/// A directory whose fsync failed after files were deleted from it (the
/// deletions may not survive a crash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncError {
    /// The directory.
    pub dir: PathBuf,
    /// The error.
    pub error: String,
}

#[cfg(test)]
mod tests;
