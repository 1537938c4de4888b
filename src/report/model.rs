//! The report: everything a run measured, serialised as `run.json`, from
//! which every other file is rebuilt byte for byte.

use crate::stats::Latency;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

pub const REPORT_FORMAT: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct RunReport {
    pub format: u32,
    pub run_id: String,
    pub tool: String,
    pub scenario: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub scenario_file: String,
    pub scenario_sha256: String,
    pub command: String,
    pub started_utc: String,
    pub finished_utc: String,
    pub environment: Environment,
    pub matrix_params: Vec<String>,
    /// Per matrix param, the run phases whose definition it changes (a
    /// chart by the param is drawn for those only). None in a run.json
    /// written before it was recorded: every phase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matrix_scope: Option<IndexMap<String, Vec<String>>>,
    pub backends: Vec<BackendStatus>,
    pub setup: Vec<SetupRow>,
    pub rows: Vec<ResultRow>,
    /// Rows split by segment (cold, mixed, hot).
    pub breakdown: Vec<ResultRow>,
    pub timeseries: Vec<TsRow>,
    pub errors: Vec<ErrorRow>,
    pub checks: Vec<CheckResult>,
    /// Each findmax phase's search per backend and cell (its steps are rows).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findmax: Vec<crate::stats::measured::FindmaxOutcome>,
    /// Serial and parallel reads: how often each table was the slowest leg.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub legs: Vec<LegRow>,
    /// Serial reads: how often the leg at each position was the slowest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leg_positions: Vec<LegPositionRow>,
    /// Serial and parallel reads: each entity's legs' latency.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entities: Vec<EntityRow>,
    /// Phases whose mix has more than one op: each op's requests and latency.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<OpRow>,
    pub histograms: Vec<HistogramRecord>,
    /// Per phase: successful requests by their entities and how many of
    /// them drew a hot key (the cache score's split).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hot_split: Vec<HotSplitRow>,
    /// Per phase: the server's own counters beside benchplan's counts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cross_checks: Vec<CrossCheckRow>,
    /// What the cross-checks could not compare, and why (`pg: pg_stat_statements is not installed ...`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cross_check_notes: Vec<String>,
    pub warnings: Vec<String>,
    pub interrupted: bool,
    /// `run --baseline`: the baseline's run id and what differs between it
    /// and this run (tool, scenario, machine, servers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineNote>,
    /// The scenario as run: params substituted, `${env:...}` kept as written.
    pub resolved_scenario: Value,
    /// `setup` or `teardown`: a run of those steps alone (`benchplan setup`, `benchplan teardown`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only: Option<String>,
    /// A shard of a run (`run --shard i/n`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<super::shards::ShardInfo>,
    /// A run merged from shards (`benchplan merge`): each shard's identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged: Option<super::shards::MergeInfo>,
    /// A shard's measurements as the runner handed them on (histograms
    /// included), from which `merge` builds the merged run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub measured: Vec<crate::stats::measured::BackendRun>,
}

/// The run this one was compared with, and what differs between them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BaselineNote {
    pub run_id: String,
    pub differences: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Environment {
    pub os: String,
    pub arch: String,
    pub cpus: usize,
    pub tool_version: String,
    /// What identifies the machine, where the system tells it: `host`,
    /// `cpu_model`, `kernel`, `memory_gib`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub machine: BTreeMap<String, String>,
    /// Threads of the async runtime that ran the workers (`--threads`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_threads: Option<usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Failed,
    Interrupted,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BackendStatus {
    pub name: String,
    pub kind: String,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub server: BTreeMap<String, String>,
    /// How its cost is computed, when it has pricing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_basis: Option<String>,
    /// Bytes its tables took after the load (data and indexes), where the kind can tell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_bytes: Option<u64>,
    /// The prices its cost was computed with, for the projections in summary.md.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prices: Option<PriceFacts>,
}

pub use crate::prices::PriceFacts;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetupRow {
    pub backend: String,
    pub kind: String,
    pub step: String,
    pub rows: u64,
    pub duration_s: f64,
    pub rows_per_s: f64,
    /// Cost of the step (a load's consumed capacity, or its duration at the hourly price).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    /// Capacity and retries, for kinds that report them (see [`Capacity`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<Capacity>,
    /// An index step: the index's size in bytes (PostgreSQL: `pg_relation_size`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
}

/// Consumed capacity as the service reported it, and retries, summed over
/// all requests (failed ones too).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct Capacity {
    /// DynamoDB read / write capacity units (0 for Cosmos DB).
    pub read_units: f64,
    pub write_units: f64,
    pub retries: u64,
    pub throttled: u64,
    /// Cosmos DB request units, reads and writes together (None for DynamoDB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_units: Option<f64>,
}

