//! Checking one snapshot: container, seals, the "/" markers and the shape of
//! its tree, and whether ZooKeeper would load it.

use std::collections::HashSet;
use std::path::Path;

use super::{Finding, Options, Progress, Severity, finding, io_error, name_of};
use crate::files::source;
use crate::format::compress::{Compression, GZIP_MAGIC, SNAPPY_MAGIC};
use crate::format::snapshot::{SLASH_USTRING, Snapshot, SnapshotEnd, SnapshotStream, ZxidDigest};
use crate::format::verdict;
use crate::format::{DecodeError, DecodeErrorKind};
use crate::tree::path_hash128;

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

/// ZooKeeper's `isValidSnapshot` by the name's last suffix (FORMAT.md §4.7),
/// from the file's size and first and last bytes.
fn zk_candidate(name: &str, len: u64, head: &[u8], tail: &[u8]) -> bool {
    match name.rsplit('.').next() {
        Some("gz") => head.starts_with(&GZIP_MAGIC),
        Some("snappy") => head.starts_with(&SNAPPY_MAGIC),
        _ => len >= 10 && tail.ends_with(&SLASH_USTRING),
    }
}

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
    let io_failed = |s: &mut SnapScan, e: &std::io::Error| {
        s.zk_loads = Err(format!("cannot read: {}", crate::error::os_error(e)));
        s.findings.push(io_error(path, e));
    };
    // Read as a stream whatever its size or compression: memory stays flat.
    let mut file = match source::open_snapshot_stream(path, compression, opts.limits) {
        Ok(f) => f,
        Err(e) => {
            io_failed(&mut s, &e);
            return s;
        }
    };
    progress(file.len);
    s.candidate = zk_candidate(&name, file.len, &file.head, &file.tail);
    if !s.candidate {
        s.zk_loads = Err("fails ZooKeeper's validity check".into());
        s.findings.push(finding(
            Severity::Error,
            "snapshot_not_candidate",
            path,
            Some(file.len.saturating_sub(5)),
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
    let stream = &mut file.stream;
    let container_damage = |s: &mut SnapScan, stream: &SnapshotStream<std::fs::File>| {
        if let Some(e) = stream.container_error() {
            reject(s, "damaged compressed stream");
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
    };
    let prefix = match stream.prefix() {
        Ok(p) => p,
        Err(e) => {
            io_failed(&mut s, &e);
            return s;
        }
    };
    // What a whole reading says of a damaged header, session list or ACL
    // cache (the prefix parses once read whole, so the second arm only
    // keeps this free of panics).
    let corrupt = |s: &mut SnapScan, stream: &SnapshotStream<std::fs::File>, e: DecodeError| {
        container_damage(s, stream);
        let code = if matches!(e.kind(), DecodeErrorKind::BadMagic { .. }) {
            "snapshot_bad_header"
        } else {
            verdict::snapshot_error_code(e.kind())
        };
        reject(s, &e.to_string());
        s.findings.push(finding(
            Severity::Error,
            code,
            path,
            Some(e.offset()),
            None,
            format!("{e}"),
            Some("ZooKeeper cannot load this snapshot and falls back to an older one"),
        ));
    };
    let prefix_bytes = match prefix {
        Ok(p) => p,
        Err(e) => {
            corrupt(&mut s, stream, e);
            return s;
        }
    };
    let snap = match Snapshot::parse(&prefix_bytes, opts.limits) {
        Ok(sn) => sn,
        Err(e) => {
            corrupt(&mut s, stream, e);
            return s;
        }
    };
    // Held back: a whole reading reports the container's damage first. The
    // flag is what a finding does to the load verdict.
    let mut node_findings: Vec<(Load, Finding)> = Vec::new();
    let cache: HashSet<i64> = snap.acl_cache().iter().map(|e| e.id).collect();
    for e in snap.acl_cache().iter().filter(|e| e.acl.is_none()) {
        node_findings.push((
            Load::Fails("null ACL list in the ACL cache"),
            finding(
                Severity::Error,
                "snapshot_acl_null",
                path,
                Some(e.offset),
                None,
                format!("ACL cache entry {} has a null list", e.id),
                Some("ZooKeeper's loader throws a RuntimeException on it and does not start"),
            ),
        ));
    }
    // FastSet: SipHash over a million paths dominated the whole verify.
    let mut seen: crate::tree::FastSet<u128> = crate::tree::FastSet::default();
    let (mut dup, mut acl_missing) = (0u64, 0u64);
    let mut config_node = false;
    loop {
        let node = match stream.next_node() {
            Ok(Some(node)) => node,
            Ok(None) => break,
            Err(e) => {
                io_failed(&mut s, &e);
                return s;
            }
        };
        s.nodes += 1;
        config_node |= node.path == b"/zookeeper/config";
        if !node.path.is_empty() {
            let parent = match node.path.iter().rposition(|&b| b == b'/') {
                Some(i) => node.path.get(..i).unwrap_or(b""),
                None => b"",
            };
            if !seen.contains(&path_hash128(parent)) {
                node_findings.push((Load::Rejects("Invalid Datatree, unable to find parent"), finding(
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
                )));
            }
        }
        if !seen.insert(path_hash128(node.path)) {
            if dup == 0 {
                node_findings.push((Load::Same, finding(
                    Severity::Error,
                    "snapshot_duplicate_node",
                    path,
                    Some(node.offset),
                    None,
                    format!("node {} appears twice", String::from_utf8_lossy(node.display_path())),
                    Some("ZooKeeper loads it, keeping the last copy: the tree is not what was written"),
                )));
            }
            dup += 1;
        }
        if node.acl_id != -1 && !cache.contains(&node.acl_id) {
            if acl_missing == 0 {
                node_findings.push((Load::Same, finding(
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
                )));
            }
            acl_missing += 1;
        }
    }
    container_damage(&mut s, stream);
    for (load, f) in node_findings {
        match load {
            Load::Same => {}
            Load::Rejects(why) => reject(&mut s, why),
            Load::Fails(why) => s.zk_loads = Err(why.into()),
        }
        s.findings.push(f);
    }
    let end = stream.end().cloned();
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
        for p in verdict::trailer_problems(end, || stream.tail()) {
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

/// What a finding does to whether ZooKeeper loads the snapshot.
#[derive(Clone, Copy, Debug)]
enum Load {
    /// Nothing.
    Same,
    /// It rejects it, unless already rejected for an earlier reason.
    Rejects(&'static str),
    /// It fails on it, whatever came before.
    Fails(&'static str),
}

fn reject(s: &mut SnapScan, why: &str) {
    if s.zk_loads.is_ok() {
        s.zk_loads = Err(why.to_string());
    }
}
