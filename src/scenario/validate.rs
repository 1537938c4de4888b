//! Meaning checks on a typed scenario: everything serde cannot see.
//! Every problem is collected; nothing here opens a connection.

use super::check;
use super::diag::Diagnostics;
use super::is_ident;
use super::model::*;
use indexmap::IndexMap;
use serde_json::Value;
use std::collections::HashSet;

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

/// Checks one cell's scenario.
/// The checks a backend kind makes of its own config (the registry's, in
/// `backend`: the scenario does not know the kinds' rules).
pub type KindChecks = fn(&BackendConfig, &str, &mut Diagnostics);

/// Checks one cell's scenario.
pub fn validate(s: &Scenario, kind_checks: Option<KindChecks>, d: &mut Diagnostics) {
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

    // Backends.
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

    // Dataset.
    let ds = &s.dataset;
    if ds.entities.is_empty() {
        d.at("dataset.entities", "expected at least one entity");
    }
    for (name, e) in &ds.entities {
        let p = format!("dataset.entities.{name}");
        if !safe_name(name) {
            d.at(&p, format!("expected a lowercase identifier ([a-z_][a-z0-9_]*), found {name:?}"));
        }
        match (&e.keys, &e.sample) {
            (Some(_), Some(_)) => {
                d.at(format!("{p}.sample"), "give `keys` (generated keys) or `sample` (keys of an existing table), not both")
            }
            (None, None) => d.at(&p, "expected `keys` (how many keys) or `sample` (keys of an existing table)"),
            (Some(0), _) => d.at(format!("{p}.keys"), "expected at least 1 key, found 0"),
            (Some(k), _) if *k > 1u64 << 48 => d.at(format!("{p}.keys"), format!("expected at most 2^48 keys, found {k}")),
            _ => {}
        }
        if let Some(sm) = &e.sample {
            if !safe_name(&sm.table) {
                d.at(format!("{p}.sample.table"), format!("expected a safe identifier, found {:?}", sm.table));
            }
            if let Some(c) = &sm.column {
                if !safe_name(c) {
                    d.at(format!("{p}.sample.column"), format!("expected a safe identifier, found {c:?}"));
                }
            }
            if sm.count == 0 || sm.count > 10_000_000 {
                d.at(format!("{p}.sample.count"), format!("expected 1 to 10000000 keys, found {}", sm.count));
            }
        }
    }
    if ds.tables.is_empty() {
        d.at("dataset.tables", "expected at least one table");
    }
    let mut seen: HashSet<String> = HashSet::new();
    for (i, t) in ds.tables.iter().enumerate() {
        let p = format!("dataset.tables[{i}]");
        let count = t.count.unwrap_or(1);
        if t.count == Some(0) {
            d.at(format!("{p}.count"), "expected a count of at least 1, found 0");
        }
        if count > 1 && !t.name.contains("{i}") {
            d.at(format!("{p}.name"), format!("count is {count}: the name must contain {{i}} to number the tables, found {:?}", t.name));
        }
        if count > 1 && !t.name.contains("{i}") {
            // Reported above; expanding the name would only add duplicates.
        } else if count > 10_000 {
            d.at(format!("{p}.count"), format!("expected at most 10000 tables, found {count}"));
        } else {
            for n in expand_table_names(t) {
                if !safe_name(&n) {
                    d.at(
                        format!("{p}.name"),
                        format!("expected a safe SQL identifier ([a-z_][a-z0-9_]*, at most {MAX_IDENT} characters), found {n:?}"),
                    );
                    break;
                }
                if !seen.insert(n.clone()) {
                    d.at(format!("{p}.name"), format!("duplicate table `{n}`"));
                }
            }
        }
        match ds.entities.get(&t.entity) {
            None => d.at(format!("{p}.entity"), format!("unknown entity `{}` (known: {})", t.entity, names(ds.entities.keys()))),
            Some(e) => {
                if let Some(rows) = t.rows {
                    if rows > e.count() {
                        d.at(format!("{p}.rows"), format!("expected at most the entity's {} keys, found {rows} rows", e.count()));
                    }
                }
            }
        }
        if let Some(kc) = &t.key_column {
            if !safe_name(kc) {
                d.at(format!("{p}.key_column"), format!("expected a safe identifier, found {kc:?}"));
            }
        }
        match &t.features {
            Features::Count(0) => d.at(format!("{p}.features"), "expected at least 1 feature, found 0"),
            Features::Count(n) if *n > 1000 => d.at(format!("{p}.features"), format!("expected at most 1000 features, found {n}")),
            Features::Count(_) => {}
            Features::List(list) => {
                if list.is_empty() {
                    d.at(format!("{p}.features"), "expected at least 1 feature, found an empty list");
                }
                if t.types.is_some() {
                    d.at(format!("{p}.types"), "`types` applies to numbered features; give each listed feature its own `type`");
                }
                let mut fseen = HashSet::new();
                for (j, f) in list.iter().enumerate() {
                    if !safe_name(&f.name) || f.name == "pk" || f.name == "sk" {
                        d.at(
                            format!("{p}.features[{j}].name"),
                            format!("expected a safe identifier other than pk and sk, found {:?}", f.name),
                        );
                    }
                    if !fseen.insert(&f.name) {
                        d.at(format!("{p}.features[{j}].name"), format!("duplicate feature `{}`", f.name));
                    }
                }
            }
        }
    }
    let all_tables: Vec<(String, String)> =
        ds.tables.iter().flat_map(|t| expand_table_names(t).into_iter().map(move |n| (n, t.entity.clone()))).collect();

    // Steps.
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
            }
        }
    }

    // Phases.
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
        let sp = ph.spec();
        if !ph.is_warmup() {
            let name = phase_name(&s.phases, i);
            if !safe_name(&name.replace('-', "_")) {
                d.at(format!("{p}.name"), format!("expected a name of [a-z0-9_-], found {name:?}"));
            }
            if !phase_names.insert(name.clone()) {
                d.at(format!("{p}.name"), format!("duplicate phase name `{name}`"));
            }
        }
        match (sp.requests, sp.duration) {
            (Some(_), Some(_)) => d.at(format!("{p}.duration"), "requests and duration are both set; give one of them"),
            (None, None) => d.at(&p, "expected `requests` or `duration`"),
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
        match &sp.mix {
            None if !ph.is_warmup() => d.at(&p, "expected a `mix` of operations"),
            None => {
                if !s.phases[i..].iter().any(|q| !q.is_warmup()) {
                    d.at(&p, "a warmup without `mix` uses the next run phase's, but none follows");
                }
            }
            Some(mix) => mix_entries(s, mix, &format!("{p}.mix"), &all_tables, d),
        }
    }

    // Checks.
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
            if let Some(b) = &sc.backend {
                if !s.backends.contains_key(b) {
                    d.at(format!("{p}.backend"), format!("unknown backend `{b}` (known: {})", names(s.backends.keys())));
                }
            }
            if let Some(ph) = &sc.phase {
                if !phase_names.contains(ph) {
                    let mut known: Vec<&String> = phase_names.iter().collect();
                    known.sort();
                    d.at(format!("{p}.phase"), format!("unknown phase `{ph}` (known run phases: {})", names(known.into_iter())));
                }
            }
            for k in sc.params.keys() {
                if !s.matrix.contains_key(k) && !s.params.contains_key(k) {
                    d.at(format!("{p}.{k}"), format!("unknown field `{k}`: expected expr, backend, phase or a matrix param"));
                }
            }
        }
    }
    if let Some(c) = &s.cost {
        if let Some(r) = c.target_rps {
            if !(r > 0.0 && r.is_finite()) {
                d.at("cost.target_rps", format!("expected a positive rate, found {r}"));
            }
        }
    }
}

