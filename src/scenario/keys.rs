//! A phase's `keys:` before it is typed: a distribution written with its
//! parameters (`zipfian:0.9`, `hotspot:0.01:0.8`) is spread into `theta`,
//! `hot_keys` and `hot_traffic`; and when a `${param}` chooses the
//! distribution (a matrix over distributions), the parameters of the others
//! are dropped instead of being an error in the cells that do not use them.

use super::diag::Diagnostics;
use super::load::join;
use super::model::{Distribution, DISTRIBUTION_PARAMETERS};
use serde_json::{Map, Value};

/// Every `keys:` of every phase of the substituted file `top` (and every
/// mapping inside one that names a `distribution`). `used`: the fields whose
/// whole value was a param's, (path, param).
pub(super) fn spread(top: &mut Map<String, Value>, used: &[(String, String)], d: &mut Diagnostics) {
    let Some(Value::Array(phases)) = top.get_mut("phases") else { return };
    for (i, ph) in phases.iter_mut().enumerate() {
        let Value::Object(ph) = ph else { continue };
        for (variant, spec) in ph.iter_mut() {
            if let Some(keys) = spec.get_mut("keys") {
                walk(keys, &format!("phases[{i}].{variant}.keys"), used, d);
            }
        }
    }
}

fn walk(v: &mut Value, path: &str, used: &[(String, String)], d: &mut Diagnostics) {
    let Value::Object(m) = v else { return };
    if m.contains_key("distribution") {
        one(m, path, used, d);
    }
    for (k, child) in m.iter_mut() {
        if child.is_object() {
            walk(child, &join(path, k), used, d);
        }
    }
}

/// One mapping with a `distribution` at `path`.
fn one(m: &mut Map<String, Value>, path: &str, used: &[(String, String)], d: &mut Diagnostics) {
    let at = join(path, "distribution");
    let Some(Value::String(text)) = m.get("distribution").cloned() else { return };
    let chosen_by_param = used.iter().any(|(p, _)| *p == at);
    let (name, args) = match text.split_once(':') {
        Some((n, a)) => (n, Some(a)),
        None => (text.as_str(), None),
    };
    let Some(dist) = Distribution::from_name(name) else {
        // Typing names the unknown distribution (and the nearest known one).
        m.insert("distribution".into(), Value::String(name.to_string()));
        return;
    };
    m.insert("distribution".into(), Value::String(name.to_string()));
    if let Some(args) = args {
        match parameters(dist, args) {
            Err(expected) => d.at(&at, format!("expected {expected}, found {text:?}")),
            Ok(values) => {
                for (field, x) in values {
                    match m.get(field) {
                        // A `${param}` value's own parameters win over the mapping's,
                        // which are the default for the values that give none.
                        Some(given) if !given.is_null() && !chosen_by_param => {
                            d.at(&at, format!("{field} is given twice, in {text:?} and as `{field}: {given}`; give it once"))
                        }
                        _ => {
                            m.insert(field.to_string(), Value::from(x));
                        }
                    }
                }
            }
        }
    }
    if chosen_by_param {
        for field in DISTRIBUTION_PARAMETERS {
            if !dist.parameters().contains(&field) {
                m.shift_remove(field);
            }
        }
    }
}

