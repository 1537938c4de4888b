//! Cost: a backend's prices (a built-in preset or inline, in USD) applied to
//! what it measured. Where the service reports consumed capacity (DynamoDB
//! `ConsumedCapacity`), requests are charged per unit; provisioned capacity
//! and servers are charged per hour of the phase.

use crate::dataset::DataModel;
use crate::scenario::model::{BackendConfig, Billing, Layout, Pricing};
use crate::stats::Usage;

/// Price fields a scenario may give inline, with what each one means.
pub const PRICE_FIELDS: &[(&str, &str)] = &[
    ("read_request_units_per_million", "USD per million read request units (DynamoDB on-demand)"),
    ("write_request_units_per_million", "USD per million write request units (DynamoDB on-demand)"),
    ("rcu_hour", "USD per provisioned read capacity unit and hour (DynamoDB provisioned)"),
    ("wcu_hour", "USD per provisioned write capacity unit and hour (DynamoDB provisioned)"),
    ("storage_gb_month", "USD per GB stored and month"),
    ("instance_hour", "USD per hour of the server (SQL kinds)"),
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
    pub prices: &'static [(&'static str, f64)],
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

/// Every built-in preset with prices.
pub const PRESETS: &[Preset] = &[
    Preset { name: "lakebase", server: "Lakebase 8 CU, AWS us-east-1, Premium", prices: LAKEBASE_AWS_US_EAST_1 },
    Preset { name: "aurora_postgres", server: "Aurora PostgreSQL db.r6g.large, us-east-1", prices: AURORA_US_EAST_1 },
    Preset { name: "aurora_mysql", server: "Aurora MySQL db.r6g.large, us-east-1", prices: AURORA_US_EAST_1 },
    Preset { name: "rds_postgres", server: "RDS for PostgreSQL db.r6g.large Single-AZ, us-east-1", prices: RDS_POSTGRES_US_EAST_1 },
    Preset { name: "dynamodb_on_demand", server: "", prices: DYNAMODB_US_EAST_1 },
    Preset { name: "dynamodb_provisioned", server: "", prices: DYNAMODB_US_EAST_1 },
    Preset { name: "cosmos_provisioned", server: "", prices: COSMOS_EAST_US },
    Preset { name: "cosmos_serverless", server: "", prices: COSMOS_EAST_US },
];

