//! Getting a file's bytes: memory-mapped by default, read into memory with
//! `--no-mmap`, decompressed for `.gz`/`.snappy` snapshots.
//!
//! # Safety
//!
//! Besides the SSE2 call in `render::bytescan` and the writeback hint in
//! `files::atomic`, this is the only module with `unsafe`. Mapping a file is
//! unsafe because another process may change or truncate it while it is
//! mapped: changed
//! bytes are only wrong data (the readers check every bound and checksum),
//! but a truncation turns reads past the new end into SIGBUS. On a live
//! server that can happen: a follower told to TRUNC cuts its log in place
//! (`FileTxnLog.truncate`). The man pages therefore recommend `--no-mmap`
//! (read into memory) on live data dirs, and `purge` never maps anything.
#![allow(unsafe_code)]

use std::fs::File;
use std::io::{self, Read};
use std::ops::Deref;
use std::path::Path;

use crate::format::compress::{Compression, Decoder, decompress};
use crate::format::error::DecodeError;
use crate::format::jute::Limits;
use crate::format::snapshot::SnapshotStream;

/// A file's bytes, mapped or owned.
#[derive(Debug)]
pub enum Bytes {
    /// Memory-mapped, read-only.
    Mapped(memmap2::Mmap),
    /// Read or decompressed into memory.
    Owned(Vec<u8>),
}

impl Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(m) => m,
            Bytes::Owned(v) => v,
        }
    }
}

impl Bytes {
    /// Tells the kernel the bytes before `offset` are done with, so a
    /// sequential pass over a huge mapped log keeps resident memory flat.
    /// Does nothing for owned bytes.
    pub fn release_before(&self, offset: usize) {
        if let Bytes::Mapped(m) = self {
            let page = 4096;
            let len = offset / page * page;
            if len > 0 {
                // SAFETY: the mapping is read-only and file-backed (MAP_SHARED,
                // PROT_READ). MADV_DONTNEED on such pages only drops them from
                // this process's page tables; a later access faults them back
                // in from the file with the same contents, so no reference into
                // the mapping is invalidated. Errors are harmless and ignored.
                let _ =
                    unsafe { m.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, 0, len) };
            }
        }
    }
}

/// Hints that `data[offset]` is about to be read, so a pass that jumps
/// around a large mapping (the diff's merge in path order) can overlap its
/// cache misses. Only a hint: nothing happens out of bounds or on targets
/// other than x86-64.
#[inline]
pub fn prefetch(data: &[u8], offset: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(b) = data.get(offset) {
        // SAFETY: PREFETCHT0 never faults and changes neither memory nor
        // architectural state (a hint to the cache, even for a bad address);
        // the pointer is in bounds anyway. SSE, which the intrinsic needs, is
        // part of the x86-64 baseline.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                std::ptr::from_ref(b).cast(),
            );
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (data, offset);
}

/// What a non-regular entry is, following symbolic links as ZooKeeper does;
/// `None` for a regular file.
pub fn irregular_kind(path: &Path) -> Option<String> {
    use std::os::unix::fs::FileTypeExt;
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => None,
        Ok(m) => {
            let t = m.file_type();
            Some(
                if t.is_dir() {
                    "a directory"
                } else if t.is_fifo() {
                    "a FIFO"
                } else if t.is_socket() {
                    "a socket"
                } else if t.is_block_device() || t.is_char_device() {
                    "a device"
                } else {
                    "not a regular file"
                }
                .to_string(),
            )
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Some("a broken symbolic link".to_string())
        }
        // ELOOP: "Too many levels of symbolic links".
        Err(e) if e.raw_os_error() == Some(40) => Some("a symbolic link loop".to_string()),
        Err(e) => Some(format!("unreadable ({e})")),
    }
}

