//! `zkdd recover`: from a data dir ZooKeeper cannot start from (or starts
//! from with silent loss) to a new one it starts from, holding the newest
//! state that can be honestly recovered.
//!
//! The honest target is the newest zxid such that every txn up to it is
//! present, readable, verified (Adler-32, and the tree digest where the log
//! records one) and contiguous from the starting snapshot: no gap, nothing
//! past damage. ZooKeeper's own restore either goes further (it skips the
//! rest of a damaged file and goes on with the next log, across the gap it
//! leaves) or refuses to start (a bad checksum, an unreasonable length);
//! recover stops at the last good txn either way.
//!
//! Steps ([`plan`]):
//! 1. verify the source: what is wrong, what ZooKeeper would do;
//! 2. leave out the logs that hold no data at all (0 bytes, shorter than a
//!    header, all zeros): nothing in them was ever acknowledged, and
//!    ZooKeeper fails on them (ZOOKEEPER-2332);
//! 3. probe: replay as ZooKeeper restores (its snapshot choice, falling
//!    back over damaged snapshots; from the initial tree when no snapshot
//!    is left and the logs reach back to the first txn), watching every txn
//!    for a gap and every log end for damage that hides valid entries; the
//!    first such problem, or the first digest mismatch, sets the target.
//!    Damage among txns the snapshot already holds is read around (a copy
//!    of the log from the next valid entry on: `bridge`) and the
//!    probe runs again;
//! 4. the recovered tree: a replay to the target, from a snapshot whose
//!    fuzzy content cannot go past it (the point-in-time rules of
//!    [`crate::tree::replay`]);
//! 5. what is lost: every txn after the target the files still hold (read
//!    on, and found past damage by the salvage scan), and the zxids known
//!    to be missing;
//! 6. the epoch files and myid a quorum peer needs.
//!
//! [`write()`](fn@write) then puts the new data dir in place atomically: a temporary
//! directory beside it, every file and directory synced, one rename.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Read, Write as _};
use std::path::{Path, PathBuf};

use crate::error::{Error, ReplayError};
use crate::files::atomic;
use crate::files::datadir::{DataDir, LogFile, VERSION_DIR, snapshot_name};
use crate::files::log::OpenLog;
use crate::files::source;
use crate::format::compress::Compression;
use crate::format::header::{FILE_HEADER_LEN, FileHeader, TXNLOG_MAGIC};
use crate::format::jute::Limits;
use crate::format::salvage::salvage_scan;
use crate::format::txn::{OpCode, Txn};
use crate::format::txnlog::{IterOptions, LogEnd, TxnLog, first_nonzero};
use crate::format::verdict;
use crate::ops::verify::{self, Finding, Outcome, Severity};
use crate::tree::DataTree;
use crate::tree::replay::{
    self, LogStop, Observer, Replay, SkippedSnapshot, SnapshotUsed, Start, Stopped, Strictness,
    Target, logs_to_read,
};
use crate::zxid::Zxid;

/// The first zxid of a server's history: 0x1 (standalone, epoch 0) or
/// 0x100000001 (the first epoch of an ensemble).
pub const FIRST_ZXIDS: [Zxid; 2] = [Zxid(1), Zxid((1 << 32) | 1)];

/// Options.
#[derive(Clone, Debug)]
pub struct Options {
    /// Decoding limits.
    pub limits: Limits,
    /// Read files instead of mapping them.
    pub no_mmap: bool,
    /// Threads for verify.
    pub threads: usize,
    /// Also build the tree the readable-but-unsafe txns after the damage
    /// would give (for a zkCli script of them).
    pub unsafe_tree: bool,
    /// Lost txns listed one by one (the rest are counted).
    pub list_limit: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            limits: Limits::default(),
            no_mmap: false,
            threads: crate::files::par::default_threads(),
            unsafe_tree: false,
            list_limit: 100,
        }
    }
}

/// What kind of problem ends the recovered history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopKind {
    /// Nothing: every txn the logs hold is recovered.
    EndOfLogs,
    /// A damaged entry: ZooKeeper fails there, or skips the rest of the
    /// file and the valid entries found after the damage.
    LogDamage,
    /// A log whose header cannot be read (bad magic, too short).
    UnreadableLog,
    /// Txns are missing between two that are present.
    Gap,
    /// A txn whose zxid is not above the one before it.
    OutOfOrder,
    /// The tree after a txn does not match the digest the server logged.
    DigestMismatch,
}

impl StopKind {
    /// A stable snake_case name, used in JSON.
    pub fn name(self) -> &'static str {
        match self {
            StopKind::EndOfLogs => "end_of_logs",
            StopKind::LogDamage => "log_damage",
            StopKind::UnreadableLog => "unreadable_log",
            StopKind::Gap => "gap",
            StopKind::OutOfOrder => "out_of_order",
            StopKind::DigestMismatch => "digest_mismatch",
        }
    }
}

/// Where and why the recovered history ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stop {
    /// What.
    pub kind: StopKind,
    /// The file at fault, when there is one.
    pub file: Option<PathBuf>,
    /// The byte offset at fault in it, when known.
    pub offset: Option<u64>,
    /// The txn at fault (the first one past the gap, the one whose digest
    /// differs), when known.
    pub zxid: Option<Zxid>,
    /// What is wrong, for people.
    pub message: String,
}

