//! `dataset:` the entities (key spaces) and the feature tables.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Dataset {
    /// Key spaces; a request picks one key per entity.
    pub entities: IndexMap<String, Entity>,
    /// Feature groups; `count` expands `{i}` in the name.
    pub tables: Vec<TableSpec>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Entity {
    /// How many distinct keys (generated: see docs/scenario-format.md); or give `sample`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<u64>,
    #[serde(default)]
    pub key: KeyType,
    /// Keys sampled from an existing table instead (saved to a keys file and reused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<KeySample>,
}

impl Entity {
    /// The size of the key space: `keys`, or the number of keys to sample.
    pub fn count(&self) -> u64 {
        self.keys.or(self.sample.as_ref().map(|s| s.count)).unwrap_or(0)
    }
}

/// Keys of an existing table: sampled once (TABLESAMPLE SYSTEM on PostgreSQL,
/// random order elsewhere), written to `file`, reused by later runs.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeySample {
    /// The table to sample (an existing table of the database); default:
    /// every table of the entity, the union of their keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// Its key column (default `pk`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// How many keys (default 10000).
    #[serde(default = "default_sample_count")]
    pub count: u64,
    /// The keys file, relative to the scenario (default `<scenario>.<entity>.keys`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

fn default_sample_count() -> u64 {
    10_000
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum KeyType {
    #[default]
    Int,
    String,
    Uuid,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    /// A safe identifier; `{i}` is replaced by 0..count-1.
    pub name: String,
    pub entity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// A number of features (`f0`..`fN-1`), a list of `{name, type}`, or
    /// `"*"` (an existing table: its columns from the catalog).
    pub features: Features,
    /// Types of numbered features: `float` (default), `mixed`, `int`, `string`, `bool`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub types: Option<FeatureTypes>,
    /// Rows in this table (the first `rows` keys of the entity); default: all keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    /// The key column (default `pk`), e.g. for an existing table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_column: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Features {
    Count(u32),
    List(Vec<FeatureDef>),
    /// `"*"`: an existing table's columns, read from the database's catalog
    /// when the run starts (every column but the key).
    Catalog(String),
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FeatureDef {
    pub name: String,
    #[serde(rename = "type", default)]
    pub ty: FeatureType,
    /// `vector` and `halfvec`: the number of dimensions (1..=16000; required for them, refused for the others).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dim: Option<u32>,
    /// `vector` and `halfvec`: read the values from a file of embeddings
    /// instead of generating them (docs/scenario-format.md#vector-features).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<VectorSource>,
}

/// `source:` a user's own embeddings.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VectorSource {
    /// A `.npy` (2-D, little-endian float32) or `.fvecs` file, relative to the
    /// scenario file: row i is key i's vector; the rows after the table's
    /// rows are the query vectors.
    pub file: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum FeatureType {
    #[default]
    Float,
    Int,
    String,
    Bool,
    /// An embedding of `dim` 4-byte floats (pgvector's `vector(dim)`), drawn
    /// from a Gaussian mixture: see docs/scenario-format.md.
    Vector,
    /// The same values as `vector`, stored as pgvector's `halfvec(dim)` (2-byte floats).
    Halfvec,
}

impl FeatureType {
    pub fn as_str(self) -> &'static str {
        match self {
            FeatureType::Float => "float",
            FeatureType::Int => "int",
            FeatureType::String => "string",
            FeatureType::Bool => "bool",
            FeatureType::Vector => "vector",
            FeatureType::Halfvec => "halfvec",
        }
    }

    /// `vector` or `halfvec`.
    pub fn is_vector(self) -> bool {
        matches!(self, FeatureType::Vector | FeatureType::Halfvec)
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum FeatureTypes {
    Float,
    Int,
    String,
    Bool,
    /// Cycles float, int, string, bool.
    Mixed,
}

/// Expanded table names of one table spec: `card_f{i}` x count.
pub fn expand_table_names(t: &TableSpec) -> Vec<String> {
    let count = t.count.unwrap_or(1);
    if count <= 1 && !t.name.contains("{i}") {
        return vec![t.name.clone()];
    }
    (0..count.max(1)).map(|i| t.name.replace("{i}", &i.to_string())).collect()
}
