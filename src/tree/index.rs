//! Finding a live node by its path with one cache line of slots and then
//! the node itself, on trees of millions of nodes (see the layout notes of
//! the [parent module](super)).

use std::hash::Hasher;

use super::FastHasher;

/// Live nodes by path: open addressing with linear probing over one array
/// of `u64` slots, each the high 32 bits of the path's hash (the tag; its
/// top bits pick the home slot) and the node id. A lookup reads one cache
/// line of slots and then the node itself (no separate control bytes), and
/// growing never rehashes a path.
#[derive(Clone, Debug, Default)]
pub(super) struct PathIndex {
    /// A power of two long (or empty).
    slots: Vec<u64>,
    items: usize,
    tombs: usize,
}

/// A slot never used.
pub(super) const EMPTY: u64 = 0;
/// A slot whose entry was removed (probing goes on past it).
const TOMB: u64 = 1;

impl PathIndex {
    /// The tag of a hash: never 0, so an entry is never `EMPTY` or `TOMB`.
    #[inline]
    pub(super) fn tag(hash: u64) -> u32 {
        ((hash >> 32) as u32) | 1
    }

    #[inline]
    fn entry(tag: u32, id: u32) -> u64 {
        (u64::from(tag) << 32) | u64::from(id)
    }

    #[inline]
    fn home(&self, tag: u32) -> usize {
        let bits = self.slots.len().trailing_zeros();
        // The top `bits` bits of the tag (`bits` ≤ 32: see `grow`). An empty
        // table has `bits` = 64, which `wrapping_shl` turns into a shift by
        // 0: home 0, which `slot` reads as absent.
        (u64::from(tag).wrapping_shl(bits) >> 32) as usize
    }

    #[inline]
    fn mask(&self) -> usize {
        self.slots.len().wrapping_sub(1)
    }

    #[inline]
    pub(super) fn len(&self) -> usize {
        self.items
    }

    /// The home slot of `tag` (`EMPTY` if there is no table).
    #[inline]
    pub(super) fn slot(&self, tag: u32) -> u64 {
        self.slots.get(self.home(tag)).copied().unwrap_or(EMPTY)
    }

    /// The id of the entry with `hash` for which `eq` holds.
    #[inline]
    pub(super) fn find(&self, hash: u64, mut eq: impl FnMut(u32) -> bool) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let tag = Self::tag(hash);
        let mut i = self.home(tag);
        loop {
            let s = *self.slots.get(i)?;
            if s == EMPTY {
                return None;
            }
            if (s >> 32) as u32 == tag && eq(s as u32) {
                return Some(s as u32);
            }
            i = (i + 1) & self.mask();
        }
    }

    /// Adds an entry (the caller knows no entry for the same path exists).
    pub(super) fn insert(&mut self, hash: u64, id: u32) {
        self.reserve(1);
        let tag = Self::tag(hash);
        let mut i = self.home(tag);
        while let Some(s) = self.slots.get_mut(i) {
            if *s == EMPTY || *s == TOMB {
                if *s == TOMB {
                    self.tombs -= 1;
                }
                *s = Self::entry(tag, id);
                self.items += 1;
                return;
            }
            i = (i + 1) & self.mask();
        }
    }

    /// Removes the entry for node `id` with `hash`.
    pub(super) fn remove(&mut self, hash: u64, id: u32) {
        if self.slots.is_empty() {
            return;
        }
        let tag = Self::tag(hash);
        let want = Self::entry(tag, id);
        let mut i = self.home(tag);
        loop {
            let next = (i + 1) & self.mask();
            let after = self.slots.get(next).copied();
            let Some(s) = self.slots.get_mut(i) else {
                return;
            };
            if *s == EMPTY {
                return;
            }
            if *s == want {
                // No probe sequence runs past an empty successor: the slot
                // can be empty again instead of a tombstone.
                if after == Some(EMPTY) {
                    *s = EMPTY;
                } else {
                    *s = TOMB;
                    self.tombs += 1;
                }
                self.items -= 1;
                return;
            }
            i = next;
        }
    }

    /// Makes room for `more` entries, keeping the table at most 5/8 full
    /// (tombstones included).
    pub(super) fn reserve(&mut self, more: usize) {
        let used = self.items + self.tombs + more;
        if used * 8 <= self.slots.len() * 5 {
            return;
        }
        let want = ((self.items + more) * 2).max(16).next_power_of_two();
        self.grow(want.min(1 << 32));
    }

    /// Rebuilds the table with `len` slots (dropping tombstones).
    fn grow(&mut self, len: usize) {
        let old = std::mem::replace(&mut self.slots, vec![EMPTY; len]);
        self.tombs = 0;
        let mask = self.mask();
        for s in old.into_iter().filter(|&s| s != EMPTY && s != TOMB) {
            let mut i = self.home((s >> 32) as u32);
            while let Some(slot) = self.slots.get_mut(i) {
                if *slot == EMPTY {
                    *slot = s;
                    break;
                }
                i = (i + 1) & mask;
            }
        }
    }
}

/// The index's hash of a key.
#[inline]
pub(super) fn hash_key(key: &[u8]) -> u64 {
    let mut h = FastHasher::default();
    h.write(key);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_index_empty_insert_remove_and_grow() {
        let mut ix = PathIndex::default();
        // An empty table answers every question without touching a slot.
        assert_eq!(ix.slot(PathIndex::tag(hash_key(b"/a"))), EMPTY);
        assert_eq!(ix.find(hash_key(b"/a"), |_| true), None);
        ix.remove(hash_key(b"/a"), 0);
        let keys: Vec<Vec<u8>> = (0..1000u32)
            .map(|i| format!("/n{i}").into_bytes())
            .collect();
        for (id, k) in (0u32..).zip(&keys) {
            ix.insert(hash_key(k), id);
        }
        assert_eq!(ix.len(), keys.len());
        for (id, k) in (0u32..).zip(&keys) {
            assert_eq!(ix.find(hash_key(k), |i| i == id), Some(id));
        }
        for (id, k) in (0u32..).zip(&keys).step_by(2) {
            ix.remove(hash_key(k), id);
        }
        for (id, k) in (0u32..).zip(&keys) {
            let found = ix.find(hash_key(k), |i| i == id);
            assert_eq!(found, (id % 2 == 1).then_some(id), "{}", id);
        }
    }
}
