//! `zkdd dump`: print txn logs and snapshots, for people or as JSON Lines.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::cmd::args::{ConfigArgs, GlobalArgs};
use crate::error::{Error, ExitStatus};
use crate::files::datadir::{FileKind, classify};
use crate::files::par::{self, Flow};
use crate::files::source;
use crate::files::window::{self, WindowedLog};
use crate::format::DecodeError;
use crate::format::compress::{Compression, GZIP_MAGIC, SNAPPY_MAGIC};
use crate::format::header::FILE_HEADER_LEN;
use crate::format::header::{SNAP_MAGIC, TXNLOG_MAGIC};
use crate::format::jute::AclList;
use crate::format::snapshot::{NodeKind, Snapshot, SnapshotEnd};
use crate::format::txn::{OpCode, Txn, TxnBody};
use crate::format::txnlog::{IterOptions, LogChunk, LogEnd, TxnEntry, TxnLog};
use crate::render::Output;
use crate::render::human::{self, DataMode};
use crate::render::json::{NodeJson, TxnJson, session_json};
use crate::render::jsonw::{self, TimeCache};
use crate::timefmt;
use crate::tree::FastMap;
pub use crate::tree::in_subtree;
use crate::tree::parents::ParentFinder;
use crate::zxid::{SessionId, Zxid, hex64};

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

/// Filters on txns and nodes.
#[derive(Debug, Default)]
pub struct Filter {
    zxid_from: Option<Zxid>,
    zxid_to: Option<Zxid>,
    since: Option<i64>,
    until: Option<i64>,
    path: Option<Vec<u8>>,
    prefix: Option<Vec<u8>>,
    session: Option<SessionId>,
    ops: Vec<OpCode>,
}

/// Parses `A..B`, `A..`, `..B` or `A` (hex zxids).
pub fn parse_zxid_range(s: &str) -> Result<(Option<Zxid>, Option<Zxid>), Error> {
    let bad = || {
        Error::Usage(format!(
            "invalid zxid range {s:?}: use A..B with hex zxids, e.g. 0x1a..0x2f"
        ))
    };
    let one = |x: &str| -> Result<Option<Zxid>, Error> {
        if x.trim().is_empty() {
            Ok(None)
        } else {
            Zxid::parse(x).map(Some).ok_or_else(bad)
        }
    };
    match s.split_once("..") {
        Some((a, b)) => Ok((one(a)?, one(b)?)),
        None => {
            let z = one(s)?.ok_or_else(bad)?;
            Ok((Some(z), Some(z)))
        }
    }
}

impl Filter {
    /// Builds the filter from the flags.
    pub fn from_args(a: &Args, local: bool) -> Result<Filter, Error> {
        let (zxid_from, zxid_to) = match &a.zxid {
            Some(r) => parse_zxid_range(r)?,
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

    /// True when the txn passes every filter.
    pub fn matches(&self, txn: &Txn<'_>) -> bool {
        let h = &txn.header;
        if self.zxid_from.is_some_and(|z| h.zxid < z) || self.zxid_to.is_some_and(|z| h.zxid > z) {
            return false;
        }
        if self.since.is_some_and(|t| h.time < t) || self.until.is_some_and(|t| h.time > t) {
            return false;
        }
        if self.session.is_some_and(|s| h.session != s) {
            return false;
        }
        if !self.ops.is_empty() {
            let sub_match = match &txn.body {
                TxnBody::Multi { ops } => ops.iter().any(|o| self.ops.contains(&o.op)),
                _ => false,
            };
            if !self.ops.contains(&h.op) && !sub_match {
                return false;
            }
        }
        if self.path.is_some() || self.prefix.is_some() {
            let paths = txn.paths();
            if let Some(p) = &self.path
                && !paths.iter().any(|x| x == p)
            {
                return false;
            }
            if let Some(p) = &self.prefix
                && !paths.iter().any(|x| in_subtree(x, p))
            {
                return false;
            }
        }
        true
    }

    /// True when a node path passes the path filters.
    pub fn matches_node(&self, path: &[u8]) -> bool {
        self.path.as_ref().is_none_or(|p| p == path)
            && self.prefix.as_ref().is_none_or(|p| in_subtree(path, p))
    }

    /// True when no txn after `zxid` can match (for skipping later files).
    fn past_end(&self, zxid: Zxid) -> bool {
        self.zxid_to.is_some_and(|z| zxid > z)
    }
}

/// What a path argument turned out to be.
enum Input {
    Log(PathBuf),
    Snapshot(PathBuf, Compression),
}

fn sniff(path: &Path) -> Result<Input, Error> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match classify(&name) {
        FileKind::Log(_) => return Ok(Input::Log(path.to_path_buf())),
        FileKind::Snapshot(_, c) => return Ok(Input::Snapshot(path.to_path_buf(), c)),
        _ => {}
    }
    // Any other name (a copy, a leftover): decide by the first bytes.
    use std::io::Read;
    let mut head = [0u8; 8];
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let n = f.read(&mut head).map_err(|e| Error::io(path, e))?;
    let head = head.get(..n).unwrap_or(&[]);
    if head.starts_with(&TXNLOG_MAGIC) {
        Ok(Input::Log(path.to_path_buf()))
    } else if head.starts_with(&SNAP_MAGIC) {
        Ok(Input::Snapshot(path.to_path_buf(), Compression::None))
    } else if head.starts_with(&GZIP_MAGIC) {
        Ok(Input::Snapshot(path.to_path_buf(), Compression::Gzip))
    } else if head.starts_with(&SNAPPY_MAGIC) {
        Ok(Input::Snapshot(path.to_path_buf(), Compression::Snappy))
    } else {
        Err(Error::Usage(format!(
            "{}: not a ZooKeeper txn log or snapshot (unknown name and magic)",
            path.display()
        )))
    }
}

/// Per-run state: output options, stats, and whether any file had a problem.
struct Dumper<'o, 'w> {
    out: &'o mut Output<'w>,
    args: &'o Args,
    global: &'o GlobalArgs,
    filter: Filter,
    stats: Option<Stats>,
    problems: usize,
}

#[derive(Clone, Copy, Default)]
struct Counter {
    count: u64,
    bytes: u64,
}

impl Counter {
    fn add(&mut self, bytes: u64) {
        self.count += 1;
        self.bytes += bytes;
    }
    fn merge(&mut self, other: Counter) {
        self.count += other.count;
        self.bytes += other.bytes;
    }
}

/// Top-level subtrees `--stats` keeps in a list before using a map.
const FEW_TOPS: usize = 16;

/// `--stats` counts, kept in hash maps with raw keys while a log is read
/// (they are updated for every txn) and named and sorted only for output.
struct Stats {
    /// By op code: codes -16..48 in place, any other in `other_ops`.
    by_op: [Counter; 64],
    other_ops: FastMap<i32, Counter>,
    by_session: FastMap<SessionId, Counter>,
    /// The session of the last txns, counted here until another comes
    /// (txns come in bursts per session).
    last_session: Option<(SessionId, Counter)>,
    /// By the first component of a path, as stored: the first
    /// [`FEW_TOPS`] in a list (a data tree has a handful of top-level
    /// nodes; comparing a few short keys beats hashing), the rest in a map.
    few_tops: Vec<(Box<[u8]>, Counter)>,
    by_top: FastMap<Box<[u8]>, Counter>,
    /// Txns without a path.
    no_path: Counter,
    total: Counter,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            by_op: [Counter::default(); 64],
            other_ops: FastMap::default(),
            by_session: FastMap::default(),
            last_session: None,
            few_tops: Vec::new(),
            by_top: FastMap::default(),
            no_path: Counter::default(),
            total: Counter::default(),
        }
    }
}

