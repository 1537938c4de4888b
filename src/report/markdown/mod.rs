//! summary.md: the page a reviewer reads in a pull request.
//!
//! [`summary_md`] writes the sections in page order, one function each:
//! `results` (the headline table, open-loop rows, checks), `breakdowns`
//! (vector search recall, hot / cold, EXPLAIN cache samples), `capacity` (consumed units and
//! cost per row), `resources` (the client's own CPU and memory), `run` (setup, errors, warnings, method, environment,
//! files).
//! The per-operation, per-entity and slowest-leg sections are `legs`', the
//! cost projection `costs`'.

mod breakdowns;
mod capacity;
mod resources;
mod results;
mod run;

use super::model::{ResultRow, RunReport, Status};
use crate::scenario::scalar_text;
pub(crate) use results::measured_text;
use std::fmt::Write;

pub(crate) fn esc(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// A row's matrix values as table cells, in matrix order.
fn cells(r: &RunReport, row: &ResultRow) -> String {
    r.matrix_params.iter().map(|p| format!(" {} |", esc(&row.cell.get(p).map(scalar_text).unwrap_or_default()))).collect()
}

pub fn summary_md(r: &RunReport) -> Vec<u8> {
    let mut s = String::new();
    header(r, &mut s);
    results::results(r, &mut s);
    results::checks(r, &mut s);
    super::findmax::section(r, &mut s);
    let charts = super::charts::list(r);
    charts_section(&charts, &mut s);
    breakdowns::recall(r, &mut s);
    breakdowns::hot_cold(r, &mut s);
    s.push_str(&super::legs::operations(r));
    s.push_str(&super::legs::section(r));
    breakdowns::cache(r, &mut s);
    capacity::capacity(r, &mut s);
    s.push_str(&super::xcheck::section(r));
    resources::client(r, &mut s);
    s.push_str(&super::costs::section(r));
    run::setup(r, &mut s);
    run::errors(r, &mut s);
    run::warnings(r, &mut s);
    run::method(r, &mut s);
    run::environment(r, &mut s);
    run::files(r, !charts.is_empty(), &mut s);
    s.into_bytes()
}

/// The title, the run's facts, and what went wrong with the run as a whole.
fn header(r: &RunReport, s: &mut String) {
    let _ = writeln!(s, "# benchplan report: {}\n", esc(&r.scenario));
    if let Some(d) = &r.description {
        let _ = writeln!(s, "{}\n", esc(d));
    }
    let _ = writeln!(s, "- Run: `{}` ({} to {}, UTC)", r.run_id, r.started_utc, r.finished_utc);
    let _ = writeln!(s, "- Scenario: `{}` (sha256 `{}`)", r.scenario_file, r.scenario_sha256);
    let _ = writeln!(s, "- Command: `{}`", r.command);
    if r.interrupted {
        let _ = writeln!(s, "- **Interrupted** (Ctrl-C): the tables below hold what was measured before the stop.");
    }
    let failed: Vec<_> = r.backends.iter().filter(|b| b.status == Status::Failed).collect();
    for b in &failed {
        let _ = writeln!(s, "- **Backend `{}` failed**: {}", b.name, esc(b.error.as_deref().unwrap_or("unknown error")));
    }
    s.push_str(&super::shards::header_lines(r));
    s.push('\n');
}

/// Links to the charts (charts/*.svg, drawn from this report).
fn charts_section(charts: &[super::charts::Chart], s: &mut String) {
    if !charts.is_empty() {
        let _ = writeln!(s, "## Charts\n");
        for c in charts {
            let alt = esc(&c.title).replace('[', "\\[").replace(']', "\\]");
            let _ = writeln!(s, "![{alt}](charts/{})\n", c.file);
        }
    }
}
