//! `benchplan compare BASE NEW`: deltas between two runs, and regressions.
//!
//! Rows are matched by backend, phase and matrix cell. A metric regresses
//! only when its change passes the threshold *and* a one-sided significance
//! test says the new run is worse: Welch's t-test over the per-second
//! samples of timeseries.csv (p50, p99, throughput), or a two-proportion
//! z-test for the error rate. Cost per million requests is shown, not gated.

use super::fmt::{f3, f4};
use super::markdown::esc;
use super::model::{ResultRow, RunReport, TsRow};
use crate::scenario::cell_label;
use std::fmt::Write as _;

/// When a change counts as a regression.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Throughput falling by more than this fraction (0.10 = 10 %).
    pub throughput_drop: f64,
    /// p50 / p99 rising by more than this fraction (0.15 = 15 %).
    pub latency_rise: f64,
    /// Error rate rising by more than this, absolute (0.01 = 1 percentage point).
    pub error_rate_rise: f64,
    /// Significance level of the one-sided tests.
    pub alpha: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds { throughput_drop: 0.10, latency_rise: 0.15, error_rate_rise: 0.01, alpha: 0.05 }
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
    pub verdict: Verdict,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Worse beyond the threshold, and significant.
    Regression,
    /// Worse beyond the threshold, but not significant.
    NotSignificant,
    /// Worse beyond the threshold, but fewer than 2 per-second samples on a side: not tested.
    Untested,
    /// Better beyond the threshold, and significant.
    Improvement,
    /// Within the threshold.
    Ok,
    /// Shown, not gated (cost), or missing on a side.
    Info,
}

impl Verdict {
    fn text(self) -> &'static str {
        match self {
            Verdict::Regression => "**REGRESSION**",
            Verdict::NotSignificant => "worse, not significant",
            Verdict::Untested => "worse, UNTESTED (< 2 per-second samples)",
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

/// The row's per-second samples: (requests per second, p50s, p99s). The
/// phase's last second is partial: it counts, its rate over the part that
/// ran, only when that part is at least half a second (a sliver's rate and
/// percentiles are noise); so a phase under 2.5 s may have too few samples
/// to test.
fn samples(ts: &[TsRow], (backend, phase, cell): &(String, String, String), duration_s: f64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let span = |t: &TsRow| (duration_s - t.second as f64).min(1.0);
    let mine: Vec<&TsRow> = ts.iter().filter(|t| t.backend == *backend && t.phase == *phase && t.cell == *cell && span(t) >= 0.5).collect();
    let rates = mine.iter().map(|t| t.requests as f64 / span(t)).collect();
    let p50 = mine.iter().filter_map(|t| t.p50_ms).collect();
    let p99 = mine.iter().filter_map(|t| t.p99_ms).collect();
    (rates, p50, p99)
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
        let (b_rate, b_p50, b_p99) = samples(&base.timeseries, &k, b.duration_s);
        let (n_rate, n_p50, n_p99) = samples(&new.timeseries, &k, n.duration_s);
        let mut metrics = vec![
            latency("p50_ms", b.latency.p50_ms, n.latency.p50_ms, &b_p50, &n_p50, th),
            latency("p99_ms", b.latency.p99_ms, n.latency.p99_ms, &b_p99, &n_p99, th),
        ];
        // Throughput: lower is worse.
        let change = rel(b.throughput_rps, n.throughput_rps);
        let (p_worse, p_better) = (welch_greater(&b_rate, &n_rate), welch_greater(&n_rate, &b_rate));
        metrics.push(MetricDelta {
            metric: "throughput_rps",
            base: Some(b.throughput_rps),
            new: Some(n.throughput_rps),
            p_value: p_worse,
            samples: (b_rate.len(), n_rate.len()),
            verdict: verdict(change.map(|c| -c), th.throughput_drop, p_worse, p_better, th.alpha),
        });
        // Error rate: an absolute rise, tested as two proportions.
        let p_worse = two_proportions_greater(n.errors, n.requests, b.errors, b.requests);
        let p_better = two_proportions_greater(b.errors, b.requests, n.errors, n.requests);
        metrics.push(MetricDelta {
            metric: "error_rate",
            base: Some(b.error_rate),
            new: Some(n.error_rate),
            p_value: p_worse,
            samples: (b.requests as usize, n.requests as usize),
            verdict: verdict(Some(n.error_rate - b.error_rate), th.error_rate_rise, p_worse, p_better, th.alpha),
        });
        metrics.push(MetricDelta {
            metric: "cost_per_million_usd",
            base: b.cost_per_million_usd,
            new: n.cost_per_million_usd,
            p_value: None,
            samples: (0, 0),
            verdict: Verdict::Info,
        });
        rows.push(RowDelta { backend: k.0, phase: k.1, cell: k.2, metrics });
    }
    let only_base = base.rows.iter().map(key).filter(|k| !new.rows.iter().any(|n| key(n) == *k)).map(|k| label(&k)).collect();
    Comparison { thresholds: *th, rows, only_base, only_new, allow_missing: false }
}

/// A latency metric: higher is worse.
fn latency(metric: &'static str, base: f64, new: f64, b: &[f64], n: &[f64], th: &Thresholds) -> MetricDelta {
    let p_worse = welch_greater(n, b);
    let p_better = welch_greater(b, n);
    MetricDelta {
        metric,
        base: Some(base),
        new: Some(new),
        p_value: p_worse,
        samples: (b.len(), n.len()),
        verdict: verdict(rel(base, new), th.latency_rise, p_worse, p_better, th.alpha),
    }
}

/// A p-value with 4 decimals, or "< 0.0001" below that (never "0.0000").
pub fn p_text(p: f64) -> String {
    if p < 1e-4 {
        "< 0.0001".into()
    } else {
        f4(p)
    }
}

/// "p = 0.0123" or "p < 0.0001", for a sentence.
pub fn p_clause(p: Option<f64>) -> String {
    match p {
        Some(p) if p < 1e-4 => format!("p {}", p_text(p)),
        Some(p) => format!("p = {}", p_text(p)),
        None => "p = n/a".into(),
    }
}

/// Relative change new / base - 1; None when base is 0.
fn rel(base: f64, new: f64) -> Option<f64> {
    (base != 0.0).then(|| new / base - 1.0)
}

/// `worse_by`: how much worse (positive) the new run is, in the threshold's unit.
fn verdict(worse_by: Option<f64>, threshold: f64, p_worse: Option<f64>, p_better: Option<f64>, alpha: f64) -> Verdict {
    match worse_by {
        None => Verdict::Info,
        Some(w) if w > threshold => match p_worse {
            Some(p) if p < alpha => Verdict::Regression,
            Some(_) => Verdict::NotSignificant,
            None => Verdict::Untested,
        },
        Some(w) if w < -threshold && p_better.is_some_and(|p| p < alpha) => Verdict::Improvement,
        Some(_) => Verdict::Ok,
    }
}

fn mean_var(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let v = x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0);
    (m, v)
}

