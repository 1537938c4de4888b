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
        if let Err(e) = check::parse(expr) {
            let at = if scope.is_some() { format!("{p}.expr") } else { p.clone() };
            d.at(at, e);
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
            let known = ["expr", "backend", "phase"].into_iter().chain(s.matrix.keys().map(String::as_str));
            d.at(
                format!("{p}.{k}"),
                format!("unknown field `{k}`: expected expr, backend, phase or a matrix param{}", did_you_mean(k, known)),
            );
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
