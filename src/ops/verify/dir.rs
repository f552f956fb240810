//! Checking a whole data dir: every file at once, then the files against
//! each other (order, gaps, overlaps, leftovers, epochs), the digests, and
//! the prediction of ZooKeeper's restore; and single files on their own.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::log::{LogScan, ZkEnd};
use super::predict::predict;
use super::snapshot::SnapScan;
use super::{
    FileEnd, FileFacts, Finding, Options, Outcome, Progress, Recovery, Report, Scan, ScanJob,
    Severity, finding, name_of, scan_files,
};
use crate::files::datadir::{DataDir, FileKind, ZkFile, zookeeper_files, zookeeper_name_zxid};
use crate::files::sniff::DataFile;
use crate::format::header::FILE_HEADER_LEN;
use crate::format::verdict::EndClass;
use crate::zxid::Zxid;

/// Where a dir ZooKeeper cannot start from is pointed.
const RECOVER: &str = "zkdd recover DATADIR --output NEWDIR writes a data dir ZooKeeper starts from, with the newest state these files honestly hold (README: Recovering a crashed server)";

/// Total bytes verify will read in a data dir (for a progress bar).
pub fn dir_size(dir: &DataDir) -> u64 {
    dir.logs.iter().map(|l| l.len).sum::<u64>() + dir.snapshots.iter().map(|s| s.len).sum::<u64>()
}

/// Verifies a whole data dir and predicts ZooKeeper's restore.
pub fn verify_dir(dir: &DataDir, opts: &Options, progress: Progress<'_>) -> Report {
    if !opts.digests || dir.snapshots.is_empty() {
        return verify_dir_with(dir, opts, progress, None);
    }
    std::thread::scope(|scope| {
        // The digest check replays from the snapshot ZooKeeper would load.
        // Start that replay now, beside the file checks, from the snapshot the
        // replay engine picks itself: the checks nearly always confirm it, and
        // when they do not, the replay is redone from theirs.
        let early = scope.spawn(|| {
            crate::tree::replay::replay(
                dir,
                &digest_replay_options(opts, crate::tree::replay::Start::Auto),
                &mut |_, _| {},
            )
            .ok()
        });
        verify_dir_with(
            dir,
            opts,
            progress,
            Some(Box::new(move || early.join().ok().flatten())),
        )
    })
}

/// A replay started early; calling it waits for the result.
type EarlyReplay<'s> = Box<dyn FnOnce() -> Option<crate::tree::replay::Replay> + 's>;

fn digest_replay_options(
    opts: &Options,
    start: crate::tree::replay::Start,
) -> crate::tree::replay::Options {
    crate::tree::replay::Options {
        start,
        target: crate::tree::replay::Target::End,
        strictness: crate::tree::replay::Strictness::TolerateTail,
        no_mmap: opts.no_mmap,
        limits: opts.limits,
        zk_version: None,
    }
}

