//! `zkdd repair`: plan a cleaned copy of one txn log, and write it.
//!
//! The plan keeps the leading run of entries the reader accepts (up to the
//! first problem, or up to `--to-zxid`), byte-identical: checksums are never
//! recomputed, because bytes that fail their checksum cannot be trusted.
//! Past a mid-file problem, [`salvage_scan`] looks for the next entry whose
//! framing, checksum and zxid all agree, so an operator can see what a crash
//! or a bad sector hid.
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

use std::io::Write as _;
use std::path::Path;

use crate::files::atomic::AtomicFile;
use crate::format::header::FILE_HEADER_LEN;
use crate::format::jute::Limits;
use crate::format::salvage::{Run, Salvage, salvage_scan};
use crate::format::txnlog::{IterOptions, LogEnd, TxnLog};
use crate::format::write::padded_log_len;
use crate::zxid::Zxid;

/// Default `preAllocSize` of ZooKeeper: 64 MiB.
pub const DEFAULT_PREALLOC: u64 = 64 << 20;

/// Why the kept run stops.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cut {
    /// The log ended (cleanly or not) here.
    End(LogEnd),
    /// `--to-zxid`: the first entry above the target starts here.
    ToZxid {
        /// The target.
        target: Zxid,
        /// Offset of the first dropped entry.
        offset: u64,
    },
}

/// What repair keeps and drops.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Entries kept (from offset 16).
    pub kept: Run,
    /// Why the kept run stops.
    pub cut: Cut,
    /// Entries after the cut that can still be read: for `--to-zxid` the
    /// valid entries above the target; after damage, the salvaged run.
    pub dropped_entries: Run,
    /// Byte range dropped: the cut offset up to the last non-zero byte + 1
    /// (empty when only padding follows).
    pub dropped_bytes: (u64, u64),
    /// The next valid run past mid-file damage, if the scan found one.
    pub salvage: Option<Salvage>,
}

impl Plan {
    /// True when entries or non-padding bytes are dropped.
    pub fn drops_anything(&self) -> bool {
        self.dropped_bytes.1 > self.dropped_bytes.0
    }
}

/// Plans the repair of `log` (optionally chopped at `to_zxid`).
pub fn plan(log: &TxnLog<'_>, limits: Limits, to_zxid: Option<Zxid>) -> Plan {
    let opts = IterOptions {
        limits,
        verify_checksums: true,
    };
    let data = log.data();
    let mut kept = Run {
        start: FILE_HEADER_LEN as u64,
        end: FILE_HEADER_LEN as u64,
        ..Run::default()
    };
    let mut iter = log.entries(opts);
    let mut cut = None;
    let mut above = Run::default();
    for e in &mut iter {
        let z = e.txn.header.zxid;
        if let Some(t) = to_zxid
            && z > t
        {
            if cut.is_none() {
                cut = Some(Cut::ToZxid {
                    target: t,
                    offset: e.offset,
                });
            }
            above.push(z, e.offset, e.framed_len());
            continue;
        }
        if cut.is_none() {
            kept.push(z, e.offset, e.framed_len());
        }
    }
    let end = iter.end().cloned().unwrap_or(LogEnd::Eof {
        offset: data.len() as u64,
    });
    let cut = cut.unwrap_or_else(|| Cut::End(end.clone()));
    let cut_offset = match &cut {
        Cut::End(e) => e.offset(),
        Cut::ToZxid { offset, .. } => *offset,
    };
    let tail = data
        .get(usize::try_from(cut_offset).unwrap_or(usize::MAX)..)
        .unwrap_or(&[]);
    let last_nonzero = tail
        .iter()
        .rposition(|&b| b != 0)
        .map_or(cut_offset, |i| cut_offset + i as u64 + 1);
    let salvage = if !end.is_clean() && !matches!(end, LogEnd::Padding { .. }) {
        let from = end.offset() + 1;
        salvage_scan(log, from, kept.last_zxid.max(above.last_zxid), opts)
    } else if let LogEnd::Padding {
        nonzero_at: Some(nz),
        ..
    } = end
    {
        // Entries start with zero bytes: the scan starts a little before nz.
        let from = crate::format::verdict::scan_start(&end).unwrap_or(nz);
        salvage_scan(log, from, kept.last_zxid.max(above.last_zxid), opts)
    } else {
        None
    };
    let mut dropped_entries = above;
    if let Some(s) = &salvage {
        let r = &s.run;
        if dropped_entries.entries == 0 {
            dropped_entries = r.clone();
        } else {
            dropped_entries.entries += r.entries;
            dropped_entries.last_zxid = r.last_zxid;
            dropped_entries.end = r.end;
        }
    }
    Plan {
        kept,
        cut,
        dropped_entries,
        dropped_bytes: (cut_offset, last_nonzero.max(cut_offset)),
        salvage,
    }
}

