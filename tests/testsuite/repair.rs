//! zkdd repair and dump --follow: repaired logs are accepted by ZooKeeper
//! 3.8.0's own restore at exactly the reported zxid, --to-zxid matches
//! TxnLogToolkit's chop entry for entry, and --follow picks up what a running
//! server writes, across log rolls.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use zkdd::format::txnlog::{IterOptions, TxnLog};

use crate::common::{self, copy_dir, fixtures, json_lines, run, stdout};

/// (offset, framed bytes, zxid) of every entry of a log.
fn entries(bytes: &[u8]) -> Vec<(u64, Vec<u8>, i64)> {
    let log = TxnLog::parse(bytes).unwrap();
    log.entries(IterOptions::default())
        .map(|e| {
            let s = e.offset as usize;
            (
                e.offset,
                bytes[s..s + e.framed_len() as usize].to_vec(),
                e.txn.header.zxid.0,
            )
        })
        .collect()
}

fn hex(z: i64) -> String {
    format!("0x{:x}", z as u64)
}

fn newest(dir: &Path, prefix: &str) -> PathBuf {
    common::files(dir, prefix)
        .into_iter()
        .max_by_key(|p| {
            let n = p.file_name().unwrap().to_string_lossy().into_owned();
            let hex = n
                .trim_start_matches(prefix)
                .split('.')
                .next()
                .unwrap()
                .to_string();
            i64::from_str_radix(&hex, 16).unwrap()
        })
        .unwrap()
}

fn repair_json(args: &[&str]) -> (i32, Value) {
    let mut a = vec!["repair", "--json"];
    a.extend_from_slice(args);
    let o = run(&a);
    let lines = json_lines(&stdout(&o));
    assert_eq!(
        lines.len(),
        1,
        "{}{}",
        stdout(&o),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.code().unwrap(), lines[0].clone())
}

