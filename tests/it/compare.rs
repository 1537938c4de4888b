//! `benchplan compare`, `run --baseline` and `--junit`, on real runs of the
//! noop backend (a fixed simulated service time makes a slowdown certain).

use crate::common::*;
use std::path::{Path, PathBuf};

fn scenario_text() -> &'static str {
    r#"version: 1
name: cmp
params:
  lat: 1ms
backends:
  dry:
    kind: noop
    latency: ${lat}
dataset:
  entities:
    card: { keys: 1000, key: string }
  tables:
    - { name: "card_f{i}", entity: card, count: 2, features: 3 }
matrix:
  hot: [1.0, 0.5]
phases:
  - run:
      name: serve
      duration: 3s
      workers: 4
      keys: { distribution: hotspot, hot_keys: 0.1, hot_traffic: "${hot}" }
      mix:
        - read_features: { entities: [card], fetch: packed }
checks:
  - p99_ms < 100
"#
}

/// Runs the scenario with `lat`; returns the new run folder.
fn run(sc: &Path, out: &Path, lat: &str, extra: &[&str]) -> (Option<i32>, String, PathBuf) {
    let before: Vec<PathBuf> = std::fs::read_dir(out.join("cmp")).map(|d| d.map(|e| e.unwrap().path()).collect()).unwrap_or_default();
    let a = bin().args(["run", "-q"]).arg(sc).args(["--set", &format!("lat={lat}"), "--out"]).arg(out).args(extra).assert();
    let o = a.get_output();
    let said = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(out.join("cmp")).unwrap().map(|e| e.unwrap().path()).filter(|p| !before.contains(p)).collect();
    assert_eq!(dirs.len(), 1, "{said}");
    (o.status.code(), said, dirs.pop().unwrap())
}

