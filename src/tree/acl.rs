//! Keeping each distinct ACL list once per tree, counted, so that a node
//! carries a 4-byte reference and a written snapshot gets a compact ACL
//! cache, the way `ReferenceCountedACLCache` does.
//!
//! See: `ReferenceCountedACLCache.java` (3.8.0).

use super::{FastMap, FastSet};
use crate::format::jute::Acl;

/// One ACL entry with owned bytes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OwnedAcl {
    /// Permission bits.
    pub perms: i32,
    /// Scheme bytes.
    pub scheme: Box<[u8]>,
    /// Id bytes.
    pub id: Box<[u8]>,
}

impl OwnedAcl {
    /// Copies a borrowed ACL.
    pub fn from_acl(a: &Acl<'_>) -> OwnedAcl {
        OwnedAcl {
            perms: a.perms,
            scheme: a.scheme.into(),
            id: a.id.into(),
        }
    }
    /// Borrows it as the reader's type.
    pub fn as_acl(&self) -> Acl<'_> {
        Acl {
            perms: self.perms,
            scheme: &self.scheme,
            id: &self.id,
        }
    }
}

/// `OPEN_ACL_UNSAFE`: world:anyone with all permissions (ACL id -1).
pub fn open_acl_unsafe() -> Vec<OwnedAcl> {
    vec![OwnedAcl {
        perms: 31,
        scheme: (*b"world").into(),
        id: (*b"anyone").into(),
    }]
}

/// A node's ACL: an index into the tree's [`AclTable`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AclRef(pub(super) u32);

impl AclRef {
    /// ZooKeeper's id -1: a null list, read as `OPEN_ACL_UNSAFE`.
    pub const OPEN_UNSAFE: AclRef = AclRef(0);
}

#[derive(Clone, Debug)]
enum AclSlot {
    /// The -1 id.
    OpenUnsafe,
    /// A list, with its reference count.
    List(Box<[OwnedAcl]>),
    /// A snapshot node referred to an id missing from the snapshot's cache.
    Missing(i64),
}

/// Interned ACL lists, like `ReferenceCountedACLCache`: each distinct list
/// is stored once and counted, so a written snapshot has a compact cache.
#[derive(Clone, Debug)]
pub struct AclTable {
    slots: Vec<AclSlot>,
    refs: Vec<u64>,
    index: FastMap<Box<[OwnedAcl]>, u32>,
    missing: FastMap<i64, u32>,
    /// The list `intern` returned last.
    last: Option<AclRef>,
}

impl Default for AclTable {
    fn default() -> Self {
        AclTable {
            slots: vec![AclSlot::OpenUnsafe],
            refs: vec![0],
            index: FastMap::default(),
            missing: FastMap::default(),
            last: None,
        }
    }
}

impl AclTable {
    /// Interns a list (`None` = null = id -1) and counts one use.
    pub fn intern(&mut self, acl: Option<&[Acl<'_>]>) -> AclRef {
        let r = match acl {
            None => AclRef::OPEN_UNSAFE,
            // Most creates carry the list the one before carried.
            Some(list) if self.last.is_some_and(|l| self.is_list(l, list)) => {
                self.last.unwrap_or(AclRef::OPEN_UNSAFE)
            }
            Some(list) => {
                let owned: Box<[OwnedAcl]> = list.iter().map(OwnedAcl::from_acl).collect();
                let r = self.intern_owned(owned);
                self.last = Some(r);
                r
            }
        };
        self.add_use(r);
        r
    }

    /// True when slot `r` holds exactly `list`.
    fn is_list(&self, r: AclRef, list: &[Acl<'_>]) -> bool {
        match self.slots.get(r.0 as usize) {
            Some(AclSlot::List(l)) => {
                l.len() == list.len() && l.iter().zip(list).all(|(o, a)| o.as_acl() == *a)
            }
            _ => false,
        }
    }

    pub(super) fn intern_owned(&mut self, owned: Box<[OwnedAcl]>) -> AclRef {
        if let Some(&i) = self.index.get(&owned) {
            return AclRef(i);
        }
        let i = self.slots.len() as u32;
        self.slots.push(AclSlot::List(owned.clone()));
        self.refs.push(0);
        self.index.insert(owned, i);
        AclRef(i)
    }

    pub(super) fn missing_ref(&mut self, id: i64) -> AclRef {
        if let Some(&i) = self.missing.get(&id) {
            return AclRef(i);
        }
        let i = self.slots.len() as u32;
        self.slots.push(AclSlot::Missing(id));
        self.refs.push(0);
        self.missing.insert(id, i);
        AclRef(i)
    }

    pub(super) fn add_use(&mut self, r: AclRef) {
        if let Some(c) = self.refs.get_mut(r.0 as usize) {
            *c += 1;
        }
    }

    pub(super) fn remove_use(&mut self, r: AclRef) {
        if let Some(c) = self.refs.get_mut(r.0 as usize) {
            *c = c.saturating_sub(1);
        }
    }

    /// The list a node refers to; `None` when the snapshot's cache lacked its id.
    pub fn resolve(&self, r: AclRef) -> Option<std::borrow::Cow<'_, [OwnedAcl]>> {
        match self.slots.get(r.0 as usize)? {
            AclSlot::OpenUnsafe => Some(std::borrow::Cow::Owned(open_acl_unsafe())),
            AclSlot::List(l) => Some(std::borrow::Cow::Borrowed(l)),
            AclSlot::Missing(_) => None,
        }
    }

    /// The original snapshot id of a missing ACL, if `r` is one.
    pub fn missing_id(&self, r: AclRef) -> Option<i64> {
        match self.slots.get(r.0 as usize)? {
            AclSlot::Missing(id) => Some(*id),
            _ => None,
        }
    }

    /// Snapshot ids for every slot in use, and the cache entries to write:
    /// -1 for the null list, ids from 1 in first-seen order (as
    /// `ReferenceCountedACLCache` numbers them) for lists still referenced,
    /// and the original id for missing ones (no cache entry, as it was read).
    pub fn snapshot_ids(&self) -> (Vec<i64>, Vec<(i64, &[OwnedAcl])>) {
        let taken: FastSet<i64> = self.missing.keys().copied().collect();
        let mut ids = vec![-1i64; self.slots.len()];
        let mut cache = Vec::new();
        let mut next = 1i64;
        for (i, slot) in self.slots.iter().enumerate() {
            let id = match slot {
                AclSlot::OpenUnsafe => -1,
                AclSlot::Missing(id) => *id,
                AclSlot::List(list) => {
                    if self.refs.get(i).copied().unwrap_or(0) == 0 {
                        continue;
                    }
                    while taken.contains(&next) {
                        next += 1;
                    }
                    let id = next;
                    next += 1;
                    cache.push((id, &list[..]));
                    id
                }
            };
            if let Some(slot_id) = ids.get_mut(i) {
                *slot_id = id;
            }
        }
        (ids, cache)
    }
}
