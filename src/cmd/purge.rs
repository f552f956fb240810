//! `zkdd purge`: cron-safe retention that never deletes what recovery needs.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::cmd::args::{ConfigArgs, LimitArgs, OutputArgs, ReadArgs, Settings, SizeArgs};
use crate::error::{Error, ExitStatus};
use crate::files::datadir::FileKind;
use crate::files::datadir::{DataDir, ZooConfig};
use crate::ops::purge::{self, PurgeLock, PurgeOptions, RECOMMENDED_RETAIN};
use crate::render::Output;
use crate::render::purge as show;

/// Delete old snapshots and txn logs, keeping the newest N valid snapshots
/// and every log needed to replay from the oldest of them.
///
/// Only snapshots that pass full verification (every node parsed, every
/// seal checked) count toward --retain. The oldest kept snapshot keeps the
/// newest log at or before its zxid and all later logs: exactly the files
/// ZooKeeper's restore reads. Decisions use the zxid in the file name, never
/// the mtime. Never deleted: the newest log, the newest valid snapshot,
/// files younger than --min-age, corrupt snapshots (unless --remove-corrupt),
/// and anything whose name is not exactly log.<hex> or
/// snapshot.<hex>[.gz|.snappy] (ZooKeeper tool leftovers only with
/// --remove-leftovers). Files are read, never memory-mapped, so a live
/// server is safe; a lock file (version-2/.zkdd-purge.lock, flock) keeps two
/// purges apart.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The dataDir (or its version-2/). Alternatively use --config.
    #[arg(value_name = "DATADIR", required_unless_present = "config")]
    pub dir: Option<PathBuf>,
    /// Where the data lives, from a zoo.cfg (dataDir, dataLogDir,
    /// autopurge.snapRetainCount) or --log-dir.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// How many valid snapshots to keep (default 3, or autopurge.snapRetainCount from --config).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub retain: Option<u32>,
    /// Print the plan and delete nothing.
    #[arg(long, short = 'n')]
    pub dry_run: bool,
    /// Never delete files modified less than this long ago (0, 90s, 10m, 2h, 1d).
    #[arg(long, value_name = "AGE", default_value = "10m", value_parser = parse_min_age)]
    pub min_age: Duration,
    /// Also delete snapshots that fail verification (they never count toward --retain).
    #[arg(long)]
    pub remove_corrupt: bool,
    /// Also delete leftovers of ZooKeeper's tools: log.*.fixed, log.*.chopped*, snapshot.*.tmp.
    #[arg(long)]
    pub remove_leftovers: bool,
    /// Also purge rotated zookeeper*.log* server logs in this directory.
    #[arg(long, value_name = "DIR")]
    pub server_logs: Option<PathBuf>,
    /// With --server-logs: how many rotated server logs to keep.
    #[arg(long, value_name = "N", default_value_t = 10, requires = "server_logs")]
    pub keep_server_logs: usize,
    /// Move the files the plan removes into this existing directory instead of
    /// deleting them (same plan, same safety rules). On one file system a
    /// rename (hard link, then unlink); across file systems a copy, synced
    /// and compared byte for byte before the source is removed. A file is
    /// never lost and never overwritten: on any failure the source stays.
    /// Use one archive per server (file names repeat across members).
    #[arg(long, value_name = "DIR")]
    pub archive_to: Option<PathBuf>,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub report: OutputArgs,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub size: SizeArgs,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub limit: LimitArgs,
}

impl Args {
    /// What this subcommand runs with.
    pub fn settings(&self) -> Settings {
        Settings {
            report: self.report.clone(),
            bytes: self.size.bytes,
            read: ReadArgs {
                limit: self.limit.clone(),
                ..ReadArgs::default()
            },
            ..Settings::default()
        }
    }
}

fn parse_min_age(s: &str) -> Result<Duration, String> {
    purge::parse_duration(s)
}

