//! The redis kind against a real Redis: BENCHPLAN_TEST_REDIS_URL (scripts/test
//! sets it: the server at 127.0.0.1:6379, else a throwaway redis-server).
//! Every test writes under its own key prefix and deletes only that; the
//! fault tests start their own throwaway redis-server.

use crate::common::*;
use benchplan::dataset::DataModel;
use benchplan::scenario::{load_file, LoadOptions};
use redis::Commands;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) fn redis_url() -> String {
    server_env("BENCHPLAN_TEST_REDIS_URL")
}

/// A prefix no other test (or run of this one) shares.
pub(crate) fn unique_prefix(test: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("bptest:{test}:{}:{nanos}:", std::process::id())
}

pub(crate) fn conn(url: &str) -> redis::Connection {
    redis::Client::open(url).unwrap().get_connection().unwrap()
}

pub(crate) fn keys_under(c: &mut redis::Connection, prefix: &str) -> Vec<String> {
    let pattern = format!("{}*", prefix.replace('*', "\\*"));
    c.scan_match::<_, String>(pattern).unwrap().map(|k| k.unwrap()).collect()
}

/// Deletes the prefix's keys when dropped (a failed assertion must not leave them).
pub(crate) struct Cleanup(String, String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Ok(client) = redis::Client::open(self.0.as_str()) {
            if let Ok(mut c) = client.get_connection() {
                let keys = keys_under(&mut c, &self.1);
                if !keys.is_empty() {
                    let _: Result<(), _> = c.del(keys);
                }
            }
        }
    }
}

