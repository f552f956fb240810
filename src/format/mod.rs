//! Readers and writers for ZooKeeper's on-disk formats, over `&[u8]` only.
//!
//! Nothing here touches the file system, the terminal or the CLI: callers map
//! or read files and hand the bytes in. Every reader checks bounds before it
//! reads and reports errors with absolute offsets ([`DecodeError`]).
//!
//! Both file kinds start with a 16-byte [`header::FileHeader`] and use the
//! [`jute`] encoding. [`txnlog`] reads `log.*` files, [`txn`] the records in
//! them, [`snapshot`] the `snapshot.*` streams, [`compress`] their gzip and
//! snappy containers, and [`write`] produces all of them.
//! The byte-level reference is FORMAT.md; the Java sources are
//! `FileTxnLog`, `FileSnap`, `SnapStream` and `SerializeUtils`.

pub mod checksum;
pub mod compress;
pub mod cursor;
pub mod error;
pub mod header;
pub mod jute;
pub mod salvage;
pub mod snapshot;
pub mod txn;
pub mod txnlog;
pub mod verdict;
pub mod version;
pub mod write;

pub use error::{DecodeError, DecodeErrorKind};
