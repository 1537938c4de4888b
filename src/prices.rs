//! Prices (a leaf: it uses no other module, and anything may use it). The built-in presets with their
//! sources, the price fields a scenario may give inline, the resolved prices
//! of a backend, and how a cost is computed from what was consumed. Which
//! prices a kind uses is the kind's own (its `cost_model`, in its folder).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Price fields a scenario may give inline, with what each one means.
pub const PRICE_FIELDS: &[(&str, &str)] = &[
    ("read_request_units_per_million", "USD per million read request units (DynamoDB on-demand)"),
    ("write_request_units_per_million", "USD per million write request units (DynamoDB on-demand)"),
    ("rcu_hour", "USD per provisioned read capacity unit and hour (DynamoDB provisioned)"),
    ("wcu_hour", "USD per provisioned write capacity unit and hour (DynamoDB provisioned)"),
    ("storage_gb_month", "USD per GB stored and month"),
    ("instance_hour", "USD per hour of the server (SQL kinds; a Redis node)"),
    ("request_units_per_million", "USD per million request units consumed (Cosmos DB serverless)"),
    ("hundred_ru_per_second_hour", "USD per 100 RU/s provisioned and hour (Cosmos DB provisioned throughput)"),
];

/// A built-in price list: where its prices come from and what they buy.
#[derive(Debug)]
pub struct Preset {
    pub name: &'static str,
    /// What one `instance_hour` buys, for the report's cost basis ("" where
    /// the service is not priced per server).
    pub server: &'static str,
    /// The backend kinds whose service it prices (noop may borrow any, for tests).
    pub kinds: &'static [&'static str],
    pub prices: &'static [(&'static str, f64)],
}

impl Preset {
    /// Whether this preset's prices fit a backend of `kind`.
    pub fn fits(&self, kind: &str) -> bool {
        kind == "noop" || self.kinds.contains(&kind)
    }
}

/// DynamoDB, Standard table class, US East (N. Virginia): on-demand prices
/// after AWS's 2024-11-01 reduction, and provisioned capacity, from
/// <https://aws.amazon.com/dynamodb/pricing/on-demand/> and
/// <https://aws.amazon.com/dynamodb/pricing/provisioned/>.
const DYNAMODB_US_EAST_1: &[(&str, f64)] = &[
    ("read_request_units_per_million", 0.125),
    ("write_request_units_per_million", 0.625),
    ("rcu_hour", 0.00013),
    ("wcu_hour", 0.00065),
    ("storage_gb_month", 0.25),
];

/// Azure Cosmos DB for NoSQL, East US, single-region writes, from
/// <https://azure.microsoft.com/en-us/pricing/details/cosmos-db/autoscale-provisioned/>
/// and <https://azure.microsoft.com/en-us/pricing/details/cosmos-db/serverless/>:
/// standard (manual) provisioned throughput $0.008 per 100 RU/s per hour,
/// serverless $0.25 per million RU, transactional storage $0.25 per GB-month.
const COSMOS_EAST_US: &[(&str, f64)] =
    &[("hundred_ru_per_second_hour", 0.008), ("request_units_per_million", 0.25), ("storage_gb_month", 0.25)];

/// The SQL services are priced per server. Each preset prices one server of
/// the same memory class (16 GiB, 2 vCPU on AWS), so that presets compare
/// like for like; a scenario on another size overrides `instance_hour`.
///
/// Amazon Aurora (PostgreSQL- and MySQL-compatible), US East (N. Virginia),
/// Aurora Standard, on-demand db.r6g.large: $0.26 per hour; storage $0.10
/// per GB-month (I/O, $0.20 per million, is not modelled), from
/// <https://aws.amazon.com/rds/aurora/pricing/>.
const AURORA_US_EAST_1: &[(&str, f64)] = &[("instance_hour", 0.26), ("storage_gb_month", 0.10)];

