//! Vector search (pgvector): the `index` setup step, distances, and the
//! `vector_search` operation of the mix.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `index:` build an approximate-nearest-neighbour index on a vector
/// feature (PostgreSQL with pgvector), timed as a setup step; its size is reported.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IndexStep {
    /// A table of the dataset (an expanded name).
    pub table: String,
    /// Its `vector` or `halfvec` feature.
    pub column: String,
    pub method: IndexMethod,
    /// The distance the index orders by; `vector_search` with another distance cannot use it.
    pub distance: Distance,
    /// hnsw: connections per node (pgvector's default 16).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub m: Option<u32>,
    /// hnsw: candidates kept while building (pgvector's default 64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ef_construction: Option<u32>,
    /// ivfflat: the number of lists (pgvector's default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lists: Option<u32>,
    /// The build's `maintenance_work_mem`, e.g. `1GB` (default: the server's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance_work_mem: Option<String>,
    /// The build's `max_parallel_maintenance_workers` (default: the server's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_parallel_maintenance_workers: Option<u32>,
}

impl IndexStep {
    /// The index's name: `<table>_<column>_<method>_<distance>`.
    pub fn index_name(&self) -> String {
        format!("{}_{}_{}_{}", self.table, self.column, self.method.as_str(), self.distance.as_str())
    }

    /// What the setup row calls it: `index docs.emb hnsw cosine`.
    pub fn label(&self) -> String {
        format!("index {}.{} {} {}", self.table, self.column, self.method.as_str(), self.distance.as_str())
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum IndexMethod {
    /// A graph (hierarchical navigable small worlds): `hnsw.ef_search` trades recall for speed.
    Hnsw,
    /// Inverted lists of k-means centroids: `ivfflat.probes` trades recall for speed.
    Ivfflat,
}

impl IndexMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            IndexMethod::Hnsw => "hnsw",
            IndexMethod::Ivfflat => "ivfflat",
        }
    }
}

/// A vector distance: `l2` (Euclidean, `<->`), `cosine` (`<=>`), `ip`
/// (negative inner product, `<#>`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Distance {
    #[default]
    L2,
    Cosine,
    Ip,
}

impl Distance {
    pub fn as_str(self) -> &'static str {
        match self {
            Distance::L2 => "l2",
            Distance::Cosine => "cosine",
            Distance::Ip => "ip",
        }
    }

    /// pgvector's operator.
    pub fn operator(self) -> &'static str {
        match self {
            Distance::L2 => "<->",
            Distance::Cosine => "<=>",
            Distance::Ip => "<#>",
        }
    }
}

/// `vector_search:` the k nearest rows of a table to a query vector:
/// `SELECT <key> FROM <table> [WHERE <filter>] ORDER BY <column> <op> $1 LIMIT k`,
/// prepared once. Query vectors come from the column's own mixture (see
/// docs/scenario-format.md); request i of a phase uses query `i % queries`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VectorSearchOp {
    /// A table of the dataset with a vector feature.
    pub table: String,
    /// Its vector feature (default: its only one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// Rows returned per request (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<u32>,
    /// Default l2.
    #[serde(default)]
    pub distance: Distance,
    /// A SQL condition on the table's rows (`n < 500`), ANDed into the query as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// Distinct query vectors, used in turn (default 1000); recall is measured against their exact top k.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queries: Option<u32>,
}

impl VectorSearchOp {
    pub fn k(&self) -> u32 {
        self.k.unwrap_or(10)
    }

    pub fn queries(&self) -> u32 {
        self.queries.unwrap_or(1000)
    }
}
