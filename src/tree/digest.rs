//! The per-node digest ZooKeeper adds up into its incremental tree digest
//! (FORMAT.md §5), so that a replayed tree can be checked against the
//! digests logged with the txns.
//!
//! See: `DigestCalculator.java` (3.8.0).

use crate::format::snapshot::StatPersisted;

/// Per-node digest (FORMAT.md §5.1, DIGEST_VERSION 2): CRC-32 of path,
/// data and the stat in digest order; 0 for paths under "/zookeeper/".
pub fn node_digest(key: &[u8], data: Option<&[u8]>, st: &StatPersisted) -> u32 {
    if key.starts_with(b"/zookeeper/") {
        return 0;
    }
    let mut h = crc32fast::Hasher::new();
    h.update(key);
    if let Some(d) = data {
        h.update(d);
    }
    let mut s = [0u8; 60];
    let fields: [&[u8]; 9] = [
        &st.czxid.0.to_be_bytes(),
        &st.mzxid.0.to_be_bytes(),
        &st.pzxid.0.to_be_bytes(),
        &st.ctime.to_be_bytes(),
        &st.mtime.to_be_bytes(),
        &st.version.to_be_bytes(),
        &st.cversion.to_be_bytes(),
        &st.aversion.to_be_bytes(),
        &st.ephemeral_owner.to_be_bytes(),
    ];
    let mut at = 0;
    for f in fields {
        if let Some(dst) = s.get_mut(at..at + f.len()) {
            dst.copy_from_slice(f);
        }
        at += f.len();
    }
    h.update(&s);
    h.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zxid::Zxid;

    #[test]
    fn node_digest_worked_example() {
        let st = StatPersisted {
            czxid: Zxid(2),
            mzxid: Zxid(2),
            pzxid: Zxid(9),
            ctime: 0x1a2078e7c8a,
            mtime: 0x1a2078e7c8a,
            cversion: 5,
            ..StatPersisted::default()
        };
        assert_eq!(node_digest(b"/app", Some(b"hello"), &st), 2_068_581_053);
        assert_eq!(node_digest(b"/zookeeper/quota", None, &st), 0);
    }
}
