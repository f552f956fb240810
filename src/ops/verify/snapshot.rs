//! Checking one snapshot: container, seals, the "/" markers and the shape of
//! its tree, and whether ZooKeeper would load it.

use std::collections::HashSet;
use std::path::Path;

use super::{Finding, Options, Progress, Severity, finding, io_error, name_of};
use crate::files::source;
use crate::format::DecodeErrorKind;
use crate::format::compress::{Compression, GZIP_MAGIC, SNAPPY_MAGIC};
use crate::format::snapshot::{SLASH_USTRING, Snapshot, SnapshotEnd, ZxidDigest};
use crate::format::verdict;

/// One snapshot, read once.
#[derive(Clone, Debug)]
pub(super) struct SnapScan {
    /// ZooKeeper would load it (`Err` = why it would reject it).
    pub(super) zk_loads: Result<(), String>,
    /// Passes ZooKeeper's cheap validity filter.
    pub(super) candidate: bool,
    /// The digest section, if read.
    pub(super) digest: Option<ZxidDigest>,
    /// Nodes read (up to the first damaged one).
    pub(super) nodes: u64,
    /// What only some ZooKeeper versions write (see `writers`).
    pub(super) features: Vec<super::writers::Feature>,
    /// Holds `/zookeeper/config` (3.5+), when read to the end.
    pub(super) config_node: Option<bool>,
    pub(super) findings: Vec<Finding>,
}

impl SnapScan {
    /// A snapshot ZooKeeper loads, with nothing else known.
    pub(super) fn loads() -> SnapScan {
        SnapScan {
            zk_loads: Ok(()),
            candidate: true,
            digest: None,
            nodes: 0,
            features: Vec::new(),
            config_node: None,
            findings: Vec::new(),
        }
    }
}

/// ZooKeeper's `isValidSnapshot` by the name's last suffix (FORMAT.md §4.7).
fn zk_candidate(name: &str, file: &[u8]) -> bool {
    match name.rsplit('.').next() {
        Some("gz") => file.starts_with(&GZIP_MAGIC),
        Some("snappy") => file.starts_with(&SNAPPY_MAGIC),
        _ => file.len() >= 10 && file.ends_with(&SLASH_USTRING),
    }
}

/// A snapshot path with its hash computed once: when the set grows it
/// rehashes from the stored hash and never reads the path bytes again, which
/// may sit in mapped pages already dropped behind the scan.
#[derive(Clone, Copy, Debug)]
struct HashedPath<'a> {
    hash: u64,
    path: &'a [u8],
}

impl<'a> HashedPath<'a> {
    fn new(path: &'a [u8]) -> Self {
        use std::hash::BuildHasher as _;
        let hash =
            std::hash::BuildHasherDefault::<crate::tree::FastHasher>::default().hash_one(path);
        HashedPath { hash, path }
    }
}

impl std::hash::Hash for HashedPath<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

impl PartialEq for HashedPath<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.path == other.path
    }
}

impl Eq for HashedPath<'_> {}

