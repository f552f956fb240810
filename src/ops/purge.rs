//! Retention for `zkdd purge`: which snapshots and logs a data directory can
//! lose without losing anything recovery needs, and the deletions themselves.
//!
//! Planning ([`plan`]) is pure: it takes an [`Inventory`] (names, sizes,
//! mtimes and a verdict per snapshot) and a clock reading, so every rule can
//! be tested without a file system. [`scan`] builds an inventory from disk
//! (full snapshot verification, never mmap), [`execute`] carries a plan out
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

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::files::datadir::{DataDir, FileKind, classify};
use crate::files::source;
use crate::format::compress::Compression;
use crate::format::jute::Limits;
use crate::format::snapshot::{Snapshot, SnapshotEnd};
use crate::zxid::Zxid;

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

/// Why a file is kept or deleted. [`fmt::Display`] gives the text shown to users.
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

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::SnapshotKept { rank, of } => write!(f, "snapshot {rank} of {of} kept"),
            Reason::NeededForReplay { snapshot } => write!(f, "needed to replay from {snapshot}"),
            Reason::OlderThanOldestKept { snapshot } => {
                write!(f, "older than oldest kept snapshot ({snapshot})")
            }
            Reason::LogBeforeNeeded {
                snapshot,
                first_needed,
            } => match first_needed {
                Some(log) => write!(
                    f,
                    "older than {log}, the first log needed to replay from {snapshot}"
                ),
                None => write!(f, "older than oldest kept snapshot ({snapshot})"),
            },
            Reason::Corrupt { problem, removing } => {
                if *removing {
                    write!(f, "corrupt snapshot ({problem}); --remove-corrupt")
                } else {
                    write!(
                        f,
                        "corrupt snapshot ({problem}); not counted, kept (--remove-corrupt deletes it)"
                    )
                }
            }
            Reason::NewerThanOldestKept { snapshot } => {
                write!(f, "newer than oldest kept snapshot ({snapshot})")
            }
            Reason::NewestLog => f.write_str("newest log (the server may be writing it)"),
            Reason::TooYoung {
                age_secs,
                min_age_secs,
            } => {
                if *age_secs < 0 {
                    write!(f, "modified in the future (clock skew?); never deleted")
                } else {
                    write!(
                        f,
                        "younger than --min-age {} (modified {} ago)",
                        format_duration(*min_age_secs),
                        format_duration(*age_secs as u64)
                    )
                }
            }
            Reason::EpochFile => f.write_str("ZooKeeper epoch file"),
            Reason::Leftover {
                what,
                removable,
                removing,
            } => {
                if *removing {
                    write!(f, "{what}; --remove-leftovers")
                } else if *removable {
                    write!(f, "{what}; left alone (--remove-leftovers deletes it)")
                } else {
                    write!(f, "{what}; not a ZooKeeper file name, left alone")
                }
            }
            Reason::Unknown => f.write_str("not a ZooKeeper file name, left alone"),
            Reason::Refused => f.write_str("purge refused, nothing deleted"),
            Reason::ServerLogCurrent => f.write_str("current server log"),
            Reason::ServerLogKept { rank, of } => {
                write!(f, "rotated server log {rank} of {of} kept")
            }
            Reason::ServerLogOld { of } => {
                write!(f, "rotated server log beyond --keep-server-logs {of}")
            }
        }
    }
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

/// Parses `--min-age`: a number with an optional unit `s`, `m`, `h` or `d`
/// (plain numbers are seconds), e.g. `0`, `90`, `10m`, `2h`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last() {
        Some((i, 's')) => (&s[..i], 1),
        Some((i, 'm')) => (&s[..i], 60),
        Some((i, 'h')) => (&s[..i], 3600),
        Some((i, 'd')) => (&s[..i], 86400),
        _ => (s, 1),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?}: expected a duration such as 0, 90s, 10m, 2h or 1d"))?;
    n.checked_mul(mult)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{s:?}: duration too large"))
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

