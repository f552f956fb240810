//! Writers for jute records, txn logs and snapshots: what `replay --output`
//! uses to produce a snapshot ZooKeeper loads, and what the round-trip tests
//! check the readers against. Output is byte-compatible with
//! `BinaryOutputArchive`, `FileTxnLog.append` and `FileSnap.serialize`.

use std::io::{self, Write};

use super::checksum::{RunningAdler32, adler32};
use super::compress::{Compression, SNAPPY_MAGIC};
use super::header::{SNAP_MAGIC, TXNLOG_MAGIC};
use super::jute::Acl;
use super::snapshot::{SLASH_USTRING, StatPersisted};
use super::txn::{CreateTxn, OpCode, SubTxn, Txn, TxnBody, TxnHeader};
use super::txnlog::END_OF_RECORD;
use crate::zxid::{SessionId, Zxid};

/// Appends jute primitives to a byte vector.
#[derive(Clone, Debug, Default)]
pub struct JuteBuf(pub Vec<u8>);

impl JuteBuf {
    /// An empty buffer.
    pub fn new() -> Self {
        JuteBuf(Vec::new())
    }
    /// `byte`.
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.0.push(v);
        self
    }
    /// `boolean`.
    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.u8(u8::from(v))
    }
    /// `int`.
    pub fn i32(&mut self, v: i32) -> &mut Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    /// `long`.
    pub fn i64(&mut self, v: i64) -> &mut Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    /// `buffer` / `ustring`; `None` writes -1.
    pub fn buffer(&mut self, v: Option<&[u8]>) -> &mut Self {
        match v {
            None => self.i32(-1),
            Some(b) => {
                self.i32(b.len() as i32);
                self.0.extend_from_slice(b);
                self
            }
        }
    }
    /// A non-null `ustring`.
    pub fn string(&mut self, v: &[u8]) -> &mut Self {
        self.buffer(Some(v))
    }
    /// `vector<ACL>`; `None` writes -1.
    pub fn acl_list(&mut self, acl: Option<&[Acl<'_>]>) -> &mut Self {
        match acl {
            None => self.i32(-1),
            Some(list) => {
                self.i32(list.len() as i32);
                for a in list {
                    self.i32(a.perms).string(a.scheme).string(a.id);
                }
                self
            }
        }
    }
    /// `StatPersisted`.
    pub fn stat(&mut self, s: &StatPersisted) -> &mut Self {
        self.i64(s.czxid.0)
            .i64(s.mzxid.0)
            .i64(s.ctime)
            .i64(s.mtime)
            .i32(s.version)
            .i32(s.cversion)
            .i32(s.aversion)
            .i64(s.ephemeral_owner)
            .i64(s.pzxid.0)
    }
    /// `TxnHeader`.
    pub fn txn_header(&mut self, h: &TxnHeader) -> &mut Self {
        self.i64(h.session.0)
            .i32(h.cxid)
            .i64(h.zxid.0)
            .i64(h.time)
            .i32(h.op.0)
    }
}

/// Encodes a txn (header, body, digest) as `Util.marshallTxnEntry` does.
pub fn encode_txn(txn: &Txn<'_>) -> Vec<u8> {
    let mut b = JuteBuf::new();
    b.txn_header(&txn.header);
    encode_body(&mut b, txn.header.op, &txn.body);
    if let Some(d) = txn.digest {
        b.i32(d.version).i64(d.tree);
    }
    b.0
}

fn encode_create(b: &mut JuteBuf, op: OpCode, c: &CreateTxn<'_>) {
    b.string(c.path).buffer(c.data).acl_list(c.acl.as_deref());
    match op {
        OpCode::CREATE_CONTAINER => {
            b.i32(c.parent_cversion);
        }
        OpCode::CREATE_TTL => {
            b.i32(c.parent_cversion).i64(c.ttl_ms.unwrap_or(0));
        }
        _ => {
            b.bool(c.ephemeral.unwrap_or(false));
            if !c.v0 {
                b.i32(c.parent_cversion);
            }
        }
    }
}

fn encode_body(b: &mut JuteBuf, op: OpCode, body: &TxnBody<'_>) {
    match body {
        TxnBody::CreateSession { timeout_ms } => {
            b.i32(*timeout_ms);
        }
        TxnBody::CloseSession { paths: None } => {}
        TxnBody::CloseSession { paths: Some(p) } => {
            b.i32(p.len() as i32);
            for path in p {
                b.string(path);
            }
        }
        TxnBody::Create(c) => encode_create(b, op, c),
        TxnBody::Delete { path } => {
            b.string(path);
        }
        TxnBody::SetData {
            path,
            data,
            version,
        } => {
            b.string(path).buffer(*data).i32(*version);
        }
        TxnBody::SetAcl { path, acl, version } => {
            b.string(path).acl_list(acl.as_deref()).i32(*version);
        }
        TxnBody::Check { path, version } => {
            b.string(path).i32(*version);
        }
        TxnBody::Error {
            rewritten: Some(sub),
            ..
        } => encode_body(b, sub.op, &sub.body),
        TxnBody::Error { err, .. } => {
            b.i32(*err);
        }
        TxnBody::Multi { ops } => {
            b.i32(ops.len() as i32);
            for SubTxn { op, body } in ops {
                let mut sub = JuteBuf::new();
                encode_body(&mut sub, *op, body);
                b.i32(op.0).buffer(Some(&sub.0));
            }
        }
        TxnBody::Invalid { data } => {
            b.0.extend_from_slice(data);
        }
    }
}

