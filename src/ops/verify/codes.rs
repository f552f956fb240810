//! The stable finding codes of `zkdd verify`, with what each means.

/// Every finding code, with what it means. Stable: codes are only added.
pub const CODES: &[(&str, &str)] = &[
    ("io_error", "a file or directory could not be read"),
    (
        "log_bad_header",
        "a log does not start with the ZKLG header (ZooKeeper fails on it)",
    ),
    (
        "log_empty",
        "a zero-byte log (ZooKeeper fails reading its header)",
    ),
    (
        "log_header_only",
        "a log with a header and no txns (harmless)",
    ),
    (
        "log_checksum_mismatch",
        "an entry's Adler-32 does not match (ZooKeeper fails: CRC check failed)",
    ),
    (
        "log_bad_length",
        "an entry length below 0 or above the limit (ZooKeeper fails; -1 crashes it)",
    ),
    (
        "log_missing_eor",
        "an entry without its 0x42 end byte, with data after it (ZooKeeper silently skips the rest of the file)",
    ),
    (
        "log_undecodable_txn",
        "an entry whose txn cannot be decoded",
    ),
    (
        "log_torn_tail",
        "the file ends inside an entry: a write cut short by a crash",
    ),
    (
        "log_partial_record",
        "an entry with only zeros where its body and end byte should be: a write cut short by a crash",
    ),
    (
        "log_damaged_entry",
        "an entry that runs past the end of the file or lacks its end byte while valid entries follow it: damage, not a crash (ZooKeeper silently stops reading the file there)",
    ),
    (
        "log_changed_while_read",
        "a log that shrank while it was being read (a live server truncating it): the result is not trustworthy",
    ),
    (
        "log_garbage_after_end",
        "non-zero bytes after the zero padding that ends a log (ZooKeeper never reads them)",
    ),
    ("log_zxid_order", "zxids that do not increase inside a log"),
    (
        "log_zxid_gap",
        "zxids missing inside an epoch, within a log or between logs",
    ),
    (
        "log_overlap",
        "a log starts at or below the last zxid of the previous log",
    ),
    (
        "log_name_mismatch",
        "a log's name differs from its first txn's zxid",
    ),
    (
        "log_entry_over_maxbuffer",
        "an entry larger than jute.maxbuffer (followers and clients may refuse it)",
    ),
    (
        "txns_skipped",
        "valid txns that ZooKeeper's restore would silently never read",
    ),
    (
        "txns_lost",
        "txns missing from the history ZooKeeper would replay",
    ),
    (
        "snapshot_bad_header",
        "a snapshot does not start with the ZKSN header",
    ),
    ("snapshot_truncated", "a snapshot stream ends early"),
    ("snapshot_corrupt", "a snapshot record cannot be decoded"),
    (
        "snapshot_compressed_stream",
        "the gzip/snappy container of a snapshot is damaged",
    ),
    (
        "snapshot_seal_mismatch",
        "a snapshot seal (running Adler-32) does not match",
    ),
    (
        "snapshot_bad_marker",
        "the \"/\" string after a seal is damaged (ZooKeeper rejects the snapshot)",
    ),
    (
        "snapshot_parent_missing",
        "a node comes before its parent (ZooKeeper rejects the snapshot)",
    ),
    (
        "snapshot_duplicate_node",
        "a path appears twice in a snapshot",
    ),
    (
        "snapshot_acl_missing",
        "a node refers to an ACL id missing from the ACL cache",
    ),
    (
        "snapshot_acl_null",
        "an ACL cache entry with a null list (ZooKeeper's loader throws)",
    ),
    (
        "snapshot_not_candidate",
        "a snapshot ZooKeeper ignores because it fails the cheap validity check",
    ),
    (
        "snapshot_no_digest",
        "a snapshot without the 3.6+ digest section",
    ),
    (
        "snapshot_skipped",
        "a snapshot ZooKeeper would try and reject, falling back to an older one",
    ),
    (
        "leftover_file",
        "a file left by a crash or a tool that ZooKeeper may misread",
    ),
    ("unknown_file", "a file zkdd does not know"),
    (
        "irregular_file",
        "an entry named like a log, snapshot or epoch file that is a directory, FIFO, socket or broken link (ZooKeeper fails or hangs on it)",
    ),
    (
        "misplaced_file",
        "a snapshot in dataLogDir or a log in dataDir (3.6+ refuses to start)",
    ),
    (
        "epoch_mismatch",
        "acceptedEpoch/currentEpoch inconsistent with each other or the last zxid (a quorum peer refuses to start)",
    ),
    (
        "epoch_unreadable",
        "an epoch file that is not a decimal number",
    ),
    ("epoch_missing", "one epoch file without the other"),
    (
        "logs_missing",
        "snapshots of txns but no txn log: the logs live in a dataLogDir not given, or they are gone",
    ),
    (
        "no_snapshot",
        "logs but no usable snapshot: ZooKeeper refuses to start",
    ),
    (
        "digest_mismatch",
        "the replayed tree's digest differs from a recorded digest (the first mismatching zxid)",
    ),
    (
        "digest_unverified",
        "the logs end before a fuzzy snapshot's digest zxid, so nothing could be compared",
    ),
    (
        "zookeeper_would_fail",
        "ZooKeeper's restore would fail on this dir",
    ),
];
