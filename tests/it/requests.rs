//! Requests as customers make them: a mix entry of several steps (one after
//! another, or issued together), keys drawn per entity, checks on one
//! request or one step, and checks that could not be evaluated. On SQLite
//! here, and on every server kind in the ignored tests at the bottom.

use crate::common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Two entities, two tables each; a phase of three steps (user read
/// serially, 3 card keys packed, an upsert of the user) and one of two steps
/// issued together. `backend`: the backend's YAML under `backends: db:`.
fn steps_scenario(name: &str, backend: &str) -> String {
    format!(
        r#"version: 1
name: {name}
seed: 5
backends:
  db:
{backend}
dataset:
  entities:
    card: {{ keys: 300, key: int }}
    user: {{ keys: 200, key: string }}
  tables:
    - {{ name: "{name}_card_f{{i}}", entity: card, count: 2, features: 3 }}
    - {{ name: "{name}_user_f{{i}}", entity: user, count: 2, features: 3, types: mixed }}
setup:
  - create: {{}}
  - load: {{ batch: 50, workers: 2 }}
phases:
  - run:
      name: steps
      requests: 120
      workers: 3
      keys:
        distribution: uniform
        entities:
          user: {{ distribution: zipfian, theta: 0.9 }}
      mix:
        - name: profile
          steps:
            - name: user
              read_features: {{ entities: [user], fetch: serial }}
            - name: cards
              read_features: {{ entities: [card], fetch: packed, keys_per_table: 3 }}
            - name: touch
              write_features: {{ entities: [user], mode: upsert }}
  - run:
      name: together
      requests: 80
      workers: 2
      mix:
        - name: both
          concurrent: true
          steps:
            - read_features: {{ entities: [card], fetch: serial }}
            - read_features: {{ entities: [user], fetch: packed }}
teardown:
  - drop: {{}}
checks:
  - {{ expr: "error_rate == 0", op: profile }}
  - {{ expr: "p99_ms < 60000", op: profile, step: cards }}
  - {{ expr: "error_rate == 0", op: both, step: step2 }}
"#
    )
}

fn run_ok(sc: &Path, out: &Path, env: &[(&str, &str)]) -> PathBuf {
    let mut cmd = bin();
    for (k, v) in env {
        cmd.env(k, v);
    }
    let a = cmd.args(["run", "-q"]).arg(sc).arg("--out").arg(out).assert();
    let o = a.get_output();
    assert_eq!(o.status.code(), Some(0), "{}\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let name = sc.file_stem().unwrap().to_string_lossy().to_string();
    run_dir(out, &name)
}

/// What every kind must show for the steps scenario.
fn check_steps_run(dir: &Path) {
    let (h, rows) = read_csv(&dir.join("results.csv"));
    let phase = |p: &str| rows.iter().find(|r| r[col(&h, "phase")] == p).unwrap_or_else(|| panic!("no row for {p}"));
    // One row per request, not per step: 120 and 80 requests.
    assert_eq!(num(phase("steps"), &h, "requests"), 120.0);
    assert_eq!(num(phase("together"), &h, "requests"), 80.0);
    for p in ["steps", "together"] {
        assert_eq!(num(phase(p), &h, "errors"), 0.0, "{p}");
        assert_eq!(phase(p)[col(&h, "partial")], "false");
    }
    // 2 user rows + 2 tables x 3 card keys (fewer when a key repeats) + 2 rows upserted.
    let rpr = num(phase("steps"), &h, "rows_per_request");
    assert!((9.5..=10.0).contains(&rpr), "rows per request {rpr}");
    assert_eq!(num(phase("together"), &h, "rows_per_request"), 4.0);

    let (oh, ops) = read_csv(&dir.join("operations.csv"));
    let op = |phase: &str, step: &str| {
        ops.iter()
            .find(|r| r[col(&oh, "phase")] == phase && r[col(&oh, "step")] == step)
            .unwrap_or_else(|| panic!("no operations.csv row for {phase}/{step}: {ops:?}"))
    };
    assert_eq!(op("steps", "")[col(&oh, "name")], "profile");
    for step in ["user", "cards", "touch"] {
        let r = op("steps", step);
        assert_eq!(num(r, &oh, "requests"), 120.0, "{step}");
        assert_eq!(num(r, &oh, "errors"), 0.0, "{step}");
        // A step takes part of its request's time.
        assert!(num(r, &oh, "p50_ms") <= num(op("steps", ""), &oh, "p50_ms") + 1e-9, "{step}");
    }
    assert_eq!(op("steps", "cards")[col(&oh, "step_does")], "read card (packed, 3 keys per table)");
    for step in ["step1", "step2"] {
        assert_eq!(num(op("together", step), &oh, "requests"), 80.0, "{step}");
    }

    let run: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    let checks = run["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 3, "{checks:?}");
    assert!(checks.iter().all(|c| c["passed"] == true && c.get("not_evaluated").is_none()), "{checks:?}");
    assert_eq!(checks[1]["op"], "profile");
    assert_eq!(checks[1]["step"], "cards");
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(summary.contains("3 of 3 passed."), "{summary}");
    assert!(summary.contains("`p99_ms < 60000` on step `cards` of `profile`"), "{summary}");
    assert!(summary.contains("step `touch`: write user (upsert)"), "{summary}");
}

#[test]
fn steps_run_as_one_request_on_sqlite() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(tmp.path(), "stepsql", &steps_scenario("stepsql", "    kind: sqlite\n    path: \":memory:\""));
    let dir = run_ok(&sc, &tmp.path().join("out"), &[]);
    check_steps_run(&dir);
}

/// The committed recommendation scenario, small: one row per customer
/// request, the SLA checked on the whole request.
#[test]
fn the_recsys_scenario_runs_small_with_its_sla_on_the_request() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let a = bin()
        .args(["run", "-q", "--backend", "local"])
        .arg(root().join("scenarios/recsys.yaml"))
        .args(["--set", "users=2000", "--set", "items=1000", "--set", "rate=100", "--set", "min_rps=95", "--set", "duration=2s", "--out"])
        .arg(&out)
        .assert();
    let o = a.get_output();
    assert_eq!(o.status.code(), Some(0), "{}\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let dir = run_dir(&out, "recsys");
    let (h, rows) = read_csv(&dir.join("results.csv"));
    let serve: Vec<&Vec<String>> = rows.iter().filter(|r| r[col(&h, "phase")] == "serve").collect();
    assert_eq!(serve.len(), 1);
    // 100 requests/s for 2 s: 200 requests of 8 + 4 x 10 rows (fewer when an item key repeats).
    assert_eq!(num(serve[0], &h, "requests") + num(serve[0], &h, "missed_requests"), 200.0);
    assert_eq!(num(serve[0], &h, "target_rps"), 100.0);
    let rpr = num(serve[0], &h, "rows_per_request");
    assert!((30.0..=48.0).contains(&rpr), "rows per request {rpr}");
    let run: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    let sla = run["checks"].as_array().unwrap().iter().find(|c| c["check"] == "p99_ms < 50").unwrap().clone();
    assert_eq!(sla["op"], "recommend");
    // The check's figure is the request's p99, which the phase's row also shows (one op).
    let p99 = num(serve[0], &h, "p99_ms");
    assert!((sla["value"].as_f64().unwrap() - p99).abs() < 0.002, "{sla} vs {p99}");
    let (oh, ops) = read_csv(&dir.join("operations.csv"));
    let steps: Vec<&str> = ops.iter().map(|r| r[col(&oh, "step")].as_str()).collect();
    assert_eq!(steps, ["", "user", "items"]);
}

/// A check whose backend never connected, or whose phase stopped early, is
/// "not evaluated", never passed and never missing.
#[test]
fn checks_of_phases_that_did_not_run_or_stopped_early_are_not_evaluated() {
    let tmp = tempfile::tempdir().unwrap();
    let text = r#"version: 1
name: halfway
seed: 1
backends:
  gone:
    kind: sqlite
    path: /nonexistent-dir-for-benchplan/x.db
  flaky:
    kind: noop
    fail: 0.5
  fine:
    kind: noop
dataset:
  entities:
    card: { keys: 100 }
  tables:
    - { name: card_f, entity: card, features: 2 }
phases:
  - run:
      name: serve
      requests: 2000
      mix:
        - name: lookup
          read_features: { entities: [card] }
checks:
  - { expr: "p99_ms < 1000", op: lookup }
"#;
    let sc = scenario(tmp.path(), "halfway", text);
    let out = tmp.path().join("out");
    let a = bin().args(["run", "-q"]).arg(&sc).arg("--out").arg(&out).assert();
    assert_eq!(a.get_output().status.code(), Some(3));
    let dir = run_dir(&out, "halfway");
    let run: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    let checks = run["checks"].as_array().unwrap();
    let of = |b: &str| checks.iter().find(|c| c["backend"] == b).unwrap_or_else(|| panic!("no check result for {b}: {checks:?}"));
    assert_eq!(checks.len(), 3, "{checks:?}");
    assert!(of("gone")["not_evaluated"].as_str().unwrap().contains("did not run"), "{checks:?}");
    assert!(of("flaky")["not_evaluated"].as_str().unwrap().contains("stopped early"), "{checks:?}");
    assert_eq!(of("gone")["passed"], false);
    assert_eq!(of("flaky")["passed"], false);
    assert_eq!(of("fine")["passed"], true);
    let (h, rows) = read_csv(&dir.join("results.csv"));
    let partial: Vec<(&str, &str)> = rows.iter().map(|r| (r[col(&h, "backend")].as_str(), r[col(&h, "partial")].as_str())).collect();
    assert_eq!(partial, [("flaky", "true"), ("fine", "false")]);
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(summary.contains("1 of 3 passed, 2 not evaluated"), "{summary}");
    assert!(summary.contains("| flaky | serve (partial) |"), "{summary}");
    assert!(!summary.contains("No checks in the scenario"), "{summary}");
}

#[cfg(feature = "postgres")]
#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn steps_run_as_one_request_on_postgres() {
    let url = server_env("BENCHPLAN_TEST_PG_URL");
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(tmp.path(), "steppg", &steps_scenario("steppg", &format!("    kind: postgres\n    url: {url}\n    pool: 8")));
    check_steps_run(&run_ok(&sc, &tmp.path().join("out"), &[]));
}

#[cfg(feature = "mysql")]
#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn steps_run_as_one_request_on_mysql() {
    let url = server_env("BENCHPLAN_TEST_MYSQL_URL");
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(tmp.path(), "stepmy", &steps_scenario("stepmy", &format!("    kind: mysql\n    url: {url}\n    pool: 8")));
    check_steps_run(&run_ok(&sc, &tmp.path().join("out"), &[]));
}

