//! Commands on stored runs: `compare`, `report`, and what `run --baseline`
//! and `--junit` share with them (thresholds, reading a run or the newest of
//! a folder of runs, writing JUnit).

use crate::error::{Error, Exit};
use crate::report;
use std::io::Write;
use std::path::{Path, PathBuf};

impl crate::cli::ThresholdArgs {
    /// As fractions, checked.
    pub fn thresholds(&self) -> Result<report::compare::Thresholds, Error> {
        let d = report::compare::Thresholds::default();
        // A throughput drop beyond 100 % cannot happen: such a gate is off.
        if self.throughput_drop.is_some_and(|v| v > 100.0) {
            return Err(Error::Usage(
                "--throughput-drop: a throughput drop of more than 100% cannot happen, so this would never flag one: give at most 100%"
                    .into(),
            ));
        }
        // --max-regression above 100 % is for latency; a throughput drop
        // cannot pass 100 %, so that gate is then as good as off, and shown so.
        let throughput_drop = self.throughput_drop.or(self.max_regression.map(|p| p.min(100.0))).map_or(d.throughput_drop, |p| p / 100.0);
        let latency_rise = self.latency_rise.or(self.max_regression).map_or(d.latency_rise, |p| p / 100.0);
        let error_rate_rise = self.error_rate_rise / 100.0;
        if self.min_samples < 2 {
            return Err(Error::Usage(format!(
                "--min-samples: a test needs at least 2 per-second samples a side, found {}",
                self.min_samples
            )));
        }
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(Error::Usage(format!("--alpha must be between 0 and 1, found {}", self.alpha)));
        }
        Ok(report::compare::Thresholds {
            throughput_drop,
            latency_rise,
            min_latency_delta_ms: self.min_latency_delta,
            error_rate_rise,
            memory_rise: self.memory_rise / 100.0,
            alpha: self.alpha,
            min_samples: self.min_samples,
        })
    }
}

/// A run folder (or its run.json), or a folder of runs such as a
/// `--out` folder kept as a named baseline (`results/baselines/main`): then
/// its newest run (of `scenario`, when given and present), chosen by the
/// run folders' UTC names. Returns the run folder and the run.
pub(super) fn read_run_in(p: &Path, scenario: Option<&str>) -> Result<(PathBuf, report::model::RunReport), Error> {
    let dir = if p.file_name().is_some_and(|f| f == "run.json") { p.parent().unwrap_or(Path::new(".")) } else { p };
    if dir.join("run.json").is_file() || !dir.is_dir() {
        return Ok((dir.to_path_buf(), report::read_run(dir).map_err(Error::Usage)?));
    }
    // <dir>/<stamp>/run.json or <dir>/<scenario>/<stamp>/run.json
    let subdirs = |d: &Path| -> Vec<PathBuf> {
        std::fs::read_dir(d).map(|it| it.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect()).unwrap_or_default()
    };
    let mut runs: Vec<PathBuf> = Vec::new();
    for a in subdirs(dir) {
        if a.join("run.json").is_file() {
            runs.push(a.clone());
        }
        runs.extend(subdirs(&a).into_iter().filter(|b| b.join("run.json").is_file()));
    }
    let of_scenario: Vec<&PathBuf> =
        runs.iter().filter(|r| scenario.is_some_and(|s| r.parent().and_then(Path::file_name).is_some_and(|n| n == s))).collect();
    let pool: Vec<&PathBuf> = if of_scenario.is_empty() { runs.iter().collect() } else { of_scenario };
    let newest = pool.into_iter().max_by(|a, b| a.file_name().cmp(&b.file_name()).then(a.cmp(b))).ok_or_else(|| {
        Error::Usage(format!(
            "{}: no run.json in it, nor in the run folders below it (<dir>/<run>/ or <dir>/<scenario>/<run>/)",
            dir.display()
        ))
    })?;
    Ok((newest.clone(), report::read_run(newest).map_err(Error::Usage)?))
}

pub(super) fn write_junit(path: &Path, xml: &str) -> Result<(), Error> {
    std::fs::write(path, xml).map_err(|e| Error::Report(format!("cannot write {}: {e}", path.display())))
}

/// Refuses a `--junit` path that cannot be written, before anything runs:
/// a folder, or a file in a folder that is missing or not writable.
pub(super) fn check_writable(path: &Path) -> Result<(), Error> {
    let bad = |why: String| Error::Usage(format!("--junit {}: {why}", path.display()));
    if path.is_dir() {
        return Err(bad("is a folder".into()));
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let probe = parent.join(format!(".benchplan-junit-probe-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| bad(format!("cannot write in {}: {e}", parent.display())))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

pub fn compare(a: &crate::cli::CompareArgs, out: &mut dyn Write) -> Result<Exit, Error> {
    let th = a.thresholds.thresholds()?;
    if let Some(p) = &a.junit {
        check_writable(p)?;
    }
    // Either may be a folder of runs: its newest (the base's of the new run's scenario).
    let (new_dir, new) = read_run_in(&a.new, None)?;
    let (base_dir, base) = read_run_in(&a.base, Some(&new.scenario))?;
    let mut c = report::compare::compare(&base, &new, &th);
    c.allow_missing = a.thresholds.allow_missing;
    let _ = write!(out, "{}", report::compare::markdown(&c, &base, &new, &base_dir.display().to_string(), &new_dir.display().to_string()));
    if let Some(j) = &a.junit {
        write_junit(j, &report::junit::comparison(&c, &new.scenario))?;
    }
    let missing = c.incomplete() && !a.thresholds.allow_missing;
    Ok(if c.regressions().is_empty() && !missing { Exit::Ok } else { Exit::CheckFailed })
}

pub fn report(dir: &Path, out: &mut dyn Write) -> Result<Exit, Error> {
    // The folder, or its run.json.
    let dir = if dir.file_name().is_some_and(|f| f == "run.json") { dir.parent().unwrap_or(Path::new(".")) } else { dir };
    let r = report::read_run(dir).map_err(Error::Usage)?;
    let written = report::write_all(dir, &r).map_err(Error::Report)?;
    let _ = writeln!(out, "rebuilt {} files in {}", written.len(), dir.display());
    Ok(Exit::Ok)
}
