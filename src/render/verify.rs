//! What `zkdd verify` writes: the verdict, the startup prediction and the
//! findings grouped by file, or `finding` and `summary` JSON lines.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::json;

use crate::ops::verify::{Finding, Outcome, Report, Severity, VersionOutcome};
use crate::render::{Output, Paint};

/// Writes one report: JSON lines, or text with paths shown relative to
/// `root` (the data dir's version-2/; `None` for single files).
pub fn report(out: &mut Output<'_>, root: Option<&Path>, report: &Report) -> std::io::Result<()> {
    if out.json {
        print_json(out, report)
    } else {
        print_human(out, root.unwrap_or(Path::new("")), report)
    }
}

fn verdict(report: &Report) -> &'static str {
    match report.worst() {
        Some(Severity::Error) => "errors",
        Some(Severity::Warning) => "warnings",
        _ => "ok",
    }
}

/// A `finding` line: verify's, and recover's for the problems it read.
pub fn finding_json(f: &Finding) -> serde_json::Value {
    json!({
        "type": "finding",
        "severity": f.severity.name(),
        "code": f.code,
        "file": f.file.display().to_string(),
        "offset": f.offset,
        "zxid": f.zxid.map(|z| z.to_string()),
        "message": f.message,
        "meaning": f.meaning,
    })
}

fn print_json(out: &mut Output<'_>, report: &Report) -> std::io::Result<()> {
    for f in &report.findings {
        out.json_line(&finding_json(f))?;
    }
    let r = report.recovery.as_ref();
    let (zk, start, failure) = match r.map(|r| &r.outcome) {
        Some(Outcome::Start(z)) => (Some("start"), Some(z.to_string()), None),
        Some(Outcome::Fail(why)) => (Some("fail"), None, Some(why.clone())),
        None => (None, None, None),
    };
    out.json_line(&json!({
        "type": "summary",
        "command": "verify",
        "verdict": verdict(report),
        "errors": report.count(Severity::Error),
        "warnings": report.count(Severity::Warning),
        "notes": report.count(Severity::Note),
        "files": report.files,
        "bytes": report.bytes,
        "digests_matched": report.digests,
        "recoverable_zxid": r.and_then(|r| r.recoverable_zxid).map(|z| z.to_string()),
        "snapshot": r.and_then(|r| r.snapshot.as_ref()).map(|p| p.display().to_string()),
        "snapshot_zxid": r.and_then(|r| r.snapshot_zxid).map(|z| z.to_string()),
        "logs": r.map(|r| r.logs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>()).unwrap_or_default(),
        "zookeeper": zk,
        "start_zxid": start,
        "failure": failure,
        "dropped_txns": r.map_or(0, |r| r.dropped_txns),
        "rejected_snapshots": r.map(|r| r.rejected_snapshots.iter().map(|(p, why)| json!({"file": p.display().to_string(), "reason": why})).collect::<Vec<_>>()).unwrap_or_default(),
        "prediction": r.map(|r| r.sentence.clone()),
        "written_by": report.writers.as_ref().map(|w| json!({
            "from": w.from.map(|v| v.to_string()),
            "to": w.to.map(|v| v.to_string()),
            "evidence": w.evidence,
        })),
        "by_version": r.map(|r| r.by_version.iter().map(version_json).collect::<Vec<_>>()).unwrap_or_default(),
    }))?;
    Ok(())
}

/// One `by_version` entry: what those versions would do instead.
fn version_json(v: &VersionOutcome) -> serde_json::Value {
    let (zk, start, failure) = match &v.outcome {
        Outcome::Start(z) => ("start", Some(z.to_string()), None),
        Outcome::Fail(why) => ("fail", None, Some(why.clone())),
    };
    json!({
        "versions": v.versions,
        "zookeeper": zk,
        "start_zxid": start,
        "failure": failure,
        "prediction": v.sentence,
    })
}

