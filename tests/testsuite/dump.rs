//! `zkdd dump`: the JSON Lines contract, filters, negative fixtures, exit codes.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::common;

fn dump(args: &[&str]) -> (Vec<Value>, i32) {
    let mut a = vec!["dump", "--json"];
    a.extend_from_slice(args);
    let o = common::run(&a);
    (
        common::json_lines(&common::stdout(&o)),
        o.status.code().unwrap(),
    )
}

fn is_hex_id(v: &Value) -> bool {
    let Some(s) = v.as_str() else { return false };
    let Some(h) = s.strip_prefix("0x") else {
        return false;
    };
    !h.is_empty()
        && h.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && (h == "0" || !h.starts_with('0'))
}

fn is_time(v: &Value) -> bool {
    // 2026-11-23T08:34:20.025Z
    let Some(s) = v.as_str() else { return false };
    s.len() == 24 && s.ends_with('Z') && s.as_bytes()[10] == b'T' && s.as_bytes()[19] == b'.'
}

fn check_data(v: &Value) {
    match v {
        Value::Null => {}
        Value::Object(m) => {
            assert_eq!(m.len(), 1, "{v}");
            assert!(
                m.get("text").is_some_and(Value::is_string)
                    || m.get("base64").is_some_and(Value::is_string),
                "{v}"
            );
        }
        _ => panic!("data must be null or an object: {v}"),
    }
}

fn check_acl(v: &Value) {
    for a in v.as_array().unwrap_or_else(|| panic!("acl list: {v}")) {
        let perms = a["perms"].as_str().unwrap();
        // Letters in zkCli order c, d, r, w, a, each at most once.
        let order = "cdrwa";
        let idx: Vec<usize> = perms.chars().map(|c| order.find(c).unwrap()).collect();
        assert!(idx.windows(2).all(|w| w[0] < w[1]), "{perms}");
        assert!(a["scheme"].is_string() && a["id"].is_string(), "{a}");
    }
}

fn check_op_fields(t: &Value) {
    let op = t["op"].as_str().unwrap();
    match op {
        "create" | "create2" | "createContainer" | "createTtl" => {
            assert!(t["path"].is_string(), "{t}");
            check_data(&t["data"]);
            check_acl(&t["acl"]);
            assert!(t["parent_cversion"].is_i64(), "{t}");
            assert_eq!(t.get("ttl_ms").is_some(), op == "createTtl", "{t}");
            assert_eq!(
                t.get("ephemeral").is_some(),
                op == "create" || op == "create2",
                "{t}"
            );
        }
        "delete" | "deleteContainer" => assert!(t["path"].is_string(), "{t}"),
        "setData" | "reconfig" => {
            assert!(t["path"].is_string() && t["version"].is_i64(), "{t}");
            check_data(&t["data"]);
        }
        "setACL" => {
            check_acl(&t["acl"]);
            assert!(t["version"].is_i64(), "{t}");
        }
        "check" => assert!(t["path"].is_string() && t["version"].is_i64(), "{t}"),
        "createSession" => assert!(t["timeout_ms"].is_i64(), "{t}"),
        "closeSession" => {
            if let Some(p) = t.get("paths") {
                assert!(p.as_array().unwrap().iter().all(Value::is_string), "{t}");
            }
        }
        "error" => {
            assert!(t["err"].is_i64(), "{t}");
            assert!(t["err_name"].is_string(), "{t}");
        }
        "multi" => {
            for sub in t["ops"].as_array().unwrap() {
                check_op_fields(sub);
            }
        }
        other => panic!("unexpected op {other}"),
    }
}

