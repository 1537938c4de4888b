//! Cross-checks on real servers: the server's own counters over each phase
//! agree with what benchplan counted sending (run.json's `cross_checks`),
//! within the stated tolerance. PostgreSQL runs in a database of its own
//! (so `pg_stat_database` sees this test's clients only); MariaDB's
//! `SHOW GLOBAL STATUS` is server-wide, so other clients of the test server
//! would show as a disagreement.

use crate::common::{bin, run_dir, scenario, server_env};
use serde_json::Value;
use sqlx::Connection;

fn scenario_text(kind: &str, url: &str, prefix: &str, explain: &str, backend: &str) -> String {
    format!(
        r#"version: 1
name: {prefix}
seed: 5
backends:
  db:
    kind: {kind}
    url: "{url}"
{backend}
dataset:
  entities:
    user: {{ keys: 1500, key: int }}
    item: {{ keys: 1500, key: int }}
  tables:
    - {{ name: "{prefix}_u{{i}}", entity: user, count: 2, features: 3 }}
    - {{ name: "{prefix}_i{{i}}", entity: item, count: 1, features: 3 }}
setup:
  - create: {{}}
  - load: {{}}
phases:
  - warmup: {{ requests: 300, workers: 2 }}
  - run:
      name: serve
      requests: 2000
      workers: 2
{explain}
      keys: {{ distribution: zipfian, theta: 0.99 }}
      mix:
        - weight: 70
          read_features: {{ entities: [user, item], fetch: serial }}
        - weight: 20
          write_features: {{ entities: [user], mode: upsert, batch: 2 }}
        - weight: 10
          name: both
          steps:
            - read_features: {{ entities: [user], fetch: packed }}
            - read_features: {{ entities: [item], fetch: serial }}
teardown:
  - drop: {{}}
"#
    )
}

/// Runs the scenario; returns run.json's cross-check rows and notes, and the client that measured.
fn run(kind: &str, url: &str, prefix: &str, explain: &str, backend: &str) -> (Vec<Value>, Vec<String>, String) {
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(tmp.path(), prefix, &scenario_text(kind, url, prefix, explain, backend));
    let out = tmp.path().join("out");
    let a = bin().args(["run", "-q"]).arg(&sc).arg("--out").arg(&out).assert();
    let o = a.get_output();
    assert_eq!(o.status.code(), Some(0), "{}\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let dir = run_dir(&out, prefix);
    let report: Value = serde_json::from_slice(&std::fs::read(dir.join("run.json")).unwrap()).unwrap();
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(summary.contains("## Cross-check"), "{summary}");
    let rows = report["cross_checks"].as_array().cloned().unwrap_or_default();
    let notes =
        report["cross_check_notes"].as_array().map(|n| n.iter().map(|x| x.as_str().unwrap().to_string()).collect()).unwrap_or_default();
    let client = report["backends"][0]["server"]["client"].as_str().unwrap_or_default().to_string();
    (rows, notes, client)
}

/// The row of `counter` in `phase`, asserted to agree: the counts differ
/// by at most the tolerance, and benchplan's is at least `at_least`.
fn agrees(rows: &[Value], phase: &str, counter: &str, at_least: u64) -> Value {
    let row = rows
        .iter()
        .find(|r| r["phase"] == phase && r["counter"] == counter)
        .unwrap_or_else(|| panic!("no {counter} row for {phase}: {rows:#?}"))
        .clone();
    let (ours, server, tolerance) =
        (row["benchplan"].as_u64().unwrap(), row["server"].as_u64().unwrap(), row["tolerance"].as_u64().unwrap());
    assert!(ours >= at_least, "{row}");
    assert!(ours.abs_diff(server) <= tolerance, "{row}");
    assert_eq!(row["agrees"], true, "{row}");
    row
}

#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn postgres_counters_agree_with_the_server() {
    postgres_counters("", "xcpg", "    driver: sqlx");
}

