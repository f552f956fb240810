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

/// Every real log and snapshot of `testdata/`, by kind.
fn real_files(prefix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = walkdir::WalkDir::new(common::root().join("testdata"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_type().is_file()
                && e.path().parent().is_some_and(|p| p.ends_with("version-2"))
                && e.file_name().to_string_lossy().starts_with(prefix)
        })
        .map(|e| e.into_path())
        .collect();
    v.sort();
    v
}

/// A small deterministic generator (xorshift), so the mutations are the
/// same on every run.
struct Seeded(u64);

impl Seeded {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn bit(&mut self) -> u8 {
        1 << (self.next() % 8)
    }
}

/// Seeded mutations of every real log: one bit of each length byte, of the
/// checksum, of the txn header, of the body and of the end byte of entries
/// that have valid entries after them. Every one is damage, not a crash
/// tail: verify and dump exit 1, and both name the txns ZooKeeper drops,
/// from the damaged entry's zxid to the file's last.
#[test]
fn seeded_entry_mutations_of_real_logs_are_damage_naming_the_dropped_txns() {
    let mut rng = Seeded(0x5eed_1e55_c0ff_ee01);
    let tmp = tempfile::tempdir().unwrap();
    let (mut runs, mut logs) = (0, 0);
    for log in real_files("log.") {
        let bytes = std::fs::read(&log).unwrap();
        let Ok(parsed) = zkdd::format::txnlog::TxnLog::parse(&bytes) else {
            continue;
        };
        let entries: Vec<(u64, usize, i64)> = parsed
            .entries(IterOptions::default())
            .map(|e| (e.offset, e.bytes.len(), e.txn.header.zxid.0))
            .collect();
        // Entries with valid entries after them, zxids contiguous to the end.
        let contiguous = entries.windows(2).all(|w| w[1].2 == w[0].2 + 1);
        if entries.len() < 2 || !contiguous {
            continue;
        }
        logs += 1;
        let last = entries[entries.len() - 1].2;
        // One entry from the first half (the first log's first entry
        // included, seeded), and the last one with an entry after it.
        let picks = [
            (rng.next() as usize) % entries.len().div_ceil(2),
            entries.len() - 2,
        ];
        for &k in &picks {
            let (off, len, zxid) = (entries[k].0 as usize, entries[k].1, entries[k].2);
            let mut targets: Vec<(&str, usize)> = (0..4).map(|i| ("length", off + 8 + i)).collect();
            targets.push(("checksum", off + 4 + (rng.next() % 4) as usize));
            targets.push(("header", off + 12 + (rng.next() % 28) as usize));
            if len > 28 {
                targets.push((
                    "body",
                    off + 12 + 28 + (rng.next() % (len as u64 - 28)) as usize,
                ));
            }
            targets.push(("end", off + 12 + len));
            for (what, at) in targets {
                let mut m = bytes.clone();
                m[at] ^= rng.bit();
                let path = tmp.path().join(log.file_name().unwrap());
                std::fs::write(&path, &m).unwrap();
                let p = path.to_str().unwrap();
                let label = format!("{} {what} byte {at:#x} (entry {off:#x})", log.display());
                let want = (format!("{:#x}", zxid), format!("{last:#x}"));

                let v = common::run(&["verify", "--json", p]);
                assert_eq!(v.status.code(), Some(1), "{label}: verify");
                let lines = json(&v);
                assert!(
                    !lines
                        .iter()
                        .any(|l| l["code"] == "log_torn_tail" || l["code"] == "log_partial_record"),
                    "{label}: called a crash tail: {lines:?}"
                );

                let d = common::run(&["dump", "--json", p]);
                assert_eq!(d.status.code(), Some(1), "{label}: dump");
                let file = json(&d).into_iter().find(|l| l["type"] == "file").unwrap();
                assert_eq!(file["verdict"], "damage", "{label}: {file}");
                let dropped = (
                    file["dropped"]["first_zxid"]
                        .as_str()
                        .unwrap_or("")
                        .to_string(),
                    file["dropped"]["last_zxid"]
                        .as_str()
                        .unwrap_or("")
                        .to_string(),
                );
                assert_eq!(dropped, want, "{label}: {file}");
                runs += 2;
            }
        }
    }
    assert!(logs >= 60, "{logs} logs");
    assert!(runs > 1500, "{runs} runs");
}

