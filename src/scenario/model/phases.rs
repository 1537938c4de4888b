//! `setup:`, `phases:` and `teardown:`: the steps, the phases, their key
//! distributions and the request mix.

use super::{DurationSpec, IndexStep, Kind, KvOp, VectorSearchOp};
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A setup or teardown step.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Step {
    /// Create the tables (DDL from `templates/<kind>/create_table.sql`).
    Create(CreateStep),
    /// Bulk-load the deterministic data.
    Load(LoadStep),
    /// Drop the tables.
    Drop(DropStep),
    /// Build a vector index (PostgreSQL with pgvector), timed; its size is reported.
    Index(IndexStep),
}

impl Step {
    pub fn name(&self) -> &'static str {
        match self {
            Step::Create(_) => "create",
            Step::Load(_) => "load",
            Step::Drop(_) => "drop",
            Step::Index(_) => "index",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CreateStep {
    /// Drop a table of the same name first (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replace: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct LoadStep {
    /// Rows per batch (statement, COPY chunk or transaction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<u32>,
    /// Tables loaded in parallel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workers: Option<u32>,
    /// How the rows are sent, for every backend (a PostgreSQL backend's
    /// `load_method` overrides it): `copy` (PostgreSQL's default), `copy_binary`,
    /// `insert` (every other kind's only method).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<LoadMethod>,
}

/// How a load sends its rows.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LoadMethod {
    /// PostgreSQL: `COPY ... FROM STDIN` in the text format.
    Copy,
    /// PostgreSQL: `COPY ... FROM STDIN (FORMAT binary)`.
    CopyBinary,
    /// INSERT statements (each kind's `write.sql`, mode insert); the service kinds' own writes.
    Insert,
}

impl LoadMethod {
    pub const ALL: [LoadMethod; 3] = [LoadMethod::Copy, LoadMethod::CopyBinary, LoadMethod::Insert];

    pub fn as_str(self) -> &'static str {
        match self {
            LoadMethod::Copy => "copy",
            LoadMethod::CopyBinary => "copy_binary",
            LoadMethod::Insert => "insert",
        }
    }

    /// The methods a kind can load with (noop stores nothing: any), its default first.
    pub fn of_kind(kind: Kind) -> &'static [LoadMethod] {
        match kind {
            Kind::Postgres => &[LoadMethod::Copy, LoadMethod::CopyBinary, LoadMethod::Insert],
            Kind::Noop => &LoadMethod::ALL,
            _ => &[LoadMethod::Insert],
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct DropStep {}

/// A phase: `warmup` (run, not reported) or `run` (measured).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Phase {
    Warmup(PhaseSpec),
    Run(PhaseSpec),
}

impl Phase {
    pub fn spec(&self) -> &PhaseSpec {
        match self {
            Phase::Warmup(s) | Phase::Run(s) => s,
        }
    }
    pub fn is_warmup(&self) -> bool {
        matches!(self, Phase::Warmup(_))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct PhaseSpec {
    /// Names the phase in reports; default `run`, `run2`, ... (`warmup` for warmups).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Stop after this many requests ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<u64>,
    /// ... or after this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<DurationSpec>,
    /// Concurrent workers (closed loop: each waits for its reply). Default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workers: Option<u32>,
    /// Open loop at this many requests per second; latency from each request's intended start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    /// Per-request timeout (default 30s); a timed-out request is an error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<DurationSpec>,
    /// Key distribution; default uniform. A warmup without `keys` and `mix` uses the next run phase's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<KeySpec>,
    /// PostgreSQL: EXPLAIN (ANALYZE, BUFFERS) one request in N.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explain_every: Option<u32>,
    /// Stop the phase (exit 3) when more than this fraction of requests failed (default 0.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_error_rate: Option<f64>,
    /// The request mix: weighted operations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mix: Option<Vec<MixEntry>>,
    /// PostgreSQL: settings each worker's connection gets for this phase
    /// (over the backend's `settings`), e.g. `hnsw.ef_search: ${ef_search}`.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub settings: IndexMap<String, Value>,
    /// Open loop: find the highest rate meeting the scenario's checks (a
    /// run phase without `rate`; `duration` or `requests` is each step's length).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub findmax: Option<FindMax>,
}

/// `findmax`: step the open-loop rate up from `start` by `factor` until a
/// step fails the checks (or `max` passes), then bisect between the highest
/// rate that passed and the lowest that failed until they are within
/// `precision` of each other (or `steps` steps have run).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct FindMax {
    /// The first rate tried, requests per second.
    pub start: f64,
    /// The highest rate tried (default: no limit but `steps`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Each step up multiplies the rate by this (default 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<f64>,
    /// Stop bisecting when (lowest failing - highest passing) / highest passing
    /// is at most this (default 0.05).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<f64>,
    /// At most this many steps (default 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<u32>,
}

impl FindMax {
    pub const DEFAULT_FACTOR: f64 = 2.0;
    pub const DEFAULT_PRECISION: f64 = 0.05;
    pub const DEFAULT_STEPS: u32 = 20;

