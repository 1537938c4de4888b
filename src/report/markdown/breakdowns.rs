//! Where the latency comes from: hot and cold keys, and the EXPLAIN
//! samples' cache hits.

use super::esc;
use crate::report::fmt::{f2, f3, f4};
use crate::report::model::{ResultRow, RunReport};
use std::fmt::Write;

/// `## Hot / cold breakdown`: successful requests by how many of their keys were hot.
pub(super) fn hot_cold(r: &RunReport, s: &mut String) {
    if r.breakdown.is_empty() {
        return;
    }
    let _ = writeln!(s, "## Hot / cold breakdown\n");
    let _ = writeln!(s, "Successful requests by how many of their entities drew a hot key: `hot` = all, `mixed` = some, `cold` = none. A hot key is one of the `hot_keys` set for `hotspot`, and one of the top 1 % of ranks for the other distributions. An entity that draws several keys for a request (`keys_per_table`, a batch, or several steps) counts as hot only when every one of its keys is hot; the per-key view below the table gives the share of all keys drawn that were hot. Latency is response time, as in Results.\n");
    let _ = writeln!(
        s,
        "| backend | phase | cell | segment | requests | share | p50 ms | p99 ms | max ms |\n|---|---|---|---|---:|---:|---:|---:|---:|"
    );
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
    let per_key: Vec<String> = r
        .rows
        .iter()
        .filter_map(|x| {
            let share = x.hot_key_share?;
            Some(format!("{} {} %", row_name(x), f2(share * 100.0)))
        })
        .collect();
    if !per_key.is_empty() {
        let _ = writeln!(s, "Per key, the share of the keys drawn by successful requests that were hot: {}.\n", per_key.join("; "));
    }
    hot_split(r, s);
}

/// The split by number of hot entities (0, 1, ..., E), and the correlation
/// of latency with the cache score.
fn hot_split(r: &RunReport, s: &mut String) {
    if r.hot_split.is_empty() {
        return;
    }
    let _ = writeln!(s, "By number of hot entities: a request's cache score is the share of its entities that drew a hot key (0 = all cold, 1 = all hot); `cold` counts the entities that did not.\n");
    let _ = writeln!(
        s,
        "| backend | phase | cell | entities | hot | cold | cache score | requests | share | p50 ms | p99 ms | max ms |\n|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for h in &r.hot_split {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} % | {} | {} | {} |",
            esc(&h.backend),
            esc(&h.phase),
            esc(&h.cell),
            h.entities,
            h.hot_entities,
            h.entities - h.hot_entities.min(h.entities),
            f2(h.cache_score),
            h.requests,
            f2(h.share * 100.0),
            f3(h.latency.p50_ms),
            f3(h.latency.p99_ms),
            f3(h.latency.max_ms)
        );
    }
    s.push('\n');
    let corr: Vec<String> = r
        .rows
        .iter()
        .filter_map(|x| {
            let c = x.cache_score_corr?;
            Some(format!("{} {}", row_name(x), f4(c)))
        })
        .collect();
    if !corr.is_empty() {
        let _ = writeln!(s, "Correlation of response time with the cache score (Pearson's, over every successful request; negative: colder requests are slower): {}.\n", corr.join("; "));
    }
}

/// `## Cache (EXPLAIN samples)`: hit ratio and its correlation with latency.
pub(super) fn cache(r: &RunReport, s: &mut String) {
    let cached: Vec<&ResultRow> = r.rows.iter().filter(|x| x.cache.is_some()).collect();
    if cached.is_empty() {
        return;
    }
    let _ = writeln!(s, "## Cache (EXPLAIN samples)\n");
    let _ = writeln!(s, "One request in `explain_every` ran under `EXPLAIN (ANALYZE, BUFFERS)` and was left out of the latency figures. Hit ratio = shared blocks hit / (hit + read); blocks read are those not found in shared buffers (read from the OS cache or disk), with their median and 99th percentile over the samples; the correlation is Pearson's, between a sample's service time (send to reply, under EXPLAIN) and its own hit ratio (negative: cache misses are slower).\n");
    let _ = writeln!(
        s,
        "| backend | phase | cell | samples | hit ratio | blocks / request | blocks read / request | read p50 | read p99 | corr(latency, hit ratio) |\n|---|---|---|---:|---:|---:|---:|---:|---:|---:|"
    );
    for row in cached {
        if let Some(c) = &row.cache {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                esc(&row.backend),
                esc(&row.phase),
                esc(&crate::scenario::cell_label(&row.cell)),
                c.samples,
                f4(c.hit_ratio),
                f2(c.blocks_per_request),
                c.read_per_request.map(f2).unwrap_or_else(|| "-".into()),
                c.read_p50.map(|v| v.to_string()).unwrap_or_else(|| "-".into()),
                c.read_p99.map(|v| v.to_string()).unwrap_or_else(|| "-".into()),
                c.latency_corr.map(f4).unwrap_or_else(|| "n/a".into())
            );
        }
    }
    s.push('\n');
}

/// `## Recall`: each `vector_search` row's recall beside its throughput and
/// P99 (the ann-benchmarks view), with the settings its connections had.
pub(super) fn recall(r: &RunReport, s: &mut String) {
    let rows: Vec<&ResultRow> = r.rows.iter().filter(|x| x.recall.is_some()).collect();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(s, "## Recall\n");
    let params: String = r.matrix_params.iter().map(|p| format!(" {} |", esc(p))).collect();
    let rule: String = r.matrix_params.iter().map(|_| "---|").collect();
    let _ = writeln!(s, "| backend | phase |{params} settings | k | queries | recall@k | recall@k p5 | req/s | p99 ms |");
    let _ = writeln!(s, "|---|---|{rule}---|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let Some(rc) = row.recall else { continue };
        let settings: Vec<String> = row.settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let settings = if settings.is_empty() { "-".to_string() } else { esc(&settings.join(", ")) };
        let _ = writeln!(
            s,
            "| {} | {} |{} {settings} | {} | {} | {} | {} | {} | {} |",
            esc(&row.backend),
            esc(&row.phase),
            super::cells(r, row),
            rc.k,
            rc.queries,
            f4(rc.recall_at_k),
            f4(rc.recall_at_k_p5),
            f2(row.throughput_rps),
            f3(row.latency.p99_ms)
        );
    }
    s.push('\n');
}

/// `backend phase [cell]`, escaped for a Markdown line.
fn row_name(x: &crate::report::model::ResultRow) -> String {
    format!("{} {} [{}]", esc(&x.backend), esc(&x.phase), esc(&crate::scenario::cell_label(&x.cell)))
}