/// The state the recovered history starts from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Base {
    /// A snapshot file.
    Snapshot {
        /// The file.
        path: PathBuf,
        /// Its name zxid.
        zxid: Zxid,
    },
    /// ZooKeeper's initial tree (every snapshot was gone or damaged).
    Empty,
}

/// The recovered state.
#[derive(Clone, Debug)]
pub struct Recovered {
    /// Where it starts.
    pub base: Base,
    /// Snapshots passed over (damaged, or fuzzy past the target), newest first.
    pub skipped_snapshots: Vec<SkippedSnapshot>,
    /// The last txn it holds.
    pub zxid: Zxid,
    /// That txn's time (ms since the epoch), when a log holds it.
    pub time_ms: Option<i64>,
    /// Nodes in the tree.
    pub nodes: usize,
    /// Sessions in the tree.
    pub sessions: usize,
    /// Txns applied on top of the base.
    pub applied: u64,
    /// Logs read.
    pub logs: Vec<PathBuf>,
    /// Why it ends there.
    pub stop: Stop,
    /// False when the snapshot it starts from may hold effects of txns after
    /// the target (a fuzzy snapshot no older one could replace).
    pub exact: bool,
}

/// One txn the files still hold after the target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LostTxn {
    /// Its zxid.
    pub zxid: Zxid,
    /// Its time (ms).
    pub time_ms: i64,
    /// Its type.
    pub op: OpCode,
    /// The paths it touches.
    pub paths: Vec<Vec<u8>>,
    /// The file holding it.
    pub file: PathBuf,
    /// Its offset there.
    pub offset: u64,
}

/// What the recovered state lacks of what the server had.
#[derive(Clone, Debug, Default)]
pub struct Lost {
    /// The first zxid lost.
    pub first: Option<Zxid>,
    /// The last zxid known to have existed.
    pub last: Option<Zxid>,
    /// Txns known lost (zxids are numbered without holes within an epoch);
    /// `None` when nothing after the damage can be read to count them.
    pub count: Option<u64>,
    /// Txns still readable after the damage (verified one by one, but not
    /// as a complete history).
    pub readable: u64,
    /// The first of them, one by one.
    pub txns: Vec<LostTxn>,
    /// Files or regions that could not be read at all, and why.
    pub unreadable: Vec<(PathBuf, String)>,
}

/// The epoch files a quorum peer reads (`QuorumPeer.loadDataBase`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Epochs {
    /// currentEpoch to write: the source's, raised to the recovered zxid's epoch.
    pub current: i64,
    /// acceptedEpoch to write: the source's, raised to `current`.
    pub accepted: i64,
    /// The source's currentEpoch (`None`: absent; `Err`: unreadable).
    pub source_current: Option<Result<i64, String>>,
    /// The source's acceptedEpoch.
    pub source_accepted: Option<Result<i64, String>>,
    /// Written to the new data dir (a quorum peer's); a standalone server
    /// neither reads nor writes them.
    pub write: bool,
}

/// Everything `recover` found and decided.
#[derive(Clone, Debug)]
pub struct RecoverReport {
    /// The source's `version-2/` (snapshots).
    pub snap_dir: PathBuf,
    /// The source's log `version-2/`.
    pub log_dir: PathBuf,
    /// verify's findings (warnings and errors).
    pub problems: Vec<Finding>,
    /// What ZooKeeper 3.x would do with the source.
    pub zookeeper: Option<Outcome>,
    /// verify's sentence on it.
    pub zookeeper_sentence: String,
    /// The source belongs to a quorum peer (epoch files or a myid).
    pub quorum_peer: bool,
    /// Files, or parts of files, not used, and why (logs holding no data,
    /// damage read around, leftovers).
    pub left_out: Vec<(PathBuf, String)>,
    /// The recovered state, or why nothing could be recovered.
    pub recovered: Result<Recovered, String>,
    /// What the recovered state lacks (`None` when nothing was recovered).
    pub lost: Option<Lost>,
    /// The epoch files.
    pub epochs: Option<Epochs>,
    /// The source's `myid`, copied as it is.
    pub myid: Option<Vec<u8>>,
}

impl RecoverReport {
    /// True when acknowledged txns are not in the recovered state.
    pub fn lost_txns(&self) -> bool {
        match &self.recovered {
            Ok(r) => r.stop.kind != StopKind::EndOfLogs,
            Err(_) => true,
        }
    }
}

/// The report, and the trees it was made from.
#[derive(Debug)]
pub struct RecoverPlan {
    /// The report.
    pub report: RecoverReport,
    /// The recovered tree.
    pub tree: Option<DataTree>,
    /// The recovered tree with the readable-but-unsafe txns after the
    /// damage applied on top (with [`Options::unsafe_tree`]).
    pub unsafe_tree: Option<DataTree>,
}