impl Stats {
    /// Adds the counts of another part of the same input.
    fn merge(&mut self, other: Stats) {
        fn merge_map<K: Eq + std::hash::Hash>(
            into: &mut FastMap<K, Counter>,
            from: FastMap<K, Counter>,
        ) {
            for (k, c) in from {
                into.entry(k).or_default().merge(c);
            }
        }
        for (t, c) in self.by_op.iter_mut().zip(other.by_op) {
            t.merge(c);
        }
        merge_map(&mut self.other_ops, other.other_ops);
        merge_map(&mut self.by_session, other.by_session);
        if let Some((session, c)) = other.last_session {
            self.by_session.entry(session).or_default().merge(c);
        }
        merge_map(&mut self.by_top, other.by_top);
        for (top, c) in other.few_tops {
            self.add_top_counter(&top, c);
        }
        self.no_path.merge(other.no_path);
        self.total.merge(other.total);
    }

    /// Counts `bytes` for the top-level subtree `top`.
    fn add_top(&mut self, top: &[u8], bytes: u64) {
        self.add_top_counter(top, Counter { count: 1, bytes });
    }

    fn add_top_counter(&mut self, top: &[u8], c: Counter) {
        if let Some((_, t)) = self.few_tops.iter_mut().find(|(k, _)| **k == *top) {
            t.merge(c);
        } else if self.few_tops.len() < FEW_TOPS {
            self.few_tops.push((top.into(), c));
        } else {
            match self.by_top.get_mut(top) {
                Some(t) => t.merge(c),
                None => self.by_top.entry(top.into()).or_default().merge(c),
            }
        }
    }

    // Called for every txn of a possibly huge log: no allocation unless a
    // key is new (or a multi's paths are not UTF-8).
    fn add(&mut self, txn: &Txn<'_>, bytes: u64) {
        self.total.add(bytes);
        let op = txn.header.op.0;
        match usize::try_from(op + 16)
            .ok()
            .and_then(|i| self.by_op.get_mut(i))
        {
            Some(c) => c.add(bytes),
            None => self.other_ops.entry(op).or_default().add(bytes),
        }
        let session = txn.header.session;
        match &mut self.last_session {
            Some((s, c)) if *s == session => c.add(bytes),
            last => {
                if let Some((s, c)) = last.take() {
                    self.by_session.entry(s).or_default().merge(c);
                }
                *last = Some((session, Counter { count: 1, bytes }));
            }
        }
        let single = match &txn.body {
            TxnBody::Create(c) => Some(c.path),
            TxnBody::Delete { path }
            | TxnBody::SetData { path, .. }
            | TxnBody::SetAcl { path, .. }
            | TxnBody::Check { path, .. } => Some(*path),
            _ => None,
        };
        if let Some(path) = single {
            self.add_top(top_component(path), bytes);
            return;
        }
        let paths = txn.paths();
        if paths.is_empty() {
            self.no_path.add(bytes);
            return;
        }
        // Several paths (multi, closeSession): each top-level subtree once.
        // Tops are compared as bytes, which equals comparing the names unless
        // lossy UTF-8 makes two different tops one name: then by name.
        if paths
            .iter()
            .all(|p| std::str::from_utf8(top_component(p)).is_ok())
        {
            for (i, p) in paths.iter().enumerate() {
                let top = top_component(p);
                if !paths.iter().take(i).any(|q| top_component(q) == top) {
                    self.add_top(top, bytes);
                }
            }
            return;
        }
        let mut tops: Vec<String> = paths
            .iter()
            .map(|p| String::from_utf8_lossy(top_component(p)).into_owned())
            .collect();
        tops.sort();
        tops.dedup();
        for t in tops {
            self.add_top(t.as_bytes(), bytes);
        }
    }

