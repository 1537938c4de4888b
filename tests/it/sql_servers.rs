//! PostgreSQL and MySQL/MariaDB backends against real servers.
//!
//! The servers come from BENCHPLAN_TEST_PG_URL and BENCHPLAN_TEST_MYSQL_URL
//! (`scripts/test` sets them, starting throwaway servers where none runs).
//! The tests are ignored unless asked for (scripts/test asks); without the
//! variables they fail.

use crate::common::*;
use benchplan::dataset::{DataModel, FeatureValue, KeyValue};
use benchplan::scenario::{load_file, LoadOptions};
use sqlx::Row;
use std::time::{Duration, Instant};

fn scenario_text(kind: &str, prefix: &str) -> String {
    format!(
        r#"version: 1
name: {prefix}
seed: 21
params: {{ url: x }}
backends:
  db:
    kind: {kind}
    url: ${{url}}
    pool: 4
dataset:
  entities:
    card: {{ keys: 3000, key: string }}
    user: {{ keys: 2000, key: int }}
  tables:
    - {{ name: "{prefix}_card_f{{i}}", entity: card, count: 3, features: 4, types: mixed }}
    - {{ name: "{prefix}_user_f{{i}}", entity: user, count: 2, features: 3, rows: 1500 }}
setup:
  - create: {{}}
  - load: {{ batch: 700, workers: 2 }}
phases:
  - run:
      name: packed
      requests: 400
      workers: 4
      keys: {{ distribution: zipfian }}
      mix:
        - read_features: {{ entities: [card], fetch: packed }}
  - run:
      name: serial
      requests: 300
      workers: 2
      mix:
        - read_features: {{ entities: [card], fetch: serial }}
  - run:
      name: parallel3
      requests: 200
      workers: 2
      mix:
        - read_features: {{ entities: [card], fetch: parallel, keys_per_table: 3 }}
  - run:
      name: insert
      requests: 100
      workers: 2
      mix:
        - write_features: {{ entities: [card], mode: insert, batch: 2 }}
  - run:
      name: upsert
      requests: 200
      workers: 4
      keys: {{ distribution: zipfian }}
      mix:
        - write_features: {{ entities: [user], mode: upsert, batch: 5 }}
  - run:
      name: stmt
      requests: 100
      mix:
        - statement:
            name: one_card
            sql: "SELECT pk FROM {{{{ table('{prefix}_card_f0') }}}} WHERE pk = {{{{ bind(key.card) }}}}"
checks:
  - error_rate == 0
"#
    )
}

