//! The compressed snapshot containers of `SnapStream` (3.6+): gzip and the
//! snappy-java stream format. Seals are computed over the decompressed bytes,
//! so both decode to a plain snapshot stream.
//!
//! ```text
//! snappy-java stream:
//!   8 bytes  magic 0x82 "SNAPPY" 0x00
//!   int      version = 1; int compatible version = 1
//!   repeat   int compressedLength; raw Snappy block (varint uncompressed length first)
//! ```
//! A chunk length equal to the first four magic bytes starts a concatenated
//! stream header, which `SnappyInputStream` skips (FORMAT.md §4.2).
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

use std::io::Read;

use super::cursor::Cursor;
use super::error::{DecodeError, DecodeErrorKind};

/// The snappy-java stream magic.
pub const SNAPPY_MAGIC: [u8; 8] = [0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0];
/// The gzip magic.
pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// Largest uncompressed size accepted for one snappy block. snappy-java
/// writes 32 KiB blocks; a declared size far above that is corruption, and
/// checking it first keeps a forged varint from sizing an allocation.
pub const MAX_SNAPPY_BLOCK: usize = 64 << 20;

/// How a snapshot file is stored, chosen by the last suffix of its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// Raw stream.
    None,
    /// `.gz`.
    Gzip,
    /// `.snappy`.
    Snappy,
}

impl Compression {
    /// The file-name suffix (without dot), if any.
    pub fn suffix(self) -> Option<&'static str> {
        match self {
            Compression::None => None,
            Compression::Gzip => Some("gz"),
            Compression::Snappy => Some("snappy"),
        }
    }

    /// The container a file name says, by its last suffix, as ZooKeeper's
    /// `SnapStream` picks it (`snapshot.1a.gz`, `snapshot.1a.snappy`).
    pub fn from_name(name: &str) -> Compression {
        match name.rsplit('.').next() {
            Some("gz") => Compression::Gzip,
            Some("snappy") => Compression::Snappy,
            _ => Compression::None,
        }
    }
}

/// The result of decompressing: the bytes recovered and, if the stream was
/// damaged, where (offset in the compressed file).
#[derive(Debug)]
pub struct Decompressed {
    /// Every byte that could be recovered, in order.
    pub data: Vec<u8>,
    /// The damage, if any.
    pub error: Option<DecodeError>,
}

/// Decompresses a snapshot file's bytes (all of them, into memory; the
/// readers that must stay flat use [`Decoder`]).
pub fn decompress(file: &[u8], compression: Compression) -> Decompressed {
    let mut decoder = Decoder::new(file, file.len() as u64, compression);
    let mut data = Vec::new();
    // Reading from memory cannot fail with an I/O error.
    while let Ok(n) = decoder.fill(&mut data, 64 << 10) {
        if n == 0 {
            break;
        }
    }
    Decompressed {
        data,
        error: decoder.take_error(),
    }
}

/// A streaming decoder of a snapshot file: the uncompressed stream, a piece
/// at a time, in memory bounded by a block whatever the file's size. Damage
/// ends the stream early and is kept (offset in the compressed file), so the
/// caller reads every byte that could be recovered, then asks what stopped it.
pub struct Decoder<R: Read> {
    inner: Inner<R>,
    /// Size of the compressed file (where a gzip error is reported).
    file_len: u64,
    error: Option<DecodeError>,
    /// An error met after some bytes of a read, for the next read.
    pending: Option<std::io::Error>,
}

enum Inner<R: Read> {
    Raw(R),
    /// Not started: the magic is checked on the first read.
    GzipStart(Option<R>),
    Gzip(Box<flate2::read::MultiGzDecoder<std::io::Chain<std::io::Cursor<Vec<u8>>, R>>>),
    Snappy(SnappyJava<R>),
    Done,
}