/// Plans the recovery of `dir` (reads only).
pub fn plan(dir: &DataDir, opts: &Options) -> Result<RecoverPlan, Error> {
    let vopts = verify::Options {
        limits: opts.limits,
        no_mmap: opts.no_mmap,
        digests: true,
        threads: opts.threads.max(1),
    };
    let v = verify::verify_dir(dir, &vopts, &|_| {});
    let (zookeeper, zookeeper_sentence, quorum_peer) = match &v.recovery {
        Some(r) => (Some(r.outcome.clone()), r.sentence.clone(), r.quorum_peer),
        None => (None, String::new(), false),
    };
    let problems: Vec<Finding> = v
        .findings
        .into_iter()
        .filter(|f| f.severity >= Severity::Warning)
        .collect();

    let (mut usable, mut left_out) = usable_dir(dir, opts)?;
    for o in &dir.others {
        if let crate::files::datadir::FileKind::Leftover { what } = &o.kind {
            left_out.push((o.path.clone(), format!("{what}; not carried over")));
        }
    }

    let mut report = RecoverReport {
        snap_dir: dir.snap_dir.clone(),
        log_dir: dir.log_dir.clone(),
        problems,
        zookeeper,
        zookeeper_sentence,
        quorum_peer,
        left_out,
        recovered: Err(String::new()),
        lost: None,
        epochs: None,
        myid: read_myid(dir),
    };
    let mut bridges = Bridges::default();
    let probe = loop {
        let probe = match run_probe(&usable, opts)? {
            Ok(p) => p,
            Err(why) => {
                report.recovered = Err(why);
                return Ok(RecoverPlan {
                    report,
                    tree: None,
                    unsafe_tree: None,
                });
            }
        };
        if bridges.copies.len() < MAX_BRIDGES && bridge(&probe, &mut usable, &mut bridges, opts)? {
            continue;
        }
        break probe;
    };
    for b in &bridges.copies {
        report.left_out.push((b.orig.clone(), b.note.clone()));
    }
    let stop = find_stop(&probe, opts)?;
    let (target, stop) = match stop {
        Some(s) => s,
        None => (
            probe.replay.final_zxid(),
            Stop {
                kind: StopKind::EndOfLogs,
                file: None,
                offset: None,
                zxid: None,
                message: "every txn the logs hold is recovered".into(),
            },
        ),
    };
    let (replay, watch, exact) = if stop.kind == StopKind::EndOfLogs {
        (probe.replay, probe.watch, true)
    } else {
        // Only one tree at a time: the probe's goes before the next is built.
        let used = probe.replay.snapshot.clone();
        let empty = probe.empty;
        drop(probe);
        replay_to(&usable, used.as_ref(), empty, target, opts)?
    };
    let time_ms = match watch.last_time {
        Some((z, t)) if z == target => Some(t),
        _ => txn_time(&usable, target, opts),
    };
    let (lost, unsafe_tree) = scan_lost(
        &usable,
        target,
        &stop,
        opts,
        if opts.unsafe_tree {
            Some(replay.tree.clone())
        } else {
            None
        },
    )?;
    let base = match &replay.snapshot {
        Some(s) => Base::Snapshot {
            path: s.path.clone(),
            zxid: s.zxid,
        },
        None => Base::Empty,
    };
    report.epochs = Some(epochs(dir, target, quorum_peer));
    report.recovered = Ok(Recovered {
        base,
        skipped_snapshots: replay.skipped_snapshots.clone(),
        zxid: target,
        time_ms,
        nodes: replay.tree.node_count(),
        sessions: replay.tree.sessions().len(),
        applied: replay.applied,
        logs: replay
            .logs
            .iter()
            .filter(|l| l.applied > 0 || l.skipped > 0)
            .map(|l| l.path.clone())
            .collect(),
        stop,
        exact,
    });
    report.lost = Some(lost);
    bridges.unmap(&mut report);
    Ok(RecoverPlan {
        report,
        tree: Some(replay.tree),
        unsafe_tree,
    })
}

/// The data dir without the logs that hold no data at all, and those logs
/// with why: nothing in them was ever acknowledged (a txn is acknowledged
/// only once its entry is synced, header included), but ZooKeeper's
/// restore fails on them.
fn usable_dir(dir: &DataDir, opts: &Options) -> Result<(DataDir, Vec<(PathBuf, String)>), Error> {
    let mut usable = dir.clone();
    let mut left_out = Vec::new();
    let mut keep = Vec::new();
    for lf in &dir.logs {
        match no_data(lf, opts)? {
            Some(why) => left_out.push((lf.path.clone(), why)),
            None => keep.push(lf.clone()),
        }
    }
    usable.logs = keep;
    Ok((usable, left_out))
}

/// Why the log holds no data (`None`: it may).
fn no_data(lf: &LogFile, opts: &Options) -> Result<Option<String>, Error> {
    if lf.len == 0 {
        return Ok(Some("empty (0 bytes): it holds no txn".into()));
    }
    if lf.len <= FILE_HEADER_LEN as u64 {
        return Ok(Some(format!(
            "{} bytes, no room for a txn after the header",
            lf.len
        )));
    }
    let bytes = source::open(&lf.path, opts.no_mmap).map_err(|e| Error::io(&lf.path, e))?;
    if TxnLog::parse(&bytes).is_err() && first_nonzero(&bytes).is_none() {
        return Ok(Some(format!(
            "all {} bytes are zeros, header included: it holds no txn",
            lf.len
        )));
    }
    Ok(None)
}

