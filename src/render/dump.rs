//! What `zkdd dump` writes: txn and node lines (text or JSON), the header and
//! closing lines of each file, a snapshot's sessions and seals, `--stats`
//! tables and `--follow` notices; [`DumpWriter`] streams files through the
//! engines of [`crate::ops::dump`] into these lines.

use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use serde_json::json;

use crate::error::Error;
use crate::files::datadir::Irregular;
use crate::files::log::OpenLog;
use crate::files::par::Flow;
use crate::files::source;
use crate::format::txnlog::IterOptions;
use crate::format::verdict::{self, EndClass, LogVerdict};
use crate::ops::dump::follow::{self, FollowEvent, Start};
use crate::ops::dump::log::LogDumper;
use crate::ops::dump::snapshot as snap_pass;
use crate::ops::dump::{Filter, Stats};

use crate::format::DecodeError;
use crate::format::compress::Compression;
use crate::format::header::FileHeader;
use crate::format::jute::Acl;
use crate::format::snapshot::{Node, Snapshot, SnapshotEnd, StreamTail};
use crate::format::txnlog::{LogEnd, TxnEntry};
use crate::ops::dump::log::LogDump;
use crate::ops::dump::snapshot::FirstPass;
use crate::ops::dump::{Counter, NodeFormat, NodeStats, StatsReport, TxnFormat};
use crate::render::Output;
use crate::render::human::{self, DataMode};
use crate::render::json::{NodeJson, TxnJson, session_json};
use crate::render::jsonw::{self, TimeCache};
use crate::render::redact::Redaction;
use crate::zxid::hex64;

/// How txns and nodes look in text output (and, for `redact`, in JSON).
#[derive(Clone, Copy, Debug)]
pub struct TextOptions {
    /// How data is shown.
    pub data: DataMode,
    /// At most this many bytes of each value (0 = all).
    pub max_data: usize,
    /// Times in the local zone.
    pub local: bool,
    /// Show each txn's digest.
    pub digests: bool,
    /// Data and ACL credentials as stored or redacted (text and JSON).
    pub redact: Redaction,
}

/// Txn lines of one file, as JSON or text.
pub struct TxnLines {
    /// `{"type":"txn","file":"…"`, escaped once per file.
    line_start: Vec<u8>,
    file: String,
    json: bool,
    text: TextOptions,
}

impl TxnLines {
    /// Lines for the txns of `file`.
    pub fn new(file: &str, json: bool, text: TextOptions) -> TxnLines {
        TxnLines {
            line_start: TxnJson::line_start(file),
            file: file.to_string(),
            json,
            text,
        }
    }
}

impl TxnFormat for TxnLines {
    type State = TimeCache;

    fn txn(&self, entry: &TxnEntry<'_>, out: &mut Vec<u8>, times: &mut TimeCache) {
        if self.json {
            TxnJson {
                file: &self.file,
                offset: entry.offset,
                txn: &entry.txn,
                size: entry.framed_len(),
                redact: self.text.redact,
            }
            .write_after(&self.line_start, out, times);
        } else {
            let t = &self.text;
            let line =
                human::txn_line(&entry.txn, t.data, t.max_data, t.local, t.digests, t.redact);
            out.extend_from_slice(line.as_bytes());
        }
        out.push(b'\n');
    }
}

/// Node lines of one snapshot, as JSON or text.
pub struct NodeLines {
    /// The file name as a JSON string.
    file_json: Vec<u8>,
    json: bool,
    text: TextOptions,
}

impl NodeLines {
    /// Lines for the nodes of `file`.
    pub fn new(file: &str, json: bool, text: TextOptions) -> NodeLines {
        NodeLines {
            file_json: jsonw::quoted(file),
            json,
            text,
        }
    }
}

impl NodeFormat for NodeLines {
    type State = TimeCache;