impl Capacity {
    pub fn new(u: crate::stats::Usage, meter: crate::stats::Meter) -> Self {
        let ru = meter == crate::stats::Meter::RequestUnits;
        Capacity {
            read_units: u.read_units,
            write_units: u.write_units,
            retries: u.retries,
            throttled: u.throttled,
            request_units: ru.then_some(u.request_units),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ResultRow {
    pub backend: String,
    pub kind: String,
    pub phase: String,
    /// Matrix values of the cell.
    pub cell: IndexMap<String, Value>,
    /// `cold`, `mixed` or `hot` in breakdown rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    pub workers: u32,
    pub requests: u64,
    pub errors: u64,
    pub error_rate: f64,
    pub duration_s: f64,
    pub throughput_rps: f64,
    #[serde(flatten)]
    pub latency: Latency,
    pub cost_usd: Option<f64>,
    pub cost_per_million_usd: Option<f64>,
    /// Open loop: the target rate; latency columns are then response times.
    pub target_rps: Option<f64>,
    pub service_p50_ms: Option<f64>,
    pub service_p99_ms: Option<f64>,
    pub late_requests: Option<u64>,
    /// Open loop: requests due within the phase that were never sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missed_requests: Option<u64>,
    pub rows_per_request: f64,
    /// Rows (items) read or written per second over the phase: the sink
    /// benchmarks' figure (None in reports written before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows_per_s: Option<f64>,
    /// EXPLAIN sampling (`explain_every`), where the backend supports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<crate::stats::CacheSummary>,
    /// Consumed capacity, where the backend kind reports it (DynamoDB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<Capacity>,
    /// Why the phase stopped before its end (error policy, a failure,
    /// Ctrl-C): the row's figures are partial, and checks are not evaluated on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partial: Option<String>,
    /// Of the keys the successful requests drew, the share that was hot (the
    /// per-key view of the hot/cold split); None for inserts only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hot_key_share: Option<f64>,
    /// A `vector_search` phase: recall against the exact k nearest neighbours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recall: Option<crate::stats::measured::Recall>,
    /// The settings each worker's connection had (PostgreSQL `settings`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub settings: std::collections::BTreeMap<String, String>,
    /// Pearson's correlation of response time and the request's cache score
    /// (the share of its entities that drew a hot key), over every successful request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_score_corr: Option<f64>,
    /// What the benchplan process itself used during the phase (None in
    /// reports written before it was measured, or where the system does not tell).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<ClientResources>,
    /// What the server's own counters said of the phase, where the kind reads them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<ServerFigures>,
}

/// The server's figures of one phase, read at its boundaries (Redis: INFO).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct ServerFigures {
    /// Cluster redirections the server replied (MOVED, ASK), where it counts them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirections_moved: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirections_ask: Option<u64>,
    /// Its memory in use at the phase's start and end, bytes (Redis `used_memory`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_before_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_after_bytes: Option<u64>,
}

impl ServerFigures {
    /// From the phase's server delta; None when it holds none of these figures.
    pub fn of(d: &crate::stats::xcheck::ServerDelta) -> Option<ServerFigures> {
        use crate::stats::xcheck::{ASK, MOVED};
        let f = ServerFigures {
            redirections_moved: d.counter(MOVED),
            redirections_ask: d.counter(ASK),
            memory_before_bytes: d.memory_bytes.map(|m| m.0),
            memory_after_bytes: d.memory_bytes.map(|m| m.1),
        };
        (f != ServerFigures::default()).then_some(f)
    }
}

/// The client's own resource use in one phase.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ClientResources {
    /// CPU seconds, user + system, all threads.
    pub cpu_s: f64,
    /// CPU microseconds per request sent (successful or failed).
    pub cpu_per_request_us: Option<f64>,
    /// The share of its cores the process kept busy: cpu_s / (duration × cores).
    pub cpu_share: f64,
    pub cores: usize,
    /// Peak resident memory, MB (10^6 bytes).
    pub peak_rss_mb: Option<f64>,
    /// `phase` (the peak was reset at the phase's start) or `process` (the
    /// process's peak so far).
    pub peak_scope: String,
}

impl ResultRow {
    /// A metric by its check name.
    pub fn metric(&self, name: &str) -> Option<f64> {
        let l = &self.latency;
        Some(match name {
            "p50_ms" => l.p50_ms,
            "p90_ms" => l.p90_ms,
            "p95_ms" => l.p95_ms,
            "p99_ms" => l.p99_ms,
            "p999_ms" => l.p999_ms,
            "max_ms" => l.max_ms,
            "mean_ms" => l.mean_ms,
            "stddev_ms" => l.stddev_ms,
            "cv" => l.cv,
            "throughput_rps" => self.throughput_rps,
            "rows_per_s" => return self.rows_per_s,
            "error_rate" => self.error_rate,
            "cost_per_million_usd" => return self.cost_per_million_usd,
            "client_cpu_per_request_us" => return self.client.as_ref().and_then(|c| c.cpu_per_request_us),
            "client_cpu_share" => return self.client.as_ref().map(|c| c.cpu_share),
            "client_peak_rss_mb" => return self.client.as_ref().and_then(|c| c.peak_rss_mb),
            "recall_at_k" => return self.recall.map(|r| r.recall_at_k),
            "recall_at_k_p5" => return self.recall.map(|r| r.recall_at_k_p5),
            "redirections_moved" => return self.server.as_ref().and_then(|s| s.redirections_moved).map(|n| n as f64),
            "redirections_ask" => return self.server.as_ref().and_then(|s| s.redirections_ask).map(|n| n as f64),
            "server_memory_after_mb" => return self.server.as_ref().and_then(|s| s.memory_after_bytes).map(|b| b as f64 / 1e6),
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TsRow {
    pub backend: String,
    pub cell: String,
    pub phase: String,
    pub second: u64,
    pub requests: u64,
    pub errors: u64,
    /// Empty in a second without a successful request.
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// The second's P95 and mean (None in reports written before they were kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p95_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_ms: Option<f64>,
    /// The wall-clock second (unix time) this second began in (None in
    /// reports written before it was kept). In a shard or merged run the
    /// seconds are whole wall-clock seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unix_s: Option<u64>,
}

/// How often one table was the slowest leg of a serial or parallel read.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LegRow {
    pub backend: String,
    pub cell: String,
    pub phase: String,
    pub table: String,
    /// Requests whose slowest leg was this table.
    pub slowest: u64,
    /// Of the phase's timed requests.
    pub share: f64,
}

/// How often the leg at one position of a serial read (its statements or
/// calls one after another) was the slowest of its request, over the
/// requests with that many legs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LegPositionRow {
    pub backend: String,
    pub cell: String,
    pub phase: String,
    /// Legs per request (the read's tables).
    pub legs: u16,
    /// From 1, in the order sent.
    pub position: u16,
    /// The table every one of these requests read first; None when it varied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_table: Option<String>,
    /// Requests whose slowest leg was at this position.
    pub slowest: u64,
    /// Of the requests with `legs` legs.
    pub share: f64,
}

/// One op of a mixed phase (YCSB's `[READ]` / `[UPDATE]` lines), or one
/// step of a request with `steps`: its share of the requests and its time,
/// over its successful requests (a step's own time; a request's response time).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OpRow {
    pub backend: String,
    pub cell: String,
    pub phase: String,
    /// `#<n in the mix> <what it does>`, e.g. `#2 write card (upsert)`.
    pub op: String,
    /// The mix entry's `name`, where it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// In a step's row: the step's name, and what it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_does: Option<String>,
    pub requests: u64,
    pub errors: u64,
    /// None when none of its requests succeeded.
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
    /// Every latency figure (as results.csv has them); None when none succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<Latency>,
    /// Its requests (or the step's executions) per second over the phase.
    #[serde(default)]
    pub throughput_rps: f64,
}

/// One entity's part of serial and parallel reads: the time of its legs
/// (serial: their sum; parallel: the longest), over successful requests.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EntityRow {
    pub backend: String,
    pub cell: String,
    pub phase: String,
    pub entity: String,
    pub requests: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorRow {
    pub backend: String,
    pub cell: String,
    pub phase: String,
    pub kind: String,
    pub count: u64,
    pub examples: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckResult {
    pub check: String,
    pub backend: String,
    pub phase: String,
    pub cell: String,
    /// The mix entry (`op:`) and step (`step:`) the check was scoped to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// None when the metric has no value (e.g. cost without pricing).
    pub value: Option<f64>,
    /// A relative check: the referenced figure (before its factor).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<f64>,
    pub passed: bool,
    /// Why the check could not be evaluated (the phase never ran, or stopped
    /// early): it then counts as not passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_evaluated: Option<String>,
}

/// An HDR histogram (V2 serialisation, base64) and the file it is written to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistogramRecord {
    pub file: String,
    pub backend: String,
    pub phase: String,
    pub cell: String,
    /// `response` (or `service` in open loop).
    pub measure: String,
    pub data: String,
}

/// One server counter over one phase, beside the count of benchplan's it measures.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CrossCheckRow {
    pub backend: String,
    pub cell: String,
    pub phase: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub warmup: bool,
    /// `pg_stat_statements.calls`, `Questions`, `pg_stat_database.blks_read`, ...
    pub counter: String,
    /// Which of benchplan's counts it is compared with (`statements`,
    /// `commits`, `rows`); None: the server's figure alone (blocks, buffer pool reads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compared_with: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub benchplan: Option<u64>,
    /// The counter's change over the phase, less the tool's own reading queries.
    pub server: u64,
    /// server - benchplan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub difference: Option<i64>,
    /// The largest difference that still agrees (docs/methodology.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agrees: Option<bool>,
}

/// Successful requests of `entities` entities, `hot_entities` of which drew
/// only hot keys: the split by cache score (`hot_entities / entities`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HotSplitRow {
    pub backend: String,
    pub cell: String,
    pub phase: String,
    pub entities: u8,
    pub hot_entities: u8,
    pub cache_score: f64,
    pub requests: u64,
    /// Of the phase's successful requests with entities.
    pub share: f64,
    #[serde(flatten)]
    pub latency: Latency,
}