pub(super) fn scan_snapshot(path: &Path, opts: &Options, progress: Progress<'_>) -> SnapScan {
    let name = name_of(path);
    let mut s = SnapScan {
        zk_loads: Ok(()),
        candidate: false,
        digest: None,
        nodes: 0,
        features: Vec::new(),
        config_node: None,
        findings: Vec::new(),
    };
    let compression = Compression::from_name(&name);
    let raw = match source::open(path, opts.no_mmap) {
        Ok(b) => b,
        Err(e) => {
            s.zk_loads = Err(format!("cannot read: {}", crate::error::os_error(&e)));
            s.findings.push(io_error(path, &e));
            return s;
        }
    };
    progress(raw.len() as u64);
    s.candidate = zk_candidate(&name, &raw);
    if !s.candidate {
        s.zk_loads = Err("fails ZooKeeper's validity check".into());
        s.findings.push(finding(
            Severity::Error,
            "snapshot_not_candidate",
            path,
            Some(raw.len().saturating_sub(5) as u64),
            None,
            match compression {
                Compression::None => {
                    "the file does not end with the \"/\" marker of a complete snapshot".into()
                }
                _ => "the file does not start with the magic of its compression".into(),
            },
            Some("ZooKeeper ignores this snapshot entirely"),
        ));
    }
    let decompressed;
    let stream: &[u8] = if compression == Compression::None {
        &raw
    } else {
        decompressed = crate::format::compress::decompress(&raw, compression);
        if let Some(e) = &decompressed.error {
            reject(&mut s, "damaged compressed stream");
            s.findings.push(finding(
                Severity::Error,
                "snapshot_compressed_stream",
                path,
                Some(e.offset()),
                None,
                format!("{e}"),
                Some("ZooKeeper cannot read this snapshot and falls back to an older one"),
            ));
        }
        &decompressed.data
    };
    let snap = match Snapshot::parse(stream, opts.limits) {
        Ok(sn) => sn,
        Err(e) => {
            let code = if matches!(e.kind(), DecodeErrorKind::BadMagic { .. }) {
                "snapshot_bad_header"
            } else {
                verdict::snapshot_error_code(e.kind())
            };
            reject(&mut s, &e.to_string());
            s.findings.push(finding(
                Severity::Error,
                code,
                path,
                Some(e.offset()),
                None,
                format!("{e}"),
                Some("ZooKeeper cannot load this snapshot and falls back to an older one"),
            ));
            return s;
        }
    };
    let cache: HashSet<i64> = snap.acl_cache().iter().map(|e| e.id).collect();
    for e in snap.acl_cache().iter().filter(|e| e.acl.is_none()) {
        s.zk_loads = Err("null ACL list in the ACL cache".into());
        s.findings.push(finding(
            Severity::Error,
            "snapshot_acl_null",
            path,
            Some(e.offset),
            None,
            format!("ACL cache entry {} has a null list", e.id),
            Some("ZooKeeper's loader throws a RuntimeException on it and does not start"),
        ));
    }
    // FastSet: SipHash over a million paths dominated the whole verify.
    let mut seen: crate::tree::FastSet<HashedPath<'_>> = crate::tree::FastSet::default();
    let mut iter = snap.nodes();
    let mut next_offset = snap.nodes_offset();
    let (mut dup, mut acl_missing) = (0u64, 0u64);
    let mut config_node = false;
    let mut released = 0u64;
    for node in &mut iter {
        if node.offset - released >= 64 << 20 {
            // Keep resident memory flat on huge mapped snapshots (only the
            // path set stays, and its keys fault back in when compared).
            raw.release_before(node.offset as usize);
            released = node.offset;
        }
        next_offset = node.end_offset();
        s.nodes += 1;
        config_node |= node.path == b"/zookeeper/config";
        if !node.path.is_empty() {
            let parent = match node.path.iter().rposition(|&b| b == b'/') {
                Some(i) => node.path.get(..i).unwrap_or(b""),
                None => b"",
            };
            if !seen.contains(&HashedPath::new(parent)) {
                reject(&mut s, "Invalid Datatree, unable to find parent");
                s.findings.push(finding(
                    Severity::Error,
                    "snapshot_parent_missing",
                    path,
                    Some(node.offset),
                    None,
                    format!(
                        "node {} comes before its parent {}",
                        String::from_utf8_lossy(node.path),
                        String::from_utf8_lossy(if parent.is_empty() { b"/" } else { parent })
                    ),
                    Some("ZooKeeper rejects this snapshot (\"Invalid Datatree\") and falls back to an older one"),
                ));
            }
        }
        if !seen.insert(HashedPath::new(node.path)) {
            if dup == 0 {
                s.findings.push(finding(
                    Severity::Error,
                    "snapshot_duplicate_node",
                    path,
                    Some(node.offset),
                    None,
                    format!("node {} appears twice", String::from_utf8_lossy(node.display_path())),
                    Some("ZooKeeper loads it, keeping the last copy: the tree is not what was written"),
                ));
            }
            dup += 1;
        }
        if node.acl_id != -1 && !cache.contains(&node.acl_id) {
            if acl_missing == 0 {
                s.findings.push(finding(
                    Severity::Error,
                    "snapshot_acl_missing",
                    path,
                    Some(node.offset),
                    None,
                    format!(
                        "node {} refers to ACL id {} which is not in the ACL cache",
                        String::from_utf8_lossy(node.display_path()),
                        node.acl_id
                    ),
                    Some("ZooKeeper loads it with a warning, and then fails every access to that node"),
                ));
            }
            acl_missing += 1;
        }
    }
    let end = iter.into_end();
    if let Some(SnapshotEnd::Complete(trailer)) = &end {
        if trailer.digest.is_none() {
            s.findings.push(finding(
                Severity::Note,
                "snapshot_no_digest",
                path,
                Some(trailer.end_offset),
                None,
                "no digest section (written with digests off, or before 3.6)".into(),
                None,
            ));
        }
        s.digest = trailer.digest.clone();
        use crate::format::version::ZkVersion;
        s.config_node = Some(config_node);
        if config_node {
            super::writers::note(&mut s.features, (ZkVersion::V3_5, "/zookeeper/config"));
        }
        if trailer.digest.is_some() {
            super::writers::note(
                &mut s.features,
                (ZkVersion::V3_6, "snapshot digest section"),
            );
        }
        if trailer.last_processed_zxid.is_some() {
            super::writers::note(
                &mut s.features,
                (ZkVersion::V3_9, "snapshot lastProcessedZxid section"),
            );
        }
        if name.ends_with(".gz") || name.ends_with(".snappy") {
            super::writers::note(&mut s.features, (ZkVersion::V3_6, "compressed snapshot"));
        }
    }
    if let Some(end) = &end {
        for p in verdict::trailer_problems(end, || {
            crate::format::snapshot::StreamTail::of(stream, next_offset)
        }) {
            if let Some(why) = &p.rejects {
                reject(&mut s, why);
            }
            s.findings.push(finding(
                Severity::Error,
                p.code,
                path,
                Some(p.offset),
                None,
                p.message,
                Some(p.meaning),
            ));
        }
    }
    s
}

fn reject(s: &mut SnapScan, why: &str) {
    if s.zk_loads.is_ok() {
        s.zk_loads = Err(why.to_string());
    }
}
