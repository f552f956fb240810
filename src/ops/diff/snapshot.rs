//! A snapshot file as one side of a diff, without building a tree.
//!
//! `zkdd diff A B` on two snapshots used to load each into a full
//! [`DataTree`] (a map entry, an owned path, owned data and a child set per
//! node) only to sort the nodes and read them once.
//! Here one pass over [`Snapshot::nodes`] builds a flat index into the
//! (mapped or decompressed) stream instead: per node its record offset, key
//! length, data length, ACL slot and child count, 24 bytes in all. Every
//! check the replay loader makes ([`crate::tree::replay::load_snapshot_file`]) is
//! made the same way and reported with the same words: a null list in the
//! ACL cache, a path without '/', a node before its parent, a corrupt node
//! stream, bad seals, a missing "/" marker. What the loader then does to the
//! tree is reproduced too: the quota stats nodes get the counts
//! `setupQuota` recomputes, ACL ids missing from the cache resolve to no
//! list, and the zxid is the file name's.
//!
//! The few snapshots the index cannot mirror exactly (a path stored twice,
//! whose later record drops the earlier one's children from the tree walk; a
//! quota on "/" or inside /zookeeper, whose recount depends on the order the
//! loader visits quota roots; 2³¹ nodes or more) make [`load`] return
//! `None`, and the caller loads the tree as before.
//!
//! Child counts come from a stack of ancestors: ZooKeeper writes nodes in
//! depth-first pre-order (`DataTree.serializeNode`), so a node's parent is
//! the previous node or one of its ancestors. Should a parent not be on the
//! stack, the keys seen so far go into a hash map and the rest of the pass
//! uses that. The pass also notes each node's parent, and the nodes are put
//! in path order by sorting each parent's children by name
//! (`path_order`), not by sorting every full path.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::path::Path;

use crate::error::Error;
use crate::files::source::{self, Bytes};
use crate::format::compress::Compression;
use crate::format::snapshot::{STAT_PERSISTED_LEN, Snapshot, SnapshotEnd, StatPersisted};
use crate::tree::parents::ParentFinder;
use crate::tree::replay::{self, Options};
use crate::tree::{
    DataTree, FastMap, LoadError, OwnedAcl, QUOTA_ROOT, in_subtree, open_acl_unsafe,
    quota_limit_real, quota_stats_text, split_parent,
};
use crate::zxid::Zxid;

use super::NodeView;

/// One node of the index.
#[derive(Clone, Copy, Debug)]
struct Entry {
    /// Stream offset of the record (its path length).
    rec: u64,
    /// Key (path) length.
    key_len: u32,
    /// Data length; -1 for null.
    data_len: i32,
    /// Child count.
    children: u32,
    /// Index into [`SnapIndex::acls`].
    acl: u32,
}

impl Entry {
    fn key_start(&self) -> usize {
        self.rec as usize + 4
    }
    /// Start of the data buffer (its length).
    fn data_start(&self) -> usize {
        self.key_start() + self.key_len as usize
    }
    /// Start of the ACL id.
    fn acl_start(&self) -> usize {
        self.data_start() + 4 + self.data_len.max(0) as usize
    }
    fn stat_start(&self) -> usize {
        self.acl_start() + 8
    }
}

/// A snapshot's nodes sorted by path, pointing into its stream.
#[derive(Debug)]
pub struct SnapIndex {
    stream: Bytes,
    entries: Vec<Entry>,
    /// ACL slot → resolved list; slot 0 is id -1, `None` an id the cache lacks.
    acls: Vec<Option<Box<[OwnedAcl]>>>,
    /// Entry index → data that replaces the stored one (quota stats nodes), sorted.
    overrides: Vec<(u32, Box<[u8]>)>,
    zxid: Zxid,
}

