//! Per-entity latency and the slowest leg of serial and parallel reads, on
//! real SQLite runs: every successful request is counted once per entity,
//! and exactly one table is the slowest of each request.

use crate::common::*;
use benchplan::report::model::RunReport;

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
    // The serial read's 5 legs by place: every request once, its first table card_f0
    // (entities in the read's order, tables in dataset order); a parallel read has no places.
    let places: Vec<_> = r.leg_positions.iter().filter(|l| l.phase == "serial").collect();
    assert_eq!(places.iter().map(|l| l.position).collect::<Vec<_>>(), [1, 2, 3, 4, 5], "{places:?}");
    assert!(places.iter().all(|l| l.legs == 5 && l.first_table.as_deref() == Some("card_f0")), "{places:?}");
    assert_eq!(places.iter().map(|l| l.slowest).sum::<u64>(), 400);
    assert!(!r.leg_positions.iter().any(|l| l.phase != "serial"), "{:?}", r.leg_positions);
    // A packed read is one statement: nothing to split.
    assert!(!r.legs.iter().any(|l| l.phase == "packed") && !r.entities.iter().any(|e| e.phase == "packed"));
    let md = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(md.contains("## Per-entity latency") && md.contains("| local | serial | - | card | 400 |"), "{md}");
    assert!(md.contains("## Slowest leg"), "{md}");
    assert!(md.contains("- local serial [-], 400 serial reads of 5 legs: the slowest was the 1st leg (`card_f0`) in "), "{md}");
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
    let note = md.find("The dataset has 17 entities; only the first 16 are broken down here").unwrap_or_else(|| panic!("{md}"));
    let section = md.find("## Per-entity latency").unwrap();
    let header = md.find("| backend | phase | cell | entity |").unwrap();
    assert!(section < note && note < header, "the note goes before the table, not inside it: {md}");
    // The 5 most frequent slowest tables are named, the others (up to 12:
    // a table that was never the slowest of 100 requests has no row) summed in one line.
    assert!(r.legs.len() > 6, "{:?}", r.legs);
    let line = format!("| local | serial | - | {} others | ", r.legs.len() - 5);
    let others = md.lines().find(|l| l.starts_with(&line)).unwrap_or_else(|| panic!("{line} in {md}"));
    let mut top: Vec<u64> = r.legs.iter().map(|l| l.slowest).collect();
    top.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(others.split(" | ").nth(4), Some(top[5..].iter().sum::<u64>().to_string().as_str()), "{others}");
    // Regression: one table beyond the five was "1 others".
    let mut six = r.clone();
    six.legs.truncate(6);
    let md = String::from_utf8(benchplan::report::markdown::summary_md(&six)).unwrap();
    assert!(md.contains(" | 1 other | ") && !md.contains("1 others"), "{md}");
}

