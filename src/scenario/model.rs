//! The typed scenario: what a YAML file means once `${...}` is substituted.
//!
//! Every struct rejects unknown fields. The JSON schema in `schemas/` is
//! generated from these types (see `schema.rs`), so doc comments here are the
//! descriptions an editor shows.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;

/// A benchmark scenario, format version 1.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Format version; must be 1.
    pub version: u32,
    /// Names the results folder: `[a-z0-9_-]+`.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Every random choice (data, keys, mix) derives from it.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Typed defaults for `${name}`; `--set K=V` overrides; `matrix` sweeps them.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub params: IndexMap<String, Value>,
    /// Every combination of these values runs all phases, on every backend, in file order.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub matrix: IndexMap<String, Vec<Value>>,
    /// Named targets; `run --backend NAME` picks a subset.
    pub backends: IndexMap<String, BackendConfig>,
    pub dataset: Dataset,
    /// Once per backend, before the matrix.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub setup: Vec<Step>,
    /// For every matrix cell, in order.
    pub phases: Vec<Phase>,
    /// Once per backend, after the matrix.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub teardown: Vec<Step>,
    /// Any failing check makes the exit status 1.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Check>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<CostConfig>,
    /// A folder (relative to the scenario file) with `<kind>/<template>` files
    /// that override the built-in templates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub templates: Option<String>,
}

fn default_seed() -> u64 {
    1
}

/// A target system. `kind` selects the variant.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum BackendConfig {
    /// Embedded SQLite: needs no server.
    Sqlite(SqliteConfig),
    /// PostgreSQL >= 12: Lakebase, Aurora PostgreSQL, RDS.
    Postgres(PostgresConfig),
    /// MySQL 8, Aurora MySQL, MariaDB 10.6+.
    Mysql(MysqlConfig),
    /// AWS DynamoDB or a compatible endpoint.
    Dynamodb(DynamodbConfig),
    /// Azure Cosmos DB for NoSQL.
    Cosmos(CosmosConfig),
    /// No I/O: measures the harness itself; tests use it.
    Noop(NoopConfig),
}

impl BackendConfig {
    pub fn kind(&self) -> Kind {
        match self {
            BackendConfig::Sqlite(_) => Kind::Sqlite,
            BackendConfig::Postgres(_) => Kind::Postgres,
            BackendConfig::Mysql(_) => Kind::Mysql,
            BackendConfig::Dynamodb(_) => Kind::Dynamodb,
            BackendConfig::Cosmos(_) => Kind::Cosmos,
            BackendConfig::Noop(_) => Kind::Noop,
        }
    }

    pub fn pricing(&self) -> Option<&Pricing> {
        match self {
            BackendConfig::Sqlite(c) => c.pricing.as_ref(),
            BackendConfig::Postgres(c) => c.pricing.as_ref(),
            BackendConfig::Mysql(c) => c.pricing.as_ref(),
            BackendConfig::Dynamodb(c) => c.pricing.as_ref(),
            BackendConfig::Cosmos(c) => c.pricing.as_ref(),
            BackendConfig::Noop(c) => c.pricing.as_ref(),
        }
    }
}

/// Backend kinds, in the order docs/scenario-format.md lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Sqlite,
    Postgres,
    Mysql,
    Dynamodb,
    Cosmos,
    Noop,
}

impl Kind {
    pub const ALL: [Kind; 6] = [Kind::Sqlite, Kind::Postgres, Kind::Mysql, Kind::Dynamodb, Kind::Cosmos, Kind::Noop];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Sqlite => "sqlite",
            Kind::Postgres => "postgres",
            Kind::Mysql => "mysql",
            Kind::Dynamodb => "dynamodb",
            Kind::Cosmos => "cosmos",
            Kind::Noop => "noop",
        }
    }

    pub fn is_sql(self) -> bool {
        matches!(self, Kind::Sqlite | Kind::Postgres | Kind::Mysql)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SqliteConfig {
    /// A database file, or `:memory:` (one in-memory database shared by the pool).
    #[serde(default = "default_sqlite_path")]
    pub path: String,
    /// Connections in the pool; default: the most workers any phase uses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing: Option<Pricing>,
}

fn default_sqlite_path() -> String {
    ":memory:".to_string()
}

/// TLS use for SQL servers.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum TlsMode {
    Disable,
    Prefer,
    Require,
    VerifyFull,
}

