//! What each logged txn does to the tree, rule for rule as
//! `DataTree.processTxn` (3.8) does it, fuzzy-snapshot fix-ups included,
//! so that a replay ends where ZooKeeper's own restore would.
//!
//! See: `DataTree.java`, `FileTxnSnapLog.java` (3.8.0).

use std::sync::Arc;

use super::node::PathData;
use super::{
    AclRef, DataTree, QUOTA_LIMIT_NODE, QUOTA_ROOT, QUOTA_STAT_NODE, key_of, split_parent,
};
use crate::files::source::Bytes;
use crate::format::jute::Acl;
use crate::format::snapshot::{NodeKind, StatPersisted};
use crate::format::txn::{CreateTxn, OpCode, Txn, TxnBody};
use crate::zxid::Zxid;

/// `KeeperException.Code` values the apply rules produce.
pub mod code {
    /// Success.
    pub const OK: i32 = 0;
    /// `RuntimeInconsistency` (later ops of a failed multi).
    pub const RUNTIME_INCONSISTENCY: i32 = -2;
    /// `BadArguments` (a TTL out of range: ZooKeeper throws an unchecked exception).
    pub const BAD_ARGUMENTS: i32 = -8;
    /// `NoNode`.
    pub const NO_NODE: i32 = -101;
    /// `NodeExists`.
    pub const NODE_EXISTS: i32 = -110;
}

/// What applying one txn did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ApplyResult {
    /// `ProcessTxnResult.err`: 0, or the first error (a multi's first failing sub-op).
    pub err: i32,
    /// True when the tree or the sessions changed.
    pub changed: bool,
    /// A multi held a sub-txn type DataTree refuses ("Invalid type of op");
    /// the sub-txns after it were skipped, as ZooKeeper does.
    pub invalid_sub_op: bool,
}

impl DataTree {
    /// Deletes every plain ephemeral node (containers and TTL nodes stay)
    /// with the delete rules at `zxid`, as ZooKeeper's startup does for
    /// sessions missing from the session list (`killSession` at the last
    /// zxid: each parent's pzxid rises to `zxid` if lower). Returns how many
    /// nodes were removed.
    pub fn drop_ephemerals(&mut self, zxid: Zxid) -> usize {
        let mut paths: Vec<Box<[u8]>> = self
            .ephemerals
            .drain()
            .flat_map(|(_, set)| set.into_iter())
            .collect();
        paths.sort();
        let mut r = ApplyResult::default();
        paths
            .iter()
            .filter(|p| self.delete_node(p, zxid, &mut r) == code::OK)
            .count()
    }
    /// Applies one logged txn the way `FileTxnSnapLog.processTransaction` +
    /// `DataTree.processTxn` do, and updates `lastProcessedZxid` to the max.
    pub fn apply(&mut self, txn: &Txn<'_>) -> ApplyResult {
        self.apply_in(txn, None)
    }

    /// [`DataTree::apply`] for a txn decoded from `log`: node data it sets
    /// is not copied but refers to `log`, which the tree then keeps.
    pub fn apply_in(&mut self, txn: &Txn<'_>, log: Option<&Arc<Bytes>>) -> ApplyResult {
        self.source = log.cloned();
        let r = self.apply_txn(txn);
        self.source = None;
        r
    }

    fn apply_txn(&mut self, txn: &Txn<'_>) -> ApplyResult {
        let h = &txn.header;
        let mut r = ApplyResult::default();
        match (&txn.body, h.op) {
            (TxnBody::CreateSession { timeout_ms }, _) => {
                self.sessions.insert(h.session, *timeout_ms);
                r.changed = true;
            }
            (TxnBody::CloseSession { paths }, _) => {
                r.changed |= self.sessions.remove(&h.session).is_some();
                r.changed |= self.kill_session(h.session.0, h.zxid, paths.as_deref());
            }
            (TxnBody::Multi { ops }, _) => self.apply_multi(txn, ops, &mut r),
            (body, op) => self.apply_one(op, body, h.session.0, h.zxid, h.time, &mut r),
        }
        if h.zxid > self.last_processed_zxid {
            self.last_processed_zxid = h.zxid;
        }
        r
    }

