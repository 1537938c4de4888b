//! Servers that die or stall in the middle of a run phase: a PostgreSQL
//! killed and never back, a connection that stops forwarding (a TCP proxy
//! in the test), and the DynamoDB and Cosmos DB servers killed mid-phase.
//! Each run ends by itself, counts what failed by kind, and writes its report.

use crate::common::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A child process killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `benchplan run` on `sc` and calls `fault` once the run phase has run
/// for `after`; returns (exit code, stdout, stderr).
fn run_with_fault(sc: &Path, out: &Path, after: Duration, fault: impl FnOnce()) -> (Option<i32>, String, String) {
    let logs = tempfile::tempdir().unwrap();
    let (so, se) = (logs.path().join("stdout"), logs.path().join("stderr"));
    let mut child = Killed(
        Command::new(env!("CARGO_BIN_EXE_benchplan"))
            .current_dir(root())
            .args(["run", "--status-every", "1s"])
            .arg(sc)
            .arg("--out")
            .arg(out)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&so).unwrap())
            .stderr(std::fs::File::create(&se).unwrap())
            .spawn()
            .unwrap(),
    );
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    // The run phase has started when its first status line is printed.
    let t0 = Instant::now();
    while !read(&se).contains(" run: ") {
        assert!(t0.elapsed() < Duration::from_secs(60), "the run phase did not start\n{}", read(&se));
        if let Some(s) = child.0.try_wait().unwrap() {
            panic!("benchplan ended before the run phase: {s}\n{}\n{}", read(&so), read(&se));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(after);
    fault();
    let t1 = Instant::now();
    let status = loop {
        if let Some(s) = child.0.try_wait().unwrap() {
            break s;
        }
        assert!(t1.elapsed() < Duration::from_secs(90), "benchplan did not end after the fault\n{}", read(&se));
        std::thread::sleep(Duration::from_millis(50));
    };
    (status.code(), read(&so), read(&se))
}

/// (requests, errors) of the `run` row, and the error kinds in run.json.
fn outcome(out: &Path, name: &str) -> (u64, u64, Vec<String>) {
    let dir = run_dir(out, name);
    let (h, rows) = read_csv(&dir.join("results.csv"));
    let row = rows.iter().find(|r| r[col(&h, "phase")] == "run").unwrap_or_else(|| panic!("no run row: {rows:?}"));
    let j: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    let kinds = j["errors"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_string()).collect();
    (num(row, &h, "requests") as u64, num(row, &h, "errors") as u64, kinds)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A TCP proxy to `upstream` that forwards until `stall` is set, then keeps
/// every connection open and forwards nothing (a server that hangs).
fn stalling_proxy(upstream: String, stall: Arc<AtomicBool>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(&upstream) else { continue };
            for (mut from, mut to) in [(client.try_clone().unwrap(), server.try_clone().unwrap()), (server, client)] {
                let stall = stall.clone();
                std::thread::spawn(move || {
                    let mut buf = [0u8; 16384];
                    while let Ok(n) = from.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        if stall.load(Ordering::Relaxed) {
                            // Swallow the bytes: the peer waits forever.
                            continue;
                        }
                        if to.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                });
            }
        }
    });
    port
}

fn pg_scenario(name: &str, url: &str, phase: &str, teardown: bool) -> String {
    let teardown = if teardown { "teardown: [ { drop: {} } ]\n" } else { "" };
    format!(
        "version: 1\nname: {name}\nseed: 5\nbackends:\n  pg: {{ kind: postgres, url: \"{url}\", tls: disable }}\ndataset:\n  entities:\n    card: {{ keys: 500, key: int }}\n  tables:\n    - {{ name: \"{name}_f{{i}}\", entity: card, count: 2, features: 3 }}\nsetup: [ {{ create: {{}} }}, {{ load: {{ workers: 1 }} }} ]\nphases:\n  - run:\n{phase}\n      mix:\n        - read_features: {{ entities: [card], fetch: packed }}\n{teardown}"
    )
}

