//! `zkdd history`: every change to a znode (or subtree) across a data dir.

use std::path::PathBuf;

use crate::cmd::args::{ConfigArgs, LocalTimeArgs, OutputArgs, ReadArgs, Settings};
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
#[command(after_help = "Examples:
  zkdd history /app/cfg /var/lib/zookeeper           who changed /app/cfg, when, from what to what
  zkdd history /app /var/lib/zookeeper --prefix      everything under /app
  zkdd history /app/lock /var/lib/zookeeper --json | jq 'select(.type==\"history\")'

JSON (--json): one {\"type\":\"history\"} line per change: zxid, time, time_ms, session,
cxid, op (the sub-op for multis), path, via (txn, multi, closeSession,
sessionExpiry, containerManager, ttlExpiry), err (non-zero: a failed multi,
nothing changed), before and after (null when the node is absent, else
{data, acl, stat} as in zkdd dump), owner (for ephemerals: session, created_zxid,
created_time, timeout_ms, closed_zxid, closed_time, expired). Then one
{\"type\":\"summary\"} line: start, final_zxid, changes.

Exit status:
  0  the history was read; every file ended as ZooKeeper expects
  1  findings: a file ZooKeeper would refuse or cut short, a gap (the history may be incomplete)
  2  could not run: usage, I/O error, no usable start")]
pub struct Args {
    /// The znode, e.g. /app/cfg.
    #[arg(value_name = "PATH")]
    pub path: String,
    /// The data dir (dataDir, its version-2/, or default from --config / zoo.cfg).
    #[arg(value_name = "DATADIR")]
    pub dir: Option<PathBuf>,
    /// Where to find the data dir when none is given.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Include every node below PATH too.
    #[arg(long)]
    pub prefix: bool,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub report: OutputArgs,
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
            local: self.local.local,
            read: self.read.clone(),
            ..Settings::default()
        }
    }
}

/// Runs `zkdd history`.
pub fn run(args: &Args, global: &Settings, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    if !args.path.starts_with('/') {
        return Err(Error::Usage(format!(
            "{:?}: a znode path starts with '/'",
            args.path
        )));
    }
    let dir = args.config.open(args.dir.as_deref(), out)?;
    let pb = out.progress(0, "history");
    let h = history::history(
        &dir,
        args.path.as_bytes(),
        args.prefix,
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
    show::history(out, &h, &args.path, args.prefix, global.local)?;
    Ok(ExitStatus::from_findings(h.replay.has_findings()))
}
