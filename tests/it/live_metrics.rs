//! `run --metrics-addr`: a real Prometheus scrapes a run, and its HTTP API
//! gives back the series after the run.

use crate::common::*;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A GET over a plain connection (HTTP/1.0: the reply ends with the connection); the body.
fn get(port: u16, path: &str) -> Option<String> {
    let mut c = TcpStream::connect(("127.0.0.1", port)).ok()?;
    c.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(c, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut text = String::new();
    c.read_to_string(&mut text).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.1 200").then(|| body.to_string()).or_else(|| head.starts_with("HTTP/1.0 200").then(|| body.to_string()))
}

/// The first value of an instant query's result, from Prometheus's JSON.
fn query(port: u16, q: &str) -> Option<f64> {
    let enc: String =
        q.bytes().map(|b| if b.is_ascii_alphanumeric() || b == b'_' { (b as char).to_string() } else { format!("%{b:02X}") }).collect();
    let body = get(port, &format!("/api/v1/query?query={enc}"))?;
    let v: serde_json::Value = serde_json::from_str(&body).ok()?;
    v["data"]["result"][0]["value"][1].as_str()?.parse().ok()
}

struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn a_real_prometheus_scrapes_a_run_and_serves_its_series_after_it() {
    let prometheus = server_env("BENCHPLAN_TEST_PROMETHEUS");
    let tmp = tempfile::tempdir().unwrap();
    let (metrics_port, web_port) = (free_port(), free_port());
    let config = tmp.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: benchplan\n    static_configs:\n      - targets: ['127.0.0.1:{metrics_port}']\n"
        ),
    )
    .unwrap();
    let server = Killed(
        std::process::Command::new(&prometheus)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", tmp.path().join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{web_port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(tmp.path().join("prometheus.log")).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {prometheus}: {e}")),
    );
    let ready = Instant::now();
    while get(web_port, "/-/ready").is_none() {
        assert!(
            ready.elapsed() < Duration::from_secs(30),
            "Prometheus did not get ready: {:?}",
            std::fs::read_to_string(tmp.path().join("prometheus.log"))
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // A noop run long enough for several scrapes, its backend answering in 1 ms.
    let sc = scenario(tmp.path(), "live", &noop("live", "    latency: 1ms", "      duration: 6s\n      workers: 2", ""));
    let out = tmp.path().join("out");
    let addr = format!("127.0.0.1:{metrics_port}");
    bin().args(["run", "-q", "--metrics-addr", &addr]).arg(&sc).arg("--out").arg(&out).assert().success();
    let (h, rows) = read_csv(&run_dir(&out, "live").join("results.csv"));
    let requests = num(&rows[0], &h, "requests");
    // What Prometheus scraped, read back through its API after the run.
    let labels = r#"{backend="dry",phase="run",cell="-"}"#;
    let scraped = query(web_port, &format!("max_over_time(benchplan_requests_total{labels}[5m])"))
        .unwrap_or_else(|| panic!("no series: {:?}", std::fs::read_to_string(tmp.path().join("prometheus.log"))));
    // The last scrape came at most about a second before the run's end.
    assert!(scraped > requests * 0.5 && scraped <= requests, "scraped {scraped} of {requests}");
    let count = query(web_port, &format!("max_over_time(benchplan_request_duration_seconds_count{labels}[5m])")).unwrap();
    assert!(count > 0.0 && count <= scraped, "{count} {scraped}");
    // Every request takes at least the backend's 1 ms: none in the 0.5 ms bucket.
    let fast = query(web_port, r#"max_over_time(benchplan_request_duration_seconds_bucket{backend="dry",le="0.0005"}[5m])"#).unwrap();
    assert_eq!(fast, 0.0);
    let running = query(web_port, &format!("max_over_time(benchplan_phase_running{labels}[5m])")).unwrap();
    assert_eq!(running, 1.0);
    drop(server);
}

#[test]
fn metrics_addr_taken_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let sc = scenario(tmp.path(), "busy", &noop("busy", "", "      requests: 10", ""));
    let a = bin().args(["run", "-q", "--metrics-addr", &addr]).arg(&sc).arg("--out").arg(tmp.path().join("out")).assert().code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(err.contains(&format!("--metrics-addr {addr}: cannot listen there")), "{err}");
}
