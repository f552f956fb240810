//! The readers against ZooKeeper's own tools: every entry TxnLogToolkit
//! prints and every node SnapshotFormatter prints must be what zkdd reads.
//! The tools' outputs were recorded by testdata/generate with each fixture's
//! own ZooKeeper (3.4.14, 3.5.9, 3.6.3, 3.8.0, 3.9.3: TxnLogToolkit, or
//! LogFormatter where 3.4 has no toolkit of its own and where 3.5.9's dies);
//! one test re-runs the installed 3.8 tools to prove the recordings are current.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine;
use serde_json::Value;

use crate::common;

/// One entry as TxnLogToolkit prints it.
#[derive(Debug, PartialEq)]
struct ToolkitEntry {
    when: String,
    session: String,
    cxid: String,
    zxid: String,
    op: String,
    payload: String,
}

/// Parses TxnLogToolkit's dump: entries start with
/// `<M/D/YY>, <h:mm:ss> <AM|PM> UTC session 0x.. cxid 0x.. zxid 0x.. <op> <payload>`;
/// payloads may continue on following lines (ACL lists, data with newlines).
fn parse_toolkit(text: &str) -> (Vec<ToolkitEntry>, Option<usize>) {
    let mut entries: Vec<ToolkitEntry> = Vec::new();
    let mut eof_count = None;
    for line in text.lines().skip(1) {
        let t: Vec<&str> = line.splitn(12, ' ').collect();
        let is_entry =
            t.len() >= 11 && t[3] == "UTC" && t[4] == "session" && t[6] == "cxid" && t[8] == "zxid";
        if is_entry {
            entries.push(ToolkitEntry {
                when: format!("{} {} {}", t[0], t[1], t[2]),
                session: t[5].into(),
                cxid: t[7].into(),
                zxid: t[9].into(),
                op: t[10].into(),
                payload: t.get(11).unwrap_or(&"").to_string(),
            });
        } else if let Some(n) = line
            .strip_prefix("EOF reached after ")
            .and_then(|r| r.strip_suffix(" txns."))
        {
            eof_count = n.parse().ok();
        } else if line.starts_with("Exception in thread") || line.starts_with('\t') {
            // The recording also holds stderr: a stack trace on failure.
            continue;
        } else if let Some(last) = entries.last_mut() {
            last.payload.push('\n');
            last.payload.push_str(line);
        }
    }
    (entries, eof_count)
}

/// Java's `DateFormat.SHORT, LONG` in en/UTC: `11/23/26, 9:30:21 AM`.
fn toolkit_time(ms: i64) -> String {
    let t = chrono::DateTime::from_timestamp_millis(ms).unwrap();
    t.format("%-m/%-d/%y, %-I:%M:%S %p").to_string()
}

/// The path TxnLogToolkit shows first in a payload, for ops that have one.
fn toolkit_path(op: &str, payload: &str) -> Option<String> {
    let p = payload.trim_start_matches('\'');
    match op {
        "create" | "create2" | "createContainer" | "createTtl" | "createTTL" | "setData"
        | "setACL" | "delete" | "deleteContainer" => {
            Some(p.split(',').next().unwrap_or("").to_string())
        }
        _ => None,
    }
}

/// Data as jute's `toString` prints it (LogFormatter; 3.4/3.5): `#` and
/// `Integer.toHexString` of each signed byte, unpadded; nothing when empty.
fn jute_hex(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return String::new();
    }
    let hex: String = bytes
        .iter()
        .map(|&b| format!("{:x}", i32::from(b as i8)))
        .collect();
    format!("#{hex}")
}

/// The bytes of a `data` field of zkdd's JSON (null: none).
fn json_bytes(d: &Value) -> Vec<u8> {
    match d {
        Value::Null => Vec::new(),
        d if d["text"].is_string() => d["text"].as_str().unwrap().as_bytes().to_vec(),
        d => base64::engine::general_purpose::STANDARD
            .decode(d["base64"].as_str().unwrap())
            .unwrap(),
    }
}

