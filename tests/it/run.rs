//! End-to-end runs through the CLI: report files, numbers, exit codes,
//! error policy, Ctrl-C, coordinated omission, secrets, determinism.

use crate::common::*;
use std::time::{Duration, Instant};

const CONTRACT_COLUMNS: &[&str] = &[
    "run_id",
    "scenario",
    "backend",
    "kind",
    "phase",
    "hot",
    "requests",
    "errors",
    "error_rate",
    "duration_s",
    "throughput_rps",
    "mean_ms",
    "stddev_ms",
    "cv",
    "min_ms",
    "p50_ms",
    "p90_ms",
    "p95_ms",
    "p99_ms",
    "p999_ms",
    "max_ms",
    "cost_usd",
    "cost_per_million_usd",
];

#[test]
fn quickstart_writes_every_report_file_with_sane_numbers() {
    let out = tempfile::tempdir().unwrap();
    let assert = bin().args(["run", "scenarios/quickstart.yaml", "--quick", "--out"]).arg(out.path()).assert().success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(stdout.contains("local serve [hot=1.0]"), "{stdout}");
    assert!(stdout.contains("report: "), "{stdout}");
    let dir = run_dir(out.path(), "quickstart");
    for f in ["summary.md", "results.csv", "breakdown.csv", "timeseries.csv", "run.json", "latency/local_serve_hot-1.0.hgrm"] {
        assert!(dir.join(f).is_file(), "missing {f}");
    }
    let (header, mut rows) = read_csv(&dir.join("results.csv"));
    // The fixed columns, in their documented order (docs/reports.md), then the extras.
    assert_eq!(&header[..CONTRACT_COLUMNS.len()], CONTRACT_COLUMNS);
    assert_eq!(&header[CONTRACT_COLUMNS.len()..CONTRACT_COLUMNS.len() + 3], ["service_p50_ms", "service_p99_ms", "late_requests"]);
    // The load first, as a setup row: rows written and rows per second.
    let load = rows.remove(0);
    assert_eq!(load[col(&header, "phase")], "setup:load");
    assert_eq!(num(&load, &header, "requests"), 60000.0, "6 tables x 10000 keys under --quick");
    let rate = num(&load, &header, "requests") / num(&load, &header, "duration_s");
    assert!((rate - num(&load, &header, "throughput_rps")).abs() / rate < 0.01);
    assert_eq!(load[col(&header, "p50_ms")], "");
    // 2 cells x 2 run phases, in file order (the warmup is not reported).
    assert_eq!(rows.len(), 4);
    let phases: Vec<(&str, &str)> = rows.iter().map(|r| (r[col(&header, "phase")].as_str(), r[col(&header, "hot")].as_str())).collect();
    assert_eq!(phases, [("serve", "1.0"), ("serial", "1.0"), ("serve", "0.5"), ("serial", "0.5")]);
    for r in &rows {
        let n = |c: &str| num(r, &header, c);
        // --quick: a tenth of the requests.
        let expected = if r[col(&header, "phase")] == "serve" { 2000.0 } else { 500.0 };
        assert_eq!(n("requests"), expected);
        assert_eq!(n("errors"), 0.0);
        assert!(n("min_ms") <= n("p50_ms") && n("p50_ms") <= n("p90_ms") && n("p90_ms") <= n("p99_ms"), "{r:?}");
        assert!(n("p99_ms") <= n("p999_ms") && n("p999_ms") <= n("max_ms"), "{r:?}");
        assert!(n("min_ms") > 0.0);
        let tput = n("requests") / n("duration_s");
        assert!((tput - n("throughput_rps")).abs() / tput < 0.01, "throughput = requests / duration: {r:?}");
        assert_eq!(r[col(&header, "kind")], "sqlite");
    }
    // Packed reads return one row per table (6) for every request; 5 % upserts write 3.
    let rows_per_req = num(&rows[0], &header, "rows_per_request");
    assert!(rows_per_req > 5.5 && rows_per_req <= 6.0, "{rows_per_req}");
    assert_eq!(num(&rows[1], &header, "rows_per_request"), 6.0);

    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(summary.contains("## Checks") && summary.contains("10 of 10 passed"), "{summary}");
    assert!(summary.contains("| pass | `p99_ms < 120` | local | serve | hot=1.0 |"), "{summary}");
    assert!(summary.contains("scenarios/quickstart.yaml"));
    assert!(summary.contains("| CPUs |"));
    let (th, ts) = read_csv(&dir.join("timeseries.csv"));
    assert_eq!(th, ["backend", "cell", "phase", "second", "requests", "errors", "p50_ms", "p99_ms", "p95_ms", "mean_ms"]);
    let serve_total: f64 = ts.iter().filter(|r| r[1] == "hot=1.0" && r[2] == "serve").map(|r| r[4].parse::<f64>().unwrap()).sum();
    assert_eq!(serve_total, 2000.0, "the time series accounts for every request");
    let load = summary.lines().find(|l| l.starts_with("| local | load |")).expect("a load row");
    assert!(load.contains("| 60000 |"), "6 tables x 10000 keys under --quick: {load}");
    // Charts: percentiles per phase, P99 against the matrix param with the SLA; linked from summary.md.
    // `hot` is in serve's keys only: no chart of serial by hot (it would be flat).
    assert!(!dir.join("charts/p99-by-hot-serial.svg").exists() && !summary.contains("p99-by-hot-serial"), "{summary}");
    for c in ["latency-serve", "latency-serial", "p99-by-hot-serve"] {
        let svg = std::fs::read_to_string(dir.join(format!("charts/{c}.svg"))).unwrap_or_else(|e| panic!("charts/{c}.svg: {e}"));
        assert!(svg.starts_with("<svg") && svg.contains(">\nlocal"), "{c}: {svg}");
        assert!(summary.contains(&format!("](charts/{c}.svg)")), "{summary}");
    }
    let p99 = std::fs::read_to_string(dir.join("charts/p99-by-hot-serve.svg")).unwrap();
    // Named in the legend (as "above the plot" when the data is far below it: tests/it/charts.rs).
    assert!(p99.contains(">\nSLA p99_ms &lt; 120"), "{p99}");
}

