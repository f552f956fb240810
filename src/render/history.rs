//! What `zkdd history` writes: every change to a znode with the node before
//! and after, as text or `history` and `summary` JSON lines.

use serde_json::{Value, json};

use crate::format::jute::Acl;
use crate::format::snapshot::NodeKind;
use crate::ops::history::{self, Change, History, NodeState, SessionLife};
use crate::render::Output;
use crate::render::json::{AclListJson, DataJson, StatJson, lossy, time_json};
use crate::render::redact::Redaction;
use crate::timefmt;
use crate::zxid::hex64;

/// The history of `path` (with `subtree`, everything below it too).
pub fn history(
    out: &mut Output<'_>,
    h: &History,
    path: &str,
    subtree: bool,
    local: bool,
) -> std::io::Result<()> {
    if !out.json {
        return human(h, local, out);
    }
    for c in &h.changes {
        out.json_line(&change_json(c, h, out.redact))?;
    }
    out.json_line(&json!({
        "type": "summary",
        "command": "history",
        "path": path,
        "subtree": subtree,
        "start": h.start.map_or("empty".to_string(), |z| z.to_string()),
        "final_zxid": h.replay.final_zxid().to_string(),
        "changes": h.changes.len(),
        "ok": !h.replay.has_findings(),
    }))
}

fn node_json(s: &NodeState, r: Redaction) -> Value {
    let acl: Option<Vec<Acl<'_>>> = s
        .acl
        .as_ref()
        .map(|l| l.iter().map(|a| a.as_acl()).collect());
    json!({
        "data": DataJson(s.data.as_deref(), r),
        "acl": AclListJson(acl.as_deref(), r),
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

fn change_json(c: &Change, h: &History, r: Redaction) -> Value {
    json!({
        "type": "change",
        "zxid": c.zxid.to_string(),
        "time": time_json(c.time),
        "time_ms": c.time,
        "session": hex64(c.session),
        "cxid": crate::zxid::hex32(c.cxid),
        "op": c.op,
        "path": lossy(&c.path),
        "via": c.via.name(),
        "err": c.err,
        "before": c.before.as_ref().map(|s| node_json(s, r)),
        "after": c.after.as_ref().map(|s| node_json(s, r)),
        "owner": owner_of(c).map(|s| life_json(s, h.sessions.get(&s))),
    })
}

fn describe(s: &Option<NodeState>, r: Redaction) -> String {
    let Some(s) = s else {
        return "absent".into();
    };
    let data = match &s.data {
        None => "null".to_string(),
        Some(d) if r.is_on() => crate::render::redact::text(d),
        Some(d) => match std::str::from_utf8(d) {
            Ok(t) if t.len() <= 80 => format!("{t:?}"),
            Ok(t) => format!("{:?}… ({} bytes)", &t[..t.floor_char_boundary(80)], d.len()),
            Err(_) => format!("<{} bytes binary>", d.len()),
        },
    };
    let acl = match &s.acl {
        None => "<missing>".to_string(),
        Some(l) => {
            let list: Vec<Acl<'_>> = l.iter().map(|a| a.as_acl()).collect();
            crate::render::human::acl_as(Some(&list), r)
        }
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

fn human(h: &History, local: bool, out: &mut Output<'_>) -> std::io::Result<()> {
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
        out.line(&format!("    before: {}", describe(&c.before, out.redact)))?;
        out.line(&format!("    after:  {}", describe(&c.after, out.redact)))?;
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
