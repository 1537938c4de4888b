//! results.csv, breakdown.csv and timeseries.csv: pure functions of the report.

use super::fmt::{f2, f3, f4, f6, opt};
use super::model::{Capacity, ResultRow, RunReport, SetupRow};
use crate::scenario::scalar_text;

/// The fixed columns of results.csv, before the matrix params (docs/reports.md).
pub const LEAD: &[&str] = &["run_id", "scenario", "backend", "kind", "phase"];
/// The fixed columns, after the matrix params.
pub const MEASURES: &[&str] = &[
    "requests",
    "errors",
    "error_rate",
    "duration_s",
    "throughput_rps",
    "mean_ms",
    "stddev_ms",
    "cv",
    "min_ms",
    "p50_ms",
    "p90_ms",
    "p95_ms",
    "p99_ms",
    "p999_ms",
    "max_ms",
    "cost_usd",
    "cost_per_million_usd",
];
/// Columns added since format version 1's first release, after the fixed ones.
pub const EXTRA: &[&str] = &[
    "service_p50_ms",
    "service_p99_ms",
    "late_requests",
    "target_rps",
    "workers",
    "rows_per_request",
    "explain_samples",
    "cache_hit_ratio",
    "blocks_per_request",
    "latency_cache_corr",
    "read_units",
    "write_units",
    "read_units_per_request",
    "write_units_per_request",
    "retries",
    "throttled",
    "request_units",
    "request_units_per_request",
    "missed_requests",
    "partial",
    "rows_per_s",
    "client_cpu_s",
    "client_cpu_per_request_us",
    "client_cpu_share",
    "client_peak_rss_mb",
    "recall_at_k",
    "recall_at_k_p5",
    "redirections_moved",
    "redirections_ask",
    "server_memory_before_mb",
    "server_memory_after_mb",
];

/// The capacity columns (eight of [`EXTRA`], before `missed_requests` and `partial`); empty for kinds that
/// report none. DynamoDB fills the read/write units, Cosmos DB the request units.
fn capacity_cells(c: Option<&Capacity>, requests: u64) -> [String; 8] {
    match c {
        None => Default::default(),
        Some(c) => {
            let per = |u: f64| if requests > 0 { f4(u / requests as f64) } else { String::new() };
            let (retries, throttled) = (c.retries.to_string(), c.throttled.to_string());
            match c.request_units {
                Some(ru) => [String::new(), String::new(), String::new(), String::new(), retries, throttled, f2(ru), per(ru)],
                None => [
                    f2(c.read_units),
                    f2(c.write_units),
                    per(c.read_units),
                    per(c.write_units),
                    retries,
                    throttled,
                    String::new(),
                    String::new(),
                ],
            }
        }
    }
}

pub fn header(r: &RunReport, segment: bool) -> Vec<String> {
    let mut h: Vec<String> = LEAD.iter().map(|s| s.to_string()).collect();
    h.extend(r.matrix_params.iter().cloned());
    if segment {
        h.push("segment".into());
    }
    h.extend(MEASURES.iter().map(|s| s.to_string()));
    h.extend(EXTRA.iter().map(|s| s.to_string()));
    h
}

