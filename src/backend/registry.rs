//! What the registry of kinds dispatches to. A kind lives in its own folder
//! (`src/backend/<kind>/`) and is named once, in the `kinds!` list in
//! `backend/mod.rs`: its module, its [`KindSupport`] (what needs no
//! connection: checks, plan, cost, secrets) and its `Backend` (what runs
//! against a server). `validate`, `plan`, cost and `run` reach every kind
//! through [`support`] and `with_backend` only.

pub use super::support;
use super::Ctx;
use crate::dataset::DataModel;
use crate::prices::{CostModel, Prices};
use crate::scenario::diag::Diagnostics;
use crate::scenario::model::{BackendConfig, Kind, StatementOp};
use crate::workload::OpSpec;

/// One rendered statement or call: (label, text).
pub type Statement = (String, String);

/// Templates that do not render: (field path, problem).
pub type Problems = Vec<(String, String)>;

/// What a kind is for, as `benchplan backends` lists it.
pub struct KindInfo {
    pub kind: Kind,
    pub systems: &'static str,
    pub packed: &'static str,
    pub load: &'static str,
}

/// Everything kind-specific that opens no connection.
pub trait KindSupport: Sync {
    fn info(&self) -> KindInfo;

    /// Meaning checks on the kind's config (serde has typed it); `path` is
    /// the backend's place in the file (`backends.NAME`).
    fn validate(&self, config: &BackendConfig, path: &str, d: &mut Diagnostics);

    /// Secrets the config holds beyond `${env:...}` values and URL
    /// passwords (masked in every output).
    fn secrets(&self, _config: &BackendConfig) -> Vec<String> {
        Vec::new()
    }

    /// How the kind is charged at `prices`. No default: a kind says how.
    fn cost_model(&self, config: &BackendConfig, model: &DataModel, prices: &Prices) -> Result<CostModel, String>;

