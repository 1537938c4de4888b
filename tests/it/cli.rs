//! Exit codes and output of every command.

use crate::common::*;
use predicates::prelude::*;

#[test]
fn no_arguments_is_a_usage_error() {
    bin().assert().code(2).stderr(predicate::str::contains("Usage"));
    bin().args(["run"]).assert().code(2);
    bin().args(["frobnicate"]).assert().code(2);
}

#[test]
fn help_and_version_exit_0() {
    bin().arg("--help").assert().success().stdout(predicate::str::contains("Exit status"));
    bin().arg("--version").assert().success().stdout(predicate::str::contains(env!("CARGO_PKG_VERSION")));
    bin().args(["run", "--help"]).assert().success().stdout(predicate::str::contains("--quick"));
}

#[test]
fn validate_ok_and_bad() {
    bin()
        .args(["validate", "scenarios/quickstart.yaml", "scenarios/noop.yaml"])
        .assert()
        .success()
        .stdout(predicate::str::contains("quickstart.yaml: ok"));
    bin()
        .args(["validate", "does/not/exist.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("does/not/exist.yaml:1:1: cannot read the file"));
    // --set of an unknown param.
    bin()
        .args(["validate", "scenarios/quickstart.yaml", "--set", "nope=1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown param `nope`"));
    // --set a param to a value of the wrong type is the argument's problem,
    // named with the field it is used in.
    bin()
        .args(["validate", "scenarios/quickstart.yaml", "--set", "rows=many"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "scenarios/quickstart.yaml:1:1: --set rows=many: expected a whole number >= 0, found string \"many\" (as ${rows} in dataset.entities.card.keys)",
        ));
}

#[test]
fn plan_prints_cells_steps_and_statements_and_emits_files() {
    let out = tempfile::tempdir().unwrap();
    let a = bin().args(["plan", "scenarios/quickstart.yaml", "--emit"]).arg(out.path()).assert().success();
    let text = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert!(text.contains("matrix: 2 cells over hot"), "{text}");
    assert!(text.contains("[hot=1.0] run serve: 20000 requests, 4 workers, closed loop"), "{text}");
    assert!(text.contains("CREATE TABLE \"card_f0\""), "{text}");
    assert!(text.contains("UNION ALL"), "{text}");
    assert!(text.contains("ON CONFLICT (\"pk\") DO UPDATE"), "{text}");
    let ddl = std::fs::read_to_string(out.path().join("local/ddl.sql")).unwrap();
    assert_eq!(ddl.matches("CREATE TABLE").count(), 6);
    let ops = std::fs::read_to_string(out.path().join("local/operations.sql")).unwrap();
    assert!(ops.contains("WHERE \"pk\" = ?\n"), "values are bound: {ops}");
    bin()
        .args(["plan", "scenarios/quickstart.yaml", "--backend", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--backend nope"));
    // Server kinds render their SQL without a connection.
    bin()
        .args(["plan", "scenarios/postgres.yaml"])
        .assert()
        .success()
        .stdout(predicate::str::contains("CREATE UNLOGGED TABLE \"user_f0\"").and(predicate::str::contains("$1")));
}

#[test]
fn schema_prints_json() {
    let a = bin().arg("schema").assert().success();
    let v: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(v["title"], "benchplan scenario, format version 1");
}

#[test]
fn init_writes_a_valid_starter_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("s.yaml");
    bin().args(["init", "--tables", "30", "--features", "5", "--rows", "100000", "-o"]).arg(&f).assert().success();
    let text = std::fs::read_to_string(&f).unwrap();
    assert!(text.contains("count: 30, features: 5"), "{text}");
    bin().arg("validate").arg(&f).assert().success();
    bin().args(["init", "-o"]).arg(&f).assert().code(2).stderr(predicate::str::contains("--force"));
    bin().args(["init", "--force", "--entities", "1", "-o"]).arg(&f).assert().success();
    bin().args(["init", "--tables", "0", "-o", "-"]).assert().code(2);
    bin().args(["init", "-o", "-"]).assert().success().stdout(predicate::str::contains("version: 1"));
}

/// Every `${...}` of `text` with the characters around it.
fn placeholders(text: &str) -> Vec<(char, &str, char)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = text[at..].find("${") {
        let start = at + i;
        let end = start + text[start..].find('}').expect("closed") + 1;
        let before = text[..start].chars().last().unwrap_or(' ');
        let after = text[end..].chars().next().unwrap_or(' ');
        out.push((before, &text[start..end], after));
        at = end;
    }
    out
}

#[test]
fn init_writes_yaml_that_strict_parsers_and_editors_accept() {
    let a = bin().args(["init", "-o", "-"]).assert().success();
    let text = String::from_utf8(a.get_output().stdout.clone()).unwrap();
    // Written at the root of the repository: its schema, relative to the file.
    assert_eq!(text.lines().next(), Some("# yaml-language-server: $schema=schemas/scenario.schema.json"), "{text}");
    // Every `${...}` is quoted (unquoted inside `{ ... }` it is not YAML).
    let found = placeholders(&text);
    assert_eq!(found.len(), 6, "{found:?}");
    for (before, p, after) in &found {
        assert!(*before == '"' && *after == '"', "{p} is not quoted: {before}{p}{after}");
    }
    // Strict parsers read it as benchplan does, with no help from its protect().
    let v: serde_yaml::Value = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(v["dataset"]["entities"]["card"]["keys"], serde_yaml::Value::from("${rows}"));
    assert_eq!(v["phases"][1]["run"]["keys"]["hot_traffic"], serde_yaml::Value::from("${hot}"));
    let docs = yaml_rust2::YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(docs[0]["phases"][0]["warmup"]["workers"].as_str(), Some("${workers}"));
    // And the schema it points at accepts it.
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("schemas/scenario.schema.json")).unwrap()).unwrap();
    let as_json: serde_json::Value = serde_yaml::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&as_json).map(|e| format!("{e} at {}", e.instance_path)).collect();
    assert!(errors.is_empty(), "{errors:#?}");

    // In a folder below the schema's: the path goes up to it.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("schemas")).unwrap();
    std::fs::create_dir_all(dir.path().join("scenarios")).unwrap();
    std::fs::copy(root().join("schemas/scenario.schema.json"), dir.path().join("schemas/scenario.schema.json")).unwrap();
    let f = dir.path().join("scenarios/s.yaml");
    bin().args(["init", "-o"]).arg(&f).assert().success();
    let written = std::fs::read_to_string(&f).unwrap();
    let first = written.lines().next().unwrap();
    assert_eq!(first, "# yaml-language-server: $schema=../schemas/scenario.schema.json");
    let target = first.split_once("$schema=").unwrap().1;
    assert!(f.parent().unwrap().join(target).is_file(), "{target} from {}", f.display());

    // Nowhere near a schema: beside the file, and how to write it there.
    let lone = tempfile::tempdir().unwrap();
    let f = lone.path().join("s.yaml");
    bin().args(["init", "-o"]).arg(&f).assert().success();
    let written = std::fs::read_to_string(&f).unwrap();
    let mut lines = written.lines();
    assert_eq!(lines.next(), Some("# yaml-language-server: $schema=scenario.schema.json"));
    assert_eq!(lines.next(), Some("# (for editors: `benchplan schema > scenario.schema.json` in this folder writes it)"));
    bin().arg("validate").arg(&f).assert().success();
}