/// Loads a snapshot file into an index, with every check the replay
/// loader makes and the same error text. `Ok(None)`: the index cannot
/// mirror this snapshot's tree exactly; load a [`DataTree`] instead.
pub fn load(path: &Path, opts: &Options) -> Result<Option<SnapIndex>, Error> {
    let fail = |why: String| Error::BadSnapshot {
        path: path.to_path_buf(),
        why,
    };
    let (zxid, compression) =
        replay::snapshot_name_zxid(path).unwrap_or((Zxid(0), Compression::None));
    let sb =
        source::open_snapshot(path, compression, opts.no_mmap).map_err(|e| fail(e.to_string()))?;
    if let Some(e) = &sb.container_error {
        return Err(fail(format!("{e} (in the compressed file)")));
    }
    let stream = sb.stream;
    let built = build(&stream, opts).map_err(fail)?;
    let Some((entries, acls)) = built else {
        return Ok(None);
    };
    let mut idx = SnapIndex {
        stream,
        entries,
        acls,
        overrides: Vec::new(),
        zxid,
    };
    if !idx.setup_quota() {
        return Ok(None);
    }
    Ok(Some(idx))
}

/// `parents` entry of the root.
const NO_PARENT: u32 = u32::MAX;

/// How far ahead of the node being read the pass fetches the stream.
const PASS_AHEAD: usize = 4096;

type Built = (Vec<Entry>, Vec<Option<Box<[OwnedAcl]>>>);

/// The one pass: checks, child counts, ACL slots; then the sort.
fn build(stream: &[u8], opts: &Options) -> Result<Option<Built>, String> {
    let snap = Snapshot::parse(stream, opts.limits).map_err(|e| e.to_string())?;
    // The ACL cache, as `DataTree::from_snapshot` reads it (a later entry
    // with the same id wins).
    let mut acls: Vec<Option<Box<[OwnedAcl]>>> = vec![Some(open_acl_unsafe().into())];
    let mut by_id: FastMap<i64, u32> = FastMap::default();
    for e in snap.acl_cache() {
        let Some(list) = &e.acl else {
            return Err(LoadError::NullAclList {
                offset: e.offset,
                id: e.id,
            }
            .to_string());
        };
        by_id.insert(e.id, acls.len() as u32);
        acls.push(Some(list.iter().map(OwnedAcl::from_acl).collect()));
    }

    let key_of = |e: &Entry| stream.get(e.key_start()..e.data_start()).unwrap_or(&[]);
    // A node record takes at least 76 bytes.
    let mut entries: Vec<Entry> = Vec::with_capacity(stream.len() / 256);
    let mut parent_of = ParentFinder::new();
    let mut last_acl = (-1i64, 0u32);
    // Each node's parent ordinal, for the sort.
    let mut parents: Vec<u32> = Vec::with_capacity(stream.len() / 256);
    let mut roots = 0usize;
    // Each node's name (after the last '/'), packed: the sort reads these
    // instead of the stream.
    let mut names: Vec<u8> = Vec::with_capacity(stream.len() / 64);
    let mut name_end: Vec<u32> = Vec::with_capacity(stream.len() / 256);
    let mut iter = snap.nodes();
    // The next page is fetched while this one is read (the hardware
    // prefetcher stops at page boundaries).
    let mut fetched = 0usize;
    for node in &mut iter {
        let here = node.offset as usize + PASS_AHEAD;
        while fetched < here {
            source::prefetch(stream, fetched);
            fetched += 64;
        }
        // Ordinals leave the top bit to `path_order`.
        let ord = entries.len() as u32;
        if ord >= BELOW {
            return Ok(None);
        }
        let acl = if node.acl_id == -1 {
            0
        } else if node.acl_id == last_acl.0 {
            last_acl.1
        } else {
            let next = acls.len() as u32;
            let slot = *by_id.entry(node.acl_id).or_insert(next);
            if slot == next {
                // Not in the cache: the loader logs "Ignoring acl" and the
                // node has no list.
                acls.push(None);
            }
            last_acl = (node.acl_id, slot);
            slot
        };
        if !node.path.is_empty() {
            let Some((parent, name)) = split_parent(node.path) else {
                return Err(LoadError::BadPath {
                    offset: node.offset,
                    path: node.path.to_vec(),
                }
                .to_string());
            };
            let found = parent_of.add(ord, node.path, Some(parent), || entries.iter().map(key_of));
            let Some((p, pe)) = found.and_then(|p| Some((p, entries.get_mut(p as usize)?))) else {
                return Err(LoadError::MissingParent {
                    offset: node.offset,
                    path: node.path.to_vec(),
                }
                .to_string());
            };
            pe.children += 1;
            parents.push(p);
            names.extend_from_slice(name);
        } else {
            parent_of.add(ord, node.path, None, || entries.iter().map(key_of));
            parents.push(NO_PARENT);
            roots += 1;
        }
        let Ok(end) = u32::try_from(names.len()) else {
            return Ok(None);
        };
        name_end.push(end);
        entries.push(Entry {
            rec: node.offset,
            key_len: node.path.len() as u32,
            data_len: node.data.map_or(-1, |d| d.len() as i32),
            children: 0,
            acl,
        });
    }
    drop(parent_of);
    let trailer = match iter.into_end() {
        Some(SnapshotEnd::Complete(tr)) => tr,
        Some(SnapshotEnd::Corrupt(e)) => return Err(e.to_string()),
        None => return Err("node stream did not end".into()),
    };
    trailer.check_seals().map_err(|e| format!("seal {e}"))?;
    if let Some(s) = trailer.seals.iter().find(|s| !s.marker_ok) {
        return Err(format!(
            "seal at offset {:#x} is not followed by the \"/\" marker",
            s.offset
        ));
    }

    let order = match roots {
        // No root: no node at all (a first node without a parent fails above).
        0 => Some(Vec::new()),
        1 => path_order(&names, &name_end, &entries, &parents),
        // The root stored twice.
        _ => None,
    };
    drop((parents, names, name_end));
    // A path stored twice: the loader keeps the later record without the
    // earlier one's children, which the index does not model.
    let Some(order) = order else {
        return Ok(None);
    };
    let sorted = order
        .iter()
        .filter_map(|&o| entries.get(o as usize).copied())
        .collect();
    Ok(Some((sorted, acls)))
}

