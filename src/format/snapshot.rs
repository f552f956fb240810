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
use super::compress::Decoder;
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
            seal_sum: Some(SealSum::start(self.data, self.nodes_offset)),
            ..self.nodes_at(self.nodes_offset as u64)
        }
    }

    /// Iterates the node records from `offset`, which must be where a record
    /// starts (an offset [`Node::offset`] gave): a second pass over part of
    /// the nodes, e.g. on another thread.
    pub fn nodes_at(&self, offset: u64) -> NodeIter<'a> {
        NodeIter {
            data: self.data,
            base: 0,
            pos: usize::try_from(offset).unwrap_or(usize::MAX),
            limits: self.limits,
            end: None,
            seal_sum: None,
        }
    }
}

/// Iterates node records held in `data`, whose first byte is the record at
/// absolute offset `base`: a run of records a [`SnapshotStream`] handed out
/// (see [`SnapshotStream::record_bytes`]), read again on another thread.
pub fn nodes_in(data: &[u8], base: u64, limits: Limits) -> NodeIter<'_> {
    NodeIter {
        data,
        base,
        pos: 0,
        limits,
        end: None,
        seal_sum: None,
    }
}

/// Bytes summed at a time for the seals while iterating nodes.
const SEAL_SUM_STEP: usize = 256 << 10;

/// The seals' Adler-32 while a [`NodeIter`] reads a whole mapped snapshot,
/// summed a block ahead of the records: summing reads the block into the
/// cache at memory speed, where parsing fresh memory stalls on the stat at
/// the end of each record (the first pass of `dump` over a 689 MiB snapshot:
/// 0.25 s summing behind, 0.13 s ahead). A caller may drop mapped pages
/// behind the iterator.
#[derive(Clone, Debug)]
struct SealSum {
    /// Adler-32 of `data[..from]`.
    before: RunningAdler32,
    from: usize,
    /// Adler-32 of `data[..to]`: `before` and the block ahead.
    ahead: RunningAdler32,
    to: usize,
}

impl SealSum {
    /// Sums up to the first block past `pos`.
    fn start(data: &[u8], pos: usize) -> SealSum {
        let mut sum = SealSum {
            before: RunningAdler32::new(),
            from: 0,
            ahead: RunningAdler32::new(),
            to: 0,
        };
        sum.advance(data, pos);
        sum
    }

    /// Once the records reach `pos`, the block ahead is behind them: sums
    /// the next one, to a block past `pos`.
    fn advance(&mut self, data: &[u8], pos: usize) {
        self.before = self.ahead.clone();
        self.from = self.to;
        self.to = pos
            .saturating_add(SEAL_SUM_STEP)
            .min(data.len())
            .max(self.from);
        self.ahead
            .update(data.get(self.from..self.to).unwrap_or_default());
    }
}

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
    /// Absolute offset of `data[0]`.
    base: u64,
    pos: usize,
    limits: Limits,
    end: Option<SnapshotEnd>,
    /// The seals' Adler-32, kept up as the nodes are read. `None` from
    /// [`Snapshot::nodes_at`] and [`nodes_in`]: the trailer then sums from
    /// the start.
    seal_sum: Option<SealSum>,
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
        let offset = self.base + self.pos as u64;
        let mut c = Cursor::new(rest, offset);
        let Some(node) = read_node(&mut c, &self.limits)? else {
            let after = c.offset();
            let trailer = read_trailer(
                self.data,
                self.base,
                after - 5,
                after,
                self.seal_sum.take().map_or_else(
                    || (RunningAdler32::new(), self.base),
                    |sum| (sum.before, self.base + sum.from as u64),
                ),
            )?;
            self.end = Some(SnapshotEnd::Complete(trailer));
            return Ok(None);
        };
        self.pos += (c.offset() - offset) as usize;
        if let Some(sum) = &mut self.seal_sum
            && self.pos >= sum.to
        {
            sum.advance(self.data, self.pos);
        }
        Ok(Some(node))
    }
}

/// Reads one node record; `None` when the cursor is at the "/" terminator
/// (then consumed).
fn read_node<'a>(c: &mut Cursor<'a>, limits: &Limits) -> Result<Option<Node<'a>>, DecodeError> {
    let offset = c.offset();
    if let Some((node, len)) = node_in_place(c.rest(), offset, limits) {
        c.read_bytes(len)?;
        return Ok(Some(node));
    }
    let path = c.read_string(limits, "node path")?;
    if path == b"/" {
        return Ok(None);
    }
    let data = c.read_buffer(limits)?;
    let acl_id = c.read_i64()?;
    let stat = StatPersisted::read(c)?;
    Ok(Some(Node {
        offset,
        path,
        data,
        acl_id,
        stat,
    }))
}

