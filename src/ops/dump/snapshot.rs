//! Dumping a snapshot in two passes: the first checks the whole stream and
//! counts what is not stored on disk (children per node, ephemerals per
//! session), cutting the nodes into chunks; the second renders the chunks
//! on several threads, in order.
//!
//! A mapped snapshot is read in place. A compressed or unmapped one is read
//! as a stream twice ([`first_pass_stream`], [`render_stream_nodes`]), so
//! memory stays flat whatever its size: the first pass keeps a count per
//! node, the second a few chunks of records at a time.

use std::io::{self, Read};
use std::path::Path;

use super::{Filter, NodeFormat};
use crate::error::Error;
use crate::files::par::{self, Flow};
use crate::files::source::Bytes;
use crate::format::jute::{AclList, Limits};
use crate::format::snapshot::{
    Node, NodeIter, NodeKind, Snapshot, SnapshotEnd, SnapshotStream, nodes_in,
};
use crate::tree::parents::ParentFinder;
use crate::tree::{FastMap, path_hash128};
use crate::zxid::SessionId;

/// Bytes of node records per chunk of a snapshot.
pub const SNAPSHOT_CHUNK_BYTES: u64 = 2 << 20;

/// A mapped snapshot's pages are dropped behind each pass in steps of this
/// many bytes, which bounds what stays resident (`dump --json` of a 2.8 GiB
/// snapshot: 117 MiB peak RSS with 64 MiB steps, 56 MiB with these).
const RELEASE_STEP: u64 = 16 << 20;

/// A run of nodes one worker renders.
#[derive(Clone, Copy, Debug)]
struct Chunk {
    /// Offset of the first node record.
    start: u64,
    /// Nodes in the chunk.
    nodes: usize,
    /// Ordinal of the first node.
    first: usize,
}

/// What the first pass over a snapshot found.
#[derive(Debug)]
pub struct FirstPass {
    /// Children per node ordinal.
    children: Vec<u32>,
    chunks: Vec<Chunk>,
    /// Ephemeral nodes per owner session.
    pub ephemerals: FastMap<SessionId, u64>,
    /// Nodes read.
    pub node_count: u64,
    /// Offset just past the last node record read.
    pub nodes_end: u64,
    /// How the stream ended (`None`: not at all, the iterator stopped early).
    pub end: Option<SnapshotEnd>,
}

/// Reads every node of `snap` once; `stream` (its bytes) is told which
/// pages are done with, to keep resident memory flat on huge mapped files.
pub fn first_pass(snap: &Snapshot<'_>, stream: &Bytes) -> FirstPass {
    let mut children: Vec<u32> = Vec::new();
    let mut parents = ParentFinder::new();
    let mut ephemerals: FastMap<SessionId, u64> = FastMap::default();
    let mut chunks: Vec<Chunk> = Vec::new();
    let mut node_count = 0u64;
    let mut iter = snap.nodes();
    let (mut chunk_start, mut chunk_nodes) = (snap.nodes_offset(), 0usize);
    let mut released = 0u64;
    let mut nodes_end = snap.nodes_offset();
    for node in &mut iter {
        nodes_end = node.end_offset();
        let ord = children.len();
        children.push(0);
        node_count += 1;
        if node.offset - chunk_start >= SNAPSHOT_CHUNK_BYTES {
            chunks.push(Chunk {
                start: chunk_start,
                nodes: chunk_nodes,
                first: ord - chunk_nodes,
            });
            (chunk_start, chunk_nodes) = (node.offset, 0);
            if node.offset - released >= RELEASE_STEP {
                // Keep resident memory flat on huge mapped snapshots.
                stream.release_before(node.offset as usize);
                released = node.offset;
            }
        }
        chunk_nodes += 1;
        let parent = node
            .path
            .iter()
            .rposition(|&b| b == b'/')
            .map(|i| node.path.get(..i).unwrap_or_default());
        // Ordinals fit in u32: a node record takes more than 32 bytes.
        let found = parents.add(ord as u32, node.path, parent, || {
            snap.nodes().take(ord).map(|n| n.path)
        });
        if let Some(count) = found.and_then(|p| children.get_mut(p as usize)) {
            *count += 1;
        }
        if let Some(s) = NodeKind::of(node.stat.ephemeral_owner).session() {
            *ephemerals.entry(s).or_default() += 1;
        }
    }
    if chunk_nodes > 0 {
        chunks.push(Chunk {
            start: chunk_start,
            nodes: chunk_nodes,
            first: children.len() - chunk_nodes,
        });
    }
    drop(parents);
    FirstPass {
        children,
        chunks,
        ephemerals,
        node_count,
        nodes_end,
        end: iter.into_end(),
    }
}