/// Seeded bit flips in the trailer of every real snapshot (seals, "/"
/// markers, digest section): dump says what verify says, an error.
#[test]
fn seeded_snapshot_trailer_mutations_agree_in_dump_and_verify() {
    let mut rng = Seeded(0x7a11_e7ed_5eed_0002);
    let tmp = tempfile::tempdir().unwrap();
    let mut runs = 0;
    for snap in real_files("snapshot.") {
        let name = snap.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".gz") || name.ends_with(".snappy") {
            continue; // the container's own checksum catches these first
        }
        let bytes = std::fs::read(&snap).unwrap();
        // The last seal, its "/" marker, and the digest section before it.
        for _ in 0..4 {
            let at = bytes.len() - 1 - (rng.next() % 40.min(bytes.len() as u64 - 20)) as usize;
            let mut m = bytes.clone();
            m[at] ^= rng.bit();
            let path = tmp.path().join(&name);
            std::fs::write(&path, &m).unwrap();
            let p = path.to_str().unwrap();
            let v = common::run(&["verify", p]);
            let d = common::run(&["dump", p]);
            let label = format!("{} byte {at:#x}", snap.display());
            assert_eq!(v.status.code(), d.status.code(), "{label}: verify vs dump");
            assert_eq!(v.status.code(), Some(1), "{label}: verify");
            runs += 2;
        }
    }
    assert!(runs > 200, "{runs}");
}

/// How one damaged or odd data dir must be judged by every subcommand.
struct Case {
    name: &'static str,
    fixture: &'static str,
    /// Damages the copy (its version-2/ given).
    damage: fn(&Path),
    /// 0: clean or warnings only; 1: an error.
    want: i32,
    /// The subcommand reads snapshots (not only logs) for its verdict.
    snapshot_damage: bool,
}

fn newest(v2: &Path, prefix: &str) -> PathBuf {
    let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(v2)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            let n = p.file_name()?.to_string_lossy().into_owned();
            let hex = n.strip_prefix(prefix)?.split('.').next()?.to_string();
            Some((u64::from_str_radix(&hex, 16).ok()?, p))
        })
        .collect();
    files.sort();
    files.pop().unwrap().1
}

/// The table: the same damaged inputs through dump, verify, replay, du,
/// history and diff (and purge and repair where they judge the damage),
/// which must all say the same: exit 0 for a crash tail (1 with --strict
/// where the flag exists), exit 1 for damage.
#[test]
fn every_subcommand_gives_the_same_verdict_on_the_same_damaged_dir() {
    let cases = [
        Case {
            name: "crash tail",
            fixture: "zk-3.8/crash/data",
            damage: |_| {},
            want: 0,
            snapshot_damage: false,
        },
        Case {
            name: "damaged length with entries after it",
            fixture: "zk-3.8/snappy/data",
            damage: |v2| flip(&v2.join("log.166"), 249, 8),
            want: 1,
            snapshot_damage: false,
        },
        Case {
            name: "bad checksum in the middle of the newest log",
            fixture: "zk-3.8/standalone/data",
            damage: |v2| {
                let log = newest(v2, "log.");
                let b = std::fs::read(&log).unwrap();
                let e: Vec<u64> = zkdd::format::txnlog::TxnLog::parse(&b)
                    .unwrap()
                    .entries(IterOptions::default())
                    .map(|e| e.offset)
                    .collect();
                flip(&log, e[e.len() / 2] as usize + 30, 1);
            },
            want: 1,
            snapshot_damage: false,
        },
        Case {
            name: "a zero-filled entry in the middle of a log",
            fixture: "zk-3.8/gz/data",
            damage: |v2| {
                let log = newest(v2, "log.");
                let mut b = std::fs::read(&log).unwrap();
                let e: Vec<(u64, usize)> = zkdd::format::txnlog::TxnLog::parse(&b)
                    .unwrap()
                    .entries(IterOptions::default())
                    .map(|e| (e.offset, e.bytes.len()))
                    .collect();
                let (off, len) = e[e.len() / 2];
                b[off as usize..off as usize + 13 + len].fill(0);
                std::fs::write(&log, b).unwrap();
            },
            want: 1,
            snapshot_damage: false,
        },
        Case {
            name: "the newest snapshot's last \"/\" marker damaged",
            fixture: "zk-3.8/standalone/data",
            damage: |v2| {
                let s = newest(v2, "snapshot.");
                let n = std::fs::metadata(&s).unwrap().len() as usize;
                flip(&s, n - 2, 0x10);
            },
            want: 1,
            snapshot_damage: true,
        },
        Case {
            name: "a directory named like a log",
            fixture: "zk-3.8/standalone/data",
            damage: |v2| std::fs::create_dir(v2.join("log.ffff0")).unwrap(),
            want: 1,
            snapshot_damage: false,
        },
    ];
    for case in &cases {
        let (_tmp, dir) = copy_fixture(case.fixture);
        let v2 = dir.join("version-2");
        (case.damage)(&v2);
        let d = dir.to_str().unwrap();
        let mut runs: Vec<Vec<&str>> = vec![
            vec!["verify", d],
            vec!["replay", d],
            vec!["du", d],
            vec!["diff", d, d],
        ];
        if case.snapshot_damage {
            runs.push(vec!["dump", "--snapshots", d]);
            runs.push(vec!["purge", "-n", "--min-age", "0", d]);
        } else {
            runs.push(vec!["dump", d]);
            runs.push(vec!["history", "--prefix", "/", d]);
        }
        for args in &runs {
            let o = common::run(args);
            assert_eq!(
                o.status.code(),
                Some(case.want),
                "{}: {args:?}: {}",
                case.name,
                String::from_utf8_lossy(&o.stderr)
            );
        }
        if case.want == 0 {
            for args in [
                vec!["verify", "--strict", d],
                vec!["dump", "--strict", d],
                vec!["replay", "--strict", d],
            ] {
                assert_eq!(
                    common::run(&args).status.code(),
                    Some(1),
                    "{}: {args:?}",
                    case.name
                );
            }
        }
    }
}

