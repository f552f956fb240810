//! What a data dir holds, for monitoring: files and bytes by kind, and when
//! the newest snapshot was written.

use std::time::SystemTime;

use crate::files::datadir::DataDir;

/// How many files of one kind, and their bytes (apparent size: a txn log
/// counts with its preallocated zeros).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Files {
    /// Number of files.
    pub count: usize,
    /// Their sizes added up.
    pub bytes: u64,
}

/// The logs and snapshots of a data dir.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Inventory {
    /// `log.<zxid>` files.
    pub logs: Files,
    /// `snapshot.<zxid>[.gz|.snappy]` files.
    pub snapshots: Files,
    /// Modification time of the snapshot with the highest zxid, the one
    /// ZooKeeper wrote last (`None`: no snapshot, or no time readable).
    pub newest_snapshot_mtime: Option<SystemTime>,
}

impl Inventory {
    /// Counts what `dir` holds; reads only the newest snapshot's metadata.
    pub fn of(dir: &DataDir) -> Inventory {
        let logs = Files {
            count: dir.logs.len(),
            bytes: dir.logs.iter().map(|l| l.len).sum(),
        };
        let snapshots = Files {
            count: dir.snapshots.len(),
            bytes: dir.snapshots.iter().map(|s| s.len).sum(),
        };
        let newest_snapshot_mtime = dir
            .snapshots
            .iter()
            .max_by_key(|s| s.zxid)
            .and_then(|s| std::fs::metadata(&s.path).ok())
            .and_then(|m| m.modified().ok());
        Inventory {
            logs,
            snapshots,
            newest_snapshot_mtime,
        }
    }
}
