//! What `zkdd ls` writes: a table of a data dir's files (like `etcdutl
//! snapshot status -w table`), or `file` lines and a `summary` line.

use std::io;

use serde_json::json;

use crate::ops::ls::{Kind, Listing, Row, Startup};
use crate::ops::verify::{FileEnd, Outcome};
use crate::render::{Output, Paint, sanitize};

/// Writes the listing. With `only_damaged` (`--quiet`), the table holds
/// only the rows of damaged files, followed by why startup would fail when
/// it would, and nothing is written when all is well; JSON lines are always
/// written.
pub fn listing(out: &mut Output<'_>, l: &Listing, only_damaged: bool) -> io::Result<()> {
    if out.json {
        for r in &l.rows {
            out.json_line(&file_json(r))?;
        }
        return out.json_line(&summary_json(l));
    }
    if !only_damaged {
        let rows: Vec<&Row> = l.rows.iter().collect();
        table(out, &rows)?;
        return out.comment(&summary_text(out, l));
    }
    let rows: Vec<&Row> = l
        .rows
        .iter()
        .filter(|r| matches!(r.end, Some(FileEnd::Damaged { .. })))
        .collect();
    if !rows.is_empty() {
        table(out, &rows)?;
    }
    if let Some(Outcome::Fail(why)) = &l.outcome {
        out.line(&sanitize(&format!("startup fails: {why}")))?;
    }
    Ok(())
}

/// The `file` JSON line of a row.
fn file_json(r: &Row) -> serde_json::Value {
    let (end, code, offset) = match &r.end {
        None => (None, None, None),
        Some(FileEnd::Clean) => (Some("clean"), None, None),
        Some(FileEnd::Padding) => (Some("padding"), None, None),
        Some(FileEnd::CrashTail { code, offset }) => {
            (Some("crash_tail"), Some(*code), Some(*offset))
        }
        Some(FileEnd::Damaged { code, offset }) => (Some("damaged"), Some(*code), *offset),
    };
    let (startup, rejected) = match &r.startup {
        None => (None, None),
        Some(Startup::Loads) => (Some("loads"), None),
        Some(Startup::Replays) => (Some("replays"), None),
        Some(Startup::NotRead) => (Some("not_read"), None),
        Some(Startup::Rejected(why)) => (Some("rejected"), Some(why.as_str())),
    };
    json!({
        "type": "file",
        "file": r.path.display().to_string(),
        "name": r.name,
        "kind": r.kind.as_str(),
        "zxid": r.name_zxid.map(|z| z.to_string()),
        "first_zxid": r.zxids.map(|(a, _)| a.to_string()),
        "last_zxid": r.zxids.map(|(_, b)| b.to_string()),
        "txns": r.txns,
        "nodes": r.nodes,
        "size": r.size,
        "end": end,
        "code": code,
        "offset": offset,
        "follows": r.follows,
        "startup": startup,
        "rejected": rejected,
        "value": r.value,
    })
}

fn summary_json(l: &Listing) -> serde_json::Value {
    let count = |k: Kind| l.rows.iter().filter(|r| r.kind == k).count();
    let (starts_at, fails) = match &l.outcome {
        Some(Outcome::Start(z)) => (Some(z.to_string()), None),
        Some(Outcome::Fail(why)) => (None, Some(why.clone())),
        None => (None, None),
    };
    json!({
        "type": "summary",
        "command": "ls",
        "snap_dir": l.snap_dir.display().to_string(),
        "log_dir": l.log_dir.display().to_string(),
        "files": l.rows.len(),
        "logs": count(Kind::Log),
        "snapshots": count(Kind::Snapshot),
        "txns": l.rows.iter().filter_map(|r| r.txns).sum::<u64>(),
        "size": l.rows.iter().map(|r| r.size).sum::<u64>(),
        "damaged": l.damaged(),
        "crash_tails": l.crash_tails(),
        "loads": l.loads,
        "starts_at": starts_at,
        "fails": fails,
    })
}

/// `2 logs (45 txns), 3 snapshots, 1.2 MiB; startup loads snapshot.1a and
/// starts at 0x2d` (or why it fails), with the damaged files counted.
fn summary_text(out: &Output<'_>, l: &Listing) -> String {
    let count = |k: Kind| l.rows.iter().filter(|r| r.kind == k).count();
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    let txns: u64 = l.rows.iter().filter_map(|r| r.txns).sum();
    let mut s = format!(
        "{} ({txns} txn{}), {}, {} (total size {})",
        plural(count(Kind::Log), "log"),
        if txns == 1 { "" } else { "s" },
        plural(count(Kind::Snapshot), "snapshot"),
        plural(l.rows.len(), "file"),
        out.size(l.rows.iter().map(|r| r.size).sum()),
    );
    match (&l.outcome, &l.loads) {
        (Some(Outcome::Start(z)), Some(snap)) => {
            s.push_str(&format!("; startup loads {snap} and starts at {z}"))
        }
        (Some(Outcome::Start(z)), None) => s.push_str(&format!("; startup starts at {z}")),
        (Some(Outcome::Fail(why)), _) => s.push_str(&format!("; startup fails: {why}")),
        (None, _) => {}
    }
    if l.damaged() > 0 {
        s.push_str(&format!("; {} damaged", plural(l.damaged(), "file")));
    }
    if l.crash_tails() > 0 {
        s.push_str(&format!("; {}", plural(l.crash_tails(), "crash tail")));
    }
    sanitize(&s)
}

