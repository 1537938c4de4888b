//! `findmax`: the highest open-loop rate that meets the scenario's checks.
//! The rate steps up from `start` by `factor` until a step fails (or `max`
//! passes), then bisects between the highest rate that passed and the
//! lowest that failed until they are within `precision` of each other.
//! Each step is a phase of its own (`<phase>@<rate>`), a row in the report;
//! the report's [`Judge`] says whether it passed.

use super::BackendJob;
use crate::backend::Backend;
use crate::scenario::model::{phase_name, FindMax};
use crate::stats::measured::{BackendRun, FindmaxOutcome, FindmaxStep};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// A step's rate, rounded so its row's name reads well: whole requests per
/// second from 100 up, one decimal from 1, three below.
pub(super) fn round_rate(r: f64) -> f64 {
    let scale = if r >= 100.0 {
        1.0
    } else if r >= 1.0 {
        10.0
    } else {
        1000.0
    };
    ((r * scale).round() / scale).max(0.001)
}

/// `capacity@1200`: the row of the step of phase `base` at `rate`.
pub(super) fn step_name(base: &str, rate: f64) -> String {
    format!("{base}@{rate}")
}

/// The next rate to try after the steps so far, or why the search ends.
pub(super) fn next_rate(f: &FindMax, passed: Option<f64>, failed: Option<f64>) -> Result<f64, &'static str> {
    match (passed, failed) {
        (None, None) => Ok(round_rate(f.start)),
        (None, Some(_)) => Err("failed at start"),
        (Some(lo), None) => {
            let max = f.max.unwrap_or(f64::INFINITY);
            if lo >= max {
                return Err("passed at max");
            }
            Ok(round_rate((lo * f.factor()).min(max)))
        }
        (Some(lo), Some(hi)) => {
            let mid = round_rate((lo + hi) / 2.0);
            if (hi - lo) / lo <= f.precision() || mid <= lo || mid >= hi {
                Err("converged")
            } else {
                Ok(mid)
            }
        }
    }
}

/// Runs the search of phase `pi` in cell `ci`; each step's phase goes into
/// `out.phases`, the search itself into `out.findmax`. Err only when the
/// backend failed outright (a step stopped by the error policy fails the
/// step, not the backend).
pub(super) async fn search<B: Backend>(
    job: &BackendJob<'_>,
    b: &Arc<B>,
    ci: usize,
    pi: usize,
    f: &FindMax,
    out: &mut BackendRun,
) -> Result<(), String> {
    let cell = &job.resolved.cells[ci];
    let base = phase_name(&cell.scenario.phases, pi);
    let spec = cell.scenario.phases[pi].spec();
    let step_length = match (spec.requests, spec.duration) {
        (Some(n), _) => format!("{n} requests"),
        (None, Some(d)) => format!("{} s", d.0.as_secs_f64()),
        _ => String::new(),
    };
    let mut outcome = FindmaxOutcome {
        backend: job.name.to_string(),
        phase: base.clone(),
        cell: cell.values.clone(),
        max_rps: None,
        max_phase: None,
        failed_rps: None,
        precision: f.precision(),
        step_length,
        ended: "step limit".to_string(),
        steps: Vec::new(),
        unjudged: Vec::new(),
    };
    for index in 0..f.steps() {
        let rate = match next_rate(f, outcome.max_rps, outcome.failed_rps) {
            Ok(r) => r,
            Err(why) => {
                outcome.ended = why.to_string();
                break;
            }
        };
        let (m, aborted) = job.measure(b, ci, pi, Some((rate, index)), &mut out.warnings).await?;
        if job.interrupt.load(Ordering::Relaxed) {
            outcome.ended = "interrupted".to_string();
            out.phases.push(m);
            break;
        }
        let mut verdict = (job.judge)(&m, &base);
        if let Some(why) = aborted {
            verdict.failed.insert(0, format!("stopped early: {why}"));
        }
        for u in verdict.unjudged.drain(..) {
            if !outcome.unjudged.contains(&u) {
                outcome.unjudged.push(u);
            }
        }
        let passed = verdict.failed.is_empty();
        if passed {
            outcome.max_rps = Some(rate);
            outcome.max_phase = Some(m.id.phase.clone());
        } else {
            outcome.failed_rps = Some(outcome.failed_rps.map_or(rate, |x| x.min(rate)));
        }
        job.progress.note(&format!(
            "benchplan: {} {base} findmax step {}: {rate} req/s offered, {:.1} achieved, p99 {:.2} ms: {}",
            job.name,
            index + 1,
            verdict.throughput_rps,
            verdict.p99_ms,
            if passed { "meets the checks".to_string() } else { verdict.failed.join("; ") }
        ));
        outcome.steps.push(FindmaxStep {
            phase: m.id.phase.clone(),
            rate,
            throughput_rps: verdict.throughput_rps,
            p99_ms: verdict.p99_ms,
            passed,
            failed: verdict.failed,
        });
        out.phases.push(m);
    }
    if outcome.ended == "step limit" {
        // The last step allowed may have settled it too.
        if let Err(why) = next_rate(f, outcome.max_rps, outcome.failed_rps) {
            outcome.ended = why.to_string();
        }
    }
    out.findmax.push(outcome);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fm(start: f64, max: Option<f64>) -> FindMax {
        FindMax { start, max, factor: Some(2.0), precision: Some(0.05), steps: None }
    }

    #[test]
    fn the_rate_doubles_until_a_failure_then_bisects_to_the_precision() {
        let f = fm(80.0, None);
        // A backend whose knee is at 300 req/s.
        let (mut lo, mut hi, mut tried) = (None, None, Vec::new());
        while let Ok(r) = next_rate(&f, lo, hi) {
            tried.push(r);
            if r <= 300.0 {
                lo = Some(r);
            } else {
                hi = Some(hi.map_or(r, |h: f64| h.min(r)));
            }
        }
        assert_eq!(&tried[..4], &[80.0, 160.0, 320.0, 240.0]);
        let (lo, hi) = (lo.unwrap(), hi.unwrap());
        assert!(lo <= 300.0 && hi > 300.0 && (hi - lo) / lo <= 0.05, "{lo} {hi} {tried:?}");
        assert_eq!(next_rate(&f, Some(lo), Some(hi)), Err("converged"));
    }

    #[test]
    fn a_failure_at_the_start_or_a_pass_at_max_ends_the_search() {
        assert_eq!(next_rate(&fm(100.0, None), None, Some(100.0)), Err("failed at start"));
        let f = fm(100.0, Some(300.0));
        assert_eq!(next_rate(&f, Some(200.0), None), Ok(300.0));
        assert_eq!(next_rate(&f, Some(300.0), None), Err("passed at max"));
    }

    #[test]
    fn step_rates_are_rounded_for_their_names() {
        assert_eq!(step_name("capacity", round_rate(1237.5)), "capacity@1238");
        assert_eq!(step_name("capacity", round_rate(12.345)), "capacity@12.3");
        assert_eq!(step_name("capacity", round_rate(0.25)), "capacity@0.25");
    }
}
