//! The newest readable snapshot's space by subtree, for the report's
//! treemap: one pass over its node records (nothing is loaded into a tree),
//! summed per subtree down to a fixed depth below the prefix, then cut to
//! the biggest children of each subtree with the rest summed as "others".
//! Memory is one small counter per distinct subtree above that depth (capped),
//! and the result has a fixed maximum size whatever the node count.

use std::path::{Path, PathBuf};

use crate::files::datadir::SnapFile;
use crate::files::source;
use crate::format::jute::Limits;
use crate::format::snapshot::{NodeKind, Snapshot, SnapshotEnd};
use crate::tree::{FastMap, in_subtree};
use crate::zxid::{SessionId, Zxid};

/// Subtree levels below the prefix that are summed.
pub const DEPTH: usize = 3;
/// Children kept per subtree at each level (the rest are summed into one).
pub const CHILDREN: [usize; DEPTH] = [14, 8, 5];
/// Distinct subtrees counted at most; further ones go to their parent's
/// "others" (a flat parent with millions of children stays bounded).
const MAX_SUBTREES: usize = 1 << 20;
/// Sessions whose ephemerals are listed.
pub const TOP_SESSIONS: usize = 15;

/// Totals for a subtree (the node itself and everything below it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Nodes.
    pub nodes: u64,
    /// Data bytes.
    pub data_bytes: u64,
    /// Bytes of the node records in the (uncompressed) snapshot: path,
    /// data, ACL id and stat; what the subtree costs on disk and roughly
    /// in a server's memory.
    pub record_bytes: u64,
    /// Ephemeral nodes.
    pub ephemerals: u64,
}

impl Totals {
    fn add(&mut self, o: &Totals) {
        self.nodes += o.nodes;
        self.data_bytes += o.data_bytes;
        self.record_bytes += o.record_bytes;
        self.ephemerals += o.ephemerals;
    }
}

/// One subtree in the treemap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subtree {
    /// Its path; for an "others" entry, the parent's path.
    pub path: String,
    /// For "others": how many subtrees it sums.
    pub others: Option<u64>,
    /// Its totals.
    pub totals: Totals,
    /// Its biggest children (by record bytes), then one "others" entry.
    pub children: Vec<Subtree>,
}

/// Ephemerals one session owns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SessionEphemerals {
    /// Nodes.
    pub nodes: u64,
    /// Their data bytes.
    pub data_bytes: u64,
}

/// The snapshot's space.
#[derive(Clone, Debug)]
pub struct Space {
    /// The snapshot read.
    pub snapshot: PathBuf,
    /// Its name zxid.
    pub zxid: Zxid,
    /// Newer snapshots skipped because they are damaged, with why.
    pub skipped: Vec<(PathBuf, String)>,
    /// The prefix's subtree, summed.
    pub root: Subtree,
    /// Sessions in the snapshot's session list.
    pub sessions: u64,
    /// Sessions owning ephemerals in the subtree, most nodes first (at most
    /// [`TOP_SESSIONS`]), and how many there are in all.
    pub ephemerals: Vec<(SessionId, SessionEphemerals)>,
    /// Sessions owning ephemerals in the subtree.
    pub ephemeral_sessions: u64,
    /// Depth of the deepest node (components below "/").
    pub max_depth: u64,
    /// True when a flat subtree had more children than were counted one by
    /// one (the rest are summed into "others" by arrival).
    pub capped: bool,
}

/// The newest snapshot that reads to its end with every seal matching
/// (newer damaged ones are named in [`Space::skipped`]); `None` when there
/// is none. `prefix` is a znode path ("/" for everything).
pub fn newest_snapshot_space(
    snapshots: &[SnapFile],
    prefix: &[u8],
    limits: Limits,
    no_mmap: bool,
) -> Result<Space, Vec<(PathBuf, String)>> {
    let mut skipped = Vec::new();
    for s in snapshots.iter().rev() {
        match space_of(&s.path, s, prefix, limits, no_mmap) {
            Ok(mut space) => {
                space.skipped = skipped;
                return Ok(space);
            }
            Err(why) => skipped.push((s.path.clone(), why)),
        }
    }
    Err(skipped)
}

