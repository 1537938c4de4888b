//! `benchplan compare BASE NEW`: deltas between two runs, and regressions.
//!
//! Rows are matched by backend, phase and matrix cell. A metric regresses
//! only when its change passes the relative threshold, *and* the absolute
//! minimum (latencies: `min_latency_delta_ms`), *and* a one-sided
//! significance test says the new run is worse: Welch's t-test over the
//! per-second samples of timeseries.csv (p50, p99, mean, p95, throughput,
//! rows/s; at least `min_samples` a side), or a two-proportion z-test for
//! the error rate. Cost per million requests is shown, not gated.

mod environment;
mod findmax;
mod markdown;
mod setup;
mod stats;

pub use environment::{differences, Difference};
pub(crate) use markdown::latency_gate;
pub use markdown::{markdown, p_clause, p_text};
pub use stats::{student_t_upper, welch_greater};

use super::hgrm;
use super::model::{ResultRow, RunReport, TsRow};
use crate::scenario::cell_label;
use hdrhistogram::Histogram;
use stats::{quantile_interval, two_proportions_greater};

/// When a change counts as a regression.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Throughput falling by more than this fraction (0.10 = 10 %).
    pub throughput_drop: f64,
    /// p50 / p99 rising by more than this fraction (0.15 = 15 %).
    pub latency_rise: f64,
    /// p50 / p99 rising by less than this many milliseconds is never a
    /// regression, whatever the relative change and the p-value: the
    /// smallest difference that matters in practice (per-second samples of
    /// two runs differ by run-wide effects the test cannot see).
    pub min_latency_delta_ms: f64,
    /// Error rate rising by more than this, absolute (0.01 = 1 percentage point).
    pub error_rate_rise: f64,
    /// The client's peak memory rising by more than this fraction (0.25 = 25 %).
    pub memory_rise: f64,
    /// `recall_at_k` falling by more than this, absolute (0.01 = 1 point).
    pub recall_drop: f64,
    /// Significance level of the one-sided tests.
    pub alpha: f64,
    /// Per-second samples each side needs before a change is tested (at least 2).
    pub min_samples: usize,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            throughput_drop: 0.10,
            latency_rise: 0.15,
            min_latency_delta_ms: 1.0,
            error_rate_rise: 0.01,
            memory_rise: 0.25,
            recall_drop: 0.01,
            alpha: 0.05,
            min_samples: 2,
        }
    }
}

/// How one metric of one row moved.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricDelta {
    pub metric: &'static str,
    pub base: Option<f64>,
    pub new: Option<f64>,
    /// One-sided p-value that the new run is worse; None when not tested.
    pub p_value: Option<f64>,
    /// Per-second samples (base, new) the test used.
    pub samples: (usize, usize),
    /// Percentiles: each side's 95 % confidence interval (base, new) in ms,
    /// from the run's whole histogram; None for other metrics or without one.
    pub intervals: Option<((f64, f64), (f64, f64))>,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Worse beyond the threshold and the minimum, and significant.
    Regression,
    /// Worse beyond the relative threshold, but by less than the absolute
    /// minimum (p50, p99): not tested, never a regression.
    UnderMinimum,
    /// Worse beyond the threshold, but not significant.
    NotSignificant,
    /// A percentile worse beyond the threshold and the minimum, and the
    /// per-second test significant, but its 95 % intervals from the two
    /// runs' histograms overlap: within what sampling alone gives.
    WithinInterval,
    /// Worse beyond the threshold, but fewer per-second samples on a side than `min_samples`: not tested.
    Untested,
    /// Better beyond the threshold and the minimum, and significant.
    Improvement,
    /// Within the relative threshold.
    Ok,
    /// Shown, not gated (cost), or missing on a side.
    Info,
}

