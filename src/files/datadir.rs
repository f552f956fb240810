//! Finding the files of a ZooKeeper data directory: `version-2/` under
//! `dataDir` (snapshots) and `dataLogDir` (logs), the names ZooKeeper gives
//! them, and `zoo.cfg`.
//!
//! Names are matched strictly (`log.<hex>`, `snapshot.<hex>[.gz|.snappy]`);
//! anything else is listed, classified, and never taken for a real file.
//! [`zookeeper_name_zxid`] says how ZooKeeper itself would misparse it.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::format::compress::Compression;
use crate::zxid::Zxid;

/// The directory ZooKeeper adds under dataDir and dataLogDir.
pub const VERSION_DIR: &str = "version-2";

/// What a file name in `version-2/` is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// `log.<hex>`.
    Log(Zxid),
    /// `snapshot.<hex>[.gz|.snappy]`.
    Snapshot(Zxid, Compression),
    /// `acceptedEpoch`.
    AcceptedEpoch,
    /// `currentEpoch`.
    CurrentEpoch,
    /// Left behind by ZooKeeper or its tools; `zookeeper_zxid` is the zxid
    /// ZooKeeper's own name parser would read from it (it ignores suffixes).
    Leftover {
        /// What made it, in a few words.
        what: &'static str,
    },
    /// Anything else.
    Unknown,
}

/// Classifies a file name.
pub fn classify(name: &str) -> FileKind {
    if let Some(hex) = name.strip_prefix("log.")
        && let Some(z) = strict_hex(hex)
    {
        return FileKind::Log(z);
    }
    if let Some(rest) = name.strip_prefix("snapshot.") {
        let compression = Compression::from_name(rest);
        let hex = compression
            .suffix()
            .and_then(|s| rest.strip_suffix(s)?.strip_suffix('.'))
            .unwrap_or(rest);
        if let Some(z) = strict_hex(hex) {
            return FileKind::Snapshot(z, compression);
        }
    }
    match name {
        "acceptedEpoch" => return FileKind::AcceptedEpoch,
        "currentEpoch" => return FileKind::CurrentEpoch,
        _ => {}
    }
    let what = if name.ends_with(".tmp") {
        Some("temporary file left by an interrupted write (AtomicFileOutputStream)")
    } else if name.starts_with("log.") && name.ends_with(".fixed") {
        Some("TxnLogToolkit recovery output (-r)")
    } else if name.starts_with("log.") && name.contains(".chopped") {
        Some("TxnLogToolkit chop output (-c)")
    } else if (name.starts_with("log.") || name.starts_with("snapshot."))
        && zookeeper_name_zxid(name).is_some()
    {
        Some("copy of a ZooKeeper file under another name")
    } else {
        None
    };
    match what {
        Some(what) => FileKind::Leftover { what },
        None => FileKind::Unknown,
    }
}

/// `^[0-9a-f]{1,16}$` as a zxid.
fn strict_hex(s: &str) -> Option<Zxid> {
    if s.is_empty()
        || s.len() > 16
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    u64::from_str_radix(s, 16).ok().map(|v| Zxid(v as i64))
}

/// The zxid ZooKeeper's `Util.getZxidFromName` reads from a `log.*` or
/// `snapshot.*` name: the second dot-separated part as signed hex, suffixes
/// ignored. `None` where ZooKeeper gets -1.
pub fn zookeeper_name_zxid(name: &str) -> Option<Zxid> {
    let mut parts = name.split('.');
    let prefix = parts.next()?;
    if prefix != "log" && prefix != "snapshot" {
        return None;
    }
    let hex = parts.next()?;
    i64::from_str_radix(hex, 16)
        .ok()
        .filter(|_| !hex.starts_with('+'))
        .map(Zxid)
}

/// A file as ZooKeeper's name parser sees it.
#[derive(Clone, Debug)]
pub struct ZkFile {
    /// The file.
    pub path: PathBuf,
    /// The zxid ZooKeeper reads from its name.
    pub zxid: Zxid,
}

/// The files of `dir` whose names ZooKeeper reads as `prefix` files (`log`
/// or `snapshot`) with a zxid, by that zxid.
pub fn zookeeper_files(dir: &Path, prefix: &str) -> Vec<ZkFile> {
    let mut v: Vec<ZkFile> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let z = zookeeper_name_zxid(&name)?;
            (name.split('.').next() == Some(prefix) && z.0 >= 0).then(|| ZkFile {
                path: e.path(),
                zxid: z,
            })
        })
        .collect();
    v.sort_by(|a, b| (a.zxid, &a.path).cmp(&(b.zxid, &b.path)));
    v
}

/// A txn-log file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogFile {
    /// Full path.
    pub path: PathBuf,
    /// Zxid from the name: the first txn the file should hold.
    pub zxid: Zxid,
    /// Size in bytes.
    pub len: u64,
}

