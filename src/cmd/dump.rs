//! `zkdd dump`: print txn logs and snapshots, for people or as JSON Lines.

use std::path::PathBuf;
use std::time::Duration;

use crate::cmd::args::{
    ConfigArgs, LocalTimeArgs, OutputArgs, RangeArgs, ReadArgs, RedactArgs, Settings, SizeArgs,
    ThreadArgs,
};
use crate::error::{Error, ExitStatus};
use crate::files::datadir::{FileKind, Irregular};
use crate::files::sniff::{DataFile, data_file};
use crate::format::compress::Compression;
use crate::format::txn::OpCode;
use crate::format::txnlog::IterOptions;
use crate::ops::dump::follow::Start;
use crate::ops::dump::{Filter, Stats};
use crate::render::Output;
use crate::render::dump::{self as show, DumpWriter, TextOptions};
use crate::render::human::DataMode;
use crate::zxid::SessionId;

/// Print txn logs and snapshots: one line per txn or node, or JSON Lines.
///
/// Give log files, snapshot files, or data directories. For a directory, all
/// its logs are printed as one stream in zxid order; --snapshots prints its
/// snapshots instead and --all prints both.
#[derive(clap::Args, Debug, Default)]
pub struct Args {
    /// Log files, snapshot files, or data directories (default: from --config or zoo.cfg).
    #[arg(value_name = "FILE|DIR")]
    pub inputs: Vec<PathBuf>,
    /// Where to find the data dir when none is given.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// For directories: print the snapshots instead of the logs.
    #[arg(long, conflicts_with = "all")]
    pub snapshots: bool,
    /// For directories: print the logs, then the snapshots.
    #[arg(long)]
    pub all: bool,
    /// How to show znode data in text output.
    #[arg(long, value_enum, default_value_t = DataMode::Text)]
    pub data: DataMode,
    /// Show at most this many bytes of each value in text output (0 = all).
    #[arg(long, value_name = "BYTES", default_value_t = 256)]
    pub max_data: usize,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub range: RangeArgs,
    /// Stop after printing N txns or nodes (pg_waldump -n).
    #[arg(long, value_name = "N", conflicts_with_all = ["stats", "follow"])]
    pub limit: Option<u64>,
    /// Only txns touching exactly this path (inside multis too).
    #[arg(long, value_name = "PATH")]
    pub path: Option<String>,
    /// Only txns or nodes in this subtree (inside multis too).
    #[arg(long, value_name = "PATH")]
    pub prefix: Option<String>,
    /// Only txns of this session (hex id).
    #[arg(long, value_name = "ID")]
    pub session: Option<String>,
    /// Only these ops (comma-separated: create,delete,setData,multi,...); a multi
    /// matches when any of its sub-ops does.
    #[arg(long, value_name = "NAME,...", value_delimiter = ',')]
    pub op: Vec<String>,
    /// Snapshots: print nodes only.
    #[arg(long, conflicts_with = "sessions_only")]
    pub nodes_only: bool,
    /// Snapshots: print sessions only.
    #[arg(long)]
    pub sessions_only: bool,
    /// Print statistics instead of records: for logs, txns and bytes per op type, session and
    /// top-level subtree; for a snapshot, nodes and data per top-level subtree, node kind and
    /// session (ephemerals).
    #[arg(long)]
    pub stats: bool,
    /// Exit 1 on warnings too (a crash tail: a torn or partial last entry).
    #[arg(long)]
    pub strict: bool,
    /// Show each txn's digest in text output.
    #[arg(long)]
    pub digests: bool,
    /// Follow the newest log of a live data dir (or the given log) like
    /// `tail -f`: start at its end (--from-start, --tail N to see more), print
    /// new entries as they are written, move to the next log when the server
    /// rolls. Stop with Ctrl-C. Finding the end reads the log once (no
    /// output, flat memory).
    #[arg(long, short = 'f', conflicts_with_all = ["snapshots", "all", "stats"])]
    pub follow: bool,
    /// With --follow: stop after this many seconds without new entries (for scripts).
    #[arg(long, value_name = "SECS", requires = "follow")]
    pub follow_timeout: Option<f64>,
    /// With --follow: start at the first entry of the newest log (or the log
    /// given) instead of at its end.
    #[arg(long, requires = "follow", conflicts_with = "tail")]
    pub from_start: bool,
    /// With --follow: first show the last N txns that pass the filters (from
    /// older logs too when the newest holds fewer), then follow.
    #[arg(long, value_name = "N", requires = "follow")]
    pub tail: Option<usize>,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub report: OutputArgs,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub redact: RedactArgs,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub size: SizeArgs,
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
            redact: self.redact.redact,
            bytes: self.size.bytes,
            local: self.local.local,
            read: self.read.clone(),
            threads: self.threads.threads,
        }
    }
}

