//! USD per million requests against P99, a point per result row.

use super::colors::shades;
use super::panel::{linear, top, Mark, Panel, Series};
use super::{distinct, measured};
use crate::report::model::{ResultRow, RunReport};
use crate::scenario::cell_label;

pub(super) fn cost(r: &RunReport) -> Panel {
    let rows: Vec<&ResultRow> = r.rows.iter().filter(|x| x.cost_per_million_usd.is_some() && measured(x)).collect();
    // A point per row, named by its backend and, where there are several,
    // its phase and cell, so that every dot can be read off the legend.
    let many_phases = distinct(rows.iter().map(|x| x.phase.as_str())).len() > 1;
    let many_cells = distinct(rows.iter().map(|x| &x.cell)).len() > 1;
    let label = |x: &ResultRow| {
        let mut l = x.backend.clone();
        if many_phases {
            l = format!("{l} {}", x.phase);
        }
        if many_cells {
            l = format!("{l} {}", cell_label(&x.cell));
        }
        l
    };
    let colors = shades(r, &rows.iter().map(|x| x.backend.as_str()).collect::<Vec<_>>());
    let series: Vec<Series> = rows
        .iter()
        .zip(colors)
        .map(|(x, color)| Series {
            label: label(x),
            color,
            mark: Mark::Points(true),
            points: x.cost_per_million_usd.map(|c| (x.latency.p99_ms, c)).into_iter().collect(),
        })
        .collect();
    let xmax = top(series.iter().flat_map(|s| s.points.iter().map(|p| p.0)), 0.0);
    let ymax = top(series.iter().flat_map(|s| s.points.iter().map(|p| p.1)), 0.0);
    Panel {
        caption: None,
        x: linear("p99 latency (ms)", 0.0, xmax * 1.1),
        y: linear("cost (USD per million requests)", 0.0, ymax * 1.1),
        series,
        slas: Vec::new(),
    }
}
