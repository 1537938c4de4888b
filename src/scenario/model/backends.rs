//! `backends:` the target systems, one config struct per kind, and their prices.

use super::DurationSpec;
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The model's list of backend kinds: one line per kind (its variant, its
/// config struct, its `kind:` name) makes `BackendConfig`, `Kind`,
/// `Kind::ALL`, `as_str`, `BackendConfig::kind`, `pricing` and the typing of
/// a backend mapping (`BackendConfig::typed`). A kind's code is in
/// `src/backend/<kind>/` (docs/development.md).
macro_rules! backend_kinds {
    ($( $(#[$doc:meta])* $variant:ident($config:ident) = $name:literal; )*) => {
        /// A target system. `kind` selects the variant.
        #[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
        #[serde(tag = "kind", rename_all = "lowercase")]
        pub enum BackendConfig {
            $( $(#[$doc])* $variant($config), )*
        }

        impl BackendConfig {
            pub fn kind(&self) -> Kind {
                match self {
                    $( BackendConfig::$variant(_) => Kind::$variant, )*
                }
            }

            pub fn pricing(&self) -> Option<&Pricing> {
                match self {
                    $( BackendConfig::$variant(c) => c.pricing.as_ref(), )*
                }
            }

            /// Types `fields` (a backend mapping without `kind`) as the config
            /// of kind `name` with `de`; None: no such kind; Some(None): `de`
            /// said why not.
            pub(crate) fn typed<W: TypeWith>(name: &str, fields: &Value, de: &mut W) -> Option<Option<BackendConfig>> {
                match name {
                    $( $name => Some(de.config::<$config>(fields).map(BackendConfig::$variant)), )*
                    _ => None,
                }
            }
        }

        /// Backend kinds, in the order docs/scenario-format.md lists them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum Kind {
            $( $variant, )*
        }

        impl Kind {
            pub const ALL: &'static [Kind] = &[$( Kind::$variant, )*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $( Kind::$variant => $name, )*
                }
            }
        }
    };
}

/// Types one backend config (the loader's serde step, with located errors).
pub(crate) trait TypeWith {
    fn config<T: serde::de::DeserializeOwned>(&mut self, fields: &Value) -> Option<T>;
}

backend_kinds! {
    /// Embedded SQLite: needs no server.
    Sqlite(SqliteConfig) = "sqlite";
    /// PostgreSQL >= 12: Lakebase, Aurora PostgreSQL, RDS.
    Postgres(PostgresConfig) = "postgres";
    /// MySQL 8, Aurora MySQL, MariaDB 10.6+.
    Mysql(MysqlConfig) = "mysql";
    /// AWS DynamoDB or a compatible endpoint.
    Dynamodb(DynamodbConfig) = "dynamodb";
    /// Azure Cosmos DB for NoSQL.
    Cosmos(CosmosConfig) = "cosmos";
    /// Redis and RESP-compatible stores (Valkey, KeyDB, Dragonfly, ElastiCache, MemoryDB).
    Redis(RedisConfig) = "redis";
    /// No I/O: measures the harness itself; tests use it.
    Noop(NoopConfig) = "noop";
}

impl Kind {
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

/// Which client runs a PostgreSQL or MySQL backend's requests.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Driver {
    /// benchplan's own wire client for plain reads and writes on
    /// connections that verify no certificate; sqlx for the rest.
    #[default]
    Auto,
    /// sqlx for everything.
    Sqlx,
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
    /// `auto` (the default): requests run on benchplan's own client of
    /// PostgreSQL's protocol where the connection verifies no certificate;
    /// `sqlx`: on sqlx.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<Driver>,
    /// How this backend's `load` step sends its rows, over the step's
    /// `method`: `copy` (text COPY, the default), `copy_binary`, `insert`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_method: Option<super::LoadMethod>,
    /// Settings each worker's connection gets (`set_config(name, value)`),
    /// e.g. `hnsw.ef_search: ${ef}`, `work_mem: 64MB`, `jit: off`; a phase's
    /// `settings` override them. Recorded per row in run.json.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub settings: IndexMap<String, Value>,
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
    /// `auto` (the default): requests run on benchplan's own client of
    /// MySQL's protocol where the connection verifies no certificate;
    /// `sqlx`: on sqlx.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<Driver>,
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

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RedisConfig {
    /// `redis://[user:password@]host:port/db`, or `rediss://` for TLS; usually `${env:NAME}`.
    pub url: String,
    /// `require` or `verify-full`: TLS (the certificate and host name are
    /// always verified); `disable`: none. Default: as the URL's scheme says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsMode>,
    /// A PEM file of the certificate authorities to trust instead of the system's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
    /// Prepended to every key the run writes, reads or deletes (default
    /// `benchplan:<backend name>:`); keys outside it are never touched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_prefix: Option<String>,
    /// `table_per_table` (default): a hash `<prefix><table>:<key>` per table
    /// and key, the features its fields; `single_table`: a hash
    /// `<prefix><entity>:<key>` per entity key, fields `<table>.<feature>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<Layout>,
    /// write_features: each request's writes in MULTI/EXEC (default false: a plain pipeline).
    #[serde(default)]
    pub transaction: bool,
    /// A Redis Cluster: `url` is a seed node; keys of one entity key share
    /// a slot (a hash tag), and a request's commands go to each key's node.
    #[serde(default)]
    pub cluster: bool,
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
    /// Serves at most this many requests at once; the others queue (with
    /// `latency`, a capacity of `servers / latency` requests per second).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub servers: Option<u32>,
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
    /// Price fields (see docs/cost.md), each overriding the
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
