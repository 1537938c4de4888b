//! What the runner hands on: each phase's merged statistics with the
//! identity of what was measured, each setup step, and how the backend
//! ended. The report builds its rows and files from these (exec never
//! builds report rows; the report never reaches back into exec).

use super::timeseries::TsPoint;
use super::{Meter, PhaseStats, Usage};
use crate::prices::PriceFacts;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Which phase of which backend and matrix cell a measurement is of.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PhaseId {
    pub backend: String,
    pub kind: String,
    pub phase: String,
    /// The cell's matrix values, in matrix order.
    pub cell: IndexMap<String, Value>,
    pub workers: u32,
    /// The open-loop rate, where the phase has one.
    pub target_rps: Option<f64>,
    /// The settings each worker's connection had (PostgreSQL `settings`).
    pub settings: BTreeMap<String, String>,
}

/// How many of the exact k nearest neighbours a phase's `vector_search`
/// returned, over the query vectors it sent (see docs/methodology.md).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Recall {
    pub k: u32,
    /// Distinct query vectors sent in the phase.
    pub queries: u64,
    /// The mean over those queries of (exact neighbours returned) / k.
    pub recall_at_k: f64,
    /// Their 5th percentile: the worst queries' recall.
    pub recall_at_k_p5: f64,
}

impl Recall {
    /// From each sent query's recall.
    pub fn of(k: u32, mut per_query: Vec<f64>) -> Option<Recall> {
        if per_query.is_empty() {
            return None;
        }
        per_query.sort_by(f64::total_cmp);
        let n = per_query.len();
        let mean = per_query.iter().sum::<f64>() / n as f64;
        // Nearest rank: the smallest value with at least 5 % of the queries at or below it.
        let p5 = per_query[((n as f64 * 0.05).ceil() as usize).clamp(1, n) - 1];
        Some(Recall { k, queries: n as u64, recall_at_k: mean, recall_at_k_p5: p5 })
    }
}

/// One phase as measured (kept in a shard's run.json, so `merge` can add shards).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MeasuredPhase {
    pub id: PhaseId,
    pub warmup: bool,
    pub stats: PhaseStats,
    /// The phase's measured window, in seconds.
    pub duration_s: f64,
    /// Seconds it waited after the window for requests in flight.
    pub drain_s: f64,
    /// Open loop: requests due within the window that were never sent.
    pub missed: Option<u64>,
    /// What the benchplan process itself used during the phase.
    pub client: Option<super::process::ClientUsage>,
    pub timeseries: Vec<TsPoint>,
    /// Each mix op's label, in mix order (`#2 write card (upsert)`).
    pub op_labels: Vec<String>,
    /// Each mix op's `name`, where it has one (checks scoped with `op:` use it).
    pub op_names: Vec<Option<String>>,
    /// Per step (operation index, as in `stats.steps`), when some request has steps.
    pub step_labels: Vec<StepLabel>,
    /// Why the phase stopped before its end (the error policy, a failure,
    /// Ctrl-C): its figures are partial.
    pub stopped_early: Option<String>,
    /// What the phase cost at the backend's prices (None without prices).
    pub cost_usd: Option<f64>,
    /// The units the service charged in, where it reports them.
    pub meter: Option<Meter>,
    /// Whether the scenario asked for EXPLAIN samples in this phase.
    pub explain_asked: bool,
    /// A `vector_search` phase: its recall (None for other phases, and with a `filter`).
    pub recall: Option<Recall>,
    /// At most how many statements a request of the phase sends (a failed
    /// one may have sent some of them): the cross-checks' tolerance.
    pub statements_bound: u64,
    /// What the server's own counters say of the phase, where the kind reads them.
    /// Not kept for a merge: the server counts every shard's requests.
    #[serde(skip)]
    pub server: Option<super::xcheck::ServerDelta>,
    /// When the phase started, as unix time (seconds): where its per-second
    /// series sits on the wall clock (shards are merged by it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_unix_s: Option<f64>,
}

