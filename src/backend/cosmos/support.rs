//! Cosmos DB without a connection: config checks, plan, cost, secrets.

use super::{describe_ddl, describe_op, prepare_op, Names};
use crate::backend::registry::{KindInfo, KindSupport, Problems, Statement};
use crate::backend::Ctx;
use crate::dataset::DataModel;
use crate::prices::{CostModel, Prices};
use crate::scenario::diag::Diagnostics;
use crate::scenario::model::{BackendConfig, Kind, Pricing, StatementOp};
use crate::scenario::validate::preset_path;
use crate::workload::OpSpec;

pub struct CosmosKind;

impl KindSupport for CosmosKind {
    fn info(&self) -> KindInfo {
        KindInfo {
            kind: Kind::Cosmos,
            systems: "Azure Cosmos DB for NoSQL",
            packed: "point reads at once; single_table: Query",
            load: "upserts, workers in flight",
        }
    }

    fn validate(&self, config: &BackendConfig, p: &str, d: &mut Diagnostics) {
        let BackendConfig::Cosmos(c) = config else { return };
            let e = c.endpoint.trim();
            if e.is_empty() {
                d.at(format!("{p}.endpoint"), "expected an https:// endpoint, found an empty string");
            } else if e.starts_with("http://") {
                if !crate::net::emulator_host(e) {
                    d.at(
                        format!("{p}.endpoint"),
                        format!(
                            "expected https:// (plain http:// is only for a local emulator: {})",
                            crate::net::EMULATOR_HOSTS.join(", ")
                        ),
                    );
                }
            } else if !e.starts_with("https://") {
                d.at(format!("{p}.endpoint"), "expected an https:// endpoint (e.g. https://ACCOUNT.documents.azure.com:443/)");
            }
            if c.serverless == Some(true) && c.throughput.is_some() {
                d.at(format!("{p}.throughput"), "serverless accounts have no provisioned throughput; remove one of the two");
            }
            if c.throughput.is_some_and(|t| t < 400) {
                d.at(format!("{p}.throughput"), "expected at least 400 RU/s (Cosmos DB's minimum for shared database throughput)");
            }
            if c.max_attempts == Some(0) {
                d.at(format!("{p}.max_attempts"), "expected at least 1 attempt, found 0");
            }
            if let (Some(a), Some(b)) = (c.backoff, c.max_backoff) {
                if a.0 > b.0 {
                    d.at(format!("{p}.max_backoff"), "expected max_backoff >= backoff");
                }
            }
            if let Some(name) = c.pricing.as_ref().and_then(Pricing::preset) {
                let serverless = c.serverless == Some(true);
                let wrong = match name {
                    "cosmos_serverless" => !serverless,
                    "cosmos_provisioned" => serverless,
                    _ => false,
                };
                if wrong {
                    d.at(preset_path(p, c.pricing.as_ref()), format!("pricing preset `{name}` does not match `serverless: {serverless}`"));
                }
            }
            for (field, v) in
                [("database", Some(&c.database)), ("container", c.container.as_ref()), ("container_prefix", c.container_prefix.as_ref())]
            {
                if let Some(v) = v {
                    let bad = v.chars().any(|ch| matches!(ch, '/' | '\\' | '?' | '#'))
                        || v.len() > 255
                        || (field != "container_prefix" && v.trim().is_empty());
                    if bad {
                        d.at(
                            format!("{p}.{field}"),
                            format!("expected a Cosmos DB resource name (1 to 255 characters, none of / \\ ? #), found {v:?}"),
                        );
                    }
                }
            }
    }

    /// The account key is a secret wherever it came from.
    fn secrets(&self, config: &BackendConfig) -> Vec<String> {
        match config {
            BackendConfig::Cosmos(c) if !c.key.is_empty() => vec![c.key.clone()],
            _ => Vec::new(),
        }
    }

    fn cost_model(&self, config: &BackendConfig, _model: &DataModel, p: &Prices) -> Result<CostModel, String> {
        let BackendConfig::Cosmos(c) = config else { return Err("not a Cosmos DB backend".into()) };
        if c.serverless == Some(true) {
            return Ok(CostModel {
                per_request_unit: p.request_units_per_million / 1e6,
                basis: format!("serverless: request units as Cosmos DB charged them x ${}/M", p.request_units_per_million),
                ..CostModel::default()
            });
        }
        let Some(t) = c.throughput else {
            return Err("provisioned Cosmos DB pricing needs the database's `throughput:` (RU/s), or `serverless: true`".into());
        };
        Ok(CostModel {
            per_hour: t as f64 / 100.0 * p.hundred_ru_per_second_hour,
            basis: format!(
                "provisioned throughput: {t} RU/s (the database's) / 100 x ${}/h x duration; request units are not charged apart",
                p.hundred_ru_per_second_hour
            ),
            ..CostModel::default()
        })
    }

    fn describe_ddl(&self, ctx: &Ctx<'_>) -> Result<Vec<Statement>, Problems> {
        let BackendConfig::Cosmos(c) = ctx.config else { return Ok(Vec::new()) };
        Ok(describe_ddl(c, ctx.model))
    }

    fn describe_op(&self, ctx: &Ctx<'_>, op: &OpSpec, statement: Option<&StatementOp>) -> Result<Vec<Statement>, String> {
        let BackendConfig::Cosmos(c) = ctx.config else { return Ok(Vec::new()) };
        let names = Names::new(c, ctx.model);
        let prepared = prepare_op(&names, ctx.model, ctx.templates, op, statement)?;
        Ok(vec![(String::new(), describe_op(&names, ctx.model, &prepared))])
    }
}