fn space_of(
    path: &Path,
    file: &SnapFile,
    prefix: &[u8],
    limits: Limits,
    no_mmap: bool,
) -> Result<Space, String> {
    let bytes =
        source::open_snapshot(path, file.compression, no_mmap).map_err(|e| e.to_string())?;
    if let Some(e) = &bytes.container_error {
        return Err(format!("compressed stream damaged: {e}"));
    }
    let snap = Snapshot::parse(&bytes.stream, limits).map_err(|e| e.to_string())?;
    let prefix = match prefix {
        b"/" | b"" => &b""[..],
        p => p.strip_suffix(b"/").unwrap_or(p),
    };
    // Components of the prefix: a node at depth d below "/" is at depth
    // d - base below the prefix.
    let base = prefix.iter().filter(|&&b| b == b'/').count();
    let mut sums: FastMap<&[u8], Totals> = FastMap::default();
    let mut root = Totals::default();
    let mut sessions: FastMap<SessionId, SessionEphemerals> = FastMap::default();
    let mut max_depth = 0u64;
    let mut capped = false;
    let mut nodes = snap.nodes();
    for n in nodes.by_ref() {
        let path = n.path;
        if !prefix.is_empty() && !in_subtree(path, prefix) {
            continue;
        }
        let depth = path.iter().filter(|&&b| b == b'/').count();
        max_depth = max_depth.max(depth as u64);
        let data = n.data.map_or(0, |d| d.len() as u64);
        let owner = NodeKind::of(n.stat.ephemeral_owner).session();
        let t = Totals {
            nodes: 1,
            data_bytes: data,
            record_bytes: n.end_offset() - n.offset,
            ephemerals: u64::from(owner.is_some()),
        };
        if let Some(s) = owner {
            let e = sessions.entry(s).or_default();
            e.nodes += 1;
            e.data_bytes += data;
        }
        root.add(&t);
        // Every ancestor from the prefix's child down to DEPTH levels.
        let below = depth.saturating_sub(base).min(DEPTH);
        let mut cut = prefix.len();
        for _ in 0..below {
            let next = path
                .get(cut + 1..)
                .and_then(|rest| rest.iter().position(|&b| b == b'/'))
                .map_or(path.len(), |i| cut + 1 + i);
            let key = path.get(..next).unwrap_or(path);
            let full = sums.len() >= MAX_SUBTREES;
            match sums.get_mut(key) {
                Some(s) => s.add(&t),
                None if !full => {
                    sums.insert(key, t);
                }
                None => {
                    capped = true;
                    break;
                }
            }
            cut = next;
        }
    }
    match nodes.into_end() {
        Some(SnapshotEnd::Complete(trailer)) => {
            trailer.check_seals().map_err(|e| e.to_string())?;
        }
        Some(SnapshotEnd::Corrupt(e)) => return Err(e.to_string()),
        None => return Err("the node stream did not end".into()),
    }
    if root.nodes == 0 {
        return Err(format!(
            "no node under {}",
            String::from_utf8_lossy(if prefix.is_empty() { b"/" } else { prefix })
        ));
    }
    let shown_prefix = if prefix.is_empty() {
        "/".to_string()
    } else {
        String::from_utf8_lossy(prefix).into_owned()
    };
    let mut by_parent: FastMap<&[u8], Vec<(&[u8], Totals)>> = FastMap::default();
    for (&k, &t) in &sums {
        let cut = k.iter().rposition(|&b| b == b'/').unwrap_or(0);
        by_parent
            .entry(k.get(..cut).unwrap_or(b""))
            .or_default()
            .push((k, t));
    }
    let root = build(prefix, shown_prefix, root, 0, &by_parent);
    let ephemeral_sessions = sessions.len() as u64;
    let mut eph: Vec<(SessionId, SessionEphemerals)> = sessions.into_iter().collect();
    eph.sort_unstable_by(|a, b| b.1.nodes.cmp(&a.1.nodes).then(a.0.cmp(&b.0)));
    eph.truncate(TOP_SESSIONS);
    Ok(Space {
        snapshot: path.to_path_buf(),
        zxid: file.zxid,
        skipped: Vec::new(),
        root,
        sessions: snap.sessions().len() as u64,
        ephemerals: eph,
        ephemeral_sessions,
        max_depth,
        capped,
    })
}

fn build(
    key: &[u8],
    path: String,
    totals: Totals,
    level: usize,
    by_parent: &FastMap<&[u8], Vec<(&[u8], Totals)>>,
) -> Subtree {
    let mut node = Subtree {
        path,
        others: None,
        totals,
        children: Vec::new(),
    };
    let (Some(&keep), Some(kids)) = (CHILDREN.get(level), by_parent.get(key)) else {
        return node;
    };
    let mut kids = kids.clone();
    kids.sort_unstable_by(|a, b| b.1.record_bytes.cmp(&a.1.record_bytes).then(a.0.cmp(b.0)));
    let mut rest = Totals::default();
    let mut rest_n = 0u64;
    for (i, (k, t)) in kids.iter().enumerate() {
        if i < keep {
            let p = String::from_utf8_lossy(k).into_owned();
            node.children.push(build(k, p, *t, level + 1, by_parent));
        } else {
            rest.add(t);
            rest_n += 1;
        }
    }
    // What the children do not account for: the node's own record, and
    // children past the cap that were never counted one by one.
    if rest_n > 0 {
        node.children.push(Subtree {
            path: node.path.clone(),
            others: Some(rest_n),
            totals: rest,
            children: Vec::new(),
        });
    }
    node
}
