//! SQLite without a connection: config checks, plan, cost.

use crate::backend::registry::{per_server_cost, KindInfo, KindSupport, Problems, Statement};
use crate::backend::{sql, Ctx};
use crate::dataset::DataModel;
use crate::prices::{CostModel, Prices};
use crate::scenario::diag::Diagnostics;
use crate::scenario::model::{BackendConfig, Kind, StatementOp};
use crate::workload::OpSpec;
use std::collections::BTreeMap;

pub struct SqliteKind;

impl KindSupport for SqliteKind {
    fn info(&self) -> KindInfo {
        KindInfo {
            kind: Kind::Sqlite,
            systems: "embedded, default",
            packed: "one UNION ALL statement",
            load: "multi-row INSERT in transactions",
        }
    }

    fn validate(&self, config: &BackendConfig, p: &str, d: &mut Diagnostics) {
        let BackendConfig::Sqlite(c) = config else { return };
        if c.path.trim().is_empty() {
            d.at(format!("{p}.path"), "expected a file path or \":memory:\", found an empty string");
        }
        sql::check_pool(c.pool, p, d);
    }

    fn cost_model(&self, config: &BackendConfig, _model: &DataModel, prices: &Prices) -> Result<CostModel, String> {
        Ok(per_server_cost(config, prices))
    }

    fn describe_ddl(&self, ctx: &Ctx<'_>) -> Result<Vec<Statement>, Problems> {
        if let BackendConfig::Sqlite(c) = ctx.config {
            if c.path == ":memory:" {
                memory_fits(ctx.model).map_err(|e| vec![("dataset".to_string(), e)])?;
            }
        }
        sql::describe_ddl(Kind::Sqlite, ctx, &BTreeMap::new())
    }

    fn describe_op(&self, ctx: &Ctx<'_>, op: &OpSpec, statement: Option<&StatementOp>) -> Result<Vec<Statement>, String> {
        sql::describe_op(Kind::Sqlite, ctx, op, statement)
    }
}

/// An in-memory database holds every row in this process: refuse a dataset
/// whose estimated size passes half the memory available now.
fn memory_fits(model: &DataModel) -> Result<(), String> {
    // A row: its key, each feature (8 bytes, text a little more) and B-tree overhead.
    let bytes: u128 = model.tables.iter().map(|t| u128::from(t.rows) * (40 + 12 * t.columns.len() as u128)).sum();
    let Some(available) = available_memory() else { return Ok(()) };
    if bytes > u128::from(available) / 2 {
        return Err(format!(
            "an in-memory SQLite of {} rows needs about {} MiB, more than half the {} MiB available: use a file (`path: bench.db`) or fewer keys",
            model.total_rows(),
            bytes >> 20,
            available >> 20
        ));
    }
    Ok(())
}

/// MemAvailable from /proc/meminfo (Linux), in bytes.
fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