#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn a_stalled_connection_is_counted_as_timeouts_and_the_phase_ends_on_time() {
    let url = server_env("BENCHPLAN_TEST_PG_URL");
    // postgres://user@host:port/db -> the proxy in front of host:port.
    let (head, rest) = url.split_once('@').expect("a URL with user@host");
    let (hostport, db) = rest.split_once('/').expect("a URL with a database");
    let stall = Arc::new(AtomicBool::new(false));
    let port = stalling_proxy(hostport.to_string(), stall.clone());
    let proxied = format!("{head}@127.0.0.1:{port}/{db}");
    let tmp = tempfile::tempdir().unwrap();
    let name = format!("stall{}", std::process::id());
    let sc = scenario(
        tmp.path(),
        &name,
        &pg_scenario(&name, &proxied, "      duration: 4s\n      workers: 2\n      timeout: 500ms\n      max_error_rate: 1.0", false),
    );
    let out = tmp.path().join("out");
    let (code, stdout, stderr) = run_with_fault(&sc, &out, Duration::from_millis(1500), || stall.store(true, Ordering::Relaxed));
    let ctx = format!("exit {code:?}\n{stdout}\n{stderr}");
    let (requests, errors, kinds) = outcome(&out, &name);
    assert!(errors > 0 && requests > errors, "{requests} requests, {errors} errors\n{ctx}");
    assert!(kinds.iter().any(|k| k == "timeout"), "the stalled requests are timeouts: {kinds:?}\n{ctx}");
    let (h, rows) = read_csv(&run_dir(&out, &name).join("results.csv"));
    let row = rows.iter().find(|r| r[col(&h, "phase")] == "run").unwrap();
    assert_eq!(row[col(&h, "duration_s")], "4.000", "the phase ends at its duration, stalled requests and all");
    drop_tables(&url, &name);
}

/// Drops the test's tables through the server at `url` (psql).
fn drop_tables(url: &str, name: &str) {
    let _ = Command::new("psql").arg(url).args(["-qc", &format!("DROP TABLE IF EXISTS {name}_f0, {name}_f1")]).status();
}

#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn a_postgres_killed_and_never_back_fails_with_exit_3_and_a_report() {
    // The server as benchplan sees it: behind a proxy process that is killed
    // mid-phase, so every connection is reset and every new one refused, for
    // good (the shared server itself is never touched).
    let url = server_env("BENCHPLAN_TEST_PG_URL");
    let (head, rest) = url.split_once('@').expect("a URL with user@host");
    let (hostport, db) = rest.split_once('/').expect("a URL with a database");
    let port = free_port();
    let mut proxy = Killed(
        Command::new("python3")
            .args(["-c", PROXY_PY, &port.to_string(), hostport])
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs the test's TCP proxy"),
    );
    let mut ready = String::new();
    BufReader::new(proxy.0.stdout.take().unwrap()).read_line(&mut ready).unwrap();
    assert_eq!(ready.trim(), "READY");
    let proxied = format!("{head}@127.0.0.1:{port}/{db}");
    let tmp = tempfile::tempdir().unwrap();
    let name = format!("gone{}", std::process::id());
    let sc = scenario(tmp.path(), &name, &pg_scenario(&name, &proxied, "      duration: 5s\n      workers: 2\n      timeout: 1s", true));
    let out = tmp.path().join("out");
    let (code, stdout, stderr) = run_with_fault(&sc, &out, Duration::from_millis(1500), || {
        let _ = proxy.0.kill();
        let _ = proxy.0.wait();
    });
    let ctx = format!("exit {code:?}\n{stdout}\n{stderr}");
    assert_eq!(code, Some(3), "the error policy stops the phase: exit 3\n{ctx}");
    assert!(stdout.contains("backend pg failed"), "{ctx}");
    let (requests, errors, kinds) = outcome(&out, &name);
    assert!(errors > 0 && requests > errors, "{requests} requests, {errors} errors\n{ctx}");
    assert!(kinds.iter().all(|k| k == "connection" || k == "timeout"), "{kinds:?}\n{ctx}");
    // The teardown could not reach the server: the report says what was left.
    let summary = std::fs::read_to_string(run_dir(&out, &name).join("summary.md")).unwrap();
    assert!(summary.contains(&format!("may be left behind: {name}_f0, {name}_f1")), "{summary}");
    drop_tables(&url, &name);
}