/// The common case of [`read_node`], a whole, plain record at the start of
/// `rest`, with its length; `None` for anything else (the terminator, a null
/// or damaged length, a short record), which `read_node` reads field by
/// field to name the error. Slices and constant offsets instead of a cursor:
/// this is the loop of every pass over a snapshot.
#[inline(always)]
fn node_in_place<'a>(rest: &'a [u8], offset: u64, limits: &Limits) -> Option<(Node<'a>, usize)> {
    let length = |at: usize| -> Option<Option<usize>> {
        let len = i32::from_be_bytes(*rest.get(at..)?.first_chunk::<4>()?);
        match len {
            -1 => Some(None),
            0.. if len as u64 <= limits.max_length => Some(Some(len as usize)),
            _ => None,
        }
    };
    let path_len = length(0)??;
    let path = rest.get(4..4 + path_len)?;
    if path == b"/" {
        return None;
    }
    let data_at = 4 + path_len;
    let data_len = length(data_at)?;
    let acl_at = data_at + 4 + data_len.unwrap_or(0);
    let data = match data_len {
        Some(_) => Some(rest.get(data_at + 4..acl_at)?),
        None => None,
    };
    let acl_id = i64::from_be_bytes(*rest.get(acl_at..)?.first_chunk::<8>()?);
    let stat = rest
        .get(acl_at + 8..)?
        .first_chunk::<STAT_PERSISTED_LEN>()?;
    let node = Node {
        offset,
        path,
        data,
        acl_id,
        stat: StatPersisted::from_array(stat),
    };
    Some((node, acl_at + 8 + STAT_PERSISTED_LEN))
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

/// Bytes asked of the decoder at a time by [`SnapshotStream`].
const STREAM_STEP: usize = 1 << 20;
/// Bytes kept after the node records for the trailer and for ZooKeeper's
/// lenient reading of a damaged end: the sections are a few dozen bytes,
/// but a damaged string length may reach 1 MiB (ZooKeeper's limit), and a
/// hex digest up to the default limit.
const STREAM_TAIL: usize = 4 << 20;

/// The bytes from where a snapshot's node stream stopped, with the
/// Adler-32 of everything before them: what [`crate::format::verdict`] needs
/// to say how ZooKeeper reads a damaged end.
#[derive(Clone, Debug)]
pub struct StreamTail<'a> {
    /// The bytes from the stop (up to a few MiB; see `more`).
    pub bytes: &'a [u8],
    /// Adler-32 of every byte before `bytes`.
    pub adler: RunningAdler32,
    /// True when the stream goes on after `bytes`.
    pub more: bool,
}

impl<'a> StreamTail<'a> {
    /// The tail of a whole stream held in memory, from `at`.
    pub fn of(stream: &'a [u8], at: u64) -> StreamTail<'a> {
        let at = usize::try_from(at).unwrap_or(usize::MAX).min(stream.len());
        let mut adler = RunningAdler32::new();
        adler.update(stream.get(..at).unwrap_or(&[]));
        StreamTail {
            bytes: stream.get(at..).unwrap_or(&[]),
            adler,
            more: false,
        }
    }
}

/// A snapshot read as a stream, in memory bounded by the largest record
/// whatever the file's size: the way to read `.gz` and `.snappy` snapshots,
/// and any snapshot that is not mapped. The node records are handed out one
/// at a time ([`SnapshotStream::next_node`]); the seals are summed as the
/// bytes go by, which the cumulative seals allow.
pub struct SnapshotStream<R: std::io::Read> {
    src: Decoder<R>,
    /// Bytes of the stream from absolute offset `base`.
    buf: Vec<u8>,
    base: u64,
    /// Index in `buf` of the next record.
    pos: usize,
    src_done: bool,
    /// Adler-32 of the stream before absolute offset `summed`.
    adler: RunningAdler32,
    summed: u64,
    limits: Limits,
    end: Option<SnapshotEnd>,
    /// Where the node records stopped, once they did.
    stop: Option<u64>,
    /// Bytes after `STREAM_TAIL` that were counted and dropped.
    dropped: u64,
    /// Bytes asked of the decoder at a time.
    step: usize,
}

impl<R: std::io::Read> std::fmt::Debug for SnapshotStream<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnapshotStream")
            .field("base", &self.base)
            .field("pos", &self.pos)
            .field("end", &self.end)
            .finish_non_exhaustive()
    }
}

