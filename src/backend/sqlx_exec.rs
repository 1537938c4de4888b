//! Request execution shared by the sqlx backends (sqlite, postgres, mysql):
//! bind a prepared operation's values from the request and run it.

use super::sql::{self, Bound, Shape, SqlOp, Stmt};
use super::CONNECT_TIMEOUT;
use crate::dataset::DataModel;
use crate::stats::xcheck::Sent;
use crate::stats::{ErrorKind, Legs, OpError};
use crate::workload::Request;
use sqlx::{AssertSqlSafe, Database, Executor, Pool};

pub type Query<DB> = sqlx::query::Query<'static, DB, <DB as Database>::Arguments>;

/// What differs between the sqlx drivers on the request path.
pub trait Dialect: Database {
    /// Adds one value to a statement's arguments; arrays only where the
    /// driver has them. Filled in place: a request's 30 values once cost
    /// ~550 instructions each when a `Query` was moved through every bind.
    fn add(args: &mut <Self as Database>::Arguments, v: Bound<'_>) -> Result<(), String>;
}

fn scalar<DB>(args: &mut DB::Arguments, v: Bound<'_>) -> Result<(), String>
where
    DB: Database,
    i64: for<'a> sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    f64: for<'a> sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    String: for<'a> sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    bool: for<'a> sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    Option<i64>: for<'a> sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    use sqlx::Arguments;
    match v {
        Bound::Int(i) => args.add(i),
        Bound::Float(f) => args.add(f),
        Bound::Str(s) => args.add(s.into_owned()),
        Bound::Bool(b) => args.add(b),
        Bound::Null => args.add(Option::<i64>::None),
        Bound::IntArray(_) | Bound::StrArray(_) | Bound::FloatArray(_) | Bound::BoolArray(_) => {
            return Err("binding a list is supported on PostgreSQL only".into())
        }
    }
    .map_err(|e| e.to_string())
}

#[cfg(feature = "sqlite")]
impl Dialect for sqlx::Sqlite {
    fn add(args: &mut <Self as Database>::Arguments, v: Bound<'_>) -> Result<(), String> {
        scalar::<Self>(args, v)
    }
}

#[cfg(feature = "mysql")]
impl Dialect for sqlx::MySql {
    fn add(args: &mut <Self as Database>::Arguments, v: Bound<'_>) -> Result<(), String> {
        scalar::<Self>(args, v)
    }
}

#[cfg(feature = "postgres")]
impl Dialect for sqlx::Postgres {
    fn add(args: &mut <Self as Database>::Arguments, v: Bound<'_>) -> Result<(), String> {
        use sqlx::Arguments;
        match v {
            Bound::IntArray(a) => args.add(a),
            Bound::StrArray(a) => args.add(a),
            Bound::FloatArray(a) => args.add(a),
            Bound::BoolArray(a) => args.add(a),
            other => return scalar::<Self>(args, other),
        }
        .map_err(|e| e.to_string())
    }
}

/// A statement's arguments, `n` values, filled by `add(args, i)` for each.
fn arguments<DB: Dialect>(n: usize, mut add: impl FnMut(&mut DB::Arguments, usize) -> Result<(), String>) -> Result<DB::Arguments, String> {
    use sqlx::Arguments;
    let mut args = DB::Arguments::default();
    args.reserve(n, n * 8);
    for i in 0..n {
        add(&mut args, i)?;
    }
    Ok(args)
}

/// Classifies a driver error.
pub fn op_error(e: sqlx::Error) -> OpError {
    let kind = match &e {
        // A limit the driver checks before sending anything (PostgreSQL's
        // "too many arguments for query"): the statement's fault, not the connection's.
        sqlx::Error::Protocol(m) if m.contains("too many arguments") => ErrorKind::Query,
        sqlx::Error::Encode(_) | sqlx::Error::InvalidArgument(_) => ErrorKind::Query,
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::Protocol(_) => {
            ErrorKind::Connection
        }
        sqlx::Error::Database(d) => database_kind(d.message(), d.code().as_deref()),
        sqlx::Error::RowNotFound => ErrorKind::NotFound,
        _ => ErrorKind::Other,
    };
    OpError::new(kind, error_text(&e))
}

/// Classifies an error the database reported (message, SQLSTATE or MySQL code).
pub fn database_kind(message: &str, code: Option<&str>) -> ErrorKind {
    let m = message.to_ascii_lowercase();
    let code = code.unwrap_or_default();
    if m.contains("locked") || m.contains("busy") || m.contains("deadlock") || code == "40001" || code == "40P01" || code == "1213" {
        ErrorKind::Throttled
    } else if code.starts_with("08") || code == "57P01" || code == "57P02" || code == "57P03" {
        // Connection exceptions and admin shutdown (server restarting).
        ErrorKind::Connection
    } else {
        ErrorKind::Query
    }
}

/// A driver error as text: a database's own message said as the database's
/// ([`database_said`]), anything else as the driver says it.
pub fn error_text(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(d) => database_said(d.message(), d.code().as_deref()),
        other => other.to_string(),
    }
}

