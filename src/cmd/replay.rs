//! `zkdd replay`: rebuild the tree at the end, at a zxid or at a time, and
//! write it as a snapshot ZooKeeper loads or as JSON Lines.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use serde_json::json;

use crate::cmd::args::{ConfigArgs, GlobalArgs};
use crate::error::{Error, ExitStatus};
use crate::files::datadir::{DataDir, FileKind, classify};
use crate::format::compress::Compression;
use crate::format::jute::Acl;
use crate::format::txnlog::LogEnd;
use crate::format::write::SnappyWriter;
use crate::render::Output;
use crate::render::json::{NodeJson, session_json};
use crate::timefmt;
use crate::tree::in_subtree;
use crate::tree::replay::{self, LogStop, Options, Replay, Start, Stopped, Strictness, Target};
use crate::tree::{DataTree, OwnedAcl, display_path};
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
#[command(after_help = "Examples:
  zkdd replay /var/lib/zookeeper --output /tmp/restore/      snapshot.<zxid> of the recovered tree
  zkdd replay /var/lib/zookeeper --before-zxid 0x1a2b --output snapshot.gz   undo a bad txn
  zkdd replay --config /etc/zookeeper/conf/zoo.cfg --to-time 2026-11-23T03:14:00Z --json > tree.jsonl
  zkdd replay /var/lib/zookeeper --prefix /app --json > app.jsonl    extract one subtree
  zkdd replay /var/lib/zookeeper --strict                     check that everything replays cleanly

Output: --output FILE writes a snapshot (raw, or gzip/snappy when FILE ends in
.gz/.snappy) ZooKeeper 3.6+ loads; name it snapshot.<final zxid hex> and put it
in <dataDir>/version-2/ (an existing directory as FILE gets that name, inside
its version-2/ if it has one). FILE ending in .json or .jsonl gets the JSON
Lines tree instead. Files are written to a temporary name, synced and renamed;
the source data dir is never written to.

