//! Hostile files, runaway phases, signals and full disks: each test pins
//! one way a run could lose data, escape its folder or run away, by what a
//! user would see (exit code, files present, bytes of a victim file, the
//! warning text).

use crate::common::{bin, col, noop, read_csv, run_dir, scenario};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

fn one_row(dir: &Path, phase: &str) -> (Vec<String>, Vec<String>) {
    let (h, rows) = read_csv(&dir.join("results.csv"));
    let row = rows.into_iter().find(|r| r[col(&h, "phase")] == phase).unwrap_or_else(|| panic!("no row {phase}"));
    (h, row)
}

fn cell<'a>(h: &[String], row: &'a [String], name: &str) -> &'a str {
    &row[col(h, name)]
}

/// A noop run with one phase; returns its run folder.
fn run_noop(tmp: &Path, name: &str, backend: &str, phase: &str) -> std::path::PathBuf {
    let sc = scenario(tmp, name, &noop(name, backend, phase, ""));
    let out = tmp.join("out");
    bin().args(["run", "-q"]).arg(&sc).arg("--out").arg(&out).assert().success();
    run_dir(&out, name)
}

#[test]
fn report_writes_only_inside_the_run_folder_whatever_run_json_says() {
    let tmp = tempfile::tempdir().unwrap();
    // Open loop: a response and a service histogram.
    let dir = run_noop(tmp.path(), "escape", "", "      requests: 50\n      rate: 1000");
    let victim = tmp.path().join("victim.txt");
    std::fs::write(&victim, b"precious").unwrap();
    let json = std::fs::read_to_string(dir.join("run.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["histograms"][0]["file"] = serde_json::json!("../../victim.txt");
    v["histograms"][1]["file"] = serde_json::json!(victim.display().to_string());
    std::fs::write(dir.join("run.json"), serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    bin().arg("report").arg(&dir).assert().success();
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious", "the victim file is untouched");
    // The histograms are named from backend, phase and cell.
    assert!(dir.join("latency/dry_run.hgrm").is_file() && dir.join("latency/dry_run_service.hgrm").is_file());
    assert!(!tmp.path().join("out/victim.txt").exists());
}

#[test]
fn report_refuses_a_run_json_format_it_does_not_know() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_noop(tmp.path(), "fmt", "", "      requests: 20");
    let json = std::fs::read_to_string(dir.join("run.json")).unwrap().replacen("\"format\": 1", "\"format\": 99", 1);
    std::fs::write(dir.join("run.json"), json).unwrap();
    let out = bin().arg("report").arg(&dir).assert().code(2).get_output().stderr.clone();
    assert!(String::from_utf8_lossy(&out).contains("run.json format 99 is not one this benchplan reads"));
}

#[test]
fn an_open_loop_phase_ends_at_its_duration_and_counts_what_it_never_sent() {
    // 1000 req/s for 2 s on a 10 ms backend with one worker: at most ~200 can be sent.
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_noop(tmp.path(), "openloop", "    latency: 10ms", "      duration: 2s\n      rate: 1000\n      workers: 1");
    let (h, row) = one_row(&dir, "run");
    assert_eq!(cell(&h, &row, "duration_s"), "2.000", "measured over the phase's own window");
    let sent: u64 = cell(&h, &row, "requests").parse().unwrap();
    let missed: u64 = cell(&h, &row, "missed_requests").parse().unwrap();
    assert_eq!(sent + missed, 2000, "every request due in 2 s at 1000 req/s is either sent or counted as missed");
    assert!(sent < 400 && missed > 1600, "sent {sent}, missed {missed}");
    let md = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(md.contains(&format!("{missed} requests were due within the phase but never sent")), "{md}");
}

#[test]
fn a_closed_loop_phase_is_measured_over_its_duration_and_says_what_it_waited() {
    // 1.5 s per request, 2 s phase, one worker: the second request ends at 3 s.
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_noop(tmp.path(), "drain", "    latency: 1500ms", "      duration: 2s\n      workers: 1");
    let (h, row) = one_row(&dir, "run");
    assert_eq!(cell(&h, &row, "duration_s"), "2.000");
    assert_eq!(cell(&h, &row, "requests"), "2");
    assert_eq!(cell(&h, &row, "throughput_rps"), "1.00", "requests over the 2 s window, not over 3 s");
    let md = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(md.contains("after the phase's 2.0 s for requests in flight"), "{md}");
}

/// Starts a long noop run, sends `signal` after the first second, and
/// returns (exit code, the run folder).
fn signalled_run(tmp: &Path, name: &str, signal: &str) -> (Option<i32>, std::path::PathBuf) {
    let sc = scenario(tmp, name, &noop(name, "    latency: 1ms", "      duration: 60s\n      workers: 2", ""));
    let out = tmp.join("out");
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("benchplan"))
        .args(["run", "-q"])
        .arg(&sc)
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The run folder appears when the run starts.
    for _ in 0..100 {
        if out.join(name).exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(1000));
    let status = Command::new("kill").args([&format!("-{signal}"), &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let code = child.wait().unwrap().code();
    (code, run_dir(&out, name))
}

#[test]
fn sigterm_and_sighup_write_what_was_measured_and_exit_143_and_129() {
    let tmp = tempfile::tempdir().unwrap();
    for (signal, code) in [("TERM", 143), ("HUP", 129)] {
        let name = format!("sig{}", signal.to_lowercase());
        let (got, dir) = signalled_run(tmp.path(), &name, signal);
        assert_eq!(got, Some(code), "SIG{signal}");
        let (h, row) = one_row(&dir, "run");
        let requests: u64 = cell(&h, &row, "requests").parse().unwrap();
        assert!(requests > 0, "what was measured before SIG{signal} is in the report");
        assert!(dir.join("run.json").is_file() && dir.join("summary.md").is_file());
    }
}

#[test]
fn a_report_that_cannot_be_written_whole_exits_4_and_names_what_was_written() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_noop(tmp.path(), "full", "", "      requests: 50");
    std::fs::remove_dir_all(dir.join("charts")).unwrap();
    std::fs::write(dir.join("charts"), b"a file where a folder goes").unwrap();
    let out = bin().arg("report").arg(&dir).assert().code(4).get_output().stderr.clone();
    let err = String::from_utf8_lossy(&out);
    assert!(err.contains("written: run.json, summary.md, results.csv"), "{err}");
    assert!(
        std::fs::read_dir(&dir).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().ends_with(".partial")),
        "no partial file left"
    );
}

#[test]
fn an_unwritable_junit_path_is_refused_before_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(tmp.path(), "junit", &noop("junit", "", "      requests: 10", ""));
    let out = tmp.path().join("out");
    let junit = tmp.path().join("missing-folder/checks.xml");
    let o =
        bin().args(["run", "-q"]).arg(&sc).arg("--out").arg(&out).arg("--junit").arg(&junit).assert().code(2).get_output().stderr.clone();
    assert!(String::from_utf8_lossy(&o).contains("--junit"));
    assert!(!out.exists(), "nothing ran");
}