/// The parameters after `name:`, each checked; Err(the expected form).
fn parameters(dist: Distribution, args: &str) -> Result<Vec<(&'static str, f64)>, String> {
    let name = dist.as_str();
    let expected = match dist {
        Distribution::Zipfian | Distribution::Latest => format!("`{name}:THETA` with THETA in (0, 1)"),
        Distribution::Hotspot => {
            "`hotspot:HOT_KEYS` or `hotspot:HOT_KEYS:HOT_TRAFFIC` with HOT_KEYS in (0, 1] and HOT_TRAFFIC in [0, 1]".to_string()
        }
        Distribution::Uniform | Distribution::Sequential => format!("`{name}` without parameters"),
    };
    // As the schema has it: no spaces.
    let parts: Vec<&str> = args.split(':').collect();
    let fields = dist.parameters();
    if parts.len() > fields.len() {
        return Err(expected);
    }
    let mut out = Vec::with_capacity(parts.len());
    for (field, part) in fields.iter().zip(parts) {
        let x: f64 = part.parse().map_err(|_| expected.clone())?;
        let ok = match *field {
            "theta" => x > 0.0 && x < 1.0,
            "hot_keys" => x > 0.0 && x <= 1.0,
            _ => (0.0..=1.0).contains(&x),
        };
        if !ok {
            return Err(expected);
        }
        out.push((*field, x));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `keys` after spreading, and the problems, as `path: message`.
    fn spread_keys(keys: Value, by_param: bool) -> (Value, Vec<String>) {
        let mut top = json!({ "phases": [{ "run": { "keys": keys } }] });
        let used = if by_param { vec![("phases[0].run.keys.distribution".to_string(), "dist".to_string())] } else { Vec::new() };
        let mut d = Diagnostics::new("f");
        if let Value::Object(m) = &mut top {
            spread(m, &used, &mut d);
        }
        let problems = d.items.iter().map(|i| format!("{}: {}", i.path, i.message)).collect();
        (top["phases"][0]["run"]["keys"].clone(), problems)
    }

    #[test]
    fn a_distribution_with_parameters_is_spread_into_them() {
        assert_eq!(spread_keys(json!({"distribution": "zipfian:0.9"}), false), (json!({"distribution": "zipfian", "theta": 0.9}), vec![]));
        assert_eq!(spread_keys(json!({"distribution": "latest:0.5"}), false), (json!({"distribution": "latest", "theta": 0.5}), vec![]));
        assert_eq!(
            spread_keys(json!({"distribution": "hotspot:0.01:0.8"}), false),
            (json!({"distribution": "hotspot", "hot_keys": 0.01, "hot_traffic": 0.8}), vec![])
        );
        assert_eq!(
            spread_keys(json!({"distribution": "hotspot:0.1"}), false),
            (json!({"distribution": "hotspot", "hot_keys": 0.1}), vec![])
        );
        // Plain names are left as they are.
        assert_eq!(spread_keys(json!({"distribution": "uniform"}), false), (json!({"distribution": "uniform"}), vec![]));
    }

    #[test]
    fn bad_parameters_are_reported_at_the_distribution() {
        for (text, expected) in [
            ("zipfian:1.5", "expected `zipfian:THETA` with THETA in (0, 1), found \"zipfian:1.5\""),
            ("zipfian:abc", "expected `zipfian:THETA` with THETA in (0, 1), found \"zipfian:abc\""),
            ("zipfian:0.5:0.5", "expected `zipfian:THETA` with THETA in (0, 1), found \"zipfian:0.5:0.5\""),
            ("uniform:0.5", "expected `uniform` without parameters, found \"uniform:0.5\""),
            ("hotspot:0:0.5", "with HOT_KEYS in (0, 1] and HOT_TRAFFIC in [0, 1], found \"hotspot:0:0.5\""),
            ("zipfian: 0.9", "expected `zipfian:THETA` with THETA in (0, 1), found \"zipfian: 0.9\""),
        ] {
            let (_, problems) = spread_keys(json!({ "distribution": text }), false);
            assert_eq!(problems.len(), 1, "{text}: {problems:?}");
            assert!(
                problems[0].starts_with("phases[0].run.keys.distribution: ") && problems[0].ends_with(expected),
                "{text}: {problems:?}"
            );
        }
        // An unknown name is left to typing (which suggests the nearest), without its parameters.
        assert_eq!(spread_keys(json!({"distribution": "zipfain:0.9"}), false), (json!({"distribution": "zipfain"}), vec![]));
    }

    #[test]
    fn a_parameter_given_twice_is_refused_unless_a_param_chose_the_distribution() {
        let (_, problems) = spread_keys(json!({"distribution": "zipfian:0.9", "theta": 0.5}), false);
        assert_eq!(
            problems,
            ["phases[0].run.keys.distribution: theta is given twice, in \"zipfian:0.9\" and as `theta: 0.5`; give it once"]
        );
        // Chosen by a param: the value's own theta wins over the mapping's default.
        assert_eq!(
            spread_keys(json!({"distribution": "zipfian:0.9", "theta": 0.5}), true),
            (json!({"distribution": "zipfian", "theta": 0.9}), vec![])
        );
    }

    #[test]
    fn a_distribution_chosen_by_a_param_drops_the_parameters_of_the_others() {
        let keys = json!({"distribution": "uniform", "theta": 0.9, "hot_keys": 0.1, "hot_traffic": 0.5});
        assert_eq!(spread_keys(keys.clone(), true), (json!({"distribution": "uniform"}), vec![]));
        let keys_z = json!({"distribution": "zipfian", "theta": 0.9, "hot_keys": 0.1});
        assert_eq!(spread_keys(keys_z, true), (json!({"distribution": "zipfian", "theta": 0.9}), vec![]));
        // Written in the file, the same mapping is left for validation to refuse.
        assert_eq!(spread_keys(keys.clone(), false), (keys, vec![]));
    }

    #[test]
    fn mappings_inside_keys_that_name_a_distribution_are_spread_too() {
        let (keys, problems) =
            spread_keys(json!({"distribution": "uniform", "entities": {"item": {"distribution": "zipfian:0.8"}}}), false);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(keys["entities"]["item"], json!({"distribution": "zipfian", "theta": 0.8}));
    }
}
