//! Scenario files: load (YAML -> tree with locations), substitute, type,
//! validate. `load_file` is the one entry point; it returns every problem in
//! the file at once, or a [`Resolved`] scenario with one typed copy per
//! matrix cell.

pub mod check;
pub mod diag;
pub mod load;
pub mod model;
pub mod schema;
pub mod substitute;
pub mod validate;

use diag::{Diagnostic, Diagnostics};
use indexmap::IndexMap;
use load::{join, kind_of};
use model::*;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use substitute::{EnvMode, Substituter};

/// A loaded, substituted, typed and validated scenario.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The file as given on the command line.
    pub file: String,
    /// The folder the file is in (templates overrides are relative to it).
    pub dir: PathBuf,
    pub sha256: String,
    /// Names of the matrix params, in file order.
    pub matrix_params: Vec<String>,
    /// One entry per matrix cell, in file order (the last param varies fastest).
    pub cells: Vec<Cell>,
    /// The scenario with params substituted (first cell) and `${env:...}` kept as written.
    pub display: Value,
    /// Strings that came from the environment: never printed.
    pub secrets: Vec<String>,
    /// Where each field path is in the file, for problems found later
    /// (templates that do not render).
    pub locations: diag::Locations,
}

#[derive(Debug, Clone)]
pub struct Cell {
    /// The matrix values of this cell, in matrix order.
    pub values: IndexMap<String, Value>,
    pub scenario: Scenario,
}

impl Cell {
    /// `hot=0.8 workers=8`, or `-` for a scenario without a matrix.
    pub fn label(&self) -> String {
        cell_label(&self.values)
    }
}

pub fn cell_label(values: &IndexMap<String, Value>) -> String {
    if values.is_empty() {
        return "-".to_string();
    }
    values.iter().map(|(k, v)| format!("{k}={}", scalar_text(v))).collect::<Vec<_>>().join(" ")
}

/// A param value as plain text (strings without quotes).
pub fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Resolved {
    pub fn first(&self) -> &Scenario {
        &self.cells[0].scenario
    }
}

/// Errors from loading: every diagnostic in the file, sorted by position.
#[derive(Debug)]
pub struct LoadError(pub Vec<Diagnostic>);

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

/// Options that come from the command line.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--set K=V`
    pub sets: Vec<String>,
    /// The backend kinds' own checks of their configs (the registry's
    /// `backend::registry::validate_config`); None checks only what the
    /// scenario knows.
    pub kind_checks: Option<validate::KindChecks>,
}

const TOP_FIELDS: &[&str] = &[
    "version",
    "name",
    "description",
    "seed",
    "params",
    "matrix",
    "backends",
    "dataset",
    "setup",
    "phases",
    "teardown",
    "checks",
    "cost",
    "templates",
];

/// Reads, substitutes, types and validates a scenario file.
pub fn load_file(path: &Path, opts: &LoadOptions) -> Result<Resolved, LoadError> {
    let file = path.display().to_string();
    let bytes = load::read_capped(path).map_err(|e| {
        LoadError(vec![Diagnostic {
            file: file.clone(),
            line: 1,
            col: 1,
            path: String::new(),
            message: format!("cannot read the file: {e}"),
        }])
    })?;
    let env = |name: &str| std::env::var(name).ok();
    load_bytes(&file, &bytes, opts, &env)
}

