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

/// Decompresses a snapshot file's bytes.
pub fn decompress(file: &[u8], compression: Compression) -> Decompressed {
    match compression {
        Compression::None => Decompressed {
            data: file.to_vec(),
            error: None,
        },
        Compression::Gzip => gunzip(file),
        Compression::Snappy => unsnappy(file),
    }
}

fn gunzip(file: &[u8]) -> Decompressed {
    if file.get(..2) != Some(&GZIP_MAGIC[..]) {
        let mut found = [0u8; 4];
        for (dst, src) in found.iter_mut().zip(file) {
            *dst = *src;
        }
        return Decompressed {
            data: Vec::new(),
            error: Some(DecodeError::new(
                DecodeErrorKind::BadMagic {
                    expected: [0x1f, 0x8b, 0x08, 0],
                    found,
                },
                0,
            )),
        };
    }
    // Java's GZIPInputStream reads concatenated members, so MultiGzDecoder.
    let mut decoder = flate2::read::MultiGzDecoder::new(file);
    let mut data = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match decoder.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => data.extend_from_slice(buf.get(..n).unwrap_or(&[])),
            Err(e) => {
                return Decompressed {
                    data,
                    error: Some(DecodeError::new(
                        DecodeErrorKind::Decompress(format!("gzip: {e}")),
                        file.len() as u64,
                    )),
                };
            }
        }
    }
    Decompressed { data, error: None }
}

fn unsnappy(file: &[u8]) -> Decompressed {
    let mut data = Vec::new();
    let error = unsnappy_into(file, &mut data).err();
    Decompressed { data, error }
}

fn unsnappy_into(file: &[u8], out: &mut Vec<u8>) -> Result<(), DecodeError> {
    let mut c = Cursor::new(file, 0);
    read_snappy_header(&mut c)?;
    let mut decoder = snap::raw::Decoder::new();
    while !c.is_empty() {
        let at = c;
        let len = c.read_i32()?;
        if len.to_be_bytes() == [0x82, b'S', b'N', b'A'] {
            // A concatenated stream: the rest of its 16-byte header follows.
            c = at;
            read_snappy_header(&mut c)?;
            continue;
        }
        if len < 0 {
            return Err(at.error(DecodeErrorKind::NegativeLength(len)));
        }
        let block = c.read_bytes(len as usize)?;
        let size = snap::raw::decompress_len(block).map_err(|e| snappy_error(&at, e))?;
        // Snappy expands at most ~32x (a 2-byte copy yields 64 bytes), so a
        // larger declared size is a corrupt varint, not data.
        let limit = MAX_SNAPPY_BLOCK.min(block.len().saturating_mul(64).saturating_add(64));
        if size > limit {
            return Err(at.error(DecodeErrorKind::LengthOverLimit {
                len: size as u64,
                limit: limit as u64,
            }));
        }
        let start = out.len();
        out.resize(start + size, 0);
        let target = out.get_mut(start..).unwrap_or(&mut []);
        match decoder.decompress(block, target) {
            Ok(n) => out.truncate(start + n),
            Err(e) => {
                out.truncate(start);
                return Err(snappy_error(&at, e));
            }
        }
    }
    Ok(())
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
