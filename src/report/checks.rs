//! Evaluates the scenario's checks on every result row in scope, or on the
//! figures of one request (`op:`) or one of its steps (`step:`); a check
//! whose phase never ran or stopped early is reported as not evaluated.

use super::model::{CheckResult, OpRow, ResultRow, RunReport};
use crate::scenario::check;
use crate::scenario::model::{phase_name, Check, ScopedCheck};
use crate::scenario::{cell_label, scalar_text, Resolved};
use indexmap::IndexMap;
use serde_json::Value;

/// A phase the run was to measure: one backend, one matrix cell, one run phase.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Slot {
    pub backend: String,
    pub phase: String,
    pub cell: IndexMap<String, Value>,
    /// The names of the mix entries that run in it on this backend.
    pub ops: Vec<String>,
    /// The row its figures are read from, when not the phase's own: a
    /// findmax phase's highest passing step (`capacity@1200`).
    pub row: Option<String>,
}

/// Every phase the run was to measure on `backends`, in run order.
pub fn slots(r: &Resolved, backends: &[String]) -> Vec<Slot> {
    let mut out = Vec::new();
    for b in backends {
        for cell in &r.cells {
            let phases = &cell.scenario.phases;
            for (i, ph) in phases.iter().enumerate().filter(|(_, p)| !p.is_warmup()) {
                let ops = ph
                    .spec()
                    .mix
                    .iter()
                    .flatten()
                    .filter(|m| m.backends.as_ref().is_none_or(|bs| bs.contains(b)))
                    .filter_map(|m| m.name.clone())
                    .collect();
                out.push(Slot { backend: b.clone(), phase: phase_name(phases, i), cell: cell.values.clone(), ops, row: None });
            }
        }
    }
    out
}

fn in_scope(s: Option<&ScopedCheck>, slot: &Slot) -> bool {
    let Some(s) = s else { return true };
    if s.backend.as_ref().is_some_and(|b| *b != slot.backend) || s.phase.as_ref().is_some_and(|p| *p != slot.phase) {
        return false;
    }
    if s.params.iter().any(|(k, v)| slot.cell.get(k).is_some_and(|cv| !same_text(cv, &scalar_text(v)))) {
        return false;
    }
    // A check of one request applies where that request runs.
    s.op.as_ref().is_none_or(|op| slot.ops.contains(op))
}

/// A result row carrying a request's (or a step's) own figures instead of the phase's.
fn op_figures(phase: &ResultRow, op: &OpRow) -> ResultRow {
    let mut r = phase.clone();
    r.segment = None;
    r.requests = op.requests;
    r.errors = op.errors;
    r.error_rate = if op.requests > 0 { op.errors as f64 / op.requests as f64 } else { 0.0 };
    r.throughput_rps = op.throughput_rps;
    r.latency = op.latency.clone().unwrap_or_default();
    r.cost_usd = None;
    r.cost_per_million_usd = None;
    r
}

/// What a check looks up: one row's figures (a phase's, or one request's
/// or step's) by backend, phase, cell and request.
struct Lookup<'a> {
    backend: &'a str,
    phase: &'a str,
    /// The matrix values the row must have (as text, or equal numbers).
    cell: Vec<(&'a str, String)>,
    op: Option<&'a String>,
    step: Option<&'a String>,
}

fn same_text(v: &Value, t: &str) -> bool {
    let own = scalar_text(v);
    own == t || matches!((own.parse::<f64>(), t.parse::<f64>()), (Ok(a), Ok(b)) if a == b)
}

/// The figures `q` names in `report`, or why there are none to check.
fn figures(report: &RunReport, q: &Lookup<'_>) -> Result<ResultRow, String> {
    let row = report.rows.iter().find(|r| {
        r.backend == q.backend && r.phase == q.phase && q.cell.iter().all(|(k, v)| r.cell.get(*k).is_some_and(|x| same_text(x, v)))
    });
    let Some(r) = row else {
        return Err("the phase did not run (its backend failed, or the run stopped, before it)".to_string());
    };
    if let Some(why) = &r.partial {
        return Err(format!("the phase stopped early ({why}); its figures are partial"));
    }
    let Some(op) = q.op else { return Ok(r.clone()) };
    let label = cell_label(&r.cell);
    report
        .operations
        .iter()
        .find(|o| {
            o.backend == r.backend && o.phase == r.phase && o.cell == label && o.name.as_ref() == Some(op) && o.step.as_ref() == q.step
        })
        .map(|o| op_figures(r, o))
        .ok_or_else(|| format!("no figures of `{op}` were recorded in this phase"))
}

/// One result per check and phase in its scope, in check order then run
/// order. `baseline`: the run `--baseline` named, for `baseline.` references.
pub fn evaluate(checks: &[Check], report: &RunReport, slots: &[Slot], baseline: Option<&RunReport>) -> Vec<CheckResult> {
    let mut out = Vec::new();
    for c in checks {
        let (expr, scope) = match c {
            Check::Expr(e) => (e.as_str(), None),
            Check::Scoped(s) => (s.expr.as_str(), Some(s)),
        };
        // Validation already rejected unparsable checks.
        let Ok(parsed) = check::parse(expr) else { continue };
        for slot in slots.iter().filter(|slot| in_scope(scope, slot)) {
            let label = cell_label(&slot.cell);
            let (op, step) = (scope.and_then(|s| s.op.as_ref()), scope.and_then(|s| s.step.as_ref()));
            let row_phase = slot.row.as_ref().unwrap_or(&slot.phase);
            let mut result = CheckResult {
                check: parsed.to_string(),
                backend: slot.backend.clone(),
                phase: row_phase.clone(),
                cell: label.clone(),
                op: op.cloned(),
                step: step.cloned(),
                value: None,
                reference: None,
                passed: false,
                not_evaluated: None,
            };
            let own = Lookup {
                backend: &slot.backend,
                phase: row_phase,
                cell: slot.cell.iter().map(|(k, v)| (k.as_str(), scalar_text(v))).collect(),
                op,
                step,
            };
            let evaluated = figures(report, &own).and_then(|row| {
                let value = row.metric(&parsed.metric);
                let Some(rf) = &parsed.reference else { return Ok((value, None, parsed.value)) };
                let (source, whose) = match (rf.baseline, baseline) {
                    (true, Some(b)) => (b, "the baseline run"),
                    (true, None) => return Err("it refers to the baseline run, and none was given (`--baseline DIR`)".to_string()),
                    (false, _) => (report, "this run"),
                };
                let mut cell = own.cell.clone();
                for (k, v) in &rf.cell {
                    match cell.iter_mut().find(|(ck, _)| ck == k) {
                        Some(c) => c.1 = v.clone(),
                        None => cell.push((k.as_str(), v.clone())),
                    }
                }
                let other = Lookup {
                    backend: rf.backend.as_deref().unwrap_or(&slot.backend),
                    phase: rf.phase.as_deref().unwrap_or(row_phase),
                    cell,
                    op,
                    step,
                };
                let theirs = figures(source, &other)
                    .map_err(|why| format!("the reference {rf} has no figures in {whose} ({} {}): {why}", other.backend, other.phase))?;
                let reference = theirs.metric(&rf.metric);
                Ok((value, reference, reference.map_or(f64::NAN, |r| parsed.value * r)))
            });
            match evaluated {
                Ok((value, reference, right)) => {
                    result.value = value;
                    result.reference = reference;
                    result.passed = value.is_some_and(|v| right.is_finite() && parsed.op.holds(v * parsed.scale, right));
                }
                Err(why) => result.not_evaluated = Some(why),
            }
            out.push(result);
        }
    }
    out
}
