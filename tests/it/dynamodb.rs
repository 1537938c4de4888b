//! The DynamoDB backend against a real DynamoDB-compatible server (dynalite,
//! pinned in tests/servers/package.json; `scripts/test` starts it and sets
//! BENCHPLAN_TEST_DYNAMODB_ENDPOINT). The tests are ignored unless asked for
//! (scripts/test asks); without the variable they fail.
//!
//! dynalite charges as DynamoDB does for small items: 0.5 read units per
//! eventually consistent item read (1 when strongly consistent), 1 write
//! unit per item written, and a Query by the size of all it read.

use crate::common::*;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, ReturnConsumedCapacity, Select};
use benchplan::backend::dynamodb::{sdk_client, Codec, Names};
use benchplan::dataset::DataModel;
use benchplan::scenario::model::{BackendConfig, DynamodbConfig};
use benchplan::scenario::{load_file, LoadOptions};
use std::collections::HashMap;
use std::path::Path;

fn endpoint() -> String {
    server_env("BENCHPLAN_TEST_DYNAMODB_ENDPOINT")
}

/// Every fetch mode, every write mode and every statement op, on one layout.
fn scenario_text(name: &str, endpoint: &str, layout: &str) -> String {
    let query = if layout == "single_table" {
        r#"{ op: query, table: card_f1, key_condition_expression: "pk = :k AND sk = :t", expression_attribute_values: { ":k": "{{ key.card }}", ":t": card_f1 } }"#
    } else {
        r#"{ op: query, table: card_f1, key_condition_expression: "pk = :k", expression_attribute_values: { ":k": "{{ key.card }}" } }"#
    };
    format!(
        r##"version: 1
name: {name}
seed: 21
backends:
  ddb:
    kind: dynamodb
    endpoint: {endpoint}
    region: us-east-1
    layout: {layout}
    table_prefix: {name}_
    billing: on_demand
    pricing: dynamodb_on_demand
dataset:
  entities:
    card: {{ keys: 300, key: int }}
    user: {{ keys: 200, key: string }}
  tables:
    - {{ name: "card_f{{i}}", entity: card, count: 2, features: 4, types: mixed }}
    - {{ name: "user_f{{i}}", entity: user, count: 2, features: 3 }}
setup:
  - create: {{}}
  - load: {{ batch: 25, workers: 4 }}
phases:
  - run: {{ name: serial, requests: 200, workers: 4, mix: [ {{ read_features: {{ entities: [card, user], fetch: serial }} }} ] }}
  - run: {{ name: parallel, requests: 200, workers: 4, mix: [ {{ read_features: {{ entities: [card, user], fetch: parallel, keys_per_table: 2 }} }} ] }}
  - run: {{ name: packed, requests: 200, workers: 4, mix: [ {{ read_features: {{ entities: [card, user], fetch: packed }} }} ] }}
  - run: {{ name: packed_wide, requests: 50, workers: 2, mix: [ {{ read_features: {{ entities: [card, user], fetch: packed, keys_per_table: 40 }} }} ] }}
  - run: {{ name: insert, requests: 100, workers: 4, mix: [ {{ write_features: {{ entities: [card], mode: insert }} }} ] }}
  - run: {{ name: insert_one, requests: 50, workers: 2, mix: [ {{ write_features: {{ entities: [card], tables: [card_f0], mode: insert }} }} ] }}
  - run: {{ name: upsert, requests: 40, workers: 4, mix: [ {{ write_features: {{ entities: [user], mode: upsert, batch: 30 }} }} ] }}
  - run: {{ name: update, requests: 100, workers: 4, mix: [ {{ write_features: {{ entities: [user], mode: update, batch: 2 }} }} ] }}
  - run: {{ name: replace, requests: 40, workers: 4, mix: [ {{ write_features: {{ entities: [user], mode: replace, batch: 3 }} }} ] }}
  - run: {{ name: replace_one, requests: 40, workers: 2, mix: [ {{ write_features: {{ entities: [user], tables: [user_f0], mode: replace }} }} ] }}
  - run:
      name: statements
      requests: 250
      workers: 4
      mix:
        - statement: {{ name: get, dynamodb: {{ op: get_item, table: card_f0, key: {{ pk: "{{{{ key.card }}}}" }}, consistent_read: true }} }}
        - statement: {{ name: query, dynamodb: {query} }}
        - statement: {{ name: put, dynamodb: {{ op: put_item, table: user_f1, item: {{ pk: "{{{{ key.user }}}}", f0: 0.5, f1: 1.5, f2: 2.5 }} }} }}
        - statement: {{ name: touch, dynamodb: {{ op: update_item, table: user_f0, key: {{ pk: "{{{{ key.user }}}}" }}, update_expression: "SET #n = :v", expression_attribute_names: {{ "#n": note }}, expression_attribute_values: {{ ":v": "seen-{{{{ key.card }}}}" }} }} }}
        - statement: {{ name: multi, dynamodb: {{ op: batch_get_item, table: card_f1, keys: [ {{ pk: "{{{{ key.card }}}}" }} ] }} }}
"##
    )
}

