//! zkdd verify --prometheus: the textfile node_exporter reads says what
//! `verify --json` says, is written when verify cannot run, and passes
//! `promtool check metrics` (Debian's prometheus package).

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::common::{self, Missing};

/// (metric name, labels sorted by name) -> value.
type Samples = BTreeMap<(String, Vec<(String, String)>), f64>;

/// Parses the text format as zkdd writes it: `# HELP`/`# TYPE` comments,
/// then `name{k="v",...} value` lines (label values with the format's
/// three escapes).
fn parse(text: &str) -> Samples {
    let mut out = Samples::new();
    for line in text.lines() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let name_end = line.find(['{', ' ']).expect(line);
        let name = &line[..name_end];
        let mut rest = &line[name_end..];
        let mut labels = Vec::new();
        if let Some(body) = rest.strip_prefix('{') {
            let mut chars = body.char_indices();
            let mut key = String::new();
            loop {
                let (_, c) = chars.next().expect(line);
                match c {
                    '}' => break,
                    ',' => {}
                    '=' => {
                        assert_eq!(chars.next().map(|c| c.1), Some('"'), "{line}");
                        let mut value = String::new();
                        loop {
                            match chars.next().expect(line).1 {
                                '"' => break,
                                '\\' => match chars.next().expect(line).1 {
                                    'n' => value.push('\n'),
                                    c @ ('\\' | '"') => value.push(c),
                                    c => panic!("bad escape \\{c} in {line}"),
                                },
                                c => value.push(c),
                            }
                        }
                        labels.push((std::mem::take(&mut key), value));
                    }
                    c => key.push(c),
                }
            }
            rest = &body[chars.offset()..];
        }
        let value: f64 = rest.strip_prefix(' ').expect(line).parse().expect(line);
        labels.sort();
        let fresh = out.insert((name.to_string(), labels), value).is_none();
        assert!(fresh, "sample repeated: {line}");
    }
    out
}

fn get(samples: &Samples, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut l: Vec<(String, String)> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    l.sort();
    samples.get(&(name.to_string(), l)).copied()
}

fn require_promtool() -> bool {
    std::env::var_os("ZKDD_REQUIRE_PROMTOOL").is_some()
}

