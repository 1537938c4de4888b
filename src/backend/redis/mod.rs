//! Redis and RESP-compatible stores (Valkey, KeyDB, Dragonfly, ElastiCache,
//! MemoryDB) through redis-rs: one multiplexed connection per worker
//! session, feature rows as hashes (see `names`), plain key-value commands
//! (`kv:`), loads in pipelines, and a teardown that deletes the run's keys
//! by prefix only.

mod conn;
mod counters;
mod features;
mod kv;
mod names;
mod setup;
mod support;
pub use features::{decode, encode};
pub use support::RedisKind;

use super::{Backend, BackendError, Ctx, Done, Loaded};
use crate::dataset::DataModel;
use crate::scenario::model::{CreateStep, Layout, LoadStep, RedisConfig, StatementOp, WriteMode};
use crate::stats::{Legs, OpError};
use crate::workload::{OpKind, OpSpec, Request};
use features::FeatureRun;
use indicatif::ProgressBar;
use kv::KvPlan;
use names::Names;
use conn::{Clients, Conn};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

pub struct RedisBackend {
    clients: Clients,
    /// The connection setup, teardown and INFO use (not the workers').
    admin: Conn,
    names: Names,
    model: DataModel,
    transaction: bool,
    /// `used_memory` before the load, once it ran (for `data_bytes`).
    memory_before: AtomicU64,
    addr: String,
    name: String,
    /// Load connections, kept for the load's duration only.
    load_conns: Mutex<Vec<Conn>>,
}

/// A prepared operation.
pub enum RedisOp {
    Read { fetch: crate::scenario::model::Fetch, tables: Vec<usize>, k: usize },
    Write { mode: crate::scenario::model::WriteMode, tables: Vec<usize>, k: usize },
    Kv(KvPlan),
}

/// A worker's connection and the buffers its requests are built in.
pub struct Session {
    conn: Option<Conn>,
    cmd: redis::Cmd,
    pipe: redis::Pipeline,
    /// The same, in MULTI/EXEC (`transaction: true`).
    multi: redis::Pipeline,
    key: String,
    buf: (String, String),
}

/// The default key prefix: `benchplan:<backend name>:`.
pub fn key_prefix(c: &RedisConfig, backend: &str) -> String {
    c.key_prefix.clone().unwrap_or_else(|| format!("benchplan:{backend}:"))
}

impl RedisBackend {
    pub async fn connect(c: &RedisConfig, ctx: &Ctx<'_>) -> Result<Self, BackendError> {
        let (clients, addr) = conn::client(c, ctx.name)?;
        let admin = conn::first_connection(&clients, ctx.name, &addr).await?;
        Ok(RedisBackend {
            clients,
            admin,
            names: Names::new(&key_prefix(c, ctx.name), c.layout.unwrap_or_default(), c.cluster, ctx.model),
            model: ctx.model.clone(),
            transaction: c.transaction,
            memory_before: AtomicU64::new(u64::MAX),
            addr,
            name: ctx.name.to_string(),
            load_conns: Mutex::new(Vec::new()),
        })
    }

    /// The load connection for call `i` (the admin connection when none is open).
    fn load_conn(&self, i: u64) -> Conn {
        match self.load_conns.lock() {
            Ok(v) if !v.is_empty() => v[(i as usize) % v.len()].clone(),
            _ => self.admin.clone(),
        }
    }
}

impl RedisBackend {
    /// A connection to each node: the cluster's primaries, or the one server.
    async fn nodes(&self) -> Result<Vec<Conn>, BackendError> {
        conn::per_node(&self.admin, &self.clients)
            .await
            .map_err(|e| BackendError(format!("{}: listing the cluster's nodes at {}: {}", self.name, self.addr, conn::said(&e))))
    }
}

impl Backend for RedisBackend {
    type Op = RedisOp;
    type Session = Session;

    fn session(&self) -> Session {
        let mut multi = redis::pipe();
        multi.atomic();
        Session { conn: None, cmd: redis::Cmd::new(), pipe: redis::pipe(), multi, key: String::with_capacity(64), buf: Default::default() }
    }

    fn prepare(&self, _ctx: &Ctx<'_>, op: &OpSpec, _statement: Option<&StatementOp>) -> Result<RedisOp, BackendError> {
        let k = op.keys_per_entity.max(1);
        Ok(match &op.kind {
            OpKind::Read { fetch, tables } => RedisOp::Read { fetch: *fetch, tables: tables.clone(), k },
            OpKind::Write { mode, tables } => RedisOp::Write { mode: *mode, tables: tables.clone(), k },
            OpKind::Kv { command, value_size, keys, pipeline, ttl_ms } => RedisOp::Kv(KvPlan {
                command: *command,
                entity: op.entities[0],
                keys: *keys,
                pipeline: *pipeline,
                ttl_ms: *ttl_ms,
                value: KvPlan::value_of(*value_size),
            }),
            OpKind::Statement { name } => {
                return Err(BackendError(format!("statement {name}: the redis kind runs read_features, write_features and kv operations, not statements")))
            }
            OpKind::VectorSearch { .. } => return Err(BackendError("vector_search needs PostgreSQL with pgvector".into())),
        })
    }