fn ddb_config(sc: &Path) -> (DynamodbConfig, DataModel) {
    let r = load_file(sc, &LoadOptions::default()).unwrap();
    let model = DataModel::new(r.first().seed, &r.first().dataset);
    match &r.first().backends["ddb"] {
        BackendConfig::Dynamodb(c) => (c.clone(), model),
        _ => unreachable!(),
    }
}

fn phase<'a>(h: &[String], rows: &'a [Vec<String>], name: &str) -> &'a Vec<String> {
    rows.iter().find(|r| r[col(h, "phase")] == name).unwrap_or_else(|| panic!("no row for {name}"))
}

async fn check_layout(layout: &str) {
    let ep = endpoint();
    let tmp = tempfile::tempdir().unwrap();
    let name = format!("t{}", layout.replace('_', ""));
    let sc = scenario(tmp.path(), &name, &scenario_text(&name, &ep, layout));
    let out = tmp.path().join("out");
    let a = bin().args(["run", "-q"]).arg(&sc).arg("--out").arg(&out).assert();
    let o = a.get_output();
    assert_eq!(o.status.code(), Some(0), "{}\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let dir = run_dir(&out, &name);
    let (h, rows) = read_csv(&dir.join("results.csv"));
    for r in &rows {
        assert_eq!(num(r, &h, "errors"), 0.0, "{r:?}");
    }
    let per = |p: &str, c: &str| num(phase(&h, &rows, p), &h, c);

    // Load: every declared row written, one write unit each (items under 1 KB).
    let load = phase(&h, &rows, "setup:load");
    assert_eq!(num(load, &h, "requests"), 2.0 * 300.0 + 2.0 * 200.0);
    assert_eq!(num(load, &h, "write_units"), 1000.0);
    assert!((num(load, &h, "cost_usd") - 1000.0 * 0.625e-6).abs() < 1e-12);

    // Reads find one item per table and key.
    assert_eq!(per("serial", "rows_per_request"), 4.0);
    assert_eq!(per("parallel", "rows_per_request"), 8.0);
    assert_eq!(per("packed", "rows_per_request"), 4.0);
    // 40 keys per table, 160 in all: two BatchGetItem calls (one Query per key in single_table), duplicates asked once.
    let wide = per("packed_wide", "rows_per_request");
    assert!((120.0..=160.0).contains(&wide), "{wide}");

    // Consumed capacity is what the server charged: 0.5 per item read
    // (eventually consistent), 1 per item written.
    let reads = |p: &str| per(p, "read_units");
    let items = |p: &str| per(p, "rows_per_request") * per(p, "requests");
    assert_eq!(reads("serial"), items("serial") * 0.5);
    assert_eq!(reads("parallel"), items("parallel") * 0.5);
    if layout == "single_table" {
        // One Query per entity returns all its tables' items for 0.5 units.
        assert_eq!(per("packed", "read_units_per_request"), 1.0);
    } else {
        assert_eq!(reads("packed"), items("packed") * 0.5);
        assert_eq!(reads("packed_wide"), items("packed_wide") * 0.5);
    }
    for p in ["insert", "insert_one", "upsert", "update", "replace", "replace_one"] {
        assert_eq!(per(p, "write_units"), items(p), "{p}: one unit per item written");
        assert_eq!(per(p, "read_units"), 0.0, "{p}");
    }
    assert_eq!(per("insert", "rows_per_request"), 2.0);
    assert_eq!(per("insert_one", "rows_per_request"), 1.0);
    assert_eq!(per("upsert", "rows_per_request"), 60.0);
    assert_eq!(per("update", "rows_per_request"), 4.0);
    // replace: whole items put (BatchWriteItem; PutItem for one item).
    assert_eq!(per("replace", "rows_per_request"), 6.0);
    assert_eq!(per("replace_one", "rows_per_request"), 1.0);
    // Cost of a phase = units x on-demand prices; per million requests follows.
    let cost = per("upsert", "cost_usd");
    assert!((cost - per("upsert", "write_units") * 0.625e-6).abs() < 1e-12, "{cost}");
    assert!((per("upsert", "cost_per_million_usd") - cost / 40.0 * 1e6).abs() < 1e-6);
    assert!(per("statements", "read_units") > 0.0 && per("statements", "write_units") > 0.0);
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(summary.contains("## Capacity and cost"), "{summary}");
    assert!(summary.contains("consumed capacity as DynamoDB reported it"), "{summary}");

    // The items in the server are the data model's, read back with the SDK.
    let (cfg, model) = ddb_config(&sc);
    let names = Names::new(&cfg, &model);
    let codec = Codec { model: &model, names: &names };
    let (client, _) = sdk_client(&cfg).await.unwrap();
    for t in [0usize, 1] {
        let tm = &model.tables[t];
        for idx in [0u64, 7, tm.rows - 1] {
            let got = client.get_item().table_name(&names.tables[t]).set_key(Some(codec.key(t, idx))).send().await.unwrap();
            let item = got.item().unwrap_or_else(|| panic!("{} key {idx} missing", tm.name));
            let want: Vec<_> = (0..tm.columns.len()).map(|c| tm.value(idx, c, 0)).collect();
            assert_eq!(codec.decode(t, item).unwrap(), want, "{} key {idx}", tm.name);
        }
    }
    // Item counts: loaded rows plus the inserts (100 into each card table, 50 more into card_f0).
    for (t, want) in [(0usize, 300 + 100 + 50), (1, 300 + 100)] {
        let table = &names.tables[t];
        let mut count = 0;
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let mut scan = client.scan().table_name(table).select(Select::Count).set_exclusive_start_key(start.take());
            if layout == "single_table" {
                scan = scan.filter_expression("sk = :t").expression_attribute_values(":t", AttributeValue::S(model.tables[t].name.clone()));
            }
            let o = scan.send().await.unwrap();
            count += o.count();
            match o.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => break,
            }
        }
        assert_eq!(count, want, "{}", model.tables[t].name);
    }
    // The server's own figure for one packed read of table_per_table: 4 items, 2 units, as recorded per request.
    if layout == "table_per_table" {
        let mut req = HashMap::new();
        for t in 0..4 {
            req.insert(names.tables[t].clone(), KeysAndAttributes::builder().keys(codec.key(t, 3)).build().unwrap());
        }
        let o = client
            .batch_get_item()
            .set_request_items(Some(req))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .unwrap();
        let units: f64 = o.consumed_capacity().iter().filter_map(|c| c.capacity_units()).sum();
        assert_eq!(units, per("packed", "read_units_per_request"));
    }
    for t in names.physical() {
        let _ = client.delete_table().table_name(t).send().await;
    }
}

