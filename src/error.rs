//! Errors as the CLI reports them (a path plus the cause) and the one exit
//! status convention every subcommand follows.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::format::DecodeError;
use crate::zxid::Zxid;

/// Exit status: 0 ok, 1 findings, 2 could not run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitStatus {
    /// Everything went fine and nothing was found.
    Ok = 0,
    /// Findings: corruption, differences, a failed deletion.
    Findings = 1,
    /// Could not run: usage or I/O problems, unreadable input.
    Trouble = 2,
}

impl ExitStatus {
    /// [`ExitStatus::Findings`] when something was found, else [`ExitStatus::Ok`].
    pub fn from_findings(found: bool) -> ExitStatus {
        if found {
            ExitStatus::Findings
        } else {
            ExitStatus::Ok
        }
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(s: ExitStatus) -> Self {
        std::process::ExitCode::from(s as u8)
    }
}

/// What went wrong, at the layer that knows the file.
#[derive(Debug)]
pub enum Error {
    /// An I/O error on a file or directory.
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// Bytes that could not be decoded.
    Decode {
        /// The file.
        path: PathBuf,
        /// The cause, with its offset.
        source: DecodeError,
    },
    /// A file that is neither a txn log nor a snapshot, by name or magic.
    NotZooKeeperData(PathBuf),
    /// A directory that holds no ZooKeeper data (no `version-2/`, no log or
    /// snapshot files), or that is not a directory at all.
    NotDataDir {
        /// The directory given.
        path: PathBuf,
        /// It is not even a directory.
        not_a_directory: bool,
    },
    /// A zoo.cfg without the setting needed.
    Config {
        /// The zoo.cfg.
        path: PathBuf,
        /// What is missing.
        what: &'static str,
    },
    /// A snapshot that cannot be loaded into a tree.
    BadSnapshot {
        /// The snapshot.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// A replay that cannot start or reach its target.
    Replay(ReplayError),
    /// A JSON Lines tree (a diff side) that cannot be read.
    BadJsonTree {
        /// The file.
        path: PathBuf,
        /// Byte offset of the line.
        offset: u64,
        /// Why.
        why: String,
    },
    /// A diff side `DIR@POINT` whose point is neither a zxid nor a time.
    BadPoint {
        /// The side as given.
        side: String,
        /// The part after '@'.
        point: String,
    },
    /// Bad arguments (the command line only).
    Usage(String),
    /// Writing the output failed (a broken pipe is reported quietly).
    Output(io::Error),
}

/// Why a replay cannot start or reach its target; [`crate::cmd`] adds which
/// flags help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplayError {
    /// No snapshot to start from: none at all, or none usable (`why`).
    NoUsableSnapshot {
        /// The snapshot directory.
        dir: PathBuf,
        /// Each snapshot and why it cannot start the replay.
        skipped: Vec<(PathBuf, String)>,
    },
    /// A chosen snapshot whose name does not say its zxid.
    UnnamedSnapshot(PathBuf),
    /// A chosen snapshot newer than the target.
    SnapshotPastTarget {
        /// The snapshot.
        path: PathBuf,
        /// Its zxid.
        zxid: Zxid,
        /// The target.
        target: Zxid,
    },
    /// Starting from the empty tree, but the logs do not start at the first
    /// txn of an epoch (the oldest log's zxid, if any).
    LogsNotFromStart(Option<Zxid>),
    /// No txn at or before the target time (ms).
    NothingBeforeTime(i64),
    /// A target before the first zxid there is.
    NothingBeforeZxid(Zxid),
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplayError::NoUsableSnapshot { dir, skipped } if skipped.is_empty() => {
                write!(f, "no snapshot found in {}", dir.display())
            }
            ReplayError::NoUsableSnapshot { dir, skipped } => {
                let why: Vec<String> = skipped
                    .iter()
                    .map(|(p, r)| format!("{}: {r}", p.display()))
                    .collect();
                write!(
                    f,
                    "no usable snapshot ({}) in {}",
                    why.join("; "),
                    dir.display()
                )
            }
            ReplayError::UnnamedSnapshot(p) => write!(
                f,
                "{}: not named snapshot.<hex>[.gz|.snappy]; the name gives the zxid replay starts after",
                p.display()
            ),
            ReplayError::SnapshotPastTarget { path, zxid, target } => write!(
                f,
                "{}: snapshot {zxid} is past the target {target}",
                path.display()
            ),
            ReplayError::LogsNotFromStart(first) => write!(
                f,
                "starting from the empty tree needs the logs to start at the first txn of an epoch (zxid 0x…00000001); the oldest log is {}",
                first.map_or("missing".to_string(), |z| format!(
                    "log.{}",
                    z.to_name_hex()
                ))
            ),
            ReplayError::NothingBeforeTime(t) => write!(
                f,
                "no txn in the logs has a time at or before {}",
                crate::timefmt::rfc3339_utc(*t).unwrap_or_else(|| t.to_string())
            ),
            ReplayError::NothingBeforeZxid(z) => {
                write!(f, "there is no txn before zxid {z}: nothing to replay to")
            }
        }
    }
}

