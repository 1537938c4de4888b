//! SVG charts of a run: drawn from the report alone, so that
//! `benchplan report` rebuilds them byte for byte.
//!
//! [`list`] says which charts a report has (cheap: summary.md links them),
//! [`render`] draws one with plotters' SVG backend. A chart whose data is
//! absent is not listed. Every series, and every SLA line, is named in a
//! legend below the plot (SVG `<text>`).

use super::assemble::file_safe;
use super::hgrm;
use super::model::{ResultRow, RunReport};
use crate::scenario::check::{self, Op};
use crate::scenario::{cell_label, scalar_text};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::Shift;
use plotters::prelude::*;
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

const WIDTH: u32 = 900;
const HEIGHT: u32 = 540;
const FONT: &str = "sans-serif";

/// Series colours (Tableau 10 without its red, kept for SLA lines).
const PALETTE: [RGBColor; 10] = [
    RGBColor(0x4e, 0x79, 0xa7),
    RGBColor(0xf2, 0x8e, 0x2b),
    RGBColor(0x59, 0xa1, 0x4f),
    RGBColor(0xb0, 0x7a, 0xa1),
    RGBColor(0x76, 0xb7, 0xb2),
    RGBColor(0x9c, 0x75, 0x5f),
    RGBColor(0xff, 0x9d, 0xa7),
    RGBColor(0xed, 0xc9, 0x48),
    RGBColor(0x1f, 0x3a, 0x5f),
    RGBColor(0xba, 0xb0, 0xac),
];
const SLA_COLOR: RGBColor = RGBColor(0xd6, 0x27, 0x28);

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

/// The matrix values of a row's param, and whether every one is a number.
fn param_values(rows: &[&ResultRow], param: &str) -> Vec<Value> {
    distinct(rows.iter().filter_map(|x| x.cell.get(param).cloned()))
}

/// Every chart the report has data for, in a fixed order: percentile
/// distributions per phase, P99 per matrix param and phase, throughput and
/// P99 over time per backend and phase, latency against cache hit ratio,
/// cost against P99.
pub fn list(r: &RunReport) -> Vec<Chart> {
    let mut out: Vec<(String, String, Kind)> = Vec::new();
    for phase in distinct(r.histograms.iter().map(|h| h.phase.clone())) {
        out.push((format!("latency-{}", file_safe(&phase)), format!("Latency by percentile, phase {phase}"), Kind::Percentiles { phase }));
    }
    for param in &r.matrix_params {
        for phase in phases(r) {
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
        for phase in distinct(r.timeseries.iter().filter(|t| t.backend == backend).map(|t| t.phase.clone())) {
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
    if r.rows.iter().any(|x| x.cache.is_some() && measured(x)) {
        out.push(("latency-by-cache-hit-ratio".into(), "Latency against cache hit ratio (EXPLAIN samples)".into(), Kind::Cache));
    }
    if r.rows.iter().any(|x| x.cost_per_million_usd.is_some() && measured(x)) {
        out.push(("cost-by-p99".into(), "Cost per million requests against P99 latency".into(), Kind::Cost));
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
    let panels = match &c.kind {
        Kind::Percentiles { phase } => vec![percentiles(r, phase)?],
        Kind::P99ByParam { param, phase } => vec![p99_by_param(r, param, phase)],
        Kind::OverTime { backend, phase } => over_time(r, backend, phase),
        Kind::Cache => vec![cache(r)],
        Kind::Cost => vec![cost(r)],
    };
    draw(&c.title, &panels)
}

// ---------------------------------------------------------------- the data

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mark {
    Line,
    LinePoints,
    /// Filled or hollow circles.
    Points(bool),
    /// A dashed SLA line.
    Sla,
}

struct Series {
    label: String,
    color: RGBColor,
    mark: Mark,
    points: Vec<(f64, f64)>,
}

struct Axis {
    desc: String,
    min: f64,
    max: f64,
    /// Tick positions and their labels.
    ticks: Vec<(f64, String)>,
}

struct Panel {
    caption: Option<String>,
    x: Axis,
    y: Axis,
    series: Vec<Series>,
    /// Horizontal dashed lines: (label, y).
    slas: Vec<(String, f64)>,
}

fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// The colour of a backend: the same in every chart of the run.
fn backend_color(r: &RunReport, backend: &str) -> RGBColor {
    let i = r.backends.iter().position(|b| b.name == backend).unwrap_or(r.backends.len());
    color(i)
}

/// The colours of a chart's series, given the backend of each: a backend
/// with one series has its own colour; one with several (its cells, in
/// matrix order) has shades of it from dark to light, so that backends are
/// told apart by hue and a backend's cells by lightness, in order.
fn shades(r: &RunReport, backends: &[&str]) -> Vec<RGBColor> {
    backends
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let j = backends[..i].iter().filter(|x| *x == b).count();
            let n = backends.iter().filter(|x| *x == b).count();
            let t = if n > 1 { -0.45 + 0.9 * j as f64 / (n - 1) as f64 } else { 0.0 };
            let RGBColor(red, green, blue) = backend_color(r, b);
            // Towards black (t < 0) or white (t > 0): the hue stays.
            let mix = |c: u8| {
                let c = f64::from(c);
                let v = if t < 0.0 { c * (1.0 + t) } else { c + (255.0 - c) * t };
                v.round().clamp(0.0, 255.0) as u8
            };
            RGBColor(mix(red), mix(green), mix(blue))
        })
        .collect()
}

/// A number with as many decimals as `step` needs (and no "-0").
fn num(v: f64, step: f64) -> String {
    let d = if step >= 1.0 || step <= 0.0 { 0 } else { (-step.log10() - 1e-9).ceil().clamp(0.0, 6.0) as usize };
    let s = format!("{v:.d$}");
    if s.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') {
        s.trim_start_matches('-').to_string()
    } else {
        s
    }
}

/// A linear axis from `lo` to a round number at or above `hi`, with about
/// five ticks at 1, 2 or 5 × 10^k.
fn linear(desc: &str, lo: f64, hi: f64) -> Axis {
    ticked(desc, lo, hi, 0.0)
}

/// [`linear`] with ticks at least `min_step` apart.
fn ticked(desc: &str, lo: f64, hi: f64, min_step: f64) -> Axis {
    let (lo, hi) = if hi.is_finite() && lo.is_finite() && hi > lo { (lo, hi) } else { (lo.min(0.0), lo.max(0.0) + 1.0) };
    let raw = (hi - lo) / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag).max(min_step);
    let first = (lo / step + 1e-9).floor();
    let last = (hi / step - 1e-9).ceil();
    let ticks: Vec<(f64, String)> =
        (0..=((last - first) as i64).max(1)).map(|i| (first + i as f64) * step).map(|v| (v, num(v, step))).collect();
    let min = ticks.first().map_or(lo, |t| t.0);
    let max = ticks.last().map_or(hi, |t| t.0);
    Axis { desc: desc.into(), min, max, ticks }
}

