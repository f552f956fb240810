//! The purge rules: from an inventory and the options to a plan saying,
//! for every file, keep or delete and why. No file system access.
//!
//! [`plan()`] runs these steps, in this order:
//! 1. `sort_files`: snapshots and logs (newest first), the rest of
//!    `version-2/` (by name), server logs, and the misplaced;
//! 2. `count_snapshots`: the `retain` newest valid snapshots, and the corrupt;
//! 3. `refusal`: whether nothing may be deleted at all (then every file is
//!    kept and planning stops);
//! 4. the rule for each file: `plan_snapshots`, `plan_logs`, `plan_others`,
//!    `plan_server_logs`;
//! 5. the protections, which turn deletions back into keeps:
//!    `protect_newest_log`, then `protect_young`;
//! 6. `warnings`.

use std::time::SystemTime;

use crate::files::datadir::{FileKind, classify};
use crate::zxid::Zxid;

use super::{
    Action, Inventory, InventoryFile, Location, MIN_RETAIN, PlanKind, PlanWarning, PlannedFile,
    PurgeOptions, PurgePlan, Reason, Refusal, Verdict,
};

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

    let sorted = sort_files(inv);
    let counted = count_snapshots(&sorted.snaps, retain);
    plan.corrupt = counted.corrupt;

    plan.refusal = refusal(inv, &sorted, counted.valid, retain, &plan.corrupt);
    if let Some(r) = &plan.refusal {
        let reason = match r {
            Refusal::TooFewValid { valid, retain, .. } => Reason::NothingToPurge {
                valid: *valid,
                retain: *retain,
            },
            _ => Reason::Refused,
        };
        plan.files = keep_everything(&sorted, &reason);
        if !r.is_trouble() {
            plan.warnings = warnings(inv, &sorted, &plan.corrupt);
        }
        return plan;
    }

    let Some(&(oldest, oldest_zxid)) = counted.kept.last() else {
        // valid >= retain >= 1, so there is one; keep everything if not.
        return plan;
    };
    plan.oldest_kept = Some(oldest.name.clone());

    plan_snapshots(
        &mut plan.files,
        &sorted.snaps,
        &counted.kept,
        retain,
        oldest_zxid,
        &oldest.name,
        opts.remove_corrupt,
    );
    plan_logs(&mut plan.files, &sorted.logs, oldest_zxid, &oldest.name);
    plan_others(&mut plan.files, &sorted.rest, opts.remove_leftovers);
    plan_server_logs(&mut plan.files, &sorted.server_logs, opts.keep_server_logs);

    protect_newest_log(&mut plan.files, &sorted.logs);
    protect_young(&mut plan.files, opts.min_age.as_secs(), now);

    plan.warnings = warnings(inv, &sorted, &plan.corrupt);
    plan
}

/// The inventory's files by what they are, each list in plan order.
struct Sorted<'a> {
    /// `snapshot.<hex>[.gz|.snappy]`, newest first.
    snaps: Vec<(&'a InventoryFile, Zxid)>,
    /// `log.<hex>`, newest first.
    logs: Vec<(&'a InventoryFile, Zxid)>,
    /// Everything else in the data dirs, by name.
    rest: Vec<&'a InventoryFile>,
    /// From the server-log dir, in inventory order.
    server_logs: Vec<&'a InventoryFile>,
    /// Snapshots found in the log dir and logs found in the snapshot dir.
    misplaced: Vec<&'a InventoryFile>,
}

/// Step 1: sorts the files by their (strictly matched) names.
fn sort_files(inv: &Inventory) -> Sorted<'_> {
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
    Sorted {
        snaps,
        logs,
        rest,
        server_logs,
        misplaced,
    }
}

/// Which snapshots count toward `retain`.
struct Counted<'a> {
    /// The `retain` newest valid snapshots, newest first.
    kept: Vec<(&'a InventoryFile, Zxid)>,
    /// How many valid snapshots there are in all.
    valid: usize,
    /// Snapshots that failed verification (or were not verified), newest
    /// first, with the problem.
    corrupt: Vec<(String, String)>,
}

/// Step 2: only snapshots that passed full verification count.
fn count_snapshots<'a>(snaps: &[(&'a InventoryFile, Zxid)], retain: usize) -> Counted<'a> {
    let mut kept: Vec<(&InventoryFile, Zxid)> = Vec::new();
    let mut corrupt = Vec::new();
    for (f, z) in snaps {
        match &f.verdict {
            Some(Verdict::Valid) => {
                if kept.len() < retain {
                    kept.push((f, *z));
                }
            }
            Some(Verdict::Corrupt(p)) => corrupt.push((f.name.clone(), p.clone())),
            None => corrupt.push((f.name.clone(), "not verified".to_string())),
        }
    }
    let valid = snaps
        .iter()
        .filter(|(f, _)| f.verdict == Some(Verdict::Valid))
        .count();
    Counted {
        kept,
        valid,
        corrupt,
    }
}