/// An I/O error in the one wording every message uses: the system's text
/// without Rust's " (os error N)" ("No such file or directory").
pub fn os_error(e: &io::Error) -> String {
    os_text(e)
}

/// [`os_error`] for any error that may carry an I/O error's text.
pub fn os_text(e: &dyn fmt::Display) -> String {
    let text = e.to_string();
    if let Some(cut) = text.rfind(" (os error ")
        && text[cut + 11..]
            .strip_suffix(')')
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    {
        return text[..cut].to_string();
    }
    text
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// The exit status this error ends a run with: damaged ZooKeeper data
    /// that stops a command is a finding (1); everything else means the
    /// command could not run (2).
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            Error::BadSnapshot { .. } => ExitStatus::Findings,
            _ => ExitStatus::Trouble,
        }
    }

    /// A stable name for the kind of failure: the `code` of the JSON
    /// `error` line.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Io { .. } => "io_error",
            Error::Decode { .. } => "undecodable",
            Error::NotZooKeeperData(_) => "not_zookeeper_data",
            Error::NotDataDir { .. } => "not_a_data_dir",
            Error::Config { .. } => "config",
            Error::BadSnapshot { .. } => "bad_snapshot",
            Error::Replay(_) => "replay",
            Error::BadJsonTree { .. } => "bad_json_tree",
            Error::BadPoint { .. } => "bad_point",
            Error::Usage(_) => "usage",
            Error::Output(_) => "output",
        }
    }

    /// The file and byte offset the error is about, where known.
    pub fn location(&self) -> (Option<&std::path::Path>, Option<u64>) {
        match self {
            Error::Io { path, .. }
            | Error::NotZooKeeperData(path)
            | Error::NotDataDir { path, .. }
            | Error::Config { path, .. }
            | Error::BadSnapshot { path, .. } => (Some(path), None),
            Error::Decode { path, source } => (Some(path), Some(source.offset())),
            Error::BadJsonTree { path, offset, .. } => (Some(path), Some(*offset)),
            Error::Replay(
                ReplayError::UnnamedSnapshot(path) | ReplayError::SnapshotPastTarget { path, .. },
            ) => (Some(path), None),
            Error::Replay(ReplayError::NoUsableSnapshot { dir, .. }) => (Some(dir), None),
            _ => (None, None),
        }
    }

    /// True when stdout went away (`zkdd dump | head`): not an error.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Output(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Output(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => write!(f, "{}: {}", path.display(), os_error(source)),
            Error::Decode { path, source } => write!(f, "{}: {source}", path.display()),
            Error::NotZooKeeperData(path) => write!(
                f,
                "{}: not a ZooKeeper txn log or snapshot (unknown name and magic)",
                path.display()
            ),
            Error::NotDataDir {
                path,
                not_a_directory: true,
            } => write!(f, "{}: not a directory", path.display()),
            Error::NotDataDir { path, .. } => write!(
                f,
                "{}: not a ZooKeeper data directory (no version-2/ inside, and no log.* or snapshot.* files)",
                path.display()
            ),
            Error::Config { path, what } => write!(f, "{}: no {what} setting", path.display()),
            Error::BadSnapshot { path, why } => {
                write!(f, "{}: cannot load snapshot: {why}", path.display())
            }
            Error::Replay(e) => e.fmt(f),
            Error::BadJsonTree { path, offset, why } => {
                write!(f, "{}: line at offset {offset}: {why}", path.display())
            }
            Error::BadPoint { side, point } => write!(
                f,
                "{side}: bad zxid or time after '@': {point:?} (a zxid is 0x…, a time RFC 3339)"
            ),
            Error::Usage(msg) => f.write_str(msg),
            Error::Output(e) => write!(f, "writing output: {}", os_error(e)),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::Decode { source, .. } => Some(source),
            Error::Output(e) => Some(e),
            _ => None,
        }
    }
}