/// The source's `myid` (in dataDir, beside `version-2/`), at most 64 bytes.
fn read_myid(dir: &DataDir) -> Option<Vec<u8>> {
    let path = dir.snap_dir.parent()?.join("myid");
    let f = crate::files::source::open_file(&path).ok()?;
    let mut v = Vec::new();
    f.take(64).read_to_end(&mut v).ok()?;
    Some(v)
}

/// currentEpoch no lower than the recovered zxid's epoch (a quorum peer
/// refuses to start otherwise) nor than the source's; acceptedEpoch no
/// lower than currentEpoch (same) nor than the source's.
fn epochs(dir: &DataDir, target: Zxid, quorum_peer: bool) -> Epochs {
    let source_current = dir.read_epoch("currentEpoch");
    let source_accepted = dir.read_epoch("acceptedEpoch");
    let ok = |v: &Option<Result<i64, String>>| v.as_ref().and_then(|r| r.as_ref().ok()).copied();
    let current = ok(&source_current)
        .unwrap_or(0)
        .max(i64::from(target.epoch()));
    let accepted = ok(&source_accepted).unwrap_or(0).max(current);
    Epochs {
        current,
        accepted,
        source_current,
        source_accepted,
        write: quorum_peer,
    }
}

/// Watches every txn a replay applies: the first one that does not follow
/// the one before it, where epochs change, and the last one's time.
#[derive(Default)]
struct Watch {
    prev: Option<Zxid>,
    first: Option<Zxid>,
    /// The first txn that does not follow: (the one before, it).
    brk: Option<(Zxid, Zxid)>,
    /// (first txn of a new epoch, the txn before it).
    epoch_starts: Vec<(Zxid, Zxid)>,
    last_time: Option<(Zxid, i64)>,
}

impl Observer for Watch {
    fn before(&mut self, tree: &DataTree, txn: &Txn<'_>) {
        let z = txn.header.zxid;
        let p = self.prev.unwrap_or_else(|| tree.last_processed_zxid());
        self.first.get_or_insert(z);
        if self.brk.is_none() && !follows(p, z) {
            self.brk = Some((p, z));
        }
        if z.epoch() != p.epoch() {
            self.epoch_starts.push((z, p));
        }
        self.prev = Some(z);
        self.last_time = Some((z, txn.header.time));
    }
}

/// True when txn `z` may come right after `p`: the next counter of the same
/// epoch, or the first txn of a later one (a new leader starts at counter 1).
fn follows(p: Zxid, z: Zxid) -> bool {
    if z.epoch() == p.epoch() {
        z.0 == p.0 + 1
    } else {
        z.epoch() > p.epoch() && z.counter() == 1
    }
}

impl Watch {
    /// The txn applied just before `z` (the base's zxid for the first).
    fn prev_of(&self, z: Zxid, base: Zxid) -> Zxid {
        if self.first == Some(z) {
            return base;
        }
        match self.epoch_starts.iter().find(|(s, _)| *s == z) {
            Some((_, p)) => *p,
            None => Zxid(z.0 - 1),
        }
    }
}

/// The probe: ZooKeeper's restore to the end, watched.
struct Probe {
    replay: Replay,
    watch: Watch,
    empty: bool,
}

fn replay_opts(opts: &Options, start: Start, target: Target) -> replay::Options {
    replay::Options {
        start,
        target,
        strictness: Strictness::TolerateTail,
        no_mmap: opts.no_mmap,
        limits: opts.limits,
        zk_version: None,
    }
}

/// Replays as ZooKeeper restores, to the end; from the initial tree when
/// no snapshot is usable and the logs start at the first txn there is.
/// `Ok(Err(why))` when nothing can be recovered.
fn run_probe(dir: &DataDir, opts: &Options) -> Result<Result<Probe, String>, Error> {
    let mut watch = Watch::default();
    let ro = replay_opts(opts, Start::Auto, Target::End);
    match replay::replay_observed(dir, &ro, &mut |_, _| {}, &mut watch) {
        Ok(replay) => Ok(Ok(Probe {
            replay,
            watch,
            empty: false,
        })),
        Err(Error::Replay(e @ ReplayError::NoUsableSnapshot { .. })) => {
            let first = dir.logs.first().map(|l| l.zxid);
            match first {
                Some(z) if FIRST_ZXIDS.contains(&z) => {
                    let mut watch = Watch::default();
                    let ro = replay_opts(opts, Start::Empty, Target::End);
                    let replay = replay::replay_observed(dir, &ro, &mut |_, _| {}, &mut watch)?;
                    Ok(Ok(Probe {
                        replay,
                        watch,
                        empty: true,
                    }))
                }
                Some(z) => Ok(Err(format!(
                    "{e}; and the oldest log, log.{}, does not start at the first txn of the server's history (0x1, or 0x100000001 for an ensemble): the state before {z} is in no file, so no tree can be rebuilt",
                    z.to_name_hex()
                ))),
                None => Ok(Err(format!(
                    "{e}; and there is no log to rebuild the tree from"
                ))),
            }
        }
        Err(e) => Err(e),
    }
}