JSON (--json): node lines in path order ({\"type\":\"node\",...} as in zkdd dump),
session lines, then {\"type\":\"summary\",...}. Human output is a report.

Exit status:
  0  replayed; every file ended as ZooKeeper expects (a torn last entry included)
  1  findings: a file ZooKeeper would refuse or silently cut short, a gap, a
     digest mismatch; with --strict any problem, and then nothing is written
  2  could not run: usage, I/O error, no usable snapshot")]
pub struct Args {
    /// The data dir (dataDir, its version-2/, or default from --config / zoo.cfg).
    #[arg(value_name = "DATADIR")]
    pub dir: Option<PathBuf>,
    /// Where to find the data dir when none is given.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Stop after the txn with this zxid (inclusive; hex, e.g. 0x1a2b).
    #[arg(long, value_name = "ZXID", group = "target")]
    pub to_zxid: Option<String>,
    /// Stop just before the txn with this zxid (the undo case).
    #[arg(long, value_name = "ZXID", group = "target")]
    pub before_zxid: Option<String>,
    /// Stop after the last txn whose time is at or before T (RFC 3339, e.g. 2026-11-23T03:14:00Z).
    #[arg(long, value_name = "TIME", group = "target")]
    pub to_time: Option<String>,
    /// Start from this snapshot file instead of the one ZooKeeper would choose.
    #[arg(long, value_name = "FILE", conflicts_with = "from_empty")]
    pub snapshot: Option<PathBuf>,
    /// Start from ZooKeeper's initial tree (the logs must go back to the first txn).
    #[arg(long)]
    pub from_empty: bool,
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
}

/// What `--output` names.
enum OutputKind {
    Snapshot(PathBuf, Compression),
    Json(PathBuf),
}

fn parse_zxid(s: &str, flag: &str) -> Result<Zxid, Error> {
    Zxid::parse(s).ok_or_else(|| Error::Usage(format!("{flag}: not a hex zxid: {s:?}")))
}

/// Runs `zkdd replay`.
pub fn run(args: &Args, global: &GlobalArgs, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    let target = if let Some(z) = &args.to_zxid {
        Target::ToZxid(parse_zxid(z, "--to-zxid")?)
    } else if let Some(z) = &args.before_zxid {
        Target::BeforeZxid(parse_zxid(z, "--before-zxid")?)
    } else if let Some(t) = &args.to_time {
        Target::ToTime(timefmt::parse(t, global.local).map_err(Error::Usage)?)
    } else {
        Target::End
    };
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
    if let Some(OutputKind::Snapshot(p, _) | OutputKind::Json(p)) = &output_kind {
        refuse_inside_source(p, &dir)?;
    }
    let opts = Options {
        start,
        target,
        strictness: if args.strict {
            Strictness::Strict
        } else {
            Strictness::TolerateTail
        },
        no_mmap: global.no_mmap,
        limits: global.limits(),
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
                let size = atomic_write(&path, args.force, |w| {
                    write_snapshot(&r.tree, w, *c, final_zxid)
                })?;
                written = Some((path, size));
            }
            Some(OutputKind::Json(p)) => {
                let prefix = args.prefix.as_deref();
                let size = atomic_write(p, args.force, |w| {
                    let mut o = Output::new(w, io::sink(), true);
                    write_tree_json(&r.tree, prefix, &mut o)?;
                    o.flush()
                })?;
                written = Some((p.clone(), size));
            }
            None => {
                if out.json {
                    write_tree_json(&r.tree, args.prefix.as_deref(), out)?;
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
    } else if out.json {
        // The human report lists the notes; JSON has them in the summary.
        for n in r.notes.iter().filter(|n| n.finding) {
            out.warn(&n.message);
        }
        if output_kind.is_none() && !out.json {
            out.note("no --output and no --json: only the report is printed");
        }
    }
    report(
        &r,
        &Extra {
            written: written.as_ref(),
            dropped_ephemerals,
            dropped_sessions,
        },
        out,
    )?;
    let status = if r.has_findings() {
        ExitStatus::Findings
    } else {
        ExitStatus::Ok
    };
    // Freeing a million-node tree node by node takes a good part of a
    // second and the process is about to exit: let the OS reclaim it.
    std::mem::forget(r);
    Ok(status)
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
    let c = if name.ends_with(".gz") {
        Compression::Gzip
    } else if name.ends_with(".snappy") {
        Compression::Snappy
    } else {
        Compression::None
    };
    if name.is_empty() {
        return Err(Error::Usage(format!(
            "--output {}: no file name",
            p.display()
        )));
    }
    Ok(OutputKind::Snapshot(p.to_path_buf(), c))
}

/// A directory gets `snapshot.<zxid>` (inside its version-2/ if it has one).
fn resolve_snapshot_path(p: &Path, zxid: Zxid, c: Compression) -> PathBuf {
    if !p.is_dir() {
        return p.to_path_buf();
    }
    let dir = if p.join(crate::files::datadir::VERSION_DIR).is_dir() {
        p.join(crate::files::datadir::VERSION_DIR)
    } else {
        p.to_path_buf()
    };
    let mut name = format!("snapshot.{}", zxid.to_name_hex());
    if let Some(s) = c.suffix() {
        name.push('.');
        name.push_str(s);
    }
    dir.join(name)
}

fn check_snapshot_name(path: &Path, zxid: Zxid, out: &mut Output<'_>) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match classify(&name) {
        FileKind::Snapshot(z, _) if z == zxid => {}
        FileKind::Snapshot(z, _) => out.warn(&format!(
            "{name}: ZooKeeper would take this snapshot for zxid {z}, but the tree is at {zxid}; name it snapshot.{}",
            zxid.to_name_hex()
        )),
        _ => out.warn(&format!(
            "{name}: ZooKeeper only loads files named snapshot.<hex>[.gz|.snappy]; name it snapshot.{} in <dataDir>/version-2/",
            zxid.to_name_hex()
        )),
    }
}

/// Refuses an output inside the data dir being replayed.
fn refuse_inside_source(p: &Path, dir: &DataDir) -> Result<(), Error> {
    let parent = if p.is_dir() {
        p.to_path_buf()
    } else {
        match p.parent() {
            Some(x) if !x.as_os_str().is_empty() => x.to_path_buf(),
            _ => PathBuf::from("."),
        }
    };
    let Ok(parent) = fs::canonicalize(&parent) else {
        return Ok(()); // a missing dir fails at write time with its own error
    };
    for src in [&dir.snap_dir, &dir.log_dir] {
        let Ok(src) = fs::canonicalize(src) else {
            continue;
        };
        let data_dir = src.parent().map(Path::to_path_buf);
        let inside = parent.starts_with(&src)
            || data_dir.as_ref().is_some_and(|d| &parent == d)
            || (p.is_dir()
                && fs::canonicalize(p.join(crate::files::datadir::VERSION_DIR))
                    .is_ok_and(|v| v == src));
        if inside {
            return Err(Error::Usage(format!(
                "--output {}: inside the data dir being replayed ({}); write elsewhere and copy it in with the server stopped",
                p.display(),
                src.display()
            )));
        }
    }
    Ok(())
}

/// Writes `path` through a temporary file in the same directory, synced and
/// renamed into place; returns the size written.
fn atomic_write(
    path: &Path,
    force: bool,
    f: impl FnOnce(&mut BackgroundWriter) -> io::Result<()>,
) -> Result<u64, Error> {
    if path.exists() && !force {
        return Err(Error::Usage(format!(
            "{}: exists (use --force to replace it)",
            path.display()
        )));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.zkdd-{}.tmp", std::process::id()));
    let result = (|| -> io::Result<u64> {
        let file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        let file = write_in_background(file, f)?;
        file.sync_all()?;
        let len = file.metadata()?.len();
        drop(file);
        fs::rename(&tmp, path)?;
        // Make the rename itself durable.
        if let Ok(d) = fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(len)
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        Error::io(path, e)
    })
}

/// Size of the chunks handed to the writing thread.
const CHUNK: usize = 1 << 20;

/// A `Write` whose bytes a second thread writes to a file, in 1 MiB chunks:
/// making the bytes (walking the tree, compressing) and the write system
/// calls (a copy into the page cache, as long again) overlap.
struct BackgroundWriter {
    buf: Vec<u8>,
    full: Option<mpsc::SyncSender<Vec<u8>>>,
    empty: mpsc::Receiver<Vec<u8>>,
}

impl BackgroundWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let next = self
            .empty
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(CHUNK));
        let buf = std::mem::replace(&mut self.buf, next);
        match &self.full {
            // A closed channel means the writing thread stopped on an
            // error, which `write_in_background` reports.
            Some(tx) => tx
                .send(buf)
                .map_err(|_| io::Error::other("the writing thread stopped")),
            None => Ok(()),
        }
    }
}

impl Write for BackgroundWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// Runs `f` with a [`BackgroundWriter`] onto `file`; returns the file once
/// every byte is written (not yet synced).
fn write_in_background(
    mut file: fs::File,
    f: impl FnOnce(&mut BackgroundWriter) -> io::Result<()>,
) -> io::Result<fs::File> {
    let (full_tx, full_rx) = mpsc::sync_channel::<Vec<u8>>(4);
    let (empty_tx, empty_rx) = mpsc::channel::<Vec<u8>>();
    std::thread::scope(|s| {
        let writer = s.spawn(move || -> io::Result<fs::File> {
            for mut buf in full_rx {
                file.write_all(&buf)?;
                buf.clear();
                let _ = empty_tx.send(buf);
            }
            Ok(file)
        });
        let mut w = BackgroundWriter {
            buf: Vec::with_capacity(CHUNK),
            full: Some(full_tx),
            empty: empty_rx,
        };
        let made = f(&mut w).and_then(|()| w.send());
        w.full = None; // ends the writing thread's loop
        let written = writer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the writing thread panicked")));
        // The writer's own error (disk full, ...) explains a failed send.
        let file = written?;
        made.map(|()| file)
    })
}

fn write_snapshot<W: Write>(tree: &DataTree, w: W, c: Compression, zxid: Zxid) -> io::Result<()> {
    match c {
        Compression::None => tree.write_snapshot(w, zxid).map(drop),
        Compression::Gzip => {
            let enc = flate2::write::GzEncoder::new(w, flate2::Compression::default());
            tree.write_snapshot(enc, zxid)?.finish().map(drop)
        }
        Compression::Snappy => {
            let enc = SnappyWriter::new(w)?;
            tree.write_snapshot(enc, zxid)?.finish().map(drop)
        }
    }
}

/// Node lines in path order (optionally one subtree), then session lines.
pub fn write_tree_json(
    tree: &DataTree,
    prefix: Option<&str>,
    out: &mut Output<'_>,
) -> io::Result<()> {
    let prefix = prefix.map(str::as_bytes);
    for (key, n) in tree.sorted_nodes() {
        let path = display_path(key);
        if prefix.is_some_and(|p| !in_subtree(path, p)) {
            continue;
        }
        let acl = tree.acl(n);
        let acl: Option<Vec<Acl<'_>>> = acl
            .as_ref()
            .map(|l| l.iter().map(OwnedAcl::as_acl).collect());
        out.json_line(&NodeJson {
            path,
            data: n.data(),
            acl: acl.as_deref(),
            stat: n.stat(),
            num_children: n.num_children() as u64,
            origin: None,
        })?;
    }
    if prefix.is_none() {
        for (id, timeout) in tree.sorted_sessions() {
            out.json_line(&session_json(id.0, timeout))?;
        }
    }
    Ok(())
}

struct Extra<'a> {
    written: Option<&'a (PathBuf, u64)>,
    dropped_ephemerals: Option<usize>,
    dropped_sessions: Option<usize>,
}

