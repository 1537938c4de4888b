//! The Cosmos DB backend against a real Cosmos-compatible server:
//! @vercel/cosmosdb-server (pinned in tests/servers/package.json), started
//! through tests/servers/cosmos-launch.js. `scripts/test` starts one and sets
//! BENCHPLAN_TEST_COSMOS_ENDPOINT. The tests are ignored unless asked for
//! (scripts/test asks); without the variable they fail.
//!
//! Most tests start their own launcher (same package, same node) so that
//! they can use its test hooks: varied request charges (the server charges
//! exactly 1 RU for everything) with a tally of what it sent, 429s every
//! Nth document request, key checking, and HTTPS with its bundled
//! (expired) certificate.

use crate::common::*;
use azure_data_cosmos::{FeedScope, Query};
use benchplan::backend::cosmos::{client, Codec, Names};
use benchplan::dataset::DataModel;
use benchplan::scenario::model::{BackendConfig, CosmosConfig};
use benchplan::scenario::{load_file, LoadOptions};
use futures_util::TryStreamExt;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The emulator's well-known key; the server accepts any key unless told to check.
const KEY: &str = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==";

/// The server scripts/test started. Tests that start their own launcher ask
/// for it too: it means node and the npm packages are there.
fn shared_endpoint() -> String {
    server_env("BENCHPLAN_TEST_COSMOS_ENDPOINT")
}

/// A launcher of our own, stopped when dropped.
struct Launcher {
    child: Child,
    url: String,
}