/// Runs the scenario, then checks the database's content against the data
/// model; `client` is a part of run.json's `server.client` (PostgreSQL).
async fn check_backend(kind: &str, url: &str, prefix: &str, client: Option<&str>) {
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(tmp.path(), prefix, &scenario_text(kind, prefix));
    let out = tmp.path().join("out");
    run_ok(&sc, url, &out);
    let dir = run_dir(&out, prefix);
    if let Some(client) = client {
        let run: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("run.json")).unwrap()).unwrap();
        let said = run["backends"][0]["server"]["client"].as_str().unwrap_or_default().to_string();
        assert!(said.contains(client), "run.json names the client that measured ({client}): {said:?}");
    }
    let (h, rows) = read_csv(&dir.join("results.csv"));
    let per = |phase: &str| -> f64 {
        let r = rows.iter().find(|r| r[col(&h, "phase")] == phase).unwrap();
        assert_eq!(num(r, &h, "errors"), 0.0, "{phase}: {r:?}");
        num(r, &h, "rows_per_request")
    };
    // Packed and serial reads find one row per card table for every request.
    assert_eq!(per("packed"), 3.0);
    assert_eq!(per("serial"), 3.0);
    assert!(per("parallel3") > 8.8, "3 keys x 3 tables");
    assert_eq!(per("insert"), 6.0);
    assert_eq!(per("stmt"), 1.0);
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(summary.contains("| db | load | 12000 |"), "rows loaded = rows declared (3x3000 + 2x1500 = 12000): {summary}");

    // The data in the database is the data model's.
    let r = load_file(&sc, &LoadOptions { sets: vec![format!("url={url}")], ..Default::default() }).unwrap();
    let model = DataModel::new(r.first().seed, &r.first().dataset);
    let db = Db::connect(kind, url).await;
    for t in &model.tables {
        let count_sql = if kind == "postgres" {
            format!("SELECT COUNT(*)::text FROM {}", t.name)
        } else {
            format!("SELECT CAST(COUNT(*) AS CHAR(20)) FROM {}", t.name)
        };
        let count: i64 = db.strings(&count_sql).await[0][0].parse().unwrap();
        if t.entity == 0 {
            assert_eq!(count as u64, t.rows + 100 * 2, "{}: loaded rows plus inserted rows", t.name);
        } else {
            // Upserts of keys 1500..2000 (beyond the loaded rows) add rows.
            assert!((t.rows as i64..=2000).contains(&count), "{}: {count} rows", t.name);
        }
        for idx in [0u64, 7, t.rows - 1] {
            let key = model.entities[t.entity].key(idx);
            let cols: Vec<String> = t.columns.iter().map(|c| format!("CAST({} AS CHAR(64)) AS {}", c.name, c.name)).collect();
            let cast_pk = if kind == "postgres" { "pk::text" } else { "CAST(pk AS CHAR)" };
            let cols = if kind == "postgres" { t.columns.iter().map(|c| format!("{}::text", c.name)).collect::<Vec<_>>() } else { cols };
            let sql = match &key {
                KeyValue::Int(i) => format!("SELECT {cast_pk}, {} FROM {} WHERE pk = {i}", cols.join(", "), t.name),
                KeyValue::Str(s) => format!("SELECT {cast_pk}, {} FROM {} WHERE pk = '{s}'", cols.join(", "), t.name),
            };
            let row = db.strings(&sql).await.remove(0);
            assert_eq!(row[0], key.to_string());
            for c in 0..t.columns.len() {
                let got = row[c + 1].clone();
                // The upsert phase rewrote some user rows with newer versions: compare loaded rows only where untouched.
                if t.entity == 1 {
                    continue;
                }
                let want = t.value(idx, c, 0);
                let ok = same(&want, &got);
                assert!(ok, "{}.{} for key {key}: got {got:?}, want {want:?}", t.name, t.columns[c].name);
            }
        }
    }
    // Upserts wrote rows that are there afterwards, with a newer version of the values.
    let changed: i64 = {
        let t = &model.tables[3];
        let mut n = 0;
        for idx in 0..t.rows {
            let want = match t.value(idx, 0, 0) {
                FeatureValue::Float(f) => f,
                _ => unreachable!(),
            };
            let sql = format!("SELECT CAST(f0 AS CHAR(64)) FROM {} WHERE pk = {idx}", t.name);
            let sql = if kind == "postgres" { format!("SELECT f0::text FROM {} WHERE pk = {idx}", t.name) } else { sql };
            let got = db.strings(&sql).await[0][0].clone();
            if (got.parse::<f64>().unwrap() - want).abs() > 1e-12 {
                n += 1;
            }
            if idx > 300 {
                break;
            }
        }
        n
    };
    assert!(changed > 0, "the upsert phase changed some of the first 300 user rows (zipfian keys)");
    for t in &model.tables {
        db.strings(&format!("DROP TABLE IF EXISTS {}", t.name)).await;
    }
}

enum Db {
    Pg(sqlx::PgPool),
    My(sqlx::MySqlPool),
}

impl Db {
    async fn connect(kind: &str, url: &str) -> Db {
        if kind == "postgres" {
            Db::Pg(sqlx::PgPool::connect(url).await.unwrap())
        } else {
            Db::My(sqlx::MySqlPool::connect(url).await.unwrap())
        }
    }

