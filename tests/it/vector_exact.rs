//! The exact answers recall is measured against: computed by benchplan's
//! brute force once per run, kept in the run folder, and checked here against
//! PostgreSQL's own answer (a sequential scan and sort, no index).

use crate::common::*;
use benchplan::dataset::{write_vector_text, DataModel};
use benchplan::scenario::{load_file, LoadOptions};
use sqlx::Row;

/// Three phases (l2, cosine, ip) and a fourth repeating l2: the run folder
/// gets one file per distance, the repeated phase reuses the l2 answers; each
/// query's exact keys are PostgreSQL's (`enable_indexscan = off`, no index),
/// except where the server's k-th row ties with ours at the same distance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs servers: scripts/test runs it"]
async fn exact_answers_are_cached_in_the_run_folder_and_match_the_servers() {
    let url = server_env("BENCHPLAN_TEST_PGVECTOR_URL");
    let tmp = tempfile::tempdir().unwrap();
    let prefix = "bpv_exact";
    let phase = |name: &str, d: &str| {
        format!(
            "  - run:\n      name: {name}\n      requests: 40\n      workers: 2\n      settings: {{ enable_indexscan: false }}\n      mix:\n        - vector_search: {{ table: bpv_exact_docs, column: emb, k: 10, distance: {d}, queries: 40 }}\n"
        )
    };
    let text = format!(
        "version: 1\nname: {prefix}\nseed: 23\nparams: {{ url: x }}\nbackends:\n  db: {{ kind: postgres, url: \"${{url}}\", pool: 2 }}\n\
dataset:\n  entities:\n    doc: {{ keys: 3000 }}\n  tables:\n    - name: bpv_exact_docs\n      entity: doc\n      features:\n        - {{ name: emb, type: vector, dim: 16 }}\n\
setup:\n  - create: {{}}\n  - load: {{}}\nphases:\n{}{}{}{}",
        phase("l2", "l2"),
        phase("cosine", "cosine"),
        phase("ip", "ip"),
        phase("l2_again", "l2")
    );
    let sc = scenario(tmp.path(), prefix, &text);
    let out = tmp.path().join("out");
    run_ok(&sc, &url, &out);
    let dir = run_dir(&out, prefix);
    let (h, rows) = read_csv(&dir.join("results.csv"));
    for phase in ["l2", "cosine", "ip", "l2_again"] {
        let r = rows.iter().find(|r| r[col(&h, "phase")] == phase).unwrap_or_else(|| panic!("{phase}: {rows:?}"));
        assert_eq!(num(r, &h, "recall_at_k"), 1.0, "a sequential scan returns the exact neighbours: {r:?}");
    }
    let mut files: Vec<String> =
        std::fs::read_dir(dir.join("exact")).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    files.sort();
    assert_eq!(
        files,
        [
            "bpv_exact_docs.emb.cosine.k10.rows3000.json",
            "bpv_exact_docs.emb.ip.k10.rows3000.json",
            "bpv_exact_docs.emb.l2.k10.rows3000.json"
        ]
    );

    let r = load_file(&sc, &LoadOptions { sets: vec![format!("url={url}")], ..Default::default() }).unwrap();
    let model = DataModel::new(r.first().seed, &r.first().dataset);
    let t = &model.tables[0];
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    sqlx::query("SET enable_indexscan = off").execute(&mut *conn).await.unwrap();
    let (mut same, mut ties) = (0, 0);
    for (d, op) in [("l2", "<->"), ("cosine", "<=>"), ("ip", "<#>")] {
        let file: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("exact").join(format!("bpv_exact_docs.emb.{d}.k10.rows3000.json"))).unwrap())
                .unwrap();
        assert_eq!((file["k"].as_u64(), file["rows"].as_u64(), file["distance"].as_str()), (Some(10), Some(3000), Some(d)));
        let queries = file["queries"].as_array().unwrap();
        assert_eq!(queries.len(), 40, "{d}: every query sent, once (the repeated l2 phase added none)");
        for q in queries {
            let n = q["query"].as_u64().unwrap();
            let ours: Vec<String> = q["keys"].as_array().unwrap().iter().map(|k| k.as_str().unwrap().to_string()).collect();
            let dists: Vec<f64> = q["distances"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
            assert_eq!((ours.len(), dists.len()), (10, 10));
            assert!(dists.windows(2).all(|w| w[0] <= w[1]), "{d} query {n}: nearest first: {dists:?}");
            let mut v = Vec::new();
            t.write_query_vector(0, n, &mut v);
            let mut text = Vec::new();
            write_vector_text(&v, &mut text);
            let sql = format!("SELECT pk::text, (emb {op} $1::vector)::float8 FROM bpv_exact_docs ORDER BY emb {op} $1::vector LIMIT 10");
            let server = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(String::from_utf8(text).unwrap()).fetch_all(&mut *conn).await.unwrap();
            let theirs: Vec<String> = server.iter().map(|r| r.get::<String, _>(0)).collect();
            let their_dists: Vec<f64> = server.iter().map(|r| r.get::<f64, _>(1)).collect();
            if theirs == ours {
                same += 1;
                continue;
            }
            // Ties aside: every row the server returned and we did not is at our k-th distance.
            ties += 1;
            let kth = dists[9];
            for (key, sd) in theirs.iter().zip(&their_dists) {
                if !ours.contains(key) {
                    assert!((sd - kth).abs() <= kth.abs() * 1e-5 + 1e-6, "{d} query {n}: server row {key} at {sd}, our k-th at {kth}\nours {ours:?} {dists:?}\ntheirs {theirs:?} {their_dists:?}");
                }
            }
        }
    }
    println!("exact answers: {same} of 120 queries give the server's keys in the same order; {ties} differ only by rows at the k-th distance or by order");
    assert!(same >= 100, "{same} of 120");
    sqlx::query("DROP TABLE bpv_exact_docs").execute(&pool).await.unwrap();
}

