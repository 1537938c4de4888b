//! PostgreSQL (Lakebase, Aurora PostgreSQL, RDS, any PostgreSQL >= 12)
//! through sqlx: COPY FROM STDIN loads, prepared statements per connection,
//! `packed: function` (a generated SQL function called once per request).

mod counters;
mod load;
mod support;
mod vector;
mod wire;
pub use support::PostgresKind;

use super::sql::{self, SqlOp};
use super::wire_pool::{Idle, Lease};
use super::{sqlx_exec, Backend, BackendError, Buffers, Ctx, Done, Loaded};
use crate::dataset::DataModel;
use crate::scenario::model::{CreateStep, IndexStep, Kind, LoadMethod, LoadStep, PackedMode, Driver, PostgresConfig, StatementOp, TlsMode};
use crate::stats::{Legs, OpError};
use crate::template::BindRef;
use crate::workload::{OpSpec, Request};
use indicatif::ProgressBar;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgSslMode};
use sqlx::{AssertSqlSafe, PgPool};
use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// How long a worker waits for a connection when all `pool` are taken.
const POOL_WAIT: Duration = Duration::from_secs(30);

pub struct PostgresBackend {
    pool: PgPool,
    model: DataModel,
    packed: PackedMode,
    load_method: Option<LoadMethod>,
    /// The server's `max_prepared_transactions` (two-phase statements need it > 0).
    max_prepared: Option<i64>,
    /// Whether a phase had `settings`: from then on each session checks its connection's.
    settings_used: std::sync::atomic::AtomicBool,
    /// The texts of the statements prepared so far: the cross-checks count
    /// their calls in `pg_stat_statements`.
    statements: std::sync::Mutex<std::collections::BTreeSet<String>>,
    /// Where benchplan's own wire client connects, when requests run on it.
    wire: Option<wire::Target>,
    /// `pool` permits: a worker's wire connection holds one, so the wire
    /// client opens no more connections than sqlx's pool would.
    wire_permits: Arc<tokio::sync::Semaphore>,
    /// Wire connections between sessions (phases), as sqlx's pool keeps its.
    idle: Idle<wire::Conn>,
    /// Which client runs the requests, and why (run.json's `server.client`).
    client: String,
}

/// A worker's connections: sqlx's, and the wire client's.
#[derive(Default)]
pub struct PgSession {
    sqlx: sqlx_exec::Session<sqlx::Postgres>,
    wire: Option<Lease<wire::Conn>>,
}

/// An operation, and for `packed: function` the function it calls.
pub struct PgOp {
    op: SqlOp,
    /// CREATE OR REPLACE FUNCTION ..., run once before the first call.
    function: Option<(String, tokio::sync::OnceCell<()>)>,
    /// A `vector_search` (then `op` has no statements).
    vector: Option<vector::VectorQuery>,
    /// Settings a worker's connection gets before its first request.
    settings: Arc<[(String, String)]>,
    /// Whether the wire client can run it (plain statements, no settings).
    wire: bool,
}

fn ssl_mode(tls: Option<TlsMode>, host: &str) -> PgSslMode {
    match tls {
        Some(TlsMode::Disable) => PgSslMode::Disable,
        Some(TlsMode::Prefer) => PgSslMode::Prefer,
        // `require` here verifies the certificate chain; libpq's does not.
        Some(TlsMode::Require) => PgSslMode::VerifyCa,
        Some(TlsMode::VerifyFull) => PgSslMode::VerifyFull,
        // Unset: verify everything, except on this machine.
        None if crate::net::is_loopback(host) => PgSslMode::Prefer,
        None => PgSslMode::VerifyFull,
    }
}

