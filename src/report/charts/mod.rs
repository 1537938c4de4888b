//! SVG charts of a run: drawn from the report alone, so that
//! `benchplan report` rebuilds them byte for byte.
//!
//! [`list`] says which charts a report has (cheap: summary.md links them),
//! [`render`] draws one with plotters' SVG backend. A chart whose data is
//! absent is not listed. Every series, and every SLA line, is named in a
//! legend below the plot (SVG `<text>`).
//!
//! By file: one per kind of chart (`percentiles`, `p99_by_param`,
//! `over_time`, `cache`, `recall`, `cost`, `by_cache_score`, `cold_fanout`, `io_by_skew`, `findmax`, `break_even`, `entity_heatmap`), each turning the report into `Panel`s of
//! series; `panel` (the panel, its axes and SLA lines), `colors`, and `draw`
//! (panels -> SVG, with the legend).

mod break_even;
mod by_cache_score;
mod cache;
mod cold_fanout;
mod colors;
mod cost;
mod draw;
mod entity_heatmap;
mod findmax;
mod io_by_skew;
mod over_time;
mod p99_by_param;
mod panel;
mod percentiles;
mod recall;

use super::assemble::file_safe;
use super::model::{ResultRow, RunReport};
use panel::Panel;
use serde_json::Value;

/// Which data a chart draws.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// HDR-style percentile distribution of every histogram of a phase.
    Percentiles { phase: String },
    /// P99 of a run phase against one matrix param, one line per backend.
    P99ByParam { param: String, phase: String },
    /// Requests and P99 per second of one backend's phase.
    OverTime { backend: String, phase: String },
    /// P50 and P99 against the EXPLAIN samples' cache hit ratio.
    Cache,
    /// USD per million requests against P99.
    Cost,
    /// Throughput against a vector search's recall.
    Recall,
    /// P99 and P50 by the requests' cache score (the split by hot entities).
    ByCacheScore,
    /// P99 and P50 by the requests' number of cold entities.
    ColdFanout,
    /// Blocks read per request (EXPLAIN samples) by the hot key share.
    IoBySkew,
    /// P99 against the offered rate of a findmax phase's steps.
    Findmax { phase: String },
    /// The rate at which two backends cost the same, by the hot key share.
    BreakEvenBySkew,
    /// P99 per entity (rows) and matrix cell (columns) of one backend's phase.
    EntityHeatmap { backend: String, phase: String },
}

/// One chart of a run folder: `charts/<file>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// File name (sanitised, unique in the run), e.g. `latency-serve.svg`.
    pub file: String,
    /// Title, drawn on the chart and used as the link text in summary.md.
    pub title: String,
    kind: Kind,
}

/// Values in first-appearance order, without repeats.
fn distinct<T: PartialEq>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for x in items {
        if !out.contains(&x) {
            out.push(x);
        }
    }
    out
}

/// Run phases in the order of the result rows.
fn phases(r: &RunReport) -> Vec<String> {
    distinct(r.rows.iter().map(|x| x.phase.clone()))
}

/// Rows with at least one successful request (the others have no latency).
fn measured(row: &ResultRow) -> bool {
    row.requests > row.errors
}

/// Whether the matrix param changes the phase (`matrix_scope`; a run.json
/// without it: every phase). A chart of a phase the param does not change
/// would show noise as a trend.
fn affects(r: &RunReport, param: &str, phase: &str) -> bool {
    r.matrix_scope.as_ref().and_then(|s| s.get(param)).is_none_or(|phases| phases.iter().any(|p| p == phase))
}

/// The values `rows` have for the matrix param `param`, without repeats.
fn param_values(rows: &[&ResultRow], param: &str) -> Vec<Value> {
    distinct(rows.iter().filter_map(|x| x.cell.get(param).cloned()))
}

