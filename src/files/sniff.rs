//! What a file given on the command line is: a txn log or a snapshot (and
//! its container), by its name as ZooKeeper names them, else by its first
//! bytes.

use std::io::Read;
use std::path::Path;

use crate::files::datadir::{FileKind, classify};
use crate::format::compress::{Compression, GZIP_MAGIC, SNAPPY_MAGIC};
use crate::format::header::{SNAP_MAGIC, TXNLOG_MAGIC};

/// A ZooKeeper data file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataFile {
    /// A txn log.
    Log,
    /// A snapshot in this container.
    Snapshot(Compression),
}

/// [`sniff`], with an input that is not ZooKeeper data an error.
pub fn data_file(path: &Path) -> Result<DataFile, crate::error::Error> {
    // Refuse what is not a regular file at once, whatever its name.
    crate::files::source::open_file(path).map_err(|e| crate::error::Error::io(path, e))?;
    sniff(path)
        .map_err(|e| crate::error::Error::io(path, e))?
        .ok_or_else(|| crate::error::Error::NotZooKeeperData(path.to_path_buf()))
}

/// Classifies `path`: by name (`log.<hex>`, `snapshot.<hex>[.gz|.snappy]`),
/// else by magic. `Ok(None)`: neither name nor magic is ZooKeeper's.
pub fn sniff(path: &Path) -> std::io::Result<Option<DataFile>> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match classify(&name) {
        FileKind::Log(_) => return Ok(Some(DataFile::Log)),
        FileKind::Snapshot(_, c) => return Ok(Some(DataFile::Snapshot(c))),
        _ => {}
    }
    // Any other name (a copy, a leftover): decide by the first bytes.
    let mut head = [0u8; 8];
    let n = crate::files::source::open_file(path)?.read(&mut head)?;
    let head = head.get(..n).unwrap_or(&[]);
    Ok(if head.starts_with(&TXNLOG_MAGIC) {
        Some(DataFile::Log)
    } else if head.starts_with(&SNAP_MAGIC) {
        Some(DataFile::Snapshot(Compression::None))
    } else if head.starts_with(&GZIP_MAGIC) {
        Some(DataFile::Snapshot(Compression::Gzip))
    } else if head.starts_with(&SNAPPY_MAGIC) {
        Some(DataFile::Snapshot(Compression::Snappy))
    } else {
        None
    })
}