    pub fn factor(&self) -> f64 {
        self.factor.unwrap_or(Self::DEFAULT_FACTOR)
    }
    pub fn precision(&self) -> f64 {
        self.precision.unwrap_or(Self::DEFAULT_PRECISION)
    }
    pub fn steps(&self) -> u32 {
        self.steps.unwrap_or(Self::DEFAULT_STEPS)
    }
}

/// Its schema (a name, or `zipfian:0.9`) and its names are in `distribution.rs`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Distribution {
    #[default]
    Uniform,
    Zipfian,
    Hotspot,
    Sequential,
    Latest,
}

/// How keys are drawn; each entity draws independently, from its own
/// distribution when `entities` names it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct KeySpec {
    #[serde(default)]
    pub distribution: Distribution,
    /// zipfian, latest: skew in (0, 1); default 0.99.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theta: Option<f64>,
    /// hotspot: the fraction of keys that are hot, in (0, 1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hot_keys: Option<f64>,
    /// hotspot: the fraction of requests that go to hot keys, in [0, 1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hot_traffic: Option<f64>,
    /// Per entity: its own distribution and parameters (e.g. users uniform,
    /// items zipfian), instead of the ones above. Entries do not nest.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub entities: IndexMap<String, KeySpec>,
}

impl KeySpec {
    /// The distribution entity `name` draws its keys from.
    pub fn for_entity(&self, name: &str) -> &KeySpec {
        self.entities.get(name).unwrap_or(self)
    }
}

/// One weighted request of the mix: exactly one of `read_features`,
/// `write_features`, `statement`, `kv`, `vector_search` (a request of one operation) or `steps`
/// (a request of several operations, timed as one).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct MixEntry {
    /// Names the request in reports and in checks (`op: NAME`); a lowercase identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Relative weight (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_features: Option<ReadOp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_features: Option<WriteOp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<StatementOp>,
    /// A plain key-value command (redis; noop counts it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kv: Option<KvOp>,
    /// The k nearest rows to a query vector (PostgreSQL with pgvector).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector_search: Option<VectorSearchOp>,
    /// A request made of several operations, run one after another (or
    /// together with `concurrent: true`); its latency runs from its start to
    /// the end of its last step. Every entity draws its keys once per request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<Vec<RequestStep>>,
    /// Issue the steps together, each on its own connection (default false: one after another).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrent: Option<bool>,
    /// Run this entry only on these backends (by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backends: Option<Vec<String>>,
}

/// One operation of a request with `steps`: exactly one of `read_features`,
/// `write_features`, `statement`, `kv`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct RequestStep {
    /// Names the step in reports and in checks (`step: NAME`); default `step1`, `step2`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_features: Option<ReadOp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_features: Option<WriteOp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<StatementOp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kv: Option<KvOp>,
}