/// Welch's t-test, one-sided: the p-value of "mean(a) > mean(b)". None with
/// fewer than 2 samples on a side.
pub fn welch_greater(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.len() < 2 || b.len() < 2 {
        return None;
    }
    let (ma, va) = mean_var(a);
    let (mb, vb) = mean_var(b);
    let (sa, sb) = (va / a.len() as f64, vb / b.len() as f64);
    let se2 = sa + sb;
    if se2 <= 0.0 {
        // No spread on either side: the difference is exact.
        return Some(if ma > mb { 0.0 } else { 1.0 });
    }
    let t = (ma - mb) / se2.sqrt();
    let df = se2 * se2 / (sa * sa / (a.len() as f64 - 1.0) + sb * sb / (b.len() as f64 - 1.0));
    Some(student_t_upper(t, df))
}

/// P(T > t) for Student's t with `df` degrees of freedom (statrs).
pub fn student_t_upper(t: f64, df: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    match StudentsT::new(0.0, 1.0, df) {
        Ok(d) => d.sf(t),
        // Degrees of freedom that are not positive and finite: no evidence either way.
        Err(_) => 0.5,
    }
}

/// Two-proportion z-test, one-sided: the p-value of "rate a > rate b".
fn two_proportions_greater(ea: u64, na: u64, eb: u64, nb: u64) -> Option<f64> {
    if na == 0 || nb == 0 {
        return None;
    }
    let (pa, pb) = (ea as f64 / na as f64, eb as f64 / nb as f64);
    let pooled = (ea + eb) as f64 / (na + nb) as f64;
    let se = (pooled * (1.0 - pooled) * (1.0 / na as f64 + 1.0 / nb as f64)).sqrt();
    if se == 0.0 {
        return Some(if pa > pb { 0.0 } else { 1.0 });
    }
    Some(0.5 * statrs::function::erf::erfc((pa - pb) / se / std::f64::consts::SQRT_2))
}

