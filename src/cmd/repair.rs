//! `zkdd repair`: write a cleaned copy of a damaged txn log.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::cmd::args::GlobalArgs;
use crate::error::{Error, ExitStatus};
use crate::files::source;
use crate::format::txnlog::TxnLog;
use crate::ops::repair::{self, Cut, Plan, Run};
use crate::render::Output;
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
#[command(after_help = "Examples:
  zkdd repair log.1a00000001 -o /tmp/log.1a00000001      cut at the first damaged entry
  zkdd repair log.1a00000001 -o out --to-zxid 0x1a00000f3  keep zxids <= 0x1a00000f3 (a chop)
  zkdd repair --salvage log.1a00000001 -o out            also report valid entries past the damage
  zkdd repair --salvage --write-salvaged log.1a00000001 -o out   ... and keep them (zxid gap!)

Exit status:
  0  the log was clean, or was cut at --to-zxid as asked; the output was written
  1  entries or bytes were dropped because of damage (torn tail, partial record,
     bad checksum, garbage after the padding); the output was written
  2  could not run: usage, I/O error, not a txn log, output exists or is the input

JSON (--json): one line {\"type\": \"repair\", file, output, output_size, reason (the
end kind: checksum_mismatch, torn_tail, partial_record, ..., or to_zxid), message,
kept {entries, first_zxid, last_zxid, start_offset, end_offset}, dropped {entries,
first_zxid, last_zxid, start_offset, end_offset, bytes}, salvage (null, or {offset,
skipped_bytes, run {...}, end, end_offset, written}), last_zxid (of the output)}.
dropped bytes run from the cut to the last non-zero byte; dropped entries are the
ones still readable there (the damaged entry itself is not counted).")]
pub struct Args {
    /// The txn log to repair (never modified).
    #[arg(value_name = "LOG")]
    pub input: PathBuf,
    /// Where to write the repaired log (must not exist, unless --force).
    #[arg(long, short, value_name = "OUT")]
    pub output: PathBuf,
    /// Keep only entries with zxid <= Z (hex), like TxnLogToolkit's chop.
    #[arg(long, value_name = "Z")]
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
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Runs `zkdd repair`.
pub fn run(args: &Args, global: &GlobalArgs, out: &mut Output<'_>) -> Result<ExitStatus, Error> {
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
    report(args, &plan, salvaged, written, out)?;
    // A cut at --to-zxid is what was asked for, whatever lies beyond it.
    let damaged = matches!(&plan.cut, Cut::End(e) if !e.is_clean());
    Ok(if damaged {
        ExitStatus::Findings
    } else {
        ExitStatus::Ok
    })
}

fn z(z: Option<Zxid>) -> Option<String> {
    z.map(|z| z.to_string())
}

fn run_json(r: &Run) -> serde_json::Value {
    json!({
        "entries": r.entries,
        "first_zxid": z(r.first_zxid),
        "last_zxid": z(r.last_zxid),
        "start_offset": r.start,
        "end_offset": r.end,
    })
}

fn run_text(r: &Run) -> String {
    match (r.first_zxid, r.last_zxid) {
        (Some(a), Some(b)) => format!(
            "{} entries, zxid {a}..{b}, bytes {:#x}..{:#x}",
            r.entries, r.start, r.end
        ),
        _ => "0 entries".to_string(),
    }
}

fn report(
    args: &Args,
    plan: &Plan,
    salvaged: bool,
    written: u64,
    out: &mut Output<'_>,
) -> Result<(), Error> {
    let why = match &plan.cut {
        Cut::End(e) => e.describe(),
        Cut::ToZxid { target, offset } => {
            format!("--to-zxid {target}: first entry above it at offset {offset:#x}")
        }
    };
    let reason = match &plan.cut {
        Cut::End(e) => e.kind_name(),
        Cut::ToZxid { .. } => "to_zxid",
    };
    let (ds, de) = plan.dropped_bytes;
    let last_written = match (&plan.salvage, salvaged) {
        (Some(s), true) => s.run.last_zxid,
        _ => plan.kept.last_zxid,
    };
    if out.json {
        out.json_line(&json!({
            "type": "repair",
            "file": args.input.display().to_string(),
            "output": args.output.display().to_string(),
            "output_size": written,
            "reason": reason,
            "message": why,
            "kept": run_json(&plan.kept),
            "dropped": {
                "entries": plan.dropped_entries.entries,
                "first_zxid": z(plan.dropped_entries.first_zxid),
                "last_zxid": z(plan.dropped_entries.last_zxid),
                "start_offset": ds,
                "end_offset": de,
                "bytes": de - ds,
            },
            "salvage": plan.salvage.as_ref().filter(|_| args.salvage).map(|s| json!({
                "offset": s.run.start,
                "skipped_bytes": s.skipped,
                "run": run_json(&s.run),
                "end": s.end.as_ref().map(|e| e.kind_name()),
                "end_offset": s.end.as_ref().map(|e| e.offset()),
                "written": salvaged,
            })),
            "last_zxid": z(last_written),
        }))?;
        return Ok(());
    }
    out.line(&format!("{}: {why}", args.input.display()))?;
    out.line(&format!("kept:    {}", run_text(&plan.kept)))?;
    if plan.drops_anything() {
        let entries = &plan.dropped_entries;
        let zx = match (entries.first_zxid, entries.last_zxid) {
            (Some(a), Some(b)) => format!(", readable zxids {a}..{b}"),
            _ => String::new(),
        };
        out.line(&format!(
            "dropped: {} bytes {ds:#x}..{de:#x} ({} readable entries{zx})",
            de - ds,
            entries.entries
        ))?;
    } else {
        out.line("dropped: nothing (only padding follows)")?;
    }
    if args.salvage {
        match &plan.salvage {
            Some(s) => {
                out.line(&format!(
                    "salvage: valid entries resume at offset {:#x} ({} bytes past the damage): {}",
                    s.run.start,
                    s.skipped,
                    run_text(&s.run)
                ))?;
                if salvaged {
                    out.warn(&format!(
                        "the output includes the salvaged entries: zxids jump from {} to {}; \
                         the txns in between are lost",
                        z(plan.kept.last_zxid).unwrap_or_else(|| "(none)".into()),
                        z(s.run.first_zxid).unwrap_or_default()
                    ));
                } else {
                    out.line("salvage: not written (use --write-salvaged to include them)")?;
                }
            }
            None => out.line("salvage: no valid entry found past the damage")?,
        }
    }
    out.line(&format!(
        "wrote {} ({written} bytes), last zxid {}",
        args.output.display(),
        z(last_written).unwrap_or_else(|| "(none)".into())
    ))?;
    Ok(())
}
