//! `benchplan k8s`: Kubernetes manifests that run a scenario as N shards
//! and merge them into one report, with core objects only (a ConfigMap, a
//! PersistentVolumeClaim, three Jobs). Kubernetes has no order between
//! Jobs, so the order is kept through files on the shared volume: the setup
//! Job writes `start-at` when the tables are ready; each shard waits for it,
//! starts its phases at that time and writes `shards/<i>.exit`; the merge Job
//! waits for all N of those, merges, then tears down.

use crate::cli::K8sArgs;
use crate::error::{Error, Exit};
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Where the scenario, the results and the helper files are in each pod.
const SCENARIO_DIR: &str = "/scenario";
const RESULTS_DIR: &str = "/results";
/// The image's unprivileged user (see the Dockerfile).
const UID: u32 = 65532;

pub fn k8s(a: &K8sArgs, out: &mut dyn Write) -> Result<Exit, Error> {
    if !(1..=1000).contains(&a.shards) {
        return Err(Error::Usage(format!("k8s: --shards must be 1 to 1000, got {}", a.shards)));
    }
    if a.image.is_empty() || a.image.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::Usage(format!("k8s: --image must be an image reference without spaces, got {:?}", a.image)));
    }
    dns_label("--namespace", &a.namespace)?;
    if let Some(s) = &a.secret {
        dns_label("--secret", s)?;
    }
    let start_delay = humantime::parse_duration(&a.start_delay)
        .map_err(|e| Error::Usage(format!("k8s: --start-delay: expected a duration such as 60s, got {:?} ({e})", a.start_delay)))?;
    // The scenario must be valid before anything is written.
    // The ${env:...} values are the cluster's: unset ones read as `env-NAME`.
    let r = super::load_with(&a.file, &a.sets.set, true)?;
    let text = std::fs::read_to_string(&a.file).map_err(|e| Error::Usage(format!("k8s: cannot read {}: {e}", a.file.display())))?;
    let inline = inline_secrets(&text);
    if !inline.is_empty() {
        return Err(Error::Usage(format!(
            "k8s: {} has secrets written in it ({}): the manifests put the scenario in a ConfigMap, which is not secret. Write them as ${{env:NAME}} and give --secret, a Kubernetes Secret with those keys",
            a.file.display(),
            inline.join(", ")
        )));
    }
    let refs = env_refs(&text);
    // A reference with a default runs without the Secret; one without needs it.
    let needed: Vec<&String> = refs.iter().filter(|(_, default)| !default).map(|(n, _)| n).collect();
    if !needed.is_empty() && a.secret.is_none() {
        return Err(Error::Usage(format!(
            "k8s: {} reads {} from the environment: give --secret NAME, a Kubernetes Secret with those keys (its values reach the pods as environment variables)",
            a.file.display(),
            needed.iter().map(|n| format!("${{env:{n}}}")).collect::<Vec<_>>().join(", ")
        )));
    }
    let env_names: Vec<String> = refs.into_iter().map(|(n, _)| n).collect();
    let name = r.first().name.clone();
    let dir = a.out.clone().unwrap_or_else(|| PathBuf::from("k8s").join(&name));
    if dir.exists() && std::fs::read_dir(&dir).map(|mut d| d.next().is_some()).unwrap_or(true) {
        return Err(Error::Usage(format!("k8s: {} exists and is not empty; nothing is overwritten: give another --out", dir.display())));
    }
    let m = Manifests { a, name: &name, base: object_name(&name), scenario_text: text, start_delay_s: start_delay.as_secs().max(1) };
    let files: Vec<(&str, String)> = vec![
        ("1-configmap.yaml", yaml(&m.config_map())?),
        ("2-pvc.yaml", yaml(&m.volume_claim())?),
        ("3-setup-job.yaml", yaml(&m.setup_job())?),
        ("4-shards-job.yaml", yaml(&m.shards_job())?),
        ("5-merge-job.yaml", yaml(&m.merge_job())?),
        ("README.md", m.readme(&env_names)),
    ];
    std::fs::create_dir_all(&dir).map_err(|e| Error::Usage(format!("k8s: cannot create {}: {e}", dir.display())))?;
    for (file, body) in &files {
        write_new(&dir.join(file), body)?;
    }
    let _ =
        writeln!(out, "wrote {} manifests for {} shard(s) of {name} into {}; see its README.md", files.len() - 1, a.shards, dir.display());
    Ok(Exit::Ok)
}

