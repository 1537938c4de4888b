//! The noop kind without a connection: config checks, plan, cost.

use crate::backend::registry::{describe_plain, per_server_cost, KindInfo, KindSupport, Problems, Statement};
use crate::backend::Ctx;
use crate::dataset::DataModel;
use crate::prices::{CostModel, Prices};
use crate::scenario::diag::Diagnostics;
use crate::scenario::model::{BackendConfig, Kind, Latency, StatementOp};
use crate::scenario::validate::fraction;
use crate::workload::OpSpec;

pub struct NoopKind;

impl KindSupport for NoopKind {
    fn info(&self) -> KindInfo {
        KindInfo { kind: Kind::Noop, systems: "nothing: the harness's own ceiling, and tests", packed: "-", load: "-" }
    }

    fn validate(&self, config: &BackendConfig, p: &str, d: &mut Diagnostics) {
        let BackendConfig::Noop(c) = config else { return };
        if let Some(Latency::LogNormal(l)) = &c.latency {
            if l.p99.0 < l.median.0 {
                d.at(format!("{p}.latency.p99"), "expected p99 >= median");
            }
            if l.median.0.is_zero() {
                d.at(format!("{p}.latency.median"), "expected a positive median");
            }
        }
        fraction(d, &format!("{p}.fail"), c.fail, false);
        if let Some(n) = c.servers.filter(|n| !(1..=100_000).contains(n)) {
            d.at(format!("{p}.servers"), format!("expected 1 to 100000 servers, found {n}"));
        }
        if let Some(st) = &c.stall {
            if st.for_.0.is_zero() {
                d.at(format!("{p}.stall.for"), "expected a positive duration");
            }
        }
    }

    /// Noop may borrow any preset's prices (tests of the cost section); it
    /// is charged per server, like the SQL kinds.
    fn cost_model(&self, config: &BackendConfig, _model: &DataModel, prices: &Prices) -> Result<CostModel, String> {
        Ok(per_server_cost(config, prices))
    }

    fn describe_ddl(&self, _ctx: &Ctx<'_>) -> Result<Vec<Statement>, Problems> {
        Ok(Vec::new())
    }

    fn describe_op(&self, ctx: &Ctx<'_>, op: &OpSpec, _statement: Option<&StatementOp>) -> Result<Vec<Statement>, String> {
        Ok(vec![(String::new(), describe_plain(Kind::Noop, op, ctx.model))])
    }
}