/// `the database said (code 42601): syntax error at or near "SELEC"`. A
/// line number in the message (MySQL's `... at line 1`, psql's `LINE 1:`)
/// counts lines of the SQL that was sent, not of the scenario file, and
/// the text says so.
pub fn database_said(message: &str, code: Option<&str>) -> String {
    let code = code.map(|c| format!(" (code {c})")).unwrap_or_default();
    let mut s = format!("the database said{code}: {}", message.trim_end());
    if let Some(n) = sql_line(message) {
        s.push_str(&format!(" [line {n} of the SQL as sent, not of the scenario file]"));
    }
    s
}

/// The line number a database's message names, if it names one.
fn sql_line(message: &str) -> Option<u64> {
    ["at line ", "LINE "].iter().find_map(|pat| {
        message.match_indices(pat).find_map(|(i, _)| {
            let digits: String = message[i + pat.len()..].chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
    })
}

/// The query for one statement of a request.
pub fn query<DB: Dialect>(stmt: &Stmt, req: &Request, model: &DataModel) -> Result<Query<DB>, OpError>
where
    DB::Arguments: sqlx::IntoArguments<DB>,
{
    query_text(stmt.sql.clone(), stmt, req, model)
}

/// Like [`query`], with another text using the same placeholders (EXPLAIN ...).
pub fn query_text<DB: Dialect>(text: std::sync::Arc<str>, stmt: &Stmt, req: &Request, model: &DataModel) -> Result<Query<DB>, OpError>
where
    DB::Arguments: sqlx::IntoArguments<DB>,
{
    let args = arguments::<DB>(stmt.binds.len(), |args, i| DB::add(args, sql::resolve(&stmt.binds[i], req, model, stmt.table, stmt.base)))
        .map_err(|m| OpError::new(ErrorKind::Query, m))?;
    Ok(sqlx::query_with(AssertSqlSafe(text), args))
}

/// A worker's connection, taken from the pool at its first request and kept.
pub type Session<DB> = Option<sqlx::pool::PoolConnection<DB>>;

/// Runs a prepared operation for `req` on the worker's connection; returns
/// rows read or written, and for per-table reads adds each table's leg to
/// `legs`. `parallel` reads take further connections from the pool.
pub async fn execute<DB: Dialect>(
    pool: &Pool<DB>,
    session: &mut Session<DB>,
    op: &SqlOp,
    req: &Request,
    model: &DataModel,
    legs: &mut Legs,
) -> Result<crate::backend::Done, OpError>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
{
    let mut done = crate::backend::Done::rows(0);
    let mut rows = 0u32;
    if op.shape != Shape::Parallel && session.is_none() {
        *session = Some(pool.acquire().await.map_err(op_error)?);
    }
    match op.shape {
        Shape::Serial => {
            let conn = session.as_mut().ok_or_else(|| OpError::new(ErrorKind::Connection, "no connection"))?;
            for s in &op.stmts {
                let t0 = std::time::Instant::now();
                rows += query::<DB>(s, req, model)?.fetch_all(&mut **conn).await.map_err(op_error)?.len() as u32;
                if let Some(t) = s.table {
                    legs.leg(t, model.tables[t].entity, t0.elapsed().as_nanos() as u64, false);
                }
            }
        }
        Shape::Parallel => {
            // Every statement takes a connection of its own and gives it back
            // when done; holding one while waiting for others could deadlock
            // workers on a small pool.
            *session = None;
            let start = std::time::Instant::now();
            let futs = op.stmts.iter().map(|s| async move {
                let mut c = pool.acquire().await.map_err(op_error)?;
                let n = query::<DB>(s, req, model)?.fetch_all(&mut *c).await.map(|r| r.len() as u32).map_err(op_error)?;
                Ok::<_, OpError>((n, s.table, start.elapsed().as_nanos() as u64))
            });
            for r in futures_util::future::join_all(futs).await {
                let (n, table, ns) = r?;
                rows += n;
                if let Some(t) = table {
                    legs.leg(t, model.tables[t].entity, ns, true);
                }
            }
            done.rows = rows;
            done.sent = Sent::autocommit(op.stmts.len() as u64);
            return Ok(done);
        }
        Shape::Transaction => {
            let conn = session.as_mut().ok_or_else(|| OpError::new(ErrorKind::Connection, "no connection"))?;
            if op.two_phase {
                return Err(OpError::new(ErrorKind::Query, "two-phase commit is PostgreSQL's"));
            }
            rows = transaction::<DB>(&mut **conn, op, req, model).await?;
            done.sent = in_transaction(op, 2);
        }
    }
    if op.shape == Shape::Serial {
        done.sent = Sent::autocommit(op.stmts.len() as u64);
    }
    done.rows = rows;
    Ok(done)
}

/// What a transaction of `op`'s statements sends: them, `control`
/// statements around them (BEGIN, COMMIT, ...) and one commit.
pub fn in_transaction(op: &SqlOp, control: u64) -> Sent {
    Sent { statements: op.stmts.len() as u64, control, commits: 1 }
}

/// Runs `op`'s statements in one transaction; returns the rows it wrote
/// (writes) or the rows its statements returned.
async fn transaction<DB: Dialect>(conn: &mut DB::Connection, op: &SqlOp, req: &Request, model: &DataModel) -> Result<u32, OpError>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
{
    let mut tx = sqlx::Connection::begin(conn).await.map_err(op_error)?;
    let mut rows = 0u32;
    for s in &op.stmts {
        let q = query::<DB>(s, req, model)?;
        if op.writes.is_some() {
            q.execute(&mut *tx).await.map_err(op_error)?;
        } else {
            rows += q.fetch_all(&mut *tx).await.map_err(op_error)?.len() as u32;
        }
    }
    tx.commit().await.map_err(op_error)?;
    Ok(op.writes.unwrap_or(rows))
}

/// Runs `op`'s statements in a transaction committed in two phases
/// (PostgreSQL): BEGIN, the statements, PREPARE TRANSACTION, COMMIT PREPARED,
/// on the worker's connection. After a failure the transaction is rolled
/// back (a prepared one too). The sequence runs in a task of its own, to its
/// end even when the request times out: dropped between its two phases, it
/// would leave a prepared transaction holding its locks until someone rolled
/// it back by hand.
#[cfg(feature = "postgres")]
pub async fn two_phase_pg(
    pool: &Pool<sqlx::Postgres>,
    session: &mut Session<sqlx::Postgres>,
    op: &SqlOp,
    req: &Request,
    model: &DataModel,
) -> Result<u32, OpError> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let queries = op.stmts.iter().map(|s| query::<sqlx::Postgres>(s, req, model)).collect::<Result<Vec<_>, _>>()?;
    let mut conn = match session.take() {
        Some(c) => c,
        None => pool.acquire().await.map_err(op_error)?,
    };
    // Unique among this process's transactions, and among processes by pid.
    let gid = format!("benchplan_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    let task = tokio::spawn(async move {
        let raw = |text: String| sqlx::raw_sql(AssertSqlSafe(text));
        let mut rows = 0u32;
        let mut prepared = false;
        let work: Result<(), sqlx::Error> = async {
            raw("BEGIN".into()).execute(&mut *conn).await?;
            for q in queries {
                rows += q.fetch_all(&mut *conn).await?.len() as u32;
            }
            raw(format!("PREPARE TRANSACTION '{gid}'")).execute(&mut *conn).await?;
            prepared = true;
            raw(format!("COMMIT PREPARED '{gid}'")).execute(&mut *conn).await?;
            Ok(())
        }
        .await;
        if work.is_err() {
            let undo = if prepared { format!("ROLLBACK PREPARED '{gid}'") } else { "ROLLBACK".to_string() };
            let _ = raw(undo).execute(&mut *conn).await;
        }
        (conn, work.map(|()| rows))
    });
    let (conn, done) = task.await.map_err(|e| OpError::new(ErrorKind::Other, format!("two-phase commit: {e}")))?;
    let rows = done.map_err(op_error)?;
    *session = Some(conn);
    Ok(op.writes.unwrap_or(rows))
}

