//! zkdd verify: every real fixture verifies clean; a corruption matrix built
//! at test time from copies of the fixtures is caught with the right code,
//! file and offset; and what verify predicts ZooKeeper would do matches what
//! ZooKeeper 3.8.0's own restore does on the same corrupted copies.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use zkdd::format::jute::Limits;
use zkdd::format::snapshot::{Snapshot, SnapshotEnd};
use zkdd::format::txnlog::{IterOptions, LogEnd, TxnLog};

use crate::common::{self, copy_dir, expected_dir, fixtures, json_lines, run, stdout};

fn verify_json(dir: &Path) -> (i32, Vec<Value>) {
    let o = run(&["verify", "--json", dir.to_str().unwrap()]);
    (o.status.code().unwrap_or(-1), json_lines(&stdout(&o)))
}

fn summary(lines: &[Value]) -> &Value {
    lines
        .iter()
        .find(|l| l["type"] == "summary")
        .expect("a summary line")
}

fn findings(lines: &[Value]) -> Vec<&Value> {
    lines.iter().filter(|l| l["type"] == "finding").collect()
}

fn expected_last_zxid(data_dir: &Path) -> i64 {
    let text = fs::read_to_string(expected_dir(data_dir).unwrap().join("restore.jsonl")).unwrap();
    let last = json_lines(&text)
        .into_iter()
        .find(|l| l["type"] == "restore")
        .unwrap();
    last["last_zxid"].as_i64().unwrap()
}

fn hex(z: i64) -> String {
    format!("0x{:x}", z as u64)
}

#[test]
fn every_fixture_verifies_clean_and_predicts_zookeepers_restore() {
    for dir in common::all_data_dirs() {
        let (code, lines) = verify_json(&dir);
        let s = summary(&lines);
        let bad: Vec<_> = findings(&lines)
            .into_iter()
            .filter(|f| f["severity"] != "note")
            .collect();
        let scenario = dir.parent().unwrap().file_name().unwrap().to_string_lossy();
        if scenario == "crash" {
            // The real torn tail of a kill -9: a warning at the offset the
            // generator recorded, nothing else.
            let torn = fs::read_to_string(fixtures().join("crash/expected/torn-tail.txt")).unwrap();
            let mut lines_t = torn.lines();
            let file = lines_t.next().unwrap().trim();
            let offset: u64 = lines_t
                .next()
                .unwrap()
                .split("at offset ")
                .nth(1)
                .unwrap()
                .split_whitespace()
                .next()
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!(bad.len(), 1, "{}: {bad:?}", dir.display());
            assert_eq!(bad[0]["severity"], "warning");
            assert_eq!(bad[0]["code"], "log_partial_record");
            assert!(bad[0]["file"].as_str().unwrap().ends_with(file));
            assert_eq!(bad[0]["offset"], offset);
            assert_eq!(s["verdict"], "warnings");
        } else {
            assert!(bad.is_empty(), "{}: {bad:?}", dir.display());
        }
        assert_eq!(code, 0, "{}", dir.display());
        assert_eq!(s["zookeeper"], "start");
        assert_eq!(
            s["start_zxid"],
            hex(expected_last_zxid(&dir)),
            "{}",
            dir.display()
        );
        assert_eq!(s["recoverable_zxid"], s["start_zxid"]);
        assert_eq!(s["dropped_txns"], 0);
        // Which versions could have written it: exactly what the files of
        // each version show (3.8's nodigest: closeSession bodies, 3.6+).
        let w = &s["written_by"];
        let (from, to) = match common::zk_version_of(&dir) {
            "3.4" => (Value::Null, Value::from("3.4")),
            "3.5" => (Value::from("3.5"), Value::Null),
            "3.6" | "3.8" => (Value::from("3.6"), Value::Null),
            _ => (Value::from("3.9"), Value::Null),
        };
        assert_eq!(
            (&w["from"], &w["to"]),
            (&from, &to),
            "{}: {w}",
            dir.display()
        );
        assert!(!w["evidence"].as_array().unwrap().is_empty());
        assert_eq!(s["by_version"], serde_json::json!([]), "{}", dir.display());
    }
}

