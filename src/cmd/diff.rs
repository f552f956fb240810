//! `zkdd diff`: what was added, removed or modified between two trees, and
//! where two ensemble members' histories part.

use std::path::PathBuf;

use serde_json::json;

use crate::cmd::args::GlobalArgs;
use crate::error::{Error, ExitStatus};
use crate::files::datadir::DataDir;
use crate::format::jute::{Acl, perms_letters};
use crate::format::snapshot::NodeKind;
use crate::format::txnlog::{IterOptions, TxnLog};
use crate::ops::diff::{
    self, Change, ChangeKind, DiffOptions, Field, History, NodeView, Side, SideSpec, TxnAt,
};
use crate::render::Output;
use crate::render::human::{self, DataMode};
use crate::render::json::{NodeJson, TxnJson};
use crate::tree::OwnedAcl;
use crate::tree::replay::Target;
use crate::zxid::hex64;

/// Compare two trees: a snapshot file, a data dir (its newest recoverable
/// state), a data dir at a point (DIR@0x1a2b or DIR@2026-11-23T03:14:00Z)
/// or a JSON Lines tree from `zkdd replay --json` / `zkdd dump --json`.
///
/// Compared: existence, data (null and empty differ), the resolved ACL list
/// (never the cache id) and each persisted stat field. Not compared by
/// default: ZooKeeper's quota stat nodes (/zookeeper/quota/**/zookeeper_stats,
/// rewritten on every change under a quota) and /zookeeper/config (each
/// member writes its own).
///
/// --logs compares two members' transaction logs zxid by zxid over the range
/// both cover, reports the first zxid where they differ (other bytes, or a
/// txn only one has) with both versions, then the tree diff at the last
/// zxid both agree on.
#[derive(clap::Args, Debug, Default)]
#[command(after_help = "Examples:
  zkdd diff backup/snapshot.1a2b /var/lib/zookeeper           backup vs now
  zkdd diff /var/lib/zookeeper@0x100 /var/lib/zookeeper@0x200  what happened between
  zkdd diff --ignore stat --prefix /app a.jsonl b.jsonl        data, ACL and existence only
  zkdd diff --script DIR@2026-11-23T03:14:00Z DIR | zkCli.sh -server host:2181   undo
  zkdd diff --logs /data/member1 /data/member2                 ensemble divergence