fn names<'a>(it: impl Iterator<Item = &'a String>) -> String {
    let v: Vec<&str> = it.map(String::as_str).collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
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
            None => d.at(at, format!("unknown pricing preset `{name}` (known: {})", crate::prices::preset_names())),
            // A service's prices only fit that service.
            Some(preset) if !preset.fits(b.kind().as_str()) => {
                d.at(at, format!("pricing preset `{name}` is not for a backend of kind {}", b.kind()))
            }
            Some(_) => {}
        }
    }
    if let Some(pricing) = b.pricing() {
        // `pricing: {}` would price the backend at nothing: a free database in every comparison.
        if pricing.preset().is_none() && pricing.overrides().next().is_none() {
            let known: Vec<&str> = crate::prices::PRICE_FIELDS.iter().map(|(f, _)| *f).collect();
            d.at(format!("{p}.pricing"), format!("expected a preset name or at least one price ({}), found no prices", known.join(", ")));
        }
        for (k, v) in pricing.overrides() {
            if !crate::prices::PRICE_FIELDS.iter().any(|(f, _)| f == k) {
                let known: Vec<&str> = crate::prices::PRICE_FIELDS.iter().map(|(f, _)| *f).collect();
                d.at(format!("{p}.pricing.{k}"), format!("unknown price field `{k}` (known: {})", known.join(", ")));
            } else {
                match v.as_f64() {
                    Some(x) if x.is_finite() && x >= 0.0 => {}
                    Some(x) => d.at(format!("{p}.pricing.{k}"), format!("expected a price >= 0, found {x}")),
                    None => d.at(format!("{p}.pricing.{k}"), format!("expected a price (a number, USD), found {}", describe(v))),
                }
            }
        }
    }
    if let Some(check) = kind_checks {
        check(b, p, d);
    }
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

