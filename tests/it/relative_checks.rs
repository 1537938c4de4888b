//! Checks that compare: with another backend, phase or matrix cell of the
//! same run, and with the baseline run.

use crate::common::*;
use serde_json::Value;

/// `fast` answers in 1 ms, `slow` in 4 ms; two phases, a matrix over workers.
const TWO_SPEEDS: &str = r#"version: 1
name: speeds
seed: 2
matrix:
  workers: [1, 2]
backends:
  fast: { kind: noop, latency: 1ms }
  slow: { kind: noop, latency: 4ms }
dataset:
  entities:
    card: { keys: 100 }
  tables:
    - { name: card_f, entity: card, features: 2 }
phases:
  - run:
      name: one
      requests: 60
      workers: ${workers}
      mix: [ { name: lookup, read_features: { entities: [card] } } ]
  - run:
      name: two
      requests: 60
      workers: ${workers}
      mix: [ { name: lookup, read_features: { entities: [card] } } ]
checks:
  - { expr: "p50_ms < 0.5 * backend(slow).p50_ms", backend: fast, phase: one }
  - { expr: "p50_ms < 0.5 * backend(fast).p50_ms", backend: slow, phase: one }
  - { expr: "p50_ms <= 1.5 * phase(one).p50_ms", backend: fast, phase: two, op: lookup }
  - { expr: "throughput_rps > 1.5 * cell(workers=1).throughput_rps", backend: slow, phase: one, workers: 2 }
"#;

fn run(dir: &std::path::Path, text: &str, extra: &[&str]) -> (Option<i32>, String, std::path::PathBuf) {
    let sc = scenario(dir, "speeds", text);
    let out = dir.join("out");
    let a = bin().args(["run", "-q"]).arg(&sc).args(extra).arg("--out").arg(&out).assert();
    let o = a.get_output();
    let said = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let newest = std::fs::read_dir(out.join("speeds")).unwrap().map(|e| e.unwrap().path()).max().unwrap();
    (o.status.code(), said, newest)
}

#[test]
fn a_relative_check_compares_with_another_backend_phase_and_cell() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, said, dir) = run(tmp.path(), TWO_SPEEDS, &[]);
    // The second check (slow faster than half of fast) fails: exit 1.
    assert_eq!(code, Some(1), "{said}");
    let run: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    let checks = run["checks"].as_array().unwrap();
    let of = |check: &str| -> Vec<&Value> { checks.iter().filter(|c| c["check"] == check).collect() };
    // fast vs slow, per cell: passes, with both sides recorded.
    let a = of("p50_ms < 0.5 * backend(slow).p50_ms");
    assert_eq!(a.len(), 2, "{checks:?}");
    for c in &a {
        assert_eq!(c["passed"], true, "{c}");
        let (v, r) = (c["value"].as_f64().unwrap(), c["reference"].as_f64().unwrap());
        assert!(v < 2.0 && r >= 4.0, "{c}");
    }
    let b = of("p50_ms < 0.5 * backend(fast).p50_ms");
    assert!(b.iter().all(|c| c["passed"] == false && c.get("not_evaluated").is_none()), "{b:?}");
    assert!(of("p50_ms <= 1.5 * phase(one).p50_ms").iter().all(|c| c["passed"] == true && c["op"] == "lookup"));
    // Two workers of 4 ms requests give about twice one worker's throughput.
    let w = of("throughput_rps > 1.5 * cell(workers=1).throughput_rps");
    assert_eq!(w.len(), 1, "only the workers=2 cell is in scope: {w:?}");
    assert_eq!(w[0]["passed"], true, "{:?}", w[0]);
    // The failure says both sides and the ratio.
    assert!(said.contains("FAIL p50_ms < 0.5 * backend(fast).p50_ms on slow one [workers=1]: measured "), "{said}");
    assert!(said.contains(" vs ") && said.contains("x)"), "{said}");
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(summary.contains("A relative check's measured value is shown against the figure it refers to"), "{summary}");
}

#[test]
fn a_baseline_reference_needs_a_baseline_and_compares_with_it() {
    let tmp = tempfile::tempdir().unwrap();
    let text =
        TWO_SPEEDS.replace("checks:\n", "checks:\n  - { expr: \"p50_ms < 2 * baseline.p50_ms\", backend: fast, phase: one, workers: 1 }\n");
    let text: String = text.lines().take_while(|l| !l.contains("backend(fast)")).collect::<Vec<_>>().join("\n") + "\n";
    // Without --baseline: not evaluated, said why.
    let (code, said, first) = run(tmp.path(), &text, &[]);
    assert_eq!(code, Some(1), "{said}");
    let run1: Value = serde_json::from_str(&std::fs::read_to_string(first.join("run.json")).unwrap()).unwrap();
    let c = run1["checks"].as_array().unwrap().iter().find(|c| c["check"] == "p50_ms < 2 * baseline.p50_ms").unwrap().clone();
    assert!(c["not_evaluated"].as_str().unwrap().contains("--baseline"), "{c}");
    // Against the first run: evaluated on the baseline's figures.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let (code, said, second) = run(tmp.path(), &text, &["--baseline", first.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{said}");
    let run2: Value = serde_json::from_str(&std::fs::read_to_string(second.join("run.json")).unwrap()).unwrap();
    let c = run2["checks"].as_array().unwrap().iter().find(|c| c["check"] == "p50_ms < 2 * baseline.p50_ms").unwrap().clone();
    let base_p50 =
        run1["rows"].as_array().unwrap().iter().find(|r| r["backend"] == "fast" && r["phase"] == "one").unwrap()["p50_ms"].clone();
    assert_eq!(c["reference"], base_p50, "{c}");
    assert_eq!(c["passed"], true, "{c}");
}
