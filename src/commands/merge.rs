//! `benchplan merge RUN_DIR... --out DIR`: shard runs into one run folder,
//! through the report code a run uses (report::merge, report::write_all).

use super::stored::{check_writable, write_junit};
use crate::cli::MergeArgs;
use crate::error::{Error, Exit};
use crate::report::{self, merge::Input};
use std::io::Write;
use std::path::Path;

pub fn merge(a: &MergeArgs, command: &str, out: &mut dyn Write) -> Result<Exit, Error> {
    if let Some(p) = &a.junit {
        check_writable(p)?;
    }
    if a.out.join("run.json").exists() {
        return Err(Error::Usage(format!("--out {}: holds a run already (run.json); give a new folder", a.out.display())));
    }
    let mut inputs = Vec::new();
    for d in &a.run_dirs {
        let dir = if d.file_name().is_some_and(|f| f == "run.json") { d.parent().unwrap_or(Path::new(".")) } else { d };
        let run = report::read_run(dir).map_err(Error::Usage)?;
        inputs.push(Input { dir: dir.display().to_string(), run });
    }
    let run_id = a.out.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "merged".into());
    let merged = report::merge::merge(inputs, a.allow_missing, run_id, command.to_string()).map_err(Error::Usage)?;
    std::fs::create_dir_all(&a.out).map_err(|e| Error::Usage(format!("cannot create {}: {e}", a.out.display())))?;
    let _ = out.write_all(&super::headline(&merged, &a.out));
    report::write_all(&a.out, &merged).map_err(Error::Report)?;
    if let Some(p) = &a.junit {
        write_junit(p, &report::junit::checks(&merged))?;
    }
    Ok(if merged.interrupted {
        Exit::Interrupted
    } else if let Some(b) = report::merge::failed_backend(&merged) {
        let _ = writeln!(out, "backend {} failed: {}", b.name, b.error.as_deref().unwrap_or(""));
        Exit::BackendFailed
    } else if merged.checks.iter().any(|c| !c.passed) {
        Exit::CheckFailed
    } else {
        Exit::Ok
    })
}
