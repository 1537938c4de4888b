//! DynamoDB without a connection: config checks, plan, cost.

use super::{describe_ddl, describe_op, prepare_op, Names};
use crate::backend::registry::{KindInfo, KindSupport, Problems, Statement};
use crate::backend::Ctx;
use crate::dataset::DataModel;
use crate::prices::{CostModel, Prices};
use crate::scenario::diag::Diagnostics;
use crate::scenario::model::{BackendConfig, Billing, Kind, Layout, Pricing, StatementOp};
use crate::scenario::validate::preset_path;
use crate::workload::OpSpec;

pub struct DynamodbKind;

impl KindSupport for DynamodbKind {
    fn info(&self) -> KindInfo {
        KindInfo {
            kind: Kind::Dynamodb,
            systems: "AWS DynamoDB, compatible endpoints",
            packed: "BatchGetItem; single_table: Query",
            load: "BatchWriteItem, calls in parallel",
        }
    }

    fn validate(&self, config: &BackendConfig, p: &str, d: &mut Diagnostics) {
        let BackendConfig::Dynamodb(c) = config else { return };
            if let Some(Billing::Provisioned { provisioned }) = &c.billing {
                if provisioned.rcu == 0 || provisioned.wcu == 0 {
                    d.at(format!("{p}.billing"), "expected rcu and wcu of at least 1");
                }
            }
            if c.max_attempts == Some(0) {
                d.at(format!("{p}.max_attempts"), "expected at least 1 attempt, found 0");
            }
            let provisioned = matches!(c.billing, Some(Billing::Provisioned { .. }));
            if let Some(name) = c.pricing.as_ref().and_then(Pricing::preset) {
                let wrong = match name {
                    "dynamodb_on_demand" => provisioned,
                    "dynamodb_provisioned" => !provisioned,
                    _ => false,
                };
                if wrong {
                    let billing = if provisioned { "provisioned" } else { "on_demand" };
                    d.at(preset_path(p, c.pricing.as_ref()), format!("pricing preset `{name}` does not match `billing: {billing}`"));
                }
            }
            for (field, v) in [("table", &c.table), ("table_prefix", &c.table_prefix)] {
                if let Some(v) = v {
                    let ok = v.chars().all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-' | '.'));
                    if !ok || v.len() > 200 || (field == "table" && v.len() < 3) {
                        d.at(
                            format!("{p}.{field}"),
                            format!("expected a DynamoDB table name (3 to 200 of a-z A-Z 0-9 _ - .), found {v:?}"),
                        );
                    }
                }
            }
            if let (Some(a), Some(b)) = (c.backoff, c.max_backoff) {
                if a.0 > b.0 {
                    d.at(format!("{p}.max_backoff"), "expected max_backoff >= backoff");
                }
            }
    }

    fn cost_model(&self, config: &BackendConfig, model: &DataModel, p: &Prices) -> Result<CostModel, String> {
        let BackendConfig::Dynamodb(c) = config else { return Err("not a DynamoDB backend".into()) };
        Ok(match &c.billing {
            Some(Billing::Provisioned { provisioned }) => {
                let tables = if c.layout == Some(Layout::SingleTable) { 1 } else { model.tables.len() } as f64;
                let hourly = tables * (provisioned.rcu as f64 * p.rcu_hour + provisioned.wcu as f64 * p.wcu_hour);
                CostModel {
                    per_hour: hourly,
                    basis: format!(
                        "provisioned capacity: {tables} table(s) x ({} RCU x ${}/h + {} WCU x ${}/h) x duration",
                        provisioned.rcu, p.rcu_hour, provisioned.wcu, p.wcu_hour
                    ),
                    ..CostModel::default()
                }
            }
            _ => CostModel {
                per_read_unit: p.read_request_units_per_million / 1e6,
                per_write_unit: p.write_request_units_per_million / 1e6,
                basis: format!(
                    "consumed capacity as DynamoDB reported it: read units x ${}/M + write units x ${}/M",
                    p.read_request_units_per_million, p.write_request_units_per_million
                ),
                ..CostModel::default()
            },
        })
    }

    fn describe_ddl(&self, ctx: &Ctx<'_>) -> Result<Vec<Statement>, Problems> {
        let BackendConfig::Dynamodb(c) = ctx.config else { return Ok(Vec::new()) };
        Ok(describe_ddl(c, ctx.model))
    }

    fn describe_op(&self, ctx: &Ctx<'_>, op: &OpSpec, statement: Option<&StatementOp>) -> Result<Vec<Statement>, String> {
        let BackendConfig::Dynamodb(c) = ctx.config else { return Ok(Vec::new()) };
        let names = Names::new(c, ctx.model);
        let prepared = prepare_op(&names, ctx.model, ctx.templates, op, statement)?;
        Ok(vec![(String::new(), describe_op(&names, ctx.model, &prepared, c.consistent_read.unwrap_or(false)))])
    }
}