    /// The counts by op name, session and subtree (`/top`, or `(no path)`),
    /// sorted by name.
    #[allow(clippy::type_complexity)]
    fn named(
        &self,
    ) -> (
        BTreeMap<String, Counter>,
        BTreeMap<SessionId, Counter>,
        BTreeMap<String, Counter>,
    ) {
        let mut ops: BTreeMap<String, Counter> = BTreeMap::new();
        let codes = (-16..).zip(&self.by_op).filter(|(_, c)| c.count > 0);
        for (op, &c) in codes.chain(self.other_ops.iter().map(|(&op, c)| (op, c))) {
            let op = OpCode(op);
            let name = op.name().map_or_else(|| op.display_name(), str::to_string);
            ops.entry(name).or_default().merge(c);
        }
        let mut sessions: BTreeMap<SessionId, Counter> =
            self.by_session.iter().map(|(&k, &c)| (k, c)).collect();
        if let Some((session, c)) = self.last_session {
            sessions.entry(session).or_default().merge(c);
        }
        let mut subtrees: BTreeMap<String, Counter> = BTreeMap::new();
        for (top, &c) in self
            .few_tops
            .iter()
            .map(|(k, c)| (k, c))
            .chain(&self.by_top)
        {
            // Splitting the bytes at '/' equals splitting the lossy string:
            // '/' is ASCII and never part of a replaced sequence.
            let name = format!("/{}", String::from_utf8_lossy(top));
            subtrees.entry(name).or_default().merge(c);
        }
        if self.no_path.count > 0 {
            subtrees.insert("(no path)".to_string(), self.no_path);
        }
        (ops, sessions, subtrees)
    }
}

/// The first component of `path` (`a` of `/a/b`).
fn top_component(path: &[u8]) -> &[u8] {
    let start = path.iter().position(|&b| b != b'/').unwrap_or(path.len());
    let rest = path.get(start..).unwrap_or(&[]);
    rest.split(|&b| b == b'/').next().unwrap_or(&[])
}

/// Runs `zkdd dump`.
pub fn run(args: &Args, global: &GlobalArgs, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    let filter = Filter::from_args(args, global.local)?;
    if args.follow {
        let target = match args.inputs.as_slice() {
            [] => args.config.open(None, out)?.log_dir,
            [p] if p.is_dir() => args.config.open(Some(p), out)?.log_dir,
            [p] => p.clone(),
            _ => {
                return Err(Error::Usage(
                    "--follow takes one data dir or one log file".into(),
                ));
            }
        };
        let mut d = Dumper {
            out,
            args,
            global,
            filter,
            stats: None,
            problems: 0,
        };
        d.follow(&target)?;
        return Ok(if d.problems > 0 {
            ExitStatus::Findings
        } else {
            ExitStatus::Ok
        });
    }
    let mut inputs = Vec::new();
    let mut dirs = Vec::new();
    if args.inputs.is_empty() {
        dirs.push(args.config.open(None, out)?);
    }
    for p in &args.inputs {
        if p.is_dir() {
            dirs.push(args.config.open(Some(p), out)?);
        } else {
            inputs.push(sniff(p)?);
        }
    }
    for dir in dirs {
        let mut logs: Vec<Input> = dir
            .logs
            .iter()
            .map(|l| Input::Log(l.path.clone()))
            .collect();
        let snaps: Vec<Input> = dir
            .snapshots
            .iter()
            .map(|s| Input::Snapshot(s.path.clone(), s.compression))
            .collect();
        if args.snapshots {
            inputs.extend(snaps);
        } else if args.all {
            inputs.append(&mut logs);
            inputs.extend(snaps);
        } else {
            if logs.is_empty() {
                out.warn(&format!("{}: no log files", dir.log_dir.display()));
            }
            inputs.append(&mut logs);
        }
    }
    let mut d = Dumper {
        out,
        args,
        global,
        filter,
        stats: args.stats.then(Stats::default),
        problems: 0,
    };
    for input in &inputs {
        match input {
            Input::Log(p) => d.log(p)?,
            Input::Snapshot(p, c) => d.snapshot(p, *c)?,
        }
    }
    if let Some(stats) = d.stats.take() {
        d.print_stats(&stats)?;
    }
    Ok(if d.problems > 0 {
        ExitStatus::Findings
    } else {
        ExitStatus::Ok
    })
}

/// Bytes of log entries per chunk handed to a worker thread.
const LOG_CHUNK_BYTES: u64 = 2 << 20;
/// Bytes of node records per chunk of a snapshot.
const SNAPSHOT_CHUNK_BYTES: u64 = 2 << 20;

/// What a worker needs to render log entries: everything but the output.
struct ChunkRender<'r> {
    file: &'r str,
    /// [`TxnJson::line_start`] of `file`.
    line_start: Vec<u8>,
    filter: &'r Filter,
    args: &'r Args,
    local: bool,
    json: bool,
    stats: bool,
}

/// One rendered chunk of a log.
struct ChunkDone {
    /// The lines, ready to write.
    text: Vec<u8>,
    /// Entries read (matching the filters or not), first and last zxid.
    count: u64,
    first: Option<Zxid>,
    last: Option<Zxid>,
    /// Per-chunk counts for --stats.
    stats: Option<Stats>,
    /// Offset after the last entry read.
    next: u64,
    /// Set when the log stops in this chunk: `Some(end)` where the entries
    /// end, `None` at the --zxid upper bound (the end is then unknown).
    stop: Option<Option<LogEnd>>,
}

