//! The report's coordinate systems, as plotters `Ranged` axes: zxids
//! (one linear segment per epoch, so a new epoch's counter restart does not
//! squeeze everything before it into a sliver), wall-clock time with round
//! ticks, and named lanes.

use std::ops::Range;

use chrono::{DateTime, Local, Utc};
use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};

use crate::timefmt;
use crate::zxid::Zxid;

/// Share of the axis between two epochs.
const EPOCH_GAP: f64 = 0.012;

#[derive(Clone, Copy, Debug)]
struct Segment {
    epoch: u32,
    lo: u32,
    hi: u32,
    start: f64,
    width: f64,
}

/// A zxid axis: each epoch present gets a segment, as wide as its share
/// of the counters shown but never too narrow to see.
#[derive(Clone, Debug)]
pub struct ZxidAxis {
    segs: Vec<Segment>,
}

impl ZxidAxis {
    /// An axis showing every zxid in `points`.
    pub fn new(points: impl IntoIterator<Item = Zxid>) -> ZxidAxis {
        let mut ranges: std::collections::BTreeMap<u32, (u32, u32)> = Default::default();
        for z in points {
            let r = ranges
                .entry(z.epoch())
                .or_insert((z.counter(), z.counter()));
            r.0 = r.0.min(z.counter());
            r.1 = r.1.max(z.counter());
        }
        if ranges.is_empty() {
            ranges.insert(0, (0, 1));
        }
        let n = ranges.len() as f64;
        let min_share = (0.6 / n).min(0.06);
        let padded: Vec<(u32, u32, u32)> = ranges
            .into_iter()
            .map(|(e, (lo, hi))| {
                let pad = ((hi - lo) / 40).max(1);
                (e, lo.saturating_sub(pad), hi.saturating_add(pad))
            })
            .collect();
        let total: f64 = padded.iter().map(|&(_, lo, hi)| f64::from(hi - lo)).sum();
        let shares: Vec<f64> = padded
            .iter()
            .map(|&(_, lo, hi)| (f64::from(hi - lo) / total).max(min_share))
            .collect();
        let room = 1.0 - EPOCH_GAP * (n - 1.0);
        let sum: f64 = shares.iter().sum();
        let mut at = 0.0;
        let segs = padded
            .iter()
            .zip(&shares)
            .map(|(&(epoch, lo, hi), share)| {
                let width = share / sum * room;
                let s = Segment {
                    epoch,
                    lo,
                    hi,
                    start: at,
                    width,
                };
                at += width + EPOCH_GAP;
                s
            })
            .collect();
        ZxidAxis { segs }
    }

    /// Where `z` sits, from 0 (left) to 1 (right).
    pub fn frac(&self, z: Zxid) -> f64 {
        let (e, c) = (z.epoch(), z.counter());
        for s in &self.segs {
            if e < s.epoch || (e == s.epoch && c < s.lo) {
                return s.start;
            }
            if e == s.epoch && c <= s.hi {
                let span = f64::from((s.hi - s.lo).max(1));
                return s.start + f64::from(c - s.lo) / span * s.width;
            }
        }
        1.0
    }

    /// The epochs shown, with their first and last zxid on the axis.
    pub fn epochs(&self) -> Vec<(u32, Zxid, Zxid)> {
        self.segs
            .iter()
            .map(|s| (s.epoch, Zxid::new(s.epoch, s.lo), Zxid::new(s.epoch, s.hi)))
            .collect()
    }
}

/// Round steps in hex: 1, 2, 4, 8, 0x10, 0x20, ...
fn hex_step(span: f64, ticks: usize) -> u32 {
    let want = span / ticks.max(1) as f64;
    let mut step = 1u64;
    while (step as f64) < want && step < (1 << 31) {
        step *= 2;
    }
    step as u32
}

