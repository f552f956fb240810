//! What `zkdd purge` writes: a `purge` JSON line or a text line per file,
//! then one `purge_summary` line or a text summary; and on stderr the
//! notes, warnings, deletion problems and the refusal. The planner returns
//! its reasons, refusals and warnings as values; the words for them, which
//! name the command's flags, are here.
//!
//! The JSON lines are built with `json!`, whose objects print their keys
//! in alphabetical order; that order is part of the output.

use std::io;
use std::path::Path;
use std::time::Duration;

use serde_json::json;

use crate::files::datadir::DataDir;
use crate::ops::purge::{
    Action, ArchiveMethod, Outcome, PlanWarning, PlannedFile, PurgePlan, PurgeReport,
    RECOMMENDED_RETAIN, Reason, Refusal, format_duration,
};
use crate::render::{Output, Paint, sanitize};

/// The words for why a file is kept or deleted, as shown to users.
pub fn reason(r: &Reason) -> String {
    match r {
        Reason::SnapshotKept { rank, of } => format!("snapshot {rank} of {of} kept"),
        Reason::NeededForReplay { snapshot } => format!("needed to replay from {snapshot}"),
        Reason::OlderThanOldestKept { snapshot } => {
            format!("older than oldest kept snapshot ({snapshot})")
        }
        Reason::LogBeforeNeeded {
            snapshot,
            first_needed,
        } => match first_needed {
            Some(log) => {
                format!("older than {log}, the first log needed to replay from {snapshot}")
            }
            None => format!("older than oldest kept snapshot ({snapshot})"),
        },
        Reason::Corrupt { problem, removing } => {
            if *removing {
                format!("corrupt snapshot ({problem}); --remove-corrupt")
            } else {
                format!(
                    "corrupt snapshot ({problem}); not counted, kept (--remove-corrupt deletes it)"
                )
            }
        }
        Reason::NewerThanOldestKept { snapshot } => {
            format!("newer than oldest kept snapshot ({snapshot})")
        }
        Reason::NewestLog => "newest log (the server may be writing it)".to_string(),
        Reason::TooYoung {
            age_secs,
            min_age_secs,
        } => {
            if *age_secs < 0 {
                "modified in the future (clock skew?); never deleted".to_string()
            } else {
                format!(
                    "younger than --min-age {} (modified {} ago)",
                    format_duration(*min_age_secs),
                    format_duration(*age_secs as u64)
                )
            }
        }
        Reason::EpochFile => "ZooKeeper epoch file".to_string(),
        Reason::Leftover {
            what,
            removable,
            removing,
        } => {
            if *removing {
                format!("{what}; --remove-leftovers")
            } else if *removable {
                format!("{what}; left alone (--remove-leftovers deletes it)")
            } else {
                format!("{what}; not a ZooKeeper file name, left alone")
            }
        }
        Reason::Unknown => "not a ZooKeeper file name, left alone".to_string(),
        Reason::Refused => "purge refused, nothing deleted".to_string(),
        Reason::NothingToPurge { valid, retain } => nothing_to_purge_text(*valid, *retain),
        Reason::ServerLogCurrent => "current server log".to_string(),
        Reason::ServerLogKept { rank, of } => format!("rotated server log {rank} of {of} kept"),
        Reason::ServerLogOld { of } => {
            format!("rotated server log beyond --keep-server-logs {of}")
        }
    }
}

/// A file's reason as shown to users, including a deletion a safety rule
/// overrode: `newest log (...) (otherwise: older than ...)`.
pub fn reason_text(f: &PlannedFile) -> String {
    match &f.overridden {
        Some(o) => format!("{} (otherwise: {})", reason(&f.reason), reason(o)),
        None => reason(&f.reason),
    }
}