impl Drop for Launcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Launcher {
    fn start(env: &[(&str, &str)], args: &[&str]) -> Launcher {
        let script = root().join("tests/servers/cosmos-launch.js");
        assert!(
            root().join("tests/servers/node_modules/@vercel/cosmosdb-server").exists(),
            "run `npm ci` in tests/servers (scripts/test does) to install the Cosmos DB server"
        );
        let mut cmd = Command::new("node");
        cmd.arg(script).args(["--host", "127.0.0.1", "--port", "0"]).args(args).stdout(Stdio::piped()).stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("node (Node.js >= 20) runs the Cosmos DB server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url = line.trim().strip_prefix("READY ").unwrap_or_else(|| panic!("launcher said {line:?}")).to_string();
        Launcher { child, url }
    }

    /// (document responses, sum of their charges, 429s sent, container KB reported) since the last reset; resets.
    fn tally(&self) -> (f64, f64, f64, f64) {
        let addr = self.url.trim_start_matches("http://").trim_start_matches("https://").trim_end_matches('/');
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        write!(s, "GET /__launch/tally?reset=1 HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        let body = text.split("\r\n\r\n").nth(1).unwrap();
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        (
            v["responses"].as_f64().unwrap(),
            v["charge"].as_f64().unwrap(),
            v["throttled"].as_f64().unwrap(),
            v["collection_kb"].as_f64().unwrap(),
        )
    }
}

/// Every fetch mode, write mode and statement op, on one layout.
fn scenario_text(name: &str, endpoint: &str, layout: &str) -> String {
    // single_table: a partition holds all of an entity's tables (id = table name).
    let (query, get_id) = if layout == "single_table" {
        (r#"query: "SELECT * FROM c WHERE c.id = @t AND c.f0 >= @min", parameters: { "@min": 0, "@t": user_f1 }"#, "card_f0")
    } else {
        (r#"query: "SELECT * FROM c WHERE c.f0 >= @min", parameters: { "@min": 0 }"#, "\"{{ key.card }}\"")
    };
    format!(
        r##"version: 1
name: {name}
seed: 21
backends:
  cos:
    kind: cosmos
    endpoint: {endpoint}
    key: ${{env:BP_TEST_COSMOS_KEY:-unset}}
    database: {name}
    serverless: true
    layout: {layout}
    pricing: cosmos_serverless
dataset:
  entities:
    card: {{ keys: 120, key: int }}
    user: {{ keys: 80, key: string }}
  tables:
    - {{ name: "card_f{{i}}", entity: card, count: 2, features: 4, types: mixed }}
    - {{ name: "user_f{{i}}", entity: user, count: 2, features: 3 }}
setup:
  - create: {{}}
  - load: {{ workers: 4 }}
phases:
  - run: {{ name: serial, requests: 100, workers: 4, mix: [ {{ read_features: {{ entities: [card, user], fetch: serial }} }} ] }}
  - run: {{ name: parallel, requests: 100, workers: 4, mix: [ {{ read_features: {{ entities: [card, user], fetch: parallel, keys_per_table: 2 }} }} ] }}
  - run: {{ name: packed, requests: 100, workers: 4, mix: [ {{ read_features: {{ entities: [card, user], fetch: packed }} }} ] }}
  - run: {{ name: insert, requests: 50, workers: 2, mix: [ {{ write_features: {{ entities: [card], mode: insert }} }} ] }}
  - run: {{ name: upsert, requests: 30, workers: 2, mix: [ {{ write_features: {{ entities: [user], mode: upsert, batch: 3 }} }} ] }}
  - run: {{ name: update, requests: 50, workers: 2, mix: [ {{ write_features: {{ entities: [user], mode: update }} }} ] }}
  - run: {{ name: replace, requests: 30, workers: 2, mix: [ {{ write_features: {{ entities: [user], mode: replace, batch: 2 }} }} ] }}
  - run: {{ name: missing, requests: 40, workers: 2, mix: [ {{ statement: {{ name: nope, cosmos: {{ op: read_item, container: card_f1, id: "nope-{{{{ key.card }}}}", partition_key: "{{{{ key.card }}}}" }} }} }} ] }}
  - run:
      name: statements
      requests: 120
      workers: 3
      mix:
        - statement: {{ name: get, cosmos: {{ op: read_item, container: card_f0, id: {get_id}, partition_key: "{{{{ key.card }}}}" }} }}
        - statement: {{ name: recent, cosmos: {{ op: query, container: user_f1, partition_key: "{{{{ key.user }}}}", {query} }} }}
        - statement: {{ name: note, cosmos: {{ op: upsert_item, container: user_f0, id: "note-{{{{ key.user }}}}", partition_key: "{{{{ key.user }}}}", item: {{ note: "seen {{{{ key.card }}}}", f0: 0.5 }} }} }}
"##
    )
}

fn cosmos_config(sc: &Path) -> (CosmosConfig, DataModel) {
    // As benchplan's main does: no Azure VM metadata lookup from the SDK.
    // (scripts/test exports it already; setting it only when unset keeps
    // this test from writing the environment while other tests of the one
    // test binary read it.)
    if std::env::var_os("COSMOS_DISABLE_IMDS").is_none() {
        std::env::set_var("COSMOS_DISABLE_IMDS", "1");
    }
    let r = load_file(sc, &LoadOptions::default()).unwrap();
    let model = DataModel::new(r.first().seed, &r.first().dataset);
    match &r.first().backends["cos"] {
        BackendConfig::Cosmos(c) => (c.clone(), model),
        _ => unreachable!(),
    }
}

fn phase<'a>(h: &[String], rows: &'a [Vec<String>], name: &str) -> &'a Vec<String> {
    rows.iter().find(|r| r[col(h, "phase")] == name).unwrap_or_else(|| panic!("no row for {name}"))
}

/// Runs `benchplan run` on `sc`; returns (exit status, stdout + stderr).
fn run(sc: &Path, out: &Path) -> (Option<i32>, String) {
    let a = bin().env("BP_TEST_COSMOS_KEY", KEY).args(["run", "-q"]).arg(sc).arg("--out").arg(out).assert();
    let o = a.get_output();
    (o.status.code(), format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
}

async fn check_layout(layout: &str) {
    shared_endpoint();
    let server = Launcher::start(&[("COSMOS_LAUNCH_CHARGE", "vary"), ("COSMOS_LAUNCH_RESOURCE_USAGE", "1")], &[]);
    let tmp = tempfile::tempdir().unwrap();
    let name = format!("c{}", layout.replace('_', ""));
    let sc = scenario(tmp.path(), &name, &scenario_text(&name, &server.url, layout));
    let out = tmp.path().join("out");
    let (code, said) = run(&sc, &out);
    assert_eq!(code, Some(0), "{said}");
    let dir = run_dir(&out, &name);
    let (h, rows) = read_csv(&dir.join("results.csv"));
    for r in &rows {
        assert_eq!(num(r, &h, "errors"), 0.0, "{r:?}");
        assert_eq!(r[col(&h, "read_units")], "", "Cosmos DB rows have request units, not read/write units: {r:?}");
    }
    let per = |p: &str, c: &str| num(phase(&h, &rows, p), &h, c);

    // The request units recorded are exactly the charges the server sent for
    // document requests (load and every phase; no warmup here), and the
    // charges varied (1 to 2 RU), so this is not a count of requests.
    let (responses, charged, _, kb) = server.tally();
    let recorded: f64 = rows.iter().map(|r| num(r, &h, "request_units")).sum();
    assert_eq!(recorded, charged, "recorded RU = the server's charges over {responses} document responses");
    assert!(charged > responses * 1.2 && charged < responses * 1.8, "{charged} RU over {responses} responses");

    // The data size after the load is the containers' x-ms-resource-usage (KB).
    let run: benchplan::report::model::RunReport = serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    let bytes = run.backends[0].data_bytes.unwrap_or(0) as f64;
    assert!(kb > 10.0 && bytes == kb * 1024.0, "{bytes} bytes vs {kb} KB reported");

    // Load: every declared row written, one upsert each.
    let load = phase(&h, &rows, "setup:load");
    assert_eq!(num(load, &h, "requests"), 2.0 * 120.0 + 2.0 * 80.0);
    let ru = num(load, &h, "request_units");
    assert!((400.0..=800.0).contains(&ru), "{ru}");
    assert!((num(load, &h, "cost_usd") - ru * 0.25e-6).abs() < 1e-12);

    // Reads find one item per table and key.
    assert_eq!(per("serial", "rows_per_request"), 4.0);
    assert_eq!(per("parallel", "rows_per_request"), 8.0);
    assert_eq!(per("packed", "rows_per_request"), 4.0);
    let reads = |p: &str| per(p, "request_units_per_request");
    // A point read per item (table_per_table and serial/parallel), 1 to 2 RU each.
    assert!((4.0..=8.0).contains(&reads("serial")), "{}", reads("serial"));
    assert!((8.0..=16.0).contains(&reads("parallel")), "{}", reads("parallel"));
    if layout == "single_table" {
        // One partition query per entity: two responses a request.
        assert!((2.0..=4.0).contains(&reads("packed")), "{}", reads("packed"));
    } else {
        assert!((4.0..=8.0).contains(&reads("packed")), "{}", reads("packed"));
    }
    assert_eq!(per("insert", "rows_per_request"), 2.0);
    assert_eq!(per("upsert", "rows_per_request"), 6.0);
    assert_eq!(per("update", "rows_per_request"), 2.0);
    // replace: each item upserted whole.
    assert_eq!(per("replace", "rows_per_request"), 4.0);
    // A point read of a missing item is no row, not an error, and its charge is recorded.
    assert_eq!(per("missing", "rows_per_request"), 0.0);
    assert!((1.0..=2.0).contains(&reads("missing")), "{}", reads("missing"));
    // Each statement returns its one item (the query: one per partition and container).
    assert_eq!(per("statements", "rows_per_request"), 1.0);
    // Serverless cost: request units x $0.25 per million.
    let cost = per("statements", "cost_usd");
    assert!((cost - per("statements", "request_units") * 0.25e-6).abs() < 1e-12, "{cost}");
    assert!((per("statements", "cost_per_million_usd") - cost / 120.0 * 1e6).abs() < 1e-6);
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(summary.contains("| request units | request units / req |"), "{summary}");
    assert!(summary.contains("serverless: request units as Cosmos DB charged them"), "{summary}");
    // The key is nowhere in what the run wrote or said.
    assert!(!said.contains(KEY));
    for f in std::fs::read_dir(&dir).unwrap() {
        let p = f.unwrap().path();
        if p.is_file() {
            let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).to_string();
            assert!(!text.contains(KEY) && !text.contains(&KEY[..20]), "key in {}", p.display());
        }
    }

    // The items in the server are the data model's, read back with the SDK.
    let (mut cfg, model) = cosmos_config(&sc);
    cfg.key = KEY.into();
    let names = Names::new(&cfg, &model);
    let codec = Codec { model: &model, names: &names };
    let c = client(&cfg).await.unwrap();
    let db = c.database_client(names.database.as_str());
    for t in 0..model.tables.len() {
        let tm = &model.tables[t];
        let container = db.container_client(names.containers[t].as_str(), None).await.unwrap();
        for idx in [0u64, 7, tm.rows - 1] {
            let item: serde_json::Value =
                container.read_item(codec.partition_key(tm.entity, idx), &codec.id(t, idx), None).await.unwrap().into_model().unwrap();
            let got = codec.decode(t, &item).unwrap();
            if t < 2 {
                let want: Vec<_> = (0..tm.columns.len()).map(|c| tm.value(idx, c, 0)).collect();
                assert_eq!(got, want, "{} key {idx}", tm.name);
            } else {
                // The user tables were rewritten by the write phases: the types still hold.
                assert_eq!(got.len(), tm.columns.len(), "{} key {idx}", tm.name);
            }
        }
    }
    // Item counts: loaded rows plus 50 inserts into each card table.
    if layout == "table_per_table" {
        for (t, want) in [(0usize, 120 + 50), (1, 120 + 50), (2, 80 + 60)] {
            let container = db.container_client(names.containers[t].as_str(), None).await.unwrap();
            let ids: Vec<serde_json::Value> = container
                .query_items::<serde_json::Value>(Query::from("SELECT c.id FROM c"), FeedScope::full_container(), None)
                .await
                .unwrap()
                .try_collect()
                .await
                .unwrap();
            if t == 2 {
                // user_f0 also holds the statements' "note-<key>" items (at most one per user key).
                assert!(ids.len() >= 80 && ids.len() <= 160, "{}", ids.len());
                let _ = want;
            } else {
                assert_eq!(ids.len(), want, "{}", model.tables[t].name);
            }
        }
    }
}

#[tokio::test]
#[ignore = "needs servers: scripts/test runs it"]
async fn table_per_table_layout_runs_every_operation_and_records_request_charges() {
    check_layout("table_per_table").await;
}

#[tokio::test]
#[ignore = "needs servers: scripts/test runs it"]
async fn single_table_layout_runs_every_operation_and_records_request_charges() {
    check_layout("single_table").await;
}

/// The example scenario, as the README runs it, against the server the test command started.
#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn example_scenario_runs_against_the_local_server() {
    let ep = shared_endpoint();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let a = bin()
        .env("COSMOS_ENDPOINT", &ep)
        .env("COSMOS_KEY", KEY)
        .args(["run", "-q", "scenarios/cosmos.yaml", "--quick", "--set", "rows=500", "--out"])
        .arg(&out)
        .assert();
    let o = a.get_output();
    let said = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    // Its latency check is meant for a real account: on a busy test machine it may fail (exit 1).
    assert!(matches!(o.status.code(), Some(0) | Some(1)), "{said}");
    assert!(said.contains("checks: "), "{said}");
    let dir = run_dir(&out, "cosmos-features");
    let (h, rows) = read_csv(&dir.join("results.csv"));
    let serve = phase(&h, &rows, "serve");
    assert_eq!(num(serve, &h, "errors"), 0.0);
    assert!(num(serve, &h, "request_units_per_request") >= 1.0);
    assert!(num(serve, &h, "cost_per_million_usd") > 0.0);
    assert!(!said.contains(KEY));
}

#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn missing_container_bad_key_and_unreachable_endpoint_are_exit_3() {
    shared_endpoint();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");

