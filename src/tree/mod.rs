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
//! See: `DataTree.java`, `NodeHashMapImpl.java`, `DigestCalculator.java`,
//! `ReferenceCountedACLCache.java`, `StatsTrack.java` (3.8.0).

mod acl;
mod digest;
mod hash;
mod index;
mod node;
pub mod parents;
pub mod replay;

use std::fmt;
use std::sync::Arc;

pub use acl::{AclRef, AclTable, OwnedAcl, open_acl_unsafe};
pub use digest::node_digest;
pub use hash::{FastHasher, FastMap, FastSet};
pub use node::TreeNode;

use crate::files::source::Bytes;
use crate::format::jute::Acl;
use crate::format::snapshot::{NodeKind, Snapshot, SnapshotEnd, StatPersisted, Trailer};
use crate::format::txn::{CreateTxn, OpCode, Txn, TxnBody};
use crate::zxid::{SessionId, Zxid};
use index::{PathIndex, hash_key};
use node::PathData;

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

/// The quota root under which limits and stats live.
pub const QUOTA_ROOT: &[u8] = b"/zookeeper/quota";
/// Name of a quota's limit node.
pub const QUOTA_LIMIT_NODE: &[u8] = b"zookeeper_limits";
/// Name of a quota's stats node.
pub const QUOTA_STAT_NODE: &[u8] = b"zookeeper_stats";

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

/// Most paths [`DataTree::warm`] looks at in one call.
const WARM_MAX: usize = 128;
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

/// A problem found while loading a snapshot into a tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// The node stream is corrupt (includes the offset).
    Decode(crate::format::DecodeError),
    /// A node whose parent was not seen before it
    /// ("Invalid Datatree, unable to find parent").
    MissingParent {
        /// Offset of the node record.
        offset: u64,
        /// The node's path.
        path: Vec<u8>,
    },
    /// A node path without any '/' that is not the root.
    BadPath {
        /// Offset of the node record.
        offset: u64,
        /// The path.
        path: Vec<u8>,
    },
    /// The ACL cache holds a null list (ZooKeeper's loader throws).
    NullAclList {
        /// Offset of the cache entry.
        offset: u64,
        /// Its id.
        id: i64,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Decode(e) => write!(f, "{e}"),
            LoadError::MissingParent { offset, path } => write!(
                f,
                "node {} at offset {offset:#x} comes before its parent (Invalid Datatree)",
                String::from_utf8_lossy(path)
            ),
            LoadError::BadPath { offset, path } => write!(
                f,
                "node path {:?} at offset {offset:#x} has no '/'",
                String::from_utf8_lossy(path)
            ),
            LoadError::NullAclList { offset, id } => {
                write!(
                    f,
                    "ACL cache entry {id} at offset {offset:#x} is a null list"
                )
            }
        }
    }
}

impl std::error::Error for LoadError {}