/// One operation, whichever field it was written in.
#[derive(Debug, Clone, Copy)]
pub enum Operation<'a> {
    Read(&'a ReadOp),
    Write(&'a WriteOp),
    Statement(&'a StatementOp),
    Kv(&'a KvOp),
    VectorSearch(&'a VectorSearchOp),
}

/// One operation of a mix entry, with where it was written.
#[derive(Debug, Clone, Copy)]
pub struct StepRef<'a> {
    /// The step's index within `steps`; None for a single-operation entry.
    pub step: Option<usize>,
    /// The step's name (`name`, or `step1`, `step2`, ...); None for a single-operation entry.
    pub name: Option<&'a str>,
    /// None when the entry (or step) names no operation, or more than one.
    pub op: Option<Operation<'a>>,
}

fn one_operation<'a>(
    r: &'a Option<ReadOp>,
    w: &'a Option<WriteOp>,
    s: &'a Option<StatementOp>,
    kv: &'a Option<KvOp>,
    v: &'a Option<VectorSearchOp>,
) -> Option<Operation<'a>> {
    match (r, w, s, kv, v) {
        (Some(r), None, None, None, None) => Some(Operation::Read(r)),
        (None, Some(w), None, None, None) => Some(Operation::Write(w)),
        (None, None, Some(s), None, None) => Some(Operation::Statement(s)),
        (None, None, None, Some(kv), None) => Some(Operation::Kv(kv)),
        (None, None, None, None, Some(v)) => Some(Operation::VectorSearch(v)),
        _ => None,
    }
}

/// The default name of step `i` (0-based).
pub fn default_step_name(i: usize) -> String {
    format!("step{}", i + 1)
}

impl MixEntry {
    /// How many of `read_features`, `write_features`, `statement`, `kv`, `steps` the entry has.
    pub fn forms(&self) -> usize {
        [
            self.read_features.is_some(),
            self.write_features.is_some(),
            self.statement.is_some(),
            self.kv.is_some(),
            self.vector_search.is_some(),
            self.steps.is_some(),
        ]
        .iter()
        .filter(|x| **x)
        .count()
    }

    /// The entry's operations in order: its steps, or itself.
    pub fn operations(&self) -> Vec<StepRef<'_>> {
        match &self.steps {
            Some(steps) if self.forms() == 1 => steps
                .iter()
                .enumerate()
                .map(|(i, s)| StepRef {
                    step: Some(i),
                    name: s.name.as_deref(),
                    op: one_operation(&s.read_features, &s.write_features, &s.statement, &s.kv, &None),
                })
                .collect(),
            _ => vec![StepRef {
                step: None,
                name: None,
                op: one_operation(&self.read_features, &self.write_features, &self.statement, &self.kv, &self.vector_search),
            }],
        }
    }

    /// Whether the steps are issued together.
    pub fn is_concurrent(&self) -> bool {
        self.steps.is_some() && self.concurrent.unwrap_or(false)
    }
}

impl RequestStep {
    /// How many of `read_features`, `write_features`, `statement`, `kv` the step has.
    pub fn forms(&self) -> usize {
        [self.read_features.is_some(), self.write_features.is_some(), self.statement.is_some(), self.kv.is_some()]
            .iter()
            .filter(|x| **x)
            .count()
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Fetch {
    /// One call per table, one after another.
    Serial,
    /// One call per table, concurrently.
    Parallel,
    /// The fewest round trips the backend allows.
    #[default]
    Packed,
}

impl Fetch {
    pub fn as_str(self) -> &'static str {
        match self {
            Fetch::Serial => "serial",
            Fetch::Parallel => "parallel",
            Fetch::Packed => "packed",
        }
    }
}

/// A feature-vector request: one key per entity, every table of those entities.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadOp {
    pub entities: Vec<String>,
    #[serde(default)]
    pub fetch: Fetch,
    /// Only these tables (expanded names); default all tables of the entities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tables: Option<Vec<String>>,
    /// Keys per table in one request (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys_per_table: Option<u32>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum WriteMode {
    /// New keys beyond the loaded key space.
    Insert,
    /// Existing keys: insert, or update every feature where the key exists.
    #[default]
    Upsert,
    /// Existing keys: update every feature.
    Update,
    /// Existing keys: the whole row replaced (MySQL and SQLite `REPLACE INTO`;
    /// PostgreSQL a DELETE of the keys, then an INSERT; DynamoDB PutItem;
    /// Cosmos DB upsert).
    Replace,
}