/// Builds the filter from the flags.
fn filter(a: &Args, local: bool) -> Result<Filter, Error> {
    let bounds = a.range.bounds(local)?;
    let ops = a
        .op
        .iter()
        .map(|n| {
            OpCode::from_name(n.trim()).ok_or_else(|| {
                Error::Usage(format!(
                    "unknown op {n:?} (known: create, create2, createContainer, createTtl, delete, deleteContainer, setData, setACL, check, multi, reconfig, createSession, closeSession, error)"
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let session = a
        .session
        .as_deref()
        .map(|s| {
            SessionId::parse(s).ok_or_else(|| Error::Usage(format!("invalid session id {s:?}")))
        })
        .transpose()?;
    Ok(Filter {
        zxid_from: bounds.zxid_from,
        zxid_to: bounds.zxid_to,
        since: bounds.since,
        until: bounds.until,
        path: a.path.as_ref().map(|p| p.as_bytes().to_vec()),
        prefix: a.prefix.as_ref().map(|p| p.as_bytes().to_vec()),
        session,
        ops,
    })
}

/// One file to print.
enum Input {
    Log(PathBuf),
    Snapshot(PathBuf, Compression),
}

/// Runs `zkdd dump`.
pub fn run(args: &Args, global: &Settings, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    let mut d = DumpWriter {
        remaining: args.limit,
        filter: filter(args, global.local)?,
        text: TextOptions {
            data: args.data,
            max_data: args.max_data,
            local: global.local,
            digests: args.digests,
            redact: out.redact,
        },
        options: IterOptions {
            limits: global.limits(),
            verify_checksums: true,
        },
        threads: global.threads(),
        no_mmap: global.read.no_mmap,
        nodes: !args.sessions_only,
        sessions: !args.nodes_only,
        out,
        problems: 0,
        warnings: 0,
    };
    if args.follow {
        let target = match args.inputs.as_slice() {
            [] => args.config.open(None, d.out)?.log_dir,
            [p] if p.is_dir() => args.config.open(Some(p), d.out)?.log_dir,
            [p] => p.clone(),
            _ => {
                return Err(Error::Usage(
                    "--follow takes one data dir or one log file".into(),
                ));
            }
        };
        let start = match (args.from_start, args.tail) {
            (true, _) => Start::FromStart,
            (false, Some(n)) => Start::Tail(n),
            (false, None) => Start::End,
        };
        d.follow(
            &target,
            start,
            args.follow_timeout.map(Duration::from_secs_f64),
        )?;
    } else {
        let (inputs, irregular) = inputs(args, d.out)?;
        for i in &irregular {
            d.irregular(i);
        }
        let mut stats = args.stats.then(Stats::default);
        for input in &inputs {
            match input {
                Input::Log(p) => d.log(p, stats.as_mut())?,
                Input::Snapshot(p, c) => d.snapshot(p, *c, stats.is_some())?,
            }
        }
        // Txn counts when logs were read; a snapshot's node counts were
        // printed with it.
        if let Some(stats) = stats
            && inputs.iter().any(|i| matches!(i, Input::Log(_)))
        {
            show::stats(d.out, &stats.report())?;
        }
    }
    Ok(ExitStatus::from_findings(
        d.problems > 0 || (args.strict && d.warnings > 0),
    ))
}

/// The files the arguments name, in the order they are printed, and the
/// entries of the data dirs named like logs or snapshots that are not
/// regular files.
fn inputs(args: &Args, out: &mut Output<'_>) -> Result<(Vec<Input>, Vec<Irregular>), Error> {
    let mut inputs = Vec::new();
    let mut irregular = Vec::new();
    let mut dirs = Vec::new();
    if args.inputs.is_empty() {
        dirs.push(args.config.open(None, out)?);
    }
    for p in &args.inputs {
        if p.is_dir() {
            dirs.push(args.config.open(Some(p), out)?);
            continue;
        }
        inputs.push(match data_file(p)? {
            DataFile::Log => Input::Log(p.clone()),
            DataFile::Snapshot(c) => Input::Snapshot(p.clone(), c),
        });
    }
    for dir in dirs {
        irregular.extend(
            dir.irregular
                .iter()
                .filter(|i| matches!(i.kind, FileKind::Log(_) | FileKind::Snapshot(..)))
                .cloned(),
        );
        let logs = dir.logs.iter().map(|l| Input::Log(l.path.clone()));
        let snaps = dir
            .snapshots
            .iter()
            .map(|s| Input::Snapshot(s.path.clone(), s.compression));
        if args.snapshots {
            inputs.extend(snaps);
        } else if args.all {
            inputs.extend(logs);
            inputs.extend(snaps);
        } else {
            if dir.logs.is_empty() {
                out.warn(&format!("{}: no log files", dir.log_dir.display()));
            }
            inputs.extend(logs);
        }
    }
    Ok((inputs, irregular))
}