impl ChunkRender<'_> {
    /// Reads, checks, filters and renders the entries of one chunk, exactly
    /// as a single pass over the log would.
    /// `text` is a buffer to reuse for the lines (emptied first).
    fn chunk(
        &self,
        log: &TxnLog<'_>,
        options: IterOptions,
        chunk: LogChunk,
        mut text: Vec<u8>,
    ) -> ChunkDone {
        text.clear();
        if !self.stats {
            // JSON lines are 1.3x to 1.7x the entries they show; growing
            // the buffer instead would copy it.
            text.reserve(LOG_CHUNK_BYTES as usize * 2);
        }
        let mut done = ChunkDone {
            text,
            count: 0,
            first: None,
            last: None,
            stats: self.stats.then(Stats::default),
            next: chunk.start,
            stop: None,
        };
        let mut times = TimeCache::default();
        let mut iter = log.entries_at(chunk.start, options);
        loop {
            if chunk.end.is_some_and(|end| iter.offset() >= end) {
                break;
            }
            let Some(entry) = iter.next() else {
                done.stop = Some(iter.end().cloned());
                break;
            };
            done.count += 1;
            let zxid = entry.txn.header.zxid;
            done.first.get_or_insert(zxid);
            done.last = Some(zxid);
            done.next = iter.offset();
            if !self.filter.matches(&entry.txn) {
                if self.filter.past_end(zxid) {
                    done.stop = Some(None);
                    break;
                }
                continue;
            }
            self.entry(
                entry.offset,
                &entry,
                &mut done.text,
                &mut times,
                done.stats.as_mut(),
            );
        }
        done
    }

    /// Renders (or counts) one entry into `text`; `offset` is its offset in the file.
    fn entry(
        &self,
        offset: u64,
        entry: &TxnEntry<'_>,
        text: &mut Vec<u8>,
        times: &mut TimeCache,
        stats: Option<&mut Stats>,
    ) {
        if let Some(stats) = stats {
            stats.add(&entry.txn, entry.framed_len());
        } else if self.json {
            TxnJson {
                file: self.file,
                offset,
                txn: &entry.txn,
                size: entry.framed_len(),
            }
            .write_after(&self.line_start, text, times);
            text.push(b'\n');
        } else {
            let line = human::txn_line(
                &entry.txn,
                self.args.data,
                self.args.max_data,
                self.local,
                self.args.digests,
            );
            text.extend_from_slice(line.as_bytes());
            text.push(b'\n');
        }
    }
}

impl Dumper<'_, '_> {
    fn problem(&mut self, file: &str, what: &str) {
        self.problems += 1;
        self.out.error(&format!("{file}: {what}"));
    }

