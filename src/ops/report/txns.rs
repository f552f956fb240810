//! Transactions over time for the report, from one streaming pass over the
//! logs: counts by op class in time buckets that coarsen as the span grows,
//! the busiest sessions and paths in bounded counters, a sparse zxid → time
//! index, and each log's zxid and time range. Memory stays flat however big
//! the logs are: every structure here has a fixed cap.

use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::hash::Hash;
use std::path::PathBuf;

use crate::files::datadir::DataDir;
use crate::files::log::OpenLog;
use crate::format::jute::Limits;
use crate::format::txn::{OpCode, Txn, TxnBody};
use crate::format::txnlog::{IterOptions, LogEnd};
use crate::ops::dump::Filter;
use crate::tree::FastMap;
use crate::zxid::{SessionId, Zxid};

/// What a txn did, as the report colours it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OpClass {
    /// create, create2, createContainer, createTtl.
    Create,
    /// setData.
    SetData,
    /// delete, deleteContainer.
    Delete,
    /// A multi that succeeded.
    Multi,
    /// setACL.
    SetAcl,
    /// createSession.
    CreateSession,
    /// closeSession (a client went away or expired).
    CloseSession,
    /// An error txn, or a multi that failed (its sub-txns are errors).
    Error,
    /// reconfig, check and anything else.
    Other,
}

impl OpClass {
    /// Every class, in the order charts stack them.
    pub const ALL: [OpClass; 9] = [
        OpClass::Create,
        OpClass::SetData,
        OpClass::Delete,
        OpClass::Multi,
        OpClass::SetAcl,
        OpClass::CreateSession,
        OpClass::CloseSession,
        OpClass::Error,
        OpClass::Other,
    ];

    /// Stable lowercase name (used in the page's hooks).
    pub fn name(self) -> &'static str {
        match self {
            OpClass::Create => "create",
            OpClass::SetData => "setData",
            OpClass::Delete => "delete",
            OpClass::Multi => "multi",
            OpClass::SetAcl => "setACL",
            OpClass::CreateSession => "createSession",
            OpClass::CloseSession => "closeSession",
            OpClass::Error => "error",
            OpClass::Other => "other",
        }
    }

    /// The class of a txn.
    pub fn of(txn: &Txn<'_>) -> OpClass {
        match txn.header.op {
            OpCode::CREATE | OpCode::CREATE2 | OpCode::CREATE_CONTAINER | OpCode::CREATE_TTL => {
                OpClass::Create
            }
            OpCode::SET_DATA => OpClass::SetData,
            OpCode::DELETE | OpCode::DELETE_CONTAINER => OpClass::Delete,
            OpCode::SET_ACL => OpClass::SetAcl,
            OpCode::CREATE_SESSION => OpClass::CreateSession,
            OpCode::CLOSE_SESSION => OpClass::CloseSession,
            OpCode::ERROR => OpClass::Error,
            OpCode::MULTI => match &txn.body {
                // A failed multi is logged with every sub-txn an error.
                TxnBody::Multi { ops } if ops.iter().any(|o| o.op == OpCode::ERROR) => {
                    OpClass::Error
                }
                _ => OpClass::Multi,
            },
            _ => OpClass::Other,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Txns per op class.
pub type ClassCounts = [u64; OpClass::ALL.len()];

/// Time buckets of at most [`Histogram::MAX_BUCKETS`]: they start one
/// second wide and double in width (merging pairs) whenever there would be
/// more, so any time span fits.
#[derive(Clone, Debug)]
pub struct Histogram {
    width_ms: i64,
    buckets: BTreeMap<i64, ClassCounts>,
    /// The bucket txns are going to now (txns come in time order), added
    /// to `buckets` when another comes.
    current: Option<(i64, ClassCounts)>,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            width_ms: 1000,
            buckets: BTreeMap::new(),
            current: None,
        }
    }
}

/// Buckets ready to draw: `step_ms` wide, each with its start time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Series {
    /// Width of a bucket in ms.
    pub step_ms: i64,
    /// (start, counts), oldest first, empty buckets left out.
    pub buckets: Vec<(i64, ClassCounts)>,
}

