//! Backends: the trait the runner drives, and the registry of kinds.
//!
//! A backend prepares each operation once (rendering its templates), then
//! executes it per request from the request's key indices. A kind is one
//! folder (`<kind>/`), its templates and one line in the `kinds!` list
//! below; see docs/development.md.

pub mod registry;
pub mod service;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
pub mod sql;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
pub mod sqlx_exec;
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub mod wire_io;
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub mod wire_pool;
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub mod wire_tls;

use crate::dataset::DataModel;
use crate::scenario::model::{BackendConfig, CreateStep, IndexStep, Kind, LoadStep, StatementOp};
use crate::stats::xcheck::{Sent, ServerCounters};
pub use crate::stats::Meter;
use crate::stats::{Legs, OpError, Usage};
use crate::template::Templates;
use crate::workload::{OpSpec, Request};
use indicatif::ProgressBar;
use registry::KindSupport;
use std::collections::BTreeMap;
use std::future::Future;
use std::time::Instant;

/// How long a connection attempt may take, on every kind.
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A backend-level failure (connect, DDL, load): the run stops for this backend (exit 3).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct BackendError(pub String);

/// A request that succeeded. Its legs (serial and parallel reads) go into
/// the [`Legs`] the worker passes to [`Backend::execute`] instead: this is
/// small enough to be returned through the timeout future without a
/// `memcpy` call (see docs/methodology.md, the harness's own ceiling).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Done {
    /// Rows (items) read or written.
    pub rows: u32,
    /// What the service charged for it, where it says (DynamoDB, Cosmos DB).
    pub usage: Usage,
    /// What it sent, where the kind counts it (the SQL kinds): the cross-checks.
    pub sent: Sent,
}

impl Done {
    pub fn rows(rows: u32) -> Self {
        Done { rows, usage: Usage::default(), sent: Sent::default() }
    }
}

/// What a `vector_search` operation returned, per query vector, for recall:
/// the keys (as [`crate::dataset::key_fingerprint`]) of query q's rows are
/// `keys[q * k..(q + 1) * k]`, `u64::MAX` where fewer than k came back;
/// `answered[q]`: whether query q was sent at all in the phase.
#[derive(Debug, Clone, Default)]
pub struct VectorAnswers {
    pub k: usize,
    pub keys: Vec<u64>,
    pub answered: Vec<bool>,
}

/// What a load wrote (or an index step built).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Loaded {
    pub rows: u64,
    pub usage: Usage,
    /// An index step: the index's size in bytes, where the server tells it.
    pub bytes: Option<u64>,
}

impl Loaded {
    pub fn rows(rows: u64) -> Self {
        Loaded { rows, usage: Usage::default(), bytes: None }
    }
}

/// What a backend needs from the scenario.
pub struct Ctx<'a> {
    pub name: &'a str,
    pub config: &'a BackendConfig,
    pub model: &'a DataModel,
    pub templates: &'a Templates,
    /// The most workers any phase uses (a default pool size).
    pub max_workers: u32,
}

