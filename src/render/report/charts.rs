//! The report's charts, drawn with plotters onto a [`Canvas`]: the files on
//! the zxid axis, the files and findings on the time axis, txns over time,
//! and the snapshot's space as a treemap. Each mark the tests (and readers)
//! may look for sits in a group with `data-*` attributes and a tooltip.

use std::error::Error;

use plotters::element::{PathElement, Rectangle, Text, TriangleMarker};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axes::{Lanes, TimeAxis, ZxidAxis};
use super::html::{short_bytes, short_count};
use super::svg::Canvas;
use crate::ops::purge::Action;
use crate::ops::report::space::Subtree;
use crate::ops::report::txns::Series;
use crate::ops::report::{FileRow, MarkKind, OpClass, Report};
use crate::ops::verify::Severity;
use crate::zxid::Zxid;

/// A chart's result: the `<svg>` element.
pub type Drawn = Result<String, Box<dyn Error>>;

/// Width of every chart, in pixels.
pub const WIDTH: u32 = 1120;
/// Width of the lane names on the left.
const LABELS: u32 = 130;
const FONT: &str = "sans-serif";

/// Colours (Tableau 10, which reads well in print and for most colour
/// vision deficiencies).
pub mod palette {
    use plotters::style::RGBColor;
    /// Blue.
    pub const BLUE: RGBColor = RGBColor(0x4e, 0x79, 0xa7);
    /// Light blue.
    pub const LIGHT_BLUE: RGBColor = RGBColor(0xa0, 0xcb, 0xe8);
    /// Orange.
    pub const ORANGE: RGBColor = RGBColor(0xf2, 0x8e, 0x2b);
    /// Red.
    pub const RED: RGBColor = RGBColor(0xe1, 0x57, 0x59);
    /// Teal.
    pub const TEAL: RGBColor = RGBColor(0x76, 0xb7, 0xb2);
    /// Green.
    pub const GREEN: RGBColor = RGBColor(0x59, 0xa1, 0x4f);
    /// Yellow.
    pub const YELLOW: RGBColor = RGBColor(0xed, 0xc9, 0x48);
    /// Purple.
    pub const PURPLE: RGBColor = RGBColor(0xb0, 0x7a, 0xa1);
    /// Pink.
    pub const PINK: RGBColor = RGBColor(0xff, 0x9d, 0xa7);
    /// Brown.
    pub const BROWN: RGBColor = RGBColor(0x9c, 0x75, 0x5f);
    /// Grey.
    pub const GREY: RGBColor = RGBColor(0xba, 0xb0, 0xac);
    /// Dark grey.
    pub const DARK: RGBColor = RGBColor(0x44, 0x44, 0x44);
    /// Every colour, for hues by index.
    pub const CYCLE: [RGBColor; 10] = [
        BLUE, ORANGE, RED, TEAL, GREEN, YELLOW, PURPLE, PINK, BROWN, GREY,
    ];
}

/// The colour of an op class.
pub fn op_color(c: OpClass) -> RGBColor {
    match c {
        OpClass::Create => palette::BLUE,
        OpClass::SetData => palette::TEAL,
        OpClass::Delete => palette::ORANGE,
        OpClass::Multi => palette::PURPLE,
        OpClass::SetAcl => palette::BROWN,
        OpClass::CreateSession => palette::GREEN,
        OpClass::CloseSession => palette::YELLOW,
        OpClass::Error => palette::RED,
        OpClass::Other => palette::GREY,
    }
}

/// The colour of a mark.
pub fn mark_color(k: MarkKind) -> RGBColor {
    match k {
        MarkKind::Damage | MarkKind::BadSnapshot => RGBColor(0xc0, 0x1f, 0x25),
        MarkKind::CrashTail => palette::ORANGE,
        MarkKind::Gap => RGBColor(0x7b, 0x3f, 0x9e),
        MarkKind::Lost => palette::BROWN,
        MarkKind::Warning => RGBColor(0xb8, 0x9b, 0x1c),
        MarkKind::Divergence => RGBColor(0xd6, 0x27, 0x8c),
        MarkKind::Point => RGBColor(0x17, 0x8f, 0xa8),
    }
}

