//! `zkdd verify`: is this data dir healthy, and what would ZooKeeper do with it?

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::cmd::args::{ConfigArgs, GlobalArgs};
use crate::error::{Error, ExitStatus};
use crate::ops::verify::{self, Finding, Options, Outcome, Report, Severity};
use crate::render::Output;

/// Check every file of a data dir, the files against each other, and what
/// ZooKeeper's restore would do with them.
///
/// Checks every log entry (Adler-32, length, end byte, body), how each log
/// ends, every snapshot seal and the shape of its tree, zxid order and gaps
/// across logs, leftovers ZooKeeper would misread, dataDir/dataLogDir
/// mix-ups and the epoch files. Then predicts ZooKeeper 3.x's startup
/// restore: the snapshot it would load, the logs it would replay, the zxid it
/// would start at (or why it would fail), and every txn it would silently
/// drop. Never writes to the data dir. A torn last record of the newest log
/// (a crash, or a live server mid-write) is only a warning.
#[derive(clap::Args, Debug, Default)]
#[command(
    after_help = AFTER_HELP,
    after_long_help = long_help()
)]
pub struct Args {
    /// A data dir (or its version-2/), or single log/snapshot files
    /// (default: from --config or zoo.cfg).
    #[arg(value_name = "DATADIR|FILE")]
    pub inputs: Vec<PathBuf>,
    /// Where to find the data dir when none is given.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Exit 1 on warnings too.
    #[arg(long)]
    pub strict: bool,
    /// Skip replaying the tree to compare digests.
    #[arg(long)]
    pub no_digest: bool,
}

const AFTER_HELP: &str = "Examples:
  zkdd verify /var/lib/zookeeper                  a data dir (dataDir, or its version-2/)
  zkdd verify --config /etc/zookeeper/conf/zoo.cfg
  zkdd verify --log-dir /disk2/zk-logs /var/lib/zookeeper
  zkdd verify --json /var/lib/zookeeper | jq -c 'select(.type==\"summary\")'
  zkdd verify log.1a2b snapshot.1a00.gz            single files (no recovery analysis)

Exit status:
  0  nothing worse than warnings or notes
  1  errors: corruption, lost or skipped txns, a dir ZooKeeper cannot start
     from, a digest mismatch (with --strict, warnings too)
  2  could not run: usage, I/O error, not a ZooKeeper data dir";