#[allow(clippy::too_many_arguments)]
/// Loads table `ti` with the kind's INSERT (`write.sql`, mode insert) of up
/// to `per_stmt` rows a statement (fewer where the bind limit says; None:
/// as many as the template binds within it), `batch` rows a transaction; one
/// batch in memory at a time. Returns the rows written.
pub async fn insert_load<DB: Dialect>(
    pool: &Pool<DB>,
    kind: crate::scenario::model::Kind,
    templates: &crate::template::Templates,
    model: &DataModel,
    ti: usize,
    batch: u64,
    per_stmt: Option<usize>,
    bar: &indicatif::ProgressBar,
) -> Result<u64, super::BackendError>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
{
    use crate::scenario::model::WriteMode;
    let t = &model.tables[ti];
    let fail = |e: String| super::BackendError(format!("{kind} load {}: {e}", t.name));
    // The statements for a batch of n rows: the full batch's, and the last one's.
    let mut plan: (usize, Vec<Stmt>) = (0, Vec::new());
    let mut total = 0;
    for range in crate::dataset::RowBatches::new(model, ti, batch) {
        let n = (range.end - range.start) as usize;
        if plan.0 != n {
            plan = (n, sql::write_plan(kind, templates, model, ti, WriteMode::Insert, n, per_stmt).map_err(|e| fail(e.0))?);
        }
        let mut tx = pool.begin().await.map_err(|e| fail(error_text(&e)))?;
        for s in &plan.1 {
            let args = arguments::<DB>(s.binds.len(), |args, i| {
                DB::add(args, sql::write_bind(&s.binds[i], model, ti, |r| range.start + (s.base + r) as u64, 0))
            })
            .map_err(fail)?;
            let q: Query<DB> = sqlx::query_with(AssertSqlSafe(s.sql.clone()), args);
            q.execute(&mut *tx).await.map_err(|e| fail(error_text(&e)))?;
        }
        tx.commit().await.map_err(|e| fail(error_text(&e)))?;
        total += range.end - range.start;
        bar.inc(range.end - range.start);
    }
    Ok(total)
}

