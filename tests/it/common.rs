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

/// A test server's address from `var`; None (the test then passes, saying
/// SKIPPED) when unset, unless BENCHPLAN_REQUIRE_SERVERS is set, as
/// `scripts/test` does: then the test fails.
pub fn server_env(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(
                std::env::var("BENCHPLAN_REQUIRE_SERVERS").is_err(),
                "{var} is not set but BENCHPLAN_REQUIRE_SERVERS is: run scripts/test"
            );
            eprintln!("SKIPPED: {var} is not set (scripts/test starts the servers and sets it)");
            None
        }
    }
}
