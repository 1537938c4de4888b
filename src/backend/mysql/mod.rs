//! MySQL 8, Aurora MySQL and MariaDB 10.6+: requests on benchplan's own
//! wire client ([`wire`]) where it can run them, everything else through
//! sqlx. Loads with multi-row INSERTs in transactions: sqlx does not
//! implement the client side of `LOAD DATA LOCAL INFILE`.

mod support;
mod wire;
pub use support::MysqlKind;

use crate::net::is_loopback;
use super::sql::{self, SqlOp};
use super::wire_pool::{Idle, Lease};
use super::{sqlx_exec, Backend, BackendError, Ctx, Done, Loaded};
use crate::dataset::DataModel;
use crate::scenario::model::{CreateStep, Driver, Kind, LoadStep, MysqlConfig, StatementOp, TlsMode};
use crate::stats::{Legs, OpError};
use crate::workload::{OpSpec, Request};
use indicatif::ProgressBar;
use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions, MySqlSslMode};
use sqlx::AssertSqlSafe;
use sqlx::MySqlPool;
use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// How long a worker waits for a connection when all `pool` are taken.
const POOL_WAIT: Duration = Duration::from_secs(30);

pub struct MysqlBackend {
    pool: MySqlPool,
    model: DataModel,
    /// Where benchplan's own wire client connects, when requests run on it.
    wire: Option<wire::Target>,
    /// `pool` permits: a wire connection holds one.
    wire_permits: Arc<tokio::sync::Semaphore>,
    /// Wire connections between sessions (phases), as sqlx's pool keeps its.
    idle: Idle<wire::Conn>,
    /// Which client runs the requests, and why (run.json's `server.client`).
    client: String,
}

/// A worker's connections: sqlx's, and the wire client's.
#[derive(Default)]
pub struct MysqlSession {
    sqlx: sqlx_exec::Session<sqlx::MySql>,
    wire: Option<Lease<wire::Conn>>,
}

fn ssl_mode(tls: Option<TlsMode>, host: &str) -> MySqlSslMode {
    match tls {
        Some(TlsMode::Disable) => MySqlSslMode::Disabled,
        Some(TlsMode::Prefer) => MySqlSslMode::Preferred,
        // `require` here verifies the certificate chain.
        Some(TlsMode::Require) => MySqlSslMode::VerifyCa,
        Some(TlsMode::VerifyFull) => MySqlSslMode::VerifyIdentity,
        None if is_loopback(host) => MySqlSslMode::Preferred,
        None => MySqlSslMode::VerifyIdentity,
    }
}

impl MysqlBackend {
    pub async fn connect(c: &MysqlConfig, ctx: &Ctx<'_>) -> Result<Self, BackendError> {
        let name = ctx.name;
        let mut opts = MySqlConnectOptions::from_str(&c.url).map_err(|e| BackendError(format!("{name}: bad MySQL URL: {e}")))?;
        if c.tls.is_some() || !(c.url.contains("ssl-mode=") || c.url.contains("ssl_mode=")) {
            let mode = ssl_mode(c.tls, opts.get_host());
            opts = opts.ssl_mode(mode);
        }
        if let Some(ca) = &c.ca_file {
            opts = opts.ssl_ca(ca);
        }
        opts = opts.statement_cache_capacity(1024);
        let size = c.pool.unwrap_or(ctx.max_workers).max(1);
        let (host, port) = (opts.get_host().to_string(), opts.get_port());
        sqlx_exec::first_connection::<sqlx::MySqlConnection>(&opts, name, "MySQL", &host, port).await?;
        let (wire, client) = wire_client(c, &opts).await;
        let pool = MySqlPoolOptions::new()
            .max_connections(size)
            .acquire_timeout(POOL_WAIT)
            .test_before_acquire(false)
            .connect_lazy_with(opts);
        let wire_permits = Arc::new(tokio::sync::Semaphore::new(size as usize));
        Ok(MysqlBackend { pool, model: ctx.model.clone(), wire, wire_permits, idle: Idle::default(), client })
    }
}