/// Marks a "descendants of" item in [`path_order`]'s rows.
const BELOW: u32 = 1 << 31;

/// Compares `a` (followed by '/' when `a_below`) with `b` (likewise).
fn cmp_item(a: &[u8], a_below: bool, b: &[u8], b_below: bool) -> Ordering {
    let n = a.len().min(b.len());
    match a.get(..n).cmp(&b.get(..n)) {
        Ordering::Equal => {}
        o => return o,
    }
    let next = |s: &[u8], below: bool| s.get(n).copied().or(below.then_some(b'/'));
    next(a, a_below).cmp(&next(b, b_below))
}

/// The first 8 bytes of `name` (and a '/' when `below`), zero-padded, as a
/// big-endian number: when two differ, they order their items as
/// [`cmp_item`] does (a padding zero stands for an end, which sorts first;
/// when it meets a real zero the numbers tie).
fn sort_prefix(name: &[u8], below: bool) -> u64 {
    let mut b = [0u8; 8];
    let n = name.len().min(8);
    if let (Some(dst), Some(src)) = (b.get_mut(..n), name.get(..n)) {
        dst.copy_from_slice(src);
    }
    if below && let Some(slot) = b.get_mut(name.len()) {
        *slot = b'/';
    }
    u64::from_be_bytes(b)
}