/// Text `px` CSS pixels high (plotters' SVG backend writes a font size
/// of size / 1.24).
fn text_style(px: u32, color: RGBColor) -> TextStyle<'static> {
    (FONT, f64::from(px) * 1.24).into_font().color(&color)
}

fn log_end(f: &FileRow) -> Zxid {
    match f.last {
        Some(l) => Zxid(l.0.saturating_add(1)),
        None => Zxid(f.zxid.0.saturating_add(1)),
    }
}

/// The attributes and tooltip of a file.
fn file_hooks(
    f: &FileRow,
    side: &'static str,
    axis: &'static str,
) -> (Vec<(&'static str, String)>, String) {
    let mut attrs = vec![
        (
            "data-kind",
            if f.log { "log" } else { "snapshot" }.to_string(),
        ),
        ("data-axis", axis.to_string()),
        ("data-file", f.name.clone()),
        ("data-zxid", f.zxid.to_string()),
        ("data-side", side.to_string()),
    ];
    let mut tip = f.name.clone();
    if f.log {
        if let Some(l) = f.last {
            attrs.push(("data-last", l.to_string()));
            tip.push_str(&format!(": zxids {}..{l}", f.zxid));
        } else {
            tip.push_str(": no txns read");
        }
        if let Some(n) = f.txns {
            tip.push_str(&format!(", {} txns", short_count(n)));
        }
    } else {
        tip.push_str(&format!(": zxid {}", f.zxid));
    }
    tip.push_str(&format!(", {}", short_bytes(f.len)));
    if f.startup {
        attrs.push(("data-startup", "true".into()));
        tip.push_str(if f.log {
            "; replayed at startup"
        } else {
            "; loaded at startup"
        });
    }
    if let Some(why) = &f.rejected {
        tip.push_str(&format!("; rejected at startup: {why}"));
    }
    if let Some(a) = f.purge {
        attrs.push(("data-purge", a.as_str().to_string()));
        if a == Action::Delete {
            tip.push_str("; purge would delete it");
        }
    }
    if let Some(w) = f.worst {
        attrs.push(("data-worst", w.name().to_string()));
    }
    if let Some(u) = &f.unreadable {
        tip.push_str(&format!("; unreadable: {u}"));
    }
    (attrs, tip)
}

fn group(c: &mut Canvas, attrs: &[(&'static str, String)], tip: &str) {
    let a: Vec<(&str, &str)> = attrs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    c.group(&a, Some(tip));
}

/// Files drawn one by one at most; past that, the rest of a side's logs
/// are one bar.
const MAX_FILE_MARKS: usize = 2000;

/// The files on the zxid axis: snapshots as ticks, logs as bars, the span
/// startup replays, what purge would delete, and verify's findings.
pub fn timeline(r: &Report) -> Drawn {
    let other = !r.other_files.is_empty();
    let mut names = vec!["snapshots", "logs", "startup", "purge", "findings"];
    if other {
        names.extend(["other: snapshots", "other: logs"]);
    }
    let lanes = Lanes::new(names);
    let mut points = Vec::new();
    for f in r.files.iter().chain(&r.other_files) {
        points.push(f.zxid);
        if f.log {
            points.push(log_end(f));
        }
    }
    points.extend(
        r.marks
            .iter()
            .flat_map(|m| [Some(m.zxid), m.end].into_iter().flatten()),
    );
    if let Some((a, b)) = r.startup {
        points.extend([a, Zxid(b.0.saturating_add(1))]);
    }
    let axis = ZxidAxis::new(points);
    let height = 40 + 34 * lanes.len() as u32 + 46;
    let mut canvas = Canvas::new((WIDTH, height));
    let root = canvas.backend().into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .margin_top(26)
        .margin_right(20)
        .margin_left(6)
        .x_label_area_size(40)
        .y_label_area_size(LABELS)
        .build_cartesian_2d(axis.clone(), lanes.clone())?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_labels(10)
        .x_label_formatter(&|z: &Zxid| z.to_string())
        .y_label_formatter(&|v: &f64| lanes.name_at(*v).to_string())
        .x_desc("zxid (each epoch on its own scale)")
        .label_style(text_style(12, palette::DARK))
        .axis_desc_style(text_style(12, palette::DARK))
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(RGBColor(0xe4, 0xe4, 0xe4))
        .draw()?;
    let n = lanes.len() as f64;

    // Epochs: a label over each segment, shading between them.
    let epochs = axis.epochs();
    for (i, &(e, lo, hi)) in epochs.iter().enumerate() {
        let (x, _) = chart.backend_coord(&(lo, n));
        canvas.group(
            &[("data-kind", "epoch"), ("data-epoch", &e.to_string())],
            None,
        );
        root.draw(&Text::new(
            format!("epoch {e}"),
            (x + 2, 8),
            text_style(12, palette::DARK).pos(Pos::new(HPos::Left, VPos::Top)),
        ))?;
        if let Some(&(_, next, _)) = epochs.get(i + 1) {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(hi, 0.0), (next, n)],
                RGBColor(0xf2, 0xf2, 0xf2).filled(),
            )))?;
        }
        canvas.end();
    }

    // The span startup replays.
    let (y0, y1) = lanes.span("startup", 0.2);
    match (r.startup, r.verify.recovery.as_ref()) {
        (Some((a, b)), Some(rec)) => {
            let tip = rec.sentence.clone();
            group(
                &mut canvas,
                &[
                    ("data-kind", "startup".into()),
                    ("data-from", a.to_string()),
                    ("data-to", b.to_string()),
                ],
                &tip,
            );
            chart.draw_series(std::iter::once(Rectangle::new(
                [(a, y0), (Zxid(b.0.saturating_add(1)), y1)],
                palette::GREEN.mix(0.55).filled(),
            )))?;
            canvas.end();
        }
        (None, Some(rec)) => {
            group(
                &mut canvas,
                &[("data-kind", "startup-fails".into())],
                &rec.sentence,
            );
            let (x, y) = chart.backend_coord(&(axis.range().start, (y0 + y1) / 2.0));
            root.draw(&Text::new(
                "ZooKeeper would not start (see the verdict)",
                (x + 4, y),
                text_style(12, palette::RED).pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
            canvas.end();
        }
        _ => {}
    }

    for (side, files, log_lane, snap_lane) in [
        ("this", &r.files, "logs", "snapshots"),
        ("other", &r.other_files, "other: logs", "other: snapshots"),
    ] {
        draw_files(
            &mut canvas,
            &mut chart,
            files,
            side,
            lanes.span(log_lane, 0.18),
            lanes.span(snap_lane, 0.12),
        )?;
    }

    // What purge would delete: shaded in its lane and over the files.
    let (p0, p1) = lanes.span("purge", 0.2);
    let (f0, _) = lanes.span("logs", 0.0);
    let (_, f1) = lanes.span("snapshots", 0.0);
    let doomed: Vec<&FileRow> = r
        .files
        .iter()
        .filter(|f| f.purge == Some(Action::Delete))
        .take(MAX_FILE_MARKS)
        .collect();
    for f in doomed {
        let (a, b) = if f.log {
            (f.zxid, log_end(f))
        } else {
            (f.zxid, Zxid(f.zxid.0.saturating_add(1)))
        };
        group(
            &mut canvas,
            &[
                ("data-kind", "purge".into()),
                ("data-file", f.name.clone()),
                ("data-zxid", f.zxid.to_string()),
            ],
            &format!("purge --retain {} would delete {}", r.retain, f.name),
        );
        chart.draw_series([
            Rectangle::new([(a, p0), (b, p1)], palette::GREY.mix(0.9).filled()),
            Rectangle::new([(a, f0), (b, f1)], palette::GREY.mix(0.35).filled()),
        ])?;
        canvas.end();
    }

    // Findings: a line across every lane and a marker in theirs.
    let (m0, m1) = lanes.span("findings", 0.0);
    // The worst on top: drawn last.
    let mut marks: Vec<&crate::ops::report::Mark> = r.marks.iter().collect();
    marks.sort_by_key(|m| std::cmp::Reverse(m.kind));
    for m in marks {
        let color = mark_color(m.kind);
        let mut attrs = vec![
            ("data-kind", m.kind.name().to_string()),
            ("data-axis", "zxid".to_string()),
            ("data-zxid", m.zxid.to_string()),
        ];
        if !m.code.is_empty() {
            attrs.push(("data-code", m.code.to_string()));
        }
        if let Some(f) = &m.file {
            attrs.push(("data-file", super::name_of(f)));
        }
        if let Some(o) = m.offset {
            attrs.push(("data-offset", format!("{o:#x}")));
        }
        if let Some(e) = m.end {
            attrs.push(("data-end", e.to_string()));
        }
        let at = match m.end {
            Some(e) => format!("zxids {}..{e}", m.zxid),
            None => format!("zxid {}", m.zxid),
        };
        group(&mut canvas, &attrs, &format!("{at}: {}", m.text));
        if let Some(e) = m.end {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(m.zxid, 0.0), (Zxid(e.0.saturating_add(1)), n)],
                color.mix(0.22).filled(),
            )))?;
        }
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(m.zxid, 0.0), (m.zxid, n)],
            color.mix(0.75).stroke_width(2),
        )))?;
        chart.draw_series(std::iter::once(TriangleMarker::new(
            (m.zxid, (m0 + m1) / 2.0),
            10,
            color.filled(),
        )))?;
        canvas.end();
    }
    drop(chart);
    drop(root);
    Ok(canvas.finish("timeline-chart", "files on the zxid axis"))
}