fn write_new(p: &Path, body: &str) -> Result<(), Error> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(p)
        .map_err(|e| Error::Usage(format!("k8s: cannot create {}: {e}", p.display())))?;
    f.write_all(body.as_bytes()).map_err(|e| Error::Usage(format!("k8s: cannot write {}: {e}", p.display())))
}

fn yaml(v: &Value) -> Result<String, Error> {
    serde_yaml::to_string(v).map_err(|e| Error::Internal(format!("k8s: {e}")))
}

/// A DNS-1123 label (a namespace, a Secret's name).
fn dns_label(what: &str, s: &str) -> Result<(), Error> {
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(Error::Usage(format!("k8s: {what} must be a DNS-1123 label (a-z, 0-9 and '-', at most 63), got {s:?}")))
    }
}

/// `bp-<name>`: the scenario's name as the start of every object's name.
fn object_name(scenario: &str) -> String {
    let mut s: String = scenario.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    s.truncate(40);
    format!("bp-{}", s.trim_matches('-'))
}

/// The names of the `${env:NAME}` (and `${env:NAME:-default}`) the file
/// reads, in order, each once, and whether every reference to it has a default.
fn env_refs(text: &str) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("${env:") {
        rest = &rest[i + 6..];
        let end = rest.find('}').unwrap_or(rest.len());
        let (name, default) = match rest[..end].split_once(":-") {
            Some((n, _)) => (n.to_string(), true),
            None => (rest[..end].to_string(), false),
        };
        match out.iter_mut().find(|(n, _)| *n == name) {
            Some(seen) => seen.1 &= default,
            None if !name.is_empty() => out.push((name, default)),
            None => {}
        }
        rest = &rest[end..];
    }
    out
}

/// Backend fields that hold a secret written in the file, not read from
/// `${env:...}`: a password in a URL, a Cosmos DB key.
fn inline_secrets(text: &str) -> Vec<String> {
    let Ok(doc) = serde_yaml::from_str::<Value>(text) else { return Vec::new() };
    let mut out = Vec::new();
    for (name, b) in doc.get("backends").and_then(Value::as_object).into_iter().flatten() {
        for (field, v) in b.as_object().into_iter().flatten() {
            let Some(s) = v.as_str() else { continue };
            let without_env = strip_env(s);
            let secret = match field.as_str() {
                "url" | "endpoint" => crate::secrets::url_passwords(&without_env) != without_env,
                "key" | "password" | "token" => !without_env.replace(crate::secrets::MASK, "").trim().is_empty(),
                _ => false,
            };
            if secret {
                out.push(format!("backends.{name}.{field}"));
            }
        }
    }
    out
}

/// `s` with each `${env:...}` reference masked as a secret would be.
fn strip_env(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("${env:") {
        out.push_str(&rest[..i]);
        out.push_str(crate::secrets::MASK);
        rest = rest[i..].find('}').map_or("", |e| &rest[i + e + 1..]);
    }
    out.push_str(rest);
    out
}

/// A word for `sh -c`, single-quoted.
fn sh(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

struct Manifests<'a> {
    a: &'a K8sArgs,
    name: &'a str,
    base: String,
    scenario_text: String,
    start_delay_s: u64,
}

