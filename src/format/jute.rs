//! Jute, ZooKeeper's record encoding: big-endian primitives, length-prefixed
//! buffers and strings where -1 means null, and vectors with a count prefix.
//!
//! Mirrors `BinaryInputArchive` (zookeeper-jute). Every length is checked
//! against the bytes that remain and the configured limit before it is used.

use super::cursor::Cursor;
use super::error::{DecodeError, DecodeErrorKind};

/// ZooKeeper's default `jute.maxbuffer` (0xfffff).
pub const JUTE_MAX_BUFFER: u64 = 0xfffff;

/// The largest buffer or string ZooKeeper 3.6+ accepts by default:
/// `jute.maxbuffer + zookeeper.jute.maxbuffer.extrasize` (both default to 0xfffff).
pub const DEFAULT_LENGTH_LIMIT: u64 = 2 * JUTE_MAX_BUFFER;

/// Limits applied while decoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest buffer or string length accepted (`Unreasonable length` above it).
    pub max_length: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_length: DEFAULT_LENGTH_LIMIT,
        }
    }
}

/// One entry of an ACL list: perms bitmask and an id (scheme + id).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Acl<'a> {
    /// Permission bits: READ 1, WRITE 2, CREATE 4, DELETE 8, ADMIN 16.
    pub perms: i32,
    /// Auth scheme (`world`, `digest`, `ip`, ...), raw bytes.
    pub scheme: &'a [u8],
    /// Id within the scheme, raw bytes.
    pub id: &'a [u8],
}

/// An ACL list as decoded, a slice to its users. Nearly every list in a
/// txn log holds one entry, which is kept inline so that decoding a txn
/// does not allocate for it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AclList<'a> {
    /// One entry.
    One(Acl<'a>),
    /// Any other number.
    Many(Vec<Acl<'a>>),
}

impl<'a> std::ops::Deref for AclList<'a> {
    type Target = [Acl<'a>];
    fn deref(&self) -> &[Acl<'a>] {
        match self {
            AclList::One(a) => std::slice::from_ref(a),
            AclList::Many(v) => v,
        }
    }
}

impl<'a> FromIterator<Acl<'a>> for AclList<'a> {
    fn from_iter<I: IntoIterator<Item = Acl<'a>>>(iter: I) -> Self {
        iter.into_iter().collect::<Vec<_>>().into()
    }
}

impl<'a> From<Vec<Acl<'a>>> for AclList<'a> {
    fn from(mut v: Vec<Acl<'a>>) -> Self {
        match (v.pop(), v.is_empty()) {
            (Some(a), true) => AclList::One(a),
            (Some(a), false) => {
                v.push(a);
                AclList::Many(v)
            }
            (None, _) => AclList::Many(v),
        }
    }
}

/// Permission bits with their letters, in zkCli order (c, d, r, w, a).
pub const PERM_BITS_IN_ORDER: [(i32, char); 5] =
    [(4, 'c'), (8, 'd'), (1, 'r'), (2, 'w'), (16, 'a')];

/// `"cdrwa"`-style letters for a permission mask (zkCli order). Bits beyond
/// the five known ones are appended as `+0x..` so nothing is hidden.
pub fn perms_letters(perms: i32) -> String {
    let mut s = String::with_capacity(5);
    for (bit, letter) in PERM_BITS_IN_ORDER {
        if perms & bit != 0 {
            s.push(letter);
        }
    }
    let unknown = perms & !31;
    if unknown != 0 {
        s.push_str(&format!("+{unknown:#x}"));
    }
    s
}

/// Parses `"cdrwa"`-style letters back into a mask.
pub fn perms_from_letters(letters: &str) -> Option<i32> {
    let mut perms = 0;
    for ch in letters.chars() {
        let (bit, _) = PERM_BITS_IN_ORDER.iter().find(|(_, l)| *l == ch)?;
        perms |= bit;
    }
    Some(perms)
}

impl<'a> Cursor<'a> {
    /// Reads a jute length prefix for a buffer or string: `None` for -1 (null),
    /// an error for other negatives, for lengths over the limit, or for
    /// lengths longer than the data left.
    fn read_length(&mut self, limits: &Limits) -> Result<Option<usize>, DecodeError> {
        let at = *self;
        let len = self.read_i32()?;
        if len == -1 {
            return Ok(None);
        }
        if len < 0 {
            return Err(at.error(DecodeErrorKind::NegativeLength(len)));
        }
        if len as u64 > limits.max_length {
            return Err(at.error(DecodeErrorKind::LengthOverLimit {
                len: len as u64,
                limit: limits.max_length,
            }));
        }
        Ok(Some(len as usize))
    }