type ZxidChart<'a> =
    ChartContext<'a, super::svg::Svg, plotters::coord::cartesian::Cartesian2d<ZxidAxis, Lanes>>;

fn draw_files(
    canvas: &mut Canvas,
    chart: &mut ZxidChart<'_>,
    files: &[FileRow],
    side: &'static str,
    (l0, l1): (f64, f64),
    (s0, s1): (f64, f64),
) -> Result<(), Box<dyn Error>> {
    let mut logs = 0usize;
    let mut rest: Option<(Zxid, Zxid, usize)> = None;
    for f in files {
        if f.log {
            logs += 1;
            if logs > MAX_FILE_MARKS {
                let e = log_end(f);
                rest = Some(match rest {
                    None => (f.zxid, e, 1),
                    Some((a, b, k)) => (a.min(f.zxid), b.max(e), k + 1),
                });
                continue;
            }
        }
        let (attrs, tip) = file_hooks(f, side, "zxid");
        group(canvas, &attrs, &tip);
        if f.log {
            let fill = if f.unreadable.is_some() {
                palette::GREY
            } else if logs.is_multiple_of(2) {
                palette::LIGHT_BLUE
            } else {
                palette::BLUE
            };
            chart.draw_series(std::iter::once(Rectangle::new(
                [(f.zxid, l0), (log_end(f), l1)],
                fill.filled(),
            )))?;
            if f.worst == Some(Severity::Error) {
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(f.zxid, l0), (log_end(f), l1)],
                    mark_color(MarkKind::Damage).stroke_width(2),
                )))?;
            }
        } else {
            let (color, width) = if f.worst == Some(Severity::Error) || f.rejected.is_some() {
                (mark_color(MarkKind::BadSnapshot), 3)
            } else if f.startup {
                (palette::GREEN, 4)
            } else {
                (palette::DARK, 2)
            };
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(f.zxid, s0), (f.zxid, s1)],
                color.stroke_width(width),
            )))?;
        }
        canvas.end();
    }
    if let Some((a, b, k)) = rest {
        group(
            canvas,
            &[("data-kind", "logs".into()), ("data-side", side.into())],
            &format!("{k} more logs, {a}..{b}"),
        );
        chart.draw_series(std::iter::once(Rectangle::new(
            [(a, l0), (b, l1)],
            palette::BLUE.mix(0.6).filled(),
        )))?;
        canvas.end();
    }
    Ok(())
}