/// `promtool check metrics < file` must accept the file without a remark.
fn promtool_accepts(test: &str, file: &Path) {
    let run = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(fs::File::open(file).unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output();
    match run {
        Ok(o) => {
            let said = format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
            assert!(
                o.status.success() && said.trim().is_empty(),
                "promtool check metrics on {}: {:?}\n{said}\n{}",
                file.display(),
                o.status,
                fs::read_to_string(file).unwrap()
            );
        }
        Err(_) if require_promtool() => {
            panic!("{test}: promtool (Debian's prometheus package) is required")
        }
        Err(_) => common::skip(test, Missing::Promtool),
    }
}

fn now_s() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// Runs `verify --json --prometheus <file> <dir>`; returns the exit code,
/// the JSON lines and the metrics, after checking the run's own gauges.
fn verify_with_metrics(dir: &Path, file: &Path) -> (i32, Vec<Value>, Samples) {
    let before = now_s();
    let o = common::run(&[
        "verify",
        "--json",
        "--prometheus",
        file.to_str().unwrap(),
        dir.to_str().unwrap(),
    ]);
    let after = now_s();
    let code = o.status.code().unwrap();
    let text = fs::read_to_string(file).unwrap();
    let samples = parse(&text);
    let d = [("dir", dir.to_str().unwrap())];
    assert_eq!(
        get(&samples, "zkdd_verify_success", &d),
        Some(1.0),
        "{text}"
    );
    let ran = get(&samples, "zkdd_verify_last_run_timestamp_seconds", &d).unwrap();
    assert!(
        before - 0.001 <= ran && ran <= after + 0.001,
        "{ran} {before} {after}"
    );
    let took = get(&samples, "zkdd_verify_duration_seconds", &d).unwrap();
    assert!((0.0..=after - before + 0.001).contains(&took), "{took}");
    (code, common::json_lines(&common::stdout(&o)), samples)
}

/// Checks every number the metrics share with `verify --json`, and the
/// file counts and sizes against the directory itself.
fn assert_agrees_with_json(dir: &Path, lines: &[Value], samples: &Samples) {
    let d = dir.to_str().unwrap();
    let summary = lines.iter().find(|l| l["type"] == "summary").unwrap();
    for (severity, metric) in [
        ("errors", "zkdd_verify_errors"),
        ("warnings", "zkdd_verify_warnings"),
        ("notes", "zkdd_verify_notes"),
    ] {
        assert_eq!(
            get(samples, metric, &[("dir", d)]),
            Some(summary[severity].as_u64().unwrap() as f64),
            "{metric}"
        );
    }
    let mut by_code: BTreeMap<(String, String), f64> = BTreeMap::new();
    for f in lines.iter().filter(|l| l["type"] == "finding") {
        let key = (
            f["severity"].as_str().unwrap().to_string(),
            f["code"].as_str().unwrap().to_string(),
        );
        *by_code.entry(key).or_default() += 1.0;
    }
    let metric_codes: BTreeMap<(String, String), f64> = samples
        .iter()
        .filter(|((name, _), _)| name == "zkdd_verify_findings")
        .map(|((_, labels), v)| {
            let l: BTreeMap<&str, &str> = labels
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            assert_eq!(l["dir"], d);
            ((l["severity"].to_string(), l["code"].to_string()), *v)
        })
        .collect();
    assert_eq!(metric_codes, by_code);
    let zxid = summary["recoverable_zxid"]
        .as_str()
        .map(|z| u64::from_str_radix(z.trim_start_matches("0x"), 16).unwrap() as f64);
    assert_eq!(
        get(samples, "zkdd_verify_recoverable_zxid", &[("dir", d)]),
        zxid
    );
    // Files and bytes by kind, straight from the directory.
    let mut want: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    let mut newest: Option<(u64, SystemTime)> = None;
    for e in fs::read_dir(dir.join("version-2")).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        let meta = e.metadata().unwrap();
        let kind = match zkdd::files::datadir::classify(&name) {
            zkdd::files::datadir::FileKind::Log(_) => "log",
            zkdd::files::datadir::FileKind::Snapshot(z, _) => {
                if newest.is_none_or(|(n, _)| n < z.0 as u64) {
                    newest = Some((z.0 as u64, meta.modified().unwrap()));
                }
                "snapshot"
            }
            _ => continue,
        };
        let w = want.entry(kind).or_default();
        w.0 += 1.0;
        w.1 += meta.len() as f64;
    }
    for kind in ["log", "snapshot"] {
        let (files, bytes) = want.get(kind).copied().unwrap_or_default();
        let l = [("dir", d), ("kind", kind)];
        assert_eq!(get(samples, "zkdd_data_files", &l), Some(files), "{kind}");
        assert_eq!(get(samples, "zkdd_data_bytes", &l), Some(bytes), "{kind}");
    }
    let ran = get(
        samples,
        "zkdd_verify_last_run_timestamp_seconds",
        &[("dir", d)],
    )
    .unwrap();
    let age = get(samples, "zkdd_snapshot_newest_age_seconds", &[("dir", d)]);
    match newest {
        Some((_, mtime)) => {
            let mtime = mtime.duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
            let age = age.unwrap();
            assert!((ran - mtime - age).abs() < 0.01, "{age} {ran} {mtime}");
        }
        None => assert_eq!(age, None),
    }
}

#[test]
fn metrics_agree_with_verify_json_on_clean_crashed_and_damaged_dirs() {
    let tmp = tempfile::tempdir().unwrap();
    let damaged = tmp.path().join("damaged/data");
    common::copy_dir(&common::fixtures().join("standalone/data"), &damaged);
    // A flipped bit in the first entry of a middle log and in a snapshot.
    for (file, at) in [("log.218", 16 + 12 + 33), ("snapshot.217", 200)] {
        let p = damaged.join("version-2").join(file);
        let mut b = fs::read(&p).unwrap();
        b[at] ^= 0x01;
        fs::write(&p, b).unwrap();
    }
    for (dir, want_code, want_errors) in [
        (common::fixtures().join("standalone/data"), 0, false),
        (common::fixtures().join("crash/data"), 0, false),
        (damaged, 1, true),
    ] {
        let file = tmp.path().join("zkdd.prom");
        let (code, lines, samples) = verify_with_metrics(&dir, &file);
        assert_eq!(code, want_code, "{}", dir.display());
        assert_agrees_with_json(&dir, &lines, &samples);
        let errors = get(
            &samples,
            "zkdd_verify_errors",
            &[("dir", dir.to_str().unwrap())],
        );
        assert_eq!(errors.unwrap() > 0.0, want_errors, "{}", dir.display());
        promtool_accepts("metrics_agree_with_verify_json", &file);
    }
}

