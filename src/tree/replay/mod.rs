//! Snapshot + logs → [`DataTree`], as `FileTxnSnapLog.restore` does it, plus
//! the point-in-time targets ZooKeeper itself cannot do.
//!
//! Steps (FORMAT.md §6): choose a snapshot (§6.1: newest that passes the
//! cheap `isValidSnapshot` filter, then a full parse with every seal checked;
//! on failure the next older one), load it, choose the logs (§2.5: every log
//! named ≥ name+1 plus the newest one named below), fast-forward past the
//! txns the snapshot already holds, apply the rest in file order, and compare
//! digests (§5.4) on the way. Logs are streamed from mapped files, so memory
//! is the tree's, not the logs'.
//!
//! # Point in time and fuzzy snapshots
//!
//! A snapshot named N is fuzzy: it holds every txn ≤ N and possibly effects
//! of later ones. For a target zxid Z, zkdd only starts from a snapshot whose
//! content cannot go past Z:
//! * with a digest section (3.6+) at zxid D ≥ N, the content is bounded by
//!   D + 1: the digest is read after the tree is written, when txn D was
//!   complete and at most txn D + 1 was being applied. So D + 1 ≤ Z is needed.
//! * otherwise (3.4/3.5, digests off), by the next snapshot's name N' + 1:
//!   ZooKeeper never starts a snapshot while one is being written
//!   (`SyncRequestProcessor`'s `snapThreadMutex`), so when N' started, N was
//!   done. So N' + 1 ≤ Z is needed, and the newest snapshot is unusable for
//!   any Z short of the end.
//! * `snapshot.0` is written by restore itself on an empty data dir before
//!   any txn can run, so it is exactly the initial tree.
//!
//! The newest snapshot with name ≤ Z meeting its bound is used; replaying
//! txns ≤ Z on top converges as ZooKeeper's own restore does (§6.5).
//! `--before-zxid Z` is the same as `--to-zxid Z-1`; `--to-time T` is
//! resolved to the last txn whose time is ≤ T by a scan of the logs.

mod logs;
mod start;

use std::path::PathBuf;

pub use logs::logs_to_read;
pub(crate) use start::snapshot_name_zxid;
pub use start::{MAX_SNAPSHOT_CANDIDATES, load_snapshot_file, looks_valid};

use crate::error::{Error, ReplayError};
use crate::files::datadir::FileKind;
use crate::files::datadir::{DataDir, zookeeper_name_zxid};
use crate::files::source;
use crate::format::jute::Limits;
use crate::format::txnlog::{IterOptions, LogEnd, TxnLog};
use crate::format::version::ZkVersion;
use crate::tree::{ApplyResult, DataTree};
use crate::zxid::Zxid;
use logs::{Run, choose_logs};
use start::start_tree;

/// Where the replay stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Every txn the logs hold (ZooKeeper's restore).
    End,
    /// Every txn with zxid ≤ Z.
    ToZxid(Zxid),
    /// Every txn with zxid < Z (the state just before a bad txn).
    BeforeZxid(Zxid),
    /// Every txn up to the last one whose time (ms since the epoch) is ≤ T.
    ToTime(i64),
}

/// Where the replay starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Start {
    /// The snapshot ZooKeeper would choose (or a safe older one for a point in time).
    Auto,
    /// This snapshot file.
    Snapshot(PathBuf),
    /// ZooKeeper's initial tree; the logs must go back to the first txn.
    Empty,
}

/// How problems in the files are treated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Strictness {
    /// As ZooKeeper: a torn or partial last entry ends that file and the
    /// replay goes on with the next; hard corruption ends the replay (where
    /// ZooKeeper would refuse to start) and is reported.
    #[default]
    TolerateTail,
    /// Any problem (torn tail, garbage after the end, gap, digest mismatch,
    /// skipped snapshot) stops the replay with an error.
    Strict,
}

/// Replay options.
#[derive(Clone, Debug)]
pub struct Options {
    /// Start point.
    pub start: Start,
    /// Stop point.
    pub target: Target,
    /// Problem handling.
    pub strictness: Strictness,
    /// Read files instead of mapping them.
    pub no_mmap: bool,
    /// Decoding limits.
    pub limits: Limits,
    /// The ZooKeeper version whose initial tree a replay from empty starts
    /// with (`None`: 3.4's when the oldest snapshot shows a 3.4 tree, else 3.5+'s).
    pub zk_version: Option<ZkVersion>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            start: Start::Auto,
            target: Target::End,
            strictness: Strictness::TolerateTail,
            no_mmap: false,
            limits: Limits::default(),
            zk_version: None,
        }
    }
}