fn keys(k: &KeySpec, p: &str, d: &mut Diagnostics) {
    if let Some(t) = k.theta {
        if !(t > 0.0 && t < 1.0) {
            d.at(format!("{p}.theta"), format!("expected theta in (0, 1), found {t}"));
        }
        if !matches!(k.distribution, Distribution::Zipfian | Distribution::Latest) {
            d.at(format!("{p}.theta"), "theta applies to zipfian and latest only");
        }
    }
    fraction(d, &format!("{p}.hot_keys"), k.hot_keys, true);
    fraction(d, &format!("{p}.hot_traffic"), k.hot_traffic, false);
    if (k.hot_keys.is_some() || k.hot_traffic.is_some()) && k.distribution != Distribution::Hotspot {
        d.at(p, "hot_keys and hot_traffic apply to the hotspot distribution only");
    }
}

fn mix_entries(s: &Scenario, mix: &[MixEntry], p: &str, tables: &[(String, String)], d: &mut Diagnostics) {
    if mix.is_empty() {
        d.at(p, "expected at least one operation");
        return;
    }
    let mut total = 0.0;
    for (i, m) in mix.iter().enumerate() {
        let mp = format!("{p}[{i}]");
        let w = m.weight.unwrap_or(1.0);
        if !(w >= 0.0 && w.is_finite()) {
            d.at(format!("{mp}.weight"), format!("expected a weight >= 0, found {w}"));
        } else {
            total += w;
        }
        let n = [m.read_features.is_some(), m.write_features.is_some(), m.statement.is_some()].iter().filter(|x| **x).count();
        if n != 1 {
            d.at(&mp, format!("expected exactly one of read_features, write_features, statement; found {n}"));
        }
        if let Some(bs) = &m.backends {
            for (j, b) in bs.iter().enumerate() {
                if !s.backends.contains_key(b) {
                    d.at(format!("{mp}.backends[{j}]"), format!("unknown backend `{b}` (known: {})", names(s.backends.keys())));
                }
            }
        }
        let check_entities = |d: &mut Diagnostics, ents: &[String], sel: &Option<Vec<String>>, op: &str| {
            if ents.is_empty() {
                d.at(format!("{mp}.{op}.entities"), "expected at least one entity");
            }
            for (j, e) in ents.iter().enumerate() {
                if !s.dataset.entities.contains_key(e) {
                    d.at(format!("{mp}.{op}.entities[{j}]"), format!("unknown entity `{e}` (known: {})", names(s.dataset.entities.keys())));
                }
            }
            if let Some(ts) = sel {
                for (j, t) in ts.iter().enumerate() {
                    match tables.iter().find(|(n, _)| n == t) {
                        None => d.at(format!("{mp}.{op}.tables[{j}]"), format!("unknown table `{t}`")),
                        Some((_, e)) if !ents.contains(e) => {
                            d.at(format!("{mp}.{op}.tables[{j}]"), format!("table `{t}` belongs to entity `{e}`, which is not in entities"))
                        }
                        _ => {}
                    }
                }
            }
        };
        if let Some(r) = &m.read_features {
            check_entities(d, &r.entities, &r.tables, "read_features");
            if r.keys_per_table == Some(0) {
                d.at(format!("{mp}.read_features.keys_per_table"), "expected at least 1, found 0");
            }
            if r.keys_per_table.unwrap_or(1) > 1000 {
                d.at(format!("{mp}.read_features.keys_per_table"), "expected at most 1000");
            }
        }
        if let Some(w) = &m.write_features {
            check_entities(d, &w.entities, &w.tables, "write_features");
            if w.batch == Some(0) {
                d.at(format!("{mp}.write_features.batch"), "expected a batch of at least 1, found 0");
            }
            if w.batch.unwrap_or(1) > 10_000 {
                d.at(format!("{mp}.write_features.batch"), "expected a batch of at most 10000");
            }
            let fewest = w.entities.iter().filter_map(|e| s.dataset.entities.get(e)).map(|e| e.count()).min();
            if let Some(n) = fewest {
                if n > 0 && w.mode != WriteMode::Insert && u64::from(w.batch.unwrap_or(1)) > n {
                    d.at(
                        format!("{mp}.write_features.batch"),
                        format!("a batch writes distinct existing keys: expected at most {n}, the entity's keys"),
                    );
                }
            }
        }
        if let Some(st) = &m.statement {
            if !safe_name(&st.name) {
                d.at(format!("{mp}.statement.name"), format!("expected a lowercase identifier, found {:?}", st.name));
            }
            for (bname, b) in &s.backends {
                let runs_here = m.backends.as_ref().is_none_or(|bs| bs.contains(bname));
                if runs_here && !st.has_template_for(b.kind()) {
                    d.at(
                        format!("{mp}.statement"),
                        format!(
                            "no `{}` template for backend `{bname}` (kind {}); add one, or limit this entry with `backends: [...]`",
                            template_field(b.kind()),
                            b.kind()
                        ),
                    );
                }
            }
        }
    }
    if total <= 0.0 {
        d.at(p, "the weights add up to 0; at least one operation needs a positive weight");
    }
}

