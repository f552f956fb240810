//! `zkdd recover`: a new data dir ZooKeeper starts from, holding the newest
//! state the damaged one can honestly give.

use std::path::{Path, PathBuf};

use crate::cmd::args::{ConfigArgs, LocalTimeArgs, OutputArgs, ReadArgs, Settings, ThreadArgs};
use crate::error::{Error, ExitStatus};
use crate::files::atomic;
use crate::files::datadir::DataDir;
use crate::ops::diff::{self, DiffOptions, Side, SideTree};
use crate::ops::recover::{self, Options};
use crate::render::Output;
use crate::render::recover::{self as show, Extra};
use crate::render::zkcli;

/// Build a new data dir ZooKeeper starts from, out of one it cannot start
/// from (or starts from with silent loss), and say what was lost.
///
/// The source is never written to. The new data dir holds
/// version-2/snapshot.ZXID (hex) with the newest state that can be honestly
/// recovered: ZooKeeper's own restore (its snapshot choice, falling back
/// over damaged snapshots; the initial tree when every snapshot is gone and
/// the logs reach back to the first txn), stopped at the last txn before the
/// first damage, gap or digest mismatch: every txn up to it is present,
/// verified and in sequence. Damage among txns the snapshot already holds
/// costs nothing: the log is read on from the next valid entry. ZooKeeper itself either refuses to start there
/// or skips past the damage, silently dropping what lies between. For a
/// quorum peer (epoch files or myid) it also holds currentEpoch and
/// acceptedEpoch, never lower than the recovered zxid's epoch nor the
/// source's, and myid. Nothing else is carried over: no log, no damaged
/// file, no leftover.
///
/// It is written to a temporary directory beside NEWDIR, synced, and
/// renamed into place. The report says what was wrong, what was recovered,
/// exactly what was lost (the txns still readable after the damage, found
/// by the salvage scan, with their ops and paths) and what to do next.
#[derive(clap::Args, Debug, Default)]
pub struct Args {
    /// The damaged data dir (dataDir, its version-2/, or from --config / zoo.cfg); never written to.
    #[arg(value_name = "DATADIR")]
    pub dir: Option<PathBuf>,
    /// Where to find the data dir when none is given.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// The new data dir to write (must not exist, or be an empty directory).
    #[arg(
        long,
        short,
        value_name = "NEWDIR",
        required_unless_present = "dry_run"
    )]
    pub output: Option<PathBuf>,
    /// Print what would be recovered and lost; write nothing.
    #[arg(long, short = 'n')]
    pub dry_run: bool,
    /// Also write the readable txns after the damage as a zkCli script, for review (must not exist).
    #[arg(long, value_name = "FILE")]
    pub script: Option<PathBuf>,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub report: OutputArgs,
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
            local: self.local.local,
            read: self.read.clone(),
            threads: self.threads.threads,
            ..Settings::default()
        }
    }
}

/// True when `p` is `dir` or inside it.
fn under(p: &Path, dir: &Path) -> bool {
    match (std::fs::canonicalize(dir), absolute_parent(p)) {
        (Ok(d), Some(p)) => p.starts_with(d),
        _ => false,
    }
}

/// `p` with its existing parent canonicalized (`p` itself may not exist).
fn absolute_parent(p: &Path) -> Option<PathBuf> {
    if let Ok(c) = std::fs::canonicalize(p) {
        return Some(c);
    }
    let parent = match p.parent() {
        Some(x) if !x.as_os_str().is_empty() => x,
        _ => Path::new("."),
    };
    Some(std::fs::canonicalize(parent).ok()?.join(p.file_name()?))
}

/// Refuses an output inside the source's dataDir or dataLogDir (moving
/// the source aside would move it too, and ZooKeeper may read it there).
fn check_outside(dir: &DataDir, p: &Path, flag: &str) -> Result<(), Error> {
    let held = dir.holding(p);
    for v2 in [&dir.snap_dir, &dir.log_dir] {
        let data = v2.parent().unwrap_or(v2);
        let canon = |x: &Path| std::fs::canonicalize(x).ok();
        if held.as_deref().is_some_and(|h| canon(h) == canon(v2)) || under(p, data) {
            return Err(Error::Usage(format!(
                "{flag} {}: inside the data dir being recovered ({}); write it elsewhere",
                p.display(),
                data.display()
            )));
        }
    }
    Ok(())
}

