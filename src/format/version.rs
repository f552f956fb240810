//! ZooKeeper release lines and what each writes on disk (FORMAT.md; checked
//! on the `testdata/zk-3.{4,5,6,8,9}` fixtures written by real servers).

use std::fmt;

/// A ZooKeeper release line, `major.minor` (3.4 … 3.9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ZkVersion {
    /// Major version (3).
    pub major: u8,
    /// Minor version.
    pub minor: u8,
}

impl ZkVersion {
    /// 3.4: no `/zookeeper/config`, no create2/container/TTL txns, no digests.
    pub const V3_4: ZkVersion = ZkVersion::new(3, 4);
    /// 3.5: `/zookeeper/config` in the initial tree; create2, containers, TTL nodes.
    pub const V3_5: ZkVersion = ZkVersion::new(3, 5);
    /// 3.6: txn digests in logs, the digest section in snapshots, closeSession
    /// with the paths of its ephemerals, compressed snapshots.
    pub const V3_6: ZkVersion = ZkVersion::new(3, 6);
    /// 3.7.
    pub const V3_7: ZkVersion = ZkVersion::new(3, 7);
    /// 3.8.
    pub const V3_8: ZkVersion = ZkVersion::new(3, 8);
    /// 3.9: the `lastProcessedZxid` section and a third seal in snapshots.
    pub const V3_9: ZkVersion = ZkVersion::new(3, 9);
    /// The release lines zkdd knows, oldest first.
    pub const KNOWN: [ZkVersion; 6] = [
        Self::V3_4,
        Self::V3_5,
        Self::V3_6,
        Self::V3_7,
        Self::V3_8,
        Self::V3_9,
    ];

    /// `major.minor`.
    pub const fn new(major: u8, minor: u8) -> ZkVersion {
        ZkVersion { major, minor }
    }

    /// Parses `3.4`, `3.9.3` (the patch level is ignored); only known lines.
    pub fn parse(s: &str) -> Option<ZkVersion> {
        let mut it = s.trim().split('.');
        let major = it.next()?.parse().ok()?;
        let minor = it.next()?.parse().ok()?;
        if let Some(patch) = it.next() {
            patch.parse::<u16>().ok()?;
        }
        if it.next().is_some() {
            return None;
        }
        let v = ZkVersion::new(major, minor);
        Self::KNOWN.contains(&v).then_some(v)
    }

    /// The initial tree (`new DataTree()`) has `/zookeeper/config` (3.5+).
    pub fn has_config_node(self) -> bool {
        self >= Self::V3_5
    }

    /// Snapshots end with the digest section (ZxidDigest + seal) when
    /// digests are on (3.6+, on by default).
    pub fn writes_snapshot_digest(self) -> bool {
        self >= Self::V3_6
    }

    /// Snapshots end with the `lastProcessedZxid` section and a third seal (3.9+).
    pub fn writes_last_processed_zxid(self) -> bool {
        self >= Self::V3_9
    }
}

impl fmt::Display for ZkVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_known_lines_only() {
        assert_eq!(ZkVersion::parse("3.4"), Some(ZkVersion::V3_4));
        assert_eq!(ZkVersion::parse("3.9.3"), Some(ZkVersion::V3_9));
        assert_eq!(ZkVersion::parse("3.10"), None);
        assert_eq!(ZkVersion::parse("3"), None);
        assert_eq!(ZkVersion::parse("3.8.x"), None);
        assert_eq!(ZkVersion::V3_6.to_string(), "3.6");
        assert!(!ZkVersion::V3_4.has_config_node() && ZkVersion::V3_5.has_config_node());
    }
}
