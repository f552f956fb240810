//! zkdd report: the page of several real data dirs (clean, crash tail, gz,
//! damaged, diverged ensemble members, two points), read structurally and
//! checked against verify, dump --stats, du and diff; then rendered in
//! headless Chromium (started here, killed by PID): no console message, no
//! request leaving the file, the marks in the DOM, a screenshot that is not
//! blank. A page that does load something proves those checks can fail.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use zkdd::format::txnlog::{IterOptions, TxnLog};
use zkdd::format::write::TxnLogWriter;

use crate::common;

/// Runs `zkdd report ARGS -o <tmp>/report.html`; the output and the page.
fn report(tmp: &Path, args: &[&str]) -> (Output, String) {
    let page = tmp.join("report.html");
    let mut all: Vec<&str> = vec!["report"];
    all.extend_from_slice(args);
    let p = page.to_str().unwrap().to_string();
    all.extend(["-o", &p]);
    let o = common::run(&all);
    let html = std::fs::read_to_string(&page).unwrap_or_default();
    (o, html)
}

fn copy_fixture(rel: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    common::copy_dir(&common::fixtures().join(rel), &dir);
    (tmp, dir)
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// Every start tag of the page (`<...>`, comments and end tags left out).
/// Attribute values are escaped, so a tag ends at the first '>'.
fn tags(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        let Some(j) = rest[i..].find('>') else { break };
        let tag = &rest[i..i + j + 1];
        if !tag.starts_with("</") && !tag.starts_with("<!") {
            out.push(tag);
        }
        rest = &rest[i + j + 1..];
    }
    out
}

fn unescape(v: &str) -> String {
    v.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The attributes of a start tag.
fn attrs(tag: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut rest = tag;
    while let Some(eq) = rest.find("=\"") {
        let name = rest[..eq].rsplit([' ', '\n']).next().unwrap().to_string();
        let after = &rest[eq + 2..];
        let end = after.find('"').expect("closing quote");
        out.insert(name, unescape(&after[..end]));
        rest = &after[end + 1..];
    }
    out
}

/// The attributes of every `<g>` whose data-kind is `kind`.
fn marks(html: &str, kind: &str) -> Vec<HashMap<String, String>> {
    tags(html)
        .into_iter()
        .filter(|t| t.starts_with("<g "))
        .map(attrs)
        .filter(|a| a.get("data-kind").map(String::as_str) == Some(kind))
        .collect()
}

/// The markup of the first `<g>` group whose start tag contains all of `has`.
fn group<'a>(html: &'a str, has: &[&str]) -> &'a str {
    let mut at = 0;
    while let Some(i) = html[at..].find("<g ") {
        let start = at + i;
        let tag_end = start + html[start..].find('>').unwrap();
        let tag = &html[start..tag_end];
        if has.iter().all(|h| tag.contains(h)) {
            let end = start + html[start..].find("</g>").unwrap();
            return &html[start..end];
        }
        at = tag_end;
    }
    panic!("no group with {has:?}");
}

/// The page loads nothing: no script, no external resource, no URL in
/// any tag or in the style sheet, a CSP that forbids loading, and every
/// element and section it opens closed again.
fn assert_self_contained(html: &str) {
    assert!(html.starts_with("<!DOCTYPE html>"), "{}", &html[..80]);
    assert!(html.contains(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
    ));
    for tag in tags(html) {
        let name = tag[1..]
            .split([' ', '>', '\n', '/'])
            .next()
            .unwrap()
            .to_ascii_lowercase();
        assert!(
            ![
                "script", "link", "img", "iframe", "object", "embed", "base", "image", "use"
            ]
            .contains(&name.as_str()),
            "{tag}"
        );
        let lower = tag.to_ascii_lowercase();
        assert!(
            !lower.contains("http:") && !lower.contains("https:"),
            "{tag}"
        );
        let a = attrs(tag);
        assert!(
            !a.contains_key("src") && !a.contains_key("xlink:href"),
            "{tag}"
        );
        if let Some(h) = a.get("href") {
            assert!(h.starts_with('#'), "{tag}");
        }
    }
    let style = &html[html.find("<style>").unwrap()..html.find("</style>").unwrap()];
    assert!(
        !style.contains("url(") && !style.contains("@import"),
        "{style}"
    );
    for (open, close) in [
        ("<svg", "</svg>"),
        ("<g ", "</g>"),
        ("<section", "</section>"),
        ("<table", "</table>"),
        ("<title>", "</title>"),
    ] {
        assert_eq!(
            html.matches(open).count(),
            html.matches(close).count(),
            "{open}"
        );
    }
}