fn record(r: &RunReport, row: &ResultRow, segment: bool) -> Vec<String> {
    let l = &row.latency;
    let mut v = vec![r.run_id.clone(), r.scenario.clone(), row.backend.clone(), row.kind.clone(), row.phase.clone()];
    for p in &r.matrix_params {
        v.push(row.cell.get(p).map(scalar_text).unwrap_or_default());
    }
    if segment {
        v.push(row.segment.clone().unwrap_or_default());
    }
    v.extend([
        row.requests.to_string(),
        row.errors.to_string(),
        f6(row.error_rate),
        f3(row.duration_s),
        f2(row.throughput_rps),
        f3(l.mean_ms),
        f3(l.stddev_ms),
        f4(l.cv),
        f3(l.min_ms),
        f3(l.p50_ms),
        f3(l.p90_ms),
        f3(l.p95_ms),
        f3(l.p99_ms),
        f3(l.p999_ms),
        f3(l.max_ms),
        opt(row.cost_usd, f6),
        opt(row.cost_per_million_usd, f6),
        opt(row.service_p50_ms, f3),
        opt(row.service_p99_ms, f3),
        row.late_requests.map(|n| n.to_string()).unwrap_or_default(),
        opt(row.target_rps, f2),
        row.workers.to_string(),
        // Rows are counted per phase, not per segment.
        if segment { String::new() } else { f2(row.rows_per_request) },
        row.cache.as_ref().map(|c| c.samples.to_string()).unwrap_or_default(),
        opt(row.cache.as_ref().map(|c| c.hit_ratio), f4),
        opt(row.cache.as_ref().map(|c| c.blocks_per_request), f2),
        opt(row.cache.as_ref().and_then(|c| c.latency_corr), f4),
    ]);
    v.extend(capacity_cells(row.capacity.as_ref(), row.requests));
    v.push(row.missed_requests.map(|n| n.to_string()).unwrap_or_default());
    // The phase stopped before its end: its figures are partial.
    v.push(if segment { String::new() } else { row.partial.is_some().to_string() });
    // Rows are counted per phase, not per segment.
    v.push(if segment { String::new() } else { opt(row.rows_per_s, f2) });
    // The client's own use is measured per phase, not per segment.
    let client = row.client.as_ref().filter(|_| !segment);
    v.extend([
        opt(client.map(|c| c.cpu_s), f3),
        opt(client.and_then(|c| c.cpu_per_request_us), f2),
        opt(client.map(|c| c.cpu_share), f4),
        opt(client.and_then(|c| c.peak_rss_mb), f2),
    ]);
    let recall = row.recall.filter(|_| !segment);
    v.push(opt(recall.map(|r| r.recall_at_k), f4));
    v.push(opt(recall.map(|r| r.recall_at_k_p5), f4));
    // The server's figures are read per phase, not per segment.
    let server = row.server.filter(|_| !segment).unwrap_or_default();
    let mb = |b: Option<u64>| opt(b.map(|b| b as f64 / 1e6), f3);
    v.extend([
        server.redirections_moved.map(|n| n.to_string()).unwrap_or_default(),
        server.redirections_ask.map(|n| n.to_string()).unwrap_or_default(),
        mb(server.memory_before_bytes),
        mb(server.memory_after_bytes),
    ]);
    v
}

pub fn write(header: Vec<String>, rows: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    let _ = w.write_record(&header);
    for r in rows {
        let _ = w.write_record(&r);
    }
    w.into_inner().unwrap_or_default()
}

/// A setup step as a row: `phase` is `setup:<step>`, `requests` the rows
/// written, `throughput_rps` rows per second, `cost_usd` the step's cost;
/// latency columns are empty; capacity columns per row written.
fn setup_record(r: &RunReport, s: &SetupRow) -> Vec<String> {
    let mut v = vec![r.run_id.clone(), r.scenario.clone(), s.backend.clone(), s.kind.clone(), format!("setup:{}", s.step)];
    v.extend(r.matrix_params.iter().map(|_| String::new()));
    v.extend([s.rows.to_string(), "0".into(), f6(0.0), f3(s.duration_s), f2(s.rows_per_s)]);
    // The ten latency columns, then cost_usd and cost_per_million_usd.
    v.extend((0..MEASURES.len() - 7).map(|_| String::new()));
    v.extend([opt(s.cost_usd, f6), String::new()]);
    let caps = capacity_cells(s.capacity.as_ref(), s.rows);
    // The columns before the capacity ones, then those, then missed_requests and partial, then rows_per_s,
    // then the client's four (not measured for setup steps), the recall pair, then the server's four.
    v.extend((0..EXTRA.len() - caps.len() - 13).map(|_| String::new()));
    v.extend(caps);
    v.extend([String::new(), String::new(), f2(s.rows_per_s)]);
    v.extend((0..10).map(|_| String::new()));
    v
}

