//! Request latency by cache score (the share of a request's entities that
//! drew a hot key), from the split by number of hot entities: P99 and P50
//! per backend, phase, cell and entity count.

use super::colors::shades;
use super::distinct;
use super::panel::{linear, top, Mark, Panel, Series};
use crate::report::model::{HotSplitRow, RunReport};

/// Fewer requests than this have no P99 worth drawing: such a split row is left off the charts.
pub(super) const MIN_REQUESTS: u64 = 100;

/// The split's rows with enough requests to draw.
pub(super) fn drawn(r: &RunReport) -> impl Iterator<Item = &HotSplitRow> {
    r.hot_split.iter().filter(|h| h.requests >= MIN_REQUESTS)
}

/// The split's rows grouped into lines: (legend label, backend, rows).
pub(super) fn groups(r: &RunReport) -> Vec<(String, String, Vec<&HotSplitRow>)> {
    let key = |h: &HotSplitRow| (h.backend.clone(), h.phase.clone(), h.cell.clone(), h.entities);
    let keys = distinct(drawn(r).map(key));
    let many = |f: fn(&(String, String, String, u8)) -> String| distinct(keys.iter().map(f)).len() > 1;
    let (phases, cells, ents) = (many(|k| k.1.clone()), many(|k| k.2.clone()), many(|k| k.3.to_string()));
    keys.iter()
        .map(|k| {
            let mut label = k.0.clone();
            if phases {
                label.push_str(&format!(" {}", k.1));
            }
            if cells {
                label.push_str(&format!(" [{}]", k.2));
            }
            if ents {
                label.push_str(&format!(", {} entities", k.3));
            }
            (label, k.0.clone(), drawn(r).filter(|h| key(h) == *k).collect())
        })
        .collect()
}

/// P99 (line) and P50 (hollow points) of each group against `x` of a row.
pub(super) fn series(r: &RunReport, x: fn(&HotSplitRow) -> f64) -> Vec<Series> {
    let groups = groups(r);
    let colors = shades(r, &groups.iter().map(|g| g.1.as_str()).collect::<Vec<_>>());
    let mut out = Vec::new();
    for ((label, _, rows), color) in groups.iter().zip(colors) {
        let mut p99: Vec<(f64, f64)> = rows.iter().map(|h| (x(h), h.latency.p99_ms)).collect();
        let mut p50: Vec<(f64, f64)> = rows.iter().map(|h| (x(h), h.latency.p50_ms)).collect();
        p99.sort_by(|a, b| a.0.total_cmp(&b.0));
        p50.sort_by(|a, b| a.0.total_cmp(&b.0));
        out.push(Series { label: format!("{label} p99"), color, mark: Mark::LinePoints, points: p99 });
        out.push(Series { label: format!("{label} p50"), color, mark: Mark::Points(false), points: p50 });
    }
    out
}

pub(super) fn by_cache_score(r: &RunReport) -> Panel {
    let series = series(r, |h| h.cache_score);
    let ymax = top(series.iter().flat_map(|s| s.points.iter().map(|p| p.1)), 0.0);
    let mut x = linear("cache score (share of the request's entities that drew a hot key)", 0.0, 1.0);
    // Keep points at 0 and 1 off the plot's edges.
    x.min -= 0.04;
    x.max += 0.04;
    Panel { caption: None, x, y: linear("response time (ms)", 0.0, ymax * 1.1), series, slas: Vec::new() }
}