/// How `fetch: packed` reads on PostgreSQL.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum PackedMode {
    /// One `UNION ALL` statement.
    #[default]
    Union,
    /// A generated SQL function, called once per request.
    Function,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PostgresConfig {
    /// `postgres://user:password@host:port/db`; usually `${env:NAME}`.
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<u32>,
    /// UNLOGGED tables for faster loads.
    #[serde(default)]
    pub unlogged: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
    /// A schema for the tables, created if missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packed: Option<PackedMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing: Option<Pricing>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MysqlConfig {
    /// `mysql://user:password@host:port/db`; usually `${env:NAME}`.
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing: Option<Pricing>,
}

/// DynamoDB capacity mode.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Billing {
    /// `on_demand`
    Mode(BillingMode),
    /// `{ provisioned: { rcu, wcu } }`
    Provisioned { provisioned: Provisioned },
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BillingMode {
    OnDemand,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Provisioned {
    pub rcu: u64,
    pub wcu: u64,
}

/// Where DynamoDB / Cosmos items live.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// One table (container) per feature table.
    #[default]
    TablePerTable,
    /// One table: pk = entity key, sk = table name.
    SingleTable,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DynamodbConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Empty: AWS's own endpoint resolution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing: Option<Billing>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<Layout>,
    /// The table's name in `single_table` layout (default `features`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// Prepended to every table name (e.g. `bench_`), to share an account safely.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_prefix: Option<String>,
    /// Strongly consistent reads (twice the read units); default false: eventually consistent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consistent_read: Option<bool>,
    /// Attempts per call, the first included (default 3); every retry is counted in the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    /// First retry delay; doubles each retry, with full jitter (default 25ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff: Option<DurationSpec>,
    /// Longest retry delay (default 1s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_backoff: Option<DurationSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing: Option<Pricing>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CosmosConfig {
    pub endpoint: String,
    /// The account key; use `${env:NAME}`.
    pub key: String,
    pub database: String,
    /// RU/s provisioned on the database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serverless: Option<bool>,
    /// A local emulator: certificate checks relaxed for loopback only, HTTP/2 and binary encoding off.
    #[serde(default)]
    pub emulator: bool,
    /// `table_per_table`: one container per feature table (`id` = the key);
    /// `single_table`: one container, `id` = the feature table's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<Layout>,
    /// The container's name in `single_table` layout (default `features`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// Prepended to every container name (e.g. `bench_`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_prefix: Option<String>,
    /// Regions to route to, in order (e.g. `East US`); empty: the account's own order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preferred_regions: Vec<String>,
    /// Read consistency; default: the account's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consistency: Option<Consistency>,
    /// Attempts per call, the first included (default 3); 429s are retried after the server's retry-after; every retry is counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    /// First retry delay when the server gives no retry-after; doubles each retry, with full jitter (default 25ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff: Option<DurationSpec>,
    /// Longest such retry delay (default 1s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_backoff: Option<DurationSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing: Option<Pricing>,
}

/// Cosmos DB read consistency levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Consistency {
    Eventual,
    Session,
    LatestCommitted,
    GlobalStrong,
}

impl Consistency {
    pub fn as_str(self) -> &'static str {
        match self {
            Consistency::Eventual => "eventual",
            Consistency::Session => "session",
            Consistency::LatestCommitted => "latest_committed",
            Consistency::GlobalStrong => "global_strong",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoopConfig {
    /// Simulated service time: `2ms`, or `{ median: 2ms, p99: 10ms }` (log-normal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<Latency>,
    /// The backend stops answering for a while, measured from the start of each phase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stall: Option<Stall>,
    /// This fraction of requests fails (chosen per request index, so runs repeat): tests of the error policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing: Option<Pricing>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Latency {
    Fixed(DurationSpec),
    LogNormal(LogNormal),
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogNormal {
    pub median: DurationSpec,
    pub p99: DurationSpec,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stall {
    pub at: DurationSpec,
    #[serde(rename = "for")]
    pub for_: DurationSpec,
}

/// A built-in price preset by name, or inline prices (USD), optionally on
/// top of a preset: `{ preset: aurora_postgres, instance_hour: 0.519 }`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Pricing {
    Preset(String),
    Inline(PriceTable),
}

/// Inline prices; with `preset`, the preset's prices with these fields
/// overriding them one by one.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct PriceTable {
    /// Start from this built-in preset's prices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    /// Price fields (see the README's Cost section), each overriding the
    /// preset's. Kept as written, so that validation can say which one is
    /// not a number.
    #[serde(flatten)]
    #[schemars(with = "IndexMap<String, f64>")]
    pub prices: IndexMap<String, Value>,
}

impl Pricing {
    /// The preset these prices start from, if any.
    pub fn preset(&self) -> Option<&str> {
        match self {
            Pricing::Preset(name) => Some(name),
            Pricing::Inline(t) => t.preset.as_deref(),
        }
    }

    /// The fields given inline (none for a bare preset name).
    pub fn overrides(&self) -> impl Iterator<Item = (&String, &Value)> {
        let map = match self {
            Pricing::Preset(_) => None,
            Pricing::Inline(t) => Some(&t.prices),
        };
        map.into_iter().flatten()
    }
}

/// A duration such as `500ms`, `2s`, `1m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationSpec(pub Duration);

impl Serialize for DurationSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(self.0).to_string())
    }
}

