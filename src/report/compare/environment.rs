//! What differs between two runs besides their numbers: the tool, the
//! scenario, the machine and what each backend's server said of itself.
//! A reviewer reads these before believing a delta.

use crate::report::model::RunReport;
use std::collections::BTreeSet;

/// One difference: what, its value in the base run, in the new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub what: String,
    pub base: String,
    pub new: String,
}

impl Difference {
    pub fn text(&self) -> String {
        format!("{}: {} → {}", self.what, self.base, self.new)
    }
}

/// Every difference in the tool version, scenario hash, machine and the
/// servers' versions and settings; a backend in one run only is one too.
pub fn differences(base: &RunReport, new: &RunReport) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut diff = |what: &str, b: &str, n: &str| {
        if b != n {
            out.push(Difference { what: what.to_string(), base: b.to_string(), new: n.to_string() });
        }
    };
    let short = |s: &str| s.chars().take(12).collect::<String>();
    diff("tool", &base.tool, &new.tool);
    diff("scenario sha256", &short(&base.scenario_sha256), &short(&new.scenario_sha256));
    let (eb, en) = (&base.environment, &new.environment);
    diff("OS", &format!("{} ({})", eb.os, eb.arch), &format!("{} ({})", en.os, en.arch));
    diff("CPUs", &eb.cpus.to_string(), &en.cpus.to_string());
    let threads = |t: Option<usize>| t.map_or_else(|| "-".into(), |t| t.to_string());
    diff("runtime threads", &threads(eb.runtime_threads), &threads(en.runtime_threads));
    let keys: BTreeSet<&String> = eb.machine.keys().chain(en.machine.keys()).collect();
    for k in keys {
        diff(&format!("machine {k}"), value(&eb.machine, k), value(&en.machine, k));
    }
    for n in &new.backends {
        let Some(b) = base.backends.iter().find(|b| b.name == n.name) else {
            diff(&format!("backend `{}`", n.name), "-", &n.kind);
            continue;
        };
        diff(&format!("backend `{}` kind", n.name), &b.kind, &n.kind);
        let keys: BTreeSet<&String> = b.server.keys().chain(n.server.keys()).collect();
        for k in keys {
            diff(&format!("backend `{}` {k}", n.name), value(&b.server, k), value(&n.server, k));
        }
    }
    for b in base.backends.iter().filter(|b| !new.backends.iter().any(|n| n.name == b.name)) {
        diff(&format!("backend `{}`", b.name), &b.kind, "-");
    }
    out
}

/// A recorded fact, or `-` where a run did not record it.
fn value<'a>(facts: &'a std::collections::BTreeMap<String, String>, key: &str) -> &'a str {
    facts.get(key).map_or("-", String::as_str)
}
