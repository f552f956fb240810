//! zkdd ls: one row per file, agreeing with dump (what each file holds)
//! and verify (how it ends, what startup does), on real fixtures of every
//! ZooKeeper version and on the corrupt ones.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{self, json_lines, run, stdout};

/// `zkdd ls --json DIR`: the file rows and the summary.
fn ls_json(dir: &Path, extra: &[&str]) -> (Option<i32>, Vec<Value>, Value) {
    let mut args = vec!["ls", "--json"];
    args.extend_from_slice(extra);
    let d = dir.to_str().unwrap();
    args.push(d);
    let o = run(&args);
    let lines = json_lines(&stdout(&o));
    let (summary, files): (Vec<Value>, Vec<Value>) =
        lines.into_iter().partition(|l| l["type"] == "summary");
    assert_eq!(summary.len(), 1, "{args:?}: {}", stdout(&o));
    assert!(files.iter().all(|l| l["type"] == "file"));
    (o.status.code(), files, summary[0].clone())
}

/// Every data dir of every ZooKeeper version among the fixtures.
fn all_data_dirs() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(common::root().join("testdata"))
        .min_depth(1)
        .max_depth(5)
    {
        let entry = entry.unwrap();
        if entry.file_type().is_dir()
            && entry.file_name() != "corrupt"
            && entry.path().join("version-2").is_dir()
        {
            out.push(entry.path().to_path_buf());
        }
    }
    out.sort();
    out
}

/// For every fixture data dir (3.4 to 3.9): each log's row has the zxid
/// range and txn count `dump --json` reads from that log, each snapshot's
/// the node count; the snapshot the rows say startup loads and the logs it
/// replays are verify's; the summary adds them up.
#[test]
fn rows_hold_what_dump_reads_and_startup_what_verify_predicts() {
    let dirs = all_data_dirs();
    let versions: std::collections::BTreeSet<String> = dirs
        .iter()
        .filter_map(|d| {
            d.strip_prefix(common::root().join("testdata"))
                .ok()?
                .components()
                .next()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
        })
        .collect();
    assert!(versions.len() >= 5, "{versions:?}");
    for dir in dirs {
        let (code, rows, summary) = ls_json(&dir, &[]);
        let v = run(&["verify", "--json", "--no-digest", dir.to_str().unwrap()]);
        let verify_summary = json_lines(&stdout(&v))
            .into_iter()
            .find(|l| l["type"] == "summary")
            .unwrap();
        // Fixtures are healthy: at worst a crash tail.
        assert_eq!(code, Some(0), "{}", dir.display());
        assert_eq!(v.status.code(), Some(0), "{}", dir.display());
        let mut txns = 0;
        for row in rows.iter().filter(|r| r["kind"] == "log") {
            let file = row["file"].as_str().unwrap();
            let dumped: Vec<Value> = json_lines(&stdout(&run(&["dump", "--json", file])))
                .into_iter()
                .filter(|l| l["type"] == "txn")
                .collect();
            assert_eq!(row["txns"], dumped.len(), "{file}");
            txns += dumped.len();
            if let (Some(first), Some(last)) = (dumped.first(), dumped.last()) {
                assert_eq!(row["first_zxid"], first["zxid"], "{file}");
                assert_eq!(row["last_zxid"], last["zxid"], "{file}");
            } else {
                assert!(row["first_zxid"].is_null(), "{file}");
            }
            assert!(
                ["clean", "padding", "crash_tail"].contains(&row["end"].as_str().unwrap()),
                "{row}"
            );
            let replayed = verify_summary["logs"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l == file);
            assert_eq!(row["startup"] == "replays", replayed, "{row}");
            assert_eq!(
                row["startup"] == "not_read",
                !replayed,
                "{row}: a log is replayed or not read"
            );
            if replayed {
                assert_eq!(
                    row["follows"].as_str(),
                    verify_summary["snapshot"]
                        .as_str()
                        .and_then(|s| s.rsplit('/').next()),
                    "{row}"
                );
            }
        }
        for row in rows.iter().filter(|r| r["kind"] == "snapshot") {
            let file = row["file"].as_str().unwrap();
            let nodes = json_lines(&stdout(&run(&["dump", "--json", file])))
                .into_iter()
                .filter(|l| l["type"] == "node")
                .count();
            assert_eq!(row["nodes"], nodes, "{file}");
            assert_eq!(row["end"], "clean", "{row}");
            assert_eq!(
                row["startup"] == "loads",
                verify_summary["snapshot"] == row["file"],
                "{row}"
            );
        }
        assert_eq!(summary["txns"], txns, "{}", dir.display());
        assert_eq!(summary["starts_at"], verify_summary["start_zxid"]);
        assert_eq!(
            summary["logs"],
            rows.iter().filter(|r| r["kind"] == "log").count()
        );
        let size: u64 = rows.iter().map(|r| r["size"].as_u64().unwrap()).sum();
        assert_eq!(summary["size"], size);
        let on_disk: u64 = walkdir::WalkDir::new(dir.join("version-2"))
            .into_iter()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().is_file())
            .map(|e| e.metadata().unwrap().len())
            .sum();
        let myid = std::fs::metadata(dir.join("myid")).map_or(0, |m| m.len());
        assert_eq!(
            size,
            on_disk + myid,
            "{}: every file has a row",
            dir.display()
        );
    }
}

