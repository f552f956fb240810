//! Dumping a txn log: its entries are read, checked, filtered and rendered
//! in chunks on several threads ([`crate::files::par::log_chunks`]), and the
//! rendered bytes come back in file order, byte for byte what one pass
//! writes.

use std::sync::Mutex;

use super::{Filter, Stats, TxnFormat};
use crate::error::Error;
use crate::files::log::OpenLog;
use crate::files::par::{self, Flow};
use crate::format::txnlog::{IterOptions, LogChunk, LogEnd, TxnLog};
use crate::zxid::Zxid;

/// What a dump read of one log.
#[derive(Debug, Default)]
pub struct LogDump {
    /// Entries read, shown or not.
    pub txns: u64,
    /// First zxid read.
    pub first_zxid: Option<Zxid>,
    /// Last zxid read.
    pub last_zxid: Option<Zxid>,
    /// How the entries end; `None` when the dump stopped at the filter's
    /// upper zxid bound (the end is then unknown).
    pub end: Option<LogEnd>,
}

/// How to dump a log.
pub struct LogDumper<'a, F> {
    /// Which txns to show.
    pub filter: &'a Filter,
    /// How a txn looks.
    pub format: &'a F,
    /// Length limits and checksums.
    pub options: IterOptions,
    /// Worker threads.
    pub threads: usize,
}

/// One worker's result for a chunk.
struct ChunkDone {
    /// The lines, ready to write.
    text: Vec<u8>,
    count: u64,
    first: Option<Zxid>,
    last: Option<Zxid>,
    /// Per-chunk counts for --stats.
    stats: Option<Stats>,
    /// Offset after the last entry read.
    next: u64,
    /// Set when the log stops in this chunk: `Some(end)` where the entries
    /// end, `None` at the filter's zxid bound.
    stop: Option<Option<LogEnd>>,
}

impl<F: TxnFormat> LogDumper<'_, F> {
    /// Dumps `log`: rendered lines go to `emit` in file order until it says
    /// stop (`--limit`; the end is then unknown, as at a `--zxid` bound),
    /// or, with `stats`, every matching txn is counted there instead.
    /// `progress` is called with the offset reached now and then.
    pub fn dump(
        &self,
        log: &mut OpenLog,
        mut stats: Option<&mut Stats>,
        mut emit: impl FnMut(&[u8]) -> Result<Flow, Error>,
        mut progress: impl FnMut(u64),
    ) -> Result<LogDump, Error> {
        let counting = stats.is_some();
        let mut dump = LogDump::default();
        let mut released = 0u64;
        // Output buffers go back here once written: reusing them saves
        // faulting in fresh memory for every chunk.
        let spare: Mutex<Vec<Vec<u8>>> = Mutex::default();
        let spare_buffer = || {
            spare
                .lock()
                .ok()
                .and_then(|mut v| v.pop())
                .unwrap_or_default()
        };
        let releaser = log.releaser();
        let limits = self.options.limits;
        let mut work = |view: &TxnLog<'_>| -> Result<Option<LogEnd>, Error> {
            let mut end = None;
            par::log_chunks(
                self.threads,
                view,
                par::LOG_CHUNK_BYTES,
                &limits,
                |chunk| {
                    let done = self.chunk(view, chunk, counting, spare_buffer());
                    let next = done.next;
                    (done, next)
                },
                |done: ChunkDone| -> Result<Flow, Error> {
                    dump.txns += done.count;
                    if dump.first_zxid.is_none() {
                        dump.first_zxid = done.first;
                    }
                    dump.last_zxid = done.last.or(dump.last_zxid);
                    if let (Some(total), Some(part)) = (stats.as_deref_mut(), done.stats) {
                        total.merge(part);
                    }
                    let flow = emit(&done.text)?;
                    if let Ok(mut v) = spare.lock() {
                        v.push(done.text);
                    }
                    if flow == Flow::Stop {
                        end = None;
                        return Ok(Flow::Stop);
                    }
                    if done.next.saturating_sub(released) > 4 << 20 {
                        // Keep resident memory flat on huge mapped logs.
                        releaser.release_before(done.next);
                        released = done.next;
                        progress(done.next);
                    }
                    Ok(match done.stop {
                        None => Flow::Continue,
                        Some(stop) => {
                            end = stop;
                            Flow::Stop
                        }
                    })
                },
            )?;
            Ok(end)
        };
        dump.end = log.run(0, &limits, &mut work)?;
        Ok(dump)
    }

    /// Reads, checks, filters and renders the entries of one chunk, exactly
    /// as a single pass over the log would. `text` is a buffer to reuse for
    /// the lines (emptied first).
    fn chunk(
        &self,
        log: &TxnLog<'_>,
        chunk: LogChunk,
        counting: bool,
        mut text: Vec<u8>,
    ) -> ChunkDone {
        text.clear();
        if !counting {
            // JSON lines are 1.3x to 1.7x the entries they show; growing
            // the buffer instead would copy it.
            text.reserve(par::LOG_CHUNK_BYTES as usize * 2);
        }
        let mut done = ChunkDone {
            text,
            count: 0,
            first: None,
            last: None,
            stats: counting.then(Stats::default),
            next: chunk.start,
            stop: None,
        };
        let mut state = F::State::default();
        let mut iter = log.entries_at(chunk.start, self.options);
        loop {
            if chunk.end.is_some_and(|end| iter.offset() >= end) {
                break;
            }
            let Some(entry) = iter.next() else {
                done.stop = Some(iter.end().cloned());
                break;
            };
            done.count += 1;
            let zxid = entry.txn.header.zxid;
            done.first.get_or_insert(zxid);
            done.last = Some(zxid);
            done.next = iter.offset();
            if !self.filter.matches(&entry.txn) {
                if self.filter.past_end(zxid) {
                    done.stop = Some(None);
                    break;
                }
                continue;
            }
            match done.stats.as_mut() {
                Some(stats) => stats.add(&entry.txn, entry.framed_len()),
                None => self.format.txn(&entry, &mut done.text, &mut state),
            }
        }
        done
    }
}
