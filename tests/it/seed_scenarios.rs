//! The committed scenarios of the seed experiments, run for real at reduced
//! scale against the local servers, asserting that the report answers the
//! experiment's question.

use crate::common::*;
use serde_json::Value;

/// The Cosmos DB emulator's well-known key (the local server accepts any).
const COSMOS_KEY: &str = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==";

#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn the_cost_comparison_compares_six_backends_with_dynamodb() {
    let (pg, my) = (server_env("BENCHPLAN_TEST_PG_URL"), server_env("BENCHPLAN_TEST_MYSQL_URL"));
    let (ddb, cosmos) = (server_env("BENCHPLAN_TEST_DYNAMODB_ENDPOINT"), server_env("BENCHPLAN_TEST_COSMOS_ENDPOINT"));
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let a = bin()
        .env("LAKEBASE_URL", &pg)
        .env("AURORA_PG_URL", &pg)
        .env("AURORA_MYSQL_URL", &my)
        .env("DYNAMODB_ENDPOINT", &ddb)
        .env("COSMOS_ENDPOINT", &cosmos)
        .env("COSMOS_KEY", COSMOS_KEY)
        .args(["run", "-q"])
        .arg(root().join("scenarios/cost-comparison.yaml"))
        .args(["--set", "rows=300", "--set", "tables=2", "--set", "requests=60", "--set", "workers=2", "--out"])
        .arg(&out)
        .assert();
    let o = a.get_output();
    let said = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    // Exit 1 is a failed check (an SLA on this busy machine); anything else is not a report.
    assert!(matches!(o.status.code(), Some(0 | 1)), "{said}");
    let dir = run_dir(&out, "cost-comparison");
    let (h, rows) = read_csv(&dir.join("results.csv"));
    let serve: Vec<&Vec<String>> = rows.iter().filter(|r| r[col(&h, "phase")] == "serve").collect();
    let backends: Vec<&str> = serve.iter().map(|r| r[col(&h, "backend")].as_str()).collect();
    assert_eq!(backends, ["lakebase", "lakebase_unlogged", "aurora_pg", "aurora_mysql", "ddb", "cosmos"], "{said}");
    for r in &serve {
        assert_eq!(num(r, &h, "errors"), 0.0, "{r:?}");
        // 6 tables x 25 keys, fewer when zipfian keys repeat within a table.
        let rpr = num(r, &h, "rows_per_request");
        assert!(rpr > 20.0 && rpr <= 150.0, "{r:?}");
        assert!(!r[col(&h, "cost_per_million_usd")].is_empty(), "every backend is priced: {r:?}");
    }
    let run: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    let relative: Vec<&Value> =
        run["checks"].as_array().unwrap().iter().filter(|c| c["check"].as_str().unwrap().contains("backend(ddb)")).collect();
    assert_eq!(relative.len(), 3, "{relative:?}");
    for c in relative {
        assert!(c.get("not_evaluated").is_none(), "{c}");
        assert!(c["value"].as_f64().is_some() && c["reference"].as_f64().is_some(), "{c}");
    }
    let costs = std::fs::read_to_string(dir.join("costs.csv")).unwrap();
    for b in ["lakebase", "aurora_mysql", "ddb", "cosmos"] {
        assert!(costs.contains(b), "costs.csv names {b}: {costs}");
    }
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(summary.contains("At 2000 req/s"), "{summary}");
}

