//! Break-even request rate by skew: for each pair of priced backends
//! measured in the same phase and cell, the steady rate at which they cost
//! the same per month (see `costs::break_even`), against the share of keys
//! drawn that were hot; a line per pair and phase through its cells.

use super::colors::shades;
use super::distinct;
use super::panel::{linear, top, Mark, Panel, Series};
use crate::report::costs::{break_even, projections};
use crate::report::model::RunReport;

/// (pair label, hot key share, break-even rps) of every pair with one.
pub(super) fn points(r: &RunReport) -> Vec<(String, f64, f64)> {
    let Some((_, projected)) = projections(r) else { return Vec::new() };
    let mut out = Vec::new();
    for (i, (a, pa)) in projected.iter().enumerate() {
        for (b, pb) in projected.iter().skip(i + 1) {
            if a.backend == b.backend || a.phase != b.phase || a.cell != b.cell || a.partial.is_some() || b.partial.is_some() {
                continue;
            }
            let (Some(skew), Some((rps, _))) = (a.hot_key_share, break_even(pa, pb)) else { continue };
            out.push((format!("{} vs {} ({})", a.backend, b.backend, a.phase), skew, rps));
        }
    }
    out
}

/// Whether some pair has a break-even rate at two skews or more.
pub(super) fn drawn(r: &RunReport) -> bool {
    let p = points(r);
    distinct(p.iter().map(|x| x.0.clone())).iter().any(|label| p.iter().filter(|x| &x.0 == label).count() >= 2)
}

pub(super) fn break_even_by_skew(r: &RunReport) -> Panel {
    let p = points(r);
    let labels = distinct(p.iter().map(|x| x.0.clone()));
    let firsts: Vec<String> = labels.iter().map(|l| l.split(" vs ").next().unwrap_or("").to_string()).collect();
    let colors = shades(r, &firsts.iter().map(String::as_str).collect::<Vec<_>>());
    let series: Vec<Series> = labels
        .iter()
        .zip(colors)
        .map(|(label, color)| {
            let mut points: Vec<(f64, f64)> = p.iter().filter(|x| &x.0 == label).map(|x| (x.1, x.2)).collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            Series { label: label.clone(), color, mark: Mark::LinePoints, points }
        })
        .collect();
    let ymax = top(series.iter().flat_map(|s| s.points.iter().map(|p| p.1)), 1.0);
    let mut x = linear("hot key share (keys drawn that were hot)", 0.0, 1.0);
    x.min -= 0.04;
    x.max += 0.04;
    Panel { caption: None, x, y: linear("break-even rate (requests/s)", 0.0, ymax * 1.1), series, slas: Vec::new() }
}
