//! The names of a data dir's files, read exactly as ZooKeeper reads them.
//!
//! ZooKeeper (`Util.getZxidFromName`) splits a name at its dots, wants
//! `log` or `snapshot` first, and parses the second part with
//! `Long.parseLong(part, 16)`: a sign, then hex digits of either case,
//! within a signed 64-bit long; anything else gives -1 and the file is
//! never read. Whatever follows a second dot is ignored, except that a
//! snapshot's last suffix picks its container (`SnapStream`). So
//! `log.23A` is the log of zxid 0x23a, `log.ffffffffffffffff` is no log at
//! all, and `log.c.fixed` is read as a second log 0xc. Every subcommand
//! sorts files through [`classify`], so all of them see the files
//! ZooKeeper sees, in its order.

use std::path::{Path, PathBuf};

use crate::format::compress::Compression;
use crate::zxid::Zxid;

/// What a file name in `version-2/` is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A txn log: `log.<hex>`, the zxid as ZooKeeper parses it.
    Log(Zxid),
    /// A snapshot: `snapshot.<hex>[.gz|.snappy]`.
    Snapshot(Zxid, Compression),
    /// `acceptedEpoch`.
    AcceptedEpoch,
    /// `currentEpoch`.
    CurrentEpoch,
    /// Left behind by ZooKeeper or its tools, or a renamed copy; ZooKeeper
    /// may still read it ([`zookeeper_name_zxid`]).
    Leftover {
        /// What made it, in a few words.
        what: &'static str,
    },
    /// Anything else.
    Unknown,
}

/// Classifies a file name.
pub fn classify(name: &str) -> FileKind {
    match name {
        "acceptedEpoch" => return FileKind::AcceptedEpoch,
        "currentEpoch" => return FileKind::CurrentEpoch,
        _ => {}
    }
    let parts: Vec<&str> = name.split('.').collect();
    if let Some(z) = zookeeper_name_zxid(name) {
        match parts.as_slice() {
            ["log", _] => return FileKind::Log(z),
            ["snapshot", _] => return FileKind::Snapshot(z, Compression::None),
            ["snapshot", _, "gz"] => return FileKind::Snapshot(z, Compression::Gzip),
            ["snapshot", _, "snappy"] => return FileKind::Snapshot(z, Compression::Snappy),
            _ => {}
        }
    }
    let what = if name.ends_with(".tmp") {
        Some("temporary file left by an interrupted write (AtomicFileOutputStream)")
    } else if name.starts_with("log.") && name.ends_with(".fixed") {
        Some("TxnLogToolkit recovery output (-r)")
    } else if name.starts_with("log.") && name.contains(".chopped") {
        Some("TxnLogToolkit chop output (-c)")
    } else if zookeeper_name_zxid(name).is_some() {
        Some("copy of a ZooKeeper file under another name")
    } else {
        None
    };
    match what {
        Some(what) => FileKind::Leftover { what },
        None => FileKind::Unknown,
    }
}

/// The zxid ZooKeeper's `Util.getZxidFromName` reads from a `log.*` or
/// `snapshot.*` name: the second dot-separated part as a signed hex long,
/// later parts ignored. `None` where ZooKeeper never reads the file: no
/// parse (-1) or a negative zxid (older than every real one).
pub fn zookeeper_name_zxid(name: &str) -> Option<Zxid> {
    let mut parts = name.split('.');
    let prefix = parts.next()?;
    if prefix != "log" && prefix != "snapshot" {
        return None;
    }
    // Rust's parser takes what Long.parseLong takes for ASCII: an optional
    // sign and hex digits of either case, within i64.
    i64::from_str_radix(parts.next()?, 16)
        .ok()
        .filter(|z| *z >= 0)
        .map(Zxid)
}

/// `snapshot.<zxid hex>[.gz|.snappy]`: the name ZooKeeper gives a snapshot.
pub fn snapshot_name(zxid: Zxid, compression: Compression) -> String {
    match compression.suffix() {
        Some(s) => format!("snapshot.{}.{s}", zxid.to_name_hex()),
        None => format!("snapshot.{}", zxid.to_name_hex()),
    }
}

/// A file as ZooKeeper's name parser sees it.
#[derive(Clone, Debug)]
pub struct ZkFile {
    /// The file.
    pub path: PathBuf,
    /// The zxid ZooKeeper reads from its name.
    pub zxid: Zxid,
}

/// The entries of `dir` whose names ZooKeeper reads as `prefix` files
/// (`log` or `snapshot`) with a zxid, by that zxid: every one ZooKeeper
/// would open, regular files or not.
pub fn zookeeper_files(dir: &Path, prefix: &str) -> Vec<ZkFile> {
    let mut v: Vec<ZkFile> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let z = zookeeper_name_zxid(&name)?;
            (name.split('.').next() == Some(prefix)).then(|| ZkFile {
                path: e.path(),
                zxid: z,
            })
        })
        .collect();
    v.sort_by(|a, b| (a.zxid, &a.path).cmp(&(b.zxid, &b.path)));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_zookeeper_reads_them() {
        assert_eq!(classify("log.1"), FileKind::Log(Zxid(1)));
        assert_eq!(classify("log.100000001"), FileKind::Log(Zxid(0x100000001)));
        // Long.parseLong(x, 16): either case, a sign, leading zeros.
        assert_eq!(classify("log.23A"), FileKind::Log(Zxid(0x23a)));
        assert_eq!(classify("log.+1f"), FileKind::Log(Zxid(0x1f)));
        assert_eq!(classify("log.0001"), FileKind::Log(Zxid(1)));
        // Past a signed long, or negative: ZooKeeper never reads it.
        assert_eq!(classify("log.ffffffffffffffff"), FileKind::Unknown);
        assert_eq!(classify("log.-5"), FileKind::Unknown);
        assert_eq!(
            classify("snapshot.4d.snappy"),
            FileKind::Snapshot(Zxid(0x4d), Compression::Snappy)
        );
        assert_eq!(
            classify("snapshot.0"),
            FileKind::Snapshot(Zxid(0), Compression::None)
        );
        assert!(matches!(classify("log.c.fixed"), FileKind::Leftover { .. }));
        assert!(matches!(
            classify("log.c.chopped17"),
            FileKind::Leftover { .. }
        ));
        assert!(matches!(
            classify("snapshot.1a.tmp"),
            FileKind::Leftover { .. }
        ));
        assert!(matches!(classify("log.1.bak"), FileKind::Leftover { .. }));
        assert_eq!(classify("log.bak"), FileKind::Unknown);
        assert!(matches!(
            classify("snapshot.4d.gzip"),
            FileKind::Leftover { .. }
        ));
        assert_eq!(classify("currentEpoch"), FileKind::CurrentEpoch);
    }

    #[test]
    fn zookeeper_parses_names_loosely() {
        assert_eq!(zookeeper_name_zxid("log.c.fixed"), Some(Zxid(0xc)));
        assert_eq!(zookeeper_name_zxid("snapshot.1a.tmp"), Some(Zxid(0x1a)));
        assert_eq!(zookeeper_name_zxid("log.bak"), None);
        assert_eq!(zookeeper_name_zxid("other.1"), None);
        assert_eq!(
            zookeeper_name_zxid("log.7fffffffffffffff"),
            Some(Zxid(i64::MAX))
        );
        assert_eq!(zookeeper_name_zxid("log.8000000000000000"), None);
    }
}