/// A snapshot that was not used, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedSnapshot {
    /// The file.
    pub path: PathBuf,
    /// Its name zxid.
    pub zxid: Zxid,
    /// Why it was passed over.
    pub reason: String,
    /// True when ZooKeeper would also have refused it (damaged); false when
    /// zkdd skipped a good one for a point-in-time target.
    pub damaged: bool,
}

/// The snapshot the replay started from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotUsed {
    /// The file.
    pub path: PathBuf,
    /// Its name zxid (where log replay starts: name + 1).
    pub zxid: Zxid,
    /// Nodes loaded.
    pub nodes: u64,
    /// Sessions loaded.
    pub sessions: usize,
    /// Its digest section: (zxid, digest), when present and usable.
    pub digest: Option<(Zxid, i64)>,
    /// ACL ids nodes referred to that the cache lacked.
    pub missing_acl_ids: Vec<i64>,
}

/// How the replay left one log file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogStop {
    /// Read to its end (clean, or a torn/partial tail ZooKeeper also stops at).
    End(LogEnd),
    /// The target was reached in this file.
    Target,
    /// The replay stopped here: ZooKeeper would refuse to restore (or --strict).
    Fatal(LogEnd),
}

/// One log file read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogRead {
    /// The file.
    pub path: PathBuf,
    /// Its name zxid.
    pub name_zxid: Zxid,
    /// Txns skipped because the snapshot already holds them (fast-forward).
    pub skipped: u64,
    /// Txns applied from it.
    pub applied: u64,
    /// First and last zxid applied from it.
    pub zxids: Option<(Zxid, Zxid)>,
    /// How reading it ended.
    pub stop: LogStop,
}

/// Digest comparisons (FORMAT.md §5.4).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DigestStats {
    /// Txns whose digest matched the tree.
    pub passed: u64,
    /// Txns whose digest did not match.
    pub failed: u64,
    /// Txns with a digest not compared because the tree was still fuzzy.
    pub skipped_fuzzy: u64,
    /// Txns with a digest of another version (skipped, as ZooKeeper does).
    pub skipped_version: u64,
    /// Txns carrying no digest (error txns, digests off, old logs).
    pub without_digest: u64,
    /// The first txn whose digest did not match.
    pub first_mismatch: Option<Zxid>,
    /// The snapshot's own digest check: (zxid, stored, computed).
    pub snapshot: Option<(Zxid, i64, i64)>,
    /// The snapshot's digest zxid was never reached ("Highest txn zxid … is
    /// not covering the snapshot digest zxid"); per-txn checks stayed off.
    pub snapshot_pending: Option<Zxid>,
}

/// Why the replay stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// Every log was read.
    EndOfLogs,
    /// The next txn was past the target.
    Target,
    /// A file problem ZooKeeper would refuse to restore past, or any
    /// problem under --strict.
    Problem {
        /// The file.
        path: PathBuf,
        /// What.
        message: String,
    },
}

/// A note about something the replay tolerated or skipped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// True when it is a finding (data ZooKeeper silently drops, a gap, a
    /// digest mismatch): `zkdd replay` exits 1.
    pub finding: bool,
    /// True for a warning that is no finding (a crash tail): said, exit 0.
    pub warning: bool,
    /// What happened.
    pub message: String,
}

/// What a replay did, and the tree it built.
#[derive(Debug)]
pub struct Replay {
    /// The tree (sessions included).
    pub tree: DataTree,
    /// The snapshot started from (`None`: the empty tree).
    pub snapshot: Option<SnapshotUsed>,
    /// Snapshots passed over, newest first.
    pub skipped_snapshots: Vec<SkippedSnapshot>,
    /// Logs read, in order.
    pub logs: Vec<LogRead>,
    /// Txns applied.
    pub applied: u64,
    /// First and last zxid applied.
    pub zxids: Option<(Zxid, Zxid)>,
    /// Txns that ended in an error code (NodeExists on a fuzzy re-create, ...).
    pub errors: u64,
    /// Digest checks.
    pub digests: DigestStats,
    /// Why it stopped.
    pub stopped: Stopped,
    /// The target resolved to a zxid (`None` for the end).
    pub target_zxid: Option<Zxid>,
    /// Things tolerated, skipped or suspicious.
    pub notes: Vec<Note>,
}

impl Replay {
    /// The tree's final zxid (`lastProcessedZxid`).
    pub fn final_zxid(&self) -> Zxid {
        self.tree.last_processed_zxid()
    }
    /// True when something worth exit status 1 happened.
    pub fn has_findings(&self) -> bool {
        matches!(self.stopped, Stopped::Problem { .. })
            || self.notes.iter().any(|n| n.finding)
            || self.digests.failed > 0
    }
}