/// Runs a scenario file; returns (exit code, stdout, stderr).
pub(crate) fn run(sc: &Path, out: &Path, url: &str) -> (Option<i32>, String, String) {
    let a = bin().args(["run", "-q"]).arg(sc).arg("--set").arg(format!("url={url}")).arg("--out").arg(out).assert();
    let o = a.get_output();
    (o.status.code(), String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

/// results.csv's row of `phase`: (header, row).
pub(crate) fn phase_row(dir: &Path, phase: &str) -> (Vec<String>, Vec<String>) {
    let (h, rows) = read_csv(&dir.join("results.csv"));
    let r = rows.iter().find(|r| r[col(&h, "phase")] == phase).unwrap_or_else(|| panic!("no {phase} row: {rows:?}")).clone();
    (h, r)
}

pub(crate) fn kv_scenario(name: &str, prefix: &str) -> String {
    format!(
        r#"version: 1
name: {name}
seed: 9
params: {{ url: x }}
backends:
  r:
    kind: redis
    url: ${{url}}
    key_prefix: "{prefix}"
dataset:
  entities:
    k: {{ keys: 500, key: int }}
  tables:                       # not loaded: the kv phases use the entity's keys only
    - {{ name: unused, entity: k, features: 1 }}
phases:
  - run:
      name: set
      requests: 500
      workers: 2
      keys: {{ distribution: sequential }}
      mix:
        - kv: {{ command: set, value_size: 64 }}
  - run:
      name: get
      requests: 400
      workers: 3
      mix:
        - kv: {{ command: get }}
  - run:
      name: incr
      requests: 1000
      workers: 2
      keys: {{ distribution: sequential }}
      mix:
        - kv: {{ command: incr }}
  - run:
      name: mixed
      requests: 600
      workers: 2
      mix:
        - {{ name: s, kv: {{ command: set, value_size: 64, ttl: 1h }} }}
        - {{ name: g, kv: {{ command: get, pipeline: 4 }} }}
  - run:
      name: mget
      requests: 100
      mix:
        - kv: {{ command: mget, keys: 5 }}
  - run:
      name: mset
      requests: 50
      keys: {{ distribution: sequential }}
      mix:
        - kv: {{ command: mset, keys: 4, value_size: 10, pipeline: 2 }}
  - run:
      name: del
      requests: 80
      keys: {{ distribution: sequential }}
      mix:
        - kv: {{ command: del, keys: 5 }}
checks:
  - error_rate == 0
"#
    )
}

#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn kv_commands_do_what_they_say_and_count_the_keys_they_touch() {
    let url = redis_url();
    let prefix = unique_prefix("kv");
    let _clean = Cleanup(url.clone(), prefix.clone());
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(tmp.path(), "rkv", &kv_scenario("rkv", &prefix));
    let out = tmp.path().join("out");
    let (code, so, se) = run(&sc, &out, &url);
    assert_eq!(code, Some(0), "{so}\n{se}");
    let dir = run_dir(&out, "rkv");
    let per = |phase: &str, requests: f64| -> f64 {
        let (h, r) = phase_row(&dir, phase);
        assert_eq!(num(&r, &h, "requests"), requests, "{phase}: {r:?}");
        assert_eq!(num(&r, &h, "errors"), 0.0, "{phase}: {r:?}");
        num(&r, &h, "rows_per_request")
    };
    // SET wrote every one of the 500 keys (sequential), so every GET finds one.
    assert_eq!(per("set", 500.0), 1.0);
    assert_eq!(per("get", 400.0), 1.0);
    assert_eq!(per("incr", 1000.0), 1.0);
    // Half the requests set one key, half get four in one pipeline.
    let mixed = per("mixed", 600.0);
    assert!(mixed > 2.0 && mixed < 3.0, "between 1 and 4 keys per request: {mixed}");
    assert_eq!(per("mget", 100.0), 5.0);
    assert_eq!(per("mset", 50.0), 8.0);
    // DEL of keys 0..400 (5 a request, sequential): each removed once.
    assert_eq!(per("del", 80.0), 5.0);

    let mut c = conn(&url);
    // 1000 sequential INCRs over 500 counters: each counter is 2.
    for i in [0, 1, 250, 499] {
        let v: i64 = c.get(format!("{prefix}counter:{i}")).unwrap();
        assert_eq!(v, 2, "counter {i}");
    }
    // The DEL phase removed keys 0..400; 400..500 are left, some last written by
    // the mixed phase's SET ... PX 3600000, the others by the set phase (no TTL).
    let mut values: Vec<String> = keys_under(&mut c, &format!("{prefix}kv:"));
    values.sort();
    assert_eq!(values.len(), 100, "{values:?}");
    assert!(values.iter().all(|k| k[prefix.len() + 3..].parse::<u64>().is_ok_and(|i| (400..500).contains(&i))), "{values:?}");
    let ttls: Vec<i64> = values.iter().map(|k| c.pttl(k).unwrap()).collect();
    assert!(ttls.iter().any(|t| (1..=3_600_000).contains(t)), "some keys expire within an hour: {ttls:?}");
    assert!(ttls.contains(&-1), "keys only the set phase wrote have no TTL: {ttls:?}");
    assert_eq!(keys_under(&mut c, &format!("{prefix}counter:")).len(), 500);
}

pub(crate) fn features_scenario(name: &str, prefix: &str, layout: &str) -> String {
    format!(
        r#"version: 1
name: {name}
seed: 21
params: {{ url: x }}
backends:
  r:
    kind: redis
    url: ${{url}}
    key_prefix: "{prefix}"
    layout: {layout}
dataset:
  entities:
    card: {{ keys: 800, key: string }}
    user: {{ keys: 600, key: int }}
  tables:
    - {{ name: "card_f{{i}}", entity: card, count: 3, features: 4, types: mixed }}
    - {{ name: "user_f{{i}}", entity: user, count: 2, features: 3, rows: 500 }}
setup:
  - create: {{}}
  - load: {{ batch: 100, workers: 3 }}
phases:
  - run:
      name: packed
      requests: 300
      workers: 4
      keys: {{ distribution: zipfian }}
      mix:
        - read_features: {{ entities: [card], fetch: packed }}
  - run:
      name: serial
      requests: 200
      workers: 2
      mix:
        - read_features: {{ entities: [card], fetch: serial }}
  - run:
      name: parallel3
      requests: 100
      workers: 2
      mix:
        - read_features: {{ entities: [card], fetch: parallel, keys_per_table: 3 }}
  - run:
      name: insert
      requests: 50
      workers: 2
      mix:
        - write_features: {{ entities: [user], mode: insert, batch: 2 }}
checks:
  - error_rate == 0
"#
    )
}

/// Loads, reads and writes in `layout`; then compares every loaded card
/// row in Redis with the data model, decoded to the model's types.
fn feature_values_match_the_data_model(layout: &str) {
    let url = redis_url();
    let prefix = unique_prefix(layout);
    let _clean = Cleanup(url.clone(), prefix.clone());
    let tmp = tempfile::tempdir().unwrap();
    let name = format!("rfeat_{layout}");
    let sc = scenario(tmp.path(), &name, &features_scenario(&name, &prefix, layout));
    let out = tmp.path().join("out");
    let (code, so, se) = run(&sc, &out, &url);
    assert_eq!(code, Some(0), "{so}\n{se}");
    let dir = run_dir(&out, &name);
    let per = |phase: &str| {
        let (h, r) = phase_row(&dir, phase);
        assert_eq!(num(&r, &h, "errors"), 0.0, "{phase}: {r:?}");
        num(&r, &h, "rows_per_request")
    };
    assert_eq!(per("packed"), 3.0, "one row per card table");
    assert_eq!(per("serial"), 3.0);
    assert_eq!(per("parallel3"), 9.0, "3 keys x 3 tables");
    assert_eq!(per("insert"), 4.0, "2 user tables x batch 2");
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(summary.contains("| r | load | 3400 |"), "rows loaded = 3 x 800 + 2 x 500: {summary}");

    let r = load_file(&sc, &LoadOptions { sets: vec![format!("url={url}")], ..Default::default() }).unwrap();
    let model = DataModel::new(r.first().seed, &r.first().dataset);
    let mut c = conn(&url);
    let mut checked = 0;
    for (ti, t) in model.tables.iter().enumerate().filter(|(_, t)| t.entity == 0) {
        for idx in (0..t.rows).step_by(7) {
            let key = model.entities[0].key(idx).to_string();
            let single = layout == "single_table";
            let hash = if single { format!("{prefix}card:{key}") } else { format!("{prefix}{}:{key}", t.name) };
            let field = |f: &str| if single { format!("{}.{f}", t.name) } else { f.to_string() };
            let fields: std::collections::HashMap<String, String> = c.hgetall(&hash).unwrap();
            for (col, column) in t.columns.iter().enumerate() {
                let text = fields.get(&field(&column.name)).unwrap_or_else(|| panic!("{hash}: no {}", column.name));
                let value =
                    benchplan::backend::redis::decode(column.ty, text).unwrap_or_else(|| panic!("{hash}.{}: {text:?}", column.name));
                assert_eq!(value, t.value(idx, col, 0), "table {ti} key {idx} column {}", column.name);
                checked += 1;
            }
        }
    }
    assert!(checked > 1000, "{checked} values checked");
    // The inserted users are beyond the loaded key space, with their own values.
    let users = keys_under(&mut c, &format!("{prefix}user"));
    let expected = if layout == "single_table" { 500 + 100 } else { 2 * (500 + 100) };
    assert_eq!(users.len(), expected, "loaded plus inserted user rows");
}

#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn feature_values_in_hashes_per_table_are_the_data_models() {
    feature_values_match_the_data_model("table_per_table");
}

