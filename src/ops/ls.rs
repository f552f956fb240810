//! `zkdd ls`: one row per file of a data dir, like `etcdutl snapshot
//! status`: what each log and snapshot holds, how it ends and what
//! ZooKeeper's startup does with it.
//!
//! Nothing is judged here: the per-file facts (txns or nodes read, the zxid
//! range, how the file ends by [`crate::format::verdict`]) and the startup
//! prediction (the snapshot loaded, the logs replayed, the snapshots
//! rejected) are [`crate::ops::verify`]'s, so `ls` and `verify` always say
//! the same. This module only lays them out per file, with the epoch files
//! and `myid` beside them.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::files::datadir::{DataDir, FileKind};
use crate::ops::verify::{self, FileEnd, FileFacts, Outcome, Progress};
use crate::zxid::Zxid;

/// What a row is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `log.<zxid>`.
    Log,
    /// `snapshot.<zxid>[.gz|.snappy]`.
    Snapshot,
    /// `acceptedEpoch` or `currentEpoch`.
    Epoch,
    /// `myid` (in the dataDir).
    Myid,
    /// Anything else in `version-2/`: leftovers, unknown names, entries
    /// that are not regular files, files in the wrong directory.
    Other,
}

impl Kind {
    /// Lowercase name used in JSON and text.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Log => "log",
            Kind::Snapshot => "snapshot",
            Kind::Epoch => "epoch",
            Kind::Myid => "myid",
            Kind::Other => "other",
        }
    }
}

/// What ZooKeeper's startup does with a file (verify's prediction).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Startup {
    /// The snapshot it loads.
    Loads,
    /// A snapshot it tries and rejects, with why.
    Rejected(String),
    /// A log it replays.
    Replays,
    /// Not read at this start (older than the snapshot loaded, or past
    /// where the restore stops).
    NotRead,
}

/// One file.
#[derive(Clone, Debug)]
pub struct Row {
    /// The file.
    pub path: PathBuf,
    /// Its name.
    pub name: String,
    /// What it is.
    pub kind: Kind,
    /// The zxid its name says (logs, snapshots).
    pub name_zxid: Option<Zxid>,
    /// Logs: the first and last zxid read.
    pub zxids: Option<(Zxid, Zxid)>,
    /// Logs: txns read.
    pub txns: Option<u64>,
    /// Snapshots: nodes read.
    pub nodes: Option<u64>,
    /// Size in bytes.
    pub size: u64,
    /// How it ends (logs, snapshots; other files only when verify finds
    /// them in error).
    pub end: Option<FileEnd>,
    /// Logs: the snapshot whose state their txns continue (the one startup
    /// loads for the logs it replays; otherwise the newest snapshot older
    /// than the log's last txn).
    pub follows: Option<String>,
    /// Logs and snapshots: what startup does with it.
    pub startup: Option<Startup>,
    /// Epoch files and myid: what they hold (the first line).
    pub value: Option<String>,
}

/// A data dir's files.
#[derive(Clone, Debug)]
pub struct Listing {
    /// `dataDir/version-2`.
    pub snap_dir: PathBuf,
    /// `dataLogDir/version-2`.
    pub log_dir: PathBuf,
    /// Logs by zxid, then snapshots by zxid, then the epoch files, myid and
    /// the rest by name.
    pub rows: Vec<Row>,
    /// What startup does: the zxid it starts at, or why it fails.
    pub outcome: Option<Outcome>,
    /// The snapshot startup loads.
    pub loads: Option<String>,
}

impl Listing {
    /// Rows whose end is damage.
    pub fn damaged(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| matches!(r.end, Some(FileEnd::Damaged { .. })))
            .count()
    }

    /// Rows ending in a crash tail.
    pub fn crash_tails(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| matches!(r.end, Some(FileEnd::CrashTail { .. })))
            .count()
    }
}