/// Like [`load_file`], from bytes and with an explicit environment.
pub fn load_bytes(file: &str, bytes: &[u8], opts: &LoadOptions, env: &dyn Fn(&str) -> Option<String>) -> Result<Resolved, LoadError> {
    let mut d = Diagnostics::new(file);
    let Some(raw) = load::parse(bytes, &mut d) else {
        return Err(LoadError(d.sorted()));
    };
    let Value::Object(top) = &raw else {
        return Err(LoadError(d.sorted()));
    };
    for key in top.keys() {
        if !TOP_FIELDS.contains(&key.as_str()) {
            d.at(key.clone(), format!("unknown field `{key}`, expected one of {}", TOP_FIELDS.join(", ")));
        }
    }
    let no_params = IndexMap::new();
    let mut secrets = Vec::new();

    // params: env substitution only.
    let mut params: IndexMap<String, Value> = IndexMap::new();
    match top.get("params") {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            let mut s = Substituter::new(&no_params, env, EnvMode::Resolve);
            for (k, v) in m {
                let p = join("params", k);
                if !is_ident(k) {
                    d.at(&p, format!("expected a param name of letters, digits and _, found {k:?}"));
                }
                if v.is_object() || v.is_null() {
                    d.at(&p, format!("expected a scalar or a list, found {}", kind_of(v)));
                }
                params.insert(k.clone(), s.value(v, &p));
            }
            report_subst(&mut d, &mut s, &mut secrets);
        }
        Some(other) => d.at("params", format!("expected a mapping of param names to values, found {}", kind_of(other))),
    }

    // matrix: lists of values.
    let mut matrix: IndexMap<String, Vec<Value>> = IndexMap::new();
    match top.get("matrix") {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            let mut s = Substituter::new(&no_params, env, EnvMode::Resolve);
            for (k, v) in m {
                let p = join("matrix", k);
                match v {
                    Value::Array(items) if items.is_empty() => d.at(&p, "expected a non-empty list of values, found an empty list"),
                    Value::Array(items) => {
                        let vals: Vec<Value> = items.iter().enumerate().map(|(i, x)| s.value(x, &format!("{p}[{i}]"))).collect();
                        matrix.insert(k.clone(), vals);
                    }
                    other => d.at(&p, format!("expected a list of values to sweep, found {}", kind_of(other))),
                }
            }
            report_subst(&mut d, &mut s, &mut secrets);
        }
        Some(other) => d.at("matrix", format!("expected a mapping of param names to lists, found {}", kind_of(other))),
    }

    // --set K=V
    for set in &opts.sets {
        let Some((k, v)) = set.split_once('=') else {
            d.at_pos(1, 1, "", format!("--set {set:?}: expected K=V"));
            continue;
        };
        let k = k.trim();
        let value = set_value(v);
        if let Some(m) = matrix.get_mut(k) {
            *m = vec![value];
        } else if params.contains_key(k) {
            params.insert(k.to_string(), value);
        } else {
            let known: Vec<&String> = params.keys().chain(matrix.keys()).collect();
            d.at_pos(1, 1, "", format!("--set {k}=...: unknown param `{k}` (known: {})", join_names(&known)));
        }
    }

    // Cells: the cartesian product, last param fastest.
    let mut cells_values: Vec<IndexMap<String, Value>> = vec![IndexMap::new()];
    for (k, vals) in &matrix {
        let mut next = Vec::with_capacity(cells_values.len() * vals.len());
        for c in &cells_values {
            for v in vals {
                let mut c2 = c.clone();
                c2.insert(k.clone(), v.clone());
                next.push(c2);
            }
        }
        cells_values = next;
    }

    let mut cells = Vec::with_capacity(cells_values.len());
    for values in cells_values {
        let mut cell_params = params.clone();
        for (k, v) in &values {
            cell_params.insert(k.clone(), v.clone());
        }
        let mut s = Substituter::new(&cell_params, env, EnvMode::Resolve);
        let mut subst = serde_json::Map::new();
        for (k, v) in top {
            if k != "params" && k != "matrix" {
                subst.insert(k.clone(), s.value(v, k));
            }
        }
        let subst_failed: Vec<String> = s.errors.iter().map(|(p, _)| p.clone()).collect();
        report_subst(&mut d, &mut s, &mut secrets);
        let before = d.items.len();
        let mut td = Diagnostics::new(file);
        td.locations = d.locations.clone();
        let (scenario, mut failed) = typed(&subst, &params, &matrix, &mut td);
        // A value whose substitution failed is wrong already; do not also say why it does not parse.
        let under = |path: &str, p: &str| path == p || path.starts_with(&format!("{p}.")) || path.starts_with(&format!("{p}["));
        for item in td.items {
            if !subst_failed.iter().any(|p| under(&item.path, p)) {
                d.items.push(item);
            }
        }
        failed.prefixes.extend(subst_failed);
        if d.items.len() > before || !d.is_empty() {
            // Check the meaning of what did parse, without echoing the
            // consequences of what did not; then stop: the same mistakes
            // would repeat in every cell.
            if let Some(sc) = scenario {
                let mut sem = Diagnostics::new(file);
                sem.locations = d.locations.clone();
                validate::validate(&sc, opts.kind_checks, &mut sem);
                for item in sem.items {
                    if !failed.hides(&item.path, &item.message) {
                        d.items.push(item);
                    }
                }
            }
            return Err(LoadError(d.sorted()));
        }
        if let Some(scenario) = scenario {
            cells.push(Cell { values, scenario });
        }
    }
    for cell in &cells {
        validate::validate(&cell.scenario, opts.kind_checks, &mut d);
    }
    if let Some(first) = cells.first() {
        for cell in &cells[1..] {
            validate::same_outside_phases(&first.scenario, &cell.scenario, &cell.values, &mut d);
        }
    }
    if !d.is_empty() || cells.is_empty() {
        return Err(LoadError(d.sorted()));
    }

    // The display form: first cell's params, env kept as written.
    let mut display_params = params.clone();
    if let Some(c) = cells.first() {
        for (k, v) in &c.values {
            display_params.insert(k.clone(), v.clone());
        }
    }
    let mut s = Substituter::new(&display_params, env, EnvMode::Keep);
    let mut display = serde_json::Map::new();
    for (k, v) in top {
        let v = if k == "params" || k == "matrix" { v.clone() } else { s.value(v, k) };
        display.insert(k.clone(), v);
    }
    if !display.contains_key("params") && !params.is_empty() {
        display.insert("params".into(), serde_json::to_value(&params).unwrap_or(Value::Null));
    }
    let path = Path::new(file);
    Ok(Resolved {
        file: file.to_string(),
        dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        sha256: hex(&Sha256::digest(bytes)),
        matrix_params: matrix.keys().cloned().collect(),
        cells,
        display: Value::Object(display),
        secrets,
        locations: d.locations,
    })
}

