//! pgvector: the `index` setup step (CREATE INDEX ... USING hnsw | ivfflat,
//! its build settings on the building connection, its size).

use super::PostgresBackend;
use crate::backend::{sqlx_exec, BackendError, Ctx, Done, Loaded, VectorAnswers};
use crate::dataset::{hash_str, DataModel};
use crate::scenario::model::{FeatureType, IndexMethod, IndexStep, KeyType, VectorSearchOp};
use crate::stats::xcheck::Sent;
use crate::stats::OpError;
use crate::workload::Request;
use sqlx::{AssertSqlSafe, Row};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// A prepared `vector_search`: its statement, every query vector in
/// pgvector's binary form (made once, at prepare), and where the answers go
/// (preallocated; each request stores its keys with relaxed atomic writes,
/// no lock).
pub struct VectorQuery {
    sql: Arc<str>,
    queries: Vec<Vec<u8>>,
    half: bool,
    k: usize,
    int_keys: bool,
    keys: Vec<AtomicU64>,
    answered: Vec<AtomicBool>,
}

/// A connection of the pool with exactly `settings` applied: a worker's
/// session. Once any phase had settings (`used`), each connection is
/// checked at its first request of a phase: one that has other settings
/// (a custom setting, `benchplan.settings`, names them) gets RESET ALL, the
/// settings, and its prepared statements dropped, since PostgreSQL keeps a
/// cached plan when a planner setting changes (`enable_indexscan`). A
/// connection that already has them keeps its statements (a run phase after
/// its warmup prepares nothing again). Also returns what that sent (each
/// statement its own transaction), for the cross-checks; `binds_vector`:
/// the session's operation binds a `vector`, whose type the driver then
/// looks up once more.
pub async fn settled_connection(
    pool: &sqlx::PgPool,
    settings: &[(String, String)],
    used: &AtomicBool,
    binds_vector: bool,
) -> Result<(sqlx::pool::PoolConnection<sqlx::Postgres>, Sent), OpError> {
    let mut conn = pool.acquire().await.map_err(sqlx_exec::op_error)?;
    if settings.is_empty() && !used.load(Ordering::Relaxed) {
        return Ok((conn, Sent::default()));
    }
    used.store(true, Ordering::Relaxed);
    let wanted = format!("{:016x}", hash_str(&format!("{settings:?}")));
    let had: Option<String> =
        sqlx::query_scalar("SELECT current_setting('benchplan.settings', true)").fetch_one(&mut *conn).await.map_err(sqlx_exec::op_error)?;
    let had = had.unwrap_or_default();
    if had == wanted || (had.is_empty() && settings.is_empty()) {
        return Ok((conn, setting_statements(1)));
    }
    sqlx::query("RESET ALL").execute(&mut *conn).await.map_err(sqlx_exec::op_error)?;
    sqlx::Connection::clear_cached_statements(&mut *conn).await.map_err(sqlx_exec::op_error)?;
    let marker = [("benchplan.settings".to_string(), wanted)];
    for (name, value) in settings.iter().chain(&marker) {
        sqlx::query("SELECT set_config($1, $2, false)")
            .bind(name)
            .bind(value)
            .execute(&mut *conn)
            .await
            .map_err(|e| OpError::new(crate::stats::ErrorKind::Query, format!("setting {name} = {value}: {}", sqlx_exec::error_text(&e))))?;
    }
    // current_setting, RESET ALL, and a set_config for each setting and the
    // marker; with the driver's caches cleared, a statement binding a
    // `vector` (`binds_vector`) makes the driver look the type's name up
    // again (one catalog query, one commit).
    Ok((conn, setting_statements(3 + settings.len() as u64 + u64::from(binds_vector))))
}

/// `n` statements of benchplan's own about the session, each committed on
/// its own: control statements (not the run's, so not matched in
/// `pg_stat_statements`), but commits in `pg_stat_database.xact_commit`.
fn setting_statements(n: u64) -> Sent {
    Sent { statements: 0, control: n, commits: n }
}

/// A query vector bound as what it is, `vector` or `halfvec` (in binary),
/// not as text: a text parameter cast to `vector` in the statement made each
/// search take about twice as long on the server (pgvector 0.8.2, HNSW).
struct VectorArg<'a> {
    bytes: &'a [u8],
    half: bool,
}