/// Bucket widths a chart may use, in ms.
const NICE_STEPS_MS: [i64; 22] = [
    1_000,
    2_000,
    5_000,
    10_000,
    15_000,
    30_000,
    60_000,
    120_000,
    300_000,
    600_000,
    900_000,
    1_800_000,
    3_600_000,
    7_200_000,
    10_800_000,
    21_600_000,
    43_200_000,
    86_400_000,
    172_800_000,
    604_800_000,
    2_592_000_000,
    31_536_000_000,
];

impl Histogram {
    /// The most buckets kept while counting.
    pub const MAX_BUCKETS: usize = 4096;

    /// Counts one txn at time `t` (ms).
    pub fn add(&mut self, t: i64, class: OpClass) {
        let key = t.div_euclid(self.width_ms) * self.width_ms;
        if let Some((k, counts)) = &mut self.current
            && *k == key
        {
            counts[class.index()] += 1;
            return;
        }
        if let Some((k, counts)) = self.current.take() {
            self.merge_bucket(k, counts);
        }
        let mut counts = ClassCounts::default();
        counts[class.index()] = 1;
        self.current = Some((key, counts));
    }

    fn merge_bucket(&mut self, key: i64, counts: ClassCounts) {
        let slot = self.buckets.entry(key).or_default();
        for (s, c) in slot.iter_mut().zip(counts) {
            *s += c;
        }
        while self.buckets.len() > Self::MAX_BUCKETS {
            self.coarsen();
        }
    }

    fn coarsen(&mut self) {
        self.width_ms = self.width_ms.saturating_mul(2);
        let old = std::mem::take(&mut self.buckets);
        for (k, counts) in old {
            let key = k.div_euclid(self.width_ms) * self.width_ms;
            let slot = self.buckets.entry(key).or_default();
            for (s, c) in slot.iter_mut().zip(counts) {
                *s += c;
            }
        }
    }

    fn flush(&mut self) {
        if let Some((k, counts)) = self.current.take() {
            self.merge_bucket(k, counts);
        }
    }

    /// The counts in at most `max_bars` buckets of a round width (1 s, 5 s,
    /// 1 min, 5 min, 1 h, ...; never narrower than the counting width). A
    /// counting bucket goes whole into the bar its start falls in.
    pub fn series(&self, max_bars: usize) -> Series {
        let mut all = self.buckets.clone();
        if let Some((k, counts)) = self.current {
            let slot = all.entry(k).or_default();
            for (s, c) in slot.iter_mut().zip(counts) {
                *s += c;
            }
        }
        let (Some((&lo, _)), Some((&hi, _))) = (all.first_key_value(), all.last_key_value()) else {
            return Series {
                step_ms: self.width_ms,
                buckets: Vec::new(),
            };
        };
        let span = hi.saturating_sub(lo).saturating_add(self.width_ms);
        let max_bars = max_bars.max(1) as i64;
        let step = NICE_STEPS_MS
            .iter()
            .copied()
            .find(|&s| s >= self.width_ms && span / s < max_bars)
            .unwrap_or_else(|| {
                // Beyond a year a bar: whatever width fits.
                (span / max_bars + 1).max(self.width_ms)
            });
        let mut out: BTreeMap<i64, ClassCounts> = BTreeMap::new();
        for (k, counts) in all {
            let slot = out.entry(k.div_euclid(step) * step).or_default();
            for (s, c) in slot.iter_mut().zip(counts) {
                *s += c;
            }
        }
        Series {
            step_ms: step,
            buckets: out.into_iter().collect(),
        }
    }
}

/// Txns and log bytes counted for one key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Txns (an upper bound when `over` > 0).
    pub txns: u64,
    /// Framed log bytes of those txns.
    pub bytes: u64,
    /// Of them, error txns and failed multis.
    pub errors: u64,
    /// How much `txns` may overstate the truth: the count the key may have
    /// had when it was last evicted (0 = exact).
    pub over: u64,
}

/// The busiest keys in bounded memory (the Space-Saving scheme, pruned in
/// batches): counts are exact until more than `2 × cap` keys are seen; then
/// the weakest half is dropped, and a key that comes back starts at the
/// highest count dropped, so a key's count is never understated and the
/// true top keys stay (a key seen more than the dropped counts never goes).
#[derive(Clone, Debug)]
pub struct TopK<K: Hash + Eq> {
    cap: usize,
    map: FastMap<K, Tally>,
    floor: u64,
}