    async fn create(&self, _ctx: &Ctx<'_>, step: &CreateStep, _bar: &ProgressBar) -> Result<(), BackendError> {
        // Hashes need no schema; `replace` (the default) starts from no keys under the prefix.
        if step.replace.unwrap_or(true) {
            setup::delete_prefixed(&self.names, &mut self.nodes().await?).await?;
        }
        Ok(())
    }

    async fn load(&self, ctx: &Ctx<'_>, step: &LoadStep, bar: &ProgressBar) -> Result<Loaded, BackendError> {
        if let Some(m) = setup::used_memory(&mut self.nodes().await?).await {
            self.memory_before.store(m, Ordering::Relaxed);
        }
        let workers = step.workers.unwrap_or(4).max(1);
        let mut conns = Vec::with_capacity(workers as usize);
        for _ in 0..workers {
            conns.push(conn::connect(&self.clients).await.map_err(|e| BackendError(format!("{}: load connection to {}: {}", self.name, self.addr, e.message)))?);
        }
        if let Ok(mut v) = self.load_conns.lock() {
            *v = conns;
        }
        let per_call = u64::from(step.batch.unwrap_or(1000)).max(1);
        let next = AtomicU64::new(0);
        let r = crate::backend::service::load_in_calls(ctx.model, per_call, workers, bar, |t, first, last| {
            let i = next.fetch_add(1, Ordering::Relaxed);
            async move {
                let mut c = self.load_conn(i);
                features::load_rows(&self.names, &self.model, t, first, last, &mut c).await.map(|n| (n, Default::default()))
            }
        })
        .await;
        if let Ok(mut v) = self.load_conns.lock() {
            v.clear();
        }
        r
    }

    async fn drop_tables(&self, _ctx: &Ctx<'_>, _bar: &ProgressBar) -> Result<(), BackendError> {
        setup::delete_prefixed(&self.names, &mut self.nodes().await?).await.map(|_| ())
    }

    async fn execute<'a>(&'a self, session: &'a mut Session, op: &'a RedisOp, req: &'a Request, legs: &'a mut Legs) -> Result<Done, OpError> {
        let Session { conn, cmd, pipe, multi, key, buf } = session;
        let conn = match conn {
            Some(c) => c,
            None => conn.insert(conn::connect(&self.clients).await?),
        };
        // The commands sent, for the cross-check with INFO commandstats.
        let (rows, commands) = match op {
            RedisOp::Kv(plan) => (plan.execute(&self.names, &self.model, kv::Buffers { conn, cmd, pipe, key }, req).await?, plan.pipeline),
            RedisOp::Read { fetch, tables, k } => {
                let run = FeatureRun { names: &self.names, model: &self.model, tables, k: *k };
                (run.read(*fetch, conn, pipe, key, legs, req).await?, tables.len() * k)
            }
            RedisOp::Write { mode, tables, k } => {
                let run = FeatureRun { names: &self.names, model: &self.model, tables, k: *k };
                let pipe = if self.transaction { multi } else { pipe };
                let (rows, pipelines) = run.write(*mode, conn, pipe, buf, req).await?;
                // HSET per row, DEL first on replace (table_per_table), MULTI and EXEC per pipeline.
                let per_row = if *mode == WriteMode::Replace && self.names.layout == Layout::TablePerTable { 2 } else { 1 };
                let control = if self.transaction { 2 * pipelines as usize } else { 0 };
                (rows, tables.len() * k * per_row + control)
            }
        };
        let sent = crate::stats::xcheck::Sent { statements: commands as u64, control: 0, commits: 0 };
        Ok(Done { rows, sent, ..Default::default() })
    }

    async fn data_bytes(&self) -> Option<u64> {
        // INFO memory's used_memory after the load less before it: what the
        // dataset's keys cost the server, its allocator's overhead included.
        let before = self.memory_before.load(Ordering::Relaxed);
        if before == u64::MAX {
            return None;
        }
        let after = setup::used_memory(&mut self.nodes().await.ok()?).await?;
        Some(after.saturating_sub(before)).filter(|b| *b > 0)
    }

    async fn server_counters(&self) -> Option<crate::stats::xcheck::ServerCounters> {
        counters::read(&mut self.nodes().await.ok()?).await
    }

    async fn server_info(&self) -> BTreeMap<String, String> {
        let mut nodes = self.nodes().await.unwrap_or_default();
        let Some(first) = nodes.first_mut() else { return BTreeMap::new() };
        let mut out = setup::server_info(first).await;
        if self.admin.is_cluster() {
            out.insert("cluster primaries".to_string(), nodes.len().to_string());
        }
        out
    }
}
