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
#[derive(Debug, Clone)]
pub struct Slot {
    pub backend: String,
    pub phase: String,
    pub cell: IndexMap<String, Value>,
    /// The names of the mix entries that run in it on this backend.
    pub ops: Vec<String>,
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
                out.push(Slot { backend: b.clone(), phase: phase_name(phases, i), cell: cell.values.clone(), ops });
            }
        }
    }
    out
}

fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => scalar_text(a) == scalar_text(b),
    }
}

fn in_scope(s: Option<&ScopedCheck>, slot: &Slot) -> bool {
    let Some(s) = s else { return true };
    if s.backend.as_ref().is_some_and(|b| *b != slot.backend) || s.phase.as_ref().is_some_and(|p| *p != slot.phase) {
        return false;
    }
    if s.params.iter().any(|(k, v)| slot.cell.get(k).is_some_and(|cv| !same(cv, v))) {
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

/// One result per check and phase in its scope, in check order then run order.
pub fn evaluate(checks: &[Check], report: &RunReport, slots: &[Slot]) -> Vec<CheckResult> {
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
            let mut result = CheckResult {
                check: parsed.to_string(),
                backend: slot.backend.clone(),
                phase: slot.phase.clone(),
                cell: label.clone(),
                op: scope.and_then(|s| s.op.clone()),
                step: scope.and_then(|s| s.step.clone()),
                value: None,
                passed: false,
                not_evaluated: None,
            };
            let row = report.rows.iter().find(|r| r.backend == slot.backend && r.phase == slot.phase && cell_label(&r.cell) == label);
            let figures = match (row, scope.and_then(|s| s.op.as_ref())) {
                (None, _) => Err("the phase did not run (its backend failed, or the run stopped, before it)".to_string()),
                (Some(r), _) if r.partial.is_some() => {
                    Err(format!("the phase stopped early ({}); its figures are partial", r.partial.as_deref().unwrap_or("")))
                }
                (Some(r), None) => Ok(r.clone()),
                (Some(r), Some(op)) => {
                    let step = scope.and_then(|s| s.step.as_ref());
                    report
                        .operations
                        .iter()
                        .find(|o| {
                            o.backend == r.backend
                                && o.phase == r.phase
                                && o.cell == label
                                && o.name.as_ref() == Some(op)
                                && o.step.as_ref() == step
                        })
                        .map(|o| op_figures(r, o))
                        .ok_or_else(|| format!("no figures of `{op}` were recorded in this phase"))
                }
            };
            match figures {
                Ok(r) => {
                    result.value = r.metric(&parsed.metric);
                    result.passed = result.value.is_some_and(|v| parsed.op.holds(v, parsed.value));
                }
                Err(why) => result.not_evaluated = Some(why),
            }
            out.push(result);
        }
    }
    out
}