impl PostgresBackend {
    pub async fn connect(c: &PostgresConfig, ctx: &Ctx<'_>) -> Result<Self, BackendError> {
        let name = ctx.name;
        let mut opts = PgConnectOptions::from_str(&c.url).map_err(|e| BackendError(format!("{name}: bad PostgreSQL URL: {e}")))?;
        let url_sets_mode = c.url.contains("sslmode=");
        if c.tls.is_some() || !url_sets_mode {
            let mode = ssl_mode(c.tls, opts.get_host());
            opts = opts.ssl_mode(mode);
        }
        if let Some(ca) = &c.ca_file {
            opts = opts.ssl_root_cert(ca);
        }
        if let Some(schema) = &c.schema {
            opts = opts.options([("search_path", schema.as_str())]);
        }
        opts = opts.statement_cache_capacity(1024).application_name("benchplan");
        let size = c.pool.unwrap_or(ctx.max_workers).max(1);
        let (host, port) = (opts.get_host().to_string(), opts.get_port());
        sqlx_exec::first_connection::<sqlx::PgConnection>(&opts, name, "PostgreSQL", &host, port).await?;
        let (wire, client) = wire_client(c, &opts).await;
        let pool = PgPoolOptions::new()
            .max_connections(size)
            .acquire_timeout(POOL_WAIT)
            .test_before_acquire(false)
            .connect_lazy_with(opts);
        if let Some(schema) = &c.schema {
            // Validation made it a safe identifier.
            sqlx_exec::ddl(&pool, Kind::Postgres, &format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\"")).await?;
        }
        let max_prepared = sqlx::query_scalar::<_, String>("SHOW max_prepared_transactions")
            .fetch_one(&pool)
            .await
            .ok()
            .and_then(|v| v.parse().ok());
        Ok(PostgresBackend {
            pool,
            model: ctx.model.clone(),
            packed: c.packed.unwrap_or_default(),
            load_method: c.load_method,
            max_prepared,
            settings_used: Default::default(),
            statements: Default::default(),
            wire,
            wire_permits: Arc::new(tokio::sync::Semaphore::new(size as usize)),
            idle: Idle::default(),
            client,
        })
    }
}

/// Where the wire client connects, if it runs this backend's requests, and
/// a sentence naming the client that does and why.
async fn wire_client(c: &PostgresConfig, opts: &PgConnectOptions) -> (Option<wire::Target>, String) {
    const SQLX: &str = "sqlx 0.9 (prepared statements)";
    const WIRE: &str = "benchplan's PostgreSQL wire client (prepared statements, binary parameters, rows counted not decoded); \
                        sqlx 0.9 for settings, vector search, parallel reads and two-phase commits";
    if c.driver == Some(Driver::Sqlx) {
        return (None, format!("{SQLX}: driver: sqlx"));
    }
    let target = match wire::Target::new(&c.url, opts) {
        Ok(t) => t,
        Err(why) => return (None, format!("{SQLX}: {why}")),
    };
    match wire::Conn::open(&target).await {
        Ok(_) => (Some(target), WIRE.to_string()),
        Err(why) => (None, format!("{SQLX}: the wire client could not connect ({why})")),
    }
}

/// Makes sure pgvector is there for a dataset with vector features.
async fn vector_extension(pool: &PgPool) -> Result<(), BackendError> {
    sqlx::query("CREATE EXTENSION IF NOT EXISTS vector").execute(pool).await.map(|_| ()).map_err(|e| {
        BackendError(format!(
            "the dataset has vector features, and CREATE EXTENSION vector failed: {} (install pgvector on the server, \
             https://github.com/pgvector/pgvector, or have an administrator create the extension in this database)",
            sqlx_exec::error_text(&e)
        ))
    })
}

/// Shared blocks hit and read of the top plan node (it includes its children).
pub fn plan_buffers(explain_json: &str) -> Option<Buffers> {
    let v: serde_json::Value = serde_json::from_str(explain_json).ok()?;
    let plan = v.get(0)?.get("Plan")?;
    let n = |k: &str| plan.get(k).and_then(serde_json::Value::as_u64).unwrap_or(0);
    Some(Buffers { hit: n("Shared Hit Blocks"), read: n("Shared Read Blocks") })
}

