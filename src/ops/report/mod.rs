//! `zkdd report`: everything one page about a data dir shows, gathered as
//! typed aggregates for [`crate::render::report`] to draw.
//!
//! * the verdict and startup prediction, as [`crate::ops::verify`] gives them;
//! * every log and snapshot on one zxid axis ([`FileRow`]), with what verify
//!   found placed on it ([`Mark`]: damage, crash tails, gaps, lost txns), the
//!   span startup replays, and what [`crate::ops::purge`] would delete with
//!   the configured retain count;
//! * txns over time by op class, the busiest sessions and paths, from one
//!   streaming pass over the logs ([`txns`]);
//! * the newest readable snapshot's space by subtree ([`space`]);
//! * with a second side, where the two part ([`compare`]).
//!
//! Every part has a fixed maximum size, whatever the size of the data dir:
//! time buckets coarsen, busy keys are counted in bounded tables, subtrees
//! are cut to the biggest few per level. The verify run and the log, purge
//! and snapshot passes run side by side.

pub mod compare;
pub mod space;
pub mod txns;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::files::datadir::DataDir;
use crate::format::jute::Limits;
use crate::ops::dump::Filter;
use crate::ops::purge::{self, Action, PurgeOptions, PurgePlan};
use crate::ops::verify::{self, Outcome, Severity};
use crate::tree::replay::Target;
use crate::zxid::Zxid;

pub use compare::{Comparison, SideArg};
pub use space::Space;
pub use txns::{LogSpan, OpClass, TxnStats};

/// Marks placed on the timeline at most (errors first).
pub const MAX_MARKS: usize = 200;

/// What to gather.
#[derive(Clone, Debug)]
pub struct Options {
    /// Length limit (jute.maxbuffer + extrasize).
    pub limits: Limits,
    /// Read files instead of mapping them.
    pub no_mmap: bool,
    /// Let verify replay the tree and compare digests.
    pub digests: bool,
    /// Threads for verify.
    pub threads: usize,
    /// Snapshots purge keeps (autopurge.snapRetainCount, or 3).
    pub retain: usize,
    /// Txns from this time on (ms).
    pub since: Option<i64>,
    /// Txns up to this time (ms).
    pub until: Option<i64>,
    /// Only this subtree (txns, busiest paths, space, comparison).
    pub prefix: Option<Vec<u8>>,
    /// The clock reading the purge plan uses.
    pub now: SystemTime,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            limits: Limits::default(),
            no_mmap: false,
            digests: true,
            threads: crate::files::par::default_threads(),
            retain: purge::RECOMMENDED_RETAIN,
            since: None,
            until: None,
            prefix: None,
            now: SystemTime::now(),
        }
    }
}

/// A log or a snapshot on the timeline.
#[derive(Clone, Debug)]
pub struct FileRow {
    /// The file.
    pub path: PathBuf,
    /// Its name.
    pub name: String,
    /// True for a log, false for a snapshot.
    pub log: bool,
    /// Zxid in its name.
    pub zxid: Zxid,
    /// Logs: the last zxid read.
    pub last: Option<Zxid>,
    /// Logs: txns read.
    pub txns: Option<u64>,
    /// Size in bytes.
    pub len: u64,
    /// Logs: time of the first txn; snapshots: time of the txn at its zxid
    /// (from the logs; `None` when they do not hold it).
    pub time: Option<i64>,
    /// Logs: time of the last txn.
    pub last_time: Option<i64>,
    /// Logs: startup replays it; snapshots: startup loads it.
    pub startup: bool,
    /// Snapshots: why startup would reject it.
    pub rejected: Option<String>,
    /// What purge would do with it.
    pub purge: Option<Action>,
    /// The worst thing verify found in it.
    pub worst: Option<Severity>,
    /// Why a log could not be read.
    pub unreadable: Option<String>,
}

/// What a mark on the timeline stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MarkKind {
    /// A damaged entry or file: an error.
    Damage,
    /// A write cut short by a crash at the end of the newest log.
    CrashTail,
    /// Zxids missing between or inside logs.
    Gap,
    /// Txns restore would drop or skip.
    Lost,
    /// A snapshot that fails its checks.
    BadSnapshot,
    /// Any other warning placed at a zxid.
    Warning,
    /// Where two members' logs part.
    Divergence,
    /// A point given as `DIR@ZXID`.
    Point,
}

