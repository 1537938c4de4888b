//! Meaning checks on a typed scenario: everything serde cannot see.
//! Every problem is collected; nothing here opens a connection.
//!
//! [`validate`] goes through the file's sections in order, one file each:
//! `backends`, `dataset`, `phases` (setup and teardown steps too) with the
//! request mix in `mix`, and `checks` (and `cost`).

mod backends;
mod checks;
mod dataset;
mod mix;
mod phases;
mod vector;

pub use backends::preset_path;

use super::diag::Diagnostics;
use super::is_ident;
use super::model::*;
use indexmap::IndexMap;
use serde_json::Value;

const MAX_IDENT: usize = 63;

/// A safe SQL identifier: lower case letters, digits and _, at most 63 bytes.
pub fn safe_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_IDENT && is_ident(s) && s.chars().all(|c| !c.is_ascii_uppercase())
}

/// Checks an optional fraction: in (0, 1] (`lo_open`) or [0, 1].
pub fn fraction(d: &mut Diagnostics, path: &str, v: Option<f64>, lo_open: bool) {
    if let Some(x) = v {
        let ok = if lo_open { x > 0.0 && x <= 1.0 } else { (0.0..=1.0).contains(&x) };
        if !ok || !x.is_finite() {
            let range = if lo_open { "(0, 1]" } else { "[0, 1]" };
            d.at(path, format!("expected a fraction in {range}, found {x}"));
        }
    }
}

/// The checks a backend kind makes of its own config (the registry's, in
/// `backend`: the scenario does not know the kinds' rules).
pub type KindChecks = fn(&BackendConfig, &str, &mut Diagnostics);

/// Checks one cell's scenario.
pub fn validate(s: &Scenario, kind_checks: Option<KindChecks>, d: &mut Diagnostics) {
    top(s, d);
    backends::backends(s, kind_checks, d);
    let all_tables = dataset::dataset(&s.dataset, d);
    dataset::vector_kinds(s, d);
    dataset::catalog_tables(s, d);
    vector::settings(s, d);
    phases::steps(s, d);
    let phase_names = phases::phases(s, &all_tables, d);
    checks::checks(s, &phase_names, d);
    checks::cost(s, d);
}

/// The top-level fields: version, name, params.
fn top(s: &Scenario, d: &mut Diagnostics) {
    if s.version != 1 {
        d.at("version", format!("expected 1 (the only format version), found {}", s.version));
    }
    if s.name.is_empty() || !s.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-') {
        d.at("name", format!("expected [a-z0-9_-]+ (it names the results folder), found {:?}", s.name));
    }
    for (k, v) in &s.params {
        if let Value::Array(_) = v {
            d.at(format!("params.{k}"), "expected a scalar; to sweep values put the list under `matrix`");
        }
    }
}

/// `a, b, c` (each once), or `none`: the known names an error message lists.
fn names<'a>(it: impl Iterator<Item = &'a String>) -> String {
    super::suggest::name_list(it.map(String::as_str))
}

/// Checks a URL's scheme without echoing the URL (it may carry a password).
pub fn url(u: &str, schemes: &[&str], p: &str, d: &mut Diagnostics) {
    let scheme = u.split_once("://").map(|(s, _)| s);
    match scheme {
        Some(s) if schemes.contains(&s) => {}
        // Never echo the URL: it may carry a password.
        _ => d.at(p, format!("expected a URL starting with {}://", schemes[0])),
    }
}

/// The backends connect once, so they must be the same in every matrix
/// cell. (A matrix may change the dataset, setup and teardown: each run of
/// cells with the same ones gets its own setup and teardown.)
pub fn same_outside_phases(first: &Scenario, other: &Scenario, cell: &IndexMap<String, Value>, d: &mut Diagnostics) {
    let pairs = [("backends", serde_json::to_value(&first.backends).ok(), serde_json::to_value(&other.backends).ok())];
    for (section, a, b) in pairs {
        if a != b {
            let params: Vec<&String> = cell.keys().collect();
            let key = params.first().map(|k| format!("matrix.{k}")).unwrap_or_else(|| "matrix".into());
            d.at(
                key,
                format!(
                    "the matrix changes `{section}`, which is connected once per backend before the matrix; sweep params used in the dataset, setup, teardown, phases and checks (matrix params: {})",
                    names(params.into_iter())
                ),
            );
        }
    }
}
