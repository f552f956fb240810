//! Comparing two trees: what was added, removed or modified (data, ACL,
//! stat), and where two members' transaction histories part.
//!
//! A side is a snapshot file, a data dir (its newest state or a point in
//! time, through the replay engine) or a JSON Lines tree (`zkdd replay
//! --json`, `zkdd dump --json`). Both are brought into sorted node lists
//! ([`NodeList`]) and merged in one pass. A snapshot file is not loaded into
//! a tree but indexed in place ([`snapshot`]), and two such sides compare
//! node records byte for byte before decoding anything.

use std::borrow::Cow;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use base64::Engine;

use crate::error::Error;
use crate::files::datadir::DataDir;

use crate::format::jute::{Limits, perms_from_letters};
use crate::format::snapshot::{NodeKind, StatPersisted};

use crate::tree::in_subtree;
use crate::tree::replay::{self, Options, Target};
use crate::tree::{DataTree, OwnedAcl, QUOTA_ROOT, QUOTA_STAT_NODE, display_path};
use crate::zxid::Zxid;

pub mod logs;
pub mod snapshot;

pub use logs::{History, LogComparison, TxnAt, compare_histories, read_history};

use snapshot::SnapIndex;

/// What one side of a diff names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SideSpec {
    /// A snapshot file.
    Snapshot(PathBuf),
    /// A data dir replayed to a target.
    Dir(PathBuf, Target),
    /// A JSON Lines tree.
    Json(PathBuf),
}

/// Parses `FILE`, `DIR`, `DIR@0x1a2b` or `DIR@2026-11-23T03:14:00Z`. The
/// split is at the last '@', and only when the suffix is a `0x` zxid or a
/// time and the rest is a directory: paths may contain '@'.
pub fn parse_side(s: &str, local_time: bool) -> Result<SideSpec, Error> {
    if let Some((dir, point)) = s.rsplit_once('@') {
        let target = if point.starts_with("0x") || point.starts_with("0X") {
            Zxid::parse(point).map(Target::ToZxid)
        } else {
            crate::timefmt::parse(point, local_time)
                .ok()
                .map(Target::ToTime)
        };
        if Path::new(dir).is_dir() && !Path::new(s).exists() {
            return match target {
                Some(t) => Ok(SideSpec::Dir(PathBuf::from(dir), t)),
                None => Err(Error::BadPoint {
                    side: s.to_string(),
                    point: point.to_string(),
                }),
            };
        }
    }
    let p = PathBuf::from(s);
    if p.is_dir() {
        return Ok(SideSpec::Dir(p, Target::End));
    }
    let meta = std::fs::metadata(&p).map_err(|e| Error::io(&p, e))?;
    if !meta.is_file() {
        return Err(Error::NotZooKeeperData(p));
    }
    // JSON Lines start with '{'; snapshots with "ZKSN" or a compression magic.
    let mut head = [0u8; 1];
    let n = std::io::Read::read(
        &mut crate::files::source::open_file(&p).map_err(|e| Error::io(&p, e))?,
        &mut head,
    )
    .map_err(|e| Error::io(&p, e))?;
    let name = p.to_string_lossy();
    if (n == 1 && head[0] == b'{') || name.ends_with(".jsonl") || name.ends_with(".json") {
        Ok(SideSpec::Json(p))
    } else {
        Ok(SideSpec::Snapshot(p))
    }
}

/// One node read from a JSON Lines tree.
#[derive(Clone, Debug)]
pub struct FlatNode {
    key: Vec<u8>,
    data: Option<Vec<u8>>,
    acl: Option<Vec<OwnedAcl>>,
    stat: StatPersisted,
    num_children: u64,
}

/// The tree of one side.
pub enum SideTree {
    /// From a replay (or a snapshot the index cannot mirror).
    Tree(Box<DataTree>),
    /// From JSON Lines, sorted by key.
    Flat(Vec<FlatNode>),
    /// From a snapshot file, indexed in place.
    Snap(Box<SnapIndex>),
}