/// The words for why a purge was refused.
pub fn refusal_text(r: &Refusal) -> String {
    match r {
        Refusal::Swapped {
            snap_dir,
            log_dir,
            files,
        } => format!(
            "dataDir and dataLogDir look swapped: {} holds txn logs and {} holds snapshots ({}); check --log-dir / the zoo.cfg",
            snap_dir.display(),
            log_dir.display(),
            files.join(", ")
        ),
        Refusal::LogsInSnapDir {
            snap_dir,
            log_dir,
            files,
        } => format!(
            "txn logs in the snapshot dir {} while logs are expected in {} ({}): dataDir and dataLogDir may be swapped or mixed up; ZooKeeper 3.6+ refuses to start like this",
            snap_dir.display(),
            log_dir.display(),
            files.join(", ")
        ),
        Refusal::SnapshotsInLogDir {
            snap_dir,
            log_dir,
            files,
        } => format!(
            "snapshots in the log dir {} while snapshots are expected in {} ({}): dataDir and dataLogDir may be swapped or mixed up; ZooKeeper 3.6+ refuses to start like this",
            log_dir.display(),
            snap_dir.display(),
            files.join(", ")
        ),
        Refusal::NoZooKeeperFiles { snap_dir } => format!(
            "{}: no snapshot.* or log.* files: not a ZooKeeper data directory, or an empty one",
            snap_dir.display()
        ),
        Refusal::TooFewValid {
            valid,
            retain,
            snap_dir: _,
            corrupt,
        } => format!(
            "{}{}",
            nothing_to_purge_text(*valid, *retain),
            if corrupt.is_empty() {
                String::new()
            } else {
                format!(" (corrupt, not counted: {})", corrupt.join(", "))
            }
        ),
    }
}

/// `nothing to purge: 2 valid snapshots, retaining 3`.
fn nothing_to_purge_text(valid: usize, retain: usize) -> String {
    format!(
        "nothing to purge: {valid} valid snapshot{}, retaining {retain}",
        if valid == 1 { "" } else { "s" }
    )
}

/// The words for a plan warning.
pub fn warning_text(w: &PlanWarning) -> String {
    match w {
        PlanWarning::NoLogs { log_dir } => format!(
            "no txn logs in {}; if dataLogDir is separate, pass --log-dir or --config (no log is deleted either way)",
            log_dir.display()
        ),
        PlanWarning::CorruptSnapshot { name, problem } => {
            format!("{name}: corrupt snapshot, not counted toward --retain: {problem}")
        }
    }
}

/// The run as the user asked for it, for the header, the notes and the summary.
pub struct Run<'a> {
    /// The opened data dir.
    pub dir: &'a DataDir,
    /// The directory the user named: DATADIR, or dataDir from the zoo.cfg.
    pub given: Option<&'a Path>,
    /// Whether that directory is the snapshot dir itself (else the
    /// `version-2/` inside it).
    pub given_directly: bool,
    /// How many valid snapshots are kept.
    pub retain: usize,
    /// The `--min-age` setting.
    pub min_age: Duration,
    /// `--dry-run` was given.
    pub dry_run: bool,
    /// `--archive-to`: files are moved there instead of deleted.
    pub archive_to: Option<&'a Path>,
    /// JSON Lines instead of text.
    pub json: bool,
    /// Print the file lines and the summary (not `--quiet`).
    pub show: bool,
}

impl Run<'_> {
    fn how(&self) -> &'static str {
        if self.given_directly {
            "given directly"
        } else {
            "the version-2/ inside the directory given"
        }
    }
}

/// The warning for a `--retain` below ZooKeeper's own minimum.
pub fn low_retain(out: &mut Output<'_>, retain: usize) {
    out.warn(&format!(
        "--retain {retain} is below {RECOMMENDED_RETAIN}: a single damaged snapshot may leave no way back"
    ));
}

/// The `-v` note naming the snapshot dir used.
pub fn using(out: &mut Output<'_>, run: &Run<'_>) {
    out.note(&format!(
        "using {} ({})",
        run.dir.snap_dir.display(),
        run.how()
    ));
}

/// The plan's warnings; corrupt snapshots as errors, since they matter to
/// whoever reads cron mail.
pub fn warnings(out: &mut Output<'_>, plan: &PurgePlan) {
    for w in &plan.warnings {
        let text = warning_text(w);
        // Decided on the words, as before the warnings were typed: a log
        // dir whose path holds "corrupt snapshot" makes NoLogs an error too.
        if text.contains("corrupt snapshot") {
            out.error(&text);
        } else {
            out.warn(&text);
        }
    }
}

