//! zkdd replay and the tree engine, checked against the own restore of every
//! fixture's ZooKeeper (3.4.14, 3.5.9, 3.6.3, 3.8.0, 3.9.3:
//! `expected/restore*.jsonl`, made by `FileTxnSnapLog.restore`) and against
//! real servers and restores loading our output.

use std::path::{Path, PathBuf};

use base64::Engine;
use zkdd::files::datadir::DataDir;
use zkdd::tree::DataTree;
use zkdd::tree::replay::{self, Options, Replay, Start, Target};
use zkdd::zxid::Zxid;

use crate::common;

/// Renders a tree exactly as `testdata/generate/Restore.java` prints it.
pub fn restore_lines(tree: &DataTree) -> Vec<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut out = Vec::new();
    for (key, n) in tree.sorted_nodes() {
        let path = String::from_utf8_lossy(zkdd::tree::display_path(key)).into_owned();
        let data = match n.data() {
            None => serde_json::Value::Null,
            Some(d) => serde_json::json!({"base64": b64.encode(d)}),
        };
        let acl: Vec<serde_json::Value> = tree
            .acl(n)
            .expect("ACL resolves")
            .iter()
            .map(|a| {
                serde_json::json!({"perms": a.perms,
                    "scheme": String::from_utf8_lossy(&a.scheme),
                    "id": String::from_utf8_lossy(&a.id)})
            })
            .collect();
        let s = n.stat();
        out.push(
            serde_json::json!({"type": "node", "path": path, "data": data, "acl": acl,
                "stat": {"czxid": s.czxid.0, "mzxid": s.mzxid.0, "pzxid": s.pzxid.0,
                    "ctime": s.ctime, "mtime": s.mtime, "version": s.version,
                    "cversion": s.cversion, "aversion": s.aversion,
                    "ephemeral_owner": s.ephemeral_owner}})
            .to_string(),
        );
    }
    for (id, timeout) in tree.sorted_sessions() {
        out.push(
            serde_json::json!({"type": "session", "session": id.0, "timeout_ms": timeout})
                .to_string(),
        );
    }
    out
}

/// Expected lines (minus the summary line) and the summary.
fn expected(path: &Path) -> (Vec<String>, serde_json::Value) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<String> = Vec::new();
    let mut summary = serde_json::Value::Null;
    for l in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        if v["type"] == "restore" {
            summary = v;
        } else {
            // Normalise key order/spacing through serde_json.
            lines.push(v.to_string());
        }
    }
    (lines, summary)
}

fn run(dir: &Path, start: Start, target: Target) -> Replay {
    let dd = DataDir::open(dir, None).unwrap();
    let opts = Options {
        start,
        target,
        ..Options::default()
    };
    replay::replay(&dd, &opts, &mut |_, _| {}).unwrap()
}

/// Compares two line lists and names the first difference.
fn assert_same(what: &str, got: &[String], want: &[String]) {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g, w, "{what}: line {i} differs");
    }
    assert_eq!(
        got.len(),
        want.len(),
        "{what}: {} lines, expected {}",
        got.len(),
        want.len()
    );
}

fn check_summary(what: &str, r: &Replay, summary: &serde_json::Value) {
    assert_eq!(
        r.final_zxid().0,
        summary["last_zxid"].as_i64().unwrap(),
        "{what}: last zxid"
    );
    // 3.4 and 3.5 have no tree digest (null).
    if !summary["digest"].is_null() {
        assert_eq!(
            r.tree.digest(),
            summary["digest"].as_i64().unwrap(),
            "{what}: tree digest"
        );
    }
    assert_eq!(
        r.tree.digest(),
        r.tree.recompute_digest(),
        "{what}: incremental digest"
    );
}

#[test]
fn replay_to_the_end_equals_zookeeper_restore_for_every_fixture() {
    let mut checked = 0;
    for dir in common::all_data_dirs() {
        let exp = common::expected_dir(&dir).unwrap();
        let (want, summary) = expected(&exp.join("restore.jsonl"));
        let r = run(&dir, Start::Auto, Target::End);
        let what = dir.display().to_string();
        assert_same(&what, &restore_lines(&r.tree), &want);
        check_summary(&what, &r, &summary);
        assert_eq!(r.digests.failed, 0, "{what}: digest mismatches");
        checked += 1;
    }
    assert!(checked >= 14, "only {checked} fixture dirs");
}

