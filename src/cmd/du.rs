//! `zkdd du`: space by subtree from a snapshot or a data dir.

use std::io::Write;
use std::path::PathBuf;

use crate::cmd::args::{
    ConfigArgs, LocalTimeArgs, OutputArgs, PointArgs, ReadArgs, Settings, SizeArgs,
};
use crate::error::{Error, ExitStatus};
use crate::files::sniff::{DataFile, data_file};
use crate::ops::du;
use crate::render::Output;
use crate::render::du as show;
use crate::render::ncdu;
use crate::tree::replay::{self, Options};

/// Space by subtree: nodes, data bytes (each znode with everything below it)
/// and ephemerals per session, largest first.
///
/// INPUT is a snapshot file (read on its own) or a data dir (replayed to its
/// end, as ZooKeeper would restore it). --ncdu writes ncdu's JSON export
/// (the format ZooKeeper's SnapshotFormatter -json writes) for browsing with
/// `ncdu -f FILE`: each znode is an entry sized by its own data, and a
/// znode with children is a directory.
#[derive(clap::Args, Debug, Default)]
pub struct Args {
    /// A snapshot file or a data dir (dataDir, its version-2/, or default from --config).
    #[arg(value_name = "INPUT")]
    pub input: Option<PathBuf>,
    /// Where to find the data dir when none is given.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Only this subtree.
    #[arg(long, value_name = "PATH", default_value = "/")]
    pub prefix: String,
    /// Show nodes at most this many levels below the prefix.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub depth: usize,
    /// Show at most this many rows (0: all).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub limit: usize,
    /// Write ncdu's JSON export instead (browse with `ncdu -f FILE`).
    #[arg(long, conflicts_with = "json")]
    pub ncdu: bool,
    /// A data dir: the tree at this point instead of at the end of the logs.
    #[command(flatten)]
    pub point: PointArgs,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub local: LocalTimeArgs,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub report: OutputArgs,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub size: SizeArgs,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub read: ReadArgs,
}

impl Args {
    /// What this subcommand runs with.
    pub fn settings(&self) -> Settings {
        Settings {
            report: self.report.clone(),
            bytes: self.size.bytes,
            local: self.local.local,
            read: self.read.clone(),
            ..Settings::default()
        }
    }
}

/// Runs `zkdd du`.
pub fn run(args: &Args, global: &Settings, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    if !args.prefix.starts_with('/') {
        return Err(Error::Usage(format!(
            "--prefix {:?}: a znode path starts with '/'",
            args.prefix
        )));
    }
    let opts = Options {
        target: args.point.target(global.local)?,
        no_mmap: global.read.no_mmap,
        limits: global.limits(),
        ..Options::default()
    };
    let mut findings = false;
    let tree = match &args.input {
        Some(p) if !p.is_dir() => match data_file(p)? {
            _ if args.point.to_zxid.is_some()
                || args.point.before_zxid.is_some()
                || args.point.to_time.is_some() =>
            {
                return Err(Error::Usage(format!(
                    "{}: a point in time needs a data dir (a snapshot is one point)",
                    p.display()
                )));
            }
            DataFile::Snapshot(_) => replay::load_snapshot_file(p, &opts)?,
            DataFile::Log => {
                return Err(Error::Usage(format!(
                    "{}: a txn log; du takes a snapshot file or a data dir",
                    p.display()
                )));
            }
        },
        dir => {
            let dir = args.config.open(dir.as_deref(), out)?;
            let r = replay::replay(&dir, &opts, &mut |_, _| {})?;
            crate::render::replay::verbose(out, &r);
            crate::render::replay::problems(out, &r);
            findings = r.has_findings();
            r.tree
        }
    };
    let prefix = args.prefix.as_bytes();
    let prefix = if prefix.len() > 1 {
        prefix.strip_suffix(b"/").unwrap_or(prefix)
    } else {
        prefix
    };
    let rep = du::usage(&tree, prefix);
    let Some(top) = rep.nodes.first() else {
        return Err(Error::Usage(format!(
            "--prefix {}: no such node",
            args.prefix
        )));
    };
    if args.ncdu {
        let ts = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let mut buf = ncdu::ncdu(&rep.nodes, env!("CARGO_PKG_VERSION"), ts);
        buf.push(b'\n');
        out.write_all(&buf).map_err(|e| Error::io("stdout", e))?;
    } else {
        show::report(out, &rep, top, args.depth, args.limit)?;
    }
    Ok(ExitStatus::from_findings(findings))
}