impl<R: Read> std::fmt::Debug for Decoder<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoder")
            .field("file_len", &self.file_len)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl<R: Read> Decoder<R> {
    /// A decoder of `src`, a file of `file_len` bytes stored as `compression`.
    pub fn new(src: R, file_len: u64, compression: Compression) -> Self {
        let inner = match compression {
            Compression::None => Inner::Raw(src),
            Compression::Gzip => Inner::GzipStart(Some(src)),
            Compression::Snappy => Inner::Snappy(SnappyJava {
                src,
                offset: 0,
                started: false,
                block: Vec::new(),
                out: Vec::new(),
                out_pos: 0,
                decoder: snap::raw::Decoder::new(),
            }),
        };
        Decoder {
            inner,
            file_len,
            error: None,
            pending: None,
        }
    }

    /// Appends up to `max` more bytes of the uncompressed stream to `out`;
    /// 0 at its end (or where damage ended it: see [`Decoder::error`]).
    /// `Err` is an I/O error of the underlying file.
    pub fn fill(&mut self, out: &mut Vec<u8>, max: usize) -> std::io::Result<usize> {
        let start = out.len();
        let result = match &mut self.inner {
            Inner::Done => Ok(0),
            Inner::Raw(r) => read_some(r, out, max, &mut self.pending),
            Inner::GzipStart(src) => {
                let Some(mut r) = src.take() else {
                    return Ok(0);
                };
                let mut head = Vec::with_capacity(4);
                (&mut r).take(4).read_to_end(&mut head)?;
                if head.get(..2) != Some(&GZIP_MAGIC[..]) {
                    let mut found = [0u8; 4];
                    for (dst, src) in found.iter_mut().zip(&head) {
                        *dst = *src;
                    }
                    self.inner = Inner::Done;
                    self.error = Some(DecodeError::new(
                        DecodeErrorKind::BadMagic {
                            expected: [0x1f, 0x8b, 0x08, 0],
                            found,
                        },
                        0,
                    ));
                    return Ok(0);
                }
                // Java's GZIPInputStream reads concatenated members, so MultiGzDecoder.
                let chained = std::io::Cursor::new(head).chain(r);
                self.inner = Inner::Gzip(Box::new(flate2::read::MultiGzDecoder::new(chained)));
                return self.fill(out, max);
            }
            Inner::Gzip(d) => match read_some(d.as_mut(), out, max, &mut self.pending) {
                Ok(n) => Ok(n),
                Err(e) => {
                    self.error = Some(DecodeError::new(
                        DecodeErrorKind::Decompress(format!("gzip: {e}")),
                        self.file_len,
                    ));
                    Ok(0)
                }
            },
            Inner::Snappy(s) => match s.fill(out, max) {
                Ok(n) => Ok(n),
                Err(SnappyError::Io(e)) => Err(e),
                Err(SnappyError::Decode(e)) => {
                    self.error = Some(e);
                    Ok(0)
                }
            },
        };
        match result {
            Ok(0) => {
                out.truncate(start);
                self.inner = Inner::Done;
                Ok(0)
            }
            r => r,
        }
    }

    /// The damage that ended the stream, if any.
    pub fn error(&self) -> Option<&DecodeError> {
        self.error.as_ref()
    }

    /// Takes the damage out.
    pub fn take_error(&mut self) -> Option<DecodeError> {
        self.error.take()
    }
}

/// Reads up to `max` bytes onto the end of `out`, as many as the reader
/// gives before its end (the zeroed room is then filled, not zeroed 20 times
/// over for a decompressor's small reads). An error after some bytes waits
/// in `pending` for the next call, so those bytes are not lost to it.
fn read_some<R: Read + ?Sized>(
    r: &mut R,
    out: &mut Vec<u8>,
    max: usize,
    pending: &mut Option<std::io::Error>,
) -> std::io::Result<usize> {
    if let Some(e) = pending.take() {
        return Err(e);
    }
    let start = out.len();
    out.resize(start + max, 0);
    let mut got = 0;
    while got < max {
        match r.read(out.get_mut(start + got..).unwrap_or(&mut [])) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if got == 0 => {
                out.truncate(start);
                return Err(e);
            }
            Err(e) => {
                *pending = Some(e);
                break;
            }
        }
    }
    out.truncate(start + got);
    Ok(got)
}