/// Runs `load(table index)` for every table, `workers` at a time; returns the rows loaded.
pub async fn load_tables<F, Fut>(tables: usize, workers: usize, load: F) -> Result<u64, super::BackendError>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<u64, super::BackendError>>,
{
    use futures_util::StreamExt;
    let mut total = 0;
    let mut results = futures_util::stream::iter((0..tables).map(load)).buffer_unordered(workers.max(1));
    while let Some(r) = results.next().await {
        total += r?;
    }
    Ok(total)
}

/// Runs one DDL statement (no binds, not prepared).
pub async fn ddl<DB: Database>(pool: &Pool<DB>, kind: crate::scenario::model::Kind, text: &str) -> Result<(), super::BackendError>
where
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
{
    sqlx::raw_sql(AssertSqlSafe(text.to_string()))
        .execute(pool)
        .await
        .map_err(|e| super::BackendError(format!("{kind}: {}\n  in: {text}", error_text(&e))))?;
    Ok(())
}

/// Drops (when `replace`) and creates every table from the kind's templates.
pub async fn create_tables<DB: Database>(
    pool: &Pool<DB>,
    kind: crate::scenario::model::Kind,
    ctx: &super::Ctx<'_>,
    replace: bool,
    extra: &std::collections::BTreeMap<&str, minijinja::Value>,
    bar: &indicatif::ProgressBar,
) -> Result<(), super::BackendError>
where
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
{
    let err = |e: crate::template::TemplateError| super::BackendError(e.0);
    bar.set_length(ctx.model.tables.len() as u64);
    for t in &ctx.model.tables {
        if replace {
            ddl(pool, kind, &ctx.templates.drop_table(kind, ctx.model, t).map_err(err)?).await?;
        }
        ddl(pool, kind, &ctx.templates.create_table(kind, ctx.model, t, extra).map_err(err)?).await?;
        bar.inc(1);
    }
    Ok(())
}

