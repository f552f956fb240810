//! Unit tests of the purge rules ([`plan()`] on made-up inventories, no
//! file system) and of the `--min-age` durations. The end-to-end tests
//! (real deletions, the lock, failures) are in `tests/testsuite/purge.rs`.

use std::path::PathBuf;
use std::time::Duration;

use super::*;
// The words are render's; these tests pin decisions and words together.
use crate::render::purge::{reason_text, refusal_text};

fn file(name: &str, verdict: Option<Verdict>, age: u64) -> InventoryFile {
    InventoryFile {
        path: PathBuf::from("/d/version-2").join(name),
        name: name.into(),
        location: Location::Both,
        len: 100,
        mtime: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000 - age)),
        verdict,
    }
}
fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000)
}
fn inv(files: Vec<InventoryFile>) -> Inventory {
    Inventory {
        snap_dir: "/d/version-2".into(),
        log_dir: "/d/version-2".into(),
        files,
    }
}
fn deleted(p: &PurgePlan) -> Vec<&str> {
    let mut v: Vec<&str> = p.deletions().map(|f| f.name.as_str()).collect();
    v.sort();
    v
}
fn ok() -> Option<Verdict> {
    Some(Verdict::Valid)
}

/// The layout FORMAT.md §7.1 verified PurgeTxnLog on, with our safer rules.
#[test]
fn format_md_example() {
    let mut files = vec![];
    for s in ["0", "a", "17", "20", "2d", "38", "46"] {
        files.push(file(&format!("snapshot.{s}"), ok(), 3600));
    }
    files.push(file(
        "snapshot.50",
        Some(Verdict::Corrupt("bad seal".into())),
        3600,
    ));
    for l in ["1", "c", "19", "22", "2f", "3a", "49"] {
        files.push(file(&format!("log.{l}"), None, 3600));
    }
    for o in ["log.bak", "snapshot.nothex", "log.1.chopped5"] {
        files.push(file(o, None, 3600));
    }
    let p = plan(&inv(files), &PurgeOptions::default(), now());
    assert_eq!(p.refusal, None);
    assert_eq!(p.oldest_kept.as_deref(), Some("snapshot.2d"));
    assert_eq!(
        deleted(&p),
        [
            "log.1",
            "log.19",
            "log.c",
            "snapshot.0",
            "snapshot.17",
            "snapshot.20",
            "snapshot.a"
        ]
    );
    let reason = |n: &str| reason_text(p.files.iter().find(|f| f.name == n).unwrap());
    assert_eq!(reason("snapshot.38"), "snapshot 2 of 3 kept");
    assert_eq!(reason("log.22"), "needed to replay from snapshot.2d");
    assert!(reason("snapshot.20").starts_with("older than oldest kept snapshot"));
    assert!(reason("snapshot.50").contains("corrupt"));
}

#[test]
fn young_files_and_newest_log_survive() {
    let files = vec![
        file("snapshot.10", ok(), 10),
        file("snapshot.5", ok(), 10),
        file("log.1", None, 10),
        file("log.8", None, 10),
        file("log.20", None, 10),
    ];
    let opts = PurgeOptions {
        retain: 1,
        ..PurgeOptions::default()
    };
    let p = plan(&inv(files.clone()), &opts, now());
    assert!(deleted(&p).is_empty());
    assert!(
        p.files
            .iter()
            .any(|f| reason_text(f).contains("younger than --min-age 10m"))
    );
    let opts = PurgeOptions {
        min_age: Duration::ZERO,
        ..opts
    };
    let p = plan(&inv(files), &opts, now());
    assert_eq!(deleted(&p), ["log.1", "snapshot.5"]);
}

#[test]
fn epochs_order_numerically() {
    let opts = PurgeOptions {
        retain: 1,
        min_age: Duration::ZERO,
        ..PurgeOptions::default()
    };
    let files = vec![
        file("snapshot.100000005", ok(), 99),
        file("snapshot.ff", ok(), 99),
        file("log.f0", None, 99),
        file("log.100000001", None, 99),
        file("log.200000001", None, 99),
        file("log.1", None, 99),
    ];
    let p = plan(&inv(files), &opts, now());
    assert_eq!(deleted(&p), ["log.1", "log.f0", "snapshot.ff"]);
}

#[test]
fn refusals_keep_everything() {
    let opts = PurgeOptions {
        min_age: Duration::ZERO,
        ..PurgeOptions::default()
    };
    let files = vec![
        file("snapshot.10", ok(), 99),
        file("snapshot.5", Some(Verdict::Corrupt("x".into())), 99),
        file("snapshot.1", ok(), 99),
        file("log.1", None, 99),
    ];
    let p = plan(&inv(files), &opts, now());
    let r = p.refusal.as_ref().unwrap();
    assert_eq!(
        refusal_text(r),
        "nothing to purge: 2 valid snapshots, retaining 3 (corrupt, not counted: snapshot.5)"
    );
    assert!(!r.is_trouble());
    assert!(deleted(&p).is_empty());
    assert!(
        p.files
            .iter()
            .all(|f| reason_text(f) == "nothing to purge: 2 valid snapshots, retaining 3")
    );

    let mut a = file("log.1", None, 99);
    a.location = Location::SnapDir;
    let mut b = file("snapshot.1", ok(), 99);
    b.location = Location::LogDir;
    let p = plan(&inv(vec![a, b]), &opts, now());
    assert!(refusal_text(p.refusal.as_ref().unwrap()).contains("swapped"));
    assert!(p.refusal.as_ref().unwrap().is_trouble());
}

#[test]
fn leftovers_need_the_flag_and_backups_never_go() {
    let mut files = vec![
        file("snapshot.10", ok(), 99),
        file("log.1", None, 99),
        file("log.1.fixed", None, 99),
        file("log.1.chopped5", None, 99),
        file("snapshot.3.tmp", None, 99),
        file("currentEpoch.tmp", None, 99),
        file("log.1.bak", None, 99),
        file("notes.txt", None, 99),
    ];
    files.push(file("currentEpoch", None, 99));
    let mut opts = PurgeOptions {
        retain: 1,
        min_age: Duration::ZERO,
        ..PurgeOptions::default()
    };
    assert!(deleted(&plan(&inv(files.clone()), &opts, now())).is_empty());
    opts.remove_leftovers = true;
    assert_eq!(
        deleted(&plan(&inv(files), &opts, now())),
        ["log.1.chopped5", "log.1.fixed", "snapshot.3.tmp"]
    );
}

#[test]
fn durations() {
    assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
    assert_eq!(parse_duration("10m").unwrap(), Duration::from_secs(600));
    assert_eq!(parse_duration("2h").unwrap(), Duration::from_secs(7200));
    assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
    assert!(parse_duration("ten").is_err());
    assert!(parse_duration("").is_err());
    assert_eq!(format_duration(5430), "1h30m30s");
}
