//! `benchplan validate` on bad scenarios.
//!
//! Every file in `tests/fixtures/invalid/` is a small valid scenario with
//! exactly one mistake. For each, `validate` must exit with status 2, report
//! exactly one problem, and put it on a `file:line:column: ` line that names
//! the offending key or item and says what was expected. Bytes that should not
//! be committed (binary, invalid UTF-8, a file over 4 MiB) are written into a
//! temporary directory at test time.
//!
//! The fixtures are validated in-process (`benchplan::commands::validate`,
//! what the CLI calls, its diagnostics printed as the CLI prints them): ~80
//! files without ~80 processes. A few tests run the binary, so that the CLI
//! path, its exit status 2 and `--set` on either side of the file stay
//! covered, and one checks that the CLI prints exactly what the in-process
//! rendering says.

use assert_cmd::Command;
use benchplan::error::Error;
use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

const DIR: &str = "tests/fixtures/invalid";

/// A bad scenario must be rejected well within this; a hang is a failure.
const TIMEOUT: Duration = Duration::from_secs(20);

/// (fixture, expected `line:column`, substring of the message on that line)
const CASES: &[(&str, &str, &str)] = &[
    // The file as a whole.
    ("empty", "1:1", "the file is empty"),
    ("only_comments", "1:1", "the file is empty"),
    ("top_level_list", "1:1", "expected a mapping at the top level, found a list"),
    ("top_level_scalar", "1:1", "expected a mapping at the top level, found a string"),
    // YAML syntax and structure.
    ("yaml_bad_indentation", "10:4", "invalid YAML"),
    ("yaml_unclosed_bracket", "26:51", "did not find expected ',' or ']'"),
    ("yaml_tab_indent", "9:1", "invalid YAML"),
    ("yaml_tag", "3:1", "YAML tags such as !custom are not supported"),
    ("nested_too_deep", "4:78", "nested deeper than 64 levels"),
    ("alias_bomb_wide", "9:82", "expands to more than 200000 nodes"),
    // Top level.
    ("unknown_top_field", "4:1", "unknown field `colour`"),
    ("missing_phases", "1:1", "missing field `phases`"),
    ("wrong_version", "2:1", "expected 1 (the only format version), found 2"),
    ("bad_name", "3:1", "expected [a-z0-9_-]+"),
    ("empty_matrix_list", "8:3", "expected a non-empty list of values"),
    ("matrix_sweeps_backends", "8:3", "the matrix changes `backends`"),
    // Backends.
    ("unknown_backend_kind", "9:5", "expected one of sqlite, postgres, mysql, dynamodb, cosmos, redis, noop, found \"oracle\""),
    ("unknown_backend_field", "10:5", "unknown field `paht`, expected one of `path`, `pool`, `pricing`; did you mean `path`?"),
    ("backend_missing_kind", "8:3", "missing field `kind`"),
    ("unknown_pricing_preset", "11:5", "unknown pricing preset `cheap`"),
    ("unknown_price_field", "9:7", "unknown price field `per_read`"),
    ("pricing_billing_mismatch", "8:5", "pricing preset `dynamodb_on_demand` does not match `billing: provisioned`"),
    ("pricing_empty", "11:5", "pricing: expected a preset name or at least one price"),
    ("price_not_a_number", "12:7", "pricing.instance_hour: expected a price (a number, USD), found string \"0.5\""),
    ("sql_preset_for_another_engine", "11:5", "pricing preset `aurora_mysql` is not for a backend of kind postgres"),
    ("unknown_preset_under_overrides", "12:7", "unknown pricing preset `aurora_postgress`"),
    ("override_billing_mismatch", "8:16", "pricing preset `dynamodb_on_demand` does not match `billing: provisioned`"),
    // Dataset.
    ("entity_zero_keys", "13:13", "expected at least 1 key, found 0"),
    ("unknown_entity_in_table", "17:24", "unknown entity `emial` (known: card, email); did you mean `email`?"),
    ("table_name_unsafe", "17:9", "expected a safe SQL identifier"),
    ("duplicate_tables", "17:9", "duplicate table `card_f1`"),
    ("rows_exceed_keys", "17:52", "expected at most the entity's 100 keys, found 500 rows"),
    ("features_zero", "17:39", "expected at least 1 feature, found 0"),
    ("table_missing_features", "17:7", "missing field `features`"),
    // Setup.
    ("load_batch_zero", "20:13", "expected a batch of at least 1 row, found 0"),
    ("load_method_not_for_kind", "20:13", "backend `local` (kind sqlite) cannot load with `copy_binary`: it loads with insert only"),
    // Phases.
    ("requests_and_duration", "22:7", "requests and duration are both set"),
    ("neither_requests_nor_duration", "19:5", "expected `requests` or `duration`"),
    ("workers_zero", "22:7", "expected at least 1 worker, found 0"),
    ("duplicate_phase_name", "30:7", "duplicate phase name `serve`"),
    ("hot_traffic_above_one", "23:53", "expected a fraction in [0, 1], found 1.5"),
    ("hot_keys_zero", "23:38", "expected a fraction in (0, 1], found 0"),
    ("zipfian_theta", "23:38", "expected theta in (0, 1), found 1.5"),
    ("theta_on_uniform", "23:38", "theta applies to zipfian and latest only"),
    ("distribution_parameter_out_of_range", "23:15", "expected `zipfian:THETA` with THETA in (0, 1), found \"zipfian:1.5\""),
    ("theta_given_twice", "23:15", "theta is given twice, in \"zipfian:0.9\" and as `theta: 0.5`"),
    // A mistake in a matrix value is located at the value, not where it is used.
    (
        "matrix_value_typo",
        "8:19",
        "matrix.dist[1]: unknown variant `zipfain`, expected one of `uniform`, `zipfian`, `hotspot`, `sequential`, `latest`; did you mean `zipfian`? (as ${dist} in phases[0].run.keys.distribution)",
    ),
    // Mix.
    ("unknown_entity_in_read", "26:45", "unknown entity `emial`"),
    ("unknown_entity_in_write", "28:40", "unknown entity `crad`"),
    ("negative_weight", "27:11", "expected a weight >= 0, found -1"),
    ("zero_total_weight", "24:7", "the weights add up to 0"),
    ("mix_unknown_backend", "29:22", "unknown backend `locl` (known: local); did you mean `local`?"),
    ("statement_no_template", "19:11", "no `dynamodb` template for backend `ddb`"),
    ("dynamodb_statement_unknown_op", "19:11", "statement recent: unknown op `scan`"),
    ("cosmos_statement_unknown_op", "22:11", "statement recent: unknown op `scan` (known: read_item, query, upsert_item"),
    ("cosmos_statement_query_without_from", "22:11", "statement recent: expected a query with FROM"),
    ("cosmos_bad_consistency", "12:5", "unknown variant `strong`, expected one of `eventual`, `session`"),
    ("cosmos_plain_http_remote", "9:5", "expected https:// (plain http:// is only for a local emulator: localhost, 127.0.0.1, [::1])"),
    ("cosmos_pricing_mismatch", "13:5", "pricing preset `cosmos_provisioned` does not match `serverless: true`"),
    ("statement_pasted_value", "19:11", "key.card is pasted into the SQL text"),
    ("statement_bad_name", "20:13", "expected a lowercase identifier, found \"Recent Txn\""),
    ("statement_empty_list", "18:13", "statement.sql: expected at least one SQL statement in the list"),
    ("statement_sql_not_text", "18:13", "statement.sql: expected a SQL template, or a list of SQL templates"),
    (
        "two_phase_not_postgres",
        "18:13",
        "statement.two_phase: two-phase commit is PostgreSQL's (PREPARE TRANSACTION); backend `local` is sqlite",
    ),
    (
        "matrix_cell_over_a_limit",
        "21:11",
        "backend local [keys=1000]: one statement would bind 40000 parameters; sqlite allows at most 32766",
    ),
    ("kv_on_sql_backend", "25:11", "mix[0].kv: a kv operation runs on redis backends; backend `local` is sqlite"),
    ("kv_keys_on_get", "25:45", "mix[0].kv.keys: `keys` applies to mset, mget and del, not get"),
    ("redis_insecure_url", "10:5", "backends.local.url: certificate checks are always on"),
    ("redis_empty_prefix", "11:5", "backends.local.key_prefix: expected a non-empty prefix"),
    ("redis_cluster_database", "10:5", "backends.local.url: a Redis Cluster has database 0 only"),
    // Checks.
    ("check_unknown_metric", "30:5", "unknown metric `p98_ms`"),
    ("check_bad_operator", "30:5", "expected `METRIC OP NUMBER` (p99_ms < 120) or `METRIC OP [FACTOR *] REFERENCE.METRIC`"),
    ("check_not_a_number", "30:5", "expected a number (or FACTOR * REFERENCE.METRIC) after `<`, found \"fast\""),
    ("check_unknown_backend", "31:46", "unknown backend `nope`"),
    ("check_unknown_phase", "31:32", "unknown phase `nope`"),
    ("check_unknown_scope_field", "31:62", "unknown field `hotness`"),
    ("check_operator_arrow", "30:5", "found operator `=>`"),
    // Regressions: each of these once reported a wrong place or a follow-on error.
    ("alias_bomb", "8:10", "expands aliases too far (an alias bomb?)"),
    ("huge_number", "13:19", "dataset.entities.card.keys: expected a number of at most"),
    ("bad_duration", "21:7", "expected a duration such as 500ms"),
    ("requests_not_a_number", "21:7", "expected a whole number >= 0, found string \"lots\""),
    ("unknown_phase_field", "22:7", "phases[0].run.worker: unknown field `worker`, expected one of `name`, `requests`, `duration`, `workers`, `rate`, `timeout`, `keys`, `explain_every`, `max_error_rate`, `mix`, `settings`, `findmax`; did you mean `workers`?"),
    ("missing_env_var", "10:5", "environment variable BENCHPLAN_SURELY_UNSET is not set"),
    ("unknown_param", "14:14", "unknown param `nope`"),
    ("table_count_without_i", "17:9", "the name must contain {i}"),
    ("mix_no_operation", "27:11", "expected exactly one of read_features, write_features, statement, kv, vector_search, steps; found 0"),
    ("step_unknown_entity", "28:43", "steps[1].read_features.entities[0]: unknown entity `emial`"),
    ("step_two_operations", "26:15", "steps[0]: expected exactly one of read_features, write_features, statement, kv; found 2"),
    ("steps_and_an_operation", "25:11", "statement, kv, vector_search, steps; found 2"),
    ("concurrent_without_steps", "26:11", "`concurrent` applies to a request with `steps` only"),
    ("duplicate_step_name", "27:17", "duplicate step name `a`"),
    ("check_unknown_op", "28:29", "unknown op `lookpu` (named mix entries of the run phases in scope: lookup)"),
    ("check_unknown_step", "29:41", "unknown step `emails` of `lookup` (its steps: cards)"),
    ("check_op_cost", "28:7", "cost_per_million_usd is a figure of the whole phase"),
    ("check_step_without_op", "28:27", "`step` needs `op`"),
    ("check_reference_unknown_backend", "27:7", "backend(dynamo): unknown backend (known: local)"),
    ("check_reference_unknown_phase", "27:5", "phase(single): unknown run phase (known: serve)"),
    ("check_reference_itself", "27:7", "the check would compare a row with itself"),
    ("check_reference_bare_metric", "27:5", "`p50_ms` on the right needs a reference"),
    ("keys_unknown_entity", "23:50", "keys.entities.cart: unknown entity `cart`"),
    ("keys_entity_theta_on_uniform", "23:58", "keys.entities.card.theta: theta applies to zipfian and latest only"),
    ("mix_two_operations", "25:11", "found 2"),
    ("unknown_phase_step", "29:5", "unknown variant `sleep`"),
    ("table_missing_features_block", "17:7", "missing field `features`"),
    ("yaml_duplicate_key", "4:1", "duplicate entry with key \"name\""),
    ("vector_on_sqlite", "6:5", "the dataset has vector features, which only kind postgres"),
    ("vector_without_dim", "15:11", "a feature of type halfvec needs `dim`"),
];

