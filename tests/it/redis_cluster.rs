//! The redis kind on a real 3-node Redis Cluster: three throwaway
//! `redis-server --cluster-enabled yes` on free ports, joined with
//! `redis-cli --cluster create`, stopped and deleted afterwards.

use crate::common::*;
use crate::redis::{features_scenario, kv_scenario, phase_row, run, unique_prefix};
use benchplan::dataset::DataModel;
use benchplan::scenario::{load_file, LoadOptions};
use redis::Commands;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Cluster {
    nodes: Vec<std::process::Child>,
    ports: Vec<u16>,
    _dir: tempfile::TempDir,
}

impl Cluster {
    fn start(test: &str) -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let mut nodes = Vec::new();
        for p in &ports {
            let d = dir.path().join(p.to_string());
            std::fs::create_dir(&d).unwrap();
            let child = Command::new("redis-server")
                .args(["--port", &p.to_string(), "--bind", "127.0.0.1", "--cluster-enabled", "yes", "--save", "", "--appendonly", "no"])
                .args(["--cluster-config-file", "nodes.conf"])
                .current_dir(&d)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("{test}: cannot start redis-server: {e} (install the Debian package redis-server)"));
            nodes.push(child);
        }
        let c = Cluster { nodes, ports, _dir: dir };
        for p in &c.ports {
            wait_ping(*p, test);
        }
        let addrs: Vec<String> = c.ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
        let out = Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(&addrs)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .output()
            .unwrap_or_else(|e| panic!("{test}: cannot run redis-cli: {e}"));
        assert!(out.status.success(), "{test}: redis-cli --cluster create failed: {}", String::from_utf8_lossy(&out.stdout));
        c.wait_ok(test);
        c
    }

    fn wait_ok(&self, test: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let ok = self.ports.iter().all(|p| {
                let mut c = crate::redis::conn(&format!("redis://127.0.0.1:{p}"));
                redis::cmd("CLUSTER").arg("INFO").query::<String>(&mut c).is_ok_and(|i| i.contains("cluster_state:ok"))
            });
            if ok {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("{test}: the cluster did not reach cluster_state:ok");
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.ports[0])
    }

    fn keys_per_node(&self) -> Vec<u64> {
        self.ports.iter().map(|p| redis::cmd("DBSIZE").query(&mut crate::redis::conn(&format!("redis://127.0.0.1:{p}"))).unwrap()).collect()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for n in &mut self.nodes {
            let _ = n.kill();
            let _ = n.wait();
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_ping(port: u16, test: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(mut c) = redis::Client::open(format!("redis://127.0.0.1:{port}")).and_then(|c| c.get_connection()) {
            if redis::cmd("PING").query::<String>(&mut c).is_ok() {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{test}: redis-server on {port} did not answer");
}

fn clustered(text: &str) -> String {
    text.replace("    key_prefix:", "    cluster: true\n    key_prefix:")
}

#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn a_three_node_cluster_serves_kv_and_feature_requests_and_drop_empties_every_node() {
    let test = "a_three_node_cluster_serves_kv_and_feature_requests_and_drop_empties_every_node";
    let cluster = Cluster::start(test);
    let url = cluster.url();
    let tmp = tempfile::tempdir().unwrap();

    // kv: the same counts as on one server, multi-key commands across slots included.
    let prefix = unique_prefix("ckv");
    let sc = scenario(tmp.path(), "ckv", &clustered(&kv_scenario("ckv", &prefix)));
    let (code, so, se) = run(&sc, &tmp.path().join("out"), &url);
    assert_eq!(code, Some(0), "{so}\n{se}");
    let dir = run_dir(&tmp.path().join("out"), "ckv");
    for (phase, rows) in [("set", 1.0), ("get", 1.0), ("incr", 1.0), ("mget", 5.0), ("mset", 8.0), ("del", 5.0)] {
        let (h, r) = phase_row(&dir, phase);
        assert_eq!(num(&r, &h, "errors"), 0.0, "{phase}: {r:?}");
        assert_eq!(num(&r, &h, "rows_per_request"), rows, "{phase}: {r:?}");
    }
    let mut cc = redis::cluster::ClusterClient::new(vec![url.as_str()]).unwrap().get_connection().unwrap();
    let v: i64 = cc.get(format!("{prefix}counter:7")).unwrap();
    assert_eq!(v, 2, "1000 sequential INCRs over 500 counters");
    let spread = cluster.keys_per_node();
    assert!(spread.iter().all(|n| *n > 50), "the 500 counters and 100 values are spread over the three nodes: {spread:?}");

    // Features: loaded, read and written through the cluster; values as the model's; drop empties every node.
    let prefix = unique_prefix("cfeat");
    let text = clustered(&features_scenario("cfeat", &prefix, "table_per_table")).replace("checks:", "teardown:\n  - drop: {}\nchecks:");
    let sc = scenario(tmp.path(), "cfeat", &text);
    let out = tmp.path().join("out2");
    let (code, so, se) = run(&sc, &out, &url);
    assert_eq!(code, Some(0), "{so}\n{se}");
    let dir = run_dir(&out, "cfeat");
    for (phase, rows) in [("packed", 3.0), ("serial", 3.0), ("parallel3", 9.0), ("insert", 4.0)] {
        let (h, r) = phase_row(&dir, phase);
        assert_eq!(num(&r, &h, "errors"), 0.0, "{phase}: {r:?}");
        assert_eq!(num(&r, &h, "rows_per_request"), rows, "{phase}: {r:?}");
    }
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(summary.contains("| r | load | 3400 |"), "{summary}");
    let run_json = std::fs::read_to_string(dir.join("run.json")).unwrap();
    assert!(run_json.contains("\"cluster primaries\": \"3\""), "{run_json}");
    // Only the kv run's 500 counters and 100 values are left (its prefix, not the feature run's).
    let left: u64 = cluster.keys_per_node().iter().sum();
    assert_eq!(left, 600, "drop deleted the feature keys on every node, and only them");

    // The values, read back through the cluster: a run without teardown.
    let prefix = unique_prefix("cval");
    let sc = scenario(tmp.path(), "cval", &clustered(&features_scenario("cval", &prefix, "single_table")));
    let (code, so, se) = run(&sc, &tmp.path().join("out3"), &url);
    assert_eq!(code, Some(0), "{so}\n{se}");
    let r = load_file(&sc, &LoadOptions { sets: vec![format!("url={url}")], ..Default::default() }).unwrap();
    let model = DataModel::new(r.first().seed, &r.first().dataset);
    let t = &model.tables[1];
    for idx in [0, 13, 799] {
        let key = model.entities[0].key(idx).to_string();
        let fields: std::collections::HashMap<String, String> = cc.hgetall(format!("{prefix}card:{{{key}}}")).unwrap();
        for (col, column) in t.columns.iter().enumerate() {
            let text = &fields[&format!("{}.{}", t.name, column.name)];
            assert_eq!(benchplan::backend::redis::decode(column.ty, text), Some(t.value(idx, col, 0)), "key {idx} {}", column.name);
        }
    }
}

/// The cluster's node ids, in port order.
fn node_ids(cluster: &Cluster) -> Vec<String> {
    cluster
        .ports
        .iter()
        .map(|p| redis::cmd("CLUSTER").arg("MYID").query(&mut crate::redis::conn(&format!("redis://127.0.0.1:{p}"))).unwrap())
        .collect()
}

/// A SET phase, then GETs for 6 s during which the test moves slots.
fn moved_scenario(prefix: &str) -> String {
    format!(
        r#"version: 1
name: cmoved
seed: 3
params: {{ url: x }}
backends:
  r:
    kind: redis
    url: ${{url}}
    cluster: true
    key_prefix: "{prefix}"
dataset:
  entities:
    k: {{ keys: 3000, key: int }}
  tables:
    - {{ name: unused, entity: k, features: 1 }}
phases:
  - run:
      name: set
      requests: 3000
      workers: 2
      keys: {{ distribution: sequential }}
      mix:
        - kv: {{ command: set, value_size: 32 }}
  - run:
      name: moved
      duration: 6s
      workers: 2
      mix:
        - kv: {{ command: get }}
checks:
  - error_rate == 0
"#
    )
}

#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn slots_moved_mid_phase_are_followed_counted_as_moved_and_the_commands_agree_with_commandstats() {
    let test = "slots_moved_mid_phase_are_followed_counted_as_moved_and_the_commands_agree_with_commandstats";
    let cluster = Cluster::start(test);
    let url = cluster.url();
    let ids = node_ids(&cluster);
    let tmp = tempfile::tempdir().unwrap();
    let prefix = unique_prefix("cmoved");
    let sc = scenario(tmp.path(), "cmoved", &moved_scenario(&prefix));
    let out = tmp.path().join("out");
    let logs = tempfile::tempdir().unwrap();
    let (so, se) = (logs.path().join("stdout"), logs.path().join("stderr"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_benchplan"))
        .current_dir(root())
        .args(["run", "--status-every", "1s"])
        .arg(&sc)
        .arg("--set")
        .arg(format!("url={url}"))
        .arg("--out")
        .arg(&out)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&so).unwrap())
        .stderr(std::fs::File::create(&se).unwrap())
        .spawn()
        .unwrap();
    let read = |p: &std::path::Path| std::fs::read_to_string(p).unwrap_or_default();
    // The GET phase has run a second (its workers hold the slot map) when its first status line is printed.
    let t0 = Instant::now();
    while !read(&se).contains("r moved: ") {
        if t0.elapsed() > Duration::from_secs(60) || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            panic!("the moved phase did not start\n{}\n{}", read(&so), read(&se));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // A third of the slots, with their keys, from the first node to the second.
    let reshard = Command::new("redis-cli")
        .args(["--cluster", "reshard", &format!("127.0.0.1:{}", cluster.ports[0])])
        .args(["--cluster-from", &ids[0], "--cluster-to", &ids[1], "--cluster-slots", "2000", "--cluster-yes"])
        .output()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(reshard.status.success(), "reshard failed: {}", String::from_utf8_lossy(&reshard.stdout));
    assert_eq!(status.code(), Some(0), "{}\n{}", read(&so), read(&se));
    let dir = run_dir(&out, "cmoved");
    let (h, r) = phase_row(&dir, "moved");
    assert_eq!(num(&r, &h, "errors"), 0.0, "every GET succeeded: {r:?}");
    assert_eq!(num(&r, &h, "rows_per_request"), 1.0, "every GET found its value: {r:?}");
    let moved = num(&r, &h, "redirections_moved");
    eprintln!("MOVED replies during the phase: {moved}; ASK: {}", num(&r, &h, "redirections_ask"));
    assert!(moved > 0.0, "the moved slots were redirected: {r:?}");
    let (h, r) = phase_row(&dir, "set");
    assert_eq!(num(&r, &h, "redirections_moved"), 0.0, "no slot moved during the set phase: {r:?}");
    assert!(num(&r, &h, "server_memory_after_mb") > num(&r, &h, "server_memory_before_mb"), "3000 values were written: {r:?}");
    let run_json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    let row = run_json["rows"].as_array().unwrap().iter().find(|r| r["phase"] == "moved").unwrap();
    assert_eq!(row["server"]["redirections_moved"].as_f64(), Some(moved), "{row}");
    // Cross-check: the GETs the server executed are the GETs benchplan sent (the MOVED ones are rejected calls, not calls).
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    let line =
        summary.lines().find(|l| l.starts_with("| r | - | moved | commands (commandstats calls) |")).unwrap_or_else(|| panic!("{summary}"));
    eprintln!("{line}");
    let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
    let sent: u64 = cells[4].split(' ').next().unwrap().parse().unwrap();
    assert_eq!(sent as f64, num(&phase_row(&dir, "moved").1, &h, "requests"), "{line}");
    assert_eq!((cells[5].parse::<u64>().unwrap(), cells[8]), (sent, "yes"), "{line}");
    // The values are where the cluster says, all 3000 of them, 32 bytes each.
    let mut cc = redis::cluster::ClusterClient::new(vec![url.as_str()]).unwrap().get_connection().unwrap();
    for i in (0..3000).step_by(11) {
        let v: Vec<u8> = cc.get(format!("{prefix}kv:{i}")).unwrap();
        assert_eq!(v.len(), 32, "key {i}");
    }
}
