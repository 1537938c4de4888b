//! findmax in the report: judging one step against the scenario's checks
//! (for the runner, which only sees the verdict), pointing a findmax
//! phase's checks at its highest passing step, and summary.md's section.

use super::checks::{evaluate, Slot};
use super::fmt::{f2, f3};
use super::markdown::esc;
use super::model::RunReport;
use crate::scenario::cell_label;
use crate::scenario::model::Check;
use crate::stats::measured::{BackendRun, MeasuredPhase, Verdict};
use std::fmt::Write;

/// A step falls short of its offered rate below this share of it.
pub const ACHIEVED_SHARE: f64 = 0.95;

/// Whether findmax step `m` of phase `base` met `checks`: the checks are
/// evaluated on the step's own row, as if it were the phase they name.
/// `empty`: a report without rows; `run`: the backend's table and entity
/// names; `slots`: the run's slots (for the phase's request names).
pub fn judge(checks: &[Check], empty: &RunReport, run: &BackendRun, slots: &[Slot], m: &MeasuredPhase, base: &str) -> Verdict {
    let mut verdict = Verdict::default();
    let mut scratch = empty.clone();
    if let Err(e) = super::assemble::add_phase(&mut scratch, run, m) {
        verdict.failed.push(e);
        return verdict;
    }
    let Some(row) = scratch.rows.first_mut() else {
        verdict.failed.push("the step measured nothing".to_string());
        return verdict;
    };
    row.phase = base.to_string();
    for op in &mut scratch.operations {
        op.phase = base.to_string();
    }
    let row = row.clone();
    verdict.throughput_rps = row.throughput_rps;
    verdict.p99_ms = row.latency.p99_ms;
    let offered = m.id.target_rps.unwrap_or(0.0);
    if row.throughput_rps < ACHIEVED_SHARE * offered {
        verdict.failed.push(format!("achieved {} of the {offered} req/s offered", f2(row.throughput_rps)));
    }
    if let Some(n) = m.missed.filter(|n| *n > 0) {
        verdict.failed.push(format!("{n} requests due were never sent"));
    }
    let slot = slots.iter().find(|s| s.backend == m.id.backend && s.phase == base && s.cell == m.id.cell).cloned().unwrap_or_else(|| {
        Slot { backend: m.id.backend.clone(), phase: base.to_string(), cell: m.id.cell.clone(), ops: Vec::new(), row: None }
    });
    for c in evaluate(checks, &scratch, &[slot], None) {
        match (&c.not_evaluated, c.passed) {
            (Some(why), _) => verdict.unjudged.push(format!("{}: {why}", c.check)),
            (None, true) => {}
            (None, false) => {
                let value = c.value.map_or("no value".to_string(), f3);
                verdict.failed.push(format!("{} (measured {value})", c.check));
            }
        }
    }
    verdict
}

/// Points each findmax phase's slots at the row its checks are reported
/// on: its highest passing step, or its first step when none passed.
pub fn point_slots(slots: &mut [Slot], r: &RunReport) {
    for o in &r.findmax {
        let row = o.max_phase.clone().or_else(|| o.steps.first().map(|s| s.phase.clone()));
        for s in slots.iter_mut().filter(|s| s.backend == o.backend && s.phase == o.phase && s.cell == o.cell) {
            s.row = row.clone();
        }
    }
}

/// `## Findmax`: per backend, phase and cell, the highest rate that met
/// the checks, and every step.
pub fn section(r: &RunReport, s: &mut String) {
    if r.findmax.is_empty() {
        return;
    }
    let _ = writeln!(s, "## Findmax\n");
    let _ = writeln!(
        s,
        "The highest open-loop rate meeting the checks that apply to the phase. Each step is a row of its own (`<phase>@<rate>`); it passes when every check in scope holds on its figures, it achieved at least {:.0} % of the offered rate and every request due was sent. The rate doubles (`factor`) from `start` until a step fails, then bisects between the highest passing and the lowest failing rate until they are within `precision`. Every step draws the same keys. The phase's checks are reported on its highest passing step.\n",
        ACHIEVED_SHARE * 100.0
    );
    for o in &r.findmax {
        let cell = cell_label(&o.cell);
        let place = if cell == "-" { format!("{} {}", o.backend, o.phase) } else { format!("{} {} [{cell}]", o.backend, o.phase) };
        let answer = match (o.max_rps, o.failed_rps) {
            (Some(lo), Some(hi)) => format!("**{lo} req/s** meets the checks; {hi} req/s does not ({:.1} % apart", (hi - lo) / lo * 100.0),
            (Some(lo), None) => format!("**{lo} req/s** meets the checks, the highest rate tried (none failed"),
            (None, Some(hi)) => format!("**none**: the first rate, {hi} req/s, already fails the checks (lower `start`"),
            (None, None) => "**not measured** (no step ran".to_string(),
        };
        let _ = writeln!(
            s,
            "- {}: {answer}; {} steps of {}, precision {:.0} %, search ended: {}).",
            esc(&place),
            o.steps.len(),
            o.step_length,
            o.precision * 100.0,
            o.ended
        );
        for u in &o.unjudged {
            let _ = writeln!(s, "  - not used to judge the steps: {}", esc(u));
        }
    }
    let _ = writeln!(
        s,
        "\n| backend | phase | cell | step | offered req/s | achieved req/s | p99 ms | verdict |\n|---|---|---|---:|---:|---:|---:|---|"
    );
    for o in &r.findmax {
        for (i, st) in o.steps.iter().enumerate() {
            let verdict = if st.passed { "meets the checks".to_string() } else { format!("fails: {}", st.failed.join("; ")) };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                esc(&o.backend),
                esc(&st.phase),
                esc(&cell_label(&o.cell)),
                i + 1,
                st.rate,
                f2(st.throughput_rps),
                f3(st.p99_ms),
                esc(&verdict)
            );
        }
    }
    s.push('\n');
}
