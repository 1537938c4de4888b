//! The write sink on every SQL kind: a batch of 10,000 rows of 8 features
//! per table in every write mode, checked row by row in the database;
//! statement lists in one transaction; two-phase commit on PostgreSQL; and
//! PostgreSQL's three load methods.
//!
//! SQLite runs anywhere; PostgreSQL and MariaDB are ignored unless asked for
//! (`scripts/test`), their servers from BENCHPLAN_TEST_PG_URL and
//! BENCHPLAN_TEST_MYSQL_URL. Table names are unique to this file (`bps_*`).

use crate::common::*;
use benchplan::dataset::{DataModel, KeyValue};
use benchplan::scenario::{load_file, LoadOptions};
use sqlx::Row;
use std::path::Path;

/// 20,000 int keys, 2 tables of 8 features of every type, one request of a
/// batch of 10,000 rows per table in `mode`.
fn sink_scenario(kind: &str, prefix: &str) -> String {
    format!(
        r#"version: 1
name: {prefix}
seed: 17
params: {{ url: x, mode: insert }}
backends:
  db: {{ kind: {kind}, {target}, pool: 2 }}
dataset:
  entities:
    user: {{ keys: 20000, key: int }}
  tables:
    - {{ name: "{prefix}_f{{i}}", entity: user, count: 2, features: 8, types: mixed }}
setup:
  - create: {{}}
  - load: {{ batch: 5000 }}
phases:
  - run:
      name: sink
      requests: 1
      timeout: 60s
      mix:
        - write_features: {{ entities: [user], mode: "${{mode}}", batch: 10000 }}
checks:
  - error_rate == 0
"#,
        target = if kind == "sqlite" { "path: \"${url}\"".to_string() } else { "url: \"${url}\"".to_string() }
    )
}

/// A database to check, whichever kind.
pub(crate) enum Db {
    Lite(sqlx::SqlitePool),
    #[cfg(feature = "postgres")]
    Pg(sqlx::PgPool),
    #[cfg(feature = "mysql")]
    My(sqlx::MySqlPool),
}

impl Db {
    pub(crate) async fn connect(kind: &str, url: &str) -> Db {
        match kind {
            "sqlite" => Db::Lite(sqlx::SqlitePool::connect(&format!("sqlite://{url}")).await.unwrap()),
            #[cfg(feature = "postgres")]
            "postgres" => Db::Pg(sqlx::PgPool::connect(url).await.unwrap()),
            #[cfg(feature = "mysql")]
            "mysql" => Db::My(sqlx::MySqlPool::connect(url).await.unwrap()),
            other => panic!("no {other} in this build"),
        }
    }

    /// `x` as text in this kind's SQL.
    fn text(&self, x: &str) -> String {
        match self {
            Db::Lite(_) => format!("CAST({x} AS TEXT)"),
            #[cfg(feature = "postgres")]
            Db::Pg(_) => format!("{x}::text"),
            #[cfg(feature = "mysql")]
            Db::My(_) => format!("CAST({x} AS CHAR)"),
        }
    }

    /// Every column must be text (see [`Db::text`]).
    pub(crate) async fn strings(&self, sql: &str) -> Vec<Vec<String>> {
        macro_rules! rows {
            ($p:expr) => {
                sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                    .fetch_all($p)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"))
                    .iter()
                    .map(|r| (0..r.len()).map(|i| r.get::<String, _>(i)).collect())
                    .collect()
            };
        }
        match self {
            Db::Lite(p) => rows!(p),
            #[cfg(feature = "postgres")]
            Db::Pg(p) => rows!(p),
            #[cfg(feature = "mysql")]
            Db::My(p) => rows!(p),
        }
    }

    async fn exec(&self, sql: &str) {
        let q = || sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()));
        let r = match self {
            Db::Lite(p) => q().execute(p).await.map(|_| ()),
            #[cfg(feature = "postgres")]
            Db::Pg(p) => sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(p).await.map(|_| ()),
            #[cfg(feature = "mysql")]
            Db::My(p) => sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(p).await.map(|_| ()),
        };
        r.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

