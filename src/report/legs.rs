//! Per-entity latency and the slowest leg of `serial` and `parallel` reads
//! (one statement or call per table), as summary.md sections.

use super::fmt::{f2, f3};
use super::markdown::esc;
use super::model::RunReport;
use std::fmt::Write as _;

/// Tables shown per row in the slowest-leg table.
const TOP: usize = 5;

/// "## Per operation": each op of a mixed phase, or nothing without one.
pub fn operations(r: &RunReport) -> String {
    let mut s = String::new();
    if r.operations.is_empty() {
        return s;
    }
    let _ = writeln!(
        s,
        "## Per operation
"
    );
    let _ = writeln!(
        s,
        "Phases whose mix has more than one op, or named ops or ops with `steps`: each op's requests (successful and failed), its share of the phase's requests, and the response time of its successful requests (measured as the phase's own figures are). Rows marked `step` are one step of the request above them: how often it ran and failed, and its own time (from its start to its reply; steps issued together overlap).\n"
    );
    let _ = writeln!(
        s,
        "| backend | phase | cell | op | requests | share | errors | p50 ms | p99 ms | max ms |\n|---|---|---|---|---:|---:|---:|---:|---:|---:|"
    );
    for o in &r.operations {
        let total: u64 = r
            .operations
            .iter()
            .filter(|x| x.backend == o.backend && x.phase == o.phase && x.cell == o.cell && x.step.is_none())
            .map(|x| x.requests)
            .sum();
        let share = if total > 0 { o.requests as f64 * 100.0 / total as f64 } else { 0.0 };
        let (op, share) = match &o.step {
            Some(step) => (format!("&nbsp;&nbsp;step `{}`: {}", esc(step), esc(o.step_does.as_deref().unwrap_or(""))), "-".to_string()),
            None => (esc(&o.op), format!("{} %", f2(share))),
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {op} | {} | {share} | {} | {} | {} | {} |",
            esc(&o.backend),
            esc(&o.phase),
            esc(&o.cell),
            o.requests,
            o.errors,
            o.p50_ms.map_or("-".into(), f3),
            o.p99_ms.map_or("-".into(), f3),
            o.max_ms.map_or("-".into(), f3)
        );
    }
    s.push('\n');
    s
}

/// The two sections, or nothing when no read was timed per table.
pub fn section(r: &RunReport) -> String {
    let mut s = String::new();
    if !r.entities.is_empty() {
        let _ = writeln!(s, "## Per-entity latency\n");
        let _ = writeln!(
            s,
            "Serial and parallel reads, successful requests: the time of each entity's legs (serial: their sum; parallel: the longest, from the request's start).\n"
        );
        let declared = r.resolved_scenario.pointer("/dataset/entities").and_then(|v| v.as_object()).map_or(0, |m| m.len());
        if declared > crate::stats::LEG_ENTITIES {
            let _ = writeln!(
                s,
                "The dataset has {declared} entities; only the first {} are broken down here (their legs still count in every other figure).\n",
                crate::stats::LEG_ENTITIES
            );
        }
        let _ =
            writeln!(s, "| backend | phase | cell | entity | requests | p50 ms | p99 ms | max ms |\n|---|---|---|---|---:|---:|---:|---:|");
        for e in &r.entities {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                esc(&e.backend),
                esc(&e.phase),
                esc(&e.cell),
                esc(&e.entity),
                e.requests,
                f3(e.p50_ms),
                f3(e.p99_ms),
                f3(e.max_ms)
            );
        }
        s.push('\n');
    }
    if !r.legs.is_empty() {
        let _ = writeln!(s, "## Slowest leg\n");
        let _ = writeln!(
            s,
            "Serial and parallel reads: how often each table's statement or call was the slowest of its request; the {TOP} most frequent per row (all of them in run.json).\n"
        );
        let _ = writeln!(s, "| backend | phase | cell | table | slowest in | share |\n|---|---|---|---|---:|---:|");
        // Rows in report order; within a row, most frequent first (ties by table order).
        let mut groups: Vec<(&str, &str, &str)> = Vec::new();
        for l in &r.legs {
            let k = (l.backend.as_str(), l.phase.as_str(), l.cell.as_str());
            if !groups.contains(&k) {
                groups.push(k);
            }
        }
        for (b, p, c) in groups {
            let mut mine: Vec<_> = r.legs.iter().filter(|l| l.backend == b && l.phase == p && l.cell == c).collect();
            mine.sort_by_key(|l| std::cmp::Reverse(l.slowest));
            for l in mine.iter().take(TOP) {
                let _ =
                    writeln!(s, "| {} | {} | {} | {} | {} | {} % |", esc(b), esc(p), esc(c), esc(&l.table), l.slowest, f2(l.share * 100.0));
            }
            if mine.len() > TOP {
                let rest: u64 = mine.iter().skip(TOP).map(|l| l.slowest).sum();
                let share: f64 = mine.iter().skip(TOP).map(|l| l.share).sum();
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} other{} | {rest} | {} % |",
                    esc(b),
                    esc(p),
                    esc(c),
                    mine.len() - TOP,
                    if mine.len() - TOP == 1 { "" } else { "s" },
                    f2(share * 100.0)
                );
            }
        }
        s.push('\n');
    }
    s
}
