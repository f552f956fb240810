//! `zkdd dump`'s engines: which txns and nodes to show ([`filter`]), the
//! `--stats` counts ([`stats`]), and the passes over a log ([`log`]), a
//! snapshot ([`snapshot`]) and a live log ([`follow`]). They read on several
//! threads and hand their caller rendered bytes in file order; how one txn
//! or node looks is the caller's [`TxnFormat`] / [`NodeFormat`], so nothing
//! here knows JSON or text.

pub mod filter;
pub mod follow;
pub mod log;
pub mod snapshot;
pub mod stats;

use crate::format::jute::Acl;
use crate::format::snapshot::Node;
use crate::format::txnlog::TxnEntry;

pub use filter::Filter;
pub use stats::{Counter, NodeStats, Stats, StatsReport};

/// Writes one txn as a line (JSON or text) for a dump.
pub trait TxnFormat: Sync {
    /// Scratch kept by one worker across the txns of a chunk (a time cache).
    type State: Default;
    /// Appends the line for `entry`, newline included, to `out`.
    fn txn(&self, entry: &TxnEntry<'_>, out: &mut Vec<u8>, state: &mut Self::State);
}

/// Writes one snapshot node as a line (JSON or text) for a dump.
pub trait NodeFormat: Sync {
    /// Scratch kept by one worker across the nodes of a chunk.
    type State: Default;
    /// Appends the line for `node` (its resolved ACL list, `None` when the
    /// id is missing from the cache, and its child count), newline included.
    fn node(
        &self,
        node: &Node<'_>,
        acl: Option<&[Acl<'_>]>,
        num_children: u64,
        out: &mut Vec<u8>,
        state: &mut Self::State,
    );
}