#[test]
fn report_rebuilds_every_file_byte_for_byte() {
    let out = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let sc =
        scenario(tmp.path(), "rebuild", &noop("rebuild", "", "      requests: 3000\n      workers: 2", "checks:\n  - p99_ms < 1000\n"));
    bin().args(["run", "-q"]).arg(&sc).arg("--out").arg(out.path()).assert().success();
    let dir = run_dir(out.path(), "rebuild");
    let mut files: Vec<String> =
        ["summary.md", "results.csv", "breakdown.csv", "timeseries.csv", "run.json", "latency/dry_run.hgrm"].map(String::from).to_vec();
    // The charts too (a time-series chart only if the phase lasted two seconds or more).
    let mut charts: Vec<String> =
        std::fs::read_dir(dir.join("charts")).unwrap().map(|e| format!("charts/{}", e.unwrap().file_name().to_string_lossy())).collect();
    charts.sort();
    assert!(charts.contains(&"charts/latency-run.svg".to_string()), "{charts:?}");
    files.extend(charts);
    let before: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(dir.join(f)).unwrap()).collect();
    for f in &files {
        std::fs::remove_file(dir.join(f)).unwrap_or(());
    }
    // run.json is the source: put it back, remove the rest, rebuild.
    std::fs::write(dir.join("run.json"), &before[4]).unwrap();
    bin().arg("report").arg(&dir).assert().success();
    for (f, b) in files.iter().zip(&before) {
        let after = String::from_utf8(std::fs::read(dir.join(f)).unwrap()).unwrap();
        assert!(after.as_bytes() == b.as_slice(), "{f} differs after `benchplan report`:\n{after}\n---\n{}", String::from_utf8_lossy(b));
    }
    let hgrm = String::from_utf8(before[5].clone()).unwrap();
    assert!(hgrm.contains("Percentile") && hgrm.contains("Total count    =         3000"), "{hgrm}");
}