impl PlannedFile {
    /// The reason as shown to users, including an overridden deletion.
    pub fn reason_text(&self) -> String {
        match &self.overridden {
            Some(o) => format!("{} (otherwise: {o})", self.reason),
            None => self.reason.to_string(),
        }
    }
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
    pub refusal: Option<String>,
    /// Things worth telling the operator that do not stop the purge.
    pub warnings: Vec<String>,
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

fn leftover(name: &str) -> (&'static str, bool) {
    // Only outputs of ZooKeeper's own tools are removable; a renamed copy
    // (`log.1.bak`) is somebody's backup and is never touched.
    // `currentEpoch.tmp` is read by ZooKeeper at start-up: see EpochFile.
    if name.starts_with("snapshot.") && name.ends_with(".tmp") {
        ("snapshot left by an interrupted write (.tmp)", true)
    } else if name.starts_with("log.") && name.ends_with(".fixed") {
        ("TxnLogToolkit recovery output (.fixed)", true)
    } else if name.starts_with("log.") && name.contains(".chopped") {
        ("TxnLogToolkit chop output (.choppedN)", true)
    } else if name.ends_with(".tmp") {
        ("temporary file left by an interrupted write (.tmp)", false)
    } else {
        ("copy of a ZooKeeper file under another name", false)
    }
}

fn age_secs(now: SystemTime, mtime: Option<SystemTime>) -> Option<i64> {
    let m = mtime?;
    Some(match now.duration_since(m) {
        Ok(d) => d.as_secs().min(i64::MAX as u64) as i64,
        Err(e) => -(e.duration().as_secs().max(1).min(i64::MAX as u64) as i64),
    })
}

/// Plans a purge. Pure: no file system access; `now` is the clock reading
/// used for `min_age`.
pub fn plan(inv: &Inventory, opts: &PurgeOptions, now: SystemTime) -> PurgePlan {
    let retain = opts.retain.max(MIN_RETAIN);
    let mut plan = PurgePlan {
        snap_dir: inv.snap_dir.clone(),
        log_dir: inv.log_dir.clone(),
        retain,
        ..PurgePlan::default()
    };

    // Partition.
    let mut snaps: Vec<(&InventoryFile, Zxid)> = Vec::new();
    let mut logs: Vec<(&InventoryFile, Zxid)> = Vec::new();
    let mut rest: Vec<&InventoryFile> = Vec::new();
    let mut server_logs: Vec<&InventoryFile> = Vec::new();
    let mut misplaced: Vec<&InventoryFile> = Vec::new();
    for f in &inv.files {
        if f.location == Location::ServerLogs {
            server_logs.push(f);
            continue;
        }
        match classify(&f.name) {
            FileKind::Snapshot(z, _) => {
                if f.location == Location::LogDir {
                    misplaced.push(f);
                }
                snaps.push((f, z));
            }
            FileKind::Log(z) => {
                if f.location == Location::SnapDir {
                    misplaced.push(f);
                }
                logs.push((f, z));
            }
            _ => rest.push(f),
        }
    }
    // Newest first; ties (snapshot.4d and snapshot.4d.gz) by name.
    snaps.sort_by(|a, b| (b.1, &b.0.name).cmp(&(a.1, &a.0.name)));
    logs.sort_by(|a, b| (b.1, &b.0.name).cmp(&(a.1, &a.0.name)));
    rest.sort_by(|a, b| a.name.cmp(&b.name));

    let snap_file = |f: &InventoryFile, z: Zxid, action, reason| PlannedFile {
        path: f.path.clone(),
        name: f.name.clone(),
        kind: PlanKind::Snapshot,
        zxid: Some(z),
        bytes: f.len,
        mtime: f.mtime,
        action,
        reason,
        overridden: None,
    };
    let log_file = |f: &InventoryFile, z: Zxid, action, reason| PlannedFile {
        kind: PlanKind::Log,
        ..snap_file(f, z, action, reason)
    };

    // Which snapshots count.
    let mut kept_valid: Vec<(&InventoryFile, Zxid)> = Vec::new();
    for (f, z) in &snaps {
        match &f.verdict {
            Some(Verdict::Valid) => {
                if kept_valid.len() < retain {
                    kept_valid.push((f, *z));
                }
            }
            Some(Verdict::Corrupt(p)) => plan.corrupt.push((f.name.clone(), p.clone())),
            None => plan
                .corrupt
                .push((f.name.clone(), "not verified".to_string())),
        }
    }
    let valid_count = snaps
        .iter()
        .filter(|(f, _)| f.verdict == Some(Verdict::Valid))
        .count();

    // Refusals: everything is kept.
    if !misplaced.is_empty() {
        let logs_in_snap = misplaced.iter().any(|f| f.location == Location::SnapDir);
        let snaps_in_log = misplaced.iter().any(|f| f.location == Location::LogDir);
        let names: Vec<&str> = misplaced.iter().map(|f| f.name.as_str()).collect();
        plan.refusal = Some(if logs_in_snap && snaps_in_log {
            format!(
                "dataDir and dataLogDir look swapped: {} holds txn logs and {} holds snapshots ({}); check --log-dir / the zoo.cfg",
                inv.snap_dir.display(),
                inv.log_dir.display(),
                names.join(", ")
            )
        } else if logs_in_snap {
            format!(
                "txn logs in the snapshot dir {} while logs are expected in {} ({}): dataDir and dataLogDir may be swapped or mixed up; ZooKeeper 3.6+ refuses to start like this",
                inv.snap_dir.display(),
                inv.log_dir.display(),
                names.join(", ")
            )
        } else {
            format!(
                "snapshots in the log dir {} while snapshots are expected in {} ({}): dataDir and dataLogDir may be swapped or mixed up; ZooKeeper 3.6+ refuses to start like this",
                inv.log_dir.display(),
                inv.snap_dir.display(),
                names.join(", ")
            )
        });
    } else if snaps.is_empty() && logs.is_empty() {
        plan.refusal = Some(format!(
            "{}: no snapshot.* or log.* files: not a ZooKeeper data directory, or an empty one",
            inv.snap_dir.display()
        ));
    } else if valid_count < retain {
        plan.refusal = Some(format!(
            "only {valid_count} valid snapshot{} in {} (--retain {retain}){}: nothing can be purged safely",
            if valid_count == 1 { "" } else { "s" },
            inv.snap_dir.display(),
            if plan.corrupt.is_empty() {
                String::new()
            } else {
                format!(
                    "; corrupt: {}",
                    plan.corrupt
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        ));
    }
    if plan.refusal.is_some() {
        for (f, z) in &snaps {
            plan.files
                .push(snap_file(f, *z, Action::Keep, Reason::Refused));
        }
        for (f, z) in &logs {
            plan.files
                .push(log_file(f, *z, Action::Keep, Reason::Refused));
        }
        for f in rest.iter().chain(server_logs.iter()) {
            let (kind, _) = other_kind(&f.name, f.location);
            plan.files.push(PlannedFile {
                path: f.path.clone(),
                name: f.name.clone(),
                kind,
                zxid: None,
                bytes: f.len,
                mtime: f.mtime,
                action: Action::Keep,
                reason: Reason::Refused,
                overridden: None,
            });
        }
        return plan;
    }

    let (oldest_file, oldest_zxid) = match kept_valid.last() {
        Some(x) => *x,
        // valid_count >= retain >= 1, so there is one; keep everything if not.
        None => return plan,
    };
    let oldest_name = oldest_file.name.clone();
    plan.oldest_kept = Some(oldest_name.clone());

    // Snapshots.
    for (f, z) in &snaps {
        let (action, reason) =
            if let Some(rank) = kept_valid.iter().position(|(k, _)| std::ptr::eq(*k, *f)) {
                (
                    Action::Keep,
                    Reason::SnapshotKept {
                        rank: rank + 1,
                        of: retain,
                    },
                )
            } else if let Some(Verdict::Valid) = f.verdict {
                if *z < oldest_zxid {
                    (
                        Action::Delete,
                        Reason::OlderThanOldestKept {
                            snapshot: oldest_name.clone(),
                        },
                    )
                } else {
                    // Same zxid as the oldest kept (another container of it) or
                    // newer but beyond `retain` cannot happen for valid ones
                    // except for equal zxids; keep them.
                    (
                        Action::Keep,
                        Reason::NewerThanOldestKept {
                            snapshot: oldest_name.clone(),
                        },
                    )
                }
            } else {
                let problem = match &f.verdict {
                    Some(Verdict::Corrupt(p)) => p.clone(),
                    _ => "not verified".to_string(),
                };
                let removing = opts.remove_corrupt;
                (
                    if removing {
                        Action::Delete
                    } else {
                        Action::Keep
                    },
                    Reason::Corrupt { problem, removing },
                )
            };
        plan.files.push(snap_file(f, *z, action, reason));
    }

    // Logs: `FileTxnLog.getLogFiles(logs, oldest_zxid)`.
    let first_needed = logs
        .iter()
        .find(|(_, z)| *z <= oldest_zxid)
        .map(|(f, z)| (f.name.clone(), *z));
    let newest_log = logs.first().map(|(f, _)| f.name.clone());
    for (f, z) in &logs {
        let needed = match &first_needed {
            Some((_, fz)) => *z >= *fz,
            None => true,
        };
        let mut p = if needed {
            log_file(
                f,
                *z,
                Action::Keep,
                Reason::NeededForReplay {
                    snapshot: oldest_name.clone(),
                },
            )
        } else {
            log_file(
                f,
                *z,
                Action::Delete,
                Reason::LogBeforeNeeded {
                    snapshot: oldest_name.clone(),
                    first_needed: first_needed.as_ref().map(|(n, _)| n.clone()),
                },
            )
        };
        if newest_log.as_deref() == Some(f.name.as_str()) && p.action == Action::Delete {
            p.overridden = Some(std::mem::replace(&mut p.reason, Reason::NewestLog));
            p.action = Action::Keep;
        }
        plan.files.push(p);
    }

    // Everything else in version-2/.
    for f in &rest {
        let (kind, reason) = other_kind(&f.name, f.location);
        let reason = match reason {
            Reason::Leftover {
                what, removable, ..
            } => Reason::Leftover {
                what,
                removable,
                removing: removable && opts.remove_leftovers,
            },
            r => r,
        };
        let action = match reason {
            Reason::Leftover { removing: true, .. } => Action::Delete,
            _ => Action::Keep,
        };
        plan.files.push(PlannedFile {
            path: f.path.clone(),
            name: f.name.clone(),
            kind,
            zxid: None,
            bytes: f.len,
            mtime: f.mtime,
            action,
            reason,
            overridden: None,
        });
    }

    // Rotated server logs: by mtime, since rotation names vary
    // (`.log.1`, `.log.2026-11-23`); the current `.log` is never touched.
    let (current, mut rotated): (Vec<&InventoryFile>, Vec<&InventoryFile>) =
        server_logs.iter().partition(|f| f.name.ends_with(".log"));
    rotated.sort_by(|a, b| b.mtime.cmp(&a.mtime).then_with(|| a.name.cmp(&b.name)));
    for f in current {
        plan.files.push(PlannedFile {
            path: f.path.clone(),
            name: f.name.clone(),
            kind: PlanKind::ServerLog,
            zxid: None,
            bytes: f.len,
            mtime: f.mtime,
            action: Action::Keep,
            reason: Reason::ServerLogCurrent,
            overridden: None,
        });
    }
    for (i, f) in rotated.iter().enumerate() {
        let (action, reason) = if i < opts.keep_server_logs {
            (
                Action::Keep,
                Reason::ServerLogKept {
                    rank: i + 1,
                    of: opts.keep_server_logs,
                },
            )
        } else {
            (
                Action::Delete,
                Reason::ServerLogOld {
                    of: opts.keep_server_logs,
                },
            )
        };
        plan.files.push(PlannedFile {
            path: f.path.clone(),
            name: f.name.clone(),
            kind: PlanKind::ServerLog,
            zxid: None,
            bytes: f.len,
            mtime: f.mtime,
            action,
            reason,
            overridden: None,
        });
    }

    // Young files are never deleted, whatever the rule said.
    let min_age = opts.min_age.as_secs();
    for p in &mut plan.files {
        if p.action != Action::Delete {
            continue;
        }
        let age = age_secs(now, p.mtime);
        let too_young = match age {
            Some(a) => a < 0 || (a as u64) < min_age,
            // Unknown mtime: only deletable when min-age is off.
            None => min_age > 0,
        };
        if too_young {
            let reason = Reason::TooYoung {
                age_secs: age.unwrap_or(0),
                min_age_secs: min_age,
            };
            p.overridden = Some(std::mem::replace(&mut p.reason, reason));
            p.action = Action::Keep;
        }
    }

    if logs.is_empty() {
        plan.warnings.push(format!(
            "no txn logs in {}; if dataLogDir is separate, pass --log-dir or --config (no log is deleted either way)",
            inv.log_dir.display()
        ));
    }
    for (name, problem) in &plan.corrupt {
        plan.warnings.push(format!(
            "{name}: corrupt snapshot, not counted toward --retain: {problem}"
        ));
    }
    plan
}

fn other_kind(name: &str, location: Location) -> (PlanKind, Reason) {
    if location == Location::ServerLogs {
        return (PlanKind::ServerLog, Reason::ServerLogCurrent);
    }
    if matches!(
        name,
        "acceptedEpoch" | "currentEpoch" | "acceptedEpoch.tmp" | "currentEpoch.tmp"
    ) {
        return (PlanKind::Epoch, Reason::EpochFile);
    }
    match classify(name) {
        FileKind::AcceptedEpoch | FileKind::CurrentEpoch => (PlanKind::Epoch, Reason::EpochFile),
        FileKind::Leftover { .. } => {
            let (what, removable) = leftover(name);
            (
                PlanKind::Leftover,
                Reason::Leftover {
                    what,
                    removable,
                    removing: false,
                },
            )
        }
        _ => (PlanKind::Unknown, Reason::Unknown),
    }
}

/// Fully verifies a snapshot file: decompresses it, parses every node and
/// checks every seal. Reads the file into memory (never maps it: the server
/// may be writing or removing it).
pub fn verify_snapshot(path: &Path, compression: Compression, limits: Limits) -> Verdict {
    let bytes = match source::open_snapshot(path, compression, true) {
        Ok(b) => b,
        Err(e) => return Verdict::Corrupt(format!("cannot read: {e}")),
    };
    if let Some(e) = &bytes.container_error {
        return Verdict::Corrupt(format!(
            "{} stream damaged: {e}",
            compression.suffix().unwrap_or("raw")
        ));
    }
    let snap = match Snapshot::parse(&bytes.stream, limits) {
        Ok(s) => s,
        Err(e) => return Verdict::Corrupt(e.to_string()),
    };
    let mut nodes = snap.nodes();
    for _ in nodes.by_ref() {}
    match nodes.into_end() {
        Some(SnapshotEnd::Complete(trailer)) => {
            if let Err(e) = trailer.check_seals() {
                return Verdict::Corrupt(e.to_string());
            }
            if let Some(s) = trailer.seals.iter().find(|s| !s.marker_ok) {
                return Verdict::Corrupt(format!(
                    "seal at offset {:#x} is not followed by the \"/\" marker",
                    s.offset
                ));
            }
            Verdict::Valid
        }
        Some(SnapshotEnd::Corrupt(e)) => Verdict::Corrupt(e.to_string()),
        None => Verdict::Corrupt("node stream did not end".into()),
    }
}

/// True for a `zookeeper*.log*` server log name.
pub fn is_server_log(name: &str) -> bool {
    name.starts_with("zookeeper") && name.contains(".log")
}

/// Builds the inventory of an opened data dir: stats every file and fully
/// verifies every snapshot (`on_snapshot` is called with each snapshot's
/// size before it is read, for progress).
pub fn scan(
    dir: &DataDir,
    server_logs: Option<&Path>,
    limits: Limits,
    mut on_snapshot: impl FnMut(u64),
) -> io::Result<Inventory> {
    let same = dir.snap_dir == dir.log_dir
        || matches!(
            (fs::canonicalize(&dir.snap_dir), fs::canonicalize(&dir.log_dir)),
            (Ok(a), Ok(b)) if a == b
        );
    let mut inv = Inventory {
        snap_dir: dir.snap_dir.clone(),
        log_dir: dir.log_dir.clone(),
        files: Vec::new(),
    };
    let location_of = |path: &Path| {
        if same {
            Location::Both
        } else if path.parent() == Some(dir.log_dir.as_path()) {
            Location::LogDir
        } else {
            Location::SnapDir
        }
    };
    let mut push = |path: &Path, location: Location, verdict: Option<Verdict>| {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name == LOCK_FILE {
            return;
        }
        // A file that vanished since the listing is simply not planned.
        let Ok(meta) = fs::symlink_metadata(path) else {
            return;
        };
        if !meta.is_file() {
            return;
        }
        inv.files.push(InventoryFile {
            path: path.to_path_buf(),
            name,
            location,
            len: meta.len(),
            mtime: meta.modified().ok(),
            verdict,
        });
    };
    for s in &dir.snapshots {
        on_snapshot(s.len);
        let v = verify_snapshot(&s.path, s.compression, limits);
        push(&s.path, location_of(&s.path), Some(v));
    }
    for l in &dir.logs {
        push(&l.path, location_of(&l.path), None);
    }
    for p in &dir.misplaced {
        let verdict = match classify(&p.file_name().unwrap_or_default().to_string_lossy()) {
            FileKind::Snapshot(_, c) => Some(verify_snapshot(p, c, limits)),
            _ => None,
        };
        push(p, location_of(p), verdict);
    }
    for o in &dir.others {
        push(&o.path, location_of(&o.path), None);
    }
    if let Some(sdir) = server_logs {
        let mut entries: Vec<PathBuf> = fs::read_dir(sdir)?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| is_server_log(&n.to_string_lossy()))
            })
            .collect();
        entries.sort();
        for p in entries {
            push(&p, Location::ServerLogs, None);
        }
    }
    Ok(inv)
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
    /// Could not be deleted; the message says why.
    Failed(String),
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
        }
    }
}

