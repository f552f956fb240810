//! Snapshot files (`snapshot.<hex>[.gz|.snappy]`), as written by `FileSnap`
//! and `SerializeUtils.serializeSnapshot`, after decompression.
//!
//! ```text
//! FileHeader   int magic "ZKSN"; int version 2; long dbid -1
//! sessions     int count; count × { long sessionId; int timeoutMs }
//! ACL cache    int count; count × { long aclId; vector<ACL> acls }
//! nodes        repeat { ustring path; buffer data; long aclId; StatPersisted }
//!              root first with path "", parents before children, in hash order
//!              terminator: ustring "/"
//! seal #1      long adler32; ustring "/"
//! [3.6+]       long zxid; int digestVersion; long digest (hex ustring if version < 2)
//!              seal #2: long adler32; ustring "/"
//! [3.9+]       long lastProcessedZxid; seal #3: long adler32; ustring "/"
//! ```
//!
//! Each seal is the running Adler-32 of every uncompressed byte before its
//! value, earlier seals included (`CheckedOutputStream`). The optional
//! sections are recognised by the bytes that remain after seal #1 (0, 21 or
//! ≥ 29), so snapshots of every version read alike (FORMAT.md §4.8).
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

use super::checksum::RunningAdler32;
use super::cursor::Cursor;
use super::error::{DecodeError, DecodeErrorKind};
use super::header::{FileHeader, SNAP_MAGIC};
use super::jute::{Acl, AclList, Limits};
use crate::zxid::{SessionId, Zxid};

/// Size of a `StatPersisted` record.
pub const STAT_PERSISTED_LEN: usize = 60;
/// The path terminator/seal marker: ustring "/".
pub const SLASH_USTRING: [u8; 5] = [0, 0, 0, 1, b'/'];

/// `ephemeralOwner` of container nodes (`Long.MIN_VALUE`).
pub const CONTAINER_OWNER: i64 = i64::MIN;
/// Mask of the TTL marker byte in `ephemeralOwner` (extended types).
const EXTENDED_MASK: u64 = 0xff00_0000_0000_0000;
/// Bits 40–55 select the extended type; 0 = TTL.
const EXTENDED_TYPE_MASK: u64 = 0x00ff_ff00_0000_0000;
/// Largest TTL (low 40 bits).
pub const MAX_TTL: i64 = 0x0000_00ff_ffff_ffff;

/// The persisted stat of a node (`StatPersisted`), in file order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct StatPersisted {
    /// Zxid of the create.
    pub czxid: Zxid,
    /// Zxid of the last data change.
    pub mzxid: Zxid,
    /// Create time, ms.
    pub ctime: i64,
    /// Last data change time, ms.
    pub mtime: i64,
    /// Data version.
    pub version: i32,
    /// Child version (creations only).
    pub cversion: i32,
    /// ACL version.
    pub aversion: i32,
    /// Owner session, or the container/TTL encodings.
    pub ephemeral_owner: i64,
    /// Zxid of the last child create/delete.
    pub pzxid: Zxid,
}

impl StatPersisted {
    /// Reads 60 bytes of `StatPersisted`.
    pub fn read(c: &mut Cursor<'_>) -> Result<StatPersisted, DecodeError> {
        if let Some(bytes) = c.rest().first_chunk::<STAT_PERSISTED_LEN>() {
            let stat = StatPersisted::from_array(bytes);
            c.read_bytes(STAT_PERSISTED_LEN)?;
            return Ok(stat);
        }
        // Short: read field by field, so the error names the field's offset.
        Ok(StatPersisted {
            czxid: Zxid(c.read_i64()?),
            mzxid: Zxid(c.read_i64()?),
            ctime: c.read_i64()?,
            mtime: c.read_i64()?,
            version: c.read_i32()?,
            cversion: c.read_i32()?,
            aversion: c.read_i32()?,
            ephemeral_owner: c.read_i64()?,
            pzxid: Zxid(c.read_i64()?),
        })
    }

    /// Decodes 60 bytes of `StatPersisted` (no bounds left to check).
    pub fn from_array(bytes: &[u8; STAT_PERSISTED_LEN]) -> StatPersisted {
        // Constant offsets inside a 60-byte array: the fallbacks are dead code.
        fn be<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
            b.get(at..)
                .and_then(|r| r.first_chunk::<N>())
                .copied()
                .unwrap_or([0; N])
        }
        let long = |at| i64::from_be_bytes(be(bytes, at));
        let int = |at| i32::from_be_bytes(be(bytes, at));
        StatPersisted {
            czxid: Zxid(long(0)),
            mzxid: Zxid(long(8)),
            ctime: long(16),
            mtime: long(24),
            version: int(32),
            cversion: int(36),
            aversion: int(40),
            ephemeral_owner: long(44),
            pzxid: Zxid(long(52)),
        }
    }
}

