//! The headline table (with open-loop rows' service times) and the checks.

use super::{cells, esc};
use crate::report::fmt::{f2, f3, f4};
use crate::report::model::RunReport;
use std::fmt::Write;

/// `## Results`: a row per backend, phase and cell.
pub(super) fn results(r: &RunReport, s: &mut String) {
    let _ = writeln!(s, "## Results\n");
    if r.rows.is_empty() {
        let _ = writeln!(s, "No phase completed.\n");
        return;
    }
    let _ = writeln!(
        s,
        "Latency columns are *response time*, over successful requests: from each request's intended start to its reply. In a closed loop the intended start is the send, so response time is the service time (send to reply); in an open loop (`rate`) it is start + *i* / rate, so waiting behind slow replies counts. `cv` is the coefficient of variation of those response times: their standard deviation over their mean, across every successful request of the row (0: all alike; 1 or more: a long tail or several modes).\n"
    );
    let mut head = String::from("| backend | phase |");
    let mut rule = String::from("|---|---|");
    for p in &r.matrix_params {
        let _ = write!(head, " {} |", esc(p));
        rule.push_str("---:|");
    }
    head.push_str(" workers | requests | errors | req/s | p50 ms | p95 ms | p99 ms | p99.9 ms | max ms | cv |");
    rule.push_str("---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let _ = writeln!(s, "{head}\n{rule}");
    for row in &r.rows {
        let l = &row.latency;
        let phase = if row.partial.is_some() { format!("{} (partial)", esc(&row.phase)) } else { esc(&row.phase) };
        let _ = writeln!(
            s,
            "| {} | {} |{} {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            esc(&row.backend),
            phase,
            cells(r, row),
            row.workers,
            row.requests,
            row.errors,
            f2(row.throughput_rps),
            f3(l.p50_ms),
            f3(l.p95_ms),
            f3(l.p99_ms),
            f3(l.p999_ms),
            f3(l.max_ms),
            f4(l.cv)
        );
    }
    s.push('\n');
    for row in r.rows.iter().filter(|x| x.partial.is_some()) {
        let _ = writeln!(
            s,
            "Partial: {} {} [{}] stopped before its end ({}); its figures cover what was measured until then, and no check is evaluated on it.\n",
            esc(&row.backend),
            esc(&row.phase),
            esc(&crate::scenario::cell_label(&row.cell)),
            esc(row.partial.as_deref().unwrap_or(""))
        );
    }
    open_loop(r, s);
}

/// Rows with a target rate: service time and late starts beside the response time.
fn open_loop(r: &RunReport, s: &mut String) {
    if !r.rows.iter().any(|x| x.target_rps.is_some()) {
        return;
    }
    let _ = writeln!(s, "Open-loop rows (a target rate was set): the table above is response time, from each request's intended start; this one is *service time* (send to reply) and the requests sent late:\n");
    let _ = writeln!(s, "| backend | phase | cell | target req/s | achieved req/s | service p50 ms | service p99 ms | late requests |\n|---|---|---|---:|---:|---:|---:|---:|");
    for row in r.rows.iter().filter(|x| x.target_rps.is_some()) {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            esc(&row.backend),
            esc(&row.phase),
            esc(&crate::scenario::cell_label(&row.cell)),
            f2(row.target_rps.unwrap_or(0.0)),
            f2(row.throughput_rps),
            f3(row.service_p50_ms.unwrap_or(0.0)),
            f3(row.service_p99_ms.unwrap_or(0.0)),
            row.late_requests.unwrap_or(0)
        );
    }
    s.push('\n');
}

/// `## Checks`: each check's result per phase it applied to; a check whose
/// phase never ran or stopped early is "not evaluated", never passed.
pub(super) fn checks(r: &RunReport, s: &mut String) {
    let _ = writeln!(s, "## Checks\n");
    if r.checks.is_empty() {
        let _ = writeln!(s, "No checks in the scenario.\n");
        return;
    }
    let passed = r.checks.iter().filter(|c| c.passed).count();
    let unevaluated = r.checks.iter().filter(|c| c.not_evaluated.is_some()).count();
    let failed = r.checks.len() - passed - unevaluated;
    let _ = write!(s, "{passed} of {} passed", r.checks.len());
    if failed > 0 {
        let _ = write!(s, ", {failed} failed");
    }
    if unevaluated > 0 {
        let _ = write!(s, ", {unevaluated} not evaluated (their phase did not run to its end)");
    }
    let _ = writeln!(s, ".\n");
    if r.checks.iter().any(|c| c.reference.is_some()) {
        let _ = writeln!(s, "A relative check's measured value is shown against the figure it refers to, and their ratio.\n");
    }
    let _ = writeln!(s, "| result | check | backend | phase | cell | measured |\n|---|---|---|---|---|---:|");
    for c in &r.checks {
        let scope = match (&c.op, &c.step) {
            (Some(op), Some(step)) => format!(" on step `{}` of `{}`", esc(step), esc(op)),
            (Some(op), None) => format!(" on `{}`", esc(op)),
            _ => String::new(),
        };
        let (result, measured) = match &c.not_evaluated {
            Some(why) => ("**NOT EVALUATED**", esc(why)),
            None => (if c.passed { "pass" } else { "**FAIL**" }, measured_text(c)),
        };
        let _ = writeln!(
            s,
            "| {result} | `{}`{scope} | {} | {} | {} | {measured} |",
            esc(&c.check),
            esc(&c.backend),
            esc(&c.phase),
            esc(&c.cell)
        );
    }
    s.push('\n');
}

/// `12.300`, or for a relative check both sides and their ratio:
/// `12.300 vs 15.000 (0.82x)`.
pub(crate) fn measured_text(c: &crate::report::model::CheckResult) -> String {
    let v = c.value.map(f3).unwrap_or_else(|| "n/a".into());
    match c.reference {
        None => v,
        Some(r) => {
            let ratio = match c.value {
                Some(x) if r != 0.0 => format!(" ({}x)", f3(x / r)),
                _ => String::new(),
            };
            format!("{v} vs {}{ratio}", f3(r))
        }
    }
}