    /// Jute `buffer`: `None` when null (-1).
    pub fn read_buffer(&mut self, limits: &Limits) -> Result<Option<&'a [u8]>, DecodeError> {
        let start = *self;
        match self.read_length(limits)? {
            None => Ok(None),
            Some(len) => self
                .read_bytes(len)
                .map(Some)
                .inspect_err(|_| *self = start),
        }
    }

    /// Jute `ustring` as raw bytes: `None` when null (-1).
    pub fn read_ustring(&mut self, limits: &Limits) -> Result<Option<&'a [u8]>, DecodeError> {
        self.read_buffer(limits)
    }

    /// A `ustring` that must not be null (paths, ACL schemes and ids).
    pub fn read_string(
        &mut self,
        limits: &Limits,
        what: &'static str,
    ) -> Result<&'a [u8], DecodeError> {
        let at = *self;
        self.read_ustring(limits)?
            .ok_or_else(|| at.error(DecodeErrorKind::UnexpectedNull(what)))
    }

    /// Jute vector count: `None` for -1 (null); other negatives read as an
    /// empty vector, as ZooKeeper's reader does. The count is checked against
    /// the bytes left, assuming each element takes at least `min_element_size`.
    pub fn read_vector_count(
        &mut self,
        min_element_size: usize,
    ) -> Result<Option<usize>, DecodeError> {
        let at = *self;
        let count = self.read_i32()?;
        if count == -1 {
            return Ok(None);
        }
        if count <= 0 {
            return Ok(Some(0));
        }
        let count = count as usize;
        let needed = count.saturating_mul(min_element_size.max(1));
        if needed > self.remaining() {
            return Err(at.error(DecodeErrorKind::CountTooLarge {
                count: count as u64,
                available: self.remaining() as u64,
            }));
        }
        Ok(Some(count))
    }

    /// One `ACL` record: int perms; ustring scheme; ustring id.
    pub fn read_acl(&mut self, limits: &Limits) -> Result<Acl<'a>, DecodeError> {
        let perms = self.read_i32()?;
        let scheme = self.read_string(limits, "ACL scheme")?;
        let id = self.read_string(limits, "ACL id")?;
        Ok(Acl { perms, scheme, id })
    }

    /// `vector<ACL>`; `None` when null.
    pub fn read_acl_list(&mut self, limits: &Limits) -> Result<Option<AclList<'a>>, DecodeError> {
        // An ACL takes at least 12 bytes: perms and two string lengths.
        let Some(count) = self.read_vector_count(12)? else {
            return Ok(None);
        };
        if count == 1 {
            return Ok(Some(AclList::One(self.read_acl(limits)?)));
        }
        let mut acls = Vec::with_capacity(count);
        for _ in 0..count {
            acls.push(self.read_acl(limits)?);
        }
        Ok(Some(AclList::Many(acls)))
    }

    /// Jute `boolean`: any non-zero byte is true (`DataInput.readBoolean`).
    pub fn read_bool(&mut self) -> Result<bool, DecodeError> {
        Ok(self.read_u8()? != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffer_null_empty_and_value() {
        let data = [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 2, b'h', b'i'];
        let mut c = Cursor::new(&data, 0);
        let l = Limits::default();
        assert_eq!(c.read_buffer(&l).unwrap(), None);
        assert_eq!(c.read_buffer(&l).unwrap(), Some(&b""[..]));
        assert_eq!(c.read_buffer(&l).unwrap(), Some(&b"hi"[..]));
    }

    #[test]
    fn length_checks_come_before_any_read() {
        let l = Limits { max_length: 10 };
        let mut c = Cursor::new(&[0, 0, 0, 11, 0, 0], 0x40);
        let e = c.read_buffer(&l).unwrap_err();
        assert_eq!(e.offset(), 0x40);
        assert_eq!(
            e.kind(),
            &DecodeErrorKind::LengthOverLimit { len: 11, limit: 10 }
        );
        let mut c = Cursor::new(&[0xff, 0xff, 0xff, 0xfe], 0);
        assert_eq!(
            c.read_buffer(&l).unwrap_err().kind(),
            &DecodeErrorKind::NegativeLength(-2)
        );
        let mut c = Cursor::new(&[0, 0, 0, 5, 1], 0);
        assert!(matches!(
            c.read_buffer(&l).unwrap_err().kind(),
            DecodeErrorKind::UnexpectedEof {
                needed: 5,
                available: 1
            }
        ));
    }

    #[test]
    fn vector_counts_are_bounded_by_remaining_bytes() {
        let mut c = Cursor::new(&[0x7f, 0xff, 0xff, 0xff, 0, 0], 0);
        assert!(matches!(
            c.read_vector_count(12).unwrap_err().kind(),
            DecodeErrorKind::CountTooLarge { .. }
        ));
        let mut c = Cursor::new(&[0xff, 0xff, 0xff, 0xf0], 0);
        assert_eq!(c.read_vector_count(12).unwrap(), Some(0));
    }

    #[test]
    fn perms_round_trip_in_zkcli_order() {
        assert_eq!(perms_letters(31), "cdrwa");
        assert_eq!(perms_letters(1), "r");
        assert_eq!(perms_letters(5), "cr");
        assert_eq!(perms_from_letters("cdrwa"), Some(31));
        assert_eq!(perms_letters(64 | 1), "r+0x40");
    }
}