#[test]
fn a_failing_check_exits_1_and_is_shown() {
    let out = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(
        tmp.path(),
        "failcheck",
        &noop("failcheck", "", "      requests: 500", "checks:\n  - throughput_rps > 1000000000000\n  - error_rate == 0\n"),
    );
    let a = bin().args(["run", "-q"]).arg(&sc).arg("--out").arg(out.path()).assert().code(1);
    let stdout = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert!(stdout.contains("checks: 1 of 2 passed"), "{stdout}");
    assert!(stdout.contains("FAIL throughput_rps > 1000000000000 on dry run"), "{stdout}");
    let summary = std::fs::read_to_string(run_dir(out.path(), "failcheck").join("summary.md")).unwrap();
    assert!(summary.contains("| **FAIL** | `throughput_rps > 1000000000000` | dry | run |"), "{summary}");
    assert!(summary.contains("| pass | `error_rate == 0` |"));
}

#[test]
fn error_policy_stops_the_phase_with_exit_3_after_writing_the_report() {
    let out = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(
        tmp.path(),
        "failing",
        &noop("failing", "    fail: 0.5", "      requests: 100000\n      workers: 2\n      max_error_rate: 0.2", ""),
    );
    let a = bin().args(["run", "-q"]).arg(&sc).arg("--out").arg(out.path()).assert().code(3);
    let stdout = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert!(stdout.contains("backend dry failed"), "{stdout}");
    let dir = run_dir(out.path(), "failing");
    let (h, rows) = read_csv(&dir.join("results.csv"));
    assert_eq!(rows.len(), 1, "what was measured before the stop is reported");
    let requests = num(&rows[0], &h, "requests");
    assert!(requests < 100_000.0, "the policy stopped the phase early: {requests}");
    let rate = num(&rows[0], &h, "error_rate");
    assert!((rate - 0.5).abs() < 0.1, "{rate}");
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(summary.contains("Backend `dry` failed") && summary.contains("above max_error_rate 20.0 %"), "{summary}");
    assert!(summary.contains("| dry | run | - | other |"), "errors by kind: {summary}");
    assert!(summary.contains("injected failure"));
}

#[test]
fn an_unavailable_backend_exits_3_with_a_report_of_the_others() {
    let out = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let text = noop("mixed", "  pg:\n    kind: postgres\n    url: ${env:BENCH_TEST_SECRET_URL}", "      requests: 300", "");
    let sc = scenario(tmp.path(), "mixed", &text);
    let secret = "s3cr3t-Pa55word";
    let a = bin()
        .env("BENCH_TEST_SECRET_URL", format!("postgres://bench:{secret}@127.0.0.1:1/db"))
        .args(["run", "-q"])
        .arg(&sc)
        .arg("--out")
        .arg(out.path())
        .assert()
        .code(3);
    let o = a.get_output();
    let all_output = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(all_output.contains("backend pg failed"), "{all_output}");
    let dir = run_dir(out.path(), "mixed");
    let (_, rows) = read_csv(&dir.join("results.csv"));
    assert_eq!(rows.len(), 1, "the noop backend's row is there");
    // The password never leaves the process.
    assert!(!all_output.contains(secret));
    for f in ["summary.md", "results.csv", "run.json", "timeseries.csv"] {
        let text = std::fs::read_to_string(dir.join(f)).unwrap();
        assert!(!text.contains(secret), "{f} leaks the secret");
    }
    let run_json = std::fs::read_to_string(dir.join("run.json")).unwrap();
    assert!(run_json.contains("${env:BENCH_TEST_SECRET_URL}"), "the resolved scenario keeps the reference, not the value");
}