/// Errors that may only mean the bytes read so far end too soon.
fn needs_more(e: &DecodeError) -> bool {
    matches!(
        e.kind(),
        DecodeErrorKind::UnexpectedEof { .. } | DecodeErrorKind::CountTooLarge { .. }
    )
}

impl<R: std::io::Read> SnapshotStream<R> {
    /// A stream over what `src` decodes.
    pub fn new(src: Decoder<R>, limits: Limits) -> Self {
        SnapshotStream {
            src,
            buf: Vec::new(),
            base: 0,
            pos: 0,
            src_done: false,
            adler: RunningAdler32::new(),
            summed: 0,
            limits,
            end: None,
            stop: None,
            dropped: 0,
            step: STREAM_STEP,
        }
    }

    /// Reads `step` bytes at a time instead of 1 MiB (the tests cut records
    /// at every boundary with tiny steps).
    pub fn with_step(mut self, step: usize) -> Self {
        self.step = step.max(1);
        self
    }

    /// Sums the bytes before absolute offset `to` into the seals' Adler-32.
    fn sum_to(&mut self, to: u64) {
        if to > self.summed {
            let from = (self.summed - self.base) as usize;
            let upto = (to - self.base) as usize;
            self.adler.update(self.buf.get(from..upto).unwrap_or(&[]));
            self.summed = to;
        }
    }

    /// Reads more of the stream after what is buffered, first dropping the
    /// bytes before the next record; false at the end.
    fn more(&mut self) -> std::io::Result<bool> {
        if self.src_done {
            return Ok(false);
        }
        if self.pos > 0 {
            self.sum_to(self.base + self.pos as u64);
            self.buf.drain(..self.pos);
            self.base += self.pos as u64;
            self.pos = 0;
        }
        let before = self.buf.len();
        while self.buf.len() - before < self.step.div_ceil(2) {
            if self.src.fill(&mut self.buf, self.step)? == 0 {
                self.src_done = true;
                break;
            }
        }
        Ok(self.buf.len() > before)
    }

    /// Reads the header, sessions and ACL cache, and returns their bytes,
    /// which [`Snapshot::parse`] reads again to give them to the caller;
    /// `Err` when they are damaged (the error a whole reading gives).
    pub fn prefix(&mut self) -> std::io::Result<Result<Vec<u8>, DecodeError>> {
        loop {
            let parsed = Snapshot::parse(&self.buf, self.limits).map(|s| s.nodes_offset());
            match parsed {
                Err(e) if needs_more(&e) && !self.src_done => {
                    self.more_keeping_all()?;
                }
                Err(e) => {
                    // Read on to learn of damage in the container behind it.
                    self.stopped(0)?;
                    self.end = Some(SnapshotEnd::Corrupt(e.clone()));
                    return Ok(Err(e));
                }
                Ok(at) => {
                    self.pos = at as usize;
                    self.sum_to(at);
                    return Ok(Ok(self.buf.get(..self.pos).unwrap_or(&[]).to_vec()));
                }
            }
        }
    }

    /// Like [`SnapshotStream::more`], for the prefix, which must stay whole.
    fn more_keeping_all(&mut self) -> std::io::Result<()> {
        if self.src.fill(&mut self.buf, self.step)? == 0 {
            self.src_done = true;
        }
        Ok(())
    }

