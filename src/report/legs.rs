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
        "Phases whose mix has more than one op, or named ops or ops with `steps`: each op's requests (successful and failed), its share of the phase's requests, and the response time of its successful requests (measured as the phase's own figures are). Rows marked `step` are one step of the request above them: how often it ran and failed, and its own service time (from the step's send to its reply; steps issued together overlap).\n"
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
            "Serial and parallel reads, successful requests: the service time of each entity's legs, timed from each statement's or call's send (serial: their sum; parallel: the longest, from the request's send), never from an open loop's intended start.\n"
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
            "Serial and parallel reads: how often each table's statement or call was the slowest of its request; the {TOP} most frequent per row (all of them in run.json). A serial read sends its tables in the same order every time, so there a table's count mixes what the table costs with what its place in the order costs (a first statement pays for what the request's start leaves cold); the lines under the table compare the places.\n"
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
        s.push_str(&positions(r));
    }
    s
}

/// A first leg slowest at least this many times its share (1 / legs) is
/// called out as slow for its place, given at least `MIN_READS` reads.
const FIRST_EXCESS: f64 = 1.5;
const MIN_READS: u64 = 100;

/// `1st`, `2nd`, `3rd`, `4th`, ..., `11th`, `21st`.
fn ordinal(n: u16) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// Under the slowest-leg table: per row and number of legs of its serial
/// reads, how often the first leg and the most frequent other place were
/// the slowest, against the share each place would have if the place did
/// not matter; and a warning when the first leg is slow for its place.
fn positions(r: &RunReport) -> String {
    let mut s = String::new();
    let mut groups: Vec<(&str, &str, &str, u16)> = Vec::new();
    for l in r.leg_positions.iter().filter(|l| l.legs >= 2) {
        let k = (l.backend.as_str(), l.phase.as_str(), l.cell.as_str(), l.legs);
        if !groups.contains(&k) {
            groups.push(k);
        }
    }
    for (b, p, c, n) in groups {
        let mine: Vec<_> =
            r.leg_positions.iter().filter(|l| (l.backend.as_str(), l.phase.as_str(), l.cell.as_str(), l.legs) == (b, p, c, n)).collect();
        let reads: u64 = mine.iter().map(|l| l.slowest).sum();
        let (Some(first), Some(other)) = (
            mine.iter().find(|l| l.position == 1),
            mine.iter().filter(|l| l.position != 1).max_by(|x, y| x.slowest.cmp(&y.slowest).then(y.position.cmp(&x.position))),
        ) else {
            continue;
        };
        let fair = 1.0 / f64::from(n);
        let table = first.first_table.as_deref().map(|t| format!(" (`{}`)", esc(t))).unwrap_or_default();
        let _ = write!(
            s,
            "- {} {} [{}], {reads} serial reads of {n} legs: the slowest was the 1st leg{table} in {} % of them, the {} (the most frequent other place) in {} %; each place would be {} % if the place did not matter.",
            esc(b),
            esc(p),
            esc(c),
            f2(first.share * 100.0),
            ordinal(other.position),
            f2(other.share * 100.0),
            f2(fair * 100.0)
        );
        if reads >= MIN_READS && first.share >= FIRST_EXCESS * fair {
            let _ = write!(
                s,
                " **The 1st leg is the slowest {:.1} times as often as its share: that is its place, not its table** (a first statement pays for what the request's start leaves cold: a connection idle since the previous request, a server or driver waking up for the round trip, a transaction's first statement), so its table's count above overstates the table; to compare the tables themselves, read them with `fetch: parallel`, or put another table first.",
                first.share / fair
            );
        }
        s.push('\n');
    }
    if !s.is_empty() {
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(counts: &[u64], first_table: Option<&str>) -> RunReport {
        let total: u64 = counts.iter().sum();
        let positions: Vec<serde_json::Value> = counts
            .iter()
            .enumerate()
            .map(|(i, c)| {
                serde_json::json!({
                    "backend": "pg", "cell": "-", "phase": "serial", "legs": counts.len(), "position": i + 1,
                    "first_table": first_table, "slowest": c, "share": *c as f64 / total as f64
                })
            })
            .collect();
        let v = serde_json::json!({
            "format": 1, "run_id": "r", "tool": "t", "scenario": "s", "scenario_file": "f", "scenario_sha256": "ab",
            "command": "c", "started_utc": "", "finished_utc": "",
            "environment": { "os": "", "arch": "", "cpus": 1, "tool_version": "" },
            "matrix_params": [], "backends": [], "setup": [], "rows": [], "breakdown": [], "timeseries": [],
            "errors": [], "checks": [], "histograms": [], "warnings": [], "interrupted": false, "resolved_scenario": {},
            "legs": [{ "backend": "pg", "cell": "-", "phase": "serial", "table": "card_f0", "slowest": total, "share": 1.0 }],
            "leg_positions": positions
        });
        serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_first_leg_slow_for_its_place_is_called_out() {
        // 4 legs, the first the slowest in 55 % of 1000 reads: 2.2 times its share of 25 %.
        let s = section(&report(&[550, 150, 200, 100], Some("card_f0")));
        assert!(s.contains("- pg serial [-], 1000 serial reads of 4 legs: the slowest was the 1st leg (`card_f0`) in 55.00 % of them, the 3rd (the most frequent other place) in 20.00 %; each place would be 25.00 % if the place did not matter. **The 1st leg is the slowest 2.2 times as often as its share: that is its place, not its table**"), "{s}");
        // At its share, or just above: no warning.
        let s = section(&report(&[300, 250, 250, 200], Some("card_f0")));
        assert!(s.contains("the 1st leg (`card_f0`) in 30.00 %") && !s.contains("**The 1st leg"), "{s}");
        // Too few reads to judge: the numbers, no warning; no first table: not named.
        let s = section(&report(&[50, 10, 10, 10], None));
        assert!(s.contains("80 serial reads of 4 legs: the slowest was the 1st leg in 62.50 %") && !s.contains("**The 1st leg"), "{s}");
        // One leg: no places to compare.
        assert!(!section(&report(&[1000], None)).contains("serial reads of"));
    }

    #[test]
    fn ordinals() {
        let got: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111].into_iter().map(ordinal).collect();
        assert_eq!(got, ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th"]);
    }
}
