//! What `zkdd replay` writes: the tree as JSON Lines (also `extract --json`)
//! and the report of what was replayed, as text or one `summary` line.

use serde_json::json;

use crate::format::jute::Acl;
use crate::format::txnlog::LogEnd;
use crate::render::Output;
use crate::render::json::{NodeJson, session_json};
use crate::tree::replay::{LogStop, Replay, Stopped};
use crate::tree::{DataTree, OwnedAcl, display_path, in_subtree};

/// Node lines in path order (optionally one subtree), then session lines.
pub fn write_tree_json(
    tree: &DataTree,
    prefix: Option<&str>,
    out: &mut Output<'_>,
) -> std::io::Result<()> {
    let prefix = prefix.map(str::as_bytes);
    for (key, n) in tree.sorted_nodes() {
        let path = display_path(key);
        if prefix.is_some_and(|p| !in_subtree(path, p)) {
            continue;
        }
        let acl = tree.acl(n);
        let acl: Option<Vec<Acl<'_>>> = acl
            .as_ref()
            .map(|l| l.iter().map(OwnedAcl::as_acl).collect());
        out.json_line(&NodeJson {
            path,
            data: n.data(),
            acl: acl.as_deref(),
            stat: n.stat(),
            num_children: n.num_children() as u64,
            origin: None,
            redact: out.redact,
        })?;
    }
    if prefix.is_none() {
        for (id, timeout) in tree.sorted_sessions() {
            out.json_line(&session_json(id.0, timeout))?;
        }
    }
    Ok(())
}

/// The replay's findings as errors and its warnings (a crash tail) as
/// warnings on stderr, for the subcommands built on a replay.
pub fn problems(out: &mut Output<'_>, r: &Replay) {
    for n in &r.notes {
        if n.finding {
            out.error(&n.message);
        } else if n.warning {
            out.warn(&n.message);
        }
    }
}

/// What the command did besides replaying.
pub struct Extra<'a> {
    /// The output written and its size.
    pub written: Option<&'a (std::path::PathBuf, u64)>,
    /// Ephemeral nodes deleted (`--drop-ephemerals`).
    pub dropped_ephemerals: Option<usize>,
    /// Sessions dropped (`--drop-sessions`).
    pub dropped_sessions: Option<usize>,
}

fn end_json(stop: &LogStop) -> serde_json::Value {
    let (kind, end): (&str, Option<&LogEnd>) = match stop {
        LogStop::End(e) => ("end", Some(e)),
        LogStop::Target => ("target", None),
        LogStop::Fatal(e) => ("fatal", Some(e)),
    };
    json!({
        "stop": kind,
        "end": end.map(LogEnd::kind_name),
        "end_offset": end.map(LogEnd::offset),
        "message": end.map(LogEnd::describe),
    })
}