#[test]
fn backends_lists_kinds_and_probes_a_scenario() {
    bin().arg("backends").assert().success().stdout(predicate::str::contains("sqlite").and(predicate::str::contains("noop")));
    bin()
        .args(["backends", "scenarios/quickstart.yaml"])
        .assert()
        .success()
        .stdout(predicate::str::contains("local (sqlite): reachable (SQLite 3."));
    // A server nobody listens on: said, and exit 3, with the others still probed.
    let tmp = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let text = std::fs::read_to_string("scenarios/quickstart.yaml").unwrap().replace(
        "backends:\n",
        &format!("backends:\n  gone:\n    kind: postgres\n    url: postgres://postgres:s3cret@127.0.0.1:{port}/test\n"),
    );
    assert!(text.contains("  gone:"), "{text}");
    let sc = tmp.path().join("gone.yaml");
    std::fs::write(&sc, text).unwrap();
    let a = bin().arg("backends").arg(&sc).assert().code(3);
    let stdout = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert!(stdout.contains("gone (postgres): NOT reachable") && stdout.contains("local (sqlite): reachable"), "{stdout}");
    assert!(!stdout.contains("s3cret"), "{stdout}");
}

#[test]
fn report_of_a_folder_without_run_json_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    bin().arg("report").arg(dir.path()).assert().code(2).stderr(predicate::str::contains("run.json"));
    std::fs::write(dir.path().join("run.json"), "{ not json").unwrap();
    bin().arg("report").arg(dir.path()).assert().code(2).stderr(predicate::str::contains("not a benchplan run.json"));
}

