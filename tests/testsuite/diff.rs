//! zkdd diff: against the replay engine, the logs, a diverged ensemble copy,
//! and a real ZooKeeper server running the --script output.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use zkdd::format::txn::TxnBody;
use zkdd::format::txnlog::{IterOptions, TxnLog};
use zkdd::format::write::TxnLogWriter;

use crate::common;

fn standalone() -> PathBuf {
    common::fixtures().join("standalone/data")
}

fn snap(name: &str) -> String {
    standalone()
        .join("version-2")
        .join(name)
        .display()
        .to_string()
}

fn at(dir: &Path, zxid: &str) -> String {
    format!("{}@{zxid}", dir.display())
}

fn changes(o: &std::process::Output) -> Vec<serde_json::Value> {
    common::json_lines(&common::stdout(o))
        .into_iter()
        .filter(|v| v["type"] == "difference")
        .collect()
}

#[test]
fn snapshot_equals_replay_at_its_zxid() {
    // snapshot.0 and the snapshots with a digest at their name are exact.
    for (name, zxid) in [("snapshot.0", "0x0"), ("snapshot.86", "0x86")] {
        let o = common::run(&["diff", "--json", &snap(name), &at(&standalone(), zxid)]);
        assert_eq!(o.status.code(), Some(0), "{name}: {}", common::stdout(&o));
        assert!(changes(&o).is_empty());
        let sum = common::json_lines(&common::stdout(&o)).pop().unwrap();
        assert_eq!(sum["type"], "summary");
        assert_eq!(sum["left"]["zxid"], zxid);
        assert!(sum["compared"]["left_nodes"].as_u64().unwrap() >= 3);
    }
}

/// What the logs say happened in (a, b]: path -> fields that must show up.
fn logged_changes(dir: &Path, a: i64, b: i64) -> BTreeMap<String, &'static str> {
    let mut m: BTreeMap<String, &'static str> = BTreeMap::new();
    let mut note = |path: &[u8], what: &'static str| {
        let p = String::from_utf8_lossy(path).into_owned();
        let e = m.entry(p).or_insert(what);
        if what == "delete" || what == "create" {
            *e = match (*e, what) {
                ("create", "delete") | ("gone", _) => "gone",
                ("delete", "create") => "recreated",
                _ => what,
            };
        }
    };
    for f in common::files(dir, "log.") {
        let bytes = std::fs::read(&f).unwrap();
        let log = TxnLog::parse(&bytes).unwrap();
        for e in log.entries(IterOptions::default()) {
            let z = e.txn.header.zxid.0;
            if z <= a || z > b {
                continue;
            }
            let mut bodies = vec![&e.txn.body];
            if let TxnBody::Multi { ops } = &e.txn.body {
                bodies = ops.iter().map(|s| &s.body).collect();
            }
            for body in bodies {
                match body {
                    TxnBody::Create(c) => note(c.path, "create"),
                    TxnBody::Delete { path } => note(path, "delete"),
                    TxnBody::SetData { path, .. } => note(path, "data"),
                    TxnBody::SetAcl { path, .. } => note(path, "acl"),
                    _ => {}
                }
            }
        }
    }
    m
}

