//! The in-memory DataTree: ZooKeeper's znode tree as `DataTree` holds it,
//! with the per-txn apply rules of `DataTree.processTxn` (3.8), the quota
//! side effects, sessions, and the incremental tree digest (FORMAT.md §5, §6.4).
//!
//! Nodes are keyed by their path bytes; **the root's key is `""`**, exactly
//! as ZooKeeper stores it on disk and hashes it for the digest (users see it
//! as "/", see [`display_path`]). ACL lists live once in a tree-owned table
//! ([`AclTable`]), the way `ReferenceCountedACLCache` keeps them, and nodes
//! refer to them by index.
//!
//! Layout, for speed on million-node trees (`zkdd replay` of a data dir is
//! mostly cache misses): nodes live in one slab and refer to each other by
//! index (parent; children as a linked list in insertion order, so
//! `numChildren`, deletes and parent-before-child snapshot writing need no
//! scan and no per-child allocation). A path index maps paths to slab
//! indexes (open addressing, 8 bytes a slot). A node's path and data sit
//! side by side: in the snapshot or log record they were read from (the tree
//! keeps those files mapped; nothing is copied) or, when made here, in one
//! allocation. [`DataTree::warm`] lets a caller touch what a batch of txns
//! will look up before applying them, so the cache misses overlap.
//!
//! Memory: per node about 140 bytes of slab and index plus its path and
//! data, which for nodes read from files are the files' own pages.
//!
//! This module holds the tree's storage (the slab, the child lists and the
//! lookups) and what reads it; the rest is in submodules: `apply` (the
//! per-txn rules), `quota` (quota stats), `snapshot` (loading and writing
//! snapshots), `warm` (overlapping cache misses), `index` (the path index),
//! `node` (a node's bytes and links), `acl` (the ACL table), `digest` (the
//! per-node digest), `hash` (the maps' hasher); [`replay`] builds a tree
//! from a data dir, [`parents`] finds a snapshot's parents without a tree.
//!
//! See: `DataTree.java`, `NodeHashMapImpl.java`, `DigestCalculator.java`,
//! `ReferenceCountedACLCache.java`, `StatsTrack.java` (3.8.0).

mod acl;
mod apply;
mod digest;
mod hash;
mod index;
mod node;
pub mod parents;
mod quota;
pub mod replay;
mod snapshot;
mod warm;

use std::sync::Arc;

pub use acl::{AclRef, AclTable, OwnedAcl, open_acl_unsafe};
pub use apply::{ApplyResult, code};
pub use digest::node_digest;
pub use hash::{FastHasher, FastMap, FastSet, path_hash128};
pub use node::TreeNode;
pub use quota::{QUOTA_LIMIT_NODE, QUOTA_ROOT, QUOTA_STAT_NODE};
pub(crate) use quota::{quota_limit_real, quota_stats_text};
pub use snapshot::{LoadError, LoadReport};

use crate::files::source::Bytes;
use crate::format::jute::Acl;
use crate::format::snapshot::StatPersisted;
use crate::zxid::{SessionId, Zxid};
use index::{PathIndex, hash_key};
use node::PathData;

/// The path users see: "/" for the root key "".
pub fn display_path(key: &[u8]) -> &[u8] {
    if key.is_empty() { b"/" } else { key }
}

/// The key a user path maps to: "" for "/".
pub fn key_of(path: &[u8]) -> &[u8] {
    if path == b"/" { b"" } else { path }
}

/// Splits a key into (parent key, child name) at the last '/'.
pub(crate) fn split_parent(path: &[u8]) -> Option<(&[u8], &[u8])> {
    let i = path.iter().rposition(|&b| b == b'/')?;
    Some((path.get(..i)?, path.get(i + 1..)?))
}

/// No node (an absent link).
const NONE: u32 = u32::MAX;

/// The znode tree, sessions and digest.
#[derive(Clone, Debug)]
pub struct DataTree {
    /// Node slab; freed slots are listed in `free`.
    nodes: Vec<TreeNode>,
    free: Vec<u32>,
    /// Live nodes by path: slab indexes, hashed by their keys.
    index: PathIndex,
    acls: AclTable,
    sessions: FastMap<SessionId, i32>,
    ephemerals: FastMap<i64, FastSet<Box<[u8]>>>,
    quota_roots: FastSet<Box<[u8]>>,
    digest: i64,
    last_processed_zxid: Zxid,
    /// The log the txn being applied was read from (see `apply_in`).
    source: Option<Arc<Bytes>>,
    /// The file whose bytes live nodes refer to are counted in
    /// `counted_bytes` (see [`DataTree::count_bytes_in`]).
    counted: Option<Arc<Bytes>>,
    counted_bytes: u64,
}

