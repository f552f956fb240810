//! Where two sides part, for the report: two ensemble members' logs
//! compared txn by txn (and their trees at the last zxid both agree on), or
//! the trees at two points (`DIR@ZXID`, `DIR@TIME`). Only counts and a
//! bounded sample of changed paths are kept.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::error::Error;
use crate::files::datadir::DataDir;
use crate::format::jute::Limits;
use crate::format::txn::Txn;
use crate::ops::diff::{self, ChangeKind, DiffOptions, History, SideSpec, TxnAt};
use crate::tree::replay::Target;
use crate::zxid::{SessionId, Zxid};

/// Changed paths listed at most.
pub const SAMPLE: usize = 60;
/// Top-level subtrees listed at most.
const SUBTREES: usize = 12;

/// One side of a comparison.
#[derive(Clone, Debug)]
pub struct SideArg {
    /// As the user gave it (`DIR`, `DIR@0x1a`, ...).
    pub label: String,
    /// The data dir.
    pub dir: PathBuf,
    /// The point.
    pub target: Target,
}

impl SideArg {
    /// Parses `DIR`, `DIR@0x1a2b` or `DIR@TIME` (see [`diff::parse_side`]);
    /// anything but a data dir is an error.
    pub fn parse(s: &str, local_time: bool) -> Result<SideArg, Error> {
        match diff::parse_side(s, local_time)? {
            SideSpec::Dir(dir, target) => Ok(SideArg {
                label: s.to_string(),
                dir,
                target,
            }),
            SideSpec::Snapshot(p) | SideSpec::Json(p) => Err(Error::NotDataDir {
                path: p,
                not_a_directory: true,
            }),
        }
    }
}

/// A txn as the divergence shows it.
#[derive(Clone, Debug)]
pub struct TxnBrief {
    /// Its log file.
    pub file: PathBuf,
    /// Entry offset.
    pub offset: u64,
    /// Op name.
    pub op: String,
    /// Session.
    pub session: SessionId,
    /// Time (ms).
    pub time: i64,
    /// Its paths (at most 3).
    pub paths: Vec<String>,
}

/// Two members' logs side by side.
#[derive(Clone, Debug)]
pub struct LogsCompared {
    /// Zxid range of each side's logs.
    pub left_range: Option<(Zxid, Zxid)>,
    /// The right side's.
    pub right_range: Option<(Zxid, Zxid)>,
    /// The range both cover.
    pub overlap: Option<(Zxid, Zxid)>,
    /// Txns equal byte for byte.
    pub equal: u64,
    /// The first zxid where they differ, with each side's txn there.
    pub divergence: Option<(Zxid, Option<TxnBrief>, Option<TxnBrief>)>,
    /// The last zxid both agree on.
    pub last_common: Option<Zxid>,
}

/// One changed path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeBrief {
    /// The path.
    pub path: String,
    /// How.
    pub kind: ChangeKind,
    /// Differing fields (modified only).
    pub fields: Vec<&'static str>,
}

/// The trees compared.
#[derive(Clone, Debug, Default)]
pub struct TreeDiff {
    /// Zxid of each tree.
    pub left_zxid: Option<Zxid>,
    /// Of the right tree.
    pub right_zxid: Option<Zxid>,
    /// Nodes only on the right.
    pub added: u64,
    /// Nodes only on the left.
    pub removed: u64,
    /// Nodes on both that differ.
    pub modified: u64,
    /// Nodes compared on each side.
    pub left_nodes: usize,
    /// On the right.
    pub right_nodes: usize,
    /// Changes (added, removed, modified) by top-level subtree, most first.
    pub by_subtree: Vec<(String, [u64; 3])>,
    /// The first [`SAMPLE`] changes in path order.
    pub sample: Vec<ChangeBrief>,
    /// What the replays tolerated.
    pub notes: Vec<String>,
}

/// The comparison section.
#[derive(Clone, Debug)]
pub struct Comparison {
    /// The left side.
    pub left: SideArg,
    /// The right side.
    pub right: SideArg,
    /// Two members' logs (both sides whole data dirs).
    pub logs: Option<LogsCompared>,
    /// The trees; `Err` when a side could not be replayed.
    pub trees: Result<TreeDiff, String>,
}

/// Compares two sides. Two whole data dirs (no points) are compared as
/// ensemble members: logs txn by txn, trees at the last zxid both agree on.
pub fn compare(
    left: &SideArg,
    right: &SideArg,
    prefix: Option<&[u8]>,
    no_mmap: bool,
    limits: Limits,
) -> Comparison {
    let members = matches!((left.target, right.target), (Target::End, Target::End));
    let mut logs = None;
    let mut targets = (left.target, right.target);
    if members {
        match member_logs(left, right, no_mmap, limits) {
            Ok(l) => {
                if let Some(z) = l.last_common {
                    targets = (Target::ToZxid(z), Target::ToZxid(z));
                }
                logs = Some(l);
            }
            Err(e) => {
                return Comparison {
                    left: left.clone(),
                    right: right.clone(),
                    logs: None,
                    trees: Err(e.to_string()),
                };
            }
        }
    }
    let trees = trees(left, right, targets, prefix, no_mmap, limits).map_err(|e| e.to_string());
    Comparison {
        left: left.clone(),
        right: right.clone(),
        logs,
        trees,
    }
}