/// Every chart the report has data for, in a fixed order: percentile
/// distributions per phase, P99 per matrix param and phase it affects, throughput and
/// P99 over time per backend and phase, latency against cache hit ratio,
/// throughput against recall, latency by cache score and by cold entities,
/// blocks read by hot key share, cost against P99.
pub fn list(r: &RunReport) -> Vec<Chart> {
    let mut out: Vec<(String, String, Kind)> = Vec::new();
    // Of a findmax search's steps, only the highest passing one gets the
    // per-phase charts (the findmax chart shows them all).
    let other_step =
        |phase: &str| r.findmax.iter().any(|o| o.steps.iter().any(|s| s.phase == phase) && o.max_phase.as_deref() != Some(phase));
    for phase in distinct(r.histograms.iter().map(|h| h.phase.clone())).into_iter().filter(|p| !other_step(p)) {
        out.push((format!("latency-{}", file_safe(&phase)), format!("Latency by percentile, phase {phase}"), Kind::Percentiles { phase }));
    }
    for param in &r.matrix_params {
        for phase in phases(r).into_iter().filter(|p| affects(r, param, p)) {
            let rows: Vec<&ResultRow> = r.rows.iter().filter(|x| x.phase == phase && measured(x)).collect();
            if param_values(&rows, param).len() < 2 {
                continue;
            }
            out.push((
                format!("p99-by-{}-{}", file_safe(param), file_safe(&phase)),
                format!("P99 latency by {param}, phase {phase}"),
                Kind::P99ByParam { param: param.clone(), phase },
            ));
        }
    }
    for backend in distinct(r.timeseries.iter().map(|t| t.backend.clone())) {
        for phase in
            distinct(r.timeseries.iter().filter(|t| t.backend == backend).map(|t| t.phase.clone())).into_iter().filter(|p| !other_step(p))
        {
            // A phase shorter than two seconds has nothing to show over time.
            let ts = || r.timeseries.iter().filter(|t| t.backend == backend && t.phase == phase);
            if !distinct(ts().map(|t| t.cell.as_str())).into_iter().any(|c| ts().filter(|t| t.cell == c).count() >= 2) {
                continue;
            }
            out.push((
                format!("over-time-{}-{}", file_safe(&backend), file_safe(&phase)),
                format!("Requests and P99 per second, {backend}, phase {phase}"),
                Kind::OverTime { backend: backend.clone(), phase },
            ));
        }
    }
    for phase in distinct(r.findmax.iter().filter(|o| !o.steps.is_empty()).map(|o| o.phase.clone())) {
        out.push((
            format!("findmax-{}", file_safe(&phase)),
            format!("Findmax: P99 latency by offered rate, phase {phase}"),
            Kind::Findmax { phase },
        ));
    }
    if r.rows.iter().any(|x| x.cache.is_some() && measured(x)) {
        out.push(("latency-by-cache-hit-ratio".into(), "Latency against cache hit ratio (EXPLAIN samples)".into(), Kind::Cache));
    }
    if r.rows.iter().any(|x| x.recall.is_some() && measured(x)) {
        out.push(("throughput-by-recall".into(), "Throughput against recall@k (vector search)".into(), Kind::Recall));
    }
    // Requests with at least two cache scores (a split with one row shows nothing).
    if by_cache_score::drawn(r).count() >= 2 {
        out.push(("latency-by-cache-score".into(), "Request latency by cache score".into(), Kind::ByCacheScore));
    }
    if by_cache_score::drawn(r).any(|h| h.entities >= 2) {
        out.push(("latency-by-cold-entities".into(), "Cold fan-out: request latency by number of cold entities".into(), Kind::ColdFanout));
    }
    if !io_by_skew::rows(r).is_empty() {
        out.push(("io-by-hot-key-share".into(), "I/O per request by skew (EXPLAIN samples)".into(), Kind::IoBySkew));
    }
    if r.rows.iter().any(|x| x.cost_per_million_usd.is_some() && measured(x)) {
        out.push(("cost-by-p99".into(), "Cost per million requests against P99 latency".into(), Kind::Cost));
    }
    for (backend, phase) in entity_heatmap::drawn(r) {
        out.push((
            format!("entity-p99-{}-{}", file_safe(&backend), file_safe(&phase)),
            format!("P99 per entity and cell, {backend}, phase {phase}"),
            Kind::EntityHeatmap { backend, phase },
        ));
    }
    if break_even::drawn(r) {
        out.push((
            "break-even-by-hot-key-share".into(),
            "Break-even request rate by skew (cost.target_rps projections)".into(),
            Kind::BreakEvenBySkew,
        ));
    }
    // Sanitised names can collide ("a b" and "a-b"): number the later ones.
    let mut used: Vec<String> = Vec::new();
    out.into_iter()
        .map(|(stem, title, kind)| {
            let mut file = format!("{stem}.svg");
            let mut n = 2;
            while used.contains(&file) {
                file = format!("{stem}-{n}.svg");
                n += 1;
            }
            used.push(file.clone());
            Chart { file, title, kind }
        })
        .collect()
}

/// Draws one chart of [`list`] as SVG bytes.
pub fn render(r: &RunReport, c: &Chart) -> Result<Vec<u8>, String> {
    let panels: Vec<Panel> = match &c.kind {
        Kind::Percentiles { phase } => vec![percentiles::percentiles(r, phase)?],
        Kind::P99ByParam { param, phase } => vec![p99_by_param::p99_by_param(r, param, phase)],
        Kind::OverTime { backend, phase } => over_time::over_time(r, backend, phase),
        Kind::Cache => vec![cache::cache(r)],
        Kind::Cost => vec![cost::cost(r)],
        Kind::Recall => vec![recall::recall(r)],
        Kind::ByCacheScore => vec![by_cache_score::by_cache_score(r)],
        Kind::ColdFanout => vec![cold_fanout::cold_fanout(r)],
        Kind::IoBySkew => vec![io_by_skew::io_by_skew(r)],
        Kind::Findmax { phase } => vec![findmax::findmax(r, phase)],
        Kind::BreakEvenBySkew => vec![break_even::break_even_by_skew(r)],
        Kind::EntityHeatmap { backend, phase } => vec![entity_heatmap::entity_heatmap(r, backend, phase)],
    };
    draw::draw(&c.title, &panels)
}