/// A loaded side.
pub struct Side {
    /// What the user named.
    pub label: String,
    /// The tree.
    pub tree: SideTree,
    /// The zxid the tree is at, when known.
    pub zxid: Option<Zxid>,
    /// Problems the replay tolerated (shown as warnings).
    pub notes: Vec<String>,
}

/// Loads one side.
pub fn load_side(
    spec: &SideSpec,
    label: &str,
    no_mmap: bool,
    limits: Limits,
) -> Result<Side, Error> {
    let opts = |target| Options {
        target,
        no_mmap,
        limits,
        ..Options::default()
    };
    match spec {
        SideSpec::Snapshot(p) => {
            let o = opts(Target::End);
            let (tree, zxid) = match snapshot::load(p, &o)? {
                Some(idx) => {
                    let z = idx.zxid();
                    (SideTree::Snap(Box::new(idx)), z)
                }
                None => {
                    let tree = replay::load_snapshot_file(p, &o)?;
                    let z = tree.last_processed_zxid();
                    (SideTree::Tree(Box::new(tree)), z)
                }
            };
            Ok(Side {
                label: label.into(),
                zxid: Some(zxid),
                tree,
                notes: Vec::new(),
            })
        }
        SideSpec::Dir(d, target) => {
            let dir = DataDir::open(d, None)?;
            let r = replay::replay(&dir, &opts(*target), &mut |_, _| {})?;
            let zxid = r.final_zxid();
            let notes = r
                .notes
                .iter()
                .filter(|n| n.finding)
                .map(|n| format!("{label}: {}", n.message))
                .collect();
            Ok(Side {
                label: label.into(),
                zxid: Some(zxid),
                tree: SideTree::Tree(Box::new(r.tree)),
                notes,
            })
        }
        SideSpec::Json(p) => Ok(Side {
            label: label.into(),
            zxid: None,
            tree: SideTree::Flat(read_json_tree(p)?),
            notes: Vec::new(),
        }),
    }
}

