//! Predicting `FileTxnSnapLog.restore` on a data dir from the per-file
//! scans: the snapshot it loads, the logs it replays, the zxid it starts at
//! or why it fails, and every txn it silently drops.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::log::{LogScan, ZkEnd};
use super::snapshot::SnapScan;
use super::{Outcome, Recovery, name_of};
use crate::files::datadir::{DataDir, Irregular, ZkFile};
use crate::zxid::Zxid;

/// Predicts `FileTxnSnapLog.restore` on this dir.
pub(super) fn predict(
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
        quorum_failure: None,
        quorum_peer: false,
        logs_missing: false,
        sentence: String::new(),
        by_version: Vec::new(),
    };
    let scan_of = |p: &Path| scans.iter().find(|s| s.path == p);
    if !dir.misplaced.is_empty() {
        r.outcome = Outcome::Fail(format!(
            "{} is in the wrong directory (dataDir/dataLogDir mix-up)",
            name_of(&dir.misplaced[0])
        ));
    }
    // ZooKeeper opens every snapshot-named entry while it looks for valid
    // ones (findNValidSnapshots), and every log of its chain: one that is
    // not a regular file makes the restore fail (or hang, for a FIFO).
    let irregular = |p: &Path| dir.irregular.iter().find(|i| i.path == p);
    if let Some(i) = zk_snaps.iter().rev().find_map(|f| irregular(&f.path)) {
        r.outcome = Outcome::Fail(irregular_failure(i));
        r.sentence = sentence(&r);
        return r;
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
        if let Some(i) = irregular(&f.path) {
            fail = Some(irregular_failure(i));
            break;
        }
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
        if let (ZkEnd::Skip, Some((n, first, last))) = (&s.zk_end, s.lost)
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

/// Why ZooKeeper's restore fails on an entry that is not a regular file.
pub(super) fn irregular_failure(i: &Irregular) -> String {
    let name = name_of(&i.path);
    if i.what == "a FIFO" {
        format!("{name} is a FIFO: ZooKeeper's restore hangs opening it")
    } else {
        format!("{name} is {}: ZooKeeper's restore fails reading it", i.what)
    }
}

/// The one-sentence prediction, quorum peer and standalone server told
/// apart where the epoch files make them differ.
pub(super) fn sentence(r: &Recovery) -> String {
    let standalone = standalone_sentence(r);
    match (&r.quorum_failure, &r.outcome) {
        (Some(why), Outcome::Start(_)) if r.quorum_peer => format!(
            "ZooKeeper 3.x would refuse to start this quorum peer: {why} (as a standalone server it {})",
            standalone.trim_start_matches("ZooKeeper 3.x ")
        ),
        (Some(why), Outcome::Start(_)) => {
            format!("{standalone} (standalone; a quorum peer would refuse to start: {why})")
        }
        _ => standalone,
    }
}

fn standalone_sentence(r: &Recovery) -> String {
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
            if r.logs_missing && r.dropped_txns == 0 {
                format!(
                    "ZooKeeper 3.x would start at zxid {z} from {from}, but the txns logged after it are in no log here (a separate dataLogDir, or lost)"
                )
            } else if r.dropped_txns > 0 {
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