/// A copy of a corrupt fixture alone in a data dir: its row is damaged (or
/// a crash tail) at the offset and with the code the fixture records,
/// which is what verify reports for that file; exit 1 for damage.
#[test]
fn a_damaged_file_is_named_with_verify_offset_and_code() {
    let corrupt = common::root().join("testdata/corrupt");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&corrupt)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    assert!(cases.len() >= 16);
    for case in cases {
        let expect: Value =
            serde_json::from_str(&std::fs::read_to_string(case.join("expect.json")).unwrap())
                .unwrap();
        let name = expect["file"].as_str().unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let v2 = tmp.path().join("version-2");
        std::fs::create_dir(&v2).unwrap();
        std::fs::copy(case.join(name), v2.join(name)).unwrap();
        let (code, rows, summary) = ls_json(tmp.path(), &[]);
        let row = rows.iter().find(|r| r["name"] == name).unwrap();
        let torn = expect["code"] == "log_torn_tail";
        assert_eq!(
            row["end"],
            if torn { "crash_tail" } else { "damaged" },
            "{}: {row}",
            case.display()
        );
        assert_eq!(row["code"], expect["code"], "{}: {row}", case.display());
        assert_eq!(row["offset"], expect["offset"], "{}: {row}", case.display());
        // verify says the same of the file.
        let v = run(&[
            "verify",
            "--json",
            "--no-digest",
            tmp.path().to_str().unwrap(),
        ]);
        let found = json_lines(&stdout(&v)).into_iter().any(|l| {
            l["type"] == "finding"
                && l["file"] == row["file"]
                && l["code"] == row["code"]
                && l["offset"] == row["offset"]
        });
        assert!(found, "{}: verify does not say {row}", case.display());
        // -q: silent only when all is well; exit 1 always says why.
        let q = run(&["ls", "-q", tmp.path().to_str().unwrap()]);
        assert_eq!(q.status.code(), code, "{}", case.display());
        assert_eq!(
            stdout(&q).is_empty(),
            code == Some(0),
            "{}: {}",
            case.display(),
            stdout(&q)
        );
        if torn {
            assert_eq!(summary["crash_tails"], 1);
        } else {
            assert_eq!(code, Some(1), "{}", case.display());
            assert_eq!(summary["damaged"], 1);
        }
    }
}