fn num(metric: &str, v: Option<f64>) -> String {
    match (metric, v) {
        (_, None) => "n/a".into(),
        ("error_rate", Some(x)) => format!("{:.4} %", x * 100.0),
        ("cost_per_million_usd", Some(x)) => super::fmt::f6(x),
        ("throughput_rps", Some(x)) => super::fmt::f2(x),
        (_, Some(x)) => f3(x),
    }
}

fn change_text(metric: &str, base: Option<f64>, new: Option<f64>) -> String {
    match (base, new) {
        (Some(b), Some(n)) if metric == "error_rate" => format!("{:+.4} pp", (n - b) * 100.0),
        (Some(b), Some(n)) if b != 0.0 => format!("{:+.1} %", (n / b - 1.0) * 100.0),
        _ => "n/a".into(),
    }
}

/// The comparison as Markdown (what `compare` prints).
pub fn markdown(c: &Comparison, base: &RunReport, new: &RunReport, base_dir: &str, new_dir: &str) -> String {
    let mut s = String::new();
    let th = &c.thresholds;
    let _ = writeln!(s, "# benchplan compare\n");
    let _ = writeln!(s, "- Base: `{base_dir}` (run `{}`, scenario `{}`)", base.run_id, base.scenario);
    let _ = writeln!(s, "- New: `{new_dir}` (run `{}`, scenario `{}`)", new.run_id, new.scenario);
    if base.scenario_sha256 != new.scenario_sha256 {
        let _ = writeln!(
            s,
            "- The scenario files differ (sha256 `{}` / `{}`).",
            base.scenario_sha256.chars().take(12).collect::<String>(),
            new.scenario_sha256.chars().take(12).collect::<String>()
        );
    }
    let _ = writeln!(
        s,
        "- A regression is worse than its threshold (throughput -{:.0} %, p50/p99 +{:.0} %, error rate +{} pp) and significant: one-sided Welch's t-test over the per-second samples of timeseries.csv (error rate: two-proportion z-test), p < {}.\n",
        th.throughput_drop * 100.0,
        th.latency_rise * 100.0,
        th.error_rate_rise * 100.0,
        th.alpha
    );
    let _ = writeln!(s, "| backend | phase | cell | metric | base | new | change | p-value | samples | verdict |");
    let _ = writeln!(s, "|---|---|---|---|---:|---:|---:|---:|---:|---|");
    for r in &c.rows {
        for m in &r.metrics {
            let samples = if m.metric == "cost_per_million_usd" { "-".to_string() } else { format!("{} / {}", m.samples.0, m.samples.1) };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {samples} | {} |",
                esc(&r.backend),
                esc(&r.phase),
                esc(&r.cell),
                m.metric,
                num(m.metric, m.base),
                num(m.metric, m.new),
                change_text(m.metric, m.base, m.new),
                m.p_value.map(p_text).unwrap_or_else(|| "n/a".into()),
                m.verdict.text()
            );
        }
    }
    let regs = c.regressions();
    let untested = c.rows.iter().flat_map(|r| &r.metrics).filter(|m| m.verdict == Verdict::Untested).count();
    let _ = writeln!(s);
    if untested > 0 {
        let _ = writeln!(
            s,
            "{untested} change(s) beyond their threshold could not be tested: a phase needs at least 2 per-second samples on each side, about 2.5 s (give the phases `duration: 10s` or more to compare them).\n"
        );
    }
    if regs.is_empty() {
        let _ = writeln!(s, "No regressions in {} matched row(s).", c.rows.len());
    } else {
        let _ = writeln!(s, "{} regression(s):", regs.len());
        for (r, m) in regs {
            let _ = writeln!(
                s,
                "- {} {} [{}] {}: {} -> {} ({}, {})",
                r.backend,
                r.phase,
                r.cell,
                m.metric,
                num(m.metric, m.base),
                num(m.metric, m.new),
                change_text(m.metric, m.base, m.new),
                p_clause(m.p_value)
            );
        }
    }
    for (what, list) in [("only in the base run", &c.only_base), ("only in the new run", &c.only_new)] {
        if !list.is_empty() {
            let _ = writeln!(s, "\nRows {what} (not compared): {}", list.join(", "));
        }
    }
    if new.interrupted {
        let _ = writeln!(s, "\nThe new run was interrupted (Ctrl-C): its rows may be partial.");
    }
    if c.rows.is_empty() {
        let _ = writeln!(s, "\nNo row of the two runs matched (backend, phase and cell): nothing was compared.");
    } else if !c.only_base.is_empty() {
        let _ = writeln!(s, "\nThe new run lacks rows of the base run (a backend failed, or the run was cut short?).");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn student_t_tail_matches_tables() {
        // Two-sided 0.05 critical values: t(10) = 2.228, t(30) = 2.042; one tail 0.025.
        assert!((student_t_upper(2.228, 10.0) - 0.025).abs() < 2e-4);
        assert!((student_t_upper(2.042, 30.0) - 0.025).abs() < 2e-4);
        assert!((student_t_upper(0.0, 5.0) - 0.5).abs() < 1e-12);
        assert!((student_t_upper(-1.812, 10.0) - 0.95).abs() < 2e-4);
        // erfc against known values.
        assert!((statrs::function::erf::erfc(1.0) - 0.157_299_207).abs() < 2e-7);
        assert!((0.5 * statrs::function::erf::erfc(1.644_853_6 / std::f64::consts::SQRT_2) - 0.05).abs() < 1e-6);
    }

    #[test]
    fn welch_tells_a_shift_from_noise() {
        let base = [10.0, 11.0, 9.5, 10.5, 10.2, 9.8, 10.1];
        let slower = [13.0, 12.5, 13.4, 12.9, 13.1, 12.7, 13.3];
        let same = [10.3, 9.9, 10.4, 9.7, 10.0, 10.6, 9.9];
        assert!(welch_greater(&slower, &base).is_some_and(|p| p < 1e-6));
        assert!(welch_greater(&same, &base).is_some_and(|p| p > 0.2));
        assert_eq!(welch_greater(&[1.0], &base), None);
        assert_eq!(welch_greater(&[2.0, 2.0], &[1.0, 1.0]), Some(0.0));
    }

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
        let base = report(
            &[("hot=1.0", 1.0, 1000.0)],
            &[(1010, 1.00, 2.0), (990, 1.05, 2.2), (1000, 0.98, 1.9), (1005, 1.02, 2.1), (400, 1.0, 2.0)],
        );
        // The same distribution, other draws: a few per cent apart, nothing significant.
        let same = report(
            &[("hot=1.0", 1.04, 985.0)],
            &[(980, 1.03, 2.1), (1000, 0.99, 2.0), (995, 1.06, 2.3), (970, 1.04, 1.9), (350, 1.0, 2.0)],
        );
        let c = compare(&base, &same, &Thresholds::default());
        assert!(c.regressions().is_empty(), "{c:?}");
        // Slower by 40 %, every second: p50 and throughput regress (the last, partial second is left out of the rates).
        let slow =
            report(&[("hot=1.0", 1.4, 700.0)], &[(700, 1.40, 2.8), (690, 1.45, 3.0), (710, 1.38, 2.7), (705, 1.42, 2.9), (100, 1.4, 2.8)]);
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

    #[test]
    fn a_regression_needs_threshold_and_significance() {
        assert_eq!(verdict(Some(0.30), 0.15, Some(0.01), Some(0.99), 0.05), Verdict::Regression);
        assert_eq!(verdict(Some(0.30), 0.15, Some(0.20), Some(0.80), 0.05), Verdict::NotSignificant);
        assert_eq!(verdict(Some(0.30), 0.15, None, None, 0.05), Verdict::Untested);
        assert_eq!(verdict(Some(0.10), 0.15, Some(0.0001), Some(0.99), 0.05), Verdict::Ok);
        assert_eq!(verdict(Some(-0.30), 0.15, Some(0.99), Some(0.001), 0.05), Verdict::Improvement);
        assert!(two_proportions_greater(50, 1000, 10, 1000).is_some_and(|p| p < 1e-6));
        assert!(two_proportions_greater(10, 1000, 10, 1000).is_some_and(|p| (p - 0.5).abs() < 1e-6));
    }

    #[test]
    fn tiny_p_values_are_not_printed_as_zero() {
        assert_eq!(p_text(0.0), "< 0.0001");
        assert_eq!(p_text(0.01234), "0.0123");
        assert_eq!(p_clause(Some(1e-9)), "p < 0.0001");
        assert_eq!(p_clause(Some(0.0165)), "p = 0.0165");
        assert_eq!(p_clause(None), "p = n/a");
    }
}