impl MarkKind {
    /// Stable lowercase name (the page's `data-kind`).
    pub fn name(self) -> &'static str {
        match self {
            MarkKind::Damage => "damage",
            MarkKind::CrashTail => "crash-tail",
            MarkKind::Gap => "gap",
            MarkKind::Lost => "lost",
            MarkKind::BadSnapshot => "bad-snapshot",
            MarkKind::Warning => "warning",
            MarkKind::Divergence => "divergence",
            MarkKind::Point => "point",
        }
    }
}

/// Something placed at a zxid.
#[derive(Clone, Debug)]
pub struct Mark {
    /// What.
    pub kind: MarkKind,
    /// Where: the txn concerned, or for damage at the end of a log's valid
    /// entries, the zxid after the last one read; for a gap between logs,
    /// the first missing zxid.
    pub zxid: Zxid,
    /// For a gap between logs: the last missing zxid.
    pub end: Option<Zxid>,
    /// The time there, when the logs tell.
    pub time: Option<i64>,
    /// The verify finding code, if it comes from one.
    pub code: &'static str,
    /// Its severity.
    pub severity: Option<Severity>,
    /// The file concerned.
    pub file: Option<PathBuf>,
    /// Byte offset in it.
    pub offset: Option<u64>,
    /// One line.
    pub text: String,
}

/// Everything the report shows.
#[derive(Clone, Debug)]
pub struct Report {
    /// The data dir.
    pub dir: DataDir,
    /// What verify found.
    pub verify: verify::Report,
    /// Logs and snapshots by zxid.
    pub files: Vec<FileRow>,
    /// Marks by zxid (at most [`MAX_MARKS`]).
    pub marks: Vec<Mark>,
    /// Findings that could not be placed at a zxid or were over the cap.
    pub unplaced: usize,
    /// The zxids startup would load and reach: the snapshot's and the last
    /// replayed (`None` when it would fail).
    pub startup: Option<(Zxid, Zxid)>,
    /// The purge plan (min-age ignored), or why there is none.
    pub purge: Result<PurgePlan, String>,
    /// Snapshots the plan keeps.
    pub retain: usize,
    /// The txns counted.
    pub txns: TxnStats,
    /// Space by subtree, or the snapshots that could not be read.
    pub space: Result<Space, Vec<(PathBuf, String)>>,
    /// The second side, if any.
    pub compare: Option<Comparison>,
    /// The other member's files (a comparison with another data dir).
    pub other_files: Vec<FileRow>,
    /// The filters used.
    pub since: Option<i64>,
    /// Up to.
    pub until: Option<i64>,
    /// Subtree.
    pub prefix: Option<Vec<u8>>,
}

impl Report {
    /// The worst severity verify found.
    pub fn worst(&self) -> Option<Severity> {
        self.verify.worst()
    }
}

