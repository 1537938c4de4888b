//! `findmax` on a noop backend with a known capacity: `servers: 6` with a
//! 20 ms service time serve at most 300 requests per second; above that the
//! queue grows through each step and the P99 check fails. (Timer overshoot
//! makes each service a little longer, so the knee is a little lower.)

use crate::common::{bin, col, noop, read_csv, run_dir, scenario};
use serde_json::Value;

const KNEE: f64 = 300.0;

#[test]
fn findmax_finds_the_known_knee_within_its_precision_and_reports_every_step() {
    let dir = tempfile::tempdir().unwrap();
    // A warmup first: the process's first requests (threads starting,
    // pages first touched) would otherwise be the first step's.
    let text = r#"version: 1
name: fm
seed: 3
backends:
  dry: { kind: noop, latency: 20ms, servers: 6 }
dataset:
  entities:
    card: { keys: 1000, key: string }
  tables:
    - { name: "card_f{i}", entity: card, count: 2, features: 3 }
phases:
  - warmup: { requests: 300, rate: 150, workers: 64 }
  - run:
      name: capacity
      duration: 2s
      workers: 64
      findmax: { start: 80, precision: 0.05 }
      mix:
        - read_features: { entities: [card], fetch: packed }
checks:
  - p99_ms < 40
"#;
    let sc = scenario(dir.path(), "fm", text);
    let out = dir.path().join("out");
    let o = bin().args(["run", sc.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let run = run_dir(&out, "fm");
    let report: Value = serde_json::from_slice(&std::fs::read(run.join("run.json")).unwrap()).unwrap();
    let fm = &report["findmax"][0];
    let (max, failed) = (fm["max_rps"].as_f64().unwrap(), fm["failed_rps"].as_f64().unwrap());
    // Below the knee every step passes; above it the queue grows by
    // (rate - 300) requests a second, past 40 ms within the 2 s step.
    assert!((KNEE * 0.85..=KNEE * 1.02).contains(&max), "max {max} (knee {KNEE})");
    assert!(failed > max && (failed - max) / max <= 0.05 + 1e-9, "failed {failed}, max {max}");
    assert_eq!(fm["ended"], "converged");
    let steps = fm["steps"].as_array().unwrap();
    let rates: Vec<f64> = steps.iter().map(|s| s["rate"].as_f64().unwrap()).collect();
    assert_eq!(&rates[..3], &[80.0, 160.0, 320.0], "{rates:?}");
    assert!(steps.iter().all(|s| s["passed"].as_bool().unwrap() == (s["rate"].as_f64().unwrap() <= max)), "{steps:?}");

    // Every step is a row, at its offered rate.
    let (h, rows) = read_csv(&run.join("results.csv"));
    assert_eq!(rows.len(), steps.len());
    for (row, rate) in rows.iter().zip(&rates) {
        assert_eq!(row[col(&h, "phase")], format!("capacity@{rate}"));
        assert_eq!(row[col(&h, "target_rps")].parse::<f64>().unwrap(), *rate);
    }
    // The phase's check is reported on the highest passing step.
    let checks = report["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0]["phase"], format!("capacity@{max}"));
    assert_eq!(checks[0]["passed"], true);

    let summary = std::fs::read_to_string(run.join("summary.md")).unwrap();
    assert!(summary.contains("## Findmax"), "{summary}");
    assert!(summary.contains(&format!("dry capacity: **{max} req/s** meets the checks; {failed} req/s does not")), "{summary}");
    assert!(summary.contains("fails: p99_ms < 40 (measured"), "{summary}");
    let svg = std::fs::read_to_string(run.join("charts/findmax-capacity.svg")).unwrap();
    assert!(svg.contains("SLA p99_ms &lt; 40") || svg.contains("SLA p99_ms < 40"), "no SLA line in the chart");
    assert!(svg.contains(&format!("max {max} req/s")), "no answer in the legend");
}

#[test]
fn findmax_with_a_rate_or_on_a_warmup_is_refused_where_it_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let text = noop("fmbad", "", "      requests: 10\n      rate: 100\n      findmax: { start: 0, factor: 1 }", "");
    let sc = scenario(dir.path(), "fmbad", &text);
    let o = bin().args(["validate", sc.to_str().unwrap()]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("phases[0].run.findmax: findmax chooses the rate of each step"), "{err}");
    assert!(err.contains("phases[0].run.findmax.start"), "{err}");
    assert!(err.contains("phases[0].run.findmax.factor: expected a factor above 1"), "{err}");
    assert!(err.contains("fmbad.yaml:"), "no file:line:column in {err}");
}
