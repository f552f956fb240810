//! `--redact` (#14 item 5): every subcommand that prints znode data or ACLs
//! (dump, history, extract, diff, replay) hides them on every real fixture.
//! Each output is searched for every data value of the fixture (as text,
//! JSON-escaped, base64 and hex) and for the digest credentials; JSON lines
//! must equal the plain run's lines with each value replaced by its length
//! and SHA-256 and each digest hash masked, so equal values keep equal
//! hashes and nothing else changes. Redacted zkCli scripts are fed to a
//! real zkCli, which must stop before any change.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::common::{self, json_lines, run, stdout};

/// Every data dir of every ZooKeeper version's fixtures (3.4 … 3.9).
fn all_data_dirs() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(common::root().join("testdata")).max_depth(5) {
        let entry = entry.unwrap();
        let p = entry.path();
        let name = p.to_string_lossy();
        if entry.file_type().is_dir()
            && p.join("version-2").is_dir()
            && name.contains("/zk-3.")
            && !name.contains("corrupt")
        {
            out.push(p.to_path_buf());
        }
    }
    out.sort();
    assert!(out.len() >= 10, "fixtures missing: {out:?}");
    out
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn snapshots(dir: &Path) -> Vec<String> {
    common::files(dir, "snapshot.")
        .iter()
        .map(|p| p.display().to_string())
        .collect()
}

/// A data value of a JSON line (`{"text"}` / `{"base64"}`), decoded.
fn decode(v: &Value) -> Option<Vec<u8>> {
    if let Some(t) = v.get("text").and_then(Value::as_str) {
        return Some(t.as_bytes().to_vec());
    }
    let b = v.get("base64").and_then(Value::as_str)?;
    Some(base64::engine::general_purpose::STANDARD.decode(b).unwrap())
}

/// What a fixture must never show redacted: its data values, digest
/// credentials; and its paths (never hidden: a value that is part of a path
/// may show there).
#[derive(Default)]
struct Secrets {
    values: BTreeSet<Vec<u8>>,
    credentials: BTreeSet<String>,
    paths: BTreeSet<String>,
}

impl Secrets {
    fn collect(&mut self, v: &Value, key: &str) {
        match v {
            Value::Object(m) => {
                if matches!(key, "data" | "raw")
                    && let Some(d) = decode(v)
                {
                    self.values.insert(d);
                    return;
                }
                if m.get("scheme") == Some(&json!("digest")) {
                    let id = m["id"].as_str().unwrap();
                    let hash = id.rsplit(':').next().unwrap();
                    self.credentials.insert(hash.to_string());
                }
                for (k, x) in m {
                    if k == "path"
                        && let Some(p) = x.as_str()
                    {
                        self.paths.insert(p.to_string());
                    }
                    self.collect(x, k);
                }
            }
            Value::Array(a) => {
                for x in a {
                    if key == "paths"
                        && let Some(p) = x.as_str()
                    {
                        self.paths.insert(p.to_string());
                    }
                    self.collect(x, key);
                }
            }
            _ => {}
        }
    }

    /// Every data value of the fixture: all its logs and snapshots, plain.
    fn of(dir: &Path) -> Secrets {
        let mut me = Secrets::default();
        let mut args = vec!["dump", "--json", s(dir)];
        let snaps = snapshots(dir);
        args.extend(snaps.iter().map(String::as_str));
        let o = run(&args);
        for v in json_lines(&stdout(&o)) {
            me.collect(&v, "");
        }
        assert!(!me.values.is_empty(), "{}: no data values", dir.display());
        me
    }

    /// The forms a value can take in any output: text, JSON-escaped text,
    /// base64 and hex; values shorter than 4 bytes and those inside a path
    /// are left out (they show wherever paths do).
    fn needles(&self) -> Vec<(String, &Vec<u8>)> {
        let mut out = Vec::new();
        for v in self.values.iter().filter(|v| v.len() >= 4) {
            let text = String::from_utf8_lossy(v);
            if self.paths.iter().any(|p| p.contains(&*text)) {
                continue;
            }
            let hex: String = v.iter().map(|b| format!("{b:02x}")).collect();
            let mut forms = vec![base64::engine::general_purpose::STANDARD.encode(v), hex];
            if let Ok(t) = std::str::from_utf8(v) {
                forms.push(t.to_string());
                let escaped = serde_json::to_string(t).unwrap();
                forms.push(escaped[1..escaped.len() - 1].to_string());
            }
            out.extend(forms.into_iter().map(|f| (f, v)));
        }
        out
    }

