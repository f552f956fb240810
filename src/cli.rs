//! The command line: global flags, shared input flags, and the subcommands.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::cmd;
use crate::datadir::{DataDir, ZooConfig};
use crate::error::Error;
use crate::format::jute::{DEFAULT_LENGTH_LIMIT, Limits};
use crate::render::Output;

/// Inspect, verify, replay, diff and purge Apache ZooKeeper data directories.
#[derive(Parser, Debug)]
#[command(name = "zkdd", version, about, long_about = None, after_help = EXIT_STATUS)]
pub struct Cli {
    /// Flags every subcommand takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The exit-status table shared by every `--help`.
pub const EXIT_STATUS: &str = "\
Exit status (every subcommand):
  0  ok: nothing found, trees identical, plan carried out
  1  findings: corruption or a torn log, differences, a deletion that failed
  2  could not run: bad usage, I/O error, input that is not ZooKeeper data";

/// Flags shared by all subcommands.
#[derive(clap::Args, Debug, Clone)]
pub struct GlobalArgs {
    /// Write JSON Lines to stdout instead of text (see zkdd(1) for the format).
    #[arg(long, global = true)]
    pub json: bool,
    /// Print only errors; never show progress bars.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// More detail on stderr (repeat for more).
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Read files into memory instead of memory-mapping them (use on a live data dir).
    #[arg(long, global = true)]
    pub no_mmap: bool,
    /// Largest buffer or string length accepted from a file (jute.maxbuffer + extrasize).
    #[arg(long, global = true, value_name = "BYTES", default_value_t = DEFAULT_LENGTH_LIMIT)]
    pub max_buffer: u64,
    /// Show times in the local time zone instead of UTC (human output only).
    #[arg(long, global = true)]
    pub local: bool,
}

impl GlobalArgs {
    /// Decoding limits from the flags.
    pub fn limits(&self) -> Limits {
        Limits {
            max_length: self.max_buffer,
        }
    }
}

impl Default for GlobalArgs {
    fn default() -> Self {
        GlobalArgs {
            json: false,
            quiet: false,
            verbose: 0,
            no_mmap: false,
            max_buffer: DEFAULT_LENGTH_LIMIT,
            local: false,
        }
    }
}

/// How a subcommand finds a data dir: a path, or a zoo.cfg.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ConfigArgs {
    /// Read dataDir and dataLogDir from this zoo.cfg.
    #[arg(long, value_name = "ZOO_CFG")]
    pub config: Option<PathBuf>,
    /// The dataLogDir when logs live apart from snapshots.
    #[arg(long, value_name = "DATALOGDIR")]
    pub log_dir: Option<PathBuf>,
}

impl ConfigArgs {
    /// Opens the data dir given as `dir`, or the one `--config` names, or the
    /// one a discovered zoo.cfg names.
    pub fn open(
        &self,
        dir: Option<&std::path::Path>,
        out: &mut Output<'_>,
    ) -> Result<DataDir, Error> {
        if let Some(dir) = dir {
            return DataDir::open(dir, self.log_dir.as_deref());
        }
        let cfg_path = match &self.config {
            Some(p) => p.clone(),
            None => {
                let found = ZooConfig::discover().ok_or_else(|| {
                    Error::Usage(
                        "no data directory given, and no zoo.cfg found (use DATADIR or --config)"
                            .into(),
                    )
                })?;
                out.warn(&format!("using {}", found.display()));
                found
            }
        };
        let cfg = ZooConfig::read(&cfg_path)?;
        let mut dir = DataDir::from_config(&cfg)?;
        if let Some(l) = &self.log_dir {
            dir = DataDir::open(&cfg.data_dir, Some(l))?;
        }
        Ok(dir)
    }
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Print txn logs and snapshots for people or as JSON Lines.
    Dump(Box<cmd::dump::Args>),
    /// Check files and data dirs: checksums, torn tails, gaps, recoverability, digests.
    Verify(cmd::verify::Args),
    /// Rebuild the tree at a zxid or time and write it as a snapshot or JSON.
    Replay(Box<cmd::replay::Args>),
    /// Compare two trees (snapshots, data dirs at points, JSON dumps).
    Diff(cmd::diff::Args),
    /// Delete old snapshots and logs, keeping everything recovery needs.
    Purge(cmd::purge::Args),
    /// Print shell completions.
    Completions(cmd::completions::Args),
}

#[cfg(test)]
mod tests {
    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
