//! `zkdd verify --prometheus FILE`: the run as metrics in Prometheus's text
//! exposition format, for node_exporter's textfile collector.
//!
//! Each metric family is written once, `# HELP` and `# TYPE` first, with
//! one sample per data dir (label `dir`: the data dir as given on the
//! command line, or as zoo.cfg names it). Every metric is a gauge: each
//! describes the last run and none counts up from run to run, so none ends
//! in `_total`. Units are part of the names (`_seconds`, `_bytes`), values
//! in base units. A dir that could not be checked (exit status 2) gets
//! only `zkdd_verify_success 0` and the run's time and duration, so an
//! alert on the success gauge fires instead of the old values lingering.

use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::ops::verify::{Inventory, Report, Severity};

/// One data dir's part of a run.
#[derive(Clone, Copy, Debug)]
pub struct DirRun<'a> {
    /// The `dir` label ("" when not even the dir is known, e.g. an
    /// unreadable zoo.cfg; Prometheus treats that as no label).
    pub dir: &'a str,
    /// How long checking it took (the whole attempt when it could not run).
    pub duration: Duration,
    /// What verify found, and what the dir holds; `None` when verify could
    /// not run (exit status 2).
    pub result: Option<(&'a Report, &'a Inventory)>,
}

/// Writes the metrics of one run that finished at `finished`.
pub fn write(w: &mut dyn Write, finished: SystemTime, dirs: &[DirRun<'_>]) -> io::Result<()> {
    let checked = || {
        dirs.iter()
            .filter_map(|d| d.result.map(|(report, inv)| (d.dir, report, inv)))
    };
    family(
        w,
        "zkdd_verify_success",
        "1 when zkdd verify checked the data dir (exit status 0 or 1), 0 when it could not (exit status 2: I/O error, not a data dir, bad zoo.cfg).",
        dirs.iter()
            .map(|d| (dir_label(d.dir), u8::from(d.result.is_some()).to_string())),
    )?;
    let finished_s = seconds_since_epoch(finished);
    family(
        w,
        "zkdd_verify_last_run_timestamp_seconds",
        "When the last zkdd verify run finished, in seconds since the Unix epoch.",
        dirs.iter()
            .map(|d| (dir_label(d.dir), format!("{finished_s:.3}"))),
    )?;
    family(
        w,
        "zkdd_verify_duration_seconds",
        "How long the last zkdd verify run took on the data dir.",
        dirs.iter()
            .map(|d| (dir_label(d.dir), format!("{:.3}", d.duration.as_secs_f64()))),
    )?;
    for (severity, name, help) in [
        (
            Severity::Error,
            "zkdd_verify_errors",
            "Errors found by the last run: corruption, lost or skipped txns, a dir ZooKeeper cannot start from, a digest mismatch (verify exits 1).",
        ),
        (
            Severity::Warning,
            "zkdd_verify_warnings",
            "Warnings found by the last run, e.g. the torn last record of a crash (harmless for recovery).",
        ),
        (
            Severity::Note,
            "zkdd_verify_notes",
            "Notes from the last run (nothing wrong).",
        ),
    ] {
        family(
            w,
            name,
            help,
            checked().map(|(dir, r, _)| (dir_label(dir), r.count(severity).to_string())),
        )?;
    }
    family(
        w,
        "zkdd_verify_findings",
        "Findings of the last run by severity and code (see zkdd verify --help for the codes); codes not found have no sample.",
        checked().flat_map(|(dir, r, _)| {
            let mut by_code: BTreeMap<(Reverse<Severity>, &str), usize> = BTreeMap::new();
            for f in &r.findings {
                *by_code.entry((Reverse(f.severity), f.code)).or_default() += 1;
            }
            by_code.into_iter().map(move |((Reverse(s), code), n)| {
                (
                    labels(&[("dir", dir), ("severity", s.name()), ("code", code)]),
                    n.to_string(),
                )
            })
        }),
    )?;
    family(
        w,
        "zkdd_verify_recoverable_zxid",
        "Newest zxid up to which the history is complete (snapshot plus gap-free logs), as a number (exact while the epoch is below 2^21); no sample when nothing is recoverable.",
        checked().filter_map(|(dir, r, _)| {
            let z = r.recovery.as_ref()?.recoverable_zxid?;
            Some((dir_label(dir), (z.0 as u64).to_string()))
        }),
    )?;
    family(
        w,
        "zkdd_snapshot_newest_age_seconds",
        "Age of the snapshot with the highest zxid (by its modification time) when the run finished; no sample without snapshots.",
        checked().filter_map(|(dir, _, inv)| {
            let mtime = inv.newest_snapshot_mtime?;
            let age = match finished.duration_since(mtime) {
                Ok(d) => d.as_secs_f64(),
                // A snapshot from the future: a clock was set back.
                Err(e) => -e.duration().as_secs_f64(),
            };
            Some((dir_label(dir), format!("{age:.3}")))
        }),
    )?;
    family(
        w,
        "zkdd_data_files",
        "Txn log and snapshot files in the data dir (and dataLogDir).",
        checked().flat_map(|(dir, _, inv)| {
            [("log", inv.logs.count), ("snapshot", inv.snapshots.count)]
                .map(|(kind, n)| (labels(&[("dir", dir), ("kind", kind)]), n.to_string()))
        }),
    )?;
    family(
        w,
        "zkdd_data_bytes",
        "Bytes in txn log and snapshot files (apparent size: logs count with their preallocated zeros).",
        checked().flat_map(|(dir, _, inv)| {
            [("log", inv.logs.bytes), ("snapshot", inv.snapshots.bytes)]
                .map(|(kind, n)| (labels(&[("dir", dir), ("kind", kind)]), n.to_string()))
        }),
    )?;
    Ok(())
}

/// Writes one gauge family; nothing at all when it has no samples.
fn family(
    w: &mut dyn Write,
    name: &str,
    help: &str,
    samples: impl Iterator<Item = (String, String)>,
) -> io::Result<()> {
    let mut samples = samples.peekable();
    if samples.peek().is_none() {
        return Ok(());
    }
    writeln!(w, "# HELP {name} {}", escape(help, false))?;
    writeln!(w, "# TYPE {name} gauge")?;
    for (labels, value) in samples {
        writeln!(w, "{name}{labels} {value}")?;
    }
    Ok(())
}

fn dir_label(dir: &str) -> String {
    labels(&[("dir", dir)])
}

/// `{a="x",b="y"}` with the values escaped.
fn labels(pairs: &[(&str, &str)]) -> String {
    let body: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v, true)))
        .collect();
    format!("{{{}}}", body.join(","))
}

