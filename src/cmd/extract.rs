//! `zkdd extract`: a subtree as it was just before a zxid, as a zkCli script
//! (the undelete case) or as JSON Lines.

use std::path::PathBuf;

use crate::cmd::args::{
    ConfigArgs, LocalTimeArgs, OutputArgs, PointArgs, ReadArgs, RedactArgs, Settings,
    describe_target,
};
use crate::error::{Error, ExitStatus};
use crate::ops::extract;
use crate::render::Output;
use crate::render::replay::write_tree_json;
use crate::render::zkcli;
use crate::tree::replay::{self, Options, Start};

/// Write a subtree as it was at a point (just before a zxid: the undelete
/// case; after a zxid; at a time; by default at the end of the logs) as a
/// zkCli script that recreates it, or as JSON Lines node lines. zkdd stays offline:
/// apply the script yourself with `zkCli.sh -server HOST:PORT < script`.
///
/// The script creates parents first (ancestors of the prefix too: their
/// create fails harmlessly when they exist), then sets non-default ACLs,
/// children before parents. Sequential nodes keep their full names (plain
/// create, no -s). Containers use create -c, TTL nodes create -t (the server
/// needs -Dzookeeper.extendedTypesEnabled=true). Ephemeral nodes are skipped
/// with a warning, or created persistent with --ephemerals-as-persistent.
/// zkCli cannot type some data: bytes that are not UTF-8, line breaks, text
/// with both quote characters or starting with '-'; such nodes are created
/// without data, with a warning and a comment in the script. Versions,
/// times and zxids are new on the target server. /zookeeper is never written.
#[derive(clap::Args, Debug, Default)]
pub struct Args {
    /// The data dir (dataDir, its version-2/, or default from --config / zoo.cfg).
    #[arg(value_name = "DATADIR")]
    pub dir: Option<PathBuf>,
    /// Where to find the data dir when none is given.
    #[command(flatten)]
    pub config: ConfigArgs,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub point: PointArgs,
    /// The subtree to extract.
    #[arg(long, value_name = "PATH", default_value = "/")]
    pub prefix: String,
    /// Create ephemeral nodes as persistent ones instead of skipping them.
    #[arg(long)]
    pub ephemerals_as_persistent: bool,
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

/// Runs `zkdd extract`.
pub fn run(args: &Args, global: &Settings, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    let target = args.point.target(global.local)?;
    if !args.prefix.starts_with('/') {
        return Err(Error::Usage(format!(
            "--prefix {:?}: a znode path starts with '/'",
            args.prefix
        )));
    }
    let dir = args.config.open(args.dir.as_deref(), out)?;
    let opts = Options {
        start: Start::Auto,
        target,
        no_mmap: global.read.no_mmap,
        limits: global.limits(),
        ..Options::default()
    };
    let pb = out.progress(0, "replay");
    let r = replay::replay(&dir, &opts, &mut |d, t| {
        pb.set_length(t);
        pb.set_position(d);
    })?;
    pb.finish_and_clear();
    let mut findings = r.has_findings();
    crate::render::replay::verbose(out, &r);
    crate::render::replay::problems(out, &r);
    let prefix = args.prefix.as_bytes();
    let prefix = if prefix.len() > 1 {
        prefix.strip_suffix(b"/").unwrap_or(prefix)
    } else {
        prefix
    };
    if out.json {
        write_tree_json(&r.tree, Some(&args.prefix), out)?;
        return Ok(ExitStatus::from_findings(findings));
    }
    let nodes = extract::select(&r.tree, prefix);
    let when = describe_target(&target, global.local);
    let s = zkcli::extract_script(
        &nodes,
        prefix,
        args.ephemerals_as_persistent,
        r.final_zxid(),
        &when,
        out.redact,
    );
    for w in &s.warnings {
        out.warn(w);
    }
    findings |= !s.warnings.is_empty();
    if !nodes.iter().any(|n| !n.ancestor) {
        out.warn(&format!(
            "{}: no such node {when}",
            String::from_utf8_lossy(prefix)
        ));
        findings = true;
    }
    for l in &s.lines {
        out.line(l)?;
    }
    Ok(ExitStatus::from_findings(findings))
}
