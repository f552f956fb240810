//! The one verdict on how a txn log ends, which every subcommand reports
//! the same way: a clean end, the torn tail a crash leaves (a warning), or
//! damage (an error), with what ZooKeeper's restore does there.
//!
//! A log whose last entry is cut short looks the same to a reader whether a
//! crash stopped the write or a flipped bit in a length field made the
//! entry look longer than the file: only what follows tells them apart. So
//! the bytes after the damage point are searched for a plausible entry
//! (framing, matching Adler-32, end byte, and a zxid after the last good
//! one: the salvage scan of `repair --salvage`). Found, the tail is damage
//! that makes ZooKeeper silently drop acknowledged txns; not found, it is a
//! crash tail, whose txn was never acknowledged.
//!
//! This module judges; [`crate::files::log::OpenLog::judge`] reads what
//! the judgement needs (the scan, mapped or window by window).
//!
//! What ZooKeeper does at each end follows `FileTxnIterator.next` and
//! `Util.readTxnBytes` (3.8): an `EOFException` (file ends inside an entry,
//! no end byte, a body that ends early) moves on to the next log, silently
//! skipping the rest of the file; an `IOException` (CRC, unreasonable
//! length, unknown txn type) makes the restore fail.

#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

use super::DecodeErrorKind;
use super::salvage::{Run, Salvage};
use super::snapshot::{SLASH_USTRING, SnapshotEnd, StreamTail};
use super::txnlog::{ENTRY_PREFIX_LEN, LogEnd};
use crate::zxid::Zxid;

/// How bad an end is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndClass {
    /// End of file, or zero padding with only zeros after it.
    Clean,
    /// A write a crash cut short, with nothing readable after it: the txn
    /// was never acknowledged. A warning.
    CrashTail,
    /// Anything else: corruption, or data ZooKeeper never reads. An error.
    Damage,
}

/// What ZooKeeper's restore does when it reaches this end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ZkAction {
    /// Goes on with the next log, never reading the rest of this one.
    NextLog,
    /// Throws: the restore, and the server's start, fail.
    Fatal(String),
}

/// The verdict on how a log's entries end.
#[derive(Clone, Debug)]
pub struct LogVerdict {
    /// How the entries end.
    pub end: LogEnd,
    /// Clean, crash tail or damage.
    pub class: EndClass,
    /// What ZooKeeper does there.
    pub zookeeper: ZkAction,
    /// The valid entries found after the damage point: acknowledged txns
    /// ZooKeeper never reads from this file.
    pub after: Option<Salvage>,
    /// For a partial record: the bytes of its body are all zeros.
    pub zero_body: bool,
    /// The zxid of the last entry read before the end.
    pub last_good: Option<Zxid>,
}

/// The valid run of entries after the damage point: count, first, last.
pub fn run_range(run: &Run) -> Option<(u64, Zxid, Zxid)> {
    Some((run.entries, run.first_zxid?, run.last_zxid?))
}

impl LogVerdict {
    /// The valid entries found after the damage: count, first and last zxid.
    pub fn valid_after(&self) -> Option<(u64, Zxid, Zxid)> {
        self.after.as_ref().and_then(|s| run_range(&s.run))
    }

    /// The txns ZooKeeper never reads from this file: the damaged entries
    /// (from the one after the last good zxid) and the valid ones after
    /// them; count, first and last zxid.
    pub fn dropped(&self) -> Option<(u64, Zxid, Zxid)> {
        let (n, first, last) = self.valid_after()?;
        Some(match self.last_good {
            Some(g) if g.epoch() == first.epoch() && g < first => {
                (n + (first.0 - g.0 - 1) as u64, Zxid(g.0 + 1), last)
            }
            _ => (n, first, last),
        })
    }