/// The ordinals of the nodes in path order (`None`: a path is stored twice).
///
/// Path order is almost a depth-first walk with each node's children sorted
/// by name, but not quite: "/a-b" sorts between "/a" and "/a/x" ('-' is
/// below '/'). So each node's row holds two items per child, the child
/// itself (sorted as its name) and, when it has children, its descendants
/// (sorted as its name and a '/'), and the walk expands the second kind.
/// One small sort per parent on short names instead of one sort of every
/// full path.
fn path_order(
    names: &[u8],
    name_end: &[u32],
    entries: &[Entry],
    parents: &[u32],
) -> Option<Vec<u32>> {
    let n = entries.len();
    let name = |k: u32| {
        let k = k as usize;
        let from = k.checked_sub(1).and_then(|j| name_end.get(j)).copied();
        let to = name_end.get(k).copied();
        names
            .get(from.unwrap_or(0) as usize..to.unwrap_or(0) as usize)
            .unwrap_or(&[])
    };
    // Row sizes: one item per child, two when the child has children.
    let mut start: Vec<u32> = vec![0; n + 1];
    for (i, &p) in parents.iter().enumerate() {
        let items = if entries.get(i).is_some_and(|e| e.children > 0) {
            2
        } else {
            1
        };
        if let Some(s) = start.get_mut(p as usize + 1) {
            *s += items;
        }
    }
    for i in 0..n {
        let before = start.get(i).copied().unwrap_or(0);
        if let Some(s) = start.get_mut(i + 1) {
            *s += before;
        }
    }
    let mut fill = start.clone();
    let mut rows = vec![0u32; start.get(n).copied().unwrap_or(0) as usize];
    for (i, &p) in parents.iter().enumerate() {
        let has_children = entries.get(i).is_some_and(|e| e.children > 0);
        for item in [Some(i as u32), has_children.then_some(i as u32 | BELOW)]
            .into_iter()
            .flatten()
        {
            if let Some(slot) = fill.get_mut(p as usize)
                && let Some(r) = rows.get_mut(*slot as usize)
            {
                *r = item;
                *slot += 1;
            }
        }
    }
    drop(fill);
    // Sort each row by name (and '/'), first by the name's first 8 bytes.
    let mut items: Vec<(u64, &[u8], u32)> = Vec::new();
    let below = |it: u32| it & BELOW != 0;
    for i in 0..n {
        let (Some(&a), Some(&b)) = (start.get(i), start.get(i + 1)) else {
            continue;
        };
        let Some(row) = rows.get_mut(a as usize..b as usize) else {
            continue;
        };
        if row.len() < 2 {
            continue;
        }
        items.clear();
        items.extend(row.iter().map(|&it| {
            let name = name(it & !BELOW);
            (sort_prefix(name, below(it)), name, it)
        }));
        items.sort_unstable_by(|x, y| {
            x.0.cmp(&y.0)
                .then_with(|| cmp_item(x.1, below(x.2), y.1, below(y.2)))
        });
        // Equal items sort next to each other: a name twice.
        if items.windows(2).any(|w| match w {
            [x, y] => x.0 == y.0 && below(x.2) == below(y.2) && x.1 == y.1,
            _ => false,
        }) {
            return None;
        }
        for (slot, (_, _, it)) in row.iter_mut().zip(&items) {
            *slot = *it;
        }
    }
    drop(items);
    // Walk: a node item emits the node, a descendants item its row.
    let mut order: Vec<u32> = Vec::with_capacity(n);
    let mut stack: Vec<u32> = vec![BELOW, 0];
    while let Some(it) = stack.pop() {
        if it & BELOW == 0 {
            order.push(it);
            continue;
        }
        let i = (it & !BELOW) as usize;
        let (Some(&a), Some(&b)) = (start.get(i), start.get(i + 1)) else {
            continue;
        };
        stack.extend(rows.get(a as usize..b as usize).unwrap_or(&[]).iter().rev());
    }
    // Every node is reached from the root (each parent comes before its
    // child and there is one root); anything else is left to the tree.
    (order.len() == n).then_some(order)
}