impl Ranged for ZxidAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = Zxid;

    fn map(&self, v: &Zxid, limit: (i32, i32)) -> i32 {
        let f = self.frac(*v);
        limit.0 + (f * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<Zxid> {
        let n = hint.max_num_points();
        let mut out = Vec::new();
        for s in &self.segs {
            let k = (n as f64 * s.width).floor() as usize;
            out.push(Zxid::new(s.epoch, s.lo));
            if k < 2 {
                continue;
            }
            let step = hex_step(f64::from(s.hi - s.lo), k);
            let mut c = (s.lo / step + 1).saturating_mul(step);
            while c < s.hi && out.len() < n.max(self.segs.len()) {
                out.push(Zxid::new(s.epoch, c));
                c = c.saturating_add(step);
            }
        }
        out
    }

    fn range(&self) -> Range<Zxid> {
        let first = self
            .segs
            .first()
            .map_or(Zxid(0), |s| Zxid::new(s.epoch, s.lo));
        let last = self
            .segs
            .last()
            .map_or(Zxid(1), |s| Zxid::new(s.epoch, s.hi));
        first..last
    }
}

impl ValueFormatter<Zxid> for ZxidAxis {
    fn format(z: &Zxid) -> String {
        z.to_string()
    }
}

/// Round time steps, ms.
const TIME_STEPS: [i64; 24] = [
    1,
    10,
    100,
    1_000,
    2_000,
    5_000,
    10_000,
    15_000,
    30_000,
    60_000,
    120_000,
    300_000,
    600_000,
    900_000,
    1_800_000,
    3_600_000,
    7_200_000,
    10_800_000,
    21_600_000,
    43_200_000,
    86_400_000,
    172_800_000,
    604_800_000,
    2_592_000_000,
];

/// A wall-clock axis (ms since the epoch) with ticks on round times.
#[derive(Clone, Copy, Debug)]
pub struct TimeAxis {
    lo: i64,
    hi: i64,
    local: bool,
}

impl TimeAxis {
    /// From `lo` to `hi` (ms); shown in UTC, or the local zone.
    pub fn new(lo: i64, hi: i64, local: bool) -> TimeAxis {
        TimeAxis {
            lo,
            hi: hi.max(lo.saturating_add(1)),
            local,
        }
    }

    /// The step between ticks for at most `n` of them.
    fn step(&self, n: usize) -> i64 {
        let span = self.hi - self.lo;
        TIME_STEPS
            .iter()
            .copied()
            .find(|&s| span / s < n.max(1) as i64)
            .unwrap_or(span / n.max(1) as i64 + 1)
    }

    /// A tick label: the time of day (with seconds when ticks are under a
    /// minute apart), or the date for ticks a day or more apart.
    pub fn label(&self, t: i64, n: usize) -> String {
        let step = self.step(n);
        let fmt = if step >= 86_400_000 {
            "%Y-%m-%d"
        } else if step >= 60_000 {
            "%H:%M"
        } else if step >= 1_000 {
            "%H:%M:%S"
        } else {
            "%H:%M:%S%.3f"
        };
        match DateTime::<Utc>::from_timestamp_millis(t) {
            Some(d) if self.local => d.with_timezone(&Local).format(fmt).to_string(),
            Some(d) => d.format(fmt).to_string(),
            None => format!("{t}ms"),
        }
    }

    /// The axis's first and last time.
    pub fn bounds(&self) -> (i64, i64) {
        (self.lo, self.hi)
    }
}

impl Ranged for TimeAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = i64;

    fn map(&self, v: &i64, limit: (i32, i32)) -> i32 {
        let f = (v.saturating_sub(self.lo)) as f64 / (self.hi - self.lo) as f64;
        limit.0 + (f.clamp(-0.05, 1.05) * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<i64> {
        let n = hint.max_num_points();
        if n == 0 {
            return Vec::new();
        }
        let step = self.step(n);
        let mut t = self.lo.div_euclid(step) * step;
        if t < self.lo {
            t += step;
        }
        let mut out = Vec::new();
        while t <= self.hi && out.len() < n {
            out.push(t);
            t += step;
        }
        out
    }

    fn range(&self) -> Range<i64> {
        self.lo..self.hi
    }
}

impl ValueFormatter<i64> for TimeAxis {
    fn format(t: &i64) -> String {
        timefmt::display(*t, false)
    }
    fn format_ext(&self, t: &i64) -> String {
        self.label(*t, 12)
    }
}

/// Named horizontal lanes, the first on top.
#[derive(Clone, Debug)]
pub struct Lanes {
    names: Vec<&'static str>,
}

impl Lanes {
    /// Lanes with these names, top to bottom.
    pub fn new(names: Vec<&'static str>) -> Lanes {
        Lanes { names }
    }

    /// The span of lane `name` (bottom, top) in axis units, shrunk by
    /// `pad` on each side; the whole axis for an unknown name.
    pub fn span(&self, name: &str, pad: f64) -> (f64, f64) {
        match self.names.iter().position(|n| *n == name) {
            Some(i) => {
                let top = (self.names.len() - i) as f64;
                (top - 1.0 + pad, top - pad)
            }
            None => (0.0, self.names.len() as f64),
        }
    }

    /// The lane name at a key point.
    pub fn name_at(&self, v: f64) -> &'static str {
        let n = self.names.len();
        let i = n.saturating_sub(1 + v.floor().max(0.0) as usize);
        self.names.get(i).copied().unwrap_or("")
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

impl Ranged for Lanes {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let f = v / self.names.len().max(1) as f64;
        limit.0 + (f * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, _hint: H) -> Vec<f64> {
        (0..self.names.len()).map(|i| i as f64 + 0.5).collect()
    }

    fn range(&self) -> Range<f64> {
        0.0..self.names.len() as f64
    }
}

impl ValueFormatter<f64> for Lanes {
    fn format(v: &f64) -> String {
        v.to_string()
    }
    fn format_ext(&self, v: &f64) -> String {
        self.name_at(*v).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs_get_their_own_segments_in_order() {
        let a = ZxidAxis::new([
            Zxid(0),
            Zxid::new(1, 1),
            Zxid::new(1, 0x6a),
            Zxid::new(2, 0x93),
        ]);
        assert_eq!(a.epochs().len(), 3);
        let (z0, e1a, e1b, e2) = (
            a.frac(Zxid(0)),
            a.frac(Zxid::new(1, 1)),
            a.frac(Zxid::new(1, 0x6a)),
            a.frac(Zxid::new(2, 0x93)),
        );
        assert!(
            z0 < e1a && e1a < e1b && e1b < e2 && e2 <= 1.0,
            "{z0} {e1a} {e1b} {e2}"
        );
        // Epoch 1 is not squeezed by the raw distance to epoch 2.
        assert!(e1b - e1a > 0.2);
    }

    #[test]
    fn lanes_run_top_down() {
        let l = Lanes::new(vec!["a", "b", "c"]);
        assert_eq!(l.name_at(2.5), "a");
        assert_eq!(l.name_at(0.5), "c");
        assert_eq!(l.span("a", 0.0), (2.0, 3.0));
    }

    #[test]
    fn time_ticks_are_round() {
        let t = TimeAxis::new(1_700_000_003_000, 1_700_000_093_000, false);
        let k = t.key_points(10usize);
        assert!(!k.is_empty() && k.len() <= 10);
        assert!(k.iter().all(|v| v % 10_000 == 0), "{k:?}");
    }
}
