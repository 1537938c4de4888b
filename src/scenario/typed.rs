//! The substituted tree -> a typed [`Scenario`], section by section, with
//! a record of what did not parse (so that meaning checks do not repeat it).

use super::de::de;
use super::diag::Diagnostics;
use super::load::{join, kind_of};
use super::model::*;
use indexmap::IndexMap;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn get<'a>(m: &'a serde_json::Map<String, Value>, k: &str) -> Option<&'a Value> {
    m.get(k).filter(|v| !v.is_null())
}

/// What failed to parse: meaning checks below these paths, or about these
/// names, would only repeat the first error.
#[derive(Default)]
pub(super) struct Failed {
    pub(super) prefixes: Vec<String>,
    /// Paths whose own (not nested) problems are hidden, e.g. "no backend" when one failed.
    exact: Vec<String>,
    names: Vec<String>,
}

impl Failed {
    pub(super) fn hides(&self, path: &str, message: &str) -> bool {
        self.exact.iter().any(|p| p == path)
            || self.prefixes.iter().any(|p| path == p || path.starts_with(&format!("{p}.")) || path.starts_with(&format!("{p}[")))
            || self.names.iter().any(|n| message.contains(&format!("`{n}`")))
    }
}

/// Builds a typed scenario section by section, so that one bad section does
/// not hide problems in the others. Returns `None` only when a required
/// section is missing altogether.
pub(super) fn typed(
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

    let backends = backends(m, d, &mut failed);
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

/// The `backends` section: the ones that parse, by name.
fn backends(m: &serde_json::Map<String, Value>, d: &mut Diagnostics, failed: &mut Failed) -> IndexMap<String, BackendConfig> {
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
    backends
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
            let hint = super::suggest::did_you_mean(k, ["entities", "tables"]);
            d.at(join("dataset", k), format!("unknown field `{k}`, expected `entities` or `tables`{hint}"));
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
    struct Located<'a> {
        path: &'a str,
        d: &'a mut Diagnostics,
    }
    impl TypeWith for Located<'_> {
        fn config<T: serde::de::DeserializeOwned>(&mut self, fields: &Value) -> Option<T> {
            de(fields, self.path, self.d)
        }
    }
    match BackendConfig::typed(&kind, &rest, &mut Located { path, d }) {
        Some(config) => config,
        None => {
            let hint = super::suggest::did_you_mean(&kind, Kind::ALL.iter().map(|k| k.as_str()));
            d.at(join(path, "kind"), format!("expected one of {kinds}, found {kind:?}{hint}"));
            None
        }
    }
}