/// Reads the node lines of a JSON Lines tree (other line types are skipped).
/// Accepts zkdd's contract (hex zxid strings, perms letters, `*_ms` times)
/// and the plain-integer form of the fixtures' `restore.jsonl`.
pub fn read_json_tree(path: &Path) -> Result<Vec<FlatNode>, Error> {
    let f = crate::files::source::open_file(path).map_err(|e| Error::io(path, e))?;
    let mut out = Vec::new();
    let mut offset = 0u64;
    for line in BufReader::new(f).split(b'\n') {
        let line = line.map_err(|e| Error::io(path, e))?;
        let here = offset;
        offset += line.len() as u64 + 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let bad = |m: &str| Error::BadJsonTree {
            path: path.to_path_buf(),
            offset: here,
            why: m.to_string(),
        };
        let v: serde_json::Value =
            serde_json::from_slice(&line).map_err(|e| bad(&format!("not JSON: {e}")))?;
        if v.get("type").and_then(|t| t.as_str()) != Some("node") {
            continue;
        }
        out.push(json_node(&v).map_err(|m| bad(&m))?);
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

fn json_i64(v: Option<&serde_json::Value>) -> Option<i64> {
    match v? {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => {
            let h = s.strip_prefix("0x")?;
            u64::from_str_radix(h, 16).ok().map(|u| u as i64)
        }
        _ => None,
    }
}

/// What `--redact` writes in place of data (`{"redacted":{…}}`) and after
/// a digest id's user name (render::redact holds the policy; a tree written
/// so cannot be read back: its data and credentials are gone).
const REDACTED: &str = "redacted";
const MASKED_ID: &str = "<redacted>";
const REFUSED: &str =
    "a redacted tree (data and digest credentials hidden) cannot be compared or restored";

fn json_data(v: &serde_json::Value) -> Result<Option<Vec<u8>>, String> {
    match v {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::Object(m) => {
            if let Some(t) = m.get("text").and_then(|t| t.as_str()) {
                Ok(Some(t.as_bytes().to_vec()))
            } else if let Some(b) = m.get("base64").and_then(|t| t.as_str()) {
                base64::engine::general_purpose::STANDARD
                    .decode(b)
                    .map(Some)
                    .map_err(|e| format!("bad base64 data: {e}"))
            } else if m.contains_key(REDACTED) {
                Err(REFUSED.into())
            } else {
                Err("data needs \"text\" or \"base64\"".into())
            }
        }
        _ => Err("data must be null or an object".into()),
    }
}

fn json_node(v: &serde_json::Value) -> Result<FlatNode, String> {
    let path = v
        .get("path")
        .and_then(|p| p.as_str())
        .ok_or("node without a path")?;
    let key = crate::tree::key_of(path.as_bytes()).to_vec();
    let data = json_data(v.get("data").unwrap_or(&serde_json::Value::Null))?;
    let acl = match v.get("acl") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Array(list)) => {
            let mut acl = Vec::with_capacity(list.len());
            for a in list {
                let perms = match a.get("perms") {
                    Some(serde_json::Value::String(s)) => perms_from_letters(s),
                    Some(serde_json::Value::Number(n)) => n.as_i64().map(|p| p as i32),
                    _ => None,
                }
                .ok_or("acl entry with bad perms")?;
                let text = |k: &str| {
                    a.get(k)
                        .and_then(|x| x.as_str())
                        .map(|s| s.as_bytes().to_vec().into_boxed_slice())
                        .ok_or(format!("acl entry without {k}"))
                };
                let (scheme, id) = (text("scheme")?, text("id")?);
                if &*scheme == b"digest" && id.ends_with(MASKED_ID.as_bytes()) {
                    return Err(REFUSED.into());
                }
                acl.push(OwnedAcl { perms, scheme, id });
            }
            Some(acl)
        }
        Some(_) => return Err("acl must be a list or null".into()),
    };
    let st = v.get("stat").ok_or("node without a stat")?;
    let num = |k: &str| json_i64(st.get(k)).ok_or(format!("stat without {k}"));
    let time = |k: &str| {
        json_i64(st.get(format!("{k}_ms").as_str()))
            .or_else(|| json_i64(st.get(k)))
            .ok_or(format!("stat without {k}"))
    };
    let stat = StatPersisted {
        czxid: Zxid(num("czxid")?),
        mzxid: Zxid(num("mzxid")?),
        ctime: time("ctime")?,
        mtime: time("mtime")?,
        version: num("version")? as i32,
        cversion: num("cversion")? as i32,
        aversion: num("aversion")? as i32,
        ephemeral_owner: num("ephemeral_owner")?,
        pzxid: Zxid(num("pzxid")?),
    };
    let num_children = json_i64(st.get("num_children")).unwrap_or(0) as u64;
    Ok(FlatNode {
        key,
        data,
        acl,
        stat,
        num_children,
    })
}

/// One node of either kind of side.
#[derive(Clone, Debug)]
pub struct NodeView<'a> {
    /// The key ("" for the root).
    pub key: &'a [u8],
    /// Data.
    pub data: Option<&'a [u8]>,
    /// Resolved ACL list (`None`: missing in the ACL cache).
    pub acl: Option<Cow<'a, [OwnedAcl]>>,
    /// Persisted stat.
    pub stat: StatPersisted,
    /// Child count.
    pub num_children: u64,
}

impl NodeView<'_> {
    /// The path users see.
    pub fn path(&self) -> &[u8] {
        display_path(self.key)
    }
}