/// Where the wire client connects, if it runs this backend's requests, and
/// a sentence naming the client that does and why.
async fn wire_client(c: &MysqlConfig, opts: &MySqlConnectOptions) -> (Option<wire::Target>, String) {
    const SQLX: &str = "sqlx 0.9 (server-side prepared statements)";
    const WIRE: &str = "benchplan's MySQL wire client (server-side prepared statements, binary parameters, rows counted not decoded); \
                        sqlx 0.9 for parallel reads";
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

impl Backend for MysqlBackend {
    type Op = SqlOp;
    type Session = MysqlSession;

    fn session(&self) -> Self::Session {
        MysqlSession::default()
    }

    fn prepare(&self, ctx: &Ctx<'_>, op: &OpSpec, statement: Option<&StatementOp>) -> Result<SqlOp, BackendError> {
        sql::prepare(Kind::Mysql, ctx, op, statement)
    }

    async fn create(&self, ctx: &Ctx<'_>, step: &CreateStep, bar: &ProgressBar) -> Result<(), BackendError> {
        sqlx_exec::create_tables(&self.pool, Kind::Mysql, ctx, step.replace.unwrap_or(true), &BTreeMap::new(), bar).await
    }

    async fn load(&self, ctx: &Ctx<'_>, step: &LoadStep, bar: &ProgressBar) -> Result<Loaded, BackendError> {
        let model = ctx.model;
        bar.set_length(model.total_rows());
        let batch = u64::from(step.batch.unwrap_or(5000)).max(1);
        let workers = step.workers.unwrap_or(2) as usize;
        sqlx_exec::load_tables(model.tables.len(), workers, |ti| {
            sqlx_exec::insert_load(&self.pool, Kind::Mysql, ctx.templates, model, ti, batch, Some(500), bar)
        })
        .await
        .map(Loaded::rows)
    }

    async fn drop_tables(&self, ctx: &Ctx<'_>, bar: &ProgressBar) -> Result<(), BackendError> {
        sqlx_exec::drop_tables(&self.pool, Kind::Mysql, ctx, bar).await
    }

    async fn execute<'a>(&'a self, session: &'a mut Self::Session, op: &'a SqlOp, req: &'a Request, legs: &'a mut Legs) -> Result<Done, OpError> {
        if let (Some(target), true) = (&self.wire, wire::can_run(op)) {
            let lease = match &mut session.wire {
                Some(l) => l,
                None => session.wire.insert(self.idle.lease(&self.wire_permits, POOL_WAIT, || wire::Conn::open(target)).await?),
            };
            let conn = lease.conn().ok_or_else(|| OpError::new(crate::stats::ErrorKind::Connection, "no connection"))?;
            return wire::execute(conn, op, req, &self.model, legs).await;
        }
        sqlx_exec::execute(&self.pool, &mut session.sqlx, op, req, &self.model, legs).await
    }

    async fn sample_keys(&self, table: &str, column: &str, n: u64) -> Result<Vec<String>, BackendError> {
        let q = format!("SELECT CAST(`{column}` AS CHAR) FROM `{table}` GROUP BY 1 ORDER BY RAND() LIMIT {n}");
        sqlx::query_scalar(sqlx::AssertSqlSafe(q)).fetch_all(&self.pool).await.map_err(|e| BackendError(format!("sampling {table}: {}", crate::backend::sqlx_exec::error_text(&e))))
    }

    async fn table_columns(&self, table: &str) -> Result<Vec<(String, String)>, BackendError> {
        let q = "SELECT CAST(column_name AS CHAR), CAST(data_type AS CHAR) FROM information_schema.columns \
                 WHERE table_name = ? AND table_schema = DATABASE() ORDER BY ordinal_position";
        sqlx::query_as(q)
            .bind(table)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| BackendError(format!("columns of {table}: {}", crate::backend::sqlx_exec::error_text(&e))))
    }

    async fn data_bytes(&self) -> Option<u64> {
        // InnoDB's own figure (data + indexes), its statistics refreshed first:
        // information_schema otherwise shows the size from before the load.
        let mut total = 0u64;
        for t in &self.model.tables {
            let analyze = format!("ANALYZE TABLE `{}`", t.name.replace('`', "``"));
            let _ = sqlx::query(AssertSqlSafe(analyze)).execute(&self.pool).await;
            let q = "SELECT CAST(COALESCE(data_length + index_length, 0) AS UNSIGNED) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?";
            total += sqlx::query_scalar::<_, u64>(q).bind(&t.name).fetch_optional(&self.pool).await.ok()?.unwrap_or(0);
        }
        (total > 0).then_some(total)
    }

    async fn server_counters(&self) -> Option<crate::stats::xcheck::ServerCounters> {
        use crate::stats::xcheck::{Compare, Counter, ServerCounters};
        let q = "SHOW GLOBAL STATUS WHERE Variable_name IN \
                 ('Questions', 'Com_select', 'Innodb_buffer_pool_read_requests', 'Innodb_buffer_pool_reads', 'Innodb_buffer_pool_pages_data', 'Created_tmp_disk_tables')";
        let listed: Vec<(String, String)> = sqlx::query_as(q).fetch_all(&self.pool).await.ok()?;
        let mut out = ServerCounters::default();
        for (name, value) in listed {
            // The SHOW itself is one of the Questions the next reading sees.
            let (compare, own) = if name == "Questions" { (Compare::AllStatements, 1) } else { (Compare::Nothing, 0) };
            out.counters.push(Counter { name, value: value.parse().unwrap_or(0), compare, own });
        }
        out.notes.push("SHOW GLOBAL STATUS counts every client of the server, not only this run's".into());
        Some(out)
    }

    async fn server_info(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::from([("client".to_string(), self.client.clone())]);
        if let Ok(v) = sqlx::query_scalar::<_, String>("SELECT VERSION()").fetch_one(&self.pool).await {
            out.insert("server".to_string(), v);
        }
        let settings = "SELECT CAST(@@innodb_buffer_pool_size AS CHAR), CAST(@@max_connections AS CHAR), CAST(@@innodb_flush_log_at_trx_commit AS CHAR)";
        if let Ok((bp, mc, flush)) = sqlx::query_as::<_, (String, String, String)>(settings).fetch_one(&self.pool).await {
            out.insert("innodb_buffer_pool_size".to_string(), bp);
            out.insert("max_connections".to_string(), mc);
            out.insert("innodb_flush_log_at_trx_commit".to_string(), flush);
        }
        out
    }
}