    /// Every column must be text (cast in the SQL).
    async fn strings(&self, sql: &str) -> Vec<Vec<String>> {
        let sql = || sqlx::AssertSqlSafe(sql.to_string());
        match self {
            Db::Pg(p) => sqlx::query(sql())
                .fetch_all(p)
                .await
                .unwrap()
                .iter()
                .map(|r| (0..r.len()).map(|i| r.get::<String, _>(i)).collect())
                .collect(),
            Db::My(p) => sqlx::query(sql())
                .fetch_all(p)
                .await
                .unwrap()
                .iter()
                .map(|r| (0..r.len()).map(|i| r.get::<String, _>(i)).collect())
                .collect(),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs servers: scripts/test runs it"]
async fn postgres_loads_reads_and_writes_the_model_data() {
    let url = server_env("BENCHPLAN_TEST_PG_URL");
    check_backend("postgres", &url, "bpt_pg", None).await;
}

/// The same on benchplan's own PostgreSQL wire client (no TLS): the same
/// rows read and written, the same data in the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs servers: scripts/test runs it"]
async fn postgres_wire_client_loads_reads_and_writes_the_model_data() {
    let url = server_env("BENCHPLAN_TEST_PG_URL");
    check_backend("postgres", &format!("{url}{}sslmode=disable", query_sep(&url)), "bpt_pw", Some("wire client")).await;
}

fn query_sep(url: &str) -> &'static str {
    if url.contains('?') {
        "&"
    } else {
        "?"
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs servers: scripts/test runs it"]
async fn mysql_loads_reads_and_writes_the_model_data() {
    let url = server_env("BENCHPLAN_TEST_MYSQL_URL");
    check_backend("mysql", &url, "bpt_my", Some("MySQL wire client")).await;
}

#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn postgres_packed_function_and_unlogged_tables() {
    let url = server_env("BENCHPLAN_TEST_PG_URL");
    let tmp = tempfile::tempdir().unwrap();
    let text = scenario_text("postgres", "bpt_fn")
        .replace("    pool: 4\n", "    pool: 4\n    packed: function\n    unlogged: true\n    schema: bpt_schema\n")
        .replace("      name: packed\n      requests: 400\n", "      name: packed\n      requests: 400\n      explain_every: 10\n")
        .replace("checks:", "teardown:\n  - drop: {}\nchecks:");
    let sc = scenario(tmp.path(), "bpt_fn", &text);
    let a = bin().args(["plan"]).arg(&sc).arg("--set").arg(format!("url={url}")).assert().success();
    let plan = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert!(plan.contains("CREATE UNLOGGED TABLE"), "{plan}");
    let out = tmp.path().join("out");
    bin().args(["run", "-q"]).arg(&sc).arg("--set").arg(format!("url={url}")).arg("--out").arg(&out).assert().success();
    let dir = run_dir(&out, "bpt_fn");
    let (h, rows) = read_csv(&dir.join("results.csv"));
    let packed = rows.iter().find(|r| r[col(&h, "phase")] == "packed").unwrap();
    assert_eq!(num(packed, &h, "rows_per_request"), 3.0, "the generated function returns every table's row");
    // One request in 10 ran under EXPLAIN (ANALYZE, BUFFERS), outside the latency figures.
    assert_eq!(num(packed, &h, "explain_samples"), 40.0);
    assert_eq!(num(packed, &h, "requests"), 360.0);
    let ratio = num(packed, &h, "cache_hit_ratio");
    assert!((0.0..=1.0).contains(&ratio) && ratio > 0.5, "warm tables are mostly in shared buffers: {ratio}");
    assert!(num(packed, &h, "blocks_per_request") >= 3.0, "at least one block per table");
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(summary.contains("## Cache (EXPLAIN samples)") && summary.contains("| db | packed | - | 40 |"), "{summary}");
    let run_json = std::fs::read_to_string(dir.join("run.json")).unwrap();
    assert!(run_json.contains("\"shared_buffers\""), "server settings are recorded");
    assert!(run_json.contains("PostgreSQL"), "server version is recorded");
    // The teardown's drop took the generated function with the tables.
    let q = "select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace \
             where n.nspname = 'bpt_schema' and p.proname like 'benchplan\\_packed\\_%'";
    let left = std::process::Command::new("psql").arg(&url).args(["-tAc", q]).output().expect("psql");
    assert_eq!(String::from_utf8_lossy(&left.stdout).trim(), "0", "{}", String::from_utf8_lossy(&left.stderr));
}

#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn passwords_never_appear_and_an_unreachable_server_is_exit_3() {
    let url = server_env("BENCHPLAN_TEST_PG_URL");
    let secret = "Sup3rS3cretPw";
    // Trust authentication accepts any password, so the run works with one in the URL.
    let with_pw = url.replacen("postgres://postgres@", &format!("postgres://postgres:{secret}@"), 1);
    assert_ne!(with_pw, url, "expected a postgres://postgres@ URL, got {url}");
    let tmp = tempfile::tempdir().unwrap();
    let text = scenario_text("postgres", "bpt_pw")
        .replace("url: ${url}", "url: ${env:BPT_SECRET_URL}")
        .replace("checks:", "teardown:\n  - drop: {}\nchecks:");
    let sc = scenario(tmp.path(), "bpt_pw", &text);
    let out = tmp.path().join("out");
    let a = bin().env("BPT_SECRET_URL", &with_pw).args(["run"]).arg(&sc).arg("--out").arg(&out).assert().success();
    let o = a.get_output();
    let printed = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(!printed.contains(secret), "{printed}");
    let dir = run_dir(&out, "bpt_pw");
    for entry in walk(&dir) {
        let text = std::fs::read_to_string(&entry).unwrap();
        assert!(!text.contains(secret), "{} leaks the password", entry.display());
    }
    bin().env("BPT_SECRET_URL", &with_pw).args(["plan"]).arg(&sc).assert().success().stdout(predicates::str::contains(secret).not());

    // Nothing listens on port 1: a clear, redacted failure within the connect timeout.
    let started = Instant::now();
    let out2 = tmp.path().join("out2");
    let a = bin()
        .env("BPT_SECRET_URL", format!("postgres://postgres:{secret}@127.0.0.1:1/test"))
        .args(["run", "-q"])
        .arg(&sc)
        .arg("--out")
        .arg(&out2)
        .assert()
        .code(3);
    assert!(started.elapsed() < Duration::from_secs(20));
    let o = a.get_output();
    let printed = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(printed.contains("cannot connect to PostgreSQL at 127.0.0.1:1"), "{printed}");
    assert!(!printed.contains(secret), "{printed}");
    let summary = std::fs::read_to_string(run_dir(&out2, "bpt_pw").join("summary.md")).unwrap();
    assert!(summary.contains("Backend `db` failed") && !summary.contains(secret), "{summary}");
}

pub(crate) fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

use predicates::prelude::PredicateBooleanExt;