#[test]
fn a_mixed_phase_has_latency_per_op() {
    let yaml = r#"version: 1
name: ops
seed: 4
backends:
  local: { kind: sqlite }
dataset:
  entities:
    card: { keys: 500 }
  tables:
    - { name: "card_f{i}", entity: card, count: 2, features: 3 }
setup: [ { create: {} }, { load: {} } ]
phases:
  - run:
      name: mixed
      requests: 2000
      workers: 2
      mix:
        - { weight: 8, read_features: { entities: [card], fetch: serial } }
        - { weight: 0, statement: { name: never, sql: "SELECT 1" } }
        - { weight: 2, write_features: { entities: [card], mode: upsert, batch: 3 } }
  - run: { name: single, requests: 100, workers: 1, mix: [ { read_features: { entities: [card] } } ] }
"#;
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(tmp.path(), "ops", yaml);
    let out = tmp.path().join("out");
    bin().args(["run", "-q"]).arg(&sc).arg("--out").arg(&out).assert().success();
    let dir = run_dir(&out, "ops");
    let r: RunReport = serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    let row = r.rows.iter().find(|x| x.phase == "mixed").unwrap();
    let ops: Vec<_> = r.operations.iter().filter(|o| o.phase == "mixed").collect();
    let names: Vec<&str> = ops.iter().map(|o| o.op.as_str()).collect();
    // Numbered as in the mix; an entry of weight 0 never runs and has no row.
    assert_eq!(names, ["#1 read card (serial)", "#3 write card (upsert, batch 3)"]);
    // Every request is counted under exactly one op, in the weights' proportions.
    assert_eq!(ops.iter().map(|o| o.requests).sum::<u64>(), row.requests);
    assert_eq!(ops.iter().map(|o| o.errors).sum::<u64>(), row.errors);
    let share = ops[0].requests as f64 / row.requests as f64;
    assert!((share - 0.8).abs() < 0.05, "{share}");
    // The phase's latency is the ops' together: its max is one op's, its median between theirs.
    let max = ops.iter().filter_map(|o| o.max_ms).fold(0.0, f64::max);
    assert!((max - row.latency.max_ms).abs() <= row.latency.max_ms * 0.01, "{max} vs {}", row.latency.max_ms);
    let (a, b) = (ops[0].p50_ms.unwrap(), ops[1].p50_ms.unwrap());
    let (lo, hi) = (a.min(b), a.max(b));
    assert!(row.latency.p50_ms >= lo * 0.99 && row.latency.p50_ms <= hi * 1.01, "{lo} {} {hi}", row.latency.p50_ms);
    // A one-op phase's figures are that op's: no per-op rows.
    assert!(!r.operations.iter().any(|o| o.phase == "single"));
    let md = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(md.contains("## Per operation") && md.contains("| local | mixed | - | #3 write card (upsert, batch 3) | "), "{md}");
    // The share is a percentage, as in the other breakdowns.
    let line = md.lines().find(|l| l.starts_with("| local | mixed | - | #1 read card (serial) | ")).unwrap();
    let shown = line.split(" | ").nth(5).unwrap();
    assert_eq!(shown, format!("{:.2} %", share * 100.0), "{line}");
}

/// The split by number of hot entities: every successful request in one
/// row by its entities and hot entities, the rows of none and all hot are
/// the breakdown's cold and hot segments, and the cache score is hot / entities.
#[test]
fn requests_are_split_by_their_number_of_hot_entities() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(tmp.path(), "split", &noop("split", "", "      requests: 4000\n      workers: 2", ""));
    let out = tmp.path().join("out");
    bin().args(["run", "-q"]).arg(&sc).arg("--out").arg(&out).assert().success();
    let dir = run_dir(&out, "split");
    let r: RunReport = serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    let split: Vec<_> = r.hot_split.iter().filter(|h| h.phase == "run").collect();
    assert_eq!(split.iter().map(|h| (h.entities, h.hot_entities)).collect::<Vec<_>>(), [(2, 0), (2, 1), (2, 2)], "{split:?}");
    assert_eq!(split.iter().map(|h| h.requests).sum::<u64>(), 4000);
    assert!((split.iter().map(|h| h.share).sum::<f64>() - 1.0).abs() < 1e-9);
    assert_eq!(split.iter().map(|h| h.cache_score).collect::<Vec<_>>(), [0.0, 0.5, 1.0]);
    let segment = |s: &str| r.breakdown.iter().find(|b| b.segment.as_deref() == Some(s)).map_or(0, |b| b.requests);
    assert_eq!(split[0].requests, segment("cold"));
    assert_eq!(split[1].requests, segment("mixed"));
    assert_eq!(split[2].requests, segment("hot"));
    // Each entity draws a hot key about half the time (hot_traffic 0.5): one of two is the commonest.
    assert!(split[1].share > 0.4 && split[1].share < 0.6, "{split:?}");
    let md = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(md.contains("| backend | phase | cell | entities | hot | cold | cache score |"), "{md}");
    assert!(md.contains(&format!("| dry | run | - | 2 | 1 | 1 | 0.50 | {} |", split[1].requests)), "{md}");
    assert!(md.contains("Correlation of response time with the cache score"), "{md}");
}