/// Fixtures with their own tests below.
const SPECIAL: &[&str] = &["set_unknown_param", "three_mistakes", "mistakes_in_one_item"];

fn fixture(name: &str) -> String {
    format!("{DIR}/{name}.yaml")
}

struct Outcome {
    /// The exit status (in-process: the one the CLI would exit with); None
    /// when there was no answer within [`TIMEOUT`].
    code: Option<i32>,
    stderr: String,
    elapsed: Duration,
}

/// Runs `benchplan ARGS` from the crate root.
fn benchplan(args: &[&str]) -> Result<Outcome, String> {
    let mut cmd = Command::cargo_bin("benchplan").map_err(|e| format!("no benchplan binary: {e}"))?;
    cmd.current_dir(env!("CARGO_MANIFEST_DIR")).env_remove("BENCHPLAN_SURELY_UNSET").args(args).timeout(TIMEOUT);
    let start = Instant::now();
    let out = cmd.output().map_err(|e| format!("benchplan {args:?}: cannot run: {e}"))?;
    Ok(Outcome { code: out.status.code(), stderr: String::from_utf8_lossy(&out.stderr).into_owned(), elapsed: start.elapsed() })
}

/// What `benchplan` prints on stderr for a command's error (as its
/// `report_error` does): every problem of a scenario on its own line, then
/// their count; any other error on one line.
fn cli_stderr(e: &Error) -> String {
    match e {
        Error::Scenario(problems) => {
            let n = problems.0.len();
            format!("{problems}\nbenchplan: {n} problem{} found\n", if n == 1 { "" } else { "s" })
        }
        other => format!("benchplan: {other}\n"),
    }
}