fn join_names(names: &[&String]) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
    }
}

/// A `--set` value typed as YAML would type it: `0.5` is a number, `abc` a string.
fn set_value(text: &str) -> Value {
    match serde_yaml::from_str::<serde_yaml::Value>(text) {
        Ok(serde_yaml::Value::Bool(b)) => Value::Bool(b),
        Ok(serde_yaml::Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64().and_then(serde_json::Number::from_f64).map(Value::Number).unwrap_or_else(|| Value::String(text.to_string()))
            }
        }
        _ => Value::String(text.to_string()),
    }
}

fn report_subst(d: &mut Diagnostics, s: &mut Substituter, secrets: &mut Vec<String>) {
    for (p, m) in s.errors.drain(..) {
        d.at(p, m);
    }
    for sec in s.secrets.drain(..) {
        if !secrets.contains(&sec) {
            secrets.push(sec);
        }
    }
}

pub fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Deserializes `v` as `T`, recording a located error on failure.
/// Most problems reported in one item: after each, its key is taken out
/// and the item read again, so a second mistake in the same phase or
/// backend is found in the same run.
const MAX_PROBLEMS_PER_ITEM: usize = 10;

/// A step down into a value: a mapping key or a list index.
#[derive(PartialEq)]
enum PathStep {
    Key(String),
    Index(usize),
}

