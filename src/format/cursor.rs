//! A bounds-checked big-endian reader over a window of a file.
//!
//! Every read checks the remaining length first and reports the absolute
//! file offset on failure; nothing here can panic or allocate.

use super::error::{DecodeError, DecodeErrorKind};

/// Cursor over `data`, whose first byte sits at absolute offset `base`.
#[derive(Clone, Copy, Debug)]
pub struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    base: u64,
}

impl<'a> Cursor<'a> {
    /// A cursor over `data`, which starts at absolute file offset `base`.
    pub fn new(data: &'a [u8], base: u64) -> Self {
        Cursor { data, pos: 0, base }
    }

    /// Absolute offset of the next byte to read.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Bytes left to read.
    pub fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    /// True when nothing is left.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The unread bytes, without consuming them.
    pub fn rest(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or(&[])
    }

    /// An error of `kind` at the current offset.
    #[cold]
    pub fn error(&self, kind: DecodeErrorKind) -> DecodeError {
        DecodeError::new(kind, self.offset())
    }

    /// Consumes exactly `n` bytes.
    pub fn read_bytes(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        // `get` instead of indexing: the bounds check is the error path.
        let bytes = self
            .pos
            .checked_add(n)
            .and_then(|end| self.data.get(self.pos..end))
            .ok_or_else(|| {
                self.error(DecodeErrorKind::UnexpectedEof {
                    needed: n as u64,
                    available: self.remaining() as u64,
                })
            })?;
        self.pos += n;
        Ok(bytes)
    }

    fn read_array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let bytes = self.read_bytes(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    /// Reads one byte.
    pub fn read_u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.read_array::<1>()?[0])
    }

    /// Reads a big-endian i32.
    pub fn read_i32(&mut self) -> Result<i32, DecodeError> {
        self.read_array().map(i32::from_be_bytes)
    }

    /// Reads a big-endian i64.
    pub fn read_i64(&mut self) -> Result<i64, DecodeError> {
        self.read_array().map(i64::from_be_bytes)
    }

    /// Reads four raw bytes (a magic number).
    pub fn read_magic(&mut self) -> Result<[u8; 4], DecodeError> {
        self.read_array()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_big_endian_and_tracks_absolute_offsets() {
        let data = [
            0, 0, 0, 7, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 9,
        ];
        let mut c = Cursor::new(&data, 0x100);
        assert_eq!(c.read_i32().unwrap(), 7);
        assert_eq!(c.read_i64().unwrap(), -2);
        assert_eq!(c.offset(), 0x10c);
        assert_eq!(c.read_u8().unwrap(), 9);
        assert!(c.is_empty());
    }

    #[test]
    fn short_read_reports_offset_needed_and_available() {
        let mut c = Cursor::new(&[1, 2, 3], 0x20);
        c.read_u8().unwrap();
        let err = c.read_i32().unwrap_err();
        assert_eq!(err.offset(), 0x21);
        assert_eq!(
            err.kind(),
            &DecodeErrorKind::UnexpectedEof {
                needed: 4,
                available: 2
            }
        );
        // A failed read consumes nothing.
        assert_eq!(c.remaining(), 2);
    }

    #[test]
    fn huge_lengths_do_not_overflow() {
        let mut c = Cursor::new(&[0; 4], 0);
        c.read_u8().unwrap();
        assert!(c.read_bytes(usize::MAX).is_err());
    }
}