impl<K: Hash + Eq + Clone + Ord> TopK<K> {
    /// Keeps the `cap` busiest keys (at least 1).
    pub fn new(cap: usize) -> TopK<K> {
        TopK {
            cap: cap.max(1),
            map: FastMap::default(),
            floor: 0,
        }
    }

    /// Counts one txn for `key`; `own` makes the owned key when it is new.
    pub fn add<Q>(&mut self, key: &Q, own: impl FnOnce(&Q) -> K, bytes: u64, error: bool)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if let Some(t) = self.map.get_mut(key) {
            t.txns += 1;
            t.bytes += bytes;
            t.errors += u64::from(error);
            return;
        }
        self.map.insert(
            own(key),
            Tally {
                txns: self.floor + 1,
                bytes,
                errors: u64::from(error),
                over: self.floor,
            },
        );
        if self.map.len() > 2 * self.cap {
            self.prune();
        }
    }

    fn prune(&mut self) {
        let mut all: Vec<(K, Tally)> = self.map.drain().collect();
        all.sort_unstable_by(|a, b| b.1.txns.cmp(&a.1.txns).then_with(|| a.0.cmp(&b.0)));
        for (_, t) in all.iter().skip(self.cap) {
            self.floor = self.floor.max(t.txns);
        }
        all.truncate(self.cap);
        self.map.extend(all);
    }

    /// The `n` busiest keys, busiest first: by the count each surely has
    /// (`txns - over`), then by the upper bound, then by key. Once keys
    /// were evicted, only those surely seen more often than any evicted
    /// key ([`TopK::floor`]) are certain to be among the busiest.
    pub fn top(&self, n: usize) -> Vec<(K, Tally)> {
        let mut all: Vec<(K, Tally)> = self.map.iter().map(|(k, t)| (k.clone(), *t)).collect();
        let sure = |t: &Tally| t.txns - t.over;
        all.sort_unstable_by(|a, b| {
            sure(&b.1)
                .cmp(&sure(&a.1))
                .then(b.1.txns.cmp(&a.1.txns))
                .then_with(|| a.0.cmp(&b.0))
        });
        all.truncate(n);
        all
    }

    /// True when some counts may be overstated (keys were evicted).
    pub fn approximate(&self) -> bool {
        self.floor > 0
    }

    /// The highest count a key had when it was evicted (0: none was).
    pub fn floor(&self) -> u64 {
        self.floor
    }

    /// Keys counted now.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when no key was counted.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// A sparse zxid → time index: every `stride`-th txn, the stride doubling
/// whenever more than [`ZxidClock::MAX`] samples would be kept.
#[derive(Clone, Debug)]
pub struct ZxidClock {
    samples: Vec<(Zxid, i64)>,
    stride: u64,
    seen: u64,
}

impl Default for ZxidClock {
    fn default() -> Self {
        ZxidClock {
            samples: Vec::new(),
            stride: 1,
            seen: 0,
        }
    }
}

impl ZxidClock {
    /// The most samples kept.
    pub const MAX: usize = 8192;

    fn add(&mut self, zxid: Zxid, time: i64) {
        if self.seen.is_multiple_of(self.stride) {
            self.samples.push((zxid, time));
            if self.samples.len() > Self::MAX {
                let mut i = 0;
                self.samples.retain(|_| {
                    i += 1;
                    i % 2 == 1
                });
                self.stride *= 2;
            }
        }
        self.seen += 1;
    }

    /// The time of the txn `zxid`, or of the last txn sampled before it
    /// (exact when every txn was sampled); `None` before the first txn.
    pub fn time_of(&self, zxid: Zxid) -> Option<i64> {
        let i = self.samples.partition_point(|&(z, _)| z <= zxid);
        i.checked_sub(1)
            .and_then(|i| self.samples.get(i))
            .map(|&(_, t)| t)
    }

    /// The first zxid sampled at or after time `t` (ms).
    pub fn zxid_at(&self, t: i64) -> Option<Zxid> {
        self.samples.iter().find(|&&(_, s)| s >= t).map(|&(z, _)| z)
    }
}