/// The greatest value, at least `floor`.
fn top(values: impl Iterator<Item = f64>, floor: f64) -> f64 {
    values.filter(|v| v.is_finite()).fold(floor, f64::max)
}

/// `p99_ms < N` (or `<=`) checks that applied to `phase` (and `backend`),
/// as (label, N), in check order.
fn p99_slas(r: &RunReport, phase: &str, backend: Option<&str>) -> Vec<(String, f64)> {
    distinct(
        r.checks
            .iter()
            .filter(|c| c.phase == phase && backend.is_none_or(|b| c.backend == b))
            .filter_map(|c| check::parse(&c.check).ok())
            .filter(|e| e.metric == "p99_ms" && matches!(e.op, Op::Lt | Op::Le) && e.value.is_finite())
            .map(|e| (format!("SLA {e}"), e.value)),
    )
}

/// SLA lines far above the data (more than 3 times its top) would squash
/// the data onto the axis: they stay in the legend, marked, but are not drawn
/// (y = NaN) and do not stretch the axis.
fn fit_slas(slas: Vec<(String, f64)>, data_max: f64) -> Vec<(String, f64)> {
    slas.into_iter()
        .map(|(label, y)| if data_max > 0.0 && y > 3.0 * data_max { (format!("{label} (above the plot)"), f64::NAN) } else { (label, y) })
        .collect()
}

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

/// Percentile `1 - 10^-k` as text: 0%, 90%, 99%, 99.9%, ...
fn percentile_label(k: f64) -> String {
    let k = k.round().max(0.0) as usize;
    match k {
        0 => "0%".into(),
        1 => "90%".into(),
        _ => format!("99{}%", if k > 2 { format!(".{}", "9".repeat(k - 2)) } else { String::new() }),
    }
}