/// The table: a row per file with the epoch:counter split, the end in
/// words, the startup column; epoch files and myid with their values;
/// --bytes exact sizes; -q nothing when nothing is damaged and only the
/// damaged rows otherwise; --log-dir for logs kept apart.
#[test]
fn the_table_and_quiet_and_bytes() {
    let crash = common::fixtures().join("crash/data");
    let c = crash.to_str().unwrap();
    let o = run(&["ls", c]);
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    let row = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("| {name} ")))
            .unwrap_or_else(|| panic!("no row {name}: {text}"))
            .to_string()
    };
    let r = row("log.291");
    for cell in [
        "0x291..0x29d",
        "0:657..0:669",
        "13 txns",
        "crash tail at 0x1ddf (log_partial_record)",
        "snapshot.224",
        "replays",
    ] {
        assert!(r.contains(cell), "{cell}: {r}");
    }
    let r = row("snapshot.224");
    assert!(r.contains("26 nodes") && r.contains("loads"), "{r}");
    assert!(row("log.1").contains("not read"));
    assert!(text.lines().next().unwrap().starts_with("+--"));
    assert!(
        text.contains("startup loads snapshot.224 and starts at 0x29d; 1 crash tail"),
        "{text}"
    );
    let len = std::fs::metadata(crash.join("version-2/log.291"))
        .unwrap()
        .len();
    let o = run(&["ls", "--bytes", c]);
    assert!(
        stdout(&o)
            .lines()
            .any(|l| l.starts_with("| log.291 ") && l.contains(&format!(" {len} |"))),
        "{}",
        stdout(&o)
    );
    let o = run(&["ls", "-q", c]);
    assert_eq!((o.status.code(), stdout(&o).as_str()), (Some(0), ""));
    assert_eq!(String::from_utf8_lossy(&o.stderr), "");

    let member = common::fixtures().join("ensemble/member1/data");
    let text = stdout(&run(&["ls", member.to_str().unwrap()]));
    for (name, value) in [
        ("acceptedEpoch", "epoch 2"),
        ("currentEpoch", "epoch 2"),
        ("myid", "id 1"),
    ] {
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!("| {name} ")) && l.contains(value)),
            "{name}: {text}"
        );
    }

    // Damage in a copy: exit 1; -q prints just that row.
    let tmp = tempfile::tempdir().unwrap();
    common::copy_dir(&crash, tmp.path());
    let log = tmp.path().join("version-2/log.229");
    let mut bytes = std::fs::read(&log).unwrap();
    bytes[0x200] ^= 0x10;
    std::fs::write(&log, bytes).unwrap();
    let d = tmp.path().to_str().unwrap();
    let (code, rows, _) = ls_json(tmp.path(), &[]);
    assert_eq!(code, Some(1));
    let damaged: Vec<&Value> = rows.iter().filter(|r| r["end"] == "damaged").collect();
    assert_eq!(damaged.len(), 1, "{rows:?}");
    assert_eq!(damaged[0]["name"], "log.229");
    let v = run(&["verify", "--json", "--no-digest", d]);
    assert!(
        json_lines(&stdout(&v))
            .iter()
            .any(|l| l["type"] == "finding"
                && l["file"] == damaged[0]["file"]
                && l["code"] == damaged[0]["code"]
                && l["offset"] == damaged[0]["offset"])
    );
    let o = run(&["ls", "-q", d]);
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("| ")).collect();
    assert_eq!(lines.len(), 2, "{text}"); // the header and log.229
    assert!(lines[1].starts_with("| log.229 ") && lines[1].contains("damaged at 0x"));

    // Logs apart from snapshots: --log-dir.
    let tmp = tempfile::tempdir().unwrap();
    let (snaps, logs) = (tmp.path().join("data"), tmp.path().join("logs"));
    for d in [&snaps, &logs] {
        std::fs::create_dir_all(d.join("version-2")).unwrap();
    }
    for e in std::fs::read_dir(crash.join("version-2")).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        let to = if name.starts_with("log.") {
            &logs
        } else {
            &snaps
        };
        std::fs::copy(e.path(), to.join("version-2").join(&name)).unwrap();
    }
    let (code, rows, summary) = ls_json(&snaps, &["--log-dir", logs.to_str().unwrap()]);
    assert_eq!(code, Some(0));
    assert_eq!(
        (summary["logs"].as_u64(), summary["snapshots"].as_u64()),
        (Some(10), Some(5))
    );
    assert!(rows.iter().any(|r| {
        r["name"] == "log.291"
            && r["file"]
                .as_str()
                .unwrap()
                .starts_with(logs.to_str().unwrap())
    }));
}