#[test]
fn diff_between_snapshots_matches_the_logs() {
    let dir = standalone().join("version-2");
    let (a, b) = (0x86, 0xb7);
    let o = common::run(&[
        "diff",
        "--json",
        "--ignore",
        "stat",
        &at(&standalone(), "0x86"),
        &at(&standalone(), "0xb7"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let got: BTreeMap<String, serde_json::Value> = changes(&o)
        .into_iter()
        .map(|c| (c["path"].as_str().unwrap().to_string(), c))
        .collect();
    let want = logged_changes(&dir.parent().unwrap().join(""), a, b);
    assert!(!want.is_empty());
    for (path, what) in &want {
        let c = got.get(path);
        match *what {
            "create" => assert_eq!(c.unwrap()["change"], "added", "{path}"),
            "delete" => assert_eq!(c.unwrap()["change"], "removed", "{path}"),
            // Created and deleted inside the range: no trace.
            "gone" => assert!(c.is_none(), "{path}"),
            // setData to the same bytes leaves data equal: only check when reported.
            "data" | "acl" | "recreated" => {
                if let Some(c) = c {
                    assert_eq!(c["change"], "modified", "{path}");
                }
            }
            _ => unreachable!(),
        }
    }
    // Nothing the logs do not mention.
    for path in got.keys() {
        assert!(
            want.contains_key(path),
            "{path} changed but no txn touched it"
        );
    }
    // And the same with snapshot files on both sides (stat included).
    let o2 = common::run(&["diff", "--json", &snap("snapshot.86"), &snap("snapshot.b7")]);
    assert_eq!(o2.status.code(), Some(1));
    let paths2: Vec<String> = changes(&o2)
        .iter()
        .map(|c| c["path"].as_str().unwrap().to_string())
        .collect();
    for p in got.keys() {
        assert!(paths2.contains(p), "{p}");
    }
}

#[test]
fn exit_codes_prefix_and_ignores() {
    let (l, r) = (snap("snapshot.86"), snap("snapshot.b7"));
    let o = common::run(&["diff", &l, &r]);
    assert_eq!(o.status.code(), Some(1));
    let text = common::stdout(&o);
    assert!(
        text.contains("~ /app/cfg  data,mzxid,mtime,version"),
        "{text}"
    );
    assert!(text.contains("- /app/seq-0000000001"), "{text}");
    assert!(text.contains("+ /app/eph2"), "{text}");
    // --values shows both sides.
    let o = common::run(&["diff", "--values", "--prefix", "/app/cfg", &l, &r]);
    let text = common::stdout(&o);
    assert!(text.contains("data: \"v2\" -> \"v3\""), "{text}");
    // Prefix: only that subtree.
    let o = common::run(&["diff", "--json", "--prefix", "/load", &l, &r]);
    assert_eq!(o.status.code(), Some(1));
    let c = changes(&o);
    assert!(!c.is_empty());
    assert!(
        c.iter()
            .all(|c| c["path"].as_str().unwrap().starts_with("/load"))
    );
    let o = common::run(&["diff", "--prefix", "/nonexistent", &l, &r]);
    assert_eq!(o.status.code(), Some(0));
    // --ignore stat: /app's pzxid/cversion change disappears, data stays.
    let o = common::run(&["diff", "--json", "--ignore", "stat", &l, &r]);
    let c = changes(&o);
    assert!(c.iter().all(|c| c["path"] != "/app"));
    assert!(
        c.iter()
            .any(|c| c["path"] == "/app/cfg" && c["fields"] == serde_json::json!(["data"]))
    );
    // --ignore-ephemeral: the ephemeral /app/eph2 is not reported.
    let o = common::run(&["diff", "--json", "--ignore-ephemeral", &l, &r]);
    assert!(changes(&o).iter().all(|c| c["path"] != "/app/eph2"));
    // Same input: 0. Trouble: 2.
    assert_eq!(common::run(&["diff", &l, &l]).status.code(), Some(0));
    assert_eq!(
        common::run(&["diff", &l, "/nonexistent/x"]).status.code(),
        Some(2)
    );
    assert_eq!(
        common::run(&["diff", "--ignore", "bogus", &l, &r])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn json_tree_side_and_quota_stats() {
    let tmp = tempfile::tempdir().unwrap();
    let jl = tmp.path().join("tree.jsonl");
    let o = common::run(&[
        "replay",
        &standalone().display().to_string(),
        "--to-zxid",
        "0xb7",
        "--output",
        &jl.display().to_string(),
    ]);
    assert!(o.status.code().unwrap() <= 1);
    let j = jl.display().to_string();
    let o = common::run(&["diff", &j, &at(&standalone(), "0xb7")]);
    assert_eq!(o.status.code(), Some(0), "{}", common::stdout(&o));
    // ZooKeeper's own restore output (plain integers) reads too.
    let exp = common::fixtures().join("standalone/expected/restore.jsonl");
    let o = common::run(&[
        "diff",
        &exp.display().to_string(),
        &standalone().display().to_string(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", common::stdout(&o));
    // A changed quota stats node is ignored unless asked for.
    let text = std::fs::read_to_string(&jl).unwrap();
    let Some(line) = text.lines().find(|l| l.contains("zookeeper_stats")) else {
        return; // no quota in this fixture
    };
    let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
    v["data"] = serde_json::json!({"text": "count=999,bytes=1"});
    let changed = text.replace(line, &v.to_string());
    let j2 = tmp.path().join("tree2.jsonl");
    std::fs::write(&j2, changed).unwrap();
    let j2 = j2.display().to_string();
    assert_eq!(common::run(&["diff", &j, &j2]).status.code(), Some(0));
    assert_eq!(
        common::run(&["diff", "--include-quota-stats", &j, &j2])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn ensemble_logs_agree_and_a_diverged_copy_is_found() {
    let m = common::fixtures().join("ensemble");
    let (m1, m2) = (m.join("member1/data"), m.join("member2/data"));
    let o = common::run(&[
        "diff",
        "--logs",
        "--json",
        &m1.display().to_string(),
        &m2.display().to_string(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", common::stdout(&o));
    let lines = common::json_lines(&common::stdout(&o));
    assert!(lines.iter().all(|l| l["type"] != "divergence"));
    let sum = lines.last().unwrap();
    assert!(sum["logs"]["equal_txns"].as_u64().unwrap() > 100);

    // Diverge a copy of member2: change the time of one txn in its last log.
    let tmp = tempfile::tempdir().unwrap();
    common::copy_dir(&m2, tmp.path());
    let last = common::files(tmp.path(), "log.").pop().unwrap();
    let bytes = std::fs::read(&last).unwrap();
    let log = TxnLog::parse(&bytes).unwrap();
    let mut w = TxnLogWriter::new();
    let mut target = None;
    for (i, e) in log.entries(IterOptions::default()).enumerate() {
        let mut b = e.bytes.to_vec();
        if i == 2 {
            b[20] ^= 0x01; // header: session 8, cxid 4, zxid 8, then time
            target = Some(e.txn.header.zxid);
        }
        w.append_bytes(&b);
    }
    std::fs::write(&last, w.finish(None)).unwrap();
    let target = target.unwrap();
    let d = tmp.path().display().to_string();
    let o = common::run(&["diff", "--logs", "--json", &m1.display().to_string(), &d]);
    assert_eq!(o.status.code(), Some(1));
    let lines = common::json_lines(&common::stdout(&o));
    let div = lines.iter().find(|l| l["type"] == "divergence").unwrap();
    assert_eq!(div["zxid"], target.to_string());
    assert_eq!(div["left"]["zxid"], target.to_string());
    assert_eq!(div["right"]["zxid"], target.to_string());
    assert_ne!(div["left"]["time_ms"], div["right"]["time_ms"]);
    let sum = lines.last().unwrap();
    assert_eq!(
        sum["logs"]["tree_zxid"],
        zkdd::zxid::Zxid(target.0 - 1).to_string()
    );
    // The trees agree at the last common zxid.
    assert_eq!(sum["differences"], false);
    // Human output names it.
    let o = common::run(&["diff", "--logs", &m1.display().to_string(), &d]);
    assert!(common::stdout(&o).contains(&format!("FIRST DIVERGENCE at zxid {target}")));
}

#[test]
fn side_spec_splits_on_the_last_at_only() {
    use zkdd::ops::diff::{SideSpec, parse_side};
    use zkdd::tree::replay::Target;
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("we@ird");
    std::fs::create_dir(&d).unwrap();
    let s = d.display().to_string();
    assert_eq!(
        parse_side(&s, false).unwrap(),
        SideSpec::Dir(d.clone(), Target::End)
    );
    assert_eq!(
        parse_side(&format!("{s}@0x1a2b"), false).unwrap(),
        SideSpec::Dir(d.clone(), Target::ToZxid(zkdd::zxid::Zxid(0x1a2b)))
    );
    assert!(matches!(
        parse_side(&format!("{s}@2026-11-23T03:14:00Z"), false).unwrap(),
        SideSpec::Dir(_, Target::ToTime(_))
    ));
    assert!(parse_side(&format!("{s}@nonsense"), false).is_err());
}

// ---- --script against a real server -------------------------------------------

/// The tree as a client sees it (outside /zookeeper): path -> (data, acl).
fn read_tree(port: u16) -> BTreeMap<String, serde_json::Value> {
    let script = r#"
import sys, json, base64
from kazoo.client import KazooClient
zk = KazooClient(hosts=sys.argv[1]); zk.start()
out = {}
def walk(p):
    data, _ = zk.get(p)
    acl, _ = zk.get_acls(p)
    out[p] = {"data": None if data is None else base64.b64encode(data).decode(),
              "acl": [[a.perms, a.id.scheme, a.id.id] for a in acl]}
    for c in zk.get_children(p):
        q = (p if p != "/" else "") + "/" + c
        if q != "/zookeeper": walk(q)
walk("/")
zk.stop()
print(json.dumps(out))
"#;
    let o = Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(script)
        .arg(format!("127.0.0.1:{port}"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// The same view of a zkdd JSON tree (persistent nodes only: the script
/// cannot recreate ephemerals).
fn json_tree_view(text: &str) -> BTreeMap<String, serde_json::Value> {
    use base64::Engine;
    let mut m = BTreeMap::new();
    for v in common::json_lines(text) {
        if v["type"] != "node" {
            continue;
        }
        let p = v["path"].as_str().unwrap().to_string();
        if p.starts_with("/zookeeper") {
            continue;
        }
        let owner = v["stat"]["ephemeral_owner"].as_str().unwrap();
        let kind_top = u64::from_str_radix(&owner[2..], 16).unwrap() >> 56;
        if owner != "0x0" && kind_top != 0x80 && kind_top != 0xff {
            continue;
        }
        let data = match &v["data"] {
            serde_json::Value::Null => serde_json::Value::Null,
            d => {
                let bytes = match (d.get("text"), d.get("base64")) {
                    (Some(t), _) => t.as_str().unwrap().as_bytes().to_vec(),
                    (_, Some(b)) => base64::engine::general_purpose::STANDARD
                        .decode(b.as_str().unwrap())
                        .unwrap(),
                    _ => unreachable!(),
                };
                serde_json::json!(base64::engine::general_purpose::STANDARD.encode(bytes))
            }
        };
        let perm_bits = |s: &str| {
            s.chars()
                .map(|c| match c {
                    'r' => 1,
                    'w' => 2,
                    'c' => 4,
                    'd' => 8,
                    'a' => 16,
                    _ => 0,
                })
                .sum::<i64>()
        };
        let acl: Vec<serde_json::Value> = v["acl"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                serde_json::json!([
                    perm_bits(a["perms"].as_str().unwrap()),
                    a["scheme"],
                    a["id"]
                ])
            })
            .collect();
        m.insert(p, serde_json::json!({"data": data, "acl": acl}));
    }
    m
}

#[test]
fn script_turns_left_into_right_on_a_real_server() {
    let Some(cp) = common::zk_or_skip("script_turns_left_into_right_on_a_real_server") else {
        return;
    };
    let src = standalone().display().to_string();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(data.join("version-2")).unwrap();
    let o = common::run(&[
        "replay",
        &src,
        "--to-zxid",
        "0x0",
        "--drop-sessions",
        "--drop-ephemerals",
        "--output",
        &data.display().to_string(),
    ]);
    assert!(
        o.status.code().unwrap() <= 1,
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let server = common::ZkServer::start(&cp, &data, &data, "tickTime=2000\n", &[]);
    let port = server.port;
    // 0x0 -> 0x86 creates (and setAcl on restricted nodes); 0x86 -> 0x1ce
    // also deletes and sets data. One server for both steps.
    // Paths the script said it cannot express (binary data, ephemerals).
    let mut skipped: Vec<String> = Vec::new();
    for (left, right) in [("0x0", "0x86"), ("0x86", "0x1ce")] {
        let script = common::run(&[
            "diff",
            "--script",
            &at(&standalone(), left),
            &at(&standalone(), right),
        ]);
        assert_eq!(script.status.code(), Some(1));
        let script_text = common::stdout(&script);
        assert!(script_text.lines().count() > 3, "{script_text}");
        for l in String::from_utf8_lossy(&script.stderr).lines() {
            if let Some(rest) = l.strip_prefix("zkdd: warning: --script: /") {
                skipped.push(format!("/{}", rest.split(": ").next().unwrap()));
            }
        }
        let is_skipped = |p: &str| {
            skipped
                .iter()
                .any(|s| p == s || p.starts_with(&format!("{s}/")))
        };
        let right_tree = common::run(&["replay", &src, "--to-zxid", right, "--json"]);
        let want = json_tree_view(&common::stdout(&right_tree));
        let before = read_tree(port);
        assert_ne!(
            before, want,
            "left and right must differ for the test to mean anything"
        );
        let mut zkcli = Command::new("/usr/share/zookeeper/bin/zkCli.sh")
            .arg("-server")
            .arg(format!("127.0.0.1:{port}"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        zkcli
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{script_text}quit\n").as_bytes())
            .unwrap();
        let zo = zkcli.wait_with_output().unwrap();
        let after = read_tree(port);
        for (p, v) in want.iter().filter(|(p, _)| !is_skipped(p)) {
            assert_eq!(
                after.get(p),
                Some(v),
                "{left}->{right}: {p} after the script\nzkCli said: {}",
                String::from_utf8_lossy(&zo.stdout)
            );
        }
        for p in after.keys() {
            assert!(
                want.contains_key(p),
                "{left}->{right}: {p} should have been deleted"
            );
        }
    }
    drop(server);
    // The fixture has binary data: the script must have said so.
    assert!(skipped.iter().any(|p| p == "/app/binary"), "{skipped:?}");
}
