//! The command line: one module per subcommand, each with `Args` (clap) and
//! a short `run` that parses flags, calls [`crate::ops`] and hands the report
//! to [`crate::render`]; [`args`] holds the flags several subcommands share.

pub mod args;
pub mod completions;
pub mod diff;
pub mod du;
pub mod dump;
pub mod extract;
pub mod history;
pub mod purge;
pub mod recover;
pub mod repair;
pub mod replay;
pub mod report;
pub mod verify;

use clap::{Parser, Subcommand};

use crate::error::{Error, ExitStatus, ReplayError};
use crate::render::Output;
pub use args::{ConfigArgs, Settings};

/// Inspect, verify, replay, diff and purge Apache ZooKeeper data directories.
#[derive(Parser, Debug)]
#[command(name = "zkdd", version, about, long_about = None, after_help = EXIT_STATUS, after_long_help = LONG_HELP)]
pub struct Cli {
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

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Print txn logs and snapshots for people or as JSON Lines.
    Dump(Box<dump::Args>),
    /// Check files and data dirs: checksums, torn tails, gaps, recoverability, digests.
    Verify(verify::Args),
    /// Rebuild the tree at a zxid or time and write it as a snapshot or JSON.
    Replay(Box<replay::Args>),
    /// Compare two trees (snapshots, data dirs at points, JSON dumps).
    Diff(diff::Args),
    /// Delete old snapshots and logs, keeping everything recovery needs.
    Purge(purge::Args),
    /// Every change to a znode (or subtree) across snapshots and logs.
    History(Box<history::Args>),
    /// Write a subtree as it was before a zxid: a zkCli script (undelete) or JSON.
    Extract(Box<extract::Args>),
    /// Space by subtree from a snapshot or data dir; ncdu export.
    Du(Box<du::Args>),
    /// Write a cleaned copy of a damaged txn log (never edits in place).
    Repair(Box<repair::Args>),
    /// Build a data dir ZooKeeper starts from out of a damaged one, and say what was lost.
    Recover(Box<recover::Args>),
    /// One self-contained HTML page of a data dir, for incident reviews.
    Report(Box<report::Args>),
    /// Print shell completions.
    Completions(completions::Args),
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

impl Command {
    /// The subcommand's name as typed.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Dump(_) => "dump",
            Command::Verify(_) => "verify",
            Command::Replay(_) => "replay",
            Command::Diff(_) => "diff",
            Command::Purge(_) => "purge",
            Command::History(_) => "history",
            Command::Extract(_) => "extract",
            Command::Du(_) => "du",
            Command::Repair(_) => "repair",
            Command::Recover(_) => "recover",
            Command::Report(_) => "report",
            Command::Completions(_) => "completions",
        }
    }

    /// What the subcommand runs with, from the flags it takes.
    pub fn settings(&self) -> Settings {
        match self {
            Command::Dump(a) => a.settings(),
            Command::Verify(a) => a.settings(),
            Command::Replay(a) => a.settings(),
            Command::Diff(a) => a.settings(),
            Command::Purge(a) => a.settings(),
            Command::History(a) => a.settings(),
            Command::Extract(a) => a.settings(),
            Command::Du(a) => a.settings(),
            Command::Repair(a) => a.settings(),
            Command::Recover(a) => a.settings(),
            Command::Report(a) => a.settings(),
            Command::Completions(_) => Settings::default(),
        }
    }
}

/// Runs the parsed command line against `out`.
pub fn run(cli: &Cli, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    let settings = cli.command.settings();
    let g = &settings;
    let started = std::time::Instant::now();
    let status = match &cli.command {
        Command::Dump(a) => dump::run(a, g, out),
        Command::Verify(a) => verify::run(a, g, out),
        Command::Replay(a) => replay::run(a, g, out),
        Command::Diff(a) => diff::run(a, g, out),
        Command::Purge(a) => purge::run(a, g, out),
        Command::History(a) => history::run(a, g, out),
        Command::Extract(a) => extract::run(a, g, out),
        Command::Du(a) => du::run(a, g, out),
        Command::Repair(a) => repair::run(a, g, out),
        Command::Recover(a) => recover::run(a, g, out),
        Command::Report(a) => report::run(a, g, out),
        Command::Completions(a) => {
            use clap::CommandFactory;
            completions::run(a, &mut Cli::command(), out)
        }
    }
    .map_err(explain)?;
    out.note(&format!(
        "{} took {}",
        cli.command.name(),
        crate::render::units::duration(started.elapsed())
    ));
    out.flush()?;
    Ok(status)
}

/// A usage error clap cannot say well, found in the raw arguments:
/// PurgeTxnLog users type `purge -n 5` for "retain 5", where `-n` is
/// `--dry-run`.
pub fn usage_hint(argv: &[std::ffi::OsString]) -> Option<String> {
    let args: Vec<&str> = argv.iter().filter_map(|a| a.to_str()).collect();
    if args.get(1) != Some(&"purge") {
        return None;
    }
    let at = args.iter().position(|a| *a == "-n")?;
    let count = args.get(at + 1)?;
    let is_number = !count.is_empty() && count.bytes().all(|b| b.is_ascii_digit());
    (is_number && !std::path::Path::new(count).exists()).then(|| {
        format!("-n is --dry-run here; did you mean --retain {count}? (PurgeTxnLog's -n is the retain count)")
    })
}

/// The library's errors with the flags that help, where some do.
pub fn explain(e: Error) -> Error {
    match e {
        Error::Replay(ReplayError::NoUsableSnapshot { .. }) => Error::Usage(format!(
            "{e}; use --from-empty if the logs go back to the first txn, or --snapshot FILE"
        )),
        Error::Replay(ReplayError::LogsNotFromStart(_)) => {
            Error::Usage(format!("--from-empty: {e}"))
        }
        e => e,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