/// The Zipfian hot/cold study: nine ratios of traffic to the hot keys, each
/// a row with its hot/cold split, EXPLAIN samples on PostgreSQL, the chart
/// of P99 by ratio.
#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn the_hot_cold_study_sweeps_nine_ratios_with_explain_samples() {
    let pg = server_env("BENCHPLAN_TEST_PG_URL");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let a = bin()
        .env("LAKEBASE_URL", &pg)
        .args(["run", "-q", "--backend", "local", "--backend", "lakebase"])
        .arg(root().join("scenarios/fraud-30t.yaml"))
        .args(["--set", "rows=400", "--set", "requests=200", "--set", "workers=2", "--out"])
        .arg(&out)
        .assert();
    let o = a.get_output();
    let said = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(matches!(o.status.code(), Some(0 | 1)), "{said}");
    let dir = run_dir(&out, "fraud-30t");
    let (h, rows) = read_csv(&dir.join("results.csv"));
    for b in ["local", "lakebase"] {
        let mine: Vec<&Vec<String>> = rows.iter().filter(|r| r[col(&h, "backend")] == b && r[col(&h, "phase")] == "serve").collect();
        let hots: Vec<&str> = mine.iter().map(|r| r[col(&h, "hot")].as_str()).collect();
        assert_eq!(hots, ["1.0", "0.95", "0.9", "0.8", "0.6", "0.4", "0.2", "0.1", "0.0"], "{b}");
        for r in &mine {
            // A serial read of the 30 tables: 30 rows per request.
            assert_eq!(num(r, &h, "rows_per_request"), 30.0, "{r:?}");
        }
        // EXPLAIN one in 100 on PostgreSQL: 2 samples of 200 requests per ratio.
        let samples: Vec<&str> = mine.iter().map(|r| r[col(&h, "explain_samples")].as_str()).collect();
        assert!(samples.iter().all(|s| if b == "lakebase" { *s == "2" } else { s.is_empty() }), "{b}: {samples:?}");
    }
    let (bh, breakdown) = read_csv(&dir.join("breakdown.csv"));
    let all_hot = breakdown.iter().filter(|r| r[col(&bh, "hot")] == "1.0" && r[col(&bh, "backend")] == "local").count();
    assert_eq!(all_hot, 1, "at 100 % hot traffic every request is hot: one segment");
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(summary.contains("## Cache (EXPLAIN samples)") && summary.contains("## Hot / cold breakdown"), "{summary}");
    assert!(dir.join("charts/p99-by-hot-serve.svg").is_file(), "the chart of P99 by ratio");
}

/// The sink benchmark, small: every batch size on PostgreSQL and MariaDB,
/// rows/s in results.csv, and the relative check of batch 10,000 against
/// batch 100 evaluated.
#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn the_sink_benchmark_reports_rows_per_second_by_batch() {
    let (pg, my) = (server_env("BENCHPLAN_TEST_PG_URL"), server_env("BENCHPLAN_TEST_MYSQL_URL"));
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let a = bin()
        .env("BENCH_PG_URL", &pg)
        .env("BENCH_MYSQL_URL", &my)
        .args(["run", "-q"])
        .arg(root().join("scenarios/write-sink.yaml"))
        .args(["--set", "mode=upsert", "--set", "writers=2", "--set", "duration=2s", "--set", "rows=20000", "--out"])
        .arg(&out)
        .assert();
    let o = a.get_output();
    let said = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(matches!(o.status.code(), Some(0 | 1)), "{said}");
    let dir = run_dir(&out, "write-sink");
    let (h, rows) = read_csv(&dir.join("results.csv"));
    for b in ["pg", "mariadb"] {
        let mine: Vec<&Vec<String>> = rows.iter().filter(|r| r[col(&h, "backend")] == b && r[col(&h, "phase")] == "write").collect();
        let batches: Vec<&str> = mine.iter().map(|r| r[col(&h, "batch")].as_str()).collect();
        assert_eq!(batches, ["100", "1000", "10000"], "{b}");
        for r in &mine {
            assert_eq!(num(r, &h, "errors"), 0.0, "{r:?}");
            // Rows per second = rows per request x requests / duration: 4 tables x the batch a request.
            let batch = num(r, &h, "batch");
            assert_eq!(num(r, &h, "rows_per_request"), 4.0 * batch, "{r:?}");
            let expect = num(r, &h, "rows_per_request") * num(r, &h, "requests") / num(r, &h, "duration_s");
            assert!((num(r, &h, "rows_per_s") - expect).abs() / expect < 0.01, "{r:?}");
        }
    }
    let run: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    let relative: Vec<&serde_json::Value> =
        run["checks"].as_array().unwrap().iter().filter(|c| c["check"].as_str().unwrap().contains("cell(batch=100)")).collect();
    assert_eq!(relative.len(), 2, "one per backend, batch 10000 only: {relative:?}");
    for c in relative {
        assert!(c.get("not_evaluated").is_none() && c["reference"].as_f64().is_some(), "{c}");
    }
}