/// What loading a snapshot found besides the tree.
#[derive(Clone, Debug, Default)]
pub struct LoadReport {
    /// The trailer (seals, digest section), when the stream was complete.
    pub trailer: Option<Trailer>,
    /// ACL ids nodes referred to that the cache lacks ("Ignoring acl").
    pub missing_acl_ids: Vec<i64>,
    /// Node paths that appeared more than once (the later record wins).
    pub duplicate_paths: usize,
    /// Nodes read.
    pub nodes: u64,
}

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
        }
    }

    /// Loads a parsed snapshot the way `DataTree.deserialize` does: nodes in
    /// file order (each parent must already be there), ACL ids resolved via
    /// the snapshot's cache, ephemerals indexed, quotas set up from the
    /// `zookeeper_limits` nodes with their stats recomputed. Sessions come
    /// from the snapshot. `lastProcessedZxid` is left at 0: the caller sets
    /// it to the file name's zxid. Node data is copied out of `snap`.
    pub fn from_snapshot(snap: &Snapshot<'_>) -> Result<(DataTree, LoadReport), LoadError> {
        Self::load(snap, None)
    }

    /// [`DataTree::from_snapshot`] for a snapshot parsed from `stream`:
    /// node data is not copied but refers to `stream`, which the tree keeps.
    pub fn from_snapshot_in(
        snap: &Snapshot<'_>,
        stream: &Arc<Bytes>,
    ) -> Result<(DataTree, LoadReport), LoadError> {
        Self::load(snap, Some(stream))
    }

    fn load(
        snap: &Snapshot<'_>,
        stream: Option<&Arc<Bytes>>,
    ) -> Result<(DataTree, LoadReport), LoadError> {
        let mut t = DataTree::empty();
        // A node record takes at least 76 bytes; typical ones far more. The
        // slab is filled in order, so unused capacity is never touched.
        t.index.reserve(snap.len() / 256);
        t.nodes.reserve(snap.len() / 128);
        let mut report = LoadReport::default();
        let mut by_id: FastMap<i64, AclRef> = FastMap::default();
        for e in snap.acl_cache() {
            let Some(list) = &e.acl else {
                return Err(LoadError::NullAclList {
                    offset: e.offset,
                    id: e.id,
                });
            };
            let owned: Box<[OwnedAcl]> = list.iter().map(OwnedAcl::from_acl).collect();
            by_id.insert(e.id, t.acls.intern_owned(owned));
        }
        for s in snap.sessions() {
            t.sessions.insert(s.session, s.timeout_ms);
        }
        // Nodes come in pre-order, so a node's parent is the previous node
        // or one of its ancestors: look there before hashing the path.
        let mut ancestors: Vec<u32> = Vec::new();
        // Nodes go in batches: their index slots are read together first,
        // so those cache misses overlap (see `warm`).
        let mut iter = snap.nodes();
        let mut batch = Vec::with_capacity(WARM_MAX);
        loop {
            batch.clear();
            batch.extend((&mut iter).take(WARM_MAX));
            if batch.is_empty() {
                break;
            }
            let mut keys: [&[u8]; WARM_MAX] = [&[]; WARM_MAX];
            for (k, node) in keys.iter_mut().zip(&batch) {
                *k = node.path;
            }
            t.warm_keys(keys.get(..batch.len()).unwrap_or(&[]));
            for node in batch.drain(..) {
                report.nodes += 1;
                let acl = if node.acl_id == -1 {
                    AclRef::OPEN_UNSAFE
                } else if let Some(&r) = by_id.get(&node.acl_id) {
                    r
                } else {
                    if !report.missing_acl_ids.contains(&node.acl_id) {
                        report.missing_acl_ids.push(node.acl_id);
                    }
                    t.acls.missing_ref(node.acl_id)
                };
                t.acls.add_use(acl);
                let parent = if node.path.is_empty() {
                    NONE
                } else {
                    let Some((parent_key, _)) = split_parent(node.path) else {
                        return Err(LoadError::BadPath {
                            offset: node.offset,
                            path: node.path.to_vec(),
                        });
                    };
                    let mut found = None;
                    while let Some(&top) = ancestors.last() {
                        if t.nodes
                            .get(top as usize)
                            .is_some_and(|n| n.live && n.pd.key() == parent_key)
                        {
                            found = Some(top);
                            break;
                        }
                        ancestors.pop();
                    }
                    match found.or_else(|| t.find(parent_key)) {
                        Some(p) => {
                            if ancestors.is_empty() {
                                ancestors.push(p);
                            }
                            p
                        }
                        None => {
                            return Err(LoadError::MissingParent {
                                offset: node.offset,
                                path: node.path.to_vec(),
                            });
                        }
                    }
                };
                let pd = PathData::in_stream(node.path, node.data, stream);
                let (id, old) = t.insert_node(pd, acl, node.stat, parent);
                if let Some(old) = old {
                    // A path stored twice: the later record replaces the earlier
                    // one (and its children), as `nodes.put` does.
                    report.duplicate_paths += 1;
                    t.acls.remove_use(old.acl);
                }
                ancestors.push(id);
                if let NodeKind::Ephemeral(s) = NodeKind::of(node.stat.ephemeral_owner) {
                    t.ephemerals
                        .entry(s.0)
                        .or_default()
                        .insert(node.path.into());
                }
            }
        }
        match iter.into_end() {
            Some(SnapshotEnd::Complete(tr)) => report.trailer = Some(tr),
            Some(SnapshotEnd::Corrupt(e)) => return Err(LoadError::Decode(e)),
            None => {}
        }
        t.setup_quota();
        Ok((t, report))
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
        Some(node)
    }

    /// Changes a node in place and keeps the digest in step (preChange/postChange).
    fn modify_id(&mut self, id: u32, f: impl FnOnce(&mut TreeNode)) -> bool {
        let Some(n) = self.nodes.get_mut(id as usize) else {
            return false;
        };
        f(n);
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

    /// Writes the tree as an uncompressed snapshot stream the way
    /// `FileSnap.serialize` does: sessions (by id), the ACL cache (lists in
    /// use), every node reachable from the root with parents first
    /// (children in the order they were added, as ZooKeeper writes them in
    /// its own set order; any such order loads the same tree), the
    /// terminator and seal, then a digest section at `zxid` with the digest
    /// of the nodes written, and its seal. Returns the writer.
    pub fn write_snapshot<W: std::io::Write>(&self, out: W, zxid: Zxid) -> std::io::Result<W> {
        let sessions = self.sorted_sessions();
        let (ids, cache) = self.acls.snapshot_ids();
        let cache: Vec<(i64, Vec<Acl<'_>>)> = cache
            .iter()
            .map(|(id, list)| (*id, list.iter().map(OwnedAcl::as_acl).collect()))
            .collect();
        let mut w = crate::format::write::SnapshotWriter::new(out, &sessions, &cache)?;
        let mut digest = 0i64;
        let mut walk = self.walk_in_order();
        let mut batch = Vec::with_capacity(WARM_MAX);
        loop {
            batch.clear();
            batch.extend((&mut walk).take(WARM_MAX));
            if batch.is_empty() {
                break;
            }
            // Touch each node's data first, so the cache misses overlap.
            let acc = batch.iter().fold(0u8, |a, (_, n)| {
                a ^ n.data().and_then(|d| d.first()).copied().unwrap_or(0)
            });
            std::hint::black_box(acc);
            for (key, n) in &batch {
                let id = ids.get(n.acl.0 as usize).copied().unwrap_or(-1);
                w.node(key, n.data(), id, &n.stat)?;
                digest = digest.wrapping_add(i64::from(n.digest));
            }
        }
        w.finish(Some((zxid, digest)))
    }

    /// Brings into cache what applying `txns` will look up: for each path
    /// (and a create's or delete's parent) its index slot, its node and the
    /// start of its path bytes, one stage for all paths before the next, so
    /// the cache misses of many lookups overlap instead of queueing one
    /// after the other. Changes nothing; a stale guess only costs a read.
    pub fn warm<'t>(&self, txns: impl IntoIterator<Item = &'t Txn<'t>>) {
        let mut keys: [&[u8]; WARM_MAX] = [&[]; WARM_MAX];
        let mut n = 0;
        let mut add = |k: &'t [u8], parent: bool| {
            for k in [
                Some(k),
                parent.then(|| split_parent(k).map(|(p, _)| p)).flatten(),
            ]
            .into_iter()
            .flatten()
            {
                if let Some(slot) = keys.get_mut(n) {
                    *slot = k;
                    n += 1;
                }
            }
        };
        for t in txns {
            match &t.body {
                TxnBody::SetData { path, .. } | TxnBody::SetAcl { path, .. } => add(path, false),
                TxnBody::Create(c) => add(c.path, true),
                TxnBody::Delete { path } => add(path, true),
                TxnBody::Multi { ops } => {
                    for op in ops {
                        match &op.body {
                            TxnBody::SetData { path, .. } => add(path, false),
                            TxnBody::Create(c) => add(c.path, true),
                            TxnBody::Delete { path } => add(path, true),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        self.warm_keys(keys.get(..n).unwrap_or(&[]));
    }

    /// [`DataTree::warm`] for up to `WARM_MAX` paths.
    fn warm_keys(&self, keys: &[&[u8]]) {
        let n = keys.len().min(WARM_MAX);
        let mut tags = [0u32; WARM_MAX];
        for (k, tag) in keys.iter().zip(tags.iter_mut()) {
            *tag = PathIndex::tag(hash_key(k));
        }
        // A tight loop of independent loads, without branches: the misses
        // overlap.
        let mut ids = [NONE; WARM_MAX];
        for (tag, id) in tags.iter().zip(ids.iter_mut()).take(n) {
            let s = self.index.slot(*tag);
            *id = if (s >> 32) as u32 == *tag {
                s as u32
            } else {
                NONE
            };
        }
        let mut acc = 0u64;
        for id in ids.get(..n).unwrap_or(&[]) {
            if let Some(node) = self.node(*id) {
                acc ^= node.stat.mzxid.0 as u64 ^ node.pd.key_len as u64;
            }
        }
        for id in ids.get(..n).unwrap_or(&[]) {
            if let Some(node) = self.node(*id) {
                let k = node.pd.key();
                acc ^= u64::from(k.first().copied().unwrap_or(0) ^ k.last().copied().unwrap_or(0));
            }
        }
        std::hint::black_box(acc);
    }

    // ---- apply rules -------------------------------------------------

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
            TxnBody::Create(c) => {
                let owner = match op {
                    OpCode::CREATE_CONTAINER => crate::format::snapshot::CONTAINER_OWNER,
                    OpCode::CREATE_TTL => {
                        let ttl = c.ttl_ms.unwrap_or(0);
                        if ttl <= 0 || ttl > crate::format::snapshot::MAX_TTL {
                            r.err = code::BAD_ARGUMENTS;
                            return;
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
            TxnBody::Error { err } => r.err = *err,
            TxnBody::Check { .. } => {}
            // Sessions and multis are handled by `apply`; anything else
            // cannot reach here (the decoder only makes Invalid in multis).
            _ => {}
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
        let mut pcv = c.parent_cversion;
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
            let bytes = c.data.map_or(0, |d| d.len() as i64);
            self.update_quota_stat(&q, bytes, 1);
        }
        code::OK
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

    // ---- quotas --------------------------------------------------------

    /// `getMaxPrefixWithQuota`: the deepest quota root that is `path` or
    /// one of its ancestors (component-wise), never "/".
    fn max_quota_prefix(&self, path: &[u8]) -> Option<Vec<u8>> {
        if self.quota_roots.is_empty() {
            return None;
        }
        let mut end = path.len();
        loop {
            let prefix = path.get(..end)?;
            if !prefix.is_empty() && self.quota_roots.contains(prefix) {
                return Some(prefix.to_vec());
            }
            end = prefix.iter().rposition(|&b| b == b'/')?;
            if end == 0 {
                return None;
            }
        }
    }

    pub(crate) fn stat_path(real: &[u8]) -> Vec<u8> {
        let mut p = QUOTA_ROOT.to_vec();
        p.extend_from_slice(real);
        p.push(b'/');
        p.extend_from_slice(QUOTA_STAT_NODE);
        p
    }

    /// `updateQuotaStat`: adds to count and bytes in the stats node's text,
    /// without touching its stat (and outside the digest: it lives under /zookeeper/).
    fn update_quota_stat(&mut self, real: &[u8], bytes_diff: i64, count_diff: i64) {
        let sp = Self::stat_path(real);
        let Some((id, n)) = self.find(&sp).and_then(|id| Some((id, self.node(id)?))) else {
            return;
        };
        let mut st = StatsTrack::parse(n.data().unwrap_or(&[]));
        st.count = st.count.wrapping_add(count_diff);
        st.bytes = st.bytes.wrapping_add(bytes_diff);
        let text = st.to_bytes();
        self.modify_id(id, |n| n.pd = n.pd.with_data(Some(&text)));
    }

    /// `updateQuotaForPath`: recounts the subtree and rewrites the stats node.
    fn update_quota_for_path(&mut self, real: &[u8]) {
        let (mut count, mut bytes) = (0i64, 0i64);
        let mut stack: Vec<u32> = self.find(real).into_iter().collect();
        while let Some(id) = stack.pop() {
            let Some(n) = self.node(id) else {
                continue;
            };
            count += 1;
            bytes += n.pd.data_len as i64;
            stack.extend(self.child_ids(id));
        }
        let sp = Self::stat_path(real);
        let text = quota_stats_text(count, bytes);
        self.modify(&sp, |n| n.pd = n.pd.with_data(Some(&text)));
    }

    /// `setupQuota`: after a snapshot load, every leaf named
    /// `zookeeper_limits` under /zookeeper/quota registers its quota root and
    /// that root's stats are recomputed from the tree.
    fn setup_quota(&mut self) {
        let mut found = Vec::new();
        let mut stack: Vec<u32> = self.find(QUOTA_ROOT).into_iter().collect();
        while let Some(id) = stack.pop() {
            let Some(n) = self.node(id) else {
                continue;
            };
            if n.num_children == 0 {
                if let Some(real) = quota_limit_real(n.pd.key()) {
                    found.push(real.to_vec());
                }
                continue;
            }
            stack.extend(self.child_ids(id));
        }
        for real in found {
            self.update_quota_for_path(&real);
            if !real.is_empty() {
                self.quota_roots.insert(real.into());
            }
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The quota root a leaf `/zookeeper/quota<real>/zookeeper_limits` stands
/// for (`setupQuota`: the part before the first "/zookeeper_limits").
pub(crate) fn quota_limit_real(key: &[u8]) -> Option<&[u8]> {
    let mut end = b"/".to_vec();
    end.extend_from_slice(QUOTA_LIMIT_NODE);
    if !key.ends_with(&end) {
        return None;
    }
    let i = find(key, &end)?;
    key.get(QUOTA_ROOT.len()..i)
}

/// The text `updateQuotaForPath` writes into a quota's stats node.
pub(crate) fn quota_stats_text(count: i64, bytes: i64) -> Vec<u8> {
    StatsTrack {
        count,
        bytes,
        extra: Vec::new(),
    }
    .to_bytes()
}

/// `StatsTrack`: "count=N,bytes=M" plus any other keys after ';'.
struct StatsTrack {
    count: i64,
    bytes: i64,
    extra: Vec<(String, i64)>,
}

impl StatsTrack {
    fn parse(data: &[u8]) -> StatsTrack {
        let text = String::from_utf8_lossy(data);
        let mut st = StatsTrack {
            count: -1,
            bytes: -1,
            extra: Vec::new(),
        };
        for pair in text.split([',', ';']).filter(|s| !s.is_empty()) {
            let mut kv = pair.splitn(2, '=');
            let k = kv.next().unwrap_or("");
            let v = kv.next().unwrap_or("");
            let v = if v.is_empty() {
                -1
            } else {
                v.parse().unwrap_or(-1)
            };
            match k {
                "count" => st.count = v,
                "bytes" => st.bytes = v,
                other => {
                    st.extra.retain(|(k, _)| k != other);
                    st.extra.push((other.to_string(), v));
                }
            }
        }
        st
    }

    fn to_bytes(&self) -> Vec<u8> {
        let mut s = format!("count={},bytes={}", self.count, self.bytes);
        let mut extra = self.extra.clone();
        extra.sort();
        for (k, v) in extra {
            s.push_str(&format!(";{k}={v}"));
        }
        s.into_bytes()
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
    use crate::format::txn::TxnHeader;

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
    fn initial_tree_digest_matches_zookeeper() {
        // FORMAT.md §5.2 worked example: 3.8.0 logs 1371985504 at startup.
        assert_eq!(DataTree::new().digest(), 1_371_985_504);
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
                    body: TxnBody::Error { err: -103 },
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
    fn stats_track_round_trip() {
        let st = StatsTrack::parse(b"count=3,bytes=12");
        assert_eq!((st.count, st.bytes), (3, 12));
        assert_eq!(st.to_bytes(), b"count=3,bytes=12");
        let st = StatsTrack::parse(b"count=4,bytes=-1;byteHardLimit=-1;countHardLimit=-1");
        assert_eq!(st.extra.len(), 2);
    }
}
