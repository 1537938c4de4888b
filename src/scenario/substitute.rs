//! `${param}`, `${env:NAME}` and `${env:NAME:-default}` substitution.
//!
//! A string whose whole value is `${name}` takes the param's JSON value (a
//! number stays a number); inside a longer string the param's text is
//! interpolated. `$${` writes a literal `${`. Values read from the
//! environment are remembered as secrets so that they can be scrubbed from
//! every output; the display form of the scenario keeps `${env:...}` as written.

use super::load::join;
use indexmap::IndexMap;
use serde_json::Value;

/// How `${env:...}` is treated.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum EnvMode {
    /// Read the environment.
    Resolve,
    /// Keep `${env:...}` as written (for the resolved scenario in reports).
    Keep,
}

/// Fields whose whole value is a param's: (path, param name).
pub type Used = Vec<(String, String)>;

pub struct Substituter<'a> {
    pub params: &'a IndexMap<String, Value>,
    pub env: &'a dyn Fn(&str) -> Option<String>,
    pub mode: EnvMode,
    /// Values that came from the environment.
    pub secrets: Vec<String>,
    /// (path, message) problems.
    pub errors: Vec<(String, String)>,
    /// A problem with a value that is a param's is the param's, reported
    /// where the value is written.
    pub used: Used,
}

impl<'a> Substituter<'a> {
    pub fn new(params: &'a IndexMap<String, Value>, env: &'a dyn Fn(&str) -> Option<String>, mode: EnvMode) -> Self {
        Substituter { params, env, mode, secrets: Vec::new(), errors: Vec::new(), used: Vec::new() }
    }

    /// Substitutes every string in `v`.
    pub fn value(&mut self, v: &Value, path: &str) -> Value {
        match v {
            Value::String(s) => self.string(s, path),
            Value::Array(items) => Value::Array(items.iter().enumerate().map(|(i, x)| self.value(x, &format!("{path}[{i}]"))).collect()),
            Value::Object(m) => Value::Object(m.iter().map(|(k, x)| (k.clone(), self.value(x, &join(path, k)))).collect()),
            other => other.clone(),
        }
    }

    fn string(&mut self, s: &str, path: &str) -> Value {
        if !s.contains('$') {
            return Value::String(s.to_string());
        }
        let trimmed = s.trim();
        if let Some(inner) = trimmed.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
            if !inner.contains('}') && !inner.starts_with("env:") {
                return match self.params.get(inner.trim()) {
                    Some(v) => {
                        self.used.push((path.to_string(), inner.trim().to_string()));
                        v.clone()
                    }
                    None => {
                        self.unknown_param(inner.trim(), path);
                        Value::String(s.to_string())
                    }
                };
            }
        }
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(i) = rest.find('$') {
            out.push_str(&rest[..i]);
            let after = &rest[i..];
            if let Some(r) = after.strip_prefix("$${") {
                out.push_str("${");
                rest = r;
            } else if let Some(r) = after.strip_prefix("${") {
                let Some(end) = r.find('}') else {
                    self.errors.push((path.to_string(), format!("unclosed `${{` in {s:?}")));
                    return Value::String(s.to_string());
                };
                let expr = &r[..end];
                let whole = &after[..end + 3];
                out.push_str(&self.expr(expr, whole, path));
                rest = &r[end + 1..];
            } else {
                out.push('$');
                rest = &after[1..];
            }
        }
        out.push_str(rest);
        Value::String(out)
    }

    fn expr(&mut self, expr: &str, whole: &str, path: &str) -> String {
        let expr = expr.trim();
        if let Some(env) = expr.strip_prefix("env:") {
            let (name, default) = match env.split_once(":-") {
                Some((n, d)) => (n.trim(), Some(d)),
                None => (env.trim(), None),
            };
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                self.errors.push((path.to_string(), format!("expected an environment variable name in {whole}, found {name:?}")));
                return String::new();
            }
            if self.mode == EnvMode::Keep {
                return whole.to_string();
            }
            match (self.env)(name) {
                Some(v) => {
                    if !v.is_empty() && !self.secrets.contains(&v) {
                        self.secrets.push(v.clone());
                    }
                    v
                }
                None => match default {
                    Some(d) => d.to_string(),
                    None => {
                        self.errors.push((
                            path.to_string(),
                            format!("environment variable {name} is not set (write ${{env:{name}:-default}} for a default)"),
                        ));
                        String::new()
                    }
                },
            }
        } else {
            match self.params.get(expr) {
                Some(Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
                None => {
                    self.unknown_param(expr, path);
                    whole.to_string()
                }
            }
        }
    }

    fn unknown_param(&mut self, name: &str, path: &str) {
        let known: Vec<&str> = self.params.keys().map(String::as_str).collect();
        let list = if known.is_empty() { "none are defined".to_string() } else { format!("known: {}", known.join(", ")) };
        let hint = super::suggest::did_you_mean(name, known.iter().copied());
        self.errors.push((path.to_string(), format!("unknown param `{name}` in ${{{name}}} ({list}){hint}")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(name: &str) -> Option<String> {
        match name {
            "URL" => Some("postgres://u:hunter2@h/db".into()),
            _ => None,
        }
    }

    #[test]
    fn whole_param_keeps_type_and_partial_interpolates() {
        let params: IndexMap<String, Value> = [("rows".to_string(), json!(100)), ("n".to_string(), json!("x"))].into();
        let mut s = Substituter::new(&params, &env, EnvMode::Resolve);
        assert_eq!(s.value(&json!("${rows}"), "a"), json!(100));
        assert_eq!(s.value(&json!("t_${rows}_${n}"), "a"), json!("t_100_x"));
        assert_eq!(s.value(&json!("$${rows}"), "a"), json!("${rows}"));
        assert!(s.errors.is_empty());
        // Only whole values are the param's own.
        assert_eq!(s.used, vec![("a".to_string(), "rows".to_string())]);
    }

    #[test]
    fn env_default_missing_and_secret() {
        let params = IndexMap::new();
        let mut s = Substituter::new(&params, &env, EnvMode::Resolve);
        assert_eq!(s.value(&json!("${env:NOPE:-fallback}"), "a"), json!("fallback"));
        assert_eq!(s.value(&json!("${env:NOPE:-}"), "a"), json!(""));
        assert_eq!(s.value(&json!("${env:URL}"), "a"), json!("postgres://u:hunter2@h/db"));
        assert_eq!(s.secrets, vec!["postgres://u:hunter2@h/db".to_string()]);
        s.value(&json!("${env:NOPE}"), "b.c");
        s.value(&json!("${nope}"), "d");
        assert_eq!(s.errors.len(), 2);
        assert_eq!(s.errors[0].0, "b.c");
        assert!(s.errors[1].1.contains("unknown param `nope`"));
        let mut k = Substituter::new(&params, &env, EnvMode::Keep);
        assert_eq!(k.value(&json!("${env:URL}"), "a"), json!("${env:URL}"));
    }
}