    fn node(
        &self,
        node: &Node<'_>,
        acl: Option<&[Acl<'_>]>,
        num_children: u64,
        out: &mut Vec<u8>,
        times: &mut TimeCache,
    ) {
        if self.json {
            NodeJson {
                path: node.display_path(),
                data: node.data,
                acl,
                stat: &node.stat,
                num_children,
                origin: Some((&self.file_json, node.offset, node.acl_id)),
                redact: self.text.redact,
            }
            .write(out, times);
        } else {
            let t = &self.text;
            let acl_text = match acl {
                Some(a) => human::acl_as(Some(a), t.redact),
                None => format!("<missing ACL id {}>", node.acl_id),
            };
            let line = format!(
                "{} {} acl={} data={}",
                human::path(node.display_path()),
                human::stat(
                    &node.stat,
                    node.data.map_or(0, <[u8]>::len),
                    num_children,
                    t.local
                ),
                acl_text,
                t.redact.text_data(node.data, t.data, t.max_data)
            );
            out.extend_from_slice(line.as_bytes());
        }
        out.push(b'\n');
    }
}

/// The `problem` object of a file line.
pub fn problem_json(code: &str, e: &DecodeError) -> serde_json::Value {
    json!({"code": code, "offset": e.offset(), "message": e.to_string()})
}

/// `# FILE: txn log, …`: the line before a log's txns in text output.
pub fn log_header(
    out: &mut Output<'_>,
    file: &str,
    header: &FileHeader,
    size: u64,
) -> std::io::Result<()> {
    out.comment(&format!(
        "# {file}: txn log, version {}, dbid {}, {}",
        header.version,
        header.dbid,
        out.size(size),
    ))
}

/// How a log ended: the JSON `file` line, or a closing text line.
/// `verdict` judges an end that is not clean.
pub fn log_footer(
    out: &mut Output<'_>,
    file: &str,
    size: u64,
    d: &LogDump,
    verdict: Option<&LogVerdict>,
    shrunk: Option<u64>,
) -> std::io::Result<()> {
    let end = &d.end;
    let message = match (verdict, end) {
        (Some(v), _) => Some(v.message()),
        (None, Some(e)) => Some(e.describe()),
        (None, None) => None,
    };
    if out.json {
        let nonzero_at = match end {
            Some(LogEnd::Padding { nonzero_at, .. }) => *nonzero_at,
            _ => None,
        };
        // The problem under verify's finding code, with the decoder's words
        // for a corrupt entry.
        let mut problem = end.as_ref().zip(verdict).and_then(|(e, v)| {
            let (code, offset) = verdict::log_end_code(e, v.class)?;
            let message = match e {
                LogEnd::Corrupt { error, .. } => error.to_string(),
                _ => v.message(),
            };
            Some(json!({"code": code, "offset": offset, "message": message}))
        });
        if let Some(now) = shrunk {
            problem = Some(json!({
                "code": "log_changed_while_read",
                "offset": now,
                "message": format!("the file shrank from {size} to {now} bytes while it was being read"),
            }));
        }
        let class = verdict.map_or("clean", |v| match v.class {
            EndClass::Clean => "clean",
            EndClass::CrashTail => "crash_tail",
            EndClass::Damage => "damage",
        });
        out.json_line(&json!({
            "type": "file",
            "file": file,
            "kind": "log",
            "size": size,
            "txns": d.txns,
            "first_zxid": d.first_zxid.map(|z| z.to_string()),
            "last_zxid": d.last_zxid.map(|z| z.to_string()),
            "end": end.as_ref().map(LogEnd::kind_name),
            "end_offset": end.as_ref().map(LogEnd::offset),
            "nonzero_at": nonzero_at,
            "ok": shrunk.is_none() && verdict.is_none_or(|v| v.class != EndClass::Damage),
            "verdict": class,
            "problem": problem,
            "message": message,
            "meaning": verdict.map(LogVerdict::meaning),
            "dropped": verdict.and_then(LogVerdict::dropped).map(|(n, first, last)| json!({
                "txns": n, "first_zxid": first.to_string(), "last_zxid": last.to_string(),
            })),
        }))
    } else {
        let how = message.unwrap_or_else(|| "stopped at the --zxid or --limit bound".to_string());
        let txns = if d.txns == 1 { "txn" } else { "txns" };
        out.comment(&format!("# {file}: {} {txns}; {how}", d.txns))
    }
}

/// The JSON `file` line of a file that could not be read at all.
pub fn unreadable(
    out: &mut Output<'_>,
    file: &str,
    kind: &str,
    size: u64,
    e: &DecodeError,
) -> std::io::Result<()> {
    // verify's finding codes for the same failures.
    let code = match kind {
        "log" if size == 0 => "log_empty",
        "log" => "log_bad_header",
        _ => verdict::snapshot_error_code(e.kind()),
    };
    out.json_line(&json!({
        "type": "file", "file": file, "kind": kind, "size": size,
        "ok": false, "problem": problem_json(code, e), "message": e.to_string(),
    }))
}

/// What is known of a snapshot file besides its nodes.
pub struct SnapshotInfo<'a> {
    /// The file name as shown.
    pub file: &'a str,
    /// Its container.
    pub compression: Compression,
    /// Size on disk.
    pub file_len: u64,
    /// Size of the uncompressed stream.
    pub stream_len: u64,
}