/// Writes the repaired log to `out` atomically: the input's 16-byte header,
/// the kept bytes and (with `salvaged`) the salvaged run, copied verbatim,
/// then zeros up to the `FilePadding` size for `prealloc` (a sparse tail).
/// Returns the output's length.
pub fn write(
    log: &TxnLog<'_>,
    plan: &Plan,
    salvaged: bool,
    prealloc: u64,
    out: &Path,
) -> std::io::Result<u64> {
    let data = log.data();
    let slice = |a: u64, b: u64| -> std::io::Result<&[u8]> {
        data.get(a as usize..b as usize).ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, "range outside the input")
        })
    };
    let (atomic, file) = AtomicFile::create(out)?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut len = 0u64;
    let mut parts = vec![
        slice(0, FILE_HEADER_LEN as u64)?,
        slice(plan.kept.start, plan.kept.end)?,
    ];
    if salvaged && let Some(s) = &plan.salvage {
        parts.push(slice(s.run.start, s.run.end)?);
    }
    for part in parts {
        w.write_all(part)?;
        len += part.len() as u64;
    }
    let file = w.into_inner().map_err(|e| e.into_error())?;
    // Zeros as a sparse tail, like FilePadding's one-byte write.
    file.set_len(padded_log_len(len, Some(prealloc)))?;
    // Never replace an existing file (the caller removed it under --force).
    atomic.commit(file, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::write::{JuteBuf, TxnLogWriter};

    /// A log of `n` error txns with zxids 1..=n, padded to 4 KiB; returns it
    /// with each entry's offset.
    fn log(n: i64) -> (Vec<u8>, Vec<u64>) {
        let mut w = TxnLogWriter::new();
        let mut offsets = Vec::new();
        for z in 1..=n {
            offsets.push(w.len() as u64);
            let mut b = JuteBuf::new();
            // TxnHeader (clientId, cxid, zxid, time, type = error) + ErrorTxn.
            b.i64(0x1234)
                .i32(z as i32)
                .i64(z)
                .i64(1_700_000_000_000)
                .i32(-1);
            b.i32(-110);
            w.append_bytes(&b.0);
        }
        (w.finish(Some(4096)), offsets)
    }

    #[test]
    fn a_clean_log_keeps_everything() {
        let (bytes, offsets) = log(5);
        let l = TxnLog::parse(&bytes).unwrap();
        let p = plan(&l, Limits::default(), None);
        assert_eq!(p.kept.entries, 5);
        assert_eq!(p.kept.last_zxid, Some(Zxid(5)));
        assert!(!p.drops_anything());
        assert!(p.salvage.is_none());
        assert_eq!(p.kept.start, offsets[0]);
    }

    #[test]
    fn a_flipped_byte_cuts_there_and_the_scan_finds_the_next_entry() {
        let (mut bytes, offsets) = log(5);
        bytes[offsets[2] as usize + 20] ^= 0x40;
        let l = TxnLog::parse(&bytes).unwrap();
        let p = plan(&l, Limits::default(), None);
        assert_eq!(p.kept.entries, 2);
        assert_eq!(p.kept.end, offsets[2]);
        let s = p.salvage.unwrap();
        assert_eq!(s.run.start, offsets[3]);
        assert_eq!(s.run.entries, 2);
        assert_eq!(s.run.first_zxid, Some(Zxid(4)));
        assert_eq!(p.dropped_bytes, (offsets[2], s.run.end));
    }

    #[test]
    fn to_zxid_counts_what_it_drops() {
        let (bytes, offsets) = log(5);
        let l = TxnLog::parse(&bytes).unwrap();
        let p = plan(&l, Limits::default(), Some(Zxid(3)));
        assert_eq!(p.kept.entries, 3);
        assert_eq!(
            p.cut,
            Cut::ToZxid {
                target: Zxid(3),
                offset: offsets[3]
            }
        );
        assert_eq!(p.dropped_entries.entries, 2);
        assert_eq!(p.dropped_entries.last_zxid, Some(Zxid(5)));
    }

    #[test]
    fn the_scan_rejects_a_zxid_from_another_epoch() {
        let (bytes, offsets) = log(3);
        let l = TxnLog::parse(&bytes).unwrap();
        let after = Some(Zxid((7 << 32) | 1));
        assert!(salvage_scan(&l, offsets[0], after, IterOptions::default()).is_none());
        let found = salvage_scan(&l, offsets[0] + 1, Some(Zxid(1)), IterOptions::default());
        assert_eq!(found.map(|s| s.run.start), Some(offsets[1]));
    }
}