fn de<T: DeserializeOwned>(v: &Value, path: &str, d: &mut Diagnostics) -> Option<T> {
    let mut e = match serde_path_to_error::deserialize::<_, T>(v) {
        Ok(t) => return Some(t),
        Err(e) => e,
    };
    let mut work: Option<Value> = None;
    let mut removed: Vec<Vec<PathStep>> = Vec::new();
    for _ in 0..MAX_PROBLEMS_PER_ITEM {
        let mut p = path.to_string();
        // The steps down to the problem; None where serde lost the way.
        let mut steps: Option<Vec<PathStep>> = Some(Vec::new());
        for seg in e.path().iter() {
            match seg {
                serde_path_to_error::Segment::Seq { index } => {
                    p.push_str(&format!("[{index}]"));
                    if let Some(s) = steps.as_mut() {
                        s.push(PathStep::Index(*index));
                    }
                }
                serde_path_to_error::Segment::Map { key } | serde_path_to_error::Segment::Enum { variant: key } => {
                    p = join(&p, key);
                    if let Some(s) = steps.as_mut() {
                        s.push(PathStep::Key(key.clone()));
                    }
                }
                serde_path_to_error::Segment::Unknown => steps = None,
            }
        }
        let msg = humanize(&e.into_inner().to_string());
        // A required key taken out after its own problem: already said.
        let follows = msg.strip_prefix("missing field `").and_then(|r| r.split('`').next()).is_some_and(|f| {
            steps.as_ref().is_some_and(|s| removed.iter().any(|r| r.split_last() == Some((&PathStep::Key(f.to_string()), s.as_slice()))))
        });
        if follows {
            break;
        }
        d.at(p, msg);
        // Only a mapping key can be taken out: taking out a list item would
        // shift the indices after it.
        let Some(steps) = steps.filter(|s| matches!(s.last(), Some(PathStep::Key(_)))) else { break };
        let w = work.get_or_insert_with(|| v.clone());
        if !remove_key(w, &steps) {
            break;
        }
        removed.push(steps);
        e = match serde_path_to_error::deserialize::<_, T>(&*w) {
            Ok(_) => break,
            Err(e) => e,
        };
    }
    None
}

/// Takes the mapping key `steps` ends with out of `v`.
fn remove_key(v: &mut Value, steps: &[PathStep]) -> bool {
    let Some((PathStep::Key(last), parents)) = steps.split_last() else { return false };
    let mut at = v;
    for step in parents {
        let next = match step {
            PathStep::Key(k) => at.get_mut(k),
            PathStep::Index(i) => at.get_mut(*i),
        };
        match next {
            Some(n) => at = n,
            None => return false,
        }
    }
    at.as_object_mut().is_some_and(|m| m.shift_remove(last).is_some())
}

/// serde's messages, said the way this tool says them.
fn humanize(msg: &str) -> String {
    let plain = rust_types(msg.trim());
    let msg = plain.as_str();
    if let Some(rest) = msg.strip_prefix("invalid type: ") {
        if let Some((found, expected)) = rest.split_once(", expected ") {
            return format!("expected {expected}, found {found}");
        }
    }
    if let Some(rest) = msg.strip_prefix("invalid value: ") {
        if let Some((found, expected)) = rest.split_once(", expected ") {
            return format!("expected {expected}, found {found}");
        }
    }
    if msg.starts_with("data did not match any variant of untagged enum") {
        return format!("expected one of the accepted forms ({})", untagged_hint(msg));
    }
    msg.to_string()
}

/// `u64` -> `a whole number >= 0` and the like: say it as a user would.
fn rust_types(msg: &str) -> String {
    let mut out = msg.to_string();
    for (t, plain) in [
        ("u64", "a whole number >= 0"),
        ("u32", "a whole number >= 0 (at most 4294967295)"),
        ("usize", "a whole number >= 0"),
        ("i64", "a whole number"),
        ("f64", "a number"),
        ("a string", "a string"),
    ] {
        for (pre, post) in [("expected ", ""), ("expected ", ",")] {
            out = out.replace(&format!("{pre}{t}{post}"), &format!("{pre}{plain}{post}"));
        }
    }
    out
}

fn untagged_hint(msg: &str) -> &'static str {
    if msg.contains("Latency") {
        "a duration such as 2ms, or { median: 2ms, p99: 10ms }"
    } else if msg.contains("Features") {
        "a number of features, or a list of { name, type }"
    } else if msg.contains("Billing") {
        "on_demand, or { provisioned: { rcu, wcu } }"
    } else if msg.contains("Pricing") {
        "a preset name, or a mapping of price names to numbers with an optional `preset:` they override"
    } else if msg.contains("Check") {
        "\"METRIC OP NUMBER\", or { expr, backend?, phase?, <matrix param>? }"
    } else {
        "see the schema"
    }
}