    /// One sentence on what is wrong, for people.
    pub fn message(&self) -> String {
        let off = self.end.offset();
        match (&self.end, self.class) {
            (
                LogEnd::TornTail {
                    needed, available, ..
                },
                EndClass::CrashTail,
            ) => format!(
                "the file ends inside the entry at {off:#x} ({available} of {needed} bytes)"
            ),
            (LogEnd::PartialRecord { len, .. }, EndClass::CrashTail) if self.zero_body => format!(
                "the entry at {off:#x} (length {len}) has zeros instead of its body and end byte, and only zeros follow"
            ),
            (LogEnd::PartialRecord { len, .. }, EndClass::CrashTail) => format!(
                "the entry at {off:#x} (length {len}) has no end byte: zeros where it should be, and only zeros follow"
            ),
            (LogEnd::PartialRecord { len, .. }, _) => format!(
                "the entry at {off:#x} claims {len} bytes, running over the valid entries after it into the zeros that end the log: its length field is damaged"
            ),
            (LogEnd::TornTail { needed, .. }, _) => format!(
                "the entry at {off:#x} claims {} bytes, running over the valid entries after it and past the end of the file: its length field is damaged",
                needed.saturating_sub(ENTRY_PREFIX_LEN as u64 + 1)
            ),
            // The error's own offset when it is not the entry's (a length
            // field, an end byte): each offset said once.
            (LogEnd::Corrupt { error, .. }, _) if error.offset() == off => {
                format!("entry at {off:#x}: {}", error.kind())
            }
            (LogEnd::Corrupt { error, .. }, _) => format!(
                "entry at {off:#x}: {} at offset {:#x}",
                error.kind(),
                error.offset()
            ),
            (end, _) => end.describe(),
        }
    }

    /// What it means for recovery, for people.
    pub fn meaning(&self) -> String {
        let dropped = self.dropped();
        if let LogEnd::Padding { .. } = self.end {
            return match self.valid_after() {
                Some((n, first, last)) => format!(
                    "ZooKeeper stops reading at the zero length and silently drops the {n} acknowledged txns {first}..{last} after it"
                ),
                None => "ZooKeeper stops reading at the zero length and never sees what follows; it may be stale or lost data".into(),
            };
        }
        match (&self.zookeeper, self.class, dropped) {
            (_, EndClass::Clean, _) => "nothing is lost".into(),
            (_, EndClass::CrashTail, _) => format!(
                "a write cut short by a crash; that txn was never acknowledged, and ZooKeeper ignores it{}",
                match self.end {
                    LogEnd::PartialRecord { .. } => " (\"Last transaction was partial\")",
                    _ => "",
                }
            ),
            (ZkAction::NextLog, _, Some((n, first, last))) => format!(
                "ZooKeeper stops reading this file here and silently drops {n} acknowledged txns, {first}..{last}{}",
                self.valid_after().map_or(String::new(), |(v, ..)| format!(" ({v} of them readable after the damage)"))
            ),
            (ZkAction::NextLog, _, None) => {
                "ZooKeeper stops reading this file here and never sees what follows; it may be stale or lost data".into()
            }
            (ZkAction::Fatal(_), _, Some(_)) => {
                let (v, first, last) = self.valid_after().unwrap_or_default();
                format!(
                    "ZooKeeper's restore fails here; the {v} valid txns {first}..{last} after it are only reachable with a tolerant replay or repair --salvage"
                )
            }
            (ZkAction::Fatal(_), _, None) => {
                "ZooKeeper's restore fails on this entry if it reads this file".into()
            }
        }
    }
}

/// What ZooKeeper's `FileTxnIterator` does at `end`.
pub fn zookeeper_action(end: &LogEnd, file: &str) -> ZkAction {
    let LogEnd::Corrupt { offset, error } = end else {
        // Clean ends, torn tails, partial records: an EOFException.
        return ZkAction::NextLog;
    };
    match error.kind() {
        DecodeErrorKind::ChecksumMismatch { .. } => {
            ZkAction::Fatal(format!("CRC check failed in {file}"))
        }
        DecodeErrorKind::NegativeLength(-1) if error.offset() == offset + 8 => ZkAction::Fatal(
            format!("NullPointerException on the length -1 entry in {file}"),
        ),
        // "Last transaction was partial.", or a body that ends early.
        DecodeErrorKind::MissingEndOfRecord { .. }
        | DecodeErrorKind::UnexpectedEof { .. }
        | DecodeErrorKind::CountTooLarge { .. } => ZkAction::NextLog,
        DecodeErrorKind::NegativeLength(_) | DecodeErrorKind::LengthOverLimit { .. } => {
            ZkAction::Fatal(format!("Unreasonable length in {file}"))
        }
        DecodeErrorKind::UnknownOpCode(_) => {
            ZkAction::Fatal(format!("Unsupported Txn type in {file}"))
        }
        _ => ZkAction::Fatal(format!("undecodable txn in {file}")),
    }
}

