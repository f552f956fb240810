//! `zkdd verify`: is this data dir healthy, and what would ZooKeeper do with it?

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use crate::cmd::args::{ConfigArgs, OutputArgs, ReadArgs, Settings, ThreadArgs};
use crate::error::{Error, ExitStatus};
use crate::files::datadir::ZooConfig;
use crate::files::sniff::data_file;
use crate::ops::verify::{self, Inventory, Options, Report, Severity};
use crate::render::Output;
use crate::render::prometheus::DirRun;

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
    /// Also write the results as Prometheus metrics to FILE, in
    /// node_exporter's textfile format (atomically; also when verify cannot
    /// run, with zkdd_verify_success 0). Every input must be a data dir.
    #[arg(long, value_name = "FILE")]
    pub prometheus: Option<PathBuf>,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub report: OutputArgs,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub read: ReadArgs,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub threads: ThreadArgs,
}

impl Args {
    /// What this subcommand runs with.
    pub fn settings(&self) -> Settings {
        Settings {
            report: self.report.clone(),
            read: self.read.clone(),
            threads: self.threads.threads,
            ..Settings::default()
        }
    }
}

/// Runs `zkdd verify`.
pub fn run(args: &Args, global: &Settings, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    let Some(dest) = &args.prometheus else {
        return check(args, global, out, None);
    };
    // The metrics file is written whatever happens: a run that could not
    // check anything says so (zkdd_verify_success 0) instead of leaving the
    // last good numbers in place.
    let started = Instant::now();
    let mut checked = Vec::new();
    let result = check(args, global, out, Some(&mut checked));
    let finished = SystemTime::now();
    let failed: Vec<String> = match &result {
        Ok(_) => Vec::new(),
        Err(_) if args.inputs.is_empty() => vec![config_label(&args.config)],
        Err(_) => args
            .inputs
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
    };
    let runs: Vec<DirRun<'_>> = if result.is_ok() {
        checked
            .iter()
            .map(|c| DirRun {
                dir: &c.label,
                duration: c.duration,
                result: Some((&c.report, &c.inventory)),
            })
            .collect()
    } else {
        failed
            .iter()
            .map(|dir| DirRun {
                dir,
                duration: started.elapsed(),
                result: None,
            })
            .collect()
    };
    let written = crate::files::atomic::write_file(dest, true, |w| {
        crate::render::prometheus::write(w, finished, &runs)
    })
    .map_err(|e| Error::io(dest, e));
    match (result, written) {
        (Ok(status), Ok(_)) => Ok(status),
        (Ok(_), Err(e)) => Err(e),
        (Err(e), Ok(_)) => Err(e),
        (Err(e), Err(not_written)) => {
            out.error(&not_written.to_string());
            Err(e)
        }
    }
}

/// One data dir checked, for the metrics.
struct Checked {
    label: String,
    report: Report,
    inventory: Inventory,
    duration: Duration,
}

/// The `dir` label of the data dir a zoo.cfg names ("" when there is no
/// readable zoo.cfg: Prometheus reads an empty label as none).
fn config_label(config: &ConfigArgs) -> String {
    config
        .config
        .clone()
        .or_else(ZooConfig::discover)
        .and_then(|p| ZooConfig::read(&p).ok())
        .map(|c| c.data_dir.display().to_string())
        .unwrap_or_default()
}

/// -v: what one check read, and how long it took.
fn note_read(out: &mut Output<'_>, what: &str, report: &verify::Report, clock: Instant) {
    out.note(&format!(
        "checked {what}: {} file{}, {} read{}, in {}",
        report.files,
        if report.files == 1 { "" } else { "s" },
        out.size(report.bytes),
        report.digests.map_or(String::new(), |n| format!(
            ", {n} txn digests matched by replay"
        )),
        crate::render::units::duration(clock.elapsed())
    ));
}

/// Verifies and prints; with `metrics`, every input is a data dir and each
/// one checked is added there.
fn check(
    args: &Args,
    global: &Settings,
    out: &mut Output<'_>,
    metrics: Option<&mut Vec<Checked>>,
) -> Result<ExitStatus, Error> {
    let opts = Options {
        limits: global.limits(),
        no_mmap: global.read.no_mmap,
        digests: !args.no_digest,
        threads: global.threads(),
    };
    let mut dirs = Vec::new();
    let mut files = Vec::new();
    if args.inputs.is_empty() {
        let label = metrics.as_ref().map(|_| config_label(&args.config));
        dirs.push((label, args.config.open(None, out)?));
    }
    for p in &args.inputs {
        if p.is_dir() || metrics.is_some() {
            let label = metrics.as_ref().map(|_| p.display().to_string());
            dirs.push((label, args.config.open(Some(p), out)?));
        } else {
            // The one sniffing rule: by name, else by magic; anything else
            // (and anything that is not a regular file) cannot be verified.
            files.push((p.clone(), data_file(p)?));
        }
    }
    let mut reports = Vec::new();
    let mut measured = Vec::new();
    for (label, dir) in &dirs {
        let clock = Instant::now();
        let pb = out.progress(verify::dir_size(dir), &dir.snap_dir.display().to_string());
        let report = verify::verify_dir(dir, &opts, &|n| pb.inc(n));
        pb.finish_and_clear();
        note_read(out, &dir.snap_dir.display().to_string(), &report, clock);
        if let Some(label) = label {
            measured.push((label.clone(), Inventory::of(dir), clock.elapsed()));
        }
        reports.push((Some(dir.snap_dir.clone()), report));
    }
    if !files.is_empty() {
        let total = files
            .iter()
            .map(|(f, _)| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
            .sum();
        let pb = out.progress(total, "files");
        let clock = Instant::now();
        let report = verify::verify_files(&files, &opts, &|n| pb.inc(n));
        pb.finish_and_clear();
        note_read(out, "files", &report, clock);
        // One file names itself in the verdict; several are counted.
        let subject = match files.as_slice() {
            [(one, _)] => Some(one.clone()),
            _ => None,
        };
        reports.push((subject, report));
    }
    let mut worst = None;
    for (root, report) in &reports {
        crate::render::verify::report(out, root.as_deref(), report)?;
        worst = worst.max(report.worst());
    }
    if let Some(metrics) = metrics {
        // With metrics there are no single files: the reports are the dirs'.
        for ((label, inventory, duration), (_, report)) in measured.into_iter().zip(reports) {
            metrics.push(Checked {
                label,
                report,
                inventory,
                duration,
            });
        }
    }
    Ok(match worst {
        Some(Severity::Error) => ExitStatus::Findings,
        Some(Severity::Warning) if args.strict => ExitStatus::Findings,
        _ => ExitStatus::Ok,
    })
}