impl Default for DataTree {
    fn default() -> Self {
        Self::new()
    }
}

impl DataTree {
    /// ZooKeeper's initial tree (`new DataTree()`): the root, `/zookeeper`,
    /// `/zookeeper/quota` (all ACL id -1) and `/zookeeper/config` (world:anyone
    /// READ, aversion -1), every one with empty data and zero stat.
    pub fn new() -> DataTree {
        DataTree::initial(true)
    }

    /// The initial tree of a ZooKeeper version: [`DataTree::new`], without
    /// `/zookeeper/config` when `config_node` is false (3.4 has none).
    pub fn initial(config_node: bool) -> DataTree {
        let mut t = DataTree::empty();
        let zero = StatPersisted::default();
        t.insert_node(
            PathData::owned(b"", Some(b"")),
            AclRef::OPEN_UNSAFE,
            zero,
            NONE,
        );
        t.acls.add_use(AclRef::OPEN_UNSAFE);
        for (path, aversion, acl) in [
            (&b"/zookeeper"[..], 0, None),
            (b"/zookeeper/quota", 0, None),
            (
                b"/zookeeper/config",
                -1,
                Some(vec![Acl {
                    perms: 1,
                    scheme: b"world",
                    id: b"anyone",
                }]),
            ),
        ] {
            if !config_node && path == b"/zookeeper/config" {
                continue;
            }
            let acl = t.acls.intern(acl.as_deref());
            let stat = StatPersisted { aversion, ..zero };
            let parent = split_parent(path)
                .and_then(|(p, _)| t.find(p))
                .unwrap_or(NONE);
            t.insert_node(PathData::owned(path, Some(b"")), acl, stat, parent);
        }
        t
    }

    /// A tree with no nodes at all (what `deserialize` starts from).
    fn empty() -> DataTree {
        DataTree {
            nodes: Vec::new(),
            free: Vec::new(),
            index: PathIndex::default(),
            acls: AclTable::default(),
            sessions: FastMap::default(),
            ephemerals: FastMap::default(),
            quota_roots: FastSet::default(),
            digest: 0,
            last_processed_zxid: Zxid(0),
            source: None,
            counted: None,
            counted_bytes: 0,
        }
    }
    // ---- the slab, the index and the child lists ------------------------

    fn node(&self, id: u32) -> Option<&TreeNode> {
        self.nodes.get(id as usize)
    }

    fn key(&self, id: u32) -> &[u8] {
        self.node(id).map_or(&[][..], |n| n.pd.key())
    }

    /// The live node at `key`.
    fn find(&self, key: &[u8]) -> Option<u32> {
        let nodes = &self.nodes;
        self.index.find(hash_key(key), |id| {
            nodes.get(id as usize).is_some_and(|n| n.pd.key() == key)
        })
    }

    /// Appends `child` to `parent`'s children.
    fn link(&mut self, parent: u32, child: u32) {
        let Some(p) = self.nodes.get_mut(parent as usize) else {
            return;
        };
        let last = p.last_child;
        p.last_child = child;
        if last == NONE {
            p.first_child = child;
        }
        p.num_children += 1;
        if let Some(c) = self.nodes.get_mut(child as usize) {
            c.parent = parent;
            c.prev = last;
            c.next = NONE;
        }
        if let Some(l) = self.nodes.get_mut(last as usize) {
            l.next = child;
        }
    }

    /// Takes `child` out of its parent's children; false if it had no parent.
    fn unlink(&mut self, child: u32) -> bool {
        let Some(c) = self.nodes.get_mut(child as usize) else {
            return false;
        };
        let (parent, prev, next) = (c.parent, c.prev, c.next);
        if parent == NONE {
            return false;
        }
        (c.parent, c.prev, c.next) = (NONE, NONE, NONE);
        match self.nodes.get_mut(prev as usize) {
            Some(p) => p.next = next,
            None => {
                if let Some(p) = self.nodes.get_mut(parent as usize) {
                    p.first_child = next;
                }
            }
        }
        match self.nodes.get_mut(next as usize) {
            Some(n) => n.prev = prev,
            None => {
                if let Some(p) = self.nodes.get_mut(parent as usize) {
                    p.last_child = prev;
                }
            }
        }
        if let Some(p) = self.nodes.get_mut(parent as usize) {
            p.num_children = p.num_children.saturating_sub(1);
        }
        true
    }