#[tokio::test]
#[ignore = "needs servers: scripts/test runs it"]
async fn table_per_table_layout_runs_every_operation_and_records_capacity() {
    check_layout("table_per_table").await;
}

#[tokio::test]
#[ignore = "needs servers: scripts/test runs it"]
async fn single_table_layout_runs_every_operation_and_records_capacity() {
    check_layout("single_table").await;
}

#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn missing_table_and_unreachable_endpoint_are_exit_3_with_a_report() {
    let ep = endpoint();
    let tmp = tempfile::tempdir().unwrap();
    // No setup: the tables do not exist. The phase stops at the first request.
    let text =
        scenario_text("tmissing", &ep, "table_per_table").replace("setup:\n  - create: {}\n  - load: { batch: 25, workers: 4 }\n", "");
    let sc = scenario(tmp.path(), "tmissing", &text);
    let out = tmp.path().join("out");
    let a = bin().args(["run", "-q"]).arg(&sc).arg("--out").arg(&out).assert();
    let o = a.get_output();
    let said = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.status.code(), Some(3), "{said}");
    assert!(said.contains("ResourceNotFoundException"), "{said}");
    let dir = run_dir(&out, "tmissing");
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(summary.contains("Backend `ddb` failed") && summary.contains("does the table exist"), "{summary}");
    let (h, rows) = read_csv(&dir.join("results.csv"));
    let serial = phase(&h, &rows, "serial");
    assert!(num(serial, &h, "errors") >= 1.0 && num(serial, &h, "errors") < 100.0, "stopped at once: {serial:?}");
    assert!(summary.contains("not_found"), "{summary}");

    // Nothing listens on port 9: exit 3 at once, saying where it tried.
    let text = scenario_text("tunreach", "http://127.0.0.1:9", "table_per_table");
    let sc = scenario(tmp.path(), "tunreach", &text);
    let a = bin().args(["run", "-q"]).arg(&sc).arg("--out").arg(&out).assert();
    let o = a.get_output();
    let said = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.status.code(), Some(3), "{said}");
    assert!(said.contains("cannot use DynamoDB at http://127.0.0.1:9"), "{said}");
    assert!(run_dir(&out, "tunreach").join("summary.md").exists());
}