#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn feature_values_in_one_hash_per_entity_are_the_data_models() {
    feature_values_match_the_data_model("single_table");
}

#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn drop_deletes_the_prefixed_keys_and_nothing_else() {
    let url = redis_url();
    let prefix = unique_prefix("drop");
    let _clean = Cleanup(url.clone(), prefix.trim_end_matches(':').to_string());
    let mut c = conn(&url);
    // Outside the prefix: a key that shares all of it but its last character, and one elsewhere.
    let near = format!("{}-not-ours", prefix.trim_end_matches(':'));
    let foreign = format!("bptest:foreign:{}", std::process::id());
    let _: () = c.set(&near, "keep").unwrap();
    let _: () = c.set(&foreign, "keep").unwrap();
    let text = features_scenario("rdrop", &prefix, "table_per_table").replace("checks:", "teardown:\n  - drop: {}\nchecks:");
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(tmp.path(), "rdrop", &text);
    let (code, so, se) = run(&sc, &tmp.path().join("out"), &url);
    assert_eq!(code, Some(0), "{so}\n{se}");
    assert!(keys_under(&mut c, &prefix).is_empty(), "drop left keys under {prefix}");
    let near_v: Option<String> = c.get(&near).unwrap();
    let foreign_v: Option<String> = c.get(&foreign).unwrap();
    let _: () = c.del(&[&near, &foreign]).unwrap();
    assert_eq!((near_v.as_deref(), foreign_v.as_deref()), (Some("keep"), Some("keep")), "keys outside the prefix survive");
}