fn restore_points(exp: &Path) -> Vec<(Zxid, PathBuf)> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(exp).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if let Some(hex) = name
            .strip_prefix("restore-at-")
            .and_then(|s| s.strip_suffix(".jsonl"))
        {
            v.push((Zxid::parse(hex).unwrap(), p));
        }
    }
    v.sort();
    v
}

#[test]
fn point_in_time_replay_equals_zookeeper_restore_of_a_chopped_copy() {
    let mut checked = 0;
    let mut from_later_snapshot = 0;
    let mut from_empty = 0;
    for dir in common::all_data_dirs() {
        let exp = common::expected_dir(&dir).unwrap();
        for (z, file) in restore_points(&exp) {
            let (want, summary) = expected(&file);
            let what = format!("{} --to-zxid {z}", dir.display());
            // Exactly as the expected file was made: snapshot.0 + logs to Z
            // (3.4 writes no snapshot.0: its initial tree + logs to Z).
            let start = match common::files(&dir, "snapshot.0").first() {
                Some(snap0) => Start::Snapshot(snap0.clone()),
                None => Start::Empty,
            };
            let r = run(&dir, start, Target::ToZxid(z));
            assert_same(&what, &restore_lines(&r.tree), &want);
            check_summary(&what, &r, &summary);
            // From the newest snapshot that is safe for Z. A quorum member
            // writes /zookeeper/config locally at each start (no txn), so
            // that one node follows the snapshot used, not the log.
            let local = |v: Vec<String>| -> Vec<String> {
                v.into_iter()
                    .filter(|l| !l.contains("\"path\":\"/zookeeper/config\""))
                    .collect()
            };
            let r = run(&dir, Start::Auto, Target::ToZxid(z));
            // Below the oldest usable snapshot of a 3.4 dir: the initial tree.
            let used = r.snapshot.as_ref().map_or(Zxid(0), |s| s.zxid);
            from_empty += usize::from(r.snapshot.is_none());
            let what = format!("{what} from snapshot {used}");
            assert_same(&what, &local(restore_lines(&r.tree)), &local(want.clone()));
            check_summary(&what, &r, &summary);
            if used.0 > 0 {
                from_later_snapshot += 1;
            }
            let r = run(&dir, Start::Auto, Target::BeforeZxid(Zxid(z.0 + 1)));
            assert_same(
                &format!("{what} (before)"),
                &local(restore_lines(&r.tree)),
                &local(want),
            );
            checked += 1;
        }
    }
    assert!(checked >= 40, "only {checked} restore points checked");
    // 3.4's 0x14, 0x1b and 0x28 (no snapshot.0; snapshot.18 is bounded by
    // snapshot.42 only).
    assert_eq!(from_empty, 3, "points replayed from the initial tree");
    // The snapshot choice must not always fall back to snapshot.0.
    assert!(
        from_later_snapshot >= 5,
        "only {from_later_snapshot} points started from a later snapshot"
    );
}

#[test]
fn replay_from_every_snapshot_reaches_the_same_tree_and_every_digest_matches() {
    let mut fuzzy_seen = 0;
    for dir in common::all_data_dirs() {
        let exp = common::expected_dir(&dir).unwrap();
        let (want, summary) = expected(&exp.join("restore.jsonl"));
        // Logs must reach back to each snapshot; they all do in the fixtures.
        for snap in common::files(&dir, "snapshot.") {
            let what = format!("{} from {}", dir.display(), snap.display());
            let r = run(&dir, Start::Snapshot(snap.clone()), Target::End);
            // /zookeeper/config is local state of a quorum member (written at
            // each start, no txn): it follows the snapshot, not the logs.
            let local = |v: Vec<String>| -> Vec<String> {
                v.into_iter()
                    .filter(|l| !l.contains("\"path\":\"/zookeeper/config\""))
                    .collect()
            };
            assert_same(&what, &local(restore_lines(&r.tree)), &local(want.clone()));
            check_summary(&what, &r, &summary);
            assert_eq!(r.digests.failed, 0, "{what}: digest mismatches");
            if let Some(s) = &r.snapshot
                && let Some((dz, _)) = s.digest
                && dz != s.zxid
            {
                fuzzy_seen += 1;
                // Checks stay off until the digest zxid, then resume.
                assert!(
                    r.digests.snapshot.is_some(),
                    "{what}: snapshot digest never compared"
                );
            }
            let v = common::zk_version_of(&dir);
            if dir.to_string_lossy().contains("nodigest") || v == "3.4" || v == "3.5" {
                assert_eq!(r.digests.passed, 0, "{what}");
            } else if r.applied > 3 {
                assert!(r.digests.passed > 0, "{what}: no digest compared");
            }
        }
        // And from the empty tree, where the logs reach back to zxid 1.
        if common::files(&dir, "log.1")
            .first()
            .is_some_and(|p| p.ends_with("log.1"))
        {
            let r = run(&dir, Start::Empty, Target::End);
            let what = format!("{} from empty", dir.display());
            assert_same(&what, &restore_lines(&r.tree), &want);
            assert_eq!(r.digests.failed, 0, "{what}");
        }
    }
    assert!(
        fuzzy_seen >= 3,
        "only {fuzzy_seen} fuzzy snapshots exercised"
    );
}