/// Runs ZooKeeper's own restore on each dir; returns one JSON result per dir.
fn zookeeper_restore(cp: &str, dirs: &[&Path]) -> Vec<Value> {
    let classes = tempfile::tempdir().unwrap();
    let javac = Command::new("javac")
        .args(["-d", classes.path().to_str().unwrap(), "-cp", cp])
        .arg(common::root().join("tests/java/RestoreMany.java"))
        .output()
        .expect("javac");
    assert!(
        javac.status.success(),
        "{}",
        String::from_utf8_lossy(&javac.stderr)
    );
    let out = Command::new("java")
        .arg("-Dzookeeper.extendedTypesEnabled=true")
        .arg("-Dfile.encoding=UTF-8")
        .arg("-Djava.library.path=/usr/lib/x86_64-linux-gnu/jni")
        .arg("-cp")
        .arg(format!("{cp}:{}", classes.path().display()))
        .arg("RestoreMany")
        .args(dirs)
        .output()
        .expect("java");
    let v = json_lines(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(
        v.len(),
        dirs.len(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    v
}

#[test]
fn repair_cuts_at_a_flipped_byte_and_zookeeper_restores_to_the_reported_zxid() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    // nodigest: its newest log is all above its newest snapshot.
    copy_dir(&fixtures().join("nodigest/data"), &dir);
    let log_path = newest(&dir, "log.");
    let snap = newest(&dir, "snapshot.");
    let snap_zxid = i64::from_str_radix(
        snap.file_name()
            .unwrap()
            .to_string_lossy()
            .trim_start_matches("snapshot."),
        16,
    )
    .unwrap();
    let original = fs::read(&log_path).unwrap();
    let all = entries(&original);
    // Damage an entry the restore needs (above the newest snapshot), with
    // valid entries after it.
    let above: Vec<usize> = (0..all.len()).filter(|&i| all[i].2 > snap_zxid).collect();
    assert!(above.len() >= 3, "fixture too small: {above:?}");
    let k = above[above.len() / 2];
    let (bad_off, bad_framed, _) = &all[k];
    let mut damaged = original.clone();
    damaged[*bad_off as usize + 12 + bad_framed.len() / 2] ^= 0x10;
    fs::write(&log_path, &damaged).unwrap();

    let out_path = tmp.path().join("repaired.log");
    let (code, r) = repair_json(&[
        "--salvage",
        log_path.to_str().unwrap(),
        "-o",
        out_path.to_str().unwrap(),
        "--prealloc-kb",
        "64",
    ]);
    assert_eq!(code, 1, "{r}");
    assert_eq!(r["reason"], "checksum_mismatch");
    assert_eq!(r["kept"]["entries"], k as u64);
    assert_eq!(r["kept"]["last_zxid"], hex(all[k - 1].2));
    assert_eq!(r["kept"]["end_offset"], *bad_off);
    let last = all.last().unwrap();
    let data_end = last.0 + last.1.len() as u64;
    assert_eq!(r["dropped"]["start_offset"], *bad_off);
    assert_eq!(r["dropped"]["end_offset"], data_end);
    // The scan finds exactly the entries after the damaged one.
    assert_eq!(r["salvage"]["offset"], all[k + 1].0);
    assert_eq!(r["salvage"]["run"]["entries"], (all.len() - k - 1) as u64);
    assert_eq!(r["salvage"]["run"]["first_zxid"], hex(all[k + 1].2));
    assert_eq!(r["salvage"]["run"]["last_zxid"], hex(last.2));
    assert_eq!(r["salvage"]["written"], false);
    assert_eq!(r["dropped"]["entries"], (all.len() - k - 1) as u64);

    // Byte-identical prefix, then only zeros, padded like FilePadding.
    let repaired = fs::read(&out_path).unwrap();
    assert_eq!(repaired.len(), 16 + 64 * 1024);
    assert_eq!(
        &repaired[..*bad_off as usize],
        &original[..*bad_off as usize]
    );
    assert!(repaired[*bad_off as usize..].iter().all(|&b| b == 0));
    // The input was not touched.
    assert_eq!(fs::read(&log_path).unwrap(), damaged);

    // Refusals: the input as output, an existing output.
    let o = run(&[
        "repair",
        log_path.to_str().unwrap(),
        "-o",
        log_path.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&[
        "repair",
        log_path.to_str().unwrap(),
        "-o",
        out_path.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(fs::read(&log_path).unwrap(), damaged);
    assert_eq!(fs::read(&out_path).unwrap(), repaired);

    // Put the repaired log in place: verify is clean, ZooKeeper starts at
    // exactly the last kept zxid.
    fs::rename(&out_path, &log_path).unwrap();
    let v = run(&["verify", dir.to_str().unwrap()]);
    assert_eq!(v.status.code(), Some(0), "{}", stdout(&v));

    // --write-salvaged: the salvaged entries follow, byte for byte.
    let dir2 = tmp.path().join("data2");
    copy_dir(&fixtures().join("nodigest/data"), &dir2);
    let log2 = dir2.join("version-2").join(log_path.file_name().unwrap());
    fs::write(&log2, &damaged).unwrap();
    let out2 = tmp.path().join("salvaged.log");
    let (code, r2) = repair_json(&[
        "--salvage",
        "--write-salvaged",
        log2.to_str().unwrap(),
        "-o",
        out2.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert_eq!(r2["last_zxid"], hex(last.2));
    let got = entries(&fs::read(&out2).unwrap());
    let want: Vec<_> = all
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != k)
        .map(|(_, e)| (e.1.clone(), e.2))
        .collect();
    assert_eq!(
        got.into_iter().map(|e| (e.1, e.2)).collect::<Vec<_>>(),
        want
    );
    assert_eq!(fs::metadata(&out2).unwrap().len(), 16 + (64 << 20));

    let Some(cp) = common::zk_or_skip("repair_restore") else {
        return;
    };
    let res = zookeeper_restore(&cp, &[&dir]);
    assert_eq!(res[0]["ok"], true, "{}", res[0]);
    assert_eq!(
        hex(res[0]["last_zxid"].as_i64().unwrap()),
        r["kept"]["last_zxid"]
    );
}

#[test]
fn repair_of_a_torn_tail_matches_zookeepers_restore() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    copy_dir(&fixtures().join("crash/data"), &dir);
    let log_path = newest(&dir, "log.");
    let out_path = tmp.path().join("out");
    let (code, r) = repair_json(&[
        log_path.to_str().unwrap(),
        "-o",
        out_path.to_str().unwrap(),
        "--prealloc-kb",
        "64",
    ]);
    assert_eq!(code, 1, "{r}");
    assert!(
        ["partial_record", "torn_tail"].contains(&r["reason"].as_str().unwrap()),
        "{r}"
    );
    // The fixture's own note says where ZooKeeper's reader stops.
    let note = fs::read_to_string(fixtures().join("crash/expected/torn-tail.txt")).unwrap();
    let want = note.split("last complete zxid ").nth(1).unwrap().trim();
    assert_eq!(r["kept"]["last_zxid"], want);
    fs::rename(&out_path, &log_path).unwrap();
    let v = run(&["verify", dir.to_str().unwrap()]);
    assert_eq!(v.status.code(), Some(0), "{}", stdout(&v));
    let Some(cp) = common::zk_or_skip("repair_torn_restore") else {
        return;
    };
    let res = zookeeper_restore(&cp, &[&dir]);
    assert_eq!(
        hex(res[0]["last_zxid"].as_i64().unwrap()),
        want,
        "{}",
        res[0]
    );
}

#[test]
fn to_zxid_matches_txnlogtoolkit_chop() {
    let Some(cp) = common::zk_or_skip("repair_chop") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let src = fixtures().join("standalone/data/version-2/log.1");
    let input = tmp.path().join(src.file_name().unwrap());
    fs::copy(&src, &input).unwrap();
    let all = entries(&fs::read(&input).unwrap());
    assert!(all.len() > 4);
    let z = all[all.len() / 2].2;
    let o = common::zk_tool(
        &cp,
        "org.apache.zookeeper.server.persistence.TxnLogToolkit",
        &["-c", "-z", &z.to_string(), input.to_str().unwrap()],
    );
    let chopped = PathBuf::from(format!("{}.chopped{z}", input.display()));
    assert!(
        chopped.exists(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let out = tmp.path().join("ours");
    let (code, r) = repair_json(&[
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--to-zxid",
        &hex(z),
        "--prealloc-kb",
        "0",
    ]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["reason"], "to_zxid");
    assert_eq!(r["kept"]["last_zxid"], hex(z));
    assert_eq!(
        r["dropped"]["entries"],
        (all.len() - all.len() / 2 - 1) as u64
    );
    let theirs = entries(&fs::read(&chopped).unwrap());
    let ours = entries(&fs::read(&out).unwrap());
    assert_eq!(ours.len(), all.len() / 2 + 1);
    assert_eq!(ours, theirs);
}

#[test]
fn follow_prints_what_a_running_server_writes_across_rolls() {
    let Some(cp) = common::zk_or_skip("dump_follow") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let server = common::ZkServer::start(
        &cp,
        tmp.path(),
        &tmp.path().join("data"),
        "tickTime=500\npreAllocSize=64\nsnapCount=20\n",
        &[],
    );
    let data = tmp.path().join("data");
    let go = tmp.path().join("go");
    let n = 60;
    // The client creates /f (so log.1 exists), waits for the go file while
    // --follow starts, then writes enough for several rolls.
    let script = format!(
        "import os, time\n\
         from kazoo.client import KazooClient\n\
         zk = KazooClient(hosts='127.0.0.1:{}'); zk.start(timeout=20)\n\
         zk.create('/f', b'')\n\
         t0 = time.time()\n\
         while not os.path.exists({:?}) and time.time() - t0 < 60: time.sleep(0.05)\n\
         for i in range({n}):\n    zk.create('/f/n%03d' % i, b'x' * 200)\n\
         zk.stop(); zk.close()\n",
        server.port,
        go.display().to_string()
    );
    let mut py = Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(&script)
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    // Follow from the first log (named after the first zxid); a data dir
    // would start at whatever log is newest when --follow starts.
    let first = data.join("version-2/log.1");
    let t0 = Instant::now();
    while !first.exists() {
        assert!(t0.elapsed() < Duration::from_secs(30), "no log.1");
        std::thread::sleep(Duration::from_millis(50));
    }
    let follow = common::zkdd()
        .args([
            "dump",
            "--follow",
            "--from-start",
            "--json",
            "--follow-timeout",
            "5",
        ])
        .arg(&first)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // And the data dir form: starts at the newest log, then the same stream.
    let follow_dir = common::zkdd()
        .args(["dump", "--follow", "--json", "--follow-timeout", "5"])
        .arg(&data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    fs::write(&go, b"").unwrap();
    let py_status = py.wait().unwrap();
    let mut py_err = String::new();
    py.stderr
        .take()
        .unwrap()
        .read_to_string(&mut py_err)
        .unwrap();
    assert!(py_status.success(), "{py_err}");
    // --follow-timeout ends both; wait_with_output drains the pipes meanwhile.
    let file_out = follow.wait_with_output().unwrap();
    let status = file_out.status;
    let out = stdout(&file_out);
    let err = String::from_utf8_lossy(&file_out.stderr).into_owned();
    let dir_out = follow_dir.wait_with_output().unwrap();
    drop(server);
    assert_eq!(status.code(), Some(0), "{err}");
    assert_eq!(dir_out.status.code(), Some(0));
    let lines = json_lines(&out);
    let zxids: Vec<i64> = lines
        .iter()
        .map(|l| {
            i64::from_str_radix(l["zxid"].as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
        })
        .collect();
    assert!(zxids.windows(2).all(|w| w[0] < w[1]), "{zxids:?}");
    let created: Vec<&str> = lines
        .iter()
        .filter(|l| l["op"] == "create")
        .map(|l| l["path"].as_str().unwrap())
        .collect();
    let mut want = vec!["/f".to_string()];
    want.extend((0..n).map(|i| format!("/f/n{i:03}")));
    assert_eq!(created, want);
    // The server rolled to new logs while we followed.
    let mut files: Vec<&str> = lines.iter().map(|l| l["file"].as_str().unwrap()).collect();
    files.dedup();
    assert!(files.len() >= 2, "no roll seen: {files:?}");
    // Same entries as a plain dump of the finished dir.
    let all = run(&["dump", "--json", data.to_str().unwrap()]);
    let dumped: Vec<Value> = json_lines(&stdout(&all))
        .into_iter()
        .filter(|l| l["type"] == "txn")
        .collect();
    assert_eq!(dumped, lines);
    let dir_lines = json_lines(&stdout(&dir_out));
    assert!(!dir_lines.is_empty());
    assert!(lines.ends_with(&dir_lines), "dir follow is not a suffix");
}

#[test]
fn follow_waits_at_a_torn_tail_and_reports_real_corruption() {
    // A partial record at the end is a write in progress: not a problem.
    let torn = fixtures().join("crash/data/version-2/log.291");
    let o = run(&[
        "dump",
        "--json",
        "--follow",
        "--from-start",
        "--follow-timeout",
        "0.5",
        torn.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let lines = json_lines(&stdout(&o));
    let plain = run(&["dump", "--json", torn.to_str().unwrap()]);
    let want: Vec<Value> = json_lines(&stdout(&plain))
        .into_iter()
        .filter(|l| l["type"] == "txn")
        .collect();
    assert_eq!(lines, want);
    assert_eq!(lines.len(), 13);

    // A flipped byte mid-file is corruption, reported with its file offset.
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("log.1");
    let mut bytes = fs::read(fixtures().join("standalone/data/version-2/log.1")).unwrap();
    let all = entries(&bytes);
    let (off, framed, _) = &all[5];
    bytes[*off as usize + framed.len() / 2] ^= 0x01;
    fs::write(&log, &bytes).unwrap();
    let o = run(&[
        "dump",
        "--follow",
        "--from-start",
        "--follow-timeout",
        "0.5",
        log.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(&format!("offset {off:#x}")), "{err}");
    assert_eq!(
        stdout(&o).lines().filter(|l| !l.starts_with('#')).count(),
        5
    );
    // Starting at the end reads through the damage too, and says so; --tail
    // shows the entries before it.
    for (extra, shown) in [(None, 0), (Some("2"), 2)] {
        let mut args = vec!["dump", "--follow", "--follow-timeout", "0.5"];
        if let Some(n) = extra {
            args.extend(["--tail", n]);
        }
        args.push(log.to_str().unwrap());
        let o = run(&args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(&format!("offset {off:#x}")), "{err}");
        let lines: Vec<String> = stdout(&o)
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(str::to_string)
            .collect();
        assert_eq!(lines.len(), shown, "{args:?}");
        let zxids: Vec<String> = lines
            .iter()
            .map(|l| l.split(' ').next().unwrap().to_string())
            .collect();
        let want: Vec<String> = all[3..5].iter().map(|e| hex(e.2)).collect();
        assert_eq!(zxids, want[..shown].to_vec(), "{args:?}");
    }
}

/// The txn lines of `zkdd dump --json ARGS`.
fn dumped_txns(args: &[&str]) -> Vec<Value> {
    let mut a = vec!["dump", "--json"];
    a.extend_from_slice(args);
    json_lines(&stdout(&run(&a)))
        .into_iter()
        .filter(|l| l["type"] == "txn")
        .collect()
}

/// Like `tail -f`, --follow starts at the end of the log (reading it once
/// to find that end, and saying so with -v); --tail N shows the last N txns
/// that pass the filters first, from older logs too; --from-start the
/// whole newest log. On fixture logs, which nobody appends to.
#[test]
fn follow_starts_at_the_end_unless_told_otherwise() {
    let torn = fixtures().join("crash/data/version-2/log.291");
    let t = torn.to_str().unwrap();
    let all = dumped_txns(&[t]);
    assert_eq!(all.len(), 13);
    let follow = |extra: &[&str], target: &str| {
        let mut a = vec!["dump", "-f", "--json", "-v", "--follow-timeout", "0.3"];
        a.extend_from_slice(extra);
        a.push(target);
        let o = run(&a);
        assert_eq!(o.status.code(), Some(0), "{a:?}");
        (
            json_lines(&stdout(&o)),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (lines, err) = follow(&[], t);
    assert!(lines.is_empty(), "{lines:?}");
    assert!(
        err.contains(&format!(
            "following {t} from its end at offset 0x1ddf (13 txns before it)"
        )),
        "{err}"
    );
    let (lines, err) = follow(&["--tail", "3"], t);
    assert_eq!(lines, all[10..].to_vec());
    assert!(
        err.contains("the last 3 matching txns shown first"),
        "{err}"
    );
    assert_eq!(follow(&["--tail", "99"], t).0, all);
    assert_eq!(follow(&["--from-start"], t).0, all);
    // With filters, the last N that pass them.
    let sets: Vec<Value> = all
        .iter()
        .filter(|l| l["op"] == "setData")
        .cloned()
        .collect();
    assert!(sets.len() > 2);
    assert_eq!(
        follow(&["--tail", "2", "--op", "setData"], t).0,
        sets[sets.len() - 2..].to_vec()
    );

    // A data dir: the newest log holds one txn, so --tail goes back through
    // older logs, without a txn twice, in zxid order.
    let dir = fixtures().join("standalone/data");
    let d = dir.to_str().unwrap();
    let all = dumped_txns(&[d]);
    assert!(follow(&[], d).0.is_empty());
    for n in [1usize, 2, 30, 100] {
        let got = follow(&["--tail", &n.to_string()], d).0;
        assert_eq!(got, all[all.len() - n..].to_vec(), "--tail {n}");
    }
    let files: std::collections::BTreeSet<&str> = all[all.len() - 100..]
        .iter()
        .map(|l| l["file"].as_str().unwrap())
        .collect();
    assert!(files.len() >= 3, "{files:?}");
    assert_eq!(follow(&["--tail", "100000"], d).0, all);
    // Usage: --tail and --from-start need --follow and exclude each other.
    for bad in [
        &["dump", "--tail", "3", t][..],
        &["dump", "--from-start", t],
        &["dump", "-f", "--tail", "3", "--from-start", t],
    ] {
        assert_eq!(run(bad).status.code(), Some(2), "{bad:?}");
    }
}

/// A follower's output, read as it comes: stdout lines and stderr lines.
struct Follower {
    child: std::process::Child,
    out: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    err: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

/// A child process killed when the test ends, also by a panic (a client
/// or a follower must not outlive a failed test).
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Follower {
    fn spawn(args: &[&str]) -> Follower {
        use std::io::BufRead;
        let mut child = common::zkdd()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let err = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut threads = Vec::new();
        let pipe_out = child.stdout.take().unwrap();
        let o = out.clone();
        threads.push(std::thread::spawn(move || {
            for l in std::io::BufReader::new(pipe_out).lines() {
                o.lock().unwrap().push(l.unwrap());
            }
        }));
        let pipe_err = child.stderr.take().unwrap();
        let e = err.clone();
        threads.push(std::thread::spawn(move || {
            for l in std::io::BufReader::new(pipe_err).lines() {
                e.lock().unwrap().push(l.unwrap());
            }
        }));
        Follower {
            child,
            out,
            err,
            threads,
        }
    }

    /// Waits (up to 30 s) until `ready` holds for (stdout, stderr) so far.
    fn wait_for(&self, ready: impl Fn(&[String], &[String]) -> bool) {
        let t0 = Instant::now();
        while !ready(&self.out.lock().unwrap(), &self.err.lock().unwrap()) {
            assert!(
                t0.elapsed() < Duration::from_secs(30),
                "follower not ready: {:?}",
                self.err.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for the exit (--follow-timeout); returns the status, the JSON
    /// lines and stderr.
    fn finish(mut self) -> (Option<i32>, Vec<Value>, String) {
        let status = self.child.wait().unwrap();
        for t in self.threads.drain(..) {
            t.join().unwrap();
        }
        let out = self.out.lock().unwrap().join("\n");
        let err = self.err.lock().unwrap().join("\n");
        (status.code(), json_lines(&out), err)
    }
}

/// Against a real server appending: four followers start after the first
/// 45 creates (several log rolls). The default one shows exactly what was
/// written after it started; --tail 5 and --tail 40 (more than the newest
/// log holds, so from older logs too) show that many before it;
/// --from-start the whole log that was newest when it started. Each is a
/// slice of a plain dump of the finished data dir.
#[test]
fn follow_starts_at_the_end_of_what_a_live_server_wrote() {
    let Some(cp) = common::zk_or_skip("follow_starts_at_the_end_of_what_a_live_server_wrote")
    else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let server = common::ZkServer::start(
        &cp,
        tmp.path(),
        &data,
        "tickTime=500\npreAllocSize=64\nsnapCount=20\n",
        &[],
    );
    let (ready, go) = (tmp.path().join("ready"), tmp.path().join("go"));
    let script = format!(
        "import os, time\n\
         from kazoo.client import KazooClient\n\
         zk = KazooClient(hosts='127.0.0.1:{}'); zk.start(timeout=20)\n\
         zk.create('/pre', b'')\n\
         for i in range(45):\n    zk.create('/pre/n%03d' % i, b'before')\n\
         open({:?}, 'w').close()\n\
         t0 = time.time()\n\
         while not os.path.exists({:?}) and time.time() - t0 < 60: time.sleep(0.05)\n\
         zk.create('/post', b'')\n\
         for i in range(30):\n    zk.set('/post', b'after %d' % i)\n\
         zk.stop(); zk.close()\n",
        server.port,
        ready.display().to_string(),
        go.display().to_string()
    );
    let mut py = KillOnDrop(
        Command::new("/usr/bin/python3")
            .arg("-c")
            .arg(&script)
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3"),
    );
    let t0 = Instant::now();
    while !ready.exists() {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "the client did not get ready"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let d = data.to_str().unwrap();
    let base = ["dump", "-f", "--json", "-v", "--follow-timeout", "5"];
    let spawn = |extra: &[&str]| Follower::spawn(&[&base[..], extra, &[d]].concat());
    let caught_up = |_: &[String], err: &[String]| err.iter().any(|l| l.contains("from its end"));
    let followers = [
        spawn(&[]),
        spawn(&["--tail", "5"]),
        spawn(&["--tail", "40"]),
        spawn(&["--from-start"]),
    ];
    for f in &followers[..3] {
        f.wait_for(caught_up);
    }
    // --from-start prints the newest log's txns at once.
    followers[3].wait_for(|out, _| !out.is_empty());
    fs::write(&go, b"").unwrap();
    let py_status = py.0.wait().unwrap();
    let mut py_err = String::new();
    py.0.stderr
        .take()
        .unwrap()
        .read_to_string(&mut py_err)
        .unwrap();
    assert!(py_status.success(), "{py_err}");
    let results: Vec<_> = followers.into_iter().map(Follower::finish).collect();
    drop(server);
    for (code, _, err) in &results {
        assert_eq!(*code, Some(0), "{err}");
    }
    let all = dumped_txns(&[d]);
    // The first txn written after the followers started.
    let b = all.iter().position(|l| l["path"] == "/post").unwrap();
    assert_eq!(all[b - 1]["path"], "/pre/n044");
    assert!(b > 40);
    let (default, tail5, tail40, from_start) =
        (&results[0].1, &results[1].1, &results[2].1, &results[3].1);
    assert_eq!(default, &all[b..].to_vec(), "{}", results[0].2);
    assert!(default.len() >= 31);
    assert_eq!(tail5, &all[b - 5..].to_vec());
    assert_eq!(tail40, &all[b - 40..].to_vec());
    let files = |l: &[Value]| {
        l.iter()
            .map(|x| x["file"].as_str().unwrap().to_string())
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert!(
        files(&tail40[..40]).len() >= 2,
        "--tail 40 stayed in one log"
    );
    // --from-start: from the first txn of the log the others started at the end of.
    let newest = all[b - 1]["file"].as_str().unwrap();
    assert!(
        results[0]
            .2
            .contains(&format!("following {newest} from its end"))
    );
    let s = all.iter().position(|l| l["file"] == newest).unwrap();
    assert_eq!(from_start, &all[s..].to_vec());
}