enum SnappyError {
    Io(std::io::Error),
    Decode(DecodeError),
}

impl From<std::io::Error> for SnappyError {
    fn from(e: std::io::Error) -> Self {
        SnappyError::Io(e)
    }
}

/// The snappy-java stream, a block at a time.
struct SnappyJava<R: Read> {
    src: R,
    /// Offset in the compressed file of the next byte of `src`.
    offset: u64,
    started: bool,
    /// The compressed block being read (reused).
    block: Vec<u8>,
    /// The current block decompressed, and how much of it was handed out.
    out: Vec<u8>,
    out_pos: usize,
    decoder: snap::raw::Decoder,
}

impl<R: Read> SnappyJava<R> {
    fn fill(&mut self, out: &mut Vec<u8>, max: usize) -> Result<usize, SnappyError> {
        while self.out_pos >= self.out.len() {
            if !self.next_block()? {
                return Ok(0);
            }
        }
        let ready = self.out.get(self.out_pos..).unwrap_or(&[]);
        let n = ready.len().min(max);
        out.extend_from_slice(ready.get(..n).unwrap_or(&[]));
        self.out_pos += n;
        Ok(n)
    }

    /// Reads exactly `n` bytes at the current offset into `self.block`;
    /// a short file is the cursor's "unexpected EOF" at that offset.
    fn read_exact_block(&mut self, n: usize) -> Result<(), SnappyError> {
        self.block.clear();
        // Grows with the bytes that arrive, never with a declared length.
        let got = (&mut self.src)
            .take(n as u64)
            .read_to_end(&mut self.block)?;
        if got < n {
            return Err(SnappyError::Decode(DecodeError::new(
                DecodeErrorKind::UnexpectedEof {
                    needed: n as u64,
                    available: got as u64,
                },
                self.offset,
            )));
        }
        self.offset += n as u64;
        Ok(())
    }

    /// The rest of a stream header after `head` (the bytes already read of
    /// it), checked as one header at `at`.
    fn header(&mut self, at: u64, head: &[u8]) -> Result<(), SnappyError> {
        let mut bytes = head.to_vec();
        (&mut self.src)
            .take(16 - head.len() as u64)
            .read_to_end(&mut bytes)?;
        self.offset = at + bytes.len() as u64;
        let mut c = Cursor::new(&bytes, at);
        read_snappy_header(&mut c).map_err(SnappyError::Decode)
    }