#[test]
fn run_with_an_unknown_backend_or_bad_set_is_exit_2_and_writes_nothing() {
    let out = tempfile::tempdir().unwrap();
    bin().args(["run", "scenarios/quickstart.yaml", "--backend", "nope", "--out"]).arg(out.path()).assert().code(2);
    bin()
        .args(["run", "scenarios/quickstart.yaml", "--set", "hot", "--out"])
        .arg(out.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("expected K=V"));
    assert!(std::fs::read_dir(out.path()).unwrap().next().is_none(), "no run folder for a rejected run");
}

#[test]
fn set_on_a_matrix_param_runs_only_that_value() {
    let out = tempfile::tempdir().unwrap();
    bin().args(["run", "-q", "scenarios/quickstart.yaml", "--quick", "--set", "hot=0.25", "--out"]).arg(out.path()).assert().success();
    let (h, rows) = read_csv(&run_dir(out.path(), "quickstart").join("results.csv"));
    assert_eq!(rows.len(), 3, "the load and two phases");
    assert!(rows[1..].iter().all(|r| r[col(&h, "hot")] == "0.25"));
}

#[test]
fn status_lines_without_a_terminal_unless_quiet() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = tmp.path().join("st.yaml");
    std::fs::write(
        &sc,
        "version: 1\nname: st\nbackends:\n  dry: { kind: noop, latency: 1ms }\ndataset:\n  entities:\n    card: { keys: 100 }\n  tables:\n    - { name: card_f, entity: card, features: 2 }\nphases:\n  - run: { name: serve, duration: 1600ms, workers: 2, mix: [ { read_features: { entities: [card] } } ] }\n",
    )
    .unwrap();
    let run = |extra: &[&str]| {
        let a = bin().arg("run").arg(&sc).arg("--out").arg(tmp.path().join("out")).args(extra).assert().success();
        String::from_utf8_lossy(&a.get_output().stderr).to_string()
    };
    // stderr is a pipe here: a line every 500 ms, counting up.
    let err = run(&["--status-every", "500ms"]);
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("benchplan: dry serve: ")).collect();
    assert!(lines.len() >= 2 && lines.len() <= 4, "{err}");
    let sent = |l: &str| l.split(", ").nth(1).and_then(|s| s.split(' ').next()).and_then(|n| n.parse::<u64>().ok()).unwrap();
    assert!(lines.windows(2).all(|w| sent(w[0]) < sent(w[1])), "{err}");
    assert!(lines.iter().all(|l| l.ends_with(", 0 errors") && l.contains(" req/s, p99 ")), "{err}");
    assert!(!run(&["--status-every", "500ms", "-q"]).contains("dry serve:"));
    assert!(!run(&["--status-every", "0s"]).contains("dry serve:"));
}

#[test]
fn a_long_load_prints_status_lines_too() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = tmp.path().join("sl.yaml");
    std::fs::write(
        &sc,
        "version: 1\nname: sl\nbackends:\n  local: { kind: sqlite }\ndataset:\n  entities:\n    card: { keys: 300000 }\n  tables:\n    - { name: card_f, entity: card, features: 2 }\nsetup: [ { create: {} }, { load: {} } ]\nphases:\n  - run: { name: serve, requests: 10, mix: [ { read_features: { entities: [card] } } ] }\n",
    )
    .unwrap();
    let a = bin().arg("run").arg(&sc).arg("--out").arg(tmp.path().join("out")).args(["--status-every", "100ms"]).assert().success();
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    let done: Vec<u64> = err
        .lines()
        .filter_map(|l| l.strip_prefix("benchplan: local load: "))
        .map(|l| l.split(", ").nth(1).and_then(|s| s.strip_suffix("/300000 rows")).unwrap().parse().unwrap())
        .collect();
    // 300,000 rows take well over 100 ms: at least one line, never past the total, never going back.
    assert!(!done.is_empty(), "{err}");
    assert!(done.windows(2).all(|w| w[0] <= w[1]) && done.iter().all(|n| *n <= 300_000), "{err}");
}

/// What `plan` prints for the example scenarios: a SQL kind (its
/// statements) and DynamoDB (its API calls). A change here is a change in
/// what users review before a run.
#[test]
fn plan_output_snapshots() {
    for (scenario, name) in [("scenarios/quickstart.yaml", "plan_quickstart"), ("scenarios/dynamodb.yaml", "plan_dynamodb")] {
        let a = bin().env_remove("DYNAMODB_ENDPOINT").args(["plan", scenario]).assert().success();
        insta::assert_snapshot!(name, String::from_utf8(a.get_output().stdout.clone()).unwrap());
    }
}