/// The time span the time charts show: the txns counted, the logs' times
/// and the marks' times, cut to `--since`/`--until`.
pub fn time_span(r: &Report, series: &Series) -> Option<(i64, i64)> {
    let mut lo = i64::MAX;
    let mut hi = i64::MIN;
    let mut see = |t: i64| {
        lo = lo.min(t);
        hi = hi.max(t);
    };
    for (t, _) in &series.buckets {
        see(*t);
        see(t.saturating_add(series.step_ms));
    }
    for f in &r.files {
        f.time.into_iter().chain(f.last_time).for_each(&mut see);
    }
    r.marks.iter().filter_map(|m| m.time).for_each(&mut see);
    if let Some(s) = r.since {
        lo = lo.max(s);
    }
    if let Some(u) = r.until {
        hi = hi.min(u);
    }
    (lo <= hi).then(|| {
        // A little room on both sides.
        let pad = ((hi - lo) / 60).max(500);
        (lo - pad, hi + pad)
    })
}

/// Logs, snapshots and findings on the time axis.
pub fn files_by_time(r: &Report, span: (i64, i64), local: bool) -> Drawn {
    let lanes = Lanes::new(vec!["logs", "snapshots", "findings"]);
    let axis = TimeAxis::new(span.0, span.1, local);
    let mut canvas = Canvas::new((WIDTH, 30 * 3 + 50));
    let root = canvas.backend().into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .margin_top(8)
        .margin_right(20)
        .margin_left(6)
        .x_label_area_size(34)
        .y_label_area_size(LABELS)
        .build_cartesian_2d(axis, lanes.clone())?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_labels(12)
        .x_label_formatter(&|t: &i64| axis.label(*t, 12))
        .y_label_formatter(&|v: &f64| lanes.name_at(*v).to_string())
        .label_style(text_style(12, palette::DARK))
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(RGBColor(0xe4, 0xe4, 0xe4))
        .draw()?;
    let (l0, l1) = lanes.span("logs", 0.2);
    let (s0, s1) = lanes.span("snapshots", 0.15);
    let (m0, m1) = lanes.span("findings", 0.0);
    let min_w = (span.1 - span.0) / 400;
    let mut i = 0usize;
    for f in r.files.iter().take(MAX_FILE_MARKS) {
        let Some(t) = f.time else { continue };
        let (attrs, tip) = file_hooks(f, "this", "time");
        group(&mut canvas, &attrs, &tip);
        if f.log {
            i += 1;
            let e = f.last_time.unwrap_or(t).max(t + min_w);
            let fill = if i.is_multiple_of(2) {
                palette::LIGHT_BLUE
            } else {
                palette::BLUE
            };
            chart.draw_series(std::iter::once(Rectangle::new(
                [(t, l0), (e, l1)],
                fill.filled(),
            )))?;
        } else {
            let color = if f.startup {
                palette::GREEN
            } else {
                palette::DARK
            };
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(t, s0), (t, s1)],
                color.stroke_width(2),
            )))?;
        }
        canvas.end();
    }
    let mut marks: Vec<&crate::ops::report::Mark> = r.marks.iter().collect();
    marks.sort_by_key(|m| std::cmp::Reverse(m.kind));
    for m in marks {
        let Some(t) = m.time else { continue };
        group(
            &mut canvas,
            &[
                ("data-kind", m.kind.name().to_string()),
                ("data-axis", "time".to_string()),
                ("data-zxid", m.zxid.to_string()),
                ("data-time", t.to_string()),
            ],
            &format!("zxid {}: {}", m.zxid, m.text),
        );
        chart.draw_series(std::iter::once(TriangleMarker::new(
            (t, (m0 + m1) / 2.0),
            9,
            mark_color(m.kind).filled(),
        )))?;
        canvas.end();
    }
    drop(chart);
    drop(root);
    Ok(canvas.finish("files-by-time-chart", "files and findings on the time axis"))
}

