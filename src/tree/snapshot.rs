//! Moving a whole tree between memory and a snapshot stream: loading it
//! the way `DataTree.deserialize` does (checks included, node bytes left
//! in the stream), and writing it the way `FileSnap.serialize` does.
//!
//! See: `DataTree.java`, `FileSnap.java`, `SerializeUtils.java` (3.8.0).

use std::fmt;
use std::sync::Arc;

use super::node::PathData;
use super::warm::WARM_MAX;
use super::{AclRef, DataTree, FastMap, NONE, OwnedAcl, split_parent};
use crate::files::source::Bytes;
use crate::format::jute::Acl;
use crate::format::snapshot::{Node, NodeKind, Snapshot, SnapshotEnd, Trailer};
use crate::zxid::Zxid;

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

impl DataTree {
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
        let by_id = t.load_acl_cache(snap)?;
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
                t.load_node(&node, &by_id, &mut ancestors, stream, &mut report)?;
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

    /// Interns the snapshot's ACL cache: its ids, and the lists they stand for.
    fn load_acl_cache(&mut self, snap: &Snapshot<'_>) -> Result<FastMap<i64, AclRef>, LoadError> {
        let mut by_id: FastMap<i64, AclRef> = FastMap::default();
        for e in snap.acl_cache() {
            let Some(list) = &e.acl else {
                return Err(LoadError::NullAclList {
                    offset: e.offset,
                    id: e.id,
                });
            };
            let owned: Box<[OwnedAcl]> = list.iter().map(OwnedAcl::from_acl).collect();
            by_id.insert(e.id, self.acls.intern_owned(owned));
        }
        Ok(by_id)
    }

    /// Adds one snapshot node under its parent, as `deserialize` does:
    /// a later record of the same path replaces the earlier one.
    fn load_node(
        &mut self,
        node: &Node<'_>,
        by_id: &FastMap<i64, AclRef>,
        ancestors: &mut Vec<u32>,
        stream: Option<&Arc<Bytes>>,
        report: &mut LoadReport,
    ) -> Result<(), LoadError> {
        report.nodes += 1;
        let acl = self.node_acl(node.acl_id, by_id, report);
        self.acls.add_use(acl);
        let parent = self.loaded_parent(node, ancestors)?;
        let pd = PathData::in_stream(node.path, node.data, stream);
        let (id, old) = self.insert_node(pd, acl, node.stat, parent);
        if let Some(old) = old {
            // A path stored twice: the later record replaces the earlier
            // one (and its children), as `nodes.put` does.
            report.duplicate_paths += 1;
            self.acls.remove_use(old.acl);
        }
        ancestors.push(id);
        if let NodeKind::Ephemeral(s) = NodeKind::of(node.stat.ephemeral_owner) {
            self.ephemerals
                .entry(s.0)
                .or_default()
                .insert(node.path.into());
        }
        Ok(())
    }

    /// A snapshot node's ACL: the null list for id -1, else the cache's
    /// list for its id; an id the cache lacks is kept as missing and
    /// reported once ("Ignoring acl").
    fn node_acl(
        &mut self,
        acl_id: i64,
        by_id: &FastMap<i64, AclRef>,
        report: &mut LoadReport,
    ) -> AclRef {
        if acl_id == -1 {
            AclRef::OPEN_UNSAFE
        } else if let Some(&r) = by_id.get(&acl_id) {
            r
        } else {
            if !report.missing_acl_ids.contains(&acl_id) {
                report.missing_acl_ids.push(acl_id);
            }
            self.acls.missing_ref(acl_id)
        }
    }

    /// The parent of a snapshot node (`NONE` for the root): among
    /// `ancestors` (the nodes on the path to the previous node, which this
    /// trims to the parent), else by lookup.
    fn loaded_parent(&self, node: &Node<'_>, ancestors: &mut Vec<u32>) -> Result<u32, LoadError> {
        if node.path.is_empty() {
            return Ok(NONE);
        }
        let Some((parent_key, _)) = split_parent(node.path) else {
            return Err(LoadError::BadPath {
                offset: node.offset,
                path: node.path.to_vec(),
            });
        };
        let mut found = None;
        while let Some(&top) = ancestors.last() {
            if self
                .nodes
                .get(top as usize)
                .is_some_and(|n| n.live && n.pd.key() == parent_key)
            {
                found = Some(top);
                break;
            }
            ancestors.pop();
        }
        match found.or_else(|| self.find(parent_key)) {
            Some(p) => {
                if ancestors.is_empty() {
                    ancestors.push(p);
                }
                Ok(p)
            }
            None => Err(LoadError::MissingParent {
                offset: node.offset,
                path: node.path.to_vec(),
            }),
        }
    }

    /// Writes the tree as an uncompressed snapshot stream the way
    /// `FileSnap.serialize` does: sessions (by id), the ACL cache (lists in
    /// use), every node reachable from the root with parents first
    /// (children in the order they were added, as ZooKeeper writes them in
    /// its own set order; any such order loads the same tree), the
    /// terminator and seal, then a digest section at `zxid` with the digest
    /// of the nodes written, and its seal. Returns the writer.
    pub fn write_snapshot<W: std::io::Write>(&self, out: W, zxid: Zxid) -> std::io::Result<W> {
        self.write_snapshot_for(out, zxid, None)
    }

    /// [`write_snapshot`](Self::write_snapshot) in the format `version`
    /// writes: no digest section for 3.4/3.5, the digest section and 3.9's
    /// `lastProcessedZxid` section for 3.9+; `None`: 3.6–3.8's (the digest
    /// section only), which every version loads.
    pub fn write_snapshot_for<W: std::io::Write>(
        &self,
        out: W,
        zxid: Zxid,
        version: Option<crate::format::version::ZkVersion>,
    ) -> std::io::Result<W> {
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
        let digest = version
            .is_none_or(|v| v.writes_snapshot_digest())
            .then_some((zxid, digest));
        let last = version
            .is_some_and(|v| v.writes_last_processed_zxid())
            .then_some(zxid);
        w.finish_with(digest, last)
    }
}
