//! `backends:` names, prices, and each kind's own checks.

use super::KindChecks;
use crate::scenario::diag::Diagnostics;
use crate::scenario::model::*;
use crate::scenario::suggest::did_you_mean;
use serde_json::Value;

/// Every backend: at least one, a usable name, and its config.
pub(super) fn backends(s: &Scenario, kind_checks: Option<KindChecks>, d: &mut Diagnostics) {
    if s.backends.is_empty() {
        d.at("backends", "expected at least one backend");
    }
    for (name, b) in &s.backends {
        let p = format!("backends.{name}");
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') || name.is_empty() {
            d.at(&p, format!("expected a backend name of [A-Za-z0-9_-], found {name:?}"));
        }
        backend(b, &p, kind_checks, d);
    }
}

/// `string "0.5"`, `null`, ...: a value as an error message shows it.
fn describe(v: &Value) -> String {
    match v {
        Value::String(x) => format!("string {x:?}"),
        Value::Null => "nothing (null)".into(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
        Value::Number(n) => format!("{n}"),
    }
}

/// Where a backend's preset name is written: `pricing`, or `pricing.preset`
/// under inline overrides.
pub fn preset_path(p: &str, pricing: Option<&Pricing>) -> String {
    match pricing {
        Some(Pricing::Inline(_)) => format!("{p}.pricing.preset"),
        _ => format!("{p}.pricing"),
    }
}

fn backend(b: &BackendConfig, p: &str, kind_checks: Option<KindChecks>, d: &mut Diagnostics) {
    if let Some(name) = b.pricing().and_then(Pricing::preset) {
        let at = preset_path(p, b.pricing());
        match crate::prices::preset(name) {
            None => {
                let hint = did_you_mean(name, crate::prices::PRESETS.iter().map(|p| p.name));
                d.at(at, format!("unknown pricing preset `{name}` (known: {}){hint}", crate::prices::preset_names()))
            }
            // A service's prices only fit that service.
            Some(preset) if !preset.fits(b.kind().as_str()) => {
                d.at(at, format!("pricing preset `{name}` is not for a backend of kind {}", b.kind()))
            }
            Some(_) => {}
        }
    }
    if let Some(pricing) = b.pricing() {
        prices(pricing, p, d);
    }
    if let Some(check) = kind_checks {
        check(b, p, d);
    }
}

/// The inline prices: at least one (or a preset), each a known field and a number >= 0.
fn prices(pricing: &Pricing, p: &str, d: &mut Diagnostics) {
    // `pricing: {}` would price the backend at nothing: a free database in every comparison.
    if pricing.preset().is_none() && pricing.overrides().next().is_none() {
        let known: Vec<&str> = crate::prices::PRICE_FIELDS.iter().map(|(f, _)| *f).collect();
        d.at(format!("{p}.pricing"), format!("expected a preset name or at least one price ({}), found no prices", known.join(", ")));
    }
    for (k, v) in pricing.overrides() {
        if !crate::prices::PRICE_FIELDS.iter().any(|(f, _)| f == k) {
            let known: Vec<&str> = crate::prices::PRICE_FIELDS.iter().map(|(f, _)| *f).collect();
            let hint = did_you_mean(k, known.iter().copied());
            d.at(format!("{p}.pricing.{k}"), format!("unknown price field `{k}` (known: {}){hint}", known.join(", ")));
        } else {
            match v.as_f64() {
                Some(x) if x.is_finite() && x >= 0.0 => {}
                Some(x) => d.at(format!("{p}.pricing.{k}"), format!("expected a price >= 0, found {x}")),
                None => d.at(format!("{p}.pricing.{k}"), format!("expected a price (a number, USD), found {}", describe(v))),
            }
        }
    }
}