/// What to type next, for findings where a flag helps.
fn hint(code: &str) -> Option<&'static str> {
    match code {
        "logs_missing" => {
            Some("with a dataLogDir: zkdd verify DATADIR --log-dir DATALOGDIR, or --config zoo.cfg")
        }
        _ => None,
    }
}

/// `1 file`, `2 files`.
fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .ok()
        .filter(|r| !r.as_os_str().is_empty())
        .map(|r| r.display().to_string())
        .unwrap_or_else(|| p.display().to_string())
}

fn print_human(out: &mut Output<'_>, root: &Path, report: &Report) -> std::io::Result<()> {
    let (e, w, n) = (
        report.count(Severity::Error),
        report.count(Severity::Warning),
        report.count(Severity::Note),
    );
    // -q: silent unless something makes the exit status 1, and then only
    // those findings.
    if out.quiet && e == 0 {
        return Ok(());
    }
    let head = match report.worst() {
        Some(Severity::Error) => out.paint(Paint::Bad, "ERRORS"),
        Some(Severity::Warning) => out.paint(Paint::Warn, "OK with warnings"),
        _ => out.paint(Paint::Good, "OK"),
    };
    let counts = format!(
        "{}, {}, {}",
        plural(e, "error"),
        plural(w, "warning"),
        plural(n, "note")
    );
    let mut line = if root.as_os_str().is_empty() {
        format!(
            "{head}: {} checked ({counts})",
            plural(report.files, "file")
        )
    } else {
        format!(
            "{head}: {} ({}, {counts})",
            root.display(),
            plural(report.files, "file")
        )
    };
    if let Some(r) = &report.recovery
        && let Some(z) = r.recoverable_zxid
    {
        line.push_str(&format!("; recoverable up to zxid {z}"));
    }
    out.line(&line)?;
    if let Some(r) = &report.recovery
        && !out.quiet
    {
        out.line(&r.sentence)?;
        for v in &r.by_version {
            out.line(&format!("  but {}", v.sentence))?;
        }
        if let Some(w) = &report.writers
            && out.verbose > 0
        {
            let why = if w.evidence.is_empty() {
                "nothing in the files tells".to_string()
            } else {
                w.evidence.join("; ")
            };
            out.line(&format!("  written by ZooKeeper {} ({why})", w.range()))?;
        }
        if !r.logs.is_empty() {
            let logs: Vec<String> = r.logs.iter().map(|p| rel(root, p)).collect();
            out.line(&format!("  replays: {}", logs.join(" ")))?;
        }
        for (p, why) in &r.rejected_snapshots {
            out.line(&format!("  rejects: {} ({why})", rel(root, p)))?;
        }
    }
    let mut by_file: BTreeMap<String, Vec<&Finding>> = BTreeMap::new();
    let mut order = Vec::new();
    for f in &report.findings {
        if out.quiet && f.severity != Severity::Error {
            continue;
        }
        let k = rel(root, &f.file);
        if !by_file.contains_key(&k) {
            order.push(k.clone());
        }
        by_file.entry(k).or_default().push(f);
    }
    for k in order {
        out.line("")?;
        out.line(&format!("{k}:"))?;
        for f in &by_file[&k] {
            let off = f.offset.map_or("-".to_string(), |o| format!("{o:#x}"));
            let zx = f.zxid.map_or(String::new(), |z| format!(" zxid {z}:"));
            let severity = match f.severity {
                Severity::Error => Paint::Bad,
                Severity::Warning => Paint::Warn,
                Severity::Note => Paint::Info,
            };
            // Padded before painting: escape codes have no width.
            let tag = out.paint(severity, &format!("{:<7}", f.severity.name()));
            out.line(&format!("  {tag} {off:>9}  {}:{zx} {}", f.code, f.message))?;
            if let Some(m) = &f.meaning {
                out.line(&format!("  {:<7} {:>9}  -> {m}", "", ""))?;
            }
            if let Some(hint) = hint(f.code) {
                out.line(&format!("  {:<7} {:>9}  -> {hint}", "", ""))?;
            }
        }
    }
    Ok(())
}
