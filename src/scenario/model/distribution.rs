//! A key distribution's names, which parameters apply to which, and its
//! schema: a name (`zipfian`) or a name with its parameters (`zipfian:0.9`,
//! `hotspot:0.01:0.8`), which the loader spreads into `theta`, `hot_keys`
//! and `hot_traffic` before the keys are typed (`scenario::keys`).

use super::Distribution;
use schemars::JsonSchema;

impl Distribution {
    pub const ALL: [Distribution; 5] =
        [Distribution::Uniform, Distribution::Zipfian, Distribution::Hotspot, Distribution::Sequential, Distribution::Latest];

    pub fn as_str(self) -> &'static str {
        match self {
            Distribution::Uniform => "uniform",
            Distribution::Zipfian => "zipfian",
            Distribution::Hotspot => "hotspot",
            Distribution::Sequential => "sequential",
            Distribution::Latest => "latest",
        }
    }

    pub fn from_name(name: &str) -> Option<Distribution> {
        Distribution::ALL.into_iter().find(|d| d.as_str() == name)
    }

    /// The parameters this distribution takes, in the order of its
    /// `name:p1:p2` form.
    pub fn parameters(self) -> &'static [&'static str] {
        match self {
            Distribution::Zipfian | Distribution::Latest => &["theta"],
            Distribution::Hotspot => &["hot_keys", "hot_traffic"],
            Distribution::Uniform | Distribution::Sequential => &[],
        }
    }
}

/// `theta` when a zipfian or latest distribution gives none (the workload's
/// default, `workload::dist`; `plan` shows it).
pub const DEFAULT_THETA: f64 = 0.99;
/// `hot_keys` when a hotspot distribution gives none (YCSB's).
pub const DEFAULT_HOT_KEYS: f64 = 0.2;
/// `hot_traffic` when a hotspot distribution gives none (YCSB's).
pub const DEFAULT_HOT_TRAFFIC: f64 = 0.8;

/// Every key-spec field that is a distribution's parameter.
pub const DISTRIBUTION_PARAMETERS: [&str; 3] = ["theta", "hot_keys", "hot_traffic"];

/// `zipfian:0.9`, `latest:0.5`, `hotspot:0.01` or `hotspot:0.01:0.8`.
pub const DISTRIBUTION_WITH_PARAMETERS: &str = r"^(zipfian|latest):[0-9.eE+-]+$|^hotspot:[0-9.eE+-]+(:[0-9.eE+-]+)?$";

impl JsonSchema for Distribution {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Distribution".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = Distribution::ALL.iter().map(|d| d.as_str()).collect();
        schemars::json_schema!({
            "description": "A distribution's name, or its name with its parameters: `zipfian:THETA`, `latest:THETA`, `hotspot:HOT_KEYS` or `hotspot:HOT_KEYS:HOT_TRAFFIC`.",
            "anyOf": [
                { "type": "string", "enum": names },
                { "type": "string", "pattern": DISTRIBUTION_WITH_PARAMETERS },
                { "$ref": crate::scenario::schema::SUBSTITUTION }
            ]
        })
    }
}