/// The key-value experiment, small: PostgreSQL beside Redis for SET, GET,
/// 50/50 and INCR with 1 and 10 clients; the ratio against Redis evaluated
/// on every PostgreSQL row.
#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn the_key_value_experiment_measures_postgres_against_redis() {
    let (pg, redis) = (server_env("BENCHPLAN_TEST_PG_URL"), server_env("BENCHPLAN_TEST_REDIS_URL"));
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let a = bin()
        .env("BENCH_PG_URL", &pg)
        .env("REDIS_URL", &redis)
        .args(["run", "-q"])
        .arg(root().join("scenarios/kv-vs-redis.yaml"))
        .args(["--set", "keys=2000", "--set", "requests=300", "--out"])
        .arg(&out)
        .assert();
    let o = a.get_output();
    let said = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    // Exit 1 would be a ratio under the floor on a slow disk: the report still answers.
    assert!(matches!(o.status.code(), Some(0 | 1)), "{said}");
    let dir = run_dir(&out, "kv-vs-redis");
    let (h, rows) = read_csv(&dir.join("results.csv"));
    for b in ["redis", "pg"] {
        let mine: Vec<String> = rows
            .iter()
            .filter(|r| r[col(&h, "backend")] == b && !r[col(&h, "phase")].starts_with("setup"))
            .map(|r| format!("{} {}", r[col(&h, "phase")], r[col(&h, "clients")]))
            .collect();
        assert_eq!(mine, ["set 1", "get 1", "mixed 1", "incr 1", "set 10", "get 10", "mixed 10", "incr 10"], "{b}");
        for r in rows.iter().filter(|r| r[col(&h, "backend")] == b && !r[col(&h, "phase")].starts_with("setup")) {
            assert_eq!((num(r, &h, "requests"), num(r, &h, "errors")), (300.0, 0.0), "{r:?}");
        }
    }
    let run: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    let ratios: Vec<&serde_json::Value> =
        run["checks"].as_array().unwrap().iter().filter(|c| c["check"].as_str().unwrap().contains("backend(redis)")).collect();
    assert_eq!(ratios.len(), 8, "one per PostgreSQL row: {ratios:?}");
    for c in ratios {
        assert!(c.get("not_evaluated").is_none() && c["reference"].as_f64().is_some_and(|r| r > 0.0), "{c}");
    }
    // INCR counted on PostgreSQL: its UPDATE ... RETURNING gives a row a request.
    let incr = rows.iter().find(|r| r[col(&h, "backend")] == "pg" && r[col(&h, "phase")] == "incr").unwrap();
    assert_eq!(num(incr, &h, "rows_per_request"), 1.0);
}

/// The vector experiment, small: the HNSW index built and timed, then the
/// ef_search sweep with recall on every row, and the recall chart.
#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn the_vector_experiment_sweeps_ef_search_with_recall() {
    let url = server_env("BENCHPLAN_TEST_PGVECTOR_URL");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let a = bin()
        .env("BENCH_PGVECTOR_URL", &url)
        .args(["run", "-q"])
        .arg(root().join("scenarios/vector.yaml"))
        .args(["--set", "rows=2000", "--set", "dim=32", "--set", "workers=4", "--out"])
        .arg(&out)
        .assert();
    let o = a.get_output();
    let said = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    // Exit 1 would be `mean_ms < 10` on a loaded machine: the report still answers.
    assert!(matches!(o.status.code(), Some(0 | 1)), "{said}");
    let dir = run_dir(&out, "vector");
    let (h, rows) = read_csv(&dir.join("results.csv"));
    let search: Vec<&Vec<String>> = rows.iter().filter(|r| r[col(&h, "phase")] == "search").collect();
    let efs: Vec<&str> = search.iter().map(|r| r[col(&h, "ef_search")].as_str()).collect();
    assert_eq!(efs, ["40", "100", "200", "400"]);
    for r in &search {
        assert_eq!((num(r, &h, "requests"), num(r, &h, "errors")), (200.0, 0.0), "{r:?}");
        let recall = num(r, &h, "recall_at_k");
        assert!(recall > 0.5 && recall <= 1.0, "{r:?}");
        // k = 10 rows a request.
        assert_eq!(num(r, &h, "rows_per_request"), 10.0, "{r:?}");
    }
    let run: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    let index = run["setup"].as_array().unwrap().iter().find(|s| s["step"].as_str().unwrap().starts_with("index")).unwrap();
    assert!(index["bytes"].as_u64().is_some_and(|b| b > 0) && index["duration_s"].as_f64().is_some(), "{index}");
    let recall_checks = run["checks"].as_array().unwrap().iter().filter(|c| c["check"] == "recall_at_k >= 0.9").count();
    assert_eq!(recall_checks, 4);
    assert!(dir.join("charts/throughput-by-recall.svg").is_file());
}
