//! Choosing and loading the snapshot a replay starts from: the one
//! ZooKeeper's restore would take (FORMAT.md §6.1), or for a point-in-time
//! target the newest one whose content cannot go past it (see the
//! [parent module](super)).
//!
//! See: `FileSnap.java`, `SnapStream.java` (3.8.0).

use std::path::Path;

use super::{Note, Options, SkippedSnapshot, SnapshotUsed, Start};
use crate::error::{Error, ReplayError};
use crate::files::datadir::{DataDir, FileKind, SnapFile, zookeeper_name_zxid};
use crate::files::source;
use crate::format::compress::{Compression, GZIP_MAGIC, SNAPPY_MAGIC};
use crate::format::snapshot::{SLASH_USTRING, Snapshot};
use crate::tree::{DataTree, LoadError};
use crate::zxid::Zxid;

/// How many snapshots ZooKeeper tries at most (`FileSnap.deserialize`).
pub const MAX_SNAPSHOT_CANDIDATES: usize = 100;

/// `isValidSnapshot` (3.6+): name parses; raw files end in the "/" ustring,
/// gz starts with its magic, snappy with snappy-java's.
pub fn looks_valid(path: &Path, compression: Compression) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = crate::files::source::open_file(path) else {
        return false;
    };
    let Ok(len) = f.metadata().map(|m| m.len()) else {
        return false;
    };
    match compression {
        Compression::None => {
            let mut tail = [0u8; 5];
            len >= 10
                && f.seek(SeekFrom::End(-5)).is_ok()
                && f.read_exact(&mut tail).is_ok()
                && tail == SLASH_USTRING
        }
        Compression::Gzip => {
            let mut head = [0u8; 2];
            f.read_exact(&mut head).is_ok() && head == GZIP_MAGIC
        }
        Compression::Snappy => {
            let mut head = [0u8; 8];
            f.read_exact(&mut head).is_ok() && head == SNAPPY_MAGIC
        }
    }
}

/// A snapshot fully read into a tree.
pub(super) struct Loaded {
    pub(super) tree: DataTree,
    pub(super) used: SnapshotUsed,
    /// Largest zxid whose effects the content may hold, if bounded by its digest.
    pub(super) digest_bound: Option<Zxid>,
}

/// Loads one snapshot file on its own (no logs), checked as replay checks
/// it; the zxid and compression come from its name (raw and 0 otherwise).
pub fn load_snapshot_file(path: &Path, opts: &Options) -> Result<DataTree, Error> {
    let (z, c) = snapshot_name_zxid(path).unwrap_or((Zxid(0), Compression::None));
    load_snapshot(path, z, c, opts)
        .map(|l| l.tree)
        .map_err(|why| Error::BadSnapshot {
            path: path.to_path_buf(),
            why,
        })
}

/// Reads, checks and loads one snapshot file (every seal, the digest section).
pub(super) fn load_snapshot(
    path: &Path,
    name_zxid: Zxid,
    compression: Compression,
    opts: &Options,
) -> Result<Loaded, String> {
    let sb = source::open_snapshot(path, compression, opts.no_mmap).map_err(|e| e.to_string())?;
    if let Some(e) = &sb.container_error {
        return Err(format!("{e} (in the compressed file)"));
    }
    // The tree keeps the stream: node data is not copied out of it.
    let stream = std::sync::Arc::new(sb.stream);
    let snap = Snapshot::parse(&stream, opts.limits).map_err(|e| e.to_string())?;
    let (mut tree, report) = DataTree::from_snapshot_in(&snap, &stream).map_err(|e| match e {
        LoadError::Decode(d) => d.to_string(),
        other => other.to_string(),
    })?;
    let trailer = report
        .trailer
        .ok_or_else(|| "node stream did not end".to_string())?;
    trailer.check_seals().map_err(|e| format!("seal {e}"))?;
    if let Some(s) = trailer.seals.iter().find(|s| !s.marker_ok) {
        return Err(format!(
            "seal at offset {:#x} is not followed by the \"/\" marker",
            s.offset
        ));
    }
    tree.set_last_processed_zxid(name_zxid);
    // The loader ignores a digest at zxid ≤ 0 ("empty") or below the name.
    let digest = trailer.digest.as_ref().and_then(|d| {
        (d.zxid.0 > 0 && d.zxid >= name_zxid && d.version == 2)
            .then(|| d.value().map(|v| (d.zxid, v)))
            .flatten()
    });
    let digest_bound = trailer
        .digest
        .as_ref()
        .filter(|d| d.zxid.0 > 0 && d.zxid >= name_zxid)
        .map(|d| Zxid(d.zxid.0.saturating_add(1)));
    Ok(Loaded {
        used: SnapshotUsed {
            path: path.to_path_buf(),
            zxid: name_zxid,
            nodes: report.nodes,
            sessions: tree.sessions().len(),
            digest,
            missing_acl_ids: report.missing_acl_ids,
        },
        tree,
        digest_bound,
    })
}

