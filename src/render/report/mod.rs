//! What `zkdd report` writes: one self-contained HTML page (inline CSS and
//! SVG, no script, nothing fetched: a Content-Security-Policy forbids it)
//! from an [`ops::report::Report`](crate::ops::report::Report), and the line
//! it prints once the page is written.
//!
//! Sections carry ids (`verdict`, `timeline`, `txns`, `space`,
//! `divergence`), and marks carry `data-kind`, `data-zxid`, `data-file`
//! attributes, so the page can be checked by a program as well as read.

pub mod axes;
pub mod charts;
pub mod html;
pub mod svg;

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;

use serde_json::json;

use crate::ops::purge::Action;
use crate::ops::report::compare::Comparison;
use crate::ops::report::txns::Tally;
use crate::ops::report::{OpClass, Report};
use crate::ops::verify::{self, Outcome, Severity};
use crate::render::Output;
use crate::timefmt;
use html::{esc, short_bytes, short_count};

/// Settings of the page that are not in the report.
pub struct Page<'a> {
    /// Times in the local zone instead of UTC.
    pub local: bool,
    /// When the page is made (ms since the epoch).
    pub generated_ms: i64,
    /// zkdd's version.
    pub version: &'a str,
}

/// Rows listed at most in the long tables.
const MAX_ROWS: usize = 500;
/// Bars in the txn chart at most.
const MAX_BARS: usize = 150;

