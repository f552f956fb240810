//! zkdd replay and the tree engine, checked against ZooKeeper 3.8.0's own
//! restore of every fixture (`expected/restore*.jsonl`, made by
//! `FileTxnSnapLog.restore`) and against a real server loading our output.

use std::path::{Path, PathBuf};

use base64::Engine;
use zkdd::datadir::DataDir;
use zkdd::replay::{self, Options, Replay, Start, Target};
use zkdd::tree::DataTree;
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
    assert_eq!(
        r.tree.digest(),
        summary["digest"].as_i64().unwrap(),
        "{what}: tree digest"
    );
    assert_eq!(
        r.tree.digest(),
        r.tree.recompute_digest(),
        "{what}: incremental digest"
    );
}

#[test]
fn replay_to_the_end_equals_zookeeper_restore_for_every_fixture() {
    let mut checked = 0;
    for dir in common::data_dirs() {
        let exp = common::expected_dir(&dir).unwrap();
        let (want, summary) = expected(&exp.join("restore.jsonl"));
        let r = run(&dir, Start::Auto, Target::End);
        let what = dir.display().to_string();
        assert_same(&what, &restore_lines(&r.tree), &want);
        check_summary(&what, &r, &summary);
        assert_eq!(r.digests.failed, 0, "{what}: digest mismatches");
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} fixture dirs");
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
    for dir in common::data_dirs() {
        let exp = common::expected_dir(&dir).unwrap();
        for (z, file) in restore_points(&exp) {
            let (want, summary) = expected(&file);
            let what = format!("{} --to-zxid {z}", dir.display());
            // Exactly as the expected file was made: snapshot.0 + logs to Z.
            let snap0 = common::files(&dir, "snapshot.0").remove(0);
            let r = run(&dir, Start::Snapshot(snap0), Target::ToZxid(z));
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
            let used = r.snapshot.as_ref().unwrap().zxid;
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
    assert!(checked >= 20, "only {checked} restore points checked");
    // The snapshot choice must not always fall back to snapshot.0.
    assert!(
        from_later_snapshot >= 5,
        "only {from_later_snapshot} points started from a later snapshot"
    );
}