impl Side {
    /// Every node, sorted by path.
    pub fn nodes(&self) -> NodeList<'_> {
        match &self.tree {
            SideTree::Tree(t) => NodeList::Views(
                t.sorted_nodes()
                    .into_iter()
                    .map(|(key, n)| NodeView {
                        key,
                        data: n.data(),
                        acl: t.acl(n),
                        stat: *n.stat(),
                        num_children: n.num_children() as u64,
                    })
                    .collect(),
            ),
            SideTree::Flat(v) => NodeList::Views(
                v.iter()
                    .map(|n| NodeView {
                        key: &n.key,
                        data: n.data.as_deref(),
                        acl: n.acl.as_deref().map(Cow::Borrowed),
                        stat: n.stat,
                        num_children: n.num_children,
                    })
                    .collect(),
            ),
            SideTree::Snap(idx) => NodeList::Snap(idx),
        }
    }
}

/// One side's nodes in path order.
pub enum NodeList<'a> {
    /// Decoded nodes (a tree or a JSON Lines side).
    Views(Vec<NodeView<'a>>),
    /// A snapshot index; nodes are decoded when a change shows them.
    Snap(&'a SnapIndex),
}

impl<'a> NodeList<'a> {
    /// Number of nodes (before filtering).
    pub fn len(&self) -> usize {
        match self {
            NodeList::Views(v) => v.len(),
            NodeList::Snap(s) => s.len(),
        }
    }

    /// True when there is no node.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The key of node `i`.
    pub fn key(&self, i: usize) -> &'a [u8] {
        match self {
            NodeList::Views(v) => v.get(i).map_or(&[][..], |n| n.key),
            NodeList::Snap(s) => s.key(i),
        }
    }

    /// Node `i`.
    pub fn view(&self, i: usize) -> Option<NodeView<'a>> {
        match self {
            NodeList::Views(v) => v.get(i).cloned(),
            NodeList::Snap(s) => (i < s.len()).then(|| s.view(i)),
        }
    }

    fn keep(&self, i: usize, opts: &DiffOptions) -> bool {
        match self {
            NodeList::Views(v) => v
                .get(i)
                .is_some_and(|n| opts.keep(n.key, || n.stat.ephemeral_owner)),
            NodeList::Snap(s) => opts.keep(s.key(i), || s.ephemeral_owner(i)),
        }
    }

    /// Hints that node `i` is about to be read.
    fn prefetch(&self, i: usize) {
        if let NodeList::Snap(s) = self {
            s.prefetch(i);
        }
    }

    /// The first node at or after `i` that the options keep (`len()` if none).
    fn next_kept(&self, mut i: usize, opts: &DiffOptions) -> usize {
        while i < self.len() && !self.keep(i, opts) {
            i += 1;
        }
        i
    }
}

/// A compared field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// Data (null vs empty included).
    Data,
    /// The resolved ACL list.
    Acl,
    /// Stat czxid.
    Czxid,
    /// Stat mzxid.
    Mzxid,
    /// Stat pzxid.
    Pzxid,
    /// Stat ctime.
    Ctime,
    /// Stat mtime.
    Mtime,
    /// Stat version.
    Version,
    /// Stat cversion.
    Cversion,
    /// Stat aversion.
    Aversion,
    /// Stat ephemeralOwner.
    EphemeralOwner,
}

impl Field {
    /// The fields a word names: `stat` (every stat field) or one field's
    /// name; `None` for anything else.
    pub fn parse(word: &str) -> Option<Vec<Field>> {
        if word == "stat" {
            return Some(Field::ALL[2..].to_vec());
        }
        Field::ALL
            .into_iter()
            .find(|f| f.name() == word)
            .map(|f| vec![f])
    }

    /// Every field, in report order.
    pub const ALL: [Field; 11] = [
        Field::Data,
        Field::Acl,
        Field::Czxid,
        Field::Mzxid,
        Field::Pzxid,
        Field::Ctime,
        Field::Mtime,
        Field::Version,
        Field::Cversion,
        Field::Aversion,
        Field::EphemeralOwner,
    ];

