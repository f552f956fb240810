//! Space by subtree: node counts and data bytes per znode including its
//! descendants, and ephemerals per session.

use std::collections::BTreeMap;

use crate::format::snapshot::NodeKind;
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
