//! SQLite through sqlx: a file, or `:memory:` (one in-memory database
//! shared by every connection of the pool).

mod support;
pub use support::SqliteKind;

use super::sql::{self, SqlOp};
use super::{sqlx_exec, Backend, BackendError, Ctx, Done, Loaded};
use crate::dataset::DataModel;
use crate::scenario::model::{CreateStep, Kind, LoadStep, SqliteConfig, StatementOp};
use crate::stats::{Legs, OpError};
use crate::workload::{OpSpec, Request};
use indicatif::ProgressBar;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

pub struct SqliteBackend {
    pool: SqlitePool,
    model: DataModel,
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
        if c.path != ":memory:" {
            // One connection creates the file and switches it to WAL before
            // the pool opens several at once: two connections making that
            // switch together on a new file fail with "database is locked",
            // which the busy timeout does not cover.
            use sqlx::Connection as _;
            let first = sqlx::SqliteConnection::connect_with(&opts)
                .await
                .map_err(|e| BackendError(format!("sqlite {}: cannot open: {e}", c.path)))?;
            let _ = first.close().await;
        }
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
        Ok(SqliteBackend { pool, model: ctx.model.clone() })
    }
}

impl Backend for SqliteBackend {
    type Op = SqlOp;
    type Session = sqlx_exec::Session<sqlx::Sqlite>;

    fn session(&self) -> Self::Session {
        None
    }

    fn prepare(&self, ctx: &Ctx<'_>, op: &OpSpec, statement: Option<&StatementOp>) -> Result<SqlOp, BackendError> {
        sql::prepare(Kind::Sqlite, ctx, op, statement)
    }

    async fn create(&self, ctx: &Ctx<'_>, step: &CreateStep, bar: &ProgressBar) -> Result<(), BackendError> {
        sqlx_exec::create_tables(&self.pool, Kind::Sqlite, ctx, step.replace.unwrap_or(true), &BTreeMap::new(), bar).await
    }

    async fn load(&self, ctx: &Ctx<'_>, step: &LoadStep, bar: &ProgressBar) -> Result<Loaded, BackendError> {
        let model = ctx.model;
        bar.set_length(model.total_rows());
        let batch = u64::from(step.batch.unwrap_or(5000)).max(1);
        // SQLite has one writer at a time: tables are loaded one after another.
        sqlx_exec::load_tables(model.tables.len(), 1, |ti| {
            // Rows per INSERT: 200 to 1000 load 800,000 rows of 8 features
            // about 1.3x as fast as 50 (measured 2026-12-05; 50 was fastest
            // while placeholders were numbered, whose binding cost n^2).
            sqlx_exec::insert_load(&self.pool, Kind::Sqlite, ctx.templates, model, ti, batch, Some(500), bar)
        })
        .await
        .map(Loaded::rows)
    }

    async fn drop_tables(&self, ctx: &Ctx<'_>, bar: &ProgressBar) -> Result<(), BackendError> {
        sqlx_exec::drop_tables(&self.pool, Kind::Sqlite, ctx, bar).await
    }

    async fn execute<'a>(&'a self, session: &'a mut Self::Session, op: &'a SqlOp, req: &'a Request, legs: &'a mut Legs) -> Result<Done, OpError> {
        sqlx_exec::execute(&self.pool, session, op, req, &self.model, legs).await
    }

    async fn sample_keys(&self, table: &str, column: &str, n: u64) -> Result<Vec<String>, BackendError> {
        let q = format!("SELECT CAST(\"{column}\" AS TEXT) FROM \"{table}\" GROUP BY 1 ORDER BY random() LIMIT {n}");
        sqlx::query_scalar(sqlx::AssertSqlSafe(q)).fetch_all(&self.pool).await.map_err(|e| BackendError(format!("sampling {table}: {}", crate::backend::sqlx_exec::error_text(&e))))
    }

    async fn table_columns(&self, table: &str) -> Result<Vec<(String, String)>, BackendError> {
        sqlx::query_as("SELECT name, type FROM pragma_table_info(?1) ORDER BY cid")
            .bind(table)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| BackendError(format!("columns of {table}: {}", crate::backend::sqlx_exec::error_text(&e))))
    }

    async fn data_bytes(&self) -> Option<u64> {
        // The whole database file (or in-memory database): pages in use x page size.
        let q = "SELECT (SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM pragma_freelist_count()), (SELECT page_size FROM pragma_page_size())";
        let (pages, size) = sqlx::query_as::<_, (i64, i64)>(q).fetch_one(&self.pool).await.ok()?;
        u64::try_from(pages.saturating_mul(size)).ok()
    }

    async fn server_info(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        if let Ok(v) = sqlx::query_scalar::<_, String>("select sqlite_version()").fetch_one(&self.pool).await {
            out.insert("server".to_string(), format!("SQLite {v}"));
        }
        out
    }
}