/// Gathers the report on `dir`. With a second side `other`, the two are
/// compared; `this` is `dir` as the user gave it (perhaps with a point).
pub fn gather(
    dir: DataDir,
    this: Option<&SideArg>,
    other: Option<&SideArg>,
    opts: &Options,
) -> Report {
    let vopts = verify::Options {
        limits: opts.limits,
        no_mmap: opts.no_mmap,
        digests: opts.digests,
        threads: opts.threads,
    };
    let filter = Filter {
        since: opts.since,
        until: opts.until,
        prefix: opts.prefix.clone(),
        ..Filter::default()
    };
    let prefix = opts.prefix.as_deref().unwrap_or(b"/");
    let (verified, txns, spans, plan, space) = std::thread::scope(|s| {
        let v = s.spawn(|| verify::verify_dir(&dir, &vopts, &|_| {}));
        let mut txns = TxnStats::default();
        let spans = txns::read_logs(&dir, opts.limits, opts.no_mmap, &filter, &mut txns);
        let plan = purge_plan(&dir, opts);
        let space = space::newest_snapshot_space(&dir.snapshots, prefix, opts.limits, opts.no_mmap);
        let verified = v.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        (verified, txns, spans, plan, space)
    });

    let files = rows(&dir, &spans, &verified, plan.as_ref().ok(), &txns);
    let (mut marks, mut unplaced) = marks(&verified, &files, &txns);
    let startup = verified.recovery.as_ref().and_then(|r| match r.outcome {
        Outcome::Start(z) => Some((r.snapshot_zxid.unwrap_or(Zxid(0)), z)),
        Outcome::Fail(_) => None,
    });

    let mut compare = None;
    let mut other_files = Vec::new();
    if let Some(other) = other {
        let this = this.cloned().unwrap_or_else(|| SideArg {
            label: dir.snap_dir.display().to_string(),
            dir: dir.snap_dir.clone(),
            target: Target::End,
        });
        let c = compare::compare(
            &this,
            other,
            opts.prefix.as_deref(),
            opts.no_mmap,
            opts.limits,
        );
        if let Some((z, ..)) = c.logs.as_ref().and_then(|l| l.divergence.as_ref()) {
            marks.push(Mark {
                kind: MarkKind::Divergence,
                zxid: *z,
                end: None,
                time: txns.clock.time_of(*z),
                code: "",
                severity: None,
                file: None,
                offset: None,
                text: format!("{} and {} differ from zxid {z} on", this.label, other.label),
            });
        }
        for side in [&this, other] {
            let z = match side.target {
                Target::ToZxid(z) | Target::BeforeZxid(z) => Some(z),
                Target::ToTime(t) => txns.clock.zxid_at(t),
                Target::End => None,
            };
            if let Some(z) = z {
                marks.push(Mark {
                    kind: MarkKind::Point,
                    zxid: z,
                    end: None,
                    time: txns.clock.time_of(z),
                    code: "",
                    severity: None,
                    file: None,
                    offset: None,
                    text: format!("compared at {}", side.label),
                });
            }
        }
        if !same_dir(&this.dir, &other.dir)
            && let Ok(od) = DataDir::open(&other.dir, None)
        {
            let mut scratch = TxnStats::default();
            let ospans = txns::read_logs(
                &od,
                opts.limits,
                opts.no_mmap,
                &Filter::default(),
                &mut scratch,
            );
            let empty = verify::Report::default();
            other_files = rows(&od, &ospans, &empty, None, &scratch);
        }
        compare = Some(c);
    }
    marks.sort_by_key(|a| (a.zxid, a.kind));
    if marks.len() > MAX_MARKS {
        // Keep the worst: errors, then warnings, then the rest.
        marks.sort_by_key(|m| std::cmp::Reverse(m.severity));
        unplaced += marks.len() - MAX_MARKS;
        marks.truncate(MAX_MARKS);
        marks.sort_by_key(|a| (a.zxid, a.kind));
    }

    Report {
        dir,
        verify: verified,
        files,
        marks,
        unplaced,
        startup,
        purge: plan,
        retain: opts.retain,
        txns,
        space,
        compare,
        other_files,
        since: opts.since,
        until: opts.until,
        prefix: opts.prefix.clone(),
    }
}

fn same_dir(a: &Path, b: &Path) -> bool {
    let v = |p: &Path| crate::files::datadir::version_dir(p).ok();
    match (v(a), v(b)) {
        (Some(x), Some(y)) => std::fs::canonicalize(&x).ok() == std::fs::canonicalize(&y).ok(),
        _ => a == b,
    }
}

/// What `zkdd purge --retain N --min-age 0` would do. The min-age guard is
/// left out: a report is often made on a fresh copy, where every file is
/// young.
fn purge_plan(dir: &DataDir, opts: &Options) -> Result<PurgePlan, String> {
    let inv = purge::scan(dir, None, opts.limits, |_| {}).map_err(|e| e.to_string())?;
    let popts = PurgeOptions {
        retain: opts.retain,
        min_age: Duration::ZERO,
        ..PurgeOptions::default()
    };
    Ok(purge::plan(&inv, &popts, opts.now))
}