fn verify_dir_with(
    dir: &DataDir,
    opts: &Options,
    progress: Progress<'_>,
    early: Option<EarlyReplay<'_>>,
) -> Report {
    let mut report = Report::default();
    let zk_logs = zookeeper_files(&dir.log_dir, "log");
    let zk_snaps = zookeeper_files(&dir.snap_dir, "snapshot");

    // Every log ZooKeeper could read, plus the strictly named ones; every
    // snapshot likewise. All checked at once on the available cores.
    let mut jobs = Vec::new();
    // Entries that are not regular files are not read (a FIFO would hang
    // the check): their findings come from the listing.
    let mut seen: HashSet<PathBuf> = dir.irregular.iter().map(|i| i.path.clone()).collect();
    for f in &zk_logs {
        if seen.insert(f.path.clone()) {
            jobs.push(ScanJob::Log(&f.path, f.zxid));
        }
    }
    for l in &dir.logs {
        if seen.insert(l.path.clone()) {
            jobs.push(ScanJob::Log(&l.path, l.zxid));
        }
    }
    let mut snap_paths = Vec::new();
    for p in zk_snaps
        .iter()
        .map(|f| &f.path)
        .chain(dir.snapshots.iter().map(|s| &s.path))
    {
        if seen.insert(p.clone()) {
            jobs.push(ScanJob::Snapshot(p));
            snap_paths.push(p.clone());
        }
    }
    let mut log_scans: Vec<LogScan> = Vec::new();
    let mut snap_scans: HashMap<PathBuf, SnapScan> = HashMap::new();
    let mut snap_paths = snap_paths.into_iter();
    for scan in scan_files(jobs, opts, progress) {
        match scan {
            Scan::Log(l) => log_scans.push(l),
            Scan::Snapshot(sn) => {
                if let Some(p) = snap_paths.next() {
                    snap_scans.insert(p, sn);
                }
            }
        }
    }
    report.files = log_scans.len() + snap_scans.len();
    report.bytes = dir_size(dir);

    // The strictly named logs, in zxid order: the real history.
    let strict: HashSet<PathBuf> = dir.logs.iter().map(|l| l.path.clone()).collect();
    let newest_log = dir.logs.last().map(|l| l.path.clone());
    let snapshot_zxids: Vec<Zxid> = dir
        .snapshots
        .iter()
        .filter(|s| snap_scans.get(&s.path).is_some_and(|x| x.zk_loads.is_ok()))
        .map(|s| s.zxid)
        .collect();

    let mut recovery = predict(dir, &zk_logs, &zk_snaps, &log_scans, &snap_scans);
    let writers = super::writers::writers(dir, &log_scans, &snap_scans);
    recovery.by_version = super::writers::version_outcomes(
        &writers,
        &recovery,
        dir,
        &zk_logs,
        &zk_snaps,
        &log_scans,
        &snap_scans,
    );
    report.writers = Some(writers);

    // Between consecutive strict logs: continuity and overlap.
    let mut cross = Vec::new();
    let history: Vec<&LogScan> = log_scans
        .iter()
        .filter(|s| strict.contains(&s.path) && s.first.is_some())
        .collect();
    let chain: HashSet<&PathBuf> = recovery.logs.iter().collect();
    for w in history.windows(2) {
        let [a, b] = w else { continue };
        let (Some(a_last), Some(b_first)) = (a.max, b.first) else {
            continue;
        };
        if b_first <= a_last {
            cross.push(finding(
                Severity::Error,
                "log_overlap",
                &b.path,
                Some(FILE_HEADER_LEN as u64),
                Some(b_first),
                format!(
                    "starts at {b_first}, but {} already goes up to {a_last}",
                    name_of(&a.path)
                ),
                Some("ZooKeeper would apply the overlapping txns twice, out of order"),
            ));
        } else if let Some((first_missing, missing)) = gap_between(a_last, b_first) {
            let new_epoch = b_first.epoch() != a_last.epoch();
            let in_chain = chain.contains(&b.path) && chain.contains(&a.path);
            let gap_end = Zxid(b_first.0 - 1);
            let covered = snapshot_zxids.iter().any(|&z| z >= gap_end);
            // A follower synced from its leader by SNAP gets a snapshot for
            // the txns of the new epoch it never logged.
            let snap_sync = if new_epoch {
                " (a follower synced by SNAP has this gap legitimately, with a snapshot covering it)"
            } else {
                ""
            };
            let (sev, meaning) = if in_chain && recovery_needs(&recovery, gap_end) {
                (
                    Severity::Error,
                    format!(
                        "ZooKeeper would replay across the gap without noticing: these txns are lost and the tree is inconsistent{snap_sync}"
                    ),
                )
            } else if covered {
                (
                    Severity::Warning,
                    format!(
                        "a newer snapshot covers the gap, so startup is not affected; replaying to a point inside or before it is impossible{snap_sync}"
                    ),
                )
            } else {
                (
                    Severity::Error,
                    format!("these txns are lost; no snapshot covers them{snap_sync}"),
                )
            };
            cross.push(finding(
                sev,
                "log_zxid_gap",
                &b.path,
                Some(FILE_HEADER_LEN as u64),
                Some(b_first),
                format!(
                    "{missing} txns ({first_missing}..{}) are missing between {} and {}{}",
                    Zxid(b_first.0 - 1),
                    name_of(&a.path),
                    name_of(&b.path),
                    if new_epoch {
                        format!(", where epoch {} begins", b_first.epoch())
                    } else {
                        String::new()
                    }
                ),
                Some(&meaning),
            ));
        }
    }

    // Per-file findings, with severities adjusted to where the file sits.
    for s in &mut log_scans {
        let is_newest = newest_log.as_ref() == Some(&s.path);
        for f in &mut s.findings {
            if (f.code == "log_torn_tail" || f.code == "log_partial_record") && !is_newest {
                let _ = write!(
                    f.message,
                    "; this is not the newest log, so the server was restarted after the crash"
                );
            }
        }
        if let Some((n, first, last)) = s.after {
            let stop = s.stop_offset.unwrap_or(0);
            s.findings.push(finding(
                Severity::Error,
                "txns_skipped",
                &s.path,
                Some(stop),
                Some(first),
                format!("{n} valid txns ({first}..{last}) follow the damaged entry at {stop:#x}"),
                Some(match s.zk_end {
                    ZkEnd::Fatal(_) => {
                        "ZooKeeper fails before reaching them; a tolerant replay can still use them"
                    }
                    _ => "ZooKeeper's restore silently skips them",
                }),
            ));
        }
    }
    for s in &log_scans {
        report.findings.extend(s.findings.iter().cloned());
    }
    report.findings.extend(cross);

    let mut snaps_sorted: Vec<(&PathBuf, &SnapScan)> = snap_scans.iter().collect();
    snaps_sorted.sort_by(|a, b| a.0.cmp(b.0));
    for (path, s) in snaps_sorted {
        for f in &s.findings {
            // One note for the snapshot that matters, not one per file.
            if f.code == "snapshot_no_digest" && recovery.snapshot.as_ref() != Some(path) {
                continue;
            }
            let mut f = f.clone();
            if f.code == "snapshot_not_candidate" && s.findings.len() > 1 {
                f.severity = Severity::Note;
            }
            report.findings.push(f);
        }
        if let Err(why) = &s.zk_loads
            && recovery.rejected_snapshots.iter().any(|(p, _)| p == path)
            && s.candidate
        {
            report.findings.push(finding(
                Severity::Note,
                "snapshot_skipped",
                path,
                None,
                None,
                format!("ZooKeeper would try this snapshot and reject it: {why}"),
                None,
            ));
        }
    }

    other_files(dir, &mut report, &recovery, &zk_logs, &zk_snaps);
    if zk_logs.is_empty() {
        logs_missing(dir, &mut report, &mut recovery, &snap_scans);
    }
    epochs(dir, &mut report, &mut recovery);
    if opts.digests && recovery.snapshot.is_some() {
        digest_check(dir, opts, &recovery, &mut report, early);
    }

    // Dropped txns and failure, as findings.
    match &recovery.outcome {
        Outcome::Fail(why) => report.findings.push(finding(
            Severity::Error,
            "zookeeper_would_fail",
            &dir.snap_dir,
            None,
            None,
            format!("ZooKeeper's restore would fail: {why}"),
            Some(RECOVER),
        )),
        Outcome::Start(_) if recovery.dropped_txns > 0 => report.findings.push(finding(
            Severity::Error,
            "txns_lost",
            &dir.snap_dir,
            None,
            recovery.recoverable_zxid.map(|z| Zxid(z.0 + 1)),
            format!(
                "ZooKeeper would start but silently lose {} txns ({})",
                recovery.dropped_txns,
                recovery.first_drop.as_deref().unwrap_or("see above")
            ),
            Some("the restored tree would not match what clients were told; zkdd recover stops at the last txn before the loss instead, and lists what is lost"),
        )),
        Outcome::Start(_) => {}
    }
    report.facts = facts(&log_scans, &snap_scans);
    report.recovery = Some(recovery);
    report
}