#[test]
fn open_loop_latency_counts_the_stall_service_time_does_not() {
    // Coordinated omission: the backend stops answering for 500 ms. Requests
    // due during the stall wait; their response time (from the intended
    // start) must show it, their service time must not.
    let out = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(
        tmp.path(),
        "stall",
        &noop("stall", "    latency: 1ms\n    stall: { at: 1s, for: 500ms }", "      duration: 3s\n      rate: 400\n      workers: 4", ""),
    );
    bin().args(["run", "-q"]).arg(&sc).arg("--out").arg(out.path()).assert().success();
    let (h, rows) = read_csv(&run_dir(out.path(), "stall").join("results.csv"));
    let r = &rows[0];
    let p99 = num(r, &h, "p99_ms");
    let svc99 = num(r, &h, "service_p99_ms");
    let late = num(r, &h, "late_requests");
    assert!(p99 > 300.0, "response p99 must show the 500 ms stall: {p99}");
    assert!(svc99 < 50.0, "service p99 must not: {svc99}");
    assert!(late >= 150.0, "~200 requests were due during the stall: {late}");
    assert_eq!(num(r, &h, "target_rps"), 400.0);
    let requests = num(r, &h, "requests");
    assert!((1150.0..=1201.0).contains(&requests), "3 s at 400/s: {requests}");
}

#[test]
fn closed_loop_hides_the_stall_in_few_samples() {
    // The same stall in a closed loop: only the requests in flight see it
    // (the coordinated-omission blind spot the open loop exists for).
    let out = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(
        tmp.path(),
        "closedstall",
        &noop("closedstall", "    latency: 1ms\n    stall: { at: 1s, for: 500ms }", "      duration: 3s\n      workers: 4", ""),
    );
    bin().args(["run", "-q"]).arg(&sc).arg("--out").arg(out.path()).assert().success();
    let (h, rows) = read_csv(&run_dir(out.path(), "closedstall").join("results.csv"));
    let r = &rows[0];
    assert!(num(r, &h, "p99_ms") < 50.0, "{r:?}");
    assert!(num(r, &h, "max_ms") > 300.0, "the in-flight requests saw the stall: {r:?}");
    assert_eq!(r[col(&h, "service_p99_ms")], "", "no service columns in closed loop");
}

#[cfg(unix)]
#[test]
fn ctrl_c_writes_what_was_measured_and_exits_130() {
    let out = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(tmp.path(), "interrupt", &noop("interrupt", "    latency: 1ms", "      duration: 60s\n      workers: 2", ""));
    let exe = assert_cmd::cargo::cargo_bin("benchplan");
    let mut child = std::process::Command::new(exe)
        .current_dir(root())
        .args(["run", "-q"])
        .arg(&sc)
        .arg("--out")
        .arg(out.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let started = Instant::now();
    let kill = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "benchplan did not stop on SIGINT");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(130));
    let dir = run_dir(out.path(), "interrupt");
    let (h, rows) = read_csv(&dir.join("results.csv"));
    assert_eq!(rows.len(), 1);
    assert!(num(&rows[0], &h, "requests") > 100.0);
    assert!(num(&rows[0], &h, "duration_s") < 30.0);
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(summary.contains("**Interrupted**"));
}

#[test]
fn runs_never_overwrite_each_other() {
    let out = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(tmp.path(), "twice", &noop("twice", "", "      requests: 50", ""));
    for _ in 0..3 {
        bin().args(["run", "-q"]).arg(&sc).arg("--out").arg(out.path()).assert().success();
    }
    let dirs: Vec<_> = std::fs::read_dir(out.path().join("twice")).unwrap().collect();
    assert_eq!(dirs.len(), 3, "three runs in the same second get three folders");
}

