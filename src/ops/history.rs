//! Every change to one znode (or a subtree) across a data dir, found by
//! replaying it with the tree engine and looking at the node around each txn.

use std::collections::BTreeMap;

use crate::error::Error;
use crate::files::datadir::DataDir;
use crate::format::jute::Limits;
use crate::format::snapshot::{NodeKind, StatPersisted};
use crate::format::txn::{OpCode, Txn, TxnBody};
use crate::tree::in_subtree;
use crate::tree::replay::{self, Observer, Options, Replay, Start, Target};
use crate::tree::{ApplyResult, DataTree, OwnedAcl, key_of};
use crate::zxid::Zxid;

/// A node as it was before or after a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeState {
    /// Data (`None`: null).
    pub data: Option<Vec<u8>>,
    /// ACL list (`None`: the snapshot's ACL cache lacked the id).
    pub acl: Option<Vec<OwnedAcl>>,
    /// Persisted stat.
    pub stat: StatPersisted,
    /// Number of children.
    pub num_children: u64,
}

impl NodeState {
    fn of(tree: &DataTree, path: &[u8]) -> Option<NodeState> {
        let n = tree.get(path)?;
        Some(NodeState {
            data: n.data().map(<[u8]>::to_vec),
            acl: tree.acl(n).map(|l| l.into_owned()),
            stat: *n.stat(),
            num_children: n.num_children() as u64,
        })
    }
}

/// Why a txn touched the node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// The txn itself names the node.
    Direct,
    /// A sub-op of a multi names it.
    Multi,
    /// The owner's session was closed by its client (closeSession, cxid ≠ 0).
    SessionClose,
    /// The owner's session expired (closeSession with cxid 0, from the session tracker).
    SessionExpiry,
    /// The container manager deleted an empty container (deleteContainer, session 0).
    ContainerEmpty,
    /// The container manager deleted an expired TTL node (deleteContainer).
    TtlExpiry,
}

impl Via {
    /// The name used in output.
    pub fn name(self) -> &'static str {
        match self {
            Via::Direct => "txn",
            Via::Multi => "multi",
            Via::SessionClose => "closeSession",
            Via::SessionExpiry => "sessionExpiry",
            Via::ContainerEmpty => "containerManager",
            Via::TtlExpiry => "ttlExpiry",
        }
    }
}

/// One txn's effect on one node.
#[derive(Clone, Debug)]
pub struct Change {
    /// Txn zxid.
    pub zxid: Zxid,
    /// Txn time (ms).
    pub time: i64,
    /// Txn session.
    pub session: i64,
    /// Client xid.
    pub cxid: i32,
    /// The (sub-)op that names the node.
    pub op: &'static str,
    /// The node.
    pub path: Vec<u8>,
    /// How the txn reached the node.
    pub via: Via,
    /// Error code of the txn (0: applied; a failed multi changes nothing).
    pub err: i32,
    /// The node before (`None`: absent).
    pub before: Option<NodeState>,
    /// The node after (`None`: absent).
    pub after: Option<NodeState>,
}

/// When a session started and ended, as far as the replayed logs show.
#[derive(Clone, Debug, Default)]
pub struct SessionLife {
    /// createSession: (zxid, time, timeout ms).
    pub created: Option<(Zxid, i64, i32)>,
    /// closeSession: (zxid, time, expired).
    pub closed: Option<(Zxid, i64, bool)>,
}

/// The result of [`history`].
pub struct History {
    /// Changes in zxid order (several per txn when a multi or closeSession touches several nodes).
    pub changes: Vec<Change>,
    /// Lives of the sessions owning an ephemeral seen in `changes`.
    pub sessions: BTreeMap<i64, SessionLife>,
    /// The replay that produced it.
    pub replay: Replay,
    /// Where the history starts: `None` from the empty tree, else the snapshot zxid.
    pub start: Option<Zxid>,
}

struct Collector<'p> {
    path: &'p [u8],
    subtree: bool,
    pending: Vec<(Vec<u8>, &'static str, Via, Option<NodeState>)>,
    changes: Vec<Change>,
    sessions: BTreeMap<i64, SessionLife>,
}

impl Collector<'_> {
    fn wants(&self, p: &[u8]) -> bool {
        if self.subtree {
            in_subtree(p, self.path)
        } else {
            p == self.path
        }
    }

    fn push(&mut self, tree: &DataTree, p: &[u8], op: OpCode, via: Via) {
        if self.wants(p) {
            let before = NodeState::of(tree, p);
            self.pending
                .push((p.to_vec(), op.name().unwrap_or("?"), via, before));
        }
    }
}

