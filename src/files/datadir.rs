//! Finding the files of a ZooKeeper data directory: `version-2/` under
//! `dataDir` (snapshots) and `dataLogDir` (logs), sorted by the names
//! ZooKeeper gives them ([`crate::files::names`]), and `zoo.cfg`.
//!
//! Entries are followed through symbolic links, as ZooKeeper opens them.
//! Anything named like a log or snapshot that is not a regular file (a
//! directory, a FIFO, a broken or looping link) is kept apart
//! ([`DataDir::irregular`]): ZooKeeper fails or hangs on it.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, os_error};
use crate::format::compress::Compression;
use crate::zxid::Zxid;

pub use crate::files::names::{
    FileKind, ZkFile, classify, snapshot_name, zookeeper_files, zookeeper_name_zxid,
};
pub use crate::files::source::irregular_kind;

/// The directory ZooKeeper adds under dataDir and dataLogDir.
pub const VERSION_DIR: &str = "version-2";

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

/// An entry named like a file ZooKeeper reads that is not a regular file:
/// ZooKeeper's restore fails on it (a directory, a link loop) or hangs (a
/// FIFO).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Irregular {
    /// Full path.
    pub path: PathBuf,
    /// What it is, in a few words ("a directory", "a FIFO", ...).
    pub what: String,
    /// How its name reads.
    pub kind: FileKind,
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
    /// Entries named like ZooKeeper's files that are not regular files.
    pub irregular: Vec<Irregular>,
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
        dir.irregular.sort_by(|a, b| a.path.cmp(&b.path));
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
            let path = entry.path().to_path_buf();
            let name = entry.file_name().to_string_lossy().into_owned();
            let kind = classify(&name);
            if let Some(what) = irregular_kind(&path) {
                // Only what ZooKeeper would open matters; a stray
                // subdirectory is none of its business.
                if kind != FileKind::Unknown {
                    self.irregular.push(Irregular { path, what, kind });
                }
                continue;
            }
            let len = fs::metadata(&path).map_or(0, |m| m.len());
            match kind {
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

    /// Reads `acceptedEpoch` or `currentEpoch` as a quorum peer does
    /// (`QuorumPeer.readLongFromFile`: the first line, `Long.parseLong`, so
    /// a trailing newline is fine and a trailing space is not). `None`
    /// when the file is absent.
    pub fn read_epoch(&self, name: &str) -> Option<Result<i64, String>> {
        let path = self.snap_dir.join(name);
        let mut text = String::new();
        match crate::files::source::open_file(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => return Some(Err(format!("{}: {}", path.display(), os_error(&e)))),
            Ok(mut f) => {
                use std::io::Read;
                // An epoch is a few digits: a bounded read.
                if let Err(e) = (&mut f).take(64).read_to_string(&mut text) {
                    return Some(Err(format!("{}: {}", path.display(), os_error(&e))));
                }
            }
        }
        let line = text.split(['\n', '\r']).next().unwrap_or("");
        Some(line.parse::<i64>().map_err(|_| {
            format!(
                "{}: not a decimal number on its first line: {text:?}",
                path.display()
            )
        }))
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
        return Err(Error::NotDataDir {
            path: dir.to_path_buf(),
            not_a_directory: true,
        });
    }
    let inner = dir.join(VERSION_DIR);
    if inner.is_dir() {
        return Ok(inner);
    }
    if dir.file_name().is_some_and(|n| n == VERSION_DIR) || looks_like_version_dir(dir) {
        return Ok(dir.to_path_buf());
    }
    Err(Error::NotDataDir {
        path: dir.to_path_buf(),
        not_a_directory: false,
    })
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
        let data_dir = data_dir.ok_or(Error::Config {
            path: path.to_path_buf(),
            what: "dataDir",
        })?;
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
