//! What `zkdd diff` writes: one line per change (text or JSON), the summary,
//! and for `--logs` where two members' histories part.

use std::io;

use serde_json::json;

use crate::format::jute::Acl;
use crate::format::txnlog::{IterOptions, TxnLog};
use crate::ops::diff::{
    Change, ChangeKind, Compared, Field, History, LogComparison, NodeView, Side, TxnAt,
};
use crate::render::human::{self, DataMode};
use crate::render::json::{NodeJson, TxnJson};
use crate::render::redact::Redaction;
use crate::render::{Output, Paint};
use crate::tree::OwnedAcl;
use crate::zxid::hex64;

/// How change lines look.
#[derive(Clone, Copy, Debug)]
pub struct ChangeOptions {
    /// Show old and new values (text).
    pub values: bool,
    /// How data is shown (text).
    pub data: DataMode,
}

/// Writes change lines, reusing one buffer.
pub struct ChangeLines {
    opts: ChangeOptions,
    line: String,
}

impl ChangeLines {
    /// Lines with these options.
    pub fn new(opts: ChangeOptions) -> ChangeLines {
        ChangeLines {
            opts,
            line: String::new(),
        }
    }

    /// Writes the line(s) of one change.
    pub fn change(&mut self, c: &Change<'_>, out: &mut Output<'_>) -> io::Result<()> {
        if out.json {
            change_json(c, out)
        } else {
            change_human(c, &self.opts, &mut self.line, out)
        }
    }
}

/// How many changes of each kind.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counts {
    /// Nodes only on the right.
    pub added: usize,
    /// Nodes only on the left.
    pub removed: usize,
    /// Nodes on both, different.
    pub modified: usize,
}

impl Counts {
    /// Counts one change.
    pub fn add(&mut self, c: &Change<'_>) {
        match c.kind {
            ChangeKind::Added => self.added += 1,
            ChangeKind::Removed => self.removed += 1,
            ChangeKind::Modified => self.modified += 1,
        }
    }

    /// True when anything differs.
    pub fn any(&self) -> bool {
        self.added + self.removed + self.modified > 0
    }
}

/// Two members' histories, compared (`diff --logs`).
pub struct LogsReport<'a> {
    /// The left side as given.
    pub left: &'a str,
    /// The right side as given.
    pub right: &'a str,
    /// The left member's txns.
    pub a: &'a History,
    /// The right member's txns.
    pub b: &'a History,
    /// The comparison.
    pub cmp: &'a LogComparison,
    /// How data is shown in text.
    pub data: DataMode,
}

fn range(h: &History) -> Option<String> {
    h.range().map(|(a, b)| format!("{a}..{b}"))
}

impl LogsReport<'_> {
    fn json(&self) -> serde_json::Value {
        json!({
            "left_range": range(self.a),
            "right_range": range(self.b),
            "overlap": self.cmp.overlap.map(|(a, b)| format!("{a}..{b}")),
            "equal_txns": self.cmp.equal,
            "equivalent_txns": self.cmp.equivalent.iter().map(|(z, why)| json!({
                "zxid": z.to_string(), "reason": why,
            })).collect::<Vec<_>>(),
            "first_divergence": self.cmp.divergence.as_ref().map(|d| d.zxid.to_string()),
            "tree_zxid": self.cmp.last_common.map(|z| z.to_string()),
        })
    }
}

