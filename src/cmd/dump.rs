//! `zkdd dump`: print txn logs and snapshots, for people or as JSON Lines.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cmd::args::{ConfigArgs, GlobalArgs};
use crate::error::{Error, ExitStatus};
use crate::files::log::OpenLog;
use crate::files::sniff::{DataFile, sniff};
use crate::files::source;
use crate::format::compress::Compression;
use crate::format::snapshot::Snapshot;
use crate::format::txn::OpCode;
use crate::format::txnlog::IterOptions;
use crate::ops::dump::follow::{self, FollowEvent};
use crate::ops::dump::log::LogDumper;
use crate::ops::dump::snapshot as snap_pass;
use crate::ops::dump::{Filter, Stats};
use crate::render::Output;
use crate::render::dump::{self as show, NodeLines, SnapshotInfo, TextOptions, TxnLines};
use crate::render::human::DataMode;
use crate::timefmt;
use crate::zxid::{SessionId, parse_range};

/// Print txn logs and snapshots: one line per txn or node, or JSON Lines.
///
/// Give log files, snapshot files, or data directories. For a directory, all
/// its logs are printed as one stream in zxid order; --snapshots prints its
/// snapshots instead and --all prints both.
#[derive(clap::Args, Debug, Default)]
#[command(after_help = "Examples:
  zkdd dump /var/lib/zookeeper                    all logs of a data dir, oldest first
  zkdd dump --path /app/config --json log.1a      every change to one znode, as JSON Lines
  zkdd dump --zxid 0x1a2b..0x1a40 --op delete,multi /var/lib/zookeeper
  zkdd dump --since 2026-11-23T03:00Z --prefix /services /var/lib/zookeeper
  zkdd dump --stats log.100000001                 counts and bytes per op, session, subtree
  zkdd dump --prefix /app snapshot.4d.gz          the nodes of one subtree
  zkdd dump --follow --json /var/lib/zookeeper    new txns of a running server, as written

Exit status:
  0  every file read to a clean end (--follow: stopped by --follow-timeout)
  1  a file is damaged or ends in a torn record (reported on stderr and in the
     JSON \"file\" line, with its offset); everything before it was printed
  2  could not run: usage, I/O error, not a ZooKeeper file")]
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
    /// Only txns with zxid in A..B (inclusive; either end may be left out).
    #[arg(long, value_name = "A..B")]
    pub zxid: Option<String>,
    /// Only txns at or after this time (RFC 3339, e.g. 2026-11-23T03:14:00Z).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only txns at or before this time.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
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
    /// Print counts and bytes per op type, session and top-level subtree instead of txns.
    #[arg(long)]
    pub stats: bool,
    /// Show each txn's digest in text output.
    #[arg(long)]
    pub digests: bool,
    /// Follow the newest log of a live data dir (or the given log) like
    /// `tail -f`: print new entries as they are written, move to the next log
    /// when the server rolls. Stop with Ctrl-C.
    #[arg(long, short = 'f', conflicts_with_all = ["snapshots", "all", "stats"])]
    pub follow: bool,
    /// With --follow: stop after this many seconds without new entries (for scripts).
    #[arg(long, value_name = "SECS", requires = "follow")]
    pub follow_timeout: Option<f64>,
}

