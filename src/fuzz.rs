//! Fuzz entry points: each reads arbitrary bytes through every reader the
//! way the subcommands do. `fuzz/` runs them under cargo-fuzz and the test
//! suite runs them on seeded mutations of the real fixtures, on stable.

use crate::format::compress::{Compression, decompress};
use crate::format::jute::Limits;
use crate::format::snapshot::{Snapshot, SnapshotEnd};
use crate::format::txnlog::{IterOptions, TxnLog};

/// Iterates a txn log to its end, decoding every entry; returns the entry count.
pub fn txnlog(data: &[u8]) -> usize {
    let Ok(log) = TxnLog::parse(data) else {
        return 0;
    };
    let mut it = log.entries(IterOptions::default());
    let mut n = 0;
    for entry in &mut it {
        n += entry.txn.paths().len().min(1) + 1;
    }
    let end = it.end().map(|e| e.describe());
    n + end.map_or(0, |s| s.len().min(1))
}

/// Parses a snapshot stream: sessions, ACL cache, every node, the trailer
/// and its seals; resolves every node's ACL. Returns the node count.
pub fn snapshot(data: &[u8]) -> usize {
    let Ok(snap) = Snapshot::parse(data, Limits::default()) else {
        return 0;
    };
    let mut it = snap.nodes();
    let mut n = 0;
    for node in &mut it {
        n += 1;
        let _ = snap.resolve_acl(node.acl_id);
    }
    if let Some(SnapshotEnd::Complete(t)) = it.end() {
        let _ = t.check_seals();
    }
    n
}

/// Decompresses bytes as gzip and as snappy-java, then parses each result.
pub fn compressed(data: &[u8]) -> usize {
    let mut n = 0;
    for c in [Compression::Gzip, Compression::Snappy] {
        let d = decompress(data, c);
        n += snapshot(&d.data);
    }
    n
}