/// Runs `zkdd purge`.
pub fn run(args: &Args, g: &Settings, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    let (dir, cfg_retain, given) = open(args)?;
    // An entry named like a log or snapshot that is not a regular file
    // (a directory, a FIFO, a link): ZooKeeper fails on it, and what the
    // plan would keep cannot be known. Nothing is deleted.
    let irregular: Vec<_> = dir
        .irregular
        .iter()
        .filter(|i| matches!(i.kind, FileKind::Log(_) | FileKind::Snapshot(..)))
        .collect();
    if !irregular.is_empty() {
        for i in irregular {
            out.error(&format!(
                "{}: {}, not a regular file, named like a ZooKeeper file; move it out of version-2 before purging",
                i.path.display(),
                i.what
            ));
        }
        out.error("refusing to purge: nothing deleted");
        return Ok(ExitStatus::Trouble);
    }
    let retain = args
        .retain
        .map(|r| r as usize)
        .or(cfg_retain)
        .unwrap_or(RECOMMENDED_RETAIN);
    if retain < RECOMMENDED_RETAIN {
        show::low_retain(out, retain);
    }
    let archive_to = args
        .archive_to
        .as_deref()
        .map(|a| archive_dir(a, &dir, args.server_logs.as_deref()))
        .transpose()?;
    let view = show::Run {
        dir: &dir,
        given: given.as_deref(),
        given_directly: given
            .as_deref()
            .is_some_and(|g| same_path(g, &dir.snap_dir)),
        retain,
        min_age: args.min_age,
        dry_run: args.dry_run,
        archive_to: archive_to.as_deref(),
        json: g.report.json,
        // -q silences the text; JSON lines are what the caller asked for.
        show: !g.report.quiet || g.report.json,
    };
    show::using(out, &view);

    // Lock before looking, so the plan cannot be raced by another purge.
    // A dry run changes nothing and takes no lock (it may run on a read-only copy).
    let _lock = if args.dry_run {
        None
    } else {
        Some(PurgeLock::acquire(&dir.snap_dir).map_err(|e| Error::Usage(e.to_string()))?)
    };

    let total: u64 = dir.snapshots.iter().map(|s| s.len).sum();
    let pb = out.progress(total, "verifying snapshots");
    let inv = purge::scan(&dir, args.server_logs.as_deref(), g.limits(), |n| pb.inc(n))
        .map_err(|e| Error::io(args.server_logs.clone().unwrap_or_default(), e))?;
    pb.finish_and_clear();
    let opts = PurgeOptions {
        retain,
        min_age: args.min_age,
        remove_corrupt: args.remove_corrupt,
        remove_leftovers: args.remove_leftovers,
        keep_server_logs: args.keep_server_logs,
    };
    let plan = purge::plan(&inv, &opts, SystemTime::now());

    show::warnings(out, &plan);
    // A young server: fewer valid snapshots than --retain is nothing to
    // purge yet, one line (a finding only when corrupt snapshots are among
    // the reason; they were named on stderr just now).
    if let Some(r) = plan.refusal.as_ref().filter(|r| !r.is_trouble())
        && !view.json
    {
        show::nothing_to_purge(out, r)?;
        return Ok(ExitStatus::from_findings(!plan.corrupt.is_empty()));
    }
    show::header(out, &view)?;
    let mut lines = show::FileLines::new(&view);
    let report = purge::execute(&plan, args.dry_run, archive_to.as_deref(), |f, o| {
        lines.file(out, f, o)
    });
    lines.finish(out, &report)?;
    show::summary(out, &view, &plan, &report)?;

    if let Some(r) = plan.refusal.as_ref().filter(|r| r.is_trouble()) {
        show::refusal(out, r);
        return Ok(ExitStatus::Trouble);
    }
    // A corrupt snapshot is corruption, here as in verify: cron hears of it.
    if report.failed > 0 || !report.sync_errors.is_empty() || !plan.corrupt.is_empty() {
        return Ok(ExitStatus::Findings);
    }
    Ok(ExitStatus::Ok)
}

/// Opens the data dir from DATADIR or --config; also returns
/// autopurge.snapRetainCount and the directory the user named.
fn open(args: &Args) -> Result<(DataDir, Option<usize>, Option<PathBuf>), Error> {
    if let Some(d) = &args.dir {
        if args.config.config.is_some() {
            return Err(Error::Usage("give DATADIR or --config, not both".into()));
        }
        let dir = DataDir::open(d, args.config.log_dir.as_deref())?;
        return Ok((dir, None, Some(d.clone())));
    }
    let Some(cfg_path) = &args.config.config else {
        return Err(Error::Usage("give DATADIR or --config".into()));
    };
    let cfg = ZooConfig::read(cfg_path)?;
    let log_dir = args.config.log_dir.clone().or(cfg.data_log_dir.clone());
    let dir = DataDir::open(&cfg.data_dir, log_dir.as_deref())?;
    Ok((
        dir,
        // Mirrors DatadirCleanupManager: values below 3 are raised to 3.
        cfg.snap_retain_count
            .map(|n| (n as usize).max(RECOMMENDED_RETAIN)),
        Some(cfg.data_dir.clone()),
    ))
}

/// Checks `--archive-to`: an existing directory outside the directories
/// purge removes files from. Returns it as given.
fn archive_dir(
    archive: &Path,
    dir: &DataDir,
    server_logs: Option<&Path>,
) -> Result<PathBuf, Error> {
    let meta = std::fs::metadata(archive).map_err(|e| {
        Error::Usage(format!(
            "--archive-to {}: {} (create the archive directory first)",
            archive.display(),
            crate::error::os_error(&e)
        ))
    })?;
    if !meta.is_dir() {
        return Err(Error::Usage(format!(
            "--archive-to {}: not a directory",
            archive.display()
        )));
    }
    let canon = std::fs::canonicalize(archive).map_err(|e| Error::io(archive, e))?;
    for purged in [Some(&*dir.snap_dir), Some(&*dir.log_dir), server_logs]
        .into_iter()
        .flatten()
    {
        if std::fs::canonicalize(purged).is_ok_and(|p| canon.starts_with(&p)) {
            return Err(Error::Usage(format!(
                "--archive-to {}: inside {}, which purge removes files from; use a directory outside it",
                archive.display(),
                purged.display()
            )));
        }
    }
    Ok(archive.to_path_buf())
}

fn same_path(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}
