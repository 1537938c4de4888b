//! Throughput against recall (the ann-benchmarks view): a line per backend
//! and phase through its `vector_search` rows (one per matrix cell, e.g.
//! per `hnsw.ef_search`); up and to the right is better.

use super::colors::shades;
use super::panel::{linear, top, Mark, Panel, Series};
use super::{distinct, measured};
use crate::report::model::{ResultRow, RunReport};

pub(super) fn recall(r: &RunReport) -> Panel {
    let rows: Vec<&ResultRow> = r.rows.iter().filter(|x| x.recall.is_some() && measured(x)).collect();
    let keys = distinct(rows.iter().map(|x| (x.backend.clone(), x.phase.clone())));
    let many_phases = distinct(keys.iter().map(|k| k.1.as_str())).len() > 1;
    let colors = shades(r, &keys.iter().map(|k| k.0.as_str()).collect::<Vec<_>>());
    let series: Vec<Series> = keys
        .iter()
        .zip(colors)
        .map(|((backend, phase), color)| {
            let mut points: Vec<(f64, f64)> = rows
                .iter()
                .filter(|x| &x.backend == backend && &x.phase == phase)
                .filter_map(|x| x.recall.map(|rc| (rc.recall_at_k, x.throughput_rps)))
                .collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            let label = if many_phases { format!("{backend} {phase}") } else { backend.clone() };
            Series { label, color, mark: Mark::LinePoints, points }
        })
        .collect();
    let low = series.iter().flat_map(|s| s.points.iter().map(|p| p.0)).fold(1.0, f64::min);
    let xmin = ((low - 0.05) * 20.0).floor().max(0.0) / 20.0;
    let ymax = top(series.iter().flat_map(|s| s.points.iter().map(|p| p.1)), 0.0);
    Panel {
        caption: None,
        x: linear("recall@k", xmin.min(0.95), 1.0),
        y: linear("throughput (requests/s)", 0.0, ymax * 1.1),
        series,
        slas: Vec::new(),
    }
}
