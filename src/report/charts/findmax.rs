//! findmax: P99 against the offered rate, a line per backend (and cell)
//! through its steps, with the phase's P99 SLA; the highest rate that met
//! the checks is named in the legend.

use super::colors::shades;
use super::panel::{fit_slas, linear, p99_slas, top, Mark, Panel, Series};
use crate::report::model::RunReport;
use crate::scenario::cell_label;

pub(super) fn findmax(r: &RunReport, phase: &str) -> Panel {
    let outcomes: Vec<_> = r.findmax.iter().filter(|o| o.phase == phase).collect();
    let colors = shades(r, &outcomes.iter().map(|o| o.backend.as_str()).collect::<Vec<_>>());
    let series: Vec<Series> = outcomes
        .iter()
        .zip(colors)
        .map(|(o, color)| {
            let mut points: Vec<(f64, f64)> = o.steps.iter().map(|s| (s.rate, s.p99_ms)).collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            let cell = cell_label(&o.cell);
            let who = if cell == "-" { o.backend.clone() } else { format!("{} [{cell}]", o.backend) };
            let answer = o.max_rps.map_or("none met the checks".to_string(), |m| format!("max {m} req/s"));
            Series { label: format!("{who}: {answer}"), color, mark: Mark::LinePoints, points }
        })
        .collect();
    // The SLA of the row each outcome's checks were reported on.
    let mut slas = Vec::new();
    for o in &outcomes {
        if let Some(row) = o.max_phase.as_ref().or(o.steps.first().map(|s| &s.phase)) {
            for sla in p99_slas(r, row, Some(&o.backend)) {
                if !slas.contains(&sla) {
                    slas.push(sla);
                }
            }
        }
    }
    let data_top = top(series.iter().flat_map(|s| s.points.iter().map(|p| p.1)), 0.0);
    let slas = fit_slas(slas, data_top);
    let ymax = top(series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).chain(slas.iter().map(|s| s.1)), 0.0);
    let xmax = top(series.iter().flat_map(|s| s.points.iter().map(|p| p.0)), 0.0);
    Panel {
        caption: None,
        x: linear("offered rate (requests/s)", 0.0, xmax * 1.05),
        y: linear("p99 latency (ms)", 0.0, ymax * 1.1),
        series,
        slas,
    }
}
