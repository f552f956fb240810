//! Finding valid entries past damage in a txn log: the next offset where
//! an entry's framing, Adler-32 and zxid all check out, and the run of
//! entries from there. `repair --salvage` writes them; every verdict on a
//! damaged log ([`super::verdict`]) uses the scan to tell a crash tail
//! (nothing after it) from damage that hides acknowledged txns.
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

use super::checksum::adler32;
use super::jute::Limits;
use super::txnlog::{ENTRY_PREFIX_LEN, IterOptions, LogEnd, TxnLog, first_nonzero};
use crate::zxid::Zxid;

/// Most bytes the salvage scan checksums before giving up (bounded work on
/// a huge damaged file).
pub const SALVAGE_CHECKSUM_BUDGET: u64 = 1 << 30;

/// A run of whole entries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Run {
    /// Number of entries.
    pub entries: u64,
    /// First entry's zxid.
    pub first_zxid: Option<Zxid>,
    /// Last entry's zxid.
    pub last_zxid: Option<Zxid>,
    /// Offset of the first entry.
    pub start: u64,
    /// Offset just past the last entry.
    pub end: u64,
}

impl Run {
    /// Adds the entry at `offset` with `zxid`, `framed_len` bytes long.
    pub fn push(&mut self, zxid: Zxid, offset: u64, framed_len: u64) {
        if self.entries == 0 {
            self.start = offset;
            self.first_zxid = Some(zxid);
        }
        self.entries += 1;
        self.last_zxid = Some(zxid);
        self.end = offset + framed_len;
    }
}

/// A valid run found past the cut by [`salvage_scan`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Salvage {
    /// The run of valid entries found.
    pub run: Run,
    /// How that run ended (`None`: at an entry whose zxid does not increase).
    pub end: Option<LogEnd>,
    /// Bytes scanned before it was found.
    pub skipped: u64,
}

/// Scans forward byte by byte from `from` for the next entry whose framing
/// (length within limits, 0x42 at its end), checksum and zxid (above
/// `after`, same epoch) are all valid, then follows the run of valid entries
/// from there. Work is bounded by [`SALVAGE_CHECKSUM_BUDGET`].
pub fn salvage_scan(
    log: &TxnLog<'_>,
    from: u64,
    after: Option<Zxid>,
    opts: IterOptions,
) -> Option<Salvage> {
    let mut budget = SALVAGE_CHECKSUM_BUDGET;
    let mut next = from;
    loop {
        let p = find_entry(log, next, None, after, &opts.limits, &mut budget)?;
        let mut it = log.entries_at(p, opts);
        let mut run = Run::default();
        let mut last = after;
        for e in &mut it {
            let z = e.txn.header.zxid;
            if last.is_some_and(|l| z <= l) {
                break;
            }
            last = Some(z);
            run.push(z, e.offset, e.framed_len());
        }
        if run.entries > 0 {
            return Some(Salvage {
                run,
                end: it.end().cloned(),
                skipped: p - from,
            });
        }
        next = p + 1;
    }
}

/// The first offset in `[from, to)` (`to` = the end of `log` when `None`)
/// where an entry starts whose framing, checksum and zxid (above `after`,
/// same epoch) are all valid. Checksummed bytes are taken from `budget`;
/// `None` when it runs out or nothing is found.
pub fn find_entry(
    log: &TxnLog<'_>,
    from: u64,
    to: Option<u64>,
    after: Option<Zxid>,
    limits: &Limits,
    budget: &mut u64,
) -> Option<u64> {
    let data = log.data();
    let len = log.end_offset();
    let end = to.map_or(len, |t| t.min(len));
    let mut p = from.max(log.first_entry());
    let prefix = ENTRY_PREFIX_LEN as u64;
    while p + prefix < len && p < end && *budget > 0 {
        if let Some((stored, body)) = log.frame_at(p, limits) {
            // TxnHeader: clientId (8), cxid (4), zxid (8).
            let zxid = body
                .get(12..20)
                .and_then(|z| z.try_into().ok())
                .map(|z: [u8; 8]| Zxid(i64::from_be_bytes(z)));
            let zxid_ok = match (zxid, after) {
                (Some(z), Some(a)) => z > a && (z.0 >> 32) == (a.0 >> 32),
                (Some(z), None) => z.0 > 0,
                (None, _) => false,
            };
            if zxid_ok {
                *budget = budget.saturating_sub(body.len() as u64);
                if u64::from(adler32(body)) == stored {
                    return Some(p);
                }
            }
        }
        let rest = data
            .get(usize::try_from(p - log.base()).unwrap_or(usize::MAX)..)
            .unwrap_or(&[]);
        if rest
            .get(..ENTRY_PREFIX_LEN)
            .is_some_and(|b| b.iter().all(|&x| x == 0))
        {
            // An entry never starts with 12 zero bytes: jump over zero runs.
            match first_nonzero(rest) {
                Some(i) => p += (i as u64).saturating_sub(prefix - 1).max(1),
                None => break,
            }
        } else {
            p += 1;
        }
    }
    None
}