fn end_json(stop: &LogStop) -> serde_json::Value {
    let (kind, end): (&str, Option<&LogEnd>) = match stop {
        LogStop::End(e) => ("end", Some(e)),
        LogStop::Target => ("target", None),
        LogStop::Fatal(e) => ("fatal", Some(e)),
    };
    json!({
        "stop": kind,
        "end": end.map(LogEnd::kind_name),
        "end_offset": end.map(LogEnd::offset),
        "message": end.map(LogEnd::describe),
    })
}

fn report(r: &Replay, x: &Extra<'_>, out: &mut Output<'_>) -> Result<(), Error> {
    let d = &r.digests;
    let (stopped, problem) = match &r.stopped {
        Stopped::EndOfLogs => ("end_of_logs", None),
        Stopped::Target => ("target", None),
        Stopped::Problem { path, message } => (
            "problem",
            Some(json!({"file": path.display().to_string(), "message": message})),
        ),
    };
    if out.json {
        let v = json!({
            "type": "summary",
            "snapshot": r.snapshot.as_ref().map(|s| json!({
                "file": s.path.display().to_string(),
                "zxid": s.zxid.to_string(),
                "nodes": s.nodes,
                "sessions": s.sessions,
                "digest_zxid": s.digest.map(|d| d.0.to_string()),
                "missing_acl_ids": s.missing_acl_ids,
            })),
            "skipped_snapshots": r.skipped_snapshots.iter().map(|s| json!({
                "file": s.path.display().to_string(), "zxid": s.zxid.to_string(),
                "reason": s.reason, "damaged": s.damaged,
            })).collect::<Vec<_>>(),
            "logs": r.logs.iter().map(|l| {
                let mut v = json!({
                    "file": l.path.display().to_string(),
                    "name_zxid": l.name_zxid.to_string(),
                    "skipped": l.skipped,
                    "applied": l.applied,
                    "first_zxid": l.zxids.map(|z| z.0.to_string()),
                    "last_zxid": l.zxids.map(|z| z.1.to_string()),
                });
                if let (Some(m), serde_json::Value::Object(e)) = (v.as_object_mut(), end_json(&l.stop)) {
                    m.extend(e);
                }
                v
            }).collect::<Vec<_>>(),
            "txns_applied": r.applied,
            "txn_errors": r.errors,
            "first_zxid": r.zxids.map(|z| z.0.to_string()),
            "last_zxid": r.zxids.map(|z| z.1.to_string()),
            "final_zxid": r.final_zxid().to_string(),
            "target_zxid": r.target_zxid.map(|z| z.to_string()),
            "stopped": stopped,
            "problem": problem,
            "digests": {
                "passed": d.passed, "failed": d.failed, "skipped_fuzzy": d.skipped_fuzzy,
                "skipped_version": d.skipped_version, "without_digest": d.without_digest,
                "first_mismatch": d.first_mismatch.map(|z| z.to_string()),
                "snapshot": d.snapshot.map(|(z, stored, computed)| json!({
                    "zxid": z.to_string(), "stored": stored, "computed": computed, "ok": stored == computed,
                })),
                "snapshot_pending": d.snapshot_pending.map(|z| z.to_string()),
            },
            "nodes": r.tree.node_count(),
            "sessions": r.tree.sessions().len(),
            "tree_digest": r.tree.digest(),
            "dropped_ephemerals": x.dropped_ephemerals,
            "dropped_sessions": x.dropped_sessions,
            "output": x.written.map(|(p, size)| json!({"file": p.display().to_string(), "size": size})),
            "notes": r.notes.iter().map(|n| json!({"finding": n.finding, "message": n.message})).collect::<Vec<_>>(),
            "ok": !r.has_findings(),
        });
        out.json_line(&v)?;
        return Ok(());
    }
    match &r.snapshot {
        Some(s) => out.line(&format!(
            "snapshot:  {} (zxid {}, {} nodes, {} sessions{})",
            s.path.display(),
            s.zxid,
            s.nodes,
            s.sessions,
            s.digest
                .map_or(String::new(), |(z, _)| format!(", digest at {z}"))
        ))?,
        None => out.line("snapshot:  none (ZooKeeper's initial tree)")?,
    }
    for s in &r.skipped_snapshots {
        out.line(&format!("  skipped  {}: {}", s.path.display(), s.reason))?;
    }
    for l in &r.logs {
        let range = l.zxids.map_or(String::new(), |(a, b)| format!(" {a}..{b}"));
        let how = match &l.stop {
            LogStop::End(e) => e.describe(),
            LogStop::Target => "stopped at the target".into(),
            LogStop::Fatal(e) => format!("STOPPED: {}", e.describe()),
        };
        out.line(&format!(
            "log:       {}: {} applied{range}, {} already in the snapshot; {how}",
            l.path.display(),
            l.applied,
            l.skipped
        ))?;
    }
    out.line(&format!(
        "txns:      {} applied ({} ended in an error code, as logged or re-applied over a fuzzy snapshot)",
        r.applied, r.errors
    ))?;
    let target = r
        .target_zxid
        .map_or(String::new(), |t| format!(" (target {t})"));
    out.line(&format!(
        "final:     zxid {}{target}; {}",
        r.final_zxid(),
        match &r.stopped {
            Stopped::EndOfLogs => "end of the logs".to_string(),
            Stopped::Target => "stopped at the target".to_string(),
            Stopped::Problem { path, message } =>
                format!("STOPPED at {}: {message}", path.display()),
        }
    ))?;
    let snap = d.snapshot.map_or(String::new(), |(z, s, c)| {
        format!(
            "; snapshot digest at {z}: {}",
            if s == c { "ok" } else { "MISMATCH" }
        )
    });
    out.line(&format!(
        "digests:   {} passed, {} failed{}, {} skipped while fuzzy, {} txns without digest{snap}",
        d.passed,
        d.failed,
        d.first_mismatch
            .map_or(String::new(), |z| format!(" (first at {z})")),
        d.skipped_fuzzy,
        d.without_digest
    ))?;
    out.line(&format!(
        "tree:      {} nodes, {} sessions, digest {}",
        r.tree.node_count(),
        r.tree.sessions().len(),
        r.tree.digest()
    ))?;
    if let Some(n) = x.dropped_ephemerals {
        out.line(&format!("dropped:   {n} ephemeral nodes"))?;
    }
    if let Some(n) = x.dropped_sessions {
        out.line(&format!("dropped:   {n} sessions"))?;
    }
    for n in &r.notes {
        out.line(&format!(
            "{}     {}",
            if n.finding { "FINDING" } else { "note: " },
            n.message
        ))?;
    }
    if let Some((p, size)) = x.written {
        out.line(&format!("wrote:     {} ({size} bytes)", p.display()))?;
    }
    Ok(())
}
