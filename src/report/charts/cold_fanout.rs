//! Cold fan-out: request latency by how many of its entities drew a cold
//! key (entities - hot entities), P99 and P50 per backend, phase, cell and
//! entity count.

use super::by_cache_score::series;
use super::panel::{ticked, top, Panel};
use crate::report::model::RunReport;

pub(super) fn cold_fanout(r: &RunReport) -> Panel {
    let series = series(r, |h| f64::from(h.entities - h.hot_entities.min(h.entities)));
    let xmax = super::by_cache_score::drawn(r).map(|h| f64::from(h.entities)).fold(1.0, f64::max);
    let ymax = top(series.iter().flat_map(|s| s.points.iter().map(|p| p.1)), 0.0);
    let mut x = ticked("cold entities (entities of the request that drew a cold key)", 0.0, xmax, 1.0);
    x.min -= 0.1;
    x.max += 0.1;
    Panel { caption: None, x, y: super::panel::linear("response time (ms)", 0.0, ymax * 1.1), series, slas: Vec::new() }
}