/// Most damaged places a recovery reads around (each costs a replay).
const MAX_BRIDGES: usize = 8;

/// A log read through a copy that starts past damage the snapshot covers.
struct Bridge {
    /// The copy (header, then the original's bytes from `skip` on).
    copy: PathBuf,
    /// The original.
    orig: PathBuf,
    /// Original offset = copy offset + `delta` (for offsets past the header).
    delta: u64,
    /// What was skipped, for the report.
    note: String,
}

/// The copies, in a temporary directory removed when done.
#[derive(Default)]
struct Bridges {
    dir: Option<PathBuf>,
    copies: Vec<Bridge>,
}

impl Drop for Bridges {
    fn drop(&mut self) {
        if let Some(d) = self.dir.take() {
            let _ = fs::remove_dir_all(d);
        }
    }
}

impl Bridges {
    /// The original file and offset of a place in a copy.
    fn orig(&self, path: &Path, offset: Option<u64>) -> (PathBuf, Option<u64>) {
        match self.copies.iter().find(|b| b.copy == path) {
            Some(b) => (
                b.orig.clone(),
                offset.map(|o| {
                    if o >= FILE_HEADER_LEN as u64 {
                        o + b.delta
                    } else {
                        o
                    }
                }),
            ),
            None => (path.to_path_buf(), offset),
        }
    }

    /// Puts the originals' names and offsets back into the report.
    fn unmap(&self, r: &mut RecoverReport) {
        if self.copies.is_empty() {
            return;
        }
        if let Ok(rec) = &mut r.recovered {
            for l in &mut rec.logs {
                *l = self.orig(l, None).0;
            }
            if let Some(f) = &rec.stop.file
                && let Some(b) = self.copies.iter().find(|b| &b.copy == f)
            {
                rec.stop.message = format!(
                    "{} (read past the damage the snapshot covers: offsets in this sentence are {:#x} short)",
                    rec.stop.message, b.delta
                );
                let (f, o) = self.orig(f, rec.stop.offset);
                rec.stop.file = Some(f);
                rec.stop.offset = o;
            }
            for s in &mut rec.skipped_snapshots {
                s.path = self.orig(&s.path, None).0;
            }
        }
        if let Some(l) = &mut r.lost {
            for t in &mut l.txns {
                let (f, o) = self.orig(&t.file, Some(t.offset));
                t.file = f;
                t.offset = o.unwrap_or(t.offset);
            }
            for (f, _) in &mut l.unreadable {
                *f = self.orig(f, None).0;
            }
        }
    }
}

/// ZooKeeper reads every log of its chain from the start, so damage among
/// the txns the snapshot already holds stops it as surely as damage after
/// them. When the probe stopped on such damage (no txn applied yet) and
/// the next valid entry after it is at or before the first txn the
/// snapshot lacks, nothing needed is lost: the log is then read through a
/// copy that starts at that entry (in a temporary directory), and true is
/// returned for the probe to run again.
fn bridge(
    p: &Probe,
    dir: &mut DataDir,
    bridges: &mut Bridges,
    opts: &Options,
) -> Result<bool, Error> {
    let base = p.replay.snapshot.as_ref().map_or(Zxid(0), |s| s.zxid);
    let needed = Zxid(base.0.saturating_add(1));
    let iter = IterOptions {
        limits: opts.limits,
        verify_checksums: true,
    };
    for lr in &p.replay.logs {
        if lr.applied > 0 {
            return Ok(false);
        }
        let end = match &lr.stop {
            LogStop::Fatal(LogEnd::Corrupt { offset: 0, .. }) => return Ok(false),
            LogStop::Fatal(e) => e,
            LogStop::End(e) if !e.is_clean() => e,
            _ => continue,
        };
        let Some(from) = verdict::scan_start(end) else {
            return Ok(false);
        };
        let bytes = source::open(&lr.path, opts.no_mmap).map_err(|e| Error::io(&lr.path, e))?;
        let Ok(log) = TxnLog::parse(&bytes) else {
            return Ok(false);
        };
        // The last zxid read before the damage: what follows must be above it.
        let mut it = log.entries(iter);
        let last = it.by_ref().map(|e| e.txn.header.zxid).last();
        let Some(found) = salvage_scan(&log, from, last, iter) else {
            return Ok(false);
        };
        let Some(first) = found.run.first_zxid else {
            return Ok(false);
        };
        if first > needed {
            return Ok(false);
        }
        let tmp = match &bridges.dir {
            Some(d) => d.clone(),
            None => {
                let d = std::env::temp_dir().join(format!(
                    "zkdd-recover-{}-{}",
                    std::process::id(),
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_nanos())
                ));
                fs::create_dir(&d).map_err(|e| Error::io(&d, e))?;
                bridges.dir = Some(d.clone());
                d
            }
        };
        let copy = tmp.join(format!("{}.{}", bridges.copies.len(), name_of(&lr.path)));
        let head = bytes.get(..FILE_HEADER_LEN).unwrap_or_default();
        let rest = bytes
            .get(usize::try_from(found.run.start).unwrap_or(usize::MAX)..)
            .unwrap_or_default();
        atomic::write_file(&copy, false, |w| {
            w.write_all(head)?;
            w.write_all(rest)
        })
        .map_err(|e| Error::io(&copy, e))?;
        let skipped_to = found.run.start;
        bridges.copies.push(Bridge {
            copy: copy.clone(),
            orig: lr.path.clone(),
            delta: skipped_to - FILE_HEADER_LEN as u64,
            note: format!(
                "damaged at {:#x} ({}), among txns the snapshot already holds: read from the next valid entry, {first} at {skipped_to:#x}, on (ZooKeeper reads the whole file and fails or stops there)",
                end.offset(),
                end.kind_name()
            ),
        });
        for l in &mut dir.logs {
            if l.path == lr.path {
                l.path = copy.clone();
            }
        }
        return Ok(true);
    }
    Ok(false)
}

