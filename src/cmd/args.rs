//! Flags several subcommands share: the global ones and how a data dir is found.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::files::datadir::{DataDir, ZooConfig, version_dir};
use crate::format::jute::{DEFAULT_LENGTH_LIMIT, Limits};
use crate::render::Output;
use crate::tree::replay::Target;
use crate::zxid::Zxid;

/// When to colour verdicts and severities.
#[derive(clap::ValueEnum, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ColorWhen {
    /// On a terminal, unless NO_COLOR is set.
    #[default]
    Auto,
    /// Always (also into pipes).
    Always,
    /// Never.
    Never,
}

/// How a report is written: every subcommand that writes one.
#[derive(clap::Args, Debug, Clone, Default)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// Write JSON Lines to stdout instead of text (zkdd-json(5) has every line type).
    #[arg(long)]
    pub json: bool,
    /// Nothing on stdout or stderr when all is well: only errors and the findings that make
    /// the exit status 1 (with --json the lines still print); never progress bars.
    #[arg(long, short)]
    pub quiet: bool,
    /// Say on stderr what was read and decided (files, how each log ended, which snapshot and
    /// logs a replay used, timings); -vv adds per-file detail.
    #[arg(long, short, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Colour verdicts and severities: auto (on a terminal, unless NO_COLOR is set), always,
    /// never.
    #[arg(long, value_name = "WHEN", value_enum, default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
}

/// Exact byte counts: subcommands that print sizes.
#[derive(clap::Args, Debug, Clone, Default)]
#[command(next_help_heading = "Output")]
pub struct SizeArgs {
    /// Print sizes as exact byte counts instead of human units (64.0 MiB).
    #[arg(long)]
    pub bytes: bool,
}

/// Redaction: subcommands that print znode data or ACLs.
#[derive(clap::Args, Debug, Clone, Default)]
#[command(next_help_heading = "Output")]
pub struct RedactArgs {
    /// Hide znode data and digest credentials, to share the output: data becomes its length
    /// and SHA-256 (JSON {"redacted":{"length":N,"sha256":"…"}}; text <redacted N bytes
    /// sha256:…>), equal values keep equal hashes; digest ACL ids keep the user name and lose
    /// the hash (alice:<redacted>). zkCli scripts written so stop before any change.
    #[arg(long)]
    pub redact: bool,
}

/// Times in the local zone: subcommands that print or parse times.
#[derive(clap::Args, Debug, Clone, Default)]
#[command(next_help_heading = "Output")]
pub struct LocalTimeArgs {
    /// Show times in the local time zone instead of UTC, and read times given without a zone
    /// as local.
    #[arg(long)]
    pub local: bool,
}

/// The length limit: subcommands that decode files.
#[derive(clap::Args, Debug, Clone)]
#[command(next_help_heading = "Reading")]
pub struct LimitArgs {
    /// Largest buffer or string length accepted from a file (jute.maxbuffer + extrasize).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_LENGTH_LIMIT)]
    pub max_buffer: u64,
}

impl Default for LimitArgs {
    fn default() -> Self {
        LimitArgs {
            max_buffer: DEFAULT_LENGTH_LIMIT,
        }
    }
}

/// How files are read: subcommands that read logs or snapshots.
#[derive(clap::Args, Debug, Clone, Default)]
#[command(next_help_heading = "Reading")]
pub struct ReadArgs {
    /// Read files instead of memory-mapping them (use on a live data dir); txn logs are read a
    /// window of 16 MiB at a time, snapshots whole.
    #[arg(long)]
    pub no_mmap: bool,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub limit: LimitArgs,
}

/// Threads: subcommands that split big files.
#[derive(clap::Args, Debug, Clone, Default)]
#[command(next_help_heading = "Reading")]
pub struct ThreadArgs {
    /// Threads for big files (default: one per core, at most 8; 1 = no extra
    /// threads; at most 64, past which output, not threads, is the limit).
    #[arg(long, short = 'j', value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=MAX_THREADS))]
    pub threads: Option<u16>,
}

/// A point in a data dir's history, said the same way by every subcommand
/// that builds a tree there (replay, extract, du); none: the end of the logs.
#[derive(clap::Args, Debug, Clone, Default)]
#[group(id = "point", multiple = false)]
#[command(next_help_heading = "Point in time")]
pub struct PointArgs {
    /// The tree after the txn with this zxid (hex, e.g. 0x1a2b).
    #[arg(long, value_name = "ZXID")]
    pub to_zxid: Option<String>,
    /// The tree just before the txn with this zxid (the undo case).
    #[arg(long, value_name = "ZXID")]
    pub before_zxid: Option<String>,
    /// The tree after the last txn at or before this time: RFC 3339 (2026-11-23T03:14Z) or
    /// relative to now (-1h, "2h ago").
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub to_time: Option<String>,
}