fn template_field(k: Kind) -> &'static str {
    match k {
        Kind::Sqlite | Kind::Postgres | Kind::Mysql => "sql",
        other => other.as_str(),
    }
}

/// Setup runs once per backend, so everything but phases and checks must be
/// the same in every matrix cell.
pub fn same_outside_phases(first: &Scenario, other: &Scenario, cell: &IndexMap<String, Value>, d: &mut Diagnostics) {
    let pairs = [
        ("dataset", serde_json::to_value(&first.dataset).ok(), serde_json::to_value(&other.dataset).ok()),
        ("backends", serde_json::to_value(&first.backends).ok(), serde_json::to_value(&other.backends).ok()),
        ("setup", serde_json::to_value(&first.setup).ok(), serde_json::to_value(&other.setup).ok()),
        ("teardown", serde_json::to_value(&first.teardown).ok(), serde_json::to_value(&other.teardown).ok()),
    ];
    for (section, a, b) in pairs {
        if a != b {
            let params: Vec<&String> = cell.keys().collect();
            let key = params.first().map(|k| format!("matrix.{k}")).unwrap_or_else(|| "matrix".into());
            d.at(
                key,
                format!(
                    "the matrix changes `{section}`, which is set up once per backend before the matrix; sweep only params used in phases and checks (matrix params: {})",
                    names(params.into_iter())
                ),
            );
        }
    }
}