/// What was read in each file and how it ends.
fn facts(logs: &[LogScan], snaps: &HashMap<PathBuf, SnapScan>) -> Vec<FileFacts> {
    // The first error of a file, as verify lists it.
    let first_error = |findings: &[Finding], skip: &str| {
        let errors = || findings.iter().filter(|f| f.severity == Severity::Error);
        errors()
            .find(|f| f.code != skip)
            .or_else(|| errors().next())
            .map(|f| FileEnd::Damaged {
                code: f.code,
                offset: f.offset,
            })
    };
    let mut out: Vec<FileFacts> = logs
        .iter()
        .map(|s| FileFacts {
            path: s.path.clone(),
            log: true,
            count: s.count,
            zxids: s.first.zip(s.last),
            end: match s.end.map(|e| (e.class, e.padding, e.coded)) {
                Some((EndClass::Clean, false, _)) => FileEnd::Clean,
                Some((EndClass::Clean, true, _)) => FileEnd::Padding,
                Some((EndClass::CrashTail, _, Some((code, offset)))) => {
                    FileEnd::CrashTail { code, offset }
                }
                Some((EndClass::Damage, _, Some((code, offset)))) => FileEnd::Damaged {
                    code,
                    offset: Some(offset),
                },
                _ => first_error(&s.findings, "").unwrap_or(FileEnd::Clean),
            },
        })
        .collect();
    let mut sorted: Vec<(&PathBuf, &SnapScan)> = snaps.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    for (path, s) in sorted {
        out.push(FileFacts {
            path: path.clone(),
            log: false,
            count: s.nodes,
            zxids: None,
            // Failing ZooKeeper's cheap validity filter is what damage
            // leads to; the damage itself is the finding to name.
            end: first_error(&s.findings, "snapshot_not_candidate").unwrap_or(FileEnd::Clean),
        });
    }
    out
}