/// Amazon RDS for PostgreSQL, US East (N. Virginia), Single-AZ on-demand
/// db.r6g.large: $0.225 per hour; General Purpose (gp3) storage $0.115 per
/// GB-month, from <https://aws.amazon.com/rds/postgresql/pricing/>.
const RDS_POSTGRES_US_EAST_1: &[(&str, f64)] = &[("instance_hour", 0.225), ("storage_gb_month", 0.115)];

/// Databricks Lakebase Postgres (autoscaling), AWS US East (N. Virginia),
/// Premium tier: 8 CU (about 16 GB of memory) x 0.230 DBU per CU-hour x
/// $0.40 per DBU (Database Serverless Compute) = $0.736 per hour; storage
/// 15 DSU per GB-month x $0.023 per DSU = $0.345 per GB-month, from
/// <https://www.databricks.com/product/pricing/lakebase>.
const LAKEBASE_AWS_US_EAST_1: &[(&str, f64)] = &[("instance_hour", 0.736), ("storage_gb_month", 0.345)];

/// Amazon ElastiCache for Redis OSS, US East (N. Virginia), on-demand
/// cache.r6g.large (13.07 GiB, 2 vCPU: the memory class of the SQL presets'
/// db.r6g.large): $0.206 per node-hour, from
/// <https://aws.amazon.com/elasticache/pricing/>. The data lives in the
/// node's memory, paid with the node: no storage price.
const ELASTICACHE_REDIS_US_EAST_1: &[(&str, f64)] = &[("instance_hour", 0.206), ("storage_gb_month", 0.0)];

/// SQLite stands in for any SQL service.
const POSTGRES_KINDS: &[&str] = &["postgres", "sqlite"];
const MYSQL_KINDS: &[&str] = &["mysql", "sqlite"];

/// Every built-in preset with prices: the one list of their names.
pub const PRESETS: &[Preset] = &[
    Preset { name: "lakebase", server: "Lakebase 8 CU, AWS us-east-1, Premium", kinds: POSTGRES_KINDS, prices: LAKEBASE_AWS_US_EAST_1 },
    Preset {
        name: "aurora_postgres",
        server: "Aurora PostgreSQL db.r6g.large, us-east-1",
        kinds: POSTGRES_KINDS,
        prices: AURORA_US_EAST_1,
    },
    Preset { name: "aurora_mysql", server: "Aurora MySQL db.r6g.large, us-east-1", kinds: MYSQL_KINDS, prices: AURORA_US_EAST_1 },
    Preset {
        name: "rds_postgres",
        server: "RDS for PostgreSQL db.r6g.large Single-AZ, us-east-1",
        kinds: POSTGRES_KINDS,
        prices: RDS_POSTGRES_US_EAST_1,
    },
    Preset {
        name: "elasticache_redis",
        server: "ElastiCache for Redis OSS cache.r6g.large node, us-east-1",
        kinds: &["redis"],
        prices: ELASTICACHE_REDIS_US_EAST_1,
    },
    Preset { name: "dynamodb_on_demand", server: "", kinds: &["dynamodb"], prices: DYNAMODB_US_EAST_1 },
    Preset { name: "dynamodb_provisioned", server: "", kinds: &["dynamodb"], prices: DYNAMODB_US_EAST_1 },
    Preset { name: "cosmos_provisioned", server: "", kinds: &["cosmos"], prices: COSMOS_EAST_US },
    Preset { name: "cosmos_serverless", server: "", kinds: &["cosmos"], prices: COSMOS_EAST_US },
];

/// The built-in preset of that name.
pub fn preset(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

/// The preset names, for messages.
pub fn preset_names() -> String {
    PRESETS.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
}

/// Resolved prices: every known field, 0 where not given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prices {
    pub read_request_units_per_million: f64,
    pub write_request_units_per_million: f64,
    pub rcu_hour: f64,
    pub wcu_hour: f64,
    pub storage_gb_month: f64,
    pub instance_hour: f64,
    pub request_units_per_million: f64,
    pub hundred_ru_per_second_hour: f64,
}