    /// The next node record; `None` once the records end, then
    /// [`SnapshotStream::end`] says how. Call [`SnapshotStream::prefix`] first.
    pub fn next_node(&mut self) -> std::io::Result<Option<Node<'_>>> {
        if self.end.is_some() {
            return Ok(None);
        }
        loop {
            let offset = self.base + self.pos as u64;
            let rest = self.buf.get(self.pos..).unwrap_or(&[]);
            let mut c = Cursor::new(rest, offset);
            match read_node(&mut c, &self.limits) {
                Ok(Some(_)) => break,
                Ok(None) => {
                    self.trailer(offset)?;
                    return Ok(None);
                }
                Err(e) if needs_more(&e) && !self.src_done => {
                    self.more()?;
                }
                Err(e) => {
                    self.stopped(offset)?;
                    self.end = Some(SnapshotEnd::Corrupt(e));
                    return Ok(None);
                }
            }
        }
        let offset = self.base + self.pos as u64;
        let rest = self.buf.get(self.pos..).unwrap_or(&[]);
        let mut c = Cursor::new(rest, offset);
        let node = read_node(&mut c, &self.limits).ok().flatten();
        self.pos += (c.offset() - offset) as usize;
        Ok(node)
    }

    /// The bytes of the records from absolute offset `from` to `to`, while
    /// they are still buffered: those of the node [`SnapshotStream::next_node`]
    /// returned last are, until it is called again.
    pub fn record_bytes(&self, from: u64, to: u64) -> Option<&[u8]> {
        let from = usize::try_from(from.checked_sub(self.base)?).ok()?;
        let to = usize::try_from(to.checked_sub(self.base)?).ok()?;
        self.buf.get(from..to)
    }

    /// Buffers what follows `at` (where the records stopped), up to
    /// `STREAM_TAIL` bytes, counting and dropping the rest.
    fn stopped(&mut self, at: u64) -> std::io::Result<()> {
        self.stop = Some(at);
        while !self.src_done && self.buf.len() - self.pos < STREAM_TAIL {
            self.more()?;
        }
        self.sum_to(at);
        let mut scratch = Vec::new();
        while !self.src_done {
            scratch.clear();
            let n = self.src.fill(&mut scratch, STREAM_STEP)?;
            if n == 0 {
                self.src_done = true;
            }
            self.dropped += n as u64;
        }
        Ok(())
    }

    /// Reads the trailer after the terminator at absolute offset `at`.
    fn trailer(&mut self, at: u64) -> std::io::Result<()> {
        self.stopped(at)?;
        let tail = self.buf.get(self.pos..).unwrap_or(&[]);
        let summed = (self.adler.clone(), at);
        let end = match read_trailer(tail, at, at, at + 5, summed) {
            Ok(t) => SnapshotEnd::Complete(t),
            Err(e) => SnapshotEnd::Corrupt(match e.kind() {
                DecodeErrorKind::TrailingBytes(n) if self.dropped > 0 => {
                    DecodeError::new(DecodeErrorKind::TrailingBytes(n + self.dropped), e.offset())
                }
                _ => e,
            }),
        };
        self.end = Some(end);
        Ok(())
    }

    /// How the stream ended, once [`SnapshotStream::next_node`] returned `None`.
    pub fn end(&self) -> Option<&SnapshotEnd> {
        self.end.as_ref()
    }

    /// Where the node records stopped (the terminator, or the first record
    /// that could not be read), once they did.
    pub fn nodes_end(&self) -> Option<u64> {
        self.stop
    }

    /// The bytes from where the records stopped, for
    /// [`crate::format::verdict::trailer_problems`].
    pub fn tail(&self) -> StreamTail<'_> {
        StreamTail {
            bytes: self.buf.get(self.pos..).unwrap_or(&[]),
            adler: self.adler.clone(),
            more: self.dropped > 0,
        }
    }

    /// The damage in the compressed container that ended the stream, if any.
    pub fn container_error(&self) -> Option<&DecodeError> {
        self.src.error()
    }

    /// Bytes of the uncompressed stream read so far.
    pub fn stream_len(&self) -> u64 {
        self.base + self.buf.len() as u64 + self.dropped
    }
}