/// The result of [`execute`].
#[derive(Clone, Debug, Default)]
pub struct PurgeReport {
    /// Files deleted (or that would be, in a dry run).
    pub deleted: usize,
    /// Their bytes.
    pub bytes_freed: u64,
    /// Deletions that failed.
    pub failed: usize,
    /// Files already gone.
    pub vanished: usize,
    /// Files kept.
    pub kept: usize,
    /// Errors syncing a directory after deleting from it.
    pub sync_errors: Vec<String>,
}

/// Carries out a plan (or, with `dry_run`, only reports it). `on_file` is
/// called for every file, in plan order, right after it was dealt with.
/// Before each deletion the file is checked again: a file that changed size
/// or mtime since planning is not deleted (reported as failed). A refused
/// plan deletes nothing.
pub fn execute(
    plan: &PurgePlan,
    dry_run: bool,
    mut on_file: impl FnMut(&PlannedFile, &Outcome),
) -> PurgeReport {
    let mut report = PurgeReport::default();
    let mut touched: Vec<PathBuf> = Vec::new();
    for f in &plan.files {
        let outcome = if f.action == Action::Keep || plan.refusal.is_some() {
            Outcome::Kept
        } else if dry_run {
            Outcome::WouldDelete
        } else {
            delete_one(f)
        };
        match &outcome {
            Outcome::Kept => report.kept += 1,
            Outcome::WouldDelete | Outcome::Deleted => {
                report.deleted += 1;
                report.bytes_freed += f.bytes;
            }
            Outcome::Vanished => report.vanished += 1,
            Outcome::Failed(_) => report.failed += 1,
        }
        if outcome == Outcome::Deleted
            && let Some(parent) = f.path.parent()
            && !touched.iter().any(|t| t == parent)
        {
            touched.push(parent.to_path_buf());
        }
        on_file(f, &outcome);
    }
    // Make the unlinks durable.
    for dir in touched {
        if let Err(e) = File::open(&dir).and_then(|d| d.sync_all()) {
            report.sync_errors.push(format!(
                "{}: fsync of the directory failed: {e}",
                dir.display()
            ));
        }
    }
    report
}