/// The columns of the table.
const HEADERS: [&str; 9] = [
    "NAME",
    "KIND",
    "ZXIDS",
    "EPOCH:COUNTER",
    "HOLDS",
    "SIZE",
    "ENDS",
    "FOLLOWS",
    "STARTUP",
];

/// Right-aligned columns (numbers).
const RIGHT: [bool; 9] = [false, false, false, false, true, true, false, false, false];

/// The cells of a row, and how its ENDS cell is painted.
fn cells(out: &Output<'_>, r: &Row) -> ([String; 9], Option<Paint>) {
    let dash = || "-".to_string();
    let (zxids, epochs) = match (r.zxids, r.name_zxid) {
        (Some((a, b)), _) => (
            format!("{a}..{b}"),
            format!(
                "{}:{}..{}:{}",
                a.epoch(),
                a.counter(),
                b.epoch(),
                b.counter()
            ),
        ),
        (None, Some(z)) if r.kind == Kind::Snapshot => {
            (z.to_string(), format!("{}:{}", z.epoch(), z.counter()))
        }
        _ => (dash(), dash()),
    };
    let holds = match (r.kind, r.txns, r.nodes, &r.value) {
        (Kind::Log, Some(n), _, _) => format!("{n} txn{}", if n == 1 { "" } else { "s" }),
        (Kind::Snapshot, _, Some(n), _) => format!("{n} node{}", if n == 1 { "" } else { "s" }),
        (Kind::Epoch, _, _, Some(v)) => format!("epoch {v}"),
        (Kind::Myid, _, _, Some(v)) => format!("id {v}"),
        _ => dash(),
    };
    let (ends, paint) = match &r.end {
        None => (dash(), None),
        Some(FileEnd::Clean) => ("clean".to_string(), Some(Paint::Good)),
        Some(FileEnd::Padding) => ("zero padding".to_string(), Some(Paint::Good)),
        Some(FileEnd::CrashTail { code, offset }) => (
            format!("crash tail at {offset:#x} ({code})"),
            Some(Paint::Warn),
        ),
        Some(FileEnd::Damaged {
            code,
            offset: Some(o),
        }) => (format!("damaged at {o:#x} ({code})"), Some(Paint::Bad)),
        Some(FileEnd::Damaged { code, offset: None }) => {
            (format!("damaged ({code})"), Some(Paint::Bad))
        }
    };
    let startup = match &r.startup {
        None => dash(),
        Some(Startup::Loads) => "loads".to_string(),
        Some(Startup::Replays) => "replays".to_string(),
        Some(Startup::NotRead) => "not read".to_string(),
        Some(Startup::Rejected(why)) => format!("rejected: {why}"),
    };
    (
        [
            r.name.clone(),
            r.kind.as_str().to_string(),
            zxids,
            epochs,
            holds,
            out.size(r.size),
            ends,
            r.follows.clone().unwrap_or_else(dash),
            startup,
        ]
        .map(|c| sanitize(&c)),
        paint,
    )
}

/// A bordered table, `etcdutl -w table` style.
fn table(out: &mut Output<'_>, rows: &[&Row]) -> io::Result<()> {
    let body: Vec<([String; 9], Option<Paint>)> = rows.iter().map(|r| cells(out, r)).collect();
    let mut widths = HEADERS.map(|h| h.chars().count());
    for (c, _) in &body {
        for (w, cell) in widths.iter_mut().zip(c) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let rule = {
        let mut s = String::from("+");
        for w in widths {
            s.push_str(&"-".repeat(w + 2));
            s.push('+');
        }
        s
    };
    let line = |cells: &[String; 9], paint: Option<Paint>, header: bool| {
        let mut s = String::from("|");
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            let pad = w - cell.chars().count();
            let padded = if header {
                let left = pad / 2;
                format!("{}{cell}{}", " ".repeat(left), " ".repeat(pad - left))
            } else if RIGHT[i] {
                format!("{}{cell}", " ".repeat(pad))
            } else {
                format!("{cell}{}", " ".repeat(pad))
            };
            // Padded before painting: escape codes have no width.
            let painted = match paint {
                Some(p) if i == 6 => out.paint(p, &padded),
                _ => padded,
            };
            s.push(' ');
            s.push_str(&painted);
            s.push_str(" |");
        }
        s
    };
    let mut lines = vec![
        rule.clone(),
        line(&HEADERS.map(str::to_string), None, true),
        rule.clone(),
    ];
    lines.extend(body.iter().map(|(c, paint)| line(c, *paint, false)));
    lines.push(rule);
    for l in &lines {
        out.line(l)?;
    }
    Ok(())
}