/// What kind of node an `ephemeralOwner` value encodes (`EphemeralType`,
/// with extended types enabled, as on servers that use TTL nodes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// Owner 0.
    Persistent,
    /// Owned by a session.
    Ephemeral(SessionId),
    /// Owner `Long.MIN_VALUE`.
    Container,
    /// Top byte 0xff, type 0: TTL in ms.
    Ttl(i64),
}

impl NodeKind {
    /// Classifies an `ephemeralOwner` value.
    pub fn of(owner: i64) -> NodeKind {
        let u = owner as u64;
        if owner == 0 {
            NodeKind::Persistent
        } else if owner == CONTAINER_OWNER {
            NodeKind::Container
        } else if u & EXTENDED_MASK == EXTENDED_MASK && u & EXTENDED_TYPE_MASK == 0 {
            NodeKind::Ttl(owner & MAX_TTL)
        } else {
            NodeKind::Ephemeral(SessionId(owner))
        }
    }

    /// The session owning the node, if it is a plain ephemeral.
    pub fn session(self) -> Option<SessionId> {
        match self {
            NodeKind::Ephemeral(s) => Some(s),
            _ => None,
        }
    }
}

/// One session entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionEntry {
    /// Session id.
    pub session: SessionId,
    /// Negotiated timeout in ms.
    pub timeout_ms: i32,
}

/// One ACL-cache entry: a server-local id and the list it stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AclCacheEntry<'a> {
    /// Absolute offset of the entry.
    pub offset: u64,
    /// The id nodes refer to.
    pub id: i64,
    /// The list; `None` for a null vector (which ZooKeeper's loader rejects).
    pub acl: Option<AclList<'a>>,
}

/// One node record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Node<'a> {
    /// Absolute offset of the record (its path length).
    pub offset: u64,
    /// Path as stored: "" for the root, "/a", "/a/b" for the rest.
    pub path: &'a [u8],
    /// Data; `None` for null.
    pub data: Option<&'a [u8]>,
    /// ACL-cache id; -1 = world:anyone with all permissions.
    pub acl_id: i64,
    /// Persisted stat.
    pub stat: StatPersisted,
}

impl<'a> Node<'a> {
    /// Offset just past the record: path, data, ACL id and stat.
    pub fn end_offset(&self) -> u64 {
        self.offset
            + 4
            + self.path.len() as u64
            + 4
            + self.data.map_or(0, |d| d.len() as u64)
            + 8
            + STAT_PERSISTED_LEN as u64
    }

    /// Path as users see it: "/" for the root.
    pub fn display_path(&self) -> &'a [u8] {
        if self.path.is_empty() {
            b"/"
        } else {
            self.path
        }
    }
}

/// A seal: the stored running Adler-32 and the one computed over the bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seal {
    /// Absolute offset of the stored value.
    pub offset: u64,
    /// Value in the file.
    pub stored: u64,
    /// Adler-32 of all bytes before `offset`.
    pub computed: u64,
    /// Whether the "/" marker string follows (ZooKeeper reads and ignores it).
    pub marker_ok: bool,
}

impl Seal {
    /// True when stored and computed agree.
    pub fn ok(&self) -> bool {
        self.stored == self.computed
    }
}

/// The digest value of a `ZxidDigest` section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DigestValue {
    /// Digest version ≥ 2: a long.
    Long(i64),
    /// Digest version < 2: a hex string (no release writes it).
    Hex(String),
}

/// The 3.6+ digest section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZxidDigest {
    /// Absolute offset of the section.
    pub offset: u64,
    /// The zxid the digest belongs to (≤ 0 means "none").
    pub zxid: Zxid,
    /// Digest algorithm version.
    pub version: i32,
    /// The digest.
    pub digest: DigestValue,
}

impl ZxidDigest {
    /// The digest as a number, when it is one.
    pub fn value(&self) -> Option<i64> {
        match self.digest {
            DigestValue::Long(v) => Some(v),
            DigestValue::Hex(ref s) => u64::from_str_radix(s, 16).ok().map(|v| v as i64),
        }
    }
}

/// Everything after the node records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trailer {
    /// Offset of the "/" terminator.
    pub terminator_offset: u64,
    /// Every seal, in file order.
    pub seals: Vec<Seal>,
    /// The digest section, if any.
    pub digest: Option<ZxidDigest>,
    /// 3.9+ lastProcessedZxid, if present.
    pub last_processed_zxid: Option<Zxid>,
    /// Offset just past the last byte read.
    pub end_offset: u64,
}

