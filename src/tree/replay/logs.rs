//! Bringing the starting tree up to the target with the logs' txns, in file
//! order, as `FileTxnSnapLog.restore` does (FORMAT.md §2.5, §6), and
//! recording on the way what ZooKeeper would pass over in silence or refuse:
//! gaps, damaged ends, digest mismatches (§5.4).
//!
//! See: `FileTxnSnapLog.java`, `FileTxnLog.java` (`FileTxnIterator`),
//! `DataTree.java` (`compareDigest`, `compareSnapshotDigests`) (3.8.0).

use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};

use super::{
    DigestStats, LogRead, LogStop, Note, Observer, Options, Replay, SkippedSnapshot, SnapshotUsed,
    Start, Stopped, Strictness, Target,
};
use crate::error::{Error, ReplayError};
use crate::files::datadir::{DataDir, LogFile};
use crate::files::log::OpenLog;
use crate::files::source::{self, Bytes};
use crate::format::txnlog::{IterOptions, LogEnd, TxnEntry, TxnIter, TxnLog};
use crate::format::verdict::{EndClass, LogVerdict, ZkAction};
use crate::tree::{ApplyResult, DataTree};
use crate::zxid::Zxid;

/// Log entries decoded ahead and warmed up together (see [`DataTree::warm`]).
const WARM_BATCH: usize = 32;
/// Log entries the reading thread hands over at a time.
const READ_BATCH: usize = 1024;

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

/// The logs that may hold txn `from` and those after it (§2.5). From the
/// empty tree they must start at the first txn of an epoch.
pub(super) fn choose_logs(
    dir: &DataDir,
    opts: &Options,
    from: Zxid,
) -> Result<Vec<LogFile>, Error> {
    let logs = logs_to_read(&dir.logs, from);
    if matches!(opts.start, Start::Empty) {
        let first = logs.first().map(|l| l.zxid);
        if first.is_none_or(|z| z.counter() != 1) {
            return Err(Error::Replay(ReplayError::LogsNotFromStart(first)));
        }
    }
    Ok(logs)
}

/// What one log entry asks of the loop over entries.
enum Step {
    /// Go on with the next entry.
    Next,
    /// The entry is past the target: the replay ends before it.
    Target,
    /// Under --strict, a problem: the replay stops (see `strict_stop`).
    Stop,
}

/// A replay from its starting tree on: the tree, and what was found so far.
pub(super) struct Run {
    tree: DataTree,
    strict: bool,
    target_zxid: Option<Zxid>,
    /// The tree's zxid before any log (the snapshot's name; 0 if empty).
    start_zxid: Zxid,
    /// The first txn the starting tree lacks.
    from: Zxid,
    notes: Vec<Note>,
    digests: DigestStats,
    /// The snapshot's digest, (zxid, value), while the tree is still short
    /// of that zxid (fuzzy): per-txn digests are not compared until then.
    fuzzy: Option<(Zxid, i64)>,
    reads: Vec<LogRead>,
    applied: u64,
    errors: u64,
    zxids: Option<(Zxid, Zxid)>,
    /// True while skipping the txns the starting tree already holds.
    fast_forward: bool,
    /// The zxid of the last txn applied.
    prev: Option<Zxid>,
    stopped: Stopped,
    /// Under --strict the first problem stops everything: (file, message).
    strict_stop: Option<(PathBuf, String)>,
    /// Bytes of log read before the current one, and in all the logs.
    done: u64,
    total: u64,
}

impl Run {
    /// A replay about to read the logs onto `tree`, loaded from `used`
    /// (`None`: the empty tree), with the notes made so far.
    pub(super) fn new(
        tree: DataTree,
        used: Option<&SnapshotUsed>,
        skipped: &[SkippedSnapshot],
        opts: &Options,
        target_zxid: Option<Zxid>,
        notes: Vec<Note>,
    ) -> Run {
        let strict = opts.strictness == Strictness::Strict;
        let mut strict_stop: Option<(PathBuf, String)> = None;
        if strict && let Some(s) = skipped.iter().find(|s| s.damaged) {
            strict_stop = Some((s.path.clone(), s.reason.clone()));
        }
        let start_zxid = tree.last_processed_zxid();

        // ---- digest state after load (§5.4) ---------------------------------
        let mut digests = DigestStats::default();
        let mut fuzzy: Option<(Zxid, i64)> = None;
        if let Some(u) = used
            && let Some((dz, dv)) = u.digest
        {
            if dz == u.zxid {
                digests.snapshot = Some((dz, dv, tree.digest()));
            } else {
                fuzzy = Some((dz, dv));
            }
        }
        Run {
            tree,
            strict,
            target_zxid,
            start_zxid,
            from: Zxid(start_zxid.0.saturating_add(1)),
            notes,
            digests,
            fuzzy,
            reads: Vec::new(),
            applied: 0,
            errors: 0,
            zxids: None,
            fast_forward: true,
            prev: None,
            stopped: Stopped::EndOfLogs,
            strict_stop,
            done: 0,
            total: 0,
        }
    }

