//! Per-entity latency and the slowest leg of serial and parallel reads, on
//! real SQLite runs: every successful request is counted once per entity,
//! and exactly one table is the slowest of each request.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use benchplan::report::model::RunReport;
use common::*;

const SCENARIO: &str = r#"version: 1
name: legs
seed: 9
backends:
  local: { kind: sqlite }
dataset:
  entities:
    card: { keys: 500, key: string }
    email: { keys: 500, key: int }
  tables:
    - { name: "card_f{i}", entity: card, count: 3, features: 3 }
    - { name: "email_f{i}", entity: email, count: 2, features: 3 }
setup: [ { create: {} }, { load: {} } ]
phases:
  - run: { name: serial, requests: 400, workers: 2, mix: [ { read_features: { entities: [card, email], fetch: serial } } ] }
  - run: { name: parallel, requests: 400, workers: 2, mix: [ { read_features: { entities: [card, email], fetch: parallel, keys_per_table: 2 } } ] }
  - run: { name: packed, requests: 200, workers: 2, mix: [ { read_features: { entities: [card, email], fetch: packed } } ] }
"#;

#[test]
fn every_timed_request_has_one_slowest_leg_and_each_entity_a_latency() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(tmp.path(), "legs", SCENARIO);
    let out = tmp.path().join("out");
    bin().args(["run", "-q"]).arg(&sc).arg("--out").arg(&out).assert().success();
    let dir = run_dir(&out, "legs");
    let r: RunReport = serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    let tables = ["card_f0", "card_f1", "card_f2", "email_f0", "email_f1"];
    for phase in ["serial", "parallel"] {
        let ok = r.rows.iter().find(|x| x.phase == phase).map(|x| x.requests - x.errors).unwrap();
        assert_eq!(ok, 400);
        let legs: Vec<_> = r.legs.iter().filter(|l| l.phase == phase).collect();
        assert_eq!(legs.iter().map(|l| l.slowest).sum::<u64>(), ok, "{phase}: one slowest leg per request");
        assert!(legs.iter().all(|l| tables.contains(&l.table.as_str())), "{legs:?}");
        assert!((legs.iter().map(|l| l.share).sum::<f64>() - 1.0).abs() < 1e-9);
        let ents: Vec<_> = r.entities.iter().filter(|e| e.phase == phase).collect();
        assert_eq!(ents.iter().map(|e| e.entity.as_str()).collect::<Vec<_>>(), ["card", "email"], "{phase}");
        for e in ents {
            assert_eq!(e.requests, ok, "{phase} {}", e.entity);
            assert!(e.p50_ms > 0.0 && e.p50_ms <= e.p99_ms && e.p99_ms <= e.max_ms, "{e:?}");
            // An entity's legs are part of the request: never longer than its slowest request.
            let row = r.rows.iter().find(|x| x.phase == phase).unwrap();
            assert!(e.max_ms <= row.latency.max_ms * 1.01 + 0.01, "{e:?} vs {}", row.latency.max_ms);
        }
    }
    // A packed read is one statement: nothing to split.
    assert!(!r.legs.iter().any(|l| l.phase == "packed") && !r.entities.iter().any(|e| e.phase == "packed"));
    let md = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(md.contains("## Per-entity latency") && md.contains("| local | serial | - | card | 400 |"), "{md}");
    assert!(md.contains("## Slowest leg"), "{md}");
}

#[test]
fn entities_beyond_the_sixteenth_are_said_to_be_left_out() {
    // 17 entities, one table each, all read serially by every request.
    let names: Vec<String> = (0..17).map(|i| format!("e{i:02}")).collect();
    let entities: String = names.iter().map(|n| format!("    {n}: {{ keys: 50 }}\n")).collect();
    let tables: String = names.iter().map(|n| format!("    - {{ name: {n}_f, entity: {n}, features: 2 }}\n")).collect();
    let yaml = format!(
        "version: 1\nname: many\nseed: 2\nbackends:\n  local: {{ kind: sqlite }}\ndataset:\n  entities:\n{entities}  tables:\n{tables}setup: [ {{ create: {{}} }}, {{ load: {{}} }} ]\nphases:\n  - run: {{ name: serial, requests: 100, workers: 2, mix: [ {{ read_features: {{ entities: [{}], fetch: serial }} }} ] }}\n",
        names.join(", ")
    );
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(tmp.path(), "many", &yaml);
    let out = tmp.path().join("out");
    bin().args(["run", "-q"]).arg(&sc).arg("--out").arg(&out).assert().success();
    let dir = run_dir(&out, "many");
    let r: RunReport = serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    let got: Vec<&str> = r.entities.iter().map(|e| e.entity.as_str()).collect();
    assert_eq!(got, names[..16].iter().map(String::as_str).collect::<Vec<_>>());
    assert!(r.entities.iter().all(|e| e.requests == 100), "{:?}", r.entities);
    // Every table still competes for the slowest leg.
    assert_eq!(r.legs.iter().map(|l| l.slowest).sum::<u64>(), 100);
    let md = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(md.contains("The dataset has 17 entities; only the first 16 are broken down here"), "{md}");
}
