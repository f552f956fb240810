//! Where two ensemble members' transaction logs part: every intact txn of
//! each member by zxid, compared byte for byte over the range both cover.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::error::Error;
use crate::files::datadir::DataDir;
use crate::files::source::{self, Bytes};
use crate::format::jute::Limits;
use crate::format::txn::{Txn, TxnBody};
use crate::format::txnlog::{IterOptions, TxnLog};
use crate::zxid::Zxid;

/// Where one txn is logged.
#[derive(Clone, Debug)]
pub struct TxnAt {
    /// Index into [`History::files`].
    pub file: usize,
    /// Entry offset.
    pub offset: u64,
    /// The txn bytes (header, body, digest) as logged.
    pub range: (usize, usize),
}

/// Every txn one member's logs hold, by zxid.
pub struct History {
    /// The log files, mapped.
    pub files: Vec<(PathBuf, Bytes)>,
    /// zxid → where (the first copy when a zxid is logged twice).
    pub txns: BTreeMap<Zxid, TxnAt>,
}

impl History {
    /// The logged bytes of a txn.
    pub fn bytes(&self, t: &TxnAt) -> &[u8] {
        &self.files[t.file].1[t.range.0..t.range.1]
    }

    /// First and last zxid.
    pub fn range(&self) -> Option<(Zxid, Zxid)> {
        Some((*self.txns.keys().next()?, *self.txns.keys().next_back()?))
    }
}

/// Reads every intact entry of every log of a data dir.
pub fn read_history(dir: &DataDir, no_mmap: bool, limits: Limits) -> Result<History, Error> {
    let mut files = Vec::new();
    let mut txns = BTreeMap::new();
    for lf in &dir.logs {
        let bytes = source::open(&lf.path, no_mmap).map_err(|e| Error::io(&lf.path, e))?;
        let idx = files.len();
        {
            let Ok(log) = TxnLog::parse(&bytes) else {
                continue;
            };
            let base = bytes.as_ptr() as usize;
            for e in log.entries(IterOptions {
                limits,
                verify_checksums: true,
            }) {
                let start = e.bytes.as_ptr() as usize - base;
                txns.entry(e.txn.header.zxid).or_insert(TxnAt {
                    file: idx,
                    offset: e.offset,
                    range: (start, start + e.bytes.len()),
                });
            }
        }
        files.push((lf.path.clone(), bytes));
    }
    Ok(History { files, txns })
}

/// The first zxid where two histories differ.
#[derive(Clone, Debug)]
pub struct Divergence {
    /// The zxid.
    pub zxid: Zxid,
    /// The left member's txn (absent: only the right one has it).
    pub left: Option<TxnAt>,
    /// The right member's txn.
    pub right: Option<TxnAt>,
}

/// Result of comparing two histories.
#[derive(Clone, Debug)]
pub struct LogComparison {
    /// The zxid range both cover, if any.
    pub overlap: Option<(Zxid, Zxid)>,
    /// Txns compared equal (byte for byte, or in effect: see `equivalent`).
    pub equal: u64,
    /// Txns logged with other bytes but the same effect, and why.
    pub equivalent: Vec<(Zxid, &'static str)>,
    /// The first difference inside the overlap.
    pub divergence: Option<Divergence>,
    /// The last zxid up to which both agree (the trees are compared there).
    pub last_common: Option<Zxid>,
}

/// Compares two histories zxid by zxid inside the range both cover.
pub fn compare_histories(a: &History, b: &History) -> LogComparison {
    let (Some((a0, a1)), Some((b0, b1))) = (a.range(), b.range()) else {
        return LogComparison {
            overlap: None,
            equal: 0,
            equivalent: Vec::new(),
            divergence: None,
            last_common: None,
        };
    };
    let (lo, hi) = (a0.max(b0), a1.min(b1));
    if lo > hi {
        return LogComparison {
            overlap: None,
            equal: 0,
            equivalent: Vec::new(),
            divergence: None,
            last_common: None,
        };
    }
    let mut ia = a.txns.range(lo..=hi).peekable();
    let mut ib = b.txns.range(lo..=hi).peekable();
    let mut equal = 0;
    let mut equivalent = Vec::new();
    let mut last_common = None;
    loop {
        let (x, y) = (ia.peek().map(|e| *e.0), ib.peek().map(|e| *e.0));
        let div = match (x, y) {
            (None, None) => break,
            (Some(za), Some(zb)) if za == zb => {
                let (ta, tb) = (ia.next().map(|e| e.1), ib.next().map(|e| e.1));
                if let (Some(ta), Some(tb)) = (ta, tb) {
                    if a.bytes(ta) == b.bytes(tb) {
                        equal += 1;
                        last_common = Some(za);
                        continue;
                    }
                    if let Some(why) = same_effect(a.bytes(ta), b.bytes(tb)) {
                        equal += 1;
                        equivalent.push((za, why));
                        last_common = Some(za);
                        continue;
                    }
                    Divergence {
                        zxid: za,
                        left: Some(ta.clone()),
                        right: Some(tb.clone()),
                    }
                } else {
                    break;
                }
            }
            (Some(za), zb) if zb.is_none_or(|zb| za < zb) => Divergence {
                zxid: za,
                left: ia.next().map(|e| e.1.clone()),
                right: None,
            },
            _ => Divergence {
                zxid: y.unwrap_or_default(),
                left: None,
                right: ib.next().map(|e| e.1.clone()),
            },
        };
        return LogComparison {
            overlap: Some((lo, hi)),
            equal,
            equivalent,
            divergence: Some(div),
            // Before the overlap both may hold anything their snapshots do.
            last_common: last_common.or(Some(Zxid(lo.0 - 1))),
        };
    }
    LogComparison {
        overlap: Some((lo, hi)),
        equal,
        equivalent,
        divergence: None,
        last_common: Some(hi),
    }
}

/// Why two differently logged txns of one zxid have the same effect, if
/// they do. A failed multi changes nothing, but one member may log it
/// after `DataTree.processTxn` has marked its sub-txns as errors in memory
/// (their bytes unchanged), another before: same header, same sub-txns
/// failing, same digest, other bytes.
fn same_effect(a: &[u8], b: &[u8]) -> Option<&'static str> {
    let limits = Limits::default();
    let (ta, tb) = (
        Txn::decode(a, 0, &limits).ok()?,
        Txn::decode(b, 0, &limits).ok()?,
    );
    let failed_multi = |t: &Txn<'_>| match &t.body {
        TxnBody::Multi { ops } => ops
            .iter()
            .any(|o| matches!(o.body, TxnBody::Error { .. }))
            .then_some(ops.len()),
        _ => None,
    };
    let n = failed_multi(&ta)?;
    (ta.header == tb.header && failed_multi(&tb) == Some(n) && ta.digest == tb.digest).then_some(
        "a failed multi (it changes nothing), logged by one member after ZooKeeper marked its sub-txns as errors; same header and digest",
    )
}
