//! `setup:` and `teardown:` steps, and `phases:` (their mix is in `mix`).

use super::{fraction, mix, safe_name};
use crate::scenario::diag::Diagnostics;
use crate::scenario::model::*;
use std::collections::HashSet;

/// The load steps of setup and teardown.
pub(super) fn steps(s: &Scenario, d: &mut Diagnostics) {
    for (which, steps) in [("setup", &s.setup), ("teardown", &s.teardown)] {
        for (i, st) in steps.iter().enumerate() {
            if let Step::Load(l) = st {
                let p = format!("{which}[{i}].load");
                if l.batch == Some(0) {
                    d.at(format!("{p}.batch"), "expected a batch of at least 1 row, found 0");
                }
                if l.workers == Some(0) {
                    d.at(format!("{p}.workers"), "expected at least 1 worker, found 0");
                }
                if let Some(m) = l.method {
                    load_method(s, m, &format!("{p}.method"), d);
                }
            }
            if let Step::Index(ix) = st {
                super::vector::index_step(s, ix, &format!("{which}[{i}].index"), d);
            }
        }
    }
}

/// A load step's `method`: every backend that does not choose its own must
/// be able to load with it.
fn load_method(s: &Scenario, m: LoadMethod, at: &str, d: &mut Diagnostics) {
    for (name, b) in &s.backends {
        let own = matches!(b, BackendConfig::Postgres(c) if c.load_method.is_some());
        let kind = b.kind();
        let can = LoadMethod::of_kind(kind);
        if !own && !can.contains(&m) {
            let list: Vec<&str> = can.iter().map(|x| x.as_str()).collect();
            d.at(
                at,
                format!(
                    "backend `{name}` (kind {kind}) cannot load with `{}`: it loads with {} only; `copy` and `copy_binary` are PostgreSQL's (set `load_method` on each PostgreSQL backend instead)",
                    m.as_str(),
                    list.join(", ")
                ),
            );
        }
    }
}

/// Every phase; returns the names of the run phases, for checks to refer to.
/// `tables`: every table name with its entity.
pub(super) fn phases(s: &Scenario, tables: &[(String, String)], d: &mut Diagnostics) -> HashSet<String> {
    if s.phases.is_empty() {
        d.at("phases", "expected at least one phase");
    }
    if !s.phases.iter().any(|p| !p.is_warmup()) {
        d.at("phases", "expected at least one `run` phase (warmups are not reported)");
    }
    let mut phase_names = HashSet::new();
    for (i, ph) in s.phases.iter().enumerate() {
        let variant = if ph.is_warmup() { "warmup" } else { "run" };
        let p = format!("phases[{i}].{variant}");
        if !ph.is_warmup() {
            let name = phase_name(&s.phases, i);
            if !safe_name(&name.replace('-', "_")) {
                d.at(format!("{p}.name"), format!("expected a name of [a-z0-9_-], found {name:?}"));
            }
            if !phase_names.insert(name.clone()) {
                d.at(format!("{p}.name"), format!("duplicate phase name `{name}`"));
            }
        }
        spec(ph.spec(), &p, d);
        if let Some(f) = &ph.spec().findmax {
            findmax(f, ph, &format!("{p}.findmax"), d);
        }
        if let Some(k) = &ph.spec().keys {
            entity_keys(s, k, &format!("{p}.keys"), d);
        }
        match &ph.spec().mix {
            None if !ph.is_warmup() => d.at(&p, "expected a `mix` of operations"),
            None => {
                if !s.phases[i..].iter().any(|q| !q.is_warmup()) {
                    d.at(&p, "a warmup without `mix` uses the next run phase's, but none follows");
                }
            }
            Some(m) => mix::entries(s, m, &format!("{p}.mix"), tables, d),
        }
    }
    phase_names
}