/// A matrix over the data size sets up each size anew: its own create, load
/// and timed index build (setup rows named by the size, each with its index
/// size), its own exact answers, recall 1 in each cell with index scans off.
#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn a_matrix_over_the_data_size_loads_and_indexes_each_size() {
    let url = server_env("BENCHPLAN_TEST_PGVECTOR_URL");
    let tmp = tempfile::tempdir().unwrap();
    let prefix = "bpv_sizes";
    let text = format!(
        "version: 1\nname: {prefix}\nseed: 29\nparams: {{ url: x, rows: 1000 }}\nmatrix: {{ rows: [1000, 3000] }}\nbackends:\n  db: {{ kind: postgres, url: \"${{url}}\", pool: 2 }}\n\
dataset:\n  entities:\n    doc: {{ keys: \"${{rows}}\" }}\n  tables:\n    - name: bpv_sizes_docs\n      entity: doc\n      features:\n        - {{ name: emb, type: vector, dim: 16 }}\n\
setup:\n  - create: {{}}\n  - load: {{}}\n  - index: {{ table: bpv_sizes_docs, column: emb, method: hnsw, distance: l2 }}\n\
phases:\n  - run:\n      name: exact\n      requests: 30\n      settings: {{ enable_indexscan: false }}\n      mix:\n        - vector_search: {{ table: bpv_sizes_docs, k: 5, queries: 30 }}\n\
teardown:\n  - drop: {{}}\n"
    );
    let sc = scenario(tmp.path(), prefix, &text);
    let out = tmp.path().join("out");
    run_ok(&sc, &url, &out);
    let dir = run_dir(&out, prefix);
    let run: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    let setup = run["setup"].as_array().unwrap();
    let step = |name: &str| setup.iter().find(|s| s["step"] == name).unwrap_or_else(|| panic!("no setup step {name}: {setup:?}"));
    assert_eq!(step("load [rows=1000]")["rows"], 1000);
    assert_eq!(step("load [rows=3000]")["rows"], 3000);
    let small = step("index bpv_sizes_docs.emb hnsw l2 [rows=1000]");
    let large = step("index bpv_sizes_docs.emb hnsw l2 [rows=3000]");
    assert_eq!((small["rows"].as_u64(), large["rows"].as_u64()), (Some(1000), Some(3000)));
    assert!(large["bytes"].as_u64().unwrap() > small["bytes"].as_u64().unwrap(), "{small} {large}");
    assert_eq!(setup.iter().filter(|s| s["step"].as_str().unwrap().starts_with("drop")).count(), 2, "{setup:?}");
    let (h, rows) = read_csv(&dir.join("results.csv"));
    for n in ["1000", "3000"] {
        let r = rows.iter().find(|r| r[col(&h, "phase")] == "exact" && r[col(&h, "rows")] == n).unwrap_or_else(|| panic!("{rows:?}"));
        assert_eq!(num(r, &h, "recall_at_k"), 1.0, "{r:?}");
        assert!(dir.join(format!("exact/bpv_sizes_docs.emb.l2.k5.rows{n}.json")).exists());
    }
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(summary.contains("| db | index bpv_sizes_docs.emb hnsw l2 [rows=3000] | 3000 |"), "{summary}");
}