/// `SELECT * FROM fn($1, ...)` for a packed read, and the function's DDL.
fn packed_function(op: &SqlOp, model: &DataModel) -> Result<(SqlOp, String), BackendError> {
    let stmt = op.stmts.first().ok_or_else(|| BackendError("packed read without a statement".into()))?;
    let args: Vec<&str> = stmt
        .binds
        .iter()
        .map(|b| match b {
            BindRef::Key { entity, .. } if model.entities[*entity].key_type == crate::scenario::model::KeyType::Int => "bigint",
            BindRef::KeyArray { entity, .. } if model.entities[*entity].key_type == crate::scenario::model::KeyType::Int => "bigint[]",
            BindRef::KeyArray { .. } => "text[]",
            _ => "text",
        })
        .collect();
    let name = format!("benchplan_packed_{:016x}", crate::dataset::hash_str(&stmt.sql));
    let ddl = format!(
        "CREATE OR REPLACE FUNCTION {name}({}) RETURNS TABLE (t int, pk text, v text) LANGUAGE sql STABLE AS $benchplan$\n{}\n$benchplan$",
        args.join(", "),
        stmt.sql
    );
    let placeholders: Vec<String> = (1..=args.len()).map(|i| format!("${i}")).collect();
    let call = sql::Stmt {
        sql: Arc::from(format!("SELECT t, pk, v FROM {name}({})", placeholders.join(", ")).as_str()),
        binds: stmt.binds.clone(),
        table: None,
        base: 0,
    };
    Ok((SqlOp { stmts: vec![call], ..op.clone() }, ddl))
}

impl Backend for PostgresBackend {
    type Op = PgOp;
    type Session = PgSession;

    fn session(&self) -> Self::Session {
        PgSession::default()
    }

    fn prepare(&self, ctx: &Ctx<'_>, op: &OpSpec, statement: Option<&StatementOp>) -> Result<PgOp, BackendError> {
        let settings = op.settings.clone();
        if let crate::workload::OpKind::VectorSearch { table, column, search } = &op.kind {
            let query = vector::VectorQuery::new(ctx.model, *table, *column, search);
            let none = SqlOp { shape: sql::Shape::Serial, stmts: Vec::new(), writes: None, two_phase: false };
            return Ok(PgOp { op: none, function: None, vector: Some(query), settings, wire: false });
        }
        let sql_op = sql::prepare(Kind::Postgres, ctx, op, statement)?;
        if sql_op.two_phase && self.max_prepared.unwrap_or(0) < 1 {
            let name = statement.map(|s| s.name.as_str()).unwrap_or("?");
            return Err(BackendError(format!(
                "statement {name} has two_phase: true, but this server's max_prepared_transactions is {} (PREPARE TRANSACTION needs it > 0: \
                 set it in postgresql.conf and restart the server, or remove two_phase)",
                self.max_prepared.map_or_else(|| "unknown".to_string(), |n| n.to_string())
            )));
        }
        let packed_read = matches!(op.kind, crate::workload::OpKind::Read { fetch: crate::scenario::model::Fetch::Packed, .. });
        let wire = self.wire.is_some() && settings.is_empty() && wire::can_run(&sql_op);
        let prepared = if packed_read && self.packed == PackedMode::Function {
            let (call, ddl) = packed_function(&sql_op, ctx.model)?;
            PgOp { op: call, function: Some((ddl, tokio::sync::OnceCell::new())), vector: None, settings, wire }
        } else {
            PgOp { op: sql_op, function: None, vector: None, settings, wire }
        };
        if let Ok(mut texts) = self.statements.lock() {
            texts.extend(prepared.op.stmts.iter().map(|s| s.sql.to_string()));
        }
        Ok(prepared)
    }