/// `# FILE: snapshot, …`: the line before a snapshot's content in text output.
pub fn snapshot_header(
    out: &mut Output<'_>,
    info: &SnapshotInfo<'_>,
    snap: &Snapshot<'_>,
    node_count: u64,
) -> std::io::Result<()> {
    let h = snap.header();
    let via = info.compression.suffix().map_or(String::new(), |s| {
        format!(" ({s}, {} uncompressed)", out.size(info.stream_len))
    });
    out.comment(&format!(
        "# {}: snapshot, version {}, dbid {}, {}{via}, {} sessions, {} ACL lists, {} nodes",
        info.file,
        h.version,
        h.dbid,
        out.size(info.file_len),
        snap.sessions().len(),
        snap.acl_cache().len(),
        node_count
    ))
}

/// A snapshot's session lines.
pub fn sessions(
    out: &mut Output<'_>,
    snap: &Snapshot<'_>,
    pass: &FirstPass,
) -> std::io::Result<()> {
    for s in snap.sessions() {
        if out.json {
            out.json_line(&session_json(s.session.0, s.timeout_ms))?;
        } else {
            out.line(&format!(
                "session {} timeout={}ms ephemerals={}",
                s.session,
                s.timeout_ms,
                pass.ephemerals.get(&s.session).copied().unwrap_or(0)
            ))?;
        }
    }
    Ok(())
}

/// What a snapshot's end says, for the closing lines.
#[derive(Default)]
pub struct SnapshotClose {
    /// The first problem found (container, seal, corrupt stream).
    pub problem: Option<serde_json::Value>,
    seals: Vec<serde_json::Value>,
    digest: Option<serde_json::Value>,
    last_processed_zxid: Option<String>,
}