#[test]
fn json_contract_holds_on_every_fixture() {
    let mut ops = BTreeSet::new();
    for dir in common::all_data_dirs() {
        let (lines, _) = dump(&["--all", dir.to_str().unwrap()]);
        assert!(!lines.is_empty());
        for l in &lines {
            match l["type"].as_str().unwrap() {
                "txn" => {
                    for k in ["zxid", "session", "cxid"] {
                        assert!(is_hex_id(&l[k]), "{k} in {l}");
                    }
                    assert!(is_time(&l["time"]), "{l}");
                    assert!(l["file"].is_string() && l["offset"].is_u64(), "{l}");
                    if let Some(d) = l.get("digest") {
                        assert!(d["version"].is_i64() && d["tree"].is_i64(), "{l}");
                    }
                    ops.insert(l["op"].as_str().unwrap().to_string());
                    if let Some(sub) = l.get("ops") {
                        for s in sub.as_array().unwrap() {
                            ops.insert(s["op"].as_str().unwrap().to_string());
                        }
                    }
                    check_op_fields(l);
                }
                "node" => {
                    assert!(l["path"].as_str().unwrap().starts_with('/'), "{l}");
                    check_data(&l["data"]);
                    check_acl(&l["acl"]);
                    let s = &l["stat"];
                    for k in ["czxid", "mzxid", "pzxid", "ephemeral_owner"] {
                        assert!(is_hex_id(&s[k]), "{k} in {l}");
                    }
                    for k in ["ctime", "mtime"] {
                        assert!(is_time(&s[k]), "{k} in {l}");
                    }
                    for k in [
                        "version",
                        "cversion",
                        "aversion",
                        "data_length",
                        "num_children",
                    ] {
                        assert!(s[k].is_i64(), "{k} in {l}");
                    }
                }
                "session" => {
                    assert!(is_hex_id(&l["session"]) && l["timeout_ms"].is_i64(), "{l}");
                }
                "file" => assert!(l["ok"].is_boolean() && l["file"].is_string(), "{l}"),
                other => panic!("unexpected line type {other}"),
            }
        }
    }
    // The fixtures exercise every op a 3.8 server writes.
    for op in [
        "create",
        "create2",
        "createContainer",
        "createTtl",
        "delete",
        "deleteContainer",
        "setData",
        "setACL",
        "check",
        "multi",
        "createSession",
        "closeSession",
        "error",
    ] {
        assert!(ops.contains(op), "no {op} in any fixture (saw {ops:?})");
    }
}

fn touches(t: &Value, pred: &dyn Fn(&str) -> bool) -> bool {
    t.get("path").and_then(Value::as_str).is_some_and(pred)
        || t.get("paths")
            .and_then(Value::as_array)
            .is_some_and(|p| p.iter().any(|x| pred(x.as_str().unwrap())))
        || t.get("ops")
            .and_then(Value::as_array)
            .is_some_and(|ops| ops.iter().any(|o| touches(o, pred)))
}

