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

#[cfg(test)]
mod tests {
    use super::*;

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