fn sections(html: &str) -> Vec<String> {
    tags(html)
        .into_iter()
        .filter(|t| t.starts_with("<section"))
        .filter_map(|t| attrs(t).get("id").cloned())
        .collect()
}

fn verify_summary(dir: &str) -> Value {
    let o = common::run(&["verify", "--json", dir]);
    common::json_lines(&common::stdout(&o))
        .into_iter()
        .find(|l| l["type"] == "summary")
        .unwrap()
}

#[test]
fn a_clean_data_dir_gets_every_section_and_agrees_with_verify_dump_and_du() {
    let dir = common::fixtures().join("standalone/data");
    let d = s(&dir);
    let tmp = tempfile::tempdir().unwrap();
    let (o, html) = report(tmp.path(), &[&d]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(common::stdout(&o).starts_with("OK: "), "{o:?}");
    assert_self_contained(&html);
    assert_eq!(sections(&html), ["verdict", "timeline", "txns", "space"]);

    // The verdict and the prediction as verify gives them.
    let v = verify_summary(&d);
    let sec = attrs(
        tags(&html)
            .into_iter()
            .find(|t| t.starts_with("<section id=\"verdict\""))
            .unwrap(),
    );
    assert_eq!(sec["data-verdict"], v["verdict"].as_str().unwrap());
    assert!(html.contains(&format!(
        "<p class=\"prediction\" data-zookeeper=\"start\">{}</p>",
        v["prediction"].as_str().unwrap()
    )));
    let startup = marks(&html, "startup");
    assert_eq!(startup.len(), 1);
    assert_eq!(
        startup[0]["data-from"],
        v["snapshot_zxid"].as_str().unwrap()
    );
    assert_eq!(startup[0]["data-to"], v["start_zxid"].as_str().unwrap());
    assert!(marks(&html, "damage").is_empty() && marks(&html, "crash-tail").is_empty());

    // Every log and snapshot is on the axis; the replayed ones say so.
    let on_zxids = |kind: &str| -> Vec<HashMap<String, String>> {
        marks(&html, kind)
            .into_iter()
            .filter(|m| m["data-axis"] == "zxid")
            .collect()
    };
    let logs = on_zxids("log");
    assert_eq!(logs.len(), common::files(&dir, "log.").len());
    assert_eq!(
        on_zxids("snapshot").len(),
        common::files(&dir, "snapshot.").len()
    );
    // Every log has txns, so each is on the time axis too.
    assert_eq!(marks(&html, "log").len(), 2 * logs.len());
    let replayed: Vec<&str> = logs
        .iter()
        .filter(|l| l.contains_key("data-startup"))
        .map(|l| l["data-file"].as_str())
        .collect();
    for l in v["logs"].as_array().unwrap() {
        let name = Path::new(l.as_str().unwrap())
            .file_name()
            .unwrap()
            .to_str()
            .unwrap();
        assert!(replayed.contains(&name), "{name} {replayed:?}");
    }

    // What purge would delete, file for file, as `zkdd purge -n --min-age 0` plans it.
    let p = common::run(&["purge", "-n", "--json", "--min-age", "0", &d]);
    let planned: Vec<String> = common::json_lines(&common::stdout(&p))
        .into_iter()
        .filter(|l| l["type"] == "file" && l["action"] == "delete")
        .map(|l| {
            Path::new(l["file"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert!(!planned.is_empty());
    let mut shaded: Vec<String> = marks(&html, "purge")
        .into_iter()
        .map(|m| m["data-file"].clone())
        .collect();
    let mut planned = planned;
    shaded.sort();
    planned.sort();
    assert_eq!(shaded, planned);

    // Txns as dump --stats counts them.
    let st = common::run(&["dump", "--stats", "--json", &d]);
    let stats = common::json_lines(&common::stdout(&st))
        .into_iter()
        .find(|l| l["type"] == "stats")
        .unwrap();
    let txns = attrs(
        tags(&html)
            .into_iter()
            .find(|t| t.starts_with("<section id=\"txns\""))
            .unwrap(),
    );
    assert_eq!(txns["data-txns"], stats["txns"].to_string());
    let op = |n: &str| stats["by_op"][n]["count"].as_u64().unwrap_or(0);
    let count = |kind: &str| -> u64 {
        marks(&html, "txns")
            .iter()
            .find(|m| m["data-op"] == kind)
            .map_or(0, |m| m["data-count"].parse().unwrap())
    };
    assert_eq!(count("setData"), op("setData"));
    assert_eq!(count("createSession"), op("createSession"));
    assert_eq!(count("closeSession"), op("closeSession"));
    assert_eq!(count("delete"), op("delete") + op("deleteContainer"));

    // Space from the newest snapshot, as du counts it.
    let snap = common::files(&dir, "snapshot.")
        .into_iter()
        .max_by_key(|p| {
            u64::from_str_radix(
                p.file_name()
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .trim_start_matches("snapshot."),
                16,
            )
            .unwrap()
        });
    let snap = snap.unwrap();
    let du = common::run(&["du", "--json", &s(&snap)]);
    let du = common::json_lines(&common::stdout(&du)).pop().unwrap();
    let space = tags(&html)
        .into_iter()
        .find(|t| t.contains("data-snapshot="))
        .map(attrs)
        .unwrap();
    assert_eq!(
        space["data-snapshot"],
        snap.file_name().unwrap().to_str().unwrap()
    );
    assert_eq!(space["data-nodes"], du["nodes"].to_string());
    let subtrees = marks(&html, "subtree");
    assert!(!subtrees.is_empty());
    let top: u64 = subtrees
        .iter()
        .chain(&marks(&html, "subtree-others"))
        .filter(|m| m["data-depth"] == "1")
        .map(|m| m["data-nodes"].parse::<u64>().unwrap())
        .sum();
    // The root itself is the one node no top-level box holds.
    assert_eq!(top + 1, du["nodes"].as_u64().unwrap());
}

/// Every real data dir, and a dir made of each corrupt fixture: the page
/// is written, self-contained, and the exit status is verify's.
#[test]
fn every_fixture_gets_a_page_and_verify_s_exit_status() {
    let tmp = tempfile::tempdir().unwrap();
    let mut dirs: Vec<PathBuf> = walkdir::WalkDir::new(common::root().join("testdata"))
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .filter(|p| {
            p.ends_with("version-2") && !p.starts_with(common::root().join("testdata/corrupt"))
        })
        .map(|p| p.parent().unwrap().to_path_buf())
        .collect();
    for c in std::fs::read_dir(common::root().join("testdata/corrupt")).unwrap() {
        let c = c.unwrap().path();
        let d = tmp.path().join(c.file_name().unwrap());
        std::fs::create_dir_all(d.join("version-2")).unwrap();
        for f in std::fs::read_dir(&c).unwrap() {
            let f = f.unwrap().path();
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with("log.") || name.starts_with("snapshot.") {
                std::fs::copy(&f, d.join("version-2").join(&name)).unwrap();
            }
        }
        dirs.push(d);
    }
    dirs.sort();
    assert!(dirs.len() > 25, "{dirs:?}");
    for d in dirs {
        let v = common::run(&["verify", &s(&d)]).status.code();
        let (o, html) = report(tmp.path(), &[&s(&d)]);
        assert_eq!(o.status.code(), v, "{}: {o:?}", d.display());
        assert_self_contained(&html);
        assert_eq!(
            &sections(&html)[..4],
            ["verdict", "timeline", "txns", "space"],
            "{}",
            d.display()
        );
    }
}

#[test]
fn a_damaged_length_is_marked_as_damage_at_the_txns_it_costs() {
    let (tmp, dir) = copy_fixture("snappy/data");
    let log = dir.join("version-2/log.166");
    let mut b = std::fs::read(&log).unwrap();
    b[249] ^= 8; // the entry at 0xf0: 0x168..0x16a are dropped
    std::fs::write(&log, b).unwrap();
    let (o, html) = report(tmp.path(), &[&s(&dir)]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(common::stdout(&o).starts_with("ERRORS: "));
    assert_self_contained(&html);
    let dmg = marks(&html, "damage");
    // On the zxid axis (with code, file and offset) and on the time axis.
    let on_axis: Vec<_> = dmg.iter().filter(|m| m["data-axis"] == "zxid").collect();
    assert_eq!(on_axis.len(), 1, "{dmg:?}");
    let m = on_axis[0];
    assert_eq!(m["data-zxid"], "0x168");
    assert_eq!(m["data-code"], "log_damaged_entry");
    assert_eq!(m["data-file"], "log.166");
    assert_eq!(m["data-offset"], "0xf0");
    assert!(dmg.iter().any(|m| m["data-axis"] == "time"));
    let lost: Vec<String> = marks(&html, "lost")
        .into_iter()
        .filter(|m| m["data-axis"] == "zxid")
        .map(|m| m["data-zxid"].clone())
        .collect();
    assert_eq!(lost, ["0x168", "0x169"]);
    assert!(marks(&html, "crash-tail").is_empty());
    let sec = attrs(
        tags(&html)
            .into_iter()
            .find(|t| t.starts_with("<section id=\"verdict\""))
            .unwrap(),
    );
    assert_eq!(sec["data-verdict"], "errors");
    assert!(html.contains(
        "<tr data-severity=\"error\" data-code=\"log_damaged_entry\" data-file=\"log.166\">"
    ));

    // Drawn where log.166's bar (0x166 up to the last txn read) ends.
    let bar = group(
        &html,
        &[
            "data-kind=\"log\"",
            "data-file=\"log.166\"",
            "data-side=\"this\"",
        ],
    );
    let rect = attrs(
        tags(bar)
            .into_iter()
            .find(|t| t.starts_with("<rect"))
            .unwrap(),
    );
    let right: f64 = rect["x"].parse::<f64>().unwrap() + rect["width"].parse::<f64>().unwrap();
    let line = group(&html, &["data-kind=\"damage\"", "data-code="]);
    let pts = attrs(
        tags(line)
            .into_iter()
            .find(|t| t.starts_with("<polyline"))
            .unwrap(),
    );
    let x: f64 = pts["points"].split(',').next().unwrap().parse().unwrap();
    assert!(
        (x - right).abs() <= 2.0,
        "damage at x={x}, log.166 ends at x={right}"
    );
}

#[test]
fn a_crash_tail_is_a_warning_mark_after_the_last_txn() {
    let dir = common::fixtures().join("crash/data");
    let tmp = tempfile::tempdir().unwrap();
    let (o, html) = report(tmp.path(), &[&s(&dir)]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert_self_contained(&html);
    let v = verify_summary(&s(&dir));
    let start = zkdd::zxid::Zxid::parse(v["start_zxid"].as_str().unwrap()).unwrap();
    let tail: Vec<_> = marks(&html, "crash-tail")
        .into_iter()
        .filter(|m| m["data-axis"] == "zxid")
        .collect();
    assert_eq!(tail.len(), 1, "{tail:?}");
    assert_eq!(
        tail[0]["data-zxid"],
        zkdd::zxid::Zxid(start.0 + 1).to_string()
    );
    assert!(marks(&html, "damage").is_empty());
    assert!(html.contains("data-verdict=\"warnings\""));
}

#[test]
fn a_missing_log_is_a_gap_over_the_zxids_it_held() {
    let (tmp, dir) = copy_fixture("standalone/data");
    // log.87 holds 0x87..0xb8; log.b9 follows it.
    std::fs::remove_file(dir.join("version-2/log.87")).unwrap();
    let (o, html) = report(tmp.path(), &[&s(&dir)]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "a newer snapshot covers it: {o:?}"
    );
    let gaps: Vec<_> = marks(&html, "gap")
        .into_iter()
        .filter(|m| m["data-axis"] == "zxid")
        .collect();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(gaps[0]["data-zxid"], "0x87");
    assert_eq!(gaps[0]["data-end"], "0xb8");
    assert_eq!(gaps[0]["data-code"], "log_zxid_gap");
    assert_eq!(gaps[0]["data-file"], "log.b9");
    assert!(html.contains("data-verdict=\"warnings\""));
}

#[test]
fn a_gz_data_dir_reads_its_compressed_snapshot_and_json_says_so() {
    let dir = common::fixtures().join("gz/data");
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("gz.html");
    let o = common::run(&["report", "--json", &s(&dir), "-o", &s(&page)]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let line = common::json_lines(&common::stdout(&o)).pop().unwrap();
    assert_eq!(line["type"], "summary");
    assert_eq!(line["command"], "report");
    assert_eq!(line["verdict"], "ok");
    assert_eq!(
        line["size"].as_u64().unwrap(),
        std::fs::metadata(&page).unwrap().len()
    );
    let html = std::fs::read_to_string(&page).unwrap();
    assert_self_contained(&html);
    assert!(
        html.contains("data-snapshot=\"snapshot.fe.gz\""),
        "newest gz snapshot"
    );
}

#[test]
fn filters_narrow_the_txns_and_space_but_never_the_verdict() {
    let dir = s(&common::fixtures().join("standalone/data"));
    let tmp = tempfile::tempdir().unwrap();
    let (_, all) = report(tmp.path(), &[&dir]);
    let txns = |html: &str| -> u64 {
        attrs(
            tags(html)
                .into_iter()
                .find(|t| t.starts_with("<section id=\"txns\""))
                .unwrap(),
        )["data-txns"]
            .parse()
            .unwrap()
    };
    let (o, app) = report(tmp.path(), &[&dir, "--prefix", "/app"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(txns(&app) > 0 && txns(&app) < txns(&all));
    assert!(
        marks(&app, "subtree")
            .iter()
            .all(|m| m["data-path"].starts_with("/app/"))
    );
    let (_, none) = report(tmp.path(), &[&dir, "--since", "2100-01-01"]);
    assert_eq!(txns(&none), 0);
    let zxid_logs = |html: &str| {
        marks(html, "log")
            .into_iter()
            .filter(|m| m["data-axis"] == "zxid")
            .count()
    };
    assert_eq!(zxid_logs(&none), zxid_logs(&all), "files stay");
    assert!(none.contains("data-verdict=\"ok\""));
}

#[test]
fn diverged_members_are_compared_and_the_divergence_is_marked() {
    let m = common::fixtures().join("ensemble");
    let (m1, m2) = (m.join("member1/data"), m.join("member2/data"));
    let tmp = tempfile::tempdir().unwrap();
    // Members that agree.
    let (o, html) = report(tmp.path(), &[&s(&m1), &s(&m2)]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert_self_contained(&html);
    assert_eq!(
        sections(&html),
        ["verdict", "timeline", "txns", "space", "divergence"]
    );
    assert!(marks(&html, "divergence").is_empty());
    assert!(html.contains("data-kind=\"no-divergence\""));
    assert!(html.contains("data-added=\"0\" data-removed=\"0\" data-modified=\"0\""));
    assert!(
        marks(&html, "log")
            .iter()
            .any(|l| l["data-side"] == "other"),
        "the other member's files"
    );

    // A copy of member2 with one txn changed in its last log (as diff's test).
    let copy = tmp.path().join("m2");
    common::copy_dir(&m2, &copy);
    let last = common::files(&copy, "log.").pop().unwrap();
    let bytes = std::fs::read(&last).unwrap();
    let log = TxnLog::parse(&bytes).unwrap();
    let mut w = TxnLogWriter::new();
    let mut target = None;
    for (i, e) in log.entries(IterOptions::default()).enumerate() {
        let mut b = e.bytes.to_vec();
        if i == 2 {
            b[20] ^= 0x01; // the txn's time
            target = Some(e.txn.header.zxid);
        }
        w.append_bytes(&b);
    }
    std::fs::write(&last, w.finish(None)).unwrap();
    let target = target.unwrap().to_string();
    let (o, html) = report(tmp.path(), &[&s(&m1), &s(&copy)]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "a divergence is not an error in the dir: {o:?}"
    );
    let div = marks(&html, "divergence");
    assert!(div.iter().any(|m| m["data-zxid"] == target), "{div:?}");
    assert!(html.contains(&format!(
        "data-kind=\"divergence\" data-zxid=\"{target}\">The logs part at zxid"
    )));
    // diff --logs finds the same place.
    let d = common::run(&["diff", "--logs", "--json", &s(&m1), &s(&copy)]);
    let line = common::json_lines(&common::stdout(&d))
        .into_iter()
        .find(|l| l["type"] == "divergence")
        .unwrap();
    assert_eq!(line["zxid"], target.as_str());
}

#[test]
fn two_points_are_compared_as_diff_compares_them() {
    let dir = s(&common::fixtures().join("standalone/data"));
    let (a, b) = (format!("{dir}@0x100"), format!("{dir}@0x200"));
    let tmp = tempfile::tempdir().unwrap();
    let (o, html) = report(tmp.path(), &[&a, &b]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert_self_contained(&html);
    let points: Vec<String> = marks(&html, "point")
        .into_iter()
        .filter(|m| m["data-axis"] == "zxid")
        .map(|m| m["data-zxid"].clone())
        .collect();
    assert_eq!(points, ["0x100", "0x200"]);
    let d = common::run(&["diff", "--json", &a, &b]);
    let sum = common::json_lines(&common::stdout(&d)).pop().unwrap();
    let t = attrs(
        tags(&html)
            .into_iter()
            .find(|t| t.starts_with("<p id=\"tree-diff\""))
            .unwrap(),
    );
    for k in ["added", "removed", "modified"] {
        assert_eq!(t[&format!("data-{k}")], sum[k].to_string(), "{k}");
    }
}

#[test]
fn bad_invocations_exit_2_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = s(&common::fixtures().join("standalone/data"));
    let page = tmp.path().join("x.html");
    for args in [
        vec![
            "report",
            tmp.path().to_str().unwrap(),
            "-o",
            page.to_str().unwrap(),
        ],
        vec![
            "report",
            &format!("{dir}@0x100"),
            "-o",
            page.to_str().unwrap(),
        ],
        vec![
            "report",
            &dir,
            "--prefix",
            "app",
            "-o",
            page.to_str().unwrap(),
        ],
        vec![
            "report",
            &dir,
            "--since",
            "yesterday",
            "-o",
            page.to_str().unwrap(),
        ],
    ] {
        let o = common::run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {o:?}");
        assert!(!page.exists(), "{args:?}");
    }
    // Never into the data dir itself.
    let (_t, copy) = copy_fixture("standalone/data");
    let inside = copy.join("version-2/report.html");
    let o = common::run(&["report", &s(&copy), "-o", &s(&inside)]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(!inside.exists());
}

const HOSTILE_NODES: &str = r#"
import sys
from kazoo.client import KazooClient
zk = KazooClient(hosts=sys.argv[1]); zk.start()
zk.create("/<script>alert(1)<", b"x")
zk.create("/q\"uote&amp'", b"y" * 300)
for i in range(40):
    zk.create("/<script>alert(1)</b%d>" % i, b"<img src=http://127.0.0.1:9/x>")
zk.create("/eph<i>", b"", ephemeral=True)
zk.stop()
"#;

/// Znode names are text: a real server's tree full of markup and quotes
/// comes out escaped, and the page still loads nothing.
#[test]
fn markup_in_znode_names_is_escaped() {
    let Some(cp) = common::zk_or_skip("markup_in_znode_names_is_escaped") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    {
        let zk = common::ZkServer::start(&cp, tmp.path(), &data, "snapCount=20\n", &[]);
        let o = Command::new("/usr/bin/python3")
            .args(["-c", HOSTILE_NODES, &format!("127.0.0.1:{}", zk.port)])
            .output()
            .expect("python3");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let (o, html) = report(tmp.path(), &[&s(&data)]);
    assert!(o.status.code().unwrap() < 2, "{o:?}");
    assert_self_contained(&html);
    assert!(!html.contains("<script") && !html.contains("<img") && !html.contains("<b0>"));
    assert!(
        html.contains("/&lt;script&gt;alert(1)&lt;/b0&gt;"),
        "escaped path in a table"
    );
    assert!(html.contains("/q&quot;uote&amp;amp&#39;"));
    assert!(
        marks(&html, "subtree")
            .iter()
            .any(|m| m["data-path"] == "/<script>alert(1)<")
    );
}

// ---- headless Chromium ----

fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

fn chromium_or_skip(test: &str) -> Option<PathBuf> {
    match chromium() {
        Some(c) => Some(c),
        None if std::env::var_os("ZKDD_REQUIRE_CHROMIUM").is_some() => {
            panic!("{test}: chromium (Debian's chromium package) is required")
        }
        None => {
            common::skip(test, common::Missing::Chromium);
            None
        }
    }
}

/// What one headless run gave.
struct Run {
    stdout: String,
    /// Console messages Chromium logged for the page.
    console: Vec<String>,
    /// URLs the page asked the network for.
    requests: Vec<String>,
}

/// Runs headless Chromium on `page` in a fresh profile with `mode` (e.g.
/// `--screenshot=...`), its own process group, killed by PID after 90 s.
fn headless(chrome: &Path, page: &Path, mode: &[&str]) -> Run {
    use std::os::unix::process::CommandExt;
    let profile = tempfile::tempdir().unwrap();
    let netlog = profile.path().join("netlog.json");
    let mut child = Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!(
            "--user-data-dir={}",
            profile.path().join("profile").display()
        ))
        .arg(format!("--log-net-log={}", netlog.display()))
        .args(mode)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("start chromium");
    let pid = child.id();
    let out = child.stdout.take().unwrap();
    let err = child.stderr.take().unwrap();
    let read = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = r.read_to_string(&mut s);
            s
        })
    };
    let readers = [read(Box::new(out)), read(Box::new(err))];
    let t0 = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if t0.elapsed() > Duration::from_secs(90) {
            kill_group(pid);
            let _ = child.wait();
            panic!("chromium took over 90 s on {}", page.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // Helpers it started (renderer, GPU process) go with it.
    kill_group(pid);
    let [out, err] = readers.map(|h| h.join().unwrap());
    assert!(status.success(), "chromium: {status:?}\n{err}");
    let console = err
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    let raw = std::fs::read_to_string(&netlog).expect("chromium wrote no net log");
    // A log cut short (the browser stopped before closing it) ends in ",".
    let log: Value = serde_json::from_str(&raw)
        .or_else(|_| serde_json::from_str(&format!("{}]}}", raw.trim_end().trim_end_matches(','))))
        .expect("net log JSON");
    let start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"].as_u64();
    let requests = log["events"]
        .as_array()
        .map(|v| v.as_slice())
        .unwrap_or_default()
        .iter()
        .filter(|e| e["type"].as_u64() == start && start.is_some())
        .filter(|e| {
            // Requests made for the page carry its origin; the browser's
            // own (update checks and the like) carry none.
            e["params"]["network_isolation_key"]
                .as_str()
                .is_some_and(|k| k.contains("file://"))
        })
        .filter_map(|e| e["params"]["url"].as_str().map(str::to_string))
        .filter(|u| !u.starts_with("file:") && !u.starts_with("data:"))
        .collect();
    Run {
        stdout: out,
        console,
        requests,
    }
}

/// Kills the process group Chromium was started in (its id is the PID of
/// the browser this test started).
fn kill_group(pid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pid}")])
        .stderr(Stdio::null())
        .status();
}

/// Decodes a PNG: (width, height, distinct colours, share of pixels that
/// are not white, pixels close to `rgb`).
fn png_stats(path: &Path, rgb: (u8, u8, u8)) -> (u32, u32, usize, f64, usize) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let ch = info.color_type.samples();
    let mut colours = std::collections::HashSet::new();
    let (mut ink, mut near) = (0usize, 0usize);
    let px = &buf[..info.buffer_size()];
    for p in px.chunks(ch) {
        let (r, g, b) = (p[0], p[1], p[2]);
        colours.insert((r, g, b));
        if (r, g, b) != (255, 255, 255) && (r, g, b) != (0xfa, 0xfa, 0xfa) {
            ink += 1;
        }
        let d = |a: u8, b: u8| (i32::from(a) - i32::from(b)).abs();
        if d(r, rgb.0) < 12 && d(g, rgb.1) < 12 && d(b, rgb.2) < 12 {
            near += 1;
        }
    }
    let total = (info.width * info.height) as f64;
    (
        info.width,
        info.height,
        colours.len(),
        ink as f64 / total,
        near,
    )
}

#[test]
fn pages_render_in_headless_chromium_without_errors_or_requests() {
    let Some(chrome) = chromium_or_skip("pages_render_in_headless_chromium") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    // A damaged copy, and a pair of members.
    let (_t, damaged) = copy_fixture("snappy/data");
    let log = damaged.join("version-2/log.166");
    let mut b = std::fs::read(&log).unwrap();
    b[249] ^= 8;
    std::fs::write(&log, b).unwrap();
    let ens = common::fixtures().join("ensemble");
    let cases: Vec<(&str, Vec<String>)> = vec![
        (
            "standalone",
            vec![s(&common::fixtures().join("standalone/data"))],
        ),
        ("damaged", vec![s(&damaged)]),
        ("gz", vec![s(&common::fixtures().join("gz/data"))]),
        (
            "ensemble",
            vec![s(&ens.join("member1/data")), s(&ens.join("member3/data"))],
        ),
    ];
    for (name, args) in cases {
        let page = tmp.path().join(format!("{name}.html"));
        let mut all = vec!["report".to_string()];
        all.extend(args);
        all.extend(["-o".into(), s(&page)]);
        let o = common::run(&all.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(o.status.code().unwrap() < 2, "{name}: {o:?}");

        let png = tmp.path().join(format!("{name}.png"));
        let shot = format!("--screenshot={}", png.display());
        let run = headless(&chrome, &page, &[&shot, "--window-size=1280,2000"]);
        assert!(run.console.is_empty(), "{name}: console: {:?}", run.console);
        assert!(
            run.requests.is_empty(),
            "{name}: requests: {:?}",
            run.requests
        );
        let damage_red = (0xc0, 0x1f, 0x25);
        let (w, h, colours, ink, red) = png_stats(&png, damage_red);
        assert_eq!((w, h), (1280, 2000), "{name}");
        assert!(colours > 200, "{name}: {colours} colours: blank?");
        assert!(
            ink > 0.05,
            "{name}: only {ink:.3} of the pixels are not background"
        );
        if name == "damaged" {
            assert!(red > 30, "the damage mark is drawn ({red} red pixels)");
        } else {
            assert!(red < 30, "{name}: {red} damage-red pixels on a healthy dir");
        }

        // The DOM Chromium built: sections, and the marks inside the chart.
        let dom = headless(&chrome, &page, &["--dump-dom"]);
        assert!(dom.console.is_empty(), "{name}: console: {:?}", dom.console);
        for id in ["verdict", "timeline", "txns", "space"] {
            assert!(
                dom.stdout.contains(&format!("<section id=\"{id}\"")),
                "{name}: {id}"
            );
        }
        let chart = &dom.stdout[dom.stdout.find("<svg id=\"timeline-chart\"").unwrap()..];
        let chart = &chart[..chart.find("</svg>").unwrap()];
        if name == "damaged" {
            assert!(
                chart.contains("data-kind=\"damage\" data-axis=\"zxid\" data-zxid=\"0x168\""),
                "damage in the chart"
            );
        }
        assert!(chart.contains("data-kind=\"log\""), "{name}");
    }
    if std::env::var_os("ZKDD_BLESS").is_some() {
        readme_screenshot(&chrome, &damaged);
    }
}

/// `man/zkdd-report.png`, the README's picture: the damaged copy's page,
/// made from its parent dir so it names `data/version-2`.
fn readme_screenshot(chrome: &Path, damaged: &Path) {
    let page = damaged.with_file_name("report.html");
    let o = common::zkdd()
        .current_dir(damaged.parent().unwrap())
        .args(["report", "data", "-o", "report.html"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let png = common::root().join("man/zkdd-report.png");
    let shot = format!("--screenshot={}", png.display());
    headless(chrome, &page, &[&shot, "--window-size=1200,1060"]);
    let size = std::fs::metadata(&png).unwrap().len();
    assert!(size < 200 << 10, "{} is {size} bytes", png.display());
}

/// The checks above can fail: a page that asks for an image is caught by
/// the request log, and under the report's policy by a console message.
#[test]
fn the_chromium_checks_see_requests_and_blocked_loads() {
    let Some(chrome) = chromium_or_skip("the_chromium_checks_see_requests") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let open = tmp.path().join("open.html");
    let mut f = std::fs::File::create(&open).unwrap();
    writeln!(f, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>t</title></head><body><p>x</p><img src=\"http://127.0.0.1:9/x.png\"></body></html>").unwrap();
    let run = headless(&chrome, &open, &["--dump-dom"]);
    assert!(
        run.requests
            .iter()
            .any(|u| u.starts_with("http://127.0.0.1:9/")),
        "{:?}",
        run.requests
    );

    let locked = tmp.path().join("locked.html");
    let mut f = std::fs::File::create(&locked).unwrap();
    writeln!(f, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\"><title>t</title></head><body><p>x</p><img src=\"http://127.0.0.1:9/x.png\"></body></html>").unwrap();
    let run = headless(&chrome, &locked, &["--dump-dom"]);
    assert!(run.requests.is_empty(), "{:?}", run.requests);
    assert!(
        run.console
            .iter()
            .any(|l| l.contains("Content Security Policy")),
        "{:?}",
        run.console
    );
}
