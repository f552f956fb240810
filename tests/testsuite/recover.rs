//! zkdd recover, proven by real servers: each scenario damages a copy of a
//! real fixture, shows that a real ZooKeeper 3.8.0 fails to start from it
//! (or starts, silently dropping what the files still hold), runs
//! `zkdd recover`, starts a real ZooKeeper 3.8.0 on the new data dir and
//! reads the whole tree back through a client: it must equal zkdd's replay
//! of the source to the honest target, a zxid each test works out itself
//! from the damage it made.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use zkdd::format::txnlog::{IterOptions, TxnLog};

use crate::common::{self, json_lines, run, stdout};

// ---- fixtures and damage -----------------------------------------------

/// A copy of a fixture data dir (`testdata/zk-3.8/<rel>`) in a fresh temp dir.
fn copy_fixture(rel: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let to = tmp.path().join("data");
    common::copy_dir(&common::fixtures().join(rel), &to);
    (tmp, to)
}

fn v2(dir: &Path) -> PathBuf {
    dir.join("version-2")
}

fn hex(z: i64) -> String {
    format!("0x{:x}", z as u64)
}

/// (offset, framed length, zxid) of every entry of a log.
fn entries(path: &Path) -> Vec<(usize, usize, i64)> {
    let bytes = std::fs::read(path).unwrap();
    let log = TxnLog::parse(&bytes).unwrap();
    log.entries(IterOptions::default())
        .map(|e| {
            (
                e.offset as usize,
                e.framed_len() as usize,
                e.txn.header.zxid.0,
            )
        })
        .collect()
}

/// The file in `dir`'s version-2/ with the highest zxid named `prefix<hex>[.suffix]`.
fn newest(dir: &Path, prefix: &str) -> PathBuf {
    common::files(dir, prefix)
        .into_iter()
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().into_owned();
            let rest = &n[prefix.len()..];
            let hex = rest.split('.').next().unwrap();
            i64::from_str_radix(hex, 16).is_ok()
                && (rest == hex || rest == format!("{hex}.gz") || rest == format!("{hex}.snappy"))
        })
        .max_by_key(|p| {
            let n = p.file_name().unwrap().to_string_lossy().into_owned();
            i64::from_str_radix(n[prefix.len()..].split('.').next().unwrap(), 16).unwrap()
        })
        .unwrap()
}

fn edit(path: &Path, f: impl FnOnce(&mut Vec<u8>)) {
    let mut b = std::fs::read(path).unwrap();
    f(&mut b);
    std::fs::write(path, b).unwrap();
}

// ---- real servers -------------------------------------------------------

/// How a server is run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// `ZooKeeperServerMain`: ignores the epoch files.
    Standalone,
    /// `QuorumPeerMain` as a one-member quorum with this server id: reads
    /// and checks the epoch files (`QuorumPeer.loadDataBase`).
    Quorum(u32),
}