/// Replays the snapshot ZooKeeper would load plus its logs with the tree
/// engine and compares the tree digest with every recorded one, by
/// ZooKeeper's rules (FORMAT.md §5.4): per-txn checks wait until a fuzzy
/// snapshot's digest zxid is reached.
fn digest_check(
    dir: &DataDir,
    opts: &Options,
    recovery: &Recovery,
    report: &mut Report,
    early: Option<EarlyReplay<'_>>,
) {
    let early = early
        .and_then(|wait| wait())
        .filter(|r| r.snapshot.as_ref().map(|s| &s.path) == recovery.snapshot.as_ref());
    let r = match early {
        Some(r) => r,
        None => {
            let start = recovery.snapshot.clone().map_or(
                crate::tree::replay::Start::Auto,
                crate::tree::replay::Start::Snapshot,
            );
            let Ok(r) = crate::tree::replay::replay(
                dir,
                &digest_replay_options(opts, start),
                &mut |_, _| {},
            ) else {
                return; // The file-level findings already say why.
            };
            r
        }
    };
    let d = &r.digests;
    let file_of = |z: Zxid| {
        r.logs
            .iter()
            .find(|l| l.zxids.is_some_and(|(a, b)| a <= z && z <= b))
            .map(|l| l.path.clone())
            .unwrap_or_else(|| dir.log_dir.clone())
    };
    if let Some((z, stored, computed)) = d.snapshot
        && stored != computed
    {
        let snap = recovery.snapshot.clone().unwrap_or_default();
        // A known race stamps some fuzzy snapshots with a digest zxid whose
        // tree already holds later txns; the later per-txn checks decide.
        let fuzzy_race = d.failed == 0 && d.passed > 0;
        report.findings.push(finding(
            if fuzzy_race { Severity::Warning } else { Severity::Error },
            "digest_mismatch",
            &snap,
            None,
            Some(z),
            format!("snapshot digest at zxid {z} is {stored}, the tree loaded from it gives {computed}"),
            Some(if fuzzy_race {
                "every later txn digest matches, so this is ZooKeeper's fuzzy-snapshot race, not corruption (ZooKeeper logs \"Digests are not matching\" once and runs on)"
            } else {
                "the snapshot's tree is not the one ZooKeeper recorded"
            }),
        ));
    }
    if let Some(z) = d.first_mismatch {
        report.findings.push(finding(
            Severity::Error,
            "digest_mismatch",
            &file_of(z),
            None,
            Some(z),
            format!(
                "tree digest after txn {z} differs from the recorded TxnDigest ({} of {} compared txns differ)",
                d.failed,
                d.failed + d.passed
            ),
            Some("the replayed tree diverges from what the server had: a lost, extra or altered txn before this point (ZooKeeper only logs \"Digests are not matching\" and runs on)"),
        ));
    }
    if let Some(z) = d.snapshot_pending {
        report.findings.push(finding(
            Severity::Warning,
            "digest_unverified",
            &recovery.snapshot.clone().unwrap_or_default(),
            None,
            Some(z),
            format!(
                "the logs end before the snapshot's digest zxid {z}, so no digest could be compared"
            ),
            Some("ZooKeeper warns \"Highest txn zxid is not covering the snapshot digest zxid\""),
        ));
    }
    report.digests = Some(d.passed);
}

