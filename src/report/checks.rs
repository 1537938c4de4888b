//! Evaluates the scenario's checks on every result row in scope.

use super::model::{CheckResult, ResultRow};
use crate::scenario::check;
use crate::scenario::model::Check;
use crate::scenario::{cell_label, scalar_text};
use serde_json::Value;

fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => scalar_text(a) == scalar_text(b),
    }
}

/// One result per check and row in its scope, in check order then row order.
pub fn evaluate(checks: &[Check], rows: &[ResultRow]) -> Vec<CheckResult> {
    let mut out = Vec::new();
    for c in checks {
        let (expr, scope) = match c {
            Check::Expr(e) => (e.as_str(), None),
            Check::Scoped(s) => (s.expr.as_str(), Some(s)),
        };
        // Validation already rejected unparsable checks.
        let Ok(parsed) = check::parse(expr) else { continue };
        for r in rows {
            if let Some(s) = scope {
                if s.backend.as_ref().is_some_and(|b| *b != r.backend) || s.phase.as_ref().is_some_and(|p| *p != r.phase) {
                    continue;
                }
                if s.params.iter().any(|(k, v)| r.cell.get(k).is_some_and(|cv| !same(cv, v))) {
                    continue;
                }
            }
            let value = r.metric(&parsed.metric);
            let passed = value.is_some_and(|v| parsed.op.holds(v, parsed.value));
            out.push(CheckResult {
                check: parsed.to_string(),
                backend: r.backend.clone(),
                phase: r.phase.clone(),
                cell: cell_label(&r.cell),
                value,
                passed,
            });
        }
    }
    out
}