/// One step of a request with `steps`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StepLabel {
    /// The request's index among the phase's mix ops.
    pub op: usize,
    /// The step's name (`name`, or `step1`, ...).
    pub name: String,
    /// What it does: `read user (serial)`.
    pub what: String,
}

/// One setup or teardown step as measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MeasuredStep {
    pub step: String,
    pub rows: u64,
    pub duration_s: f64,
    pub cost_usd: Option<f64>,
    /// What a load consumed, where the service reports it.
    pub usage: Option<(Usage, Meter)>,
    /// An index step: the index's size on disk, where the server tells it.
    pub bytes: Option<u64>,
}

/// How a backend's run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    Ok,
    Failed,
    Interrupted,
}

/// Everything one backend produced.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BackendRun {
    pub name: String,
    pub kind: String,
    pub ending: Ending,
    pub error: Option<String>,
    pub server: BTreeMap<String, String>,
    pub cost_basis: Option<String>,
    pub prices: Option<PriceFacts>,
    /// Bytes the tables took after the load.
    pub data_bytes: Option<u64>,
    pub setup: Vec<MeasuredStep>,
    pub phases: Vec<MeasuredPhase>,
    pub warnings: Vec<String>,
    /// The dataset's table and entity names, by index (legs and entities are counted by index).
    pub tables: Vec<String>,
    pub entities: Vec<String>,
    /// Each findmax phase's search (its steps are in `phases`).
    pub findmax: Vec<FindmaxOutcome>,
}

impl BackendRun {
    /// A backend that failed before it measured anything (it did not connect).
    pub fn failed(name: &str, kind: &str, error: String) -> Self {
        BackendRun {
            name: name.to_string(),
            kind: kind.to_string(),
            ending: Ending::Failed,
            error: Some(error),
            server: BTreeMap::new(),
            cost_basis: None,
            prices: None,
            data_bytes: None,
            setup: Vec::new(),
            phases: Vec::new(),
            warnings: Vec::new(),
            tables: Vec::new(),
            entities: Vec::new(),
            findmax: Vec::new(),
        }
    }
}

/// What judged one findmax step: the checks that apply to its phase,
/// evaluated on the step's own figures (built by the report, handed to
/// the runner, so exec never builds report rows itself).
pub type Judge<'a> = dyn Fn(&MeasuredPhase, &str) -> Verdict + Send + Sync + 'a;

/// A findmax step's verdict.
#[derive(Debug, Clone, Default)]
pub struct Verdict {
    /// What it failed (a check with its measured value, or the rate not
    /// achieved); empty when it passed.
    pub failed: Vec<String>,
    /// Checks in scope that one step's figures cannot decide (a relative
    /// check, a metric without a value): named once in the report.
    pub unjudged: Vec<String>,
    pub throughput_rps: f64,
    pub p99_ms: f64,
}

/// One step of a findmax search.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FindmaxStep {
    /// The step's row (`<phase>@<rate>`).
    pub phase: String,
    /// The offered rate, requests per second.
    pub rate: f64,
    pub throughput_rps: f64,
    pub p99_ms: f64,
    pub passed: bool,
    /// What it failed; empty when it passed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<String>,
}

/// A findmax phase's search on one backend and cell: the highest rate that
/// met the checks and the lowest that did not.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FindmaxOutcome {
    pub backend: String,
    /// The phase as the scenario names it.
    pub phase: String,
    pub cell: IndexMap<String, Value>,
    /// The highest rate that met the checks; None when the first did not.
    pub max_rps: Option<f64>,
    /// That step's row (`<phase>@<rate>`): the phase's checks are reported on it.
    pub max_phase: Option<String>,
    /// The lowest rate that failed them; None when none did (up to `max`).
    pub failed_rps: Option<f64>,
    /// The precision asked for (relative).
    pub precision: f64,
    /// Each step's length: `10 s` or `5000 requests`.
    pub step_length: String,
    /// Why the search ended: `converged`, `passed at max`, `failed at start`,
    /// `step limit`, `interrupted`.
    pub ended: String,
    pub steps: Vec<FindmaxStep>,
    /// Checks in scope that no step could decide.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unjudged: Vec<String>,
}
