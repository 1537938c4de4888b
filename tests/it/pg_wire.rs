//! benchplan's own PostgreSQL wire client against a throwaway server that
//! asks for passwords: SCRAM-SHA-256, MD5 and cleartext each log in and
//! run the requests (run.json names the wire client); then over the Unix
//! socket and over TLS; a
//! wrong password is exit 3, and no password appears in what is printed or
//! written.

use crate::common::*;
use crate::pg_faults::Pg;
use crate::sql_servers::walk;

fn scenario_text(prefix: &str) -> String {
    format!(
        r#"version: 1
name: {prefix}
seed: 4
params: {{ url: x }}
backends:
  db: {{ kind: postgres, url: "${{url}}", tls: disable, pool: 2 }}
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
teardown:
  - drop: {{}}
checks:
  - error_rate == 0
"#
    )
}

#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn the_wire_client_logs_in_with_scram_md5_and_cleartext_passwords() {
    let pg = Pg::start().unwrap_or_else(|why| panic!("cannot start a throwaway PostgreSQL: {why} (install the Debian package postgresql)"));
    let password = "p@ss w0rd:/%";
    let quoted = password.replace('\'', "''");
    for (user, encryption) in [("bp_scram", "scram-sha-256"), ("bp_md5", "md5"), ("bp_plain", "scram-sha-256")] {
        let sql = format!("SET password_encryption = '{encryption}'; CREATE ROLE {user} LOGIN SUPERUSER PASSWORD '{quoted}'");
        assert!(pg.query(&sql).is_some(), "{sql}");
    }
    // Each user its method over TCP; psql (the test's own) still trusted.
    let hba = "host all bp_scram 127.0.0.1/32 scram-sha-256\nhost all bp_md5 127.0.0.1/32 md5\n\
               host all bp_plain 127.0.0.1/32 password\nhost all postgres 127.0.0.1/32 trust\nlocal all all trust\n";
    std::fs::write(pg.data().join("pg_hba.conf"), hba).unwrap();
    assert_eq!(pg.query("select pg_reload_conf()").as_deref(), Some("t"));
    let encoded: String =
        password.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect();
    let base = pg.url();
    let port_db = base.rsplit_once('@').map(|(_, rest)| rest.to_string()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    for user in ["bp_scram", "bp_md5", "bp_plain"] {
        let prefix = format!("pw_{}", &user[3..]);
        let sc = scenario(tmp.path(), &prefix, &scenario_text(&prefix));
        let out = tmp.path().join(&prefix);
        run_ok(&sc, &format!("postgres://{user}:{encoded}@{port_db}"), &out);
        let dir = run_dir(&out, &prefix);
        let run: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("run.json")).unwrap()).unwrap();
        let client = run["backends"][0]["server"]["client"].as_str().unwrap_or_default();
        assert!(client.contains("wire client"), "{user}: {client}");
        let (h, rows) = read_csv(&dir.join("results.csv"));
        let serial = rows.iter().find(|r| r[col(&h, "phase")] == "serial").unwrap();
        assert_eq!(num(serial, &h, "requests"), 200.0, "{user}");
        assert_eq!(num(serial, &h, "rows_per_request"), 2.0, "{user}: one row per table");
        for f in walk(&out) {
            let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).to_string();
            assert!(!text.contains(password) && !text.contains(&encoded), "{user}: the password is in {}", f.display());
        }
    }
    // The server's Unix socket (trusted): the wire client connects to it too
    // (a TCP attempt at the URL's host, which does not exist, would fail).
    let socket_url = format!("postgres://postgres@no-such-host.invalid/postgres?host={}&port={}", pg.dir.path().display(), pg.port);
    let sc = scenario(tmp.path(), "pw_unix", &scenario_text("pw_unix"));
    let out = tmp.path().join("pw_unix");
    run_ok(&sc, &socket_url, &out);
    let run: serde_json::Value = serde_json::from_slice(&std::fs::read(run_dir(&out, "pw_unix").join("run.json")).unwrap()).unwrap();
    let said = run["backends"][0]["server"]["client"].as_str().unwrap_or_default();
    assert!(said.contains("wire client"), "over the Unix socket: {said}");

    // TLS: the server gets a certificate; `sslmode=require` (encrypted,
    // unverified, as libpq's) runs on the wire client over TLS (it refuses
    // a server that answers no), and `tls: require` with `ca_file` (verified)
    // on sqlx.
    let certs = tmp.path().join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    crate::redis_tls::certificates(&certs);
    for f in ["server.crt", "server.key"] {
        let to = pg.data().join(f);
        std::fs::copy(certs.join(f), &to).unwrap();
        std::fs::set_permissions(&to, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        if let Some(u) = &pg.user {
            assert!(std::process::Command::new("chown").arg(u).arg(&to).status().unwrap().success());
        }
    }
    assert!(pg.query("ALTER SYSTEM SET ssl = on").is_some());
    assert_eq!(pg.query("select pg_reload_conf()").as_deref(), Some("t"));
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(pg.query("show ssl").as_deref(), Some("on"));
    for (prefix, query, backend, client) in [
        ("pw_tls", "?sslmode=require", "", "wire client"),
        ("pw_tlsv", "", "tls: require, ca_file: \"CA\", ", "verifies the server's certificate"),
    ] {
        let text = scenario_text(prefix).replace("tls: disable, ", &backend.replace("CA", &certs.join("ca.crt").display().to_string()));
        let sc = scenario(tmp.path(), prefix, &text);
        let out = tmp.path().join(prefix);
        run_ok(&sc, &format!("postgres://bp_scram:{encoded}@{port_db}{query}"), &out);
        let dir = run_dir(&out, prefix);
        let run: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("run.json")).unwrap()).unwrap();
        let said = run["backends"][0]["server"]["client"].as_str().unwrap_or_default();
        assert!(said.contains(client), "{prefix}: {said}");
        let (h, rows) = read_csv(&dir.join("results.csv"));
        let serial = rows.iter().find(|r| r[col(&h, "phase")] == "serial").unwrap();
        assert_eq!(num(serial, &h, "rows_per_request"), 2.0, "{prefix}");
    }

    // A wrong password: exit 3, and neither password shown.
    let sc = scenario(tmp.path(), "pw_wrong", &scenario_text("pw_wrong"));
    let a = bin()
        .args(["run", "-q"])
        .arg(&sc)
        .arg("--set")
        .arg(format!("url=postgres://bp_scram:wrong-secret-9@{port_db}"))
        .arg("--out")
        .arg(tmp.path().join("wrong"))
        .assert();
    let o = a.get_output();
    let said = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.status.code(), Some(3), "{said}");
    assert!(said.contains("password authentication failed") && !said.contains("wrong-secret-9"), "{said}");
}