const LONG_HELP: &str = "\
Output:
  Text: a one-line verdict, one line saying what ZooKeeper 3.x would do at
  startup, then the findings grouped by file: severity, byte offset, code,
  what is wrong and what it means for recovery.

  --json writes JSON Lines: one line per finding
    {\"type\":\"finding\",\"severity\":\"error|warning|note\",\"code\":\"...\",
     \"file\":\"...\",\"offset\":N|null,\"zxid\":\"0x..\"|null,\"message\":\"...\",
     \"meaning\":\"...\"|null}
  then one summary line
    {\"type\":\"summary\",\"verdict\":\"ok|warnings|errors\",\"errors\":N,
     \"warnings\":N,\"notes\":N,\"files\":N,\"bytes\":N,\"digests_matched\":N|null,
     \"recoverable_zxid\":\"0x..\"|null,\"snapshot\":\"...\"|null,
     \"snapshot_zxid\":\"0x..\"|null,\"logs\":[...],
     \"zookeeper\":\"start|fail\"|null,\"start_zxid\":\"0x..\"|null,
     \"failure\":\"...\"|null,\"dropped_txns\":N,
     \"rejected_snapshots\":[{\"file\",\"reason\"}],\"prediction\":\"...\"}
  (recovery fields are null/empty for single files). Offsets are byte
  offsets in the file; for .gz/.snappy snapshots they are in the
  uncompressed stream, except for snapshot_compressed_stream.

Finding codes (stable; new ones may be added):
";

fn long_help() -> String {
    let mut s = format!("{AFTER_HELP}\n\n{LONG_HELP}");
    for (code, what) in verify::CODES {
        s.push_str(&format!("  {code:<26} {what}\n"));
    }
    s
}

/// Runs `zkdd verify`.
pub fn run(args: &Args, global: &GlobalArgs, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    let opts = Options {
        limits: global.limits(),
        no_mmap: global.no_mmap,
        digests: !args.no_digest,
        threads: global.threads(),
    };
    let mut dirs = Vec::new();
    let mut files = Vec::new();
    if args.inputs.is_empty() {
        dirs.push(args.config.open(None, out)?);
    }
    for p in &args.inputs {
        if p.is_dir() {
            dirs.push(args.config.open(Some(p), out)?);
        } else if p.is_file() {
            files.push(p.clone());
        } else {
            return Err(Error::io(
                p,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or directory"),
            ));
        }
    }
    let mut reports = Vec::new();
    for dir in &dirs {
        let pb = out.progress(verify::dir_size(dir), &dir.snap_dir.display().to_string());
        let report = verify::verify_dir(dir, &opts, &|n| pb.inc(n));
        pb.finish_and_clear();
        reports.push((dir.snap_dir.clone(), report));
    }
    if !files.is_empty() {
        let total = files
            .iter()
            .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
            .sum();
        let pb = out.progress(total, "files");
        let report = verify::verify_files(&files, &opts, &|n| pb.inc(n));
        pb.finish_and_clear();
        reports.push((PathBuf::from("."), report));
    }
    let mut worst = None;
    for (root, report) in &reports {
        if out.json {
            print_json(out, report)?;
        } else {
            print_human(out, root, report)?;
        }
        worst = worst.max(report.worst());
    }
    Ok(match worst {
        Some(Severity::Error) => ExitStatus::Findings,
        Some(Severity::Warning) if args.strict => ExitStatus::Findings,
        _ => ExitStatus::Ok,
    })
}

fn verdict(report: &Report) -> &'static str {
    match report.worst() {
        Some(Severity::Error) => "errors",
        Some(Severity::Warning) => "warnings",
        _ => "ok",
    }
}

fn print_json(out: &mut Output<'_>, report: &Report) -> Result<(), Error> {
    for f in &report.findings {
        out.json_line(&json!({
            "type": "finding",
            "severity": f.severity.name(),
            "code": f.code,
            "file": f.file.display().to_string(),
            "offset": f.offset,
            "zxid": f.zxid.map(|z| z.to_string()),
            "message": f.message,
            "meaning": f.meaning,
        }))?;
    }
    let r = report.recovery.as_ref();
    let (zk, start, failure) = match r.map(|r| &r.outcome) {
        Some(Outcome::Start(z)) => (Some("start"), Some(z.to_string()), None),
        Some(Outcome::Fail(why)) => (Some("fail"), None, Some(why.clone())),
        None => (None, None, None),
    };
    out.json_line(&json!({
        "type": "summary",
        "verdict": verdict(report),
        "errors": report.count(Severity::Error),
        "warnings": report.count(Severity::Warning),
        "notes": report.count(Severity::Note),
        "files": report.files,
        "bytes": report.bytes,
        "digests_matched": report.digests,
        "recoverable_zxid": r.and_then(|r| r.recoverable_zxid).map(|z| z.to_string()),
        "snapshot": r.and_then(|r| r.snapshot.as_ref()).map(|p| p.display().to_string()),
        "snapshot_zxid": r.and_then(|r| r.snapshot_zxid).map(|z| z.to_string()),
        "logs": r.map(|r| r.logs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>()).unwrap_or_default(),
        "zookeeper": zk,
        "start_zxid": start,
        "failure": failure,
        "dropped_txns": r.map_or(0, |r| r.dropped_txns),
        "rejected_snapshots": r.map(|r| r.rejected_snapshots.iter().map(|(p, why)| json!({"file": p.display().to_string(), "reason": why})).collect::<Vec<_>>()).unwrap_or_default(),
        "prediction": r.map(|r| r.sentence.clone()),
    }))?;
    Ok(())
}

fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .ok()
        .filter(|r| !r.as_os_str().is_empty())
        .map(|r| r.display().to_string())
        .unwrap_or_else(|| p.display().to_string())
}

fn print_human(out: &mut Output<'_>, root: &Path, report: &Report) -> Result<(), Error> {
    let (e, w, n) = (
        report.count(Severity::Error),
        report.count(Severity::Warning),
        report.count(Severity::Note),
    );
    let head = match report.worst() {
        Some(Severity::Error) => "ERRORS",
        Some(Severity::Warning) => "OK with warnings",
        _ => "OK",
    };
    let mut line = format!(
        "{head}: {} ({} files, {e} errors, {w} warnings, {n} notes)",
        root.display(),
        report.files
    );
    if let Some(r) = &report.recovery
        && let Some(z) = r.recoverable_zxid
    {
        line.push_str(&format!("; recoverable up to zxid {z}"));
    }
    out.line(&line)?;
    if let Some(r) = &report.recovery {
        out.line(&r.sentence)?;
        if !r.logs.is_empty() {
            let logs: Vec<String> = r.logs.iter().map(|p| rel(root, p)).collect();
            out.line(&format!("  replays: {}", logs.join(" ")))?;
        }
        for (p, why) in &r.rejected_snapshots {
            out.line(&format!("  rejects: {} ({why})", rel(root, p)))?;
        }
    }
    let mut by_file: BTreeMap<String, Vec<&Finding>> = BTreeMap::new();
    let mut order = Vec::new();
    for f in &report.findings {
        let k = rel(root, &f.file);
        if !by_file.contains_key(&k) {
            order.push(k.clone());
        }
        by_file.entry(k).or_default().push(f);
    }
    for k in order {
        out.line("")?;
        out.line(&format!("{k}:"))?;
        for f in &by_file[&k] {
            let off = f.offset.map_or("-".to_string(), |o| format!("{o:#x}"));
            let zx = f.zxid.map_or(String::new(), |z| format!(" zxid {z}:"));
            out.line(&format!(
                "  {:<7} {off:>9}  {}:{zx} {}",
                f.severity.name(),
                f.code,
                f.message
            ))?;
            if let Some(m) = &f.meaning {
                out.line(&format!("  {:<7} {:>9}  -> {m}", "", ""))?;
            }
        }
    }
    Ok(())
}