/// The built-in preset of that name.
pub fn preset(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
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

    /// The prices `pricing` names: a preset's, with any inline fields
    /// overriding them one by one; Err(why) when there are none to apply.
    pub fn of(pricing: &Pricing) -> Result<Prices, String> {
        let mut p = Prices::default();
        if let Some(name) = pricing.preset() {
            let preset = preset(name).ok_or_else(|| format!("unknown pricing preset `{name}`"))?;
            for (k, v) in preset.prices {
                p.set(k, *v);
            }
        }
        for (k, v) in pricing.overrides() {
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
}

impl CostModel {
    /// The model for a backend, or None when it has no pricing.
    pub fn for_backend(config: &BackendConfig, model: &DataModel) -> Option<Result<CostModel, String>> {
        let pricing = config.pricing()?;
        Some(Prices::of(pricing).and_then(|p| {
            if let BackendConfig::Cosmos(c) = config {
                if c.serverless != Some(true) && c.throughput.is_none() {
                    return Err("provisioned Cosmos DB pricing needs the database's `throughput:` (RU/s), or `serverless: true`".into());
                }
            }
            Ok(CostModel { storage_gb_month: p.storage_gb_month, ..Self::with_prices(config, model, &p) })
        }))
    }

    pub fn with_prices(config: &BackendConfig, model: &DataModel, p: &Prices) -> CostModel {
        match config {
            BackendConfig::Dynamodb(c) => match &c.billing {
                Some(Billing::Provisioned { provisioned }) => {
                    let tables = if c.layout == Some(Layout::SingleTable) { 1 } else { model.tables.len() } as f64;
                    let hourly = tables * (provisioned.rcu as f64 * p.rcu_hour + provisioned.wcu as f64 * p.wcu_hour);
                    CostModel {
                        per_read_unit: 0.0,
                        per_write_unit: 0.0,
                        per_request_unit: 0.0,
                        per_hour: hourly,
                        storage_gb_month: 0.0,
                        basis: format!(
                            "provisioned capacity: {tables} table(s) x ({} RCU x ${}/h + {} WCU x ${}/h) x duration",
                            provisioned.rcu, p.rcu_hour, provisioned.wcu, p.wcu_hour
                        ),
                    }
                }
                _ => CostModel {
                    per_read_unit: p.read_request_units_per_million / 1e6,
                    per_write_unit: p.write_request_units_per_million / 1e6,
                    per_request_unit: 0.0,
                    per_hour: 0.0,
                    storage_gb_month: 0.0,
                    basis: format!(
                        "consumed capacity as DynamoDB reported it: read units x ${}/M + write units x ${}/M",
                        p.read_request_units_per_million, p.write_request_units_per_million
                    ),
                },
            },
            BackendConfig::Cosmos(c) if c.serverless == Some(true) => CostModel {
                per_request_unit: p.request_units_per_million / 1e6,
                basis: format!("serverless: request units as Cosmos DB charged them x ${}/M", p.request_units_per_million),
                ..CostModel::default()
            },
            BackendConfig::Cosmos(c) => {
                let t = c.throughput.unwrap_or(0);
                CostModel {
                    per_hour: t as f64 / 100.0 * p.hundred_ru_per_second_hour,
                    basis: format!(
                        "provisioned throughput: {t} RU/s (the database's) / 100 x ${}/h x duration; request units are not charged apart",
                        p.hundred_ru_per_second_hour
                    ),
                    ..CostModel::default()
                }
            }
            _ => CostModel {
                per_read_unit: p.read_request_units_per_million / 1e6,
                per_write_unit: p.write_request_units_per_million / 1e6,
                per_request_unit: 0.0,
                per_hour: p.instance_hour,
                storage_gb_month: 0.0,
                basis: format!("instance hours: ${}/h{} x duration", p.instance_hour, server_note(config)),
            },
        }
    }

    /// The cost of `usage` over `secs` seconds.
    pub fn cost(&self, usage: &Usage, secs: f64) -> f64 {
        usage.read_units * self.per_read_unit
            + usage.write_units * self.per_write_unit
            + usage.request_units * self.per_request_unit
            + self.per_hour * secs / 3600.0
    }
}

impl CostModel {
    /// The prices as the report keeps them; `per_server` for the kinds whose
    /// price is a server's (more load needs more of them).
    pub fn facts(&self, config: &BackendConfig) -> crate::report::model::PriceFacts {
        crate::report::model::PriceFacts {
            per_hour: self.per_hour,
            per_read_unit: self.per_read_unit,
            per_write_unit: self.per_write_unit,
            per_request_unit: self.per_request_unit,
            storage_gb_month: self.storage_gb_month,
            per_server: config.kind().is_sql() || matches!(config, BackendConfig::Noop(_)),
        }
    }
}

/// "(one Aurora PostgreSQL db.r6g.large, ...)" when the instance price is a
/// preset's own, empty when it was overridden or given inline.
fn server_note(config: &BackendConfig) -> String {
    let Some(pricing) = config.pricing() else { return String::new() };
    let overridden = pricing.overrides().any(|(k, _)| k == "instance_hour");
    match pricing.preset().and_then(preset) {
        Some(p) if !overridden && !p.server.is_empty() => format!(" (one {}, preset `{}`)", p.server, p.name),
        _ => String::new(),
    }
}

/// Cost per million requests.
pub fn per_million(cost: f64, requests: u64) -> Option<f64> {
    (requests > 0).then(|| cost / requests as f64 * 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::model::*;
    use indexmap::IndexMap;

    fn model(tables: u32) -> DataModel {
        let mut entities = IndexMap::new();
        entities.insert("card".to_string(), Entity { keys: Some(10), key: KeyType::Int, sample: None });
        let t = TableSpec {
            name: "t{i}".into(),
            entity: "card".into(),
            count: Some(tables),
            features: Features::Count(2),
            types: None,
            rows: None,
            key_column: None,
        };
        DataModel::new(1, &Dataset { entities, tables: vec![t] })
    }

    fn ddb(billing: Option<Billing>, pricing: Pricing) -> BackendConfig {
        BackendConfig::Dynamodb(DynamodbConfig {
            region: None,
            endpoint: None,
            billing,
            layout: None,
            table: None,
            table_prefix: None,
            consistent_read: None,
            max_attempts: None,
            backoff: None,
            max_backoff: None,
            pricing: Some(pricing),
        })
    }

    #[test]
    fn on_demand_charges_consumed_units() {
        let c = ddb(None, Pricing::Preset("dynamodb_on_demand".into()));
        let m = CostModel::for_backend(&c, &model(3)).unwrap().unwrap();
        let u = Usage { read_units: 2_000_000.0, write_units: 1_000_000.0, ..Usage::default() };
        // 2 M read units at $0.125/M and 1 M write units at $0.625/M; time is free.
        assert!((m.cost(&u, 3600.0) - (0.25 + 0.625)).abs() < 1e-12);
        assert_eq!(per_million(0.5, 250_000), Some(2.0));
        assert_eq!(per_million(0.5, 0), None);
    }

    #[test]
    fn provisioned_charges_capacity_hours_per_table() {
        let b = Billing::Provisioned { provisioned: Provisioned { rcu: 100, wcu: 10 } };
        let c = ddb(Some(b), inline(None, &[("rcu_hour", 0.01), ("wcu_hour", 0.1)]));
        let m = CostModel::for_backend(&c, &model(4)).unwrap().unwrap();
        let u = Usage { read_units: 5e6, write_units: 5e6, ..Usage::default() };
        // 4 tables x (100 x 0.01 + 10 x 0.1) = $8/h, for half an hour; units are not charged.
        assert!((m.cost(&u, 1800.0) - 4.0).abs() < 1e-12);
    }

    fn cosmos(serverless: bool, throughput: Option<u64>, pricing: Pricing) -> BackendConfig {
        BackendConfig::Cosmos(CosmosConfig {
            endpoint: "https://a.documents.azure.com:443/".into(),
            key: "k".into(),
            database: "d".into(),
            throughput,
            serverless: serverless.then_some(true),
            emulator: false,
            layout: None,
            container: None,
            container_prefix: None,
            preferred_regions: vec![],
            consistency: None,
            max_attempts: None,
            backoff: None,
            max_backoff: None,
            pricing: Some(pricing),
        })
    }

    #[test]
    fn cosmos_serverless_charges_request_units_and_provisioned_the_hours() {
        let m = CostModel::for_backend(&cosmos(true, None, Pricing::Preset("cosmos_serverless".into())), &model(2)).unwrap().unwrap();
        let u = Usage { request_units: 4_000_000.0, ..Usage::default() };
        // 4 M RU at $0.25/M; time is free.
        assert!((m.cost(&u, 3600.0) - 1.0).abs() < 1e-12);
        let m =
            CostModel::for_backend(&cosmos(false, Some(4000), Pricing::Preset("cosmos_provisioned".into())), &model(2)).unwrap().unwrap();
        // 4000 RU/s = 40 x $0.008/h = $0.32/h, for a quarter hour; units are not charged.
        assert!((m.cost(&u, 900.0) - 0.08).abs() < 1e-12);
        assert!(m.basis.contains("4000 RU/s"));
        let e = CostModel::for_backend(&cosmos(false, None, Pricing::Preset("cosmos_provisioned".into())), &model(2)).unwrap().unwrap_err();
        assert!(e.contains("throughput"));
    }

    fn inline(preset: Option<&str>, fields: &[(&str, f64)]) -> Pricing {
        Pricing::Inline(PriceTable {
            preset: preset.map(str::to_string),
            prices: fields.iter().map(|(k, v)| (k.to_string(), serde_json::json!(v))).collect(),
        })
    }

    fn postgres(pricing: Pricing) -> BackendConfig {
        let yaml = "kind: postgres\nurl: postgres://postgres@127.0.0.1:5432/test\n";
        let mut c: BackendConfig = serde_yaml::from_str(yaml).unwrap();
        if let BackendConfig::Postgres(p) = &mut c {
            p.pricing = Some(pricing);
        }
        c
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(Prices::of(&inline(None, &[("per_read", 1.0)])).unwrap_err().contains("per_read"));
        assert!(Prices::of(&Pricing::Preset("aurora_oracle".into())).unwrap_err().contains("unknown pricing preset"));
    }

    #[test]
    fn every_validated_preset_name_has_prices() {
        for name in crate::scenario::validate::PRICING_PRESETS {
            let p = Prices::of(&Pricing::Preset(name.to_string())).unwrap();
            assert!(p.storage_gb_month > 0.0, "{name}");
        }
        assert_eq!(PRESETS.len(), crate::scenario::validate::PRICING_PRESETS.len());
    }

    #[test]
    fn sql_presets_price_one_server_per_hour() {
        // Aurora db.r6g.large at $0.26/h: one hour of queries costs $0.26, and
        // the report says which server that is.
        for (name, hourly, storage) in
            [("aurora_postgres", 0.26, 0.10), ("aurora_mysql", 0.26, 0.10), ("rds_postgres", 0.225, 0.115), ("lakebase", 0.736, 0.345)]
        {
            let m = CostModel::for_backend(&postgres(Pricing::Preset(name.into())), &model(2)).unwrap().unwrap();
            assert!((m.cost(&Usage::default(), 3600.0) - hourly).abs() < 1e-12, "{name}");
            assert!((m.storage_gb_month - storage).abs() < 1e-12, "{name}");
            assert!(m.basis.contains(&format!("preset `{name}`")), "{}", m.basis);
        }
        // 8 CU x 0.230 DBU/CU-h x $0.40/DBU, and 15 DSU x $0.023 per GB-month.
        assert!((8.0 * 0.230 * 0.40 - 0.736_f64).abs() < 1e-12);
        assert!((15.0 * 0.023 - 0.345_f64).abs() < 1e-12);
    }

    #[test]
    fn inline_fields_override_a_preset_one_by_one() {
        // db.r6g.xlarge instead of large; the preset's storage price stays.
        let c = postgres(inline(Some("aurora_postgres"), &[("instance_hour", 0.519)]));
        let m = CostModel::for_backend(&c, &model(2)).unwrap().unwrap();
        assert!((m.cost(&Usage::default(), 1800.0) - 0.2595).abs() < 1e-12);
        assert!((m.storage_gb_month - 0.10).abs() < 1e-12);
        // The server named by the preset is no longer the one priced.
        assert_eq!(m.basis, "instance hours: $0.519/h x duration");
        let c = postgres(inline(Some("aurora_postgres"), &[("storage_gb_month", 0.2)]));
        let m = CostModel::for_backend(&c, &model(2)).unwrap().unwrap();
        assert!((m.per_hour - 0.26).abs() < 1e-12 && (m.storage_gb_month - 0.2).abs() < 1e-12);
        // DynamoDB: only the write price changed.
        let p = Prices::of(&inline(Some("dynamodb_on_demand"), &[("write_request_units_per_million", 1.25)])).unwrap();
        assert_eq!((p.read_request_units_per_million, p.write_request_units_per_million), (0.125, 1.25));
    }
}
