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
#[command(name = "zkdd", version, about, long_about = None, after_help = EXIT_STATUS, after_long_help = LONG_HELP)]
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

/// `--help` epilogue and the man page's closing sections.
pub const LONG_HELP: &str = "\
Exit status (every subcommand):
  0  ok: nothing found, trees identical, plan carried out
  1  findings: corruption or a torn log, differences, a deletion that failed
  2  could not run: bad usage, I/O error, input that is not ZooKeeper data

Files:
  <dataDir>/version-2/snapshot.<zxid>[.gz|.snappy]   fuzzy snapshots of the tree
  <dataLogDir>/version-2/log.<zxid>                  transaction logs (zxid of the first txn)
  <dataDir>/version-2/acceptedEpoch, currentEpoch    quorum epochs (ASCII decimal)
  A data dir may be given as the dataDir, its version-2/, or through --config zoo.cfg.

Live data dirs:
  Files are memory-mapped by default. A follower told to TRUNC cuts its log in place, which
  would make a mapped read fail with SIGBUS: on a running server use --no-mmap, or work on a copy.

JSON Lines (--json): one object per line with a \"type\" field; fields are only ever added.
  zxids, session ids, cxids, ephemeral owners: \"0x\" + lowercase hex, no padding
  times: RFC 3339 UTC with milliseconds (\"2026-11-23T08:34:20.025Z\"), raw ms in *_ms twins
  data: null, {\"text\": ...} when valid UTF-8, else {\"base64\": ...}
  acl: [{\"perms\": \"cdrwa\", \"scheme\": \"world\", \"id\": \"anyone\"}]
  txn:     type, file, offset, zxid, time, session, cxid, op, and the op's fields: path, data, acl,
           ephemeral, parent_cversion, ttl_ms, version, timeout_ms, paths, err, err_name,
           ops (multi sub-ops), digest {version, tree}, size
  node:    type, path, data, acl, stat {czxid, mzxid, pzxid, ctime, mtime, version, cversion,
           aversion, ephemeral_owner, data_length, num_children}
  session: type, session, timeout_ms
  file:    type, file, format, ok, problem {code, offset, message}, and how the file ended
  Other subcommands add their own types (finding, summary, change, purge, history, repair),
  documented in their pages.";

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
    /// Read files instead of memory-mapping them (use on a live data dir); txn logs are read a
    /// window of 16 MiB at a time, snapshots whole.
    #[arg(long, global = true)]
    pub no_mmap: bool,
    /// Largest buffer or string length accepted from a file (jute.maxbuffer + extrasize).
    #[arg(long, global = true, value_name = "BYTES", default_value_t = DEFAULT_LENGTH_LIMIT)]
    pub max_buffer: u64,
    /// Show times in the local time zone instead of UTC (human output only).
    #[arg(long, global = true)]
    pub local: bool,
    /// Threads for big files (default: one per core, at most 8; 1 = no extra threads).
    #[arg(long, short = 'j', global = true, value_name = "N")]
    pub threads: Option<std::num::NonZeroUsize>,
}

impl GlobalArgs {
    /// Decoding limits from the flags.
    pub fn limits(&self) -> Limits {
        Limits {
            max_length: self.max_buffer,
        }
    }

    /// Worker threads for chunked work on big files.
    pub fn threads(&self) -> usize {
        self.threads
            .map_or_else(crate::par::default_threads, std::num::NonZeroUsize::get)
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
            threads: None,
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
    /// Every change to a znode (or subtree) across snapshots and logs.
    History(Box<cmd::history::Args>),
    /// Write a subtree as it was before a zxid: a zkCli script (undelete) or JSON.
    Extract(Box<cmd::extract::Args>),
    /// Space by subtree from a snapshot or data dir; ncdu export.
    Du(Box<cmd::du::Args>),
    /// Write a cleaned copy of a damaged txn log (never edits in place).
    Repair(Box<cmd::repair::Args>),
    /// Print shell completions.
    Completions(cmd::completions::Args),
}

/// The man pages, generated from this definition: `zkdd.1` and one
/// `zkdd-<subcommand>.1` per subcommand, as (file name, roff bytes).
pub fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    // Propagates the global flags into every subcommand.
    cmd.build();
    let mut pages = Vec::new();
    let mut top = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut top)?;
    pages.push(("zkdd.1".to_string(), top));
    for sub in cmd.get_subcommands() {
        if sub.is_hide_set() || sub.get_name() == "help" {
            continue;
        }
        let name = format!("zkdd-{}", sub.get_name());
        let mut page = Vec::new();
        clap_mangen::Man::new(
            sub.clone()
                .name(name.clone())
                .bin_name(format!("zkdd {}", sub.get_name())),
        )
        .render(&mut page)?;
        pages.push((format!("{name}.1"), page));
    }
    Ok(pages)
}

#[cfg(test)]
mod tests {
    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
