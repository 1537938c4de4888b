//! The typed scenario: what a YAML file means once `${...}` is substituted.
//!
//! Every struct rejects unknown fields. The JSON schema in `schemas/` is
//! generated from these types (see `schema.rs`), so doc comments here are the
//! descriptions an editor shows.
//!
//! One file per section of the file: `backends` (the targets and their
//! prices), `dataset`, `phases` (setup and teardown steps, phases, the mix),
//! `vector` (index steps, distances, vector search), `checks`, `duration` (the duration strings every section uses) and
//! `distribution` (a key distribution's names, parameters and schema).
//! Everything is re-exported here: `model::X` is the path to use.

mod backends;
mod checks;
mod dataset;
mod distribution;
mod duration;
mod kv;
mod phases;
mod vector;

pub use backends::*;
pub use checks::*;
pub use dataset::*;
pub use distribution::*;
pub use duration::*;
pub use kv::*;
pub use phases::*;
pub use vector::*;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A benchmark scenario, format version 1.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Format version; must be 1.
    pub version: u32,
    /// Names the results folder: `[a-z0-9_-]+`.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Every random choice (data, keys, mix) derives from it.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Typed defaults for `${name}`; `--set K=V` overrides; `matrix` sweeps them.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub params: IndexMap<String, Value>,
    /// Every combination of these values runs all phases, on every backend, in file order.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub matrix: IndexMap<String, Vec<Value>>,
    /// Named targets; `run --backend NAME` picks a subset.
    pub backends: IndexMap<String, BackendConfig>,
    pub dataset: Dataset,
    /// Once per backend, before the matrix.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub setup: Vec<Step>,
    /// For every matrix cell, in order.
    pub phases: Vec<Phase>,
    /// Once per backend, after the matrix.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub teardown: Vec<Step>,
    /// Any failing check makes the exit status 1.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Check>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<CostConfig>,
    /// A folder (relative to the scenario file) with `<kind>/<template>` files
    /// that override the built-in templates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub templates: Option<String>,
}

fn default_seed() -> u64 {
    1
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CostConfig {
    /// Project the measured cost to this steady load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_rps: Option<f64>,
}