/// Builds a txn log in memory, as `FileTxnLog` writes it.
#[derive(Clone, Debug)]
pub struct TxnLogWriter {
    out: Vec<u8>,
}

impl Default for TxnLogWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl TxnLogWriter {
    /// A log holding only its header (magic, version 2, dbid 0).
    pub fn new() -> Self {
        let mut b = JuteBuf::new();
        b.0.extend_from_slice(&TXNLOG_MAGIC);
        b.i32(2).i64(0);
        TxnLogWriter { out: b.0 }
    }
    /// Appends one entry: checksum, length, txn bytes, 0x42.
    pub fn append_bytes(&mut self, txn_bytes: &[u8]) -> &mut Self {
        let mut b = JuteBuf(std::mem::take(&mut self.out));
        b.i64(i64::from(adler32(txn_bytes)));
        b.buffer(Some(txn_bytes));
        b.u8(END_OF_RECORD);
        self.out = b.0;
        self
    }
    /// Appends a txn.
    pub fn append(&mut self, txn: &Txn<'_>) -> &mut Self {
        self.append_bytes(&encode_txn(txn))
    }
    /// Bytes so far.
    pub fn len(&self) -> usize {
        self.out.len()
    }
    /// True if nothing at all was written (never: the header is there).
    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }
    /// The log, zero-padded to a multiple of `prealloc` bytes past the header
    /// the way `FilePadding` grows files (`None`: no padding).
    pub fn finish(mut self, prealloc: Option<u64>) -> Vec<u8> {
        let target = padded_log_len(self.out.len() as u64, prealloc);
        self.out.resize(target as usize, 0);
        self.out
    }
}

/// The length `FilePadding` gives a log holding `len` bytes (header
/// included): 16 + a whole number of `prealloc` steps (`None` or 0: `len`).
pub fn padded_log_len(len: u64, prealloc: Option<u64>) -> u64 {
    match prealloc.filter(|p| *p > 0) {
        Some(p) => (16 + len.div_ceil(p).max(1) * p).max(len),
        None => len,
    }
}

/// Bytes a [`SnapshotWriter`] gathers before checksumming and writing them:
/// small enough to stay in cache between the two passes.
const BLOCK: usize = 64 * 1024;

/// A writer that keeps the running Adler-32 of everything written. Records
/// are appended to a block; each full block is checksummed and written in
/// one call, so there is one copy per byte and few, large writes.
struct Checked<W: Write> {
    inner: W,
    adler: RunningAdler32,
    block: JuteBuf,
}

impl<W: Write> Checked<W> {
    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.block.0.extend_from_slice(bytes);
        self.maybe_flush()
    }
    fn maybe_flush(&mut self) -> io::Result<()> {
        if self.block.0.len() >= BLOCK {
            self.flush_block()?;
        }
        Ok(())
    }
    fn flush_block(&mut self) -> io::Result<()> {
        self.adler.update(&self.block.0);
        self.inner.write_all(&self.block.0)?;
        self.block.0.clear();
        Ok(())
    }
    fn seal(&mut self) -> io::Result<()> {
        self.flush_block()?;
        let v = i64::from(self.adler.value());
        self.put(&v.to_be_bytes())?;
        self.put(&SLASH_USTRING)
    }
}

/// Streams a snapshot: header, sessions, ACL cache, nodes (parents first),
/// then terminator, seal and the optional digest section with its seal.
pub struct SnapshotWriter<W: Write> {
    out: Checked<W>,
}