/// How reading one log went.
#[derive(Clone, Debug, Default)]
pub struct LogSpan {
    /// The file.
    pub path: PathBuf,
    /// Zxid in its name.
    pub name_zxid: Zxid,
    /// Size in bytes.
    pub len: u64,
    /// First and last zxid read.
    pub first: Option<Zxid>,
    /// The last zxid read.
    pub last: Option<Zxid>,
    /// Txns read (valid entries up to where reading stopped).
    pub txns: u64,
    /// Time of the first txn read (ms).
    pub first_time: Option<i64>,
    /// Time of the last txn read (ms).
    pub last_time: Option<i64>,
    /// How its entries end; `None` when it could not be read.
    pub end: Option<LogEnd>,
    /// Why it could not be read (a bad header, an I/O error).
    pub unreadable: Option<String>,
}

/// Everything the pass over the logs counted.
#[derive(Clone, Debug)]
pub struct TxnStats {
    /// Counts by time bucket and class (txns passing the filters).
    pub histogram: Histogram,
    /// Totals by class (txns passing the filters).
    pub totals: ClassCounts,
    /// Framed bytes of the txns counted.
    pub bytes: u64,
    /// First and last time counted (ms).
    pub time_range: Option<(i64, i64)>,
    /// The busiest sessions.
    pub sessions: TopK<SessionId>,
    /// The busiest znodes (paths written by create, delete, setData,
    /// setACL and multis).
    pub paths: TopK<Box<[u8]>>,
    /// Zxid → time, for every txn read (filters or not).
    pub clock: ZxidClock,
    /// Txns read in all (filters or not), each zxid once.
    pub read: u64,
    /// Txns left out because their zxid was already read in an earlier file.
    pub repeated: u64,
}

impl Default for TxnStats {
    fn default() -> Self {
        TxnStats {
            histogram: Histogram::default(),
            totals: ClassCounts::default(),
            bytes: 0,
            time_range: None,
            sessions: TopK::new(1024),
            paths: TopK::new(16384),
            clock: ZxidClock::default(),
            read: 0,
            repeated: 0,
        }
    }
}

impl TxnStats {
    /// Txns counted (passing the filters).
    pub fn counted(&self) -> u64 {
        self.totals.iter().sum()
    }

    fn add(&mut self, txn: &Txn<'_>, bytes: u64, filter: &Filter) {
        let h = &txn.header;
        self.read += 1;
        self.clock.add(h.zxid, h.time);
        if !filter.matches(txn) {
            return;
        }
        let class = OpClass::of(txn);
        self.totals[class.index()] += 1;
        self.bytes += bytes;
        self.histogram.add(h.time, class);
        self.time_range = Some(match self.time_range {
            None => (h.time, h.time),
            Some((a, b)) => (a.min(h.time), b.max(h.time)),
        });
        let error = class == OpClass::Error;
        self.sessions.add(&h.session, |s| *s, bytes, error);
        let mut add_path = |p: &[u8]| {
            if filter
                .prefix
                .as_ref()
                .is_none_or(|x| crate::tree::in_subtree(p, x))
            {
                self.paths.add(p, |p: &[u8]| Box::from(p), bytes, error);
            }
        };
        match &txn.body {
            TxnBody::Create(c) => add_path(c.path),
            TxnBody::Delete { path }
            | TxnBody::SetData { path, .. }
            | TxnBody::SetAcl { path, .. }
            | TxnBody::Check { path, .. } => add_path(path),
            TxnBody::Multi { .. } => {
                let mut paths = txn.paths();
                paths.sort_unstable();
                paths.dedup();
                for p in paths {
                    add_path(p);
                }
            }
            // Session closes name the ephemerals they delete: not writes.
            _ => {}
        }
    }
}