impl SnapIndex {
    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the snapshot holds no node.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The zxid of the file name (the tree's `lastProcessedZxid`).
    pub fn zxid(&self) -> Zxid {
        self.zxid
    }

    fn bytes(&self, from: usize, to: usize) -> &[u8] {
        self.stream.get(from..to).unwrap_or(&[])
    }

    /// The key of node `i` ("" for the root).
    pub fn key(&self, i: usize) -> &[u8] {
        self.entries
            .get(i)
            .map_or(&[][..], |e| self.bytes(e.key_start(), e.data_start()))
    }

    /// Node `i`'s `ephemeralOwner`.
    pub fn ephemeral_owner(&self, i: usize) -> i64 {
        let Some(e) = self.entries.get(i) else {
            return 0;
        };
        // ephemeralOwner sits after czxid, mzxid, ctime, mtime and three ints.
        let at = e.stat_start() + 44;
        self.bytes(at, at + 8)
            .try_into()
            .map_or(0, i64::from_be_bytes)
    }

    /// The data that replaces node `i`'s stored data, if any.
    fn override_of(&self, i: usize) -> Option<&[u8]> {
        if self.overrides.is_empty() {
            return None;
        }
        let k = self.overrides.binary_search_by_key(&i, |o| o.0 as usize);
        k.ok().and_then(|k| self.overrides.get(k)).map(|o| &o.1[..])
    }

    /// Node `i` as the diff shows it.
    pub fn view(&self, i: usize) -> NodeView<'_> {
        let Some(e) = self.entries.get(i) else {
            return NodeView {
                key: b"",
                data: None,
                acl: None,
                stat: StatPersisted::default(),
                num_children: 0,
            };
        };
        let data = match self.override_of(i) {
            Some(d) => Some(d),
            None if e.data_len < 0 => None,
            None => Some(self.bytes(e.data_start() + 4, e.acl_start())),
        };
        let stat = self
            .bytes(e.stat_start(), e.stat_start() + STAT_PERSISTED_LEN)
            .try_into()
            .map(StatPersisted::from_array)
            .unwrap_or_default();
        NodeView {
            key: self.bytes(e.key_start(), e.data_start()),
            data,
            acl: self
                .acls
                .get(e.acl as usize)
                .and_then(|a| a.as_deref())
                .map(Cow::Borrowed),
            stat,
            num_children: u64::from(e.children),
        }
    }

    /// Hints that node `i`'s record is about to be read: its key, the start
    /// of its data and its stat.
    pub(crate) fn prefetch(&self, i: usize) {
        if let Some(e) = self.entries.get(i) {
            source::prefetch(&self.stream, e.key_start());
            source::prefetch(&self.stream, e.data_start());
            source::prefetch(&self.stream, e.stat_start());
        }
    }

    /// Node `i`'s ACL slot.
    fn acl_slot(&self, i: usize) -> u32 {
        self.entries.get(i).map_or(0, |e| e.acl)
    }

    /// The stored data buffer (length included) and stat of node `i`, when
    /// no override replaces its data.
    fn raw(&self, i: usize) -> Option<(&[u8], &[u8])> {
        let e = self.entries.get(i)?;
        if self.override_of(i).is_some() {
            return None;
        }
        Some((
            self.bytes(e.data_start(), e.acl_start()),
            self.bytes(e.stat_start(), e.stat_start() + STAT_PERSISTED_LEN),
        ))
    }

    /// The first entry whose key is not below `key`.
    fn lower_bound(&self, key: &[u8]) -> usize {
        self.entries
            .partition_point(|e| self.bytes(e.key_start(), e.data_start()) < key)
    }

    /// The entry with exactly `key`.
    fn find(&self, key: &[u8]) -> Option<usize> {
        let i = self.lower_bound(key);
        (i < self.len() && self.key(i) == key).then_some(i)
    }