#[test]
fn sqlite_data_is_deterministic_and_complete() {
    // Two loads with one seed give identical tables; another seed differs.
    let tmp = tempfile::tempdir().unwrap();
    let text = r#"version: 1
name: det
seed: ${seed}
params: { db: x.db, seed: 5 }
backends:
  f:
    kind: sqlite
    path: ${db}
dataset:
  entities:
    card: { keys: 3000, key: uuid }
  tables:
    - { name: "card_f{i}", entity: card, count: 2, features: 4, types: mixed, rows: 2500 }
setup:
  - create: {}
  - load: { batch: 700 }
phases:
  - run:
      requests: 100
      mix:
        - read_features: { entities: [card], fetch: serial }
"#;
    let sc = scenario(tmp.path(), "det", text);
    let out = tmp.path().join("out");
    let dbs: Vec<_> = ["a.db", "b.db", "c.db"].iter().map(|n| tmp.path().join(n)).collect();
    for (i, db) in dbs.iter().enumerate() {
        let seed = if i == 2 { "6" } else { "5" };
        bin()
            .args(["run", "-q"])
            .arg(&sc)
            .arg("--set")
            .arg(format!("db={}", db.display()))
            .args(["--set", &format!("seed={seed}")])
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
    }
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let dump = |db: &std::path::Path| -> Vec<String> {
        rt.block_on(async {
            let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display())).await.unwrap();
            let mut out = Vec::new();
            for t in ["card_f0", "card_f1"] {
                let rows: Vec<(String, f64, i64, String, i64)> =
                    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT pk, f0, f1, f2, f3 FROM {t} ORDER BY pk")))
                        .fetch_all(&pool)
                        .await
                        .unwrap();
                assert_eq!(rows.len(), 2500, "{t}: rows as configured");
                out.extend(rows.into_iter().map(|r| format!("{t}|{}|{}|{}|{}|{}", r.0, r.1, r.2, r.3, r.4)));
            }
            out
        })
    };
    let (a, b, c) = (dump(&dbs[0]), dump(&dbs[1]), dump(&dbs[2]));
    assert_eq!(a, b, "same seed, same data");
    assert_ne!(a, c, "another seed, other data");
}

#[test]
fn the_client_s_own_cpu_and_memory_are_measured_per_phase_and_checkable() {
    let out = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let checks = "checks:\n  - client_cpu_per_request_us > 0\n  - client_peak_rss_mb > 1\n  - client_cpu_share <= 1\n";
    let sc = scenario(tmp.path(), "client", &noop("client", "", "      requests: 20000\n      workers: 1", checks));
    let a = bin().args(["run", "-q", "--threads", "1"]).arg(&sc).arg("--out").arg(out.path()).assert().code(0);
    let stdout = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert!(stdout.contains("checks: 3 of 3 passed"), "{stdout}");
    let dir = run_dir(out.path(), "client");
    let (h, rows) = read_csv(&dir.join("results.csv"));
    let row = rows.iter().find(|r| r[col(&h, "phase")] == "run").unwrap();
    let (cpu, per, share, rss) = (
        num(row, &h, "client_cpu_s"),
        num(row, &h, "client_cpu_per_request_us"),
        num(row, &h, "client_cpu_share"),
        num(row, &h, "client_peak_rss_mb"),
    );
    // 20,000 requests cost some CPU; per request is the whole over the requests.
    assert!(cpu > 0.0 && share > 0.0 && share <= 1.0, "{row:?}");
    assert!((per * 20_000.0 / 1e6 - cpu).abs() <= 0.001 + cpu * 0.01, "{per} x 20000 vs {cpu}");
    // A process with a runtime and histograms: megabytes, not gigabytes.
    assert!(rss > 1.0 && rss < 4000.0, "{rss}");
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    let client = &json["rows"][0]["client"];
    assert_eq!(client["peak_scope"], "phase", "{client}");
    assert_eq!(json["environment"]["runtime_threads"], 1);
    assert!(client["cores"].as_u64().is_some_and(|c| c >= 1), "{client}");
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(summary.contains("## Client resources") && summary.contains("| dry | run | - | 20000 |"), "{summary}");
    // compare shows CPU per request and gates peak memory: a run against itself is clean.
    let a = bin().arg("compare").arg(&dir).arg(&dir).assert().code(0);
    let said = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert!(said.contains("| client_cpu_per_request_us |") && said.contains("| client_peak_rss_mb |"), "{said}");
}