    /// Asserts `out` shows no data value and no credential.
    fn assert_hidden(&self, what: &str, out: &str) {
        assert!(!out.trim().is_empty(), "{what}: no output");
        for (needle, v) in self.needles() {
            assert!(
                !out.contains(&needle),
                "{what}: shows the value {:?} as {needle:?}",
                String::from_utf8_lossy(v)
            );
        }
        for c in &self.credentials {
            assert!(
                !out.contains(c.as_str()),
                "{what}: shows the credential {c}"
            );
        }
    }
}

fn sha256_hex(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A plain JSON line as `--redact` must write it: every data value as its
/// length and SHA-256, every digest id's hash masked, nothing else changed.
fn redacted(v: &Value, key: &str) -> Value {
    match v {
        Value::Object(m) => {
            if matches!(key, "data" | "raw")
                && let Some(d) = decode(v)
            {
                return json!({"redacted": {"length": d.len(), "sha256": sha256_hex(&d)}});
            }
            let mut out = serde_json::Map::new();
            for (k, x) in m {
                out.insert(k.clone(), redacted(x, k));
            }
            if out.get("scheme") == Some(&json!("digest")) {
                let id = out["id"].as_str().unwrap();
                let user = id.rfind(':').map_or("", |i| &id[..=i]);
                out.insert("id".into(), json!(format!("{user}<redacted>")));
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| redacted(x, key)).collect()),
        _ => v.clone(),
    }
}

/// Runs `args` plain and with `--redact` (both --json), and checks the
/// redacted lines against the plain ones and the fixture's secrets; returns
/// the number of data values replaced.
fn check_json(what: &str, args: &[&str], secrets: &Secrets) -> usize {
    let plain = run(&[args, &["--json"]].concat());
    let red = run(&[args, &["--json", "--redact"]].concat());
    assert_eq!(
        red.status.code(),
        plain.status.code(),
        "{what}: exit status; stderr: {}",
        String::from_utf8_lossy(&red.stderr)
    );
    let text = stdout(&red);
    secrets.assert_hidden(&format!("{what} --json --redact"), &text);
    let (p, r) = (json_lines(&stdout(&plain)), json_lines(&text));
    assert_eq!(p.len(), r.len(), "{what}: line count");
    for (p, r) in p.iter().zip(&r) {
        assert_eq!(
            &redacted(p, ""),
            r,
            "{what}: a line not redacted as specified"
        );
    }
    text.matches("\"redacted\":{\"length\":").count()
}

/// Runs `args` with `--redact` (text) and checks it hides everything.
fn check_text(what: &str, args: &[&str], secrets: &Secrets) -> String {
    let o = run(&[args, &["--redact"]].concat());
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{what}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = stdout(&o);
    secrets.assert_hidden(&format!("{what} --redact"), &text);
    secrets.assert_hidden(
        &format!("{what} --redact (stderr)"),
        &format!("{text}{}", String::from_utf8_lossy(&o.stderr)),
    );
    text
}

#[test]
fn dump_redacts_data_and_digest_ids_of_every_logs_and_snapshot() {
    let mut replaced = 0;
    for dir in all_data_dirs() {
        let secrets = Secrets::of(&dir);
        let d = dir.display().to_string();
        let snaps = snapshots(&dir);
        let mut snap_args = vec!["dump"];
        snap_args.extend(snaps.iter().map(String::as_str));
        replaced += check_json(&format!("dump {d}"), &["dump", &d], &secrets);
        replaced += check_json(&format!("dump snapshots of {d}"), &snap_args, &secrets);
        for data in ["text", "hex", "base64"] {
            let text = check_text(
                &format!("dump {d}"),
                &["dump", &d, "--data", data],
                &secrets,
            );
            assert!(text.contains("<redacted "), "dump {d}: no redacted value");
            check_text(
                &format!("dump snapshots of {d}"),
                &[&snap_args[..], &["--data", data]].concat(),
                &secrets,
            );
        }
    }
    assert!(replaced > 1000, "only {replaced} values redacted");
}

/// The fixture holds a node with a digest ACL: its user name stays, its
/// hash goes, in text and JSON, in txn and node lines.
#[test]
fn digest_acl_ids_keep_the_user_and_lose_the_hash() {
    let dir = common::fixtures().join("standalone/data");
    let secrets = Secrets::of(&dir);
    assert!(
        !secrets.credentials.is_empty(),
        "the fixture has a digest ACL"
    );
    let mut args = vec!["dump".to_string(), dir.display().to_string()];
    args.extend(snapshots(&dir));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let text = check_text("dump", &args, &secrets);
    assert!(text.contains("digest:alice:<redacted>:crw"), "{text}");
    let o = run(&[&args[..], &["--json", "--redact"]].concat());
    assert!(
        stdout(&o).contains(r#"{"scheme":"digest","id":"alice:<redacted>","perms":"crw"}"#),
        "dump --json --redact"
    );
}

#[test]
fn history_redacts_every_change() {
    for dir in all_data_dirs() {
        let secrets = Secrets::of(&dir);
        let d = dir.display().to_string();
        let args = ["history", "--prefix", "/", &d];
        let n = check_json(&format!("history {d}"), &args, &secrets);
        assert!(n > 0, "history {d}: no data redacted");
        let text = check_text(&format!("history {d}"), &args, &secrets);
        assert!(text.contains("<redacted "), "history {d}");
    }
}

#[test]
fn replay_and_extract_trees_are_redacted() {
    let tmp = tempfile::tempdir().unwrap();
    for (i, dir) in all_data_dirs().iter().enumerate() {
        let secrets = Secrets::of(dir);
        let d = dir.display().to_string();
        assert!(check_json(&format!("replay {d}"), &["replay", &d], &secrets) > 0);
        assert!(check_json(&format!("extract {d}"), &["extract", &d], &secrets) > 0);
        // --output FILE.jsonl: the same redacted tree.
        let file = tmp.path().join(format!("tree-{i}.jsonl"));
        let o = run(&["replay", &d, "--redact", "--output", s(&file)]);
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "replay --output {d}"
        );
        let written = std::fs::read_to_string(&file).unwrap();
        secrets.assert_hidden(&format!("replay --redact --output {d}"), &written);
        common::check_json_lines("replay", written.as_bytes());
        assert!(written.contains("\"redacted\":{\"length\":"));
        // The script: the guard first, no value anywhere.
        let script = check_text(&format!("extract {d}"), &["extract", &d], &secrets);
        let commands: Vec<&str> = script.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(
            commands[..2],
            ["zkdd-redacted-script-cannot-be-applied", "quit"],
            "extract --redact {d}: {script}"
        );
    }
}

/// A snapshot cannot hold redacted data: replay refuses to write one.
#[test]
fn replay_refuses_a_redacted_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = common::fixtures().join("standalone/data");
    let o = run(&[
        "replay",
        s(&dir),
        "--redact",
        "--output",
        s(&tmp.path().join("snapshot.out")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cannot hold redacted data"), "{err}");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn diff_values_and_scripts_are_redacted() {
    for dir in all_data_dirs() {
        let secrets = Secrets::of(&dir);
        let d = dir.display().to_string();
        let snaps = snapshots(&dir);
        let Some(first) = snaps.first() else { continue };
        let args = ["diff", first.as_str(), &d];
        check_json(&format!("diff {d}"), &args, &secrets);
        let text = check_text(
            &format!("diff {d}"),
            &["diff", "--values", first.as_str(), &d],
            &secrets,
        );
        assert!(text.contains("<redacted "), "diff --values {d}: {text}");
        let script = check_text(
            &format!("diff --script {d}"),
            &["diff", "--script", first.as_str(), &d],
            &secrets,
        );
        assert!(
            script.starts_with("# written with --redact") && script.contains("\nquit\n"),
            "diff --script --redact {d}: {script}"
        );
    }
}

/// zkdd reads its own JSON trees back (diff): never a redacted one.
#[test]
fn diff_refuses_a_redacted_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = common::fixtures().join("standalone/data");
    let tree = tmp.path().join("tree.jsonl");
    let o = run(&["replay", s(&dir), "--redact", "--output", s(&tree)]);
    assert!(tree.is_file(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(&["diff", s(&tree), s(&dir)]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("a redacted tree"), "{err}");
    // A tree whose only redacted part is a digest id (null data).
    let masked = r#"{"type":"node","path":"/x","data":null,"acl":[{"scheme":"digest","id":"alice:<redacted>","perms":"cdrwa"}],"stat":{"czxid":"0x1","mzxid":"0x1","pzxid":"0x1","ctime":null,"mtime":null,"version":0,"cversion":0,"aversion":0,"ephemeral_owner":"0x0","data_length":0,"num_children":0,"ctime_ms":0,"mtime_ms":0}}"#;
    std::fs::write(&tree, format!("{masked}\n")).unwrap();
    let o = run(&["diff", s(&tree), s(&tree)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("a redacted tree"));
}

/// Feeds a script to the real zkCli; returns its exit status and output.
fn zkcli(port: u16, script: &str) -> (Option<i32>, String) {
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
        .write_all(script.as_bytes())
        .unwrap();
    let o = cli.wait_with_output().unwrap();
    (
        o.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

/// A redacted script fed to a real zkCli stops at its guard: exit status
/// 127, nothing created; the same script without --redact creates /app.
#[test]
fn a_real_zkcli_refuses_redacted_scripts() {
    let Some(cp) = common::zk_or_skip("a_real_zkcli_refuses_redacted_scripts") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let mut server = common::ZkServer::start(&cp, tmp.path(), &data, "", &[]);
    let fixture = common::fixtures().join("standalone/data");
    let f = s(&fixture);
    let script = |args: &[&str]| stdout(&run(args));
    let exists = |path: &str| {
        let (_, said) = zkcli(server.port, &format!("stat {path}\nquit\n"));
        !said.contains("Node does not exist")
    };
    let extract = script(&["extract", f, "--prefix", "/app", "--redact"]);
    let (code, said) = zkcli(server.port, &extract);
    assert_eq!(code, Some(127), "zkCli on extract --redact: {said}");
    assert!(
        said.contains("zkdd-redacted-script-cannot-be-applied"),
        "{said}"
    );
    assert!(!exists("/app"), "extract --redact created /app: {said}");
    let first = snapshots(&fixture).into_iter().next().unwrap();
    let diff = script(&["diff", "--script", &first, f, "--redact"]);
    assert!(diff.contains("create "), "{diff}");
    let (code, said) = zkcli(server.port, &diff);
    assert_eq!(code, Some(127), "zkCli on diff --script --redact: {said}");
    assert!(
        !exists("/app"),
        "diff --script --redact created /app: {said}"
    );
    // The control: without --redact the same script does create /app.
    let plain = script(&["extract", f, "--prefix", "/app"]);
    zkcli(server.port, &format!("{plain}\nquit\n"));
    assert!(exists("/app"), "the plain script should create /app");
    server.stop();
}

/// `diff --logs` shows both versions of the first txn where two members
/// part: redacted too. Member 2's copy differs from member 1 in the time of
/// one setData or create (a txn that carries data).
#[test]
fn diff_logs_redacts_the_diverging_txns() {
    use zkdd::format::txn::TxnBody;
    use zkdd::format::txnlog::{IterOptions, TxnLog};
    use zkdd::format::write::TxnLogWriter;
    let m = common::fixtures().join("ensemble");
    let (m1, m2) = (m.join("member1/data"), m.join("member2/data"));
    let secrets = Secrets::of(&m1);
    let tmp = tempfile::tempdir().unwrap();
    common::copy_dir(&m2, tmp.path());
    let last = common::files(tmp.path(), "log.").pop().unwrap();
    let bytes = std::fs::read(&last).unwrap();
    let log = TxnLog::parse(&bytes).unwrap();
    let mut w = TxnLogWriter::new();
    let mut changed = false;
    for e in log.entries(IterOptions::default()) {
        let mut b = e.bytes.to_vec();
        let data = match &e.txn.body {
            TxnBody::Create(c) => c.data,
            TxnBody::SetData { data, .. } => *data,
            _ => None,
        };
        if !changed && data.is_some_and(|d| d.len() >= 4) {
            b[20] ^= 0x01; // header: session 8, cxid 4, zxid 8, then time
            changed = true;
        }
        w.append_bytes(&b);
    }
    assert!(changed, "no txn with data in {}", last.display());
    std::fs::write(&last, w.finish(None)).unwrap();
    let args = ["diff", "--logs", s(&m1), s(tmp.path())];
    check_json("diff --logs", &args, &secrets);
    let text = check_text("diff --logs", &args, &secrets);
    assert!(text.contains("FIRST DIVERGENCE"), "{text}");
    assert!(text.contains("<redacted "), "{text}");
    let o = run(&[&args[..], &["--json", "--redact"]].concat());
    assert!(stdout(&o).contains(r#""type":"divergence""#));
}
