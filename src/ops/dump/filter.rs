//! Which txns and nodes a dump shows: zxid range, time range, path or
//! subtree, session and op type, applied inside multis too.

use crate::format::txn::{OpCode, Txn, TxnBody};
use crate::tree::in_subtree;
use crate::zxid::{SessionId, Zxid};

/// Filters on txns and nodes; every field left empty lets everything pass.
#[derive(Debug, Default)]
pub struct Filter {
    /// Lowest zxid shown.
    pub zxid_from: Option<Zxid>,
    /// Highest zxid shown.
    pub zxid_to: Option<Zxid>,
    /// Earliest txn time shown (ms since the epoch).
    pub since: Option<i64>,
    /// Latest txn time shown.
    pub until: Option<i64>,
    /// Only txns touching exactly this path.
    pub path: Option<Vec<u8>>,
    /// Only txns or nodes in this subtree.
    pub prefix: Option<Vec<u8>>,
    /// Only txns of this session.
    pub session: Option<SessionId>,
    /// Only these ops (a multi passes when one of its sub-ops does).
    pub ops: Vec<OpCode>,
}

impl Filter {
    /// True when the txn passes every filter.
    pub fn matches(&self, txn: &Txn<'_>) -> bool {
        let h = &txn.header;
        if self.zxid_from.is_some_and(|z| h.zxid < z) || self.zxid_to.is_some_and(|z| h.zxid > z) {
            return false;
        }
        if self.since.is_some_and(|t| h.time < t) || self.until.is_some_and(|t| h.time > t) {
            return false;
        }
        if self.session.is_some_and(|s| h.session != s) {
            return false;
        }
        if !self.ops.is_empty() {
            let sub_match = match &txn.body {
                TxnBody::Multi { ops } => ops.iter().any(|o| self.ops.contains(&o.op)),
                _ => false,
            };
            if !self.ops.contains(&h.op) && !sub_match {
                return false;
            }
        }
        if self.path.is_some() || self.prefix.is_some() {
            let paths = txn.paths();
            if let Some(p) = &self.path
                && !paths.iter().any(|x| x == p)
            {
                return false;
            }
            if let Some(p) = &self.prefix
                && !paths.iter().any(|x| in_subtree(x, p))
            {
                return false;
            }
        }
        true
    }

    /// True when a node path passes the path filters.
    pub fn matches_node(&self, path: &[u8]) -> bool {
        self.path.as_ref().is_none_or(|p| p == path)
            && self.prefix.as_ref().is_none_or(|p| in_subtree(path, p))
    }

    /// True when no txn after `zxid` can match (for skipping later files).
    pub fn past_end(&self, zxid: Zxid) -> bool {
        self.zxid_to.is_some_and(|z| zxid > z)
    }
}

#[cfg(test)]
mod tests {
    use super::in_subtree;

    #[test]
    fn subtree_matching_respects_component_boundaries() {
        assert!(in_subtree(b"/app", b"/app"));
        assert!(in_subtree(b"/app/x", b"/app"));
        assert!(in_subtree(b"/app/x", b"/app/"));
        assert!(!in_subtree(b"/apple", b"/app"));
        assert!(in_subtree(b"/anything", b"/"));
    }
}
