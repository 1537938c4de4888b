//! summary.md: the page a reviewer reads in a pull request.

use super::fmt::{f2, f3, f4};
use super::model::{ResultRow, RunReport, Status};
use crate::scenario::scalar_text;
use std::fmt::Write;

pub(crate) fn esc(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn cells(r: &RunReport, row: &ResultRow) -> String {
    r.matrix_params.iter().map(|p| format!(" {} |", esc(&row.cell.get(p).map(scalar_text).unwrap_or_default()))).collect()
}

pub fn summary_md(r: &RunReport) -> Vec<u8> {
    let mut s = String::new();
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
    s.push('\n');

    // Headline table.
    let _ = writeln!(s, "## Results\n");
    if r.rows.is_empty() {
        let _ = writeln!(s, "No phase completed.\n");
    } else {
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
            let _ = writeln!(
                s,
                "| {} | {} |{} {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                esc(&row.backend),
                esc(&row.phase),
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
        if r.rows.iter().any(|x| x.target_rps.is_some()) {
            let _ = writeln!(s, "Open-loop rows (a target rate was set): latency is response time from each request's intended start; service time and late starts:\n");
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
    }

    // Checks.
    let _ = writeln!(s, "## Checks\n");
    if r.checks.is_empty() {
        let _ = writeln!(s, "No checks in the scenario.\n");
    } else {
        let failed = r.checks.iter().filter(|c| !c.passed).count();
        let _ = writeln!(s, "{} of {} passed.\n", r.checks.len() - failed, r.checks.len());
        let _ = writeln!(s, "| result | check | backend | phase | cell | measured |\n|---|---|---|---|---|---:|");
        for c in &r.checks {
            let _ = writeln!(
                s,
                "| {} | `{}` | {} | {} | {} | {} |",
                if c.passed { "pass" } else { "**FAIL**" },
                esc(&c.check),
                esc(&c.backend),
                esc(&c.phase),
                esc(&c.cell),
                c.value.map(f3).unwrap_or_else(|| "n/a".into())
            );
        }
        s.push('\n');
    }

    // Charts (charts/*.svg, drawn from this report).
    let charts = super::charts::list(r);
    if !charts.is_empty() {
        let _ = writeln!(s, "## Charts\n");
        for c in &charts {
            let alt = esc(&c.title).replace('[', "\\[").replace(']', "\\]");
            let _ = writeln!(s, "![{alt}](charts/{})\n", c.file);
        }
    }

    // Breakdown.
    if !r.breakdown.is_empty() {
        let _ = writeln!(s, "## Hot / cold breakdown\n");
        let _ =
            writeln!(s, "Successful requests by how many of their entities drew a hot key: `hot` = all, `mixed` = some, `cold` = none. A hot key is one of the `hot_keys` set for `hotspot`, and one of the top 1 % of ranks for the other distributions.\n");
        let _ = writeln!(s, "| backend | phase | cell | segment | requests | share | p50 ms | p99 ms | max ms |\n|---|---|---|---|---:|---:|---:|---:|---:|");
        for b in &r.breakdown {
            let total: u64 =
                r.breakdown.iter().filter(|x| x.backend == b.backend && x.phase == b.phase && x.cell == b.cell).map(|x| x.requests).sum();
            let share = if total > 0 { b.requests as f64 * 100.0 / total as f64 } else { 0.0 };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} % | {} | {} | {} |",
                esc(&b.backend),
                esc(&b.phase),
                esc(&crate::scenario::cell_label(&b.cell)),
                b.segment.as_deref().unwrap_or(""),
                b.requests,
                f2(share),
                f3(b.latency.p50_ms),
                f3(b.latency.p99_ms),
                f3(b.latency.max_ms)
            );
        }
        s.push('\n');
    }
    s.push_str(&super::legs::operations(r));
    s.push_str(&super::legs::section(r));

    // EXPLAIN sampling.
    let cached: Vec<&ResultRow> = r.rows.iter().filter(|x| x.cache.is_some()).collect();
    if !cached.is_empty() {
        let _ = writeln!(s, "## Cache (EXPLAIN samples)\n");
        let _ = writeln!(s, "One request in `explain_every` ran under `EXPLAIN (ANALYZE, BUFFERS)` and was left out of the latency figures. Hit ratio = shared blocks hit / (hit + read); the correlation is Pearson's, between a sample's latency and its own hit ratio (negative: cache misses are slower).\n");
        let _ = writeln!(s, "| backend | phase | cell | samples | hit ratio | blocks / request | corr(latency, hit ratio) |\n|---|---|---|---:|---:|---:|---:|");
        for row in cached {
            if let Some(c) = &row.cache {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {} | {} | {} |",
                    esc(&row.backend),
                    esc(&row.phase),
                    esc(&crate::scenario::cell_label(&row.cell)),
                    c.samples,
                    f4(c.hit_ratio),
                    f2(c.blocks_per_request),
                    c.latency_corr.map(f4).unwrap_or_else(|| "n/a".into())
                );
            }
        }
        s.push('\n');
    }

    // Consumed capacity and cost.
    let metered = r.rows.iter().any(|x| x.capacity.is_some() || x.cost_usd.is_some())
        || r.setup.iter().any(|x| x.capacity.is_some() || x.cost_usd.is_some());
    if metered {
        let _ = writeln!(
            s,
            "## Capacity and cost
"
        );
        let _ = writeln!(s, "Units are the service's own figures (DynamoDB `ConsumedCapacity` read and write units, Cosmos DB request units from `x-ms-request-charge`), summed over every request of the phase, failed ones included; a load's are per row written. Retries count every attempt after the first; throttled counts attempts the service throttled.
");
        let has_ru =
            r.rows.iter().filter_map(|x| x.capacity).chain(r.setup.iter().filter_map(|x| x.capacity)).any(|c| c.request_units.is_some());
        let has_cu =
            r.rows.iter().filter_map(|x| x.capacity).chain(r.setup.iter().filter_map(|x| x.capacity)).any(|c| c.request_units.is_none());
        let mut head = String::from("| backend | phase | cell | requests |");
        let mut rule = String::from("|---|---|---|---:|");
        if has_cu || !has_ru {
            head.push_str(" read units | write units | read units / req | write units / req |");
            rule.push_str("---:|---:|---:|---:|");
        }
        if has_ru {
            head.push_str(" request units | request units / req |");
            rule.push_str("---:|---:|");
        }
        head.push_str(" retries | throttled | cost USD | USD / million req |");
        rule.push_str("---:|---:|---:|---:|");
        let _ = writeln!(s, "{head}\n{rule}");
        let per = |u: f64, n: u64| if n > 0 { f4(u / n as f64) } else { String::new() };
        let money = |x: Option<f64>| x.map(super::fmt::f6).unwrap_or_else(|| "n/a".into());
        // The unit cells of one row: "-" where the row's kind has no such
        // unit, and all of them for a kind that reports none (SQL servers).
        let width = if has_cu || !has_ru { 4 } else { 0 } + if has_ru { 2 } else { 0 } + 2;
        let units = |c: &Option<crate::report::model::Capacity>, n: u64| {
            let Some(c) = *c else { return vec!["-"; width].join(" | ") };
            let mut cells: Vec<String> = Vec::new();
            if has_cu || !has_ru {
                match c.request_units {
                    Some(_) => cells.extend(["-".to_string(), "-".into(), "-".into(), "-".into()]),
                    None => cells.extend([f2(c.read_units), f2(c.write_units), per(c.read_units, n), per(c.write_units, n)]),
                }
            }
            if has_ru {
                match c.request_units {
                    Some(ru) => cells.extend([f2(ru), per(ru, n)]),
                    None => cells.extend(["-".to_string(), "-".into()]),
                }
            }
            cells.extend([c.retries.to_string(), c.throttled.to_string()]);
            cells.join(" | ")
        };
        for st in r.setup.iter().filter(|x| x.capacity.is_some() || x.cost_usd.is_some()) {
            let _ = writeln!(
                s,
                "| {} | setup:{} | - | {} | {} | {} | |",
                esc(&st.backend),
                st.step,
                st.rows,
                units(&st.capacity, st.rows),
                money(st.cost_usd)
            );
        }
        for row in r.rows.iter().filter(|x| x.capacity.is_some() || x.cost_usd.is_some()) {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} |",
                esc(&row.backend),
                esc(&row.phase),
                esc(&crate::scenario::cell_label(&row.cell)),
                row.requests,
                units(&row.capacity, row.requests),
                money(row.cost_usd),
                money(row.cost_per_million_usd)
            );
        }
        s.push('\n');
    }

    s.push_str(&super::costs::section(r));

    // Setup.
    if !r.setup.is_empty() {
        let _ = writeln!(s, "## Setup\n");
        let _ = writeln!(s, "| backend | step | rows | seconds | rows/s |\n|---|---|---:|---:|---:|");
        for st in &r.setup {
            // Create, analyze and drop write no rows: no rate.
            let rate = if st.rows > 0 { f2(st.rows_per_s) } else { "-".into() };
            let _ = writeln!(s, "| {} | {} | {} | {} | {rate} |", esc(&st.backend), st.step, st.rows, f3(st.duration_s));
        }
        s.push('\n');
    }

    // Errors.
    if !r.errors.is_empty() {
        let _ = writeln!(s, "## Errors\n");
        let _ = writeln!(s, "| backend | phase | cell | kind | count | example |\n|---|---|---|---|---:|---|");
        for e in &r.errors {
            let ex = e.examples.first().map(|x| esc(x)).unwrap_or_default();
            let _ = writeln!(s, "| {} | {} | {} | {} | {} | {} |", esc(&e.backend), esc(&e.phase), esc(&e.cell), e.kind, e.count, ex);
        }
        s.push('\n');
    }

    if !r.warnings.is_empty() {
        let _ = writeln!(s, "## Warnings\n");
        for w in &r.warnings {
            let _ = writeln!(s, "- {}", esc(w));
        }
        s.push('\n');
    }

    let _ = writeln!(s, "## How these numbers were obtained\n");
    let _ = writeln!(s, "- Each request's latency is recorded in HDR histograms (3 significant digits) kept per worker and merged after the phase; percentiles are read from the merged histogram (`latency/*.hgrm`).");
    let _ = writeln!(
        s,
        "- Closed loop (no `rate`): each worker sends its next request when the previous reply arrived; latency runs from send to reply."
    );
    let _ = writeln!(s, "- Open loop (`rate` set): request *i* is due at start + *i* / rate; latency runs from that intended start, so queueing behind a slow reply is counted (no coordinated omission). Service time (send to reply) is reported beside it; a request sent more than 1 ms after its due time counts as late.");
    let _ = writeln!(s, "- `requests` counts successes and failures; latency percentiles are over successful requests; `throughput_rps` = requests / phase duration. Warmup phases run but are not reported.");
    let priced: Vec<&super::model::BackendStatus> = r.backends.iter().filter(|b| b.cost_basis.is_some()).collect();
    for b in &priced {
        let _ = writeln!(s, "- Cost of `{}`: {}.", esc(&b.name), esc(b.cost_basis.as_deref().unwrap_or("")));
    }
    if priced.len() < r.backends.len() {
        let _ = writeln!(s, "- Cost columns are empty for backends without `pricing` (see the README).");
    }
    s.push('\n');

    let _ = writeln!(s, "## Environment\n");
    let e = &r.environment;
    let _ = writeln!(s, "| item | value |\n|---|---|");
    let _ = writeln!(s, "| tool | {} |", esc(&r.tool));
    let _ = writeln!(s, "| OS | {} ({}) |", esc(&e.os), esc(&e.arch));
    let _ = writeln!(s, "| CPUs | {} |", e.cpus);
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
    let _ = writeln!(
        s,
        "\nFiles: `results.csv`, `breakdown.csv`, `timeseries.csv`, {}`latency/*.hgrm`, {}`run.json` (rebuild this page with `benchplan report <this folder>`).",
        if super::costs::projections(r).is_some_and(|(_, p)| !p.is_empty()) { "`costs.csv`, " } else { "" },
        if charts.is_empty() { "" } else { "`charts/*.svg`, " }
    );
    s.into_bytes()
}
