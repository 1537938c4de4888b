//! Golden snapshots of the exporters: pure functions of a report. A change
//! in a report's bytes shows up here (and in every user's diff), so it must
//! be deliberate: review with `cargo insta review` or INSTA_UPDATE=always.

use benchplan::report::model::*;
use benchplan::report::{csv, files, markdown};
use benchplan::stats::{new_hist, Latency};
use indexmap::IndexMap;
use serde_json::json;
use std::collections::BTreeMap;

fn row(backend: &str, phase: &str, hot: f64, p99: f64, open: bool) -> ResultRow {
    ResultRow {
        backend: backend.into(),
        kind: "sqlite".into(),
        phase: phase.into(),
        cell: IndexMap::from([("hot".to_string(), json!(hot))]),
        segment: None,
        workers: 8,
        requests: 10_000,
        errors: 3,
        error_rate: 0.0003,
        duration_s: 4.25,
        throughput_rps: 10_000.0 / 4.25,
        latency: Latency {
            mean_ms: 1.5,
            stddev_ms: 0.75,
            cv: 0.5,
            min_ms: 0.2,
            p50_ms: 1.25,
            p90_ms: 2.5,
            p95_ms: 3.0,
            p99_ms: p99,
            p999_ms: p99 * 2.0,
            max_ms: 40.0,
        },
        cost_usd: None,
        cost_per_million_usd: None,
        target_rps: open.then_some(2500.0),
        service_p50_ms: open.then_some(1.0),
        service_p99_ms: open.then_some(4.0),
        late_requests: open.then_some(12),
        missed_requests: None,
        rows_per_request: 30.0,
        cache: open.then_some(benchplan::stats::CacheSummary {
            samples: 10,
            hit_ratio: 0.95,
            blocks_per_request: 60.0,
            latency_corr: Some(-0.5),
        }),
        capacity: None,
    }
}

/// A row of a kind that reports consumed capacity, with its cost.
fn metered_row() -> ResultRow {
    let mut r = row("ddb", "serve", 0.5, 20.0, false);
    r.kind = "dynamodb".into();
    r.capacity = Some(Capacity { read_units: 15_000.0, write_units: 250.5, retries: 7, throttled: 2, request_units: None });
    r.cost_usd = Some(15_000.0 * 0.125e-6 + 250.5 * 0.625e-6);
    r.cost_per_million_usd = r.cost_usd.map(|c| c / 10_000.0 * 1e6);
    r
}

/// A row of a kind that reports request units (Cosmos DB serverless).
fn request_unit_row() -> ResultRow {
    let mut r = row("cos", "serve", 0.5, 8.0, false);
    r.kind = "cosmos".into();
    r.capacity = Some(Capacity { read_units: 0.0, write_units: 0.0, retries: 1, throttled: 1, request_units: Some(28_440.0) });
    r.cost_usd = Some(28_440.0 * 0.25e-6);
    r.cost_per_million_usd = r.cost_usd.map(|c| c / 10_000.0 * 1e6);
    r
}

