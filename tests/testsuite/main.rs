//! The one integration-test binary (it links once and runs fast).
#![allow(clippy::print_stderr, clippy::print_stdout)] // tests report skips on stderr

mod cli; // --help, man pages and completions
mod common; // fixture paths, running zkdd, ZooKeeper's own tools
mod contract; // one CLI contract: -q, -v, JSON errors, flags, points and ranges, sizes, colour
mod diff; // zkdd diff
mod diff_snapshot; // zkdd diff on snapshot files: the index vs the tree loader
mod dump; // zkdd dump: JSON contract, filters, exit codes, CLI
mod forensics; // zkdd history, extract, du
mod formats; // readers vs ZooKeeper's TxnLogToolkit / SnapshotFormatter / restore
mod fuzz_corpus; // seeded mutations of real fixtures never panic or over-allocate
mod ls; // zkdd ls: rows agree with dump and verify
mod memory; // dump and verify of big compressed or unmapped snapshots in flat memory
mod monitoring; // zkdd verify --prometheus: node_exporter's textfile, checked by promtool
mod packaging; // the units, /etc/default/zkdd, the .deb assets and the README agree
mod purge; // zkdd purge
mod recover; // zkdd recover: damaged copies of real data dirs, real servers before and after
mod redact; // --redact: no data value or digest credential of any fixture in any output
mod repair; // zkdd repair, dump --follow
mod replay; // zkdd replay and the tree engine vs ZooKeeper's restore
mod report; // zkdd report: the HTML page, structurally and in headless Chromium
mod roundtrip; // writer -> reader round trips
mod transcripts; // tests/cli/*.md: help, -q, -v, --json and errors of every subcommand
mod verdict; // one verdict: every subcommand agrees on damaged and odd data dirs
mod verify; // zkdd verify
mod zk_versions; // snapshots zkdd writes, loaded by ZooKeeper 3.4, 3.5, 3.6, 3.8 and 3.9

/// Measures the largest single allocation a closure makes on this thread.
#[allow(unsafe_code)] // a global allocator wrapper is unsafe by definition
mod track_alloc {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    struct Tracking;

    thread_local! {
        static ACTIVE: Cell<bool> = const { Cell::new(false) };
        static LARGEST: Cell<usize> = const { Cell::new(0) };
    }

    fn record(size: usize) {
        let _ = ACTIVE.try_with(|a| {
            if a.get() {
                let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
            }
        });
    }

    // SAFETY: delegates every call to the system allocator unchanged; the
    // bookkeeping touches only const-initialised thread-locals (no allocation).
    unsafe impl GlobalAlloc for Tracking {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            record(layout.size());
            unsafe { System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            unsafe { System.dealloc(ptr, layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            record(new_size);
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }

    #[global_allocator]
    static GLOBAL: Tracking = Tracking;

    /// Runs `f` and returns its result with the largest allocation it made.
    pub fn largest_allocation_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
        LARGEST.with(|l| l.set(0));
        ACTIVE.with(|a| a.set(true));
        let r = f();
        ACTIVE.with(|a| a.set(false));
        (r, LARGEST.with(|l| l.get()))
    }
}
