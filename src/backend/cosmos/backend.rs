//! The `Backend` impl: each step of a run, handed to the file that does it.

use super::client::{emulator_mode, CosmosBackend};
use super::statements::{prepare_op, CosmosOp};
use crate::backend::service::finish;
use crate::backend::{Backend, BackendError, Ctx, Done, Loaded, Meter};
use crate::scenario::model::{CreateStep, Layout, LoadStep, StatementOp};
use crate::stats::{Legs, OpError, Usage};
use crate::workload::{OpSpec, Request};
use indicatif::ProgressBar;
use std::collections::BTreeMap;

impl Backend for CosmosBackend {
    type Op = CosmosOp;
    type Session = ();

    fn session(&self) {}

    fn prepare(&self, ctx: &Ctx<'_>, op: &OpSpec, statement: Option<&StatementOp>) -> Result<CosmosOp, BackendError> {
        prepare_op(&self.names, ctx.model, ctx.templates, op, statement).map_err(BackendError)
    }

    fn metered(&self) -> Option<Meter> {
        Some(Meter::RequestUnits)
    }

    async fn create(&self, _ctx: &Ctx<'_>, step: &CreateStep, bar: &ProgressBar) -> Result<(), BackendError> {
        self.create_containers(step, bar).await
    }

    async fn load(&self, ctx: &Ctx<'_>, step: &LoadStep, bar: &ProgressBar) -> Result<Loaded, BackendError> {
        self.load_containers(ctx.model, step, bar).await
    }

    async fn drop_tables(&self, _ctx: &Ctx<'_>, bar: &ProgressBar) -> Result<(), BackendError> {
        self.delete_containers(bar).await
    }

    async fn execute<'a>(&'a self, _session: &'a mut (), op: &'a CosmosOp, req: &'a Request, legs: &'a mut Legs) -> Result<Done, OpError> {
        let mut usage = Usage::default();
        let rows = match op {
            CosmosOp::Read { tables, k, parallel: false } => self.read_serial(&mut usage, legs, tables, *k, req).await,
            CosmosOp::Read { tables, k, parallel: true } => self.read_parallel(&mut usage, legs, tables, *k, req).await,
            CosmosOp::Query { groups, k } => self.query_groups(&mut usage, groups, *k, req).await,
            CosmosOp::Write { tables, k, mode } => self.write_rows(&mut usage, tables, *k, *mode, req).await,
            CosmosOp::Statement(s) => self.run_statement(&mut usage, s, req).await,
        };
        finish(rows, usage)
    }

    async fn data_bytes(&self) -> Option<u64> {
        self.containers_bytes().await
    }

    /// No counters: Cosmos DB's own totals are Azure Monitor metrics.
    async fn server_counters(&self) -> Option<crate::stats::xcheck::ServerCounters> {
        Some(crate::stats::xcheck::ServerCounters {
            counters: Vec::new(),
            memory_bytes: None,
            notes: vec!["Cosmos DB's request units are the sum of what each response reported (x-ms-request-charge; the capacity columns); the account's own totals (Azure Monitor TotalRequestUnits) are not read by benchplan: compare them over the phase's times in Azure Monitor (an emulator has none)".to_string()],
        })
    }

    async fn server_info(&self) -> BTreeMap<String, String> {
        let c = &self.config;
        let mut out = BTreeMap::new();
        out.insert("server".into(), format!("Cosmos DB for NoSQL at {}", c.endpoint.trim()));
        out.insert("database".into(), self.names.database.clone());
        let layout = match self.names.layout {
            Layout::TablePerTable => "table_per_table (a container per table, id = key)",
            Layout::SingleTable => "single_table (one container, id = table name)",
        };
        out.insert("layout".into(), layout.into());
        let throughput = match (c.serverless, c.throughput) {
            (Some(true), _) => "serverless".to_string(),
            (_, Some(t)) => format!("{t} RU/s shared by the database's containers"),
            _ => "not set by benchplan".to_string(),
        };
        out.insert("throughput".into(), throughput);
        out.insert("read_consistency".into(), c.consistency.map_or_else(|| "the account's default".to_string(), |l| l.as_str().to_string()));
        if !c.preferred_regions.is_empty() {
            out.insert("preferred_regions".into(), c.preferred_regions.join(", "));
        }
        let transport = if emulator_mode(c) { "HTTP/1.1, JSON text (emulator)" } else { "HTTP/2 where offered, binary encoding" };
        out.insert("transport".into(), transport.into());
        out.insert("packed_read".into(), "point reads in parallel (the SDK has no read-many)".into());
        out.insert(
            "retries".into(),
            format!(
                "{} attempts a call; 429 after the server's retry-after, else backoff {} doubling to {}, full jitter (SDK 429 retries off)",
                self.retry.max_attempts,
                humantime::format_duration(self.retry.base),
                humantime::format_duration(self.retry.max)
            ),
        );
        out
    }
}