/// A data dir with snapshots of txns but no log at all: the logs live in a
/// dataLogDir not given, or they are gone (and with them every txn after
/// the snapshot). A digest taken after the snapshot's name proves txns
/// were logged after it.
fn logs_missing(
    dir: &DataDir,
    report: &mut Report,
    r: &mut Recovery,
    snaps: &HashMap<PathBuf, SnapScan>,
) {
    let Some(newest) = dir.snapshots.iter().map(|s| s.zxid).max() else {
        return;
    };
    if newest.0 <= 0 {
        return; // only the empty tree: a new server may have no log yet
    }
    let proven = r
        .snapshot
        .as_ref()
        .and_then(|p| snaps.get(p))
        .and_then(|s| s.digest.as_ref())
        .map(|d| d.zxid)
        .filter(|d| r.snapshot_zxid.is_some_and(|z| *d > z));
    let mut message = format!(
        "no txn log in {}, though the snapshots hold txns up to {newest}",
        dir.log_dir.display()
    );
    if let Some(d) = proven {
        message.push_str(&format!(
            ", and the loaded snapshot's digest was taken at {d}: txns after it were logged"
        ));
    }
    if proven.is_some() {
        r.logs_missing = true;
        r.sentence = super::predict::sentence(r);
    }
    report.findings.push(finding(
        if proven.is_some() {
            Severity::Error
        } else {
            Severity::Warning
        },
        "logs_missing",
        &dir.log_dir,
        None,
        proven.or(Some(newest)),
        message,
        Some("the logs live in a separate dataLogDir (point zkdd at it), or they are gone and ZooKeeper would start from the snapshot, losing every txn after it"),
    ));
}

/// The txns missing between the last zxid of one log and the first of the
/// next: (first missing, count). Inside an epoch, every zxid in between; at
/// a new epoch, its txns before `next` (an epoch's txns start at counter 1).
fn gap_between(last: Zxid, next: Zxid) -> Option<(Zxid, u64)> {
    if next.epoch() == last.epoch() {
        (next.0 > last.0 + 1).then(|| (Zxid(last.0 + 1), (next.0 - last.0 - 1) as u64))
    } else if next.epoch() > last.epoch() && next.counter() > 1 {
        Some((Zxid::new(next.epoch(), 1), u64::from(next.counter() - 1)))
    } else {
        None
    }
}

/// True when ZooKeeper's replay needs the zxid (its snapshot is older).
fn recovery_needs(r: &Recovery, z: Zxid) -> bool {
    r.snapshot_zxid.is_none_or(|s| z > s)
}

