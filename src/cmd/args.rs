//! Flags several subcommands share: the global ones and how a data dir is found.

use std::path::PathBuf;

use crate::error::Error;
use crate::files::datadir::{DataDir, ZooConfig};
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
    /// Threads for big files (default: one per core, at most 8; 1 = no extra threads).
    #[arg(long, short = 'j', global = true, value_name = "N")]
    pub threads: Option<std::num::NonZeroUsize>,
}

impl GlobalArgs {
    /// Decoding limits from the flags.
    pub fn limits(&self) -> Limits {
        Limits {
            max_length: self.max_buffer,
        }
    }

    /// Worker threads for chunked work on big files.
    pub fn threads(&self) -> usize {
        self.threads.map_or_else(
            crate::files::par::default_threads,
            std::num::NonZeroUsize::get,
        )
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
            return DataDir::open(dir, self.log_dir.as_deref());
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
        let mut dir = DataDir::from_config(&cfg)?;
        if let Some(l) = &self.log_dir {
            dir = DataDir::open(&cfg.data_dir, Some(l))?;
        }
        Ok(dir)
    }
}