fn check_output(dir: &DataDir, p: &Path) -> Result<(), Error> {
    check_outside(dir, p, "--output")?;
    if p.exists() {
        let empty = std::fs::read_dir(p)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if !p.is_dir() || !empty {
            return Err(Error::Usage(format!(
                "--output {}: exists and is not an empty directory",
                p.display()
            )));
        }
    }
    let parent = match p.parent() {
        Some(x) if !x.as_os_str().is_empty() => x,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        return Err(Error::Usage(format!(
            "--output {}: {} is not a directory",
            p.display(),
            parent.display()
        )));
    }
    Ok(())
}

/// Runs `zkdd recover`.
pub fn run(args: &Args, global: &Settings, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    let dir = args.config.open(args.dir.as_deref(), out)?;
    if let Some(o) = &args.output {
        check_output(&dir, o)?;
    }
    if let Some(s) = &args.script {
        check_outside(&dir, s, "--script")?;
        if s.exists() {
            return Err(Error::Usage(format!("--script {}: exists", s.display())));
        }
    }
    let write = !args.dry_run;
    let opts = Options {
        limits: global.limits(),
        no_mmap: global.read.no_mmap,
        threads: global.threads(),
        unsafe_tree: write && args.script.is_some(),
        ..Options::default()
    };
    let pb = out.progress(0, "recover");
    pb.set_message("recover: verifying and replaying");
    let mut plan = recover::plan(&dir, &opts)?;
    pb.finish_and_clear();

    let written = match (&args.output, write, &plan.report.recovered) {
        (Some(o), true, Ok(_)) => Some(recover::write(&plan, o).map_err(|e| Error::io(o, e))?),
        _ => None,
    };
    let mut script: Option<(PathBuf, zkcli::Script)> = None;
    if let (Some(path), Some(tree), Some(unsafe_tree)) =
        (&args.script, plan.tree.take(), plan.unsafe_tree.take())
    {
        let s = lost_script(tree, unsafe_tree);
        let header = show::script_header(&plan.report, args.output.as_deref());
        atomic::write_file(path, false, |w| {
            use std::io::Write;
            for l in header.iter().chain(&s.lines) {
                w.write_all(l.as_bytes())?;
                w.write_all(b"\n")?;
            }
            Ok(())
        })
        .map_err(|e| Error::io(path, e))?;
        for warning in &s.warnings {
            out.warn(warning);
        }
        script = Some((path.clone(), s));
    }
    show::report(
        out,
        &plan.report,
        &Extra {
            output: args.output.as_deref(),
            dry_run: args.dry_run,
            written: written.as_ref(),
            script: script
                .as_ref()
                .map(|(p, s)| (p.as_path(), s.lines.len(), s.warnings.as_slice())),
            script_asked: args.script.as_deref().filter(|_| script.is_none()),
        },
    )?;
    let status = match &plan.report.recovered {
        Err(_) => ExitStatus::Trouble,
        Ok(_) => ExitStatus::from_findings(plan.report.lost_txns()),
    };
    // Freeing a big tree node by node takes a while and the process is
    // about to exit: let the OS reclaim it.
    std::mem::forget(plan);
    Ok(status)
}

/// zkCli commands turning the recovered tree into the unsafe one.
fn lost_script(tree: crate::tree::DataTree, unsafe_tree: crate::tree::DataTree) -> zkcli::Script {
    let side = |label: &str, t| Side {
        label: label.into(),
        tree: SideTree::Tree(Box::new(t)),
        zxid: None,
        notes: Vec::new(),
    };
    let (left, right) = (side("recovered", tree), side("unsafe", unsafe_tree));
    let (changes, _) = diff::diff(&left.nodes(), &right.nodes(), &DiffOptions::default());
    zkcli::diff_script(&changes, crate::render::redact::Redaction::Off)
}