/// Opens `path` for reading, refusing anything but a regular file at once:
/// opening a FIFO would block until some writer came, a directory cannot
/// be read. Symbolic links are followed, as ZooKeeper follows them.
pub fn open_file(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let not_regular = |what: &str| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("not a regular file ({what})"),
        )
    };
    match std::fs::metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(match std::fs::symlink_metadata(path) {
                Ok(_) => not_regular("a broken symbolic link"),
                Err(_) => e,
            });
        }
        _ => {}
    }
    if let Some(what) = irregular_kind(path) {
        return Err(not_regular(&what));
    }
    // O_NONBLOCK: should a FIFO be swapped in after the check, opening it
    // still returns at once (and is refused below); regular files ignore it.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(not_regular("changed while being opened"));
    }
    Ok(file)
}

/// Opens a file and maps it (or reads it with `no_mmap`).
pub fn open(path: &Path, no_mmap: bool) -> io::Result<Bytes> {
    let mut file = open_file(path)?;
    let len = file.metadata()?.len();
    if no_mmap || len == 0 {
        // Read what is there now; the length may change under a live server.
        let mut v = Vec::new();
        file.read_to_end(&mut v)?;
        return Ok(Bytes::Owned(v));
    }
    // SAFETY: the map is read-only. See the module docs for the one risk
    // (SIGBUS if the file is truncated while mapped) and `--no-mmap`.
    let map = unsafe { memmap2::Mmap::map(&file)? };
    let _ = map.advise(memmap2::Advice::Sequential);
    Ok(Bytes::Mapped(map))
}

/// A snapshot's uncompressed stream, and the damage found while
/// decompressing (offset in the compressed file), if any.
#[derive(Debug)]
pub struct SnapshotBytes {
    /// The uncompressed stream (all that could be recovered).
    pub stream: Bytes,
    /// Size of the file on disk.
    pub file_len: u64,
    /// Decompression error, if the container is damaged.
    pub container_error: Option<DecodeError>,
}

/// Opens a snapshot file and decompresses it as its name says.
pub fn open_snapshot(
    path: &Path,
    compression: Compression,
    no_mmap: bool,
) -> io::Result<SnapshotBytes> {
    let file = open(path, no_mmap)?;
    let file_len = file.len() as u64;
    if compression == Compression::None {
        return Ok(SnapshotBytes {
            stream: file,
            file_len,
            container_error: None,
        });
    }
    let d = decompress(&file, compression);
    Ok(SnapshotBytes {
        stream: Bytes::Owned(d.data),
        file_len,
        container_error: d.error,
    })
}

/// A snapshot file opened for streaming, with what ZooKeeper's cheap
/// validity check looks at (its size, first and last bytes).
#[derive(Debug)]
pub struct SnapshotFile {
    /// Size of the file on disk.
    pub len: u64,
    /// Its first bytes (up to 8).
    pub head: Vec<u8>,
    /// Its last bytes (up to 5).
    pub tail: Vec<u8>,
    /// The uncompressed stream, read as it is needed.
    pub stream: SnapshotStream<File>,
}

/// Opens a snapshot file to read it as a stream (never mapped, never whole).
pub fn open_snapshot_stream(
    path: &Path,
    compression: Compression,
    limits: Limits,
) -> io::Result<SnapshotFile> {
    use std::os::unix::fs::FileExt;
    let file = open_file(path)?;
    let len = file.metadata()?.len();
    // At most 8 bytes, within the file's size (a file that shrinks meanwhile
    // gives an I/O error naming it).
    let read_at = |at: u64, n: u64| -> io::Result<Vec<u8>> {
        let mut v = vec![0u8; n as usize];
        file.read_exact_at(&mut v, at)?;
        Ok(v)
    };
    let head = read_at(0, len.min(8))?;
    let tail = read_at(len.saturating_sub(5), len.min(5))?;
    let stream = SnapshotStream::new(Decoder::new(file, len, compression), limits);
    Ok(SnapshotFile {
        len,
        head,
        tail,
        stream,
    })
}
