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
    Action, Inventory, InventoryFile, Location, MIN_RETAIN, PlanKind, PlannedFile, PurgeOptions,
    PurgePlan, Reason, Verdict,
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
    if plan.refusal.is_some() {
        plan.files = keep_everything(&sorted);
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
) -> Option<String> {
    let misplaced = &sorted.misplaced;
    if !misplaced.is_empty() {
        let logs_in_snap = misplaced.iter().any(|f| f.location == Location::SnapDir);
        let snaps_in_log = misplaced.iter().any(|f| f.location == Location::LogDir);
        let names: Vec<&str> = misplaced.iter().map(|f| f.name.as_str()).collect();
        Some(if logs_in_snap && snaps_in_log {
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
        })
    } else if sorted.snaps.is_empty() && sorted.logs.is_empty() {
        Some(format!(
            "{}: no snapshot.* or log.* files: not a ZooKeeper data directory, or an empty one",
            inv.snap_dir.display()
        ))
    } else if valid < retain {
        Some(format!(
            "only {valid} valid snapshot{} in {} (--retain {retain}){}: nothing can be purged safely",
            if valid == 1 { "" } else { "s" },
            inv.snap_dir.display(),
            if corrupt.is_empty() {
                String::new()
            } else {
                format!(
                    "; corrupt: {}",
                    corrupt
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        ))
    } else {
        None
    }
}

/// A refused plan: every file kept, snapshots, logs, the rest and the
/// server logs (in inventory order).
fn keep_everything(sorted: &Sorted<'_>) -> Vec<PlannedFile> {
    let mut files = Vec::new();
    for (f, z) in &sorted.snaps {
        files.push(planned(
            f,
            PlanKind::Snapshot,
            Some(*z),
            Action::Keep,
            Reason::Refused,
        ));
    }
    for (f, z) in &sorted.logs {
        files.push(planned(
            f,
            PlanKind::Log,
            Some(*z),
            Action::Keep,
            Reason::Refused,
        ));
    }
    for f in sorted.rest.iter().chain(sorted.server_logs.iter()) {
        let (kind, _) = other_kind(&f.name, f.location);
        files.push(planned(f, kind, None, Action::Keep, Reason::Refused));
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
fn warnings(inv: &Inventory, sorted: &Sorted<'_>, corrupt: &[(String, String)]) -> Vec<String> {
    let mut warnings = Vec::new();
    if sorted.logs.is_empty() {
        warnings.push(format!(
            "no txn logs in {}; if dataLogDir is separate, pass --log-dir or --config (no log is deleted either way)",
            inv.log_dir.display()
        ));
    }
    for (name, problem) in corrupt {
        warnings.push(format!(
            "{name}: corrupt snapshot, not counted toward --retain: {problem}"
        ));
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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

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
}