fn name_of(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

fn rows(
    dir: &DataDir,
    spans: &[LogSpan],
    verified: &verify::Report,
    plan: Option<&PurgePlan>,
    txns: &TxnStats,
) -> Vec<FileRow> {
    let recovery = verified.recovery.as_ref();
    let mut worst_by: HashMap<&Path, Severity> = HashMap::new();
    for f in &verified.findings {
        let w = worst_by.entry(f.file.as_path()).or_insert(f.severity);
        *w = (*w).max(f.severity);
    }
    let worst = |p: &Path| worst_by.get(p).copied();
    let actions: HashMap<&Path, Action> = plan
        .map(|pl| {
            pl.files
                .iter()
                .map(|f| (f.path.as_path(), f.action))
                .collect()
        })
        .unwrap_or_default();
    let action = |p: &Path| actions.get(p).copied();
    let replayed: HashSet<&Path> = recovery
        .map(|r| r.logs.iter().map(PathBuf::as_path).collect())
        .unwrap_or_default();
    let mut rows = Vec::with_capacity(spans.len() + dir.snapshots.len());
    for s in spans {
        rows.push(FileRow {
            path: s.path.clone(),
            name: name_of(&s.path),
            log: true,
            zxid: s.name_zxid,
            last: s.last,
            txns: Some(s.txns),
            len: s.len,
            time: s.first_time,
            last_time: s.last_time,
            startup: replayed.contains(s.path.as_path()),
            rejected: None,
            purge: action(&s.path),
            worst: worst(&s.path),
            unreadable: s.unreadable.clone(),
        });
    }
    for s in &dir.snapshots {
        rows.push(FileRow {
            path: s.path.clone(),
            name: name_of(&s.path),
            log: false,
            zxid: s.zxid,
            last: None,
            txns: None,
            len: s.len,
            time: txns.clock.time_of(s.zxid),
            last_time: None,
            startup: recovery.is_some_and(|r| r.snapshot.as_ref() == Some(&s.path)),
            rejected: recovery.and_then(|r| {
                r.rejected_snapshots
                    .iter()
                    .find(|(p, _)| *p == s.path)
                    .map(|(_, why)| why.clone())
            }),
            purge: action(&s.path),
            worst: worst(&s.path),
            unreadable: None,
        });
    }
    rows.sort_by(|a, b| (a.zxid, !a.log, &a.name).cmp(&(b.zxid, !b.log, &b.name)));
    rows
}

/// The mark kind of a verify finding code.
fn kind_of(code: &str, severity: Severity, log: bool) -> Option<MarkKind> {
    Some(match code {
        "log_torn_tail" | "log_partial_record" => MarkKind::CrashTail,
        "log_zxid_gap" => MarkKind::Gap,
        "txns_lost" | "txns_skipped" => MarkKind::Lost,
        _ if severity == Severity::Note => return None,
        c if c.starts_with("snapshot") && severity == Severity::Error => MarkKind::BadSnapshot,
        _ if log && severity == Severity::Error => MarkKind::Damage,
        _ => MarkKind::Warning,
    })
}

/// Verify's findings placed on the zxid axis. A finding without a zxid in a
/// log sits where the log's valid entries end (the zxid after the last one
/// read: what the damage or torn tail cost); in a snapshot, at its zxid.
fn marks(verified: &verify::Report, files: &[FileRow], txns: &TxnStats) -> (Vec<Mark>, usize) {
    let mut marks = Vec::new();
    let mut unplaced = 0;
    let by_path: HashMap<&Path, &FileRow> = files.iter().map(|r| (r.path.as_path(), r)).collect();
    for f in &verified.findings {
        let file = by_path.get(f.file.as_path()).copied();
        let log = file.is_some_and(|r| r.log);
        let Some(kind) = kind_of(f.code, f.severity, log) else {
            continue;
        };
        let zxid = f.zxid.or_else(|| {
            let r = file?;
            Some(match (r.log, r.last) {
                (true, Some(last)) => Zxid(last.0.saturating_add(1)),
                _ => r.zxid,
            })
        });
        let Some(mut zxid) = zxid else {
            unplaced += 1;
            continue;
        };
        // A gap between two logs: the missing range, from the txn after
        // the previous log's last one to the one before this log's first.
        let mut end = None;
        if kind == MarkKind::Gap
            && let Some(r) = file
            && r.log
            && zxid == r.zxid
            && let Some(prev) = files
                .iter()
                .filter(|p| p.log && p.zxid < r.zxid)
                .filter_map(|p| p.last)
                .filter(|&l| l < r.zxid)
                .max()
            && prev.0 + 1 < r.zxid.0
        {
            end = Some(Zxid(r.zxid.0 - 1));
            zxid = Zxid(prev.0 + 1);
        }
        let text = match &f.meaning {
            Some(m) => format!("{}: {} ({m})", f.code, f.message),
            None => format!("{}: {}", f.code, f.message),
        };
        marks.push(Mark {
            kind,
            zxid,
            end,
            time: txns.clock.time_of(zxid),
            code: f.code,
            severity: Some(f.severity),
            file: Some(f.file.clone()),
            offset: f.offset,
            text,
        });
    }
    (marks, unplaced)
}