/// Renders the nodes `filter` passes with `format` on `threads` threads and
/// hands the bytes to `emit` in file order, until it says stop.
pub fn render_nodes<F: NodeFormat>(
    snap: &Snapshot<'_>,
    pass: &FirstPass,
    filter: &Filter,
    format: &F,
    threads: usize,
    stream: &Bytes,
    mut emit: impl FnMut(&[u8]) -> Result<Flow, Error>,
) -> Result<(), Error> {
    let acls = acl_table(snap);
    let render = |chunk: Chunk| {
        let nodes = snap.nodes_at(chunk.start).take(chunk.nodes);
        let text = render_chunk(nodes, chunk.first, pass, filter, format, &acls);
        (chunk.start, text)
    };
    let mut released = 0u64;
    par::ordered(
        threads,
        pass.chunks.iter().copied(),
        render,
        |(start, text): (u64, Vec<u8>)| -> Result<Flow, Error> {
            let flow = emit(&text)?;
            if start - released >= RELEASE_STEP {
                stream.release_before(start as usize);
                released = start;
            }
            Ok(flow)
        },
    )
}

/// ACL lists by id, resolved once, as `Snapshot::resolve_acl` would.
fn acl_table<'a>(snap: &Snapshot<'a>) -> FastMap<i64, Option<AclList<'a>>> {
    let mut acls: FastMap<i64, Option<AclList<'_>>> = FastMap::default();
    acls.insert(-1, snap.resolve_acl(-1));
    for e in snap.acl_cache() {
        acls.entry(e.id).or_insert_with(|| e.acl.clone());
    }
    acls
}

/// The lines of the nodes `filter` passes among `nodes`, the first of which
/// is node `first`.
fn render_chunk<'n, F: NodeFormat>(
    nodes: impl Iterator<Item = Node<'n>>,
    first: usize,
    pass: &FirstPass,
    filter: &Filter,
    format: &F,
    acls: &FastMap<i64, Option<AclList<'_>>>,
) -> Vec<u8> {
    let mut text = Vec::with_capacity(SNAPSHOT_CHUNK_BYTES as usize * 3 / 2);
    let mut state = F::State::default();
    let counts = pass.children.get(first..).unwrap_or_default();
    for (node, &num_children) in nodes.zip(counts) {
        if !filter.matches_node(node.display_path()) {
            continue;
        }
        let acl = acls.get(&node.acl_id).and_then(Option::as_deref);
        format.node(&node, acl, u64::from(num_children), &mut text, &mut state);
    }
    text
}