/// A phase's own settings at `p`: its length, workers, rate, timeout, sampling and keys.
fn spec(sp: &PhaseSpec, p: &str, d: &mut Diagnostics) {
    match (sp.requests, sp.duration) {
        (Some(_), Some(_)) => d.at(format!("{p}.duration"), "requests and duration are both set; give one of them"),
        (None, None) => d.at(p, "expected `requests` or `duration`"),
        (Some(0), _) => d.at(format!("{p}.requests"), "expected at least 1 request, found 0"),
        (_, Some(dur)) if dur.0.is_zero() => d.at(format!("{p}.duration"), "expected a positive duration, found 0"),
        _ => {}
    }
    if sp.workers == Some(0) {
        d.at(format!("{p}.workers"), "expected at least 1 worker, found 0");
    }
    if let Some(w) = sp.workers {
        if w > 10_000 {
            d.at(format!("{p}.workers"), format!("expected at most 10000 workers, found {w}"));
        }
    }
    if let Some(r) = sp.rate {
        if !(r > 0.0 && r.is_finite()) {
            d.at(format!("{p}.rate"), format!("expected a positive rate in requests per second, found {r}"));
        }
    }
    if let Some(t) = sp.timeout {
        if t.0.is_zero() {
            d.at(format!("{p}.timeout"), "expected a positive timeout, found 0");
        }
    }
    if sp.explain_every == Some(0) {
        d.at(format!("{p}.explain_every"), "expected N >= 1 (one request in N), found 0");
    }
    fraction(d, &format!("{p}.max_error_rate"), sp.max_error_rate, false);
    if let Some(k) = &sp.keys {
        keys(k, &format!("{p}.keys"), d);
    }
}

/// `findmax`: a run phase without `rate`, rates and factors in range.
fn findmax(f: &FindMax, ph: &Phase, p: &str, d: &mut Diagnostics) {
    if ph.is_warmup() {
        d.at(p, "findmax applies to a `run` phase (a warmup is not measured)");
    }
    if ph.spec().rate.is_some() {
        d.at(p, "findmax chooses the rate of each step: remove this phase's `rate`");
    }
    let positive = |v: f64| v > 0.0 && v.is_finite() && v <= 10_000_000.0;
    if !positive(f.start) {
        d.at(format!("{p}.start"), format!("expected a positive rate in requests per second (at most 10000000), found {}", f.start));
    }
    if let Some(m) = f.max {
        if !positive(m) || m < f.start {
            d.at(format!("{p}.max"), format!("expected a rate of at least `start` ({}) and at most 10000000, found {m}", f.start));
        }
    }
    if let Some(x) = f.factor {
        if !(x > 1.0 && x <= 100.0) {
            d.at(format!("{p}.factor"), format!("expected a factor above 1 and at most 100, found {x}"));
        }
    }
    if let Some(x) = f.precision {
        if !(x > 0.0 && x < 1.0) {
            d.at(format!("{p}.precision"), format!("expected a relative precision in (0, 1), such as 0.05, found {x}"));
        }
    }
    if let Some(n) = f.steps {
        if !(2..=100).contains(&n) {
            d.at(format!("{p}.steps"), format!("expected 2 to 100 steps, found {n}"));
        }
    }
}

/// To sweep distributions, a `${param}` chooses one: the others' parameters
/// are then dropped before typing (`scenario::keys`), so a parameter that
/// does not apply is a mistake only where the distribution is written out.
const SWEEP_HINT: &str = "(a matrix over distributions, `distribution: \"${dist}\"`, ignores the parameters of the others)";

fn keys(k: &KeySpec, p: &str, d: &mut Diagnostics) {
    if let Some(t) = k.theta {
        if !(t > 0.0 && t < 1.0) {
            d.at(format!("{p}.theta"), format!("expected theta in (0, 1), found {t}"));
        }
        if !matches!(k.distribution, Distribution::Zipfian | Distribution::Latest) {
            d.at(format!("{p}.theta"), format!("theta applies to zipfian and latest only {SWEEP_HINT}"));
        }
    }
    fraction(d, &format!("{p}.hot_keys"), k.hot_keys, true);
    fraction(d, &format!("{p}.hot_traffic"), k.hot_traffic, false);
    if (k.hot_keys.is_some() || k.hot_traffic.is_some()) && k.distribution != Distribution::Hotspot {
        d.at(p, format!("hot_keys and hot_traffic apply to the hotspot distribution only {SWEEP_HINT}"));
    }
}

/// `keys.entities`: known entities, each a distribution of its own (no nesting).
fn entity_keys(s: &Scenario, k: &KeySpec, p: &str, d: &mut Diagnostics) {
    for (name, ek) in &k.entities {
        let at = format!("{p}.entities.{name}");
        if !s.dataset.entities.contains_key(name) {
            d.at(&at, format!("unknown entity `{name}` (known: {})", super::names(s.dataset.entities.keys())));
        }
        if !ek.entities.is_empty() {
            d.at(format!("{at}.entities"), "per-entity keys do not nest: give this entity's distribution and parameters only");
        }
        keys(ek, &at, d);
    }
}
