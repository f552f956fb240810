//! zkdd purge: plans on copies of every fixture (N = 1..5) checked against
//! the full directory listing after the run, recovery after purge checked
//! with zkdd's readers and with ZooKeeper's own restore, a comparison with
//! ZooKeeper's PurgeTxnLog, a property test over generated layouts, and the
//! failure cases (undeletable file, vanished file, wrong or swapped dirs, a
//! second purge).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use proptest::prelude::*;
use serde_json::Value;
use zkdd::files::datadir::{FileKind, classify};
use zkdd::format::jute::Limits;
use zkdd::format::txnlog::{IterOptions, TxnLog};
use zkdd::ops::purge::{
    self, Action, Inventory, InventoryFile, Location, Outcome, PurgeOptions, Verdict,
};

use crate::common;

/// File names in `<data>/version-2`.
fn listing(data: &Path) -> BTreeSet<String> {
    fs::read_dir(data.join("version-2"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn purge_json(data: &Path, extra: &[&str]) -> (Output, Vec<Value>) {
    let d = data.to_str().unwrap();
    let mut args = vec!["purge", "--json", d];
    args.extend_from_slice(extra);
    let o = common::run(&args);
    let lines = common::json_lines(&common::stdout(&o));
    (o, lines)
}

/// (file name, action, reason) of each per-file line.
fn plan_rows(lines: &[Value]) -> Vec<(String, String, String)> {
    lines
        .iter()
        .filter(|l| l["type"] == "file")
        .map(|l| {
            (
                l["name"].as_str().unwrap().to_string(),
                l["action"].as_str().unwrap().to_string(),
                l["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Files the plan removes: deleted, or moved with --archive-to.
fn planned_deletions(lines: &[Value]) -> BTreeSet<String> {
    plan_rows(lines)
        .into_iter()
        .filter(|(_, a, _)| a == "delete" || a == "archive")
        .map(|(n, _, _)| n)
        .collect()
}

fn zxid_of(name: &str) -> Option<(bool, i64)> {
    match classify(name) {
        FileKind::Snapshot(z, _) => Some((true, z.0)),
        FileKind::Log(z) => Some((false, z.0)),
        _ => None,
    }
}

/// The txns ZooKeeper's restore applies on top of snapshot zxid `s`: the
/// newest log at or before `s` and every later one (`FileTxnIterator`),
/// entries with zxid > s, in file order. Returns (zxid, txn bytes).
fn replay_txns(v2: &Path, s: i64) -> Vec<(i64, Vec<u8>)> {
    let mut logs: Vec<(i64, PathBuf)> = fs::read_dir(v2)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(
            |p| match zxid_of(&p.file_name().unwrap().to_string_lossy()) {
                Some((false, z)) => Some((z, p)),
                _ => None,
            },
        )
        .collect();
    logs.sort();
    let start = logs.iter().rposition(|(z, _)| *z <= s).unwrap_or(0);
    let mut out = Vec::new();
    for (_, p) in &logs[start.min(logs.len())..] {
        let bytes = fs::read(p).unwrap();
        let log = TxnLog::parse(&bytes).unwrap();
        for e in log.entries(IterOptions::default()) {
            let z = e.txn.header.zxid.0;
            if z > s {
                out.push((z, e.bytes.to_vec()));
            }
        }
    }
    out
}

fn snapshot_valid(path: &Path) -> bool {
    let c = match classify(&path.file_name().unwrap().to_string_lossy()) {
        FileKind::Snapshot(_, c) => c,
        _ => return false,
    };
    purge::verify_snapshot(path, c, Limits::default()) == Verdict::Valid
}

// ---- ZooKeeper's own restore, batched in one JVM ----

/// Compiles testdata/generate/Restore.java plus a driver that restores many
/// dirs in one JVM. `None` when java/javac or the jar is missing.
fn restore_classes() -> Option<&'static (String, PathBuf)> {
    static CLASSES: OnceLock<Option<(String, PathBuf)>> = OnceLock::new();
    CLASSES
        .get_or_init(|| {
            let cp = common::zk_classpath()?;
            if std::process::Command::new("javac")
                .arg("-version")
                .output()
                .is_err()
            {
                common::skip("purge (ZooKeeper restore oracle)", common::Missing::Javac);
                return None;
            }
            let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("purge-restore-classes");
            fs::create_dir_all(&dir).unwrap();
            fs::write(
                dir.join("RestoreMany.java"),
                "public class RestoreMany { public static void main(String[] a) throws Exception {\n\
                 for (int i = 0; i + 1 < a.length; i += 2) {\n\
                   try { Restore.main(new String[] { a[i], a[i + 1] }); }\n\
                   catch (Throwable t) { try (java.io.PrintStream p = new java.io.PrintStream(a[i + 1])) { p.println(\"ERROR \" + t); } }\n\
                 } } }\n",
            )
            .unwrap();
            let o = std::process::Command::new("javac")
                .arg("-d")
                .arg(&dir)
                .arg("-cp")
                .arg(&cp)
                .arg(common::root().join("testdata/generate/Restore.java"))
                .arg(dir.join("RestoreMany.java"))
                .output()
                .unwrap();
            assert!(o.status.success(), "javac: {}", stderr(&o));
            Some((cp, dir))
        })
        .as_ref()
}

/// Runs ZooKeeper's restore on each dir (one JVM); returns each output text.
fn zk_restore(dirs: &[PathBuf]) -> Option<Vec<String>> {
    let (cp, classes) = restore_classes()?;
    let outs: Vec<PathBuf> = dirs
        .iter()
        .map(|d| PathBuf::from(format!("{}.restore.jsonl", d.display())))
        .collect();
    let mut cmd = std::process::Command::new("java");
    cmd.args([
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        "-Dfile.encoding=UTF-8",
        "-Duser.timezone=UTC",
        "-Dzookeeper.extendedTypesEnabled=true",
        "-Djava.library.path=/usr/lib/x86_64-linux-gnu/jni",
        "-cp",
    ])
    .arg(format!("{cp}:{}", classes.display()))
    .arg("RestoreMany");
    for (d, o) in dirs.iter().zip(&outs) {
        cmd.arg(d).arg(o);
    }
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "RestoreMany: {}", stderr(&o));
    Some(
        outs.iter()
            .map(|p| fs::read_to_string(p).unwrap())
            .collect(),
    )
}

/// For every fixture and N = 1..5: the real run deletes exactly what the dry
/// run planned (full listing after the run), recovery from every kept
/// snapshot still reaches the same final state (zkdd's readers, and
/// ZooKeeper's own restore when available).
#[test]
fn fixture_copies_retain_1_to_5() {
    let tmp = tempfile::tempdir().unwrap();
    // ZooKeeper restores to compare: (purged copy, the same selection of the
    // ORIGINAL files). Some fixtures are trimmed (crash keeps only log.1), so
    // "before" is ZooKeeper's restore of the unpurged files, not expected/.
    let mut restores: Vec<(PathBuf, PathBuf)> = Vec::new();
    let mut references: BTreeMap<(usize, String), PathBuf> = BTreeMap::new();
    let mut reference = |fi: usize, fixture: &Path, only: Option<&str>| -> PathBuf {
        let key = (fi, only.unwrap_or("").to_string());
        references
            .entry(key)
            .or_insert_with(|| {
                let d = tmp
                    .path()
                    .join(format!("ref{fi}-{}", only.unwrap_or("whole")));
                common::copy_dir(fixture, &d);
                if let Some(keep) = only {
                    for other in listing(&d) {
                        if other != keep && matches!(zxid_of(&other), Some((true, _))) {
                            fs::remove_file(d.join("version-2").join(other)).unwrap();
                        }
                    }
                }
                d
            })
            .clone()
    };
    // Each copy is purged three ways: deleting, archiving on the same file
    // system (a rename) and archiving to another one (copy, sync, compare).
    let same_fs = tmp.path().join("archive");
    fs::create_dir(&same_fs).unwrap();
    let other = OtherFs::new(tmp.path());
    let mut modes: Vec<Option<(PathBuf, &str)>> = vec![None, Some((same_fs, "rename"))];
    if let Some(o) = &other {
        modes.push(Some((o.dir.clone(), "copy")));
    }
    let mut refused = 0;
    let mut deleted_any = 0;
    for (fi, fixture) in common::data_dirs().into_iter().enumerate() {
        let orig_v2 = fixture.join("version-2");
        let valid: Vec<i64> = listing(&fixture)
            .iter()
            .filter_map(|n| match zxid_of(n) {
                Some((true, z)) if snapshot_valid(&orig_v2.join(n)) => Some(z),
                _ => None,
            })
            .collect();
        let final_zxid = replay_txns(&orig_v2, i64::MIN)
            .last()
            .map(|(z, _)| *z)
            .unwrap_or(0);
        for (n, (mi, mode)) in
            (1..=5usize).flat_map(|n| modes.iter().enumerate().map(move |m| (n, m)))
        {
            let data = tmp.path().join(format!("f{fi}-n{n}-m{mi}"));
            common::copy_dir(&fixture, &data);
            let before = listing(&data);
            let ns = n.to_string();
            let mut args = vec!["--min-age".to_string(), "0".into(), "--retain".into(), ns];
            let archive = mode
                .as_ref()
                .map(|(root, _)| root.join(format!("f{fi}-n{n}")));
            if let Some(a) = &archive {
                fs::create_dir(a).unwrap();
                args.extend(["--archive-to".into(), a.display().to_string()]);
            }
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let (dry_o, dry) = purge_json(&data, &[&args[..], &["--dry-run"]].concat());
            assert_eq!(listing(&data), before, "dry run changed {}", data.display());
            let (real_o, real) = purge_json(&data, &args);
            let ctx = format!("{} N={n} archive {archive:?}", fixture.display());
            assert_eq!(code(&dry_o), code(&real_o), "{ctx}");
            assert_eq!(
                plan_rows(&dry),
                plan_rows(&real),
                "{ctx}: real run differs from the plan"
            );
            // Every file of the dir appears in the plan exactly once.
            let planned: BTreeSet<String> = plan_rows(&dry).into_iter().map(|r| r.0).collect();
            assert_eq!(planned, before, "{ctx}");
            let del = planned_deletions(&dry);
            let after = listing(&data);
            let expect: BTreeSet<String> = before.difference(&del).cloned().collect();
            assert_eq!(after, expect, "{ctx}: listing after the run");
            // --archive-to: exactly the removed files are in the archive, byte
            // for byte, moved the way the file system allows.
            if let (Some(a), Some((_, method))) = (&archive, mode) {
                let archived: BTreeSet<String> = fs::read_dir(a)
                    .unwrap()
                    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect();
                assert_eq!(archived, del, "{ctx}: archive listing");
                for name in &del {
                    assert!(
                        fs::read(a.join(name)).unwrap() == fs::read(orig_v2.join(name)).unwrap(),
                        "{ctx}: archived {name} differs"
                    );
                    let line = real.iter().find(|l| l["name"] == name.as_str()).unwrap();
                    assert_eq!(line["result"], "archived", "{ctx}");
                    assert_eq!(line["archive_method"], *method, "{ctx}");
                    assert_eq!(line["archive"], a.join(name).display().to_string(), "{ctx}");
                }
            }
            if valid.len() < n {
                // A young server: nothing to purge yet is success.
                assert_eq!(code(&real_o), 0, "{ctx}: {}", stderr(&real_o));
                let summary = real.iter().find(|l| l["type"] == "summary").unwrap();
                assert_eq!(summary["nothing_to_purge"], true, "{ctx}");
                assert!(summary["refused"].is_null(), "{ctx}");
                let want = format!(
                    "nothing to purge: {} valid snapshot{}, retaining {n}",
                    valid.len(),
                    if valid.len() == 1 { "" } else { "s" }
                );
                assert!(plan_rows(&real).iter().all(|(_, _, r)| *r == want), "{ctx}");
                assert!(del.is_empty(), "{ctx}");
                refused += 1;
                continue;
            }
            assert_eq!(code(&real_o), 0, "{ctx}: {}", stderr(&real_o));
            if !del.is_empty() {
                deleted_any += 1;
            }
            let summary = real.iter().find(|l| l["type"] == "summary").unwrap();
            let freed: u64 = del
                .iter()
                .map(|f| fs::metadata(orig_v2.join(f)).unwrap().len())
                .sum();
            assert_eq!(summary["bytes_freed"], freed, "{ctx}");

            // Exactly the N newest valid snapshots are kept (none is corrupt here).
            let v2 = data.join("version-2");
            let mut kept_snaps: Vec<i64> = after
                .iter()
                .filter_map(|f| match zxid_of(f) {
                    Some((true, z)) => Some(z),
                    _ => None,
                })
                .collect();
            kept_snaps.sort_unstable_by(|a, b| b.cmp(a));
            let mut want = valid.clone();
            want.sort_unstable_by(|a, b| b.cmp(a));
            want.truncate(n);
            assert_eq!(kept_snaps, want, "{ctx}");
            // Every kept snapshot replays to the end with the same txns as before.
            for name in after
                .iter()
                .filter(|f| matches!(zxid_of(f), Some((true, _))))
            {
                let (_, s) = zxid_of(name).unwrap();
                assert!(snapshot_valid(&v2.join(name)), "{ctx}: {name}");
                let got = replay_txns(&v2, s);
                assert_eq!(got, replay_txns(&orig_v2, s), "{ctx}: replay from {name}");
                if s < final_zxid {
                    assert_eq!(got.last().map(|t| t.0), Some(final_zxid), "{ctx}: {name}");
                }
                // For ZooKeeper: a copy holding only this snapshot and the remaining logs.
                let only = tmp.path().join(format!("f{fi}-n{n}-m{mi}-only-{name}"));
                common::copy_dir(&data, &only);
                for other in after
                    .iter()
                    .filter(|f| *f != name && matches!(zxid_of(f), Some((true, _))))
                {
                    fs::remove_file(only.join("version-2").join(other)).unwrap();
                }
                restores.push((only, reference(fi, &fixture, Some(name))));
            }
            let whole = tmp.path().join(format!("f{fi}-n{n}-m{mi}-whole"));
            common::copy_dir(&data, &whole);
            restores.push((whole, reference(fi, &fixture, None)));
        }
    }
    assert!(deleted_any > 0, "the fixtures should exercise deletions");
    eprintln!(
        "fixture_copies_retain_1_to_5: {refused} with nothing to purge (fewer than N valid snapshots)"
    );

    // Identical inputs restore identically: only copies purge changed need ZooKeeper.
    restores.retain(|(purged, reference)| listing(purged) != listing(reference));
    let mut dirs: Vec<PathBuf> = restores.iter().map(|r| r.0.clone()).collect();
    let refs: Vec<PathBuf> = references
        .into_values()
        .filter(|r| restores.iter().any(|(_, x)| x == r))
        .collect();
    dirs.extend(refs.iter().cloned());
    let Some(outputs) = zk_restore(&dirs) else {
        return;
    };
    assert!(!restores.is_empty());
    let by_dir: BTreeMap<&PathBuf, &String> = dirs.iter().zip(&outputs).collect();
    for (purged, reference) in &restores {
        let (got, want) = (by_dir[purged], by_dir[reference]);
        assert!(
            !want.starts_with("ERROR"),
            "{}: {want}",
            reference.display()
        );
        let first_diff = got
            .lines()
            .zip(want.lines())
            .find(|(a, b)| a != b)
            .map(|(a, b)| format!("{:.300}\n  vs {:.300}", a, b));
        assert!(
            got == want,
            "ZooKeeper's restore of {} differs from that of the unpurged {}: {first_diff:?} ({} vs {} lines)",
            purged.display(),
            reference.display(),
            got.lines().count(),
            want.lines().count()
        );
    }
}

/// A directory on another file system than `tmp` for --archive-to: a small
/// tmpfs mounted for the test when that is allowed (unmounted on drop),
/// else one under /dev/shm when that is another file system; `None` (the
/// cross-file-system cases are skipped, said on stderr) otherwise.
struct OtherFs {
    dir: PathBuf,
    mount: Option<PathBuf>,
    _shm: Option<tempfile::TempDir>,
}

impl OtherFs {
    fn new(tmp: &Path) -> Option<OtherFs> {
        Self::with_size(tmp, "256m")
    }

    /// A tmpfs of `size` (only a mount can be that small; no /dev/shm fallback
    /// when `size` is not the default).
    fn with_size(tmp: &Path, size: &str) -> Option<OtherFs> {
        use std::os::unix::fs::MetadataExt;
        let dev = |p: &Path| fs::metadata(p).unwrap().dev();
        let mnt = tmp.join(format!("tmpfs-{size}"));
        fs::create_dir_all(&mnt).unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&mnt)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if mounted && dev(&mnt) != dev(tmp) {
            return Some(OtherFs {
                dir: mnt.clone(),
                mount: Some(mnt),
                _shm: None,
            });
        }
        if size != "256m" {
            return None;
        }
        let shm = tempfile::tempdir_in("/dev/shm").ok()?;
        if dev(shm.path()) == dev(tmp) {
            eprintln!(
                "purge: no second file system (no tmpfs mount, no /dev/shm): archive copies not tested"
            );
            return None;
        }
        Some(OtherFs {
            dir: shm.path().to_path_buf(),
            mount: None,
            _shm: Some(shm),
        })
    }
}

impl Drop for OtherFs {
    fn drop(&mut self) {
        if let Some(m) = &self.mount {
            let _ = std::process::Command::new("umount")
                .arg("-l")
                .arg(m)
                .status();
        }
    }
}

// ---- ZooKeeper's PurgeTxnLog ----

/// Reasons zkdd may keep a file PurgeTxnLog deletes (README.purge.md, "Differences").
const SAFETY_RULES: &[&str] = &[
    "corrupt snapshot",
    "not a ZooKeeper file name",
    "left alone",
    "newest log",
    "younger than --min-age",
    "purge refused",
    "nothing to purge",
    "snapshot ",
    "needed to replay from",
];

fn purgetxnlog(cp: &str, data: &Path, n: usize) -> Output {
    let d = data.to_str().unwrap();
    common::zk_tool(
        cp,
        "org.apache.zookeeper.server.PurgeTxnLog",
        &[d, d, "-n", &n.to_string()],
    )
}

#[test]
fn against_zookeeper_purgetxnlog() {
    let Some(cp) = common::zk_or_skip("against_zookeeper_purgetxnlog") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    // (name, fixture, retain, damage)
    let mut cases: Vec<(String, PathBuf, usize, bool)> = Vec::new();
    for (i, f) in common::data_dirs().into_iter().enumerate() {
        for n in 3..=5 {
            cases.push((format!("c{i}-{n}"), f.clone(), n, false));
        }
    }
    for f in common::data_dirs().into_iter().filter(|f| {
        let s = f.to_string_lossy();
        s.contains("/crash/") || s.contains("/standalone/")
    }) {
        let i = cases.len();
        cases.push((format!("d{i}"), f, 3, true));
    }
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = cases
            .iter()
            .map(|(name, fixture, n, damage)| {
                let (tmp, cp) = (tmp.path(), &cp);
                scope.spawn(move || {
                    let a = tmp.join(format!("{name}-zk"));
                    let b = tmp.join(format!("{name}-zkdd"));
                    for d in [&a, &b] {
                        common::copy_dir(fixture, d);
                        if *damage {
                            damage_dir(d);
                        }
                    }
                    let zk = purgetxnlog(cp, &a, *n);
                    assert!(zk.status.success(), "PurgeTxnLog: {}", stderr(&zk));
                    let (o, lines) =
                        purge_json(&b, &["--min-age", "0", "--retain", &n.to_string()]);
                    (
                        name.clone(),
                        listing(&a),
                        listing(&b),
                        code(&o),
                        plan_rows(&lines),
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut differences = 0;
    for (name, zk_kept, zkdd_kept, status, rows) in results {
        assert!((0..=2).contains(&status), "{name}: exit {status}");
        // zkdd never deletes what PurgeTxnLog keeps.
        let missing: Vec<_> = zk_kept.difference(&zkdd_kept).collect();
        assert!(
            missing.is_empty(),
            "{name}: zkdd deleted {missing:?}, PurgeTxnLog kept them"
        );
        // Every extra file zkdd keeps is kept by one of the documented rules.
        let reasons: BTreeMap<String, String> = rows.into_iter().map(|(n, _, r)| (n, r)).collect();
        for extra in zkdd_kept.difference(&zk_kept) {
            differences += 1;
            let r = &reasons[extra];
            assert!(
                SAFETY_RULES.iter().any(|rule| r.contains(rule)),
                "{name}: {extra} kept for an undocumented reason: {r}"
            );
        }
    }
    assert!(
        differences > 0,
        "the damaged copies must show the safety rules"
    );
}

/// Damage ZooKeeper's tail check does not see, plus the names it misparses.
fn damage_dir(data: &Path) {
    let v2 = data.join("version-2");
    let mut snaps: Vec<(i64, String)> = listing(data)
        .into_iter()
        .filter_map(|n| zxid_of(&n).filter(|(s, _)| *s).map(|(_, z)| (z, n)))
        .collect();
    snaps.sort();
    let newest = v2.join(&snaps.last().unwrap().1);
    let mut bytes = fs::read(&newest).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    fs::write(&newest, bytes).unwrap();
    for n in ["log.bak", "snapshot.nothex", "log.1.chopped5", "log.1.bak"] {
        fs::write(v2.join(n), b"not zookeeper data").unwrap();
    }
}

// ---- property test over generated layouts ----

const OTHER_NAMES: &[&str] = &[
    "log.bak",
    "snapshot.nothex",
    "log.1.bak",
    "log.5.fixed",
    "log.5.chopped9",
    "snapshot.5.tmp",
    "currentEpoch",
    "acceptedEpoch",
    "currentEpoch.tmp",
    "myid",
    "README",
    "snapshot.5.gzip",
];

fn zxid_strategy() -> impl Strategy<Value = i64> {
    (0i64..3, 0i64..64).prop_map(|(e, c)| (e << 32) | c)
}

prop_compose! {
    fn layout()(
        snaps in prop::collection::vec((zxid_strategy(), any::<bool>(), 0u8..3, 0u64..200), 0..8),
        logs in prop::collection::vec((zxid_strategy(), 0u64..200), 0..8),
        others in prop::collection::vec((0..OTHER_NAMES.len(), 0u64..200), 0..5),
        retain in 1usize..6,
        min_age in prop::sample::select(vec![0u64, 100]),
        remove_corrupt in any::<bool>(),
        remove_leftovers in any::<bool>(),
    ) -> (Inventory, PurgeOptions) {
        let now = 1_000_000u64;
        let mut files: BTreeMap<String, InventoryFile> = BTreeMap::new();
        let mut add = |name: String, age: u64, verdict: Option<Verdict>| {
            files.entry(name.clone()).or_insert(InventoryFile {
                path: PathBuf::from("/d/version-2").join(&name),
                name,
                location: Location::Both,
                len: 10,
                mtime: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(now - age)),
                verdict,
            });
        };
        for (z, valid, c, age) in snaps {
            let suffix = [".gz", ".snappy", ""][c as usize];
            let v = if valid { Verdict::Valid } else { Verdict::Corrupt("bad seal".into()) };
            add(format!("snapshot.{z:x}{suffix}"), age, Some(v));
        }
        for (z, age) in logs {
            add(format!("log.{z:x}"), age, None);
        }
        for (i, age) in others {
            add(OTHER_NAMES[i].to_string(), age, None);
        }
        let inv = Inventory {
            snap_dir: "/d/version-2".into(),
            log_dir: "/d/version-2".into(),
            files: files.into_values().collect(),
        };
        let opts = PurgeOptions {
            retain,
            min_age: Duration::from_secs(min_age),
            remove_corrupt,
            remove_leftovers,
            keep_server_logs: 10,
        };
        (inv, opts)
    }
}

/// The newest recoverable state always survives `plan`: the newest valid
/// snapshot, the `retain` newest valid ones, and for each of them every
/// log ZooKeeper's restore would read; plus the newest log, young files,
/// unknown names, and corrupt snapshots and leftovers without their flags.
fn check_plan(
    inv: &Inventory,
    opts: &PurgeOptions,
    plan: &purge::PurgePlan,
    now: SystemTime,
) -> Result<(), TestCaseError> {
    let deleted: BTreeSet<&str> = plan.deletions().map(|f| f.name.as_str()).collect();
    prop_assert_eq!(plan.files.len(), inv.files.len());

    let mut valid: Vec<i64> = Vec::new();
    let mut logs: Vec<i64> = Vec::new();
    for f in &inv.files {
        let age = now.duration_since(f.mtime.unwrap()).unwrap();
        if age < opts.min_age {
            prop_assert!(
                !deleted.contains(f.name.as_str()),
                "young {} deleted",
                f.name
            );
        }
        match classify(&f.name) {
            FileKind::Snapshot(z, _) => {
                if f.verdict == Some(Verdict::Valid) {
                    valid.push(z.0);
                } else if !opts.remove_corrupt {
                    prop_assert!(
                        !deleted.contains(f.name.as_str()),
                        "corrupt {} deleted",
                        f.name
                    );
                }
            }
            FileKind::Log(z) => logs.push(z.0),
            _ => {
                let removable = f.name.ends_with(".fixed")
                    || f.name.contains(".chopped")
                    || (f.name.starts_with("snapshot.") && f.name.ends_with(".tmp"));
                if !(removable && opts.remove_leftovers) {
                    prop_assert!(!deleted.contains(f.name.as_str()), "{} deleted", f.name);
                }
            }
        }
    }
    valid.sort_unstable_by(|a, b| b.cmp(a));
    logs.sort_unstable();
    if valid.len() < opts.retain {
        prop_assert!(plan.refusal.is_some());
        prop_assert!(deleted.is_empty());
        return Ok(());
    }
    prop_assert!(plan.refusal.is_none());
    if let Some(newest) = logs.last() {
        let name = format!("log.{newest:x}");
        prop_assert!(!deleted.contains(name.as_str()), "newest log deleted");
    }
    let kept_logs: Vec<i64> = logs
        .iter()
        .copied()
        .filter(|z| !deleted.contains(format!("log.{z:x}").as_str()))
        .collect();
    let kept_valid: Vec<i64> = plan
        .files
        .iter()
        .filter(|f| f.action == Action::Keep && f.kind == purge::PlanKind::Snapshot)
        .filter(|f| {
            inv.files
                .iter()
                .any(|i| i.name == f.name && i.verdict == Some(Verdict::Valid))
        })
        .map(|f| f.zxid.unwrap().0)
        .collect();
    for s in valid.iter().take(opts.retain) {
        prop_assert!(
            kept_valid.contains(s),
            "valid snapshot {s:#x} of the newest {} deleted",
            opts.retain
        );
        // FileTxnLog.getLogFiles(logs, s): newest log <= s and every later one.
        let from = logs.iter().rposition(|z| z <= s).unwrap_or(0);
        for z in logs.iter().skip(from) {
            prop_assert!(
                kept_logs.contains(z),
                "log {z:#x} needed by snapshot {s:#x} deleted"
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// See [`check_plan`].
    #[test]
    fn newest_recoverable_state_is_preserved((inv, opts) in layout()) {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let plan = purge::plan(&inv, &opts, now);
        check_plan(&inv, &opts, &plan, now)?;
    }
}

/// The same layouts as real files, purged with --archive-to (to the same
/// file system and to another one, into an archive already holding some
/// of the names, with the same or other bytes): the plan keeps the newest
/// recoverable state ([`check_plan`]), and no byte of any file is lost:
/// each is still in the data dir or in the archive, unchanged; a name
/// already in the archive with other bytes is never overwritten.
#[test]
fn archiving_keeps_the_recoverable_state_and_loses_no_file() {
    use proptest::test_runner::{Config, TestRunner};
    let tmp = tempfile::tempdir().unwrap();
    let other = OtherFs::new(tmp.path());
    let mut runner = TestRunner::new(Config {
        cases: 64,
        ..Config::default()
    });
    let case = std::cell::Cell::new(0u32);
    let strategy = (layout(), any::<bool>(), prop::collection::vec(0u8..3, 16));
    runner
        .run(&strategy, |((inv, opts), cross, collide)| {
            let i = case.get();
            case.set(i + 1);
            let data = tmp.path().join(format!("d{i}"));
            let v2 = data.join("version-2");
            fs::create_dir_all(&v2).unwrap();
            let archive = match (&other, cross) {
                (Some(o), true) => o.dir.join(format!("a{i}")),
                _ => tmp.path().join(format!("a{i}")),
            };
            fs::create_dir_all(&archive).unwrap();
            // Real files, with the inventory's mtimes and distinct bytes.
            let mut inv = inv;
            inv.snap_dir = v2.clone();
            inv.log_dir = v2.clone();
            let mut content: BTreeMap<String, Vec<u8>> = BTreeMap::new();
            for (k, f) in inv.files.iter_mut().enumerate() {
                f.path = v2.join(&f.name);
                let bytes = format!("{} #{k} {}", f.name, "x".repeat(k * 37)).into_bytes();
                f.len = bytes.len() as u64;
                fs::write(&f.path, &bytes).unwrap();
                let h = fs::File::options().write(true).open(&f.path).unwrap();
                h.set_modified(f.mtime.unwrap()).unwrap();
                // Some names are in the archive already: same bytes (a run
                // that stopped before unlinking) or other bytes (never
                // overwritten).
                match collide.get(k).copied().unwrap_or(0) {
                    1 => fs::write(archive.join(&f.name), &bytes).unwrap(),
                    2 => fs::write(archive.join(&f.name), b"another file").unwrap(),
                    _ => {}
                }
                content.insert(f.name.clone(), bytes);
            }
            let before_archive: BTreeMap<String, Vec<u8>> = fs::read_dir(&archive)
                .unwrap()
                .map(|e| {
                    let e = e.unwrap();
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        fs::read(e.path()).unwrap(),
                    )
                })
                .collect();
            let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
            let plan = purge::plan(&inv, &opts, now);
            check_plan(&inv, &opts, &plan, now)?;
            let mut outcomes = BTreeMap::new();
            let report = purge::execute(&plan, false, Some(&archive), |f, o| {
                outcomes.insert(f.name.clone(), o.clone());
            });
            let planned: BTreeSet<&str> = plan.deletions().map(|f| f.name.as_str()).collect();
            for (name, bytes) in &content {
                let here = fs::read(v2.join(name)).ok();
                let there = fs::read(archive.join(name)).ok();
                let o = &outcomes[name];
                if !planned.contains(name.as_str()) {
                    prop_assert_eq!(here.as_ref(), Some(bytes), "kept {} changed", name);
                    prop_assert_eq!(there, before_archive.get(name).cloned());
                    continue;
                }
                match o {
                    Outcome::Archived { to, method } => {
                        prop_assert!(here.is_none(), "{} archived but still there", name);
                        prop_assert_eq!(to, &archive.join(name));
                        prop_assert_eq!(there.as_ref(), Some(bytes), "{} lost", name);
                        let want =
                            match (before_archive.contains_key(name), cross && other.is_some()) {
                                (true, _) => purge::ArchiveMethod::Existing,
                                (false, true) => purge::ArchiveMethod::Copy,
                                (false, false) => purge::ArchiveMethod::Link,
                            };
                        prop_assert_eq!(*method, want);
                    }
                    Outcome::Failed(e) => {
                        // Only a different file of that name stops it.
                        prop_assert!(e.contains("other content"), "{}: {}", name, e);
                        prop_assert_eq!(here.as_ref(), Some(bytes));
                        prop_assert_eq!(there.as_deref(), Some(&b"another file"[..]));
                    }
                    o => prop_assert!(false, "{}: {:?}", name, o),
                }
            }
            prop_assert!(report.sync_errors.is_empty());
            // Nothing but the archived names appeared in the archive.
            let names: BTreeSet<String> = fs::read_dir(&archive)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            let want: BTreeSet<String> = before_archive
                .keys()
                .cloned()
                .chain(planned.iter().map(|n| n.to_string()))
                .collect();
            prop_assert_eq!(names, want);
            Ok(())
        })
        .unwrap();
}

// ---- failure cases and options ----

fn fixture(name: &str) -> PathBuf {
    common::fixtures().join(name).join("data")
}

/// A purge that cannot delete one file: exit 1, the file named, the rest done.
#[test]
fn undeletable_file_exits_1_and_the_rest_is_done() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d");
    common::copy_dir(&fixture("snappy"), &data);
    let before = listing(&data);
    let (_, dry) = purge_json(&data, &["--min-age", "0", "-n"]);
    let del = planned_deletions(&dry);
    let victim = data.join("version-2/log.1");
    assert!(del.contains("log.1"));
    // Root ignores permission bits, but not the immutable attribute.
    let chattr = |flag: &str| {
        std::process::Command::new("chattr")
            .arg(flag)
            .arg(&victim)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !chattr("+i") {
        eprintln!(
            "undeletable_file: chattr +i not supported here; covered by execute_reports_failures_and_vanished_files"
        );
        return;
    }
    let o = common::run(&["purge", "--min-age", "0", data.to_str().unwrap()]);
    chattr("-i");
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains("log.1: not deleted"), "{}", stderr(&o));
    assert!(common::stdout(&o).contains("FAILED"));
    let mut expect: BTreeSet<String> = before.difference(&del).cloned().collect();
    expect.insert("log.1".into());
    assert_eq!(listing(&data), expect);
    // Read-only permission bits alone do not stop the owner's purge (unlink
    // needs the directory, not the file): the next run finishes the job.
    let mut perm = fs::metadata(&victim).unwrap().permissions();
    perm.set_readonly(true);
    fs::set_permissions(&victim, perm).unwrap();
    let o = common::run(&["purge", "--min-age", "0", "-q", data.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(o.stdout.is_empty(), "--quiet printed something");
    assert_eq!(listing(&data), before.difference(&del).cloned().collect());
}

/// Between plan and execute: a file that vanished is reported and is not an
/// error; one that became a directory (cannot be unlinked) is a failure; one
/// that changed size is not deleted.
#[test]
fn execute_reports_failures_and_vanished_files() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d");
    common::copy_dir(&fixture("snappy"), &data);
    let dir = zkdd::files::datadir::DataDir::open(&data, None).unwrap();
    let inv = purge::scan(&dir, None, Limits::default(), |_| {}).unwrap();
    let opts = PurgeOptions {
        min_age: Duration::ZERO,
        ..PurgeOptions::default()
    };
    let plan = purge::plan(&inv, &opts, SystemTime::now());
    let v2 = data.join("version-2");
    let del: Vec<String> = plan.deletions().map(|f| f.name.clone()).collect();
    assert!(del.len() >= 3);
    fs::remove_file(v2.join(&del[0])).unwrap();
    fs::remove_file(v2.join(&del[1])).unwrap();
    fs::create_dir(v2.join(&del[1])).unwrap();
    fs::write(v2.join(&del[1]).join("x"), b"x").unwrap();
    fs::OpenOptions::new()
        .append(true)
        .open(v2.join(&del[2]))
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"more"))
        .unwrap();
    let mut seen = BTreeMap::new();
    let report = purge::execute(&plan, false, None, |f, o| {
        seen.insert(f.name.clone(), o.clone());
    });
    assert_eq!(seen[&del[0]], Outcome::Vanished);
    assert!(matches!(seen[&del[1]], Outcome::Failed(_)));
    assert!(matches!(&seen[&del[2]], Outcome::Failed(e) if e.contains("changed")));
    assert_eq!((report.vanished, report.failed), (1, 2));
    assert_eq!(report.deleted, del.len() - 3);
    assert!(v2.join(&del[1]).is_dir() && v2.join(&del[2]).is_file());
    for d in &del[3..] {
        assert!(!v2.join(d).exists(), "{d}");
    }
}

#[test]
fn wrong_and_swapped_directories_exit_2_and_delete_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    fs::write(empty.join("notes.txt"), b"x").unwrap();
    let o = common::run(&["purge", "--min-age", "0", empty.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("not a ZooKeeper data directory"),
        "{}",
        stderr(&o)
    );
    assert!(empty.join("notes.txt").exists());

    // Snapshots in one dir, logs in another; then given the wrong way round.
    let src = fixture("standalone");
    let (snaps, logs) = (tmp.path().join("snaps"), tmp.path().join("logs"));
    for d in [&snaps, &logs] {
        fs::create_dir_all(d.join("version-2")).unwrap();
    }
    for name in listing(&src) {
        let to = if name.starts_with("log.") {
            &logs
        } else {
            &snaps
        };
        fs::copy(
            src.join("version-2").join(&name),
            to.join("version-2").join(&name),
        )
        .unwrap();
    }
    let (sl, ll) = (listing(&snaps), listing(&logs));
    let o = common::run(&[
        "purge",
        "--min-age",
        "0",
        logs.to_str().unwrap(),
        "--log-dir",
        snaps.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("swapped"), "{}", stderr(&o));
    assert_eq!((listing(&snaps), listing(&logs)), (sl.clone(), ll.clone()));
    // The right way round works, and prints both dirs.
    let o = common::run(&[
        "purge",
        "-n",
        "--min-age",
        "0",
        snaps.to_str().unwrap(),
        "--log-dir",
        logs.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(common::stdout(&o).contains("logs in"));
}

#[test]
fn second_concurrent_purge_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d");
    common::copy_dir(&fixture("snappy"), &data);
    let before = listing(&data);
    let lock_path = data.join("version-2").join(purge::LOCK_FILE);
    let held = fs::File::create(&lock_path).unwrap();
    held.try_lock().unwrap();
    let o = common::run(&["purge", "--min-age", "0", data.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("locked"), "{}", stderr(&o));
    let mut with_lock = before.clone();
    with_lock.insert(purge::LOCK_FILE.into());
    assert_eq!(listing(&data), with_lock);
    // A lock file left behind without a holder (a killed purge) does not block.
    drop(held);
    // Other test threads spawn processes; a child forked in the instant
    // before its exec shares our descriptor (and so the lock) until the exec
    // closes it. Retry briefly rather than fail on that window.
    let mut o = common::run(&["purge", "--min-age", "0", data.to_str().unwrap()]);
    for _ in 0..20 {
        if code(&o) != 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        o = common::run(&["purge", "--min-age", "0", data.to_str().unwrap()]);
    }
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(!lock_path.exists(), "lock file left behind");
    assert!(listing(&data).len() < before.len());
}

#[test]
fn version_dir_accepted_and_young_files_kept_by_default() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d");
    common::copy_dir(&fixture("snappy"), &data);
    let before = listing(&data);
    // Fresh copies are younger than the default --min-age: nothing goes.
    let v2 = data.join("version-2");
    let o = common::run(&["purge", v2.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = common::stdout(&o);
    assert!(out.contains("(given directly)"), "{out}");
    assert!(out.contains("younger than --min-age 10m"), "{out}");
    assert_eq!(listing(&data), before);
    let o = common::run(&["purge", "-n", data.to_str().unwrap()]);
    assert!(common::stdout(&o).contains("the version-2/ inside"));
    // --retain 0 is a usage error.
    assert_eq!(
        code(&common::run(&[
            "purge",
            "--retain",
            "0",
            data.to_str().unwrap()
        ])),
        2
    );
}

#[test]
fn corrupt_snapshots_are_reported_kept_and_removed_only_on_request() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d");
    common::copy_dir(&fixture("crash"), &data);
    let mut snaps: Vec<(i64, String)> = listing(&data)
        .into_iter()
        .filter_map(|n| zxid_of(&n).filter(|(s, _)| *s).map(|(_, z)| (z, n)))
        .collect();
    snaps.sort_unstable_by(|a, b| b.cmp(a));
    assert!(snaps.len() >= 4);
    damage_dir(&data); // corrupts the newest snapshot, adds odd names
    let (o, lines) = purge_json(&data, &["--min-age", "0", "-n"]);
    // A corrupt snapshot is a finding, as in verify: exit 1.
    assert_eq!(code(&o), 1);
    let newest = &snaps[0].1;
    assert!(
        stderr(&o).contains(&format!("{newest}: corrupt snapshot")),
        "{}",
        stderr(&o)
    );
    let rows: BTreeMap<String, (String, String)> = plan_rows(&lines)
        .into_iter()
        .map(|(n, a, r)| (n, (a, r)))
        .collect();
    assert_eq!(rows[newest].0, "keep");
    assert!(rows[newest].1.contains("corrupt"));
    assert_eq!(rows[&snaps[1].1].1, "snapshot 1 of 3 kept");
    assert_eq!(rows[&snaps[3].1].1, "snapshot 3 of 3 kept");
    for odd in ["log.bak", "snapshot.nothex", "log.1.bak", "log.1.chopped5"] {
        assert_eq!(rows[odd].0, "keep", "{odd}");
    }
    let (o, _) = purge_json(
        &data,
        &["--min-age", "0", "--remove-corrupt", "--remove-leftovers"],
    );
    assert_eq!(code(&o), 1);
    let after = listing(&data);
    assert!(!after.contains(newest.as_str()) && !after.contains("log.1.chopped5"));
    assert!(
        after.contains("log.bak")
            && after.contains("log.1.bak")
            && after.contains("snapshot.nothex")
    );
    assert!(after.contains(snaps[3].1.as_str()));
    // More snapshots asked for than there are valid ones (the corrupt one is
    // gone now): nothing to purge, success, nothing deleted.
    let before = listing(&data);
    let o = common::run(&[
        "purge",
        "--min-age",
        "0",
        "--retain",
        "99",
        data.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        common::stdout(&o).starts_with("nothing to purge: "),
        "{}",
        common::stdout(&o)
    );
    assert_eq!(listing(&data), before);
}

/// A young server (two valid snapshots, --retain 3) has nothing to purge
/// yet: exit 0 and one line, nothing at all with -q, nothing deleted. With a
/// corrupt snapshot among them it is a finding (exit 1) that names it, even
/// with -q.
#[test]
fn young_server_has_nothing_to_purge() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d");
    common::copy_dir(&fixture("standalone"), &data);
    let v2 = data.join("version-2");
    let mut snaps: Vec<(i64, String)> = listing(&data)
        .into_iter()
        .filter_map(|n| zxid_of(&n).filter(|(s, _)| *s).map(|(_, z)| (z, n)))
        .collect();
    snaps.sort_unstable();
    // The server's first two snapshots and every log: how it looked when young.
    for (_, name) in &snaps[2..] {
        fs::remove_file(v2.join(name)).unwrap();
    }
    let before = listing(&data);
    let d = data.to_str().unwrap();
    for dry in [true, false] {
        let mut args = vec!["purge", "--min-age", "0", d];
        if dry {
            args.push("-n");
        }
        let o = common::run(&args);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert_eq!(
            common::stdout(&o),
            "nothing to purge: 2 valid snapshots, retaining 3\n"
        );
        assert_eq!(stderr(&o), "");
        args.push("-q");
        let o = common::run(&args);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert!(o.stdout.is_empty() && o.stderr.is_empty(), "-q printed");
        assert_eq!(listing(&data), before);
    }
    // From the zoo.cfg's autopurge.snapRetainCount too.
    let cfg = tmp.path().join("zoo.cfg");
    fs::write(&cfg, format!("dataDir={d}\nautopurge.snapRetainCount=5\n")).unwrap();
    let o = common::run(&["purge", "--min-age", "0", "--config", cfg.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        common::stdout(&o),
        "nothing to purge: 2 valid snapshots, retaining 5\n"
    );

    // A corrupt snapshot among them: a finding, named even with -q.
    let newest = &snaps[1].1;
    let mut bytes = fs::read(v2.join(newest)).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    fs::write(v2.join(newest), bytes).unwrap();
    let o = common::run(&["purge", "--min-age", "0", "-q", d]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    assert!(
        stderr(&o).contains(&format!("{newest}: corrupt snapshot")),
        "{}",
        stderr(&o)
    );
    let o = common::run(&["purge", "--min-age", "0", d]);
    assert_eq!(code(&o), 1);
    assert_eq!(
        common::stdout(&o),
        format!(
            "nothing to purge: 1 valid snapshot, retaining 3 (corrupt, not counted: {newest})\n"
        )
    );
    let (o, lines) = purge_json(&data, &["--min-age", "0"]);
    assert_eq!(code(&o), 1);
    let summary = lines.last().unwrap();
    assert_eq!(summary["nothing_to_purge"], true);
    assert_eq!(summary["corrupt"][0]["file"], newest.as_str());
    assert_eq!(listing(&data), before);
}

#[test]
fn server_logs_keep_the_newest_rotated_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d");
    common::copy_dir(&fixture("gz"), &data);
    let logs = tmp.path().join("logs");
    fs::create_dir(&logs).unwrap();
    let now = SystemTime::now();
    for (i, name) in [
        "zookeeper.log",
        "zookeeper.log.1",
        "zookeeper.log.2",
        "zookeeper.log.3",
        "other.log.1",
    ]
    .iter()
    .enumerate()
    {
        let f = fs::File::create(logs.join(name)).unwrap();
        f.set_modified(now - Duration::from_secs(3600 * (i as u64 + 1)))
            .unwrap();
    }
    let o = common::run(&[
        "purge",
        "--retain",
        "1",
        "--min-age",
        "0",
        data.to_str().unwrap(),
        "--server-logs",
        logs.to_str().unwrap(),
        "--keep-server-logs",
        "1",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let left: BTreeSet<String> = fs::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let want: BTreeSet<String> = ["zookeeper.log", "zookeeper.log.1", "other.log.1"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(left, want);
}

/// --archive-to in text: the plan says where each file goes, the run says
/// ARCHIVED; a bad archive directory is refused before anything moves; a
/// full archive file system (a 64 KiB tmpfs) and an immutable archive
/// directory fail file by file with exit 1, and every file is still in one
/// piece somewhere, with no temporary file left in the archive.
#[test]
fn archive_to_in_text_and_when_it_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d");
    common::copy_dir(&fixture("snappy"), &data);
    let v2 = data.join("version-2");
    let d = data.to_str().unwrap();
    let before = listing(&data);
    let original = |name: &str| fs::read(fixture("snappy").join("version-2").join(name)).unwrap();

    // Refused, nothing moved: missing, a file, inside the data dir.
    let file = tmp.path().join("f");
    fs::write(&file, b"x").unwrap();
    for (bad, why) in [
        (
            tmp.path().join("missing"),
            "create the archive directory first",
        ),
        (file.clone(), "not a directory"),
        (v2.clone(), "which purge removes files from"),
    ] {
        let o = common::run(&[
            "purge",
            "--min-age",
            "0",
            d,
            "--archive-to",
            bad.to_str().unwrap(),
        ]);
        assert_eq!(code(&o), 2, "{bad:?}");
        assert!(stderr(&o).contains(why), "{}", stderr(&o));
        assert_eq!(listing(&data), before);
    }

    let archive = tmp.path().join("archive");
    fs::create_dir(&archive).unwrap();
    let a = archive.to_str().unwrap();
    let o = common::run(&["purge", "--min-age", "0", "-n", d, "--archive-to", a]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = common::stdout(&o);
    assert!(out.contains(&format!("archiving the rest to {a}")), "{out}");
    assert!(
        out.contains(&format!("-> {}", archive.join("log.1").display())),
        "{out}"
    );
    assert!(out.lines().any(|l| l.starts_with("ARCHIVE ")), "{out}");
    assert_eq!(listing(&data), before, "dry run moved files");
    assert_eq!(fs::read_dir(&archive).unwrap().count(), 0);

    // An immutable archive directory (ext4 and the like): nothing can go in.
    let chattr = |flag: &str, p: &Path| {
        std::process::Command::new("chattr")
            .arg(flag)
            .arg(p)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if chattr("+i", &archive) {
        let o = common::run(&["purge", "--min-age", "0", d, "--archive-to", a]);
        chattr("-i", &archive);
        assert_eq!(code(&o), 1, "{}", stderr(&o));
        assert!(stderr(&o).contains("log.1: not archived"), "{}", stderr(&o));
        assert!(common::stdout(&o).contains("FAILED"));
        assert_eq!(listing(&data), before);
        assert_eq!(fs::read_dir(&archive).unwrap().count(), 0);
    } else {
        eprintln!("archive_to: chattr +i not supported here; immutable archive not tested");
    }

    // A full file system: the logs (64 KiB each) cannot be copied.
    if let Some(small) = OtherFs::with_size(tmp.path(), "64k") {
        let s = small.dir.to_str().unwrap();
        let (o, lines) = purge_json(&data, &["--min-age", "0", "--archive-to", s]);
        assert_eq!(code(&o), 1, "{}", stderr(&o));
        let del = planned_deletions(&lines);
        assert!(del.contains("log.1"));
        let mut failed = 0;
        for name in &del {
            let line = lines.iter().find(|l| l["name"] == name.as_str()).unwrap();
            let (here, there) = (
                fs::read(v2.join(name)).ok(),
                fs::read(small.dir.join(name)).ok(),
            );
            match line["result"].as_str().unwrap() {
                "archived" => assert!(here.is_none() && there == Some(original(name))),
                "failed" => {
                    failed += 1;
                    assert!(
                        line["error"].as_str().unwrap().contains("source kept"),
                        "{line}"
                    );
                    assert_eq!(here, Some(original(name)));
                    assert!(there.is_none(), "{name}: partial copy left");
                }
                r => panic!("{name}: {r}"),
            }
        }
        assert!(failed > 0, "nothing failed on a 64 KiB file system");
        let leftovers: Vec<String> = fs::read_dir(&small.dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        // Once there is room the next run finishes the job.
        drop(small);
    } else {
        eprintln!("archive_to: cannot mount a small tmpfs here; a full archive is not tested");
    }
    let o = common::run(&["purge", "--min-age", "0", d, "--archive-to", a]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = common::stdout(&o);
    assert!(out.lines().any(|l| l.starts_with("ARCHIVED ")), "{out}");
    assert!(out.contains("archived to"), "{out}");
    for e in fs::read_dir(&archive).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        assert_eq!(fs::read(e.path()).unwrap(), original(&name), "{name}");
        assert!(!v2.join(&name).exists());
    }
}