fn zxid_of(t: &Value) -> u64 {
    u64::from_str_radix(t["zxid"].as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

#[test]
fn filters_select_exactly_what_they_say() {
    let dir = common::fixtures().join("standalone/data");
    let d = dir.to_str().unwrap();
    let (all, _) = dump(&[d]);
    let txns: Vec<&Value> = all.iter().filter(|l| l["type"] == "txn").collect();
    let select = |args: &[&str]| -> Vec<String> {
        let mut a = args.to_vec();
        a.push(d);
        dump(&a)
            .0
            .iter()
            .filter(|l| l["type"] == "txn")
            .map(|l| l["zxid"].as_str().unwrap().to_string())
            .collect()
    };
    let expect = |f: &dyn Fn(&Value) -> bool| -> Vec<String> {
        txns.iter()
            .filter(|t| f(t))
            .map(|t| t["zxid"].as_str().unwrap().to_string())
            .collect()
    };

    let under_app = |p: &str| p == "/app" || p.starts_with("/app/");
    let want = expect(&|t| touches(t, &under_app));
    assert!(want.iter().any(|z| {
        txns.iter()
            .any(|t| t["zxid"] == z.as_str() && t["op"] == "multi")
    }));
    assert_eq!(select(&["--prefix", "/app"]), want);

    let want = expect(&|t| touches(t, &|p| p == "/app/cfg"));
    assert!(want.len() >= 3);
    assert_eq!(select(&["--path", "/app/cfg"]), want);

    let (lo, hi) = (zxid_of(txns[10]), zxid_of(txns[40]));
    let want = expect(&|t| (lo..=hi).contains(&zxid_of(t)));
    assert_eq!(want.len(), 31);
    assert_eq!(select(&["--zxid", &format!("{lo:#x}..{hi:#x}")]), want);

    let session = txns[60]["session"].as_str().unwrap();
    let want = expect(&|t| t["session"] == session);
    assert_eq!(select(&["--session", session]), want);

    let want = expect(&|t| {
        t["op"] == "delete"
            || t.get("ops")
                .is_some_and(|o| o.as_array().unwrap().iter().any(|s| s["op"] == "delete"))
    });
    assert!(!want.is_empty());
    assert_eq!(select(&["--op", "delete"]), want);

    let since = txns[20]["time"].as_str().unwrap();
    let until = txns[30]["time"].as_str().unwrap();
    let want =
        expect(&|t| t["time"].as_str().unwrap() >= since && t["time"].as_str().unwrap() <= until);
    assert_eq!(select(&["--since", since, "--until", until]), want);
}

#[test]
fn snapshot_filters_and_counts() {
    let dir = common::fixtures().join("standalone/data");
    let snap = common::files(&dir, "snapshot.").into_iter().last().unwrap();
    let s = snap.to_str().unwrap();
    let (all, code) = dump(&[s]);
    assert_eq!(code, 0);
    let nodes: Vec<&Value> = all.iter().filter(|l| l["type"] == "node").collect();
    // num_children is derived: it must equal the children actually listed.
    for n in &nodes {
        let p = n["path"].as_str().unwrap();
        let prefix = if p == "/" {
            "/".to_string()
        } else {
            format!("{p}/")
        };
        let kids = nodes
            .iter()
            .filter(|c| {
                let cp = c["path"].as_str().unwrap();
                cp != "/" && cp.starts_with(&prefix) && !cp[prefix.len()..].contains('/')
            })
            .count();
        assert_eq!(n["stat"]["num_children"], kids, "{p}");
    }
    let (sub, _) = dump(&["--prefix", "/app", s]);
    let sub_nodes: Vec<&Value> = sub.iter().filter(|l| l["type"] == "node").collect();
    assert!(!sub_nodes.is_empty());
    assert!(
        sub_nodes
            .iter()
            .all(|n| n["path"] == "/app" || n["path"].as_str().unwrap().starts_with("/app/"))
    );
    assert_eq!(
        sub_nodes.len(),
        nodes
            .iter()
            .filter(|n| n["path"] == "/app" || n["path"].as_str().unwrap().starts_with("/app/"))
            .count()
    );
    let (only_sessions, _) = dump(&["--sessions-only", s]);
    assert!(
        only_sessions
            .iter()
            .all(|l| l["type"] == "session" || l["type"] == "file")
    );
    let (only_nodes, _) = dump(&["--nodes-only", s]);
    assert!(
        only_nodes
            .iter()
            .all(|l| l["type"] == "node" || l["type"] == "file")
    );
}

#[test]
fn no_mmap_reads_through_windows_and_prints_the_same() {
    let mut inputs: Vec<std::path::PathBuf> = common::data_dirs();
    for case in std::fs::read_dir(common::root().join("testdata/corrupt")).unwrap() {
        inputs.push(case.unwrap().path());
    }
    let mut compared = 0;
    for input in &inputs {
        for args in [&["--json"][..], &[], &["--stats"]] {
            let mut a = vec!["dump"];
            a.extend_from_slice(args);
            a.push(input.to_str().unwrap());
            let mapped = common::run(&a);
            a.insert(1, "--no-mmap");
            // Windows of 300 bytes: every entry of the fixtures crosses some.
            let windowed = common::zkdd()
                .env("ZKDD_WINDOW_BYTES", "300")
                .args(&a)
                .output()
                .unwrap();
            assert_eq!(
                (&mapped.stdout, &mapped.stderr, mapped.status.code()),
                (&windowed.stdout, &windowed.stderr, windowed.status.code()),
                "{a:?}"
            );
            compared += 1;
        }
    }
    assert!(compared > 60, "{compared}");
}

#[test]
fn negative_fixtures_report_kind_and_offset() {
    let root = common::root().join("testdata/corrupt");
    let mut cases = 0;
    for case in std::fs::read_dir(&root).unwrap() {
        let case = case.unwrap().path();
        let expect: Value =
            serde_json::from_str(&std::fs::read_to_string(case.join("expect.json")).unwrap())
                .unwrap();
        let file = case.join(expect["file"].as_str().unwrap());
        let o = common::run(&["dump", "--json", file.to_str().unwrap()]);
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let kind = expect["kind"].as_str().unwrap();
        // A torn tail with nothing readable after it is a crash: a warning,
        // exit 0 (1 with --strict). Everything else here is damage.
        let crash = kind == "torn_tail";
        let want = if crash { 0 } else { 1 };
        assert_eq!(o.status.code(), Some(want), "{name}: exit status");
        if crash {
            let strict = common::run(&["dump", "--strict", "--json", file.to_str().unwrap()]);
            assert_eq!(strict.status.code(), Some(1), "{name}: --strict");
        }
        let lines = common::json_lines(&common::stdout(&o));
        let f = lines
            .iter()
            .find(|l| l["type"] == "file")
            .unwrap_or_else(|| panic!("{name}: no file line"));
        assert_eq!(f["ok"], crash, "{name}");
        let offset = expect["offset"].as_u64().unwrap();
        // The problem is named with verify's finding code, at the offset the
        // generator broke; verify reports the same finding there.
        let code = expect["code"].as_str().unwrap();
        let p = &f["problem"];
        assert_eq!(p["code"], code, "{name}: {f}");
        assert_eq!(p["offset"].as_u64(), Some(offset), "{name}: {f}");
        let v = common::run(&["verify", "--json", file.to_str().unwrap()]);
        let found = common::json_lines(&common::stdout(&v))
            .into_iter()
            .any(|l| l["type"] == "finding" && l["code"] == code && l["offset"] == offset);
        assert!(found, "{name}: verify has no {code} at {offset}");
        // stderr names the file and the offset in hex.
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(&file.display().to_string()), "{name}: {err}");
        assert!(
            err.contains(&format!("{offset:#x}")) || err.contains(&format!("{:#x}", offset)),
            "{name}: {err}"
        );
        cases += 1;
    }
    assert!(cases >= 15);
}

#[test]
fn real_crash_tail_is_a_warning_that_strict_counts() {
    let dir = common::fixtures().join("crash/data");
    let o = common::run(&["dump", "--json", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("warning") && err.contains("log.291"), "{err}");
    let strict = common::run(&["dump", "--strict", dir.to_str().unwrap()]);
    assert_eq!(strict.status.code(), Some(1));
    let lines = common::json_lines(&common::stdout(&o));
    let bad: Vec<&Value> = lines
        .iter()
        .filter(|l| l["type"] == "file" && l["verdict"] != "clean")
        .collect();
    assert_eq!(bad.len(), 1, "{bad:?}");
    // The generator recorded where the server died (testdata/README.md).
    let note =
        std::fs::read_to_string(common::fixtures().join("crash/expected/torn-tail.txt")).unwrap();
    let offset = bad[0]["end_offset"].as_u64().unwrap();
    assert!(
        note.contains(&offset.to_string()),
        "offset {offset} not in {note}"
    );
    assert_eq!(bad[0]["end"], "partial_record");
    assert_eq!(bad[0]["verdict"], "crash_tail");
    assert_eq!(bad[0]["ok"], true);
    // Everything before it was printed, up to the last complete zxid.
    let last = lines.iter().rfind(|l| l["type"] == "txn").unwrap();
    assert!(note.contains(last["zxid"].as_str().unwrap()), "{note}");
}

#[test]
fn exit_codes_and_errors() {
    let clean = common::fixtures().join("standalone/data");
    assert_eq!(
        common::run(&["dump", clean.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    let o = common::run(&["dump", "/nonexistent/zkdd-test"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent/zkdd-test"));
    let o = common::run(&["dump", common::root().join("Cargo.toml").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a ZooKeeper"));
    assert_eq!(
        common::run(&["dump", "--zxid", "zz", clean.to_str().unwrap()])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        common::run(&["dump", "--op", "frobnicate", clean.to_str().unwrap()])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        common::run(&["dump", "--no-such-flag"]).status.code(),
        Some(2)
    );
}

#[test]
fn stats_count_every_txn() {
    let dir = common::fixtures().join("standalone/data");
    let (all, _) = dump(&[dir.to_str().unwrap()]);
    let txns: Vec<&Value> = all.iter().filter(|l| l["type"] == "txn").collect();
    let (stats, code) = dump(&["--stats", dir.to_str().unwrap()]);
    assert_eq!(code, 0);
    let s = stats.iter().find(|l| l["type"] == "stats").unwrap();
    assert_eq!(s["txns"], txns.len());
    let bytes: u64 = txns.iter().map(|t| t["size"].as_u64().unwrap()).sum();
    assert_eq!(s["bytes"], bytes);
    let multis = txns.iter().filter(|t| t["op"] == "multi").count();
    assert_eq!(s["by_op"]["multi"]["count"], multis);
    let per_session: u64 = s["by_session"]
        .as_object()
        .unwrap()
        .values()
        .map(|c| c["count"].as_u64().unwrap())
        .sum();
    assert_eq!(per_session, txns.len() as u64);
    let text = common::stdout(&common::run(&["dump", "--stats", dir.to_str().unwrap()]));
    assert!(
        text.contains(&format!("Total: {} txns", txns.len())),
        "{text}"
    );
}

#[test]
fn human_output_spells_out_multis_errors_and_acls() {
    let dir = common::fixtures().join("standalone/data");
    let text = common::stdout(&common::run(&["dump", dir.to_str().unwrap()]));
    assert!(
        text.lines().any(|l| l.contains(" multi ")
            && l.contains("FAILED")
            && l.contains("BadVersion(-103)"))
    );
    assert!(text.lines().any(|l| l.contains(" error NodeExists(-110)")));
    assert!(text.lines().any(|l| l.contains("acl=world:anyone:cdrwa")));
    // Every txn line starts with its zxid and an RFC 3339 UTC time.
    for l in text.lines().filter(|l| !l.starts_with('#')) {
        let mut t = l.split(' ');
        assert!(t.next().unwrap().starts_with("0x"), "{l}");
        assert!(t.next().unwrap().ends_with('Z'), "{l}");
    }
    // --data modes.
    let hex = common::stdout(&common::run(&[
        "dump",
        "--data",
        "hex",
        "--path",
        "/app/cfg",
        dir.to_str().unwrap(),
    ]));
    assert!(hex.contains("data=0x7631"), "{hex}"); // "v1"
    let none = common::stdout(&common::run(&[
        "dump",
        "--data",
        "none",
        "--path",
        "/app/cfg",
        dir.to_str().unwrap(),
    ]));
    assert!(none.contains("data=<2 bytes>"), "{none}");
}

#[test]
fn directories_and_version_dirs_and_configs_are_equivalent() {
    let dir = common::fixtures().join("standalone/data");
    let a = common::stdout(&common::run(&["dump", "--json", dir.to_str().unwrap()]));
    let b = common::stdout(&common::run(&[
        "dump",
        "--json",
        dir.join("version-2").to_str().unwrap(),
    ]));
    assert_eq!(a, b);
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("zoo.cfg");
    std::fs::write(
        &cfg,
        format!("tickTime=2000\ndataDir = {}  \n", dir.display()),
    )
    .unwrap();
    let c = common::stdout(&common::run(&[
        "dump",
        "--json",
        "--config",
        cfg.to_str().unwrap(),
    ]));
    assert_eq!(a, c);
    assert!(Path::new(&dir).exists());
}

/// A log and a snapshot of several MiB made of the fixtures' real entries and
/// nodes, so that `dump` cuts them into many chunks.
pub(crate) fn big_inputs(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    use zkdd::format::jute::{Acl, Limits};
    use zkdd::format::snapshot::Snapshot;
    use zkdd::format::txnlog::{IterOptions, TxnLog};
    use zkdd::format::write::{SnapshotWriter, TxnLogWriter};

    let mut entries = Vec::new();
    let mut nodes = Vec::new();
    for data_dir in common::data_dirs() {
        for path in common::files(&data_dir, "log.") {
            let bytes = std::fs::read(&path).unwrap();
            let log = TxnLog::parse(&bytes).unwrap();
            entries.extend(
                log.entries(IterOptions::default())
                    .map(|e| e.bytes.to_vec()),
            );
        }
    }
    let snap_path = common::files(&common::fixtures().join("standalone/data"), "snapshot.")
        .pop()
        .unwrap();
    let snap_bytes = std::fs::read(&snap_path).unwrap();
    let snap = Snapshot::parse(&snap_bytes, Limits::default()).unwrap();
    let acls: Vec<(i64, Vec<Acl<'_>>)> = snap
        .acl_cache()
        .iter()
        .map(|e| (e.id, e.acl.as_deref().unwrap().to_vec()))
        .collect();
    let sessions: Vec<_> = snap
        .sessions()
        .iter()
        .map(|s| (s.session, s.timeout_ms))
        .collect();
    nodes.extend(snap.nodes());

    let mut w = TxnLogWriter::new();
    while w.len() < 7 << 20 {
        for e in &entries {
            w.append_bytes(e);
        }
    }
    let log = dir.join("log.1");
    std::fs::write(&log, w.finish(Some(64 << 10))).unwrap();

    let mut s = SnapshotWriter::new(Vec::new(), &sessions, &acls).unwrap();
    let mut written = 0usize;
    for copy in 0.. {
        for n in &nodes {
            // Copies under /copyN, each node's data made bigger, so the stream passes 7 MiB.
            let mut path = format!("/copy{copy}").into_bytes();
            path.extend_from_slice(n.path);
            let data = n.data.map(|d| d.repeat(8));
            written += path.len() + data.as_ref().map_or(0, Vec::len) + 100;
            s.node(&path, data.as_deref(), n.acl_id, &n.stat).unwrap();
        }
        if written > 7 << 20 {
            break;
        }
    }
    let snapshot = dir.join("snapshot.0");
    std::fs::write(&snapshot, s.finish(None).unwrap()).unwrap();
    (log, snapshot)
}

/// Output bytes and exit code of `zkdd -j THREADS ARGS...`.
fn dump_with_threads(threads: &str, args: &[&str]) -> (Vec<u8>, Vec<u8>, i32) {
    let mut a = vec!["dump", "-j", threads];
    a.extend_from_slice(args);
    let o = common::run(&a);
    (o.stdout, o.stderr, o.status.code().unwrap())
}

#[test]
fn threads_give_the_same_bytes_as_a_single_pass() {
    use zkdd::format::txnlog::{IterOptions, LogEnd, TxnLog};

    let tmp = tempfile::tempdir().unwrap();
    let (log, snapshot) = big_inputs(tmp.path());
    let (log_s, snap_s) = (log.to_str().unwrap(), snapshot.to_str().unwrap());

    // A copy of the log with one byte flipped in the middle: the dump must
    // stop exactly where a single sequential pass stops.
    let mut damaged = std::fs::read(&log).unwrap();
    let sequential: Vec<u64> = TxnLog::parse(&damaged)
        .unwrap()
        .entries(IterOptions::default())
        .map(|e| e.offset)
        .collect();
    let victim = sequential[sequential.len() / 2 + 7] as usize + 30;
    damaged[victim] ^= 0x5a;
    let bad_log = tmp.path().join("log.2");
    std::fs::write(&bad_log, &damaged).unwrap();
    let bad_s = bad_log.to_str().unwrap();
    let log = TxnLog::parse(&damaged).unwrap();
    let mut it = log.entries(IterOptions::default());
    let before_damage: Vec<u64> = it.by_ref().map(|e| e.offset).collect();
    let Some(LogEnd::Corrupt { offset, .. }) = it.end().cloned() else {
        panic!("{:?}", it.end())
    };

    for args in [
        vec!["--json", log_s],
        vec![log_s],
        vec!["--stats", "--json", log_s],
        vec!["--json", "--zxid", "..0x20", log_s],
        vec!["--json", bad_s],
        vec![bad_s],
        vec!["--json", snap_s],
        vec![snap_s],
        vec!["--json", "--prefix", "/copy3", snap_s],
    ] {
        let one = dump_with_threads("1", &args);
        assert!(one.0.len() > 1000, "{args:?}: too little output");
        for threads in ["2", "5"] {
            let many = dump_with_threads(threads, &args);
            assert!(one == many, "{args:?}: -j {threads} differs from -j 1");
        }
        // Read through windows (--no-mmap) of 1 MiB and of a few entries.
        for window in ["1048576", "5000"] {
            let mut a = vec!["dump", "-j", "2", "--no-mmap"];
            a.extend_from_slice(&args);
            let o = common::zkdd()
                .env("ZKDD_WINDOW_BYTES", window)
                .args(&a)
                .output()
                .unwrap();
            let windowed = (o.stdout, o.stderr, o.status.code().unwrap());
            assert!(
                one == windowed,
                "{args:?}: --no-mmap, window {window}, differs"
            );
        }
    }

    // The multi-chunk output is also the sequential iterator's.
    let (out, _, code) = dump_with_threads("3", &["--json", bad_s]);
    assert_eq!(code, 1);
    let lines = common::json_lines(&String::from_utf8(out).unwrap());
    let offsets: Vec<u64> = lines
        .iter()
        .filter(|l| l["type"] == "txn")
        .map(|l| l["offset"].as_u64().unwrap())
        .collect();
    assert!(
        offsets == before_damage,
        "{} entries dumped, {} before the damage",
        offsets.len(),
        before_damage.len()
    );
    assert!(
        offsets.len() > 5000,
        "{} entries: too few chunks",
        offsets.len()
    );
    let file = lines.last().unwrap();
    assert_eq!(file["end"], "checksum_mismatch", "{file}");
    assert_eq!(file["end_offset"], offset, "{file}");

    // Every node of the snapshot once, in file order.
    let bytes = std::fs::read(&snapshot).unwrap();
    let snap = zkdd::format::snapshot::Snapshot::parse(&bytes, Default::default()).unwrap();
    let expected: Vec<u64> = snap.nodes().map(|n| n.offset).collect();
    let (out, _, code) = dump_with_threads("3", &["--json", "--nodes-only", snap_s]);
    assert_eq!(code, 0);
    let got: Vec<u64> = common::json_lines(&String::from_utf8(out).unwrap())
        .iter()
        .filter(|l| l["type"] == "node")
        .map(|l| l["offset"].as_u64().unwrap())
        .collect();
    assert!(
        got == expected,
        "{} nodes dumped of {}",
        got.len(),
        expected.len()
    );
    assert!(
        bytes.len() > 3 * (2 << 20),
        "snapshot too small for several chunks"
    );
}
