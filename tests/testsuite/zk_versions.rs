//! A snapshot written by `zkdd replay --output` loads in each ZooKeeper
//! version's own restore (`FileTxnSnapLog.restore`, run by
//! testdata/generate/Restore.java or RestoreOld.java against that version's
//! jar), and the restored tree is the one that version's restore built from
//! the original files (`expected/restore*.jsonl`). Needs the jars of
//! testdata/generate/fetch-jars.sh (`ZKDD_ZK_JARS` or
//! `~/.cache/zkdd/zk-jars`) and a JDK; skipped visibly otherwise.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common;

/// Debian's jars every version runs with (testdata/generate/vlib.sh).
const J: &str = "/usr/share/java";

/// How to run one version's restore.
struct Version {
    name: &'static str,
    /// Its class path (ZooKeeper jars + runtime dependencies).
    cp: String,
    /// Class-name prefix (3.5.9 from flink-shaded is relocated).
    prefix: &'static str,
    /// RestoreOld.java (3.4/3.5 API) instead of Restore.java.
    old_api: bool,
}

fn jars_dir() -> PathBuf {
    match std::env::var_os("ZKDD_ZK_JARS") {
        Some(d) => PathBuf::from(d),
        None => {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/zkdd/zk-jars")
        }
    }
}

/// The versions whose jars are here; `None` (skip recorded) when none.
fn versions(test: &str) -> Option<Vec<Version>> {
    let have_java = Command::new("javac").arg("-version").output().is_ok()
        && Command::new("java").arg("-version").output().is_ok();
    let d = jars_dir();
    let nop = format!("{J}/slf4j-api-1.7.32.jar:{J}/slf4j-nop-1.7.32.jar");
    let deps36 = format!("{J}/metrics-core-3.2.6.jar:{J}/snappy-java-1.1.8.3.jar");
    let spec: [(&str, &[&str], &str, bool, bool); 5] = [
        ("3.4", &["3.4/zookeeper-3.4.14.jar"], "", true, false),
        (
            "3.5",
            &["3.5/flink-shaded-zookeeper-3.5.9.jar"],
            "org.apache.flink.shaded.zookeeper3.",
            true,
            false,
        ),
        (
            "3.6",
            &["3.6/zookeeper-3.6.3.jar", "3.6/zookeeper-jute-3.6.3.jar"],
            "",
            false,
            true,
        ),
        (
            "3.8",
            &[
                "/usr/share/java/zookeeper.jar",
                "/usr/share/java/zookeeper-jute.jar",
            ],
            "",
            false,
            true,
        ),
        (
            "3.9",
            &["3.9/zookeeper-3.9.3.jar", "3.9/zookeeper-jute-3.9.3.jar"],
            "",
            false,
            true,
        ),
    ];
    let mut out = Vec::new();
    let mut missing = Vec::new();
    for (name, jars, prefix, old_api, deps) in spec {
        let jars: Vec<PathBuf> = jars.iter().map(|j| d.join(j)).collect();
        if !have_java || !jars.iter().all(|j| j.is_file()) {
            missing.push(name);
            continue;
        }
        let mut cp: Vec<String> = jars.iter().map(|j| j.display().to_string()).collect();
        cp.push(nop.clone());
        if deps {
            cp.push(deps36.clone());
        }
        out.push(Version {
            name,
            cp: cp.join(":"),
            prefix,
            old_api,
        });
    }
    if !missing.is_empty() {
        if std::env::var_os("ZKDD_REQUIRE_ZK_JARS").is_some() {
            panic!("{test}: no jar (or no java/javac) for ZooKeeper {missing:?}");
        }
        common::skip(
            &format!("{test} ({})", missing.join(", ")),
            common::Missing::ZkJars,
        );
    }
    (!out.is_empty()).then_some(out)
}

/// Compiles the restore dumper for `v` into `classes`.
fn build_restore(v: &Version, work: &Path) -> PathBuf {
    let gen_dir = common::root().join("testdata/generate");
    let classes = work.join(format!("classes-{}", v.name));
    let src = work.join(format!("src-{}", v.name));
    std::fs::create_dir_all(&classes).unwrap();
    std::fs::create_dir_all(&src).unwrap();
    let text = if v.old_api {
        std::fs::read_to_string(gen_dir.join("RestoreOld.java"))
            .unwrap()
            .replace(
                "org.apache.zookeeper.",
                &format!("{}org.apache.zookeeper.", v.prefix),
            )
            .replace("org.apache.jute.", &format!("{}org.apache.jute.", v.prefix))
    } else {
        std::fs::read_to_string(gen_dir.join("Restore.java")).unwrap()
    };
    std::fs::write(src.join("Restore.java"), text).unwrap();
    let o = Command::new("javac")
        .args(["-nowarn", "-d"])
        .arg(&classes)
        .args(["-cp", &v.cp])
        .arg(src.join("Restore.java"))
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "javac {}: {}",
        v.name,
        String::from_utf8_lossy(&o.stderr)
    );
    classes
}

