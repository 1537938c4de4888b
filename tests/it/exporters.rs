//! Golden snapshots of the exporters: pure functions of a report. A change
//! in a report's bytes shows up here (and in every user's diff), so it must
//! be deliberate: review with `cargo insta review` or INSTA_UPDATE=always.
//!
//! Every file users read has one: summary.md, results.csv, breakdown.csv,
//! timeseries.csv, the .hgrm histograms, costs.csv and the cost section
//! (from a priced copy of the golden report), JUnit XML and `compare`'s
//! Markdown (from a second, hand-made run of the golden scenario). `plan`
//! output is snapshotted in cli.rs.

use benchplan::report::compare::{self, Thresholds};
use benchplan::report::model::*;
use benchplan::report::{costs, csv, files, junit, markdown};
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
            read_per_request: Some(3.0),
            read_p50: Some(0),
            read_p99: Some(40),
        }),
        capacity: None,
        partial: None,
        hot_key_share: None,
        cache_score_corr: open.then_some(-0.42),
        client: (!open).then(|| benchplan::report::model::ClientResources {
            cpu_s: 2.125,
            cpu_per_request_us: Some(212.5),
            cpu_share: 0.25,
            cores: 2,
            peak_rss_mb: Some(14.5),
            peak_scope: "phase".into(),
        }),
        rows_per_s: Some(10_000.0 * 30.0 / 4.25),
        recall: None,
        settings: Default::default(),
        server: None,
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
        environment: Environment {
            os: "linux".into(),
            arch: "x86_64".into(),
            cpus: 2,
            tool_version: "0.1.0".into(),
            machine: [("cpu_model".to_string(), "Golden CPU @ 3.0GHz".to_string())].into_iter().collect(),
            runtime_threads: Some(2),
        },
        matrix_params: vec!["hot".into()],
        matrix_scope: Some([("hot".to_string(), vec!["serve".to_string()])].into_iter().collect()),
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
                bytes: None,
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
                bytes: None,
            },
        ],
        rows: vec![
            row("local", "serve", 1.0, 5.0, false),
            row("local", "serve", 0.5, 9.5, false),
            {
                let mut open = row("local", "open", 0.5, 12.0, true);
                open.partial = Some("interrupted by Ctrl-C or a signal".into());
                open.hot_key_share = Some(0.4125);
                open
            },
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
            p95_ms: Some(3.1),
            mean_ms: Some(1.5),
            unix_s: None,
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
                op: None,
                step: None,
                value: Some(5.0),
                reference: None,
                passed: true,
                not_evaluated: None,
            },
            CheckResult {
                check: "p99_ms < 10".into(),
                backend: "local".into(),
                phase: "open".into(),
                cell: "hot=0.5".into(),
                op: None,
                step: None,
                value: Some(12.0),
                reference: None,
                passed: false,
                not_evaluated: None,
            },
            CheckResult {
                check: "p99_ms < 50".into(),
                backend: "ddb".into(),
                phase: "serve".into(),
                cell: "hot=0.5".into(),
                op: Some("lookup".into()),
                step: Some("user".into()),
                value: None,
                reference: None,
                passed: false,
                not_evaluated: Some("the phase did not run (its backend failed, or the run stopped, before it)".into()),
            },
        ],
        findmax: Vec::new(),
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
        leg_positions: [(1, 6000, 0.6), (2, 4000, 0.4)]
            .into_iter()
            .map(|(position, slowest, share)| LegPositionRow {
                backend: "local".into(),
                cell: "hot=1.0".into(),
                phase: "serve".into(),
                legs: 2,
                position,
                first_table: Some("card_f1".into()),
                slowest,
                share,
            })
            .collect(),
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
                name: None,
                step: None,
                step_does: None,
                latency: None,
                throughput_rps: 0.0,
            },
            OpRow {
                backend: "local".into(),
                cell: "hot=1.0".into(),
                phase: "serve".into(),
                op: "#1 read card (packed)".into(),
                name: Some("lookup".into()),
                step: Some("user".into()),
                step_does: Some("read card (packed)".into()),
                requests: 9000,
                errors: 0,
                p50_ms: Some(0.4),
                p99_ms: Some(1.5),
                max_ms: Some(9.0),
                latency: None,
                throughput_rps: 2117.6,
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
                name: None,
                step: None,
                step_does: None,
                latency: None,
                throughput_rps: 0.0,
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
                name: None,
                step: None,
                step_does: None,
                latency: None,
                throughput_rps: 0.0,
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
        hot_split: vec![
            HotSplitRow {
                backend: "local".into(),
                cell: "hot=1.0".into(),
                phase: "serve".into(),
                entities: 2,
                hot_entities: 0,
                cache_score: 0.0,
                requests: 2500,
                share: 0.25,
                latency: Latency { p50_ms: 2.0, p99_ms: 9.0, max_ms: 30.0, ..Latency::default() },
            },
            HotSplitRow {
                backend: "local".into(),
                cell: "hot=1.0".into(),
                phase: "serve".into(),
                entities: 2,
                hot_entities: 1,
                cache_score: 0.5,
                requests: 5000,
                share: 0.5,
                latency: Latency { p50_ms: 1.0, p99_ms: 4.0, max_ms: 20.0, ..Latency::default() },
            },
            HotSplitRow {
                backend: "local".into(),
                cell: "hot=1.0".into(),
                phase: "serve".into(),
                entities: 2,
                hot_entities: 2,
                cache_score: 1.0,
                requests: 2500,
                share: 0.25,
                latency: Latency { p50_ms: 0.5, p99_ms: 2.0, max_ms: 10.0, ..Latency::default() },
            },
        ],
        cross_checks: vec![
            CrossCheckRow {
                backend: "local".into(),
                cell: "hot=1.0".into(),
                phase: "serve".into(),
                warmup: false,
                counter: "pg_stat_statements.calls".into(),
                compared_with: Some("statements".into()),
                benchplan: Some(10000),
                server: 10004,
                difference: Some(4),
                tolerance: Some(110),
                agrees: Some(true),
            },
            CrossCheckRow {
                backend: "local".into(),
                cell: "hot=1.0".into(),
                phase: "serve".into(),
                warmup: false,
                counter: "pg_stat_database.xact_commit".into(),
                compared_with: Some("commits".into()),
                benchplan: Some(10000),
                server: 12500,
                difference: Some(2500),
                tolerance: Some(110),
                agrees: Some(false),
            },
            CrossCheckRow {
                backend: "local".into(),
                cell: "hot=1.0".into(),
                phase: "serve".into(),
                warmup: false,
                counter: "pg_stat_database.blks_read".into(),
                compared_with: None,
                benchplan: None,
                server: 42,
                difference: None,
                tolerance: None,
                agrees: None,
            },
        ],
        cross_check_notes: vec!["local: SHOW GLOBAL STATUS counts every client of the server, not only this run's".into()],
        warnings: vec!["local open [hot=0.5]: achieved 2352.9 req/s, short of the target 2500 req/s".into()],
        interrupted: false,
        baseline: None,
        resolved_scenario: json!({"name": "golden"}),
        only: None,
        shard: None,
        merged: None,
        measured: Vec::new(),
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
fn operations_csv_snapshot() {
    insta::assert_snapshot!(String::from_utf8(csv::operations_csv(&report())).unwrap());
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
            "operations.csv",
            "latency/local_serve_hot-1.0.hgrm",
            "charts/latency-serve.svg",
            "charts/p99-by-hot-serve.svg",
            "charts/latency-by-cache-hit-ratio.svg",
            "charts/latency-by-cache-score.svg",
            "charts/latency-by-cold-entities.svg",
            "charts/io-by-hot-key-share.svg",
            "charts/cost-by-p99.svg",
        ]
    );
}