/// The same on benchplan's own wire client (a connection without TLS).
#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn postgres_counters_agree_with_the_server_on_the_wire_client() {
    postgres_counters("?sslmode=disable", "xcpw", "");
}

/// `query` ends the URL; `backend` is more of the backend's settings.
fn postgres_counters(query: &str, prefix: &str, backend: &str) {
    let base = server_env("BENCHPLAN_TEST_PG_URL");
    // A database of this test's own: pg_stat_database counts per database.
    let db = format!("benchplan_{prefix}_{}", std::process::id());
    let url = match base.split('?').next().and_then(|b| b.rfind('/').map(|i| (b, i))) {
        Some((b, i)) if !b[..i].ends_with('/') => format!("{}/{db}{query}", &b[..i]),
        _ => panic!("BENCHPLAN_TEST_PG_URL names no database: {base}"),
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let admin = |sql: String| {
        rt.block_on(async {
            let mut c = sqlx::PgConnection::connect(&base).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut c).await.unwrap();
        })
    };
    admin(format!("DROP DATABASE IF EXISTS {db}"));
    admin(format!("CREATE DATABASE {db}"));
    // Where the server has pg_stat_statements loaded, the database gets the extension.
    let pgss = rt.block_on(async {
        let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::raw_sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT calls FROM pg_stat_statements LIMIT 1")
            .execute(&mut c)
            .await
            .is_ok()
    });
    let (rows, notes, client) = run("postgres", &url, prefix, "      explain_every: 50", backend);
    let wire = backend.is_empty();
    assert_eq!(client.contains("wire client"), wire, "the client that measured: {client}");
    admin(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
    // 2000 requests: 70 % read 3 tables (3 statements, 3 commits), 20 % upsert 2 tables in a transaction (1 commit),
    // 10 % two steps (a packed read of 2 tables, then 1 table: 2 statements, 2 commits).
    agrees(&rows, "serve", "pg_stat_database.xact_commit", 1300 * 3 + 150 * 2);
    agrees(&rows, "warmup", "pg_stat_database.xact_commit", 200 * 3);
    assert!(rows.iter().any(|r| r["counter"] == "pg_stat_database.blks_hit" && r["server"].as_u64().unwrap() > 0), "{rows:#?}");
    if pgss {
        agrees(&rows, "serve", "pg_stat_statements.calls", 1300 * 3 + 150 * 2);
        agrees(&rows, "serve", "pg_stat_statements.rows", 1300 * 3 + 150 * 2);
    } else {
        assert!(notes.iter().any(|n| n.contains("pg_stat_statements")), "the summary says why statements are not compared: {notes:?}");
        assert!(!rows.iter().any(|r| r["counter"] == "pg_stat_statements.calls"), "{rows:#?}");
    }
}

/// On benchplan's own wire client (the default where the connection
/// verifies no certificate), then on sqlx: one after the other, since
/// `SHOW GLOBAL STATUS` would count each run's statements in the other's.
#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn mysql_counters_agree_with_the_server() {
    mysql_counters("xcmy", "");
    mysql_counters("xcms", "    driver: sqlx");
}

fn mysql_counters(prefix: &str, backend: &str) {
    let url = server_env("BENCHPLAN_TEST_MYSQL_URL");
    let (rows, notes, client) = run("mysql", &url, prefix, "", backend);
    assert_eq!(client.contains("wire client"), backend.is_empty(), "the client that measured: {client}");
    // Reads: 3 statements; upserts: BEGIN, 2 statements, COMMIT; two steps: 2 statements.
    agrees(&rows, "serve", "Questions", 1300 * 3 + 150 * 2);
    agrees(&rows, "warmup", "Questions", 200 * 3);
    assert!(rows.iter().any(|r| r["counter"] == "Innodb_buffer_pool_read_requests" && r["server"].as_u64().unwrap() > 0), "{rows:#?}");
    assert!(notes.iter().any(|n| n.contains("every client of the server")), "{notes:?}");
}