fn percentiles(r: &RunReport, phase: &str) -> Result<Panel, String> {
    let recs: Vec<_> = r.histograms.iter().filter(|h| h.phase == phase).collect();
    let many_cells = distinct(recs.iter().map(|h| h.cell.as_str())).len() > 1;
    let mut series = Vec::new();
    let colors = shades(r, &recs.iter().map(|h| h.backend.as_str()).collect::<Vec<_>>());
    for (h, color) in recs.iter().zip(colors) {
        let hist = hgrm::decode(&h.data)?;
        let mut points = Vec::new();
        if !hist.is_empty() {
            for v in hist.iter_quantiles(5) {
                let q = v.quantile_iterated_to();
                if q < 1.0 {
                    points.push(((1.0 / (1.0 - q)).log10(), v.value_iterated_to() as f64 / 1e6));
                }
            }
        }
        let mut label = h.backend.clone();
        if many_cells {
            label = format!("{label} {}", h.cell);
        }
        if h.measure != "response" {
            label = format!("{label} ({} time)", h.measure);
        }
        series.push(Series { label, color, mark: Mark::Line, points });
    }
    let xmax = top(series.iter().flat_map(|s| s.points.iter().map(|p| p.0)), 2.0).ceil().min(7.0);
    for s in &mut series {
        s.points.retain(|p| p.0 <= xmax);
    }
    let ymax = top(series.iter().flat_map(|s| s.points.iter().map(|p| p.1)), 0.0);
    let ticks = (0..=xmax as usize).map(|k| (k as f64, percentile_label(k as f64))).collect();
    Ok(Panel {
        caption: None,
        x: Axis { desc: "percentile (log scale of 1/(1-p))".into(), min: 0.0, max: xmax, ticks },
        y: linear("latency (ms)", 0.0, ymax * 1.05),
        series,
        slas: Vec::new(),
    })
}

fn p99_by_param(r: &RunReport, param: &str, phase: &str) -> Panel {
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

fn over_time(r: &RunReport, backend: &str, phase: &str) -> Vec<Panel> {
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

fn cache(r: &RunReport) -> Panel {
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

fn cost(r: &RunReport) -> Panel {
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

// ------------------------------------------------------------- the drawing

fn err<E: std::fmt::Display>(e: E) -> String {
    format!("cannot draw chart: {e}")
}

/// A legend entry: one per distinct series of the chart's panels.
#[derive(PartialEq)]
struct Entry<'a> {
    label: &'a str,
    color: RGBColor,
    mark: Mark,
}

fn entries(panels: &[Panel]) -> Vec<Entry<'_>> {
    distinct(panels.iter().flat_map(|p| {
        let series = p.series.iter().map(|s| Entry { label: &s.label, color: s.color, mark: s.mark });
        series.chain(p.slas.iter().map(|(label, _)| Entry { label, color: SLA_COLOR, mark: Mark::Sla }))
    }))
}

const LEGEND_ROW: i32 = 22;

/// Legend columns and rows for `n` entries whose longest label has `chars` characters.
fn legend_grid(n: usize, chars: usize) -> (usize, usize, i32) {
    // About 7 px per character at the legend's font size, 40 px for the marker and a gap.
    let col = (chars as i32 * 7 + 44).min(WIDTH as i32 - 40);
    let cols = (((WIDTH as i32 - 40) / col.max(1)) as usize).clamp(1, n.max(1));
    (cols, n.div_ceil(cols), col)
}

fn draw(title: &str, panels: &[Panel]) -> Result<Vec<u8>, String> {
    let legend = entries(panels);
    let (cols, rows, col) = legend_grid(legend.len(), legend.iter().map(|e| e.label.chars().count()).max().unwrap_or(0));
    let legend_h = if legend.is_empty() { 0 } else { rows as u32 * LEGEND_ROW as u32 + 16 };
    let plots_h = if panels.len() > 1 { (HEIGHT - 80) * panels.len() as u32 / 2 + 40 } else { HEIGHT };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, plots_h + legend_h)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let area = root.titled(title, (FONT, 22)).map_err(err)?;
        let (plots, key) = area.split_vertically(area.dim_in_pixel().1.saturating_sub(legend_h));
        for (a, p) in plots.split_evenly((panels.len().max(1), 1)).iter().zip(panels) {
            draw_panel(a, p)?;
        }
        draw_legend(&key, &legend, cols, col)?;
        root.present().map_err(err)?;
    }
    Ok(svg.into_bytes())
}