    // No setup: the containers do not exist. The phase stops at the first request.
    let server = Launcher::start(&[], &[]);
    let text = scenario_text("cmissing", &server.url, "table_per_table").replace("setup:\n  - create: {}\n  - load: { workers: 4 }\n", "");
    let sc = scenario(tmp.path(), "cmissing", &text);
    let (code, said) = run(&sc, &out);
    assert_eq!(code, Some(3), "{said}");
    assert!(said.contains("does the container exist"), "{said}");
    let dir = run_dir(&out, "cmissing");
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(summary.contains("Backend `cos` failed") && summary.contains("not_found"), "{summary}");
    let (h, rows) = read_csv(&dir.join("results.csv"));
    let serial = phase(&h, &rows, "serial");
    assert!(num(serial, &h, "errors") >= 1.0 && num(serial, &h, "errors") < 100.0, "stopped at once: {serial:?}");

    // A server that checks the key, given another one: exit 3 at connect, the key never shown.
    let checking = Launcher::start(&[("COSMOS_LAUNCH_KEY", "b3RoZXIta2V5LW5vdC10aGUtb25lLWdpdmVu")], &[]);
    let sc = scenario(tmp.path(), "cbadkey", &scenario_text("cbadkey", &checking.url, "table_per_table"));
    let (code, said) = run(&sc, &out);
    assert_eq!(code, Some(3), "{said}");
    assert!(said.contains("key rejected (401)"), "{said}");
    assert!(!said.contains(KEY) && !said.contains(&KEY[..20]), "{said}");
    assert!(run_dir(&out, "cbadkey").join("summary.md").exists());