/// Where versions start differently, predicted for copies of each
/// version's fixture; the zxids are those of that version's own restore of
/// the original (`expected/restore.jsonl`). tests/testsuite/zk_versions.rs
/// runs the real restores on the same copies when the jars are here.
#[test]
fn version_specific_startup_is_predicted_for_the_versions_the_files_admit() {
    for v in ["3.4", "3.5", "3.6", "3.8", "3.9"] {
        let src = root_of(v);
        let last = hex(expected_last_zxid(&src));
        // An empty newest log: 3.4–3.9.2 fail; 3.9.3+ delete it and start.
        let (_tmp, dir) = empty_newest_log_copy(&src);
        let (_, lines) = verify_json(&dir);
        let s = summary(&lines);
        assert_eq!(s["zookeeper"], "fail", "{v}");
        let by = s["by_version"].as_array().unwrap();
        if v == "3.4" || v == "3.5" {
            // Nothing in these files rules 3.9 out, but 3.4's newest
            // snapshot shows a 3.4 writer.
            assert_eq!(by.len(), usize::from(v == "3.5"), "{v}: {by:?}");
        } else {
            assert_eq!(by.len(), 1, "{v}: {by:?}");
        }
        if let Some(b) = by.first() {
            assert_eq!(b["versions"], "3.9.3+");
            assert_eq!(b["zookeeper"], "start");
            assert_eq!(b["start_zxid"], last.as_str(), "{v}");
        }
        // No snapshot: 3.5+ refuse; 3.4 replays the logs from the empty tree.
        let (_tmp, dir) = no_snapshot_copy(&src);
        let (_, lines) = verify_json(&dir);
        let s = summary(&lines);
        assert_eq!(s["zookeeper"], "fail", "{v}");
        let by = s["by_version"].as_array().unwrap();
        if v == "3.4" {
            assert_eq!(by.len(), 1, "{v}: {by:?}");
            assert_eq!(by[0]["versions"], "3.4");
            assert_eq!(by[0]["start_zxid"], last.as_str());
        } else {
            // Their logs show 3.5+ txns: 3.4 is ruled out.
            assert!(by.is_empty(), "{v}: {by:?}");
        }
    }
}

/// `testdata/zk-<v>/standalone/data`.
pub fn root_of(v: &str) -> PathBuf {
    common::root().join(format!("testdata/zk-{v}/standalone/data"))
}

/// A copy of `src` with an empty (0-byte) log after the newest one.
pub fn empty_newest_log_copy(src: &Path) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    copy_dir(src, &dir);
    let newest = common::files(&dir, "log.")
        .iter()
        .map(|p| {
            let n = p.file_name().unwrap().to_string_lossy().into_owned();
            u64::from_str_radix(n.trim_start_matches("log."), 16).unwrap()
        })
        .max()
        .unwrap();
    fs::write(dir.join(format!("version-2/log.{:x}", newest + 0x100)), b"").unwrap();
    (tmp, dir)
}

/// A copy of `src` without its snapshots.
pub fn no_snapshot_copy(src: &Path) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    copy_dir(src, &dir);
    for s in common::files(&dir, "snapshot.") {
        fs::remove_file(s).unwrap();
    }
    (tmp, dir)
}

