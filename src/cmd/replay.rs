//! `zkdd replay`: rebuild the tree at the end, at a zxid or at a time, and
//! write it as a snapshot ZooKeeper loads or as JSON Lines.

use std::path::{Path, PathBuf};

use crate::cmd::args::{
    ConfigArgs, LocalTimeArgs, OutputArgs, PointArgs, ReadArgs, RedactArgs, Settings, SizeArgs,
};
use crate::error::{Error, ExitStatus};
use crate::files::atomic::{self, BackgroundWriter};
use crate::files::datadir::{FileKind, VERSION_DIR, classify, snapshot_name};
use crate::format::compress::Compression;
use crate::format::version::ZkVersion;
use crate::format::write::Compressor;
use crate::render::Output;
use crate::render::replay::{self as show, Extra};
use crate::tree::replay::{self, Options, Start, Stopped, Strictness};
use crate::zxid::Zxid;

/// Rebuild the tree as ZooKeeper restores it, at the end of the logs or at a
/// point in time, and write it as a snapshot or as JSON Lines.
///
/// The start is the snapshot ZooKeeper would choose. For --to-zxid,
/// --before-zxid and --to-time it is the newest snapshot whose content
/// cannot go past the target: a snapshot is fuzzy (it may hold effects of
/// txns after its name), so one with a digest section at zxid D is used only
/// when D+1 <= target, and one without (3.4/3.5, digests off) only when the
/// next snapshot's name + 1 <= target. snapshot.0 is always exact.
///
/// Restoring into a fresh ensemble: sessions in the snapshot are revived by
/// the server and expire after their timeout (10 s typically), deleting
/// their ephemerals then, with a closeSession txn each. --drop-sessions
/// writes no sessions: the server then deletes, at start-up and without a
/// txn, every ephemeral whose owner is not a known session. --drop-ephemerals
/// deletes them here (parent pzxid set to the final zxid, as the server's
/// start-up clean-up would). Either way clients lose those ephemerals at
/// once instead of after a timeout, and the tree no longer matches the
/// other members of the old ensemble. TTL nodes are ephemerals to a server
/// without -Dzookeeper.extendedTypesEnabled=true: it deletes them at start-up.
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
    /// Start from this snapshot file instead of the one ZooKeeper would choose.
    #[arg(long, value_name = "FILE", conflicts_with = "from_empty")]
    pub snapshot: Option<PathBuf>,
    /// Start from ZooKeeper's initial tree (the logs must go back to the first txn).
    #[arg(long)]
    pub from_empty: bool,
    /// The ZooKeeper version (3.4 … 3.9) to write for and whose initial tree
    /// a replay from empty starts with (3.4 has no /zookeeper/config). A
    /// snapshot for 3.4 or 3.5 has no digest section; for 3.9 it ends with
    /// the lastProcessedZxid section. Default: the initial tree the oldest
    /// snapshot shows, and a snapshot in 3.6–3.8's format, which every
    /// version loads.
    #[arg(long, value_name = "X.Y", value_parser = parse_zk_version)]
    pub zk_version: Option<ZkVersion>,
    /// Stop with an error at any problem (torn tail, gap, digest mismatch, bad snapshot).
    #[arg(long)]
    pub strict: bool,
    /// Write the tree: a snapshot (FILE, FILE.gz, FILE.snappy, or a directory) or JSON Lines (FILE.jsonl).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
    /// Only this subtree in JSON output (the extract case).
    #[arg(long, value_name = "PATH")]
    pub prefix: Option<String>,
    /// Delete ephemeral nodes from the result (restoring into a fresh ensemble).
    #[arg(long)]
    pub drop_ephemerals: bool,
    /// Write no sessions (restoring into a fresh ensemble).
    #[arg(long)]
    pub drop_sessions: bool,
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
            ..Settings::default()
        }
    }
}

/// What `--output` names.
enum OutputKind {
    Snapshot(PathBuf, Compression),
    Json(PathBuf),
}

