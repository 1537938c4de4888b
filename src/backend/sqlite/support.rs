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
        sql::describe_ddl(Kind::Sqlite, ctx, &BTreeMap::new())
    }

    fn describe_op(&self, ctx: &Ctx<'_>, op: &OpSpec, statement: Option<&StatementOp>) -> Result<Vec<Statement>, String> {
        sql::describe_op(Kind::Sqlite, ctx, op, statement)
    }
}