impl<'de> Deserialize<'de> for DurationSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = DurationSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a duration such as 500ms, 2s or 1m")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<DurationSpec, E> {
                if !duration_grammar(v) {
                    return Err(E::custom(format!("expected a duration such as 500ms, 2s or 1m, got {v:?}")));
                }
                humantime::parse_duration(v.trim())
                    .map(DurationSpec)
                    .map_err(|e| E::custom(format!("expected a duration such as 500ms, 2s or 1m, got {v:?} ({e})")))
            }
        }
        d.deserialize_str(V)
    }
}

/// Duration units, as humantime reads them.
const DURATION_UNITS: &[&str] = &[
    "nanos", "nsec", "ns", "usec", "us", "µs", "millis", "msec", "ms", "seconds", "second", "secs", "sec", "s", "minutes", "minute",
    "mins", "min", "m", "hours", "hour", "hrs", "hr", "h", "days", "day", "d", "weeks", "week", "wks", "wk", "w", "months", "month", "M",
    "years", "year", "yrs", "yr", "y",
];

/// The schema's pattern for a duration: what [`duration_grammar`] accepts.
pub const DURATION_PATTERN: &str = r"^\s*([0-9]+(\.[0-9]+)?\s*(nanos|nsec|ns|usec|us|µs|millis|msec|ms|seconds|second|secs|sec|s|minutes|minute|mins|min|m|hours|hour|hrs|hr|h|days|day|d|weeks|week|wks|wk|w|months|month|M|years|year|yrs|yr|y)\s*)+$";

/// Whether `v` is one or more `<number><unit>` parts (a number may have a
/// fraction; spaces anywhere between parts): the same language as
/// [`DURATION_PATTERN`], so the schema and the parser agree.
pub fn duration_grammar(v: &str) -> bool {
    let mut rest = v.trim_start();
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return false;
        }
        rest = &rest[digits..];
        if let Some(frac) = rest.strip_prefix('.') {
            let n = frac.len() - frac.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            if n == 0 {
                return false;
            }
            rest = &frac[n..];
        }
        rest = rest.trim_start();
        let letters = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_alphabetic() || c == 'µ').len();
        if !DURATION_UNITS.contains(&&rest[..letters]) {
            return false;
        }
        rest = rest[letters..].trim_start();
    }
    true
}

