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
