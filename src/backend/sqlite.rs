//! SQLite through sqlx: a file, or `:memory:` (one in-memory database
//! shared by every connection of the pool).

use super::sql::{self, Bound, Shape, SqlOp};
use super::{Backend, BackendError, Ctx};
use crate::dataset::{DataModel, RowBatches};
use crate::scenario::model::{CreateStep, Kind, LoadStep, SqliteConfig, StatementOp, WriteMode};
use crate::stats::{ErrorKind, OpError};
use crate::template::BindRef;
use crate::workload::{OpSpec, Request};
use indicatif::ProgressBar;
use sqlx::sqlite::{SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{AssertSqlSafe, Sqlite, SqlitePool};
use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// SQLite allows at most this many bound parameters in one statement.
const MAX_VARS: usize = 32_766;

pub struct SqliteBackend {
    pool: SqlitePool,
    model: Arc<DataModel>,
}

type Query = sqlx::query::Query<'static, Sqlite, SqliteArguments>;

fn db_err(e: sqlx::Error) -> OpError {
    let kind = match &e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => ErrorKind::Connection,
        sqlx::Error::Database(d) if d.message().contains("locked") || d.message().contains("busy") => ErrorKind::Throttled,
        sqlx::Error::Database(_) => ErrorKind::Query,
        sqlx::Error::RowNotFound => ErrorKind::NotFound,
        _ => ErrorKind::Other,
    };
    OpError::new(kind, e.to_string())
}

fn bind(q: Query, v: Bound<'_>) -> Query {
    match v {
        Bound::Int(i) => q.bind(i),
        Bound::Float(f) => q.bind(f),
        Bound::Str(s) => q.bind(s.into_owned()),
        Bound::Bool(b) => q.bind(b),
        Bound::Null => q.bind(Option::<i64>::None),
    }
}

impl SqliteBackend {
    pub async fn connect(c: &SqliteConfig, ctx: &Ctx<'_>) -> Result<Self, BackendError> {
        let opts = if c.path == ":memory:" {
            SqliteConnectOptions::from_str("sqlite::memory:").map_err(|e| BackendError(format!("sqlite: {e}")))?
        } else {
            SqliteConnectOptions::new()
                .filename(&c.path)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
        };
        let opts = opts.busy_timeout(Duration::from_secs(10)).statement_cache_capacity(1024);
        let size = c.pool.unwrap_or(ctx.max_workers).max(1);
        let pool = SqlitePoolOptions::new()
            .max_connections(size)
            // The in-memory database lives as long as one connection does.
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts)
            .await
            .map_err(|e| BackendError(format!("sqlite {}: cannot open: {e}", c.path)))?;
        Ok(SqliteBackend { pool, model: Arc::new(ctx.model.clone()) })
    }

    fn query(&self, stmt: &sql::Stmt, req: &Request, rep: usize) -> Query {
        let mut q: Query = sqlx::query(AssertSqlSafe(stmt.sql.clone()));
        for b in &stmt.binds {
            q = bind(q, sql::resolve(b, req, &self.model, stmt.table, rep));
        }
        q
    }

    async fn exec_ddl(&self, text: &str) -> Result<(), BackendError> {
        sqlx::raw_sql(AssertSqlSafe(text.to_string()))
            .execute(&self.pool)
            .await
            .map_err(|e| BackendError(format!("sqlite: {e}\n  in: {text}")))?;
        Ok(())
    }
}

impl Backend for SqliteBackend {
    type Op = SqlOp;

    fn prepare(&self, ctx: &Ctx<'_>, op: &OpSpec, statement: Option<&StatementOp>) -> Result<SqlOp, BackendError> {
        sql::prepare(Kind::Sqlite, ctx, op, statement)
    }

    async fn create(&self, ctx: &Ctx<'_>, step: &CreateStep, bar: &ProgressBar) -> Result<(), BackendError> {
        let none = BTreeMap::new();
        bar.set_length(ctx.model.tables.len() as u64);
        for t in &ctx.model.tables {
            if step.replace.unwrap_or(true) {
                self.exec_ddl(&ctx.templates.drop_table(Kind::Sqlite, ctx.model, t).map_err(|e| BackendError(e.0))?).await?;
            }
            self.exec_ddl(&ctx.templates.create_table(Kind::Sqlite, ctx.model, t, &none).map_err(|e| BackendError(e.0))?).await?;
            bar.inc(1);
        }
        Ok(())
    }

