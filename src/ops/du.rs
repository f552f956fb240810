//! Space by subtree: node counts and data bytes per znode including its
//! descendants, ephemerals per session, and ncdu's JSON export.

use std::collections::BTreeMap;

use crate::format::snapshot::NodeKind;
use crate::render::jsonw;
use crate::tree::in_subtree;
use crate::tree::{DataTree, FastMap, display_path};

/// Totals for one znode and everything below it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Usage {
    /// The znode ("/" for the root).
    pub path: Vec<u8>,
    /// Components below "/" (the root is 0).
    pub depth: usize,
    /// Nodes in the subtree, itself included.
    pub nodes: u64,
    /// Data bytes in the subtree.
    pub bytes: u64,
    /// Its own data bytes.
    pub own_bytes: u64,
    /// Ephemeral nodes in the subtree.
    pub ephemerals: u64,
}

/// Ephemerals one session owns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SessionUsage {
    /// Nodes.
    pub nodes: u64,
    /// Their data bytes.
    pub bytes: u64,
}

/// Everything `zkdd du` reports.
pub struct Report {
    /// One entry per node in `prefix`'s subtree, parents before children.
    pub nodes: Vec<Usage>,
    /// Ephemerals per session (in the subtree).
    pub sessions: BTreeMap<i64, SessionUsage>,
}

fn depth_of(key: &[u8]) -> usize {
    key.iter().filter(|&&b| b == b'/').count()
}

/// Totals for every node of `prefix`'s subtree (reachable nodes only, as
/// ZooKeeper's snapshot writer sees them).
pub fn usage(tree: &DataTree, prefix: &[u8]) -> Report {
    let walk: Vec<_> = tree
        .walk()
        .into_iter()
        .filter(|(k, _)| in_subtree(display_path(k), prefix))
        .collect();
    let mut index: FastMap<&[u8], usize> = FastMap::default();
    let mut nodes = Vec::with_capacity(walk.len());
    let mut sessions: BTreeMap<i64, SessionUsage> = BTreeMap::new();
    for (i, (k, n)) in walk.iter().enumerate() {
        index.insert(k, i);
        let len = n.data_length() as u64;
        let eph = match NodeKind::of(n.stat().ephemeral_owner) {
            NodeKind::Ephemeral(s) => {
                let e = sessions.entry(s.0).or_default();
                e.nodes += 1;
                e.bytes += len;
                1
            }
            _ => 0,
        };
        nodes.push(Usage {
            path: display_path(k).to_vec(),
            depth: depth_of(k),
            nodes: 1,
            bytes: len,
            own_bytes: len,
            ephemerals: eph,
        });
    }
    // Pre-order: every child comes after its parent, so a reverse pass sums.
    for i in (0..walk.len()).rev() {
        let key = walk[i].0;
        let Some(cut) = key.iter().rposition(|&b| b == b'/') else {
            continue;
        };
        if let Some(&p) = index.get(&key[..cut]) {
            let (n, b, e) = (nodes[i].nodes, nodes[i].bytes, nodes[i].ephemerals);
            let parent = &mut nodes[p];
            parent.nodes += n;
            parent.bytes += b;
            parent.ephemerals += e;
        }
    }
    Report { nodes, sessions }
}

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
