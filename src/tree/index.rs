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
const EMPTY: u64 = 0;
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
    use std::collections::{HashMap, HashSet};

    use proptest::prelude::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

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

    /// Keys of the model test, by number; each has a hash in a table.
    const KEYS: usize = 96;

    /// One step of the model test. After every step every key is looked up.
    #[derive(Clone, Debug)]
    enum Op {
        /// Adds key `k` if absent: with a new id, or (`fresh` false) the id
        /// freed last, as the tree's slab reuses ids.
        Insert { k: usize, fresh: bool },
        /// Removes key `k`; if absent, removes an entry that is not there.
        Remove(usize),
        /// Adds the absent keys among `n` keys from `from` on: growth.
        Burst { from: usize, n: usize },
        /// Removes the present keys among `n` keys from `from` on: many
        /// removed slots at once.
        Clear { from: usize, n: usize },
    }

    /// A hash per key. Crowded ones take their top bits from a few values,
    /// so that keys share home slots (long probe runs, runs that wrap past
    /// the last slot, removes in the middle of a run) and often whole tags
    /// (told apart by id only); or the real hashes of paths.
    fn hashes() -> impl Strategy<Value = Vec<u64>> {
        let crowded = |top_bits: u32| {
            proptest::collection::vec((0u64..1 << top_bits, 0u64..4, any::<u32>()), KEYS).prop_map(
                move |v| {
                    v.into_iter()
                        .map(|(top, low, rest)| {
                            top << (64 - top_bits) | low << 32 | u64::from(rest)
                        })
                        .collect::<Vec<u64>>()
                },
            )
        };
        prop_oneof![
            crowded(3),
            crowded(6),
            Just(
                (0..KEYS)
                    .map(|k| hash_key(format!("/n{k}").as_bytes()))
                    .collect::<Vec<u64>>()
            ),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0..KEYS, any::<bool>()).prop_map(|(k, fresh)| Op::Insert { k, fresh }),
            3 => (0..KEYS).prop_map(Op::Remove),
            1 => (0..KEYS, 1..KEYS / 2).prop_map(|(from, n)| Op::Burst { from, n }),
            1 => (0..KEYS, 1..KEYS / 2).prop_map(|(from, n)| Op::Clear { from, n }),
        ]
    }

    /// How often a run went through the cases the model test is for.
    #[derive(Debug, Default)]
    struct Seen {
        /// Inserts into the slot of a removed entry.
        reused: usize,
        /// Removes that emptied the slot (the successor was empty).
        emptied: usize,
        /// Removes that left a removed-entry mark.
        marked: usize,
        /// Rebuilds of a table that held removed-entry marks.
        grown_with_marks: usize,
        /// Inserts of a key that was removed before.
        reinserted: usize,
    }

    /// The index and the model it must agree with.
    #[derive(Default)]
    struct Model {
        ix: PathIndex,
        ids: HashMap<usize, u32>,
        keys: HashMap<u32, usize>,
        freed: Vec<u32>,
        next_id: u32,
        removed: HashSet<usize>,
        seen: Seen,
    }

    impl Model {
        fn insert(&mut self, hashes: &[u64], k: usize, fresh: bool) {
            if self.ids.contains_key(&k) {
                return;
            }
            let id = match self.freed.pop() {
                Some(id) if !fresh => id,
                other => {
                    self.freed.extend(other);
                    self.next_id += 1;
                    self.next_id
                }
            };
            let (before, marks) = (self.ix.slots.as_ptr(), self.ix.tombs);
            self.ix.insert(hashes[k], id);
            let rebuilt = self.ix.slots.as_ptr() != before;
            self.seen.grown_with_marks += usize::from(rebuilt && marks > 0);
            self.seen.reused += usize::from(!rebuilt && self.ix.tombs < marks);
            self.seen.reinserted += usize::from(self.removed.contains(&k));
            self.ids.insert(k, id);
            self.keys.insert(id, k);
        }

        fn remove(&mut self, hashes: &[u64], k: usize) {
            let marks = self.ix.tombs;
            match self.ids.remove(&k) {
                Some(id) => {
                    self.ix.remove(hashes[k], id);
                    self.keys.remove(&id);
                    self.freed.push(id);
                    self.removed.insert(k);
                    self.seen.emptied += usize::from(self.ix.tombs == marks);
                    self.seen.marked += usize::from(self.ix.tombs > marks);
                }
                // No entry has this id.
                None => self.ix.remove(hashes[k], u32::MAX),
            }
        }

        fn step(&mut self, hashes: &[u64], op: &Op) {
            match *op {
                Op::Insert { k, fresh } => self.insert(hashes, k, fresh),
                Op::Remove(k) => self.remove(hashes, k),
                Op::Burst { from, n } => {
                    for k in (from..from + n).map(|k| k % KEYS) {
                        self.insert(hashes, k, true);
                    }
                }
                Op::Clear { from, n } => {
                    for k in (from..from + n).map(|k| k % KEYS) {
                        self.remove(hashes, k);
                    }
                }
            }
        }

        /// Every key's lookup and the length agree with the model; the
        /// counts agree with the slots; the table is at most 5/8 full.
        fn check(&self, hashes: &[u64]) -> Result<(), TestCaseError> {
            prop_assert_eq!(self.ix.len(), self.ids.len());
            for (k, &h) in hashes.iter().enumerate() {
                let found = self.ix.find(h, |id| self.keys.get(&id) == Some(&k));
                prop_assert_eq!(found, self.ids.get(&k).copied(), "key {}", k);
            }
            let live = self.ix.slots.iter().filter(|&&s| s != EMPTY && s != TOMB);
            let marks = self.ix.slots.iter().filter(|&&s| s == TOMB);
            prop_assert_eq!(
                (live.count(), marks.count()),
                (self.ix.items, self.ix.tombs)
            );
            prop_assert!((self.ix.items + self.ix.tombs) * 8 <= self.ix.slots.len() * 5);
            Ok(())
        }
    }

    fn run(hashes: &[u64], ops: &[Op]) -> Result<Seen, TestCaseError> {
        let mut m = Model::default();
        for op in ops {
            m.step(hashes, op);
            m.check(hashes)?;
        }
        Ok(m.seen)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// `PathIndex` against a `HashMap`: inserts, removes, re-inserts of
        /// removed keys and lookups, with enough inserts to grow the table
        /// while it holds removed slots.
        #[test]
        fn path_index_agrees_with_a_hash_map(
            hashes in hashes(),
            ops in proptest::collection::vec(op(), 1..160),
        ) {
            run(&hashes, &ops)?;
        }
    }

    /// The model test's sequences do reach what it is for.
    #[test]
    fn path_index_model_sequences_cover_the_tricky_cases() {
        let mut runner = TestRunner::deterministic();
        let cases = (hashes(), proptest::collection::vec(op(), 1..160));
        let mut all = Seen::default();
        for _ in 0..64 {
            let (hashes, ops) = cases.new_tree(&mut runner).unwrap().current();
            let s = run(&hashes, &ops).unwrap();
            all.reused += s.reused;
            all.emptied += s.emptied;
            all.marked += s.marked;
            all.grown_with_marks += s.grown_with_marks;
            all.reinserted += s.reinserted;
        }
        assert!(
            all.reused > 0
                && all.emptied > 0
                && all.marked > 0
                && all.grown_with_marks > 0
                && all.reinserted > 0,
            "{all:?}"
        );
    }
}