impl sqlx::Type<sqlx::Postgres> for VectorArg<'_> {
    fn type_info() -> sqlx::postgres::PgTypeInfo {
        sqlx::postgres::PgTypeInfo::with_name("vector")
    }
}

impl sqlx::Encode<'_, sqlx::Postgres> for VectorArg<'_> {
    fn encode_by_ref(&self, buf: &mut sqlx::postgres::PgArgumentBuffer) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        buf.extend_from_slice(self.bytes);
        Ok(sqlx::encode::IsNull::No)
    }

    fn produces(&self) -> Option<sqlx::postgres::PgTypeInfo> {
        Some(sqlx::postgres::PgTypeInfo::with_name(if self.half { "halfvec" } else { "vector" }))
    }
}

/// `SELECT "pk" FROM "t" [WHERE filter] ORDER BY "col" <op> $1::vector LIMIT k`.
pub fn search_sql(table: &str, key: &str, column: &str, ty: FeatureType, v: &VectorSearchOp) -> String {
    let filter = v.filter.as_ref().map(|f| format!(" WHERE ({f})")).unwrap_or_default();
    format!(
        "SELECT \"{key}\" FROM \"{table}\"{filter} ORDER BY \"{column}\" {} $1::{} LIMIT {}",
        v.distance.operator(),
        ty.as_str(),
        v.k()
    )
}

impl VectorQuery {
    pub fn new(model: &DataModel, table: usize, column: usize, v: &VectorSearchOp) -> Self {
        let t = &model.tables[table];
        let c = &t.columns[column];
        let mut buf = Vec::with_capacity(c.dim as usize);
        let half = c.ty == FeatureType::Halfvec;
        let queries = (0..u64::from(v.queries()))
            .map(|q| {
                t.write_query_vector(column, q, &mut buf);
                let mut bin = Vec::with_capacity(4 + 4 * buf.len());
                super::load::vector_binary(&mut bin, &buf, half);
                bin
            })
            .collect();
        let k = v.k() as usize;
        let n = v.queries() as usize;
        VectorQuery {
            sql: Arc::from(search_sql(&t.name, &t.key_column, &c.name, c.ty, v).as_str()),
            queries,
            half,
            k,
            int_keys: model.entities[t.entity].key_type == KeyType::Int && !model.entities[t.entity].sampled(),
            keys: (0..n * k).map(|_| AtomicU64::new(u64::MAX)).collect(),
            answered: (0..n).map(|_| AtomicBool::new(false)).collect(),
        }
    }

    /// Runs request `req`'s query on the worker's connection; keeps the keys it returned.
    pub async fn run(&self, conn: &mut sqlx::PgConnection, req: &Request) -> Result<Done, OpError> {
        let q = (req.index % self.queries.len() as u64) as usize;
        let rows = sqlx::query(AssertSqlSafe(self.sql.clone())).bind(VectorArg { bytes: &self.queries[q], half: self.half }).fetch_all(conn).await.map_err(sqlx_exec::op_error)?;
        let slots = &self.keys[q * self.k..(q + 1) * self.k];
        for (i, slot) in slots.iter().enumerate() {
            let key = match rows.get(i) {
                None => u64::MAX,
                Some(r) if self.int_keys => r.try_get::<i64, _>(0).map_err(sqlx_exec::op_error)? as u64,
                Some(r) => hash_str(r.try_get::<&str, _>(0).map_err(sqlx_exec::op_error)?),
            };
            slot.store(key, Ordering::Relaxed);
        }
        self.answered[q].store(true, Ordering::Relaxed);
        // One statement in its own (implicit) transaction: what the cross-checks count.
        Ok(Done { sent: Sent::autocommit(1), ..Done::rows(rows.len() as u32) })
    }

    /// The answers so far; clears them for the next phase.
    pub fn take_answers(&self) -> VectorAnswers {
        VectorAnswers {
            k: self.k,
            keys: self.keys.iter().map(|a| a.swap(u64::MAX, Ordering::Relaxed)).collect(),
            answered: self.answered.iter().map(|a| a.swap(false, Ordering::Relaxed)).collect(),
        }
    }
}

/// pgvector's operator class for a column type and distance: `vector_cosine_ops`.
pub fn operator_class(ty: FeatureType, step: &IndexStep) -> String {
    let prefix = if ty == FeatureType::Halfvec { "halfvec" } else { "vector" };
    format!("{prefix}_{}_ops", step.distance.as_str())
}

