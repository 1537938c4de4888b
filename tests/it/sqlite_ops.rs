//! Every operation kind against SQLite, checked by the rows it touched;
//! template overrides; per-request timeouts.

use crate::common::*;

const OPS: &str = r#"version: 1
name: ops
seed: 9
backends:
  lite:
    kind: sqlite
    path: ":memory:"
    pool: 4
dataset:
  entities:
    card: { keys: 2000, key: string }
    user: { keys: 1000, key: int }
  tables:
    - { name: "card_f{i}", entity: card, count: 3, features: 4, types: mixed }
    - { name: "user_f{i}", entity: user, count: 2, features: [ { name: score, type: float }, { name: label, type: string } ] }
setup:
  - create: {}
  - load: { batch: 500 }
phases:
  - run:
      name: parallel3
      requests: 300
      workers: 4
      mix:
        - read_features: { entities: [card, user], fetch: parallel, keys_per_table: 3 }
  - run:
      name: packed_subset
      requests: 300
      workers: 2
      mix:
        - read_features: { entities: [card], fetch: packed, tables: [card_f1, card_f2] }
  - run:
      name: insert2
      requests: 200
      workers: 2
      mix:
        - write_features: { entities: [card], mode: insert, batch: 2 }
  - run:
      name: update
      requests: 200
      workers: 2
      mix:
        - write_features: { entities: [user], mode: update }
  - run:
      name: stmt
      requests: 200
      workers: 2
      mix:
        - statement:
            name: by_card
            sql: "SELECT pk, f0 FROM {{ table('card_f0') }} WHERE pk = {{ bind(key.card) }} AND f3 IN ({{ bind(true) }}, {{ bind(false) }})"
teardown:
  - drop: {}
checks:
  - error_rate == 0
"#;

#[test]
fn every_operation_touches_the_rows_it_should() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(tmp.path(), "ops", OPS);
    let out = tmp.path().join("out");
    bin().args(["run", "-q"]).arg(&sc).arg("--out").arg(&out).assert().success();
    let (h, rows) = read_csv(&run_dir(&out, "ops").join("results.csv"));
    let per: Vec<(String, f64, f64)> = rows
        .iter()
        .filter(|r| !r[col(&h, "phase")].starts_with("setup:"))
        .map(|r| (r[col(&h, "phase")].clone(), num(r, &h, "rows_per_request"), num(r, &h, "errors")))
        .collect();
    let expected = [
        // 3 keys in each of 5 tables, every key loaded.
        ("parallel3".to_string(), 15.0, 0.0),
        // 2 of the card tables.
        ("packed_subset".to_string(), 2.0, 0.0),
        // 2 new rows in each of 3 card tables.
        ("insert2".to_string(), 6.0, 0.0),
        // One existing row in each of 2 user tables.
        ("update".to_string(), 2.0, 0.0),
        // The custom statement: one row per key.
        ("stmt".to_string(), 1.0, 0.0),
    ];
    assert_eq!(per.len(), expected.len());
    for ((phase, rows, errors), (want_phase, want_rows, want_errors)) in per.iter().zip(expected.iter()) {
        assert_eq!((phase, errors), (want_phase, want_errors));
        // Three keys drawn at random may repeat now and then (IN (a, a, b) finds 2 rows).
        let tolerance = if phase == "parallel3" { 0.1 } else { 0.0 };
        assert!((rows - want_rows).abs() <= tolerance, "{phase}: {rows} rows per request, expected {want_rows}");
    }
}

#[test]
fn a_scenario_templates_folder_overrides_the_built_in_ones() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("mytemplates/sqlite")).unwrap();
    std::fs::write(
        tmp.path().join("mytemplates/sqlite/read_one.sql"),
        "SELECT pk /* custom */ FROM {{ t.ident }} WHERE pk = {{ bind(keys[t.entity][0]) }}",
    )
    .unwrap();
    let text = OPS.replace("teardown:", "templates: mytemplates\nteardown:");
    let sc = scenario(tmp.path(), "ops", &text);
    let a = bin().arg("plan").arg(&sc).assert().success();
    let plan = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert!(plan.contains("SELECT pk /* custom */ FROM \"card_f0\" WHERE pk = ?"), "{plan}");
    // Templates that are not overridden stay built in.
    assert!(plan.contains("UNION ALL"), "{plan}");
    // A broken override is a validation error, located at the operation.
    std::fs::write(tmp.path().join("mytemplates/sqlite/read_one.sql"), "SELECT {{ nope( }}").unwrap();
    bin().arg("validate").arg(&sc).assert().code(2).stderr(predicates::str::contains("template sqlite/read_one.sql"));
}

#[test]
fn a_request_over_its_timeout_is_a_timeout_error() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(
        tmp.path(),
        "slow",
        &noop("slow", "    latency: 200ms", "      requests: 20\n      workers: 4\n      timeout: 20ms\n      max_error_rate: 1.0", ""),
    );
    let out = tmp.path().join("out");
    bin().args(["run", "-q"]).arg(&sc).arg("--out").arg(&out).assert().success();
    let dir = run_dir(&out, "slow");
    let (h, rows) = read_csv(&dir.join("results.csv"));
    assert_eq!(num(&rows[0], &h, "errors"), 20.0);
    assert_eq!(num(&rows[0], &h, "error_rate"), 1.0);
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(summary.contains("| dry | run | - | timeout | 20 | no reply within 20ms |"), "{summary}");
}

/// A custom statement the database refuses: the phase stops, and the
/// message says the database's words as the database's and where the
/// statement is written in the scenario (here through a warmup, which runs
/// the next run phase's mix).
#[test]
fn a_refused_statement_is_named_with_the_databases_words_and_its_place_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = scenario(
        dir.path(),
        "refused",
        r#"version: 1
name: refused
backends:
  lite: { kind: sqlite }
dataset:
  entities:
    card: { keys: 100 }
  tables:
    - { name: card_f, entity: card, features: 2 }
setup:
  - create: {}
  - load: {}
phases:
  - warmup: { requests: 200 }
  - run:
      requests: 200
      mix:
        - read_features: { entities: [card] }
        - statement:
            name: recent
            sql: "SELEC * FROM {{ table('card_f') }} WHERE pk = {{ bind(key.card) }}"
"#,
    );
    let a = bin().args(["run", "-q", "--out"]).arg(dir.path().join("out")).arg(&f).assert().code(3);
    let stdout = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    let line = stdout.lines().find(|l| l.starts_with("backend lite failed: ")).unwrap_or_else(|| panic!("{stdout}"));
    assert!(line.starts_with("backend lite failed: lite phase warmup [-] stopped: "), "{line}");
    assert!(
        line.contains("above max_error_rate 10.0 %; first error: the database said (code 1): near \"SELEC\": syntax error; "),
        "{line}"
    );
    let place = format!("; failing statement `recent` at {}:19:11 (phases[1].run.mix[1].statement)", f.display());
    assert!(line.ends_with(&place), "{line}\nexpected it to end with {place}");
}