    /// Inserts a node under `parent` (`NONE`: no parent) with its digest
    /// added; returns its id and a node it replaced (digest removed).
    fn insert_node(
        &mut self,
        pd: PathData,
        acl: AclRef,
        stat: StatPersisted,
        parent: u32,
    ) -> (u32, Option<TreeNode>) {
        let key = pd.key();
        let digest = node_digest(key, pd.data(), &stat);
        self.digest = self.digest.wrapping_add(i64::from(digest));
        let hash = hash_key(key);
        let old = self.find(key).and_then(|id| self.remove_id(id));
        self.counted_bytes += pd.bytes_in(self.counted.as_ref());
        let node = TreeNode {
            pd,
            stat,
            acl,
            digest,
            live: true,
            ..TreeNode::vacant()
        };
        let id = match self.free.pop() {
            Some(id) => {
                if let Some(slot) = self.nodes.get_mut(id as usize) {
                    *slot = node;
                }
                id
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        };
        self.index.insert(hash, id);
        if parent != NONE {
            self.link(parent, id);
        }
        (id, old)
    }

    /// Removes a node (digest removed): out of the index and its parent's
    /// children; its own children become orphans. Returns it.
    fn remove_id(&mut self, id: u32) -> Option<TreeNode> {
        self.index.remove(hash_key(self.key(id)), id);
        self.unlink(id);
        let mut c = self.node(id)?.first_child;
        while let Some(n) = self.nodes.get_mut(c as usize) {
            c = n.next;
            (n.parent, n.prev, n.next) = (NONE, NONE, NONE);
        }
        let node = std::mem::replace(self.nodes.get_mut(id as usize)?, TreeNode::vacant());
        self.free.push(id);
        self.digest = self.digest.wrapping_sub(i64::from(node.digest));
        self.counted_bytes = self
            .counted_bytes
            .saturating_sub(node.pd.bytes_in(self.counted.as_ref()));
        Some(node)
    }

    /// Changes a node in place and keeps the digest in step (preChange/postChange).
    fn modify_id(&mut self, id: u32, f: impl FnOnce(&mut TreeNode)) -> bool {
        let Some(n) = self.nodes.get_mut(id as usize) else {
            return false;
        };
        let counted_before = n.pd.bytes_in(self.counted.as_ref());
        f(n);
        self.counted_bytes = self.counted_bytes.saturating_sub(counted_before)
            + n.pd.bytes_in(self.counted.as_ref());
        let d = node_digest(n.pd.key(), n.pd.data(), &n.stat);
        self.digest = self
            .digest
            .wrapping_sub(i64::from(n.digest))
            .wrapping_add(i64::from(d));
        n.digest = d;
        true
    }

    /// [`DataTree::modify_id`] by path.
    fn modify(&mut self, key: &[u8], f: impl FnOnce(&mut TreeNode)) -> bool {
        match self.find(key) {
            Some(id) => self.modify_id(id, f),
            None => false,
        }
    }

    /// The ids of `id`'s children, in insertion order.
    fn child_ids(&self, id: u32) -> impl Iterator<Item = u32> + '_ {
        let first = self.node(id).map_or(NONE, |n| n.first_child);
        std::iter::successors(Some(first).filter(|&c| c != NONE), move |&c| {
            self.node(c).map(|n| n.next).filter(|&n| n != NONE)
        })
    }

    /// The node at `path` ("/" or "" for the root).
    pub fn get(&self, path: &[u8]) -> Option<&TreeNode> {
        self.find(key_of(path)).and_then(|id| self.node(id))
    }