impl Prices {
    fn set(&mut self, field: &str, v: f64) -> bool {
        let slot = match field {
            "read_request_units_per_million" => &mut self.read_request_units_per_million,
            "write_request_units_per_million" => &mut self.write_request_units_per_million,
            "rcu_hour" => &mut self.rcu_hour,
            "wcu_hour" => &mut self.wcu_hour,
            "storage_gb_month" => &mut self.storage_gb_month,
            "instance_hour" => &mut self.instance_hour,
            "request_units_per_million" => &mut self.request_units_per_million,
            "hundred_ru_per_second_hour" => &mut self.hundred_ru_per_second_hour,
            _ => return false,
        };
        *slot = v;
        true
    }

    /// A preset's prices, with inline fields overriding them one by one;
    /// Err(why) when a name or a field is unknown or a price is not a number.
    pub fn of<'a>(preset_name: Option<&str>, overrides: impl Iterator<Item = (&'a String, &'a Value)>) -> Result<Prices, String> {
        let mut p = Prices::default();
        if let Some(name) = preset_name {
            let preset = preset(name).ok_or_else(|| format!("unknown pricing preset `{name}`"))?;
            for (k, v) in preset.prices {
                p.set(k, *v);
            }
        }
        for (k, v) in overrides {
            let v = v.as_f64().ok_or_else(|| format!("price `{k}` is not a number"))?;
            if !p.set(k, v) {
                return Err(format!("unknown price field `{k}`"));
            }
        }
        Ok(p)
    }
}

/// How a backend is charged.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CostModel {
    /// USD per consumed read / write unit.
    pub per_read_unit: f64,
    pub per_write_unit: f64,
    /// USD per consumed request unit (Cosmos DB serverless).
    pub per_request_unit: f64,
    /// USD per hour, whatever the load (provisioned capacity, servers).
    pub per_hour: f64,
    /// How the figures are obtained, for the report.
    pub basis: String,
    /// USD per GB and month of the data, for the storage cost.
    pub storage_gb_month: f64,
    /// Whether more load needs more servers (the SQL kinds) rather than more units.
    pub per_server: bool,
}

impl CostModel {
    /// A service priced per server: the hourly price, whatever the load.
    /// `server` names the server a preset prices ("" when overridden or inline).
    pub fn per_server(p: &Prices, server: &str) -> CostModel {
        CostModel {
            per_read_unit: p.read_request_units_per_million / 1e6,
            per_write_unit: p.write_request_units_per_million / 1e6,
            per_hour: p.instance_hour,
            storage_gb_month: p.storage_gb_month,
            per_server: true,
            basis: format!("instance hours: ${}/h{server} x duration", p.instance_hour),
            ..CostModel::default()
        }
    }

    /// The prices as the report keeps them.
    pub fn facts(&self) -> PriceFacts {
        PriceFacts {
            per_hour: self.per_hour,
            per_read_unit: self.per_read_unit,
            per_write_unit: self.per_write_unit,
            per_request_unit: self.per_request_unit,
            storage_gb_month: self.storage_gb_month,
            per_server: self.per_server,
        }
    }
}

/// A backend's resolved prices (USD): what the cost projections use.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct PriceFacts {
    /// Per hour, whatever the load: a server, or provisioned capacity.
    pub per_hour: f64,
    pub per_read_unit: f64,
    pub per_write_unit: f64,
    pub per_request_unit: f64,
    pub storage_gb_month: f64,
    /// Whether more load needs more servers (the SQL kinds) rather than more units.
    pub per_server: bool,
}

/// " (one Aurora PostgreSQL db.r6g.large, ...)" when the instance price is
/// the preset's own, empty when it was overridden or given inline.
pub fn server_note(preset_name: Option<&str>, instance_hour_overridden: bool) -> String {
    match preset_name.and_then(preset) {
        Some(p) if !instance_hour_overridden && !p.server.is_empty() => format!(" (one {}, preset `{}`)", p.server, p.name),
        _ => String::new(),
    }
}

/// Cost per million requests.
pub fn per_million(cost: f64, requests: u64) -> Option<f64> {
    (requests > 0).then(|| cost / requests as f64 * 1e6)
}
