//! Finding each snapshot node's parent in one pass, by ordinal.
//!
//! ZooKeeper writes a snapshot's nodes depth first, parents before their
//! children (`DataTree.serializeNode`), so the parent of a node is one of
//! the ancestors of the node before it: a stack of paths finds it with a
//! compare or two and no hashing. A snapshot written in any other order
//! (another tool, damage) still works: the first time the stack cannot
//! answer, every path seen so far goes into a hash map, which answers from
//! then on.
//!
//! A path is a key `K`: the path's bytes when they stay in memory (a mapped
//! snapshot), or a hash of them when the snapshot is read as a stream.

use std::hash::Hash;

use crate::tree::FastMap;

/// Parents by ordinal; see the module docs.
#[derive(Debug)]
pub struct ParentFinder<K> {
    /// Ancestors of the last node, root first, while the order allows.
    stack: Vec<(u32, K)>,
    /// Every path seen (the last ordinal of each), once it did not.
    seen: Option<FastMap<K, u32>>,
}

impl<K> Default for ParentFinder<K> {
    fn default() -> Self {
        ParentFinder {
            stack: Vec::new(),
            seen: None,
        }
    }
}

impl<K: Copy + Eq + Hash> ParentFinder<K> {
    /// A finder for nodes 0, 1, 2, ...
    pub fn new() -> Self {
        Self::default()
    }

    /// Records node `ord` with `path`, whose parent's path is `parent`
    /// (`None` for the root), and returns the parent's ordinal: the last
    /// node before it with that path, or `None` when there is none.
    /// `earlier` lists the paths of nodes `0..ord` in order; it is called
    /// at most once, the first time the nodes are not in depth-first order.
    pub fn add<I>(
        &mut self,
        ord: u32,
        path: K,
        parent: Option<K>,
        earlier: impl FnOnce() -> I,
    ) -> Option<u32>
    where
        I: IntoIterator<Item = K>,
    {
        let found = match (parent, &self.seen) {
            (None, _) => {
                self.stack.clear();
                None
            }
            (Some(p), Some(seen)) => seen.get(&p).copied(),
            (Some(p), None) => {
                while self.stack.last().is_some_and(|&(_, k)| k != p) {
                    self.stack.pop();
                }
                match self.stack.last() {
                    Some(&(o, _)) => Some(o),
                    None => {
                        let seen: FastMap<K, u32> = earlier().into_iter().zip(0..).collect();
                        let found = seen.get(&p).copied();
                        self.seen = Some(seen);
                        found
                    }
                }
            }
        };
        match &mut self.seen {
            None => self.stack.push((ord, path)),
            Some(seen) => {
                seen.insert(path, ord);
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parents(paths: &[&'static str]) -> Vec<Option<u32>> {
        let all: Vec<&[u8]> = paths.iter().map(|p| p.as_bytes()).collect();
        let mut f = ParentFinder::new();
        (0u32..)
            .zip(&all)
            .map(|(ord, &path)| {
                let parent = path.iter().rposition(|&b| b == b'/').map(|i| &path[..i]);
                f.add(ord, path, parent, || all[..ord as usize].iter().copied())
            })
            .collect()
    }

    #[test]
    fn depth_first_and_any_other_order_give_the_same_parents() {
        let dfs = ["", "/a", "/a/x", "/a/x/1", "/a/y", "/b", "/b/z", "/c"];
        assert_eq!(
            parents(&dfs),
            vec![
                None,
                Some(0),
                Some(1),
                Some(2),
                Some(1),
                Some(0),
                Some(5),
                Some(0)
            ]
        );
        // /a/y comes after /b: the stack loses /a, the map still has it.
        let shuffled = ["", "/a", "/b", "/a/y", "/b/z", "/q/lost", "/a/y/1"];
        assert_eq!(
            parents(&shuffled),
            vec![None, Some(0), Some(0), Some(1), Some(2), None, Some(3)]
        );
        // A path stored twice: children find the later one.
        let twice = ["", "/a", "/a", "/a/x"];
        assert_eq!(parents(&twice), vec![None, Some(0), Some(0), Some(2)]);
    }
}