/// A one-file TCP proxy (argv: listen port, upstream host:port) that dies
/// with its process, taking every connection with it.
const PROXY_PY: &str = r#"
import socket, sys, threading
port, (host, up) = int(sys.argv[1]), sys.argv[2].rsplit(':', 1)
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(('127.0.0.1', port)); srv.listen(64)
print('READY', flush=True)
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d: break
            b.sendall(d)
    except OSError: pass
    finally:
        for s in (a, b):
            try: s.shutdown(socket.SHUT_RDWR)
            except OSError: pass
while True:
    c, _ = srv.accept()
    s = socket.create_connection((host, int(up)))
    threading.Thread(target=pipe, args=(c, s), daemon=True).start()
    threading.Thread(target=pipe, args=(s, c), daemon=True).start()
"#;

/// Starts `node ARGS...` that prints a line with its URL; returns it and the process.
fn node_server(args: &[String], ready: impl Fn(&str) -> Option<String>) -> (Killed, String) {
    let mut child =
        Killed(Command::new("node").args(args).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("node (Node.js >= 20)"));
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert!(Instant::now() < deadline, "the server did not say it was ready");
        let line = lines.next().expect("a line from the server").unwrap();
        if let Some(url) = ready(&line) {
            // Keep draining its output so it never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines {});
            return (child, url);
        }
    }
}

fn service_scenario(name: &str, backend: &str) -> String {
    format!(
        "version: 1\nname: {name}\nseed: 7\nbackends:\n{backend}\ndataset:\n  entities:\n    card: {{ keys: 200, key: int }}\n  tables:\n    - {{ name: \"card_f{{i}}\", entity: card, count: 2, features: 2 }}\nsetup: [ {{ create: {{}} }}, {{ load: {{}} }} ]\nphases:\n  - run:\n      duration: 30s\n      workers: 2\n      timeout: 1s\n      mix:\n        - read_features: {{ entities: [card], fetch: serial }}\n"
    )
}

fn killed_mid_phase(name: &str, backend: &str, mut server: Killed) {
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(tmp.path(), name, &service_scenario(name, backend));
    let out = tmp.path().join("out");
    let (code, stdout, stderr) = run_with_fault(&sc, &out, Duration::from_millis(1500), || {
        let _ = server.0.kill();
        let _ = server.0.wait();
    });
    let ctx = format!("exit {code:?}\n{stdout}\n{stderr}");
    assert_eq!(code, Some(3), "the error policy stops the phase: exit 3\n{ctx}");
    let (requests, errors, kinds) = outcome(&out, name);
    assert!(errors > 0 && requests > errors, "{requests} requests, {errors} errors\n{ctx}");
    assert!(kinds.iter().any(|k| k == "connection" || k == "timeout"), "{kinds:?}\n{ctx}");
}

#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn a_dynamodb_server_killed_mid_phase_fails_with_exit_3_and_a_report() {
    let cli = root().join("tests/servers/node_modules/dynalite/cli.js");
    assert!(cli.exists(), "run `npm ci` in tests/servers (scripts/test does)");
    let port = free_port();
    let args = vec![cli.display().to_string(), "--host".into(), "127.0.0.1".into(), "--port".into(), port.to_string()];
    let mut child = Killed(Command::new("node").args(&args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("node"));
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "dynalite did not start");
        if let Ok(Some(s)) = child.0.try_wait() {
            panic!("dynalite exited: {s}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let backend = format!("  ddb: {{ kind: dynamodb, endpoint: \"http://127.0.0.1:{port}\", region: us-east-1, max_attempts: 1 }}");
    killed_mid_phase("ddbkill", &backend, child);
}

#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn a_cosmos_server_killed_mid_phase_fails_with_exit_3_and_a_report() {
    let script = root().join("tests/servers/cosmos-launch.js");
    assert!(root().join("tests/servers/node_modules/@vercel/cosmosdb-server").exists(), "run `npm ci` in tests/servers");
    let args = vec![script.display().to_string(), "--host".into(), "127.0.0.1".into(), "--port".into(), "0".into()];
    let (child, url) = node_server(&args, |l| l.trim().strip_prefix("READY ").map(str::to_string));
    let backend =
        format!("  cos: {{ kind: cosmos, endpoint: \"{url}\", key: \"dGVzdA==\", database: killed, emulator: true, max_attempts: 1 }}");
    killed_mid_phase("coskill", &backend, child);
}