fn name_of(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The first problem of the probe's history, as (the last good txn, what).
fn find_stop(p: &Probe, opts: &Options) -> Result<Option<(Zxid, Stop)>, Error> {
    let r = &p.replay;
    let base = r.snapshot.as_ref().map_or(Zxid(0), |s| s.zxid);
    // (last good zxid, rank among problems at the same place, the problem)
    let mut found: Vec<(Zxid, u8, Stop)> = Vec::new();
    let mut last = base;
    for lr in &r.logs {
        if let Some((_, b)) = lr.zxids {
            last = b;
        }
        match &lr.stop {
            LogStop::Fatal(end) => {
                let header = matches!(end, LogEnd::Corrupt { offset: 0, .. });
                found.push((
                    last,
                    0,
                    Stop {
                        kind: if header {
                            StopKind::UnreadableLog
                        } else {
                            StopKind::LogDamage
                        },
                        file: Some(lr.path.clone()),
                        offset: Some(end.offset()),
                        zxid: None,
                        message: if header {
                            match end {
                                LogEnd::Corrupt { error, .. } => {
                                    format!("the log's header cannot be read: {error}")
                                }
                                other => other.describe(),
                            }
                        } else {
                            judged(&lr.path, end, last, opts)?
                                .map_or_else(|| end.describe(), |v| v.message())
                        },
                    },
                ));
                break;
            }
            LogStop::End(end) if !end.is_clean() => {
                // A crash tail, or stale bytes hiding no valid entry, loses
                // nothing acknowledged: whether the next log follows on
                // decides. Valid entries after the damage were acknowledged.
                if let Some(v) = judged(&lr.path, end, last, opts)?
                    && v.after.is_some()
                {
                    found.push((
                        last,
                        0,
                        Stop {
                            kind: StopKind::LogDamage,
                            file: Some(lr.path.clone()),
                            offset: Some(end.offset()),
                            zxid: None,
                            message: v.message(),
                        },
                    ));
                    break;
                }
            }
            _ => {}
        }
    }
    if let Some((before, next)) = p.watch.brk {
        let file = r
            .logs
            .iter()
            .find(|l| l.zxids.is_some_and(|(a, b)| a <= next && next <= b))
            .map(|l| l.path.clone());
        let out_of_order = next <= before;
        found.push((
            before,
            1,
            Stop {
                kind: if out_of_order {
                    StopKind::OutOfOrder
                } else {
                    StopKind::Gap
                },
                file,
                offset: None,
                zxid: Some(next),
                message: if out_of_order {
                    format!("txn {next} comes after {before}: the logs are out of order")
                } else if next.epoch() == before.epoch() {
                    format!(
                        "txn {next} follows {before}: {} txns ({}..{}) are in no file",
                        next.0 - before.0 - 1,
                        Zxid(before.0 + 1),
                        Zxid(next.0 - 1)
                    )
                } else {
                    format!(
                        "txn {next} follows {before}: the first {} txns of epoch {} are in no file",
                        next.counter() - 1,
                        next.epoch()
                    )
                },
            },
        ));
    }
    if let Some(z) = r.digests.first_mismatch {
        let before = p.watch.prev_of(z, base);
        found.push((
            before,
            2,
            Stop {
                kind: StopKind::DigestMismatch,
                file: r
                    .logs
                    .iter()
                    .find(|l| l.zxids.is_some_and(|(a, b)| a <= z && z <= b))
                    .map(|l| l.path.clone()),
                offset: None,
                zxid: Some(z),
                message: format!(
                    "the tree after txn {z} does not match the digest the server logged with it: a txn before it was lost or altered, or it was"
                ),
            },
        ));
    }
    Ok(found
        .into_iter()
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)))
        .map(|(z, _, s)| (z, s)))
}

/// The verdict on a log's `end` (`None` when its header cannot be read).
fn judged(
    path: &Path,
    end: &LogEnd,
    last: Zxid,
    opts: &Options,
) -> Result<Option<verdict::LogVerdict>, Error> {
    let iter = IterOptions {
        limits: opts.limits,
        verify_checksums: true,
    };
    match OpenLog::open(path, opts.no_mmap)? {
        Ok(mut log) => Ok(Some(log.judge(end.clone(), Some(last), iter)?)),
        Err(_) => Ok(None),
    }
}