    /// `setupQuota` (see [`DataTree::from_snapshot`]): each leaf
    /// `/zookeeper/quota<real>/zookeeper_limits` makes the loader recount
    /// the subtree at `<real>` into `/zookeeper/quota<real>/zookeeper_stats`.
    /// False when a quota root's subtree holds stats nodes (a quota on "/"
    /// or inside /zookeeper): the loader's result then depends on its hash
    /// order, and only the tree reproduces that.
    fn setup_quota(&mut self) -> bool {
        let mut below = QUOTA_ROOT.to_vec();
        below.push(b'/');
        let (lo, hi) = (
            self.lower_bound(QUOTA_ROOT),
            self.lower_bound(b"/zookeeper/quota0"),
        );
        let mut reals: Vec<Vec<u8>> = Vec::new();
        for i in lo..hi {
            let key = self.key(i);
            let leaf = self.entries.get(i).is_some_and(|e| e.children == 0);
            if leaf
                && (key == QUOTA_ROOT || key.starts_with(&below))
                && let Some(real) = quota_limit_real(key)
            {
                if real.is_empty() || in_subtree(real, b"/zookeeper") {
                    return false;
                }
                reals.push(real.to_vec());
            }
        }
        let mut overrides: Vec<(u32, Box<[u8]>)> = Vec::new();
        for real in reals {
            // `updateQuotaForPath`: the node itself and every node below it.
            let mut count = 0i64;
            let mut bytes = 0i64;
            let mut add = |e: &Entry| {
                count += 1;
                bytes += i64::from(e.data_len.max(0));
            };
            if let Some(e) = self.find(&real).and_then(|i| self.entries.get(i)) {
                add(e);
            }
            let mut from = real.clone();
            from.push(b'/');
            let mut to = real.clone();
            to.push(b'/' + 1);
            let (a, b) = (self.lower_bound(&from), self.lower_bound(&to));
            for e in self.entries.get(a..b).unwrap_or(&[]) {
                add(e);
            }
            if let Some(s) = self.find(&DataTree::stat_path(&real)) {
                overrides.push((s as u32, quota_stats_text(count, bytes).into()));
            }
        }
        overrides.sort_by_key(|o| o.0);
        overrides.dedup_by_key(|o| o.0);
        self.overrides = overrides;
        true
    }
}

/// Which ACL slots of two indexes resolve to equal lists: each slot gets
/// the number of its list among the distinct lists of both sides.
pub(crate) struct AclClasses {
    left: Vec<u32>,
    right: Vec<u32>,
}

impl AclClasses {
    pub(crate) fn new<'x>(a: &'x SnapIndex, b: &'x SnapIndex) -> AclClasses {
        let mut ids: FastMap<Option<&'x [OwnedAcl]>, u32> = FastMap::default();
        let mut classes = |x: &'x SnapIndex| -> Vec<u32> {
            x.acls
                .iter()
                .map(|l| {
                    let next = ids.len() as u32;
                    *ids.entry(l.as_deref()).or_insert(next)
                })
                .collect()
        };
        let left = classes(a);
        let right = classes(b);
        AclClasses { left, right }
    }
}

/// True when node `i` of `a` and node `j` of `b` (same key) have the same
/// data, ACL list and stat, read from the record bytes without decoding.
pub(crate) fn same_node(
    a: &SnapIndex,
    i: usize,
    b: &SnapIndex,
    j: usize,
    classes: &AclClasses,
) -> bool {
    let (Some(x), Some(y)) = (a.raw(i), b.raw(j)) else {
        return false;
    };
    let class = |c: &[u32], slot: u32| c.get(slot as usize).copied();
    x == y && class(&classes.left, a.acl_slot(i)) == class(&classes.right, b.acl_slot(j))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_then_items_order_as_bytes_with_a_slash() {
        // Names never hold a '/'.
        let names: [&[u8]; 12] = [
            b"",
            b"a",
            b"a\0",
            b"a-b",
            b"a.",
            b"a0",
            b"abcdefg",
            b"abcdefgh",
            b"abcdefgh-",
            b"abcdefghi",
            b"abcdefg\0",
            b"\xff",
        ];
        let items: Vec<(&[u8], bool)> = names
            .iter()
            .flat_map(|n| [(*n, false), (*n, true)])
            .collect();
        let bytes = |(n, below): (&[u8], bool)| {
            let mut v = n.to_vec();
            if below {
                v.push(b'/');
            }
            v
        };
        for &x in &items {
            for &y in &items {
                let fast = sort_prefix(x.0, x.1)
                    .cmp(&sort_prefix(y.0, y.1))
                    .then_with(|| cmp_item(x.0, x.1, y.0, y.1));
                assert_eq!(fast, bytes(x).cmp(&bytes(y)), "{x:?} {y:?}");
            }
        }
    }
}