    async fn create(&self, ctx: &Ctx<'_>, step: &CreateStep, bar: &ProgressBar) -> Result<(), BackendError> {
        let unlogged = matches!(ctx.config, crate::scenario::model::BackendConfig::Postgres(c) if c.unlogged);
        if ctx.model.tables.iter().any(|t| t.columns.iter().any(|c| c.ty.is_vector())) {
            vector_extension(&self.pool).await?;
        }
        let extra = BTreeMap::from([("unlogged", minijinja::Value::from(unlogged))]);
        sqlx_exec::create_tables(&self.pool, Kind::Postgres, ctx, step.replace.unwrap_or(true), &extra, bar).await
    }

    async fn load(&self, ctx: &Ctx<'_>, step: &LoadStep, bar: &ProgressBar) -> Result<Loaded, BackendError> {
        bar.set_length(ctx.model.total_rows());
        let batch = u64::from(step.batch.unwrap_or(10_000)).max(1);
        let workers = step.workers.unwrap_or(2) as usize;
        let method = self.load_method.or(step.method).unwrap_or(LoadMethod::Copy);
        sqlx_exec::load_tables(self.model.tables.len(), workers, |ti| self.load_table(ctx.templates, method, ti, batch, bar))
            .await
            .map(Loaded::rows)
    }

    async fn analyze(&self, ctx: &Ctx<'_>) -> Result<bool, BackendError> {
        for t in &ctx.model.tables {
            sqlx_exec::ddl(&self.pool, Kind::Postgres, &format!("ANALYZE \"{}\"", t.name)).await?;
        }
        Ok(true)
    }

    async fn build_index(&self, ctx: &Ctx<'_>, step: &IndexStep) -> Result<Loaded, BackendError> {
        self.create_vector_index(ctx, step).await
    }

    async fn drop_tables(&self, ctx: &Ctx<'_>, bar: &ProgressBar) -> Result<(), BackendError> {
        sqlx_exec::drop_tables(&self.pool, Kind::Postgres, ctx, bar).await?;
        // The functions of `packed: function` reads go with the tables.
        let q = "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
                 WHERE p.proname LIKE 'benchplan\\_packed\\_%' AND n.nspname = ANY (current_schemas(false))";
        let functions: Vec<String> =
            sqlx::query_scalar(q).fetch_all(&self.pool).await.map_err(|e| BackendError(format!("listing benchplan's functions: {}", sqlx_exec::error_text(&e))))?;
        for f in functions {
            sqlx_exec::ddl(&self.pool, Kind::Postgres, &format!("DROP FUNCTION IF EXISTS {f}")).await?;
        }
        Ok(())
    }