    async fn load(&self, ctx: &Ctx<'_>, step: &LoadStep, bar: &ProgressBar) -> Result<u64, BackendError> {
        let model = ctx.model;
        let mut total = 0u64;
        bar.set_length(model.total_rows());
        // SQLite has one writer at a time: tables are loaded one after another.
        for (ti, t) in model.tables.iter().enumerate() {
            // Rows per INSERT: measured fastest around 50 (sqlx's per-argument
            // cost grows with the statement's size; 1000 rows was 10x slower).
            let per_stmt = (MAX_VARS / (t.columns.len() + 1)).clamp(1, 50);
            let batch = u64::from(step.batch.unwrap_or(5000)).max(1);
            let full = ctx.templates.write(Kind::Sqlite, model, t, WriteMode::Insert, per_stmt).map_err(|e| BackendError(e.0))?;
            let full_sql: Arc<str> = Arc::from(full.sql.as_str());
            for range in RowBatches::new(model, ti, batch) {
                let mut tx = self.pool.begin().await.map_err(|e| BackendError(format!("sqlite load {}: {e}", t.name)))?;
                let mut start = range.start;
                while start < range.end {
                    let n = ((range.end - start) as usize).min(per_stmt);
                    let (text, binds): (Arc<str>, Vec<BindRef>) = if n == per_stmt {
                        (full_sql.clone(), full.binds.clone())
                    } else {
                        let r = ctx.templates.write(Kind::Sqlite, model, t, WriteMode::Insert, n).map_err(|e| BackendError(e.0))?;
                        (Arc::from(r.sql.as_str()), r.binds)
                    };
                    let mut q: Query = sqlx::query(AssertSqlSafe(text));
                    for b in &binds {
                        let v = match b {
                            BindRef::Pk { row } => sql::load_value(model, ti, start + *row as u64, None),
                            BindRef::Value { row, col } => sql::load_value(model, ti, start + *row as u64, Some(*col)),
                            _ => Bound::Null,
                        };
                        q = bind(q, v);
                    }
                    q.execute(&mut *tx).await.map_err(|e| BackendError(format!("sqlite load {}: {e}", t.name)))?;
                    start += n as u64;
                }
                tx.commit().await.map_err(|e| BackendError(format!("sqlite load {}: {e}", t.name)))?;
                total += range.end - range.start;
                bar.inc(range.end - range.start);
            }
        }
        Ok(total)
    }

    async fn drop_tables(&self, ctx: &Ctx<'_>, bar: &ProgressBar) -> Result<(), BackendError> {
        bar.set_length(ctx.model.tables.len() as u64);
        for t in &ctx.model.tables {
            self.exec_ddl(&ctx.templates.drop_table(Kind::Sqlite, ctx.model, t).map_err(|e| BackendError(e.0))?).await?;
            bar.inc(1);
        }
        Ok(())
    }

    async fn execute<'a>(&'a self, op: &'a SqlOp, req: &'a Request) -> Result<u32, OpError> {
        let mut rows = 0u32;
        match op.shape {
            Shape::Serial => {
                let mut conn = self.pool.acquire().await.map_err(db_err)?;
                for s in &op.stmts {
                    rows += self.query(s, req, 0).fetch_all(&mut *conn).await.map_err(db_err)?.len() as u32;
                }
            }
            Shape::Parallel => {
                let futs = op.stmts.iter().map(|s| async move {
                    let mut conn = self.pool.acquire().await.map_err(db_err)?;
                    self.query(s, req, 0).fetch_all(&mut *conn).await.map(|r| r.len() as u32).map_err(db_err)
                });
                for r in futures_util::future::join_all(futs).await {
                    rows += r?;
                }
            }
            Shape::Transaction => {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                for s in &op.stmts {
                    for rep in 0..op.repeat {
                        rows += self.query(s, req, rep).execute(&mut *tx).await.map_err(db_err)?.rows_affected() as u32;
                    }
                }
                tx.commit().await.map_err(db_err)?;
            }
        }
        Ok(rows)
    }

    async fn server_info(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        if let Ok(v) = sqlx::query_scalar::<_, String>("select sqlite_version()").fetch_one(&self.pool).await {
            out.insert("server".to_string(), format!("SQLite {v}"));
        }
        out
    }
}