/// The tree at `target`: from a snapshot whose content cannot go past it
/// (replay's point-in-time choice); failing that, from the snapshot the
/// probe used (`used`; the initial tree when `empty`), noting that the
/// result may not be exact.
fn replay_to(
    dir: &DataDir,
    used: Option<&SnapshotUsed>,
    empty: bool,
    target: Zxid,
    opts: &Options,
) -> Result<(Replay, Watch, bool), Error> {
    let start = if empty { Start::Empty } else { Start::Auto };
    let mut watch = Watch::default();
    let ro = replay_opts(opts, start, Target::ToZxid(target));
    let attempt = replay::replay_observed(dir, &ro, &mut |_, _| {}, &mut watch);
    if let Ok(r) = attempt {
        let clean = r.final_zxid() == target
            && watch.brk.is_none()
            && !matches!(r.stopped, Stopped::Problem { .. })
            && r.digests.failed == 0;
        if clean {
            return Ok((r, watch, true));
        }
    }
    // No snapshot bounded below the target replays cleanly to it: the one
    // ZooKeeper would load, fuzzy or not.
    let Some(used) = used else {
        let mut watch = Watch::default();
        let ro = replay_opts(opts, Start::Empty, Target::ToZxid(target));
        let r = replay::replay_observed(dir, &ro, &mut |_, _| {}, &mut watch)?;
        return Ok((r, watch, true));
    };
    let mut watch = Watch::default();
    let ro = replay_opts(
        opts,
        Start::Snapshot(used.path.clone()),
        Target::ToZxid(target),
    );
    let r = replay::replay_observed(dir, &ro, &mut |_, _| {}, &mut watch)?;
    let exact = used.zxid.0 == 0 || used.digest.is_some_and(|(d, _)| d.0 < target.0);
    Ok((r, watch, exact))
}

/// The time of txn `z`, from the logs that may hold it.
fn txn_time(dir: &DataDir, z: Zxid, opts: &Options) -> Option<i64> {
    let iter = IterOptions {
        limits: opts.limits,
        verify_checksums: true,
    };
    for lf in logs_to_read(&dir.logs, z) {
        let Ok(bytes) = source::open(&lf.path, opts.no_mmap) else {
            continue;
        };
        let Ok(log) = TxnLog::parse(&bytes) else {
            continue;
        };
        for e in log.entries(iter) {
            let h = e.txn.header;
            if h.zxid == z {
                return Some(h.time);
            }
            if h.zxid > z {
                break;
            }
        }
    }
    None
}

/// Every txn after `target` the logs still hold: read on where the entries
/// are whole, found past damage by the salvage scan (each verified by its
/// own checksum, none as part of a complete history). With `tree`, they are
/// applied to it in order (the unsafe tree of a `--script`).
fn scan_lost(
    dir: &DataDir,
    target: Zxid,
    stop: &Stop,
    opts: &Options,
    mut tree: Option<DataTree>,
) -> Result<(Lost, Option<DataTree>), Error> {
    let mut lost = Lost::default();
    if stop.kind == StopKind::EndOfLogs {
        lost.count = Some(0);
        return Ok((lost, tree));
    }
    let iter = IterOptions {
        limits: opts.limits,
        verify_checksums: true,
    };
    let mut max_seen = target;
    // Highest counter seen per epoch.
    let mut counters: BTreeMap<u32, u32> = BTreeMap::new();
    for lf in logs_to_read(&dir.logs, Zxid(target.0.saturating_add(1))) {
        let bytes = std::sync::Arc::new(
            source::open(&lf.path, opts.no_mmap).map_err(|e| Error::io(&lf.path, e))?,
        );
        let header_ok = TxnLog::parse(&bytes).is_ok();
        let log = if header_ok {
            TxnLog::parse(&bytes).ok()
        } else {
            // A damaged header: the entries may still be there after it.
            bytes.get(FILE_HEADER_LEN..).map(|rest| {
                TxnLog::window(
                    FileHeader {
                        magic: TXNLOG_MAGIC,
                        version: 2,
                        dbid: 0,
                    },
                    rest,
                    FILE_HEADER_LEN as u64,
                )
            })
        };
        let Some(log) = log else { continue };
        let found_before = lost.readable;
        // Where to read entries from, or to scan for the next valid one.
        let mut read_at = header_ok.then(|| log.first_entry());
        let mut scan_at = (!header_ok).then_some(FILE_HEADER_LEN as u64);
        loop {
            let start = match (read_at.take(), scan_at.take()) {
                (Some(a), _) => a,
                (None, Some(from)) => match salvage_scan(&log, from, Some(max_seen), iter) {
                    Some(s) if s.run.start >= from => s.run.start,
                    _ => break,
                },
                (None, None) => break,
            };
            let mut it = log.entries_at(start, iter);
            for e in &mut it {
                let z = e.txn.header.zxid;
                if z <= max_seen {
                    continue;
                }
                max_seen = z;
                let c = counters.entry(z.epoch()).or_insert(0);
                *c = (*c).max(z.counter());
                lost.readable += 1;
                if lost.txns.len() < opts.list_limit {
                    lost.txns.push(LostTxn {
                        zxid: z,
                        time_ms: e.txn.header.time,
                        op: e.txn.header.op,
                        paths: e.txn.paths().into_iter().map(<[u8]>::to_vec).collect(),
                        file: lf.path.clone(),
                        offset: e.offset,
                    });
                }
                if let Some(t) = tree.as_mut() {
                    t.apply(&e.txn);
                }
            }
            match it.end() {
                Some(end) if !end.is_clean() => scan_at = verdict::scan_start(end),
                _ => {}
            }
        }
        if !header_ok && lost.readable == found_before {
            lost.unreadable.push((
                lf.path.clone(),
                format!(
                    "its header is damaged and no valid txn was found in its {} bytes",
                    bytes.len()
                ),
            ));
        }
    }
    // Zxids are numbered without holes within an epoch, and a new epoch
    // starts at counter 1: every zxid between the target and the last one
    // seen existed.
    let mut count = 0u64;
    for (&epoch, &top) in &counters {
        let from = if epoch == target.epoch() {
            target.counter()
        } else {
            0
        };
        count += u64::from(top.saturating_sub(from));
    }
    let same_epoch = counters.contains_key(&target.epoch())
        || matches!(stop.kind, StopKind::LogDamage | StopKind::UnreadableLog)
        || stop.zxid.is_some_and(|z| z.epoch() == target.epoch());
    lost.first = if same_epoch || counters.is_empty() {
        Some(Zxid(target.0 + 1))
    } else {
        counters.keys().next().map(|&e| Zxid::new(e, 1))
    };
    lost.last = (max_seen > target).then_some(max_seen);
    lost.count = (count > 0).then_some(count);
    Ok((lost, tree))
}

