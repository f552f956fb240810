//! Keeping a node's bytes where they already are (the snapshot or log
//! record it was read from, or else one allocation), with its path next to
//! its data so that the lookup that compares the path also brings in the
//! data; and the node's links in the slab (see the layout notes of the
//! [parent module](super)).

use std::sync::Arc;

use super::{AclRef, NONE};
use crate::files::source::Bytes;
use crate::format::snapshot::StatPersisted;

/// Where a node's path and data bytes are.
#[derive(Clone, Debug)]
enum Blob {
    /// Path, then data, in one allocation.
    Owned(Box<[u8]>),
    /// A node record of the snapshot stream the node was loaded from, from
    /// its path on: path, data length, data. Loading copies nothing.
    Shared { buf: Arc<Bytes>, start: usize },
}

/// A node's path (its key) and data, side by side so that a lookup that
/// compares the path has also brought in the start of the data.
#[derive(Clone, Debug)]
pub(super) struct PathData {
    blob: Blob,
    pub(super) key_len: usize,
    pub(super) data_len: usize,
    /// Null data (distinct from empty).
    null: bool,
}

impl PathData {
    pub(super) fn owned(key: &[u8], data: Option<&[u8]>) -> PathData {
        let d = data.unwrap_or(&[]);
        let mut v = Vec::with_capacity(key.len() + d.len());
        v.extend_from_slice(key);
        v.extend_from_slice(d);
        PathData {
            blob: Blob::Owned(v.into_boxed_slice()),
            key_len: key.len(),
            data_len: d.len(),
            null: data.is_none(),
        }
    }

    /// Refers to a node record in `stream` when `key` and `data` are its
    /// path and data (a jute string, then a jute buffer), else copies them.
    #[inline]
    pub(super) fn in_stream(
        key: &[u8],
        data: Option<&[u8]>,
        stream: Option<&Arc<Bytes>>,
    ) -> PathData {
        let Some(buf) = stream else {
            return PathData::owned(key, data);
        };
        let base = buf.as_ptr() as usize;
        let start = (key.as_ptr() as usize).wrapping_sub(base);
        let data_ok = data.is_none_or(|d| {
            (d.as_ptr() as usize).wrapping_sub(base) == start.wrapping_add(key.len() + 4)
        });
        let end = start
            .checked_add(key.len() + 4)
            .and_then(|e| e.checked_add(data.map_or(0, <[u8]>::len)));
        if !data_ok || end.is_none_or(|e| e > buf.len()) {
            return PathData::owned(key, data);
        }
        PathData {
            blob: Blob::Shared {
                buf: Arc::clone(buf),
                start,
            },
            key_len: key.len(),
            data_len: data.map_or(0, <[u8]>::len),
            null: data.is_none(),
        }
    }

    pub(super) fn vacant() -> PathData {
        PathData {
            blob: Blob::Owned(Box::default()),
            key_len: 0,
            data_len: 0,
            null: true,
        }
    }

    /// The bytes from the path on, and where the data starts in them.
    #[inline]
    fn bytes(&self) -> (&[u8], usize) {
        match &self.blob {
            Blob::Owned(b) => (b, self.key_len),
            Blob::Shared { buf, start } => (buf.get(*start..).unwrap_or(&[]), self.key_len + 4),
        }
    }

    #[inline]
    pub(super) fn key(&self) -> &[u8] {
        self.bytes().0.get(..self.key_len).unwrap_or(&[])
    }

    #[inline]
    pub(super) fn data(&self) -> Option<&[u8]> {
        if self.null {
            return None;
        }
        let (b, at) = self.bytes();
        Some(b.get(at..at + self.data_len).unwrap_or(&[]))
    }

    /// The bytes of `file` this refers to (0 when elsewhere).
    #[inline]
    pub(super) fn bytes_in(&self, file: Option<&Arc<Bytes>>) -> u64 {
        match (&self.blob, file) {
            (Blob::Shared { buf, .. }, Some(f)) if Arc::ptr_eq(buf, f) => {
                (self.key_len + 4 + self.data_len) as u64
            }
            _ => 0,
        }
    }

    /// The same path with other data.
    pub(super) fn with_data(&self, data: Option<&[u8]>) -> PathData {
        PathData::owned(self.key(), data)
    }
}

/// One znode. Nodes live in a slab and refer to each other by index: the
/// parent, and the children as a doubly linked list in insertion order.
/// A node whose parent was deleted or replaced (an orphan) has no parent
/// link and is unreachable from the root, as in ZooKeeper's map.
#[derive(Clone, Debug)]
pub struct TreeNode {
    pub(super) pd: PathData,
    pub(super) stat: StatPersisted,
    pub(super) acl: AclRef,
    pub(super) digest: u32,
    pub(super) parent: u32,
    pub(super) first_child: u32,
    pub(super) last_child: u32,
    pub(super) prev: u32,
    pub(super) next: u32,
    pub(super) num_children: u32,
    pub(super) live: bool,
}

impl TreeNode {
    pub(super) fn vacant() -> TreeNode {
        TreeNode {
            pd: PathData::vacant(),
            stat: StatPersisted::default(),
            acl: AclRef::OPEN_UNSAFE,
            digest: 0,
            parent: NONE,
            first_child: NONE,
            last_child: NONE,
            prev: NONE,
            next: NONE,
            num_children: 0,
            live: false,
        }
    }
    /// Data; `None` for null (distinct from empty).
    pub fn data(&self) -> Option<&[u8]> {
        self.pd.data()
    }
    /// The ACL reference (resolve with [`DataTree::acl`](super::DataTree::acl)).
    pub fn acl_ref(&self) -> AclRef {
        self.acl
    }
    /// The persisted stat.
    pub fn stat(&self) -> &StatPersisted {
        &self.stat
    }
    /// Derived `numChildren`.
    pub fn num_children(&self) -> usize {
        self.num_children as usize
    }
    /// Derived `dataLength` (0 for null).
    pub fn data_length(&self) -> usize {
        self.pd.data_len
    }
    /// This node's contribution to the tree digest.
    pub fn digest(&self) -> u32 {
        self.digest
    }
}