/// The legend, below the plots: a marker and the series' name per entry.
fn draw_legend(area: &DrawingArea<SVGBackend<'_>, Shift>, legend: &[Entry<'_>], cols: usize, col: i32) -> Result<(), String> {
    use plotters::element::DashedPathElement;
    use plotters::style::text_anchor::{HPos, Pos, VPos};
    let font = TextStyle::from((FONT, 15).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    let left = (WIDTH as i32 - cols as i32 * col) / 2;
    for (i, e) in legend.iter().enumerate() {
        let (x, y) = (left + (i % cols) as i32 * col, 8 + LEGEND_ROW / 2 + (i / cols) as i32 * LEGEND_ROW);
        let line = e.color.stroke_width(2);
        match e.mark {
            Mark::Line => area.draw(&PathElement::new(vec![(x, y), (x + 28, y)], line)).map_err(err)?,
            Mark::LinePoints => {
                area.draw(&PathElement::new(vec![(x, y), (x + 28, y)], line)).map_err(err)?;
                area.draw(&Circle::new((x + 14, y), 3, line)).map_err(err)?;
            }
            Mark::Points(filled) => area.draw(&Circle::new((x + 14, y), 5, if filled { e.color.filled() } else { line })).map_err(err)?,
            Mark::Sla => area.draw(&DashedPathElement::new(vec![(x, y), (x + 28, y)], 7, 4, line)).map_err(err)?,
        }
        area.draw(&Text::new(e.label.to_string(), (x + 36, y), font.clone())).map_err(err)?;
    }
    Ok(())
}

/// The label of the tick at `v`, or `v` itself between ticks.
fn tick_label(ticks: &[(f64, String)], v: f64) -> String {
    ticks.iter().find(|t| (t.0 - v).abs() <= 1e-9 * (1.0 + v.abs())).map_or_else(|| format!("{v}"), |t| t.1.clone())
}

/// A linear f64 coordinate whose ticks are the axis' own (plotters' f64
/// range picks its own and has no default label format).
struct Ticked {
    min: f64,
    max: f64,
    ticks: Vec<f64>,
}

impl Ticked {
    fn of(a: &Axis) -> Self {
        Ticked { min: a.min, max: a.max, ticks: a.ticks.iter().map(|t| t.0).collect() }
    }
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let len = limit.1 - limit.0;
        if self.max <= self.min || len == 0 {
            return limit.0 + len / 2;
        }
        let at = ((*v - self.min) / (self.max - self.min)).clamp(-10.0, 10.0);
        limit.0 + (len as f64 * at).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.min..self.max
    }
}

fn draw_panel(area: &DrawingArea<SVGBackend<'_>, Shift>, p: &Panel) -> Result<(), String> {
    let mut b = ChartBuilder::on(area);
    b.margin(14).margin_right(28).x_label_area_size(48).y_label_area_size(72);
    if let Some(c) = &p.caption {
        b.caption(c, (FONT, 16));
    }
    let mut chart = b.build_cartesian_2d(Ticked::of(&p.x), Ticked::of(&p.y)).map_err(err)?;
    let xf = |v: &f64| tick_label(&p.x.ticks, *v);
    let yf = |v: &f64| tick_label(&p.y.ticks, *v);
    chart
        .configure_mesh()
        .x_desc(p.x.desc.as_str())
        .y_desc(p.y.desc.as_str())
        .x_label_formatter(&xf)
        .y_label_formatter(&yf)
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 15))
        .bold_line_style(RGBColor(0xe4, 0xe4, 0xe4))
        .axis_style(RGBColor(0x60, 0x60, 0x60))
        .draw()
        .map_err(err)?;
    for s in &p.series {
        let line = s.color.stroke_width(2);
        match s.mark {
            Mark::Line | Mark::Sla => chart.draw_series(LineSeries::new(s.points.iter().copied(), line)).map_err(err)?,
            Mark::LinePoints => chart.draw_series(LineSeries::new(s.points.iter().copied(), line).point_size(3)).map_err(err)?,
            Mark::Points(filled) => {
                let style = if filled { s.color.filled() } else { line };
                chart.draw_series(s.points.iter().map(|&xy| Circle::new(xy, 5, style))).map_err(err)?
            }
        };
    }
    for (_, y) in p.slas.iter().filter(|(_, y)| y.is_finite()) {
        chart.draw_series(DashedLineSeries::new(vec![(p.x.min, *y), (p.x.max, *y)], 8, 6, SLA_COLOR.stroke_width(2))).map_err(err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_labels() {
        let l: Vec<String> = (0..5).map(|k| percentile_label(k as f64)).collect();
        assert_eq!(l, ["0%", "90%", "99%", "99.9%", "99.99%"]);
    }

    #[test]
    fn linear_axes_end_on_round_ticks() {
        let a = linear("ms", 0.0, 13.2);
        let t: Vec<&str> = a.ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(t, ["0", "5", "10", "15"]);
        assert_eq!((a.min, a.max), (0.0, 15.0));
        let b = linear("ratio", 0.9, 1.0);
        assert_eq!(b.ticks.first().map(|t| t.1.as_str()), Some("0.90"));
        assert_eq!(b.ticks.last().map(|t| t.1.as_str()), Some("1.00"));
        let flat = linear("x", 0.0, 0.0);
        assert!(flat.max > flat.min);
    }
}