/// Runs the scenario `text` with `sets`; returns results.csv.
fn run(dir: &Path, name: &str, text: &str, sets: &[String]) -> (Vec<String>, Vec<Vec<String>>) {
    let sc = scenario(dir, name, text);
    let out = dir.join(format!("out-{}", sets.join("-").replace(['/', ':', '@', '='], "_")));
    let mut cmd = bin();
    cmd.args(["run", "-q"]).arg(&sc).arg("--out").arg(&out);
    for s in sets {
        cmd.arg("--set").arg(s);
    }
    let a = cmd.assert();
    let o = a.get_output();
    assert_eq!(o.status.code(), Some(0), "{}\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    read_csv(&run_dir(&out, name).join("results.csv"))
}

/// One request writes 10,000 rows into each of 2 tables in every mode; then
/// the database holds exactly the rows and values the model says: 10,000
/// rows per table at the request's version (1), every other row as loaded.
async fn batch_of_10000_in_every_mode(kind: &str, url: &str, prefix: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let text = sink_scenario(kind, prefix);
    for mode in ["insert", "upsert", "update", "replace"] {
        let sets = vec![format!("url={url}"), format!("mode={mode}")];
        let (h, rows) = run(tmp.path(), prefix, &text, &sets);
        let r = rows.iter().find(|r| r[col(&h, "phase")] == "sink").unwrap();
        assert_eq!(num(r, &h, "errors"), 0.0, "{kind} {mode}: {r:?}");
        assert_eq!(num(r, &h, "rows_per_request"), 20_000.0, "{kind} {mode}: rows written = 2 tables x 10,000");

        let sc = tmp.path().join(format!("{prefix}.yaml"));
        let res = load_file(&sc, &LoadOptions { sets: sets.clone(), ..Default::default() }).unwrap();
        let model = DataModel::new(res.first().seed, &res.first().dataset);
        let db = Db::connect(kind, url).await;
        for t in &model.tables {
            let cols: Vec<String> = std::iter::once("pk").chain(t.columns.iter().map(|c| c.name.as_str())).map(|c| db.text(c)).collect();
            let all = db.strings(&format!("SELECT {} FROM {}", cols.join(", "), t.name)).await;
            let want_rows = if mode == "insert" { 30_000 } else { 20_000 };
            assert_eq!(all.len(), want_rows, "{kind} {mode} {}: rows", t.name);
            let (mut written, mut loaded) = (0, 0);
            for row in &all {
                let idx: u64 = row[0].parse().unwrap();
                let is = |version: u64| (0..t.columns.len()).all(|c| same(&t.value(idx, c, version), &row[c + 1]));
                if is(1) {
                    written += 1;
                    assert!(mode != "insert" || idx >= 20_000, "{kind} insert {}: key {idx} was loaded, not new", t.name);
                } else if is(0) {
                    loaded += 1;
                    assert!(idx < 20_000, "{kind} {mode} {}: key {idx} holds loaded values", t.name);
                } else {
                    panic!("{kind} {mode} {}: key {idx} holds values of no version: {row:?}", t.name);
                }
            }
            assert_eq!((written, loaded), (10_000, 20_000 - if mode == "insert" { 0 } else { 10_000 }), "{kind} {mode} {}", t.name);
            // The keys the model names are the keys in the table.
            assert_eq!(model.entities[t.entity].key(7), KeyValue::Int(7));
        }
        for t in &model.tables {
            db.exec(&format!("DROP TABLE IF EXISTS {}", t.name)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sink_batch_of_10000_rows_of_8_features_in_every_mode_on_sqlite() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("sink.db");
    batch_of_10000_in_every_mode("sqlite", db.to_str().unwrap(), "bps_lite").await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs servers: scripts/test runs it"]
async fn sink_batch_of_10000_rows_of_8_features_in_every_mode_on_postgres() {
    let url = server_env("BENCHPLAN_TEST_PG_URL");
    batch_of_10000_in_every_mode("postgres", &url, "bps_pg").await;
}

#[cfg(feature = "mysql")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs servers: scripts/test runs it"]
async fn sink_batch_of_10000_rows_of_8_features_in_every_mode_on_mysql() {
    let url = server_env("BENCHPLAN_TEST_MYSQL_URL");
    batch_of_10000_in_every_mode("mysql", &url, "bps_my").await;
}

/// A statement list runs in one transaction: when its second statement
/// fails (a duplicate key), its first is rolled back; when both succeed,
/// both are kept.
async fn statement_list_is_one_transaction(kind: &str, url: &str, prefix: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let text = format!(
        r#"version: 1
name: {prefix}
seed: 3
params: {{ url: x }}
backends:
  db: {{ kind: {kind}, {target}, pool: 1 }}
dataset:
  entities:
    user: {{ keys: 50, key: int }}
  tables:
    - {{ name: {prefix}_a, entity: user, features: 2 }}
    - {{ name: {prefix}_b, entity: user, features: 2, rows: 10 }}
setup:
  - create: {{}}
  - load: {{}}
phases:
  - run:
      name: list
      requests: 40
      max_error_rate: 1.0
      keys: {{ distribution: sequential }}
      mix:
        - statement:
            name: two
            sql:
              - "UPDATE {{{{ table('{prefix}_a') }}}} SET f0 = 42 WHERE pk = {{{{ bind(key.user) }}}}"
              - "INSERT INTO {{{{ table('{prefix}_b') }}}} (pk, f0, f1) VALUES ({{{{ bind(key.user) }}}}, 1, 1)"
"#,
        target = if kind == "sqlite" { "path: \"${url}\"" } else { "url: \"${url}\"" }
    );
    let (h, rows) = run(tmp.path(), prefix, &text, &[format!("url={url}")]);
    let r = rows.iter().find(|r| r[col(&h, "phase")] == "list").unwrap();
    // Keys 0..39 in order: the insert of keys 0..9 into b finds them there (loaded): those 10 fail.
    assert_eq!(num(r, &h, "errors"), 10.0, "{kind}: {r:?}");
    let db = Db::connect(kind, url).await;
    let updated = db.strings(&format!("SELECT {} FROM {prefix}_a WHERE f0 = 42 ORDER BY pk", db.text("pk"))).await;
    let keys: Vec<String> = updated.into_iter().map(|r| r[0].clone()).collect();
    let want: Vec<String> = (10..40).map(|k| k.to_string()).collect();
    assert_eq!(keys, want, "{kind}: the failed requests' updates were rolled back, the others kept");
    let b = db.strings(&format!("SELECT {} FROM {prefix}_b", db.text("COUNT(*)"))).await;
    assert_eq!(b[0][0], "40", "{kind}: 10 loaded rows and 30 inserted");
    for t in ["a", "b"] {
        db.exec(&format!("DROP TABLE IF EXISTS {prefix}_{t}")).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sink_statement_list_is_one_transaction_on_sqlite() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("list.db");
    statement_list_is_one_transaction("sqlite", db.to_str().unwrap(), "bps_list").await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs servers: scripts/test runs it"]
async fn sink_statement_list_is_one_transaction_on_postgres() {
    let url = server_env("BENCHPLAN_TEST_PG_URL");
    statement_list_is_one_transaction("postgres", &url, "bps_pg_list").await;
}

#[cfg(feature = "mysql")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs servers: scripts/test runs it"]
async fn sink_statement_list_is_one_transaction_on_mysql() {
    let url = server_env("BENCHPLAN_TEST_MYSQL_URL");
    statement_list_is_one_transaction("mysql", &url, "bps_my_list").await;
}

/// Two-phase commit needs `max_prepared_transactions` > 0: where the server
/// has 0 (PostgreSQL's default), the run says so before its phase and
/// exits 3. (tests/it/pg_faults.rs commits in two phases on a server that allows it.)
#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs servers: scripts/test runs it"]
async fn sink_two_phase_where_the_server_allows_no_prepared_transactions_is_a_clear_error() {
    let url = server_env("BENCHPLAN_TEST_PG_URL");
    let db = Db::connect("postgres", &url).await;
    let setting = db.strings("SELECT current_setting('max_prepared_transactions')").await[0][0].clone();
    assert_eq!(setting, "0", "this test needs a server with max_prepared_transactions = 0 (the default)");
    let tmp = tempfile::tempdir().unwrap();
    let text = r#"version: 1
name: bps_2pc
params: { url: x }
backends:
  pg: { kind: postgres, url: "${url}" }
dataset:
  entities:
    user: { keys: 50, key: int }
  tables:
    - { name: bps_2pc_a, entity: user, features: 2 }
setup:
  - create: {}
phases:
  - run:
      requests: 10
      mix:
        - statement:
            name: both
            two_phase: true
            sql: ["UPDATE {{ table('bps_2pc_a') }} SET f0 = 1 WHERE pk = {{ bind(key.user) }}"]
teardown:
  - drop: {}
"#;
    let sc = scenario(tmp.path(), "bps_2pc", text);
    let a = bin().args(["run", "-q"]).arg(&sc).arg("--set").arg(format!("url={url}")).arg("--out").arg(tmp.path().join("out")).assert();
    let o = a.get_output();
    let printed = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.status.code(), Some(3), "{printed}");
    assert!(printed.contains("statement both has two_phase: true, but this server's max_prepared_transactions is 0"), "{printed}");
    // validate cannot know the server's setting, and does not refuse it.
    bin().args(["validate"]).arg(&sc).arg("--set").arg(format!("url={url}")).assert().success();
}

/// PostgreSQL's three load methods, one backend each (its own schema) on
/// one server in one run: each is a `setup:load` row of its own, and the
/// three loaded the same rows, the model's.
#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs servers: scripts/test runs it"]
async fn sink_postgres_load_methods_each_a_setup_row_and_the_same_data() {
    let url = server_env("BENCHPLAN_TEST_PG_URL");
    let tmp = tempfile::tempdir().unwrap();
    let methods = ["copy", "copy_binary", "insert"];
    let backends: String = methods
        .iter()
        .map(|m| format!("  pg_{m}: {{ kind: postgres, url: \"${{url}}\", schema: bps_load_{m}, load_method: {m} }}\n"))
        .collect();
    let text = format!(
        r#"version: 1
name: bps_load
seed: 11
params: {{ url: x }}
backends:
{backends}dataset:
  entities:
    card: {{ keys: 3000, key: string }}
    user: {{ keys: 2500, key: int }}
  tables:
    - {{ name: "bps_card_f{{i}}", entity: card, count: 2, features: 5, types: mixed }}
    - {{ name: bps_user, entity: user, features: [ {{ name: score, type: float }}, {{ name: label, type: string }}, {{ name: ok, type: bool }} ] }}
setup:
  - create: {{}}
  - load: {{ batch: 700 }}
phases:
  - run:
      requests: 50
      mix:
        - read_features: {{ entities: [card, user], fetch: serial }}
"#
    );
    let (h, rows) = run(tmp.path(), "bps_load", &text, &[format!("url={url}")]);
    for m in methods {
        let load = rows
            .iter()
            .find(|r| r[col(&h, "backend")] == format!("pg_{m}") && r[col(&h, "phase")] == "setup:load")
            .unwrap_or_else(|| panic!("no setup:load row for pg_{m}: {rows:?}"));
        assert_eq!(num(load, &h, "requests"), 8_500.0, "{m}: rows loaded (2 x 3000 + 2500)");
        assert!(num(load, &h, "throughput_rps") > 0.0, "{m}: {load:?}");
        let read = rows.iter().find(|r| r[col(&h, "backend")] == format!("pg_{m}") && r[col(&h, "phase")] == "run").unwrap();
        assert_eq!(num(read, &h, "rows_per_request"), 3.0, "{m}: every table has the key read");
    }
    let sc = tmp.path().join("bps_load.yaml");
    let res = load_file(&sc, &LoadOptions { sets: vec![format!("url={url}")], ..Default::default() }).unwrap();
    let model = DataModel::new(res.first().seed, &res.first().dataset);
    let db = Db::connect("postgres", &url).await;
    for t in &model.tables {
        let cols: Vec<String> =
            std::iter::once("pk".to_string()).chain(t.columns.iter().map(|c| c.name.clone())).map(|c| format!("{c}::text")).collect();
        let select = |m: &str| format!("SELECT {} FROM bps_load_{m}.{} ORDER BY pk", cols.join(", "), t.name);
        let copy = db.strings(&select("copy")).await;
        assert_eq!(copy.len() as u64, t.rows, "{}", t.name);
        for m in ["copy_binary", "insert"] {
            assert!(db.strings(&select(m)).await == copy, "{}: {m} loaded the rows copy loaded", t.name);
        }
        // And those are the model's.
        let entity = &model.entities[t.entity];
        let by_key: std::collections::HashMap<String, &Vec<String>> = copy.iter().map(|r| (r[0].clone(), r)).collect();
        for idx in (0..t.rows).step_by(97) {
            let row = by_key[&entity.key(idx).to_string()];
            for c in 0..t.columns.len() {
                assert!(same(&t.value(idx, c, 0), &row[c + 1]), "{}.{} of key {idx}: {row:?}", t.name, t.columns[c].name);
            }
        }
    }
    for m in methods {
        db.exec(&format!("DROP SCHEMA bps_load_{m} CASCADE")).await;
    }
}

/// Binary COPY cannot convert: a table whose columns a template override
/// made `real` is refused by name before any row is sent (text COPY loads it).
#[cfg(feature = "postgres")]
#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn sink_copy_binary_names_a_column_of_another_type() {
    let url = server_env("BENCHPLAN_TEST_PG_URL");
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("tpl/postgres")).unwrap();
    std::fs::write(
        tmp.path().join("tpl/postgres/create_table.sql"),
        "CREATE TABLE {{ t.ident }} ({{ t.pk }} BIGINT PRIMARY KEY{% for c in t.columns %}, {{ c.ident }} REAL NOT NULL{% endfor %})",
    )
    .unwrap();
    let text = r#"version: 1
name: bps_real
params: { url: x, method: copy_binary }
templates: tpl
backends:
  pg: { kind: postgres, url: "${url}" }
dataset:
  entities:
    user: { keys: 100, key: int }
  tables:
    - { name: bps_real, entity: user, features: 2 }
setup:
  - create: {}
  - load: { method: "${method}" }
phases:
  - run:
      requests: 10
      mix:
        - read_features: { entities: [user] }
teardown:
  - drop: {}
"#;
    let sc = scenario(tmp.path(), "bps_real", text);
    let run = |method: &str| {
        let a = bin()
            .args(["run", "-q"])
            .arg(&sc)
            .args(["--set", &format!("url={url}"), "--set", &format!("method={method}"), "--out"])
            .arg(tmp.path().join(format!("out-{method}")))
            .assert();
        let o = a.get_output();
        (o.status.code(), format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
    };
    let (code, printed) = run("copy_binary");
    assert_eq!(code, Some(3), "{printed}");
    assert!(printed.contains("load method copy_binary sends column f0 as double precision, but the table's column is real"), "{printed}");
    let (code, printed) = run("copy");
    assert_eq!(code, Some(0), "{printed}");
}

/// A `write.sql` override written when `update` ran a one-row statement
/// per row (it binds `rows[0]` only) still updates every row of the batch:
/// its statement runs once per row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sink_a_one_row_update_override_still_updates_the_whole_batch() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("tpl/sqlite")).unwrap();
    std::fs::write(
        tmp.path().join("tpl/sqlite/write.sql"),
        r#"{%- if mode == "update" -%}
UPDATE {{ t.ident }} SET {% for c in t.columns %}{{ c.ident }} = {{ bind(rows[0].values[loop.index0]) }}{{ ", " if not loop.last }}{% endfor %} WHERE {{ t.pk }} = {{ bind(rows[0].pk) }}
{%- else -%}
INSERT INTO {{ t.ident }} ({{ t.pk }}{% for c in t.columns %}, {{ c.ident }}{% endfor %}) VALUES {% for r in rows %}({{ bind(r.pk) }}{% for v in r.values %}, {{ bind(v) }}{% endfor %}){{ ", " if not loop.last }}{% endfor %}
{%- endif %}"#,
    )
    .unwrap();
    let db = tmp.path().join("old.db");
    let text = sink_scenario("sqlite", "bps_old")
        .replace("seed: 17\n", "seed: 17\ntemplates: tpl\n")
        .replace("keys: 20000", "keys: 500")
        .replace("batch: 10000", "batch: 50");
    let (h, rows) = run(tmp.path(), "bps_old", &text, &[format!("url={}", db.display()), "mode=update".into()]);
    let r = rows.iter().find(|r| r[col(&h, "phase")] == "sink").unwrap();
    assert_eq!(num(r, &h, "errors"), 0.0, "{r:?}");
    let sc = tmp.path().join("bps_old.yaml");
    let sets = vec![format!("url={}", db.display()), "mode=update".into()];
    let res = load_file(&sc, &LoadOptions { sets, ..Default::default() }).unwrap();
    let model = DataModel::new(res.first().seed, &res.first().dataset);
    let conn = Db::connect("sqlite", db.to_str().unwrap()).await;
    for t in &model.tables {
        let all = conn.strings(&format!("SELECT CAST(pk AS TEXT), CAST(f0 AS TEXT) FROM {}", t.name)).await;
        let written = all.iter().filter(|row| same(&t.value(row[0].parse().unwrap(), 0, 1), &row[1])).count();
        assert_eq!(written, 50, "{}: every row of the batch updated", t.name);
    }
}