fn delete_one(f: &PlannedFile) -> Outcome {
    let meta = match fs::symlink_metadata(&f.path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Outcome::Vanished,
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    if !meta.is_file() {
        return Outcome::Failed("no longer a regular file; not deleted".into());
    }
    if meta.len() != f.bytes || (f.mtime.is_some() && meta.modified().ok() != f.mtime) {
        return Outcome::Failed("changed since the plan was made; not deleted".into());
    }
    match fs::remove_file(&f.path) {
        Ok(()) => Outcome::Deleted,
        Err(e) if e.kind() == io::ErrorKind::NotFound => Outcome::Vanished,
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

/// An exclusive lock on a data dir for the length of a purge: an `flock`
/// on `version-2/.zkdd-purge.lock`. The kernel drops it when the process
/// dies, so a stale file from a killed purge never blocks the next one.
/// The file is removed on drop, while still locked.
#[derive(Debug)]
pub struct PurgeLock {
    file: File,
    path: PathBuf,
}

/// Why the lock could not be taken.
#[derive(Debug)]
pub enum LockError {
    /// Another process holds it.
    Locked(PathBuf),
    /// Creating or locking the file failed.
    Io(PathBuf, io::Error),
}

impl fmt::Display for LockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockError::Locked(p) => write!(
                f,
                "{}: locked: another zkdd purge is running on this data dir",
                p.display()
            ),
            LockError::Io(p, e) => write!(f, "{}: cannot create the purge lock: {e}", p.display()),
        }
    }
}