#[test]
fn validate_reads_at_most_the_cap_of_an_endless_file() {
    // Under a 512 MiB address-space limit: reading /dev/zero whole would fail
    // with an allocation error instead of this message.
    let exe = assert_cmd::cargo::cargo_bin("benchplan");
    let script = format!("ulimit -v 524288 && exec '{}' validate /dev/zero", exe.display());
    let o = Command::new("sh").args(["-c", &script]).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("/dev/zero:1:1: file is larger than 4194304 bytes"), "{err}");
}

fn sqlite_scenario(extra_backend: &str, tables: &str, keys: &str, mix: &str) -> String {
    format!(
        "version: 1\nname: limits\nbackends:\n  local: {{ kind: sqlite{extra_backend} }}\ndataset:\n  entities:\n    card: {{ keys: {keys}, key: int }}\n  tables:\n    - {{ name: \"card_f{{i}}\", entity: card, count: {tables}, features: 2 }}\nphases:\n  - run:\n      requests: 10\n      mix:\n        - {mix}\n"
    )
}

#[test]
fn plans_that_cannot_run_are_refused_naming_the_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        ("compound", sqlite_scenario("", "600", "1000", "read_features: { entities: [card], fetch: packed }"), "SQLite allows at most 500"),
        (
            "binds",
            // 1000 keys in each of 40 tables in one packed read: 40,000 parameters.
            sqlite_scenario("", "40", "1000", "read_features: { entities: [card], fetch: packed, keys_per_table: 1000 }"),
            "sqlite allows at most 32766",
        ),
        (
            "memory",
            sqlite_scenario(", path: \":memory:\"", "2", "1000000000000", "read_features: { entities: [card], fetch: packed }"),
            "an in-memory SQLite of 2000000000000 rows",
        ),
    ];
    for (name, text, needle) in cases {
        let sc = scenario(tmp.path(), name, &text);
        let o = bin().arg("validate").arg(&sc).assert().code(2).get_output().stderr.clone();
        assert!(String::from_utf8_lossy(&o).contains(needle), "{name}: {}", String::from_utf8_lossy(&o));
    }
    // A write of 10,000 rows x (key + 8 features) binds 90,000 values: once
    // refused, it is now sent in chunks under the limit.
    let write =
        sqlite_scenario("", "1", "100000", "write_features: { entities: [card], batch: 10000 }").replace("features: 2", "features: 8");
    let sc = scenario(tmp.path(), "write", &write);
    let o = bin().arg("plan").arg(&sc).assert().success().get_output().stdout.clone();
    assert!(String::from_utf8_lossy(&o).contains("card_f0 (2 chunks under the bind limit)"), "{}", String::from_utf8_lossy(&o));
    // A phase that would run for years is said, before it runs.
    let sc = scenario(tmp.path(), "long", &noop("long", "", "      requests: 1000000000000000", ""));
    let o = bin().arg("validate").arg(&sc).assert().success().get_output().stdout.clone();
    assert!(String::from_utf8_lossy(&o).contains("warning: phase run will run for at least"), "{}", String::from_utf8_lossy(&o));
}