pub(crate) fn snapshot_name_zxid(path: &Path) -> Option<(Zxid, Compression)> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    match crate::files::datadir::classify(&name) {
        FileKind::Snapshot(z, c) => Some((z, c)),
        _ => {
            let c = if name.ends_with(".gz") {
                Compression::Gzip
            } else if name.ends_with(".snappy") {
                Compression::Snappy
            } else {
                Compression::None
            };
            zookeeper_name_zxid(&name).map(|z| (z, c))
        }
    }
}

/// §6.1 with the point-in-time bound of the module docs.
pub(super) fn choose_snapshot(
    dir: &DataDir,
    target: Option<Zxid>,
    opts: &Options,
    skipped: &mut Vec<SkippedSnapshot>,
) -> Option<Loaded> {
    let snaps: Vec<&SnapFile> = dir.snapshots.iter().rev().collect();
    let mut candidates = 0usize;
    for (i, s) in snaps.iter().enumerate() {
        if let Some(t) = target
            && s.zxid > t
        {
            skipped.push(skip(s, format!("named after the target {t}"), false));
            continue;
        }
        if !looks_valid(&s.path, s.compression) {
            let reason = "fails ZooKeeper's isValidSnapshot check (incomplete file)";
            skipped.push(skip(s, reason.into(), true));
            continue;
        }
        candidates += 1;
        if candidates > MAX_SNAPSHOT_CANDIDATES {
            break;
        }
        let loaded = match load_snapshot(&s.path, s.zxid, s.compression, opts) {
            Ok(l) => l,
            Err(reason) => {
                skipped.push(skip(s, reason, true));
                continue;
            }
        };
        if let Some(t) = target {
            // The next newer snapshot (any file with that name) proves this one was done.
            let next_name = i.checked_sub(1).and_then(|j| snaps.get(j)).map(|n| n.zxid);
            if let Some(reason) = past_target(s.zxid, &loaded, next_name, t) {
                skipped.push(skip(s, reason, false));
                continue;
            }
        }
        return Some(loaded);
    }
    None
}

/// A snapshot passed over.
fn skip(s: &SnapFile, reason: String, damaged: bool) -> SkippedSnapshot {
    SkippedSnapshot {
        path: s.path.clone(),
        zxid: s.zxid,
        reason,
        damaged,
    }
}

/// Why snapshot `name` (`loaded`) cannot start a replay to target `t`: its
/// content may go past `t` (the bounds of the module docs of [`super`]);
/// `None` when it cannot. `next_name` names the next newer snapshot.
fn past_target(name: Zxid, loaded: &Loaded, next_name: Option<Zxid>, t: Zxid) -> Option<String> {
    // snapshot.0 is written by restore itself on an empty data dir,
    // before any txn can run: it is exactly the initial tree.
    let bound = if name.0 == 0 {
        Some(Zxid(0))
    } else {
        loaded
            .digest_bound
            .or_else(|| next_name.map(|n| Zxid(n.0.saturating_add(1))))
    };
    let ok = match bound {
        Some(b) => b <= t,
        None => false,
    };
    if ok {
        return None;
    }
    Some(match bound {
        Some(b) => {
            format!("may hold effects of txns up to {b} (fuzzy snapshot), past the target {t}")
        }
        None => format!(
            "no digest section and no newer snapshot: its content cannot be bounded below the target {t}"
        ),
    })
}