/// Txns over time, stacked by op class.
pub fn histogram(series: &Series, span: (i64, i64), local: bool, unit: &str) -> Drawn {
    let axis = TimeAxis::new(span.0, span.1, local);
    let top = series
        .buckets
        .iter()
        .map(|(_, c)| c.iter().sum::<u64>())
        .max()
        .unwrap_or(1)
        .max(1);
    let mut canvas = Canvas::new((WIDTH, 340));
    let root = canvas.backend().into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .margin_top(12)
        .margin_right(20)
        .margin_left(6)
        .x_label_area_size(40)
        .y_label_area_size(LABELS)
        .build_cartesian_2d(axis, 0f64..top as f64 * 1.08)?;
    chart
        .configure_mesh()
        .x_labels(12)
        .y_labels(6)
        .x_label_formatter(&|t: &i64| axis.label(*t, 12))
        .y_label_formatter(&|v: &f64| short_count(v.round().max(0.0) as u64))
        .y_desc(format!("txns per {unit}"))
        .label_style(text_style(12, palette::DARK))
        .axis_desc_style(text_style(12, palette::DARK))
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(RGBColor(0xdd, 0xdd, 0xdd))
        .draw()?;
    // Where each bucket's stack has got to.
    let mut base = vec![0u64; series.buckets.len()];
    let bar_px = f64::from(WIDTH - LABELS) * series.step_ms as f64 / (span.1 - span.0) as f64;
    let gap = if bar_px >= 4.0 { 1 } else { 0 };
    for class in OpClass::ALL {
        let idx = OpClass::ALL.iter().position(|&c| c == class).unwrap_or(0);
        let total: u64 = series.buckets.iter().map(|(_, c)| c[idx]).sum();
        if total == 0 {
            continue;
        }
        let color = op_color(class);
        canvas.group(
            &[
                ("data-kind", "txns"),
                ("data-op", class.name()),
                ("data-count", &total.to_string()),
            ],
            Some(&format!("{}: {} txns", class.name(), total)),
        );
        let bars: Vec<Rectangle<(i64, f64)>> = series
            .buckets
            .iter()
            .zip(base.iter_mut())
            .filter(|((_, c), _)| c[idx] > 0)
            .map(|((t, c), b)| {
                let lo = *b;
                *b += c[idx];
                let mut rect = Rectangle::new(
                    [(*t, lo as f64), (t + series.step_ms, *b as f64)],
                    color.filled(),
                );
                rect.set_margin(0, 0, gap, gap);
                rect
            })
            .collect();
        chart.draw_series(bars)?;
        canvas.end();
    }
    drop(chart);
    drop(root);
    Ok(canvas.finish("txns-chart", "transactions over time by op type"))
}

