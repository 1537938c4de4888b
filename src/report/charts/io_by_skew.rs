//! I/O per request by skew: shared blocks read per request (mean and P99
//! of the EXPLAIN samples) against the share of keys drawn that were hot,
//! one point per result row.

use super::colors::backend_color;
use super::panel::{linear, top, Mark, Panel, Series};
use super::{distinct, measured};
use crate::report::model::{ResultRow, RunReport};

/// Rows with EXPLAIN samples' blocks read and a hot key share.
pub(super) fn rows(r: &RunReport) -> Vec<&ResultRow> {
    r.rows.iter().filter(|x| measured(x) && x.hot_key_share.is_some() && x.cache.as_ref().is_some_and(|c| c.read_p99.is_some())).collect()
}

pub(super) fn io_by_skew(r: &RunReport) -> Panel {
    let rows = rows(r);
    let mut series = Vec::new();
    for b in distinct(rows.iter().map(|x| x.backend.as_str())) {
        let of = |f: fn(&ResultRow) -> Option<f64>| -> Vec<(f64, f64)> {
            let mut p: Vec<(f64, f64)> = rows.iter().filter(|x| x.backend == b).filter_map(|x| Some((x.hot_key_share?, f(x)?))).collect();
            p.sort_by(|a, b| a.0.total_cmp(&b.0));
            p
        };
        let c = backend_color(r, b);
        let p99 = of(|x| x.cache.as_ref().and_then(|c| c.read_p99).map(|v| v as f64));
        let mean = of(|x| x.cache.as_ref().and_then(|c| c.read_per_request));
        series.push(Series { label: format!("{b} blocks read p99"), color: c, mark: Mark::LinePoints, points: p99 });
        series.push(Series { label: format!("{b} blocks read mean"), color: c, mark: Mark::Points(false), points: mean });
    }
    let ymax = top(series.iter().flat_map(|s| s.points.iter().map(|p| p.1)), 1.0);
    let mut x = linear("hot key share (keys drawn that were hot)", 0.0, 1.0);
    x.min -= 0.04;
    x.max += 0.04;
    Panel { caption: None, x, y: linear("shared blocks read per request (EXPLAIN samples)", 0.0, ymax * 1.1), series, slas: Vec::new() }
}
