//! `## Client resources`: what the benchplan process itself used per phase,
//! so a reader can tell whether the figures measure the backend or the client.

use super::esc;
use crate::report::fmt::{f2, f3};
use crate::report::model::RunReport;
use std::fmt::Write;

pub(super) fn client(r: &RunReport, s: &mut String) {
    let rows: Vec<_> = r.rows.iter().filter_map(|x| x.client.as_ref().map(|c| (x, c))).collect();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(s, "## Client resources\n");
    let _ = writeln!(
        s,
        "What the benchplan process used during each phase, read at its start and end: CPU time (user + system, all threads, `getrusage`), per request sent, as a share of its cores over the phase, and its peak resident memory (`VmHWM`; `phase`: reset at the phase's start, `process`: the process's peak so far). Above 80 % of its cores the client, not the backend, may be what was measured (a warning says so).\n"
    );
    let _ = writeln!(s, "| backend | phase | cell | requests | client CPU s | CPU per request µs | cores busy | peak RSS MB |");
    let _ = writeln!(s, "|---|---|---|---:|---:|---:|---:|---:|");
    for (row, c) in rows {
        let peak = c.peak_rss_mb.map(|m| format!("{} ({})", f2(m), c.peak_scope)).unwrap_or_else(|| "-".into());
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {:.0} % of {} | {peak} |",
            esc(&row.backend),
            esc(&row.phase),
            esc(&crate::scenario::cell_label(&row.cell)),
            row.requests,
            f3(c.cpu_s),
            c.cpu_per_request_us.map(f2).unwrap_or_else(|| "-".into()),
            c.cpu_share * 100.0,
            c.cores
        );
    }
    s.push('\n');
}