    async fn execute<'a>(&'a self, session: &'a mut Self::Session, op: &'a PgOp, req: &'a Request, legs: &'a mut Legs) -> Result<Done, OpError> {
        // Wire connections are the session's own, never given settings.
        if let (Some(target), true) = (&self.wire, op.wire) {
            self.define_function(op).await?;
            let lease = match &mut session.wire {
                Some(l) => l,
                None => session.wire.insert(self.idle.lease(&self.wire_permits, POOL_WAIT, || wire::Conn::open(target)).await?),
            };
            let conn = lease.conn().ok_or_else(|| OpError::new(crate::stats::ErrorKind::Connection, "no connection"))?;
            return wire::execute(conn, &op.op, req, &self.model, legs).await;
        }
        let session = &mut session.sqlx;
        let mut settling = crate::stats::xcheck::Sent::default();
        if session.is_none() && op.op.shape != sql::Shape::Parallel {
            let (conn, sent) = vector::settled_connection(&self.pool, &op.settings, &self.settings_used, op.vector.is_some()).await?;
            *session = Some(conn);
            settling = sent;
        }
        let mut done = self.execute_on_session(session, op, req, legs).await?;
        done.sent.add(&settling);
        Ok(done)
    }

    fn can_explain(&self) -> bool {
        true
    }

    fn vector_answers(&self, op: &PgOp) -> Option<crate::backend::VectorAnswers> {
        op.vector.as_ref().map(vector::VectorQuery::take_answers)
    }

    async fn table_columns(&self, table: &str) -> Result<Vec<(String, String)>, BackendError> {
        let q = "SELECT column_name::text, data_type::text FROM information_schema.columns \
                 WHERE table_name = $1 AND table_schema = ANY(current_schemas(false)) ORDER BY ordinal_position";
        sqlx::query_as(q).bind(table).fetch_all(&self.pool).await.map_err(|e| BackendError(format!("columns of {table}: {}", sqlx_exec::error_text(&e))))
    }

    async fn sample_keys(&self, table: &str, column: &str, n: u64) -> Result<Vec<String>, BackendError> {
        // TABLESAMPLE SYSTEM reads a fraction of the table's pages; size the
        // fraction from the planner's row estimate, with room to spare.
        let est: f64 = sqlx::query_scalar::<_, f32>("SELECT reltuples FROM pg_class WHERE oid = $1::regclass")
            .bind(table)
            .fetch_one(&self.pool)
            .await
            .map(f64::from)
            .unwrap_or(-1.0);
        if est > 0.0 {
            let pct = (n as f64 * 3.0 / est * 100.0).clamp(0.0001, 100.0);
            let q = format!("SELECT DISTINCT \"{column}\"::text FROM \"{table}\" TABLESAMPLE SYSTEM ({pct:.4}) LIMIT {n}");
            let keys: Vec<String> = sqlx::query_scalar(AssertSqlSafe(q))
                .fetch_all(&self.pool)
                .await
                .map_err(|e| BackendError(format!("sampling {table}: {}", sqlx_exec::error_text(&e))))?;
            if keys.len() as u64 >= n {
                return Ok(keys);
            }
        }
        // Small tables (or no statistics): a random order of all rows.
        let q = format!("SELECT \"{column}\"::text FROM \"{table}\" GROUP BY 1 ORDER BY random() LIMIT {n}");
        sqlx::query_scalar(AssertSqlSafe(q)).fetch_all(&self.pool).await.map_err(|e| BackendError(format!("sampling {table}: {}", sqlx_exec::error_text(&e))))
    }

    async fn explain<'a>(&'a self, session: &'a mut Self::Session, op: &'a PgOp, req: &'a Request) -> Result<Buffers, OpError> {
        use crate::stats::ErrorKind;
        self.define_function(op).await?;
        // On the worker's own connection: waiting for a second one could deadlock a small pool.
        let session = &mut session.sqlx;
        let conn = match session {
            Some(c) => c,
            None => session.insert(self.pool.acquire().await.map_err(sqlx_exec::op_error)?),
        };
        let mut tx = sqlx::Connection::begin(&mut **conn).await.map_err(sqlx_exec::op_error)?;
        let mut total = Buffers::default();
        for s in &op.op.stmts {
            let text: Arc<str> = Arc::from(format!("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {}", s.sql).as_str());
            let row = sqlx_exec::query_text::<sqlx::Postgres>(text, s, req, &self.model)?
                .fetch_one(&mut *tx)
                .await
                .map_err(sqlx_exec::op_error)?;
            let json: String = sqlx::Row::try_get_unchecked(&row, 0).map_err(sqlx_exec::op_error)?;
            let b = plan_buffers(&json).ok_or_else(|| OpError::new(ErrorKind::Other, "EXPLAIN output without a plan"))?;
            total.hit += b.hit;
            total.read += b.read;
        }
        // A sampled write is not kept: EXPLAIN ANALYZE ran it inside this transaction.
        tx.rollback().await.map_err(sqlx_exec::op_error)?;
        Ok(total)
    }

    async fn data_bytes(&self) -> Option<u64> {
        // Tables with their indexes and TOAST, in the schema the tables are created in.
        let names: Vec<String> = self.model.tables.iter().map(|t| t.name.clone()).collect();
        let q = "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND c.relname = ANY($1) AND n.nspname = current_schema()";
        let bytes = sqlx::query_scalar::<_, i64>(q).bind(names).fetch_one(&self.pool).await.ok()?;
        // No table found (another schema?): unknown, not empty.
        u64::try_from(bytes).ok().filter(|b| *b > 0)
    }

    async fn server_counters(&self) -> Option<crate::stats::xcheck::ServerCounters> {
        let texts = self.statements.lock().map(|t| t.clone()).unwrap_or_default();
        // The idle wire connections publish their statistics too (each call a transaction).
        let mut held = self.idle.drain();
        let mut flushed = 0;
        for (c, _) in &mut held {
            flushed += u64::from(c.flush_statistics().await);
        }
        self.idle.put_back(held);
        counters::read(&self.pool, &texts, flushed).await
    }

    async fn server_info(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::from([("client".to_string(), self.client.clone())]);
        if let Ok(v) = sqlx::query_scalar::<_, String>("SELECT version()").fetch_one(&self.pool).await {
            out.insert("server".to_string(), v);
        }
        for setting in ["shared_buffers", "max_connections", "work_mem", "effective_cache_size", "synchronous_commit"] {
            let q = format!("SHOW {setting}");
            if let Ok(v) = sqlx::query_scalar::<_, String>(AssertSqlSafe(q)).fetch_one(&self.pool).await {
                out.insert(setting.to_string(), v);
            }
        }
        out
    }
}

