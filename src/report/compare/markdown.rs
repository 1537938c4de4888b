//! The comparison as Markdown: what `compare` prints.

use super::{Comparison, Thresholds, Verdict};
use crate::report::fmt::{f3, f4, plain};
use crate::report::markdown::esc;
use crate::report::model::RunReport;
use std::fmt::Write as _;

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

fn num(metric: &str, v: Option<f64>) -> String {
    match (metric, v) {
        (_, None) => "n/a".into(),
        ("error_rate", Some(x)) => format!("{:.4} %", x * 100.0),
        ("cost_per_million_usd", Some(x)) => crate::report::fmt::f6(x),
        ("throughput_rps" | "rows_per_s" | "client_cpu_per_request_us" | "client_peak_rss_mb", Some(x)) => crate::report::fmt::f2(x),
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

/// Two 95 % intervals in ms: `4.102–5.230 / 4.950–6.001`.
fn interval_text(((b0, b1), (n0, n1)): ((f64, f64), (f64, f64))) -> String {
    format!("{}–{} / {}–{}", f3(b0), f3(b1), f3(n0), f3(n1))
}

/// The latency gate in words: `+15 %` and, with a minimum, `and at least +1 ms`.
pub(crate) fn latency_gate(th: &Thresholds) -> String {
    if th.min_latency_delta_ms > 0.0 {
        format!("+{:.0} % and at least +{} ms", th.latency_rise * 100.0, plain(th.min_latency_delta_ms))
    } else {
        format!("+{:.0} %", th.latency_rise * 100.0)
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
    let other: Vec<String> =
        super::differences(base, new).iter().filter(|d| !d.what.starts_with("scenario")).map(|d| esc(&d.text())).collect();
    if other.is_empty() {
        let _ = writeln!(s, "- Same tool, machine and server settings (as each run recorded them).");
    } else {
        let _ = writeln!(s, "- Also different: {}.", other.join("; "));
    }
    let _ = writeln!(
        s,
        "- A regression is worse than its threshold (throughput and rows/s -{:.0} %, p50/p99/mean/p95 {}, error rate +{} pp, the client's peak memory and an index's size +{:.0} %, by that alone) and significant: one-sided Welch's t-test over the per-second samples of timeseries.csv, at least {} a side (error rate: two-proportion z-test), p < {}; a percentile also needs the two runs' 95 % intervals (order statistics of each run's whole histogram) apart.\n",
        th.throughput_drop * 100.0,
        latency_gate(th),
        plain(th.error_rate_rise * 100.0),
        th.memory_rise * 100.0,
        th.min_samples,
        plain(th.alpha)
    );
    if c.rows.iter().any(|r| r.metrics.iter().any(|m| m.metric == "findmax_rps")) {
        let _ = writeln!(
            s,
            "- `findmax_rps` is a findmax phase's answer, the highest rate that met the checks (its steps are not compared row by row): it regresses when it fell by more than {:.0} % and the new search failed at or below a rate the base search passed; its interval column is each search's bracket, highest passing – lowest failing rate.\n",
            th.throughput_drop * 100.0
        );
    }
    let _ =
        writeln!(s, "| backend | phase | cell | metric | base | new | change | p-value | samples | verdict | 95 % interval, base / new |");
    let _ = writeln!(s, "|---|---|---|---|---:|---:|---:|---:|---:|---|---|");
    for r in &c.rows {
        for m in &r.metrics {
            let samples = if m.samples == (0, 0) || m.metric.starts_with("client_") {
                "-".to_string()
            } else {
                format!("{} / {}", m.samples.0, m.samples.1)
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {samples} | {} | {} |",
                esc(&r.backend),
                esc(&r.phase),
                esc(&r.cell),
                m.metric,
                num(m.metric, m.base),
                num(m.metric, m.new),
                change_text(m.metric, m.base, m.new),
                m.p_value.map(p_text).unwrap_or_else(|| "n/a".into()),
                m.verdict.text(),
                m.intervals.map(interval_text).unwrap_or_else(|| "-".into())
            );
        }
    }
    let regs = c.regressions();
    let count = |v: Verdict| c.rows.iter().flat_map(|r| &r.metrics).filter(|m| m.verdict == v).count();
    let (untested, small, sampling) = (count(Verdict::Untested), count(Verdict::UnderMinimum), count(Verdict::WithinInterval));
    let _ = writeln!(s);
    if small > 0 {
        let _ = writeln!(
            s,
            "{small} change(s) beyond their relative threshold rose by less than the minimum of {} ms (`--min-latency-delta`): not regressions, whatever the p-value.\n",
            plain(th.min_latency_delta_ms)
        );
    }
    if sampling > 0 {
        let _ = writeln!(
            s,
            "{sampling} percentile change(s) passed the threshold, the minimum and the per-second test, but the two runs' 95 % intervals overlap: a tail estimated from this many requests moves that much between equal runs. Not regressions; longer phases narrow the intervals.\n"
        );
    }
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
    fn tiny_p_values_are_not_printed_as_zero() {
        assert_eq!(p_text(0.0), "< 0.0001");
        assert_eq!(p_text(0.01234), "0.0123");
        assert_eq!(p_clause(Some(1e-9)), "p < 0.0001");
        assert_eq!(p_clause(Some(0.0165)), "p = 0.0165");
        assert_eq!(p_clause(None), "p = n/a");
    }
}
