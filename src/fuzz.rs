//! Fuzz entry points: each reads arbitrary bytes through every reader the
//! way the subcommands do. `fuzz/` runs them under cargo-fuzz and the test
//! suite runs them on seeded mutations of the real fixtures, on stable.

use crate::files::par;
use crate::format::compress::{Compression, decompress};
use crate::format::jute::Limits;
use crate::format::snapshot::{Snapshot, SnapshotEnd};
use crate::format::txnlog::{IterOptions, TxnLog};

/// Iterates a txn log to its end, decoding every entry; returns the entry
/// count. Then reads it again the way big logs are dumped, in byte spans
/// whose first entries are guessed ([`par::log_chunks`]), and panics unless
/// that sees exactly the same entries and end.
pub fn txnlog(data: &[u8]) -> usize {
    let Ok(log) = TxnLog::parse(data) else {
        return 0;
    };
    let opts = IterOptions::default();
    let mut it = log.entries(opts);
    let mut n = 0;
    let mut offsets = Vec::new();
    for entry in &mut it {
        n += entry.txn.paths().len().min(1) + 1;
        offsets.push(entry.offset);
    }
    let end = it.end().cloned();

    let mut spanned = Vec::new();
    let mut spanned_end = None;
    let read = par::log_chunks(
        2,
        &log,
        97,
        &opts.limits,
        |chunk| {
            let mut it = log.entries_at(chunk.start, opts);
            let mut seen = Vec::new();
            while chunk.end.is_none_or(|e| it.offset() < e) {
                match it.next() {
                    Some(e) => seen.push(e.offset),
                    None => break,
                }
            }
            let next = it.offset();
            ((seen, it.end().cloned()), next)
        },
        |(seen, end): (Vec<u64>, Option<_>)| {
            spanned.extend(seen);
            let stop = end.is_some();
            spanned_end = end;
            Ok::<_, ()>(if stop {
                par::Flow::Stop
            } else {
                par::Flow::Continue
            })
        },
    );
    assert!(read.is_ok());
    assert_eq!(spanned, offsets, "span reading differs from one pass");
    assert_eq!(spanned_end, end, "span reading ends differently");
    n + end.map_or(0, |e| e.describe().len().min(1))
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