/// Drops every table.
pub async fn drop_tables<DB: Database>(
    pool: &Pool<DB>,
    kind: crate::scenario::model::Kind,
    ctx: &super::Ctx<'_>,
    bar: &indicatif::ProgressBar,
) -> Result<(), super::BackendError>
where
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
{
    bar.set_length(ctx.model.tables.len() as u64);
    for t in &ctx.model.tables {
        ddl(pool, kind, &ctx.templates.drop_table(kind, ctx.model, t).map_err(|e| super::BackendError(e.0))?).await?;
        bar.inc(1);
    }
    Ok(())
}

/// Opens and closes one connection, so that a refused or failing server is
/// reported at once, naming the server but never the URL.
pub async fn first_connection<C: sqlx::Connection>(
    opts: &<C as sqlx::Connection>::Options,
    name: &str,
    what: &str,
    host: &str,
    port: u16,
) -> Result<(), super::BackendError> {
    match tokio::time::timeout(CONNECT_TIMEOUT, C::connect_with(opts)).await {
        Err(_) => Err(super::BackendError(format!("{name}: {what} at {host}:{port} did not answer within {}s", CONNECT_TIMEOUT.as_secs()))),
        Ok(Err(e)) => Err(super::BackendError(format!("{name}: cannot connect to {what} at {host}:{port}: {e}"))),
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: PostgreSQL's driver refuses a statement of more than
    /// 65,535 parameters before sending it ("too many arguments for query"),
    /// as a protocol error; it was counted as a connection error.
    #[test]
    fn a_driver_side_limit_is_a_query_error_not_a_connection_error() {
        let e = sqlx::Error::Protocol(
            "PgConnection::run(): too many arguments for query: 90000 (sqlx_postgres::connection::executor:223)".into(),
        );
        assert_eq!(op_error(e).kind, ErrorKind::Query);
        let io = sqlx::Error::Io(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset"));
        assert_eq!(op_error(io).kind, ErrorKind::Connection);
        assert_eq!(op_error(sqlx::Error::Protocol("unexpected message".into())).kind, ErrorKind::Connection);
    }

    #[test]
    fn a_databases_words_are_its_own_and_its_line_numbers_the_sqls() {
        assert_eq!(
            database_said("syntax error at or near \"SELEC\"", Some("42601")),
            "the database said (code 42601): syntax error at or near \"SELEC\""
        );
        assert_eq!(
            database_said("You have an error in your SQL syntax; check the manual ... near 'SELEC * FROM t' at line 1", Some("42000")),
            "the database said (code 42000): You have an error in your SQL syntax; check the manual ... near 'SELEC * FROM t' at line 1 [line 1 of the SQL as sent, not of the scenario file]"
        );
        assert_eq!(
            database_said("syntax error at or near \"FRM\"\nLINE 3: FRM t\n        ^\n", None),
            "the database said: syntax error at or near \"FRM\"\nLINE 3: FRM t\n        ^ [line 3 of the SQL as sent, not of the scenario file]"
        );
        // "line" without a number is not a line number.
        assert_eq!(database_said("at line end", None), "the database said: at line end");
    }
}
