//! A findmax phase in compare: its steps are not matched row by row (two
//! searches try different rates); its answer is, as `findmax_rps`: the
//! highest rate that met the checks. It regresses when it fell by more
//! than the throughput threshold and the two searches' brackets (highest
//! passing rate, lowest failing rate) do not overlap: the new run failed
//! at or below a rate the base run passed.

use super::{row_label, MetricDelta, RowDelta, Thresholds, Verdict};
use crate::report::model::RunReport;
use crate::scenario::cell_label;
use crate::stats::measured::FindmaxOutcome;

/// Whether `phase` is a findmax step's row in `r`.
pub(super) fn is_step(r: &RunReport, backend: &str, phase: &str) -> bool {
    r.findmax.iter().any(|o| o.backend == backend && o.steps.iter().any(|s| s.phase == phase))
}

fn label(o: &FindmaxOutcome) -> String {
    row_label(&o.backend, &o.phase, &cell_label(&o.cell))
}

/// The findmax rows of the comparison, and the searches of one run only.
pub(super) fn rows(base: &RunReport, new: &RunReport, th: &Thresholds) -> (Vec<RowDelta>, Vec<String>, Vec<String>) {
    let same = |a: &FindmaxOutcome, b: &FindmaxOutcome| a.backend == b.backend && a.phase == b.phase && a.cell == b.cell;
    let mut rows = Vec::new();
    let mut only_new = Vec::new();
    for n in &new.findmax {
        let Some(b) = base.findmax.iter().find(|b| same(b, n)) else {
            only_new.push(label(n));
            continue;
        };
        let (bm, nm) = (b.max_rps.unwrap_or(0.0), n.max_rps.unwrap_or(0.0));
        let fall = if bm > 0.0 { (bm - nm) / bm } else { 0.0 };
        // The new search failed at or below a rate the base search passed.
        let apart = n.failed_rps.is_some_and(|f| f <= bm);
        let verdict = if fall > th.throughput_drop {
            if apart {
                Verdict::Regression
            } else {
                Verdict::WithinInterval
            }
        } else if -fall > th.throughput_drop && b.failed_rps.is_some_and(|f| f <= nm) {
            Verdict::Improvement
        } else {
            Verdict::Ok
        };
        let bracket = |o: &FindmaxOutcome| (o.max_rps.unwrap_or(0.0), o.failed_rps.unwrap_or(f64::INFINITY));
        rows.push(RowDelta {
            backend: n.backend.clone(),
            phase: n.phase.clone(),
            cell: cell_label(&n.cell),
            metrics: vec![MetricDelta {
                metric: "findmax_rps",
                base: b.max_rps,
                new: n.max_rps,
                p_value: None,
                samples: (b.steps.len(), n.steps.len()),
                intervals: Some((bracket(b), bracket(n))),
                verdict,
            }],
        });
    }
    let only_base = base.findmax.iter().filter(|b| !new.findmax.iter().any(|n| same(b, n))).map(label).collect();
    (rows, only_base, only_new)
}