impl Verdict {
    pub(crate) fn text(self) -> &'static str {
        match self {
            Verdict::Regression => "**REGRESSION**",
            Verdict::UnderMinimum => "worse, under the minimum",
            Verdict::NotSignificant => "worse, not significant",
            Verdict::WithinInterval => "worse, within the sampling interval",
            Verdict::Untested => "worse, UNTESTED (too few per-second samples)",
            Verdict::Improvement => "better",
            Verdict::Ok => "ok",
            Verdict::Info => "-",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RowDelta {
    pub backend: String,
    pub phase: String,
    pub cell: String,
    pub metrics: Vec<MetricDelta>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub thresholds: Thresholds,
    pub rows: Vec<RowDelta>,
    /// Rows of one run with no match in the other: `backend phase [cell]`.
    pub only_base: Vec<String>,
    pub only_new: Vec<String>,
    /// `--allow-missing`: base rows missing from the new run are not failures.
    pub allow_missing: bool,
}

impl Comparison {
    /// Whether the new run lacks rows of the base run, or nothing matched:
    /// a backend that failed or a run cut short must not pass as "no regression".
    pub fn incomplete(&self) -> bool {
        !self.only_base.is_empty() || self.rows.is_empty()
    }

    /// Every (row, metric) that regressed, in row order.
    pub fn regressions(&self) -> Vec<(&RowDelta, &MetricDelta)> {
        self.rows.iter().flat_map(|r| r.metrics.iter().filter(|m| m.verdict == Verdict::Regression).map(move |m| (r, m))).collect()
    }
}

/// `backend phase [cell]`: a row of one run only, as compare names it.
fn row_label(backend: &str, phase: &str, cell: &str) -> String {
    format!("{backend} {phase} [{cell}]")
}

fn key(r: &ResultRow) -> (String, String, String) {
    (r.backend.clone(), r.phase.clone(), cell_label(&r.cell))
}

/// A row's per-second samples.
struct Samples {
    rates: Vec<f64>,
    p50: Vec<f64>,
    p99: Vec<f64>,
    p95: Vec<f64>,
    mean: Vec<f64>,
}

/// The row's per-second samples: (requests per second, p50s, p99s). The
/// phase's last second is partial: it counts, its rate over the part that
/// ran, only when that part is at least half a second (a sliver's rate and
/// percentiles are noise); so a phase under 2.5 s may have too few samples
/// to test.
#[cfg(test)]
fn samples(ts: &[TsRow], (backend, phase, cell): &(String, String, String), duration_s: f64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let s = all_samples(ts, &(backend.clone(), phase.clone(), cell.clone()), duration_s);
    (s.rates, s.p50, s.p99)
}

fn all_samples(ts: &[TsRow], (backend, phase, cell): &(String, String, String), duration_s: f64) -> Samples {
    let span = |t: &TsRow| (duration_s - t.second as f64).min(1.0);
    let mine: Vec<&TsRow> = ts.iter().filter(|t| t.backend == *backend && t.phase == *phase && t.cell == *cell && span(t) >= 0.5).collect();
    Samples {
        rates: mine.iter().map(|t| t.requests as f64 / span(t)).collect(),
        p50: mine.iter().filter_map(|t| t.p50_ms).collect(),
        p99: mine.iter().filter_map(|t| t.p99_ms).collect(),
        p95: mine.iter().filter_map(|t| t.p95_ms).collect(),
        mean: mine.iter().filter_map(|t| t.mean_ms).collect(),
    }
}

/// Compares `new` against `base`.
pub fn compare(base: &RunReport, new: &RunReport, th: &Thresholds) -> Comparison {
    let mut rows = Vec::new();
    let mut only_new = Vec::new();
    let label = |k: &(String, String, String)| row_label(&k.0, &k.1, &k.2);
    for n in new.rows.iter().filter(|n| !findmax::is_step(new, &n.backend, &n.phase)) {
        let k = key(n);
        let Some(b) = base.rows.iter().find(|b| key(b) == k) else {
            only_new.push(label(&k));
            continue;
        };
        let bs = all_samples(&base.timeseries, &k, b.duration_s);
        let ns = all_samples(&new.timeseries, &k, n.duration_s);
        let hists = (response_histogram(base, &k), response_histogram(new, &k));
        let pct = |metric, q, (bv, nv), (bx, nx): (&[f64], &[f64])| percentile(metric, q, (bv, nv), (bx, nx), &hists, th);
        let mut metrics = vec![
            pct("p50_ms", 0.50, (b.latency.p50_ms, n.latency.p50_ms), (&bs.p50, &ns.p50)),
            pct("p99_ms", 0.99, (b.latency.p99_ms, n.latency.p99_ms), (&bs.p99, &ns.p99)),
        ];
        // Throughput: lower is worse.
        metrics.push(higher_is_better("throughput_rps", b.throughput_rps, n.throughput_rps, &bs.rates, &ns.rates, th));
        let (b_rows, n_rows) = (b.rows_per_s, n.rows_per_s);
        // Error rate: an absolute rise, tested as two proportions.
        let p_worse = two_proportions_greater(n.errors, n.requests, b.errors, b.requests);
        let p_better = two_proportions_greater(b.errors, b.requests, n.errors, n.requests);
        let rise = n.error_rate - b.error_rate;
        metrics.push(MetricDelta {
            metric: "error_rate",
            base: Some(b.error_rate),
            new: Some(n.error_rate),
            p_value: p_worse,
            samples: (b.requests as usize, n.requests as usize),
            intervals: None,
            // The threshold is already absolute: no separate minimum.
            verdict: verdict(Some((rise, rise)), (th.error_rate_rise, 0.0), (p_worse, p_better), th.alpha),
        });
        metrics.push(latency("mean_ms", b.latency.mean_ms, n.latency.mean_ms, &bs.mean, &ns.mean, th));
        metrics.push(pct("p95_ms", 0.95, (b.latency.p95_ms, n.latency.p95_ms), (&bs.p95, &ns.p95)));
        // Rows per second, like throughput: its per-second samples are the
        // request rates times the run's rows per request.
        if let (Some(br), Some(nr)) = (b_rows, n_rows) {
            let scale = |rates: &[f64], rpr: f64| rates.iter().map(|r| r * rpr).collect::<Vec<f64>>();
            let (b_s, n_s) = (scale(&bs.rates, b.rows_per_request), scale(&ns.rates, n.rows_per_request));
            metrics.push(higher_is_better("rows_per_s", br, nr, &b_s, &n_s, th));
        }
        metrics.extend(client(b, n, th));
        // Recall: a figure of the whole phase (no per-second samples), and
        // deterministic for the same data, index and settings: a fall beyond
        // the threshold is a regression without a test.
        if let (Some(br), Some(nr)) = (b.recall, n.recall) {
            let fall = br.recall_at_k - nr.recall_at_k;
            let (p_worse, p_better) = (Some(0.0).filter(|_| fall > 0.0), Some(0.0).filter(|_| fall < 0.0));
            metrics.push(MetricDelta {
                metric: "recall_at_k",
                base: Some(br.recall_at_k),
                new: Some(nr.recall_at_k),
                p_value: None,
                samples: (br.queries as usize, nr.queries as usize),
                intervals: None,
                verdict: verdict(Some((fall, fall)), (th.recall_drop, 0.0), (p_worse, p_better), th.alpha),
            });
        }
        metrics.push(MetricDelta {
            metric: "cost_per_million_usd",
            base: b.cost_per_million_usd,
            new: n.cost_per_million_usd,
            p_value: None,
            samples: (0, 0),
            intervals: None,
            verdict: Verdict::Info,
        });
        rows.push(RowDelta { backend: k.0, phase: k.1, cell: k.2, metrics });
    }
    let mut only_base: Vec<String> = base
        .rows
        .iter()
        .filter(|b| !findmax::is_step(base, &b.backend, &b.phase))
        .map(key)
        .filter(|k| !new.rows.iter().any(|n| key(n) == *k))
        .map(|k| label(&k))
        .collect();
    let (searches, base_only, new_only) = findmax::rows(base, new, th);
    rows.extend(searches);
    rows.extend(setup::rows(base, new, th));
    only_base.extend(base_only);
    only_new.extend(new_only);
    Comparison { thresholds: *th, rows, only_base, only_new, allow_missing: false }
}

/// One-sided p-values (worse, better) of `worse` being greater than
/// `better`, or none when a side has fewer than `min_samples` samples.
fn tests(worse_if_greater: &[f64], other: &[f64], th: &Thresholds) -> (Option<f64>, Option<f64>) {
    if worse_if_greater.len() < th.min_samples.max(2) || other.len() < th.min_samples.max(2) {
        return (None, None);
    }
    (welch_greater(worse_if_greater, other), welch_greater(other, worse_if_greater))
}

/// A gated metric's delta: `worse` as [`verdict`] takes it, `gate` its
/// (threshold, minimum), `p` the one-sided p-values (worse, better).
fn delta(
    metric: &'static str,
    (base, new): (f64, f64),
    (b, n): (&[f64], &[f64]),
    worse: Option<(f64, f64)>,
    gate: (f64, f64),
    p: (Option<f64>, Option<f64>),
    alpha: f64,
) -> MetricDelta {
    MetricDelta {
        metric,
        base: Some(base),
        new: Some(new),
        p_value: p.0,
        samples: (b.len(), n.len()),
        intervals: None,
        verdict: verdict(worse, gate, p, alpha),
    }
}

/// A rate (throughput, rows/s): lower is worse; gated by `throughput_drop`.
fn higher_is_better(metric: &'static str, base: f64, new: f64, b: &[f64], n: &[f64], th: &Thresholds) -> MetricDelta {
    let worse = rel(base, new).map(|c| (-c, base - new));
    delta(metric, (base, new), (b, n), worse, (th.throughput_drop, 0.0), tests(b, n, th), th.alpha)
}

/// A latency metric: higher is worse; gated by `latency_rise` and `min_latency_delta_ms`.
fn latency(metric: &'static str, base: f64, new: f64, b: &[f64], n: &[f64], th: &Thresholds) -> MetricDelta {
    let worse = rel(base, new).map(|r| (r, new - base));
    delta(metric, (base, new), (b, n), worse, (th.latency_rise, th.min_latency_delta_ms), tests(n, b, th), th.alpha)
}

/// The client's own use, where both runs measured it: CPU per request
/// (shown, not gated: it moves with the machine's load and frequency) and
/// peak memory (gated by `memory_rise` alone: one figure a run, no test).
fn client(b: &ResultRow, n: &ResultRow, th: &Thresholds) -> Vec<MetricDelta> {
    let (Some(cb), Some(cn)) = (&b.client, &n.client) else {
        return Vec::new();
    };
    let shown =
        |metric, base, new| MetricDelta { metric, base, new, p_value: None, samples: (1, 1), intervals: None, verdict: Verdict::Info };
    let mut out = vec![shown("client_cpu_per_request_us", cb.cpu_per_request_us, cn.cpu_per_request_us)];
    if let (Some(mb), Some(mn)) = (cb.peak_rss_mb, cn.peak_rss_mb) {
        let verdict = match rel(mb, mn) {
            None => Verdict::Info,
            Some(r) if r > th.memory_rise => Verdict::Regression,
            Some(r) if r < -th.memory_rise => Verdict::Improvement,
            Some(_) => Verdict::Ok,
        };
        out.push(MetricDelta { verdict, ..shown("client_peak_rss_mb", Some(mb), Some(mn)) });
    }
    out
}

/// The row's whole-run response-time histogram, where run.json has it.
fn response_histogram(run: &RunReport, (backend, phase, cell): &(String, String, String)) -> Option<Histogram<u64>> {
    let h = run.histograms.iter().find(|h| h.backend == *backend && h.phase == *phase && h.cell == *cell && h.measure == "response")?;
    hgrm::decode(&h.data).ok()
}

/// A percentile (quantile `q`): a latency metric whose regression (or
/// improvement) also needs the two runs' 95 % intervals apart, so that a
/// tail estimated from a few requests does not move the verdict alone.
fn percentile(
    metric: &'static str,
    q: f64,
    values: (f64, f64),
    samples: (&[f64], &[f64]),
    (hb, hn): &(Option<Histogram<u64>>, Option<Histogram<u64>>),
    th: &Thresholds,
) -> MetricDelta {
    let mut d = latency(metric, values.0, values.1, samples.0, samples.1, th);
    let (Some(ib), Some(inew)) = (hb.as_ref().and_then(|h| quantile_interval(h, q)), hn.as_ref().and_then(|h| quantile_interval(h, q)))
    else {
        return d;
    };
    d.intervals = Some((ib, inew));
    let overlap = ib.0 <= inew.1 && inew.0 <= ib.1;
    d.verdict = match d.verdict {
        Verdict::Regression if overlap => Verdict::WithinInterval,
        Verdict::Improvement if overlap => Verdict::Ok,
        v => v,
    };
    d
}

/// Relative change new / base - 1; None when base is 0.
fn rel(base: f64, new: f64) -> Option<f64> {
    (base != 0.0).then(|| new / base - 1.0)
}

/// `worse`: how much worse (positive) the new run is, as (a change in the
/// threshold's unit, an absolute difference in the minimum's unit); None
/// when it cannot be computed. `(threshold, minimum)`: a change counts only
/// beyond the threshold *and* by at least the minimum (0: no minimum).
/// `(p_worse, p_better)`: the one-sided p-values of each direction.
fn verdict(
    worse: Option<(f64, f64)>,
    (threshold, minimum): (f64, f64),
    (p_worse, p_better): (Option<f64>, Option<f64>),
    alpha: f64,
) -> Verdict {
    // The figures are printed with 3 decimals: a difference equal to the
    // minimum as printed is not under it for a rounding error.
    let at_least_minimum = |d: f64| d >= minimum - 1e-9;
    match worse {
        None => Verdict::Info,
        Some((w, d)) if w > threshold => match p_worse {
            _ if !at_least_minimum(d) => Verdict::UnderMinimum,
            Some(p) if p < alpha => Verdict::Regression,
            Some(_) => Verdict::NotSignificant,
            None => Verdict::Untested,
        },
        Some((w, d)) if w < -threshold && at_least_minimum(-d) && p_better.is_some_and(|p| p < alpha) => Verdict::Improvement,
        Some(_) => Verdict::Ok,
    }
}

#[cfg(test)]
mod tests;