/// Builds the filter from the flags.
fn filter(a: &Args, local: bool) -> Result<Filter, Error> {
    let (zxid_from, zxid_to) = match &a.zxid {
        Some(r) => parse_range(r).ok_or_else(|| {
            Error::Usage(format!(
                "invalid zxid range {r:?}: use A..B with hex zxids, e.g. 0x1a..0x2f"
            ))
        })?,
        None => (None, None),
    };
    let time = |t: &Option<String>| -> Result<Option<i64>, Error> {
        t.as_deref()
            .map(|s| timefmt::parse(s, local).map_err(Error::Usage))
            .transpose()
    };
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
        zxid_from,
        zxid_to,
        since: time(&a.since)?,
        until: time(&a.until)?,
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
pub fn run(args: &Args, global: &GlobalArgs, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    let mut d = Dumper {
        filter: filter(args, global.local)?,
        text: TextOptions {
            data: args.data,
            max_data: args.max_data,
            local: global.local,
            digests: args.digests,
        },
        out,
        args,
        global,
        problems: 0,
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
        d.follow(&target)?;
    } else {
        let inputs = inputs(args, d.out)?;
        let mut stats = args.stats.then(Stats::default);
        for input in &inputs {
            match input {
                Input::Log(p) => d.log(p, stats.as_mut())?,
                Input::Snapshot(p, c) => d.snapshot(p, *c, stats.is_some())?,
            }
        }
        if let Some(stats) = stats {
            show::stats(d.out, &stats.report())?;
        }
    }
    Ok(ExitStatus::from_findings(d.problems > 0))
}

/// The files the arguments name, in the order they are printed.
fn inputs(args: &Args, out: &mut Output<'_>) -> Result<Vec<Input>, Error> {
    let mut inputs = Vec::new();
    let mut dirs = Vec::new();
    if args.inputs.is_empty() {
        dirs.push(args.config.open(None, out)?);
    }
    for p in &args.inputs {
        if p.is_dir() {
            dirs.push(args.config.open(Some(p), out)?);
            continue;
        }
        inputs.push(match sniff(p).map_err(|e| Error::io(p, e))? {
            Some(DataFile::Log) => Input::Log(p.clone()),
            Some(DataFile::Snapshot(c)) => Input::Snapshot(p.clone(), c),
            None => {
                return Err(Error::Usage(format!(
                    "{}: not a ZooKeeper txn log or snapshot (unknown name and magic)",
                    p.display()
                )));
            }
        });
    }
    for dir in dirs {
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
    Ok(inputs)
}

/// Per-run state: output, options, and how many files had a problem.
struct Dumper<'o, 'w> {
    out: &'o mut Output<'w>,
    args: &'o Args,
    global: &'o GlobalArgs,
    filter: Filter,
    text: TextOptions,
    problems: usize,
}

impl Dumper<'_, '_> {
    fn problem(&mut self, file: &str, what: &str) {
        self.problems += 1;
        self.out.error(&format!("{file}: {what}"));
    }

    fn options(&self) -> IterOptions {
        IterOptions {
            limits: self.global.limits(),
            verify_checksums: true,
        }
    }

    fn unreadable(
        &mut self,
        file: &str,
        format: &str,
        size: u64,
        e: &crate::format::DecodeError,
    ) -> Result<(), Error> {
        self.problem(file, &e.to_string());
        if self.out.json {
            show::unreadable(self.out, file, format, size, e)?;
        }
        Ok(())
    }

    fn log(&mut self, path: &Path, stats: Option<&mut Stats>) -> Result<(), Error> {
        let file = path.display().to_string();
        // Mapped, or read a window at a time with --no-mmap (a multi-GB log
        // on a live server's host must not be read into memory whole).
        let mut log = match OpenLog::open(path, self.global.no_mmap)? {
            Ok(log) => log,
            Err(bad) => return self.unreadable(&file, "txnlog", bad.size, &bad.error),
        };
        let size = log.len();
        let human = !self.out.json && stats.is_none();
        if human {
            show::log_header(self.out, &file, log.header(), size)?;
        }
        let pb = self.out.progress(size, &file);
        let format = TxnLines::new(&file, self.out.json, self.text);
        let dumper = LogDumper {
            filter: &self.filter,
            format: &format,
            options: self.options(),
            threads: self.global.threads(),
        };
        let out = &mut *self.out;
        let counting = stats.is_some();
        let d = dumper.dump(
            &mut log,
            stats,
            |text| Ok(out.write_all(text)?),
            |at| pb.set_position(at),
        )?;
        pb.finish_and_clear();
        // A break on --zxid leaves the end unknown; that is not a problem.
        if let Some(end) = &d.end
            && !end.is_clean()
        {
            self.problem(&file, &end.describe());
        }
        if self.out.json || !counting {
            show::log_footer(self.out, &file, size, &d)?;
        }
        Ok(())
    }

    fn snapshot(
        &mut self,
        path: &Path,
        compression: Compression,
        stats: bool,
    ) -> Result<(), Error> {
        let file = path.display().to_string();
        let sb = source::open_snapshot(path, compression, self.global.no_mmap)
            .map_err(|e| Error::io(path, e))?;
        if let Some(e) = &sb.container_error {
            self.problem(&file, &format!("{e} (in the compressed file)"));
        }
        let snap = match Snapshot::parse(&sb.stream, self.global.limits()) {
            Ok(s) => s,
            Err(e) => return self.unreadable(&file, "snapshot", sb.file_len, &e),
        };
        let info = SnapshotInfo {
            file: &file,
            compression,
            file_len: sb.file_len,
            stream_len: sb.stream.len() as u64,
        };
        let pass = snap_pass::first_pass(&snap, &sb.stream);
        let text_lines = !self.out.json && !stats;
        if text_lines {
            show::snapshot_header(self.out, &info, &snap, pass.node_count)?;
        }
        if !self.args.nodes_only && !stats {
            show::sessions(self.out, &snap, &pass)?;
        }
        if !self.args.sessions_only && !stats {
            let format = NodeLines::new(&file, self.out.json, self.text);
            let out = &mut *self.out;
            snap_pass::render_nodes(
                &snap,
                &pass,
                &self.filter,
                &format,
                self.global.threads(),
                &sb.stream,
                |text| Ok(out.write_all(text)?),
            )?;
        }
        let mut problems = Vec::new();
        let close = show::snapshot_end(
            self.out,
            pass.end.as_ref(),
            text_lines,
            sb.container_error.as_ref(),
            |p| problems.push(p),
        )?;
        for p in problems {
            self.problem(&file, &p);
        }
        if self.out.json {
            show::snapshot_file_line(self.out, &info, &snap, pass.node_count, close)?;
        }
        Ok(())
    }

    /// `--follow`: prints entries of `target` (a log, or a dir whose newest
    /// log is followed) as they appear.
    fn follow(&mut self, target: &Path) -> Result<(), Error> {
        let timeout = self.args.follow_timeout.map(Duration::from_secs_f64);
        let (json, text) = (self.out.json, self.text);
        let format = |p: &Path| TxnLines::new(&p.display().to_string(), json, text);
        let options = self.options();
        let mut problems = 0;
        let out = &mut *self.out;
        follow::follow(target, &self.filter, format, options, timeout, |event| {
            match event {
                FollowEvent::Following(p) => {
                    if !json {
                        out.line(&format!("# following {}", p.display()))?;
                        out.flush()?;
                    }
                }
                FollowEvent::Lines(text) => {
                    out.write_all(text)?;
                    out.flush()?;
                }
                FollowEvent::Problem { file, message } => {
                    problems += 1;
                    out.error(&format!("{}: {message}", file.display()));
                }
                FollowEvent::Shrank { file, offset } => out.warn(&format!(
                    "{}: shrank below offset {offset:#x}; rereading",
                    file.display()
                )),
            }
            Ok(())
        })?;
        self.problems += problems;
        Ok(())
    }
}
