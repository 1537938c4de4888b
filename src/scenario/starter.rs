//! What `benchplan init` writes: a starter scenario that any YAML parser
//! reads as benchplan does (every `${...}` is quoted: unquoted, `{ keys:
//! ${rows} }` is not YAML to a strict parser), whose first line points
//! editors (yaml-language-server) at the JSON schema.

use std::path::Path;

/// Where a clone of the repository keeps the schema (`benchplan schema`
/// prints the same bytes).
pub const SCHEMA_FILE: &str = "schemas/scenario.schema.json";
/// The schema's name beside a scenario, when no clone is around it.
pub const SCHEMA_BESIDE: &str = "scenario.schema.json";

/// What the starter holds.
#[derive(Debug, Clone)]
pub struct Starter<'a> {
    pub name: &'a str,
    pub entities: u32,
    pub tables: u32,
    pub features: u32,
    pub rows: u64,
}

/// The `$schema` path for a scenario written in `dir`, relative to `dir` as
/// yaml-language-server reads it: `schemas/scenario.schema.json` of `dir`
/// or the nearest folder above that has one (in a clone: at its root,
/// `../schemas/...` from `scenarios/`); `Err` with `scenario.schema.json`
/// (beside the file) when there is none.
pub fn schema_path(dir: &Path) -> Result<String, String> {
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    let abs = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    for (up, folder) in abs.ancestors().enumerate() {
        if folder.join(SCHEMA_FILE).is_file() {
            return Ok(format!("{}{SCHEMA_FILE}", "../".repeat(up)));
        }
    }
    Err(SCHEMA_BESIDE.to_string())
}

const ENTITY_NAMES: &[&str] = &["card", "email", "name", "device", "ip", "merchant", "account", "phone"];

/// The starter's text; `schema`: the first line's `$schema` path, as
/// [`schema_path`] gives it (`Err`: a file to write beside the scenario).
pub fn text(a: &Starter, schema: &Result<String, String>) -> String {
    let ents: Vec<String> =
        (0..a.entities as usize).map(|i| ENTITY_NAMES.get(i).map(|s| s.to_string()).unwrap_or_else(|| format!("entity{i}"))).collect();
    let mut s = String::new();
    match schema {
        Ok(path) => s.push_str(&format!("# yaml-language-server: $schema={path}\n")),
        Err(beside) => {
            s.push_str(&format!("# yaml-language-server: $schema={beside}\n"));
            s.push_str(&format!("# (for editors: `benchplan schema > {beside}` in this folder writes it)\n"));
        }
    }
    s.push_str("# A benchplan scenario. Check it with `benchplan validate FILE`; the schema is `benchplan schema`.\n");
    s.push_str(&format!(
        "version: 1\nname: {}\ndescription: {} entities, {} tables x {} features each, on the embedded SQLite backend\nseed: 42\n\n",
        a.name, a.entities, a.tables, a.features
    ));
    s.push_str(&format!("params:\n  rows: {}\n  workers: 4\n  hot: 0.8\n\n", a.rows));
    s.push_str("matrix:\n  hot: [1.0, 0.8, 0.0]\n\n");
    s.push_str("backends:\n  local:\n    kind: sqlite\n    path: \":memory:\"\n\n");
    s.push_str("dataset:\n  entities:\n");
    for e in &ents {
        s.push_str(&format!("    {e}: {{ keys: \"${{rows}}\", key: string }}\n"));
    }
    s.push_str("  tables:\n");
    for e in &ents {
        s.push_str(&format!("    - {{ name: \"{e}_f{{i}}\", entity: {e}, count: {}, features: {} }}\n", a.tables, a.features));
    }
    s.push_str("\nsetup:\n  - create: {}\n  - load: { batch: 5000 }\n\n");
    s.push_str("phases:\n  - warmup: { requests: 200, workers: \"${workers}\" }\n  - run:\n      name: serve\n      requests: 2000\n      workers: \"${workers}\"\n      timeout: 2s\n      keys: { distribution: hotspot, hot_keys: 0.01, hot_traffic: \"${hot}\" }\n      mix:\n        - weight: 95\n");
    s.push_str(&format!("          read_features: {{ entities: [{}], fetch: packed }}\n", ents.join(", ")));
    s.push_str(&format!("        - weight: 5\n          write_features: {{ entities: [{}], mode: upsert }}\n", ents[0]));
    s.push_str("\nteardown:\n  - drop: {}\n\nchecks:\n  - p99_ms < 120\n  - error_rate == 0\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_is_found_in_the_folder_or_above_else_beside() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("schemas")).unwrap();
        std::fs::create_dir_all(root.join("scenarios/deeper")).unwrap();
        assert_eq!(schema_path(root), Err(SCHEMA_BESIDE.to_string()), "no schema file yet");
        std::fs::write(root.join(SCHEMA_FILE), "{}").unwrap();
        assert_eq!(schema_path(root).as_deref(), Ok("schemas/scenario.schema.json"));
        assert_eq!(schema_path(&root.join("scenarios")).as_deref(), Ok("../schemas/scenario.schema.json"));
        assert_eq!(schema_path(&root.join("scenarios/deeper")).as_deref(), Ok("../../schemas/scenario.schema.json"));
    }
}