/// A fault-injecting HTTP/1.1 proxy in front of the real server: every
/// `every`-th GetItem is answered with DynamoDB's throttling error instead
/// of being forwarded; everything else goes to the server unchanged.
struct Throttler {
    url: String,
    throttled: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

fn throttler(upstream: &str, every: u64) -> Throttler {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    let up = upstream.trim_start_matches("http://").trim_end_matches('/').to_string();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let throttled = Arc::new(AtomicU64::new(0));
    let gets = Arc::new(AtomicU64::new(0));
    let count = throttled.clone();
    // One HTTP message: head lines and a Content-Length body.
    async fn message<R: tokio::io::AsyncBufRead + Unpin>(r: &mut R) -> Option<(String, Vec<u8>)> {
        let mut head = String::new();
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).await.ok()? == 0 {
                return None;
            }
            head.push_str(&line);
            if line == "\r\n" {
                break;
            }
        }
        let len = head
            .lines()
            .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0)))
            .unwrap_or(0);
        let mut body = vec![0; len];
        r.read_exact(&mut body).await.ok()?;
        Some((head, body))
    }
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let (client, _) = listener.accept().await.unwrap();
                client.set_nodelay(true).unwrap();
                let (up, gets, count) = (up.clone(), gets.clone(), count.clone());
                tokio::spawn(async move {
                    let (cr, mut cw) = client.into_split();
                    let mut cr = BufReader::new(cr);
                    let server = tokio::net::TcpStream::connect(&up).await.unwrap();
                    server.set_nodelay(true).unwrap();
                    let (sr, mut sw) = server.into_split();
                    let mut sr = BufReader::new(sr);
                    while let Some((head, body)) = message(&mut cr).await {
                        let is_get = head.contains("DynamoDB_20120810.GetItem");
                        if is_get && gets.fetch_add(1, Ordering::Relaxed) % every == every - 1 {
                            count.fetch_add(1, Ordering::Relaxed);
                            let msg = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"injected by the test"}"#;
                            let resp = format!(
                                "HTTP/1.1 400 Bad Request\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\n\r\n{msg}",
                                msg.len()
                            );
                            cw.write_all(resp.as_bytes()).await.unwrap();
                            continue;
                        }
                        let mut req = head.into_bytes();
                        req.extend_from_slice(&body);
                        sw.write_all(&req).await.unwrap();
                        let Some((rh, rb)) = message(&mut sr).await else { return };
                        let mut resp = rh.into_bytes();
                        resp.extend_from_slice(&rb);
                        cw.write_all(&resp).await.unwrap();
                    }
                });
            }
        });
    });
    Throttler { url, throttled }
}