/// `benchplan validate FILE`, in-process: the library call the CLI makes
/// (`commands::validate`, from the crate root as `benchplan` runs here),
/// with the stderr and exit status the CLI would give. On a thread, so that
/// a hang is a failure after [`TIMEOUT`] (the thread is left behind) and a
/// panic is reported as one.
fn validate_in_process(file: &str) -> Result<Outcome, String> {
    if std::env::var_os("BENCHPLAN_SURELY_UNSET").is_some() {
        return Err("BENCHPLAN_SURELY_UNSET is set in the test's environment: the fixture missing_env_var needs it unset".into());
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let (tx, rx) = mpsc::channel();
    let start = Instant::now();
    let worker = std::thread::spawn(move || {
        let res = benchplan::commands::validate(&[path], &[], &mut Vec::new());
        let _ = tx.send(res);
    });
    match rx.recv_timeout(TIMEOUT) {
        Ok(res) => {
            let elapsed = start.elapsed();
            let _ = worker.join();
            let (code, stderr) = match res {
                Ok(exit) => (exit as i32, String::new()),
                Err(e) => (e.exit() as i32, cli_stderr(&e)),
            };
            Ok(Outcome { code: Some(code), stderr, elapsed })
        }
        Err(RecvTimeoutError::Timeout) => Ok(Outcome { code: None, stderr: String::new(), elapsed: start.elapsed() }),
        Err(RecvTimeoutError::Disconnected) => {
            let why = match worker.join() {
                Err(p) => p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())),
                Ok(()) => None,
            };
            Err(format!("{file}: validate panicked: {}", why.unwrap_or_default()))
        }
    }
}