/// Runs `zkdd replay`.
pub fn run(args: &Args, global: &Settings, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    let target = args.point.target(global.local)?;
    let start = if args.from_empty {
        Start::Empty
    } else if let Some(s) = &args.snapshot {
        Start::Snapshot(s.clone())
    } else {
        Start::Auto
    };
    let dir = args.config.open(args.dir.as_deref(), out)?;
    let output_kind = args.output.as_deref().map(classify_output).transpose()?;
    if args.prefix.is_some() && matches!(output_kind, Some(OutputKind::Snapshot(..))) {
        return Err(Error::Usage(
            "--prefix applies to JSON output only: a snapshot must hold the whole tree".into(),
        ));
    }
    if out.redact.is_on()
        && let Some(OutputKind::Snapshot(p, _)) = &output_kind
    {
        return Err(Error::Usage(format!(
            "--redact --output {}: a snapshot cannot hold redacted data; write JSON Lines (FILE.jsonl)",
            p.display()
        )));
    }
    if let Some(OutputKind::Snapshot(p, _) | OutputKind::Json(p)) = &output_kind
        && let Some(src) = dir.holding(p)
    {
        return Err(Error::Usage(format!(
            "--output {}: inside the data dir being replayed ({}); write elsewhere and copy it in with the server stopped",
            p.display(),
            src.display()
        )));
    }
    let opts = Options {
        start,
        target,
        strictness: if args.strict {
            Strictness::Strict
        } else {
            Strictness::TolerateTail
        },
        no_mmap: global.read.no_mmap,
        limits: global.limits(),
        zk_version: args.zk_version,
    };
    let pb = out.progress(0, "replay");
    let mut r = replay::replay(&dir, &opts, &mut |done, total| {
        pb.set_length(total);
        pb.set_position(done);
    })?;
    pb.finish_and_clear();

    let strict_stop = args.strict && matches!(r.stopped, Stopped::Problem { .. });
    let final_zxid = r.final_zxid();
    let dropped_ephemerals = if args.drop_ephemerals && !strict_stop {
        Some(r.tree.drop_ephemerals(final_zxid))
    } else {
        None
    };
    let dropped_sessions = if args.drop_sessions && !strict_stop {
        Some(r.tree.drop_sessions())
    } else {
        None
    };

    let mut written: Option<(PathBuf, u64)> = None;
    if !strict_stop {
        match &output_kind {
            Some(OutputKind::Snapshot(p, c)) => {
                let path = resolve_snapshot_path(p, final_zxid, *c);
                check_snapshot_name(&path, final_zxid, out);
                let size = write_output(&path, args.force, |w| {
                    let mut w = Compressor::new(w, *c)?;
                    r.tree
                        .write_snapshot_for(&mut w, final_zxid, args.zk_version)?;
                    w.finish().map(drop)
                })?;
                written = Some((path, size));
            }
            Some(OutputKind::Json(p)) => {
                let prefix = args.prefix.as_deref();
                let redact = out.redact;
                let size = write_output(p, args.force, |w| {
                    let mut o = Output::new(w, std::io::sink(), true);
                    o.redact = redact;
                    show::write_tree_json(&r.tree, prefix, &mut o)?;
                    o.flush()
                })?;
                written = Some((p.clone(), size));
            }
            None => {
                if out.json {
                    show::write_tree_json(&r.tree, args.prefix.as_deref(), out)?;
                }
            }
        }
    }
    if strict_stop {
        if let Stopped::Problem { path, message } = &r.stopped {
            out.error(&format!(
                "--strict: {}: {message}; nothing written",
                path.display()
            ));
        }
    } else if out.json || out.quiet {
        // The human report lists the notes; JSON has them in the summary
        // too, and -q drops the report: stderr says them.
        show::problems(out, &r);
    }
    show::verbose(out, &r);
    if output_kind.is_none() && !out.json {
        out.note("no --output and no --json: only the report is printed");
    }
    show::report(
        &r,
        &Extra {
            written: written.as_ref(),
            dropped_ephemerals,
            dropped_sessions,
        },
        out,
    )?;
    let status = ExitStatus::from_findings(r.has_findings());
    // Freeing a million-node tree node by node takes a good part of a
    // second and the process is about to exit: let the OS reclaim it.
    std::mem::forget(r);
    Ok(status)
}

/// `--zk-version`: 3.4 … 3.9 (a patch level is ignored).
pub fn parse_zk_version(s: &str) -> Result<ZkVersion, String> {
    ZkVersion::parse(s).ok_or_else(|| {
        let known: Vec<String> = ZkVersion::KNOWN.iter().map(|v| v.to_string()).collect();
        format!("not a ZooKeeper version zkdd knows ({})", known.join(", "))
    })
}

fn classify_output(p: &Path) -> Result<OutputKind, Error> {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if p.is_dir() {
        return Ok(OutputKind::Snapshot(p.to_path_buf(), Compression::None));
    }
    if name.ends_with(".json") || name.ends_with(".jsonl") {
        return Ok(OutputKind::Json(p.to_path_buf()));
    }
    if name.is_empty() {
        return Err(Error::Usage(format!(
            "--output {}: no file name",
            p.display()
        )));
    }
    Ok(OutputKind::Snapshot(
        p.to_path_buf(),
        Compression::from_name(&name),
    ))
}

/// A directory gets `snapshot.<zxid>` (inside its version-2/ if it has one).
fn resolve_snapshot_path(p: &Path, zxid: Zxid, c: Compression) -> PathBuf {
    if !p.is_dir() {
        return p.to_path_buf();
    }
    let inner = p.join(VERSION_DIR);
    let dir = if inner.is_dir() {
        inner
    } else {
        p.to_path_buf()
    };
    dir.join(snapshot_name(zxid, c))
}

fn check_snapshot_name(path: &Path, zxid: Zxid, out: &mut Output<'_>) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let right = snapshot_name(zxid, Compression::None);
    match classify(&name) {
        FileKind::Snapshot(z, _) if z == zxid => {}
        FileKind::Snapshot(z, _) => out.warn(&format!(
            "{name}: ZooKeeper would take this snapshot for zxid {z}, but the tree is at {zxid}; name it {right}"
        )),
        _ => out.warn(&format!(
            "{name}: ZooKeeper only loads files named snapshot.<hex>[.gz|.snappy]; name it {right} in <dataDir>/version-2/"
        )),
    }
}

/// Writes `path` atomically (temporary file, sync, rename), refusing to
/// replace an existing file without `--force`; returns the size written.
fn write_output(
    path: &Path,
    force: bool,
    f: impl FnOnce(&mut BackgroundWriter) -> std::io::Result<()>,
) -> Result<u64, Error> {
    if path.exists() && !force {
        return Err(Error::Usage(format!(
            "{}: exists (use --force to replace it)",
            path.display()
        )));
    }
    atomic::write_file(path, true, f).map_err(|e| Error::io(path, e))
}