#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn throttling_is_retried_counted_and_reported_apart_from_other_errors() {
    use std::sync::atomic::Ordering;
    let ep = endpoint();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    for (name, attempts) in [("tthrottle3", 3), ("tthrottle1", 1)] {
        let proxy = throttler(&ep, 5);
        let text = format!(
            r#"version: 1
name: {name}
backends:
  ddb: {{ kind: dynamodb, endpoint: "{}", table_prefix: {name}_, max_attempts: {attempts}, backoff: 1ms, max_backoff: 5ms }}
dataset:
  entities: {{ card: {{ keys: 100, key: int }} }}
  tables: [ {{ name: "card_f{{i}}", entity: card, count: 2, features: 2 }} ]
setup: [ {{ create: {{}} }}, {{ load: {{}} }} ]
phases:
  - run: {{ name: serial, requests: 100, workers: 1, max_error_rate: 1.0, mix: [ {{ read_features: {{ entities: [card], fetch: serial }} }} ] }}
teardown: [ {{ drop: {{}} }} ]
"#,
            proxy.url
        );
        let sc = scenario(tmp.path(), name, &text);
        let a = bin().args(["run", "-q"]).arg(&sc).arg("--out").arg(&out).assert();
        let o = a.get_output();
        assert_eq!(o.status.code(), Some(0), "{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
        let dir = run_dir(&out, name);
        let (h, rows) = read_csv(&dir.join("results.csv"));
        let r = phase(&h, &rows, "serial");
        let injected = proxy.throttled.load(Ordering::Relaxed) as f64;
        // Up to 200 GetItems (2 tables x 100 requests, fewer when a request fails
        // at its first) reached the proxy, plus one more per retry.
        assert!(injected >= 20.0, "{injected}: {r:?}");
        assert_eq!(num(r, &h, "throttled"), injected, "every throttled attempt is counted");
        if attempts == 3 {
            // One worker: a retried GetItem never meets the next injected throttle.
            assert_eq!(num(r, &h, "retries"), injected);
            assert_eq!(num(r, &h, "errors"), 0.0);
            assert_eq!(num(r, &h, "read_units"), 200.0 * 0.5, "throttled attempts cost nothing");
        } else {
            assert_eq!(num(r, &h, "retries"), 0.0);
            assert_eq!(num(r, &h, "errors"), injected, "each throttle fails its request");
            let errors = std::fs::read_to_string(dir.join("summary.md")).unwrap();
            let line = errors
                .lines()
                .find(|l| l.starts_with("| ddb | serial |") && l.contains("| throttled |"))
                .unwrap_or_else(|| panic!("{errors}"));
            assert!(line.contains(&format!("| {} |", injected as u64)) && line.contains("injected by the test"), "{line}");
        }
    }
}

