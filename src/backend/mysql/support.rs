//! MySQL and MariaDB without a connection: config checks, plan, cost.

use crate::backend::registry::{per_server_cost, KindInfo, KindSupport, Problems, Statement};
use crate::backend::{sql, Ctx};
use crate::dataset::DataModel;
use crate::prices::{CostModel, Prices};
use crate::scenario::diag::Diagnostics;
use crate::scenario::model::{BackendConfig, Kind, StatementOp};
use crate::scenario::validate::url;
use crate::workload::OpSpec;
use std::collections::BTreeMap;

pub struct MysqlKind;

impl KindSupport for MysqlKind {
    fn info(&self) -> KindInfo {
        KindInfo {
            kind: Kind::Mysql,
            systems: "Aurora MySQL, MySQL, MariaDB",
            packed: "one UNION ALL statement",
            load: "multi-row INSERT in transactions",
        }
    }

    fn validate(&self, config: &BackendConfig, p: &str, d: &mut Diagnostics) {
        let BackendConfig::Mysql(c) = config else { return };
        url(&c.url, &["mysql", "mariadb"], &format!("{p}.url"), d);
        if c.url.contains("://") {
            if let Err(e) = <sqlx::mysql::MySqlConnectOptions as std::str::FromStr>::from_str(&c.url) {
                // The driver's words, with any secret in them masked.
                d.at(format!("{p}.url"), format!("cannot parse the URL: {}", crate::secrets::url_passwords(&e.to_string())));
            }
        }
        sql::check_pool(c.pool, p, d);
    }

    fn cost_model(&self, config: &BackendConfig, _model: &DataModel, prices: &Prices) -> Result<CostModel, String> {
        Ok(per_server_cost(config, prices))
    }

    fn describe_ddl(&self, ctx: &Ctx<'_>) -> Result<Vec<Statement>, Problems> {
        sql::describe_ddl(Kind::Mysql, ctx, &BTreeMap::new())
    }

    fn describe_op(&self, ctx: &Ctx<'_>, op: &OpSpec, statement: Option<&StatementOp>) -> Result<Vec<Statement>, String> {
        sql::describe_op(Kind::Mysql, ctx, op, statement)
    }
}