/// Reads the seals and optional sections that follow the terminator.
/// `data` holds the stream from absolute offset `base` to its end; `summed`
/// is the Adler-32 of the bytes before the offset paired with it (≥ `base`).
fn read_trailer(
    data: &[u8],
    base: u64,
    terminator: u64,
    after: u64,
    summed: (RunningAdler32, u64),
) -> Result<Trailer, DecodeError> {
    let (mut adler, mut summed) = summed;
    let rel = |abs: u64| usize::try_from(abs.saturating_sub(base)).unwrap_or(usize::MAX);
    let mut seal_at = |c: &mut Cursor<'_>| -> Result<Seal, DecodeError> {
        let offset = c.offset();
        adler.update(data.get(rel(summed)..rel(offset)).unwrap_or(&[]));
        summed = offset;
        let stored = c.read_i64()? as u64;
        let marker = c.read_bytes(5)?;
        Ok(Seal {
            offset,
            stored,
            computed: u64::from(adler.value()),
            marker_ok: marker == SLASH_USTRING,
        })
    };
    let tail = data.get(rel(after)..).unwrap_or(&[]);
    let mut c = Cursor::new(tail, after);
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
        terminator_offset: terminator,
        seals,
        digest,
        last_processed_zxid,
        end_offset: c.offset(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::compress::{Compression, decompress};

    /// Every node, the end and the verdict's view of the end, read whole.
    fn whole(file: &[u8], compression: Compression) -> (Vec<String>, String) {
        let d = decompress(file, compression);
        let snap = match Snapshot::parse(&d.data, Limits::default()) {
            Ok(s) => s,
            Err(e) => return (Vec::new(), format!("prefix {e:?} {:?}", d.error)),
        };
        let mut nodes = Vec::new();
        let mut it = snap.nodes();
        let mut nodes_end = snap.nodes_offset();
        for n in &mut it {
            nodes_end = n.end_offset();
            nodes.push(format!("{n:?}"));
        }
        let end = it.into_end().unwrap();
        let problems =
            crate::format::verdict::trailer_problems(&end, || StreamTail::of(&d.data, nodes_end));
        let problems: Vec<_> = problems
            .iter()
            .map(|p| (p.code, p.offset, &p.message, p.rejects.clone()))
            .collect();
        (
            nodes,
            format!("{end:?} {problems:?} {:?} len {}", d.error, d.data.len()),
        )
    }

    fn streamed(file: &[u8], compression: Compression, step: usize) -> (Vec<String>, String) {
        let src = Decoder::new(file, file.len() as u64, compression);
        let mut st = SnapshotStream::new(src, Limits::default()).with_step(step);
        match st.prefix().unwrap() {
            Ok(prefix) => {
                // The prefix parses again on its own.
                Snapshot::parse(&prefix, Limits::default()).unwrap();
            }
            Err(e) => {
                return (
                    Vec::new(),
                    format!("prefix {e:?} {:?}", st.container_error()),
                );
            }
        }
        let mut nodes = Vec::new();
        while let Some(n) = st.next_node().unwrap() {
            let (from, to) = (n.offset, n.end_offset());
            nodes.push(format!("{n:?}"));
            let raw = st.record_bytes(from, to).unwrap().to_vec();
            let again: Vec<_> = nodes_in(&raw, from, Limits::default()).take(1).collect();
            assert_eq!(format!("{:?}", again[0]), *nodes.last().unwrap());
        }
        let end = st.end().unwrap().clone();
        let problems = crate::format::verdict::trailer_problems(&end, || st.tail());
        let problems: Vec<_> = problems
            .iter()
            .map(|p| (p.code, p.offset, &p.message, p.rejects.clone()))
            .collect();
        (
            nodes,
            format!(
                "{end:?} {problems:?} {:?} len {}",
                st.container_error(),
                st.stream_len()
            ),
        )
    }

    #[test]
    fn streaming_reads_every_real_snapshot_and_its_damage_as_a_whole_reading_does() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
        let mut files = 0;
        for entry in walkdir::WalkDir::new(&root) {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            if !entry.file_type().is_file() || !name.starts_with("snapshot.") {
                continue;
            }
            let compression = Compression::from_name(&name);
            let file = std::fs::read(entry.path()).unwrap();
            files += 1;
            let mut variants = vec![file.clone()];
            // Cut anywhere, and damaged anywhere: every end a reader can meet.
            let n = file.len();
            for cut in [
                0,
                3,
                9,
                n / 3,
                n / 2,
                n.saturating_sub(30),
                n.saturating_sub(5),
                n.saturating_sub(1),
            ] {
                variants.push(file[..cut.min(n)].to_vec());
            }
            for at in [
                20,
                n / 2,
                n.saturating_sub(40),
                n.saturating_sub(20),
                n.saturating_sub(3),
            ] {
                if let Some(b) = file.get(at) {
                    let mut v = file.clone();
                    v[at] = b ^ 0x41;
                    variants.push(v);
                }
            }
            let mut longer = file.clone();
            longer.extend_from_slice(&[0; 33]);
            variants.push(longer);
            for v in &variants {
                let expect = whole(v, compression);
                for step in [1, 7, 64, 4096, 1 << 20] {
                    assert_eq!(
                        streamed(v, compression, step),
                        expect,
                        "{} ({} bytes) step {step}",
                        entry.path().display(),
                        v.len()
                    );
                }
            }
        }
        assert!(files >= 10, "only {files} snapshots under testdata");
    }

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