/// The golden report with prices: SQLite priced as a server (per hour and
/// per GiB-month, its data size known), DynamoDB on demand (data size
/// unknown), Cosmos DB serverless; and a cost target of 5000 req/s.
fn priced_report() -> RunReport {
    let mut r = report();
    r.resolved_scenario = json!({"name": "golden", "cost": {"target_rps": 5000}});
    let server = PriceFacts { per_hour: 0.26, storage_gb_month: 0.10, per_server: true, ..Default::default() };
    let on_demand = PriceFacts { per_read_unit: 0.125e-6, per_write_unit: 0.625e-6, storage_gb_month: 0.25, ..Default::default() };
    let serverless = PriceFacts { per_request_unit: 0.25e-6, storage_gb_month: 0.25, ..Default::default() };
    for (b, prices, data_bytes) in [(0, server, Some(3 << 30)), (1, on_demand, None), (2, serverless, Some(512 << 20))] {
        r.backends[b].prices = Some(prices);
        r.backends[b].data_bytes = data_bytes;
    }
    r.backends[0].cost_basis = Some("a server at $0.26/h for the phase's duration".into());
    for row in r.rows.iter_mut().filter(|row| row.backend == "local") {
        let cost = 0.26 * row.duration_s / 3600.0;
        row.cost_usd = Some(cost);
        row.cost_per_million_usd = Some(cost / row.requests as f64 * 1e6);
    }
    r
}