impl Trailer {
    /// The first seal whose value does not match, as an error.
    pub fn check_seals(&self) -> Result<(), DecodeError> {
        match self.seals.iter().find(|s| !s.ok()) {
            None => Ok(()),
            Some(s) => Err(DecodeError::new(
                DecodeErrorKind::ChecksumMismatch {
                    stored: s.stored,
                    computed: s.computed,
                },
                s.offset,
            )),
        }
    }
}

/// A snapshot stream (uncompressed bytes).
#[derive(Clone, Debug)]
pub struct Snapshot<'a> {
    data: &'a [u8],
    header: FileHeader,
    sessions: Vec<SessionEntry>,
    acl_cache: Vec<AclCacheEntry<'a>>,
    nodes_offset: usize,
    limits: Limits,
}

impl<'a> Snapshot<'a> {
    /// Reads the header, sessions and ACL cache; nodes are read lazily by [`Snapshot::nodes`].
    pub fn parse(data: &'a [u8], limits: Limits) -> Result<Snapshot<'a>, DecodeError> {
        let mut c = Cursor::new(data, 0);
        let header = FileHeader::read(&mut c, SNAP_MAGIC)?;
        // A session takes 12 bytes; an ACL-cache entry at least 12 (id + count).
        let count = c.read_vector_count(12)?.unwrap_or(0);
        let mut sessions = Vec::with_capacity(count);
        for _ in 0..count {
            sessions.push(SessionEntry {
                session: SessionId(c.read_i64()?),
                timeout_ms: c.read_i32()?,
            });
        }
        let count = c.read_vector_count(12)?.unwrap_or(0);
        let mut acl_cache = Vec::with_capacity(count);
        for _ in 0..count {
            let offset = c.offset();
            let id = c.read_i64()?;
            let acl = c.read_acl_list(&limits)?;
            acl_cache.push(AclCacheEntry { offset, id, acl });
        }
        Ok(Snapshot {
            data,
            header,
            sessions,
            acl_cache,
            nodes_offset: c.offset() as usize,
            limits,
        })
    }

    /// The file header.
    pub fn header(&self) -> &FileHeader {
        &self.header
    }
    /// Sessions in file order.
    pub fn sessions(&self) -> &[SessionEntry] {
        &self.sessions
    }
    /// ACL-cache entries in file order.
    pub fn acl_cache(&self) -> &[AclCacheEntry<'a>] {
        &self.acl_cache
    }
    /// Offset of the first node record.
    pub fn nodes_offset(&self) -> u64 {
        self.nodes_offset as u64
    }
    /// Length of the uncompressed stream.
    pub fn len(&self) -> usize {
        self.data.len()
    }
    /// True for an empty stream (never for a parsed snapshot).
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Resolves an ACL id the way the loader does: -1 is world:anyone/ALL.
    pub fn resolve_acl(&self, id: i64) -> Option<AclList<'a>> {
        if id == -1 {
            return Some(AclList::One(Acl {
                perms: 31,
                scheme: b"world",
                id: b"anyone",
            }));
        }
        self.acl_cache
            .iter()
            .find(|e| e.id == id)
            .and_then(|e| e.acl.clone())
    }

    /// Iterates the node records, then reads the trailer.
    pub fn nodes(&self) -> NodeIter<'a> {
        NodeIter {
            seal_sum: Some((RunningAdler32::new(), 0)),
            ..self.nodes_at(self.nodes_offset as u64)
        }
    }

    /// Iterates the node records from `offset`, which must be where a record
    /// starts (an offset [`Node::offset`] gave): a second pass over part of
    /// the nodes, e.g. on another thread.
    pub fn nodes_at(&self, offset: u64) -> NodeIter<'a> {
        NodeIter {
            data: self.data,
            pos: usize::try_from(offset).unwrap_or(usize::MAX),
            limits: self.limits,
            end: None,
            seal_sum: None,
        }
    }
}

/// Bytes summed at a time for the seals while iterating nodes.
const SEAL_SUM_STEP: usize = 256 << 10;

/// How a snapshot's node stream ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SnapshotEnd {
    /// The terminator and trailer were read; check the seals in it.
    Complete(Trailer),
    /// Reading failed.
    Corrupt(DecodeError),
}

/// Iterator over node records; fuses on the first error. [`NodeIter::end`]
/// gives the trailer or the error once it returns `None`.
#[derive(Clone, Debug)]
pub struct NodeIter<'a> {
    data: &'a [u8],
    pos: usize,
    limits: Limits,
    end: Option<SnapshotEnd>,
    /// The seals' Adler-32 of the bytes before the offset, kept up as the
    /// nodes are read so the bytes are summed while still in cache (and a
    /// caller may drop mapped pages behind the iterator). `None` from
    /// [`Snapshot::nodes_at`]: the trailer then sums from the start.
    seal_sum: Option<(RunningAdler32, usize)>,
}