/// [`first_pass`] of a snapshot read as a stream whose prefix was read;
/// `each` sees every node (for `--stats`). Paths are kept as hashes, and
/// `reopen` gives a fresh stream for the rare snapshot whose nodes are not
/// in depth-first order (see [`ParentFinder`]).
pub fn first_pass_stream<R: Read>(
    stream: &mut SnapshotStream<R>,
    nodes_offset: u64,
    mut reopen: impl FnMut() -> io::Result<SnapshotStream<R>>,
    mut each: impl FnMut(&Node<'_>),
) -> io::Result<FirstPass> {
    let mut children: Vec<u32> = Vec::new();
    let mut parents: ParentFinder<u128> = ParentFinder::new();
    let mut ephemerals: FastMap<SessionId, u64> = FastMap::default();
    let mut failed = None;
    while let Some(node) = stream.next_node()? {
        let ord = children.len();
        children.push(0);
        let parent = node
            .path
            .iter()
            .rposition(|&b| b == b'/')
            .map(|i| path_hash128(node.path.get(..i).unwrap_or_default()));
        let earlier = || {
            earlier_paths(&mut reopen, ord).unwrap_or_else(|e| {
                failed = Some(e);
                Vec::new()
            })
        };
        // Ordinals fit in u32: a node record takes more than 32 bytes.
        let found = parents.add(ord as u32, path_hash128(node.path), parent, earlier);
        if let Some(count) = found.and_then(|p| children.get_mut(p as usize)) {
            *count += 1;
        }
        if let Some(s) = NodeKind::of(node.stat.ephemeral_owner).session() {
            *ephemerals.entry(s).or_default() += 1;
        }
        each(&node);
    }
    if let Some(e) = failed {
        return Err(e);
    }
    Ok(FirstPass {
        node_count: children.len() as u64,
        children,
        chunks: Vec::new(),
        ephemerals,
        nodes_end: stream.nodes_end().unwrap_or(nodes_offset),
        end: stream.end().cloned(),
    })
}

/// Hashes of the paths of nodes `0..count`, from a fresh stream.
fn earlier_paths<R: Read>(
    reopen: &mut impl FnMut() -> io::Result<SnapshotStream<R>>,
    count: usize,
) -> io::Result<Vec<u128>> {
    let mut stream = reopen()?;
    let mut paths = Vec::new();
    if stream.prefix()?.is_ok() {
        while paths.len() < count {
            let Some(node) = stream.next_node()? else {
                break;
            };
            paths.push(path_hash128(node.path));
        }
    }
    Ok(paths)
}

/// Record bytes of a stream cut into chunks for [`render_stream_nodes`].
struct StreamChunks<R: Read> {
    stream: SnapshotStream<R>,
    /// Ordinal of the next node.
    next: usize,
    /// Nodes the first pass read: no more are rendered.
    count: usize,
    failed: Option<io::Error>,
}

/// One chunk: the records of nodes `first..first + nodes`, from absolute
/// offset `start`.
struct OwnedChunk {
    start: u64,
    first: usize,
    nodes: usize,
    records: Vec<u8>,
}

impl<R: Read> Iterator for StreamChunks<R> {
    type Item = OwnedChunk;

    fn next(&mut self) -> Option<OwnedChunk> {
        let mut chunk = OwnedChunk {
            start: 0,
            first: self.next,
            nodes: 0,
            records: Vec::new(),
        };
        while self.next < self.count && (chunk.records.len() as u64) < SNAPSHOT_CHUNK_BYTES {
            let (from, to) = match self.stream.next_node() {
                Ok(Some(node)) => (node.offset, node.end_offset()),
                Ok(None) => break,
                Err(e) => {
                    self.failed = Some(e);
                    break;
                }
            };
            if chunk.nodes == 0 {
                chunk.start = from;
            }
            chunk
                .records
                .extend_from_slice(self.stream.record_bytes(from, to).unwrap_or_default());
            chunk.nodes += 1;
            self.next += 1;
        }
        (chunk.nodes > 0).then_some(chunk)
    }
}

/// [`render_nodes`] of a snapshot read as a stream: `stream` is a fresh one
/// whose prefix was read, `snap` that prefix; `path` names the file in errors.
#[allow(clippy::too_many_arguments)]
pub fn render_stream_nodes<F: NodeFormat, R: Read + Send>(
    path: &Path,
    snap: &Snapshot<'_>,
    pass: &FirstPass,
    filter: &Filter,
    format: &F,
    threads: usize,
    stream: SnapshotStream<R>,
    limits: Limits,
    mut emit: impl FnMut(&[u8]) -> Result<Flow, Error>,
) -> Result<(), Error> {
    let acls = acl_table(snap);
    let mut chunks = StreamChunks {
        stream,
        next: 0,
        count: usize::try_from(pass.node_count).unwrap_or(usize::MAX),
        failed: None,
    };
    let render = |chunk: OwnedChunk| {
        let nodes: NodeIter<'_> = nodes_in(&chunk.records, chunk.start, limits);
        render_chunk(
            nodes.take(chunk.nodes),
            chunk.first,
            pass,
            filter,
            format,
            &acls,
        )
    };
    par::ordered(threads, &mut chunks, render, |text: Vec<u8>| emit(&text))?;
    if let Some(e) = chunks.failed {
        return Err(Error::io(path, e));
    }
    if (chunks.next as u64) < pass.node_count && chunks.stream.end().is_some() {
        return Err(Error::io(
            path,
            io::Error::other(format!(
                "the snapshot changed while it was read: {} nodes on the first pass, {} on the second",
                pass.node_count, chunks.next
            )),
        ));
    }
    Ok(())
}