impl Manifests<'_> {
    fn labels(&self, part: &str) -> Value {
        json!({ "app.kubernetes.io/name": "benchplan", "app.kubernetes.io/instance": self.base, "app.kubernetes.io/component": part })
    }

    fn meta(&self, suffix: &str, part: &str) -> Value {
        json!({ "name": format!("{}-{suffix}", self.base), "namespace": self.a.namespace, "labels": self.labels(part) })
    }

    /// `benchplan <command> /scenario/<file> --set ...`, quoted for sh.
    fn command(&self, words: &[&str]) -> String {
        let mut c = vec!["benchplan".to_string()];
        c.extend(words.iter().map(|w| w.to_string()));
        c.push(format!("{SCENARIO_DIR}/scenario.yaml"));
        for s in &self.a.sets.set {
            c.push("--set".into());
            c.push(sh(s));
        }
        c.join(" ")
    }

    fn config_map(&self) -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": self.meta("scenario", "scenario"),
            "data": { "scenario.yaml": self.scenario_text },
        })
    }

    fn volume_claim(&self) -> Value {
        let mut spec = json!({
            "accessModes": ["ReadWriteMany"],
            "resources": { "requests": { "storage": self.a.storage } },
        });
        if let Some(class) = &self.a.storage_class {
            spec["storageClassName"] = json!(class);
        }
        json!({ "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": self.meta("results", "results"), "spec": spec })
    }

    /// A container running `script` with sh, the scenario and the results mounted.
    fn container(&self, name: &str, script: String, extra_env: Vec<Value>) -> Value {
        let mut c = json!({
            "name": name,
            "image": self.a.image,
            "command": ["sh", "-c", script],
            "env": extra_env,
            "volumeMounts": [
                { "name": "scenario", "mountPath": SCENARIO_DIR, "readOnly": true },
                { "name": "results", "mountPath": RESULTS_DIR },
            ],
        });
        if let Some(secret) = &self.a.secret {
            c["envFrom"] = json!([{ "secretRef": { "name": secret } }]);
        }
        c
    }

    fn pod_spec(&self, containers: Vec<Value>) -> Value {
        json!({
            "restartPolicy": "Never",
            "securityContext": { "runAsNonRoot": true, "runAsUser": UID, "runAsGroup": UID, "fsGroup": UID },
            "containers": containers,
            "volumes": [
                { "name": "scenario", "configMap": { "name": format!("{}-scenario", self.base) } },
                { "name": "results", "persistentVolumeClaim": { "claimName": format!("{}-results", self.base) } },
            ],
        })
    }

    fn job(&self, suffix: &str, part: &str, spec_extra: Value, pod: Value) -> Value {
        let mut spec = json!({ "backoffLimit": 0, "template": { "metadata": { "labels": self.labels(part) }, "spec": pod } });
        if let (Some(s), Some(extra)) = (spec.as_object_mut(), spec_extra.as_object()) {
            for (k, v) in extra {
                s.insert(k.clone(), v.clone());
            }
        }
        json!({ "apiVersion": "batch/v1", "kind": "Job", "metadata": self.meta(suffix, part), "spec": spec })
    }

    /// Creates and loads the tables once, then writes the shards' common start time.
    fn setup_job(&self) -> Value {
        let script = format!(
            "{setup} --out {RESULTS_DIR}/setup\nrc=$?\nif [ $rc -eq 0 ]; then\n  echo $(( $(date +%s) + {delay} )) > {RESULTS_DIR}/start-at.tmp && mv {RESULTS_DIR}/start-at.tmp {RESULTS_DIR}/start-at\nelse\n  echo $rc > {RESULTS_DIR}/setup.failed\nfi\nexit $rc\n",
            setup = self.command(&["setup"]),
            delay = self.start_delay_s
        );
        self.job("setup", "setup", json!({}), self.pod_spec(vec![self.container("setup", script, Vec::new())]))
    }

    /// N pods, one per completion index, each running its shard at the common start time.
    fn shards_job(&self) -> Value {
        let n = self.a.shards;
        let run = self.command(&["run", "--quiet", "--shard", "\"$SHARD_INDEX/$SHARDS\"", "--start-at", "\"$(cat /results/start-at)\""]);
        let script = format!(
            "mkdir -p {RESULTS_DIR}/shards\nuntil [ -s {RESULTS_DIR}/start-at ] || [ -e {RESULTS_DIR}/setup.failed ]; do sleep 2; done\nif [ -e {RESULTS_DIR}/setup.failed ]; then echo 3 > \"{RESULTS_DIR}/shards/$SHARD_INDEX.exit\"; exit 3; fi\n{run} --out \"{RESULTS_DIR}/shards/$SHARD_INDEX\"\nrc=$?\necho $rc > \"{RESULTS_DIR}/shards/$SHARD_INDEX.exit\"\nexit $rc\n"
        );
        let env = vec![
            json!({ "name": "SHARD_INDEX", "valueFrom": { "fieldRef": { "fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } }),
            json!({ "name": "SHARDS", "value": n.to_string() }),
        ];
        let extra = json!({ "completionMode": "Indexed", "completions": n, "parallelism": n });
        self.job("shards", "shard", extra, self.pod_spec(vec![self.container("shard", script, env)]))
    }

    /// Waits for every shard's exit file, merges their runs, tears down.
    fn merge_job(&self) -> Value {
        let n = self.a.shards;
        // The shards' runs and the setup's (its setup rows go into the merged report).
        let merge = format!(
            "benchplan merge {RESULTS_DIR}/shards/*/{name}/*/ {RESULTS_DIR}/setup/{name}/*/ --out {RESULTS_DIR}/merged",
            name = self.name
        );
        let script = format!(
            "until [ \"$(ls {RESULTS_DIR}/shards/*.exit 2>/dev/null | wc -l)\" -ge {n} ]; do sleep 5; done\n{merge}\nrc=$?\n{teardown} --out {RESULTS_DIR}/teardown\nexit $rc\n",
            teardown = self.command(&["teardown"])
        );
        self.job("merge", "merge", json!({}), self.pod_spec(vec![self.container("merge", script, Vec::new())]))
    }

    fn readme(&self, env_names: &[String]) -> String {
        let ns = &self.a.namespace;
        let secret = match (&self.a.secret, env_names.is_empty()) {
            (Some(s), false) => format!(
                "The pods read {} from the Secret `{s}` (its keys become environment variables); create it first, e.g.\n\n    kubectl -n {ns} create secret generic {s} {}\n\n",
                env_names.join(", "),
                env_names.iter().map(|n| format!("--from-literal={n}=...")).collect::<Vec<_>>().join(" ")
            ),
            (Some(s), true) => format!("The pods also get the Secret `{s}`'s keys as environment variables.\n\n"),
            (None, _) => String::new(),
        };
        format!(
            "# benchplan on Kubernetes: {name}, {n} shard(s)\n\nWritten by `benchplan k8s` (see docs/kubernetes.md in the benchplan repository).\n\n{secret}Then apply the manifests, in file order:\n\n    kubectl -n {ns} apply -f .\n\n1. `{base}-scenario` (ConfigMap): the scenario file as written.\n2. `{base}-results` (PersistentVolumeClaim, ReadWriteMany): where every pod writes.\n3. `{base}-setup` (Job): `benchplan setup` once, then writes `start-at` ({delay} s later).\n4. `{base}-shards` (Indexed Job, {n} completions, {n} in parallel): pod i waits for `start-at`, runs `benchplan run --shard i/{n} --start-at ...`, and writes `shards/i.exit`.\n5. `{base}-merge` (Job): waits for {n} exit files, runs `benchplan merge`, then `benchplan teardown`.\n\nThe merged report is in `/results/merged` on the volume; copy it out with a pod that mounts the claim, e.g. `kubectl cp`.\n",
            name = self.name,
            n = self.a.shards,
            base = self.base,
            delay = self.start_delay_s
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_written_in_the_file_are_found_and_env_references_are_not_secrets() {
        let text = "backends:\n  a: { kind: postgres, url: \"postgres://u:hunter2@db/test\" }\n  b: { kind: postgres, url: \"postgres://u:${env:PW}@db/test\" }\n  c: { kind: cosmos, endpoint: \"https://x\", key: \"abc==\" }\n  d: { kind: cosmos, endpoint: \"https://x\", key: \"${env:KEY}\" }\n";
        assert_eq!(inline_secrets(text), ["backends.a.url", "backends.c.key"]);
        let names = |refs: Vec<(String, bool)>| {
            refs.into_iter().map(|(n, d)| format!("{n}{}", if d { " (default)" } else { "" })).collect::<Vec<_>>()
        };
        assert_eq!(names(env_refs(text)), ["PW", "KEY"]);
        assert_eq!(names(env_refs("a: ${env:X:-1}\nb: ${env:Y:-2}\nc: ${env:Y}")), ["X (default)", "Y"]);
    }

    #[test]
    fn names_are_dns_labels_and_shell_words_are_quoted() {
        assert_eq!(object_name("Fraud_Scoring v2"), "bp-fraud-scoring-v2");
        assert!(dns_label("--namespace", "bench-1").is_ok());
        assert!(dns_label("--namespace", "Bench").is_err());
        assert_eq!(sh("a'b"), "'a'\\''b'");
    }
}
