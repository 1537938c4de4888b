//! Requests and P99 per second of one backend's phase: two panels.

use super::colors::shades;
use super::distinct;
use super::panel::{fit_slas, linear, p99_slas, ticked, top, Mark, Panel, Series};
use crate::report::model::RunReport;
use crate::scenario::cell_label;

pub(super) fn over_time(r: &RunReport, backend: &str, phase: &str) -> Vec<Panel> {
    let ts: Vec<_> = r.timeseries.iter().filter(|t| t.backend == backend && t.phase == phase).collect();
    let cells = distinct(ts.iter().map(|t| t.cell.clone()));
    let label = |cell: &str| if cell == "-" { backend.to_string() } else { format!("{backend} {cell}") };
    let colors = shades(r, &vec![backend; cells.len()]);
    let phase_secs =
        |cell: &str| r.rows.iter().find(|x| x.backend == backend && x.phase == phase && cell_label(&x.cell) == cell).map(|x| x.duration_s);
    let rps: Vec<Series> = cells
        .iter()
        .enumerate()
        .map(|(i, c)| Series {
            label: label(c),
            color: colors[i],
            mark: Mark::LinePoints,
            points: ts
                .iter()
                .filter(|t| &t.cell == c)
                .filter_map(|t| {
                    // The phase's last second is partial: its rate is over the part
                    // that ran, and is left out when that part is too short to tell.
                    let span = phase_secs(c).map_or(1.0, |d| (d - t.second as f64).min(1.0));
                    (span >= 0.25).then(|| (t.second as f64, t.requests as f64 / span))
                })
                .collect(),
        })
        .collect();
    let p99: Vec<Series> = cells
        .iter()
        .enumerate()
        .map(|(i, c)| Series {
            label: label(c),
            color: colors[i],
            mark: Mark::LinePoints,
            points: ts.iter().filter(|t| &t.cell == c).filter_map(|t| t.p99_ms.map(|p| (t.second as f64, p))).collect(),
        })
        .collect();
    let seconds = ts.iter().map(|t| t.second as f64);
    let (lo, hi) = (seconds.clone().fold(f64::INFINITY, f64::min), top(seconds, 0.0));
    let lo = if lo.is_finite() { lo } else { 0.0 };
    let x = || ticked("time (s since the phase started)", lo, hi.max(lo + 1.0), 1.0);
    let slas = fit_slas(p99_slas(r, phase, Some(backend)), top(p99.iter().flat_map(|s| s.points.iter().map(|p| p.1)), 0.0));
    let rmax = top(rps.iter().flat_map(|s| s.points.iter().map(|p| p.1)), 0.0);
    let pmax = top(p99.iter().flat_map(|s| s.points.iter().map(|p| p.1)).chain(slas.iter().map(|s| s.1)), 0.0);
    vec![
        Panel {
            caption: Some("throughput".into()),
            x: x(),
            y: linear("throughput (req/s)", 0.0, rmax * 1.1),
            series: rps,
            slas: Vec::new(),
        },
        Panel {
            caption: Some("p99 latency, per second".into()),
            x: x(),
            y: linear("p99 latency (ms)", 0.0, pmax * 1.1),
            series: p99,
            slas,
        },
    ]
}