/// The index's DDL (the table, column and settings were validated as
/// identifiers and numbers).
pub fn create_index_sql(ty: FeatureType, step: &IndexStep) -> String {
    let mut with = Vec::new();
    match step.method {
        IndexMethod::Hnsw => {
            with.extend(step.m.map(|m| format!("m = {m}")));
            with.extend(step.ef_construction.map(|e| format!("ef_construction = {e}")));
        }
        IndexMethod::Ivfflat => with.extend(step.lists.map(|l| format!("lists = {l}"))),
    }
    let with = if with.is_empty() { String::new() } else { format!(" WITH ({})", with.join(", ")) };
    format!(
        "CREATE INDEX \"{}\" ON \"{}\" USING {} (\"{}\" {}){with}",
        step.index_name(),
        step.table,
        step.method.as_str(),
        step.column,
        operator_class(ty, step)
    )
}

impl PostgresBackend {
    /// Drops an index of the same name, then builds it on one connection
    /// with the step's settings; returns the table's rows and the index's size.
    pub(super) async fn create_vector_index(&self, ctx: &Ctx<'_>, step: &IndexStep) -> Result<Loaded, BackendError> {
        let fail = |what: &str, e: sqlx::Error| BackendError(format!("{} on {}.{}: {what}: {}", step.label(), step.table, step.column, sqlx_exec::error_text(&e)));
        let table = ctx.model.table_index(&step.table).map(|t| &ctx.model.tables[t]);
        let column = table.and_then(|t| t.columns.iter().find(|c| c.name == step.column));
        let (Some(t), Some(c)) = (table, column) else {
            return Err(BackendError(format!("{}: no vector feature {}.{} in the dataset", step.label(), step.table, step.column)));
        };
        let mut conn = self.pool.acquire().await.map_err(|e| fail("connecting", e))?;
        let name = step.index_name();
        sqlx::query(AssertSqlSafe(format!("DROP INDEX IF EXISTS \"{name}\""))).execute(&mut *conn).await.map_err(|e| fail("dropping the old index", e))?;
        // Session settings: they end with this connection's next RESET (below).
        if let Some(mem) = &step.maintenance_work_mem {
            sqlx::query("SELECT set_config('maintenance_work_mem', $1, false)").bind(mem).execute(&mut *conn).await.map_err(|e| fail("maintenance_work_mem", e))?;
        }
        if let Some(n) = step.max_parallel_maintenance_workers {
            sqlx::query("SELECT set_config('max_parallel_maintenance_workers', $1, false)")
                .bind(n.to_string())
                .execute(&mut *conn)
                .await
                .map_err(|e| fail("max_parallel_maintenance_workers", e))?;
        }
        let built = sqlx::query(AssertSqlSafe(create_index_sql(c.ty, step))).execute(&mut *conn).await.map_err(|e| fail("CREATE INDEX", e));
        let _ = sqlx::query("RESET ALL").execute(&mut *conn).await;
        built?;
        let bytes: i64 = sqlx::query_scalar("SELECT pg_relation_size(to_regclass(quote_ident($1)))")
            .bind(&name)
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| fail("pg_relation_size", e))?;
        Ok(Loaded { rows: t.rows, bytes: u64::try_from(bytes).ok(), ..Loaded::default() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::model::Distance;

    #[test]
    fn index_ddl_names_method_opclass_and_parameters() {
        let mut step = IndexStep {
            table: "docs".into(),
            column: "emb".into(),
            method: IndexMethod::Hnsw,
            distance: Distance::Cosine,
            m: Some(16),
            ef_construction: Some(64),
            lists: None,
            maintenance_work_mem: None,
            max_parallel_maintenance_workers: None,
        };
        assert_eq!(
            create_index_sql(FeatureType::Vector, &step),
            "CREATE INDEX \"docs_emb_hnsw_cosine\" ON \"docs\" USING hnsw (\"emb\" vector_cosine_ops) WITH (m = 16, ef_construction = 64)"
        );
        step.method = IndexMethod::Ivfflat;
        step.distance = Distance::Ip;
        step.lists = Some(50);
        assert_eq!(
            create_index_sql(FeatureType::Halfvec, &step),
            "CREATE INDEX \"docs_emb_ivfflat_ip\" ON \"docs\" USING ivfflat (\"emb\" halfvec_ip_ops) WITH (lists = 50)"
        );
    }
}