/// Finds the last zxid whose txn time is ≤ `t`, scanning every log.
fn resolve_time(dir: &DataDir, t: i64, opts: &Options) -> Result<Option<Zxid>, Error> {
    let mut best: Option<Zxid> = None;
    for lf in &dir.logs {
        let bytes = source::open(&lf.path, opts.no_mmap).map_err(|e| Error::io(&lf.path, e))?;
        let Ok(log) = TxnLog::parse(&bytes) else {
            continue;
        };
        for e in log.entries(IterOptions {
            limits: opts.limits,
            verify_checksums: true,
        }) {
            let h = e.txn.header;
            if h.time <= t && best.is_none_or(|b| h.zxid > b) {
                best = Some(h.zxid);
            }
        }
    }
    Ok(best)
}

/// Sees every txn the replay applies, with the tree just before and just
/// after it (history, forensics). Both default to doing nothing.
pub trait Observer {
    /// Called with the tree before `txn` is applied.
    fn before(&mut self, _tree: &DataTree, _txn: &crate::format::txn::Txn<'_>) {}
    /// Called with the tree after `txn` was applied.
    fn after(&mut self, _tree: &DataTree, _txn: &crate::format::txn::Txn<'_>, _r: &ApplyResult) {}
}

struct NoObserver;
impl Observer for NoObserver {}

/// Runs a replay over a data dir. `progress(done, total)` is called with
/// bytes of log read so far.
pub fn replay(
    dir: &DataDir,
    opts: &Options,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Replay, Error> {
    replay_observed(dir, opts, progress, &mut NoObserver)
}

/// [`replay`], calling `obs` around every txn applied.
pub fn replay_observed(
    dir: &DataDir,
    opts: &Options,
    progress: &mut dyn FnMut(u64, u64),
    obs: &mut dyn Observer,
) -> Result<Replay, Error> {
    let mut notes = misread_name_notes(dir);
    let target_zxid = target_zxid(dir, opts)?;
    let mut skipped = Vec::new();
    let (tree, used) = start_tree(dir, opts, target_zxid, &mut skipped, &mut notes)?;
    // A damaged snapshot ZooKeeper would also try and reject: the dir is
    // damaged, whatever the older snapshot gives.
    for s in skipped.iter().filter(|s| s.damaged) {
        notes.push(Note {
            finding: true,
            warning: false,
            message: format!(
                "{}: {}; ZooKeeper falls back to an older snapshot, and so did the replay",
                s.path.display(),
                s.reason
            ),
        });
    }
    let mut run = Run::new(tree, used.as_ref(), &skipped, opts, target_zxid, notes);
    let logs = choose_logs(dir, opts, run.from())?;
    run.read_logs(&logs, opts, progress, obs)?;
    Ok(run.finish(opts.target, target_zxid, used, skipped))
}

/// Notes for files ZooKeeper's loose name parsing would also pick up.
fn misread_name_notes(dir: &DataDir) -> Vec<Note> {
    let mut notes = Vec::new();
    for o in &dir.others {
        let name = o
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(z) = zookeeper_name_zxid(&name) {
            notes.push(Note {
                finding: false,
                warning: false,
                message: format!(
                    "{}: ignored; ZooKeeper would read it as {} {z} (its name parser ignores suffixes)",
                    o.path.display(),
                    if name.starts_with("log.") {
                        "log"
                    } else {
                        "snapshot"
                    }
                ),
            });
        }
    }
    // ZooKeeper's restore fails (or hangs) on these; the replay cannot
    // read them either and goes on without them.
    for i in &dir.irregular {
        if matches!(i.kind, FileKind::Log(_) | FileKind::Snapshot(..)) {
            notes.push(Note {
                finding: true,
                warning: false,
                message: format!(
                    "{}: {}, not a regular file: ZooKeeper's restore {} on it; the replay went on without it",
                    i.path.display(),
                    i.what,
                    if i.what == "a FIFO" { "hangs" } else { "fails" }
                ),
            });
        }
    }
    notes
}

/// The last zxid the replay applies (`None`: to the end of the logs).
fn target_zxid(dir: &DataDir, opts: &Options) -> Result<Option<Zxid>, Error> {
    Ok(match opts.target {
        Target::End => None,
        Target::ToZxid(z) => Some(z),
        Target::BeforeZxid(z) if z.0 <= 0 => {
            return Err(Error::Replay(ReplayError::NothingBeforeZxid(z)));
        }
        Target::BeforeZxid(z) => Some(Zxid(z.0 - 1)),
        Target::ToTime(t) => match resolve_time(dir, t, opts)? {
            Some(z) => Some(z),
            None => return Err(Error::Replay(ReplayError::NothingBeforeTime(t))),
        },
    })
}