/// What [`write()`](fn@write) wrote.
#[derive(Clone, Debug)]
pub struct Written {
    /// The new data dir.
    pub dir: PathBuf,
    /// Its files (relative to it) and their sizes.
    pub files: Vec<(PathBuf, u64)>,
}

/// Removes a temporary directory unless disarmed.
struct TmpDir(Option<PathBuf>);

impl Drop for TmpDir {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = fs::remove_dir_all(p);
        }
    }
}

fn sync_dir(p: &Path) -> io::Result<()> {
    File::open(p)?.sync_all()
}

/// Writes the new data dir at `out` (which must not exist, or be an empty
/// directory): `version-2/snapshot.<zxid>`, the epoch files of a quorum
/// peer, and `myid`. Everything goes into a temporary directory beside
/// `out`, every file and directory is synced, and one rename puts it in
/// place (rename(2) replaces an empty directory); the parent is synced last.
pub fn write(plan: &RecoverPlan, out: &Path) -> io::Result<Written> {
    let (Ok(rec), Some(tree)) = (&plan.report.recovered, &plan.tree) else {
        return Err(io::Error::other("nothing was recovered"));
    };
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = out
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no directory name"))?
        .to_string_lossy()
        .into_owned();
    let tmp = parent.join(format!(".{name}.zkdd-{}.tmp", std::process::id()));
    fs::create_dir(&tmp)?;
    let mut guard = TmpDir(Some(tmp.clone()));
    let v2 = tmp.join(VERSION_DIR);
    fs::create_dir(&v2)?;
    let mut files = Vec::new();
    let snap = Path::new(VERSION_DIR).join(snapshot_name(rec.zxid, Compression::None));
    let size = atomic::write_file(&tmp.join(&snap), false, |w| {
        tree.write_snapshot(w, rec.zxid).map(drop)
    })?;
    files.push((snap, size));
    let mut small = |rel: PathBuf, bytes: &[u8]| -> io::Result<()> {
        let size = atomic::write_file(&tmp.join(&rel), false, |w| w.write_all(bytes))?;
        files.push((rel, size));
        Ok(())
    };
    if let Some(e) = plan.report.epochs.as_ref().filter(|e| e.write) {
        // As ZooKeeper writes them: ASCII decimal, no newline.
        small(
            Path::new(VERSION_DIR).join("currentEpoch"),
            e.current.to_string().as_bytes(),
        )?;
        small(
            Path::new(VERSION_DIR).join("acceptedEpoch"),
            e.accepted.to_string().as_bytes(),
        )?;
    }
    if let Some(id) = &plan.report.myid {
        small(PathBuf::from("myid"), id)?;
    }
    sync_dir(&v2)?;
    sync_dir(&tmp)?;
    fs::rename(&tmp, out)?;
    guard.0 = None;
    sync_dir(&parent)?;
    Ok(Written {
        dir: out.to_path_buf(),
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_follows_what() {
        assert!(follows(Zxid(5), Zxid(6)));
        assert!(!follows(Zxid(5), Zxid(7)));
        assert!(!follows(Zxid(5), Zxid(5)));
        assert!(follows(Zxid(0x1_0000_0009), Zxid(0x2_0000_0001)));
        assert!(!follows(Zxid(0x1_0000_0009), Zxid(0x2_0000_0002)));
        assert!(!follows(Zxid(0x2_0000_0009), Zxid(0x1_0000_000a)));
        // From the initial tree: 0x1 (standalone) or 0x100000001.
        assert!(follows(Zxid(0), Zxid(1)));
        assert!(follows(Zxid(0), Zxid(0x1_0000_0001)));
    }
}
