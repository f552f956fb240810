//! One CLI contract for every subcommand: -q, -v, --json errors, flags
//! that mean something, one vocabulary for points and ranges, sizes,
//! colour, wording.

use serde_json::Value;

use crate::common::{self, json_lines, run, stdout};

fn standalone() -> String {
    common::fixtures()
        .join("standalone/data")
        .to_string_lossy()
        .into_owned()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn quiet_says_nothing_when_all_is_well() {
    let d = standalone();
    let tmp = tempfile::tempdir().unwrap();
    let repaired = tmp.path().join("log.1");
    let recovered = tmp.path().join("new");
    let log1 = format!("{d}/version-2/log.1");
    let runs: Vec<Vec<&str>> = vec![
        vec!["verify", "-q", &d],
        vec!["verify", "-q", &log1],
        vec!["replay", "-q", &d],
        vec!["purge", "-q", "-n", "--min-age", "0", &d],
        vec!["diff", "-q", &d, &d],
        vec!["repair", "-q", &log1, "-o", repaired.to_str().unwrap()],
        vec!["recover", "-q", "-n", &d, "-o", recovered.to_str().unwrap()],
    ];
    for args in runs {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert_eq!(stdout(&o), "", "{args:?}");
        assert_eq!(stderr(&o), "", "{args:?}");
    }
}

#[test]
fn quiet_still_prints_what_makes_the_exit_status_1() {
    let bad = common::root().join("testdata/corrupt/log-bad-checksum/log.1");
    let o = run(&["verify", "-q", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("log_checksum_mismatch"),
        "{}",
        stdout(&o)
    );
    // A crash tail is a warning: exit 0, and -q keeps it quiet.
    let crash = common::fixtures().join("crash/data");
    let o = run(&["verify", "-q", crash.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o) + &stderr(&o), "");
    // JSON lines are what the caller asked for: -q does not drop them.
    let o = run(&["verify", "-q", "--json", crash.to_str().unwrap()]);
    assert!(
        json_lines(&stdout(&o))
            .iter()
            .any(|l| l["type"] == "summary")
    );
}

#[test]
fn verbose_says_what_was_read_and_decided() {
    let d = standalone();
    let o = run(&["replay", "-v", &d]);
    let err = stderr(&o);
    assert!(
        err.contains("data dir") && err.contains("13 snapshots"),
        "{err}"
    );
    assert!(
        err.contains("replay: from") && err.contains("snapshot.238"),
        "{err}"
    );
    assert!(err.contains("replay took"), "{err}");
    assert!(!err.contains("log.218:"), "per-log detail is -vv: {err}");
    let o = run(&["replay", "-vv", &d]);
    assert!(stderr(&o).contains("log.218: 1 applied"), "{}", stderr(&o));
    let o = run(&["verify", "-v", &d]);
    assert!(stderr(&o).contains("checked ") && stderr(&o).contains("29 files"));
    // Without -v: nothing of it.
    let o = run(&["replay", &d]);
    assert_eq!(stderr(&o), "");
}

#[test]
fn a_fatal_error_under_json_is_one_error_line() {
    let o = run(&["verify", "--json", "/nonexistent/zkdd"]);
    assert_eq!(o.status.code(), Some(2));
    let lines = json_lines(&stdout(&o));
    assert_eq!(lines.len(), 1, "{lines:?}");
    let e = &lines[0];
    assert_eq!(e["type"], "error");
    assert_eq!(e["command"], "verify");
    assert_eq!(e["code"], "io_error");
    assert_eq!(e["file"], "/nonexistent/zkdd");
    assert!(!e["message"].as_str().unwrap().contains("os error"), "{e}");
    // A file that is not ZooKeeper data, and a usage error clap finds.
    let epoch = common::fixtures().join("ensemble/member1/data/version-2/acceptedEpoch");
    let o = run(&["dump", "--json", epoch.to_str().unwrap()]);
    let e = &json_lines(&stdout(&o))[0];
    assert_eq!(
        (e["code"].as_str(), o.status.code()),
        (Some("not_zookeeper_data"), Some(2))
    );
    let o = run(&["du", "--json", "--bogus"]);
    let e = &json_lines(&stdout(&o))[0];
    assert_eq!(
        (e["code"].as_str(), e["command"].as_str()),
        (Some("usage"), Some("du"))
    );
    assert_eq!(o.status.code(), Some(2));
    // Without --json stdout stays empty.
    let o = run(&["verify", "/nonexistent/zkdd"]);
    assert_eq!(stdout(&o), "");
}

#[test]
fn subcommands_take_only_flags_that_mean_something() {
    for args in [
        vec!["completions", "bash", "--json"],
        vec!["repair", "--local", "x", "-o", "y"],
        vec!["purge", "--no-mmap", "x"],
        vec!["verify", "--bytes", "x"],
        vec!["diff", "-j", "2", "a", "b"],
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&o).contains("unexpected argument"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
    // `--help` groups them under headings.
    let o = run(&["dump", "--help"]);
    for heading in ["Output:", "Reading:", "Range:"] {
        assert!(stdout(&o).contains(heading), "{heading}");
    }
}

#[test]
fn purge_dash_n_with_a_number_is_explained() {
    let d = standalone();
    let o = run(&["purge", "-n", "5", &d]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("did you mean --retain 5"),
        "{}",
        stderr(&o)
    );
    assert_eq!(stdout(&o), "");
}

#[test]
fn relative_times_and_limits() {
    let d = standalone();
    let count = |args: &[&str]| -> usize {
        let mut a = vec!["dump", "--json"];
        a.extend_from_slice(args);
        a.push(&d);
        let o = run(&a);
        assert!(o.status.code().unwrap() <= 1, "{a:?}: {}", stderr(&o));
        json_lines(&stdout(&o))
            .iter()
            .filter(|l| l["type"] == "txn")
            .count()
    };
    let all = count(&[]);
    assert!(all > 500);
    // The fixture is from 2026-11-23: an hour ago holds none of it, now all.
    assert_eq!(count(&["--since", "-1h"]), 0);
    assert_eq!(count(&["--until", "now"]), all);
    assert_eq!(count(&["--since", "2026-11-23T09:30Z"]), all);
    assert_eq!(count(&["--until", "10000d ago"]), 0);
    // --limit stops across files, and -j does not change where.
    assert_eq!(count(&["--limit", "5"]), 5);
    assert_eq!(count(&["--limit", "40"]), 40);
    assert_eq!(count(&["--limit", "40", "-j", "1"]), 40);
    let snap = format!("{d}/version-2/snapshot.238");
    let o = run(&["dump", "--json", "--limit", "7", &snap]);
    let nodes = json_lines(&stdout(&o))
        .iter()
        .filter(|l| l["type"] == "node")
        .count();
    assert_eq!(nodes, 7);
    let o = run(&["dump", "--since", "-1 fortnight", &d]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--since"), "{}", stderr(&o));
}

#[test]
fn one_vocabulary_for_points_and_ranges() {
    let d = standalone();
    // extract and replay name the same point the same way, and give the
    // same nodes.
    let nodes = |args: &[&str]| -> Vec<Value> {
        let o = run(args);
        assert!(o.status.code().unwrap() <= 1, "{args:?}: {}", stderr(&o));
        json_lines(&stdout(&o))
            .into_iter()
            .filter(|l| l["type"] == "node")
            .collect()
    };
    for point in [
        ["--to-zxid", "0x30"],
        ["--before-zxid", "0x30"],
        ["--to-time", "2026-11-23T09:30:22Z"],
    ] {
        let a = nodes(&[
            "extract", "--json", "--prefix", "/app", point[0], point[1], &d,
        ]);
        let b = nodes(&[
            "replay", "--json", "--prefix", "/app", point[0], point[1], &d,
        ]);
        assert!(!a.is_empty(), "{point:?}");
        assert_eq!(a, b, "{point:?}");
        // du at the point counts the same nodes.
        let o = run(&["du", "--json", "--prefix", "/app", point[0], point[1], &d]);
        let s = json_lines(&stdout(&o))
            .into_iter()
            .find(|l| l["type"] == "summary")
            .unwrap();
        assert_eq!(s["nodes"].as_u64(), Some(b.len() as u64), "{point:?}");
    }
    // history: the znode first, or --path; --prefix PATH for a subtree, as
    // in dump, replay, du and extract; --zxid/--since/--until as in dump.
    let changes = |args: &[&str]| -> Vec<String> {
        let o = run(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        json_lines(&stdout(&o))
            .iter()
            .filter(|l| l["type"] == "change")
            .map(|l| format!("{} {}", l["zxid"], l["path"]))
            .collect()
    };
    let one = changes(&["history", "--json", "/app/cfg", &d]);
    assert!(!one.is_empty());
    assert_eq!(
        one,
        changes(&["history", "--json", "--path", "/app/cfg", &d])
    );
    let sub = changes(&["history", "--json", "--prefix", "/app", &d]);
    assert!(sub.len() > one.len() && one.iter().all(|c| sub.contains(c)));
    let ranged = changes(&[
        "history",
        "--json",
        "--prefix",
        "/app",
        "--zxid",
        "0x10..0x20",
        &d,
    ]);
    assert!(!ranged.is_empty() && ranged.len() < sub.len());
    for c in &ranged {
        let z = u64::from_str_radix(c[3..].split('"').next().unwrap(), 16).unwrap();
        assert!((0x10..=0x20).contains(&z), "{c}");
    }
}

#[test]
fn sizes_are_human_unless_bytes_is_given() {
    let d = standalone();
    let o = run(&["du", &d]);
    assert!(
        stdout(&o).contains(" KiB") || stdout(&o).contains(" B "),
        "{}",
        stdout(&o)
    );
    let exact = run(&["du", "--bytes", &d]);
    let json = run(&["du", "--json", &d]);
    let total = json_lines(&stdout(&json))
        .into_iter()
        .find(|l| l["type"] == "summary")
        .unwrap()["data_bytes"]
        .as_u64()
        .unwrap();
    assert!(
        stdout(&exact).contains(&format!("{total} of data")),
        "{}",
        stdout(&exact)
    );
    let o = run(&["purge", "-n", "--min-age", "0", "--bytes", &d]);
    let rows: Vec<&str> = stdout(&o)
        .leak()
        .lines()
        .filter(|l| l.starts_with("KEEP"))
        .collect();
    assert!(!rows.is_empty());
    for r in rows {
        let size = r.split_whitespace().nth(1).unwrap();
        assert!(size.bytes().all(|b| b.is_ascii_digit()), "{r}");
    }
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let bad = common::root().join("testdata/corrupt/log-bad-checksum/log.1");
    let bad = bad.to_str().unwrap();
    let o = run(&["verify", "--color", "always", bad]);
    assert!(stdout(&o).contains("\x1b["), "{}", stdout(&o));
    // A pipe is not a terminal; NO_COLOR is honoured even when forced by
    // CLICOLOR_FORCE.
    let o = run(&["verify", bad]);
    assert!(!stdout(&o).contains('\x1b'));
    let o = common::zkdd()
        .env("NO_COLOR", "1")
        .args(["verify", "--color", "auto", bad])
        .output()
        .unwrap();
    assert!(!stdout(&o).contains('\x1b'));
    let o = run(&["verify", "--color", "never", bad]);
    assert!(!stdout(&o).contains('\x1b'));
    // JSON is never coloured.
    let o = run(&["verify", "--json", "--color", "always", bad]);
    assert!(!stdout(&o).contains('\x1b'));
}

#[test]
fn offsets_are_said_once_and_os_errors_one_way() {
    let bad = common::root().join("testdata/corrupt/log-bad-checksum/log.1");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("log.1");
    let o = run(&["repair", bad.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let text = stdout(&o);
    let first = text.lines().next().unwrap();
    assert_eq!(first.matches("0x121").count(), 1, "{first}");
    for args in [
        vec!["dump", "/nonexistent/zkdd"],
        vec!["verify", "/nonexistent/zkdd"],
        vec!["replay", "/nonexistent/zkdd"],
        vec!["du", "/nonexistent/zkdd"],
        vec!["purge", "/nonexistent/zkdd"],
        vec!["recover", "/nonexistent/zkdd", "-o", "/nonexistent/new"],
    ] {
        let o = run(&args);
        let sub = args[0];
        assert!(stderr(&o).contains("No such file or directory"), "{sub}");
        assert!(!stderr(&o).contains("os error"), "{sub}: {}", stderr(&o));
    }
}

#[test]
fn dump_stats_of_a_snapshot_counts_its_nodes_as_du_does() {
    for fixture in ["standalone", "snappy", "gz"] {
        let v2 = common::fixtures().join(fixture).join("data/version-2");
        let snap = common::files(v2.parent().unwrap(), "snapshot.")
            .pop()
            .unwrap();
        let snap = snap.to_str().unwrap();
        let o = run(&["dump", "--stats", "--json", snap]);
        assert_eq!(o.status.code(), Some(0), "{snap}");
        let lines = json_lines(&stdout(&o));
        assert!(
            lines.iter().all(|l| l["type"] != "stats"),
            "no empty txn tables"
        );
        let s = lines.iter().find(|l| l["type"] == "node_stats").unwrap();
        let du = json_lines(&stdout(&run(&["du", "--json", "--depth", "1", snap])));
        let top = du.iter().find(|l| l["type"] == "summary").unwrap();
        assert_eq!(s["nodes"], top["nodes"], "{snap}");
        assert_eq!(s["data_bytes"], top["data_bytes"], "{snap}");
        for l in du
            .iter()
            .filter(|l| l["type"] == "subtree" && l["depth"] == 1)
        {
            let path = l["path"].as_str().unwrap();
            assert_eq!(s["by_subtree"][path]["count"], l["nodes"], "{snap} {path}");
            assert_eq!(
                s["by_subtree"][path]["bytes"], l["data_bytes"],
                "{snap} {path}"
            );
        }
        let eph: u64 = s["by_session"]
            .as_object()
            .unwrap()
            .values()
            .map(|c| c["count"].as_u64().unwrap())
            .sum();
        assert_eq!(Some(eph), top["ephemerals"].as_u64(), "{snap}");
        // Text: the tables, not empty txn ones.
        let t = stdout(&run(&["dump", "--stats", snap]));
        assert!(
            t.contains("Subtree") && t.contains("Kind") && !t.contains("Op "),
            "{t}"
        );
    }
}

/// The schema check of every `--json` run can fail: a field it does not
/// know, a key out of order, a wrong type.
#[test]
fn the_schema_check_rejects_what_the_contract_does_not_say() {
    let good = br#"{"type":"session","session":"0x1","timeout_ms":30000}"#;
    common::check_json_lines("replay", good);
    for bad in [
        &br#"{"type":"session","session":"0x1","timeout_ms":30000,"extra":1}"#[..],
        br#"{"session":"0x1","type":"session","timeout_ms":30000}"#,
        br#"{"type":"session","session":"1","timeout_ms":30000}"#,
        br#"{"type":"txn","session":"0x1"}"#,
    ] {
        let r = std::panic::catch_unwind(|| common::check_json_lines("replay", bad));
        assert!(r.is_err(), "{}", String::from_utf8_lossy(bad));
    }
}