fn get<'a>(m: &'a serde_json::Map<String, Value>, k: &str) -> Option<&'a Value> {
    m.get(k).filter(|v| !v.is_null())
}

/// What failed to parse: meaning checks below these paths, or about these
/// names, would only repeat the first error.
#[derive(Default)]
struct Failed {
    prefixes: Vec<String>,
    /// Paths whose own (not nested) problems are hidden, e.g. "no backend" when one failed.
    exact: Vec<String>,
    names: Vec<String>,
}

impl Failed {
    fn hides(&self, path: &str, message: &str) -> bool {
        self.exact.iter().any(|p| p == path)
            || self.prefixes.iter().any(|p| path == p || path.starts_with(&format!("{p}.")) || path.starts_with(&format!("{p}[")))
            || self.names.iter().any(|n| message.contains(&format!("`{n}`")))
    }
}

/// Builds a typed scenario section by section, so that one bad section does
/// not hide problems in the others. Returns `None` only when a required
/// section is missing altogether.
fn typed(
    m: &serde_json::Map<String, Value>,
    params: &IndexMap<String, Value>,
    matrix: &IndexMap<String, Vec<Value>>,
    d: &mut Diagnostics,
) -> (Option<Scenario>, Failed) {
    let mut failed = Failed::default();
    let mut missing = false;
    for name in ["version", "name", "backends", "dataset", "phases"] {
        if get(m, name).is_none() {
            d.at_pos(1, 1, name, format!("missing field `{name}` at the top level"));
            missing = true;
        }
    }
    let version = get(m, "version").and_then(|v| de::<u32>(v, "version", d));
    let name = get(m, "name").and_then(|v| de::<String>(v, "name", d));
    if version.is_none() {
        failed.prefixes.push("version".into());
    }
    if name.is_none() {
        failed.prefixes.push("name".into());
    }
    let description = get(m, "description").and_then(|v| de::<String>(v, "description", d));
    let seed = match get(m, "seed") {
        Some(v) => de::<u64>(v, "seed", d).unwrap_or(1),
        None => 1,
    };
    let templates = get(m, "templates").and_then(|v| de::<String>(v, "templates", d));
    let cost = get(m, "cost").and_then(|v| de::<CostConfig>(v, "cost", d));

    let mut backends = IndexMap::new();
    match get(m, "backends") {
        Some(Value::Object(bm)) => {
            for (bname, bv) in bm {
                match backend(bv, &join("backends", bname), d) {
                    Some(b) => {
                        backends.insert(bname.clone(), b);
                    }
                    None => {
                        failed.names.push(bname.clone());
                        failed.exact.push("backends".into());
                    }
                }
            }
        }
        Some(other) => {
            d.at("backends", format!("expected a mapping of backend names to settings, found {}", kind_of(other)));
            failed.prefixes.push("backends".into());
            failed.prefixes.push("checks".into());
        }
        None => failed.prefixes.push("backends".into()),
    }
    let dataset = match get(m, "dataset") {
        Some(v) => dataset(v, d, &mut failed),
        None => None,
    };
    if dataset.is_none() {
        failed.prefixes.push("dataset".into());
        failed.prefixes.push("phases".into());
    }
    let setup = list::<Step>(m, "setup", d, &mut failed, || Step::Drop(DropStep {}));
    let teardown = list::<Step>(m, "teardown", d, &mut failed, || Step::Drop(DropStep {}));
    let checks = list::<Check>(m, "checks", d, &mut failed, || Check::Expr("error_rate >= 0".into()));
    let phases = list::<Phase>(m, "phases", d, &mut failed, || Phase::Run(PhaseSpec { requests: Some(1), ..Default::default() }));
    if missing {
        return (None, failed);
    }
    (
        Some(Scenario {
            version: version.unwrap_or(1),
            name: name.unwrap_or_else(|| "x".into()),
            description,
            seed,
            params: params.clone(),
            matrix: matrix.clone(),
            backends,
            dataset: dataset.unwrap_or(Dataset { entities: IndexMap::new(), tables: Vec::new() }),
            setup,
            phases,
            teardown,
            checks,
            cost,
            templates,
        }),
        failed,
    )
}