    /// The DDL (or service calls) its setup would run, for `plan`; Err:
    /// (field path, problem) for each template that does not render.
    fn describe_ddl(&self, ctx: &Ctx<'_>) -> Result<Vec<Statement>, Problems>;

    /// One mix entry as it would be sent, for `plan` and for checking
    /// templates before a run: (a label suffix such as the table, or "", text).
    fn describe_op(&self, ctx: &Ctx<'_>, op: &OpSpec, statement: Option<&StatementOp>) -> Result<Vec<Statement>, String>;
}

/// Why a kind cannot be used in this build.
pub fn not_built(kind: Kind) -> String {
    format!("this benchplan was built without the {kind} backend (build it with `--features {kind}`, on by default)")
}

/// The kind-specific checks of one backend; for `scenario::LoadOptions`.
pub fn validate_config(config: &BackendConfig, path: &str, d: &mut Diagnostics) {
    match support(config.kind()) {
        Ok(s) => s.validate(config, path, d),
        Err(why) => d.at(format!("{path}.kind"), why),
    }
}

/// The secrets a backend's config holds.
pub fn secrets(config: &BackendConfig) -> Vec<String> {
    support(config.kind()).map(|s| s.secrets(config)).unwrap_or_default()
}

/// How a backend is charged; None without pricing, Some(Err) when its
/// prices cannot be used.
pub fn cost_model(config: &BackendConfig, model: &DataModel) -> Option<Result<CostModel, String>> {
    let pricing = config.pricing()?;
    Some(Prices::of(pricing.preset(), pricing.overrides()).and_then(|p| {
        let m = support(config.kind())?.cost_model(config, model, &p)?;
        Ok(CostModel { storage_gb_month: p.storage_gb_month, ..m })
    }))
}

/// A kind priced per server (the SQL kinds; noop, for tests): the hourly
/// price, and the server a preset names where its price is the preset's.
pub fn per_server_cost(config: &BackendConfig, p: &Prices) -> CostModel {
    let (preset, overridden) =
        config.pricing().map(|pr| (pr.preset(), pr.overrides().any(|(k, _)| k == "instance_hour"))).unwrap_or((None, false));
    CostModel::per_server(p, &crate::prices::server_note(preset, overridden))
}

/// What `plan` shows for an operation of a kind without statements to render.
pub fn describe_plain(kind: Kind, op: &OpSpec, model: &DataModel) -> String {
    use crate::workload::OpKind;
    let tables = match &op.kind {
        OpKind::Read { tables, .. } | OpKind::Write { tables, .. } => {
            tables.iter().map(|t| model.tables[*t].name.as_str()).collect::<Vec<_>>().join(", ")
        }
        OpKind::Statement { name } => format!("statement {name}"),
        OpKind::Kv { .. } => format!("{} keys", model.entities[op.entities[0]].name),
        OpKind::VectorSearch { table, .. } => model.tables[*table].name.clone(),
    };
    match kind {
        Kind::Noop => format!("(noop: no I/O) {} on {tables}", op.label),
        other => format!("({other}: {} on {tables})", op.label),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::DataModel;
    use crate::prices::per_million;
    use crate::scenario::model::*;
    use crate::stats::Usage;

    fn prices_of(p: &Pricing) -> Result<Prices, String> {
        Prices::of(p.preset(), p.overrides())
    }
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
        let m = cost_model(&c, &model(3)).unwrap().unwrap();
        let u = Usage { read_units: 2_000_000.0, write_units: 1_000_000.0, ..Usage::default() };
        // 2 M read units at $0.125/M and 1 M write units at $0.625/M; time is free.
        assert!((u.cost(&m, 3600.0) - (0.25 + 0.625)).abs() < 1e-12);
        assert_eq!(per_million(0.5, 250_000), Some(2.0));
        assert_eq!(per_million(0.5, 0), None);
    }

    #[test]
    fn provisioned_charges_capacity_hours_per_table() {
        let b = Billing::Provisioned { provisioned: Provisioned { rcu: 100, wcu: 10 } };
        let c = ddb(Some(b), inline(None, &[("rcu_hour", 0.01), ("wcu_hour", 0.1)]));
        let m = cost_model(&c, &model(4)).unwrap().unwrap();
        let u = Usage { read_units: 5e6, write_units: 5e6, ..Usage::default() };
        // 4 tables x (100 x 0.01 + 10 x 0.1) = $8/h, for half an hour; units are not charged.
        assert!((u.cost(&m, 1800.0) - 4.0).abs() < 1e-12);
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
        let m = cost_model(&cosmos(true, None, Pricing::Preset("cosmos_serverless".into())), &model(2)).unwrap().unwrap();
        let u = Usage { request_units: 4_000_000.0, ..Usage::default() };
        // 4 M RU at $0.25/M; time is free.
        assert!((u.cost(&m, 3600.0) - 1.0).abs() < 1e-12);
        let m = cost_model(&cosmos(false, Some(4000), Pricing::Preset("cosmos_provisioned".into())), &model(2)).unwrap().unwrap();
        // 4000 RU/s = 40 x $0.008/h = $0.32/h, for a quarter hour; units are not charged.
        assert!((u.cost(&m, 900.0) - 0.08).abs() < 1e-12);
        assert!(m.basis.contains("4000 RU/s"));
        let e = cost_model(&cosmos(false, None, Pricing::Preset("cosmos_provisioned".into())), &model(2)).unwrap().unwrap_err();
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
        assert!(prices_of(&inline(None, &[("per_read", 1.0)])).unwrap_err().contains("per_read"));
        assert!(prices_of(&Pricing::Preset("aurora_oracle".into())).unwrap_err().contains("unknown pricing preset"));
    }

    #[test]
    fn every_preset_has_prices() {
        for p in crate::prices::PRESETS {
            let prices = prices_of(&Pricing::Preset(p.name.to_string())).unwrap();
            // An in-memory store's data is paid with its node.
            assert!(prices.storage_gb_month > 0.0 || (p.kinds == ["redis"] && prices.instance_hour > 0.0), "{}", p.name);
        }
    }

    #[test]
    fn sql_presets_price_one_server_per_hour() {
        // Aurora db.r6g.large at $0.26/h: one hour of queries costs $0.26, and
        // the report says which server that is.
        for (name, hourly, storage) in
            [("aurora_postgres", 0.26, 0.10), ("aurora_mysql", 0.26, 0.10), ("rds_postgres", 0.225, 0.115), ("lakebase", 0.736, 0.345)]
        {
            let m = cost_model(&postgres(Pricing::Preset(name.into())), &model(2)).unwrap().unwrap();
            assert!((Usage::default().cost(&m, 3600.0) - hourly).abs() < 1e-12, "{name}");
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
        let m = cost_model(&c, &model(2)).unwrap().unwrap();
        assert!((Usage::default().cost(&m, 1800.0) - 0.2595).abs() < 1e-12);
        assert!((m.storage_gb_month - 0.10).abs() < 1e-12);
        // The server named by the preset is no longer the one priced.
        assert_eq!(m.basis, "instance hours: $0.519/h x duration");
        let c = postgres(inline(Some("aurora_postgres"), &[("storage_gb_month", 0.2)]));
        let m = cost_model(&c, &model(2)).unwrap().unwrap();
        assert!((m.per_hour - 0.26).abs() < 1e-12 && (m.storage_gb_month - 0.2).abs() < 1e-12);
        // DynamoDB: only the write price changed.
        let p = prices_of(&inline(Some("dynamodb_on_demand"), &[("write_request_units_per_million", 1.25)])).unwrap();
        assert_eq!((p.read_request_units_per_million, p.write_request_units_per_million), (0.125, 1.25));
    }
}
