//! What `zkdd repair` writes: what was kept and dropped, the salvage scan,
//! and the output, as text or one `repair` JSON line.

use std::path::Path;

use serde_json::json;

use crate::format::salvage::Run;
use crate::ops::repair::{Cut, Plan};
use crate::render::Output;
use crate::zxid::Zxid;

/// What the command wrote.
pub struct Written<'a> {
    /// The input log.
    pub input: &'a Path,
    /// The output written.
    pub output: &'a Path,
    /// Its size.
    pub size: u64,
    /// `--salvage` was given.
    pub salvage_asked: bool,
    /// The salvaged entries were written too.
    pub salvaged: bool,
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

/// The report: one `repair` JSON line, or text.
pub fn report(out: &mut Output<'_>, w: &Written<'_>, plan: &Plan) -> std::io::Result<()> {
    let salvaged = w.salvaged;
    let written = w.size;
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
            "type": "summary",
            "command": "repair",
            "file": w.input.display().to_string(),
            "output": w.output.display().to_string(),
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
            "salvage": plan.salvage.as_ref().filter(|_| w.salvage_asked).map(|s| json!({
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
    out.comment(&format!("{}: {why}", w.input.display()))?;
    out.comment(&format!("kept:    {}", run_text(&plan.kept)))?;
    if plan.drops_anything() {
        let entries = &plan.dropped_entries;
        let zx = match (entries.first_zxid, entries.last_zxid) {
            (Some(a), Some(b)) => format!(", readable zxids {a}..{b}"),
            _ => String::new(),
        };
        out.comment(&format!(
            "dropped: {} bytes {ds:#x}..{de:#x} ({} readable entries{zx})",
            de - ds,
            entries.entries
        ))?;
    } else {
        out.comment("dropped: nothing (only padding follows)")?;
    }
    if w.salvage_asked {
        match &plan.salvage {
            Some(s) => {
                out.comment(&format!(
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
                    out.comment("salvage: not written (use --write-salvaged to include them)")?;
                }
            }
            None => out.comment("salvage: no valid entry found past the damage")?,
        }
    }
    out.comment(&format!(
        "wrote {} ({}), last zxid {}",
        w.output.display(),
        out.size(written),
        z(last_written).unwrap_or_else(|| "(none)".into())
    ))?;
    Ok(())
}
