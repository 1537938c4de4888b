//! `checks:` (expressions and their scopes) and `cost:`.

use super::names;
use crate::scenario::check;
use crate::scenario::diag::Diagnostics;
use crate::scenario::model::*;
use crate::scenario::suggest::did_you_mean;
use std::collections::HashSet;

/// Every check: an expression that parses, scoped to backends, run phases
/// (`phase_names`) and params that exist.
pub(super) fn checks(s: &Scenario, phase_names: &HashSet<String>, d: &mut Diagnostics) {
    for (i, c) in s.checks.iter().enumerate() {
        let p = format!("checks[{i}]");
        let (expr, scope) = match c {
            Check::Expr(e) => (e.as_str(), None),
            Check::Scoped(sc) => (sc.expr.as_str(), Some(sc)),
        };
        let at = if scope.is_some() { format!("{p}.expr") } else { p.clone() };
        match check::parse(expr) {
            Err(e) => d.at(at, e),
            Ok(c) => {
                if let Some(r) = &c.reference {
                    reference(s, r, scope, &at, phase_names, d);
                }
            }
        }
        if let Some(sc) = scope {
            scoped(s, sc, &p, phase_names, d);
        }
    }
}

fn scoped(s: &Scenario, sc: &ScopedCheck, p: &str, phase_names: &HashSet<String>, d: &mut Diagnostics) {
    if let Some(b) = &sc.backend {
        if !s.backends.contains_key(b) {
            let hint = did_you_mean(b, s.backends.keys().map(String::as_str));
            d.at(format!("{p}.backend"), format!("unknown backend `{b}` (known: {}){hint}", names(s.backends.keys())));
        }
    }
    if let Some(ph) = &sc.phase {
        if !phase_names.contains(ph) {
            let mut known: Vec<&String> = phase_names.iter().collect();
            known.sort();
            let hint = did_you_mean(ph, known.iter().map(|n| n.as_str()));
            d.at(format!("{p}.phase"), format!("unknown phase `{ph}` (known run phases: {}){hint}", names(known.into_iter())));
        }
    }
    for k in sc.params.keys() {
        if !s.matrix.contains_key(k) && !s.params.contains_key(k) {
            let known = ["expr", "backend", "phase", "op", "step"].into_iter().chain(s.matrix.keys().map(String::as_str));
            d.at(
                format!("{p}.{k}"),
                format!("unknown field `{k}`: expected expr, backend, phase, op, step or a matrix param{}", did_you_mean(k, known)),
            );
        }
    }
    operation_scope(s, sc, p, d);
}

/// `op:` names a mix entry (by its `name`) of a run phase in scope, and
/// `step:` one of its steps.
fn operation_scope(s: &Scenario, sc: &ScopedCheck, p: &str, d: &mut Diagnostics) {
    if sc.step.is_some() && sc.op.is_none() {
        d.at(format!("{p}.step"), "`step` needs `op`: the request whose step it is");
    }
    let Some(op) = &sc.op else { return };
    if let Ok(c) = check::parse(&sc.expr) {
        let refm = c.reference.as_ref().map(|r| r.metric.as_str());
        for m in ["cost_per_million_usd", "rows_per_s", "recall_at_k", "recall_at_k_p5"] {
            if c.metric == m || refm == Some(m) {
                d.at(
                    format!("{p}.expr"),
                    format!("{m} is a figure of the whole phase, not of one operation; drop `op` or check another metric"),
                );
            }
        }
    }
    let in_scope = |i: usize| -> bool { sc.phase.as_ref().is_none_or(|ph| phase_name(&s.phases, i) == *ph) };
    let mut known: Vec<&str> = Vec::new();
    let mut entry = None;
    for (i, ph) in s.phases.iter().enumerate().filter(|(i, ph)| !ph.is_warmup() && in_scope(*i)) {
        for m in ph.spec().mix.iter().flatten() {
            if let Some(n) = &m.name {
                if !known.contains(&n.as_str()) {
                    known.push(n);
                }
                if n == op && entry.is_none() {
                    entry = Some((i, m));
                }
            }
        }
    }
    let Some((_, m)) = entry else {
        let hint = did_you_mean(op, known.iter().copied());
        let known = if known.is_empty() { "none: give a mix entry a `name`".to_string() } else { known.join(", ") };
        d.at(format!("{p}.op"), format!("unknown op `{op}` (named mix entries of the run phases in scope: {known}){hint}"));
        return;
    };
    if let Some(step) = &sc.step {
        let steps: Vec<String> = match &m.steps {
            Some(st) => st.iter().enumerate().map(|(j, x)| x.name.clone().unwrap_or_else(|| default_step_name(j))).collect(),
            None => Vec::new(),
        };
        if !steps.contains(step) {
            let hint = did_you_mean(step, steps.iter().map(String::as_str));
            let known = if steps.is_empty() { format!("none: `{op}` has no `steps`") } else { steps.join(", ") };
            d.at(format!("{p}.step"), format!("unknown step `{step}` of `{op}` (its steps: {known}){hint}"));
        }
    }
}

/// A relative check's reference names a backend, a run phase and matrix
/// values that exist, and is not the row itself.
fn reference(
    s: &Scenario,
    r: &check::Reference,
    scope: Option<&ScopedCheck>,
    at: &str,
    phase_names: &HashSet<String>,
    d: &mut Diagnostics,
) {
    if let Some(b) = &r.backend {
        if !s.backends.contains_key(b) {
            let hint = did_you_mean(b, s.backends.keys().map(String::as_str));
            d.at(at, format!("backend({b}): unknown backend (known: {}){hint}", names(s.backends.keys())));
        }
        if scope.and_then(|sc| sc.backend.as_ref()) == Some(b) && r.phase.is_none() && r.cell.is_empty() && !r.baseline {
            d.at(at, format!("backend({b}) is the backend this check is scoped to: the check would compare a row with itself"));
        }
    }
    if let Some(ph) = &r.phase {
        if !phase_names.contains(ph) {
            let mut known: Vec<&String> = phase_names.iter().collect();
            known.sort();
            let hint = did_you_mean(ph, known.iter().map(|n| n.as_str()));
            d.at(at, format!("phase({ph}): unknown run phase (known: {}){hint}", names(known.into_iter())));
        }
    }
    for (k, v) in &r.cell {
        match s.matrix.get(k) {
            None => {
                let hint = did_you_mean(k, s.matrix.keys().map(String::as_str));
                d.at(at, format!("cell({k}={v}): `{k}` is not a matrix param (known: {}){hint}", names(s.matrix.keys())));
            }
            Some(values) => {
                let texts: Vec<String> = values.iter().map(crate::scenario::scalar_text).collect();
                let same = |t: &String| t == v || matches!((t.parse::<f64>(), v.parse::<f64>()), (Ok(a), Ok(b)) if a == b);
                if !texts.iter().any(same) {
                    d.at(at, format!("cell({k}={v}): `{v}` is not one of the matrix values of `{k}` ({})", texts.join(", ")));
                }
            }
        }
    }
}

/// `cost.target_rps`: a positive rate.
pub(super) fn cost(s: &Scenario, d: &mut Diagnostics) {
    if let Some(c) = &s.cost {
        if let Some(r) = c.target_rps {
            if !(r > 0.0 && r.is_finite()) {
                d.at("cost.target_rps", format!("expected a positive rate, found {r}"));
            }
        }
    }
}
