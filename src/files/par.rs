//! Work on the chunks of a big file on several threads, results in order.
//!
//! Dumping or checking a 1 GB log is embarrassingly parallel once the entry
//! boundaries are known, and finding them is cheap (one length field per
//! entry). [`ordered`] hands chunks to worker threads in file order and gives
//! their results back to the caller's thread in the same order, so output is
//! byte for byte what a single pass writes. At most a few chunks are in
//! flight, which keeps memory flat whatever the file size.

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use crate::format::jute::Limits;
use crate::format::txnlog::{LogChunk, LogSpan, TxnLog};

/// Whether the caller wants more results after this one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Keep going.
    Continue,
    /// Stop: no more chunks are taken and results in flight are dropped.
    Stop,
}

/// Worker threads to use by default: one per available core, at most 8
/// (past that, writing the output is the bottleneck).
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

struct Queue<I> {
    jobs: I,
    /// Sequence number of the next job taken.
    next: usize,
    /// Results handed to the sink so far.
    consumed: usize,
    stop: bool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A worker that panicked takes the whole scope down anyway; the queue
    // itself is never left half-updated.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `work` on every job of `jobs` on `threads` threads and passes each
/// result to `sink` on the calling thread, in job order. `jobs` is advanced
/// under a lock, so it may do cheap sequential work itself (finding chunk
/// boundaries). With `threads <= 1` everything runs on the calling thread.
///
/// `sink` returning [`Flow::Stop`] or an error ends the run: later results
/// are discarded and the error is returned.
pub fn ordered<J, R, E>(
    threads: usize,
    jobs: impl Iterator<Item = J> + Send,
    work: impl Fn(J) -> R + Sync,
    mut sink: impl FnMut(R) -> Result<Flow, E>,
) -> Result<(), E>
where
    J: Send,
    R: Send,
{
    if threads <= 1 {
        for job in jobs {
            if sink(work(job))? == Flow::Stop {
                break;
            }
        }
        return Ok(());
    }
    // Jobs taken but not yet consumed: bounds the results held in memory.
    let window = threads * 2;
    let queue = Mutex::new(Queue {
        jobs: jobs.fuse(),
        next: 0,
        consumed: 0,
        stop: false,
    });
    let wake = Condvar::new();
    let (tx, rx) = mpsc::channel::<(usize, R)>();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let tx = tx.clone();
            let (queue, wake, work) = (&queue, &wake, &work);
            scope.spawn(move || {
                loop {
                    let (seq, job) = {
                        let mut q = lock(queue);
                        while !q.stop && q.next >= q.consumed + window {
                            q = wake.wait(q).unwrap_or_else(PoisonError::into_inner);
                        }
                        if q.stop {
                            return;
                        }
                        let Some(job) = q.jobs.next() else {
                            return;
                        };
                        q.next += 1;
                        (q.next - 1, job)
                    };
                    if tx.send((seq, work(job))).is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);
        let mut pending = BTreeMap::new();
        let mut want = 0usize;
        let mut result = Ok(());
        'recv: for (seq, r) in &rx {
            pending.insert(seq, r);
            while let Some(r) = pending.remove(&want) {
                want += 1;
                let flow = sink(r);
                let mut q = lock(&queue);
                q.consumed = want;
                match flow {
                    Ok(Flow::Continue) => {}
                    Ok(Flow::Stop) => q.stop = true,
                    Err(e) => {
                        q.stop = true;
                        result = Err(e);
                    }
                }
                let stop = q.stop;
                drop(q);
                wake.notify_all();
                if stop {
                    break 'recv;
                }
            }
        }
        // Workers still running see `stop` or a closed channel and return.
        drop(rx);
        result
    })
}

/// Bytes of log entries per chunk handed to a worker by `dump` and `verify`.
pub const LOG_CHUNK_BYTES: u64 = 2 << 20;

