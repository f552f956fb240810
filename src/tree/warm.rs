//! Overlapping the cache misses of many lookups: on a tree of millions of
//! nodes nearly every lookup misses the cache, so a batch of txns (or of
//! snapshot nodes) has its slots and nodes touched together before it is
//! applied, instead of each miss waiting for the one before.

use super::index::{PathIndex, hash_key};
use super::{DataTree, NONE, split_parent};
use crate::format::txn::{Txn, TxnBody};

/// Most paths [`DataTree::warm`] looks at in one call.
pub(super) const WARM_MAX: usize = 128;

impl DataTree {
    /// Brings into cache what applying `txns` will look up: for each path
    /// (and a create's or delete's parent) its index slot, its node and the
    /// start of its path bytes, one stage for all paths before the next, so
    /// the cache misses of many lookups overlap instead of queueing one
    /// after the other. Changes nothing; a stale guess only costs a read.
    pub fn warm<'t>(&self, txns: impl IntoIterator<Item = &'t Txn<'t>>) {
        let mut keys: [&[u8]; WARM_MAX] = [&[]; WARM_MAX];
        let mut n = 0;
        let mut add = |k: &'t [u8], parent: bool| {
            for k in [
                Some(k),
                parent.then(|| split_parent(k).map(|(p, _)| p)).flatten(),
            ]
            .into_iter()
            .flatten()
            {
                if let Some(slot) = keys.get_mut(n) {
                    *slot = k;
                    n += 1;
                }
            }
        };
        for t in txns {
            match &t.body {
                TxnBody::SetData { path, .. } | TxnBody::SetAcl { path, .. } => add(path, false),
                TxnBody::Create(c) => add(c.path, true),
                TxnBody::Delete { path } => add(path, true),
                TxnBody::Multi { ops } => {
                    for op in ops {
                        match &op.body {
                            TxnBody::SetData { path, .. } => add(path, false),
                            TxnBody::Create(c) => add(c.path, true),
                            TxnBody::Delete { path } => add(path, true),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        self.warm_keys(keys.get(..n).unwrap_or(&[]));
    }

    /// [`DataTree::warm`] for up to `WARM_MAX` paths.
    pub(super) fn warm_keys(&self, keys: &[&[u8]]) {
        let n = keys.len().min(WARM_MAX);
        let mut tags = [0u32; WARM_MAX];
        for (k, tag) in keys.iter().zip(tags.iter_mut()) {
            *tag = PathIndex::tag(hash_key(k));
        }
        // A tight loop of independent loads, without branches: the misses
        // overlap.
        let mut ids = [NONE; WARM_MAX];
        for (tag, id) in tags.iter().zip(ids.iter_mut()).take(n) {
            let s = self.index.slot(*tag);
            *id = if (s >> 32) as u32 == *tag {
                s as u32
            } else {
                NONE
            };
        }
        let mut acc = 0u64;
        for id in ids.get(..n).unwrap_or(&[]) {
            if let Some(node) = self.node(*id) {
                acc ^= node.stat.mzxid.0 as u64 ^ node.pd.key_len as u64;
            }
        }
        for id in ids.get(..n).unwrap_or(&[]) {
            if let Some(node) = self.node(*id) {
                let k = node.pd.key();
                acc ^= u64::from(k.first().copied().unwrap_or(0) ^ k.last().copied().unwrap_or(0));
            }
        }
        std::hint::black_box(acc);
    }
}