    /// The name used in output and in `--ignore`.
    pub fn name(self) -> &'static str {
        match self {
            Field::Data => "data",
            Field::Acl => "acl",
            Field::Czxid => "czxid",
            Field::Mzxid => "mzxid",
            Field::Pzxid => "pzxid",
            Field::Ctime => "ctime",
            Field::Mtime => "mtime",
            Field::Version => "version",
            Field::Cversion => "cversion",
            Field::Aversion => "aversion",
            Field::EphemeralOwner => "ephemeral_owner",
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }

    fn differs(self, a: &NodeView<'_>, b: &NodeView<'_>) -> bool {
        let (x, y) = (&a.stat, &b.stat);
        match self {
            Field::Data => a.data != b.data,
            Field::Acl => a.acl != b.acl,
            Field::Czxid => x.czxid != y.czxid,
            Field::Mzxid => x.mzxid != y.mzxid,
            Field::Pzxid => x.pzxid != y.pzxid,
            Field::Ctime => x.ctime != y.ctime,
            Field::Mtime => x.mtime != y.mtime,
            Field::Version => x.version != y.version,
            Field::Cversion => x.cversion != y.cversion,
            Field::Aversion => x.aversion != y.aversion,
            Field::EphemeralOwner => x.ephemeral_owner != y.ephemeral_owner,
        }
    }
}

/// What to compare.
#[derive(Clone, Debug, Default)]
pub struct DiffOptions {
    /// Only this subtree.
    pub prefix: Option<Vec<u8>>,
    /// Fields not compared.
    pub ignore: Vec<Field>,
    /// Leave out ephemeral nodes (owned by a session) on both sides.
    pub ignore_ephemeral: bool,
    /// Compare the quota stat nodes (`/zookeeper/quota/**/zookeeper_stats`),
    /// which ZooKeeper rewrites on every change under a quota.
    pub include_quota_stats: bool,
    /// Compare `/zookeeper/config`, which each member writes itself.
    pub include_config: bool,
}

impl DiffOptions {
    fn keep(&self, key: &[u8], ephemeral_owner: impl FnOnce() -> i64) -> bool {
        let path = display_path(key);
        if let Some(p) = &self.prefix
            && !in_subtree(path, p)
        {
            return false;
        }
        if self.ignore_ephemeral
            && matches!(NodeKind::of(ephemeral_owner()), NodeKind::Ephemeral(_))
        {
            return false;
        }
        if !self.include_quota_stats && is_quota_stat(path) {
            return false;
        }
        if !self.include_config && path == b"/zookeeper/config" {
            return false;
        }
        true
    }
}

/// True for a quota stats node (FORMAT.md §6.4).
pub fn is_quota_stat(path: &[u8]) -> bool {
    path.len() > QUOTA_ROOT.len()
        && path.starts_with(QUOTA_ROOT)
        && path[QUOTA_ROOT.len()] == b'/'
        && path.rsplit(|&b| b == b'/').next() == Some(QUOTA_STAT_NODE)
}

/// How a path changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    /// Only on the right.
    Added,
    /// Only on the left.
    Removed,
    /// On both, with different fields.
    Modified,
}

impl ChangeKind {
    /// `added`, `removed`, `modified`.
    pub fn name(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Modified => "modified",
        }
    }
}

/// One difference.
#[derive(Clone, Debug)]
pub struct Change<'a> {
    /// How.
    pub kind: ChangeKind,
    /// Differing fields (modified only).
    pub fields: Vec<Field>,
    /// Data is null on one side and empty on the other.
    pub null_vs_empty: bool,
    /// The left node.
    pub left: Option<NodeView<'a>>,
    /// The right node.
    pub right: Option<NodeView<'a>>,
}

impl Change<'_> {
    /// The path.
    pub fn path(&self) -> &[u8] {
        self.left
            .as_ref()
            .or(self.right.as_ref())
            .map_or(b"/", NodeView::path)
    }
}

/// How many nodes each side had after filtering.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Compared {
    /// Left nodes compared.
    pub left_nodes: usize,
    /// Right nodes compared.
    pub right_nodes: usize,
}