Output: `+ /path` added, `- /path` removed, `~ /path  data,acl,...` modified
(--values shows old and new), then a summary line. --json: one
{\"type\":\"change\",\"path\",\"change\":\"added|removed|modified\",\"fields\",
\"left\":{node}|null,\"right\":{node}|null} line each (node objects as in zkdd
dump; \"null_vs_empty\":true when data is null on one side and empty on the
other), then {\"type\":\"summary\",...}; --logs adds {\"type\":\"divergence\",...}.
--script: zkCli commands that turn LEFT into RIGHT (deletes children first,
creates parents first, ACLs last); ephemeral nodes, null data in `set`, and
data zkCli cannot quote (binary, newlines, both quote kinds) are skipped with a
warning. Stat fields cannot be set through a client.

Exit status:
  0  no differences
  1  differences (or, with --logs, diverging histories)
  2  could not run: usage, I/O error, unreadable input")]
pub struct Args {
    /// Left side: snapshot file, data dir, DIR@ZXID, DIR@TIME or JSON Lines tree.
    #[arg(value_name = "LEFT")]
    pub left: String,
    /// Right side, as LEFT.
    #[arg(value_name = "RIGHT")]
    pub right: String,
    /// Compare two members' transaction logs (LEFT and RIGHT are data dirs).
    #[arg(long)]
    pub logs: bool,
    /// Show old and new values of modified fields (and added/removed nodes).
    #[arg(long)]
    pub values: bool,
    /// Print a zkCli script that turns LEFT into RIGHT.
    #[arg(long, conflicts_with = "logs")]
    pub script: bool,
    /// Only this subtree.
    #[arg(long, value_name = "PATH")]
    pub prefix: Option<String>,
    /// Do not compare: `stat` (every stat field) or a field (data, acl, czxid, mzxid, pzxid, ctime, mtime, version, cversion, aversion, ephemeral_owner).
    #[arg(long, value_name = "FIELD", value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Leave out ephemeral nodes on both sides.
    #[arg(long)]
    pub ignore_ephemeral: bool,
    /// Also compare the quota stat nodes (/zookeeper/quota/**/zookeeper_stats).
    #[arg(long)]
    pub include_quota_stats: bool,
    /// Also compare /zookeeper/config.
    #[arg(long)]
    pub include_config: bool,
    /// How data is shown with --values.
    #[arg(long, value_enum, default_value_t = DataMode::Text)]
    pub data: DataMode,
}

/// Runs `zkdd diff`.
pub fn run(args: &Args, global: &GlobalArgs, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    let mut opts = DiffOptions {
        prefix: args.prefix.as_ref().map(|p| p.as_bytes().to_vec()),
        ignore_ephemeral: args.ignore_ephemeral,
        include_quota_stats: args.include_quota_stats,
        include_config: args.include_config,
        ..DiffOptions::default()
    };
    for w in &args.ignore {
        opts.ignore.extend(diff::parse_ignore(w)?);
    }
    if args.script && out.json {
        return Err(Error::Usage("--script and --json do not mix".into()));
    }
    if args.logs {
        return run_logs(args, global, &opts, out);
    }
    let specs = [
        diff::parse_side(&args.left, global.local)?,
        diff::parse_side(&args.right, global.local)?,
    ];
    // The two sides load on two threads; the left side's error comes first.
    let (left, right) = std::thread::scope(|s| {
        let right =
            s.spawn(|| diff::load_side(&specs[1], &args.right, global.no_mmap, global.limits()));
        let left = diff::load_side(&specs[0], &args.left, global.no_mmap, global.limits());
        let right = right
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (left, right)
    });
    let (left, right) = (left?, right?);
    compare_and_report(args, &opts, &left, &right, None, out)
}

fn compare_and_report(
    args: &Args,
    opts: &DiffOptions,
    left: &Side,
    right: &Side,
    logs: Option<serde_json::Value>,
    out: &mut Output<'_>,
) -> Result<ExitStatus, Error> {
    for n in left.notes.iter().chain(&right.notes) {
        out.warn(n);
    }
    let (ln, rn) = (left.nodes(), right.nodes());
    let (mut added, mut removed, mut modified) = (0usize, 0usize, 0usize);
    let mut count = |c: &Change<'_>| match c.kind {
        ChangeKind::Added => added += 1,
        ChangeKind::Removed => removed += 1,
        ChangeKind::Modified => modified += 1,
    };
    // Changes are written as the merge finds them, except for --script,
    // which orders deletes children first.
    let compared = if args.script {
        let (changes, compared) = diff::diff(&ln, &rn, opts);
        changes.iter().for_each(&mut count);
        write_script(&changes, out)?;
        compared
    } else {
        let mut line = String::new();
        diff::diff_each(&ln, &rn, opts, |c| {
            count(&c);
            if out.json {
                change_json(&c, out)
            } else {
                change_human(&c, args, &mut line, out)
            }
        })?
    };
    let differences = added + removed + modified > 0;
    if args.script {
        // The script is all the output.
    } else if out.json {
        let side = |s: &Side| json!({"label": s.label, "zxid": s.zxid.map(|z| z.to_string())});
        out.json_line(&json!({
            "type": "summary",
            "left": side(left),
            "right": side(right),
            "added": added,
            "removed": removed,
            "modified": modified,
            "compared": {"left_nodes": compared.left_nodes, "right_nodes": compared.right_nodes},
            "logs": logs,
            "differences": differences,
        }))?;
    } else {
        let at = |s: &Side| s.zxid.map_or(String::new(), |z| format!(" at {z}"));
        out.line(&format!(
            "{added} added, {removed} removed, {modified} modified ({} nodes{} vs {} nodes{})",
            compared.left_nodes,
            at(left),
            compared.right_nodes,
            at(right)
        ))?;
    }
    Ok(if !differences {
        ExitStatus::Ok
    } else {
        ExitStatus::Findings
    })
}

fn acls<'a>(list: &'a Option<std::borrow::Cow<'a, [OwnedAcl]>>) -> Option<Vec<Acl<'a>>> {
    list.as_ref()
        .map(|l| l.iter().map(OwnedAcl::as_acl).collect())
}

