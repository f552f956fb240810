//! ncdu's JSON export of a tree's space, the format ZooKeeper's
//! `SnapshotFormatter -json` writes, for browsing with `ncdu -f FILE`.

use crate::ops::du::Usage;
use crate::render::jsonw;

/// ncdu's JSON export (format 1.0, as SnapshotFormatter -json writes it):
/// `[1,0,{meta},[{dir},child…]]`, one entry per znode named by its last
/// component, asize = dsize = data length, ino counting up from 1001. A node
/// with children is a directory. `nodes` must be in pre-order ([`usage`]).
pub fn ncdu(nodes: &[Usage], progver: &str, timestamp: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 * nodes.len() + 128);
    out.extend_from_slice(b"[1,0,{\"progname\":\"zkdd\",\"progver\":");
    jsonw::string(&mut out, progver);
    out.extend_from_slice(b",\"timestamp\":");
    jsonw::int(&mut out, timestamp);
    out.push(b'}');
    // Depths of the directories still open.
    let mut open: Vec<usize> = Vec::new();
    for (i, u) in nodes.iter().enumerate() {
        while open.last().is_some_and(|&d| d >= u.depth) {
            open.pop();
            out.push(b']');
        }
        out.push(b',');
        let is_dir = nodes.get(i + 1).is_some_and(|n| n.depth > u.depth);
        if is_dir || i == 0 {
            out.push(b'[');
            open.push(u.depth);
        }
        let name: &[u8] = if i == 0 {
            &u.path
        } else {
            u.path.rsplit(|&b| b == b'/').next().unwrap_or(&u.path)
        };
        out.extend_from_slice(b"{\"name\":");
        jsonw::lossy_string(&mut out, name);
        out.extend_from_slice(b",\"asize\":");
        jsonw::int(&mut out, u.own_bytes as i64);
        out.extend_from_slice(b",\"dsize\":");
        jsonw::int(&mut out, u.own_bytes as i64);
        out.extend_from_slice(b",\"dev\":0,\"ino\":");
        jsonw::int(&mut out, 1001 + i as i64);
        out.push(b'}');
    }
    out.extend(std::iter::repeat_n(b']', open.len()));
    out.push(b']');
    out
}
