//! zkdd: inspect, verify, replay, diff and purge Apache ZooKeeper data directories.
//!
//! The library does the work; the `zkdd` binary is a thin shell over [`cmd`].
//! The layers, each using only those listed before it:
//!
//! * [`format`]: the on-disk formats over plain byte slices (no files, no I/O);
//! * [`files`]: a data dir's files by ZooKeeper's names, zoo.cfg, mapping and
//!   reading them;
//! * [`tree`]: the DataTree with ZooKeeper's apply rules, and replay (snapshot +
//!   logs → tree, as ZooKeeper restores);
//! * [`ops`]: the analyses (verify, diff, purge, history, du, repair), each
//!   returning a typed report;
//! * [`render`]: the only writer to stdout and stderr;
//! * [`cmd`]: the command line.
//!
//! [`error`], [`zxid`] and [`timefmt`] are small shared types every layer uses.
#![warn(missing_docs)]

pub mod cmd; // the command line: one module per subcommand
pub mod error; // CLI-level error (path + cause) and exit status
pub mod files; // data-dir discovery, names, zoo.cfg, mmap/read, windows, threads
pub mod format; // on-disk formats over &[u8]
#[doc(hidden)]
pub mod fuzz; // fuzz entry points, also run by the test suite on stable
pub mod ops; // the analyses: verify, diff, purge, history, du, repair
pub mod render; // stdout/stderr: human text, JSON Lines, progress
pub mod timefmt; // RFC 3339 display and parsing of ZooKeeper times
pub mod tree; // DataTree, apply rules, digest, replay
pub mod zxid; // Zxid / SessionId newtypes
