//! The rest of the page: setup steps, errors, warnings, how the numbers
//! were obtained, the environment and the run folder's files.

use super::esc;
use crate::report::fmt::{f2, f3};
use crate::report::model::{BackendStatus, RunReport, Status};
use std::fmt::Write;

/// `## Setup`: each step's rows and time.
pub(super) fn setup(r: &RunReport, s: &mut String) {
    if r.setup.is_empty() {
        return;
    }
    let _ = writeln!(s, "## Setup\n");
    let _ = writeln!(s, "| backend | step | rows | seconds | rows/s |\n|---|---|---:|---:|---:|");
    for st in &r.setup {
        // Create, analyze and drop write no rows: no rate.
        let rate = if st.rows > 0 { f2(st.rows_per_s) } else { "-".into() };
        let _ = writeln!(s, "| {} | {} | {} | {} | {rate} |", esc(&st.backend), st.step, st.rows, f3(st.duration_s));
    }
    s.push('\n');
}

/// `## Errors`: counts by kind, with an example each.
pub(super) fn errors(r: &RunReport, s: &mut String) {
    if r.errors.is_empty() {
        return;
    }
    let _ = writeln!(s, "## Errors\n");
    let _ = writeln!(s, "| backend | phase | cell | kind | count | example |\n|---|---|---|---|---:|---|");
    for e in &r.errors {
        let ex = e.examples.first().map(|x| esc(x)).unwrap_or_default();
        let _ = writeln!(s, "| {} | {} | {} | {} | {} | {} |", esc(&e.backend), esc(&e.phase), esc(&e.cell), e.kind, e.count, ex);
    }
    s.push('\n');
}

pub(super) fn warnings(r: &RunReport, s: &mut String) {
    if r.warnings.is_empty() {
        return;
    }
    let _ = writeln!(s, "## Warnings\n");
    for w in &r.warnings {
        let _ = writeln!(s, "- {}", esc(w));
    }
    s.push('\n');
}

/// `## How these numbers were obtained`: the method, and each backend's cost basis.
pub(super) fn method(r: &RunReport, s: &mut String) {
    let _ = writeln!(s, "## How these numbers were obtained\n");
    let _ = writeln!(s, "- Each request's latency is recorded in HDR histograms (3 significant digits) kept per worker and merged after the phase; percentiles are read from the merged histogram (`latency/*.hgrm`).");
    let _ = writeln!(
        s,
        "- Closed loop (no `rate`): each worker sends its next request when the previous reply arrived; latency runs from send to reply."
    );
    let _ = writeln!(s, "- Open loop (`rate` set): request *i* is due at start + *i* / rate; latency runs from that intended start, so queueing behind a slow reply is counted (no coordinated omission). Service time (send to reply) is reported beside it; a request sent more than 1 ms after its due time counts as late.");
    let _ = writeln!(s, "- `requests` counts successes and failures; latency percentiles are over successful requests; `throughput_rps` = requests / phase duration. Warmup phases run but are not reported.");
    if r.operations.iter().any(|o| o.step.is_some()) {
        let _ = writeln!(s, "- A request with `steps` is one request: its latency runs from its start (open loop: its intended start) to the end of its last step; each step's own time (its start to its reply) is in the *Per operation* table and operations.csv.");
    }
    if r.checks.iter().any(|c| c.not_evaluated.is_some()) || r.rows.iter().any(|x| x.partial.is_some()) {
        let _ = writeln!(s, "- A row marked partial comes from a phase that stopped before its end; checks are not evaluated on it, nor where a phase never ran.");
    }
    let priced: Vec<&BackendStatus> = r.backends.iter().filter(|b| b.cost_basis.is_some()).collect();
    for b in &priced {
        let _ = writeln!(s, "- Cost of `{}`: {}.", esc(&b.name), esc(b.cost_basis.as_deref().unwrap_or("")));
    }
    if priced.len() < r.backends.len() {
        let _ = writeln!(s, "- Cost columns are empty for backends without `pricing` (see docs/cost.md).");
    }
    s.push('\n');
}

/// `## Environment`: the tool, the machine, and each backend's server.
pub(super) fn environment(r: &RunReport, s: &mut String) {
    let _ = writeln!(s, "## Environment\n");
    let e = &r.environment;
    let _ = writeln!(s, "| item | value |\n|---|---|");
    let _ = writeln!(s, "| tool | {} |", esc(&r.tool));
    let _ = writeln!(s, "| OS | {} ({}) |", esc(&e.os), esc(&e.arch));
    let _ = writeln!(s, "| CPUs | {} |", e.cpus);
    if let Some(t) = e.runtime_threads {
        let _ = writeln!(s, "| runtime threads | {t} |");
    }
    for (k, v) in &e.machine {
        let _ = writeln!(s, "| {} | {} |", k.replace('_', " "), esc(v));
    }
    for b in &r.backends {
        let server: Vec<String> = b.server.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        let status = match b.status {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::Interrupted => "interrupted",
        };
        let _ = writeln!(
            s,
            "| backend `{}` | {} ({status}){} |",
            esc(&b.name),
            b.kind,
            if server.is_empty() { String::new() } else { format!("; {}", esc(&server.join(", "))) }
        );
    }
    if let Some(b) = &r.baseline {
        if b.differences.is_empty() {
            let _ = writeln!(s, "\nCompared with baseline `{}`: the same tool, scenario, machine and server settings.", esc(&b.run_id));
        } else {
            let _ = writeln!(s, "\nCompared with baseline `{}`, which differs in:\n", esc(&b.run_id));
            for d in &b.differences {
                let _ = writeln!(s, "- {}", esc(d));
            }
        }
    }
}

/// The closing line: the run folder's other files (costs.csv and charts
/// only when there are some).
pub(super) fn files(r: &RunReport, charts: bool, s: &mut String) {
    let _ = writeln!(
        s,
        "\nFiles: `results.csv`, `breakdown.csv`, `timeseries.csv`, {}`latency/*.hgrm`, {}`run.json` (rebuild this page with `benchplan report <this folder>`).",
        if crate::report::costs::projections(r).is_some_and(|(_, p)| !p.is_empty()) { "`costs.csv`, " } else { "" },
        if charts { "`charts/*.svg`, " } else { "" }
    );
}