/// A list section; an element that does not parse is replaced by `stand_in`
/// (so later indices keep their paths) and its path is remembered.
fn list<T: DeserializeOwned>(
    m: &serde_json::Map<String, Value>,
    name: &str,
    d: &mut Diagnostics,
    failed: &mut Failed,
    stand_in: impl Fn() -> T,
) -> Vec<T> {
    match get(m, name) {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let p = format!("{name}[{i}]");
                de::<T>(v, &p, d).unwrap_or_else(|| {
                    failed.prefixes.push(p);
                    // A check scoped to a phase that did not parse is not "unknown".
                    if let Some(n) = v.as_object().and_then(|o| o.values().next()).and_then(|x| x.get("name")).and_then(Value::as_str) {
                        failed.names.push(n.to_string());
                    }
                    stand_in()
                })
            })
            .collect(),
        Some(other) => {
            d.at(name, format!("expected a list, found {}", kind_of(other)));
            failed.prefixes.push(name.to_string());
            Vec::new()
        }
    }
}

fn dataset(v: &Value, d: &mut Diagnostics, failed: &mut Failed) -> Option<Dataset> {
    let Value::Object(m) = v else {
        d.at("dataset", format!("expected a mapping with entities and tables, found {}", kind_of(v)));
        return None;
    };
    for k in m.keys() {
        if k != "entities" && k != "tables" {
            d.at(join("dataset", k), format!("unknown field `{k}`, expected `entities` or `tables`"));
        }
    }
    let mut entities = IndexMap::new();
    match get(m, "entities") {
        Some(Value::Object(em)) => {
            for (name, ev) in em {
                match de::<Entity>(ev, &format!("dataset.entities.{name}"), d) {
                    Some(e) => {
                        entities.insert(name.clone(), e);
                    }
                    None => {
                        failed.names.push(name.clone());
                        failed.exact.push("dataset.entities".into());
                    }
                }
            }
        }
        Some(other) => d.at("dataset.entities", format!("expected a mapping of entity names, found {}", kind_of(other))),
        None => d.at("dataset", "missing field `entities`"),
    }
    let tables = match get(m, "tables") {
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, tv)| {
                let p = format!("dataset.tables[{i}]");
                let t = de::<TableSpec>(tv, &p, d);
                if t.is_none() {
                    failed.prefixes.push(p);
                    if let Some(n) = tv.get("name").and_then(Value::as_str) {
                        failed.names.push(n.to_string());
                    }
                }
                t
            })
            .collect(),
        Some(other) => {
            d.at("dataset.tables", format!("expected a list of tables, found {}", kind_of(other)));
            Vec::new()
        }
        None => {
            d.at("dataset", "missing field `tables`");
            Vec::new()
        }
    };
    Some(Dataset { entities, tables })
}

fn backend(v: &Value, path: &str, d: &mut Diagnostics) -> Option<BackendConfig> {
    let Value::Object(m) = v else {
        d.at(path, format!("expected a mapping with `kind`, found {}", kind_of(v)));
        return None;
    };
    let kinds = Kind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ");
    let kind = match m.get("kind") {
        Some(Value::String(k)) => k.clone(),
        Some(other) => {
            d.at(join(path, "kind"), format!("expected one of {kinds}, found {}", kind_of(other)));
            return None;
        }
        None => {
            d.at(path, format!("missing field `kind` (one of {kinds})"));
            return None;
        }
    };
    let mut rest = m.clone();
    rest.remove("kind");
    let rest = Value::Object(rest);
    Some(match kind.as_str() {
        "sqlite" => BackendConfig::Sqlite(de(&rest, path, d)?),
        "postgres" => BackendConfig::Postgres(de(&rest, path, d)?),
        "mysql" => BackendConfig::Mysql(de(&rest, path, d)?),
        "dynamodb" => BackendConfig::Dynamodb(de(&rest, path, d)?),
        "cosmos" => BackendConfig::Cosmos(de(&rest, path, d)?),
        "noop" => BackendConfig::Noop(de(&rest, path, d)?),
        other => {
            d.at(join(path, "kind"), format!("expected one of {kinds}, found {other:?}"));
            return None;
        }
    })
}
