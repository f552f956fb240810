//! `dump --stats`: counts and bytes per op type, session and top-level
//! subtree, like pg_waldump --stats. Counted with raw keys while a log is
//! read (every txn updates them) and named and sorted only for output.

use std::collections::BTreeMap;

use crate::format::txn::{OpCode, Txn, TxnBody};
use crate::tree::FastMap;
use crate::zxid::SessionId;

/// How many txns, and how many bytes of log entries they take.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counter {
    /// Txns.
    pub count: u64,
    /// Framed entry bytes.
    pub bytes: u64,
}

impl Counter {
    fn add(&mut self, bytes: u64) {
        self.count += 1;
        self.bytes += bytes;
    }
    fn merge(&mut self, other: Counter) {
        self.count += other.count;
        self.bytes += other.bytes;
    }
}

/// Stats named and sorted for output.
#[derive(Clone, Debug, Default)]
pub struct StatsReport {
    /// By op name.
    pub by_op: BTreeMap<String, Counter>,
    /// By session.
    pub by_session: BTreeMap<SessionId, Counter>,
    /// By top-level subtree (`/top`), and `(no path)`.
    pub by_subtree: BTreeMap<String, Counter>,
    /// Every txn.
    pub total: Counter,
}

/// Top-level subtrees `--stats` keeps in a list before using a map.
const FEW_TOPS: usize = 16;

/// `--stats` counts, kept in hash maps with raw keys while a log is read
/// (they are updated for every txn) and named and sorted only for output.
pub struct Stats {
    /// By op code: codes -16..48 in place, any other in `other_ops`.
    by_op: [Counter; 64],
    other_ops: FastMap<i32, Counter>,
    by_session: FastMap<SessionId, Counter>,
    /// The session of the last txns, counted here until another comes
    /// (txns come in bursts per session).
    last_session: Option<(SessionId, Counter)>,
    /// By the first component of a path, as stored: the first
    /// [`FEW_TOPS`] in a list (a data tree has a handful of top-level
    /// nodes; comparing a few short keys beats hashing), the rest in a map.
    few_tops: Vec<(Box<[u8]>, Counter)>,
    by_top: FastMap<Box<[u8]>, Counter>,
    /// Txns without a path.
    no_path: Counter,
    total: Counter,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            by_op: [Counter::default(); 64],
            other_ops: FastMap::default(),
            by_session: FastMap::default(),
            last_session: None,
            few_tops: Vec::new(),
            by_top: FastMap::default(),
            no_path: Counter::default(),
            total: Counter::default(),
        }
    }
}

impl Stats {
    /// Adds the counts of another part of the same input.
    pub fn merge(&mut self, other: Stats) {
        fn merge_map<K: Eq + std::hash::Hash>(
            into: &mut FastMap<K, Counter>,
            from: FastMap<K, Counter>,
        ) {
            for (k, c) in from {
                into.entry(k).or_default().merge(c);
            }
        }
        for (t, c) in self.by_op.iter_mut().zip(other.by_op) {
            t.merge(c);
        }
        merge_map(&mut self.other_ops, other.other_ops);
        merge_map(&mut self.by_session, other.by_session);
        if let Some((session, c)) = other.last_session {
            self.by_session.entry(session).or_default().merge(c);
        }
        merge_map(&mut self.by_top, other.by_top);
        for (top, c) in other.few_tops {
            self.add_top_counter(&top, c);
        }
        self.no_path.merge(other.no_path);
        self.total.merge(other.total);
    }

    /// Counts `bytes` for the top-level subtree `top`.
    fn add_top(&mut self, top: &[u8], bytes: u64) {
        self.add_top_counter(top, Counter { count: 1, bytes });
    }

    fn add_top_counter(&mut self, top: &[u8], c: Counter) {
        if let Some((_, t)) = self.few_tops.iter_mut().find(|(k, _)| **k == *top) {
            t.merge(c);
        } else if self.few_tops.len() < FEW_TOPS {
            self.few_tops.push((top.into(), c));
        } else {
            match self.by_top.get_mut(top) {
                Some(t) => t.merge(c),
                None => self.by_top.entry(top.into()).or_default().merge(c),
            }
        }
    }

    /// Counts `txn`, whose entry takes `bytes` bytes.
    // Called for every txn of a possibly huge log: no allocation unless a
    // key is new (or a multi's paths are not UTF-8).
    pub fn add(&mut self, txn: &Txn<'_>, bytes: u64) {
        self.total.add(bytes);
        let op = txn.header.op.0;
        match usize::try_from(op + 16)
            .ok()
            .and_then(|i| self.by_op.get_mut(i))
        {
            Some(c) => c.add(bytes),
            None => self.other_ops.entry(op).or_default().add(bytes),
        }
        let session = txn.header.session;
        match &mut self.last_session {
            Some((s, c)) if *s == session => c.add(bytes),
            last => {
                if let Some((s, c)) = last.take() {
                    self.by_session.entry(s).or_default().merge(c);
                }
                *last = Some((session, Counter { count: 1, bytes }));
            }
        }
        let single = match &txn.body {
            TxnBody::Create(c) => Some(c.path),
            TxnBody::Delete { path }
            | TxnBody::SetData { path, .. }
            | TxnBody::SetAcl { path, .. }
            | TxnBody::Check { path, .. } => Some(*path),
            _ => None,
        };
        if let Some(path) = single {
            self.add_top(top_component(path), bytes);
            return;
        }
        let paths = txn.paths();
        if paths.is_empty() {
            self.no_path.add(bytes);
            return;
        }
        // Several paths (multi, closeSession): each top-level subtree once.
        // Tops are compared as bytes, which equals comparing the names unless
        // lossy UTF-8 makes two different tops one name: then by name.
        if paths
            .iter()
            .all(|p| std::str::from_utf8(top_component(p)).is_ok())
        {
            for (i, p) in paths.iter().enumerate() {
                let top = top_component(p);
                if !paths.iter().take(i).any(|q| top_component(q) == top) {
                    self.add_top(top, bytes);
                }
            }
            return;
        }
        let mut tops: Vec<String> = paths
            .iter()
            .map(|p| String::from_utf8_lossy(top_component(p)).into_owned())
            .collect();
        tops.sort();
        tops.dedup();
        for t in tops {
            self.add_top(t.as_bytes(), bytes);
        }
    }

