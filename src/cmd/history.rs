//! `zkdd history`: every change to a znode (or subtree) across a data dir.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::cmd::args::{ConfigArgs, GlobalArgs};
use crate::error::{Error, ExitStatus};
use crate::format::jute::Acl;
use crate::format::snapshot::NodeKind;
use crate::ops::history::{self, Change, History, NodeState, SessionLife};
use crate::render::Output;
use crate::render::json::{AclListJson, DataJson, StatJson, lossy, time_json};
use crate::timefmt;
use crate::zxid::hex64;

/// Every change to a znode across all snapshots and logs of a data dir: zxid,
/// time, session, op, and the node (data, version, ACL) before and after.
///
/// The data dir is replayed from the oldest point it allows: ZooKeeper's
/// empty tree when the logs reach the first txn, else the oldest snapshot
/// (changes before it are gone). Changes inside multis, deletes of
/// ephemerals when their session closed or expired (closeSession; cxid 0 is
/// an expiry by the session tracker) and deletes of empty containers or
/// expired TTL nodes by the container manager (deleteContainer, session 0)
/// are included, with the reason. For an ephemeral node, the owner
/// session's createSession and closeSession are shown when the logs hold them.
#[derive(clap::Args, Debug, Default)]
#[command(after_help = "Examples:
  zkdd history /app/cfg /var/lib/zookeeper           who changed /app/cfg, when, from what to what
  zkdd history /app /var/lib/zookeeper --prefix      everything under /app
  zkdd history /app/lock /var/lib/zookeeper --json | jq 'select(.type==\"history\")'