/// The tree the replay starts from and the snapshot it was loaded from
/// (`None`: the initial tree); snapshots passed over go to `skipped`.
pub(super) fn start_tree(
    dir: &DataDir,
    opts: &Options,
    target_zxid: Option<Zxid>,
    skipped: &mut Vec<SkippedSnapshot>,
    notes: &mut Vec<Note>,
) -> Result<(DataTree, Option<SnapshotUsed>), Error> {
    match &opts.start {
        Start::Empty => Ok((initial_tree(dir, opts), None)),
        Start::Snapshot(path) => {
            let l = start_from_file(path, opts, target_zxid, notes)?;
            Ok((l.tree, Some(l.used)))
        }
        Start::Auto => match choose_snapshot(dir, target_zxid, opts, skipped) {
            Some(l) => Ok((l.tree, Some(l.used))),
            // No snapshot (3.4 writes no snapshot.0), or none old enough for
            // the target: ZooKeeper's restore replays the logs onto the
            // initial tree when it finds no snapshot, which is exact when
            // the logs reach back to the first txn.
            None if skipped.iter().all(|s| !s.damaged) && logs_from_first_txn(dir) => {
                notes.push(Note {
                    finding: false,
                    warning: false,
                    message: match target_zxid {
                        Some(t) if !dir.snapshots.is_empty() => format!(
                            "no snapshot can start a replay to {t}: replayed from the initial tree (the logs reach back to the first txn)"
                        ),
                        _ => "no snapshot: replayed from the initial tree (the logs reach back to the first txn)".to_string(),
                    },
                });
                Ok((initial_tree(dir, opts), None))
            }
            None => Err(no_usable_snapshot(dir, skipped)),
        },
    }
}

/// True when the oldest log starts an epoch (`log.<epoch>00000001`).
fn logs_from_first_txn(dir: &DataDir) -> bool {
    dir.logs.first().is_some_and(|l| l.zxid.counter() == 1)
}

/// The tree a replay from empty starts with: the initial tree of
/// `opts.zk_version`; else the one the oldest readable snapshot shows (a 3.4
/// tree has no `/zookeeper/config`); else 3.5+'s.
pub(super) fn initial_tree(dir: &DataDir, opts: &Options) -> DataTree {
    let config_node = match opts.zk_version {
        Some(v) => v.has_config_node(),
        None => oldest_snapshot_has_config(dir, opts).unwrap_or(true),
    };
    DataTree::initial(config_node)
}

/// Whether the oldest snapshot that loads (of the first few) holds
/// `/zookeeper/config`; `None` when none loads.
fn oldest_snapshot_has_config(dir: &DataDir, opts: &Options) -> Option<bool> {
    dir.snapshots
        .iter()
        .filter(|s| looks_valid(&s.path, s.compression))
        .take(3)
        .find_map(|s| load_snapshot(&s.path, s.zxid, s.compression, opts).ok())
        .map(|l| l.tree.get(b"/zookeeper/config").is_some())
}

/// Loads the snapshot the user chose; its name gives the zxid replay
/// starts after. A point-in-time target is checked against it.
fn start_from_file(
    path: &Path,
    opts: &Options,
    target_zxid: Option<Zxid>,
    notes: &mut Vec<Note>,
) -> Result<Loaded, Error> {
    let (z, c) = snapshot_name_zxid(path)
        .ok_or_else(|| Error::Replay(ReplayError::UnnamedSnapshot(path.to_path_buf())))?;
    let l = load_snapshot(path, z, c, opts).map_err(|why| Error::BadSnapshot {
        path: path.to_path_buf(),
        why,
    })?;
    if let Some(t) = target_zxid {
        if z > t {
            return Err(Error::Replay(ReplayError::SnapshotPastTarget {
                path: path.to_path_buf(),
                zxid: z,
                target: t,
            }));
        }
        if l.digest_bound.is_none_or(|b| b > t) {
            notes.push(Note {
                finding: false,
                warning: false,
                message: format!(
                    "{}: this snapshot may hold effects of txns after {t} (fuzzy snapshot); the result may not be exact",
                    path.display()
                ),
            });
        }
    }
    Ok(l)
}

/// Why no snapshot could start the replay, and what to do instead.
fn no_usable_snapshot(dir: &DataDir, skipped: &[SkippedSnapshot]) -> Error {
    Error::Replay(ReplayError::NoUsableSnapshot {
        dir: dir.snap_dir.clone(),
        skipped: if dir.snapshots.is_empty() {
            Vec::new()
        } else {
            skipped
                .iter()
                .map(|s| (s.path.clone(), s.reason.clone()))
                .collect()
        },
    })
}