/// What `--logs` found, before the tree diff: the `divergence` JSON line, or
/// the text lines.
pub fn logs(out: &mut Output<'_>, r: &LogsReport<'_>) -> io::Result<()> {
    let cmp = r.cmp;
    let div_json = cmp.divergence.as_ref().map(|d| {
        json!({
            "type": "divergence",
            "zxid": d.zxid.to_string(),
            "left": d.left.as_ref().map(|t| txn_value(r.a, t, r.data, out.json, out.redact)),
            "right": d.right.as_ref().map(|t| txn_value(r.b, t, r.data, out.json, out.redact)),
        })
    });
    if out.json {
        if let Some(d) = &div_json {
            out.json_line(d)?;
        }
        return Ok(());
    }
    let show = |r: Option<String>| r.unwrap_or_else(|| "no txns".into());
    out.comment(&format!("left logs:  {} ({})", r.left, show(range(r.a))))?;
    out.comment(&format!("right logs: {} ({})", r.right, show(range(r.b))))?;
    match cmp.overlap {
        Some((a, b)) => {
            let same = cmp.equal - cmp.equivalent.len() as u64;
            out.comment(&format!("compared {a}..{b}: {same} txns identical"))?;
            for (z, why) in &cmp.equivalent {
                out.comment(&format!("  equivalent at {z}: {why}"))?;
            }
        }
        None => out.comment("no zxid range both logs cover")?,
    }
    match (&cmp.divergence, &div_json) {
        (Some(d), Some(v)) => {
            out.line(&format!(
                "{} at zxid {}",
                out.paint(Paint::Bad, "FIRST DIVERGENCE"),
                d.zxid
            ))?;
            for side in ["left", "right"] {
                let text = v[side].as_str().unwrap_or("(no such txn)");
                out.line(&format!("  {side:<5} {text}"))?;
            }
        }
        _ => out.comment("histories agree over the common range")?,
    }
    if let Some(z) = cmp.last_common {
        out.line(&format!("tree diff at {z} (last common zxid):"))?;
    }
    Ok(())
}

/// The closing summary: a `summary` JSON line or one line of text.
pub fn summary(
    out: &mut Output<'_>,
    left: &Side,
    right: &Side,
    n: Counts,
    compared: Compared,
    logs: Option<&LogsReport<'_>>,
) -> io::Result<()> {
    if out.json {
        let side = |s: &Side| json!({"label": s.label, "zxid": s.zxid.map(|z| z.to_string())});
        return out.json_line(&json!({
            "type": "summary",
            "command": "diff",
            "left": side(left),
            "right": side(right),
            "added": n.added,
            "removed": n.removed,
            "modified": n.modified,
            "compared": {"left_nodes": compared.left_nodes, "right_nodes": compared.right_nodes},
            "logs": logs.map(LogsReport::json),
            "differences": n.any(),
        }));
    }
    let at = |s: &Side| s.zxid.map_or(String::new(), |z| format!(" at {z}"));
    out.comment(&format!(
        "{} added, {} removed, {} modified ({} nodes{} vs {} nodes{})",
        n.added,
        n.removed,
        n.modified,
        compared.left_nodes,
        at(left),
        compared.right_nodes,
        at(right)
    ))
}

fn acls<'a>(list: &'a Option<std::borrow::Cow<'a, [OwnedAcl]>>) -> Option<Vec<Acl<'a>>> {
    list.as_ref()
        .map(|l| l.iter().map(OwnedAcl::as_acl).collect())
}

fn node_json<'b>(
    n: &'b NodeView<'_>,
    acl: Option<&'b [Acl<'b>]>,
    redact: Redaction,
) -> NodeJson<'b, 'b> {
    NodeJson {
        path: n.path(),
        data: n.data,
        acl,
        stat: &n.stat,
        num_children: n.num_children,
        origin: None,
        redact,
    }
}

/// A change line; fields in contract order.
#[derive(serde::Serialize)]
struct ChangeJson<'b> {
    #[serde(rename = "type")]
    kind: &'static str,
    path: std::borrow::Cow<'b, str>,
    change: &'static str,
    fields: Vec<&'static str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    null_vs_empty: bool,
    left: Option<NodeJson<'b, 'b>>,
    right: Option<NodeJson<'b, 'b>>,
}

fn change_json(c: &Change<'_>, out: &mut Output<'_>) -> io::Result<()> {
    let r = out.redact;
    let la = c.left.as_ref().and_then(|n| acls(&n.acl));
    let ra = c.right.as_ref().and_then(|n| acls(&n.acl));
    out.json_line(&ChangeJson {
        kind: "difference",
        path: String::from_utf8_lossy(c.path()),
        change: c.kind.name(),
        fields: c.fields.iter().map(|f| f.name()).collect(),
        null_vs_empty: c.null_vs_empty,
        left: c.left.as_ref().map(|n| node_json(n, la.as_deref(), r)),
        right: c.right.as_ref().map(|n| node_json(n, ra.as_deref(), r)),
    })
}

