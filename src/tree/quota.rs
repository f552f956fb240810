//! Keeping quota stats nodes in step with the tree, as ZooKeeper does on
//! every create, delete and setData under a quota root and after a
//! snapshot load: the stats are node data like any other, though outside
//! the digest (they live under /zookeeper/).
//!
//! See: `DataTree.java` (`updateQuotaStat`, `updateQuotaForPath`,
//! `setupQuota`), `StatsTrack.java` (3.8.0).

use super::DataTree;

/// The quota root under which limits and stats live.
pub const QUOTA_ROOT: &[u8] = b"/zookeeper/quota";
/// Name of a quota's limit node.
pub const QUOTA_LIMIT_NODE: &[u8] = b"zookeeper_limits";
/// Name of a quota's stats node.
pub const QUOTA_STAT_NODE: &[u8] = b"zookeeper_stats";

impl DataTree {
    /// `getMaxPrefixWithQuota`: the deepest quota root that is `path` or
    /// one of its ancestors (component-wise), never "/".
    pub(super) fn max_quota_prefix(&self, path: &[u8]) -> Option<Vec<u8>> {
        if self.quota_roots.is_empty() {
            return None;
        }
        let mut end = path.len();
        loop {
            let prefix = path.get(..end)?;
            if !prefix.is_empty() && self.quota_roots.contains(prefix) {
                return Some(prefix.to_vec());
            }
            end = prefix.iter().rposition(|&b| b == b'/')?;
            if end == 0 {
                return None;
            }
        }
    }

    pub(crate) fn stat_path(real: &[u8]) -> Vec<u8> {
        let mut p = QUOTA_ROOT.to_vec();
        p.extend_from_slice(real);
        p.push(b'/');
        p.extend_from_slice(QUOTA_STAT_NODE);
        p
    }

    /// `updateQuotaStat`: adds to count and bytes in the stats node's text,
    /// without touching its stat (and outside the digest: it lives under /zookeeper/).
    pub(super) fn update_quota_stat(&mut self, real: &[u8], bytes_diff: i64, count_diff: i64) {
        let sp = Self::stat_path(real);
        let Some((id, n)) = self.find(&sp).and_then(|id| Some((id, self.node(id)?))) else {
            return;
        };
        let mut st = StatsTrack::parse(n.data().unwrap_or(&[]));
        st.count = st.count.wrapping_add(count_diff);
        st.bytes = st.bytes.wrapping_add(bytes_diff);
        let text = st.to_bytes();
        self.modify_id(id, |n| n.pd = n.pd.with_data(Some(&text)));
    }

    /// `updateQuotaForPath`: recounts the subtree and rewrites the stats node.
    pub(super) fn update_quota_for_path(&mut self, real: &[u8]) {
        let (mut count, mut bytes) = (0i64, 0i64);
        let mut stack: Vec<u32> = self.find(real).into_iter().collect();
        while let Some(id) = stack.pop() {
            let Some(n) = self.node(id) else {
                continue;
            };
            count += 1;
            bytes += n.pd.data_len as i64;
            stack.extend(self.child_ids(id));
        }
        let sp = Self::stat_path(real);
        let text = quota_stats_text(count, bytes);
        self.modify(&sp, |n| n.pd = n.pd.with_data(Some(&text)));
    }

    /// `setupQuota`: after a snapshot load, every leaf named
    /// `zookeeper_limits` under /zookeeper/quota registers its quota root and
    /// that root's stats are recomputed from the tree.
    pub(super) fn setup_quota(&mut self) {
        let mut found = Vec::new();
        let mut stack: Vec<u32> = self.find(QUOTA_ROOT).into_iter().collect();
        while let Some(id) = stack.pop() {
            let Some(n) = self.node(id) else {
                continue;
            };
            if n.num_children == 0 {
                if let Some(real) = quota_limit_real(n.pd.key()) {
                    found.push(real.to_vec());
                }
                continue;
            }
            stack.extend(self.child_ids(id));
        }
        for real in found {
            self.update_quota_for_path(&real);
            if !real.is_empty() {
                self.quota_roots.insert(real.into());
            }
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The quota root a leaf `/zookeeper/quota<real>/zookeeper_limits` stands
/// for (`setupQuota`: the part before the first "/zookeeper_limits").
pub(crate) fn quota_limit_real(key: &[u8]) -> Option<&[u8]> {
    let mut end = b"/".to_vec();
    end.extend_from_slice(QUOTA_LIMIT_NODE);
    if !key.ends_with(&end) {
        return None;
    }
    let i = find(key, &end)?;
    key.get(QUOTA_ROOT.len()..i)
}

/// The text `updateQuotaForPath` writes into a quota's stats node.
pub(crate) fn quota_stats_text(count: i64, bytes: i64) -> Vec<u8> {
    StatsTrack {
        count,
        bytes,
        extra: Vec::new(),
    }
    .to_bytes()
}

/// `StatsTrack`: "count=N,bytes=M" plus any other keys after ';'.
struct StatsTrack {
    count: i64,
    bytes: i64,
    extra: Vec<(String, i64)>,
}

impl StatsTrack {
    fn parse(data: &[u8]) -> StatsTrack {
        let text = String::from_utf8_lossy(data);
        let mut st = StatsTrack {
            count: -1,
            bytes: -1,
            extra: Vec::new(),
        };
        for pair in text.split([',', ';']).filter(|s| !s.is_empty()) {
            let mut kv = pair.splitn(2, '=');
            let k = kv.next().unwrap_or("");
            let v = kv.next().unwrap_or("");
            let v = if v.is_empty() {
                -1
            } else {
                v.parse().unwrap_or(-1)
            };
            match k {
                "count" => st.count = v,
                "bytes" => st.bytes = v,
                other => {
                    st.extra.retain(|(k, _)| k != other);
                    st.extra.push((other.to_string(), v));
                }
            }
        }
        st
    }

    fn to_bytes(&self) -> Vec<u8> {
        let mut s = format!("count={},bytes={}", self.count, self.bytes);
        let mut extra = self.extra.clone();
        extra.sort();
        for (k, v) in extra {
            s.push_str(&format!(";{k}={v}"));
        }
        s.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_track_round_trip() {
        let st = StatsTrack::parse(b"count=3,bytes=12");
        assert_eq!((st.count, st.bytes), (3, 12));
        assert_eq!(st.to_bytes(), b"count=3,bytes=12");
        let st = StatsTrack::parse(b"count=4,bytes=-1;byteHardLimit=-1;countHardLimit=-1");
        assert_eq!(st.extra.len(), 2);
    }
}
