//! `zkdd ls`: one row per file of a data dir.

use std::path::PathBuf;
use std::time::Instant;

use crate::cmd::args::{ConfigArgs, OutputArgs, ReadArgs, Settings, SizeArgs, ThreadArgs};
use crate::error::{Error, ExitStatus};
use crate::ops::ls;
use crate::ops::verify::{self, Options, Outcome};
use crate::render::Output;

/// One row per file of a data dir: what each log and snapshot holds, how it
/// ends and what ZooKeeper's startup does with it.
///
/// For every file in version-2/ (and myid): its kind, zxid range (hex and
/// epoch:counter), txns (logs) or nodes (snapshots), size, how it ends
/// (clean, zero padding, a crash tail, damaged at an offset, with verify's
/// finding code), the snapshot a log's txns continue, and whether startup
/// loads, rejects or replays it. Every file is read through (as verify
/// reads it, without the digest replay), so the ends and the startup column
/// are verify's own. Never writes to the data dir.
#[derive(clap::Args, Debug, Default)]
pub struct Args {
    /// The dataDir (or its version-2/). Alternatively use --config.
    #[arg(value_name = "DATADIR")]
    pub dir: Option<PathBuf>,
    /// Where to find the data dir when none is given.
    #[command(flatten)]
    pub config: ConfigArgs,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub report: OutputArgs,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub size: SizeArgs,
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
            bytes: self.size.bytes,
            read: self.read.clone(),
            threads: self.threads.threads,
            ..Settings::default()
        }
    }
}

/// Runs `zkdd ls`.
pub fn run(args: &Args, global: &Settings, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    let dir = args.config.open(args.dir.as_deref(), out)?;
    let opts = Options {
        limits: global.limits(),
        no_mmap: global.read.no_mmap,
        digests: false,
        threads: global.threads(),
    };
    let clock = Instant::now();
    let pb = out.progress(verify::dir_size(&dir), &dir.snap_dir.display().to_string());
    let listing = ls::list(&dir, &opts, &|n| pb.inc(n));
    pb.finish_and_clear();
    out.note(&format!(
        "read {}: {} file{} in {}",
        dir.snap_dir.display(),
        listing.rows.len(),
        if listing.rows.len() == 1 { "" } else { "s" },
        crate::render::units::duration(clock.elapsed())
    ));
    crate::render::ls::listing(out, &listing, global.report.quiet)?;
    let failed = matches!(listing.outcome, Some(Outcome::Fail(_)));
    Ok(ExitStatus::from_findings(listing.damaged() > 0 || failed))
}