/// Rewrites a log, letting `edit` change the txn bytes of entry `i`
/// (checksums recomputed, so only the content is wrong).
fn rewrite_log(path: &Path, mut edit: impl FnMut(usize, &mut Vec<u8>)) {
    use zkdd::format::txnlog::{IterOptions, TxnLog};
    use zkdd::format::write::TxnLogWriter;
    let bytes = std::fs::read(path).unwrap();
    let log = TxnLog::parse(&bytes).unwrap();
    let mut w = TxnLogWriter::new();
    for (i, e) in log.entries(IterOptions::default()).enumerate() {
        let mut b = e.bytes.to_vec();
        edit(i, &mut b);
        w.append_bytes(&b);
    }
    std::fs::write(path, w.finish(Some(4096))).unwrap();
}

#[test]
fn a_tampered_digest_is_detected() {
    let tmp = tempfile::tempdir().unwrap();
    let src = common::fixtures().join("standalone/data");
    common::copy_dir(&src, tmp.path());
    let last = DataDir::open(tmp.path(), None)
        .unwrap()
        .logs
        .pop()
        .unwrap()
        .path;
    let before = run(tmp.path(), Start::Auto, Target::End);
    assert_eq!(before.digests.failed, 0);
    let mut tampered = None;
    rewrite_log(&last, |i, b| {
        // The last entry that carries a digest (12 trailing bytes, version 2).
        let n = b.len();
        if n >= 44 && b[n - 12..n - 8] == [0, 0, 0, 2] {
            tampered = Some(i);
        }
    });
    let i = tampered.expect("an entry with a digest");
    rewrite_log(&last, |j, b| {
        if j == i {
            let n = b.len();
            b[n - 1] ^= 1;
        }
    });
    let r = run(tmp.path(), Start::Auto, Target::End);
    assert_eq!(r.digests.failed, 1, "the flipped digest bit must be caught");
    assert!(r.digests.first_mismatch.is_some());
    assert!(r.has_findings());
    // The CLI reports it with exit status 1, and --strict writes nothing.
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let o = common::run(&["replay", tmp.path().to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(1));
    let o = common::run(&[
        "replay",
        "--strict",
        tmp.path().to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
}

/// Loads a snapshot file with zkdd's reader into a tree.
fn load(path: &Path) -> DataTree {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let c = match zkdd::files::datadir::classify(&name) {
        zkdd::files::datadir::FileKind::Snapshot(_, c) => c,
        other => panic!("{name}: {other:?}"),
    };
    let sb = zkdd::files::source::open_snapshot(path, c, true).unwrap();
    assert!(sb.container_error.is_none());
    let snap = zkdd::format::snapshot::Snapshot::parse(&sb.stream, Default::default()).unwrap();
    let (tree, report) = DataTree::from_snapshot(&snap).unwrap();
    let trailer = report.trailer.unwrap();
    trailer.check_seals().unwrap();
    assert_eq!(
        trailer.seals.len(),
        2,
        "seal #1 and the digest section's seal"
    );
    let d = trailer.digest.unwrap();
    assert_eq!(d.value(), Some(tree.digest()), "{name}: digest section");
    assert_eq!(
        Some(d.zxid),
        zkdd::files::datadir::zookeeper_name_zxid(&name)
    );
    tree
}

#[test]
fn output_snapshots_read_back_as_the_replayed_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = common::fixtures().join("standalone/data");
    let (want, summary) = expected(&common::fixtures().join("standalone/expected/restore.jsonl"));
    let hex = format!("{:x}", summary["last_zxid"].as_i64().unwrap());
    // A directory gets snapshot.<final zxid>; suffixes choose the container.
    for (arg, name) in [
        (tmp.path().to_path_buf(), format!("snapshot.{hex}")),
        (
            tmp.path().join(format!("snapshot.{hex}.gz")),
            format!("snapshot.{hex}.gz"),
        ),
        (
            tmp.path().join(format!("snapshot.{hex}.snappy")),
            format!("snapshot.{hex}.snappy"),
        ),
    ] {
        let o = common::run(&[
            "replay",
            dir.to_str().unwrap(),
            "--output",
            arg.to_str().unwrap(),
        ]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let tree = load(&tmp.path().join(&name));
        assert_same(&name, &restore_lines(&tree), &want);
    }
    // No overwrite without --force; never a temp file left behind.
    let o = common::run(&[
        "replay",
        dir.to_str().unwrap(),
        "-o",
        tmp.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let o = common::run(&[
        "replay",
        dir.to_str().unwrap(),
        "-o",
        tmp.path().to_str().unwrap(),
        "--force",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 3);
}

#[test]
fn output_inside_the_source_data_dir_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    common::copy_dir(&common::fixtures().join("gz/data"), tmp.path());
    let before: Vec<_> = common::files(tmp.path(), "");
    for target in [
        tmp.path().to_path_buf(),
        tmp.path().join("version-2/snapshot.999"),
    ] {
        let o = common::run(&[
            "replay",
            tmp.path().to_str().unwrap(),
            "--output",
            target.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(2), "{}", target.display());
        assert!(String::from_utf8_lossy(&o.stderr).contains("inside the data dir"));
    }
    assert_eq!(common::files(tmp.path(), ""), before);
}

#[test]
fn json_output_follows_the_dump_contract_and_prefix_extracts_a_subtree() {
    let dir = common::fixtures().join("snappy/data");
    let (want, _) = expected(&common::fixtures().join("snappy/expected/restore.jsonl"));
    let o = common::run(&["replay", "--json", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let lines = common::json_lines(&common::stdout(&o));
    let nodes: Vec<_> = lines.iter().filter(|v| v["type"] == "node").collect();
    let sessions: Vec<_> = lines.iter().filter(|v| v["type"] == "session").collect();
    let want: Vec<serde_json::Value> = want
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let want_nodes: Vec<_> = want.iter().filter(|v| v["type"] == "node").collect();
    assert_eq!(nodes.len(), want_nodes.len());
    for (g, w) in nodes.iter().zip(&want_nodes) {
        assert_eq!(g["path"], w["path"]);
        let s = &g["stat"];
        let ws = &w["stat"];
        assert_eq!(s["mzxid"], format!("0x{:x}", ws["mzxid"].as_i64().unwrap()));
        assert_eq!(s["pzxid"], format!("0x{:x}", ws["pzxid"].as_i64().unwrap()));
        assert_eq!(s["cversion"], ws["cversion"]);
        assert_eq!(s["mtime_ms"], ws["mtime"]);
        assert_eq!(
            g["acl"].as_array().unwrap().len(),
            w["acl"].as_array().unwrap().len()
        );
        assert_eq!(g["data"].is_null(), w["data"].is_null(), "{}", g["path"]);
    }
    assert_eq!(
        sessions.len(),
        want.iter().filter(|v| v["type"] == "session").count()
    );
    let summary = lines.last().unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["digests"]["failed"], 0);
    assert!(summary["digests"]["passed"].as_u64().unwrap() > 0);
    // num_children agrees with the lines themselves.
    let root_kids = nodes
        .iter()
        .filter(|v| {
            let p = v["path"].as_str().unwrap();
            p != "/" && p.rfind('/') == Some(0)
        })
        .count() as u64;
    assert_eq!(nodes[0]["stat"]["num_children"], root_kids);

    let o = common::run(&[
        "replay",
        "--json",
        "--prefix",
        "/app",
        dir.to_str().unwrap(),
    ]);
    let lines = common::json_lines(&common::stdout(&o));
    let paths: Vec<&str> = lines
        .iter()
        .filter(|v| v["type"] == "node")
        .map(|v| v["path"].as_str().unwrap())
        .collect();
    assert!(!paths.is_empty());
    assert!(paths.iter().all(|p| *p == "/app" || p.starts_with("/app/")));
    let want_app = want_nodes
        .iter()
        .filter(|v| {
            let p = v["path"].as_str().unwrap();
            p == "/app" || p.starts_with("/app/")
        })
        .count();
    assert_eq!(paths.len(), want_app);
}

#[test]
fn torn_tail_is_tolerated_like_zookeeper_but_strict_stops() {
    let dir = common::fixtures().join("crash/data");
    let o = common::run(&["replay", "--json", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let summary = common::json_lines(&common::stdout(&o)).pop().unwrap();
    let last_log = summary["logs"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last_log["end"], "partial_record");
    let o = common::run(&["replay", "--strict", "--json", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let lines = common::json_lines(&common::stdout(&o));
    assert!(
        lines.iter().all(|v| v["type"] == "summary"),
        "nothing but the summary"
    );
    assert_eq!(lines[0]["stopped"], "problem");
}

#[test]
fn drop_flags_remove_ephemerals_and_sessions() {
    let dir = common::fixtures().join("standalone/data");
    let dd = DataDir::open(&dir, None).unwrap();
    let mut r = replay::replay(&dd, &Options::default(), &mut |_, _| {}).unwrap();
    let eph = r
        .tree
        .walk()
        .iter()
        .filter(|(_, n)| {
            matches!(
                zkdd::format::snapshot::NodeKind::of(n.stat().ephemeral_owner),
                zkdd::format::snapshot::NodeKind::Ephemeral(_)
            )
        })
        .count();
    assert!(eph > 0);
    let before = r.tree.walk().len();
    assert_eq!(r.tree.drop_ephemerals(r.final_zxid()), eph);
    assert_eq!(r.tree.walk().len(), before - eph);
    assert_eq!(r.tree.digest(), r.tree.recompute_digest());
    assert!(r.tree.drop_sessions() > 0);
    assert!(r.tree.sessions().is_empty());
}

/// Reads a whole tree through a client (kazoo), as the super user.
const READ_TREE_PY: &str = r#"
import base64, json, sys
from kazoo.client import KazooClient
zk = KazooClient(hosts=sys.argv[1], auth_data=[("digest", "super:zkdd")], timeout=15)
zk.start(timeout=20)
out = []
todo = ["/"]
while todo:
    p = todo.pop()
    data, st = zk.get(p)
    acl, _ = zk.get_acls(p)
    kids = zk.get_children(p)
    out.append({"path": p,
        "data": None if data is None else base64.b64encode(data).decode(),
        "acl": [[a.perms, a.id.scheme, a.id.id] for a in acl],
        "stat": [st.czxid, st.mzxid, st.pzxid, st.ctime, st.mtime, st.version,
                 st.cversion, st.aversion, st.ephemeralOwner, st.dataLength, st.numChildren]})
    todo.extend(("/" if p == "/" else p + "/") + k for k in kids)
zk.stop()
print(json.dumps(out))
"#;

/// The client's view of our tree: Stat as ZooKeeper derives it from the
/// persisted one (cversion*2 - numChildren; owner 0 for containers and TTLs).
fn client_view(tree: &DataTree) -> Vec<serde_json::Value> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut v = Vec::new();
    for (key, n) in tree.sorted_nodes() {
        let s = n.stat();
        let nc = n.num_children() as i64;
        let owner = match zkdd::format::snapshot::NodeKind::of(s.ephemeral_owner) {
            zkdd::format::snapshot::NodeKind::Ephemeral(id) => id.0,
            _ => 0,
        };
        let acl: Vec<serde_json::Value> = tree
            .acl(n)
            .unwrap()
            .iter()
            .map(|a| {
                serde_json::json!([
                    a.perms,
                    String::from_utf8_lossy(&a.scheme),
                    String::from_utf8_lossy(&a.id)
                ])
            })
            .collect();
        v.push(serde_json::json!({
            "path": String::from_utf8_lossy(zkdd::tree::display_path(key)),
            // The client cannot tell null from empty data.
            "data": b64.encode(n.data().unwrap_or(&[])),
            "acl": acl,
            "stat": [s.czxid.0, s.mzxid.0, s.pzxid.0, s.ctime, s.mtime, s.version,
                i64::from(s.cversion) * 2 - nc, s.aversion, owner, n.data_length(), nc],
        }));
    }
    v
}

#[test]
fn zookeeper_loads_the_written_snapshot_and_serves_the_replayed_tree() {
    let Some(_) = common::zk_or_skip("replay interop") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let v2 = tmp.path().join("data/version-2");
    std::fs::create_dir_all(&v2).unwrap();
    let src = common::fixtures().join("standalone/data");
    let o = common::run(&[
        "replay",
        src.to_str().unwrap(),
        "--output",
        tmp.path().join("data").to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(std::fs::read_dir(&v2).unwrap().count(), 1);
    let r = run(&src, Start::Auto, Target::End);
    let want = client_view(&r.tree);

    // super:zkdd, so nodes with restrictive ACLs can be read too.
    let super_digest = "super:kYa7oBHb3hIKfxC8L9ARXR/DJVg=";
    let cp =
        "/usr/share/java/zookeeper.jar:/usr/share/java/log4j-1.2.jar:/usr/share/java/slf4j-nop.jar";
    let server = common::ZkServer::start(
        cp,
        tmp.path(),
        &tmp.path().join("data"),
        "tickTime=500\nmaxSessionTimeout=600000\n",
        &[&format!(
            "-Dzookeeper.DigestAuthenticationProvider.superDigest={super_digest}"
        )],
    );
    let port = server.port;
    let script = tmp.path().join("read_tree.py");
    std::fs::write(&script, READ_TREE_PY).unwrap();
    let o = std::process::Command::new("/usr/bin/python3")
        .arg(&script)
        .arg(format!("127.0.0.1:{port}"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut got: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    got.sort_by(|a, b| {
        a["path"]
            .as_str()
            .unwrap()
            .as_bytes()
            .cmp(b["path"].as_str().unwrap().as_bytes())
    });
    for g in &mut got {
        if g["data"].is_null() {
            g["data"] = serde_json::json!("");
        }
    }
    // The server revives the snapshot's sessions; their ephemerals live
    // until the (10 s) timeout, longer than this read takes.
    assert_eq!(got.len(), want.len(), "node count");
    assert!(
        got.len() > 100,
        "the standalone tree has {} nodes",
        got.len()
    );
    let mut ephemerals = 0;
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w);
        ephemerals += usize::from(g["stat"][8] != 0);
    }
    assert!(
        ephemerals > 0,
        "an ephemeral of a revived session was served"
    );
}

mod model {
    //! Random op sequences applied to a plain BTreeMap model and written as a
    //! log by the writer replay to the same tree.
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use zkdd::format::jute::{Acl, AclList};
    use zkdd::format::txn::{CreateTxn, OpCode, SubTxn, Txn, TxnBody, TxnDigest, TxnHeader};
    use zkdd::format::write::TxnLogWriter;
    use zkdd::tree::DataTree;
    use zkdd::tree::replay::{self, Options, Start};
    use zkdd::zxid::{SessionId, Zxid};

    #[derive(Clone, Debug, PartialEq)]
    struct M {
        data: Option<Vec<u8>>,
        perms: i32,
        czxid: i64,
        mzxid: i64,
        pzxid: i64,
        mtime: i64,
        version: i32,
        cversion: i32,
        aversion: i32,
    }

    const WORLD: &[u8] = b"world";
    const ANYONE: &[u8] = b"anyone";

    fn acl(perms: i32) -> Option<AclList<'static>> {
        Some(AclList::One(Acl {
            perms,
            scheme: WORLD,
            id: ANYONE,
        }))
    }

    /// One user op as the generator describes it.
    type Raw = (u8, u32, Vec<u8>, bool);
    /// A planned op: type, path, data, version (or parentCVersion), perms.
    type Planned = (OpCode, Vec<u8>, Option<Vec<u8>>, i32, i32);

    fn parent_of(p: &str) -> String {
        let i = p.rfind('/').unwrap();
        if i == 0 { "/".into() } else { p[..i].into() }
    }

    /// Turns raw choices into valid sub-ops against `m`, applying them to `m`.
    fn plan(
        m: &mut BTreeMap<String, M>,
        raw: &Raw,
        zxid: i64,
        time: i64,
        serial: &mut u32,
    ) -> Option<Planned> {
        let (kind, sel, data, null) = raw;
        let keys: Vec<String> = m.keys().cloned().collect();
        let pick = keys[*sel as usize % keys.len()].clone();
        let data = if *null { None } else { Some(data.clone()) };
        match kind % 4 {
            0 => {
                if pick.starts_with("/zookeeper") {
                    return None;
                }
                *serial += 1;
                let path = if pick == "/" {
                    format!("/n{serial}")
                } else {
                    format!("{pick}/n{serial}")
                };
                let parent = m.get_mut(&pick).unwrap();
                parent.cversion += 1;
                parent.pzxid = zxid;
                let pcv = parent.cversion;
                m.insert(
                    path.clone(),
                    M {
                        data: data.clone(),
                        perms: 31,
                        czxid: zxid,
                        mzxid: zxid,
                        pzxid: zxid,
                        mtime: time,
                        version: 0,
                        cversion: 0,
                        aversion: 0,
                    },
                );
                Some((OpCode::CREATE, path.into_bytes(), data, pcv, 0))
            }
            1 => {
                let leaf = !m.keys().any(|k| k.starts_with(&format!("{pick}/")));
                if pick == "/" || pick.starts_with("/zookeeper") || !leaf {
                    return None;
                }
                m.remove(&pick);
                let parent = m.get_mut(&parent_of(&pick)).unwrap();
                parent.pzxid = parent.pzxid.max(zxid);
                Some((OpCode::DELETE, pick.into_bytes(), None, 0, 0))
            }
            2 => {
                let n = m.get_mut(&pick).unwrap();
                n.data = data.clone();
                n.version += 1;
                n.mzxid = zxid;
                n.mtime = time;
                Some((OpCode::SET_DATA, pick.into_bytes(), data, n.version, 0))
            }
            _ => {
                let n = m.get_mut(&pick).unwrap();
                n.aversion += 1;
                n.perms = 1 + (*sel as i32 % 31);
                Some((
                    OpCode::SET_ACL,
                    pick.into_bytes(),
                    None,
                    n.aversion,
                    n.perms,
                ))
            }
        }
    }

    fn body(op: OpCode, path: &[u8], data: Option<&[u8]>, v: i32, perms: i32) -> TxnBody<'static> {
        // Leak-free 'static: the test owns these bytes for its whole run.
        let path: &'static [u8] = Box::leak(path.to_vec().into_boxed_slice());
        let data: Option<&'static [u8]> = data.map(|d| &*Box::leak(d.to_vec().into_boxed_slice()));
        match op {
            OpCode::CREATE => TxnBody::Create(CreateTxn {
                path,
                data,
                acl: acl(31),
                ephemeral: Some(false),
                parent_cversion: v,
                ttl_ms: None,
                v0: false,
            }),
            OpCode::DELETE => TxnBody::Delete { path },
            OpCode::SET_DATA => TxnBody::SetData {
                path,
                data,
                version: v,
            },
            _ => TxnBody::SetAcl {
                path,
                acl: acl(perms),
                version: v,
            },
        }
    }

    fn initial() -> BTreeMap<String, M> {
        let t = DataTree::new();
        t.sorted_nodes()
            .into_iter()
            .map(|(k, n)| {
                let s = n.stat();
                (
                    String::from_utf8(zkdd::tree::display_path(k).to_vec()).unwrap(),
                    M {
                        data: n.data().map(<[u8]>::to_vec),
                        perms: t.acl(n).unwrap()[0].perms,
                        czxid: s.czxid.0,
                        mzxid: s.mzxid.0,
                        pzxid: s.pzxid.0,
                        mtime: s.mtime,
                        version: s.version,
                        cversion: s.cversion,
                        aversion: s.aversion,
                    },
                )
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
        #[test]
        fn replayed_log_equals_the_model(
            steps in proptest::collection::vec(
                (proptest::collection::vec((any::<u8>(), any::<u32>(),
                    proptest::collection::vec(any::<u8>(), 0..6), any::<bool>()), 1..4),
                 any::<bool>(), any::<bool>()),
                1..40)
        ) {
            let mut m = initial();
            let mut w = TxnLogWriter::new();
            let mut shadow = DataTree::new();
            let mut serial = 0u32;
            let mut zxid = 0i64;
            for (ops, as_multi, fail) in &steps {
                zxid += 1;
                let time = 1_700_000_000_000 + zxid;
                let header = |op| TxnHeader { session: SessionId(0x42), cxid: zxid as i32, zxid: Zxid(zxid), time, op };
                let before = m.clone();
                let mut planned = Vec::new();
                for raw in ops {
                    if let Some(p) = plan(&mut m, raw, zxid, time, &mut serial) {
                        planned.push(p);
                    }
                    if !as_multi { break; }
                }
                if planned.is_empty() {
                    zxid -= 1;
                    continue;
                }
                let txn = if *as_multi {
                    let mut subs: Vec<SubTxn<'static>> = planned
                        .iter()
                        .map(|(op, p, d, v, perms)| SubTxn { op: *op, body: body(*op, p, d.as_deref(), *v, *perms) })
                        .filter(|s| s.op != OpCode::SET_ACL)
                        .collect();
                    if subs.is_empty() || planned.iter().any(|p| p.0 == OpCode::SET_ACL) {
                        // setACL is not a valid multi op: log them one by one instead.
                        m = before;
                        zxid -= 1;
                        continue;
                    }
                    if *fail {
                        // A failed multi: a failing op, the rest RuntimeInconsistency.
                        m = before;
                        let n = subs.len();
                        subs.push(SubTxn { op: OpCode::ERROR, body: TxnBody::Error { err: -101, rewritten: None } });
                        for s in subs.iter_mut().take(n) {
                            *s = SubTxn { op: OpCode::ERROR, body: TxnBody::Error { err: 0, rewritten: None } };
                        }
                        subs[0] = SubTxn { op: OpCode::CREATE, body: body(OpCode::CREATE, b"/failed", None, 99, 0) };
                    }
                    Txn { header: header(OpCode::MULTI), body: TxnBody::Multi { ops: subs }, digest: None, ignored_bytes: 0 }
                } else {
                    let (op, p, d, v, perms) = &planned[0];
                    Txn { header: header(*op), body: body(*op, p, d.as_deref(), *v, *perms), digest: None, ignored_bytes: 0 }
                };
                // The leader's digest after the txn, from an independent
                // recomputation over the shadow tree.
                shadow.apply(&txn);
                let digest = Some(TxnDigest { version: 2, tree: shadow.recompute_digest() });
                w.append(&Txn { digest, ..txn });
            }
            let tmp = tempfile::tempdir().unwrap();
            let v2 = tmp.path().join("version-2");
            std::fs::create_dir(&v2).unwrap();
            let snap0 = DataTree::new().write_snapshot(Vec::new(), Zxid(0)).unwrap();
            std::fs::write(v2.join("snapshot.0"), snap0).unwrap();
            std::fs::write(v2.join("log.1"), w.finish(Some(4096))).unwrap();
            let dd = zkdd::files::datadir::DataDir::open(tmp.path(), None).unwrap();
            let r = replay::replay(&dd, &Options { start: Start::Auto, ..Options::default() }, &mut |_, _| {}).unwrap();
            prop_assert_eq!(r.digests.failed, 0);
            prop_assert_eq!(r.final_zxid(), Zxid(zxid));
            let got: BTreeMap<String, M> = r.tree.sorted_nodes().into_iter().map(|(k, n)| {
                let s = n.stat();
                (String::from_utf8(zkdd::tree::display_path(k).to_vec()).unwrap(), M {
                    data: n.data().map(<[u8]>::to_vec),
                    perms: r.tree.acl(n).unwrap()[0].perms,
                    czxid: s.czxid.0, mzxid: s.mzxid.0, pzxid: s.pzxid.0, mtime: s.mtime,
                    version: s.version, cversion: s.cversion, aversion: s.aversion,
                })
            }).collect();
            prop_assert_eq!(got, m);
        }
    }
}

/// 3.4 data from the command line: the initial tree is 3.4's (no
/// /zookeeper/config) unless --zk-version says otherwise, a point below
/// the first usable snapshot starts from it, and --zk-version checks its value.
#[test]
fn zk_3_4_from_empty_and_below_the_oldest_snapshot_match_its_restore() {
    let dir = common::root().join("testdata/zk-3.4/standalone/data");
    let d = dir.to_str().unwrap();
    let exp = common::expected_dir(&dir).unwrap();
    let paths = |args: &[&str]| -> (i32, Vec<String>, serde_json::Value) {
        let o = common::run(args);
        let lines = common::json_lines(&common::stdout(&o));
        let nodes = lines
            .iter()
            .filter(|l| l["type"] == "node")
            .map(|l| l["path"].as_str().unwrap().to_string())
            .collect();
        let summary = lines.iter().find(|l| l["type"] == "summary").cloned();
        (o.status.code().unwrap(), nodes, summary.unwrap_or_default())
    };
    let want_paths = |file: &str| -> Vec<String> {
        let (lines, _) = expected(&exp.join(file));
        let mut v: Vec<String> = lines
            .iter()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|l| l["type"] == "node")
            .map(|l| l["path"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let (code, got, _) = paths(&["replay", "--json", "--from-empty", d]);
    assert_eq!(code, 0);
    assert_eq!(sorted(got), want_paths("restore.jsonl"));
    let (code, got, _) = paths(&["replay", "--json", "--from-empty", "--zk-version", "3.5", d]);
    assert_eq!(code, 0);
    assert!(got.iter().any(|p| p == "/zookeeper/config"));
    for z in ["14", "1b", "28"] {
        let (code, got, s) = paths(&["replay", "--json", "--to-zxid", &format!("0x{z}"), d]);
        assert_eq!(code, 0, "0x{z}: {s}");
        assert_eq!(s["final_zxid"], format!("0x{z}"));
        assert_eq!(
            sorted(got),
            want_paths(&format!("restore-at-{z}.jsonl")),
            "0x{z}"
        );
    }
    let o = common::run(&["replay", "--zk-version", "3.10", d]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("3.4, 3.5, 3.6, 3.7, 3.8, 3.9"));
}