impl PostgresBackend {
    /// Creates the function a `packed: function` read calls, once.
    async fn define_function(&self, op: &PgOp) -> Result<(), OpError> {
        if let Some((ddl, done)) = &op.function {
            done.get_or_try_init(|| async { sqlx_exec::ddl(&self.pool, Kind::Postgres, ddl).await })
                .await
                .map_err(|e| OpError::new(crate::stats::ErrorKind::Query, e.0))?;
        }
        Ok(())
    }

    /// Runs `op` for `req` on the worker's session (taken already, but for parallel reads).
    async fn execute_on_session(
        &self,
        session: &mut sqlx_exec::Session<sqlx::Postgres>,
        op: &PgOp,
        req: &Request,
        legs: &mut Legs,
    ) -> Result<Done, OpError> {
        if let Some(v) = &op.vector {
            let conn = session.as_mut().ok_or_else(|| OpError::new(crate::stats::ErrorKind::Connection, "no connection"))?;
            return v.run(conn, req).await;
        }
        self.define_function(op).await?;
        if op.op.two_phase {
            // BEGIN, PREPARE TRANSACTION and COMMIT PREPARED around the statements.
            let sent = sqlx_exec::in_transaction(&op.op, 3);
            return sqlx_exec::two_phase_pg(&self.pool, session, &op.op, req, &self.model).await.map(|rows| Done { sent, ..Done::rows(rows) });
        }
        sqlx_exec::execute(&self.pool, session, &op.op, req, &self.model, legs).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: `127.evil.example` counted as this machine, so TLS was
    /// only preferred, not verified, for a server elsewhere.
    #[test]
    fn only_this_machine_is_loopback() {
        for host in ["localhost", "LOCALHOST", "127.0.0.1", "127.0.0.2", "::1", "[::1]", "/var/run/postgresql"] {
            assert!(crate::net::is_loopback(host), "{host}");
        }
        for host in ["127.evil.example", "db.example.com", "10.0.0.1", "::2", "localhost.example.com"] {
            assert!(!crate::net::is_loopback(host), "{host}");
        }
        assert!(matches!(ssl_mode(None, "127.evil.example"), PgSslMode::VerifyFull));
        assert!(matches!(ssl_mode(None, "127.0.0.1"), PgSslMode::Prefer));
    }
}