pub trait Backend: Send + Sync + 'static {
    /// A prepared operation.
    type Op: Send + Sync + 'static;

    /// What one worker keeps between its requests: for the SQL kinds, its own
    /// connection (one connection per worker, as pgbench's clients have).
    type Session: Send + 'static;

    /// A new, not yet connected session; a worker starts over with a new
    /// one after a failed request.
    fn session(&self) -> Self::Session;

    /// Renders one mix entry for this backend (once per phase, not per request).
    fn prepare(&self, ctx: &Ctx<'_>, op: &OpSpec, statement: Option<&StatementOp>) -> Result<Self::Op, BackendError>;

    fn create(&self, ctx: &Ctx<'_>, step: &CreateStep, bar: &ProgressBar) -> impl Future<Output = Result<(), BackendError>> + Send;

    /// Loads every table; returns the rows written (and the capacity consumed, where reported).
    fn load(&self, ctx: &Ctx<'_>, step: &LoadStep, bar: &ProgressBar) -> impl Future<Output = Result<Loaded, BackendError>> + Send;

    /// Updates planner statistics after a load; false when the kind has nothing to do.
    fn analyze(&self, _ctx: &Ctx<'_>) -> impl Future<Output = Result<bool, BackendError>> + Send {
        async { Ok(false) }
    }

    fn drop_tables(&self, ctx: &Ctx<'_>, bar: &ProgressBar) -> impl Future<Output = Result<(), BackendError>> + Send;

    /// The answers of a `vector_search` operation in the phase that just ran
    /// (None for other operations and kinds without it).
    fn vector_answers(&self, _op: &Self::Op) -> Option<VectorAnswers> {
        None
    }

    /// Builds a vector index (the `index` setup step): the table's rows and
    /// the index's size. Validation keeps the step off kinds without one.
    fn build_index(&self, ctx: &Ctx<'_>, _step: &IndexStep) -> impl Future<Output = Result<Loaded, BackendError>> + Send {
        let kind = ctx.config.kind();
        async move { Err(BackendError(format!("a backend of kind {kind} builds no vector indexes"))) }
    }

    /// Executes one request; returns the rows read or written and what it
    /// consumed. A serial or parallel read adds each table's leg to `legs`
    /// (which the worker passes in untimed, `Legs::default()`).
    fn execute<'a>(
        &'a self,
        session: &'a mut Self::Session,
        op: &'a Self::Op,
        req: &'a Request,
        legs: &'a mut Legs,
    ) -> impl Future<Output = Result<Done, OpError>> + Send + 'a;

    /// What the service reports as consumed per request, if anything (the
    /// report then has values in its capacity columns).
    fn metered(&self) -> Option<Meter> {
        None
    }

    /// Told when each phase starts (the noop backend times its stall from it).
    fn phase_started(&self, _at: Instant) {}

    /// Up to `n` distinct keys of an existing table, as text, in random order.
    fn sample_keys(&self, _table: &str, _column: &str, _n: u64) -> impl Future<Output = Result<Vec<String>, BackendError>> + Send {
        async { Err(BackendError("this backend kind cannot sample keys from existing tables".into())) }
    }

    /// An existing table's columns from the catalog, in order: (name, the
    /// database's type name), for `features: "*"`.
    fn table_columns(&self, _table: &str) -> impl Future<Output = Result<Vec<(String, String)>, BackendError>> + Send {
        async { Err(BackendError("this backend kind cannot read a table's columns from a catalog".into())) }
    }

    /// Whether [`Backend::explain`] samples query plans (PostgreSQL).
    fn can_explain(&self) -> bool {
        false
    }

    /// Runs the request under `EXPLAIN (ANALYZE, BUFFERS)`: shared blocks hit and read.
    fn explain<'a>(
        &'a self,
        _session: &'a mut Self::Session,
        _op: &'a Self::Op,
        _req: &'a Request,
    ) -> impl Future<Output = Result<Buffers, OpError>> + Send + 'a {
        async { Err(OpError::new(crate::stats::ErrorKind::Other, "EXPLAIN is not supported by this backend")) }
    }

    /// Bytes the dataset's tables take in the service after the load (data
    /// and indexes), for the storage cost; None where the kind cannot tell.
    fn data_bytes(&self) -> impl Future<Output = Option<u64>> + Send {
        async { None }
    }

    /// The server's own counters (statements, transactions, blocks), read
    /// before and after every phase for the report's cross-checks; never per
    /// request. None where the kind has none to read.
    fn server_counters(&self) -> impl Future<Output = Option<ServerCounters>> + Send {
        async { None }
    }

    /// Server version and settings for the report's environment section.
    fn server_info(&self) -> impl Future<Output = BTreeMap<String, String>> + Send;
}

/// Shared buffer blocks a request touched (from EXPLAIN).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Buffers {
    pub hit: u64,
    pub read: u64,
}

/// Something that runs with a connected backend of any kind.
pub trait WithBackend {
    type Output;
    fn run<B: Backend>(self, backend: B) -> impl Future<Output = Self::Output> + Send;
}

macro_rules! kinds {
    ($( $(#[$cfg:meta])* $variant:ident => $module:ident, $support:ident, $backend:ident; )*) => {
        $( $(#[$cfg])* pub mod $module; )*

        /// The kind's support, or why this build has none.
        pub fn support(kind: Kind) -> Result<&'static dyn KindSupport, String> {
            match kind {
                $( $(#[$cfg])* Kind::$variant => Ok(&$module::$support), )*
                #[allow(unreachable_patterns)]
                other => Err(registry::not_built(other)),
            }
        }

        /// Connects the backend `ctx` describes and hands it to `f`.
        pub async fn with_backend<F: WithBackend>(ctx: &Ctx<'_>, f: F) -> Result<F::Output, BackendError> {
            match ctx.config {
                $( $(#[$cfg])* BackendConfig::$variant(c) => {
                    let b = $module::$backend::connect(c, ctx).await?;
                    Ok(f.run(b).await)
                } )*
                #[allow(unreachable_patterns)]
                other => Err(BackendError(registry::not_built(other.kind()))),
            }
        }
    };
}

kinds! {
    #[cfg(feature = "sqlite")]
    Sqlite => sqlite, SqliteKind, SqliteBackend;
    #[cfg(feature = "postgres")]
    Postgres => postgres, PostgresKind, PostgresBackend;
    #[cfg(feature = "mysql")]
    Mysql => mysql, MysqlKind, MysqlBackend;
    #[cfg(feature = "dynamodb")]
    Dynamodb => dynamodb, DynamodbKind, DynamoBackend;
    #[cfg(feature = "cosmos")]
    Cosmos => cosmos, CosmosKind, CosmosBackend;
    #[cfg(feature = "redis")]
    Redis => redis, RedisKind, RedisBackend;
    Noop => noop, NoopKind, NoopBackend;
}
