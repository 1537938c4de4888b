//! The published JSON schema, generated from the model types.
//!
//! Every non-string scalar (and every enum of strings) also accepts a
//! `${...}` reference, so that an editor validates a raw scenario file.

use super::model::Scenario;
use serde_json::{json, Map, Value};

/// The definition of a `${...}` reference; a model type whose schema lists
/// it among its own `anyOf` branches is left as it is.
pub const SUBSTITUTION: &str = "#/$defs/Substitution";

/// The schema as pretty JSON with a trailing newline: the bytes of `schemas/scenario.schema.json`.
pub fn schema_json() -> String {
    let mut v = schema_value();
    sort_defs(&mut v);
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

pub fn schema_value() -> Value {
    let schema = schemars::generate::SchemaSettings::draft2020_12().into_generator().into_root_schema_for::<Scenario>();
    let mut v = schema.to_value();
    allow_substitutions(&mut v);
    if let Value::Object(root) = &mut v {
        // $schema, $id and title first, for a reader of the file.
        let rest = std::mem::take(root);
        root.insert("$schema".into(), rest.get("$schema").cloned().unwrap_or(json!("https://json-schema.org/draft/2020-12/schema")));
        root.insert("$id".into(), json!("https://benchplan.dev/schemas/scenario.schema.json"));
        root.insert("title".into(), json!("benchplan scenario, format version 1"));
        root.insert(
            "description".into(),
            json!("A benchplan scenario. Every field, command, exit code and report file is documented in docs/scenario-format.md of the benchplan repository."),
        );
        for (k, val) in rest {
            if k != "$schema" && k != "title" && k != "description" {
                root.insert(k, val);
            }
        }
        let defs = root.entry("$defs").or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(defs) = defs {
            defs.insert(
                "Substitution".into(),
                json!({
                    "type": "string",
                    "pattern": r"^\s*\$\{[^}]+\}\s*$",
                    "description": "A ${param} or ${env:NAME} reference, substituted before validation."
                }),
            );
        }
    }
    v
}

fn sort_defs(v: &mut Value) {
    if let Some(Value::Object(defs)) = v.get_mut("$defs") {
        let mut entries: Vec<(String, Value)> = std::mem::take(defs).into_iter().collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        defs.extend(entries);
    }
}

fn is_scalar_schema(m: &Map<String, Value>) -> bool {
    let scalar = |t: &str| matches!(t, "integer" | "number" | "boolean");
    match m.get("type") {
        Some(Value::String(t)) if scalar(t) => true,
        Some(Value::String(t)) if t == "string" => m.contains_key("enum") || m.contains_key("const") || m.contains_key("pattern"),
        Some(Value::Array(ts)) => ts.iter().any(|t| t.as_str().is_some_and(scalar)),
        None => m.contains_key("enum") || m.contains_key("const"),
        _ => false,
    }
}

/// Wraps every scalar schema in `anyOf: [original, Substitution]`.
fn allow_substitutions(v: &mut Value) {
    match v {
        Value::Object(m) => {
            let refs_substitution = |b: &Value| b.get("$ref") == Some(&json!(SUBSTITUTION));
            if m.get("anyOf").and_then(Value::as_array).is_some_and(|a| a.iter().any(refs_substitution)) {
                // Its own schema already accepts `${...}` (a distribution).
                return;
            }
            for (k, child) in m.iter_mut() {
                // Property names and the like are not values.
                if k == "propertyNames" {
                    continue;
                }
                allow_substitutions(child);
            }
            // An enum whose variants carry descriptions becomes `oneOf` of
            // constants; once each accepts `${...}` a reference matches them
            // all, which `oneOf` forbids: any one will do.
            let all_wrapped = |v: &Value| {
                v.get("anyOf").and_then(Value::as_array).is_some_and(|a| a.iter().any(|x| x.get("$ref") == Some(&json!(SUBSTITUTION))))
            };
            if let Some(Value::Array(branches)) = m.get("oneOf") {
                if !branches.is_empty() && branches.iter().all(all_wrapped) {
                    if let Some(b) = m.remove("oneOf") {
                        m.insert("anyOf".into(), b);
                    }
                }
            }
            if is_scalar_schema(m) {
                let orig = std::mem::take(m);
                let mut outer = Map::new();
                let mut inner = Map::new();
                for (k, val) in orig {
                    if matches!(k.as_str(), "description" | "default" | "title" | "examples") {
                        outer.insert(k, val);
                    } else {
                        inner.insert(k, val);
                    }
                }
                outer.insert("anyOf".into(), json!([Value::Object(inner), {"$ref": SUBSTITUTION}]));
                *m = outer;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(allow_substitutions),
        _ => {}
    }
}
