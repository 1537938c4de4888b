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
mod markdown;
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
    let label = |k: &(String, String, String)| format!("{} {} [{}]", k.0, k.1, k.2);
    for n in &new.rows {
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
    let only_base = base.rows.iter().map(key).filter(|k| !new.rows.iter().any(|n| key(n) == *k)).map(|k| label(&k)).collect();
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
mod tests {
    use super::*;

    fn report(rows: &[(&str, f64, f64)], seconds: &[(u64, f64, f64)]) -> RunReport {
        // rows: (cell, p50, throughput); seconds: (requests, p50, p99) per second, for every row.
        let mut v = serde_json::json!({
            "format": 1, "run_id": "r", "tool": "t", "scenario": "s", "scenario_file": "f", "scenario_sha256": "ab",
            "command": "c", "started_utc": "", "finished_utc": "",
            "environment": { "os": "", "arch": "", "cpus": 1, "tool_version": "" },
            "matrix_params": ["hot"], "backends": [], "setup": [], "rows": [], "breakdown": [], "timeseries": [],
            "errors": [], "checks": [], "histograms": [], "warnings": [], "interrupted": false, "resolved_scenario": {}
        });
        for (cell, p50, rps) in rows {
            let hot: f64 = cell.trim_start_matches("hot=").parse().unwrap_or(0.0);
            if let Some(a) = v["rows"].as_array_mut() {
                a.push(serde_json::json!({
                    "backend": "b", "kind": "noop", "phase": "serve", "cell": { "hot": hot }, "workers": 1,
                    "requests": 1000, "errors": 0, "error_rate": 0.0, "duration_s": 4.4, "throughput_rps": rps,
                    "count": 1000, "mean_ms": p50, "stddev_ms": 0.0, "cv": 0.0, "min_ms": p50, "p50_ms": p50, "p90_ms": p50,
                    "p95_ms": p50, "p99_ms": p50, "p999_ms": p50, "max_ms": p50,
                    "cost_usd": null, "cost_per_million_usd": null, "target_rps": null, "service_p50_ms": null,
                    "service_p99_ms": null, "late_requests": null, "rows_per_request": 1.0
                }));
            }
            for (i, (req, s50, s99)) in seconds.iter().enumerate() {
                if let Some(a) = v["timeseries"].as_array_mut() {
                    a.push(serde_json::json!({
                        "backend": "b", "cell": cell, "phase": "serve", "second": i, "requests": req, "errors": 0,
                        "p50_ms": s50, "p99_ms": s99
                    }));
                }
            }
        }
        serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn noisy_equal_runs_pass_and_a_shift_fails() {
        // Milliseconds apart: beyond the default minimum of 1 ms.
        let base = report(
            &[("hot=1.0", 10.0, 1000.0)],
            &[(1010, 10.0, 20.0), (990, 10.5, 22.0), (1000, 9.8, 19.0), (1005, 10.2, 21.0), (400, 10.0, 20.0)],
        );
        // The same distribution, other draws: a few per cent apart, nothing significant.
        let same = report(
            &[("hot=1.0", 10.4, 985.0)],
            &[(980, 10.3, 21.0), (1000, 9.9, 20.0), (995, 10.6, 23.0), (970, 10.4, 19.0), (350, 10.0, 20.0)],
        );
        let c = compare(&base, &same, &Thresholds::default());
        assert!(c.regressions().is_empty(), "{c:?}");
        // Slower by 40 %, every second: p50 and throughput regress (the last, partial second is left out of the rates).
        let slow = report(
            &[("hot=1.0", 14.0, 700.0)],
            &[(700, 14.0, 28.0), (690, 14.5, 30.0), (710, 13.8, 27.0), (705, 14.2, 29.0), (100, 14.0, 28.0)],
        );
        let c = compare(&base, &slow, &Thresholds::default());
        let regs: Vec<&str> = c.regressions().iter().map(|(_, m)| m.metric).collect();
        assert_eq!(regs, ["p50_ms", "p99_ms", "throughput_rps"]);
        let tp = c.rows[0].metrics.iter().find(|m| m.metric == "throughput_rps").map(|m| m.samples);
        assert_eq!(tp, Some((4, 4)));
        // A row in one run only is listed, not compared.
        // Regression: a sliver of a last second (0.1 s) was a throughput sample of
        // its own, so a 1.1 s phase was "tested" on two samples.
        let (rates, p50, _) = samples(&slow.timeseries, &("b".into(), "serve".into(), "hot=1.0".into()), 1.1);
        assert_eq!((rates, p50.len()), (vec![700.0], 1));
        let (rates, _, _) = samples(&slow.timeseries, &("b".into(), "serve".into(), "hot=1.0".into()), 4.5);
        assert_eq!(rates, [700.0, 690.0, 710.0, 705.0, 200.0]);
        let other = report(&[("hot=0.5", 1.0, 1000.0)], &[(1000, 1.0, 2.0), (1000, 1.0, 2.0), (1000, 1.0, 2.0)]);
        let c = compare(&base, &other, &Thresholds::default());
        assert_eq!((c.rows.len(), c.only_base.len(), c.only_new.len()), (0, 1, 1));
    }

    /// `count` latencies of 1, 2, ... `count` ms, each plus `shift_ms`, as run.json stores them.
    fn histogram_record(count: u64, shift_ms: u64) -> crate::report::model::HistogramRecord {
        let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).unwrap_or_else(|e| panic!("{e}"));
        for ms in 1..=count {
            h.record((ms + shift_ms) * 1_000_000).unwrap_or_else(|e| panic!("{e}"));
        }
        let data = crate::report::assemble::encode_hist(&h).unwrap_or_else(|e| panic!("{e}"));
        let (backend, phase, cell, measure) = ("b".into(), "serve".into(), "hot=1.0".into(), "response".into());
        crate::report::model::HistogramRecord { file: "f".into(), backend, phase, cell, measure, data }
    }

    #[test]
    fn a_percentile_regresses_only_with_its_intervals_apart() {
        // 1,000 requests of 1..1000 ms: the p99 is the 990th, its 95 % interval
        // the 983rd to the 997th (990 -+ 1.96 x sqrt(1000 x 0.99 x 0.01) = 6.2).
        let h = crate::report::hgrm::decode(&histogram_record(1000, 0).data).unwrap_or_else(|e| panic!("{e}"));
        let (lo, hi) = quantile_interval(&h, 0.99).unwrap_or((0.0, 0.0));
        assert!((982.0..=984.5).contains(&lo) && (996.0..=998.5).contains(&hi), "{lo} {hi}");
        let (lo, hi) = quantile_interval(&h, 0.50).unwrap_or((0.0, 0.0));
        assert!((468.0..=470.5).contains(&lo) && (530.0..=532.5).contains(&hi), "{lo} {hi}");
        // Every second slower (the per-second test is significant), +40 %, +4 ms.
        let mut base =
            report(&[("hot=1.0", 10.0, 1000.0)], &[(1000, 10.0, 10.0), (1000, 10.1, 10.1), (1000, 9.9, 9.9), (1000, 10.0, 10.0)]);
        let mut slow =
            report(&[("hot=1.0", 14.0, 1000.0)], &[(1000, 14.0, 14.0), (1000, 14.1, 14.1), (1000, 13.9, 13.9), (1000, 14.0, 14.0)]);
        let verdicts = |b: &RunReport, n: &RunReport| -> Vec<Verdict> {
            compare(b, n, &Thresholds::default()).rows[0]
                .metrics
                .iter()
                .filter(|m| ["p50_ms", "p99_ms"].contains(&m.metric))
                .map(|m| m.verdict)
                .collect()
        };
        // Without histograms (older runs): the per-second test alone.
        assert_eq!(verdicts(&base, &slow), [Verdict::Regression; 2]);
        // Whole-run histograms 5 ms apart: each percentile's intervals overlap.
        base.histograms.push(histogram_record(1000, 0));
        slow.histograms.push(histogram_record(1000, 5));
        assert_eq!(verdicts(&base, &slow), [Verdict::WithinInterval; 2]);
        let c = compare(&base, &slow, &Thresholds::default());
        let text = markdown(&c, &base, &slow, "a", "b");
        assert!(text.contains("2 percentile change(s) passed the threshold"), "{text}");
        assert!(text.contains("| 983.") && text.contains(" / 988."), "{text}");
        // 100 ms apart: both regress; 40 ms apart, only the p99 (its interval
        // is +-7 ranks, the p50's +-31).
        slow.histograms[0] = histogram_record(1000, 100);
        assert_eq!(verdicts(&base, &slow), [Verdict::Regression; 2]);
        slow.histograms[0] = histogram_record(1000, 40);
        assert_eq!(verdicts(&base, &slow), [Verdict::WithinInterval, Verdict::Regression]);
        // The same for an improvement: one within the intervals is only "ok".
        let c = compare(&slow, &base, &Thresholds::default());
        let v: Vec<Verdict> = c.rows[0].metrics.iter().filter(|m| ["p50_ms", "p99_ms"].contains(&m.metric)).map(|m| m.verdict).collect();
        assert_eq!(v, [Verdict::Ok, Verdict::Improvement]);
    }

    #[test]
    fn what_differs_besides_the_numbers_is_named() {
        let base = report(&[("hot=1.0", 10.0, 1000.0)], &[(1000, 10.0, 20.0)]);
        assert!(differences(&base, &base).is_empty());
        let mut new = base.clone();
        new.tool = "benchplan 0.2.0".into();
        new.environment.machine.insert("host".into(), "ci-7".into());
        new.backends = serde_json::from_value(serde_json::json!([
            { "name": "pg", "kind": "postgres", "status": "ok", "server": { "version": "16.4", "shared_buffers": "1GB" } }
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        let mut old = base.clone();
        old.backends = serde_json::from_value(serde_json::json!([
            { "name": "pg", "kind": "postgres", "status": "ok", "server": { "version": "16.4", "shared_buffers": "128MB" } },
            { "name": "ddb", "kind": "dynamodb", "status": "ok", "server": {} }
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        let texts: Vec<String> = differences(&old, &new).iter().map(|d| d.text()).collect();
        assert_eq!(
            texts,
            [
                "tool: t → benchplan 0.2.0",
                "machine host: - → ci-7",
                "backend `pg` shared_buffers: 128MB → 1GB",
                "backend `ddb`: dynamodb → -"
            ]
        );
        let md = markdown(&compare(&old, &new, &Thresholds::default()), &old, &new, "a", "b");
        assert!(md.contains("- Also different: tool: t → benchplan 0.2.0; machine host: - → ci-7;"), "{md}");
    }

    #[test]
    fn a_regression_needs_threshold_minimum_and_significance() {
        let gate = (0.15, 1.0);
        let (worse, better) = ((Some(0.01), Some(0.99)), (Some(0.99), Some(0.001)));
        // +30 %, +3 ms: beyond threshold and minimum; then the test decides.
        assert_eq!(verdict(Some((0.30, 3.0)), gate, worse, 0.05), Verdict::Regression);
        assert_eq!(verdict(Some((0.30, 3.0)), gate, (Some(0.20), Some(0.80)), 0.05), Verdict::NotSignificant);
        assert_eq!(verdict(Some((0.30, 3.0)), gate, (None, None), 0.05), Verdict::Untested);
        // Within the threshold: ok, whatever the p-value.
        assert_eq!(verdict(Some((0.10, 3.0)), gate, (Some(0.0001), Some(0.99)), 0.05), Verdict::Ok);
        // The reported case: +150 % but +0.26 ms, p < 0.0001: under the minimum, not a regression.
        assert_eq!(verdict(Some((1.5, 0.26)), gate, (Some(1e-6), Some(1.0)), 0.05), Verdict::UnderMinimum);
        // ... also when it could not be tested: nothing to test.
        assert_eq!(verdict(Some((1.5, 0.26)), gate, (None, None), 0.05), Verdict::UnderMinimum);
        // Exactly the minimum counts; the minimum as printed (3 decimals) is not lost to rounding.
        assert_eq!(verdict(Some((0.30, 1.0)), gate, worse, 0.05), Verdict::Regression);
        assert_eq!(verdict(Some((0.30, 1.6 - 0.6)), gate, worse, 0.05), Verdict::Regression);
        // No minimum (0): the relative threshold and the test alone, as before.
        assert_eq!(verdict(Some((1.5, 0.26)), (0.15, 0.0), worse, 0.05), Verdict::Regression);
        // Better: beyond threshold and minimum, and significant.
        assert_eq!(verdict(Some((-0.30, -3.0)), gate, better, 0.05), Verdict::Improvement);
        assert_eq!(verdict(Some((-0.60, -0.3)), gate, better, 0.05), Verdict::Ok);
        assert_eq!(verdict(None, gate, worse, 0.05), Verdict::Info);
    }

    #[test]
    fn the_latency_minimum_gates_p50_and_p99_not_throughput() {
        // p50 0.17 -> 0.43 ms every second (+150 %, p < 0.0001), p99 0.7 -> 1.2 ms;
        // throughput unchanged: no regression at the defaults.
        let mut base =
            report(&[("hot=1.0", 0.17, 1000.0)], &[(1000, 0.17, 0.7), (1000, 0.16, 0.71), (1000, 0.18, 0.69), (1000, 0.17, 0.7)]);
        let mut new = report(&[("hot=1.0", 0.43, 1000.0)], &[(1000, 0.43, 1.2), (1000, 0.42, 1.21), (1000, 0.44, 1.19), (1000, 0.43, 1.2)]);
        (base.rows[0].latency.p99_ms, new.rows[0].latency.p99_ms) = (0.7, 1.2);
        let c = compare(&base, &new, &Thresholds::default());
        assert!(c.regressions().is_empty(), "{c:?}");
        let verdicts: Vec<Verdict> = c.rows[0].metrics.iter().map(|m| m.verdict).collect();
        assert_eq!(verdicts[..3], [Verdict::UnderMinimum, Verdict::UnderMinimum, Verdict::Ok]);
        // Without the minimum, both regress; with 0.5 ms, only p99 (+0.5 ms).
        let th = Thresholds { min_latency_delta_ms: 0.0, ..Thresholds::default() };
        let regs: Vec<&str> = compare(&base, &new, &th).regressions().iter().map(|(_, m)| m.metric).collect();
        assert_eq!(regs, ["p50_ms", "p99_ms"]);
        let th = Thresholds { min_latency_delta_ms: 0.5, ..Thresholds::default() };
        let regs: Vec<&str> = compare(&base, &new, &th).regressions().iter().map(|(_, m)| m.metric).collect();
        assert_eq!(regs, ["p99_ms"]);
    }

    #[test]
    fn mean_p95_and_rows_are_gated_and_min_samples_is_honoured() {
        let base = report(&[("hot=1.0", 10.0, 1000.0)], &[(1000, 10.0, 20.0), (1000, 10.1, 20.0), (1000, 9.9, 20.0), (1000, 10.0, 20.0)]);
        let slow = report(&[("hot=1.0", 14.0, 700.0)], &[(700, 14.0, 28.0), (700, 14.1, 28.0), (700, 13.9, 28.0), (700, 14.0, 28.0)]);
        let with_rows = |r: &RunReport, mean: f64| {
            let mut r = r.clone();
            r.rows[0].rows_per_s = Some(r.rows[0].throughput_rps * 2.0);
            r.rows[0].rows_per_request = 2.0;
            for (i, t) in r.timeseries.iter_mut().enumerate() {
                t.mean_ms = Some(mean + i as f64 * 0.01);
                t.p95_ms = Some(mean * 1.5 + i as f64 * 0.01);
            }
            r
        };
        let (base, slow) = (with_rows(&base, 10.0), with_rows(&slow, 14.0));
        let c = compare(&base, &slow, &Thresholds::default());
        let regs: Vec<&str> = c.regressions().iter().map(|(_, m)| m.metric).collect();
        assert_eq!(regs, ["p50_ms", "p99_ms", "throughput_rps", "mean_ms", "p95_ms", "rows_per_s"]);
        // Fewer samples than asked for: untested, not regressions.
        let c = compare(&base, &slow, &Thresholds { min_samples: 5, ..Thresholds::default() });
        assert!(c.regressions().is_empty(), "{c:?}");
        assert!(c.rows[0]
            .metrics
            .iter()
            .filter(|m| m.metric != "error_rate" && m.metric != "cost_per_million_usd")
            .all(|m| m.verdict == Verdict::Untested));
    }
}
