//! One verdict: every subcommand tells the same truth about damaged and odd
//! data dirs (a crash tail is a warning, damage an error naming what
//! ZooKeeper drops, not-ZooKeeper-data exit 2).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common;
use zkdd::files::log::OpenLog;
use zkdd::format::jute::Limits;
use zkdd::format::txnlog::{IterOptions, LogEnd};

/// A copy of a fixture data dir in a fresh temp dir.
fn copy_fixture(rel: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let to = tmp.path().join("data");
    common::copy_dir(&common::root().join("testdata").join(rel), &to);
    (tmp, to)
}

fn flip(path: &Path, at: usize, mask: u8) {
    let mut b = std::fs::read(path).unwrap();
    b[at] ^= mask;
    std::fs::write(path, b).unwrap();
}

fn json(o: &std::process::Output) -> Vec<Value> {
    common::json_lines(&common::stdout(o))
}

/// A flipped bit in the length of an entry with valid entries after it is
/// damage everywhere, naming the txns ZooKeeper drops, never a crash tail.
#[test]
fn a_damaged_length_with_entries_after_it_is_damage_not_a_crash_tail() {
    // The two cases from the issue, on real 3.8.0 logs.
    for (rel, log, at, mask, first, last) in [
        ("zk-3.8/snappy/data", "log.166", 249, 8, "0x168", "0x16a"),
        (
            "zk-3.8/ensemble/member1/data",
            "log.200000088",
            746,
            0x40,
            "0x200000090",
            "0x200000093",
        ),
    ] {
        let (_tmp, dir) = copy_fixture(rel);
        let file = dir.join("version-2").join(log);
        flip(&file, at, mask);
        let d = dir.to_str().unwrap();
        let f = file.to_str().unwrap();

        let v = common::run(&["verify", "--json", d]);
        assert_eq!(v.status.code(), Some(1), "{rel}: verify");
        let lines = json(&v);
        let damaged = lines
            .iter()
            .find(|l| l["code"] == "log_damaged_entry")
            .unwrap_or_else(|| panic!("{rel}: {lines:?}"));
        let meaning = damaged["meaning"].as_str().unwrap();
        assert!(
            meaning.contains(&format!("{first}..{last}")),
            "{rel}: {meaning}"
        );
        assert!(
            !lines
                .iter()
                .any(|l| l["code"] == "log_torn_tail" || l["code"] == "log_partial_record"),
            "{rel}: still called a crash tail: {lines:?}"
        );
        let summary = lines.iter().find(|l| l["type"] == "summary").unwrap();
        assert!(
            !summary["prediction"]
                .as_str()
                .unwrap()
                .contains("losing nothing"),
            "{rel}: {summary}"
        );

        for no_mmap in [false, true] {
            let mut a = vec!["dump", "--json", f];
            if no_mmap {
                a.insert(1, "--no-mmap");
            }
            let o = common::zkdd()
                .env("ZKDD_WINDOW_BYTES", "300")
                .args(&a)
                .output()
                .unwrap();
            assert_eq!(o.status.code(), Some(1), "{rel}: dump {a:?}");
            let file_line = json(&o).into_iter().find(|l| l["type"] == "file").unwrap();
            assert_eq!(file_line["verdict"], "damage", "{rel}: {file_line}");
            assert_eq!(file_line["dropped"]["first_zxid"], first, "{rel}");
            assert_eq!(file_line["dropped"]["last_zxid"], last, "{rel}");
        }
        let r = common::run(&["replay", d]);
        assert_eq!(r.status.code(), Some(1), "{rel}: replay");
        assert!(
            common::stdout(&r).contains(&format!("{first}..{last}")),
            "{rel}: {}",
            common::stdout(&r)
        );
    }
}

/// `--max-buffer` large enough to let an absurd length pass makes the
/// entry look torn; the entries after it still show it is damage.
#[test]
fn an_absurd_length_under_a_huge_max_buffer_is_still_damage() {
    let f = common::root().join("testdata/corrupt/log-absurd-length/log.1");
    let f = f.to_str().unwrap();
    for cmd in ["verify", "dump"] {
        let o = common::run(&[cmd, "--json", "--max-buffer", "4294967295", f]);
        assert_eq!(o.status.code(), Some(1), "{cmd}");
        let text = common::stdout(&o);
        assert!(
            !text.contains("log_torn_tail") && !text.contains("\"crash_tail\""),
            "{cmd}: {text}"
        );
    }
}