/// Reads every log of `dir` once, in zxid order: the span of each, and,
/// into `stats`, every txn (each zxid once, as restore applies them) that
/// passes `filter`.
pub fn read_logs(
    dir: &DataDir,
    limits: Limits,
    no_mmap: bool,
    filter: &Filter,
    stats: &mut TxnStats,
) -> Vec<LogSpan> {
    let opts = IterOptions {
        limits,
        verify_checksums: true,
    };
    let mut spans = Vec::with_capacity(dir.logs.len());
    let mut high: Option<Zxid> = None;
    for lf in &dir.logs {
        let mut span = LogSpan {
            path: lf.path.clone(),
            name_zxid: lf.zxid,
            len: lf.len,
            ..LogSpan::default()
        };
        let mut log = match OpenLog::open(&lf.path, no_mmap) {
            Ok(Ok(l)) => l,
            Ok(Err(bad)) => {
                span.unreadable = Some(bad.error.to_string());
                spans.push(span);
                continue;
            }
            Err(e) => {
                span.unreadable = Some(e.to_string());
                spans.push(span);
                continue;
            }
        };
        let releaser = log.releaser();
        let mut released = 0u64;
        let run = log.run(0, &limits, |view| {
            let mut it = view.entries(opts);
            for e in it.by_ref() {
                let z = e.txn.header.zxid;
                let t = e.txn.header.time;
                span.txns += 1;
                span.first.get_or_insert(z);
                span.last = Some(z);
                span.first_time.get_or_insert(t);
                span.last_time = Some(t);
                if high.is_some_and(|h| z <= h) {
                    stats.repeated += 1;
                } else {
                    high = Some(z);
                    stats.add(&e.txn, e.framed_len(), filter);
                }
                if e.offset - released > 4 << 20 {
                    // Keep resident memory flat on a huge mapped log.
                    releaser.release_before(e.offset);
                    released = e.offset;
                }
            }
            Ok(it.end().cloned())
        });
        match run {
            Ok(end) => span.end = end,
            Err(e) => span.unreadable = Some(e.to_string()),
        }
        spans.push(span);
    }
    stats.histogram.flush();
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_coarsens_to_stay_bounded_and_keeps_every_count() {
        let mut h = Histogram::default();
        // 10,000 seconds, one txn each: more than MAX_BUCKETS one-second buckets.
        for s in 0..10_000i64 {
            h.add(s * 1000, OpClass::Create);
        }
        h.flush();
        assert!(h.buckets.len() <= Histogram::MAX_BUCKETS);
        assert!(h.width_ms > 1000);
        let total: u64 = h.buckets.values().map(|c| c[0]).sum();
        assert_eq!(total, 10_000);
        let s = h.series(120);
        assert!(s.buckets.len() <= 120, "{}", s.buckets.len());
        assert_eq!(s.buckets.iter().map(|(_, c)| c[0]).sum::<u64>(), 10_000);
        assert!(s.step_ms >= 60_000);
    }

    #[test]
    fn short_spans_get_second_buckets() {
        let mut h = Histogram::default();
        for ms in [0, 400, 1500, 2600, 9000] {
            h.add(1_700_000_000_000 + ms, OpClass::SetData);
        }
        let s = h.series(120);
        assert_eq!(s.step_ms, 1000);
        assert_eq!(s.buckets.len(), 4);
        assert_eq!(s.buckets[0].1[OpClass::SetData.index()], 2);
    }

    #[test]
    fn topk_is_exact_below_its_cap_and_keeps_the_heavy_keys_above_it() {
        let mut t: TopK<u64> = TopK::new(4);
        for k in 0..8u64 {
            for _ in 0..=k {
                t.add(&k, |k| *k, 1, false);
            }
        }
        assert!(!t.approximate());
        assert_eq!(
            t.top(1)[0],
            (
                7,
                Tally {
                    txns: 8,
                    bytes: 8,
                    errors: 0,
                    over: 0
                }
            )
        );
        // A flood of one-off keys, then the heavy key again.
        for k in 100..10_000u64 {
            t.add(&k, |k| *k, 1, false);
        }
        t.add(&7, |k| *k, 1, true);
        assert!(t.approximate());
        let top = t.top(1);
        assert_eq!(top[0].0, 7);
        assert!(top[0].1.txns >= 9 && top[0].1.txns - top[0].1.over <= 9);
        assert!(t.map.len() <= 8);
    }

    #[test]
    fn clock_thins_its_samples_and_answers_with_the_last_before() {
        let mut c = ZxidClock::default();
        for i in 0..20_000i64 {
            c.add(Zxid(i + 1), i * 10);
        }
        assert!(c.samples.len() <= ZxidClock::MAX);
        assert_eq!(c.time_of(Zxid(1)), Some(0));
        assert_eq!(c.time_of(Zxid(0)), None);
        let t = c.time_of(Zxid(15_001)).unwrap();
        assert!(t <= 150_000 && t > 149_000, "{t}");
    }
}