fn member_logs(
    left: &SideArg,
    right: &SideArg,
    no_mmap: bool,
    limits: Limits,
) -> Result<LogsCompared, Error> {
    let (da, db) = (
        DataDir::open(&left.dir, None)?,
        DataDir::open(&right.dir, None)?,
    );
    let ha = diff::read_history(&da, no_mmap, limits)?;
    let hb = diff::read_history(&db, no_mmap, limits)?;
    let cmp = diff::compare_histories(&ha, &hb);
    let brief = |h: &History, t: &Option<TxnAt>| t.as_ref().and_then(|t| txn_brief(h, t, limits));
    Ok(LogsCompared {
        left_range: ha.range(),
        right_range: hb.range(),
        overlap: cmp.overlap,
        equal: cmp.equal,
        divergence: cmp
            .divergence
            .as_ref()
            .map(|d| (d.zxid, brief(&ha, &d.left), brief(&hb, &d.right))),
        last_common: cmp.last_common,
    })
}

fn txn_brief(h: &History, t: &TxnAt, limits: Limits) -> Option<TxnBrief> {
    let (path, _) = h.files.get(t.file)?;
    let base = t.offset + crate::format::txnlog::ENTRY_PREFIX_LEN as u64;
    let txn = Txn::decode(h.bytes(t), base, &limits).ok()?;
    Some(TxnBrief {
        file: path.clone(),
        offset: t.offset,
        op: txn.header.op.display_name(),
        session: txn.header.session,
        time: txn.header.time,
        paths: txn
            .paths()
            .iter()
            .take(3)
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect(),
    })
}

fn trees(
    left: &SideArg,
    right: &SideArg,
    (lt, rt): (Target, Target),
    prefix: Option<&[u8]>,
    no_mmap: bool,
    limits: Limits,
) -> Result<TreeDiff, Error> {
    let load = |s: &SideArg, t: Target| {
        diff::load_side(&SideSpec::Dir(s.dir.clone(), t), &s.label, no_mmap, limits)
    };
    let (a, b) = std::thread::scope(|sc| {
        let b = sc.spawn(|| load(right, rt));
        let a = load(left, lt);
        (a, b.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
    });
    let (a, b) = (a?, b?);
    let opts = DiffOptions {
        prefix: prefix.map(<[u8]>::to_vec),
        ..DiffOptions::default()
    };
    let mut d = TreeDiff {
        left_zxid: a.zxid,
        right_zxid: b.zxid,
        notes: a.notes.iter().chain(&b.notes).cloned().collect(),
        ..TreeDiff::default()
    };
    let mut subtrees: BTreeMap<Vec<u8>, [u64; 3]> = BTreeMap::new();
    let mut other = [0u64; 3];
    let (ln, rn) = (a.nodes(), b.nodes());
    let compared = diff::diff_each(&ln, &rn, &opts, |c| {
        let k = match c.kind {
            ChangeKind::Added => 0,
            ChangeKind::Removed => 1,
            ChangeKind::Modified => 2,
        };
        match k {
            0 => d.added += 1,
            1 => d.removed += 1,
            _ => d.modified += 1,
        }
        let path = c.path();
        let top = top_of(path);
        // Bounded: a flat root with millions of children sums the rest.
        if subtrees.len() < 4096 || subtrees.contains_key(top) {
            subtrees.entry(top.to_vec()).or_default()[k] += 1;
        } else {
            other[k] += 1;
        }
        if d.sample.len() < SAMPLE {
            d.sample.push(ChangeBrief {
                path: String::from_utf8_lossy(path).into_owned(),
                kind: c.kind,
                fields: c.fields.iter().map(|f| f.name()).collect(),
            });
        }
        Ok::<(), std::convert::Infallible>(())
    });
    let compared = match compared {
        Ok(c) => c,
        Err(never) => match never {},
    };
    d.left_nodes = compared.left_nodes;
    d.right_nodes = compared.right_nodes;
    let mut by: Vec<(String, [u64; 3])> = subtrees
        .into_iter()
        .map(|(k, v)| (String::from_utf8_lossy(&k).into_owned(), v))
        .collect();
    by.sort_by(|a, b| {
        let sum = |v: &[u64; 3]| v.iter().sum::<u64>();
        sum(&b.1).cmp(&sum(&a.1)).then(a.0.cmp(&b.0))
    });
    if by.len() > SUBTREES || other.iter().any(|&n| n > 0) {
        for (_, v) in by.iter().skip(SUBTREES) {
            for (o, n) in other.iter_mut().zip(v) {
                *o += n;
            }
        }
        by.truncate(SUBTREES);
        by.push(("(others)".to_string(), other));
    }
    d.by_subtree = by;
    Ok(d)
}

/// `/a` of `/a/b/c`; `/` for the root.
fn top_of(path: &[u8]) -> &[u8] {
    let end = path
        .iter()
        .skip(1)
        .position(|&b| b == b'/')
        .map_or(path.len(), |i| i + 1);
    path.get(..end).filter(|t| !t.is_empty()).unwrap_or(b"/")
}

#[cfg(test)]
mod tests {
    #[test]
    fn top_level_subtree_of_a_path() {
        assert_eq!(super::top_of(b"/a/b/c"), b"/a");
        assert_eq!(super::top_of(b"/a"), b"/a");
        assert_eq!(super::top_of(b"/"), b"/");
    }
}
