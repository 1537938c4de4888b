//! P50 and P99 against the EXPLAIN samples' cache hit ratio.

use super::colors::backend_color;
use super::panel::{linear, top, Mark, Panel, Series};
use super::{distinct, measured};
use crate::report::model::{ResultRow, RunReport};

pub(super) fn cache(r: &RunReport) -> Panel {
    let rows: Vec<&ResultRow> = r.rows.iter().filter(|x| x.cache.is_some() && measured(x)).collect();
    let mut series = Vec::new();
    for b in distinct(rows.iter().map(|x| x.backend.as_str())) {
        let of = |f: fn(&ResultRow) -> f64| -> Vec<(f64, f64)> {
            rows.iter().filter(|x| x.backend == b).filter_map(|x| x.cache.as_ref().map(|c| (c.hit_ratio, f(x)))).collect()
        };
        let c = backend_color(r, b);
        series.push(Series { label: format!("{b} p99"), color: c, mark: Mark::Points(true), points: of(|x| x.latency.p99_ms) });
        series.push(Series { label: format!("{b} p50"), color: c, mark: Mark::Points(false), points: of(|x| x.latency.p50_ms) });
    }
    let xs = || series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
    let (lo, hi) = (xs().fold(f64::INFINITY, f64::min), top(xs(), 0.0));
    let pad = ((hi - lo) * 0.1).max(0.01);
    let ymax = top(series.iter().flat_map(|s| s.points.iter().map(|p| p.1)), 0.0);
    let mut x = linear("cache hit ratio (shared blocks hit / (hit + read))", (lo - pad).max(0.0), (hi + pad).min(1.0));
    // Keep points at a ratio of 1 off the plot's edge.
    x.max += (x.max - x.min) * 0.04;
    Panel { caption: None, x, y: linear("latency (ms)", 0.0, ymax * 1.1), series, slas: Vec::new() }
}
