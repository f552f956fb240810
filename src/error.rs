//! Errors as the CLI reports them (a path plus the cause) and the one exit
//! status convention every subcommand follows.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::format::DecodeError;

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
    /// Bad arguments or an input that cannot be used.
    Usage(String),
    /// Writing the output failed (a broken pipe is reported quietly).
    Output(io::Error),
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
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
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Decode { path, source } => write!(f, "{}: {source}", path.display()),
            Error::NotZooKeeperData(path) => write!(
                f,
                "{}: not a ZooKeeper txn log or snapshot (unknown name and magic)",
                path.display()
            ),
            Error::Usage(msg) => f.write_str(msg),
            Error::Output(e) => write!(f, "writing output: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::Decode { source, .. } => Some(source),
            Error::Output(e) => Some(e),
            Error::Usage(_) | Error::NotZooKeeperData(_) => None,
        }
    }
}