/// The problem lines `validate` printed for `file`.
fn problems<'a>(stderr: &'a str, file: &str) -> Vec<&'a str> {
    let prefix = format!("{file}:");
    stderr.lines().filter(|l| l.starts_with(&prefix)).collect()
}

/// Exit 2 in time, no panic.
fn check_rejected(what: &str, o: &Outcome) -> Result<(), String> {
    if o.elapsed >= TIMEOUT {
        return Err(format!("{what}: no answer within {TIMEOUT:?} (killed)"));
    }
    if o.stderr.contains("panicked") {
        return Err(format!("{what}: panicked:\n{}", o.stderr));
    }
    if o.code != Some(2) {
        return Err(format!("{what}: expected exit status 2, got {:?}; stderr:\n{}", o.code, o.stderr));
    }
    Ok(())
}

/// Exit 2, no panic, exactly `locs.len()` problems, each `(line:col, substring)` on its own line.
fn check_problems(what: &str, file: &str, o: &Outcome, expected: &[(&str, &str)]) -> Result<(), String> {
    check_rejected(what, o)?;
    let lines = problems(&o.stderr, file);
    let mut errs = Vec::new();
    for (loc, needle) in expected {
        let head = format!("{file}:{loc}: ");
        if !lines.iter().any(|l| l.starts_with(&head) && l.contains(needle)) {
            errs.push(format!("expected a line starting `{head}` containing `{needle}`"));
        }
    }
    if lines.len() != expected.len() {
        errs.push(format!("expected {} problem(s), got {}", expected.len(), lines.len()));
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(format!("{what}: {}; stderr:\n{}", errs.join("; "), o.stderr))
    }
}

