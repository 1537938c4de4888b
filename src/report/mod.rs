//! Exporters: pure functions from the report to bytes, and the one place
//! that writes a run folder.

pub mod assemble;
pub mod charts;
pub mod checks;
pub mod compare;
pub mod costs;
pub mod csv;
pub mod findmax;
pub mod fmt;
pub mod hgrm;
pub mod junit;
pub mod legs;
pub mod markdown;
pub mod merge;
pub mod model;
pub mod shards;
pub mod xcheck;

use model::RunReport;
use std::path::{Path, PathBuf};

/// run.json: the report, pretty-printed, with a trailing newline.
pub fn run_json(r: &RunReport) -> Result<Vec<u8>, String> {
    let mut v = serde_json::to_vec_pretty(r).map_err(|e| format!("cannot encode run.json: {e}"))?;
    v.push(b'\n');
    Ok(v)
}

/// Every file of a run folder but run.json, as (relative path, bytes), in a fixed order.
pub fn files(r: &RunReport) -> Result<Vec<(PathBuf, Vec<u8>)>, String> {
    let mut out = vec![
        (PathBuf::from("summary.md"), markdown::summary_md(r)),
        (PathBuf::from("results.csv"), csv::results_csv(r)),
        (PathBuf::from("breakdown.csv"), csv::breakdown_csv(r)),
        (PathBuf::from("timeseries.csv"), csv::timeseries_csv(r)),
    ];
    if !r.operations.is_empty() {
        out.push((PathBuf::from("operations.csv"), csv::operations_csv(r)));
    }
    if let Some(c) = costs::costs_csv(r) {
        out.push((PathBuf::from("costs.csv"), c));
    }
    for h in &r.histograms {
        let hist = hgrm::decode(&h.data)?;
        out.push((Path::new("latency").join(assemble::histogram_file(h)), hgrm::hgrm(&hist)));
    }
    for c in charts::list(r) {
        out.push((Path::new("charts").join(&c.file), charts::render(r, &c)?));
    }
    Ok(out)
}

/// Writes every file into `dir` (which exists): run.json first (the
/// measurements; every other file can be rebuilt from it with `benchplan
/// report`), then the others. Each file is written whole or not at all (a
/// temporary file renamed into place), and never outside `dir`. Err names
/// what was written and what was not.
pub fn write_all(dir: &Path, r: &RunReport) -> Result<Vec<PathBuf>, String> {
    let mut written = Vec::new();
    let json = run_json(r)?;
    write_file(dir, Path::new("run.json"), &json).map_err(|e| format!("{e}; nothing was written"))?;
    written.push(dir.join("run.json"));
    let mut failed = Vec::new();
    match files(r) {
        Ok(files) => {
            for (rel, bytes) in files {
                match write_file(dir, &rel, &bytes) {
                    Ok(p) => written.push(p),
                    Err(e) if !failed.contains(&e) => failed.push(e),
                    Err(_) => {}
                }
            }
        }
        Err(e) => failed.push(e),
    }
    if failed.is_empty() {
        Ok(written)
    } else {
        let names: Vec<String> = written.iter().map(|p| p.strip_prefix(dir).unwrap_or(p).display().to_string()).collect();
        Err(format!(
            "{}; written: {} (rebuild the rest with `benchplan report {}` once there is room)",
            failed.join("; "),
            names.join(", "),
            dir.display()
        ))
    }
}

/// Writes one file atomically below `dir`; `rel` must stay inside it.
fn write_file(dir: &Path, rel: &Path, bytes: &[u8]) -> Result<PathBuf, String> {
    use std::path::Component;
    if rel.as_os_str().is_empty() || !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(format!("refusing to write {} outside the run folder", rel.display()));
    }
    let p = dir.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    let mut tmp = p.clone().into_os_string();
    tmp.push(".partial");
    let tmp = PathBuf::from(tmp);
    let res = std::fs::write(&tmp, bytes).and_then(|_| std::fs::rename(&tmp, &p));
    if let Err(e) = res {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("cannot write {}: {e}", p.display()));
    }
    Ok(p)
}

/// Reads a run folder's run.json.
pub fn read_run(dir: &Path) -> Result<RunReport, String> {
    let p = dir.join("run.json");
    let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: cannot read: {e}", p.display()))?;
    #[derive(serde::Deserialize)]
    struct Format {
        format: Option<serde_json::Value>,
    }
    let not_ours = |e: serde_json::Error| format!("{}:{}:{}: not a benchplan run.json: {e}", p.display(), e.line(), e.column());
    let f: Format = serde_json::from_str(&text).map_err(not_ours)?;
    if f.format != Some(serde_json::json!(model::REPORT_FORMAT)) {
        let found = f.format.map_or("none".to_string(), |v| v.to_string());
        return Err(format!(
            "{}: run.json format {found} is not one this benchplan reads (it reads format {})",
            p.display(),
            model::REPORT_FORMAT
        ));
    }
    serde_json::from_str(&text).map_err(not_ours)
}