fn other_files(
    dir: &DataDir,
    report: &mut Report,
    r: &Recovery,
    zk_logs: &[ZkFile],
    zk_snaps: &[ZkFile],
) {
    for i in dir.irregular.iter().filter(|i| {
        // Epoch files get epoch_unreadable.
        !matches!(i.kind, FileKind::AcceptedEpoch | FileKind::CurrentEpoch)
    }) {
        // Every snapshot-named entry is opened while ZooKeeper looks for a
        // valid snapshot; logs when restore replays them: sooner or later
        // ZooKeeper trips over it, so it is an error either way.
        let opened = matches!(i.kind, FileKind::Snapshot(..)) || r.logs.contains(&i.path);
        report.findings.push(finding(
            Severity::Error,
            "irregular_file",
            &i.path,
            None,
            None,
            format!("{} is {}, not a regular file", name_of(&i.path), i.what),
            Some(&if opened {
                super::predict::irregular_failure(i)
            } else {
                format!(
                    "ZooKeeper does not open it at this start, but {} once it does; move it out of version-2",
                    if i.what == "a FIFO" { "hangs" } else { "fails" }
                )
            }),
        ));
    }
    for p in &dir.misplaced {
        report.findings.push(finding(
            Severity::Error,
            "misplaced_file",
            p,
            None,
            None,
            if dir.snap_dir.as_path() == p.parent().unwrap_or(Path::new("")) {
                "a txn log in dataDir, which is separate from dataLogDir".into()
            } else {
                "a snapshot in dataLogDir, which is separate from dataDir".into()
            },
            Some("ZooKeeper 3.6+ refuses to start when dataDir and dataLogDir are mixed up"),
        ));
    }
    for o in &dir.others {
        let name = name_of(&o.path);
        match &o.kind {
            FileKind::Leftover { what } => {
                let as_log = zk_logs.iter().find(|f| f.path == o.path);
                let as_snap = zk_snaps.iter().find(|f| f.path == o.path);
                let (sev, meaning) = if let Some(f) = as_log {
                    if r.logs.contains(&o.path) {
                        (
                            Severity::Error,
                            format!(
                                "ZooKeeper reads it as log {} and would replay it with the real logs",
                                f.zxid
                            ),
                        )
                    } else {
                        (
                            Severity::Warning,
                            format!(
                                "ZooKeeper reads it as log {} (not replayed now, but it would be after a purge or with another snapshot); move it out of version-2",
                                f.zxid
                            ),
                        )
                    }
                } else if let Some(f) = as_snap {
                    if r.snapshot.as_ref() == Some(&o.path) {
                        (
                            Severity::Error,
                            format!(
                                "ZooKeeper takes it for snapshot {} and would load it",
                                f.zxid
                            ),
                        )
                    } else {
                        (
                            Severity::Warning,
                            format!(
                                "ZooKeeper takes it for snapshot {}; move it out of version-2",
                                f.zxid
                            ),
                        )
                    }
                } else {
                    (
                        Severity::Note,
                        "ZooKeeper ignores it; safe to remove once the server runs".to_string(),
                    )
                };
                report.findings.push(Finding {
                    severity: sev,
                    code: "leftover_file",
                    file: o.path.clone(),
                    offset: None,
                    zxid: None,
                    message: format!("{name}: {what}"),
                    meaning: Some(meaning),
                });
            }
            FileKind::Unknown => report.findings.push(finding(
                Severity::Note,
                "unknown_file",
                &o.path,
                None,
                None,
                format!("{name}: not a ZooKeeper data file"),
                None,
            )),
            _ => {}
        }
    }
}