/// The diagnostics name the file as it was given: the crate root joined
/// with the relative fixture path.
fn shown(file: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(file).display().to_string()
}

fn check_case(name: &str, loc: &str, needle: &str) -> Result<(), String> {
    let file = fixture(name);
    let o = validate_in_process(&file)?;
    check_problems(name, &shown(&file), &o, &[(loc, needle)])
}

fn report(failures: Vec<String>) {
    if !failures.is_empty() {
        panic!("{} failure(s):\n\n{}", failures.len(), failures.join("\n\n"));
    }
}

#[test]
fn invalid_fixtures_are_rejected_at_the_right_place() {
    let failures: Vec<String> = CASES.iter().filter_map(|(name, loc, needle)| check_case(name, loc, needle).err()).collect();
    report(failures);
}

#[test]
fn every_fixture_is_listed_once_and_small() {
    let mut failures = Vec::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(DIR);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) => panic!("{}: {e}", dir.display()),
    };
    let listed: Vec<&str> = CASES.iter().map(|c| c.0).chain(SPECIAL.iter().copied()).collect();
    let mut on_disk = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()).map(str::to_string) else { continue };
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let lines = std::fs::read_to_string(&path).map(|t| t.lines().count()).unwrap_or(usize::MAX);
        if lines >= 40 {
            failures.push(format!("{stem}.yaml: {lines} lines; keep fixtures under 40"));
        }
        if listed.iter().filter(|n| **n == stem).count() != 1 {
            failures.push(format!("{stem}.yaml: expected in exactly one of CASES, SPECIAL"));
        }
        on_disk.push(stem);
    }
    for name in &listed {
        if !on_disk.iter().any(|s| s == name) {
            failures.push(format!("{name}: listed, but {DIR}/{name}.yaml does not exist"));
        }
    }
    assert!(CASES.len() >= 35, "expected at least 35 asserted cases, found {}", CASES.len());
    report(failures);
}

#[test]
fn alias_bombs_are_refused_quickly() {
    let mut failures = Vec::new();
    for name in ["alias_bomb", "alias_bomb_wide"] {
        match validate_in_process(&fixture(name)) {
            Ok(o) => {
                if let Err(e) = check_rejected(name, &o) {
                    failures.push(e);
                } else if o.elapsed > Duration::from_secs(10) {
                    failures.push(format!("{name}: took {:?}; expected a quick refusal", o.elapsed));
                }
            }
            Err(e) => failures.push(e),
        }
    }
    report(failures);
}

#[test]
fn unknown_param_via_set_is_rejected() {
    let file = fixture("set_unknown_param");
    let mut failures = Vec::new();
    // The file itself is valid, so the problem is the command line's.
    match benchplan(&["validate", &file]) {
        Ok(o) if o.code == Some(0) && !o.stderr.contains("panicked") => {}
        Ok(o) => failures.push(format!("{file} without --set: expected exit 0, got {:?}:\n{}", o.code, o.stderr)),
        Err(e) => failures.push(e),
    }
    let runs: [(&[&str], &str); 3] = [
        (&["validate", "--set", "nope=1", &file], "unknown param `nope`"),
        (&["validate", &file, "--set", "nope=1"], "unknown param `nope`"),
        (&["validate", "--set", "nope", &file], "--set \"nope\": expected K=V"),
    ];
    for (args, needle) in runs {
        match benchplan(args) {
            Ok(o) => {
                if let Err(e) = check_problems(&format!("{args:?}"), &file, &o, &[("1:1", needle)]) {
                    failures.push(e);
                }
            }
            Err(e) => failures.push(e),
        }
    }
    report(failures);
}

#[test]
fn three_mistakes_in_three_sections_are_all_reported() {
    let file = fixture("three_mistakes");
    let expected = [
        ("10:5", "backends.local.paht: unknown field `paht`"),
        ("17:24", "dataset.tables[1].entity: unknown entity `emial`"),
        ("23:53", "phases[0].run.keys.hot_traffic: expected a fraction in [0, 1], found 1.5"),
    ];
    let result = validate_in_process(&file).and_then(|o| check_problems("three_mistakes", &shown(&file), &o, &expected));
    report(result.err().into_iter().collect());
}

