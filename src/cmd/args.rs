//! Flags several subcommands share: the global ones and how a data dir is found.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::files::datadir::{DataDir, ZooConfig, version_dir};
use crate::format::jute::{DEFAULT_LENGTH_LIMIT, Limits};
use crate::render::Output;

/// Flags shared by all subcommands.
#[derive(clap::Args, Debug, Clone)]
pub struct GlobalArgs {
    /// Write JSON Lines to stdout instead of text (see zkdd(1) for the format).
    #[arg(long, global = true)]
    pub json: bool,
    /// Print only errors; never show progress bars.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// More detail on stderr (repeat for more).
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Read files instead of memory-mapping them (use on a live data dir); txn logs are read a
    /// window of 16 MiB at a time, snapshots whole.
    #[arg(long, global = true)]
    pub no_mmap: bool,
    /// Largest buffer or string length accepted from a file (jute.maxbuffer + extrasize).
    #[arg(long, global = true, value_name = "BYTES", default_value_t = DEFAULT_LENGTH_LIMIT)]
    pub max_buffer: u64,
    /// Show times in the local time zone instead of UTC (human output only).
    #[arg(long, global = true)]
    pub local: bool,
    /// Threads for big files (default: one per core, at most 8; 1 = no extra
    /// threads; at most 64, past which output, not threads, is the limit).
    #[arg(long, short = 'j', global = true, value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=MAX_THREADS))]
    pub threads: Option<u16>,
}

/// The most threads `-j` takes.
pub const MAX_THREADS: i64 = 64;

impl GlobalArgs {
    /// Decoding limits from the flags.
    pub fn limits(&self) -> Limits {
        Limits {
            max_length: self.max_buffer,
        }
    }

    /// Worker threads for chunked work on big files.
    pub fn threads(&self) -> usize {
        self.threads
            .map_or_else(crate::files::par::default_threads, usize::from)
    }
}

impl Default for GlobalArgs {
    fn default() -> Self {
        GlobalArgs {
            json: false,
            quiet: false,
            verbose: 0,
            no_mmap: false,
            max_buffer: DEFAULT_LENGTH_LIMIT,
            local: false,
            threads: None,
        }
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
            return DataDir::open(dir, log_dir.as_deref());
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