/// A server priced per hour against DynamoDB priced per request: the cost
/// section gives the rate where they cost the same, from the measured
/// price per request (dynalite keeps no table sizes, so storage is left
/// out, and the line says so).
#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn break_even_between_a_priced_server_and_on_demand_capacity() {
    let ep = endpoint();
    let tmp = tempfile::tempdir().unwrap();
    let text = format!(
        r#"version: 1
name: tbreak
seed: 3
backends:
  srv:
    kind: sqlite
    pricing: aurora_postgres
  ddb:
    kind: dynamodb
    endpoint: {ep}
    region: us-east-1
    table_prefix: tbreak_
    billing: on_demand
    pricing: dynamodb_on_demand
dataset:
  entities:
    card: {{ keys: 200, key: int }}
  tables:
    - {{ name: "card_f{{i}}", entity: card, count: 3, features: 2 }}
setup:
  - create: {{}}
  - load: {{ batch: 25, workers: 4 }}
phases:
  - run: {{ name: serve, requests: 300, workers: 4, mix: [ {{ read_features: {{ entities: [card], fetch: packed }} }} ] }}
teardown:
  - drop: {{}}
cost:
  target_rps: 1000
"#
    );
    let sc = scenario(tmp.path(), "tbreak", &text);
    let out = tmp.path().join("out");
    bin().args(["run", "-q"]).arg(&sc).arg("--out").arg(&out).assert().success();
    let dir = run_dir(&out, "tbreak");
    let md = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    let (h, rows) = read_csv(&dir.join("results.csv"));
    let ddb = rows.iter().find(|r| r[col(&h, "backend")] == "ddb" && r[col(&h, "phase")] == "serve").unwrap();
    // 3 items read eventually consistent: 1.5 read units at $0.125 per million.
    let per_million = num(ddb, &h, "cost_per_million_usd");
    assert!((per_million - 0.1875).abs() < 1e-6, "{per_million}");
    // One db.r6g.large ($0.26/h x 730 h) against $0.1875 per million requests.
    let want = 0.26 * 730.0 / (per_million / 1e6 * 730.0 * 3600.0);
    let line = md.lines().find(|l| l.starts_with("- serve [-]: `srv` and `ddb` cost the same at ")).unwrap_or_else(|| panic!("{md}"));
    let rps: f64 = line.split(" cost the same at ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    assert!((rps - want).abs() < 0.01, "{rps} vs {want}: {line}");
    assert!(line.contains("storage left out: a data size is unknown"), "{line}");
    assert!(line.ends_with("below it `ddb` is cheaper, above it `srv`."), "{line}");
}

#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn the_break_even_rate_is_charted_by_skew() {
    let ep = endpoint();
    let tmp = tempfile::tempdir().unwrap();
    let text = format!(
        r#"version: 1
name: tbskew
seed: 3
backends:
  srv: {{ kind: sqlite, pricing: aurora_postgres }}
  ddb: {{ kind: dynamodb, endpoint: {ep}, region: us-east-1, table_prefix: tbskew_, billing: on_demand, pricing: dynamodb_on_demand }}
matrix:
  hot: [0.5, 0.95]
dataset:
  entities:
    card: {{ keys: 200, key: int }}
  tables:
    - {{ name: "card_f{{i}}", entity: card, count: 3, features: 2 }}
setup:
  - create: {{}}
  - load: {{ batch: 25, workers: 4 }}
phases:
  - run:
      name: serve
      requests: 200
      workers: 4
      keys: {{ distribution: hotspot, hot_keys: 0.05, hot_traffic: "${{hot}}" }}
      mix: [ {{ read_features: {{ entities: [card], fetch: packed }} }} ]
teardown:
  - drop: {{}}
cost:
  target_rps: 1000
"#
    );
    let sc = scenario(tmp.path(), "tbskew", &text);
    let out = tmp.path().join("out");
    bin().args(["run", "-q"]).arg(&sc).arg("--out").arg(&out).assert().success();
    let dir = run_dir(&out, "tbskew");
    let md = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    // One break-even line per cell, and the chart through both.
    let lines: Vec<&str> =
        md.lines().filter(|l| l.starts_with("- serve [hot=") && l.contains("`srv` and `ddb` cost the same at ")).collect();
    assert_eq!(lines.len(), 2, "{md}");
    let svg = std::fs::read_to_string(dir.join("charts/break-even-by-hot-key-share.svg")).unwrap();
    roxmltree::Document::parse(&svg).unwrap();
    assert!(svg.contains("srv vs ddb (serve)"), "the pair is named in the legend");
    assert!(md.contains("charts/break-even-by-hot-key-share.svg"), "summary.md links the chart");
    // The cross-check says what it cannot compare on DynamoDB, and why.
    assert!(md.contains("ddb: DynamoDB's consumed capacity is the sum of what each response reported"), "{md}");
}
