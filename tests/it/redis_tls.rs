//! The redis kind over TLS for real: a throwaway `redis-server --tls-port`
//! with a CA and a server certificate made at test time by the `openssl`
//! command, and a password, killed when the test ends.

use crate::common::*;
use crate::redis::{kv_scenario, phase_row, run, unique_prefix};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct TlsServer {
    child: Child,
    port: u16,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run openssl: {e} (install the Debian package openssl)"));
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A CA (ca.crt) and a certificate for 127.0.0.1 it signed (server.crt, server.key).
pub(crate) fn certificates(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "2",
            "-subj",
            "/CN=benchplan test CA",
        ],
    );
    openssl(dir, &["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"]);
    std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n").unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "2",
            "-extfile",
            "san.ext",
        ],
    );
}

fn start(dir: &Path, password: &str) -> TlsServer {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new("redis-server")
        .args(["--port", "0", "--tls-port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .args(["--tls-cert-file", "server.crt", "--tls-key-file", "server.key", "--tls-ca-cert-file", "ca.crt", "--tls-auth-clients", "no"])
        .args(["--requirepass", password])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start redis-server: {e} (install the Debian package redis-server)"));
    let mut server = TlsServer { child, port };
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Some(s) = server.child.try_wait().unwrap() {
            panic!("redis-server with TLS ended at once ({s}): is it built with TLS?");
        }
        assert!(Instant::now() < deadline, "redis-server on TLS port {port} did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

/// Every file under `dir`'s text.
fn texts(dir: &Path) -> Vec<(std::path::PathBuf, String)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(texts(&p));
        } else {
            out.push((p.clone(), String::from_utf8_lossy(&std::fs::read(&p).unwrap_or_default()).into_owned()));
        }
    }
    out
}

#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn rediss_with_the_private_ca_runs_and_without_it_exits_3_naming_the_certificate() {
    let certs = tempfile::tempdir().unwrap();
    certificates(certs.path());
    let password = "tlsS3cretPw";
    let server = start(certs.path(), password);
    let url = format!("rediss://:{password}@127.0.0.1:{}/0", server.port);
    let tmp = tempfile::tempdir().unwrap();
    let prefix = unique_prefix("tls");
    let ca = certs.path().join("ca.crt");
    // Priced as one ElastiCache node (the preset): every phase gets a cost.
    let with_ca = kv_scenario("rtls", &prefix)
        .replace("    key_prefix:", &format!("    ca_file: \"{}\"\n    pricing: elasticache_redis\n    key_prefix:", ca.display()));
    let sc = scenario(tmp.path(), "rtls", &with_ca);
    let (code, so, se) = run(&sc, &tmp.path().join("out"), &url);
    assert_eq!(code, Some(0), "{so}\n{se}");
    let dir = run_dir(&tmp.path().join("out"), "rtls");
    for (phase, requests) in [("set", 500.0), ("get", 400.0), ("incr", 1000.0)] {
        let (h, r) = phase_row(&dir, phase);
        assert_eq!(
            (num(&r, &h, "requests"), num(&r, &h, "errors"), num(&r, &h, "rows_per_request")),
            (requests, 0.0, 1.0),
            "{phase}: {r:?}"
        );
        // $0.206 a node-hour over the phase's duration, per million requests (duration_s has 3 decimals).
        let per_million = num(&r, &h, "cost_per_million_usd");
        let expected = 0.206 * num(&r, &h, "duration_s") / 3600.0 / requests * 1e6;
        assert!(per_million > 0.0 && (per_million - expected).abs() <= expected * 0.1, "{phase}: {per_million} vs {expected}: {r:?}");
    }
    let run_json = std::fs::read_to_string(dir.join("run.json")).unwrap();
    assert!(run_json.contains("Redis 7"), "{run_json}");
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(summary.contains("preset `elasticache_redis`"), "the cost basis names the node: {summary}");

    // The system's roots do not hold the test CA: verification fails, exit 3, the reason named.
    let sc = scenario(tmp.path(), "rtlsnoca", &kv_scenario("rtlsnoca", &prefix));
    let (code, so, se) = run(&sc, &tmp.path().join("out2"), &url);
    let all = format!("{so}\n{se}");
    eprintln!("without ca_file: exit {code:?}\n{all}");
    assert_eq!(code, Some(3), "{all}");
    assert!(all.contains(&format!("Redis at 127.0.0.1:{} (TLS)", server.port)), "{all}");
    assert!(all.to_lowercase().contains("certificate") && all.contains("UnknownIssuer"), "the certificate problem is named: {all}");
    assert!(!all.contains(password), "{all}");
    for (p, text) in texts(&tmp.path().join("out")).into_iter().chain(texts(&tmp.path().join("out2"))) {
        assert!(!text.contains(password), "{} holds the password", p.display());
    }
}