/// Runs `work` over the entries of `log` on `threads` threads and passes
/// the results to `sink` on the calling thread in file order, covering
/// exactly the entries a single pass from the first one reads.
///
/// The log is cut into spans of `span` bytes ([`TxnLog::spans`]); each
/// worker guesses where the entries of its span start ([`TxnLog::resync`])
/// and works from there, so no thread has to follow the whole chain of
/// length fields first. `work` returns its result and the offset after the
/// last entry it read. A span whose guessed start is not where the
/// previous span's entries ended (damage, or a wrong guess) is worked again
/// from that offset on the calling thread: a guess never changes a result.
///
/// `work` must read its chunk to the end (the first entry at or past
/// `chunk.end`) unless its result makes `sink` stop.
pub fn log_chunks<R, E>(
    threads: usize,
    log: &TxnLog<'_>,
    span: u64,
    limits: &Limits,
    work: impl Fn(LogChunk) -> (R, u64) + Sync,
    mut sink: impl FnMut(R) -> Result<Flow, E>,
) -> Result<(), E>
where
    R: Send,
{
    let first = log.first_entry();
    let guess = |sp: LogSpan| {
        if threads <= 1 {
            // One thread follows the chain anyway: no guessing.
            return None;
        }
        let start = if sp.from <= first {
            Some(first)
        } else {
            log.resync(sp.from, sp.to, limits)
        }?;
        let done = work(LogChunk { start, end: sp.to });
        Some((start, done))
    };
    // Where the chain of entries says the next one starts.
    let mut expected = first;
    ordered(
        threads,
        log.spans(span),
        |sp| (sp, guess(sp)),
        |(sp, guessed)| {
            if sp.to.is_some_and(|to| expected >= to) {
                // An entry read before covers this whole span.
                return Ok(Flow::Continue);
            }
            let (result, next) = match guessed {
                Some((start, done)) if start == expected => done,
                _ => work(LogChunk {
                    start: expected,
                    end: sp.to,
                }),
            };
            expected = next;
            sink(result)
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::txnlog::{IterOptions, LogEnd};

    #[test]
    fn results_come_back_in_order_on_any_thread_count() {
        for threads in [1, 2, 3, 8] {
            let mut got = Vec::new();
            let r: Result<(), ()> = ordered(
                threads,
                0..1000u64,
                |i| {
                    // Uneven work so later jobs often finish first.
                    let spin = (i * 7919) % 500;
                    let x = (0..spin).fold(i, |a, b| a.wrapping_mul(31).wrapping_add(b));
                    (i << 32) | (x & 0xffff_ffff)
                },
                |v| {
                    got.push(v >> 32);
                    Ok(Flow::Continue)
                },
            );
            assert!(r.is_ok());
            assert_eq!(got, (0..1000).collect::<Vec<_>>(), "threads {threads}");
        }
    }

    /// Entry offsets and the end, chunk by chunk, as `log_chunks` delivers them.
    fn chunked(log: &TxnLog<'_>, threads: usize, span: u64) -> Vec<(u64, Option<LogEnd>)> {
        let opts = IterOptions::default();
        let mut got = Vec::new();
        let r: Result<(), ()> = log_chunks(
            threads,
            log,
            span,
            &opts.limits,
            |chunk| {
                let mut it = log.entries_at(chunk.start, opts);
                let mut offsets = Vec::new();
                let mut end = None;
                loop {
                    if chunk.end.is_some_and(|e| it.offset() >= e) {
                        break;
                    }
                    match it.next() {
                        Some(e) => offsets.push((e.offset, None)),
                        None => {
                            end = it.end().cloned();
                            break;
                        }
                    }
                }
                if let Some(end) = end {
                    offsets.push((u64::MAX, Some(end)));
                }
                let next = it.offset();
                (offsets, next)
            },
            |offsets| {
                let stop = offsets.last().is_some_and(|o| o.1.is_some());
                got.extend(offsets);
                Ok(if stop { Flow::Stop } else { Flow::Continue })
            },
        );
        assert!(r.is_ok());
        got
    }

    #[test]
    fn log_chunks_equal_one_pass_despite_damage_and_false_guesses() {
        use crate::format::txn::OpCode;
        use crate::format::write::{JuteBuf, TxnLogWriter};
        // Deletes whose paths hold a whole valid-looking entry (framing and
        // Adler-32 right): a span that starts inside one guesses wrong.
        let mut fake = TxnLogWriter::new();
        fake.append_bytes(&[9u8; 20]);
        let fake = fake.finish(None).split_off(16);
        let mut log = TxnLogWriter::new();
        for i in 1..=60 {
            let mut b = JuteBuf::new();
            b.i64(0x100)
                .i32(i)
                .i64(i64::from(i))
                .i64(1000)
                .i32(OpCode::DELETE.0);
            b.string(if i % 3 == 0 {
                &fake
            } else {
                b"/some/node/path"
            });
            log.append_bytes(&b.0);
        }
        let clean = log.finish(Some(1024));
        let mut damaged = clean.clone();
        let mid = clean.len() / 3;
        damaged[mid] ^= 0x10;
        for bytes in [&clean, &damaged] {
            let log = TxnLog::parse(bytes).unwrap();
            let single = chunked(&log, 1, 1 << 30);
            assert!(single.len() > 10, "{single:?}");
            for threads in [2, 3] {
                for span in [7, 43, 64, 100, 1000] {
                    assert_eq!(
                        chunked(&log, threads, span),
                        single,
                        "{threads} threads, span {span}"
                    );
                }
            }
        }
    }

    #[test]
    fn stop_and_errors_end_the_run_early() {
        for threads in [1, 2, 4] {
            let mut seen = 0;
            let r: Result<(), String> = ordered(
                threads,
                0..10_000u32,
                |i| i,
                |i| {
                    seen += 1;
                    Ok(if i == 41 { Flow::Stop } else { Flow::Continue })
                },
            );
            assert!(r.is_ok());
            assert_eq!(seen, 42);
            let r: Result<(), String> = ordered(
                threads,
                0..10_000u32,
                |i| i,
                |i| {
                    if i == 7 {
                        Err(format!("failed at {i}"))
                    } else {
                        Ok(Flow::Continue)
                    }
                },
            );
            assert_eq!(r, Err("failed at 7".to_string()));
        }
    }
}