/// One second of a phase: (requests, p50 ms, p99 ms).
fn seconds(backend: &str, cell: &str, phase: &str, samples: &[(u64, f64, f64)]) -> Vec<TsRow> {
    samples
        .iter()
        .enumerate()
        .map(|(s, &(requests, p50, p99))| TsRow {
            backend: backend.into(),
            cell: cell.into(),
            phase: phase.into(),
            second: s as u64,
            requests,
            errors: 0,
            p50_ms: Some(p50),
            p99_ms: Some(p99),
            p95_ms: None,
            mean_ms: None,
            unix_s: None,
        })
        .collect()
}

/// Two runs of the golden scenario, base and new, with 4 per-second samples
/// (the phases last 4.25 s) where a test needs them, so that every verdict
/// shows: local serve hot=1.0 regresses (p50, p99, throughput, error rate);
/// hot=0.5 is unchanged; the open-loop phase is worse with no samples
/// (untested); ddb is better (significant); cos is worse but noisy (not
/// significant). A row only in the base run, one only in the new run, and
/// different scenario files.
fn compared_runs() -> (RunReport, RunReport) {
    let mut base = report();
    base.rows.push(row("local", "warm", 1.0, 4.0, false));
    base.timeseries = [
        seconds("local", "hot=1.0", "serve", &[(2350, 1.20, 4.8), (2360, 1.30, 5.1), (2340, 1.25, 5.0), (2355, 1.25, 4.9)]),
        seconds("ddb", "hot=0.5", "serve", &[(2350, 1.20, 19.0), (2340, 1.30, 21.0), (2360, 1.25, 20.5), (2350, 1.25, 19.5)]),
        seconds("cos", "hot=0.5", "serve", &[(2350, 1.25, 7.5), (2345, 1.25, 8.5), (2352, 1.20, 8.0), (2353, 1.30, 8.0)]),
    ]
    .concat();

    let mut new = report();
    new.run_id = "20261123T090000Z".into();
    new.started_utc = "2026-11-23T09:00:00Z".into();
    new.finished_utc = "2026-11-23T09:01:00Z".into();
    new.scenario_sha256 = "cd".repeat(32);
    let slow = &mut new.rows[0];
    assert_eq!((slow.backend.as_str(), slow.phase.as_str()), ("local", "serve"));
    slow.requests = 7600;
    slow.errors = 150;
    slow.error_rate = 150.0 / 7600.0;
    slow.throughput_rps = 7600.0 / 4.25;
    slow.latency.p50_ms = 1.6;
    slow.latency.p99_ms = 10.0;
    new.rows[2] = row("local", "open", 0.5, 15.0, true);
    new.rows[3].latency.p99_ms = 12.0;
    new.rows[4].latency.p99_ms = 9.6;
    new.rows.push(row("local", "cold", 1.0, 6.0, false));
    new.timeseries = [
        seconds("local", "hot=1.0", "serve", &[(1790, 1.55, 9.5), (1800, 1.65, 10.2), (1780, 1.60, 10.0), (1795, 1.60, 9.8)]),
        seconds("ddb", "hot=0.5", "serve", &[(2350, 1.20, 11.5), (2345, 1.25, 12.5), (2355, 1.25, 12.0), (2350, 1.30, 12.0)]),
        seconds("cos", "hot=0.5", "serve", &[(2350, 1.25, 6.0), (2345, 1.25, 14.0), (2352, 1.20, 7.0), (2353, 1.30, 11.4)]),
    ]
    .concat();
    (base, new)
}

#[test]
fn costs_csv_snapshot() {
    let csv = costs::costs_csv(&priced_report()).expect("a priced report with a cost target has costs.csv");
    insta::assert_snapshot!(String::from_utf8(csv).unwrap());
}

#[test]
fn cost_section_md_snapshot() {
    insta::assert_snapshot!(costs::section(&priced_report()));
}

#[test]
fn compare_md_snapshot() {
    let (base, new) = compared_runs();
    let c = compare::compare(&base, &new, &Thresholds::default());
    insta::assert_snapshot!(compare::markdown(&c, &base, &new, "results/golden/20261122T101500Z", "results/golden/20261123T090000Z"));
}

#[test]
fn junit_xml_snapshot() {
    let (base, new) = compared_runs();
    let c = compare::compare(&base, &new, &Thresholds::default());
    let xml = junit::checks_and_comparison(&new, &c);
    // Well-formed XML, whatever the snapshot says.
    roxmltree::Document::parse(&xml).unwrap();
    insta::assert_snapshot!(xml);
}