/// A rectangle (x, y, width, height) in pixels.
type Rect = (f64, f64, f64, f64);

/// Squarified treemap layout (Bruls, Huizing, van Wijk): `values` (largest
/// first) into `r`; returns one rectangle per value, in order.
pub fn squarify(values: &[f64], r: Rect) -> Vec<Rect> {
    let total: f64 = values.iter().sum();
    let mut out = Vec::with_capacity(values.len());
    if total <= 0.0 || r.2 <= 0.0 || r.3 <= 0.0 {
        return values.iter().map(|_| (r.0, r.1, 0.0, 0.0)).collect();
    }
    let scale = r.2 * r.3 / total;
    let areas: Vec<f64> = values.iter().map(|v| v * scale).collect();
    let (mut x, mut y, mut w, mut h) = r;
    let mut i = 0;
    while i < areas.len() {
        let side = w.min(h);
        // Grow the row while the worst aspect ratio improves.
        let mut j = i + 1;
        let worst = |row: &[f64]| {
            let s: f64 = row.iter().sum();
            let (mx, mn) = row
                .iter()
                .fold((0.0f64, f64::MAX), |(a, b), &v| (a.max(v), b.min(v)));
            if s <= 0.0 || mn <= 0.0 {
                return f64::MAX;
            }
            let s2 = s * s;
            let side2 = side * side;
            (side2 * mx / s2).max(s2 / (side2 * mn))
        };
        while j < areas.len() && worst(&areas[i..=j]) <= worst(&areas[i..j]) {
            j += 1;
        }
        let row = &areas[i..j];
        let sum: f64 = row.iter().sum();
        if w >= h {
            // A column on the left.
            let cw = if h > 0.0 { sum / h } else { 0.0 };
            let mut yy = y;
            for a in row {
                let rh = if cw > 0.0 { a / cw } else { 0.0 };
                out.push((x, yy, cw, rh));
                yy += rh;
            }
            x += cw;
            w -= cw;
        } else {
            // A row on top.
            let rh = if w > 0.0 { sum / w } else { 0.0 };
            let mut xx = x;
            for a in row {
                let cw = if rh > 0.0 { a / rh } else { 0.0 };
                out.push((xx, y, cw, rh));
                xx += cw;
            }
            y += rh;
            h -= rh;
        }
        i = j;
    }
    out
}

