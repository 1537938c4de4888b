//! The `Backend` impl: each step of a run, handed to the file that does it.

use super::client::DynamoBackend;
use super::statements::{prepare_op, DynOp};
use crate::backend::service::finish;
use crate::backend::{Backend, BackendError, Ctx, Done, Loaded, Meter};
use crate::scenario::model::{Billing, CreateStep, Layout, LoadStep, StatementOp};
use crate::stats::{Legs, OpError, Usage};
use crate::workload::{OpSpec, Request};
use indicatif::ProgressBar;
use std::collections::BTreeMap;

impl Backend for DynamoBackend {
    type Op = DynOp;
    type Session = ();

    fn session(&self) {}

    fn prepare(&self, ctx: &Ctx<'_>, op: &OpSpec, statement: Option<&StatementOp>) -> Result<DynOp, BackendError> {
        prepare_op(&self.names, ctx.model, ctx.templates, op, statement).map_err(BackendError)
    }

    fn metered(&self) -> Option<Meter> {
        Some(Meter::CapacityUnits)
    }

    async fn create(&self, ctx: &Ctx<'_>, step: &CreateStep, bar: &ProgressBar) -> Result<(), BackendError> {
        self.create_tables(ctx.model, step, bar).await
    }

    async fn load(&self, ctx: &Ctx<'_>, step: &LoadStep, bar: &ProgressBar) -> Result<Loaded, BackendError> {
        self.load_tables(ctx.model, step, bar).await
    }

    async fn drop_tables(&self, _ctx: &Ctx<'_>, bar: &ProgressBar) -> Result<(), BackendError> {
        self.delete_tables(bar).await
    }

    async fn execute<'a>(&'a self, _session: &'a mut (), op: &'a DynOp, req: &'a Request, legs: &'a mut Legs) -> Result<Done, OpError> {
        let mut usage = Usage::default();
        let rows = match op {
            DynOp::Get { tables, k, parallel: false } => self.get_serial(&mut usage, legs, tables, *k, req).await,
            DynOp::Get { tables, k, parallel: true } => self.get_parallel(&mut usage, legs, tables, *k, req).await,
            DynOp::BatchGet { tables, k } => self.batch_get_tables(&mut usage, tables, *k, req).await,
            DynOp::Query { groups, k } => self.query_groups(&mut usage, groups, *k, req).await,
            DynOp::Write { tables, k, mode } => self.write_rows(&mut usage, tables, *k, *mode, req).await,
            DynOp::Statement(s) => self.run_statement(&mut usage, s, req).await,
        };
        finish(rows, usage)
    }

    async fn data_bytes(&self) -> Option<u64> {
        self.tables_bytes().await
    }

    async fn sample_keys(&self, table: &str, column: &str, n: u64) -> Result<Vec<String>, BackendError> {
        self.scan_keys(table, column, n).await
    }

    /// No counters: DynamoDB's own totals are CloudWatch metrics, which the
    /// table's API does not return; the note says so in the Cross-check section.
    async fn server_counters(&self) -> Option<crate::stats::xcheck::ServerCounters> {
        Some(crate::stats::xcheck::ServerCounters {
            counters: Vec::new(),
            memory_bytes: None,
            notes: vec!["DynamoDB's consumed capacity is the sum of what each response reported (ReturnConsumedCapacity; the capacity columns); the table's own totals (CloudWatch ConsumedReadCapacityUnits / ConsumedWriteCapacityUnits, per minute) are not read by benchplan: compare them over the phase's times in CloudWatch (a local DynamoDB such as dynalite has none)".to_string()],
        })
    }

    async fn server_info(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let at = match &self.endpoint {
            Some(e) => format!("DynamoDB API at {e}"),
            None => format!("AWS DynamoDB, {}", self.region),
        };
        out.insert("server".into(), at);
        out.insert("region".into(), self.region.clone());
        let layout = match self.names.layout {
            Layout::TablePerTable => "table_per_table",
            Layout::SingleTable => "single_table",
        };
        out.insert("layout".into(), layout.into());
        let billing = match &self.billing {
            Some(Billing::Provisioned { provisioned }) => {
                format!("provisioned {} RCU / {} WCU per table", provisioned.rcu, provisioned.wcu)
            }
            _ => "on_demand".into(),
        };
        out.insert("billing".into(), billing);
        out.insert("read_consistency".into(), if self.consistent { "strong" } else { "eventual" }.into());
        out.insert(
            "retries".into(),
            format!(
                "{} attempts a call, backoff {} doubling to {}, full jitter (SDK retries off)",
                self.retry.max_attempts,
                humantime::format_duration(self.retry.base),
                humantime::format_duration(self.retry.max)
            ),
        );
        out
    }
}