    /// The first txn the starting tree lacks: where log replay starts.
    pub(super) fn from(&self) -> Zxid {
        self.from
    }

    /// Reads `logs` in order until the target, their end, or a problem
    /// that stops the replay. `progress(done, total)` gets bytes of log.
    pub(super) fn read_logs(
        &mut self,
        logs: &[LogFile],
        opts: &Options,
        progress: &mut dyn FnMut(u64, u64),
        obs: &mut dyn Observer,
    ) -> Result<(), Error> {
        self.total = logs.iter().map(|l| l.len).sum();
        for lf in logs {
            if self.strict_stop.is_some() {
                break;
            }
            if !self.read_log(lf, opts, progress, obs)? {
                break;
            }
        }
        Ok(())
    }

    /// Reads one log and applies its txns; false when the replay ends with it.
    fn read_log(
        &mut self,
        lf: &LogFile,
        opts: &Options,
        progress: &mut dyn FnMut(u64, u64),
        obs: &mut dyn Observer,
    ) -> Result<bool, Error> {
        // The tree keeps the log: node data set by its txns is not copied.
        let bytes =
            Arc::new(source::open(&lf.path, opts.no_mmap).map_err(|e| Error::io(&lf.path, e))?);
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
                self.reads.push(read);
                self.stopped = Stopped::Problem {
                    path: lf.path.clone(),
                    message: format!("{e}: ZooKeeper refuses to restore past this file"),
                };
                return Ok(false);
            }
        };
        let iter_opts = IterOptions {
            limits: opts.limits,
            verify_checksums: true,
        };
        let entries = log.entries(iter_opts);
        let (log_end, hit_target) =
            self.apply_entries(&lf.path, entries, &bytes, &mut read, progress, obs);
        self.done += lf.len;
        progress(self.done, self.total);
        let read_len = bytes.len() as u64;
        let now = std::fs::metadata(&lf.path).map_or(0, |m| m.len());
        if read_len < lf.len || now < read_len {
            self.notes.push(Note {
                finding: true,
                warning: false,
                message: format!(
                    "{}: the file shrank from {} to {} bytes while it was being read: the replay may not match what it holds (a live server truncating its log?); replay a copy",
                    lf.path.display(),
                    lf.len.max(read_len),
                    now.min(read_len)
                ),
            });
        }
        let verdict = match &log_end {
            Some(end) if !hit_target && !end.is_clean() => {
                let last = read.zxids.map(|z| z.1).or(self.prev);
                match OpenLog::from_bytes(&lf.path, Arc::clone(&bytes)) {
                    Ok(mut log) => Some(log.judge(end.clone(), last, iter_opts)?),
                    Err(_) => None,
                }
            }
            _ => None,
        };
        Ok(self.end_of_log(&lf.path, read, log_end, verdict, hit_target))
    }

    /// Applies the `entries` of the log at `path` (mapped as `bytes`) until
    /// its end, the target or a --strict stop. Returns how the log ended, as
    /// far as it was read, and whether the target was reached.
    fn apply_entries(
        &mut self,
        path: &Path,
        entries: TxnIter<'_>,
        bytes: &Arc<Bytes>,
        read: &mut LogRead,
        progress: &mut dyn FnMut(u64, u64),
        obs: &mut dyn Observer,
    ) -> (Option<LogEnd>, bool) {
        let (done, total) = (self.done, self.total);
        let (mut released, mut reported) = (0usize, 0usize);
        let mut hit_target = false;
        self.tree.count_bytes_in(bytes);
        // A second thread reads, checks and decodes the entries, in batches,
        // while this one applies them. Before a batch is applied, the tree
        // warms up the nodes it will touch (overlapping their cache misses).
        let log_end = std::thread::scope(|s| {
            let (tx, rx) = mpsc::sync_channel::<Vec<TxnEntry<'_>>>(8);
            let reader = s.spawn(move || {
                let mut iter = entries;
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
                    self.tree.warm(chunk.iter().map(|e| &e.txn));
                    for entry in chunk {
                        let off = entry.offset as usize;
                        if off - reported > 32 << 20 {
                            reported = off;
                            progress(done + entry.offset, total);
                            // Pages the tree still uses would only be
                            // faulted back in (by a later txn on the node,
                            // and by the output): drop them once more than
                            // half of what was read since is out of the tree.
                            if (off - released) as u64 > 2 * self.tree.counted_bytes() {
                                bytes.release_before(off);
                                released = off;
                            }
                        }
                        match self.entry(path, entry, bytes, read, obs) {
                            Step::Next => {}
                            Step::Target => {
                                hit_target = true;
                                break 'entries;
                            }
                            Step::Stop => break 'entries,
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
        (log_end, hit_target)
    }

    /// One log entry: skipped while the starting tree holds it, else
    /// checked for order, applied, counted, and its digest compared.
    #[inline]
    fn entry(
        &mut self,
        path: &Path,
        entry: &TxnEntry<'_>,
        bytes: &Arc<Bytes>,
        read: &mut LogRead,
        obs: &mut dyn Observer,
    ) -> Step {
        let h = entry.txn.header;
        if self.fast_forward {
            if h.zxid < self.from {
                read.skipped += 1;
                return Step::Next;
            }
            self.fast_forward = false;
        }
        if self.target_zxid.is_some_and(|t| h.zxid > t) {
            return Step::Target;
        }
        self.check_order(path, h.zxid, entry.offset);
        if self.strict
            && let Some(n) = self.notes.iter().find(|n| n.finding)
        {
            self.strict_stop = Some((path.to_path_buf(), n.message.clone()));
            return Step::Stop;
        }
        self.prev = Some(h.zxid);
        obs.before(&self.tree, &entry.txn);
        let r: ApplyResult = self.tree.apply_in(&entry.txn, Some(bytes));
        obs.after(&self.tree, &entry.txn, &r);
        self.count(path, entry, &r, read);
        self.compare_digest(path, entry)
    }

    /// Notes (as findings) a txn that does not follow the one before it,
    /// or the first one after the snapshot, within an epoch.
    #[inline]
    fn check_order(&mut self, path: &Path, zxid: Zxid, offset: u64) {
        let from = self.from;
        if let Some(p) = self.prev {
            if zxid <= p {
                self.notes.push(Note {
                    finding: true,
                    warning: false,
                    message: format!(
                        "{}: txn {} at offset {:#x} comes after {p} (out of order; applied anyway, as ZooKeeper does)",
                        path.display(),
                        zxid,
                        offset
                    ),
                });
            } else if zxid.epoch() == p.epoch() && zxid.0 != p.0 + 1 {
                self.notes.push(Note {
                    finding: true,
                    warning: false,
                    message: format!(
                        "{}: gap: txn {} at offset {:#x} follows {p}; txns in between are missing",
                        path.display(),
                        zxid,
                        offset
                    ),
                });
            }
        } else if zxid != from && zxid.epoch() == from.epoch() && self.start_zxid.0 != 0 {
            self.notes.push(Note {
                finding: true,
                warning: false,
                message: format!(
                    "{}: gap: the first txn after the snapshot is {}, expected {from}",
                    path.display(),
                    zxid
                ),
            });
        }
    }

    /// Counts an applied txn, and notes a multi ZooKeeper cut short.
    #[inline]
    fn count(&mut self, path: &Path, entry: &TxnEntry<'_>, r: &ApplyResult, read: &mut LogRead) {
        let zxid = entry.txn.header.zxid;
        self.applied += 1;
        read.applied += 1;
        if r.err != 0 {
            self.errors += 1;
        }
        if r.invalid_sub_op {
            self.notes.push(Note {
                finding: true,
                warning: false,
                message: format!(
                    "{}: txn {} at offset {:#x}: a multi sub-txn of a type ZooKeeper refuses; the rest of that multi was skipped, as ZooKeeper does",
                    path.display(),
                    zxid,
                    entry.offset
                ),
            });
        }
        self.zxids = Some((self.zxids.map_or(zxid, |z| z.0), zxid));
        read.zxids = Some((read.zxids.map_or(zxid, |z| z.0), zxid));
    }

    /// compareSnapshotDigests, then compareDigest (§5.4), after `entry`
    /// was applied; under --strict a mismatch stops the replay.
    #[inline]
    fn compare_digest(&mut self, path: &Path, entry: &TxnEntry<'_>) -> Step {
        let zxid = entry.txn.header.zxid;
        if let Some((dz, dv)) = self.fuzzy
            && zxid == dz
        {
            self.digests.snapshot = Some((dz, dv, self.tree.digest()));
            self.fuzzy = None;
        }
        let digests = &mut self.digests;
        match entry.txn.digest {
            None => digests.without_digest += 1,
            Some(_) if self.fuzzy.is_some() => digests.skipped_fuzzy += 1,
            Some(d) if d.version != 2 => digests.skipped_version += 1,
            Some(d) if d.tree == self.tree.digest() => digests.passed += 1,
            Some(d) => {
                digests.failed += 1;
                digests.first_mismatch.get_or_insert(zxid);
                if self.strict {
                    self.strict_stop = Some((
                        path.to_path_buf(),
                        format!(
                            "digest mismatch at txn {} (offset {:#x}): logged {}, tree {}",
                            zxid,
                            entry.offset,
                            d.tree,
                            self.tree.digest()
                        ),
                    ));
                    return Step::Stop;
                }
            }
        }
        Step::Next
    }

    /// Records how the replay left the log at `path` (`read`), and notes a
    /// damaged end (`verdict`, judged as every subcommand judges it); false
    /// when the replay ends with this log: at the target, at a --strict
    /// stop, or where ZooKeeper would refuse to go on.
    fn end_of_log(
        &mut self,
        path: &Path,
        mut read: LogRead,
        log_end: Option<LogEnd>,
        verdict: Option<LogVerdict>,
        hit_target: bool,
    ) -> bool {
        if self.strict_stop.is_some() {
            self.reads.push(read);
            return false;
        }
        if hit_target {
            read.stop = LogStop::Target;
            self.reads.push(read);
            self.stopped = Stopped::Target;
            return false;
        }
        let Some(v) = verdict else {
            read.stop = LogStop::End(log_end.unwrap_or(LogEnd::Eof { offset: 0 }));
            self.reads.push(read);
            return true;
        };
        let end = v.end.clone();
        if self.strict {
            self.strict_stop = Some((path.to_path_buf(), end.describe()));
            read.stop = LogStop::Fatal(end);
            self.reads.push(read);
            return false;
        }
        let finding = v.class == EndClass::Damage;
        let continues = v.zookeeper == ZkAction::NextLog;
        self.notes.push(Note {
            finding,
            warning: v.class == EndClass::CrashTail,
            message: format!(
                "{}: {}; {}{}",
                path.display(),
                v.message(),
                v.meaning(),
                match (continues, finding) {
                    (true, true) => "; the replay skipped the rest of this file too",
                    (true, false) => "; the replay ended this file there too",
                    (false, _) => "; the replay stopped here",
                }
            ),
        });
        if continues {
            read.stop = LogStop::End(end);
            self.reads.push(read);
            true
        } else {
            read.stop = LogStop::Fatal(end.clone());
            self.reads.push(read);
            self.stopped = Stopped::Problem {
                path: path.to_path_buf(),
                message: end.describe(),
            };
            false
        }
    }

    /// The replay as it ended, with the notes only its end can tell.
    pub(super) fn finish(
        mut self,
        target: Target,
        target_zxid: Option<Zxid>,
        used: Option<SnapshotUsed>,
        skipped: Vec<SkippedSnapshot>,
    ) -> Replay {
        if let Some((path, message)) = self.strict_stop.take() {
            self.stopped = Stopped::Problem { path, message };
        }
        if let Some((dz, _)) = self.fuzzy {
            self.digests.snapshot_pending = Some(dz);
            self.notes.push(Note {
                finding: false,
                warning: false,
                message: format!(
                    "the snapshot's digest zxid {dz} was never reached; per-txn digest checks stayed off (as in ZooKeeper)"
                ),
            });
        }
        if let Some((z, stored, computed)) = self.digests.snapshot
            && stored != computed
        {
            self.notes.push(Note {
                finding: false,
                warning: false,
                message: format!(
                    "snapshot digest at {z} does not match the tree ({stored} stored, {computed} computed): a fuzzy snapshot can record this falsely (FORMAT.md §5.4); per-txn digests decide"
                ),
            });
        }
        if let Some(t) = target_zxid
            && self.stopped == Stopped::EndOfLogs
            && self.tree.last_processed_zxid() < t
            && !matches!(target, Target::ToTime(_))
        {
            self.notes.push(Note {
                finding: false,
                warning: false,
                message: format!(
                    "the logs end at {} before the target {t}",
                    self.tree.last_processed_zxid()
                ),
            });
        }
        Replay {
            tree: self.tree,
            snapshot: used,
            skipped_snapshots: skipped,
            logs: self.reads,
            applied: self.applied,
            zxids: self.zxids,
            errors: self.errors,
            digests: self.digests,
            stopped: self.stopped,
            target_zxid,
            notes: self.notes,
        }
    }
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