/// Step 3: why nothing may be deleted, if so: files in the wrong directory
/// (dataDir and dataLogDir swapped or mixed up), no ZooKeeper files at all,
/// or fewer valid snapshots than `retain`. Checked in that order.
fn refusal(
    inv: &Inventory,
    sorted: &Sorted<'_>,
    valid: usize,
    retain: usize,
    corrupt: &[(String, String)],
) -> Option<Refusal> {
    let misplaced = &sorted.misplaced;
    if !misplaced.is_empty() {
        let logs_in_snap = misplaced.iter().any(|f| f.location == Location::SnapDir);
        let snaps_in_log = misplaced.iter().any(|f| f.location == Location::LogDir);
        let snap_dir = inv.snap_dir.clone();
        let log_dir = inv.log_dir.clone();
        let files = misplaced.iter().map(|f| f.name.clone()).collect();
        Some(if logs_in_snap && snaps_in_log {
            Refusal::Swapped {
                snap_dir,
                log_dir,
                files,
            }
        } else if logs_in_snap {
            Refusal::LogsInSnapDir {
                snap_dir,
                log_dir,
                files,
            }
        } else {
            Refusal::SnapshotsInLogDir {
                snap_dir,
                log_dir,
                files,
            }
        })
    } else if sorted.snaps.is_empty() && sorted.logs.is_empty() {
        Some(Refusal::NoZooKeeperFiles {
            snap_dir: inv.snap_dir.clone(),
        })
    } else if valid < retain {
        Some(Refusal::TooFewValid {
            valid,
            retain,
            snap_dir: inv.snap_dir.clone(),
            corrupt: corrupt.iter().map(|(n, _)| n.clone()).collect(),
        })
    } else {
        None
    }
}

/// A refused plan: every file kept, for `reason`; snapshots, logs, the
/// rest and the server logs (in inventory order).
fn keep_everything(sorted: &Sorted<'_>, reason: &Reason) -> Vec<PlannedFile> {
    let mut files = Vec::new();
    for (f, z) in &sorted.snaps {
        files.push(planned(
            f,
            PlanKind::Snapshot,
            Some(*z),
            Action::Keep,
            reason.clone(),
        ));
    }
    for (f, z) in &sorted.logs {
        files.push(planned(
            f,
            PlanKind::Log,
            Some(*z),
            Action::Keep,
            reason.clone(),
        ));
    }
    for f in sorted.rest.iter().chain(sorted.server_logs.iter()) {
        let (kind, _) = other_kind(&f.name, f.location);
        files.push(planned(f, kind, None, Action::Keep, reason.clone()));
    }
    files
}

/// Step 4a: the `retain` newest valid snapshots are kept, older valid ones
/// deleted; corrupt ones are kept unless `remove_corrupt`.
fn plan_snapshots(
    files: &mut Vec<PlannedFile>,
    snaps: &[(&InventoryFile, Zxid)],
    kept: &[(&InventoryFile, Zxid)],
    retain: usize,
    oldest_zxid: Zxid,
    oldest_name: &str,
    remove_corrupt: bool,
) {
    for (f, z) in snaps {
        let (action, reason) =
            if let Some(rank) = kept.iter().position(|(k, _)| std::ptr::eq(*k, *f)) {
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
                            snapshot: oldest_name.to_string(),
                        },
                    )
                } else {
                    // Same zxid as the oldest kept (another container of it) or
                    // newer but beyond `retain` cannot happen for valid ones
                    // except for equal zxids; keep them.
                    (
                        Action::Keep,
                        Reason::NewerThanOldestKept {
                            snapshot: oldest_name.to_string(),
                        },
                    )
                }
            } else {
                let problem = match &f.verdict {
                    Some(Verdict::Corrupt(p)) => p.clone(),
                    _ => "not verified".to_string(),
                };
                let removing = remove_corrupt;
                (
                    if removing {
                        Action::Delete
                    } else {
                        Action::Keep
                    },
                    Reason::Corrupt { problem, removing },
                )
            };
        files.push(planned(f, PlanKind::Snapshot, Some(*z), action, reason));
    }
}

/// Step 4b: `FileTxnLog.getLogFiles(logs, oldest_zxid)`: the newest log at
/// or before the oldest kept snapshot and every later one are kept, older
/// ones deleted.
fn plan_logs(
    files: &mut Vec<PlannedFile>,
    logs: &[(&InventoryFile, Zxid)],
    oldest_zxid: Zxid,
    oldest_name: &str,
) {
    let first_needed = logs
        .iter()
        .find(|(_, z)| *z <= oldest_zxid)
        .map(|(f, z)| (f.name.clone(), *z));
    for (f, z) in logs {
        let needed = match &first_needed {
            Some((_, fz)) => *z >= *fz,
            None => true,
        };
        let (action, reason) = if needed {
            (
                Action::Keep,
                Reason::NeededForReplay {
                    snapshot: oldest_name.to_string(),
                },
            )
        } else {
            (
                Action::Delete,
                Reason::LogBeforeNeeded {
                    snapshot: oldest_name.to_string(),
                    first_needed: first_needed.as_ref().map(|(n, _)| n.clone()),
                },
            )
        };
        files.push(planned(f, PlanKind::Log, Some(*z), action, reason));
    }
}

