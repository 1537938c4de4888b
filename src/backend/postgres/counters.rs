//! PostgreSQL's own counters for the cross-checks, read at phase
//! boundaries: `pg_stat_database` for the database (transactions, blocks,
//! tuples) and `pg_stat_statements` for the run's statements, where the
//! extension is loaded.

use crate::stats::xcheck::{Compare, Counter, ServerCounters};
use sqlx::PgPool;
use std::collections::BTreeSet;

/// Reads the counters. `statements`: the texts of the run's statements, as
/// prepared (matched with `pg_stat_statements`' normalized texts).
/// `wire_flushed`: the idle wire connections asked to publish theirs
/// already (each a transaction).
pub async fn read(pool: &PgPool, statements: &BTreeSet<String>, wire_flushed: u64) -> Option<ServerCounters> {
    let mut out = ServerCounters::default();
    // PostgreSQL 15+ keeps a connection's statistics until it has been idle
    // a while (up to 10 s): ask every idle connection of the pool to publish
    // them now, so that the phase's transactions are all in the view.
    let flushed = flush_idle(pool, &mut out).await + wire_flushed;
    let q = "SELECT xact_commit, blks_hit, blks_read, tup_returned, temp_files, temp_bytes FROM pg_stat_database WHERE datname = current_database()";
    let (commits, hit, read, returned, temp_files, temp_bytes) =
        sqlx::query_as::<_, (i64, i64, i64, i64, i64, i64)>(q).fetch_one(pool).await.ok()?;
    let counter = |name: &str, value: i64, compare: Compare, own: u64| Counter { name: name.into(), value: value.max(0) as u64, compare, own };
    let statement_counts = statement_counts(pool, statements).await;
    // Each query of a reading is a transaction: those after this one's read
    // (it, the extension's check and list) and those before the next's (the flushes).
    let after_read = 2 + u64::from(statement_counts.is_ok());
    out.counters.push(counter("pg_stat_database.xact_commit", commits, Compare::Commits, after_read + flushed));
    out.counters.push(counter("pg_stat_database.blks_hit", hit, Compare::Nothing, 0));
    out.counters.push(counter("pg_stat_database.blks_read", read, Compare::Nothing, 0));
    out.counters.push(counter("pg_stat_database.tup_returned", returned, Compare::Nothing, 0));
    // What spilled to disk (sorts, hashes beyond work_mem): the server's
    // memory pressure, as far as PostgreSQL tells it.
    out.counters.push(counter("pg_stat_database.temp_files", temp_files, Compare::Nothing, 0));
    out.counters.push(counter("pg_stat_database.temp_bytes", temp_bytes, Compare::Nothing, 0));
    match statement_counts {
        Ok((calls, rows)) => {
            out.counters.push(counter("pg_stat_statements.calls", calls, Compare::Statements, 0));
            out.counters.push(counter("pg_stat_statements.rows", rows, Compare::Rows, 0));
        }
        Err(why) => out.notes.push(why),
    }
    Some(out)
}

/// Runs `pg_stat_force_next_flush()` on every idle connection of the pool
/// (PostgreSQL 15+); returns how many it ran (each is a transaction).
async fn flush_idle(pool: &PgPool, out: &mut ServerCounters) -> u64 {
    let version: i64 = sqlx::query_scalar("SELECT current_setting('server_version_num')::bigint").fetch_one(pool).await.unwrap_or(0);
    if version < 150_000 {
        out.notes.push(
            "PostgreSQL before 15 publishes a connection's statistics through its collector up to half a second late: \
             pg_stat_database's figures may miss the phase's last requests"
                .into(),
        );
        return 1;
    }
    // A worker's connection goes back to the pool in a task of its own: wait
    // (a second at most) until every open connection is idle.
    for _ in 0..200 {
        if pool.num_idle() >= pool.size() as usize {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let mut idle = Vec::new();
    while let Some(c) = pool.try_acquire() {
        idle.push(c);
    }
    let mut flushed = 0;
    for c in &mut idle {
        if sqlx::query("SELECT pg_stat_force_next_flush()").execute(&mut **c).await.is_ok() {
            flushed += 1;
        }
    }
    // The version query above was a transaction too.
    flushed + 1
}

/// Calls and rows of the run's statements in `pg_stat_statements`, for
/// this database and user; why not, when the extension is not there.
async fn statement_counts(pool: &PgPool, statements: &BTreeSet<String>) -> Result<(i64, i64), String> {
    let installed: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements')")
        .fetch_one(pool)
        .await
        .unwrap_or(false);
    if !installed {
        return Err("pg_stat_statements is not installed in this database: its statement counts are not compared \
                    (CREATE EXTENSION pg_stat_statements, with pg_stat_statements in shared_preload_libraries)"
            .into());
    }
    let q = "SELECT query, calls, rows FROM pg_stat_statements \
             WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND userid = current_user::regrole AND toplevel";
    let listed: Vec<(String, i64, i64)> = sqlx::query_as(q).fetch_all(pool).await.map_err(|e| {
        format!("pg_stat_statements cannot be read ({}): its statement counts are not compared", super::sqlx_exec::error_text(&e))
    })?;
    let ours: BTreeSet<String> = statements.iter().map(|s| skeleton(s)).collect();
    let (mut calls, mut rows) = (0, 0);
    for (text, c, r) in listed {
        if ours.contains(&skeleton(&text)) {
            calls += c;
            rows += r;
        }
    }
    Ok((calls, rows))
}

/// A statement's text with its constants and placeholders as `?` and its
/// white space collapsed: `pg_stat_statements` lists a statement with its
/// constants replaced by `$n`, so both sides are compared in this form.
pub fn skeleton(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.trim().trim_end_matches(';').trim_end().chars().peekable();
    let mut prev_word = false;
    while let Some(c) = chars.next() {
        if c.is_whitespace() {
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
            out.push(' ');
            prev_word = false;
            continue;
        }
        let number = c.is_ascii_digit() && !prev_word;
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) || number {
            while chars.peek().is_some_and(|c| c.is_ascii_digit() || *c == '.') {
                chars.next();
            }
            out.push('?');
            prev_word = false;
            continue;
        }
        if c == '\'' {
            // A quoted literal ('' inside it is a quote).
            loop {
                match chars.next() {
                    Some('\'') if chars.peek() == Some(&'\'') => {
                        chars.next();
                    }
                    Some('\'') | None => break,
                    Some(_) => {}
                }
            }
            out.push('?');
            prev_word = false;
            continue;
        }
        prev_word = c.is_alphanumeric() || c == '_';
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::skeleton;

    #[test]
    fn a_statement_and_its_normalized_form_have_one_skeleton() {
        let ours = "SELECT pk, v FROM \"user_f1\"\n  WHERE pk = $1 AND kind = 'a''b' LIMIT 10;";
        let listed = "SELECT pk, v FROM \"user_f1\"\n  WHERE pk = $1 AND kind = $2 LIMIT $3";
        assert_eq!(skeleton(ours), skeleton(listed));
        assert_eq!(skeleton(ours), "SELECT pk, v FROM \"user_f1\" WHERE pk = ? AND kind = ? LIMIT ?");
        // Digits in a name are the name's.
        assert_eq!(skeleton("SELECT * FROM t2 WHERE a = 3.5"), "SELECT * FROM t2 WHERE a = ?");
        assert_ne!(skeleton("SELECT * FROM t1"), skeleton("SELECT * FROM t2"));
    }
}