#[test]
fn every_mistake_in_one_phase_or_backend_is_reported() {
    let file = fixture("mistakes_in_one_item");
    let expected = [
        ("7:5", "backends.local.paht: unknown field `paht`"),
        ("8:5", "backends.local.pool: expected a whole number >= 0"),
        // A problem inside a list item does not end the search in its phase.
        ("18:46", "phases[0].run.mix[0].read_features.fetch: unknown variant `sideways`"),
        ("20:7", "phases[0].run.wrkers: unknown field `wrkers`"),
        ("21:7", "phases[0].run.timeout: expected a duration such as 500ms"),
    ];
    let result = validate_in_process(&file).and_then(|o| check_problems("mistakes_in_one_item", &shown(&file), &o, &expected));
    report(result.err().into_iter().collect());
}

#[test]
fn bytes_that_are_not_a_scenario_are_rejected() {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("tempdir: {e}"),
    };
    let mut big = b"# A valid scenario padded past 4 MiB\nversion: 1\nname: big\n".to_vec();
    big.resize((4 << 20) + 100, b'#');
    big.push(b'\n');
    let cases: [(&str, Vec<u8>, &str, &str); 4] = [
        ("binary.yaml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10".to_vec(), "3:1", "found a NUL byte (binary data"),
        // The NUL byte itself is located, not the file's start.
        ("nul_in_text.yaml", b"version: 1\nname: a\x00b\n".to_vec(), "2:8", "found a NUL byte"),
        ("invalid_utf8.yaml", b"# comment\nversion: 1\nname: caf\xe9\n".to_vec(), "3:10", "expected UTF-8 text"),
        ("too_large.yaml", big, "1:1", "file is larger than 4194304 bytes"),
    ];
    let mut failures = Vec::new();
    for (name, bytes, loc, needle) in cases {
        let path = dir.path().join(name);
        if let Err(e) = std::fs::write(&path, &bytes) {
            failures.push(format!("{}: {e}", path.display()));
            continue;
        }
        let file = path.display().to_string();
        match validate_in_process(&file) {
            Ok(o) => {
                if let Err(e) = check_problems(name, &file, &o, &[(loc, needle)]) {
                    failures.push(e);
                }
            }
            Err(e) => failures.push(e),
        }
    }
    report(failures);
}

/// The CLI path: `benchplan validate` exits 2 and prints exactly what the
/// in-process check above renders, for one problem and for several.
#[test]
fn the_cli_exits_2_and_prints_what_the_in_process_check_renders() {
    let mut failures = Vec::new();
    for (name, expected) in [
        (
            "unknown_backend_kind",
            &[("9:5", "expected one of sqlite, postgres, mysql, dynamodb, cosmos, redis, noop, found \"oracle\"")][..],
        ),
        (
            "three_mistakes",
            &[
                ("10:5", "backends.local.paht: unknown field `paht`"),
                ("17:24", "dataset.tables[1].entity: unknown entity `emial`"),
                ("23:53", "phases[0].run.keys.hot_traffic: expected a fraction in [0, 1], found 1.5"),
            ][..],
        ),
    ] {
        let file = fixture(name);
        // As a user types it: relative to the current directory.
        match benchplan(&["validate", &file]) {
            Ok(o) => {
                if let Err(e) = check_problems(&format!("CLI {name}"), &file, &o, expected) {
                    failures.push(e);
                }
            }
            Err(e) => failures.push(e),
        }
        // The same file named the same way both times: the same bytes.
        match (benchplan(&["validate", &shown(&file)]), validate_in_process(&file)) {
            (Ok(cli), Ok(lib)) => {
                if (cli.code, &cli.stderr) != (lib.code, &lib.stderr) {
                    failures.push(format!(
                        "{name}: the CLI exited {:?} with stderr\n{}\nthe in-process check says {:?} with\n{}",
                        cli.code, cli.stderr, lib.code, lib.stderr
                    ));
                }
            }
            (Err(e), _) | (_, Err(e)) => failures.push(e),
        }
    }
    report(failures);
}
