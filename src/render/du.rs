//! What `zkdd du` writes: the largest subtrees and the sessions owning
//! ephemerals, as a table or `du`/`du_session`/`summary` JSON lines.

use serde_json::json;

use crate::ops::du::{Report, Usage};
use crate::render::Output;
use crate::render::json::lossy;
use crate::zxid::hex64;

/// The rows of nodes at most `depth` levels below `top` (at most `limit`,
/// 0 = all), largest first, then the sessions, then the total.
pub fn report(
    out: &mut Output<'_>,
    rep: &Report,
    top: &Usage,
    depth: usize,
    limit: usize,
) -> std::io::Result<()> {
    let base = top.depth;
    let mut rows: Vec<&Usage> = rep
        .nodes
        .iter()
        .filter(|u| u.depth - base <= depth)
        .collect();
    rows.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.path.cmp(&b.path)));
    if limit > 0 {
        rows.truncate(limit);
    }
    let mut sess: Vec<_> = rep.sessions.iter().collect();
    sess.sort_by(|a, b| b.1.bytes.cmp(&a.1.bytes).then(a.0.cmp(b.0)));
    if out.json {
        for u in &rows {
            out.json_line(&json!({
                "type": "subtree", "path": lossy(&u.path), "depth": u.depth, "nodes": u.nodes,
                "data_bytes": u.bytes, "own_bytes": u.own_bytes, "ephemerals": u.ephemerals,
            }))?;
        }
        for (s, u) in &sess {
            out.json_line(&json!({
                "type": "session", "session": hex64(**s), "ephemerals": u.nodes, "data_bytes": u.bytes,
            }))?;
        }
        out.json_line(&json!({
            "type": "summary", "command": "du", "prefix": lossy(&top.path), "nodes": top.nodes,
            "data_bytes": top.bytes, "ephemerals": top.ephemerals, "sessions": sess.len(),
        }))?;
    } else {
        out.line(&format!(
            "{:>10} {:>10} {:>6}  path",
            "data", "nodes", "eph"
        ))?;
        for u in &rows {
            out.line(&format!(
                "{:>10} {:>10} {:>6}  {}",
                out.size(u.bytes),
                u.nodes,
                u.ephemerals,
                lossy(&u.path)
            ))?;
        }
        if !sess.is_empty() {
            out.line("")?;
            out.line(&format!("{:>10} {:>10}  session", "data", "ephemerals"))?;
            for (s, u) in &sess {
                out.line(&format!(
                    "{:>10} {:>10}  {}",
                    out.size(u.bytes),
                    u.nodes,
                    hex64(**s)
                ))?;
            }
        }
        out.comment(&format!(
            "total: {} nodes, {} of data, {} ephemerals in {} sessions under {}",
            top.nodes,
            out.size(top.bytes),
            top.ephemerals,
            sess.len(),
            lossy(&top.path)
        ))?;
    }
    Ok(())
}