impl PointArgs {
    /// The replay target these flags name.
    pub fn target(&self, local: bool) -> Result<Target, Error> {
        let zxid = |s: &str, flag: &str| {
            Zxid::parse(s).ok_or_else(|| Error::Usage(format!("{flag}: not a hex zxid: {s:?}")))
        };
        Ok(if let Some(z) = &self.to_zxid {
            Target::ToZxid(zxid(z, "--to-zxid")?)
        } else if let Some(z) = &self.before_zxid {
            Target::BeforeZxid(zxid(z, "--before-zxid")?)
        } else if let Some(t) = &self.to_time {
            Target::ToTime(crate::timefmt::parse(t, local).map_err(Error::Usage)?)
        } else {
            Target::End
        })
    }
}

/// A range of txns, said the same way by every subcommand that shows txns
/// or changes (dump, history).
#[derive(clap::Args, Debug, Clone, Default)]
#[command(next_help_heading = "Range")]
pub struct RangeArgs {
    /// Only txns with zxid in A..B (inclusive; either end may be left out).
    #[arg(long, value_name = "A..B")]
    pub zxid: Option<String>,
    /// Only txns at or after this time: RFC 3339 (2026-11-23T03:14Z), or relative to now
    /// (-1h, -10m, "2h ago", now).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub since: Option<String>,
    /// Only txns at or before this time (same forms as --since).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub until: Option<String>,
}

/// The bounds a [`RangeArgs`] names.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bounds {
    /// Lowest zxid.
    pub zxid_from: Option<Zxid>,
    /// Highest zxid.
    pub zxid_to: Option<Zxid>,
    /// Earliest time (ms).
    pub since: Option<i64>,
    /// Latest time (ms).
    pub until: Option<i64>,
}

impl Bounds {
    /// True when a txn with `zxid` at `time` is inside.
    pub fn contains(&self, zxid: Zxid, time: i64) -> bool {
        self.zxid_from.is_none_or(|z| zxid >= z)
            && self.zxid_to.is_none_or(|z| zxid <= z)
            && self.since.is_none_or(|t| time >= t)
            && self.until.is_none_or(|t| time <= t)
    }
}

impl RangeArgs {
    /// The bounds these flags name.
    pub fn bounds(&self, local: bool) -> Result<Bounds, Error> {
        let (zxid_from, zxid_to) = match &self.zxid {
            Some(r) => crate::zxid::parse_range(r).ok_or_else(|| {
                Error::Usage(format!(
                    "invalid zxid range {r:?}: use A..B with hex zxids, e.g. 0x1a..0x2f"
                ))
            })?,
            None => (None, None),
        };
        let time = |t: &Option<String>, flag: &str| -> Result<Option<i64>, Error> {
            t.as_deref()
                .map(|s| {
                    crate::timefmt::parse(s, local)
                        .map_err(|e| Error::Usage(format!("{flag}: {e}")))
                })
                .transpose()
        };
        let bounds = Bounds {
            zxid_from,
            zxid_to,
            since: time(&self.since, "--since")?,
            until: time(&self.until, "--until")?,
        };
        // An empty range is a typo, not a question: say so instead of
        // printing nothing and exiting 0.
        if let (Some(a), Some(b)) = (bounds.zxid_from, bounds.zxid_to)
            && a > b
        {
            return Err(Error::Usage(format!(
                "--zxid {}: {a} is after {b}; the range is A..B with A <= B",
                self.zxid.as_deref().unwrap_or_default()
            )));
        }
        if let (Some(a), Some(b)) = (bounds.since, bounds.until)
            && a > b
        {
            return Err(Error::Usage(format!(
                "--since {} is after --until {}",
                crate::timefmt::display(a, local),
                crate::timefmt::display(b, local)
            )));
        }
        Ok(bounds)
    }
}

/// The point a target names, for people: "just before zxid 0x30".
pub fn describe_target(t: &Target, local: bool) -> String {
    match t {
        Target::End => "at the end of the logs".into(),
        Target::ToZxid(z) => format!("after zxid {z}"),
        Target::BeforeZxid(z) => format!("just before zxid {z}"),
        Target::ToTime(ms) => format!("at {}", crate::timefmt::display(*ms, local)),
    }
}

/// The most threads `-j` takes.
pub const MAX_THREADS: i64 = 64;

/// What a subcommand runs with, from the flag groups it takes (the others
/// keep their defaults): one value for `run` and [`Output`].
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// How the report is written.
    pub report: OutputArgs,
    /// Exact byte counts.
    pub bytes: bool,
    /// Times in the local zone.
    pub local: bool,
    /// Reading files.
    pub read: ReadArgs,
    /// Threads for big files.
    pub threads: Option<u16>,
    /// Data and ACL credentials redacted.
    pub redact: bool,
}

