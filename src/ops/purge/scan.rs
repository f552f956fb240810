//! Building an [`Inventory`] from disk: every file of the data dir (and of
//! the server-log dir) with its size and mtime, and every snapshot fully
//! verified. Files are read, never memory-mapped.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::files::datadir::{DataDir, FileKind, classify};
use crate::files::source;
use crate::format::compress::Compression;
use crate::format::jute::Limits;
use crate::format::snapshot::{Snapshot, SnapshotEnd};

use super::{Inventory, InventoryFile, LOCK_FILE, Location, Verdict};

/// Fully verifies a snapshot file: decompresses it, parses every node and
/// checks every seal. Reads the file into memory (never maps it: the server
/// may be writing or removing it).
pub fn verify_snapshot(path: &Path, compression: Compression, limits: Limits) -> Verdict {
    let bytes = match source::open_snapshot(path, compression, true) {
        Ok(b) => b,
        Err(e) => return Verdict::Corrupt(format!("cannot read: {}", crate::error::os_error(&e))),
    };
    if let Some(e) = &bytes.container_error {
        return Verdict::Corrupt(format!(
            "{} stream damaged: {e}",
            compression.suffix().unwrap_or("raw")
        ));
    }
    let snap = match Snapshot::parse(&bytes.stream, limits) {
        Ok(s) => s,
        Err(e) => return Verdict::Corrupt(e.to_string()),
    };
    let mut nodes = snap.nodes();
    for _ in nodes.by_ref() {}
    match nodes.into_end() {
        Some(SnapshotEnd::Complete(trailer)) => {
            if let Err(e) = trailer.check_seals() {
                return Verdict::Corrupt(e.to_string());
            }
            if let Some(s) = trailer.seals.iter().find(|s| !s.marker_ok) {
                return Verdict::Corrupt(format!(
                    "seal at offset {:#x} is not followed by the \"/\" marker",
                    s.offset
                ));
            }
            Verdict::Valid
        }
        Some(SnapshotEnd::Corrupt(e)) => Verdict::Corrupt(e.to_string()),
        None => Verdict::Corrupt("node stream did not end".into()),
    }
}

/// True for a `zookeeper*.log*` server log name.
pub fn is_server_log(name: &str) -> bool {
    name.starts_with("zookeeper") && name.contains(".log")
}

/// Builds the inventory of an opened data dir: stats every file and fully
/// verifies every snapshot (`on_snapshot` is called with each snapshot's
/// size before it is read, for progress).
pub fn scan(
    dir: &DataDir,
    server_logs: Option<&Path>,
    limits: Limits,
    mut on_snapshot: impl FnMut(u64),
) -> io::Result<Inventory> {
    let same = dir.snap_dir == dir.log_dir
        || matches!(
            (fs::canonicalize(&dir.snap_dir), fs::canonicalize(&dir.log_dir)),
            (Ok(a), Ok(b)) if a == b
        );
    let mut inv = Inventory {
        snap_dir: dir.snap_dir.clone(),
        log_dir: dir.log_dir.clone(),
        files: Vec::new(),
    };
    let location_of = |path: &Path| {
        if same {
            Location::Both
        } else if path.parent() == Some(dir.log_dir.as_path()) {
            Location::LogDir
        } else {
            Location::SnapDir
        }
    };
    let mut push = |path: &Path, location: Location, verdict: Option<Verdict>| {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name == LOCK_FILE {
            return;
        }
        // A file that vanished since the listing is simply not planned.
        let Ok(meta) = fs::symlink_metadata(path) else {
            return;
        };
        if !meta.is_file() {
            return;
        }
        inv.files.push(InventoryFile {
            path: path.to_path_buf(),
            name,
            location,
            len: meta.len(),
            mtime: meta.modified().ok(),
            verdict,
        });
    };
    for s in &dir.snapshots {
        on_snapshot(s.len);
        let v = verify_snapshot(&s.path, s.compression, limits);
        push(&s.path, location_of(&s.path), Some(v));
    }
    for l in &dir.logs {
        push(&l.path, location_of(&l.path), None);
    }
    for p in &dir.misplaced {
        let verdict = match classify(&p.file_name().unwrap_or_default().to_string_lossy()) {
            FileKind::Snapshot(_, c) => Some(verify_snapshot(p, c, limits)),
            _ => None,
        };
        push(p, location_of(p), verdict);
    }
    for o in &dir.others {
        push(&o.path, location_of(&o.path), None);
    }
    if let Some(sdir) = server_logs {
        let mut entries: Vec<PathBuf> = fs::read_dir(sdir)?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| is_server_log(&n.to_string_lossy()))
            })
            .collect();
        entries.sort();
        for p in entries {
            push(&p, Location::ServerLogs, None);
        }
    }
    Ok(inv)
}