/// A snapshot file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapFile {
    /// Full path.
    pub path: PathBuf,
    /// Zxid from the name.
    pub zxid: Zxid,
    /// Container, from the suffix.
    pub compression: Compression,
    /// Size in bytes.
    pub len: u64,
}

/// Any other file found in a `version-2/` directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtherFile {
    /// Full path.
    pub path: PathBuf,
    /// Its classification.
    pub kind: FileKind,
    /// Size in bytes.
    pub len: u64,
}

/// The files of one data directory, sorted by zxid.
#[derive(Clone, Debug, Default)]
pub struct DataDir {
    /// `dataDir/version-2` (snapshots, epoch files).
    pub snap_dir: PathBuf,
    /// `dataLogDir/version-2` (logs); often the same directory.
    pub log_dir: PathBuf,
    /// Snapshots by zxid, oldest first (found in `snap_dir`).
    pub snapshots: Vec<SnapFile>,
    /// Logs by zxid, oldest first (found in `log_dir`).
    pub logs: Vec<LogFile>,
    /// Logs found in `snap_dir` or snapshots in `log_dir` when the two differ.
    pub misplaced: Vec<PathBuf>,
    /// Everything else in either directory.
    pub others: Vec<OtherFile>,
}

impl DataDir {
    /// Opens a data dir given as the dataDir, its `version-2/`, with an
    /// optional separate dataLogDir (or its `version-2/`).
    pub fn open(data_dir: &Path, log_dir: Option<&Path>) -> Result<DataDir, Error> {
        let snap_dir = version_dir(data_dir)?;
        let log_dir = match log_dir {
            Some(l) => version_dir(l)?,
            None => snap_dir.clone(),
        };
        let mut dir = DataDir {
            snap_dir: snap_dir.clone(),
            log_dir: log_dir.clone(),
            ..DataDir::default()
        };
        let same = same_dir(&snap_dir, &log_dir);
        dir.scan(&snap_dir, true, same)?;
        if !same {
            dir.scan(&log_dir, false, true)?;
        }
        dir.snapshots
            .sort_by(|a, b| (a.zxid, &a.path).cmp(&(b.zxid, &b.path)));
        dir.logs
            .sort_by(|a, b| (a.zxid, &a.path).cmp(&(b.zxid, &b.path)));
        dir.others.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(dir)
    }

    /// Opens the dirs named by a zoo.cfg.
    pub fn from_config(cfg: &ZooConfig) -> Result<DataDir, Error> {
        DataDir::open(&cfg.data_dir, cfg.data_log_dir.as_deref())
    }

    fn scan(&mut self, dir: &Path, snapshots_here: bool, logs_here: bool) -> Result<(), Error> {
        let walker = walkdir::WalkDir::new(dir)
            .min_depth(1)
            .max_depth(1)
            .sort_by_file_name();
        for entry in walker {
            let entry = entry.map_err(|e| {
                let path = e.path().unwrap_or(dir).to_path_buf();
                Error::io(
                    path,
                    e.into_io_error()
                        .unwrap_or_else(|| std::io::Error::other("walk error")),
                )
            })?;
            if !entry.file_type().is_file() {
                continue;
            }
            let path = entry.path().to_path_buf();
            let len = entry.metadata().map(|m| m.len()).unwrap_or(0);
            let name = entry.file_name().to_string_lossy().into_owned();
            match classify(&name) {
                FileKind::Log(zxid) if logs_here => self.logs.push(LogFile { path, zxid, len }),
                FileKind::Snapshot(zxid, compression) if snapshots_here => {
                    self.snapshots.push(SnapFile {
                        path,
                        zxid,
                        compression,
                        len,
                    })
                }
                FileKind::Log(_) | FileKind::Snapshot(..) => self.misplaced.push(path),
                kind => self.others.push(OtherFile { path, kind, len }),
            }
        }
        Ok(())
    }

    /// Reads `acceptedEpoch` or `currentEpoch` (ASCII decimal, no newline).
    pub fn read_epoch(&self, name: &str) -> Option<Result<i64, String>> {
        let path = self.snap_dir.join(name);
        let text = fs::read_to_string(&path).ok()?;
        Some(
            text.parse::<i64>()
                .map_err(|_| format!("{}: not a decimal number: {text:?}", path.display())),
        )
    }
}

/// `snapshot.<zxid hex>[.gz|.snappy]`: the name ZooKeeper gives a snapshot.
pub fn snapshot_name(zxid: Zxid, compression: Compression) -> String {
    match compression.suffix() {
        Some(s) => format!("snapshot.{}.{s}", zxid.to_name_hex()),
        None => format!("snapshot.{}", zxid.to_name_hex()),
    }
}

