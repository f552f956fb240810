//! `zkdd history`: every change to a znode (or subtree) across a data dir.

use std::path::PathBuf;

use crate::cmd::args::{
    ConfigArgs, LocalTimeArgs, OutputArgs, RangeArgs, ReadArgs, RedactArgs, Settings,
};
use crate::error::{Error, ExitStatus};
use crate::ops::history;
use crate::render::Output;
use crate::render::history as show;

/// Every change to a znode across all snapshots and logs of a data dir: zxid,
/// time, session, op, and the node (data, version, ACL) before and after.
///
/// The data dir is replayed from the oldest point it allows: ZooKeeper's
/// empty tree when the logs reach the first txn, else the oldest snapshot
/// (changes before it are gone). Changes inside multis, deletes of
/// ephemerals when their session closed or expired (closeSession; cxid 0 is
/// an expiry by the session tracker) and deletes of empty containers or
/// expired TTL nodes by the container manager (deleteContainer, session 0)
/// are included, with the reason. For an ephemeral node, the owner
/// session's createSession and closeSession are shown when the logs hold them.
#[derive(clap::Args, Debug, Default)]
pub struct Args {
    /// The znode (e.g. /app/cfg), then the data dir (dataDir, its version-2/, or default from
    /// --config / zoo.cfg); with --path or --prefix, only the data dir.
    #[arg(value_name = "ZNODE|DATADIR", num_args = 0..=2)]
    pub operands: Vec<String>,
    /// The znode whose changes to show (the same as giving it first).
    #[arg(long, value_name = "PATH", conflicts_with = "prefix")]
    pub path: Option<String>,
    /// Every node in this subtree.
    #[arg(long, value_name = "PATH")]
    pub prefix: Option<String>,
    /// Where to find the data dir when none is given.
    #[command(flatten)]
    pub config: ConfigArgs,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub range: RangeArgs,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub report: OutputArgs,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub redact: RedactArgs,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub local: LocalTimeArgs,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub read: ReadArgs,
}

impl Args {
    /// What this subcommand runs with.
    pub fn settings(&self) -> Settings {
        Settings {
            report: self.report.clone(),
            redact: self.redact.redact,
            local: self.local.local,
            read: self.read.clone(),
            ..Settings::default()
        }
    }
}

/// Runs `zkdd history`.
pub fn run(args: &Args, global: &Settings, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    // `history ZNODE [DATADIR]`, or `history --path|--prefix PATH [DATADIR]`.
    let (path, subtree, dir) = match (&args.path, &args.prefix, args.operands.as_slice()) {
        (Some(p), None, [] | [_]) => (p.clone(), false, args.operands.first()),
        (None, Some(p), [] | [_]) => (p.clone(), true, args.operands.first()),
        (None, None, [p]) => (p.clone(), false, None),
        (None, None, [p, d]) => (p.clone(), false, Some(d)),
        (None, None, []) => {
            return Err(Error::Usage(
                "which znode? give it first, or --path PATH, or --prefix PATH for a subtree".into(),
            ));
        }
        _ => {
            return Err(Error::Usage(
                "with --path or --prefix, give only the data dir".into(),
            ));
        }
    };
    if !path.starts_with('/') {
        return Err(Error::Usage(format!(
            "{path:?}: a znode path starts with '/'"
        )));
    }
    let bounds = args.range.bounds(global.local)?;
    let dir = dir.map(PathBuf::from);
    let dir = args.config.open(dir.as_deref(), out)?;
    let pb = out.progress(0, "history");
    let mut h = history::history(
        &dir,
        path.as_bytes(),
        subtree,
        global.read.no_mmap,
        global.limits(),
        &mut |d, t| {
            pb.set_length(t);
            pb.set_position(d);
        },
    )?;
    pb.finish_and_clear();
    crate::render::replay::verbose(out, &h.replay);
    crate::render::replay::problems(out, &h.replay);
    h.changes.retain(|c| bounds.contains(c.zxid, c.time));
    show::history(out, &h, &path, subtree, global.local)?;
    Ok(ExitStatus::from_findings(h.replay.has_findings()))
}