fn lighten(c: RGBColor, t: f64) -> RGBColor {
    let m = |v: u8| (f64::from(v) + (255.0 - f64::from(v)) * t).round() as u8;
    RGBColor(m(c.0), m(c.1), m(c.2))
}

/// The subtree's last path component, or "(N others)".
fn short_name(s: &Subtree) -> String {
    match s.others {
        Some(n) => format!("({} others)", short_count(n)),
        None => match s.path.rsplit_once('/') {
            Some((_, last)) if !last.is_empty() => last.to_string(),
            _ => s.path.clone(),
        },
    }
}

/// The snapshot's space as a treemap: area = bytes of node records.
pub fn treemap(root_tree: &Subtree) -> Drawn {
    let height = 560u32;
    let mut canvas = Canvas::new((WIDTH, height));
    let area = canvas.backend().into_drawing_area();
    area.fill(&WHITE)?;
    let r = (4.0, 4.0, f64::from(WIDTH) - 8.0, f64::from(height) - 8.0);
    draw_level(&mut canvas, &area, root_tree, r, 0, None)?;
    drop(area);
    Ok(canvas.finish("space-chart", "snapshot space by subtree"))
}

fn draw_level(
    canvas: &mut Canvas,
    area: &DrawingArea<super::svg::Svg, plotters::coord::Shift>,
    node: &Subtree,
    r: Rect,
    depth: usize,
    hue: Option<RGBColor>,
) -> Result<(), Box<dyn Error>> {
    if node.children.is_empty() {
        return Ok(());
    }
    let counted: u64 = node.children.iter().map(|c| c.totals.record_bytes).sum();
    let mut values: Vec<f64> = node
        .children
        .iter()
        .map(|c| c.totals.record_bytes as f64)
        .collect();
    // The node's own record and children never counted one by one: room
    // left empty, so areas stay true to size.
    let own = node.totals.record_bytes.saturating_sub(counted);
    values.push(own as f64);
    // squarify wants the largest first; remember where each went.
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
    let sorted: Vec<f64> = order.iter().map(|&i| values[i]).collect();
    let rects = squarify(&sorted, r);
    for (k, &i) in order.iter().enumerate() {
        let Some(child) = node.children.get(i) else {
            continue;
        };
        let Some(&(x, y, w, h)) = rects.get(k) else {
            continue;
        };
        if w < 1.0 || h < 1.0 {
            continue;
        }
        let base = hue.unwrap_or(palette::CYCLE[i % palette::CYCLE.len()]);
        let fill = if child.others.is_some() {
            RGBColor(0xd9, 0xd9, 0xd9)
        } else {
            lighten(base, 0.18 * depth as f64)
        };
        let t = &child.totals;
        let tip = format!(
            "{}{}: {} nodes, {} of records, {} of data, {} ephemerals",
            child.path,
            child
                .others
                .map_or(String::new(), |n| format!(" ({n} smaller subtrees)")),
            short_count(t.nodes),
            short_bytes(t.record_bytes),
            short_bytes(t.data_bytes),
            short_count(t.ephemerals)
        );
        let kind = if child.others.is_some() {
            "subtree-others"
        } else {
            "subtree"
        };
        group(
            canvas,
            &[
                ("data-kind", kind.into()),
                ("data-path", child.path.clone()),
                ("data-depth", (depth + 1).to_string()),
                ("data-nodes", t.nodes.to_string()),
                ("data-bytes", t.record_bytes.to_string()),
            ],
            &tip,
        );
        let (x0, y0) = (x.round() as i32, y.round() as i32);
        let (x1, y1) = ((x + w).round() as i32, (y + h).round() as i32);
        area.draw(&Rectangle::new([(x0, y0), (x1, y1)], fill.filled()))?;
        area.draw(&Rectangle::new(
            [(x0, y0), (x1, y1)],
            WHITE.stroke_width(if depth == 0 { 2 } else { 1 }),
        ))?;
        let label_room = w > 46.0 && h > 16.0;
        if label_room {
            let px = if depth == 0 { 13.0 } else { 11.0 };
            let chars = ((w - 6.0) / (px * 0.58)) as usize;
            let mut label = short_name(child);
            if depth == 0 || h > 34.0 {
                label.push_str(&format!("  {}", short_bytes(t.record_bytes)));
            }
            let label: String = if label.chars().count() > chars {
                let cut: String = label.chars().take(chars.saturating_sub(1)).collect();
                format!("{cut}…")
            } else {
                label
            };
            if !label.is_empty() && chars > 1 {
                area.draw(&Text::new(
                    label,
                    (x0 + 3, y0 + 2),
                    text_style(if depth == 0 { 13 } else { 11 }, RGBColor(0x1a, 0x1a, 0x1a))
                        .pos(Pos::new(HPos::Left, VPos::Top)),
                ))?;
            }
        }
        // Children inside, below the label.
        let head = if label_room { 16.0 } else { 1.0 };
        let inner = (x + 2.0, y + head, w - 4.0, h - head - 2.0);
        if inner.2 > 8.0 && inner.3 > 8.0 {
            draw_level(canvas, area, child, inner, depth + 1, Some(base))?;
        }
        canvas.end();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squarify_fills_the_rectangle_with_areas_true_to_size() {
        let vals = [6.0, 6.0, 4.0, 3.0, 2.0, 2.0, 1.0];
        let r = (0.0, 0.0, 600.0, 400.0);
        let rects = squarify(&vals, r);
        assert_eq!(rects.len(), vals.len());
        let total: f64 = vals.iter().sum();
        for (v, (x, y, w, h)) in vals.iter().zip(&rects) {
            let want = v / total * 600.0 * 400.0;
            assert!((w * h - want).abs() < 1e-6 * want.max(1.0), "{v}: {w}x{h}");
            assert!(*x >= -1e-9 && *y >= -1e-9 && x + w <= 600.0 + 1e-6 && y + h <= 400.0 + 1e-6);
        }
    }
}
