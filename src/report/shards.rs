//! What run.json says of shards: a shard run's identity (`run --shard`),
//! a merged run's shards (`benchplan merge`), and the lines summary.md
//! writes about them under its title.

use super::markdown::esc;
use super::model::RunReport;
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// The system clock as the kernel tells it (Linux `adjtimex`): whether
/// NTP (or PTP) keeps it synchronised, and its estimated offset and error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClockState {
    pub synchronized: bool,
    /// The offset still being corrected, milliseconds.
    pub offset_ms: f64,
    /// The kernel's estimated error, milliseconds.
    pub est_error_ms: f64,
    /// Its maximum error, milliseconds.
    pub max_error_ms: f64,
}

/// A shard of a run: which one, when it was told to start, on which host.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShardInfo {
    /// From 0.
    pub index: u32,
    pub count: u32,
    /// `--start-at`, RFC 3339 UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_at_utc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<ClockState>,
    /// The scenario's checks, and the phases they apply to: `merge` evaluates them on the merged figures.
    #[serde(default)]
    pub checks: Vec<crate::scenario::model::Check>,
    #[serde(default)]
    pub slots: Vec<super::checks::Slot>,
}

/// One shard of a merged run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ShardIdentity {
    pub index: u32,
    pub run_id: String,
    /// The shard's run folder, as given to `merge`.
    pub dir: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    pub started_utc: String,
    pub finished_utc: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_at_utc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<ClockState>,
    /// Requests it sent in run phases (successful and failed).
    pub requests: u64,
}

/// A run merged from shards.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MergeInfo {
    /// Shards the run was split into.
    pub count: u32,
    pub shards: Vec<ShardIdentity>,
    /// Shard indices not merged (`--allow-missing`): their requests are not in the figures.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<u32>,
    /// The run of `benchplan setup` whose setup rows were merged in, if one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup_run: Option<String>,
}

fn clock_text(c: &Option<ClockState>) -> String {
    match c {
        Some(c) if c.synchronized => format!("clock synchronised, offset {:.3} ms, est. error {:.3} ms", c.offset_ms, c.est_error_ms),
        Some(_) => "clock NOT synchronised".into(),
        None => "clock state unknown".into(),
    }
}

/// summary.md's lines under the title about shards and setup-only runs.
pub fn header_lines(r: &RunReport) -> String {
    let mut s = String::new();
    match r.only.as_deref() {
        Some("setup") => s.push_str("- Setup only (`benchplan setup`): no phase ran; `benchplan merge` can take these setup rows.\n"),
        Some("teardown") => s.push_str("- Teardown only (`benchplan teardown`): no phase ran.\n"),
        _ => {}
    }
    if let Some(sh) = &r.shard {
        let at = sh.start_at_utc.as_ref().map(|t| format!(", start at {t}")).unwrap_or_default();
        let host = sh.host.as_ref().map(|h| format!(" on `{}`", esc(h))).unwrap_or_default();
        let _ = writeln!(
            s,
            "- **Shard {} of {}** (request indices {} + {}k of each phase){host}{at}; {}: `benchplan merge` combines the shards into one run.",
            sh.index,
            sh.count,
            sh.index,
            sh.count,
            clock_text(&sh.clock)
        );
    }
    if let Some(m) = &r.merged {
        let _ = writeln!(
            s,
            "- **Merged from {} of {} shards** (histograms added, counters summed, seconds aligned on the wall clock):",
            m.shards.len(),
            m.count
        );
        for sh in &m.shards {
            let host = sh.host.as_ref().map(|h| format!(" on `{}`", esc(h))).unwrap_or_default();
            let _ = writeln!(
                s,
                "  - shard {}: run `{}`{host}, {} to {} UTC, {} requests; {}",
                sh.index,
                esc(&sh.run_id),
                sh.started_utc,
                sh.finished_utc,
                sh.requests,
                clock_text(&sh.clock)
            );
        }
        if !m.missing.is_empty() {
            let list: Vec<String> = m.missing.iter().map(u32::to_string).collect();
            let _ = writeln!(
                s,
                "- **Shards missing: {}** (merged with `--allow-missing`): their requests are not in these figures, so totals and throughput are short of the run's.",
                list.join(", ")
            );
        }
        if let Some(setup) = &m.setup_run {
            let _ = writeln!(s, "- Setup rows from the setup run `{}`.", esc(setup));
        }
    }
    s
}