/// The text lines after a snapshot's nodes (seals, digest; only in text
/// output and not with `--stats`, `show`), and what the JSON `file` line
/// needs. `problem(message)` is called for each problem found (the same
/// ones `verify` reports).
pub fn snapshot_end<'t>(
    out: &mut Output<'_>,
    pass: &FirstPass,
    tail: impl FnOnce() -> StreamTail<'t>,
    show: bool,
    container_error: Option<&DecodeError>,
    mut problem: impl FnMut(String),
) -> std::io::Result<SnapshotClose> {
    let mut close = SnapshotClose {
        problem: container_error.map(|e| problem_json("snapshot_compressed_stream", e)),
        ..SnapshotClose::default()
    };
    if let Some(SnapshotEnd::Complete(t)) = &pass.end {
        for (i, s) in t.seals.iter().enumerate() {
            close.seals.push(json!({"offset": s.offset, "stored": format!("{:#x}", s.stored), "computed": format!("{:#x}", s.computed), "ok": s.ok()}));
            if show {
                out.comment(&format!(
                    "# seal #{} at offset {:#x}: {}",
                    i + 1,
                    s.offset,
                    if s.ok() {
                        format!("ok ({:#x})", s.stored)
                    } else {
                        format!(
                            "MISMATCH (stored {:#x}, computed {:#x})",
                            s.stored, s.computed
                        )
                    }
                ))?;
            }
        }
        if let Some(d) = &t.digest {
            close.digest =
                Some(json!({"zxid": d.zxid.to_string(), "version": d.version, "value": d.value()}));
            if show {
                out.comment(&format!(
                    "# digest: zxid {} version {} value {}",
                    d.zxid,
                    d.version,
                    d.value().map_or("?".to_string(), |v| v.to_string())
                ))?;
            }
        }
        close.last_processed_zxid = t.last_processed_zxid.map(|z| z.to_string());
    }
    if let Some(end) = &pass.end {
        for p in verdict::trailer_problems(end, tail) {
            problem(format!(
                "at offset {:#x}: {}; {}",
                p.offset, p.message, p.meaning
            ));
            close
                .problem
                .get_or_insert(json!({"code": p.code, "offset": p.offset, "message": p.message}));
        }
    }
    Ok(close)
}

/// The JSON `file` line of a snapshot.
pub fn snapshot_file_line(
    out: &mut Output<'_>,
    info: &SnapshotInfo<'_>,
    snap: &Snapshot<'_>,
    node_count: u64,
    close: SnapshotClose,
) -> std::io::Result<()> {
    out.json_line(&json!({
        "type": "file", "file": info.file, "kind": "snapshot", "size": info.file_len,
        "compression": info.compression.suffix(), "stream_size": info.stream_len,
        "sessions": snap.sessions().len(), "acl_lists": snap.acl_cache().len(),
        "nodes": node_count, "seals": close.seals, "digest": close.digest,
        "last_processed_zxid": close.last_processed_zxid,
        "ok": close.problem.is_none(), "problem": close.problem,
    }))
}

/// The `--stats` tables (or one JSON `stats` line).
pub fn stats(out: &mut Output<'_>, s: &StatsReport) -> std::io::Result<()> {
    if out.json {
        let map = |m: &mut dyn Iterator<Item = (String, &Counter)>| -> serde_json::Value {
            m.map(|(k, c)| (k, json!({"count": c.count, "bytes": c.bytes})))
                .collect::<serde_json::Map<_, _>>()
                .into()
        };
        return out.json_line(&json!({
            "type": "stats",
            "txns": s.total.count,
            "bytes": s.total.bytes,
            "by_op": map(&mut s.by_op.iter().map(|(k, c)| (k.clone(), c))),
            "by_session": map(&mut s.by_session.iter().map(|(k, c)| (hex64(k.0), c))),
            "by_subtree": map(&mut s.by_subtree.iter().map(|(k, c)| (k.clone(), c))),
        }));
    }
    let total = s.total.bytes.max(1) as f64;
    let section = |out: &mut Output<'_>,
                   title: &str,
                   mut rows: Vec<(String, &Counter)>|
     -> std::io::Result<()> {
        out.line(&format!(
            "{title:<28} {:>10} {:>10} {:>7}",
            "count", "size", "size%"
        ))?;
        rows.sort_by(|a, b| b.1.bytes.cmp(&a.1.bytes).then_with(|| a.0.cmp(&b.0)));
        for (k, c) in rows {
            out.line(&format!(
                "  {k:<26} {:>10} {:>10} {:>6.2}%",
                c.count,
                out.size(c.bytes),
                c.bytes as f64 * 100.0 / total
            ))?;
        }
        out.line("")
    };
    section(
        out,
        "Op",
        s.by_op.iter().map(|(k, c)| (k.clone(), c)).collect(),
    )?;
    section(
        out,
        "Session",
        s.by_session
            .iter()
            .map(|(k, c)| (k.to_string(), c))
            .collect(),
    )?;
    section(
        out,
        "Subtree",
        s.by_subtree.iter().map(|(k, c)| (k.clone(), c)).collect(),
    )?;
    out.line(&format!(
        "Total: {} txns, {}",
        s.total.count,
        out.size(s.total.bytes)
    ))
}