impl WriteMode {
    pub fn as_str(self) -> &'static str {
        match self {
            WriteMode::Insert => "insert",
            WriteMode::Upsert => "upsert",
            WriteMode::Update => "update",
            WriteMode::Replace => "replace",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteOp {
    pub entities: Vec<String>,
    #[serde(default)]
    pub mode: WriteMode,
    /// Rows written per table in one request (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tables: Option<Vec<String>>,
}

/// A custom operation: one template per backend kind; values always bound.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatementOp {
    pub name: String,
    /// SQL for every SQL kind (sqlite, postgres, mysql), unless overridden below.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql: Option<SqlText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sqlite: Option<SqlText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postgres: Option<SqlText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mysql: Option<SqlText>,
    /// PostgreSQL: commit in two phases (`PREPARE TRANSACTION`, then
    /// `COMMIT PREPARED`); the server needs `max_prepared_transactions` > 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub two_phase: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamodb: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cosmos: Option<Value>,
}

/// A statement's SQL: one template, or a list of templates run one after
/// another in one transaction.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(untagged, expecting = "expected a SQL template, or a list of SQL templates (run in one transaction)")]
pub enum SqlText {
    One(String),
    List(Vec<String>),
}

impl SqlText {
    /// The templates, in order.
    pub fn statements(&self) -> &[String] {
        match self {
            SqlText::One(s) => std::slice::from_ref(s),
            SqlText::List(v) => v,
        }
    }

    /// A list (run in a transaction), even of one statement.
    pub fn is_list(&self) -> bool {
        matches!(self, SqlText::List(_))
    }
}

impl StatementOp {
    /// The SQL for a SQL kind, if there is one.
    pub fn sql_for(&self, kind: Kind) -> Option<&SqlText> {
        let own = match kind {
            Kind::Sqlite => self.sqlite.as_ref(),
            Kind::Postgres => self.postgres.as_ref(),
            Kind::Mysql => self.mysql.as_ref(),
            _ => return None,
        };
        own.or(self.sql.as_ref())
    }

    /// Whether its SQL runs in two phases (PostgreSQL).
    pub fn is_two_phase(&self) -> bool {
        self.two_phase.unwrap_or(false)
    }

    /// Whether this statement can run on a backend of `kind`.
    pub fn has_template_for(&self, kind: Kind) -> bool {
        match kind {
            Kind::Sqlite | Kind::Postgres | Kind::Mysql => self.sql_for(kind).is_some(),
            Kind::Dynamodb => self.dynamodb.is_some(),
            Kind::Cosmos => self.cosmos.is_some(),
            Kind::Noop => true,
            Kind::Redis => false,
        }
    }
}

/// The reported name of phase `i`: its `name`, or `run`, `run2`, ...; `warmup`, `warmup2`, ...
pub fn phase_name(phases: &[Phase], i: usize) -> String {
    let ph = &phases[i];
    if let Some(n) = &ph.spec().name {
        return n.clone();
    }
    let base = if ph.is_warmup() { "warmup" } else { "run" };
    let nth = phases[..i].iter().filter(|q| q.is_warmup() == ph.is_warmup() && q.spec().name.is_none()).count();
    if nth == 0 {
        base.to_string()
    } else {
        format!("{base}{}", nth + 1)
    }
}