#[test]
fn runaway_and_empty_template_overrides_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("tpl/sqlite")).unwrap();
    let text = sqlite_scenario("", "2", "100", "read_features: { entities: [card], fetch: packed }")
        .replace("backends:", "templates: tpl\nbackends:");
    let sc = scenario(tmp.path(), "tpl", &text);
    let packed = tmp.path().join("tpl/sqlite/read_packed.sql");
    std::fs::write(&packed, "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}").unwrap();
    let o = bin().arg("validate").arg(&sc).timeout(Duration::from_secs(120)).assert().code(2).get_output().stderr.clone();
    assert!(String::from_utf8_lossy(&o).contains("template sqlite/read_packed.sql: stopped after"), "{}", String::from_utf8_lossy(&o));
    std::fs::write(&packed, "  \n").unwrap();
    let o = bin().arg("validate").arg(&sc).assert().code(2).get_output().stderr.clone();
    assert!(String::from_utf8_lossy(&o).contains("read_packed.sql is empty"), "{}", String::from_utf8_lossy(&o));
}

#[test]
fn secrets_in_a_url_query_never_reach_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    let text = noop("qs", "", "      requests: 10", "").replace("seed: 3\n", "seed: 3\nparams:\n  target: none\n");
    let sc = scenario(tmp.path(), "qs", &text);
    let out = tmp.path().join("out");
    let set = "target=postgres://bob@db.example:5432/x?sslmode=require&password=hunter2&sslpassword=swordfish";
    let o = bin().args(["run", "-q"]).arg(&sc).arg("--out").arg(&out).args(["--set", set]).assert().success().get_output().stdout.clone();
    assert!(!String::from_utf8_lossy(&o).contains("hunter2"));
    let dir = run_dir(&out, "qs");
    for f in ["run.json", "summary.md", "results.csv"] {
        let text = std::fs::read_to_string(dir.join(f)).unwrap();
        assert!(!text.contains("hunter2") && !text.contains("swordfish"), "{f}: {text}");
    }
    assert!(std::fs::read_to_string(dir.join("summary.md")).unwrap().contains("password=***"));
}

#[test]
fn an_unparsable_database_url_is_bad_input_with_its_secret_masked() {
    let tmp = tempfile::tempdir().unwrap();
    let text = "version: 1\nname: badurl\nbackends:\n  pg: { kind: postgres, url: \"postgres://bob:s3cr3tpw@127.0.0.1:99999/x\" }\ndataset:\n  entities:\n    card: { keys: 10 }\n  tables:\n    - { name: t, entity: card, features: 1 }\nphases:\n  - run:\n      requests: 1\n      mix:\n        - read_features: { entities: [card], fetch: packed }\n";
    let sc = scenario(tmp.path(), "badurl", text);
    let out = tmp.path().join("out");
    let o = bin().args(["run", "-q"]).arg(&sc).arg("--out").arg(&out).assert().code(2).get_output().stderr.clone();
    let err = String::from_utf8_lossy(&o);
    assert!(err.contains("backends.pg.url: cannot parse the URL") && !err.contains("s3cr3tpw"), "{err}");
    assert!(!out.exists(), "nothing ran");
}