fn node_json<'b>(n: &'b NodeView<'_>, acl: Option<&'b [Acl<'b>]>) -> NodeJson<'b, 'b> {
    NodeJson {
        path: n.path(),
        data: n.data,
        acl,
        stat: &n.stat,
        num_children: n.num_children,
        origin: None,
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

fn change_json(c: &Change<'_>, out: &mut Output<'_>) -> Result<(), Error> {
    let la = c.left.as_ref().and_then(|n| acls(&n.acl));
    let ra = c.right.as_ref().and_then(|n| acls(&n.acl));
    out.json_line(&ChangeJson {
        kind: "change",
        path: String::from_utf8_lossy(c.path()),
        change: c.kind.name(),
        fields: c.fields.iter().map(|f| f.name()).collect(),
        null_vs_empty: c.null_vs_empty,
        left: c.left.as_ref().map(|n| node_json(n, la.as_deref())),
        right: c.right.as_ref().map(|n| node_json(n, ra.as_deref())),
    })?;
    Ok(())
}

fn field_value(f: Field, n: &NodeView<'_>, mode: DataMode) -> String {
    let s = &n.stat;
    match f {
        Field::Data => human::data(n.data, mode),
        Field::Acl => human::acl(acls(&n.acl).as_deref()),
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
    args: &Args,
    line: &mut String,
    out: &mut Output<'_>,
) -> Result<(), Error> {
    line.clear();
    match (c.kind, &c.left, &c.right) {
        (ChangeKind::Modified, Some(l), Some(r)) => {
            line.push_str("~ ");
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
            if args.values {
                for f in &c.fields {
                    out.line(&format!(
                        "    {}: {} -> {}",
                        f.name(),
                        field_value(*f, l, args.data),
                        field_value(*f, r, args.data)
                    ))?;
                }
            }
        }
        (kind, l, r) => {
            line.push_str(if kind == ChangeKind::Added {
                "+ "
            } else {
                "- "
            });
            push_path(line, c.path());
            out.line(line)?;
            if args.values
                && let Some(n) = l.as_ref().or(r.as_ref())
            {
                out.line(&format!(
                    "    data {} acl {} {}",
                    human::data(n.data, args.data),
                    human::acl(acls(&n.acl).as_deref()),
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

// ---- --script ---------------------------------------------------------------

/// Quotes one zkCli argument (its tokenizer takes `"..."`, `'...'` or a bare
/// word, with no escapes); `None` when zkCli cannot express it.
fn zk_quote(bytes: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(bytes).ok()?;
    if s.contains(['\n', '\r']) || s.chars().any(char::is_control) {
        return None;
    }
    if !s.contains('"') {
        Some(format!("\"{s}\""))
    } else if !s.contains('\'') {
        Some(format!("'{s}'"))
    } else {
        None
    }
}

/// `scheme:id:perms,...` as zkCli's ACL parser reads it.
fn zk_acl(list: &[OwnedAcl]) -> Option<String> {
    let mut parts = Vec::with_capacity(list.len());
    for a in list {
        let scheme = std::str::from_utf8(&a.scheme).ok()?;
        let id = std::str::from_utf8(&a.id).ok()?;
        if scheme.contains([',', ':']) || id.contains(',') {
            return None;
        }
        parts.push(format!("{scheme}:{id}:{}", perms_letters(a.perms)));
    }
    zk_quote(parts.join(",").as_bytes())
}

fn is_open_acl(list: &[OwnedAcl]) -> bool {
    list == crate::tree::open_acl_unsafe().as_slice()
}

fn write_script(changes: &[Change<'_>], out: &mut Output<'_>) -> Result<(), Error> {
    let mut skipped = 0usize;
    let mut skip = |out: &mut Output<'_>, path: &[u8], why: &str| {
        skipped += 1;
        out.warn(&format!("--script: {}: {why}; skipped", human::path(path)));
    };
    let mut lines: Vec<String> = Vec::new();
    // Deletes, children first.
    for c in changes
        .iter()
        .rev()
        .filter(|c| c.kind == ChangeKind::Removed)
    {
        match zk_quote(c.path()) {
            Some(p) => lines.push(format!("delete {p}")),
            None => skip(out, c.path(), "path zkCli cannot quote"),
        }
    }
    let mut acl_lines = Vec::new();
    // Creates and sets, parents first (path order puts a parent before its children).
    for c in changes {
        let Some(r) = &c.right else { continue };
        let Some(path) = zk_quote(r.path()) else {
            skip(out, r.path(), "path zkCli cannot quote");
            continue;
        };
        let acl_change = match c.kind {
            ChangeKind::Added => r.acl.as_deref().is_some_and(|a| !is_open_acl(a)),
            _ => c.fields.contains(&Field::Acl),
        };
        if c.kind == ChangeKind::Added {
            let flag = match NodeKind::of(r.stat.ephemeral_owner) {
                NodeKind::Persistent => String::new(),
                NodeKind::Container => "-c ".into(),
                NodeKind::Ttl(ttl) => format!("-t {ttl} "),
                NodeKind::Ephemeral(_) => {
                    skip(out, r.path(), "ephemeral node (it belongs to a session)");
                    continue;
                }
            };
            match r.data {
                None => lines.push(format!("create {flag}{path}")),
                Some(d) => match zk_quote(d) {
                    Some(q) => lines.push(format!("create {flag}{path} {q}")),
                    None => {
                        skip(out, r.path(), "data zkCli cannot express");
                        continue;
                    }
                },
            }
        } else if c.fields.contains(&Field::Data) {
            match r.data.map(zk_quote) {
                Some(Some(q)) => lines.push(format!("set {path} {q}")),
                Some(None) => skip(out, r.path(), "data zkCli cannot express"),
                None => skip(out, r.path(), "null data cannot be set through zkCli"),
            }
        }
        if acl_change {
            match r.acl.as_deref().map(zk_acl) {
                Some(Some(a)) => acl_lines.push(format!("setAcl {path} {a}")),
                _ => skip(out, r.path(), "ACL zkCli cannot express"),
            }
        }
    }
    // ACLs last, so a restrictive one cannot block the creates below it.
    lines.extend(acl_lines);
    for l in &lines {
        out.line(l)?;
    }
    if skipped > 0 {
        out.warn(&format!(
            "--script: {skipped} change(s) could not be expressed in zkCli"
        ));
    }
    Ok(())
}

// ---- --logs -------------------------------------------------------------------

fn txn_value(h: &History, t: &TxnAt, mode: DataMode, out_json: bool) -> serde_json::Value {
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
        })
        .unwrap_or(serde_json::Value::Null),
        Some(e) => json!(format!(
            "{file} @ {:#x}: {}",
            e.offset,
            human::txn_line(&e.txn, mode, 200, false, true)
        )),
        None => serde_json::Value::Null,
    }
}

fn run_logs(
    args: &Args,
    global: &GlobalArgs,
    opts: &DiffOptions,
    out: &mut Output<'_>,
) -> Result<ExitStatus, Error> {
    let dir = |s: &str| -> Result<PathBuf, Error> {
        let p = PathBuf::from(s);
        if p.is_dir() {
            Ok(p)
        } else {
            Err(Error::Usage(format!("--logs: {s}: not a data dir")))
        }
    };
    let (da, db) = (dir(&args.left)?, dir(&args.right)?);
    let (dd_a, dd_b) = (DataDir::open(&da, None)?, DataDir::open(&db, None)?);
    let ha = diff::read_history(&dd_a, global.no_mmap, global.limits())?;
    let hb = diff::read_history(&dd_b, global.no_mmap, global.limits())?;
    let cmp = diff::compare_histories(&ha, &hb);
    let range = |h: &History| h.range().map(|(a, b)| format!("{a}..{b}"));
    let div_json = cmp.divergence.as_ref().map(|d| {
        json!({
            "type": "divergence",
            "zxid": d.zxid.to_string(),
            "left": d.left.as_ref().map(|t| txn_value(&ha, t, args.data, out.json)),
            "right": d.right.as_ref().map(|t| txn_value(&hb, t, args.data, out.json)),
        })
    });
    let logs = json!({
        "left_range": range(&ha),
        "right_range": range(&hb),
        "overlap": cmp.overlap.map(|(a, b)| format!("{a}..{b}")),
        "equal_txns": cmp.equal,
        "first_divergence": cmp.divergence.as_ref().map(|d| d.zxid.to_string()),
        "tree_zxid": cmp.last_common.map(|z| z.to_string()),
    });
    if out.json {
        if let Some(d) = &div_json {
            out.json_line(d)?;
        }
    } else {
        let show = |r: Option<String>| r.unwrap_or_else(|| "no txns".into());
        out.line(&format!("left logs:  {} ({})", args.left, show(range(&ha))))?;
        out.line(&format!(
            "right logs: {} ({})",
            args.right,
            show(range(&hb))
        ))?;
        match cmp.overlap {
            Some((a, b)) => {
                out.line(&format!("compared {a}..{b}: {} txns identical", cmp.equal))?
            }
            None => out.line("no zxid range both logs cover")?,
        }
        match (&cmp.divergence, &div_json) {
            (Some(d), Some(v)) => {
                out.line(&format!("FIRST DIVERGENCE at zxid {}", d.zxid))?;
                for side in ["left", "right"] {
                    let text = v[side].as_str().unwrap_or("(no such txn)");
                    out.line(&format!("  {side:<5} {text}"))?;
                }
            }
            _ => out.line("histories agree over the common range")?,
        }
        if let Some(z) = cmp.last_common {
            out.line(&format!("tree diff at {z} (last common zxid):"))?;
        }
    }
    let target = cmp.last_common.map_or(Target::End, Target::ToZxid);
    let mut status = ExitStatus::Ok;
    if cmp.last_common.is_none_or(|z| z.0 >= 0) {
        let left = diff::load_side(
            &SideSpec::Dir(da, target),
            &args.left,
            global.no_mmap,
            global.limits(),
        )?;
        let right = diff::load_side(
            &SideSpec::Dir(db, target),
            &args.right,
            global.no_mmap,
            global.limits(),
        )?;
        status = compare_and_report(args, opts, &left, &right, Some(logs), out)?;
    }
    if cmp.divergence.is_some() {
        status = ExitStatus::Findings;
    }
    Ok(status)
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