    /// The names of a node's children, in the order they were added.
    pub fn children<'a>(&'a self, node: &'a TreeNode) -> impl Iterator<Item = &'a [u8]> + 'a {
        let first = Some(node.first_child).filter(|&c| c != NONE);
        std::iter::successors(first, move |&c| {
            self.node(c).map(|n| n.next).filter(|&n| n != NONE)
        })
        .map(|c| {
            let k = self.key(c);
            let at = k.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
            k.get(at..).unwrap_or(&[])
        })
    }

    /// Resolves a node's ACL list (`None`: its id was missing from the snapshot's cache).
    pub fn acl(&self, node: &TreeNode) -> Option<std::borrow::Cow<'_, [OwnedAcl]>> {
        self.acls.resolve(node.acl)
    }

    /// The ACL table.
    pub fn acl_table(&self) -> &AclTable {
        &self.acls
    }

    /// Number of nodes held (orphans of a childful delete included, as in ZooKeeper's map).
    pub fn node_count(&self) -> usize {
        self.index.len()
    }

    /// Starts counting the bytes of `file` that live nodes refer to (their
    /// paths and data, loaded from it in place), from zero: nodes loaded
    /// from it before are not counted. A replay drops the pages of a mapped
    /// log it has read only when most of them hold no node any more;
    /// dropping pages the tree still uses saves nothing and costs a page
    /// fault at each later use.
    pub fn count_bytes_in(&mut self, file: &Arc<Bytes>) {
        self.counted = Some(Arc::clone(file));
        self.counted_bytes = 0;
    }

    /// The bytes counted since [`DataTree::count_bytes_in`].
    pub fn counted_bytes(&self) -> u64 {
        self.counted_bytes
    }

    /// The incremental tree digest (wrapping sum of node digests).
    pub fn digest(&self) -> i64 {
        self.digest
    }

    /// Recomputes the digest from scratch (for checks).
    pub fn recompute_digest(&self) -> i64 {
        self.nodes.iter().filter(|n| n.live).fold(0i64, |acc, n| {
            let d = node_digest(n.pd.key(), n.pd.data(), &n.stat);
            acc.wrapping_add(i64::from(d))
        })
    }

    /// The highest zxid applied (`lastProcessedZxid`).
    pub fn last_processed_zxid(&self) -> Zxid {
        self.last_processed_zxid
    }

    /// Sets `lastProcessedZxid` (restore sets it to the snapshot's name zxid).
    pub fn set_last_processed_zxid(&mut self, z: Zxid) {
        self.last_processed_zxid = z;
    }

    /// Sessions and their timeouts.
    pub fn sessions(&self) -> &FastMap<SessionId, i32> {
        &self.sessions
    }

    /// Sessions sorted by id.
    pub fn sorted_sessions(&self) -> Vec<(SessionId, i32)> {
        let mut v: Vec<_> = self.sessions.iter().map(|(k, v)| (*k, *v)).collect();
        v.sort();
        v
    }

    /// Every node reachable from the root, parents before children (pre-order,
    /// children in byte order), with its key. Orphans are left out, as
    /// ZooKeeper's own walk and snapshot writer leave them out.
    pub fn walk(&self) -> Vec<(&[u8], &TreeNode)> {
        let mut out = Vec::with_capacity(self.index.len());
        let Some(root) = self.find(b"") else {
            return out;
        };
        let mut stack = vec![root];
        let mut kids: Vec<(&[u8], u32)> = Vec::new();
        while let Some(id) = stack.pop() {
            let Some(n) = self.node(id) else {
                continue;
            };
            out.push((n.pd.key(), n));
            kids.clear();
            kids.extend(self.child_ids(id).map(|c| (self.key(c), c)));
            // Children of one parent share its prefix: comparing keys is
            // comparing names. Pushed in reverse so they pop in order.
            kids.sort_unstable_by(|a, b| b.0.cmp(a.0));
            stack.extend(kids.iter().map(|&(_, c)| c));
        }
        out
    }

    /// Every node reachable from the root, parents before children, children
    /// in the order they were added (for a loaded snapshot: its own order).
    /// Cheaper than [`DataTree::walk`]: no sorting, no lookups, no list.
    fn walk_in_order(&self) -> impl Iterator<Item = (&[u8], &TreeNode)> {
        let mut next = self.find(b"");
        let root = next;
        std::iter::from_fn(move || {
            let id = next?;
            let n = self.node(id)?;
            // Pre-order successor: the first child, else the next sibling
            // of the nearest node on the way up that has one.
            next = if n.first_child != NONE {
                Some(n.first_child)
            } else {
                let mut at = id;
                loop {
                    if Some(at) == root {
                        break None;
                    }
                    let Some(a) = self.node(at) else {
                        break None;
                    };
                    if a.next != NONE {
                        break Some(a.next);
                    }
                    at = a.parent;
                }
            };
            Some((n.pd.key(), n))
        })
    }

    /// The paths of the ephemerals `session` owns (keys, as [`DataTree::get`] takes).
    pub fn ephemerals_of(&self, session: i64) -> Vec<&[u8]> {
        self.ephemerals
            .get(&session)
            .map(|s| s.iter().map(|p| &p[..]).collect())
            .unwrap_or_default()
    }

    /// Every reachable node sorted by the bytes of its display path ("/" first).
    pub fn sorted_nodes(&self) -> Vec<(&[u8], &TreeNode)> {
        let mut v = self.walk();
        v.sort_unstable_by(|a, b| display_path(a.0).cmp(display_path(b.0)));
        v
    }

    /// Removes every session (restores into a fresh ensemble).
    pub fn drop_sessions(&mut self) -> usize {
        let n = self.sessions.len();
        self.sessions.clear();
        n
    }
}

/// True when `path` is `prefix` or below it.
pub fn in_subtree(path: &[u8], prefix: &[u8]) -> bool {
    let prefix = prefix.strip_suffix(b"/").unwrap_or(prefix);
    if prefix.is_empty() {
        return true;
    }
    path == prefix || (path.starts_with(prefix) && path.get(prefix.len()) == Some(&b'/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_tree_digest_matches_zookeeper() {
        // FORMAT.md §5.2 worked example: 3.8.0 logs 1371985504 at startup.
        assert_eq!(DataTree::new().digest(), 1_371_985_504);
    }
}
