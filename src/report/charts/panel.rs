//! What a chart shows, before it is drawn: panels of series on two axes,
//! and the helpers that build axes and SLA lines.

use super::distinct;
use crate::report::model::RunReport;
use crate::scenario::check::{self, Op};
use plotters::style::RGBColor;

/// How a series is drawn, on the plot and in the legend.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Mark {
    Line,
    LinePoints,
    /// Filled or hollow circles.
    Points(bool),
    /// A dashed SLA line.
    Sla,
    /// Filled unit squares centred on the points (a heatmap's cells).
    Cell,
}

/// One named line, or set of points, of a panel.
pub(super) struct Series {
    pub(super) label: String,
    pub(super) color: RGBColor,
    pub(super) mark: Mark,
    pub(super) points: Vec<(f64, f64)>,
}

/// An axis: its description, range and ticks.
pub(super) struct Axis {
    pub(super) desc: String,
    pub(super) min: f64,
    pub(super) max: f64,
    /// Tick positions and their labels.
    pub(super) ticks: Vec<(f64, String)>,
}

/// One plot of a chart (the over-time chart has two, one above the other).
pub(super) struct Panel {
    pub(super) caption: Option<String>,
    pub(super) x: Axis,
    pub(super) y: Axis,
    pub(super) series: Vec<Series>,
    /// Horizontal dashed lines: (label, y).
    pub(super) slas: Vec<(String, f64)>,
}

/// A number with as many decimals as `step` needs (and no "-0").
fn num(v: f64, step: f64) -> String {
    let d = if step >= 1.0 || step <= 0.0 { 0 } else { (-step.log10() - 1e-9).ceil().clamp(0.0, 6.0) as usize };
    let s = format!("{v:.d$}");
    if s.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') {
        s.trim_start_matches('-').to_string()
    } else {
        s
    }
}

/// A linear axis from `lo` to a round number at or above `hi`, with about
/// five ticks at 1, 2 or 5 × 10^k.
pub(super) fn linear(desc: &str, lo: f64, hi: f64) -> Axis {
    ticked(desc, lo, hi, 0.0)
}

/// [`linear`] with ticks at least `min_step` apart.
pub(super) fn ticked(desc: &str, lo: f64, hi: f64, min_step: f64) -> Axis {
    let (lo, hi) = if hi.is_finite() && lo.is_finite() && hi > lo { (lo, hi) } else { (lo.min(0.0), lo.max(0.0) + 1.0) };
    let raw = (hi - lo) / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag).max(min_step);
    let first = (lo / step + 1e-9).floor();
    let last = (hi / step - 1e-9).ceil();
    let ticks: Vec<(f64, String)> =
        (0..=((last - first) as i64).max(1)).map(|i| (first + i as f64) * step).map(|v| (v, num(v, step))).collect();
    let min = ticks.first().map_or(lo, |t| t.0);
    let max = ticks.last().map_or(hi, |t| t.0);
    Axis { desc: desc.into(), min, max, ticks }
}

/// The greatest value, at least `floor`.
pub(super) fn top(values: impl Iterator<Item = f64>, floor: f64) -> f64 {
    values.filter(|v| v.is_finite()).fold(floor, f64::max)
}

/// `p99_ms < N` (or `<=`) checks that applied to `phase` (and `backend`),
/// as (label, N), in check order.
pub(super) fn p99_slas(r: &RunReport, phase: &str, backend: Option<&str>) -> Vec<(String, f64)> {
    distinct(
        r.checks
            .iter()
            .filter(|c| c.phase == phase && backend.is_none_or(|b| c.backend == b))
            .filter_map(|c| check::parse(&c.check).ok())
            .filter(|e| e.metric == "p99_ms" && matches!(e.op, Op::Lt | Op::Le))
            .filter_map(|e| e.threshold().map(|v| (format!("SLA {e}"), v))),
    )
}

/// SLA lines far above the data (more than 3 times its top) would squash
/// the data onto the axis: they stay in the legend, marked, but are not drawn
/// (y = NaN) and do not stretch the axis.
pub(super) fn fit_slas(slas: Vec<(String, f64)>, data_max: f64) -> Vec<(String, f64)> {
    slas.into_iter()
        .map(|(label, y)| if data_max > 0.0 && y > 3.0 * data_max { (format!("{label} (above the plot)"), f64::NAN) } else { (label, y) })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_axes_end_on_round_ticks() {
        let a = linear("ms", 0.0, 13.2);
        let t: Vec<&str> = a.ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(t, ["0", "5", "10", "15"]);
        assert_eq!((a.min, a.max), (0.0, 15.0));
        let b = linear("ratio", 0.9, 1.0);
        assert_eq!(b.ticks.first().map(|t| t.1.as_str()), Some("0.90"));
        assert_eq!(b.ticks.last().map(|t| t.1.as_str()), Some("1.00"));
        let flat = linear("x", 0.0, 0.0);
        assert!(flat.max > flat.min);
    }
}
