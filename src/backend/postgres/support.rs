//! PostgreSQL without a connection: config checks, plan, cost.

use crate::backend::registry::{per_server_cost, KindInfo, KindSupport, Problems, Statement};
use crate::backend::{sql, Ctx};
use crate::dataset::DataModel;
use crate::prices::{CostModel, Prices};
use crate::scenario::diag::Diagnostics;
use crate::scenario::model::{BackendConfig, Kind, StatementOp};
use crate::scenario::validate::{safe_name, url};
use crate::workload::OpSpec;
use std::collections::BTreeMap;

pub struct PostgresKind;

impl KindSupport for PostgresKind {
    fn info(&self) -> KindInfo {
        KindInfo {
            kind: Kind::Postgres,
            systems: "Lakebase, Aurora PostgreSQL, any PG",
            packed: "one UNION ALL statement, or a SQL function",
            load: "COPY FROM STDIN (text or binary) or INSERT, tables in parallel",
        }
    }

    fn validate(&self, config: &BackendConfig, p: &str, d: &mut Diagnostics) {
        let BackendConfig::Postgres(c) = config else { return };
        url(&c.url, &["postgres", "postgresql"], &format!("{p}.url"), d);
        if c.url.contains("://") {
            if let Err(e) = <sqlx::postgres::PgConnectOptions as std::str::FromStr>::from_str(&c.url) {
                // The driver's words, with any secret in them masked.
                d.at(format!("{p}.url"), format!("cannot parse the URL: {}", crate::secrets::url_passwords(&e.to_string())));
            }
        }
        if let Some(sc) = &c.schema {
            if !safe_name(sc) {
                d.at(format!("{p}.schema"), format!("expected a safe identifier, found {sc:?}"));
            }
        }
        sql::check_pool(c.pool, p, d);
    }

    fn cost_model(&self, config: &BackendConfig, _model: &DataModel, prices: &Prices) -> Result<CostModel, String> {
        Ok(per_server_cost(config, prices))
    }

    fn describe_ddl(&self, ctx: &Ctx<'_>) -> Result<Vec<Statement>, Problems> {
        let mut extra = BTreeMap::new();
        if let BackendConfig::Postgres(p) = ctx.config {
            extra.insert("unlogged", minijinja::Value::from(p.unlogged));
        }
        sql::describe_ddl(Kind::Postgres, ctx, &extra)
    }

    fn describe_op(&self, ctx: &Ctx<'_>, op: &OpSpec, statement: Option<&StatementOp>) -> Result<Vec<Statement>, String> {
        if let crate::workload::OpKind::VectorSearch { table, column, search } = &op.kind {
            let t = &ctx.model.tables[*table];
            let c = &t.columns[*column];
            return Ok(vec![(t.name.clone(), super::vector::search_sql(&t.name, &t.key_column, &c.name, c.ty, search))]);
        }
        sql::describe_op(Kind::Postgres, ctx, op, statement)
    }
}
