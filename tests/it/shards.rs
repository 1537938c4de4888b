//! Sharded runs as local processes: `benchplan setup` once, four
//! `run --shard i/4` started together with `--start-at`, `benchplan merge`;
//! the merged run against a single-process run of the same scenario.

use crate::common::*;
use std::path::{Path, PathBuf};
use std::process::Command as Std;

/// Runs the four shards of `sc` together (one `--start-at` a few seconds
/// ahead), each into `out/s<i>`, and returns their run folders.
fn shards(sc: &Path, out: &Path, sets: &[String], n: u32) -> Vec<PathBuf> {
    let at = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 4;
    let children: Vec<_> = (0..n)
        .map(|i| {
            let mut c = Std::new(assert_cmd::cargo::cargo_bin("benchplan"));
            c.current_dir(root()).args(["run", "-q"]).arg(sc).args(["--shard", &format!("{i}/{n}"), "--start-at", &at.to_string()]);
            for s in sets {
                c.args(["--set", s]);
            }
            c.arg("--out").arg(out.join(format!("s{i}"))).output_later()
        })
        .collect();
    children
        .into_iter()
        .enumerate()
        .map(|(i, ch)| {
            let o = ch.wait_with_output().unwrap();
            assert_eq!(o.status.code(), Some(0), "shard {i}: {}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
            let name = std::fs::read_dir(out.join(format!("s{i}"))).unwrap().next().unwrap().unwrap().file_name();
            run_dir(&out.join(format!("s{i}")), name.to_str().unwrap())
        })
        .collect()
}

trait Later {
    fn output_later(&mut self) -> std::process::Child;
}

impl Later for Std {
    fn output_later(&mut self) -> std::process::Child {
        self.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap()
    }
}

fn run_json(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap()
}

/// (phase, requests, errors, p50_ms, p99_ms) of each result row.
fn rows(dir: &Path) -> Vec<(String, u64, u64, f64, f64)> {
    let j = run_json(dir);
    j["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["phase"].as_str().unwrap().to_string(),
                r["requests"].as_u64().unwrap(),
                r["errors"].as_u64().unwrap(),
                r["p50_ms"].as_f64().unwrap(),
                r["p99_ms"].as_f64().unwrap(),
            )
        })
        .collect()
}

/// Requests per op of each phase (operations.csv): the mix each request index drew.
fn ops(dir: &Path) -> Vec<(String, String, u64)> {
    let (h, rows) = read_csv(&dir.join("operations.csv"));
    rows.iter().map(|r| (r[col(&h, "phase")].clone(), r[col(&h, "op")].clone(), num(r, &h, "requests") as u64)).collect()
}

