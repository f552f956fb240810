//! zkdd history, extract and du.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::common::{self, json_lines, run, stdout};

fn standalone() -> PathBuf {
    common::fixtures().join("standalone/data")
}

/// Zxids of the txns in `zkdd dump --json DIR` naming `path` directly, in a
/// multi sub-op, or in a closeSession's list.
fn dumped_zxids(dir: &Path, path: &str) -> BTreeSet<String> {
    let o = run(&["dump", "--json", dir.to_str().unwrap()]);
    let mut out = BTreeSet::new();
    for v in json_lines(&stdout(&o)) {
        if v["type"] != "txn" {
            continue;
        }
        let mut paths: Vec<&Value> = vec![&v["path"]];
        if let Some(ps) = v["paths"].as_array() {
            paths.extend(ps);
        }
        if let Some(ops) = v["ops"].as_array() {
            paths.extend(ops.iter().map(|o| &o["path"]));
        }
        if paths.iter().any(|p| p.as_str() == Some(path)) {
            out.insert(v["zxid"].as_str().unwrap().to_string());
        }
    }
    out
}

fn history(dir: &Path, path: &str) -> Vec<Value> {
    let o = run(&["history", "--json", path, dir.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    json_lines(&stdout(&o))
}

#[test]
fn history_lists_exactly_the_logged_txns_of_a_path() {
    let dir = standalone();
    for path in [
        "/app/cfg",
        "/app/exp1",
        "/app/eph",
        "/app/m1",
        "/app/close1",
    ] {
        let lines = history(&dir, path);
        let got: BTreeSet<String> = lines
            .iter()
            .filter(|v| v["type"] == "change")
            .map(|v| v["zxid"].as_str().unwrap().to_string())
            .collect();
        let want = dumped_zxids(&dir, path);
        assert!(!want.is_empty(), "{path}: fixture has no txns");
        assert_eq!(got, want, "{path}");
        let summary = lines.last().unwrap();
        assert_eq!(summary["type"], "summary");
        assert_eq!(summary["changes"].as_u64(), Some(lines.len() as u64 - 1));
    }
}

#[test]
fn history_states_chain_and_explain_ephemeral_deletes() {
    let dir = standalone();
    let lines = history(&dir, "/app/cfg");
    let ch: Vec<&Value> = lines.iter().filter(|v| v["type"] == "change").collect();
    assert!(ch[0]["before"].is_null(), "first change creates the node");
    for w in ch.windows(2) {
        assert_eq!(
            w[0]["after"], w[1]["before"],
            "after of one is before of the next"
        );
    }
    // Versions follow the setData count.
    let last = &ch.last().unwrap()["after"]["stat"];
    assert_eq!(last["version"].as_u64(), Some(ch.len() as u64 - 1));

    // /app/exp1 was deleted by an expiry (closeSession, cxid 0) of its owner.
    let lines = history(&dir, "/app/exp1");
    let del = lines
        .iter()
        .find(|v| v["type"] == "change" && v["after"].is_null())
        .expect("a delete");
    assert_eq!(del["via"], "sessionExpiry");
    assert_eq!(del["op"], "delete");
    let owner = &del["owner"];
    assert_eq!(owner["expired"], true);
    assert_eq!(owner["closed_zxid"], del["zxid"]);
    assert_eq!(owner["session"], del["session"]);
    // The createSession of the owner is in the dump.
    let o = run(&["dump", "--json", dir.to_str().unwrap()]);
    let created = json_lines(&stdout(&o)).into_iter().find(|v| {
        v["type"] == "txn" && v["op"] == "createSession" && v["session"] == owner["session"]
    });
    let created = created.expect("createSession in the logs");
    assert_eq!(owner["created_zxid"], created["zxid"]);
    assert_eq!(owner["created_time"], created["time"]);

    // A client close has cxid != 0.
    let lines = history(&dir, "/app/close1");
    let del = lines
        .iter()
        .find(|v| v["after"].is_null() && v["type"] == "change");
    assert_eq!(del.unwrap()["via"], "closeSession");
}

#[test]
fn history_prefix_covers_the_subtree() {
    let dir = standalone();
    let o = run(&[
        "history",
        "--json",
        "--prefix",
        "/app/q",
        dir.to_str().unwrap(),
    ]);
    let lines = json_lines(&stdout(&o));
    let got: BTreeSet<String> = lines
        .iter()
        .filter(|v| v["type"] == "change")
        .map(|v| v["zxid"].as_str().unwrap().to_string())
        .collect();
    let mut want = BTreeSet::new();
    for p in ["/app/q", "/app/q/a", "/app/q/b"] {
        want.extend(dumped_zxids(&dir, p));
    }
    assert_eq!(got, want);
    let o = run(&["history", "/app/cfg", dir.to_str().unwrap()]);
    assert!(stdout(&o).contains("setData /app/cfg"));
}

fn dump_nodes(snapshot: &Path) -> Vec<Value> {
    let o = run(&["dump", "--json", snapshot.to_str().unwrap()]);
    json_lines(&stdout(&o))
        .into_iter()
        .filter(|v| v["type"] == "node")
        .collect()
}

#[test]
fn du_totals_equal_the_snapshot() {
    let snap = standalone().join("version-2/snapshot.238");
    let nodes = dump_nodes(&snap);
    let bytes = |v: &Value| v["stat"]["data_length"].as_u64().unwrap();
    let o = run(&["du", "--json", "--depth", "1", snap.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let lines = json_lines(&stdout(&o));
    let summary = lines.last().unwrap();
    assert_eq!(summary["nodes"].as_u64(), Some(nodes.len() as u64));
    assert_eq!(
        summary["data_bytes"].as_u64(),
        Some(nodes.iter().map(bytes).sum())
    );
    // Every top-level row equals the sum over its subtree.
    for row in lines
        .iter()
        .filter(|v| v["type"] == "subtree" && v["depth"] == 1)
    {
        let p = row["path"].as_str().unwrap();
        let sub: Vec<&Value> = nodes
            .iter()
            .filter(|n| {
                let np = n["path"].as_str().unwrap();
                np == p || np.starts_with(&format!("{p}/"))
            })
            .collect();
        assert_eq!(row["nodes"].as_u64(), Some(sub.len() as u64), "{p}");
        assert_eq!(
            row["data_bytes"].as_u64(),
            Some(sub.iter().map(|n| bytes(n)).sum()),
            "{p}"
        );
    }
    // Sorted largest first.
    let sizes: Vec<u64> = lines
        .iter()
        .filter(|v| v["type"] == "subtree")
        .map(|v| v["data_bytes"].as_u64().unwrap())
        .collect();
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]));
}

/// Flattens an ncdu export into (path, asize), checking its shape.
fn ncdu_entries(v: &Value, parent: &str, out: &mut Vec<(String, u64)>) {
    let (info, kids) = match v {
        Value::Array(a) => (&a[0], &a[1..]),
        other => (other, &[][..]),
    };
    let name = info["name"].as_str().unwrap();
    let path = if parent.is_empty() {
        name.to_string()
    } else if parent == "/" {
        format!("/{name}")
    } else {
        format!("{parent}/{name}")
    };
    assert_eq!(info["asize"], info["dsize"]);
    assert_eq!(info["dev"], 0);
    out.push((path.clone(), info["asize"].as_u64().unwrap()));
    for k in kids {
        ncdu_entries(k, &path, out);
    }
}

#[test]
fn du_ncdu_export_matches_the_snapshot_and_snapshotformatter() {
    let snap = standalone().join("version-2/snapshot.238");
    let o = run(&["du", "--ncdu", snap.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let v: Value = serde_json::from_str(&stdout(&o)).expect("ncdu JSON parses");
    assert_eq!(v[0], 1);
    assert_eq!(v[1], 0);
    assert_eq!(v[2]["progname"], "zkdd");
    let mut ours = Vec::new();
    ncdu_entries(&v[3], "", &mut ours);
    let nodes = dump_nodes(&snap);
    let want: BTreeMap<String, u64> = nodes
        .iter()
        .map(|n| {
            (
                n["path"].as_str().unwrap().to_string(),
                n["stat"]["data_length"].as_u64().unwrap(),
            )
        })
        .collect();
    let ours_map: BTreeMap<String, u64> = ours.iter().cloned().collect();
    assert_eq!(ours.len(), want.len());
    assert_eq!(ours_map, want);

    let Some(cp) = common::zk_or_skip("du_ncdu_export_matches_snapshotformatter") else {
        return;
    };
    let o = common::zk_tool(
        &cp,
        "org.apache.zookeeper.server.SnapshotFormatter",
        &["-json", snap.to_str().unwrap()],
    );
    let text = String::from_utf8_lossy(&o.stdout);
    let start = text.find('[').expect("SnapshotFormatter -json output");
    let theirs: Value = serde_json::from_str(text[start..].trim()).expect("parses");
    let mut t = Vec::new();
    ncdu_entries(&theirs[3], "", &mut t);
    let theirs_map: BTreeMap<String, u64> = t.into_iter().collect();
    assert_eq!(
        ours_map, theirs_map,
        "same names, nesting and sizes as SnapshotFormatter -json"
    );
}

/// Owned by a session (not persistent, container or TTL): not restorable.
fn is_session_owned(v: &Value) -> bool {
    let o = v["stat"]["ephemeral_owner"].as_str().unwrap_or("0x0");
    let o = u64::from_str_radix(o.trim_start_matches("0x"), 16).unwrap_or(0);
    o != 0 && o != 1 << 63 && o >> 56 != 0xff
}

const READ_BACK: &str = r#"
import sys, json, base64
from kazoo.client import KazooClient
zk = KazooClient(hosts=sys.argv[1]); zk.start()
out = {}
def walk(p):
    data, st = zk.get(p)
    acl, _ = zk.get_acls(p)
    out[p] = {"data": base64.b64encode(data or b"").decode(),
              "acl": sorted([[a.perms, a.id.scheme, a.id.id] for a in acl])}
    for c in zk.get_children(p):
        if p == "/" and c == "zookeeper":
            continue
        walk(p.rstrip("/") + "/" + c)
walk(sys.argv[2])
zk.stop()
print(json.dumps(out))
"#;

#[test]
fn extract_script_restores_the_subtree_on_a_real_server() {
    let dir = standalone();
    let d = dir.to_str().unwrap();
    let (z, prefix) = ("0x86", "/app");
    let o = run(&["extract", d, "--before-zxid", z, "--prefix", prefix]);
    // /app/binary cannot be typed and two ephemerals are skipped.
    assert_eq!(o.status.code(), Some(1));
    let script = stdout(&o);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("/app/binary") && err.contains("/app/eph"),
        "{err}"
    );
    assert!(!script.contains("create /app/eph"));

    let o = run(&[
        "replay",
        "--json",
        d,
        "--before-zxid",
        z,
        "--prefix",
        prefix,
    ]);
    let want: Vec<Value> = json_lines(&stdout(&o))
        .into_iter()
        .filter(|v| v["type"] == "node" && !is_session_owned(v))
        .collect();
    // extract --json is the same node contract.
    let o = run(&[
        "extract",
        "--json",
        d,
        "--before-zxid",
        z,
        "--prefix",
        prefix,
    ]);
    let ej: Vec<Value> = json_lines(&stdout(&o))
        .into_iter()
        .filter(|v| !is_session_owned(v))
        .collect();
    assert_eq!(ej, want);

    let Some(cp) = common::zk_or_skip("extract_script_restores_the_subtree_on_a_real_server")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = common::ZkServer::start(
        &cp,
        dir.path(),
        &dir.path().join("data"),
        "tickTime=2000\n",
        &[],
    );
    let hostport = format!("127.0.0.1:{}", server.port);
    let zkcli = |script: &str| {
        let mut cli = Command::new("/usr/share/zookeeper/bin/zkCli.sh")
            .args(["-server", &hostport])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("zkCli.sh");
        cli.stdin
            .take()
            .unwrap()
            .write_all(format!("{script}\nquit\n").as_bytes())
            .unwrap();
        cli.wait_with_output().unwrap()
    };
    // A deeper prefix first: its script creates the missing ancestor /app;
    // then the /app script, whose creates of existing nodes fail and zkCli goes on.
    let o = run(&["extract", d, "--before-zxid", z, "--prefix", "/app/q"]);
    assert_eq!(o.status.code(), Some(0));
    let sub = stdout(&o);
    assert!(
        sub.contains("create /app hello\n") && sub.contains("create /app/q/a 1\n"),
        "{sub}"
    );
    zkcli(&sub);
    zkcli(&script);
    // Then the whole tree at the same point: containers (create -c) and TTL
    // nodes (create -t) come back with the same ephemeralOwner.
    let o = run(&["extract", d, "--before-zxid", z]);
    let cli_out = zkcli(&stdout(&o));
    let o = run(&["replay", "--json", d, "--before-zxid", z]);
    let want: Vec<Value> = json_lines(&stdout(&o))
        .into_iter()
        .filter(|v| {
            let p = v["path"].as_str().unwrap_or("");
            v["type"] == "node"
                && !is_session_owned(v)
                && p != "/zookeeper"
                && !p.starts_with("/zookeeper/")
        })
        .collect();
    assert!(
        want.iter()
            .any(|v| v["stat"]["ephemeral_owner"] == "0x8000000000000000")
    );
    assert!(want.iter().any(|v| {
        v["stat"]["ephemeral_owner"]
            .as_str()
            .is_some_and(|o| o.starts_with("0xff"))
    }));
    let o = Command::new("/usr/bin/python3")
        .args(["-c", READ_BACK, &hostport, "/"])
        .output()
        .expect("python3");
    assert!(
        o.status.success(),
        "kazoo: {}\nzkCli: {}",
        String::from_utf8_lossy(&o.stderr),
        String::from_utf8_lossy(&cli_out.stdout)
    );
    let got: BTreeMap<String, Value> = serde_json::from_slice(&o.stdout).unwrap();
    // Clients see ephemeralOwner 0 for containers and TTL nodes: read the
    // kinds from the server's own log instead, once it is stopped.
    let mut server = server;
    server.stop();
    let o = run(&[
        "replay",
        "--json",
        dir.path().join("data").to_str().unwrap(),
    ]);
    let owners: BTreeMap<String, Value> = json_lines(&stdout(&o))
        .into_iter()
        .filter(|v| v["type"] == "node")
        .map(|v| {
            (
                v["path"].as_str().unwrap().to_string(),
                v["stat"]["ephemeral_owner"].clone(),
            )
        })
        .collect();
    let b64 = |v: &Value| -> String {
        use base64::Engine;
        let bytes = match (&v["text"], &v["base64"]) {
            (Value::String(t), _) => t.as_bytes().to_vec(),
            (_, Value::String(b)) => base64::engine::general_purpose::STANDARD.decode(b).unwrap(),
            _ => Vec::new(),
        };
        base64::engine::general_purpose::STANDARD.encode(bytes)
    };
    assert_eq!(got.len(), want.len(), "restored paths: {:?}", got.keys());
    for n in &want {
        let p = n["path"].as_str().unwrap();
        let g = got.get(p).unwrap_or_else(|| panic!("{p} not restored"));
        assert_eq!(
            owners.get(p),
            Some(&n["stat"]["ephemeral_owner"]),
            "{p} kind"
        );
        if p != "/app/binary" {
            assert_eq!(g["data"].as_str().unwrap(), b64(&n["data"]), "{p} data");
        }
        let mut acl: Vec<Value> = n["acl"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                let perms = a["perms"].as_str().unwrap();
                let bits: i64 = perms
                    .chars()
                    .map(|c| match c {
                        'r' => 1,
                        'w' => 2,
                        'c' => 4,
                        'd' => 8,
                        'a' => 16,
                        _ => 0,
                    })
                    .sum();
                serde_json::json!([bits, a["scheme"], a["id"]])
            })
            .collect();
        acl.sort_by_key(|a| a.to_string());
        let mut gacl = g["acl"].as_array().unwrap().clone();
        gacl.sort_by_key(|a| a.to_string());
        assert_eq!(gacl, acl, "{p} acl");
    }
}

/// Makes the nodes of the zkCli quoting test on a live server.
const MAKE_ODD_NODES: &str = r#"
import sys
from kazoo.client import KazooClient
from kazoo.security import ACL, Id
zk = KazooClient(hosts=sys.argv[1]); zk.start()
ALL, READ = 31, 1
zk.create("/t", b"root")
zk.create("/t/empty", b"")
zk.create("/t/null", None)
zk.create("/t/spaced", b"a b")
zk.create("/t/quote", b'say "hi"')
zk.create("/t/acl-space", b"1", acl=[ACL(ALL, Id("digest", "al ice:h4sh=")), ACL(READ, Id("world", "anyone"))])
zk.create("/t/acl-colon", b"2", acl=[ACL(ALL, Id("sasl", "p:q r"))])
zk.create("/t/acl-comma", b"3", acl=[ACL(ALL, Id("sasl", "x,y"))])
zk.stop()
"#;

/// Runs a script through the real zkCli; returns its output.
fn zkcli(port: u16, script: &str) -> String {
    let mut cli = Command::new("/usr/share/zookeeper/bin/zkCli.sh")
        .args(["-server", &format!("127.0.0.1:{port}")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("zkCli.sh");
    cli.stdin
        .take()
        .unwrap()
        .write_all(format!("{script}\nquit\n").as_bytes())
        .unwrap();
    let o = cli.wait_with_output().unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The nodes under /t of a stopped server's data dir, as zkdd replays them:
/// path -> (data, ACL).
fn nodes_under_t(data: &Path) -> BTreeMap<String, (Value, Value)> {
    let o = run(&["replay", "--json", "--prefix", "/t", data.to_str().unwrap()]);
    json_lines(&stdout(&o))
        .into_iter()
        .filter(|v| v["type"] == "node")
        .map(|v| {
            (
                v["path"].as_str().unwrap().to_string(),
                (v["data"].clone(), v["acl"].clone()),
            )
        })
        .collect()
}

/// extract's and diff's zkCli scripts share one quoting rule: ACL ids with
/// ':' and spaces survive a real zkCli, one with ',' (which zkCli cannot
/// express) is refused with a warning instead of a broken line, and empty
/// data comes back empty, not null.
#[test]
fn zkcli_scripts_survive_odd_acl_ids_and_empty_data_on_a_real_zkcli() {
    let Some(cp) = common::zk_or_skip("zkcli_scripts_survive_odd_acl_ids") else {
        return;
    };
    // The SASL provider takes ids with ',', ':' and spaces; without it the
    // server refuses such ACLs.
    let jvm =
        ["-Dzookeeper.authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider"];
    let tmp = tempfile::tempdir().unwrap();
    let server_dir = |name: &str| -> PathBuf {
        let d = tmp.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        d
    };
    let src = server_dir("src");
    let mut a = common::ZkServer::start(&cp, &src, &src.join("data"), "", &jvm);
    let o = Command::new("/usr/bin/python3")
        .args(["-c", MAKE_ODD_NODES, &format!("127.0.0.1:{}", a.port)])
        .output()
        .expect("python3");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    a.stop();
    let data = src.join("data");
    let want = nodes_under_t(&data);
    assert_eq!(want.len(), 8, "{want:?}");
    assert_eq!(want["/t/empty"].0, serde_json::json!({"text": ""}));
    assert_eq!(want["/t/null"].0, Value::Null);
    let d = data.to_str().unwrap();

    // The whole subtree just after it was made, as extract writes it...
    let o = run(&[
        "extract",
        d,
        "--before-zxid",
        "0x7fffffff",
        "--prefix",
        "/t",
    ]);
    let extract = stdout(&o);
    let warned = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(extract.contains("create /t/empty \"\"\n"), "{extract}");
    assert!(
        extract.contains("setAcl /t/acl-space \"digest:al ice:h4sh=:cdrwa,world:anyone:r\""),
        "{extract}"
    );
    // ...and as diff --script writes it, from the tree before /t existed.
    let o = run(&["diff", "--script", &format!("{d}@0x1"), d]);
    let diff = stdout(&o);
    let diff_warned = String::from_utf8_lossy(&o.stderr).into_owned();
    for (what, script, warnings) in [
        ("extract", &extract, &warned),
        ("diff", &diff, &diff_warned),
    ] {
        assert!(
            !script.contains("x,y"),
            "{what}: a line zkCli would split: {script}"
        );
        assert!(warnings.contains("/t/acl-comma"), "{what}: {warnings}");
        let dst = server_dir(what);
        let mut b = common::ZkServer::start(&cp, &dst, &dst.join("data"), "", &jvm);
        let said = zkcli(b.port, script);
        b.stop();
        for bad in [
            "does not have the form",
            "Acl is not valid",
            "Exception",
            "Unrecognized",
        ] {
            assert!(!said.contains(bad), "{what}: zkCli said {bad}: {said}");
        }
        let got = nodes_under_t(&dst.join("data"));
        assert_eq!(got.len(), want.len(), "{what}: {got:?}");
        for (path, (data, acl)) in &want {
            let (gdata, gacl) = &got[path];
            assert_eq!(gdata, data, "{what}: {path} data");
            if path != "/t/acl-comma" {
                assert_eq!(gacl, acl, "{what}: {path} acl");
            }
        }
    }
}
