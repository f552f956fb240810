//! `zkdd report`: one self-contained HTML page of a data dir, for incident
//! reviews and post-mortems.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::cmd::args::{ConfigArgs, LocalTimeArgs, OutputArgs, ReadArgs, Settings, ThreadArgs};
use crate::error::{Error, ExitStatus};
use crate::files::atomic;
use crate::files::datadir::ZooConfig;
use crate::ops::purge::RECOMMENDED_RETAIN;
use crate::ops::report::{self, SideArg};
use crate::ops::verify::Severity;
use crate::render::Output;
use crate::render::report::{self as show, Page};
use crate::timefmt;
use crate::tree::replay::Target;

/// Write one HTML page about a data dir: the verdict and what ZooKeeper
/// would do at startup, every file on one zxid axis with damage, crash
/// tails, gaps, the span startup replays and what purge would delete, txns
/// over time by op type with the busiest sessions and paths, the newest
/// snapshot's space by subtree, and, given a second data dir or points,
/// where the two part.
///
/// The page is one file with inline CSS and SVG: no script, no fonts, and a
/// Content-Security-Policy that forbids loading anything, so it opens
/// anywhere (attach it to a ticket) and prints. Its size is bounded
/// whatever the data dir holds: txns are bucketed by time, the busiest
/// sessions and paths are kept in bounded tables, subtrees are cut to the
/// biggest few per level.
///
/// Two data dirs (ensemble members, no points): their logs are compared txn
/// by txn and the trees at the last zxid both agree on. With points
/// (DIR@ZXID, DIR@TIME; the same dir twice works): the trees there.
#[derive(clap::Args, Debug, Default)]
pub struct Args {
    /// The data dir (dataDir or its version-2/; default from --config), or
    /// DIR@ZXID / DIR@TIME to compare it at a point with OTHER.
    #[arg(value_name = "DATADIR[@POINT]")]
    pub dir: Option<String>,
    /// A second data dir (another ensemble member) or point to compare with.
    #[arg(value_name = "OTHER[@POINT]")]
    pub other: Option<String>,
    /// The HTML file to write (replaced if it exists; `-` for stdout).
    #[arg(long, short, value_name = "FILE")]
    pub output: PathBuf,
    /// Where to find the data dir when none is given; --config also gives
    /// autopurge.snapRetainCount.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Txns from this time on (RFC 3339, or YYYY-MM-DD[ HH:MM[:SS]] UTC).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Txns up to this time.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only this subtree (txn charts, busiest paths, space, comparison).
    #[arg(long, value_name = "PATH")]
    pub prefix: Option<String>,
    /// Snapshots purge keeps, for the purge shading (default:
    /// autopurge.snapRetainCount from --config, else 3).
    #[arg(long, value_name = "N")]
    pub retain: Option<u32>,
    /// Skip replaying the tree to compare digests (as verify --no-digest).
    #[arg(long)]
    pub no_digest: bool,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub report: OutputArgs,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub local: LocalTimeArgs,
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
            local: self.local.local,
            read: self.read.clone(),
            threads: self.threads.threads,
            ..Settings::default()
        }
    }
}

fn time_arg(flag: &str, v: Option<&str>, local: bool) -> Result<Option<i64>, Error> {
    v.map(|s| timefmt::parse(s, local).map_err(|e| Error::Usage(format!("{flag}: {e}"))))
        .transpose()
}

/// Runs `zkdd report`.
pub fn run(args: &Args, g: &Settings, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    let since = time_arg("--since", args.since.as_deref(), g.local)?;
    let until = time_arg("--until", args.until.as_deref(), g.local)?;
    if let (Some(s), Some(u)) = (since, until)
        && s > u
    {
        return Err(Error::Usage("--since is after --until".into()));
    }
    let prefix = match &args.prefix {
        Some(p) if !p.starts_with('/') => {
            return Err(Error::Usage(format!(
                "--prefix {p:?}: a znode path starts with '/'"
            )));
        }
        Some(p) if p.len() > 1 => Some(p.trim_end_matches('/').as_bytes().to_vec()),
        _ => None,
    };
    let this = args
        .dir
        .as_deref()
        .map(|d| SideArg::parse(d, g.local))
        .transpose()?;
    let other = args
        .other
        .as_deref()
        .map(|d| SideArg::parse(d, g.local))
        .transpose()?;
    if other.is_none()
        && this
            .as_ref()
            .is_some_and(|t| !matches!(t.target, Target::End))
    {
        return Err(Error::Usage(
            "DATADIR@POINT compares the dir at that point with OTHER: give OTHER too".into(),
        ));
    }
    let dir = args
        .config
        .open(this.as_ref().map(|t| t.dir.as_path()), out)?;
    let retain = match args.retain {
        Some(n) => (n as usize).max(1),
        None => config_retain(args, this.is_some()).unwrap_or(RECOMMENDED_RETAIN),
    };
    let to_stdout = args.output.as_os_str() == "-";
    if !to_stdout {
        refuse_inside(&args.output, &[&dir.snap_dir, &dir.log_dir])?;
    }
    let opts = report::Options {
        limits: g.limits(),
        no_mmap: g.read.no_mmap,
        digests: !args.no_digest,
        threads: g.threads(),
        retain,
        since,
        until,
        prefix,
        now: SystemTime::now(),
    };
    let rep = report::gather(dir, this.as_ref(), other.as_ref(), &opts);
    let page = Page {
        local: g.local,
        generated_ms: SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64),
        version: env!("CARGO_PKG_VERSION"),
    };
    if to_stdout {
        show::write(out, &rep, &page).map_err(Error::Output)?;
    } else {
        let bytes = atomic::write_file(&args.output, true, |w| show::write(w, &rep, &page))
            .map_err(|e| Error::io(&args.output, e))?;
        show::summary(out, &args.output, bytes, &rep)?;
    }
    Ok(ExitStatus::from_findings(
        rep.worst() == Some(Severity::Error),
    ))
}

/// autopurge.snapRetainCount from --config (or the zoo.cfg found when no
/// dir is given), raised to 3 as ZooKeeper's DatadirCleanupManager does.
fn config_retain(args: &Args, dir_given: bool) -> Option<usize> {
    let path = match &args.config.config {
        Some(p) => p.clone(),
        None if !dir_given => ZooConfig::discover()?,
        None => return None,
    };
    let cfg = ZooConfig::read(&path).ok()?;
    cfg.snap_retain_count
        .map(|n| (n as usize).max(RECOMMENDED_RETAIN))
}

/// The page never goes into a data dir's version-2/: that would add a file
/// ZooKeeper's directories should not hold.
fn refuse_inside(output: &Path, dirs: &[&Path]) -> Result<(), Error> {
    let parent = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let Ok(parent) = std::fs::canonicalize(parent) else {
        return Ok(()); // the write reports a missing directory
    };
    for d in dirs {
        if std::fs::canonicalize(d).is_ok_and(|d| d == parent) {
            return Err(Error::Usage(format!(
                "-o {}: not inside the data dir's {}",
                output.display(),
                d.display()
            )));
        }
    }
    Ok(())
}