impl<W: Write> SnapshotWriter<W> {
    /// Writes the header, sessions and ACL cache.
    pub fn new(
        inner: W,
        sessions: &[(SessionId, i32)],
        acl_cache: &[(i64, Vec<Acl<'_>>)],
    ) -> io::Result<Self> {
        let mut b = JuteBuf(Vec::with_capacity(BLOCK + 1024));
        b.0.extend_from_slice(&SNAP_MAGIC);
        b.i32(2).i64(-1);
        b.i32(sessions.len() as i32);
        for (id, timeout) in sessions {
            b.i64(id.0).i32(*timeout);
        }
        b.i32(acl_cache.len() as i32);
        for (id, list) in acl_cache {
            b.i64(*id).acl_list(Some(list));
        }
        let mut out = Checked {
            inner,
            adler: RunningAdler32::new(),
            block: b,
        };
        out.maybe_flush()?;
        Ok(SnapshotWriter { out })
    }

    /// Writes one node; the root's path is "" on disk.
    pub fn node(
        &mut self,
        path: &[u8],
        data: Option<&[u8]>,
        acl_id: i64,
        stat: &StatPersisted,
    ) -> io::Result<()> {
        let path = if path == b"/" { &b""[..] } else { path };
        self.out
            .block
            .string(path)
            .buffer(data)
            .i64(acl_id)
            .stat(stat);
        self.out.maybe_flush()
    }

    /// Writes terminator and seal #1, then `digest` = (zxid, tree digest) as
    /// a version-2 section with seal #2 when given. Returns the inner writer.
    pub fn finish(self, digest: Option<(Zxid, i64)>) -> io::Result<W> {
        self.finish_with(digest, None)
    }

    /// [`finish`](Self::finish), then 3.9's `lastProcessedZxid` section
    /// with seal #3 when `last_processed` is given.
    pub fn finish_with(
        mut self,
        digest: Option<(Zxid, i64)>,
        last_processed: Option<Zxid>,
    ) -> io::Result<W> {
        self.out.put(&SLASH_USTRING)?;
        self.out.seal()?;
        if let Some((zxid, value)) = digest {
            let mut b = JuteBuf::new();
            b.i64(zxid.0).i32(2).i64(value);
            self.out.put(&b.0)?;
            self.out.seal()?;
        }
        if let Some(zxid) = last_processed {
            self.out.put(&zxid.0.to_be_bytes())?;
            self.out.seal()?;
        }
        self.out.flush_block()?;
        Ok(self.out.inner)
    }
}

/// Compresses a finished snapshot stream into its file container.
pub fn compress(stream: &[u8], compression: Compression) -> io::Result<Vec<u8>> {
    let mut c = Compressor::new(Vec::new(), compression)?;
    c.write_all(stream)?;
    c.finish()
}

/// A writer that compresses what it is given the way ZooKeeper's snapshot
/// containers do (`--output snapshot.X.gz`), or passes it through.
pub enum Compressor<W: Write> {
    /// No container.
    None(W),
    /// `GZIPOutputStream` (boxed: encoder states are large).
    Gzip(Box<flate2::write::GzEncoder<W>>),
    /// snappy-java's `SnappyOutputStream` (boxed likewise).
    Snappy(Box<SnappyWriter<W>>),
}

impl<W: Write> Compressor<W> {
    /// Starts the container on `inner`.
    pub fn new(inner: W, compression: Compression) -> io::Result<Self> {
        Ok(match compression {
            Compression::None => Compressor::None(inner),
            Compression::Gzip => Compressor::Gzip(Box::new(flate2::write::GzEncoder::new(
                inner,
                flate2::Compression::default(),
            ))),
            Compression::Snappy => Compressor::Snappy(Box::new(SnappyWriter::new(inner)?)),
        })
    }

    /// Ends the container and returns the inner writer.
    pub fn finish(self) -> io::Result<W> {
        match self {
            Compressor::None(w) => Ok(w),
            Compressor::Gzip(g) => (*g).finish(),
            Compressor::Snappy(s) => (*s).finish(),
        }
    }
}

impl<W: Write> Write for Compressor<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        match self {
            Compressor::None(w) => w.write(data),
            Compressor::Gzip(g) => g.write(data),
            Compressor::Snappy(s) => s.write(data),
        }
    }
    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        match self {
            Compressor::None(w) => w.write_all(data),
            Compressor::Gzip(g) => g.write_all(data),
            Compressor::Snappy(s) => s.write_all(data),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Compressor::None(w) => w.flush(),
            Compressor::Gzip(g) => g.flush(),
            Compressor::Snappy(s) => s.flush(),
        }
    }
}

/// Streams a snappy-java `SnappyOutputStream` container: the header, then
/// one raw Snappy block per 32 KiB of input (its default block size).
pub struct SnappyWriter<W: Write> {
    inner: W,
    buf: Vec<u8>,
    enc: snap::raw::Encoder,
}

impl<W: Write> SnappyWriter<W> {
    /// Writes the header.
    pub fn new(mut inner: W) -> io::Result<Self> {
        inner.write_all(&SNAPPY_MAGIC)?;
        inner.write_all(&1_i32.to_be_bytes())?;
        inner.write_all(&1_i32.to_be_bytes())?;
        Ok(SnappyWriter {
            inner,
            buf: Vec::with_capacity(32 * 1024),
            enc: snap::raw::Encoder::new(),
        })
    }

    fn block(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let block = self.enc.compress_vec(&self.buf).map_err(io::Error::other)?;
        self.inner.write_all(&(block.len() as i32).to_be_bytes())?;
        self.inner.write_all(&block)?;
        self.buf.clear();
        Ok(())
    }

    /// Writes the last block and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.block()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for SnappyWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = 32 * 1024 - self.buf.len();
        let n = room.min(data.len());
        self.buf.extend_from_slice(data.get(..n).unwrap_or(&[]));
        if self.buf.len() == 32 * 1024 {
            self.block()?;
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
