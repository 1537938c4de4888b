//! The published schema: no drift from the types, and every example scenario
//! satisfies it (raw, before substitution) and passes `benchplan validate`.

use assert_cmd::Command;
use benchplan::scenario::diag::Diagnostics;
use benchplan::scenario::load;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scenarios() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    v.sort();
    v
}

#[test]
fn committed_schema_matches_the_types() {
    let committed = std::fs::read_to_string(root().join("schemas/scenario.schema.json")).unwrap();
    let generated = benchplan::scenario::schema::schema_json();
    assert!(
        committed == generated,
        "schemas/scenario.schema.json is out of date: run `cargo run -- schema > schemas/scenario.schema.json`"
    );
    let out = Command::cargo_bin("benchplan").unwrap().arg("schema").output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), committed, "`benchplan schema` prints the committed bytes");
}

fn raw(path: &Path) -> serde_json::Value {
    let bytes = std::fs::read(path).unwrap();
    let mut d = Diagnostics::new(path.display().to_string());
    load::parse(&bytes, &mut d).unwrap_or_else(|| panic!("{}: {:?}", path.display(), d.items))
}

#[test]
fn every_scenario_satisfies_the_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("schemas/scenario.schema.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema");
    let files = scenarios();
    assert!(files.len() >= 7, "quickstart, fraud-30t and one per backend kind: {files:?}");
    for f in &files {
        let v = raw(f);
        let errors: Vec<String> = validator.iter_errors(&v).map(|e| format!("{} at {}", e, e.instance_path)).collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", f.display());
    }
}

#[test]
fn the_schema_rejects_what_validate_rejects() {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("schemas/scenario.schema.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut v = raw(&root().join("scenarios/quickstart.yaml"));
    assert!(validator.is_valid(&v));
    v["backends"]["local"]["kind"] = "sqlit".into();
    assert!(!validator.is_valid(&v), "unknown backend kind");
    let mut v = raw(&root().join("scenarios/quickstart.yaml"));
    v["phases"][1]["run"]["requests"] = "many".into();
    assert!(!validator.is_valid(&v), "a word where a number goes");
    v["phases"][1]["run"]["requests"] = "${n}".into();
    assert!(validator.is_valid(&v), "a placeholder where a number goes");
    v["typo"] = 1.into();
    assert!(!validator.is_valid(&v), "unknown top-level field");
    // A distribution: a name, a name with its parameters, or a reference.
    let mut v = raw(&root().join("scenarios/quickstart.yaml"));
    for (value, ok) in [
        ("zipfian", true),
        ("zipfian:0.9", true),
        ("latest:0.5", true),
        ("hotspot:0.01", true),
        ("hotspot:0.01:0.8", true),
        ("${dist}", true),
        ("zipfain", false),
        ("uniform:0.5", false),
        ("hotspot:0.1:0.2:0.3", false),
    ] {
        v["phases"][1]["run"]["keys"] = serde_json::json!({ "distribution": value });
        assert_eq!(validator.is_valid(&v), ok, "distribution: {value}");
    }
}

#[test]
fn every_scenario_validates() {
    for f in scenarios() {
        Command::cargo_bin("benchplan")
            .unwrap()
            .current_dir(root())
            .env("COSMOS_ENDPOINT", "https://example.documents.azure.com:443/")
            .env("COSMOS_KEY", "not-a-real-key")
            .args(["validate", f.to_str().unwrap()])
            .assert()
            .success();
    }
}