    fn log(&mut self, path: &Path) -> Result<(), Error> {
        let file = path.display().to_string();
        // Mapped, or read a window at a time with --no-mmap (a multi-GB log
        // on a live server's host must not be read into memory whole).
        let mapped = match self.global.no_mmap {
            false => Some(source::open(path, false).map_err(|e| Error::io(path, e))?),
            true => None,
        };
        let mapped_log = match mapped.as_deref().map(TxnLog::parse) {
            Some(Err(e)) => {
                let size = mapped.as_ref().map_or(0, |b| b.len() as u64);
                return self.unreadable(&file, "txnlog", size, &e);
            }
            Some(Ok(log)) => Some(log),
            None => None,
        };
        let mut windowed = match mapped_log {
            Some(_) => None,
            None => match WindowedLog::open(path, window::window_size())? {
                Ok(w) => Some(w),
                Err(e) => {
                    let size = std::fs::metadata(path).map_or(0, |m| m.len());
                    return self.unreadable(&file, "txnlog", size, &e);
                }
            },
        };
        let (header, size) = match (&mapped_log, &windowed) {
            (Some(log), _) => (*log.header(), log.data().len() as u64),
            (None, Some(w)) => (*w.header(), w.len()),
            (None, None) => return Ok(()),
        };
        let human = !self.out.json && self.stats.is_none();
        if human {
            self.out.line(&format!(
                "# {file}: txn log, version {}, dbid {}, {size} bytes",
                header.version, header.dbid,
            ))?;
        }
        let pb = self.out.progress(size, &file);
        let options = IterOptions {
            limits: self.global.limits(),
            verify_checksums: true,
        };
        let render = ChunkRender {
            file: &file,
            line_start: TxnJson::line_start(&file),
            filter: &self.filter,
            args: self.args,
            local: self.global.local,
            json: self.out.json,
            stats: self.stats.is_some(),
        };
        let (mut count, mut first, mut last) = (0u64, None, None);
        let mut released = 0u64;
        let threads = self.global.threads();
        // Output buffers go back here once written: reusing them saves
        // faulting in fresh memory for every chunk.
        let spare: Mutex<Vec<Vec<u8>>> = Mutex::default();
        let spare_buffer = || {
            spare
                .lock()
                .ok()
                .and_then(|mut v| v.pop())
                .unwrap_or_default()
        };
        // Renders the entries of `log` (the file or a window of it) and
        // says how they ended; `None`: stopped at the --zxid bound.
        let mut dump_entries = |log: &TxnLog<'_>| -> Result<Option<LogEnd>, Error> {
            let mut end = None;
            par::log_chunks(
                threads,
                log,
                LOG_CHUNK_BYTES,
                &options.limits,
                |chunk| {
                    let done = render.chunk(log, options, chunk, spare_buffer());
                    let next = done.next;
                    (done, next)
                },
                |done: ChunkDone| -> Result<Flow, Error> {
                    count += done.count;
                    if first.is_none() {
                        first = done.first;
                    }
                    last = done.last.or(last);
                    if let (Some(total), Some(part)) = (&mut self.stats, done.stats) {
                        total.merge(part);
                    }
                    self.out.write_all(&done.text)?;
                    if let Ok(mut v) = spare.lock() {
                        v.push(done.text);
                    }
                    if done.next.saturating_sub(released) > 4 << 20 {
                        if let Some(bytes) = &mapped {
                            // Keep resident memory flat on huge mapped logs.
                            bytes.release_before(done.next as usize);
                        }
                        released = done.next;
                        pb.set_position(done.next);
                    }
                    Ok(match done.stop {
                        None => Flow::Continue,
                        Some(stop) => {
                            end = stop;
                            Flow::Stop
                        }
                    })
                },
            )?;
            Ok(end)
        };
        // `None` after this: stopped at the --zxid bound, end unknown.
        let end = match (&mapped_log, &mut windowed) {
            (Some(log), _) => dump_entries(log)?,
            (None, Some(w)) => w.run(0, &options.limits, dump_entries)?,
            (None, None) => None,
        };
        pb.finish_and_clear();
        // A break on --zxid leaves the end unknown; that is not a problem.
        let clean = end.as_ref().is_none_or(LogEnd::is_clean);
        if let Some(end) = &end
            && !clean
        {
            self.problem(&file, &end.describe());
        }
        if self.out.json {
            let (problem, nonzero_at) = match &end {
                Some(LogEnd::Corrupt { error, .. }) => (Some(problem_json(error)), None),
                Some(LogEnd::Padding { nonzero_at, .. }) => (None, *nonzero_at),
                _ => (None, None),
            };
            self.out.json_line(&json!({
                "type": "file",
                "file": file,
                "format": "txnlog",
                "size": size,
                "txns": count,
                "first_zxid": first.map(|z| z.to_string()),
                "last_zxid": last.map(|z| z.to_string()),
                "end": end.as_ref().map(LogEnd::kind_name),
                "end_offset": end.as_ref().map(LogEnd::offset),
                "nonzero_at": nonzero_at,
                "ok": clean,
                "problem": problem,
                "message": end.as_ref().map(LogEnd::describe),
            }))?;
        } else if human {
            let how = end
                .as_ref()
                .map_or("stopped at the --zxid bound".to_string(), LogEnd::describe);
            self.out.line(&format!("# {file}: {count} txns; {how}"))?;
        }
        Ok(())
    }

    /// `--follow`: polls `target` (a log, or a dir whose newest log is
    /// followed) and prints entries as they appear.
    fn follow(&mut self, target: &Path) -> Result<(), Error> {
        const POLL: Duration = Duration::from_millis(200);
        let (dir, mut current) = if target.is_dir() {
            (target.to_path_buf(), None)
        } else {
            let name = target
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let zxid = match classify(&name) {
                FileKind::Log(z) => z,
                _ => Zxid(0),
            };
            let dir = target
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .to_path_buf();
            (dir, Some(FollowPos::new(target.to_path_buf(), zxid)))
        };
        let timeout = self.args.follow_timeout.map(Duration::from_secs_f64);
        let mut last_new = Instant::now();
        let mut last_zxid: Option<Zxid> = None;
        let mut text = Vec::with_capacity(4096);
        let mut times = TimeCache::default();
        loop {
            if current.is_none() {
                current = newest_log(&dir, None)?.map(|(p, z)| FollowPos::new(p, z));
                if let Some(c) = &current
                    && !self.out.json
                {
                    self.out
                        .line(&format!("# following {}", c.path.display()))?;
                }
            }
            let mut new = 0u64;
            if let Some(pos) = &mut current {
                let file = pos.path.display().to_string();
                let chunk = read_window(&pos.path, pos.offset, pos.want)?;
                if chunk.truncated {
                    self.out.warn(&format!(
                        "{file}: shrank below offset {:#x}; rereading",
                        pos.offset
                    ));
                    pos.offset = FILE_HEADER_LEN as u64;
                    pos.want = 0;
                    continue;
                }
                if let Some(buf) = &chunk.buf {
                    let log = match TxnLog::parse(buf) {
                        Ok(l) => l,
                        Err(e) => {
                            // A log whose header is not written yet: wait.
                            if chunk.file_len >= FILE_HEADER_LEN as u64 {
                                self.problem(&file, &e.to_string());
                                return Ok(());
                            }
                            std::thread::sleep(POLL);
                            continue;
                        }
                    };
                    let base = pos.offset - FILE_HEADER_LEN as u64;
                    let mut iter = log.entries(IterOptions {
                        limits: self.global.limits(),
                        verify_checksums: true,
                    });
                    let render = ChunkRender {
                        file: &file,
                        line_start: TxnJson::line_start(&file),
                        filter: &self.filter,
                        args: self.args,
                        local: self.global.local,
                        json: self.out.json,
                        stats: false,
                    };
                    for entry in &mut iter {
                        let z = entry.txn.header.zxid;
                        if last_zxid.is_some_and(|l| z <= l) {
                            continue;
                        }
                        last_zxid = Some(z);
                        new += 1;
                        if self.filter.matches(&entry.txn) {
                            render.entry(base + entry.offset, &entry, &mut text, &mut times, None);
                        }
                    }
                    self.out.write_all(&text)?;
                    text.clear();
                    let end = iter.end().cloned();
                    pos.offset = base + end.as_ref().map_or(iter.offset(), LogEnd::offset);
                    // An entry longer than the window: read all of it next time.
                    pos.want = match &end {
                        Some(LogEnd::TornTail { needed, .. }) => *needed,
                        _ => 0,
                    };
                    pos.end = end.map(|e| shift(e, base));
                }
                if new > 0 {
                    last_new = Instant::now();
                    self.out.flush()?;
                    continue;
                }
                // Nothing new here: move on once the server has rolled.
                if let Some((p, z)) = newest_log(&dir, Some(pos.zxid))? {
                    if let Some(end) = &pos.end
                        && matches!(
                            end,
                            LogEnd::Corrupt { .. }
                                | LogEnd::Padding {
                                    nonzero_at: Some(_),
                                    ..
                                }
                        )
                    {
                        self.problem(&file, &end.describe());
                    }
                    *pos = FollowPos::new(p, z);
                    if !self.out.json {
                        self.out
                            .line(&format!("# following {}", pos.path.display()))?;
                        self.out.flush()?;
                    }
                    continue;
                }
            }
            if timeout.is_some_and(|t| last_new.elapsed() >= t) {
                if let Some(pos) = &current
                    && let Some(end) = &pos.end
                    && matches!(
                        end,
                        LogEnd::Corrupt { .. }
                            | LogEnd::Padding {
                                nonzero_at: Some(_),
                                ..
                            }
                    )
                {
                    let file = pos.path.display().to_string();
                    self.problem(&file, &end.describe());
                }
                return Ok(());
            }
            std::thread::sleep(POLL);
        }
    }

    fn unreadable(
        &mut self,
        file: &str,
        format: &str,
        size: u64,
        e: &DecodeError,
    ) -> Result<(), Error> {
        self.problem(file, &e.to_string());
        if self.out.json {
            self.out.json_line(&json!({
                "type": "file", "file": file, "format": format, "size": size,
                "ok": false, "problem": problem_json(e), "message": e.to_string(),
            }))?;
        }
        Ok(())
    }

    fn snapshot(&mut self, path: &Path, compression: Compression) -> Result<(), Error> {
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
        let json = self.out.json;
        let show_nodes = !self.args.sessions_only && self.stats.is_none();
        let show_sessions = !self.args.nodes_only && self.stats.is_none();

        // First pass: check the whole stream, count children and ephemerals
        // per session (not stored on disk), and cut the nodes into chunks
        // that the second pass renders on several threads.
        // Children per node ordinal.
        let mut children: Vec<u32> = Vec::new();
        let mut parents = ParentFinder::new();
        let mut ephemerals: FastMap<SessionId, u64> = FastMap::default();
        // (offset, nodes, ordinal of the first) of each chunk.
        let mut chunks: Vec<(u64, usize, usize)> = Vec::new();
        let mut node_count = 0u64;
        let mut iter = snap.nodes();
        let (mut chunk_start, mut chunk_nodes) = (snap.nodes_offset(), 0usize);
        let mut released = 0u64;
        for node in &mut iter {
            let ord = children.len();
            children.push(0);
            node_count += 1;
            if node.offset - chunk_start >= SNAPSHOT_CHUNK_BYTES {
                chunks.push((chunk_start, chunk_nodes, ord - chunk_nodes));
                (chunk_start, chunk_nodes) = (node.offset, 0);
                if node.offset - released >= 64 << 20 {
                    // Keep resident memory flat on huge mapped snapshots.
                    sb.stream.release_before(node.offset as usize);
                    released = node.offset;
                }
            }
            chunk_nodes += 1;
            let parent = node
                .path
                .iter()
                .rposition(|&b| b == b'/')
                .map(|i| node.path.get(..i).unwrap_or_default());
            // Ordinals fit in u32: a node record takes more than 32 bytes.
            let found = parents.add(ord as u32, node.path, parent, || {
                snap.nodes().take(ord).map(|n| n.path)
            });
            if let Some(count) = found.and_then(|p| children.get_mut(p as usize)) {
                *count += 1;
            }
            if let Some(s) = NodeKind::of(node.stat.ephemeral_owner).session() {
                *ephemerals.entry(s).or_default() += 1;
            }
        }
        if chunk_nodes > 0 {
            chunks.push((chunk_start, chunk_nodes, children.len() - chunk_nodes));
        }
        drop(parents);
        if !json && self.stats.is_none() {
            let h = snap.header();
            let via = compression.suffix().map_or(String::new(), |s| {
                format!(" ({s}, {} bytes uncompressed)", sb.stream.len())
            });
            self.out.line(&format!(
                "# {file}: snapshot, version {}, dbid {}, {} bytes{via}, {} sessions, {} ACL lists, {} nodes",
                h.version,
                h.dbid,
                sb.file_len,
                snap.sessions().len(),
                snap.acl_cache().len(),
                node_count
            ))?;
        }
        if show_sessions {
            for s in snap.sessions() {
                if json {
                    self.out
                        .json_line(&session_json(s.session.0, s.timeout_ms))?;
                } else {
                    self.out.line(&format!(
                        "session {} timeout={}ms ephemerals={}",
                        s.session,
                        s.timeout_ms,
                        ephemerals.get(&s.session).copied().unwrap_or(0)
                    ))?;
                }
            }
        }
        if show_nodes {
            // Resolved once per id, as `Snapshot::resolve_acl` would.
            let mut acls: FastMap<i64, Option<AclList<'_>>> = FastMap::default();
            acls.insert(-1, snap.resolve_acl(-1));
            for e in snap.acl_cache() {
                acls.entry(e.id).or_insert_with(|| e.acl.clone());
            }
            let file_json = jsonw::quoted(&file);
            let render = |(start, count, first): (u64, usize, usize)| {
                let mut text = Vec::with_capacity(SNAPSHOT_CHUNK_BYTES as usize * 3 / 2);
                let mut times = TimeCache::default();
                let counts = children.get(first..).unwrap_or_default();
                for (node, &num_children) in snap.nodes_at(start).take(count).zip(counts) {
                    if !self.filter.matches_node(node.display_path()) {
                        continue;
                    }
                    let num_children = u64::from(num_children);
                    let acl = acls.get(&node.acl_id).and_then(Option::as_deref);
                    if json {
                        NodeJson {
                            path: node.display_path(),
                            data: node.data,
                            acl,
                            stat: &node.stat,
                            num_children,
                            origin: Some((&file_json, node.offset, node.acl_id)),
                        }
                        .write(&mut text, &mut times);
                    } else {
                        let acl_text = match acl {
                            Some(a) => human::acl(Some(a)),
                            None => format!("<missing ACL id {}>", node.acl_id),
                        };
                        let line = format!(
                            "{} {} acl={} data={}",
                            human::path(node.display_path()),
                            human::stat(
                                &node.stat,
                                node.data.map_or(0, <[u8]>::len),
                                num_children,
                                self.global.local
                            ),
                            acl_text,
                            human::data_limited(node.data, self.args.data, self.args.max_data)
                        );
                        text.extend_from_slice(line.as_bytes());
                    }
                    text.push(b'\n');
                }
                (start, text)
            };
            let (out, stream) = (&mut *self.out, &sb.stream);
            let mut released = 0u64;
            par::ordered(
                self.global.threads(),
                chunks.into_iter(),
                render,
                |(start, text): (u64, Vec<u8>)| -> Result<Flow, Error> {
                    out.write_all(&text)?;
                    if start - released >= 64 << 20 {
                        stream.release_before(start as usize);
                        released = start;
                    }
                    Ok(Flow::Continue)
                },
            )?;
        }
        let end = iter.into_end();
        let mut problem = sb.container_error.as_ref().map(problem_json);
        let mut seals_json = Vec::new();
        let mut digest_json = None;
        let mut lpz = None;
        match &end {
            Some(SnapshotEnd::Complete(t)) => {
                for (i, s) in t.seals.iter().enumerate() {
                    seals_json.push(json!({"offset": s.offset, "stored": format!("{:#x}", s.stored), "computed": format!("{:#x}", s.computed), "ok": s.ok()}));
                    if !json && self.stats.is_none() {
                        self.out.line(&format!(
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
                if let Err(e) = t.check_seals() {
                    self.problem(&file, &format!("seal {e}"));
                    problem.get_or_insert(problem_json(&e));
                }
                if let Some(d) = &t.digest {
                    digest_json = Some(
                        json!({"zxid": d.zxid.to_string(), "version": d.version, "value": d.value()}),
                    );
                    if !json && self.stats.is_none() {
                        self.out.line(&format!(
                            "# digest: zxid {} version {} value {}",
                            d.zxid,
                            d.version,
                            d.value().map_or("?".to_string(), |v| v.to_string())
                        ))?;
                    }
                }
                lpz = t.last_processed_zxid.map(|z| z.to_string());
            }
            Some(SnapshotEnd::Corrupt(e)) => {
                self.problem(&file, &e.to_string());
                problem.get_or_insert(problem_json(e));
            }
            None => {}
        }
        if json {
            self.out.json_line(&json!({
                "type": "file", "file": file, "format": "snapshot",
                "compression": compression.suffix(),
                "size": sb.file_len, "stream_size": sb.stream.len(),
                "sessions": snap.sessions().len(), "acl_lists": snap.acl_cache().len(),
                "nodes": node_count, "seals": seals_json, "digest": digest_json,
                "last_processed_zxid": lpz,
                "ok": problem.is_none(), "problem": problem,
            }))?;
        }
        Ok(())
    }

    fn print_stats(&mut self, s: &Stats) -> Result<(), Error> {
        let (by_op, by_session, by_subtree) = s.named();
        if self.out.json {
            let map = |m: &mut dyn Iterator<Item = (String, &Counter)>| -> serde_json::Value {
                m.map(|(k, c)| (k, json!({"count": c.count, "bytes": c.bytes})))
                    .collect::<serde_json::Map<_, _>>()
                    .into()
            };
            self.out.json_line(&json!({
                "type": "stats",
                "txns": s.total.count,
                "bytes": s.total.bytes,
                "by_op": map(&mut by_op.iter().map(|(k, c)| (k.clone(), c))),
                "by_session": map(&mut by_session.iter().map(|(k, c)| (hex64(k.0), c))),
                "by_subtree": map(&mut by_subtree.iter().map(|(k, c)| (k.clone(), c))),
            }))?;
            return Ok(());
        }
        let total = s.total.bytes.max(1) as f64;
        let section = |out: &mut Output<'_>,
                       title: &str,
                       rows: Vec<(String, &Counter)>|
         -> Result<(), Error> {
            out.line(&format!(
                "{title:<28} {:>10} {:>14} {:>7}",
                "count", "bytes", "bytes%"
            ))?;
            let mut rows = rows;
            rows.sort_by(|a, b| b.1.bytes.cmp(&a.1.bytes).then_with(|| a.0.cmp(&b.0)));
            for (k, c) in rows {
                out.line(&format!(
                    "  {k:<26} {:>10} {:>14} {:>6.2}%",
                    c.count,
                    c.bytes,
                    c.bytes as f64 * 100.0 / total
                ))?;
            }
            out.line("")?;
            Ok(())
        };
        section(
            self.out,
            "Op",
            by_op.iter().map(|(k, c)| (k.clone(), c)).collect(),
        )?;
        section(
            self.out,
            "Session",
            by_session.iter().map(|(k, c)| (k.to_string(), c)).collect(),
        )?;
        section(
            self.out,
            "Subtree",
            by_subtree.iter().map(|(k, c)| (k.clone(), c)).collect(),
        )?;
        self.out.line(&format!(
            "Total: {} txns, {} bytes",
            s.total.count, s.total.bytes
        ))?;
        Ok(())
    }
}

/// Where `--follow` is in one log.
struct FollowPos {
    path: PathBuf,
    zxid: Zxid,
    /// Next entry offset.
    offset: u64,
    /// Bytes the entry at `offset` needs (0: unknown).
    want: u64,
    /// How the last read ended.
    end: Option<LogEnd>,
}

impl FollowPos {
    fn new(path: PathBuf, zxid: Zxid) -> Self {
        FollowPos {
            path,
            zxid,
            offset: FILE_HEADER_LEN as u64,
            want: 0,
            end: None,
        }
    }
}

/// With `after`, the next `log.*` in `dir` after it (never skip a log
/// however fast the server rolls); without, the newest one.
fn newest_log(dir: &Path, after: Option<Zxid>) -> Result<Option<(PathBuf, Zxid)>, Error> {
    let mut best: Option<(PathBuf, Zxid)> = None;
    for e in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let e = e.map_err(|e| Error::io(dir, e))?;
        if let FileKind::Log(z) = classify(&e.file_name().to_string_lossy())
            && after.is_none_or(|a| z > a)
            && best
                .as_ref()
                .is_none_or(|(_, b)| if after.is_some() { z < *b } else { z > *b })
        {
            best = Some((e.path(), z));
        }
    }
    Ok(best)
}

struct Window {
    /// The file's header followed by the bytes from the offset (`None`: nothing new).
    buf: Option<Vec<u8>>,
    file_len: u64,
    /// The file is now shorter than the offset.
    truncated: bool,
}

/// Reads the header and up to max(64 KiB, `want`) bytes from `offset` of a
/// growing file with plain reads (never a map: the file changes under us).
fn read_window(path: &Path, offset: u64, want: u64) -> Result<Window, Error> {
    use std::io::{Read, Seek, SeekFrom};
    let io = |e| Error::io(path, e);
    let mut f = std::fs::File::open(path).map_err(io)?;
    let file_len = f.metadata().map_err(io)?.len();
    if file_len < offset {
        return Ok(Window {
            buf: None,
            file_len,
            truncated: file_len >= FILE_HEADER_LEN as u64,
        });
    }
    let n = (file_len - offset).min(want.max(64 << 10));
    if n == 0 {
        return Ok(Window {
            buf: None,
            file_len,
            truncated: false,
        });
    }
    let mut buf = vec![0u8; FILE_HEADER_LEN];
    f.read_exact(&mut buf).map_err(io)?;
    f.seek(SeekFrom::Start(offset)).map_err(io)?;
    // `n` is bounded by the file's real size, not by a length field.
    (&mut f).take(n).read_to_end(&mut buf).map_err(io)?;
    Ok(Window {
        buf: Some(buf),
        file_len,
        truncated: false,
    })
}

/// Moves a window-relative end to file offsets.
fn shift(end: LogEnd, base: u64) -> LogEnd {
    match end {
        LogEnd::Eof { offset } => LogEnd::Eof {
            offset: offset + base,
        },
        LogEnd::Padding { offset, nonzero_at } => LogEnd::Padding {
            offset: offset + base,
            nonzero_at: nonzero_at.map(|n| n + base),
        },
        LogEnd::TornTail {
            offset,
            needed,
            available,
        } => LogEnd::TornTail {
            offset: offset + base,
            needed,
            available,
        },
        LogEnd::PartialRecord { offset, len } => LogEnd::PartialRecord {
            offset: offset + base,
            len,
        },
        LogEnd::Corrupt { offset, error } => LogEnd::Corrupt {
            offset: offset + base,
            error: DecodeError::new(error.kind().clone(), error.offset() + base),
        },
    }
}

fn problem_json(e: &DecodeError) -> serde_json::Value {
    json!({"code": e.code(), "offset": e.offset(), "message": e.to_string()})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtree_matching_respects_component_boundaries() {
        assert!(in_subtree(b"/app", b"/app"));
        assert!(in_subtree(b"/app/x", b"/app"));
        assert!(in_subtree(b"/app/x", b"/app/"));
        assert!(!in_subtree(b"/apple", b"/app"));
        assert!(in_subtree(b"/anything", b"/"));
    }

    #[test]
    fn zxid_ranges() {
        assert_eq!(
            parse_zxid_range("0x1a..0x2f").unwrap(),
            (Some(Zxid(0x1a)), Some(Zxid(0x2f)))
        );
        assert_eq!(parse_zxid_range("1a..").unwrap(), (Some(Zxid(0x1a)), None));
        assert_eq!(parse_zxid_range("..2f").unwrap(), (None, Some(Zxid(0x2f))));
        assert_eq!(
            parse_zxid_range("0x5").unwrap(),
            (Some(Zxid(5)), Some(Zxid(5)))
        );
        assert!(parse_zxid_range("zz..").is_err());
    }
}