/// Merges two sorted node lists, keeping the nodes the options compare,
/// and hands each change to `f` in path order.
pub fn diff_each<'a, E>(
    left: &NodeList<'a>,
    right: &NodeList<'a>,
    opts: &DiffOptions,
    mut f: impl FnMut(Change<'a>) -> Result<(), E>,
) -> Result<Compared, E> {
    let ignore: u16 = opts.ignore.iter().fold(0, |m, f| m | f.bit());
    let classes = match (left, right) {
        (NodeList::Snap(a), NodeList::Snap(b)) => Some((*a, *b, snapshot::AclClasses::new(a, b))),
        _ => None,
    };
    let mut n = Compared::default();
    let (mut i, mut j) = (left.next_kept(0, opts), right.next_kept(0, opts));
    let change = |kind, left, right| Change {
        kind,
        fields: Vec::new(),
        null_vs_empty: false,
        left,
        right,
    };
    // How many nodes ahead the records of snapshot sides are fetched: the
    // merge visits them in path order, all over the stream.
    const AHEAD: usize = 12;
    for k in 0..AHEAD {
        left.prefetch(i + k);
        right.prefetch(j + k);
    }
    while i < left.len() || j < right.len() {
        let ord = if i >= left.len() {
            std::cmp::Ordering::Greater
        } else if j >= right.len() {
            std::cmp::Ordering::Less
        } else {
            left.key(i).cmp(right.key(j))
        };
        match ord {
            std::cmp::Ordering::Less => {
                left.prefetch(i + AHEAD);
                f(change(ChangeKind::Removed, left.view(i), None))?;
                n.left_nodes += 1;
                i = left.next_kept(i + 1, opts);
            }
            std::cmp::Ordering::Greater => {
                right.prefetch(j + AHEAD);
                f(change(ChangeKind::Added, None, right.view(j)))?;
                n.right_nodes += 1;
                j = right.next_kept(j + 1, opts);
            }
            std::cmp::Ordering::Equal => {
                left.prefetch(i + AHEAD);
                right.prefetch(j + AHEAD);
                let same = classes
                    .as_ref()
                    .is_some_and(|(a, b, c)| snapshot::same_node(a, i, b, j, c));
                if !same && let (Some(a), Some(b)) = (left.view(i), right.view(j)) {
                    let fields: Vec<Field> = Field::ALL
                        .into_iter()
                        .filter(|f| ignore & f.bit() == 0 && f.differs(&a, &b))
                        .collect();
                    if !fields.is_empty() {
                        let null_vs_empty = fields.contains(&Field::Data)
                            && a.data.unwrap_or_default().is_empty()
                            && b.data.unwrap_or_default().is_empty();
                        f(Change {
                            kind: ChangeKind::Modified,
                            fields,
                            null_vs_empty,
                            left: Some(a),
                            right: Some(b),
                        })?;
                    }
                }
                n.left_nodes += 1;
                n.right_nodes += 1;
                i = left.next_kept(i + 1, opts);
                j = right.next_kept(j + 1, opts);
            }
        }
    }
    Ok(n)
}

/// Every change, in path order, and the node counts compared.
pub fn diff<'a>(
    left: &NodeList<'a>,
    right: &NodeList<'a>,
    opts: &DiffOptions,
) -> (Vec<Change<'a>>, Compared) {
    let mut out = Vec::new();
    let n = diff_each(left, right, opts, |c| {
        out.push(c);
        Ok::<(), std::convert::Infallible>(())
    });
    match n {
        Ok(n) => (out, n),
        Err(e) => match e {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_stat_paths() {
        assert!(is_quota_stat(b"/zookeeper/quota/app/zookeeper_stats"));
        assert!(!is_quota_stat(b"/zookeeper/quota/app/zookeeper_limits"));
        assert!(!is_quota_stat(b"/app/zookeeper_stats"));
    }
}
