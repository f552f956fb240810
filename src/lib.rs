//! zkdd: inspect, verify, replay, diff and purge Apache ZooKeeper data directories.
//!
//! The library does the work; the `zkdd` binary is a thin shell over [`cmd`].
//! [`format`] reads and writes the on-disk formats over plain byte slices,
//! [`datadir`] finds the files of a data directory, [`source`] maps or reads
//! them, and [`render`] is the only place that writes to stdout or stderr.
#![warn(missing_docs)]

pub mod cli; // clap definitions: Cli, Command, GlobalArgs
pub mod cmd; // one module per subcommand
pub mod datadir; // version-2/ discovery, file naming, zoo.cfg
pub mod diff; // comparing two trees
pub mod du; // space by subtree, ncdu export
pub mod error; // CLI-level error (path + cause) and exit status
pub mod format; // on-disk formats over &[u8]
#[doc(hidden)]
pub mod fuzz; // fuzz entry points, also run by the test suite on stable
pub mod history; // every change to a znode across a data dir
pub mod logstream; // txn logs read through a bounded window (--no-mmap)
pub mod par; // ordered parallel work over chunks of a file
pub mod parents; // a snapshot node's parent by ordinal, in one pass
pub mod purge; // retention plan and execution
pub mod render; // stdout/stderr: human text, JSON Lines, progress
pub mod repair; // cleaned copies of damaged txn logs
pub mod replay; // snapshot + logs -> tree, as ZooKeeper restores
pub mod source; // mmap (unsafe, see its docs), plus read/decompress fallbacks
pub mod timefmt; // RFC 3339 display and parsing of ZooKeeper times
pub mod tree; // DataTree, apply rules, digest
pub mod verify; // findings about files and data dirs
pub mod zxid; // Zxid / SessionId newtypes
