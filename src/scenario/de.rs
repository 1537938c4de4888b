//! serde's errors as located diagnostics, said the way this tool says them.

use super::diag::Diagnostics;
use super::load::join;
use serde::de::DeserializeOwned;
use serde_json::Value;

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

/// Deserializes `v` as `T`, recording a located error on failure.
pub(super) fn de<T: DeserializeOwned>(v: &Value, path: &str, d: &mut Diagnostics) -> Option<T> {
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
    super::suggest::serde_message(msg)
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