#[test]
fn several_dirs_share_one_file_with_a_dir_label_each() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("zkdd.prom");
    let a = common::fixtures().join("standalone/data");
    let b = common::fixtures().join("crash/data");
    let o = common::run(&[
        "verify",
        "--json",
        "--prometheus",
        file.to_str().unwrap(),
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let samples = parse(&fs::read_to_string(&file).unwrap());
    for d in [&a, &b] {
        let d = [("dir", d.to_str().unwrap())];
        assert_eq!(get(&samples, "zkdd_verify_success", &d), Some(1.0));
        assert!(get(&samples, "zkdd_verify_recoverable_zxid", &d).is_some());
    }
    assert_eq!(
        get(
            &samples,
            "zkdd_verify_findings",
            &[
                ("dir", b.to_str().unwrap()),
                ("severity", "warning"),
                ("code", "log_partial_record")
            ]
        ),
        Some(1.0)
    );
    promtool_accepts("several_dirs_share_one_file", &file);
}

#[test]
fn metrics_say_so_when_verify_cannot_run() {
    let tmp = tempfile::tempdir().unwrap();
    let not_data = tmp.path().join("not-a-data-dir");
    fs::create_dir(&not_data).unwrap();
    fs::write(not_data.join("README"), "hello").unwrap();
    let log = common::fixtures().join("standalone/data/version-2/log.1");
    let out = tmp.path().join("textfile");
    fs::create_dir(&out).unwrap();
    let file = out.join("zkdd.prom");
    // Yesterday's good numbers must not survive a run that fails.
    fs::write(&file, "zkdd_verify_success{dir=\"x\"} 1\n").unwrap();
    for (args, label) in [
        (vec![not_data.to_str().unwrap()], not_data.to_str().unwrap()),
        (
            vec!["/nonexistent/zookeeper/data"],
            "/nonexistent/zookeeper/data",
        ),
        // Metrics are about data dirs: a single file is refused.
        (vec![log.to_str().unwrap()], log.to_str().unwrap()),
        // No readable zoo.cfg: not even the dir is known.
        (vec!["--config", "/nonexistent/zoo.cfg"], ""),
    ] {
        let mut argv = vec!["verify", "--prometheus", file.to_str().unwrap()];
        argv.extend(&args);
        let o = common::run(&argv);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(!o.stderr.is_empty(), "{args:?}: the reason is on stderr");
        let text = fs::read_to_string(&file).unwrap();
        let samples = parse(&text);
        let d = [("dir", label)];
        assert_eq!(
            get(&samples, "zkdd_verify_success", &d),
            Some(0.0),
            "{args:?}\n{text}"
        );
        assert!(get(&samples, "zkdd_verify_last_run_timestamp_seconds", &d).is_some());
        assert!(get(&samples, "zkdd_verify_duration_seconds", &d).is_some());
        // Nothing else: there are no numbers to give.
        assert_eq!(samples.len(), 3, "{args:?}\n{text}");
        promtool_accepts("metrics_say_so_when_verify_cannot_run", &file);
    }
    // Temp + rename: nothing but the file is left in the directory.
    let names: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["zkdd.prom"]);
}

#[test]
fn config_mode_labels_the_data_dir_zoo_cfg_names() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("zk");
    common::copy_dir(&common::fixtures().join("crash/data"), &data);
    let cfg = tmp.path().join("zoo.cfg");
    fs::write(&cfg, format!("dataDir={}\n", data.display())).unwrap();
    let file = tmp.path().join("zkdd.prom");
    let o = common::run(&[
        "verify",
        "--config",
        cfg.to_str().unwrap(),
        "--prometheus",
        file.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let samples = parse(&fs::read_to_string(&file).unwrap());
    let d = [("dir", data.to_str().unwrap())];
    assert_eq!(get(&samples, "zkdd_verify_success", &d), Some(1.0));
    assert_eq!(get(&samples, "zkdd_verify_warnings", &d), Some(1.0));
    // The dir goes away: same label, success 0.
    fs::remove_dir_all(&data).unwrap();
    let o = common::run(&[
        "verify",
        "--config",
        cfg.to_str().unwrap(),
        "--prometheus",
        file.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let samples = parse(&fs::read_to_string(&file).unwrap());
    assert_eq!(get(&samples, "zkdd_verify_success", &d), Some(0.0));
}

#[test]
fn label_values_are_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let odd = tmp.path().join("a \"quoted\" back\\slash\nline");
    common::copy_dir(&common::fixtures().join("crash/data"), &odd);
    let file = tmp.path().join("zkdd.prom");
    let (code, lines, samples) = verify_with_metrics(&odd, &file);
    assert_eq!(code, 0);
    assert_agrees_with_json(&odd, &lines, &samples);
    promtool_accepts("label_values_are_escaped", &file);
}
