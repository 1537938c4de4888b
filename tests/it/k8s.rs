//! `benchplan k8s`: the manifests' fields, what it refuses, and (needs
//! kubernetes-validate: scripts/test installs it) their validation against
//! the official Kubernetes schemas, offline. No cluster is reachable here.

use crate::common::{bin, scenario, server_env};
use serde_json::Value;
use std::path::Path;

const SCENARIO: &str = r#"version: 1
name: fraud_shards
description: "fraud features, ${label}"
seed: 7
params:
  label: sharded
backends:
  pg:
    kind: postgres
    url: "postgres://bench:${env:BP_K8S_TEST_PASSWORD}@db.example:5432/test"
dataset:
  entities:
    card: { keys: 10000, key: string }
  tables:
    - { name: "card_f{i}", entity: card, count: 4, features: 5 }
setup:
  - create: {}
  - load: {}
phases:
  - run:
      name: serve
      duration: 60s
      rate: 2000
      workers: 32
      mix:
        - read_features: { entities: [card], fetch: packed }
teardown:
  - drop: {}
checks:
  - p99_ms < 120
"#;

fn write(dir: &Path, extra: &[&str]) -> (std::process::Output, std::path::PathBuf) {
    let sc = scenario(dir, "fraud", SCENARIO);
    let out = dir.join("manifests");
    let mut args =
        vec!["k8s", sc.to_str().unwrap(), "--shards", "4", "--image", "registry.example/benchplan:0.1", "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    (bin().args(&args).env_remove("BP_K8S_TEST_PASSWORD").output().unwrap(), out)
}

fn doc(p: &Path) -> Value {
    serde_yaml::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

#[test]
fn the_manifests_run_indexed_shards_with_the_secret_and_merge_after_them() {
    let dir = tempfile::tempdir().unwrap();
    let (o, out) = write(dir.path(), &["--secret", "bench-db", "--namespace", "bench", "--set", "label=it's"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));

    let cm = doc(&out.join("1-configmap.yaml"));
    assert_eq!(cm["kind"], "ConfigMap");
    assert_eq!(cm["data"]["scenario.yaml"], SCENARIO, "the ConfigMap holds the file as written");
    assert_eq!(doc(&out.join("2-pvc.yaml"))["spec"]["accessModes"][0], "ReadWriteMany");

    let shards = doc(&out.join("4-shards-job.yaml"));
    let spec = &shards["spec"];
    assert_eq!(spec["completionMode"], "Indexed");
    assert_eq!((spec["completions"].as_u64(), spec["parallelism"].as_u64()), (Some(4), Some(4)));
    let c = &spec["template"]["spec"]["containers"][0];
    let env = c["env"].as_array().unwrap();
    let index = env.iter().find(|e| e["name"] == "SHARD_INDEX").unwrap();
    assert_eq!(index["valueFrom"]["fieldRef"]["fieldPath"], "metadata.annotations['batch.kubernetes.io/job-completion-index']");
    assert_eq!(env.iter().find(|e| e["name"] == "SHARDS").unwrap()["value"], "4");
    let script = c["command"][2].as_str().unwrap();
    assert!(script.contains(r#"--shard "$SHARD_INDEX/$SHARDS""#), "{script}");
    assert!(script.contains("--start-at \"$(cat /results/start-at)\""), "{script}");
    assert!(script.contains(r"--set 'label=it'\''s'"), "--set is passed, quoted for sh: {script}");
    assert_eq!(c["envFrom"][0]["secretRef"]["name"], "bench-db");
    assert_eq!(shards["metadata"]["namespace"], "bench");

    // Setup first (it writes start-at), the merge after every shard.
    let setup = doc(&out.join("3-setup-job.yaml"));
    let setup_script = setup["spec"]["template"]["spec"]["containers"][0]["command"][2].as_str().unwrap();
    assert!(setup_script.starts_with("benchplan setup /scenario/scenario.yaml"), "{setup_script}");
    assert!(setup_script.contains("/results/start-at"), "{setup_script}");
    let merge = doc(&out.join("5-merge-job.yaml"));
    let merge_script = merge["spec"]["template"]["spec"]["containers"][0]["command"][2].as_str().unwrap();
    assert!(merge_script.contains(r#"ls /results/shards/*.exit 2>/dev/null | wc -l)" -ge 4 ]"#), "{merge_script}");
    assert!(merge_script.contains("benchplan merge"), "{merge_script}");
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(readme.contains("--from-literal=BP_K8S_TEST_PASSWORD=..."), "{readme}");
}

#[test]
fn k8s_refuses_inline_secrets_a_missing_secret_bad_counts_and_a_used_folder() {
    let dir = tempfile::tempdir().unwrap();
    // ${env:...} without --secret: the pods would have no value.
    let (o, out) = write(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("give --secret NAME"), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!out.exists(), "nothing is written on an error");

    let inline = SCENARIO.replace("${env:BP_K8S_TEST_PASSWORD}", "hunter2");
    let sc = scenario(dir.path(), "inline", &inline);
    let o = bin()
        .args(["k8s", sc.to_str().unwrap(), "--shards", "2", "--image", "x:1", "--out", dir.path().join("m2").to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("backends.pg.url") && err.contains("ConfigMap"), "{err}");
    assert!(!err.contains("hunter2"), "the secret is not printed: {err}");

    let (o, _) = write(dir.path(), &["--secret", "db", "--shards", "0"]);
    assert_eq!(o.status.code(), Some(2));
    let (o, _) = write(dir.path(), &["--secret", "Not_A_Label"]);
    assert_eq!(o.status.code(), Some(2));

    let (o, out) = write(dir.path(), &["--secret", "db"]);
    assert_eq!(o.status.code(), Some(0));
    let before = std::fs::read(out.join("4-shards-job.yaml")).unwrap();
    let (o, _) = write(dir.path(), &["--secret", "other"]);
    assert_eq!(o.status.code(), Some(2), "a folder with manifests is never overwritten");
    assert_eq!(std::fs::read(out.join("4-shards-job.yaml")).unwrap(), before);
}

#[test]
#[ignore = "needs servers: scripts/test runs it"]
fn the_manifests_pass_the_official_kubernetes_schemas() {
    let validate = server_env("BENCHPLAN_TEST_KUBERNETES_VALIDATE");
    let dir = tempfile::tempdir().unwrap();
    let (o, out) = write(dir.path(), &["--secret", "bench-db", "--storage-class", "nfs"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let files: Vec<String> = ["1-configmap", "2-pvc", "3-setup-job", "4-shards-job", "5-merge-job"]
        .iter()
        .map(|f| out.join(format!("{f}.yaml")).display().to_string())
        .collect();
    let run = std::process::Command::new(&validate).arg("--strict").args(&files).output().unwrap();
    let said = String::from_utf8_lossy(&run.stdout).to_string() + &String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{said}");
    assert_eq!(said.matches(" passed for resource ").count(), 5, "{said}");
    // The validator does fail a wrong manifest: the check above can fail.
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, std::fs::read_to_string(&files[3]).unwrap().replace("completions: 4", "completions: four")).unwrap();
    let run = std::process::Command::new(&validate).arg("--strict").arg(&bad).output().unwrap();
    assert!(!run.status.success(), "a Job with `completions: four` passed");
}

/// The three Jobs' scripts, as the manifests hold them, run here with sh in
/// the order Kubernetes would reach (setup, the shards side by side, merge),
/// with /scenario and /results mapped to folders of the test and the
/// benchplan under test on PATH: the flow the manifests encode, end to end,
/// on an SQLite file (no cluster is reachable here).
#[test]
#[cfg(feature = "sqlite")]
fn the_jobs_scripts_set_up_run_two_shards_merge_and_tear_down() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("flow.db");
    let text = format!(
        r#"version: 1
name: flow
seed: 5
backends:
  local: {{ kind: sqlite, path: "{}" }}
dataset:
  entities:
    card: {{ keys: 500, key: string }}
  tables:
    - {{ name: "card_f{{i}}", entity: card, count: 2, features: 3 }}
setup:
  - create: {{}}
  - load: {{}}
phases:
  - run: {{ name: serve, requests: 400, workers: 2, mix: [ {{ read_features: {{ entities: [card], fetch: packed }} }} ] }}
teardown:
  - drop: {{}}
checks:
  - error_rate == 0
"#,
        db.display()
    );
    let sc = scenario(dir.path(), "flow", &text);
    let out = dir.path().join("manifests");
    let o = bin()
        .args(["k8s", sc.to_str().unwrap(), "--shards", "2", "--image", "x:1", "--start-delay", "2s", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let (scenario_dir, results) = (dir.path().join("scenario"), dir.path().join("results"));
    std::fs::create_dir_all(&scenario_dir).unwrap();
    std::fs::create_dir_all(&results).unwrap();
    std::fs::write(scenario_dir.join("scenario.yaml"), doc(&out.join("1-configmap.yaml"))["data"]["scenario.yaml"].as_str().unwrap())
        .unwrap();
    let script = |file: &str| {
        let job = doc(&out.join(file));
        let s = job["spec"]["template"]["spec"]["containers"][0]["command"][2].as_str().unwrap().to_string();
        s.replace("/scenario/scenario.yaml", scenario_dir.join("scenario.yaml").to_str().unwrap())
            .replace("/results", results.to_str().unwrap())
    };
    let bin_dir = assert_cmd::cargo::cargo_bin("benchplan").parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let sh = |script: String, index: Option<u32>| {
        let mut c = std::process::Command::new("sh");
        c.arg("-c").arg(script).env("PATH", &path).env("SHARDS", "2");
        if let Some(i) = index {
            c.env("SHARD_INDEX", i.to_string());
        }
        c.spawn().unwrap()
    };
    /// Kills what is still running when the test fails.
    struct Jobs(Vec<(&'static str, std::process::Child)>);
    impl Drop for Jobs {
        fn drop(&mut self) {
            for (_, c) in &mut self.0 {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
    // All three Jobs start at once; the files on the volume keep the order.
    let mut jobs = Jobs(vec![("merge", sh(script("5-merge-job.yaml"), None))]);
    for i in 0..2 {
        jobs.0.push(("shard", sh(script("4-shards-job.yaml"), Some(i))));
    }
    jobs.0.push(("setup", sh(script("3-setup-job.yaml"), None)));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    for (what, child) in jobs.0.iter_mut().rev() {
        let status = loop {
            if let Some(st) = child.try_wait().unwrap() {
                break st;
            }
            assert!(std::time::Instant::now() < deadline, "{what} did not end within 120 s");
            std::thread::sleep(std::time::Duration::from_millis(100));
        };
        assert!(status.success(), "{what} failed: {status}");
    }
    for i in 0..2 {
        assert_eq!(std::fs::read_to_string(results.join(format!("shards/{i}.exit"))).unwrap().trim(), "0");
    }
    let merged: Value = serde_json::from_slice(&std::fs::read(results.join("merged/run.json")).unwrap()).unwrap();
    let row = &merged["rows"][0];
    assert_eq!(row["requests"], 400, "the two shards' requests add up to the phase's");
    assert_eq!(row["errors"], 0);
    assert_eq!(merged["checks"][0]["passed"], true);
    assert!(merged["setup"].as_array().unwrap().iter().any(|s| s["step"] == "load"), "the setup's rows are in the merged report");
    // The teardown dropped the tables.
    let left: i64 = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display())).await.unwrap();
        sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name LIKE 'card_f%'")
            .fetch_one(&pool)
            .await
            .unwrap()
    });
    assert_eq!(left, 0, "tables left after the teardown");
}
