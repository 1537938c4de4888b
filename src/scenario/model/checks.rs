//! `checks:` pass/fail conditions on the measured figures.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `METRIC OP NUMBER`, or an object with `expr` and a scope.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Check {
    Expr(String),
    Scoped(ScopedCheck),
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ScopedCheck {
    pub expr: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// A mix entry, by its `name`: the check holds for that request's own
    /// figures (all its steps together), not the phase's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op: Option<String>,
    /// A step of `op`, by its name: the check holds for that step's own time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// Any matrix param, e.g. `hot: 0.8`.
    #[serde(flatten)]
    pub params: IndexMap<String, Value>,
}