impl DataDir {
    /// The source directory (`version-2/`) that an output at `p` would land
    /// in or next to: inside it, in the dataDir holding it, or `p` being a
    /// data dir whose `version-2/` it is. `None` when `p` is elsewhere.
    pub fn holding(&self, p: &Path) -> Option<PathBuf> {
        let parent = if p.is_dir() {
            p.to_path_buf()
        } else {
            match p.parent() {
                Some(x) if !x.as_os_str().is_empty() => x.to_path_buf(),
                _ => PathBuf::from("."),
            }
        };
        // A missing dir fails at write time with its own error.
        let parent = fs::canonicalize(&parent).ok()?;
        [&self.snap_dir, &self.log_dir].into_iter().find_map(|src| {
            let src = fs::canonicalize(src).ok()?;
            let data_dir = src.parent().map(Path::to_path_buf);
            let inside = parent.starts_with(&src)
                || data_dir.as_ref().is_some_and(|d| &parent == d)
                || (p.is_dir() && fs::canonicalize(p.join(VERSION_DIR)).is_ok_and(|v| v == src));
            inside.then_some(src)
        })
    }
}

/// Resolves a data dir or its `version-2/` to the `version-2/` directory.
pub fn version_dir(dir: &Path) -> Result<PathBuf, Error> {
    let meta = fs::metadata(dir).map_err(|e| Error::io(dir, e))?;
    if !meta.is_dir() {
        return Err(Error::Usage(format!("{}: not a directory", dir.display())));
    }
    let inner = dir.join(VERSION_DIR);
    if inner.is_dir() {
        return Ok(inner);
    }
    if dir.file_name().is_some_and(|n| n == VERSION_DIR) || looks_like_version_dir(dir) {
        return Ok(dir.to_path_buf());
    }
    Err(Error::Usage(format!(
        "{}: not a ZooKeeper data directory (no {VERSION_DIR}/ inside, and no log.* or snapshot.* files)",
        dir.display()
    )))
}

fn looks_like_version_dir(dir: &Path) -> bool {
    fs::read_dir(dir).into_iter().flatten().flatten().any(|e| {
        matches!(
            classify(&e.file_name().to_string_lossy()),
            FileKind::Log(_) | FileKind::Snapshot(..)
        )
    })
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// The parts of a zoo.cfg that locate data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZooConfig {
    /// The file read.
    pub path: PathBuf,
    /// `dataDir`.
    pub data_dir: PathBuf,
    /// `dataLogDir`, when set.
    pub data_log_dir: Option<PathBuf>,
    /// `autopurge.snapRetainCount`, when set.
    pub snap_retain_count: Option<u32>,
}

impl ZooConfig {
    /// Reads a zoo.cfg (Java properties; values trimmed as QuorumPeerConfig does).
    pub fn read(path: &Path) -> Result<ZooConfig, Error> {
        let text = fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let mut data_dir = None;
        let mut data_log_dir = None;
        let mut snap_retain_count = None;
        for line in text.lines() {
            let line = line.trim_start();
            if line.starts_with('#') || line.starts_with('!') {
                continue;
            }
            let Some((key, value)) = line.split_once(['=', ':']) else {
                continue;
            };
            let value = value.trim();
            match key.trim() {
                "dataDir" => data_dir = Some(PathBuf::from(value)),
                "dataLogDir" => data_log_dir = Some(PathBuf::from(value)),
                "autopurge.snapRetainCount" => snap_retain_count = value.parse().ok(),
                _ => {}
            }
        }
        let data_dir = data_dir
            .ok_or_else(|| Error::Usage(format!("{}: no dataDir setting", path.display())))?;
        // Relative paths are relative to the server's working directory; the
        // config's own directory is the most useful guess for an operator.
        let base = path.parent().unwrap_or(Path::new("."));
        let fix = |p: PathBuf| if p.is_relative() { base.join(p) } else { p };
        Ok(ZooConfig {
            path: path.to_path_buf(),
            data_dir: fix(data_dir),
            data_log_dir: data_log_dir.map(fix),
            snap_retain_count,
        })
    }

    /// Looks for a zoo.cfg where ZooKeeper's scripts do: `$ZOOCFGDIR`, then
    /// the Debian and tarball locations.
    pub fn discover() -> Option<PathBuf> {
        let mut candidates = Vec::new();
        if let Some(dir) = std::env::var_os("ZOOCFGDIR") {
            candidates.push(PathBuf::from(dir).join("zoo.cfg"));
        }
        candidates.push(PathBuf::from("/etc/zookeeper/conf/zoo.cfg"));
        candidates.push(PathBuf::from("/opt/zookeeper/conf/zoo.cfg"));
        candidates.into_iter().find(|p| p.is_file())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_names() {
        assert_eq!(classify("log.1"), FileKind::Log(Zxid(1)));
        assert_eq!(classify("log.100000001"), FileKind::Log(Zxid(0x100000001)));
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
        assert!(matches!(classify("log.1A"), FileKind::Leftover { .. }));
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
    }
}