/// Lists `dir`: verify reads every log and snapshot (no digest replay) on
/// `opts.threads` threads, and its facts and startup prediction become rows.
pub fn list(dir: &DataDir, opts: &verify::Options, progress: Progress<'_>) -> Listing {
    let opts = verify::Options {
        digests: false,
        ..*opts
    };
    let report = verify::verify_dir(dir, &opts, progress);
    let recovery = report.recovery.as_ref();
    let facts_of = |p: &Path| report.facts.iter().find(|f| f.path == p);
    // An error verify found in a file that is not a log or snapshot.
    let error_of = |p: &Path| {
        report
            .findings
            .iter()
            .find(|f| f.file == p && f.severity == verify::Severity::Error)
            .map(|f| FileEnd::Damaged {
                code: f.code,
                offset: f.offset,
            })
    };
    let snapshots: Vec<(Zxid, String)> = dir
        .snapshots
        .iter()
        .map(|s| (s.zxid, name_of(&s.path)))
        .collect();
    let mut rows = Vec::new();
    for l in &dir.logs {
        let f = facts_of(&l.path);
        let zxids = f.and_then(|f| f.zxids);
        let replayed = recovery.is_some_and(|r| r.logs.contains(&l.path));
        let follows = match recovery.and_then(|r| r.snapshot.as_ref()) {
            Some(s) if replayed => Some(name_of(s)),
            _ => zxids.and_then(|(_, last)| {
                snapshots
                    .iter()
                    .filter(|(z, _)| *z < last)
                    .max_by_key(|(z, _)| *z)
                    .map(|(_, n)| n.clone())
            }),
        };
        rows.push(Row {
            path: l.path.clone(),
            name: name_of(&l.path),
            kind: Kind::Log,
            name_zxid: Some(l.zxid),
            zxids,
            txns: Some(f.map_or(0, |f| f.count)),
            nodes: None,
            size: l.len,
            end: f.map(|f| f.end.clone()).or_else(|| error_of(&l.path)),
            follows,
            startup: recovery.map(|_| {
                if replayed {
                    Startup::Replays
                } else {
                    Startup::NotRead
                }
            }),
            value: None,
        });
    }
    for s in &dir.snapshots {
        let f: Option<&FileFacts> = facts_of(&s.path);
        let startup = recovery.map(|r| {
            if r.snapshot.as_ref() == Some(&s.path) {
                Startup::Loads
            } else if let Some((_, why)) = r.rejected_snapshots.iter().find(|(p, _)| *p == s.path) {
                Startup::Rejected(why.clone())
            } else {
                Startup::NotRead
            }
        });
        rows.push(Row {
            path: s.path.clone(),
            name: name_of(&s.path),
            kind: Kind::Snapshot,
            name_zxid: Some(s.zxid),
            zxids: None,
            txns: None,
            nodes: f.map(|f| f.count),
            size: s.len,
            end: f.map(|f| f.end.clone()).or_else(|| error_of(&s.path)),
            follows: None,
            startup,
            value: None,
        });
    }
    let mut rest = Vec::new();
    for o in &dir.others {
        let (kind, value) = match o.kind {
            FileKind::AcceptedEpoch | FileKind::CurrentEpoch => {
                let v = match dir.read_epoch(&name_of(&o.path)) {
                    Some(Ok(n)) => Some(n.to_string()),
                    _ => None,
                };
                (Kind::Epoch, v)
            }
            _ => (Kind::Other, None),
        };
        rest.push(other_row(&o.path, kind, o.len, value, error_of(&o.path)));
    }
    for i in &dir.irregular {
        rest.push(other_row(&i.path, Kind::Other, 0, None, error_of(&i.path)));
    }
    for m in &dir.misplaced {
        let len = std::fs::metadata(m).map_or(0, |m| m.len());
        rest.push(other_row(m, Kind::Other, len, None, error_of(m)));
    }
    if let Some((path, len, value)) = myid(dir) {
        rest.push(other_row(&path, Kind::Myid, len, value, None));
    }
    rest.sort_by(|a, b| (a.kind != Kind::Epoch, &a.name).cmp(&(b.kind != Kind::Epoch, &b.name)));
    rows.extend(rest);
    Listing {
        snap_dir: dir.snap_dir.clone(),
        log_dir: dir.log_dir.clone(),
        rows,
        outcome: recovery.map(|r| r.outcome.clone()),
        loads: recovery.and_then(|r| r.snapshot.as_deref()).map(name_of),
    }
}

fn other_row(
    path: &Path,
    kind: Kind,
    size: u64,
    value: Option<String>,
    end: Option<FileEnd>,
) -> Row {
    Row {
        path: path.to_path_buf(),
        name: name_of(path),
        kind,
        name_zxid: None,
        zxids: None,
        txns: None,
        nodes: None,
        size,
        end,
        follows: None,
        startup: None,
        value,
    }
}

/// The dataDir's `myid`: path, size and its first line (read bounded).
fn myid(dir: &DataDir) -> Option<(PathBuf, u64, Option<String>)> {
    let path = dir.snap_dir.parent()?.join("myid");
    let f = crate::files::source::open_file(&path).ok()?;
    let len = f.metadata().map_or(0, |m| m.len());
    let mut v = Vec::new();
    f.take(64).read_to_end(&mut v).ok()?;
    let text = String::from_utf8_lossy(&v);
    let line = text.split(['\n', '\r']).next().unwrap_or("").trim();
    Some((path, len, Some(line.to_string())))
}

fn name_of(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}