    /// Decodes the next block into `self.out`; false at the end.
    fn next_block(&mut self) -> Result<bool, SnappyError> {
        if !self.started {
            self.started = true;
            let at = self.offset;
            self.header(at, &[])?;
        }
        loop {
            let at = self.offset;
            let mut len_bytes = Vec::with_capacity(4);
            (&mut self.src).take(4).read_to_end(&mut len_bytes)?;
            if len_bytes.is_empty() {
                return Ok(false);
            }
            self.offset += len_bytes.len() as u64;
            let mut c = Cursor::new(&len_bytes, at);
            let len = c.read_i32().map_err(SnappyError::Decode)?;
            if len.to_be_bytes() == [0x82, b'S', b'N', b'A'] {
                // A concatenated stream: the rest of its 16-byte header follows.
                self.header(at, &len_bytes)?;
                continue;
            }
            let at_cursor = Cursor::new(&[], at);
            if len < 0 {
                return Err(SnappyError::Decode(
                    at_cursor.error(DecodeErrorKind::NegativeLength(len)),
                ));
            }
            // A block longer than the largest one a valid stream holds is
            // damage; refusing it keeps a forged length from sizing the read.
            let most = snap::raw::max_compress_len(MAX_SNAPPY_BLOCK);
            if len as usize > most {
                return Err(SnappyError::Decode(at_cursor.error(
                    DecodeErrorKind::LengthOverLimit {
                        len: len as u64,
                        limit: most as u64,
                    },
                )));
            }
            self.read_exact_block(len as usize)?;
            let block = &self.block;
            let size = snap::raw::decompress_len(block)
                .map_err(|e| SnappyError::Decode(snappy_error(&at_cursor, e)))?;
            // Snappy expands at most ~32x (a 2-byte copy yields 64 bytes), so a
            // larger declared size is a corrupt varint, not data.
            let limit = MAX_SNAPPY_BLOCK.min(block.len().saturating_mul(64).saturating_add(64));
            if size > limit {
                return Err(SnappyError::Decode(at_cursor.error(
                    DecodeErrorKind::LengthOverLimit {
                        len: size as u64,
                        limit: limit as u64,
                    },
                )));
            }
            self.out.resize(size, 0);
            self.out_pos = 0;
            match self.decoder.decompress(block, &mut self.out) {
                Ok(n) => self.out.truncate(n),
                Err(e) => {
                    self.out.clear();
                    return Err(SnappyError::Decode(snappy_error(&at_cursor, e)));
                }
            }
            return Ok(true);
        }
    }
}

fn read_snappy_header(c: &mut Cursor<'_>) -> Result<(), DecodeError> {
    let at = *c;
    let magic = c.read_bytes(8)?;
    if magic != SNAPPY_MAGIC {
        let mut found = [0u8; 4];
        found.copy_from_slice(magic.get(..4).unwrap_or(&[0; 4]));
        return Err(at.error(DecodeErrorKind::BadMagic {
            expected: [0x82, b'S', b'N', b'A'],
            found,
        }));
    }
    c.read_i32()?; // version
    c.read_i32()?; // compatible version
    Ok(())
}

fn snappy_error(at: &Cursor<'_>, e: snap::Error) -> DecodeError {
    at.error(DecodeErrorKind::Decompress(format!("snappy block: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snappy_java(chunks: &[&[u8]]) -> Vec<u8> {
        let mut v = SNAPPY_MAGIC.to_vec();
        v.extend_from_slice(&1_i32.to_be_bytes());
        v.extend_from_slice(&1_i32.to_be_bytes());
        for chunk in chunks {
            let block = snap::raw::Encoder::new().compress_vec(chunk).unwrap();
            v.extend_from_slice(&(block.len() as i32).to_be_bytes());
            v.extend_from_slice(&block);
        }
        v
    }

    #[test]
    fn snappy_java_multi_chunk_and_concatenated_streams() {
        let mut file = snappy_java(&[b"hello ", b"world"]);
        file.extend_from_slice(&snappy_java(&[b"!"]));
        let d = decompress(&file, Compression::Snappy);
        assert!(d.error.is_none(), "{:?}", d.error);
        assert_eq!(d.data, b"hello world!");
    }

    #[test]
    fn truncated_snappy_keeps_whole_chunks_and_reports_offset() {
        let file = snappy_java(&[b"hello ", b"world"]);
        let cut = &file[..file.len() - 2];
        let d = decompress(cut, Compression::Snappy);
        assert_eq!(d.data, b"hello ");
        let e = d.error.unwrap();
        assert!(matches!(e.kind(), DecodeErrorKind::UnexpectedEof { .. }));
    }

    #[test]
    fn truncated_gzip_is_an_error() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&[7u8; 10000]).unwrap();
        let gz = enc.finish().unwrap();
        assert_eq!(decompress(&gz, Compression::Gzip).data.len(), 10000);
        let d = decompress(&gz[..gz.len() - 5], Compression::Gzip);
        assert!(d.error.is_some());
    }
}