/// Runs the version's restore on `data` (the parent of version-2/).
fn restore(v: &Version, classes: &Path, data: &Path) -> Result<String, String> {
    let o = Command::new("java")
        .args([
            "-Dfile.encoding=UTF-8",
            "-Duser.timezone=UTC",
            "-Djava.library.path=/usr/lib/x86_64-linux-gnu/jni",
            "-Dzookeeper.extendedTypesEnabled=true",
            "-cp",
        ])
        .arg(format!("{}:{}", v.cp, classes.display()))
        .arg("Restore")
        .arg(data)
        .output()
        .unwrap();
    if o.status.success() {
        Ok(String::from_utf8(o.stdout).unwrap())
    } else {
        let err = String::from_utf8_lossy(&o.stderr);
        Err(err.lines().take(3).collect::<Vec<_>>().join(" | "))
    }
}

/// Lines of a restore dump, keys normalised; the summary line apart.
fn lines(text: &str) -> (Vec<String>, serde_json::Value) {
    let mut out = Vec::new();
    let mut summary = serde_json::Value::Null;
    for l in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        if v["type"] == "restore" {
            summary = v;
        } else {
            out.push(v.to_string());
        }
    }
    (out, summary)
}

/// Restore points of a fixture: (zxid, expected file), the end as `None`.
fn targets(exp: &Path) -> Vec<(Option<String>, PathBuf)> {
    let mut v = vec![(None, exp.join("restore.jsonl"))];
    let mut points: Vec<(u64, PathBuf)> = std::fs::read_dir(exp)
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            let name = p.file_name()?.to_string_lossy().into_owned();
            let hex = name.strip_prefix("restore-at-")?.strip_suffix(".jsonl")?;
            Some((u64::from_str_radix(hex, 16).ok()?, p))
        })
        .collect();
    points.sort();
    // The lowest point (before the first snapshot but snapshot.0) and the highest.
    for (z, p) in [points.first(), points.last()].into_iter().flatten() {
        v.push((Some(format!("{z:#x}")), p.clone()));
    }
    v.dedup();
    v
}

/// The sections after seal #1 are those `version` writes: none (3.4, 3.5),
/// the digest (3.6+), and the lastProcessedZxid (3.9).
fn trailer_is_that_of(file: &Path, version: &str, what: &str) {
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let (zxid, c) = match zkdd::files::datadir::classify(&name) {
        zkdd::files::datadir::FileKind::Snapshot(z, c) => (z, c),
        other => panic!("{name}: {other:?}"),
    };
    let sb = zkdd::files::source::open_snapshot(file, c, true).unwrap();
    let snap = zkdd::format::snapshot::Snapshot::parse(&sb.stream, Default::default()).unwrap();
    let mut nodes = snap.nodes();
    for _ in &mut nodes {}
    let Some(zkdd::format::snapshot::SnapshotEnd::Complete(t)) = nodes.end() else {
        panic!("{what}: {:?}", nodes.end())
    };
    t.check_seals().unwrap();
    let v = zkdd::format::version::ZkVersion::parse(version).unwrap();
    assert_eq!(
        t.digest.is_some(),
        v.writes_snapshot_digest(),
        "{what}: digest section"
    );
    assert_eq!(
        t.last_processed_zxid,
        v.writes_last_processed_zxid().then_some(zxid),
        "{what}: lastProcessedZxid section"
    );
    assert_eq!(
        t.seals.len(),
        1 + usize::from(v.writes_snapshot_digest()) + usize::from(v.writes_last_processed_zxid()),
        "{what}: seals"
    );
}