/// The verdict on `end`, given the valid entries found after its damage
/// point (`after`, from [`super::salvage::salvage_scan`]) and, for a partial
/// record, whether its body is all zeros. `file` names the log in what
/// ZooKeeper would say.
pub fn classify(
    end: LogEnd,
    after: Option<Salvage>,
    zero_body: bool,
    last_good: Option<Zxid>,
    file: &str,
) -> LogVerdict {
    let class = if end.is_clean() {
        EndClass::Clean
    } else if end.is_torn() && after.is_none() {
        EndClass::CrashTail
    } else {
        EndClass::Damage
    };
    LogVerdict {
        zookeeper: zookeeper_action(&end, file),
        class,
        after: if class == EndClass::Clean {
            None
        } else {
            after
        },
        zero_body,
        last_good,
        end,
    }
}

/// Where the salvage scan for `end` starts: after the damaged entry's
/// first byte, or a little before the first non-zero byte after the
/// padding (an entry starts with zeros: its checksum is a long whose top
/// four bytes are always 0, so its first non-zero byte may be up to 11
/// bytes in); `None` for a clean end.
pub fn scan_start(end: &LogEnd) -> Option<u64> {
    match end {
        LogEnd::Eof { .. }
        | LogEnd::Padding {
            nonzero_at: None, ..
        } => None,
        LogEnd::Padding {
            offset,
            nonzero_at: Some(nz),
        } => Some(nz.saturating_sub(ENTRY_PREFIX_LEN as u64 - 1).max(*offset)),
        other => Some(other.offset() + 1),
    }
}

/// A problem at the end of a snapshot: a seal, a "/" marker, or a stream
/// that ends early. The message does not repeat the offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrailerProblem {
    /// Finding code.
    pub code: &'static str,
    /// Byte offset in the (uncompressed) stream.
    pub offset: u64,
    /// What is wrong.
    pub message: String,
    /// What it means.
    pub meaning: &'static str,
    /// Why ZooKeeper rejects the snapshot, when it does.
    pub rejects: Option<String>,
}

/// Every problem at the end of a snapshot whose node records end at
/// `nodes_end`: bad seals and "/" markers, or a stream cut short (which
/// ZooKeeper tolerates inside the optional digest section).
pub fn trailer_problems<'a>(
    end: &SnapshotEnd,
    tail: impl FnOnce() -> StreamTail<'a>,
) -> Vec<TrailerProblem> {
    let mut out = Vec::new();
    match end {
        SnapshotEnd::Complete(trailer) => {
            for (i, seal) in trailer.seals.iter().enumerate() {
                if !seal.marker_ok {
                    out.push(TrailerProblem {
                        code: "snapshot_bad_marker",
                        offset: seal.offset + 8,
                        message: format!("the \"/\" string after seal #{} is damaged", i + 1),
                        meaning: "ZooKeeper reads it as a string length and fails, falling back to an older snapshot",
                        rejects: Some("damaged \"/\" marker after a seal".into()),
                    });
                }
                if !seal.ok() {
                    out.push(TrailerProblem {
                        code: "snapshot_seal_mismatch",
                        offset: seal.offset,
                        message: format!(
                            "seal #{} stored {:#x}, computed {:#x}",
                            i + 1,
                            seal.stored,
                            seal.computed
                        ),
                        meaning: "ZooKeeper rejects this snapshot (\"CRC corruption\") and falls back to an older one",
                        rejects: Some("CRC corruption in snapshot".into()),
                    });
                }
            }
        }
        SnapshotEnd::Corrupt(e) => {
            // ZooKeeper reads the digest section leniently: an EOF inside it
            // means "older snapshot" and the file is accepted (FORMAT.md §4.6).
            let zk = zk_trailer(&tail());
            out.push(TrailerProblem {
                code: snapshot_error_code(e.kind()),
                offset: e.offset(),
                message: e.kind().to_string(),
                meaning: if zk.is_ok() {
                    "ZooKeeper still loads this snapshot (it reads a cut digest section as an older format)"
                } else {
                    "ZooKeeper cannot load this snapshot and falls back to an older one"
                },
                rejects: zk.err(),
            });
        }
    }
    out
}

