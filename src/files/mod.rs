//! The file system: finding a data dir's files and reading them.
//!
//! Everything here knows paths and file descriptors but nothing of trees or
//! verdicts: [`datadir`] lists a data dir's files by ZooKeeper's names and
//! reads zoo.cfg, [`source`] maps or reads a file's bytes (the one mmap),
//! [`window`] reads a txn log a bounded window at a time, and [`par`] works
//! on the chunks of a big file on several threads.

pub mod atomic;
pub mod datadir;
pub mod follow;
pub mod log;
pub mod names;
pub mod par;
pub mod sniff;
pub mod source;
pub mod window;