/// `--stats` of a snapshot: tables by subtree, kind and session, or one
/// JSON `node_stats` line.
pub fn node_stats(out: &mut Output<'_>, file: &str, s: &NodeStats) -> std::io::Result<()> {
    let map = |m: &mut dyn Iterator<Item = (String, &Counter)>| -> serde_json::Value {
        m.map(|(k, c)| (k, json!({"count": c.count, "bytes": c.bytes})))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    if out.json {
        return out.json_line(&json!({
            "type": "node_stats",
            "file": file,
            "nodes": s.total.count,
            "data_bytes": s.total.bytes,
            "by_subtree": map(&mut s.by_subtree.iter().map(|(k, c)| (k.clone(), c))),
            "by_kind": map(&mut s.by_kind.iter().map(|(k, c)| (k.to_string(), c))),
            "by_session": map(&mut s.by_session.iter().map(|(k, c)| (hex64(k.0), c))),
        }));
    }
    out.line(&format!("# {file}: node statistics"))?;
    let total = s.total.bytes.max(1) as f64;
    let mut section = |title: &str, mut rows: Vec<(String, Counter)>| -> std::io::Result<()> {
        out.line(&format!(
            "{title:<28} {:>10} {:>10} {:>7}",
            "nodes", "data", "data%"
        ))?;
        rows.sort_by(|a, b| b.1.bytes.cmp(&a.1.bytes).then_with(|| a.0.cmp(&b.0)));
        for (k, c) in rows {
            out.line(&format!(
                "  {k:<26} {:>10} {:>10} {:>6.2}%",
                c.count,
                out.size(c.bytes),
                c.bytes as f64 * 100.0 / total
            ))?;
        }
        out.line("")
    };
    section(
        "Subtree",
        s.by_subtree.iter().map(|(k, c)| (k.clone(), *c)).collect(),
    )?;
    section(
        "Kind",
        s.by_kind.iter().map(|(k, c)| (k.to_string(), *c)).collect(),
    )?;
    if !s.by_session.is_empty() {
        section(
            "Ephemerals by session",
            s.by_session
                .iter()
                .map(|(k, c)| (k.to_string(), *c))
                .collect(),
        )?;
    }
    out.line(&format!(
        "Total: {} nodes, {} of data",
        s.total.count,
        out.size(s.total.bytes)
    ))
}

/// Dumps files one after the other: reads each (mapped or windowed, on
/// several threads) and writes its lines as they come, counting the files
/// that had a problem.
pub struct DumpWriter<'o, 'w> {
    /// Where to write.
    pub out: &'o mut Output<'w>,
    /// Which txns and nodes.
    pub filter: Filter,
    /// How text lines look.
    pub text: TextOptions,
    /// Length limits and checksums.
    pub options: IterOptions,
    /// Worker threads.
    pub threads: usize,
    /// Read files instead of mapping them.
    pub no_mmap: bool,
    /// Snapshots: print nodes.
    pub nodes: bool,
    /// Snapshots: print sessions.
    pub sessions: bool,
    /// Files with a problem so far.
    pub problems: usize,
    /// Files with a warning (a crash tail) so far.
    pub warnings: usize,
    /// `--limit`: records (txn or node lines) still to print.
    pub remaining: Option<u64>,
}

/// Writes `text` (whole lines, one record each) to `out`, or as many lines
/// as `remaining` allows; says stop once the limit is reached.
fn write_limited(
    out: &mut Output<'_>,
    remaining: &mut Option<u64>,
    text: &[u8],
) -> Result<Flow, Error> {
    let Some(left) = remaining else {
        out.write_all(text)?;
        return Ok(Flow::Continue);
    };
    let mut lines = 0;
    for (i, b) in text.iter().enumerate() {
        if *b == b'\n' {
            lines += 1;
            if lines == *left {
                out.write_all(&text[..=i])?;
                *left = 0;
                return Ok(Flow::Stop);
            }
        }
    }
    out.write_all(text)?;
    *left -= lines;
    Ok(if *left == 0 {
        Flow::Stop
    } else {
        Flow::Continue
    })
}

impl DumpWriter<'_, '_> {
    /// True once `--limit` records were printed: nothing more is read.
    pub fn limit_reached(&self) -> bool {
        self.remaining == Some(0)
    }

    fn problem(&mut self, file: &str, what: &str) {
        self.problems += 1;
        self.out.error(&format!("{file}: {what}"));
    }

    /// Reports an entry named like a log or snapshot that is not a regular
    /// file: ZooKeeper fails or hangs on it, and it cannot be dumped.
    pub fn irregular(&mut self, i: &Irregular) {
        self.problem(
            &i.path.display().to_string(),
            &format!(
                "{}, not a regular file: ZooKeeper's restore {} on it; skipped",
                i.what,
                if i.what == "a FIFO" { "hangs" } else { "fails" }
            ),
        );
    }

    fn warning(&mut self, file: &str, what: &str) {
        self.warnings += 1;
        self.out.warn(&format!("{file}: {what}"));
    }

    fn unreadable_file(
        &mut self,
        file: &str,
        kind: &str,
        size: u64,
        e: &crate::format::DecodeError,
    ) -> Result<(), Error> {
        self.problem(file, &e.to_string());
        if self.out.json {
            unreadable(self.out, file, kind, size, e)?;
        }
        Ok(())
    }

    /// Dumps one log (with `stats`, counts its txns there instead).
    pub fn log(&mut self, path: &Path, stats: Option<&mut Stats>) -> Result<(), Error> {
        if self.limit_reached() {
            return Ok(());
        }
        let file = path.display().to_string();
        // Mapped, or read a window at a time with --no-mmap (a multi-GB log
        // on a live server's host must not be read into memory whole).
        let mut log = match OpenLog::open(path, self.no_mmap)? {
            Ok(log) => log,
            Err(bad) => return self.unreadable_file(&file, "log", bad.size, &bad.error),
        };
        let size = log.len();
        let human = !self.out.json && stats.is_none();
        if human {
            log_header(self.out, &file, log.header(), size)?;
        }
        let pb = self.out.progress(size, &file);
        let format = TxnLines::new(&file, self.out.json, self.text);
        let dumper = LogDumper {
            filter: &self.filter,
            format: &format,
            options: self.options,
            threads: self.threads,
        };
        let out = &mut *self.out;
        let remaining = &mut self.remaining;
        let counting = stats.is_some();
        let d = dumper.dump(
            &mut log,
            stats,
            |text| write_limited(out, remaining, text),
            |at| pb.set_position(at),
        )?;
        pb.finish_and_clear();
        // A break on --zxid leaves the end unknown; that is not a problem.
        let verdict = match &d.end {
            Some(end) if !end.is_clean() => {
                Some(log.judge(end.clone(), d.last_zxid, self.options)?)
            }
            _ => None,
        };
        if let Some(v) = &verdict {
            let what = format!("{}; {}", v.message(), v.meaning());
            match v.class {
                EndClass::CrashTail => self.warning(&file, &what),
                _ => self.problem(&file, &what),
            }
        }
        let shrunk = log.shrunk();
        if let Some(now) = shrunk {
            self.problem(
                &file,
                &format!("the file shrank from {size} to {now} bytes while it was being read: what was printed may not be what it holds (a live server truncating its log?); dump a copy"),
            );
        }
        if self.out.json || !counting {
            log_footer(self.out, &file, size, &d, verdict.as_ref(), shrunk)?;
        }
        Ok(())
    }

    /// Dumps one snapshot (with `stats`, only checks it). A raw snapshot is
    /// mapped; a compressed one, or any with `--no-mmap`, is read as a
    /// stream, twice, so memory stays flat whatever its size.
    pub fn snapshot(
        &mut self,
        path: &Path,
        compression: Compression,
        stats: bool,
    ) -> Result<(), Error> {
        if self.limit_reached() {
            return Ok(());
        }
        if compression != Compression::None || self.no_mmap {
            return self.snapshot_stream(path, compression, stats);
        }
        let file = path.display().to_string();
        let sb = source::open_snapshot(path, compression, false).map_err(|e| Error::io(path, e))?;
        if let Some(e) = &sb.container_error {
            self.problem(&file, &format!("{e} (in the compressed file)"));
        }
        let snap = match Snapshot::parse(&sb.stream, self.options.limits) {
            Ok(s) => s,
            Err(e) => return self.unreadable_file(&file, "snapshot", sb.file_len, &e),
        };
        let info = SnapshotInfo {
            file: &file,
            compression,
            file_len: sb.file_len,
            stream_len: sb.stream.len() as u64,
        };
        let pass = snap_pass::first_pass(&snap, &sb.stream);
        let node_stats = stats.then(|| {
            let mut ns = NodeStats::default();
            for node in snap.nodes() {
                self.count_node(&mut ns, &node);
            }
            ns
        });
        let tail = || StreamTail::of(&sb.stream, pass.nodes_end);
        let container = sb.container_error.as_ref();
        self.snapshot_lines(
            &info,
            &snap,
            &pass,
            node_stats,
            container,
            tail,
            |w, format| {
                let out = &mut *w.out;
                let remaining = &mut w.remaining;
                snap_pass::render_nodes(
                    &snap,
                    &pass,
                    &w.filter,
                    format,
                    w.threads,
                    &sb.stream,
                    |text| write_limited(out, remaining, text),
                )
            },
        )
    }

    /// [`DumpWriter::snapshot`] of a snapshot read as a stream: a first pass
    /// checks it and counts, a second (a fresh stream) renders the nodes.
    fn snapshot_stream(
        &mut self,
        path: &Path,
        compression: Compression,
        stats: bool,
    ) -> Result<(), Error> {
        let file = path.display().to_string();
        let limits = self.options.limits;
        let open = || source::open_snapshot_stream(path, compression, limits);
        let mut first = open().map_err(|e| Error::io(path, e))?;
        let prefix = first.stream.prefix().map_err(|e| Error::io(path, e))?;
        let container_error =
            |first: &source::SnapshotFile| first.stream.container_error().cloned();
        let prefix = match prefix {
            Ok(p) => p,
            Err(e) => {
                if let Some(c) = container_error(&first) {
                    self.problem(&file, &format!("{c} (in the compressed file)"));
                }
                return self.unreadable_file(&file, "snapshot", first.len, &e);
            }
        };
        // The prefix parses once read whole; an error here only keeps this
        // free of panics.
        let snap = match Snapshot::parse(&prefix, limits) {
            Ok(s) => s,
            Err(e) => return self.unreadable_file(&file, "snapshot", first.len, &e),
        };
        let mut node_stats = stats.then(NodeStats::default);
        let reopen = || Ok(open()?.stream);
        let pass =
            snap_pass::first_pass_stream(&mut first.stream, snap.nodes_offset(), reopen, |node| {
                if let Some(ns) = node_stats.as_mut() {
                    self.count_node(ns, node);
                }
            })
            .map_err(|e| Error::io(path, e))?;
        let container = container_error(&first);
        if let Some(c) = &container {
            self.problem(&file, &format!("{c} (in the compressed file)"));
        }
        let info = SnapshotInfo {
            file: &file,
            compression,
            file_len: first.len,
            stream_len: first.stream.stream_len(),
        };
        let tail = || first.stream.tail();
        self.snapshot_lines(
            &info,
            &snap,
            &pass,
            node_stats,
            container.as_ref(),
            tail,
            |w, format| {
                let mut second = open().map_err(|e| Error::io(path, e))?.stream;
                if second.prefix().map_err(|e| Error::io(path, e))?.is_err() {
                    let e = std::io::Error::other("the snapshot changed while it was read");
                    return Err(Error::io(path, e));
                }
                let out = &mut *w.out;
                let remaining = &mut w.remaining;
                snap_pass::render_stream_nodes(
                    path,
                    &snap,
                    &pass,
                    &w.filter,
                    format,
                    w.threads,
                    second,
                    limits,
                    |text| write_limited(out, remaining, text),
                )
            },
        )
    }

    /// Counts `node` into `--stats` if the filter passes it.
    fn count_node(&self, ns: &mut NodeStats, node: &Node<'_>) {
        let path = node.display_path();
        if self.filter.matches_node(path) {
            let len = node.data.map_or(0, <[u8]>::len) as u64;
            ns.add(path, len, node.stat.ephemeral_owner);
        }
    }

    /// The lines of a snapshot read by the first pass `pass`: header,
    /// `--stats` (`node_stats`), sessions, the nodes `render` writes, the
    /// end (from `tail`) and the JSON file line.
    #[allow(clippy::too_many_arguments)]
    fn snapshot_lines<'t>(
        &mut self,
        info: &SnapshotInfo<'_>,
        snap: &Snapshot<'_>,
        pass: &FirstPass,
        node_stats: Option<NodeStats>,
        container_error: Option<&DecodeError>,
        tail: impl FnOnce() -> StreamTail<'t>,
        render: impl FnOnce(&mut Self, &NodeLines) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let file = info.file;
        let stats = node_stats.is_some();
        let text_lines = !self.out.json && !stats;
        if text_lines {
            snapshot_header(self.out, info, snap, pass.node_count)?;
        }
        if let Some(ns) = &node_stats {
            // --stats of a snapshot: its nodes counted, not its txns.
            self::node_stats(self.out, file, ns)?;
        }
        if self.sessions && !stats {
            sessions(self.out, snap, pass)?;
        }
        if self.nodes && !stats {
            let format = NodeLines::new(file, self.out.json, self.text);
            render(self, &format)?;
        }
        let mut problems = Vec::new();
        let close = snapshot_end(self.out, pass, tail, text_lines, container_error, |p| {
            problems.push(p)
        })?;
        for p in problems {
            self.problem(file, &p);
        }
        if self.out.json {
            snapshot_file_line(self.out, info, snap, pass.node_count, close)?;
        }
        Ok(())
    }

    /// `--follow`: prints entries of `target` (a log, or a dir whose newest
    /// log is followed) as they appear.
    pub fn follow(
        &mut self,
        target: &Path,
        start: Start,
        timeout: Option<Duration>,
    ) -> Result<(), Error> {
        let (json, text) = (self.out.json, self.text);
        let format = |p: &Path| TxnLines::new(&p.display().to_string(), json, text);
        let options = self.options;
        let mut problems = 0;
        let out = &mut *self.out;
        follow::follow(
            target,
            start,
            &self.filter,
            format,
            options,
            timeout,
            |event| {
                match event {
                FollowEvent::Following(p) => {
                    if !json {
                        out.comment(&format!("# following {}", p.display()))?;
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
                FollowEvent::CaughtUp {
                    file,
                    offset,
                    before,
                    tail,
                } => out.note(&format!(
                    "following {} from its end at offset {offset:#x} ({before} txn{} before it){}",
                    file.display(),
                    if before == 1 { "" } else { "s" },
                    if tail > 0 {
                        format!("; the last {tail} matching txns shown first")
                    } else {
                        String::new()
                    }
                )),
            }
                Ok(())
            },
        )?;
        self.problems += problems;
        Ok(())
    }
}