/// The first text line: which directories, and how many snapshots are kept.
pub fn header(out: &mut Output<'_>, run: &Run<'_>) -> io::Result<()> {
    if !run.show || run.json {
        return Ok(());
    }
    let (dir, how) = (run.dir, run.how());
    let dirs = if dir.snap_dir == dir.log_dir {
        format!("{} ({how})", dir.snap_dir.display())
    } else {
        format!(
            "snapshots in {} ({how}), logs in {}",
            dir.snap_dir.display(),
            dir.log_dir.display()
        )
    };
    out.line(&format!(
        "{} {dirs}, keeping {} valid snapshot{}{}",
        if run.dry_run { "plan for" } else { "purging" },
        run.retain,
        if run.retain == 1 { "" } else { "s" },
        match run.archive_to {
            Some(a) => format!(", archiving the rest to {}", a.display()),
            None => String::new(),
        }
    ))
}

/// The per-file lines, written as the purge deals with each file. Files
/// that vanished or could not be deleted are also told on stderr, after
/// the last line ([`FileLines::finish`]).
pub struct FileLines {
    json: bool,
    show: bool,
    archiving: bool,
    /// The first error writing a line; the purge goes on regardless.
    error: Option<io::Error>,
    vanished: Vec<String>,
    failures: Vec<String>,
}

impl FileLines {
    /// Lines for `run`'s output settings.
    pub fn new(run: &Run<'_>) -> FileLines {
        FileLines {
            json: run.json,
            show: run.show,
            archiving: run.archive_to.is_some(),
            error: None,
            vanished: Vec::new(),
            failures: Vec::new(),
        }
    }

    /// One file's line (unless `--quiet`); a file that vanished or could
    /// not be deleted is also kept for [`FileLines::finish`].
    pub fn file(&mut self, out: &mut Output<'_>, f: &PlannedFile, outcome: &Outcome) {
        let verb = if self.archiving {
            "archived"
        } else {
            "deleted"
        };
        match outcome {
            Outcome::Failed(e) => self
                .failures
                .push(format!("{}: not {verb}: {e}", f.path.display())),
            Outcome::Vanished => self.vanished.push(format!(
                "{}: already gone when it was to be {verb}",
                f.path.display()
            )),
            _ => {}
        }
        if self.show
            && let Err(e) = file_line(out, self.json, self.archiving, f, outcome)
        {
            self.error.get_or_insert(e);
        }
    }

    /// After the last file: the first write error, if any (then nothing
    /// more is told); else the vanished files as warnings, the failed
    /// deletions and directory syncs as errors.
    pub fn finish(self, out: &mut Output<'_>, report: &PurgeReport) -> io::Result<()> {
        if let Some(e) = self.error {
            return Err(e);
        }
        for v in &self.vanished {
            out.warn(v);
        }
        for e in &self.failures {
            out.error(e);
        }
        for e in &report.sync_errors {
            out.error(&format!(
                "{}: fsync of the directory failed: {}",
                e.dir.display(),
                e.error
            ));
        }
        Ok(())
    }
}

/// A `file` JSON line, or the text line `TAG  bytes  name  reason`. With
/// an archive, the files the plan removes say `"action": "archive"`, and
/// `archive` (where the file goes) and, once moved, `archive_method`.
fn file_line(
    out: &mut Output<'_>,
    json: bool,
    archiving: bool,
    f: &PlannedFile,
    outcome: &Outcome,
) -> io::Result<()> {
    let archived_to = match outcome {
        Outcome::WouldArchive(to) | Outcome::Archived { to, .. } => Some(to),
        _ => None,
    };
    if json {
        let action = match f.action {
            Action::Delete if archiving => "archive",
            a => a.as_str(),
        };
        let mut v = json!({
            "type": "file",
            "file": f.path.display().to_string(),
            "name": f.name,
            "kind": f.kind.as_str(),
            "zxid": f.zxid.map(|z| format!("{:#x}", z.0)),
            "action": action,
            "reason": reason_text(f),
            "size": f.bytes,
            "result": outcome.as_str(),
        });
        if let Some(to) = archived_to {
            v["archive"] = json!(to.display().to_string());
        }
        if let Outcome::Archived { method, .. } = outcome {
            v["archive_method"] = json!(method.as_str());
        }
        if let Outcome::Failed(e) = outcome {
            v["error"] = json!(e);
        }
        return out.json_line(&v);
    }
    let (tag, paint) = match (f.action, outcome) {
        (Action::Keep, _) => ("KEEP", Paint::Good),
        (_, Outcome::WouldDelete) => ("DELETE", Paint::Warn),
        (_, Outcome::Deleted) => ("DELETED", Paint::Warn),
        (_, Outcome::Vanished) => ("VANISHED", Paint::Info),
        (_, Outcome::Failed(_)) => ("FAILED", Paint::Bad),
        (_, Outcome::Kept) => ("KEEP", Paint::Good),
        (_, Outcome::WouldArchive(_)) => ("ARCHIVE", Paint::Warn),
        (_, Outcome::Archived { .. }) => ("ARCHIVED", Paint::Warn),
    };
    // Padded before painting: escape codes have no width.
    let tag = out.paint(paint, &format!("{tag:<8}"));
    let mut line = format!(
        "{tag} {:>10}  {:<24} {}",
        out.size(f.bytes),
        sanitize(&f.name),
        reason_text(f)
    );
    if let Some(to) = archived_to {
        line.push_str(&format!(" -> {}", sanitize(&to.display().to_string())));
    }
    if let Outcome::Archived {
        method: ArchiveMethod::Copy,
        ..
    } = outcome
    {
        line.push_str(" (copied and compared)");
    }
    if let Outcome::Archived {
        method: ArchiveMethod::Existing,
        ..
    } = outcome
    {
        line.push_str(" (already there, same bytes)");
    }
    if let Outcome::Failed(e) = outcome {
        line.push_str(&format!(": {e}"));
    }
    out.line(&line)
}