fn field_value(f: Field, n: &NodeView<'_>, mode: DataMode, r: Redaction) -> String {
    let s = &n.stat;
    match f {
        Field::Data => r.text_data(n.data, mode, 0),
        Field::Acl => human::acl_as(acls(&n.acl).as_deref(), r),
        Field::Czxid => s.czxid.to_string(),
        Field::Mzxid => s.mzxid.to_string(),
        Field::Pzxid => s.pzxid.to_string(),
        Field::Ctime => crate::timefmt::display(s.ctime, false),
        Field::Mtime => crate::timefmt::display(s.mtime, false),
        Field::Version => s.version.to_string(),
        Field::Cversion => s.cversion.to_string(),
        Field::Aversion => s.aversion.to_string(),
        Field::EphemeralOwner => hex64(s.ephemeral_owner),
    }
}

/// Appends a path as [`human::path`] shows it (printable ASCII as is).
fn push_path(line: &mut String, p: &[u8]) {
    match std::str::from_utf8(p) {
        Ok(s) if p.iter().all(|b| (0x21..0x7f).contains(b)) => line.push_str(s),
        _ => line.push_str(&human::path(p)),
    }
}

/// A change line; `line` is a buffer reused from one change to the next.
fn change_human(
    c: &Change<'_>,
    opts: &ChangeOptions,
    line: &mut String,
    out: &mut Output<'_>,
) -> io::Result<()> {
    line.clear();
    match (c.kind, &c.left, &c.right) {
        (ChangeKind::Modified, Some(l), Some(r)) => {
            line.push_str(&out.paint(Paint::Warn, "~"));
            line.push(' ');
            push_path(line, c.path());
            line.push_str("  ");
            for (k, f) in c.fields.iter().enumerate() {
                if k > 0 {
                    line.push(',');
                }
                // Data is the first field when null_vs_empty is set.
                line.push_str(match k {
                    0 if c.null_vs_empty => "data(null_vs_empty)",
                    _ => f.name(),
                });
            }
            out.line(line)?;
            if opts.values {
                for f in &c.fields {
                    out.line(&format!(
                        "    {}: {} -> {}",
                        f.name(),
                        field_value(*f, l, opts.data, out.redact),
                        field_value(*f, r, opts.data, out.redact)
                    ))?;
                }
            }
        }
        (kind, l, r) => {
            line.push_str(&if kind == ChangeKind::Added {
                out.paint(Paint::Good, "+")
            } else {
                out.paint(Paint::Bad, "-")
            });
            line.push(' ');
            push_path(line, c.path());
            out.line(line)?;
            if opts.values
                && let Some(n) = l.as_ref().or(r.as_ref())
            {
                out.line(&format!(
                    "    data {} acl {} {}",
                    out.redact.text_data(n.data, opts.data, 0),
                    human::acl_as(acls(&n.acl).as_deref(), out.redact),
                    human::stat(
                        &n.stat,
                        n.data.map_or(0, <[u8]>::len),
                        n.num_children,
                        false
                    )
                ))?;
            }
        }
    }
    Ok(())
}

fn txn_value(
    h: &History,
    t: &TxnAt,
    mode: DataMode,
    out_json: bool,
    redact: Redaction,
) -> serde_json::Value {
    let (path, bytes) = &h.files[t.file];
    let file = path.display().to_string();
    let Ok(log) = TxnLog::parse(bytes) else {
        return serde_json::Value::Null;
    };
    let entry = log
        .entries_at(
            t.offset,
            IterOptions {
                limits: Default::default(),
                verify_checksums: false,
            },
        )
        .next();
    match entry {
        Some(e) if out_json => serde_json::to_value(TxnJson {
            file: &file,
            offset: e.offset,
            txn: &e.txn,
            size: e.framed_len(),
            redact,
        })
        .unwrap_or(serde_json::Value::Null),
        Some(e) => json!(format!(
            "{file} @ {:#x}: {}",
            e.offset,
            human::txn_line(&e.txn, mode, 200, false, true, redact)
        )),
        None => serde_json::Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_path_shows_paths_as_human_path_does() {
        let paths: [&[u8]; 7] = [
            b"/",
            b"/app/cfg-1.2",
            b"/with space",
            b"/tab\there",
            b"/caf\xc3\xa9",
            b"/bad\xff",
            b"/del\x7f",
        ];
        for p in paths {
            let mut line = String::from("~ ");
            push_path(&mut line, p);
            assert_eq!(line, format!("~ {}", human::path(p)), "{p:?}");
        }
    }
}
