//! `zkdd extract`: which nodes of a tree make up a subtree to restore, with
//! the ancestors that must exist first (the undelete case). Turning them
//! into a zkCli script is [`crate::render::zkcli`]'s job.

use std::borrow::Cow;

use crate::format::snapshot::NodeKind;
use crate::tree::{DataTree, OwnedAcl, display_path, in_subtree};

/// One node to recreate.
#[derive(Clone, Debug)]
pub struct ExtractNode<'t> {
    /// The path users see.
    pub path: &'t [u8],
    /// An ancestor of the prefix, created so the script works on an empty
    /// server (its create fails harmlessly where it exists).
    pub ancestor: bool,
    /// Persistent, ephemeral, container or TTL.
    pub kind: NodeKind,
    /// Data (`None`: null).
    pub data: Option<&'t [u8]>,
    /// The resolved ACL list (`None`: missing from the snapshot's cache).
    pub acl: Option<Cow<'t, [OwnedAcl]>>,
}

/// The nodes of the subtree at `prefix` and its ancestors, parents before
/// children; `/` and `/zookeeper` (the server's own) are left out.
pub fn select<'t>(tree: &'t DataTree, prefix: &[u8]) -> Vec<ExtractNode<'t>> {
    let mut ancestors: Vec<&[u8]> = Vec::new();
    let mut end = 1;
    while let Some(i) = prefix
        .get(end..)
        .and_then(|r| r.iter().position(|&b| b == b'/'))
    {
        ancestors.extend(prefix.get(..end + i));
        end += i + 1;
    }
    let mut nodes = Vec::new();
    for (key, n) in tree.sorted_nodes() {
        let path = display_path(key);
        if path == b"/" || in_subtree(path, b"/zookeeper") {
            continue;
        }
        let ancestor = ancestors.contains(&path);
        if !ancestor && !in_subtree(path, prefix) {
            continue;
        }
        nodes.push(ExtractNode {
            path,
            ancestor,
            kind: NodeKind::of(n.stat().ephemeral_owner),
            data: n.data(),
            acl: tree.acl(n),
        });
    }
    nodes
}
