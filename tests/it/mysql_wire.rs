//! benchplan's own MySQL wire client against a throwaway MariaDB with a
//! certificate: a user with a password (mysql_native_password) logs in
//! over TCP, over TLS (a user the server lets in over TLS only), and over
//! the Unix socket, each run on the wire client (run.json says so);
//! `tls: require` with `ca_file` (verified) runs on sqlx; a wrong password
//! is exit 3; no password appears in what is printed or written.

use crate::common::*;
use crate::sql_servers::walk;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A throwaway MariaDB (mariadbd and mariadb-install-db, Debian's
/// mariadb-server), stopped when dropped.
struct Maria {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
    client: PathBuf,
}

fn find(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<PathBuf> = std::env::split_paths(&path).chain(["/usr/sbin", "/usr/bin", "/usr/libexec"].map(PathBuf::from)).collect();
    names.iter().flat_map(|n| dirs.iter().map(move |d| d.join(n))).find(|p| p.is_file())
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl Maria {
    fn start(certs: &Path) -> Result<Maria, String> {
        let server = find(&["mariadbd", "mysqld"]).ok_or("mariadbd not found")?;
        let install = find(&["mariadb-install-db", "mysql_install_db"]).ok_or("mariadb-install-db not found")?;
        let client = find(&["mariadb", "mysql"]).ok_or("the mariadb client not found")?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let data = dir.path().join("data");
        std::fs::create_dir_all(dir.path().join("tmp")).map_err(|e| e.to_string())?;
        let user: Vec<String> = if is_root() { vec!["--user=root".into()] } else { vec![] };
        let out = Command::new(&install)
            .args(["--no-defaults", &format!("--datadir={}", data.display()), "--auth-root-authentication-method=normal", "--skip-test-db"])
            .args(&user)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("{}: {e}", install.display()))?;
        if !out.status.success() {
            return Err(format!("{} failed: {}", install.display(), String::from_utf8_lossy(&out.stderr)));
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
        let p = |name: &str| dir.path().join(name).display().to_string();
        let child = Command::new(&server)
            .arg("--no-defaults")
            .args(&user)
            .args([
                format!("--datadir={}", data.display()),
                format!("--tmpdir={}", p("tmp")),
                format!("--port={port}"),
                "--bind-address=127.0.0.1".into(),
                format!("--socket={}", p("mysqld.sock")),
                format!("--pid-file={}", p("mysqld.pid")),
                format!("--log-error={}", p("error.log")),
                "--skip-name-resolve".into(),
                format!("--ssl-ca={}", certs.join("ca.crt").display()),
                format!("--ssl-cert={}", certs.join("server.crt").display()),
                format!("--ssl-key={}", certs.join("server.key").display()),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("{}: {e}", server.display()))?;
        let log = dir.path().join("error.log");
        let mut m = Maria { child, dir, port, client };
        for _ in 0..120 {
            if m.sql("select 1").as_deref() == Some("1") {
                return Ok(m);
            }
            if let Ok(Some(status)) = m.child.try_wait() {
                return Err(format!("mariadbd exited ({status}): {}", std::fs::read_to_string(&log).unwrap_or_default()));
            }
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
        Err(format!("mariadbd did not answer within 60 s: {}", std::fs::read_to_string(&log).unwrap_or_default()))
    }

    /// Runs `sql` as root over TCP; its output, or None if it failed.
    fn sql(&self, sql: &str) -> Option<String> {
        let out = Command::new(&self.client)
            .args(["--no-defaults", "-h127.0.0.1", &format!("-P{}", self.port), "-uroot", "-N", "-B", "-e", sql])
            .stdin(Stdio::null())
            .output()
            .ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("mysqld.sock")
    }
}

impl Drop for Maria {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn scenario_text(prefix: &str, backend: &str) -> String {
    format!(
        r#"version: 1
name: {prefix}
seed: 4
params: {{ url: x }}
backends:
  db: {{ kind: mysql, url: "${{url}}", {backend}pool: 2 }}
dataset:
  entities:
    user: {{ keys: 300, key: int }}
  tables:
    - {{ name: "{prefix}_u{{i}}", entity: user, count: 2, features: 2 }}
setup:
  - create: {{}}
  - load: {{}}
phases:
  - run:
      name: serial
      requests: 200
      workers: 2
      mix:
        - read_features: {{ entities: [user], fetch: serial }}
  - run:
      name: upsert
      requests: 100
      workers: 2
      mix:
        - write_features: {{ entities: [user], mode: upsert, batch: 2 }}
teardown:
  - drop: {{}}
checks:
  - error_rate == 0
"#
    )
}

#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn the_mysql_wire_client_logs_in_over_tcp_tls_and_the_unix_socket() {
    let tmp = tempfile::tempdir().unwrap();
    let certs = tmp.path().join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    crate::redis_tls::certificates(&certs);
    let db = Maria::start(&certs)
        .unwrap_or_else(|why| panic!("cannot start a throwaway MariaDB: {why} (install the Debian package mariadb-server)"));
    assert_eq!(db.sql("select @@have_ssl").as_deref(), Some("YES"), "the server has its certificate");
    let password = "p@ss w0rd:/%";
    let setup = format!(
        "CREATE DATABASE test; CREATE USER bp_pw IDENTIFIED BY '{password}'; GRANT ALL ON test.* TO bp_pw; \
         CREATE USER bp_tls IDENTIFIED BY '{password}' REQUIRE SSL; GRANT ALL ON test.* TO bp_tls"
    );
    assert!(db.sql(&setup).is_some(), "{setup}");
    let encoded: String =
        password.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect();
    let ca = certs.join("ca.crt").display().to_string();
    let port = db.port;
    let socket = db.socket().display().to_string();
    // (prefix, user, URL's end, backend settings, what run.json's client says)
    let runs = [
        ("my_tcp", "bp_pw", format!("127.0.0.1:{port}/test?ssl-mode=DISABLED"), String::new(), "MySQL wire client"),
        // bp_tls may only log in over TLS: the wire client encrypted.
        ("my_tlsreq", "bp_tls", format!("127.0.0.1:{port}/test?ssl-mode=REQUIRED"), String::new(), "MySQL wire client"),
        ("my_tlspref", "bp_tls", format!("127.0.0.1:{port}/test"), String::new(), "MySQL wire client"),
        (
            "my_verified",
            "bp_tls",
            format!("127.0.0.1:{port}/test"),
            format!("tls: require, ca_file: \"{ca}\", "),
            "verifies the server's certificate",
        ),
        // Nothing listens at the URL's port 1: only the socket can have served the wire client.
        ("my_unix", "bp_pw", format!("localhost:1/test?socket={socket}"), String::new(), "MySQL wire client"),
    ];
    for (prefix, user, rest, backend, client) in &runs {
        let sc = scenario(tmp.path(), prefix, &scenario_text(prefix, backend));
        let out = tmp.path().join(prefix);
        run_ok(&sc, &format!("mysql://{user}:{encoded}@{rest}"), &out);
        let dir = run_dir(&out, prefix);
        let run: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("run.json")).unwrap()).unwrap();
        let said = run["backends"][0]["server"]["client"].as_str().unwrap_or_default();
        assert!(said.contains(client), "{prefix}: {said}");
        let (h, rows) = read_csv(&dir.join("results.csv"));
        let serial = rows.iter().find(|r| r[col(&h, "phase")] == "serial").unwrap();
        assert_eq!(num(serial, &h, "requests"), 200.0, "{prefix}");
        assert_eq!(num(serial, &h, "rows_per_request"), 2.0, "{prefix}: one row per table");
        let upsert = rows.iter().find(|r| r[col(&h, "phase")] == "upsert").unwrap();
        assert_eq!(num(upsert, &h, "errors"), 0.0, "{prefix}");
        assert_eq!(num(upsert, &h, "rows_per_request"), 4.0, "{prefix}: 2 rows in each of 2 tables");
        for f in walk(&out) {
            let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).to_string();
            assert!(!text.contains(password) && !text.contains(&encoded), "{prefix}: the password is in {}", f.display());
        }
    }
    // Between phases a wire connection waits in its backend, as sqlx's do in
    // their pool: three more read phases open no more connections than none.
    let connections =
        || db.sql("SHOW GLOBAL STATUS LIKE 'Connections'").and_then(|r| r.split_whitespace().nth(1)?.parse::<u64>().ok()).unwrap();
    let url = format!("mysql://bp_pw:{encoded}@127.0.0.1:{port}/test?ssl-mode=DISABLED");
    let mut opened = Vec::new();
    for (prefix, more) in [("my_one", 0), ("my_four", 3)] {
        let extra: String = (0..more)
            .map(|i| format!("  - run:\n      name: again{i}\n      requests: 200\n      workers: 2\n      mix:\n        - read_features: {{ entities: [user], fetch: serial }}\n"))
            .collect();
        let text = scenario_text(prefix, "").replace("  - run:\n      name: upsert", &format!("{extra}  - run:\n      name: upsert"));
        let sc = scenario(tmp.path(), prefix, &text);
        let before = connections();
        run_ok(&sc, &url, &tmp.path().join(prefix));
        opened.push(connections() - before);
    }
    assert!(opened[1] <= opened[0] + 1, "connections opened with 2 and with 5 phases: {opened:?}");

    // A wrong password: exit 3, and neither password shown.
    let sc = scenario(tmp.path(), "my_wrong", &scenario_text("my_wrong", ""));
    let a = bin()
        .args(["run", "-q"])
        .arg(&sc)
        .arg("--set")
        .arg(format!("url=mysql://bp_pw:wrong-secret-9@127.0.0.1:{port}/test"))
        .arg("--out")
        .arg(tmp.path().join("wrong"))
        .assert();
    let o = a.get_output();
    let said = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.status.code(), Some(3), "{said}");
    assert!(said.contains("Access denied") && !said.contains("wrong-secret-9"), "{said}");
}
