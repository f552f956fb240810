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

mod start;

use std::path::PathBuf;
use std::sync::mpsc;

pub(crate) use start::snapshot_name_zxid;
pub use start::{MAX_SNAPSHOT_CANDIDATES, load_snapshot_file, looks_valid};

use crate::error::Error;
use crate::files::datadir::{DataDir, LogFile, zookeeper_name_zxid};
use crate::files::source;
use crate::format::DecodeErrorKind;
use crate::format::jute::Limits;
use crate::format::txnlog::{IterOptions, LogEnd, TxnEntry, TxnLog};
use crate::tree::{ApplyResult, DataTree};
use crate::zxid::Zxid;
use start::{choose_snapshot, load_snapshot};

/// Log entries decoded ahead and warmed up together (see [`DataTree::warm`]).
const WARM_BATCH: usize = 32;
/// Log entries the reading thread hands over at a time.
const READ_BATCH: usize = 1024;
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
}

impl Default for Options {
    fn default() -> Self {
        Options {
            start: Start::Auto,
            target: Target::End,
            strictness: Strictness::TolerateTail,
            no_mmap: false,
            limits: Limits::default(),
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
    let strict = opts.strictness == Strictness::Strict;
    let mut notes = Vec::new();
    // Files ZooKeeper's loose name parsing would also pick up.
    for o in &dir.others {
        let name = o
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(z) = zookeeper_name_zxid(&name) {
            notes.push(Note {
                finding: false,
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

    let target_zxid = match opts.target {
        Target::End => None,
        Target::ToZxid(z) => Some(z),
        Target::BeforeZxid(z) => Some(Zxid(z.0.saturating_sub(1))),
        Target::ToTime(t) => match resolve_time(dir, t, opts)? {
            Some(z) => Some(z),
            None => {
                return Err(Error::Usage(format!(
                    "no txn in the logs has a time at or before {}",
                    crate::timefmt::rfc3339_utc(t).unwrap_or_else(|| t.to_string())
                )));
            }
        },
    };

    // ---- the starting tree ------------------------------------------------
    let mut skipped = Vec::new();
    let (mut tree, used, digest_bound) = match &opts.start {
        Start::Empty => (DataTree::new(), None, None),
        Start::Snapshot(path) => {
            let (z, c) = snapshot_name_zxid(path).ok_or_else(|| {
                Error::Usage(format!(
                    "{}: not named snapshot.<hex>[.gz|.snappy]; the name gives the zxid replay starts after",
                    path.display()
                ))
            })?;
            let l = load_snapshot(path, z, c, opts).map_err(|m| {
                Error::Usage(format!("{}: cannot load snapshot: {m}", path.display()))
            })?;
            if let Some(t) = target_zxid {
                if z > t {
                    return Err(Error::Usage(format!(
                        "{}: snapshot {z} is past the target {t}",
                        path.display()
                    )));
                }
                if l.digest_bound.is_none_or(|b| b > t) {
                    notes.push(Note {
                        finding: false,
                        message: format!(
                            "{}: this snapshot may hold effects of txns after {t} (fuzzy snapshot); the result may not be exact",
                            path.display()
                        ),
                    });
                }
            }
            (l.tree, Some(l.used), l.digest_bound)
        }
        Start::Auto => match choose_snapshot(dir, target_zxid, opts, &mut skipped) {
            Some(l) => (l.tree, Some(l.used), l.digest_bound),
            None => {
                let why = if dir.snapshots.is_empty() {
                    "no snapshot found".to_string()
                } else {
                    format!(
                        "no usable snapshot ({})",
                        skipped
                            .iter()
                            .map(|s: &SkippedSnapshot| format!(
                                "{}: {}",
                                s.path.display(),
                                s.reason
                            ))
                            .collect::<Vec<_>>()
                            .join("; ")
                    )
                };
                return Err(Error::Usage(format!(
                    "{why} in {}; use --from-empty if the logs go back to the first txn, or --snapshot FILE",
                    dir.snap_dir.display()
                )));
            }
        },
    };
    // Under --strict the first problem stops everything: (file, message).
    let mut strict_stop: Option<(PathBuf, String)> = None;
    if strict && let Some(s) = skipped.iter().find(|s| s.damaged) {
        strict_stop = Some((s.path.clone(), s.reason.clone()));
    }
    let _ = digest_bound;
    let start_zxid = tree.last_processed_zxid();

    // ---- digest state after load (§5.4) -------------------------------------
    let mut digests = DigestStats::default();
    let mut fuzzy: Option<(Zxid, i64)> = None;
    if let Some(u) = &used
        && let Some((dz, dv)) = u.digest
    {
        if dz == u.zxid {
            digests.snapshot = Some((dz, dv, tree.digest()));
        } else {
            fuzzy = Some((dz, dv));
        }
    }

    // ---- which logs (§2.5) ------------------------------------------------
    let from = Zxid(start_zxid.0.saturating_add(1));
    let logs = logs_to_read(&dir.logs, from);
    if matches!(opts.start, Start::Empty) {
        let first = logs.first().map(|l| l.zxid);
        if first.is_none_or(|z| z.counter() != 1) {
            return Err(Error::Usage(format!(
                "--from-empty needs the logs to start at the first txn of an epoch (zxid 0x…00000001); the oldest log is {}",
                first.map_or("missing".to_string(), |z| format!(
                    "log.{}",
                    z.to_name_hex()
                ))
            )));
        }
    }
    let total: u64 = logs.iter().map(|l| l.len).sum();
    let mut done = 0u64;

    // ---- apply ----------------------------------------------------------------
    let mut reads = Vec::new();
    let mut applied = 0u64;
    let mut errors = 0u64;
    let mut zxids: Option<(Zxid, Zxid)> = None;
    let mut fast_forward = true;
    let mut stopped = Stopped::EndOfLogs;
    let mut prev: Option<Zxid> = None;
    'files: for lf in &logs {
        if strict_stop.is_some() {
            break;
        }
        // The tree keeps the log: node data set by its txns is not copied.
        let bytes = std::sync::Arc::new(
            source::open(&lf.path, opts.no_mmap).map_err(|e| Error::io(&lf.path, e))?,
        );
        let mut read = LogRead {
            path: lf.path.clone(),
            name_zxid: lf.zxid,
            skipped: 0,
            applied: 0,
            zxids: None,
            stop: LogStop::End(LogEnd::Eof { offset: 0 }),
        };
        let log = match TxnLog::parse(&bytes) {
            Ok(l) => l,
            Err(e) => {
                // Bad magic: ZooKeeper throws and refuses to restore.
                let end = LogEnd::Corrupt {
                    offset: 0,
                    error: e.clone(),
                };
                read.stop = LogStop::Fatal(end);
                reads.push(read);
                stopped = Stopped::Problem {
                    path: lf.path.clone(),
                    message: format!("{e}: ZooKeeper refuses to restore past this file"),
                };
                break 'files;
            }
        };
        let iter = log.entries(IterOptions {
            limits: opts.limits,
            verify_checksums: true,
        });
        let mut released = 0usize;
        let mut hit_target = false;
        // A second thread reads, checks and decodes the entries, in batches,
        // while this one applies them. Before a batch is applied, the tree
        // warms up the nodes it will touch (overlapping their cache misses).
        let log_end = std::thread::scope(|s| {
            let (tx, rx) = mpsc::sync_channel::<Vec<TxnEntry<'_>>>(8);
            let reader = s.spawn(move || {
                let mut iter = iter;
                loop {
                    let batch: Vec<_> = (&mut iter).take(READ_BATCH).collect();
                    if batch.is_empty() || tx.send(batch).is_err() {
                        break;
                    }
                }
                iter.end().cloned()
            });
            'entries: while let Ok(batch) = rx.recv() {
                for chunk in batch.chunks(WARM_BATCH) {
                    tree.warm(chunk.iter().map(|e| &e.txn));
                    for entry in chunk {
                        let off = entry.offset as usize;
                        if off - released > 32 << 20 {
                            bytes.release_before(off);
                            released = off;
                            progress(done + entry.offset, total);
                        }
                        let h = entry.txn.header;
                        if fast_forward {
                            if h.zxid < from {
                                read.skipped += 1;
                                continue;
                            }
                            fast_forward = false;
                        }
                        if target_zxid.is_some_and(|t| h.zxid > t) {
                            hit_target = true;
                            break 'entries;
                        }
                        if let Some(p) = prev {
                            if h.zxid <= p {
                                notes.push(Note {
                                finding: true,
                                message: format!(
                                    "{}: txn {} at offset {:#x} comes after {p} (out of order; applied anyway, as ZooKeeper does)",
                                    lf.path.display(),
                                    h.zxid,
                                    entry.offset
                                ),
                            });
                            } else if h.zxid.epoch() == p.epoch() && h.zxid.0 != p.0 + 1 {
                                notes.push(Note {
                                finding: true,
                                message: format!(
                                    "{}: gap: txn {} at offset {:#x} follows {p}; txns in between are missing",
                                    lf.path.display(),
                                    h.zxid,
                                    entry.offset
                                ),
                            });
                            }
                        } else if h.zxid != from
                            && h.zxid.epoch() == from.epoch()
                            && start_zxid.0 != 0
                        {
                            notes.push(Note {
                            finding: true,
                            message: format!(
                                "{}: gap: the first txn after the snapshot is {}, expected {from}",
                                lf.path.display(),
                                h.zxid
                            ),
                        });
                        }
                        if strict && let Some(n) = notes.iter().find(|n| n.finding) {
                            strict_stop = Some((lf.path.clone(), n.message.clone()));
                            break 'entries;
                        }
                        prev = Some(h.zxid);
                        obs.before(&tree, &entry.txn);
                        let r: ApplyResult = tree.apply_in(&entry.txn, Some(&bytes));
                        obs.after(&tree, &entry.txn, &r);
                        applied += 1;
                        read.applied += 1;
                        if r.err != 0 {
                            errors += 1;
                        }
                        if r.invalid_sub_op {
                            notes.push(Note {
                            finding: true,
                            message: format!(
                                "{}: txn {} at offset {:#x}: a multi sub-txn of a type ZooKeeper refuses; the rest of that multi was skipped, as ZooKeeper does",
                                lf.path.display(),
                                h.zxid,
                                entry.offset
                            ),
                        });
                        }
                        zxids = Some((zxids.map_or(h.zxid, |z| z.0), h.zxid));
                        read.zxids = Some((read.zxids.map_or(h.zxid, |z| z.0), h.zxid));
                        // compareSnapshotDigests, then compareDigest (§5.4).
                        if let Some((dz, dv)) = fuzzy
                            && h.zxid == dz
                        {
                            digests.snapshot = Some((dz, dv, tree.digest()));
                            fuzzy = None;
                        }
                        match entry.txn.digest {
                            None => digests.without_digest += 1,
                            Some(_) if fuzzy.is_some() => digests.skipped_fuzzy += 1,
                            Some(d) if d.version != 2 => digests.skipped_version += 1,
                            Some(d) if d.tree == tree.digest() => digests.passed += 1,
                            Some(d) => {
                                digests.failed += 1;
                                digests.first_mismatch.get_or_insert(h.zxid);
                                if strict {
                                    strict_stop = Some((
                                        lf.path.clone(),
                                        format!(
                                            "digest mismatch at txn {} (offset {:#x}): logged {}, tree {}",
                                            h.zxid,
                                            entry.offset,
                                            d.tree,
                                            tree.digest()
                                        ),
                                    ));
                                    break 'entries;
                                }
                            }
                        }
                    }
                }
            }
            // Stops the reader if the loop ended early.
            drop(rx);
            reader
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p))
        });
        done += lf.len;
        progress(done, total);
        if strict_stop.is_some() {
            reads.push(read);
            break 'files;
        }
        if hit_target {
            read.stop = LogStop::Target;
            reads.push(read);
            stopped = Stopped::Target;
            break 'files;
        }
        let end = log_end.unwrap_or(LogEnd::Eof { offset: 0 });
        let (continues, finding) = zookeeper_end_behaviour(&end);
        if strict && !end.is_clean() {
            strict_stop = Some((lf.path.clone(), end.describe()));
            read.stop = LogStop::Fatal(end);
            reads.push(read);
            break 'files;
        }
        if !end.is_clean() {
            notes.push(Note {
                finding,
                message: format!(
                    "{}: {}{}",
                    lf.path.display(),
                    end.describe(),
                    if continues {
                        if finding {
                            "; ZooKeeper silently skips the rest of this file, and so did the replay"
                        } else {
                            "; ZooKeeper ends this file there, and so did the replay"
                        }
                    } else {
                        "; ZooKeeper refuses to restore past this point; the replay stopped here"
                    }
                ),
            });
        }
        if continues {
            read.stop = LogStop::End(end);
            reads.push(read);
        } else {
            read.stop = LogStop::Fatal(end.clone());
            reads.push(read);
            stopped = Stopped::Problem {
                path: lf.path.clone(),
                message: end.describe(),
            };
            break 'files;
        }
    }
    if let Some((path, message)) = strict_stop {
        stopped = Stopped::Problem { path, message };
    }
    if let Some((dz, _)) = fuzzy {
        digests.snapshot_pending = Some(dz);
        notes.push(Note {
            finding: false,
            message: format!(
                "the snapshot's digest zxid {dz} was never reached; per-txn digest checks stayed off (as in ZooKeeper)"
            ),
        });
    }
    if let Some((z, stored, computed)) = digests.snapshot
        && stored != computed
    {
        notes.push(Note {
            finding: false,
            message: format!(
                "snapshot digest at {z} does not match the tree ({stored} stored, {computed} computed): a fuzzy snapshot can record this falsely (FORMAT.md §5.4); per-txn digests decide"
            ),
        });
    }
    if let Some(t) = target_zxid
        && stopped == Stopped::EndOfLogs
        && tree.last_processed_zxid() < t
        && !matches!(opts.target, Target::ToTime(_))
    {
        notes.push(Note {
            finding: false,
            message: format!(
                "the logs end at {} before the target {t}",
                tree.last_processed_zxid()
            ),
        });
    }
    Ok(Replay {
        tree,
        snapshot: used,
        skipped_snapshots: skipped,
        logs: reads,
        applied,
        zxids,
        errors,
        digests,
        stopped,
        target_zxid,
        notes,
    })
}

/// What ZooKeeper's `FileTxnIterator` does at this end: (goes on with the
/// next file, and whether data is silently lost).
fn zookeeper_end_behaviour(end: &LogEnd) -> (bool, bool) {
    match end {
        LogEnd::Eof { .. } | LogEnd::Padding { .. } => (true, false),
        LogEnd::TornTail { .. } | LogEnd::PartialRecord { .. } => (true, false),
        LogEnd::Corrupt { error, .. } => match error.kind() {
            // "Last transaction was partial.": rest of the file skipped.
            DecodeErrorKind::MissingEndOfRecord { .. } => (true, true),
            // A body shorter than its record: EOFException, end of file.
            DecodeErrorKind::UnexpectedEof { .. } | DecodeErrorKind::CountTooLarge { .. } => {
                (true, true)
            }
            // CRC failure, unreasonable length, unknown type, bad magic: fatal.
            _ => (false, true),
        },
    }
}

/// `FileTxnIterator.init(zxid)`: logs named ≥ zxid plus the newest named below.
pub fn logs_to_read(all: &[LogFile], zxid: Zxid) -> Vec<LogFile> {
    let mut out: Vec<LogFile> = Vec::new();
    for lf in all.iter().rev() {
        out.push(lf.clone());
        if lf.zxid < zxid {
            break;
        }
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lf(z: i64) -> LogFile {
        LogFile {
            path: PathBuf::from(format!("log.{z:x}")),
            zxid: Zxid(z),
            len: 0,
        }
    }

    #[test]
    fn log_choice_keeps_the_file_that_may_hold_the_start() {
        let all = [lf(1), lf(0x20), lf(0x40), lf(0x60)];
        let names = |v: Vec<LogFile>| v.iter().map(|l| l.zxid.0).collect::<Vec<_>>();
        assert_eq!(
            names(logs_to_read(&all, Zxid(0x30))),
            vec![0x20, 0x40, 0x60]
        );
        assert_eq!(
            names(logs_to_read(&all, Zxid(0x40))),
            vec![0x20, 0x40, 0x60]
        );
        assert_eq!(names(logs_to_read(&all, Zxid(0x41))), vec![0x40, 0x60]);
        assert_eq!(
            names(logs_to_read(&all, Zxid(1))),
            vec![1, 0x20, 0x40, 0x60]
        );
        assert_eq!(names(logs_to_read(&all, Zxid(0x99))), vec![0x60]);
    }
}