/// The text format's escapes: backslash and line feed everywhere, the
/// double quote too in label values.
fn escape(s: &str, label_value: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if label_value => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out
}

fn seconds_since_epoch(t: SystemTime) -> f64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::verify::{Files, Finding};

    fn finding(severity: Severity, code: &'static str) -> Finding {
        Finding {
            severity,
            code,
            file: "x".into(),
            offset: None,
            zxid: None,
            message: String::new(),
            meaning: None,
        }
    }

    #[test]
    fn escapes_label_values_and_help() {
        assert_eq!(
            labels(&[("dir", "a\\b\"c\nd")]),
            "{dir=\"a\\\\b\\\"c\\nd\"}"
        );
        assert_eq!(escape("say \"x\"\\\n", false), "say \"x\"\\\\\\n");
    }

    #[test]
    fn groups_each_family_and_counts_findings_by_code() {
        let report = Report {
            findings: vec![
                finding(Severity::Warning, "log_partial_record"),
                finding(Severity::Error, "log_checksum_mismatch"),
                finding(Severity::Error, "log_checksum_mismatch"),
            ],
            ..Report::default()
        };
        let inv = Inventory {
            logs: Files {
                count: 2,
                bytes: 100,
            },
            snapshots: Files { count: 1, bytes: 7 },
            newest_snapshot_mtime: Some(UNIX_EPOCH + Duration::from_secs(100)),
        };
        let dirs = [
            DirRun {
                dir: "/a",
                duration: Duration::from_millis(1500),
                result: Some((&report, &inv)),
            },
            DirRun {
                dir: "/b",
                duration: Duration::from_millis(2),
                result: None,
            },
        ];
        let mut out = Vec::new();
        write(&mut out, UNIX_EPOCH + Duration::from_secs(160), &dirs).unwrap();
        let text = String::from_utf8(out).unwrap();
        for line in [
            "zkdd_verify_success{dir=\"/a\"} 1",
            "zkdd_verify_success{dir=\"/b\"} 0",
            "zkdd_verify_last_run_timestamp_seconds{dir=\"/b\"} 160.000",
            "zkdd_verify_duration_seconds{dir=\"/a\"} 1.500",
            "zkdd_verify_errors{dir=\"/a\"} 2",
            "zkdd_verify_warnings{dir=\"/a\"} 1",
            "zkdd_verify_notes{dir=\"/a\"} 0",
            "zkdd_verify_findings{dir=\"/a\",severity=\"error\",code=\"log_checksum_mismatch\"} 2",
            "zkdd_verify_findings{dir=\"/a\",severity=\"warning\",code=\"log_partial_record\"} 1",
            "zkdd_snapshot_newest_age_seconds{dir=\"/a\"} 60.000",
            "zkdd_data_files{dir=\"/a\",kind=\"log\"} 2",
            "zkdd_data_bytes{dir=\"/a\",kind=\"snapshot\"} 7",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
        // No recovery analysis, no zxid; nothing but the run for /b.
        assert!(!text.contains("recoverable_zxid"));
        assert_eq!(text.matches("dir=\"/b\"").count(), 3, "{text}");
        // Each family once, HELP then TYPE then its samples.
        let mut seen = Vec::new();
        for l in text.lines() {
            let name = l
                .strip_prefix("# HELP ")
                .or_else(|| l.strip_prefix("# TYPE "))
                .unwrap_or(l)
                .split(['{', ' '])
                .next()
                .unwrap();
            if seen.last() != Some(&name) {
                assert!(!seen.contains(&name), "{name} split in\n{text}");
                seen.push(name);
            }
        }
    }
}