/// Step 4c: everything else in `version-2/` is kept, except ZooKeeper tool
/// leftovers when `remove_leftovers`.
fn plan_others(files: &mut Vec<PlannedFile>, rest: &[&InventoryFile], remove_leftovers: bool) {
    for f in rest {
        let (kind, reason) = other_kind(&f.name, f.location);
        let reason = match reason {
            Reason::Leftover {
                what, removable, ..
            } => Reason::Leftover {
                what,
                removable,
                removing: removable && remove_leftovers,
            },
            r => r,
        };
        let action = match reason {
            Reason::Leftover { removing: true, .. } => Action::Delete,
            _ => Action::Keep,
        };
        files.push(planned(f, kind, None, action, reason));
    }
}

/// Step 4d: rotated server logs, by mtime since rotation names vary
/// (`.log.1`, `.log.2026-11-23`): the `keep` newest are kept; the current
/// `.log` is never touched.
fn plan_server_logs(files: &mut Vec<PlannedFile>, server_logs: &[&InventoryFile], keep: usize) {
    let (current, mut rotated): (Vec<&InventoryFile>, Vec<&InventoryFile>) =
        server_logs.iter().partition(|f| f.name.ends_with(".log"));
    rotated.sort_by(|a, b| b.mtime.cmp(&a.mtime).then_with(|| a.name.cmp(&b.name)));
    for f in current {
        files.push(planned(
            f,
            PlanKind::ServerLog,
            None,
            Action::Keep,
            Reason::ServerLogCurrent,
        ));
    }
    for (i, f) in rotated.iter().enumerate() {
        let (action, reason) = if i < keep {
            (
                Action::Keep,
                Reason::ServerLogKept {
                    rank: i + 1,
                    of: keep,
                },
            )
        } else {
            (Action::Delete, Reason::ServerLogOld { of: keep })
        };
        files.push(planned(f, PlanKind::ServerLog, None, action, reason));
    }
}

/// Step 5a: the newest log is never deleted (the server may be appending
/// to it); the rule that would have deleted it is kept as `overridden`.
fn protect_newest_log(files: &mut [PlannedFile], logs: &[(&InventoryFile, Zxid)]) {
    let Some((newest, _)) = logs.first() else {
        return;
    };
    for p in files.iter_mut().filter(|p| p.kind == PlanKind::Log) {
        if p.name == newest.name && p.action == Action::Delete {
            p.overridden = Some(std::mem::replace(&mut p.reason, Reason::NewestLog));
            p.action = Action::Keep;
        }
    }
}

/// Step 5b: young files are never deleted, whatever the rule said: those
/// modified less than `min_age` seconds before `now` or in the future, and
/// (unless `min_age` is 0) those of unknown mtime.
fn protect_young(files: &mut [PlannedFile], min_age: u64, now: SystemTime) {
    for p in files {
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
}

/// Step 6: what the operator should hear about a plan that goes ahead: no
/// logs found, then each corrupt snapshot.
fn warnings(
    inv: &Inventory,
    sorted: &Sorted<'_>,
    corrupt: &[(String, String)],
) -> Vec<PlanWarning> {
    let mut warnings = Vec::new();
    if sorted.logs.is_empty() {
        warnings.push(PlanWarning::NoLogs {
            log_dir: inv.log_dir.clone(),
        });
    }
    for (name, problem) in corrupt {
        warnings.push(PlanWarning::CorruptSnapshot {
            name: name.clone(),
            problem: problem.clone(),
        });
    }
    warnings
}

/// One file's entry in the plan.
fn planned(
    f: &InventoryFile,
    kind: PlanKind,
    zxid: Option<Zxid>,
    action: Action,
    reason: Reason,
) -> PlannedFile {
    PlannedFile {
        path: f.path.clone(),
        name: f.name.clone(),
        kind,
        zxid,
        bytes: f.len,
        mtime: f.mtime,
        action,
        reason,
        overridden: None,
    }
}

/// What a file that is neither a snapshot nor a log is, and why it stays.
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

/// What made a leftover, and whether `remove_leftovers` may delete it.
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

/// Seconds from `mtime` to `now` (negative, at least 1, for a future mtime), when known.
fn age_secs(now: SystemTime, mtime: Option<SystemTime>) -> Option<i64> {
    let m = mtime?;
    Some(match now.duration_since(m) {
        Ok(d) => d.as_secs().min(i64::MAX as u64) as i64,
        Err(e) => -(e.duration().as_secs().max(1).min(i64::MAX as u64) as i64),
    })
}