    // Nothing listens on port 9: exit 3, saying where it tried.
    let sc = scenario(tmp.path(), "cunreach", &scenario_text("cunreach", "http://127.0.0.1:9/", "table_per_table"));
    let (code, said) = run(&sc, &out);
    assert_eq!(code, Some(3), "{said}");
    assert!(said.contains("cannot use Cosmos DB at http://127.0.0.1:9/"), "{said}");
}

#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn throttling_is_retried_after_retry_after_and_counted() {
    shared_endpoint();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    for (name, attempts) in [("cthrottle3", 3), ("cthrottle1", 1)] {
        // Every 5th document request answers 429, charged 0.5 RU, asking for 100 ms.
        let server = Launcher::start(
            &[("COSMOS_LAUNCH_THROTTLE_EVERY", "5"), ("COSMOS_LAUNCH_RETRY_AFTER_MS", "100"), ("COSMOS_LAUNCH_THROTTLE_CHARGE", "0.5")],
            &[],
        );
        let text = format!(
            r#"version: 1
name: {name}
backends:
  cos: {{ kind: cosmos, endpoint: "{}", key: "${{env:BP_TEST_COSMOS_KEY}}", database: {name}, max_attempts: {attempts}, backoff: 1ms, max_backoff: 1ms }}
dataset:
  entities: {{ card: {{ keys: 40, key: int }} }}
  tables: [ {{ name: "card_f{{i}}", entity: card, count: 2, features: 2 }} ]
setup: [ {{ create: {{}} }}, {{ load: {{ workers: 1 }} }} ]
phases:
  - run: {{ name: serial, requests: 100, workers: 1, max_error_rate: 1.0, mix: [ {{ read_features: {{ entities: [card], fetch: serial }} }} ] }}
"#,
            server.url
        );
        let sc = scenario(tmp.path(), name, &text);
        let (code, said) = run(&sc, &out);
        assert_eq!(code, Some(0), "{said}");
        let (_, charged, sent, _) = server.tally();
        let dir = run_dir(&out, name);
        let (h, rows) = read_csv(&dir.join("results.csv"));
        let load = phase(&h, &rows, "setup:load");
        let r = phase(&h, &rows, "serial");
        // The load retries its 429s (with a larger budget) and loses no row.
        assert_eq!(num(load, &h, "requests"), 80.0);
        let throttled = num(load, &h, "throttled") + num(r, &h, "throttled");
        assert!(num(r, &h, "throttled") >= 20.0, "{r:?}");
        assert_eq!(throttled, sent, "every 429 the server sent is counted");
        // Charges of throttled attempts are recorded too: 1 RU a success, 0.5 a 429.
        let recorded = num(load, &h, "request_units") + num(r, &h, "request_units");
        assert_eq!(recorded, charged);
        if attempts == 3 {
            // One worker: a retried read never meets the next 429.
            assert_eq!(num(r, &h, "retries"), num(r, &h, "throttled"));
            assert_eq!(num(r, &h, "errors"), 0.0);
            assert_eq!(num(r, &h, "rows_per_request"), 2.0);
            // Each retry waited the server's 100 ms, not the 1 ms backoff.
            let secs = num(r, &h, "duration_s");
            assert!(secs >= num(r, &h, "retries") * 0.1 * 0.95, "{secs} s for {} retries", num(r, &h, "retries"));
        } else {
            assert_eq!(num(r, &h, "retries"), 0.0);
            assert_eq!(num(r, &h, "errors"), num(r, &h, "throttled"), "each 429 fails its request");
            let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
            let line = summary
                .lines()
                .find(|l| l.starts_with("| cos | serial |") && l.contains("| throttled |"))
                .unwrap_or_else(|| panic!("{summary}"));
            assert!(line.contains("429"), "{line}");
        }
    }
}