JSON (--json): one {\"type\":\"history\"} line per change: zxid, time, time_ms, session,
cxid, op (the sub-op for multis), path, via (txn, multi, closeSession,
sessionExpiry, containerManager, ttlExpiry), err (non-zero: a failed multi,
nothing changed), before and after (null when the node is absent, else
{data, acl, stat} as in zkdd dump), owner (for ephemerals: session, created_zxid,
created_time, timeout_ms, closed_zxid, closed_time, expired). Then one
{\"type\":\"summary\"} line: start, final_zxid, changes.

Exit status:
  0  the history was read; every file ended as ZooKeeper expects
  1  findings: a file ZooKeeper would refuse or cut short, a gap (the history may be incomplete)
  2  could not run: usage, I/O error, no usable start")]
pub struct Args {
    /// The znode, e.g. /app/cfg.
    #[arg(value_name = "PATH")]
    pub path: String,
    /// The data dir (dataDir, its version-2/, or default from --config / zoo.cfg).
    #[arg(value_name = "DATADIR")]
    pub dir: Option<PathBuf>,
    /// Where to find the data dir when none is given.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Include every node below PATH too.
    #[arg(long)]
    pub prefix: bool,
}

/// Runs `zkdd history`.
pub fn run(args: &Args, global: &GlobalArgs, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    if !args.path.starts_with('/') {
        return Err(Error::Usage(format!(
            "{:?}: a znode path starts with '/'",
            args.path
        )));
    }
    let dir = args.config.open(args.dir.as_deref(), out)?;
    let pb = out.progress(0, "history");
    let h = history::history(
        &dir,
        args.path.as_bytes(),
        args.prefix,
        global.no_mmap,
        global.limits(),
        &mut |d, t| {
            pb.set_length(t);
            pb.set_position(d);
        },
    )?;
    pb.finish_and_clear();
    for n in h.replay.notes.iter().filter(|n| n.finding) {
        out.warn(&n.message);
    }
    if out.json {
        for c in &h.changes {
            out.json_line(&change_json(c, &h))?;
        }
        out.json_line(&json!({
            "type": "summary",
            "path": args.path,
            "subtree": args.prefix,
            "start": h.start.map_or("empty".to_string(), |z| z.to_string()),
            "final_zxid": h.replay.final_zxid().to_string(),
            "changes": h.changes.len(),
            "ok": !h.replay.has_findings(),
        }))?;
    } else {
        human(&h, global.local, out)?;
    }
    Ok(if h.replay.has_findings() {
        ExitStatus::Findings
    } else {
        ExitStatus::Ok
    })
}

fn node_json(s: &NodeState) -> Value {
    let acl: Option<Vec<Acl<'_>>> = s
        .acl
        .as_ref()
        .map(|l| l.iter().map(|a| a.as_acl()).collect());
    json!({
        "data": DataJson(s.data.as_deref()),
        "acl": AclListJson(acl.as_deref()),
        "stat": StatJson {
            stat: &s.stat,
            data_length: s.data.as_ref().map_or(0, Vec::len) as u64,
            num_children: s.num_children,
        },
    })
}

fn owner_of(c: &Change) -> Option<i64> {
    [&c.before, &c.after]
        .into_iter()
        .flatten()
        .find_map(|s| NodeKind::of(s.stat.ephemeral_owner).session())
        .map(|s| s.0)
}

fn life_json(session: i64, l: Option<&SessionLife>) -> Value {
    let created = l.and_then(|l| l.created);
    let closed = l.and_then(|l| l.closed);
    json!({
        "session": hex64(session),
        "created_zxid": created.map(|c| c.0.to_string()),
        "created_time": created.and_then(|c| time_json(c.1)),
        "timeout_ms": created.map(|c| c.2),
        "closed_zxid": closed.map(|c| c.0.to_string()),
        "closed_time": closed.and_then(|c| time_json(c.1)),
        "expired": closed.map(|c| c.2),
    })
}

fn change_json(c: &Change, h: &History) -> Value {
    json!({
        "type": "history",
        "zxid": c.zxid.to_string(),
        "time": time_json(c.time),
        "time_ms": c.time,
        "session": hex64(c.session),
        "cxid": crate::zxid::hex32(c.cxid),
        "op": c.op,
        "path": lossy(&c.path),
        "via": c.via.name(),
        "err": c.err,
        "before": c.before.as_ref().map(node_json),
        "after": c.after.as_ref().map(node_json),
        "owner": owner_of(c).map(|s| life_json(s, h.sessions.get(&s))),
    })
}

fn describe(s: &Option<NodeState>) -> String {
    let Some(s) = s else {
        return "absent".into();
    };
    let data = match &s.data {
        None => "null".to_string(),
        Some(d) => match std::str::from_utf8(d) {
            Ok(t) if t.len() <= 80 => format!("{t:?}"),
            Ok(t) => format!("{:?}… ({} bytes)", &t[..t.floor_char_boundary(80)], d.len()),
            Err(_) => format!("<{} bytes binary>", d.len()),
        },
    };
    let acl = match &s.acl {
        None => "<missing>".to_string(),
        Some(l) => l
            .iter()
            .map(|a| {
                format!(
                    "{}:{}:{}",
                    lossy(&a.scheme),
                    lossy(&a.id),
                    crate::format::jute::perms_letters(a.perms)
                )
            })
            .collect::<Vec<_>>()
            .join(","),
    };
    let kind = match NodeKind::of(s.stat.ephemeral_owner) {
        NodeKind::Persistent => String::new(),
        NodeKind::Ephemeral(sid) => format!(" ephemeral owner {sid}"),
        NodeKind::Container => " container".into(),
        NodeKind::Ttl(t) => format!(" ttl {t} ms"),
    };
    format!(
        "data {data} version {} aversion {} cversion {} acl {acl}{kind}",
        s.stat.version, s.stat.aversion, s.stat.cversion
    )
}

fn human(h: &History, local: bool, out: &mut Output<'_>) -> Result<(), Error> {
    out.line(&format!(
        "history from {} to zxid {}: {} changes",
        h.start
            .map_or("the empty tree".to_string(), |z| format!("snapshot {z}")),
        h.replay.final_zxid(),
        h.changes.len()
    ))?;
    for c in &h.changes {
        let via = match c.via {
            history::Via::Direct => String::new(),
            v => format!(" (via {})", v.name()),
        };
        let err = if c.err != 0 {
            format!(" [error {}: nothing changed]", c.err)
        } else {
            String::new()
        };
        out.line(&format!(
            "{} {} session {} cxid {} {} {}{via}{err}",
            c.zxid,
            timefmt::display(c.time, local),
            hex64(c.session),
            crate::zxid::hex32(c.cxid),
            c.op,
            lossy(&c.path)
        ))?;
        out.line(&format!("    before: {}", describe(&c.before)))?;
        out.line(&format!("    after:  {}", describe(&c.after)))?;
        if let Some(s) = owner_of(c) {
            let l = h.sessions.get(&s);
            let created = l.and_then(|l| l.created).map_or(
                "created before the history starts".to_string(),
                |(z, t, to)| {
                    format!(
                        "created at {z} ({}, timeout {to} ms)",
                        timefmt::display(t, local)
                    )
                },
            );
            let closed = l.and_then(|l| l.closed).map_or(
                "still open at the end of the logs".to_string(),
                |(z, t, exp)| {
                    format!(
                        "{} at {z} ({})",
                        if exp { "expired" } else { "closed" },
                        timefmt::display(t, local)
                    )
                },
            );
            out.line(&format!(
                "    owner:  session {} {created}, {closed}",
                hex64(s)
            ))?;
        }
    }
    Ok(())
}