/// Writes `rows` × `dim` vectors (a few clusters) as .npy (format 1.0, '<f4') or .fvecs.
fn embeddings_file(path: &std::path::Path, rows: usize, dim: usize) {
    let value = |r: usize, j: usize| ((r % 7) as f32) + ((r * 31 + j * 17) % 100) as f32 / 400.0 - (j % 3) as f32;
    let mut b = Vec::new();
    if path.extension().unwrap() == "npy" {
        let mut h = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {dim}), }}");
        while (10 + h.len() + 1) % 64 != 0 {
            h.push(' ');
        }
        h.push('\n');
        b.extend(b"\x93NUMPY\x01\x00");
        b.extend((h.len() as u16).to_le_bytes());
        b.extend(h.as_bytes());
        for r in 0..rows {
            (0..dim).for_each(|j| b.extend(value(r, j).to_le_bytes()));
        }
    } else {
        for r in 0..rows {
            b.extend((dim as i32).to_le_bytes());
            (0..dim).for_each(|j| b.extend(value(r, j).to_le_bytes()));
        }
    }
    std::fs::write(path, b).unwrap();
}

/// A user's embeddings from a .npy and an .fvecs file: the table holds the
/// file's first rows (read back equal), the rows after them are the query
/// vectors, and recall with index scans off is 1. A file with another
/// dimension or too few rows is refused at validation, located, exit 2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs servers: scripts/test runs it"]
async fn embeddings_from_a_npy_or_fvecs_file_are_loaded_and_searched() {
    let url = server_env("BENCHPLAN_TEST_PGVECTOR_URL");
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    for ext in ["npy", "fvecs"] {
        let tmp = tempfile::tempdir().unwrap();
        embeddings_file(&tmp.path().join(format!("emb.{ext}")), 600, 12);
        let prefix = format!("bpv_file_{ext}");
        let text = format!(
            "version: 1\nname: {prefix}\nseed: 1\nparams: {{ url: x }}\nbackends:\n  db: {{ kind: postgres, url: \"${{url}}\", pool: 2 }}\n\
dataset:\n  entities:\n    doc: {{ keys: 500 }}\n  tables:\n    - name: {prefix}\n      entity: doc\n      features:\n        - {{ name: emb, type: vector, dim: 12, source: {{ file: emb.{ext} }} }}\n\
setup:\n  - create: {{}}\n  - load: {{}}\nphases:\n  - run:\n      requests: 100\n      settings: {{ enable_indexscan: false }}\n      mix:\n        - vector_search: {{ table: {prefix}, k: 5, queries: 100 }}\n"
        );
        let sc = scenario(tmp.path(), &prefix, &text);
        let out = tmp.path().join("out");
        run_ok(&sc, &url, &out);
        let dir = run_dir(&out, &prefix);
        let (h, rows) = read_csv(&dir.join("results.csv"));
        let run = rows.iter().find(|r| r[col(&h, "phase")] == "run").unwrap();
        assert_eq!(num(run, &h, "recall_at_k"), 1.0, "{run:?}");
        let got: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT emb::text FROM {prefix} WHERE pk = 499")))
            .fetch_one(&pool)
            .await
            .unwrap();
        let want = benchplan::dataset::FeatureValue::Vector(
            (0..12).map(|j| ((499 % 7) as f32) + ((499 * 31 + j * 17) % 100) as f32 / 400.0 - (j % 3) as f32).collect(),
        );
        assert!(same(&want, &got), "{got}");
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {prefix}"))).fetch_one(&pool).await.unwrap();
        assert_eq!(n, 500);
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP TABLE {prefix}"))).execute(&pool).await.unwrap();

        // Another dimension, and too few rows for the table and its queries.
        for (bad, why) in [
            (text.replace("dim: 12", "dim: 13"), "expected `dim` (13)"),
            (text.replace("keys: 500", "keys: 600"), "expected more than the table's 600 rows"),
        ] {
            let p = scenario(tmp.path(), "bad", &bad);
            let o = bin().arg("validate").arg(&p).output().unwrap();
            let err = String::from_utf8_lossy(&o.stderr).to_string() + &String::from_utf8_lossy(&o.stdout);
            assert_eq!(o.status.code(), Some(2), "{err}");
            assert!(err.contains("bad.yaml:") && err.contains("source.file") && err.contains(why), "{err}");
        }
    }
}