/// Not ZooKeeper data is exit 2 in every subcommand that takes a file, and
/// a FIFO is refused at once instead of hanging.
#[test]
fn not_zookeeper_data_and_fifos_are_refused_alike() {
    let tmp = tempfile::tempdir().unwrap();
    let text = tmp.path().join("notes.txt");
    std::fs::write(&text, "root:x:0:0:root:/root:/bin/bash\n").unwrap();
    let fifo = tmp.path().join("log.1");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for f in [&text, &fifo] {
        let f = f.to_str().unwrap();
        for args in [
            vec!["verify", f],
            vec!["dump", f],
            vec!["du", f],
            vec!["repair", f, "-o", "/tmp/zkdd-never-written"],
        ] {
            let t0 = std::time::Instant::now();
            let o = common::run(&args);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {o:?}");
            assert!(t0.elapsed().as_secs() < 10, "{args:?} hung");
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(
                err.contains("not a ZooKeeper txn log or snapshot")
                    || err.contains("not a regular file"),
                "{args:?}: {err}"
            );
        }
    }
}

/// Entries named like logs or snapshots that are not regular files: an
/// error in verify (ZooKeeper fails or hangs on them), said by dump and
/// replay, purge refuses, and nothing hangs on a FIFO.
#[test]
fn non_regular_entries_named_like_zookeeper_files_are_errors() {
    let (_tmp, dir) = copy_fixture("zk-3.8/standalone/data");
    let v2 = dir.join("version-2");
    std::fs::create_dir(v2.join("log.ffff0")).unwrap();
    assert!(
        std::process::Command::new("mkfifo")
            .arg(v2.join("snapshot.fffff"))
            .status()
            .unwrap()
            .success()
    );
    std::os::unix::fs::symlink("log.loop", v2.join("log.loop")).unwrap();
    let d = dir.to_str().unwrap();
    let t0 = std::time::Instant::now();
    let v = common::run(&["verify", "--json", d]);
    assert_eq!(v.status.code(), Some(1));
    let lines = json(&v);
    let irregular: Vec<&str> = lines
        .iter()
        .filter(|l| l["code"] == "irregular_file")
        .map(|l| l["message"].as_str().unwrap())
        .collect();
    assert_eq!(irregular.len(), 2, "{lines:?}"); // log.loop has no zxid
    assert!(irregular.iter().any(|m| m.contains("a directory")));
    assert!(irregular.iter().any(|m| m.contains("a FIFO")));
    let summary = lines.iter().find(|l| l["type"] == "summary").unwrap();
    assert_eq!(summary["zookeeper"], "fail", "{summary}");
    assert!(
        summary["failure"].as_str().unwrap().contains("hangs"),
        "{summary}"
    );
    for args in [vec!["dump", d], vec!["replay", d]] {
        let o = common::run(&args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let said = format!(
            "{}{}",
            common::stdout(&o),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(said.contains("not a regular file"), "{args:?}: {said}");
    }
    let p = common::run(&["purge", "-n", "--min-age", "0", d]);
    assert_eq!(p.status.code(), Some(2));
    assert!(t0.elapsed().as_secs() < 30, "something waited on the FIFO");
}

/// ZooKeeper parses a name's zxid with `Long.parseLong(x, 16)`: `log.23A`
/// is a log, which replay reads as ZooKeeper does; `log.ffffffffffffffff`
/// is no log at all, and purge never deletes it.
#[test]
fn names_are_read_as_zookeeper_reads_them() {
    let (_tmp, dir) = copy_fixture("zk-3.8/standalone/data");
    let v2 = dir.join("version-2");
    let newest = newest(&v2, "log.");
    let name = newest.file_name().unwrap().to_string_lossy().into_owned();
    let upper = format!("log.{}", name["log.".len()..].to_uppercase());
    assert_ne!(upper, name, "needs a hex letter in {name}");
    std::fs::rename(&newest, v2.join(&upper)).unwrap();
    std::fs::write(v2.join("log.ffffffffffffffff"), b"ZKLG").unwrap();
    let d = dir.to_str().unwrap();
    let fixture = common::fixtures().join("standalone/data");
    let final_of = |dir: &str| -> String {
        let o = common::run(&["replay", "--json", dir]);
        let s = json(&o)
            .into_iter()
            .find(|l| l["type"] == "summary")
            .unwrap();
        s["final_zxid"].as_str().unwrap().to_string()
    };
    assert_eq!(final_of(d), final_of(fixture.to_str().unwrap()));
    let o = common::run(&["purge", "--min-age", "0", "--retain", "1", d]);
    assert!(o.status.code().is_some_and(|c| c <= 1), "{o:?}");
    assert!(v2.join("log.ffffffffffffffff").exists());
}

/// The epoch files as a quorum peer reads them: a trailing newline is
/// fine, and when they keep a quorum peer from starting, the headline says
/// so instead of "losing nothing".
#[test]
fn epoch_files_are_read_as_a_quorum_peer_reads_them() {
    let (_tmp, dir) = copy_fixture("zk-3.8/ensemble/member1/data");
    let v2 = dir.join("version-2");
    let d = dir.to_str().unwrap();
    std::fs::write(v2.join("currentEpoch"), "2\n").unwrap();
    std::fs::write(v2.join("acceptedEpoch"), "2\n").unwrap();
    let o = common::run(&["verify", d]);
    assert_eq!(o.status.code(), Some(0), "{}", common::stdout(&o));
    // Older than the last zxid's epoch: a quorum peer refuses to start.
    std::fs::write(v2.join("currentEpoch"), "1").unwrap();
    std::fs::write(v2.join("acceptedEpoch"), "1").unwrap();
    let o = common::run(&["verify", d]);
    assert_eq!(o.status.code(), Some(1));
    let head = common::stdout(&o).lines().nth(1).unwrap().to_string();
    assert!(
        head.contains("refuse to start this quorum peer")
            && !head.starts_with("ZooKeeper 3.x would start"),
        "{head}"
    );
    std::fs::write(v2.join("currentEpoch"), "2 ").unwrap();
    let o = common::run(&["verify", "--json", d]);
    assert!(json(&o).iter().any(|l| l["code"] == "epoch_unreadable"));
}

/// A gap where a new epoch begins is reported like one inside an epoch.
#[test]
fn a_gap_where_a_new_epoch_begins_is_reported() {
    let (tmp, dir) = copy_fixture("zk-3.8/ensemble/member1/data");
    let v2 = dir.join("version-2");
    // Cut the log holding the end of epoch 1 and the start of epoch 2 at
    // the last txn of epoch 1: epoch 2's first 0x12 txns are then in no log.
    let log = v2.join("log.100000063");
    let cut = tmp.path().join("cut");
    let o = common::run(&[
        "repair",
        log.to_str().unwrap(),
        "-o",
        cut.to_str().unwrap(),
        "--to-zxid",
        "0x10000006a",
        "--prealloc-kb",
        "64",
    ]);
    assert_eq!(o.status.code(), Some(0));
    std::fs::rename(&cut, &log).unwrap();
    let o = common::run(&["verify", "--json", dir.to_str().unwrap()]);
    let gap = json(&o)
        .into_iter()
        .find(|l| l["code"] == "log_zxid_gap")
        .unwrap_or_else(|| panic!("{}", common::stdout(&o)));
    assert!(
        gap["message"]
            .as_str()
            .unwrap()
            .contains("0x200000001..0x200000012"),
        "{gap}"
    );
    // A newer snapshot covers it (as for a follower synced by SNAP).
    assert_eq!(gap["severity"], "warning", "{gap}");
    // Without the snapshots after the gap, ZooKeeper replays across it.
    for e in std::fs::read_dir(&v2).unwrap() {
        let p = e.unwrap().path();
        if p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("snapshot.2")
        {
            std::fs::remove_file(p).unwrap();
        }
    }
    let o = common::run(&["verify", "--json", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let gap = json(&o)
        .into_iter()
        .find(|l| l["code"] == "log_zxid_gap")
        .unwrap();
    assert_eq!(gap["severity"], "error", "{gap}");
}

/// Logs kept in a dataLogDir that was not given: a finding, not "losing
/// nothing"; a zoo.cfg whose dataDir is the dir given supplies them.
#[test]
fn missing_logs_are_said_and_a_zoo_cfg_supplies_them() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, logs) = (tmp.path().join("data"), tmp.path().join("logs"));
    common::copy_dir(&common::fixtures().join("standalone/data"), &data);
    std::fs::create_dir_all(logs.join("version-2")).unwrap();
    for e in std::fs::read_dir(data.join("version-2")).unwrap() {
        let p = e.unwrap().path();
        if p.file_name().unwrap().to_string_lossy().starts_with("log.") {
            std::fs::rename(&p, logs.join("version-2").join(p.file_name().unwrap())).unwrap();
        }
    }
    let o = common::run(&["verify", "--json", data.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let lines = json(&o);
    assert!(
        lines.iter().any(|l| l["code"] == "logs_missing"),
        "{lines:?}"
    );
    let summary = lines.iter().find(|l| l["type"] == "summary").unwrap();
    assert!(
        !summary["prediction"]
            .as_str()
            .unwrap()
            .contains("losing nothing"),
        "{summary}"
    );
    let cfg = tmp.path().join("zoo.cfg");
    std::fs::write(
        &cfg,
        format!(
            "dataDir={}\ndataLogDir={}\n",
            data.display(),
            logs.display()
        ),
    )
    .unwrap();
    let o = common::run(&[
        "verify",
        "--config",
        cfg.to_str().unwrap(),
        data.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", common::stdout(&o));
}

/// The small ones: -j is bounded, there is nothing before zxid 0, a bad
/// point after '@' is a bad zxid, a hard link of the input is the input.
#[test]
fn small_verdicts_are_plain() {
    let d = common::fixtures().join("crash/data");
    let d = d.to_str().unwrap();
    let o = common::run(&["verify", "-j", "100000", d]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("100000"));
    let o = common::run(&["replay", "--before-zxid", "0x0", d]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!common::stdout(&o).contains("0xffffffffffffffff"));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no txn before zxid 0x0"));
    let o = common::run(&["diff", &format!("{d}@zz"), d]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("bad zxid or time"));
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("log.291"), tmp.path().join("link.291"));
    std::fs::copy(common::fixtures().join("crash/data/version-2/log.291"), &a).unwrap();
    std::fs::hard_link(&a, &b).unwrap();
    let before = std::fs::read(&a).unwrap();
    let o = common::run(&[
        "repair",
        a.to_str().unwrap(),
        "-o",
        b.to_str().unwrap(),
        "--force",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read(&a).unwrap(), before);
    let o = common::run(&[
        "du",
        "--json",
        common::root()
            .join("testdata/corrupt/snapshot-bad-seal/snapshot.12f")
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
}
