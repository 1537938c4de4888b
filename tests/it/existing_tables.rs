//! Existing tables: keys sampled from the database once, saved next to the
//! scenario, reused by later runs; no create, load or drop.

use crate::common::*;

fn scenario_text(backend: &str, table: &str, count: u64) -> String {
    format!(
        r#"version: 1
name: existing
backends:
{backend}
dataset:
  entities:
    card: {{ key: string, sample: {{ table: {table}, column: card_id, count: {count} }} }}
  tables:
    - {{ name: {table}, entity: card, key_column: card_id, features: [ {{ name: amount, type: float }}, {{ name: risk, type: int }} ] }}
phases:
  - run:
      name: lookups
      requests: 300
      workers: 2
      keys: {{ distribution: uniform }}
      mix:
        - read_features: {{ entities: [card], fetch: serial }}
        - read_features: {{ entities: [card], fetch: packed }}
checks:
  - error_rate == 0
"#
    )
}

fn run_twice(dir: &std::path::Path, sc: &std::path::Path, expect_keys: usize) {
    let keys_file = dir.join("existing.card.keys");
    for round in 0..2 {
        let out = dir.join(format!("out{round}"));
        bin().args(["run", "-q"]).arg(sc).arg("--out").arg(&out).assert().success();
        let (h, rows) = read_csv(&run_dir(&out, "existing").join("results.csv"));
        assert_eq!(rows.len(), 1, "no setup rows: nothing is loaded");
        assert_eq!(num(&rows[0], &h, "rows_per_request"), 1.0, "every sampled key exists in the table");
        assert_eq!(num(&rows[0], &h, "errors"), 0.0);
    }
    let text = std::fs::read_to_string(&keys_file).unwrap();
    let keys: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(keys.len(), expect_keys, "{text}");
    assert!(keys.iter().all(|k| k.starts_with("c-")), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_existing_table_keys_are_sampled_once_and_reused() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("customer.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=rwc", db.display())).await.unwrap();
    sqlx::query("CREATE TABLE customer_cards (card_id TEXT PRIMARY KEY, amount REAL NOT NULL, risk INTEGER NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    for i in 0..500 {
        sqlx::query("INSERT INTO customer_cards VALUES (?1, ?2, ?3)")
            .bind(format!("c-{i:05}"))
            .bind(i as f64 / 7.0)
            .bind(i % 10)
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;
    let backend = format!("  local:\n    kind: sqlite\n    path: {}", db.display());
    let sc = scenario(tmp.path(), "existing", &scenario_text(&backend, "customer_cards", 100));
    run_twice(tmp.path(), &sc, 100);
    let first = std::fs::read_to_string(tmp.path().join("existing.card.keys")).unwrap();
    // The table is untouched: still 500 rows.
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display())).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customer_cards").fetch_one(&pool).await.unwrap();
    assert_eq!(n, 500);
    // The keys file was written once and reused.
    assert_eq!(std::fs::read_to_string(tmp.path().join("existing.card.keys")).unwrap(), first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs servers: scripts/test runs it"]
async fn postgres_existing_table_keys_come_from_tablesample() {
    let url = server_env("BENCHPLAN_TEST_PG_URL");
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    sqlx::query("DROP TABLE IF EXISTS bpt_existing_cards").execute(&pool).await.unwrap();
    sqlx::query("CREATE TABLE bpt_existing_cards (card_id text PRIMARY KEY, amount double precision NOT NULL, risk bigint NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO bpt_existing_cards SELECT 'c-' || lpad(i::text, 6, '0'), i / 7.0, i % 10 FROM generate_series(1, 20000) i")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("ANALYZE bpt_existing_cards").execute(&pool).await.unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let backend = format!("  pg:\n    kind: postgres\n    url: {url}");
    let sc = scenario(tmp.path(), "existing", &scenario_text(&backend, "bpt_existing_cards", 200));
    run_twice(tmp.path(), &sc, 200);
    // The same table with its columns read from PostgreSQL's catalog.
    let star = scenario_text(&backend, "bpt_existing_cards", 200)
        .replace("features: [ { name: amount, type: float }, { name: risk, type: int } ]", "features: \"*\"");
    let sc = scenario(tmp.path(), "existing", &star);
    let out = tmp.path().join("star");
    let o = bin().args(["run"]).arg(&sc).arg("--out").arg(&out).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("bpt_existing_cards: features from the catalog: amount (float), risk (int)"));
    let (h, rows) = read_csv(&run_dir(&out, "existing").join("results.csv"));
    assert_eq!(num(&rows[0], &h, "rows_per_request"), 1.0);
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bpt_existing_cards").fetch_one(&pool).await.unwrap();
    assert_eq!(n, 20000, "an existing table is never loaded or dropped");
    sqlx::query("DROP TABLE bpt_existing_cards").execute(&pool).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_table_keys_come_from_the_union_of_the_entitys_tables() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("customer.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=rwc", db.display())).await.unwrap();
    // cards_a holds c-00000..c-00299, cards_b c-00200..c-00499: 500 keys in all, 100 in both.
    for (table, from, to) in [("cards_a", 0, 300), ("cards_b", 200, 500)] {
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE TABLE {table} (card_id TEXT PRIMARY KEY, amount REAL NOT NULL)")))
            .execute(&pool)
            .await
            .unwrap();
        for i in from..to {
            sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO {table} VALUES (?1, ?2)")))
                .bind(format!("c-{i:05}"))
                .bind(i as f64)
                .execute(&pool)
                .await
                .unwrap();
        }
    }
    pool.close().await;
    let text = format!(
        r#"version: 1
name: existing
backends:
  local: {{ kind: sqlite, path: "{}" }}
dataset:
  entities:
    card: {{ key: string, sample: {{ count: 1000 }} }}
  tables:
    - {{ name: cards_a, entity: card, key_column: card_id, features: [ {{ name: amount, type: float }} ] }}
    - {{ name: cards_b, entity: card, key_column: card_id, features: [ {{ name: amount, type: float }} ] }}
phases:
  - run:
      requests: 400
      mix:
        - read_features: {{ entities: [card], fetch: serial }}
"#,
        db.display()
    );
    let sc = scenario(tmp.path(), "existing", &text);
    let out = tmp.path().join("out");
    bin().args(["run", "-q"]).arg(&sc).arg("--out").arg(&out).assert().success();
    let keys_text = std::fs::read_to_string(tmp.path().join("existing.card.keys")).unwrap();
    assert!(keys_text.starts_with("# keys of entity card, sampled from cards_a.card_id, cards_b.card_id (500 keys)"), "{keys_text}");
    let keys: Vec<&str> = keys_text.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(keys.len(), 500);
    assert!(keys.contains(&"c-00000") && keys.contains(&"c-00499"), "keys of each table");
    // A key is in one table or both: 1.2 rows a request on average.
    let (h, rows) = read_csv(&run_dir(&out, "existing").join("results.csv"));
    let rpr = num(&rows[0], &h, "rows_per_request");
    assert!(rpr > 1.0 && rpr < 1.5, "rows per request {rpr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn features_star_reads_the_columns_from_the_catalog() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("customer.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=rwc", db.display())).await.unwrap();
    sqlx::query("CREATE TABLE customer_cards (card_id TEXT PRIMARY KEY, amount REAL NOT NULL, risk INTEGER NOT NULL, note TEXT)")
        .execute(&pool)
        .await
        .unwrap();
    for i in 0..200 {
        sqlx::query("INSERT INTO customer_cards VALUES (?1, ?2, ?3, 'n')")
            .bind(format!("c-{i:05}"))
            .bind(i as f64)
            .bind(i % 10)
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;
    let text = scenario_text(&format!("  local:\n    kind: sqlite\n    path: {}", db.display()), "customer_cards", 50)
        .replace("features: [ { name: amount, type: float }, { name: risk, type: int } ]", "features: \"*\"");
    assert!(text.contains("features: \"*\""));
    let sc = scenario(tmp.path(), "existing", &text);
    let out = tmp.path().join("out");
    let o = bin().args(["run"]).arg(&sc).arg("--out").arg(&out).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("customer_cards: features from the catalog: amount (float), risk (int), note (string)"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let dir = run_dir(&out, "existing");
    let (h, rows) = read_csv(&dir.join("results.csv"));
    assert_eq!(num(&rows[0], &h, "rows_per_request"), 1.0);
    assert_eq!(num(&rows[0], &h, "errors"), 0.0);
    // run.json records the columns the run used, not "*".
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("run.json")).unwrap()).unwrap();
    let features = &report["resolved_scenario"]["dataset"]["tables"][0]["features"];
    let names: Vec<&str> = features.as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["amount", "risk", "note"]);
    // A table that setup creates needs its features listed.
    let bad = text.replace("phases:", "setup:\n  - create: {}\nphases:");
    let sc = scenario(tmp.path(), "bad", &bad);
    let o = bin().args(["validate"]).arg(&sc).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("dataset.tables[0].features: \"*\" reads the columns of an existing table"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