impl Settings {
    /// How the report is to be written.
    pub fn output_options(&self) -> crate::render::OutputOptions {
        crate::render::OutputOptions {
            json: self.report.json,
            quiet: self.report.quiet,
            verbose: self.report.verbose,
            local_time: self.local,
            exact_bytes: self.bytes,
            color: match self.report.color {
                ColorWhen::Auto => crate::render::ColorChoice::Auto,
                ColorWhen::Always => crate::render::ColorChoice::Always,
                ColorWhen::Never => crate::render::ColorChoice::Never,
            },
            redact: crate::render::redact::Redaction::from_flag(self.redact),
        }
    }

    /// Decoding limits from the flags.
    pub fn limits(&self) -> Limits {
        Limits {
            max_length: self.read.limit.max_buffer,
        }
    }

    /// Worker threads for chunked work on big files.
    pub fn threads(&self) -> usize {
        self.threads
            .map_or_else(crate::files::par::default_threads, usize::from)
    }
}

/// True when `a` and `b` name the same data dir (either may be given as the
/// dataDir or its version-2/).
fn same_data_dir(a: &Path, b: &Path) -> bool {
    let v = |d: &Path| {
        version_dir(d)
            .ok()
            .and_then(|v| std::fs::canonicalize(v).ok())
    };
    v(a).is_some_and(|x| v(b).is_some_and(|y| x == y))
}

/// How a subcommand finds a data dir: a path, or a zoo.cfg.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ConfigArgs {
    /// Read dataDir and dataLogDir from this zoo.cfg.
    #[arg(long, value_name = "ZOO_CFG")]
    pub config: Option<PathBuf>,
    /// The dataLogDir when logs live apart from snapshots.
    #[arg(long, value_name = "DATALOGDIR")]
    pub log_dir: Option<PathBuf>,
}

impl ConfigArgs {
    /// Opens the data dir given as `dir`, or the one `--config` names, or the
    /// one a discovered zoo.cfg names.
    pub fn open(
        &self,
        dir: Option<&std::path::Path>,
        out: &mut Output<'_>,
    ) -> Result<DataDir, Error> {
        if let Some(dir) = dir {
            let log_dir = match &self.log_dir {
                Some(l) => Some(l.clone()),
                None => self.config_log_dir(dir, out),
            };
            let dir = DataDir::open(dir, log_dir.as_deref())?;
            describe(&dir, out);
            return Ok(dir);
        }
        let cfg_path = match &self.config {
            Some(p) => p.clone(),
            None => {
                let found = ZooConfig::discover().ok_or_else(|| {
                    Error::Usage(
                        "no data directory given, and no zoo.cfg found (use DATADIR or --config)"
                            .into(),
                    )
                })?;
                out.warn(&format!("using {}", found.display()));
                found
            }
        };
        let cfg = ZooConfig::read(&cfg_path)?;
        if let Some(l) = &cfg.data_log_dir
            && self.log_dir.is_none()
        {
            out.note(&format!(
                "using dataLogDir {} from {}",
                l.display(),
                cfg_path.display()
            ));
        }
        let mut dir = DataDir::from_config(&cfg)?;
        if let Some(l) = &self.log_dir {
            dir = DataDir::open(&cfg.data_dir, Some(l))?;
        }
        describe(&dir, out);
        Ok(dir)
    }

    /// The dataLogDir of the zoo.cfg (`--config`, or the one found where
    /// ZooKeeper's scripts look) whose dataDir is `dir`: logs kept apart
    /// are picked up without `--log-dir`.
    fn config_log_dir(&self, dir: &Path, out: &mut Output<'_>) -> Option<PathBuf> {
        let cfg_path = self.config.clone().or_else(ZooConfig::discover)?;
        let cfg = ZooConfig::read(&cfg_path).ok()?;
        let log_dir = cfg.data_log_dir?;
        if !same_data_dir(dir, &cfg.data_dir) {
            return None;
        }
        out.warn(&format!(
            "using dataLogDir {} from {}",
            log_dir.display(),
            cfg_path.display()
        ));
        Some(log_dir)
    }
}

/// -v: the data dir found; -vv: each file in it.
fn describe(dir: &DataDir, out: &mut Output<'_>) {
    let logs = if dir.log_dir == dir.snap_dir {
        String::new()
    } else {
        format!(", logs in {}", dir.log_dir.display())
    };
    out.note(&format!(
        "data dir {}: {} snapshot{}, {} log{}{logs}",
        dir.snap_dir.display(),
        dir.snapshots.len(),
        if dir.snapshots.len() == 1 { "" } else { "s" },
        dir.logs.len(),
        if dir.logs.len() == 1 { "" } else { "s" },
    ));
    for p in dir
        .snapshots
        .iter()
        .map(|s| &s.path)
        .chain(dir.logs.iter().map(|l| &l.path))
    {
        let size = std::fs::metadata(p).map_or(0, |m| m.len());
        out.detail(&format!("  {} ({})", p.display(), out.size(size)));
    }
}