impl<'a> NodeIter<'a> {
    /// How the stream ended, once the iterator returned `None`.
    pub fn end(&self) -> Option<&SnapshotEnd> {
        self.end.as_ref()
    }

    /// Takes the end out of the iterator.
    pub fn into_end(self) -> Option<SnapshotEnd> {
        self.end
    }

    fn step(&mut self) -> Result<Option<Node<'a>>, DecodeError> {
        let rest = self.data.get(self.pos..).unwrap_or(&[]);
        let offset = self.pos as u64;
        let mut c = Cursor::new(rest, offset);
        let path = c.read_string(&self.limits, "node path")?;
        if path == b"/" {
            let trailer = read_trailer(
                self.data,
                c.offset() as usize - 5,
                c.offset() as usize,
                self.seal_sum.take(),
            )?;
            self.end = Some(SnapshotEnd::Complete(trailer));
            return Ok(None);
        }
        let data = c.read_buffer(&self.limits)?;
        let acl_id = c.read_i64()?;
        let stat = StatPersisted::read(&mut c)?;
        self.pos = c.offset() as usize;
        if let Some((sum, summed)) = &mut self.seal_sum
            && self.pos - *summed >= SEAL_SUM_STEP
        {
            sum.update(self.data.get(*summed..self.pos).unwrap_or(&[]));
            *summed = self.pos;
        }
        Ok(Some(Node {
            offset,
            path,
            data,
            acl_id,
            stat,
        }))
    }
}

impl<'a> Iterator for NodeIter<'a> {
    type Item = Node<'a>;

    fn next(&mut self) -> Option<Node<'a>> {
        if self.end.is_some() {
            return None;
        }
        match self.step() {
            Ok(node) => node,
            Err(e) => {
                self.end = Some(SnapshotEnd::Corrupt(e));
                None
            }
        }
    }
}

impl std::iter::FusedIterator for NodeIter<'_> {}

/// Reads the seals and optional sections that follow the terminator.
fn read_trailer(
    data: &[u8],
    terminator: usize,
    after: usize,
    summed_so_far: Option<(RunningAdler32, usize)>,
) -> Result<Trailer, DecodeError> {
    let (mut adler, mut summed) = summed_so_far.unwrap_or_default();
    let mut seal_at = |c: &mut Cursor<'_>| -> Result<Seal, DecodeError> {
        let offset = c.offset() as usize;
        adler.update(data.get(summed..offset).unwrap_or(&[]));
        summed = offset;
        let stored = c.read_i64()? as u64;
        let marker = c.read_bytes(5)?;
        Ok(Seal {
            offset: offset as u64,
            stored,
            computed: u64::from(adler.value()),
            marker_ok: marker == SLASH_USTRING,
        })
    };
    let tail = data.get(after..).unwrap_or(&[]);
    let mut c = Cursor::new(tail, after as u64);
    let mut seals = vec![seal_at(&mut c)?];
    let mut digest = None;
    let mut last_processed_zxid = None;
    // 21 bytes = long + seal: lastProcessedZxid alone (3.9+ with digests off).
    if !c.is_empty() && c.remaining() != 21 {
        let offset = c.offset();
        let zxid = Zxid(c.read_i64()?);
        let version = c.read_i32()?;
        let value = if version >= 2 {
            DigestValue::Long(c.read_i64()?)
        } else {
            let s = c.read_string(&Limits::default(), "digest")?;
            DigestValue::Hex(String::from_utf8_lossy(s).into_owned())
        };
        digest = Some(ZxidDigest {
            offset,
            zxid,
            version,
            digest: value,
        });
        seals.push(seal_at(&mut c)?);
    }
    if c.remaining() == 21 {
        last_processed_zxid = Some(Zxid(c.read_i64()?));
        seals.push(seal_at(&mut c)?);
    }
    if !c.is_empty() {
        return Err(c.error(DecodeErrorKind::TrailingBytes(c.remaining() as u64)));
    }
    Ok(Trailer {
        terminator_offset: terminator as u64,
        seals,
        digest,
        last_processed_zxid,
        end_offset: c.offset(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_kinds_follow_ephemeral_type() {
        assert_eq!(NodeKind::of(0), NodeKind::Persistent);
        assert_eq!(NodeKind::of(i64::MIN), NodeKind::Container);
        assert_eq!(
            NodeKind::of(0xff00_0000_0009_27c0_u64 as i64),
            NodeKind::Ttl(600_000)
        );
        assert_eq!(
            NodeKind::of(0x0100_0005_bdca_0001),
            NodeKind::Ephemeral(SessionId(0x0100_0005_bdca_0001))
        );
        // Top byte 0xff but a non-zero extended type: not a TTL.
        assert!(matches!(
            NodeKind::of(0xff01_0000_0000_0001_u64 as i64),
            NodeKind::Ephemeral(_)
        ));
    }
}