#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn an_unreachable_server_exits_3_naming_host_and_port_but_no_secret() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("redis://alice:s3cretpw@127.0.0.1:{port}/0");
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(tmp.path(), "runreach", &kv_scenario("runreach", "bptest:unreachable:"));
    let t0 = Instant::now();
    let (code, so, se) = run(&sc, &tmp.path().join("out"), &url);
    eprintln!("exit after {:?}", t0.elapsed());
    assert_eq!(code, Some(3), "{so}\n{se}");
    let all = format!("{so}\n{se}");
    assert!(all.contains(&format!("cannot connect to Redis at 127.0.0.1:{port}")), "{all}");
    assert!(!all.contains("s3cretpw") && !all.contains("alice"), "no secret in the output: {all}");
    for f in walk(&tmp.path().join("out")) {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        assert!(!text.contains("s3cretpw") && !text.contains("alice"), "{} holds a secret", f.display());
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// A throwaway redis-server on a free port, killed when dropped.
struct Throwaway {
    child: std::process::Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Throwaway {
    fn start(test: &str) -> Throwaway {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let dir = tempfile::tempdir().unwrap();
        let child = Self::spawn(port, dir.path())
            .unwrap_or_else(|e| panic!("{test}: cannot start redis-server: {e} (install the Debian package redis-server)"));
        let t = Throwaway { child, port, dir };
        t.wait_ready(test);
        t
    }

    fn spawn(port: u16, dir: &Path) -> std::io::Result<std::process::Child> {
        Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
    }

    fn wait_ready(&self, test: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(mut c) = redis::Client::open(self.url().as_str()).and_then(|cl| cl.get_connection()) {
                if redis::cmd("PING").query::<String>(&mut c).is_ok() {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("{test}: redis-server on port {} did not answer", self.port);
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn restart(&mut self, test: &str) {
        self.child = Self::spawn(self.port, self.dir.path()).unwrap();
        self.wait_ready(test);
    }
}

impl Drop for Throwaway {
    fn drop(&mut self) {
        self.kill();
    }
}

fn faults_scenario(name: &str, max_error_rate: &str) -> String {
    format!(
        r#"version: 1
name: {name}
seed: 5
params: {{ url: x }}
backends:
  r:
    kind: redis
    url: ${{url}}
dataset:
  entities:
    card: {{ keys: 1000, key: int }}
  tables:
    - {{ name: "fault_f{{i}}", entity: card, count: 2, features: 3 }}
setup:
  - create: {{}}
  - load: {{}}
phases:
  - run:
      duration: 6s
      workers: 2
      timeout: 1s
      max_error_rate: {max_error_rate}
      mix:
        - {{ weight: 3, read_features: {{ entities: [card], fetch: packed }} }}
        - {{ weight: 1, kv: {{ command: set }} }}
"#
    )
}

/// Starts benchplan on `sc`, kills the server 2 s into the run (the load of
/// 2,000 rows takes well under a second), restarts it after a second when
/// `restart`, and waits for benchplan.
fn run_with_kill(server: &mut Throwaway, sc: &Path, out: &Path, restart: bool, test: &str) -> (Option<i32>, String, String) {
    let logs = tempfile::tempdir().unwrap();
    let (so, se) = (logs.path().join("stdout"), logs.path().join("stderr"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_benchplan"))
        .current_dir(root())
        .args(["run", "-q"])
        .arg(sc)
        .arg("--set")
        .arg(format!("url={}", server.url()))
        .arg("--out")
        .arg(out)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&so).unwrap())
        .stderr(std::fs::File::create(&se).unwrap())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    server.kill();
    if restart {
        std::thread::sleep(Duration::from_secs(1));
        server.restart(test);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("benchplan still running after 60 s\n{}", std::fs::read_to_string(&se).unwrap_or_default());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    (status.code(), read(&so), read(&se))
}

/// Runs the fault scenario `name` on a throwaway server killed 2 s in (and
/// restarted when `restart`): exit code, stdout, stderr, the run folder, and
/// the folder holding it (kept until the caller drops it).
fn killed_run(
    test: &str,
    name: &str,
    max_error_rate: &str,
    restart: bool,
) -> (Option<i32>, String, String, std::path::PathBuf, tempfile::TempDir) {
    let mut server = Throwaway::start(test);
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(tmp.path(), name, &faults_scenario(name, max_error_rate));
    let out = tmp.path().join("out");
    let (code, so, se) = run_with_kill(&mut server, &sc, &out, restart, test);
    let dir = run_dir(&out, name);
    (code, so, se, dir, tmp)
}

/// The summary's Errors table for backend r: (kind, count).
fn error_kinds(summary: &str) -> Vec<(String, u64)> {
    summary
        .lines()
        .skip_while(|l| *l != "## Errors")
        .filter(|l| l.starts_with("| r | "))
        .filter_map(|l| {
            let cells: Vec<&str> = l.trim_start_matches('|').split(" | ").map(str::trim).collect();
            Some((cells.get(3)?.to_string(), cells.get(4)?.parse().ok()?))
        })
        .collect()
}

#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn a_server_killed_mid_phase_stops_it_with_exit_3_connection_errors_and_a_report() {
    let test = "a_server_killed_mid_phase_stops_it_with_exit_3_connection_errors_and_a_report";
    let (code, so, se, dir, _tmp) = killed_run(test, "rkill", "0.1", false);
    assert_eq!(code, Some(3), "the phase stops once most requests fail: exit 3\n{so}\n{se}");
    assert!(so.contains("backend r failed"), "{so}\n{se}");
    let (h, row) = phase_row(&dir, "run");
    let (requests, errors) = (num(&row, &h, "requests"), num(&row, &h, "errors"));
    assert!(errors > 0.0 && requests > errors, "what was measured before the kill is reported: {row:?}");
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    let kinds = error_kinds(&summary);
    eprintln!("errors by kind: {kinds:?}");
    assert!(kinds.iter().any(|k| k.0 == "connection"), "errors by kind include connection: {kinds:?}\n{summary}");
    assert_eq!(kinds.iter().map(|k| k.1).sum::<u64>() as f64, errors, "every error has its kind: {kinds:?}");
}

#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn a_server_restarted_mid_phase_costs_errors_then_the_workers_reconnect() {
    let test = "a_server_restarted_mid_phase_costs_errors_then_the_workers_reconnect";
    let (code, so, se, dir, _tmp) = killed_run(test, "rrestart", "1.0", true);
    assert_eq!(code, Some(0), "max_error_rate 1.0: the run completes\n{so}\n{se}");
    let (h, row) = phase_row(&dir, "run");
    assert!(num(&row, &h, "errors") > 0.0, "the kill produced errors: {row:?}");
    let (th, ts) = read_csv(&dir.join("timeseries.csv"));
    let ok = |r: &Vec<String>| num(r, &th, "requests") - num(r, &th, "errors");
    // The restarted server holds no data: reads find nothing, but succeed; SETs succeed.
    let late: f64 = ts.iter().filter(|r| num(r, &th, "second") >= 4.0).map(ok).sum();
    assert!(late > 0.0, "successful requests after the restart: {ts:?}");
}