/// The finding code of a log's end that is not clean, and the offset it
/// names (`None` for a clean end): the one vocabulary `verify`'s findings
/// and `dump`'s `file` lines share.
pub fn log_end_code(end: &LogEnd, class: EndClass) -> Option<(&'static str, u64)> {
    let off = end.offset();
    Some(match (end, class) {
        (_, EndClass::Clean) | (LogEnd::Eof { .. }, _) => return None,
        (LogEnd::Padding { nonzero_at, .. }, _) => {
            ("log_garbage_after_end", nonzero_at.unwrap_or(off))
        }
        (LogEnd::TornTail { .. }, EndClass::CrashTail) => ("log_torn_tail", off),
        (LogEnd::PartialRecord { .. }, EndClass::CrashTail) => ("log_partial_record", off),
        (LogEnd::TornTail { .. } | LogEnd::PartialRecord { .. }, _) => ("log_damaged_entry", off),
        (LogEnd::Corrupt { error, .. }, _) => {
            let code = match error.kind() {
                DecodeErrorKind::ChecksumMismatch { .. } => "log_checksum_mismatch",
                DecodeErrorKind::NegativeLength(_) | DecodeErrorKind::LengthOverLimit { .. }
                    if error.offset() == off + 8 =>
                {
                    "log_bad_length"
                }
                DecodeErrorKind::MissingEndOfRecord { .. } => "log_missing_eor",
                _ => "log_undecodable_txn",
            };
            (code, error.offset())
        }
    })
}

/// The finding code for a snapshot that cannot be decoded.
pub fn snapshot_error_code(kind: &DecodeErrorKind) -> &'static str {
    match kind {
        DecodeErrorKind::UnexpectedEof { .. } => "snapshot_truncated",
        DecodeErrorKind::ChecksumMismatch { .. } => "snapshot_seal_mismatch",
        DecodeErrorKind::BadMagic { .. } => "snapshot_bad_header",
        DecodeErrorKind::Decompress(_) => "snapshot_compressed_stream",
        _ => "snapshot_corrupt",
    }
}

/// What ZooKeeper 3.8 does with the bytes where the node stream ended:
/// terminator, seal #1, then a digest section read with EOF meaning "none",
/// then seal #2.
fn zk_trailer(tail: &StreamTail<'_>) -> Result<(), String> {
    let stream = tail.bytes;
    // Whether the stream holds `end` bytes from the stop.
    let holds = |end: usize| tail.more || stream.len() >= end;
    let eof = || Err("EOF in snapshot".to_string());
    let read_i64 = |o: usize| -> Option<i64> {
        stream
            .get(o..o + 8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(i64::from_be_bytes)
    };
    let read_i32 = |o: usize| -> Option<i32> {
        stream
            .get(o..o + 4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(i32::from_be_bytes)
    };
    if stream.get(..5) != Some(&SLASH_USTRING[..]) {
        return Err("undecodable node record".into());
    }
    let seal_ok = |o: usize| -> Result<usize, String> {
        let stored = read_i64(o).ok_or("EOF in snapshot")?;
        let len = read_i32(o + 8).ok_or("EOF in snapshot")?;
        if len < -1 || len as usize > 1 << 20 {
            return Err("Unreasonable length in snapshot".into());
        }
        let end = o + 12 + len.max(0) as usize;
        if !holds(end) {
            return Err("EOF in snapshot".into());
        }
        let mut adler = tail.adler.clone();
        adler.update(stream.get(..o).unwrap_or(&[]));
        if stored as u64 != u64::from(adler.value()) {
            return Err("CRC corruption in snapshot".into());
        }
        Ok(end)
    };
    let after1 = seal_ok(5)?;
    // ZxidDigest: long zxid, int version, long digest (or hex string).
    let Some(_zxid) = read_i64(after1) else {
        return Ok(());
    };
    let Some(version) = read_i32(after1 + 8) else {
        return Ok(());
    };
    let digest_end = if version >= 2 {
        if read_i64(after1 + 12).is_none() {
            return Ok(());
        }
        after1 + 20
    } else {
        let Some(n) = read_i32(after1 + 12) else {
            return Ok(());
        };
        let end = after1 + 16 + n.max(0) as usize;
        if !holds(end) {
            return Ok(());
        }
        end
    };
    if !holds(digest_end + 8) {
        return eof();
    }
    seal_ok(digest_end).map(|_| ())
}
