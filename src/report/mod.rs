//! Exporters: pure functions from the report to bytes, and the one place
//! that writes a run folder.

pub mod assemble;
pub mod charts;
pub mod checks;
pub mod compare;
pub mod costs;
pub mod csv;
pub mod fmt;
pub mod hgrm;
pub mod junit;
pub mod legs;
pub mod markdown;
pub mod model;

use model::RunReport;
use std::path::{Path, PathBuf};

/// run.json: the report, pretty-printed, with a trailing newline.
pub fn run_json(r: &RunReport) -> Result<Vec<u8>, String> {
    let mut v = serde_json::to_vec_pretty(r).map_err(|e| format!("cannot encode run.json: {e}"))?;
    v.push(b'\n');
    Ok(v)
}

/// Every file of a run folder, as (relative path, bytes), in a fixed order.
pub fn files(r: &RunReport) -> Result<Vec<(PathBuf, Vec<u8>)>, String> {
    let mut out = vec![
        (PathBuf::from("summary.md"), markdown::summary_md(r)),
        (PathBuf::from("results.csv"), csv::results_csv(r)),
        (PathBuf::from("breakdown.csv"), csv::breakdown_csv(r)),
        (PathBuf::from("timeseries.csv"), csv::timeseries_csv(r)),
    ];
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
    out.push((PathBuf::from("run.json"), run_json(r)?));
    Ok(out)
}

/// Writes every file into `dir` (which exists).
pub fn write_all(dir: &Path, r: &RunReport) -> Result<Vec<PathBuf>, String> {
    let mut written = Vec::new();
    for (rel, bytes) in files(r)? {
        let p = dir.join(&rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&p, bytes).map_err(|e| format!("cannot write {}: {e}", p.display()))?;
        written.push(p);
    }
    Ok(written)
}

/// Reads a run folder's run.json.
pub fn read_run(dir: &Path) -> Result<RunReport, String> {
    let p = dir.join("run.json");
    let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: cannot read: {e}", p.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}:{}:{}: not a benchplan run.json: {e}", p.display(), e.line(), e.column()))
}