fn compare(base: &Path, new: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let a = bin().arg("compare").arg(base).arg(new).args(extra).assert();
    let o = a.get_output();
    (o.status.code(), format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
}

/// (suite names, test cases, failures) of a JUnit file, parsed as XML.
fn junit(p: &Path) -> (Vec<String>, usize, Vec<String>) {
    let text = std::fs::read_to_string(p).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites: Vec<String> =
        root.children().filter(|n| n.has_tag_name("testsuite")).map(|n| n.attribute("name").unwrap().to_string()).collect();
    let cases = doc.descendants().filter(|n| n.has_tag_name("testcase")).count();
    let failures =
        doc.descendants().filter(|n| n.has_tag_name("failure")).map(|n| n.attribute("message").unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(root.attribute("tests").unwrap(), cases.to_string());
    assert_eq!(root.attribute("failures").unwrap(), failures.len().to_string());
    (suites, cases, failures)
}

#[test]
fn a_run_against_itself_is_clean_and_a_slower_one_is_a_regression() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(tmp.path(), "cmp", scenario_text());
    let out = tmp.path().join("out");
    let (code, said, base) = run(&sc, &out, "1ms", &[]);
    assert_eq!(code, Some(0), "{said}");
    let (code, said, slow) = run(&sc, &out, "10ms", &[]);
    assert_eq!(code, Some(0), "{said}");

    // A run against itself (two timed runs of the same thing would make this
    // test depend on the machine's load; see the unit tests for noisy equal runs).
    let (code, said) = compare(&base, &base.join("run.json"), &[]);
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("No regressions in 2 matched row(s)."), "{said}");
    assert!(said.contains("| dry | serve | hot=1.0 | p99_ms |"), "{said}");

    // Ten times the service time: p50 and throughput regress in both cells, exit 1, named.
    let junit_file = tmp.path().join("compare.xml");
    let (code, said) = compare(&base, &slow, &["--junit", junit_file.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{said}");
    for cell in ["hot=1.0", "hot=0.5"] {
        assert!(said.contains(&format!("- dry serve [{cell}] p50_ms: ")), "{said}");
        assert!(said.contains(&format!("- dry serve [{cell}] throughput_rps: ")), "{said}");
    }
    let line = said.lines().find(|l| l.starts_with("| dry | serve | hot=1.0 | p50_ms |")).unwrap();
    assert!(line.contains("| **REGRESSION** |") && line.contains("+"), "{line}");
    let (suites, cases, failures) = junit(&junit_file);
    assert_eq!(suites, vec!["cmp comparison".to_string()]);
    assert_eq!(cases, 2 * 8, "p50, p99, throughput, error rate, mean, p95, rows/s, client peak memory per row");
    let xml = std::fs::read_to_string(&junit_file).unwrap();
    assert!(xml.contains(r#"<property name="min_latency_delta_ms" value="1"/>"#), "{xml}");
    assert!(failures.len() >= 4 && failures.iter().all(|f| f.contains("regressed")), "{failures:?}");

    // A minimum above the slowdown (+9 ms): p50 and p99 are under it, and
    // say so; throughput still regresses.
    let (code, said) = compare(&base, &slow, &["--min-latency-delta", "100ms"]);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("p50/p99/mean/p95 +15 % and at least +100 ms"), "{said}");
    let line = said.lines().find(|l| l.starts_with("| dry | serve | hot=1.0 | p50_ms |")).unwrap();
    assert!(line.contains("| worse, under the minimum |"), "{line}");
    let regressed: Vec<&str> = said.lines().filter(|l| l.starts_with("- dry serve [")).collect();
    // Throughput, and rows/s with it.
    assert!(regressed.len() == 4 && regressed.iter().all(|l| l.contains("throughput_rps") || l.contains("rows_per_s")), "{said}");
    assert!(said.contains("change(s) beyond their relative threshold rose by less than the minimum of 100 ms"), "{said}");

    // A threshold above the slowdown: not a regression, whatever the p-value.
    let (code, said) = compare(&base, &slow, &["--latency-rise", "5000", "--throughput-drop", "99"]);
    assert_eq!(code, Some(0), "{said}");
    // The one-for-all threshold.
    let (code, said) = compare(&base, &slow, &["--max-regression", "99999%"]);
    assert_eq!(code, Some(0), "{said}");
    // (A throughput drop cannot pass 100 %: that part is capped, and shown so.)
    assert!(said.contains("throughput and rows/s -100 %, p50/p99/mean/p95 +99999 %"), "{said}");

    // A new run that lacks a row of the base run fails, unless allowed.
    let (code, said, one_cell) = run(&sc, &out, "1ms", &["--set", "hot=1.0"]);
    assert_eq!(code, Some(0), "{said}");
    let lenient = ["--latency-rise", "5000", "--throughput-drop", "99"];
    let (code, said) = compare(&base, &one_cell, &lenient);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("Rows only in the base run (not compared): dry serve [hot=0.5]"), "{said}");
    let (code, said) = compare(&base, &one_cell, &[&lenient[..], &["--allow-missing"]].concat());
    assert_eq!(code, Some(0), "{said}");

    // The slower run as the base: the faster one is better, not a regression.
    // (Its median is; a p99 of a 1 ms sleep on a loaded 2-core machine can
    // pass the 10 ms run's by more than 15 % and 1 ms: a scheduler's delay is
    // a real difference of milliseconds, which no minimum of 1 ms hides, so
    // only a p99 row may regress here.)
    let (code, said) = compare(&slow, &base, &[]);
    let p50 = said.lines().find(|l| l.starts_with("| dry | serve | hot=1.0 | p50_ms |")).unwrap_or_else(|| panic!("{said}"));
    assert!(p50.contains("| better |"), "{said}");
    let regressed: Vec<&str> = said.lines().filter(|l| l.contains("**REGRESSION**")).collect();
    assert!(regressed.iter().all(|l| l.contains("| p99_ms |") || l.contains("| p95_ms |")), "{said}");
    assert_eq!(code, Some(if regressed.is_empty() { 0 } else { 1 }), "{said}");

    // `run --baseline`: the same comparison after the run; exit 1 on the regression.
    // Its JUnit has the checks and the comparison. (Ten times the service
    // time, as above: 3 ms against 1 ms left a margin of 2 ms over the 1 ms
    // minimum, which a loaded machine can eat into by slowing the base run.)
    let junit_file = tmp.path().join("run.xml");
    let (code, said, _) = run(&sc, &out, "10ms", &["--baseline", base.to_str().unwrap(), "--junit", junit_file.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("regression(s):") && said.contains("checks: 2 of 2 passed"), "{said}");
    let (suites, cases, failures) = junit(&junit_file);
    assert_eq!(suites, vec!["cmp checks".to_string(), "cmp comparison".to_string()]);
    assert_eq!(cases, 2 + 2 * 8);
    assert!(!failures.is_empty());
}

#[test]
fn run_junit_has_a_case_per_check_per_row_with_the_measured_value() {
    let tmp = tempfile::tempdir().unwrap();
    let text = scenario_text()
        .replace("duration: 3s", "requests: 400")
        .replace("  - p99_ms < 100\n", "  - p99_ms < 100\n  - throughput_rps > 1000000000\n");
    let sc = scenario(tmp.path(), "cmp", &text);
    let out = tmp.path().join("out");
    let file = tmp.path().join("checks.xml");
    let (code, said, dir) = run(&sc, &out, "1ms", &["--junit", file.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{said}");
    let (suites, cases, failures) = junit(&file);
    assert_eq!(suites, vec!["cmp checks".to_string()]);
    assert_eq!(cases, 2 * 2, "2 checks x 2 cells");
    assert_eq!(failures.len(), 2);
    let (h, rows) = read_csv(&dir.join("results.csv"));
    let measured = num(&rows[0], &h, "throughput_rps");
    assert!(failures[0].starts_with("throughput_rps > 1000000000 failed: measured "), "{failures:?}");
    let shown: f64 = failures[0].rsplit(' ').next().unwrap().parse().unwrap();
    assert!((shown - measured).abs() < 0.01, "{shown} vs {measured}");
}

#[test]
fn bad_compare_input_is_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, said) = compare(tmp.path(), tmp.path(), &[]);
    assert_eq!(code, Some(2), "{said}");
    assert!(said.contains("run.json"), "{said}");
    let (code, said) = compare(tmp.path(), tmp.path(), &["--alpha", "2"]);
    assert_eq!(code, Some(2), "{said}");
    assert!(said.contains("--alpha"), "{said}");
    let (code, said) = compare(tmp.path(), tmp.path(), &["--max-regression", "lots"]);
    assert_eq!(code, Some(2), "{said}");
    assert!(said.contains("'--max-regression <PCT>': expected a percentage such as 10%"), "{said}");
    // Every threshold takes `%`, names itself when wrong, and a throughput gate above 100 % is refused.
    for (args, want) in [
        (&["--max-regression", "-5%"][..], "'--max-regression <PCT>': expected a percentage >= 0"),
        (&["--latency-rise", "abc"][..], "'--latency-rise <PCT>': expected a percentage such as 10%"),
        (&["--throughput-drop", "120"][..], "--throughput-drop: a throughput drop of more than 100% cannot happen"),
        (&["--min-latency-delta", "-1ms"][..], "'--min-latency-delta <DURATION>': expected a duration such as 1ms, 0.5ms or 500us"),
        (&["--min-latency-delta", "1 parsec"][..], "'--min-latency-delta <DURATION>': expected a duration such as 1ms"),
    ] {
        let (code, said) = compare(tmp.path(), tmp.path(), args);
        assert_eq!(code, Some(2), "{args:?}: {said}");
        assert!(said.contains(want), "{args:?}: {said}");
    }
    // Accepted: `%` on the specific options; past the thresholds, the missing run.json is the error.
    let (code, said) = compare(
        tmp.path(),
        tmp.path(),
        &[
            "--latency-rise",
            "40%",
            "--error-rate-rise",
            "0.5%",
            "--max-regression",
            "150%",
            "--throughput-drop",
            "10",
            "--min-latency-delta",
            "500us",
        ],
    );
    assert_eq!(code, Some(2), "{said}");
    assert!(said.contains("run.json") && !said.contains("percentage"), "{said}");
}

/// A folder of runs kept as a named baseline (`--out results/baselines/main`):
/// `--baseline` and `compare` take its newest run of the scenario.
#[test]
fn a_named_baseline_folder_gives_its_newest_run() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(tmp.path(), "cmp", scenario_text());
    let kept = tmp.path().join("baselines").join("main");
    let (code, said, first) = run(&sc, &kept, "1ms", &[]);
    assert_eq!(code, Some(0), "{said}");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let (code, said, second) = run(&sc, &kept, "1ms", &[]);
    assert_eq!(code, Some(0), "{said}");
    assert_ne!(first, second);
    // (Whether this busy machine's runs differ is not the question here: exit 0 or 1.)
    let (code, said, _) = run(&sc, &tmp.path().join("pr"), "1ms", &["--baseline", kept.to_str().unwrap()]);
    assert!(matches!(code, Some(0 | 1)), "{said}");
    assert!(said.contains(&format!("Base: `{}`", second.display())), "the newest run is the base: {said}");
    let (code, said) = compare(&kept, &second, &[]);
    assert_eq!(code, Some(0), "the newest run against itself: {said}");
    assert!(said.contains(&format!("Base: `{}`", second.display())), "{said}");
    // A folder with no run below it is a usage error.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let (code, said) = compare(&empty, &second, &[]);
    assert_eq!(code, Some(2), "{said}");
    assert!(said.contains("no run.json in it"), "{said}");
}