/// One row per backend x matrix cell x phase, each backend's load first.
pub fn results_csv(r: &RunReport) -> Vec<u8> {
    let mut out = Vec::new();
    let mut backends: Vec<&str> = r.backends.iter().map(|b| b.name.as_str()).collect();
    for row in &r.rows {
        if !backends.contains(&row.backend.as_str()) {
            backends.push(&row.backend);
        }
    }
    for b in backends {
        out.extend(r.setup.iter().filter(|s| s.backend == b && s.step == "load").map(|s| setup_record(r, s)));
        out.extend(r.rows.iter().filter(|row| row.backend == b).map(|row| record(r, row, false)));
    }
    write(header(r, false), out.into_iter())
}

/// The same columns plus `segment` (cold, mixed, hot): successful requests only.
pub fn breakdown_csv(r: &RunReport) -> Vec<u8> {
    write(header(r, true), r.breakdown.iter().map(|row| record(r, row, true)))
}

/// operations.csv: a row per mix op of a phase with several (or named) ops,
/// and per step of a request with `steps` (docs/reports.md).
pub fn operations_csv(r: &RunReport) -> Vec<u8> {
    let mut header: Vec<String> = ["run_id", "scenario", "backend", "phase"].iter().map(|s| s.to_string()).collect();
    header.extend(r.matrix_params.iter().cloned());
    header.extend(
        [
            "op",
            "name",
            "step",
            "step_does",
            "requests",
            "errors",
            "error_rate",
            "throughput_rps",
            "mean_ms",
            "p50_ms",
            "p90_ms",
            "p95_ms",
            "p99_ms",
            "p999_ms",
            "max_ms",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    let rows = r.operations.iter().map(|o| {
        let mut v = vec![r.run_id.clone(), r.scenario.clone(), o.backend.clone(), o.phase.clone()];
        // The op row's cell is its label; the matrix values come from the phase's row.
        let cell = r.rows.iter().find(|x| x.backend == o.backend && x.phase == o.phase && crate::scenario::cell_label(&x.cell) == o.cell);
        for p in &r.matrix_params {
            v.push(cell.and_then(|c| c.cell.get(p)).map(scalar_text).unwrap_or_default());
        }
        let l = o.latency.as_ref();
        let ms = |f: fn(&crate::stats::Latency) -> f64| l.map(|l| f3(f(l))).unwrap_or_default();
        v.extend([
            o.op.clone(),
            o.name.clone().unwrap_or_default(),
            o.step.clone().unwrap_or_default(),
            o.step_does.clone().unwrap_or_default(),
            o.requests.to_string(),
            o.errors.to_string(),
            f6(if o.requests > 0 { o.errors as f64 / o.requests as f64 } else { 0.0 }),
            f2(o.throughput_rps),
            ms(|l| l.mean_ms),
            ms(|l| l.p50_ms),
            ms(|l| l.p90_ms),
            ms(|l| l.p95_ms),
            ms(|l| l.p99_ms),
            ms(|l| l.p999_ms),
            ms(|l| l.max_ms),
        ]);
        v
    });
    write(header, rows)
}

pub fn timeseries_csv(r: &RunReport) -> Vec<u8> {
    let header = ["backend", "cell", "phase", "second", "requests", "errors", "p50_ms", "p99_ms", "p95_ms", "mean_ms"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    write(
        header,
        r.timeseries.iter().map(|t| {
            vec![
                t.backend.clone(),
                t.cell.clone(),
                t.phase.clone(),
                t.second.to_string(),
                t.requests.to_string(),
                t.errors.to_string(),
                opt(t.p50_ms, f3),
                opt(t.p99_ms, f3),
                opt(t.p95_ms, f3),
                opt(t.mean_ms, f3),
            ]
        }),
    )
}
