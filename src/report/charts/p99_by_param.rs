//! P99 of a run phase against one matrix param, one line per backend (and cell).

use super::colors::shades;
use super::panel::{fit_slas, linear, p99_slas, top, Axis, Mark, Panel, Series};
use super::{distinct, measured, param_values};
use crate::report::model::{ResultRow, RunReport};
use crate::scenario::scalar_text;
use serde_json::Value;

/// A legend label for a row: its backend, and its cell when `others` (the
/// matrix params the chart does not show on an axis) are set.
fn row_label(row: &ResultRow, others: &[&String]) -> String {
    let parts: Vec<String> = others.iter().filter_map(|p| row.cell.get(p.as_str()).map(|v| format!("{p}={}", scalar_text(v)))).collect();
    if parts.is_empty() {
        row.backend.clone()
    } else {
        format!("{} {}", row.backend, parts.join(" "))
    }
}

pub(super) fn p99_by_param(r: &RunReport, param: &str, phase: &str) -> Panel {
    let rows: Vec<&ResultRow> = r.rows.iter().filter(|x| x.phase == phase && measured(x)).collect();
    let values = param_values(&rows, param);
    let numeric = values.iter().all(|v| v.as_f64().is_some());
    // x of a value: the number itself, or its place in matrix order.
    let xof = |v: &Value| if numeric { v.as_f64().unwrap_or(0.0) } else { values.iter().position(|w| w == v).unwrap_or(0) as f64 };
    let others: Vec<&String> = r.matrix_params.iter().filter(|p| p.as_str() != param).collect();
    let keys = distinct(rows.iter().map(|x| (x.backend.clone(), row_label(x, &others))));
    let colors = shades(r, &keys.iter().map(|k| k.0.as_str()).collect::<Vec<_>>());
    let series: Vec<Series> = keys
        .iter()
        .zip(colors)
        .map(|((backend, label), color)| {
            let mut points: Vec<(f64, f64)> = rows
                .iter()
                .filter(|x| &x.backend == backend && &row_label(x, &others) == label)
                .filter_map(|x| x.cell.get(param).map(|v| (xof(v), x.latency.p99_ms)))
                .collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            Series { label: label.clone(), color, mark: Mark::LinePoints, points }
        })
        .collect();
    let slas = fit_slas(p99_slas(r, phase, None), top(series.iter().flat_map(|s| s.points.iter().map(|p| p.1)), 0.0));
    let mut ticks: Vec<(f64, String)> = values.iter().map(|v| (xof(v), scalar_text(v))).collect();
    ticks.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (lo, hi) = (ticks.first().map_or(0.0, |t| t.0), ticks.last().map_or(1.0, |t| t.0));
    let pad = if hi > lo { (hi - lo) * 0.05 } else { 0.5 };
    let ymax = top(series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).chain(slas.iter().map(|s| s.1)), 0.0);
    Panel {
        caption: None,
        x: Axis { desc: param.into(), min: lo - pad, max: hi + pad, ticks },
        y: linear("p99 latency (ms)", 0.0, ymax * 1.1),
        series,
        slas,
    }
}