#[cfg(feature = "dynamodb")]
#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn steps_run_as_one_request_on_dynamodb() {
    let endpoint = server_env("BENCHPLAN_TEST_DYNAMODB_ENDPOINT");
    let tmp = tempfile::tempdir().unwrap();
    let backend = format!("    kind: dynamodb\n    endpoint: {endpoint}\n    region: us-east-1\n    billing: on_demand");
    let sc = scenario(tmp.path(), "stepddb", &steps_scenario("stepddb", &backend));
    check_steps_run(&run_ok(&sc, &tmp.path().join("out"), &[]));
}

#[cfg(feature = "cosmos")]
#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn steps_run_as_one_request_on_cosmos() {
    let endpoint = server_env("BENCHPLAN_TEST_COSMOS_ENDPOINT");
    let tmp = tempfile::tempdir().unwrap();
    let backend = format!(
        "    kind: cosmos\n    endpoint: {endpoint}\n    key: ${{env:BP_TEST_COSMOS_KEY}}\n    database: stepcos\n    serverless: true"
    );
    let sc = scenario(tmp.path(), "stepcos", &steps_scenario("stepcos", &backend));
    let key = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==";
    check_steps_run(&run_ok(&sc, &tmp.path().join("out"), &[("BP_TEST_COSMOS_KEY", key)]));
}
