//! Which ZooKeeper versions could have written a data dir, from what only
//! some versions write (checked on the `testdata/zk-*` fixtures): txn
//! digests, closeSession bodies, the snapshot digest section and
//! compressed snapshots (3.6+), 3.9's lastProcessedZxid section (3.9+),
//! create2 / container / TTL txns and `/zookeeper/config` (3.5+); a
//! snapshot without `/zookeeper/config` was written by 3.4. And where the
//! versions that fit would start differently from 3.8 (the prediction's
//! model): an empty newest log (3.9.3+ deletes it and starts), logs and no
//! snapshot (3.4 replays them onto the empty tree).

use std::collections::HashMap;
use std::path::PathBuf;

use super::log::LogScan;
use super::predict::predict;
use super::snapshot::SnapScan;
use super::{Outcome, Recovery, name_of};
use crate::files::datadir::{DataDir, ZkFile};
use crate::format::version::ZkVersion;

/// What the files tell about the versions that wrote them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Writers {
    /// The oldest version that writes what the files hold (`None`: any).
    pub from: Option<ZkVersion>,
    /// The newest (`None`: no upper bound).
    pub to: Option<ZkVersion>,
    /// One line per kind of evidence, naming the first file showing it.
    pub evidence: Vec<String>,
}

impl Writers {
    /// `3.6 or later`, `3.4`, `3.5–3.8`, `any version`.
    pub fn range(&self) -> String {
        match (self.from, self.to) {
            (None, None) => "any version".into(),
            (Some(a), None) => format!("{a} or later"),
            (None, Some(b)) if b == ZkVersion::V3_4 => "3.4".into(),
            (None, Some(b)) => format!("3.4–{b}"),
            (Some(a), Some(b)) if a == b => a.to_string(),
            (Some(a), Some(b)) => format!("{a}–{b}"),
        }
    }

    /// True when `v` fits the files.
    pub fn admits(&self, v: ZkVersion) -> bool {
        self.from.is_none_or(|a| v >= a) && self.to.is_none_or(|b| v <= b)
    }
}

/// A feature of a file and the first version that writes it.
pub(super) type Feature = (ZkVersion, &'static str);

/// Adds `f` to `list` once.
pub(super) fn note(list: &mut Vec<Feature>, f: Feature) {
    if !list.iter().any(|g| g.1 == f.1) {
        list.push(f);
    }
}

/// Combines the features of every file; the upper bound comes from the
/// newest snapshot only (an upgraded dir keeps older files).
pub(super) fn writers(
    dir: &DataDir,
    logs: &[LogScan],
    snaps: &HashMap<PathBuf, SnapScan>,
) -> Writers {
    let mut w = Writers::default();
    let mut seen: Vec<&'static str> = Vec::new();
    let mut add = |w: &mut Writers, file: &std::path::Path, (v, what): Feature| {
        w.from = Some(w.from.map_or(v, |a| a.max(v)));
        if !seen.contains(&what) {
            seen.push(what);
            w.evidence.push(format!("{}: {what} ({v}+)", name_of(file)));
        }
    };
    for s in dir.snapshots.iter() {
        if let Some(scan) = snaps.get(&s.path) {
            for f in &scan.features {
                add(&mut w, &s.path, *f);
            }
        }
    }
    for l in logs {
        for f in &l.features {
            add(&mut w, &l.path, *f);
        }
    }
    let newest = dir.snapshots.iter().rev().find_map(|s| {
        snaps
            .get(&s.path)
            .and_then(|x| x.config_node)
            .map(|c| (s, c))
    });
    if let Some((s, false)) = newest
        && w.from.is_none_or(|a| a <= ZkVersion::V3_4)
    {
        w.to = Some(ZkVersion::V3_4);
        w.evidence.push(format!(
            "{}: no /zookeeper/config (3.4 only)",
            name_of(&s.path)
        ));
    }
    w.evidence.sort();
    w
}

/// Where a version the files admit would start differently from the
/// prediction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionOutcome {
    /// The versions concerned (`3.9.3+`, `3.4`).
    pub versions: String,
    /// What they would do.
    pub outcome: Outcome,
    /// One plain sentence.
    pub sentence: String,
}

/// The outcomes of the versions `w` admits that differ from `r`.
pub(super) fn version_outcomes(
    w: &Writers,
    r: &Recovery,
    dir: &DataDir,
    zk_logs: &[ZkFile],
    zk_snaps: &[ZkFile],
    logs: &[LogScan],
    snaps: &HashMap<PathBuf, SnapScan>,
) -> Vec<VersionOutcome> {
    let mut out = Vec::new();
    let Outcome::Fail(_) = &r.outcome else {
        return out;
    };
    // ZOOKEEPER-2332 (3.9.3): FileTxnIterator deletes the newest log of the
    // chain when it is empty (0 bytes) and goes on without it.
    if w.admits(ZkVersion::V3_9)
        && let Some(last) = r.logs.last()
        && zk_logs.last().is_some_and(|f| &f.path == last)
        && std::fs::metadata(last).is_ok_and(|m| m.is_file() && m.len() == 0)
    {
        let rest: Vec<ZkFile> = zk_logs
            .iter()
            .filter(|f| &f.path != last)
            .cloned()
            .collect();
        let alt = predict(dir, &rest, zk_snaps, logs, snaps);
        let sentence = match &alt.outcome {
            Outcome::Start(_) => format!(
                "ZooKeeper 3.9.3 and later delete the empty {} and {}",
                name_of(last),
                alt.sentence.trim_start_matches("ZooKeeper 3.x would ")
            ),
            Outcome::Fail(_) => format!(
                "ZooKeeper 3.9.3 and later delete the empty {}, then: {}",
                name_of(last),
                alt.sentence
            ),
        };
        out.push(VersionOutcome {
            versions: "3.9.3+".into(),
            outcome: alt.outcome,
            sentence,
        });
    }
    // 3.4's restore replays the logs onto the empty tree when there is no
    // snapshot (3.5+ refuse: "No snapshot found, but there are log entries").
    if w.admits(ZkVersion::V3_4)
        && r.snapshot.is_none()
        && zk_snaps.is_empty()
        && !zk_logs.is_empty()
    {
        let empty = PathBuf::from("(the empty tree)");
        let fake = ZkFile {
            path: empty.clone(),
            zxid: crate::zxid::Zxid(0),
        };
        let mut with_empty = snaps.clone();
        with_empty.insert(empty, SnapScan::loads());
        let alt = predict(dir, zk_logs, &[fake], logs, &with_empty);
        if let Outcome::Start(z) = alt.outcome {
            let lost = if alt.dropped_txns > 0 {
                format!(", silently losing {} txns", alt.dropped_txns)
            } else {
                String::new()
            };
            out.push(VersionOutcome {
                versions: "3.4".into(),
                outcome: alt.outcome,
                sentence: format!(
                    "ZooKeeper 3.4 would start at zxid {z}, replaying {} log file{} onto the empty tree{lost}",
                    alt.logs.len(),
                    if alt.logs.len() == 1 { "" } else { "s" }
                ),
            });
        }
    }
    out
}
