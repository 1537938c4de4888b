//! Durations such as `500ms` or `1h 30m`: the parser and the schema's
//! pattern accept the same strings.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A duration such as `500ms`, `2s`, `1m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationSpec(pub Duration);

impl Serialize for DurationSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(self.0).to_string())
    }
}

impl<'de> Deserialize<'de> for DurationSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = DurationSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a duration such as 500ms, 2s or 1m")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<DurationSpec, E> {
                if !duration_grammar(v) {
                    return Err(E::custom(format!("expected a duration such as 500ms, 2s or 1m, got {v:?}")));
                }
                humantime::parse_duration(v.trim())
                    .map(DurationSpec)
                    .map_err(|e| E::custom(format!("expected a duration such as 500ms, 2s or 1m, got {v:?} ({e})")))
            }
        }
        d.deserialize_str(V)
    }
}

/// Duration units, as humantime reads them.
const DURATION_UNITS: &[&str] = &[
    "nanos", "nsec", "ns", "usec", "us", "µs", "millis", "msec", "ms", "seconds", "second", "secs", "sec", "s", "minutes", "minute",
    "mins", "min", "m", "hours", "hour", "hrs", "hr", "h", "days", "day", "d", "weeks", "week", "wks", "wk", "w", "months", "month", "M",
    "years", "year", "yrs", "yr", "y",
];

/// The schema's pattern for a duration: what [`duration_grammar`] accepts.
pub const DURATION_PATTERN: &str = r"^\s*([0-9]+(\.[0-9]+)?\s*(nanos|nsec|ns|usec|us|µs|millis|msec|ms|seconds|second|secs|sec|s|minutes|minute|mins|min|m|hours|hour|hrs|hr|h|days|day|d|weeks|week|wks|wk|w|months|month|M|years|year|yrs|yr|y)\s*)+$";

/// Whether `v` is one or more `<number><unit>` parts (a number may have a
/// fraction; spaces anywhere between parts): the same language as
/// [`DURATION_PATTERN`], so the schema and the parser agree.
pub fn duration_grammar(v: &str) -> bool {
    let mut rest = v.trim_start();
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return false;
        }
        rest = &rest[digits..];
        if let Some(frac) = rest.strip_prefix('.') {
            let n = frac.len() - frac.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            if n == 0 {
                return false;
            }
            rest = &frac[n..];
        }
        rest = rest.trim_start();
        let letters = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_alphabetic() || c == 'µ').len();
        if !DURATION_UNITS.contains(&&rest[..letters]) {
            return false;
        }
        rest = rest[letters..].trim_start();
    }
    true
}

impl JsonSchema for DurationSpec {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A duration such as 500ms, 2s, 1m, 1h 30m.",
            "pattern": DURATION_PATTERN
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The schema's duration pattern and the parser accept the same strings.
    #[test]
    fn duration_schema_and_parser_agree() {
        let schema = serde_json::json!({ "type": "string", "pattern": DURATION_PATTERN });
        let Ok(v) = jsonschema::validator_for(&schema) else { panic!("the pattern compiles") };
        let cases = [
            "500ms",
            "2s",
            "1m",
            "1h 30m",
            "1h30m",
            " 10s ",
            "1.5s",
            "1.5 s",
            "2 days",
            "3sec",
            "0s",
            "10µs",
            "1M",
            "",
            "s",
            "5",
            "-1s",
            "1.s",
            ".5s",
            "1 parsec",
            "1s x",
            "1ss",
            "10 mins 3 secs",
            "1m s",
        ];
        for c in cases {
            let schema_ok = v.is_valid(&serde_json::json!(c));
            let parser_ok = serde_json::from_value::<DurationSpec>(serde_json::json!(c)).is_ok();
            assert_eq!(schema_ok, parser_ok, "{c:?}: schema {schema_ok}, parser {parser_ok}");
        }
        assert!(v.is_valid(&serde_json::json!("1h 30m")) && !v.is_valid(&serde_json::json!("5")));
    }
}