impl PurgeLock {
    /// Takes the lock in `dir` without waiting.
    pub fn acquire(dir: &Path) -> Result<PurgeLock, LockError> {
        let path = dir.join(LOCK_FILE);
        let io_err = |e| LockError::Io(path.clone(), e);
        // A purge that just finished unlinks the file it locked; if we locked
        // that unlinked inode, try again on the new file.
        for _ in 0..16 {
            let file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(io_err)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => return Err(LockError::Locked(path)),
                Err(fs::TryLockError::Error(e)) => return Err(io_err(e)),
            }
            if same_inode(&file, &path) {
                let _ = file.set_len(0);
                let _ = io::Write::write_all(
                    &mut &file,
                    format!("{}\n", std::process::id()).as_bytes(),
                );
                return Ok(PurgeLock { file, path });
            }
        }
        Err(LockError::Locked(path))
    }
}

#[cfg(unix)]
fn same_inode(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_inode(_file: &File, path: &Path) -> bool {
    path.exists()
}

impl Drop for PurgeLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, verdict: Option<Verdict>, age: u64) -> InventoryFile {
        InventoryFile {
            path: PathBuf::from("/d/version-2").join(name),
            name: name.into(),
            location: Location::Both,
            len: 100,
            mtime: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000 - age)),
            verdict,
        }
    }
    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000)
    }
    fn inv(files: Vec<InventoryFile>) -> Inventory {
        Inventory {
            snap_dir: "/d/version-2".into(),
            log_dir: "/d/version-2".into(),
            files,
        }
    }
    fn deleted(p: &PurgePlan) -> Vec<&str> {
        let mut v: Vec<&str> = p.deletions().map(|f| f.name.as_str()).collect();
        v.sort();
        v
    }
    fn ok() -> Option<Verdict> {
        Some(Verdict::Valid)
    }

    /// The layout FORMAT.md §7.1 verified PurgeTxnLog on, with our safer rules.
    #[test]
    fn format_md_example() {
        let mut files = vec![];
        for s in ["0", "a", "17", "20", "2d", "38", "46"] {
            files.push(file(&format!("snapshot.{s}"), ok(), 3600));
        }
        files.push(file(
            "snapshot.50",
            Some(Verdict::Corrupt("bad seal".into())),
            3600,
        ));
        for l in ["1", "c", "19", "22", "2f", "3a", "49"] {
            files.push(file(&format!("log.{l}"), None, 3600));
        }
        for o in ["log.bak", "snapshot.nothex", "log.1.chopped5"] {
            files.push(file(o, None, 3600));
        }
        let p = plan(&inv(files), &PurgeOptions::default(), now());
        assert_eq!(p.refusal, None);
        assert_eq!(p.oldest_kept.as_deref(), Some("snapshot.2d"));
        assert_eq!(
            deleted(&p),
            [
                "log.1",
                "log.19",
                "log.c",
                "snapshot.0",
                "snapshot.17",
                "snapshot.20",
                "snapshot.a"
            ]
        );
        let reason = |n: &str| p.files.iter().find(|f| f.name == n).unwrap().reason_text();
        assert_eq!(reason("snapshot.38"), "snapshot 2 of 3 kept");
        assert_eq!(reason("log.22"), "needed to replay from snapshot.2d");
        assert!(reason("snapshot.20").starts_with("older than oldest kept snapshot"));
        assert!(reason("snapshot.50").contains("corrupt"));
    }

    #[test]
    fn young_files_and_newest_log_survive() {
        let files = vec![
            file("snapshot.10", ok(), 10),
            file("snapshot.5", ok(), 10),
            file("log.1", None, 10),
            file("log.8", None, 10),
            file("log.20", None, 10),
        ];
        let opts = PurgeOptions {
            retain: 1,
            ..PurgeOptions::default()
        };
        let p = plan(&inv(files.clone()), &opts, now());
        assert!(deleted(&p).is_empty());
        assert!(
            p.files
                .iter()
                .any(|f| f.reason_text().contains("younger than --min-age 10m"))
        );
        let opts = PurgeOptions {
            min_age: Duration::ZERO,
            ..opts
        };
        let p = plan(&inv(files), &opts, now());
        assert_eq!(deleted(&p), ["log.1", "snapshot.5"]);
    }

    #[test]
    fn epochs_order_numerically() {
        let opts = PurgeOptions {
            retain: 1,
            min_age: Duration::ZERO,
            ..PurgeOptions::default()
        };
        let files = vec![
            file("snapshot.100000005", ok(), 99),
            file("snapshot.ff", ok(), 99),
            file("log.f0", None, 99),
            file("log.100000001", None, 99),
            file("log.200000001", None, 99),
            file("log.1", None, 99),
        ];
        let p = plan(&inv(files), &opts, now());
        assert_eq!(deleted(&p), ["log.1", "log.f0", "snapshot.ff"]);
    }

    #[test]
    fn refusals_keep_everything() {
        let opts = PurgeOptions {
            min_age: Duration::ZERO,
            ..PurgeOptions::default()
        };
        let files = vec![
            file("snapshot.10", ok(), 99),
            file("snapshot.5", Some(Verdict::Corrupt("x".into())), 99),
            file("snapshot.1", ok(), 99),
            file("log.1", None, 99),
        ];
        let p = plan(&inv(files), &opts, now());
        assert!(
            p.refusal
                .as_deref()
                .unwrap()
                .contains("only 2 valid snapshots")
        );
        assert!(deleted(&p).is_empty());

        let mut a = file("log.1", None, 99);
        a.location = Location::SnapDir;
        let mut b = file("snapshot.1", ok(), 99);
        b.location = Location::LogDir;
        let p = plan(&inv(vec![a, b]), &opts, now());
        assert!(p.refusal.as_deref().unwrap().contains("swapped"));
    }

    #[test]
    fn leftovers_need_the_flag_and_backups_never_go() {
        let mut files = vec![
            file("snapshot.10", ok(), 99),
            file("log.1", None, 99),
            file("log.1.fixed", None, 99),
            file("log.1.chopped5", None, 99),
            file("snapshot.3.tmp", None, 99),
            file("currentEpoch.tmp", None, 99),
            file("log.1.bak", None, 99),
            file("notes.txt", None, 99),
        ];
        files.push(file("currentEpoch", None, 99));
        let mut opts = PurgeOptions {
            retain: 1,
            min_age: Duration::ZERO,
            ..PurgeOptions::default()
        };
        assert!(deleted(&plan(&inv(files.clone()), &opts, now())).is_empty());
        opts.remove_leftovers = true;
        assert_eq!(
            deleted(&plan(&inv(files), &opts, now())),
            ["log.1.chopped5", "log.1.fixed", "snapshot.3.tmp"]
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
        assert_eq!(parse_duration("10m").unwrap(), Duration::from_secs(600));
        assert_eq!(parse_duration("2h").unwrap(), Duration::from_secs(7200));
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("").is_err());
        assert_eq!(format_duration(5430), "1h30m30s");
    }
}