/// The class path for servers whose log we read: log4j as slf4j's binding.
fn server_classpath() -> Option<String> {
    let jars = [
        "/usr/share/java/zookeeper.jar",
        "/usr/share/java/zookeeper-jute.jar",
        "/usr/share/java/slf4j-api.jar",
        "/usr/share/java/slf4j-log4j12.jar",
        "/usr/share/java/log4j-1.2.jar",
        "/usr/share/java/snappy-java.jar",
    ];
    common::zk_or_skip("recover")?;
    Some(
        jars.iter()
            .filter(|j| Path::new(j).exists())
            .cloned()
            .collect::<Vec<_>>()
            .join(":"),
    )
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A server on 127.0.0.1, killed by PID when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a server on `data` (config and log in `work`); `Err(log)` when
/// it exits or does not serve within 60 s.
fn try_start(cp: &str, work: &Path, data: &Path, mode: Mode) -> Result<Server, String> {
    std::fs::create_dir_all(work).unwrap();
    let port = free_port();
    let log = work.join("zk.log");
    let _ = std::fs::remove_file(&log);
    let props = work.join("log4j.properties");
    std::fs::write(
        &props,
        format!(
            "log4j.rootLogger=INFO, F\nlog4j.appender.F=org.apache.log4j.FileAppender\n\
             log4j.appender.F.File={}\nlog4j.appender.F.layout=org.apache.log4j.PatternLayout\n\
             log4j.appender.F.layout.ConversionPattern=%p %c{{1}}: %m%n\n",
            log.display()
        ),
    )
    .unwrap();
    let mut cfg = format!(
        "tickTime=2000\ndataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n\
         admin.enableServer=false\n4lw.commands.whitelist=*\n",
        data.display()
    );
    let class = match mode {
        Mode::Standalone => "org.apache.zookeeper.server.ZooKeeperServerMain",
        Mode::Quorum(id) => {
            cfg.push_str(&format!(
                "initLimit=5\nsyncLimit=2\nstandaloneEnabled=false\nserver.{id}=127.0.0.1:{}:{}\n",
                free_port(),
                free_port()
            ));
            "org.apache.zookeeper.server.quorum.QuorumPeerMain"
        }
    };
    let cfg_path = work.join("zoo.cfg");
    std::fs::write(&cfg_path, cfg).unwrap();
    let child = Command::new("java")
        .arg("-Dzookeeper.extendedTypesEnabled=true")
        .arg("-Dfile.encoding=UTF-8")
        .arg("-Djava.library.path=/usr/lib/x86_64-linux-gnu/jni")
        .arg(format!("-Dlog4j.configuration=file:{}", props.display()))
        .args(["-cp", cp, class])
        .arg(&cfg_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ZooKeeper");
    let mut server = Server { child, port };
    let t0 = Instant::now();
    loop {
        if common::four_letter(port, "srvr").contains("Mode:") {
            return Ok(server);
        }
        let exited = server.child.try_wait().unwrap();
        if exited.is_some() || t0.elapsed() > Duration::from_secs(60) {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            return Err(format!("{exited:?}\n{text}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The zxid a server reports (`srvr`), before any client connects.
fn served_zxid(port: u16) -> i64 {
    let s = common::four_letter(port, "srvr");
    let z = s
        .lines()
        .find_map(|l| l.strip_prefix("Zxid: 0x"))
        .unwrap_or_else(|| panic!("no zxid in {s:?}"));
    i64::from_str_radix(z.trim(), 16).unwrap()
}

/// Every node a client sees, /zookeeper left out: data (base64, null
/// kept), ACL and stat.
const READ_TREE: &str = r#"
import sys, json, base64
from kazoo.client import KazooClient
zk = KazooClient(hosts=sys.argv[1], timeout=30); zk.start(timeout=30)
out = {}
def walk(p):
    data, st = zk.get(p)
    acl, _ = zk.get_acls(p)
    out[p] = {"data": None if data is None else base64.b64encode(data).decode(),
              "acl": sorted([[a.perms, a.id.scheme, a.id.id] for a in acl]),
              "stat": [st.czxid, st.mzxid, st.pzxid, st.ctime, st.mtime, st.version,
                       st.cversion, st.aversion, st.ephemeralOwner, st.dataLength,
                       st.numChildren]}
    for c in zk.get_children(p):
        if p == "/" and c == "zookeeper":
            continue
        walk(p.rstrip("/") + "/" + c)
walk("/")
zk.stop()
print(json.dumps(out, sort_keys=True))
"#;

type Tree = BTreeMap<String, Value>;

fn read_tree(port: u16) -> Tree {
    let o = Command::new("/usr/bin/python3")
        .args(["-c", READ_TREE, &format!("127.0.0.1:{port}")])
        .output()
        .expect("python3");
    assert!(
        o.status.success(),
        "kazoo: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut t: Tree = serde_json::from_slice(&o.stdout).unwrap();
    // One order for ACL lists on both sides.
    for n in t.values_mut() {
        if let Some(a) = n["acl"].as_array_mut() {
            a.sort_by_key(|x| x.to_string());
        }
    }
    t
}

fn num(v: &Value) -> i64 {
    match v {
        Value::Number(n) => n.as_i64().unwrap(),
        Value::String(s) => u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap() as i64,
        _ => panic!("not a number: {v}"),
    }
}

/// zkdd's replay of `dir` (`args`: the target) as a client would read it
/// from a server: client cversion and ephemeralOwner, /zookeeper left out.
fn replayed(dir: &Path, args: &[&str]) -> Tree {
    use base64::Engine;
    let mut a = vec!["replay", "--json", dir.to_str().unwrap()];
    a.extend_from_slice(args);
    let o = run(&a);
    assert!(
        o.status.code() == Some(0) || o.status.code() == Some(1),
        "replay {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut out = Tree::new();
    for n in json_lines(&stdout(&o)) {
        if n["type"] != "node" {
            continue;
        }
        let p = n["path"].as_str().unwrap().to_string();
        if p == "/zookeeper" || p.starts_with("/zookeeper/") {
            continue;
        }
        let data = match (&n["data"]["text"], &n["data"]["base64"]) {
            (Value::String(t), _) => {
                Value::from(base64::engine::general_purpose::STANDARD.encode(t.as_bytes()))
            }
            (_, Value::String(b)) => Value::from(b.clone()),
            _ => Value::Null,
        };
        let perms = |s: &str| -> i64 {
            s.chars()
                .map(|c| match c {
                    'r' => 1,
                    'w' => 2,
                    'c' => 4,
                    'd' => 8,
                    'a' => 16,
                    _ => 0,
                })
                .sum()
        };
        let mut acl: Vec<Value> = n["acl"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| serde_json::json!([perms(a["perms"].as_str().unwrap()), a["scheme"], a["id"]]))
            .collect();
        acl.sort_by_key(|a| a.to_string());
        let s = &n["stat"];
        let children = num(&s["num_children"]);
        let owner = num(&s["ephemeral_owner"]);
        // Containers and TTL nodes show owner 0 to clients.
        let client_owner = if owner < 0 { 0 } else { owner };
        let stat = serde_json::json!([
            num(&s["czxid"]),
            num(&s["mzxid"]),
            num(&s["pzxid"]),
            num(&s["ctime_ms"]),
            num(&s["mtime_ms"]),
            num(&s["version"]),
            2 * num(&s["cversion"]) - children,
            num(&s["aversion"]),
            client_owner,
            num(&s["data_length"]),
            children,
        ]);
        out.insert(
            p,
            serde_json::json!({"data": data, "acl": acl, "stat": stat}),
        );
    }
    out
}

/// Asserts two trees are equal, naming the first paths that differ.
fn assert_same_tree(got: &Tree, want: &Tree, what: &str) {
    if got == want {
        return;
    }
    let mut diffs = Vec::new();
    for (p, v) in want {
        match got.get(p) {
            None => diffs.push(format!("{p}: missing")),
            Some(g) if g != v => diffs.push(format!("{p}: got {g}, want {v}")),
            _ => {}
        }
    }
    for p in got.keys().filter(|p| !want.contains_key(*p)) {
        diffs.push(format!("{p}: unexpected"));
    }
    diffs.truncate(8);
    panic!("{what}: trees differ:\n{}", diffs.join("\n"));
}

// ---- the scenario runner -------------------------------------------------

/// What the real server does with the damaged source.
#[derive(Clone, Copy, Debug)]
enum Before<'a> {
    /// It does not start; its log says this.
    Fails(&'a str),
    /// It starts, and silently lacks txns the files hold: at a zxid short
    /// of theirs, or (crossing the gap) with a tree other than the honest one.
    SilentLoss,
    /// It starts with the honest tree (it copes by itself).
    Copes,
}

/// One scenario on a damaged copy: the server on the source, `zkdd
/// recover` (its JSON report is returned), the server on the new dir.
struct Case<'a> {
    name: &'a str,
    src: &'a Path,
    mode: Mode,
    before: Before<'a>,
    /// The honest target, worked out by the test from the damage.
    target: i64,
    /// recover's exit status.
    exit: i32,
    /// replay's flags for the honest tree (besides --to-zxid).
    replay_args: &'a [&'a str],
    /// The dir whose replay is the honest tree, when not `src` (damage that
    /// stops zkdd's own replay too, among txns a snapshot covers).
    honest_from: Option<&'a Path>,
}

fn recover_json(src: &Path, out: &Path, extra: &[&str]) -> (i32, Vec<Value>, String) {
    let mut a = vec![
        "recover",
        "--json",
        src.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ];
    a.extend_from_slice(extra);
    let o = run(&a);
    (
        o.status.code().unwrap(),
        json_lines(&stdout(&o)),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn run_case(cp: &str, c: &Case<'_>) -> Value {
    let work = c.src.parent().unwrap().to_path_buf();
    let mut to = vec!["--to-zxid".to_string(), hex(c.target)];
    to.extend(c.replay_args.iter().map(|s| s.to_string()));
    let to: Vec<&str> = to.iter().map(String::as_str).collect();
    let honest = replayed(c.honest_from.unwrap_or(c.src), &to);
    assert!(honest.contains_key("/"), "{}: empty honest tree", c.name);

    // 1. A real server on a copy of the damaged dir (it writes into it).
    let copy = work.join("zk-on-source");
    common::copy_dir(c.src, &copy);
    // What recover would find (read only).
    let facts = json_lines(&stdout(&run(&[
        "recover",
        "--json",
        "-n",
        c.src.to_str().unwrap(),
    ])))
    .pop()
    .unwrap();
    match (c.before, try_start(cp, &work.join("before"), &copy, c.mode)) {
        (Before::Fails(why), Err(log)) => assert!(
            log.contains(why),
            "{}: the server failed, but not with {why:?}:\n{log}",
            c.name
        ),
        (Before::Fails(_), Ok(s)) => panic!(
            "{}: the server started on the damaged dir (zxid {})",
            c.name,
            hex(served_zxid(s.port))
        ),
        (Before::SilentLoss, Ok(s)) => {
            let z = served_zxid(s.port);
            let readable = facts["lost"]["readable"].as_u64().unwrap_or(0);
            assert!(
                readable > 0,
                "{}: nothing readable is lost: {facts}",
                c.name
            );
            if z == c.target {
                // Stopped at the damage: the txns after it are dropped.
                assert_same_tree(&read_tree(s.port), &honest, c.name);
            } else {
                // Crossed the gap: a tree no client ever saw.
                assert!(z > c.target, "{}: served {}", c.name, hex(z));
                assert_ne!(read_tree(s.port), honest, "{}", c.name);
            }
        }
        (Before::SilentLoss, Err(log)) => panic!("{}: the server did not start:\n{log}", c.name),
        (Before::Copes, Ok(s)) => {
            if c.mode == Mode::Standalone {
                assert_eq!(hex(served_zxid(s.port)), hex(c.target), "{}", c.name);
            }
            assert_same_tree(&read_tree(s.port), &honest, c.name);
        }
        (Before::Copes, Err(log)) => panic!("{}: the server did not start:\n{log}", c.name),
    }

    // 2. zkdd recover.
    let new = work.join("new");
    let before_src = dir_listing(c.src);
    let (code, lines, err) = recover_json(c.src, &new, &[]);
    assert_eq!(code, c.exit, "{}: {lines:?}\n{err}", c.name);
    assert_eq!(
        dir_listing(c.src),
        before_src,
        "{}: the source changed",
        c.name
    );
    let r = lines.last().unwrap().clone();
    assert_eq!(
        (r["type"].as_str(), r["command"].as_str()),
        (Some("summary"), Some("recover"))
    );
    assert_eq!(r["recovered"]["zxid"], hex(c.target), "{}: {r}", c.name);
    assert_eq!(r["lost_txns"], c.exit == 1, "{}", c.name);
    // Only the snapshot, the epoch files of a quorum peer, and myid.
    let mut want = vec![format!("version-2/snapshot.{:x}", c.target)];
    if matches!(c.mode, Mode::Quorum(_)) {
        want.extend([
            "myid".to_string(),
            "version-2/acceptedEpoch".into(),
            "version-2/currentEpoch".into(),
        ]);
    }
    want.sort();
    assert_eq!(dir_listing(&new), want, "{}", c.name);
    if let Mode::Quorum(_) = c.mode {
        let epoch = c.target >> 32;
        let read = |f: &str| -> i64 {
            std::fs::read_to_string(v2(&new).join(f))
                .unwrap()
                .parse()
                .unwrap()
        };
        assert!(read("currentEpoch") >= epoch, "{}", c.name);
        assert!(read("acceptedEpoch") >= read("currentEpoch"), "{}", c.name);
    }

    // 3. A real server on the new dir serves the honest tree.
    let s = try_start(cp, &work.join("after"), &new, c.mode)
        .unwrap_or_else(|log| panic!("{}: no start on the recovered dir:\n{log}", c.name));
    if c.mode == Mode::Standalone {
        assert_eq!(hex(served_zxid(s.port)), hex(c.target), "{}", c.name);
    }
    assert_same_tree(&read_tree(s.port), &honest, c.name);
    r
}

/// Files under `dir`, relative, sorted.
fn dir_listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            e.path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    v.sort();
    v
}

// ---- the scenarios --------------------------------------------------------

/// A flipped bit in the middle of the newest log: "CRC check failed".
#[test]
fn a_bad_checksum_in_the_newest_log() {
    let Some(cp) = server_classpath() else { return };
    let (_t, src) = copy_fixture("crash/data");
    let log = newest(&src, "log.");
    let e = entries(&log);
    let k = e.len() / 2;
    edit(&log, |b| b[e[k].0 + 12 + e[k].1 / 2] ^= 0x10);
    let r = run_case(
        &cp,
        &Case {
            name: "checksum",
            src: &src,
            mode: Mode::Standalone,
            before: Before::Fails("CRC check failed"),
            target: e[k - 1].2,
            exit: 1,
            replay_args: &[],
            honest_from: None,
        },
    );
    let lost = &r["lost"];
    assert_eq!(lost["first_zxid"], hex(e[k].2));
    assert_eq!(lost["last_zxid"], hex(e.last().unwrap().2));
    assert_eq!(lost["count"], (e.len() - k) as u64);
    assert_eq!(lost["readable"], (e.len() - k - 1) as u64);
    assert_eq!(lost["txns"][0]["zxid"], hex(e[k + 1].2));
    assert_eq!(lost["txns"][0]["op"], "setData");
    assert_eq!(r["recovered"]["stop"]["kind"], "log_damage");
    assert_eq!(r["recovered"]["stop"]["offset"], e[k].0 as u64);
}

/// A length field damaged in a log that is not the newest, valid entries
/// after it: ZooKeeper skips the rest of the file and replays the next
/// logs across the gap.
#[test]
fn a_damaged_length_with_valid_entries_after_it() {
    let Some(cp) = server_classpath() else { return };
    let (_t, src) = copy_fixture("crash/data");
    let log = v2(&src).join("log.229");
    let e = entries(&log);
    let k = e.len() / 2;
    // Longer than the file, within jute.maxbuffer: an EOF to ZooKeeper.
    edit(&log, |b| {
        b[e[k].0 + 8..e[k].0 + 12].copy_from_slice(&0x8_0000u32.to_be_bytes())
    });
    let r = run_case(
        &cp,
        &Case {
            name: "length",
            src: &src,
            mode: Mode::Standalone,
            before: Before::SilentLoss,
            target: e[k - 1].2,
            exit: 1,
            replay_args: &[],
            honest_from: None,
        },
    );
    // Everything after the damage, the later logs included, is lost; all
    // but the damaged entry is still readable.
    assert_eq!(r["lost"]["first_zxid"], hex(e[k].2));
    assert_eq!(r["lost"]["last_zxid"], "0x29d");
    assert_eq!(r["lost"]["count"], 0x29d - e[k - 1].2);
    assert_eq!(r["lost"]["readable"], 0x29d - e[k].2);
}

/// An absurd length in the newest log: "Unreasonable length" (gz snapshots).
#[test]
fn an_unreasonable_length_in_the_newest_log() {
    let Some(cp) = server_classpath() else { return };
    let (_t, src) = copy_fixture("gz/data");
    let log = newest(&src, "log.");
    let e = entries(&log);
    let k = e.len() / 2;
    edit(&log, |b| {
        b[e[k].0 + 8..e[k].0 + 12].copy_from_slice(&0x7fff_0000u32.to_be_bytes())
    });
    let r = run_case(
        &cp,
        &Case {
            name: "unreasonable length",
            src: &src,
            mode: Mode::Standalone,
            before: Before::Fails("Unreasonable length"),
            target: e[k - 1].2,
            exit: 1,
            replay_args: &[],
            honest_from: None,
        },
    );
    assert_eq!(r["lost"]["readable"], (e.len() - k - 1) as u64);
}

/// A zero-filled region in the middle of the newest log (snappy
/// snapshots): ZooKeeper stops reading at the zero length and starts,
/// silently dropping the valid entries after the zeros.
#[test]
fn a_zero_filled_region() {
    let Some(cp) = server_classpath() else { return };
    let (_t, src) = copy_fixture("snappy/data");
    let log = newest(&src, "log.");
    let e = entries(&log);
    assert!(e.len() >= 5, "{e:?}");
    let k = e.len() / 2;
    edit(&log, |b| b[e[k].0..e[k + 1].0 + e[k + 1].1].fill(0));
    let r = run_case(
        &cp,
        &Case {
            name: "zeros",
            src: &src,
            mode: Mode::Standalone,
            before: Before::SilentLoss,
            target: e[k - 1].2,
            exit: 1,
            replay_args: &[],
            honest_from: None,
        },
    );
    assert_eq!(r["lost"]["readable"], (e.len() - k - 2) as u64);
    assert_eq!(r["lost"]["count"], (e.len() - k) as u64);
}

/// A newest log of 0 bytes, as a crash right after creating it leaves
/// (ZOOKEEPER-2332): nothing in it was acknowledged, but ZooKeeper fails
/// reading its header.
#[test]
fn an_empty_newest_log() {
    let Some(cp) = server_classpath() else { return };
    let (_t, src) = copy_fixture("standalone/data");
    let last = entries(&newest(&src, "log.")).last().unwrap().2;
    std::fs::write(v2(&src).join(format!("log.{:x}", last + 1)), b"").unwrap();
    let r = run_case(
        &cp,
        &Case {
            name: "empty log",
            src: &src,
            mode: Mode::Standalone,
            before: Before::Fails("EOFException"),
            target: last,
            exit: 0,
            replay_args: &[],
            honest_from: None,
        },
    );
    assert_eq!(r["left_out"].as_array().unwrap().len(), 1, "{r}");
}

/// The newest log's header zeroed ("invalid magic number"): its entries
/// are still there, readable but after damage.
#[test]
fn a_header_less_newest_log() {
    let Some(cp) = server_classpath() else { return };
    let (_t, src) = copy_fixture("standalone/data");
    let log = newest(&src, "log.");
    let e = entries(&log);
    edit(&log, |b| b[..16].fill(0));
    // The txn before the newest log's first, from the log before it.
    let logs = common::files(&src, "log.");
    let before = logs
        .iter()
        .filter(|p| **p != log)
        .flat_map(|p| entries(p))
        .map(|x| x.2)
        .filter(|&z| z < e[0].2)
        .max()
        .unwrap();
    let r = run_case(
        &cp,
        &Case {
            name: "header-less log",
            src: &src,
            mode: Mode::Standalone,
            before: Before::Fails("invalid magic number"),
            target: before,
            exit: 1,
            replay_args: &[],
            honest_from: None,
        },
    );
    assert_eq!(r["lost"]["readable"], e.len() as u64);
    assert_eq!(r["recovered"]["stop"]["kind"], "unreadable_log");
}

/// A bad checksum among the txns the snapshot already holds, in the log
/// that also holds the first txns after it: ZooKeeper reads the whole file
/// and fails; nothing needed is lost, and recover reads on from the next
/// valid entry.
#[test]
fn a_bad_checksum_the_snapshot_covers() {
    let Some(cp) = server_classpath() else { return };
    let (_t, src) = copy_fixture("crash/data");
    let snap = 0x224;
    let log = v2(&src).join("log.1c7");
    let e = entries(&log);
    let k = e.iter().position(|x| x.2 == snap - 0x20).unwrap();
    assert!(e.last().unwrap().2 > snap);
    edit(&log, |b| b[e[k].0 + 12 + e[k].1 / 2] ^= 0x10);
    let last = entries(&newest(&src, "log.")).last().unwrap().2;
    let pristine = common::fixtures().join("crash/data");
    let r = run_case(
        &cp,
        &Case {
            name: "covered checksum",
            src: &src,
            mode: Mode::Standalone,
            before: Before::Fails("CRC check failed"),
            target: last,
            exit: 0,
            replay_args: &[],
            honest_from: Some(&pristine),
        },
    );
    let note = r["left_out"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["file"] == log.to_str().unwrap())
        .unwrap_or_else(|| panic!("{r}"));
    assert!(
        note["reason"]
            .as_str()
            .unwrap()
            .contains(&format!("{:#x}", e[k + 1].0)),
        "{note}"
    );
    assert_eq!(r["recovered"]["logs"][0], log.to_str().unwrap());
}

/// The newest snapshot damaged in the middle (raw) and at its end
/// (snappy): ZooKeeper falls back to the one before, and so does recover.
#[test]
fn a_damaged_newest_snapshot() {
    let Some(cp) = server_classpath() else { return };
    for (rel, at_end) in [("crash/data", false), ("snappy/data", true)] {
        let (_t, src) = copy_fixture(rel);
        let snap = newest(&src, "snapshot.");
        edit(&snap, |b| {
            let n = b.len();
            let at = if at_end { n - 3 } else { n / 2 };
            b[at] ^= 0x21;
        });
        let last = entries(&newest(&src, "log.")).last().unwrap().2;
        let r = run_case(
            &cp,
            &Case {
                name: rel,
                src: &src,
                mode: Mode::Standalone,
                before: Before::Copes,
                target: last,
                exit: 0,
                replay_args: &[],
                honest_from: None,
            },
        );
        let skipped = &r["recovered"]["skipped_snapshots"];
        assert_eq!(
            skipped[0]["file"],
            snap.to_str().unwrap(),
            "{rel}: {skipped}"
        );
        assert_eq!(skipped[0]["damaged"], true);
    }
}

/// The newest snapshot cut short by a full disk (raw and gz).
#[test]
fn a_snapshot_truncated_by_a_full_disk() {
    let Some(cp) = server_classpath() else { return };
    for rel in ["nodigest/data", "gz/data"] {
        let (_t, src) = copy_fixture(rel);
        let snap = newest(&src, "snapshot.");
        edit(&snap, |b| b.truncate(b.len() / 2));
        let last = entries(&newest(&src, "log.")).last().unwrap().2;
        let r = run_case(
            &cp,
            &Case {
                name: rel,
                src: &src,
                mode: Mode::Standalone,
                before: Before::Copes,
                target: last,
                exit: 0,
                replay_args: &[],
                honest_from: None,
            },
        );
        assert_eq!(
            r["recovered"]["skipped_snapshots"][0]["file"],
            snap.to_str().unwrap()
        );
    }
}

/// A txn altered with its checksum recomputed (what `TxnLogToolkit -r`
/// does to a flipped bit): only the tree digest logged with it tells.
/// ZooKeeper logs "Digests are not matching" and serves the altered tree;
/// recover stops before that txn.
#[test]
fn a_txn_altered_under_a_recomputed_checksum() {
    let Some(cp) = server_classpath() else { return };
    let (_t, src) = copy_fixture("crash/data");
    let log = newest(&src, "log.");
    let e = entries(&log);
    let k = e.len() / 2;
    edit(&log, |b| {
        let body = e[k].0 + 12;
        let len = e[k].1 - 13;
        b[body + len / 2] ^= 0x01;
        let sum = u64::from(adler32(&b[body..body + len]));
        b[e[k].0..e[k].0 + 8].copy_from_slice(&sum.to_be_bytes());
    });
    let r = run_case(
        &cp,
        &Case {
            name: "digest",
            src: &src,
            mode: Mode::Standalone,
            before: Before::SilentLoss,
            target: e[k - 1].2,
            exit: 1,
            replay_args: &[],
            honest_from: None,
        },
    );
    assert_eq!(r["recovered"]["stop"]["kind"], "digest_mismatch");
    assert_eq!(r["recovered"]["stop"]["zxid"], hex(e[k].2));
    // The altered txn is readable, and listed first.
    assert_eq!(r["lost"]["txns"][0]["zxid"], hex(e[k].2));
}

/// Adler-32, as ZooKeeper checksums log entries.
fn adler32(b: &[u8]) -> u32 {
    let (mut a, mut s) = (1u32, 0u32);
    for &x in b {
        a = (a + u32::from(x)) % 65521;
        s = (s + a) % 65521;
    }
    (s << 16) | a
}

/// Every snapshot gone, the logs reaching back to the first txn: ZooKeeper
/// refuses ("No snapshot found, but there are log entries"); recover
/// replays from the initial tree.
#[test]
fn every_snapshot_gone_with_the_logs_from_the_start() {
    let Some(cp) = server_classpath() else { return };
    let (_t, src) = copy_fixture("standalone/data");
    for s in common::files(&src, "snapshot.") {
        std::fs::remove_file(s).unwrap();
    }
    let last = entries(&newest(&src, "log.")).last().unwrap().2;
    let r = run_case(
        &cp,
        &Case {
            name: "no snapshot",
            src: &src,
            mode: Mode::Standalone,
            before: Before::Fails("No snapshot found"),
            target: last,
            exit: 0,
            replay_args: &["--from-empty"],
            honest_from: None,
        },
    );
    assert_eq!(r["recovered"]["from_empty"], true);
}

/// Every snapshot gone and the first log too: nothing can be rebuilt.
#[test]
fn every_snapshot_gone_and_the_logs_not_from_the_start() {
    let (t, src) = copy_fixture("standalone/data");
    for s in common::files(&src, "snapshot.") {
        std::fs::remove_file(s).unwrap();
    }
    std::fs::remove_file(v2(&src).join("log.1")).unwrap();
    let new = t.path().join("new");
    let (code, lines, err) = recover_json(&src, &new, &[]);
    assert_eq!(code, 2, "{lines:?} {err}");
    let r = lines.last().unwrap();
    assert_eq!(r["recovered"], Value::Null);
    let why = r["reason"].as_str().unwrap();
    assert!(why.contains("log.1c") && why.contains("first txn"), "{why}");
    assert!(!new.exists());
    // Text says so too.
    let o = run(&[
        "recover",
        src.to_str().unwrap(),
        "-o",
        new.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).contains("NOTHING"), "{}", stdout(&o));
    assert!(!new.exists());
    if let Some(cp) = server_classpath() {
        let e = try_start(&cp, &t.path().join("before"), &src, Mode::Standalone);
        assert!(e.is_err_and(|log| log.contains("No snapshot found")));
    }
}

/// An ensemble member's epoch files: older than its last zxid, unreadable,
/// or missing. A quorum peer refuses the first two ("The current epoch ...
/// is older than the last zxid", "Found two in .../currentEpoch") and recreates
/// missing ones; recover writes consistent ones every time.
#[test]
fn epoch_files_older_unreadable_or_missing() {
    let Some(cp) = server_classpath() else { return };
    let cases: [(&str, Option<&str>, Before<'_>); 3] = [
        (
            "older",
            Some("1"),
            Before::Fails("is older than the last zxid"),
        ),
        ("unreadable", Some("two"), Before::Fails("currentEpoch")),
        ("missing", None, Before::Copes),
    ];
    for (name, current, before) in cases {
        let (_t, src) = copy_fixture("ensemble/member2/data");
        let last = entries(&newest(&src, "log.")).last().unwrap().2;
        match current {
            Some(c) => std::fs::write(v2(&src).join("currentEpoch"), c).unwrap(),
            None => {
                std::fs::remove_file(v2(&src).join("currentEpoch")).unwrap();
                std::fs::remove_file(v2(&src).join("acceptedEpoch")).unwrap();
            }
        }
        let r = run_case(
            &cp,
            &Case {
                name,
                src: &src,
                mode: Mode::Quorum(2),
                before,
                target: last,
                exit: 0,
                replay_args: &[],
                honest_from: None,
            },
        );
        assert_eq!(r["epochs"]["current"], 2, "{name}");
        assert_eq!(r["epochs"]["accepted"], 2, "{name}");
        assert_eq!(r["epochs"]["written"], true);
        assert_eq!(r["myid"], "2");
    }
}

/// Leftovers of a manual repair: TxnLogToolkit's log.X.fixed (ZooKeeper
/// reads it as log X) and a snapshot.X.tmp: neither is used or carried over.
#[test]
fn leftovers_are_left_out() {
    let Some(cp) = server_classpath() else { return };
    let (_t, src) = copy_fixture("crash/data");
    let log = newest(&src, "log.");
    let e = entries(&log);
    let k = e.len() / 2;
    edit(&log, |b| b[e[k].0 + 12 + e[k].1 / 2] ^= 0x10);
    // The operator "fixed" the CRC with ZooKeeper's own tool.
    let tool_cp = format!("{cp}:/usr/share/java/commons-cli.jar");
    let o = common::zk_tool(
        &tool_cp,
        "org.apache.zookeeper.server.persistence.TxnLogToolkit",
        &["-r", "-y", log.to_str().unwrap()],
    );
    let fixed = PathBuf::from(format!("{}.fixed", log.display()));
    assert!(fixed.exists(), "{}", String::from_utf8_lossy(&o.stderr));
    let snap = newest(&src, "snapshot.");
    let mut half = std::fs::read(&snap).unwrap();
    half.truncate(half.len() / 2);
    std::fs::write(v2(&src).join(format!("snapshot.{:x}.tmp", e[k].2)), half).unwrap();
    let r = run_case(
        &cp,
        &Case {
            name: "leftovers",
            src: &src,
            mode: Mode::Standalone,
            before: Before::Fails("CRC check failed"),
            target: e[k - 1].2,
            exit: 1,
            replay_args: &[],
            honest_from: None,
        },
    );
    let left: Vec<&str> = r["left_out"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["file"].as_str().unwrap())
        .collect();
    assert!(left.iter().any(|f| f.ends_with(".fixed")), "{left:?}");
    assert!(left.iter().any(|f| f.ends_with(".tmp")), "{left:?}");
}

/// An ensemble member with a bad checksum in its newest log: the new dir
/// carries its epochs and myid, and a quorum peer starts from it; the
/// advice puts resyncing from a live quorum first.
#[test]
fn an_ensemble_member() {
    let Some(cp) = server_classpath() else { return };
    let (_t, src) = copy_fixture("ensemble/member1/data");
    let log = newest(&src, "log.");
    let e = entries(&log);
    let k = e.len() / 2;
    edit(&log, |b| b[e[k].0 + 12 + e[k].1 / 2] ^= 0x10);
    let r = run_case(
        &cp,
        &Case {
            name: "member",
            src: &src,
            mode: Mode::Quorum(1),
            before: Before::Fails("CRC check failed"),
            target: e[k - 1].2,
            exit: 1,
            replay_args: &[],
            honest_from: None,
        },
    );
    assert_eq!(r["quorum_peer"], true);
    let advice = r["advice"][0].as_str().unwrap();
    assert!(
        advice.contains("ensemble member") && advice.contains("resync"),
        "{advice}"
    );
}

// ---- without a server -------------------------------------------------------

/// --dry-run writes nothing; an existing non-empty NEWDIR and one inside
/// the source are refused before any work; an empty one is filled.
#[test]
fn output_rules() {
    let (t, src) = copy_fixture("crash/data");
    let s = src.to_str().unwrap();
    let new = t.path().join("new");
    let o = run(&["recover", s, "-n", "-o", new.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!new.exists());
    assert!(stdout(&o).contains("nothing (--dry-run)"));

    std::fs::create_dir(&new).unwrap();
    std::fs::write(new.join("x"), b"x").unwrap();
    let o = run(&["recover", s, "-o", new.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not an empty directory"));

    for inside in [src.join("new"), v2(&src).join("new")] {
        let o = run(&["recover", s, "-o", inside.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&o.stderr).contains("inside the data dir"));
        assert!(!inside.exists());
    }

    std::fs::remove_file(new.join("x")).unwrap();
    let o = run(&["recover", s, "-o", new.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(dir_listing(&new), ["version-2/snapshot.29d"]);
    // No temporary directory is left beside it.
    let names: Vec<String> = std::fs::read_dir(t.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains(".tmp")), "{names:?}");
    // Writing again needs an empty dir.
    let o = run(&["recover", s, "-o", new.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
}

/// --script holds the readable txns after the damage as zkCli commands
/// under a header that says to review them; on the recovered tree they
/// give the tree a tolerant replay past the damage gives.
#[test]
fn the_script_re_applies_the_readable_txns() {
    let (t, src) = copy_fixture("crash/data");
    let log = newest(&src, "log.");
    let e = entries(&log);
    let k = e.len() / 2;
    edit(&log, |b| b[e[k].0 + 12 + e[k].1 / 2] ^= 0x10);
    let new = t.path().join("new");
    let script = t.path().join("lost.zk");
    let (code, lines, err) = recover_json(&src, &new, &["--script", script.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    let r = lines.last().unwrap();
    let text = std::fs::read_to_string(&script).unwrap();
    assert!(text.contains("REVIEW"), "{text}");
    let commands: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(r["script"]["commands"], commands.len() as u64);
    // One set per node the readable txns touched (all setData here).
    let touched: std::collections::BTreeSet<&str> = r["lost"]["txns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["paths"][0].as_str().unwrap())
        .collect();
    let set: std::collections::BTreeSet<&str> = commands
        .iter()
        .map(|c| c.split(' ').nth(1).unwrap())
        .collect();
    assert_eq!(set, touched);
    assert!(
        commands.iter().all(|c| c.starts_with("set ")),
        "{commands:?}"
    );
}

/// Logs in a separate dataLogDir (--log-dir): read from there, never
/// written there; the new dir holds the snapshot alone, and the advice
/// says to empty dataLogDir.
#[test]
fn a_separate_log_dir() {
    let (t, src) = copy_fixture("crash/data");
    let logs = t.path().join("logs");
    std::fs::create_dir_all(v2(&logs)).unwrap();
    for l in common::files(&src, "log.") {
        std::fs::rename(&l, v2(&logs).join(l.file_name().unwrap())).unwrap();
    }
    let log = newest(&logs, "log.");
    let e = entries(&log);
    let k = e.len() / 2;
    edit(&log, |b| b[e[k].0 + 12 + e[k].1 / 2] ^= 0x10);
    let (s, l) = (src.to_str().unwrap(), logs.to_str().unwrap());
    let inside = v2(&logs).join("new");
    let o = run(&["recover", s, "--log-dir", l, "-o", inside.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains(l));
    let new = t.path().join("new");
    let (code, lines, err) = recover_json(&src, &new, &["--log-dir", l]);
    assert_eq!(code, 1, "{err}");
    let r = lines.last().unwrap();
    assert_eq!(r["recovered"]["zxid"], hex(e[k - 1].2));
    assert_eq!(r["log_dir"], v2(&logs).to_str().unwrap());
    assert_eq!(
        dir_listing(&new),
        [format!("version-2/snapshot.{:x}", e[k - 1].2)]
    );
    let advice = r["advice"].to_string();
    assert!(advice.contains(&format!("mkdir {l}")), "{advice}");
}
