//! Helpers shared by the CLI and runner tests.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn bin() -> Command {
    let mut c = Command::cargo_bin("benchplan").unwrap();
    c.current_dir(root());
    c
}

/// Writes a scenario file into `dir` and returns its path.
pub fn scenario(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(format!("{name}.yaml"));
    std::fs::write(&p, text).unwrap();
    p
}

/// The single run folder under `out/<name>/`.
pub fn run_dir(out: &Path, name: &str) -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(out.join(name)).unwrap().map(|e| e.unwrap().path()).collect();
    dirs.sort();
    assert_eq!(dirs.len(), 1, "one run folder expected: {dirs:?}");
    dirs.pop().unwrap()
}

pub fn read_csv(p: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(p).unwrap();
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r.records().map(|rec| rec.unwrap().iter().map(str::to_string).collect()).collect();
    (header, rows)
}

pub fn col(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

pub fn num(row: &[String], header: &[String], name: &str) -> f64 {
    row[col(header, name)].parse().unwrap_or_else(|_| panic!("{name} = {:?} is not a number", row[col(header, name)]))
}

/// A small noop scenario; `backend` and `phase` are YAML fragments.
pub fn noop(name: &str, backend: &str, phase: &str, extra: &str) -> String {
    format!(
        r#"version: 1
name: {name}
seed: 3
backends:
  dry:
    kind: noop
{backend}
dataset:
  entities:
    card: {{ keys: 1000, key: string }}
    email: {{ keys: 1000, key: int }}
  tables:
    - {{ name: "card_f{{i}}", entity: card, count: 2, features: 3 }}
    - {{ name: "email_f{{i}}", entity: email, count: 2, features: 3 }}
phases:
  - run:
{phase}
      keys: {{ distribution: hotspot, hot_keys: 0.1, hot_traffic: 0.5 }}
      mix:
        - read_features: {{ entities: [card, email], fetch: packed }}
{extra}"#
    )
}

/// A test server's address from `var`. A test that calls this is
/// `#[ignore]`d (see main.rs): it runs only when asked for, and then fails
/// without its server rather than passing without having run.
pub fn server_env(var: &str) -> String {
    match std::env::var(var) {
        Ok(u) if !u.is_empty() => u,
        _ => panic!(
            "{var} is not set: this test needs a server. `bash scripts/test` starts the servers, sets {var} \
             and runs the ignored tests; or set {var} yourself and run `cargo nextest run --run-ignored all`"
        ),
    }
}

/// Whether a value read back as text is the model's value.
pub fn same(want: &benchplan::dataset::FeatureValue, got: &str) -> bool {
    match want {
        benchplan::dataset::FeatureValue::Float(f) => got.parse::<f64>().is_ok_and(|g| (g - f).abs() < 1e-12),
        benchplan::dataset::FeatureValue::Int(i) => got == i.to_string(),
        benchplan::dataset::FeatureValue::Str(s) => got == s,
        benchplan::dataset::FeatureValue::Bool(b) => [if *b { "true" } else { "false" }, if *b { "1" } else { "0" }].contains(&got),
        // pgvector's text form, `[x,y,...]`: each component read back exactly.
        benchplan::dataset::FeatureValue::Vector(v) => {
            let parts: Vec<Option<f32>> = got.trim_matches(['[', ']']).split(',').map(|x| x.parse().ok()).collect();
            parts.len() == v.len() && parts.iter().zip(v).all(|(g, w)| *g == Some(*w))
        }
    }
}

/// `benchplan run -q SCENARIO --set url=URL --out OUT`, which must exit 0.
pub fn run_ok(sc: &Path, url: &str, out: &Path) {
    let a = bin().args(["run", "-q"]).arg(sc).arg("--set").arg(format!("url={url}")).arg("--out").arg(out).assert();
    let o = a.get_output();
    assert_eq!(o.status.code(), Some(0), "{}\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
}
