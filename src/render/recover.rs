//! What `zkdd recover` writes: what was wrong, the state recovered, what
//! was lost and what to do next, as text or as `finding` lines (verify's)
//! followed by one `recover` JSON line; and the header of its zkCli script.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::ops::recover::{Base, Epochs, Lost, RecoverReport, Recovered, StopKind, Written};
use crate::ops::verify::{Outcome, Severity};
use crate::render::Output;
use crate::render::human;
use crate::render::json::lossy;
use crate::timefmt;
use crate::zxid::Zxid;

/// What the command did besides planning.
pub struct Extra<'a> {
    /// `--output`.
    pub output: Option<&'a Path>,
    /// `--dry-run`.
    pub dry_run: bool,
    /// The new data dir, once written.
    pub written: Option<&'a Written>,
    /// The script written: file, zkCli lines, what it could not express.
    pub script: Option<(&'a Path, usize, &'a [String])>,
    /// `--script` was asked for but not written (dry run, nothing recovered).
    pub script_asked: Option<&'a Path>,
}

/// Problems listed one by one in text (the rest are counted).
const TEXT_PROBLEMS: usize = 20;
/// Lost txns listed one by one in text.
const TEXT_TXNS: usize = 20;

fn name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

fn paths(list: &[Vec<u8>]) -> String {
    list.iter()
        .map(|p| human::path(p))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The dataDir (the parent of `version-2/`).
fn data_dir(v2: &Path) -> PathBuf {
    v2.parent()
        .map_or_else(|| v2.to_path_buf(), Path::to_path_buf)
}

/// The report: text, or `finding` lines and one `summary` line.
pub fn report(out: &mut Output<'_>, r: &RecoverReport, x: &Extra<'_>) -> std::io::Result<()> {
    if out.json {
        json_report(out, r, x)
    } else {
        text_report(out, r, x)
    }
}

fn lost_json(l: &Lost) -> serde_json::Value {
    json!({
        "first_zxid": l.first.map(|z| z.to_string()),
        "last_zxid": l.last.map(|z| z.to_string()),
        "count": l.count,
        "readable": l.readable,
        "txns": l.txns.iter().map(|t| json!({
            "zxid": t.zxid.to_string(),
            "time": timefmt::rfc3339_utc(t.time_ms),
            "time_ms": t.time_ms,
            "op": t.op.display_name(),
            "paths": t.paths.iter().map(|p| lossy(p).into_owned()).collect::<Vec<_>>(),
            "file": t.file.display().to_string(),
            "offset": t.offset,
        })).collect::<Vec<_>>(),
        "more": l.readable.saturating_sub(l.txns.len() as u64),
        "unreadable": l.unreadable.iter().map(|(f, m)| json!({
            "file": f.display().to_string(), "message": m,
        })).collect::<Vec<_>>(),
    })
}

fn recovered_json(rec: &Recovered) -> serde_json::Value {
    let s = &rec.stop;
    json!({
        "zxid": rec.zxid.to_string(),
        "time": rec.time_ms.and_then(timefmt::rfc3339_utc),
        "time_ms": rec.time_ms,
        "nodes": rec.nodes,
        "sessions": rec.sessions,
        "snapshot": match &rec.base {
            Base::Snapshot { path, .. } => Some(path.display().to_string()),
            Base::Empty => None,
        },
        "snapshot_zxid": match &rec.base {
            Base::Snapshot { zxid, .. } => Some(zxid.to_string()),
            Base::Empty => None,
        },
        "from_empty": rec.base == Base::Empty,
        "skipped_snapshots": rec.skipped_snapshots.iter().map(|k| json!({
            "file": k.path.display().to_string(),
            "zxid": k.zxid.to_string(),
            "reason": k.reason,
            "damaged": k.damaged,
        })).collect::<Vec<_>>(),
        "logs": rec.logs.iter().map(|l| l.display().to_string()).collect::<Vec<_>>(),
        "txns_applied": rec.applied,
        "exact": rec.exact,
        "stop": {
            "kind": s.kind.name(),
            "file": s.file.as_ref().map(|f| f.display().to_string()),
            "offset": s.offset,
            "zxid": s.zxid.map(|z| z.to_string()),
            "message": s.message,
        },
    })
}

fn epochs_json(e: &Epochs) -> serde_json::Value {
    let src = |v: &Option<Result<i64, String>>| match v {
        None => json!(null),
        Some(Ok(n)) => json!(n),
        Some(Err(m)) => json!({ "unreadable": m }),
    };
    json!({
        "current": e.current,
        "accepted": e.accepted,
        "source_current": src(&e.source_current),
        "source_accepted": src(&e.source_accepted),
        "written": e.write,
    })
}

fn json_report(out: &mut Output<'_>, r: &RecoverReport, x: &Extra<'_>) -> std::io::Result<()> {
    for f in &r.problems {
        out.json_line(&crate::render::verify::finding_json(f))?;
    }
    let (zk, zk_zxid, zk_reason) = match &r.zookeeper {
        Some(Outcome::Start(z)) => (Some("start"), Some(z.to_string()), None),
        Some(Outcome::Fail(why)) => (Some("fail"), None, Some(why.clone())),
        None => (None, None, None),
    };
    out.json_line(&json!({
        "type": "summary",
        "command": "recover",
        "snap_dir": r.snap_dir.display().to_string(),
        "log_dir": r.log_dir.display().to_string(),
        "output": x.output.map(|p| p.display().to_string()),
        "dry_run": x.dry_run,
        "errors": r.problems.iter().filter(|f| f.severity == Severity::Error).count(),
        "warnings": r.problems.iter().filter(|f| f.severity == Severity::Warning).count(),
        "zookeeper": {
            "outcome": zk,
            "zxid": zk_zxid,
            "reason": zk_reason,
            "sentence": r.zookeeper_sentence,
        },
        "quorum_peer": r.quorum_peer,
        "left_out": r.left_out.iter().map(|(f, why)| json!({
            "file": f.display().to_string(), "reason": why,
        })).collect::<Vec<_>>(),
        "recovered": r.recovered.as_ref().ok().map(recovered_json),
        "reason": r.recovered.as_ref().err(),
        "lost": r.lost.as_ref().map(lost_json),
        "lost_txns": r.lost_txns(),
        "epochs": r.epochs.as_ref().map(epochs_json),
        "myid": r.myid.as_deref().map(|m| lossy(m).trim().to_string()),
        "written": x.written.map(|w| json!({
            "dir": w.dir.display().to_string(),
            "files": w.files.iter().map(|(f, size)| json!({
                "file": f.display().to_string(), "size": size,
            })).collect::<Vec<_>>(),
        })),
        "script": x.script.map(|(p, lines, warnings)| json!({
            "file": p.display().to_string(), "commands": lines, "warnings": warnings,
        })),
        "advice": advice(r, x),
    }))
}

fn text_report(out: &mut Output<'_>, r: &RecoverReport, x: &Extra<'_>) -> std::io::Result<()> {
    // -q: only what was lost, or that nothing could be recovered.
    if out.quiet {
        return match (&r.recovered, &r.lost) {
            (Err(why), _) => out.line(&format!("recovered:  NOTHING: {why}")),
            (Ok(rec), Some(l)) if r.lost_txns() => text_lost(out, rec.zxid, l),
            _ => Ok(()),
        };
    }
    out.line(&format!("source:     {}", data_dir(&r.snap_dir).display()))?;
    if r.log_dir != r.snap_dir {
        out.line(&format!("logs:       {}", data_dir(&r.log_dir).display()))?;
    }
    let errors = r
        .problems
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = r.problems.len() - errors;
    if r.problems.is_empty() {
        out.line("problems:   none found by verify")?;
    } else {
        out.line(&format!(
            "problems:   {errors} error{}, {warnings} warning{} (zkdd verify explains each)",
            if errors == 1 { "" } else { "s" },
            if warnings == 1 { "" } else { "s" }
        ))?;
    }
    for f in r.problems.iter().take(TEXT_PROBLEMS) {
        let at = f.offset.map_or(String::new(), |o| format!(" at {o:#x}"));
        out.line(&format!(
            "  {:<8} {}{at}: {}: {}",
            f.severity.name(),
            name(&f.file),
            f.code,
            f.message
        ))?;
    }
    if r.problems.len() > TEXT_PROBLEMS {
        out.line(&format!(
            "  (and {} more)",
            r.problems.len() - TEXT_PROBLEMS
        ))?;
    }
    if !r.zookeeper_sentence.is_empty() {
        out.line(&format!("ZooKeeper:  {}", r.zookeeper_sentence))?;
    }
    for (f, why) in &r.left_out {
        out.line(&format!("left out:   {}: {why}", name(f)))?;
    }
    match &r.recovered {
        Ok(rec) => text_recovered(out, r, rec)?,
        Err(why) => out.line(&format!("recovered:  NOTHING: {why}"))?,
    }
    if let Some(id) = &r.myid {
        out.line(&format!("myid:       {} (copied)", lossy(id).trim()))?;
    }
    if let Some(w) = x.written {
        let files: Vec<String> = w
            .files
            .iter()
            .map(|(f, size)| format!("{} ({})", f.display(), out.size(*size)))
            .collect();
        out.line(&format!(
            "wrote:      {}: {}",
            w.dir.display(),
            files.join(", ")
        ))?;
    } else if x.dry_run && r.recovered.is_ok() {
        out.line("wrote:      nothing (--dry-run)")?;
    }
    if let Some((p, lines, warnings)) = x.script {
        out.line(&format!(
            "script:     {} ({lines} zkCli command{}{}; review it before use)",
            p.display(),
            if lines == 1 { "" } else { "s" },
            if warnings.is_empty() {
                String::new()
            } else {
                format!(", {} change(s) it cannot express", warnings.len())
            }
        ))?;
    } else if let Some(p) = x.script_asked {
        out.line(&format!("script:     {} not written", p.display()))?;
    }
    out.line("")?;
    out.line("next:")?;
    for a in advice(r, x) {
        out.line(&format!("  - {a}"))?;
    }
    Ok(())
}

fn text_recovered(out: &mut Output<'_>, r: &RecoverReport, rec: &Recovered) -> std::io::Result<()> {
    let time = rec.time_ms.map_or(String::new(), |t| {
        format!(" ({})", timefmt::display(t, out.local_time))
    });
    out.line(&format!(
        "recovered:  zxid {}{time}, {} nodes, {} session{}",
        rec.zxid,
        rec.nodes,
        rec.sessions,
        if rec.sessions == 1 { "" } else { "s" }
    ))?;
    let from = match &rec.base {
        Base::Snapshot { path, .. } => name(path),
        Base::Empty => "ZooKeeper's initial tree (no usable snapshot)".into(),
    };
    let logs: Vec<String> = rec.logs.iter().map(|l| name(l)).collect();
    out.line(&format!(
        "  from {from}{}{} ({} txns applied)",
        if logs.is_empty() { "" } else { " + " },
        logs.join(" "),
        rec.applied
    ))?;
    for s in rec.skipped_snapshots.iter().filter(|s| s.damaged) {
        out.line(&format!("  passed over {}: {}", name(&s.path), s.reason))?;
    }
    let s = &rec.stop;
    if s.kind == StopKind::EndOfLogs {
        out.line("  ends where the logs end: nothing acknowledged is lost")?;
    } else {
        let at = match (&s.file, s.offset) {
            (Some(f), Some(o)) => format!("{} at {o:#x}: ", name(f)),
            (Some(f), None) => format!("{}: ", name(f)),
            _ => String::new(),
        };
        out.line(&format!(
            "  stops after {}, the last txn before the first problem: {at}{}",
            rec.zxid, s.message
        ))?;
    }
    if !rec.exact {
        out.line(&format!(
            "  NOT EXACT: its snapshot may already hold effects of txns after {} (fuzzy), and no older snapshot with its logs could replace it",
            rec.zxid
        ))?;
    }
    if let Some(l) = r.lost.as_ref().filter(|_| r.lost_txns()) {
        text_lost(out, rec.zxid, l)?;
    }
    if let Some(e) = &r.epochs {
        let src = |v: &Option<Result<i64, String>>| match v {
            None => "absent".to_string(),
            Some(Ok(n)) => n.to_string(),
            Some(Err(_)) => "unreadable".to_string(),
        };
        let what = format!(
            "currentEpoch {}, acceptedEpoch {} (source: {}, {})",
            e.current,
            e.accepted,
            src(&e.source_current),
            src(&e.source_accepted)
        );
        if e.write {
            out.line(&format!("epochs:     {what}"))?;
        } else if e.source_current.is_some() || e.source_accepted.is_some() {
            out.line(&format!("epochs:     not written: {what}"))?;
        }
    }
    Ok(())
}

fn text_lost(out: &mut Output<'_>, target: Zxid, l: &Lost) -> std::io::Result<()> {
    let range = match (l.first, l.last) {
        (Some(a), Some(b)) if a != b => format!(" {a}..{b}"),
        (Some(a), _) => format!(" from {a}"),
        _ => String::new(),
    };
    let count = l
        .count
        .map_or("an unknown number of txns".to_string(), |n| {
            format!("{n} txn{}", if n == 1 { "" } else { "s" })
        });
    out.line(&format!("lost:       {count}{range} (after {target})"))?;
    if l.readable > 0 {
        out.line(&format!(
            "  {} of them still readable after the damage (each checksum good, but not a verified history):",
            l.readable
        ))?;
        for t in l.txns.iter().take(TEXT_TXNS) {
            out.line(&format!(
                "    {}  {:<14} {}  ({} at {:#x})",
                t.zxid,
                t.op.display_name(),
                paths(&t.paths),
                name(&t.file),
                t.offset
            ))?;
        }
        let shown = l.txns.len().min(TEXT_TXNS) as u64;
        if l.readable > shown {
            out.line(&format!("    (and {} more)", l.readable - shown))?;
        }
    }
    for (f, why) in &l.unreadable {
        out.line(&format!("  unreadable: {}: {why}", name(f)))?;
    }
    Ok(())
}

/// What to do next, in words for the case at hand.
pub fn advice(r: &RecoverReport, x: &Extra<'_>) -> Vec<String> {
    let mut a = Vec::new();
    let src = data_dir(&r.snap_dir);
    let logs = data_dir(&r.log_dir);
    let myid = r
        .myid
        .as_deref()
        .map(|m| format!(" (myid {})", lossy(m).trim()))
        .unwrap_or_default();
    let rec = match &r.recovered {
        Ok(rec) => rec,
        Err(_) => {
            if r.quorum_peer {
                a.push(format!(
                    "This is an ensemble member{myid}: if a quorum of the other members is alive, stop it, move its dataDir{} aside and start it empty; it resyncs everything the ensemble committed from the leader.",
                    if logs != src { " and dataLogDir" } else { "" }
                ));
            }
            a.push("Look for a copy of a snapshot with the logs after it (a backup, or another member's data dir: zkdd recover reads those too); failing that, the only way to start is empty (move version-2 aside), losing the whole tree.".into());
            return a;
        }
    };
    let new = x
        .output
        .map_or("NEWDIR".to_string(), |p| p.display().to_string());
    if r.quorum_peer {
        a.push(format!(
            "This is an ensemble member{myid}. If a quorum of the other members is alive, do not use {new}: stop this member, move its dataDir{} aside and start it empty; it resyncs everything the ensemble committed from the leader, losing nothing. Use {new} only when the quorum is lost: recover every member (--dry-run shows the zxid each one reaches) and start the member with the highest recovered zxid first, so that the others sync from it.",
            if logs != src { " and dataLogDir" } else { "" }
        ));
    } else if rec.stop.kind == StopKind::EndOfLogs {
        a.push(format!(
            "This is a standalone server: {new} holds everything its files held, up to {}.",
            rec.zxid
        ));
    } else {
        a.push(format!(
            "This is a standalone server: {new} holds the newest state its files can honestly give, {}; there is no other copy to resync from.",
            rec.zxid
        ));
    }
    let mut steps = format!(
        "To use it: stop the server; move the damaged dataDir aside and keep it (mv {} {}.damaged); move {new} into its place (mv {new} {}) and give it to the user ZooKeeper runs as (chown -R)",
        src.display(),
        src.display(),
        src.display()
    );
    if logs != src {
        steps.push_str(&format!(
            "; move the old logs aside too and leave dataLogDir empty (mv {} {}.damaged; mkdir {}, owned by that user): ZooKeeper starts from the snapshot alone and writes new logs",
            logs.display(),
            logs.display(),
            logs.display()
        ));
    }
    steps.push_str(&format!(
        "; start the server and check it with zkdd verify {}.",
        src.display()
    ));
    a.push(steps);
    if let Some(l) = &r.lost {
        if l.readable > 0 {
            let script = match (x.script, x.script_asked) {
                (Some((p, ..)), _) => format!(
                    "{} holds them as a zkCli script (zkCli.sh -server HOST:PORT < {})",
                    p.display(),
                    p.display()
                ),
                (None, Some(p)) => format!(
                    "--script {} writes them as a zkCli script once {new} is written",
                    p.display()
                ),
                (None, None) => "--script FILE writes them as a zkCli script".into(),
            };
            a.push(format!(
                "{} txns after the damage are still readable (listed above). The server acknowledged them, but they follow damage, so they are not a verified history: review them and re-apply what is right through a client once the server runs. {script}; zkdd extract and zkdd diff --script write such scripts for one subtree or between two points.",
                l.readable
            ));
        } else if rec.stop.kind != StopKind::EndOfLogs {
            a.push(format!(
                "The txns after {} cannot be read from these files: clients that wrote after {} must check their data.",
                rec.zxid,
                rec.time_ms
                    .map_or(rec.zxid.to_string(), |t| timefmt::display(t, false))
            ));
        }
    }
    if !rec.exact {
        a.push(format!(
            "The snapshot {} starts from may already hold effects of txns after {} (it is fuzzy and no older snapshot with its logs could replace it): check the nodes those txns touched.",
            new, rec.zxid
        ));
    }
    a
}

/// The comment lines that open `--script`: what the commands are, that
/// they need review, and how to apply them.
pub fn script_header(r: &RecoverReport, output: Option<&Path>) -> Vec<String> {
    let mut h =
        vec!["# zkdd recover: the changes of the txns found readable after the damage".to_string()];
    if let (Ok(rec), Some(l)) = (&r.recovered, &r.lost) {
        h.push(format!(
            "# in {}, on top of the recovered state at zxid {}{}.",
            data_dir(&r.snap_dir).display(),
            rec.zxid,
            output.map_or(String::new(), |o| format!(" ({})", o.display()))
        ));
        if !r.lost_txns() {
            h.push("# Nothing acknowledged was lost: there is nothing to re-apply.".into());
        } else if let (Some(a), Some(b)) = (l.txns.first(), l.last) {
            h.push(format!(
                "# {} txns, {}..{}: each passed its checksum, but they follow damage or a gap,",
                l.readable, a.zxid, b
            ));
            h.push(
                "# so they are NOT a verified history. REVIEW every line before applying it."
                    .into(),
            );
        } else {
            h.push("# No txn could be read after the damage: there is nothing to re-apply.".into());
        }
    }
    h.push("# Ephemeral nodes belong to sessions and are left out.".into());
    h.push("# apply with: zkCli.sh -server HOST:PORT < THIS_FILE".into());
    h
}