#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn emulator_mode_accepts_the_local_certificate_only_on_an_emulator_host() {
    shared_endpoint();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    // HTTPS with the package's own self-signed certificate (expired in 2021),
    // at 127.0.0.1 (an emulator host: not verified with `emulator: true`) and
    // at 127.0.0.2 (loopback too, but not an emulator host: verified, refused).
    let at_emulator_host = Launcher::start(&[], &["--https"]);
    let elsewhere = Launcher::start(&[], &["--https", "--host", "127.0.0.2"]);
    assert!(at_emulator_host.url.starts_with("https://127.0.0.1:"), "{}", at_emulator_host.url);
    assert!(elsewhere.url.starts_with("https://127.0.0.2:"), "{}", elsewhere.url);
    for (name, url, want) in [("ctlsemu", &at_emulator_host.url, 0), ("ctlsstrict", &elsewhere.url, 3)] {
        let text = format!(
            r#"version: 1
name: {name}
backends:
  cos: {{ kind: cosmos, endpoint: "{url}", key: "${{env:BP_TEST_COSMOS_KEY}}", database: {name}, emulator: true }}
dataset:
  entities: {{ card: {{ keys: 20, key: string }} }}
  tables: [ {{ name: "card_f{{i}}", entity: card, count: 1, features: 2 }} ]
setup: [ {{ create: {{}} }}, {{ load: {{}} }} ]
phases:
  - run: {{ name: serial, requests: 20, workers: 1, mix: [ {{ read_features: {{ entities: [card], fetch: serial }} }} ] }}
"#
        );
        let sc = scenario(tmp.path(), name, &text);
        let (code, said) = run(&sc, &out);
        assert_eq!(code, Some(want), "{name}: {said}");
        if want == 0 {
            let (h, rows) = read_csv(&run_dir(&out, name).join("results.csv"));
            assert_eq!(num(phase(&h, &rows, "serial"), &h, "rows_per_request"), 1.0);
        } else {
            assert!(said.contains("cannot use Cosmos DB at https://127.0.0.2"), "{said}");
            assert!(said.to_lowercase().contains("certificate"), "refused for its certificate: {said}");
        }
    }
}