#[test]
fn human_report_starts_with_a_verdict_and_strict_fails_on_warnings() {
    let crash = fixtures().join("crash/data");
    let o = run(&["verify", crash.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with("OK with warnings: "));
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("ZooKeeper 3.x would start at zxid 0x29d from snapshot.224")
    );
    assert!(text.contains("log.291:\n  warning"));
    let o = run(&["verify", "--strict", crash.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let o = run(&["verify", "/nonexistent/zk"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn single_files_are_checked_without_recovery_analysis() {
    let v2 = fixtures().join("crash/data/version-2");
    let o = run(&[
        "verify",
        "--json",
        v2.join("log.291").to_str().unwrap(),
        v2.join("snapshot.224").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let lines = json_lines(&stdout(&o));
    let s = summary(&lines);
    assert_eq!(s["files"], 2);
    assert_eq!(s["zookeeper"], Value::Null);
    assert_eq!(findings(&lines).len(), 1);
}

#[test]
fn long_help_documents_every_code() {
    let o = run(&["verify", "--help"]);
    let text = stdout(&o);
    for (code, _) in zkdd::ops::verify::CODES {
        assert!(text.contains(code), "{code} missing from --help");
    }
}

// ------------------------------------------------------------ the matrix

/// One corrupted copy and what verify must say about it.
struct Case {
    name: String,
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    code: &'static [&'static str],
    file: String,
    offset: Option<u64>,
    severity: &'static str,
    exit: i32,
    /// Compare with ZooKeeper's restore (false where only a quorum peer checks).
    oracle: bool,
    /// Txns ZooKeeper would silently lose, when known.
    dropped: Option<u64>,
    /// The finding's zxid, when checked.
    zxid: Option<String>,
}

fn copy_of(scenario: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    copy_dir(&fixtures().join(scenario), &dir);
    (tmp, dir)
}

fn flip(path: &Path, offset: u64, mask: u8) {
    let mut b = fs::read(path).unwrap();
    b[offset as usize] ^= mask;
    fs::write(path, b).unwrap();
}

fn truncate(path: &Path, len: u64) {
    let f = fs::OpenOptions::new().write(true).open(path).unwrap();
    f.set_len(len).unwrap();
}

/// (offset, txn length, zxid) of every entry, and how the log ends.
fn entries(path: &Path) -> (Vec<(u64, u64, i64)>, LogEnd) {
    let bytes = fs::read(path).unwrap();
    let log = TxnLog::parse(&bytes).unwrap();
    let mut it = log.entries(IterOptions::default());
    let v = (&mut it)
        .map(|e| (e.offset, e.bytes.len() as u64, e.txn.header.zxid.0))
        .collect();
    (v, it.end().unwrap().clone())
}

struct SnapLayout {
    session: Option<u64>,
    acl: u64,
    node_stat: u64,
    seals: Vec<u64>,
    digest: Option<u64>,
}

fn snapshot_layout(path: &Path) -> SnapLayout {
    let bytes = fs::read(path).unwrap();
    let snap = Snapshot::parse(&bytes, Limits::default()).unwrap();
    let session = (!snap.sessions().is_empty()).then_some(20);
    let acl = snap.acl_cache()[0].offset;
    let mut nodes = snap.nodes();
    let node = nodes.nth(3).unwrap();
    let node_stat =
        node.offset + 4 + node.path.len() as u64 + 4 + node.data.map_or(0, |d| d.len() as u64) + 8;
    for _ in &mut nodes {}
    let Some(SnapshotEnd::Complete(t)) = nodes.end().cloned() else {
        panic!("fixture snapshot incomplete")
    };
    SnapLayout {
        session,
        acl,
        node_stat,
        seals: t.seals.iter().map(|s| s.offset).collect(),
        digest: t.digest.as_ref().map(|d| d.offset),
    }
}

/// The first setData with a digest in a log: its zxid, and an edit that
/// changes the last byte of its value and rewrites the entry's Adler-32.
fn altered_set_data(path: &Path) -> (String, impl FnOnce(&Path) + use<>) {
    let bytes = fs::read(path).unwrap();
    let log = TxnLog::parse(&bytes).unwrap();
    let e = log
        .entries(IterOptions::default())
        .find(|e| e.txn.header.op == zkdd::format::txn::OpCode::SET_DATA && e.txn.digest.is_some())
        .expect("a setData with a digest");
    let (off, len) = (e.offset as usize, e.bytes.len());
    let zxid = e.txn.header.zxid.to_string();
    (zxid, move |p: &Path| {
        let mut b = fs::read(p).unwrap();
        // Body ends with: data, int version; then the 12-byte digest.
        b[off + 12 + len - 12 - 4 - 1] ^= 0x01;
        let sum = zkdd::format::checksum::adler32(&b[off + 12..off + 12 + len]);
        b[off..off + 8].copy_from_slice(&u64::from(sum).to_be_bytes());
        fs::write(p, b).unwrap();
    })
}

#[test]
fn no_digest_skips_the_replay() {
    let crash = fixtures().join("crash/data/version-2");
    let (_, edit) = altered_set_data(&crash.join("log.25d"));
    let (_tmp, dir) = copy_of("crash/data");
    edit(&dir.join("version-2/log.25d"));
    let o = run(&["verify", "--json", "--no-digest", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let lines = json_lines(&stdout(&o));
    assert!(
        findings(&lines)
            .iter()
            .all(|f| f["code"] != "digest_mismatch")
    );
    assert_eq!(summary(&lines)["digests_matched"], Value::Null);
}

#[allow(clippy::too_many_arguments)]
fn case(
    cases: &mut Vec<Case>,
    name: impl Into<String>,
    scenario: &str,
    edit: impl FnOnce(&Path),
    code: &'static [&'static str],
    file: &str,
    offset: Option<u64>,
    severity: &'static str,
    exit: i32,
) {
    let (tmp, dir) = copy_of(scenario);
    edit(&dir.join("version-2"));
    cases.push(Case {
        name: name.into(),
        _tmp: tmp,
        dir,
        code,
        file: file.to_string(),
        offset,
        severity,
        exit,
        oracle: true,
        dropped: None,
        zxid: None,
    });
}

const E: &str = "error";
const W: &str = "warning";

fn build_matrix() -> Vec<Case> {
    let mut cases = Vec::new();
    let sa = fixtures().join("standalone/data/version-2");
    // log.218 is an older log ZooKeeper replays (from snapshot.238, it is
    // the newest log below 0x239); log.23a is the newest.
    let (older, _) = entries(&sa.join("log.218"));
    let (e_off, e_len, _) = older[older.len() / 2];
    let (newest, newest_end) = entries(&sa.join("log.23a"));
    let ck = &["log_checksum_mismatch"];
    let regions: [(&str, u64, u8, &'static [&'static str], u64); 7] = [
        ("log header", 0, 0x01, &["log_bad_header"], 0),
        ("checksum", e_off + 5, 0x10, ck, e_off),
        ("length", e_off + 8, 0x80, &["log_bad_length"], e_off + 8),
        ("txn header", e_off + 12 + 19, 0x01, ck, e_off),
        ("body", e_off + 12 + 33, 0x01, ck, e_off),
        ("digest", e_off + 12 + e_len - 1, 0x01, ck, e_off),
        (
            "end-of-record",
            e_off + 12 + e_len,
            0xff,
            &["log_missing_eor"],
            e_off + 12 + e_len,
        ),
    ];
    for (what, at, mask, code, off) in regions {
        case(
            &mut cases,
            format!("log.218 {what}"),
            "standalone/data",
            |v| flip(&v.join("log.218"), at, mask),
            code,
            "log.218",
            Some(off),
            E,
            1,
        );
    }
    // Length -1: ZooKeeper crashes with a NullPointerException.
    case(
        &mut cases,
        "log.218 length -1",
        "standalone/data",
        |v| {
            let p = v.join("log.218");
            let mut b = fs::read(&p).unwrap();
            b[e_off as usize + 8..e_off as usize + 12].copy_from_slice(&[0xff; 4]);
            fs::write(&p, b).unwrap();
        },
        &["log_bad_length"],
        "log.218",
        Some(e_off + 8),
        E,
        1,
    );
    // A non-zero byte in the padding after the logical end.
    let LogEnd::Padding { offset: pad, .. } = newest_end else {
        panic!("log.23a should end in padding")
    };
    case(
        &mut cases,
        "log.23a padding",
        "standalone/data",
        |v| flip(&v.join("log.23a"), pad + 100, 0x01),
        &["log_garbage_after_end"],
        "log.23a",
        Some(pad + 100),
        E,
        1,
    );
    // Truncation of the newest log inside each entry: a torn tail (warning).
    for (i, &(off, len, _)) in newest.iter().enumerate() {
        let framed = 12 + len + 1;
        // Cuts inside the first 5 bytes leave only the zero high half of the
        // checksum, which no reader can tell from padding.
        let cut = off + 5 + (i as u64 * 7) % (framed - 5);
        case(
            &mut cases,
            format!("log.23a cut at {cut:#x}"),
            "standalone/data",
            |v| truncate(&v.join("log.23a"), cut),
            &["log_torn_tail"],
            "log.23a",
            Some(off),
            W,
            0,
        );
    }
    // Truncation of an older log ZooKeeper replays: the rest is lost.
    for &(off, _, _) in older.iter().step_by(5) {
        case(
            &mut cases,
            format!("log.218 cut at {:#x}", off + 20),
            "standalone/data",
            |v| truncate(&v.join("log.218"), off + 20),
            &["log_zxid_gap"],
            "log.23a",
            Some(16),
            E,
            1,
        );
    }
    // Snapshot regions of the newest snapshot (ZooKeeper falls back).
    let lay = snapshot_layout(&sa.join("snapshot.238"));
    let seal1 = lay.seals[0];
    let mut snap_regions: Vec<(&str, u64, &'static [&'static str], u64)> = vec![
        ("header", 1, &["snapshot_bad_header"], 0),
        (
            "acl cache",
            lay.acl + 15,
            &["snapshot_seal_mismatch"],
            seal1,
        ),
        (
            "node",
            lay.node_stat + 3,
            &["snapshot_seal_mismatch"],
            seal1,
        ),
        ("seal", seal1 + 7, &["snapshot_seal_mismatch"], seal1),
    ];
    if let Some(s) = lay.session {
        snap_regions.push(("sessions", s + 7, &["snapshot_seal_mismatch"], seal1));
    }
    if let Some(d) = lay.digest {
        snap_regions.push(("digest", d + 19, &["snapshot_seal_mismatch"], lay.seals[1]));
    }
    for (what, at, code, off) in snap_regions {
        case(
            &mut cases,
            format!("snapshot.238 {what}"),
            "standalone/data",
            |v| flip(&v.join("snapshot.238"), at, 0x01),
            code,
            "snapshot.238",
            Some(off),
            E,
            1,
        );
    }
    let snap_len = fs::metadata(sa.join("snapshot.238")).unwrap().len();
    for cut in [20, snap_len / 3, snap_len - 30, snap_len - 1] {
        case(
            &mut cases,
            format!("snapshot.238 cut at {cut}"),
            "standalone/data",
            |v| truncate(&v.join("snapshot.238"), cut),
            &[
                "snapshot_truncated",
                "snapshot_not_candidate",
                "snapshot_corrupt",
            ],
            "snapshot.238",
            None,
            E,
            1,
        );
    }
    // Compressed streams.
    let any_snap: &'static [&'static str] = &[
        "snapshot_compressed_stream",
        "snapshot_seal_mismatch",
        "snapshot_truncated",
        "snapshot_corrupt",
        "snapshot_bad_header",
        "snapshot_parent_missing",
        "snapshot_bad_marker",
    ];
    for (scenario, file) in [
        ("gz/data", "snapshot.fe.gz"),
        ("snappy/data", "snapshot.fe.snappy"),
    ] {
        let len = fs::metadata(fixtures().join(scenario).join("version-2").join(file))
            .unwrap()
            .len();
        for at in [len / 2, len - 3] {
            case(
                &mut cases,
                format!("{file} byte {at}"),
                scenario,
                |v| flip(&v.join(file), at, 0x04),
                any_snap,
                file,
                None,
                E,
                1,
            );
        }
        case(
            &mut cases,
            format!("{file} cut"),
            scenario,
            |v| truncate(&v.join(file), len * 2 / 3),
            any_snap,
            file,
            None,
            E,
            1,
        );
    }
    // A deleted middle log that ZooKeeper replays across.
    case(
        &mut cases,
        "crash: log.25d deleted",
        "crash/data",
        |v| fs::remove_file(v.join("log.25d")).unwrap(),
        &["log_zxid_gap"],
        "log.291",
        Some(16),
        E,
        1,
    );
    let crash = fixtures().join("crash/data/version-2");
    cases.last_mut().unwrap().dropped = Some(entries(&crash.join("log.25d")).0.len() as u64);
    // A deleted middle log that a newer snapshot covers: documented warning.
    let mut sa_logs: Vec<(i64, String)> = fs::read_dir(&sa)
        .unwrap()
        .filter_map(|e| {
            let n = e.unwrap().file_name().to_string_lossy().into_owned();
            let z = i64::from_str_radix(n.strip_prefix("log.")?, 16).ok()?;
            Some((z, n))
        })
        .collect();
    sa_logs.sort();
    let (gone, after) = (sa_logs[1].1.clone(), sa_logs[2].1.clone());
    case(
        &mut cases,
        format!("standalone: {gone} deleted"),
        "standalone/data",
        |v| fs::remove_file(v.join(&gone)).unwrap(),
        &["log_zxid_gap"],
        &after,
        Some(16),
        W,
        0,
    );
    // A renamed log.
    case(
        &mut cases,
        "log.23a renamed log.239",
        "standalone/data",
        |v| fs::rename(v.join("log.23a"), v.join("log.239")).unwrap(),
        &["log_name_mismatch"],
        "log.239",
        Some(16),
        E,
        1,
    );
    // Leftovers ZooKeeper misreads.
    case(
        &mut cases,
        "log.218.fixed leftover",
        "standalone/data",
        |v| {
            fs::copy(v.join("log.218"), v.join("log.218.fixed")).unwrap();
        },
        &["leftover_file"],
        "log.218.fixed",
        None,
        E,
        1,
    );
    case(
        &mut cases,
        "snapshot.300.tmp leftover",
        "standalone/data",
        |v| {
            fs::copy(v.join("snapshot.217"), v.join("snapshot.300.tmp")).unwrap();
        },
        &["leftover_file"],
        "snapshot.300.tmp",
        None,
        E,
        1,
    );
    case(
        &mut cases,
        "empty log.300",
        "standalone/data",
        |v| fs::write(v.join("log.300"), b"").unwrap(),
        &["log_empty"],
        "log.300",
        Some(0),
        E,
        1,
    );
    case(
        &mut cases,
        "header-only log.300",
        "standalone/data",
        |v| {
            let b = fs::read(v.join("log.23a")).unwrap();
            fs::write(v.join("log.300"), &b[..16]).unwrap();
        },
        &["log_header_only"],
        "log.300",
        Some(16),
        W,
        0,
    );
    case(
        &mut cases,
        "no snapshots",
        "gz/data",
        |v| {
            for e in fs::read_dir(v).unwrap() {
                let p = e.unwrap().path();
                if p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("snapshot.")
                {
                    fs::remove_file(p).unwrap();
                }
            }
        },
        &["zookeeper_would_fail"],
        "version-2",
        None,
        E,
        1,
    );
    // A setData whose value was altered and re-checksummed: only the digest
    // can tell. ZooKeeper starts (it only logs the mismatch).
    let (z, edit) = altered_set_data(&crash.join("log.25d"));
    case(
        &mut cases,
        "log.25d altered setData with a valid checksum",
        "crash/data",
        |v| edit(&v.join("log.25d")),
        &["digest_mismatch"],
        "log.25d",
        None,
        E,
        1,
    );
    let c = cases.last_mut().unwrap();
    c.zxid = Some(z);
    c.dropped = Some(0);
    // Epoch files (only a quorum peer checks them, so no restore oracle).
    for (name, accepted, current, file) in [
        (
            "acceptedEpoch below currentEpoch",
            "2",
            "3",
            "acceptedEpoch",
        ),
        (
            "currentEpoch below the last zxid's epoch",
            "1",
            "1",
            "currentEpoch",
        ),
    ] {
        case(
            &mut cases,
            name,
            "ensemble/member1/data",
            |v| {
                fs::write(v.join("acceptedEpoch"), accepted).unwrap();
                fs::write(v.join("currentEpoch"), current).unwrap();
            },
            &["epoch_mismatch"],
            file,
            Some(0),
            E,
            1,
        );
        cases.last_mut().unwrap().oracle = false;
    }
    cases
}

#[test]
fn corruption_matrix_is_caught_and_matches_zookeepers_restore() {
    let cases = build_matrix();
    assert!(cases.len() >= 40, "matrix too small: {}", cases.len());
    let mut predictions = Vec::new();
    for c in &cases {
        let (code, lines) = verify_json(&c.dir);
        let all = findings(&lines);
        let hit = all.iter().find(|f| {
            c.code.contains(&f["code"].as_str().unwrap())
                && f["file"].as_str().unwrap().ends_with(&c.file)
                && f["severity"] == c.severity
        });
        let Some(hit) = hit else {
            panic!(
                "{}: no {:?} {} on {}; got {all:#?}",
                c.name, c.code, c.severity, c.file
            )
        };
        if let Some(off) = c.offset {
            assert_eq!(hit["offset"], off, "{}: {hit}", c.name);
        }
        assert_eq!(code, c.exit, "{}: {all:#?}", c.name);
        // Never clean: at least the expected finding (checked above).
        let s = summary(&lines).clone();
        assert_ne!(s["verdict"], "ok", "{}", c.name);
        if let Some(z) = &c.zxid {
            assert_eq!(hit["zxid"], *z, "{}", c.name);
        }
        if let Some(n) = c.dropped {
            assert_eq!(s["dropped_txns"], n, "{}", c.name);
        }
        // Read through small windows instead of mapped: the same report.
        let windowed = common::zkdd()
            .env("ZKDD_WINDOW_BYTES", "300")
            .args(["verify", "--json", "--no-mmap", c.dir.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(windowed.status.code(), Some(code), "{}", c.name);
        assert_eq!(
            json_lines(&stdout(&windowed)),
            lines,
            "{} with --no-mmap",
            c.name
        );
        predictions.push(s);
    }

    // What ZooKeeper 3.8.0 really does on the same copies.
    let Some(cp) = common::zk_or_skip("corruption_matrix_matches_zookeeper") else {
        return;
    };
    let classes = tempfile::tempdir().unwrap();
    let javac = Command::new("javac")
        .args(["-d", classes.path().to_str().unwrap(), "-cp", &cp])
        .arg(common::root().join("tests/java/RestoreMany.java"))
        .output()
        .expect("javac");
    assert!(
        javac.status.success(),
        "{}",
        String::from_utf8_lossy(&javac.stderr)
    );
    let oracle: Vec<&Case> = cases.iter().filter(|c| c.oracle).collect();
    let out = Command::new("java")
        .arg("-Dzookeeper.extendedTypesEnabled=true")
        .arg("-Dfile.encoding=UTF-8")
        .arg("-Djava.library.path=/usr/lib/x86_64-linux-gnu/jni")
        .arg("-cp")
        .arg(format!("{cp}:{}", classes.path().display()))
        .arg("RestoreMany")
        .args(oracle.iter().map(|c| &c.dir))
        .output()
        .expect("java");
    let results = json_lines(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(
        results.len(),
        oracle.len(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut mismatches = Vec::new();
    for (c, zk) in oracle.iter().zip(&results) {
        let s = &predictions[cases.iter().position(|x| std::ptr::eq(x, *c)).unwrap()];
        let ok = zk["ok"].as_bool().unwrap();
        let agree = if ok {
            s["zookeeper"] == "start" && s["start_zxid"] == hex(zk["last_zxid"].as_i64().unwrap())
        } else {
            s["zookeeper"] == "fail"
        };
        if !agree {
            mismatches.push(format!(
                "{}: zkdd says {} {} / {}; ZooKeeper: {zk}",
                c.name, s["zookeeper"], s["start_zxid"], s["failure"]
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn threads_do_not_change_the_report() {
    // Files are checked in parallel, biggest first; the report must not
    // depend on which thread finished first.
    let mut dirs: Vec<String> = common::data_dirs()
        .iter()
        .map(|d| d.display().to_string())
        .collect();
    let corrupt = common::root().join("testdata/corrupt");
    let mut files = Vec::new();
    for e in walkdir::WalkDir::new(&corrupt).min_depth(2).max_depth(2) {
        let e = e.unwrap();
        if e.file_type().is_file() && e.file_name() != "expect.json" {
            files.push(e.path().display().to_string());
        }
    }
    files.sort();
    assert!(files.len() > 10, "{files:?}");
    dirs.push(String::new());
    for target in dirs {
        let mut args = vec!["verify", "--json"];
        if target.is_empty() {
            args.extend(files.iter().map(String::as_str));
        } else {
            args.push(&target);
        }
        let run = |j: &str| {
            let mut a = args.clone();
            a.splice(1..1, ["-j", j]);
            let o = common::run(&a);
            (o.stdout, o.status.code())
        };
        let one = run("1");
        assert!(!one.0.is_empty());
        for j in ["2", "7"] {
            assert!(run(j) == one, "{target}: -j {j} differs from -j 1");
        }
    }
}

/// Output and exit code of `zkdd verify --json --no-digest` with `args`
/// before the file, and `ZKDD_WINDOW_BYTES` set when given.
fn verify_log(args: &[&str], file: &Path, window: Option<&str>) -> (String, i32) {
    let mut cmd = common::zkdd();
    cmd.args(["verify", "--json", "--no-digest"])
        .args(args)
        .arg(file);
    if let Some(w) = window {
        cmd.env("ZKDD_WINDOW_BYTES", w);
    }
    let o = cmd.output().unwrap();
    (stdout(&o), o.status.code().unwrap_or(-1))
}

/// verify reads a big log in chunks on several threads and checks the
/// entries in file order: on a 7 MiB log of the fixtures' real entries one
/// after another (so zxids go back at every repeat), intact and with a byte
/// flipped, every thread count and window gives the single pass's findings,
/// and the count of places where zxids go back is the sequential one.
#[test]
fn threads_and_windows_give_the_findings_of_a_single_pass() {
    let tmp = tempfile::tempdir().unwrap();
    let (log, _) = crate::dump::big_inputs(tmp.path());
    let mut bytes = fs::read(&log).unwrap();
    let offsets: Vec<u64> = TxnLog::parse(&bytes)
        .unwrap()
        .entries(IterOptions::default())
        .map(|e| e.offset)
        .collect();
    bytes[offsets[offsets.len() * 2 / 3] as usize + 30] ^= 0x5a;
    let bad = tmp.path().join("log.2");
    fs::write(&bad, &bytes).unwrap();

    for (file, code) in [(&log, "log_zxid_order"), (&bad, "log_checksum_mismatch")] {
        let data = fs::read(file).unwrap();
        let parsed = TxnLog::parse(&data).unwrap();
        let mut it = parsed.entries(IterOptions::default());
        let (mut prev, mut places) = (None::<i64>, 0u64);
        for e in it.by_ref() {
            let z = e.txn.header.zxid.0;
            if let Some(p) = prev
                && (z <= p || (z >> 32 == p >> 32 && z > p + 1))
            {
                places += 1;
            }
            prev = Some(z);
        }
        assert!(places > 10, "{places} places: the log does not repeat");

        let one = verify_log(&["-j", "1"], file, None);
        assert!(one.0.contains(code), "{}", one.0);
        let more = format!("(and {} more places in this file)", places - 1);
        assert!(one.0.contains(&more), "want {more:?} in {}", one.0);
        if let Some(LogEnd::Corrupt { offset, .. }) = it.end() {
            let lines = json_lines(&one.0);
            assert!(
                lines
                    .iter()
                    .any(|l| l["code"] == code && l["offset"] == *offset),
                "no {code} at {offset}: {}",
                one.0
            );
        }
        for threads in ["2", "5"] {
            assert_eq!(
                verify_log(&["-j", threads], file, None),
                one,
                "-j {threads}"
            );
        }
        for window in ["1048576", "5000"] {
            let windowed = verify_log(&["-j", "2", "--no-mmap"], file, Some(window));
            assert_eq!(windowed, one, "--no-mmap, window {window}");
        }
    }
}