fn epochs(dir: &DataDir, report: &mut Report, r: &mut Recovery) {
    let accepted = dir.read_epoch("acceptedEpoch");
    let current = dir.read_epoch("currentEpoch");
    let a_path = dir.snap_dir.join("acceptedEpoch");
    let c_path = dir.snap_dir.join("currentEpoch");
    let mut get = |v: Option<Result<i64, String>>, p: &Path| -> Option<i64> {
        match v? {
            Ok(n) => Some(n),
            Err(msg) => {
                report.findings.push(finding(
                    Severity::Error,
                    "epoch_unreadable",
                    p,
                    Some(0),
                    None,
                    msg,
                    Some(
                        "a quorum peer fails to start; zkdd recover writes consistent epoch files",
                    ),
                ));
                None
            }
        }
    };
    let present = (a_path.exists(), c_path.exists());
    r.quorum_peer = present.0
        || present.1
        || dir
            .snap_dir
            .parent()
            .is_some_and(|d| d.join("myid").exists());
    let mut unreadable = None;
    if let Some(Err(msg)) = &current {
        unreadable = Some(format!("currentEpoch cannot be read ({msg})"));
    } else if let Some(Err(msg)) = &accepted {
        unreadable = Some(format!("acceptedEpoch cannot be read ({msg})"));
    }
    let a = get(accepted, &a_path);
    let c = get(current, &c_path);
    // QuorumPeer.loadDataBase reads currentEpoch first, then acceptedEpoch.
    let mut failure = unreadable;
    if present.0 != present.1 {
        let missing = if present.0 { &c_path } else { &a_path };
        report.findings.push(finding(
            Severity::Warning,
            "epoch_missing",
            missing,
            None,
            None,
            "one epoch file is missing".into(),
            Some("a quorum peer recreates it from the last zxid's epoch"),
        ));
    }
    if let (Some(a), Some(c)) = (a, c)
        && a < c
    {
        report.findings.push(finding(
            Severity::Error,
            "epoch_mismatch",
            &a_path,
            Some(0),
            None,
            format!("acceptedEpoch {a} is less than currentEpoch {c}"),
            Some("a quorum peer refuses to start (\"The accepted epoch is less than the current epoch\"); zkdd recover writes consistent epoch files"),
        ));
        failure.get_or_insert(format!("acceptedEpoch {a} is less than currentEpoch {c}"));
    }
    if let (Some(c), Outcome::Start(z)) = (c, &r.outcome)
        && i64::from(z.epoch()) > c
        && !dir.snap_dir.join("currentEpoch.tmp").is_file()
    {
        report.findings.push(finding(
            Severity::Error,
            "epoch_mismatch",
            &c_path,
            Some(0),
            Some(*z),
            format!(
                "currentEpoch {c} is older than the epoch {} of the last zxid {z}",
                z.epoch()
            ),
            Some("a quorum peer refuses to start (\"The current epoch is older than the last zxid\"); zkdd recover writes consistent epoch files"),
        ));
        // Checked before acceptedEpoch is even read.
        failure = Some(format!(
            "currentEpoch {c} is older than the epoch {} of the last zxid {z}",
            z.epoch()
        ));
    }
    r.quorum_failure = failure;
    r.sentence = super::predict::sentence(r);
}

/// Verifies single files (no cross-file or recovery analysis).
pub fn verify_files(
    files: &[(PathBuf, DataFile)],
    opts: &Options,
    progress: Progress<'_>,
) -> Report {
    let mut report = Report::default();
    let mut jobs = Vec::new();
    for (p, kind) in files {
        let name = name_of(p);
        report.files += 1;
        report.bytes += std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        jobs.push(if *kind == DataFile::Log {
            ScanJob::Log(p, zookeeper_name_zxid(&name).unwrap_or(Zxid(-1)))
        } else {
            ScanJob::Snapshot(p)
        });
    }
    let name_zxids: Vec<Zxid> = jobs
        .iter()
        .filter_map(|j| match j {
            ScanJob::Log(_, z) => Some(*z),
            ScanJob::Snapshot(_) => None,
        })
        .collect();
    let mut name_zxids = name_zxids.into_iter();
    for scan in scan_files(jobs, opts, progress) {
        match scan {
            Scan::Log(mut s) => {
                // A log without a zxid in its name has no name to mismatch.
                if name_zxids.next().is_none_or(|z| z.0 < 0) {
                    s.findings.retain(|f| f.code != "log_name_mismatch");
                }
                report.findings.extend(s.findings);
            }
            Scan::Snapshot(s) => report.findings.extend(s.findings),
        }
    }
    report
}