fn body_path<'a>(body: &TxnBody<'a>) -> Option<&'a [u8]> {
    match body {
        TxnBody::Create(c) => Some(c.path),
        TxnBody::Delete { path }
        | TxnBody::SetData { path, .. }
        | TxnBody::SetAcl { path, .. }
        | TxnBody::Check { path, .. } => Some(path),
        _ => None,
    }
}

impl Observer for Collector<'_> {
    fn before(&mut self, tree: &DataTree, txn: &Txn<'_>) {
        let h = &txn.header;
        match &txn.body {
            TxnBody::CreateSession { timeout_ms } => {
                let e = self.sessions.entry(h.session.0).or_default();
                e.created = Some((h.zxid, h.time, *timeout_ms));
                e.closed = None;
            }
            TxnBody::CloseSession { paths } => {
                let expired = h.cxid == 0;
                self.sessions.entry(h.session.0).or_default().closed =
                    Some((h.zxid, h.time, expired));
                let via = if expired {
                    Via::SessionExpiry
                } else {
                    Via::SessionClose
                };
                // The tree's own index, plus any logged path it lacks.
                let mut all: Vec<Vec<u8>> = tree
                    .ephemerals_of(h.session.0)
                    .into_iter()
                    .map(<[u8]>::to_vec)
                    .collect();
                for p in paths.iter().flatten() {
                    if !all.iter().any(|a| a == p) {
                        all.push(p.to_vec());
                    }
                }
                all.sort();
                for p in all {
                    self.push(tree, &p, OpCode::DELETE, via);
                }
            }
            TxnBody::Multi { ops } => {
                for sub in ops {
                    if let Some(p) = body_path(&sub.body) {
                        self.push(tree, p, sub.op, Via::Multi);
                    }
                }
            }
            body => {
                if let Some(p) = body_path(body) {
                    let via = if h.op == OpCode::DELETE_CONTAINER {
                        match tree.get(p).map(|n| NodeKind::of(n.stat().ephemeral_owner)) {
                            Some(NodeKind::Ttl(_)) => Via::TtlExpiry,
                            _ => Via::ContainerEmpty,
                        }
                    } else {
                        Via::Direct
                    };
                    self.push(tree, p, h.op, via);
                }
            }
        }
    }

    fn after(&mut self, tree: &DataTree, txn: &Txn<'_>, r: &ApplyResult) {
        let h = txn.header;
        for (path, op, via, before) in std::mem::take(&mut self.pending) {
            let after = NodeState::of(tree, &path);
            for s in [&before, &after].into_iter().flatten() {
                if let NodeKind::Ephemeral(sid) = NodeKind::of(s.stat.ephemeral_owner) {
                    self.sessions.entry(sid.0).or_default();
                }
            }
            self.changes.push(Change {
                zxid: h.zxid,
                time: h.time,
                session: h.session.0,
                cxid: h.cxid,
                op,
                path,
                via,
                err: r.err,
                before,
                after,
            });
        }
    }
}

/// Replays `dir` from the oldest start it allows (the empty tree when the
/// logs reach the first txn, else the oldest snapshot) and records every
/// change to `path` (with `subtree`, to it and everything below it).
pub fn history(
    dir: &DataDir,
    path: &[u8],
    subtree: bool,
    no_mmap: bool,
    limits: Limits,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<History, Error> {
    let from_empty = dir.logs.first().is_some_and(|l| l.zxid.counter() == 1);
    let start = if from_empty {
        Start::Empty
    } else {
        match dir.snapshots.first() {
            Some(s) => Start::Snapshot(s.path.clone()),
            None => Start::Auto, // replay explains what is missing
        }
    };
    let opts = Options {
        start,
        target: Target::End,
        no_mmap,
        limits,
        ..Options::default()
    };
    let mut c = Collector {
        path: key_or_root(path),
        subtree,
        pending: Vec::new(),
        changes: Vec::new(),
        sessions: BTreeMap::new(),
    };
    let r = replay::replay_observed(dir, &opts, progress, &mut c)?;
    // Keep only the sessions that own a node in the history.
    let owners: std::collections::BTreeSet<i64> = c
        .changes
        .iter()
        .flat_map(|ch| [&ch.before, &ch.after])
        .flatten()
        .filter_map(|s| NodeKind::of(s.stat.ephemeral_owner).session())
        .map(|s| s.0)
        .collect();
    c.sessions.retain(|k, _| owners.contains(k));
    Ok(History {
        start: r.snapshot.as_ref().map(|s| s.zxid),
        changes: c.changes,
        sessions: c.sessions,
        replay: r,
    })
}

/// Keys are "" for the root; any other path is itself without a trailing '/'.
fn key_or_root(path: &[u8]) -> &[u8] {
    let p = path.strip_suffix(b"/").unwrap_or(path);
    key_of(p)
}
