//! Cross-checks: each phase's server counters beside benchplan's own
//! counts (rows for run.json), and summary.md's *Cross-check* section.

use super::markdown::esc;
use super::model::{CrossCheckRow, RunReport};
use crate::stats::measured::MeasuredPhase;
use crate::stats::xcheck::{tolerance, Compare, TOLERANCE_SHARE, TOLERANCE_SLACK};
use std::fmt::Write;

/// What may make the two counts differ, said with every disagreement.
pub const SOURCES: &str = "failed requests (benchplan does not count what they sent), EXPLAIN samples (on a server that counts them as the run's statements or commits), other clients of the server \
     (and of the database), the tool's own catalog and counter queries, the driver's setup statements on each connection opened in the \
     phase, and statements the server lists under another text";

/// The phase's cross-check rows; warnings for counts that disagree; notes.
pub fn rows(m: &MeasuredPhase, cell: &str, warnings: &mut Vec<String>, notes: &mut Vec<String>) -> Vec<CrossCheckRow> {
    let Some(server) = &m.server else { return Vec::new() };
    let (id, st) = (&m.id, &m.stats);
    for n in &server.notes {
        let note = format!("{}: {n}", id.backend);
        if !notes.contains(&note) {
            notes.push(note);
        }
    }
    // EXPLAIN samples run under another text in a transaction rolled back:
    // neither the run's statements nor commits (so not in the tolerance).
    let uncounted = st.error_count();
    let rows_bound = if st.ok > 0 { st.rows.div_ceil(st.ok) } else { 1 };
    let mut out = Vec::new();
    for c in &server.counters {
        let ours = match c.compare {
            Compare::Statements => Some((st.sent.statements, m.statements_bound)),
            Compare::AllStatements => Some((st.sent.statements + st.sent.control, m.statements_bound)),
            Compare::Commits => Some((st.sent.commits, m.statements_bound)),
            Compare::Rows => Some((st.rows, rows_bound)),
            Compare::Nothing => None,
        };
        let mut row = CrossCheckRow {
            backend: id.backend.clone(),
            cell: cell.to_string(),
            phase: id.phase.clone(),
            warmup: m.warmup,
            counter: c.name.clone(),
            compared_with: None,
            benchplan: None,
            server: c.delta,
            difference: None,
            tolerance: None,
            agrees: None,
        };
        if let Some((count, per_request)) = ours {
            let diff = c.delta as i64 - count as i64;
            let allowed = tolerance(count, uncounted, per_request);
            let agrees = diff.unsigned_abs() <= allowed;
            if !agrees {
                warnings.push(format!(
                    "{} {} [{cell}]: the server counted {} {} where benchplan sent {count} {} (difference {diff:+}, tolerance {allowed}); expected sources of a difference: {SOURCES}",
                    id.backend,
                    id.phase,
                    c.delta,
                    c.name,
                    c.compare.describe()
                ));
            }
            row.compared_with = Some(c.compare.describe().to_string());
            row.benchplan = Some(count);
            row.difference = Some(diff);
            row.tolerance = Some(allowed);
            row.agrees = Some(agrees);
        }
        out.push(row);
    }
    out
}

/// summary.md's *Cross-check* section (empty without server counters).
pub fn section(r: &RunReport) -> String {
    let mut s = String::new();
    if r.cross_checks.is_empty() && r.cross_check_notes.is_empty() {
        return s;
    }
    let _ = writeln!(s, "## Cross-check\n");
    let _ = writeln!(
        s,
        "The server's own counters, read before and after each phase (never per request), less the tool's own reading queries, beside what benchplan counted sending. \
         The counts agree when they differ by at most the tolerance: {:.0} % of benchplan's count, plus the phase's failed requests times the statements a request \
         may send, plus {TOLERANCE_SLACK}. Counters without a count of benchplan's are the server's figures alone.\n",
        TOLERANCE_SHARE * 100.0
    );
    if !r.cross_checks.is_empty() {
        let _ = writeln!(s, "| backend | cell | phase | counter | benchplan | server | difference | tolerance | agrees |");
        let _ = writeln!(s, "|---|---|---|---|---:|---:|---:|---:|---|");
    }
    for c in &r.cross_checks {
        let phase = if c.warmup { format!("{} (warmup)", c.phase) } else { c.phase.clone() };
        let ours = match (&c.compared_with, c.benchplan) {
            (Some(what), Some(n)) => format!("{n} {what}"),
            _ => "-".into(),
        };
        let opt = |v: Option<String>| v.unwrap_or_else(|| "-".into());
        let agrees = match c.agrees {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "-",
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {ours} | {} | {} | {} | {agrees} |",
            esc(&c.backend),
            esc(&c.cell),
            esc(&phase),
            esc(&c.counter),
            c.server,
            opt(c.difference.map(|d| format!("{d:+}"))),
            opt(c.tolerance.map(|t| t.to_string())),
        );
    }
    let disagree = r.cross_checks.iter().filter(|c| c.agrees == Some(false)).count();
    if disagree > 0 {
        let _ =
            writeln!(s, "\n**Warning**: {disagree} counts disagree beyond their tolerance. Expected sources of a difference: {SOURCES}.");
    }
    if !r.cross_check_notes.is_empty() {
        s.push('\n');
        for n in &r.cross_check_notes {
            let _ = writeln!(s, "- {}", esc(n));
        }
    }
    s.push('\n');
    s
}