#[test]
fn two_runs_of_one_seed_send_the_same_keys_and_a_baseline_run_names_what_differs() {
    // Every request adds 1 to f1 of the row of its key: after a run, the
    // table holds how often each key was sent. Request i's key is a function
    // of (seed, phase, i), whichever of the 4 workers sends it.
    let tmp = tempfile::tempdir().unwrap();
    let text = r#"version: 1
name: keyseq
seed: ${seed}
params: { db: x.db, seed: 5 }
backends:
  f:
    kind: sqlite
    path: ${db}
dataset:
  entities:
    card: { keys: 300, key: int }
  tables:
    - { name: "card_f0", entity: card, features: 2, types: mixed }
setup:
  - create: {}
  - load: {}
phases:
  - run:
      requests: 3000
      workers: 4
      keys: { distribution: zipfian, theta: 0.9 }
      mix:
        - statement:
            name: count_key
            sql: "UPDATE {{ table('card_f0') }} SET f1 = f1 + 1 WHERE pk = {{ bind(key.card) }}"
"#;
    let sc = scenario(tmp.path(), "keyseq", text);
    let out = tmp.path().join("out");
    let dbs: Vec<_> = ["a.db", "b.db", "c.db"].iter().map(|n| tmp.path().join(n)).collect();
    let run = |db: &std::path::Path, seed: &str, extra: &[&str]| {
        let a = bin()
            .args(["run", "-q"])
            .arg(&sc)
            .args(["--set", &format!("db={}", db.display()), "--set", &format!("seed={seed}"), "--out"])
            .arg(&out)
            .args(extra)
            .assert();
        let o = a.get_output();
        assert_eq!(o.status.code(), Some(0), "{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    };
    run(&dbs[0], "5", &[]);
    let first = run_dir(&out, "keyseq");
    run(&dbs[1], "5", &["--baseline", first.to_str().unwrap()]);
    run(&dbs[2], "6", &[]);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let counts = |db: &std::path::Path| -> Vec<(i64, i64)> {
        rt.block_on(async {
            let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display())).await.unwrap();
            sqlx::query_as("SELECT pk, f1 FROM card_f0 ORDER BY pk").fetch_all(&pool).await.unwrap()
        })
    };
    let (a, b, c) = (counts(&dbs[0]), counts(&dbs[1]), counts(&dbs[2]));
    assert_eq!(a.len(), 300);
    assert_eq!(a, b, "same seed: every key sent as often");
    assert_ne!(a, c, "another seed: other keys");
    // The second run was compared with the first: its summary names what differs.
    let mut runs: Vec<_> = std::fs::read_dir(out.join("keyseq")).unwrap().map(|e| e.unwrap().path()).collect();
    runs.sort();
    let second = std::fs::read_to_string(runs[1].join("summary.md")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(runs[1].join("run.json")).unwrap()).unwrap();
    let base_id = first.file_name().unwrap().to_str().unwrap();
    assert_eq!(json["baseline"]["run_id"], base_id, "{}", json["baseline"]);
    assert!(second.contains(&format!("Compared with baseline `{base_id}`")), "{second}");
    let diffs: Vec<&str> = json["baseline"]["differences"].as_array().unwrap().iter().map(|d| d.as_str().unwrap()).collect();
    // Same tool, scenario file and machine: nothing but what the server said may differ.
    assert!(diffs.iter().all(|d| d.starts_with("backend `f` ")), "{diffs:?}");
    assert!(!json["environment"]["machine"].as_object().unwrap().is_empty() || !cfg!(target_os = "linux"));
}