const CSS: &str = "\
:root{--fg:#1d1d1f;--muted:#5f6368;--line:#e3e3e3;--ok:#2e7d32;--warn:#b26a00;--err:#c62828}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;color:var(--fg);margin:0;background:#fafafa;line-height:1.45}
main{max-width:1180px;margin:0 auto;padding:18px 24px 40px;background:#fff}
h1{font-size:1.5rem;margin:.2em 0}
h2{font-size:1.2rem;margin:1.6em 0 .4em;padding-top:.6em;border-top:2px solid var(--line)}
h3{font-size:1rem;margin:1.2em 0 .3em}
p{margin:.4em 0}
.muted{color:var(--muted)}
code,.mono{font-family:ui-monospace,'SFMono-Regular',Menlo,Consolas,'Liberation Mono',monospace;font-size:.9em}
nav a{margin-right:1em}
a{color:#1a5fb4}
table{border-collapse:collapse;margin:.4em 0 1em;font-size:.88rem;width:100%}
th,td{border-bottom:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3;font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.badge{display:inline-block;padding:2px 10px;border-radius:4px;color:#fff;font-weight:700;letter-spacing:.03em}
.verdict-ok .badge{background:var(--ok)}.verdict-warnings .badge{background:var(--warn)}.verdict-errors .badge{background:var(--err)}
.sev-error{color:var(--err);font-weight:600}.sev-warning{color:var(--warn);font-weight:600}.sev-note{color:var(--muted)}
.prediction{font-size:1.05rem;margin:.6em 0;padding:.5em .8em;border-left:4px solid var(--line);background:#f7f7f7}
svg.chart{display:block;max-width:100%;height:auto;margin:.4em 0}
.legend span{display:inline-block;margin:0 1em .3em 0;font-size:.85rem}
.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px;border-radius:2px}
dl.meta{display:grid;grid-template-columns:max-content auto;gap:2px 14px;margin:.5em 0;font-size:.92rem}
dl.meta dt{color:var(--muted)}dl.meta dd{margin:0}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:0 28px}
footer{margin-top:2em;color:var(--muted);font-size:.85rem}
@media (max-width:800px){.cols{grid-template-columns:1fr}}
@media print{body{background:#fff}main{max-width:none;padding:0}section{break-inside:avoid-page}nav{display:none}h2{break-after:avoid}}
";

/// The page.
pub fn write(w: &mut dyn Write, r: &Report, page: &Page<'_>) -> io::Result<()> {
    let html = render(r, page);
    w.write_all(html.as_bytes())
}

/// The page as a string.
pub fn render(r: &Report, page: &Page<'_>) -> String {
    let mut h = String::with_capacity(256 * 1024);
    let title = format!("zkdd report: {}", r.dir.snap_dir.display());
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"zkdd {}\">\n<title>{}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n<main>\n",
        esc(page.version),
        esc(&title)
    );
    header(&mut h, r, page);
    verdict(&mut h, r);
    timeline(&mut h, r, page);
    txns(&mut h, r, page);
    space(&mut h, r);
    if let Some(c) = &r.compare {
        divergence(&mut h, c, page);
    }
    let _ = write!(
        h,
        "<footer>Made by zkdd {} from the files alone (nothing was written to the data dir). \
         This page is self-contained: it loads nothing and runs no script.</footer>\n</main>\n</body>\n</html>\n",
        esc(page.version)
    );
    h
}

fn time(ms: i64, page: &Page<'_>) -> String {
    timefmt::display(ms, page.local)
}

/// A file's name (the whole path when it has none).
pub fn name_of(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

fn verdict_word(worst: Option<Severity>) -> (&'static str, &'static str) {
    match worst {
        Some(Severity::Error) => ("errors", "ERRORS"),
        Some(Severity::Warning) => ("warnings", "OK with warnings"),
        _ => ("ok", "OK"),
    }
}

fn header(h: &mut String, r: &Report, page: &Page<'_>) {
    let _ = write!(
        h,
        "<header>\n<h1>ZooKeeper data dir report</h1>\n<dl class=\"meta\">\n<dt>data dir</dt><dd class=\"mono\">{}</dd>\n",
        esc(&r.dir.snap_dir.display().to_string())
    );
    if r.dir.log_dir != r.dir.snap_dir {
        let _ = writeln!(
            h,
            "<dt>log dir</dt><dd class=\"mono\">{}</dd>",
            esc(&r.dir.log_dir.display().to_string())
        );
    }
    if let Some(c) = &r.compare {
        let _ = writeln!(
            h,
            "<dt>compared</dt><dd class=\"mono\">{} ↔ {}</dd>",
            esc(&c.left.label),
            esc(&c.right.label)
        );
    }
    let mut filters = Vec::new();
    if let Some(s) = r.since {
        filters.push(format!("since {}", time(s, page)));
    }
    if let Some(u) = r.until {
        filters.push(format!("until {}", time(u, page)));
    }
    if let Some(p) = &r.prefix {
        filters.push(format!("subtree {}", String::from_utf8_lossy(p)));
    }
    if !filters.is_empty() {
        let _ = writeln!(
            h,
            "<dt>filters</dt><dd>{} (txn charts, busiest paths, space, comparison)</dd>",
            esc(&filters.join(", "))
        );
    }
    let _ = write!(
        h,
        "<dt>made</dt><dd>{} by zkdd {}</dd>\n</dl>\n\
         <nav><a href=\"#verdict\">Verdict</a><a href=\"#timeline\">Files</a><a href=\"#txns\">Transactions</a><a href=\"#space\">Space</a>{}</nav>\n</header>\n",
        esc(&time(page.generated_ms, page)),
        esc(page.version),
        if r.compare.is_some() {
            "<a href=\"#divergence\">Divergence</a>"
        } else {
            ""
        }
    );
}

fn verdict(h: &mut String, r: &Report) {
    let v = &r.verify;
    let (class, word) = verdict_word(v.worst());
    let (e, w, n) = (
        v.count(Severity::Error),
        v.count(Severity::Warning),
        v.count(Severity::Note),
    );
    let _ = write!(
        h,
        "<section id=\"verdict\" class=\"verdict-{class}\" data-verdict=\"{class}\" data-errors=\"{e}\" data-warnings=\"{w}\">\n\
         <h2>Verdict</h2>\n<p><span class=\"badge\">{word}</span> {e} error{}, {w} warning{}, {n} note{}; {} files, {} checked",
        if e == 1 { "" } else { "s" },
        if w == 1 { "" } else { "s" },
        if n == 1 { "" } else { "s" },
        v.files,
        esc(&short_bytes(v.bytes)),
    );
    if let Some(d) = v.digests {
        let _ = write!(
            h,
            "; {} txn digests matched the replayed tree",
            short_count(d)
        );
    }
    h.push_str("</p>\n");
    if let Some(rec) = &v.recovery {
        let outcome = match &rec.outcome {
            Outcome::Start(_) => "start",
            Outcome::Fail(_) => "fail",
        };
        let _ = writeln!(
            h,
            "<p class=\"prediction\" data-zookeeper=\"{outcome}\">{}</p>",
            esc(&rec.sentence)
        );
        if let Some(z) = rec.recoverable_zxid {
            let _ = writeln!(
                h,
                "<p>History is complete (snapshot plus gap-free logs) up to zxid <code>{z}</code>.</p>"
            );
        }
        if !rec.logs.is_empty() {
            let names: Vec<String> = rec.logs.iter().map(|p| name_of(p)).collect();
            let _ = writeln!(
                h,
                "<p>Startup loads <code>{}</code> and replays <code>{}</code>.</p>",
                esc(&rec
                    .snapshot
                    .as_deref()
                    .map_or("no snapshot".into(), name_of)),
                esc(&names.join(" "))
            );
        }
        for (p, why) in &rec.rejected_snapshots {
            let _ = writeln!(
                h,
                "<p>Startup rejects <code>{}</code>: {}</p>",
                esc(&name_of(p)),
                esc(why)
            );
        }
        if let Some(q) = &rec.quorum_failure {
            let _ = writeln!(h, "<p class=\"sev-error\">As a quorum peer: {}</p>", esc(q));
        }
    }
    if v.findings.is_empty() {
        h.push_str("<p>Verify found nothing to report.</p>\n");
    } else {
        h.push_str("<h3>Findings</h3>\n<table id=\"findings\">\n<thead><tr><th>severity</th><th>file</th><th class=\"n\">offset</th><th>zxid</th><th>finding</th><th>what it means</th></tr></thead>\n<tbody>\n");
        for f in v.findings.iter().take(MAX_ROWS) {
            let what = verify::CODES
                .iter()
                .find(|(c, _)| *c == f.code)
                .map_or("", |(_, w)| w);
            let _ = writeln!(
                h,
                "<tr data-severity=\"{sev}\" data-code=\"{code}\" data-file=\"{file}\"{zattr}><td class=\"sev-{sev}\">{sev}</td><td class=\"mono\">{file}</td><td class=\"n mono\">{off}</td><td class=\"mono\">{zx}</td><td><code title=\"{what}\">{code}</code>: {msg}</td><td>{meaning}</td></tr>",
                sev = f.severity.name(),
                code = esc(f.code),
                file = esc(&name_of(&f.file)),
                zattr = f
                    .zxid
                    .map_or(String::new(), |z| format!(" data-zxid=\"{z}\"")),
                off = f.offset.map_or("-".into(), |o| format!("{o:#x}")),
                zx = f.zxid.map_or(String::new(), |z| z.to_string()),
                what = esc(what),
                msg = esc(&f.message),
                meaning = esc(f.meaning.as_deref().unwrap_or(""))
            );
        }
        h.push_str("</tbody>\n</table>\n");
        if v.findings.len() > MAX_ROWS {
            let _ = writeln!(
                h,
                "<p class=\"muted\">… and {} more findings (see <code>zkdd verify</code>).</p>",
                v.findings.len() - MAX_ROWS
            );
        }
    }
    h.push_str("</section>\n");
}

fn legend(h: &mut String, items: &[(&str, plotters::style::RGBColor)]) {
    h.push_str("<p class=\"legend\">");
    for (name, c) in items {
        let _ = write!(
            h,
            "<span><i style=\"background:#{:02x}{:02x}{:02x}\"></i>{}</span>",
            c.0,
            c.1,
            c.2,
            esc(name)
        );
    }
    h.push_str("</p>\n");
}

fn chart(h: &mut String, drawn: charts::Drawn) {
    match drawn {
        Ok(svg) => h.push_str(&svg),
        Err(e) => {
            let _ = writeln!(
                h,
                "<p class=\"sev-error\">This chart could not be drawn: {}</p>",
                esc(&e.to_string())
            );
        }
    }
}

fn timeline(h: &mut String, r: &Report, page: &Page<'_>) {
    use crate::ops::report::MarkKind;
    use charts::palette;
    h.push_str("<section id=\"timeline\">\n<h2>Files on the zxid axis</h2>\n");
    h.push_str("<p class=\"muted\">Logs are bars from their first to their last txn, snapshots are ticks at the zxid in their name. Each epoch has its own scale. Lines mark what verify found; hover for details.</p>\n");
    chart(h, charts::timeline(r));
    let mut items = vec![
        ("log", palette::BLUE),
        ("snapshot", palette::DARK),
        ("snapshot startup loads", palette::GREEN),
        ("span startup replays", palette::GREEN),
        ("purge would delete", palette::GREY),
    ];
    let mut kinds: Vec<MarkKind> = r.marks.iter().map(|m| m.kind).collect();
    kinds.sort();
    kinds.dedup();
    for k in kinds {
        items.push((k.name(), charts::mark_color(k)));
    }
    legend(h, &items);
    match (&r.startup, r.verify.recovery.as_ref()) {
        (Some((a, b)), Some(_)) => {
            let _ = writeln!(
                h,
                "<p data-startup-from=\"{a}\" data-startup-to=\"{b}\">Startup: from the snapshot at <code>{a}</code> through the logs to <code>{b}</code>.</p>"
            );
        }
        (None, Some(rec)) => {
            let _ = writeln!(h, "<p class=\"sev-error\">{}</p>", esc(&rec.sentence));
        }
        _ => {}
    }
    match &r.purge {
        Ok(plan) => {
            if let Some(refusal) = &plan.refusal {
                let _ = writeln!(
                    h,
                    "<p id=\"purge\" data-purge-deletes=\"0\">purge --retain {} would delete nothing: {}</p>",
                    r.retain,
                    esc(&crate::render::purge::refusal_text(refusal))
                );
            } else {
                let del: Vec<&crate::ops::purge::PlannedFile> = plan.deletions().collect();
                let _ = write!(
                    h,
                    "<p id=\"purge\" data-purge-deletes=\"{}\">purge --retain {} (ignoring --min-age) would delete {} file{} ({})",
                    del.len(),
                    r.retain,
                    del.len(),
                    if del.len() == 1 { "" } else { "s" },
                    esc(&short_bytes(plan.bytes_to_free()))
                );
                if let Some(k) = &plan.oldest_kept {
                    let _ = write!(h, "; the oldest snapshot kept is <code>{}</code>", esc(k));
                }
                h.push_str(".</p>\n");
            }
        }
        Err(e) => {
            let _ = writeln!(
                h,
                "<p id=\"purge\">The purge plan could not be made: {}</p>",
                esc(e)
            );
        }
    }
    if r.unplaced > 0 {
        let _ = writeln!(
            h,
            "<p class=\"muted\">{} not on the chart (no zxid, or over {} marks); the table above lists every finding.</p>",
            if r.unplaced == 1 {
                "1 finding is".to_string()
            } else {
                format!("{} findings are", r.unplaced)
            },
            crate::ops::report::MAX_MARKS
        );
    }
    h.push_str("<h3>Files</h3>\n<table id=\"files\">\n<thead><tr><th>file</th><th>zxids</th><th class=\"n\">txns</th><th class=\"n\">size</th><th>first txn</th><th>last txn</th><th>startup</th><th>purge</th><th>verify</th></tr></thead>\n<tbody>\n");
    for f in r.files.iter().take(MAX_ROWS) {
        let zx = match (f.log, f.last) {
            (true, Some(l)) => format!("{}..{l}", f.zxid),
            _ => f.zxid.to_string(),
        };
        let startup = match (f.log, f.startup, &f.rejected) {
            (_, _, Some(why)) => format!("rejected: {why}"),
            (true, true, _) => "replayed".into(),
            (false, true, _) => "loaded".into(),
            _ => String::new(),
        };
        let purge = match f.purge {
            Some(Action::Delete) => "delete",
            Some(Action::Keep) => "keep",
            None => "",
        };
        let worst = f.worst.map_or("", |w| w.name());
        let _ = writeln!(
            h,
            "<tr data-file=\"{name}\" data-kind=\"{kind}\" data-zxid=\"{z}\" data-purge=\"{purge}\"><td class=\"mono\">{name}</td><td class=\"mono\">{zx}</td><td class=\"n\">{txns}</td><td class=\"n\">{size}</td><td>{t0}</td><td>{t1}</td><td>{startup}</td><td>{purge}</td><td class=\"sev-{worst}\">{worst}{unread}</td></tr>",
            name = esc(&f.name),
            kind = if f.log { "log" } else { "snapshot" },
            z = f.zxid,
            txns = f.txns.map_or(String::new(), |n| n.to_string()),
            size = esc(&short_bytes(f.len)),
            t0 = f.time.map_or(String::new(), |t| time(t, page)),
            t1 = f.last_time.map_or(String::new(), |t| time(t, page)),
            startup = esc(&startup),
            unread = f
                .unreadable
                .as_ref()
                .map_or(String::new(), |u| format!(" (unreadable: {})", esc(u))),
        );
    }
    h.push_str("</tbody>\n</table>\n");
    if r.files.len() > MAX_ROWS {
        let _ = writeln!(
            h,
            "<p class=\"muted\">… and {} more files.</p>",
            r.files.len() - MAX_ROWS
        );
    }
    h.push_str("</section>\n");
}

/// The busiest keys worth listing: all of the top `n` while every key was
/// counted, else only those surely busier than any key that was not.
fn busiest<K: std::hash::Hash + Eq + Clone + Ord>(
    top: &crate::ops::report::txns::TopK<K>,
    n: usize,
) -> Vec<(K, Tally)> {
    let floor = top.floor();
    top.top(n)
        .into_iter()
        .filter(|(_, t)| floor == 0 || t.txns - t.over > floor)
        .collect()
}

fn none_stand_out<K: std::hash::Hash + Eq + Clone + Ord>(
    h: &mut String,
    top: &crate::ops::report::txns::TopK<K>,
    shown: usize,
    what: &str,
) {
    if top.approximate() && shown == 0 {
        let _ = writeln!(
            h,
            "<p class=\"muted\" data-kind=\"flat\">No {what} stands out: the txns are spread over too many for any one to have more than about {} of them.</p>",
            top.floor()
        );
    }
}

fn tally_cells(t: &Tally) -> String {
    let txns = if t.over > 0 {
        format!("≥ {} (≤ {})", t.txns - t.over, t.txns)
    } else {
        t.txns.to_string()
    };
    format!(
        "<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>",
        esc(&txns),
        esc(&short_bytes(t.bytes)),
        t.errors
    )
}

fn txns(h: &mut String, r: &Report, page: &Page<'_>) {
    let t = &r.txns;
    let counted = t.counted();
    let _ = write!(
        h,
        "<section id=\"txns\" data-txns=\"{counted}\">\n<h2>Transactions over time</h2>\n<p>{} txns ({}) counted",
        short_count(counted),
        esc(&short_bytes(t.bytes))
    );
    if t.read != counted {
        let _ = write!(h, " of {} read", short_count(t.read));
    }
    if let Some((a, b)) = t.time_range {
        let _ = write!(
            h,
            ", from {} to {}",
            esc(&time(a, page)),
            esc(&time(b, page))
        );
    }
    h.push('.');
    if t.repeated > 0 {
        let _ = write!(
            h,
            " {} txns logged again in a later file were counted once.",
            t.repeated
        );
    }
    h.push_str("</p>\n");
    let series = t.histogram.series(MAX_BARS);
    let unit = step_name(series.step_ms);
    match charts::time_span(r, &series) {
        Some(span) => {
            h.push_str("<h3>Files and findings by time</h3>\n");
            chart(h, charts::files_by_time(r, span, page.local));
            if counted > 0 {
                let _ = writeln!(
                    h,
                    "<h3>Txns per {unit} by op type</h3>\n<p class=\"muted\">Errors are error txns and failed multis; closeSession is a client leaving or a session expiring.</p>"
                );
                chart(h, charts::histogram(&series, span, page.local, &unit));
                let items: Vec<(&str, plotters::style::RGBColor)> = OpClass::ALL
                    .iter()
                    .zip(&t.totals)
                    .filter(|(_, n)| **n > 0)
                    .map(|(c, _)| (c.name(), charts::op_color(*c)))
                    .collect();
                legend(h, &items);
            }
        }
        None => h.push_str("<p>No txn times to draw.</p>\n"),
    }
    h.push_str("<div class=\"cols\">\n<div>\n<h3>By op type</h3>\n<table id=\"ops\">\n<thead><tr><th>op</th><th class=\"n\">txns</th><th class=\"n\">share</th></tr></thead>\n<tbody>\n");
    for c in OpClass::ALL {
        let i = OpClass::ALL.iter().position(|&x| x == c).unwrap_or(0);
        let n = t.totals.get(i).copied().unwrap_or(0);
        if n == 0 {
            continue;
        }
        let col = charts::op_color(c);
        let _ = writeln!(
            h,
            "<tr data-op=\"{name}\" data-count=\"{n}\"><td><i style=\"display:inline-block;width:10px;height:10px;margin-right:6px;background:#{:02x}{:02x}{:02x}\"></i>{name}</td><td class=\"n\">{n}</td><td class=\"n\">{:.1} %</td></tr>",
            col.0,
            col.1,
            col.2,
            n as f64 * 100.0 / counted.max(1) as f64,
            name = c.name()
        );
    }
    h.push_str("</tbody>\n</table>\n</div>\n<div>\n<h3>Busiest sessions</h3>\n<table id=\"sessions\">\n<thead><tr><th>session</th><th class=\"n\">txns</th><th class=\"n\">bytes</th><th class=\"n\">errors</th></tr></thead>\n<tbody>\n");
    let sessions = busiest(&t.sessions, 15);
    for (s, tally) in &sessions {
        let _ = writeln!(
            h,
            "<tr data-session=\"{s}\"><td class=\"mono\">{s}</td>{}</tr>",
            tally_cells(tally)
        );
    }
    h.push_str("</tbody>\n</table>\n");
    none_stand_out(h, &t.sessions, sessions.len(), "session");
    h.push_str("</div>\n</div>\n");
    h.push_str("<h3>Busiest znodes</h3>\n<table id=\"paths\">\n<thead><tr><th>znode</th><th class=\"n\">txns</th><th class=\"n\">bytes</th><th class=\"n\">errors</th></tr></thead>\n<tbody>\n");
    let paths = busiest(&t.paths, 20);
    for (p, tally) in &paths {
        let p = String::from_utf8_lossy(p);
        let _ = writeln!(
            h,
            "<tr data-path=\"{p}\"><td class=\"mono\">{p}</td>{}</tr>",
            tally_cells(tally),
            p = esc(&p)
        );
    }
    h.push_str("</tbody>\n</table>\n");
    none_stand_out(h, &t.paths, paths.len(), "znode");
    if t.sessions.approximate() || t.paths.approximate() {
        h.push_str("<p class=\"muted\">Too many distinct keys to count each one: a count shown as ≥ n (≤ m) is certain to be at least n; every key listed was seen more often than any key not counted one by one.</p>\n");
    }
    h.push_str("</section>\n");
}

fn step_name(ms: i64) -> String {
    match ms {
        m if m % 86_400_000 == 0 => plural(m / 86_400_000, "day"),
        m if m % 3_600_000 == 0 => plural(m / 3_600_000, "hour"),
        m if m % 60_000 == 0 => plural(m / 60_000, "minute"),
        m if m % 1000 == 0 => plural(m / 1000, "second"),
        m => format!("{m} ms"),
    }
}

fn plural(n: i64, what: &str) -> String {
    if n == 1 {
        what.to_string()
    } else {
        format!("{n} {what}s")
    }
}

fn space(h: &mut String, r: &Report) {
    h.push_str("<section id=\"space\">\n");
    let s = match &r.space {
        Ok(s) => s,
        Err(skipped) => {
            h.push_str(
                "<h2>Space by subtree</h2>\n<p>No snapshot could be read to the end.</p>\n<ul>\n",
            );
            for (p, why) in skipped {
                let _ = writeln!(
                    h,
                    "<li><code>{}</code>: {}</li>",
                    esc(&name_of(p)),
                    esc(why)
                );
            }
            h.push_str("</ul>\n</section>\n");
            return;
        }
    };
    let t = &s.root.totals;
    let _ = write!(
        h,
        "<h2>Space by subtree</h2>\n<p data-snapshot=\"{name}\" data-nodes=\"{}\">From <code>{name}</code> (zxid <code>{}</code>): {} nodes under <code>{}</code>, {} of node records, {} of data, {} ephemerals owned by {} sessions ({} sessions in the snapshot); deepest node {} levels down.",
        t.nodes,
        s.zxid,
        short_count(t.nodes),
        esc(&s.root.path),
        esc(&short_bytes(t.record_bytes)),
        esc(&short_bytes(t.data_bytes)),
        short_count(t.ephemerals),
        s.ephemeral_sessions,
        s.sessions,
        s.max_depth,
        name = esc(&name_of(&s.snapshot)),
    );
    h.push_str("</p>\n");
    for (p, why) in &s.skipped {
        let _ = writeln!(
            h,
            "<p class=\"sev-warning\">Newer <code>{}</code> was skipped: {}</p>",
            esc(&name_of(p)),
            esc(why)
        );
    }
    h.push_str("<p class=\"muted\">Area is the bytes of the node records (path, data, ACL id, stat) in the uncompressed snapshot; each box holds its biggest children, the rest summed as grey “others”.</p>\n");
    chart(h, charts::treemap(&s.root));
    if s.capped {
        h.push_str("<p class=\"muted\">A subtree had more children than are counted one by one; the rest are left as empty room in their parent.</p>\n");
    }
    h.push_str("<div class=\"cols\">\n<div>\n<h3>Biggest subtrees</h3>\n<table id=\"subtrees\">\n<thead><tr><th>subtree</th><th class=\"n\">nodes</th><th class=\"n\">records</th><th class=\"n\">data</th><th class=\"n\">ephemerals</th></tr></thead>\n<tbody>\n");
    let mut rows = 0;
    for c in &s.root.children {
        subtree_rows(h, c, 0, &mut rows);
    }
    h.push_str("</tbody>\n</table>\n</div>\n<div>\n<h3>Ephemerals per session</h3>\n<table id=\"ephemerals\">\n<thead><tr><th>session</th><th class=\"n\">ephemerals</th><th class=\"n\">data</th></tr></thead>\n<tbody>\n");
    for (sess, e) in &s.ephemerals {
        let _ = writeln!(
            h,
            "<tr data-session=\"{sess}\"><td class=\"mono\">{sess}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            e.nodes,
            esc(&short_bytes(e.data_bytes))
        );
    }
    if s.ephemerals.is_empty() {
        h.push_str("<tr><td colspan=\"3\" class=\"muted\">none</td></tr>\n");
    }
    h.push_str("</tbody>\n</table>\n");
    if s.ephemeral_sessions as usize > s.ephemerals.len() {
        let _ = writeln!(
            h,
            "<p class=\"muted\">… and {} more sessions.</p>",
            s.ephemeral_sessions as usize - s.ephemerals.len()
        );
    }
    h.push_str("</div>\n</div>\n</section>\n");
}

fn subtree_rows(
    h: &mut String,
    s: &crate::ops::report::space::Subtree,
    depth: usize,
    rows: &mut usize,
) {
    if depth > 1 || *rows >= 60 {
        return;
    }
    *rows += 1;
    let name = match s.others {
        Some(n) => format!("{}/… ({n} others)", s.path.trim_end_matches('/')),
        None => s.path.clone(),
    };
    let t = &s.totals;
    let _ = writeln!(
        h,
        "<tr data-path=\"{p}\" data-depth=\"{d}\"><td class=\"mono\" style=\"padding-left:{pad}px\">{name}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
        t.nodes,
        esc(&short_bytes(t.record_bytes)),
        esc(&short_bytes(t.data_bytes)),
        t.ephemerals,
        p = esc(&s.path),
        d = depth + 1,
        pad = 8 + depth * 18,
        name = esc(&name)
    );
    for c in &s.children {
        subtree_rows(h, c, depth + 1, rows);
    }
}

fn divergence(h: &mut String, c: &Comparison, page: &Page<'_>) {
    let _ = write!(
        h,
        "<section id=\"divergence\">\n<h2>Where they part</h2>\n<p><code>{}</code> (left) and <code>{}</code> (right).</p>\n",
        esc(&c.left.label),
        esc(&c.right.label)
    );
    if let Some(l) = &c.logs {
        let range = |x: Option<(crate::zxid::Zxid, crate::zxid::Zxid)>| {
            x.map_or("none".to_string(), |(a, b)| format!("{a}..{b}"))
        };
        let _ = writeln!(
            h,
            "<p>Logs: left holds <code>{}</code>, right <code>{}</code>; both cover <code>{}</code>, where {} txns are equal byte for byte.</p>",
            range(l.left_range),
            range(l.right_range),
            range(l.overlap),
            l.equal
        );
        match &l.divergence {
            Some((z, a, b)) => {
                let _ = writeln!(
                    h,
                    "<p class=\"sev-error\" data-kind=\"divergence\" data-zxid=\"{z}\">The logs part at zxid <code>{z}</code>.</p>"
                );
                h.push_str("<table id=\"divergence-txns\">\n<thead><tr><th></th><th>file</th><th class=\"n\">offset</th><th>op</th><th>session</th><th>time</th><th>paths</th></tr></thead>\n<tbody>\n");
                for (side, t) in [("left", a), ("right", b)] {
                    match t {
                        Some(t) => {
                            let _ = writeln!(
                                h,
                                "<tr data-side=\"{side}\"><td>{side}</td><td class=\"mono\">{}</td><td class=\"n mono\">{:#x}</td><td>{}</td><td class=\"mono\">{}</td><td>{}</td><td class=\"mono\">{}</td></tr>",
                                esc(&name_of(&t.file)),
                                t.offset,
                                esc(&t.op),
                                t.session,
                                esc(&time(t.time, page)),
                                esc(&t.paths.join(" "))
                            );
                        }
                        None => {
                            let _ = writeln!(
                                h,
                                "<tr data-side=\"{side}\"><td>{side}</td><td colspan=\"6\" class=\"muted\">no txn with this zxid</td></tr>"
                            );
                        }
                    }
                }
                h.push_str("</tbody>\n</table>\n");
            }
            None => {
                let _ = writeln!(
                    h,
                    "<p data-kind=\"no-divergence\">The logs agree wherever both have txns{}.</p>",
                    l.last_common
                        .map_or(String::new(), |z| format!(" (up to <code>{z}</code>)"))
                );
            }
        }
    }
    match &c.trees {
        Ok(d) => {
            let at = |z: Option<crate::zxid::Zxid>| z.map_or("?".into(), |z| z.to_string());
            let _ = writeln!(
                h,
                "<p id=\"tree-diff\" data-added=\"{}\" data-removed=\"{}\" data-modified=\"{}\">Trees compared at <code>{}</code> (left, {} nodes) and <code>{}</code> (right, {} nodes): {} added, {} removed, {} modified.</p>",
                d.added,
                d.removed,
                d.modified,
                at(d.left_zxid),
                d.left_nodes,
                at(d.right_zxid),
                d.right_nodes,
                d.added,
                d.removed,
                d.modified
            );
            for n in &d.notes {
                let _ = writeln!(h, "<p class=\"sev-warning\">{}</p>", esc(n));
            }
            if !d.by_subtree.is_empty() {
                h.push_str("<div class=\"cols\">\n<div>\n<h3>Changes by subtree</h3>\n<table id=\"changes-by-subtree\">\n<thead><tr><th>subtree</th><th class=\"n\">added</th><th class=\"n\">removed</th><th class=\"n\">modified</th></tr></thead>\n<tbody>\n");
                for (p, [a, rm, m]) in &d.by_subtree {
                    let _ = writeln!(
                        h,
                        "<tr><td class=\"mono\">{}</td><td class=\"n\">{a}</td><td class=\"n\">{rm}</td><td class=\"n\">{m}</td></tr>",
                        esc(p)
                    );
                }
                h.push_str("</tbody>\n</table>\n</div>\n<div>\n<h3>First changes</h3>\n<table id=\"changes\">\n<thead><tr><th>path</th><th>change</th><th>fields</th></tr></thead>\n<tbody>\n");
                for ch in &d.sample {
                    let _ = writeln!(
                        h,
                        "<tr data-change=\"{k}\"><td class=\"mono\">{}</td><td>{k}</td><td>{}</td></tr>",
                        esc(&ch.path),
                        esc(&ch.fields.join(", ")),
                        k = ch.kind.name()
                    );
                }
                h.push_str("</tbody>\n</table>\n</div>\n</div>\n");
            }
        }
        Err(e) => {
            let _ = writeln!(
                h,
                "<p class=\"sev-error\">The trees could not be compared: {}</p>",
                esc(e)
            );
        }
    }
    h.push_str("</section>\n");
}

/// The line printed once the page is written: text, or one `summary` JSON
/// line (`"command": "report"`).
pub fn summary(out: &mut Output<'_>, path: &Path, bytes: u64, r: &Report) -> io::Result<()> {
    let (class, word) = verdict_word(r.worst());
    if out.json {
        return out.json_line(&json!({
            "type": "summary",
            "command": "report",
            "file": path.display().to_string(),
            "size": bytes,
            "verdict": class,
            "errors": r.verify.count(Severity::Error),
            "warnings": r.verify.count(Severity::Warning),
            "txns": r.txns.counted(),
            "marks": r.marks.len(),
        }));
    }
    out.line(&format!(
        "{word}: {} ({} errors, {} warnings); wrote {} ({})",
        r.dir.snap_dir.display(),
        r.verify.count(Severity::Error),
        r.verify.count(Severity::Warning),
        path.display(),
        short_bytes(bytes)
    ))
}