    /// The counts by op name, session and subtree (`/top`, or `(no path)`),
    /// sorted by name.
    pub fn report(&self) -> StatsReport {
        let mut ops: BTreeMap<String, Counter> = BTreeMap::new();
        let codes = (-16..).zip(&self.by_op).filter(|(_, c)| c.count > 0);
        for (op, &c) in codes.chain(self.other_ops.iter().map(|(&op, c)| (op, c))) {
            let op = OpCode(op);
            let name = op.name().map_or_else(|| op.display_name(), str::to_string);
            ops.entry(name).or_default().merge(c);
        }
        let mut sessions: BTreeMap<SessionId, Counter> =
            self.by_session.iter().map(|(&k, &c)| (k, c)).collect();
        if let Some((session, c)) = self.last_session {
            sessions.entry(session).or_default().merge(c);
        }
        let mut subtrees: BTreeMap<String, Counter> = BTreeMap::new();
        for (top, &c) in self
            .few_tops
            .iter()
            .map(|(k, c)| (k, c))
            .chain(&self.by_top)
        {
            // Splitting the bytes at '/' equals splitting the lossy string:
            // '/' is ASCII and never part of a replaced sequence.
            let name = format!("/{}", String::from_utf8_lossy(top));
            subtrees.entry(name).or_default().merge(c);
        }
        if self.no_path.count > 0 {
            subtrees.insert("(no path)".to_string(), self.no_path);
        }
        StatsReport {
            by_op: ops,
            by_session: sessions,
            by_subtree: subtrees,
            total: self.total,
        }
    }
}

/// The first component of `path` (`a` of `/a/b`).
fn top_component(path: &[u8]) -> &[u8] {
    let start = path.iter().position(|&b| b != b'/').unwrap_or(path.len());
    let rest = path.get(start..).unwrap_or(&[]);
    rest.split(|&b| b == b'/').next().unwrap_or(&[])
}

/// `dump --stats` of a snapshot: nodes and data bytes by top-level subtree,
/// by node kind and, for ephemerals, by owner session; counted in one pass
/// over the node records (the maps hold one entry per top-level node,
/// kind and session, never per node).
#[derive(Clone, Debug, Default)]
pub struct NodeStats {
    /// By top-level subtree (`/` for the root itself).
    pub by_subtree: BTreeMap<String, Counter>,
    /// By kind: persistent, ephemeral, container, ttl.
    pub by_kind: BTreeMap<&'static str, Counter>,
    /// Ephemeral nodes by owner session.
    pub by_session: BTreeMap<SessionId, Counter>,
    /// Every node counted.
    pub total: Counter,
}

impl NodeStats {
    /// Counts one node: its path (as shown, "/" for the root), data length
    /// and ephemeralOwner.
    pub fn add(&mut self, path: &[u8], data_len: u64, ephemeral_owner: i64) {
        use crate::format::snapshot::NodeKind;
        let top = top_component(path);
        let key = format!("/{}", String::from_utf8_lossy(top));
        self.by_subtree.entry(key).or_default().add(data_len);
        let kind = NodeKind::of(ephemeral_owner);
        let name = match kind {
            NodeKind::Persistent => "persistent",
            NodeKind::Ephemeral(_) => "ephemeral",
            NodeKind::Container => "container",
            NodeKind::Ttl(_) => "ttl",
        };
        self.by_kind.entry(name).or_default().add(data_len);
        if let Some(s) = kind.session() {
            self.by_session.entry(s).or_default().add(data_len);
        }
        self.total.add(data_len);
    }
}

#[cfg(test)]
mod node_stats_tests {
    use super::*;

    #[test]
    fn counts_by_subtree_kind_and_session() {
        let mut s = NodeStats::default();
        s.add(b"/", 0, 0);
        s.add(b"/app", 5, 0);
        s.add(b"/app/eph", 3, 0x1234);
        s.add(b"/zookeeper/quota", 0, 0);
        s.add(b"/c", 1, i64::MIN); // a container
        assert_eq!(s.total.count, 5);
        assert_eq!(s.total.bytes, 9);
        assert_eq!(s.by_subtree["/app"].count, 2);
        assert_eq!(s.by_subtree["/app"].bytes, 8);
        assert_eq!(s.by_subtree["/"].count, 1);
        assert_eq!(s.by_kind["ephemeral"].count, 1);
        assert_eq!(s.by_kind["container"].count, 1);
        assert_eq!(s.by_session[&SessionId(0x1234)].bytes, 3);
    }
}
