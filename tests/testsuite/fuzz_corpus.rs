//! Seeded mutations of the real fixtures through every reader: no panic, no
//! hang, and no allocation sized by a corrupt length.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

use crate::common;
use crate::track_alloc::largest_allocation_during;

fn fixture_files(prefix: &str) -> Vec<PathBuf> {
    common::data_dirs()
        .iter()
        .flat_map(|d| common::files(d, prefix))
        .filter(|p| !p.to_string_lossy().ends_with(".tmp"))
        .collect()
}

/// Flips bytes, overwrites 4-byte fields with extreme lengths, truncates.
fn mutate(rng: &mut SmallRng, original: &[u8]) -> Vec<u8> {
    let mut data = original.to_vec();
    if data.is_empty() {
        return data;
    }
    match rng.random_range(0..4) {
        0 => {
            for _ in 0..rng.random_range(1..8) {
                let i = rng.random_range(0..data.len());
                data[i] ^= 1 << rng.random_range(0..8);
            }
        }
        1 => {
            let i = rng.random_range(0..data.len().saturating_sub(4).max(1));
            let v: i32 =
                [i32::MAX, i32::MIN, -1, -2, 0x7fff_fff0, 0x1000_0000][rng.random_range(0..6)];
            for (k, b) in v.to_be_bytes().iter().enumerate() {
                if let Some(slot) = data.get_mut(i + k) {
                    *slot = *b;
                }
            }
        }
        2 => {
            let cut = rng.random_range(0..data.len());
            data.truncate(cut);
        }
        _ => {
            let i = rng.random_range(0..data.len());
            let n = rng.random_range(1..64).min(data.len() - i);
            for b in &mut data[i..i + n] {
                *b = rng.random();
            }
        }
    }
    data
}

/// Runs `f` over mutations of every file; checks time and allocation bounds.
fn run_mutations(prefix: &str, per_file: usize, f: fn(&[u8]) -> usize) {
    let mut rng = SmallRng::seed_from_u64(0x5eed_0000 + prefix.len() as u64);
    let files = fixture_files(prefix);
    assert!(!files.is_empty());
    let mut cases = 0;
    for path in &files {
        let original = std::fs::read(path).unwrap();
        // The logical part of a preallocated log is what matters; keep the
        // mutated area there so cases are not wasted on zeros.
        let data = &original[..original.len().min(96 * 1024)];
        for _ in 0..per_file {
            let m = mutate(&mut rng, data);
            let start = Instant::now();
            let (res, largest) = largest_allocation_during(|| std::panic::catch_unwind(|| f(&m)));
            assert!(
                res.is_ok(),
                "{}: reader panicked on a mutation",
                path.display()
            );
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "{}: reader took {:?} on a mutation",
                path.display(),
                start.elapsed()
            );
            // Every buffer is bounded by the input (or by a snappy block limit
            // well under this for the tiny inputs here).
            let bound = 4 * m.len() + (1 << 20);
            assert!(
                largest <= bound,
                "{}: allocation of {largest} bytes for a {}-byte input",
                path.display(),
                m.len()
            );
            cases += 1;
        }
    }
    assert!(cases >= per_file);
}

#[test]
fn mutated_logs_never_panic_hang_or_overallocate() {
    run_mutations("log.", 60, zkdd::fuzz::txnlog);
}

#[test]
fn mutated_snapshots_never_panic_hang_or_overallocate() {
    run_mutations("snapshot.", 60, |d| {
        zkdd::fuzz::snapshot(d) + zkdd::fuzz::compressed(d)
    });
}

#[test]
fn committed_crashers_stay_fixed() {
    // Minimized inputs that once broke a reader, named after what they break.
    let dir = common::root().join("testdata/fuzz");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for target in entries.flatten() {
        for case in std::fs::read_dir(target.path()).unwrap().flatten() {
            let data = std::fs::read(case.path()).unwrap();
            let f: fn(&[u8]) -> usize = match target.file_name().to_str() {
                Some("txnlog") => zkdd::fuzz::txnlog,
                Some("snapshot") => zkdd::fuzz::snapshot,
                _ => zkdd::fuzz::compressed,
            };
            assert!(
                std::panic::catch_unwind(|| f(&data)).is_ok(),
                "{}",
                case.path().display()
            );
        }
    }
}