/// The real crash of the `crash` fixture: a partial record with nothing
/// after it is a crash tail in every subcommand (a warning, exit 0), and
/// `--strict` counts it where the flag exists.
#[test]
fn a_real_crash_tail_is_a_warning_everywhere() {
    let dir = common::fixtures().join("crash/data");
    let d = dir.to_str().unwrap();
    for args in [
        vec!["verify", d],
        vec!["dump", d],
        vec!["replay", d],
        vec!["history", "/crash", d],
        vec!["du", d],
    ] {
        let o = common::run(&args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {o:?}");
    }
    for args in [
        vec!["verify", "--strict", d],
        vec!["dump", "--strict", d],
        vec!["replay", "--strict", d],
    ] {
        let o = common::run(&args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
    }
}

/// A log that shrinks while the windowed (`--no-mmap`) reader reads it:
/// the entries seen end cleanly where the data stopped, so only the shrink
/// itself tells that the reading is not trustworthy. Injected in-process,
/// at a known point: after the first window.
#[test]
fn a_log_shrinking_under_the_windowed_reader_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("log.1");
    std::fs::copy(
        common::fixtures().join("standalone/data/version-2/log.1"),
        &path,
    )
    .unwrap();
    let full = std::fs::metadata(&path).unwrap().len();
    let mut log = OpenLog::open_windowed(&path, 300).unwrap().unwrap();
    assert_eq!(log.shrunk(), None);
    let opts = IterOptions::default();
    let mut windows = 0;
    let mut entries = 0;
    let end = log
        .run(0, &Limits::default(), |view| {
            windows += 1;
            if windows == 1 {
                // A follower told to TRUNC cuts its log in place.
                let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
                f.set_len(1500).unwrap();
            }
            let mut it = view.entries(opts);
            entries += it.by_ref().count();
            Ok(it.end().cloned())
        })
        .unwrap();
    assert!(windows >= 2, "{windows}");
    assert!(full > 1500);
    // What the entries alone say is no warning sign at all...
    assert!(
        matches!(end, Some(LogEnd::Eof { .. } | LogEnd::TornTail { .. })),
        "{end:?}"
    );
    // ...so the reader must say the file changed under it.
    assert_eq!(log.shrunk(), Some(1500));
}

/// What a busy leader logs for a failed multi when `DataTree.processTxn`
/// has already marked its sub-txns as errors (in memory, racing the log
/// writer): every sub-txn type set to `error` (-1), every record's bytes
/// unchanged, the entry's Adler-32 computed over that. Made from a real
/// 3.8.0 log by doing exactly that to its failed multi at 0x100000007.
fn log_failed_multi_as_rewritten(log: &Path) -> (u64, String) {
    let mut bytes = std::fs::read(log).unwrap();
    let offset = zkdd::format::txnlog::TxnLog::parse(&bytes)
        .unwrap()
        .entries(IterOptions::default())
        .find(|e| e.txn.header.zxid == zkdd::zxid::Zxid(0x100000007))
        .unwrap()
        .offset;
    let (entry, txn_at) = (offset as usize, offset as usize + 12);
    // TxnHeader (32 bytes), then MultiTxn: count, then (type, buffer)...
    let mut at = txn_at + 32;
    let count = i32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    at += 4;
    let mut first_len = 0;
    for i in 0..count {
        bytes[at..at + 4].copy_from_slice(&(-1i32).to_be_bytes());
        let len = i32::from_be_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        if i == 0 {
            first_len = i32::from_be_bytes(bytes[at + 8..at + 12].try_into().unwrap());
        }
        at += 8 + len;
    }
    let len = u32::from_be_bytes(bytes[entry + 8..entry + 12].try_into().unwrap()) as usize;
    let sum = zkdd::format::checksum::adler32(&bytes[txn_at..txn_at + len]);
    bytes[entry..entry + 8].copy_from_slice(&u64::from(sum).to_be_bytes());
    std::fs::write(log, &bytes).unwrap();
    (offset, format!("error({first_len})"))
}

/// Two members that logged one failed multi differently (one after
/// ZooKeeper marked its sub-txns as errors) agree on what it did: diff
/// --logs calls them equivalent, not divergent, and dump shows what the
/// marked sub-txn really holds instead of reading a path length as an
/// error code.
#[test]
fn a_failed_multi_logged_after_its_sub_txns_were_marked_is_no_divergence() {
    let (_tmp, member2) = copy_fixture("zk-3.8/ensemble/member2/data");
    let log = member2.join("version-2/log.100000001");
    let (offset, misread) = log_failed_multi_as_rewritten(&log);
    let member1 = common::fixtures().join("ensemble/member1/data");

    let o = common::run(&[
        "diff",
        "--logs",
        member1.to_str().unwrap(),
        member2.to_str().unwrap(),
    ]);
    let text = common::stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(!text.contains("DIVERGENCE"), "{text}");
    assert!(text.contains("equivalent at 0x100000007"), "{text}");

    let o = common::run(&["dump", log.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let line = common::stdout(&o)
        .lines()
        .find(|l| l.starts_with("0x100000007"))
        .unwrap()
        .to_string();
    assert!(!line.contains(&misread), "{line}");
    assert!(line.contains("logged as create /ens/m2"), "{line}");
    let o = common::run(&["dump", "--json", log.to_str().unwrap()]);
    let txn = json(&o)
        .into_iter()
        .find(|l| l["offset"] == offset)
        .unwrap();
    assert_eq!(txn["ops"][0]["logged_as"]["op"], "create", "{txn}");
    assert_eq!(txn["ops"][0]["logged_as"]["path"], "/ens/m2", "{txn}");
    // It changes nothing: the member replays to the same tree, digests ok.
    let o = common::run(&["verify", member2.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", common::stdout(&o));
}