impl JsonSchema for DurationSpec {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A duration such as 500ms, 2s, 1m, 1h 30m.",
            "pattern": DURATION_PATTERN
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Dataset {
    /// Key spaces; a request picks one key per entity.
    pub entities: IndexMap<String, Entity>,
    /// Feature groups; `count` expands `{i}` in the name.
    pub tables: Vec<TableSpec>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Entity {
    /// How many distinct keys (generated: see the README); or give `sample`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<u64>,
    #[serde(default)]
    pub key: KeyType,
    /// Keys sampled from an existing table instead (saved to a keys file and reused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<KeySample>,
}

impl Entity {
    /// The size of the key space: `keys`, or the number of keys to sample.
    pub fn count(&self) -> u64 {
        self.keys.or(self.sample.as_ref().map(|s| s.count)).unwrap_or(0)
    }
}

/// Keys of an existing table: sampled once (TABLESAMPLE SYSTEM on PostgreSQL,
/// random order elsewhere), written to `file`, reused by later runs.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeySample {
    /// The table to sample (an existing table of the database).
    pub table: String,
    /// Its key column (default `pk`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// How many keys (default 10000).
    #[serde(default = "default_sample_count")]
    pub count: u64,
    /// The keys file, relative to the scenario (default `<scenario>.<entity>.keys`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

fn default_sample_count() -> u64 {
    10_000
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum KeyType {
    #[default]
    Int,
    String,
    Uuid,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    /// A safe identifier; `{i}` is replaced by 0..count-1.
    pub name: String,
    pub entity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// A number of features (`f0`..`fN-1`), or a list of `{name, type}`.
    pub features: Features,
    /// Types of numbered features: `float` (default), `mixed`, `int`, `string`, `bool`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub types: Option<FeatureTypes>,
    /// Rows in this table (the first `rows` keys of the entity); default: all keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    /// The key column (default `pk`), e.g. for an existing table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_column: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Features {
    Count(u32),
    List(Vec<FeatureDef>),
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FeatureDef {
    pub name: String,
    #[serde(rename = "type", default)]
    pub ty: FeatureType,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum FeatureType {
    #[default]
    Float,
    Int,
    String,
    Bool,
}

impl FeatureType {
    pub fn as_str(self) -> &'static str {
        match self {
            FeatureType::Float => "float",
            FeatureType::Int => "int",
            FeatureType::String => "string",
            FeatureType::Bool => "bool",
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum FeatureTypes {
    Float,
    Int,
    String,
    Bool,
    /// Cycles float, int, string, bool.
    Mixed,
}

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
}

impl Step {
    pub fn name(&self) -> &'static str {
        match self {
            Step::Create(_) => "create",
            Step::Load(_) => "load",
            Step::Drop(_) => "drop",
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
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Distribution {
    #[default]
    Uniform,
    Zipfian,
    Hotspot,
    Sequential,
    Latest,
}

/// How keys are drawn; each entity draws independently.
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
}

/// One weighted operation of the mix: exactly one of `read_features`, `write_features`, `statement`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MixEntry {
    /// Relative weight (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_features: Option<ReadOp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_features: Option<WriteOp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<StatementOp>,
    /// Run this entry only on these backends (by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backends: Option<Vec<String>>,
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
    #[default]
    Upsert,
    /// Existing keys.
    Update,
}

impl WriteMode {
    pub fn as_str(self) -> &'static str {
        match self {
            WriteMode::Insert => "insert",
            WriteMode::Upsert => "upsert",
            WriteMode::Update => "update",
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
    pub sql: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sqlite: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postgres: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mysql: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamodb: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cosmos: Option<Value>,
}

impl StatementOp {
    /// The SQL template for a SQL kind, if there is one.
    pub fn sql_for(&self, kind: Kind) -> Option<&str> {
        let own = match kind {
            Kind::Sqlite => self.sqlite.as_deref(),
            Kind::Postgres => self.postgres.as_deref(),
            Kind::Mysql => self.mysql.as_deref(),
            _ => return None,
        };
        own.or(self.sql.as_deref())
    }

    /// Whether this statement can run on a backend of `kind`.
    pub fn has_template_for(&self, kind: Kind) -> bool {
        match kind {
            Kind::Sqlite | Kind::Postgres | Kind::Mysql => self.sql_for(kind).is_some(),
            Kind::Dynamodb => self.dynamodb.is_some(),
            Kind::Cosmos => self.cosmos.is_some(),
            Kind::Noop => true,
        }
    }
}

/// `METRIC OP NUMBER`, or an object with `expr` and a scope.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Check {
    Expr(String),
    Scoped(ScopedCheck),
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ScopedCheck {
    pub expr: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// Any matrix param, e.g. `hot: 0.8`.
    #[serde(flatten)]
    pub params: IndexMap<String, Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CostConfig {
    /// Project the measured cost to this steady load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_rps: Option<f64>,
}

/// Expanded table names of one table spec: `card_f{i}` x count.
pub fn expand_table_names(t: &TableSpec) -> Vec<String> {
    let count = t.count.unwrap_or(1);
    if count <= 1 && !t.name.contains("{i}") {
        return vec![t.name.clone()];
    }
    (0..count.max(1)).map(|i| t.name.replace("{i}", &i.to_string())).collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The schema's duration pattern and the parser accept the same strings.
    #[test]
    fn duration_schema_and_parser_agree() {
        let schema = serde_json::json!({ "type": "string", "pattern": DURATION_PATTERN });
        let Ok(v) = jsonschema::validator_for(&schema) else { panic!("the pattern compiles") };
        let cases = [
            "500ms",
            "2s",
            "1m",
            "1h 30m",
            "1h30m",
            " 10s ",
            "1.5s",
            "1.5 s",
            "2 days",
            "3sec",
            "0s",
            "10µs",
            "1M",
            "",
            "s",
            "5",
            "-1s",
            "1.s",
            ".5s",
            "1 parsec",
            "1s x",
            "1ss",
            "10 mins 3 secs",
            "1m s",
        ];
        for c in cases {
            let schema_ok = v.is_valid(&serde_json::json!(c));
            let parser_ok = serde_json::from_value::<DurationSpec>(serde_json::json!(c)).is_ok();
            assert_eq!(schema_ok, parser_ok, "{c:?}: schema {schema_ok}, parser {parser_ok}");
        }
        assert!(v.is_valid(&serde_json::json!("1h 30m")) && !v.is_valid(&serde_json::json!("5")));
    }
}