/// The replay report: text, or one JSON `summary` line.
pub fn report(r: &Replay, x: &Extra<'_>, out: &mut Output<'_>) -> std::io::Result<()> {
    let d = &r.digests;
    let (stopped, problem) = match &r.stopped {
        Stopped::EndOfLogs => ("end_of_logs", None),
        Stopped::Target => ("target", None),
        Stopped::Problem { path, message } => (
            "problem",
            Some(json!({"file": path.display().to_string(), "message": message})),
        ),
    };
    if out.json {
        let v = json!({
            "type": "summary",
            "command": "replay",
            "snapshot": r.snapshot.as_ref().map(|s| json!({
                "file": s.path.display().to_string(),
                "zxid": s.zxid.to_string(),
                "nodes": s.nodes,
                "sessions": s.sessions,
                "digest_zxid": s.digest.map(|d| d.0.to_string()),
                "missing_acl_ids": s.missing_acl_ids,
            })),
            "skipped_snapshots": r.skipped_snapshots.iter().map(|s| json!({
                "file": s.path.display().to_string(), "zxid": s.zxid.to_string(),
                "reason": s.reason, "damaged": s.damaged,
            })).collect::<Vec<_>>(),
            "logs": r.logs.iter().map(|l| {
                let mut v = json!({
                    "file": l.path.display().to_string(),
                    "name_zxid": l.name_zxid.to_string(),
                    "skipped": l.skipped,
                    "applied": l.applied,
                    "first_zxid": l.zxids.map(|z| z.0.to_string()),
                    "last_zxid": l.zxids.map(|z| z.1.to_string()),
                });
                if let (Some(m), serde_json::Value::Object(e)) = (v.as_object_mut(), end_json(&l.stop)) {
                    m.extend(e);
                }
                v
            }).collect::<Vec<_>>(),
            "txns_applied": r.applied,
            "txn_errors": r.errors,
            "first_zxid": r.zxids.map(|z| z.0.to_string()),
            "last_zxid": r.zxids.map(|z| z.1.to_string()),
            "final_zxid": r.final_zxid().to_string(),
            "target_zxid": r.target_zxid.map(|z| z.to_string()),
            "stopped": stopped,
            "problem": problem,
            "digests": {
                "passed": d.passed, "failed": d.failed, "skipped_fuzzy": d.skipped_fuzzy,
                "skipped_version": d.skipped_version, "without_digest": d.without_digest,
                "first_mismatch": d.first_mismatch.map(|z| z.to_string()),
                "snapshot": d.snapshot.map(|(z, stored, computed)| json!({
                    "zxid": z.to_string(), "stored": stored, "computed": computed, "ok": stored == computed,
                })),
                "snapshot_pending": d.snapshot_pending.map(|z| z.to_string()),
            },
            "nodes": r.tree.node_count(),
            "sessions": r.tree.sessions().len(),
            "tree_digest": r.tree.digest(),
            "dropped_ephemerals": x.dropped_ephemerals,
            "dropped_sessions": x.dropped_sessions,
            "output": x.written.map(|(p, size)| json!({"file": p.display().to_string(), "size": size})),
            "notes": r.notes.iter().map(|n| json!({"finding": n.finding, "message": n.message})).collect::<Vec<_>>(),
            "ok": !r.has_findings(),
        });
        out.json_line(&v)?;
        return Ok(());
    }
    // -q: the problems went to stderr (render::replay::problems); the rest
    // is commentary.
    if out.quiet {
        return Ok(());
    }
    match &r.snapshot {
        Some(s) => out.line(&format!(
            "snapshot:  {} (zxid {}, {} nodes, {} sessions{})",
            s.path.display(),
            s.zxid,
            s.nodes,
            s.sessions,
            s.digest
                .map_or(String::new(), |(z, _)| format!(", digest at {z}"))
        ))?,
        None => out.line("snapshot:  none (ZooKeeper's initial tree)")?,
    }
    for s in &r.skipped_snapshots {
        out.line(&format!("  skipped  {}: {}", s.path.display(), s.reason))?;
    }
    for l in &r.logs {
        let range = l.zxids.map_or(String::new(), |(a, b)| format!(" {a}..{b}"));
        let how = match &l.stop {
            LogStop::End(e) => e.describe(),
            LogStop::Target => "stopped at the target".into(),
            LogStop::Fatal(e) => format!("STOPPED: {}", e.describe()),
        };
        out.line(&format!(
            "log:       {}: {} applied{range}, {} already in the snapshot; {how}",
            l.path.display(),
            l.applied,
            l.skipped
        ))?;
    }
    out.line(&format!(
        "txns:      {} applied ({} ended in an error code, as logged or re-applied over a fuzzy snapshot)",
        r.applied, r.errors
    ))?;
    let target = r
        .target_zxid
        .map_or(String::new(), |t| format!(" (target {t})"));
    out.line(&format!(
        "final:     zxid {}{target}; {}",
        r.final_zxid(),
        match &r.stopped {
            Stopped::EndOfLogs => "end of the logs".to_string(),
            Stopped::Target => "stopped at the target".to_string(),
            Stopped::Problem { path, message } =>
                format!("STOPPED at {}: {message}", path.display()),
        }
    ))?;
    let snap = d.snapshot.map_or(String::new(), |(z, s, c)| {
        format!(
            "; snapshot digest at {z}: {}",
            if s == c { "ok" } else { "MISMATCH" }
        )
    });
    out.line(&format!(
        "digests:   {} passed, {} failed{}, {} skipped while fuzzy, {} txns without digest{snap}",
        d.passed,
        d.failed,
        d.first_mismatch
            .map_or(String::new(), |z| format!(" (first at {z})")),
        d.skipped_fuzzy,
        d.without_digest
    ))?;
    out.line(&format!(
        "tree:      {} nodes, {} sessions, digest {}",
        r.tree.node_count(),
        r.tree.sessions().len(),
        r.tree.digest()
    ))?;
    if let Some(n) = x.dropped_ephemerals {
        out.line(&format!("dropped:   {n} ephemeral nodes"))?;
    }
    if let Some(n) = x.dropped_sessions {
        out.line(&format!("dropped:   {n} sessions"))?;
    }
    for n in &r.notes {
        out.line(&format!(
            "{}     {}",
            if n.finding { "FINDING" } else { "note: " },
            n.message
        ))?;
    }
    if let Some((p, size)) = x.written {
        out.line(&format!("wrote:     {} ({})", p.display(), out.size(*size)))?;
    }
    Ok(())
}

/// With -v, what a replay used and how it ended (history, extract, du,
/// diff and recover replay too); with -vv each log.
pub fn verbose(out: &mut Output<'_>, r: &Replay) {
    if out.verbose == 0 {
        return;
    }
    let start = r.snapshot.as_ref().map_or_else(
        || "the initial tree".to_string(),
        |s| format!("{} (zxid {}, {} nodes)", s.path.display(), s.zxid, s.nodes),
    );
    out.note(&format!(
        "replay: from {start} through {} log{} to zxid {}: {} txns applied; {}",
        r.logs.len(),
        if r.logs.len() == 1 { "" } else { "s" },
        r.final_zxid(),
        r.applied,
        match &r.stopped {
            Stopped::EndOfLogs => "end of the logs".to_string(),
            Stopped::Target => "stopped at the target".to_string(),
            Stopped::Problem { path, message } =>
                format!("stopped at {}: {message}", path.display()),
        }
    ));
    for s in &r.skipped_snapshots {
        out.note(&format!(
            "replay: skipped {}: {}",
            s.path.display(),
            s.reason
        ));
    }
    for l in &r.logs {
        let how = match &l.stop {
            LogStop::End(e) => e.describe(),
            LogStop::Target => "stopped at the target".into(),
            LogStop::Fatal(e) => format!("stopped: {}", e.describe()),
        };
        out.detail(&format!(
            "replay: {}: {} applied, {} already in the snapshot; {how}",
            l.path.display(),
            l.applied,
            l.skipped
        ));
    }
}