/// The shards' response-time histograms of `phase`, added by hand.
fn by_hand(shards: &[PathBuf], phase: &str) -> hdrhistogram::Histogram<u64> {
    let mut sum: Option<hdrhistogram::Histogram<u64>> = None;
    for s in shards {
        let j = run_json(s);
        let rec = j["histograms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["phase"] == phase && h["measure"] == "response")
            .unwrap_or_else(|| panic!("{} has no {phase} histogram", s.display()));
        let h = benchplan::report::hgrm::decode(rec["data"].as_str().unwrap()).unwrap();
        match &mut sum {
            Some(acc) => acc.add(&h).unwrap(),
            None => sum = Some(h),
        }
    }
    sum.unwrap()
}

fn merge(args: &[&Path], out: &Path, extra: &[&str]) -> std::process::Output {
    let mut c = bin();
    c.arg("merge");
    for a in args {
        c.arg(a);
    }
    c.arg("--out").arg(out).args(extra);
    c.output().unwrap()
}

fn text(o: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

const NOOP: &str = r#"version: 1
name: shardnoop
seed: 11
backends:
  dry: { kind: noop, latency: { median: 200us, p99: 2ms } }
dataset:
  entities:
    card: { keys: 5000, key: int }
    email: { keys: 5000, key: string }
  tables:
    - { name: "card_f{i}", entity: card, count: 2, features: 3 }
    - { name: "email_f{i}", entity: email, count: 2, features: 3 }
setup:
  - create: {}
  - load: {}
phases:
  - run:
      name: open
      requests: 1203
      rate: 600
      workers: 6
      keys: { distribution: zipfian, theta: 0.9 }
      mix:
        - read_features: { entities: [card, email], fetch: packed }
  - run:
      name: closed
      requests: 4001
      workers: 6
      keys: { distribution: hotspot, hot_keys: 0.01, hot_traffic: 0.8 }
      mix:
        - { weight: 7, read_features: { entities: [card, email], fetch: packed } }
        - { weight: 2, read_features: { entities: [card], fetch: serial } }
        - { weight: 1, write_features: { entities: [email], mode: upsert, batch: 3 } }
checks:
  - error_rate == 0
  - p99_ms < 500
"#;

#[test]
fn four_noop_shards_merge_into_the_single_process_run() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(tmp.path(), "shardnoop", NOOP);
    let out = tmp.path().join("out");
    let o = bin().args(["setup", "-q"]).arg(&sc).arg("--out").arg(out.join("setup")).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let setup = run_dir(&out.join("setup"), "shardnoop");
    assert_eq!(run_json(&setup)["only"], "setup");
    assert!(run_json(&setup)["rows"].as_array().unwrap().is_empty(), "setup runs no phase");

    let parts = shards(&sc, &out, &[], 4);
    for (i, p) in parts.iter().enumerate() {
        let j = run_json(p);
        assert_eq!(j["shard"]["index"], i as u64);
        assert_eq!(j["shard"]["count"], 4);
        assert!(j["shard"]["start_at_utc"].is_string(), "{}", j["shard"]);
        assert!(j["setup"].as_array().unwrap().is_empty(), "a shard never sets up");
        // 6 workers over 4 shards: 2, 2, 1, 1.
        assert_eq!(j["rows"][0]["workers"], if i < 2 { 2 } else { 1 });
        assert!(j["timeseries"].as_array().unwrap().iter().all(|t| t["unix_s"].is_u64()));
    }
    let merged = tmp.path().join("merged");
    let mut args: Vec<&Path> = parts.iter().map(PathBuf::as_path).collect();
    args.push(&setup);
    let o = merge(&args, &merged, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    let o = bin().args(["run", "-q"]).arg(&sc).arg("--out").arg(out.join("single")).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let single = run_dir(&out.join("single"), "shardnoop");

    // The same requests, errors and mix per phase as one process.
    let (m, s) = (rows(&merged), rows(&single));
    assert_eq!(m.iter().map(|r| (&r.0, r.1, r.2)).collect::<Vec<_>>(), s.iter().map(|r| (&r.0, r.1, r.2)).collect::<Vec<_>>());
    assert_eq!(m.iter().map(|r| r.1).collect::<Vec<_>>(), vec![1203, 4001]);
    assert_eq!(ops(&merged), ops(&single), "each request index drew the same op");
    // Percentiles: those of the shards' histograms added by hand.
    for (phase, _, _, p50, p99) in &m {
        let h = by_hand(&parts, phase);
        assert_eq!(h.len(), m.iter().find(|r| &r.0 == phase).unwrap().1);
        assert_eq!(*p50, h.value_at_quantile(0.5) as f64 / 1e6, "{phase} p50");
        assert_eq!(*p99, h.value_at_quantile(0.99) as f64 / 1e6, "{phase} p99");
    }
    let j = run_json(&merged);
    // Every shard's per-second requests are in the merged series.
    for phase in ["open", "closed"] {
        let ts: u64 =
            j["timeseries"].as_array().unwrap().iter().filter(|t| t["phase"] == phase).map(|t| t["requests"].as_u64().unwrap()).sum();
        assert_eq!(ts, m.iter().find(|r| r.0 == phase).unwrap().1, "{phase}");
    }
    assert_eq!(j["rows"][0]["workers"], 6);
    assert_eq!(j["rows"][0]["target_rps"], 600.0);
    assert_eq!(j["merged"]["count"], 4);
    assert_eq!(j["merged"]["shards"].as_array().unwrap().len(), 4);
    assert_eq!(j["setup"].as_array().unwrap().len(), run_json(&setup)["setup"].as_array().unwrap().len());
    assert!(j["measured"].is_null(), "a merged run keeps no raw measurements");
    assert_eq!(j["checks"].as_array().unwrap().len(), 4);
    let summary = std::fs::read_to_string(merged.join("summary.md")).unwrap();
    assert!(summary.contains("**Merged from 4 of 4 shards**"), "{summary}");
    for f in ["results.csv", "breakdown.csv", "timeseries.csv", "operations.csv", "latency/dry_open.hgrm", "charts/latency-open.svg"] {
        assert!(merged.join(f).is_file(), "{f}");
    }
    println!("single:\n{}", std::fs::read_to_string(single.join("results.csv")).unwrap());
    println!("merged:\n{}", std::fs::read_to_string(merged.join("results.csv")).unwrap());

    // `report` and `compare` read a merged run like any other.
    let before = std::fs::read(merged.join("summary.md")).unwrap();
    let o = bin().arg("report").arg(&merged).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(std::fs::read(merged.join("summary.md")).unwrap(), before, "report rebuilds the merged summary byte for byte");
    let o = bin().arg("compare").arg(&single).arg(&merged).output().unwrap();
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("closed"), "{}", text(&o));

    // A missing shard is refused, or merged and said so.
    let three: Vec<&Path> = parts[..3].iter().map(PathBuf::as_path).collect();
    let o = merge(&three, &tmp.path().join("m3"), &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("shard(s) 3 of 4 missing"), "{}", text(&o));
    let o = merge(&three, &tmp.path().join("m3"), &["--allow-missing"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let s3 = std::fs::read_to_string(tmp.path().join("m3/summary.md")).unwrap();
    assert!(s3.contains("**Shards missing: 3**"), "{s3}");
    assert_eq!(run_json(&tmp.path().join("m3"))["merged"]["missing"], serde_json::json!([3]));
    // A shard twice.
    let twice: Vec<&Path> = vec![&parts[0], &parts[1], &parts[1], &parts[2], &parts[3]];
    let o = merge(&twice, &tmp.path().join("m5"), &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("shard 1 given twice"), "{}", text(&o));
    // The output folder of a run already.
    let o = merge(&args, &merged, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn shards_of_different_scenarios_or_bad_shard_options_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let small = NOOP.replace("requests: 4001", "requests: 41").replace("requests: 1203", "requests: 12").replace("rate: 600", "rate: 200");
    let a = scenario(tmp.path(), "a", &small);
    let b = scenario(tmp.path(), "b", &small.replace("seed: 11", "seed: 12"));
    let out = tmp.path().join("out");
    let pa = shards(&a, &out.join("a"), &[], 2);
    let pb = shards(&b, &out.join("b"), &[], 2);
    let o = merge(&[&pa[0], &pb[1]], &tmp.path().join("m"), &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("shards of different scenarios"), "{}", text(&o));
    assert!(!tmp.path().join("m").exists(), "nothing written");
    // A whole run is not a shard.
    let o = bin().args(["run", "-q"]).arg(&a).arg("--out").arg(out.join("whole")).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let whole = run_dir(&out.join("whole"), "shardnoop");
    let o = merge(&[&pa[0], &whole], &tmp.path().join("m"), &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("a whole run, not a shard"), "{}", text(&o));
    for (args, want) in [
        (vec!["--shard", "4/4"], "expected I/N with 0 <= I < N"),
        (vec!["--shard", "0/0"], "expected I/N with 0 <= I < N"),
        (vec!["--shard", "x"], "expected I/N with 0 <= I < N"),
        (vec!["--start-at", "2020-01-01T00:00:00Z"], "--start-at 2020-01-01T00:00:00Z was"),
        (vec!["--start-at", "soon"], "expected a UTC time"),
    ] {
        let o = bin().args(["run", "-q"]).arg(&a).args(&args).arg("--out").arg(out.join("bad")).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(want), "{args:?}: {}", text(&o));
    }
    let o = bin().args(["setup", "-q"]).arg(&a).args(["--shard", "0/2"]).arg("--out").arg(out.join("bad")).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--shard is an option of `run`"), "{}", text(&o));
}

#[test]
fn four_sqlite_shards_send_the_keys_one_process_sends() {
    // Every request adds 1 to f1 of its key's row: after the run, the table
    // holds how often each key was sent (as tests/it/run.rs's key test).
    let tmp = tempfile::tempdir().unwrap();
    let text_sc = r#"version: 1
name: shardkeys
seed: 5
params: { db: x.db }
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
teardown:
  - drop: {}
phases:
  - run:
      requests: 2001
      workers: 4
      keys: { distribution: zipfian, theta: 0.9 }
      mix:
        - statement:
            name: count_key
            sql: "UPDATE {{ table('card_f0') }} SET f1 = f1 + 1 WHERE pk = {{ bind(key.card) }}"
"#;
    let sc = scenario(tmp.path(), "shardkeys", text_sc);
    let out = tmp.path().join("out");
    let (one, four) = (tmp.path().join("one.db"), tmp.path().join("four.db"));
    let set = |db: &Path| format!("db={}", db.display());
    // One process, without teardown (so the table can be read).
    let mut single_sc = text_sc.replace("teardown:\n  - drop: {}\n", "");
    single_sc = single_sc.replace("name: shardkeys", "name: shardkeys1");
    let sc1 = scenario(tmp.path(), "shardkeys1", &single_sc);
    let o = bin().args(["run", "-q"]).arg(&sc1).args(["--set", &set(&one)]).arg("--out").arg(out.join("single")).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // Setup once, four shards together, merge.
    let o = bin().args(["setup", "-q"]).arg(&sc).args(["--set", &set(&four)]).arg("--out").arg(out.join("setup")).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let parts = shards(&sc, &out, &[set(&four)], 4);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let counts = |db: &Path| -> Vec<(i64, i64)> {
        rt.block_on(async {
            let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display())).await.unwrap();
            let rows = sqlx::query_as("SELECT pk, f1 FROM card_f0 ORDER BY pk").fetch_all(&pool).await.unwrap();
            pool.close().await;
            rows
        })
    };
    let (a, b) = (counts(&one), counts(&four));
    assert_eq!(a.len(), 300);
    assert_eq!(a, b, "every key sent as often by the four shards as by one process");
    let merged = tmp.path().join("merged");
    let mut args: Vec<&Path> = parts.iter().map(PathBuf::as_path).collect();
    let setup = run_dir(&out.join("setup"), "shardkeys");
    args.push(&setup);
    let o = merge(&args, &merged, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let m = rows(&merged);
    assert_eq!((m[0].1, m[0].2), (2001, 0));
    let h = by_hand(&parts, &m[0].0);
    assert_eq!(m[0].4, h.value_at_quantile(0.99) as f64 / 1e6);
    // Teardown once, after.
    let o = bin().args(["teardown", "-q"]).arg(&sc).args(["--set", &set(&four)]).arg("--out").arg(out.join("teardown")).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let td = run_json(&run_dir(&out.join("teardown"), "shardkeys"));
    assert_eq!(td["only"], "teardown");
    assert_eq!(td["setup"][0]["step"], "drop");
}

#[test]
fn an_open_loop_stall_shows_in_the_merged_response_times() {
    // The noop backend stops answering 1 s into the phase for 1 s, in every
    // shard: requests due meanwhile wait, and their response time (from the
    // one schedule's due time) must carry that wait into the merged figures.
    let tmp = tempfile::tempdir().unwrap();
    let text_sc = NOOP
        .replace("latency: { median: 200us, p99: 2ms }", "stall: { at: 1s, for: 1s }")
        .replace("requests: 1203\n      rate: 600", "requests: 1200\n      rate: 400")
        .replace("requests: 4001", "requests: 40");
    let sc = scenario(tmp.path(), "shardnoop", &text_sc);
    let out = tmp.path().join("out");
    let parts = shards(&sc, &out, &[], 4);
    let merged = tmp.path().join("merged");
    let args: Vec<&Path> = parts.iter().map(PathBuf::as_path).collect();
    let o = merge(&args, &merged, &[]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", text(&o));
    let m = rows(&merged);
    let open = m.iter().find(|r| r.0 == "open").unwrap();
    assert_eq!(open.1, 1200);
    assert!(open.4 >= 800.0, "merged p99 {} ms hides the 1 s stall", open.4);
    assert_eq!(open.4, by_hand(&parts, "open").value_at_quantile(0.99) as f64 / 1e6);
    println!("stall: merged open p50 {} ms, p99 {} ms", open.3, open.4);
}

#[test]
#[cfg(feature = "postgres")]
#[ignore = "needs servers: scripts/test runs it"]
fn four_postgres_shards_send_the_keys_one_process_sends() {
    // As the SQLite test, on PostgreSQL: every request adds 1 to its key's row.
    let url = server_env("BENCHPLAN_TEST_PG_URL");
    let tmp = tempfile::tempdir().unwrap();
    let text_sc = format!(
        r#"version: 1
name: pgshards
seed: 9
params: {{ t: bpsh_x }}
backends:
  pg: {{ kind: postgres, url: "{url}" }}
dataset:
  entities:
    card: {{ keys: 300, key: int }}
  tables:
    - {{ name: "${{t}}", entity: card, features: 2, types: int }}
setup:
  - create: {{}}
  - load: {{}}
phases:
  - run:
      requests: 2001
      workers: 4
      keys: {{ distribution: zipfian, theta: 0.9 }}
      mix:
        - statement:
            name: count_key
            sql: "UPDATE {{{{ table('${{t}}') }}}} SET f1 = f1 + 1 WHERE pk = {{{{ bind(key.card) }}}}"
"#
    );
    let sc = scenario(tmp.path(), "pgshards", &text_sc);
    let out = tmp.path().join("out");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let counts = |table: &str| -> Vec<(i64, i64)> {
        rt.block_on(async {
            let pool = sqlx::PgPool::connect(&url).await.unwrap();
            let q = format!("SELECT pk, f1 FROM {table} ORDER BY pk");
            let rows = sqlx::query_as(sqlx::AssertSqlSafe(q)).fetch_all(&pool).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP TABLE {table}"))).execute(&pool).await.unwrap();
            pool.close().await;
            rows
        })
    };
    // One process (the same table name, so the same loaded values), read, dropped.
    let set = "t=bpsh_keys".to_string();
    let o = bin().args(["run", "-q"]).arg(&sc).args(["--set", &set]).arg("--out").arg(out.join("single")).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let one = counts("bpsh_keys");
    // Setup once, four shards together, read, dropped.
    let o = bin().args(["setup", "-q"]).arg(&sc).args(["--set", &set]).arg("--out").arg(out.join("setup")).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let parts = shards(&sc, &out, std::slice::from_ref(&set), 4);
    let four = counts("bpsh_keys");
    assert_eq!(one.len(), 300);
    assert_eq!(one, four, "every key sent as often by the four shards as by one process");
    let merged = tmp.path().join("merged");
    let setup = run_dir(&out.join("setup"), "pgshards");
    let mut args: Vec<&Path> = parts.iter().map(PathBuf::as_path).collect();
    args.push(&setup);
    let o = merge(&args, &merged, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let m = rows(&merged);
    assert_eq!((m[0].1, m[0].2), (2001, 0));
    let h = by_hand(&parts, &m[0].0);
    assert_eq!(m[0].4, h.value_at_quantile(0.99) as f64 / 1e6, "merged P99 = the P99 of the shards' histograms added by hand");
}