/// The recorded log dump of `name`: TxnLogToolkit's when it read the whole
/// file, else LogFormatter's (3.4; 3.5.9's toolkit dies on null data). The
/// flag says LogFormatter's jute `toString` format.
fn recorded_log_dump(expected: &Path, name: &str) -> (String, bool) {
    let toolkit = expected.join(format!("txnlogtoolkit/{name}.txt"));
    let formatter = expected.join(format!("logformatter/{name}.txt"));
    let toolkit_ok =
        std::fs::read_to_string(toolkit.with_extension("rc")).is_ok_and(|rc| rc.trim() == "0");
    let (path, is_formatter) = if formatter.exists() && !toolkit_ok {
        (formatter, true)
    } else {
        (toolkit, false)
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (text, is_formatter)
}

fn dump_json(file: &Path) -> Vec<Value> {
    let o = common::run(&["dump", "--json", file.to_str().unwrap()]);
    common::json_lines(&common::stdout(&o))
}

#[test]
fn every_log_entry_matches_txnlogtoolkit() {
    let mut compared = 0;
    let mut versions = std::collections::BTreeSet::new();
    let mut formatter_data = 0;
    for dir in common::all_data_dirs() {
        let expected = common::expected_dir(&dir).unwrap();
        let version = common::zk_version_of(&dir);
        for log in common::files(&dir, "log.") {
            let name = log.file_name().unwrap().to_string_lossy().into_owned();
            let name = format!("zk-{version} {name}");
            let file_name = log.file_name().unwrap().to_string_lossy().into_owned();
            let (text, is_formatter) = recorded_log_dump(&expected, &file_name);
            let (mut tool, eof_count) = parse_toolkit(&text);
            if is_formatter {
                // LogFormatter ends each txn with a blank line.
                for e in &mut tool {
                    e.payload.truncate(e.payload.trim_end_matches('\n').len());
                }
            }
            let lines = dump_json(&log);
            let txns: Vec<&Value> = lines.iter().filter(|l| l["type"] == "txn").collect();
            let file_line = lines
                .iter()
                .find(|l| l["type"] == "file")
                .expect("file line");
            if let Some(n) = eof_count {
                assert_eq!(
                    txns.len(),
                    n,
                    "{name}: txn count vs 'EOF reached after {n} txns.'"
                );
            }
            // On a torn tail the toolkit prints the zeroed entry as a bogus
            // type-0 txn before failing; zkdd stops before it instead.
            let tool: Vec<&ToolkitEntry> = tool.iter().filter(|e| e.op != "unknown").collect();
            assert!(
                tool.len() >= txns.len(),
                "{name}: zkdd read more entries than the toolkit"
            );
            for (t, z) in tool.iter().zip(&txns) {
                let ctx = format!("{name} zxid {}", t.zxid);
                assert_eq!(z["zxid"], t.zxid.as_str(), "{ctx}");
                assert_eq!(z["session"], t.session.as_str(), "{ctx}");
                assert_eq!(z["cxid"], t.cxid.as_str(), "{ctx}");
                // 3.9 spells the TTL create `createTTL`, older ones `createTtl`.
                let op = z["op"].as_str().unwrap();
                assert!(op.eq_ignore_ascii_case(&t.op), "{ctx}: op {op} vs {}", t.op);
                assert_eq!(
                    toolkit_time(z["time_ms"].as_i64().unwrap()),
                    t.when,
                    "{ctx}"
                );
                if let Some(path) = toolkit_path(&t.op, &t.payload) {
                    assert_eq!(z["path"], path.as_str(), "{ctx}: path");
                }
                match t.op.as_str() {
                    "error" => assert_eq!(z["err"].to_string(), t.payload.trim(), "{ctx}"),
                    "createSession" => {
                        assert_eq!(z["timeout_ms"].to_string(), t.payload.trim(), "{ctx}")
                    }
                    // 3.4/3.5: no body (LogFormatter prints `null`).
                    "closeSession" if !t.payload.trim().is_empty() && t.payload != "null" => {
                        // v{'/a,'/b}
                        let inner = t
                            .payload
                            .trim()
                            .trim_start_matches("v{")
                            .trim_end_matches('}');
                        let want: Vec<String> = inner
                            .split(',')
                            .filter(|s| !s.is_empty())
                            .map(|s| s.trim_start_matches('\'').to_string())
                            .collect();
                        let got: Vec<String> = z["paths"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|p| p.as_str().unwrap().to_string())
                            .collect();
                        assert_eq!(got, want, "{ctx}");
                    }
                    "setData" if is_formatter => {
                        // 'path,#hex,version
                        let mut f = t.payload.split(',');
                        let (_, shown, version) = (f.next(), f.next().unwrap(), f.next());
                        assert_eq!(z["version"].to_string(), version.unwrap(), "{ctx}");
                        assert_eq!(jute_hex(&json_bytes(&z["data"])), shown, "{ctx}: data");
                        formatter_data += 1;
                    }
                    "create" | "create2" | "createContainer" | "createTtl" if is_formatter => {
                        // 'path,#hex,v{acl},ephemeral,parentCVersion[,ttl]
                        let shown = t.payload.split(',').nth(1).unwrap();
                        assert_eq!(jute_hex(&json_bytes(&z["data"])), shown, "{ctx}: data");
                        formatter_data += 1;
                    }
                    "setData" => {
                        // path,data,version — data printed as UTF-8 text.
                        let version = t.payload.rsplit(',').next().unwrap().trim();
                        assert_eq!(z["version"].to_string(), version, "{ctx}");
                        if let Some(text) = z["data"]["text"].as_str() {
                            let shown = &t.payload
                                [t.payload.find(',').unwrap() + 1..t.payload.rfind(',').unwrap()];
                            assert_eq!(shown, text, "{ctx}: data");
                        }
                    }
                    _ => {}
                }
                compared += 1;
                versions.insert(version);
            }
            let torn = tool.len() > txns.len();
            if torn {
                // Only a damaged tail may make the two disagree, and zkdd says so.
                assert_eq!(
                    file_line["ok"], false,
                    "{name}: toolkit saw more entries but zkdd reports a clean end"
                );
            }
        }
    }
    assert!(compared > 1500, "only {compared} entries compared");
    assert_eq!(versions.len(), 5, "versions compared: {versions:?}");
    assert!(
        formatter_data > 100,
        "only {formatter_data} LogFormatter data fields compared"
    );
}

/// Nodes by path → field name → value, as SnapshotFormatter prints them.
type FormatterNodes = BTreeMap<String, BTreeMap<String, String>>;
/// Sessions: id, timeout, ephemeral count.
type FormatterSessions = Vec<(String, String, String)>;

/// One node as SnapshotFormatter -d prints it.
fn parse_formatter(text: &str) -> (usize, FormatterNodes, FormatterSessions) {
    let mut lines = text.lines();
    let first = lines.next().unwrap();
    let count: usize = first
        .trim_start_matches("ZNode Details (count=")
        .trim_end_matches("):")
        .parse()
        .unwrap();
    let mut nodes = BTreeMap::new();
    let mut sessions = Vec::new();
    let mut current: Option<(String, BTreeMap<String, String>)> = None;
    let mut in_sessions = false;
    for line in lines {
        if line == "----" {
            if let Some((p, f)) = current.take() {
                nodes.insert(p, f);
            }
            continue;
        }
        if line.starts_with("Session Details") {
            if let Some((p, f)) = current.take() {
                nodes.insert(p, f);
            }
            in_sessions = true;
            continue;
        }
        if in_sessions {
            if line.starts_with("Last zxid") {
                break;
            }
            if line.is_empty() {
                continue;
            }
            let parts: Vec<&str> = line.split(", ").collect();
            sessions.push((parts[0].into(), parts[1].into(), parts[2].into()));
            continue;
        }
        if let Some(kv) = line.strip_prefix("  ") {
            let (k, v) = kv
                .split_once(" = ")
                .unwrap_or((kv.trim_end_matches(" ="), ""));
            current
                .as_mut()
                .unwrap()
                .1
                .insert(k.to_string(), v.to_string());
        } else {
            current = Some((line.to_string(), BTreeMap::new()));
        }
    }
    (count, nodes, sessions)
}

/// SnapshotFormatter's `%#016x`: `0x` then 14 digits, or more when needed.
fn fmt016(hex: &str) -> String {
    let v = u64::from_str_radix(hex.trim_start_matches("0x"), 16).unwrap();
    let s = format!("{v:x}");
    format!("0x{s:0>14}")
}

#[test]
fn every_snapshot_node_matches_snapshotformatter() {
    let mut compared = 0;
    let mut versions = std::collections::BTreeSet::new();
    for dir in common::all_data_dirs() {
        let expected = common::expected_dir(&dir)
            .unwrap()
            .join("snapshotformatter");
        let version = common::zk_version_of(&dir);
        for snap in common::files(&dir, "snapshot.") {
            let file_name = snap.file_name().unwrap().to_string_lossy().into_owned();
            let name = format!("zk-{version} {file_name}");
            let text = std::fs::read_to_string(expected.join(format!("{file_name}.txt"))).unwrap();
            let (count, want, want_sessions) = parse_formatter(&text);
            let lines = dump_json(&snap);
            let nodes: Vec<&Value> = lines.iter().filter(|l| l["type"] == "node").collect();
            // The formatter counts the root's "/" alias as an extra node.
            assert_eq!(nodes.len() + 1, count, "{name}: node count");
            assert_eq!(nodes.len(), want.len(), "{name}: distinct paths");
            for n in &nodes {
                let path = n["path"].as_str().unwrap();
                let w = want
                    .get(path)
                    .unwrap_or_else(|| panic!("{name}: {path} missing in SnapshotFormatter"));
                let s = &n["stat"];
                let ctx = format!("{name} {path}");
                assert_eq!(fmt016(s["czxid"].as_str().unwrap()), w["cZxid"], "{ctx}");
                assert_eq!(fmt016(s["mzxid"].as_str().unwrap()), w["mZxid"], "{ctx}");
                assert_eq!(fmt016(s["pzxid"].as_str().unwrap()), w["pZxid"], "{ctx}");
                assert_eq!(
                    fmt016(s["ephemeral_owner"].as_str().unwrap()),
                    w["ephemeralOwner"],
                    "{ctx}"
                );
                assert_eq!(s["cversion"].to_string(), w["cversion"], "{ctx}");
                assert_eq!(s["version"].to_string(), w["dataVersion"], "{ctx}");
                assert_eq!(s["aversion"].to_string(), w["aclVersion"], "{ctx}");
                let data = json_bytes(&n["data"]);
                match w.get("data") {
                    // -d (3.6+): the data in base64.
                    Some(shown) => assert_eq!(
                        &base64::engine::general_purpose::STANDARD.encode(&data),
                        shown,
                        "{ctx}: data"
                    ),
                    // 3.4/3.5 print only its length, or `no data` for null.
                    None if w.contains_key("no data") => {
                        assert!(n["data"].is_null(), "{ctx}: data {}", n["data"])
                    }
                    None => assert_eq!(data.len().to_string(), w["dataLength"], "{ctx}: data"),
                }
                compared += 1;
                versions.insert(version);
            }
            // Sessions with their ephemeral counts, in any order.
            let mut got: Vec<(String, String)> = lines
                .iter()
                .filter(|l| l["type"] == "session")
                .map(|l| {
                    (
                        l["session"].as_str().unwrap().to_string(),
                        l["timeout_ms"].to_string(),
                    )
                })
                .collect();
            let mut want_s: Vec<(String, String)> = want_sessions
                .iter()
                .map(|(s, t, _)| (s.clone(), t.clone()))
                .collect();
            got.sort();
            want_s.sort();
            assert_eq!(got, want_s, "{name}: sessions");
            let file_line = lines.iter().find(|l| l["type"] == "file").unwrap();
            assert_eq!(file_line["ok"], true, "{name}: {file_line}");
        }
    }
    assert!(compared > 800, "only {compared} nodes compared");
    assert_eq!(versions.len(), 5, "versions compared: {versions:?}");
}

#[test]
fn recorded_tool_outputs_match_the_installed_zookeeper() {
    let Some(cp) = common::zk_or_skip("recorded_tool_outputs_match_the_installed_zookeeper") else {
        return;
    };
    let dir = common::fixtures().join("standalone/data");
    let expected = common::expected_dir(&dir).unwrap();
    let log = common::files(&dir, "log.").into_iter().next().unwrap();
    let o = common::zk_tool(
        &cp,
        "org.apache.zookeeper.server.persistence.TxnLogToolkit",
        &[log.to_str().unwrap()],
    );
    let name = log.file_name().unwrap().to_string_lossy().into_owned();
    let recorded =
        std::fs::read_to_string(expected.join(format!("txnlogtoolkit/{name}.txt"))).unwrap();
    assert_eq!(
        parse_toolkit(&String::from_utf8_lossy(&o.stdout)),
        parse_toolkit(&recorded)
    );
    let snap = common::files(&dir, "snapshot.").into_iter().last().unwrap();
    let o = common::zk_tool(
        &cp,
        "org.apache.zookeeper.server.SnapshotFormatter",
        &["-d", snap.to_str().unwrap()],
    );
    let name = snap.file_name().unwrap().to_string_lossy().into_owned();
    let recorded =
        std::fs::read_to_string(expected.join(format!("snapshotformatter/{name}.txt"))).unwrap();
    assert_eq!(
        parse_formatter(&String::from_utf8_lossy(&o.stdout)).1,
        parse_formatter(&recorded).1
    );
}