    fn apply_multi(
        &mut self,
        txn: &Txn<'_>,
        ops: &[crate::format::txn::SubTxn<'_>],
        r: &mut ApplyResult,
    ) {
        let h = &txn.header;
        let failed = ops.iter().any(|o| o.op == OpCode::ERROR);
        let mut post_failed = false;
        for sub in ops {
            if matches!(sub.body, TxnBody::Invalid { .. }) {
                // IOException("Invalid type of op"): the rest is skipped.
                r.invalid_sub_op = true;
                return;
            }
            if sub.op == OpCode::ERROR {
                post_failed = true;
            }
            let mut sr = ApplyResult::default();
            if failed && sub.op != OpCode::ERROR {
                // Replaced by ErrorTxn(0 or RuntimeInconsistency): no change.
                sr.err = if post_failed {
                    code::RUNTIME_INCONSISTENCY
                } else {
                    code::OK
                };
            } else {
                self.apply_one(sub.op, &sub.body, h.session.0, h.zxid, h.time, &mut sr);
            }
            r.changed |= sr.changed;
            if sr.err != 0 && r.err == 0 {
                r.err = sr.err;
            }
        }
    }

    /// One non-session, non-multi txn (top level or multi sub-op).
    fn apply_one(
        &mut self,
        op: OpCode,
        body: &TxnBody<'_>,
        session: i64,
        zxid: Zxid,
        time: i64,
        r: &mut ApplyResult,
    ) {
        match body {
            TxnBody::Create(c) => self.create(op, c, session, zxid, time, r),
            TxnBody::Delete { path } => {
                r.err = self.delete_node(path, zxid, r);
            }
            TxnBody::SetData {
                path,
                data,
                version,
            } => {
                r.err = self.set_data(path, *data, *version, zxid, time);
                r.changed |= r.err == 0;
            }
            TxnBody::SetAcl { path, acl, version } => {
                r.err = self.set_acl(path, acl.as_deref(), *version);
                r.changed |= r.err == 0;
            }
            TxnBody::Error { err, .. } => r.err = *err,
            TxnBody::Check { .. } => {}
            // Sessions and multis are handled by `apply`; anything else
            // cannot reach here (the decoder only makes Invalid in multis).
            _ => {}
        }
    }

    /// A create of any kind, with the fix-up of a create over a fuzzy
    /// snapshot.
    fn create(
        &mut self,
        op: OpCode,
        c: &CreateTxn<'_>,
        session: i64,
        zxid: Zxid,
        time: i64,
        r: &mut ApplyResult,
    ) {
        let Some(owner) = create_owner(op, c, session) else {
            r.err = code::BAD_ARGUMENTS;
            return;
        };
        r.err = self.create_node(c, owner, zxid, time, r);
        // Create fix-up for fuzzy snapshots: header type create (1)
        // only, which includes create sub-ops of a multi, because the
        // sub-op is processed with a header of its own type.
        if op == OpCode::CREATE && r.err == code::NODE_EXISTS {
            let parent = split_parent(c.path).map_or(&b""[..], |(p, _)| p);
            if !self.set_cversion_pzxid(parent, c.parent_cversion, zxid, r) {
                r.err = code::NO_NODE;
            }
        }
    }

    fn create_node(
        &mut self,
        c: &CreateTxn<'_>,
        owner: i64,
        zxid: Zxid,
        time: i64,
        r: &mut ApplyResult,
    ) -> i32 {
        let path = c.path;
        let Some((parent_key, name)) = split_parent(path) else {
            return code::NO_NODE;
        };
        let Some(parent) = self.find(parent_key) else {
            return code::NO_NODE;
        };
        // (ZooKeeper interns the ACL before this check; an unused cache
        // entry changes nothing a node resolves to.) The name is among the
        // parent's children exactly when the node at `path` is linked to it.
        let exists = self
            .find(path)
            .and_then(|id| self.node(id))
            .is_some_and(|n| n.parent == parent);
        if exists {
            return code::NODE_EXISTS;
        }
        let acl = self.acls.intern(c.acl.as_deref());
        self.raise_child_version(parent, c.parent_cversion, zxid);
        let stat = StatPersisted {
            czxid: zxid,
            mzxid: zxid,
            ctime: time,
            mtime: time,
            version: 0,
            cversion: 0,
            aversion: 0,
            ephemeral_owner: owner,
            pzxid: zxid,
        };
        let pd = PathData::in_stream(path, c.data, self.source.as_ref());
        if let (_, Some(old)) = self.insert_node(pd, acl, stat, parent) {
            // An orphan left by a delete of a node with children: replaced.
            self.acls.remove_use(old.acl);
        }
        r.changed = true;
        if let NodeKind::Ephemeral(s) = NodeKind::of(owner) {
            self.ephemerals.entry(s.0).or_default().insert(path.into());
        }
        self.quotas_after_create(path, parent_key, name, c.data);
        code::OK
    }

    /// A create's parent gets the logged `parentCVersion` (-1: one more
    /// than its own) and the create's zxid as pzxid.
    fn raise_child_version(&mut self, parent: u32, parent_cversion: i32, zxid: Zxid) {
        let mut pcv = parent_cversion;
        self.modify_id(parent, |p| {
            if pcv == -1 {
                pcv = p.stat.cversion.wrapping_add(1);
            }
            // 3.6+ guard: a replayed old create never lowers cversion/pzxid.
            if pcv > p.stat.cversion {
                p.stat.cversion = pcv;
                p.stat.pzxid = zxid;
            }
        });
    }

    /// A create's quota side effects: a limit node makes a quota root, a
    /// stats node is filled from its subtree, and a node under a quota root
    /// counts in that root's stats.
    fn quotas_after_create(
        &mut self,
        path: &[u8],
        parent_key: &[u8],
        name: &[u8],
        data: Option<&[u8]>,
    ) {
        if parent_key.starts_with(QUOTA_ROOT) {
            let real = &parent_key[QUOTA_ROOT.len()..];
            if name == QUOTA_LIMIT_NODE && !real.is_empty() {
                self.quota_roots.insert(real.into());
            }
            if name == QUOTA_STAT_NODE {
                self.update_quota_for_path(real);
            }
        }
        if let Some(q) = self.max_quota_prefix(path) {
            let bytes = data.map_or(0, |d| d.len() as i64);
            self.update_quota_stat(&q, bytes, 1);
        }
    }

    fn delete_node(&mut self, path: &[u8], zxid: Zxid, r: &mut ApplyResult) -> i32 {
        let Some((parent_key, name)) = split_parent(path) else {
            return code::NO_NODE;
        };
        let Some(parent) = self.find(parent_key) else {
            return code::NO_NODE;
        };
        // The parent loses the child name and gets pzxid first, even when the
        // child is already gone (a fuzzy snapshot). The node at `path` is
        // removed even when it is an orphan (not the parent's child).
        let child = self.find(path);
        let mut touched = child
            .and_then(|id| self.node(id))
            .is_some_and(|n| n.parent == parent);
        self.modify_id(parent, |p| {
            if zxid > p.stat.pzxid {
                p.stat.pzxid = zxid;
                touched = true;
            }
        });
        r.changed |= touched;
        let Some(node) = child.and_then(|id| self.remove_id(id)) else {
            return code::NO_NODE;
        };
        r.changed = true;
        self.acls.remove_use(node.acl);
        if let NodeKind::Ephemeral(s) = NodeKind::of(node.stat.ephemeral_owner)
            && let Some(set) = self.ephemerals.get_mut(&s.0)
        {
            set.remove(path);
            if set.is_empty() {
                self.ephemerals.remove(&s.0);
            }
        }
        if parent_key.starts_with(b"/zookeeper") && name == QUOTA_LIMIT_NODE {
            let real = parent_key.get(QUOTA_ROOT.len()..).unwrap_or(&[]);
            self.quota_roots.remove(real);
        }
        if let Some(q) = self.max_quota_prefix(path) {
            let bytes = node.pd.data_len as i64;
            self.update_quota_stat(&q, -bytes, -1);
        }
        code::OK
    }

    fn set_data(
        &mut self,
        path: &[u8],
        data: Option<&[u8]>,
        version: i32,
        zxid: Zxid,
        time: i64,
    ) -> i32 {
        // ZooKeeper keeps the root under "" and "/" (an alias).
        let logged = path;
        let path = key_of(path);
        let source = self.source.take();
        let mut last_len = 0i64;
        let found = self.modify(path, |n| {
            last_len = n.pd.data_len as i64;
            n.pd = if path == logged {
                PathData::in_stream(logged, data, source.as_ref())
            } else {
                n.pd.with_data(data)
            };
            n.stat.mtime = time;
            n.stat.mzxid = zxid;
            n.stat.version = version;
        });
        self.source = source;
        if !found {
            return code::NO_NODE;
        }
        if let Some(q) = self.max_quota_prefix(path) {
            let new_len = data.map_or(0, |d| d.len() as i64);
            self.update_quota_stat(&q, new_len - last_len, 0);
        }
        code::OK
    }

    fn set_acl(&mut self, path: &[u8], acl: Option<&[Acl<'_>]>, version: i32) -> i32 {
        let path = key_of(path);
        let Some(id) = self.find(path) else {
            return code::NO_NODE;
        };
        let old = self.node(id).map_or(AclRef::OPEN_UNSAFE, |n| n.acl);
        let new = self.acls.intern(acl);
        self.acls.remove_use(old);
        self.modify_id(id, |n| {
            n.stat.aversion = version;
            n.acl = new;
        });
        code::OK
    }

    fn set_cversion_pzxid(
        &mut self,
        path: &[u8],
        new_cversion: i32,
        zxid: Zxid,
        r: &mut ApplyResult,
    ) -> bool {
        let path = path.strip_suffix(b"/").unwrap_or(path);
        let Some((id, n)) = self.find(path).and_then(|id| Some((id, self.node(id)?))) else {
            return false;
        };
        let cv = if new_cversion == -1 {
            n.stat.cversion.wrapping_add(1)
        } else {
            new_cversion
        };
        if cv > n.stat.cversion {
            self.modify_id(id, |n| {
                n.stat.cversion = cv;
                n.stat.pzxid = zxid;
            });
            r.changed = true;
        }
        true
    }

    /// `killSession`: delete the listed paths, then any ephemeral of the
    /// session still there; without a body, every ephemeral of the session.
    fn kill_session(&mut self, session: i64, zxid: Zxid, paths: Option<&[&[u8]]>) -> bool {
        let mut r = ApplyResult::default();
        let owned = self.ephemerals.remove(&session);
        if let Some(list) = paths {
            for p in list {
                self.delete_node(p, zxid, &mut r);
            }
        }
        if let Some(mut set) = owned {
            if let Some(list) = paths {
                for p in list {
                    set.remove(*p);
                }
            }
            let mut rest: Vec<Box<[u8]>> = set.into_iter().collect();
            rest.sort();
            for p in rest {
                self.delete_node(&p, zxid, &mut r);
            }
        }
        r.changed
    }
}

/// The `ephemeralOwner` a create gives its node: the container marker, the
/// TTL marker with the TTL, the session of an ephemeral, else 0. `None` for
/// a TTL out of range.
fn create_owner(op: OpCode, c: &CreateTxn<'_>, session: i64) -> Option<i64> {
    let owner = match op {
        OpCode::CREATE_CONTAINER => crate::format::snapshot::CONTAINER_OWNER,
        OpCode::CREATE_TTL => {
            let ttl = c.ttl_ms.unwrap_or(0);
            if ttl <= 0 || ttl > crate::format::snapshot::MAX_TTL {
                return None;
            }
            (0xff00_0000_0000_0000_u64 as i64) | ttl
        }
        _ => {
            if c.ephemeral.unwrap_or(false) {
                session
            } else {
                0
            }
        }
    };
    Some(owner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::txn::TxnHeader;
    use crate::zxid::SessionId;

    fn hdr(op: OpCode, zxid: i64) -> TxnHeader {
        TxnHeader {
            session: SessionId(0x100),
            cxid: 1,
            zxid: Zxid(zxid),
            time: 1000 + zxid,
            op,
        }
    }

    fn create<'a>(path: &'a [u8], data: &'a [u8], pcv: i32) -> TxnBody<'a> {
        TxnBody::Create(CreateTxn {
            path,
            data: Some(data),
            acl: Some(crate::format::jute::AclList::One(Acl {
                perms: 31,
                scheme: b"world",
                id: b"anyone",
            })),
            ephemeral: Some(false),
            parent_cversion: pcv,
            ttl_ms: None,
            v0: false,
        })
    }

    fn txn<'a>(op: OpCode, zxid: i64, body: TxnBody<'a>) -> Txn<'a> {
        Txn {
            header: hdr(op, zxid),
            body,
            digest: None,
            ignored_bytes: 0,
        }
    }
    #[test]
    fn create_delete_rules() {
        let mut t = DataTree::new();
        let r = t.apply(&txn(OpCode::CREATE, 2, create(b"/a", b"x", 1)));
        assert_eq!(r.err, 0);
        let root = t.get(b"/").unwrap();
        assert_eq!((root.stat().cversion, root.stat().pzxid), (1, Zxid(2)));
        // Replayed create of an existing node: NodeExists, fix-up does not lower.
        let r = t.apply(&txn(OpCode::CREATE, 3, create(b"/a", b"y", 1)));
        assert_eq!(r.err, code::NODE_EXISTS);
        assert_eq!(t.get(b"/a").unwrap().data(), Some(&b"x"[..]));
        assert_eq!(t.get(b"/").unwrap().stat().pzxid, Zxid(2));
        // Fix-up raises when parentCVersion is higher.
        t.apply(&txn(OpCode::CREATE, 4, create(b"/a", b"y", 5)));
        assert_eq!(t.get(b"/").unwrap().stat().cversion, 5);
        assert_eq!(t.get(b"/").unwrap().stat().pzxid, Zxid(4));
        // Delete of a missing node still bumps the parent's pzxid.
        let r = t.apply(&txn(OpCode::DELETE, 6, TxnBody::Delete { path: b"/zz" }));
        assert_eq!(r.err, code::NO_NODE);
        assert_eq!(t.get(b"/").unwrap().stat().pzxid, Zxid(6));
        t.apply(&txn(OpCode::DELETE, 7, TxnBody::Delete { path: b"/a" }));
        assert!(t.get(b"/a").is_none());
        assert_eq!(t.get(b"/").unwrap().stat().cversion, 5);
        assert_eq!(t.digest(), t.recompute_digest());
    }

    #[test]
    fn failed_multi_changes_nothing() {
        let mut t = DataTree::new();
        let before = t.digest();
        let body = TxnBody::Multi {
            ops: vec![
                crate::format::txn::SubTxn {
                    op: OpCode::CREATE,
                    body: create(b"/m", b"", 1),
                },
                crate::format::txn::SubTxn {
                    op: OpCode::ERROR,
                    body: TxnBody::Error {
                        err: -103,
                        rewritten: None,
                    },
                },
            ],
        };
        let r = t.apply(&txn(OpCode::MULTI, 2, body));
        assert!(t.get(b"/m").is_none());
        assert_eq!(t.digest(), before);
        assert_eq!(r.err, -103);
        assert_eq!(t.last_processed_zxid(), Zxid(2));
    }

    #[test]
    fn counts_the_bytes_of_a_log_that_live_nodes_use() {
        // Path and data as a log lays them out: a jute string, then a jute buffer.
        let mut raw = Vec::new();
        let mut starts = Vec::new();
        for (path, data) in [
            (&b"/a"[..], &b"hello"[..]),
            (b"/b", b"wxyz"),
            (b"/a", b"0123456789"),
        ] {
            starts.push(raw.len() + 4);
            raw.extend_from_slice(&(path.len() as i32).to_be_bytes());
            raw.extend_from_slice(path);
            raw.extend_from_slice(&(data.len() as i32).to_be_bytes());
            raw.extend_from_slice(data);
        }
        let log = Arc::new(Bytes::Owned(raw));
        let path = |i: usize| &log[starts[i]..starts[i] + 2];
        let data = |i: usize| &log[starts[i] + 2 + 4..][..[5, 4, 10][i]];
        let mut t = DataTree::new();
        t.count_bytes_in(&log);
        t.apply_in(
            &txn(OpCode::CREATE, 2, create(path(0), data(0), 1)),
            Some(&log),
        );
        assert_eq!(t.counted_bytes(), 2 + 4 + 5);
        t.apply_in(
            &txn(OpCode::CREATE, 3, create(path(1), data(1), 2)),
            Some(&log),
        );
        assert_eq!(t.counted_bytes(), 11 + 10);
        // New data in the log replaces counted data (the parent's new
        // cversion changes nothing); data from elsewhere is not counted.
        let body = TxnBody::SetData {
            path: path(2),
            data: Some(data(2)),
            version: 1,
        };
        t.apply_in(&txn(OpCode::SET_DATA, 4, body), Some(&log));
        assert_eq!(t.counted_bytes(), 10 + 16);
        let body = TxnBody::SetData {
            path: b"/b",
            data: Some(b"elsewhere"),
            version: 1,
        };
        t.apply(&txn(OpCode::SET_DATA, 5, body));
        assert_eq!(t.counted_bytes(), 16);
        t.apply(&txn(OpCode::DELETE, 6, TxnBody::Delete { path: b"/a" }));
        assert_eq!(t.counted_bytes(), 0);
        assert_eq!(t.get(b"/b").unwrap().data(), Some(&b"elsewhere"[..]));
    }
}