fn report() -> RunReport {
    let mut h = new_hist();
    for v in 1..=1000u64 {
        h.record(v * 10_000).unwrap();
    }
    let mut data = Vec::new();
    hdrhistogram::serialization::Serializer::serialize(&mut hdrhistogram::serialization::V2Serializer::new(), &h, &mut data).unwrap();
    let encoded = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, data);
    let mut hot = row("local", "serve", 1.0, 5.0, false);
    hot.segment = Some("hot".into());
    RunReport {
        format: REPORT_FORMAT,
        run_id: "20261122T101500Z".into(),
        tool: "benchplan 0.1.0".into(),
        scenario: "golden".into(),
        description: Some("a fixed report for snapshot tests".into()),
        scenario_file: "scenarios/golden.yaml".into(),
        scenario_sha256: "ab".repeat(32),
        command: "benchplan run scenarios/golden.yaml".into(),
        started_utc: "2026-11-22T10:15:00Z".into(),
        finished_utc: "2026-11-22T10:16:00Z".into(),
        environment: Environment { os: "linux".into(), arch: "x86_64".into(), cpus: 2, tool_version: "0.1.0".into() },
        matrix_params: vec!["hot".into()],
        backends: vec![
            BackendStatus {
                name: "local".into(),
                kind: "sqlite".into(),
                status: Status::Ok,
                error: None,
                server: BTreeMap::from([("server".to_string(), "SQLite 3.51.3".to_string())]),
                cost_basis: None,
                data_bytes: None,
                prices: None,
            },
            BackendStatus {
                name: "ddb".into(),
                kind: "dynamodb".into(),
                status: Status::Ok,
                error: None,
                server: BTreeMap::from([("billing".to_string(), "on_demand".to_string())]),
                cost_basis: Some("consumed capacity as DynamoDB reported it: read units x $0.125/M + write units x $0.625/M".into()),
                data_bytes: None,
                prices: None,
            },
            BackendStatus {
                name: "cos".into(),
                kind: "cosmos".into(),
                status: Status::Ok,
                error: None,
                server: BTreeMap::from([("throughput".to_string(), "serverless".to_string())]),
                cost_basis: Some("serverless: request units as Cosmos DB charged them x $0.25/M".into()),
                data_bytes: None,
                prices: None,
            },
        ],
        setup: vec![
            SetupRow {
                backend: "local".into(),
                kind: "sqlite".into(),
                step: "load".into(),
                rows: 300_000,
                duration_s: 2.5,
                rows_per_s: 120_000.0,
                cost_usd: None,
                capacity: None,
            },
            SetupRow {
                backend: "ddb".into(),
                kind: "dynamodb".into(),
                step: "load".into(),
                rows: 300_000,
                duration_s: 30.0,
                rows_per_s: 10_000.0,
                cost_usd: Some(300_000.0 * 0.625e-6),
                capacity: Some(Capacity { read_units: 0.0, write_units: 300_000.0, retries: 3, throttled: 3, request_units: None }),
            },
        ],
        rows: vec![
            row("local", "serve", 1.0, 5.0, false),
            row("local", "serve", 0.5, 9.5, false),
            row("local", "open", 0.5, 12.0, true),
            metered_row(),
            request_unit_row(),
        ],
        breakdown: vec![hot],
        timeseries: vec![TsRow {
            backend: "local".into(),
            cell: "hot=1.0".into(),
            phase: "serve".into(),
            second: 0,
            requests: 2400,
            errors: 1,
            p50_ms: Some(1.2),
            p99_ms: Some(4.9),
        }],
        errors: vec![ErrorRow {
            backend: "local".into(),
            cell: "hot=1.0".into(),
            phase: "serve".into(),
            kind: "timeout".into(),
            count: 3,
            examples: vec!["no reply within 2s".into()],
        }],
        checks: vec![
            CheckResult {
                check: "p99_ms < 10".into(),
                backend: "local".into(),
                phase: "serve".into(),
                cell: "hot=1.0".into(),
                value: Some(5.0),
                passed: true,
            },
            CheckResult {
                check: "p99_ms < 10".into(),
                backend: "local".into(),
                phase: "open".into(),
                cell: "hot=0.5".into(),
                value: Some(12.0),
                passed: false,
            },
        ],
        legs: vec![
            LegRow {
                backend: "local".into(),
                cell: "hot=1.0".into(),
                phase: "serve".into(),
                table: "card_f1".into(),
                slowest: 6000,
                share: 0.6,
            },
            LegRow {
                backend: "local".into(),
                cell: "hot=1.0".into(),
                phase: "serve".into(),
                table: "card_f0".into(),
                slowest: 4000,
                share: 0.4,
            },
        ],
        entities: vec![EntityRow {
            backend: "local".into(),
            cell: "hot=1.0".into(),
            phase: "serve".into(),
            entity: "card".into(),
            requests: 10000,
            p50_ms: 0.8,
            p99_ms: 3.25,
            max_ms: 20.0,
        }],
        operations: vec![
            OpRow {
                backend: "local".into(),
                cell: "hot=1.0".into(),
                phase: "serve".into(),
                op: "#1 read card (packed)".into(),
                requests: 9000,
                errors: 0,
                p50_ms: Some(0.9),
                p99_ms: Some(3.0),
                max_ms: Some(18.0),
            },
            OpRow {
                backend: "local".into(),
                cell: "hot=1.0".into(),
                phase: "serve".into(),
                op: "#2 write card (upsert) | x".into(),
                requests: 1000,
                errors: 2,
                p50_ms: Some(1.5),
                p99_ms: Some(6.0),
                max_ms: Some(20.0),
            },
            OpRow {
                backend: "local".into(),
                cell: "hot=1.0".into(),
                phase: "serve".into(),
                op: "#3 statement fails".into(),
                requests: 5,
                errors: 5,
                p50_ms: None,
                p99_ms: None,
                max_ms: None,
            },
        ],
        histograms: vec![HistogramRecord {
            file: "local_serve_hot-1.0.hgrm".into(),
            backend: "local".into(),
            phase: "serve".into(),
            cell: "hot=1.0".into(),
            measure: "response".into(),
            data: encoded,
        }],
        warnings: vec!["local open [hot=0.5]: achieved 2352.9 req/s, short of the target 2500 req/s".into()],
        interrupted: false,
        resolved_scenario: json!({"name": "golden"}),
    }
}

#[test]
fn results_csv_snapshot() {
    insta::assert_snapshot!(String::from_utf8(csv::results_csv(&report())).unwrap());
}

#[test]
fn breakdown_and_timeseries_csv_snapshot() {
    let r = report();
    insta::assert_snapshot!(
        String::from_utf8(csv::breakdown_csv(&r)).unwrap() + "\n" + &String::from_utf8(csv::timeseries_csv(&r)).unwrap()
    );
}

#[test]
fn summary_md_snapshot() {
    insta::assert_snapshot!(String::from_utf8(markdown::summary_md(&report())).unwrap());
}

#[test]
fn hgrm_snapshot() {
    let f = files(&report()).unwrap();
    let (_, hgrm) = f.iter().find(|(p, _)| p.ends_with("local_serve_hot-1.0.hgrm")).unwrap();
    insta::assert_snapshot!(String::from_utf8(hgrm.clone()).unwrap());
}

#[test]
fn same_report_same_bytes() {
    let a = files(&report()).unwrap();
    let b = files(&report()).unwrap();
    assert_eq!(a, b);
    let names: Vec<String> = a.iter().map(|(p, _)| p.display().to_string()).collect();
    assert_eq!(
        names,
        [
            "summary.md",
            "results.csv",
            "breakdown.csv",
            "timeseries.csv",
            "latency/local_serve_hot-1.0.hgrm",
            "charts/latency-serve.svg",
            "charts/p99-by-hot-serve.svg",
            "charts/latency-by-cache-hit-ratio.svg",
            "charts/cost-by-p99.svg",
        ]
    );
}