#[test]
fn each_zookeeper_version_restores_the_snapshot_zkdd_writes() {
    let test = "each_zookeeper_version_restores_the_snapshot_zkdd_writes";
    let Some(versions) = versions(test) else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let mut checked = 0;
    let mut failures = Vec::new();
    for v in &versions {
        let classes = build_restore(v, work.path());
        let dirs: Vec<PathBuf> = common::all_data_dirs()
            .into_iter()
            .filter(|d| common::zk_version_of(d) == v.name)
            // Quorum members write /zookeeper/config locally: not in a restore.
            .filter(|d| !d.join("myid").exists())
            .collect();
        for dir in dirs {
            let exp = common::expected_dir(&dir).unwrap();
            // The compression of the fixture's newest snapshot.
            let newest = common::files(&dir, "snapshot.").pop();
            let suffix = newest
                .as_ref()
                .map(|p| p.to_string_lossy().into_owned())
                .map_or("", |p| {
                    if p.ends_with(".gz") {
                        ".gz"
                    } else if p.ends_with(".snappy") {
                        ".snappy"
                    } else {
                        ""
                    }
                });
            for (to, want_file) in targets(&exp) {
                let (want, want_summary) = lines(&std::fs::read_to_string(&want_file).unwrap());
                let last = want_summary["last_zxid"].as_i64().unwrap();
                // As 3.6–3.8 write (the default), and as this version writes.
                for zk_version in [None, Some(v.name)] {
                    let what = format!(
                        "{} {} --zk-version {} read by ZooKeeper {}",
                        dir.strip_prefix(common::root()).unwrap().display(),
                        to.as_deref()
                            .map_or("to the end".into(), |z| format!("--to-zxid {z}")),
                        zk_version.unwrap_or("(default)"),
                        v.name
                    );
                    let out = work.path().join(format!("out-{checked}"));
                    let v2 = out.join("version-2");
                    std::fs::create_dir_all(&v2).unwrap();
                    let file = v2.join(format!("snapshot.{last:x}{suffix}"));
                    let mut args = vec![
                        "replay",
                        dir.to_str().unwrap(),
                        "-o",
                        file.to_str().unwrap(),
                    ];
                    if let Some(z) = &to {
                        args.extend(["--to-zxid", z]);
                    }
                    if let Some(zv) = zk_version {
                        args.extend(["--zk-version", zv]);
                    }
                    let o = common::run(&args);
                    assert_eq!(
                        o.status.code(),
                        Some(0),
                        "{what}: {}",
                        String::from_utf8_lossy(&o.stderr)
                    );
                    checked += 1;
                    if let Some(zv) = zk_version {
                        trailer_is_that_of(&file, zv, &what);
                    }
                    let got = match restore(v, &classes, &out) {
                        Ok(text) => text,
                        Err(e) => {
                            failures.push(format!("{what}: restore failed: {e}"));
                            continue;
                        }
                    };
                    let (got, got_summary) = lines(&got);
                    if got != want {
                        let first = got.iter().zip(&want).position(|(g, w)| g != w);
                        failures.push(format!(
                            "{what}: {} lines, expected {}; first difference at {first:?}: {:?} vs {:?}",
                            got.len(),
                            want.len(),
                            first.map(|i| &got[i]),
                            first.map(|i| &want[i])
                        ));
                        continue;
                    }
                    assert_eq!(
                        got_summary["last_zxid"], want_summary["last_zxid"],
                        "{what}"
                    );
                    assert_eq!(got_summary["digest"], want_summary["digest"], "{what}");
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 12, "only {checked} snapshots restored");
}

/// `zkdd verify`'s startup prediction for a version: its `by_version`
/// entry for `v` when there is one, else the 3.8 prediction.
fn predicted_for(summary: &serde_json::Value, v: &str) -> (String, Option<String>) {
    let entry = summary["by_version"].as_array().unwrap().iter().find(|b| {
        let vs = b["versions"].as_str().unwrap();
        vs == v || (vs == "3.9.3+" && v == "3.9")
    });
    let s = entry.unwrap_or(summary);
    (
        s["zookeeper"].as_str().unwrap().to_string(),
        s["start_zxid"].as_str().map(str::to_string),
    )
}

#[test]
fn verify_predicts_each_versions_startup_on_damaged_copies() {
    let test = "verify_predicts_each_versions_startup_on_damaged_copies";
    let Some(versions) = versions(test) else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let mut checked = Vec::new();
    for v in &versions {
        let classes = build_restore(v, work.path());
        let src = crate::verify::root_of(v.name);
        for (case, (_tmp, dir)) in [
            (
                "empty newest log",
                crate::verify::empty_newest_log_copy(&src),
            ),
            ("no snapshot", crate::verify::no_snapshot_copy(&src)),
        ] {
            let o = common::run(&["verify", "--json", dir.to_str().unwrap()]);
            let verified = common::json_lines(&common::stdout(&o));
            let summary = verified.iter().find(|l| l["type"] == "summary").unwrap();
            let predicted = predicted_for(summary, v.name);
            // Restore on a copy: 3.9.3 deletes the empty log it skips.
            let copy = work.path().join(format!("{}-{}", v.name, checked.len()));
            common::copy_dir(&dir, &copy);
            let actual = match restore(v, &classes, &copy) {
                Ok(text) => {
                    let (_, s) = lines(&text);
                    let z = s["last_zxid"].as_i64().unwrap();
                    ("start".to_string(), Some(format!("{z:#x}")))
                }
                Err(_) => ("fail".to_string(), None),
            };
            assert_eq!(
                predicted, actual,
                "ZooKeeper {} on {case}: verify predicted {predicted:?}",
                v.name
            );
            checked.push(format!("{} {case}: {}", v.name, actual.0));
        }
    }
    // Both outcomes of both cases are exercised when every jar is here.
    if versions.len() == 5 {
        for want in [
            "3.9 empty newest log: start",
            "3.8 empty newest log: fail",
            "3.4 no snapshot: start",
            "3.5 no snapshot: fail",
        ] {
            assert!(
                checked.iter().any(|c| c == want),
                "{want} not seen in {checked:?}"
            );
        }
    }
}
