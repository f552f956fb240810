//! `zkdd repair`: write a cleaned copy of a damaged txn log.

use std::path::{Path, PathBuf};

use crate::cmd::args::{LimitArgs, OutputArgs, ReadArgs, Settings, SizeArgs};
use crate::error::{Error, ExitStatus};
use crate::files::sniff::{DataFile, data_file};
use crate::files::source;
use crate::format::txnlog::TxnLog;
use crate::ops::repair::{self, Cut};
use crate::render::Output;
use crate::render::repair::{self as show, Written};
use crate::zxid::Zxid;

/// Write a new txn log holding every entry up to the first problem.
///
/// Never edits a file in place. The output has the input's header, the kept
/// entries byte for byte (checksums are never recomputed: bytes that fail
/// their checksum cannot be trusted), then zero padding as ZooKeeper's
/// FilePadding writes it. It prints what was kept and what was dropped: entry
/// count, zxid range and byte range, and why. To use the result, stop the
/// server, move the damaged log aside and put the output in its place under
/// the same name.
#[derive(clap::Args, Debug, Default)]
pub struct Args {
    /// The txn log to repair (never modified).
    #[arg(value_name = "LOG")]
    pub input: PathBuf,
    /// Where to write the repaired log (must not exist, unless --force).
    #[arg(long, short, value_name = "OUT")]
    pub output: PathBuf,
    /// Keep only entries up to and including this zxid (hex, e.g. 0x1a2b),
    /// like TxnLogToolkit's chop.
    #[arg(long, value_name = "ZXID")]
    pub to_zxid: Option<String>,
    /// Scan past mid-file damage for the next valid entry (checksum, framing
    /// and zxid sequence all valid) and report it.
    #[arg(long)]
    pub salvage: bool,
    /// With --salvage: also write the salvaged entries (leaves a zxid gap).
    #[arg(long, requires = "salvage")]
    pub write_salvaged: bool,
    /// Pad the output to a multiple of this many KiB, like ZooKeeper's
    /// preAllocSize (0: no padding).
    #[arg(long, value_name = "KIB", default_value_t = 65536)]
    pub prealloc_kb: u64,
    /// Replace OUT if it exists (never when it is the input).
    #[arg(long)]
    pub force: bool,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub report: OutputArgs,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub size: SizeArgs,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub limit: LimitArgs,
}

impl Args {
    /// What this subcommand runs with.
    pub fn settings(&self) -> Settings {
        Settings {
            report: self.report.clone(),
            bytes: self.size.bytes,
            read: ReadArgs {
                limit: self.limit.clone(),
                ..ReadArgs::default()
            },
            ..Settings::default()
        }
    }
}

/// The same file, by device and inode: a hard link or another path to the
/// input is the input.
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => (x.dev(), x.ino()) == (y.dev(), y.ino()),
        _ => false,
    }
}

/// Runs `zkdd repair`.
pub fn run(args: &Args, global: &Settings, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
    let to_zxid = args
        .to_zxid
        .as_deref()
        .map(|s| Zxid::parse(s).ok_or_else(|| Error::Usage(format!("invalid zxid {s:?}"))))
        .transpose()?;
    let input = &args.input;
    let output = &args.output;
    if output.exists() {
        if same_file(input, output) {
            return Err(Error::Usage(format!(
                "{}: the output is the input; repair never edits a file in place",
                output.display()
            )));
        }
        if !args.force {
            return Err(Error::Usage(format!(
                "{}: exists (use --force to replace it)",
                output.display()
            )));
        }
    }
    if let DataFile::Snapshot(_) = data_file(input)? {
        return Err(Error::Usage(format!(
            "{}: a snapshot; repair takes a txn log",
            input.display()
        )));
    }
    // Read, not map: the input may be a live log.
    let bytes = source::open(input, true).map_err(|e| Error::io(input, e))?;
    let log = TxnLog::parse(&bytes).map_err(|source| Error::Decode {
        path: input.clone(),
        source,
    })?;
    let plan = repair::plan(&log, global.limits(), to_zxid);
    let salvaged = args.write_salvaged && plan.salvage.is_some();
    if args.force && output.exists() {
        // The atomic rename below never replaces a file; --force removes it first.
        std::fs::remove_file(output).map_err(|e| Error::io(output, e))?;
    }
    let written = repair::write(
        &log,
        &plan,
        salvaged,
        args.prealloc_kb.saturating_mul(1024),
        output,
    )
    .map_err(|e| Error::io(output, e))?;
    show::report(
        out,
        &Written {
            input: &args.input,
            output: &args.output,
            size: written,
            salvage_asked: args.salvage,
            salvaged,
        },
        &plan,
    )?;
    // A cut at --to-zxid is what was asked for, whatever lies beyond it.
    let damaged = matches!(&plan.cut, Cut::End(e) if !e.is_clean());
    Ok(ExitStatus::from_findings(damaged))
}
