//! Dumping a snapshot in two passes: the first checks the whole stream and
//! counts what is not stored on disk (children per node, ephemerals per
//! session), cutting the nodes into chunks; the second renders the chunks
//! on several threads, in order.

use super::{Filter, NodeFormat};
use crate::error::Error;
use crate::files::par::{self, Flow};
use crate::files::source::Bytes;
use crate::format::jute::AclList;
use crate::format::snapshot::{NodeKind, Snapshot, SnapshotEnd};
use crate::tree::FastMap;
use crate::tree::parents::ParentFinder;
use crate::zxid::SessionId;

/// Bytes of node records per chunk of a snapshot.
pub const SNAPSHOT_CHUNK_BYTES: u64 = 2 << 20;

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
            if node.offset - released >= 64 << 20 {
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
    // Resolved once per id, as `Snapshot::resolve_acl` would.
    let mut acls: FastMap<i64, Option<AclList<'_>>> = FastMap::default();
    acls.insert(-1, snap.resolve_acl(-1));
    for e in snap.acl_cache() {
        acls.entry(e.id).or_insert_with(|| e.acl.clone());
    }
    let render = |chunk: Chunk| {
        let mut text = Vec::with_capacity(SNAPSHOT_CHUNK_BYTES as usize * 3 / 2);
        let mut state = F::State::default();
        let counts = pass.children.get(chunk.first..).unwrap_or_default();
        for (node, &num_children) in snap.nodes_at(chunk.start).take(chunk.nodes).zip(counts) {
            if !filter.matches_node(node.display_path()) {
                continue;
            }
            let acl = acls.get(&node.acl_id).and_then(Option::as_deref);
            format.node(&node, acl, u64::from(num_children), &mut text, &mut state);
        }
        (chunk.start, text)
    };
    let mut released = 0u64;
    par::ordered(
        threads,
        pass.chunks.iter().copied(),
        render,
        |(start, text): (u64, Vec<u8>)| -> Result<Flow, Error> {
            let flow = emit(&text)?;
            if start - released >= 64 << 20 {
                stream.release_before(start as usize);
                released = start;
            }
            Ok(flow)
        },
    )
}