/// The closing `summary` line, or the text summary (unless `--quiet`).
pub fn summary(
    out: &mut Output<'_>,
    run: &Run<'_>,
    plan: &PurgePlan,
    report: &PurgeReport,
) -> io::Result<()> {
    if !run.show {
        return Ok(());
    }
    let dry = report.dry_run;
    if run.json {
        return out.json_line(&json!({
            "type": "summary",
            "command": "purge",
            "dry_run": dry,
            "snap_dir": run.dir.snap_dir.display().to_string(),
            "log_dir": run.dir.log_dir.display().to_string(),
            "dir_given": run.given.map(|p| p.display().to_string()),
            "retain": run.retain,
            "min_age_s": run.min_age.as_secs(),
            "oldest_kept": plan.oldest_kept,
            "files_kept": report.kept,
            "files_deleted": report.deleted,
            "bytes_freed": report.bytes_freed,
            "archive_to": run.archive_to.map(|a| a.display().to_string()),
            "files_archived": report.archived,
            "failed": report.failed,
            "vanished": report.vanished,
            "corrupt": plan.corrupt.iter().map(|(n, p)| json!({"file": n, "problem": p})).collect::<Vec<_>>(),
            "refused": plan.refusal.as_ref().filter(|r| r.is_trouble()).map(refusal_text),
            "nothing_to_purge": plan.refusal.as_ref().is_some_and(|r| !r.is_trouble()),
        }));
    }
    let moved = match run.archive_to {
        Some(a) => format!(
            " ({} archived to {})",
            report.archived,
            sanitize(&a.display().to_string())
        ),
        None => String::new(),
    };
    let removed = report.deleted + report.archived;
    let mut s = format!(
        "{} {} in {} file{}{moved}; kept {} file{}",
        if dry { "would free" } else { "freed" },
        out.size(report.bytes_freed),
        removed,
        if removed == 1 { "" } else { "s" },
        report.kept,
        if report.kept == 1 { "" } else { "s" },
    );
    if let Some(o) = &plan.oldest_kept {
        s.push_str(&format!("; oldest kept snapshot {o}"));
    }
    if report.failed > 0 {
        s.push_str(&format!(
            "; {} {} FAILED",
            report.failed,
            if run.archive_to.is_some() {
                "move(s) to the archive"
            } else {
                "deletion(s)"
            }
        ));
    }
    out.line(&s)
}

/// The one text line of a purge with nothing to purge yet (fewer valid
/// snapshots than `--retain`): `nothing to purge: 2 valid snapshots,
/// retaining 3`, naming the corrupt snapshots when there are any (they
/// are also told on stderr, by [`warnings`]). Not written with `--quiet`.
pub fn nothing_to_purge(out: &mut Output<'_>, refusal: &Refusal) -> io::Result<()> {
    out.comment(&refusal_text(refusal))
}

/// Why the purge was refused (printed even with `--quiet`).
pub fn refusal(out: &mut Output<'_>, refusal: &Refusal) {
    out.error(&format!("refusing to purge: {}", refusal_text(refusal)));
}
